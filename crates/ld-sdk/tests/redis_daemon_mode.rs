//! Daemon mode end to end: one process (here a second `RedisDataStore`, standing in for the Relay
//! Proxy or another SDK instance) writes flags to a real `redis-server`; a client with no data
//! source of its own evaluates what it finds there and follows later writes through its cache.
#![cfg(feature = "redis")]

// The redis-server process guard that ld-store's own Redis tests use.
#[path = "../../ld-store/tests/redis_support/mod.rs"]
mod redis_support;

use std::sync::Arc;
use std::time::Duration;

use ld_sdk::redis::{RedisDataStore, RedisOptions};
use ld_sdk::{AllData, Client, Config, ContextBuilder, DataSourceConfig, DataStore, ErrorKind};
use redis_support::{RedisServer, wait_until};

const WAIT: Duration = Duration::from_secs(10);

fn options(server: &RedisServer) -> RedisOptions {
    RedisOptions::new()
        .url(server.url())
        .connect_timeout(Duration::from_secs(2))
        .response_timeout(Duration::from_secs(5))
}

fn colour_flag(version: u64, colour: &str) -> String {
    format!(
        r#"{{"key":"colour","version":{version},"on":true,"variations":["{colour}","grey"],
            "fallthrough":{{"variation":0}},"offVariation":1,"salt":"s"}}"#
    )
}

fn daemon_client(server: &RedisServer) -> Client {
    let store = RedisDataStore::builder(options(server))
        .cache_ttl(Duration::from_millis(50))
        .build()
        .expect("a Redis store for the client");
    let config = Config::builder("sdk-key-daemon")
        .data_source(DataSourceConfig::External)
        .data_store(Arc::new(store))
        .send_events(false)
        .build()
        .expect("a daemon-mode config");
    Client::new(config).expect("a client")
}

#[test]
fn a_daemon_mode_client_evaluates_what_another_process_wrote_and_follows_its_updates() {
    let server = RedisServer::start();
    let writer = RedisDataStore::builder(options(&server))
        .no_cache()
        .build()
        .expect("a writer store");
    let data = AllData::from_json(&format!(
        r#"{{"flags":{{"colour":{}}},"segments":{{}}}}"#,
        colour_flag(1, "blue")
    ))
    .expect("valid data");
    writer.init(data).expect("init through the writer");

    let client = daemon_client(&server);
    client
        .wait_for_initialization(WAIT)
        .expect("initialized from $inited");
    let user = ContextBuilder::new("user-1").build().unwrap();
    assert_eq!(client.string_variation("colour", &user, "default"), "blue");
    let missing = client.string_variation_detail("no-such-flag", &user, "default");
    assert_eq!(missing.value, "default");
    assert_eq!(missing.reason.error_kind(), Some(ErrorKind::FlagNotFound));

    let newer = ld_store::flag_from_json(&colour_flag(2, "green")).expect("valid flag");
    assert!(writer.upsert_flag("colour", newer).expect("upsert"));
    assert!(
        wait_until(WAIT, || client.string_variation("colour", &user, "default")
            == "green"),
        "the client's cache picks up the other process's write"
    );
    client.close();
}

#[test]
fn a_daemon_mode_client_serves_flags_written_without_the_inited_marker() {
    // The conformance harness (and a Relay Proxy mid-initialization) can leave flags in Redis
    // before `$inited` exists: as in LaunchDarkly's SDKs, daemon mode counts as initialized and
    // evaluates whatever the store holds.
    let server = RedisServer::start();
    server
        .command(&[
            "HSET",
            "launchdarkly:features",
            "colour",
            &colour_flag(3, "red"),
        ])
        .expect("HSET a flag");
    let client = daemon_client(&server);
    client
        .wait_for_initialization(WAIT)
        .expect("daemon mode is initialized");
    let user = ContextBuilder::new("user-1").build().unwrap();
    assert!(
        wait_until(WAIT, || client.string_variation("colour", &user, "default")
            == "red"),
        "the flag is served without $inited"
    );
    let missing = client.string_variation_detail("no-such-flag", &user, "default");
    assert_eq!(missing.reason.error_kind(), Some(ErrorKind::FlagNotFound));
    client.close();
}
