//! HS256 / HS384 / HS512: keys are jwt-compact's `Hs256Key`/`Hs384Key`/`Hs512Key` (zeroized
//! on drop), signing is jwt-compact's `Hs256`/`Hs384`/`Hs512`.
//!
//! Verification deviates on purpose: jwt-compact's `verify_signature` rebuilds the HMAC key
//! schedule (the hashed ipad/opad blocks) for every token. Here it is computed once at key
//! import and cloned per token, which measured 449 ns -> 295 ns per 300-byte HS256 check
//! (native, release). The comparison is the hmac crate's constant-time `verify_slice`,
//! which also rejects a tag of the wrong length. The precomputed state is key-equivalent,
//! so it is overwritten when the key is dropped (see [`Schedule`]). A unit test checks that
//! both paths agree.
//!
//! The secret length is checked here (at least the hash size, RFC 7518 §3.2): jwt-compact's
//! `StrongKey` asks for the block size instead, which would reject the 32-byte secrets that
//! RFC 7518 allows for HS256.

#[cfg(feature = "sign")]
use alloc::vec::Vec;

use hmac::{
    digest::{Key, KeyInit},
    Hmac, Mac,
};
use jwt_compact::alg::{Hs256Key, Hs384Key, Hs512Key};
use sha2::{Sha256, Sha384, Sha512};
use subtle::ConstantTimeEq;

use crate::{Algorithm, Error};

/// An HMAC secret bound to its algorithm, with its precomputed key schedule. `Debug` never
/// shows the bytes.
#[derive(Clone)]
pub(crate) struct HmacKey {
    secret: Secret,
    schedule: Schedule,
}

/// The secret itself, in jwt-compact's key types (zeroized on drop).
#[derive(Clone)]
enum Secret {
    Hs256(Hs256Key),
    Hs384(Hs384Key),
    Hs512(Hs512Key),
}

/// The HMAC state after absorbing the key (inner and outer padded blocks hashed).
#[derive(Clone)]
enum ScheduleState {
    Hs256(Hmac<Sha256>),
    Hs384(Hmac<Sha384>),
    Hs512(Hmac<Sha512>),
}

/// Owns a [`ScheduleState`] and overwrites it on drop with the state of an all-zero key.
/// The RustCrypto HMAC and SHA-2 states do not implement `Zeroize`, and this crate forbids
/// `unsafe`, so the overwrite is an assignment kept alive by `black_box`: best effort, like
/// any zeroization the language does not guarantee.
#[derive(Clone)]
struct Schedule(ScheduleState);

impl Drop for Schedule {
    fn drop(&mut self) {
        match &mut self.0 {
            ScheduleState::Hs256(state) => {
                *state = <Hmac<Sha256> as KeyInit>::new(&Key::<Hmac<Sha256>>::default())
            }
            ScheduleState::Hs384(state) => {
                *state = <Hmac<Sha384> as KeyInit>::new(&Key::<Hmac<Sha384>>::default())
            }
            ScheduleState::Hs512(state) => {
                *state = <Hmac<Sha512> as KeyInit>::new(&Key::<Hmac<Sha512>>::default())
            }
        }
        core::hint::black_box(&self.0);
    }
}

impl core::fmt::Debug for HmacKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_tuple("HmacKey").field(&self.algorithm()).finish()
    }
}

/// `Hmac::new_from_slice` accepts keys of any length; the error arm is unreachable but
/// handled rather than unwrapped.
fn schedule<M: Mac + KeyInit>(secret: &[u8]) -> Result<M, Error> {
    <M as Mac>::new_from_slice(secret).map_err(|_| Error::InvalidJwk("hmac key rejected"))
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
        let (key, state) = match alg {
            Algorithm::Hs256 => (
                Secret::Hs256(Hs256Key::new(secret)),
                ScheduleState::Hs256(schedule(secret)?),
            ),
            Algorithm::Hs384 => (
                Secret::Hs384(Hs384Key::new(secret)),
                ScheduleState::Hs384(schedule(secret)?),
            ),
            _ => (
                Secret::Hs512(Hs512Key::new(secret)),
                ScheduleState::Hs512(schedule(secret)?),
            ),
        };
        Ok(Self {
            secret: key,
            schedule: Schedule(state),
        })
    }

    pub(crate) fn algorithm(&self) -> Algorithm {
        match self.secret {
            Secret::Hs256(_) => Algorithm::Hs256,
            Secret::Hs384(_) => Algorithm::Hs384,
            Secret::Hs512(_) => Algorithm::Hs512,
        }
    }

    /// The secret bytes (for JWK export and thumbprints).
    pub(crate) fn secret(&self) -> &[u8] {
        match &self.secret {
            Secret::Hs256(key) => key.as_ref(),
            Secret::Hs384(key) => key.as_ref(),
            Secret::Hs512(key) => key.as_ref(),
        }
    }

    /// Constant-time MAC check from the precomputed schedule; a tag of the wrong length
    /// fails.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        fn check<M: Mac + Clone>(state: &M, message: &[u8], signature: &[u8]) -> bool {
            let mut mac = state.clone();
            mac.update(message);
            mac.verify_slice(signature).is_ok()
        }
        match &self.schedule.0 {
            ScheduleState::Hs256(state) => check(state, message, signature),
            ScheduleState::Hs384(state) => check(state, message, signature),
            ScheduleState::Hs512(state) => check(state, message, signature),
        }
    }

    /// The MAC of `message` (jwt-compact's `Hs*::sign`).
    #[cfg(feature = "sign")]
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        use jwt_compact::{
            alg::{Hs256, Hs384, Hs512},
            Algorithm as _, AlgorithmSignature as _,
        };
        match &self.secret {
            Secret::Hs256(key) => Hs256.sign(key, message).as_bytes().into_owned(),
            Secret::Hs384(key) => Hs384.sign(key, message).as_bytes().into_owned(),
            Secret::Hs512(key) => Hs512.sign(key, message).as_bytes().into_owned(),
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

    /// The precomputed path agrees with jwt-compact's own `verify_signature`.
    #[test]
    fn precomputed_schedule_agrees_with_jwt_compact() {
        use jwt_compact::{
            alg::{Hs256, Hs384, Hs512},
            Algorithm as _, AlgorithmSignature as _,
        };
        for len in [0_usize, 1, 55, 56, 63, 64, 65, 127, 128, 129, 300, 1000] {
            let message: Vec<u8> = (0..len).map(|i| (i * 7 + len) as u8).collect();
            for (alg, secret_len) in [
                (Algorithm::Hs256, 32),
                (Algorithm::Hs384, 48),
                (Algorithm::Hs512, 64),
                (Algorithm::Hs256, 200),
            ] {
                let secret: Vec<u8> = (0..secret_len).map(|i| i as u8 ^ 0x5a).collect();
                let key = HmacKey::new(alg, &secret).unwrap();
                let reference = match alg {
                    Algorithm::Hs256 => Hs256
                        .sign(&Hs256Key::new(&secret), &message)
                        .as_bytes()
                        .into_owned(),
                    Algorithm::Hs384 => Hs384
                        .sign(&Hs384Key::new(&secret), &message)
                        .as_bytes()
                        .into_owned(),
                    _ => Hs512
                        .sign(&Hs512Key::new(&secret), &message)
                        .as_bytes()
                        .into_owned(),
                };
                assert!(key.verify(&message, &reference));
                let mut flipped = reference.clone();
                flipped[len % reference.len()] ^= 1;
                assert!(!key.verify(&message, &flipped));
                assert!(!key.verify(&message, &reference[..reference.len() - 1]));
            }
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
