//! From a raw JWK to a key: the usage checks (`use`, `key_ops`), the algorithm from `kty`,
//! `crv` and `alg`, and the public key material; or the reason to skip it.

use alloc::boxed::Box;

#[cfg(feature = "ecdsa")]
use crate::alg::ecdsa::EcPublic;
#[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
use crate::alg::host_key::HostKey;
#[cfg(any(feature = "ecdsa", feature = "host-keys"))]
use crate::alg::params::Curve;
#[cfg(feature = "rsa")]
use crate::alg::rsa;
use crate::{
    alg::{eddsa, hmac::HmacKey},
    Algorithm, Error,
};

use super::{
    key::{Key, KeyMaterial},
    raw::{member, secret_member, RawJwk},
};

/// Why a JWKS entry was skipped rather than imported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// `use: enc`, or a `use` value other than `sig`.
    NotForSignatures,
    /// `key_ops` is present and does not contain `verify`.
    NotForVerification,
    /// A `kty` this build does not support.
    UnsupportedKeyType,
    /// A curve this build does not support (X25519, Ed448, secp256k1, ...).
    UnsupportedCurve,
    /// An `alg` this build does not support (encryption algorithms, ES256K, ...).
    UnsupportedAlgorithm,
    /// An RSA or `oct` key without `alg`: its algorithm would be ambiguous.
    AlgorithmRequired,
    /// A secret (`oct`) key in a public JWKS ([`KeySet::from_public_jwks_json`]).
    SecretKey,
}

impl SkipReason {
    /// A stable lowercase name: `not_for_signatures`, `not_for_verification`,
    /// `unsupported_key_type`, `unsupported_curve`, `unsupported_algorithm`,
    /// `algorithm_required`, `secret_key`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotForSignatures => "not_for_signatures",
            Self::NotForVerification => "not_for_verification",
            Self::UnsupportedKeyType => "unsupported_key_type",
            Self::UnsupportedCurve => "unsupported_curve",
            Self::UnsupportedAlgorithm => "unsupported_algorithm",
            Self::AlgorithmRequired => "algorithm_required",
            Self::SecretKey => "secret_key",
        }
    }

    /// The error a single key (not in a set) gets for this reason.
    pub(super) fn into_error(self) -> Error {
        match self {
            Self::NotForSignatures => Error::InvalidJwk("key is not for signatures (use)"),
            Self::NotForVerification => Error::InvalidJwk("key_ops does not include verify"),
            Self::UnsupportedKeyType => Error::NotSupported("key type"),
            Self::UnsupportedCurve => Error::NotSupported("curve"),
            Self::UnsupportedAlgorithm => Error::NotSupported("algorithm"),
            Self::AlgorithmRequired => Error::InvalidJwk("rsa and oct keys need an alg"),
            Self::SecretKey => Error::InvalidJwk("a public key set must not hold secret keys"),
        }
    }
}

/// What a JWK's `kty`/`crv`/`alg` resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Ed25519,
    #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
    Ec(Curve),
    #[cfg(any(feature = "rsa", feature = "host-keys"))]
    Rsa,
    Oct,
}

pub(crate) enum Parsed<T> {
    Key(T),
    Skip(SkipReason),
}

/// Checks `use` and `key_ops` for a key about to be used for `op` (`verify` or `sign`).
pub(crate) fn check_usage(raw: &RawJwk, op: &str) -> Result<Option<SkipReason>, Error> {
    if let Some(ops) = &raw.key_ops {
        // A set, not pairwise comparison: a hostile JWKS can hold 100k values.
        let mut seen = alloc::collections::BTreeSet::new();
        if !ops.iter().all(|op| seen.insert(op.as_str())) {
            return Err(Error::InvalidJwk("key_ops has a duplicate value"));
        }
        let signature_ops = ops.iter().all(|o| o == "sign" || o == "verify");
        let consistent = match raw.key_use.as_deref() {
            Some("sig") => signature_ops,
            Some("enc") => ops.iter().all(|o| o != "sign" && o != "verify"),
            _ => true,
        };
        if !consistent {
            return Err(Error::InvalidJwk("use and key_ops disagree"));
        }
    }
    match raw.key_use.as_deref() {
        None | Some("sig") => {}
        Some(_) => return Ok(Some(SkipReason::NotForSignatures)),
    }
    if let Some(ops) = &raw.key_ops {
        if !ops.iter().any(|o| o == op) {
            return Ok(Some(SkipReason::NotForVerification));
        }
    }
    Ok(None)
}

/// Resolves the key's algorithm from `kty`, `crv` and `alg`.
pub(crate) fn resolve_algorithm(raw: &RawJwk) -> Result<Parsed<(Algorithm, KeyKind)>, Error> {
    // The key type first: an unsupported type is skipped whatever its `alg` says.
    let (kind, implied) = match raw.kty.as_str() {
        "OKP" => match raw.crv.as_deref() {
            Some("Ed25519") => (KeyKind::Ed25519, Some(Algorithm::EdDsa)),
            Some(_) => return Ok(Parsed::Skip(SkipReason::UnsupportedCurve)),
            None => return Err(Error::InvalidJwk("okp key without crv")),
        },
        #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
        "EC" => match raw.crv.as_deref() {
            Some(name) => match Curve::from_name(name) {
                Some(curve) => (KeyKind::Ec(curve), Some(curve.algorithm())),
                None => return Ok(Parsed::Skip(SkipReason::UnsupportedCurve)),
            },
            None => return Err(Error::InvalidJwk("ec key without crv")),
        },
        #[cfg(any(feature = "rsa", feature = "host-keys"))]
        "RSA" => (KeyKind::Rsa, None),
        "oct" => (KeyKind::Oct, None),
        _ => return Ok(Parsed::Skip(SkipReason::UnsupportedKeyType)),
    };
    let alg = match raw.alg.as_deref() {
        None => None,
        Some("none") => return Err(Error::InvalidJwk("a key cannot be for alg none")),
        Some(name) => match Algorithm::ALL.into_iter().find(|a| a.as_str() == name) {
            Some(alg) => Some(alg),
            None => return Ok(Parsed::Skip(SkipReason::UnsupportedAlgorithm)),
        },
    };
    let fits = |alg: Algorithm| match kind {
        #[cfg(any(feature = "rsa", feature = "host-keys"))]
        KeyKind::Rsa => alg.is_rsa(),
        KeyKind::Oct => alg.is_hmac(),
        KeyKind::Ed25519 => Some(alg) == implied,
        #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
        KeyKind::Ec(_) => Some(alg) == implied,
    };
    match (alg, implied) {
        (Some(alg), _) if fits(alg) => Ok(Parsed::Key((alg, kind))),
        (Some(_), _) => Err(Error::InvalidJwk("alg does not fit the key type or curve")),
        (None, Some(implied)) => Ok(Parsed::Key((implied, kind))),
        (None, None) => Ok(Parsed::Skip(SkipReason::AlgorithmRequired)),
    }
}

pub(super) fn parse_public(raw: &RawJwk) -> Result<Parsed<Key>, Error> {
    if raw.has_private_members() {
        return Err(Error::InvalidJwk(
            "a verification key must not contain private key members",
        ));
    }
    if let Some(reason) = check_usage(raw, "verify")? {
        return Ok(Parsed::Skip(reason));
    }
    let (alg, kind) = match resolve_algorithm(raw)? {
        Parsed::Key(found) => found,
        Parsed::Skip(reason) => return Ok(Parsed::Skip(reason)),
    };
    let material = match kind {
        KeyKind::Ed25519 => KeyMaterial::Ed25519(eddsa::public_key(&member(
            raw.x.as_deref(),
            "okp key without x",
        )?)?),
        #[cfg(feature = "ecdsa")]
        KeyKind::Ec(curve) => KeyMaterial::Ec(EcPublic::from_coordinates(
            curve,
            &member(raw.x.as_deref(), "ec key without x")?,
            &member(raw.y.as_deref(), "ec key without y")?,
        )?),
        #[cfg(all(feature = "host-keys", not(feature = "ecdsa")))]
        KeyKind::Ec(curve) => KeyMaterial::Host(Box::new(HostKey::ec(
            curve,
            &member(raw.x.as_deref(), "ec key without x")?,
            &member(raw.y.as_deref(), "ec key without y")?,
        )?)),
        #[cfg(feature = "rsa")]
        KeyKind::Rsa => KeyMaterial::Rsa(Box::new(rsa::RsaKey::new(rsa::public_key(
            &member(raw.n.as_deref(), "rsa key without n")?,
            &member(raw.e.as_deref(), "rsa key without e")?,
        )?))),
        #[cfg(all(feature = "host-keys", not(feature = "rsa")))]
        KeyKind::Rsa => KeyMaterial::Host(Box::new(HostKey::rsa(
            &member(raw.n.as_deref(), "rsa key without n")?,
            &member(raw.e.as_deref(), "rsa key without e")?,
        )?)),
        KeyKind::Oct => KeyMaterial::Hmac(Box::new(HmacKey::new(
            alg,
            &secret_member(raw.k.as_ref(), "oct key without k")?,
        )?)),
    };
    Ok(Parsed::Key(Key {
        alg,
        kid: raw.kid.clone(),
        key_use: raw.key_use(),
        material,
    }))
}
