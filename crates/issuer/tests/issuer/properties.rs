//! Property tests (proptest): the issuer's rules and the core's snapshot together, end to end
//! over the session objects and the feed object in memory. Random sequences of session
//! starts, refreshes, replays of rotated tokens (inside the reuse interval and outside it),
//! logouts (one session, RFC 7009 with a refresh or an access token, everywhere) and time
//! passing, with a verifier polling the feed at least every [`POLL_GAP`] seconds, whose
//! clock may be up to [`MAX_SKEW`] seconds off the issuer's and which accepts
//! [`MAX_TOLERANCE`] seconds of clock tolerance. After every step, for every access token
//! ever issued that the verifier would otherwise accept (same keys and policy, no snapshot):
//! - a token revoked before the verifier's last poll is refused with ERR_JWT_REVOKED: the feed
//!   never drops an entry early, from the issuer's side or the verifier's (carry-over);
//! - a token never revoked is accepted: nothing is revoked that should not be.
//!
//! The sequence also checks each answer against a model of the rules: a refresh of a live
//! session succeeds, the previous token inside the reuse interval gets the current token
//! again, any other rotated-away token ends the session, and a session with
//! [`MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`] revoked access tokens ends at the next one.

use base64ct::{Base64UrlUnpadded, Encoding};
use proptest::prelude::*;
use revocable_core::{Audience, Claims, KeySet, Policy, Verifier};
use revocable_issuer::{
    http::{Method, Request},
    rules::{FEED_GRACE, MAX_REVOKED_ACCESS_TOKENS_PER_SESSION},
};
use serde_json::{json, Value};

use super::{s, Issuer, ISSUER, T0};

/// Longest time between two polls of the feed (the JS verifier polls every 5 s by default).
const POLL_GAP: i64 = 20;
/// Largest clock difference between the verifier and the issuer, either way.
const MAX_SKEW: i64 = 20;
/// Largest clock tolerance of the verifier. Poll gap + skew + tolerance fit in FEED_GRACE.
const MAX_TOLERANCE: u32 = 20;
/// `REFRESH_REUSE_INTERVAL` of the issuer under test (its default), in milliseconds.
const REUSE_INTERVAL_MS: i64 = 10_000;

#[derive(Debug, Clone)]
enum Op {
    Create(u8),
    Refresh(u8),
    ReplayPrevious(u8),
    ReplayFirst(u8),
    EndSession(u8),
    RevokeRefresh(u8),
    RevokeAccess(u8),
    LogoutEverywhere(u8),
    Advance(i64),
    Poll,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0_u8..3).prop_map(Op::Create),
        4 => any::<u8>().prop_map(Op::Refresh),
        2 => any::<u8>().prop_map(Op::ReplayPrevious),
        1 => any::<u8>().prop_map(Op::ReplayFirst),
        1 => any::<u8>().prop_map(Op::EndSession),
        1 => any::<u8>().prop_map(Op::RevokeRefresh),
        2 => any::<u8>().prop_map(Op::RevokeAccess),
        1 => (0_u8..3).prop_map(Op::LogoutEverywhere),
        // Milliseconds: whole seconds, and steps within the reuse interval.
        4 => (1_i64..40).prop_map(|seconds| Op::Advance(seconds * 1000)),
        2 => (1_i64..4000).prop_map(Op::Advance),
        1 => Just(Op::Poll),
    ]
}

struct Session {
    sub: String,
    sid: String,
    first_refresh: String,
    refresh: String,
    /// The token the current one replaced, and when (issuer milliseconds).
    previous: Option<(String, i64)>,
    /// Rotations so far.
    rotations: u32,
    revoked: bool,
    /// `jti`s of its access tokens revoked one by one.
    revoked_jti: Vec<String>,
}

struct Token {
    token: String,
    /// Its claims: the checks below use `recheck`, which gives the same verdict as a full
    /// `verify` of a token that verified once (property-tested in revocable-core), without
    /// the cost of a signature check per token and step.
    claims: Claims,
    sid: String,
    /// Issuer time of the revocation and the number of polls before it, if revoked.
    revoked_at: Option<(i64, u64)>,
}

/// An issuer with a 60 s access-token lifetime (the shortest allowed), so that sequences
/// reach token expiry, and with it the feed's drop times, in a few dozen steps.
fn short_lived_issuer() -> Issuer {
    Issuer::with_vars(&[("ACCESS_TOKEN_TTL", "60")])
}

/// The registered claims of one of the issuer's own access tokens (its signature is the
/// issuer's business, tested elsewhere; here only its claims matter).
fn claims_of(token: &str) -> Claims {
    let payload = token
        .split('.')
        .nth(1)
        .unwrap_or_else(|| panic!("not a compact jws"));
    let payload = Base64UrlUnpadded::decode_vec(payload).unwrap_or_else(|e| panic!("{e}"));
    let payload: Value = serde_json::from_slice(&payload).unwrap_or_else(|e| panic!("{e}"));
    let text = |name: &str| payload[name].as_str().map(str::to_owned);
    let mut claims = Claims::default();
    claims.iss = text("iss");
    claims.sub = text("sub");
    claims.aud = text("aud").map(Audience::One);
    claims.exp = payload["exp"].as_i64();
    claims.nbf = payload["nbf"].as_i64();
    claims.iat = payload["iat"].as_i64();
    claims.jti = text("jti");
    claims.sid = text("sid");
    claims.scope = text("scope");
    claims
}

fn form(path: &str, body: &str) -> Request {
    Request::new(Method::Post, path)
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(body.to_owned())
}

struct World {
    issuer: Issuer,
    sessions: Vec<Session>,
    tokens: Vec<Token>,
    polling: Verifier,
    plain: Verifier,
    skew: i64,
    /// Issuer time of the last poll (milliseconds).
    last_poll_ms: i64,
    polls: u64,
}

impl World {
    fn verifier_now(&self) -> i64 {
        self.issuer.now() + self.skew
    }

    fn poll(&mut self) {
        let feed = self.issuer.feed();
        let now = self.verifier_now();
        self.polling
            .update_revocations(&feed.to_string(), now)
            .unwrap_or_else(|e| panic!("the issuer's feed does not parse: {e}"));
        self.last_poll_ms = self.issuer.now_ms;
        self.polls += 1;
    }

    fn pick(&self, i: u8) -> Option<usize> {
        (!self.sessions.is_empty()).then(|| usize::from(i) % self.sessions.len())
    }

    fn track(&mut self, body: &Value, sid: &str) {
        let token = s(&body["access_token"]);
        let claims = claims_of(&token);
        self.tokens.push(Token {
            claims,
            token,
            sid: sid.to_owned(),
            revoked_at: None,
        });
    }

    /// A refresh of session `index` with `token` that the model says succeeds with the
    /// session's current token (`Some(expected)`) or fails (`None`).
    fn refresh_as_modelled(&mut self, index: usize, token: &str, expected: Option<String>) {
        let (status, body) = self.issuer.refresh(token);
        match expected {
            Some(expected) => {
                assert_eq!(status, 200, "{body}");
                assert_eq!(s(&body["refresh_token"]), expected);
                let sid = self.sessions[index].sid.clone();
                self.track(&body, &sid);
            }
            None => assert_eq!(status, 400, "{body}"),
        }
    }

    /// The replay of a rotated-away `token` of session `index`: a retry inside the reuse
    /// interval if it is the immediately previous one, reuse otherwise.
    fn replay(&mut self, index: usize, token: &str) {
        let session = &self.sessions[index];
        let retry = !session.revoked
            && session.previous.as_ref().is_some_and(|(previous, at)| {
                previous == token && self.issuer.now_ms - at < REUSE_INTERVAL_MS
            });
        let expected = retry.then(|| session.refresh.clone());
        self.refresh_as_modelled(index, token, expected);
        if !retry {
            self.revoke_session(index); // reuse revokes the whole session
        }
    }

    fn revoke_session(&mut self, index: usize) {
        let at = (self.issuer.now(), self.polls);
        let sid = self.sessions[index].sid.clone();
        self.sessions[index].revoked = true;
        for token in self.tokens.iter_mut().filter(|t| t.sid == sid) {
            token.revoked_at.get_or_insert(at);
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Create(user) => {
                let sub = format!("user-{user}");
                let body = self.issuer.create(json!({ "sub": sub }));
                let sid = s(&body["session_id"]);
                self.track(&body, &sid);
                self.sessions.push(Session {
                    sub,
                    sid,
                    first_refresh: s(&body["refresh_token"]),
                    refresh: s(&body["refresh_token"]),
                    previous: None,
                    rotations: 0,
                    revoked: false,
                    revoked_jti: Vec::new(),
                });
            }
            Op::Refresh(i) => {
                let Some(i) = self.pick(i) else { return };
                let (status, body) = self.issuer.refresh(&self.sessions[i].refresh);
                if self.sessions[i].revoked {
                    assert_eq!(status, 400, "a revoked session refreshed: {body}");
                    return;
                }
                assert_eq!(status, 200, "{body}");
                let sid = self.sessions[i].sid.clone();
                self.track(&body, &sid);
                let session = &mut self.sessions[i];
                let next = s(&body["refresh_token"]);
                let previous = std::mem::replace(&mut session.refresh, next);
                session.previous = Some((previous, self.issuer.now_ms));
                session.rotations += 1;
            }
            Op::ReplayPrevious(i) => {
                let Some(i) = self.pick(i) else { return };
                let Some((previous, _)) = self.sessions[i].previous.clone() else {
                    return; // never rotated: nothing to replay
                };
                self.replay(i, &previous);
            }
            Op::ReplayFirst(i) => {
                let Some(i) = self.pick(i) else { return };
                if self.sessions[i].rotations == 0 {
                    return; // the first token is still the current one: not a replay
                }
                let first = self.sessions[i].first_refresh.clone();
                self.replay(i, &first);
            }
            Op::EndSession(i) => {
                let Some(i) = self.pick(i) else { return };
                let path = format!("/v1/sessions/{}", self.sessions[i].sid);
                let (status, _, _) = self.issuer.send(self.issuer.service(Method::Delete, &path));
                // A revoked session is kept, marked, until its absolute end.
                assert_eq!(status, 204);
                self.revoke_session(i);
            }
            Op::RevokeRefresh(i) => {
                let Some(i) = self.pick(i) else { return };
                let token = self.sessions[i].refresh.clone();
                let (status, _, _) = self
                    .issuer
                    .send(form("/oauth/revoke", &format!("token={token}")));
                assert_eq!(status, 200);
                self.revoke_session(i);
            }
            Op::RevokeAccess(i) => {
                if self.tokens.is_empty() {
                    return;
                }
                let i = usize::from(i) % self.tokens.len();
                let token = self.tokens[i].token.clone();
                // The issuer revokes only its own tokens that still verify on its clock.
                let valid = self
                    .issuer
                    .config
                    .verifier
                    .verify(&token, self.issuer.now())
                    .is_ok();
                let (status, _, _) = self
                    .issuer
                    .send(form("/oauth/revoke", &format!("token={token}")));
                assert_eq!(status, 200);
                if !valid {
                    return;
                }
                let at = (self.issuer.now(), self.polls);
                let jti = self.tokens[i].claims.jti.clone().unwrap_or_default();
                let sid = self.tokens[i].sid.clone();
                let Some(index) = self.sessions.iter().position(|x| x.sid == sid) else {
                    panic!("a token of an unknown session");
                };
                let session = &mut self.sessions[index];
                if session.revoked || session.revoked_jti.contains(&jti) {
                    // Covered by the session's revocation, or revoked before.
                } else if session.revoked_jti.len() >= MAX_REVOKED_ACCESS_TOKENS_PER_SESSION {
                    self.revoke_session(index); // the cap: the session ends instead
                } else {
                    session.revoked_jti.push(jti);
                }
                self.tokens[i].revoked_at.get_or_insert(at);
            }
            Op::LogoutEverywhere(user) => {
                let sub = format!("user-{user}");
                let path = format!("/v1/users/{sub}/revoke");
                let (status, _, _) = self.issuer.send(self.issuer.service(Method::Post, &path));
                assert_eq!(status, 200);
                let mine: Vec<usize> = (0..self.sessions.len())
                    .filter(|i| self.sessions[*i].sub == sub)
                    .collect();
                for i in mine {
                    self.revoke_session(i);
                }
            }
            Op::Advance(mut ms) => {
                // Time passes, and the verifier polls whenever POLL_GAP has gone by.
                while ms > 0 {
                    let due = self.last_poll_ms + POLL_GAP * 1000;
                    let step = ms.min(due - self.issuer.now_ms);
                    self.issuer.advance_ms(step);
                    ms -= step;
                    if self.issuer.now_ms >= due {
                        self.poll();
                    }
                }
            }
            Op::Poll => self.poll(),
        }
    }

    fn check(&self) -> Result<(), TestCaseError> {
        let now = self.verifier_now();
        for token in &self.tokens {
            if self.plain.recheck(&token.claims, now).is_err() {
                continue; // expired (or not yet valid) on the verifier's clock anyway
            }
            let result = self.polling.recheck(&token.claims, now);
            match token.revoked_at {
                Some((at, polls)) if polls < self.polls => prop_assert_eq!(
                    result.err().map(|e| e.code()),
                    Some("ERR_JWT_REVOKED"),
                    "revoked at issuer time T0+{}, still accepted at verifier time T0+{} \
                     (issuer T0+{} ms, last poll T0+{} ms)",
                    at - T0,
                    now - T0,
                    self.issuer.now_ms - T0 * 1000,
                    self.last_poll_ms - T0 * 1000
                ),
                Some(_) => {} // the verifier has not polled since
                None => prop_assert!(result.is_ok(), "never revoked, refused: {:?}", result.err()),
            }
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        // 32 cases in `make test` (each drives the issuer, signing in a debug build);
        // PROPTEST_CASES=2000 for a longer search.
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(32),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn a_polling_verifier_refuses_every_revoked_token_and_only_those(
        skew in -MAX_SKEW..=MAX_SKEW,
        tolerance in 0..=MAX_TOLERANCE,
        ops in proptest::collection::vec(op(), 1..60),
    ) {
        prop_assert!(POLL_GAP + MAX_SKEW + i64::from(MAX_TOLERANCE) <= FEED_GRACE);
        let issuer = short_lived_issuer();
        let keys = KeySet::from_public_jwks_json(&issuer.config.keys.public_jwks().to_string())
            .unwrap_or_else(|e| panic!("the issuer's jwks: {e}"));
        let policy = Policy::new([ISSUER], ["api"])
            .with_typ("at+jwt")
            .with_clock_tolerance(tolerance);
        let plain = Verifier::new(keys.clone(), policy.clone()).unwrap_or_else(|e| panic!("{e}"));
        let polling = Verifier::new(keys, policy).unwrap_or_else(|e| panic!("{e}"));
        let mut world = World {
            last_poll_ms: issuer.now_ms,
            issuer,
            sessions: Vec::new(),
            tokens: Vec::new(),
            polling,
            plain,
            skew,
            polls: 0,
        };
        world.poll();
        for op in &ops {
            world.apply(op);
            world.check()?;
        }
    }
}
