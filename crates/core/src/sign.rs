//! Signing (feature `sign`, used by the issuer): private JWK import, key generation from
//! caller-supplied randomness, public JWK export and token creation.
//!
//! EC and RSA keys sign here in builds with `ecdsa` / `rsa`. In a build with `host-keys`
//! instead, their private JWKs are imported and checked as far as that needs no arithmetic,
//! and the caller's host signs ([`SigningKey::signed_by_host`]): the caller takes
//! [`SigningKey::signing_input`], has the host sign it with the JWK of
//! [`SigningKey::private_jwk`], and hands the signature to [`SigningKey::attach_signature`].
//!
//! Signing is deterministic and needs no randomness except for RSA (PSS salts and
//! PKCS#1 v1.5 blinding draw from the OS RNG; on a target without one, RSA signing returns
//! `ERR_JOSE_NOT_SUPPORTED` instead of panicking). Ed25519 is RFC 8032, ECDSA uses
//! RFC 6979 nonces, HMAC is HMAC.

use alloc::{borrow::ToOwned, boxed::Box, string::String, vec::Vec};

use serde::Serialize;
use serde_json::{Map, Value};
use zeroize::Zeroizing;

#[cfg(feature = "ecdsa")]
use crate::alg::ecdsa::EcPrivate;
#[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
use crate::alg::host_key::HostKey;
#[cfg(feature = "ecdsa")]
use crate::alg::params::Curve;
#[cfg(feature = "rsa")]
use crate::alg::rsa;
use crate::{
    alg::{eddsa, hmac::HmacKey},
    b64,
    jwk::{
        self, check_usage, member, resolve_algorithm, secret_member, KeyKind, KeyMaterial, Parsed,
        RawJwk,
    },
    Algorithm, Error, Key, MAX_TOKEN_BYTES,
};

/// A private signing key with its algorithm and `kid`. `Debug` redacts the secret; the
/// secret is zeroized on drop.
#[derive(Clone)]
pub struct SigningKey {
    alg: Algorithm,
    kid: String,
    material: SigningMaterial,
}

/// Private key material per family. Every variant zeroizes on drop (the HMAC key's
/// zeroizing secret, ed25519-dalek with `zeroize`, RustCrypto's ECDSA keys, `rsa`'s private
/// key, the host key's zeroizing members).
#[derive(Clone)]
enum SigningMaterial {
    Hmac(Box<HmacKey>),
    Ed25519(Box<ed25519_dalek::SigningKey>),
    #[cfg(feature = "ecdsa")]
    Ec(Box<EcPrivate>),
    #[cfg(feature = "rsa")]
    Rsa(Box<jwt_compact::alg::RsaPrivateKey>),
    #[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
    Host(Box<HostSigning>),
}

/// An EC or RSA private key the host signs with (feature `host-keys`): the public key and
/// the private JWK members (`d`, or `d`, `p`, `q`, `dp`, `dq`, `qi`), big-endian as the JWK
/// had them.
#[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
#[derive(Clone)]
struct HostSigning {
    public: HostKey,
    private: Vec<(&'static str, Zeroizing<Vec<u8>>)>,
}

impl SigningMaterial {
    /// The public half as verification material.
    fn public(&self) -> KeyMaterial {
        match self {
            Self::Hmac(key) => KeyMaterial::Hmac(key.clone()),
            Self::Ed25519(key) => KeyMaterial::Ed25519(key.verifying_key()),
            #[cfg(feature = "ecdsa")]
            Self::Ec(key) => KeyMaterial::Ec(key.public()),
            #[cfg(feature = "rsa")]
            Self::Rsa(key) => KeyMaterial::Rsa(Box::new(rsa::RsaKey::new(key.to_public_key()))),
            #[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
            Self::Host(key) => KeyMaterial::Host(Box::new(key.public.clone())),
        }
    }
}

impl core::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        jwk::fmt_redacted(f, "SigningKey", self.alg, &self.kid)
    }
}

/// The header revocable writes: members in this order, `typ` omitted when `None`.
#[derive(Serialize)]
struct SignedHeader<'a> {
    alg: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    typ: Option<&'a str>,
    kid: &'a str,
}

impl SigningKey {
    /// Parses a private JWK (must carry `d` / `k`, and `alg` where `kty` does not fix it).
    /// Without `kid`, the RFC 7638 thumbprint becomes the `kid`.
    ///
    /// Checked: `kty`/`crv`/`alg` agree; `use` (if any) is `sig` and `key_ops` (if any)
    /// contains `sign`; Ed25519 and EC keys carry the public `x` (and `y`) matching `d`;
    /// RSA keys carry `n`, `e`, `d`, `p`, `q`, `dp`, `dq`, `qi`, consistent with each other,
    /// 2048 to 4096 bits (multi-prime `oth` is not supported); `oct` secrets are at least the
    /// hash size. For an EC or RSA key the host signs with (`host-keys`, module docs), only
    /// what needs no arithmetic: the members are present, `d` is the curve's size, the public
    /// key passes the verification key's checks (RSA up to 16384 bits); that the halves match
    /// is the host's check. Failures are `ERR_JWK_INVALID` (`ERR_JOSE_NOT_SUPPORTED` for unsupported
    /// types, curves and algorithms).
    pub fn from_jwk_json(json: &str) -> Result<Self, Error> {
        if json.len() > jwk::MAX_JWKS_BYTES {
            return Err(Error::InvalidJwk("jwk is too large"));
        }
        Self::from_raw(&RawJwk::parse(json)?)
    }

    fn from_raw(raw: &RawJwk) -> Result<Self, Error> {
        if let Some(reason) = check_usage(raw, "sign")? {
            return Err(match reason {
                jwk::SkipReason::NotForVerification => {
                    Error::InvalidJwk("key_ops does not include sign")
                }
                _ => Error::InvalidJwk("key is not for signatures (use)"),
            });
        }
        let (alg, kind) = match resolve_algorithm(raw)? {
            Parsed::Key(found) => found,
            Parsed::Skip(jwk::SkipReason::AlgorithmRequired) => {
                return Err(Error::InvalidJwk("rsa and oct keys need an alg"));
            }
            Parsed::Skip(jwk::SkipReason::UnsupportedCurve) => {
                return Err(Error::NotSupported("curve"));
            }
            Parsed::Skip(jwk::SkipReason::UnsupportedKeyType) => {
                return Err(Error::NotSupported("key type"));
            }
            Parsed::Skip(_) => return Err(Error::NotSupported("algorithm")),
        };
        let material = match kind {
            KeyKind::Oct => {
                if raw.d.is_some() || raw.p.is_some() || raw.oth {
                    return Err(Error::InvalidJwk("oct key with asymmetric members"));
                }
                let k = secret_member(raw.k.as_ref(), "oct key without k")?;
                SigningMaterial::Hmac(Box::new(HmacKey::new(alg, &k)?))
            }
            KeyKind::Ed25519 => {
                let d = secret_member(raw.d.as_ref(), "private okp key without d")?;
                let d: &[u8; 32] = d
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::InvalidJwk("ed25519 private key must be 32 bytes"))?;
                let key = ed25519_dalek::SigningKey::from_bytes(d);
                let x = member(raw.x.as_deref(), "okp key without x")?;
                if eddsa::public_key(&x)? != key.verifying_key() {
                    return Err(Error::InvalidJwk("x does not match d"));
                }
                SigningMaterial::Ed25519(Box::new(key))
            }
            #[cfg(feature = "ecdsa")]
            KeyKind::Ec(curve) => {
                let d = secret_member(raw.d.as_ref(), "private ec key without d")?;
                let key = EcPrivate::from_scalar(curve, &d)?;
                let x = member(raw.x.as_deref(), "ec key without x")?;
                let y = member(raw.y.as_deref(), "ec key without y")?;
                let (px, py) = key.public().coordinates();
                if x != px || y != py {
                    return Err(Error::InvalidJwk("x and y do not match d"));
                }
                SigningMaterial::Ec(Box::new(key))
            }
            #[cfg(all(feature = "host-keys", not(feature = "ecdsa")))]
            KeyKind::Ec(curve) => {
                let d = secret_member(raw.d.as_ref(), "private ec key without d")?;
                if d.len() != curve.size() {
                    return Err(Error::InvalidJwk(
                        "ec private scalar must be exactly the curve's field size",
                    ));
                }
                let public = HostKey::ec(
                    curve,
                    &member(raw.x.as_deref(), "ec key without x")?,
                    &member(raw.y.as_deref(), "ec key without y")?,
                )?;
                SigningMaterial::Host(Box::new(HostSigning {
                    public,
                    private: alloc::vec![("d", d)],
                }))
            }
            #[cfg(feature = "rsa")]
            KeyKind::Rsa => {
                if raw.oth {
                    return Err(Error::NotSupported("multi-prime rsa keys"));
                }
                let n = member(raw.n.as_deref(), "rsa key without n")?;
                let e = member(raw.e.as_deref(), "rsa key without e")?;
                let d = secret_member(raw.d.as_ref(), "private rsa key without d")?;
                let p = secret_member(raw.p.as_ref(), "private rsa key without p")?;
                let q = secret_member(raw.q.as_ref(), "private rsa key without q")?;
                let dp = secret_member(raw.dp.as_ref(), "private rsa key without dp")?;
                let dq = secret_member(raw.dq.as_ref(), "private rsa key without dq")?;
                let qi = secret_member(raw.qi.as_ref(), "private rsa key without qi")?;
                let key = rsa::private_key(&rsa::PrivateParts {
                    n: &n,
                    e: &e,
                    d: &d,
                    p: &p,
                    q: &q,
                    dp: &dp,
                    dq: &dq,
                    qi: &qi,
                })?;
                SigningMaterial::Rsa(Box::new(key))
            }
            #[cfg(all(feature = "host-keys", not(feature = "rsa")))]
            KeyKind::Rsa => {
                if raw.oth {
                    return Err(Error::NotSupported("multi-prime rsa keys"));
                }
                let public = HostKey::rsa(
                    &member(raw.n.as_deref(), "rsa key without n")?,
                    &member(raw.e.as_deref(), "rsa key without e")?,
                )?;
                let mut private = Vec::with_capacity(6);
                for (name, value, missing) in [
                    ("d", &raw.d, "private rsa key without d"),
                    ("p", &raw.p, "private rsa key without p"),
                    ("q", &raw.q, "private rsa key without q"),
                    ("dp", &raw.dp, "private rsa key without dp"),
                    ("dq", &raw.dq, "private rsa key without dq"),
                    ("qi", &raw.qi, "private rsa key without qi"),
                ] {
                    private.push((name, secret_member(value.as_ref(), missing)?));
                }
                SigningMaterial::Host(Box::new(HostSigning { public, private }))
            }
        };
        Ok(Self::with_kid(alg, material, raw.kid.clone()))
    }

    fn with_kid(alg: Algorithm, material: SigningMaterial, kid: Option<String>) -> Self {
        let kid = kid.unwrap_or_else(|| jwk::thumbprint(&material.public()));
        Self { alg, kid, material }
    }

    /// The seed length [`SigningKey::generate`] takes for `alg`: exact for EdDSA and ECDSA
    /// (the private scalar's size), the minimum for HMAC (the hash size). `None` for the
    /// algorithms it cannot generate keys for (RSA).
    pub const fn seed_len(alg: Algorithm) -> Option<usize> {
        match alg {
            Algorithm::EdDsa | Algorithm::Es256 | Algorithm::Hs256 => Some(32),
            Algorithm::Es384 | Algorithm::Hs384 => Some(48),
            Algorithm::Hs512 => Some(64),
            Algorithm::Es512 => Some(66),
            _ => None,
        }
    }

    /// Generates a key for `alg` from `seed`, random bytes the caller drew from a CSPRNG
    /// (getrandom). EdDSA and ES256 need 32 bytes, ES384 48, ES512 66, HS256/384/512 32/48/64.
    /// RSA keys cannot be generated here (`ERR_JOSE_NOT_SUPPORTED`): import them as JWK.
    /// The `kid` is the RFC 7638 thumbprint of the public key.
    ///
    /// The seed length must be exact for EdDSA and ECDSA, and at least the hash size for
    /// HMAC (the whole seed is the secret); otherwise `ERR_JWK_INVALID`. For ES512 the top 7
    /// bits of the 66 bytes are cleared (a P-521 scalar has 521 bits). An ECDSA seed that is
    /// not a valid scalar (zero or not below the group order: probability below 2^-32) is
    /// `ERR_JWK_INVALID`: draw new bytes and call again.
    pub fn generate(alg: Algorithm, seed: &[u8]) -> Result<Self, Error> {
        let exact = || {
            if Some(seed.len()) == Self::seed_len(alg) {
                Ok(())
            } else {
                Err(Error::InvalidJwk(
                    "seed has the wrong length for the algorithm",
                ))
            }
        };
        let material = match alg {
            Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512 => {
                SigningMaterial::Hmac(Box::new(HmacKey::new(alg, seed).map_err(|_| {
                    Error::InvalidJwk("seed has the wrong length for the algorithm")
                })?))
            }
            Algorithm::EdDsa => {
                exact()?;
                let mut bytes = Zeroizing::new([0_u8; 32]);
                bytes.copy_from_slice(seed);
                SigningMaterial::Ed25519(Box::new(ed25519_dalek::SigningKey::from_bytes(&bytes)))
            }
            #[cfg(feature = "ecdsa")]
            Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
                let curve = match alg {
                    Algorithm::Es256 => Curve::P256,
                    Algorithm::Es384 => Curve::P384,
                    _ => Curve::P521,
                };
                exact()?;
                let mut scalar = Zeroizing::new(seed.to_vec());
                if curve == Curve::P521 {
                    scalar[0] &= 0x01;
                }
                SigningMaterial::Ec(Box::new(EcPrivate::from_scalar(curve, &scalar).map_err(
                    |_| {
                        Error::InvalidJwk(
                            "seed is not a valid scalar for the curve; draw new bytes",
                        )
                    },
                )?))
            }
            #[cfg(not(feature = "ecdsa"))]
            Algorithm::Es256 | Algorithm::Es384 | Algorithm::Es512 => {
                return Err(Error::NotSupported("ecdsa key generation in this build"))
            }
            _ => {
                return Err(Error::NotSupported(
                    "rsa key generation (import a jwk instead)",
                ))
            }
        };
        Ok(Self::with_kid(alg, material, None))
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
        self.verifying_key().to_public_jwk()
    }

    /// The private JWK, for writing key files (`.dev.vars`). Handle with care: the returned
    /// `Value` is ordinary memory and is not zeroized.
    pub fn private_jwk(&self) -> Value {
        let mut map: Map<String, Value> = self
            .material
            .public()
            .public_members()
            .unwrap_or_default()
            .into_iter()
            .map(|(name, value)| (name.to_owned(), Value::String(value)))
            .collect();
        let mut put = |name: &str, bytes: &[u8]| {
            map.insert(name.to_owned(), Value::String(b64::encode(bytes)));
        };
        match &self.material {
            SigningMaterial::Hmac(key) => {
                put("k", key.secret());
            }
            SigningMaterial::Ed25519(key) => put("d", key.as_bytes()),
            #[cfg(feature = "ecdsa")]
            SigningMaterial::Ec(key) => put("d", &key.scalar()),
            #[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
            SigningMaterial::Host(key) => {
                for (name, value) in &key.private {
                    put(name, value);
                }
            }
            #[cfg(feature = "rsa")]
            SigningMaterial::Rsa(key) => {
                if let Some([d, p, q, dp, dq, qi]) = rsa::private_components(key) {
                    let d = Zeroizing::new(d);
                    put("d", &d);
                    put("p", &Zeroizing::new(p));
                    put("q", &Zeroizing::new(q));
                    put("dp", &Zeroizing::new(dp));
                    put("dq", &Zeroizing::new(dq));
                    put("qi", &Zeroizing::new(qi));
                }
            }
        }
        if matches!(self.material, SigningMaterial::Hmac(_)) {
            map.insert("kty".into(), "oct".into());
        }
        map.insert("alg".into(), self.alg.as_str().into());
        map.insert("use".into(), "sig".into());
        map.insert("kid".into(), self.kid.clone().into());
        Value::Object(map)
    }

    /// The matching verification key (same `alg` and `kid`).
    pub fn verifying_key(&self) -> Key {
        Key {
            alg: self.alg,
            kid: Some(self.kid.clone()),
            key_use: Some(crate::KeyUse::Signature),
            material: self.material.public(),
        }
    }

    /// Whether the host signs with this key ([`SigningKey::sign`] cannot): an EC or RSA key
    /// in a build with `host-keys` and without that family.
    pub fn signed_by_host(&self) -> bool {
        #[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
        if matches!(self.material, SigningMaterial::Host(_)) {
            return true;
        }
        false
    }

    /// Signs `claims` into a compact JWS with header `{alg, typ, kid}` (`typ` omitted when
    /// `None`). Fails with `ERR_JWT_INVALID` when the token would exceed
    /// [`MAX_TOKEN_BYTES`] (no verifier would accept it), for RSA keys without a randomness
    /// source, and for keys the host signs with (`ERR_JOSE_NOT_SUPPORTED`).
    pub fn sign(&self, claims: &Map<String, Value>, typ: Option<&str>) -> Result<String, Error> {
        let input = self.signing_input(claims, typ)?;
        let signature = self.sign_bytes(input.as_bytes())?;
        self.attach_signature(input, &signature)
    }

    /// The JWS signing input `base64url(header) "." base64url(claims)` that [`SigningKey::sign`]
    /// signs: for a key the host signs with, what to hand to the host.
    pub fn signing_input(
        &self,
        claims: &Map<String, Value>,
        typ: Option<&str>,
    ) -> Result<String, Error> {
        let header = serde_json::to_vec(&SignedHeader {
            alg: self.alg.as_str(),
            typ,
            kid: &self.kid,
        })
        .map_err(|_| Error::InvalidJwt("header could not be serialized"))?;
        let payload = serde_json::to_vec(claims)
            .map_err(|_| Error::InvalidJwt("claims could not be serialized"))?;
        Ok(encode_input(&header, &payload))
    }

    /// The compact JWS of `signing_input` and its `signature` (the host's, for a key the host
    /// signs with). The signature must pass the checks every verifier applies before the
    /// arithmetic (its exact length, and for ECDSA `r`, `s` in `[1, n-1]`, for RSA below the
    /// modulus), else `ERR_JWS_INVALID`; a token over [`MAX_TOKEN_BYTES`] is
    /// `ERR_JWT_INVALID`.
    pub fn attach_signature(
        &self,
        signing_input: String,
        signature: &[u8],
    ) -> Result<String, Error> {
        if !crate::host::precheck(&self.verifying_key(), signature) {
            return Err(Error::InvalidJws("signature does not fit the key"));
        }
        let mut token = signing_input;
        token.push('.');
        b64::encode_into(signature, &mut token);
        if token.len() > MAX_TOKEN_BYTES {
            return Err(Error::InvalidJwt("token would be larger than 16 KiB"));
        }
        Ok(token)
    }

    /// Signs an already-serialized header and payload (tests use it to build hostile tokens).
    #[doc(hidden)]
    pub fn sign_parts(&self, header: &[u8], payload: &[u8]) -> Result<String, Error> {
        let input = encode_input(header, payload);
        let signature = self.sign_bytes(input.as_bytes())?;
        self.attach_signature(input, &signature)
    }

    /// The raw signature of `message` (a JWS signing input).
    #[doc(hidden)]
    pub fn sign_bytes(&self, message: &[u8]) -> Result<Vec<u8>, Error> {
        Ok(match &self.material {
            SigningMaterial::Hmac(key) => key.sign(message),
            SigningMaterial::Ed25519(key) => eddsa::sign(key, message),
            #[cfg(feature = "ecdsa")]
            SigningMaterial::Ec(key) => key.sign(message),
            #[cfg(feature = "rsa")]
            SigningMaterial::Rsa(key) => rsa::sign(self.alg, key, message)?,
            #[cfg(all(feature = "host-keys", not(all(feature = "ecdsa", feature = "rsa"))))]
            SigningMaterial::Host(_) => {
                return Err(Error::NotSupported("the host signs with this key"))
            }
        })
    }
}

/// `base64url(header) "." base64url(payload)`.
fn encode_input(header: &[u8], payload: &[u8]) -> String {
    let mut input = String::with_capacity((header.len() + payload.len()) * 4 / 3 + 200);
    b64::encode_into(header, &mut input);
    input.push('.');
    b64::encode_into(payload, &mut input);
    input
}

/// A private JWKS: the first key signs, all public keys are published.
#[derive(Debug, Clone)]
pub struct SigningKeySet {
    keys: Vec<SigningKey>,
}

impl SigningKeySet {
    /// Parses a private JWKS (`{"keys":[...]}`), at least one key, unique `kid`s. Every key
    /// must import ([`SigningKey::from_jwk_json`]): nothing is skipped in a private set.
    pub fn from_jwks_json(json: &str) -> Result<Self, Error> {
        if json.len() > jwk::MAX_JWKS_BYTES {
            return Err(Error::InvalidJwk("jwk set is too large"));
        }
        let keys = RawJwk::parse_set(json)?
            .iter()
            .map(SigningKey::from_raw)
            .collect::<Result<Vec<_>, _>>()?;
        Self::new(keys)
    }

    /// A set from keys (first signs). Fails on an empty list or duplicate `kid`s
    /// (`ERR_JWK_INVALID`).
    pub fn new(keys: Vec<SigningKey>) -> Result<Self, Error> {
        if keys.is_empty() {
            return Err(Error::InvalidJwk(
                "a signing key set needs at least one key",
            ));
        }
        for (i, key) in keys.iter().enumerate() {
            if keys[..i].iter().any(|other| other.kid == key.kid) {
                return Err(Error::InvalidJwk("two signing keys share a kid"));
            }
        }
        Ok(Self { keys })
    }

    /// The key that signs new tokens.
    pub fn active(&self) -> &SigningKey {
        // Never empty: `new` and `from_jwks_json` (the only constructors) reject that.
        &self.keys[0]
    }

    /// All keys.
    pub fn keys(&self) -> &[SigningKey] {
        &self.keys
    }

    /// `{"keys":[public JWKs]}` for `/.well-known/jwks.json` (HMAC keys have no public form
    /// and are left out).
    pub fn public_jwks(&self) -> Value {
        let keys = self
            .keys
            .iter()
            .filter_map(SigningKey::public_jwk)
            .collect();
        serde_json::json!({ "keys": Value::Array(keys) })
    }

    /// `{"keys":[private JWKs]}` for key files.
    pub fn private_jwks(&self) -> Value {
        let keys = self.keys.iter().map(SigningKey::private_jwk).collect();
        serde_json::json!({ "keys": Value::Array(keys) })
    }

    /// The verification keys of every key in the set, for a verifier of this issuer.
    pub fn verifying_keys(&self) -> Result<crate::KeySet, Error> {
        crate::KeySet::from_keys(self.keys.iter().map(SigningKey::verifying_key).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KeySet;
    #[cfg(feature = "ecdsa")]
    use crate::{Policy, Verifier};

    fn claims(now: i64) -> Map<String, Value> {
        let Value::Object(map) = serde_json::json!({
            "iss": "https://issuer.example", "aud": "api", "sub": "user-1",
            "iat": now, "exp": now + 300, "jti": "t1", "sid": "s1"
        }) else {
            unreachable!()
        };
        map
    }

    #[cfg(feature = "ecdsa")]
    fn seed(len: usize, fill: u8) -> Vec<u8> {
        (0..len).map(|i| fill.wrapping_add(i as u8)).collect()
    }

    // ECDSA keys are generated (and signed with) only where the core has the curves.
    #[cfg(feature = "ecdsa")]
    #[test]
    fn generate_sign_verify_for_every_generatable_algorithm() {
        let now = 1_700_000_000;
        let generatable = Algorithm::ALL
            .into_iter()
            .filter_map(|alg| Some((alg, SigningKey::seed_len(alg)?)));
        assert_eq!(generatable.clone().count(), 7, "every algorithm but RSA");
        for (alg, len) in generatable {
            let key = SigningKey::generate(alg, &seed(len, 7)).unwrap();
            assert_eq!(key.algorithm(), alg);
            let token = key.sign(&claims(now), Some("at+jwt")).unwrap();
            let header = b64::decode_vec(token.split('.').next().unwrap().as_bytes()).unwrap();
            assert_eq!(
                String::from_utf8(header).unwrap(),
                format!(r#"{{"alg":"{alg}","typ":"at+jwt","kid":"{}"}}"#, key.kid())
            );
            let verifier = Verifier::new(
                KeySet::single(key.verifying_key()),
                Policy::new(["https://issuer.example"], ["api"]).with_typ("at+jwt"),
            )
            .unwrap();
            let verified = verifier.verify(&token, now).unwrap();
            assert_eq!(verified.claims.sub.as_deref(), Some("user-1"));
            // Same seed, same key (and kid); private JWK round trip.
            let again = SigningKey::generate(alg, &seed(len, 7)).unwrap();
            assert_eq!(again.kid(), key.kid());
            let reimported = SigningKey::from_jwk_json(&key.private_jwk().to_string()).unwrap();
            assert_eq!(reimported.kid(), key.kid());
            assert!(verifier
                .verify(&reimported.sign(&claims(now), Some("at+jwt")).unwrap(), now)
                .is_ok());
            // The public JWK imports as a verification key (none for HMAC).
            match key.public_jwk() {
                Some(public) => {
                    let imported = Key::from_jwk_json(&public.to_string()).unwrap();
                    assert_eq!(imported.kid(), Some(key.kid()));
                    assert_eq!(imported.thumbprint(), key.kid());
                    assert!(public.get("d").is_none());
                }
                None => assert!(alg.is_hmac()),
            }
        }
    }

    #[cfg(feature = "ecdsa")]
    #[test]
    fn generate_rejects_bad_seeds() {
        let code = |alg, seed: &[u8]| SigningKey::generate(alg, seed).unwrap_err().code();
        for (alg, seed, expected) in [
            (Algorithm::EdDsa, &[1_u8; 31][..], "ERR_JWK_INVALID"),
            (Algorithm::Es256, &[0; 32], "ERR_JWK_INVALID"),
            (Algorithm::Es256, &[0xff; 32], "ERR_JWK_INVALID"),
            (Algorithm::Hs256, &[1; 31], "ERR_JWK_INVALID"),
            (Algorithm::Rs256, &[1; 32], "ERR_JOSE_NOT_SUPPORTED"),
            // ES512: 2^521 - 1 (the top 7 bits cleared) is still above the group order.
            (Algorithm::Es512, &[0xff; 66], "ERR_JWK_INVALID"),
        ] {
            assert_eq!(code(alg, seed), expected, "{alg} {seed:?}");
        }
        assert!(SigningKey::generate(Algorithm::Hs256, &[1; 40]).is_ok());
        // ES512: the top 7 bits are cleared, so the first byte's high bits do not matter.
        assert!(SigningKey::generate(Algorithm::Es512, &[0x80; 66]).is_ok());
    }

    /// RFC 7515 A.3's P-256 key.
    #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
    const EC_PRIVATE: &str = r#"{"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI"}"#;

    #[test]
    fn private_import_checks_consistency() {
        // RFC 7515 A.3 key with a wrong x: refused here where the core has the curve (with
        // `host-keys` instead, the host's import refuses it).
        #[cfg(feature = "ecdsa")]
        {
            let bad = EC_PRIVATE.replace(
                "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
                "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0",
            );
            assert_eq!(
                SigningKey::from_jwk_json(&bad).unwrap_err().code(),
                "ERR_JWK_INVALID"
            );
        }
        #[cfg(any(feature = "ecdsa", feature = "host-keys"))]
        {
            let key = SigningKey::from_jwk_json(EC_PRIVATE).unwrap();
            assert_eq!(key.algorithm(), Algorithm::Es256);
        }
        // RFC 8037 A.1 / A.3: the thumbprint of the Ed25519 key.
        let ed = r#"{"kty":"OKP","crv":"Ed25519","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(
            SigningKey::from_jwk_json(ed).unwrap().kid(),
            "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
        );
        let no_d =
            r#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(
            SigningKey::from_jwk_json(no_d).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
        let enc = r#"{"kty":"OKP","crv":"Ed25519","use":"enc","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#;
        assert_eq!(
            SigningKey::from_jwk_json(enc).unwrap_err().code(),
            "ERR_JWK_INVALID"
        );
    }

    #[test]
    fn key_sets() {
        let a = SigningKey::generate(Algorithm::EdDsa, &[1; 32]).unwrap();
        let b = SigningKey::generate(Algorithm::EdDsa, &[2; 32]).unwrap();
        let h = SigningKey::generate(Algorithm::Hs256, &[3; 32]).unwrap();
        assert!(SigningKeySet::new(vec![]).is_err());
        assert!(SigningKeySet::new(vec![a.clone(), a.clone()]).is_err());
        let set = SigningKeySet::new(vec![a.clone(), b.clone(), h]).unwrap();
        assert_eq!(set.active().kid(), a.kid());
        assert_eq!(set.public_jwks()["keys"].as_array().unwrap().len(), 2);
        let private = set.private_jwks().to_string();
        let again = SigningKeySet::from_jwks_json(&private).unwrap();
        assert_eq!(again.keys().len(), 3);
        assert_eq!(again.active().kid(), a.kid());
        let public = set.public_jwks().to_string();
        assert_eq!(KeySet::from_jwks_json(&public).unwrap().len(), 2);
        assert_eq!(set.verifying_keys().unwrap().len(), 3);
        assert!(!format!("{set:?}").contains("\"d\""));
    }

    #[test]
    fn oversized_tokens_are_refused() {
        let key = SigningKey::generate(Algorithm::Hs256, &[3; 32]).unwrap();
        let mut claims = claims(0);
        claims.insert("pad".into(), "x".repeat(MAX_TOKEN_BYTES).into());
        assert_eq!(
            key.sign(&claims, None).unwrap_err().code(),
            "ERR_JWT_INVALID"
        );
    }

    /// Keys the host signs with (`host-keys`, without the families' own code).
    #[cfg(all(feature = "host-keys", not(feature = "ecdsa"), not(feature = "rsa")))]
    mod host_keys {
        use super::*;
        use crate::{Error, Policy, SignatureHost, Verifier};

        const RSA_PRIVATE: &str =
            include_str!("../../../tests/vectors/keys/test-only-rsa2048.jwk.json");

        /// Answers every check with `answer`, and counts the questions.
        struct Host {
            answer: Option<bool>,
            asked: core::cell::Cell<usize>,
        }

        impl SignatureHost for Host {
            fn verify(&self, _: usize, _: &[u8], _: &[u8]) -> Option<bool> {
                self.asked.set(self.asked.get() + 1);
                self.answer
            }
        }

        /// A signature of the right length with every byte `fill` (in range for both keys
        /// when `fill` is 1: r = s = 0x0101..01 < n, and 0x0101..01 < the RSA modulus).
        fn filler(key: &SigningKey, fill: u8) -> Vec<u8> {
            let len = match key.algorithm() {
                Algorithm::Es256 => 64,
                _ => 256,
            };
            alloc::vec![fill; len]
        }

        #[test]
        fn ec_and_rsa_keys_sign_through_the_host() {
            let now = 1_700_000_000;
            for jwk in [EC_PRIVATE, RSA_PRIVATE] {
                let key = SigningKey::from_jwk_json(jwk).unwrap();
                assert!(key.signed_by_host());
                assert!(matches!(
                    key.sign(&claims(now), None),
                    Err(Error::NotSupported(_))
                ));
                // The private JWK carries what the host needs to import it.
                let private = key.private_jwk();
                for member in ["d", "kty", "alg", "kid"] {
                    assert!(private.get(member).is_some(), "{member}");
                }
                let again = SigningKey::from_jwk_json(&private.to_string()).unwrap();
                assert_eq!(again.kid(), key.kid());
                assert_eq!(again.public_jwk(), key.public_jwk());
                assert!(!format!("{key:?}").contains("\"d\""));

                let input = key.signing_input(&claims(now), Some("at+jwt")).unwrap();
                let token = key
                    .attach_signature(input.clone(), &filler(&key, 1))
                    .unwrap();
                assert!(token.starts_with(&input));
                // Out of range or the wrong length: refused before any verifier sees it.
                // (An all-zero RSA signature is below the modulus: the arithmetic refuses it.)
                let is_ec = key.algorithm() == Algorithm::Es256;
                let mut bad = alloc::vec![filler(&key, 0xff), alloc::vec![1; 10]];
                if is_ec {
                    bad.push(filler(&key, 0));
                }
                for bad in bad {
                    assert_eq!(
                        key.attach_signature(input.clone(), &bad)
                            .unwrap_err()
                            .code(),
                        "ERR_JWS_INVALID"
                    );
                }

                // A verifier of the public key: only the host's answer can accept it.
                let keys = KeySet::from_jwks_json(
                    &serde_json::json!({ "keys": [key.public_jwk().unwrap()] }).to_string(),
                )
                .unwrap();
                assert_eq!(keys.len(), 1);
                let verifier =
                    Verifier::new(keys, Policy::new(["https://issuer.example"], ["api"])).unwrap();
                let failed = Err(Error::SignatureVerificationFailed);
                assert_eq!(verifier.verify(&token, now).map(|_| ()), failed);
                for (answer, expected) in [
                    (Some(true), Ok(())),
                    (Some(false), failed.clone()),
                    (None, failed.clone()),
                ] {
                    let host = Host {
                        answer,
                        asked: core::cell::Cell::new(0),
                    };
                    let result = verifier.verify_with_host(&token, now, &host).map(|_| ());
                    assert_eq!(result, expected, "{answer:?}");
                    assert_eq!(host.asked.get(), 1);
                }
                // The shared prechecks run before the host is asked.
                let out_of_range = format!("{input}.{}", b64::encode(&filler(&key, 0xff)));
                let host = Host {
                    answer: Some(true),
                    asked: core::cell::Cell::new(0),
                };
                assert_eq!(
                    verifier
                        .verify_with_host(&out_of_range, now, &host)
                        .map(|_| ()),
                    failed
                );
                assert_eq!(host.asked.get(), 0);
            }
        }

        #[test]
        fn host_key_imports_check_what_needs_no_arithmetic() {
            let short_d = EC_PRIVATE.replace(
                "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI",
                "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9",
            );
            let cases = [
                (short_d, "ERR_JWK_INVALID"),
                (
                    EC_PRIVATE.replace(r#","d":"jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI""#, ""),
                    "ERR_JWK_INVALID",
                ),
                (RSA_PRIVATE.replace(r#""qi""#, r#""qj""#), "ERR_JWK_INVALID"),
                (
                    RSA_PRIVATE.replace(r#""kty""#, r#""oth":[{}],"kty""#),
                    "ERR_JOSE_NOT_SUPPORTED",
                ),
            ];
            for (jwk, code) in cases {
                assert_eq!(
                    SigningKey::from_jwk_json(&jwk).unwrap_err().code(),
                    code,
                    "{jwk}"
                );
            }
            // ES key generation needs the curve: not in this build.
            assert_eq!(
                SigningKey::generate(Algorithm::Es256, &[7; 32])
                    .unwrap_err()
                    .code(),
                "ERR_JOSE_NOT_SUPPORTED"
            );
        }
    }
}
