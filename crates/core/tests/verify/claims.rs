//! The claims policy: boundaries, types, issuer/audience, typ, max age, required claims,
//! crit.

use revocable_core::{Algorithm, KeySet, Verifier};
use serde_json::{json, Map, Value};

use crate::common::*;

const EXPIRED: &str = "ERR_JWT_EXPIRED";
const CLAIM: &str = "ERR_JWT_CLAIM_VALIDATION_FAILED";

/// Signs `claims()` with the given members replaced (`null` removes a member).
fn token_with(changes: Value) -> String {
    let key = signing_key(Algorithm::EdDsa);
    let mut c = claims();
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            c.remove(name);
        } else {
            c.insert(name.clone(), value.clone());
        }
    }
    key.sign(&c, Some("at+jwt")).unwrap()
}

/// Signs a payload given as raw JSON text (for values `json!` cannot express).
fn token_raw_payload(payload: &str) -> String {
    let key = signing_key(Algorithm::EdDsa);
    raw_token(&key, &header_for(&key), payload)
}

fn verifier(policy: revocable_core::Policy) -> Verifier {
    verifier_for(&signing_key(Algorithm::EdDsa), policy)
}

/// Verifies `token` at each time: `None` must pass, `Some(code)` must fail with `code` and
/// `claim` "check_failed".
fn at_times(v: &Verifier, token: &str, claim: &str, cases: &[(i64, Option<&str>)]) {
    for &(now, code) in cases {
        match code {
            None => assert!(v.verify(token, now).is_ok(), "{claim} at {now}"),
            Some(code) => expect_claim(v.verify(token, now), code, claim, "check_failed"),
        }
    }
}

#[test]
fn exp_and_nbf_boundaries_with_and_without_tolerance() {
    let exp = token_with(json!({"exp": NOW, "iat": NOW - 60}));
    let nbf = token_with(json!({"nbf": NOW, "iat": NOW - 60}));
    let (expired, early) = (Some(EXPIRED), Some(CLAIM));
    // (claim, token, clock tolerance, the instants checked)
    let cases = [
        (
            "exp",
            &exp,
            0,
            [(NOW - 1, None), (NOW, expired), (NOW + 1, expired)],
        ),
        (
            "exp",
            &exp,
            10,
            [(NOW + 9, None), (NOW + 10, expired), (NOW + 11, expired)],
        ),
        (
            "nbf",
            &nbf,
            0,
            [(NOW - 1, early), (NOW, None), (NOW + 1, None)],
        ),
        (
            "nbf",
            &nbf,
            10,
            [(NOW - 10, None), (NOW - 11, early), (NOW - 9, None)],
        ),
    ];
    for (claim, token, tolerance, times) in cases {
        let v = verifier(policy().with_clock_tolerance(tolerance));
        at_times(&v, token, claim, &times);
    }
}

#[test]
fn iat_in_the_future_and_max_token_age() {
    let future = token_with(json!({"iat": NOW + 1}));
    expect_claim(
        verifier(policy()).verify(&future, NOW),
        CLAIM,
        "iat",
        "check_failed",
    );
    assert!(verifier(policy().with_clock_tolerance(1))
        .verify(&future, NOW)
        .is_ok());

    let aged = verifier(policy().with_max_token_age(60));
    let token = token_with(json!({"iat": NOW - 60}));
    let too_old = Some(EXPIRED);
    at_times(&aged, &token, "iat", &[(NOW, None), (NOW + 1, too_old)]);
    at_times(
        &verifier(policy().with_max_token_age(60).with_clock_tolerance(5)),
        &token,
        "iat",
        &[(NOW + 5, None), (NOW + 6, too_old)],
    );
    // A fractional iat counts as the earlier instant it is for the age: 60.5 s > 60 s.
    let fractional = token_with(json!({"iat": NOW as f64 - 60.5}));
    at_times(
        &aged,
        &fractional,
        "iat",
        &[(NOW, too_old), (NOW - 1, None)],
    );
    let no_iat = token_with(json!({"iat": null}));
    expect_claim(aged.verify(&no_iat, NOW), CLAIM, "iat", "missing");
    assert!(verifier(policy()).verify(&no_iat, NOW).is_ok());
}

#[test]
fn numeric_dates_as_strings_floats_and_extremes() {
    let v = verifier(policy());
    for (changes, claim) in [
        (json!({"exp": "1700000300"}), "exp"),
        (json!({"exp": true}), "exp"),
        (json!({"exp": [NOW + 300]}), "exp"),
        (json!({"exp": {"t": 1}}), "exp"),
        (json!({"nbf": "1699999000"}), "nbf"),
        (json!({"nbf": false}), "nbf"),
        (json!({"iat": "1700000000"}), "iat"),
    ] {
        expect_claim(
            v.verify(&token_with(changes.clone()), NOW),
            CLAIM,
            claim,
            "invalid",
        );
    }
    expect_claim(
        v.verify(
            &token_raw_payload(r#"{"iss":"https://issuer.example","aud":"api","exp":null}"#),
            NOW,
        ),
        CLAIM,
        "exp",
        "invalid",
    );

    // Fractions: exp rounds down, nbf and iat round up.
    let token = token_with(json!({"exp": NOW as f64 + 0.9, "iat": NOW - 10}));
    assert!(v.verify(&token, NOW - 1).is_ok());
    expect_claim(v.verify(&token, NOW), EXPIRED, "exp", "check_failed");
    let token = token_with(json!({"nbf": NOW as f64 + 0.1, "iat": NOW - 10}));
    expect_claim(v.verify(&token, NOW), CLAIM, "nbf", "check_failed");
    assert!(v.verify(&token, NOW + 1).is_ok());
    let token = token_with(json!({"iat": NOW as f64 + 0.1}));
    expect_claim(v.verify(&token, NOW), CLAIM, "iat", "check_failed");
    let token = token_with(json!({"exp": 1.7e9 + 300.5, "iat": 1.7e9}));
    assert!(v.verify(&token, NOW).is_ok());

    // Extremes saturate instead of overflowing or panicking.
    let far = token_raw_payload(
        r#"{"iss":"https://issuer.example","aud":"api","exp":1e300,"nbf":-1e300,"iat":-5}"#,
    );
    assert!(v.verify(&far, NOW).is_ok());
    let past = token_raw_payload(r#"{"iss":"https://issuer.example","aud":"api","exp":-1e300}"#);
    expect_claim(v.verify(&past, NOW), EXPIRED, "exp", "check_failed");
    let huge = token_raw_payload(
        r#"{"iss":"https://issuer.example","aud":"api","exp":123456789012345678901234567890}"#,
    );
    assert!(v.verify(&huge, NOW).is_ok());
    assert!(v.verify(&huge, i64::MAX).is_err());
    let negative = token_with(json!({"exp": -1}));
    expect_claim(v.verify(&negative, NOW), EXPIRED, "exp", "check_failed");
    // A (silly) 136-year tolerance is honoured without overflow.
    assert!(verifier(policy().with_clock_tolerance(u32::MAX))
        .verify(&negative, NOW)
        .is_ok());
}

#[test]
fn exp_is_required_by_default() {
    let token = token_with(json!({"exp": null}));
    expect_claim(
        verifier(policy()).verify(&token, NOW),
        CLAIM,
        "exp",
        "missing",
    );
    assert!(verifier(policy().with_exp_optional())
        .verify(&token, NOW)
        .is_ok());
}

#[test]
fn issuer_checks() {
    let v = verifier(policy());
    expect_claim(
        v.verify(&token_with(json!({"iss": "https://evil.example"})), NOW),
        CLAIM,
        "iss",
        "check_failed",
    );
    expect_claim(
        v.verify(&token_with(json!({"iss": "https://issuer.example/"})), NOW),
        CLAIM,
        "iss",
        "check_failed",
    );
    expect_claim(
        v.verify(&token_with(json!({"iss": null})), NOW),
        CLAIM,
        "iss",
        "missing",
    );
    expect_claim(
        v.verify(&token_with(json!({"iss": 1})), NOW),
        CLAIM,
        "iss",
        "invalid",
    );
    expect_claim(
        v.verify(&token_with(json!({"iss": ["https://issuer.example"]})), NOW),
        CLAIM,
        "iss",
        "invalid",
    );
    let several = verifier(revocable_core::Policy::new(
        ["https://a.example", ISS],
        [AUD],
    ));
    assert!(several.verify(&token_with(json!({})), NOW).is_ok());
}

#[test]
fn audience_checks() {
    let v = verifier(policy());
    assert!(v
        .verify(&token_with(json!({"aud": ["other", "api"]})), NOW)
        .is_ok());
    expect_claim(
        v.verify(&token_with(json!({"aud": "other"})), NOW),
        CLAIM,
        "aud",
        "check_failed",
    );
    expect_claim(
        v.verify(&token_with(json!({"aud": ["other", "API"]})), NOW),
        CLAIM,
        "aud",
        "check_failed",
    );
    expect_claim(
        v.verify(&token_with(json!({"aud": []})), NOW),
        CLAIM,
        "aud",
        "check_failed",
    );
    expect_claim(
        v.verify(&token_with(json!({"aud": null})), NOW),
        CLAIM,
        "aud",
        "missing",
    );
    expect_claim(
        v.verify(&token_with(json!({"aud": [1]})), NOW),
        CLAIM,
        "aud",
        "invalid",
    );
    expect_claim(
        v.verify(&token_with(json!({"aud": {"api": true}})), NOW),
        CLAIM,
        "aud",
        "invalid",
    );
    let several = verifier(revocable_core::Policy::new([ISS], ["billing", "api"]));
    assert!(several
        .verify(&token_with(json!({"aud": "api"})), NOW)
        .is_ok());
    assert!(several
        .verify(&token_with(json!({"aud": ["x", "billing"]})), NOW)
        .is_ok());
}

#[test]
fn other_registered_claims_must_be_strings() {
    let v = verifier(policy());
    for claim in ["sub", "jti", "sid", "scope"] {
        expect_claim(
            v.verify(&token_with(json!({claim: 5})), NOW),
            CLAIM,
            claim,
            "invalid",
        );
    }
    // Type errors come before every other claim check (here: wrong issuer, expired).
    let token = token_with(json!({"sub": 5, "iss": "x", "exp": 1}));
    expect_claim(v.verify(&token, NOW), CLAIM, "sub", "invalid");
}

#[test]
fn typ_follows_rfc8725() {
    let key = signing_key(Algorithm::EdDsa);
    let v = verifier(policy().with_typ("at+jwt"));
    for typ in [
        "at+jwt",
        "AT+JWT",
        "application/at+jwt",
        "Application/At+Jwt",
    ] {
        assert!(
            v.verify(&key.sign(&claims(), Some(typ)).unwrap(), NOW)
                .is_ok(),
            "{typ}"
        );
    }
    for typ in [
        "JWT",
        "jwt",
        "at+jwt2",
        "application/jwt",
        "at+jwt; charset=utf-8",
    ] {
        expect_claim(
            v.verify(&key.sign(&claims(), Some(typ)).unwrap(), NOW),
            CLAIM,
            "typ",
            "check_failed",
        );
    }
    expect_claim(
        v.verify(&key.sign(&claims(), None).unwrap(), NOW),
        CLAIM,
        "typ",
        "missing",
    );
    let prefixed = verifier(policy().with_typ("application/AT+JWT"));
    assert!(prefixed
        .verify(&key.sign(&claims(), Some("at+jwt")).unwrap(), NOW)
        .is_ok());
    // Without a typ policy any typ is accepted.
    assert!(verifier(policy())
        .verify(&key.sign(&claims(), Some("JWT")).unwrap(), NOW)
        .is_ok());
}

#[test]
fn required_claims() {
    let v = verifier(policy().with_required_claims(["email", "sub"]));
    expect_claim(
        v.verify(&token_with(json!({})), NOW),
        CLAIM,
        "email",
        "missing",
    );
    assert!(v
        .verify(&token_with(json!({"email": "a@example.com"})), NOW)
        .is_ok());
    expect_claim(
        v.verify(
            &token_with(json!({"email": "a@example.com", "sub": null})),
            NOW,
        ),
        CLAIM,
        "sub",
        "missing",
    );
    // Presence is presence: a null custom claim is present.
    let null_email = token_raw_payload(
        r#"{"iss":"https://issuer.example","aud":"api","exp":1700000300,"sub":"u","email":null}"#,
    );
    assert!(v.verify(&null_email, NOW).is_ok());
}

#[test]
fn claim_check_order() {
    let v = verifier(policy().with_typ("at+jwt"));
    let key = signing_key(Algorithm::EdDsa);
    let check = |c: &Map<String, Value>, typ: &str, code: &str, claim: &str, reason: &str| {
        expect_claim(
            v.verify(&key.sign(c, Some(typ)).unwrap(), NOW),
            code,
            claim,
            reason,
        );
    };
    // Wrong typ beats wrong issuer, missing aud and expiry.
    let mut c = claims();
    c.insert("iss".into(), "x".into());
    c.remove("aud");
    c.insert("exp".into(), json!(1));
    check(&c, "JWT", CLAIM, "typ", "check_failed");
    // Then presence (aud) before issuer value and expiry.
    check(&c, "at+jwt", CLAIM, "aud", "missing");
    // Then issuer before audience and expiry.
    c.insert("aud".into(), "other".into());
    check(&c, "at+jwt", CLAIM, "iss", "check_failed");
    c.insert("iss".into(), ISS.into());
    check(&c, "at+jwt", CLAIM, "aud", "check_failed");
    c.insert("aud".into(), AUD.into());
    check(&c, "at+jwt", EXPIRED, "exp", "check_failed");
}

#[test]
fn crit_variants() {
    let key = signing_key(Algorithm::EdDsa);
    let understood = verifier(policy().with_critical(["x-tenant"]));
    let plain = verifier(policy());
    let payload = Value::Object(claims()).to_string();
    let with = |header: &str| raw_token(&key, header, &payload);
    let kid = key.kid();
    let ok = with(&format!(
        r#"{{"alg":"EdDSA","kid":"{kid}","crit":["x-tenant"],"x-tenant":"a"}}"#
    ));
    assert!(understood.verify(&ok, NOW).is_ok());
    expect_err(plain.verify(&ok, NOW), "ERR_JWS_INVALID");
    for header in [
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":["x-tenant"]}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":[],"x-tenant":"a"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":["alg"]}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":["kid"]}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":"x-tenant","x-tenant":"a"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":[null],"x-tenant":"a"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":["x-tenant","x-tenant"],"x-tenant":"a"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","crit":["x-other"],"x-other":"a"}}"#),
    ] {
        expect_err(understood.verify(&with(&header), NOW), "ERR_JWS_INVALID");
    }
    // An understood extension that is not critical is fine without crit.
    let extension_only = with(&format!(
        r#"{{"alg":"EdDSA","kid":"{kid}","x-tenant":"a"}}"#
    ));
    assert!(understood.verify(&extension_only, NOW).is_ok());
    // The policy cannot claim to understand registered names.
    let keys = KeySet::single(key.verifying_key());
    for name in ["alg", "b64", "crit", ""] {
        assert_eq!(
            Verifier::new(keys.clone(), policy().with_critical([name]))
                .unwrap_err()
                .code(),
            "ERR_INVALID_OPTIONS"
        );
    }
}

#[test]
fn unsupported_header_features() {
    let key = signing_key(Algorithm::EdDsa);
    let v = verifier(policy());
    let payload = Value::Object(claims()).to_string();
    let kid = key.kid();
    for header in [
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","b64":false,"crit":["b64"]}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","b64":false}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","zip":"DEF"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","cty":"JWT"}}"#),
        format!(r#"{{"alg":"EdDSA","kid":"{kid}","cty":"application/jwt"}}"#),
    ] {
        expect_err(
            v.verify(&raw_token(&key, &header, &payload), NOW),
            "ERR_JOSE_NOT_SUPPORTED",
        );
    }
    let fine = format!(r#"{{"alg":"EdDSA","kid":"{kid}","b64":true,"cty":"json"}}"#);
    assert!(v.verify(&raw_token(&key, &fine, &payload), NOW).is_ok());
}

#[test]
fn verified_output() {
    let key = signing_key(Algorithm::EdDsa);
    let v = verifier(policy());
    let mut c = claims();
    c.insert(
        "custom".into(),
        json!({"nested": [1, 2, {"x": "y"}], "unicode": "h\u{e9}llo"}),
    );
    let verified = v
        .verify(&key.sign(&c, Some("at+jwt")).unwrap(), NOW)
        .unwrap();
    let payload: Value = serde_json::from_str(&verified.payload).unwrap();
    assert_eq!(payload, Value::Object(c));
    let claims = &verified.claims;
    assert_eq!(claims.iss.as_deref(), Some(ISS));
    assert_eq!(claims.jti.as_deref(), Some("token-1"));
    assert_eq!(claims.sid.as_deref(), Some("session-1"));
    assert_eq!(claims.scope.as_deref(), Some("read write"));
    assert_eq!(
        (claims.iat, claims.exp, claims.nbf),
        (Some(NOW), Some(NOW + 300), None)
    );
    assert!(claims.aud.as_ref().unwrap().contains(AUD));
    // recheck runs only the time-dependent checks.
    assert!(v.recheck(claims, NOW + 299).is_ok());
    assert_eq!(v.recheck(claims, NOW + 300).unwrap_err().code(), EXPIRED);
}
