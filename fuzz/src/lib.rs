//! Shared pieces of the fuzz targets: verifiers built from the shared test vectors (keys of
//! every family), signature hosts that accept or refuse everything (to push mutated tokens
//! past the signature step), an independent reference model of the claim rules, and the
//! invariants every target asserts. A failed invariant panics, which libFuzzer reports as a
//! crash with the input that caused it.
//!
//! The targets are in `fuzz_targets/`; their input formats are in `fuzz/README.md`.

use std::sync::OnceLock;

use revocable_core::{Error, KeySet, Policy, SignatureHost, Verifier};
use serde_json::Value;

pub mod issuer;
pub mod model;

/// The shared vector files, compiled in so a fuzz binary needs nothing at run time.
const VECTOR_FILES: [&str; 5] = [
    include_str!("../../tests/vectors/revocable.json"),
    include_str!("../../tests/vectors/rfc7515.json"),
    include_str!("../../tests/vectors/rfc7520.json"),
    include_str!("../../tests/vectors/rfc7797.json"),
    include_str!("../../tests/vectors/rfc8037.json"),
];

/// One usable vector: its verifier (keys, policy and revocation feed loaded) and its `now`.
#[derive(Debug)]
pub struct VectorVerifier {
    /// The vector's name (for failure messages).
    pub name: String,
    /// Keys and policy of the vector, feed loaded at `now`.
    pub verifier: Verifier,
    /// The vector's verification time.
    pub now: i64,
    /// The vector's token (the seed corpora start from these).
    pub token: String,
}

/// Every shared vector, in file order (the seed script `fuzz/scripts/seed-corpora.mjs` numbers
/// them the same way): `None` where the vector's keys or policy do not form a verifier (the
/// vectors of weak or malformed keys).
pub fn vector_verifiers() -> &'static [Option<VectorVerifier>] {
    static CELL: OnceLock<Vec<Option<VectorVerifier>>> = OnceLock::new();
    CELL.get_or_init(|| {
        let mut out = Vec::new();
        for file in VECTOR_FILES {
            let doc: Value = serde_json::from_str(file).expect("vector file is json");
            for vector in doc["vectors"].as_array().into_iter().flatten() {
                out.push(build_vector(vector));
            }
        }
        assert!(
            out.iter().flatten().count() >= 13,
            "the vectors must give a verifier per algorithm"
        );
        assert!(
            out.len() <= 256,
            "the token target indexes vectors with one byte"
        );
        out
    })
}

fn build_vector(vector: &Value) -> Option<VectorVerifier> {
    let keys = KeySet::from_jwks_json(&vector["jwks"].to_string()).ok()?;
    let policy: Policy = serde_json::from_value(vector["policy"].clone()).ok()?;
    let now = vector["now"].as_i64()?;
    let mut verifier = Verifier::new(keys, policy).ok()?;
    if let Some(feed) = vector.get("revocations").filter(|f| !f.is_null()) {
        verifier.update_revocations(&feed.to_string(), now).ok()?;
    }
    Some(VectorVerifier {
        name: vector["name"].as_str().unwrap_or("?").to_owned(),
        verifier,
        now,
        token: vector["token"].as_str()?.to_owned(),
    })
}

/// A signature host with a fixed answer: `Always(true)` lets a mutated token past the
/// signature step (after the core's own prechecks) so its header and claims get fuzzed too;
/// `Always(false)` must make every non-HMAC token fail.
#[derive(Debug, Clone, Copy)]
pub struct Always(pub bool);

impl SignatureHost for Always {
    fn verify(&self, _key_index: usize, _message: &[u8], _signature: &[u8]) -> Option<bool> {
        Some(self.0)
    }
}

/// Invariants of every error the core returns: a documented code, claim/reason only where the
/// contract says, a claim that is a registered name, `typ` or one of the policy's required
/// claims (`required`), and a message that is static text plus that claim name, so never
/// any part of the token.
pub fn check_error(err: &Error, required: &[String]) {
    let code = err.code();
    assert!(Error::CODES.contains(&code), "undocumented code {code}");
    match code {
        "ERR_JWT_EXPIRED" | "ERR_JWT_CLAIM_VALIDATION_FAILED" => {
            assert!(err.claim().is_some() && err.reason().is_some(), "{err:?}");
        }
        "ERR_JWT_REVOKED" => assert!(err.claim().is_some(), "{err:?}"),
        _ => assert!(err.claim().is_none() && err.reason().is_none(), "{err:?}"),
    }
    if let Some(claim) = err.claim() {
        const NAMED: [&str; 10] = [
            "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope", "typ",
        ];
        assert!(
            NAMED.contains(&claim) || required.iter().any(|r| r == claim),
            "error names a claim that is neither registered nor required: {claim:?}"
        );
    }
    // Messages are static text plus, at most, the claim's name (the `Error` variants hold
    // `&'static str` reasons and only the claim as a dynamic string), so none can carry token
    // text. (Searching the message for token segments instead would feed libFuzzer's
    // comparison tracing the message text, and it then spells the message inside tokens.)
    let message = err.to_string();
    assert!(
        message.len() <= 100 + err.claim().map_or(0, str::len),
        "unexpectedly long error message: {message}"
    );
}

/// Splits `data` at the first `n` newlines: `n + 1` parts, the last one the rest (which may
/// contain newlines). `None` when there are fewer newlines.
pub fn split_lines(data: &[u8], n: usize) -> Option<Vec<&[u8]>> {
    let mut parts = Vec::with_capacity(n + 1);
    let mut rest = data;
    for _ in 0..n {
        let at = rest.iter().position(|&b| b == b'\n')?;
        parts.push(&rest[..at]);
        rest = &rest[at + 1..];
    }
    parts.push(rest);
    Some(parts)
}

/// A decimal i64 from a fuzz input line, or `fallback` when it does not parse.
pub fn parse_i64(line: &[u8], fallback: i64) -> i64 {
    std::str::from_utf8(line)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(fallback)
}

/// serde_json's verdict on `text` as a JSON object, checking repeated member names at every
/// depth (which serde_json itself lets pass): `Some(true)` an object without repeats,
/// `Some(false)` an object that repeats a name somewhere, `None` not JSON or not an object.
/// The core's own JSON reader must agree with it exactly (its documentation says it accepts
/// what serde_json accepts, minus repeated names, with the same depth limit).
pub fn serde_object_verdict(text: &[u8]) -> Option<bool> {
    use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

    struct Unique(bool);
    struct AnyValue;
    struct ObjectOnly;

    fn map<'de, A: MapAccess<'de>>(mut access: A) -> Result<Unique, A::Error> {
        let mut names = std::collections::HashSet::new();
        let mut unique = true;
        while let Some(name) = access.next_key::<String>()? {
            unique &= names.insert(name);
            unique &= access.next_value::<Unique>()?.0;
        }
        Ok(Unique(unique))
    }

    impl<'de> de::Deserialize<'de> for Unique {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(AnyValue)
        }
    }

    impl<'de> Visitor<'de> for AnyValue {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("any json value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_i64<E>(self, _: i64) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_u64<E>(self, _: u64) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_f64<E>(self, _: f64) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_str<E>(self, _: &str) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_unit<E>(self) -> Result<Unique, E> {
            Ok(Unique(true))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Unique, A::Error> {
            let mut unique = true;
            while let Some(item) = seq.next_element::<Unique>()? {
                unique &= item.0;
            }
            Ok(Unique(unique))
        }
        fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Unique, A::Error> {
            map(access)
        }
    }

    impl<'de> Visitor<'de> for ObjectOnly {
        type Value = Unique;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a json object")
        }
        fn visit_map<A: MapAccess<'de>>(self, access: A) -> Result<Unique, A::Error> {
            map(access)
        }
    }

    let mut de = serde_json::Deserializer::from_slice(text);
    let verdict = de.deserialize_map(ObjectOnly).ok()?;
    de.end().ok()?;
    Some(verdict.0)
}
