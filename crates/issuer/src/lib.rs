//! revocable-issuer: the Cloudflare Worker that starts sessions, rotates refresh tokens
//! with reuse detection and a reuse interval, revokes sessions and tokens, and publishes the
//! JWKS and the revocation feed (README "The issuer HTTP API"; storage in docs/kv-schema.md).
//!
//! One place per concern:
//! - [`rules`]: the pure rules (rotation, reuse, the reuse interval, lifetimes, logout, feed
//!   pruning, input validation), unit-tested natively;
//! - [`store`]: the only module that knows stored keys and values;
//! - [`objects`]: the Durable Objects' logic (a session object per user, the feed object),
//!   runtime-free;
//! - [`http`]: request parsing and error mapping, runtime-free;
//! - [`routes`]: the endpoints, which validate, call a session object, and sign;
//! - [`config`]: vars and secrets;
//! - [`tokens`]: access-token signing and refresh-token material;
//!
//! The glue to the Workers runtime (the fetch handler, the Durable Object classes) is the
//! crate `revocable-issuer-cdylib` (crates/issuer/cdylib), the one worker-build compiles.
//! Everything here compiles and is tested natively (`cargo test -p revocable-issuer`), with
//! the objects in memory; only `store::object_kv` is wasm32 only.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
mod host_keys;
pub mod http;
pub mod objects;
pub mod routes;
pub mod rules;
pub mod store;
pub mod tokens;

pub use crate::{
    config::{Config, ConfigError},
    http::{ApiError, Request, Response},
    objects::Backend,
    routes::handle,
    store::{Kv, Store},
};
