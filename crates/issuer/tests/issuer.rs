//! The issuer's flows natively: `routes::handle` over the in-memory KV with a controlled
//! clock. Covers what the end-to-end suite in workerd cannot reach quickly (time passing:
//! expiry, feed pruning, session absolute lifetime), what it cannot observe (KV contents,
//! KV operation counts, write order under failure), and KV's eventual consistency, simulated
//! by writing what another location's last write would leave behind.

use std::{
    future::Future,
    pin::pin,
    task::{Context, Poll, Waker},
};

use revocable_core::{Algorithm, SigningKey, SigningKeySet};
use revocable_issuer::{
    http::{Method, Request, Response},
    store::memory::MemoryKv,
    Config, Store,
};
use serde_json::{json, Value};

const T0: i64 = 1_750_000_000; // seconds
const SERVICE_KEY: &str = "test-service-key-0123456789abcdefghijklmnop";
const ISSUER: &str = "https://issuer.test";

/// The in-memory KV never returns `Pending`, so polling once with a no-op waker finishes.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..1000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("future did not complete");
}

fn signing_keys(seed: u8) -> SigningKeySet {
    let key = SigningKey::generate(Algorithm::EdDsa, &[seed; 32]).unwrap_or_else(|e| panic!("{e}"));
    SigningKeySet::new(vec![key]).unwrap_or_else(|e| panic!("{e}"))
}

struct Issuer {
    config: Config,
    store: Store<MemoryKv>,
    now_ms: i64,
}

impl Issuer {
    fn new() -> Self {
        let jwks = signing_keys(7).private_jwks().to_string();
        let config = Config::from_lookup(|name| match name {
            "ISSUER" => Some(ISSUER.to_owned()),
            "AUDIENCE" => Some("api".to_owned()),
            "SIGNING_KEYS" => Some(jwks.clone()),
            "ISSUER_SERVICE_KEY" => Some(SERVICE_KEY.to_owned()),
            _ => None,
        })
        .unwrap_or_else(|e| panic!("config: {e}"));
        Self {
            config,
            store: Store::new(MemoryKv::new(T0)),
            now_ms: T0 * 1000,
        }
    }

    fn kv(&self) -> &MemoryKv {
        self.store.kv()
    }

    fn now(&self) -> i64 {
        self.now_ms / 1000
    }

    fn advance(&mut self, seconds: i64) {
        self.now_ms += seconds * 1000;
        self.kv().set_now(self.now());
    }

    fn send(&self, request: Request) -> (u16, Value, Response) {
        let response = block_on(revocable_issuer::handle(
            &self.config,
            &self.store,
            &request,
            self.now_ms,
        ));
        let body = if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&response.body)
                .unwrap_or_else(|e| panic!("non-JSON body {:?}: {e}", response.body))
        };
        assert!(
            response.status < 500,
            "5xx: {} {}",
            response.status,
            response.body
        );
        (response.status, body, response)
    }

    fn service(&self, method: Method, path: &str) -> Request {
        Request::new(method, path).with_header("authorization", &format!("Bearer {SERVICE_KEY}"))
    }

    fn create(&self, body: Value) -> Value {
        let req = self
            .service(Method::Post, "/v1/sessions")
            .with_header("content-type", "application/json")
            .with_body(body.to_string());
        let (status, json, _) = self.send(req);
        assert_eq!(status, 201, "{json}");
        json
    }

    fn refresh(&self, token: &str) -> (u16, Value) {
        self.refresh_with(&format!("grant_type=refresh_token&refresh_token={token}"))
    }

    fn refresh_with(&self, form: &str) -> (u16, Value) {
        let req = Request::new(Method::Post, "/oauth/token")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(form.to_owned());
        let (status, json, response) = self.send(req);
        if status == 200 {
            assert_eq!(response.header("cache-control"), Some("no-store"));
        }
        (status, json)
    }

    fn revoke(&self, token: &str) -> u16 {
        let req = Request::new(Method::Post, "/oauth/revoke")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(format!("token={token}"));
        self.send(req).0
    }

    fn feed(&self) -> Value {
        let (status, json, _) = self.send(self.service(Method::Get, "/v1/revocations"));
        assert_eq!(status, 200);
        json
    }

    fn sessions(&self, sub: &str) -> Vec<String> {
        let (status, json, _) =
            self.send(self.service(Method::Get, &format!("/v1/users/{sub}/sessions")));
        assert_eq!(status, 200, "{json}");
        json["sessions"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s["id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn access_claims(&self, token: &str) -> Value {
        let verified = self
            .config
            .verifier
            .verify(token, self.now())
            .unwrap_or_else(|e| panic!("access token does not verify: {e}"));
        serde_json::from_str(&verified.payload).unwrap_or_default()
    }
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn ids(feed: &Value, kind: &str) -> Vec<String> {
    feed[kind]
        .as_array()
        .map(|a| a.iter().map(|e| s(&e["id"])).collect())
        .unwrap_or_default()
}

#[test]
fn full_flow_rotates_and_revokes() {
    let mut issuer = Issuer::new();
    let first =
        issuer.create(json!({"sub": "alice", "scope": "read write", "claims": {"role": "admin"}}));
    assert_eq!(first["expires_in"], 300);
    assert_eq!(first["refresh_token_expires_in"], 14 * 86400);
    let claims = issuer.access_claims(&s(&first["access_token"]));
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sid"], first["session_id"]);
    assert_eq!(claims["role"], "admin");
    assert_eq!(claims["scope"], "read write");

    issuer.advance(100);
    let (status, second) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 200, "{second}");
    let c2 = issuer.access_claims(&s(&second["access_token"]));
    assert_eq!(c2["iat"], T0 + 100);
    assert_eq!(c2["sid"], first["session_id"]);
    issuer.advance(100);
    let (status, third) = issuer.refresh(&s(&second["refresh_token"]));
    assert_eq!(status, 200, "{third}");

    assert_eq!(issuer.revoke(&s(&third["refresh_token"])), 200);
    let (status, err) = issuer.refresh(&s(&third["refresh_token"]));
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(ids(&issuer.feed(), "sid").contains(&s(&first["session_id"])));
}

#[test]
fn kv_holds_only_hashes_of_refresh_tokens_and_no_access_tokens() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "alice@example.com"}));
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    let dump = format!("{:?}", issuer.kv().dump());
    for secret in [
        &first["refresh_token"],
        &second["refresh_token"],
        &first["access_token"],
        &second["access_token"],
    ] {
        assert!(!dump.contains(&s(secret)), "a token is stored in clear");
    }
    assert!(
        !dump.contains("alice@example.com\""),
        "sub only inside session values, not keys"
    );
    for key in issuer.kv().keys() {
        assert!(!key.contains("alice"), "user id in a key name: {key}");
    }
}

#[test]
fn every_kv_write_has_the_documented_ttl() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "ttl"}));
    let sid = s(&first["session_id"]);
    let kv = issuer.kv();
    let user = revocable_issuer::store::subject_key("ttl");
    let hash = revocable_issuer::tokens::hash_refresh_token(&s(&first["refresh_token"]));
    assert_eq!(kv.ttl(&format!("rt:{hash}")), Some(14 * 86400));
    assert_eq!(kv.ttl(&format!("session:{user}:{sid}")), Some(30 * 86400));
    assert_eq!(kv.ttl(&format!("sid:{sid}")), Some(30 * 86400));
    issuer.advance(10);
    let req = issuer.service(Method::Delete, &format!("/v1/sessions/{sid}"));
    assert_eq!(issuer.send(req).0, 204);
    let kv = issuer.kv();
    assert_eq!(
        kv.ttl(&format!("session:{user}:{sid}")),
        None,
        "session record deleted"
    );
    assert_eq!(
        kv.ttl(&format!("revoked:{user}:{sid}")),
        Some(30 * 86400 - 10 + 60)
    );
    // Feed entry: exp = now + 300 + 60 (consistency window), listed FEED_GRACE (60 s) past
    // it; the key lives 60 s longer.
    assert_eq!(kv.ttl(&format!("feed:sid:{sid}")), Some(300 + 60 + 60 + 60));
    issuer.send(issuer.service(Method::Post, "/v1/users/ttl/revoke"));
    let kv = issuer.kv();
    assert_eq!(kv.ttl(&format!("logout:{user}")), Some(30 * 86400 + 60));
    assert_eq!(kv.ttl(&format!("feed:sub:{user}")), Some(300 + 60 + 60));
}

#[test]
fn replayed_rotated_token_revokes_the_session() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "bob"}));
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    let (status, err) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 400);
    assert_eq!(err["error"], "invalid_grant");
    assert!(s(&err["error_description"]).contains("already used"));
    let (status, _) = issuer.refresh(&s(&second["refresh_token"]));
    assert_eq!(status, 400, "the newest token dies with the session");
    assert!(ids(&issuer.feed(), "sid").contains(&s(&first["session_id"])));
    assert!(issuer.sessions("bob").is_empty());
}

#[test]
fn stale_session_view_at_another_location_is_not_mistaken_for_reuse() {
    // Location A rotated gen 0 -> 1. Location B still caches the gen-0 session record and
    // receives the gen-1 token: it must rotate, not revoke.
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "carol"}));
    let sid = s(&first["session_id"]);
    let user = revocable_issuer::store::subject_key("carol");
    let key = format!("session:{user}:{sid}");
    let (stale_value, stale_meta) = issuer
        .kv()
        .dump()
        .into_iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, v, m)| (v, m))
        .unwrap_or_else(|| panic!("no session record"));
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    issuer.kv().raw_put(&key, &stale_value, 86400, stale_meta);
    let (status, third) = issuer.refresh(&s(&second["refresh_token"]));
    assert_eq!(status, 200, "{third}");
    // ... and the genuinely old token is still reuse.
    let (status, err) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 400);
    assert!(s(&err["error_description"]).contains("already used"));
}

#[test]
fn a_refresh_racing_a_revocation_cannot_revive_the_session() {
    // A refresh that read the session before the revocation writes the session record after
    // it (last write wins). The revocation marker still ends the session.
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "dave"}));
    let sid = s(&first["session_id"]);
    let user = revocable_issuer::store::subject_key("dave");
    let key = format!("session:{user}:{sid}");
    let (value, meta) = issuer
        .kv()
        .dump()
        .into_iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, v, m)| (v, m))
        .unwrap_or_else(|| panic!("no session record"));
    assert_eq!(
        issuer
            .send(issuer.service(Method::Delete, &format!("/v1/sessions/{sid}")))
            .0,
        204
    );
    issuer.kv().raw_put(&key, &value, 86400, meta);
    let (status, _) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 400);
    assert!(
        issuer.sessions("dave").is_empty(),
        "listing ignores the resurrected record"
    );
}

#[test]
fn rotation_write_order_keeps_the_client_able_to_retry() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "erin"}));
    issuer.kv().fail_puts_to(Some("session:"));
    let req = Request::new(Method::Post, "/oauth/token")
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!(
            "grant_type=refresh_token&refresh_token={}",
            s(&first["refresh_token"])
        ));
    let response = block_on(revocable_issuer::handle(
        &issuer.config,
        &issuer.store,
        &req,
        issuer.now_ms,
    ));
    assert_eq!(response.status, 500);
    assert_eq!(response.log, Some("kv put failed"));
    assert!(
        !response.body.contains("kv"),
        "no detail sent: {}",
        response.body
    );
    issuer.kv().fail_puts_to(None);
    let (status, _) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(
        status, 200,
        "the old token is still current after a failed rotation"
    );
}

#[test]
fn refresh_token_expires_after_its_lifetime() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "frank"}));
    issuer.advance(14 * 86400 - 1);
    let (status, second) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 200, "{second}");
    issuer.advance(14 * 86400);
    let (status, err) = issuer.refresh(&s(&second["refresh_token"]));
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_grant"))
    );
}

#[test]
fn rotation_never_extends_the_session() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "grace"}));
    let mut token = s(&first["refresh_token"]);
    for _ in 0..2 {
        issuer.advance(13 * 86400);
        let (status, next) = issuer.refresh(&token);
        assert_eq!(status, 200, "{next}");
        token = s(&next["refresh_token"]);
    }
    // Day 26: the session ends on day 30, so the new refresh token lives 4 days, not 14,
    // and the access token is unaffected (300 s fits).
    let (status, next) = issuer.refresh(&token);
    assert_eq!(status, 200);
    assert_eq!(next["refresh_token_expires_in"], 4 * 86400);
    issuer.advance(4 * 86400 - 100);
    let (status, last) = issuer.refresh(&s(&next["refresh_token"]));
    assert_eq!(status, 200);
    assert_eq!(
        last["expires_in"], 100,
        "access token capped at the session's end"
    );
    assert_eq!(last["refresh_token_expires_in"], 100);
    issuer.advance(100);
    let (status, _) = issuer.refresh(&s(&last["refresh_token"]));
    assert_eq!(status, 400, "day 30: over");
}

#[test]
fn logout_everywhere_many_sessions() {
    let issuer = Issuer::new();
    let tokens: Vec<String> = (0..13)
        .map(|_| s(&issuer.create(json!({"sub": "heidi"}))["refresh_token"]))
        .collect();
    let keep = issuer.create(json!({"sub": "ivan"}));
    assert_eq!(issuer.sessions("heidi").len(), 13);
    let (status, body, _) = issuer.send(issuer.service(Method::Post, "/v1/users/heidi/revoke"));
    assert_eq!(status, 200);
    assert_eq!(body["revoked_sessions"], 13);
    assert_eq!(body["not_before"], T0);
    for t in &tokens {
        assert_eq!(issuer.refresh(t).0, 400);
    }
    assert_eq!(issuer.refresh(&s(&keep["refresh_token"])).0, 200);
    let feed = issuer.feed();
    assert_eq!(ids(&feed, "sid").len(), 13);
    assert_eq!(
        feed["sub"],
        json!([{"id": "heidi", "not_before": T0, "exp": T0 + 300}])
    );
    assert!(issuer.sessions("heidi").is_empty());
}

#[test]
fn logout_everywhere_ends_sessions_the_listing_missed() {
    // KV `list` lags behind writes. A session that the logout's listing does not see is
    // still ended by the cut-off at its next refresh.
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "judy"}));
    let user = revocable_issuer::store::subject_key("judy");
    let key = format!("session:{user}:{}", s(&first["session_id"]));
    let (value, meta) = issuer
        .kv()
        .dump()
        .into_iter()
        .find(|(k, _, _)| *k == key)
        .map(|(_, v, m)| (v, m))
        .unwrap_or_else(|| panic!("no session record"));
    issuer.advance(1);
    assert_eq!(
        issuer
            .send(issuer.service(Method::Post, "/v1/users/judy/revoke"))
            .0,
        200
    );
    // Undo what the listing-based part did, as if the listing had not shown the session.
    issuer.kv().raw_put(&key, &value, 86400, meta);
    let revoked = format!("revoked:{user}:{}", s(&first["session_id"]));
    let _ = block_on(revocable_issuer::Kv::delete(issuer.kv(), &revoked));
    let (status, _) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 400);
    assert!(issuer.sessions("judy").is_empty());
}

#[test]
fn feed_drops_each_entry_exactly_after_its_exp() {
    let mut issuer = Issuer::new();
    let a = issuer.create(json!({"sub": "kim"}));
    let b = issuer.create(json!({"sub": "lee"}));
    let jti = s(&issuer.access_claims(&s(&b["access_token"]))["jti"]);
    assert_eq!(issuer.revoke(&s(&b["access_token"])), 200); // jti, exp T0+300
    assert_eq!(
        issuer
            .send(issuer.service(
                Method::Delete,
                &format!("/v1/sessions/{}", s(&a["session_id"]))
            ))
            .0,
        204
    ); // sid, exp T0+360
    assert_eq!(
        issuer
            .send(issuer.service(Method::Post, "/v1/users/kim/revoke"))
            .0,
        200
    ); // sub, exp T0+300

    // Listed until exp + FEED_GRACE (60 s; rules::FEED_GRACE explains why).
    issuer.advance(360); // now == T0+360: every entry still listed (exp + 60 >= now)
    let feed = issuer.feed();
    assert_eq!(ids(&feed, "jti"), vec![jti.clone()]);
    assert_eq!(ids(&feed, "sid"), vec![s(&a["session_id"])]);
    assert_eq!(ids(&feed, "sub"), vec!["kim".to_owned()]);
    issuer.advance(1); // T0+361: jti and sub entries are past exp + 60
    let feed = issuer.feed();
    assert!(ids(&feed, "jti").is_empty());
    assert!(ids(&feed, "sub").is_empty());
    assert_eq!(ids(&feed, "sid"), vec![s(&a["session_id"])]);
    issuer.advance(59); // T0+420
    assert_eq!(ids(&issuer.feed(), "sid").len(), 1);
    issuer.advance(1);
    assert!(ids(&issuer.feed(), "sid").is_empty());
}

/// Finding of the property test in `issuer/properties.rs`: the feed listed an access token's
/// `jti` only until the token's `exp` on the issuer's clock, so a token revoked in the last
/// seconds of its life never reached a verifier that polled a few seconds later and accepts
/// a clock tolerance (or runs a clock behind the issuer's): it accepted the revoked token
/// until `exp + tolerance`.
#[test]
fn a_token_revoked_just_before_exp_reaches_a_verifier_with_clock_tolerance() {
    use revocable_core::{KeySet, Policy, Verifier};
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "nora"}));
    let token = s(&first["access_token"]);
    let keys = KeySet::from_public_jwks_json(&issuer.config.keys.public_jwks().to_string())
        .unwrap_or_else(|e| panic!("{e}"));
    let policy = Policy::new([ISSUER], ["api"]).with_clock_tolerance(30);
    let mut verifier = Verifier::new(keys, policy).unwrap_or_else(|e| panic!("{e}"));
    verifier
        .update_revocations(&issuer.feed().to_string(), issuer.now())
        .unwrap_or_else(|e| panic!("{e}"));

    issuer.advance(297); // 3 s before exp (T0+300)
    assert_eq!(issuer.revoke(&token), 200);
    issuer.advance(5); // the verifier's next poll comes after exp on the issuer's clock
    verifier
        .update_revocations(&issuer.feed().to_string(), issuer.now())
        .unwrap_or_else(|e| panic!("{e}"));
    let result = verifier.verify(&token, issuer.now());
    assert_eq!(
        result.err().map(|e| e.code()),
        Some("ERR_JWT_REVOKED"),
        "within its 30 s tolerance the verifier must refuse the revoked token"
    );
}

#[test]
fn feed_is_one_list_per_page_and_no_reads() {
    let issuer = Issuer::new();
    for i in 0..1200 {
        issuer.kv().raw_put(
            &format!("feed:jti:j{i:05}"),
            "",
            600,
            Some(json!({"exp": T0 + 100})),
        );
    }
    let before = issuer.kv().ops();
    let feed = issuer.feed();
    let after = issuer.kv().ops();
    assert_eq!(ids(&feed, "jti").len(), 1200);
    assert_eq!(after.list - before.list, 2, "1200 entries = 2 pages");
    assert_eq!(after.get - before.get, 0, "no per-entry reads");
}

/// Workers KV allows one write per second per key, and a rotation rewrites the session record:
/// a client refreshing one session twice within a second made the second refresh fail with a
/// 500 `server_error`. Nothing is broken and a retry a second later succeeds, so it is a 503
/// `temporarily_unavailable` with `Retry-After: 1`, and the token the client still holds is the
/// current one.
#[test]
fn kv_write_rate_limit_is_a_503_with_retry_after_not_a_500() {
    let mut issuer = Issuer::new();
    issuer.kv().limit_writes_per_key(true);
    let first = issuer.create(json!({"sub": "rapid"}));
    let token = s(&first["refresh_token"]);
    // Same second as the session's creation: the session record was just written.
    let request = Request::new(Method::Post, "/oauth/token")
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!("grant_type=refresh_token&refresh_token={token}"));
    // Not through `send`, which fails every 5xx.
    let response = block_on(revocable_issuer::handle(
        &issuer.config,
        &issuer.store,
        &request,
        issuer.now_ms,
    ));
    let body: Value = serde_json::from_str(&response.body).unwrap_or_default();
    assert_eq!(response.status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(response.log.is_some(), "logged for the operator");
    // A second later the same token works: it is still the session's current one.
    issuer.advance(1);
    let (status, next) = issuer.refresh(&token);
    assert_eq!(status, 200, "{next}");
    issuer.advance(1);
    assert_eq!(issuer.refresh(&s(&next["refresh_token"])).0, 200);
}

#[test]
fn refresh_costs_four_reads_and_two_writes() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "mia"}));
    let before = issuer.kv().ops();
    assert_eq!(issuer.refresh(&s(&first["refresh_token"])).0, 200);
    let after = issuer.kv().ops();
    assert_eq!(
        (
            after.get - before.get,
            after.put - before.put,
            after.list - before.list
        ),
        (4, 2, 0)
    );
    // A JWT or malformed token costs nothing.
    let before = issuer.kv().ops();
    assert_eq!(issuer.refresh(&s(&first["access_token"])).0, 400);
    assert_eq!(issuer.kv().ops(), before);
}

#[test]
fn feed_etag_and_304() {
    let issuer = Issuer::new();
    let (_, _, first) = issuer.send(issuer.service(Method::Get, "/v1/revocations"));
    let etag = first.header("etag").unwrap_or_default().to_owned();
    let req = issuer
        .service(Method::Get, "/v1/revocations")
        .with_header("if-none-match", &etag);
    let (status, _, response) = issuer.send(req);
    assert_eq!(status, 304);
    assert!(response.body.is_empty());
    let a = issuer.create(json!({"sub": "ned"}));
    assert_eq!(issuer.revoke(&s(&a["refresh_token"])), 200);
    let req = issuer
        .service(Method::Get, "/v1/revocations")
        .with_header("if-none-match", &etag);
    assert_eq!(issuer.send(req).0, 200);
}

#[test]
fn revoking_a_foreign_or_expired_access_token_adds_nothing() {
    let mut issuer = Issuer::new();
    // Same claims, other key.
    let foreign = signing_keys(9)
        .active()
        .sign(
            json!({"iss": ISSUER, "aud": "api", "sub": "x", "jti": "foreign-jti", "exp": T0 + 300, "iat": T0})
                .as_object()
                .unwrap_or_else(|| panic!("object")),
            Some("at+jwt"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(issuer.revoke(&foreign), 200);
    let a = issuer.create(json!({"sub": "olga"}));
    issuer.advance(301);
    assert_eq!(issuer.revoke(&s(&a["access_token"])), 200);
    let feed = issuer.feed();
    assert!(ids(&feed, "jti").is_empty(), "{feed}");
}

#[test]
fn service_key_and_routing_errors() {
    let issuer = Issuer::new();
    let (status, body, response) = issuer.send(Request::new(Method::Get, "/v1/revocations"));
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_client"))
    );
    let wrong = issuer
        .send(
            Request::new(Method::Get, "/v1/revocations")
                .with_header("authorization", "Bearer nope"),
        )
        .2;
    assert_eq!(
        (wrong.status, &wrong.body, wrong.headers.clone()),
        (response.status, &response.body, response.headers.clone())
    );
    let (status, _, response) = issuer.send(Request::new(Method::Get, "/oauth/token"));
    assert_eq!((status, response.header("allow")), (405, Some("POST")));
    assert_eq!(issuer.send(Request::new(Method::Get, "/nope")).0, 404);
}

#[test]
fn scope_narrowing_on_refresh() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "pat", "scope": "read write"}));
    let t = s(&first["refresh_token"]);
    let (status, err) = issuer.refresh_with(&format!(
        "grant_type=refresh_token&refresh_token={t}&scope=admin"
    ));
    assert_eq!(
        (status, err["error"].as_str()),
        (400, Some("invalid_scope"))
    );
    let (status, narrowed) = issuer.refresh_with(&format!(
        "grant_type=refresh_token&refresh_token={t}&scope=read"
    ));
    assert_eq!(status, 200, "the failed widening did not consume the token");
    assert_eq!(narrowed["scope"], "read");
    // The session keeps its full scope for the next refresh without `scope`.
    let (_, next) = issuer.refresh(&s(&narrowed["refresh_token"]));
    assert_eq!(next["scope"], "read write");
}

#[path = "issuer/properties.rs"]
mod properties;

/// Review finding: anyone holding a session's access tokens may revoke them (RFC 7009, no
/// credential) and every refresh mints a new one, so one session could fill the feed that
/// every verifier downloads (and refuses past its size limit). Each session gets at most
/// MAX_REVOKED_ACCESS_TOKENS_PER_SESSION `jti` entries; the next revocation ends the session,
/// whose one `sid` entry covers all its tokens, and revoking them afterwards writes nothing.
#[test]
fn revoking_access_tokens_one_by_one_is_bounded_per_session() {
    use revocable_issuer::rules::MAX_REVOKED_ACCESS_TOKENS_PER_SESSION as MAX;
    let mut issuer = Issuer::new();
    let other = issuer.create(json!({"sub": "bystander"}));
    let first = issuer.create(json!({"sub": "flood"}));
    let sid = s(&first["session_id"]);
    let (mut refresh, mut access) = (s(&first["refresh_token"]), s(&first["access_token"]));
    let mut revoked = Vec::new();
    for i in 0..MAX {
        assert_eq!(issuer.revoke(&access), 200);
        // A retry of the same revocation is not another entry.
        assert_eq!(issuer.revoke(&access), 200);
        assert_eq!(ids(&issuer.feed(), "jti").len(), i + 1);
        revoked.push(access);
        issuer.advance(1);
        let (status, next) = issuer.refresh(&refresh);
        assert_eq!(status, 200, "{next}");
        (refresh, access) = (s(&next["refresh_token"]), s(&next["access_token"]));
    }
    let jti_entries = ids(&issuer.feed(), "jti");
    for token in &revoked {
        let jti = s(&issuer.access_claims(token)["jti"]);
        assert!(jti_entries.contains(&jti), "the feed lists jti {jti}");
    }
    assert!(
        ids(&issuer.feed(), "sid").is_empty(),
        "the session is still live"
    );

    // One more: the session ends instead of a ninth entry.
    assert_eq!(issuer.revoke(&access), 200);
    let feed = issuer.feed();
    assert_eq!(ids(&feed, "jti").len(), MAX);
    assert_eq!(ids(&feed, "sid"), vec![sid]);
    let (status, body) = issuer.refresh(&refresh);
    assert_eq!(
        (status, body["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert!(issuer.sessions("flood").is_empty());

    // The session's revocation covers its tokens: revoking them now writes nothing.
    let before = issuer.kv().dump();
    for token in revoked.iter().chain([&access]) {
        assert_eq!(issuer.revoke(token), 200);
    }
    assert_eq!(issuer.kv().dump(), before);

    // Another user's session is untouched.
    assert_eq!(issuer.sessions("bystander"), vec![s(&other["session_id"])]);
    assert_eq!(issuer.refresh(&s(&other["refresh_token"])).0, 200);
}
