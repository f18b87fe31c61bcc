//! The `Verifier` class exported to JavaScript.

use alloc::{borrow::ToOwned, string::String, vec, vec::Vec};

use revocable_core::{
    Algorithm, Error, Key, KeySet, Policy, RevocationSnapshot, Verified, Verifier, MAX_TOKEN_BYTES,
};
use wasm_bindgen::prelude::*;

use crate::{
    cache::{Outcome, TokenCache},
    error::{to_js, type_error},
    host::{Host, HostCrypto},
};

/// A verifier holding keys, a claims policy and a revocation snapshot (exported to JS as
/// `Verifier`), optionally with a host-crypto callback and a verified-token cache.
/// Construct it with [`JsVerifier::from_jwks`], [`JsVerifier::from_jwk`] or
/// [`JsVerifier::from_secret`]; call `free()` when done (the JS wrapper's `close()` does).
#[wasm_bindgen(js_name = Verifier)]
pub struct JsVerifier {
    inner: Verifier,
    host: Option<HostCrypto>,
    cache: Option<TokenCache>,
    /// The payload of the last cache miss, until JS takes it (`takePayload`).
    pending: String,
    /// The token buffer JS writes into (`inputBuffer`): empty until first asked for, then
    /// [`MAX_TOKEN_BYTES`] long.
    input: Vec<u8>,
}

impl core::fmt::Debug for JsVerifier {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("JsVerifier")
            .field("inner", &self.inner)
            .field("host", &self.host.is_some())
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

/// Bit 0 of `verifyCached`'s result: the slot was (re)filled by this call, take the payload.
const FRESH: u32 = 1;

/// Parses the policy fields of the JS options (camelCase JSON: `issuer`, `audience`,
/// `algorithms`, `clockTolerance`, `maxTokenAge`, `requiredClaims`, `typ`, ...) with the
/// core's reader. A malformed policy is the caller's configuration mistake: a `TypeError`,
/// not a `JwtError`.
fn parse_policy(policy_json: &str) -> Result<Policy, JsValue> {
    Policy::from_json(policy_json).map_err(|err| {
        let mut message = String::from("invalid verifier options: ");
        match err {
            Error::InvalidOptions(why) => message.push_str(why),
            other => message.push_str(&other.message()),
        }
        type_error(&message)
    })
}

/// Converts JS seconds (a double) to the core's `i64`, rejecting NaN and infinities.
fn seconds(now: f64) -> Result<i64, JsValue> {
    whole_seconds(now).ok_or_else(|| type_error("now must be a finite number of seconds"))
}

/// `now` rounded down to whole seconds (tokens carry whole seconds), or `None` for NaN,
/// infinities and magnitudes from 2^53 on (where a double no longer holds every integer; no
/// real clock gets there).
fn whole_seconds(now: f64) -> Option<i64> {
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    if !(now.is_finite() && now.abs() < LIMIT) {
        return None;
    }
    // `f64::floor` is std's (core has none): `as` truncates toward zero, exactly for these
    // magnitudes, and a negative fraction then goes one lower.
    #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
    let whole = now as i64;
    #[allow(clippy::cast_precision_loss)]
    let above = whole as f64 > now;
    Some(if above { whole - 1 } else { whole })
}

impl JsVerifier {
    fn build(keys: KeySet, policy_json: &str) -> Result<JsVerifier, JsValue> {
        let policy = parse_policy(policy_json)?;
        let inner = Verifier::new(keys, policy).map_err(|err| to_js(&err))?;
        Ok(Self {
            inner,
            host: None,
            cache: None,
            pending: String::new(),
            input: Vec::new(),
        })
    }

    /// The token JS wrote into the input buffer: its first `len` bytes, which must be UTF-8
    /// (`TextEncoder.encodeInto` writes nothing else).
    fn input(&self, len: u32) -> Result<&str, JsValue> {
        let bytes = usize::try_from(len)
            .ok()
            .and_then(|len| self.input.get(..len))
            .ok_or_else(|| to_js(&Error::InvalidJwt("token is larger than 16 KiB")))?;
        core::str::from_utf8(bytes).map_err(|_| to_js(&Error::InvalidJwt("token is not utf-8")))
    }

    /// `verifyCached` on a token given as a string.
    fn cached(&mut self, token: &str, now: i64) -> Result<u32, JsValue> {
        let Self {
            inner,
            host,
            cache,
            pending,
            ..
        } = self;
        let host = host.as_ref();
        let outcome = match cache {
            Some(cache) => cache.verify(inner, token, now, || {
                Self::verify_full(inner, host, token, now)
            }),
            None => {
                Self::verify_full(inner, host, token, now).map(|v| Outcome::Uncached(v.payload))
            }
        };
        match outcome.map_err(|err| to_js(&err))? {
            Outcome::Hit(slot) => Ok(slot << 1),
            Outcome::Miss { slot, payload } => {
                *pending = payload;
                Ok((slot << 1) | FRESH)
            }
            Outcome::Uncached(payload) => {
                *pending = payload;
                Ok(u32::MAX)
            }
        }
    }

    /// The full verification, through the host callback when there is one. Not inlined: one
    /// copy of the verify path serves every export that verifies.
    #[inline(never)]
    fn verify_full(
        inner: &Verifier,
        host: Option<&HostCrypto>,
        token: &str,
        now: i64,
    ) -> Result<Verified, Error> {
        crate::cache::seed_core_hash_keys();
        match host {
            Some(host) => inner.verify_with_host(token, now, &Host(host)),
            None => inner.verify(token, now),
        }
    }
}

#[wasm_bindgen(js_class = Verifier)]
impl JsVerifier {
    /// A verifier over a JWKS (`{"keys":[...]}`, JSON text) and a policy (JSON text).
    #[wasm_bindgen(js_name = fromJwks)]
    pub fn from_jwks(jwks_json: &str, policy_json: &str) -> Result<JsVerifier, JsValue> {
        let keys = KeySet::from_jwks_json(jwks_json).map_err(|err| to_js(&err))?;
        Self::build(keys, policy_json)
    }

    /// A verifier over a JWKS FETCHED from a URL (JSON text): like `fromJwks`, but secret
    /// (`oct`) keys are skipped, since a secret in a published document is no secret and
    /// must never become an HMAC key.
    #[wasm_bindgen(js_name = fromPublicJwks)]
    pub fn from_public_jwks(jwks_json: &str, policy_json: &str) -> Result<JsVerifier, JsValue> {
        let keys = KeySet::from_public_jwks_json(jwks_json).map_err(|err| to_js(&err))?;
        Self::build(keys, policy_json)
    }

    /// A verifier over one JWK (JSON text) and a policy (JSON text).
    #[wasm_bindgen(js_name = fromJwk)]
    pub fn from_jwk(jwk_json: &str, policy_json: &str) -> Result<JsVerifier, JsValue> {
        let key = Key::from_jwk_json(jwk_json).map_err(|err| to_js(&err))?;
        Self::build(KeySet::single(key), policy_json)
    }

    /// A verifier over a raw HMAC secret for `alg` (`HS256`, `HS384` or `HS512`), with an
    /// optional `kid`, and a policy (JSON text). The bytes are copied into the core's key,
    /// which zeroizes them on drop.
    #[wasm_bindgen(js_name = fromSecret)]
    pub fn from_secret(
        secret: &[u8],
        alg: &str,
        kid: Option<String>,
        policy_json: &str,
    ) -> Result<JsVerifier, JsValue> {
        let alg: Algorithm = alg.parse().map_err(|err| to_js(&err))?;
        let key = Key::from_secret(secret, alg, kid).map_err(|err| to_js(&err))?;
        Self::build(KeySet::single(key), policy_json)
    }

    /// Verifies `token` at `now` (Unix seconds, from the JS clock) and returns the payload
    /// as JSON text (the JS side parses it: measured faster than building the object here).
    /// Throws a JS `Error` with the stable `code` (and `claim`, `reason`) on failure.
    pub fn verify(&self, token: &str, now: f64) -> Result<String, JsValue> {
        let now = seconds(now)?;
        match Self::verify_full(&self.inner, self.host.as_ref(), token, now) {
            Ok(verified) => Ok(verified.payload),
            Err(err) => Err(to_js(&err)),
        }
    }

    /// Verifies through the verified-token cache (see `cache.rs`; `verify` when there is
    /// none). Returns `slot << 1`, or `slot << 1 | 1` when the slot was (re)filled by this
    /// call and JS must take the payload with `takePayload()` and store it for the slot.
    /// `u32::MAX` means "verified but not cached": the payload is waiting too. Throws like
    /// `verify`.
    #[wasm_bindgen(js_name = verifyCached)]
    pub fn verify_cached(&mut self, token: &str, now: f64) -> Result<u32, JsValue> {
        let now = seconds(now)?;
        self.cached(token, now)
    }

    /// The address in wasm memory of this verifier's token buffer, [`MAX_TOKEN_BYTES`] long
    /// (allocated by the first call; it stays put until `free()`). JS writes the token there
    /// with `TextEncoder.encodeInto` and passes its length to `verifyInput` or
    /// `verifyCachedInput`: one native copy, where a `&str` argument costs a `malloc`, a
    /// per-character copy loop in the bindings' JS and a `free` on every call
    /// (docs/benchmarks.md "Where the time goes").
    #[wasm_bindgen(js_name = inputBuffer)]
    pub fn input_buffer(&mut self) -> u32 {
        if self.input.len() != MAX_TOKEN_BYTES {
            self.input = vec![0; MAX_TOKEN_BYTES];
        }
        // A wasm32 address is 32 bits wide.
        u32::try_from(self.input.as_mut_ptr() as usize).unwrap_or(0)
    }

    /// `verify` on the token in the input buffer (its first `len` bytes; see `inputBuffer`).
    #[wasm_bindgen(js_name = verifyInput)]
    pub fn verify_input(&self, len: u32, now: f64) -> Result<String, JsValue> {
        let now = seconds(now)?;
        let token = self.input(len)?;
        match Self::verify_full(&self.inner, self.host.as_ref(), token, now) {
            Ok(verified) => Ok(verified.payload),
            Err(err) => Err(to_js(&err)),
        }
    }

    /// `verifyCached` on the token in the input buffer (its first `len` bytes).
    #[wasm_bindgen(js_name = verifyCachedInput)]
    pub fn verify_cached_input(&mut self, len: u32, now: f64) -> Result<u32, JsValue> {
        let now = seconds(now)?;
        // The buffer is moved out (no copy) while `cached` borrows the verifier mutably, and
        // put back after.
        let input = core::mem::take(&mut self.input);
        let result = match usize::try_from(len).ok().and_then(|len| input.get(..len)) {
            Some(bytes) => match core::str::from_utf8(bytes) {
                Ok(token) => self.cached(token, now),
                Err(_) => Err(to_js(&Error::InvalidJwt("token is not utf-8"))),
            },
            None => Err(to_js(&Error::InvalidJwt("token is larger than 16 KiB"))),
        };
        self.input = input;
        result
    }

    /// The wasm module's memory (`WebAssembly.Memory`), for the views JS writes tokens
    /// through (`inputBuffer`).
    pub fn memory() -> JsValue {
        wasm_bindgen::memory()
    }

    /// The payload JSON text of the last `verifyCached` that reported a fresh slot.
    #[wasm_bindgen(js_name = takePayload)]
    pub fn take_payload(&mut self) -> String {
        core::mem::take(&mut self.pending)
    }

    /// Turns the verified-token cache on with room for `max` entries (replacing an existing
    /// one, emptied), or off with `0`.
    #[wasm_bindgen(js_name = setCache)]
    pub fn set_cache(&mut self, max: u32) {
        self.cache = (max > 0).then(|| TokenCache::new(max));
    }

    /// Drops the cache entry in `slot` (the JS side could not store its payload).
    #[wasm_bindgen(js_name = evictCached)]
    pub fn evict_cached(&mut self, slot: u32) {
        if let Some(cache) = &mut self.cache {
            cache.remove(slot);
        }
    }

    /// Number of cached tokens.
    #[wasm_bindgen(js_name = cacheSize)]
    pub fn cache_size(&self) -> u32 {
        self.cache
            .as_ref()
            .map_or(0, |cache| u32::try_from(cache.len()).unwrap_or(u32::MAX))
    }

    /// Sets (or, with `undefined`, removes) the host-crypto callback: the raw signature
    /// checks of asymmetric keys go to it (index into `hostJwks()`).
    #[wasm_bindgen(js_name = setHost)]
    pub fn set_host(&mut self, host: Option<HostCrypto>) {
        self.host = host;
    }

    /// The public JWK of every key, in key-set order (`null` for HMAC keys), as JSON text:
    /// what the host imports, index for index.
    #[wasm_bindgen(js_name = hostJwks)]
    pub fn host_jwks(&self) -> String {
        self.inner.keys().host_jwks_json()
    }

    /// `hostJwks()` of the key set that `json` would give a verifier, without a verifier:
    /// the same parse, so the same keys in the same order, and its errors (a key the core
    /// refuses) first. `source` names the constructor: `"jwks"` (`fromJwks`), `"publicJwks"`
    /// (`fromPublicJwks`, `setJwks`) or `"jwk"` (`fromJwk`). For a host that must take every
    /// EC and RSA key before the key set is used (the node-host build has no arithmetic of
    /// its own for them): a key the host refuses then fails the set as the core's own check
    /// would, before the policy is checked against the keys or the keys replace others.
    #[wasm_bindgen(js_name = hostJwksOf)]
    pub fn host_jwks_of(source: &str, json: &str) -> Result<String, JsValue> {
        let keys = match source {
            "jwks" => KeySet::from_jwks_json(json),
            "publicJwks" => KeySet::from_public_jwks_json(json),
            "jwk" => Key::from_jwk_json(json).map(KeySet::single),
            _ => Err(Error::InvalidOptions("unknown key source")),
        };
        Ok(keys.map_err(|err| to_js(&err))?.host_jwks_json())
    }

    /// Like `verify`, but returns the payload as a JS object built by serde-wasm-bindgen.
    /// Only in builds with the `measure-payload-object` feature, to measure against `verify`.
    #[cfg(feature = "measure-payload-object")]
    #[wasm_bindgen(js_name = verifyObject)]
    pub fn verify_object(&self, token: &str, now: f64) -> Result<JsValue, JsValue> {
        use serde::Serialize as _;
        let now = seconds(now)?;
        let verified = self.inner.verify(token, now).map_err(|err| to_js(&err))?;
        let value: serde_json::Value = serde_json::from_str(&verified.payload)
            .map_err(|_| type_error("payload is not json"))?;
        value
            .serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|_| type_error("payload conversion failed"))
    }

    /// Verification of the token in the input buffer (as `verifyInput`) stopped after `steps`
    /// phases (revocable-core's `Verifier::verify_phases`; `undefined` until every phase ran,
    /// then the payload JSON text). Only in builds with the `measure-phases` feature: the
    /// per-phase profile of js/bench/phases.mjs.
    #[cfg(feature = "measure-phases")]
    #[wasm_bindgen(js_name = verifyPhases)]
    pub fn verify_phases(&self, len: u32, now: f64, steps: u32) -> Result<Option<String>, JsValue> {
        let now = seconds(now)?;
        let token = self.input(len)?;
        crate::cache::seed_core_hash_keys();
        let host = self.host.as_ref().map(Host);
        self.inner
            .verify_phases(
                token,
                now,
                host.as_ref()
                    .map(|h| h as &dyn revocable_core::SignatureHost),
                steps,
            )
            .map_err(|err| to_js(&err))
    }

    /// Hashes `token` with SipHash-2-4-128 under a fixed key and returns the low 32 bits: the
    /// cache's per-hit hash, alone. Only with the `measure-phases` feature.
    #[cfg(feature = "measure-phases")]
    #[wasm_bindgen(js_name = hashOnly)]
    pub fn hash_only(token: &str) -> u32 {
        use core::hash::Hasher as _;
        use siphasher::sip128::{Hasher128 as _, SipHasher24};
        let mut hasher = SipHasher24::new_with_keys(1, 2);
        hasher.write(token.as_bytes());
        #[allow(clippy::cast_possible_truncation)]
        {
            hasher.finish128().as_u128() as u32
        }
    }

    /// Takes `token` as a string argument (copied in by the bindings' glue) and returns 0:
    /// what passing the token cost before the input buffer. Only with the `measure-phases`
    /// feature.
    #[cfg(feature = "measure-phases")]
    #[wasm_bindgen(js_name = passToken)]
    pub fn pass_token(token: &str) -> u32 {
        u32::from(token.is_empty())
    }

    /// Replaces the keys with a refetched remote JWKS (JSON text). As in `fromPublicJwks`,
    /// secret (`oct`) keys are skipped. On error the previous keys stay in place.
    #[wasm_bindgen(js_name = setJwks)]
    pub fn set_jwks(&mut self, jwks_json: &str) -> Result<(), JsValue> {
        let keys = KeySet::from_public_jwks_json(jwks_json).map_err(|err| to_js(&err))?;
        self.inner.set_keys(keys).map_err(|err| to_js(&err))?;
        // Cached verdicts were made with the old keys. (The host re-imports its keys from
        // hostJwks(); until then its indexes may name other keys, so it is dropped.)
        if let Some(cache) = &mut self.cache {
            cache.clear();
        }
        self.host = None;
        Ok(())
    }

    /// Applies the issuer's feed (JSON text of `GET /v1/revocations`): its entries join the
    /// snapshot, and entries a later feed lacks are kept until their `exp` (+ clock
    /// tolerance), so a feed from a lagging KV location can never undo a revocation. Entries
    /// no token can still match at `now` are dropped. Returns the number of entries held. On
    /// error the previous snapshot stays in place.
    #[wasm_bindgen(js_name = setRevocations)]
    pub fn set_revocations(&mut self, feed_json: &str, now: f64) -> Result<u32, JsValue> {
        let now = seconds(now)?;
        // The core keeps entries until exp + clock tolerance: a token the tolerance still
        // accepts after its exp must still be found revoked.
        self.inner
            .update_revocations(feed_json, now)
            .map_err(|err| to_js(&err))?;
        Ok(u32::try_from(self.inner.revocations().len()).unwrap_or(u32::MAX))
    }

    /// Empties the revocation snapshot.
    #[wasm_bindgen(js_name = clearRevocations)]
    pub fn clear_revocations(&mut self) {
        self.inner.set_revocations(RevocationSnapshot::new());
    }

    /// Number of entries in the revocation snapshot.
    #[wasm_bindgen(js_name = revocationCount)]
    pub fn revocation_count(&self) -> u32 {
        u32::try_from(self.inner.revocations().len()).unwrap_or(u32::MAX)
    }

    /// The `kid` of every key, in key-set order (`undefined` for a key without one).
    #[wasm_bindgen(js_name = keyIds)]
    pub fn key_ids(&self) -> Vec<JsValue> {
        self.inner
            .keys()
            .keys()
            .iter()
            .map(|key| key.kid().map_or(JsValue::UNDEFINED, JsValue::from_str))
            .collect()
    }

    /// The algorithm of every key, in key-set order (`"EdDSA"`, `"HS256"`, ...).
    #[wasm_bindgen(js_name = keyAlgorithms)]
    pub fn key_algorithms(&self) -> Vec<String> {
        self.inner
            .keys()
            .keys()
            .iter()
            .map(|key| key.algorithm().as_str().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::whole_seconds;

    #[test]
    fn whole_seconds_rounds_down_like_floor() {
        for now in [
            0.0_f64,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            1_700_000_000.999,
            -1_700_000_000.001,
            4_503_599_627_370_495.5,
            -4_503_599_627_370_495.5,
            9_007_199_254_740_991.0,
            -9_007_199_254_740_991.0,
        ] {
            #[allow(clippy::cast_possible_truncation)]
            let floor = now.floor() as i64;
            assert_eq!(whole_seconds(now), Some(floor), "{now}");
        }
        for bad in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            9_007_199_254_740_992.0,
            -9_007_199_254_740_992.0,
            1e300,
        ] {
            assert_eq!(whole_seconds(bad), None, "{bad}");
        }
    }
}
