//! A Redis persistent store configured through the harness's `persistence` object: daemon mode
//! reads what another process wrote; with a data source, the SDK writes its data to Redis.

mod support;

use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::mock_stream::MockStream;
use support::redis_server::RedisServer;
use support::service_process::ServiceProcess;

const WAIT: Duration = Duration::from_secs(10);

fn flag_json(key: &str, version: u64, value: &str) -> Value {
    json!({"key": key, "version": version, "on": true, "variations": [value, "other"],
           "fallthrough": {"variation": 0}, "offVariation": 1, "targets": [], "rules": [],
           "prerequisites": [], "salt": "s"})
}

fn evaluate(service: &ServiceProcess, client: &str) -> Value {
    let reply = service.call(
        "POST",
        client,
        Some(
            &json!({"command": "evaluate", "evaluate": {"flagKey": "flag-key",
            "context": {"kind": "user", "key": "u"}, "valueType": "string",
            "defaultValue": "default"}}),
        ),
    );
    serde_json::from_slice::<Value>(&reply.body).expect("JSON")["value"].clone()
}

fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn daemon_mode_serves_a_data_set_a_relay_proxy_wrote_to_redis() {
    let Some(redis) = RedisServer::start() else {
        eprintln!("skipped: redis-server is not installed");
        return;
    };
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(
            &json!({"tag": "daemon", "configuration": {"credential": "k",
            "persistence": {"store": {"type": "redis", "dsn": redis.url},
                            "cache": {"mode": "off"}}}}),
        ),
    );
    assert!(
        (200..300).contains(&created.status),
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let client = created.header("location").expect("Location").to_owned();
    assert_eq!(evaluate(&service, &client), json!("default"));

    // As the harness's daemon-mode tests do: flags written with no `$inited` marker are served.
    let flag = flag_json("flag-key", 100, "from-redis").to_string();
    assert_eq!(
        redis
            .command(&["HSET", "launchdarkly:features", "flag-key", &flag])
            .as_deref(),
        Some(":1")
    );
    eventually("the flag written to Redis is served", || {
        evaluate(&service, &client) == json!("from-redis")
    });
}

#[test]
fn streamed_data_is_written_to_redis_under_the_custom_prefix() {
    let Some(redis) = RedisServer::start() else {
        eprintln!("skipped: redis-server is not installed");
        return;
    };
    let flags = MockStream::start(json!({"path": "/", "data": {
        "flags": {"flag-key": flag_json("flag-key", 3, "streamed")}, "segments": {}}}));
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(
            &json!({"tag": "read-write", "configuration": {"credential": "k",
            "streaming": {"baseUri": flags.base_uri},
            "persistence": {"store": {"type": "redis", "dsn": redis.url, "prefix": "custom"},
                            "cache": {"mode": "ttl", "ttl": 1}}}}),
        ),
    );
    assert!(
        (200..300).contains(&created.status),
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let client = created.header("location").expect("Location").to_owned();
    assert_eq!(evaluate(&service, &client), json!("streamed"));
    eventually("the data set is in Redis", || {
        redis.command(&["EXISTS", "custom:$inited"]).as_deref() == Some(":1")
    });
    let stored: Value =
        serde_json::from_str(&redis.hget("custom:features", "flag-key").expect("stored"))
            .expect("JSON");
    assert_eq!(stored["version"], json!(3));
    assert_eq!(
        redis
            .command(&["EXISTS", "launchdarkly:features"])
            .as_deref(),
        Some(":0")
    );
}

#[test]
fn unsupported_store_types_are_refused() {
    let service = ServiceProcess::start();
    let created = service.call(
        "POST",
        "/",
        Some(
            &json!({"tag": "consul", "configuration": {"credential": "k",
            "persistence": {"store": {"type": "consul", "dsn": "http://127.0.0.1:1"},
                            "cache": {"mode": "off"}}}}),
        ),
    );
    assert_eq!(created.status, 400);
}
