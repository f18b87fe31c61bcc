//! The issuer's rules, pure: lifetimes, refresh-token rotation and reuse detection, session
//! absolute expiry, what a logout writes into the revocation feed and when feed entries may
//! be dropped, and the validation of what callers put into tokens (`sub`, `scope`, extra
//! claims). No KV, no HTTP, no clock: `now` is passed in.
//!
//! Times: Unix seconds (`*_s` or unsuffixed), except the session creation time and the
//! logout-everywhere cut-off, which are kept in milliseconds so that a session created in
//! the same second as a logout-everywhere is ordered correctly against it.

use revocable_core::{FeedEntry, RevocationFeed, SubjectEntry};
use serde_json::{Map, Value};

/// Workers KV refuses TTLs below 60 seconds.
pub const KV_MIN_TTL: i64 = 60;

/// How long a KV write can take to be seen everywhere (Cloudflare documents "60 seconds or
/// more"). A refresh served elsewhere inside this window may not see a revocation yet, so
/// session revocations stay in the feed this much longer than one access-token lifetime.
pub const KV_CONSISTENCY_WINDOW: i64 = 60;

/// How long the feed keeps listing an entry after its `exp` (seconds). A verifier learns of a
/// revocation only from a poll that still lists it, and accepts a token until `exp` plus its
/// clock tolerance on ITS clock, which may lag the issuer's. Listing entries only until `exp`
/// left a gap (found by the property test `a_polling_verifier_refuses_every_revoked_token_and_only_those`):
/// a token revoked in the last poll interval before its `exp` was never seen by a verifier with
/// a clock tolerance or a slower clock, which then accepted it for up to tolerance + skew
/// seconds. With this grace, a verifier whose poll interval + clock skew + clock tolerance stay
/// within 60 s never misses an entry. Entries keep their own `exp`; verifiers drop them at
/// `exp + tolerance` (revocable-core's `Verifier::update_revocations`).
pub const FEED_GRACE: i64 = 60;

/// Longest accepted `sub`, in bytes (UTF-8).
pub const MAX_SUB_BYTES: usize = 256;
/// Longest accepted `scope`, in bytes.
pub const MAX_SCOPE_BYTES: usize = 1024;
/// Largest accepted extra-claims object, serialized, in bytes. Keeps access tokens (and
/// session records) small: every verifier parses every token.
pub const MAX_CLAIMS_BYTES: usize = 4096;

/// Most access tokens of one session revoked one by one (RFC 7009, by `jti`) that the feed
/// lists at once. Anyone holding a session's access tokens may revoke them, without a
/// credential, and every refresh mints a new one: without a bound, one session could fill the
/// feed, which every verifier downloads and which has a size limit (4 MiB in the npm
/// package), so that verifiers stop taking in revocations. The next revocation of an access
/// token of such a session ends the session instead (one `sid` entry covers all its tokens),
/// so the feed grows by at most this plus one entries per session, and sessions are created
/// only through the service-key API.
pub const MAX_REVOKED_ACCESS_TOKENS_PER_SESSION: usize = 8;

/// Claims the issuer sets itself; extra claims may not use these names.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope",
];

/// Token and session lifetimes, in seconds (wrangler.toml vars).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// What the rules need of a stored session, as this location's KV sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionView<'a> {
    /// Creation time (milliseconds).
    pub created_ms: i64,
    /// Absolute end (seconds).
    pub expires: i64,
    /// Generation of the current refresh token.
    pub gen: u64,
    /// SHA-256 (base64url) of the current refresh token.
    pub current: &'a str,
}

/// Revocation markers that a refresh must honour. They live in their own KV keys, written
/// once and never by a refresh, so a racing refresh cannot overwrite them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RevocationView {
    /// The session was revoked (logout, reuse, RFC 7009 revocation).
    pub session_revoked: bool,
    /// The subject logged out everywhere at this time (milliseconds): sessions created
    /// before it are over.
    pub logout_everywhere_ms: Option<i64>,
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

/// The decision for one `grant_type=refresh_token` request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshDecision {
    /// Issue a new access token and a new refresh token.
    Rotate(Rotation),
    /// The token was already rotated away: revoke the whole session, answer `invalid_grant`.
    Reuse,
    /// Answer `invalid_grant`, change nothing.
    Reject(Rejection),
}

/// Decides a refresh. `presented` is the SHA-256 of the presented token, `token` its stored
/// record, `session` and `revocations` what this location's KV shows.
///
/// Reuse is judged by generation, not only by "is it the current hash", because KV is
/// eventually consistent: a location whose copy of the session is up to 60 s old may see a
/// legitimately rotated token whose generation is NEWER than its copy. That is a stale view,
/// not reuse, and the refresh proceeds (the token record itself can only exist because this
/// issuer minted it). A generation OLDER than the session's, or the same generation with a
/// different hash (two refreshes raced and one lost the last-write-wins), is reuse.
pub fn decide_refresh(
    now_ms: i64,
    presented: &str,
    token: RefreshView,
    session: Option<SessionView<'_>>,
    revocations: RevocationView,
    lifetimes: &Lifetimes,
) -> RefreshDecision {
    let now = secs(now_ms);
    if now >= token.exp {
        return RefreshDecision::Reject(Rejection::Expired);
    }
    if revocations.session_revoked {
        return RefreshDecision::Reject(Rejection::Revoked);
    }
    let Some(session) = session else {
        return RefreshDecision::Reject(Rejection::SessionEnded);
    };
    if revocations
        .logout_everywhere_ms
        .is_some_and(|cutoff| session.created_ms < cutoff)
    {
        return RefreshDecision::Reject(Rejection::Revoked);
    }
    if now >= session.expires {
        return RefreshDecision::Reject(Rejection::SessionEnded);
    }
    if token.gen < session.gen || (token.gen == session.gen && presented != session.current) {
        return RefreshDecision::Reuse;
    }
    RefreshDecision::Rotate(Rotation {
        gen: token.gen.saturating_add(1),
        refresh_exp: (now + lifetimes.refresh_token).min(session.expires),
        access_iat: now,
        access_exp: (now + lifetimes.access_token).min(session.expires),
    })
}

/// Feed `exp` of a revoked session (`sid`): no access token of the session can be valid
/// after it. Tokens are minted until the revocation (plus, at other locations, up to the KV
/// consistency window) and live one access-token lifetime.
pub fn sid_entry_exp(revoked_at: i64, lifetimes: &Lifetimes) -> i64 {
    revoked_at + lifetimes.access_token + KV_CONSISTENCY_WINDOW
}

/// Feed entry of a logout-everywhere at `now_ms`: tokens with `iat < not_before` are revoked;
/// they were all minted before `not_before`, so none is valid after `not_before + access
/// lifetime`. Tokens minted in the same second carry the session's `sid`, which the
/// logout also revokes.
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

/// KV TTL for a record whose meaning ends at `until`: the record may vanish at `until`
/// (the rules check times themselves), and KV's 60 s minimum applies.
pub fn record_ttl(until: i64, now: i64) -> u64 {
    ttl((until - now).max(KV_MIN_TTL))
}

/// KV TTL for a feed entry with `exp`: listed until `exp + FEED_GRACE`, plus one extra minute
/// so that KV's expiry (not exact to the second) never removes it while it is listed.
pub fn feed_ttl(exp: i64, now: i64) -> u64 {
    ttl((exp.saturating_add(FEED_GRACE) - now).max(0) + KV_MIN_TTL)
}

/// KV TTL of a logout-everywhere cut-off: every session created before it has reached its
/// absolute end once SESSION_MAX_AGE has passed.
pub fn logout_record_ttl(lifetimes: &Lifetimes) -> u64 {
    ttl(lifetimes.session_max_age + KV_MIN_TTL)
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

/// A caller-supplied value that cannot go into a token. The text is the
/// `error_description` (never contains the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

/// Checks a subject: 1 to [`MAX_SUB_BYTES`] bytes, no control characters (they have no
/// business in an identifier and would let a `sub` smuggle line breaks into logs or
/// headers downstream).
pub fn validate_subject(sub: &str) -> Result<(), Invalid> {
    if sub.is_empty() {
        return Err(Invalid("sub must not be empty"));
    }
    if sub.len() > MAX_SUB_BYTES {
        return Err(Invalid("sub is longer than 256 bytes"));
    }
    if sub.chars().any(char::is_control) {
        return Err(Invalid("sub must not contain control characters"));
    }
    // The per-user endpoints take the sub as a path segment (`/v1/users/{sub}/...`), and URL
    // parsing removes `.` and `..` segments, percent-encoded or not (WHATWG URL): a user
    // called `..` could never be listed or logged out everywhere.
    if sub == "." || sub == ".." {
        return Err(Invalid("sub must not be . or .. (not in a URL path)"));
    }
    Ok(())
}

/// Checks a scope (RFC 6749 §3.3): scope-tokens of `%x21 / %x23-5B / %x5D-7E` separated by
/// single spaces, at most [`MAX_SCOPE_BYTES`]. Returns the tokens, duplicates removed.
pub fn parse_scope(scope: &str) -> Result<Vec<&str>, Invalid> {
    if scope.is_empty() {
        return Err(Invalid("scope must not be empty"));
    }
    if scope.len() > MAX_SCOPE_BYTES {
        return Err(Invalid("scope is longer than 1024 bytes"));
    }
    let mut tokens: Vec<&str> = Vec::new();
    for token in scope.split(' ') {
        let valid = !token.is_empty()
            && token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(Invalid(
                "scope must be scope-tokens separated by single spaces (RFC 6749 section 3.3)",
            ));
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(tokens)
}

/// The scope of a refreshed access token (RFC 6749 §6): the session's scope when none is
/// requested, else the requested one, which must not exceed the session's.
pub fn narrow_scope(
    session: Option<&str>,
    requested: Option<&str>,
) -> Result<Option<String>, Invalid> {
    let Some(requested) = requested else {
        return Ok(session.map(str::to_owned));
    };
    let wanted = parse_scope(requested)?;
    let granted: Vec<&str> = match session {
        Some(s) => parse_scope(s)?,
        None => Vec::new(),
    };
    if wanted.iter().any(|w| !granted.contains(w)) {
        return Err(Invalid("requested scope exceeds the scope of the session"));
    }
    Ok(Some(wanted.join(" ")))
}

/// Checks extra claims: a JSON object of at most [`MAX_CLAIMS_BYTES`], no empty names, and
/// none of the [`RESERVED_CLAIMS`] (an extra claim never overrides what the issuer sets).
pub fn validate_extra_claims(claims: &Map<String, Value>) -> Result<(), Invalid> {
    if claims.keys().any(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
        return Err(Invalid(
            "claims may not set registered claims (iss, sub, aud, exp, nbf, iat, jti, sid, scope)",
        ));
    }
    if claims.keys().any(String::is_empty) {
        return Err(Invalid("claim names must not be empty"));
    }
    let size = serde_json::to_vec(claims)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CLAIMS_BYTES {
        return Err(Invalid("claims are larger than 4096 bytes"));
    }
    Ok(())
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

    fn session(gen: u64, current: &str) -> SessionView<'_> {
        SessionView {
            created_ms: T0,
            expires: secs(T0) + LT.session_max_age,
            gen,
            current,
        }
    }

    fn token(gen: u64) -> RefreshView {
        RefreshView {
            gen,
            exp: secs(T0) + LT.refresh_token,
        }
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
        let d = decide_refresh(
            now,
            "h0",
            token(0),
            Some(session(0, "h0")),
            RevocationView::default(),
            &LT,
        );
        assert_eq!(
            d,
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
        let RefreshDecision::Rotate(r) =
            decide_refresh(now, "h5", t, Some(s), RevocationView::default(), &LT)
        else {
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
            decide_refresh(end, "h5", t, Some(s), RevocationView::default(), &LT),
            RefreshDecision::Reject(Rejection::SessionEnded)
        );
    }

    #[test]
    fn rotated_away_token_is_reuse() {
        let d = decide_refresh(
            T0,
            "h1",
            token(1),
            Some(session(2, "h2")),
            RevocationView::default(),
            &LT,
        );
        assert_eq!(d, RefreshDecision::Reuse);
        let d = decide_refresh(
            T0,
            "h0",
            token(0),
            Some(session(2, "h2")),
            RevocationView::default(),
            &LT,
        );
        assert_eq!(d, RefreshDecision::Reuse);
    }

    #[test]
    fn same_generation_other_hash_is_reuse() {
        // Two refreshes raced from generation 0; the session kept the other one's token.
        let d = decide_refresh(
            T0,
            "h1-lost",
            token(1),
            Some(session(1, "h1-won")),
            RevocationView::default(),
            &LT,
        );
        assert_eq!(d, RefreshDecision::Reuse);
    }

    #[test]
    fn newer_generation_than_the_session_view_is_a_stale_view_not_reuse() {
        // Another location rotated to generation 3; this location still sees generation 2.
        let d = decide_refresh(
            T0,
            "h3",
            token(3),
            Some(session(2, "h2")),
            RevocationView::default(),
            &LT,
        );
        assert!(
            matches!(d, RefreshDecision::Rotate(Rotation { gen: 4, .. })),
            "{d:?}"
        );
    }

    #[test]
    fn expired_token_is_rejected_without_revoking() {
        let t = RefreshView {
            gen: 0,
            exp: secs(T0),
        };
        assert_eq!(
            decide_refresh(
                T0,
                "h0",
                t,
                Some(session(0, "h0")),
                RevocationView::default(),
                &LT
            ),
            RefreshDecision::Reject(Rejection::Expired)
        );
        // Expiry wins over reuse: an expired old token has no effect on the session.
        assert_eq!(
            decide_refresh(
                T0,
                "h0",
                t,
                Some(session(3, "h3")),
                RevocationView::default(),
                &LT
            ),
            RefreshDecision::Reject(Rejection::Expired)
        );
        // One second earlier it was valid.
        assert!(matches!(
            decide_refresh(
                T0 - 1000,
                "h0",
                t,
                Some(session(0, "h0")),
                RevocationView::default(),
                &LT
            ),
            RefreshDecision::Rotate(_)
        ));
    }

    #[test]
    fn revoked_session_is_rejected_even_if_the_session_record_came_back() {
        // A refresh racing the revocation rewrote the session record (last write wins); the
        // revocation marker still ends it.
        let rev = RevocationView {
            session_revoked: true,
            logout_everywhere_ms: None,
        };
        assert_eq!(
            decide_refresh(T0, "h0", token(0), Some(session(0, "h0")), rev, &LT),
            RefreshDecision::Reject(Rejection::Revoked)
        );
    }

    #[test]
    fn missing_session_is_rejected() {
        assert_eq!(
            decide_refresh(T0, "h0", token(0), None, RevocationView::default(), &LT),
            RefreshDecision::Reject(Rejection::SessionEnded)
        );
    }

    #[test]
    fn logout_everywhere_ends_sessions_created_before_it() {
        let before = RevocationView {
            session_revoked: false,
            logout_everywhere_ms: Some(T0 + 1),
        };
        assert_eq!(
            decide_refresh(
                T0 + 5000,
                "h0",
                token(0),
                Some(session(0, "h0")),
                before,
                &LT
            ),
            RefreshDecision::Reject(Rejection::Revoked)
        );
        // A session created at or after the cut-off (a new login) is unaffected.
        let at = RevocationView {
            session_revoked: false,
            logout_everywhere_ms: Some(T0),
        };
        assert!(matches!(
            decide_refresh(T0 + 5000, "h0", token(0), Some(session(0, "h0")), at, &LT),
            RefreshDecision::Rotate(_)
        ));
    }

    #[test]
    fn feed_entry_lifetimes() {
        assert_eq!(sid_entry_exp(1000, &LT), 1000 + 300 + KV_CONSISTENCY_WINDOW);
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
        // A revoked session's sid entry lists it until revoked_at + access lifetime + window:
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
        // One expiring later (minted after the revocation at a location that had not seen it,
        // or under a longer access lifetime) still gets its own entry.
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
        assert_eq!(logout_record_ttl(&LT), 30 * 86400 + 60);
        // A feed entry's KV key always outlives the time it is listed until.
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

    #[test]
    fn subject_validation() {
        assert!(validate_subject("alice@example.com").is_ok());
        assert!(validate_subject("ünïcødé 用户").is_ok());
        assert!(validate_subject(&"x".repeat(256)).is_ok());
        assert!(validate_subject("...").is_ok() && validate_subject(".a").is_ok());
        assert!(validate_subject("").is_err());
        assert!(validate_subject(&"x".repeat(257)).is_err());
        assert!(
            validate_subject(&"é".repeat(129)).is_err(),
            "bytes, not chars"
        );
        for bad in [
            "a\r\nSet-Cookie: x",
            "a\0b",
            "tab\there",
            "del\u{7f}",
            "c1\u{85}",
            ".",
            "..",
        ] {
            assert!(validate_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scope_parsing() {
        assert_eq!(parse_scope("read write read"), Ok(vec!["read", "write"]));
        assert_eq!(parse_scope("a:b/c!#[]~"), Ok(vec!["a:b/c!#[]~"]));
        for bad in [
            "",
            " read",
            "read ",
            "read  write",
            "re\"ad",
            "re\\ad",
            "ré",
            "a\tb",
        ] {
            assert!(parse_scope(bad).is_err(), "{bad:?}");
        }
        assert!(parse_scope(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn scope_narrowing() {
        assert_eq!(
            narrow_scope(Some("read write"), None),
            Ok(Some("read write".into()))
        );
        assert_eq!(narrow_scope(None, None), Ok(None));
        assert_eq!(
            narrow_scope(Some("read write"), Some("write")),
            Ok(Some("write".into()))
        );
        assert!(narrow_scope(Some("read"), Some("read admin")).is_err());
        assert!(narrow_scope(None, Some("read")).is_err());
        assert!(narrow_scope(Some("read"), Some("")).is_err());
    }

    #[test]
    fn extra_claims_validation() {
        let ok: Map<String, Value> =
            serde_json::from_str(r#"{"role":"admin","org":{"id":7}}"#).unwrap_or_default();
        assert!(validate_extra_claims(&ok).is_ok());
        for name in RESERVED_CLAIMS {
            let mut m = Map::new();
            m.insert(name.to_owned(), Value::from(1));
            assert!(validate_extra_claims(&m).is_err(), "{name}");
        }
        let mut empty_name = Map::new();
        empty_name.insert(String::new(), Value::from(1));
        assert!(validate_extra_claims(&empty_name).is_err());
        let mut big = Map::new();
        big.insert("blob".into(), Value::from("x".repeat(MAX_CLAIMS_BYTES)));
        assert!(validate_extra_claims(&big).is_err());
    }
}
