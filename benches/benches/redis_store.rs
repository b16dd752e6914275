//! The Redis data store: evaluation against a warm cache next to the in-memory store (they
//! should cost the same: both evaluate a prepared, `Arc`-shared snapshot), and cold reads that
//! go to Redis (one flag; the whole 100-flag data set).
//!
//! Starts its own `redis-server` on a free loopback port; without the binary it prints a note
//! and measures nothing (CI only compiles benchmarks).

use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::Criterion;
use ld_eval::{Context, ContextBuilder, Evaluator};
use ld_store::redis::{RedisDataStore, RedisOptions};
use ld_store::{AllData, DataStore, InMemoryDataStore};

const FLAGS: usize = 100;
const FLAG: &str = "flag-50";

struct RedisProcess {
    child: Child,
    port: u16,
}

impl RedisProcess {
    fn start() -> Option<Self> {
        let port = TcpListener::bind("127.0.0.1:0")
            .ok()?
            .local_addr()
            .ok()?
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let server = Self { child, port };
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if server.ping() {
                return Some(server);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    fn ping(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut line = String::new();
        BufReader::new(stream).read_line(&mut line).is_ok() && line.starts_with("+PONG")
    }
}

impl Drop for RedisProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// 100 flags with a targeting list and two rules each, and one segment they all test.
fn data_set() -> AllData {
    let flags: Vec<String> = (0..FLAGS)
        .map(|i| {
            format!(
                r#""flag-{i}":{{"key":"flag-{i}","version":1,"on":true,"salt":"salt-{i}",
                "variations":[false,true],"offVariation":0,"fallthrough":{{"variation":0}},
                "targets":[{{"variation":1,"values":["a","b","c"]}}],
                "rules":[
                  {{"id":"r1","variation":1,"clauses":[{{"attribute":"email","op":"endsWith","values":["@example.com"]}}]}},
                  {{"id":"r2","variation":1,"clauses":[{{"attribute":"key","op":"segmentMatch","values":["beta"]}}]}}
                ]}}"#
            )
        })
        .collect();
    AllData::from_json(&format!(
        r#"{{"flags":{{{}}},"segments":{{"beta":{{"key":"beta","version":1,"included":["x","y"],"salt":"s"}}}}}}"#,
        flags.join(",")
    ))
    .expect("benchmark data parses")
}

fn context() -> Context {
    ContextBuilder::new("user-123")
        .set("email", serde_json::json!("someone@elsewhere.org"))
        .build()
        .expect("valid context")
}

fn evaluate(store: &dyn DataStore, ctx: &Context) -> Option<usize> {
    let snapshot = store.snapshot();
    let flag = snapshot.flag(FLAG)?;
    Evaluator::new(&*snapshot)
        .evaluate(flag, ctx)
        .variation_index
}

fn main() {
    let Some(redis) = RedisProcess::start() else {
        println!("note: redis-server is not available; skipping the Redis store benchmarks");
        return;
    };
    let mut criterion = Criterion::default().configure_from_args();
    let ctx = context();

    let memory = InMemoryDataStore::new();
    memory.init(data_set()).expect("in-memory init");
    let options = RedisOptions::new().url(format!("redis://127.0.0.1:{}", redis.port));
    let writer = RedisDataStore::builder(options.clone())
        .build()
        .expect("redis store");
    writer.init(data_set()).expect("redis init");
    // A separate reader, as in daemon mode: its cache is filled from Redis, default 15 s TTL.
    let warm = RedisDataStore::builder(options.clone())
        .build()
        .expect("redis store");
    assert!(warm.initialized());
    assert_eq!(evaluate(&warm, &ctx), evaluate(&memory, &ctx));

    let mut group = criterion.benchmark_group("redis_store/evaluate");
    group.bench_function("in_memory_store", |b| {
        b.iter(|| black_box(evaluate(&memory, black_box(&ctx))))
    });
    group.bench_function("redis_warm_cache", |b| {
        b.iter(|| black_box(evaluate(&warm, black_box(&ctx))))
    });
    group.finish();

    let cold = RedisDataStore::builder(options)
        .no_cache()
        .build()
        .expect("redis store");
    let mut group = criterion.benchmark_group("redis_store/cold_read");
    group.bench_function("one_flag", |b| {
        b.iter(|| {
            black_box(
                cold.fetch_flag(black_box(FLAG))
                    .expect("read")
                    .expect("present"),
            )
        })
    });
    group.bench_function("all_100_flags", |b| {
        b.iter(|| cold.refresh().expect("read"))
    });
    group.finish();

    criterion.final_summary();
}
