//! EC and RSA keys whose arithmetic is the host's (feature `host-keys`): in a build without
//! `ecdsa` / `rsa`, a JWK of such a family is still imported, and the core does everything
//! about it that needs no curve or big-number arithmetic. The issuer worker builds this way:
//! workerd's WebCrypto signs and verifies, and the wasm carries no P-384, P-521 or RSA code.
//!
//! Checked here, at import: the curve is one of P-256/P-384/P-521 and `x`, `y` are exactly
//! its field size and below its field prime (the curve crates refuse such a coordinate; a
//! host might reduce it and take the same point under a second encoding); the RSA modulus is 2048 to 16384 bits and odd, the exponent odd, at
//! least 3 and below 2^33 (the pure-Rust path's limits). Left to the host: that the point
//! is on its curve (the host's import refuses it otherwise, and then it answers no
//! signature check: every signature fails), and the signature arithmetic itself.
//!
//! Checked here before the host is asked, as for every key (src/host.rs): the exact
//! signature length, ECDSA `r` and `s` in `[1, n-1]`, an RSA signature below the modulus.
//! Without the host's answer ([`Key::verify`](crate::Key)'s pure-Rust path) the signature
//! fails: nothing here can accept one.

use alloc::vec::Vec;

use super::params::{rsa_sizes, Curve};
use crate::Error;

/// A public key the host checks signatures for.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum HostKey {
    /// `x` and `y`, big-endian at the curve's field size.
    Ec {
        curve: Curve,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    /// `n` and `e`, big-endian without leading zeros (so `n.len()` is the signature length).
    Rsa { n: Vec<u8>, e: Vec<u8> },
}

impl HostKey {
    /// From an EC JWK's `x` and `y` (RFC 7518 §6.2.1.2: full length), each below the field
    /// prime.
    pub(crate) fn ec(curve: Curve, x: &[u8], y: &[u8]) -> Result<Self, Error> {
        if x.len() != curve.size() || y.len() != curve.size() {
            return Err(Error::InvalidJwk(
                "ec coordinates must be exactly the curve's field size",
            ));
        }
        // Big-endian byte strings of equal length: the lexicographic order is the integer order.
        let prime = curve.field_prime();
        if x >= prime || y >= prime {
            return Err(Error::InvalidJwk(
                "ec public key is not a point on its curve",
            ));
        }
        Ok(Self::Ec {
            curve,
            x: x.to_vec(),
            y: y.to_vec(),
        })
    }

    /// From an RSA JWK's `n` and `e`, with the limits of the pure-Rust path.
    pub(crate) fn rsa(n: &[u8], e: &[u8]) -> Result<Self, Error> {
        let (n, e) = rsa_sizes(n, e)?;
        let odd = |bytes: &[u8]| bytes.last().is_some_and(|b| b & 1 == 1);
        if !odd(n) {
            return Err(Error::InvalidJwk(
                "rsa public key has an invalid modulus or exponent",
            ));
        }
        // e as an integer (at most 8 bytes, checked above): odd, 3 ..= 2^33 - 1.
        let exponent = e.iter().fold(0_u64, |acc, b| (acc << 8) | u64::from(*b));
        if !odd(e) || !(3..(1_u64 << 33)).contains(&exponent) {
            return Err(Error::InvalidJwk(
                "rsa public key has an invalid modulus or exponent",
            ));
        }
        Ok(Self::Rsa {
            n: n.to_vec(),
            e: e.to_vec(),
        })
    }

    /// The checks every signature gets before the host is asked: exactly the key's
    /// signature length; ECDSA `r`, `s` in `[1, n-1]`; RSA below the modulus. For big-endian
    /// byte strings of equal length the lexicographic order is the integer order.
    pub(crate) fn precheck(&self, signature: &[u8]) -> bool {
        match self {
            Self::Ec { curve, .. } => {
                let size = curve.size();
                if signature.len() != 2 * size {
                    return false;
                }
                let order = curve.order();
                let (r, s) = signature.split_at(size);
                let in_range = |v: &[u8]| v.iter().any(|b| *b != 0) && v < order;
                in_range(r) && in_range(s)
            }
            Self::Rsa { n, .. } => signature.len() == n.len() && signature < n.as_slice(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ec(curve: Curve) -> HostKey {
        let size = curve.size();
        // Coordinates below every field prime (P-521's top byte is at most 0x01).
        HostKey::ec(curve, &alloc::vec![1; size], &alloc::vec![0x01; size]).unwrap()
    }

    /// `value` as a big-endian integer of `len` bytes, plus `delta` (-1, 0 or 1).
    fn shifted(value: &[u8], delta: i8) -> Vec<u8> {
        let mut out = value.to_vec();
        match delta {
            1 => {
                for b in out.iter_mut().rev() {
                    let (next, carry) = b.overflowing_add(1);
                    *b = next;
                    if !carry {
                        break;
                    }
                }
            }
            -1 => {
                for b in out.iter_mut().rev() {
                    let (next, borrow) = b.overflowing_sub(1);
                    *b = next;
                    if !borrow {
                        break;
                    }
                }
            }
            _ => {}
        }
        out
    }

    #[test]
    fn ecdsa_range_is_one_to_the_order_minus_one() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let key = ec(curve);
            let size = curve.size();
            let order = curve.order();
            let one = shifted(&alloc::vec![0; size], 1);
            let zero = alloc::vec![0; size];
            let cases: [(&[u8], bool); 5] = [
                (&zero, false),
                (&one, true),
                (&shifted(order, -1), true),
                (order, false),
                (&shifted(order, 1), false),
            ];
            for (value, accepted) in cases {
                let as_r = [value, one.as_slice()].concat();
                let as_s = [one.as_slice(), value].concat();
                assert_eq!(key.precheck(&as_r), accepted, "{curve:?} r");
                assert_eq!(key.precheck(&as_s), accepted, "{curve:?} s");
            }
            assert!(
                !key.precheck(&alloc::vec![1; 2 * size - 1]),
                "{curve:?} short"
            );
            assert!(
                !key.precheck(&alloc::vec![1; 2 * size + 1]),
                "{curve:?} long"
            );
        }
    }

    /// The field primes written here are SEC 2's, from their defining sums of powers of two.
    #[test]
    fn field_primes_are_sec2s() {
        /// `sum of sign * 2^exp`, big-endian at `len` bytes (non-negative results only).
        fn powers(len: usize, terms: &[(i8, u32)]) -> Vec<u8> {
            let mut out = alloc::vec![0_u8; len];
            for &(sign, exp) in terms {
                let mut term = alloc::vec![0_u8; len];
                term[len - 1 - (exp / 8) as usize] = 1 << (exp % 8);
                let mut carry = 0_i16;
                for i in (0..len).rev() {
                    let v = i16::from(out[i]) + i16::from(sign) * i16::from(term[i]) + carry;
                    out[i] = v.rem_euclid(256) as u8;
                    carry = v.div_euclid(256);
                }
                assert_eq!(carry, 0, "out of range");
            }
            out
        }
        // 2^256 and 2^384 do not fit: twice 2^255 (2^383), the first subtraction between.
        let p256 = powers(
            32,
            &[(1, 255), (-1, 224), (1, 255), (1, 192), (1, 96), (-1, 0)],
        );
        let p384 = powers(
            48,
            &[(1, 383), (-1, 128), (1, 383), (-1, 96), (1, 32), (-1, 0)],
        );
        let p521 = powers(66, &[(1, 521), (-1, 0)]);
        assert_eq!(Curve::P256.field_prime(), &p256[..]);
        assert_eq!(Curve::P384.field_prime(), &p384[..]);
        assert_eq!(Curve::P521.field_prime(), &p521[..]);
    }

    #[test]
    fn ec_coordinates_must_be_below_the_field_prime() {
        for curve in [Curve::P256, Curve::P384, Curve::P521] {
            let prime = curve.field_prime();
            let below = shifted(prime, -1);
            let ok = alloc::vec![1; curve.size()];
            assert!(
                HostKey::ec(curve, &below, &ok).is_ok(),
                "{curve:?} x = p - 1"
            );
            assert!(
                HostKey::ec(curve, &ok, &below).is_ok(),
                "{curve:?} y = p - 1"
            );
            for bad in [
                prime.to_vec(),
                shifted(prime, 1),
                alloc::vec![0xff; curve.size()],
            ] {
                assert!(HostKey::ec(curve, &bad, &ok).is_err(), "{curve:?} x >= p");
                assert!(HostKey::ec(curve, &ok, &bad).is_err(), "{curve:?} y >= p");
            }
        }
    }

    /// The orders written here are the curves' own (RustCrypto's, in builds that have them).
    #[cfg(feature = "ecdsa")]
    #[test]
    fn orders_match_the_curve_crates() {
        use p256::elliptic_curve::{bigint::Encoding as _, Curve as _};
        let p256 = p256::NistP256::ORDER.to_be_bytes();
        let p384 = p384::NistP384::ORDER.to_be_bytes();
        let p521 = p521::NistP521::ORDER.to_be_bytes();
        assert_eq!(Curve::P256.order(), &p256[..]);
        assert_eq!(Curve::P384.order(), &p384[..]);
        // P-521's order is a 576-bit integer in the crate: its 66 low bytes.
        assert_eq!(Curve::P521.order(), &p521[p521.len() - 66..]);
        assert!(p521[..p521.len() - 66].iter().all(|b| *b == 0));
    }

    /// The same verdict as RustCrypto's `Signature::try_from` (what the pure-Rust path and
    /// the host path check for keys the core holds) on values around both ends of the range.
    #[cfg(feature = "ecdsa")]
    mod against_rustcrypto {
        use proptest::prelude::*;

        use super::*;

        /// A scalar-sized value: near 0, near the order, all ones, or random.
        fn value(curve: Curve) -> impl Strategy<Value = Vec<u8>> {
            let size = curve.size();
            let order = curve.order().to_vec();
            prop_oneof![
                (0_u8..3).prop_map(move |low| {
                    let mut v = alloc::vec![0; size];
                    v[size - 1] = low;
                    v
                }),
                (-2_i8..=2).prop_map(move |delta| match delta {
                    -2 => shifted(&shifted(&order, -1), -1),
                    2 => shifted(&shifted(&order, 1), 1),
                    d => shifted(&order, d),
                }),
                Just(alloc::vec![0xff; size]),
                proptest::collection::vec(any::<u8>(), size),
            ]
        }

        fn rustcrypto(curve: Curve, signature: &[u8]) -> bool {
            match curve {
                Curve::P256 => p256::ecdsa::Signature::try_from(signature).is_ok(),
                Curve::P384 => p384::ecdsa::Signature::try_from(signature).is_ok(),
                Curve::P521 => p521::ecdsa::Signature::try_from(signature).is_ok(),
            }
        }

        fn curve() -> impl Strategy<Value = Curve> {
            prop_oneof![Just(Curve::P256), Just(Curve::P384), Just(Curve::P521)]
        }

        proptest! {
            #[test]
            fn precheck_agrees(
                (curve, r, s) in curve().prop_flat_map(|c| (Just(c), value(c), value(c)))
            ) {
                let signature = [r, s].concat();
                prop_assert_eq!(ec(curve).precheck(&signature), rustcrypto(curve, &signature));
            }
        }
    }

    #[test]
    fn ec_coordinates_must_be_the_field_size() {
        assert!(HostKey::ec(Curve::P256, &[1; 31], &[2; 32]).is_err());
        assert!(HostKey::ec(Curve::P384, &[1; 48], &[2; 49]).is_err());
        assert!(HostKey::ec(Curve::P521, &[1; 66], &[1; 66]).is_ok());
    }

    #[test]
    fn rsa_limits_are_the_pure_rust_ones() {
        let mut n = alloc::vec![0xc5; 256];
        n[255] |= 1;
        let f4 = [1, 0, 1];
        assert!(HostKey::rsa(&n, &f4).is_ok());
        // A leading zero octet is stripped, the value kept.
        assert!(HostKey::rsa(&[&[0][..], &n].concat(), &f4).is_ok());
        let mut even = n.clone();
        even[255] &= 0xfe;
        assert!(HostKey::rsa(&even, &f4).is_err(), "even modulus");
        assert!(HostKey::rsa(&n[1..], &f4).is_err(), "2040 bits");
        assert!(
            HostKey::rsa(&alloc::vec![0xff; 2049], &f4).is_err(),
            "16392 bits"
        );
        assert!(HostKey::rsa(&n, &[1, 0, 0]).is_err(), "even exponent");
        assert!(HostKey::rsa(&n, &[1]).is_err(), "exponent 1");
        assert!(HostKey::rsa(&n, &[3]).is_ok());
        assert!(HostKey::rsa(&n, &[2, 0, 0, 0, 1]).is_err(), "2^33 + 1");
        assert!(
            HostKey::rsa(&n, &[1, 255, 255, 255, 255]).is_ok(),
            "2^33 - 1"
        );
        assert!(HostKey::rsa(&n, &[1; 9]).is_err(), "9-byte exponent");
    }

    #[test]
    fn rsa_signatures_are_the_modulus_length_and_below_it() {
        let mut n = alloc::vec![0xc5; 256];
        n[255] |= 1;
        let key = HostKey::rsa(&n, &[1, 0, 1]).unwrap();
        assert!(key.precheck(&shifted(&n, -1)));
        assert!(!key.precheck(&n));
        assert!(!key.precheck(&alloc::vec![0xff; 256]));
        assert!(!key.precheck(&alloc::vec![1; 255]));
        assert!(!key.precheck(&alloc::vec![1; 257]));
    }
}
