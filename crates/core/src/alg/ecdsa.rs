//! ECDSA: ES256 (P-256), ES384 (P-384), ES512 (P-521). Public keys and verification are
//! revocable-asym's (a crate compiled for size: see its Cargo.toml); signing (feature `sign`)
//! uses jwt-compact's `Es256` for ES256, and RustCrypto's p384 / p521 directly for ES384 /
//! ES512 (jwt-compact 0.8 has neither).
//!
//! Signatures are the JWS form (RFC 7518 §3.4): raw `r || s`, each left-padded to the
//! curve's field size (64, 96, 132 bytes). A DER signature has another length and fails
//! the length check before any parsing. Signing is deterministic (RFC 6979), so it needs
//! no randomness: p256 and p384 do that themselves; p521 0.13 only signs with an RNG, so
//! ES512 derives `k` here with RFC 6979's HMAC-DRBG over SHA-512 (checked against the
//! RFC 6979 A.2.7 vector in the tests).

use alloc::vec::Vec;

use revocable_asym::ec::EcKey;

pub(crate) use super::params::Curve;
use crate::Error;

/// `ES384`: ECDSA on P-384 with SHA-384 and the RFC 6979 nonce (p384's `DigestSigner`).
#[cfg(feature = "sign")]
fn es384_sign(key: &p384::ecdsa::SigningKey, message: &[u8]) -> p384::ecdsa::Signature {
    use p384::ecdsa::signature::DigestSigner as _;
    use sha2::Digest as _;
    key.sign_digest(sha2::Sha384::new_with_prefix(message))
}

/// `ES512`: ECDSA on P-521 with SHA-512 and the RFC 6979 nonce.
#[cfg(feature = "sign")]
fn es512_sign(key: &p521::ecdsa::SigningKey, message: &[u8]) -> p521::ecdsa::Signature {
    use sha2::Digest as _;
    p521_sign_rfc6979(key, &sha2::Sha512::digest(message))
}

#[cfg(feature = "sign")]
/// ECDSA P-521 signature of a SHA-512 digest with the RFC 6979 §3.2 nonce.
///
/// qlen = 521, hlen = 512: `bits2octets(h)` is `h` left-padded to 66 bytes (h < 2^512 < q,
/// so no reduction), `int2octets(x)` is the 66-byte scalar, and each candidate `k` is the
/// leftmost 521 bits of 66 DRBG output bytes. rfc6979's `HmacDrbg` is exactly steps
/// 3.2.b-g (instantiate) and 3.2.h (generate, then update K and V after each candidate).
fn p521_sign_rfc6979(key: &p521::ecdsa::SigningKey, digest: &[u8]) -> p521::ecdsa::Signature {
    use p521::{elliptic_curve::PrimeField as _, FieldBytes, NistP521, Scalar};
    use zeroize::Zeroize as _;

    let mut z = FieldBytes::default();
    z[66 - digest.len()..].copy_from_slice(digest);
    let mut x = key.to_bytes();
    let mut drbg = rfc6979::HmacDrbg::<sha2::Sha512>::new(&x, &z, &[]);
    x.zeroize();
    let secret: &Scalar = key.as_nonzero_scalar().as_ref();
    loop {
        let mut t = [0_u8; 66];
        drbg.fill_bytes(&mut t);
        // bits2int: keep the leftmost 521 of the 528 bits (shift right by 7).
        let mut k_bytes = FieldBytes::default();
        for i in (1..66).rev() {
            k_bytes[i] = (t[i] >> 7) | (t[i - 1] << 1);
        }
        k_bytes[0] = t[0] >> 7;
        t.zeroize();
        let k = Scalar::from_repr(k_bytes);
        k_bytes.zeroize();
        // k must be in [1, q-1]; r and s must be non-zero. Otherwise take the next candidate
        // (probability about 2^-260 each).
        if let Some(k) = Option::<Scalar>::from(k) {
            if let Ok((signature, _)) = ecdsa::hazmat::sign_prehashed::<NistP521, _>(secret, k, &z)
            {
                return signature;
            }
        }
    }
}

/// An ECDSA public key, decoded and checked to be on its curve at import.
#[derive(Clone)]
pub(crate) struct EcPublic(pub(crate) EcKey);

fn sec1_uncompressed(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut point = Vec::with_capacity(1 + x.len() + y.len());
    point.push(4);
    point.extend_from_slice(x);
    point.extend_from_slice(y);
    point
}

impl EcPublic {
    /// From the JWK's `x` and `y`, which RFC 7518 §6.2.1.2 requires at full length.
    /// The point must be on the curve and not the identity.
    pub(crate) fn from_coordinates(curve: Curve, x: &[u8], y: &[u8]) -> Result<Self, Error> {
        if x.len() != curve.size() || y.len() != curve.size() {
            return Err(Error::InvalidJwk(
                "ec coordinates must be exactly the curve's field size",
            ));
        }
        let point = sec1_uncompressed(x, y);
        let key = match curve {
            Curve::P256 => EcKey::p256(&point),
            Curve::P384 => EcKey::p384(&point),
            Curve::P521 => EcKey::p521(&point),
        };
        key.map(Self).ok_or(Error::InvalidJwk(
            "ec public key is not a point on its curve",
        ))
    }

    pub(crate) fn curve(&self) -> Curve {
        match self.0 {
            EcKey::P256(_) => Curve::P256,
            EcKey::P384(_) => Curve::P384,
            EcKey::P521(_) => Curve::P521,
        }
    }

    /// The uncompressed SEC1 encoding `04 || x || y`.
    pub(crate) fn to_sec1(&self) -> Vec<u8> {
        self.0.to_sec1()
    }

    /// `(x, y)` at full length, for JWK export.
    pub(crate) fn coordinates(&self) -> (Vec<u8>, Vec<u8>) {
        let sec1 = self.to_sec1();
        let size = self.curve().size();
        let x = sec1.get(1..=size).unwrap_or_default().to_vec();
        let y = sec1.get(1 + size..).unwrap_or_default().to_vec();
        (x, y)
    }

    /// `r || s` at the curve's length with `r`, `s` in `[1, n-1]`.
    pub(crate) fn signature_in_range(&self, signature: &[u8]) -> bool {
        self.0.signature_in_range(signature)
    }

    /// Verifies a JWS ECDSA signature: exactly `r || s` at the curve's length (a DER
    /// signature fails here), then the arithmetic.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        signature.len() == self.0.signature_len() && self.0.verify(message, signature)
    }
}

/// An ECDSA private key (feature `sign`).
#[cfg(feature = "sign")]
#[derive(Clone)]
pub(crate) enum EcPrivate {
    P256(p256::ecdsa::SigningKey),
    P384(p384::ecdsa::SigningKey),
    P521(p521::ecdsa::SigningKey),
}

#[cfg(feature = "sign")]
impl EcPrivate {
    /// From the scalar `d` (exactly the field size, RFC 7518 §6.2.2.1). Fails for zero and
    /// for values not below the group order.
    pub(crate) fn from_scalar(curve: Curve, d: &[u8]) -> Result<Self, Error> {
        if d.len() != curve.size() {
            return Err(Error::InvalidJwk(
                "ec private scalar must be exactly the curve's field size",
            ));
        }
        let invalid = |_| Error::InvalidJwk("ec private scalar is zero or not below the order");
        Ok(match curve {
            Curve::P256 => Self::P256(p256::ecdsa::SigningKey::from_slice(d).map_err(invalid)?),
            Curve::P384 => Self::P384(p384::ecdsa::SigningKey::from_slice(d).map_err(invalid)?),
            Curve::P521 => Self::P521(p521::ecdsa::SigningKey::from_slice(d).map_err(invalid)?),
        })
    }

    pub(crate) fn public(&self) -> EcPublic {
        match self {
            Self::P256(key) => EcPublic(EcKey::P256(*key.verifying_key())),
            Self::P384(key) => EcPublic(EcKey::P384(*key.verifying_key())),
            Self::P521(key) => EcPublic(EcKey::P521(p521::ecdsa::VerifyingKey::from(key))),
        }
    }

    /// The scalar, big-endian at full length. Handle with care.
    pub(crate) fn scalar(&self) -> zeroize::Zeroizing<Vec<u8>> {
        zeroize::Zeroizing::new(match self {
            Self::P256(key) => key.to_bytes().to_vec(),
            Self::P384(key) => key.to_bytes().to_vec(),
            Self::P521(key) => key.to_bytes().to_vec(),
        })
    }

    /// The JWS signature `r || s` of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        use jwt_compact::Algorithm as _;
        match self {
            Self::P256(key) => jwt_compact::alg::Es256
                .sign(key, message)
                .to_bytes()
                .to_vec(),
            Self::P384(key) => es384_sign(key, message).to_bytes().to_vec(),
            Self::P521(key) => es512_sign(key, message).to_bytes().to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "sign")]
    use crate::test_support::hex;

    /// RFC 6979 A.2.7 (P-521, SHA-512, message "sample"): the deterministic signature.
    #[cfg(feature = "sign")]
    #[test]
    fn es512_signing_matches_rfc6979() {
        let x = hex("00FAD06DAA62BA3B25D2FB40133DA757205DE67F5BB0018FEE8C86E1B68C7E75CAA896EB32F1F47C70855836A6D16FCC1466F6D8FBEC67DB89EC0C08B0E996B83538");
        let key = p521::ecdsa::SigningKey::from_slice(&x).unwrap();
        let bytes = EcPrivate::P521(key.clone()).sign(b"sample");
        let r = hex("00C328FAFCBD79DD77850370C46325D987CB525569FB63C5D3BC53950E6D4C5F174E25A1EE9017B5D450606ADD152B534931D7D4E8455CC91F9B15BF05EC36E377FA");
        let s = hex("00617CCE7CF5064806C467F678D3B4080D6F1CC50AF26CA209417308281B68AF282623EAA63E5B5C0723D8B8C37FF0777B1A20F8CCB1DCCC43997F1EE0E44DA4A67A");
        assert_eq!(&bytes[..66], &r[..]);
        assert_eq!(&bytes[66..], &s[..]);
        let public = EcPublic(EcKey::P521(p521::ecdsa::VerifyingKey::from(&key)));
        assert!(public.verify(b"sample", &bytes));
        assert!(!public.verify(b"samplf", &bytes));
    }

    /// RFC 6979 A.2.6 (P-384, SHA-384, "sample"): ES384 signing is deterministic too.
    #[cfg(feature = "sign")]
    #[test]
    fn es384_signing_matches_rfc6979() {
        let x = hex("6B9D3DAD2E1B8C1C05B19875B6659F4DE23C3B667BF297BA9AA47740787137D896D5724E4C70A825F872C9EA60D2EDF5");
        let key = p384::ecdsa::SigningKey::from_slice(&x).unwrap();
        let bytes = EcPrivate::P384(key).sign(b"sample");
        let r = hex("94EDBB92A5ECB8AAD4736E56C691916B3F88140666CE9FA73D64C4EA95AD133C81A648152E44ACF96E36DD1E80FABE46");
        let s = hex("99EF4AEB15F178CEA1FE40DB2603138F130E740A19624526203B6351D0A3A94FA329C145786E679E7B82C71A38628AC8");
        assert_eq!(&bytes[..48], &r[..]);
        assert_eq!(&bytes[48..], &s[..]);
    }

    #[test]
    fn rejects_off_curve_points_and_short_coordinates() {
        assert!(EcPublic::from_coordinates(Curve::P256, &[1; 32], &[2; 32]).is_err());
        assert!(EcPublic::from_coordinates(Curve::P256, &[1; 31], &[2; 32]).is_err());
        assert!(EcPublic::from_coordinates(Curve::P521, &[0; 66], &[0; 66]).is_err());
    }

    #[test]
    fn zero_and_overlong_signatures_fail() {
        let key = p384::ecdsa::SigningKey::from_slice(&[3; 48]).unwrap();
        let public = EcPublic(EcKey::P384(*key.verifying_key()));
        assert!(!public.verify(b"m", &[0; 96]));
        assert!(!public.verify(b"m", &[0; 97]));
        assert!(!public.verify(b"m", &[]));
    }
}
