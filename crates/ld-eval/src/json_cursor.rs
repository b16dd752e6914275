//! A small byte-level JSON reader for the hot path of loading flag data.
//!
//! Loading a data set (a streaming `put`, a polling response, a data file) is megabytes of
//! flag and segment JSON, almost all of it the same few shapes: objects with known field
//! names, plain strings without escapes, small integers and booleans. [`JsonCursor`] reads those
//! shapes directly from the bytes of the input, lending strings from it, and the readers in
//! `flag_json` and `segment_json` build prepared [`Flag`]s and [`Segment`]s from it through the
//! same constructors the `serde` path uses.
//!
//! **It is never the judge of what is valid.** The moment it meets anything it does not read
//! exactly as `serde_json` would (a float where an integer is expected, a duplicate field, a
//! lone surrogate escape, malformed JSON, deep nesting, an unexpected type…) it answers
//! [`Unsupported`], and the caller reads the same input with `serde`, so accepted inputs,
//! results and error messages are exactly those of the `serde` path. Values it does not build
//! itself (objects, arrays and non-trivial numbers among variation or clause values) are handed
//! to `serde_json` as the slice of input they occupy.
//!
//! [`Flag`]: crate::Flag
//! [`Segment`]: crate::Segment

use std::borrow::Cow;

use serde_json::Value;

use crate::property_name::{MAX_LEN, Name};

/// The fast reader met input it does not handle; read the same input with `serde` instead
/// (which accepts it, or reports the error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unsupported;

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("input not handled by the fast JSON reader")
    }
}

impl std::error::Error for Unsupported {}

/// What every reading step returns.
pub(crate) type Read<T> = Result<T, Unsupported>;

/// Containers nested deeper than this (counted from the cursor's start, in skipped or handed-on
/// values) are left to `serde_json`, whose own limit (128) then decides.
const MAX_SKIP_DEPTH: u32 = 48;

/// A position in a JSON document, read forward.
///
/// ```
/// use ld_eval::JsonCursor;
/// let mut c = JsonCursor::new(r#"{"flags": {"f": {"key": "f", "version": 2}}, "x": [1]}"#);
/// let mut field = c.first_key().unwrap();
/// while let Some(name) = field {
///     if name == "flags" {
///         let mut item = c.first_key().unwrap();
///         while let Some(key) = item {
///             let flag = c.read_flag().unwrap();
///             assert_eq!((key, flag.version), ("f", 2));
///             item = c.next_key().unwrap();
///         }
///     } else {
///         c.skip_value().unwrap();
///     }
///     field = c.next_key().unwrap();
/// }
/// c.end().unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct JsonCursor<'a> {
    src: &'a str,
    pos: usize,
    /// Where the text of the last property name read by [`compact_name`] starts: that name was
    /// only searched for its closing quote, and is checked for escapes and control characters
    /// when it turns out to be none of the known names (see [`JsonCursor::skip_field`]).
    /// [`NAME_CHECKED`] after a name read by the general path, which checks every name.
    unchecked_name: usize,
    /// The text block of the flag being read (its salt and rule ids), reused from flag to flag.
    pub(crate) text: String,
    /// The clauses of the flag being read (all its rules'), reused from flag to flag.
    pub(crate) clauses: Vec<crate::Clause>,
    /// The rollouts of the flag being read, reused from flag to flag.
    pub(crate) rollouts: Vec<crate::Rollout>,
    /// The attribute references read last (see [`JsonCursor::attr_ref`]).
    attrs: Vec<(u8, crate::AttrRef)>,
    /// Where the next reference not found in `attrs` goes once it is full.
    next_attr: usize,
}

/// How many attribute references a cursor keeps at hand: a data set names a few attributes
/// over and over (`email`, `country`, `key`…).
const ATTRS_KEPT: usize = 8;

/// [`JsonCursor::unchecked_name`] when the last name has been checked.
const NAME_CHECKED: usize = usize::MAX;

/// Whether any byte of `w` is `"`, `\` or a control character (below 0x20): the bytes that end
/// a plain run of string content. The lowest flagged byte is exact (later ones may be false
/// positives, which the caller never looks at).
#[inline(always)]
fn special_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let quote = w ^ (ONES * u64::from(b'"'));
    let backslash = w ^ (ONES * u64::from(b'\\'));
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    (zero(quote) | zero(backslash) | w.wrapping_sub(ONES * 0x20)) & !w & HIGH
}

/// The bytes [`compact_name`] looks at: the opening quote, [`MAX_LEN`] bytes of name, the
/// closing quote and the colon.
const NAME_AHEAD: usize = MAX_LEN + 3;

/// Whether any byte of `w` is `"` (the lowest flagged byte is exact, as in [`special_bytes`]).
#[inline(always)]
fn quote_bytes(w: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let x = w ^ (ONES * u64::from(b'"'));
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The property name starting at `ahead[1]` (after its opening quote) if it has at most
/// [`MAX_LEN`] bytes before the next `"`, which is followed directly by the colon: the name,
/// and the bytes it takes from its opening quote to its colon included. The name is read a
/// word at a time, and the words read to find its end are the [`Name`]'s words.
///
/// Only the closing quote is looked for: the name may hold an escape (so that the quote found
/// is not its end) or a control character, which makes it none of the known names (they are
/// plain letters), and such a name is rejected when it is found unknown (see
/// [`JsonCursor::skip_field`]).
#[inline(always)]
fn compact_name(ahead: &[u8; NAME_AHEAD]) -> Option<(Name, usize)> {
    // The words after the opening quote.
    let word = |i: usize| {
        ahead[1 + 8 * i..]
            .first_chunk::<8>()
            .map(|w| u64::from_le_bytes(*w))
    };
    // The name ends at byte `n` of word `i`: keep that word's bytes before it (the lowest
    // flagged byte is the first quote), and check for the colon.
    let end = |i: usize, w: u64, found: u64| {
        let n = (found.trailing_zeros() / 8) as usize;
        let len = 8 * i + n;
        (ahead[2 + len] == b':').then_some((len, w & ((1u64 << (8 * n)) - 1)))
    };
    let w0 = word(0)?;
    let found = quote_bytes(w0);
    if found != 0 {
        let (len, w0) = end(0, w0, found)?;
        return Some((Name::from_words(len, [w0, 0, 0]), len + 3));
    }
    let w1 = word(1)?;
    let found = quote_bytes(w1);
    if found != 0 {
        let (len, w1) = end(1, w1, found)?;
        return Some((Name::from_words(len, [w0, w1, 0]), len + 3));
    }
    let w2 = word(2)?;
    let found = quote_bytes(w2);
    if found != 0 {
        let (len, w2) = end(2, w2, found)?;
        return Some((Name::from_words(len, [w0, w1, w2]), len + 3));
    }
    None
}

impl<'a> JsonCursor<'a> {
    /// A cursor at the start of `src`.
    pub fn new(src: &'a str) -> Self {
        JsonCursor {
            src,
            pos: 0,
            unchecked_name: NAME_CHECKED,
            text: String::new(),
            clauses: Vec::new(),
            rollouts: Vec::new(),
            attrs: Vec::new(),
            next_attr: 0,
        }
    }

    /// The attribute reference `raw` (literal, as old-style data names attributes, or not), as
    /// [`AttrRef::shared`](crate::AttrRef) gives it: one of the last few this cursor read when
    /// it is among them, which costs a comparison or two of short strings rather than a look-up
    /// in the thread's cache.
    #[inline]
    pub(crate) fn attr_ref(&mut self, raw: &str, literal: bool) -> crate::AttrRef {
        let variant = crate::attr_ref::shared_variant(raw, literal);
        if let Some((_, found)) = self
            .attrs
            .iter()
            .find(|(v, r)| *v == variant && r.as_str() == raw)
        {
            return found.clone();
        }
        let made = crate::AttrRef::shared(raw, literal);
        if self.attrs.len() < ATTRS_KEPT {
            self.attrs.push((variant, made.clone()));
        } else {
            self.attrs[self.next_attr] = (variant, made.clone());
            self.next_attr = (self.next_attr + 1) % ATTRS_KEPT;
        }
        made
    }

    /// The byte offset the cursor is at.
    pub fn position(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    /// The next byte after any whitespace (not consumed), or `None` at the end.
    #[inline(always)]
    pub(crate) fn peek(&mut self) -> Option<u8> {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if b > b' ' || !matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                return Some(b);
            }
            self.pos += 1;
        }
        None
    }

    #[inline(always)]
    fn expect(&mut self, byte: u8) -> Read<()> {
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Unsupported)
        }
    }

    /// Checks that only whitespace is left.
    pub fn end(&mut self) -> Result<(), Unsupported> {
        match self.peek() {
            None => Ok(()),
            Some(_) => Err(Unsupported),
        }
    }

    /// Enters an object (`{`) and reads its first property name, up to and including the `:`;
    /// `None` if the object is empty (its `}` is consumed).
    ///
    /// Property names with escapes are [`Unsupported`].
    #[inline]
    pub fn first_key(&mut self) -> Result<Option<&'a str>, Unsupported> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        self.key_and_colon().map(Some)
    }

    /// After a property's value: the next property name (after the `,`), or `None` at the
    /// object's `}` (consumed).
    #[inline]
    pub fn next_key(&mut self) -> Result<Option<&'a str>, Unsupported> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.key_and_colon().map(Some)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err(Unsupported),
        }
    }

    /// A property name (without escapes) and its `:`.
    #[inline]
    fn key_and_colon(&mut self) -> Read<&'a str> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.plain_run(start);
        let bytes = self.bytes();
        if bytes.get(end) != Some(&b'"') {
            return Err(Unsupported);
        }
        if bytes.get(end + 1) == Some(&b':') {
            self.pos = end + 2;
        } else {
            self.pos = end + 1;
            self.expect(b':')?;
        }
        self.src.get(start..end).ok_or(Unsupported)
    }

    /// Enters an object (`{`) and reads its first property name as a [`Name`], up to and
    /// including the `:`; `None` if the object is empty (its `}` is consumed).
    ///
    /// Property names with escapes are [`Unsupported`].
    #[inline(always)]
    pub(crate) fn first_name(&mut self) -> Read<Option<Name>> {
        self.expect(b'{')?;
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        self.name_and_colon().map(Some)
    }

    /// After a property's value: the next property name as a [`Name`] (after the `,`), or
    /// `None` at the object's `}` (consumed).
    #[inline(always)]
    pub(crate) fn next_name(&mut self) -> Read<Option<Name>> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                self.name_and_colon().map(Some)
            }
            Some(b'}') => {
                self.pos += 1;
                Ok(None)
            }
            _ => Err(Unsupported),
        }
    }

    /// A property name (without escapes) as a [`Name`], and its `:`.
    ///
    /// The usual case — the opening quote right here, a name of at most [`MAX_LEN`] bytes
    /// followed directly by its closing quote and the colon, and enough input left to read it
    /// by whole words — is read inline; anything else by [`JsonCursor::spaced_name_and_colon`].
    #[inline(always)]
    fn name_and_colon(&mut self) -> Read<Name> {
        let at = self.pos;
        if let Some(ahead) = self
            .bytes()
            .get(at..)
            .and_then(<[u8]>::first_chunk::<NAME_AHEAD>)
            && ahead[0] == b'"'
            && let Some((name, used)) = compact_name(ahead)
        {
            self.unchecked_name = at + 1;
            self.pos = at + used;
            return Ok(name);
        }
        self.unchecked_name = NAME_CHECKED;
        self.spaced_name_and_colon()
    }

    /// [`JsonCursor::name_and_colon`] for every other case: whitespace around the name or the
    /// colon, long names, names near the end of the input, and invalid ones.
    #[inline(never)]
    fn spaced_name_and_colon(&mut self) -> Read<Name> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.plain_run(start);
        let name = Name::of_bytes(self.bytes().get(start..end).ok_or(Unsupported)?);
        self.close_name(end)?;
        Ok(name)
    }

    /// After a name's text ending at `end`: its closing quote and the `:`.
    #[inline(always)]
    fn close_name(&mut self, end: usize) -> Read<()> {
        let bytes = self.bytes();
        if bytes.get(end) != Some(&b'"') {
            return Err(Unsupported);
        }
        if bytes.get(end + 1) == Some(&b':') {
            self.pos = end + 2;
            Ok(())
        } else {
            self.pos = end + 1;
            self.expect(b':')
        }
    }

    /// Where the run of plain string bytes (not `"`, `\` or a control character) starting at
    /// `at` ends.
    #[inline(always)]
    fn plain_run(&self, mut at: usize) -> usize {
        let bytes = self.bytes();
        while let Some(chunk) = bytes.get(at..at + 8) {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            let found = special_bytes(u64::from_le_bytes(word));
            if found != 0 {
                return at + (found.trailing_zeros() / 8) as usize;
            }
            at += 8;
        }
        while let Some(&b) = bytes.get(at) {
            if b == b'"' || b == b'\\' || b < 0x20 {
                return at;
            }
            at += 1;
        }
        at
    }

    /// Enters an array (`[`): whether it has a first element (if not, its `]` is consumed).
    #[inline]
    pub(crate) fn first_element(&mut self) -> Read<bool> {
        self.expect(b'[')?;
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        Ok(true)
    }

    /// After an element: whether another follows (its `,` consumed), or the array ends (its
    /// `]` consumed).
    #[inline]
    pub(crate) fn next_element(&mut self) -> Read<bool> {
        match self.peek() {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b']') => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(Unsupported),
        }
    }

    /// Consumes `null` if that is what comes next.
    #[inline]
    pub fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.bytes().get(self.pos..self.pos + 4) == Some(b"null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    /// Reads `true` or `false`.
    #[inline]
    pub(crate) fn bool(&mut self) -> Read<bool> {
        let at = self.pos;
        match self.peek() {
            Some(b't') if self.bytes().get(self.pos..self.pos + 4) == Some(b"true") => {
                self.pos += 4;
                Ok(true)
            }
            Some(b'f') if self.bytes().get(self.pos..self.pos + 5) == Some(b"false") => {
                self.pos += 5;
                Ok(false)
            }
            _ => {
                self.pos = at;
                Err(Unsupported)
            }
        }
    }

    /// Reads the digits of a non-negative integer as `serde_json` reads them: no leading zero,
    /// no fraction or exponent; at most 19 digits (longer ones are left to `serde_json`).
    #[inline]
    fn digits(&mut self) -> Read<u64> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut at = start;
        let mut v: u64 = 0;
        while let Some(&b) = bytes.get(at) {
            if !b.is_ascii_digit() {
                break;
            }
            v = v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
            at += 1;
        }
        let n = at - start;
        if n == 0 || n > 19 || (n > 1 && bytes[start] == b'0') {
            return Err(Unsupported);
        }
        if matches!(bytes.get(at), Some(b'.' | b'e' | b'E')) {
            return Err(Unsupported);
        }
        self.pos = at;
        Ok(v)
    }

    /// Reads an integer for a `u64` field.
    #[inline]
    pub(crate) fn u64(&mut self) -> Read<u64> {
        self.peek();
        self.digits()
    }

    /// Reads an integer for an `i64` field.
    #[inline]
    pub(crate) fn i64(&mut self) -> Read<i64> {
        if self.peek() == Some(b'-') {
            let at = self.pos;
            self.pos += 1;
            let magnitude = self.digits();
            // `serde_json` reads `-0` as a float, and magnitudes past 2^63 as floats too.
            match magnitude {
                Ok(m) if (1..=1 << 63).contains(&m) => Ok((-i128::from(m)) as i64),
                _ => {
                    self.pos = at;
                    Err(Unsupported)
                }
            }
        } else {
            let at = self.pos;
            match self.digits() {
                Ok(v) if v <= i64::MAX as u64 => Ok(v as i64),
                _ => {
                    self.pos = at;
                    Err(Unsupported)
                }
            }
        }
    }

    /// Reads an integer for an `f64` field (as `serde_json` gives it: the integer converted);
    /// numbers with a fraction or exponent are [`Unsupported`].
    #[inline]
    pub(crate) fn integer_as_f64(&mut self) -> Read<f64> {
        if self.peek() == Some(b'-') {
            self.i64().map(|v| v as f64)
        } else {
            self.digits().map(|v| v as f64)
        }
    }

    /// Reads a string: borrowed from the input unless it has escapes.
    ///
    /// The usual case — the opening quote right here, no escape, and the closing quote found
    /// by whole words — is read inline; anything else by [`JsonCursor::general_str`].
    #[inline(always)]
    pub(crate) fn str(&mut self) -> Read<Cow<'a, str>> {
        let bytes = self.bytes();
        let at = self.pos;
        if bytes.get(at) == Some(&b'"') {
            let mut end = at + 1;
            while let Some(chunk) = bytes.get(end..).and_then(<[u8]>::first_chunk::<8>) {
                let found = special_bytes(u64::from_le_bytes(*chunk));
                if found != 0 {
                    end += (found.trailing_zeros() / 8) as usize;
                    if bytes.get(end) == Some(&b'"')
                        && let Some(text) = self.src.get(at + 1..end)
                    {
                        self.pos = end + 1;
                        return Ok(Cow::Borrowed(text));
                    }
                    break;
                }
                end += 8;
            }
        }
        self.general_str()
    }

    /// [`JsonCursor::str`] for every other case: whitespace before the string, escapes, the
    /// end of the input, and invalid strings.
    #[inline(never)]
    fn general_str(&mut self) -> Read<Cow<'a, str>> {
        self.expect(b'"')?;
        let start = self.pos;
        let end = self.plain_run(start);
        match self.bytes().get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                Ok(Cow::Borrowed(self.src.get(start..end).ok_or(Unsupported)?))
            }
            Some(b'\\') => {
                let mut out = String::from(self.src.get(start..end).ok_or(Unsupported)?);
                self.pos = end;
                self.escaped_rest(&mut out)?;
                Ok(Cow::Owned(out))
            }
            _ => Err(Unsupported),
        }
    }

    /// Reads the rest of a string from an escape on, appending its text to `out`.
    #[cold]
    fn escaped_rest(&mut self, out: &mut String) -> Read<()> {
        loop {
            let start = self.pos;
            let end = self.plain_run(start);
            out.push_str(self.src.get(start..end).ok_or(Unsupported)?);
            let bytes = self.bytes();
            match bytes.get(end) {
                Some(b'"') => {
                    self.pos = end + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let c = match bytes.get(end + 1) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos = end + 2;
                            out.push(self.unicode_escape()?);
                            continue;
                        }
                        _ => return Err(Unsupported),
                    };
                    out.push(c);
                    self.pos = end + 2;
                }
                _ => return Err(Unsupported),
            }
        }
    }

    /// After `\u`: the character, combining a surrogate pair; lone surrogates are left to
    /// `serde_json`.
    fn unicode_escape(&mut self) -> Read<char> {
        let first = self.hex4()?;
        let code = match first {
            0xD800..=0xDBFF => {
                if self.bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(Unsupported);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(Unsupported);
                }
                0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            }
            0xDC00..=0xDFFF => return Err(Unsupported),
            c => c,
        };
        char::from_u32(code).ok_or(Unsupported)
    }

    fn hex4(&mut self) -> Read<u32> {
        let digits = self
            .bytes()
            .get(self.pos..self.pos + 4)
            .ok_or(Unsupported)?;
        let mut v = 0;
        for &d in digits {
            v = v * 16 + char::from(d).to_digit(16).ok_or(Unsupported)?;
        }
        self.pos += 4;
        Ok(v)
    }

    /// Skips one value of any type, checking its syntax.
    pub fn skip_value(&mut self) -> Result<(), Unsupported> {
        self.skip_nested(0)
    }

    /// Skips the value of a property whose name (`name`, just read by
    /// [`JsonCursor::first_name`] or [`JsonCursor::next_name`]) is none of the names the
    /// reader knows; a name with an escape or a control character is [`Unsupported`] (`serde`
    /// may read it as a known name).
    #[inline(never)]
    pub(crate) fn skip_field(&mut self, name: Name) -> Read<()> {
        if self.unchecked_name != NAME_CHECKED {
            let start = self.unchecked_name;
            let text = self
                .bytes()
                .get(start..start + name.len())
                .ok_or(Unsupported)?;
            if text.iter().any(|&b| b == b'\\' || b < 0x20) {
                return Err(Unsupported);
            }
        }
        self.skip_value()
    }

    fn skip_nested(&mut self, depth: u32) -> Read<()> {
        match self.peek() {
            Some(b'"') => {
                self.str()?;
            }
            Some(b'{') => {
                if depth >= MAX_SKIP_DEPTH {
                    return Err(Unsupported);
                }
                let mut key = self.first_key()?;
                while key.is_some() {
                    self.skip_nested(depth + 1)?;
                    key = self.next_key()?;
                }
            }
            Some(b'[') => {
                if depth >= MAX_SKIP_DEPTH {
                    return Err(Unsupported);
                }
                let mut more = self.first_element()?;
                while more {
                    self.skip_nested(depth + 1)?;
                    more = self.next_element()?;
                }
            }
            Some(b't' | b'f') => {
                self.bool()?;
            }
            Some(b'n') => {
                if !self.null() {
                    return Err(Unsupported);
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                self.number_text()?;
            }
            _ => return Err(Unsupported),
        }
        Ok(())
    }

    /// Skips one value and returns the input it occupies (without surrounding whitespace).
    pub fn raw_value(&mut self) -> Result<&'a str, Unsupported> {
        self.peek();
        let start = self.pos;
        self.skip_value()?;
        self.src.get(start..self.pos).ok_or(Unsupported)
    }

    /// The text of a number, checked against JSON's number grammar.
    fn number_text(&mut self) -> Read<&'a str> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut at = start;
        let digits_from = |mut at: usize| {
            let from = at;
            while bytes.get(at).is_some_and(u8::is_ascii_digit) {
                at += 1;
            }
            (at, at - from)
        };
        if bytes.get(at) == Some(&b'-') {
            at += 1;
        }
        let (after, n) = digits_from(at);
        if n == 0 || (n > 1 && bytes[at] == b'0') {
            return Err(Unsupported);
        }
        at = after;
        if bytes.get(at) == Some(&b'.') {
            let (after, n) = digits_from(at + 1);
            if n == 0 {
                return Err(Unsupported);
            }
            at = after;
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            at += 1;
            if matches!(bytes.get(at), Some(b'+' | b'-')) {
                at += 1;
            }
            let (after, n) = digits_from(at);
            if n == 0 {
                return Err(Unsupported);
            }
            at = after;
        }
        self.pos = at;
        self.src.get(start..at).ok_or(Unsupported)
    }

    /// Reads any JSON value: strings, booleans, `null` and small non-negative integers
    /// directly, anything else through `serde_json` from the slice of input it occupies.
    pub(crate) fn value(&mut self) -> Read<Value> {
        match self.peek() {
            Some(b'"') => Ok(Value::String(self.str()?.into_owned())),
            Some(b't' | b'f') => Ok(Value::Bool(self.bool()?)),
            Some(b'n') if self.null() => Ok(Value::Null),
            Some(b'0'..=b'9') => {
                let at = self.pos;
                match self.digits() {
                    Ok(v) => Ok(Value::from(v)),
                    Err(_) => {
                        self.pos = at;
                        self.serde_value()
                    }
                }
            }
            _ => self.serde_value(),
        }
    }

    #[cold]
    fn serde_value(&mut self) -> Read<Value> {
        let raw = self.raw_value()?;
        serde_json::from_str(raw).map_err(|_| Unsupported)
    }

    /// Runs `read`; if it gives up, puts the cursor back where it was.
    #[inline]
    pub(crate) fn or_rewind<T>(&mut self, read: impl FnOnce(&mut Self) -> Read<T>) -> Read<T> {
        let at = self.pos;
        let out = read(self);
        if out.is_err() {
            self.pos = at;
        }
        out
    }
}

/// Marks a field as read; a field read twice is [`Unsupported`] (`serde` reports it).
#[inline(always)]
pub(crate) fn first_time(seen: &mut u32, bit: u32) -> Read<()> {
    if *seen & bit != 0 {
        return Err(Unsupported);
    }
    *seen |= bit;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_references_at_hand_are_those_the_thread_cache_gives() {
        let mut c = JsonCursor::new("");
        let names: Vec<String> = ["email", "/a/b", "/a~1b", "", "/", "//x", "/bad~2", "key"]
            .into_iter()
            .map(String::from)
            .chain((0..12).map(|i| format!("attr-{i}")))
            .collect();
        // Twice over, more names than the cursor keeps: found, evicted and made again.
        for _ in 0..2 {
            for raw in &names {
                for literal in [false, true] {
                    let expected = if literal {
                        crate::AttrRef::literal(raw)
                    } else {
                        crate::AttrRef::new(raw)
                    };
                    assert_eq!(c.attr_ref(raw, literal), expected, "{raw} {literal}");
                    assert_eq!(c.attr_ref(raw, literal).error(), expected.error());
                }
            }
        }
    }

    #[test]
    fn special_byte_search_finds_the_first_quote_backslash_or_control_character() {
        let samples: [&[u8]; 6] = [
            b"abcdefgh\"",
            b"ab\"defgh",
            b"abcdefg\\",
            b"a\x1fcdefgh",
            b"\xc3\xa9\xc3\xa9\"xyz",
            b"        \x7f\x80\xff\"",
        ];
        for s in samples {
            let text = String::from_utf8_lossy(s).into_owned();
            let c = JsonCursor::new(&text);
            let expected = text
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(text.len());
            assert_eq!(c.plain_run(0), expected, "{text:?}");
        }
        // Every byte value, at every position of a word.
        for b in 0..=255u8 {
            for at in 0..8 {
                let mut w = [b'a'; 8];
                w[at] = b;
                let found = special_bytes(u64::from_le_bytes(w));
                let special = b == b'"' || b == b'\\' || b < 0x20;
                assert_eq!(found != 0, special, "{b} at {at}");
                if special {
                    assert_eq!(found.trailing_zeros() / 8, at as u32);
                }
            }
        }
    }

    #[test]
    fn property_names_read_as_their_name_tags_inline_or_not() {
        use crate::property_name::known::ALL;
        let mut names: Vec<String> = ALL.iter().map(|(_, text)| text.to_string()).collect();
        for len in 0..=30 {
            names.push("é".repeat(len / 2) + &"n".repeat(len % 2));
            names.push("x".repeat(len));
        }
        for name in &names {
            let want = Name::of(name);
            // Compact with plenty of input after it (read inline), at the end of the input,
            // and with whitespace (read by the general path).
            for (json, fields) in [
                (
                    format!(r#"{{"{name}":1,"{name}":"{}"}}"#, "-".repeat(40)),
                    2,
                ),
                (format!(r#"{{"{name}":1}}"#), 1),
                (format!(r#"{{ "{name}" : 1 , "{name}"	:2}}"#), 2),
            ] {
                let mut c = JsonCursor::new(&json);
                assert_eq!(c.first_name(), Ok(Some(want)), "{json}");
                c.skip_value().unwrap();
                if fields == 2 {
                    assert_eq!(c.next_name(), Ok(Some(want)), "{json}");
                    c.skip_value().unwrap();
                }
                assert_eq!(c.next_name(), Ok(None), "{json}");
                c.end().unwrap();
            }
        }
        // A known name followed by anything else is another name.
        for (name, text) in ALL {
            let longer = format!(r#"{{"{text}s":1,"{}":0}}"#, "-".repeat(40));
            assert_ne!(JsonCursor::new(&longer).first_name(), Ok(Some(*name)));
        }
        // Escapes and control characters in names are left to serde: the name is rejected
        // when read, or read as an unknown name whose skipping is rejected.
        let pad = "x".repeat(40);
        for bad in [
            format!(r#"{{"ke\u0079":1,"{pad}":0}}"#),
            r#"{"ke\u0079":1}"#.to_string(),
            format!(r#"{{"trackEvents\u0046allthrough":1,"{pad}":0}}"#),
            format!(r#"{{"on\"":1,"{pad}":0}}"#),
            format!(r#"{{"\\":1,"{pad}":0}}"#),
            format!("{{\"k\u{1}ey\":1,\"{pad}\":0}}"),
            format!("{{\"variation\u{1f}\":1,\"{pad}\":0}}"),
        ] {
            let mut c = JsonCursor::new(&bad);
            match c.first_name() {
                Err(Unsupported) => {}
                Ok(Some(name)) => {
                    assert!(ALL.iter().all(|(known, _)| *known != name), "{bad}");
                    assert_eq!(c.skip_field(name), Err(Unsupported), "{bad}");
                }
                Ok(None) => panic!("{bad}"),
            }
        }
        // Plain unknown names are skipped with their values, read inline or not.
        for json in [
            format!(r#"{{"futureField":[1,{{"a":"b"}}],"{pad}":0}}"#),
            r#"{ "futureField" : [1,{"a":"b"}] , "x":0}"#.to_string(),
        ] {
            let mut c = JsonCursor::new(&json);
            let name = c.first_name().unwrap().unwrap();
            assert_eq!(name, Name::of("futureField"));
            c.skip_field(name).unwrap();
            let name = c.next_name().unwrap().unwrap();
            c.skip_field(name).unwrap();
            assert_eq!(c.next_name(), Ok(None));
        }
        // Malformed names are rejected when read.
        for bad in [
            r#"{"key"1,"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx":0}"#,
            r#"{"key""#,
            r#"{"key"#,
        ] {
            assert_eq!(JsonCursor::new(bad).first_name(), Err(Unsupported), "{bad}");
        }
    }

    #[test]
    fn strings_are_borrowed_unless_escaped_and_escapes_decode_like_serde_json() {
        for json in [
            r#""plain""#,
            r#""""#,
            r#""a\"b\\c\/d\b\f\n\r\t""#,
            r#""\u00e9\u2603\ud83d\ude00 done""#,
            r#""long string without any escape at all, é and ☃ included""#,
        ] {
            // As is (mostly read by the general path), and with enough input after it for the
            // inline path to find the closing quote by whole words.
            for json in [json.to_string(), format!("{json}{}", " ".repeat(16))] {
                let mut c = JsonCursor::new(&json);
                let s = c.str().unwrap();
                assert_eq!(s, serde_json::from_str::<String>(&json).unwrap());
                assert_eq!(matches!(s, Cow::Borrowed(_)), !json.contains('\\'));
                c.end().unwrap();
            }
        }
        for bad in [
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\x""#,
            "\"a\u{1}\"",
            r#""open"#,
        ] {
            assert_eq!(JsonCursor::new(bad).str(), Err(Unsupported), "{bad}");
            let padded = format!("{bad}{}", " ".repeat(16));
            assert_eq!(JsonCursor::new(&padded).str(), Err(Unsupported), "{padded}");
        }
        // Every length of plain string, read inline or not, ends at its closing quote.
        for len in 0..40 {
            let text = "é".repeat(len / 2) + &"x".repeat(len % 2);
            for tail in ["", ",1]", "                "] {
                let json = format!("\"{text}\"{tail}");
                let mut c = JsonCursor::new(&json);
                assert_eq!(c.str(), Ok(Cow::Borrowed(text.as_str())), "{json}");
                assert_eq!(c.position(), text.len() + 2, "{json}");
            }
        }
    }

    #[test]
    fn integers_read_as_serde_json_reads_them_and_floats_are_unsupported() {
        let u = |s: &str| JsonCursor::new(s).u64();
        let i = |s: &str| JsonCursor::new(s).i64();
        assert_eq!(u("0"), Ok(0));
        assert_eq!(u(" 1234567890123456789"), Ok(1_234_567_890_123_456_789));
        assert_eq!(u("12345678901234567890"), Err(Unsupported));
        assert_eq!(u("01"), Err(Unsupported));
        assert_eq!(u("1.0"), Err(Unsupported));
        assert_eq!(u("1e3"), Err(Unsupported));
        assert_eq!(u("-1"), Err(Unsupported));
        assert_eq!(i("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(i("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(i("9223372036854775808"), Err(Unsupported));
        assert_eq!(i("-0"), Err(Unsupported));
        assert_eq!(i("-"), Err(Unsupported));
        assert_eq!(i("-12"), Ok(-12));
    }

    #[test]
    fn skipping_checks_syntax_and_returns_the_raw_value() {
        let json = r#" {"a": [1, -2.5e3, true, null, {"b": "c\"d"}], "e": {}} , "#;
        let mut c = JsonCursor::new(json);
        assert_eq!(
            c.raw_value().unwrap(),
            json.trim().trim_end_matches(',').trim()
        );
        for bad in [
            "[1,]",
            "{\"a\" 1}",
            "[01]",
            "-",
            "1.",
            "{\"a\":1,}",
            "tru",
            "[",
            "nul",
        ] {
            assert_eq!(JsonCursor::new(bad).skip_value(), Err(Unsupported), "{bad}");
        }
        let deep = "[".repeat(60) + &"]".repeat(60);
        assert_eq!(JsonCursor::new(&deep).skip_value(), Err(Unsupported));
    }

    #[test]
    fn values_other_than_plain_ones_go_through_serde_json() {
        for json in [
            "\"s\"",
            "true",
            "null",
            "42",
            "-7",
            "-0",
            "2.5",
            "1e400",
            "18446744073709551616",
            "[1,{\"a\":[null]}]",
        ] {
            let v = JsonCursor::new(json).value();
            assert_eq!(v.ok(), serde_json::from_str::<Value>(json).ok(), "{json}");
        }
    }
}
