//! Host crypto: the raw signature check of an asymmetric key delegated to the platform
//! (Node's `crypto.verify`, a worker's `node:crypto`), which is many times faster than the
//! pure-Rust code compiled to wasm for ECDSA and RSA.
//!
//! Only the last arithmetic step moves. The token is still split, decoded and parsed here,
//! the algorithm still comes from the allow-list, the key from `kid` and the key's own
//! algorithm, and every claim and revocation rule still runs here. The host is handed the
//! index of the key the verifier already selected, the signing input and the signature.
//!
//! The host's verifier (OpenSSL in Node) and the pure-Rust one must accept exactly the same
//! signatures, so whatever they could disagree on is decided here first, for both paths
//! ([`check_signature`]):
//! - exact signature length (EdDSA 64, ES256 64, ES384 96, ES512 132, RSA the modulus size);
//! - ECDSA: `r` and `s` in `[1, n-1]` (both accept a high `s`: neither normalizes);
//! - RSA: the signature as an integer below the modulus (RFC 8017 §5.2.2 step 1; the `rsa`
//!   crate's PSS path does not check it, so `s + n` would have been a second accepted form);
//! - Ed25519: `S` below the group order, and `R` not one of the eight small-order points
//!   (ed25519-dalek's `verify_strict` rejects those; OpenSSL's cofactorless check accepts a
//!   small-order `R` that its key's owner crafted). Public keys are canonical and not of
//!   small order already (checked at import).
//!
//! PSS salt length: RFC 7518 §3.5 fixes it to the hash size; the pure-Rust path checks that
//! exactly, and the host must be asked for exactly that length too (Node: `saltLength`).
//! HMAC keys never go to the host: the check is cheaper in wasm than one call into Node's
//! crypto, and the secret stays in the verifier.

use alloc::string::String;
#[cfg(feature = "serde")]
use alloc::vec::Vec;

use crate::{
    jwk::{Key, KeyMaterial},
    KeySet,
};

/// A platform signature verifier (implemented by the wasm bindings over Node's
/// `crypto.verify`). See the module docs for what stays in Rust.
pub trait SignatureHost {
    /// Verifies `signature` over `message` with the key at `key_index` of the verifier's key
    /// set ([`KeySet::keys`] order; the host prepared its keys from [`KeySet::host_jwks`]),
    /// with that key's own algorithm. `Some(valid)` is final; `None` means the host cannot
    /// check this key (no such key, an algorithm it lacks, an internal error), and the
    /// pure-Rust code decides instead.
    fn verify(&self, key_index: usize, message: &[u8], signature: &[u8]) -> Option<bool>;
}

impl KeySet {
    /// The public JWK of every key, in key-set order, for a [`SignatureHost`] to import
    /// (`None` for HMAC keys, which are always checked here). The members are the ones the
    /// core validated and re-encoded (`kty`, `crv`, `x`, `y` / `n`, `e`, `alg`, `use`, `kid`).
    /// (Feature `serde`; [`KeySet::host_jwks_json`] gives the same as JSON text.)
    #[cfg(feature = "serde")]
    pub fn host_jwks(&self) -> Vec<Option<serde_json::Value>> {
        self.keys.iter().map(Key::to_public_jwk).collect()
    }

    /// [`KeySet::host_jwks`] as JSON text: an array with one public JWK object per key, in
    /// key-set order, `null` for HMAC keys.
    #[inline(never)]
    pub fn host_jwks_json(&self) -> String {
        let mut out = String::from("[");
        for (i, key) in self.keys.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(key.to_public_jwk_json().as_deref().unwrap_or("null"));
        }
        out.push(']');
        out
    }
}

/// The canonical encodings of the eight points of order dividing 8 on edwards25519 (the
/// identity, the point of order 2, two of order 4, four of order 8). A non-canonical
/// encoding of `R` never equals the recomputed canonical one, so both paths reject it
/// anyway; these are the only small-order `R` values a signature could still pass with.
const SMALL_ORDER_R: [[u8; 32]; 8] = [
    hex("0100000000000000000000000000000000000000000000000000000000000000"),
    hex("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"),
    hex("0000000000000000000000000000000000000000000000000000000000000000"),
    hex("0000000000000000000000000000000000000000000000000000000000000080"),
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a"),
    hex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa"),
    hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"),
    hex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"),
];

/// The Ed25519 group order L, little-endian.
const ED25519_ORDER: [u8; 32] =
    hex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");

/// Bytes from lowercase hex of exactly `2 * N` digits, at compile time (the constants here and
/// in `alg/params.rs`).
pub(crate) const fn hex<const N: usize>(s: &str) -> [u8; N] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not lowercase hex"),
        }
    }
    let s = s.as_bytes();
    assert!(s.len() == 2 * N, "wrong number of hex digits");
    let mut out = [0_u8; N];
    let mut i = 0;
    while i < N {
        out[i] = (nibble(s[2 * i]) << 4) | nibble(s[2 * i + 1]);
        i += 1;
    }
    out
}

/// `a < b` for little-endian integers of equal length.
#[inline]
fn less_le(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().rev().zip(b.iter().rev()) {
        if x != y {
            return x < y;
        }
    }
    false
}

/// The checks both paths share (module docs): false means the signature fails whatever the
/// arithmetic would say.
#[inline]
pub(crate) fn precheck(key: &Key, signature: &[u8]) -> bool {
    match &key.material {
        KeyMaterial::Hmac(_) => true,
        KeyMaterial::Ed25519(_) => {
            let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
                return false;
            };
            let (r, s) = signature.split_at(32);
            less_le(s, &ED25519_ORDER) && !SMALL_ORDER_R.iter().any(|small| small == r)
        }
        #[cfg(feature = "ecdsa")]
        KeyMaterial::Ec(ec) => ec.signature_in_range(signature),
        #[cfg(feature = "rsa")]
        KeyMaterial::Rsa(rsa) => rsa.signature_below_modulus(signature),
        #[cfg(feature = "host-keys")]
        KeyMaterial::Host(key) => key.precheck(signature),
    }
}

/// Step 7 of verification: the shared prechecks, then the host (for a non-HMAC key, when
/// there is one and it can check the key) or the pure-Rust verifier.
#[inline]
pub(crate) fn check_signature(
    keys: &KeySet,
    key: &Key,
    host: Option<&dyn SignatureHost>,
    message: &[u8],
    signature: &[u8],
) -> bool {
    if !precheck(key, signature) {
        return false;
    }
    if let Some(host) = host {
        if !matches!(key.material, KeyMaterial::Hmac(_)) {
            let index = keys.keys.iter().position(|k| core::ptr::eq(k, key));
            if let Some(valid) = index.and_then(|i| host.verify(i, message, signature)) {
                return valid;
            }
        }
    }
    key.verify(message, signature)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_order_encodings_are_the_eight_torsion_points() {
        for (i, bytes) in SMALL_ORDER_R.iter().enumerate() {
            let point = ed25519_dalek::VerifyingKey::from_bytes(bytes).unwrap();
            assert!(point.is_weak(), "entry {i} is not of small order");
            assert_eq!(
                point.to_edwards().compress().as_bytes(),
                bytes,
                "entry {i} is not canonical"
            );
            assert!(!SMALL_ORDER_R[..i].contains(bytes), "entry {i} repeats");
        }
    }

    #[test]
    fn integer_comparisons() {
        assert!(less_le(&[1, 0], &[2, 0]));
        assert!(less_le(&[9, 0], &[0, 1]));
        assert!(!less_le(&[0, 1], &[9, 0]));
        assert!(!less_le(&[5, 5], &[5, 5]));
    }

    #[test]
    fn ed25519_order_is_l() {
        // L = 2^252 + 27742317777372353535851937790883648493.
        assert_eq!(ED25519_ORDER[31], 0x10);
        assert_eq!(&ED25519_ORDER[..4], &[0xed, 0xd3, 0xf5, 0x5c]);
    }
}
