//! The revocation snapshot inside the verifier: jti, sid, sub, tolerance, recheck.

use revocable_core::{Algorithm, RevocationSnapshot};
use serde_json::json;

use crate::common::*;

fn feed(now: i64) -> String {
    json!({
        "generated_at": now,
        "jti": [{"id": "token-1", "exp": now + 300}],
        "sid": [{"id": "session-9", "exp": now + 300}],
        "sub": [{"id": "user-7", "not_before": now, "exp": now + 300}]
    })
    .to_string()
}

#[test]
fn revoked_tokens_fail_after_every_other_check() {
    let key = signing_key(Algorithm::EdDsa);
    let mut verifier = verifier_for(&key, policy());
    verifier.update_revocations(&feed(NOW), NOW).unwrap();
    assert_eq!(verifier.revocations().len(), 3);

    let sign = |changes: serde_json::Value| {
        let mut c = claims();
        for (k, v) in changes.as_object().unwrap() {
            c.insert(k.clone(), v.clone());
        }
        key.sign(&c, None).unwrap()
    };
    let revoked = |token: &str, claim: &str| {
        let err = expect_err(verifier.verify(token, NOW), "ERR_JWT_REVOKED");
        assert_eq!(err.claim(), Some(claim));
    };
    revoked(&sign(json!({})), "jti");
    revoked(&sign(json!({"jti": "token-2", "sid": "session-9"})), "sid");
    revoked(
        &sign(json!({"jti": "token-2", "sub": "user-7", "iat": NOW - 1})),
        "sub",
    );
    assert!(verifier
        .verify(
            &sign(json!({"jti": "token-2", "sub": "user-7", "iat": NOW})),
            NOW
        )
        .is_ok());
    assert!(verifier
        .verify(&sign(json!({"jti": "token-2"})), NOW)
        .is_ok());
    // Revocation is the last check: an expired revoked token reports the expiry.
    expect_err(
        verifier.verify(&sign(json!({"exp": NOW - 1})), NOW),
        "ERR_JWT_EXPIRED",
    );

    // recheck (the cache path) sees a newer snapshot.
    let fresh = verifier
        .verify(&sign(json!({"jti": "token-3"})), NOW)
        .unwrap();
    assert!(verifier.recheck(&fresh.claims, NOW).is_ok());
    let mut feed_with_3: serde_json::Value = serde_json::from_str(&feed(NOW)).unwrap();
    feed_with_3["jti"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "token-3", "exp": NOW + 300}));
    verifier
        .update_revocations(&feed_with_3.to_string(), NOW)
        .unwrap();
    assert_eq!(
        verifier.recheck(&fresh.claims, NOW).unwrap_err().code(),
        "ERR_JWT_REVOKED"
    );
}

#[test]
fn a_bad_feed_keeps_the_previous_snapshot() {
    let key = signing_key(Algorithm::EdDsa);
    let mut verifier = verifier_for(&key, policy());
    verifier.update_revocations(&feed(NOW), NOW).unwrap();
    let err = verifier
        .update_revocations(r#"{"jti":"nope"}"#, NOW)
        .unwrap_err();
    assert_eq!(err.code(), "ERR_REVOCATION_FEED_INVALID");
    assert_eq!(verifier.revocations().len(), 3);
}

#[test]
fn entries_live_until_exp_plus_tolerance() {
    let key = signing_key(Algorithm::EdDsa);
    let mut c = claims();
    c.insert("exp".into(), json!(NOW + 300));
    let token = key.sign(&c, None).unwrap();
    let feed =
        json!({"generated_at": NOW, "jti": [{"id": "token-1", "exp": NOW + 300}]}).to_string();

    let mut lenient = verifier_for(&key, policy().with_clock_tolerance(60));
    // At exp + 30 the token is still accepted (tolerance), so the entry must still be there.
    lenient.update_revocations(&feed, NOW + 330).unwrap();
    expect_err(lenient.verify(&token, NOW + 330), "ERR_JWT_REVOKED");
    lenient.prune_revocations(NOW + 359);
    assert_eq!(lenient.revocations().len(), 1);
    lenient.prune_revocations(NOW + 361);
    assert!(lenient.revocations().is_empty());
    expect_err(lenient.verify(&token, NOW + 361), "ERR_JWT_EXPIRED");

    // The plain snapshot API drops at exp (callers with a tolerance pass now - tolerance).
    assert!(RevocationSnapshot::from_feed_json(&feed, NOW + 301)
        .unwrap()
        .is_empty());
    assert_eq!(
        RevocationSnapshot::from_feed_json(&feed, NOW + 300)
            .unwrap()
            .len(),
        1
    );
}
