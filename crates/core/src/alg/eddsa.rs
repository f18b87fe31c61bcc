//! EdDSA (Ed25519) over jwt-compact's `Ed25519` (ed25519-dalek).

use ed25519_dalek::VerifyingKey;
use jwt_compact::alg::Ed25519;

use super::verify_with;
use crate::Error;

/// Decodes and validates a public key (the JWK's `x`): 32 bytes, a valid point encoding,
/// and not one of the small-order ("weak") points, for which signatures prove nothing.
/// The decompressed point is kept, so verification does not decompress it again.
pub(crate) fn public_key(x: &[u8]) -> Result<VerifyingKey, Error> {
    let bytes: &[u8; 32] = x
        .try_into()
        .map_err(|_| Error::InvalidJwk("ed25519 public key must be 32 bytes"))?;
    let key = VerifyingKey::from_bytes(bytes)
        .map_err(|_| Error::InvalidJwk("ed25519 public key is not a valid point"))?;
    if key.is_weak() {
        return Err(Error::InvalidJwk(
            "ed25519 public key is a small-order point",
        ));
    }
    Ok(key)
}

pub(crate) fn verify(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    verify_with(&Ed25519, key, message, signature)
}

#[cfg(feature = "sign")]
pub(crate) fn sign(key: &ed25519_dalek::SigningKey, message: &[u8]) -> Vec<u8> {
    use jwt_compact::Algorithm as _;
    Ed25519.sign(key, message).to_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_bad_public_keys() {
        assert!(public_key(&[0; 31]).is_err());
        assert!(public_key(&[0; 33]).is_err());
        // The identity point (small order).
        let mut identity = [0_u8; 32];
        identity[0] = 1;
        assert!(public_key(&identity).is_err());
        // RFC 8037 A.4 public key.
        let x = crate::b64::decode_vec(b"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo").unwrap();
        assert!(public_key(&x).is_ok());
    }
}
