//! The revocation feed: parsing (`RevocationSnapshot::from_feed_json`) and a verifier applying a
//! sequence of polled feeds (`Verifier::update_revocations`, `prune_revocations`) with a clock
//! tolerance, against a model of what must be kept.
//!
//! Input: `tolerance now0`, then steps separated by `\n--\n`, each `delta\nfeed JSON` (the
//! clock moves forward by |delta|; an empty feed means a prune at that time).
//! Invariants: documented error codes; a rejected feed leaves the snapshot as it was; after
//! every step the snapshot holds exactly the ids (per kind) whose latest `exp` seen in any
//! accepted feed is at or after `now - tolerance`, and each of them still revokes: no entry is
//! dropped early (a feed that no longer lists it included) and none is kept forever.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::fuzz_target;
use revocable_core::{
    Algorithm, Claims, KeySet, Policy, RevocationFeed, RevocationSnapshot, SigningKey, Verifier,
};
use revocable_fuzz::check_error;

#[derive(Default)]
struct Seen {
    jti: HashMap<String, i64>,
    sid: HashMap<String, i64>,
    // id -> (latest exp, every (not_before, exp) seen)
    sub: HashMap<String, (i64, Vec<(i64, i64)>)>,
}

impl Seen {
    fn add(&mut self, feed: &RevocationFeed) {
        for e in &feed.jti {
            let x = self.jti.entry(e.id.clone()).or_insert(e.exp);
            *x = (*x).max(e.exp);
        }
        for e in &feed.sid {
            let x = self.sid.entry(e.id.clone()).or_insert(e.exp);
            *x = (*x).max(e.exp);
        }
        for e in &feed.sub {
            let x = self.sub.entry(e.id.clone()).or_insert((e.exp, Vec::new()));
            x.0 = x.0.max(e.exp);
            x.1.push((e.not_before, e.exp));
        }
    }

    fn expected_len(&self, horizon: i64) -> usize {
        self.jti.values().filter(|exp| **exp >= horizon).count()
            + self.sid.values().filter(|exp| **exp >= horizon).count()
            + self.sub.values().filter(|(exp, _)| *exp >= horizon).count()
    }
}

fn claims(f: impl FnOnce(&mut Claims)) -> Claims {
    let mut c = Claims::default();
    f(&mut c);
    c
}

fn check_kept(snapshot: &RevocationSnapshot, seen: &Seen, horizon: i64) {
    assert_eq!(
        snapshot.len(),
        seen.expected_len(horizon),
        "snapshot size at horizon {horizon}"
    );
    for (id, exp) in seen.jti.iter().filter(|(_, exp)| **exp >= horizon) {
        let c = claims(|c| c.jti = Some(id.clone()));
        assert!(
            snapshot.check(&c).is_err(),
            "jti entry (exp {exp}) dropped before {horizon}"
        );
    }
    for (id, exp) in seen.sid.iter().filter(|(_, exp)| **exp >= horizon) {
        let c = claims(|c| c.sid = Some(id.clone()));
        assert!(
            snapshot.check(&c).is_err(),
            "sid entry (exp {exp}) dropped before {horizon}"
        );
    }
    for (id, (_, entries)) in &seen.sub {
        for (not_before, exp) in entries.iter().filter(|(_, exp)| *exp >= horizon) {
            let Some(iat) = not_before.checked_sub(1) else {
                continue;
            };
            let c = claims(|c| {
                c.sub = Some(id.clone());
                c.iat = Some(iat);
            });
            assert!(
                snapshot.check(&c).is_err(),
                "sub entry (not_before {not_before}, exp {exp}) dropped before {horizon}"
            );
        }
    }
    // Nothing is revoked that no feed listed.
    let stranger = claims(|c| {
        c.jti = Some("\u{1}never-listed".into());
        c.sid = Some("\u{1}never-listed".into());
        c.sub = Some("\u{1}never-listed".into());
    });
    assert!(snapshot.check(&stranger).is_ok());
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut steps = text.split("\n--\n");
    let mut first = steps.next().unwrap_or_default().split_whitespace();
    let tolerance: u32 = first.next().and_then(|t| t.parse().ok()).unwrap_or(0);
    let mut now: i64 = first
        .next()
        .and_then(|t| t.parse().ok())
        .unwrap_or(1_700_000_000);

    let key = SigningKey::generate(Algorithm::Hs256, &[9; 32]).expect("key");
    let policy = Policy::new(["i"], ["a"]).with_clock_tolerance(tolerance);
    let mut verifier =
        Verifier::new(KeySet::single(key.verifying_key()), policy).expect("verifier");
    let mut seen = Seen::default();

    for step in steps.take(16) {
        let (delta, feed) = step.split_once('\n').unwrap_or((step, ""));
        let delta: i64 = delta
            .trim()
            .parse::<i64>()
            .map(i64::saturating_abs)
            .unwrap_or(0);
        now = now.saturating_add(delta);
        let horizon = now.saturating_sub(i64::from(tolerance));

        // The snapshot of one feed alone: exactly its entries with exp >= the time given.
        match RevocationSnapshot::from_feed_json(feed, horizon) {
            Ok(alone) => {
                let parsed: RevocationFeed = serde_json::from_str(feed).expect("accepted feed");
                let mut only = Seen::default();
                only.add(&parsed);
                check_kept(&alone, &only, horizon);
            }
            Err(e) => check_error(&e, &[]),
        }

        if feed.is_empty() {
            verifier.prune_revocations(now);
        } else {
            let before = verifier.revocations().len();
            match verifier.update_revocations(feed, now) {
                Ok(()) => {
                    let parsed: RevocationFeed = serde_json::from_str(feed).expect("accepted feed");
                    seen.add(&parsed);
                }
                Err(e) => {
                    check_error(&e, &[]);
                    assert_eq!(e.code(), "ERR_REVOCATION_FEED_INVALID");
                    assert_eq!(
                        verifier.revocations().len(),
                        before,
                        "a rejected feed changed the snapshot"
                    );
                    // No prune happened either; the model below is about accepted feeds only.
                    continue;
                }
            }
        }
        check_kept(verifier.revocations(), &seen, horizon);
    }
});
