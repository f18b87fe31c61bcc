//! One verification key: its material per algorithm family, verification, thumbprints and
//! public JWK export.

use alloc::{borrow::ToOwned, boxed::Box, format, string::String, vec, vec::Vec};

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

#[cfg(feature = "ecdsa")]
use crate::alg::ecdsa::EcPublic;
#[cfg(feature = "host-keys")]
use crate::alg::host_key::HostKey;
#[cfg(feature = "rsa")]
use crate::alg::rsa;
use crate::{
    alg::{eddsa, hmac::HmacKey},
    b64,
    json::JsonObject,
    Algorithm, Error,
};

use super::{import::parse_public, import::Parsed, raw::RawJwk, KeyUse, MAX_JWKS_BYTES};

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

/// The key bytes, per family. HMAC secrets are zeroized on drop. (ECDSA and RSA keys exist in
/// builds with the `ecdsa` / `rsa` features; without them such JWKs are skipped as
/// unsupported key types, or with `host-keys` imported as keys only the host can check.)
#[derive(Clone)]
pub(crate) enum KeyMaterial {
    Hmac(Box<HmacKey>),
    Ed25519(ed25519_dalek::VerifyingKey),
    #[cfg(feature = "ecdsa")]
    Ec(EcPublic),
    #[cfg(feature = "rsa")]
    Rsa(Box<rsa::RsaKey>),
    /// An EC or RSA key of a family this build leaves to the host (feature `host-keys`).
    #[cfg(feature = "host-keys")]
    #[cfg_attr(all(feature = "ecdsa", feature = "rsa"), allow(dead_code))]
    Host(Box<HostKey>),
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
            #[cfg(feature = "host-keys")]
            (Self::Host(a), Self::Host(b)) => a == b,
            _ => false,
        }
    }

    /// The public half of an asymmetric key as JWK values; `None` for HMAC keys.
    fn public(&self) -> Option<Public> {
        Some(match self {
            Self::Hmac(_) => return None,
            Self::Ed25519(key) => Public::Okp {
                x: key.as_bytes().to_vec(),
            },
            #[cfg(feature = "ecdsa")]
            Self::Ec(key) => {
                let (x, y) = key.coordinates();
                Public::Ec {
                    crv: key.curve().name(),
                    x,
                    y,
                }
            }
            #[cfg(feature = "rsa")]
            Self::Rsa(key) => {
                let (n, e) = rsa::components(key);
                Public::Rsa { n, e }
            }
            #[cfg(feature = "host-keys")]
            Self::Host(key) => match &**key {
                HostKey::Ec { curve, x, y } => Public::Ec {
                    crv: curve.name(),
                    x: x.clone(),
                    y: y.clone(),
                },
                HostKey::Rsa { n, e } => Public::Rsa {
                    n: n.clone(),
                    e: e.clone(),
                },
            },
        })
    }

    /// The RFC 7638 members in lexicographic order, as canonical JSON.
    fn thumbprint_input(&self) -> String {
        if let Self::Hmac(key) = self {
            return format!(
                r#"{{"k":"{}","kty":"oct"}}"#,
                Zeroizing::new(b64::encode(key.secret())).as_str()
            );
        }
        match self.public() {
            Some(Public::Okp { x }) => {
                format!(
                    r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#,
                    b64::encode(&x)
                )
            }
            #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
            Some(Public::Ec { crv, x, y }) => format!(
                r#"{{"crv":"{crv}","kty":"EC","x":"{}","y":"{}"}}"#,
                b64::encode(&x),
                b64::encode(&y)
            ),
            #[cfg(any(feature = "rsa", feature = "host-keys"))]
            Some(Public::Rsa { n, e }) => format!(
                r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#,
                b64::encode(&e),
                b64::encode(&n)
            ),
            // Only HMAC keys (above) have no public half.
            None => String::new(),
        }
    }

    /// The public JWK members (`kty`, `crv`, `x`, `y` / `kty`, `n`, `e`); `None` for HMAC
    /// keys.
    pub(crate) fn public_members(&self) -> Option<Vec<(&'static str, String)>> {
        Some(match self.public()? {
            Public::Okp { x } => vec![
                ("kty", "OKP".into()),
                ("crv", "Ed25519".into()),
                ("x", b64::encode(&x)),
            ],
            #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
            Public::Ec { crv, x, y } => vec![
                ("kty", "EC".into()),
                ("crv", crv.into()),
                ("x", b64::encode(&x)),
                ("y", b64::encode(&y)),
            ],
            #[cfg(any(feature = "rsa", feature = "host-keys"))]
            Public::Rsa { n, e } => vec![
                ("kty", "RSA".into()),
                ("n", b64::encode(&n)),
                ("e", b64::encode(&e)),
            ],
        })
    }
}

/// The public half of an asymmetric key, big-endian (JWK export and thumbprints).
enum Public {
    Okp {
        x: Vec<u8>,
    },
    #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
    Ec {
        crv: &'static str,
        x: Vec<u8>,
        y: Vec<u8>,
    },
    #[cfg(any(feature = "rsa", feature = "host-keys"))]
    Rsa {
        n: Vec<u8>,
        e: Vec<u8>,
    },
}

/// RFC 7638 thumbprint: base64url(SHA-256(canonical required members)).
pub(crate) fn thumbprint(material: &KeyMaterial) -> String {
    let input = Zeroizing::new(material.thumbprint_input());
    b64::encode(&Sha256::digest(input.as_bytes()))
}

/// The `Debug` form of a verification or signing key: its algorithm and `kid`, never the
/// key material.
pub(crate) fn fmt_redacted(
    f: &mut core::fmt::Formatter<'_>,
    name: &str,
    alg: Algorithm,
    kid: &dyn core::fmt::Debug,
) -> core::fmt::Result {
    f.debug_struct(name)
        .field("alg", &alg)
        .field("kid", kid)
        .finish_non_exhaustive()
}

impl core::fmt::Debug for Key {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        fmt_redacted(f, "Key", self.alg, &self.kid)
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
            // Only the host checks these (src/alg/host_key.rs): without its answer, no.
            #[cfg(feature = "host-keys")]
            KeyMaterial::Host(_) => false,
        }
    }

    pub(super) fn same_as(&self, other: &Self) -> bool {
        self.alg == other.alg && self.material.same_as(&other.material)
    }
}
