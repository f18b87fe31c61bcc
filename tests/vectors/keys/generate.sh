#!/usr/bin/env bash
# Regenerates the TEST-ONLY key fixtures in this folder with openssl (python3 converts the
# openssl text dump to JWK JSON). These keys are public: never use them for anything but tests.
# The committed files are what the tests use; rerunning this replaces them (and changes every
# signature made with them, which the tests do not pin).
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$tmp/rsa2048.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$tmp/rsa1024.pem" 2>/dev/null
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/p256.pem" 2>/dev/null
openssl genpkey -algorithm ED25519 -out "$tmp/ed25519.pem" 2>/dev/null

for name in rsa2048 rsa1024 p256 ed25519; do
  openssl pkey -in "$tmp/$name.pem" -pubout -out "test-only-$name.pub.pem"
  openssl pkey -in "$tmp/$name.pem" -text -noout > "$tmp/$name.txt"
done

python3 - "$tmp" <<'PY'
import base64, json, re, sys
tmp = sys.argv[1]

def b64u(n, length=None):
    raw = n.to_bytes(length or max(1, (n.bit_length() + 7) // 8), "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

def fields(text):
    out, cur = {}, None
    for line in text.splitlines():
        m = re.match(r"^(\w[\w ]*?):\s*(.*)$", line)
        if m and not line.startswith(" "):
            cur = m.group(1).strip()
            out[cur] = m.group(2).strip()
        elif cur is not None:
            out[cur] += line.strip()
    return out

def hexint(s):
    s = re.sub(r"\(.*?\)", "", s)
    return int(s.replace(":", "").replace(" ", ""), 16)

def rsa(name, alg, kid):
    f = fields(open(f"{tmp}/{name}.txt").read())
    e = int(re.match(r"(\d+)", f["publicExponent"]).group(1))
    jwk = {
        "kty": "RSA", "alg": alg, "kid": kid,
        "n": b64u(hexint(f["modulus"])), "e": b64u(e),
        "d": b64u(hexint(f["privateExponent"])),
        "p": b64u(hexint(f["prime1"])), "q": b64u(hexint(f["prime2"])),
        "dp": b64u(hexint(f["exponent1"])), "dq": b64u(hexint(f["exponent2"])),
        "qi": b64u(hexint(f["coefficient"])),
    }
    return jwk

def ec(name, kid):
    f = fields(open(f"{tmp}/{name}.txt").read())
    d = hexint(f["priv"])
    pub = bytes.fromhex(re.sub(r"[^0-9a-f]", "", f["pub"].lower()))
    assert pub[0] == 4 and len(pub) == 65
    return {"kty": "EC", "crv": "P-256", "alg": "ES256", "kid": kid,
            "x": b64u(int.from_bytes(pub[1:33], "big"), 32),
            "y": b64u(int.from_bytes(pub[33:], "big"), 32), "d": b64u(d, 32)}

def okp(name, kid):
    f = fields(open(f"{tmp}/{name}.txt").read())
    d = bytes.fromhex(f["priv"].replace(":", ""))
    x = bytes.fromhex(f["pub"].replace(":", ""))
    enc = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "kid": kid, "x": enc(x), "d": enc(d)}

keys = {
    "rsa2048": rsa("rsa2048", "RS256", "test-only-rsa2048"),
    "rsa1024": rsa("rsa1024", "RS256", "test-only-rsa1024"),
    "p256": ec("p256", "test-only-p256"),
    "ed25519": okp("ed25519", "test-only-ed25519"),
}
for name, jwk in keys.items():
    with open(f"test-only-{name}.jwk.json", "w") as fh:
        json.dump(jwk, fh, indent=2)
        fh.write("\n")
PY
echo "wrote test-only key fixtures into $(pwd)"
