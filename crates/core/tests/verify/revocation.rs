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

/// The issuer's feed drops an entry once its `exp` has passed on the ISSUER's clock, and a
/// feed served from a cache that has not yet seen a revocation lacks it. A verifier
/// must not forget a revocation it has seen while it would still accept the token on its own
/// clock (until `exp + tolerance`): otherwise a revoked token comes back to life in the
/// tolerance window after its `exp`, or for as long as a stale feed is served.
#[test]
fn seen_revocations_survive_feeds_that_no_longer_list_them() {
    let key = signing_key(Algorithm::EdDsa);
    let exp = NOW + 300;
    let token = key.sign(&claims(), None).unwrap(); // jti token-1, sid session-1, exp NOW + 300
    let for_user = |iat: i64| {
        let mut c = claims();
        c.insert("jti".into(), json!("token-2"));
        c.insert("sid".into(), json!("session-2"));
        c.insert("iat".into(), json!(iat));
        key.sign(&c, None).unwrap()
    };
    let user_token = for_user(NOW - 10);
    let listed = json!({
        "generated_at": NOW,
        "jti": [{"id": "token-1", "exp": exp}],
        "sid": [{"id": "session-9", "exp": exp}],
        "sub": [{"id": "user-1", "not_before": NOW, "exp": exp}]
    })
    .to_string();
    // What the issuer serves one second after `exp`: every entry pruned.
    let pruned = json!({"generated_at": exp + 1}).to_string();

    let mut lenient = verifier_for(&key, policy().with_clock_tolerance(60));
    lenient.update_revocations(&listed, NOW).unwrap();
    expect_err(lenient.verify(&token, NOW), "ERR_JWT_REVOKED");
    lenient.update_revocations(&pruned, exp + 1).unwrap();
    assert_eq!(lenient.revocations().len(), 3);
    for now in [exp + 1, exp + 59] {
        let err = expect_err(lenient.verify(&token, now), "ERR_JWT_REVOKED");
        assert_eq!(err.claim(), Some("jti"));
        let err = expect_err(lenient.verify(&user_token, now), "ERR_JWT_REVOKED");
        assert_eq!(err.claim(), Some("sub"));
    }
    expect_err(lenient.verify(&token, exp + 60), "ERR_JWT_EXPIRED");
    // Past `exp + tolerance` nothing is carried any more: the snapshot stays bounded.
    lenient.update_revocations(&pruned, exp + 61).unwrap();
    assert!(lenient.revocations().is_empty());

    // A stale feed (another location, before the revocation reached it) does not undo a
    // revocation this verifier has already seen, even without tolerance.
    let mut strict = verifier_for(&key, policy());
    strict.update_revocations(&listed, NOW).unwrap();
    strict
        .update_revocations(&json!({"generated_at": NOW - 30}).to_string(), NOW + 5)
        .unwrap();
    expect_err(strict.verify(&token, NOW + 5), "ERR_JWT_REVOKED");
    let session_token = {
        let mut c = claims();
        c.insert("jti".into(), json!("token-3"));
        c.insert("sid".into(), json!("session-9"));
        key.sign(&c, None).unwrap()
    };
    expect_err(strict.verify(&session_token, NOW + 5), "ERR_JWT_REVOKED");
    // A later logout-everywhere for the same subject moves not_before forward.
    strict
        .update_revocations(
            &json!({"generated_at": NOW + 20,
                    "sub": [{"id": "user-1", "not_before": NOW + 20, "exp": exp + 20}]})
            .to_string(),
            NOW + 20,
        )
        .unwrap();
    let err = expect_err(
        strict.verify(&for_user(NOW + 10), NOW + 20),
        "ERR_JWT_REVOKED",
    );
    assert_eq!(err.claim(), Some("sub"));
    assert!(strict.verify(&for_user(NOW + 20), NOW + 20).is_ok());
}

/// `iat` is rounded up for the "issued in the future" check, but the logout-everywhere rule
/// (`iat < not_before`) must see a fractional `iat` as the earlier instant it is: a token
/// issued at 99.5 is older than a logout at 100.
#[test]
fn fractional_iat_before_not_before_is_revoked() {
    let key = signing_key(Algorithm::EdDsa);
    let mut verifier = verifier_for(&key, policy());
    verifier
        .update_revocations(
            &json!({"generated_at": NOW,
                    "sub": [{"id": "user-1", "not_before": NOW, "exp": NOW + 300}]})
            .to_string(),
            NOW,
        )
        .unwrap();
    let with_iat = |iat: &str| {
        let payload = format!(
            r#"{{"iss":"{ISS}","aud":"{AUD}","sub":"user-1","exp":{},"iat":{iat}}}"#,
            NOW + 300
        );
        raw_token(&key, &header_for(&key), &payload)
    };
    for iat in [format!("{}.5", NOW - 1), format!("{}.999", NOW - 1)] {
        let err = expect_err(verifier.verify(&with_iat(&iat), NOW), "ERR_JWT_REVOKED");
        assert_eq!(err.claim(), Some("sub"), "iat {iat}");
    }
    for iat in [format!("{NOW}"), format!("{NOW}.0"), format!("{}e0", NOW)] {
        assert!(verifier.verify(&with_iat(&iat), NOW).is_ok(), "iat {iat}");
    }
}
