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

/// A NumericDate: integers as they are (beyond i64: saturated), fractions rounded up or down.
/// `None` for any other JSON type. Float-to-int casts saturate, as the docs say.
fn numeric(value: &Value, up: bool) -> Option<i64> {
    let Value::Number(n) = value else {
        return None;
    };
    if let Some(i) = n.as_i64() {
        return Some(i);
    }
    if n.as_u64().is_some() {
        return Some(i64::MAX);
    }
    let f = n.as_f64()?;
    Some(if up {
        f.ceil() as i64
    } else {
        f.floor() as i64
    })
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
pub fn claims_outcome(
    claims: &Map<String, Value>,
    header_typ: Option<&str>,
    policy: &Policy,
    now: i64,
) -> Result<(), Expected> {
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
    if let Some(exp) = claims.get("exp").and_then(|v| numeric(v, false)) {
        if now >= exp.saturating_add(tolerance) {
            return fail(EXPIRED, "exp", "check_failed");
        }
    }
    if let Some(nbf) = claims.get("nbf").and_then(|v| numeric(v, true)) {
        if nbf > now.saturating_add(tolerance) {
            return fail(CLAIM_FAILED, "nbf", "check_failed");
        }
    }
    if let Some(iat) = claims.get("iat").and_then(|v| numeric(v, true)) {
        if iat > now.saturating_add(tolerance) {
            return fail(CLAIM_FAILED, "iat", "check_failed");
        }
    }
    if let Some(max_age) = policy.max_token_age {
        let iat = claims.get("iat").and_then(|v| numeric(v, false));
        if let Some(iat) = iat {
            if now.saturating_sub(iat) > i64::from(max_age).saturating_add(tolerance) {
                return fail(EXPIRED, "iat", "check_failed");
            }
        }
    }
    Ok(())
}
