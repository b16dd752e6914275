//! A clause's values, held compactly: almost every clause lists only strings (attribute values
//! to compare with, segment keys, versions, patterns), and those are kept as one text with end
//! offsets instead of one JSON value and one allocation per string.
//!
//! Reading a clause's `values` fills this thread's scratch buffers with the strings and then
//! makes a single allocation (two for lists longer than [`SHORT_MAX`]); a list holding any
//! other JSON value is kept as JSON values, as read.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::key_set::{KeySet, Scratch, push_key, with_scratch};

/// All-string lists of up to this many strings keep their end offsets inline and are scanned
/// in turn (for `in`, after a look at their lengths); longer ones get a hash index.
const SHORT_MAX: usize = 8;

/// Texts of up to this many bytes are kept inside the clause (no allocation).
const INLINE_MAX: usize = 23;

/// The concatenated text of a short list: inline when it is short (most clauses: a country,
/// a plan, a domain, a version), on the heap otherwise.
#[derive(Clone)]
pub(crate) enum ShortText {
    /// The first bytes hold the text (its length is the list's last end offset); always valid
    /// UTF-8 up to that length, as it is copied from a `str`.
    Inline([u8; INLINE_MAX]),
    /// A longer text.
    Heap(Box<str>),
}

impl ShortText {
    fn new(text: &str) -> ShortText {
        if text.len() <= INLINE_MAX {
            let mut bytes = [0u8; INLINE_MAX];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            ShortText::Inline(bytes)
        } else {
            ShortText::Heap(Box::from(text))
        }
    }

    /// The text's bytes (for an inline text, the whole buffer: the end offsets bound it).
    #[inline(always)]
    fn bytes(&self) -> &[u8] {
        match self {
            ShortText::Inline(bytes) => bytes,
            ShortText::Heap(text) => text.as_bytes(),
        }
    }

    /// The text's `start..end` as a string: `start` and `end` are end offsets of the list, so
    /// they fall on character boundaries.
    #[inline]
    fn str(&self, start: usize, end: usize) -> &str {
        match self {
            ShortText::Inline(bytes) => {
                std::str::from_utf8(bytes.get(start..end).unwrap_or_default()).unwrap_or_default()
            }
            ShortText::Heap(text) => &text[start..end],
        }
    }
}

/// The values of a clause.
#[derive(Clone)]
pub(crate) enum ClauseValues {
    /// Up to [`SHORT_MAX`] strings totalling less than 64 KiB: concatenated in `text` (inline
    /// up to [`INLINE_MAX`] bytes, else one allocation), the first `len` entries of `ends`
    /// where each ends.
    Short {
        text: ShortText,
        ends: [u16; SHORT_MAX],
        len: u8,
    },
    /// Longer all-string lists, hash-indexed (two allocations).
    Long(KeySet),
    /// Lists holding at least one value that is not a string, as read.
    Json(Box<[Value]>),
}

impl Default for ClauseValues {
    fn default() -> Self {
        ClauseValues::Short {
            text: ShortText::Inline([0; INLINE_MAX]),
            ends: [0; SHORT_MAX],
            len: 0,
        }
    }
}

impl ClauseValues {
    /// Values given as JSON: compact when they are all strings.
    pub(crate) fn from_json(values: Vec<Value>) -> ClauseValues {
        if !values.iter().all(Value::is_string) {
            return ClauseValues::Json(values.into_boxed_slice());
        }
        let mut scratch = Scratch::default();
        for v in &values {
            // Only fails past 4 GiB of text, which a `Vec<Value>` in memory cannot reach here
            // without also failing elsewhere; keep the JSON form then.
            if push_key::<de::value::Error>(&mut scratch, v.as_str().unwrap_or_default()).is_err() {
                return ClauseValues::Json(values.into_boxed_slice());
            }
        }
        ClauseValues::from_strings(&scratch.text, &scratch.ends)
    }

    /// An all-string list: the strings of `text` ending at `ends`.
    pub(crate) fn from_strings(text: &str, ends: &[u32]) -> ClauseValues {
        if ends.len() <= SHORT_MAX && text.len() <= usize::from(u16::MAX) {
            let mut short = [0u16; SHORT_MAX];
            for (slot, &end) in short.iter_mut().zip(ends) {
                *slot = end as u16;
            }
            ClauseValues::Short {
                text: ShortText::new(text),
                ends: short,
                len: ends.len() as u8,
            }
        } else {
            ClauseValues::Long(KeySet::from_parts(text, ends, SHORT_MAX))
        }
    }

    /// The same values with a short list's text on the heap: for clauses whose evaluation
    /// reads the values as strings ([`ClauseValues::strs`], which must check an inline
    /// text's bytes each time) rather than as bytes.
    pub(crate) fn with_text_on_heap(self) -> ClauseValues {
        match self {
            ClauseValues::Short {
                text: text @ ShortText::Inline(_),
                ends,
                len,
            } => {
                let end = usize::from(len)
                    .checked_sub(1)
                    .map_or(0, |i| usize::from(ends[i]));
                let text = Box::from(text.str(0, end));
                ClauseValues::Short {
                    text: ShortText::Heap(text),
                    ends,
                    len,
                }
            }
            other => other,
        }
    }

    /// The values that are not strings (none in the compact forms).
    #[inline]
    pub(crate) fn json(&self) -> &[Value] {
        match self {
            ClauseValues::Json(values) => values,
            _ => &[],
        }
    }

    /// The string values, in order (other values skipped).
    #[inline]
    pub(crate) fn strs(&self) -> Strs<'_> {
        match self {
            ClauseValues::Short {
                text, ends, len, ..
            } => Strs::Short {
                text,
                ends: &ends[..usize::from(*len)],
                start: 0,
            },
            ClauseValues::Long(keys) => Strs::Long { keys, at: 0 },
            ClauseValues::Json(values) => Strs::Json(values.iter()),
        }
    }

    /// Whether the list is the short compact form (see [`ClauseValues::short_contains`]).
    #[inline]
    pub(crate) fn is_short(&self) -> bool {
        matches!(self, ClauseValues::Short { .. })
    }

    /// Whether `s` is one of the strings of a short compact list (false for other forms).
    #[inline(always)]
    pub(crate) fn short_contains(&self, s: &str) -> bool {
        let ClauseValues::Short { text, ends, len } = self else {
            return false;
        };
        let (text, s) = (text.bytes(), s.as_bytes());
        let mut start = 0;
        for &end in &ends[..usize::from(*len)] {
            let end = usize::from(end);
            if end.wrapping_sub(start) == s.len()
                && text.get(start..end).is_some_and(|v| short_bytes_eq(v, s))
            {
                return true;
            }
            start = end;
        }
        false
    }

    /// Whether `s` is one of the strings of a long compact list (false for other forms).
    #[inline]
    pub(crate) fn long_contains(&self, s: &str) -> bool {
        match self {
            ClauseValues::Long(keys) => keys.contains(s),
            _ => false,
        }
    }

    /// For each string length, whether a string of the list has it (see [`length_bit`]).
    pub(crate) fn length_mask(&self) -> u64 {
        match self {
            // From the end offsets alone (no need to look at the text).
            ClauseValues::Short { ends, len, .. } => {
                let mut start = 0;
                let mut mask = 0;
                for &end in &ends[..usize::from(*len)] {
                    mask |= length_bit(usize::from(end).wrapping_sub(start));
                    start = usize::from(end);
                }
                mask
            }
            _ => self.strs().fold(0, |mask, s| mask | length_bit(s.len())),
        }
    }

    /// Whether `f` holds for the bytes of any string value, in order (other values skipped).
    #[inline(always)]
    pub(crate) fn any_str_bytes(&self, f: impl Fn(&[u8]) -> bool) -> bool {
        match self {
            ClauseValues::Short {
                text, ends, len, ..
            } => {
                let text = text.bytes();
                let mut start = 0;
                for &end in &ends[..usize::from(*len)] {
                    let end = usize::from(end);
                    if f(&text[start..end]) {
                        return true;
                    }
                    start = end;
                }
                false
            }
            _ => self.strs().any(|s| f(s.as_bytes())),
        }
    }

    /// The values as JSON values.
    pub(crate) fn to_json(&self) -> Box<[Value]> {
        match self {
            ClauseValues::Json(values) => values.clone(),
            _ => self.strs().map(Value::from).collect(),
        }
    }

    fn len(&self) -> usize {
        match self {
            ClauseValues::Short { len, .. } => usize::from(*len),
            ClauseValues::Long(keys) => keys.len(),
            ClauseValues::Json(values) => values.len(),
        }
    }
}

/// The bit standing for strings of `n` bytes in a [`ClauseValues::length_mask`]: bit `n` modulo
/// 64 (lengths 64 apart share a bit; the mask only turns strings away, it never accepts one).
#[inline(always)]
pub(crate) fn length_bit(n: usize) -> u64 {
    1 << (n & 63)
}

/// Equality of two byte strings of the same length, with strings of up to 16 bytes compared in
/// registers (two overlapping loads from each side) rather than by a call to `memcmp`.
#[inline(always)]
pub(crate) fn short_bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n > 16 {
        return a == b;
    }
    fn word8(s: &[u8], at: usize) -> u64 {
        let mut w = [0u8; 8];
        w.copy_from_slice(&s[at..at + 8]);
        u64::from_le_bytes(w)
    }
    fn word4(s: &[u8], at: usize) -> u32 {
        let mut w = [0u8; 4];
        w.copy_from_slice(&s[at..at + 4]);
        u32::from_le_bytes(w)
    }
    if n >= 8 {
        word8(a, 0) == word8(b, 0) && word8(a, n - 8) == word8(b, n - 8)
    } else if n >= 4 {
        word4(a, 0) == word4(b, 0) && word4(a, n - 4) == word4(b, n - 4)
    } else if n > 0 {
        // Positions 0, n / 2 and n - 1 cover every byte of a 1- to 3-byte string.
        a[0] == b[0] && a[n / 2] == b[n / 2] && a[n - 1] == b[n - 1]
    } else {
        true
    }
}

/// The string values of a clause, in order.
#[derive(Clone)]
pub(crate) enum Strs<'a> {
    Short {
        text: &'a ShortText,
        ends: &'a [u16],
        start: usize,
    },
    Long {
        keys: &'a KeySet,
        at: usize,
    },
    Json(std::slice::Iter<'a, Value>),
}

impl<'a> Iterator for Strs<'a> {
    type Item = &'a str;

    #[inline]
    fn next(&mut self) -> Option<&'a str> {
        match self {
            Strs::Short { text, ends, start } => {
                let (&end, rest) = ends.split_first()?;
                let s = text.str(*start, usize::from(end));
                *start = usize::from(end);
                *ends = rest;
                Some(s)
            }
            Strs::Long { keys, at } => {
                let key = (*at < keys.len()).then(|| keys.key(*at))?;
                *at += 1;
                Some(key)
            }
            Strs::Json(values) => values.by_ref().find_map(Value::as_str),
        }
    }
}

impl PartialEq for ClauseValues {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (ClauseValues::Json(a), ClauseValues::Json(b)) => a == b,
            (ClauseValues::Json(_), _) | (_, ClauseValues::Json(_)) => false,
            _ => self.len() == other.len() && self.strs().eq(other.strs()),
        }
    }
}

impl fmt::Debug for ClauseValues {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClauseValues::Json(values) => f.debug_list().entries(values.iter()).finish(),
            _ => f.debug_list().entries(self.strs()).finish(),
        }
    }
}

impl Serialize for ClauseValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ClauseValues::Json(values) => s.collect_seq(values.iter()),
            _ => s.collect_seq(self.strs()),
        }
    }
}

/// One element of a values list: a string (appended to the scratch text) or another value.
enum Element {
    Str,
    Other(Value),
}

struct ElementSeed<'s>(&'s mut Scratch);

impl<'de> DeserializeSeed<'de> for ElementSeed<'_> {
    type Value = Element;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Element, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ElementSeed<'_> {
    type Value = Element;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Element, E> {
        push_key(self.0, v)?;
        Ok(Element::Str)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Element, E> {
        Ok(Element::Other(Value::Bool(v)))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Element, E> {
        Ok(Element::Other(Value::from(v)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Element, E> {
        Ok(Element::Other(Value::from(v)))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Element, E> {
        Ok(Element::Other(Value::from(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other(Value::Null))
    }
    fn visit_none<E: de::Error>(self) -> Result<Element, E> {
        Ok(Element::Other(Value::Null))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Element, D::Error> {
        Value::deserialize(d).map(Element::Other)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Element, A::Error> {
        Value::deserialize(SeqAccessDeserializer::new(seq)).map(Element::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
        Value::deserialize(MapAccessDeserializer::new(map)).map(Element::Other)
    }
}

/// The strings gathered in `scratch` as JSON values, followed by `value`: where a list of
/// values turns out not to be all strings (the rest of the list is to be appended).
pub(crate) fn strings_then(scratch: &Scratch, value: Value) -> Vec<Value> {
    let mut values = Vec::with_capacity(scratch.ends.len() + 4);
    let mut start = 0;
    for &end in &scratch.ends {
        values.push(Value::from(&scratch.text[start..end as usize]));
        start = end as usize;
    }
    values.push(value);
    values
}

fn read_values<'de, A: SeqAccess<'de>>(
    mut seq: A,
    scratch: &mut Scratch,
) -> Result<ClauseValues, A::Error> {
    loop {
        match seq.next_element_seed(ElementSeed(scratch))? {
            None => return Ok(ClauseValues::from_strings(&scratch.text, &scratch.ends)),
            Some(Element::Str) => {}
            Some(Element::Other(value)) => {
                // Not all strings: the strings read so far, this value and the rest, as JSON.
                let mut values = strings_then(scratch, value);
                while let Some(value) = seq.next_element::<Value>()? {
                    values.push(value);
                }
                return Ok(ClauseValues::Json(values.into_boxed_slice()));
            }
        }
    }
}

impl<'de> Deserialize<'de> for ClauseValues {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct ValuesVisitor;
        impl<'de> Visitor<'de> for ValuesVisitor {
            type Value = ClauseValues;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of values")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<ClauseValues, A::Error> {
                with_scratch(|scratch| read_values(seq, scratch))
            }
        }
        d.deserialize_seq(ValuesVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(json: Value) -> ClauseValues {
        serde_json::from_str(&json.to_string()).unwrap()
    }

    #[test]
    fn string_lists_are_compact_and_keep_their_order() {
        let short = read(json!(["b", "", "é", "a"]));
        assert!(short.is_short() && matches!(short, ClauseValues::Short { len: 4, .. }));
        assert!(short.strs().eq(["b", "", "é", "a"]));
        let long: Vec<String> = (0..20).map(|i| format!("v{i}")).collect();
        let long_values = read(json!(long));
        assert!(matches!(long_values, ClauseValues::Long(_)));
        assert!(read(json!(["a", "b", "c", "d", "e", "f", "g", "h"])).is_short());
        assert!(matches!(
            read(json!(["a", "b", "c", "d", "e", "f", "g", "h", "i"])),
            ClauseValues::Long(_)
        ));
        assert!(long_values.strs().eq(long.iter().map(String::as_str)));
        assert_eq!(serde_json::to_value(&long_values).unwrap(), json!(long));
        let big = "x".repeat(70_000);
        assert!(matches!(read(json!([big])), ClauseValues::Long(_)));
    }

    #[test]
    fn short_texts_are_inline_and_can_be_moved_to_the_heap() {
        let inline = read(json!(["de", "fr", "é"]));
        assert!(matches!(
            inline,
            ClauseValues::Short {
                text: ShortText::Inline(_),
                ..
            }
        ));
        let heap = inline.clone().with_text_on_heap();
        assert!(matches!(
            heap,
            ClauseValues::Short {
                text: ShortText::Heap(_),
                ..
            }
        ));
        assert_eq!(heap, inline);
        assert!(heap.strs().eq(["de", "fr", "é"]));
        let long_text = read(json!(["x".repeat(INLINE_MAX), "y"]));
        assert!(matches!(
            long_text,
            ClauseValues::Short {
                text: ShortText::Heap(_),
                ..
            }
        ));
        assert!(read(json!([])).with_text_on_heap().strs().next().is_none());
    }

    #[test]
    fn a_list_with_any_other_value_is_kept_as_json_in_order() {
        for list in [
            json!([1, "a"]),
            json!(["a", "b", null, "c"]),
            json!(["a", {"k": ["v"]}, [1, 2.5], true, -3]),
        ] {
            let values = read(list.clone());
            assert!(matches!(values, ClauseValues::Json(_)));
            assert_eq!(Value::from(values.to_json().into_vec()), list);
            assert_eq!(serde_json::to_value(&values).unwrap(), list);
        }
    }

    #[test]
    fn compact_lists_find_exactly_their_strings() {
        for n in [0usize, 1, 3, 8, 9, 40] {
            // Lengths from 1 to 80 bytes.
            let strings: Vec<String> = (0..n).map(|i| "k".repeat((i * 9) % 80) + "!").collect();
            let values = read(json!(strings));
            let contains = |s: &str| values.short_contains(s) || values.long_contains(s);
            let mask = values.length_mask();
            for s in &strings {
                assert!(contains(s), "{n} {s}");
                assert_ne!(mask & length_bit(s.len()), 0, "{n} {s}");
            }
            let long_missing = "k".repeat(70) + "!!";
            for missing in ["", "k", "!!", "kkkkkkkkkkkkkkkkkkkkkkkkk!", &long_missing] {
                assert!(!contains(missing), "{n} {missing}");
            }
        }
    }

    #[test]
    fn values_from_json_and_read_from_text_are_equal() {
        let list = json!(["x", "yy", "\u{1F600}", "a\"b"]);
        let built = ClauseValues::from_json(list.as_array().unwrap().clone());
        assert_eq!(built, read(list));
        assert_ne!(built, read(json!(["x", "yy"])));
        assert_ne!(read(json!(["1"])), read(json!([1])));
    }

    #[test]
    fn short_byte_equality_agrees_with_byte_equality() {
        let base: Vec<u8> = (0..20u8).map(|i| b'a' + i).collect();
        for len in 0..=base.len() {
            let a = &base[..len];
            assert!(short_bytes_eq(a, a));
            for other_len in 0..=base.len() {
                let b = &base[..other_len];
                assert_eq!(short_bytes_eq(a, b), a == b, "{a:?} {b:?}");
            }
            for at in 0..len {
                let mut changed = a.to_vec();
                changed[at] = b'Z';
                assert!(!short_bytes_eq(a, &changed) && !short_bytes_eq(&changed, a));
            }
        }
    }
}
