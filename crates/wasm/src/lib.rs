//! revocable-wasm: the `#[wasm_bindgen]` exports over `revocable-core`, and nothing else.
//!
//! Every verification decision is the core's; this crate only converts: strings and bytes
//! in, the payload JSON text out, and core errors into JS `Error`s that carry the stable
//! `code` (plus `claim` and `reason`). There is no clock here: JavaScript passes the time.
//!
//! The npm package `revocable` (js/) wraps these exports in its public API
//! (`createVerifier`, `JwtError`, ...); they are not meant to be used directly.
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Unit tests may unwrap: a panic there is a failing test, not a crash on input.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod cache;
mod error;
mod host;
mod verifier;

pub use crate::verifier::JsVerifier;
