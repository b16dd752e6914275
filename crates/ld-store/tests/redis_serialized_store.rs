//! The Redis flag store at the serialized-item level against a real redis-server: the schema the
//! Relay Proxy and other LaunchDarkly SDKs use, atomic init, version-checked upserts.
#![cfg(feature = "redis")]

mod redis_support;

use std::time::Duration;

use ld_store::redis::{RedisOptions, SerializedRedisStore, parse_item, tombstone};
use ld_store::{DataKind, SerializedAllData, SerializedItem};
use redis_support::RedisServer;

fn store(server: &RedisServer, prefix: &str) -> SerializedRedisStore {
    SerializedRedisStore::new(&RedisOptions::new().url(server.url()).prefix(prefix)).unwrap()
}

fn flag(key: &str, version: u64) -> (String, SerializedItem) {
    let json =
        format!(r#"{{"key":"{key}","version":{version},"on":true,"variations":[true,false]}}"#);
    (key.to_owned(), parse_item(json).unwrap())
}

#[tokio::test]
async fn init_writes_the_relay_proxy_schema() {
    let server = RedisServer::start();
    let s = store(&server, "");
    let data = SerializedAllData {
        flags: vec![flag("f1", 3), ("gone".to_owned(), tombstone("gone", 7))],
        segments: vec![flag("s1", 2)],
    };
    s.init(&data).await.unwrap();

    assert_eq!(server.cmd(&["EXISTS", "launchdarkly:$inited"]), ":1");
    assert_eq!(
        server.cmd(&["HGET", "launchdarkly:features", "f1"]),
        data.flags[0].1.json
    );
    assert_eq!(
        server.cmd(&["HGET", "launchdarkly:features", "gone"]),
        r#"{"key":"gone","version":7,"deleted":true}"#
    );
    assert_eq!(
        server.cmd(&["HGET", "launchdarkly:segments", "s1"]),
        data.segments[0].1.json
    );
    assert_eq!(server.cmd(&["HLEN", "launchdarkly:features"]), ":2");
}

#[tokio::test]
async fn data_written_by_another_sdk_with_raw_commands_is_read() {
    let server = RedisServer::start();
    let relay_flag =
        r#"{"key":"relay-flag","version":12,"on":false,"variations":["a","b"],"offVariation":1}"#;
    server.cmd(&["HSET", "env1:features", "relay-flag", relay_flag]);
    server.cmd(&[
        "HSET",
        "env1:features",
        "deleted-flag",
        r#"{"key":"deleted-flag","version":4,"deleted":true}"#,
    ]);
    server.cmd(&[
        "HSET",
        "env1:segments",
        "seg",
        r#"{"key":"seg","version":1,"included":["u1"]}"#,
    ]);
    server.cmd(&["SET", "env1:$inited", ""]);

    let s = store(&server, "env1");
    assert!(s.is_initialized().await.unwrap());
    let got = s.get(DataKind::Flag, "relay-flag").await.unwrap().unwrap();
    assert_eq!(
        (got.version, got.deleted, got.json.as_str()),
        (12, false, relay_flag)
    );
    let tomb = s
        .get(DataKind::Flag, "deleted-flag")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((tomb.version, tomb.deleted), (4, true));
    assert_eq!(s.get(DataKind::Flag, "missing").await.unwrap(), None);

    let stored = s.get_data_set().await.unwrap();
    assert!(stored.malformed.is_empty() && stored.initialized);
    assert_eq!(stored.items.flags.len(), 2);
    assert_eq!(stored.items.segments.len(), 1);
    assert_eq!(stored.items.segments[0].1.version, 1);
}

#[tokio::test]
async fn a_store_is_not_initialized_until_inited_exists() {
    let server = RedisServer::start();
    let s = store(&server, "");
    assert!(!s.is_initialized().await.unwrap());
    server.cmd(&[
        "HSET",
        "launchdarkly:features",
        "f",
        r#"{"key":"f","version":1}"#,
    ]);
    assert!(
        !s.is_initialized().await.unwrap(),
        "items alone do not mean initialized"
    );
    s.init(&SerializedAllData::default()).await.unwrap();
    assert!(s.is_initialized().await.unwrap());
    assert_eq!(
        server.cmd(&["EXISTS", "launchdarkly:features"]),
        ":0",
        "empty init clears old items"
    );
}

#[tokio::test]
async fn init_replaces_every_previous_item() {
    let server = RedisServer::start();
    let s = store(&server, "");
    s.init(&SerializedAllData {
        flags: vec![flag("old", 1)],
        segments: vec![flag("old-seg", 1)],
    })
    .await
    .unwrap();
    s.init(&SerializedAllData {
        flags: vec![flag("new", 1)],
        segments: vec![],
    })
    .await
    .unwrap();
    assert_eq!(s.get(DataKind::Flag, "old").await.unwrap(), None);
    assert_eq!(s.get(DataKind::Segment, "old-seg").await.unwrap(), None);
    assert!(s.get(DataKind::Flag, "new").await.unwrap().is_some());
}

#[tokio::test]
async fn upsert_writes_only_newer_versions() {
    let server = RedisServer::start();
    let s = store(&server, "");
    assert!(
        s.upsert(DataKind::Flag, "f", &flag("f", 5).1)
            .await
            .unwrap(),
        "absent → written"
    );
    assert!(
        !s.upsert(DataKind::Flag, "f", &flag("f", 5).1)
            .await
            .unwrap(),
        "same version → ignored"
    );
    assert!(
        !s.upsert(DataKind::Flag, "f", &flag("f", 4).1)
            .await
            .unwrap(),
        "older → ignored"
    );
    assert!(
        s.upsert(DataKind::Flag, "f", &tombstone("f", 6))
            .await
            .unwrap()
    );
    assert!(
        !s.upsert(DataKind::Flag, "f", &flag("f", 6).1)
            .await
            .unwrap(),
        "no resurrection at same version"
    );
    let stored = s.get(DataKind::Flag, "f").await.unwrap().unwrap();
    assert_eq!((stored.version, stored.deleted), (6, true));
    assert!(
        s.upsert(DataKind::Flag, "f", &flag("f", 7).1)
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn upsert_replaces_an_unparseable_stored_item() {
    let server = RedisServer::start();
    server.cmd(&["HSET", "launchdarkly:segments", "s", "{garbage"]);
    let s = store(&server, "");
    assert!(
        s.get(DataKind::Segment, "s").await.is_err(),
        "malformed item is an error, not a panic"
    );
    assert!(
        s.upsert(DataKind::Segment, "s", &flag("s", 1).1)
            .await
            .unwrap()
    );
    assert_eq!(
        s.get(DataKind::Segment, "s")
            .await
            .unwrap()
            .unwrap()
            .version,
        1
    );
}

#[tokio::test]
async fn a_malformed_item_does_not_hide_the_others() {
    let server = RedisServer::start();
    server.cmd(&["HSET", "launchdarkly:features", "bad", "not json"]);
    server.cmd(&[
        "HSET",
        "launchdarkly:features",
        "good",
        r#"{"key":"good","version":2}"#,
    ]);
    let s = store(&server, "");
    let stored = s.get_data_set().await.unwrap();
    assert!(!stored.initialized);
    assert_eq!(stored.items.flags.len(), 1);
    assert_eq!(stored.items.flags[0].0, "good");
    assert_eq!(stored.malformed.len(), 1);
    assert!(stored.malformed[0].to_string().contains("bad"));
}

#[tokio::test]
async fn prefixes_keep_environments_apart() {
    let server = RedisServer::start();
    let a = store(&server, "env-a");
    let b = store(&server, "env-b");
    a.init(&SerializedAllData {
        flags: vec![flag("only-a", 1)],
        segments: vec![],
    })
    .await
    .unwrap();
    assert!(!b.is_initialized().await.unwrap());
    assert_eq!(b.get(DataKind::Flag, "only-a").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn racing_writers_end_with_the_highest_version() {
    let server = RedisServer::start();
    // Several independent stores (separate connections, like separate SDK instances), each
    // writing an interleaved share of versions 1..=200 for the same two flags.
    let writers = 5u64;
    let mut tasks = Vec::new();
    for w in 0..writers {
        let s = store(&server, "");
        tasks.push(tokio::spawn(async move {
            let mut versions: Vec<u64> = (1..=200).filter(|v| v % writers == w).collect();
            if w % 2 == 0 {
                versions.reverse(); // some writers go high-to-low, so stale writes really race
            }
            for v in versions {
                for key in ["hot", "warm"] {
                    s.upsert(DataKind::Flag, key, &flag(key, v).1)
                        .await
                        .unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let s = store(&server, "");
    for key in ["hot", "warm"] {
        assert_eq!(
            s.get(DataKind::Flag, key).await.unwrap().unwrap().version,
            200,
            "{key}"
        );
    }
}

#[tokio::test]
async fn an_unreachable_redis_is_reported_as_unavailable() {
    let mut server = RedisServer::start();
    let url = server.url();
    server.stop();
    let s = SerializedRedisStore::new(
        &RedisOptions::new()
            .url(url)
            .connect_timeout(Duration::from_secs(2)),
    )
    .unwrap();
    let err = s.is_initialized().await.unwrap_err();
    assert!(err.is_unavailable(), "{err}");
    assert!(!s.is_available().await);
}

#[test]
fn a_bad_url_is_rejected_without_echoing_the_password() {
    let err =
        SerializedRedisStore::new(&RedisOptions::new().url("http://:hunter2@host")).unwrap_err();
    let text = err.to_string();
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn the_generic_persistent_store_seam_works_over_redis() {
    use ld_store::redis::RedisPersistentStore;
    use ld_store::{AllData, DataStore, PersistentDataStoreWrapper};

    let server = RedisServer::start();
    let options = RedisOptions::new().url(server.url());
    let writer = PersistentDataStoreWrapper::new(RedisPersistentStore::new(&options).unwrap());
    writer
        .init(
            AllData::from_json(
                r#"{"flags":{"f":{"key":"f","version":4,"on":false,"variations":[1]}}}"#,
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(server.cmd(&["EXISTS", "launchdarkly:$inited"]), ":1");

    let reader = PersistentDataStoreWrapper::new(RedisPersistentStore::new(&options).unwrap());
    assert!(reader.initialized());
    reader.refresh().unwrap();
    assert_eq!(
        reader.snapshot().flag_descriptor("f").map(|d| d.version),
        Some(4)
    );
}
