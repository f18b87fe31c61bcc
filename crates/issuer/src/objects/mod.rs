//! The two Durable Objects' logic, runtime-free: what the issuer worker asks a user's session
//! object ([`Call`] -> [`Outcome`]), how the object runs it ([`UserObject`]: one call at a
//! time, revocations delivered to the feed through an outbox), and the feed object
//! ([`FeedObject`]). The wasm32 glue (crates/issuer/cdylib, `durable.rs`) only moves these values in and out
//! of the Workers runtime; [`local::LocalBackend`] runs the same objects in memory for native
//! tests and the simulation (crates/issuer/tests/issuer/simulation.rs).
//!
//! Why one object per user: every rule that must not race (rotation, reuse detection, the
//! reuse interval, the per-session cap on revoked access tokens, logout everywhere against
//! a concurrent login) is about one user's sessions, so one object per user serializes
//! exactly what needs it and nothing more (docs/kv-schema.md).

#[cfg(not(target_arch = "wasm32"))]
pub mod local;
mod turn;

use revocable_core::RevocationFeed;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use self::turn::Turns;
use crate::{
    rules::{self, Lifetimes},
    store::{FeedAppend, Grant, Kv, Refreshed, SessionRecord, SessionSummary, Store, StoreError},
    tokens::{self, RefreshToken},
};

/// The settings a session object needs, sent with every call (the worker's vars; the
/// objects read no configuration of their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Token and session lifetimes.
    pub lifetimes: Lifetimes,
    /// `REFRESH_REUSE_INTERVAL` in milliseconds (0: strict rotation).
    pub reuse_interval_ms: i64,
}

/// One request to a user's session object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    /// The worker's settings.
    pub settings: Settings,
    /// What to do.
    pub command: Command,
}

/// What a session object is asked to do. Inputs are validated by the worker first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Command {
    /// Start a session with this id.
    Start {
        /// Session id (routing prefix of `sub`'s object + random).
        sid: String,
        /// `sub`.
        sub: String,
        /// Scope, already normalized.
        #[serde(default)]
        scope: Option<String>,
        /// Extra claims, already validated.
        #[serde(default)]
        claims: Map<String, Value>,
    },
    /// Refresh with a refresh token.
    Refresh {
        /// The presented refresh token.
        token: String,
        /// The requested (narrower) scope, syntax already checked.
        #[serde(default)]
        scope: Option<String>,
    },
    /// Revoke the session of a refresh token (RFC 7009).
    RevokeRefreshToken {
        /// The presented refresh token.
        token: String,
    },
    /// Revoke one verified access token (RFC 7009).
    RevokeAccessToken {
        /// Its `sid`.
        sid: String,
        /// Its `jti`.
        jti: String,
        /// Its `exp`.
        exp: i64,
    },
    /// End one session by id.
    EndSession {
        /// Session id.
        sid: String,
    },
    /// List a user's live sessions.
    ListSessions {
        /// `sub`.
        sub: String,
    },
    /// Logout everywhere.
    LogoutEverywhere {
        /// `sub`.
        sub: String,
    },
}

/// A session object's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// Tokens to hand out (start, rotation, or a retry inside the reuse interval).
    Granted(Grant),
    /// `invalid_grant`; `reuse` when the session was revoked for reuse.
    Refused {
        /// Whether this was reuse.
        reuse: bool,
    },
    /// `invalid_scope`: the requested scope exceeds the session's.
    ScopeExceeded {
        /// The `error_description`.
        description: String,
    },
    /// Done (revocations).
    Done,
    /// No such session.
    UnknownSession,
    /// The user's live sessions.
    Sessions {
        /// Oldest first.
        sessions: Vec<SessionSummary>,
    },
    /// Logout everywhere happened.
    LoggedOut {
        /// How many sessions it ended.
        sessions: usize,
        /// The feed's `not_before` for the subject (seconds).
        not_before: i64,
    },
}

/// Where a session object delivers feed entries: the feed object.
#[allow(async_fn_in_trait)]
pub trait FeedSink {
    /// Appends `entries` to the feed (idempotent).
    async fn append(&self, entries: &[FeedAppend]) -> Result<(), StoreError>;
}

/// What the worker talks to: the session objects and the feed.
#[allow(async_fn_in_trait)]
pub trait Backend {
    /// Runs `call` in the session object `route`. `now_ms` is the worker's clock, used only
    /// where no object has a clock of its own (the in-memory backend); Durable Objects use
    /// their own.
    async fn call(&self, route: &str, call: &Call, now_ms: i64) -> Result<Outcome, StoreError>;
    /// The revocation feed at `now` (possibly cached for `FEED_CACHE_TTL`).
    async fn feed(&self, now: i64) -> Result<RevocationFeed, StoreError>;
    /// A revocation was just answered: drop this location's cached feed, so that the next
    /// read here shows it at once (other locations within `FEED_CACHE_TTL`).
    async fn feed_changed(&self) {}
    /// The runtime's signature of `message` with the signing key at `key` of `SIGNING_KEYS`,
    /// one the core leaves to the runtime ([`SigningKey::signed_by_host`]: EC and RSA keys in
    /// the worker, signed by workerd's WebCrypto). `None`: the runtime cannot sign with it.
    ///
    /// [`SigningKey::signed_by_host`]: revocable_core::SigningKey::signed_by_host
    async fn host_sign(&self, key: usize, message: &[u8]) -> Option<Vec<u8>> {
        let _ = (key, message);
        None
    }
    /// The runtime's check of `signature` over `message` with the public key of the signing
    /// key at `key` (as for [`Backend::host_sign`]). `None`: the runtime cannot check it, and
    /// the signature fails.
    async fn host_verify(&self, key: usize, message: &[u8], signature: &[u8]) -> Option<bool> {
        let _ = (key, message, signature);
        None
    }
}

impl Command {
    /// Whether a successful run of this command can add feed entries (a refresh does only
    /// when it detects reuse, which its outcome says).
    pub fn may_revoke(&self, outcome: &Outcome) -> bool {
        match self {
            Command::Start { .. } | Command::ListSessions { .. } => false,
            Command::Refresh { .. } => matches!(outcome, Outcome::Refused { reuse: true }),
            _ => true,
        }
    }
}

/// A user's session object: the store, the feed it delivers revocations to, and the queue
/// that makes calls take turns.
#[derive(Debug)]
pub struct UserObject<K, F> {
    store: Store<K>,
    feed: F,
    turns: Option<Turns>,
}

impl<K: Kv, F: FeedSink> UserObject<K, F> {
    /// An object over `kv` that delivers revocations to `feed`.
    pub fn new(kv: K, feed: F) -> Self {
        Self {
            store: Store::new(kv),
            feed,
            turns: Some(Turns::default()),
        }
    }

    /// The same object with calls NOT taking turns: each call's storage operations
    /// interleave with other calls' as they would over a store shared without turns. Only the
    /// simulation's negative control uses it, to show that the checks can fail.
    #[doc(hidden)]
    pub fn without_turns(kv: K, feed: F) -> Self {
        Self {
            turns: None,
            ..Self::new(kv, feed)
        }
    }

    /// The object's store.
    pub fn store(&self) -> &Store<K> {
        &self.store
    }

    /// Runs one call at `now_ms`, after every call that arrived before it has finished.
    /// A revocation answers only once the feed object has its entries, and every entry still
    /// waiting in the outbox from an earlier attempt (a retried logout that finds nothing new
    /// to revoke must not answer before the feed shows what the first attempt revoked). If
    /// delivery fails, the revocation is in force all the same, the entries stay in the
    /// outbox for [`UserObject::flush_outbox`], and the answer is [`StoreError::FeedDelivery`].
    pub async fn call(&self, call: &Call, now_ms: i64) -> Result<Outcome, StoreError> {
        let _turn = match &self.turns {
            Some(turns) => Some(turns.take().await),
            None => None,
        };
        let (outcome, feed) = self.apply(call, now_ms).await?;
        if !feed.is_empty() {
            self.store.stage(&feed, now_ms).await?;
        }
        if call.command.may_revoke(&outcome) && self.deliver_outbox().await? > 0 {
            return Err(StoreError::FeedDelivery);
        }
        Ok(outcome)
    }

    /// Delivers what the outbox holds (the alarm's job); returns how many batches are
    /// still waiting.
    pub async fn flush_outbox(&self) -> Result<usize, StoreError> {
        let _turn = match &self.turns {
            Some(turns) => Some(turns.take().await),
            None => None,
        };
        self.deliver_outbox().await
    }

    /// Sends every outbox batch to the feed object, oldest first, stopping at the first
    /// failure; returns how many batches are still waiting.
    async fn deliver_outbox(&self) -> Result<usize, StoreError> {
        let pending = self.store.outbox().await?;
        let mut left = pending.len();
        for (key, entries) in pending {
            if self.feed.append(&entries).await.is_err() {
                return Ok(left);
            }
            self.store.unstage(&key).await?;
            left -= 1;
        }
        Ok(left)
    }

    async fn apply(
        &self,
        call: &Call,
        now_ms: i64,
    ) -> Result<(Outcome, Vec<FeedAppend>), StoreError> {
        let lifetimes = &call.settings.lifetimes;
        let now = rules::secs(now_ms);
        let store = &self.store;
        Ok(match &call.command {
            Command::Start {
                sid,
                sub,
                scope,
                claims,
            } => {
                let times = rules::start_session(now_ms, lifetimes);
                let refresh = RefreshToken::generate(tokens::route_of(sid))?;
                let session = SessionRecord {
                    sub: sub.clone(),
                    scope: scope.clone(),
                    claims: claims.clone(),
                    created_ms: times.created_ms,
                    expires: times.expires,
                    gen: 0,
                    current: refresh.hash().to_owned(),
                    current_exp: times.refresh_exp,
                    previous: None,
                    last_used_ms: now_ms,
                    revoked_at: None,
                    revoked_jti: Vec::new(),
                };
                store.create_session(sid, &session, &refresh, now).await?;
                let grant = Grant {
                    sid: sid.clone(),
                    sub: session.sub,
                    scope: session.scope,
                    claims: session.claims,
                    refresh_token: refresh.secret().to_owned(),
                    refresh_exp: times.refresh_exp,
                    access_iat: times.access_iat,
                    access_exp: times.access_exp,
                };
                (Outcome::Granted(grant), Vec::new())
            }
            Command::Refresh { token, scope } => {
                let refreshed = store
                    .refresh(
                        token,
                        scope.as_deref(),
                        call.settings.reuse_interval_ms,
                        lifetimes,
                        now_ms,
                    )
                    .await?;
                match refreshed {
                    Refreshed::Granted(grant) => (Outcome::Granted(grant), Vec::new()),
                    Refreshed::Refused { reuse, feed } => (Outcome::Refused { reuse }, feed),
                    Refreshed::ScopeExceeded(description) => (
                        Outcome::ScopeExceeded {
                            description: description.to_owned(),
                        },
                        Vec::new(),
                    ),
                }
            }
            Command::RevokeRefreshToken { token } => (
                Outcome::Done,
                store.revoke_by_refresh_token(token, now, lifetimes).await?,
            ),
            Command::RevokeAccessToken { sid, jti, exp } => (
                Outcome::Done,
                store
                    .revoke_access_token(sid, jti, *exp, now, lifetimes)
                    .await?,
            ),
            Command::EndSession { sid } => match store.end_session(sid, now, lifetimes).await? {
                Some(feed) => (Outcome::Done, feed),
                None => (Outcome::UnknownSession, Vec::new()),
            },
            Command::ListSessions { sub } => (
                Outcome::Sessions {
                    sessions: store.list_sessions(sub, now).await?,
                },
                Vec::new(),
            ),
            Command::LogoutEverywhere { sub } => {
                let (sessions, feed) = store.logout_everywhere(sub, now_ms, lifetimes).await?;
                (
                    Outcome::LoggedOut {
                        sessions,
                        not_before: now,
                    },
                    feed,
                )
            }
        })
    }
}

/// The feed object: one per deployment, appended to by the session objects, read by the
/// worker's `GET /v1/revocations`.
#[derive(Debug)]
pub struct FeedObject<K> {
    store: Store<K>,
}

impl<K: Kv> FeedObject<K> {
    /// The feed over `kv`.
    pub fn new(kv: K) -> Self {
        Self {
            store: Store::new(kv),
        }
    }

    /// The object's store.
    pub fn store(&self) -> &Store<K> {
        &self.store
    }

    /// Adds entries (idempotent).
    pub async fn append(&self, entries: &[FeedAppend], now: i64) -> Result<(), StoreError> {
        self.store.append_feed(entries, now).await
    }

    /// The feed at `now`.
    pub async fn read(&self, now: i64) -> Result<RevocationFeed, StoreError> {
        self.store.feed(now).await
    }
}
