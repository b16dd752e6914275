//! Big segments end to end through the client: a flag whose rule references a big segment,
//! evaluated against a configured big segment store (an in-memory one here, real Redis with the
//! `redis` feature), with the reasons and store status an application sees.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ld_sdk::{
    BigSegmentMembership, BigSegmentStore, BigSegmentStoreError, BigSegmentStoreStatus,
    BigSegmentsConfig, BigSegmentsStatus, Client, Config, ContextBuilder, TestData,
    big_segment_context_hash,
};
use parking_lot::Mutex;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(5);

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
}

/// A big segment store in memory, standing in for the Relay Proxy's database.
#[derive(Default)]
struct MemoryBigSegments {
    members: Mutex<HashMap<String, BigSegmentMembership>>,
    last_up_to_date: Mutex<Option<u64>>,
    broken: AtomicBool,
    membership_queries: AtomicUsize,
}

impl MemoryBigSegments {
    fn synchronized_now() -> Arc<Self> {
        let store = Arc::new(Self::default());
        *store.last_up_to_date.lock() = Some(now_ms());
        store
    }

    fn include(&self, context_key: &str, segment_ref: &str) {
        self.members.lock().insert(
            big_segment_context_hash(context_key),
            BigSegmentMembership::from_refs([segment_ref], Vec::<String>::new()),
        );
    }
}

impl BigSegmentStore for MemoryBigSegments {
    fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(BigSegmentStoreError::new("the store is down"));
        }
        Ok(*self.last_up_to_date.lock())
    }

    fn get_membership(&self, hash: &str) -> Result<BigSegmentMembership, BigSegmentStoreError> {
        self.membership_queries.fetch_add(1, Ordering::SeqCst);
        if self.broken.load(Ordering::SeqCst) {
            return Err(BigSegmentStoreError::new("the store is down"));
        }
        Ok(self.members.lock().get(hash).cloned().unwrap_or_default())
    }
}

/// TestData with flag `beta-feature`: true for members of big segment `beta` (generation 2).
fn flag_data() -> TestData {
    let td = TestData::new();
    td.use_preconfigured_segment(json!({
        "key": "beta", "version": 1, "unbounded": true, "generation": 2,
        "included": ["listed-but-ignored"]
    }));
    td.use_preconfigured_flag(json!({
        "key": "beta-feature", "version": 1, "on": true, "variations": [false, true],
        "fallthrough": {"variation": 0}, "offVariation": 0, "salt": "s",
        "rules": [{"id": "in-beta", "variation": 1, "clauses": [
            {"attribute": "key", "op": "segmentMatch", "values": ["beta"], "negate": false}]}]
    }));
    td
}

fn client(td: &TestData, big_segments: Option<BigSegmentsConfig>) -> Client {
    let mut builder = Config::builder("sdk-key")
        .data_source(td)
        .send_events(false);
    if let Some(big) = big_segments {
        builder = builder.big_segments(big);
    }
    let client = Client::new(builder.build().unwrap()).unwrap();
    client.wait_for_initialization(WAIT).unwrap();
    client
}

fn user(key: &str) -> ld_sdk::Context {
    ContextBuilder::new(key).build().unwrap()
}

#[test]
fn a_member_of_a_big_segment_matches_the_rule_with_a_healthy_status() {
    let store = MemoryBigSegments::synchronized_now();
    store.include("alice", "beta.g2");
    let client = client(&flag_data(), Some(BigSegmentsConfig::shared(store.clone())));

    let alice = client.bool_variation_detail("beta-feature", &user("alice"), false);
    assert!(alice.value);
    assert_eq!(
        serde_json::to_value(&alice.reason).unwrap(),
        json!({"kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "in-beta", "bigSegmentsStatus": "HEALTHY"})
    );

    let bob = client.bool_variation_detail("beta-feature", &user("bob"), false);
    assert!(!bob.value);
    assert_eq!(
        bob.reason.big_segments_status,
        Some(BigSegmentsStatus::Healthy)
    );

    let listed = client.bool_variation("beta-feature", &user("listed-but-ignored"), true);
    assert!(!listed, "a big segment's own include list is not used");
    client.close();
}

#[test]
fn memberships_are_cached_per_context_between_evaluations() {
    let store = MemoryBigSegments::synchronized_now();
    store.include("alice", "beta.g2");
    let client = client(
        &flag_data(),
        Some(
            BigSegmentsConfig::shared(store.clone()).context_cache_time(Duration::from_secs(3600)),
        ),
    );
    for _ in 0..5 {
        assert!(client.bool_variation("beta-feature", &user("alice"), false));
    }
    assert_eq!(store.membership_queries.load(Ordering::SeqCst), 1);
    store.members.lock().clear();
    assert!(
        client.bool_variation("beta-feature", &user("alice"), false),
        "still the cached membership"
    );
}

#[test]
fn data_the_store_has_not_updated_recently_is_reported_stale() {
    let store = Arc::new(MemoryBigSegments::default()); // never synchronized
    store.include("alice", "beta.g2");
    let client = client(&flag_data(), Some(BigSegmentsConfig::shared(store)));
    let alice = client.bool_variation_detail("beta-feature", &user("alice"), false);
    assert!(alice.value, "stale data is still used");
    assert_eq!(
        alice.reason.big_segments_status,
        Some(BigSegmentsStatus::Stale)
    );
    assert_eq!(
        client.big_segment_store_status(),
        Some(BigSegmentStoreStatus {
            available: true,
            stale: true
        })
    );
}

#[test]
fn a_store_error_serves_the_fallthrough_with_store_error() {
    let store = MemoryBigSegments::synchronized_now();
    store.include("alice", "beta.g2");
    store.broken.store(true, Ordering::SeqCst);
    let client = client(&flag_data(), Some(BigSegmentsConfig::shared(store.clone())));
    let alice = client.bool_variation_detail("beta-feature", &user("alice"), false);
    assert!(!alice.value);
    assert_eq!(
        serde_json::to_value(&alice.reason).unwrap(),
        json!({"kind": "FALLTHROUGH", "bigSegmentsStatus": "STORE_ERROR"})
    );
    assert_eq!(
        client.big_segment_store_status(),
        Some(BigSegmentStoreStatus {
            available: false,
            stale: false
        })
    );
}

#[test]
fn without_a_big_segment_store_the_reason_says_not_configured() {
    let client = client(&flag_data(), None);
    let alice = client.bool_variation_detail("beta-feature", &user("alice"), false);
    assert!(!alice.value);
    assert_eq!(
        alice.reason.big_segments_status,
        Some(BigSegmentsStatus::NotConfigured)
    );
    assert_eq!(client.big_segment_store_status(), None);
    assert!(client.subscribe_big_segment_store_status().is_none());
}

#[test]
fn store_status_changes_reach_subscribers() {
    let store = MemoryBigSegments::synchronized_now();
    let client = client(
        &flag_data(),
        Some(
            BigSegmentsConfig::shared(store.clone())
                .status_poll_interval(Duration::from_millis(10)),
        ),
    );
    assert_eq!(
        client.big_segment_store_status(),
        Some(BigSegmentStoreStatus {
            available: true,
            stale: false
        })
    );
    let changes = client.subscribe_big_segment_store_status().unwrap();
    store.broken.store(true, Ordering::SeqCst);
    assert_eq!(
        changes.recv_timeout(WAIT).unwrap(),
        BigSegmentStoreStatus {
            available: false,
            stale: false
        }
    );
    store.broken.store(false, Ordering::SeqCst);
    assert_eq!(
        changes.recv_timeout(WAIT).unwrap(),
        BigSegmentStoreStatus {
            available: true,
            stale: false
        }
    );
    client.close();
}

// The redis-server process guard that ld-store's own Redis tests use.
#[cfg(feature = "redis")]
#[path = "../../ld-store/tests/redis_support/mod.rs"]
mod redis_support;

#[cfg(feature = "redis")]
mod redis {
    use super::redis_support::RedisServer;
    use super::*;
    use ld_sdk::redis::{RedisBigSegmentStore, RedisOptions};

    #[test]
    fn the_redis_store_serves_big_segments_written_by_the_relay_proxy() {
        let server = RedisServer::start();
        server.cmd(&[
            "SADD",
            &format!(
                "launchdarkly:big_segment_include:{}",
                big_segment_context_hash("alice")
            ),
            "beta.g2",
        ]);
        server.cmd(&[
            "SET",
            "launchdarkly:big_segments_synchronized_on",
            &now_ms().to_string(),
        ]);
        let store = RedisBigSegmentStore::new(
            RedisOptions::new()
                .url(server.url())
                .connect_timeout(Duration::from_secs(2)),
        )
        .unwrap();
        let client = client(&flag_data(), Some(BigSegmentsConfig::builder(store)));
        let alice = client.bool_variation_detail("beta-feature", &user("alice"), false);
        assert!(alice.value);
        assert_eq!(
            alice.reason.big_segments_status,
            Some(BigSegmentsStatus::Healthy)
        );
        assert!(!client.bool_variation("beta-feature", &user("bob"), true));
        assert_eq!(
            client.big_segment_store_status(),
            Some(BigSegmentStoreStatus {
                available: true,
                stale: false
            })
        );
    }
}
