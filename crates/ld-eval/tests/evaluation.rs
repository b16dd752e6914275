//! User-visible evaluation behaviour: reasons, error kinds, prerequisites, segments, big
//! segments, experiments, and the cases where the official crate deviates from LaunchDarkly's
//! specified behaviour (see `differential.rs`).

use std::cell::RefCell;

use ld_eval::{
    BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Context, ContextBuilder, Detail,
    ErrorKind, Evaluator, Flag, MAX_NESTING_DEPTH, MemoryData, MultiContextBuilder,
    PrerequisiteEvaluation, PrerequisiteRecorder, Reason, Segment, evaluate,
};
use serde_json::{Value, json};

/// The flag as the fast reader (`JsonCursor`) reads its JSON text, which must be the flag
/// serde reads (the fast reader may leave unusual data to serde, as its callers then do).
fn flag(v: Value) -> Flag {
    let text = v.to_string();
    let serde: Flag = serde_json::from_str(&text).expect("flag parses");
    match ld_eval::JsonCursor::new(&text).read_flag() {
        Ok(fast) => {
            assert_eq!(fast, serde);
            assert_eq!(
                serde_json::to_value(&fast).unwrap(),
                serde_json::to_value(&serde).unwrap()
            );
            fast
        }
        Err(_) => serde,
    }
}

/// The segment as the fast reader reads it (see [`flag`]).
fn segment(v: Value) -> Segment {
    let text = v.to_string();
    let serde: Segment = serde_json::from_str(&text).expect("segment parses");
    match ld_eval::JsonCursor::new(&text).read_segment() {
        Ok(fast) => {
            assert_eq!(fast, serde);
            fast
        }
        Err(_) => serde,
    }
}

fn base(key: &str) -> Value {
    json!({"key": key, "version": 1, "on": true, "salt": "salt",
        "variations": ["off", "on", "other"], "offVariation": 0, "fallthrough": {"variation": 1}})
}

fn user(key: &str) -> Context {
    ContextBuilder::new(key).build().unwrap()
}

fn reason_json(d: &Detail<'_>) -> Value {
    serde_json::to_value(&d.reason).unwrap()
}

#[test]
fn off_flag_serves_off_variation_or_nothing() {
    let data = MemoryData::default();
    let mut f = base("f");
    f["on"] = json!(false);
    let owned_flag = flag(f.clone());
    let d = evaluate(&data, &owned_flag, &user("u"));
    assert_eq!(
        (d.value, d.variation_index, d.reason),
        (Some(&json!("off")), Some(0), Reason::off())
    );
    f.as_object_mut().unwrap().remove("offVariation");
    let owned_flag = flag(f);
    let d = evaluate(&data, &owned_flag, &user("u"));
    assert_eq!(
        (d.value, d.variation_index, d.reason),
        (None, None, Reason::off())
    );
}

#[test]
fn out_of_range_variation_is_malformed_with_no_index() {
    // The official crate keeps the bad index in the detail; LaunchDarkly's spec gives none.
    let data = MemoryData::default();
    for (field, value) in [
        ("offVariation", json!(7)),
        ("fallthrough", json!({"variation": 3})),
        ("fallthrough", json!({"variation": -1})),
    ] {
        let mut f = base("f");
        f[field] = value;
        if field == "offVariation" {
            f["on"] = json!(false);
        }
        let owned_flag = flag(f);
        let d = evaluate(&data, &owned_flag, &user("u"));
        assert_eq!(d, Detail::error(ErrorKind::MalformedFlag), "{field}");
    }
}

#[test]
fn missing_fallthrough_and_empty_rollout_are_malformed() {
    let data = MemoryData::default();
    let mut f = base("f");
    f.as_object_mut().unwrap().remove("fallthrough");
    assert_eq!(
        evaluate(&data, &flag(f.clone()), &user("u")).reason.clone(),
        Reason::error(ErrorKind::MalformedFlag)
    );
    let mut f = base("f");
    f["fallthrough"] = json!({"rollout": {"variations": []}});
    assert_eq!(
        evaluate(&data, &flag(f.clone()), &user("u")).reason.clone(),
        Reason::error(ErrorKind::MalformedFlag)
    );
}

#[test]
fn invalid_attribute_reference_in_a_rule_is_malformed() {
    let data = MemoryData::default();
    let mut f = base("f");
    f["rules"] = json!([{"id": "r", "variation": 0, "clauses": [
        {"contextKind": "user", "attribute": "/a~2", "op": "in", "values": ["x"]}]}]);
    assert_eq!(
        evaluate(&data, &flag(f.clone()), &user("u")).reason.clone(),
        Reason::error(ErrorKind::MalformedFlag)
    );
}

#[test]
fn targets_and_context_targets_follow_launchdarkly_order() {
    let data = MemoryData::default();
    let mut f = base("f");
    f["targets"] =
        json!([{"values": ["alice"], "variation": 2}, {"values": ["bob"], "variation": 0}]);
    f["contextTargets"] = json!([
        {"contextKind": "org", "values": ["acme"], "variation": 0},
        {"contextKind": "user", "values": [], "variation": 2}
    ]);
    let f = flag(f);
    let d = evaluate(&data, &f, &user("alice"));
    assert_eq!(
        (d.value, d.reason.clone()),
        (Some(&json!("other")), Reason::target_match())
    );
    // "bob" is only in `targets` with variation 0, which has no user placeholder in contextTargets.
    assert_eq!(
        evaluate(&data, &f, &user("bob")).reason,
        Reason::fallthrough(false)
    );
    let org = ContextBuilder::new("acme").kind("org").build().unwrap();
    assert_eq!(evaluate(&data, &f, &org).variation_index, Some(0));
    let multi = MultiContextBuilder::new()
        .push(user("zed"))
        .push(org)
        .build()
        .unwrap();
    assert_eq!(evaluate(&data, &f, &multi).reason, Reason::target_match());
}

#[test]
fn rule_match_reports_index_and_id_and_omits_an_absent_id() {
    let data = MemoryData::default();
    let mut f = base("f");
    f["rules"] = json!([
        {"id": "first", "variation": 2, "clauses": [{"attribute": "name", "op": "in", "values": ["x"], "negate": false}]},
        {"variation": 0, "clauses": [{"contextKind": "user", "attribute": "/address/city", "op": "startsWith", "values": ["Os"]}]}
    ]);
    let f = flag(f);
    let c = ContextBuilder::new("u")
        .set("address", json!({"city": "Oslo"}))
        .build()
        .unwrap();
    let d = evaluate(&data, &f, &c);
    assert_eq!(
        reason_json(&d),
        json!({"kind": "RULE_MATCH", "ruleIndex": 1})
    );
    let c = ContextBuilder::new("u").name("x").build().unwrap();
    assert_eq!(
        reason_json(&evaluate(&data, &f, &c)),
        json!({"kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "first"})
    );
}

#[derive(Default)]
struct Recorder(RefCell<Vec<(String, String, Option<usize>)>>);

impl PrerequisiteRecorder for Recorder {
    fn record(&self, e: PrerequisiteEvaluation<'_>) {
        self.0.borrow_mut().push((
            e.prerequisite.key.to_string(),
            e.prerequisite_of.key.to_string(),
            e.detail.variation_index,
        ));
    }
}

#[test]
fn prerequisites_are_evaluated_recursively_and_reported_in_order() {
    let mut data = MemoryData::default();
    let mut a = base("a");
    a["prerequisites"] = json!([{"key": "b", "variation": 1}]);
    data.insert_flag(flag(a.clone()));
    data.insert_flag(flag(base("b")));
    let top_json = {
        let mut t = base("top");
        t["prerequisites"] = json!([{"key": "a", "variation": 1}, {"key": "b", "variation": 2}]);
        t
    };
    let top = flag(top_json);
    let recorder = Recorder::default();
    let d = Evaluator::new(&data)
        .with_prerequisite_recorder(&recorder)
        .evaluate(&top, &user("u"));
    assert_eq!(
        reason_json(&d),
        json!({"kind": "PREREQUISITE_FAILED", "prerequisiteKey": "b"})
    );
    assert_eq!(d.value, Some(&json!("off")));
    assert_eq!(
        *recorder.0.borrow(),
        vec![
            ("b".into(), "a".into(), Some(1)),
            ("a".into(), "top".into(), Some(1)),
            ("b".into(), "top".into(), Some(1)),
        ]
    );
}

#[test]
fn missing_deleted_or_off_prerequisites_fail() {
    let mut data = MemoryData::default();
    let mut off = base("off-prereq");
    off["on"] = json!(false);
    off["offVariation"] = json!(1); // serves the required variation, but is off
    data.insert_flag(flag(off));
    data.insert_flag(Flag::tombstone("deleted", 2));
    for key in ["missing", "deleted", "off-prereq"] {
        let mut f = base("f");
        f["prerequisites"] = json!([{"key": key, "variation": 1}]);
        let owned_flag = flag(f);
        let d = evaluate(&data, &owned_flag, &user("u"));
        assert_eq!(d.reason, Reason::prerequisite_failed(key.into()), "{key}");
    }
}

#[test]
fn prerequisite_cycles_are_malformed_not_a_stack_overflow() {
    let mut data = MemoryData::default();
    for (k, next) in [("x", "y"), ("y", "z"), ("z", "x"), ("self", "self")] {
        let mut f = base(k);
        f["prerequisites"] = json!([{"key": next, "variation": 1}]);
        data.insert_flag(flag(f));
    }
    for k in ["x", "self"] {
        let d = evaluate(&data, &data.flags[k], &user("u"));
        assert_eq!(d, Detail::error(ErrorKind::MalformedFlag), "{k}");
    }
}

#[test]
fn a_prerequisite_reached_twice_is_not_a_cycle() {
    // The official crate reports a false cycle here (its cycle set is not cleaned up when a
    // prerequisite fails early); LaunchDarkly only reports real cycles.
    let mut data = MemoryData::default();
    let mut shared = base("shared");
    shared["prerequisites"] = json!([{"key": "missing", "variation": 0}]);
    data.insert_flag(flag(shared));
    let mut top = base("top");
    top["prerequisites"] =
        json!([{"key": "shared", "variation": 0}, {"key": "shared", "variation": 0}]);
    let owned_flag = flag(top);
    let d = evaluate(&data, &owned_flag, &user("u"));
    assert_eq!(d.reason, Reason::fallthrough(false));
}

#[test]
fn very_deep_prerequisite_chains_stop_at_the_nesting_limit() {
    let mut data = MemoryData::default();
    let n = MAX_NESTING_DEPTH + 10;
    for i in 0..n {
        let mut f = base(&format!("p{i}"));
        if i + 1 < n {
            f["prerequisites"] = json!([{"key": format!("p{}", i + 1), "variation": 1}]);
        }
        data.insert_flag(flag(f));
    }
    let shallow = evaluate(&data, &data.flags[&format!("p{}", n - 20)], &user("u"));
    assert_eq!(shallow.reason, Reason::fallthrough(false));
    let deep = evaluate(&data, &data.flags["p0"], &user("u"));
    assert_eq!(deep.reason, Reason::error(ErrorKind::MalformedFlag));
}

fn segment_flag(segments: &[&str], negate: bool) -> Flag {
    let mut f = base("f");
    f["rules"] = json!([{"id": "seg", "variation": 2, "clauses": [
        {"attribute": "", "op": "segmentMatch", "values": segments, "negate": negate}]}]);
    flag(f)
}

#[test]
fn segments_include_exclude_and_rules() {
    let mut data = MemoryData::default();
    data.insert_segment(segment(json!({"key": "s", "version": 1, "salt": "x",
        "included": ["in"], "excluded": ["out", "in"],
        "includedContexts": [{"contextKind": "org", "values": ["acme"]}],
        "excludedContexts": [{"contextKind": "user", "values": ["ruled-out"]}],
        "rules": [{"id": "r", "clauses": [{"contextKind": "user", "attribute": "email",
            "op": "endsWith", "values": ["@example.com"], "negate": false}]}]})));
    let f = segment_flag(&["missing", "s"], false);
    let hit = |c: &Context| evaluate(&data, &f, c).variation_index == Some(2);
    assert!(hit(&user("in")));
    assert!(!hit(&user("out")));
    assert!(hit(&ContextBuilder::new("acme")
        .kind("org")
        .build()
        .unwrap()));
    assert!(hit(&ContextBuilder::new("r")
        .set("email", json!("a@example.com"))
        .build()
        .unwrap()));
    assert!(!hit(&ContextBuilder::new("ruled-out")
        .set("email", json!("a@example.com"))
        .build()
        .unwrap()));
    let negated = segment_flag(&["s"], true);
    assert_eq!(
        evaluate(&data, &negated, &user("nobody")).variation_index,
        Some(2)
    );
}

#[test]
fn segment_rule_weights_bucket_and_negative_weights_never_match() {
    // The official crate treats a negative weight as "no weight" (everyone matches); LaunchDarkly
    // buckets, and no bucket is below a negative share.
    let mut data = MemoryData::default();
    for (key, weight) in [
        ("none", json!(0)),
        ("all", json!(100000)),
        ("negative", json!(-1)),
        ("half", json!(50000)),
    ] {
        data.insert_segment(segment(json!({"key": key, "salt": "x", "rules": [{"weight": weight,
            "clauses": [{"attribute": "key", "op": "in", "values": ["a", "b", "c", "d", "e", "f", "g", "h"], "negate": true}]}]})));
    }
    let count = |seg: &str| {
        (0..200)
            .filter(|i| {
                evaluate(&data, &segment_flag(&[seg], false), &user(&format!("k{i}")))
                    .variation_index
                    == Some(2)
            })
            .count()
    };
    assert_eq!(count("none"), 0);
    assert_eq!(count("all"), 200);
    assert_eq!(count("negative"), 0);
    let half = count("half");
    assert!((70..130).contains(&half), "{half}");
}

#[test]
fn segment_cycles_are_malformed() {
    let mut data = MemoryData::default();
    for (k, next) in [("s1", "s2"), ("s2", "s1")] {
        data.insert_segment(segment(json!({"key": k, "rules": [{"clauses": [
            {"attribute": "", "op": "segmentMatch", "values": [next], "negate": false}]}]})));
    }
    let owned_flag = segment_flag(&["s1"], false);
    let d = evaluate(&data, &owned_flag, &user("u"));
    assert_eq!(d, Detail::error(ErrorKind::MalformedFlag));
}

struct Provider(Option<bool>, BigSegmentsStatus);

impl BigSegmentProvider for Provider {
    fn membership(&self, key: &str, segment: &Segment) -> BigSegmentAnswer {
        assert_eq!(ld_eval::big_segment_ref(segment), "big.g3");
        assert_eq!(key, "u");
        BigSegmentAnswer {
            membership: self.0,
            status: self.1,
        }
    }
}

#[test]
fn big_segments_without_a_provider_report_not_configured() {
    let mut data = MemoryData::default();
    data.insert_segment(segment(
        json!({"key": "big", "unbounded": true, "generation": 3, "included": ["u"]}),
    ));
    let owned_flag = segment_flag(&["big"], false);
    let d = evaluate(&data, &owned_flag, &user("u"));
    assert_eq!(
        reason_json(&d),
        json!({"kind": "FALLTHROUGH", "bigSegmentsStatus": "NOT_CONFIGURED"})
    );
}

#[test]
fn big_segment_membership_comes_from_the_provider_then_the_rules() {
    let mut data = MemoryData::default();
    data.insert_segment(segment(json!({"key": "big", "unbounded": true, "generation": 3,
        "rules": [{"clauses": [{"attribute": "name", "op": "in", "values": ["ruled"], "negate": false}]}]})));
    let f = segment_flag(&["big"], false);
    let eval = |p: &Provider, c: &Context| {
        Evaluator::new(&data)
            .with_big_segments(p)
            .evaluate(&f, c)
            .clone()
    };
    let d = eval(
        &Provider(Some(true), BigSegmentsStatus::Healthy),
        &user("u"),
    );
    assert_eq!(
        reason_json(&d),
        json!({"kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "seg", "bigSegmentsStatus": "HEALTHY"})
    );
    let d = eval(
        &Provider(Some(false), BigSegmentsStatus::Stale),
        &ContextBuilder::new("u").name("ruled").build().unwrap(),
    );
    assert_eq!(
        reason_json(&d),
        json!({"kind": "FALLTHROUGH", "bigSegmentsStatus": "STALE"})
    );
    let d = eval(
        &Provider(None, BigSegmentsStatus::Healthy),
        &ContextBuilder::new("u").name("ruled").build().unwrap(),
    );
    assert_eq!(d.variation_index, Some(2));
    // A context without the segment's kind is not a member, and the store is not asked.
    let org = ContextBuilder::new("u").kind("org").build().unwrap();
    let d = eval(&Provider(Some(true), BigSegmentsStatus::StoreError), &org);
    assert_eq!(d.reason, Reason::fallthrough(false));
}

#[test]
fn big_segment_without_generation_is_not_configured() {
    let mut data = MemoryData::default();
    data.insert_segment(segment(json!({"key": "big", "unbounded": true})));
    let p = Provider(Some(true), BigSegmentsStatus::Healthy);
    let owned_flag = segment_flag(&["big"], false);
    let d = Evaluator::new(&data)
        .with_big_segments(&p)
        .evaluate(&owned_flag, &user("u"));
    assert_eq!(
        d.reason.big_segments_status,
        Some(BigSegmentsStatus::NotConfigured)
    );
    assert_eq!(d.variation_index, Some(1));
}

#[test]
fn experiments_report_in_experiment_except_untracked_or_missing_kind() {
    let data = MemoryData::default();
    let mut f = base("exp");
    f["fallthrough"] = json!({"rollout": {"kind": "experiment", "bucketBy": "ignored", "variations": [
        {"variation": 0, "weight": 50000}, {"variation": 1, "weight": 50000, "untracked": true}]}});
    let f = flag(f);
    let mut seen = [false; 2];
    for i in 0..100 {
        let d = evaluate(&data, &f, &user(&format!("user-{i}")));
        let idx = d.variation_index.unwrap();
        seen[idx] = true;
        assert_eq!(d.reason, Reason::fallthrough(idx == 0), "user-{i}");
        assert_eq!(d.reason.is_in_experiment(), idx == 0);
    }
    assert_eq!(seen, [true, true]);
    let org = ContextBuilder::new("o").kind("org").build().unwrap();
    let d = evaluate(&data, &f, &org);
    assert_eq!(
        (d.variation_index, d.reason),
        (Some(0), Reason::fallthrough(false))
    );
}

#[test]
fn bucketing_matches_the_official_crate_for_keys_ints_floats_and_seeds() {
    use launchdarkly_server_sdk_evaluation as official;
    struct NoStore;
    impl official::Store for NoStore {
        fn flag(&self, _: &str) -> Option<official::Flag> {
            None
        }
        fn segment(&self, _: &str) -> Option<official::Segment> {
            None
        }
    }
    let data = MemoryData::default();
    let weights: Vec<Value> = (0..10)
        .map(|v| json!({"variation": v, "weight": 10000}))
        .collect();
    for (bucket_by, seed) in [
        (None, None),
        (Some("n"), None),
        (None, Some(-42)),
        (Some("n"), Some(7)),
    ] {
        let mut f = json!({"key": "hashKey", "version": 1, "on": true, "salt": "saltyA",
            "variations": (0..10).collect::<Vec<_>>(), "fallthrough": {"rollout": {"variations": weights}},
            "trackEvents": false, "trackEventsFallthrough": false, "prerequisites": [], "targets": [],
            "rules": [], "clientSide": false});
        if let Some(b) = bucket_by {
            f["fallthrough"]["rollout"]["bucketBy"] = json!(b);
        }
        if let Some(s) = seed {
            f["fallthrough"]["rollout"]["seed"] = json!(s);
        }
        let ours = flag(f.clone());
        let theirs: official::Flag = serde_json::from_value(f).unwrap();
        for i in 0..300i64 {
            let n = match i % 4 {
                0 => json!(i),
                1 => json!(i as f64 + 0.5),
                2 => json!(format!("s{i}")),
                _ => json!(-i),
            };
            let c = json!({"kind": "user", "key": format!("userKey{i}"), "n": n});
            let oc: Context = serde_json::from_value(c.clone()).unwrap();
            let tc: official::Context = serde_json::from_value(c).unwrap();
            let od = evaluate(&data, &ours, &oc);
            let td = official::evaluate(&NoStore, &theirs, &tc, None);
            assert_eq!(
                od.variation_index.map(|v| v as isize),
                td.variation_index,
                "{bucket_by:?} {seed:?} {i}"
            );
        }
    }
}

#[test]
fn a_realistic_launchdarkly_payload_parses_round_trips_and_is_accepted_by_the_official_crate() {
    let raw = json!({
        "key": "checkout-flow", "version": 42, "on": true, "deleted": false,
        "prerequisites": [{"key": "payments-enabled", "variation": 0}],
        "targets": [{"values": ["vip-1", "vip-2"], "variation": 1}],
        "contextTargets": [{"contextKind": "user", "values": [], "variation": 1},
                           {"contextKind": "org", "values": ["bigco"], "variation": 1}],
        "rules": [{"id": "5a1b", "trackEvents": true, "rollout": {"kind": "experiment", "seed": 9,
            "contextKind": "user", "variations": [{"variation": 0, "weight": 40000},
            {"variation": 1, "weight": 60000}]},
            "clauses": [{"contextKind": "user", "attribute": "/geo/country", "op": "in",
                "values": ["NO", "SE"], "negate": false},
                {"attribute": "version", "op": "semVerGreaterThan", "values": ["2.3"], "negate": false}]}],
        "fallthrough": {"variation": 0}, "offVariation": 0,
        "variations": [{"layout": "classic"}, {"layout": "new", "steps": 3}],
        "salt": "e3bd8bd7d4b04b9d9d1b8f9cdbf26d0e",
        "clientSide": true, "clientSideAvailability": {"usingMobileKey": false, "usingEnvironmentId": true},
        "trackEvents": false, "trackEventsFallthrough": true, "debugEventsUntilDate": 1700000000000u64,
        "samplingRatio": 10, "excludeFromSummaries": true, "migration": {"checkRatio": 5},
        "someFutureField": {"ignored": true}
    });
    let f = flag(raw.clone());
    assert!(f.using_environment_id() && !f.using_mobile_key());
    assert_eq!(
        (f.sampling_ratio, f.debug_events_until_date),
        (Some(10), Some(1_700_000_000_000))
    );
    let out = serde_json::to_value(&f).unwrap();
    assert!(out.get("someFutureField").is_none());
    assert_eq!(flag(out.clone()), f, "round trip");
    let mut expected = raw;
    expected.as_object_mut().unwrap().remove("someFutureField");
    assert_eq!(out, expected);
    let theirs: launchdarkly_server_sdk_evaluation::Flag = serde_json::from_value(out).unwrap();
    assert_eq!(theirs.version, 42);
}

#[test]
fn a_segment_payload_round_trips() {
    let raw = json!({"key": "beta", "version": 3, "included": ["a"], "excluded": ["b"],
        "includedContexts": [{"contextKind": "org", "values": ["o"]}], "excludedContexts": [],
        "rules": [{"id": "r", "clauses": [{"attribute": "email", "op": "endsWith", "values": ["@x"], "negate": false}],
            "weight": 25000, "bucketBy": "email"}],
        "salt": "s", "unbounded": true, "unboundedContextKind": "org", "generation": 4, "deleted": false});
    let s = segment(raw.clone());
    assert_eq!(serde_json::to_value(&s).unwrap(), raw);
}
