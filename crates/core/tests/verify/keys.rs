//! Key import through the public API: fixtures, strength, configuration errors.

use revocable_core::{Algorithm, Key, KeySet, Policy, SigningKey, Verifier};
use serde_json::Value;

use crate::common::*;

fn public_of(private_file: &str) -> String {
    let mut jwk: Value = serde_json::from_str(&fixture(private_file)).unwrap();
    for member in ["d", "p", "q", "dp", "dq", "qi"] {
        jwk.as_object_mut().unwrap().remove(member);
    }
    jwk.to_string()
}

#[test]
fn fixtures_import_and_verify() {
    for file in ["rsa2048.jwk.json", "p256.jwk.json", "ed25519.jwk.json"] {
        let signing = SigningKey::from_jwk_json(&fixture(file)).unwrap();
        let public = Key::from_jwk_json(&public_of(file)).unwrap();
        assert_eq!(public.kid(), Some(signing.kid()));
        assert_eq!(public.thumbprint(), signing.verifying_key().thumbprint());
        let verifier = Verifier::new(KeySet::single(public), policy()).unwrap();
        assert!(verifier
            .verify(&signing.sign(&claims(), None).unwrap(), NOW)
            .is_ok());
        // The private JWK is never a verification key.
        assert_eq!(
            Key::from_jwk_json(&fixture(file)).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }
}

#[test]
fn rsa_under_2048_bits_is_rejected() {
    let public = public_of("rsa1024.jwk.json");
    assert_eq!(
        Key::from_jwk_json(&public).unwrap_err().code(),
        "ERR_JWK_INVALID"
    );
    let jwks = format!(r#"{{"keys":[{public}]}}"#);
    assert_eq!(
        KeySet::from_jwks_json(&jwks).unwrap_err().code(),
        "ERR_JWK_INVALID"
    );
    assert_eq!(
        SigningKey::from_jwk_json(&fixture("rsa1024.jwk.json"))
            .unwrap_err()
            .code(),
        "ERR_JWK_INVALID"
    );
}

#[test]
fn rsa_private_keys_must_be_consistent() {
    let import_code = |jwk: &Value| {
        SigningKey::from_jwk_json(&jwk.to_string())
            .unwrap_err()
            .code()
    };
    let mut jwk: Value = serde_json::from_str(&fixture("rsa2048.jwk.json")).unwrap();
    let good_dp = jwk["dp"].clone();
    jwk["dp"] = jwk["dq"].clone();
    assert_eq!(import_code(&jwk), "ERR_JWK_INVALID");
    jwk["dp"] = good_dp;
    jwk.as_object_mut().unwrap().remove("qi");
    assert_eq!(import_code(&jwk), "ERR_JWK_INVALID");
    jwk.as_object_mut().unwrap().remove("alg");
    assert_eq!(import_code(&jwk), "ERR_JWK_INVALID");
}

#[test]
fn hmac_secrets_shorter_than_the_hash_are_rejected() {
    for (alg, min) in [
        (Algorithm::Hs256, 32),
        (Algorithm::Hs384, 48),
        (Algorithm::Hs512, 64),
    ] {
        assert_eq!(
            Key::from_secret(&vec![1; min - 1], alg, None)
                .unwrap_err()
                .code(),
            "ERR_JWK_INVALID"
        );
        assert!(Key::from_secret(&vec![1; min], alg, None).is_ok());
        let k = b64(&vec![1; min - 1]);
        let jwk = format!(r#"{{"kty":"oct","alg":"{alg}","k":"{k}"}}"#);
        assert_eq!(
            Key::from_jwk_json(&jwk).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }
    // A raw secret is only ever an HMAC key.
    for alg in [Algorithm::Rs256, Algorithm::Es256, Algorithm::EdDsa] {
        assert_eq!(
            Key::from_secret(&[1; 64], alg, None).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }
}

#[test]
fn raw_secret_keys_verify_hs_tokens() {
    let secret = b"an HS256 secret of 32 bytes!!!!!";
    let signing = SigningKey::generate(Algorithm::Hs256, secret).unwrap();
    let key = Key::from_secret(secret, Algorithm::Hs256, Some(signing.kid().to_owned())).unwrap();
    let verifier = Verifier::new(KeySet::single(key), policy()).unwrap();
    assert!(verifier
        .verify(&signing.sign(&claims(), None).unwrap(), NOW)
        .is_ok());
    let anonymous = Verifier::new(
        KeySet::single(Key::from_secret(secret, Algorithm::Hs256, None).unwrap()),
        policy(),
    )
    .unwrap();
    let no_kid = raw_token(
        &signing,
        r#"{"alg":"HS256"}"#,
        &Value::Object(claims()).to_string(),
    );
    assert!(anonymous.verify(&no_kid, NOW).is_ok());
    // A token naming a kid needs a key with that kid.
    expect_err(
        anonymous.verify(&signing.sign(&claims(), None).unwrap(), NOW),
        "ERR_JWKS_NO_MATCHING_KEY",
    );
}

#[test]
fn jwks_with_skipped_entries_still_verifies() {
    let signing = signing_key(Algorithm::Rs256);
    let public = signing.public_jwk().unwrap();
    let mut enc = public.clone();
    enc["use"] = "enc".into();
    enc["alg"] = "RSA-OAEP".into();
    enc["kid"] = "enc-key".into();
    let jwks = serde_json::json!({"keys": [enc, {"kty": "OKP", "crv": "X25519", "x": "hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo"}, public]});
    let keys = KeySet::from_jwks_json(&jwks.to_string()).unwrap();
    assert_eq!(keys.len(), 1);
    assert_eq!(keys.skipped().len(), 2);
    assert_eq!(keys.skipped()[0].kid.as_deref(), Some("enc-key"));
    assert_eq!(keys.skipped()[0].reason.as_str(), "not_for_signatures");
    assert_eq!(keys.skipped()[1].reason.as_str(), "unsupported_curve");
    let verifier = Verifier::new(keys, policy()).unwrap();
    assert!(verifier
        .verify(&signing.sign(&claims(), None).unwrap(), NOW)
        .is_ok());
    // A token naming the skipped key finds no key.
    let token = raw_token(
        &signing,
        r#"{"alg":"RS256","kid":"enc-key"}"#,
        &Value::Object(claims()).to_string(),
    );
    expect_err(verifier.verify(&token, NOW), "ERR_JWKS_NO_MATCHING_KEY");
}

#[test]
fn configuration_errors() {
    let keys = KeySet::single(signing_key(Algorithm::EdDsa).verifying_key());
    let options = |p: Policy| Verifier::new(keys.clone(), p).unwrap_err().code();
    let none: [&str; 0] = [];
    assert_eq!(options(Policy::new(none, [AUD])), "ERR_INVALID_OPTIONS");
    assert_eq!(options(Policy::new([ISS], none)), "ERR_INVALID_OPTIONS");
    assert_eq!(options(Policy::new([""], [AUD])), "ERR_INVALID_OPTIONS");
    assert_eq!(options(Policy::new([ISS], [""])), "ERR_INVALID_OPTIONS");
    assert_eq!(options(policy().with_algorithms([])), "ERR_INVALID_OPTIONS");
    assert_eq!(
        options(policy().with_algorithms([Algorithm::Es256])),
        "ERR_INVALID_OPTIONS"
    );
    assert_eq!(options(policy().with_typ("")), "ERR_INVALID_OPTIONS");
    assert_eq!(
        options(policy().with_required_claims([""])),
        "ERR_INVALID_OPTIONS"
    );
    let many: Vec<String> = (0..65).map(|i| format!("c{i}")).collect();
    assert_eq!(
        options(policy().with_required_claims(many)),
        "ERR_INVALID_OPTIONS"
    );
    assert_eq!(
        Verifier::new(KeySet::default(), policy())
            .unwrap_err()
            .code(),
        "ERR_JWK_INVALID"
    );
}

#[test]
fn set_keys_validates_and_keeps_the_old_keys_on_error() {
    let ed = signing_key(Algorithm::EdDsa);
    let es = signing_key(Algorithm::Es256);
    let mut verifier = Verifier::new(
        KeySet::single(ed.verifying_key()),
        policy().with_algorithms([Algorithm::EdDsa]),
    )
    .unwrap();
    let err = verifier
        .set_keys(KeySet::single(es.verifying_key()))
        .unwrap_err();
    assert_eq!(err.code(), "ERR_INVALID_OPTIONS");
    assert!(verifier
        .verify(&ed.sign(&claims(), None).unwrap(), NOW)
        .is_ok());
    assert_eq!(
        verifier.set_keys(KeySet::default()).unwrap_err().code(),
        "ERR_JWK_INVALID"
    );
    // Rotation: a new set with both keys.
    verifier
        .set_keys(KeySet::from_keys(vec![ed.verifying_key(), es.verifying_key()]).unwrap())
        .unwrap();
    assert_eq!(verifier.algorithms(), vec![Algorithm::EdDsa]);
    assert_eq!(verifier.keys().len(), 2);
}

#[test]
fn oversized_key_sets_are_rejected() {
    let huge = format!(
        r#"{{"keys":[],"pad":"{}"}}"#,
        "x".repeat(revocable_core::MAX_JWKS_BYTES)
    );
    assert_eq!(
        KeySet::from_jwks_json(&huge).unwrap_err().code(),
        "ERR_JWK_INVALID"
    );
}
