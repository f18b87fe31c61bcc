//! The JSON body of `POST /v1/sessions`: its shape (`sub`, `scope`, `claims`, each at most
//! once, nothing else) and no repeated member name at any depth. The values are checked by
//! the rules ([`crate::rules`]).

use std::collections::HashSet;

use serde::{de, Deserialize, Deserializer};
use serde_json::{error::Category, Map, Value};

use super::ApiError;

/// The body's fields as serde reads them. Unknown and repeated fields are refused (serde's
/// derive refuses both), so a typo such as `claim` fails loudly instead of being ignored.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SessionBodyRaw {
    sub: Option<Value>,
    scope: Option<Value>,
    claims: Option<Value>,
}

/// Any JSON value in which no object repeats a member name, at any depth (`"x"` and
/// `"\u0078"` are the same name). serde_json keeps the last of repeated names, other JSON
/// readers the first: refusing them means no two readers of a body disagree about a claim.
struct NoRepeatedNames;

impl<'de> Deserialize<'de> for NoRepeatedNames {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        de.deserialize_any(NoRepeatedNames)
    }
}

impl<'de> de::Visitor<'de> for NoRepeatedNames {
    type Value = Self;
    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut members: A) -> Result<Self, A::Error> {
        let mut names = HashSet::new();
        while let Some(name) = members.next_key::<String>()? {
            if !names.insert(name) {
                return Err(de::Error::custom("repeated member name"));
            }
            members.next_value::<Self>()?;
        }
        Ok(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut items: A) -> Result<Self, A::Error> {
        while items.next_element::<Self>()?.is_some() {}
        Ok(self)
    }
    // Scalars hold no names.
    fn visit_unit<E>(self) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self, E> {
        Ok(self)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self, E> {
        Ok(self)
    }
}

/// A validated-for-shape `POST /v1/sessions` body (values are checked by the rules).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionBody {
    /// `sub`.
    pub sub: String,
    /// `scope`, if given.
    pub scope: Option<String>,
    /// Extra claims (empty when not given).
    pub claims: Map<String, Value>,
}

/// Parses the JSON body of `POST /v1/sessions`: an object with `sub` (string, required),
/// `scope` (string), `claims` (object), and no member name repeated at any depth. Type
/// errors name the field; syntax errors do not echo the input.
pub fn parse_session_body(body: &[u8]) -> Result<SessionBody, ApiError> {
    let invalid = |why: &'static str| ApiError::InvalidRequest(why.into());
    let not_json = || invalid("body is not valid JSON");
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(invalid(
            "request body is empty; expected a JSON object with sub",
        ));
    }
    // serde's derived struct parser also accepts a JSON array of the fields in order;
    // only an object is a valid body.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(invalid(
            "body must be a JSON object with only sub, scope and claims, each at most once",
        ));
    }
    serde_json::from_slice::<NoRepeatedNames>(body).map_err(|e| match e.classify() {
        Category::Data => invalid("body must be a JSON object that repeats no member name"),
        _ => not_json(),
    })?;
    let raw: SessionBodyRaw = serde_json::from_slice(body).map_err(|e| match e.classify() {
        Category::Data => {
            invalid("body must be a JSON object with only sub, scope and claims, each at most once")
        }
        _ => not_json(),
    })?;
    let sub = match raw.sub {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => return Err(invalid("missing field: sub")),
        Some(_) => return Err(invalid("sub must be a string")),
    };
    let scope = match raw.scope {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => return Err(invalid("scope must be a string")),
    };
    // `null` means "no extra claims", like an absent field.
    let claims = match raw.claims {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map,
        Some(_) => return Err(invalid("claims must be a JSON object")),
    };
    Ok(SessionBody { sub, scope, claims })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_body_parsing() {
        let ok = parse_session_body(br#"{"sub":"alice","scope":"read","claims":{"role":"admin"}}"#);
        let ok = ok.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(ok.sub, "alice");
        assert_eq!(ok.scope.as_deref(), Some("read"));
        assert_eq!(ok.claims["role"], "admin");
        assert!(parse_session_body(br#"{"sub":"a"}"#).is_ok());

        assert!(
            parse_session_body(br#"{"sub":"a","claims":null}"#).is_ok_and(|b| b.claims.is_empty())
        );
        let cases: [(&[u8], &str); 16] = [
            (br#"["a"]"#, "JSON object"),
            (br#"["a", null, null]"#, "JSON object"),
            (b"", "empty"),
            (b"   ", "empty"),
            (b"{", "not valid JSON"),
            (b"[]", "JSON object"),
            (b"\"alice\"", "JSON object"),
            (br#"{}"#, "missing field: sub"),
            (br#"{"sub":null}"#, "missing field: sub"),
            (br#"{"sub":42}"#, "sub must be a string"),
            (br#"{"sub":["a"]}"#, "sub must be a string"),
            (br#"{"sub":"a","scope":1}"#, "scope must be a string"),
            (
                br#"{"sub":"a","claims":[1]}"#,
                "claims must be a JSON object",
            ),
            (br#"{"sub":"a","claims":{"x":1,"x":2}}"#, "JSON object"),
            (br#"{"sub":"a","sub":"b"}"#, "JSON object"),
            (br#"{"sub":"a","claim":{}}"#, "JSON object"),
        ];
        for (body, expected) in cases {
            let err = parse_session_body(body)
                .err()
                .map(|e| e.description().into_owned());
            assert!(
                err.as_deref().is_some_and(|d| d.contains(expected)),
                "{:?}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn deeply_nested_json_is_a_400_not_a_crash() {
        let body = format!(
            "{{\"sub\":\"a\",\"claims\":{{\"x\":{}{}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(
            parse_session_body(body.as_bytes())
                .err()
                .map(|e| e.status()),
            Some(400)
        );
    }
    #[test]
    fn repeated_member_names_are_refused_at_every_depth() {
        let repeated: [&[u8]; 6] = [
            br#"{"sub":"a","claims":{"x":{"y":1,"y":2}}}"#,
            br#"{"sub":"a","claims":{"x":{"y":1,"\u0079":2}}}"#,
            br#"{"sub":"a","claims":{"x":[1,{"y":1,"y":1}]}}"#,
            br#"{"sub":"a","claims":{"x":{"y":{"z":[{"w":1,"w":2}]}}}}"#,
            br#"{"sub":"a","claims":{"x":1,"x":2}}"#,
            br#"{"sub":"a","sub":"b"}"#,
        ];
        for body in repeated {
            let err = parse_session_body(body).err();
            assert_eq!(
                err.map(|e| e.description().into_owned()),
                Some("body must be a JSON object that repeats no member name".to_owned()),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // The same name in different objects is no repeat.
        let ok = parse_session_body(br#"{"sub":"a","claims":{"y":0,"x":{"y":1,"z":[{"y":2}]}}}"#);
        assert_eq!(
            ok.map(|b| b.claims["x"]["z"][0]["y"].clone()).ok(),
            Some(Value::from(2))
        );
    }
}
