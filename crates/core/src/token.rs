//! Splitting, strict base64url decoding and header parsing of a compact JWS.

use crate::Algorithm;

/// The protected header of a verified token (the parts revocable acts on).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Header {
    /// `alg`, already checked against the allow-list and the key.
    pub alg: Algorithm,
    /// `kid`, if present.
    pub kid: Option<String>,
    /// `typ`, if present.
    pub typ: Option<String>,
}
