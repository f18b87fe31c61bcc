//! An in-memory [`Kv`] for native tests: TTLs against a settable clock, lexicographic
//! `list` pages of at most 1000 keys, operation counters, and failure injection. Strongly
//! consistent, like a Durable Object's storage.

use std::{
    cell::{Cell, RefCell},
    collections::BTreeMap,
};

use serde_json::Value;

use super::{Kv, ListPage, ListedKey, Put, StoreError};

/// Keys per `list` page: callers must page like over any paged store.
pub const LIST_PAGE: usize = 1000;

#[derive(Debug, Clone)]
struct Entry {
    value: String,
    metadata: Option<Value>,
    expires_at: i64,
}

/// Counts of operations, to assert how many storage calls an endpoint makes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ops {
    /// `get` calls.
    pub get: usize,
    /// `put` calls.
    pub put: usize,
    /// `delete` calls.
    pub delete: usize,
    /// `list` calls (pages).
    pub list: usize,
}

/// In-memory key-value store.
#[derive(Debug, Default)]
pub struct MemoryKv {
    entries: RefCell<BTreeMap<String, Entry>>,
    now: Cell<i64>,
    ops: Cell<Ops>,
    fail_puts_matching: RefCell<Option<String>>,
    /// Second of the last write per key, when the per-key write limit is enforced.
    write_limit: RefCell<Option<std::collections::HashMap<String, i64>>>,
}

impl MemoryKv {
    /// An empty store at time `now` (seconds).
    pub fn new(now: i64) -> Self {
        let kv = Self::default();
        kv.now.set(now);
        kv
    }

    /// Moves the store's clock (entries past their TTL disappear).
    pub fn set_now(&self, now: i64) {
        self.now.set(now);
    }

    /// The store's clock (seconds).
    pub fn now(&self) -> i64 {
        self.now.get()
    }

    /// Operation counts so far.
    pub fn ops(&self) -> Ops {
        self.ops.get()
    }

    /// Makes every `put` to a key starting with `prefix` fail (None: stop failing).
    pub fn fail_puts_to(&self, prefix: Option<&str>) {
        *self.fail_puts_matching.borrow_mut() = prefix.map(str::to_owned);
    }

    /// Simulates a storage rate limit of one write per second per key (off by default): a
    /// second `put` or `delete` of the same key within the same second of the store's clock
    /// fails with [`StoreError::RateLimited`], as a rate-limited backend answers 429.
    pub fn limit_writes_per_key(&self, on: bool) {
        *self.write_limit.borrow_mut() = on.then(Default::default);
    }

    /// Records a write of `key` now; the rate-limit error when the limit is enforced and the
    /// key was already written this second.
    fn note_write(&self, key: &str, op: &'static str) -> Result<(), StoreError> {
        let now = self.now.get();
        if let Some(last) = self.write_limit.borrow_mut().as_mut() {
            if last.get(key) == Some(&now) {
                return Err(StoreError::RateLimited(op));
            }
            last.insert(key.to_owned(), now);
        }
        Ok(())
    }

    /// Live keys (for tests comparing contents).
    pub fn keys(&self) -> Vec<String> {
        let now = self.now.get();
        self.entries
            .borrow()
            .iter()
            .filter(|(_, e)| e.expires_at > now)
            .map(|(k, _)| k.clone())
            .collect()
    }

    /// A snapshot of every live key, value and metadata.
    pub fn dump(&self) -> Vec<(String, String, Option<Value>)> {
        let now = self.now.get();
        self.entries
            .borrow()
            .iter()
            .filter(|(_, e)| e.expires_at > now)
            .map(|(k, e)| (k.clone(), e.value.clone(), e.metadata.clone()))
            .collect()
    }

    /// The remaining TTL of `key` in seconds, if it exists.
    pub fn ttl(&self, key: &str) -> Option<i64> {
        let now = self.now.get();
        self.entries
            .borrow()
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.expires_at - now)
    }

    /// Writes `key` directly (tests simulating another location's last-write-wins).
    pub fn raw_put(&self, key: &str, value: &str, ttl: i64, metadata: Option<Value>) {
        self.entries.borrow_mut().insert(
            key.to_owned(),
            Entry {
                value: value.to_owned(),
                metadata,
                expires_at: self.now.get() + ttl,
            },
        );
    }

    fn count(&self, f: impl FnOnce(&mut Ops)) {
        let mut ops = self.ops.get();
        f(&mut ops);
        self.ops.set(ops);
    }
}

impl Kv for MemoryKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.count(|o| o.get += 1);
        let now = self.now.get();
        Ok(self
            .entries
            .borrow()
            .get(key)
            .filter(|e| e.expires_at > now)
            .map(|e| e.value.clone()))
    }

    async fn put(&self, key: &str, entry: Put<'_>) -> Result<(), StoreError> {
        self.count(|o| o.put += 1);
        if self
            .fail_puts_matching
            .borrow()
            .as_deref()
            .is_some_and(|p| key.starts_with(p))
        {
            return Err(StoreError::Backend("put"));
        }
        self.note_write(key, "put")?;
        // Limits the issuer keeps to (short keys, small metadata, lifetimes of at least a
        // minute), so tests catch a violation natively.
        assert!(entry.ttl >= 60, "KV TTL below 60 s for {key}");
        assert!(key.len() <= 512, "KV key longer than 512 bytes");
        if let Some(m) = &entry.metadata {
            assert!(
                m.to_string().len() <= 1024,
                "KV metadata over 1024 bytes for {key}"
            );
        }
        let ttl = i64::try_from(entry.ttl).unwrap_or(i64::MAX / 2);
        self.raw_put(key, entry.value, ttl, entry.metadata);
        Ok(())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.count(|o| o.delete += 1);
        self.note_write(key, "delete")?;
        self.entries.borrow_mut().remove(key);
        Ok(())
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        self.count(|o| o.list += 1);
        let now = self.now.get();
        let entries = self.entries.borrow();
        let mut keys: Vec<ListedKey> = entries
            .iter()
            .filter(|(k, e)| k.starts_with(prefix) && e.expires_at > now)
            .filter(|(k, _)| cursor.is_none_or(|c| k.as_str() > c))
            .take(LIST_PAGE + 1)
            .map(|(k, e)| ListedKey {
                name: k.clone(),
                metadata: e.metadata.clone(),
            })
            .collect();
        let cursor = if keys.len() > LIST_PAGE {
            keys.truncate(LIST_PAGE);
            keys.last().map(|k| k.name.clone())
        } else {
            None
        };
        Ok(ListPage { keys, cursor })
    }
}
