//! The claims policy: what a verified token must also satisfy.

use serde::Deserialize;

use crate::Algorithm;

/// What a token must satisfy beyond its signature.
///
/// Deserializes from the JS options object's policy fields (camelCase): `issuer`,
/// `audience` (each a string or an array), `algorithms`, `clockTolerance`, `maxTokenAge`
/// (seconds), `requiredClaims`, `typ`, `requireExp`, `critical`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[non_exhaustive]
pub struct Policy {
    /// Accepted `iss` values (at least one).
    #[serde(rename = "issuer", deserialize_with = "crate::claims::one_or_many")]
    pub issuers: Vec<String>,
    /// Accepted audiences; the token's `aud` (string or array) must contain one of them.
    #[serde(rename = "audience", deserialize_with = "crate::claims::one_or_many")]
    pub audiences: Vec<String>,
    /// Allow-list of algorithms. `None`: the algorithms of the configured keys.
    #[serde(default)]
    pub algorithms: Option<Vec<Algorithm>>,
    /// Clock tolerance in seconds applied to `exp`, `nbf`, `iat` (default 0).
    #[serde(default)]
    pub clock_tolerance: u32,
    /// Maximum age in seconds measured from `iat` (which then becomes required).
    #[serde(default)]
    pub max_token_age: Option<u32>,
    /// Claims that must be present (in addition to `exp`, `iss`, `aud`).
    #[serde(default)]
    pub required_claims: Vec<String>,
    /// Expected `typ` header, compared as RFC 8725 §3.11 says (case-insensitive,
    /// `application/` prefix optional). Access tokens use `at+jwt`.
    #[serde(default)]
    pub typ: Option<String>,
    /// Whether `exp` is required (default true).
    #[serde(default = "default_true")]
    pub require_exp: bool,
    /// `crit` header parameters the caller understands (default none: any `crit` fails).
    #[serde(default)]
    pub critical: Vec<String>,
}

fn default_true() -> bool {
    true
}

impl Policy {
    /// A policy with the given issuers and audiences and secure defaults: `exp` required,
    /// tolerance 0, no max age, no `typ` check, no `crit` understood.
    pub fn new<I, A>(issuers: I, audiences: A) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
        A: IntoIterator,
        A::Item: Into<String>,
    {
        Self {
            issuers: issuers.into_iter().map(Into::into).collect(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            algorithms: None,
            clock_tolerance: 0,
            max_token_age: None,
            required_claims: Vec::new(),
            typ: None,
            require_exp: true,
            critical: Vec::new(),
        }
    }

    /// Restricts the algorithms (intersection with what the keys allow).
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Sets the clock tolerance in seconds.
    pub fn with_clock_tolerance(mut self, seconds: u32) -> Self {
        self.clock_tolerance = seconds;
        self
    }

    /// Sets the maximum token age in seconds (requires `iat`).
    pub fn with_max_token_age(mut self, seconds: u32) -> Self {
        self.max_token_age = Some(seconds);
        self
    }

    /// Adds required claims.
    pub fn with_required_claims<S: Into<String>>(
        mut self,
        claims: impl IntoIterator<Item = S>,
    ) -> Self {
        self.required_claims
            .extend(claims.into_iter().map(Into::into));
        self
    }

    /// Sets the expected `typ` header.
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Makes `exp` optional (not recommended).
    pub fn with_exp_optional(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Declares `crit` header parameters the caller understands.
    pub fn with_critical<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.critical.extend(names.into_iter().map(Into::into));
        self
    }
}
