//! A reference model of the claims policy, written from `docs/verification.md` ("Claims")
//! over a `serde_json::Value`, independently of the core's one-pass visitor. The
//! `claims_policy` target checks that whenever the core reaches the claims step, its verdict
//! (accept, or the exact code, claim and reason) equals the model's.

use revocable_core::Policy;
use serde_json::{Map, Value};

/// The expected failure: code, claim, reason (as the core reports them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    /// Stable error code.
    pub code: &'static str,
    /// The claim named by the error.
    pub claim: String,
    /// `missing`, `invalid` or `check_failed`.
    pub reason: &'static str,
}

fn fail(code: &'static str, claim: &str, reason: &'static str) -> Result<(), Expected> {
    Err(Expected {
        code,
        claim: claim.to_owned(),
        reason,
    })
}

const CLAIM_FAILED: &str = "ERR_JWT_CLAIM_VALIDATION_FAILED";
const EXPIRED: &str = "ERR_JWT_EXPIRED";

/// A NumericDate from the number's JSON text, rounded up or down EXACTLY (from the decimal
/// digits, not through f64: `1700000000.99999999999999999` is below 1700000001 although it
/// rounds to it as an f64), saturating at the ends of i64. `None` when `text` is not a JSON
/// number.
pub fn exact_numeric(text: &str, up: bool) -> Option<i64> {
    let text = text.trim();
    let (negative, rest) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(at) => (&rest[..at], exponent_of(&rest[at + 1..])?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    // value = digits * 10^scale, digits without leading zeros.
    let all = format!("{int_part}{frac_part}");
    let digits = all.trim_start_matches('0');
    let scale = exponent.saturating_sub(i64::try_from(frac_part.len()).ok()?);
    if digits.is_empty() {
        return Some(0);
    }
    let len = i64::try_from(digits.len()).ok()?;
    // The integer part (truncated; None when beyond i64 whatever the digits) and whether a
    // nonzero fraction remains.
    let (whole, fraction): (Option<u128>, bool) = if scale >= 0 {
        if len.saturating_add(scale) > 20 {
            (None, false)
        } else {
            let mut v: u128 = digits.parse().ok()?;
            for _ in 0..scale {
                v *= 10;
            }
            (Some(v), false)
        }
    } else {
        let cut = len.saturating_add(scale); // digits before the decimal point
        if cut <= 0 {
            (Some(0), true)
        } else if cut > 20 {
            (None, false)
        } else {
            let (w, f) = digits.split_at(usize::try_from(cut).ok()?);
            (Some(w.parse().ok()?), f.bytes().any(|b| b != b'0'))
        }
    };
    let Some(whole) = whole else {
        return Some(if negative { i64::MIN } else { i64::MAX });
    };
    let magnitude = i128::try_from(whole).ok()?;
    let value = if negative {
        -magnitude - i128::from(fraction && !up)
    } else {
        magnitude + i128::from(fraction && up)
    };
    Some(i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX }))
}

/// A JSON exponent (`-5`, `+300`, `0007`), saturated to +-10^18: JSON allows any number of
/// digits (`1e-132370999999999999999999999992000` is a valid way to write a tiny number), and
/// beyond +-10^18 the value is 0 or beyond i64 whatever the mantissa.
fn exponent_of(text: &str) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    let magnitude: i64 = if digits.len() > 18 {
        1_000_000_000_000_000_000
    } else {
        digits.parse().unwrap_or(0)
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// A NumericDate member: its exact rounding from `raw` (the member's JSON text) when the value
/// is a number, `None` for any other JSON type.
fn numeric(value: &Value, raw: Option<&str>, up: bool) -> Option<i64> {
    if !value.is_number() {
        return None;
    }
    exact_numeric(raw?, up)
}

fn type_ok(name: &str, value: &Value) -> bool {
    match name {
        "iss" | "sub" | "jti" | "sid" | "scope" => value.is_string(),
        "aud" => match value {
            Value::String(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        },
        "exp" | "nbf" | "iat" => value.is_number(),
        _ => true,
    }
}

/// RFC 8725 §3.11 as the docs put it: ASCII case-insensitive, `application/` prefix optional.
fn typ_matches(token: &str, expected: &str) -> bool {
    fn strip(s: &str) -> String {
        let lower = s.to_ascii_lowercase();
        match lower.strip_prefix("application/") {
            Some(rest) => rest.to_owned(),
            None => lower,
        }
    }
    strip(token) == strip(expected)
}

/// The verdict of the claims policy on `claims` (the payload object), with the token header's
/// `typ`, at `now`.
/// `raw` maps member names to their JSON text (for exact NumericDates).
pub fn claims_outcome(
    claims: &Map<String, Value>,
    raw: &std::collections::HashMap<String, String>,
    header_typ: Option<&str>,
    policy: &Policy,
    now: i64,
) -> Result<(), Expected> {
    let date = |name: &str, up: bool| {
        claims
            .get(name)
            .and_then(|v| numeric(v, raw.get(name).map(String::as_str), up))
    };
    // 1. Types, in the documented order.
    for name in [
        "iss", "sub", "aud", "exp", "nbf", "iat", "jti", "sid", "scope",
    ] {
        if claims.get(name).is_some_and(|v| !type_ok(name, v)) {
            return fail(CLAIM_FAILED, name, "invalid");
        }
    }
    // 2. typ header.
    if let Some(expected) = &policy.typ {
        match header_typ {
            None => return fail(CLAIM_FAILED, "typ", "missing"),
            Some(typ) if !typ_matches(typ, expected) => {
                return fail(CLAIM_FAILED, "typ", "check_failed");
            }
            Some(_) => {}
        }
    }
    // 3. Presence.
    if policy.require_exp && !claims.contains_key("exp") {
        return fail(CLAIM_FAILED, "exp", "missing");
    }
    for name in ["iss", "aud"] {
        if !claims.contains_key(name) {
            return fail(CLAIM_FAILED, name, "missing");
        }
    }
    if policy.max_token_age.is_some() && !claims.contains_key("iat") {
        return fail(CLAIM_FAILED, "iat", "missing");
    }
    for name in &policy.required_claims {
        if !claims.contains_key(name) {
            return fail(CLAIM_FAILED, name, "missing");
        }
    }
    // 4. Issuer, 5. audience.
    let iss = claims["iss"].as_str().unwrap_or_default();
    if !policy.issuers.iter().any(|i| i == iss) {
        return fail(CLAIM_FAILED, "iss", "check_failed");
    }
    let aud_ok = match &claims["aud"] {
        Value::String(one) => policy.audiences.contains(one),
        Value::Array(many) => many
            .iter()
            .filter_map(Value::as_str)
            .any(|a| policy.audiences.iter().any(|p| p == a)),
        _ => false,
    };
    if !aud_ok {
        return fail(CLAIM_FAILED, "aud", "check_failed");
    }
    // 6-9. Times, with the tolerance; sums saturate (documented).
    let tolerance = i64::from(policy.clock_tolerance);
    if let Some(exp) = date("exp", false) {
        if now >= exp.saturating_add(tolerance) {
            return fail(EXPIRED, "exp", "check_failed");
        }
    }
    if let Some(nbf) = date("nbf", true) {
        if nbf > now.saturating_add(tolerance) {
            return fail(CLAIM_FAILED, "nbf", "check_failed");
        }
    }
    if let Some(iat) = date("iat", true) {
        if iat > now.saturating_add(tolerance) {
            return fail(CLAIM_FAILED, "iat", "check_failed");
        }
    }
    if let Some(max_age) = policy.max_token_age {
        let iat = date("iat", false);
        if let Some(iat) = iat {
            if now.saturating_sub(iat) > i64::from(max_age).saturating_add(tolerance) {
                return fail(EXPIRED, "iat", "check_failed");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::exact_numeric;

    #[test]
    fn exact_rounding() {
        for (text, down, up) in [
            ("0", 0, 0),
            ("-0", 0, 0),
            ("7", 7, 7),
            ("7.0", 7, 7),
            ("7.25", 7, 8),
            ("-7.25", -8, -7),
            ("1700000000.99999999999999999", 1_700_000_000, 1_700_000_001),
            ("1e-400", 0, 1),
            ("-1e-400", -1, 0),
            ("1.5e1", 15, 15),
            ("15e-1", 1, 2),
            ("1E+2", 100, 100),
            ("1e300", i64::MAX, i64::MAX),
            ("-1e300", i64::MIN, i64::MIN),
            ("9223372036854775807", i64::MAX, i64::MAX),
            ("9223372036854775808", i64::MAX, i64::MAX),
            ("-9223372036854775808", i64::MIN, i64::MIN),
            ("-9223372036854775809", i64::MIN, i64::MIN),
            ("0.000", 0, 0),
            // Found by the claims_policy target: an exponent with more digits than an i64.
            ("184.444072e-132370999999999999999999999992000", 0, 1),
            ("-1e-99999999999999999999999", -1, 0),
            ("0e99999999999999999999999", 0, 0),
            ("1e+0007", 10_000_000, 10_000_000),
        ] {
            assert_eq!(exact_numeric(text, false), Some(down), "{text} down");
            assert_eq!(exact_numeric(text, true), Some(up), "{text} up");
        }
        assert_eq!(exact_numeric("\"1\"", false), None);
    }
}
