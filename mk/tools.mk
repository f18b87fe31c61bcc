# Tool installation (owned by the toolchain work). Placeholder until it lands.
.PHONY: tools
tools:
	@true
