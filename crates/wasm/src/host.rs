//! The host-crypto callback: a JS object (js/src/host-crypto.js) that checks signatures with
//! Node's `crypto.verify`, seen by the core as a [`SignatureHost`]. The core keeps every
//! decision but the arithmetic (see `revocable_core::SignatureHost`).

use revocable_core::SignatureHost;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `{ verify(keyIndex, message, signature) -> 1 | 0 | -1 }`: valid, invalid, or "cannot
    /// check this key" (the pure-Rust code decides). `message` and `signature` are views of
    /// wasm memory, valid only during the call.
    pub type HostCrypto;

    #[wasm_bindgen(method, structural, catch)]
    fn verify(
        this: &HostCrypto,
        key_index: u32,
        message: &[u8],
        signature: &[u8],
    ) -> Result<i32, JsValue>;
}

/// A borrowed [`HostCrypto`] for one verification.
pub(crate) struct Host<'a>(pub(crate) &'a HostCrypto);

impl SignatureHost for Host<'_> {
    fn verify(&self, key_index: usize, message: &[u8], signature: &[u8]) -> Option<bool> {
        let index = u32::try_from(key_index).ok()?;
        // A throwing host (a runtime whose crypto lacks the algorithm) falls back to Rust.
        match self.0.verify(index, message, signature) {
            Ok(1) => Some(true),
            Ok(0) => Some(false),
            _ => None,
        }
    }
}
