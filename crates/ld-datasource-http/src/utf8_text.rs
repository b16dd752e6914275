//! Text gathered from byte pieces split anywhere, even inside a UTF-8 sequence, and checked as
//! each piece arrives.
//!
//! A streaming `put` is one `data` line of many megabytes, read in pieces of a few kilobytes.
//! Checking each piece while it is in the cache, rather than the whole line in one pass once it
//! is complete, saves reading megabytes back from memory; and since the text is built from
//! checked pieces, it never needs checking again.

/// Text gathered piece by piece; the result is what `String::from_utf8_lossy` gives for all the
/// bytes pushed (invalid UTF-8 is replaced with U+FFFD).
#[derive(Debug, Default)]
pub(crate) struct Utf8Text {
    /// The checked text so far.
    text: String,
    /// The start of a UTF-8 sequence that the last piece cut off (at most three bytes).
    partial: Vec<u8>,
    /// Every byte so far, once invalid UTF-8 was seen: replaced when the text is finished.
    raw: Option<Vec<u8>>,
}

impl Utf8Text {
    /// Empty, with room for `capacity` bytes.
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        Utf8Text {
            text: String::with_capacity(capacity),
            ..Utf8Text::default()
        }
    }

    /// How many bytes were pushed.
    pub(crate) fn len(&self) -> usize {
        match &self.raw {
            Some(raw) => raw.len(),
            None => self.text.len() + self.partial.len(),
        }
    }

    /// Appends the next bytes.
    pub(crate) fn push(&mut self, mut bytes: &[u8]) {
        if let Some(raw) = &mut self.raw {
            raw.extend_from_slice(bytes);
            return;
        }
        if !self.partial.is_empty() {
            // Complete the sequence the last piece cut off, a byte at a time.
            while let Some((&b, rest)) = bytes.split_first() {
                self.partial.push(b);
                bytes = rest;
                match std::str::from_utf8(&self.partial) {
                    Ok(done) => {
                        self.text.push_str(done);
                        self.partial.clear();
                        break;
                    }
                    Err(e) if e.error_len().is_some() => return self.give_up(bytes),
                    Err(_) => {}
                }
            }
            if !self.partial.is_empty() {
                return;
            }
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.text.push_str(text),
            Err(e) => {
                let (valid, rest) = bytes.split_at(e.valid_up_to());
                if let Ok(valid) = std::str::from_utf8(valid) {
                    self.text.push_str(valid);
                }
                if e.error_len().is_none() {
                    // Cut off at the end of the piece: the next piece completes it.
                    self.partial.extend_from_slice(rest);
                } else {
                    self.give_up(rest);
                }
            }
        }
    }

    /// Invalid UTF-8: from now on, only gather the bytes (`rest` follows the pending ones).
    fn give_up(&mut self, rest: &[u8]) {
        let mut raw = std::mem::take(&mut self.text).into_bytes();
        raw.append(&mut self.partial);
        raw.extend_from_slice(rest);
        self.raw = Some(raw);
    }

    /// The text, with invalid UTF-8 (including a sequence cut off at the very end) replaced.
    pub(crate) fn finish(self) -> String {
        let raw = match self.raw {
            Some(raw) => raw,
            None if self.partial.is_empty() => return self.text,
            None => {
                let mut raw = self.text.into_bytes();
                raw.extend_from_slice(&self.partial);
                raw
            }
        };
        lossy_string(raw)
    }
}

/// `bytes` as text, invalid UTF-8 replaced with U+FFFD; valid text is not copied.
pub(crate) fn lossy_string(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gathered(pieces: &[&[u8]]) -> String {
        let mut t = Utf8Text::with_capacity(4);
        for p in pieces {
            t.push(p);
        }
        assert_eq!(t.len(), pieces.iter().map(|p| p.len()).sum::<usize>());
        t.finish()
    }

    #[test]
    fn text_split_anywhere_is_what_a_lossy_reading_of_all_its_bytes_gives() {
        let samples: [&[u8]; 7] = [
            "plain ascii".as_bytes(),
            "é, € and 😀 in one line".as_bytes(),
            b"bad \xff byte",
            b"cut at the end \xe2\x82",
            b"\xe2\x82 a cut sequence then ascii",
            b"\xf0\x9f\x98\x80\xf0\x9f",
            b"\xc3\xa9\xc3",
        ];
        for bytes in samples {
            let expected = String::from_utf8_lossy(bytes).into_owned();
            assert_eq!(gathered(&[bytes]), expected);
            for a in 0..=bytes.len() {
                for b in a..=bytes.len() {
                    let pieces = [&bytes[..a], &bytes[a..b], &bytes[b..]];
                    assert_eq!(gathered(&pieces), expected, "{bytes:?} split at {a}, {b}");
                }
            }
            let one_by_one: Vec<&[u8]> = bytes.chunks(1).collect();
            assert_eq!(gathered(&one_by_one), expected);
        }
    }
}
