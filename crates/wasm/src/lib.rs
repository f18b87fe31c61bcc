//! Placeholder: the wasm-bindgen exports land here (see README).
