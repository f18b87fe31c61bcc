//! The one error type of the core, with the stable codes of the contract.
//!
//! Messages are lowercase and never contain the token, key material or payload values.

use alloc::{borrow::Cow, string::String};
use core::fmt;

/// Why a claim check failed (aligned with jose's `JWTClaimValidationFailed.reason`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClaimReason {
    /// A required claim (or a claim the policy needs, such as `exp`) is absent.
    Missing,
    /// The claim has the wrong JSON type or an unusable value (e.g. `exp` as a string).
    Invalid,
    /// The claim is well-formed but its value fails the policy (wrong issuer, `nbf` in the
    /// future, ...).
    CheckFailed,
}

impl ClaimReason {
    /// The stable string: `missing`, `invalid` or `check_failed`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Invalid => "invalid",
            Self::CheckFailed => "check_failed",
        }
    }
}

/// Every way verification, key import or signing can fail.
///
/// Match on [`Error::code`] (stable strings shared with JS and the docs), never on messages.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// `ERR_JWT_INVALID`: not a JWT (segment count, size, claims not a JSON object).
    InvalidJwt(&'static str),
    /// `ERR_JWS_INVALID`: bad base64url, header not a JSON object, unsupported `crit`, ...
    InvalidJws(&'static str),
    /// `ERR_JOSE_ALG_NOT_ALLOWED`: alg not allowed, `none`, or alg does not fit the key.
    AlgNotAllowed,
    /// `ERR_JOSE_NOT_SUPPORTED`: alg or key type this build does not support.
    NotSupported(&'static str),
    /// `ERR_JWKS_NO_MATCHING_KEY`: no key fits the token's `kid` / `alg`.
    NoMatchingKey,
    /// `ERR_JWK_INVALID`: a supplied key or key set is malformed or too weak.
    InvalidJwk(&'static str),
    /// `ERR_JWS_SIGNATURE_VERIFICATION_FAILED`.
    SignatureVerificationFailed,
    /// `ERR_JWT_EXPIRED`: `exp` has passed (or the token is older than `max_token_age`).
    Expired {
        /// `exp`, or `iat` when `max_token_age` was exceeded.
        claim: &'static str,
    },
    /// `ERR_JWT_CLAIM_VALIDATION_FAILED`: any other claim check.
    ClaimValidation {
        /// The claim (or header parameter, for `typ`) that failed.
        claim: Cow<'static, str>,
        /// Why it failed.
        reason: ClaimReason,
    },
    /// `ERR_JWT_REVOKED`: matched the revocation snapshot.
    Revoked {
        /// `jti`, `sid` or `sub`.
        claim: &'static str,
    },
    /// `ERR_INVALID_OPTIONS` (revocable extension, never a token error): the verifier's
    /// configuration is unusable, e.g. no issuer or audience, an empty `typ`, an allow-list
    /// that shares no algorithm with the keys, or `critical` naming a registered header.
    InvalidOptions(&'static str),
    /// `ERR_REVOCATION_FEED_INVALID` (revocable extension, never a token error): the
    /// revocation feed body is not the issuer's format or is too large.
    InvalidFeed(&'static str),
}

impl Error {
    /// Every code [`Error::code`] can return: the ten of the README's "Error codes" table, then the two
    /// revocable extensions (configuration and feed errors, never token errors).
    pub const CODES: [&'static str; 12] = [
        "ERR_JWT_INVALID",
        "ERR_JWS_INVALID",
        "ERR_JOSE_ALG_NOT_ALLOWED",
        "ERR_JOSE_NOT_SUPPORTED",
        "ERR_JWKS_NO_MATCHING_KEY",
        "ERR_JWK_INVALID",
        "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
        "ERR_JWT_EXPIRED",
        "ERR_JWT_CLAIM_VALIDATION_FAILED",
        "ERR_JWT_REVOKED",
        "ERR_INVALID_OPTIONS",
        "ERR_REVOCATION_FEED_INVALID",
    ];

    /// The stable error code (the same string in JS `err.code` and in the docs).
    pub const fn code(&self) -> &'static str {
        match self {
            Self::InvalidJwt(_) => "ERR_JWT_INVALID",
            Self::InvalidJws(_) => "ERR_JWS_INVALID",
            Self::AlgNotAllowed => "ERR_JOSE_ALG_NOT_ALLOWED",
            Self::NotSupported(_) => "ERR_JOSE_NOT_SUPPORTED",
            Self::NoMatchingKey => "ERR_JWKS_NO_MATCHING_KEY",
            Self::InvalidJwk(_) => "ERR_JWK_INVALID",
            Self::SignatureVerificationFailed => "ERR_JWS_SIGNATURE_VERIFICATION_FAILED",
            Self::Expired { .. } => "ERR_JWT_EXPIRED",
            Self::ClaimValidation { .. } => "ERR_JWT_CLAIM_VALIDATION_FAILED",
            Self::Revoked { .. } => "ERR_JWT_REVOKED",
            Self::InvalidOptions(_) => "ERR_INVALID_OPTIONS",
            Self::InvalidFeed(_) => "ERR_REVOCATION_FEED_INVALID",
        }
    }

    /// The claim involved, for claim, expiry and revocation errors.
    pub fn claim(&self) -> Option<&str> {
        match self {
            Self::Expired { claim } | Self::Revoked { claim } => Some(claim),
            Self::ClaimValidation { claim, .. } => Some(claim),
            _ => None,
        }
    }

    /// The reason, for claim and expiry errors (`check_failed` for expiry).
    pub fn reason(&self) -> Option<ClaimReason> {
        match self {
            Self::ClaimValidation { reason, .. } => Some(*reason),
            Self::Expired { .. } => Some(ClaimReason::CheckFailed),
            _ => None,
        }
    }

    #[inline]
    pub(crate) fn claim_failed(claim: impl Into<Cow<'static, str>>, reason: ClaimReason) -> Self {
        Self::ClaimValidation {
            claim: claim.into(),
            reason,
        }
    }
}

impl Error {
    /// The message `Display` shows (lowercase; never the token, key material or claim
    /// values), built by concatenation rather than `core::fmt`, so that a wasm build that
    /// only needs messages links no formatting machinery for them.
    #[inline(never)]
    pub fn message(&self) -> String {
        let (head, middle, tail): (&str, &str, &str) = match self {
            Self::InvalidJwt(why) => ("invalid jwt: ", why, ""),
            Self::InvalidJws(why) => ("invalid jws: ", why, ""),
            Self::AlgNotAllowed => ("algorithm not allowed", "", ""),
            Self::NotSupported(what) => ("not supported: ", what, ""),
            Self::NoMatchingKey => ("no key matches the token", "", ""),
            Self::InvalidJwk(why) => ("invalid key: ", why, ""),
            Self::SignatureVerificationFailed => ("signature verification failed", "", ""),
            Self::Expired { claim } => ("\"", claim, "\" claim timestamp check failed"),
            Self::ClaimValidation { claim, reason } => match reason {
                ClaimReason::Missing => ("missing required \"", claim, "\" claim"),
                ClaimReason::Invalid => ("\"", claim, "\" claim has an invalid type or value"),
                ClaimReason::CheckFailed => ("\"", claim, "\" claim check failed"),
            },
            Self::Revoked { claim } => ("token revoked (by \"", claim, "\")"),
            Self::InvalidOptions(why) => ("invalid options: ", why, ""),
            Self::InvalidFeed(why) => ("invalid revocation feed: ", why, ""),
        };
        let mut message = String::with_capacity(head.len() + middle.len() + tail.len());
        message.push_str(head);
        message.push_str(middle);
        message.push_str(tail);
        message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    /// `message()` writes what the `write!`-based `Display` wrote before it.
    #[test]
    fn messages_are_unchanged() {
        let claim = |reason| Error::claim_failed("aud", reason);
        for (err, expected) in [
            (Error::InvalidJwt("why"), "invalid jwt: why".to_owned()),
            (Error::InvalidJws("why"), "invalid jws: why".to_owned()),
            (Error::AlgNotAllowed, "algorithm not allowed".to_owned()),
            (
                Error::NotSupported("curve"),
                "not supported: curve".to_owned(),
            ),
            (Error::NoMatchingKey, "no key matches the token".to_owned()),
            (Error::InvalidJwk("why"), "invalid key: why".to_owned()),
            (
                Error::SignatureVerificationFailed,
                "signature verification failed".to_owned(),
            ),
            (
                Error::Expired { claim: "exp" },
                format!("\"{}\" claim timestamp check failed", "exp"),
            ),
            (
                claim(ClaimReason::Missing),
                format!("missing required \"{}\" claim", "aud"),
            ),
            (
                claim(ClaimReason::Invalid),
                format!("\"{}\" claim has an invalid type or value", "aud"),
            ),
            (
                claim(ClaimReason::CheckFailed),
                format!("\"{}\" claim check failed", "aud"),
            ),
            (
                Error::Revoked { claim: "sid" },
                format!("token revoked (by \"{}\")", "sid"),
            ),
            (
                Error::InvalidOptions("why"),
                "invalid options: why".to_owned(),
            ),
            (
                Error::InvalidFeed("why"),
                "invalid revocation feed: why".to_owned(),
            ),
        ] {
            assert_eq!(err.message(), expected);
            assert_eq!(err.to_string(), expected);
        }
    }
}
