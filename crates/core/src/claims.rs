//! Registered claims of a verified token and the claims policy checks.
//!
//! The payload is parsed in ONE pass (the strict JSON reader, `json`): the registered claims
//! are read into [`Claims`] with their types checked, every other member is skipped without
//! being built (nested objects are still checked for repeated names), and the presence of
//! the policy's required claims is recorded on the way. No JSON tree is built.
//!
//! Claim rules (also in `docs/verification.md`):
//! - `exp`, `nbf`, `iat` must be JSON numbers; strings, booleans, `null`, arrays and objects
//!   are `invalid`. Fractions are accepted (RFC 7519 NumericDate) and rounded the strict way
//!   (`exp` down, `nbf` up; `iat` up for the "issued in the future" check and down for the
//!   maximum age and the logout-everywhere rule); out-of-range values saturate (`1e300` is
//!   far future, never a panic).
//! - `iss`, `sub`, `jti`, `sid`, `scope` must be strings; `aud` a string or an array of
//!   strings; anything else is `invalid`.
//! - check order: payload shape (`ERR_JWT_INVALID`) -> claim types (`invalid`, in the order
//!   iss, sub, aud, exp, nbf, iat, jti, sid, scope) -> `typ` header -> presence (`missing`:
//!   exp when required, iss, aud, iat when `max_token_age` is set, then `required_claims`
//!   in order) -> iss -> aud (`check_failed`) -> exp (`ERR_JWT_EXPIRED`) -> nbf -> iat
//!   (`check_failed`) -> max token age (`ERR_JWT_EXPIRED`, claim `iat`).
//! - with tolerance `t`: expired when `now >= exp + t`; not yet valid when `nbf > now + t`;
//!   issued in the future when `iat > now + t`; too old when `now - iat > max_age + t`.

use alloc::{string::String, vec::Vec};

use crate::{
    json::{Malformed, Reader, Round, Value},
    token::bit,
    ClaimReason, Error, Policy,
};

/// The token's `aud`: one string or an array of strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// `"aud": "api"`.
    One(String),
    /// `"aud": ["api", "billing"]`.
    Many(Vec<String>),
}

impl Audience {
    /// True when any of the token's audiences equals `aud`.
    #[inline]
    pub fn contains(&self, aud: &str) -> bool {
        match self {
            Self::One(one) => one == aud,
            Self::Many(many) => many.iter().any(|a| a == aud),
        }
    }
}

/// The registered claims of a verified token, already type-checked. The whole payload is in
/// [`crate::Verified::payload`] (JSON text) for callers that want every claim.
///
/// Times are Unix seconds. Fractional NumericDates are accepted (RFC 7519 §2) and rounded
/// in the strict direction: `exp` down, `nbf` up, `iat` up (the field; the maximum age and the
/// logout-everywhere rule use the earlier whole second, see [`Claims::iat_floor`]); values
/// outside 64 bits saturate.
///
/// Claim rules applied by [`crate::Verifier::verify`] (full text in `docs/verification.md`):
/// - types: `exp`/`nbf`/`iat` JSON numbers only (strings, booleans, `null` are `invalid`);
///   `iss`/`sub`/`jti`/`sid`/`scope` strings; `aud` a string or an array of strings;
/// - order: types (iss, sub, aud, exp, nbf, iat, jti, sid, scope) -> `typ` header ->
///   presence (`exp` unless optional, `iss`, `aud`, `iat` with a max age, then the required
///   claims) -> `iss` -> `aud` -> `exp` -> `nbf` -> `iat` -> max age;
/// - with tolerance `t`: expired (`ERR_JWT_EXPIRED`, claim `exp`) when `now >= exp + t`;
///   `nbf > now + t` and `iat > now + t` are `check_failed`; `now - iat > max_age + t` is
///   `ERR_JWT_EXPIRED` with claim `iat`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Claims {
    /// `iss`.
    pub iss: Option<String>,
    /// `sub`.
    pub sub: Option<String>,
    /// `aud`.
    pub aud: Option<Audience>,
    /// `exp`.
    pub exp: Option<i64>,
    /// `nbf`.
    pub nbf: Option<i64>,
    /// `iat`, rounded up when fractional (the strict direction for "issued in the future").
    pub iat: Option<i64>,
    /// `jti`.
    pub jti: Option<String>,
    /// `sid` (session id; revocable's issuer sets it).
    pub sid: Option<String>,
    /// `scope` (space-separated, RFC 9068 / RFC 8693).
    pub scope: Option<String>,
    /// The token's `iat` had a fraction, so `iat` above is one more than its floor.
    pub(crate) iat_fractional: bool,
}

impl Claims {
    /// `iat` rounded DOWN: the strict direction for the rules that need the token to be
    /// old (the maximum age, and the revocation rule `iat < not_before`): a token issued at
    /// 99.5 was issued before a logout at 100.
    #[inline]
    pub fn iat_floor(&self) -> Option<i64> {
        self.iat
            .map(|iat| iat.saturating_sub(i64::from(self.iat_fractional)))
    }
}

/// Deserializes a string or an array of strings into a `Vec<String>` (policy options; the
/// JSON differential tests' policy model).
#[cfg(any(test, feature = "serde"))]
pub(crate) fn one_or_many<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Vec<String>, D::Error> {
    use serde::Deserialize;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(de)? {
        OneOrMany::One(one) => alloc::vec![one],
        OneOrMany::Many(many) => many,
    })
}

// Bits for the registered claims, in the order their type errors are reported.
const ISS: u16 = 1 << 0;
const SUB: u16 = 1 << 1;
const AUD: u16 = 1 << 2;
const EXP: u16 = 1 << 3;
const NBF: u16 = 1 << 4;
const IAT: u16 = 1 << 5;
const JTI: u16 = 1 << 6;
const SID: u16 = 1 << 7;
const SCOPE: u16 = 1 << 8;
const TYPE_ORDER: [(u16, &str); 9] = [
    (ISS, "iss"),
    (SUB, "sub"),
    (AUD, "aud"),
    (EXP, "exp"),
    (NBF, "nbf"),
    (IAT, "iat"),
    (JTI, "jti"),
    (SID, "sid"),
    (SCOPE, "scope"),
];

/// The payload after the one-pass parse: the claims, which registered claims had the wrong
/// type, and which of the policy's required claims were present.
#[derive(Debug)]
pub(crate) struct ParsedClaims {
    pub(crate) claims: Claims,
    pub(crate) invalid: u16,
    pub(crate) required_present: u64,
}

/// Parses the payload text (already valid UTF-8). `ERR_JWT_INVALID` when it is not a JSON
/// object, has trailing data, or repeats a member name (at any depth).
#[inline]
pub(crate) fn parse(payload: &str, required: &[String]) -> Result<ParsedClaims, Error> {
    let mut repeated = false;
    read_claims(payload, required, &mut repeated).map_err(|Malformed| {
        Error::InvalidJwt(if repeated {
            "claims repeat a member name"
        } else {
            "claims are not a json object"
        })
    })
}

/// A JSON number as Unix seconds rounded in `round`'s direction, or `None` for any other
/// type. Exact (from the decimal digits) and saturating: `1e300` and `-1e300` become
/// `i64::MAX` / `i64::MIN`.
#[inline]
fn numeric_date(value: &Value<'_>, round: Round) -> Option<i64> {
    match value {
        Value::Num(n) => Some(n.to_i64_rounded(round).0),
        _ => None,
    }
}

#[inline]
fn string(value: Value<'_>) -> Option<String> {
    match value {
        Value::Str(s) => Some(s.into_owned()),
        _ => None,
    }
}

#[inline]
pub(crate) fn read_claims(
    payload: &str,
    required: &[String],
    repeated: &mut bool,
) -> Result<ParsedClaims, Malformed> {
    let mut r = Reader::from_str(payload);
    let parsed = claims_members(&mut r, required);
    if parsed.is_err() && r.repeated_name() {
        *repeated = true;
    }
    parsed
}

#[inline]
fn claims_members(r: &mut Reader<'_>, required: &[String]) -> Result<ParsedClaims, Malformed> {
    let mut claims = Claims::default();
    let mut invalid = 0_u16;
    let mut required_present = 0_u64;
    let mut members = r.object()?;
    while let Some(name) = r.member(&mut members)? {
        for (i, wanted) in required.iter().enumerate() {
            if *wanted == name {
                required_present |= bit(i);
            }
        }
        let (flag, ok) = match name.as_ref() {
            "iss" => (ISS, put(&mut claims.iss, string(r.value()?))),
            "sub" => (SUB, put(&mut claims.sub, string(r.value()?))),
            "jti" => (JTI, put(&mut claims.jti, string(r.value()?))),
            "sid" => (SID, put(&mut claims.sid, string(r.value()?))),
            "scope" => (SCOPE, put(&mut claims.scope, string(r.value()?))),
            "exp" => {
                let exp = numeric_date(&r.value()?, Round::Floor);
                (EXP, put(&mut claims.exp, exp))
            }
            "nbf" => {
                let nbf = numeric_date(&r.value()?, Round::Ceil);
                (NBF, put(&mut claims.nbf, nbf))
            }
            "iat" => {
                let value = r.value()?;
                // Rounded up here; `iat_floor` is one less when the two roundings differ.
                let ceil = numeric_date(&value, Round::Ceil);
                let floor = numeric_date(&value, Round::Floor);
                claims.iat_fractional = ceil != floor;
                (IAT, put(&mut claims.iat, ceil))
            }
            "aud" => {
                let aud = match r.value()? {
                    Value::Str(one) => Some(Audience::One(one.into_owned())),
                    Value::StrList(many) => Some(Audience::Many(
                        many.into_iter()
                            .map(alloc::borrow::Cow::into_owned)
                            .collect(),
                    )),
                    _ => None,
                };
                (AUD, put(&mut claims.aud, aud))
            }
            _ => {
                r.skip_value()?;
                (0, true)
            }
        };
        if !ok {
            invalid |= flag;
        }
    }
    r.end()?;
    Ok(ParsedClaims {
        claims,
        invalid,
        required_present,
    })
}

/// Stores a typed claim; false when the JSON value had the wrong type.
#[inline]
fn put<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    *slot = value;
    ok
}

impl ParsedClaims {
    /// Claims with the wrong JSON type (`invalid`), in the fixed order.
    #[inline]
    pub(crate) fn check_types(&self) -> Result<(), Error> {
        match TYPE_ORDER.iter().find(|(flag, _)| self.invalid & flag != 0) {
            Some((_, name)) => Err(Error::claim_failed(*name, ClaimReason::Invalid)),
            None => Ok(()),
        }
    }

    /// Claims the policy needs (`missing`): `exp` when required, `iss`, `aud`, `iat` when a
    /// maximum age is set, then `required_claims` in order.
    #[inline]
    pub(crate) fn check_presence(&self, policy: &Policy) -> Result<(), Error> {
        let c = &self.claims;
        let missing = |name: &'static str| Err(Error::claim_failed(name, ClaimReason::Missing));
        if policy.require_exp && c.exp.is_none() {
            return missing("exp");
        }
        if c.iss.is_none() {
            return missing("iss");
        }
        if c.aud.is_none() {
            return missing("aud");
        }
        if policy.max_token_age.is_some() && c.iat.is_none() {
            return missing("iat");
        }
        for (i, name) in policy.required_claims.iter().enumerate() {
            if self.required_present & bit(i) == 0 {
                return Err(Error::claim_failed(name.clone(), ClaimReason::Missing));
            }
        }
        Ok(())
    }
}

/// `iss` must be one of the policy's issuers; the token's `aud` must contain one of the
/// policy's audiences. Both are already known to be present.
#[inline]
pub(crate) fn check_issuer_and_audience(claims: &Claims, policy: &Policy) -> Result<(), Error> {
    let issuer_ok = claims
        .iss
        .as_deref()
        .is_some_and(|iss| policy.issuers.iter().any(|i| i == iss));
    if !issuer_ok {
        return Err(Error::claim_failed("iss", ClaimReason::CheckFailed));
    }
    let audience_ok = claims
        .aud
        .as_ref()
        .is_some_and(|aud| policy.audiences.iter().any(|a| aud.contains(a)));
    if !audience_ok {
        return Err(Error::claim_failed("aud", ClaimReason::CheckFailed));
    }
    Ok(())
}

/// The time checks at `now` with the policy's tolerance (also what a cache re-runs).
#[inline]
pub(crate) fn check_times(claims: &Claims, policy: &Policy, now: i64) -> Result<(), Error> {
    let tolerance = i64::from(policy.clock_tolerance);
    match claims.exp {
        Some(exp) if now >= exp.saturating_add(tolerance) => {
            return Err(Error::Expired { claim: "exp" });
        }
        None if policy.require_exp => {
            return Err(Error::claim_failed("exp", ClaimReason::Missing));
        }
        _ => {}
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(tolerance))
    {
        return Err(Error::claim_failed("nbf", ClaimReason::CheckFailed));
    }
    if claims
        .iat
        .is_some_and(|iat| iat > now.saturating_add(tolerance))
    {
        return Err(Error::claim_failed("iat", ClaimReason::CheckFailed));
    }
    if let Some(max_age) = policy.max_token_age {
        let Some(iat) = claims.iat_floor() else {
            return Err(Error::claim_failed("iat", ClaimReason::Missing));
        };
        if now.saturating_sub(iat) > i64::from(max_age).saturating_add(tolerance) {
            return Err(Error::Expired { claim: "iat" });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(json: &str) -> ParsedClaims {
        parse(json, &[]).unwrap()
    }

    #[test]
    fn reads_registered_claims_in_one_pass() {
        let p = parse_ok(
            r#"{"iss":"i","sub":"s","aud":["a","b"],"exp":10,"nbf":1.5,"iat":2.1,"jti":"j","sid":"x","scope":"read write","custom":{"deep":[1,{"k":null}]}}"#,
        );
        let c = &p.claims;
        assert_eq!(c.iss.as_deref(), Some("i"));
        assert_eq!(c.aud, Some(Audience::Many(vec!["a".into(), "b".into()])));
        assert_eq!((c.exp, c.nbf, c.iat), (Some(10), Some(2), Some(3)));
        assert_eq!(c.scope.as_deref(), Some("read write"));
        assert!(p.check_types().is_ok());
    }

    #[test]
    fn rounding_is_strict_and_saturating() {
        let c = parse_ok(r#"{"exp":10.9,"nbf":10.1,"iat":-0.5}"#).claims;
        assert_eq!((c.exp, c.nbf, c.iat), (Some(10), Some(11), Some(0)));
        assert_eq!(c.iat_floor(), Some(-1));
        for (json, iat, floor) in [
            (r#"{"iat":7}"#, 7, 7),
            (r#"{"iat":7.0}"#, 7, 7),
            (r#"{"iat":7e0}"#, 7, 7),
            (r#"{"iat":7.25}"#, 8, 7),
            (r#"{"iat":-7.25}"#, -7, -8),
            (r#"{"iat":1e300}"#, i64::MAX, i64::MAX),
            (r#"{"iat":-1e300}"#, i64::MIN, i64::MIN),
        ] {
            let c = parse_ok(json).claims;
            assert_eq!((c.iat, c.iat_floor()), (Some(iat), Some(floor)), "{json}");
        }
        assert_eq!(parse_ok("{}").claims.iat_floor(), None);
        let c = parse_ok(r#"{"exp":1e300,"nbf":-1e300,"iat":99999999999999999999999}"#).claims;
        assert_eq!(
            (c.exp, c.nbf, c.iat),
            (Some(i64::MAX), Some(i64::MIN), Some(i64::MAX))
        );
        let c = parse_ok(r#"{"exp":-5,"nbf":18446744073709551615}"#).claims;
        assert_eq!((c.exp, c.nbf), (Some(-5), Some(i64::MAX)));
    }

    #[test]
    fn wrong_types_are_invalid_in_fixed_order() {
        for (json, claim) in [
            (r#"{"exp":"10"}"#, "exp"),
            (r#"{"exp":true}"#, "exp"),
            (r#"{"exp":null}"#, "exp"),
            (r#"{"exp":[1]}"#, "exp"),
            (r#"{"nbf":{}}"#, "nbf"),
            (r#"{"iat":"1"}"#, "iat"),
            (r#"{"iss":1}"#, "iss"),
            (r#"{"sub":null}"#, "sub"),
            (r#"{"aud":1}"#, "aud"),
            (r#"{"aud":["a",1]}"#, "aud"),
            (r#"{"aud":null}"#, "aud"),
            (r#"{"jti":1}"#, "jti"),
            (r#"{"sid":[]}"#, "sid"),
            (r#"{"scope":["read"]}"#, "scope"),
            (r#"{"scope":1,"exp":"x","iss":false}"#, "iss"),
        ] {
            let err = parse_ok(json).check_types().unwrap_err();
            assert_eq!(
                err,
                Error::claim_failed(claim, ClaimReason::Invalid),
                "{json}"
            );
        }
    }

    #[test]
    fn shape_errors_are_invalid_jwt() {
        for json in [
            "[]",
            "1",
            "\"x\"",
            "null",
            "true",
            "",
            "{",
            r#"{"a":1} {}"#,
            r#"{"a":1,}"#,
        ] {
            assert_eq!(
                parse(json, &[]).unwrap_err().code(),
                "ERR_JWT_INVALID",
                "{json}"
            );
        }
        assert_eq!(
            parse(r#"{"sub":"a","sub":"b"}"#, &[]).unwrap_err(),
            Error::InvalidJwt("claims repeat a member name")
        );
        assert_eq!(
            parse(r#"{"sub":"a","\u0073ub":"b"}"#, &[]).unwrap_err(),
            Error::InvalidJwt("claims repeat a member name")
        );
        assert_eq!(
            parse(r#"{"x":1,"x":1}"#, &[]).unwrap_err(),
            Error::InvalidJwt("claims repeat a member name")
        );
        assert_eq!(
            parse(r#"{"x":{"y":1,"y":2}}"#, &[]).unwrap_err(),
            Error::InvalidJwt("claims repeat a member name")
        );
        assert_eq!(
            parse(r#"{"aud":["a",{"y":1,"y":2}]}"#, &[]).unwrap_err(),
            Error::InvalidJwt("claims repeat a member name")
        );
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let nested =
            |depth: usize| format!(r#"{{"x":{}1{}}}"#, "[".repeat(depth), "]".repeat(depth));
        assert!(parse(&nested(100), &[]).is_ok());
        assert_eq!(
            parse(&nested(10_000), &[]).unwrap_err().code(),
            "ERR_JWT_INVALID"
        );
    }

    #[test]
    fn presence_of_required_claims() {
        let policy = Policy::new(["i"], ["a"]).with_required_claims(["email", "sub"]);
        let required = policy.required_claims.clone();
        let p = parse(r#"{"iss":"i","aud":"a","exp":1,"sub":"s"}"#, &required).unwrap();
        assert_eq!(
            p.check_presence(&policy).unwrap_err(),
            Error::claim_failed("email", ClaimReason::Missing)
        );
        let p = parse(
            r#"{"iss":"i","aud":"a","exp":1,"sub":"s","email":null}"#,
            &required,
        )
        .unwrap();
        assert!(p.check_presence(&policy).is_ok());
        let p = parse(r#"{"iss":"i","aud":"a"}"#, &required).unwrap();
        assert_eq!(
            p.check_presence(&policy).unwrap_err(),
            Error::claim_failed("exp", ClaimReason::Missing)
        );
    }

    #[test]
    fn time_boundaries() {
        let policy = Policy::new(["i"], ["a"]);
        let claims = |exp, nbf, iat| Claims {
            exp,
            nbf,
            iat,
            ..Claims::default()
        };
        // exp: valid strictly before exp.
        assert!(check_times(&claims(Some(100), None, None), &policy, 99).is_ok());
        assert_eq!(
            check_times(&claims(Some(100), None, None), &policy, 100).unwrap_err(),
            Error::Expired { claim: "exp" }
        );
        // nbf: valid from nbf on.
        assert!(check_times(&claims(Some(1000), Some(100), None), &policy, 100).is_ok());
        assert!(check_times(&claims(Some(1000), Some(100), None), &policy, 99).is_err());
        // iat in the future.
        assert!(check_times(&claims(Some(1000), None, Some(100)), &policy, 100).is_ok());
        assert!(check_times(&claims(Some(1000), None, Some(101)), &policy, 100).is_err());
        // Tolerance.
        let lenient = Policy::new(["i"], ["a"]).with_clock_tolerance(5);
        assert!(check_times(&claims(Some(100), None, None), &lenient, 104).is_ok());
        assert!(check_times(&claims(Some(100), None, None), &lenient, 105).is_err());
        assert!(check_times(&claims(Some(1000), Some(105), None), &lenient, 100).is_ok());
        assert!(check_times(&claims(Some(1000), Some(106), None), &lenient, 100).is_err());
        // Extreme values never overflow.
        assert!(check_times(
            &claims(Some(i64::MAX), Some(i64::MIN), None),
            &lenient,
            i64::MAX - 1
        )
        .is_ok());
        assert!(check_times(&claims(Some(i64::MIN), None, None), &lenient, i64::MIN + 4).is_ok());
        assert!(check_times(&claims(Some(i64::MIN), None, None), &lenient, i64::MIN + 5).is_err());
        // Max age.
        let aged = Policy::new(["i"], ["a"]).with_max_token_age(60);
        assert!(check_times(&claims(Some(1000), None, Some(100)), &aged, 160).is_ok());
        assert_eq!(
            check_times(&claims(Some(1000), None, Some(100)), &aged, 161).unwrap_err(),
            Error::Expired { claim: "iat" }
        );
        assert_eq!(
            check_times(&claims(Some(1000), None, None), &aged, 161).unwrap_err(),
            Error::claim_failed("iat", ClaimReason::Missing)
        );
    }
}
