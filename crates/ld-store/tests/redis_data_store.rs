//! `RedisDataStore` against real redis-server processes: persistence in the shared schema,
//! daemon mode, the read cache, racing writers, and outages (stop, serve from cache, restart,
//! recover).
#![cfg(feature = "redis")]

mod redis_support;

use std::sync::Arc;
use std::time::Duration;

use ld_store::redis::{CacheMode, RedisDataStore, RedisDataStoreBuilder, RedisOptions};
use ld_store::{AllData, DataStore, ItemDescriptor, flag_from_json, segment_from_json};
use redis_support::{RedisServer, wait_until};

const WAIT: Duration = Duration::from_secs(10);

fn builder(server: &RedisServer) -> RedisDataStoreBuilder {
    RedisDataStore::builder(
        RedisOptions::new()
            .url(server.url())
            .connect_timeout(Duration::from_secs(2))
            .response_timeout(Duration::from_secs(5)),
    )
    .availability_poll_interval(Duration::from_millis(20))
}

fn flag_json(key: &str, version: u64) -> String {
    format!(
        r#"{{"key":"{key}","version":{version},"on":true,"variations":[true,false],"fallthrough":{{"variation":0}},"offVariation":1,"salt":"s"}}"#
    )
}

fn flag(key: &str, version: u64) -> ItemDescriptor<ld_store::Flag> {
    flag_from_json(&flag_json(key, version)).unwrap()
}

fn data(flags: &[(&str, u64)]) -> AllData {
    let items: Vec<String> = flags
        .iter()
        .map(|(k, v)| format!(r#""{k}":{}"#, flag_json(k, *v)))
        .collect();
    AllData::from_json(&format!(
        r#"{{"flags":{{{}}},"segments":{{"seg":{{"key":"seg","version":3,"included":["u1"],"salt":"x"}}}}}}"#,
        items.join(",")
    ))
    .unwrap()
}

fn stored_version(server: &RedisServer, hash: &str, key: &str) -> Option<u64> {
    let json = server.command(&["HGET", hash, key]).ok()?;
    let value: serde_json::Value = serde_json::from_str(&json).ok()?;
    value["version"].as_u64()
}

fn cached_version(store: &RedisDataStore, key: &str) -> Option<u64> {
    store.snapshot().flag_descriptor(key).map(|d| d.version)
}

#[test]
fn init_persists_in_the_shared_schema_and_serves_from_the_cache() {
    let server = RedisServer::start();
    let store = builder(&server).build().unwrap();
    assert!(!store.initialized());
    store.init(data(&[("f1", 1), ("f2", 7)])).unwrap();

    assert!(store.initialized());
    assert_eq!(server.cmd(&["EXISTS", "launchdarkly:$inited"]), ":1");
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "f2"),
        Some(7)
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:segments", "seg"),
        Some(3)
    );
    let snapshot = store.snapshot();
    assert!(snapshot.flag("f1").is_some() && snapshot.segment("seg").is_some());
    assert!(snapshot.initialized());
}

#[test]
fn daemon_mode_evaluates_what_a_relay_proxy_wrote() {
    let server = RedisServer::start();
    let store = builder(&server).no_cache().build().unwrap();
    assert!(!store.initialized(), "nothing written yet");
    assert_eq!(store.snapshot().flags().count(), 0);

    server.cmd(&[
        "HSET",
        "launchdarkly:features",
        "relay-flag",
        &flag_json("relay-flag", 12),
    ]);
    server.cmd(&[
        "HSET",
        "launchdarkly:features",
        "deleted",
        r#"{"key":"deleted","version":4,"deleted":true}"#,
    ]);
    server.cmd(&[
        "HSET",
        "launchdarkly:segments",
        "seg",
        r#"{"key":"seg","version":2,"included":["u"],"salt":"y"}"#,
    ]);
    server.cmd(&["SET", "launchdarkly:$inited", ""]);

    assert!(store.initialized(), "$inited written by another process");
    let snapshot = store.snapshot();
    assert_eq!(
        snapshot.flag_descriptor("relay-flag").map(|d| d.version),
        Some(12)
    );
    assert!(snapshot.flag("deleted").is_none(), "tombstones are hidden");
    assert_eq!(
        snapshot.flag_descriptor("deleted").map(|d| d.version),
        Some(4)
    );
    assert!(snapshot.segment("seg").is_some());
    assert!(snapshot.initialized());
}

#[test]
fn what_this_store_writes_is_read_back_by_another_instance() {
    let server = RedisServer::start();
    let writer = builder(&server).build().unwrap();
    writer.init(data(&[("a", 1)])).unwrap();
    writer.upsert_flag("b", flag("b", 2)).unwrap();
    writer
        .upsert_segment(
            "seg",
            segment_from_json(r#"{"key":"seg","version":9,"deleted":true}"#).unwrap(),
        )
        .unwrap();

    let reader = builder(&server).build().unwrap();
    assert!(reader.initialized());
    let snapshot = reader.snapshot();
    assert!(snapshot.flag("a").is_some() && snapshot.flag("b").is_some());
    assert!(snapshot.segment("seg").is_none());
    assert_eq!(
        server.cmd(&["HGET", "launchdarkly:segments", "seg"]),
        r#"{"key":"seg","version":9,"deleted":true}"#,
        "deletes are stored as tombstones in the format other SDKs write"
    );
}

#[test]
fn a_ttl_cache_serves_cached_data_until_it_expires() {
    let server = RedisServer::start();
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 1)]);
    server.cmd(&["SET", "launchdarkly:$inited", ""]);

    let long = builder(&server)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    let short = builder(&server)
        .cache_ttl(Duration::from_millis(30))
        .build()
        .unwrap();
    assert_eq!(cached_version(&long, "f"), Some(1));
    assert_eq!(cached_version(&short, "f"), Some(1));

    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 2)]);
    assert_eq!(
        cached_version(&long, "f"),
        Some(1),
        "within the TTL nothing is re-read"
    );
    assert!(
        wait_until(WAIT, || cached_version(&short, "f") == Some(2)),
        "expired cache is refreshed"
    );
    long.refresh().unwrap();
    assert_eq!(cached_version(&long, "f"), Some(2), "explicit refresh");
}

#[test]
fn cache_forever_reads_redis_once() {
    let server = RedisServer::start();
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 1)]);
    server.cmd(&["SET", "launchdarkly:$inited", ""]);
    let store = builder(&server).cache_forever().build().unwrap();
    assert_eq!(cached_version(&store, "f"), Some(1));
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 2)]);
    assert_eq!(cached_version(&store, "f"), Some(1));
}

#[test]
fn no_cache_sees_every_change_immediately() {
    let server = RedisServer::start();
    let store = builder(&server).cache(CacheMode::Disabled).build().unwrap();
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 1)]);
    assert_eq!(cached_version(&store, "f"), Some(1));
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 2)]);
    assert_eq!(cached_version(&store, "f"), Some(2));
}

#[test]
fn an_older_upsert_is_refused_and_the_cache_follows_redis() {
    let server = RedisServer::start();
    let store = builder(&server)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    store.init(data(&[("f", 1)])).unwrap();
    // Another writer (a Relay Proxy) stores version 5 behind our back.
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 5)]);

    assert!(
        !store.upsert_flag("f", flag("f", 3)).unwrap(),
        "version 3 is older than Redis's 5"
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "f"),
        Some(5)
    );
    assert_eq!(
        cached_version(&store, "f"),
        Some(5),
        "cache updated from Redis"
    );
    assert!(store.upsert_flag("f", flag("f", 6)).unwrap());
    assert_eq!(cached_version(&store, "f"), Some(6));
}

#[test]
fn racing_sdk_instances_end_with_the_highest_version() {
    let server = RedisServer::start();
    let threads: Vec<_> = (0..4u64)
        .map(|w| {
            let store = builder(&server).build().unwrap();
            std::thread::spawn(move || {
                let mut versions: Vec<u64> = (1..=100).filter(|v| v % 4 == w).collect();
                if w % 2 == 1 {
                    versions.reverse();
                }
                for v in versions {
                    store
                        .upsert_flag("contested", flag("contested", v))
                        .unwrap();
                }
                store
            })
        })
        .collect();
    let stores: Vec<RedisDataStore> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "contested"),
        Some(100)
    );
    for store in &stores {
        assert_eq!(
            cached_version(store, "contested"),
            Some(100),
            "every cache converges on the winner"
        );
    }
}

#[test]
fn an_outage_serves_cached_data_and_retries_failed_writes() {
    let mut server = RedisServer::start();
    let store = builder(&server)
        .cache_ttl(Duration::from_secs(3600))
        .build()
        .unwrap();
    store.init(data(&[("f", 1), ("g", 1)])).unwrap();
    let status = store.subscribe_status();

    server.stop_keeping_data();
    assert_eq!(
        cached_version(&store, "f"),
        Some(1),
        "reads are served from the cache"
    );
    let err = store.upsert_flag("f", flag("f", 2)).unwrap_err();
    assert!(err.to_string().contains("Redis"), "{err}");
    assert!(!store.status().available);
    assert_eq!(
        status.recv_timeout(WAIT).map(|s| s.available),
        Ok(false),
        "subscribers hear of the outage"
    );
    assert_eq!(
        cached_version(&store, "f"),
        Some(2),
        "this process keeps the newest data it was given"
    );
    for _ in 0..50 {
        let _ = store.snapshot(); // never blocks or panics during the outage
    }

    server.restart();
    assert!(
        wait_until(WAIT, || store.status().available),
        "store recovers when Redis returns"
    );
    assert_eq!(
        status.recv_timeout(WAIT).map(|s| s.available),
        Ok(true),
        "and of its end"
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "f"),
        Some(2),
        "failed write retried"
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "g"),
        Some(1),
        "other data untouched"
    );
}

#[test]
fn cache_forever_writes_everything_back_when_redis_returns_empty() {
    let mut server = RedisServer::start();
    let store = builder(&server).cache_forever().build().unwrap();
    store.init(data(&[("f", 1), ("g", 4)])).unwrap();

    server.stop();
    assert!(store.upsert_flag("h", flag("h", 1)).is_err());
    assert!(store.snapshot().flag("g").is_some());

    server.restart(); // empty: the outage lost everything
    assert!(wait_until(WAIT, || store.status().available));
    assert_eq!(server.cmd(&["EXISTS", "launchdarkly:$inited"]), ":1");
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "g"),
        Some(4)
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "h"),
        Some(1)
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:segments", "seg"),
        Some(3)
    );
}

#[test]
fn an_init_during_an_outage_is_served_and_written_later() {
    let mut server = RedisServer::start();
    let store = builder(&server).build().unwrap();
    server.stop();
    assert!(store.init(data(&[("f", 3)])).is_err());
    assert!(store.initialized(), "the data set is served from the cache");
    assert_eq!(cached_version(&store, "f"), Some(3));
    server.restart();
    assert!(wait_until(WAIT, || store.status().available));
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "f"),
        Some(3)
    );
    assert_eq!(server.cmd(&["EXISTS", "launchdarkly:$inited"]), ":1");
}

#[test]
fn starting_while_redis_is_down_is_not_an_error() {
    let mut server = RedisServer::start();
    server.stop();
    // A short TTL: an empty Redis read just after it returns is trusted only this long.
    let store = builder(&server)
        .cache_ttl(Duration::from_millis(50))
        .build()
        .unwrap();
    assert!(!store.initialized());
    assert_eq!(store.snapshot().flags().count(), 0);
    assert!(!store.status().available);

    server.restart();
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 1)]);
    server.cmd(&["SET", "launchdarkly:$inited", ""]);
    assert!(wait_until(WAIT, || store.status().available));
    assert!(wait_until(WAIT, || store.initialized()
        && store.snapshot().flag("f").is_some()));
}

#[test]
fn a_malformed_item_in_redis_is_skipped_not_fatal() {
    let server = RedisServer::start();
    server.cmd(&["HSET", "launchdarkly:features", "bad", "{not json"]);
    server.cmd(&[
        "HSET",
        "launchdarkly:features",
        "good",
        &flag_json("good", 1),
    ]);
    let store = builder(&server).build().unwrap();
    let snapshot = store.snapshot();
    assert!(snapshot.flag("good").is_some());
    assert!(snapshot.flag("bad").is_none());
    assert!(store.status().available, "bad data is not an outage");
}

#[test]
fn fetch_flag_reads_one_flag_straight_from_redis() {
    let server = RedisServer::start();
    let store = builder(&server).cache_forever().build().unwrap();
    assert!(store.fetch_flag("f").unwrap().is_none());
    server.cmd(&["HSET", "launchdarkly:features", "f", &flag_json("f", 8)]);
    assert_eq!(store.fetch_flag("f").unwrap().map(|d| d.version), Some(8));
}

#[tokio::test(flavor = "current_thread")]
async fn the_store_works_from_inside_a_single_threaded_tokio_runtime() {
    let server = RedisServer::start();
    let store: Arc<dyn DataStore> = Arc::new(builder(&server).build().unwrap());
    store.init(data(&[("f", 1)])).unwrap();
    assert!(store.upsert_flag("f", flag("f", 2)).unwrap());
    assert!(store.initialized());
    assert!(store.flag("f").is_some());
    drop(store); // dropping inside a runtime must not panic
}

#[test]
fn a_daemon_sees_a_data_set_written_after_it_read_an_empty_redis_even_when_caching_forever() {
    let server = RedisServer::start();
    let store = builder(&server).cache_forever().build().unwrap();
    assert_eq!(
        store.snapshot().flags().count(),
        0,
        "Redis is empty at first"
    );
    assert!(!store.initialized());

    let relay = builder(&server).build().unwrap();
    relay.init(data(&[("f", 1)])).unwrap();
    assert!(
        wait_until(WAIT, || store.initialized()),
        "rechecked at most every second"
    );
    assert!(wait_until(WAIT, || store.snapshot().flag("f").is_some()));
}

#[test]
fn every_write_made_during_an_outage_lands_when_redis_returns() {
    let mut server = RedisServer::start();
    let store = builder(&server).build().unwrap();
    store.init(data(&[("f", 1), ("g", 1)])).unwrap();

    server.stop_keeping_data();
    for (key, version) in [("f", 2), ("f", 3), ("g", 5), ("new", 1), ("f", 2)] {
        assert!(store.upsert_flag(key, flag(key, version)).is_err());
    }
    assert!(
        store
            .upsert_segment(
                "seg",
                segment_from_json(r#"{"key":"seg","version":4,"deleted":true}"#).unwrap()
            )
            .is_err()
    );
    assert_eq!(
        cached_version(&store, "f"),
        Some(3),
        "an older write during the outage does not regress the cache"
    );

    server.restart();
    assert!(wait_until(WAIT, || store.status().available));
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "f"),
        Some(3)
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "g"),
        Some(5)
    );
    assert_eq!(
        stored_version(&server, "launchdarkly:features", "new"),
        Some(1)
    );
    assert_eq!(
        server.cmd(&["HGET", "launchdarkly:segments", "seg"]),
        r#"{"key":"seg","version":4,"deleted":true}"#
    );
}

#[test]
fn flags_written_in_the_relay_format_evaluate_like_the_in_memory_store() {
    let server = RedisServer::start();
    let flag = r#"{"key":"rollout","version":3,"on":true,"salt":"abc","variations":["off","on","other"],
        "offVariation":0,"fallthrough":{"variation":0},
        "rules":[{"id":"r1","variation":2,"clauses":[{"attribute":"key","op":"segmentMatch","values":["vips"]}]},
                 {"id":"r2","variation":1,"clauses":[{"attribute":"email","op":"endsWith","values":["@example.com"]}]}]}"#;
    let segment = r#"{"key":"vips","version":1,"included":["boss"],"salt":"s"}"#;
    server.cmd(&["HSET", "launchdarkly:features", "rollout", flag]);
    server.cmd(&["HSET", "launchdarkly:segments", "vips", segment]);
    server.cmd(&["SET", "launchdarkly:$inited", ""]);

    let redis = builder(&server).build().unwrap();
    let memory = ld_store::InMemoryDataStore::new();
    memory
        .init(
            AllData::from_json(&format!(
                r#"{{"flags":{{"rollout":{flag}}},"segments":{{"vips":{segment}}}}}"#
            ))
            .unwrap(),
        )
        .unwrap();

    let contexts = [
        ld_eval::ContextBuilder::new("boss").build().unwrap(),
        ld_eval::ContextBuilder::new("u1")
            .set("email", serde_json::json!("a@example.com"))
            .build()
            .unwrap(),
        ld_eval::ContextBuilder::new("u2").build().unwrap(),
    ];
    let expected = [Some(2), Some(1), Some(0)];
    for (ctx, want) in contexts.iter().zip(expected) {
        for store in [&redis as &dyn DataStore, &memory] {
            let snapshot = store.snapshot();
            let flag = snapshot.flag("rollout").unwrap();
            let detail = ld_eval::Evaluator::new(&*snapshot).evaluate(flag, ctx);
            assert_eq!(detail.variation_index, want, "context {}", ctx.key());
        }
    }

    // And the other way round: what this store writes is plain LaunchDarkly flag JSON.
    redis
        .upsert_flag(
            "rollout",
            flag_from_json(&flag.replace(r#""version":3"#, r#""version":4"#)).unwrap(),
        )
        .unwrap();
    let stored: serde_json::Value =
        serde_json::from_str(&server.cmd(&["HGET", "launchdarkly:features", "rollout"])).unwrap();
    assert_eq!(stored["key"], "rollout");
    assert_eq!(stored["version"], 4);
    assert_eq!(
        stored["variations"],
        serde_json::json!(["off", "on", "other"])
    );
    assert_eq!(stored["rules"][0]["clauses"][0]["op"], "segmentMatch");
}
