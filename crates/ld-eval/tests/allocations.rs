//! Evaluation performs zero heap allocations in the common path.
//!
//! This test binary installs `stats_alloc`'s counting allocator as the global allocator (safe code
//! on our side: the `unsafe impl GlobalAlloc` lives in that crate, so our `forbid(unsafe_code)`
//! stays intact). It holds a single test so that no other test allocates concurrently while a
//! region is being measured.

use std::alloc::System;

use ld_eval::{Context, Evaluator, Flag, MemoryData, Segment};
use serde_json::json;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn flag(v: serde_json::Value) -> Flag {
    serde_json::from_value(v).unwrap()
}

fn base(key: &str) -> serde_json::Value {
    json!({"key": key, "version": 1, "on": true, "salt": "salt", "variations": [false, true],
        "offVariation": 0, "fallthrough": {"variation": 1}})
}

fn clause(kind: &str, attr: &str, op: &str, values: serde_json::Value) -> serde_json::Value {
    json!({"contextKind": kind, "attribute": attr, "op": op, "values": values, "negate": false})
}

fn scenarios() -> (MemoryData, Vec<(&'static str, Flag)>) {
    let mut data = MemoryData::default();
    let mut flags = Vec::new();

    let mut off = base("off");
    off["on"] = json!(false);
    flags.push(("flag off", flag(off)));
    flags.push(("fallthrough", flag(base("fallthrough"))));

    let mut targets = base("targets");
    targets["targets"] = json!([{"values": (0..1000).map(|i| format!("user-{i}")).collect::<Vec<_>>(), "variation": 0}]);
    targets["contextTargets"] = json!([{"contextKind": "org", "values": ["acme"], "variation": 0},
        {"contextKind": "user", "values": [], "variation": 0}]);
    flags.push(("targets", flag(targets)));

    let mut rules = base("rules");
    rules["rules"] = json!([
        {"id": "r0", "variation": 0, "clauses": [
            clause("user", "email", "endsWith", json!(["@nowhere.test"])),
            clause("user", "age", "greaterThan", json!([100]))]},
        {"id": "r1", "variation": 0, "clauses": [
            clause("user", "version", "semVerGreaterThan", json!(["9.0.0-rc.1"]))]},
        {"id": "r2", "variation": 0, "clauses": [
            clause("user", "created", "before", json!(["2001-01-01T00:00:00Z", 978307200000i64]))]},
        {"id": "r3", "variation": 0, "clauses": [
            clause("user", "/address/city", "in", json!((0..20).map(|i| format!("city-{i}")).collect::<Vec<_>>()))]},
        {"id": "r4", "variation": 1, "clauses": [
            clause("user", "email", "matches", json!(["^[a-z0-9.-]+@example\\.com$"])),
            clause("org", "tier", "in", json!(["gold", "silver"])),
            clause("user", "kind", "in", json!(["user"]))]}
    ]);
    flags.push(("rules", flag(rules)));

    let mut rollout = base("rollout");
    rollout["fallthrough"] = json!({"rollout": {"variations": [
        {"variation": 0, "weight": 33333}, {"variation": 1, "weight": 33333}, {"variation": 0, "weight": 33334}]}});
    flags.push(("rollout", flag(rollout)));

    let mut experiment = base("experiment");
    experiment["fallthrough"] = json!({"rollout": {"kind": "experiment", "seed": 42, "contextKind": "org",
        "variations": [{"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000, "untracked": true}]}});
    flags.push(("experiment", flag(experiment)));

    let mut by_int = base("by-int");
    by_int["fallthrough"] = json!({"rollout": {"bucketBy": "age", "contextKind": "user",
        "variations": [{"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000}]}});
    flags.push(("bucket by integer attribute", flag(by_int)));

    data.insert_segment(serde_json::from_value::<Segment>(json!({
        "key": "big-list", "version": 1, "salt": "s",
        "included": (0..10_000).map(|i| format!("member-{i}")).collect::<Vec<_>>(),
        "rules": [
            {"id": "sr0", "clauses": [clause("user", "email", "startsWith", json!(["admin"]))]},
            {"id": "sr1", "clauses": [clause("user", "age", "lessThan", json!([0]))]},
            {"id": "sr2", "clauses": [clause("user", "key", "segmentMatch", json!(["nested"]))]},
            {"id": "sr3", "weight": 50000, "clauses": [clause("user", "anonymous", "in", json!([false]))]}
        ]})).unwrap());
    data.insert_segment(
        serde_json::from_value::<Segment>(json!({
        "key": "nested", "version": 1, "salt": "n", "excluded": ["nobody"], "rules": []}))
        .unwrap(),
    );
    let mut seg = base("segment");
    seg["rules"] = json!([{"id": "seg", "variation": 0, "clauses": [clause("user", "", "segmentMatch", json!(["big-list"]))]}]);
    flags.push(("segment match", flag(seg)));

    for i in 0..5 {
        let mut p = base(&format!("prereq-{i}"));
        if i < 4 {
            p["prerequisites"] = json!([{"key": format!("prereq-{}", i + 1), "variation": 1}]);
        }
        data.insert_flag(flag(p));
    }
    let mut chain = base("chain");
    chain["prerequisites"] = json!([{"key": "prereq-0", "variation": 1}]);
    flags.push(("prerequisite chain", flag(chain)));

    for (_, f) in &flags {
        data.insert_flag(f.clone());
    }
    (data, flags)
}

fn contexts() -> Vec<Context> {
    (0..50)
        .map(|i| {
            serde_json::from_value(json!({"kind": "multi",
                "user": {"key": format!("user-{}", i * 37), "email": format!("u{i}@example.com"),
                    "age": 20 + i, "version": format!("{}.{}.0", i % 12, i % 3),
                    "created": "2010-05-01T10:00:00+02:00", "address": {"city": format!("city-{}", i % 40)}},
                "org": {"key": format!("org-{i}"), "tier": if i % 2 == 0 { "gold" } else { "bronze" }}}))
            .unwrap()
        })
        .collect()
}

#[test]
fn evaluating_flags_allocates_nothing() {
    let (data, flags) = scenarios();
    let contexts = contexts();
    let evaluator = Evaluator::new(&data);
    // Warm up: the regex engine caches its scratch space per thread on first use.
    for (_, f) in &flags {
        for c in &contexts {
            std::hint::black_box(evaluator.evaluate(f, c));
        }
    }
    for (name, f) in &flags {
        let region = Region::new(GLOBAL);
        let mut served = 0usize;
        for c in &contexts {
            let d = evaluator.evaluate(f, c);
            served += usize::from(d.value.is_some());
            std::hint::black_box(&d);
        }
        let stats = region.change();
        assert_eq!(
            served,
            contexts.len(),
            "{name}: every evaluation serves a value"
        );
        assert_eq!(
            (stats.allocations, stats.reallocations),
            (0, 0),
            "{name}: evaluation allocated {} bytes",
            stats.bytes_allocated
        );
    }
    // And the counter does see allocations (the test can fail).
    let region = Region::new(GLOBAL);
    std::hint::black_box(format!("{}", contexts.len()));
    assert!(region.change().allocations > 0);
}
