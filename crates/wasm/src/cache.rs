//! The verified-token cache (docs/benchmarks.md "The verified-token cache"): a user sends the same access token
//! many times a minute, and only the first time needs the signature and the parsing.
//!
//! - Key: SipHash-2-4 with 128-bit output of the whole token, under a random 128-bit key
//!   drawn once per cache (`crypto.getRandomValues`). Never the token itself: the cache holds
//!   no bearer credential. 128 bits because a collision would hand one token's claims to
//!   another token: under a secret key an attacker cannot search for one offline, and even a
//!   birthday search over 2^64 tokens is out of reach (a 64-bit hash would not be).
//! - Value: the registered claims (for the re-checks) and a slot number; the JS side keeps
//!   the payload text of each slot.
//! - On every hit, `Verifier::recheck` runs the time checks (exp, nbf, iat, max age, with
//!   the clock tolerance) and the revocation snapshot, so an entry never outlives the
//!   token's `exp` and a revocation applies to cached tokens at once. A failed re-check
//!   drops the entry. Failures are never cached.
//! - Bounded: least-recently-used eviction at `max` entries (an intrusive list over a slab).
//! - Emptied when the key set changes (the bindings call [`TokenCache::clear`]); the policy
//!   cannot change after creation.

use alloc::{string::String, vec::Vec};
use core::{
    hash::{BuildHasherDefault, Hasher},
    sync::atomic::{AtomicBool, Ordering::Relaxed},
};

use hashbrown::HashMap;
use revocable_core::{Claims, Error, Verifier};
use siphasher::sip128::{Hasher128 as _, SipHasher24};

const NIL: u32 = u32::MAX;

/// The map's own hasher: the keys are already outputs of a keyed PRF, so their low 64 bits
/// are uniformly distributed and unknown to an attacker; hashing them again would only cost.
#[derive(Default)]
pub(crate) struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not reached for u128 keys (write_u128 below); a plain fold keeps it total.
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u128(&mut self, value: u128) {
        // Truncation is the point: the low half of a PRF output.
        #[allow(clippy::cast_possible_truncation)]
        {
            self.0 = value as u64;
        }
    }
}

struct Entry {
    hash: u128,
    claims: Claims,
    /// Towards the most recently used end.
    prev: u32,
    /// Towards the least recently used end.
    next: u32,
}

/// What a cached verification produced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A cached token that passed the re-checks: its slot.
    Hit(u32),
    /// A token verified now and stored in `slot` (the payload JSON text goes to JS).
    Miss { slot: u32, payload: String },
    /// Verified now but not stored (no randomness for the hash key): the payload.
    Uncached(String),
}

/// A bounded LRU of verified tokens (module docs).
pub(crate) struct TokenCache {
    key: Option<(u64, u64)>,
    index: HashMap<u128, u32, BuildHasherDefault<Prehashed>>,
    entries: Vec<Entry>,
    free: Vec<u32>,
    head: u32,
    tail: u32,
    max: u32,
}

impl core::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Neither the key nor the claims.
        f.debug_struct("TokenCache")
            .field("len", &self.len())
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

/// Draws the per-cache hash key (`crypto.getRandomValues` in wasm, the OS natively).
fn random_key() -> Option<(u64, u64)> {
    let mut bytes = [0_u8; 16];
    fill_random(&mut bytes)?;
    let (k0, k1) = bytes.split_at(8);
    Some((
        u64::from_le_bytes(k0.try_into().ok()?),
        u64::from_le_bytes(k1.try_into().ok()?),
    ))
}

/// Seeds revocable-core's hash keys (its maps and the member-name sets of the JSON it reads,
/// in wasm) from the runtime's randomness, once; while the runtime refuses (a worker outside a
/// request), the next verification tries again. Natively the core uses std's random keys.
pub(crate) fn seed_core_hash_keys() {
    static SEEDED: AtomicBool = AtomicBool::new(false);
    if SEEDED.load(Relaxed) {
        return;
    }
    if let Some((k0, k1)) = random_key() {
        revocable_core::seed_hash_keys(k0, k1);
        SEEDED.store(true, Relaxed);
    }
}

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    /// `globalThis.crypto.getRandomValues` (Node >= 19, browsers, workerd), filling the
    /// slice in place. getrandom's "js" backend does the same but links std.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues, catch)]
    fn get_random_values(bytes: &mut [u8]) -> Result<wasm_bindgen::JsValue, wasm_bindgen::JsValue>;
}

/// Fills `bytes` with random bytes; `None` when the runtime has no `crypto` (or, natively, no
/// OS generator): the cache is then not used.
#[cfg(target_arch = "wasm32")]
fn fill_random(bytes: &mut [u8]) -> Option<()> {
    get_random_values(bytes).ok().map(drop)
}

#[cfg(not(target_arch = "wasm32"))]
fn fill_random(bytes: &mut [u8]) -> Option<()> {
    getrandom::getrandom(bytes).ok()
}

impl TokenCache {
    /// An empty cache of at most `max` (>= 1) entries. The hash key is drawn on first use,
    /// not here: workers forbid randomness outside a request.
    pub(crate) fn new(max: u32) -> Self {
        Self {
            key: None,
            index: HashMap::default(),
            entries: Vec::new(),
            free: Vec::new(),
            head: NIL,
            tail: NIL,
            max: max.max(1),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.index.len()
    }

    /// Drops every entry (the hash key stays).
    pub(crate) fn clear(&mut self) {
        self.index.clear();
        self.entries.clear();
        self.free.clear();
        self.head = NIL;
        self.tail = NIL;
    }

    fn hash(key: (u64, u64), token: &str) -> u128 {
        let mut hasher = SipHasher24::new_with_keys(key.0, key.1);
        hasher.write(token.as_bytes());
        hasher.finish128().as_u128()
    }

    fn entry(&mut self, slot: u32) -> Option<&mut Entry> {
        self.entries.get_mut(usize::try_from(slot).ok()?)
    }

    fn unlink(&mut self, slot: u32) {
        let Some((prev, next)) = self.entry(slot).map(|e| (e.prev, e.next)) else {
            return;
        };
        match self.entry(prev) {
            Some(p) => p.next = next,
            None => self.head = next,
        }
        match self.entry(next) {
            Some(n) => n.prev = prev,
            None => self.tail = prev,
        }
    }

    fn push_front(&mut self, slot: u32) {
        let head = self.head;
        if let Some(e) = self.entry(slot) {
            e.prev = NIL;
            e.next = head;
        }
        match self.entry(head) {
            Some(h) => h.prev = slot,
            None => self.tail = slot,
        }
        self.head = slot;
    }

    /// Removes the entry in `slot` (no-op for a free or unknown slot).
    pub(crate) fn remove(&mut self, slot: u32) {
        let Some(hash) = self.entry(slot).map(|e| e.hash) else {
            return;
        };
        if self.index.get(&hash) != Some(&slot) {
            return;
        }
        self.unlink(slot);
        self.index.remove(&hash);
        self.free.push(slot);
    }

    /// Stores `claims` under `hash` as the most recently used entry, evicting the least
    /// recently used one when full. Returns the slot.
    fn insert(&mut self, hash: u128, claims: Claims) -> u32 {
        if let Some(&slot) = self.index.get(&hash) {
            self.remove(slot);
        }
        if self.index.len() >= usize::try_from(self.max).unwrap_or(usize::MAX) {
            let lru = self.tail;
            self.remove(lru);
        }
        let entry = Entry {
            hash,
            claims,
            prev: NIL,
            next: NIL,
        };
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(e) = self.entry(slot) {
                    *e = entry;
                }
                slot
            }
            None => {
                self.entries.push(entry);
                u32::try_from(self.entries.len() - 1).unwrap_or(NIL)
            }
        };
        self.index.insert(hash, slot);
        self.push_front(slot);
        slot
    }

    /// Verifies `token` at `now` through the cache: a hit re-runs the time checks and the
    /// revocation snapshot (and is dropped when they fail); a miss runs `verify` (the full
    /// verification) and stores the result. Errors are returned, never cached.
    pub(crate) fn verify(
        &mut self,
        verifier: &Verifier,
        token: &str,
        now: i64,
        verify: impl FnOnce() -> Result<revocable_core::Verified, Error>,
    ) -> Result<Outcome, Error> {
        if self.key.is_none() {
            self.key = random_key();
        }
        let Some(key) = self.key else {
            return verify().map(|verified| Outcome::Uncached(verified.payload));
        };
        let hash = Self::hash(key, token);
        if let Some(&slot) = self.index.get(&hash) {
            let checked = match self.entry(slot) {
                Some(entry) => verifier.recheck(&entry.claims, now),
                None => Ok(()),
            };
            if let Err(err) = checked {
                self.remove(slot);
                return Err(err);
            }
            self.unlink(slot);
            self.push_front(slot);
            return Ok(Outcome::Hit(slot));
        }
        let verified = verify()?;
        let slot = self.insert(hash, verified.claims);
        Ok(Outcome::Miss {
            slot,
            payload: verified.payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use revocable_core::{Algorithm, KeySet, Policy, RevocationSnapshot, SigningKey};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;

    struct Fixture {
        key: SigningKey,
        verifier: Verifier,
    }

    fn fixture(tolerance: u32) -> Fixture {
        let key = SigningKey::generate(Algorithm::EdDsa, &[5; 32]).unwrap();
        let jwks = json!({ "keys": [key.public_jwk().unwrap()] }).to_string();
        let policy = Policy::new(["iss"], ["api"]).with_clock_tolerance(tolerance);
        let verifier = Verifier::new(KeySet::from_jwks_json(&jwks).unwrap(), policy).unwrap();
        Fixture { key, verifier }
    }

    fn token(f: &Fixture, user: u32, exp: i64) -> String {
        let claims = json!({
            "iss": "iss", "aud": "api", "sub": format!("user-{user}"), "iat": NOW - 10,
            "exp": exp, "jti": format!("jti-{user}"), "sid": format!("sid-{user}"),
        });
        let serde_json::Value::Object(claims) = claims else {
            unreachable!()
        };
        f.key.sign(&claims, None).unwrap()
    }

    fn run(cache: &mut TokenCache, f: &Fixture, token: &str, now: i64) -> Result<Outcome, Error> {
        cache.verify(&f.verifier, token, now, || f.verifier.verify(token, now))
    }

    /// `run` at `NOW`, as "hit", "miss", "uncached" or the error code.
    fn outcome(cache: &mut TokenCache, f: &Fixture, token: &str) -> &'static str {
        match run(cache, f, token, NOW) {
            Ok(Outcome::Hit(_)) => "hit",
            Ok(Outcome::Miss { .. }) => "miss",
            Ok(Outcome::Uncached(_)) => "uncached",
            Err(err) => err.code(),
        }
    }

    fn slot(outcome: &Outcome) -> u32 {
        match outcome {
            Outcome::Hit(slot) | Outcome::Miss { slot, .. } => *slot,
            Outcome::Uncached(_) => panic!("not cached"),
        }
    }

    #[test]
    fn second_use_is_a_hit_with_the_same_slot() {
        let f = fixture(0);
        let mut cache = TokenCache::new(10);
        let t = token(&f, 1, NOW + 300);
        let first = run(&mut cache, &f, &t, NOW).unwrap();
        assert!(matches!(first, Outcome::Miss { .. }));
        assert_eq!(
            run(&mut cache, &f, &t, NOW).unwrap(),
            Outcome::Hit(slot(&first))
        );
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_hit_never_outlives_exp_and_the_entry_goes() {
        for tolerance in [0_u32, 30] {
            let f = fixture(tolerance);
            let mut cache = TokenCache::new(10);
            let exp = NOW + 60;
            let t = token(&f, 1, exp);
            run(&mut cache, &f, &t, NOW).unwrap();
            let tol = i64::from(tolerance);
            assert!(matches!(
                run(&mut cache, &f, &t, exp + tol - 1),
                Ok(Outcome::Hit(_))
            ));
            let err = run(&mut cache, &f, &t, exp + tol).unwrap_err();
            assert_eq!(err.code(), "ERR_JWT_EXPIRED");
            assert_eq!(cache.len(), 0, "the expired entry is dropped");
            // And the full verification agrees.
            assert_eq!(
                f.verifier.verify(&t, exp + tol).unwrap_err().code(),
                "ERR_JWT_EXPIRED"
            );
        }
    }

    #[test]
    fn revocation_applies_to_cached_tokens() {
        let mut f = fixture(0);
        let mut cache = TokenCache::new(10);
        let t = token(&f, 7, NOW + 300);
        run(&mut cache, &f, &t, NOW).unwrap();
        for (claim, id) in [("jti", "jti-7"), ("sid", "sid-7"), ("sub", "user-7")] {
            let mut entry = json!({"id": id, "exp": NOW + 300});
            if claim == "sub" {
                entry["not_before"] = json!(NOW);
            }
            let feed = json!({"generated_at": NOW, claim: [entry]});
            run(&mut cache, &f, &t, NOW).unwrap();
            f.verifier
                .update_revocations(&feed.to_string(), NOW)
                .unwrap();
            let err = run(&mut cache, &f, &t, NOW).unwrap_err();
            assert_eq!(err.code(), "ERR_JWT_REVOKED");
            assert_eq!(err.claim(), Some(claim));
            f.verifier.set_revocations(RevocationSnapshot::new());
        }
    }

    #[test]
    fn not_yet_valid_on_a_hit_when_the_clock_goes_back() {
        let f = fixture(0);
        let mut cache = TokenCache::new(10);
        let t = token(&f, 1, NOW + 300);
        run(&mut cache, &f, &t, NOW).unwrap();
        // iat = NOW - 10: at NOW - 20 the token was issued in the future.
        let err = run(&mut cache, &f, &t, NOW - 20).unwrap_err();
        assert_eq!(err.code(), "ERR_JWT_CLAIM_VALIDATION_FAILED");
        assert_eq!(err.claim(), Some("iat"));
    }

    #[test]
    fn bounded_lru_evicts_the_least_recently_used() {
        let f = fixture(0);
        let mut cache = TokenCache::new(3);
        let tokens: Vec<String> = (0..4).map(|u| token(&f, u, NOW + 300)).collect();
        for t in &tokens[..3] {
            run(&mut cache, &f, t, NOW).unwrap();
        }
        // Touch token 0, so token 1 is now the least recently used; token 3 evicts it.
        for (at, expected) in [(0, "hit"), (3, "miss")] {
            assert_eq!(outcome(&mut cache, &f, &tokens[at]), expected, "token {at}");
        }
        assert_eq!(cache.len(), 3);
        for (at, expected) in [(0, "hit"), (2, "hit"), (1, "miss")] {
            assert_eq!(outcome(&mut cache, &f, &tokens[at]), expected, "token {at}");
        }
        assert_eq!(cache.len(), 3);
        // Slots stay within the bound.
        assert!(cache.entries.len() <= 3);
    }

    #[test]
    fn failures_are_not_cached_and_clear_empties() {
        let f = fixture(0);
        let mut cache = TokenCache::new(10);
        let t = token(&f, 1, NOW + 300);
        let mut forged = t.clone();
        forged.pop();
        forged.push(if t.ends_with('A') { 'B' } else { 'A' });
        for _ in 0..2 {
            assert!(run(&mut cache, &f, &forged, NOW).is_err());
        }
        assert_eq!(cache.len(), 0);
        run(&mut cache, &f, &t, NOW).unwrap();
        assert_eq!(cache.len(), 1);
        cache.clear();
        assert_eq!(cache.len(), 0);
        assert!(matches!(
            run(&mut cache, &f, &t, NOW),
            Ok(Outcome::Miss { .. })
        ));
    }

    #[test]
    fn hashes_are_keyed_and_cover_the_whole_token() {
        let a = TokenCache::hash((1, 2), "a.b.c");
        assert_eq!(a, TokenCache::hash((1, 2), "a.b.c"));
        assert_ne!(a, TokenCache::hash((1, 3), "a.b.c"));
        assert_ne!(a, TokenCache::hash((1, 2), "a.b.d"));
        assert_ne!(a, TokenCache::hash((1, 2), "x.b.c"));
        assert_ne!(random_key(), random_key());
    }

    #[test]
    fn remove_of_unknown_slots_is_harmless() {
        let mut cache = TokenCache::new(2);
        cache.remove(0);
        cache.remove(NIL);
        assert_eq!(cache.len(), 0);
    }
}

/// Property: whatever the order of uses, clock jumps (backwards too) and revocations,
/// the cache answers exactly what a full verification answers at that moment; in particular a
/// hit never happens at or after `exp + tolerance`, and the cache stays within its bound.
#[cfg(all(test, not(target_arch = "wasm32")))]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use revocable_core::{Algorithm, KeySet, Policy, RevocationSnapshot, SigningKey};
    use serde_json::json;

    const NOW: i64 = 1_700_000_000;
    const TOKENS: usize = 5;
    const MAX: u32 = 3;

    #[derive(Debug, Clone)]
    enum Op {
        /// Verify token `i` at `NOW + offset`.
        Verify(usize, i64),
        /// The feed revokes token `i` by jti / sid / sub (the snapshot is replaced).
        Revoke(usize, u8),
        /// An empty snapshot.
        Unrevoke,
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            6 => (0..TOKENS, -40_i64..200).prop_map(|(i, t)| Op::Verify(i, t)),
            1 => (0..TOKENS, 0_u8..3).prop_map(|(i, k)| Op::Revoke(i, k)),
            1 => Just(Op::Unrevoke),
        ]
    }

    fn code(result: Result<(), Error>) -> Option<&'static str> {
        result.err().map(|err| err.code())
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn cached_answers_equal_full_verification_and_never_outlive_exp(
            tolerance in prop_oneof![Just(0_u32), Just(5), Just(30)],
            exps in proptest::collection::vec(-20_i64..150, TOKENS),
            ops in proptest::collection::vec(op(), 1..60),
        ) {
            // HS256: the property is about time and revocation, and HMAC keeps 256 cases fast
            // in a debug build.
            let key = SigningKey::generate(Algorithm::Hs256, &[9; 32]).unwrap();
            let policy = Policy::new(["iss"], ["api"]).with_clock_tolerance(tolerance);
            let mut verifier = Verifier::new(KeySet::single(key.verifying_key()), policy).unwrap();
            let tokens: Vec<String> = exps
                .iter()
                .enumerate()
                .map(|(i, exp)| {
                    let claims = json!({
                        "iss": "iss", "aud": "api", "sub": format!("user-{i}"), "iat": NOW - 30,
                        "exp": NOW + exp, "jti": format!("jti-{i}"), "sid": format!("sid-{i}"),
                    });
                    let serde_json::Value::Object(claims) = claims else { unreachable!() };
                    key.sign(&claims, None).unwrap()
                })
                .collect();
            let mut cache = TokenCache::new(MAX);
            for op in ops {
                match op {
                    Op::Verify(i, offset) => {
                        let now = NOW + offset;
                        let token = &tokens[i];
                        let expected = code(verifier.verify(token, now).map(|_| ()));
                        let outcome = cache.verify(&verifier, token, now, || verifier.verify(token, now));
                        if let Ok(Outcome::Hit(_)) = outcome {
                            prop_assert!(now < NOW + exps[i] + i64::from(tolerance), "a hit at or past exp + tolerance");
                        }
                        prop_assert!(!matches!(outcome, Ok(Outcome::Uncached(_))), "the OS has randomness");
                        prop_assert_eq!(code(outcome.map(|_| ())), expected);
                        prop_assert!(cache.len() <= MAX as usize);
                    }
                    Op::Revoke(i, kind) => {
                        let exp = NOW + exps[i];
                        let entry = match kind {
                            0 => json!({ "jti": [{ "id": format!("jti-{i}"), "exp": exp }] }),
                            1 => json!({ "sid": [{ "id": format!("sid-{i}"), "exp": exp }] }),
                            _ => json!({ "sub": [{ "id": format!("user-{i}"), "not_before": NOW, "exp": exp }] }),
                        };
                        let mut feed = entry;
                        feed["generated_at"] = json!(NOW);
                        verifier.set_revocations(RevocationSnapshot::new());
                        verifier.update_revocations(&feed.to_string(), NOW).unwrap();
                    }
                    Op::Unrevoke => verifier.set_revocations(RevocationSnapshot::new()),
                }
            }
        }
    }
}
