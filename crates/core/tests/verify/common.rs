//! Shared fixtures: keys for every algorithm, a default policy and claims, token builders.

use std::{
    path::PathBuf,
    sync::{Mutex, OnceLock},
};

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{Algorithm, Error, KeySet, Policy, SigningKey, Verified, Verifier};
use serde_json::{json, Map, Value};

pub const ISS: &str = "https://issuer.example";
pub const AUD: &str = "api";
pub const NOW: i64 = 1_700_000_000;

/// A path relative to the repository root.
pub fn repo_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// A test-only key fixture from `tests/vectors/keys/`.
pub fn fixture(name: &str) -> String {
    std::fs::read_to_string(repo_path(&format!("tests/vectors/keys/test-only-{name}"))).unwrap()
}

pub fn b64(bytes: &[u8]) -> String {
    Base64UrlUnpadded::encode_string(bytes)
}

pub fn unb64(text: &str) -> Vec<u8> {
    Base64UrlUnpadded::decode_vec(text).unwrap()
}

pub fn policy() -> Policy {
    Policy::new([ISS], [AUD])
}

/// Valid claims at [`NOW`].
pub fn claims() -> Map<String, Value> {
    let Value::Object(map) = json!({
        "iss": ISS, "aud": AUD, "sub": "user-1", "iat": NOW, "exp": NOW + 300,
        "jti": "token-1", "sid": "session-1", "scope": "read write"
    }) else {
        unreachable!()
    };
    map
}

/// The test-only RSA-2048 private JWK with `alg` replaced.
fn rsa_jwk(alg: Algorithm) -> String {
    let mut jwk: Value = serde_json::from_str(&fixture("rsa2048.jwk.json")).unwrap();
    jwk["alg"] = alg.as_str().into();
    jwk["kid"] = format!("rsa-{alg}").into();
    jwk.to_string()
}

/// A deterministic signing key for `alg` (RSA from the committed fixture: generating RSA
/// keys in debug builds is slow). Cached: RSA private key validation is not free either.
pub fn signing_key(alg: Algorithm) -> SigningKey {
    static CACHE: OnceLock<Mutex<Vec<(Algorithm, SigningKey)>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut cache = cache.lock().unwrap();
    if let Some((_, key)) = cache.iter().find(|(a, _)| *a == alg) {
        return key.clone();
    }
    let seed = |len: usize| -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(29) ^ 0xa5)
            .collect()
    };
    let key = match alg {
        Algorithm::Hs256 => SigningKey::generate(alg, &seed(32)),
        Algorithm::Hs384 => SigningKey::generate(alg, &seed(48)),
        Algorithm::Hs512 => SigningKey::generate(alg, &seed(64)),
        Algorithm::EdDsa | Algorithm::Es256 => SigningKey::generate(alg, &seed(32)),
        Algorithm::Es384 => SigningKey::generate(alg, &seed(48)),
        Algorithm::Es512 => SigningKey::generate(alg, &seed(66)),
        _ => SigningKey::from_jwk_json(&rsa_jwk(alg)),
    }
    .unwrap();
    cache.push((alg, key.clone()));
    key
}

/// A verifier holding only `key`'s public half.
pub fn verifier_for(key: &SigningKey, policy: Policy) -> Verifier {
    Verifier::new(KeySet::single(key.verifying_key()), policy).unwrap()
}

/// Signs exactly these header and payload bytes (for hostile tokens).
pub fn raw_token(key: &SigningKey, header: &str, payload: &str) -> String {
    key.sign_parts(header.as_bytes(), payload.as_bytes())
        .unwrap()
}

/// The header revocable's signer writes for `key`.
pub fn header_for(key: &SigningKey) -> String {
    format!(r#"{{"alg":"{}","kid":"{}"}}"#, key.algorithm(), key.kid())
}

/// Asserts an error with `code` and returns it.
#[track_caller]
pub fn expect_err(result: Result<Verified, Error>, code: &str) -> Error {
    match result {
        Ok(v) => panic!("expected {code}, token verified: {:?}", v.claims),
        Err(err) => {
            assert_eq!(err.code(), code, "{err}");
            err
        }
    }
}

/// Asserts a claim error with `code`, `claim` and `reason` (`check_failed` for expiry).
#[track_caller]
pub fn expect_claim(result: Result<Verified, Error>, code: &str, claim: &str, reason: &str) {
    let err = expect_err(result, code);
    assert_eq!(err.claim(), Some(claim), "{err}");
    assert_eq!(err.reason().map(|r| r.as_str()), Some(reason), "{err}");
}

/// Replaces the segment `index` (0 header, 1 payload, 2 signature) of a compact token.
pub fn replace_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts: Vec<&str> = token.split('.').collect();
    parts[index] = segment;
    parts.join(".")
}
