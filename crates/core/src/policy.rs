//! The claims policy: what a verified token must also satisfy.

use alloc::{string::String, vec, vec::Vec};

use crate::{
    json::{Malformed, Reader, Value},
    Algorithm, Error,
};

/// What a token must satisfy beyond its signature.
///
/// [`Policy::from_json`] reads it from the JS options object's policy fields (camelCase):
/// `issuer`, `audience` (each a string or an array), `algorithms`, `clockTolerance`,
/// `maxTokenAge` (seconds), `requiredClaims`, `typ`, `requireExp`, `critical`. With the
/// `serde` feature it also derives `Deserialize` for the same format.
#[derive(Debug, Clone)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Deserialize),
    serde(rename_all = "camelCase", deny_unknown_fields)
)]
#[non_exhaustive]
pub struct Policy {
    /// Accepted `iss` values (at least one).
    #[cfg_attr(
        feature = "serde",
        serde(rename = "issuer", deserialize_with = "crate::claims::one_or_many")
    )]
    pub issuers: Vec<String>,
    /// Accepted audiences; the token's `aud` (string or array) must contain one of them.
    #[cfg_attr(
        feature = "serde",
        serde(rename = "audience", deserialize_with = "crate::claims::one_or_many")
    )]
    pub audiences: Vec<String>,
    /// Allow-list of algorithms. `None`: the algorithms of the configured keys.
    #[cfg_attr(feature = "serde", serde(default))]
    pub algorithms: Option<Vec<Algorithm>>,
    /// Clock tolerance in seconds applied to `exp`, `nbf`, `iat` (default 0).
    #[cfg_attr(feature = "serde", serde(default))]
    pub clock_tolerance: u32,
    /// Maximum age in seconds measured from `iat` (which then becomes required).
    #[cfg_attr(feature = "serde", serde(default))]
    pub max_token_age: Option<u32>,
    /// Claims that must be present (in addition to `exp`, `iss`, `aud`).
    #[cfg_attr(feature = "serde", serde(default))]
    pub required_claims: Vec<String>,
    /// Expected `typ` header, compared as RFC 8725 §3.11 says (case-insensitive,
    /// `application/` prefix optional). Access tokens use `at+jwt`.
    #[cfg_attr(feature = "serde", serde(default))]
    pub typ: Option<String>,
    /// Whether `exp` is required (default true).
    #[cfg_attr(feature = "serde", serde(default = "default_true"))]
    pub require_exp: bool,
    /// `crit` header parameters the caller understands (default none: any `crit` fails).
    #[cfg_attr(feature = "serde", serde(default))]
    pub critical: Vec<String>,
}

#[cfg(feature = "serde")]
fn default_true() -> bool {
    true
}

/// Policy JSON larger than this is rejected before parsing: the options of one verifier.
const MAX_POLICY_BYTES: usize = 1024 * 1024;

impl Policy {
    /// Reads a policy from JSON text: an object with the members `issuer` and `audience`
    /// (required; a string or an array of strings), `algorithms` (array of names, or `null`),
    /// `clockTolerance` (integer seconds, default 0), `maxTokenAge` (integer seconds, or
    /// `null`), `requiredClaims` (array of strings), `typ` (string or `null`), `requireExp`
    /// (boolean, default true), `critical` (array of strings). Unknown members, repeated
    /// members, wrong types and unsupported algorithm names are `ERR_INVALID_OPTIONS`.
    ///
    /// This only reads the format; [`crate::Verifier::new`] checks the values (non-empty
    /// issuers, an allow-list that fits the keys, ...).
    #[inline(never)]
    pub fn from_json(json: &str) -> Result<Self, Error> {
        if json.len() > MAX_POLICY_BYTES {
            return Err(Error::InvalidOptions("policy json is too large"));
        }
        let mut reason = "policy is not a json object";
        let mut r = Reader::from_str(json);
        read_policy(&mut r, &mut reason)
            .and_then(|policy| r.end().map(|()| policy))
            .map_err(|Malformed| Error::InvalidOptions(reason))
    }

    /// A policy with the given issuers and audiences and secure defaults: `exp` required,
    /// tolerance 0, no max age, no `typ` check, no `crit` understood.
    pub fn new<I, A>(issuers: I, audiences: A) -> Self
    where
        I: IntoIterator,
        I::Item: Into<String>,
        A: IntoIterator,
        A::Item: Into<String>,
    {
        Self {
            issuers: issuers.into_iter().map(Into::into).collect(),
            audiences: audiences.into_iter().map(Into::into).collect(),
            algorithms: None,
            clock_tolerance: 0,
            max_token_age: None,
            required_claims: Vec::new(),
            typ: None,
            require_exp: true,
            critical: Vec::new(),
        }
    }

    /// Restricts the algorithms (intersection with what the keys allow).
    pub fn with_algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// Sets the clock tolerance in seconds.
    pub fn with_clock_tolerance(mut self, seconds: u32) -> Self {
        self.clock_tolerance = seconds;
        self
    }

    /// Sets the maximum token age in seconds (requires `iat`).
    pub fn with_max_token_age(mut self, seconds: u32) -> Self {
        self.max_token_age = Some(seconds);
        self
    }

    /// Adds required claims.
    pub fn with_required_claims<S: Into<String>>(
        mut self,
        claims: impl IntoIterator<Item = S>,
    ) -> Self {
        self.required_claims
            .extend(claims.into_iter().map(Into::into));
        self
    }

    /// Sets the expected `typ` header.
    pub fn with_typ(mut self, typ: impl Into<String>) -> Self {
        self.typ = Some(typ.into());
        self
    }

    /// Makes `exp` optional (not recommended).
    pub fn with_exp_optional(mut self) -> Self {
        self.require_exp = false;
        self
    }

    /// Declares `crit` header parameters the caller understands.
    pub fn with_critical<S: Into<String>>(mut self, names: impl IntoIterator<Item = S>) -> Self {
        self.critical.extend(names.into_iter().map(Into::into));
        self
    }
}

/// Reads the policy object; `reason` names the member that failed, where one did.
fn read_policy(r: &mut Reader<'_>, reason: &mut &'static str) -> Result<Policy, Malformed> {
    let mut policy = Policy::new(Vec::<String>::new(), Vec::<String>::new());
    let (mut issuer, mut audience) = (false, false);
    let mut members = r.object()?;
    loop {
        let name = match r.member(&mut members) {
            Ok(Some(name)) => name,
            Ok(None) => break,
            Err(err) => {
                if r.repeated_name() {
                    *reason = "a policy member is repeated";
                }
                return Err(err);
            }
        };
        match name.as_ref() {
            "issuer" => {
                *reason = "issuer must be a string or an array of strings";
                policy.issuers = one_or_many(r)?;
                issuer = true;
            }
            "audience" => {
                *reason = "audience must be a string or an array of strings";
                policy.audiences = one_or_many(r)?;
                audience = true;
            }
            "algorithms" => {
                *reason = "algorithms must be an array of supported algorithm names";
                policy.algorithms = match r.value()? {
                    Value::Null => None,
                    Value::StrList(names) => Some(
                        names
                            .iter()
                            .map(|name| name.parse::<Algorithm>().map_err(|_| Malformed))
                            .collect::<Result<_, _>>()?,
                    ),
                    _ => return Err(Malformed),
                };
            }
            "clockTolerance" => {
                *reason = "clockTolerance must be a whole number of seconds";
                policy.clock_tolerance = r.number()?.to_u32().ok_or(Malformed)?;
            }
            "maxTokenAge" => {
                *reason = "maxTokenAge must be a whole number of seconds";
                policy.max_token_age = match r.value()? {
                    Value::Null => None,
                    Value::Num(n) => Some(n.to_u32().ok_or(Malformed)?),
                    _ => return Err(Malformed),
                };
            }
            "requiredClaims" => {
                *reason = "requiredClaims must be an array of strings";
                policy.required_claims = strings(r)?;
            }
            "typ" => {
                *reason = "typ must be a string";
                policy.typ = r.optional_string()?.map(String::from);
            }
            "requireExp" => {
                *reason = "requireExp must be a boolean";
                policy.require_exp = r.boolean()?;
            }
            "critical" => {
                *reason = "critical must be an array of strings";
                policy.critical = strings(r)?;
            }
            _ => {
                *reason = "unknown policy option";
                return Err(Malformed);
            }
        }
        *reason = "policy is not a json object";
    }
    if !issuer {
        *reason = "issuer is required";
        return Err(Malformed);
    }
    if !audience {
        *reason = "audience is required";
        return Err(Malformed);
    }
    Ok(policy)
}

fn strings(r: &mut Reader<'_>) -> Result<Vec<String>, Malformed> {
    match r.value()? {
        Value::StrList(list) => Ok(list.into_iter().map(String::from).collect()),
        _ => Err(Malformed),
    }
}

fn one_or_many(r: &mut Reader<'_>) -> Result<Vec<String>, Malformed> {
    match r.value()? {
        Value::Str(one) => Ok(vec![one.into_owned()]),
        Value::StrList(list) => Ok(list.into_iter().map(String::from).collect()),
        _ => Err(Malformed),
    }
}
