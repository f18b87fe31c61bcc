//! The stored values: one record type per key kind (docs/kv-schema.md), the metadata that
//! lets a `list` answer without reading values, and what the operations hand back.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

#[cfg(doc)]
use super::keys::subject_key;
use super::{ListedKey, StoreError};
use crate::rules::{PreviousView, SessionView};
#[cfg(doc)]
use crate::tokens::RefreshToken;

/// `rt:<sha256>`: one refresh token, written once when minted, never updated. Old records
/// stay until they expire: that is what makes a replayed, rotated-away token recognisable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefreshRecord {
    /// Session id.
    pub sid: String,
    /// [`subject_key`] of the session's subject.
    pub user: String,
    /// Generation within the session (0, 1, 2, ...).
    pub gen: u64,
    /// Expiry of this refresh token (seconds).
    pub exp: i64,
}

/// The session's immediately previous refresh token, kept for the reuse interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviousToken {
    /// SHA-256 of the previous token.
    pub hash: String,
    /// When it was rotated away (milliseconds).
    pub rotated_ms: i64,
    /// The current token sealed under the previous one ([`RefreshToken::seal`]): only a
    /// request presenting the previous token can open it.
    pub sealed_successor: String,
}

/// `session:<user>:<sid>`: the session, rewritten by every change. A revoked session stays
/// (marked) until its absolute end, so that revoking its access tokens adds nothing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// `sub`.
    pub sub: String,
    /// Scope granted at creation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Extra claims for every access token of the session.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// Creation time (milliseconds).
    pub created_ms: i64,
    /// Absolute end (seconds).
    pub expires: i64,
    /// Generation of the current refresh token.
    pub gen: u64,
    /// SHA-256 of the current refresh token.
    pub current: String,
    /// `exp` of the current refresh token (seconds).
    pub current_exp: i64,
    /// The token the current one replaced, for the reuse interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous: Option<PreviousToken>,
    /// Last refresh (milliseconds).
    pub last_used_ms: i64,
    /// When the session was revoked (seconds); `None` while it is live.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<i64>,
    /// `jti`s of its access tokens revoked one by one (RFC 7009), at most
    /// [`crate::rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked_jti: Vec<String>,
}

impl SessionRecord {
    pub(super) fn view(&self) -> SessionView<'_> {
        SessionView {
            expires: self.expires,
            gen: self.gen,
            current: &self.current,
            current_exp: self.current_exp,
            previous: self.previous.as_ref().map(|p| PreviousView {
                hash: &p.hash,
                rotated_ms: p.rotated_ms,
            }),
            revoked: self.revoked_at.is_some(),
        }
    }
}

/// Metadata of a session key, so listing a user's sessions reads no values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct SessionMeta {
    pub(super) created_ms: i64,
    pub(super) last_used_ms: i64,
    pub(super) expires: i64,
    #[serde(default)]
    pub(super) revoked: bool,
}

/// `sid:<sid>`: which user of the object a session belongs to (for ending a session by id).
/// Written once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidRecord {
    /// [`subject_key`] of the owner.
    pub user: String,
}

/// One entry for the revocation feed, as a session object hands it to the feed object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum FeedAppend {
    /// One access token, until its `exp`.
    Jti {
        /// Its session (counts towards that session's bound).
        sid: String,
        /// `jti`.
        jti: String,
        /// Listed until (seconds).
        exp: i64,
    },
    /// Every access token of a session.
    Sid {
        /// Session id.
        sid: String,
        /// Listed until (seconds).
        exp: i64,
    },
    /// Every access token of a subject issued before `not_before`.
    Sub {
        /// [`subject_key`] of the subject.
        user: String,
        /// The `sub` itself.
        sub: String,
        /// Tokens with `iat` before this are revoked (seconds).
        not_before: i64,
        /// Listed until (seconds).
        exp: i64,
    },
}

/// Metadata of `feed:jti:*` and `feed:sid:*`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub(super) struct FeedMeta {
    pub(super) exp: i64,
}

/// Metadata of `feed:sub:*` (the `sub` itself is in the metadata: the key only has its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct FeedSubMeta {
    pub(super) sub: String,
    pub(super) not_before: i64,
    pub(super) exp: i64,
}

/// One live session, as `GET /v1/users/{sub}/sessions` shows it (Unix seconds).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// Session id.
    pub id: String,
    /// Created.
    pub created: i64,
    /// Last refresh (or creation).
    pub last_used: i64,
    /// Absolute end.
    pub expires: i64,
}

/// What a refresh hands out: the session's token pair data, for the worker to sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// Session id.
    pub sid: String,
    /// `sub`.
    pub sub: String,
    /// Scope of the access token (already narrowed to what the request asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Extra claims.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub claims: Map<String, Value>,
    /// The refresh token for the client.
    pub refresh_token: String,
    /// Its `exp` (seconds).
    pub refresh_exp: i64,
    /// `iat` of the access token to sign.
    pub access_iat: i64,
    /// `exp` of the access token to sign.
    pub access_exp: i64,
}

/// The result of a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refreshed {
    /// Rotated, or a retry inside the reuse interval.
    Granted(Grant),
    /// `invalid_grant`; `reuse` when the token was rotated away and the session is now
    /// revoked (with the feed entries that say so).
    Refused {
        /// Whether this was reuse.
        reuse: bool,
        /// Feed entries to deliver.
        feed: Vec<FeedAppend>,
    },
    /// The requested scope exceeds the session's: nothing changed.
    ScopeExceeded(&'static str),
}

pub(super) fn parse<T: DeserializeOwned>(
    text: Option<String>,
    what: &'static str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(&t).map_err(|_| StoreError::Corrupt(what)))
        .transpose()
}

pub(super) fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_default()
}

pub(super) fn to_value<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

pub(super) fn session_meta(key: &ListedKey) -> Result<SessionMeta, StoreError> {
    key.metadata
        .clone()
        .and_then(|m| serde_json::from_value::<SessionMeta>(m).ok())
        .ok_or(StoreError::Corrupt("session metadata"))
}

pub(super) fn feed_append_exp(entry: &FeedAppend) -> i64 {
    match entry {
        FeedAppend::Jti { exp, .. } | FeedAppend::Sid { exp, .. } | FeedAppend::Sub { exp, .. } => {
            *exp
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn largest_feed_sub_metadata_fits_kv_limit() {
        // A key's metadata is limited to 1024 bytes serialized (the `Kv` contract). The longest valid sub (256
        // bytes, every byte a JSON-escaped quote) must fit.
        let sub = "\"".repeat(crate::rules::MAX_SUB_BYTES);
        let meta = FeedSubMeta {
            sub,
            not_before: i64::MAX,
            exp: i64::MAX,
        };
        assert!(to_json(&meta).len() <= 1024, "{}", to_json(&meta).len());
    }
}
