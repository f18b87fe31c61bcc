//! RS256/384/512 and PS256/384/512: key checks here, the arithmetic in revocable-asym (the
//! `rsa` crate, compiled for size); signing (feature `sign`) with jwt-compact's `Rsa`.
//!
//! Key strength is checked at import: the modulus is at least 2048 bits (RFC 7518 §3.3,
//! §3.5) and at most 16384 (a bound on verification cost), the exponent odd and in the
//! `rsa` crate's range (3 ..= 2^33 - 1). The signature must be exactly the modulus length
//! (checked here, before any big-number work).

use alloc::{vec, vec::Vec};
use core::ops::Deref;

#[cfg(feature = "sign")]
use jwt_compact::alg::Rsa;
use revocable_asym::{
    rsa::{Padding, RsaPublicKey},
    Hash,
};

use crate::{Algorithm, Error};

use super::params::{rsa_sizes, MAX_MODULUS_BITS};

/// jwt-compact's algorithm value for an RS*/PS* [`Algorithm`].
#[cfg(feature = "sign")]
pub(crate) fn jwt_alg(alg: Algorithm) -> Option<Rsa> {
    Some(match alg {
        Algorithm::Rs256 => Rsa::rs256(),
        Algorithm::Rs384 => Rsa::rs384(),
        Algorithm::Rs512 => Rsa::rs512(),
        Algorithm::Ps256 => Rsa::ps256(),
        Algorithm::Ps384 => Rsa::ps384(),
        Algorithm::Ps512 => Rsa::ps512(),
        _ => return None,
    })
}

/// Checks the modulus size and builds the public key.
pub(crate) fn public_key(n: &[u8], e: &[u8]) -> Result<RsaPublicKey, Error> {
    let (n, e) = rsa_sizes(n, e)?;
    // The rsa crate checks: n odd, e odd, 2 < e <= 2^33 - 1, e < n.
    revocable_asym::rsa::public_key(n, e, MAX_MODULUS_BITS).ok_or(Error::InvalidJwk(
        "rsa public key has an invalid modulus or exponent",
    ))
}

/// Verifies an RS*/PS* signature. A signature that is not exactly the modulus length, or
/// whose integer is not below the modulus (RFC 8017 §5.2.2 step 1), fails: the `rsa` crate
/// checks the latter for PKCS#1 v1.5 but not for PSS, where `s + n` would verify like `s`.
/// (`host::check_signature` checks it too, before either path; this keeps the invariant
/// here for any other caller.)
pub(crate) fn verify(alg: Algorithm, key: &RsaPublicKey, message: &[u8], signature: &[u8]) -> bool {
    let (hash, padding) = match alg {
        Algorithm::Rs256 => (Hash::Sha256, Padding::Pkcs1v15),
        Algorithm::Rs384 => (Hash::Sha384, Padding::Pkcs1v15),
        Algorithm::Rs512 => (Hash::Sha512, Padding::Pkcs1v15),
        Algorithm::Ps256 => (Hash::Sha256, Padding::Pss),
        Algorithm::Ps384 => (Hash::Sha384, Padding::Pss),
        Algorithm::Ps512 => (Hash::Sha512, Padding::Pss),
        _ => return false,
    };
    revocable_asym::rsa::signature_below_modulus(key, signature)
        && revocable_asym::rsa::verify(key, hash, padding, message, signature)
}

/// A verification key: the public key, and its modulus as big-endian bytes of exactly the
/// signature length, so that the range check every signature gets before either path
/// ([`RsaKey::signature_below_modulus`]) is a byte comparison instead of a big-integer
/// conversion of the signature per token (measured: as much as the rest of the non-crypto
/// work of an RS256 verify in wasm besides the JSON).
#[derive(Clone, PartialEq)]
pub(crate) struct RsaKey {
    key: RsaPublicKey,
    modulus: Vec<u8>,
}

impl RsaKey {
    pub(crate) fn new(key: RsaPublicKey) -> Self {
        let (n, _) = components(&key);
        let size = revocable_asym::rsa::size(&key);
        let mut modulus = vec![0; size.saturating_sub(n.len())];
        modulus.extend_from_slice(&n);
        Self { key, modulus }
    }

    /// Exactly the modulus length, and below the modulus as an integer: for big-endian
    /// byte strings of equal length the lexicographic order is the integer order.
    #[inline]
    pub(crate) fn signature_below_modulus(&self, signature: &[u8]) -> bool {
        signature.len() == self.modulus.len() && signature < self.modulus.as_slice()
    }
}

impl Deref for RsaKey {
    type Target = RsaPublicKey;

    fn deref(&self) -> &RsaPublicKey {
        &self.key
    }
}

/// The modulus and exponent, big-endian without leading zeros (JWK export, thumbprints).
pub(crate) fn components(key: &RsaPublicKey) -> (Vec<u8>, Vec<u8>) {
    revocable_asym::rsa::components(key)
}

#[cfg(feature = "sign")]
pub(crate) use self::signing::*;

#[cfg(feature = "sign")]
mod signing {
    use alloc::vec::Vec;

    use jwt_compact::{alg::RsaPrivateKey, Algorithm as _, AlgorithmSignature as _};
    use rand_core::RngCore as _;
    use rsa::{
        traits::{PrivateKeyParts as _, PublicKeyParts as _},
        BigUint,
    };

    use super::jwt_alg;
    use crate::alg::params::unsigned;
    use crate::{Algorithm, Error};

    /// The members of an RSA private JWK (RFC 7518 §6.3.2), big-endian.
    pub(crate) struct PrivateParts<'a> {
        pub(crate) n: &'a [u8],
        pub(crate) e: &'a [u8],
        pub(crate) d: &'a [u8],
        pub(crate) p: &'a [u8],
        pub(crate) q: &'a [u8],
        pub(crate) dp: &'a [u8],
        pub(crate) dq: &'a [u8],
        pub(crate) qi: &'a [u8],
    }

    /// Builds and validates a two-prime private key: `p * q == n`, `d * e == 1` modulo
    /// `p - 1` and `q - 1` (the `rsa` crate's `validate`), and the supplied CRT values
    /// equal the ones derived from `d`, `p`, `q`. The `rsa` crate signs keys up to 4096 bits.
    pub(crate) fn private_key(parts: &PrivateParts<'_>) -> Result<RsaPrivateKey, Error> {
        let big = |bytes: &[u8]| BigUint::from_bytes_be(unsigned(bytes));
        let public = super::public_key(parts.n, parts.e)?;
        if public.n().bits() > 4096 {
            return Err(Error::NotSupported(
                "rsa signing keys longer than 4096 bits",
            ));
        }
        let key = RsaPrivateKey::from_components(
            big(parts.n),
            big(parts.e),
            big(parts.d),
            alloc::vec![big(parts.p), big(parts.q)],
        )
        .map_err(|_| Error::InvalidJwk("rsa private key is inconsistent"))?;
        let crt_matches = key.dp() == Some(&big(parts.dp))
            && key.dq() == Some(&big(parts.dq))
            && key.crt_coefficient() == Some(big(parts.qi));
        if !crt_matches {
            return Err(Error::InvalidJwk("rsa crt parameters do not match the key"));
        }
        Ok(key)
    }

    /// The private members for JWK export, big-endian.
    pub(crate) fn private_components(key: &RsaPrivateKey) -> Option<[Vec<u8>; 6]> {
        let [p, q] = key.primes() else { return None };
        Some([
            key.d().to_bytes_be(),
            p.to_bytes_be(),
            q.to_bytes_be(),
            key.dp()?.to_bytes_be(),
            key.dq()?.to_bytes_be(),
            key.crt_coefficient()?.to_bytes_be(),
        ])
    }

    /// Signs with jwt-compact's `Rsa`. PSS salts and PKCS#1 v1.5 blinding draw from the
    /// operating system's RNG (`OsRng`), which jwt-compact unwraps: it is probed first, so
    /// a target without a randomness source gets an error instead of a panic.
    pub(crate) fn sign(
        alg: Algorithm,
        key: &RsaPrivateKey,
        message: &[u8],
    ) -> Result<Vec<u8>, Error> {
        let rsa = jwt_alg(alg).ok_or(Error::AlgNotAllowed)?;
        let mut probe = [0_u8; 1];
        rand_core::OsRng
            .try_fill_bytes(&mut probe)
            .map_err(|_| Error::NotSupported("rsa signing without a randomness source"))?;
        Ok(rsa.sign(key, message).as_bytes().into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_range_check_is_the_integer_comparison() {
        let mut n = vec![0xc5_u8; 256];
        n[255] = 0x03;
        let key = RsaKey::new(public_key(&n, &[1, 0, 1]).unwrap());
        let mut cases = vec![
            n.clone(),
            vec![0; 256],
            vec![0xff; 256],
            vec![0xc5; 255],
            vec![0; 257],
        ];
        for (at, byte) in [
            (255, 0x02),
            (255, 0x04),
            (0, 0xc4),
            (0, 0xc6),
            (100, 0xc4),
            (100, 0xc6),
        ] {
            let mut sig = n.clone();
            sig[at] = byte;
            cases.push(sig);
        }
        for sig in cases {
            let expected = sig.len() == 256
                && ::rsa::BigUint::from_bytes_be(&sig) < ::rsa::BigUint::from_bytes_be(&n);
            assert_eq!(key.signature_below_modulus(&sig), expected, "{sig:x?}");
            assert_eq!(
                revocable_asym::rsa::signature_below_modulus(&key, &sig),
                expected
            );
        }
    }

    #[test]
    fn rejects_weak_and_absurd_moduli() {
        let mut n = vec![0xff_u8; 128]; // 1024 bits
        n[127] |= 1;
        assert_eq!(
            public_key(&n, &[1, 0, 1]).unwrap_err(),
            Error::InvalidJwk("rsa modulus is shorter than 2048 bits")
        );
        let mut n = vec![0xff_u8; 2049]; // 16392 bits
        n[2048] |= 1;
        assert_eq!(
            public_key(&n, &[1, 0, 1]).unwrap_err(),
            Error::InvalidJwk("rsa modulus is longer than 16384 bits")
        );
        // 2047 bits, even with a leading zero octet.
        let mut n = vec![0x7f_u8; 256];
        n[255] |= 1;
        let mut padded = vec![0];
        padded.extend_from_slice(&n);
        assert!(public_key(&padded, &[1, 0, 1]).is_err());
        assert!(public_key(&[0; 300], &[1, 0, 1]).is_err());
        assert!(public_key(&[], &[1, 0, 1]).is_err());
    }

    #[test]
    fn rejects_bad_exponents() {
        let mut n = vec![0xff_u8; 256];
        n[255] |= 1;
        assert!(public_key(&n, &[1, 0, 1]).is_ok());
        assert!(public_key(&n, &[1]).is_err());
        assert!(public_key(&n, &[2]).is_err());
        assert!(public_key(&n, &[1, 0, 0]).is_err());
        assert!(public_key(&n, &[1; 9]).is_err());
        assert!(public_key(&n, &[]).is_err());
    }
}
