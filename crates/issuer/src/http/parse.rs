//! The strict parsers for what clients send outside JSON: content types, form bodies
//! (percent-decoding), bearer credentials and `If-None-Match`.

use super::{ApiError, Request};

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
    use crate::http::Method;

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
}
