//! Signing keys whose arithmetic is the runtime's: in the worker, EC and RSA keys
//! (revocable-core's `host-keys` build) sign and verify through workerd's WebCrypto
//! ([`Backend::host_sign`], [`Backend::host_verify`]); EdDSA keys, and every key in native
//! builds, through the core itself. Both functions here take either path.
//!
//! WebCrypto is asynchronous and the core's [`SignatureHost`] is not, so for a token this
//! issuer checks (RFC 7009 revocation by `jti`) the runtime is asked first, with the key the
//! token's `kid` names, and its answer is handed to the core's verification as a
//! [`SignatureHost`] that answers for exactly that key, signing input and signature. The core
//! still runs every step in its order (the key it selects, the signature prechecks, the
//! claims); a signature it asks about that is not the one checked gets no answer, and fails.

use base64ct::{Base64UrlUnpadded, Encoding};
use revocable_core::{SignatureHost, Verified};

use crate::{
    config::Config,
    http::ApiError,
    objects::Backend,
    tokens::{self, AccessClaims},
};

/// Signs an access token with the active key of `SIGNING_KEYS`.
pub(crate) async fn sign_access_token<B: Backend>(
    config: &Config,
    backend: &B,
    claims: &AccessClaims<'_>,
) -> Result<String, ApiError> {
    const FAILED: ApiError = ApiError::Internal("signing failed");
    let key = config.keys.active();
    if !key.signed_by_host() {
        return tokens::sign_access_token(&config.keys, claims).map_err(|_| FAILED);
    }
    let input = tokens::access_token_input(&config.keys, claims).map_err(|_| FAILED)?;
    // The active key is the first of the set.
    let signature = backend.host_sign(0, input.as_bytes()).await.ok_or(FAILED)?;
    key.attach_signature(input, &signature).map_err(|_| FAILED)
}

/// Verifies `token` as an access token of this issuer at `now` (seconds), with every rule of
/// the core's verifier.
pub(crate) async fn verify_own_token<B: Backend>(
    config: &Config,
    backend: &B,
    token: &str,
    now: i64,
) -> Result<Verified, revocable_core::Error> {
    let answer = RuntimeAnswer::ask(config, backend, token).await;
    config.verifier.verify_with_host(token, now, &answer)
}

/// The runtime's verdict on one signature, or nothing when it was not asked.
struct RuntimeAnswer<'t>(Option<Checked<'t>>);

struct Checked<'t> {
    key: usize,
    signing_input: &'t [u8],
    signature: Vec<u8>,
    valid: bool,
}

impl<'t> RuntimeAnswer<'t> {
    /// Asks the runtime about `token`'s signature when its `kid` names a key the runtime
    /// checks; anything unexpected about the token leaves it unasked (the core then reports
    /// what is wrong, or fails the signature).
    async fn ask<B: Backend>(config: &Config, backend: &B, token: &'t str) -> Self {
        let Some((signing_input, signature)) = token.rsplit_once('.') else {
            return Self(None);
        };
        let Some(kid) = unverified_kid(signing_input) else {
            return Self(None);
        };
        let keys = config.keys.keys();
        let Some(key) = keys.iter().position(|k| k.kid() == kid) else {
            return Self(None);
        };
        if !keys[key].signed_by_host() {
            return Self(None);
        }
        let Ok(signature) = Base64UrlUnpadded::decode_vec(signature) else {
            return Self(None);
        };
        let Some(valid) = backend
            .host_verify(key, signing_input.as_bytes(), &signature)
            .await
        else {
            return Self(None);
        };
        Self(Some(Checked {
            key,
            signing_input: signing_input.as_bytes(),
            signature,
            valid,
        }))
    }
}

impl SignatureHost for RuntimeAnswer<'_> {
    fn verify(&self, key_index: usize, message: &[u8], signature: &[u8]) -> Option<bool> {
        let checked = self.0.as_ref()?;
        let same = checked.key == key_index
            && checked.signing_input == message
            && checked.signature == signature;
        same.then_some(checked.valid)
    }
}

/// The `kid` of a JWS header segment, read without any check (the core checks the header
/// when it verifies).
fn unverified_kid(signing_input: &str) -> Option<String> {
    let header = signing_input.split('.').next()?;
    let bytes = Base64UrlUnpadded::decode_vec(header).ok()?;
    let header: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    Some(header.get("kid")?.as_str()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checked(valid: bool) -> RuntimeAnswer<'static> {
        RuntimeAnswer(Some(Checked {
            key: 1,
            signing_input: b"header.payload",
            signature: vec![1, 2, 3],
            valid,
        }))
    }

    #[test]
    fn the_answer_is_for_exactly_the_checked_signature() {
        for valid in [true, false] {
            let answer = checked(valid);
            assert_eq!(answer.verify(1, b"header.payload", &[1, 2, 3]), Some(valid));
            assert_eq!(answer.verify(0, b"header.payload", &[1, 2, 3]), None);
            assert_eq!(answer.verify(1, b"header.payloaD", &[1, 2, 3]), None);
            assert_eq!(answer.verify(1, b"header.payload", &[1, 2, 4]), None);
        }
        assert_eq!(
            RuntimeAnswer(None).verify(1, b"header.payload", &[1, 2, 3]),
            None
        );
    }

    #[test]
    fn kid_is_read_from_the_header_segment() {
        let header = Base64UrlUnpadded::encode_string(br#"{"alg":"ES256","kid":"k-1"}"#);
        assert_eq!(
            unverified_kid(&format!("{header}.e30")).as_deref(),
            Some("k-1")
        );
        let no_kid = Base64UrlUnpadded::encode_string(br#"{"alg":"ES256"}"#);
        assert_eq!(unverified_kid(&format!("{no_kid}.e30")), None);
        let number = Base64UrlUnpadded::encode_string(br#"{"kid":7}"#);
        assert_eq!(unverified_kid(&number), None);
        assert_eq!(unverified_kid("not base64!.e30"), None);
        assert_eq!(unverified_kid(""), None);
    }
}
