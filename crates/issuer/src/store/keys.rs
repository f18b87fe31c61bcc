//! The stored key names (docs/kv-schema.md lists each with its value and TTL).

use base64ct::{Base64UrlUnpadded, Encoding};
use sha2::{Digest, Sha256};

/// The stored form of a subject: SHA-256 of the `sub`, base64url (43 characters). Fixed
/// length, so `session:<user>:` prefixes never overlap, and no user identifier (often an
/// e-mail) appears in key names.
pub fn subject_key(sub: &str) -> String {
    Base64UrlUnpadded::encode_string(&Sha256::digest(sub.as_bytes()))
}

pub(super) fn rt_key(hash: &str) -> String {
    format!("rt:{hash}")
}
pub(super) fn session_key(user: &str, sid: &str) -> String {
    format!("session:{user}:{sid}")
}
pub(super) fn sessions_prefix(user: &str) -> String {
    format!("session:{user}:")
}
pub(super) fn sid_key(sid: &str) -> String {
    format!("sid:{sid}")
}
pub(super) const OUTBOX_PREFIX: &str = "outbox:";
pub(super) fn outbox_key(now_ms: i64, nonce: &str) -> String {
    // Zero-padded, so the outbox lists in the order entries were staged.
    format!("outbox:{now_ms:015}:{nonce}")
}
pub(super) const FEED_PREFIX: &str = "feed:";
pub(super) fn feed_jti_key(sid: &str, jti: &str) -> String {
    format!("feed:jti:{sid}:{jti}")
}
pub(super) fn feed_sid_key(sid: &str) -> String {
    format!("feed:sid:{sid}")
}
pub(super) fn feed_sub_key(user: &str) -> String {
    format!("feed:sub:{user}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_keys_are_fixed_length_hashes() {
        let a = subject_key("alice@example.com");
        assert_eq!(a.len(), 43);
        assert!(!a.contains("alice"));
        assert_ne!(a, subject_key("alice@example.co"));
        assert_eq!(sessions_prefix(&a).len(), "session:".len() + 43 + 1);
    }

    #[test]
    fn key_names() {
        assert_eq!(rt_key("h"), "rt:h");
        assert_eq!(session_key("u", "s"), "session:u:s");
        assert_eq!(sid_key("s"), "sid:s");
        assert_eq!(outbox_key(42, "n"), "outbox:000000000000042:n");
        assert!(outbox_key(9, "n") < outbox_key(10, "a"));
        assert_eq!(feed_jti_key("s", "j:k"), "feed:jti:s:j:k");
        assert_eq!(feed_sid_key("s"), "feed:sid:s");
        assert_eq!(feed_sub_key("u"), "feed:sub:u");
        assert!(feed_sub_key("u").starts_with(FEED_PREFIX));
    }
}
