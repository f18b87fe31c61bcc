//! HS256 / HS384 / HS512 over jwt-compact's `Hs256`, `Hs384`, `Hs512`.
//!
//! jwt-compact compares MACs with `CtOutput`'s constant-time equality and zeroizes its
//! `Hs*Key` types on drop. The secret length is checked here (at least the hash size,
//! RFC 7518 §3.2): jwt-compact's `StrongKey` asks for the block size instead, which would
//! reject the 32-byte secrets that RFC 7518 allows for HS256.

use jwt_compact::alg::{Hs256, Hs256Key, Hs384, Hs384Key, Hs512, Hs512Key};
use subtle::ConstantTimeEq;

use super::verify_with;
use crate::{Algorithm, Error};

/// An HMAC secret bound to its algorithm. Zeroized on drop (jwt-compact's key types);
/// `Debug` never shows the bytes.
#[derive(Clone)]
pub(crate) enum HmacKey {
    Hs256(Hs256Key),
    Hs384(Hs384Key),
    Hs512(Hs512Key),
}

impl std::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("HmacKey").field(&self.algorithm()).finish()
    }
}

impl HmacKey {
    /// A key for `alg` from `secret`. Fails for non-HMAC algorithms and short secrets.
    pub(crate) fn new(alg: Algorithm, secret: &[u8]) -> Result<Self, Error> {
        let Some(min) = alg.min_secret_len() else {
            return Err(Error::InvalidJwk(
                "a raw secret can only be an HS256, HS384 or HS512 key",
            ));
        };
        if secret.len() < min {
            return Err(Error::InvalidJwk(
                "hmac secret is shorter than the hash output of its algorithm",
            ));
        }
        Ok(match alg {
            Algorithm::Hs256 => Self::Hs256(Hs256Key::new(secret)),
            Algorithm::Hs384 => Self::Hs384(Hs384Key::new(secret)),
            _ => Self::Hs512(Hs512Key::new(secret)),
        })
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        match self {
            Self::Hs256(_) => Algorithm::Hs256,
            Self::Hs384(_) => Algorithm::Hs384,
            Self::Hs512(_) => Algorithm::Hs512,
        }
    }

    /// The secret bytes (for JWK export and thumbprints).
    pub(crate) fn secret(&self) -> &[u8] {
        match self {
            Self::Hs256(key) => key.as_ref(),
            Self::Hs384(key) => key.as_ref(),
            Self::Hs512(key) => key.as_ref(),
        }
    }

    /// Constant-time MAC check; a signature of the wrong length is rejected first.
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match self {
            Self::Hs256(key) => verify_with(&Hs256, key, message, signature),
            Self::Hs384(key) => verify_with(&Hs384, key, message, signature),
            Self::Hs512(key) => verify_with(&Hs512, key, message, signature),
        }
    }

    /// The MAC of `message`.
    #[cfg(feature = "sign")]
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        use jwt_compact::{Algorithm as _, AlgorithmSignature as _};
        match self {
            Self::Hs256(key) => Hs256.sign(key, message).as_bytes().into_owned(),
            Self::Hs384(key) => Hs384.sign(key, message).as_bytes().into_owned(),
            Self::Hs512(key) => Hs512.sign(key, message).as_bytes().into_owned(),
        }
    }

    /// Same algorithm and same secret (compared in constant time).
    pub(crate) fn same_as(&self, other: &Self) -> bool {
        self.algorithm() == other.algorithm() && bool::from(self.secret().ct_eq(other.secret()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_short_secrets_and_foreign_algorithms() {
        assert!(HmacKey::new(Algorithm::Hs256, &[7; 31]).is_err());
        assert!(HmacKey::new(Algorithm::Hs256, &[7; 32]).is_ok());
        assert!(HmacKey::new(Algorithm::Hs384, &[7; 47]).is_err());
        assert!(HmacKey::new(Algorithm::Hs384, &[7; 48]).is_ok());
        assert!(HmacKey::new(Algorithm::Hs512, &[7; 63]).is_err());
        assert!(HmacKey::new(Algorithm::Hs512, &[7; 64]).is_ok());
        for alg in Algorithm::ALL.into_iter().filter(|alg| !alg.is_hmac()) {
            assert_eq!(
                HmacKey::new(alg, &[7; 64]).unwrap_err().code(),
                "ERR_JWK_INVALID"
            );
        }
    }

    #[test]
    fn wrong_length_signatures_fail_without_panicking() {
        let key = HmacKey::new(Algorithm::Hs256, &[1; 32]).unwrap();
        for len in [0, 1, 31, 33, 64, 1000] {
            assert!(!key.verify(b"message", &vec![0; len]));
        }
    }

    #[test]
    fn debug_does_not_show_the_secret() {
        let key = HmacKey::new(Algorithm::Hs256, b"0123456789abcdef0123456789abcdef").unwrap();
        let shown = format!("{key:?}");
        assert!(!shown.contains("0123"), "{shown}");
        assert!(!shown.contains("48"), "{shown}");
    }
}
