//! revocable-wasm: the `#[wasm_bindgen]` exports over `revocable-core`, and nothing else.
//!
//! Every verification decision is the core's; this crate only converts: strings and bytes
//! in, the payload JSON text out, and core errors into JS `Error`s that carry the stable
//! `code` (plus `claim` and `reason`). There is no clock here: JavaScript passes the time.
//!
//! The npm package `revocable` (js/) wraps these exports in its public API
//! (`createVerifier`, `JwtError`, ...); they are not meant to be used directly.
//!
//! ## no_std
//!
//! The shipped wasm links no std (only `core` and `alloc`), to leave out what std's panic
//! handler links: it formats the panic message, which keeps `core::fmt`, std's panic
//! machinery and every panic's message and source location in the binary, although nothing
//! can print them on wasm32-unknown-unknown. Without std, this crate provides the two things
//! std did: the panic handler, which traps without reading the panic (a panic is a bug; JS
//! sees a `RuntimeError: unreachable`, as with std's abort), and the global allocator, the
//! same dlmalloc std uses on this target. The formatting only becomes dead code when LTO
//! inlines the handler into core's panic functions: js/scripts/build.mjs builds the cdylib
//! with LTO, and fails when a panic location is left in the wasm (docs/benchmarks.md "Size").
//! Every crate in the wasm's dependency graph is built without its `std` feature (root
//! Cargo.toml). Builds in which another crate links std anyway (the tests, `--all-features`)
//! turn on this crate's `std` feature, which leaves both to std: two panic handlers cannot
//! link. Natively the crate always uses std.
#![cfg_attr(all(target_arch = "wasm32", not(feature = "std")), no_std)]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Unit tests may unwrap: a panic there is a failing test, not a crash on input.
#![cfg_attr(test, allow(clippy::unwrap_used))]

extern crate alloc;

mod cache;
mod error;
mod host;
mod verifier;

pub use crate::verifier::JsVerifier;

/// A panic traps without looking at its message, so no formatting code is linked for it.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

/// The allocator std would have used on wasm32-unknown-unknown (dlmalloc over
/// `memory.grow`); without std one must be named.
#[cfg(all(target_arch = "wasm32", not(feature = "std")))]
#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;
