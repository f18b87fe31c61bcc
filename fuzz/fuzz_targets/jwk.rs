//! JWK and JWK Set parsing: `Key::from_jwk_json`, `KeySet::from_jwks_json`,
//! `KeySet::from_public_jwks_json`, `SigningKey::from_jwk_json`, `SigningKeySet::from_jwks_json`.
//!
//! Input: JSON text. Invariants: documented error codes; a public key re-exported with
//! `to_public_jwk` imports again as the same key (thumbprint, algorithm, kid); a JWK with a
//! private member never imports as a verification key; a public (fetched) set never yields an
//! HMAC key; a parsed set makes a verifier; a parsed signing key round-trips through its
//! private JWK and its tokens verify with its public key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use revocable_core::{Algorithm, Key, KeySet, Policy, SigningKey, SigningKeySet, Verifier};
use revocable_fuzz::check_error;
use serde_json::{Map, Value};

const PRIVATE_MEMBERS: [&str; 7] = ["d", "p", "q", "dp", "dq", "qi", "oth"];

fn check_key(key: &Key) {
    match key.to_public_jwk() {
        Some(jwk) => {
            let again = Key::from_jwk_json(&jwk.to_string())
                .unwrap_or_else(|e| panic!("re-exported public jwk does not import: {e}"));
            assert_eq!(again.thumbprint(), key.thumbprint());
            assert_eq!(again.algorithm(), key.algorithm());
            assert_eq!(again.kid(), key.kid());
        }
        None => assert!(
            key.algorithm().is_hmac(),
            "only hmac keys have no public jwk"
        ),
    }
}

fn rsa(alg: Algorithm) -> bool {
    matches!(
        alg,
        Algorithm::Rs256
            | Algorithm::Rs384
            | Algorithm::Rs512
            | Algorithm::Ps256
            | Algorithm::Ps384
            | Algorithm::Ps512
    )
}

fn check_signing_key(key: &SigningKey) {
    let again = SigningKey::from_jwk_json(&key.private_jwk().to_string())
        .unwrap_or_else(|e| panic!("private jwk does not import again: {e}"));
    assert_eq!(again.kid(), key.kid());
    assert_eq!(again.algorithm(), key.algorithm());
    let public = key.verifying_key();
    assert_eq!(public.thumbprint(), again.verifying_key().thumbprint());
    check_key(&public);
    // RSA signing is slow (and randomized); the other families sign deterministically.
    if rsa(key.algorithm()) {
        return;
    }
    let mut claims = Map::new();
    claims.insert("iss".into(), "i".into());
    claims.insert("aud".into(), "a".into());
    claims.insert("exp".into(), Value::from(2_000_000_000_i64));
    let token = key
        .sign(&claims, Some("at+jwt"))
        .expect("signing with a parsed key");
    let verifier = Verifier::new(KeySet::single(public), Policy::new(["i"], ["a"]))
        .expect("verifier from a signing key's public key");
    if let Err(e) = verifier.verify(&token, 1_700_000_000) {
        panic!("a token signed by a parsed key does not verify: {e}");
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The core's JSON reader against serde_json: whatever the core accepts is a JSON object
    // without repeated names.
    let clean_object = revocable_fuzz::serde_object_verdict(data) == Some(true);
    let has_private = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| {
            v.as_object()
                .map(|o| PRIVATE_MEMBERS.iter().any(|m| o.contains_key(*m)))
        })
        .unwrap_or(false);

    match Key::from_jwk_json(text) {
        Ok(key) => {
            assert!(clean_object, "the core accepted a jwk serde_json refuses");
            assert!(
                !has_private,
                "a jwk with private members imported as a verification key"
            );
            check_key(&key);
        }
        Err(e) => check_error(&e, &[]),
    }
    match KeySet::from_jwks_json(text) {
        Ok(set) => {
            assert!(clean_object, "the core accepted a jwks serde_json refuses");
            assert!(!set.is_empty());
            for key in set.keys() {
                check_key(key);
            }
            if let Err(e) = Verifier::new(set, Policy::new(["i"], ["a"])) {
                panic!("a parsed key set does not make a verifier: {e}");
            }
        }
        Err(e) => check_error(&e, &[]),
    }
    match KeySet::from_public_jwks_json(text) {
        Ok(set) => {
            assert!(
                set.keys().iter().all(|k| !k.algorithm().is_hmac()),
                "secret key from a public set"
            );
            for key in set.keys() {
                check_key(key);
            }
        }
        Err(e) => check_error(&e, &[]),
    }
    match SigningKey::from_jwk_json(text) {
        Ok(key) => check_signing_key(&key),
        Err(e) => check_error(&e, &[]),
    }
    match SigningKeySet::from_jwks_json(text) {
        Ok(set) => {
            for key in set.keys() {
                check_signing_key(key);
            }
            let public = set.public_jwks().to_string();
            if !set.keys().iter().all(|k| k.algorithm().is_hmac()) {
                if let Err(e) = KeySet::from_public_jwks_json(&public) {
                    panic!("a signing set's published jwks does not import: {e}");
                }
            }
        }
        Err(e) => check_error(&e, &[]),
    }
});
