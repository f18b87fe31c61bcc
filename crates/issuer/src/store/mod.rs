//! Storage: the only code that knows stored keys, values, metadata and TTLs
//! (docs/kv-schema.md documents each). It speaks to a key-value store through the small
//! [`Kv`] trait, implemented over a Durable Object's own SQLite storage
//! ([`object_kv`], wasm32 only) and over memory ([`memory`], native tests).
//!
//! Two kinds of store use it, each the storage of one Durable Object:
//! - a user's session object (named by the routing prefix of its users' `sub`,
//!   [`crate::tokens::route_for_subject`]): refresh-token records, sessions, and an outbox of
//!   feed entries not yet delivered;
//! - the feed object (one for the deployment): the revocation feed's entries.
//!
//! An object's storage is strongly consistent and only the object reads or writes it. The
//! operations here assume that the caller runs one of them at a time per object
//! ([`crate::objects::UserObject`] serializes them), so every decision reads the session's
//! one true state.

#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod object_kv;

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{FeedEntry, RevocationFeed, SubjectEntry};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::{
    rules::{self, Lifetimes, PreviousView, RefreshDecision, RefreshView, SessionView},
    tokens::{self, RandomError, RefreshToken},
};

/// A storage failure. The text says which operation, for the log; never a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (network, quota, rate limit: Workers KV allows one write per
    /// second per key).
    Backend(&'static str),
    /// A stored value does not parse: written by something else, or a schema change.
    Corrupt(&'static str),
    /// The backend refused a write for now (a rate limit, answered with 429). Transient:
    /// the same request succeeds a moment later, and every flow is safe to retry.
    RateLimited(&'static str),
    /// The feed object did not take the entries of a revocation. The revocation itself is
    /// in force and the entries wait in the session object's outbox, which its alarm retries.
    FeedDelivery,
    /// The session object could not be reached or answered something unreadable.
    Object(&'static str),
    /// The platform's random number generator failed.
    Random,
}

impl From<RandomError> for StoreError {
    fn from(_: RandomError) -> Self {
        Self::Random
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backend(op) => write!(f, "kv {op} failed"),
            Self::Corrupt(what) => write!(f, "kv value unreadable: {what}"),
            Self::RateLimited(op) => write!(f, "kv {op} rate limited"),
            Self::FeedDelivery => f.write_str("feed object did not take the entries"),
            Self::Object(what) => write!(f, "session object: {what}"),
            Self::Random => f.write_str("random number generator failed"),
        }
    }
}

impl std::error::Error for StoreError {}

impl StoreError {
    /// A static description for the log.
    pub fn describe(&self) -> &'static str {
        match self {
            Self::Backend("get") => "kv get failed",
            Self::Backend("put") => "kv put failed",
            Self::Backend("delete") => "kv delete failed",
            Self::Backend("list") => "kv list failed",
            Self::Backend(_) => "kv operation failed",
            Self::Corrupt(_) => "kv value unreadable",
            Self::RateLimited(_) => "kv write rate limited",
            Self::FeedDelivery => "feed object did not take the entries (kept in the outbox)",
            Self::Object(what) => what,
            Self::Random => "random number generator failed",
        }
    }

    /// Classifies a failed storage operation by the runtime's error text: a rate limit is
    /// reported only as an exception whose message carries the HTTP status (`... 429 Too
    /// Many Requests`); there is no structured code to match.
    pub fn from_runtime_message(op: &'static str, message: &str) -> Self {
        if message.contains("429") || message.contains("Too Many Requests") {
            Self::RateLimited(op)
        } else {
            Self::Backend(op)
        }
    }
}

/// One key of a `list` page.
#[derive(Debug, Clone, PartialEq)]
pub struct ListedKey {
    /// The key.
    pub name: String,
    /// Its metadata, if it has any.
    pub metadata: Option<Value>,
}

/// One page of a `list`.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    /// Keys in lexicographic order.
    pub keys: Vec<ListedKey>,
    /// Cursor of the next page; `None` when the listing is complete.
    pub cursor: Option<String>,
}

/// The key-value operations the issuer uses. Workers are single-threaded, so the futures need
/// not be `Send`.
#[allow(async_fn_in_trait)]
pub trait Kv {
    /// The value of `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes `key` with a TTL in seconds (>= 60) and optional metadata (<= 1024 bytes
    /// serialized).
    async fn put(
        &self,
        key: &str,
        value: &str,
        ttl: u64,
        metadata: Option<Value>,
    ) -> Result<(), StoreError>;
    /// Deletes `key` (no error when absent).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// One page of keys starting with `prefix`.
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage, StoreError>;
}

// ---- keys -------------------------------------------------------------------------------

/// The stored form of a subject: SHA-256 of the `sub`, base64url (43 characters). Fixed
/// length, so `session:<user>:` prefixes never overlap, and no user identifier (often an
/// e-mail) appears in key names.
pub fn subject_key(sub: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(sub.as_bytes()))
}

fn rt_key(hash: &str) -> String {
    format!("rt:{hash}")
}
fn session_key(user: &str, sid: &str) -> String {
    format!("session:{user}:{sid}")
}
fn sessions_prefix(user: &str) -> String {
    format!("session:{user}:")
}
fn sid_key(sid: &str) -> String {
    format!("sid:{sid}")
}
const OUTBOX_PREFIX: &str = "outbox:";
fn outbox_key(now_ms: i64, nonce: &str) -> String {
    // Zero-padded, so the outbox lists in the order entries were staged.
    format!("outbox:{now_ms:015}:{nonce}")
}
const FEED_PREFIX: &str = "feed:";
fn feed_jti_key(sid: &str, jti: &str) -> String {
    format!("feed:jti:{sid}:{jti}")
}
fn feed_sid_key(sid: &str) -> String {
    format!("feed:sid:{sid}")
}
fn feed_sub_key(user: &str) -> String {
    format!("feed:sub:{user}")
}

// ---- values -----------------------------------------------------------------------------

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
    /// [`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revoked_jti: Vec<String>,
}

impl SessionRecord {
    fn view(&self) -> SessionView<'_> {
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
struct SessionMeta {
    created_ms: i64,
    last_used_ms: i64,
    expires: i64,
    #[serde(default)]
    revoked: bool,
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
struct FeedMeta {
    exp: i64,
}

/// Metadata of `feed:sub:*` (the `sub` itself is in the metadata: the key only has its hash).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct FeedSubMeta {
    sub: String,
    not_before: i64,
    exp: i64,
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

fn parse<T: DeserializeOwned>(
    text: Option<String>,
    what: &'static str,
) -> Result<Option<T>, StoreError> {
    text.map(|t| serde_json::from_str(&t).map_err(|_| StoreError::Corrupt(what)))
        .transpose()
}

fn to_json<T: Serialize>(value: &T) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(value).unwrap_or_default()
}

fn to_value<T: Serialize>(value: &T) -> Option<Value> {
    serde_json::to_value(value).ok()
}

/// The storage of one object over a [`Kv`].
#[derive(Debug, Clone)]
pub struct Store<K> {
    kv: K,
}

impl<K: Kv> Store<K> {
    /// Wraps a backend.
    pub fn new(kv: K) -> Self {
        Self { kv }
    }

    /// The backend (tests inspect it).
    pub fn kv(&self) -> &K {
        &self.kv
    }

    // ---- session object -------------------------------------------------------------

    /// Stores a new session with its first refresh token.
    pub async fn create_session(
        &self,
        sid: &str,
        session: &SessionRecord,
        token: &RefreshToken,
        now: i64,
    ) -> Result<(), StoreError> {
        let user = subject_key(&session.sub);
        let record = RefreshRecord {
            sid: sid.to_owned(),
            user: user.clone(),
            gen: session.gen,
            exp: session.current_exp,
        };
        self.put_refresh(token.hash(), &record, now).await?;
        self.kv
            .put(
                &sid_key(sid),
                &to_json(&SidRecord { user: user.clone() }),
                rules::record_ttl(session.expires, now),
                None,
            )
            .await?;
        self.put_session(&user, sid, session, now).await
    }

    async fn put_refresh(
        &self,
        hash: &str,
        token: &RefreshRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        self.kv
            .put(
                &rt_key(hash),
                &to_json(token),
                rules::record_ttl(token.exp, now),
                None,
            )
            .await
    }

    async fn put_session(
        &self,
        user: &str,
        sid: &str,
        session: &SessionRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        let meta = SessionMeta {
            created_ms: session.created_ms,
            last_used_ms: session.last_used_ms,
            expires: session.expires,
            revoked: session.revoked_at.is_some(),
        };
        self.kv
            .put(
                &session_key(user, sid),
                &to_json(session),
                rules::record_ttl(session.expires, now),
                to_value(&meta),
            )
            .await
    }

    /// The record of a refresh token (by its hash).
    pub async fn refresh_token(&self, hash: &str) -> Result<Option<RefreshRecord>, StoreError> {
        parse(self.kv.get(&rt_key(hash)).await?, "refresh token record")
    }

    /// A session by owner and id.
    pub async fn session(
        &self,
        user: &str,
        sid: &str,
    ) -> Result<Option<SessionRecord>, StoreError> {
        parse(
            self.kv.get(&session_key(user, sid)).await?,
            "session record",
        )
    }

    /// The owner of a session id.
    pub async fn session_owner(&self, sid: &str) -> Result<Option<SidRecord>, StoreError> {
        parse(self.kv.get(&sid_key(sid)).await?, "session pointer")
    }

    /// A refresh with the token `presented` (rotation with reuse detection and the reuse
    /// interval, [`rules::decide_refresh`]), asking for `requested_scope`.
    pub async fn refresh(
        &self,
        presented: &str,
        requested_scope: Option<&str>,
        reuse_interval_ms: i64,
        lifetimes: &Lifetimes,
        now_ms: i64,
    ) -> Result<Refreshed, StoreError> {
        let refused = Refreshed::Refused {
            reuse: false,
            feed: Vec::new(),
        };
        let hash = tokens::hash_refresh_token(presented);
        let Some(token) = self.refresh_token(&hash).await? else {
            return Ok(refused);
        };
        let session = self.session(&token.user, &token.sid).await?;
        let decision = rules::decide_refresh(
            now_ms,
            &hash,
            RefreshView {
                gen: token.gen,
                exp: token.exp,
            },
            session.as_ref().map(SessionRecord::view),
            reuse_interval_ms,
            lifetimes,
        );
        let now = rules::secs(now_ms);
        let (mut session, decision) = match (session, decision) {
            (_, RefreshDecision::Reject(_)) | (None, _) => return Ok(refused),
            (Some(_), RefreshDecision::Reuse) => {
                let feed = self
                    .revoke_session(&token.user, &token.sid, now, lifetimes)
                    .await?;
                return Ok(Refreshed::Refused { reuse: true, feed });
            }
            (Some(session), decision) => (session, decision),
        };
        let scope = match rules::narrow_scope(session.scope.as_deref(), requested_scope) {
            Ok(scope) => scope,
            Err(invalid) => return Ok(Refreshed::ScopeExceeded(invalid.0)),
        };
        let route = tokens::route_of(presented);
        let (next, access_iat, access_exp) = match decision {
            RefreshDecision::Rotate(rotation) => {
                let next = RefreshToken::generate(route)?;
                self.put_refresh(
                    next.hash(),
                    &RefreshRecord {
                        sid: token.sid.clone(),
                        user: token.user.clone(),
                        gen: rotation.gen,
                        exp: rotation.refresh_exp,
                    },
                    now,
                )
                .await?;
                session.previous = Some(PreviousToken {
                    hash,
                    rotated_ms: now_ms,
                    sealed_successor: next.seal(presented),
                });
                session.gen = rotation.gen;
                session.current = next.hash().to_owned();
                session.current_exp = rotation.refresh_exp;
                (next, rotation.access_iat, rotation.access_exp)
            }
            RefreshDecision::Replay(replay) => {
                let sealed = session
                    .previous
                    .as_ref()
                    .map(|p| p.sealed_successor.as_str())
                    .unwrap_or_default();
                let next = RefreshToken::unseal(route, presented, sealed)
                    .filter(|t| t.hash() == session.current)
                    .ok_or(StoreError::Corrupt("sealed successor"))?;
                (next, replay.access_iat, replay.access_exp)
            }
            _ => return Ok(refused),
        };
        session.last_used_ms = now_ms;
        self.put_session(&token.user, &token.sid, &session, now)
            .await?;
        Ok(Refreshed::Granted(Grant {
            sid: token.sid,
            sub: session.sub,
            scope,
            claims: session.claims,
            refresh_token: next.secret().to_owned(),
            refresh_exp: session.current_exp,
            access_iat,
            access_exp,
        }))
    }

    /// Revokes one session: marks it revoked (every refresh of it fails from now on) and
    /// returns the feed entry that revokes its access tokens. A session already revoked
    /// returns its entry again (a retry re-delivers it); an unknown one returns nothing.
    pub async fn revoke_session(
        &self,
        user: &str,
        sid: &str,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<Vec<FeedAppend>, StoreError> {
        let Some(mut session) = self.session(user, sid).await? else {
            return Ok(Vec::new());
        };
        let revoked_at = match session.revoked_at {
            Some(at) => at,
            None => {
                session.revoked_at = Some(now);
                session.previous = None;
                self.put_session(user, sid, &session, now).await?;
                now
            }
        };
        Ok(vec![FeedAppend::Sid {
            sid: sid.to_owned(),
            exp: rules::sid_entry_exp(revoked_at, lifetimes),
        }])
    }

    /// Revokes the session of a refresh token (RFC 7009); nothing for an unknown token.
    pub async fn revoke_by_refresh_token(
        &self,
        presented: &str,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<Vec<FeedAppend>, StoreError> {
        let hash = tokens::hash_refresh_token(presented);
        match self.refresh_token(&hash).await? {
            Some(record) => {
                self.revoke_session(&record.user, &record.sid, now, lifetimes)
                    .await
            }
            None => Ok(Vec::new()),
        }
    }

    /// Ends the session `sid`; `None` when this object does not know it.
    pub async fn end_session(
        &self,
        sid: &str,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<Option<Vec<FeedAppend>>, StoreError> {
        let Some(owner) = self.session_owner(sid).await? else {
            return Ok(None);
        };
        if self.session(&owner.user, sid).await?.is_none() {
            return Ok(None);
        }
        self.revoke_session(&owner.user, sid, now, lifetimes)
            .await
            .map(Some)
    }

    /// Logout everywhere: every live session of `sub` is revoked, each with its `sid` entry,
    /// plus a `sub` entry for tokens issued before now. Returns how many sessions ended.
    pub async fn logout_everywhere(
        &self,
        sub: &str,
        now_ms: i64,
        lifetimes: &Lifetimes,
    ) -> Result<(usize, Vec<FeedAppend>), StoreError> {
        let now = rules::secs(now_ms);
        let user = subject_key(sub);
        let prefix = sessions_prefix(&user);
        let mut feed = Vec::new();
        let mut ended = 0;
        for key in self.list_all(&prefix).await? {
            let sid = &key.name[prefix.len()..];
            let meta = session_meta(&key)?;
            if meta.revoked || meta.expires <= now {
                continue;
            }
            feed.extend(self.revoke_session(&user, sid, now, lifetimes).await?);
            ended += 1;
        }
        let entry = rules::subject_entry(sub, now_ms, lifetimes);
        feed.push(FeedAppend::Sub {
            user,
            sub: entry.id,
            not_before: entry.not_before,
            exp: entry.exp,
        });
        Ok((ended, feed))
    }

    /// The user's live sessions, oldest first: one `list` with metadata, no value reads.
    pub async fn list_sessions(
        &self,
        sub: &str,
        now: i64,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let prefix = sessions_prefix(&subject_key(sub));
        let mut out = Vec::new();
        for key in self.list_all(&prefix).await? {
            let meta = session_meta(&key)?;
            if meta.revoked || meta.expires <= now {
                continue;
            }
            out.push(SessionSummary {
                id: key.name[prefix.len()..].to_owned(),
                created: rules::secs(meta.created_ms),
                last_used: rules::secs(meta.last_used_ms),
                expires: meta.expires,
            });
        }
        out.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(out)
    }

    /// Revokes one valid access token of session `sid` (RFC 7009): by `jti` until its `exp`,
    /// unless the session's revocation already covers it, or the session has as many `jti`
    /// entries as [`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`] allows, which ends the
    /// session instead. A `jti` revoked before adds nothing. A session this object does not
    /// know has ended past its absolute end, and with it every access token it issued.
    pub async fn revoke_access_token(
        &self,
        sid: &str,
        jti: &str,
        token_exp: i64,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<Vec<FeedAppend>, StoreError> {
        let Some(owner) = self.session_owner(sid).await? else {
            return Ok(Vec::new());
        };
        let Some(mut session) = self.session(&owner.user, sid).await? else {
            return Ok(Vec::new());
        };
        if session.revoked_jti.iter().any(|j| j == jti) {
            return Ok(Vec::new());
        }
        match rules::decide_access_token_revocation(
            token_exp,
            session.revoked_at,
            session.revoked_jti.len(),
            lifetimes,
        ) {
            rules::AccessTokenRevocation::CoveredBySession => Ok(Vec::new()),
            rules::AccessTokenRevocation::EndSession => {
                self.revoke_session(&owner.user, sid, now, lifetimes).await
            }
            rules::AccessTokenRevocation::Jti => {
                session.revoked_jti.push(jti.to_owned());
                self.put_session(&owner.user, sid, &session, now).await?;
                Ok(vec![FeedAppend::Jti {
                    sid: sid.to_owned(),
                    jti: jti.to_owned(),
                    exp: rules::jti_entry_exp(token_exp),
                }])
            }
        }
    }

    /// Keeps `entries` in the outbox until the feed object has them; returns the outbox key.
    pub async fn stage(&self, entries: &[FeedAppend], now_ms: i64) -> Result<String, StoreError> {
        let key = outbox_key(now_ms, &tokens::random_id()?);
        let last = entries.iter().map(feed_append_exp).max().unwrap_or(0);
        self.kv
            .put(
                &key,
                &to_json(&entries),
                rules::feed_ttl(last, rules::secs(now_ms)),
                None,
            )
            .await?;
        Ok(key)
    }

    /// Everything in the outbox, oldest first.
    pub async fn outbox(&self) -> Result<Vec<(String, Vec<FeedAppend>)>, StoreError> {
        let mut out = Vec::new();
        for key in self.list_all(OUTBOX_PREFIX).await? {
            let entries = parse(self.kv.get(&key.name).await?, "outbox entry")?;
            if let Some(entries) = entries {
                out.push((key.name, entries));
            }
        }
        Ok(out)
    }

    /// Removes a delivered outbox entry.
    pub async fn unstage(&self, key: &str) -> Result<(), StoreError> {
        self.kv.delete(key).await
    }

    // ---- feed object ------------------------------------------------------------------

    /// Adds entries to the feed. Idempotent: an entry written twice is one entry.
    pub async fn append_feed(&self, entries: &[FeedAppend], now: i64) -> Result<(), StoreError> {
        for entry in entries {
            let ttl = rules::feed_ttl(feed_append_exp(entry), now);
            match entry {
                FeedAppend::Jti { sid, jti, exp } => {
                    self.kv
                        .put(
                            &feed_jti_key(sid, jti),
                            "",
                            ttl,
                            to_value(&FeedMeta { exp: *exp }),
                        )
                        .await?;
                }
                FeedAppend::Sid { sid, exp } => {
                    self.kv
                        .put(
                            &feed_sid_key(sid),
                            "",
                            ttl,
                            to_value(&FeedMeta { exp: *exp }),
                        )
                        .await?;
                }
                FeedAppend::Sub {
                    user,
                    sub,
                    not_before,
                    exp,
                } => {
                    // A later logout everywhere replaces an earlier one's entry.
                    let meta = FeedSubMeta {
                        sub: sub.clone(),
                        not_before: *not_before,
                        exp: *exp,
                    };
                    self.kv
                        .put(&feed_sub_key(user), "", ttl, to_value(&meta))
                        .await?;
                }
            }
        }
        Ok(())
    }

    /// The revocation feed at `now`: one `list` over `feed:`, every entry's data in its
    /// key's metadata.
    pub async fn feed(&self, now: i64) -> Result<RevocationFeed, StoreError> {
        let keys = self.list_all(FEED_PREFIX).await?;
        let (mut jti, mut sid, mut sub) = (Vec::new(), Vec::new(), Vec::new());
        for key in keys {
            let corrupt = StoreError::Corrupt("feed entry metadata");
            let meta = key.metadata.ok_or(corrupt)?;
            if let Some(rest) = key.name.strip_prefix("feed:jti:") {
                let m: FeedMeta = serde_json::from_value(meta).map_err(|_| corrupt)?;
                // `<sid>:<jti>`: session ids have no `:`.
                let id = rest.split_once(':').map_or(rest, |(_sid, id)| id);
                jti.push(FeedEntry {
                    id: id.to_owned(),
                    exp: m.exp,
                });
            } else if let Some(id) = key.name.strip_prefix("feed:sid:") {
                let m: FeedMeta = serde_json::from_value(meta).map_err(|_| corrupt)?;
                sid.push(FeedEntry {
                    id: id.to_owned(),
                    exp: m.exp,
                });
            } else if key.name.starts_with("feed:sub:") {
                let m: FeedSubMeta = serde_json::from_value(meta).map_err(|_| corrupt)?;
                sub.push(SubjectEntry {
                    id: m.sub,
                    not_before: m.not_before,
                    exp: m.exp,
                });
            }
        }
        Ok(rules::assemble_feed(now, jti, sid, sub))
    }

    async fn list_all(&self, prefix: &str) -> Result<Vec<ListedKey>, StoreError> {
        let mut keys = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = self.kv.list(prefix, cursor.as_deref()).await?;
            keys.extend(page.keys);
            match page.cursor {
                Some(next) if Some(&next) != cursor.as_ref() => cursor = Some(next),
                _ => return Ok(keys),
            }
        }
    }
}

fn session_meta(key: &ListedKey) -> Result<SessionMeta, StoreError> {
    key.metadata
        .clone()
        .and_then(|m| serde_json::from_value::<SessionMeta>(m).ok())
        .ok_or(StoreError::Corrupt("session metadata"))
}

fn feed_append_exp(entry: &FeedAppend) -> i64 {
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
    fn rate_limit_errors_are_told_apart_from_failures() {
        // What workerd throws for a storage rate limit, as the worker crate displays it.
        let limited = "js error: JsValue(Error: KV PUT failed: 429 Too Many Requests)";
        assert_eq!(
            StoreError::from_runtime_message("put", limited),
            StoreError::RateLimited("put")
        );
        for other in [
            "js error: JsValue(Error: KV PUT failed: 500 Internal Server Error)",
            "",
        ] {
            assert_eq!(
                StoreError::from_runtime_message("put", other),
                StoreError::Backend("put")
            );
        }
    }

    #[test]
    fn subject_keys_are_fixed_length_hashes() {
        let a = subject_key("alice@example.com");
        assert_eq!(a.len(), 43);
        assert!(!a.contains("alice"));
        assert_ne!(a, subject_key("alice@example.co"));
        assert_eq!(sessions_prefix(&a).len(), "session:".len() + 43 + 1);
    }

    #[test]
    fn key_names() {
        assert_eq!(rt_key("h"), "rt:h");
        assert_eq!(session_key("u", "s"), "session:u:s");
        assert_eq!(sid_key("s"), "sid:s");
        assert_eq!(outbox_key(42, "n"), "outbox:000000000000042:n");
        assert!(outbox_key(9, "n") < outbox_key(10, "a"));
        assert_eq!(feed_jti_key("s", "j:k"), "feed:jti:s:j:k");
        assert_eq!(feed_sid_key("s"), "feed:sid:s");
        assert_eq!(feed_sub_key("u"), "feed:sub:u");
        assert!(feed_sub_key("u").starts_with(FEED_PREFIX));
    }

    #[test]
    fn largest_feed_sub_metadata_fits_kv_limit() {
        // KV metadata is limited to 1024 bytes serialized. The longest valid sub (256
        // bytes, every byte a JSON-escaped quote) must fit.
        let sub = "\"".repeat(rules::MAX_SUB_BYTES);
        let meta = FeedSubMeta {
            sub,
            not_before: i64::MAX,
            exp: i64::MAX,
        };
        assert!(to_json(&meta).len() <= 1024, "{}", to_json(&meta).len());
    }
}
