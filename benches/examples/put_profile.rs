//! A driver for profiling the streaming `put` path under `valgrind --tool=callgrind` (which
//! counts instructions, so the figures are repeatable on a busy machine).
//!
//! `put_profile [STAGE] [FLAGS] [RUNS]` builds the realistic put of FLAGS flags (default 10,000),
//! then runs STAGE RUNS times (default 2; each run after the first also frees the previous
//! run's data, as a real put does): `value` (plain `serde_json::Value` parse), `parse`
//! (`AllData::from_json`), or `apply` (the default: SSE framing, parse and store swap through
//! `apply_stream_event`). With RUNS 0 only the fixture is built, which gives its own cost.

use std::sync::Arc;

use ld_benches::put_fixture::put_data;
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_store::{AllData, DataSourceUpdateSink, InMemoryDataStore};

fn main() {
    let mut args = std::env::args().skip(1);
    let stage = args.next().unwrap_or_else(|| "apply".into());
    let flags = args.next().and_then(|n| n.parse().ok()).unwrap_or(10_000);
    let runs = args.next().and_then(|n| n.parse().ok()).unwrap_or(2);
    let data = put_data(flags);
    let event = format!("event: put\ndata: {data}\n\n");
    let inner = &data[data.find("\"data\":").expect("data") + 7..data.len() - 1];
    let store = Arc::new(InMemoryDataStore::new());
    let sink = DataSourceUpdateSink::new(store);
    for _ in 0..runs {
        match stage.as_str() {
            "value" => {
                std::hint::black_box(
                    serde_json::from_str::<serde_json::Value>(&data).expect("json"),
                );
            }
            "parse" => {
                std::hint::black_box(AllData::from_json(inner).expect("valid"));
            }
            _ => {
                let mut parser = SseParser::new();
                for chunk in event.as_bytes().chunks(64 * 1024) {
                    for ev in parser.push(chunk).expect("within limits") {
                        assert_eq!(apply_stream_event(&sink, &ev.event, &ev.data), Ok(true));
                    }
                }
            }
        }
    }
}
