//! Every error code is reachable, and messages never carry tokens, keys or payloads.

use std::collections::BTreeSet;

use revocable_core::{Algorithm, Error, Key, KeySet, RevocationSnapshot, Verifier};
use serde_json::{json, Value};

use crate::common::*;

#[test]
fn every_error_code_is_reached() {
    let key = signing_key(Algorithm::EdDsa);
    let mut verifier = verifier_for(&key, policy());
    let good = key.sign(&claims(), None).unwrap();
    let payload = Value::Object(claims()).to_string();
    let with_claims = |changes: Value| {
        let mut c = claims();
        for (k, v) in changes.as_object().unwrap() {
            c.insert(k.clone(), v.clone());
        }
        key.sign(&c, None).unwrap()
    };
    let flipped = {
        let mut sig = unb64(good.split('.').nth(2).unwrap());
        sig[0] ^= 1;
        replace_segment(&good, 2, &b64(&sig))
    };
    verifier
        .update_revocations(
            &json!({"generated_at": NOW, "jti": [{"id": "revoked", "exp": NOW + 300}]}).to_string(),
            NOW,
        )
        .unwrap();

    let cases: Vec<(&str, Error)> = vec![
        ("ERR_JWT_INVALID", verifier.verify("a.b", NOW).unwrap_err()),
        (
            "ERR_JWS_INVALID",
            verifier.verify("a=.b.c", NOW).unwrap_err(),
        ),
        (
            "ERR_JOSE_ALG_NOT_ALLOWED",
            verifier
                .verify(&raw_token(&key, r#"{"alg":"none"}"#, &payload), NOW)
                .unwrap_err(),
        ),
        (
            "ERR_JOSE_NOT_SUPPORTED",
            verifier
                .verify(
                    &raw_token(&key, r#"{"alg":"EdDSA","zip":"DEF"}"#, &payload),
                    NOW,
                )
                .unwrap_err(),
        ),
        (
            "ERR_JWKS_NO_MATCHING_KEY",
            verifier
                .verify(
                    &raw_token(&key, r#"{"alg":"EdDSA","kid":"x"}"#, &payload),
                    NOW,
                )
                .unwrap_err(),
        ),
        (
            "ERR_JWK_INVALID",
            Key::from_secret(&[0; 8], Algorithm::Hs256, None).unwrap_err(),
        ),
        (
            "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            verifier.verify(&flipped, NOW).unwrap_err(),
        ),
        (
            "ERR_JWT_EXPIRED",
            verifier.verify(&good, NOW + 300).unwrap_err(),
        ),
        (
            "ERR_JWT_CLAIM_VALIDATION_FAILED",
            verifier
                .verify(&with_claims(json!({"iss": "x"})), NOW)
                .unwrap_err(),
        ),
        (
            "ERR_JWT_REVOKED",
            verifier
                .verify(&with_claims(json!({"jti": "revoked"})), NOW)
                .unwrap_err(),
        ),
        (
            "ERR_INVALID_OPTIONS",
            Verifier::new(KeySet::single(key.verifying_key()), policy().with_typ("")).unwrap_err(),
        ),
        (
            "ERR_REVOCATION_FEED_INVALID",
            RevocationSnapshot::from_feed_json("{}", NOW).unwrap_err(),
        ),
    ];
    let mut seen = BTreeSet::new();
    for (expected, err) in &cases {
        assert_eq!(err.code(), *expected, "{err}");
        seen.insert(err.code());
    }
    let all: BTreeSet<&str> = Error::CODES.into_iter().collect();
    assert_eq!(seen, all, "every code in Error::CODES must be reached");
    assert_eq!(all.len(), Error::CODES.len(), "codes are unique");
}

#[test]
fn messages_are_lowercase_and_leak_nothing() {
    let key = signing_key(Algorithm::Hs256);
    let verifier = verifier_for(&key, policy());
    let secret_jwk = key.private_jwk();
    let secret = secret_jwk["k"].as_str().unwrap().to_owned();
    let token = key.sign(&claims(), None).unwrap();
    let mut errors = vec![
        verifier.verify(&token, NOW + 1000).unwrap_err(),
        verifier.verify(&token.replace('.', ".."), NOW).unwrap_err(),
        verifier.verify(&format!("{token}x"), NOW).unwrap_err(),
        Key::from_jwk_json(&format!(
            r#"{{"kty":"oct","alg":"HS256","k":"{}"}}"#,
            &secret[..20]
        ))
        .unwrap_err(),
        Key::from_jwk_json(&secret_jwk.to_string().replace("oct", "OCT")).unwrap_err(),
    ];
    let mut c = claims();
    c.insert("iss".into(), "user@secret.example".into());
    errors.push(
        verifier
            .verify(&key.sign(&c, None).unwrap(), NOW)
            .unwrap_err(),
    );
    for err in errors {
        let message = err.to_string();
        assert_eq!(message, message.to_lowercase(), "{message}");
        for fragment in [
            &secret[..10],
            &token[..20],
            &token[token.len() - 10..],
            "user@secret",
            "user-1",
        ] {
            assert!(!message.contains(fragment), "{message} contains {fragment}");
        }
        assert!(!format!("{err:?}").contains(&secret[..10]));
    }
}
