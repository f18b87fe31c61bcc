use super::*;
use crate::{Algorithm, Error};

const ED: &str =
    r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
const EC: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
const OCT: &str = r#"{"kty":"oct","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;

/// The public keys of every family this build supports (usage checks apply to each alike).
fn supported() -> Vec<&'static str> {
    let mut keys = vec![ED];
    if cfg!(feature = "ecdsa") {
        keys.push(EC);
    }
    keys
}

fn with(base: &str, extra: &str) -> String {
    format!("{},{}", &base[..base.len() - 1], &extra[1..])
}

/// `{"keys":[...]}` of the given JWKs.
fn jwks(keys: &[&str]) -> String {
    format!(r#"{{"keys":[{}]}}"#, keys.join(","))
}

/// The error importing one JWK fails with.
fn import_error(json: &str) -> Error {
    Key::from_jwk_json(json).unwrap_err()
}

#[test]
fn algorithm_comes_from_kty_and_crv_when_unambiguous() {
    let mut cases = vec![(ED, Algorithm::EdDsa), (OCT, Algorithm::Hs256)];
    if cfg!(feature = "ecdsa") {
        cases.push((EC, Algorithm::Es256));
    }
    for (jwk, alg) in cases {
        assert_eq!(Key::from_jwk_json(jwk).unwrap().algorithm(), alg, "{jwk}");
    }
}

#[test]
fn alg_must_fit_the_key() {
    let mut cases = vec![(ED, r#"{"alg":"ES256"}"#), (ED, r#"{"alg":"HS256"}"#)];
    if cfg!(feature = "ecdsa") {
        for bad in [
            r#"{"alg":"ES384"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"RS256"}"#,
        ] {
            cases.push((EC, bad));
        }
    }
    for (base, bad) in cases {
        assert_eq!(
            import_error(&with(base, bad)),
            Error::InvalidJwk("alg does not fit the key type or curve"),
            "{base} {bad}"
        );
    }
    assert_eq!(
        import_error(&with(ED, r#"{"alg":"none"}"#)),
        Error::InvalidJwk("a key cannot be for alg none")
    );
    assert_eq!(
        import_error(&with(ED, r#"{"alg":"ES256K"}"#)).code(),
        "ERR_JOSE_NOT_SUPPORTED"
    );
}

#[test]
fn oct_and_rsa_need_alg() {
    let oct = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
    assert_eq!(
        import_error(oct),
        Error::InvalidJwk("rsa and oct keys need an alg")
    );
}

#[test]
fn private_members_are_rejected() {
    for (base, d) in [
        (EC, r#"{"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#),
        (ED, r#"{"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#),
    ] {
        assert_eq!(
            import_error(&with(base, d)),
            Error::InvalidJwk("a verification key must not contain private key members")
        );
    }
}

#[test]
fn use_and_key_ops() {
    for base in supported() {
        assert!(Key::from_jwk_json(&with(base, r#"{"use":"sig","key_ops":["verify"]}"#)).is_ok());
        for (extra, error) in [
            (
                r#"{"use":"sig","key_ops":["encrypt"]}"#,
                "use and key_ops disagree",
            ),
            (
                r#"{"key_ops":["verify","verify"]}"#,
                "key_ops has a duplicate value",
            ),
            (r#"{"key_ops":["sign"]}"#, "key_ops does not include verify"),
            (r#"{"use":"enc"}"#, "key is not for signatures (use)"),
        ] {
            assert_eq!(
                import_error(&with(base, extra)),
                Error::InvalidJwk(error),
                "{base} {extra}"
            );
        }
    }
}

/// The duplicate check on `key_ops` must not be quadratic: a hostile key set (a remote
/// JWKS) of 1 MiB with 100k distinct values takes 28 s (debug) with pairwise comparison.
#[test]
fn huge_key_ops_are_checked_in_linear_time() {
    let ops: Vec<String> = (0..100_000).map(|i| format!(r#""{i:x}""#)).collect();
    let distinct = with(
        ED,
        &format!(r#"{{"key_ops":["verify",{}]}}"#, ops.join(",")),
    );
    let started = std::time::Instant::now();
    assert!(Key::from_jwk_json(&distinct).is_ok());
    let repeated = with(
        ED,
        &format!(r#"{{"key_ops":["verify",{},"1869f"]}}"#, ops.join(",")),
    );
    assert_eq!(
        import_error(&repeated),
        Error::InvalidJwk("key_ops has a duplicate value")
    );
    let elapsed = started.elapsed();
    assert!(elapsed.as_secs() < 10, "{elapsed:?}");
}

#[test]
fn duplicate_members_and_bad_base64_are_malformed() {
    let dup = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    assert_eq!(import_error(dup), Error::InvalidJwk("malformed jwk json"));
    let padded =
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#;
    assert_eq!(
        import_error(padded),
        Error::InvalidJwk("a jwk member is not strict base64url")
    );
}

#[test]
fn jwks_skips_with_reasons_and_fails_on_malformed() {
    let set = KeySet::from_jwks_json(&jwks(&[
        &with(EC, r#"{"use":"enc","kid":"enc"}"#),
        r#"{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","kid":"x"}"#,
        r#"{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA","kid":"pq"}"#,
        r#"{"kty":"RSA","alg":"RSA-OAEP","n":"AQAB","e":"AQAB","kid":"oaep"}"#,
        &with(EC, r#"{"key_ops":["sign"],"kid":"s"}"#),
        r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"noalg"}"#,
        &with(ED, r#"{"kid":"ed"}"#),
    ]))
    .unwrap();
    assert_eq!(set.len(), 1);
    assert_eq!(set.keys()[0].kid(), Some("ed"));
    let reasons: Vec<_> = set.skipped().iter().map(|s| (s.index, s.reason)).collect();
    // Without the `rsa` feature (or `host-keys`) an RSA key is skipped by its type before its
    // `alg` is read.
    let oaep = if cfg!(any(feature = "rsa", feature = "host-keys")) {
        SkipReason::UnsupportedAlgorithm
    } else {
        SkipReason::UnsupportedKeyType
    };
    assert_eq!(
        reasons,
        vec![
            (0, SkipReason::NotForSignatures),
            (1, SkipReason::UnsupportedCurve),
            (2, SkipReason::UnsupportedKeyType),
            (3, oaep),
            (4, SkipReason::NotForVerification),
            (5, SkipReason::AlgorithmRequired),
        ]
    );
    // A malformed entry fails the set.
    let mut malformed = vec![r#"{"kty":"OKP","crv":"Ed25519","x":"AA"}"#];
    if cfg!(feature = "ecdsa") {
        malformed.push(r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#);
    }
    for bad in malformed {
        assert_eq!(
            KeySet::from_jwks_json(&jwks(&[ED, bad]))
                .unwrap_err()
                .code(),
            "ERR_JWK_INVALID",
            "{bad}"
        );
    }
    // Nothing usable.
    assert_eq!(
        KeySet::from_jwks_json(&jwks(&[])).unwrap_err(),
        Error::InvalidJwk("no usable key in the key set")
    );
    assert_eq!(
        KeySet::from_jwks_json("[]").unwrap_err().code(),
        "ERR_JWK_INVALID"
    );
}

#[test]
fn public_jwks_skips_secret_keys() {
    let set = jwks(&[&with(OCT, r#"{"kid":"hs"}"#), &with(ED, r#"{"kid":"ed"}"#)]);
    let local = KeySet::from_jwks_json(&set).unwrap();
    assert_eq!(local.len(), 2);
    let public = KeySet::from_public_jwks_json(&set).unwrap();
    assert_eq!(public.len(), 1);
    assert_eq!(public.keys()[0].kid(), Some("ed"));
    assert_eq!(
        public.skipped(),
        &[SkippedKey {
            index: 0,
            kid: Some("hs".into()),
            reason: SkipReason::SecretKey
        }]
    );
    assert_eq!(SkipReason::SecretKey.as_str(), "secret_key");
    // Only secret keys: nothing usable.
    assert_eq!(
        KeySet::from_public_jwks_json(&jwks(&[OCT])).unwrap_err(),
        Error::InvalidJwk("no usable key in the key set")
    );
    // Everything else is checked as from_jwks_json does.
    for (base, d) in [
        (EC, r#"{"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#),
        (ED, r#"{"d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#),
    ] {
        assert_eq!(
            KeySet::from_public_jwks_json(&jwks(&[&with(base, d)]))
                .unwrap_err()
                .code(),
            "ERR_JWK_INVALID"
        );
    }
}

#[test]
fn duplicate_kids() {
    let a = |base: &str| with(base, r#"{"kid":"a"}"#);
    assert_eq!(
        KeySet::from_jwks_json(&jwks(&[&a(ED), &a(ED)]))
            .unwrap()
            .len(),
        1
    );
    let mut different = vec![OCT];
    if cfg!(feature = "ecdsa") {
        different.push(EC);
    }
    for other in different {
        assert_eq!(
            KeySet::from_jwks_json(&jwks(&[&a(ED), &a(other)])).unwrap_err(),
            Error::InvalidJwk("two different keys share a kid"),
            "{other}"
        );
    }
}

/// RFC 7638 §3.1 example.
#[cfg(feature = "rsa")]
#[test]
fn thumbprint_matches_rfc7638() {
    let jwk = r#"{"kty":"RSA","alg":"RS256","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
    assert_eq!(
        Key::from_jwk_json(jwk).unwrap().thumbprint(),
        "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    );
}

/// RFC 8037 A.3: the thumbprint of the Ed25519 key of A.2.
#[test]
fn thumbprint_matches_rfc8037() {
    assert_eq!(
        Key::from_jwk_json(ED).unwrap().thumbprint(),
        "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    );
}

#[test]
fn debug_redacts_hmac_secrets() {
    let key =
        Key::from_secret(b"this is a secret of 32 bytes!!!!", Algorithm::Hs256, None).unwrap();
    assert!(!format!("{key:?}").contains("secret"));
}
