//! revocable-asym: the ECDSA and RSA signature arithmetic of revocable-core.
//!
//! Only the parts that instantiate generic RustCrypto code live here: decoding public keys,
//! the range checks of signatures, and verification. Every decision around them (which key,
//! which algorithm, exact lengths, the JWK rules) stays in revocable-core, which calls these
//! functions. They are `#[inline(never)]`: inlined into revocable-core's optimized-for-speed
//! code, they would be compiled for speed again (see Cargo.toml).
//!
//! `no_std` in wasm, like revocable-core (the wasm links no std: see revocable-wasm).
#![cfg_attr(target_arch = "wasm32", no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(test, allow(clippy::unwrap_used))]

extern crate alloc;

#[cfg(feature = "ecdsa")]
pub mod ec;
#[cfg(feature = "rsa")]
pub mod rsa;

/// A SHA-2 hash function of the JWS algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hash {
    /// SHA-256 (`*256`).
    Sha256,
    /// SHA-384 (`*384`).
    Sha384,
    /// SHA-512 (`*512`).
    Sha512,
}
