//! [`Kv`] over a Workers KV namespace binding (wasm32 only).

use serde_json::Value;
use worker::kv::KvStore;

use super::{Kv, ListPage, ListedKey, StoreError};

/// A Workers KV namespace.
#[derive(Debug, Clone)]
pub struct WorkerKv(pub KvStore);

impl Kv for WorkerKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.0
            .get(key)
            .text()
            .await
            .map_err(|_| StoreError::Backend("get"))
    }

    async fn put(
        &self,
        key: &str,
        value: &str,
        ttl: u64,
        metadata: Option<Value>,
    ) -> Result<(), StoreError> {
        let mut put = self
            .0
            .put(key, value)
            .map_err(|_| StoreError::Backend("put"))?
            .expiration_ttl(ttl);
        if let Some(metadata) = metadata {
            put = put
                .metadata(metadata)
                .map_err(|_| StoreError::Backend("put"))?;
        }
        put.execute()
            .await
            .map_err(|e| StoreError::from_runtime_message("put", &e.to_string()))
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.0
            .delete(key)
            .await
            .map_err(|e| StoreError::from_runtime_message("delete", &e.to_string()))
    }

    async fn list(&self, prefix: &str, cursor: Option<&str>) -> Result<ListPage, StoreError> {
        let mut list = self.0.list().prefix(prefix.to_owned());
        if let Some(cursor) = cursor {
            list = list.cursor(cursor.to_owned());
        }
        let page = list
            .execute()
            .await
            .map_err(|_| StoreError::Backend("list"))?;
        Ok(ListPage {
            keys: page
                .keys
                .into_iter()
                .map(|k| ListedKey {
                    name: k.name,
                    metadata: k.metadata,
                })
                .collect(),
            cursor: if page.list_complete {
                None
            } else {
                page.cursor
            },
        })
    }
}
