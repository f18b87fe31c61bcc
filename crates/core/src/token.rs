//! Splitting, strict base64url decoding and header parsing of a compact JWS.
//!
//! The header is parsed in one pass by the strict JSON reader (`json`): `alg`, `kid`, `typ`,
//! `cty`, `crit`, `b64` and `zip` are read with their types checked; every other member is
//! skipped (checking it for duplicate names too). A repeated member name anywhere in the
//! header is `ERR_JWS_INVALID`: parsers disagree on which copy wins, which is an attack.
//! `jwk`, `jku`, `x5u`, `x5c` (and `x5t`) are never used to find a key: keys come only from
//! the verifier's configuration.

use alloc::{borrow::Cow, string::String, vec::Vec};

use crate::{
    json::{Malformed, Reader, Value},
    Algorithm, Error,
};

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

/// Header parameter names registered by RFC 7515 §4.1, RFC 7516 §4.1 (JWE), RFC 7797 (`b64`)
/// and RFC 8555 / RFC 7519 usage: `crit` must not list them, and the policy cannot claim to
/// understand them as extensions.
pub(crate) const REGISTERED_HEADERS: &[&str] = &[
    "alg", "jku", "jwk", "kid", "x5u", "x5c", "x5t", "x5t#S256", "typ", "cty", "crit", "enc",
    "zip", "epk", "apu", "apv", "iv", "tag", "p2s", "p2c", "b64",
];

/// The three segments of a compact JWS and the signing input (`header.payload`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Segments<'t> {
    pub(crate) header: &'t [u8],
    pub(crate) payload: &'t [u8],
    pub(crate) signature: &'t [u8],
    pub(crate) signing_input: &'t [u8],
}

/// Splits a compact JWS: exactly three `.`-separated segments (`ERR_JWT_INVALID` else).
#[inline]
pub(crate) fn split(token: &str) -> Result<Segments<'_>, Error> {
    let bytes = token.as_bytes();
    let mut dots = bytes
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'.')
        .map(|(i, _)| i);
    let (Some(first), Some(second), None) = (dots.next(), dots.next(), dots.next()) else {
        return Err(Error::InvalidJwt("a jwt has exactly three segments"));
    };
    Ok(Segments {
        header: &bytes[..first],
        payload: &bytes[first + 1..second],
        signature: &bytes[second + 1..],
        signing_input: &bytes[..second],
    })
}

/// The header members revocable reads, borrowed from the decoded header where possible.
#[derive(Debug, Default)]
pub(crate) struct RawHeader<'h> {
    pub(crate) alg: Option<Cow<'h, str>>,
    pub(crate) kid: Option<Cow<'h, str>>,
    pub(crate) typ: Option<Cow<'h, str>>,
    pub(crate) cty: Option<Cow<'h, str>>,
    pub(crate) crit: Option<Vec<Cow<'h, str>>>,
    pub(crate) b64: Option<bool>,
    pub(crate) zip: bool,
    /// Which `policy.critical` names appear as header members (bit i = name i).
    pub(crate) present_extensions: u64,
}

/// Parses and checks the protected header (all failures are `ERR_JWS_INVALID` except the
/// unsupported features, `ERR_JOSE_NOT_SUPPORTED`):
/// 1. a JSON object with no repeated member names;
/// 2. `alg` present and a string; `kid`, `typ`, `cty` strings; `crit` an array of strings;
///    `b64` a boolean;
/// 3. `b64: false` (RFC 7797), `zip`, and `cty: JWT` (nested tokens) are not supported;
/// 4. `crit`: non-empty, no repeats, no registered names, each name understood
///    (`critical`) and present in the header.
#[inline]
pub(crate) fn parse_header<'h>(
    json: &'h [u8],
    critical: &[String],
) -> Result<RawHeader<'h>, Error> {
    let mut reason = "header is not a json object";
    let header = read_header(json, critical, &mut reason).map_err(|Malformed| {
        // A repeated (at any depth) or wrongly typed member says so; anything else is "not a
        // json object".
        Error::InvalidJws(reason)
    })?;

    if header.alg.is_none() {
        return Err(Error::InvalidJws("header has no alg"));
    }
    if header.b64 == Some(false) {
        return Err(Error::NotSupported("unencoded payload (b64: false)"));
    }
    if header.zip {
        return Err(Error::NotSupported("compressed payload (zip)"));
    }
    if header.cty.as_deref().is_some_and(is_jwt_media_type) {
        return Err(Error::NotSupported("nested jwt (cty: JWT)"));
    }
    if let Some(crit) = &header.crit {
        if crit.is_empty() {
            return Err(Error::InvalidJws("crit must not be empty"));
        }
        for (i, name) in crit.iter().enumerate() {
            if crit[..i].contains(name) {
                return Err(Error::InvalidJws("crit lists a name twice"));
            }
            if REGISTERED_HEADERS.contains(&name.as_ref()) {
                return Err(Error::InvalidJws(
                    "crit lists a registered header parameter",
                ));
            }
            let Some(index) = critical.iter().position(|c| c == name) else {
                return Err(Error::InvalidJws(
                    "crit lists an extension that is not understood",
                ));
            };
            if header.present_extensions & bit(index) == 0 {
                return Err(Error::InvalidJws(
                    "crit lists a header parameter that is absent",
                ));
            }
        }
    }
    Ok(header)
}

/// Bit `i` of a 64-bit presence mask (0 past 63; the policy allows at most 64 names).
#[inline]
pub(crate) fn bit(i: usize) -> u64 {
    u32::try_from(i)
        .ok()
        .and_then(|i| 1_u64.checked_shl(i))
        .unwrap_or(0)
}

/// `JWT` or `application/JWT`, case-insensitively (RFC 7519 §5.2).
#[inline]
fn is_jwt_media_type(value: &str) -> bool {
    normalize_media_type(value).eq_ignore_ascii_case("jwt")
}

/// Drops an `application/` prefix (case-insensitively), as RFC 7515 §4.1.9 allows.
#[inline]
pub(crate) fn normalize_media_type(value: &str) -> &str {
    const PREFIX: &str = "application/";
    // `get`, not indexing: a str index panic would link core's char-boundary error
    // formatting into the wasm (the prefix is ASCII, so this never falls back).
    match (value.get(..PREFIX.len()), value.get(PREFIX.len()..)) {
        (Some(prefix), Some(rest)) if prefix.eq_ignore_ascii_case(PREFIX) => rest,
        _ => value,
    }
}

/// RFC 8725 §3.11 `typ` comparison: case-insensitive, `application/` prefix optional.
#[inline]
pub(crate) fn typ_matches(token_typ: &str, expected: &str) -> bool {
    normalize_media_type(token_typ).eq_ignore_ascii_case(normalize_media_type(expected))
}

/// Reads the header object; `reason` is set for the failures that have their own message.
#[inline]
pub(crate) fn read_header<'h>(
    json: &'h [u8],
    critical: &[String],
    reason: &mut &'static str,
) -> Result<RawHeader<'h>, Malformed> {
    let mut r = Reader::new(json);
    let header = header_members(&mut r, critical, reason);
    if header.is_err() && r.repeated_name() {
        *reason = "header repeats a member name";
    }
    header
}

#[inline]
fn header_members<'h>(
    r: &mut Reader<'h>,
    critical: &[String],
    reason: &mut &'static str,
) -> Result<RawHeader<'h>, Malformed> {
    let mut header = RawHeader::default();
    let mut members = r.object()?;
    while let Some(name) = r.member(&mut members)? {
        let value = match name.as_ref() {
            "alg" | "kid" | "typ" | "cty" | "crit" | "b64" => r.value()?,
            "zip" => {
                r.skip_value()?;
                header.zip = true;
                continue;
            }
            other => {
                if let Some(i) = critical.iter().position(|c| c == other) {
                    header.present_extensions |= bit(i);
                }
                r.skip_value()?;
                continue;
            }
        };
        match (name.as_ref(), value) {
            ("alg", Value::Str(v)) => header.alg = Some(v),
            ("kid", Value::Str(v)) => header.kid = Some(v),
            ("typ", Value::Str(v)) => header.typ = Some(v),
            ("cty", Value::Str(v)) => header.cty = Some(v),
            ("crit", Value::StrList(list)) => header.crit = Some(list),
            ("b64", Value::Bool(v)) => header.b64 = Some(v),
            _ => {
                *reason = "header member has the wrong type";
                return Err(Malformed);
            }
        }
    }
    r.end()?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(json: &str) -> Result<RawHeader<'_>, Error> {
        parse_header(json.as_bytes(), &["exp".to_owned(), "x-ext".to_owned()])
    }

    #[test]
    fn splits_exactly_three_segments() {
        let s = split("a.b.c").unwrap();
        assert_eq!(
            (s.header, s.payload, s.signature),
            (&b"a"[..], &b"b"[..], &b"c"[..])
        );
        assert_eq!(s.signing_input, b"a.b");
        assert!(split("a.b.").is_ok());
        for bad in ["", "a", "a.b", "a.b.c.d", "a.b.c.d.e", "....", "a.b.c."] {
            assert_eq!(split(bad).unwrap_err().code(), "ERR_JWT_INVALID", "{bad}");
        }
    }

    #[test]
    fn reads_the_members() {
        let h = header(
            r#"{"alg":"ES256","kid":"k\u0031","typ":"at+jwt","x5c":["a"],"jwk":{"kty":"EC"}}"#,
        )
        .unwrap();
        assert_eq!(h.alg.as_deref(), Some("ES256"));
        assert_eq!(h.kid.as_deref(), Some("k1"));
        assert_eq!(h.typ.as_deref(), Some("at+jwt"));
    }

    #[test]
    fn wrong_types_and_shapes_are_invalid() {
        for bad in [
            r#"{"alg":1}"#,
            r#"{"alg":null}"#,
            r#"{"alg":["HS256"]}"#,
            r#"{"alg":"HS256","kid":1}"#,
            r#"{"alg":"HS256","typ":{}}"#,
            r#"{"alg":"HS256","crit":"exp","exp":1}"#,
            r#"{"alg":"HS256","crit":[1],"exp":1}"#,
            r#"{"alg":"HS256","b64":"false"}"#,
            r#"{"kid":"a"}"#,
            r#"[]"#,
            r#""HS256""#,
            r#"{"alg":"HS256"} x"#,
            r#"{"alg":"HS256",}"#,
            "",
        ] {
            assert_eq!(header(bad).unwrap_err().code(), "ERR_JWS_INVALID", "{bad}");
        }
    }

    #[test]
    fn repeated_names_are_invalid_at_any_depth() {
        assert_eq!(
            header(r#"{"alg":"HS256","alg":"none"}"#).unwrap_err(),
            Error::InvalidJws("header repeats a member name")
        );
        assert_eq!(
            header(r#"{"alg":"HS256","a\u006cg":"none"}"#).unwrap_err(),
            Error::InvalidJws("header repeats a member name")
        );
        assert_eq!(
            header(r#"{"alg":"HS256","x":1,"x":2}"#).unwrap_err(),
            Error::InvalidJws("header repeats a member name")
        );
        assert_eq!(
            header(r#"{"alg":"HS256","jwk":{"k":"a","k":"b"}}"#).unwrap_err(),
            Error::InvalidJws("header repeats a member name")
        );
        assert_eq!(
            header(r#"{"alg":"HS256","x5c":["a",{"k":1,"\u006b":2}]}"#).unwrap_err(),
            Error::InvalidJws("header repeats a member name")
        );
        // A repeated name is only found in what parses up to it.
        assert_eq!(
            header(r#"{"alg":"HS256","jwk":{"k":"a" "k":"b"}}"#).unwrap_err(),
            Error::InvalidJws("header is not a json object")
        );
    }

    #[test]
    fn crit_rules() {
        assert!(header(r#"{"alg":"HS256","crit":["exp"],"exp":1}"#).is_ok());
        assert!(header(r#"{"alg":"HS256","crit":["x-ext","exp"],"exp":1,"x-ext":true}"#).is_ok());
        for (bad, why) in [
            (r#"{"alg":"HS256","crit":[]}"#, "crit must not be empty"),
            (
                r#"{"alg":"HS256","crit":["exp","exp"],"exp":1}"#,
                "crit lists a name twice",
            ),
            (
                r#"{"alg":"HS256","crit":["alg"]}"#,
                "crit lists a registered header parameter",
            ),
            (
                r#"{"alg":"HS256","crit":["other"],"other":1}"#,
                "crit lists an extension that is not understood",
            ),
            (
                r#"{"alg":"HS256","crit":["exp"]}"#,
                "crit lists a header parameter that is absent",
            ),
        ] {
            assert_eq!(header(bad).unwrap_err(), Error::InvalidJws(why), "{bad}");
        }
    }

    #[test]
    fn unsupported_features() {
        for bad in [
            r#"{"alg":"HS256","b64":false,"crit":["b64"]}"#,
            r#"{"alg":"HS256","zip":"DEF"}"#,
            r#"{"alg":"HS256","cty":"JWT"}"#,
            r#"{"alg":"HS256","cty":"application/jwt"}"#,
        ] {
            assert_eq!(
                header(bad).unwrap_err().code(),
                "ERR_JOSE_NOT_SUPPORTED",
                "{bad}"
            );
        }
        assert!(header(r#"{"alg":"HS256","b64":true}"#).is_ok());
        assert!(header(r#"{"alg":"HS256","cty":"json"}"#).is_ok());
    }

    #[test]
    fn typ_comparison_follows_rfc8725() {
        assert!(typ_matches("at+jwt", "at+jwt"));
        assert!(typ_matches("AT+JWT", "at+jwt"));
        assert!(typ_matches("application/at+jwt", "at+jwt"));
        assert!(typ_matches("Application/AT+JWT", "application/at+jwt"));
        assert!(!typ_matches("jwt", "at+jwt"));
        assert!(!typ_matches("at+jwt ", "at+jwt"));
        assert!(!typ_matches("application/", "at+jwt"));
    }
}
