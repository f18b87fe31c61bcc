//! The hash maps of the crate: std's natively; in wasm, where the crate is `no_std`, the same
//! map (std's `HashMap` is hashbrown's) with std's hasher (SipHash-1-3), under fixed keys:
//! std's random keys on wasm32-unknown-unknown are stack and heap addresses, which are the
//! same from one run to the next. The maps hold ids from the issuer's feed, a JWKS's `kid`s
//! and the member names of one JSON object, all from inputs whose size is bounded.
//!
//! Construct them with `default()` (hashbrown has no `new()` for a custom hasher).

/// std's `HashMap` (random keys).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V>;

/// std's `HashSet` (random keys).
#[cfg(not(target_arch = "wasm32"))]
pub(crate) type HashSet<T> = std::collections::HashSet<T>;

/// std's `HashMap`, built without std.
#[cfg(target_arch = "wasm32")]
pub(crate) type HashMap<K, V> =
    hashbrown::HashMap<K, V, core::hash::BuildHasherDefault<siphasher::sip::SipHasher13>>;

/// std's `HashSet`, built without std.
#[cfg(target_arch = "wasm32")]
pub(crate) type HashSet<T> =
    hashbrown::HashSet<T, core::hash::BuildHasherDefault<siphasher::sip::SipHasher13>>;
