//! An ordered set of verification keys from a JWKS, and the key selection for a token.

use alloc::{string::String, vec, vec::Vec};

use crate::{alg::AlgSet, Algorithm, Error};

use super::{
    import::{parse_public, Parsed, SkipReason},
    key::Key,
    raw::RawJwk,
    MAX_JWKS_BYTES,
};

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
