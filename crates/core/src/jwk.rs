//! Verification keys from JWK / JWKS (RFC 7517) or raw HMAC secrets, with strength checks.
//!
//! A key fixes its algorithm: from the JWK's `alg`, or, when absent, from `kty`/`crv` where
//! that is unambiguous (OKP Ed25519 -> EdDSA, EC P-256 -> ES256, P-384 -> ES384,
//! P-521 -> ES512). RSA and `oct` keys without `alg` are rejected (`ERR_JWK_INVALID`): the
//! algorithm must never come from the token.

use crate::{Algorithm, Error};

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
/// `Debug` redacts secret material.
#[derive(Clone)]
pub struct Key {
    pub(crate) alg: Algorithm,
    pub(crate) kid: Option<String>,
    pub(crate) material: KeyMaterial,
}

/// The key bytes, per family. HMAC secrets are zeroized on drop.
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    // Filled in by the implementation: Hmac(secret), Ed25519(pk), P256(vk), P384(vk), P521(vk), Rsa(pk)
    #[allow(dead_code)]
    Placeholder,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Key")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl Key {
    /// Parses one public (or `oct`) JWK from JSON text. Private members (`d`, `p`, ...) in a
    /// verification key are rejected: a verifier must not hold signing keys.
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        let _ = json;
        todo!()
    }

    /// A raw HMAC secret for `alg` (HS256/384/512). The secret must be at least the hash
    /// size (32/48/64 bytes), else `ERR_JWK_INVALID`.
    pub fn from_secret(secret: &[u8], alg: Algorithm, kid: Option<String>) -> Result<Self, Error> {
        let _ = (secret, alg, kid);
        todo!()
    }

    /// The algorithm this key is for.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id, if any.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }
}

/// An ordered set of verification keys.
#[derive(Debug, Clone, Default)]
pub struct KeySet {
    pub(crate) keys: Vec<Key>,
}

impl KeySet {
    /// Parses a JWKS (`{"keys":[...]}`). Keys with `use: enc`, or `key_ops` without
    /// `verify`, are skipped; keys of types this build does not support are skipped; a
    /// malformed or weak key fails the whole set (`ERR_JWK_INVALID`). Duplicate `kid`s with
    /// different material fail. An empty result fails.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        let _ = json;
        todo!()
    }

    /// A set with one key.
    pub fn single(key: Key) -> Self {
        Self { keys: vec![key] }
    }

    /// The keys.
    pub fn keys(&self) -> &[Key] {
        &self.keys
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// True when there is no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
