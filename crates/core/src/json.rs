//! Strict one-pass JSON helpers shared by the header and claims parsers.
//!
//! serde_json alone accepts repeated member names (the last one wins), while other parsers
//! keep the first: a token that means two things to two parsers is an attack. These
//! visitors read a value's shape without building a `serde_json::Value`, and reject
//! repeated names in every object they pass through.

use std::{borrow::Cow, collections::HashSet, fmt};

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Object member names seen so far. Linear for the usual handful of members, hashed past 16
/// so that a hostile 16 KiB object of short names stays linear-time.
#[derive(Default)]
pub(crate) struct SeenNames<'de> {
    small: Vec<Cow<'de, str>>,
    large: Option<HashSet<Cow<'de, str>>>,
}

impl<'de> SeenNames<'de> {
    /// False when `name` was already seen.
    pub(crate) fn insert(&mut self, name: Cow<'de, str>) -> bool {
        if let Some(large) = &mut self.large {
            return large.insert(name);
        }
        if self.small.contains(&name) {
            return false;
        }
        self.small.push(name);
        if self.small.len() > 16 {
            self.large = Some(self.small.drain(..).collect());
        }
        true
    }
}

/// A string, borrowed from the input when it has no escapes.
pub(crate) struct Str<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Str<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Str<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Str(Cow::Owned(v)))
            }
        }
        de.deserialize_str(V)
    }
}

/// The shape of a member value, keeping only what the parsers need: strings, booleans,
/// numbers, arrays of strings. Anything else is drained (strictly) into `Other`.
pub(crate) enum Shallow<'de> {
    Str(Cow<'de, str>),
    Bool(bool),
    /// A JSON integer that fits `i64` (larger ones saturate: they are far-future dates).
    Int(i64),
    /// A JSON number with a fraction or exponent, or an integer below `i64::MIN`.
    Float(f64),
    /// An array whose elements are all strings.
    StrList(Vec<Cow<'de, str>>),
    /// `null`, an object, or an array with a non-string element.
    Other,
}

impl<'de> Deserialize<'de> for Shallow<'de> {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Shallow<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any json value")
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Shallow::Bool(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Shallow::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Shallow::Int(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Shallow::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Shallow::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Shallow::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Shallow::Str(Cow::Owned(v)))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(Shallow::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut list = Vec::new();
                let mut all_strings = true;
                while let Some(item) = seq.next_element::<Shallow<'de>>()? {
                    match item {
                        Shallow::Str(s) if all_strings => list.push(s),
                        _ => all_strings = false,
                    }
                }
                Ok(if all_strings {
                    Shallow::StrList(list)
                } else {
                    Shallow::Other
                })
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(Shallow::Other)
            }
        }
        de.deserialize_any(V)
    }
}

/// Skips any JSON value, rejecting repeated member names in every nested object.
pub(crate) struct StrictIgnore;

impl<'de> Deserialize<'de> for StrictIgnore {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrictIgnore;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any json value")
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
                Ok(StrictIgnore)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<StrictIgnore>()?.is_some() {}
                Ok(StrictIgnore)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                drain_map(map)?;
                Ok(StrictIgnore)
            }
        }
        de.deserialize_any(V)
    }
}

/// Consumes an object, failing on a repeated member name.
pub(crate) fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    let mut seen = SeenNames::default();
    while let Some(name) = map.next_key::<Str<'de>>()? {
        if !seen.insert(name.0) {
            return Err(de::Error::custom("repeated member name"));
        }
        map.next_value::<StrictIgnore>()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shallow(json: &str) -> Result<Shallow<'_>, serde_json::Error> {
        serde_json::from_str(json)
    }

    #[test]
    fn shapes() {
        assert!(matches!(
            shallow(r#""a""#),
            Ok(Shallow::Str(Cow::Borrowed("a")))
        ));
        assert!(matches!(shallow(r#""\u0061""#), Ok(Shallow::Str(s)) if s == "a"));
        assert!(matches!(shallow("true"), Ok(Shallow::Bool(true))));
        assert!(matches!(shallow("-5"), Ok(Shallow::Int(-5))));
        assert!(matches!(
            shallow("18446744073709551615"),
            Ok(Shallow::Int(i64::MAX))
        ));
        assert!(matches!(shallow("1.5"), Ok(Shallow::Float(f)) if f == 1.5));
        assert!(matches!(shallow("1e3"), Ok(Shallow::Float(f)) if f == 1000.0));
        assert!(matches!(shallow(r#"["a","b"]"#), Ok(Shallow::StrList(l)) if l.len() == 2));
        assert!(matches!(shallow("[]"), Ok(Shallow::StrList(l)) if l.is_empty()));
        assert!(matches!(shallow(r#"["a",1]"#), Ok(Shallow::Other)));
        assert!(matches!(shallow(r#"["a",["b"]]"#), Ok(Shallow::Other)));
        assert!(matches!(shallow("null"), Ok(Shallow::Other)));
        assert!(matches!(shallow(r#"{"a":1}"#), Ok(Shallow::Other)));
    }

    #[test]
    fn repeated_names_fail_at_any_depth() {
        assert!(shallow(r#"{"a":1,"a":2}"#).is_err());
        assert!(shallow(r#"[{"a":{"b":1,"b":1}}]"#).is_err());
        assert!(serde_json::from_str::<StrictIgnore>(r#"{"x":[{"y":1,"\u0079":2}]}"#).is_err());
        assert!(serde_json::from_str::<StrictIgnore>(r#"{"x":[{"y":1,"z":2}]}"#).is_ok());
    }

    #[test]
    fn many_names_switch_to_hashing() {
        let mut seen = SeenNames::default();
        for i in 0..100 {
            assert!(seen.insert(Cow::Owned(format!("n{i}"))));
        }
        assert!(!seen.insert(Cow::Borrowed("n3")));
        assert!(!seen.insert(Cow::Borrowed("n99")));
        assert!(seen.insert(Cow::Borrowed("n100")));
    }
}
