//! The bindings in a real browser (headless Chromium via wasm-bindgen-test-runner):
//! construction, verify returning the payload JSON, errors as JS errors with stable codes,
//! key and revocation updates. Tokens are signed by the core's signer (dev-dependency only).
#![cfg(target_arch = "wasm32")]

use js_sys::Reflect;
use revocable_core::{Algorithm, SigningKey};
use revocable_wasm::JsVerifier;
use serde_json::{json, Map, Value};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

const NOW: i64 = 1_700_000_000;
const ISS: &str = "https://issuer.test";
const POLICY: &str = r#"{"issuer":"https://issuer.test","audience":"api"}"#;

/// Every algorithm `SigningKey::generate` makes keys for, with its seed length.
fn generated() -> impl Iterator<Item = (Algorithm, usize)> {
    Algorithm::ALL
        .into_iter()
        .filter_map(|alg| Some((alg, SigningKey::seed_len(alg)?)))
}

fn key(alg: Algorithm, fill: u8, len: usize) -> SigningKey {
    SigningKey::generate(alg, &vec![fill; len]).expect("key generation")
}

fn jwks(keys: &[&SigningKey]) -> String {
    let keys: Vec<Value> = keys
        .iter()
        .map(|k| k.public_jwk().expect("public jwk"))
        .collect();
    json!({ "keys": keys }).to_string()
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut claims = json!({
        "iss": ISS, "aud": "api", "sub": "user-1", "iat": NOW - 10, "exp": NOW + 300,
        "jti": "jti-1", "sid": "sid-1", "scope": "read write",
    });
    if let (Some(base), Value::Object(extra)) = (claims.as_object_mut(), extra) {
        base.extend(extra);
    }
    match claims {
        Value::Object(map) => map,
        _ => unreachable!("claims literal is an object"),
    }
}

fn prop(err: &JsValue, name: &str) -> Option<String> {
    Reflect::get(err, &name.into())
        .ok()
        .and_then(|v| v.as_string())
}

/// Asserts that `result` failed with a JS `Error` named `JwtError` and the given code.
fn expect_code<T: std::fmt::Debug>(result: Result<T, JsValue>, code: &str) -> JsValue {
    let err = result.expect_err("expected an error");
    assert!(err.is_instance_of::<js_sys::Error>(), "a JS Error: {err:?}");
    assert_eq!(prop(&err, "name").as_deref(), Some("JwtError"));
    assert_eq!(prop(&err, "code").as_deref(), Some(code), "{err:?}");
    err
}

fn now() -> f64 {
    NOW as f64
}

#[wasm_bindgen_test]
fn eddsa_jwks_verify_returns_the_payload_json() {
    let k = key(Algorithm::EdDsa, 7, 32);
    let v = JsVerifier::from_jwks(&jwks(&[&k]), POLICY).expect("verifier");
    let token = k
        .sign(&claims(json!({"role": "admin", "n": 1.5})), Some("at+jwt"))
        .expect("sign");
    let payload = v.verify(&token, now()).expect("verifies");
    let payload: Value = serde_json::from_str(&payload).expect("payload is JSON");
    assert_eq!(payload["sub"], "user-1");
    assert_eq!(payload["role"], "admin");
    assert_eq!(payload["n"], 1.5);
}

#[wasm_bindgen_test]
fn every_generated_algorithm_verifies_through_a_single_jwk() {
    for (alg, len) in generated().filter(|(alg, _)| !alg.is_hmac()) {
        let k = key(alg, 9, len);
        let jwk = k.public_jwk().expect("public jwk").to_string();
        let v = JsVerifier::from_jwk(&jwk, POLICY).expect("verifier");
        let token = k.sign(&claims(json!({})), None).expect("sign");
        assert!(v.verify(&token, now()).is_ok(), "{alg}");
        assert_eq!(v.key_algorithms(), vec![alg.as_str().to_owned()]);
    }
}

#[wasm_bindgen_test]
fn hmac_secret_bytes_verify() {
    for (alg, len) in generated().filter(|(alg, _)| alg.is_hmac()) {
        let seed = vec![0x42; len];
        let k = SigningKey::generate(alg, &seed).expect("hmac key");
        let token = k.sign(&claims(json!({})), None).expect("sign");
        let secret = k.private_jwk()["k"].as_str().expect("k").to_owned();
        let secret = b64url_decode(&secret);
        // The signer puts its kid in the header: the secret needs the same kid.
        let kid = Some(k.kid().to_owned());
        let v = JsVerifier::from_secret(&secret, alg.as_str(), kid, POLICY).expect("verifier");
        assert!(v.verify(&token, now()).is_ok(), "{alg}");
        let no_kid =
            JsVerifier::from_secret(&secret, alg.as_str(), None, POLICY).expect("verifier");
        expect_code(no_kid.verify(&token, now()), "ERR_JWKS_NO_MATCHING_KEY");
    }
}

#[wasm_bindgen_test]
fn errors_are_js_errors_with_code_claim_and_reason() {
    let k = key(Algorithm::EdDsa, 1, 32);
    let v = JsVerifier::from_jwks(&jwks(&[&k]), POLICY).expect("verifier");

    let expired = k
        .sign(&claims(json!({"exp": NOW - 1})), None)
        .expect("sign");
    let err = expect_code(v.verify(&expired, now()), "ERR_JWT_EXPIRED");
    assert_eq!(prop(&err, "claim").as_deref(), Some("exp"));
    assert_eq!(prop(&err, "reason").as_deref(), Some("check_failed"));
    let message = prop(&err, "message").unwrap_or_default();
    assert!(
        !message.is_empty() && !message.contains(&expired),
        "{message}"
    );

    let wrong_aud = k
        .sign(&claims(json!({"aud": "other"})), None)
        .expect("sign");
    let err = expect_code(
        v.verify(&wrong_aud, now()),
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
    );
    assert_eq!(prop(&err, "claim").as_deref(), Some("aud"));
    assert_eq!(prop(&err, "reason").as_deref(), Some("check_failed"));

    let good = k.sign(&claims(json!({})), None).expect("sign");
    let (head, sig) = good.rsplit_once('.').expect("three segments");
    let flipped = if sig.starts_with('A') { "B" } else { "A" };
    let tampered = format!("{head}.{flipped}{}", &sig[1..]);
    expect_code(
        v.verify(&tampered, now()),
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
    );
    expect_code(v.verify("not-a-jwt", now()), "ERR_JWT_INVALID");
    let err = expect_code(v.verify("a.b.c", now()), "ERR_JWS_INVALID");
    assert_eq!(prop(&err, "claim"), None);

    let other = key(Algorithm::EdDsa, 2, 32);
    let foreign = other.sign(&claims(json!({})), None).expect("sign");
    expect_code(v.verify(&foreign, now()), "ERR_JWKS_NO_MATCHING_KEY");
}

#[wasm_bindgen_test]
fn bad_configuration_is_reported() {
    expect_code(JsVerifier::from_jwks("{", POLICY), "ERR_JWK_INVALID");
    expect_code(
        JsVerifier::from_jwks(r#"{"keys":[]}"#, POLICY),
        "ERR_JWK_INVALID",
    );
    expect_code(
        JsVerifier::from_secret(&[1; 8], "HS256", None, POLICY),
        "ERR_JWK_INVALID",
    );
    expect_code(
        JsVerifier::from_secret(&[1; 32], "none", None, POLICY),
        "ERR_JOSE_NOT_SUPPORTED",
    );
    let k = key(Algorithm::EdDsa, 3, 32);
    let err = JsVerifier::from_jwks(&jwks(&[&k]), r#"{"issuer":"x"}"#).expect_err("no audience");
    assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
    assert_eq!(
        String::from(js_sys::Error::from(err).message()),
        "invalid verifier options: audience is required"
    );
    let v = JsVerifier::from_jwks(&jwks(&[&k]), POLICY).expect("verifier");
    let token = k.sign(&claims(json!({})), None).expect("sign");
    let err = v.verify(&token, f64::NAN).expect_err("NaN time");
    assert!(err.is_instance_of::<js_sys::TypeError>(), "{err:?}");
}

#[wasm_bindgen_test]
fn set_jwks_rotates_keys_and_keeps_old_ones_on_error() {
    let old = key(Algorithm::EdDsa, 4, 32);
    let new = key(Algorithm::EdDsa, 5, 32);
    let mut v = JsVerifier::from_jwks(&jwks(&[&old]), POLICY).expect("verifier");
    let new_token = new.sign(&claims(json!({})), None).expect("sign");
    let old_token = old.sign(&claims(json!({})), None).expect("sign");
    expect_code(v.verify(&new_token, now()), "ERR_JWKS_NO_MATCHING_KEY");

    expect_code(v.set_jwks("{\"keys\":5}"), "ERR_JWK_INVALID");
    assert!(
        v.verify(&old_token, now()).is_ok(),
        "old keys kept after a bad set"
    );

    v.set_jwks(&jwks(&[&new])).expect("rotation");
    assert!(v.verify(&new_token, now()).is_ok());
    expect_code(v.verify(&old_token, now()), "ERR_JWKS_NO_MATCHING_KEY");
    let ids: Vec<Option<String>> = v.key_ids().iter().map(JsValue::as_string).collect();
    assert_eq!(ids, vec![Some(new.kid().to_owned())]);
}

#[wasm_bindgen_test]
fn revocation_feed_revokes_by_jti_sid_and_sub() {
    let k = key(Algorithm::EdDsa, 6, 32);
    let mut v = JsVerifier::from_jwks(&jwks(&[&k]), POLICY).expect("verifier");
    let token = k.sign(&claims(json!({})), None).expect("sign");
    assert_eq!(v.revocation_count(), 0);

    for (feed, claim) in [
        (
            json!({"generated_at": NOW, "jti": [{"id": "jti-1", "exp": NOW + 300}]}),
            "jti",
        ),
        (
            json!({"generated_at": NOW, "sid": [{"id": "sid-1", "exp": NOW + 300}]}),
            "sid",
        ),
        (
            json!({"generated_at": NOW, "sub": [{"id": "user-1", "not_before": NOW, "exp": NOW + 300}]}),
            "sub",
        ),
    ] {
        v.clear_revocations();
        let kept = v.set_revocations(&feed.to_string(), now()).expect("feed");
        assert_eq!(kept, 1);
        assert_eq!(v.revocation_count(), 1);
        let err = expect_code(v.verify(&token, now()), "ERR_JWT_REVOKED");
        assert_eq!(prop(&err, "claim").as_deref(), Some(claim));
    }

    // Revocations are never undone by a later feed that lacks them (a feed from a KV
    // location that has not seen a revocation yet): entries stay until their exp.
    v.clear_revocations();
    let jti_only = json!({"generated_at": NOW, "jti": [{"id": "jti-1", "exp": NOW + 300}]});
    let empty = json!({"generated_at": NOW});
    v.set_revocations(&jti_only.to_string(), now())
        .expect("feed");
    assert_eq!(
        v.set_revocations(&empty.to_string(), now()).expect("feed"),
        1
    );
    let err = expect_code(v.verify(&token, now()), "ERR_JWT_REVOKED");
    assert_eq!(prop(&err, "claim").as_deref(), Some("jti"));

    // A malformed feed is an error and the last snapshot stays.
    assert!(v.set_revocations("{\"jti\":7}", now()).is_err());
    assert_eq!(v.revocation_count(), 1);

    // Entries already past their exp are dropped when the feed is loaded.
    v.clear_revocations();
    let stale = json!({"generated_at": NOW, "jti": [{"id": "jti-1", "exp": NOW - 1}]});
    assert_eq!(
        v.set_revocations(&stale.to_string(), now()).expect("feed"),
        0
    );
    assert!(v.verify(&token, now()).is_ok());

    v.set_revocations(
        &json!({"generated_at": NOW, "jti": [{"id": "jti-1", "exp": NOW + 300}]}).to_string(),
        now(),
    )
    .expect("feed");
    v.clear_revocations();
    assert_eq!(v.revocation_count(), 0);
    assert!(v.verify(&token, now()).is_ok());
}

/// Objects of more than 16 members are checked for repeated names with a hash set under the
/// keys revocable-wasm seeds from `crypto.getRandomValues` on its first verification: a
/// repeat is still found in a large header and payload, and a large clean one verifies.
#[wasm_bindgen_test]
fn many_members_are_checked_for_repeats_under_seeded_hash_keys() {
    let k = key(Algorithm::EdDsa, 9, 32);
    let v = JsVerifier::from_jwks(&jwks(&[&k]), POLICY).expect("verifier");
    // Verifies once (seeding the keys), then again with maps created under the new keys.
    let many: Map<String, Value> = (0..40).map(|i| (format!("m{i}"), json!(i))).collect();
    for _ in 0..2 {
        let token = k
            .sign(&claims(Value::Object(many.clone())), None)
            .expect("sign");
        assert!(v.verify(&token, now()).is_ok());
    }
    let header = format!(
        r#"{{"alg":"EdDSA","kid":"{}",{}"m7":0}}"#,
        k.kid(),
        (0..30).map(|i| format!(r#""m{i}":0,"#)).collect::<String>()
    );
    let payload = serde_json::to_string(&claims(json!({}))).expect("claims");
    let token = k
        .sign_parts(header.as_bytes(), payload.as_bytes())
        .expect("sign");
    expect_code(v.verify(&token, now()), "ERR_JWS_INVALID");
    let mut body = serde_json::to_string(&claims(Value::Object(many))).expect("claims");
    body.pop();
    body.push_str(r#","m3":1}"#);
    let token = k
        .sign_parts(
            format!(r#"{{"alg":"EdDSA","kid":"{}"}}"#, k.kid()).as_bytes(),
            body.as_bytes(),
        )
        .expect("sign");
    expect_code(v.verify(&token, now()), "ERR_JWT_INVALID");
}

/// Minimal base64url (no padding) decoder for the test's HMAC secret.
fn b64url_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            _ => panic!("not base64url: {c}"),
        }
    };
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}
