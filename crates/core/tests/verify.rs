//! revocable-core's integration tests (one binary; the modules live in `tests/verify/`).
//!
//! Run with `cargo test -p revocable-core --all-features` (the target requires the `sign`
//! feature: the core's signer builds the tokens). The published vectors under
//! `tests/vectors/` are shared with the JS tests.
#![allow(clippy::unwrap_used)]

#[path = "verify/attacks.rs"]
mod attacks;
#[path = "verify/claims.rs"]
mod claims;
#[path = "verify/codes.rs"]
mod codes;
#[path = "verify/common.rs"]
mod common;
#[path = "verify/keys.rs"]
mod keys;
#[path = "verify/properties.rs"]
mod properties;
#[path = "verify/revocation.rs"]
mod revocation;
#[path = "verify/roundtrip.rs"]
mod roundtrip;
#[path = "verify/small_order.rs"]
mod small_order;
#[path = "verify/vectors.rs"]
mod vectors;
