//! Storage: the only code that knows KV keys, values, metadata and TTLs
//! (docs/kv-schema.md documents each). It speaks to KV through the small [`Kv`] trait,
//! implemented over Workers KV ([`worker_kv`], wasm32 only) and over memory
//! ([`memory`], native tests).
//!
//! Design constraints of Workers KV that shape this module: no transactions and no
//! compare-and-swap; last write wins; a write may take about 60 s to be seen at other
//! locations (reads, and `list` even more so, are cached); at most one write per second to
//! the same key; TTLs of at least 60 s. Hence:
//! - refresh-token records (`rt:`) are written once and never changed;
//! - revocation markers (`revoked:`, `logout:`) live in their own keys that no refresh ever
//!   writes, so a refresh racing a revocation cannot undo it;
//! - the feed is one `list` over `feed:` with everything in key metadata (no per-entry read);
//! - a user's sessions are one `list` over `session:<user>:` with metadata.

#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod worker_kv;

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use futures_util::future::{join, join3, join_all};
use revocable_core::{FeedEntry, RevocationFeed, SubjectEntry};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::rules::{self, Lifetimes, RevocationView};

/// A KV failure. The text says which operation, for the log; never a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (network, quota, rate limit: Workers KV allows one write per
    /// second per key).
    Backend(&'static str),
    /// A stored value does not parse: written by something else, or a schema change.
    Corrupt(&'static str),
    /// Workers KV refused a write to a key written less than a second earlier (its limit of
    /// one write per second per key, answered with 429). Transient: the same request
    /// succeeds a second later, and the write order of every flow makes retrying safe.
    RateLimited(&'static str),
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backend(op) => write!(f, "kv {op} failed"),
            Self::Corrupt(what) => write!(f, "kv value unreadable: {what}"),
            Self::RateLimited(op) => {
                write!(f, "kv {op} rate limited (one write per second per key)")
            }
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
            Self::RateLimited(_) => "kv write rate limited (one write per second per key)",
        }
    }

    /// Classifies a failed KV operation by the runtime's error text. Workers KV reports its
    /// per-key write limit only as an exception whose message carries the HTTP status
    /// (`KV PUT failed: 429 Too Many Requests`); there is no structured code to match.
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

/// The KV operations the issuer uses. Workers are single-threaded, so the futures need not
/// be `Send`.
#[allow(async_fn_in_trait)]
pub trait Kv {
    /// The value of `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError>;
    /// Writes `key` with a TTL in seconds (>= 60) and optional metadata (<= 1024 bytes).
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

/// The KV form of a subject: SHA-256 of the `sub`, base64url (43 characters). Fixed length,
/// so `session:<user>:` prefixes never overlap, and no user identifier (often an e-mail)
/// appears in key names.
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
fn revoked_key(user: &str, sid: &str) -> String {
    format!("revoked:{user}:{sid}")
}
fn revoked_prefix(user: &str) -> String {
    format!("revoked:{user}:")
}
fn logout_key(user: &str) -> String {
    format!("logout:{user}")
}
const FEED_PREFIX: &str = "feed:";
/// The session id in the key lets one `list` count a session's revoked access tokens
/// ([`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`]). Session ids have a fixed alphabet
/// without `:`, so the `jti` is what follows the first `:` after the prefix.
fn feed_jti_key(sid: &str, jti: &str) -> String {
    format!("feed:jti:{sid}:{jti}")
}
fn feed_jti_prefix(sid: &str) -> String {
    format!("feed:jti:{sid}:")
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
    /// Absolute end of the session (seconds), so a revocation needs no session read.
    pub session_expires: i64,
}

/// `session:<user>:<sid>`: the session. Rewritten on every rotation (last write wins).
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
    /// Last refresh (milliseconds).
    pub last_used_ms: i64,
}

/// Metadata of a session key, so listing a user's sessions reads no values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct SessionMeta {
    created_ms: i64,
    last_used_ms: i64,
    expires: i64,
}

/// `sid:<sid>`: which user a session belongs to (for `DELETE /v1/sessions/{id}`). Written
/// once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SidRecord {
    /// [`subject_key`] of the owner.
    pub user: String,
    /// Absolute end of the session (seconds).
    pub session_expires: i64,
}

/// `revoked:<user>:<sid>`: the session was revoked.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct RevokedRecord {
    revoked_at: i64,
}

/// `logout:<user>`: logout everywhere at this time; sessions created before are over.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
struct LogoutRecord {
    not_before_ms: i64,
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
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

/// What a refresh reads about a session, besides the token record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionState {
    /// The session record, if this location sees one.
    pub session: Option<SessionRecord>,
    /// The revocation markers.
    pub revocations: RevocationView,
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

/// The issuer's storage over a [`Kv`].
#[derive(Debug, Clone)]
pub struct Store<K> {
    kv: K,
}

impl<K: Kv> Store<K> {
    /// Wraps a KV backend.
    pub fn new(kv: K) -> Self {
        Self { kv }
    }

    /// The backend (tests inspect it).
    pub fn kv(&self) -> &K {
        &self.kv
    }

    /// Stores a new session: its refresh token and owner pointer first, the session record
    /// last, so a failure half-way leaves only unreachable records behind.
    pub async fn create_session(
        &self,
        sid: &str,
        session: &SessionRecord,
        token_hash: &str,
        token: &RefreshRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        let pointer = SidRecord {
            user: token.user.clone(),
            session_expires: session.expires,
        };
        let (a, b) = join(
            self.put_refresh(token_hash, token, now),
            self.kv.put(
                &sid_key(sid),
                &to_json(&pointer),
                rules::record_ttl(session.expires, now),
                None,
            ),
        )
        .await;
        a?;
        b?;
        self.put_session(&token.user, sid, session, now).await
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

    /// The session and its revocation markers, read concurrently.
    pub async fn session_state(&self, user: &str, sid: &str) -> Result<SessionState, StoreError> {
        let (session, revoked, logout) = join3(
            self.kv.get(&session_key(user, sid)),
            self.kv.get(&revoked_key(user, sid)),
            self.kv.get(&logout_key(user)),
        )
        .await;
        let session: Option<SessionRecord> = parse(session?, "session record")?;
        let revoked = revoked?.is_some();
        let logout: Option<LogoutRecord> = parse(logout?, "logout record")?;
        Ok(SessionState {
            session,
            revocations: RevocationView {
                session_revoked: revoked,
                logout_everywhere_ms: logout.map(|l| l.not_before_ms),
            },
        })
    }

    /// Records a rotation: the new token's record first, then the session pointing at it.
    /// If the second write fails, the client keeps its old (still current) token and can
    /// retry; the reverse order could leave the session pointing at a token nobody holds.
    pub async fn rotate(
        &self,
        sid: &str,
        session: &SessionRecord,
        token_hash: &str,
        token: &RefreshRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        self.put_refresh(token_hash, token, now).await?;
        self.put_session(&token.user, sid, session, now).await
    }

    /// The owner of a session id.
    pub async fn session_owner(&self, sid: &str) -> Result<Option<SidRecord>, StoreError> {
        parse(self.kv.get(&sid_key(sid)).await?, "session pointer")
    }

    /// Revokes one session: the revocation marker (kept until the session's end, so no
    /// refresh can revive it), the feed entry for its `sid`, then the session record goes.
    pub async fn revoke_session(
        &self,
        user: &str,
        sid: &str,
        session_expires: i64,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<(), StoreError> {
        let exp = rules::sid_entry_exp(now, lifetimes);
        let (a, b) = join(
            self.kv.put(
                &revoked_key(user, sid),
                &to_json(&RevokedRecord { revoked_at: now }),
                rules::record_ttl(session_expires.max(now) + rules::KV_MIN_TTL, now),
                None,
            ),
            self.kv.put(
                &feed_sid_key(sid),
                "",
                rules::feed_ttl(exp, now),
                to_value(&FeedMeta { exp }),
            ),
        )
        .await;
        a?;
        b?;
        self.kv.delete(&session_key(user, sid)).await
    }

    /// Logout everywhere: first the cut-off (on its own it already ends every session
    /// created before it, including any that `list` does not show yet) and the feed's `sub`
    /// entry, then every listed session is revoked by `sid`. Returns how many sessions were
    /// listed and revoked.
    pub async fn logout_everywhere(
        &self,
        sub: &str,
        now_ms: i64,
        lifetimes: &Lifetimes,
    ) -> Result<usize, StoreError> {
        let now = rules::secs(now_ms);
        let user = subject_key(sub);
        let entry = rules::subject_entry(sub, now_ms, lifetimes);
        let meta = FeedSubMeta {
            sub: entry.id.clone(),
            not_before: entry.not_before,
            exp: entry.exp,
        };
        let (a, b) = join(
            self.kv.put(
                &logout_key(&user),
                &to_json(&LogoutRecord {
                    not_before_ms: now_ms,
                }),
                rules::logout_record_ttl(lifetimes),
                None,
            ),
            self.kv.put(
                &feed_sub_key(&user),
                "",
                rules::feed_ttl(entry.exp, now),
                to_value(&meta),
            ),
        )
        .await;
        a?;
        b?;
        let sessions = self.list_all(&sessions_prefix(&user)).await?;
        let prefix_len = sessions_prefix(&user).len();
        // A few revocations at a time: concurrent enough to keep a user with many devices
        // fast, few enough to stay far below the runtime's concurrent-operation limits.
        for chunk in sessions.chunks(6) {
            let results = join_all(chunk.iter().map(|key| {
                let sid = &key.name[prefix_len..];
                let expires = key
                    .metadata
                    .as_ref()
                    .and_then(|m| serde_json::from_value::<SessionMeta>(m.clone()).ok())
                    .map_or(now + lifetimes.session_max_age, |m| m.expires);
                self.revoke_session(&user, sid, expires, now, lifetimes)
            }))
            .await;
            results
                .into_iter()
                .collect::<Result<Vec<()>, StoreError>>()?;
        }
        Ok(sessions.len())
    }

    /// The user's live sessions: one `list` of sessions and one of revocation markers (a
    /// refresh racing a revocation can rewrite a session record; the marker still counts),
    /// plus the logout-everywhere cut-off. No per-session reads.
    pub async fn list_sessions(
        &self,
        sub: &str,
        now: i64,
    ) -> Result<Vec<SessionSummary>, StoreError> {
        let user = subject_key(sub);
        let (sessions, revoked, logout) = join3(
            self.list_all(&sessions_prefix(&user)),
            self.list_all(&revoked_prefix(&user)),
            self.kv.get(&logout_key(&user)),
        )
        .await;
        let (sessions, revoked) = (sessions?, revoked?);
        let cutoff = parse::<LogoutRecord>(logout?, "logout record")?.map(|l| l.not_before_ms);
        let revoked_prefix_len = revoked_prefix(&user).len();
        let revoked: Vec<&str> = revoked
            .iter()
            .map(|k| &k.name[revoked_prefix_len..])
            .collect();
        let prefix_len = sessions_prefix(&user).len();
        let mut out = Vec::new();
        for key in &sessions {
            let sid = &key.name[prefix_len..];
            let Some(meta) = key
                .metadata
                .clone()
                .and_then(|m| serde_json::from_value::<SessionMeta>(m).ok())
            else {
                return Err(StoreError::Corrupt("session metadata"));
            };
            let cut = cutoff.is_some_and(|c| meta.created_ms < c);
            if revoked.contains(&sid) || cut || meta.expires <= now {
                continue;
            }
            out.push(SessionSummary {
                id: sid.to_owned(),
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
    /// entries listed as [`rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION`] allows, which ends
    /// the session instead. A session this location does not know (yet) gets the `jti` entry.
    pub async fn revoke_access_token(
        &self,
        sid: &str,
        jti: &str,
        token_exp: i64,
        now: i64,
        lifetimes: &Lifetimes,
    ) -> Result<(), StoreError> {
        let (owner, listed) = join(
            self.session_owner(sid),
            self.kv.list(&feed_jti_prefix(sid), None),
        )
        .await;
        // One page (1000 keys) is far more than the bound: no need to page on.
        let listed = listed?.keys;
        let key = feed_jti_key(sid, jti);
        if listed.iter().any(|k| k.name == key) {
            // Revoked before (a client's retry): not another entry towards the bound.
            return Ok(());
        }
        let Some(owner) = owner? else {
            // A session this location does not see (yet): the entry is the revocation.
            return self.put_jti_entry(&key, token_exp, now).await;
        };
        let revoked_at = parse::<RevokedRecord>(
            self.kv.get(&revoked_key(&owner.user, sid)).await?,
            "revocation marker",
        )?
        .map(|r| r.revoked_at);
        match rules::decide_access_token_revocation(token_exp, revoked_at, listed.len(), lifetimes)
        {
            rules::AccessTokenRevocation::CoveredBySession => Ok(()),
            rules::AccessTokenRevocation::EndSession => {
                self.revoke_session(&owner.user, sid, owner.session_expires, now, lifetimes)
                    .await
            }
            rules::AccessTokenRevocation::Jti => self.put_jti_entry(&key, token_exp, now).await,
        }
    }

    /// The feed entry `key` of an access token, listed until the token's `exp`.
    async fn put_jti_entry(&self, key: &str, token_exp: i64, now: i64) -> Result<(), StoreError> {
        let exp = rules::jti_entry_exp(token_exp);
        self.kv
            .put(
                key,
                "",
                rules::feed_ttl(exp, now),
                to_value(&FeedMeta { exp }),
            )
            .await
    }

    /// The revocation feed at `now`: one `list` over `feed:` (one call per 1000 entries),
    /// every entry's data in its key's metadata.
    pub async fn feed(&self, now: i64) -> Result<RevocationFeed, StoreError> {
        let keys = self.list_all(FEED_PREFIX).await?;
        let (mut jti, mut sid, mut sub) = (Vec::new(), Vec::new(), Vec::new());
        for key in keys {
            let corrupt = StoreError::Corrupt("feed entry metadata");
            let meta = key.metadata.ok_or(corrupt)?;
            if let Some(rest) = key.name.strip_prefix("feed:jti:") {
                let m: FeedMeta = serde_json::from_value(meta).map_err(|_| corrupt)?;
                // `<sid>:<jti>`; a key without the sid (written before the sid was part of
                // the key, still in a persisted local KV) is the jti alone.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kv_rate_limit_errors_are_told_apart_from_failures() {
        // What workerd throws for Workers KV's one write per second per key, as worker's
        // KvError displays it.
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
        assert_eq!(revoked_key("u", "s"), "revoked:u:s");
        assert_eq!(logout_key("u"), "logout:u");
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
