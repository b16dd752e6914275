//! The ten evaluation scenarios of `benches/benches/eval.rs`, as LaunchDarkly JSON.
//!
//! Each scenario is one flag to evaluate (looked up by key), the other flags and segments it
//! needs, and 1,000 distinct contexts to cycle over. Every variation is a boolean so that "taking
//! the value out" costs the same for both evaluators.

use ld_eval::{Context, Flag, MemoryData, Segment};
use serde_json::{Value, json};

/// Number of distinct contexts each scenario cycles over.
pub const CONTEXTS: usize = 1_000;

/// One benchmark scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name, used as the criterion group name.
    pub name: &'static str,
    /// The speed-up over the official crate this scenario is expected to reach.
    pub target_ratio: f64,
    /// The key of the flag to evaluate.
    pub flag_key: &'static str,
    /// All flags (the evaluated one and its prerequisites).
    pub flags: Vec<Value>,
    /// All segments.
    pub segments: Vec<Value>,
    /// The contexts, in LaunchDarkly's context JSON.
    pub contexts: Vec<Value>,
}

impl Scenario {
    /// The scenario's flags and segments parsed into `ld_eval::MemoryData` (hash maps with
    /// `ld_eval::FastBuildHasher`): the bare evaluator's store.
    pub fn memory_data(&self) -> MemoryData {
        let mut data = MemoryData::default();
        for f in &self.flags {
            let f: Flag = serde_json::from_value(f.clone()).expect("valid flag");
            data.flags.insert(f.key.to_string(), f);
        }
        for v in &self.segments {
            let v: Segment = serde_json::from_value(v.clone()).expect("valid segment");
            data.segments.insert(v.key.clone(), v);
        }
        data
    }

    /// The scenario's contexts, parsed.
    pub fn parsed_contexts(&self) -> Vec<Context> {
        self.contexts
            .iter()
            .map(|c| serde_json::from_value(c.clone()).expect("valid context"))
            .collect()
    }
}

fn flag(key: &str) -> Value {
    json!({"key": key, "version": 1, "on": true, "salt": format!("{key}-salt"),
        "variations": [false, true], "offVariation": 0, "fallthrough": {"variation": 1},
        "prerequisites": [], "targets": [], "contextTargets": [], "rules": [],
        "trackEvents": false, "trackEventsFallthrough": false, "clientSide": false})
}

fn clause(attr: &str, op: &str, values: Value) -> Value {
    json!({"contextKind": "user", "attribute": attr, "op": op, "values": values, "negate": false})
}

fn rule(id: &str, variation: u32, clauses: Vec<Value>) -> Value {
    json!({"id": id, "variation": variation, "clauses": clauses, "trackEvents": false})
}

const COUNTRIES: [&str; 6] = ["no", "se", "dk", "fi", "de", "fr"];

fn user(i: usize) -> Value {
    json!({"kind": "user", "key": format!("user-{i}"), "name": format!("User {i}"),
        "email": format!("user.{i}@{}", if i.is_multiple_of(3) { "example.com" } else { "mail.test" }),
        "country": COUNTRIES[i % COUNTRIES.len()], "age": 18 + (i % 60),
        "appVersion": format!("{}.{}.{}", 1 + i % 4, i % 10, i % 7)})
}

fn users() -> Vec<Value> {
    (0..CONTEXTS).map(user).collect()
}

/// All ten scenarios.
pub fn scenarios() -> Vec<Scenario> {
    let mut out = Vec::new();

    let mut off = flag("flag-off");
    off["on"] = json!(false);
    out.push(Scenario {
        name: "flag_off",
        target_ratio: 10.0,
        flag_key: "flag-off",
        flags: vec![off],
        segments: vec![],
        contexts: users(),
    });

    out.push(Scenario {
        name: "fallthrough",
        target_ratio: 10.0,
        flag_key: "fallthrough",
        flags: vec![flag("fallthrough")],
        segments: vec![],
        contexts: users(),
    });

    let mut targets = flag("targets");
    // 1,000 targeted keys; the contexts are users 500..1500, so half are hits (spread over the
    // whole list) and half are misses.
    targets["targets"] = json!([{"values": (0..1000).map(|i| format!("user-{i}")).collect::<Vec<_>>(), "variation": 0}]);
    out.push(Scenario {
        name: "targets_1000",
        target_ratio: 300.0,
        flag_key: "targets",
        flags: vec![targets],
        segments: vec![],
        contexts: (500..500 + CONTEXTS).map(user).collect(),
    });

    let mut rules = flag("rules");
    let mut list = Vec::new();
    for r in 0..9 {
        // The first two clauses match everyone, the third never does.
        list.push(rule(
            &format!("rule-{r}"),
            0,
            vec![
                clause("country", "in", json!(COUNTRIES)),
                clause("age", "greaterThanOrEqual", json!([18])),
                clause("email", "endsWith", json!([format!("@nowhere-{r}.test")])),
            ],
        ));
    }
    list.push(rule(
        "rule-9",
        1,
        vec![
            clause("country", "in", json!(COUNTRIES)),
            clause("age", "greaterThanOrEqual", json!([18])),
            clause("name", "startsWith", json!(["User"])),
        ],
    ));
    rules["rules"] = Value::Array(list);
    out.push(Scenario {
        name: "rules_10x3_last_matches",
        target_ratio: 10.0,
        flag_key: "rules",
        flags: vec![rules],
        segments: vec![],
        contexts: users(),
    });

    let mut rollout = flag("rollout");
    rollout["fallthrough"] = json!({"rollout": {"variations": [
        {"variation": 0, "weight": 33333}, {"variation": 1, "weight": 33333}, {"variation": 0, "weight": 33334}]}});
    out.push(Scenario {
        name: "rollout_3way",
        target_ratio: 4.0,
        flag_key: "rollout",
        flags: vec![rollout],
        segments: vec![],
        contexts: users(),
    });

    let segment = json!({"key": "big-list", "version": 1, "salt": "seg-salt",
    "included": (0..10_000).map(|i| format!("member-{i}")).collect::<Vec<_>>(),
    "excluded": [], "includedContexts": [], "excludedContexts": [],
    "rules": [
        {"id": "s0", "clauses": [clause("email", "endsWith", json!(["@nowhere.test"]))]},
        {"id": "s1", "clauses": [clause("age", "lessThan", json!([0]))]},
        {"id": "s2", "clauses": [clause("country", "in", json!(["us"]))]},
        {"id": "s3", "clauses": [clause("name", "startsWith", json!(["Admin"]))]},
        {"id": "s4", "clauses": [clause("age", "greaterThanOrEqual", json!([18]))]}
    ]});
    let mut seg_flag = flag("segment");
    seg_flag["rules"] = json!([rule(
        "in-segment",
        0,
        vec![json!({"contextKind": "user", "attribute": "key",
        "op": "segmentMatch", "values": ["big-list"], "negate": false})]
    )]);
    out.push(Scenario {
        name: "segment_10k_miss_5_rules",
        target_ratio: 1000.0,
        flag_key: "segment",
        flags: vec![seg_flag],
        segments: vec![segment],
        contexts: users(),
    });

    let mut regex = flag("regex");
    regex["rules"] = json!([rule(
        "email",
        0,
        vec![clause(
            "email",
            "matches",
            json!(["^[a-z0-9._-]+@example\\.com$"])
        )]
    )]);
    out.push(Scenario {
        name: "regex_email",
        target_ratio: 100.0,
        flag_key: "regex",
        flags: vec![regex],
        segments: vec![],
        contexts: users(),
    });

    let mut chain = Vec::new();
    for i in 0..5 {
        let mut f = flag(&format!("prereq-{i}"));
        if i < 4 {
            f["prerequisites"] = json!([{"key": format!("prereq-{}", i + 1), "variation": 1}]);
        }
        chain.push(f);
    }
    let mut top = flag("chain");
    top["prerequisites"] = json!([{"key": "prereq-0", "variation": 1}]);
    chain.push(top);
    out.push(Scenario {
        name: "prerequisite_chain_5",
        target_ratio: 10.0,
        flag_key: "chain",
        flags: chain,
        segments: vec![],
        contexts: users(),
    });

    let mut semver = flag("semver");
    semver["rules"] = json!([rule(
        "new-app",
        0,
        vec![clause("appVersion", "semVerGreaterThan", json!(["2.5.0"]))]
    )]);
    out.push(Scenario {
        name: "semver_greater_than",
        target_ratio: 10.0,
        flag_key: "semver",
        flags: vec![semver],
        segments: vec![],
        contexts: users(),
    });

    let mut multi = flag("multi");
    multi["rules"] = json!([rule(
        "enterprise",
        0,
        vec![
            json!({"contextKind": "org", "attribute": "plan", "op": "in", "values": ["enterprise"], "negate": false}),
            clause("country", "in", json!(["no", "se"])),
        ]
    )]);
    let contexts = (0..CONTEXTS)
        .map(|i| {
            let mut u = user(i);
            u.as_object_mut().unwrap().remove("kind");
            json!({"kind": "multi", "user": u,
                "org": {"key": format!("org-{}", i % 97), "plan": if i.is_multiple_of(4) { "enterprise" } else { "team" }},
                "device": {"key": format!("device-{i}"), "os": "android"}})
        })
        .collect();
    out.push(Scenario {
        name: "multi_kind_rule",
        target_ratio: 10.0,
        flag_key: "multi",
        flags: vec![multi],
        segments: vec![],
        contexts,
    });

    out
}
