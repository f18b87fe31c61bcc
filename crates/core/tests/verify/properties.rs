//! Property tests (proptest) of the time rules and of the revocation snapshot, each against a
//! reference model written from docs/verification.md:
//! - the time rules (exp, nbf, iat, max age, with tolerance) on integer times, modelled with
//!   exact 128-bit arithmetic: never more lenient than the model, and equal to it wherever no
//!   sum leaves the i64 range (there the core saturates towards rejection, as documented);
//! - fractional NumericDates through full verification: rounded the strict way;
//! - `recheck` (what a verified-token cache runs on every hit) gives the same verdict as a
//!   full `verify` of the same token at every later time and after every feed, so a cache
//!   never serves a token at or after `exp + tolerance` nor after its revocation reached the
//!   verifier;
//! - a verifier fed a sequence of polled feeds never drops an entry before `exp + tolerance`
//!   on its clock, even when later feeds no longer list it, and holds nothing else.

use std::collections::HashMap;

use proptest::prelude::*;
use revocable_core::{Algorithm, Claims, Error, Policy, Verifier};
use serde_json::{json, Map, Value};

use crate::common::{signing_key, verifier_for, AUD, ISS, NOW};

/// Times near NOW (where the boundaries are), plus the ends of the i64 range.
fn time() -> impl Strategy<Value = i64> {
    prop_oneof![
        8 => (NOW - 400)..(NOW + 400),
        1 => Just(i64::MAX),
        1 => Just(i64::MIN),
        1 => (i64::MAX - 1000)..=i64::MAX,
        1 => i64::MIN..(i64::MIN + 1000),
        1 => any::<i64>(),
    ]
}

fn tolerance() -> impl Strategy<Value = u32> {
    prop_oneof![4 => 0_u32..120, 1 => Just(u32::MAX), 1 => any::<u32>()]
}

/// What the model decides: Ok, or (code, claim) of the first failing rule.
type Verdict = Result<(), (&'static str, &'static str)>;

/// docs/verification.md "Claims", steps 6-9, in exact arithmetic. The second value says
/// whether any of the sums the core computes in i64 lies outside the i64 range.
fn model(
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
    policy: &Policy,
    now: i64,
) -> (Verdict, bool) {
    let fits = |x: i128| i128::from(i64::MIN) <= x && x <= i128::from(i64::MAX);
    let (now, tol) = (i128::from(now), i128::from(policy.clock_tolerance));
    let mut overflow = !fits(now + tol);
    let mut verdict: Verdict = Ok(());
    let fail = |v: &mut Verdict, e| {
        if v.is_ok() {
            *v = Err(e);
        }
    };
    match exp {
        Some(exp) => {
            overflow |= !fits(i128::from(exp) + tol);
            if now >= i128::from(exp) + tol {
                fail(&mut verdict, ("ERR_JWT_EXPIRED", "exp"));
            }
        }
        None if policy.require_exp => {
            fail(&mut verdict, ("ERR_JWT_CLAIM_VALIDATION_FAILED", "exp"))
        }
        None => {}
    }
    if nbf.is_some_and(|nbf| i128::from(nbf) > now + tol) {
        fail(&mut verdict, ("ERR_JWT_CLAIM_VALIDATION_FAILED", "nbf"));
    }
    if iat.is_some_and(|iat| i128::from(iat) > now + tol) {
        fail(&mut verdict, ("ERR_JWT_CLAIM_VALIDATION_FAILED", "iat"));
    }
    if let Some(max_age) = policy.max_token_age {
        match iat {
            None => fail(&mut verdict, ("ERR_JWT_CLAIM_VALIDATION_FAILED", "iat")),
            Some(iat) => {
                overflow |= !fits(now - i128::from(iat));
                if now - i128::from(iat) > i128::from(max_age) + tol {
                    fail(&mut verdict, ("ERR_JWT_EXPIRED", "iat"));
                }
            }
        }
    }
    (verdict, overflow)
}

fn verdict_of(result: Result<(), Error>) -> Result<(), (String, String)> {
    result.map_err(|e| {
        (
            e.code().to_owned(),
            e.claim().unwrap_or_default().to_owned(),
        )
    })
}

fn owned(v: Verdict) -> Result<(), (String, String)> {
    v.map_err(|(code, claim)| (code.to_owned(), claim.to_owned()))
}

fn hs256_verifier(policy: Policy) -> Verifier {
    verifier_for(&signing_key(Algorithm::Hs256), policy)
}

fn claims_with(exp: Option<i64>, nbf: Option<i64>, iat: Option<i64>) -> Claims {
    let mut claims = Claims::default();
    claims.exp = exp;
    claims.nbf = nbf;
    claims.iat = iat;
    claims
}

proptest! {
    // No regression files written into the source tree from `make test`: a failure prints its
    // minimal input, which becomes a named unit test.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn time_rules_match_the_reference_model(
        exp in proptest::option::weighted(0.9, time()),
        nbf in proptest::option::of(time()),
        iat in proptest::option::of(time()),
        tol in tolerance(),
        max_age in proptest::option::of(prop_oneof![0_u32..600, Just(u32::MAX)]),
        require_exp in proptest::bool::weighted(0.8),
        now in time(),
    ) {
        let mut policy = Policy::new([ISS], [AUD]).with_clock_tolerance(tol);
        if let Some(max_age) = max_age {
            policy = policy.with_max_token_age(max_age);
        }
        if !require_exp {
            policy = policy.with_exp_optional();
        }
        let (expected, overflow) = model(exp, nbf, iat, &policy, now);
        let actual = verdict_of(hs256_verifier(policy).recheck(&claims_with(exp, nbf, iat), now));
        // Never more lenient than the exact rules.
        if expected.is_err() {
            prop_assert!(actual.is_err(), "accepted what the exact rules reject: {expected:?}");
        }
        // Equal wherever no sum leaves i64 (there the core saturates towards rejection).
        if !overflow {
            prop_assert_eq!(actual, owned(expected));
        }
    }

    #[test]
    fn fractional_times_round_towards_rejection(
        exp in (NOW - 50) as f64..(NOW + 50) as f64,
        nbf in proptest::option::of((NOW - 50) as f64..(NOW + 50) as f64),
        iat in proptest::option::of((NOW - 100) as f64..(NOW + 50) as f64),
        tol in 0_u32..5,
        max_age in proptest::option::of(0_u32..100),
        now in (NOW - 60)..(NOW + 60),
    ) {
        let key = signing_key(Algorithm::Hs256);
        let mut policy = Policy::new([ISS], [AUD]).with_clock_tolerance(tol);
        if let Some(max_age) = max_age {
            policy = policy.with_max_token_age(max_age);
        }
        let mut claims = Map::new();
        claims.insert("iss".into(), ISS.into());
        claims.insert("aud".into(), AUD.into());
        claims.insert("exp".into(), json!(exp));
        if let Some(nbf) = nbf {
            claims.insert("nbf".into(), json!(nbf));
        }
        if let Some(iat) = iat {
            claims.insert("iat".into(), json!(iat));
        }
        let token = key.sign(&claims, None).unwrap();
        let actual = verdict_of(verifier_for(&key, policy.clone()).verify(&token, now).map(|_| ()));

        // The model on real numbers: valid while now < exp + tol, nbf <= now + tol,
        // iat <= now + tol, now - iat <= max_age + tol.
        let (n, t) = (now as f64, f64::from(tol));
        // Presence (a max age needs iat) comes before the time checks.
        let expected: Verdict = if max_age.is_some() && iat.is_none() {
            Err(("ERR_JWT_CLAIM_VALIDATION_FAILED", "iat"))
        } else if n >= exp.floor() + t {
            Err(("ERR_JWT_EXPIRED", "exp"))
        } else if nbf.is_some_and(|nbf| nbf.ceil() > n + t) {
            Err(("ERR_JWT_CLAIM_VALIDATION_FAILED", "nbf"))
        } else if iat.is_some_and(|iat| iat.ceil() > n + t) {
            Err(("ERR_JWT_CLAIM_VALIDATION_FAILED", "iat"))
        } else if let (Some(max_age), Some(iat)) = (max_age, iat) {
            if n - iat.floor() > f64::from(max_age) + t {
                Err(("ERR_JWT_EXPIRED", "iat"))
            } else {
                Ok(())
            }
        } else {
            Ok(())
        };
        prop_assert_eq!(actual, owned(expected));
        // The strict direction: a fraction never buys time. Accepted at `now` means every
        // rule holds for the real-valued claims too.
        if expected.is_ok() {
            prop_assert!(n < exp + t);
            prop_assert!(nbf.is_none_or(|nbf| nbf <= n + t));
            prop_assert!(iat.is_none_or(|iat| iat <= n + t));
            if let (Some(max_age), Some(iat)) = (max_age, iat) {
                prop_assert!(n - iat <= f64::from(max_age) + t);
            }
        }
    }

    /// What a verified-token cache relies on: after a token verified once, `recheck` of its
    /// claims at any later time and after any feed gives exactly what a full `verify` of the
    /// token would; in particular never a pass at or after `exp + tolerance`.
    #[test]
    fn recheck_agrees_with_verify_at_every_later_time_and_feed(
        lifetime in 1_i64..600,
        tol in 0_u32..90,
        max_age in proptest::option::of(1_u32..900),
        steps in proptest::collection::vec(
            (0_i64..200, proptest::option::of((0_u8..4, 0_i64..700, -5_i64..5))),
            1..12,
        ),
    ) {
        let key = signing_key(Algorithm::Hs256);
        let mut policy = Policy::new([ISS], [AUD]).with_clock_tolerance(tol);
        if let Some(max_age) = max_age {
            policy = policy.with_max_token_age(max_age);
        }
        let mut verifier = verifier_for(&key, policy);
        let claims = json!({"iss": ISS, "aud": AUD, "sub": "user-1", "sid": "session-1",
            "jti": "token-1", "iat": NOW, "exp": NOW + lifetime});
        let Value::Object(claims) = claims else { unreachable!() };
        let token = key.sign(&claims, Some("at+jwt")).unwrap();
        let cached = verifier.verify(&token, NOW).unwrap().claims;

        let mut now = NOW;
        for (advance, feed) in steps {
            now += advance;
            if let Some((kind, exp_offset, nb_offset)) = feed {
                let exp = NOW + exp_offset;
                let body = match kind {
                    0 => json!({"generated_at": now, "jti": [{"id": "token-1", "exp": exp}]}),
                    1 => json!({"generated_at": now, "sid": [{"id": "session-1", "exp": exp}]}),
                    2 => json!({"generated_at": now,
                        "sub": [{"id": "user-1", "not_before": NOW + nb_offset, "exp": exp}]}),
                    _ => json!({"generated_at": now}),
                };
                verifier.update_revocations(&body.to_string(), now).unwrap();
            }
            let fresh = verdict_of(verifier.verify(&token, now).map(|_| ()));
            let hit = verdict_of(verifier.recheck(&cached, now));
            prop_assert_eq!(&hit, &fresh, "at now = NOW + {}", now - NOW);
            if now >= NOW + lifetime + i64::from(tol) {
                prop_assert_eq!(hit, Err(("ERR_JWT_EXPIRED".to_owned(), "exp".to_owned())));
            }
        }
    }

    /// The feed's carry-over: whatever later feeds say (they may omit an entry: the issuer
    /// dropped it on its own clock, or a cached copy has not seen it yet), an entry the
    /// verifier has seen keeps revoking until `exp + tolerance` on the verifier's clock, and
    /// the snapshot holds exactly the entries still needed.
    #[test]
    fn polled_feeds_never_drop_an_entry_early(
        tol in 0_u32..120,
        polls in proptest::collection::vec(
            (
                0_i64..90,
                proptest::collection::vec((0_u8..3, 0_u8..6, -30_i64..400, -30_i64..30), 0..6),
            ),
            1..10,
        ),
    ) {
        let mut verifier = hs256_verifier(Policy::new([ISS], [AUD]).with_clock_tolerance(tol));
        // Per kind and id: the latest exp seen, and for subjects every (not_before, exp).
        let mut seen: [HashMap<String, i64>; 3] = Default::default();
        let mut subjects: Vec<(String, i64, i64)> = Vec::new();
        let mut now = NOW;
        for (advance, entries) in polls {
            now += advance;
            let mut feed = json!({"generated_at": now, "jti": [], "sid": [], "sub": []});
            for (kind, id, exp_offset, nb_offset) in entries {
                let id = format!("id-{id}");
                let exp = now + exp_offset;
                let entry = if kind == 2 {
                    subjects.push((id.clone(), now + nb_offset, exp));
                    json!({"id": id, "not_before": now + nb_offset, "exp": exp})
                } else {
                    json!({"id": id, "exp": exp})
                };
                let list = ["jti", "sid", "sub"][usize::from(kind)];
                feed[list].as_array_mut().unwrap().push(entry);
                let latest = seen[usize::from(kind)].entry(id).or_insert(exp);
                *latest = (*latest).max(exp);
            }
            verifier.update_revocations(&feed.to_string(), now).unwrap();

            let horizon = now - i64::from(tol);
            let needed: usize = seen.iter().map(|m| m.values().filter(|e| **e >= horizon).count()).sum();
            prop_assert_eq!(verifier.revocations().len(), needed);
            for (kind, map) in seen.iter().enumerate() {
                for (id, exp) in map.iter().filter(|(_, e)| **e >= horizon) {
                    let mut claims = Claims::default();
                    match kind {
                        0 => claims.jti = Some(id.clone()),
                        1 => claims.sid = Some(id.clone()),
                        _ => continue,
                    }
                    prop_assert!(verifier.revocations().check(&claims).is_err(),
                        "kind {kind} {id} (exp {exp}) dropped at horizon {horizon}");
                }
            }
            for (id, not_before, exp) in subjects.iter().filter(|(_, _, e)| *e >= horizon) {
                let mut claims = Claims::default();
                claims.sub = Some(id.clone());
                claims.iat = Some(not_before - 1);
                prop_assert!(verifier.revocations().check(&claims).is_err(),
                    "subject {id} (not_before {not_before}, exp {exp}) dropped at horizon {horizon}");
            }
        }
    }
}
