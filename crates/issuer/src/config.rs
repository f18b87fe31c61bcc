//! Configuration from the worker's vars and secrets (wrangler.toml `[vars]`, `.dev.vars`,
//! `wrangler secret put`). Parsed once per isolate; errors name the variable, never its value.

use std::fmt;

use revocable_core::{KeySet, Policy, SigningKeySet, Verifier};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::rules::{Lifetimes, KV_MIN_TTL, MAX_REUSE_INTERVAL};

/// Shortest accepted service key, in bytes. revocable-keygen makes 43 (32 random bytes).
pub const MIN_SERVICE_KEY_BYTES: usize = 32;
/// Longest accepted ACCESS_TOKEN_TTL: one day. Longer access tokens defeat the point.
pub const MAX_ACCESS_TOKEN_TTL: i64 = 86_400;
/// Longest accepted REFRESH_TOKEN_TTL / SESSION_MAX_AGE: one year.
pub const MAX_LONG_TTL: i64 = 366 * 86_400;
/// Default REFRESH_REUSE_INTERVAL (seconds).
pub const DEFAULT_REUSE_INTERVAL: i64 = 10;
/// Default FEED_CACHE_TTL (seconds).
pub const DEFAULT_FEED_CACHE_TTL: i64 = 1;
/// Longest accepted FEED_CACHE_TTL (seconds): the feed's worldwide delay grows with it.
pub const MAX_FEED_CACHE_TTL: i64 = 60;

/// The bearer credential of the service endpoints. `Debug` redacts it; only its SHA-256 is
/// kept, so comparisons are over fixed-length digests.
#[derive(Clone)]
pub struct ServiceKey {
    digest: [u8; 32],
}

impl fmt::Debug for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceKey(<redacted>)")
    }
}

impl ServiceKey {
    /// Wraps the configured key.
    pub fn new(key: &str) -> Self {
        Self {
            digest: Sha256::digest(key.as_bytes()).into(),
        }
    }

    /// Whether `presented` is one of `keys` (each compared as [`ServiceKey::verify`] does, all
    /// of them, whatever matched).
    pub fn verify_any(keys: &[ServiceKey], presented: Option<&str>) -> bool {
        keys.iter()
            .fold(false, |found, key| key.verify(presented) | found)
    }

    /// Whether `presented` is the key. Constant time in the key's content: both sides are
    /// hashed first (equal lengths, no early exit on the first differing byte), then
    /// compared with `subtle`. A missing key compares against an empty string, so a missing
    /// and a wrong key take the same path and get the same answer.
    pub fn verify(&self, presented: Option<&str>) -> bool {
        let digest: [u8; 32] = Sha256::digest(presented.unwrap_or("").as_bytes()).into();
        bool::from(digest.ct_eq(&self.digest)) && presented.is_some()
    }
}

/// A configuration problem: which variable, and why (never its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigError {
    /// The variable.
    pub name: &'static str,
    /// What is wrong with it.
    pub why: &'static str,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.why)
    }
}

impl std::error::Error for ConfigError {}

/// Everything the issuer worker needs besides its objects.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// `ISSUER`: the `iss` claim and the base of the metadata's endpoint URLs.
    pub issuer: String,
    /// `AUDIENCE`: the `aud` claim.
    pub audience: String,
    /// Token and session lifetimes.
    pub lifetimes: Lifetimes,
    /// `SIGNING_KEYS`: the first key signs, all public keys are published.
    pub keys: SigningKeySet,
    /// `ISSUER_SERVICE_KEY`: every endpoint of the app's backend.
    pub service_key: ServiceKey,
    /// `FEED_KEY`: one or more keys (separated by commas or whitespace, for rotation) that
    /// read the revocation feed and nothing else.
    pub feed_keys: Vec<ServiceKey>,
    /// `REFRESH_REUSE_INTERVAL` in seconds (0: strict rotation).
    pub reuse_interval: i64,
    /// `FEED_CACHE_TTL` in seconds (0: no edge cache).
    pub feed_cache_ttl: i64,
    /// Verifies this issuer's own access tokens (for RFC 7009 revocation by `jti`).
    pub verifier: Verifier,
}

impl Config {
    /// Reads the configuration through `lookup` (variable name -> value).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let required = |name: &'static str| -> Result<String, ConfigError> {
            match lookup(name) {
                Some(v) if !v.trim().is_empty() => Ok(v),
                _ => Err(ConfigError {
                    name,
                    why: "missing or empty",
                }),
            }
        };
        // A whole number of seconds in `range`, or `default` when unset.
        let seconds_in = |name: &'static str,
                          default: i64,
                          range: std::ops::RangeInclusive<i64>,
                          why: &'static str|
         -> Result<i64, ConfigError> {
            let Some(text) = lookup(name) else {
                return Ok(default);
            };
            let value: i64 = text.trim().parse().map_err(|_| ConfigError {
                name,
                why: "not a whole number of seconds",
            })?;
            if !range.contains(&value) {
                return Err(ConfigError { name, why });
            }
            Ok(value)
        };
        let seconds = |name: &'static str, default: i64, max: i64| {
            seconds_in(
                name,
                default,
                KV_MIN_TTL..=max,
                "out of range (60 seconds up to the documented maximum)",
            )
        };
        let bounded = |name: &'static str, default: i64, max: i64| {
            seconds_in(name, default, 0..=max, "out of range (0 up to 60 seconds)")
        };

        let issuer = required("ISSUER")?.trim().to_owned();
        if !(issuer.starts_with("https://") || issuer.starts_with("http://"))
            || issuer.contains(['?', '#'])
        {
            return Err(ConfigError {
                name: "ISSUER",
                why: "must be an http(s) URL without query or fragment (RFC 8414)",
            });
        }
        let audience = required("AUDIENCE")?.trim().to_owned();
        let defaults = Lifetimes::default();
        let lifetimes = Lifetimes {
            access_token: seconds(
                "ACCESS_TOKEN_TTL",
                defaults.access_token,
                MAX_ACCESS_TOKEN_TTL,
            )?,
            refresh_token: seconds("REFRESH_TOKEN_TTL", defaults.refresh_token, MAX_LONG_TTL)?,
            session_max_age: seconds("SESSION_MAX_AGE", defaults.session_max_age, MAX_LONG_TTL)?,
        };

        let keys =
            SigningKeySet::from_jwks_json(&required("SIGNING_KEYS")?).map_err(|_| ConfigError {
                name: "SIGNING_KEYS",
                why: "not a valid private JWKS (run revocable-keygen)",
            })?;
        // Verifiers get the keys from the public JWKS; an HMAC secret cannot be published
        // there, and sharing it would let every verifier mint tokens.
        if keys.keys().iter().any(|k| k.algorithm().is_hmac()) {
            return Err(ConfigError {
                name: "SIGNING_KEYS",
                why: "HMAC keys cannot be published as a JWKS; use EdDSA, ES*, RS* or PS* keys",
            });
        }
        let public = keys.public_jwks().to_string();
        let verifier = KeySet::from_jwks_json(&public)
            .and_then(|set| {
                let policy = Policy::new([issuer.clone()], [audience.clone()]).with_typ("at+jwt");
                Verifier::new(set, policy)
            })
            .map_err(|_| ConfigError {
                name: "SIGNING_KEYS",
                why: "the public keys do not form a usable key set",
            })?;

        let service = required("ISSUER_SERVICE_KEY")?;
        if service.len() < MIN_SERVICE_KEY_BYTES {
            return Err(ConfigError {
                name: "ISSUER_SERVICE_KEY",
                why: "shorter than 32 bytes (run revocable-keygen)",
            });
        }

        let mut feed_keys = Vec::new();
        for key in lookup("FEED_KEY")
            .unwrap_or_default()
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|k| !k.is_empty())
        {
            if key.len() < MIN_SERVICE_KEY_BYTES {
                return Err(ConfigError {
                    name: "FEED_KEY",
                    why: "a key is shorter than 32 bytes (run revocable-keygen)",
                });
            }
            if key == service.trim() {
                return Err(ConfigError {
                    name: "FEED_KEY",
                    why: "must differ from ISSUER_SERVICE_KEY",
                });
            }
            feed_keys.push(ServiceKey::new(key));
        }

        Ok(Self {
            issuer,
            audience,
            lifetimes,
            keys,
            service_key: ServiceKey::new(&service),
            feed_keys,
            reuse_interval: bounded(
                "REFRESH_REUSE_INTERVAL",
                DEFAULT_REUSE_INTERVAL,
                MAX_REUSE_INTERVAL,
            )?,
            feed_cache_ttl: bounded("FEED_CACHE_TTL", DEFAULT_FEED_CACHE_TTL, MAX_FEED_CACHE_TTL)?,
            verifier,
        })
    }

    /// `ISSUER` without a trailing slash, to append endpoint paths to.
    pub fn base_url(&self) -> &str {
        self.issuer.trim_end_matches('/')
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_key_matches_only_itself() {
        let key = ServiceKey::new("0123456789abcdef0123456789abcdef-secret");
        assert!(key.verify(Some("0123456789abcdef0123456789abcdef-secret")));
        assert!(!key.verify(Some("0123456789abcdef0123456789abcdef-secreT")));
        assert!(!key.verify(Some("")));
        assert!(!key.verify(None));
        assert_eq!(format!("{key:?}"), "ServiceKey(<redacted>)");
    }

    #[test]
    fn any_of_several_feed_keys_matches() {
        let keys = [
            ServiceKey::new("feed-key-one-0123456789abcdef0123456789"),
            ServiceKey::new("feed-key-two-0123456789abcdef0123456789"),
        ];
        assert!(ServiceKey::verify_any(
            &keys,
            Some("feed-key-one-0123456789abcdef0123456789")
        ));
        assert!(ServiceKey::verify_any(
            &keys,
            Some("feed-key-two-0123456789abcdef0123456789")
        ));
        assert!(!ServiceKey::verify_any(
            &keys,
            Some("feed-key-three-0123456789abcdef012345")
        ));
        assert!(!ServiceKey::verify_any(&keys, None));
        assert!(!ServiceKey::verify_any(&[], Some("anything")));
    }

    #[test]
    fn empty_configured_key_never_matches_a_missing_one() {
        // from_lookup refuses short keys; this guards the type on its own.
        let key = ServiceKey::new("");
        assert!(!key.verify(None));
    }

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn errors_name_the_variable_not_the_value() {
        const LOCAL: (&str, &str) = ("ISSUER", "http://127.0.0.1:8787");
        const AUDIENCE: (&str, &str) = ("AUDIENCE", "api");
        let cases: [(&[(&str, &str)], &str); 5] = [
            (&[], "ISSUER"),
            (&[("ISSUER", "ftp://x"), AUDIENCE], "ISSUER"),
            (
                &[LOCAL, AUDIENCE, ("ACCESS_TOKEN_TTL", "5")],
                "ACCESS_TOKEN_TTL",
            ),
            (
                &[LOCAL, AUDIENCE, ("SESSION_MAX_AGE", "soon")],
                "SESSION_MAX_AGE",
            ),
            (
                &[
                    LOCAL,
                    AUDIENCE,
                    ("SIGNING_KEYS", "{\"keys\":[{\"d\":\"secret-material\"}]}"),
                ],
                "SIGNING_KEYS",
            ),
        ];
        for (set, name) in cases {
            let err = Config::from_lookup(vars(set)).err();
            assert_eq!(err.as_ref().map(|e| e.name), Some(name), "{set:?}");
            let text = err.map(|e| e.to_string()).unwrap_or_default();
            assert!(
                !text.contains("secret-material") && !text.contains("soon"),
                "{text}"
            );
        }
    }
}
