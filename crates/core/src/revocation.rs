//! The revocation feed (the issuer's wire format) and the in-memory snapshot verifiers hold.
//!
//! Every entry carries `exp`: the time after which no token it matches can still be valid,
//! so it can be dropped. That keeps the snapshot bounded by the revocations of one access
//! token lifetime.

use serde::{Deserialize, Serialize};

use crate::{Claims, Error};

/// A revoked `jti` or `sid`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedEntry {
    /// The `jti` or `sid` value.
    pub id: String,
    /// Unix seconds after which the entry can be dropped.
    pub exp: i64,
}

/// A subject logged out everywhere: tokens with `iat < not_before` are revoked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectEntry {
    /// The `sub` value.
    pub id: String,
    /// Tokens issued strictly before this time (Unix seconds) are revoked.
    pub not_before: i64,
    /// Unix seconds after which the entry can be dropped.
    pub exp: i64,
}

/// `GET /v1/revocations` body: `{generated_at, jti:[{id,exp}], sid:[{id,exp}], sub:[{id,not_before,exp}]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationFeed {
    /// When the issuer produced this feed (Unix seconds).
    pub generated_at: i64,
    /// Revoked token ids.
    #[serde(default)]
    pub jti: Vec<FeedEntry>,
    /// Revoked session ids.
    #[serde(default)]
    pub sid: Vec<FeedEntry>,
    /// Subjects logged out everywhere.
    #[serde(default)]
    pub sub: Vec<SubjectEntry>,
}

/// What a verifier holds in memory: lookups by `jti`, `sid` and `sub`.
#[derive(Debug, Clone, Default)]
pub struct RevocationSnapshot {
    // Filled in by the implementation (hash maps keyed by id).
}

impl RevocationSnapshot {
    /// An empty snapshot (nothing revoked).
    pub fn new() -> Self {
        Self::default()
    }

    /// Builds a snapshot from a parsed feed. Entries already past `exp` at `now` are dropped.
    pub fn from_feed(feed: &RevocationFeed, now: i64) -> Self {
        let _ = (feed, now);
        todo!()
    }

    /// Parses the feed's JSON body (`ERR_JWT_INVALID`-free: a malformed feed is
    /// `Error::InvalidJws("revocation feed")`? no: see implementation) and builds a snapshot.
    pub fn from_feed_json(json: &str, now: i64) -> Result<Self, Error> {
        let _ = (json, now);
        todo!()
    }

    /// Drops entries whose `exp` is before `now`.
    pub fn prune(&mut self, now: i64) {
        let _ = now;
        todo!()
    }

    /// Number of entries (all kinds).
    pub fn len(&self) -> usize {
        todo!()
    }

    /// True when nothing is revoked.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `Err(Error::Revoked{claim})` when the claims match an entry: `jti`, then `sid`, then
    /// `sub` with `iat < not_before` (a token without `iat` for such a subject is revoked).
    pub fn check(&self, claims: &Claims) -> Result<(), Error> {
        let _ = claims;
        todo!()
    }
}
