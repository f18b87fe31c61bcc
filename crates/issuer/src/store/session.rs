//! The session object's operations: sessions and their refresh tokens (rotation, reuse
//! detection, the reuse interval), revocations, and the outbox of feed entries not yet
//! delivered to the feed object.

use super::{
    keys::{outbox_key, rt_key, session_key, sessions_prefix, sid_key, subject_key, OUTBOX_PREFIX},
    records::{
        feed_append_exp, parse, session_meta, to_json, to_value, FeedAppend, Grant, PreviousToken,
        RefreshRecord, Refreshed, SessionMeta, SessionRecord, SessionSummary, SidRecord,
    },
    Kv, Put, Store, StoreError,
};
use crate::{
    rules::{self, Lifetimes, RefreshDecision, RefreshView},
    tokens::{self, RefreshToken},
};

impl<K: Kv> Store<K> {
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
        let sid_record = to_json(&SidRecord { user: user.clone() });
        let ttl = rules::record_ttl(session.expires, now);
        self.kv
            .put(&sid_key(sid), Put::record(&sid_record, ttl))
            .await?;
        self.put_session(&user, sid, session, now).await
    }

    async fn put_refresh(
        &self,
        hash: &str,
        token: &RefreshRecord,
        now: i64,
    ) -> Result<(), StoreError> {
        let ttl = rules::record_ttl(token.exp, now);
        self.kv
            .put(&rt_key(hash), Put::record(&to_json(token), ttl))
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
        let ttl = rules::record_ttl(session.expires, now);
        let record = to_json(session);
        let entry = Put::record(&record, ttl).with_metadata(to_value(&meta));
        self.kv.put(&session_key(user, sid), entry).await
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
        let ttl = rules::feed_ttl(last, rules::secs(now_ms));
        self.kv
            .put(&key, Put::record(&to_json(&entries), ttl))
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
}
