//! A strict JSON reader (RFC 8259) for everything the core parses: token headers and claims,
//! JWKs and JWK Sets, the revocation feed and the verifier policy.
//!
//! Why not serde_json: serde_json accepts repeated member names (the last one wins) while
//! other parsers keep the first, and a token that means two things to two parsers is an
//! attack; the core checked that with serde visitors, but serde's generic machinery (and its
//! error formatting) was most of the verifier's wasm. This reader is a pull parser the
//! typed readers (`token`, `claims`, `jwk`, `revocation`, `policy`) drive member by member,
//! without building a tree.
//!
//! What it accepts is exactly JSON, and what serde_json accepted where the core used it:
//! - whitespace (space, tab, CR, LF) around any token; no byte order mark, no comments, no
//!   trailing commas, nothing after the top-level value;
//! - strings: UTF-8 (checked when the input was bytes), no raw control characters, only the
//!   escapes of RFC 8259 §7, surrogate escapes only as a high-low pair (a lone surrogate is
//!   not a character); decoded before any comparison, so `"a\u006cg"` is `alg`;
//! - numbers: RFC 8259 §6 grammar (no leading zeros, `+`, `.5`, `1.`, `NaN`), and none whose
//!   value rounds beyond `f64` (`1e400`), as serde_json rejected them;
//! - a repeated member name in ANY object, compared after decoding escapes (stricter than
//!   serde_json, which lets the last copy win);
//! - at most [`MAX_DEPTH`] nested objects and arrays (serde_json's recursion limit), and no
//!   recursion here: nested values are skipped with an explicit stack, so no input can
//!   overflow the call stack.
//!
//! Nothing here panics on any input: every byte access is checked (`get`), and failures are
//! [`Malformed`], which the typed readers turn into their own error codes.

mod number;
mod write;

use alloc::{borrow::Cow, string::String, vec::Vec};

use crate::collections::HashSet;

pub(crate) use self::number::{Number, Round};
pub(crate) use self::write::JsonObject;

/// Objects and arrays open at once, at most: serde_json's recursion limit (the 127th nested
/// level parses, the 128th fails), which the core's parsing followed before this reader.
pub(crate) const MAX_DEPTH: u8 = 127;

/// The input is not JSON this reader accepts (syntax, encoding, a repeated member name,
/// nesting deeper than [`MAX_DEPTH`], a number beyond `f64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Malformed;

pub(crate) type Result<T> = core::result::Result<T, Malformed>;

/// Object member names seen so far. Linear for the usual handful of members, hashed past 16
/// so that a hostile object of many short names stays linear-time.
#[derive(Default)]
pub(crate) struct SeenNames<'a> {
    small: Vec<Cow<'a, str>>,
    large: Option<HashSet<Cow<'a, str>>>,
}

impl<'a> SeenNames<'a> {
    /// False when `name` was already seen.
    #[inline]
    pub(crate) fn insert(&mut self, name: Cow<'a, str>) -> bool {
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

/// Where an object's or array's items stand: whether the next one is the first.
#[derive(Debug)]
pub(crate) struct Items {
    first: bool,
}

/// An object being read: where its members stand, and the names read so far.
pub(crate) struct Members<'a> {
    items: Items,
    seen: SeenNames<'a>,
}

/// A member value as the typed readers need it: scalars, and arrays of strings. Any other
/// array, and every object, is skipped (strictly) into `Other`.
#[derive(Debug)]
pub(crate) enum Value<'a> {
    Str(Cow<'a, str>),
    Num(Number<'a>),
    Bool(bool),
    Null,
    /// An array whose elements are all strings (possibly none).
    StrList(Vec<Cow<'a, str>>),
    /// An object, or an array with an element that is not a string.
    Other,
}

/// A pull reader over one JSON text.
#[derive(Debug)]
pub(crate) struct Reader<'a> {
    src: &'a [u8],
    pos: usize,
    /// Objects and arrays currently open.
    depth: u8,
    /// The input as text when it came as `&str`: unescaped strings are sliced from it
    /// without a UTF-8 check.
    text: Option<&'a str>,
    /// A skipped (nested) object repeated a member name: what made the reader fail, so the
    /// typed readers can say so rather than "not a json object".
    repeated: bool,
}

impl<'a> Reader<'a> {
    /// A reader over bytes (a decoded token header): strings are checked to be UTF-8.
    #[inline]
    pub(crate) fn new(src: &'a [u8]) -> Self {
        Self {
            src,
            pos: 0,
            depth: 0,
            text: None,
            repeated: false,
        }
    }

    /// A reader over text (already UTF-8).
    #[inline]
    pub(crate) fn from_str(src: &'a str) -> Self {
        Self {
            src: src.as_bytes(),
            pos: 0,
            depth: 0,
            text: Some(src),
            repeated: false,
        }
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.src.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The next byte after whitespace, not consumed.
    #[inline]
    fn peek(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.src.get(self.pos).copied()
    }

    #[inline]
    fn expect(&mut self, byte: u8) -> Result<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// True when the reader failed on a repeated member name inside a value it skipped.
    #[inline]
    pub(crate) fn repeated_name(&self) -> bool {
        self.repeated
    }

    /// Checks the rest of the input, which may only be whitespace.
    #[inline]
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Malformed),
        }
    }

    #[inline]
    fn enter(&mut self) -> Result<()> {
        if self.depth >= MAX_DEPTH {
            return Err(Malformed);
        }
        self.depth += 1;
        Ok(())
    }

    /// Opens an object (`{`); read its members with [`Reader::member`].
    #[inline]
    pub(crate) fn object(&mut self) -> Result<Members<'a>> {
        self.expect(b'{')?;
        self.enter()?;
        Ok(Members {
            items: Items { first: true },
            seen: SeenNames::default(),
        })
    }

    /// Opens an array (`[`); read its elements after each true [`Reader::element`].
    #[inline]
    pub(crate) fn array(&mut self) -> Result<Items> {
        self.expect(b'[')?;
        self.enter()?;
        Ok(Items { first: true })
    }

    /// The next member's name (its `:` consumed: read the value next), or `None` once the
    /// object's `}` is consumed. A name the object already had fails, and
    /// [`Reader::repeated_name`] then says so (the typed readers report it with their own
    /// message): no object is ever read with a member twice.
    #[inline]
    pub(crate) fn member(&mut self, members: &mut Members<'a>) -> Result<Option<Cow<'a, str>>> {
        if !self.next_item(&mut members.items, b'}')? {
            return Ok(None);
        }
        let name = self.string()?;
        self.expect(b':')?;
        if !members.seen.insert(name.clone()) {
            self.repeated = true;
            return Err(Malformed);
        }
        Ok(Some(name))
    }

    /// True when another element follows (read it next); false once the array's `]` is
    /// consumed.
    #[inline]
    pub(crate) fn element(&mut self, items: &mut Items) -> Result<bool> {
        self.next_item(items, b']')
    }

    #[inline]
    fn next_item(&mut self, items: &mut Items, close: u8) -> Result<bool> {
        let first = core::mem::replace(&mut items.first, false);
        match self.peek() {
            Some(b) if b == close => {
                self.pos += 1;
                self.depth = self.depth.saturating_sub(1);
                Ok(false)
            }
            Some(b',') if !first => {
                self.pos += 1;
                Ok(true)
            }
            _ if first => Ok(true),
            _ => Err(Malformed),
        }
    }

    /// A string (after whitespace), borrowed from the input when it has no escapes.
    #[inline]
    pub(crate) fn string(&mut self) -> Result<Cow<'a, str>> {
        self.expect(b'"')?;
        self.string_body()
    }

    /// A string or `null` (`None`); anything else is malformed.
    #[inline]
    pub(crate) fn optional_string(&mut self) -> Result<Option<Cow<'a, str>>> {
        match self.peek() {
            Some(b'n') => self.literal(b"null").map(|()| None),
            _ => self.string().map(Some),
        }
    }

    /// A number (after whitespace).
    #[inline]
    pub(crate) fn number(&mut self) -> Result<Number<'a>> {
        self.skip_whitespace();
        let (number, len) = Number::parse(self.src.get(self.pos..).unwrap_or_default())?;
        self.pos += len;
        Ok(number)
    }

    /// `true` or `false` (after whitespace).
    #[inline]
    pub(crate) fn boolean(&mut self) -> Result<bool> {
        match self.peek() {
            Some(b't') => self.literal(b"true").map(|()| true),
            _ => self.literal(b"false").map(|()| false),
        }
    }

    #[inline]
    fn literal(&mut self, word: &[u8]) -> Result<()> {
        let end = self.pos + word.len();
        if self.src.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(Malformed)
        }
    }

    /// The next value, shallowly (see [`Value`]).
    #[inline]
    pub(crate) fn value(&mut self) -> Result<Value<'a>> {
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string_body().map(Value::Str)
            }
            Some(b'[') => self.string_list_or_other(),
            Some(b'{') => self.skip_value().map(|()| Value::Other),
            Some(b't' | b'f') => self.boolean().map(Value::Bool),
            Some(b'n') => self.literal(b"null").map(|()| Value::Null),
            _ => self.number().map(Value::Num),
        }
    }

    #[inline]
    fn string_list_or_other(&mut self) -> Result<Value<'a>> {
        let mut items = self.array()?;
        let mut list = Vec::new();
        while self.element(&mut items)? {
            if self.peek() == Some(b'"') {
                self.pos += 1;
                list.push(self.string_body()?);
            } else {
                self.skip_value()?;
                while self.element(&mut items)? {
                    self.skip_value()?;
                }
                return Ok(Value::Other);
            }
        }
        Ok(Value::StrList(list))
    }

    /// Opens a skipped object or array at its first byte: true when it holds something,
    /// false when `close` follows at once (the empty container is then left again).
    #[inline]
    fn open_skipped(&mut self, close: u8) -> Result<bool> {
        self.pos += 1;
        self.enter()?;
        if self.peek() == Some(close) {
            self.pos += 1;
            self.depth -= 1;
            Ok(false)
        } else {
            Ok(true)
        }
    }

    /// Skips one value of any kind, checking all of it as strictly as if it were read
    /// (repeated names in every nested object, strings, numbers, depth). Iterative: an
    /// explicit stack of open containers (`Some(names)` for an object, `None` for an array)
    /// instead of recursion.
    #[inline]
    pub(crate) fn skip_value(&mut self) -> Result<()> {
        let mut open: Vec<Option<SeenNames<'a>>> = Vec::new();
        loop {
            // A value starts here.
            match self.peek() {
                Some(b'{') => {
                    if self.open_skipped(b'}')? {
                        let mut names = SeenNames::default();
                        self.skipped_name(&mut names)?;
                        open.push(Some(names));
                        continue;
                    }
                }
                Some(b'[') => {
                    if self.open_skipped(b']')? {
                        open.push(None);
                        continue;
                    }
                }
                Some(b'"') => {
                    self.pos += 1;
                    self.string_body()?;
                }
                Some(b't' | b'f') => {
                    self.boolean()?;
                }
                Some(b'n') => self.literal(b"null")?,
                _ => {
                    self.number()?;
                }
            }
            // A value ended: close containers until one has a next item.
            loop {
                let Some(top) = open.last_mut() else {
                    return Ok(());
                };
                match (self.peek(), top) {
                    (Some(b','), Some(names)) => {
                        self.pos += 1;
                        self.skipped_name(names)?;
                        break;
                    }
                    (Some(b','), None) => {
                        self.pos += 1;
                        break;
                    }
                    (Some(b'}'), Some(_)) | (Some(b']'), None) => {
                        self.pos += 1;
                        self.depth -= 1;
                        open.pop();
                    }
                    _ => return Err(Malformed),
                }
            }
        }
    }

    #[inline]
    fn skipped_name(&mut self, names: &mut SeenNames<'a>) -> Result<()> {
        let name = self.string()?;
        if !names.insert(name) {
            self.repeated = true;
            return Err(Malformed);
        }
        self.expect(b':')
    }

    /// The rest of a string whose opening quote was consumed.
    #[inline]
    fn string_body(&mut self) -> Result<Cow<'a, str>> {
        let src = self.src;
        let start = self.pos;
        let mut i = start;
        // Fast path: no escape, borrowed.
        loop {
            match src.get(i) {
                Some(b'"') => {
                    self.pos = i + 1;
                    return self.slice(start, i).map(Cow::Borrowed);
                }
                Some(b'\\') => break,
                Some(&b) if b >= 0x20 => i += 1,
                _ => return Err(Malformed),
            }
        }
        // Escapes: decoded into a buffer of the raw length (never shorter than the decoded
        // text), so that it does not reallocate and leave copies of a secret member behind.
        let mut end = i;
        while let Some(&b) = src.get(end) {
            match b {
                b'"' => break,
                b'\\' => end += 2,
                _ => end += 1,
            }
        }
        let mut out = Vec::with_capacity(end - start);
        out.extend_from_slice(src.get(start..i).ok_or(Malformed)?);
        loop {
            match src.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {
                    let escape = src.get(i + 1).ok_or(Malformed)?;
                    i += 2;
                    let byte = match escape {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'u' => {
                            let mut code = hex4(src, i)?;
                            i += 4;
                            if (0xD800..0xDC00).contains(&code) {
                                // A high surrogate must be followed by an escaped low one.
                                if src.get(i..i + 2) != Some(b"\\u") {
                                    return Err(Malformed);
                                }
                                let low = hex4(src, i + 2)?;
                                if !(0xDC00..0xE000).contains(&low) {
                                    return Err(Malformed);
                                }
                                i += 6;
                                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                            }
                            // A lone low surrogate is not a char.
                            let c = char::from_u32(code).ok_or(Malformed)?;
                            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                            continue;
                        }
                        _ => return Err(Malformed),
                    };
                    out.push(byte);
                }
                Some(&b) if b >= 0x20 => {
                    out.push(b);
                    i += 1;
                }
                _ => return Err(Malformed),
            }
        }
        self.pos = i + 1;
        // Escapes decode to valid UTF-8; this checks the raw bytes between them.
        String::from_utf8(out)
            .map(Cow::Owned)
            .map_err(|_| Malformed)
    }

    /// The input between two ASCII quotes as text: sliced from the `str` input (on char
    /// boundaries, so no check), or checked to be UTF-8.
    #[inline]
    fn slice(&self, start: usize, end: usize) -> Result<&'a str> {
        match self.text {
            Some(text) => text.get(start..end).ok_or(Malformed),
            None => core::str::from_utf8(self.src.get(start..end).ok_or(Malformed)?)
                .map_err(|_| Malformed),
        }
    }
}

/// Four hex digits at `src[at..]`, as a UTF-16 code unit.
#[inline]
fn hex4(src: &[u8], at: usize) -> Result<u32> {
    let digits = src.get(at..at + 4).ok_or(Malformed)?;
    let mut code = 0;
    for &d in digits {
        let nibble = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(Malformed),
        };
        code = (code << 4) | u32::from(nibble);
    }
    Ok(code)
}

#[cfg(test)]
mod differential;

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads one value of any shape into a tree (tests only).
    #[derive(Debug, PartialEq)]
    pub(super) enum Tree {
        Null,
        Bool(bool),
        Num(String),
        Str(String),
        Array(Vec<Tree>),
        Object(Vec<(String, Tree)>),
    }

    /// Parses a whole text into a [`Tree`] with the reader's typed calls, recursively
    /// (fine for tests, whose inputs stay within the depth limit the reader enforces).
    pub(super) fn tree(r: &mut Reader<'_>) -> Result<Tree> {
        Ok(match r.peek() {
            Some(b'{') => {
                let mut items = r.object()?;
                let mut members = Vec::new();
                while let Some(name) = r.member(&mut items)? {
                    members.push((name.into_owned(), tree(r)?));
                }
                Tree::Object(members)
            }
            Some(b'[') => {
                let mut items = r.array()?;
                let mut elements = Vec::new();
                while r.element(&mut items)? {
                    elements.push(tree(r)?);
                }
                Tree::Array(elements)
            }
            Some(b'"') => Tree::Str(r.string()?.into_owned()),
            Some(b't' | b'f') => Tree::Bool(r.boolean()?),
            Some(b'n') => {
                r.literal(b"null")?;
                Tree::Null
            }
            _ => Tree::Num(r.number()?.text().to_owned()),
        })
    }

    pub(super) fn parse_tree(text: &[u8]) -> Result<Tree> {
        let mut r = Reader::new(text);
        let t = tree(&mut r)?;
        r.end()?;
        Ok(t)
    }

    fn skip(text: &str) -> Result<()> {
        let mut r = Reader::from_str(text);
        r.skip_value()?;
        r.end()
    }

    fn shallow(text: &str) -> Result<Value<'_>> {
        let mut r = Reader::from_str(text);
        let v = r.value()?;
        r.end()?;
        Ok(v)
    }

    #[test]
    fn shapes() {
        assert!(matches!(
            shallow(r#""a""#),
            Ok(Value::Str(Cow::Borrowed("a")))
        ));
        assert!(matches!(shallow(r#""\u0061""#), Ok(Value::Str(Cow::Owned(s))) if s == "a"));
        assert!(matches!(shallow(" true "), Ok(Value::Bool(true))));
        assert!(matches!(shallow("false"), Ok(Value::Bool(false))));
        assert!(matches!(shallow("null"), Ok(Value::Null)));
        assert!(matches!(shallow("-5"), Ok(Value::Num(n)) if n.text() == "-5"));
        assert!(matches!(shallow(r#"["a","b"]"#), Ok(Value::StrList(l)) if l.len() == 2));
        assert!(matches!(shallow("[]"), Ok(Value::StrList(l)) if l.is_empty()));
        assert!(matches!(shallow(r#"["a",1]"#), Ok(Value::Other)));
        assert!(matches!(shallow(r#"[1,"a"]"#), Ok(Value::Other)));
        assert!(matches!(shallow(r#"["a",["b"]]"#), Ok(Value::Other)));
        assert!(matches!(shallow(r#"{"a":1}"#), Ok(Value::Other)));
        assert!(shallow(r#"["a",{"b":1,"b":2}]"#).is_err());
        assert!(shallow(r#"["a",1,]"#).is_err());
    }

    #[test]
    fn strings() {
        let s = |t: &str| parse_tree(t.as_bytes());
        assert_eq!(
            s(r#""\"\\\/\b\f\n\r\t""#),
            Ok(Tree::Str("\"\\/\u{8}\u{c}\n\r\t".into()))
        );
        assert_eq!(s(r#""\u00e9\u00E9é""#), Ok(Tree::Str("ééé".into())));
        assert_eq!(s(r#""\ud83d\ude00""#), Ok(Tree::Str("\u{1F600}".into())));
        assert_eq!(s(r#""\uD83D\uDE00x""#), Ok(Tree::Str("\u{1F600}x".into())));
        for bad in [
            r#""\ud800""#,
            r#""\ud800x""#,
            r#""\ud800\n""#,
            r#""\ud800\u0041""#,
            r#""\ud800\ud800""#,
            r#""\udc00""#,
            r#""\udfff\ud800""#,
            r#""\u12""#,
            r#""\u12g4""#,
            r#""\u+123""#,
            r#""\x41""#,
            r#""\'""#,
            "\"a\u{1}\"",
            "\"a\tb\"",
            "\"a\nb\"",
            "\"\u{0}\"",
            "\"abc",
            "\"abc\\",
            "\"abc\\\"",
            "'a'",
        ] {
            assert_eq!(s(bad), Err(Malformed), "{bad}");
        }
        // DEL and non-ASCII are fine raw.
        assert_eq!(
            s("\"\u{7f}\u{10FFFF}\""),
            Ok(Tree::Str("\u{7f}\u{10FFFF}".into()))
        );
        // Invalid UTF-8 in bytes, inside a string, with or without escapes around it.
        for bad in [
            &b"\"\xff\""[..],
            b"\"\\n\xc3\"",
            b"\"\xed\xa0\x80\"",
            b"\"\xc0\xaf\"",
        ] {
            assert_eq!(parse_tree(bad), Err(Malformed), "{bad:?}");
        }
        assert_eq!(parse_tree(b"\"\xc3\xa9\""), Ok(Tree::Str("é".into())));
    }

    #[test]
    fn structure_and_whitespace() {
        assert!(skip(" \t\r\n{ \"a\" : [ 1 , { } , [ ] , \"x\" , null , true ] } \n").is_ok());
        for bad in [
            "",
            " ",
            "\u{feff}{}",
            "{} x",
            "{}{}",
            "{,}",
            "{\"a\":1,}",
            "[1,]",
            "[,1]",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "{1:2}",
            "{\"a\":1 \"b\":2}",
            "[",
            "{",
            "{\"a\":1",
            "]",
            "tru",
            "nul",
            "True",
            "truex",
            "/*c*/{}",
            "{}\u{0}",
            "\u{a0}{}",
            "{\"a\":1,\"a\":2}",
            "[{\"a\":1,\"a\":2}]",
            "{\"x\":[{\"y\":1,\"\\u0079\":2}]}",
        ] {
            assert_eq!(skip(bad), Err(Malformed), "{bad:?}");
        }
        assert!(skip("{\"x\":[{\"y\":1,\"z\":2}],\"y\":{\"y\":{}}}").is_ok());
    }

    #[test]
    fn depth_limit_is_serde_jsons() {
        let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        assert!(skip(&nested(127)).is_ok());
        assert_eq!(skip(&nested(128)), Err(Malformed));
        assert_eq!(skip(&nested(1_000_000)), Err(Malformed));
        let objects = |depth: usize| format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert!(skip(&objects(127)).is_ok());
        assert_eq!(skip(&objects(128)), Err(Malformed));
        // The typed calls count into the same limit.
        let mut r = Reader::from_str("[[");
        r.depth = MAX_DEPTH - 1;
        assert!(r.array().is_ok());
        assert_eq!(r.array().err(), Some(Malformed));
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

    #[test]
    fn a_huge_object_of_distinct_names_is_linear() {
        let text = format!(
            "{{{}}}",
            (0..200_000)
                .map(|i| format!("\"{i:x}\":0"))
                .collect::<Vec<_>>()
                .join(",")
        );
        let started = std::time::Instant::now();
        assert!(skip(&text).is_ok());
        assert!(started.elapsed().as_secs() < 10);
    }
}
