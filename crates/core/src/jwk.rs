//! Verification keys from JWK / JWKS (RFC 7517) or raw HMAC secrets, with strength checks.
//!
//! A key fixes its algorithm: from the JWK's `alg`, or, when absent, from `kty`/`crv` where
//! that is unambiguous (OKP Ed25519 -> EdDSA, EC P-256 -> ES256, P-384 -> ES384,
//! P-521 -> ES512). RSA and `oct` keys without `alg` are rejected (`ERR_JWK_INVALID`; in a
//! JWKS they are skipped with [`SkipReason::AlgorithmRequired`]): the algorithm must never
//! come from the token.
//!
//! Checks at import, so that verification only ever sees usable keys:
//! - `kty`, `crv` and `alg` agree (an `alg` of another family is `ERR_JWK_INVALID`);
//! - `use` and `key_ops` agree (RFC 7517 §4.3), `key_ops` has no duplicates;
//! - strength: HMAC secrets at least the hash size, RSA moduli 2048..=16384 bits with a sane
//!   exponent, EC points on their curve at full coordinate length, Ed25519 points valid and
//!   not of small order;
//! - a verification key carries no private members (`d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`);
//! - every base64url member is strict (no padding, no whitespace, canonical).
//!
//! An RSA, EC or OKP public key can never become an HMAC secret: only `kty: oct` JWKs and
//! [`Key::from_secret`] produce HMAC keys.

use alloc::{borrow::ToOwned, boxed::Box, format, string::String, vec, vec::Vec};

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::{
    alg::{eddsa, hmac::HmacKey, AlgSet},
    b64,
    json::{JsonObject, Malformed, Reader, Value},
    Algorithm, Error,
};

/// JWK sets larger than this (1 MiB) are rejected before parsing (`ERR_JWK_INVALID`).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// The JWK `use` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyUse {
    /// `"use": "sig"`.
    Signature,
    /// `"use": "enc"`: never used for verification.
    Encryption,
}

/// One verification key: its algorithm, optional `kid`, and public (or HMAC) material.
///
/// Public keys are decoded and validated once, at import (points decompressed and checked on
/// their curve), so verification does no per-token key work. `Debug` redacts secret material.
#[derive(Clone)]
pub struct Key {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) key_use: Option<KeyUse>,
    pub(crate) material: KeyMaterial,
}

#[cfg(feature = "ecdsa")]
use crate::alg::ecdsa::{Curve, EcPublic};
#[cfg(feature = "rsa")]
use crate::alg::rsa;

/// The key bytes, per family. HMAC secrets are zeroized on drop. (ECDSA and RSA keys exist in
/// builds with the `ecdsa` / `rsa` features; without them such JWKs are skipped as
/// unsupported key types.)
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    Hmac(Box<HmacKey>),
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "ecdsa")]
    Ec(EcPublic),
    #[cfg(feature = "rsa")]
    Rsa(Box<rsa::RsaKey>),
}

impl KeyMaterial {
    /// Same algorithm family and same key (HMAC secrets compared in constant time).
    fn same_as(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Hmac(a), Self::Hmac(b)) => a.same_as(b),
            (Self::Ed25519(a), Self::Ed25519(b)) => a == b,
            #[cfg(feature = "ecdsa")]
            (Self::Ec(a), Self::Ec(b)) => a.to_sec1() == b.to_sec1(),
            #[cfg(feature = "rsa")]
            (Self::Rsa(a), Self::Rsa(b)) => a == b,
            _ => false,
        }
    }

    /// The RFC 7638 members in lexicographic order, as canonical JSON.
    fn thumbprint_input(&self) -> String {
        match self {
            Self::Hmac(key) => format!(
                r#"{{"k":"{}","kty":"oct"}}"#,
                Zeroizing::new(b64::encode(key.secret())).as_str()
            ),
            Self::Ed25519(key) => format!(
                r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                b64::encode(key.as_bytes())
            ),
            #[cfg(feature = "ecdsa")]
            Self::Ec(key) => {
                let (x, y) = key.coordinates();
                format!(
                    r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#,
                    key.curve().name(),
                    b64::encode(&x),
                    b64::encode(&y)
                )
            }
            #[cfg(feature = "rsa")]
            Self::Rsa(key) => {
                let (n, e) = rsa::components(key);
                format!(
                    r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                    b64::encode(&e),
                    b64::encode(&n)
                )
            }
        }
    }

    /// The public JWK members (`kty`, `crv`, `x`, `y` / `kty`, `n`, `e`); `None` for HMAC
    /// keys.
    pub(crate) fn public_members(&self) -> Option<Vec<(&'static str, String)>> {
        Some(match self {
            Self::Hmac(_) => return None,
            Self::Ed25519(key) => vec![
                ("kty", "OKP".into()),
                ("crv", "Ed25519".into()),
                ("x", b64::encode(key.as_bytes())),
            ],
            #[cfg(feature = "ecdsa")]
            Self::Ec(key) => {
                let (x, y) = key.coordinates();
                vec![
                    ("kty", "EC".into()),
                    ("crv", key.curve().name().into()),
                    ("x", b64::encode(&x)),
                    ("y", b64::encode(&y)),
                ]
            }
            #[cfg(feature = "rsa")]
            Self::Rsa(key) => {
                let (n, e) = rsa::components(key);
                vec![
                    ("kty", "RSA".into()),
                    ("n", b64::encode(&n)),
                    ("e", b64::encode(&e)),
                ]
            }
        })
    }
}

/// RFC 7638 thumbprint: base64url(SHA-256(canonical required members)).
pub(crate) fn thumbprint(material: &KeyMaterial) -> String {
    let input = Zeroizing::new(material.thumbprint_input());
    b64::encode(&Sha256::digest(input.as_bytes()))
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Parses one public (or `oct`) JWK from JSON text. Private members (`d`, `p`, ...) in a
    /// verification key are rejected: a verifier must not hold signing keys.
    ///
    /// A key a JWKS would skip (`use: enc`, `key_ops` without `verify`, an RSA or `oct` key
    /// without `alg`) is `ERR_JWK_INVALID` here; an unsupported `kty`, `crv` or `alg` is
    /// `ERR_JOSE_NOT_SUPPORTED`.
    #[inline(never)]
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_JWKS_BYTES {
            return Err(Error::InvalidJwk("jwk is too large"));
        }
        let raw = RawJwk::parse(json)?;
        match parse_public(&raw)? {
            Parsed::Key(key) => Ok(key),
            Parsed::Skip(reason) => Err(reason.into_error()),
        }
    }

    /// A raw HMAC secret for `alg` (HS256/384/512). The secret must be at least the hash
    /// size (32/48/64 bytes), else `ERR_JWK_INVALID`; any other `alg` is `ERR_JWK_INVALID`.
    #[inline(never)]
    pub fn from_secret(secret: &[u8], alg: Algorithm, kid: Option<String>) -> Result<Self, Error> {
        Ok(Self {
            alg,
            kid,
            key_use: None,
            material: KeyMaterial::Hmac(Box::new(HmacKey::new(alg, secret)?)),
        })
    }

    /// The algorithm this key is for.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The JWK `use`, if the key had one.
    pub fn key_use(&self) -> Option<KeyUse> {
        self.key_use
    }

    /// The RFC 7638 JWK thumbprint (SHA-256, base64url). For HMAC keys it is derived from
    /// the secret (as RFC 7638 defines it); publish it only for high-entropy secrets.
    pub fn thumbprint(&self) -> String {
        thumbprint(&self.material)
    }

    /// The public JWK (`kty`, `crv`/`x`/`y` or `n`/`e`, `alg`, `use: sig`, and `kid` when
    /// set); `None` for HMAC keys, which have no public form. (Feature `serde`; without it,
    /// [`Key::to_public_jwk_json`] gives the same JWK as JSON text.)
    #[cfg(feature = "serde")]
    pub fn to_public_jwk(&self) -> Option<serde_json::Value> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .public_jwk_members()?
            .into_iter()
            .map(|(name, value)| (name.to_owned(), value.into()))
            .collect();
        Some(serde_json::Value::Object(map))
    }

    /// The public JWK of [`Key::to_public_jwk`] as JSON text (members in the order `kty`,
    /// `crv`/`x`/`y` or `n`/`e`, `alg`, `use`, `kid`); `None` for HMAC keys.
    pub fn to_public_jwk_json(&self) -> Option<String> {
        let mut object = JsonObject::new();
        for (name, value) in self.public_jwk_members()? {
            object.string(name, &value);
        }
        Some(object.finish())
    }

    fn public_jwk_members(&self) -> Option<Vec<(&'static str, String)>> {
        let mut members = self.material.public_members()?;
        members.push(("alg", self.alg.as_str().to_owned()));
        members.push(("use", "sig".to_owned()));
        if let Some(kid) = &self.kid {
            members.push(("kid", kid.clone()));
        }
        Some(members)
    }

    /// Verifies `signature` over `message` with this key's own algorithm. The signature
    /// length is checked first; HMAC comparison is constant time.
    #[inline]
    pub(crate) fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        match &self.material {
            KeyMaterial::Hmac(key) => key.verify(message, signature),
            KeyMaterial::Ed25519(key) => eddsa::verify(key, message, signature),
            #[cfg(feature = "ecdsa")]
            KeyMaterial::Ec(key) => key.verify(message, signature),
            #[cfg(feature = "rsa")]
            KeyMaterial::Rsa(key) => rsa::verify(self.alg, key, message, signature),
        }
    }

    fn same_as(&self, other: &Self) -> bool {
        self.alg == other.alg && self.material.same_as(&other.material)
    }
}

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
    fn into_error(self) -> Error {
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

/// A JWKS entry that was skipped, with its position in `keys` and its `kid`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SkippedKey {
    /// Index in the JWKS `keys` array.
    pub index: usize,
    /// The entry's `kid`, if any.
    pub kid: Option<String>,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// An ordered set of verification keys.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub(crate) keys: Vec<Key>,
    skipped: Vec<SkippedKey>,
}

impl KeySet {
    /// Parses a JWKS (`{"keys":[...]}`). Keys with `use: enc`, or `key_ops` without
    /// `verify`, are skipped; keys of types this build does not support are skipped; a
    /// malformed or weak key fails the whole set (`ERR_JWK_INVALID`). Duplicate `kid`s with
    /// different material fail (an exact duplicate is dropped). An empty result fails.
    /// What was skipped, and why, is in [`KeySet::skipped`].
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        Self::parse_jwks(json, true)
    }

    /// Like [`KeySet::from_jwks_json`], for a JWKS fetched from a URL (`jwksUri`): such a
    /// document is public, so a secret `oct` key in it is a published secret that anyone
    /// could sign with. Those entries are skipped ([`SkipReason::SecretKey`], visible in
    /// [`KeySet::skipped`]) instead of becoming HMAC keys; HMAC secrets are configured
    /// locally (`from_jwks_json`, [`Key::from_secret`]). jose's remote JWK sets do not
    /// yield HMAC keys either.
    pub fn from_public_jwks_json(json: &str) -> Result<Self, Error> {
        Self::parse_jwks(json, false)
    }

    #[inline(never)]
    fn parse_jwks(json: &str, allow_secrets: bool) -> Result<Self, Error> {
        if json.len() > MAX_JWKS_BYTES {
            return Err(Error::InvalidJwk("jwk set is too large"));
        }
        let raw_keys = RawJwk::parse_set(json)?;
        let mut keys = Vec::with_capacity(raw_keys.len());
        let mut skipped = Vec::new();
        for (index, jwk) in raw_keys.iter().enumerate() {
            let parsed = if !allow_secrets && jwk.kty == "oct" {
                Parsed::Skip(SkipReason::SecretKey)
            } else {
                parse_public(jwk)?
            };
            match parsed {
                Parsed::Key(key) => keys.push(key),
                Parsed::Skip(reason) => skipped.push(SkippedKey {
                    index,
                    kid: jwk.kid.clone(),
                    reason,
                }),
            }
        }
        let mut set = Self::from_keys(keys)?;
        set.skipped = skipped;
        Ok(set)
    }

    /// A set from keys. Fails (`ERR_JWK_INVALID`) when empty, or when two keys share a `kid`
    /// but differ (exact duplicates are dropped).
    pub fn from_keys(keys: Vec<Key>) -> Result<Self, Error> {
        let mut unique: Vec<Key> = Vec::with_capacity(keys.len());
        // kid -> index in `unique` (a map, not a scan: a 1 MiB JWKS holds ~14k keys).
        let mut by_kid = crate::collections::HashMap::default();
        for key in keys {
            let duplicate = key
                .kid
                .as_ref()
                .and_then(|kid| by_kid.get(kid.as_str()))
                .and_then(|&i: &usize| unique.get(i));
            match duplicate {
                Some(other) if other.same_as(&key) => {}
                Some(_) => {
                    return Err(Error::InvalidJwk("two different keys share a kid"));
                }
                None => {
                    if let Some(kid) = &key.kid {
                        by_kid.insert(kid.clone(), unique.len());
                    }
                    unique.push(key);
                }
            }
        }
        if unique.is_empty() {
            return Err(Error::InvalidJwk("no usable key in the key set"));
        }
        Ok(Self {
            keys: unique,
            skipped: Vec::new(),
        })
    }

    /// A set with one key.
    pub fn single(key: Key) -> Self {
        Self {
            keys: vec![key],
            skipped: Vec::new(),
        }
    }

    /// The keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// The JWKS entries skipped by [`KeySet::from_jwks_json`].
    pub fn skipped(&self) -> &[SkippedKey] {
        &self.skipped
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The algorithms of the keys, in [`Algorithm::ALL`] order, without repeats.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        self.alg_set().iter().collect()
    }

    pub(crate) fn alg_set(&self) -> AlgSet {
        self.keys.iter().map(|key| key.alg).collect()
    }

    /// Key selection for a token (`alg` already allow-listed):
    /// - with a `kid`: the key with that `kid` (else `ERR_JWKS_NO_MATCHING_KEY`), which must
    ///   be for `alg` (else `ERR_JOSE_ALG_NOT_ALLOWED`);
    /// - without: the one key for `alg`; none or several is `ERR_JWKS_NO_MATCHING_KEY`.
    #[inline]
    pub(crate) fn select(&self, alg: Algorithm, kid: Option<&str>) -> Result<&Key, Error> {
        match kid {
            Some(kid) => {
                let key = self
                    .keys
                    .iter()
                    .find(|key| key.kid.as_deref() == Some(kid))
                    .ok_or(Error::NoMatchingKey)?;
                if key.alg == alg {
                    Ok(key)
                } else {
                    Err(Error::AlgNotAllowed)
                }
            }
            None => {
                let mut fitting = self.keys.iter().filter(|key| key.alg == alg);
                match (fitting.next(), fitting.next()) {
                    (Some(key), None) => Ok(key),
                    _ => Err(Error::NoMatchingKey),
                }
            }
        }
    }
}

/// A string member holding secret material: zeroized on drop.
#[derive(Default)]
pub(crate) struct SecretMember(pub(crate) Zeroizing<String>);

/// Every JWK member revocable looks at. A repeated member (any name, at any depth) is
/// malformed, not ambiguous: `{"kty":"oct","k":"a","k":"b"}` fails.
// Without the `ecdsa` / `rsa` features `y`, `n` and `e` are still parsed (the same JWK
// strictness in every build) but never used.
#[cfg_attr(not(all(feature = "ecdsa", feature = "rsa")), allow(dead_code))]
#[derive(Default)]
pub(crate) struct RawJwk {
    pub(crate) kty: String,
    pub(crate) alg: Option<String>,
    pub(crate) key_use: Option<String>,
    pub(crate) key_ops: Option<Vec<String>>,
    pub(crate) kid: Option<String>,
    pub(crate) crv: Option<String>,
    pub(crate) x: Option<String>,
    pub(crate) y: Option<String>,
    pub(crate) n: Option<String>,
    pub(crate) e: Option<String>,
    pub(crate) k: Option<SecretMember>,
    pub(crate) d: Option<SecretMember>,
    pub(crate) p: Option<SecretMember>,
    pub(crate) q: Option<SecretMember>,
    pub(crate) dp: Option<SecretMember>,
    pub(crate) dq: Option<SecretMember>,
    pub(crate) qi: Option<SecretMember>,
    /// `oth` (multi-prime RSA) is present and not `null`.
    pub(crate) oth: bool,
}

impl RawJwk {
    /// Parses one JWK (a JSON object). `ERR_JWK_INVALID` ("malformed jwk json") when it is
    /// not one, repeats a member, or a known member has the wrong type; `null` counts as
    /// absent for every member but `kty` (as serde's `Option` fields did).
    pub(crate) fn parse(json: &str) -> Result<Self, Error> {
        let mut r = Reader::from_str(json);
        Self::read(&mut r)
            .and_then(|jwk| r.end().map(|()| jwk))
            .map_err(|Malformed| Error::InvalidJwk("malformed jwk json"))
    }

    /// Parses a JWK Set (`{"keys":[...]}`; other members are skipped): the entries, unchecked.
    pub(crate) fn parse_set(json: &str) -> Result<Vec<Self>, Error> {
        let mut r = Reader::from_str(json);
        Self::read_set(&mut r)
            .and_then(|keys| r.end().map(|()| keys))
            .map_err(|Malformed| Error::InvalidJwk("malformed jwk set json"))
    }

    fn read_set(r: &mut Reader<'_>) -> Result<Vec<Self>, Malformed> {
        let mut keys = None;
        let mut members = r.object()?;
        while let Some(name) = r.member(&mut members)? {
            if name == "keys" {
                let mut list = Vec::new();
                let mut items = r.array()?;
                while r.element(&mut items)? {
                    list.push(Self::read(r)?);
                }
                keys = Some(list);
            } else {
                r.skip_value()?;
            }
        }
        keys.ok_or(Malformed)
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, Malformed> {
        let mut jwk = Self::default();
        let mut kty = None;
        let mut members = r.object()?;
        while let Some(name) = r.member(&mut members)? {
            let text = |r: &mut Reader<'_>| r.optional_string().map(|s| s.map(String::from));
            let secret = |r: &mut Reader<'_>| {
                // Owned straight into a zeroizing string (escaped text is decoded into a
                // buffer of its final size; unescaped text is copied once).
                r.optional_string()
                    .map(|s| s.map(|s| SecretMember(Zeroizing::new(s.into_owned()))))
            };
            match name.as_ref() {
                "kty" => kty = Some(r.string()?.into_owned()),
                "alg" => jwk.alg = text(r)?,
                "use" => jwk.key_use = text(r)?,
                "kid" => jwk.kid = text(r)?,
                "crv" => jwk.crv = text(r)?,
                "x" => jwk.x = text(r)?,
                "y" => jwk.y = text(r)?,
                "n" => jwk.n = text(r)?,
                "e" => jwk.e = text(r)?,
                "key_ops" => {
                    jwk.key_ops = match r.value()? {
                        Value::StrList(ops) => Some(ops.into_iter().map(String::from).collect()),
                        Value::Null => None,
                        _ => return Err(Malformed),
                    };
                }
                "k" => jwk.k = secret(r)?,
                "d" => jwk.d = secret(r)?,
                "p" => jwk.p = secret(r)?,
                "q" => jwk.q = secret(r)?,
                "dp" => jwk.dp = secret(r)?,
                "dq" => jwk.dq = secret(r)?,
                "qi" => jwk.qi = secret(r)?,
                "oth" => jwk.oth = !matches!(r.value()?, Value::Null),
                _ => r.skip_value()?,
            }
        }
        jwk.kty = kty.ok_or(Malformed)?;
        Ok(jwk)
    }

    fn has_private_members(&self) -> bool {
        self.d.is_some()
            || self.p.is_some()
            || self.q.is_some()
            || self.dp.is_some()
            || self.dq.is_some()
            || self.qi.is_some()
            || self.oth
    }

    pub(crate) fn key_use(&self) -> Option<KeyUse> {
        match self.key_use.as_deref() {
            Some("sig") => Some(KeyUse::Signature),
            Some("enc") => Some(KeyUse::Encryption),
            _ => None,
        }
    }
}

/// Strictly decodes a required base64url member.
pub(crate) fn member(value: Option<&str>, missing: &'static str) -> Result<Vec<u8>, Error> {
    let value = value.ok_or(Error::InvalidJwk(missing))?;
    b64::decode_vec(value.as_bytes())
        .map_err(|_| Error::InvalidJwk("a jwk member is not strict base64url"))
}

/// Like [`member`], for secret members: the decoded bytes are zeroized on drop.
pub(crate) fn secret_member(
    value: Option<&SecretMember>,
    missing: &'static str,
) -> Result<Zeroizing<Vec<u8>>, Error> {
    member(value.map(|s| s.0.as_str()), missing).map(Zeroizing::new)
}

/// What a JWK's `kty`/`crv`/`alg` resolve to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyKind {
    Ed25519,
    #[cfg(feature = "ecdsa")]
    Ec(Curve),
    #[cfg(feature = "rsa")]
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
        #[cfg(feature = "ecdsa")]
        "EC" => match raw.crv.as_deref() {
            Some(name) => match Curve::from_name(name) {
                Some(curve) => (KeyKind::Ec(curve), Some(curve.algorithm())),
                None => return Ok(Parsed::Skip(SkipReason::UnsupportedCurve)),
            },
            None => return Err(Error::InvalidJwk("ec key without crv")),
        },
        #[cfg(feature = "rsa")]
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
        #[cfg(feature = "rsa")]
        KeyKind::Rsa => alg.is_rsa(),
        KeyKind::Oct => alg.is_hmac(),
        KeyKind::Ed25519 => Some(alg) == implied,
        #[cfg(feature = "ecdsa")]
        KeyKind::Ec(_) => Some(alg) == implied,
    };
    match (alg, implied) {
        (Some(alg), _) if fits(alg) => Ok(Parsed::Key((alg, kind))),
        (Some(_), _) => Err(Error::InvalidJwk("alg does not fit the key type or curve")),
        (None, Some(implied)) => Ok(Parsed::Key((implied, kind))),
        (None, None) => Ok(Parsed::Skip(SkipReason::AlgorithmRequired)),
    }
}

fn parse_public(raw: &RawJwk) -> Result<Parsed<Key>, Error> {
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
        #[cfg(feature = "rsa")]
        KeyKind::Rsa => KeyMaterial::Rsa(Box::new(rsa::RsaKey::new(rsa::public_key(
            &member(raw.n.as_deref(), "rsa key without n")?,
            &member(raw.e.as_deref(), "rsa key without e")?,
        )?))),
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

#[cfg(test)]
mod tests {
    use super::*;

    const ED: &str =
        r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
    const EC: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
    const OCT: &str = r#"{"kty":"oct","alg":"HS256","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;

    fn with(base: &str, extra: &str) -> String {
        format!("{},{}", &base[..base.len() - 1], &extra[1..])
    }

    #[test]
    fn algorithm_comes_from_kty_and_crv_when_unambiguous() {
        assert_eq!(
            Key::from_jwk_json(ED).unwrap().algorithm(),
            Algorithm::EdDsa
        );
        assert_eq!(
            Key::from_jwk_json(EC).unwrap().algorithm(),
            Algorithm::Es256
        );
        assert_eq!(
            Key::from_jwk_json(OCT).unwrap().algorithm(),
            Algorithm::Hs256
        );
    }

    #[test]
    fn alg_must_fit_the_key() {
        for bad in [
            r#"{"alg":"ES384"}"#,
            r#"{"alg":"HS256"}"#,
            r#"{"alg":"RS256"}"#,
        ] {
            assert_eq!(
                Key::from_jwk_json(&with(EC, bad)).unwrap_err().code(),
                "ERR_JWK_INVALID",
                "{bad}"
            );
        }
        assert_eq!(
            Key::from_jwk_json(&with(ED, r#"{"alg":"none"}"#))
                .unwrap_err()
                .code(),
            "ERR_JWK_INVALID"
        );
        assert_eq!(
            Key::from_jwk_json(&with(ED, r#"{"alg":"ES256K"}"#))
                .unwrap_err()
                .code(),
            "ERR_JOSE_NOT_SUPPORTED"
        );
    }

    #[test]
    fn oct_and_rsa_need_alg() {
        let oct = r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow"}"#;
        assert_eq!(
            Key::from_jwk_json(oct).unwrap_err(),
            Error::InvalidJwk("rsa and oct keys need an alg")
        );
    }

    #[test]
    fn private_members_are_rejected() {
        let d = r#"{"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;
        assert_eq!(
            Key::from_jwk_json(&with(EC, d)).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }

    #[test]
    fn use_and_key_ops() {
        assert!(Key::from_jwk_json(&with(EC, r#"{"use":"sig","key_ops":["verify"]}"#)).is_ok());
        assert_eq!(
            Key::from_jwk_json(&with(EC, r#"{"use":"sig","key_ops":["encrypt"]}"#)).unwrap_err(),
            Error::InvalidJwk("use and key_ops disagree")
        );
        assert_eq!(
            Key::from_jwk_json(&with(EC, r#"{"key_ops":["verify","verify"]}"#)).unwrap_err(),
            Error::InvalidJwk("key_ops has a duplicate value")
        );
        assert_eq!(
            Key::from_jwk_json(&with(EC, r#"{"key_ops":["sign"]}"#)).unwrap_err(),
            Error::InvalidJwk("key_ops does not include verify")
        );
        assert_eq!(
            Key::from_jwk_json(&with(EC, r#"{"use":"enc"}"#)).unwrap_err(),
            Error::InvalidJwk("key is not for signatures (use)")
        );
    }

    /// The duplicate check on `key_ops` must not be quadratic: a hostile key set (a remote
    /// JWKS) of 1 MiB with 100k distinct values took 28 s (debug) with pairwise comparison.
    #[test]
    fn huge_key_ops_are_checked_in_linear_time() {
        let ops: Vec<String> = (0..100_000).map(|i| format!(r#""{i:x}""#)).collect();
        let distinct = with(
            ED,
            &format!(r#"{{"key_ops":["verify",{}]}}"#, ops.join(",")),
        );
        let started = std::time::Instant::now();
        assert!(Key::from_jwk_json(&distinct).is_ok());
        let repeated = with(
            ED,
            &format!(r#"{{"key_ops":["verify",{},"1869f"]}}"#, ops.join(",")),
        );
        assert_eq!(
            Key::from_jwk_json(&repeated).unwrap_err(),
            Error::InvalidJwk("key_ops has a duplicate value")
        );
        let elapsed = started.elapsed();
        assert!(elapsed.as_secs() < 10, "{elapsed:?}");
    }

    #[test]
    fn duplicate_members_and_bad_base64_are_malformed() {
        let dup = r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(
            Key::from_jwk_json(dup).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
        let padded =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#;
        assert_eq!(
            Key::from_jwk_json(padded).unwrap_err(),
            Error::InvalidJwk("a jwk member is not strict base64url")
        );
    }

    #[test]
    fn jwks_skips_with_reasons_and_fails_on_malformed() {
        let jwks = format!(
            r#"{{"keys":[{},{},{},{},{},{},{}]}}"#,
            with(EC, r#"{"use":"enc","kid":"enc"}"#),
            r#"{"kty":"OKP","crv":"X25519","x":"hSDwCYkwp1R0i33ctD73Wg2_Og0mOBr066SpjqqbTmo","kid":"x"}"#,
            r#"{"kty":"AKP","alg":"ML-DSA-44","pub":"AAAA","kid":"pq"}"#,
            r#"{"kty":"RSA","alg":"RSA-OAEP","n":"AQAB","e":"AQAB","kid":"oaep"}"#,
            with(EC, r#"{"key_ops":["sign"],"kid":"s"}"#),
            r#"{"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"noalg"}"#,
            with(ED, r#"{"kid":"ed"}"#),
        );
        let set = KeySet::from_jwks_json(&jwks).unwrap();
        assert_eq!(set.len(), 1);
        assert_eq!(set.keys()[0].kid(), Some("ed"));
        let reasons: Vec<_> = set.skipped().iter().map(|s| (s.index, s.reason)).collect();
        assert_eq!(
            reasons,
            vec![
                (0, SkipReason::NotForSignatures),
                (1, SkipReason::UnsupportedCurve),
                (2, SkipReason::UnsupportedKeyType),
                (3, SkipReason::UnsupportedAlgorithm),
                (4, SkipReason::NotForVerification),
                (5, SkipReason::AlgorithmRequired),
            ]
        );
        // A malformed entry fails the set.
        let bad = format!(
            r#"{{"keys":[{},{}]}}"#,
            ED, r#"{"kty":"EC","crv":"P-256","x":"AA","y":"AA"}"#
        );
        assert_eq!(
            KeySet::from_jwks_json(&bad).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
        // Nothing usable.
        assert_eq!(
            KeySet::from_jwks_json(r#"{"keys":[]}"#).unwrap_err(),
            Error::InvalidJwk("no usable key in the key set")
        );
        assert_eq!(
            KeySet::from_jwks_json("[]").unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }

    #[test]
    fn public_jwks_skips_secret_keys() {
        let jwks = format!(
            r#"{{"keys":[{},{}]}}"#,
            with(OCT, r#"{"kid":"hs"}"#),
            with(ED, r#"{"kid":"ed"}"#)
        );
        let local = KeySet::from_jwks_json(&jwks).unwrap();
        assert_eq!(local.len(), 2);
        let public = KeySet::from_public_jwks_json(&jwks).unwrap();
        assert_eq!(public.len(), 1);
        assert_eq!(public.keys()[0].kid(), Some("ed"));
        assert_eq!(
            public.skipped(),
            &[SkippedKey {
                index: 0,
                kid: Some("hs".into()),
                reason: SkipReason::SecretKey
            }]
        );
        assert_eq!(SkipReason::SecretKey.as_str(), "secret_key");
        // Only secret keys: nothing usable.
        assert_eq!(
            KeySet::from_public_jwks_json(&format!(r#"{{"keys":[{OCT}]}}"#)).unwrap_err(),
            Error::InvalidJwk("no usable key in the key set")
        );
        // Everything else is checked as from_jwks_json does.
        let private_ec = format!(
            r#"{{"keys":[{}]}}"#,
            with(EC, r#"{"d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#)
        );
        assert_eq!(
            KeySet::from_public_jwks_json(&private_ec)
                .unwrap_err()
                .code(),
            "ERR_JWK_INVALID"
        );
    }

    #[test]
    fn duplicate_kids() {
        let same = format!(
            r#"{{"keys":[{},{}]}}"#,
            with(ED, r#"{"kid":"a"}"#),
            with(ED, r#"{"kid":"a"}"#)
        );
        assert_eq!(KeySet::from_jwks_json(&same).unwrap().len(), 1);
        let different = format!(
            r#"{{"keys":[{},{}]}}"#,
            with(ED, r#"{"kid":"a"}"#),
            with(EC, r#"{"kid":"a"}"#)
        );
        assert_eq!(
            KeySet::from_jwks_json(&different).unwrap_err(),
            Error::InvalidJwk("two different keys share a kid")
        );
    }

    /// RFC 7638 §3.1 example.
    #[test]
    fn thumbprint_matches_rfc7638() {
        let jwk = r#"{"kty":"RSA","alg":"RS256","e":"AQAB","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#;
        assert_eq!(
            Key::from_jwk_json(jwk).unwrap().thumbprint(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn debug_redacts_hmac_secrets() {
        let key =
            Key::from_secret(b"this is a secret of 32 bytes!!!!", Algorithm::Hs256, None).unwrap();
        assert!(!format!("{key:?}").contains("secret"));
    }
}
