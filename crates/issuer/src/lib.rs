//! revocable-issuer: the Cloudflare Worker that starts sessions, rotates refresh tokens
//! with reuse detection, revokes sessions and tokens, and publishes the JWKS and the
//! revocation feed (DESIGN.md "The issuer worker"; KV layout in docs/kv-schema.md).
//!
//! One place per concern:
//! - [`rules`]: the pure rules (rotation, reuse, lifetimes, logout, feed pruning, input
//!   validation), unit-tested natively;
//! - [`store`]: the only module that touches KV;
//! - [`http`]: request parsing and error mapping, runtime-free;
//! - [`routes`]: the endpoints;
//! - [`config`]: vars and secrets;
//! - [`tokens`]: access-token signing and refresh-token material;
//! - `entry` (wasm32 only): the `#[event(fetch)]` glue to the Workers runtime.
//!
//! Everything but `entry` and `store::worker_kv` compiles and is tested natively
//! (`cargo test -p revocable-issuer`), against an in-memory KV.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod http;
pub mod routes;
pub mod rules;
pub mod store;
pub mod tokens;

#[cfg(target_arch = "wasm32")]
mod entry;

pub use crate::{
    config::{Config, ConfigError},
    http::{ApiError, Request, Response},
    routes::handle,
    store::{Kv, Store},
};
