//! The issuer's flows natively: `routes::handle` over the session objects and the feed object
//! in memory ([`LocalBackend`]) with a controlled clock. Covers what the end-to-end suite in
//! workerd cannot reach quickly (time passing: expiry, the reuse interval to the millisecond,
//! feed pruning, the session's absolute lifetime), what it cannot observe (each object's
//! storage: keys, values, TTLs, operation counts) and what it cannot provoke (the feed object
//! refusing entries).

use std::{future::Future, rc::Rc};

use revocable_core::{
    Algorithm, KeySet, Policy, RevocationFeed, SigningKey, SigningKeySet, Verifier,
};
use revocable_issuer::{
    http::{Method, Request, Response},
    objects::{
        local::{run_to_completion, LocalBackend, LocalFeed},
        Backend, Call, Outcome, UserObject,
    },
    store::{memory::MemoryKv, subject_key, SessionRecord, StoreError},
    tokens::{hash_refresh_token, route_for_subject, ROUTE_CHARS},
    Config, ConfigError,
};
use serde_json::{json, Value};

const T0: i64 = 1_750_000_000; // seconds
const SERVICE_KEY: &str = "test-service-key-0123456789abcdefghijklmnop";
const FEED_KEY: &str = "test-feed-key-0123456789abcdefghijklmnopqrs";
const ISSUER: &str = "https://issuer.test";
/// The `error_description` of a refresh token refused without reuse.
const INVALID_GRANT: &str = "refresh token is invalid, expired or revoked";

/// The in-memory objects never return `Pending` to a lone caller (its turn is free, the
/// storage answers at once), so polling with a no-op waker finishes.
fn block_on<F: Future>(future: F) -> F::Output {
    run_to_completion(future, 1000).expect("future did not complete")
}

fn signing_keys(seed: u8) -> SigningKeySet {
    let key = SigningKey::generate(Algorithm::EdDsa, &[seed; 32]).unwrap_or_else(|e| panic!("{e}"));
    SigningKeySet::new(vec![key]).unwrap_or_else(|e| panic!("{e}"))
}

/// The configuration from the required vars plus `vars` (which may override them).
fn config_with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let jwks = signing_keys(7).private_jwks().to_string();
    Config::from_lookup(|name| {
        if let Some((_, value)) = vars.iter().find(|(n, _)| *n == name) {
            return Some((*value).to_owned());
        }
        match name {
            "ISSUER" => Some(ISSUER.to_owned()),
            "AUDIENCE" => Some("api".to_owned()),
            "SIGNING_KEYS" => Some(jwks.clone()),
            "ISSUER_SERVICE_KEY" => Some(SERVICE_KEY.to_owned()),
            _ => None,
        }
    })
}

type Object = Rc<UserObject<MemoryKv, LocalFeed>>;

struct Issuer {
    config: Config,
    backend: LocalBackend,
    now_ms: i64,
}

impl Issuer {
    fn new() -> Self {
        Self::with_vars(&[])
    }

    fn with_vars(vars: &[(&str, &str)]) -> Self {
        Self {
            config: config_with(vars).unwrap_or_else(|e| panic!("config: {e}")),
            backend: LocalBackend::new(T0),
            now_ms: T0 * 1000,
        }
    }

    fn now(&self) -> i64 {
        self.now_ms.div_euclid(1000)
    }

    fn advance(&mut self, seconds: i64) {
        self.advance_ms(seconds * 1000);
    }

    fn advance_ms(&mut self, ms: i64) {
        self.now_ms += ms;
        self.backend.set_now(self.now());
    }

    /// The response as it is, 5xx included.
    fn handle(&self, request: &Request) -> Response {
        block_on(revocable_issuer::handle(
            &self.config,
            &self.backend,
            request,
            self.now_ms,
        ))
    }

    /// Status, JSON body and response of a request that must not fail with a 5xx.
    fn send(&self, request: Request) -> (u16, Value, Response) {
        let response = self.handle(&request);
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

    fn create_request(&self, body: &Value) -> Request {
        self.service(Method::Post, "/v1/sessions")
            .with_header("content-type", "application/json")
            .with_body(body.to_string())
    }

    fn create(&self, body: Value) -> Value {
        let (status, json, _) = self.send(self.create_request(&body));
        assert_eq!(status, 201, "{json}");
        json
    }

    fn refresh(&self, token: &str) -> (u16, Value) {
        self.refresh_with(&format!("grant_type=refresh_token&refresh_token={token}"))
    }

    fn refresh_request(form: &str) -> Request {
        Request::new(Method::Post, "/oauth/token")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(form.to_owned())
    }

    fn refresh_with(&self, form: &str) -> (u16, Value) {
        let (status, json, response) = self.send(Self::refresh_request(form));
        if status == 200 {
            assert_eq!(response.header("cache-control"), Some("no-store"));
        }
        (status, json)
    }

    /// A refresh that must be refused; returns the `error_description`.
    fn refused(&self, token: &str) -> String {
        let (status, body) = self.refresh(token);
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_grant")),
            "{body}"
        );
        s(&body["error_description"])
    }

    fn revoke(&self, token: &str) -> u16 {
        let req = Request::new(Method::Post, "/oauth/revoke")
            .with_header("content-type", "application/x-www-form-urlencoded")
            .with_body(format!("token={token}"));
        self.send(req).0
    }

    fn end_session(&self, sid: &str) -> u16 {
        self.send(self.service(Method::Delete, &format!("/v1/sessions/{sid}")))
            .0
    }

    fn logout_everywhere(&self, sub: &str) -> Value {
        let (status, body, _) =
            self.send(self.service(Method::Post, &format!("/v1/users/{sub}/revoke")));
        assert_eq!(status, 200, "{body}");
        body
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

    /// A verifier with the issuer's public keys and `tolerance` seconds of clock tolerance
    /// that has polled the feed now.
    fn polling_verifier(&self, tolerance: u32) -> Verifier {
        let keys = KeySet::from_public_jwks_json(&self.config.keys.public_jwks().to_string())
            .unwrap_or_else(|e| panic!("{e}"));
        let policy = Policy::new([ISSUER], ["api"]).with_clock_tolerance(tolerance);
        let mut verifier = Verifier::new(keys, policy).unwrap_or_else(|e| panic!("{e}"));
        self.poll(&mut verifier);
        verifier
    }

    fn poll(&self, verifier: &mut Verifier) {
        verifier
            .update_revocations(&self.feed().to_string(), self.now())
            .unwrap_or_else(|e| panic!("{e}"));
    }

    /// After the issuer answered 200 to a revocation: once `verifier` polls the feed, it
    /// refuses `token` as revoked.
    fn assert_refused_after_poll(&self, verifier: &mut Verifier, token: &str) {
        self.poll(verifier);
        let result = verifier.verify(token, self.now());
        assert_eq!(
            result.err().map(|e| e.code()),
            Some("ERR_JWT_REVOKED"),
            "answered 200, still accepted: {}",
            self.feed()
        );
    }

    /// The session object of `sub`.
    fn object(&self, sub: &str) -> Object {
        self.backend.object(&route_for_subject(sub))
    }

    /// The stored session `sid` of `sub`.
    fn session_record(&self, sub: &str, sid: &str) -> SessionRecord {
        block_on(self.object(sub).store().session(&subject_key(sub), sid))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no session {sid}"))
    }

    /// The feed object's storage.
    fn feed_kv(&self) -> &MemoryKv {
        self.backend.feed_object().store().kv()
    }

    /// Every key, value and metadata of every object's storage, the feed object's included.
    fn dump(&self) -> Vec<(String, String, Option<Value>)> {
        let mut all = self.feed_kv().dump();
        for (_, object) in self.backend.objects() {
            all.extend(object.store().kv().dump());
        }
        all
    }

    fn outbox_batches(&self, sub: &str) -> usize {
        block_on(self.object(sub).store().outbox())
            .unwrap_or_else(|e| panic!("{e}"))
            .len()
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

/// Percent-encodes everything but unreserved ASCII, for a `sub` in a path.
fn percent(sub: &str) -> String {
    sub.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[path = "issuer/properties.rs"]
mod properties;
#[path = "issuer/simulation.rs"]
mod simulation;

// ---- the main flow and what is stored ---------------------------------------------------

#[test]
fn full_flow_rotates_and_revokes() {
    let mut issuer = Issuer::new();
    let first =
        issuer.create(json!({"sub": "alice", "scope": "read write", "claims": {"role": "admin"}}));
    assert_eq!(first["expires_in"], 300);
    assert_eq!(first["refresh_token_expires_in"], 14 * 86400);
    let sid = s(&first["session_id"]);
    assert_eq!(sid.len(), 33);
    assert_eq!(s(&first["refresh_token"]).len(), 54);
    let route = route_for_subject("alice");
    assert!(
        sid.starts_with(&route),
        "the session id routes to alice's object"
    );
    assert!(s(&first["refresh_token"]).starts_with(&route));
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
    assert_eq!(issuer.refused(&s(&third["refresh_token"])), INVALID_GRANT);
    assert!(ids(&issuer.feed(), "sid").contains(&sid));
    // One session object (alice's) and nothing else.
    let objects: Vec<String> = issuer
        .backend
        .objects()
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    assert_eq!(objects, vec![route]);
}

/// The session objects' clock, `ahead_ms` later than the worker's (a Durable Object reads its
/// own clock, after the worker read its own when the request arrived).
struct ObjectsAhead<'a> {
    backend: &'a LocalBackend,
    ahead_ms: i64,
}

impl Backend for ObjectsAhead<'_> {
    async fn call(&self, route: &str, call: &Call, now_ms: i64) -> Result<Outcome, StoreError> {
        self.backend.call(route, call, now_ms + self.ahead_ms).await
    }

    async fn feed(&self, now: i64) -> Result<RevocationFeed, StoreError> {
        self.backend.feed(now).await
    }
}

#[test]
fn lifetimes_in_the_answer_use_the_objects_clock() {
    let issuer = Issuer::new();
    let objects = ObjectsAhead {
        backend: &issuer.backend,
        ahead_ms: 1_500,
    };
    let send = |request: &Request| {
        let response = block_on(revocable_issuer::handle(
            &issuer.config,
            &objects,
            request,
            issuer.now_ms,
        ));
        assert!(response.status < 300, "{}", response.body);
        serde_json::from_str::<Value>(&response.body).unwrap_or_default()
    };
    let first = send(&issuer.create_request(&json!({"sub": "alice"})));
    assert_eq!(first["expires_in"], 300);
    assert_eq!(first["refresh_token_expires_in"], 14 * 86400);
    // Verified at the objects' time: its `iat` is a second past the worker's clock.
    let verified = issuer
        .config
        .verifier
        .verify(&s(&first["access_token"]), T0 + 1)
        .unwrap_or_else(|e| panic!("access token does not verify: {e}"));
    let claims: Value = serde_json::from_str(&verified.payload).unwrap_or_default();
    assert_eq!(claims["iat"], T0 + 1, "the object's clock");
    assert_eq!(claims["exp"], T0 + 301);
    let next = send(&Issuer::refresh_request(&format!(
        "grant_type=refresh_token&refresh_token={}",
        s(&first["refresh_token"])
    )));
    assert_eq!(next["expires_in"], 300);
    assert_eq!(next["refresh_token_expires_in"], 14 * 86400);
}

/// No object's storage holds a refresh token, the random part of one (the sealed successor
/// of the reuse interval included), an access token, or a user id in a key name.
#[test]
fn storage_holds_only_hashes_of_refresh_tokens_and_no_access_tokens() {
    let mut issuer = Issuer::new();
    let sub = "alice@example.com";
    let first = issuer.create(json!({ "sub": sub }));
    let sid = s(&first["session_id"]);
    issuer.advance(1);
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    issuer.advance_ms(500);
    // A retry inside the reuse interval: the successor is opened from its sealed form.
    let (status, retry) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 200, "{retry}");
    assert_eq!(retry["refresh_token"], second["refresh_token"]);

    let record = issuer.session_record(sub, &sid);
    let successor = s(&second["refresh_token"]);
    let previous = record
        .previous
        .as_ref()
        .unwrap_or_else(|| panic!("the previous token is kept for the reuse interval"));
    assert_eq!(record.current, hash_refresh_token(&successor));
    assert_eq!(
        previous.hash,
        hash_refresh_token(&s(&first["refresh_token"]))
    );
    assert_eq!(previous.sealed_successor.len(), 43);
    assert_ne!(
        previous.sealed_successor,
        successor[ROUTE_CHARS..],
        "the successor is sealed, not stored"
    );

    // Revocations put entries into the feed object too.
    let other = issuer.create(json!({ "sub": sub }));
    assert_eq!(issuer.revoke(&s(&other["access_token"])), 200);
    assert_eq!(issuer.end_session(&s(&other["session_id"])), 204);
    issuer.logout_everywhere(&percent(sub));

    let dump = issuer.dump();
    let text = format!("{dump:?}");
    for token in [&first, &second, &retry, &other] {
        let refresh = s(&token["refresh_token"]);
        assert!(
            !text.contains(&refresh),
            "a refresh token is stored in clear"
        );
        assert!(
            !text.contains(&refresh[ROUTE_CHARS..]),
            "the random part of a refresh token is stored"
        );
        assert!(
            !text.contains(&s(&token["access_token"])),
            "an access token is stored"
        );
    }
    for (key, _, _) in &dump {
        assert!(!key.contains("alice"), "user id in a key name: {key}");
    }
}

/// The TTL of every key each flow writes: a record lives until what it records ends (the
/// store's 60 s minimum aside), a feed entry until its `exp` + FEED_GRACE (60 s) + 60 s.
#[test]
fn every_stored_key_has_the_documented_ttl() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "ttl"}));
    let sid = s(&first["session_id"]);
    let user = subject_key("ttl");
    let object = issuer.object("ttl");
    let rt = |token: &Value| format!("rt:{}", hash_refresh_token(&s(token)));
    let session = format!("session:{user}:{sid}");
    {
        let kv = object.store().kv();
        assert_eq!(kv.ttl(&rt(&first["refresh_token"])), Some(14 * 86400));
        assert_eq!(kv.ttl(&session), Some(30 * 86400));
        assert_eq!(kv.ttl(&format!("sid:{sid}")), Some(30 * 86400));
    }

    issuer.advance(10);
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    {
        let kv = object.store().kv();
        assert_eq!(kv.ttl(&rt(&second["refresh_token"])), Some(14 * 86400));
        assert_eq!(
            kv.ttl(&rt(&first["refresh_token"])),
            Some(14 * 86400 - 10),
            "a rotated-away token's record stays until its own exp"
        );
        assert_eq!(kv.ttl(&session), Some(30 * 86400 - 10));
    }

    // An access token revoked by jti: listed until its exp (T0 + 10 + 300).
    let other = issuer.create(json!({"sub": "ttl"}));
    let other_sid = s(&other["session_id"]);
    let jti = s(&issuer.access_claims(&s(&other["access_token"]))["jti"]);
    assert_eq!(issuer.revoke(&s(&other["access_token"])), 200);
    assert_eq!(
        issuer.feed_kv().ttl(&format!("feed:jti:{other_sid}:{jti}")),
        Some(300 + 60 + 60)
    );

    // A session ended: its record stays, marked revoked, until the session's absolute end;
    // its sid entry is listed until revoked_at + ACCESS_TOKEN_TTL.
    assert_eq!(issuer.end_session(&sid), 204);
    {
        let kv = object.store().kv();
        assert_eq!(kv.ttl(&session), Some(30 * 86400 - 10));
        assert_eq!(issuer.session_record("ttl", &sid).revoked_at, Some(T0 + 10));
    }
    assert_eq!(
        issuer.feed_kv().ttl(&format!("feed:sid:{sid}")),
        Some(300 + 60 + 60)
    );

    issuer.advance(5);
    issuer.logout_everywhere("ttl");
    assert_eq!(
        issuer.feed_kv().ttl(&format!("feed:sub:{user}")),
        Some(300 + 60 + 60)
    );
    assert_eq!(
        issuer.feed_kv().ttl(&format!("feed:sid:{other_sid}")),
        Some(300 + 60 + 60)
    );
    // Delivered entries leave no outbox behind.
    assert_eq!(issuer.outbox_batches("ttl"), 0);
    assert!(object
        .store()
        .kv()
        .keys()
        .iter()
        .all(|k| !k.starts_with("outbox:")));
}

// ---- rotation, reuse and the reuse interval ---------------------------------------------

#[test]
fn a_token_rotated_away_outside_the_reuse_interval_revokes_the_session() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "bob"}));
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    issuer.advance(60);
    let description = issuer.refused(&s(&first["refresh_token"]));
    assert!(description.contains("already used"), "{description}");
    assert_eq!(
        issuer.refused(&s(&second["refresh_token"])),
        INVALID_GRANT,
        "the newest token dies with the session"
    );
    assert!(ids(&issuer.feed(), "sid").contains(&s(&first["session_id"])));
    assert!(issuer.sessions("bob").is_empty());
}

/// Inside REFRESH_REUSE_INTERVAL (10 s by default) the immediately previous token gets the
/// successor its first presentation got, with a new valid access token; the session keeps
/// exactly one current token, which rotates as usual.
#[test]
fn the_previous_token_inside_the_reuse_interval_gets_the_same_successor() {
    let mut issuer = Issuer::new();
    assert_eq!(issuer.config.reuse_interval, 10);
    let first = issuer.create(json!({"sub": "rita", "scope": "read write"}));
    let sid = s(&first["session_id"]);
    let t0 = s(&first["refresh_token"]);
    issuer.advance(5);
    let (status, second) = issuer.refresh(&t0);
    assert_eq!(status, 200, "{second}");
    let t1 = s(&second["refresh_token"]);
    let first_jti = s(&issuer.access_claims(&s(&second["access_token"]))["jti"]);

    issuer.advance_ms(9_999); // 1 ms before the interval ends
    let (status, retry) = issuer.refresh(&t0);
    assert_eq!(status, 200, "{retry}");
    assert_eq!(s(&retry["refresh_token"]), t1, "the same successor");
    assert_eq!(
        retry["refresh_token_expires_in"],
        json!(T0 + 5 + 14 * 86400 - issuer.now()),
        "the successor keeps its own exp"
    );
    assert_eq!(retry["scope"], "read write");
    let claims = issuer.access_claims(&s(&retry["access_token"]));
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["sub"], "rita");
    assert_eq!(claims["iat"], issuer.now());
    assert_eq!(claims["exp"], issuer.now() + 300);
    assert_ne!(s(&claims["jti"]), first_jti, "a new access token");

    // Exactly one current token: t1. The retry changed neither it nor the previous slot.
    let record = issuer.session_record("rita", &sid);
    assert_eq!(record.current, hash_refresh_token(&t1));
    assert_eq!(record.gen, 1);
    assert_eq!(
        record.previous.as_ref().map(|p| p.hash.clone()),
        Some(hash_refresh_token(&t0))
    );
    assert_eq!(record.revoked_at, None);

    // t1 rotates as usual, and the session is alive.
    issuer.advance(1);
    let (status, third) = issuer.refresh(&t1);
    assert_eq!(status, 200, "{third}");
    assert_ne!(s(&third["refresh_token"]), t1);
    assert_eq!(issuer.sessions("rita"), vec![sid]);
    assert!(ids(&issuer.feed(), "sid").is_empty());
}

#[test]
fn the_previous_token_once_the_reuse_interval_is_over_is_reuse() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "sam"}));
    let sid = s(&first["session_id"]);
    issuer.advance(5);
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    issuer.advance_ms(10_000); // exactly the interval: over
    let description = issuer.refused(&s(&first["refresh_token"]));
    assert!(description.contains("already used"), "{description}");
    assert_eq!(issuer.refused(&s(&second["refresh_token"])), INVALID_GRANT);
    assert!(ids(&issuer.feed(), "sid").contains(&sid));
    assert!(issuer.sessions("sam").is_empty());
    assert_eq!(
        issuer.session_record("sam", &sid).revoked_at,
        Some(issuer.now())
    );
}

#[test]
fn a_zero_reuse_interval_is_strict_rotation() {
    let issuer = Issuer::with_vars(&[("REFRESH_REUSE_INTERVAL", "0")]);
    assert_eq!(issuer.config.reuse_interval, 0);
    let first = issuer.create(json!({"sub": "tess"}));
    let (status, second) = issuer.refresh(&s(&first["refresh_token"]));
    assert_eq!(status, 200, "{second}");
    // Even in the same millisecond.
    let description = issuer.refused(&s(&first["refresh_token"]));
    assert!(description.contains("already used"), "{description}");
    assert_eq!(issuer.refused(&s(&second["refresh_token"])), INVALID_GRANT);
    assert!(ids(&issuer.feed(), "sid").contains(&s(&first["session_id"])));
}

#[test]
fn the_grandparent_token_is_reuse_even_inside_the_reuse_interval() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "uri"}));
    let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
    issuer.advance_ms(300);
    let (status, third) = issuer.refresh(&s(&second["refresh_token"]));
    assert_eq!(status, 200, "{third}");
    issuer.advance_ms(300);
    // 600 ms after the first rotation, but two rotations old.
    let description = issuer.refused(&s(&first["refresh_token"]));
    assert!(description.contains("already used"), "{description}");
    assert_eq!(issuer.refused(&s(&third["refresh_token"])), INVALID_GRANT);
    assert_eq!(
        issuer.refused(&s(&second["refresh_token"])),
        INVALID_GRANT,
        "a revoked session refuses its previous token too, without a second reuse"
    );
    assert!(ids(&issuer.feed(), "sid").contains(&s(&first["session_id"])));
}

/// A client whose refresh response was lost (or a second tab) presents the token it still
/// holds again: it gets the successor the lost response carried and stays logged in.
#[test]
fn a_retry_after_a_lost_response_keeps_the_session() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "vera"}));
    let sid = s(&first["session_id"]);
    let held = s(&first["refresh_token"]);
    issuer.advance(60);
    let (status, lost) = issuer.refresh(&held);
    assert_eq!(status, 200, "{lost}");

    issuer.advance(2);
    let (status, retried) = issuer.refresh(&held);
    assert_eq!(status, 200, "{retried}");
    assert_eq!(retried["refresh_token"], lost["refresh_token"]);
    issuer.advance_ms(500);
    let (status, again) = issuer.refresh(&held);
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["refresh_token"], lost["refresh_token"]);
    for body in [&lost, &retried, &again] {
        assert_eq!(
            issuer.access_claims(&s(&body["access_token"]))["sid"],
            json!(sid)
        );
    }

    let mut token = s(&retried["refresh_token"]);
    for _ in 0..3 {
        issuer.advance(60);
        let (status, next) = issuer.refresh(&token);
        assert_eq!(status, 200, "{next}");
        token = s(&next["refresh_token"]);
    }
    assert_eq!(issuer.sessions("vera"), vec![sid]);
    assert!(ids(&issuer.feed(), "sid").is_empty(), "no false reuse");
}

/// Once a logout answered, no token of the session refreshes: neither the current one nor
/// the previous one inside the reuse interval (and that one is not counted as reuse).
#[test]
fn no_refresh_succeeds_after_the_sessions_logout() {
    let mut issuer = Issuer::new();
    let mut sessions = Vec::new();
    for _ in 0..3 {
        let first = issuer.create(json!({"sub": "wade"}));
        let (_, second) = issuer.refresh(&s(&first["refresh_token"]));
        sessions.push((first, second));
    }
    issuer.advance_ms(100);
    let [(a0, a1), (b0, b1), (c0, c1)] = &sessions[..] else {
        panic!("three sessions");
    };
    // One session by id, one by RFC 7009 with its refresh token, the last everywhere.
    assert_eq!(issuer.end_session(&s(&a0["session_id"])), 204);
    assert_eq!(issuer.revoke(&s(&b1["refresh_token"])), 200);
    issuer.logout_everywhere("wade");
    for (old, current) in [(a0, a1), (b0, b1), (c0, c1)] {
        assert_eq!(issuer.refused(&s(&current["refresh_token"])), INVALID_GRANT);
        assert_eq!(issuer.refused(&s(&old["refresh_token"])), INVALID_GRANT);
    }
    assert!(issuer.sessions("wade").is_empty());
    // Logging in again works.
    issuer.advance(1);
    let next = issuer.create(json!({"sub": "wade"}));
    assert_eq!(issuer.refresh(&s(&next["refresh_token"])).0, 200);
}

#[test]
fn a_failed_session_write_leaves_the_presented_token_current() {
    let issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "erin"}));
    let object = issuer.object("erin");
    object.store().kv().fail_puts_to(Some("session:"));
    let response = issuer.handle(&Issuer::refresh_request(&format!(
        "grant_type=refresh_token&refresh_token={}",
        s(&first["refresh_token"])
    )));
    assert_eq!(response.status, 500);
    assert_eq!(response.log, Some("kv put failed"));
    assert!(
        !response.body.contains("kv"),
        "no detail sent: {}",
        response.body
    );
    object.store().kv().fail_puts_to(None);
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
    assert_eq!(issuer.refused(&s(&second["refresh_token"])), INVALID_GRANT);
    // An expired token has no effect on its session: nothing in the feed.
    assert!(ids(&issuer.feed(), "sid").is_empty());
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
    assert_eq!(
        issuer.refused(&s(&last["refresh_token"])),
        INVALID_GRANT,
        "day 30: over"
    );
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

/// A rotation reads the token's record and the session and writes the new token's record
/// and the session, all in the user's object; a retry inside the reuse interval writes only
/// the session. Nothing reaches the feed object, and a token that is not one of ours (a JWT)
/// wakes no object at all.
#[test]
fn a_refresh_touches_only_its_users_object() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "mia"}));
    let object = issuer.object("mia");
    let (feed_before, before) = (issuer.feed_kv().ops(), object.store().kv().ops());
    assert_eq!(issuer.refresh(&s(&first["refresh_token"])).0, 200);
    let after = object.store().kv().ops();
    assert_eq!(
        (
            after.get - before.get,
            after.put - before.put,
            after.delete - before.delete,
            after.list - before.list
        ),
        (2, 2, 0, 0)
    );
    issuer.advance_ms(100);
    let before = object.store().kv().ops();
    assert_eq!(issuer.refresh(&s(&first["refresh_token"])).0, 200);
    let after = object.store().kv().ops();
    assert_eq!(
        (after.get - before.get, after.put - before.put),
        (2, 1),
        "a retry rewrites the session only"
    );
    assert_eq!(issuer.feed_kv().ops(), feed_before);

    let objects = issuer.backend.objects().len();
    let before = object.store().kv().ops();
    assert_eq!(issuer.refused(&s(&first["access_token"])), INVALID_GRANT);
    assert_eq!(issuer.refused("not-a-token"), INVALID_GRANT);
    assert_eq!(object.store().kv().ops(), before);
    assert_eq!(issuer.backend.objects().len(), objects);
}

// ---- logout everywhere ------------------------------------------------------------------

#[test]
fn logout_everywhere_ends_every_session_of_the_user() {
    let issuer = Issuer::new();
    let tokens: Vec<String> = (0..13)
        .map(|_| s(&issuer.create(json!({"sub": "heidi"}))["refresh_token"]))
        .collect();
    let keep = issuer.create(json!({"sub": "ivan"}));
    assert_eq!(issuer.sessions("heidi").len(), 13);
    let body = issuer.logout_everywhere("heidi");
    assert_eq!(body["revoked_sessions"], 13);
    assert_eq!(body["not_before"], T0);
    for t in &tokens {
        assert_eq!(issuer.refused(t), INVALID_GRANT);
    }
    assert_eq!(issuer.refresh(&s(&keep["refresh_token"])).0, 200);
    let feed = issuer.feed();
    assert_eq!(ids(&feed, "sid").len(), 13);
    assert_eq!(
        feed["sub"],
        json!([{"id": "heidi", "not_before": T0, "exp": T0 + 300}])
    );
    assert!(issuer.sessions("heidi").is_empty());
    assert_eq!(issuer.sessions("ivan"), vec![s(&keep["session_id"])]);
    // A second logout everywhere ends nothing more.
    assert_eq!(issuer.logout_everywhere("heidi")["revoked_sessions"], 0);
}

/// The `sub` entry revokes tokens with `iat < not_before`; a session started in the same
/// second as the logout has `iat == not_before`, so the logout must list the `sid` of every
/// session it ends. A session started after the logout answered, even in the same second, is
/// not affected.
#[test]
fn logout_everywhere_lists_the_sid_of_every_session_it_ended() {
    let mut issuer = Issuer::new();
    let mut verifier = issuer.polling_verifier(0);
    issuer.advance_ms(100);
    let earlier = issuer.create(json!({"sub": "quinn"}));
    issuer.advance_ms(400);
    let same_second = issuer.create(json!({"sub": "quinn"}));
    issuer.advance_ms(400); // T0 + 900 ms
    let body = issuer.logout_everywhere("quinn");
    assert_eq!(body["revoked_sessions"], 2);
    assert_eq!(body["not_before"], T0);
    issuer.advance_ms(50);
    let after_same_second = issuer.create(json!({"sub": "quinn"}));
    issuer.advance(1);
    let after = issuer.create(json!({"sub": "quinn"}));

    let feed = issuer.feed();
    let sids = ids(&feed, "sid");
    for (ended, listed) in [
        (&earlier, true),
        (&same_second, true),
        (&after_same_second, false),
        (&after, false),
    ] {
        assert_eq!(sids.contains(&s(&ended["session_id"])), listed, "{feed}");
    }
    assert_eq!(
        issuer.access_claims(&s(&same_second["access_token"]))["iat"],
        T0
    );

    issuer.poll(&mut verifier);
    for ended in [&earlier, &same_second] {
        let result = verifier.verify(&s(&ended["access_token"]), issuer.now());
        assert_eq!(result.err().map(|e| e.code()), Some("ERR_JWT_REVOKED"));
        assert_eq!(issuer.refused(&s(&ended["refresh_token"])), INVALID_GRANT);
    }
    for live in [&after_same_second, &after] {
        let result = verifier.verify(&s(&live["access_token"]), issuer.now());
        assert!(result.is_ok(), "{:?}", result.err());
        assert_eq!(issuer.refresh(&s(&live["refresh_token"])).0, 200);
    }
    assert_eq!(
        issuer.sessions("quinn"),
        vec![s(&after_same_second["session_id"]), s(&after["session_id"])]
    );
}

/// A revocation answers only once the feed object has its entries. When the feed object
/// refuses them, the answer is 503 `temporarily_unavailable` with `Retry-After`, the
/// revocation is in force all the same, and the entries wait in the session object's outbox
/// until `flush_outbox` (the alarm) delivers them.
#[test]
fn a_logout_whose_feed_delivery_fails_is_in_force_and_delivered_later() {
    let mut issuer = Issuer::new();
    let a = issuer.create(json!({"sub": "uma"}));
    let b = issuer.create(json!({"sub": "uma"}));
    let (a_sid, b_sid) = (s(&a["session_id"]), s(&b["session_id"]));
    issuer.advance(1);
    issuer.backend.fail_feed(true);

    let response = issuer.handle(&issuer.service(Method::Delete, &format!("/v1/sessions/{a_sid}")));
    let body: Value = serde_json::from_str(&response.body).unwrap_or_default();
    assert_eq!(response.status, 503, "{body}");
    assert_eq!(body["error"], "temporarily_unavailable");
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert!(response.log.is_some(), "logged for the operator");
    assert_eq!(issuer.refused(&s(&a["refresh_token"])), INVALID_GRANT);
    assert_eq!(issuer.sessions("uma"), vec![b_sid.clone()]);
    assert!(ids(&issuer.feed(), "sid").is_empty(), "not delivered yet");
    assert_eq!(issuer.outbox_batches("uma"), 1);

    let response = issuer.handle(&issuer.service(Method::Post, "/v1/users/uma/revoke"));
    assert_eq!(response.status, 503, "{}", response.body);
    assert_eq!(response.header("retry-after"), Some("1"));
    assert_eq!(issuer.refused(&s(&b["refresh_token"])), INVALID_GRANT);
    assert!(issuer.sessions("uma").is_empty());
    assert_eq!(issuer.outbox_batches("uma"), 2);
    // Still refused after a failed delivery of its own (reuse's entries wait too).
    assert_eq!(issuer.refused(&s(&a["refresh_token"])), INVALID_GRANT);

    issuer.backend.fail_feed(false);
    let left = block_on(issuer.object("uma").flush_outbox()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left, 0);
    assert_eq!(issuer.outbox_batches("uma"), 0);
    let feed = issuer.feed();
    let mut sids = ids(&feed, "sid");
    sids.sort();
    let mut expected = vec![a_sid.clone(), b_sid];
    expected.sort();
    assert_eq!(sids, expected);
    assert_eq!(
        feed["sub"],
        json!([{"id": "uma", "not_before": T0 + 1, "exp": T0 + 1 + 300}])
    );
    // A retry of the failed logout answers as usual.
    assert_eq!(issuer.end_session(&a_sid), 204);
}

/// A revocation that answers 200 has its entries in the feed, also when it is the retry of
/// one whose delivery failed: a retry of an access-token revocation must not find its `jti`
/// "already revoked" and answer while the entry still waits in the outbox.
#[test]
fn a_retried_access_token_revocation_answers_only_once_the_feed_lists_it() {
    let mut issuer = Issuer::new();
    let session = issuer.create(json!({"sub": "abel"}));
    let token = s(&session["access_token"]);
    let jti = s(&issuer.access_claims(&token)["jti"]);
    let mut verifier = issuer.polling_verifier(0);
    issuer.advance(1);
    issuer.backend.fail_feed(true);
    let form = Request::new(Method::Post, "/oauth/revoke")
        .with_header("content-type", "application/x-www-form-urlencoded")
        .with_body(format!("token={token}"));
    assert_eq!(issuer.handle(&form).status, 503);
    issuer.backend.fail_feed(false);
    // The client retries, as Retry-After says.
    issuer.advance(1);
    assert_eq!(issuer.revoke(&token), 200);
    assert_eq!(
        ids(&issuer.feed(), "jti"),
        vec![jti],
        "answered 200, not in the feed"
    );
    issuer.poll(&mut verifier);
    let result = verifier.verify(&token, issuer.now());
    assert_eq!(result.err().map(|e| e.code()), Some("ERR_JWT_REVOKED"));
}

/// An access token of a session whose logout is in force but not yet delivered: revoking it
/// answers 200 only once the feed refuses it (the session's `sid` entry or its own `jti`).
#[test]
fn revoking_an_access_token_of_a_session_whose_logout_is_undelivered_reaches_the_feed() {
    let mut issuer = Issuer::new();
    let session = issuer.create(json!({"sub": "bela"}));
    let sid = s(&session["session_id"]);
    let token = s(&session["access_token"]);
    let mut verifier = issuer.polling_verifier(0);
    issuer.advance(1);
    issuer.backend.fail_feed(true);
    let response = issuer.handle(&issuer.service(Method::Delete, &format!("/v1/sessions/{sid}")));
    assert_eq!(response.status, 503);
    issuer.backend.fail_feed(false);
    assert_eq!(issuer.revoke(&token), 200);
    issuer.assert_refused_after_poll(&mut verifier, &token);
}

/// A logout everywhere retried in the same second after a failed delivery answers 200: by
/// then every access token of the sessions it ended is refused through the feed, those
/// started in that second (`iat == not_before`, so only their `sid` entries cover them)
/// included.
#[test]
fn a_logout_everywhere_retried_in_the_same_second_lists_the_sessions_it_ended() {
    let mut issuer = Issuer::new();
    let mut verifier = issuer.polling_verifier(0);
    issuer.advance_ms(100);
    let session = issuer.create(json!({"sub": "cleo"}));
    issuer.advance_ms(100);
    issuer.backend.fail_feed(true);
    let response = issuer.handle(&issuer.service(Method::Post, "/v1/users/cleo/revoke"));
    assert_eq!(response.status, 503);
    issuer.backend.fail_feed(false);
    issuer.advance_ms(100); // still second T0
    let body = issuer.logout_everywhere("cleo");
    assert_eq!(body["not_before"], T0);
    issuer.assert_refused_after_poll(&mut verifier, &s(&session["access_token"]));
}

// ---- the feed ---------------------------------------------------------------------------

#[test]
fn feed_drops_each_entry_only_after_exp_and_grace() {
    let mut issuer = Issuer::new();
    let a = issuer.create(json!({"sub": "kim"}));
    let b = issuer.create(json!({"sub": "lee"}));
    let jti = s(&issuer.access_claims(&s(&b["access_token"]))["jti"]);
    assert_eq!(issuer.revoke(&s(&b["access_token"])), 200); // jti, exp T0+300
    issuer.logout_everywhere("kim"); // sub, exp T0+300 (and kim's sid, exp T0+300)
    let c = issuer.create(json!({"sub": "lee"}));
    issuer.advance(10);
    assert_eq!(issuer.end_session(&s(&c["session_id"])), 204); // sid, exp T0+310

    // Listed until exp + FEED_GRACE (60 s; rules::FEED_GRACE explains why).
    issuer.advance(350); // T0+360: every entry still listed (exp + 60 >= now)
    let feed = issuer.feed();
    assert_eq!(ids(&feed, "jti"), vec![jti.clone()]);
    assert!(ids(&feed, "sid").contains(&s(&c["session_id"])));
    assert!(ids(&feed, "sid").contains(&s(&a["session_id"])));
    assert_eq!(ids(&feed, "sub"), vec!["kim".to_owned()]);
    issuer.advance(1); // T0+361: entries with exp T0+300 are past exp + 60
    let feed = issuer.feed();
    assert!(ids(&feed, "jti").is_empty());
    assert!(ids(&feed, "sub").is_empty());
    assert_eq!(ids(&feed, "sid"), vec![s(&c["session_id"])]);
    issuer.advance(9); // T0+370
    assert_eq!(ids(&issuer.feed(), "sid").len(), 1);
    issuer.advance(1);
    assert!(ids(&issuer.feed(), "sid").is_empty());
}

/// The feed lists an entry FEED_GRACE past its `exp` on the issuer's clock, so a token
/// revoked in the last seconds of its life still reaches a verifier that polls after `exp`
/// and accepts a clock tolerance (or runs a clock behind the issuer's), which would otherwise
/// accept the revoked token until `exp + tolerance`.
#[test]
fn a_token_revoked_just_before_exp_reaches_a_verifier_with_clock_tolerance() {
    let mut issuer = Issuer::new();
    let first = issuer.create(json!({"sub": "nora"}));
    let token = s(&first["access_token"]);
    let mut verifier = issuer.polling_verifier(30);

    issuer.advance(297); // 3 s before exp (T0+300)
    assert_eq!(issuer.revoke(&token), 200);
    issuer.advance(5); // the verifier's next poll comes after exp on the issuer's clock
    issuer.poll(&mut verifier);
    let result = verifier.verify(&token, issuer.now());
    assert_eq!(
        result.err().map(|e| e.code()),
        Some("ERR_JWT_REVOKED"),
        "within its 30 s tolerance the verifier must refuse the revoked token"
    );
}

/// The feed is one `list` of the feed object per 1000 entries, every entry's data in its
/// key's metadata: no per-entry reads, and no session object is asked.
#[test]
fn feed_is_one_list_per_page_of_the_feed_object_and_no_reads() {
    let issuer = Issuer::new();
    let kv = issuer.feed_kv();
    for i in 0..1200 {
        kv.raw_put(
            &format!("feed:jti:sid{i:05}:j{i:05}"),
            "",
            600,
            Some(json!({"exp": T0 + 100})),
        );
    }
    let before = kv.ops();
    let feed = issuer.feed();
    let after = kv.ops();
    assert_eq!(ids(&feed, "jti").len(), 1200);
    assert_eq!(after.list - before.list, 2, "1200 entries = 2 pages");
    assert_eq!(after.get - before.get, 0, "no per-entry reads");
    assert!(issuer.backend.objects().is_empty());
}

#[test]
fn feed_etag_and_304() {
    let issuer = Issuer::new();
    let (_, _, first) = issuer.send(issuer.service(Method::Get, "/v1/revocations"));
    let etag = first.header("etag").unwrap_or_default().to_owned();
    assert!(etag.starts_with("W/\""), "{etag}");
    let req = issuer
        .service(Method::Get, "/v1/revocations")
        .with_header("if-none-match", &etag);
    let (status, _, response) = issuer.send(req);
    assert_eq!(status, 304);
    assert!(response.body.is_empty());
    assert_eq!(response.header("etag"), Some(etag.as_str()));
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
    let a = issuer.create(json!({"sub": "olga"}));
    // Same claims, other key.
    let foreign = signing_keys(9)
        .active()
        .sign(
            json!({"iss": ISSUER, "aud": "api", "sub": "olga", "jti": "foreign-jti",
                   "sid": s(&a["session_id"]), "exp": T0 + 300, "iat": T0})
            .as_object()
            .unwrap_or_else(|| panic!("object")),
            Some("at+jwt"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    let before = issuer.dump();
    assert_eq!(issuer.revoke(&foreign), 200);
    issuer.advance(301);
    assert_eq!(issuer.revoke(&s(&a["access_token"])), 200);
    let feed = issuer.feed();
    assert!(ids(&feed, "jti").is_empty(), "{feed}");
    assert_eq!(issuer.dump(), before, "nothing stored anywhere");
}

/// Each session gets at most MAX_REVOKED_ACCESS_TOKENS_PER_SESSION `jti` entries; the next
/// revocation of one of its access tokens ends the session, whose one `sid` entry covers all
/// its tokens, and revoking them afterwards writes nothing. Anyone holding access tokens may
/// revoke them (RFC 7009, no credential), so without the bound one session could fill the
/// feed every verifier downloads.
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
    assert_eq!(issuer.refused(&refresh), INVALID_GRANT);
    assert!(issuer.sessions("flood").is_empty());

    // The session's revocation covers its tokens: revoking them now writes nothing.
    let before = issuer.dump();
    for token in revoked.iter().chain([&access]) {
        assert_eq!(issuer.revoke(token), 200);
    }
    assert_eq!(issuer.dump(), before);

    // Another user's session is untouched.
    assert_eq!(issuer.sessions("bystander"), vec![s(&other["session_id"])]);
    assert_eq!(issuer.refresh(&s(&other["refresh_token"])).0, 200);
}

// ---- credentials, input validation and configuration -------------------------------------

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
    // Session ids and refresh tokens of the wrong shape wake no object.
    assert_eq!(issuer.end_session("not-a-session-id"), 404);
    assert_eq!(issuer.end_session(&"A".repeat(33)), 404);
    assert_eq!(issuer.revoke(&"A".repeat(54)), 200);
    assert_eq!(issuer.refused(&"A".repeat(54)), INVALID_GRANT);
    assert_eq!(
        issuer.backend.objects().len(),
        1,
        "only the object of prefix AAAAAAAAAAA, which knows nothing"
    );
    assert!(issuer.dump().is_empty());
}

/// The requests of every service endpoint but the feed.
fn service_requests(sid: &str) -> Vec<Request> {
    vec![
        Request::new(Method::Post, "/v1/sessions")
            .with_header("content-type", "application/json")
            .with_body(json!({"sub": "xena"}).to_string()),
        Request::new(Method::Delete, format!("/v1/sessions/{sid}")),
        Request::new(Method::Get, "/v1/users/xena/sessions"),
        Request::new(Method::Post, "/v1/users/xena/revoke"),
    ]
}

fn with_bearer(request: Request, key: &str) -> Request {
    request.with_header("authorization", &format!("Bearer {key}"))
}

/// FEED_KEY reads `GET /v1/revocations` and nothing else: every other service endpoint
/// answers it exactly as it answers no key, and changes nothing.
#[test]
fn a_feed_key_reads_the_feed_and_nothing_else() {
    let issuer = Issuer::with_vars(&[("FEED_KEY", FEED_KEY)]);
    let session = issuer.create(json!({"sub": "xena"}));
    let sid = s(&session["session_id"]);
    assert_eq!(issuer.end_session(&sid), 204);
    let live = issuer.create(json!({"sub": "xena"}));

    let (status, feed, response) = issuer.send(with_bearer(
        Request::new(Method::Get, "/v1/revocations"),
        FEED_KEY,
    ));
    assert_eq!(status, 200, "{feed}");
    assert_eq!(ids(&feed, "sid"), vec![sid]);
    assert_eq!(feed, issuer.feed(), "the service key reads the same feed");
    let etag = response.header("etag").unwrap_or_default().to_owned();
    let (status, _, _) = issuer.send(
        with_bearer(Request::new(Method::Get, "/v1/revocations"), FEED_KEY)
            .with_header("if-none-match", &etag),
    );
    assert_eq!(status, 304);

    let before = issuer.dump();
    let live_sid = s(&live["session_id"]);
    for (with_key, without) in service_requests(&live_sid)
        .into_iter()
        .zip(service_requests(&live_sid))
    {
        let path = with_key.path.clone();
        let refused = issuer.handle(&with_bearer(with_key, FEED_KEY));
        let anonymous = issuer.handle(&without);
        assert_eq!(refused.status, 401, "{path}: {}", refused.body);
        assert_eq!(
            (&refused.body, &refused.headers),
            (&anonymous.body, &anonymous.headers),
            "{path}"
        );
    }
    assert_eq!(issuer.dump(), before, "a feed key changed something");
    assert_eq!(issuer.sessions("xena"), vec![live_sid]);
}

#[test]
fn several_feed_keys_each_read_the_feed() {
    let keys = [
        "feed-key-one-0123456789abcdefghijklmnopqr",
        "feed-key-two-0123456789abcdefghijklmnopqr",
        "feed-key-three-0123456789abcdefghijklmnopq",
    ];
    let configured = format!("{}, {}\n {}", keys[0], keys[1], keys[2]);
    let issuer = Issuer::with_vars(&[("FEED_KEY", &configured)]);
    assert_eq!(issuer.config.feed_keys.len(), 3);
    let feed = |key: &str| {
        issuer
            .send(with_bearer(
                Request::new(Method::Get, "/v1/revocations"),
                key,
            ))
            .0
    };
    for key in keys {
        assert_eq!(feed(key), 200, "{key}");
    }
    for wrong in [
        "feed-key-four-0123456789abcdefghijklmnopqr",
        &configured,
        &format!("{},{}", keys[0], keys[1]),
        &keys[0][..40],
        "",
    ] {
        assert_eq!(feed(wrong), 401, "{wrong:?}");
    }
    assert_eq!(
        feed(SERVICE_KEY),
        200,
        "the service key still reads the feed"
    );
    for key in keys {
        for request in service_requests(&"A".repeat(33)) {
            let response = issuer.handle(&with_bearer(request, key));
            assert_eq!(response.status, 401, "{}", response.body);
        }
    }
    assert!(issuer.backend.objects().is_empty());
}

#[test]
fn config_errors_name_the_variable_never_the_value() {
    let long = "a-valid-feed-key-0123456789abcdefghijklmn";
    let cases: Vec<(&str, String)> = vec![
        ("REFRESH_REUSE_INTERVAL", "61".into()),
        ("REFRESH_REUSE_INTERVAL", "-1".into()),
        ("REFRESH_REUSE_INTERVAL", "ten".into()),
        ("REFRESH_REUSE_INTERVAL", "1.5".into()),
        ("REFRESH_REUSE_INTERVAL", "".into()),
        ("FEED_CACHE_TTL", "61".into()),
        ("FEED_CACHE_TTL", "-1".into()),
        ("FEED_CACHE_TTL", "3600".into()),
        ("FEED_CACHE_TTL", "soon".into()),
        ("FEED_KEY", "short-feed-key-secret".into()),
        ("FEED_KEY", format!("{long},short-feed-key-secret")),
        ("FEED_KEY", SERVICE_KEY.into()),
        ("FEED_KEY", format!("{long} {SERVICE_KEY}")),
    ];
    for (name, value) in &cases {
        let err = config_with(&[(name, value)])
            .err()
            .unwrap_or_else(|| panic!("{name}={value:?} accepted"));
        assert_eq!(err.name, *name, "{name}={value:?}: {err}");
        if value.len() > 2 {
            assert!(!err.to_string().contains(value.as_str()), "{err}");
        }
        assert!(!err.to_string().contains("short-feed-key-secret"), "{err}");
        assert!(!err.to_string().contains(SERVICE_KEY), "{err}");
    }

    let config = |vars: &[(&str, &str)]| config_with(vars).unwrap_or_else(|e| panic!("{e}"));
    let defaults = config(&[]);
    assert_eq!(
        (
            defaults.reuse_interval,
            defaults.feed_cache_ttl,
            defaults.feed_keys.len()
        ),
        (10, 1, 0)
    );
    for (value, expected) in [("0", 0), ("60", 60), (" 7 ", 7)] {
        let c = config(&[("REFRESH_REUSE_INTERVAL", value), ("FEED_CACHE_TTL", value)]);
        assert_eq!((c.reuse_interval, c.feed_cache_ttl), (expected, expected));
    }
    assert_eq!(
        config(&[("FEED_KEY", &format!(" {long} ,"))])
            .feed_keys
            .len(),
        1
    );
}

/// A `sub` with whitespace at either end or a control, format, line- or paragraph-separator
/// character is refused (it would not travel faithfully into headers and logs); letters of
/// any script are accepted and come back byte for byte.
#[test]
fn session_subjects_are_refused_with_edge_whitespace_or_invisible_characters() {
    let issuer = Issuer::new();
    for bad in [
        " alice",
        "alice ",
        "ali\u{202e}ce",
        "ali\u{2028}ce",
        "ali\u{200b}ce",
    ] {
        let (status, body, _) = issuer.send(issuer.create_request(&json!({ "sub": bad })));
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_request")),
            "{bad:?}: {body}"
        );
        assert!(!s(&body["error_description"]).contains(bad), "{body}");
        let path = format!("/v1/users/{}/sessions", percent(bad));
        let (status, body, _) = issuer.send(issuer.service(Method::Get, &path));
        assert_eq!(status, 400, "{bad:?} in the path: {body}");
    }
    assert!(issuer.backend.objects().is_empty(), "no object was asked");

    for good in ["alié", "用户"] {
        let created = issuer.create(json!({ "sub": good }));
        let claims = issuer.access_claims(&s(&created["access_token"]));
        assert_eq!(claims["sub"].as_str(), Some(good));
        assert_eq!(
            issuer.sessions(&percent(good)),
            vec![s(&created["session_id"])]
        );
        let (status, next) = issuer.refresh(&s(&created["refresh_token"]));
        assert_eq!(status, 200, "{next}");
        assert_eq!(
            issuer.logout_everywhere(&percent(good))["revoked_sessions"],
            1
        );
        assert!(ids(&issuer.feed(), "sub").contains(&good.to_owned()));
    }
}
