//! The issuer's rules, pure: lifetimes, refresh-token rotation and reuse detection, session
//! absolute expiry, what a logout writes into the revocation feed and when feed entries may
//! be dropped; [`input`] checks what callers put into tokens (`sub`, `scope`, extra claims).
//! No storage, no HTTP, no clock: `now` is passed in.
//!
//! Times: Unix seconds (`*_s` or unsuffixed), except the session creation time and the
//! rotation time of the previous refresh token, which are kept in milliseconds (the reuse
//! interval is judged to the millisecond).

mod input;

pub use input::{
    narrow_scope, parse_scope, validate_extra_claims, validate_subject, Invalid, MAX_CLAIMS_BYTES,
    MAX_SCOPE_BYTES, MAX_SUB_BYTES, RESERVED_CLAIMS,
};
use revocable_core::{FeedEntry, RevocationFeed, SubjectEntry};

/// The shortest lifetime of a stored row (seconds): rows whose meaning ends sooner are kept
/// this long, so that a row never vanishes between a read and the decision on it.
pub const KV_MIN_TTL: i64 = 60;

/// Longest accepted `REFRESH_REUSE_INTERVAL` (seconds), as the major providers allow.
pub const MAX_REUSE_INTERVAL: i64 = 60;

/// How long the feed keeps listing an entry after its `exp` (seconds). A verifier learns of a
/// revocation only from a poll that still lists it, and accepts a token until `exp` plus its
/// clock tolerance on ITS clock, which may lag the issuer's: an entry dropped at `exp` would
/// never reach a verifier whose last poll came just before the revocation, and it would accept
/// the token for up to tolerance + skew seconds (the property test
/// `a_polling_verifier_refuses_every_revoked_token_and_only_those` checks this). With this
/// grace, a verifier whose poll interval + clock skew + clock tolerance stay within 60 s never
/// misses an entry. Entries keep their own `exp`; verifiers drop them at `exp + tolerance`
/// (revocable-core's `Verifier::update_revocations`).
pub const FEED_GRACE: i64 = 60;

/// Most access tokens of one session revoked one by one (RFC 7009, by `jti`) that the feed
/// lists at once. Anyone holding a session's access tokens may revoke them, without a
/// credential, and every refresh mints a new one: without a bound, one session could fill the
/// feed, which every verifier downloads and which has a size limit (4 MiB in the npm
/// package), so that verifiers stop taking in revocations. The next revocation of an access
/// token of such a session ends the session instead (one `sid` entry covers all its tokens),
/// so the feed grows by at most this plus one entries per session, and sessions are created
/// only through the service-key API.
pub const MAX_REVOKED_ACCESS_TOKENS_PER_SESSION: usize = 8;

/// Token and session lifetimes, in seconds (wrangler.toml vars).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lifetimes {
    /// `ACCESS_TOKEN_TTL`: lifetime of one access token.
    pub access_token: i64,
    /// `REFRESH_TOKEN_TTL`: lifetime of one refresh token (each rotation issues a new one).
    pub refresh_token: i64,
    /// `SESSION_MAX_AGE`: absolute lifetime of a session; rotation never extends it.
    pub session_max_age: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            access_token: 300,
            refresh_token: 14 * 24 * 3600,
            session_max_age: 30 * 24 * 3600,
        }
    }
}

/// Milliseconds to whole seconds, rounding down.
pub fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

/// The times of a new session and of its first tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewSession {
    /// Creation time (milliseconds).
    pub created_ms: i64,
    /// Absolute end of the session (seconds).
    pub expires: i64,
    /// `exp` of the first refresh token.
    pub refresh_exp: i64,
    /// `iat` of the first access token.
    pub access_iat: i64,
    /// `exp` of the first access token.
    pub access_exp: i64,
}

/// Starts a session at `now_ms`.
pub fn start_session(now_ms: i64, lifetimes: &Lifetimes) -> NewSession {
    let now = secs(now_ms);
    let expires = now + lifetimes.session_max_age;
    NewSession {
        created_ms: now_ms,
        expires,
        refresh_exp: (now + lifetimes.refresh_token).min(expires),
        access_iat: now,
        access_exp: (now + lifetimes.access_token).min(expires),
    }
}

/// What the rules need of a stored refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshView {
    /// Generation: 0 for the session's first token, +1 per rotation.
    pub gen: u64,
    /// When this refresh token expires (seconds).
    pub exp: i64,
}

/// The session's immediately previous refresh token, as the reuse interval needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviousView<'a> {
    /// SHA-256 (base64url) of the previous token.
    pub hash: &'a str,
    /// When it was rotated away (milliseconds).
    pub rotated_ms: i64,
}

/// What the rules need of a stored session. The session object is strongly consistent and
/// serializes every change, so this is the session's one true state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView<'a> {
    /// Absolute end (seconds).
    pub expires: i64,
    /// Generation of the current refresh token.
    pub gen: u64,
    /// SHA-256 (base64url) of the current refresh token.
    pub current: &'a str,
    /// `exp` of the current refresh token (seconds).
    pub current_exp: i64,
    /// The token the current one replaced, if any.
    pub previous: Option<PreviousView<'a>>,
    /// The session was revoked (logout, logout everywhere, reuse, RFC 7009).
    pub revoked: bool,
}

/// Why a refresh token is `invalid_grant` (without reuse).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// Unknown token: never issued, expired and removed, or not a refresh token at all.
    Unknown,
    /// The refresh token's own lifetime is over.
    Expired,
    /// The session was revoked.
    Revoked,
    /// The session reached its absolute end or no longer exists.
    SessionEnded,
}

/// A successful rotation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    /// Generation of the new refresh token.
    pub gen: u64,
    /// `exp` of the new refresh token (never past the session's end).
    pub refresh_exp: i64,
    /// `iat` of the new access token.
    pub access_iat: i64,
    /// `exp` of the new access token (never past the session's end).
    pub access_exp: i64,
}

/// A retry inside the reuse interval: the session's current token (the successor the first
/// presentation got) goes out again, with a new access token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Replay {
    /// `iat` of the new access token.
    pub access_iat: i64,
    /// `exp` of the new access token (never past the session's end).
    pub access_exp: i64,
}

/// The decision for one `grant_type=refresh_token` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshDecision {
    /// Issue a new access token and a new refresh token.
    Rotate(Rotation),
    /// The immediately previous token, inside the reuse interval: answer with the successor
    /// it already got; the session keeps exactly one current token.
    Replay(Replay),
    /// The token was already rotated away (and is not a retry inside the reuse interval):
    /// revoke the whole session, answer `invalid_grant`.
    Reuse,
    /// Answer `invalid_grant`, change nothing.
    Reject(Rejection),
}

/// Decides a refresh. `presented` is the SHA-256 of the presented token, `token` its stored
/// record, `session` the session it belongs to (None: ended and gone), `reuse_interval_ms`
/// the `REFRESH_REUSE_INTERVAL` in milliseconds (0: strict rotation).
///
/// An expired token is rejected before anything else, so a token past its lifetime has no
/// effect on the session. The current token rotates. The immediately previous token is a
/// retry (a lost response, a second tab) while the interval since its rotation lasts and its
/// successor is still current and valid; any other token of the session is reuse.
pub fn decide_refresh(
    now_ms: i64,
    presented: &str,
    token: RefreshView,
    session: Option<SessionView<'_>>,
    reuse_interval_ms: i64,
    lifetimes: &Lifetimes,
) -> RefreshDecision {
    let now = secs(now_ms);
    if now >= token.exp {
        return RefreshDecision::Reject(Rejection::Expired);
    }
    let Some(session) = session else {
        return RefreshDecision::Reject(Rejection::SessionEnded);
    };
    if session.revoked {
        return RefreshDecision::Reject(Rejection::Revoked);
    }
    if now >= session.expires {
        return RefreshDecision::Reject(Rejection::SessionEnded);
    }
    if presented == session.current {
        return RefreshDecision::Rotate(Rotation {
            gen: session.gen.saturating_add(1),
            refresh_exp: (now + lifetimes.refresh_token).min(session.expires),
            access_iat: now,
            access_exp: (now + lifetimes.access_token).min(session.expires),
        });
    }
    let retry = session.previous.is_some_and(|p| {
        p.hash == presented
            && token.gen.saturating_add(1) == session.gen
            && now_ms >= p.rotated_ms
            && now_ms - p.rotated_ms < reuse_interval_ms
    });
    if retry && now < session.current_exp {
        return RefreshDecision::Replay(Replay {
            access_iat: now,
            access_exp: (now + lifetimes.access_token).min(session.expires),
        });
    }
    RefreshDecision::Reuse
}

/// Feed `exp` of a revoked session (`sid`): no access token of the session can be valid
/// after it. The session object refuses every refresh from the moment of the revocation,
/// so the last access token was minted no later than `revoked_at` and lives one
/// access-token lifetime.
pub fn sid_entry_exp(revoked_at: i64, lifetimes: &Lifetimes) -> i64 {
    revoked_at + lifetimes.access_token
}

/// Feed entry of a logout-everywhere at `now_ms`: tokens with `iat < not_before` are revoked;
/// they were all minted before `not_before`, so none is valid after `not_before + access
/// lifetime`. Tokens minted in the same second carry their session's `sid`, which the logout
/// also revokes for every session it ends.
pub fn subject_entry(sub: &str, now_ms: i64, lifetimes: &Lifetimes) -> SubjectEntry {
    let not_before = secs(now_ms);
    SubjectEntry {
        id: sub.to_owned(),
        not_before,
        exp: not_before + lifetimes.access_token,
    }
}

/// Feed `exp` of a revoked access token: its own `exp`.
pub fn jti_entry_exp(token_exp: i64) -> i64 {
    token_exp
}

/// What revoking one valid access token of a session (RFC 7009) writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessTokenRevocation {
    /// A `jti` entry until the token's `exp`.
    Jti,
    /// Nothing: the session was revoked and its `sid` entry is listed past the token's `exp`.
    CoveredBySession,
    /// End the session: it already has [`MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`] `jti`
    /// entries listed.
    EndSession,
}

/// Decides how to revoke an access token with `token_exp` of a session that was revoked at
/// `session_revoked_at` (if this location knows it) and has `listed_jti_entries` entries.
pub fn decide_access_token_revocation(
    token_exp: i64,
    session_revoked_at: Option<i64>,
    listed_jti_entries: usize,
    lifetimes: &Lifetimes,
) -> AccessTokenRevocation {
    if session_revoked_at.is_some_and(|at| token_exp <= sid_entry_exp(at, lifetimes)) {
        return AccessTokenRevocation::CoveredBySession;
    }
    if listed_jti_entries >= MAX_REVOKED_ACCESS_TOKENS_PER_SESSION {
        return AccessTokenRevocation::EndSession;
    }
    AccessTokenRevocation::Jti
}

/// Stored lifetime of a record whose meaning ends at `until`: the record may vanish at
/// `until` (the rules check times themselves), never sooner than [`KV_MIN_TTL`].
pub fn record_ttl(until: i64, now: i64) -> u64 {
    ttl((until - now).max(KV_MIN_TTL))
}

/// Stored lifetime of a feed entry with `exp`: listed until `exp + FEED_GRACE`, plus one extra
/// minute so that the expiry sweep never removes it while it is listed.
pub fn feed_ttl(exp: i64, now: i64) -> u64 {
    ttl((exp.saturating_add(FEED_GRACE) - now).max(0) + KV_MIN_TTL)
}

fn ttl(seconds: i64) -> u64 {
    u64::try_from(seconds.max(KV_MIN_TTL)).unwrap_or(KV_MIN_TTL as u64)
}

/// Builds the feed at `now`: drops entries once `exp + FEED_GRACE` has passed (never earlier;
/// see [`FEED_GRACE`]), merges duplicates (keeping the later `exp` / `not_before`) and sorts by
/// id, so equal content always serializes the same (the ETag depends on it).
pub fn assemble_feed(
    now: i64,
    jti: Vec<FeedEntry>,
    sid: Vec<FeedEntry>,
    sub: Vec<SubjectEntry>,
) -> RevocationFeed {
    fn merge(now: i64, mut entries: Vec<FeedEntry>) -> Vec<FeedEntry> {
        entries.retain(|e| e.exp.saturating_add(FEED_GRACE) >= now);
        entries.sort_by(|a, b| a.id.cmp(&b.id).then(b.exp.cmp(&a.exp)));
        entries.dedup_by(|later, first| later.id == first.id);
        entries
    }
    let mut sub: Vec<SubjectEntry> = sub
        .into_iter()
        .filter(|e| e.exp.saturating_add(FEED_GRACE) >= now)
        .collect();
    sub.sort_by(|a, b| a.id.cmp(&b.id).then(b.not_before.cmp(&a.not_before)));
    let mut merged: Vec<SubjectEntry> = Vec::with_capacity(sub.len());
    for entry in sub {
        match merged.last_mut() {
            Some(last) if last.id == entry.id => last.exp = last.exp.max(entry.exp),
            _ => merged.push(entry),
        }
    }
    RevocationFeed {
        generated_at: now,
        jti: merge(now, jti),
        sid: merge(now, sid),
        sub: merged,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LT: Lifetimes = Lifetimes {
        access_token: 300,
        refresh_token: 14 * 86400,
        session_max_age: 30 * 86400,
    };
    const T0: i64 = 1_700_000_000_000; // ms

    const INTERVAL: i64 = 10_000; // ms

    fn session(gen: u64, current: &str) -> SessionView<'_> {
        SessionView {
            expires: secs(T0) + LT.session_max_age,
            gen,
            current,
            current_exp: secs(T0) + LT.refresh_token,
            previous: None,
            revoked: false,
        }
    }

    fn token(gen: u64) -> RefreshView {
        RefreshView {
            gen,
            exp: secs(T0) + LT.refresh_token,
        }
    }

    fn decide(
        now_ms: i64,
        presented: &str,
        t: RefreshView,
        s: Option<SessionView<'_>>,
    ) -> RefreshDecision {
        decide_refresh(now_ms, presented, t, s, INTERVAL, &LT)
    }

    #[test]
    fn new_session_lifetimes() {
        let s = start_session(T0 + 999, &LT);
        assert_eq!(s.created_ms, T0 + 999);
        assert_eq!(s.expires, secs(T0) + 30 * 86400);
        assert_eq!(s.refresh_exp, secs(T0) + 14 * 86400);
        assert_eq!(s.access_exp, secs(T0) + 300);
        assert_eq!(s.access_iat, secs(T0));
    }

    #[test]
    fn refresh_token_never_outlives_its_session() {
        let short = Lifetimes {
            session_max_age: 100,
            ..LT
        };
        let s = start_session(T0, &short);
        assert_eq!(s.refresh_exp, s.expires);
        assert_eq!(s.access_exp, s.expires);
    }

    #[test]
    fn current_token_rotates() {
        let now = T0 + 10_000;
        assert_eq!(
            decide(now, "h0", token(0), Some(session(0, "h0"))),
            RefreshDecision::Rotate(Rotation {
                gen: 1,
                refresh_exp: secs(now) + LT.refresh_token,
                access_iat: secs(now),
                access_exp: secs(now) + LT.access_token,
            })
        );
    }

    #[test]
    fn rotation_does_not_extend_the_session() {
        // 20 days in: a new refresh token would live 14 days, the session only 10 more.
        let now = T0 + 20 * 86_400_000;
        let s = session(5, "h5");
        let t = RefreshView {
            gen: 5,
            exp: secs(now) + 1000,
        };
        let RefreshDecision::Rotate(r) = decide(now, "h5", t, Some(s)) else {
            panic!("expected rotation");
        };
        assert_eq!(r.refresh_exp, s.expires);
        assert_eq!(r.gen, 6);
        // At the session's end, nothing rotates any more.
        let end = s.expires * 1000;
        let t = RefreshView {
            gen: 5,
            exp: s.expires + 10,
        };
        assert_eq!(
            decide(end, "h5", t, Some(s)),
            RefreshDecision::Reject(Rejection::SessionEnded)
        );
    }

    fn rotated(
        gen: u64,
        current: &'static str,
        previous: &'static str,
        at: i64,
    ) -> SessionView<'static> {
        SessionView {
            previous: Some(PreviousView {
                hash: previous,
                rotated_ms: at,
            }),
            ..session(gen, current)
        }
    }

    #[test]
    fn the_previous_token_inside_the_interval_is_a_retry() {
        let s = rotated(2, "h2", "h1", T0);
        for now in [T0, T0 + 1, T0 + INTERVAL - 1] {
            assert_eq!(
                decide(now, "h1", token(1), Some(s)),
                RefreshDecision::Replay(Replay {
                    access_iat: secs(now),
                    access_exp: secs(now) + LT.access_token,
                }),
                "{now}"
            );
        }
        // At the interval's end it is reuse.
        assert_eq!(
            decide(T0 + INTERVAL, "h1", token(1), Some(s)),
            RefreshDecision::Reuse
        );
        // With the interval at 0, rotation is strict.
        assert_eq!(
            decide_refresh(T0, "h1", token(1), Some(s), 0, &LT),
            RefreshDecision::Reuse
        );
        // A clock that went backwards never widens the interval.
        assert_eq!(
            decide(T0 - 1, "h1", token(1), Some(s)),
            RefreshDecision::Reuse
        );
    }

    #[test]
    fn older_tokens_are_reuse_even_inside_the_interval() {
        let s = rotated(2, "h2", "h1", T0);
        assert_eq!(
            decide(T0 + 1, "h0", token(0), Some(s)),
            RefreshDecision::Reuse
        );
        // Same generation as the previous one but another hash: not the previous token.
        assert_eq!(
            decide(T0 + 1, "h1-other", token(1), Some(s)),
            RefreshDecision::Reuse
        );
        // A generation that does not fit the previous slot.
        assert_eq!(
            decide(T0 + 1, "h1", token(0), Some(s)),
            RefreshDecision::Reuse
        );
        // Never rotated: any other token of the session is reuse.
        assert_eq!(
            decide(T0, "hx", token(0), Some(session(0, "h0"))),
            RefreshDecision::Reuse
        );
    }

    #[test]
    fn a_retry_never_hands_out_an_expired_successor() {
        let mut s = rotated(2, "h2", "h1", T0);
        s.current_exp = secs(T0) + 1;
        assert_eq!(
            decide(T0 + 1000, "h1", token(1), Some(s)),
            RefreshDecision::Reuse
        );
    }

    #[test]
    fn expired_token_is_rejected_without_revoking() {
        let t = RefreshView {
            gen: 0,
            exp: secs(T0),
        };
        assert_eq!(
            decide(T0, "h0", t, Some(session(0, "h0"))),
            RefreshDecision::Reject(Rejection::Expired)
        );
        // Expiry wins over reuse: an expired old token has no effect on the session.
        assert_eq!(
            decide(T0, "h0", t, Some(session(3, "h3"))),
            RefreshDecision::Reject(Rejection::Expired)
        );
        // One second earlier it was valid.
        assert!(matches!(
            decide(T0 - 1000, "h0", t, Some(session(0, "h0"))),
            RefreshDecision::Rotate(_)
        ));
    }

    #[test]
    fn revoked_session_is_rejected_whatever_the_token() {
        let mut s = rotated(2, "h2", "h1", T0);
        s.revoked = true;
        for (hash, gen) in [("h2", 2), ("h1", 1), ("h0", 0)] {
            assert_eq!(
                decide(T0, hash, token(gen), Some(s)),
                RefreshDecision::Reject(Rejection::Revoked)
            );
        }
    }

    #[test]
    fn missing_session_is_rejected() {
        assert_eq!(
            decide(T0, "h0", token(0), None),
            RefreshDecision::Reject(Rejection::SessionEnded)
        );
    }

    #[test]
    fn feed_entry_lifetimes() {
        assert_eq!(sid_entry_exp(1000, &LT), 1000 + 300);
        let e = subject_entry("alice", 1_000_999, &LT);
        assert_eq!((e.id.as_str(), e.not_before, e.exp), ("alice", 1000, 1300));
        assert_eq!(jti_entry_exp(4242), 4242);
    }

    #[test]
    fn access_token_revocation_is_bounded_per_session() {
        use AccessTokenRevocation::{CoveredBySession, EndSession, Jti};
        let max = MAX_REVOKED_ACCESS_TOKENS_PER_SESSION;
        // A live session: jti entries up to the bound, then the session ends.
        assert_eq!(decide_access_token_revocation(1300, None, 0, &LT), Jti);
        assert_eq!(
            decide_access_token_revocation(1300, None, max - 1, &LT),
            Jti
        );
        assert_eq!(
            decide_access_token_revocation(1300, None, max, &LT),
            EndSession
        );
        assert_eq!(
            decide_access_token_revocation(1300, None, 10 * max, &LT),
            EndSession
        );
        // A revoked session's sid entry lists it until revoked_at + access lifetime:
        // a token expiring by then needs no entry of its own, whatever the count.
        let until = sid_entry_exp(1000, &LT);
        assert_eq!(
            decide_access_token_revocation(until, Some(1000), max, &LT),
            CoveredBySession
        );
        assert_eq!(
            decide_access_token_revocation(1300, Some(1000), 0, &LT),
            CoveredBySession
        );
        // One expiring later (minted under a longer access lifetime before a restart with a
        // shorter one) still gets its own entry.
        assert_eq!(
            decide_access_token_revocation(until + 1, Some(1000), 0, &LT),
            Jti
        );
        assert_eq!(
            decide_access_token_revocation(until + 1, Some(1000), max, &LT),
            EndSession
        );
    }

    #[test]
    fn ttls_respect_kv_minimum_and_never_undercut_exp() {
        assert_eq!(record_ttl(100, 100), 60);
        assert_eq!(record_ttl(1000, 100), 900);
        assert_eq!(record_ttl(0, 100), 60);
        assert_eq!(feed_ttl(100, 100), 60 + FEED_GRACE as u64);
        assert_eq!(feed_ttl(400, 100), 360 + FEED_GRACE as u64);
        assert_eq!(feed_ttl(50, 100), 70);
        assert_eq!(feed_ttl(-100, 100), 60);
        // A feed entry's row always outlives the time it is listed until.
        for (exp, now) in [(100, 100), (101, 100), (100_000, 5), (7, 6), (50, 100)] {
            assert!(now + feed_ttl(exp, now) as i64 > exp + FEED_GRACE);
        }
    }

    fn e(id: &str, exp: i64) -> FeedEntry {
        FeedEntry { id: id.into(), exp }
    }

    #[test]
    fn feed_drops_entries_only_after_exp() {
        // Listed until exp + FEED_GRACE: at 100 + FEED_GRACE, an exp of 100 is the last kept.
        let feed = assemble_feed(
            100 + FEED_GRACE,
            vec![e("j-past", 99), e("j-now", 100), e("j-later", 101)],
            vec![e("s-past", 50), e("s-now", 100)],
            vec![
                SubjectEntry {
                    id: "u-past".into(),
                    not_before: 1,
                    exp: 99,
                },
                SubjectEntry {
                    id: "u-now".into(),
                    not_before: 1,
                    exp: 100,
                },
            ],
        );
        assert_eq!(feed.generated_at, 100 + FEED_GRACE);
        assert_eq!(feed.jti, vec![e("j-later", 101), e("j-now", 100)]);
        assert_eq!(feed.sid, vec![e("s-now", 100)]);
        assert_eq!(feed.sub.len(), 1);
        assert_eq!(feed.sub[0].id, "u-now");
    }

    /// Finding of the property test: entries listed only until `exp` never reached a verifier
    /// that polled after `exp` on the issuer's clock but still accepted the token (tolerance,
    /// or a clock behind the issuer's).
    #[test]
    fn feed_lists_entries_past_exp_for_tolerant_or_lagging_verifiers() {
        let sub = |exp| SubjectEntry {
            id: "u".into(),
            not_before: 1,
            exp,
        };
        let feed = assemble_feed(130, vec![e("j", 100)], vec![e("s", 100)], vec![sub(100)]);
        assert_eq!(
            (feed.jti.len(), feed.sid.len(), feed.sub.len()),
            (1, 1, 1),
            "30 s after exp: still listed"
        );
        assert_eq!(feed.jti[0].exp, 100, "each entry keeps its own exp");
        let feed = assemble_feed(
            100 + FEED_GRACE + 1,
            vec![e("j", 100)],
            vec![e("s", 100)],
            vec![sub(100)],
        );
        assert!(feed.jti.is_empty() && feed.sid.is_empty() && feed.sub.is_empty());
    }

    #[test]
    fn feed_merges_duplicates_and_sorts() {
        let feed = assemble_feed(
            0,
            vec![e("b", 5), e("a", 3), e("b", 9)],
            vec![],
            vec![
                SubjectEntry {
                    id: "u".into(),
                    not_before: 10,
                    exp: 20,
                },
                SubjectEntry {
                    id: "u".into(),
                    not_before: 15,
                    exp: 18,
                },
            ],
        );
        assert_eq!(feed.jti, vec![e("a", 3), e("b", 9)]);
        assert_eq!(
            feed.sub,
            vec![SubjectEntry {
                id: "u".into(),
                not_before: 15,
                exp: 20
            }]
        );
    }
}
