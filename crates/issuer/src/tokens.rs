//! Token material: access-token claims and signing (through the core's signer), opaque
//! refresh tokens (32 bytes from getrandom, base64url; only their SHA-256 is ever stored),
//! and random ids for sessions and `jti`.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::SigningKeySet;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Length of a refresh token: 32 bytes as unpadded base64url.
pub const REFRESH_TOKEN_CHARS: usize = 43;
/// Length of a session id or `jti`: 16 bytes (128 bits) as unpadded base64url.
pub const ID_CHARS: usize = 22;

/// The platform CSPRNG failed (never expected; answered as an internal error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomError;

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("random number generator failed")
    }
}

fn random_base64url<const N: usize>() -> Result<String, RandomError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| RandomError)?;
    let text = Base64UrlUnpadded::encode_string(&bytes);
    bytes.fill(0);
    Ok(text)
}

/// A new 128-bit random id (session id, `jti`).
pub fn random_id() -> Result<String, RandomError> {
    random_base64url::<16>()
}

/// A freshly minted refresh token: the secret goes to the client once, the hash to KV.
#[derive(Clone)]
pub struct RefreshToken {
    secret: String,
    hash: String,
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl RefreshToken {
    /// 256 bits from getrandom.
    pub fn generate() -> Result<Self, RandomError> {
        let secret = random_base64url::<32>()?;
        let hash = hash_refresh_token(&secret);
        Ok(Self { secret, hash })
    }

    /// The token to hand to the client (exactly once).
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Its SHA-256, base64url: the only form KV ever sees.
    pub fn hash(&self) -> &str {
        &self.hash
    }
}

/// SHA-256 of a refresh token, base64url. Unkeyed on purpose: the input has 256 bits of
/// entropy, so the hash cannot be inverted, and a store dump reveals no usable token.
pub fn hash_refresh_token(token: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(token.as_bytes()))
}

/// True when `token` has the shape of a refresh token this issuer mints (43 base64url
/// characters). Anything else, including every JWT (it contains dots), is rejected before
/// any KV read: an access token is never accepted where a refresh token is expected.
pub fn looks_like_refresh_token(token: &str) -> bool {
    token.len() == REFRESH_TOKEN_CHARS && is_base64url(token)
}

/// True when `id` has the shape of a session id or `jti` minted here.
pub fn looks_like_id(id: &str) -> bool {
    id.len() == ID_CHARS && is_base64url(id)
}

fn is_base64url(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What goes into one access token.
#[derive(Debug, Clone, Copy)]
pub struct AccessClaims<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `aud`.
    pub audience: &'a str,
    /// `sub`.
    pub sub: &'a str,
    /// `sid`: the session (refresh-token family).
    pub sid: &'a str,
    /// `jti`.
    pub jti: &'a str,
    /// `iat`.
    pub iat: i64,
    /// `exp`.
    pub exp: i64,
    /// `scope`, if any.
    pub scope: Option<&'a str>,
    /// Extra claims, already checked by [`crate::rules::validate_extra_claims`].
    pub extra: &'a Map<String, Value>,
}

impl AccessClaims<'_> {
    /// The claims object. Registered claims are inserted after the extra ones, so even an
    /// unchecked extra claim could never replace them.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        map.insert("iss".into(), self.issuer.into());
        map.insert("sub".into(), self.sub.into());
        map.insert("aud".into(), self.audience.into());
        map.insert("exp".into(), self.exp.into());
        map.insert("iat".into(), self.iat.into());
        map.insert("jti".into(), self.jti.into());
        map.insert("sid".into(), self.sid.into());
        match self.scope {
            Some(scope) => map.insert("scope".into(), scope.into()),
            None => map.remove("scope"),
        };
        map
    }
}

/// Signs an access token with the active key: header `{alg, typ: "at+jwt", kid}` (RFC 9068).
pub fn sign_access_token(
    keys: &SigningKeySet,
    claims: &AccessClaims<'_>,
) -> Result<String, revocable_core::Error> {
    keys.active().sign(&claims.to_map(), Some("at+jwt"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refresh_tokens_are_random_43_char_base64url_and_hashed() {
        let a = RefreshToken::generate().unwrap_or_else(|e| panic!("{e}"));
        let b = RefreshToken::generate().unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.secret(), b.secret());
        assert!(looks_like_refresh_token(a.secret()));
        assert_eq!(a.hash(), hash_refresh_token(a.secret()));
        assert_eq!(a.hash().len(), 43);
        assert_ne!(a.hash(), a.secret());
        // Debug never shows the secret.
        assert!(!format!("{a:?}").contains(a.secret()));
    }

    #[test]
    fn hash_is_sha256_base64url() {
        // SHA-256("abc") = ba7816bf...
        assert_eq!(
            hash_refresh_token("abc"),
            "ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0"
        );
    }

    #[test]
    fn jwts_and_other_shapes_are_not_refresh_tokens() {
        assert!(!looks_like_refresh_token(
            "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJhIn0.c2ln"
        ));
        assert!(!looks_like_refresh_token(&"a".repeat(42)));
        assert!(!looks_like_refresh_token(&"a".repeat(44)));
        assert!(!looks_like_refresh_token(&format!("{}=", "a".repeat(42))));
        assert!(!looks_like_refresh_token(&format!("{}+", "a".repeat(42))));
        assert!(!looks_like_refresh_token(&format!("{}\0", "a".repeat(42))));
        assert!(looks_like_refresh_token(
            &"a-_Z9".repeat(9).chars().take(43).collect::<String>()
        ));
    }

    #[test]
    fn ids() {
        let id = random_id().unwrap_or_else(|e| panic!("{e}"));
        assert!(looks_like_id(&id));
        assert!(!looks_like_id("short"));
    }

    #[test]
    fn registered_claims_win_over_extra_ones() {
        let mut extra = Map::new();
        extra.insert("role".into(), "admin".into());
        extra.insert("sub".into(), "mallory".into());
        extra.insert("scope".into(), "everything".into());
        let claims = AccessClaims {
            issuer: "https://issuer",
            audience: "api",
            sub: "alice",
            sid: "sid",
            jti: "jti",
            iat: 10,
            exp: 20,
            scope: None,
            extra: &extra,
        };
        let map = claims.to_map();
        assert_eq!(map["sub"], "alice");
        assert_eq!(map["role"], "admin");
        assert!(!map.contains_key("scope"));
        assert_eq!(map["aud"], "api");
        assert_eq!(map["exp"], 20);
    }
}
