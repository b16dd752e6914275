//! A Redis outage is logged once when it starts and once when it ends, not once per operation.
//! (Its own test binary: it installs a global `tracing` subscriber that counts events.)
#![cfg(feature = "redis")]

mod redis_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ld_store::redis::{RedisDataStore, RedisOptions};
use ld_store::{AllData, DataStore, flag_from_json};
use redis_support::{RedisServer, wait_until};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

static ERRORS: AtomicUsize = AtomicUsize::new(0);
static RECOVERIES: AtomicUsize = AtomicUsize::new(0);

/// Counts ERROR events from the Redis store, and "available again" events.
struct Counter;

struct MessageContains(&'static str, bool);

impl tracing::field::Visit for MessageContains {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" && format!("{value:?}").contains(self.0) {
            self.1 = true;
        }
    }
}

impl Subscriber for Counter {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        metadata.target().starts_with("ld_store::redis")
    }
    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }
    fn record(&self, _: &Id, _: &Record<'_>) {}
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        if *event.metadata().level() == Level::ERROR {
            ERRORS.fetch_add(1, Ordering::SeqCst);
        }
        let mut visitor = MessageContains("available again", false);
        event.record(&mut visitor);
        if visitor.1 {
            RECOVERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

#[test]
fn each_outage_is_logged_once_however_many_operations_fail() {
    tracing::subscriber::set_global_default(Counter).expect("first subscriber in this binary");
    let mut server = RedisServer::start();
    let store = RedisDataStore::builder(
        RedisOptions::new()
            .url(server.url())
            .connect_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(5)),
    )
    .availability_poll_interval(Duration::from_millis(20))
    .build()
    .unwrap();
    store.init(AllData::default()).unwrap();
    assert_eq!(ERRORS.load(Ordering::SeqCst), 0);

    for outage in 1..=2 {
        server.stop();
        for v in 1..=20 {
            let flag = flag_from_json(&format!(r#"{{"key":"f","version":{v}}}"#)).unwrap();
            assert!(store.upsert_flag("f", flag).is_err());
            let _ = store.snapshot();
            let _ = store.initialized();
        }
        assert_eq!(
            ERRORS.load(Ordering::SeqCst),
            outage,
            "one error log for outage {outage}"
        );

        server.restart();
        assert!(wait_until(Duration::from_secs(10), || store
            .status()
            .available));
        assert_eq!(
            RECOVERIES.load(Ordering::SeqCst),
            outage,
            "one recovery log for outage {outage}"
        );
    }
}
