//! RSA public keys and verification: RS256/384/512 (PKCS#1 v1.5) and PS256/384/512 (PSS with
//! MGF1 over the same hash and a salt of the hash's length, RFC 7518 §3.5).

use alloc::vec::Vec;

use rsa::{traits::PublicKeyParts as _, BigUint, Pkcs1v15Sign, Pss};
use sha2::{
    digest::{const_oid::AssociatedOid, DynDigest},
    Digest, Sha256, Sha384, Sha512,
};

pub use rsa::RsaPublicKey;

use crate::Hash;

/// The signature padding of an RSA JWS algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Padding {
    /// RSASSA-PKCS1-v1_5 (`RS*`).
    Pkcs1v15,
    /// RSASSA-PSS (`PS*`).
    Pss,
}

/// A public key from the big-endian modulus and exponent (no leading zero octets), with the
/// `rsa` crate's checks: `n` odd and at most `max_bits`, `e` odd, `2 < e <= 2^33 - 1`,
/// `e < n`. `None` when they fail.
#[inline(never)]
pub fn public_key(n: &[u8], e: &[u8], max_bits: usize) -> Option<RsaPublicKey> {
    RsaPublicKey::new_with_max_size(
        BigUint::from_bytes_be(n),
        BigUint::from_bytes_be(e),
        max_bits,
    )
    .ok()
}

/// The modulus length in bytes (the signature length).
#[inline(never)]
pub fn size(key: &RsaPublicKey) -> usize {
    key.size()
}

/// True when `signature` is exactly the modulus length and, as an integer, below the modulus
/// (RFC 8017 §5.2.2 step 1: the `rsa` crate checks it for PKCS#1 v1.5, not for PSS).
#[inline(never)]
pub fn signature_below_modulus(key: &RsaPublicKey, signature: &[u8]) -> bool {
    // Parsing the signature into digits is cheaper than serializing the modulus.
    signature.len() == key.size() && BigUint::from_bytes_be(signature) < *key.n()
}

/// Verifies `signature` over `message` (the caller checked the length and the range).
#[inline(never)]
pub fn verify(
    key: &RsaPublicKey,
    hash: Hash,
    padding: Padding,
    message: &[u8],
    signature: &[u8],
) -> bool {
    match hash {
        Hash::Sha256 => verify_with::<Sha256>(key, padding, message, signature),
        Hash::Sha384 => verify_with::<Sha384>(key, padding, message, signature),
        Hash::Sha512 => verify_with::<Sha512>(key, padding, message, signature),
    }
}

/// [`verify`] with the hash `D`: the PSS salt is the hash's length.
fn verify_with<D>(key: &RsaPublicKey, padding: Padding, message: &[u8], signature: &[u8]) -> bool
where
    D: Digest + AssociatedOid + DynDigest + Send + Sync + 'static,
{
    let digest = D::digest(message);
    let result = match padding {
        Padding::Pkcs1v15 => key.verify(Pkcs1v15Sign::new::<D>(), &digest, signature),
        Padding::Pss => key.verify(
            Pss::new_with_salt::<D>(<D as Digest>::output_size()),
            &digest,
            signature,
        ),
    };
    result.is_ok()
}

/// The modulus and exponent, big-endian without leading zeros.
#[inline(never)]
pub fn components(key: &RsaPublicKey) -> (Vec<u8>, Vec<u8>) {
    (key.n().to_bytes_be(), key.e().to_bytes_be())
}
