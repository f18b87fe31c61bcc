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
//!
//! One file per concern: `keys` names the stored keys, `records` defines the stored
//! values, `session` holds the session object's operations and `feed` the feed object's,
//! both as methods of [`Store`].

mod feed;
mod keys;
mod records;
mod session;

#[cfg(not(target_arch = "wasm32"))]
pub mod memory;
#[cfg(target_arch = "wasm32")]
pub mod object_kv;

use std::fmt;

use serde_json::Value;

pub use self::{
    keys::subject_key,
    records::{
        FeedAppend, Grant, PreviousToken, RefreshRecord, Refreshed, SessionRecord, SessionSummary,
        SidRecord,
    },
};
use crate::tokens::RandomError;

/// A storage failure. The text says which operation, for the log; never a key's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError {
    /// The backend failed (network, quota, an internal error).
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

/// What [`Kv::put`] writes under a key.
#[derive(Debug, Clone, PartialEq)]
pub struct Put<'a> {
    /// The value: a JSON record, or empty for a key whose data is all in `metadata`.
    pub value: &'a str,
    /// Seconds until the entry expires (at least 60).
    pub ttl: u64,
    /// Returned with the key by [`Kv::list`] (at most 1024 bytes serialized).
    pub metadata: Option<Value>,
}

impl<'a> Put<'a> {
    /// A record read back by [`Kv::get`].
    pub fn record(value: &'a str, ttl: u64) -> Self {
        Self {
            value,
            ttl,
            metadata: None,
        }
    }

    /// A key whose data is all in its metadata, read back by [`Kv::list`] (the feed's
    /// entries).
    pub fn marker(ttl: u64, metadata: Option<Value>) -> Self {
        Self {
            value: "",
            ttl,
            metadata,
        }
    }

    /// The same entry with `metadata` beside its value.
    pub fn with_metadata(self, metadata: Option<Value>) -> Self {
        Self { metadata, ..self }
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
    /// Writes `entry` under `key`, replacing what was there.
    async fn put(&self, key: &str, entry: Put<'_>) -> Result<(), StoreError>;
    /// Deletes `key` (no error when absent).
    async fn delete(&self, key: &str) -> Result<(), StoreError>;
    /// One page of keys starting with `prefix`.
    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage, StoreError>;
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

    /// Every key starting with `prefix`, following the `list` cursor to the end.
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
}
