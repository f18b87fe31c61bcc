//! Token material: access-token claims and signing (through the core's signer), opaque
//! refresh tokens (a routing prefix and 32 random bytes from getrandom, base64url; only their
//! SHA-256 is ever stored), session ids (the same routing prefix and 128 random bits), `jti`s,
//! and the sealing of a refresh token's successor for the reuse interval.
//!
//! The routing prefix ([`route_for_subject`]) names the user's session object
//! (docs/kv-schema.md), so a refresh token or a session id reaches its object without a
//! lookup. It is 66 bits of the SHA-256 of the `sub`: it reveals nothing its holder does not
//! already know (the access token carries the `sub`), and two users whose prefixes collide
//! only share an object, never state.

use std::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::SigningKeySet;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Length of the routing prefix of refresh tokens and session ids.
pub const ROUTE_CHARS: usize = 11;
/// Length of the random part of a refresh token: 32 bytes as unpadded base64url.
const REFRESH_SECRET_CHARS: usize = 43;
/// Length of a refresh token: the routing prefix and 32 random bytes.
pub const REFRESH_TOKEN_CHARS: usize = ROUTE_CHARS + REFRESH_SECRET_CHARS;
/// Length of a `jti`: 16 bytes (128 bits) as unpadded base64url.
pub const ID_CHARS: usize = 22;
/// Length of a session id: the routing prefix and 128 random bits.
pub const SESSION_ID_CHARS: usize = ROUTE_CHARS + ID_CHARS;

/// The platform CSPRNG failed (never expected; answered as an internal error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RandomError;

impl fmt::Display for RandomError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("random number generator failed")
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], RandomError> {
    let mut bytes = [0u8; N];
    getrandom::getrandom(&mut bytes).map_err(|_| RandomError)?;
    Ok(bytes)
}

/// A new 128-bit random id (`jti`).
pub fn random_id() -> Result<String, RandomError> {
    let mut bytes = random_bytes::<16>()?;
    let text = Base64UrlUnpadded::encode_string(&bytes);
    bytes.fill(0);
    Ok(text)
}

/// The routing prefix of a subject's session object: the first [`ROUTE_CHARS`] characters
/// of the base64url SHA-256 of `sub`.
pub fn route_for_subject(sub: &str) -> String {
    let mut route = Base64UrlUnpadded::encode_string(&Sha256::digest(sub.as_bytes()));
    route.truncate(ROUTE_CHARS);
    route
}

/// A new session id for the object `route`.
pub fn new_session_id(route: &str) -> Result<String, RandomError> {
    Ok(format!("{route}{}", random_id()?))
}

/// The routing prefix of a well-formed refresh token or session id.
pub fn route_of(token_or_sid: &str) -> &str {
    token_or_sid.get(..ROUTE_CHARS).unwrap_or("")
}

/// A refresh token: the secret goes to the client, the hash to the store.
#[derive(Clone)]
pub struct RefreshToken {
    secret: String,
    hash: String,
    random: [u8; 32],
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefreshToken")
            .field("hash", &self.hash)
            .finish_non_exhaustive()
    }
}

impl Drop for RefreshToken {
    fn drop(&mut self) {
        self.random.fill(0);
    }
}

impl RefreshToken {
    /// A new token for the object `route`: 256 bits from getrandom.
    pub fn generate(route: &str) -> Result<Self, RandomError> {
        Ok(Self::from_parts(route, random_bytes::<32>()?))
    }

    fn from_parts(route: &str, random: [u8; 32]) -> Self {
        let secret = format!("{route}{}", Base64UrlUnpadded::encode_string(&random));
        let hash = hash_refresh_token(&secret);
        Self {
            secret,
            hash,
            random,
        }
    }

    /// The token to hand to the client.
    pub fn secret(&self) -> &str {
        &self.secret
    }

    /// Its SHA-256, base64url: the only form the store keeps.
    pub fn hash(&self) -> &str {
        &self.hash
    }

    /// This token sealed under `parent`, the token it succeeded: only a request that
    /// presents `parent` itself can open it ([`RefreshToken::unseal`]). The pad is SHA-256
    /// over a label and `parent`, which has 256 random bits and is never stored (the store
    /// has SHA-256 of `parent` alone, a different function of it), and each parent seals
    /// exactly one successor, so the pad is used once.
    pub fn seal(&self, parent: &str) -> String {
        let mut sealed = successor_pad(parent);
        for (s, r) in sealed.iter_mut().zip(self.random.iter()) {
            *s ^= r;
        }
        let text = Base64UrlUnpadded::encode_string(&sealed);
        sealed.fill(0);
        text
    }

    /// The successor that [`RefreshToken::seal`] sealed under `parent`, in the object
    /// `route`; `None` if `sealed` is not a sealed token.
    pub fn unseal(route: &str, parent: &str, sealed: &str) -> Option<Self> {
        let mut random = [0u8; 32];
        let decoded = Base64UrlUnpadded::decode(sealed, &mut random).ok()?;
        if decoded.len() != 32 {
            return None;
        }
        let pad = successor_pad(parent);
        for (r, p) in random.iter_mut().zip(pad.iter()) {
            *r ^= p;
        }
        Some(Self::from_parts(route, random))
    }
}

fn successor_pad(parent: &str) -> [u8; 32] {
    let mut hasher = Sha256::new();
    hasher.update(b"revocable refresh-token successor pad\0");
    hasher.update(parent.as_bytes());
    hasher.finalize().into()
}

/// SHA-256 of a refresh token, base64url. Unkeyed on purpose: the input has 256 bits of
/// entropy, so the hash cannot be inverted, and a store dump reveals no usable token.
pub fn hash_refresh_token(token: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(token.as_bytes()))
}

/// True when `token` has the shape of a refresh token this issuer mints (54 base64url
/// characters). Anything else, including every JWT (it contains dots), is rejected before
/// any store access: an access token is never accepted where a refresh token is expected.
pub fn looks_like_refresh_token(token: &str) -> bool {
    token.len() == REFRESH_TOKEN_CHARS && is_base64url(token)
}

/// True when `id` has the shape of a `jti` minted here.
pub fn looks_like_id(id: &str) -> bool {
    id.len() == ID_CHARS && is_base64url(id)
}

/// True when `sid` has the shape of a session id minted here.
pub fn looks_like_session_id(sid: &str) -> bool {
    sid.len() == SESSION_ID_CHARS && is_base64url(sid)
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

/// The `typ` of every access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Signs an access token with the active key: header `{alg, typ: "at+jwt", kid}` (RFC 9068).
/// For a key the runtime signs with ([`revocable_core::SigningKey::signed_by_host`]) this
/// fails; the worker signs [`access_token_input`] instead.
pub fn sign_access_token(
    keys: &SigningKeySet,
    claims: &AccessClaims<'_>,
) -> Result<String, revocable_core::Error> {
    keys.active().sign(&claims.to_map(), Some(ACCESS_TOKEN_TYP))
}

/// The signing input of the access token [`sign_access_token`] would sign.
pub fn access_token_input(
    keys: &SigningKeySet,
    claims: &AccessClaims<'_>,
) -> Result<String, revocable_core::Error> {
    keys.active()
        .signing_input(&claims.to_map(), Some(ACCESS_TOKEN_TYP))
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTE: &str = "AbCdEfGhIjK";

    #[test]
    fn refresh_tokens_carry_the_route_and_are_hashed() {
        let a = RefreshToken::generate(ROUTE).unwrap_or_else(|e| panic!("{e}"));
        let b = RefreshToken::generate(ROUTE).unwrap_or_else(|e| panic!("{e}"));
        assert_ne!(a.secret(), b.secret());
        assert!(looks_like_refresh_token(a.secret()));
        assert_eq!(route_of(a.secret()), ROUTE);
        assert_eq!(a.hash(), hash_refresh_token(a.secret()));
        assert_eq!(a.hash().len(), 43);
        // Debug never shows the secret.
        assert!(!format!("{a:?}").contains(a.secret()));
    }

    #[test]
    fn a_sealed_successor_opens_only_with_its_parent() {
        let parent = RefreshToken::generate(ROUTE).unwrap_or_else(|e| panic!("{e}"));
        let child = RefreshToken::generate(ROUTE).unwrap_or_else(|e| panic!("{e}"));
        let sealed = child.seal(parent.secret());
        assert_eq!(sealed.len(), 43);
        assert!(!sealed.contains(&child.secret()[ROUTE_CHARS..]));
        let opened = RefreshToken::unseal(ROUTE, parent.secret(), &sealed);
        assert_eq!(
            opened.map(|t| t.secret().to_owned()).as_deref(),
            Some(child.secret())
        );
        let other = RefreshToken::generate(ROUTE).unwrap_or_else(|e| panic!("{e}"));
        let wrong = RefreshToken::unseal(ROUTE, other.secret(), &sealed);
        assert_ne!(
            wrong.map(|t| t.secret().to_owned()).as_deref(),
            Some(child.secret())
        );
        assert!(RefreshToken::unseal(ROUTE, parent.secret(), "short").is_none());
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
        assert!(!looks_like_refresh_token(&"a".repeat(53)));
        assert!(!looks_like_refresh_token(&"a".repeat(55)));
        assert!(!looks_like_refresh_token(&format!("{}=", "a".repeat(53))));
        assert!(!looks_like_refresh_token(&format!("{}+", "a".repeat(53))));
        assert!(!looks_like_refresh_token(&format!("{}\0", "a".repeat(53))));
        assert!(looks_like_refresh_token(
            &"a-_Z9".repeat(11).chars().take(54).collect::<String>()
        ));
    }

    #[test]
    fn ids() {
        let id = random_id().unwrap_or_else(|e| panic!("{e}"));
        assert!(looks_like_id(&id));
        assert!(!looks_like_id("short"));
        let route = route_for_subject("alice");
        assert_eq!(route.len(), ROUTE_CHARS);
        assert_eq!(route, route_for_subject("alice"));
        assert_ne!(route, route_for_subject("alicf"));
        let sid = new_session_id(&route).unwrap_or_else(|e| panic!("{e}"));
        assert!(looks_like_session_id(&sid));
        assert_eq!(route_of(&sid), route);
        assert!(!looks_like_session_id(&id));
        assert_eq!(route_of("short"), "");
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
