//! Fuzzes the SSE parser: it must never panic, and splitting the input at any point must not
//! change the events it produces.
#![no_main]

use ld_datasource_http::SseParser;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &[u8]| {
    let Some((&split_byte, data)) = input.split_first() else {
        return;
    };
    let whole = SseParser::with_max_event_size(1 << 20).push(data);
    let split = usize::from(split_byte) * data.len() / 255;
    let mut parser = SseParser::with_max_event_size(1 << 20);
    let pieces = parser.push(&data[..split]).and_then(|mut first| {
        first.extend(parser.push(&data[split..])?);
        Ok(first)
    });
    if let (Ok(whole), Ok(pieces)) = (whole, pieces) {
        assert_eq!(whole, pieces);
    }
});
