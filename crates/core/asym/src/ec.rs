//! ECDSA public keys and verification: ES256 (P-256, SHA-256), ES384 (P-384, SHA-384),
//! ES512 (P-521, SHA-512), signatures in the JWS form `r || s` (RFC 7518 §3.4).

use alloc::vec::Vec;

use p384::ecdsa::signature::hazmat::PrehashVerifier as _;
use sha2::{Digest as _, Sha256, Sha384, Sha512};

/// An ECDSA public key on one of the three curves, checked to be a point on it (not the
/// identity) when decoded.
#[derive(Clone)]
pub enum EcKey {
    /// P-256 (ES256).
    P256(p256::ecdsa::VerifyingKey),
    /// P-384 (ES384).
    P384(p384::ecdsa::VerifyingKey),
    /// P-521 (ES512).
    P521(p521::ecdsa::VerifyingKey),
}

impl core::fmt::Debug for EcKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // p521's key has no Debug; the curve is what matters here.
        f.write_str(match self {
            Self::P256(_) => "EcKey::P256",
            Self::P384(_) => "EcKey::P384",
            Self::P521(_) => "EcKey::P521",
        })
    }
}

impl EcKey {
    /// A P-256 key from its SEC1 encoding; `None` when it is not a point on the curve.
    #[inline(never)]
    pub fn p256(sec1: &[u8]) -> Option<Self> {
        p256::ecdsa::VerifyingKey::from_sec1_bytes(sec1)
            .ok()
            .map(Self::P256)
    }

    /// A P-384 key from its SEC1 encoding; `None` when it is not a point on the curve.
    #[inline(never)]
    pub fn p384(sec1: &[u8]) -> Option<Self> {
        p384::ecdsa::VerifyingKey::from_sec1_bytes(sec1)
            .ok()
            .map(Self::P384)
    }

    /// A P-521 key from its SEC1 encoding; `None` when it is not a point on the curve.
    #[inline(never)]
    pub fn p521(sec1: &[u8]) -> Option<Self> {
        p521::ecdsa::VerifyingKey::from_sec1_bytes(sec1)
            .ok()
            .map(Self::P521)
    }

    /// The uncompressed SEC1 encoding `04 || x || y`.
    #[inline(never)]
    pub fn to_sec1(&self) -> Vec<u8> {
        match self {
            Self::P256(key) => key.to_encoded_point(false).as_bytes().to_vec(),
            Self::P384(key) => key.to_encoded_point(false).as_bytes().to_vec(),
            Self::P521(key) => key.to_encoded_point(false).as_bytes().to_vec(),
        }
    }

    /// The signature length of this key's curve: `r || s`, each the scalar size.
    pub fn signature_len(&self) -> usize {
        match self {
            Self::P256(_) => 64,
            Self::P384(_) => 96,
            Self::P521(_) => 132,
        }
    }

    /// True when `signature` is `r || s` at this curve's length with `r` and `s` in
    /// `[1, n-1]`. A high `s` is accepted (ECDSA signatures are malleable; neither this
    /// crate nor OpenSSL normalizes them).
    #[inline(never)]
    pub fn signature_in_range(&self, signature: &[u8]) -> bool {
        match self {
            Self::P256(_) => p256::ecdsa::Signature::try_from(signature).is_ok(),
            Self::P384(_) => p384::ecdsa::Signature::try_from(signature).is_ok(),
            Self::P521(_) => p521::ecdsa::Signature::try_from(signature).is_ok(),
        }
    }

    /// Verifies `signature` (`r || s`) over `message` with the curve's hash.
    #[inline(never)]
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::P256(key) => p256::ecdsa::Signature::try_from(signature)
                .is_ok_and(|sig| key.verify_prehash(&Sha256::digest(message), &sig).is_ok()),
            Self::P384(key) => p384::ecdsa::Signature::try_from(signature)
                .is_ok_and(|sig| key.verify_prehash(&Sha384::digest(message), &sig).is_ok()),
            Self::P521(key) => p521::ecdsa::Signature::try_from(signature)
                .is_ok_and(|sig| key.verify_prehash(&Sha512::digest(message), &sig).is_ok()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The group orders, big-endian (SEC 2): `n - 1` is in range, `n` and `0` are not (which
    /// also checks these constants against the crates).
    fn order(key: &EcKey) -> Vec<u8> {
        let hex = match key {
            EcKey::P256(_) => "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551",
            EcKey::P384(_) => "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973",
            EcKey::P521(_) => "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409",
        };
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    fn keys() -> Vec<EcKey> {
        let p256 = p256::ecdsa::SigningKey::from_slice(&[7; 32]).unwrap();
        let p384 = p384::ecdsa::SigningKey::from_slice(&[7; 48]).unwrap();
        let mut d = [7; 66];
        d[0] = 1;
        let p521 = p521::ecdsa::SigningKey::from_slice(&d).unwrap();
        vec![
            EcKey::p256(p256.verifying_key().to_encoded_point(false).as_bytes()).unwrap(),
            EcKey::p384(p384.verifying_key().to_encoded_point(false).as_bytes()).unwrap(),
            EcKey::p521(
                p521::ecdsa::VerifyingKey::from(&p521)
                    .to_encoded_point(false)
                    .as_bytes(),
            )
            .unwrap(),
        ]
    }

    #[test]
    fn signature_ranges() {
        for key in keys() {
            let n = order(&key);
            let half = key.signature_len() / 2;
            let pair = |r: &[u8], s: &[u8]| [r, s].concat();
            let mut one = vec![0; half];
            one[half - 1] = 1;
            let mut n_minus_1 = n.clone();
            *n_minus_1.last_mut().unwrap() -= 1;
            assert!(key.signature_in_range(&pair(&one, &one)));
            assert!(key.signature_in_range(&pair(&n_minus_1, &n_minus_1)));
            assert!(!key.signature_in_range(&pair(&n, &one)));
            assert!(!key.signature_in_range(&pair(&one, &n)));
            assert!(!key.signature_in_range(&pair(&vec![0; half], &one)));
            assert!(!key.signature_in_range(&pair(&one, &vec![0; half])));
            assert!(!key.signature_in_range(&one));
            assert!(!key.verify(b"m", &pair(&one, &one)));
        }
    }

    #[test]
    fn points_must_be_on_the_curve() {
        for key in keys() {
            let mut sec1 = key.to_sec1();
            let last = sec1.len() - 1;
            sec1[last] ^= 1;
            let decoded = match key {
                EcKey::P256(_) => EcKey::p256(&sec1),
                EcKey::P384(_) => EcKey::p384(&sec1),
                EcKey::P521(_) => EcKey::p521(&sec1),
            };
            assert!(decoded.is_none());
        }
    }
}
