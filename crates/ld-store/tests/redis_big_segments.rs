//! The Redis big segment store against a real redis-server, with membership written the way the
//! Relay Proxy writes it, read raw and through the generic caching/status wrapper.
#![cfg(feature = "redis")]

mod redis_support;

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ld_eval::BigSegmentsStatus;
use ld_store::redis::{RedisBigSegmentStore, RedisOptions};
use ld_store::{
    BigSegmentStore, BigSegmentStoreStatus, BigSegmentStoreWrapper, BigSegmentsOptions,
    context_hash,
};
use redis_support::{RedisServer, wait_until};

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

fn raw_store(server: &RedisServer) -> RedisBigSegmentStore {
    RedisBigSegmentStore::new(
        RedisOptions::new()
            .url(server.url())
            .connect_timeout(Duration::from_secs(2)),
    )
    .unwrap()
}

fn options() -> BigSegmentsOptions {
    BigSegmentsOptions::default().status_poll_interval(Duration::from_millis(20))
}

fn wrapped(server: &RedisServer, options: BigSegmentsOptions) -> BigSegmentStoreWrapper {
    BigSegmentStoreWrapper::new(Arc::new(raw_store(server)), options).unwrap()
}

#[test]
fn membership_written_by_the_relay_proxy_is_read_and_healthy() {
    let server = RedisServer::start();
    let hash = context_hash("user-1");
    server.cmd(&[
        "SADD",
        &format!("launchdarkly:big_segment_include:{hash}"),
        "seg-a.g1",
        "seg-b.g3",
    ]);
    server.cmd(&[
        "SADD",
        &format!("launchdarkly:big_segment_exclude:{hash}"),
        "seg-c.g2",
        "seg-b.g3",
    ]);
    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &now_ms().to_string(),
    ]);

    let raw = raw_store(&server).get_membership(&hash).unwrap();
    assert_eq!(raw.check("seg-c.g2"), Some(false));
    assert!(raw_store(&server).get_metadata().unwrap().is_some());

    let store = wrapped(&server, options());
    let (membership, status) = store.query("user-1");
    assert_eq!(status, BigSegmentsStatus::Healthy);
    let m = membership.unwrap();
    assert_eq!(m.check("seg-a.g1"), Some(true));
    assert_eq!(m.check("seg-b.g3"), Some(true), "include wins over exclude");
    assert_eq!(m.check("seg-c.g2"), Some(false));
    assert_eq!(
        m.check("seg-a.g2"),
        None,
        "another generation is not a match"
    );

    let (other, _) = store.query("user-2");
    assert_eq!(other.unwrap().check("seg-a.g1"), None);
}

#[test]
fn data_never_synchronized_or_synchronized_long_ago_is_stale() {
    let server = RedisServer::start();
    let store = wrapped(&server, options().stale_after(Duration::from_secs(60)));
    assert!(wait_until(Duration::from_secs(5), || store
        .status()
        .available));
    assert!(store.status().stale, "no synchronized-on key at all");
    assert_eq!(store.query("u").1, BigSegmentsStatus::Stale);

    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &(now_ms() - 61_000).to_string(),
    ]);
    assert!(raw_store(&server).synchronized_on().unwrap().is_some());
    assert!(store.status().stale);

    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &now_ms().to_string(),
    ]);
    assert!(
        wait_until(Duration::from_secs(5), || !store.status().stale),
        "fresh sync clears staleness"
    );
    assert_eq!(store.query("u").1, BigSegmentsStatus::Healthy);
}

#[test]
fn memberships_are_cached_for_the_context_cache_time() {
    let server = RedisServer::start();
    let include = format!("launchdarkly:big_segment_include:{}", context_hash("u"));
    server.cmd(&["SADD", &include, "s.g1"]);
    let store = wrapped(
        &server,
        options().context_cache_time(Duration::from_secs(3600)),
    );
    assert_eq!(
        store.context_membership("u").unwrap().check("s.g1"),
        Some(true)
    );

    server.cmd(&["DEL", &include]);
    assert_eq!(
        store.context_membership("u").unwrap().check("s.g1"),
        Some(true),
        "served from cache"
    );
    store.clear_cache();
    assert_eq!(
        store.context_membership("u").unwrap().check("s.g1"),
        None,
        "re-read after the cache is cleared"
    );

    let uncached = wrapped(&server, options().context_cache_size(0));
    assert_eq!(
        uncached.context_membership("u").unwrap().check("s.g1"),
        None
    );
    server.cmd(&["SADD", &include, "s.g1"]);
    assert_eq!(
        uncached.context_membership("u").unwrap().check("s.g1"),
        Some(true),
        "no cache: always fresh"
    );
}

#[test]
fn an_outage_makes_queries_store_errors_and_the_status_unavailable() {
    let mut server = RedisServer::start();
    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &now_ms().to_string(),
    ]);
    let store = wrapped(&server, options().context_cache_size(0));
    assert!(wait_until(Duration::from_secs(5), || store
        .status()
        .available));

    server.stop();
    assert_eq!(store.query("u"), (None, BigSegmentsStatus::StoreError));
    assert!(wait_until(Duration::from_secs(5), || !store
        .status()
        .available));

    server.restart();
    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &now_ms().to_string(),
    ]);
    assert!(
        wait_until(Duration::from_secs(5), || store.status()
            == BigSegmentStoreStatus {
                available: true,
                stale: false
            }),
        "recovers when Redis returns"
    );
    assert_eq!(store.query("u").1, BigSegmentsStatus::Healthy);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_synchronous_api_works_from_inside_a_tokio_runtime() {
    let server = RedisServer::start();
    server.cmd(&[
        "SADD",
        &format!("launchdarkly:big_segment_include:{}", context_hash("u")),
        "s.g1",
    ]);
    let store = wrapped(&server, options());
    assert_eq!(
        store.context_membership("u").unwrap().check("s.g1"),
        Some(true)
    );
    drop(store); // dropping inside a runtime must not panic either
}

#[test]
fn the_evaluator_matches_a_big_segment_through_the_redis_store() {
    let server = RedisServer::start();
    server.cmd(&[
        "SADD",
        &format!("launchdarkly:big_segment_include:{}", context_hash("alice")),
        "beta.g3",
    ]);
    server.cmd(&[
        "SET",
        "launchdarkly:big_segments_synchronized_on",
        &now_ms().to_string(),
    ]);

    let mut data = ld_eval::MemoryData::default();
    data.insert_segment(
        serde_json::from_str(
            r#"{"key":"beta","version":1,"unbounded":true,"generation":3,"salt":"x"}"#,
        )
        .unwrap(),
    );
    let flag: ld_eval::Flag = serde_json::from_str(
        r#"{"key":"f","version":1,"on":true,"salt":"s","variations":[false,true],
            "fallthrough":{"variation":0},"offVariation":0,
            "rules":[{"id":"r","variation":1,"clauses":[{"attribute":"key","op":"segmentMatch","values":["beta"]}]}]}"#,
    )
    .unwrap();
    let store = wrapped(&server, options());
    let evaluator = ld_eval::Evaluator::new(&data).with_big_segments(&store);

    let alice = ld_eval::ContextBuilder::new("alice").build().unwrap();
    let d = evaluator.evaluate(&flag, &alice);
    assert_eq!(d.value, Some(&serde_json::json!(true)));
    assert_eq!(
        d.reason.big_segments_status,
        Some(BigSegmentsStatus::Healthy)
    );

    let bob = ld_eval::ContextBuilder::new("bob").build().unwrap();
    assert_eq!(
        evaluator.evaluate(&flag, &bob).value,
        Some(&serde_json::json!(false))
    );
}
