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

use crate::durable::Objects;

thread_local! {
    // Parsed once per isolate: parsing SIGNING_KEYS derives public keys, which is not free.
    // Vars and secrets cannot change without a new deployment (a new isolate).
    static CONFIG: RefCell<Option<Rc<Config>>> = const { RefCell::new(None) };
}

fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    if let Some(config) = CONFIG.with(|slot| slot.borrow().clone()) {
        return Ok(config);
    }
    let config = Rc::new(Config::from_lookup(|name| {
        env.secret(name)
            .ok()
            .map(|s| s.to_string())
            .or_else(|| env.var(name).ok().map(|v| v.to_string()))
    })?);
    CONFIG.with(|slot| *slot.borrow_mut() = Some(Rc::clone(&config)));
    Ok(config)
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
    let config = match config(&env) {
        Ok(config) => config,
        // Names the variable, never its value.
        Err(err) => return internal(&format!("configuration error: {err}")),
    };
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
        config: &config,
    };
    let response = routes::handle(&config, &objects, &request, now_ms).await;
    if let Some(what) = response.log {
        // Static texts only: no tokens, keys or request values reach the log.
        console_error!("revocable-issuer: internal error: {what}");
    }
    to_worker(response)
}
