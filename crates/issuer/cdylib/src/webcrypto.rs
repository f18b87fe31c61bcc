//! The signing keys workerd's WebCrypto holds (src/webcrypto.js): the EC and RSA keys of
//! `SIGNING_KEYS`, which revocable-core's `host-keys` build imports and checks but leaves to
//! the runtime to sign and verify with. EdDSA keys stay with the core.

use revocable_core::SigningKeySet;
use wasm_bindgen::{prelude::wasm_bindgen, JsValue};
use worker::{js_sys::Promise, wasm_bindgen_futures::JsFuture};
use zeroize::Zeroizing;

#[wasm_bindgen(module = "/src/webcrypto.js")]
extern "C" {
    #[wasm_bindgen(js_name = importSigningKey)]
    fn import_signing_key(alg: &str, private_jwk: &str) -> Promise;
    #[wasm_bindgen(js_name = sign)]
    fn sign_with(key: &JsValue, message: &[u8]) -> Promise;
    #[wasm_bindgen(js_name = verify)]
    fn verify_with(key: &JsValue, message: &[u8], signature: &[u8]) -> Promise;
}

/// One imported WebCrypto key pair per signing key the runtime signs with, by the key's
/// index in `SIGNING_KEYS` (`None` for the core's own keys).
#[derive(Debug)]
pub struct RuntimeKeys(Vec<Option<JsValue>>);

/// A key WebCrypto refused, or whose private and public halves are not one pair.
#[derive(Debug, Clone, Copy)]
pub struct ImportError;

impl RuntimeKeys {
    /// Imports every key of `keys` that [`revocable_core::SigningKey::signed_by_host`].
    pub async fn import(keys: &SigningKeySet) -> Result<Self, ImportError> {
        let mut imported = Vec::with_capacity(keys.keys().len());
        for key in keys.keys() {
            if !key.signed_by_host() {
                imported.push(None);
                continue;
            }
            // Handed to WebCrypto as text and not kept: zeroized here when the call returns
            // (the JS string it becomes is the JS heap's, until collected).
            let private = Zeroizing::new(key.private_jwk().to_string());
            let promise = import_signing_key(key.algorithm().as_str(), &private);
            drop(private);
            let pair = JsFuture::from(promise).await.map_err(|_| ImportError)?;
            imported.push(Some(pair));
        }
        Ok(Self(imported))
    }

    /// WebCrypto's signature of `message` with the key at `index`.
    pub async fn sign(&self, index: usize, message: &[u8]) -> Option<Vec<u8>> {
        let key = self.0.get(index)?.as_ref()?;
        let signature = JsFuture::from(sign_with(key, message)).await.ok()?;
        Some(worker::js_sys::Uint8Array::new(&signature).to_vec())
    }

    /// WebCrypto's check of `signature` over `message` with the key at `index`.
    pub async fn verify(&self, index: usize, message: &[u8], signature: &[u8]) -> Option<bool> {
        let key = self.0.get(index)?.as_ref()?;
        let valid = JsFuture::from(verify_with(key, message, signature))
            .await
            .ok()?;
        valid.as_bool()
    }
}
