//! What callers may put into tokens: `sub`, `scope` and extra claims. Pure checks; the
//! text of an [`Invalid`] is the `error_description` of the 400 answer and never contains
//! the value.

use serde_json::{Map, Value};

/// Longest accepted `sub`, in bytes (UTF-8).
pub const MAX_SUB_BYTES: usize = 256;
/// Longest accepted `scope`, in bytes.
pub const MAX_SCOPE_BYTES: usize = 1024;
/// Largest accepted extra-claims object, serialized, in bytes. Keeps access tokens (and
/// session records) small: every verifier parses every token.
pub const MAX_CLAIMS_BYTES: usize = 4096;

/// Claims the issuer sets itself; extra claims may not use these names.
pub const RESERVED_CLAIMS: [&str; 9] = [
    "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope",
];

/// A caller-supplied value that cannot go into a token. The text is the
/// `error_description` (never contains the value).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid(pub &'static str);

/// Checks a subject: 1 to [`MAX_SUB_BYTES`] bytes; no whitespace at either end; no
/// control, format, line-separator or paragraph-separator character anywhere (Unicode
/// general categories Cc, Cf, Zl, Zp). Letters of any script are allowed. A `sub` travels
/// into tokens, logs and HTTP headers downstream: such characters would let it smuggle
/// line breaks, hide itself (zero-width characters, bidirectional overrides) or be trimmed
/// on the way, so that two different subjects arrive as one. `sub` is compared exactly, byte
/// for byte, with no Unicode normalization.
pub fn validate_subject(sub: &str) -> Result<(), Invalid> {
    if sub.is_empty() {
        return Err(Invalid("sub must not be empty"));
    }
    if sub.len() > MAX_SUB_BYTES {
        return Err(Invalid("sub is longer than 256 bytes"));
    }
    if sub.starts_with(char::is_whitespace) || sub.ends_with(char::is_whitespace) {
        return Err(Invalid("sub must not start or end with whitespace"));
    }
    if sub.chars().any(is_invisible_or_control) {
        return Err(Invalid(
            "sub must not contain control, format or line/paragraph separator characters",
        ));
    }
    // The per-user endpoints take the sub as a path segment (`/v1/users/{sub}/...`), and URL
    // parsing removes `.` and `..` segments, percent-encoded or not (WHATWG URL): a user
    // called `..` could never be listed or logged out everywhere.
    if sub == "." || sub == ".." {
        return Err(Invalid("sub must not be . or .. (not in a URL path)"));
    }
    Ok(())
}

/// Unicode general categories Cc (controls), Cf (format: zero-width characters,
/// bidirectional controls, soft hyphen, tags...), Zl and Zp (U+2028, U+2029), per Unicode
/// 15.1.
fn is_invisible_or_control(c: char) -> bool {
    const FORMAT: &[(u32, u32)] = &[
        (0x00AD, 0x00AD),
        (0x0600, 0x0605),
        (0x061C, 0x061C),
        (0x06DD, 0x06DD),
        (0x070F, 0x070F),
        (0x0890, 0x0891),
        (0x08E2, 0x08E2),
        (0x180E, 0x180E),
        (0x200B, 0x200F),
        (0x2028, 0x202E),
        (0x2060, 0x2064),
        (0x2066, 0x206F),
        (0xFEFF, 0xFEFF),
        (0xFFF9, 0xFFFB),
        (0x110BD, 0x110BD),
        (0x110CD, 0x110CD),
        (0x13430, 0x1343F),
        (0x1BCA0, 0x1BCA3),
        (0x1D173, 0x1D17A),
        (0xE0001, 0xE0001),
        (0xE0020, 0xE007F),
    ];
    let code = u32::from(c);
    c.is_control() || FORMAT.iter().any(|&(lo, hi)| (lo..=hi).contains(&code))
}

/// Checks a scope (RFC 6749 §3.3): scope-tokens of `%x21 / %x23-5B / %x5D-7E` separated by
/// single spaces, at most [`MAX_SCOPE_BYTES`]. Returns the tokens, duplicates removed.
pub fn parse_scope(scope: &str) -> Result<Vec<&str>, Invalid> {
    if scope.is_empty() {
        return Err(Invalid("scope must not be empty"));
    }
    if scope.len() > MAX_SCOPE_BYTES {
        return Err(Invalid("scope is longer than 1024 bytes"));
    }
    let mut tokens: Vec<&str> = Vec::new();
    for token in scope.split(' ') {
        let valid = !token.is_empty()
            && token
                .bytes()
                .all(|b| b == 0x21 || (0x23..=0x5b).contains(&b) || (0x5d..=0x7e).contains(&b));
        if !valid {
            return Err(Invalid(
                "scope must be scope-tokens separated by single spaces (RFC 6749 section 3.3)",
            ));
        }
        if !tokens.contains(&token) {
            tokens.push(token);
        }
    }
    Ok(tokens)
}

/// The scope of a refreshed access token (RFC 6749 §6): the session's scope when none is
/// requested, else the requested one, which must not exceed the session's.
pub fn narrow_scope(
    session: Option<&str>,
    requested: Option<&str>,
) -> Result<Option<String>, Invalid> {
    let Some(requested) = requested else {
        return Ok(session.map(str::to_owned));
    };
    let wanted = parse_scope(requested)?;
    let granted: Vec<&str> = match session {
        Some(s) => parse_scope(s)?,
        None => Vec::new(),
    };
    if wanted.iter().any(|w| !granted.contains(w)) {
        return Err(Invalid("requested scope exceeds the scope of the session"));
    }
    Ok(Some(wanted.join(" ")))
}

/// Checks extra claims: a JSON object of at most [`MAX_CLAIMS_BYTES`], no empty names, and
/// none of the [`RESERVED_CLAIMS`] (an extra claim never overrides what the issuer sets).
pub fn validate_extra_claims(claims: &Map<String, Value>) -> Result<(), Invalid> {
    if claims.keys().any(|k| RESERVED_CLAIMS.contains(&k.as_str())) {
        return Err(Invalid(
            "claims may not set registered claims (iss, sub, aud, exp, nbf, iat, jti, sid, scope)",
        ));
    }
    if claims.keys().any(String::is_empty) {
        return Err(Invalid("claim names must not be empty"));
    }
    let size = serde_json::to_vec(claims)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CLAIMS_BYTES {
        return Err(Invalid("claims are larger than 4096 bytes"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_validation() {
        assert!(validate_subject("alice@example.com").is_ok());
        assert!(validate_subject("ünïcødé 用户").is_ok());
        assert!(validate_subject(&"x".repeat(256)).is_ok());
        assert!(validate_subject("...").is_ok() && validate_subject(".a").is_ok());
        assert!(validate_subject("").is_err());
        assert!(validate_subject(&"x".repeat(257)).is_err());
        assert!(
            validate_subject(&"é".repeat(129)).is_err(),
            "bytes, not chars"
        );
        assert!(
            validate_subject("al ice").is_ok(),
            "inner spaces stay allowed"
        );
        assert!(validate_subject("alié").is_ok());
        for bad in [
            "a\r\nSet-Cookie: x",
            "a\0b",
            "tab\there",
            "del\u{7f}",
            "c1\u{85}",
            ".",
            "..",
            " alice",
            "alice ",
            "alice\u{3000}",
            "\u{a0}alice",
            "ali\u{202e}ce",
            "ali\u{2028}ce",
            "ali\u{2029}ce",
            "ali\u{200b}ce",
            "ali\u{200d}ce",
            "ali\u{feff}ce",
            "ali\u{ad}ce",
            "ali\u{2066}ce",
            "ali\u{e0041}ce",
        ] {
            assert!(validate_subject(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn scope_parsing() {
        assert_eq!(parse_scope("read write read"), Ok(vec!["read", "write"]));
        assert_eq!(parse_scope("a:b/c!#[]~"), Ok(vec!["a:b/c!#[]~"]));
        for bad in [
            "",
            " read",
            "read ",
            "read  write",
            "re\"ad",
            "re\\ad",
            "ré",
            "a\tb",
        ] {
            assert!(parse_scope(bad).is_err(), "{bad:?}");
        }
        assert!(parse_scope(&"a".repeat(1025)).is_err());
    }

    #[test]
    fn scope_narrowing() {
        assert_eq!(
            narrow_scope(Some("read write"), None),
            Ok(Some("read write".into()))
        );
        assert_eq!(narrow_scope(None, None), Ok(None));
        assert_eq!(
            narrow_scope(Some("read write"), Some("write")),
            Ok(Some("write".into()))
        );
        assert!(narrow_scope(Some("read"), Some("read admin")).is_err());
        assert!(narrow_scope(None, Some("read")).is_err());
        assert!(narrow_scope(Some("read"), Some("")).is_err());
    }

    #[test]
    fn extra_claims_validation() {
        let ok: Map<String, Value> =
            serde_json::from_str(r#"{"role":"admin","org":{"id":7}}"#).unwrap_or_default();
        assert!(validate_extra_claims(&ok).is_ok());
        for name in RESERVED_CLAIMS {
            let mut m = Map::new();
            m.insert(name.to_owned(), Value::from(1));
            assert!(validate_extra_claims(&m).is_err(), "{name}");
        }
        let mut empty_name = Map::new();
        empty_name.insert(String::new(), Value::from(1));
        assert!(validate_extra_claims(&empty_name).is_err());
        let mut big = Map::new();
        big.insert("blob".into(), Value::from("x".repeat(MAX_CLAIMS_BYTES)));
        assert!(validate_extra_claims(&big).is_err());
    }
}
