//! [`Kv`] over a Durable Object's own SQLite storage (wasm32 only): one table, `kv`, with an
//! expiry per row. Every statement is synchronous (`SqlStorage::exec`), so each operation is
//! atomic, and the object's storage is strongly consistent: a write is seen by the next
//! read, wherever the request came from.

use serde::Deserialize;
use worker::{Date, SqlStorage, SqlStorageValue};

use super::{Kv, ListPage, ListedKey, Put, StoreError};

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS kv (\
     key TEXT PRIMARY KEY, \
     value TEXT NOT NULL, \
     metadata TEXT, \
     expires INTEGER NOT NULL)";

/// The object's table.
#[derive(Debug)]
pub struct ObjectKv {
    sql: SqlStorage,
}

fn now() -> i64 {
    i64::try_from(Date::now().as_millis() / 1000).unwrap_or(i64::MAX)
}

fn int(value: i64) -> SqlStorageValue {
    SqlStorageValue::Integer(value)
}

impl ObjectKv {
    /// The table in `sql`, created if missing.
    pub fn new(sql: SqlStorage) -> Result<Self, StoreError> {
        sql.exec(SCHEMA, None)
            .map_err(|_| StoreError::Backend("create table"))?;
        Ok(Self { sql })
    }

    /// Deletes expired rows; returns how many rows remain.
    pub fn sweep(&self) -> Result<usize, StoreError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        self.sql
            .exec("DELETE FROM kv WHERE expires <= ?", vec![int(now())])
            .map_err(|_| StoreError::Backend("sweep"))?;
        let count: Count = self
            .sql
            .exec("SELECT COUNT(*) AS n FROM kv", None)
            .and_then(|c| c.one())
            .map_err(|_| StoreError::Backend("count"))?;
        Ok(usize::try_from(count.n).unwrap_or(0))
    }
}

impl Kv for ObjectKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            value: String,
        }
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT value FROM kv WHERE key = ? AND expires > ?",
                vec![key.into(), int(now())],
            )
            .and_then(|c| c.to_array())
            .map_err(|_| StoreError::Backend("get"))?;
        Ok(rows.into_iter().next().map(|r| r.value))
    }

    async fn put(&self, key: &str, entry: Put<'_>) -> Result<(), StoreError> {
        let expires = now().saturating_add(i64::try_from(entry.ttl).unwrap_or(i64::MAX / 2));
        let metadata = entry.metadata.map(|m| m.to_string());
        self.sql
            .exec(
                "INSERT INTO kv (key, value, metadata, expires) VALUES (?, ?, ?, ?) \
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value, \
                 metadata = excluded.metadata, expires = excluded.expires",
                vec![
                    key.into(),
                    entry.value.into(),
                    metadata.into(),
                    int(expires),
                ],
            )
            .map(|_| ())
            .map_err(|e| StoreError::from_runtime_message("put", &e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.sql
            .exec("DELETE FROM kv WHERE key = ?", vec![key.into()])
            .map(|_| ())
            .map_err(|e| StoreError::from_runtime_message("delete", &e.to_string()))
    }

    /// Every live key with `prefix`, in one page: the table is the object's own, so there is
    /// no page limit to respect. Keys are ASCII, so `prefix` followed by U+10FFFF bounds
    /// them from above.
    async fn list(&self, prefix: &str, _cursor: Option<&str>) -> Result<ListPage, StoreError> {
        #[derive(Deserialize)]
        struct Row {
            key: String,
            metadata: Option<String>,
        }
        let upper = format!("{prefix}\u{10FFFF}");
        let rows: Vec<Row> = self
            .sql
            .exec(
                "SELECT key, metadata FROM kv WHERE key >= ? AND key < ? AND expires > ? \
                 ORDER BY key",
                vec![prefix.into(), upper.into(), int(now())],
            )
            .and_then(|c| c.to_array())
            .map_err(|_| StoreError::Backend("list"))?;
        let mut keys = Vec::with_capacity(rows.len());
        for row in rows {
            let metadata = match row.metadata {
                Some(text) => {
                    Some(serde_json::from_str(&text).map_err(|_| StoreError::Corrupt("metadata"))?)
                }
                None => None,
            };
            keys.push(ListedKey {
                name: row.key,
                metadata,
            });
        }
        Ok(ListPage { keys, cursor: None })
    }
}
