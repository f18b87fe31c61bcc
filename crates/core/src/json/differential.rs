//! A test-only differential oracle: the strict reader against serde_json, over a generated
//! corpus, mutations of it, and the shared vectors (tests/vectors/). Nothing here is in the
//! shipped build (the module is `cfg(test)`, serde_json a dev-dependency).
//!
//! The oracle is serde_json with a visitor that rejects repeated member names at any depth.
//! For every input:
//! - the reader accepts exactly when the oracle does;
//! - accepted values are equal: structure, member order, strings, booleans, nulls, and
//!   numbers (integers exactly; other numbers by the floor and ceiling the core takes, where
//!   an `f64` holds them exactly enough: beyond that the reader is exact and f64 is not);
//! - the typed readers (header, claims, JWK, JWK Set, feed, policy) give what serde derive
//!   models of the same types (`Serde*` below, with serde's `default`, `rename` and
//!   `deny_unknown_fields` attributes) give on every input the oracle accepts, and fail on
//!   every input it rejects. Where a derive is laxer (it ignores unknown members without
//!   checking them, and accepts an array in place of an object), the reader is stricter by
//!   design, and the comparison is made only where the strict oracle accepts the text as an
//!   object.
//!
//! Size: `REVOCABLE_JSON_DIFF_CASES` (default 40000 generated texts, each also mutated).

use std::{borrow::Cow, collections::HashSet, fmt};

use serde::{
    de::{self, IgnoredAny, MapAccess, SeqAccess, Visitor},
    Deserialize, Deserializer,
};

use super::{
    tests::{parse_tree, Tree},
    Number, Round,
};
use crate::{
    claims::{read_claims, Audience},
    jwk::RawJwk,
    revocation::{read_feed, FeedEntry, RevocationFeed, SubjectEntry},
    token::read_header,
    Algorithm, Policy,
};

// ---------------------------------------------------------------------------------------
// The oracle: serde_json, repeated names rejected at any depth.

#[derive(Debug, Clone)]
enum O {
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
    Arr(Vec<O>),
    Obj(Vec<(String, O)>),
}

impl<'de> Deserialize<'de> for O {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = O;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("json")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<O, E> {
                Ok(O::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<O, E> {
                Ok(O::I64(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<O, E> {
                Ok(O::U64(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<O, E> {
                Ok(O::F64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<O, E> {
                Ok(O::Str(v.to_owned()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<O, E> {
                Ok(O::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<O, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<O>()? {
                    items.push(item);
                }
                Ok(O::Arr(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<O, A::Error> {
                let mut names = HashSet::new();
                let mut members = Vec::new();
                while let Some(name) = map.next_key::<String>()? {
                    if !names.insert(name.clone()) {
                        return Err(de::Error::custom("repeated member name"));
                    }
                    members.push((name, map.next_value::<O>()?));
                }
                Ok(O::Obj(members))
            }
        }
        de.deserialize_any(V)
    }
}

fn oracle(text: &[u8]) -> Option<O> {
    serde_json::from_slice(text).ok()
}

/// Digits and exponent small enough that serde_json's `f64` is the correctly rounded value
/// (an exact significand times or divided by an exact power of ten) and below 2^52, so its
/// floor and ceiling are the exact value's.
fn f64_is_exact_enough(text: &str) -> bool {
    let mantissa = text.split(['e', 'E']).next().unwrap_or_default();
    let exponent: i64 = text
        .split(['e', 'E'])
        .nth(1)
        .map_or(Some(0), |e| e.parse().ok())
        .unwrap_or(i64::MAX);
    let fraction_digits = mantissa.split('.').nth(1).map_or(0, str::len);
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).count();
    let e10 = exponent.saturating_sub(fraction_digits as i64);
    let value: f64 = text.parse().unwrap_or(f64::INFINITY);
    digits <= 15 && (-22..=22).contains(&e10) && value.abs() < 4_503_599_627_370_496.0
}

fn number(text: &str) -> Number<'_> {
    let (n, len) = Number::parse(text.as_bytes()).unwrap();
    assert_eq!(len, text.len());
    n
}

fn same_number(text: &str, theirs: &O) -> bool {
    let n = number(text);
    let floor = n.to_i64_rounded(Round::Floor);
    let ceil = n.to_i64_rounded(Round::Ceil);
    match theirs {
        O::U64(u) => {
            let saturated = i64::try_from(*u).unwrap_or(i64::MAX);
            n.to_i64() == i64::try_from(*u).ok()
                && floor == (saturated, false)
                && ceil == (saturated, false)
        }
        O::I64(i) => n.to_i64() == Some(*i) && floor == (*i, false) && ceil == (*i, false),
        O::F64(f) => {
            // serde_json read it as a float: never an exact i64 here either.
            n.to_i64().is_none()
                && (!f64_is_exact_enough(text)
                    || (floor == (f.floor() as i64, f.floor() != *f)
                        && ceil == (f.ceil() as i64, f.ceil() != *f)))
        }
        _ => false,
    }
}

fn same(mine: &Tree, theirs: &O) -> bool {
    match (mine, theirs) {
        (Tree::Null, O::Null) => true,
        (Tree::Bool(a), O::Bool(b)) => a == b,
        (Tree::Str(a), O::Str(b)) => a == b,
        (Tree::Num(text), o) => same_number(text, o),
        (Tree::Array(a), O::Arr(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(a, b))
        }
        (Tree::Object(a), O::Obj(b)) => {
            a.len() == b.len()
                && a.iter()
                    .zip(b)
                    .all(|((na, va), (nb, vb))| na == nb && same(va, vb))
        }
        _ => false,
    }
}

// ---------------------------------------------------------------------------------------
// Models of the typed readers: from the oracle's tree, or serde derives of the same types.

const CRITICAL: [&str; 2] = ["x-ext", "exp"];

#[derive(Debug, PartialEq)]
struct HeaderModel {
    alg: Option<String>,
    kid: Option<String>,
    typ: Option<String>,
    cty: Option<String>,
    crit: Option<Vec<String>>,
    b64: Option<bool>,
    zip: bool,
    present: u64,
}

fn header_model(o: &O) -> Option<HeaderModel> {
    let O::Obj(members) = o else { return None };
    let mut h = HeaderModel {
        alg: None,
        kid: None,
        typ: None,
        cty: None,
        crit: None,
        b64: None,
        zip: false,
        present: 0,
    };
    for (name, value) in members {
        match (name.as_str(), value) {
            ("alg", O::Str(s)) => h.alg = Some(s.clone()),
            ("kid", O::Str(s)) => h.kid = Some(s.clone()),
            ("typ", O::Str(s)) => h.typ = Some(s.clone()),
            ("cty", O::Str(s)) => h.cty = Some(s.clone()),
            ("crit", O::Arr(items)) => {
                let strings: Option<Vec<String>> = items
                    .iter()
                    .map(|i| match i {
                        O::Str(s) => Some(s.clone()),
                        _ => None,
                    })
                    .collect();
                h.crit = Some(strings?);
            }
            ("b64", O::Bool(b)) => h.b64 = Some(*b),
            ("alg" | "kid" | "typ" | "cty" | "crit" | "b64", _) => return None,
            ("zip", _) => h.zip = true,
            (other, _) => {
                if let Some(i) = CRITICAL.iter().position(|c| *c == other) {
                    h.present |= 1 << i;
                }
            }
        }
    }
    Some(h)
}

fn check_header(text: &[u8], o: Option<&O>) {
    let critical: Vec<String> = CRITICAL.iter().map(|s| (*s).to_owned()).collect();
    let mut reason = "";
    let mine = read_header(text, &critical, &mut reason)
        .ok()
        .map(|h| HeaderModel {
            alg: h.alg.map(Cow::into_owned),
            kid: h.kid.map(Cow::into_owned),
            typ: h.typ.map(Cow::into_owned),
            cty: h.cty.map(Cow::into_owned),
            crit: h.crit.map(|c| c.into_iter().map(Cow::into_owned).collect()),
            b64: h.b64,
            zip: h.zip,
            present: h.present_extensions,
        });
    let model = o.and_then(header_model);
    assert_eq!(mine, model, "header {:?}", String::from_utf8_lossy(text));
}

const REQUIRED: [&str; 3] = ["email", "sub", "x"];

/// Stores a claim's model value; true when it had the claim's type.
fn put<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    *slot = value;
    slot.is_some()
}

fn claims_model(o: &O) -> Option<(crate::Claims, u16, u64, [bool; 3])> {
    let O::Obj(members) = o else { return None };
    let mut c = crate::Claims::default();
    let (mut invalid, mut present) = (0_u16, 0_u64);
    // Whether exp, nbf, iat held a number whose f64 is not exact enough to compare.
    let mut unsure = [false; 3];
    let string = |v: &O| match v {
        O::Str(s) => Some(s.clone()),
        _ => None,
    };
    let date = |v: &O, up: bool| match v {
        O::U64(u) => Some((i64::try_from(*u).unwrap_or(i64::MAX), false)),
        O::I64(i) => Some((*i, false)),
        O::F64(f) => {
            let r = if up { f.ceil() } else { f.floor() };
            Some((r as i64, f.ceil() != *f))
        }
        _ => None,
    };
    for (name, value) in members {
        if let Some(i) = REQUIRED.iter().position(|r| r == name) {
            present |= 1 << i;
        }
        let (bit, ok) = match name.as_str() {
            "iss" => (0, put(&mut c.iss, string(value))),
            "sub" => (1, put(&mut c.sub, string(value))),
            "aud" => (
                2,
                put(
                    &mut c.aud,
                    match value {
                        O::Str(s) => Some(Audience::One(s.clone())),
                        O::Arr(items) => items
                            .iter()
                            .map(string)
                            .collect::<Option<Vec<_>>>()
                            .map(Audience::Many),
                        _ => None,
                    },
                ),
            ),
            "exp" => (3, {
                unsure[0] = matches!(value, O::F64(_));
                put(&mut c.exp, date(value, false).map(|d| d.0))
            }),
            "nbf" => (4, {
                unsure[1] = matches!(value, O::F64(_));
                put(&mut c.nbf, date(value, true).map(|d| d.0))
            }),
            "iat" => (5, {
                unsure[2] = matches!(value, O::F64(_));
                let d = date(value, true);
                c.iat = d.map(|d| d.0);
                c.iat_fractional = d.is_some_and(|d| d.1);
                c.iat.is_some()
            }),
            "jti" => (6, put(&mut c.jti, string(value))),
            "sid" => (7, put(&mut c.sid, string(value))),
            "scope" => (8, put(&mut c.scope, string(value))),
            _ => (0, true),
        };
        if !ok {
            invalid |= 1 << bit;
        }
    }
    Some((c, invalid, present, unsure))
}

/// The raw text of the top-level member `name` (numbers only), to tell exact floats apart.
fn number_text<'a>(text: &'a str, name: &str) -> Option<&'a str> {
    let mut r = super::Reader::from_str(text);
    let mut items = r.object().ok()?;
    while let Some(member) = r.member(&mut items).ok()? {
        let value = r.value().ok()?;
        if member == name {
            return match value {
                super::Value::Num(n) => Some(n.text()),
                _ => None,
            };
        }
    }
    None
}

fn check_claims(text: &str, o: Option<&O>) {
    let required: Vec<String> = REQUIRED.iter().map(|s| (*s).to_owned()).collect();
    let mine = read_claims(text, &required, &mut false).ok();
    let model = o.and_then(claims_model);
    match (mine, model) {
        (None, None) => {}
        (Some(mine), Some((mut c, invalid, present, unsure))) => {
            // Floats beyond what f64 holds exactly: the reader is exact, f64 is not.
            for (i, name) in ["exp", "nbf", "iat"].into_iter().enumerate() {
                let exact = number_text(text, name).is_none_or(f64_is_exact_enough);
                if unsure[i] && !exact {
                    match i {
                        0 => c.exp = mine.claims.exp,
                        1 => c.nbf = mine.claims.nbf,
                        _ => {
                            c.iat = mine.claims.iat;
                            c.iat_fractional = mine.claims.iat_fractional;
                        }
                    }
                }
            }
            assert_eq!(mine.claims, c, "claims {text:?}");
            assert_eq!(mine.invalid, invalid, "claims {text:?}");
            assert_eq!(mine.required_present, present, "claims {text:?}");
        }
        (mine, model) => panic!(
            "claims {text:?}: reader {}, model {}",
            mine.is_some(),
            model.is_some()
        ),
    }
}

/// The JWK members the reader takes (`RawJwk`), as a serde derive.
// Its fields are compared through Debug only (`jwk_key`), which the dead-code lint ignores.
#[allow(dead_code)]
#[derive(Deserialize, Debug)]
struct SerdeJwk {
    kty: String,
    #[serde(default)]
    alg: Option<String>,
    #[serde(default, rename = "use")]
    key_use: Option<String>,
    #[serde(default)]
    key_ops: Option<Vec<String>>,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    crv: Option<String>,
    #[serde(default)]
    x: Option<String>,
    #[serde(default)]
    y: Option<String>,
    #[serde(default)]
    n: Option<String>,
    #[serde(default)]
    e: Option<String>,
    #[serde(default)]
    k: Option<String>,
    #[serde(default)]
    d: Option<String>,
    #[serde(default)]
    p: Option<String>,
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    dp: Option<String>,
    #[serde(default)]
    dq: Option<String>,
    #[serde(default)]
    qi: Option<String>,
    #[serde(default)]
    oth: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct SerdeJwks {
    keys: Vec<SerdeJwk>,
}

fn serde_model_of(raw: &RawJwk) -> SerdeJwk {
    let secret = |s: &Option<crate::jwk::SecretMember>| s.as_ref().map(|s| s.0.as_str().to_owned());
    SerdeJwk {
        kty: raw.kty.clone(),
        alg: raw.alg.clone(),
        key_use: raw.key_use.clone(),
        key_ops: raw.key_ops.clone(),
        kid: raw.kid.clone(),
        crv: raw.crv.clone(),
        x: raw.x.clone(),
        y: raw.y.clone(),
        n: raw.n.clone(),
        e: raw.e.clone(),
        k: secret(&raw.k),
        d: secret(&raw.d),
        p: secret(&raw.p),
        q: secret(&raw.q),
        dp: secret(&raw.dp),
        dq: secret(&raw.dq),
        qi: secret(&raw.qi),
        oth: raw.oth.then_some(IgnoredAny),
    }
}

fn jwk_key(j: &SerdeJwk) -> String {
    // IgnoredAny has no PartialEq: compare through Debug, with `oth` as present or not.
    format!("{j:?}")
}

/// True when `o` is an object whose members named in `lists` (when present and arrays) hold
/// only objects: a derive also takes an array for an object, which the reader does not.
fn objects_in(o: Option<&O>, lists: &[&str]) -> bool {
    let Some(O::Obj(members)) = o else {
        return false;
    };
    members.iter().all(|(name, value)| match value {
        O::Arr(items) if lists.contains(&name.as_str()) => {
            items.iter().all(|i| matches!(i, O::Obj(_)))
        }
        _ => true,
    })
}

fn check_jwk(text: &str, o: Option<&O>) {
    let strict_object = matches!(o, Some(O::Obj(_)));
    let mine = RawJwk::parse(text)
        .ok()
        .map(|r| jwk_key(&serde_model_of(&r)));
    let derived = strict_object
        .then(|| {
            serde_json::from_str::<SerdeJwk>(text)
                .ok()
                .map(|j| jwk_key(&j))
        })
        .flatten();
    assert_eq!(mine, derived, "jwk {text:?}");
    let mine = RawJwk::parse_set(text).ok().map(|keys| {
        keys.iter()
            .map(|r| jwk_key(&serde_model_of(r)))
            .collect::<Vec<_>>()
    });
    let derived = objects_in(o, &["keys"])
        .then(|| {
            serde_json::from_str::<SerdeJwks>(text)
                .ok()
                .map(|s| s.keys.iter().map(jwk_key).collect::<Vec<_>>())
        })
        .flatten();
    assert_eq!(mine, derived, "jwks {text:?}");
}

/// `RevocationFeed` and its entries, as serde derives.
#[derive(Deserialize)]
struct SerdeFeed {
    generated_at: i64,
    #[serde(default)]
    jti: Vec<SerdeFeedEntry>,
    #[serde(default)]
    sid: Vec<SerdeFeedEntry>,
    #[serde(default)]
    sub: Vec<SerdeSubjectEntry>,
}
#[derive(Deserialize)]
struct SerdeFeedEntry {
    id: String,
    exp: i64,
}
#[derive(Deserialize)]
struct SerdeSubjectEntry {
    id: String,
    not_before: i64,
    exp: i64,
}

fn check_feed(text: &str, o: Option<&O>) {
    let mine = read_feed(text).ok();
    let derived = objects_in(o, &["jti", "sid", "sub"])
        .then(|| serde_json::from_str::<SerdeFeed>(text).ok())
        .flatten()
        .map(|f| RevocationFeed {
            generated_at: f.generated_at,
            jti: f
                .jti
                .into_iter()
                .map(|e| FeedEntry {
                    id: e.id,
                    exp: e.exp,
                })
                .collect(),
            sid: f
                .sid
                .into_iter()
                .map(|e| FeedEntry {
                    id: e.id,
                    exp: e.exp,
                })
                .collect(),
            sub: f
                .sub
                .into_iter()
                .map(|e| SubjectEntry {
                    id: e.id,
                    not_before: e.not_before,
                    exp: e.exp,
                })
                .collect(),
        });
    assert_eq!(mine, derived, "feed {text:?}");
}

/// `Policy`, as a serde derive (algorithm names as strings).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SerdePolicy {
    #[serde(rename = "issuer", deserialize_with = "crate::claims::one_or_many")]
    issuers: Vec<String>,
    #[serde(rename = "audience", deserialize_with = "crate::claims::one_or_many")]
    audiences: Vec<String>,
    #[serde(default)]
    algorithms: Option<Vec<String>>,
    #[serde(default)]
    clock_tolerance: u32,
    #[serde(default)]
    max_token_age: Option<u32>,
    #[serde(default)]
    required_claims: Vec<String>,
    #[serde(default)]
    typ: Option<String>,
    #[serde(default = "yes")]
    require_exp: bool,
    #[serde(default)]
    critical: Vec<String>,
}

fn yes() -> bool {
    true
}

fn check_policy(text: &str, o: Option<&O>) {
    let mine = Policy::from_json(text).ok().map(|p| format!("{p:?}"));
    let derived = matches!(o, Some(O::Obj(_)))
        .then(|| serde_json::from_str::<SerdePolicy>(text).ok())
        .flatten()
        .and_then(|p| {
            let algorithms = match p.algorithms {
                None => None,
                Some(names) => Some(
                    names
                        .iter()
                        .map(|n| n.parse::<Algorithm>().ok())
                        .collect::<Option<Vec<_>>>()?,
                ),
            };
            let mut policy = Policy::new(p.issuers, p.audiences);
            policy.algorithms = algorithms;
            policy.clock_tolerance = p.clock_tolerance;
            policy.max_token_age = p.max_token_age;
            policy.required_claims = p.required_claims;
            policy.typ = p.typ;
            policy.require_exp = p.require_exp;
            policy.critical = p.critical;
            Some(format!("{policy:?}"))
        });
    assert_eq!(mine, derived, "policy {text:?}");
    #[cfg(feature = "serde")]
    {
        // The `serde` feature's derive reads the same objects as the reader.
        let derived = matches!(o, Some(O::Obj(_)))
            .then(|| {
                serde_json::from_str::<Policy>(text)
                    .ok()
                    .map(|p| format!("{p:?}"))
            })
            .flatten();
        assert_eq!(mine, derived, "policy derive {text:?}");
    }
}

/// serde_json's float parsing is approximate near `f64::MAX`: it calls some numbers between
/// `f64::MAX` and the halfway point to infinity out of range (`1.797693134862315762e308`), or
/// the other way round. The reader decides exactly, as a correctly rounded parse does. True
/// when `text` has a number that close to the limit, after checking the reader against the
/// standard library's correctly rounded parser on each such number.
fn at_the_f64_limit(text: &[u8]) -> bool {
    let number_byte = |b: &u8| b.is_ascii_digit() || b".eE+-".contains(b);
    text.split(|b| !number_byte(b)).any(|token| {
        let Ok(token) = std::str::from_utf8(token) else {
            return false;
        };
        let Ok(value) = token.parse::<f64>() else {
            return false;
        };
        let reader_ok = Number::parse(token.as_bytes()).is_ok_and(|(_, len)| len == token.len());
        // Near f64::MAX or past it, and the reader decides as a correctly rounded parse does.
        value.abs() >= 1.797_693_134_862_31e308 && reader_ok == value.is_finite()
    })
}

/// Every check on one input.
fn check(text: &[u8]) {
    let o = oracle(text);
    let mine = parse_tree(text);
    if mine.is_ok() != o.is_some() && at_the_f64_limit(text) {
        return;
    }
    match (&mine, &o) {
        (Ok(mine), Some(theirs)) => assert!(
            same(mine, theirs),
            "values differ for {:?}: {mine:?} / {theirs:?}",
            String::from_utf8_lossy(text)
        ),
        (Err(_), None) => {}
        _ => panic!(
            "reader {} but serde_json {} for {:?}",
            if mine.is_ok() { "accepts" } else { "rejects" },
            if o.is_some() { "accepts" } else { "rejects" },
            String::from_utf8_lossy(text)
        ),
    }
    check_header(text, o.as_ref());
    if let Ok(text) = std::str::from_utf8(text) {
        check_claims(text, o.as_ref());
        check_jwk(text, o.as_ref());
        check_feed(text, o.as_ref());
        check_policy(text, o.as_ref());
    }
}

// ---------------------------------------------------------------------------------------
// The corpus.

/// xorshift64*: deterministic, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn percent(&mut self, p: usize) -> bool {
        self.below(100) < p
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "alg",
    "kid",
    "typ",
    "cty",
    "crit",
    "b64",
    "zip",
    "x-ext",
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "sid",
    "scope",
    "email",
    "x",
    "kty",
    "crv",
    "y",
    "n",
    "e",
    "k",
    "d",
    "p",
    "q",
    "dp",
    "dq",
    "qi",
    "oth",
    "use",
    "key_ops",
    "keys",
    "generated_at",
    "id",
    "not_before",
    "issuer",
    "audience",
    "algorithms",
    "clockTolerance",
    "maxTokenAge",
    "requiredClaims",
    "requireExp",
    "critical",
    "a",
    "",
    "A\u{e9}",
];

const STRINGS: &[&str] = &[
    "",
    "a",
    "HS256",
    "EdDSA",
    "ES256",
    "RS256",
    "none",
    "at+jwt",
    "JWT",
    "application/jwt",
    "OKP",
    "EC",
    "RSA",
    "oct",
    "Ed25519",
    "P-256",
    "sig",
    "enc",
    "verify",
    "sign",
    "x-ext",
    "exp",
    "api",
    "https://issuer.example",
    "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
    "AQAB",
    "u1",
    "\u{e9}",
    "\u{1F600}",
    "tab\there",
    "ctl\u{1}",
];

const PIECES: &[&str] = &[
    "\\n",
    "\\\"",
    "\\\\",
    "\\/",
    "\\b",
    "\\f",
    "\\r",
    "\\t",
    "\\u0041",
    "\\u00e9",
    "\\u00E9",
    "\\u0000",
    "\\u001f",
    "\\ud83d\\ude00",
    "\\uD83D\\uDE00",
    "\\u2028",
    "\\uffff",
    "\\u0061\\u006c\\u0067",
];

const BAD_PIECES: &[&str] = &[
    "\\ud800",
    "\\udc00",
    "\\ud800\\u0041",
    "\\ud800\\ud800",
    "\\udfff",
    "\\x41",
    "\\'",
    "\\u12",
    "\\u12g4",
    "\\U0041",
    "\u{1}",
    "\u{1f}",
    "\t",
    "\n",
    "\\",
    "\\ud83d\\n",
];

const NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.5",
    "-0.5",
    "1e3",
    "1E3",
    "1e+3",
    "1e-3",
    "10.9",
    "10.1",
    "-7.25",
    "1700000000",
    "1700000000.5",
    "1.7e9",
    "1e300",
    "-1e300",
    "1e308",
    "1.7976931348623157e308",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "99999999999999999999999",
    "4294967295",
    "4294967296",
    "0.0",
    "-0.0",
    "0e0",
    "0e999",
    "1e-400",
    "123456789012345e4",
    "1.5e1",
    "7.0",
    "7e0",
    "700e-2",
    "0.1",
    "5",
];

const BAD_NUMBERS: &[&str] = &[
    "01", "-01", "1.", ".5", "+1", "1e", "1e+", "-", "1.e3", "1e400", "-1e400", "1e309", "NaN",
    "Infinity", "0x10", "1_000", "--1", "00",
];

fn whitespace(rng: &mut Rng, out: &mut Vec<u8>) {
    if rng.percent(20) {
        let ws: &[&[u8]] = &[b" ", b"\n", b"\t", b"\r", b"  \r\n\t"];
        let piece: &[u8] = rng.pick(ws);
        out.extend_from_slice(piece);
    }
    if rng.percent(1) {
        // Not JSON whitespace.
        let bad: &[&[u8]] = &[
            b"\x0c",
            b"\x0b",
            "\u{a0}".as_bytes(),
            "\u{feff}".as_bytes(),
            b"\x00",
        ];
        let piece: &[u8] = rng.pick(bad);
        out.extend_from_slice(piece);
    }
}

fn string(rng: &mut Rng, out: &mut Vec<u8>, name: bool) {
    out.push(b'"');
    let base = if name {
        rng.pick(NAMES)
    } else {
        rng.pick(STRINGS)
    };
    if rng.percent(25) {
        // The same text written with escapes: "a\u006cg" repeats "alg".
        for c in base.chars() {
            if rng.percent(40) && (c as u32) < 0x10000 {
                out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes());
            } else {
                let mut buf = [0; 4];
                let s = c.encode_utf8(&mut buf);
                match c {
                    '"' => out.extend_from_slice(b"\\\""),
                    '\\' => out.extend_from_slice(b"\\\\"),
                    c if (c as u32) < 0x20 => {
                        out.extend_from_slice(format!("\\u{:04x}", c as u32).as_bytes())
                    }
                    _ => out.extend_from_slice(s.as_bytes()),
                }
            }
        }
    } else {
        for c in base.chars() {
            let mut buf = [0; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
    }
    if !name && rng.percent(15) {
        out.extend_from_slice(rng.pick(PIECES).as_bytes());
    }
    if rng.percent(2) {
        out.extend_from_slice(rng.pick(BAD_PIECES).as_bytes());
    }
    if rng.percent(1) {
        let invalid: &[&[u8]] = &[
            b"\xff",
            b"\xc3",
            b"\xed\xa0\x80",
            b"\xc0\xaf",
            b"\xf4\x90\x80\x80",
        ];
        let piece: &[u8] = rng.pick(invalid);
        out.extend_from_slice(piece);
    }
    out.push(b'"');
}

fn random_number(rng: &mut Rng) -> String {
    if rng.percent(2) {
        return (rng.pick(BAD_NUMBERS)).to_owned();
    }
    if rng.percent(50) {
        return (rng.pick(NUMBERS)).to_owned();
    }
    let mut s = String::new();
    if rng.percent(30) {
        s.push('-');
    }
    let long = rng.percent(10);
    let int_len = 1 + rng.below(if long { 25 } else { 12 });
    for i in 0..int_len {
        let d = if i == 0 && int_len > 1 {
            1 + rng.below(9)
        } else {
            rng.below(10)
        };
        s.push(char::from(b'0' + d as u8));
    }
    if rng.percent(40) {
        s.push('.');
        let long = rng.percent(10);
        for _ in 0..1 + rng.below(if long { 25 } else { 6 }) {
            s.push(char::from(b'0' + rng.below(10) as u8));
        }
    }
    if rng.percent(25) {
        s.push(rng.pick(&['e', 'E']));
        if rng.percent(50) {
            s.push(rng.pick(&['+', '-']));
        }
        let e = if rng.percent(10) {
            rng.below(400)
        } else {
            rng.below(25)
        };
        s.push_str(&e.to_string());
    }
    s
}

fn value(rng: &mut Rng, out: &mut Vec<u8>, depth: usize) {
    whitespace(rng, out);
    let container = depth < 6;
    match rng.below(if container { 10 } else { 6 }) {
        0 | 1 => string(rng, out, false),
        2 | 3 => out.extend_from_slice(random_number(rng).as_bytes()),
        4 => {
            let literal: &[u8] = rng.pick(&[&b"true"[..], b"false", b"null"]);
            out.extend_from_slice(literal);
        }
        5 => {
            if rng.percent(3) {
                let broken: &[u8] = rng.pick(&[&b"tru"[..], b"nul", b"True", b"nulll"]);
                out.extend_from_slice(broken);
            } else {
                string(rng, out, false);
            }
        }
        6 | 7 => {
            let n = rng.below(4);
            sequence(rng, out, *b"[]", n, |rng, out| value(rng, out, depth + 1));
        }
        _ => object(rng, out, depth),
    }
    whitespace(rng, out);
}

fn object(rng: &mut Rng, out: &mut Vec<u8>, depth: usize) {
    let n = rng.below(6);
    sequence(rng, out, *b"{}", n, |rng, out| {
        whitespace(rng, out);
        string(rng, out, true);
        whitespace(rng, out);
        if !rng.percent(1) {
            out.push(b':');
        }
        value(rng, out, depth + 1);
    });
}

/// An array or object (`brackets`) of `n` items separated by commas, sometimes with a
/// trailing comma (which JSON does not allow).
fn sequence(
    rng: &mut Rng,
    out: &mut Vec<u8>,
    [open, close]: [u8; 2],
    n: usize,
    mut item: impl FnMut(&mut Rng, &mut Vec<u8>),
) {
    out.push(open);
    for i in 0..n {
        if i > 0 {
            out.push(b',');
        }
        item(rng, out);
    }
    if n > 0 && rng.percent(2) {
        out.push(b',');
    }
    whitespace(rng, out);
    out.push(close);
}

fn generate(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.percent(1) {
        out.extend_from_slice("\u{feff}".as_bytes());
    }
    whitespace(rng, &mut out);
    if rng.percent(3) {
        // Deep nesting around the depth limit (127 levels pass, 128 fail).
        let depth = 120 + rng.below(12);
        let objects = rng.percent(50);
        for _ in 0..depth {
            out.extend_from_slice(if objects { b"{\"a\":" } else { b"[" });
        }
        out.push(b'1');
        for _ in 0..depth {
            out.push(if objects { b'}' } else { b']' });
        }
    } else if rng.percent(85) {
        object(rng, &mut out, 0);
    } else {
        value(rng, &mut out, 0);
    }
    whitespace(rng, &mut out);
    if rng.percent(1) {
        let piece: &[u8] = rng.pick(&[&b"x"[..], b"{}", b"1", b","]);
        out.extend_from_slice(piece);
    }
    out
}

const MUTATION_BYTES: &[u8] = b"{}[],:\"\\0123456789eE.+-tfn \t\n\r\x00\x01\x7f\xff\xc3\xa9u";

fn mutate(rng: &mut Rng, text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    for _ in 0..1 + rng.below(3) {
        let at = rng.below(out.len() + 1);
        match rng.below(4) {
            0 if at < out.len() => {
                out.remove(at);
            }
            1 => out.insert(at, rng.pick(MUTATION_BYTES)),
            2 if at < out.len() => out[at] = rng.pick(MUTATION_BYTES),
            _ => {
                // Repeat a slice (members, escapes, brackets).
                let len = rng.below(12).min(out.len() - at.min(out.len()));
                let piece = out[at..at + len].to_vec();
                let to = rng.below(out.len() + 1);
                out.splice(to..to, piece);
            }
        }
    }
    out
}

/// JSON texts from the shared vectors: token headers and payloads, key sets, policies,
/// feeds.
fn vector_texts() -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/vectors");
    let mut texts = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for vector in file["vectors"].as_array().unwrap() {
            if let Some(token) = vector["token"].as_str() {
                for segment in token.split('.').take(2) {
                    if let Ok(bytes) = crate::b64::decode_public_vec(segment.as_bytes()) {
                        texts.push(bytes);
                    }
                }
            }
            for name in ["jwks", "policy", "revocations"] {
                if !vector[name].is_null() {
                    texts.push(vector[name].to_string().into_bytes());
                    if let Some(keys) = vector[name]["keys"].as_array() {
                        texts.extend(keys.iter().map(|k| k.to_string().into_bytes()));
                    }
                }
            }
        }
    }
    assert!(texts.len() > 100, "vectors not found in {}", dir.display());
    texts
}

#[test]
fn reader_agrees_with_serde_json_on_the_vectors_and_their_mutations() {
    let mut rng = Rng(0x5eed_7e57_0000_0001);
    let texts = vector_texts();
    let mut accepted = 0;
    for text in &texts {
        // Some RFC payloads are not JSON at all (that is what their vectors test).
        accepted += usize::from(oracle(text).is_some());
        check(text);
        for _ in 0..20 {
            check(&mutate(&mut rng, text));
        }
    }
    assert!(accepted > 100);
}

#[test]
fn reader_agrees_with_serde_json_on_a_generated_corpus() {
    let cases: usize = std::env::var("REVOCABLE_JSON_DIFF_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(40_000);
    let mut rng = Rng(0x5eed_7e57_0000_0002);
    let (mut ok, mut rejected) = (0, 0);
    for _ in 0..cases {
        let text = generate(&mut rng);
        if oracle(&text).is_some() {
            ok += 1;
        } else {
            rejected += 1;
        }
        check(&text);
        check(&mutate(&mut rng, &text));
    }
    eprintln!("generated corpus: {cases} texts, {ok} accepted and {rejected} rejected by serde_json (plus one mutation of each)");
    // The corpus exercises both sides (a generator that only made garbage proves nothing).
    assert!(
        ok > cases / 5 && rejected > cases / 20,
        "{ok} accepted, {rejected} rejected"
    );
}

#[test]
fn models_see_the_typed_readers_fields() {
    // The comparisons above are only as good as their models: spot-check a few by hand.
    let text = r#"{"iss":"i","aud":["a"],"exp":10.9,"nbf":10.1,"iat":7.25,"email":null,"x":{}}"#;
    let (c, invalid, present, _) = claims_model(&oracle(text.as_bytes()).unwrap()).unwrap();
    assert_eq!(
        (c.exp, c.nbf, c.iat, c.iat_fractional),
        (Some(10), Some(11), Some(8), true)
    );
    assert_eq!((invalid, present), (0, 0b101));
    let h = header_model(&oracle(br#"{"alg":"HS256","x-ext":1,"zip":null}"#).unwrap()).unwrap();
    assert_eq!(
        (h.alg.as_deref(), h.present, h.zip),
        (Some("HS256"), 1, true)
    );
    assert!(header_model(&oracle(br#"{"alg":1}"#).unwrap()).is_none());
    assert!(f64_is_exact_enough("1700000000.5") && !f64_is_exact_enough("1e300"));
    assert!(!f64_is_exact_enough("1.00000000000000001"));
}
