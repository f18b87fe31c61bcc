//! Writing the little JSON the core emits itself (public JWKs for the host): objects of
//! string members, built by concatenation (no `core::fmt`, no serde).

use alloc::string::String;

/// Appends `value` as a JSON string: quotes, `"` and `\` escaped, control characters as
/// `\n`-style or `\u00XX` escapes (what serde_json writes); everything else as is.
pub(crate) fn push_string(out: &mut String, value: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let mut run = 0;
    for (i, b) in value.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(value.get(run..i).unwrap_or_default());
        run = i + 1;
        if escape.is_empty() {
            out.push_str("\\u00");
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 15)]));
        } else {
            out.push_str(escape);
        }
    }
    out.push_str(value.get(run..).unwrap_or_default());
    out.push('"');
}

/// A JSON object of string members, in insertion order.
#[derive(Debug)]
pub(crate) struct JsonObject(String);

impl JsonObject {
    pub(crate) fn new() -> Self {
        Self(String::from("{"))
    }

    /// Adds `"name":"value"` (the name is a constant, never needing escapes).
    pub(crate) fn string(&mut self, name: &str, value: &str) -> &mut Self {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        push_string(&mut self.0, name);
        self.0.push(':');
        push_string(&mut self.0, value);
        self
    }

    pub(crate) fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_round_trip_through_serde_json() {
        for s in [
            "",
            "plain",
            "quote\" backslash\\ slash/",
            "\n\r\t\u{8}\u{c}\u{0}\u{1f}\u{7f}",
            "é\u{1F600}\u{2028}",
            "a\u{1}b\u{1e}c",
        ] {
            let mut out = String::new();
            push_string(&mut out, s);
            assert_eq!(out, serde_json::to_string(s).unwrap(), "{s:?}");
            assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        }
    }

    #[test]
    fn objects() {
        assert_eq!(JsonObject::new().finish(), "{}");
        let mut o = JsonObject::new();
        o.string("kty", "OKP").string("kid", "a\"b");
        assert_eq!(o.finish(), r#"{"kty":"OKP","kid":"a\"b"}"#);
    }
}
