//! revocable-issuer-cdylib: the issuer's wasm entry points, the crate worker-build compiles
//! (wasm32 only). [`entry`] is the worker's fetch handler, [`durable`] the Durable Object
//! classes and the worker's client of them; both only move values between the Workers
//! runtime and revocable-issuer, whose logic is tested natively.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(target_arch = "wasm32")]
mod durable;
#[cfg(target_arch = "wasm32")]
mod entry;
#[cfg(target_arch = "wasm32")]
mod webcrypto;
