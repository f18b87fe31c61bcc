//! The JWS algorithms this crate knows, and (in `alg/`) one file per family: key checks,
//! verification, and signing (feature `sign`, partly through jwt-compact).

use core::{fmt, str::FromStr};

use crate::Error;

// ECDSA and RSA are cargo features (on by default): a build for EdDSA and HMAC tokens only
// leaves out the RustCrypto curve and big-integer code, most of the wasm's size.
#[cfg(feature = "ecdsa")]
pub(crate) mod ecdsa;
pub(crate) mod eddsa;
pub(crate) mod hmac;
#[cfg(any(feature = "ecdsa", feature = "rsa", feature = "host-keys"))]
pub(crate) mod params;
// EC and RSA keys whose arithmetic is the host's (feature `host-keys`): used only for the
// families this build leaves out, so partly unused (and then only tested) next to `ecdsa` or
// `rsa`.
#[cfg(feature = "host-keys")]
#[cfg_attr(any(feature = "ecdsa", feature = "rsa"), allow(dead_code))]
pub(crate) mod host_key;
#[cfg(feature = "rsa")]
pub(crate) mod rsa;

/// A JWS `alg` this crate can verify. `none` is deliberately not representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Algorithm {
    /// HMAC with SHA-256.
    Hs256,
    /// HMAC with SHA-384.
    Hs384,
    /// HMAC with SHA-512.
    Hs512,
    /// ECDSA P-256 with SHA-256 (signature is raw r||s, 64 bytes).
    Es256,
    /// ECDSA P-384 with SHA-384 (96 bytes).
    Es384,
    /// ECDSA P-521 with SHA-512 (132 bytes).
    Es512,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// EdDSA over Ed25519.
    EdDsa,
}

impl Algorithm {
    /// Every algorithm, in a stable order.
    pub const ALL: [Algorithm; 13] = [
        Self::Hs256,
        Self::Hs384,
        Self::Hs512,
        Self::Es256,
        Self::Es384,
        Self::Es512,
        Self::Rs256,
        Self::Rs384,
        Self::Rs512,
        Self::Ps256,
        Self::Ps384,
        Self::Ps512,
        Self::EdDsa,
    ];

    /// The JOSE name (`"HS256"`, `"EdDSA"`, ...).
    #[inline]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Hs256 => "HS256",
            Self::Hs384 => "HS384",
            Self::Hs512 => "HS512",
            Self::Es256 => "ES256",
            Self::Es384 => "ES384",
            Self::Es512 => "ES512",
            Self::Rs256 => "RS256",
            Self::Rs384 => "RS384",
            Self::Rs512 => "RS512",
            Self::Ps256 => "PS256",
            Self::Ps384 => "PS384",
            Self::Ps512 => "PS512",
            Self::EdDsa => "EdDSA",
        }
    }

    /// True for the HMAC algorithms (symmetric keys).
    pub const fn is_hmac(self) -> bool {
        matches!(self, Self::Hs256 | Self::Hs384 | Self::Hs512)
    }

    /// True for the RSA algorithms (RS* and PS*).
    pub const fn is_rsa(self) -> bool {
        matches!(
            self,
            Self::Rs256 | Self::Rs384 | Self::Rs512 | Self::Ps256 | Self::Ps384 | Self::Ps512
        )
    }

    /// The fixed signature length in bytes, or `None` for RSA (the modulus length).
    pub const fn signature_len(self) -> Option<usize> {
        match self {
            Self::Hs256 => Some(32),
            Self::Hs384 => Some(48),
            Self::Es256 | Self::EdDsa => Some(64),
            Self::Hs512 => Some(64),
            Self::Es384 => Some(96),
            Self::Es512 => Some(132),
            _ => None,
        }
    }

    /// The minimum HMAC secret length in bytes (the hash output size, RFC 7518 §3.2);
    /// `None` for asymmetric algorithms.
    pub const fn min_secret_len(self) -> Option<usize> {
        match self {
            Self::Hs256 => Some(32),
            Self::Hs384 => Some(48),
            Self::Hs512 => Some(64),
            _ => None,
        }
    }

    /// Parses a token's `alg`. Unlike [`FromStr`], every unusable name (including `none`)
    /// is `ERR_JOSE_ALG_NOT_ALLOWED`: a token cannot ask for an algorithm.
    #[inline]
    pub(crate) fn from_token_header(name: &str) -> Result<Self, Error> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == name)
            .ok_or(Error::AlgNotAllowed)
    }

    #[inline]
    const fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A set of algorithms as a bit mask (13 algorithms fit in a `u16`): the allow-list
/// check on the hot path is one AND.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AlgSet(u16);

impl AlgSet {
    pub(crate) const EMPTY: Self = Self(0);

    pub(crate) fn insert(&mut self, alg: Algorithm) {
        self.0 |= alg.bit();
    }

    #[inline]
    pub(crate) const fn contains(self, alg: Algorithm) -> bool {
        self.0 & alg.bit() != 0
    }

    pub(crate) const fn intersect(self, other: Self) -> Self {
        Self(self.0 & other.0)
    }

    pub(crate) const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The members in [`Algorithm::ALL`] order.
    pub(crate) fn iter(self) -> impl Iterator<Item = Algorithm> {
        Algorithm::ALL
            .into_iter()
            .filter(move |alg| self.contains(*alg))
    }
}

impl FromIterator<Algorithm> for AlgSet {
    fn from_iter<T: IntoIterator<Item = Algorithm>>(iter: T) -> Self {
        let mut set = Self::EMPTY;
        for alg in iter {
            set.insert(alg);
        }
        set
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = Error;

    /// Exact, case-sensitive JOSE names. `none` and unknown names are
    /// `ERR_JOSE_NOT_SUPPORTED` (`none` is never an algorithm here).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|alg| alg.as_str() == s)
            .ok_or(Error::NotSupported("algorithm"))
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for Algorithm {
    fn deserialize<D: serde::Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        let name = <alloc::borrow::Cow<'de, str>>::deserialize(de)?;
        name.parse()
            .map_err(|_| serde::de::Error::custom("unsupported algorithm"))
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for Algorithm {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        ser.serialize_str(self.as_str())
    }
}
