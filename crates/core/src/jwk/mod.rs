//! Verification keys from JWK / JWKS (RFC 7517) or raw HMAC secrets, with strength checks.
//!
//! A key fixes its algorithm: from the JWK's `alg`, or, when absent, from `kty`/`crv` where
//! that is unambiguous (OKP Ed25519 -> EdDSA, EC P-256 -> ES256, P-384 -> ES384,
//! P-521 -> ES512). RSA and `oct` keys without `alg` are rejected (`ERR_JWK_INVALID`; in a
//! JWKS they are skipped with [`SkipReason::AlgorithmRequired`]): the algorithm must never
//! come from the token.
//!
//! Checks at import, so that verification only ever sees usable keys:
//! - `kty`, `crv` and `alg` agree (an `alg` of another family is `ERR_JWK_INVALID`);
//! - `use` and `key_ops` agree (RFC 7517 §4.3), `key_ops` has no duplicates;
//! - strength: HMAC secrets at least the hash size, RSA moduli 2048..=16384 bits with a sane
//!   exponent, EC points on their curve at full coordinate length, Ed25519 points valid and
//!   not of small order;
//! - a verification key carries no private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`);
//! - every base64url member is strict (no padding, no whitespace, canonical).
//!
//! An RSA, EC or OKP public key can never become an HMAC secret: only `kty: oct` JWKs and
//! [`Key::from_secret`] produce HMAC keys.
//!
//! The parts: [`raw`] reads a JWK's JSON members, [`import`] turns them into a key (usage
//! checks, the algorithm, the key material), [`key`] is one verification key, [`key_set`]
//! a set of them with the key selection for a token.

mod import;
mod key;
mod key_set;
mod raw;
#[cfg(test)]
mod tests;

pub(crate) use self::key::KeyMaterial;
pub use self::{
    import::SkipReason,
    key::Key,
    key_set::{KeySet, SkippedKey},
};
// The signer (feature `sign`) imports private JWKs with the same reader and checks.
#[cfg(any(test, feature = "sign"))]
pub(crate) use self::raw::RawJwk;
#[cfg(test)]
pub(crate) use self::raw::SecretMember;
#[cfg(feature = "sign")]
pub(crate) use self::{
    import::{check_usage, resolve_algorithm, KeyKind, Parsed},
    key::{fmt_redacted, thumbprint},
    raw::{member, secret_member},
};

/// JWK sets larger than this (1 MiB) are rejected before parsing (`ERR_JWK_INVALID`).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// The JWK `use` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyUse {
    /// `"use": "sig"`.
    Signature,
    /// `"use": "enc"`: never used for verification.
    Encryption,
}
