//! Signing (feature `sign`, used by the issuer): private JWK import, key generation from
//! caller-supplied randomness, public JWK export and token creation.

use serde_json::{Map, Value};

use crate::{Algorithm, Error, Key};

/// A private signing key with its algorithm and `kid`. `Debug` redacts the secret; the
/// secret is zeroized on drop.
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Parses a private JWK (must carry `d` / `k`, and `alg` where `kty` does not fix it).
    /// Without `kid`, the RFC 7638 thumbprint becomes the `kid`.
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        let _ = json;
        todo!()
    }

    /// Generates a key for `alg` from `seed`, random bytes the caller drew from a CSPRNG
    /// (getrandom). EdDSA and ES256 need 32 bytes, ES384 48, ES512 66, HS256/384/512 32/48/64.
    /// RSA keys cannot be generated here (`ERR_JOSE_NOT_SUPPORTED`): import them as JWK.
    /// The `kid` is the RFC 7638 thumbprint of the public key.
    pub fn generate(alg: Algorithm, seed: &[u8]) -> Result<Self, Error> {
        let _ = (alg, seed);
        todo!()
    }

    /// The algorithm.
    pub fn algorithm(&self) -> Algorithm {
        self.alg
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public JWK (`kty`, `crv`/`n`/`e`, `x`/`y`, `alg`, `use: sig`, `kid`). For HMAC
    /// keys there is no public form: `None`.
    pub fn public_jwk(&self) -> Option<Value> {
        todo!()
    }

    /// The private JWK, for writing key files (`.dev.vars`). Handle with care.
    pub fn private_jwk(&self) -> Value {
        todo!()
    }

    /// The matching verification key.
    pub fn verifying_key(&self) -> Key {
        todo!()
    }

    /// Signs `claims` into a compact JWS with header `{alg, typ, kid}` (`typ` omitted when
    /// `None`).
    pub fn sign(&self, claims: &Map<String, Value>, typ: Option<&str>) -> Result<String, Error> {
        let _ = (claims, typ);
        todo!()
    }
}

/// A private JWKS: the first key signs, all public keys are published.
#[derive(Debug, Clone)]
pub struct SigningKeySet {
    keys: Vec<SigningKey>,
}

impl SigningKeySet {
    /// Parses a private JWKS (`{"keys":[...]}`), at least one key, unique `kid`s.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        let _ = json;
        todo!()
    }

    /// A set from keys (first signs). Fails on an empty list or duplicate `kid`s.
    pub fn new(keys: Vec<SigningKey>) -> Result<Self, Error> {
        Ok(Self { keys })
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        &self.keys[0]
    }

    /// All keys.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// `{"keys":[public JWKs]}` for `/.well-known/jwks.json`.
    pub fn public_jwks(&self) -> Value {
        todo!()
    }

    /// `{"keys":[private JWKs]}` for key files.
    pub fn private_jwks(&self) -> Value {
        todo!()
    }
}
