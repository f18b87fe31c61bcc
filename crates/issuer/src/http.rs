//! HTTP without a runtime: plain request/response values, the error type with its status
//! codes and RFC 6749 §5.2 bodies, and the strict parsers for what clients send
//! (form bodies, JSON bodies, content types, bearer credentials, ETags). The worker entry
//! converts to and from the Workers types; everything here runs natively in tests.

use std::borrow::Cow;

use serde::{de, Deserialize, Deserializer};
use serde_json::{json, Map, Value};

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
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
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

    /// The value of header `name`, if set.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Every way a request fails. Each maps to one status code and one stable `error` string
/// (RFC 6749 §5.2 codes where they apply). Descriptions never echo request values.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// 400 `invalid_request`: missing, empty, repeated or malformed parameters or body.
    InvalidRequest(Cow<'static, str>),
    /// 400 `invalid_grant`: the refresh token is unknown, expired, revoked or reused.
    InvalidGrant(&'static str),
    /// 400 `unsupported_grant_type`.
    UnsupportedGrantType,
    /// 400 `invalid_scope`.
    InvalidScope(&'static str),
    /// 401 `invalid_client`: service key missing or wrong (one answer for both).
    Unauthorized,
    /// 404 `not_found`.
    NotFound(&'static str),
    /// 405 `method_not_allowed`, with the methods for `Allow`.
    MethodNotAllowed(&'static str),
    /// 413 `invalid_request`: body over [`MAX_BODY_BYTES`].
    PayloadTooLarge,
    /// 415 `invalid_request`: the body's content type is not the expected one.
    UnsupportedMediaType(&'static str),
    /// 500 `server_error`; the text is logged, never sent.
    Internal(&'static str),
    /// 503 `temporarily_unavailable` with `Retry-After: 1`: something transient refused the
    /// request (a storage rate limit; the feed object not taking a revocation's entries yet,
    /// while the revocation itself is in force), which succeeds when repeated a moment later.
    /// Not a 500: nothing is broken, and the client can act on it. The text is logged, never
    /// sent.
    TemporarilyUnavailable(&'static str),
}

impl ApiError {
    /// The status code.
    pub fn status(&self) -> u16 {
        match self {
            Self::InvalidRequest(_)
            | Self::InvalidGrant(_)
            | Self::UnsupportedGrantType
            | Self::InvalidScope(_) => 400,
            Self::Unauthorized => 401,
            Self::NotFound(_) => 404,
            Self::MethodNotAllowed(_) => 405,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType(_) => 415,
            Self::Internal(_) => 500,
            Self::TemporarilyUnavailable(_) => 503,
        }
    }

    /// The stable `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidRequest(_) | Self::PayloadTooLarge | Self::UnsupportedMediaType(_) => {
                "invalid_request"
            }
            Self::InvalidGrant(_) => "invalid_grant",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::InvalidScope(_) => "invalid_scope",
            Self::Unauthorized => "invalid_client",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Internal(_) => "server_error",
            Self::TemporarilyUnavailable(_) => "temporarily_unavailable",
        }
    }

    /// The `error_description`.
    pub fn description(&self) -> Cow<'static, str> {
        match self {
            Self::InvalidRequest(why) => why.clone(),
            Self::InvalidGrant(why) | Self::InvalidScope(why) | Self::NotFound(why) => {
                Cow::Borrowed(why)
            }
            Self::UnsupportedGrantType => "only grant_type=refresh_token is supported".into(),
            Self::Unauthorized => "a valid service key is required (Authorization: Bearer)".into(),
            Self::MethodNotAllowed(allow) => format!("method not allowed; allowed: {allow}").into(),
            Self::PayloadTooLarge => "request body is larger than 16384 bytes".into(),
            Self::UnsupportedMediaType(expected) => {
                format!("content type must be {expected}").into()
            }
            Self::Internal(_) => "internal error".into(),
            Self::TemporarilyUnavailable(_) => {
                "the issuer is briefly unable to store this change; retry after 1 second".into()
            }
        }
    }

    /// The response: `{error, error_description}` plus the headers the status needs.
    pub fn to_response(&self) -> Response {
        let body = json!({ "error": self.code(), "error_description": self.description() });
        let mut response = Response::json(self.status(), &body);
        match self {
            Self::MethodNotAllowed(allow) => response = response.with_header("allow", *allow),
            Self::Unauthorized => {
                response =
                    response.with_header("www-authenticate", "Bearer realm=\"revocable-issuer\"");
            }
            Self::Internal(what) => response.log = Some(what),
            Self::TemporarilyUnavailable(what) => {
                response = response.with_header("retry-after", "1");
                response.log = Some(what);
            }
            _ => {}
        }
        response
    }
}

impl From<crate::rules::Invalid> for ApiError {
    fn from(invalid: crate::rules::Invalid) -> Self {
        Self::InvalidRequest(invalid.0.into())
    }
}

/// `application/x-www-form-urlencoded`.
pub const FORM: &str = "application/x-www-form-urlencoded";
/// `application/json`.
pub const JSON: &str = "application/json";

/// Checks that the `Content-Type` is `expected`, allowing only a `charset=utf-8` parameter
/// (case-insensitive, optionally quoted). Missing or different -> 415.
pub fn require_content_type(request: &Request, expected: &'static str) -> Result<(), ApiError> {
    let wrong = ApiError::UnsupportedMediaType(expected);
    let value = request.header("content-type").ok_or(wrong.clone())?;
    let mut parts = value.split(';');
    let media = parts.next().unwrap_or("").trim();
    if !media.eq_ignore_ascii_case(expected) {
        return Err(wrong);
    }
    for param in parts {
        let param = param.trim();
        if param.is_empty() {
            continue;
        }
        let (name, val) = param.split_once('=').ok_or(wrong.clone())?;
        let val = val.trim().trim_matches('"');
        if !name.trim().eq_ignore_ascii_case("charset") || !val.eq_ignore_ascii_case("utf-8") {
            return Err(wrong);
        }
    }
    Ok(())
}

/// A parsed form body: each parameter at most once (RFC 6749 §3.1).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    /// Parses `application/x-www-form-urlencoded` strictly: `+` is a space, `%XX` must be
    /// two hex digits, the result must be UTF-8, and no name may repeat. Empty pairs
    /// (`a=1&&b=2`) are skipped.
    pub fn parse(body: &[u8]) -> Result<Self, ApiError> {
        let malformed = || ApiError::InvalidRequest("malformed form body".into());
        let mut pairs: Vec<(String, String)> = Vec::new();
        for pair in body.split(|&b| b == b'&') {
            if pair.is_empty() {
                continue;
            }
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &pair[pair.len()..]),
            };
            let name = percent_decode(name, true).ok_or_else(malformed)?;
            let value = percent_decode(value, true).ok_or_else(malformed)?;
            if pairs.iter().any(|(n, _)| *n == name) {
                return Err(ApiError::InvalidRequest(
                    match name.as_str() {
                        "grant_type" => "parameter grant_type is repeated",
                        "refresh_token" => "parameter refresh_token is repeated",
                        "token" => "parameter token is repeated",
                        "scope" => "parameter scope is repeated",
                        "client_id" => "parameter client_id is repeated",
                        "token_type_hint" => "parameter token_type_hint is repeated",
                        _ => "a parameter is repeated",
                    }
                    .into(),
                ));
            }
            pairs.push((name, value));
        }
        Ok(Self { pairs })
    }

    /// The value of `name`; an empty value counts as absent (RFC 6749 §3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// The value of `name`, or `invalid_request` naming the parameter.
    pub fn require(&self, name: &'static str) -> Result<&str, ApiError> {
        self.get(name)
            .ok_or_else(|| ApiError::InvalidRequest(format!("missing parameter: {name}").into()))
    }
}

/// Percent-decodes `input` (with `+` as space when `plus_is_space`) into UTF-8, or `None`
/// on a bad escape or invalid UTF-8.
pub fn percent_decode(input: &[u8], plus_is_space: bool) -> Option<String> {
    fn hex(b: u8) -> Option<u8> {
        match b {
            b'0'..=b'9' => Some(b - b'0'),
            b'a'..=b'f' => Some(b - b'a' + 10),
            b'A'..=b'F' => Some(b - b'A' + 10),
            _ => None,
        }
    }
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        match input[i] {
            b'%' => {
                let hi = hex(*input.get(i + 1)?)?;
                let lo = hex(*input.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' if plus_is_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The body of `POST /v1/sessions`. Unknown and duplicated fields are rejected (serde's
/// derive refuses both), so a typo such as `claim` fails loudly instead of being ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBodyRaw {
    sub: Option<Value>,
    scope: Option<Value>,
    #[serde(default, deserialize_with = "unique_object")]
    claims: Option<UniqueObject>,
}

/// A JSON object whose keys are unique (serde_json's `Map` would keep the last duplicate;
/// two parsers reading the same body must not disagree about a claim).
#[derive(Debug)]
struct UniqueObject(Option<Map<String, Value>>);

fn unique_object<'de, D: Deserializer<'de>>(de: D) -> Result<Option<UniqueObject>, D::Error> {
    struct Visitor;
    impl<'de> de::Visitor<'de> for Visitor {
        type Value = UniqueObject;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: de::MapAccess<'de>>(self, mut access: A) -> Result<UniqueObject, A::Error> {
            let mut map = Map::new();
            while let Some((key, value)) = access.next_entry::<String, Value>()? {
                if map.insert(key, value).is_some() {
                    return Err(de::Error::custom("duplicate claim"));
                }
            }
            Ok(UniqueObject(Some(map)))
        }
        // `null` means "no extra claims", like an absent field.
        fn visit_unit<E>(self) -> Result<UniqueObject, E> {
            Ok(UniqueObject(Some(Map::new())))
        }
        // Any other JSON type: reported as "claims must be a JSON object" by the caller.
        fn visit_bool<E>(self, _: bool) -> Result<UniqueObject, E> {
            Ok(UniqueObject(None))
        }
        fn visit_i64<E>(self, _: i64) -> Result<UniqueObject, E> {
            Ok(UniqueObject(None))
        }
        fn visit_u64<E>(self, _: u64) -> Result<UniqueObject, E> {
            Ok(UniqueObject(None))
        }
        fn visit_f64<E>(self, _: f64) -> Result<UniqueObject, E> {
            Ok(UniqueObject(None))
        }
        fn visit_str<E>(self, _: &str) -> Result<UniqueObject, E> {
            Ok(UniqueObject(None))
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<UniqueObject, A::Error> {
            while seq.next_element::<de::IgnoredAny>()?.is_some() {}
            Ok(UniqueObject(None))
        }
    }
    de.deserialize_any(Visitor).map(Some)
}

/// A validated-for-shape `POST /v1/sessions` body (values are checked by the rules).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBody {
    /// `sub`.
    pub sub: String,
    /// `scope`, if given.
    pub scope: Option<String>,
    /// Extra claims (empty when not given).
    pub claims: Map<String, Value>,
}

/// Parses the JSON body of `POST /v1/sessions`: an object with `sub` (string, required),
/// `scope` (string), `claims` (object). Type errors name the field; syntax errors do not
/// echo the input.
pub fn parse_session_body(body: &[u8]) -> Result<SessionBody, ApiError> {
    let invalid = |why: &'static str| ApiError::InvalidRequest(why.into());
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "request body is empty; expected a JSON object with sub",
        ));
    }
    // serde's derived struct parser also accepts a JSON array of the fields in order;
    // only an object is a valid body.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid(
            "body must be a JSON object with only sub, scope and claims, each at most once",
        ));
    }
    let raw: SessionBodyRaw = serde_json::from_slice(body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => {
            invalid("body must be a JSON object with only sub, scope and claims, each at most once")
        }
        _ => invalid("body is not valid JSON"),
    })?;
    let sub = match raw.sub {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => return Err(invalid("missing field: sub")),
        Some(_) => return Err(invalid("sub must be a string")),
    };
    let scope = match raw.scope {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid("scope must be a string")),
    };
    let claims = match raw.claims {
        None => Map::new(),
        Some(UniqueObject(Some(map))) => map,
        Some(UniqueObject(None)) => return Err(invalid("claims must be a JSON object")),
    };
    Ok(SessionBody { sub, scope, claims })
}

/// The credential of `Authorization: Bearer <credential>` (scheme case-insensitive), or
/// `None` when the header is missing or uses another scheme.
pub fn bearer(request: &Request) -> Option<&str> {
    let value = request.header("authorization")?.trim();
    let (scheme, credential) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let credential = credential.trim();
    (!credential.is_empty()).then_some(credential)
}

/// True when an `If-None-Match` header value matches `etag` (weak comparison, RFC 9110
/// §13.1.2; `*` matches anything).
pub fn if_none_match(header: Option<&str>, etag: &str) -> bool {
    let Some(header) = header else {
        return false;
    };
    let strip = |t: &str| -> String { t.trim().trim_start_matches("W/").to_owned() };
    let ours = strip(etag);
    header.split(',').any(|candidate| {
        let candidate = candidate.trim();
        candidate == "*" || strip(candidate) == ours
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form_req(ct: Option<&str>) -> Request {
        let r = Request::new(Method::Post, "/oauth/token");
        match ct {
            Some(ct) => r.with_header("Content-Type", ct),
            None => r,
        }
    }

    #[test]
    fn content_type_checks() {
        assert!(require_content_type(&form_req(Some(FORM)), FORM).is_ok());
        assert!(require_content_type(
            &form_req(Some("Application/X-WWW-Form-Urlencoded; charset=UTF-8")),
            FORM
        )
        .is_ok());
        assert!(require_content_type(
            &form_req(Some("application/x-www-form-urlencoded;charset=\"utf-8\"")),
            FORM
        )
        .is_ok());
        for bad in [
            None,
            Some("application/json"),
            Some("text/plain"),
            Some("application/x-www-form-urlencoded; charset=latin1"),
            Some("application/x-www-form-urlencoded; boundary=x"),
            Some("application/x-www-form-urlencodedx"),
            Some(""),
        ] {
            let err = require_content_type(&form_req(bad), FORM).err();
            assert_eq!(err.as_ref().map(ApiError::status), Some(415), "{bad:?}");
        }
    }

    #[test]
    fn form_parsing() {
        let f = Form::parse(b"grant_type=refresh_token&refresh_token=a%2Bb+c&&scope=&x")
            .unwrap_or_default();
        assert_eq!(f.get("grant_type"), Some("refresh_token"));
        assert_eq!(f.get("refresh_token"), Some("a+b c"));
        assert_eq!(f.get("scope"), None, "empty means absent");
        assert_eq!(f.get("x"), None);
        assert!(f.require("client_id").is_err());
        assert_eq!(Form::parse(b"").map(|f| f.pairs.len()).ok(), Some(0));
    }

    #[test]
    fn form_rejects_malformed_and_repeated() {
        for bad in [
            &b"a=%"[..],
            b"a=%4",
            b"a=%zz",
            b"a=%C3%28",
            b"%ff=1",
            b"a=\xff",
        ] {
            assert_eq!(
                Form::parse(bad).err().map(|e| e.code()),
                Some("invalid_request"),
                "{bad:?}"
            );
        }
        let err = Form::parse(b"refresh_token=a&refresh_token=b").err();
        assert_eq!(
            err.map(|e| e.description().into_owned()),
            Some("parameter refresh_token is repeated".to_owned())
        );
        assert!(Form::parse(b"zzz=1&zzz=2").is_err());
    }

    #[test]
    fn session_body_parsing() {
        let ok = parse_session_body(br#"{"sub":"alice","scope":"read","claims":{"role":"admin"}}"#);
        let ok = ok.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.sub, "alice");
        assert_eq!(ok.scope.as_deref(), Some("read"));
        assert_eq!(ok.claims["role"], "admin");
        assert!(parse_session_body(br#"{"sub":"a"}"#).is_ok());

        assert!(
            parse_session_body(br#"{"sub":"a","claims":null}"#).is_ok_and(|b| b.claims.is_empty())
        );
        let cases: [(&[u8], &str); 16] = [
            (br#"["a"]"#, "JSON object"),
            (br#"["a", null, null]"#, "JSON object"),
            (b"", "empty"),
            (b"   ", "empty"),
            (b"{", "not valid JSON"),
            (b"[]", "JSON object"),
            (b"\"alice\"", "JSON object"),
            (br#"{}"#, "missing field: sub"),
            (br#"{"sub":null}"#, "missing field: sub"),
            (br#"{"sub":42}"#, "sub must be a string"),
            (br#"{"sub":["a"]}"#, "sub must be a string"),
            (br#"{"sub":"a","scope":1}"#, "scope must be a string"),
            (
                br#"{"sub":"a","claims":[1]}"#,
                "claims must be a JSON object",
            ),
            (br#"{"sub":"a","claims":{"x":1,"x":2}}"#, "JSON object"),
            (br#"{"sub":"a","sub":"b"}"#, "JSON object"),
            (br#"{"sub":"a","claim":{}}"#, "JSON object"),
        ];
        for (body, expected) in cases {
            let err = parse_session_body(body)
                .err()
                .map(|e| e.description().into_owned());
            assert!(
                err.as_deref().is_some_and(|d| d.contains(expected)),
                "{:?}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_a_400_not_a_crash() {
        let body = format!(
            "{{\"sub\":\"a\",\"claims\":{{\"x\":{}{}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(
            parse_session_body(body.as_bytes())
                .err()
                .map(|e| e.status()),
            Some(400)
        );
    }

    #[test]
    fn bearer_parsing() {
        let r = |v: &str| Request::new(Method::Get, "/").with_header("Authorization", v);
        assert_eq!(bearer(&r("Bearer abc")), Some("abc"));
        assert_eq!(bearer(&r("bearer   abc ")), Some("abc"));
        assert_eq!(bearer(&r("Basic abc")), None);
        assert_eq!(bearer(&r("Bearer")), None);
        assert_eq!(bearer(&r("Bearer ")), None);
        assert_eq!(bearer(&Request::new(Method::Get, "/")), None);
    }

    #[test]
    fn etag_matching() {
        let tag = "W/\"abc\"";
        assert!(if_none_match(Some("W/\"abc\""), tag));
        assert!(if_none_match(Some("\"abc\""), tag));
        assert!(if_none_match(Some("\"x\", W/\"abc\""), tag));
        assert!(if_none_match(Some("*"), tag));
        assert!(!if_none_match(Some("\"abd\""), tag));
        assert!(!if_none_match(None, tag));
    }

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
