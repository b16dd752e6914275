//! Writer CPU time of streaming `put`s spaced a given time apart: how the in-memory store's
//! choice of who frees a replaced data set (the writer for back-to-back puts, the reclaimer
//! thread otherwise) plays out. Not a benchmark; its figures are in `benches/README.md`
//! ("Streaming put", session 9).
//!
//! `put_spacing [RUNS] [PAUSE_MS] [cold]` applies RUNS puts of 10,000 flags through
//! `apply_stream_event`, sleeping PAUSE_MS before each (untimed), and with `cold` first walks
//! 96 MiB of other memory, so that the replaced data set is out of cache as when puts are
//! minutes apart. Prints the median, fastest and slowest put in this thread's CPU time.

use std::sync::Arc;
use std::time::Duration;

use cpu_time::ThreadTime;
use ld_benches::put_fixture::{FLAGS, put_data};
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_store::{DataSourceUpdateSink, InMemoryDataStore};

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(20);
    let pause = Duration::from_millis(args.next().and_then(|n| n.parse().ok()).unwrap_or(0));
    let cold = args.next().is_some_and(|a| a == "cold");
    let data = put_data(FLAGS);
    let event = format!("event: put\ndata: {data}\n\n");
    let sink = DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new()));
    let mut other = vec![0u8; 96 << 20];
    let mut times = Vec::with_capacity(runs);
    for run in 0..runs.max(1) {
        std::thread::sleep(pause);
        if cold {
            for byte in other.iter_mut().step_by(64) {
                *byte = byte.wrapping_add(run as u8);
            }
            std::hint::black_box(&other);
        }
        let start = ThreadTime::now();
        let mut parser = SseParser::new();
        for chunk in event.as_bytes().chunks(64 * 1024) {
            for ev in parser.push(chunk).expect("within limits") {
                assert_eq!(apply_stream_event(&sink, &ev.event, &ev.data), Ok(true));
            }
        }
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let mib_s = event.len() as f64 / median.as_secs_f64() / (1 << 20) as f64;
    println!(
        "{} puts {} ms apart{}: median {:.1} ms ({mib_s:.0} MiB/s), fastest {:.1}, slowest {:.1}",
        times.len(),
        pause.as_millis(),
        if cold { ", caches flushed" } else { "" },
        median.as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3,
        times[times.len() - 1].as_secs_f64() * 1e3,
    );
}
