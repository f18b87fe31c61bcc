//! The hash maps of the crate: std's natively; in wasm, where the crate is `no_std`, the same
//! map (std's `HashMap` is hashbrown's) with std's hasher (SipHash-1-3), under keys the caller
//! seeds ([`seed_hash_keys`]; std's own keys on wasm32-unknown-unknown are stack and heap
//! addresses, the same from one run to the next). The maps hold ids from the issuer's feed, a
//! JWKS's `kid`s and the member names of one JSON object, all from inputs whose size is bounded.
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
pub(crate) type HashMap<K, V> = hashbrown::HashMap<K, V, wasm::Keyed>;

/// std's `HashSet`, built without std.
#[cfg(target_arch = "wasm32")]
pub(crate) type HashSet<T> = hashbrown::HashSet<T, wasm::Keyed>;

/// Sets the SipHash keys of the hash maps and sets the crate creates from now on (each keeps
/// the keys it was created with). Only wasm uses them: natively the maps are std's, with keys
/// std draws. The crate has no RNG of its own, so in wasm its keys are fixed until the caller
/// seeds them; revocable-wasm does, from `crypto.getRandomValues`, before its first
/// verification. That matters for [`crate::Verifier::verify`]: it counts the member names of a
/// token's header and claims in a hash set past 16 members, and with keys an attacker knows,
/// names chosen to collide would make that quadratic (bounded by the 16 KiB token limit).
pub fn seed_hash_keys(k0: u64, k1: u64) {
    #[cfg(target_arch = "wasm32")]
    wasm::seed(k0, k1);
    #[cfg(not(target_arch = "wasm32"))]
    let _ = (k0, k1);
}

#[cfg(target_arch = "wasm32")]
mod wasm {
    use core::{
        hash::BuildHasher,
        sync::atomic::{AtomicU64, Ordering::Relaxed},
    };
    use siphasher::sip::SipHasher13;

    static KEYS: [AtomicU64; 2] = [AtomicU64::new(0), AtomicU64::new(0)];

    pub(super) fn seed(k0: u64, k1: u64) {
        KEYS[0].store(k0, Relaxed);
        KEYS[1].store(k1, Relaxed);
    }

    /// SipHash-1-3 (std's hasher) under the keys seeded when the map was created.
    #[derive(Clone)]
    pub(crate) struct Keyed(u64, u64);

    impl Default for Keyed {
        fn default() -> Self {
            Self(KEYS[0].load(Relaxed), KEYS[1].load(Relaxed))
        }
    }

    impl BuildHasher for Keyed {
        type Hasher = SipHasher13;

        fn build_hasher(&self) -> SipHasher13 {
            SipHasher13::new_with_keys(self.0, self.1)
        }
    }
}
