//! The Workers entry point (wasm32 only): reads the configuration and the request through
//! the `worker` crate, hands plain values to [`revocable_issuer::routes::handle`] with the Durable
//! Objects as its backend ([`crate::durable::Objects`]), and turns the answer back into a
//! Workers response. Kept thin so that everything else is tested natively.

use std::{cell::RefCell, rc::Rc};

use futures_util::StreamExt;
use worker::{console_error, event, Context, Date, Env, Headers};

use revocable_issuer::{
    config::{Config, ConfigError},
    http::{ApiError, Body, Method, Request, Response, MAX_BODY_BYTES},
    routes,
};

use crate::{durable::Objects, webcrypto::RuntimeKeys};

/// The configuration and the signing keys WebCrypto holds.
type Setup = Rc<(Config, RuntimeKeys)>;

thread_local! {
    // Read once per isolate: parsing SIGNING_KEYS derives public keys and imports the EC and
    // RSA keys into WebCrypto, which is not free. Vars and secrets cannot change without a new
    // deployment (a new isolate).
    static SETUP: RefCell<Option<Setup>> = const { RefCell::new(None) };
}

async fn setup(env: &Env) -> Result<Setup, ConfigError> {
    if let Some(setup) = SETUP.with(|slot| slot.borrow().clone()) {
        return Ok(setup);
    }
    let config = Config::from_lookup(|name| {
        env.secret(name)
            .ok()
            .map(|s| s.to_string())
            .or_else(|| env.var(name).ok().map(|v| v.to_string()))
    })?;
    let keys = RuntimeKeys::import(&config.keys)
        .await
        .map_err(|_| ConfigError {
            name: "SIGNING_KEYS",
            why: "an EC or RSA key does not import into WebCrypto, or its private and public parts differ",
        })?;
    let setup = Rc::new((config, keys));
    // Two first requests may both get here; either result is the same.
    SETUP.with(|slot| *slot.borrow_mut() = Some(Rc::clone(&setup)));
    Ok(setup)
}

/// Reads the body of `req` up to [`MAX_BODY_BYTES`], never buffering more than one chunk
/// past the limit (a `Content-Length` over it is refused without reading).
async fn read_body(req: &mut worker::Request, method: Method) -> Body {
    if method != Method::Post {
        return Body::Bytes(Vec::new());
    }
    let declared = req
        .headers()
        .get("content-length")
        .ok()
        .flatten()
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|len| len > MAX_BODY_BYTES as u64) {
        return Body::TooLarge;
    }
    let Ok(mut stream) = req.stream() else {
        // No body at all.
        return Body::Bytes(Vec::new());
    };
    let mut body = Vec::new();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else {
            return Body::Unreadable;
        };
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Body::TooLarge;
        }
        body.extend_from_slice(&chunk);
    }
    Body::Bytes(body)
}

fn to_worker(response: Response) -> worker::Result<worker::Response> {
    let headers = Headers::new();
    for (name, value) in &response.headers {
        headers.set(name, value)?;
    }
    let out = if response.body.is_empty() {
        worker::Response::empty()?
    } else {
        worker::Response::from_bytes(response.body.into_bytes())?
    };
    Ok(out.with_status(response.status).with_headers(headers))
}

fn internal(what: &str) -> worker::Result<worker::Response> {
    console_error!("revocable-issuer: {what}");
    to_worker(ApiError::Internal("").to_response())
}

#[event(fetch)]
async fn fetch(
    mut req: worker::Request,
    env: Env,
    _ctx: Context,
) -> worker::Result<worker::Response> {
    let now_ms = i64::try_from(Date::now().as_millis()).unwrap_or(i64::MAX);
    let setup = match setup(&env).await {
        Ok(setup) => setup,
        // Names the variable, never its value.
        Err(err) => return internal(&format!("configuration error: {err}")),
    };
    let (config, keys) = &*setup;
    // The raw method (workers-rs maps unknown methods to GET).
    let method = Method::parse(&req.inner().method());
    let headers = req.headers().entries().collect();
    let body = read_body(&mut req, method).await;
    let request = Request {
        method,
        path: req.path(),
        headers,
        body,
    };
    let objects = Objects {
        env: &env,
        config,
        keys,
    };
    let response = routes::handle(config, &objects, &request, now_ms).await;
    if let Some(what) = response.log {
        // Static texts only: no tokens, keys or request values reach the log.
        console_error!("revocable-issuer: internal error: {what}");
    }
    to_worker(response)
}
