//! [`ApiError`]: every way a request fails, with its status code, its stable `error` code
//! and its response.

use std::borrow::Cow;

use serde_json::json;

use super::Response;
#[cfg(doc)]
use super::MAX_BODY_BYTES;

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
