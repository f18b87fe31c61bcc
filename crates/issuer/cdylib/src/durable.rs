//! The Durable Objects in the Workers runtime (wasm32 only): [`SessionObject`] (one per
//! user, bound as `SESSIONS`) and [`RevocationFeedObject`] (one per deployment, bound as `FEED`),
//! each a thin shell around the runtime-free logic in [`revocable_issuer::objects`], plus the worker's
//! client for both ([`Objects`]). Internal requests carry JSON: a [`Call`] in, an
//! [`Outcome`] out; feed entries in, the feed out.

use revocable_core::RevocationFeed;
use serde::Serialize;
use wasm_bindgen::JsValue;
use worker::{
    console_error, durable_object, Cache, Date, DurableObject, Env, Headers, Method, Request,
    RequestInit, Response, Result, State, Stub,
};

use crate::webcrypto::RuntimeKeys;
use revocable_issuer::{
    config::Config,
    objects::{Backend, Call, FeedObject, FeedSink, Outcome, UserObject},
    store::{object_kv::ObjectKv, FeedAppend, StoreError},
};

/// Binding of the session objects (wrangler.toml `[durable_objects]`).
pub const SESSIONS_BINDING: &str = "SESSIONS";
/// Binding of the feed object.
pub const FEED_BINDING: &str = "FEED";
/// The one feed object's name.
const FEED_NAME: &str = "feed";
/// How soon an undelivered outbox is retried (milliseconds).
const OUTBOX_RETRY_MS: i64 = 5_000;
/// How often expired rows are swept while an object holds any (milliseconds).
const SWEEP_MS: i64 = 6 * 3600 * 1000;
/// Status of a session object's answer when a revocation is in force but its feed entries
/// wait in the outbox.
const FEED_DELIVERY_STATUS: u16 = 503;

fn now_ms() -> i64 {
    i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX)
}

fn stub(env: &Env, binding: &str, name: &str) -> std::result::Result<Stub, StoreError> {
    env.durable_object(binding)
        .and_then(|ns| ns.get_by_name(name))
        .map_err(|_| StoreError::Object("durable object binding missing"))
}

async fn post_json<T: Serialize + ?Sized>(
    stub: &Stub,
    url: &str,
    body: &T,
) -> std::result::Result<Response, StoreError> {
    let body = serde_json::to_string(body).map_err(|_| StoreError::Object("encoding failed"))?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_body(Some(JsValue::from_str(&body)));
    let request =
        Request::new_with_init(url, &init).map_err(|_| StoreError::Object("request failed"))?;
    stub.fetch_with_request(request)
        .await
        .map_err(|_| StoreError::Object("session object unreachable"))
}

/// Arms the alarm `offset_ms` from now unless one is already due sooner.
async fn arm(state: &State, offset_ms: i64) {
    let storage = state.storage();
    let due = now_ms().saturating_add(offset_ms);
    let current = storage.get_alarm().await.ok().flatten();
    if current.is_none_or(|at| at > due) && storage.set_alarm(offset_ms).await.is_err() {
        console_error!("revocable-issuer: could not set an alarm");
    }
}

/// Delivers a session object's feed entries to the feed object.
#[derive(Debug)]
pub struct FeedStub {
    env: Env,
}

impl FeedSink for FeedStub {
    async fn append(&self, entries: &[FeedAppend]) -> std::result::Result<(), StoreError> {
        let stub = stub(&self.env, FEED_BINDING, FEED_NAME)?;
        let response = post_json(&stub, "https://feed/append", entries).await?;
        if response.status_code() == 204 {
            Ok(())
        } else {
            Err(StoreError::FeedDelivery)
        }
    }
}

/// A user's session object.
#[allow(missing_debug_implementations)] // the runtime's `State` has no Debug
#[durable_object]
pub struct SessionObject {
    state: State,
    object: Option<UserObject<ObjectKv, FeedStub>>,
}

impl DurableObject for SessionObject {
    fn new(state: State, env: Env) -> Self {
        let object = ObjectKv::new(state.storage().sql())
            .map(|kv| UserObject::new(kv, FeedStub { env }))
            .ok();
        Self { state, object }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Some(object) = &self.object else {
            return Response::error("storage unavailable", 500);
        };
        let Ok(call) = serde_json::from_str::<Call>(&req.text().await?) else {
            return Response::error("bad call", 400);
        };
        match object.call(&call, now_ms()).await {
            Ok(outcome) => {
                arm(&self.state, SWEEP_MS).await;
                Response::from_json(&outcome)
            }
            Err(StoreError::FeedDelivery) => {
                arm(&self.state, OUTBOX_RETRY_MS).await;
                Response::error("feed delivery", FEED_DELIVERY_STATUS)
            }
            Err(err) => {
                console_error!("revocable-issuer: session object: {}", err.describe());
                Response::error("session object failed", 500)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        let Some(object) = &self.object else {
            return Response::ok("");
        };
        let left = object.flush_outbox().await.unwrap_or(1);
        let rows = object.store().kv().sweep().unwrap_or(1);
        if left > 0 {
            arm(&self.state, OUTBOX_RETRY_MS).await;
        } else if rows > 0 {
            arm(&self.state, SWEEP_MS).await;
        }
        Response::ok("")
    }
}

/// The feed object.
#[allow(missing_debug_implementations)] // the runtime's `State` has no Debug
#[durable_object]
pub struct RevocationFeedObject {
    state: State,
    feed: Option<FeedObject<ObjectKv>>,
}

impl DurableObject for RevocationFeedObject {
    fn new(state: State, _env: Env) -> Self {
        let feed = ObjectKv::new(state.storage().sql())
            .map(FeedObject::new)
            .ok();
        Self { state, feed }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let Some(feed) = &self.feed else {
            return Response::error("storage unavailable", 500);
        };
        let now = now_ms() / 1000;
        if req.method() == Method::Post {
            let Ok(entries) = serde_json::from_str::<Vec<FeedAppend>>(&req.text().await?) else {
                return Response::error("bad entries", 400);
            };
            return match feed.append(&entries, now).await {
                Ok(()) => {
                    arm(&self.state, SWEEP_MS).await;
                    Ok(Response::empty()?.with_status(204))
                }
                Err(err) => {
                    console_error!("revocable-issuer: feed object: {}", err.describe());
                    Response::error("append failed", 500)
                }
            };
        }
        match feed.read(now).await {
            Ok(snapshot) => Response::from_json(&snapshot),
            Err(err) => {
                console_error!("revocable-issuer: feed object: {}", err.describe());
                Response::error("read failed", 500)
            }
        }
    }

    async fn alarm(&self) -> Result<Response> {
        if let Some(feed) = &self.feed {
            if feed.store().kv().sweep().unwrap_or(1) > 0 {
                arm(&self.state, SWEEP_MS).await;
            }
        }
        Response::ok("")
    }
}

/// The worker's client of the objects.
#[derive(Debug)]
pub struct Objects<'a> {
    /// The worker's bindings.
    pub env: &'a Env,
    /// The worker's configuration.
    pub config: &'a Config,
    /// The signing keys WebCrypto holds.
    pub keys: &'a RuntimeKeys,
}

impl Objects<'_> {
    /// The cache key of the feed: a path of the issuer's own origin that no route serves, so
    /// nothing but this code ever reads the entry.
    fn feed_cache_key(&self) -> String {
        format!("{}/__revocable/feed-cache", self.config.base_url())
    }

    async fn feed_from_object(&self) -> std::result::Result<String, StoreError> {
        let stub = stub(self.env, FEED_BINDING, FEED_NAME)?;
        let mut response = stub
            .fetch_with_str("https://feed/read")
            .await
            .map_err(|_| StoreError::Object("feed object unreachable"))?;
        if response.status_code() != 200 {
            return Err(StoreError::Object("feed object failed"));
        }
        response
            .text()
            .await
            .map_err(|_| StoreError::Object("feed object unreadable"))
    }
}

impl Backend for Objects<'_> {
    async fn host_sign(&self, key: usize, message: &[u8]) -> Option<Vec<u8>> {
        self.keys.sign(key, message).await
    }

    async fn host_verify(&self, key: usize, message: &[u8], signature: &[u8]) -> Option<bool> {
        self.keys.verify(key, message, signature).await
    }

    async fn call(
        &self,
        route: &str,
        call: &Call,
        _now_ms: i64,
    ) -> std::result::Result<Outcome, StoreError> {
        let stub = stub(self.env, SESSIONS_BINDING, route)?;
        let mut response = post_json(&stub, "https://session/call", call).await?;
        match response.status_code() {
            200 => {}
            FEED_DELIVERY_STATUS => return Err(StoreError::FeedDelivery),
            _ => return Err(StoreError::Object("session object failed")),
        }
        let text = response
            .text()
            .await
            .map_err(|_| StoreError::Object("session object unreadable"))?;
        serde_json::from_str(&text).map_err(|_| StoreError::Object("session object unreadable"))
    }

    /// The feed object's snapshot, served from this location's cache for up to
    /// `FEED_CACHE_TTL` seconds.
    async fn feed(&self, _now: i64) -> std::result::Result<RevocationFeed, StoreError> {
        let ttl = self.config.feed_cache_ttl;
        let cache = Cache::default();
        let key = self.feed_cache_key();
        let mut text = None;
        if ttl > 0 {
            if let Ok(Some(mut cached)) = cache.get(key.as_str(), false).await {
                text = cached.text().await.ok();
            }
        }
        let text = match text {
            Some(text) => text,
            None => {
                let text = self.feed_from_object().await?;
                if ttl > 0 {
                    let headers = Headers::new();
                    let stored = headers
                        .set("cache-control", &format!("public, max-age={ttl}"))
                        .and_then(|()| Response::ok(text.clone()))
                        .map(|r| r.with_headers(headers));
                    if let Ok(stored) = stored {
                        if cache.put(key.as_str(), stored).await.is_err() {
                            console_error!("revocable-issuer: feed cache put failed");
                        }
                    }
                }
                text
            }
        };
        serde_json::from_str(&text).map_err(|_| StoreError::Object("feed unreadable"))
    }

    async fn feed_changed(&self) {
        if self.config.feed_cache_ttl > 0
            && Cache::default()
                .delete(self.feed_cache_key().as_str(), false)
                .await
                .is_err()
        {
            console_error!("revocable-issuer: feed cache delete failed");
        }
    }
}
