//! The feed object's operations: appending revocation entries (idempotently) and reading
//! the feed back from one `list`.

use revocable_core::{FeedEntry, RevocationFeed, SubjectEntry};

use super::{
    keys::{feed_jti_key, feed_sid_key, feed_sub_key, FEED_PREFIX},
    records::{feed_append_exp, to_value, FeedAppend, FeedMeta, FeedSubMeta},
    Kv, Put, Store, StoreError,
};
use crate::rules;

impl<K: Kv> Store<K> {
    /// Adds entries to the feed. Idempotent: an entry written twice is one entry.
    pub async fn append_feed(&self, entries: &[FeedAppend], now: i64) -> Result<(), StoreError> {
        for entry in entries {
            let ttl = rules::feed_ttl(feed_append_exp(entry), now);
            let (key, metadata) = match entry {
                FeedAppend::Jti { sid, jti, exp } => {
                    (feed_jti_key(sid, jti), to_value(&FeedMeta { exp: *exp }))
                }
                FeedAppend::Sid { sid, exp } => {
                    (feed_sid_key(sid), to_value(&FeedMeta { exp: *exp }))
                }
                // A later logout everywhere replaces an earlier one's entry: one key per user.
                FeedAppend::Sub {
                    user,
                    sub,
                    not_before,
                    exp,
                } => {
                    let meta = FeedSubMeta {
                        sub: sub.clone(),
                        not_before: *not_before,
                        exp: *exp,
                    };
                    (feed_sub_key(user), to_value(&meta))
                }
            };
            self.kv.put(&key, Put::marker(ttl, metadata)).await?;
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
}
