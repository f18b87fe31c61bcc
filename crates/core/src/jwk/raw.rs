//! The raw JWK reader: the members revocable looks at, read strictly (a repeated member is
//! malformed), secret members into zeroizing strings.

use alloc::{string::String, vec::Vec};

use zeroize::Zeroizing;

use crate::{
    b64,
    json::{Malformed, Reader, Value},
    Error,
};

use super::KeyUse;

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

    pub(super) fn has_private_members(&self) -> bool {
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
