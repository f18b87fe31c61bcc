//! HTTP without a runtime: plain request/response values ([`Request`], [`Response`]), the
//! error type with its status codes and RFC 6749 §5.2 bodies ([`ApiError`], in `error`), and
//! the strict parsers for what clients send: form bodies, content types, bearer credentials
//! and ETags (`parse`), and the JSON body of `POST /v1/sessions` (`session_body`). The worker
//! entry converts to and from the Workers types; everything here runs natively in tests.

mod error;
mod parse;
mod session_body;

use serde_json::Value;

pub use self::{
    error::ApiError,
    parse::{bearer, if_none_match, percent_decode, require_content_type, Form, FORM, JSON},
    session_body::{parse_session_body, SessionBody},
};

/// Largest accepted request body, in bytes. The largest legitimate body is an access token
/// sent to `/oauth/revoke`; extra claims are capped at 4 KiB, so this issuer's tokens stay
/// well below it.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// The request method (only those the API uses are named).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// DELETE.
    Delete,
    /// Anything else (HEAD, PUT, OPTIONS, ...): always 405 or 404.
    Other,
}

impl Method {
    /// Parses a method name (case-sensitive, as RFC 9110 says).
    pub fn parse(name: &str) -> Self {
        match name {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "DELETE" => Self::Delete,
            _ => Self::Other,
        }
    }
}

/// A request body as the entry read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// The whole body (at most [`MAX_BODY_BYTES`]).
    Bytes(Vec<u8>),
    /// Larger than [`MAX_BODY_BYTES`] (by `Content-Length` or while reading); not kept.
    TooLarge,
    /// The body could not be read (client went away, broken stream).
    Unreadable,
}

/// A request: method, raw (percent-encoded) path, headers and body.
#[derive(Debug, Clone)]
pub struct Request {
    /// The method.
    pub method: Method,
    /// The URL path as sent, still percent-encoded (so `%2F` in a `sub` stays one segment).
    pub path: String,
    /// Headers; names compared case-insensitively.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Body,
}

impl Request {
    /// A request without headers or body (tests build on it).
    pub fn new(method: Method, path: impl Into<String>) -> Self {
        Self {
            method,
            path: path.into(),
            headers: Vec::new(),
            body: Body::Bytes(Vec::new()),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn with_body(mut self, body: impl Into<Vec<u8>>) -> Self {
        self.body = Body::Bytes(body.into());
        self
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }

    /// The body bytes, or the 413 / 400 for a body that is too large or unreadable.
    pub fn body_bytes(&self) -> Result<&[u8], ApiError> {
        match &self.body {
            Body::Bytes(bytes) if bytes.len() <= MAX_BODY_BYTES => Ok(bytes),
            Body::Bytes(_) | Body::TooLarge => Err(ApiError::PayloadTooLarge),
            Body::Unreadable => Err(ApiError::InvalidRequest(
                "the request body could not be read".into(),
            )),
        }
    }
}

/// A response: status, headers, body, and (for internal errors) what to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(&'static str, String)>,
    /// Body (JSON text, or empty).
    pub body: String,
    /// For 500s: what went wrong, for the log only (never tokens, keys or request values).
    pub log: Option<&'static str>,
}

impl Response {
    /// A JSON response. `Cache-Control: no-store` unless the caller sets another.
    pub fn json(status: u16, body: &Value) -> Self {
        Self {
            status,
            headers: vec![
                ("content-type", "application/json".into()),
                ("cache-control", "no-store".into()),
                ("x-content-type-options", "nosniff".into()),
            ],
            body: body.to_string(),
            log: None,
        }
    }

    /// A response without a body.
    pub fn empty(status: u16) -> Self {
        Self {
            status,
            headers: vec![("cache-control", "no-store".into())],
            body: String::new(),
            log: None,
        }
    }

    /// Sets (replaces) a header.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.retain(|(n, _)| *n != name);
        self.headers.push((name, value.into()));
        self
    }

    /// The value of header `name`, if set (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// The value of the first header called `name` (case-insensitive) in a list of headers.
fn find_header<'a, N: AsRef<str>>(headers: &'a [(N, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_map_to_status_and_code() {
        let r = ApiError::MethodNotAllowed("GET").to_response();
        assert_eq!((r.status, r.header("allow")), (405, Some("GET")));
        let r = ApiError::Unauthorized.to_response();
        assert_eq!(r.status, 401);
        assert!(r.header("www-authenticate").is_some());
        let r = ApiError::Internal("kv get failed").to_response();
        assert_eq!(r.status, 500);
        assert!(!r.body.contains("kv"), "details are logged, not sent");
        assert_eq!(r.log, Some("kv get failed"));
        assert_eq!(ApiError::PayloadTooLarge.status(), 413);
        assert_eq!(
            ApiError::UnsupportedGrantType.code(),
            "unsupported_grant_type"
        );
    }

    #[test]
    fn oversized_body_is_413() {
        let r = Request::new(Method::Post, "/").with_body(vec![b'a'; MAX_BODY_BYTES + 1]);
        assert_eq!(r.body_bytes().err(), Some(ApiError::PayloadTooLarge));
        let r = Request::new(Method::Post, "/").with_body(vec![b'a'; MAX_BODY_BYTES]);
        assert!(r.body_bytes().is_ok());
    }
}
