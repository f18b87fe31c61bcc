//! Registered claims of a verified token and the claims policy checks.

use serde::{Deserialize, Deserializer};

/// The token's `aud`: one string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "billing"]`.
    Many(Vec<String>),
}

impl Audience {
    /// True when any of the token's audiences equals `aud`.
    pub fn contains(&self, aud: &str) -> bool {
        match self {
            Self::One(one) => one == aud,
            Self::Many(many) => many.iter().any(|a| a == aud),
        }
    }
}

/// The registered claims of a verified token, already type-checked. The whole payload is in
/// [`crate::Verified::payload`] (JSON text) for callers that want every claim.
///
/// Times are Unix seconds. Fractional NumericDates are accepted (RFC 7519 §2) and rounded
/// in the strict direction: `exp` down, `nbf` up, `iat` up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`.
    pub aud: Option<Audience>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `iat`.
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// `sid` (session id; revocable's issuer sets it).
    pub sid: Option<String>,
    /// `scope` (space-separated, RFC 9068 / RFC 8693).
    pub scope: Option<String>,
}

/// Deserializes a string or an array of strings into a `Vec<String>` (policy options).
pub(crate) fn one_or_many<'de, D: Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(de)? {
        OneOrMany::One(one) => vec![one],
        OneOrMany::Many(many) => many,
    })
}
