//! The revocation feed (the issuer's wire format) and the in-memory snapshot verifiers hold.
//!
//! Every entry carries `exp`: the time after which no token it matches can still be valid,
//! so it can be dropped. That keeps the snapshot bounded by the revocations of one access
//! token lifetime.

use alloc::{borrow::ToOwned, string::String, vec::Vec};

use crate::{
    collections::HashMap,
    json::{Malformed, Reader},
    Claims, Error,
};

/// A revoked `jti` or `sid`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct FeedEntry {
    /// The `jti` or `sid` value.
    pub id: String,
    /// Unix seconds after which the entry can be dropped.
    pub exp: i64,
}

/// A subject logged out everywhere: tokens with `iat < not_before` are revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct SubjectEntry {
    /// The `sub` value.
    pub id: String,
    /// Tokens issued strictly before this time (Unix seconds) are revoked.
    pub not_before: i64,
    /// Unix seconds after which the entry can be dropped.
    pub exp: i64,
}

/// `GET /v1/revocations` body: `{generated_at, jti:[{id,exp}], sid:[{id,exp}], sub:[{id,not_before,exp}]}`.
///
/// The core parses it itself ([`RevocationSnapshot::from_feed_json`]); with the `serde`
/// feature it also derives `Serialize` and `Deserialize` (the issuer writes it with serde).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct RevocationFeed {
    /// When the issuer produced this feed (Unix seconds).
    pub generated_at: i64,
    /// Revoked token ids.
    #[cfg_attr(feature = "serde", serde(default))]
    pub jti: Vec<FeedEntry>,
    /// Revoked session ids.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sid: Vec<FeedEntry>,
    /// Subjects logged out everywhere.
    #[cfg_attr(feature = "serde", serde(default))]
    pub sub: Vec<SubjectEntry>,
}

/// Feed bodies larger than this (8 MiB) are rejected before parsing
/// (`ERR_REVOCATION_FEED_INVALID`). A feed holds the revocations of one access-token
/// lifetime; megabytes of it mean a misconfigured or hostile issuer.
pub const MAX_FEED_BYTES: usize = 8 * 1024 * 1024;

/// A subject's "not before" and the time the entry can be dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SubjectState {
    not_before: i64,
    exp: i64,
}

/// What a verifier holds in memory: lookups by `jti`, `sid` and `sub`.
///
/// `Debug` shows only the counts (the ids identify users and sessions).
#[derive(Clone, Default)]
pub struct RevocationSnapshot {
    jti: HashMap<String, i64>,
    sid: HashMap<String, i64>,
    sub: HashMap<String, SubjectState>,
}

impl core::fmt::Debug for RevocationSnapshot {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("RevocationSnapshot")
            .field("jti", &self.jti.len())
            .field("sid", &self.sid.len())
            .field("sub", &self.sub.len())
            .finish()
    }
}

/// Keeps the later drop time when an id appears twice.
fn insert_latest(map: &mut HashMap<String, i64>, id: &str, exp: i64) {
    match map.get_mut(id) {
        Some(existing) => *existing = (*existing).max(exp),
        None => {
            map.insert(id.to_owned(), exp);
        }
    }
}

impl RevocationSnapshot {
    /// An empty snapshot (nothing revoked).
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a snapshot from a parsed feed. Entries already past `exp` at `now`
    /// (`exp < now`) are dropped. An id listed twice keeps the latest `exp` (and, for a
    /// subject, the latest `not_before`).
    ///
    /// A verifier with a clock tolerance accepts tokens until `exp + tolerance`, so it must
    /// keep entries that long: pass `now - tolerance`. A verifier that polls the feed should
    /// use [`crate::Verifier::update_revocations`], which does that AND keeps entries of the
    /// previous snapshot that the new feed no longer lists (the issuer prunes at `exp` on
    /// its own clock; a stale cached copy may not list a revocation yet). Replacing the
    /// snapshot with [`crate::Verifier::set_revocations`] forgets them.
    pub fn from_feed(feed: &RevocationFeed, now: i64) -> Self {
        let mut snapshot = Self::new();
        for entry in feed.jti.iter().filter(|e| e.exp >= now) {
            insert_latest(&mut snapshot.jti, &entry.id, entry.exp);
        }
        for entry in feed.sid.iter().filter(|e| e.exp >= now) {
            insert_latest(&mut snapshot.sid, &entry.id, entry.exp);
        }
        for entry in feed.sub.iter().filter(|e| e.exp >= now) {
            let state = snapshot
                .sub
                .entry(entry.id.clone())
                .or_insert(SubjectState {
                    not_before: entry.not_before,
                    exp: entry.exp,
                });
            state.not_before = state.not_before.max(entry.not_before);
            state.exp = state.exp.max(entry.exp);
        }
        snapshot
    }

    /// Parses the feed's JSON body (`GET /v1/revocations`) and builds a snapshot as
    /// [`RevocationSnapshot::from_feed`] does. A body over [`MAX_FEED_BYTES`], malformed JSON,
    /// a missing `generated_at`, wrongly typed fields or an entry with an empty `id` are
    /// `ERR_REVOCATION_FEED_INVALID` (a revocable extension: never a token error).
    pub fn from_feed_json(json: &str, now: i64) -> Result<Self, Error> {
        Ok(Self::from_feed(&parse_feed(json)?, now))
    }

    /// Adds the entries of `older` (an earlier snapshot) that are still needed at `horizon`
    /// (`exp >= horizon`) and missing here; an entry in both keeps the later `exp` (and, for
    /// a subject, the later `not_before`). Revocations are never undone, so forgetting one
    /// early is the only unsafe direction: the issuer drops an entry at `exp` on ITS clock,
    /// and a feed served from a cache that has not seen a revocation yet lacks it,
    /// while this verifier may still accept the token on its own clock and tolerance.
    pub(crate) fn carry_over(&mut self, older: &Self, horizon: i64) {
        for (id, exp) in older.jti.iter().filter(|(_, exp)| **exp >= horizon) {
            insert_latest(&mut self.jti, id, *exp);
        }
        for (id, exp) in older.sid.iter().filter(|(_, exp)| **exp >= horizon) {
            insert_latest(&mut self.sid, id, *exp);
        }
        for (id, old) in older.sub.iter().filter(|(_, s)| s.exp >= horizon) {
            let state = self.sub.entry(id.clone()).or_insert(*old);
            state.not_before = state.not_before.max(old.not_before);
            state.exp = state.exp.max(old.exp);
        }
    }

    /// Drops entries whose `exp` is before `now`.
    pub fn prune(&mut self, now: i64) {
        self.jti.retain(|_, exp| *exp >= now);
        self.sid.retain(|_, exp| *exp >= now);
        self.sub.retain(|_, state| state.exp >= now);
    }

    /// Number of entries (all kinds).
    #[inline]
    pub fn len(&self) -> usize {
        self.jti.len() + self.sid.len() + self.sub.len()
    }

    /// True when nothing is revoked.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `Err(Error::Revoked{claim})` when the claims match an entry: `jti`, then `sid`, then
    /// `sub` with `iat < not_before` (a token without `iat` for such a subject is revoked).
    #[inline]
    pub fn check(&self, claims: &Claims) -> Result<(), Error> {
        if self.is_empty() {
            return Ok(());
        }
        if claims
            .jti
            .as_deref()
            .is_some_and(|jti| self.jti.contains_key(jti))
        {
            return Err(Error::Revoked { claim: "jti" });
        }
        if claims
            .sid
            .as_deref()
            .is_some_and(|sid| self.sid.contains_key(sid))
        {
            return Err(Error::Revoked { claim: "sid" });
        }
        if let Some(state) = claims.sub.as_deref().and_then(|sub| self.sub.get(sub)) {
            // The floor of a fractional iat: 99.5 is before a not_before of 100.
            if claims.iat_floor().is_none_or(|iat| iat < state.not_before) {
                return Err(Error::Revoked { claim: "sub" });
            }
        }
        Ok(())
    }
}

/// Parses and validates a feed body.
pub(crate) fn parse_feed(json: &str) -> Result<RevocationFeed, Error> {
    if json.len() > MAX_FEED_BYTES {
        return Err(Error::InvalidFeed("feed is larger than 8 MiB"));
    }
    let feed = read_feed(json)
        .map_err(|Malformed| Error::InvalidFeed("feed is not the issuer's json format"))?;
    let empty_id = feed.jti.iter().any(|e| e.id.is_empty())
        || feed.sid.iter().any(|e| e.id.is_empty())
        || feed.sub.iter().any(|e| e.id.is_empty());
    if empty_id {
        return Err(Error::InvalidFeed("feed entry with an empty id"));
    }
    Ok(feed)
}

/// The feed object: `generated_at` required; `jti`, `sid`, `sub` arrays when present;
/// other members skipped. Times are JSON integers within `i64` (no fraction, no exponent).
pub(crate) fn read_feed(json: &str) -> Result<RevocationFeed, Malformed> {
    let mut r = Reader::from_str(json);
    let mut feed = RevocationFeed::default();
    let mut generated_at = None;
    let mut members = r.object()?;
    while let Some(name) = r.member(&mut members)? {
        match name.as_ref() {
            "generated_at" => generated_at = Some(integer(&mut r)?),
            "jti" => feed.jti = entries(&mut r, read_entry)?,
            "sid" => feed.sid = entries(&mut r, read_entry)?,
            "sub" => feed.sub = entries(&mut r, read_subject)?,
            _ => r.skip_value()?,
        }
    }
    r.end()?;
    feed.generated_at = generated_at.ok_or(Malformed)?;
    Ok(feed)
}

fn integer(r: &mut Reader<'_>) -> Result<i64, Malformed> {
    r.number()?.to_i64().ok_or(Malformed)
}

fn entries<'a, T>(
    r: &mut Reader<'a>,
    read: fn(&mut Reader<'a>) -> Result<T, Malformed>,
) -> Result<Vec<T>, Malformed> {
    let mut list = Vec::new();
    let mut items = r.array()?;
    while r.element(&mut items)? {
        list.push(read(r)?);
    }
    Ok(list)
}

/// `{id, exp}` (other members skipped).
fn read_entry(r: &mut Reader<'_>) -> Result<FeedEntry, Malformed> {
    let (id, exp, _) = read_members(r, false)?;
    Ok(FeedEntry { id, exp })
}

/// `{id, not_before, exp}` (other members skipped).
fn read_subject(r: &mut Reader<'_>) -> Result<SubjectEntry, Malformed> {
    let (id, exp, not_before) = read_members(r, true)?;
    Ok(SubjectEntry {
        id,
        not_before: not_before.ok_or(Malformed)?,
        exp,
    })
}

/// The members of a feed entry: `id` and `exp` (required), `not_before` when `subject`.
fn read_members(
    r: &mut Reader<'_>,
    subject: bool,
) -> Result<(String, i64, Option<i64>), Malformed> {
    let (mut id, mut exp, mut not_before) = (None, None, None);
    let mut members = r.object()?;
    while let Some(name) = r.member(&mut members)? {
        match name.as_ref() {
            "id" => id = Some(r.string()?.into_owned()),
            "exp" => exp = Some(integer(r)?),
            "not_before" if subject => not_before = Some(integer(r)?),
            _ => r.skip_value()?,
        }
    }
    Ok((id.ok_or(Malformed)?, exp.ok_or(Malformed)?, not_before))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(jti: Option<&str>, sid: Option<&str>, sub: Option<&str>, iat: Option<i64>) -> Claims {
        Claims {
            jti: jti.map(Into::into),
            sid: sid.map(Into::into),
            sub: sub.map(Into::into),
            iat,
            ..Claims::default()
        }
    }

    const FEED: &str = r#"{"generated_at":1000,
        "jti":[{"id":"j1","exp":1300},{"id":"old","exp":999}],
        "sid":[{"id":"s1","exp":1300}],
        "sub":[{"id":"u1","not_before":1000,"exp":1300},{"id":"u1","not_before":900,"exp":1200}]}"#;

    #[test]
    fn builds_checks_and_prunes() {
        let mut snap = RevocationSnapshot::from_feed_json(FEED, 1000).unwrap();
        assert_eq!(snap.len(), 3, "old entry dropped, duplicate subject merged");
        assert_eq!(
            snap.check(&claims(Some("j1"), None, None, Some(1))),
            Err(Error::Revoked { claim: "jti" })
        );
        assert_eq!(
            snap.check(&claims(Some("j2"), Some("s1"), None, Some(1))),
            Err(Error::Revoked { claim: "sid" })
        );
        assert_eq!(
            snap.check(&claims(None, None, Some("u1"), Some(999))),
            Err(Error::Revoked { claim: "sub" })
        );
        assert_eq!(
            snap.check(&claims(None, None, Some("u1"), None)),
            Err(Error::Revoked { claim: "sub" })
        );
        assert!(snap
            .check(&claims(None, None, Some("u1"), Some(1000)))
            .is_ok());
        assert!(snap
            .check(&claims(Some("old"), Some("s2"), Some("u2"), None))
            .is_ok());
        // jti is checked before sid before sub.
        assert_eq!(
            snap.check(&claims(Some("j1"), Some("s1"), Some("u1"), None)),
            Err(Error::Revoked { claim: "jti" })
        );
        snap.prune(1300);
        assert_eq!(snap.len(), 3);
        snap.prune(1301);
        assert!(snap.is_empty());
        assert!(snap.check(&claims(Some("j1"), None, None, None)).is_ok());
    }

    #[test]
    fn malformed_feeds_are_rejected() {
        for bad in [
            "",
            "[]",
            r#"{"jti":[]}"#,
            r#"{"generated_at":"now"}"#,
            r#"{"generated_at":1,"jti":[{"id":"a"}]}"#,
            r#"{"generated_at":1,"jti":[{"id":"a","exp":1.5}]}"#,
            r#"{"generated_at":1,"sid":[{"id":"","exp":5}]}"#,
            r#"{"generated_at":1,"sub":[{"id":"u","exp":5}]}"#,
        ] {
            assert_eq!(
                RevocationSnapshot::from_feed_json(bad, 0)
                    .unwrap_err()
                    .code(),
                "ERR_REVOCATION_FEED_INVALID",
                "{bad}"
            );
        }
        let huge = format!(
            r#"{{"generated_at":1,"pad":"{}"}}"#,
            "a".repeat(MAX_FEED_BYTES)
        );
        assert_eq!(
            RevocationSnapshot::from_feed_json(&huge, 0).unwrap_err(),
            Error::InvalidFeed("feed is larger than 8 MiB")
        );
        assert!(
            RevocationSnapshot::from_feed_json(r#"{"generated_at":1}"#, 0)
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn debug_shows_counts_only() {
        let snap = RevocationSnapshot::from_feed_json(FEED, 0).unwrap();
        let shown = format!("{snap:?}");
        assert!(!shown.contains("j1") && !shown.contains("u1"), "{shown}");
    }
}
