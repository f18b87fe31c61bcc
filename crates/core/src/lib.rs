//! revocable-core: a pure Rust JWT verifier (and, behind the `sign` feature, signer).
//!
//! No IO, no clock, no randomness in verification: the caller passes `now` (Unix seconds),
//! key material and the revocation snapshot. The same code runs natively (issuer unit tests),
//! in wasm32 under Node, browsers and workerd (through `revocable-wasm`).
//!
//! Verification order (fixed; the full rules, claim semantics and error codes are in
//! `docs/verification.md` and on [`Verifier`]):
//! size limit -> split and strict base64url decode -> header JSON -> alg allow-list ->
//! key lookup by `kid` -> alg consistent with the key -> signature (constant time for HMAC) ->
//! claims JSON -> claims policy at `now` -> revocation snapshot.
//!
//! ```
//! use revocable_core::{KeySet, Policy, Verifier, RevocationSnapshot};
//! # fn main() -> Result<(), revocable_core::Error> {
//! let keys = KeySet::from_jwks_json(r#"{"keys":[{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","kid":"k1"}]}"#)?;
//! let policy = Policy::new(["https://issuer.example"], ["api"]);
//! let verifier = Verifier::new(keys, policy)?;
//! assert!(verifier.verify("not.a.token", 1_700_000_000).is_err());
//! # Ok(()) }
//! ```
//!
//! In wasm the crate is `no_std` (`core` and `alloc` only), so that the wasm build of
//! `revocable-wasm` can leave std out entirely (see that crate); natively it uses std.
//!
//! ## Opt-levels: `#[inline]` and `#[inline(never)]`
//!
//! The release profile compiles this crate for size (opt-level `"z"`, root Cargo.toml): most of
//! it is cold (key import, JWK/JWKS, policy and revocation feed parsing, run at setup and per
//! feed poll). The verify path is not: every function [`Verifier::verify`] and
//! [`Verifier::recheck`] reach here (token split, base64url, header and claims reading with the
//! JSON reader, HMAC, key selection, claim and revocation checks) is `#[inline]`, which makes
//! rustc compile it in the crate that calls it (with optimizations on, an `#[inline]` function
//! is instantiated in its caller's crate, like a generic one), at that crate's opt-level:
//! revocable-wasm's 3. The cold entry points revocable-wasm calls (`KeySet::from_jwks_json`,
//! `Key::from_jwk_json`, `Policy::from_json`, `Verifier::new`, `update_revocations`, ...) are
//! `#[inline(never)]`: LTO would otherwise inline them into revocable-wasm's exports, where
//! they would be compiled for speed again. A verify-path function without `#[inline]` is
//! compiled for size: `make bench` shows it (docs/benchmarks.md "Size").
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Unit tests may unwrap: a panic there is a failing test, not a crash on input.
#![cfg_attr(test, allow(clippy::unwrap_used))]

extern crate alloc;

mod alg;
mod b64;
mod claims;
mod collections;
mod error;
mod host;
mod json;
mod jwk;
mod policy;
mod revocation;
#[cfg(feature = "sign")]
mod sign;
mod token;
mod verifier;

pub use crate::{
    alg::Algorithm,
    claims::{Audience, Claims},
    collections::seed_hash_keys,
    error::{ClaimReason, Error},
    host::SignatureHost,
    jwk::{Key, KeySet, KeyUse, SkipReason, SkippedKey, MAX_JWKS_BYTES},
    policy::Policy,
    revocation::{FeedEntry, RevocationFeed, RevocationSnapshot, SubjectEntry, MAX_FEED_BYTES},
    token::Header,
    verifier::{Verified, Verifier, MAX_TOKEN_BYTES},
};

#[cfg(feature = "sign")]
pub use crate::sign::{SigningKey, SigningKeySet};

/// Helpers of the unit tests.
#[cfg(test)]
mod test_support {
    /// Bytes from a hex string (test vectors).
    pub(crate) fn hex(s: &str) -> alloc::vec::Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }
}
