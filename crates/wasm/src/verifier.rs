//! The `Verifier` class exported to JavaScript.

use revocable_core::{Algorithm, Key, KeySet, Policy, RevocationSnapshot, Verifier};
use wasm_bindgen::prelude::*;

use crate::error::{to_js, type_error};

/// A verifier holding keys, a claims policy and a revocation snapshot (exported to JS as
/// `Verifier`). Construct it with [`JsVerifier::from_jwks`], [`JsVerifier::from_jwk`] or
/// [`JsVerifier::from_secret`]; call `free()` when done (the JS wrapper's `close()` does).
#[wasm_bindgen(js_name = Verifier)]
#[derive(Debug)]
pub struct JsVerifier {
    inner: Verifier,
}

/// Parses the policy fields of the JS options (camelCase JSON: `issuer`, `audience`,
/// `algorithms`, `clockTolerance`, `maxTokenAge`, `requiredClaims`, `typ`, ...).
/// A malformed policy is the caller's configuration mistake: a `TypeError`, not a `JwtError`.
fn parse_policy(policy_json: &str) -> Result<Policy, JsValue> {
    serde_json::from_str(policy_json)
        .map_err(|err| type_error(&format!("invalid verifier options: {err}")))
}

/// Converts JS seconds (a double) to the core's `i64`, rejecting NaN and infinities.
fn seconds(now: f64) -> Result<i64, JsValue> {
    // 2^53: beyond it a double no longer holds every integer; no real clock gets there.
    const LIMIT: f64 = 9_007_199_254_740_992.0;
    if now.is_finite() && now.abs() < LIMIT {
        // Truncation is the point: tokens carry whole seconds.
        #[allow(clippy::cast_possible_truncation)]
        Ok(now.floor() as i64)
    } else {
        Err(type_error("now must be a finite number of seconds"))
    }
}

impl JsVerifier {
    fn build(keys: KeySet, policy_json: &str) -> Result<JsVerifier, JsValue> {
        let policy = parse_policy(policy_json)?;
        let inner = Verifier::new(keys, policy).map_err(|err| to_js(&err))?;
        Ok(Self { inner })
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
        match self.inner.verify(token, now) {
            Ok(verified) => Ok(verified.payload),
            Err(err) => Err(to_js(&err)),
        }
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

    /// Replaces the keys with a JWKS (JSON text), e.g. after a remote JWKS refetch. On
    /// error the previous keys stay in place.
    #[wasm_bindgen(js_name = setJwks)]
    pub fn set_jwks(&mut self, jwks_json: &str) -> Result<(), JsValue> {
        let keys = KeySet::from_jwks_json(jwks_json).map_err(|err| to_js(&err))?;
        self.inner.set_keys(keys).map_err(|err| to_js(&err))
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
