//! Where the streaming `put` path's time goes: the same 10,000-flag put read and applied
//! several ways, each timed in this thread's CPU time (median of RUNS, default 15).
//!
//! `put_stages [RUNS]` prints one line per stage:
//! - `parse+drop`: `AllData::from_json`, the result freed at once on this thread;
//! - `parse, keep one`: like a store: the previous data set is freed (on this thread) only after
//!   the next one was parsed;
//! - `parse, keep one, free elsewhere`: the same, the previous data set freed on another thread;
//! - `full path`: SSE framing, parse and apply through `apply_stream_event` (the store swap,
//!   the dependency graph), back to back, so the store has this thread free each replaced data
//!   set;
//! - `full path, settled`: the same with puts spaced (outside the timed part) by more than the
//!   store's burst interval, so the reclaimer thread frees the replaced data set, and has done
//!   so before the next put (as when puts are minutes apart).

use std::sync::Arc;
use std::time::Duration;

use cpu_time::ThreadTime;
use ld_benches::put_fixture::put_data;
use ld_datasource_http::{SseParser, apply_stream_event};
use ld_store::{AllData, DataSourceUpdateSink, DataStore, InMemoryDataStore};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn report(name: &str, bytes: usize, times: Vec<Duration>) {
    if times.is_empty() {
        return;
    }
    if std::env::var_os("PUT_STAGES_EACH").is_some() {
        let each: Vec<String> = times
            .iter()
            .map(|t| format!("{:.0}", t.as_secs_f64() * 1e3))
            .collect();
        println!("  each run (ms): {}", each.join(" "));
    }
    let m = median(times);
    println!(
        "{name:<34} {:>8.1} ms {:>7.1} MiB/s",
        m.as_secs_f64() * 1e3,
        bytes as f64 / m.as_secs_f64() / (1024.0 * 1024.0)
    );
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(15);
    // An optional stage number (1-5) runs only that stage, for profiling.
    let only: Option<usize> = std::env::args().nth(2).and_then(|n| n.parse().ok());
    let runs_of = |stage: usize| {
        if only.is_none_or(|o| o == stage) {
            runs
        } else {
            0
        }
    };
    let data = put_data(ld_benches::put_fixture::FLAGS);
    let event = format!("event: put\ndata: {data}\n\n");
    let inner = &data[data.find("\"data\":").expect("data") + 7..data.len() - 1];

    let times = (0..runs_of(1))
        .map(|_| {
            let t = ThreadTime::now();
            drop(std::hint::black_box(
                AllData::from_json(inner).expect("valid"),
            ));
            t.elapsed()
        })
        .collect();
    report("parse+drop", event.len(), times);

    let mut held = AllData::from_json(inner).expect("valid");
    let times = (0..runs_of(2))
        .map(|_| {
            let t = ThreadTime::now();
            let next = AllData::from_json(inner).expect("valid");
            drop(std::mem::replace(&mut held, next));
            t.elapsed()
        })
        .collect();
    report("parse, keep one", event.len(), times);

    let times = (0..runs_of(3))
        .map(|_| {
            let t = ThreadTime::now();
            let next = AllData::from_json(inner).expect("valid");
            let old = std::mem::replace(&mut held, next);
            let e = t.elapsed();
            std::thread::spawn(move || drop(old));
            e
        })
        .collect();
    report("parse, keep one, free elsewhere", event.len(), times);
    drop(held);

    if std::env::var_os("PUT_STAGES_PRELOAD").is_some() {
        // As the criterion bench's memory report does: three stores loaded, then dropped.
        let stores: Vec<InMemoryDataStore> = (0..3)
            .map(|_| {
                let s = InMemoryDataStore::new();
                s.init(AllData::from_json(inner).expect("valid"))
                    .expect("init");
                s
            })
            .collect();
        drop(stores);
    }
    let store = Arc::new(InMemoryDataStore::new());
    let sink = DataSourceUpdateSink::new(store.clone());
    let apply = || {
        let mut parser = SseParser::new();
        for chunk in event.as_bytes().chunks(64 * 1024) {
            for ev in parser.push(chunk).expect("within limits") {
                assert_eq!(apply_stream_event(&sink, &ev.event, &ev.data), Ok(true));
            }
        }
    };
    let times = (0..runs_of(4))
        .map(|_| {
            let t = ThreadTime::now();
            apply();
            let e = t.elapsed();
            if std::env::var_os("PUT_STAGES_EACH").is_some() {
                let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
                let rss: u64 = statm
                    .split_whitespace()
                    .nth(1)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(0);
                print!(
                    "{}MB/{:.0}ms ",
                    rss * 4096 / 1_000_000,
                    e.as_secs_f64() * 1e3
                );
            }
            e
        })
        .collect();
    report("full path", event.len(), times);

    let times = (0..runs_of(5))
        .map(|_| {
            let weak = {
                let snap = store.snapshot();
                let weak = Arc::downgrade(&snap);
                drop(snap);
                weak
            };
            let t = ThreadTime::now();
            apply();
            let e = t.elapsed();
            while weak.strong_count() > 0 {
                std::thread::sleep(Duration::from_millis(1));
            }
            // The count drops to zero before the data set is freed: give the reclaimer time
            // to finish.
            std::thread::sleep(Duration::from_millis(400));
            e
        })
        .collect();
    report("full path, settled", event.len(), times);
}
