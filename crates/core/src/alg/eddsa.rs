//! EdDSA (Ed25519): keys are ed25519-dalek's; verification with its `verify_strict`, signing
//! (feature `sign`) with jwt-compact's `Ed25519`.
//!
//! Why not jwt-compact's `Ed25519::verify_signature`: it calls ed25519-dalek's lenient
//! `verify`, which accepts a signature whose `R` is a small-order point (the key's owner
//! can make one; RFC 8032 signers never do). `verify_strict` rejects small-order `R` and
//! `A`, and, like `verify`, a non-canonical `S` (RFC 8032 §5.1.7) and a non-canonical `R`
//! (the recomputed `R` is compared as its canonical encoding). Honest signatures verify the
//! same way under both; the strict one leaves no second accepted form.

#[cfg(feature = "sign")]
use alloc::vec::Vec;

use ed25519_dalek::VerifyingKey;

use crate::Error;

/// Decodes and validates a public key (the JWK's `x`): 32 bytes, a valid and canonical point
/// encoding (RFC 8032 §5.1.3: `y < p`; ed25519-dalek would reduce `y` instead, giving one
/// key a second encoding), and not one of the small-order ("weak") points, for which
/// signatures prove nothing. The decompressed point is kept, so verification does not
/// decompress it again.
pub(crate) fn public_key(x: &[u8]) -> Result<VerifyingKey, Error> {
    let bytes: &[u8; 32] = x
        .try_into()
        .map_err(|_| Error::InvalidJwk("ed25519 public key must be 32 bytes"))?;
    let key = VerifyingKey::from_bytes(bytes)
        .map_err(|_| Error::InvalidJwk("ed25519 public key is not a valid point"))?;
    if key.to_edwards().compress().as_bytes() != bytes {
        return Err(Error::InvalidJwk(
            "ed25519 public key is not canonically encoded",
        ));
    }
    if key.is_weak() {
        return Err(Error::InvalidJwk(
            "ed25519 public key is a small-order point",
        ));
    }
    Ok(key)
}

/// Strict RFC 8032 verification; a signature that is not exactly 64 bytes fails.
#[inline]
pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    let Ok(signature) = <&[u8; 64]>::try_from(signature) else {
        return false;
    };
    key.verify_strict(message, &ed25519_dalek::Signature::from_bytes(signature))
        .is_ok()
}

#[cfg(feature = "sign")]
pub(crate) fn sign(key: &ed25519_dalek::SigningKey, message: &[u8]) -> Vec<u8> {
    use jwt_compact::Algorithm as _;
    jwt_compact::alg::Ed25519
        .sign(key, message)
        .to_bytes()
        .to_vec()
}

/// The small-order-R signature construction, shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/verify/small_order.rs"]
mod small_order;

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::Verifier as _;

    /// A signature whose R is the identity (a small-order point), made by the key's owner
    /// (tests/verify/small_order.rs): ed25519-dalek's lenient `verify` accepts it; revocable
    /// verifies with `verify_strict`, which rejects small-order R.
    #[test]
    fn small_order_r_is_rejected() {
        let signing = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
        let public = public_key(signing.verifying_key().as_bytes()).unwrap();
        let message = b"eyJhbGciOiJFZERTQSJ9.e30";
        let signature = super::small_order::small_order_r_signature(&signing, message);
        let lenient = public.verify(message, &ed25519_dalek::Signature::from_bytes(&signature));
        assert!(
            lenient.is_ok(),
            "the construction must pass the lenient check"
        );
        assert!(!verify(&public, message, &signature));
        // An honest signature of the same key still verifies.
        assert!(verify(&public, message, &sign_raw(&signing, message)));
    }

    /// S must be below the group order (RFC 8032 §5.1.7): S + L is the same scalar but a
    /// second encoding (malleability).
    #[test]
    fn non_canonical_s_is_rejected() {
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9,
            0xde, 0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let signing = ed25519_dalek::SigningKey::from_bytes(&[9; 32]);
        let public = public_key(signing.verifying_key().as_bytes()).unwrap();
        let message = b"header.payload";
        let mut signature = sign_raw(&signing, message);
        assert!(verify(&public, message, &signature));
        let mut carry = 0_u16;
        for (s, l) in signature[32..].iter_mut().zip(L) {
            let sum = u16::from(*s) + u16::from(l) + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0);
        assert!(!verify(&public, message, &signature));
    }

    fn sign_raw(key: &ed25519_dalek::SigningKey, message: &[u8]) -> [u8; 64] {
        use ed25519_dalek::Signer as _;
        key.sign(message).to_bytes()
    }

    /// RFC 8032 §5.1.3: an encoding of y >= p must fail to decode. ed25519-dalek reduces it
    /// instead, which would give one key two encodings.
    #[test]
    fn non_canonical_public_key_encodings_are_rejected() {
        for delta in [3_u8, 4, 9] {
            // y = p + delta, with p = 2^255 - 19: little-endian ed ff .. ff 7f plus delta.
            let mut y = [0xff_u8; 32];
            y[0] = 0xed + delta;
            y[31] = 0x7f;
            assert_eq!(
                public_key(&y).unwrap_err(),
                Error::InvalidJwk("ed25519 public key is not canonically encoded"),
                "y = p + {delta}"
            );
            // The canonical encoding of the same point (y = delta) is a valid key.
            let mut canonical = [0_u8; 32];
            canonical[0] = delta;
            assert!(public_key(&canonical).is_ok(), "y = {delta}");
        }
    }

    #[test]
    fn rejects_bad_public_keys() {
        assert!(public_key(&[0; 31]).is_err());
        assert!(public_key(&[0; 33]).is_err());
        // The identity point (small order).
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        assert!(public_key(&identity).is_err());
        // RFC 8037 A.4 public key.
        let x = crate::b64::decode_vec(b"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert!(public_key(&x).is_ok());
    }
}
