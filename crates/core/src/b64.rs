//! Strict base64url (RFC 7515 §2: no padding, no whitespace, canonical trailing bits).
