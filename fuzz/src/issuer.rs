//! The issuer natively, for the `issuer_request` target: one configuration (an Ed25519 signing
//! key, a service key), fresh in-memory objects per input holding one live session, and a
//! parser for the target's raw-HTTP-like input format.

use std::{
    future::Future,
    pin::pin,
    sync::OnceLock,
    task::{Context, Poll, Waker},
};

use revocable_core::{Algorithm, SigningKey, SigningKeySet};
use revocable_issuer::{
    http::{Body, Method, Request},
    objects::local::LocalBackend,
    Config,
};
use serde_json::Value;

/// The fixed clock of every input (seconds).
pub const T0: i64 = 1_750_000_000;
/// The service key of the fixture (also substituted for `@SK@` in inputs).
pub const SERVICE_KEY: &str = "fuzz-service-key-0123456789abcdefghijklmnopqrstuvwxyz";
/// The fixture's issuer.
pub const ISSUER: &str = "https://issuer.fuzz";

/// The issuer's configuration, built once.
pub fn config() -> &'static Config {
    static CELL: OnceLock<Config> = OnceLock::new();
    CELL.get_or_init(|| {
        let key = SigningKey::generate(Algorithm::EdDsa, &[42; 32]).expect("ed25519 key");
        let jwks = SigningKeySet::new(vec![key])
            .expect("key set")
            .private_jwks()
            .to_string();
        Config::from_lookup(|name| match name {
            "ISSUER" => Some(ISSUER.to_owned()),
            "AUDIENCE" => Some("api".to_owned()),
            "SIGNING_KEYS" => Some(jwks.clone()),
            "ISSUER_SERVICE_KEY" => Some(SERVICE_KEY.to_owned()),
            _ => None,
        })
        .expect("issuer config")
    })
}

/// The in-memory objects never return `Pending`, so polling with a no-op waker finishes.
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    for _ in 0..10_000 {
        if let Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
    }
    panic!("an issuer future did not complete over the in-memory objects");
}

/// The objects with one live session of `alice`, and the values inputs can refer to.
#[derive(Debug)]
pub struct Live {
    /// Every object of the issuer, in memory.
    pub backend: LocalBackend,
    /// Values substituted for the placeholders `@RT@`, `@AT@`, `@SID@`, `@SK@`.
    pub refresh_token: String,
    /// The session's access token.
    pub access_token: String,
    /// The session id.
    pub session_id: String,
}

impl Live {
    /// Every stored row of every object: (object, key, value, metadata).
    pub fn dump(&self) -> Vec<(String, String, String, Option<Value>)> {
        let mut rows = Vec::new();
        for (route, object) in self.backend.objects() {
            for (key, value, meta) in object.store().kv().dump() {
                rows.push((route.clone(), key, value, meta));
            }
        }
        for (key, value, meta) in self.backend.feed_object().store().kv().dump() {
            rows.push(("feed".to_owned(), key, value, meta));
        }
        rows
    }
}

/// Starts one session through the API itself (so the objects hold what the issuer writes).
pub fn live_session() -> Live {
    let backend = LocalBackend::new(T0);
    let request = Request::new(Method::Post, "/v1/sessions")
        .with_header("authorization", &format!("Bearer {SERVICE_KEY}"))
        .with_header("content-type", "application/json")
        .with_body(br#"{"sub":"alice","scope":"read write","claims":{"role":"admin"}}"#.to_vec());
    let response = block_on(revocable_issuer::handle(
        config(),
        &backend,
        &request,
        T0 * 1000,
    ));
    assert_eq!(response.status, 201, "fixture session: {}", response.body);
    let body: Value = serde_json::from_str(&response.body).expect("session json");
    let text = |name: &str| body[name].as_str().expect("session field").to_owned();
    Live {
        refresh_token: text("refresh_token"),
        access_token: text("access_token"),
        session_id: text("session_id"),
        backend,
    }
}

/// Replaces the placeholders with the live values, so inputs can reach the real records.
pub fn substitute(bytes: &[u8], live: &Live) -> Vec<u8> {
    let pairs: [(&[u8], &[u8]); 4] = [
        (b"@RT@", live.refresh_token.as_bytes()),
        (b"@AT@", live.access_token.as_bytes()),
        (b"@SID@", live.session_id.as_bytes()),
        (b"@SK@", SERVICE_KEY.as_bytes()),
    ];
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    'outer: while i < bytes.len() {
        if bytes[i] == b'@' {
            for (from, to) in pairs {
                if bytes[i..].starts_with(from) {
                    out.extend_from_slice(to);
                    i += from.len();
                    continue 'outer;
                }
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

/// Parses the target's input: `METHOD PATH\n`, then `Name: value` header lines, a blank
/// line, and the body (the rest, any bytes). A body line `@TOOLARGE@` stands for a body the
/// entry refused by size, `@UNREADABLE@` for one it could not read. Header names and values
/// must be UTF-8 (the Workers runtime only hands over strings); other lines are skipped.
pub fn parse_request(input: &[u8]) -> Option<Request> {
    let head_end = input.iter().position(|&b| b == b'\n')?;
    let first = std::str::from_utf8(&input[..head_end]).ok()?;
    let (method, path) = first.split_once(' ').unwrap_or((first, "/"));
    let mut request = Request::new(Method::parse(method), path);
    let mut rest = &input[head_end + 1..];
    loop {
        let Some(end) = rest.iter().position(|&b| b == b'\n') else {
            // No blank line: everything left is headers, no body.
            push_header(&mut request, rest);
            rest = &[];
            break;
        };
        let line = &rest[..end];
        rest = &rest[end + 1..];
        if line.is_empty() {
            break;
        }
        push_header(&mut request, line);
    }
    request.body = match rest {
        b"@TOOLARGE@" => Body::TooLarge,
        b"@UNREADABLE@" => Body::Unreadable,
        bytes => Body::Bytes(bytes.to_vec()),
    };
    Some(request)
}

fn push_header(request: &mut Request, line: &[u8]) {
    let Ok(line) = std::str::from_utf8(line) else {
        return;
    };
    if let Some((name, value)) = line.split_once(':') {
        request
            .headers
            .push((name.trim().to_owned(), value.trim().to_owned()));
    }
}
