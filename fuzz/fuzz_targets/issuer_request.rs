//! The issuer's request handling end to end over the in-memory objects: routing, methods, service
//! key (bearer header), body size, content types, form and JSON bodies, path parameters, and
//! the flows behind them.
//!
//! Input: up to three raw requests separated by `\n===\n`, each `METHOD PATH\n`, header lines
//! `Name: value`, a blank line, then the body (`@TOOLARGE@` / `@UNREADABLE@` stand for bodies
//! the runtime refused or could not read). Placeholders reach the real records of the one live
//! session the objects hold: `@RT@` its newest refresh token, `@RT0@` its first one (a retry
//! inside the reuse interval after one rotation, reuse after two), `@AT@` its access token,
//! `@SID@` its id, `@SK@` the service key.
//! Invariants: never a 5xx (the in-memory objects do not fail); every 4xx is JSON
//! `{error, error_description}` with `Cache-Control: no-store`; no header value holds CR or LF;
//! no response echoes the service key, and no error echoes a token; a 4xx leaves the stored
//! state exactly as it was, except the reuse answer, which revokes the session; a refresh
//! answers either a new token or, for a retry, the session's current one; the parsers
//! themselves never panic on the raw body.
#![no_main]

use libfuzzer_sys::fuzz_target;
use revocable_fuzz::issuer::{
    block_on, config, live_session, parse_request, substitute, SERVICE_KEY, T0,
};
use revocable_issuer::http::{self, Form};
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let mut live = live_session();
    let first_refresh = live.refresh_token.clone();
    for (i, raw) in split_requests(data).into_iter().take(3).enumerate() {
        let mut input = raw.to_vec();
        // @RT0@ first, while @RT@ still means the newest token.
        input = replace(&input, b"@RT0@", first_refresh.as_bytes());
        let input = substitute(&input, &live);
        let Some(request) = parse_request(&input) else {
            continue;
        };
        if let http::Body::Bytes(body) = &request.body {
            let _ = Form::parse(body);
            let _ = http::parse_session_body(body);
        }
        let _ = http::bearer(&request);
        let _ = http::require_content_type(&request, http::FORM);

        let before = live.dump();
        let now_ms = (T0 + 1 + i as i64) * 1000;
        let response = block_on(revocable_issuer::handle(
            config(),
            &live.backend,
            &request,
            now_ms,
        ));
        let status = response.status;
        assert!(
            (200..500).contains(&status),
            "status {status}: {}",
            response.body
        );
        for (name, value) in &response.headers {
            assert!(
                !value.contains(['\r', '\n']),
                "CR/LF in response header {name}"
            );
        }
        // The caller may put the key into a value that comes back (a scope, a claim); otherwise
        // no answer may contain it.
        let echoed = match &request.body {
            http::Body::Bytes(body) => body
                .windows(SERVICE_KEY.len())
                .any(|w| w == SERVICE_KEY.as_bytes()),
            _ => false,
        };
        if !echoed {
            assert!(
                !response.body.contains(SERVICE_KEY),
                "the service key in a response"
            );
        }
        if status >= 400 {
            let body: Value = serde_json::from_str(&response.body)
                .unwrap_or_else(|_| panic!("{status} without a json body: {:?}", response.body));
            let error = body["error"].as_str().expect("error is a string");
            let description = body["error_description"]
                .as_str()
                .expect("description is a string");
            assert_eq!(
                body.as_object().map(|o| o.len()),
                Some(2),
                "only error and description"
            );
            assert_eq!(response.header("cache-control"), Some("no-store"));
            for secret in [&live.refresh_token, &first_refresh, &live.access_token] {
                assert!(
                    !response.body.contains(secret.as_str()),
                    "a token in an error body"
                );
            }
            let reuse =
                status == 400 && error == "invalid_grant" && description.contains("already used");
            if !reuse {
                assert!(before == live.dump(), "{status} {error} changed the stored state");
            }
        }
        // Follow the session's rotation, as a client would.
        if status == 200 && request.path == "/oauth/token" {
            let body: Value = serde_json::from_str(&response.body).expect("token response json");
            let next = body["refresh_token"]
                .as_str()
                .expect("a rotated refresh token");
            let presented = Form::parse(match &request.body {
                http::Body::Bytes(body) => body,
                _ => &[],
            })
            .ok()
            .and_then(|f| f.get("refresh_token").map(str::to_owned));
            if presented.as_deref() == Some(live.refresh_token.as_str()) {
                assert_ne!(next, live.refresh_token, "rotation must mint a new token");
            } else {
                assert_eq!(next, live.refresh_token, "a retry gets the current token");
            }
            live.refresh_token = next.to_owned();
        }
    }
});

fn split_requests(data: &[u8]) -> Vec<&[u8]> {
    const SEP: &[u8] = b"\n===\n";
    let mut out = Vec::new();
    let mut rest = data;
    while let Some(at) = rest.windows(SEP.len()).position(|w| w == SEP) {
        out.push(&rest[..at]);
        rest = &rest[at + SEP.len()..];
    }
    out.push(rest);
    out
}

fn replace(input: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        if input[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(input[i]);
            i += 1;
        }
    }
    out
}
