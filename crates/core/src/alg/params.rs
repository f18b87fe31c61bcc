//! Key parameters checked without any curve or big-number arithmetic: the NIST curves of
//! ES256 / ES384 / ES512 with their sizes and group orders, and the size limits of RSA keys.
//! Shared by the pure-Rust families (`ecdsa`, `rsa`) and the host's keys (`host-keys`).

#[cfg(feature = "host-keys")]
use crate::host::hex;
#[cfg(any(feature = "ecdsa", feature = "host-keys"))]
use crate::Algorithm;
#[cfg(any(feature = "rsa", feature = "host-keys"))]
use crate::Error;

/// Smallest accepted RSA modulus, in bits (RFC 7518 §3.3, §3.5).
#[cfg(any(feature = "rsa", feature = "host-keys"))]
pub(crate) const MIN_MODULUS_BITS: usize = 2048;
/// Largest accepted RSA modulus, in bits (a bound on verification cost).
#[cfg(any(feature = "rsa", feature = "host-keys"))]
pub(crate) const MAX_MODULUS_BITS: usize = 16384;

/// Strips leading zero octets (RFC 7518 §6.3.1.1 forbids them, but some producers emit one;
/// the value is the same).
#[cfg(any(feature = "rsa", feature = "host-keys"))]
pub(crate) fn unsigned(bytes: &[u8]) -> &[u8] {
    let first = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    &bytes[first..]
}

/// An RSA public key's `n` and `e` without leading zeros, once the modulus is 2048 to 16384
/// bits and the exponent at most 8 bytes.
#[cfg(any(feature = "rsa", feature = "host-keys"))]
pub(crate) fn rsa_sizes<'a>(n: &'a [u8], e: &'a [u8]) -> Result<(&'a [u8], &'a [u8]), Error> {
    let n = unsigned(n);
    let e = unsigned(e);
    // `unsigned` left no leading zero octet, so the first octet has at most 7 zero bits.
    let bits = n
        .first()
        .map_or(0, |b| n.len() * 8 - b.leading_zeros() as usize);
    if bits < MIN_MODULUS_BITS {
        return Err(Error::InvalidJwk("rsa modulus is shorter than 2048 bits"));
    }
    if bits > MAX_MODULUS_BITS {
        return Err(Error::InvalidJwk("rsa modulus is longer than 16384 bits"));
    }
    if e.len() > 8 {
        return Err(Error::InvalidJwk("rsa public exponent is too large"));
    }
    Ok((n, e))
}

/// Which curve an EC JWK names, with its coordinate size.
#[cfg(any(feature = "ecdsa", feature = "host-keys"))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Curve {
    P256,
    P384,
    P521,
}

#[cfg(any(feature = "ecdsa", feature = "host-keys"))]
impl Curve {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        match name {
            "P-256" => Some(Self::P256),
            "P-384" => Some(Self::P384),
            "P-521" => Some(Self::P521),
            _ => None,
        }
    }

    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::P256 => "P-256",
            Self::P384 => "P-384",
            Self::P521 => "P-521",
        }
    }

    /// Coordinate (and scalar) size in bytes.
    pub(crate) const fn size(self) -> usize {
        match self {
            Self::P256 => 32,
            Self::P384 => 48,
            Self::P521 => 66,
        }
    }

    /// The group order `n`, big-endian at [`Curve::size`] bytes (SEC 2 §2.4.2, §2.5.1,
    /// §2.6.1). An ECDSA signature's `r` and `s` must lie in `[1, n-1]`.
    #[cfg(feature = "host-keys")]
    pub(crate) const fn order(self) -> &'static [u8] {
        match self {
            Self::P256 => &P256_ORDER,
            Self::P384 => &P384_ORDER,
            Self::P521 => &P521_ORDER,
        }
    }

    /// The field prime `p`, big-endian at [`Curve::size`] bytes (SEC 2 §2.4.2, §2.5.1,
    /// §2.6.1). A public key's coordinates must lie in `[0, p-1]`.
    #[cfg(feature = "host-keys")]
    pub(crate) const fn field_prime(self) -> &'static [u8] {
        match self {
            Self::P256 => &P256_PRIME,
            Self::P384 => &P384_PRIME,
            Self::P521 => &P521_PRIME,
        }
    }

    /// The one algorithm a key on this curve is for.
    pub(crate) const fn algorithm(self) -> Algorithm {
        match self {
            Self::P256 => Algorithm::Es256,
            Self::P384 => Algorithm::Es384,
            Self::P521 => Algorithm::Es512,
        }
    }
}

#[cfg(feature = "host-keys")]
const P256_ORDER: [u8; 32] =
    hex("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551");
#[cfg(feature = "host-keys")]
const P384_ORDER: [u8; 48] = hex("ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973");
#[cfg(feature = "host-keys")]
const P521_ORDER: [u8; 66] = hex("01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409");
#[cfg(feature = "host-keys")]
const P256_PRIME: [u8; 32] =
    hex("ffffffff00000001000000000000000000000000ffffffffffffffffffffffff");
#[cfg(feature = "host-keys")]
const P384_PRIME: [u8; 48] = hex("fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff");
#[cfg(feature = "host-keys")]
const P521_PRIME: [u8; 66] = hex("01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
