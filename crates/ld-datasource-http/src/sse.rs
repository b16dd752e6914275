//! An incremental parser for server-sent events (the `text/event-stream` format).
//!
//! Bytes are fed as they arrive, split anywhere (even inside a CRLF pair or a UTF-8 sequence);
//! complete events come out. Follows the WHATWG event-stream interpretation rules: `\r\n`, `\n`
//! or `\r` end a line; lines starting with `:` are comments (LaunchDarkly's heartbeats); `data`
//! lines accumulate with `\n` between them; an empty line dispatches the event; `id` and `retry`
//! fields are tracked; unknown fields are ignored; a leading UTF-8 BOM is skipped.
//!
//! ```
//! use ld_datasource_http::SseParser;
//!
//! let mut parser = SseParser::new();
//! assert!(parser.push(b"event: patch\r\ndata: {\"a\":").unwrap().is_empty());
//! let events = parser.push(b"\r\ndata: 1}\r\n\r\n").unwrap();
//! assert_eq!(events[0].event, "patch");
//! assert_eq!(events[0].data, "{\"a\":\n1}");
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::utf8_text::{Utf8Text, lossy_string};

/// The length of the last long `data` line read by any parser of the process (a `put`), the
/// capacity a new one starts with, so that a multi-megabyte line is not grown (and copied)
/// a dozen times.
static LAST_LONG_DATA: AtomicUsize = AtomicUsize::new(0);

/// One dispatched server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    /// The event name (`message` when the stream did not name it).
    pub event: String,
    /// The data lines joined with `\n`.
    pub data: String,
    /// The last event id seen on the stream so far, if any.
    pub id: Option<String>,
}

/// The stream broke the parser's limits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SseError {
    /// One event (or one line) grew beyond the configured maximum size.
    #[error("server-sent event larger than {limit} bytes")]
    EventTooLarge {
        /// The configured limit.
        limit: usize,
    },
}

/// Default maximum size of one event: generous enough for very large `put` payloads.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 256 * 1024 * 1024;

/// Incremental server-sent events parser: feed bytes as they arrive (split anywhere), get
/// complete events back. Handles `\r\n`, `\n` and `\r` line endings, comments (heartbeats),
/// multi-line `data`, `id` and `retry` fields, unknown fields (ignored) and a leading BOM.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of the current, not yet terminated line.
    line: Vec<u8>,
    /// When non-zero, the line being gathered is an event's first `data` line, whose value
    /// goes to `long_data` (and `line` stays empty); its `data:` field name (and one space),
    /// this many bytes, was left out when the line began.
    line_prefix: usize,
    /// The value of a first `data` line gathered across reads (see `line_prefix`), checked as
    /// UTF-8 piece by piece as it arrives: it becomes the event's data as it is.
    long_data: Utf8Text,
    /// The previous chunk ended with `\r`: a `\n` starting the next chunk belongs to it.
    after_cr: bool,
    /// Still at the very start of the stream (a BOM may follow).
    at_start: bool,
    event_type: String,
    data: String,
    has_data: bool,
    last_id: Option<String>,
    retry: Option<Duration>,
    max_event_size: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser with the [default size limit](DEFAULT_MAX_EVENT_SIZE).
    pub fn new() -> Self {
        Self::with_max_event_size(DEFAULT_MAX_EVENT_SIZE)
    }

    /// A parser refusing events (or lines) larger than `max_event_size` bytes.
    pub fn with_max_event_size(max_event_size: usize) -> Self {
        SseParser {
            line: Vec::new(),
            line_prefix: 0,
            long_data: Utf8Text::default(),
            after_cr: false,
            at_start: true,
            event_type: String::new(),
            data: String::new(),
            has_data: false,
            last_id: None,
            retry: None,
            max_event_size,
        }
    }

    /// The reconnection delay most recently requested by a `retry:` field.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The most recent event id (`id:` field), used as `Last-Event-ID` on reconnect.
    pub fn last_event_id(&self) -> Option<&str> {
        self.last_id.as_deref()
    }

    /// Feeds the next bytes of the stream and returns the events they complete.
    ///
    /// After an error the parser is in an unspecified state; start a new one with a new
    /// connection.
    pub fn push(&mut self, mut chunk: &[u8]) -> Result<Vec<SseEvent>, SseError> {
        let mut events = Vec::new();
        if self.after_cr {
            self.after_cr = false;
            if let Some(rest) = chunk.strip_prefix(b"\n") {
                chunk = rest;
            }
        }
        while !chunk.is_empty() {
            match memchr::memchr2(b'\n', b'\r', chunk) {
                None => {
                    self.check_size(self.gathered() + chunk.len())?;
                    if self.line_prefix > 0 {
                        self.long_data.push(chunk);
                    } else if self.line.is_empty() {
                        self.begin_long_line(chunk);
                    } else {
                        self.line.extend_from_slice(chunk);
                    }
                    break;
                }
                Some(end) => {
                    let terminator = chunk[end];
                    let mut next = end + 1;
                    if terminator == b'\r' {
                        match chunk.get(next) {
                            Some(b'\n') => next += 1,
                            Some(_) => {}
                            None => self.after_cr = true,
                        }
                    }
                    if self.line_prefix > 0 {
                        self.check_size(self.gathered() + end)?;
                        self.long_data.push(&chunk[..end]);
                        self.end_long_data()?;
                    } else if self.line.is_empty() {
                        self.process_line(&chunk[..end], &mut events)?;
                    } else {
                        self.check_size(self.gathered() + end)?;
                        let mut line = std::mem::take(&mut self.line);
                        line.extend_from_slice(&chunk[..end]);
                        self.process_long_line(line, &mut events)?;
                    }
                    chunk = &chunk[next..];
                }
            }
        }
        Ok(events)
    }

    /// The bytes of the line being gathered across reads, its left-out field name included.
    fn gathered(&self) -> usize {
        self.line.len() + self.line_prefix + self.long_data.len()
    }

    /// Ends the event's first `data` line gathered across reads (see `begin_long_line`): it
    /// becomes the event's data as it is, without being copied or checked again.
    fn end_long_data(&mut self) -> Result<(), SseError> {
        self.line_prefix = 0;
        let value = std::mem::take(&mut self.long_data);
        self.check_size(value.len() + 1)?;
        LAST_LONG_DATA.store(value.len(), Ordering::Relaxed);
        self.data = value.finish();
        self.has_data = true;
        Ok(())
    }

    /// Processes a line that was gathered across several reads (other than an event's first
    /// `data` line, see `end_long_data`).
    fn process_long_line(
        &mut self,
        mut line: Vec<u8>,
        events: &mut Vec<SseEvent>,
    ) -> Result<(), SseError> {
        if !self.at_start && !self.has_data && line.starts_with(b"data:") {
            let start = if line.get(5) == Some(&b' ') { 6 } else { 5 };
            self.check_size(line.len() - start + 1)?;
            line.drain(..start);
            self.data = lossy_string(line);
            self.has_data = true;
            return Ok(());
        }
        self.process_line(&line, events)?;
        line.clear();
        self.line = line;
        Ok(())
    }

    /// Starts gathering a line across reads with `chunk`, its start. When it is an event's first
    /// `data` line (the case of a large `put`), only the value is kept, checked as it arrives,
    /// in a buffer sized for the last such line, so that it can become the event's data
    /// without being moved or checked again.
    fn begin_long_line(&mut self, chunk: &[u8]) {
        // At least one byte after `data:`, so that whether a space follows is known.
        if !self.at_start && !self.has_data && chunk.len() > 5 && chunk.starts_with(b"data:") {
            let prefix = if chunk[5] == b' ' { 6 } else { 5 };
            let hint = LAST_LONG_DATA
                .load(Ordering::Relaxed)
                .min(self.max_event_size);
            self.long_data = Utf8Text::with_capacity(hint.max(chunk.len()));
            self.long_data.push(&chunk[prefix..]);
            self.line_prefix = prefix;
        } else {
            self.line.extend_from_slice(chunk);
        }
    }

    fn check_size(&self, line_len: usize) -> Result<(), SseError> {
        if line_len.saturating_add(self.data.len()) > self.max_event_size {
            Err(SseError::EventTooLarge {
                limit: self.max_event_size,
            })
        } else {
            Ok(())
        }
    }

    fn process_line(
        &mut self,
        mut line: &[u8],
        events: &mut Vec<SseEvent>,
    ) -> Result<(), SseError> {
        if self.at_start {
            self.at_start = false;
            if let Some(rest) = line.strip_prefix("\u{feff}".as_bytes()) {
                line = rest;
            }
        }
        if line.is_empty() {
            self.dispatch(events);
            return Ok(());
        }
        if line[0] == b':' {
            return Ok(()); // comment / heartbeat
        }
        let (name, value) = match line.iter().position(|&b| b == b':') {
            Some(i) => {
                let v = &line[i + 1..];
                (&line[..i], v.strip_prefix(b" ").unwrap_or(v))
            }
            None => (line, &line[line.len()..]),
        };
        match name {
            b"event" => {
                self.event_type.clear();
                push_lossy(&mut self.event_type, value);
            }
            b"data" => {
                self.check_size(value.len() + 1)?;
                if self.has_data {
                    self.data.push('\n');
                }
                push_lossy(&mut self.data, value);
                self.has_data = true;
            }
            b"id" if !value.contains(&0) => {
                self.last_id = Some(String::from_utf8_lossy(value).into_owned());
            }
            b"retry" if !value.is_empty() && value.iter().all(u8::is_ascii_digit) => {
                // Overlong numbers saturate rather than fail.
                let ms = std::str::from_utf8(value)
                    .ok()
                    .and_then(|s| s.parse::<u64>().ok())
                    .unwrap_or(u64::MAX);
                self.retry = Some(Duration::from_millis(ms));
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self, events: &mut Vec<SseEvent>) {
        if !self.has_data {
            self.event_type.clear();
            return;
        }
        let event = if self.event_type.is_empty() {
            "message".to_string()
        } else {
            std::mem::take(&mut self.event_type)
        };
        events.push(SseEvent {
            event,
            data: std::mem::take(&mut self.data),
            id: self.last_id.clone(),
        });
        self.has_data = false;
    }
}

/// Appends `bytes` as text, replacing invalid UTF-8 with U+FFFD (the check for valid text is
/// the fast one; only invalid input takes the slower replacing path).
fn push_lossy(out: &mut String, bytes: &[u8]) {
    match std::str::from_utf8(bytes) {
        Ok(text) => out.push_str(text),
        Err(_) => out.push_str(&String::from_utf8_lossy(bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<SseEvent> {
        SseParser::new().push(input).unwrap()
    }

    fn ev(event: &str, data: &str) -> SseEvent {
        SseEvent {
            event: event.into(),
            data: data.into(),
            id: None,
        }
    }

    #[test]
    fn every_line_ending_style_is_understood() {
        for nl in ["\n", "\r\n", "\r"] {
            let input =
                format!("event: put{nl}data: a{nl}data: b{nl}{nl}event: x{nl}data:c{nl}{nl}");
            assert_eq!(
                parse_all(input.as_bytes()),
                vec![ev("put", "a\nb"), ev("x", "c")],
                "line ending {nl:?}"
            );
        }
    }

    #[test]
    fn mixed_line_endings_in_one_stream_are_understood() {
        let events = parse_all(b"event: a\rdata: 1\r\n\ndata: 2\n\r");
        assert_eq!(events, vec![ev("a", "1"), ev("message", "2")]);
    }

    #[test]
    fn comments_and_heartbeats_are_ignored() {
        let events =
            parse_all(b":heartbeat\n\n: another\nevent: put\n:mid-event comment\ndata: {}\n\n");
        assert_eq!(events, vec![ev("put", "{}")]);
    }

    #[test]
    fn an_event_without_data_is_not_dispatched_and_its_name_is_forgotten() {
        let events = parse_all(b"event: put\n\ndata: x\n\n");
        assert_eq!(events, vec![ev("message", "x")]);
    }

    #[test]
    fn an_unterminated_last_event_is_not_dispatched() {
        let events = parse_all(b"event: put\ndata: {\"half\":");
        assert!(events.is_empty());
        let events = parse_all(b"event: put\ndata: {}\n");
        assert!(events.is_empty());
    }

    #[test]
    fn field_values_keep_all_but_one_leading_space_and_colons() {
        let events = parse_all(b"data:  two spaces: and colon\ndata\n\n");
        assert_eq!(events, vec![ev("message", " two spaces: and colon\n")]);
    }

    #[test]
    fn id_and_retry_fields_are_tracked() {
        let mut p = SseParser::new();
        let events = p
            .push(b"id: 42\nretry: 2500\nevent: put\ndata: x\n\n")
            .unwrap();
        assert_eq!(events[0].id.as_deref(), Some("42"));
        assert_eq!(p.last_event_id(), Some("42"));
        assert_eq!(p.retry(), Some(Duration::from_millis(2500)));
        // Invalid retry values and ids with NUL are ignored.
        let _ = p.push(b"retry: 12a\nid: a\0b\ndata: y\n\n").unwrap();
        assert_eq!(p.retry(), Some(Duration::from_millis(2500)));
        assert_eq!(p.last_event_id(), Some("42"));
    }

    #[test]
    fn unknown_fields_are_ignored_and_a_leading_bom_is_skipped() {
        let events = parse_all("\u{feff}event: put\nfoo: bar\ndata: 1\n\n".as_bytes());
        assert_eq!(events, vec![ev("put", "1")]);
    }

    #[test]
    fn an_event_split_at_every_byte_offset_parses_identically() {
        let inputs: [&[u8]; 3] = [
            b"event: put\r\ndata: {\"path\":\"/\",\r\ndata: \"data\":{}}\r\n\r\n:hb\r\nevent: patch\r\ndata: \xc3\xa9\r\n\r\n",
            b"event: a\rdata: 1\r\rdata: 2\r\r",
            b"id: 7\nevent: delete\ndata: {\"path\":\"/flags/x\",\"version\":3}\n\n",
        ];
        for input in inputs {
            let whole = parse_all(input);
            assert!(!whole.is_empty());
            for split in 0..=input.len() {
                let mut p = SseParser::new();
                let mut events = p.push(&input[..split]).unwrap();
                events.extend(p.push(&input[split..]).unwrap());
                assert_eq!(events, whole, "split at {split}");
            }
            // And one byte at a time.
            let mut p = SseParser::new();
            let mut events = Vec::new();
            for b in input {
                events.extend(p.push(std::slice::from_ref(b)).unwrap());
            }
            assert_eq!(events, whole);
        }
    }

    /// A cheap, deterministic stand-in for the cargo-fuzz target (which needs nightly):
    /// thousands of inputs made of SSE tokens and random bytes, parsed whole and in random
    /// pieces, must give the same events and never panic.
    #[test]
    fn random_token_soup_parses_the_same_however_it_is_split() {
        use rand::rngs::StdRng;
        use rand::{Rng, SeedableRng};
        const TOKENS: [&[u8]; 14] = [
            b"data:",
            b"data: ",
            b"event:",
            b"event: put",
            b"id: ",
            b"retry: ",
            b"retry: 12",
            b":",
            b"\r",
            b"\n",
            b"\r\n",
            b"{\"x\":1}",
            b"\xef\xbb\xbf",
            b"\xff",
        ];
        let mut rng = StdRng::seed_from_u64(0x5EE5);
        for _ in 0..3000 {
            let mut input = Vec::new();
            for _ in 0..rng.random_range(0..40) {
                if rng.random_bool(0.8) {
                    input.extend_from_slice(TOKENS[rng.random_range(0..TOKENS.len())]);
                } else {
                    input.push(rng.random());
                }
            }
            let whole = SseParser::new().push(&input).unwrap();
            let mut parser = SseParser::new();
            let mut pieces = Vec::new();
            let mut rest = &input[..];
            while !rest.is_empty() {
                let n = rng.random_range(1..=rest.len());
                pieces.extend(parser.push(&rest[..n]).unwrap());
                rest = &rest[n..];
            }
            assert_eq!(whole, pieces, "input {:?}", String::from_utf8_lossy(&input));
        }
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        let events = parse_all(b"data: a\xffb\n\n");
        assert_eq!(events[0].data, "a\u{fffd}b");
    }

    #[test]
    fn a_data_line_gathered_across_reads_becomes_the_data_with_invalid_utf8_replaced() {
        let mut p = SseParser::new();
        assert!(p.push(b"event: put\n").unwrap().is_empty());
        assert!(p.push(b"data: {\"a\":\"x\xff").unwrap().is_empty());
        assert!(p.push(b"y\"}").unwrap().is_empty());
        assert!(p.push(b"\ndata:second").unwrap().is_empty());
        let events = p.push(b"\n\n").unwrap();
        assert_eq!(events, [ev("put", "{\"a\":\"x\u{fffd}y\"}\nsecond")]);
        let mut p = SseParser::with_max_event_size(12);
        assert!(p.push(b"event: put\ndata: 0123").unwrap().is_empty());
        assert!(p.push(b"456789\n\n").is_err());
    }

    #[test]
    fn a_first_data_line_split_in_three_reads_at_any_two_offsets_parses_as_whole() {
        let input = b"event: put\ndata:  {\"k\": 1}\ndata: more\n\ndata:x\n\n";
        let whole = parse_all(input);
        for a in 0..input.len() {
            for b in a..input.len() {
                let mut p = SseParser::new();
                let mut events = p.push(&input[..a]).unwrap();
                events.extend(p.push(&input[a..b]).unwrap());
                events.extend(p.push(&input[b..]).unwrap());
                assert_eq!(events, whole, "split at {a} and {b}");
            }
        }
        assert_eq!(whole[0].data, " {\"k\": 1}\nmore");
    }

    #[test]
    fn oversized_events_are_refused() {
        let mut p = SseParser::with_max_event_size(16);
        assert!(p.push(b"data: 0123456789\n").is_ok());
        let err = p.push(b"data: 0123456789\n").unwrap_err();
        assert_eq!(err, SseError::EventTooLarge { limit: 16 });
        let mut p = SseParser::with_max_event_size(16);
        assert!(p.push(b"data: 01234567890123456789").is_err());
    }

    #[test]
    fn a_ten_megabyte_data_line_arrives_intact() {
        let payload = "x".repeat(10 * 1024 * 1024);
        let input = format!("event: put\ndata: {payload}\n\n");
        let mut p = SseParser::new();
        let mut events = Vec::new();
        for chunk in input.as_bytes().chunks(16 * 1024) {
            events.extend(p.push(chunk).unwrap());
        }
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].data.len(), payload.len());
    }
}
