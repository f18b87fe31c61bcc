//! Core errors -> JS errors carrying the stable `code`, `claim` and `reason`.

use js_sys::{Error as JsError, Reflect};
use revocable_core::Error;
use wasm_bindgen::JsValue;

/// Converts a core error into a JS `Error` with `name = "JwtError"`, `code`, and, where
/// the core has them, `claim` and `reason`. The JS wrapper re-throws it as its `JwtError`
/// class; the message is the core's (lowercase, never the token, key or payload).
pub(crate) fn to_js(err: &Error) -> JsValue {
    // `message()`, not `to_string()`: no `core::fmt` machinery for messages in the wasm.
    let js = JsError::new(&err.message());
    js.set_name("JwtError");
    // Reflect::set on a fresh Error object cannot fail (it is extensible and has no
    // setters); ignoring the Result keeps this path panic-free all the same.
    let _ = Reflect::set(&js, &"code".into(), &err.code().into());
    if let Some(claim) = err.claim() {
        let _ = Reflect::set(&js, &"claim".into(), &claim.into());
    }
    if let Some(reason) = err.reason() {
        let _ = Reflect::set(&js, &"reason".into(), &reason.as_str().into());
    }
    js.into()
}

/// A JS `TypeError` for a caller mistake that is not about a token (e.g. a non-finite time):
/// the JS wrapper never makes it, so it is a programming error, not a `JwtError`.
pub(crate) fn type_error(message: &str) -> JsValue {
    js_sys::TypeError::new(message).into()
}
