//! What gets recorded for evaluations, `track` and `identify`, observed in the payloads a real
//! HTTP server on 127.0.0.1 receives: summaries, index events and the context-key LRU, feature,
//! debug and prerequisite events, reasons, sampling, summary exclusion, redaction,
//! omit-anonymous-contexts, and summary counts under concurrent evaluation.

mod support;

use std::time::Duration;

use ld_eval::{
    Context, ContextBuilder, Detail, ErrorKind, Evaluator, Flag, MemoryData, MultiContextBuilder,
    Reason,
};
use ld_events::{EventProcessor, EventsConfig, PrerequisiteEvents, ThreadTally};
use serde_json::{Value, json};
use support::{RecordingServer, http_sender, runtime, without_dates};

const WAIT: Duration = Duration::from_secs(5);

struct Harness {
    _rt: tokio::runtime::Runtime,
    server: RecordingServer,
    events: EventProcessor,
    payloads: usize,
}

impl Harness {
    fn new(configure: impl FnOnce(&mut EventsConfig)) -> Self {
        let rt = runtime();
        let server = RecordingServer::start(&rt);
        let mut c = EventsConfig::new("sdk-key");
        c.events_base_uri = server.base_uri();
        c.flush_interval = Duration::from_secs(3600);
        configure(&mut c);
        let events = EventProcessor::new(c, http_sender(), rt.handle());
        Self {
            _rt: rt,
            server,
            events,
            payloads: 0,
        }
    }

    /// Flushes and returns the next payload's events with dates zeroed.
    fn payload(&mut self) -> Vec<Value> {
        assert!(self.events.flush_and_wait(WAIT));
        self.payloads += 1;
        let requests = self.server.wait_for("/bulk", self.payloads, WAIT);
        assert_eq!(requests.len(), self.payloads, "expected a payload");
        match without_dates(requests[self.payloads - 1].json()) {
            Value::Array(events) => events,
            other => panic!("{other}"),
        }
    }
}

fn flag(extra: Value) -> Flag {
    let mut base = json!({
        "key": "flag", "version": 3, "on": true, "salt": "s",
        "variations": ["a", "b"], "fallthrough": {"variation": 1}, "offVariation": 0
    });
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    serde_json::from_value(base).unwrap()
}

fn user(key: &str) -> Context {
    ContextBuilder::new(key).build().unwrap()
}

fn kinds(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect()
}

fn eval<'f>(flag: &'f Flag, context: &Context) -> Detail<'f> {
    ld_eval::evaluate(&MemoryData::default(), flag, context)
}

/// Evaluates `flag` for `context` and records it (no reasons, no prerequisite of), `times` times.
fn record_times(h: &Harness, flag: &Flag, context: &Context, default: &Value, times: usize) {
    for _ in 0..times {
        h.events.record_evaluation(
            &flag.key,
            Some(flag),
            context,
            &eval(flag, context),
            default,
            false,
            None,
        );
    }
}

#[test]
fn summary_counts_every_evaluation_and_index_comes_once_per_context() {
    let mut h = Harness::new(|_| {});
    let f = flag(json!({}));
    let default = json!("dflt");
    for key in ["u1", "u1", "u2", "u1"] {
        let c = user(key);
        h.events
            .record_evaluation("flag", Some(&f), &c, &eval(&f, &c), &default, false, None);
    }
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "index", "summary"]);
    assert_eq!(events[0]["context"], json!({"kind": "user", "key": "u1"}));
    assert_eq!(events[1]["context"]["key"], "u2");
    assert_eq!(
        events[2],
        json!({"kind": "summary", "startDate": 0, "endDate": 0, "features": {"flag": {
            "default": "dflt",
            "counters": [{"variation": 1, "version": 3, "value": "b", "count": 4}],
            "contextKinds": ["user"]
        }}})
    );

    // Counters restart with each payload; contexts stay known.
    let c = user("u2");
    h.events
        .record_evaluation("flag", Some(&f), &c, &eval(&f, &c), &default, false, None);
    let events = h.payload();
    assert_eq!(kinds(&events), ["summary"]);
    assert_eq!(events[0]["features"]["flag"]["counters"][0]["count"], 1);
}

#[test]
fn contexts_sharing_a_fully_qualified_key_are_summarized_with_their_own_kinds() {
    // A user keyed `org:acme` and an org keyed `acme` have the same fully-qualified key, so the
    // context-key cache (and a thread's recent contexts) treat them as one context; the summary
    // must still credit each evaluation to its own context kinds.
    let mut h = Harness::new(|_| {});
    let f = flag(json!({}));
    let default = json!("dflt");
    let org = ContextBuilder::new("acme").kind("org").build().unwrap();
    let colon_user = user("org:acme");
    assert_eq!(org.fully_qualified_key(), colon_user.fully_qualified_key());
    for c in [&org, &colon_user, &org, &colon_user] {
        h.events
            .record_evaluation("flag", Some(&f), c, &eval(&f, c), &default, false, None);
    }
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "summary"]);
    assert_eq!(
        events[1]["features"]["flag"]["contextKinds"],
        json!(["org", "user"])
    );
    assert_eq!(events[1]["features"]["flag"]["counters"][0]["count"], 4);

    // Both cells are known now; a window with only the user must report only `user`, and one
    // with only the org only `org`.
    record_times(&h, &f, &colon_user, &default, 3);
    let events = h.payload();
    assert_eq!(
        events[0]["features"]["flag"]["contextKinds"],
        json!(["user"])
    );
    assert_eq!(events[0]["features"]["flag"]["counters"][0]["count"], 3);
    record_times(&h, &f, &org, &default, 3);
    let events = h.payload();
    assert_eq!(
        events[0]["features"]["flag"]["contextKinds"],
        json!(["org"])
    );
    assert_eq!(events[0]["features"]["flag"]["counters"][0]["count"], 3);
}

#[test]
fn multi_kind_and_single_kind_contexts_count_in_their_own_cells() {
    let mut h = Harness::new(|_| {});
    let f = flag(json!({}));
    let default = json!("dflt");
    let multi = MultiContextBuilder::new()
        .push(user("u1"))
        .push(ContextBuilder::new("o1").kind("org").build().unwrap())
        .build()
        .unwrap();
    let plain = user("u2");
    let org = ContextBuilder::new("o2").kind("org").build().unwrap();
    for _ in 0..5 {
        for c in [&multi, &plain, &org] {
            h.events
                .record_evaluation("flag", Some(&f), c, &eval(&f, c), &default, false, None);
        }
    }
    let events = h.payload();
    let summary = events.last().unwrap();
    assert_eq!(
        summary["features"]["flag"]["contextKinds"],
        json!(["org", "user"])
    );
    assert_eq!(summary["features"]["flag"]["counters"][0]["count"], 15);
    record_times(&h, &f, &org, &default, 4);
    let events = h.payload();
    assert_eq!(
        events[0]["features"]["flag"]["contextKinds"],
        json!(["org"])
    );
    assert_eq!(events[0]["features"]["flag"]["counters"][0]["count"], 4);
}

#[test]
fn unknown_flags_are_summarized_as_unknown_with_the_default() {
    let mut h = Harness::new(|_| {});
    let c = user("u1");
    let default = json!(42);
    let detail = Detail::error(ErrorKind::FlagNotFound);
    h.events
        .record_evaluation("nope", None, &c, &detail, &default, true, None);
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "summary"]);
    assert_eq!(
        events[1]["features"]["nope"],
        json!({"default": 42, "counters": [{"unknown": true, "value": 42, "count": 1}], "contextKinds": ["user"]})
    );
}

#[test]
fn context_key_lru_forgets_the_least_recently_used_context() {
    let mut h = Harness::new(|c| c.context_keys_capacity = 2);
    let f = flag(json!({}));
    for key in ["a", "b", "c", "a", "c"] {
        let c = user(key);
        h.events.record_evaluation(
            "flag",
            Some(&f),
            &c,
            &eval(&f, &c),
            &json!(null),
            false,
            None,
        );
    }
    let indexed: Vec<_> = h
        .payload()
        .iter()
        .filter(|e| e["kind"] == "index")
        .map(|e| e["context"]["key"].as_str().unwrap().to_owned())
        .collect();
    // a, b new; c new (evicts a); a new again (evicts b); c still known.
    assert_eq!(indexed, ["a", "b", "c", "a"]);
}

#[test]
fn context_key_cache_is_cleared_on_its_interval() {
    let mut h = Harness::new(|c| c.context_keys_flush_interval = Duration::from_millis(20));
    let f = flag(json!({}));
    let c = user("u1");
    h.events.record_evaluation(
        "flag",
        Some(&f),
        &c,
        &eval(&f, &c),
        &json!(null),
        false,
        None,
    );
    assert_eq!(kinds(&h.payload()), ["index", "summary"]);
    // Once the cache has been cleared, the same context is indexed again.
    let deadline = std::time::Instant::now() + WAIT;
    loop {
        std::thread::sleep(Duration::from_millis(10));
        h.events.record_evaluation(
            "flag",
            Some(&f),
            &c,
            &eval(&f, &c),
            &json!(null),
            false,
            None,
        );
        if kinds(&h.payload()).contains(&"index".to_owned()) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "context was never forgotten"
        );
    }
}

#[test]
fn tracked_flag_sends_a_feature_event_redacting_anonymous_contexts() {
    let mut h = Harness::new(|_| {});
    let f = flag(json!({"trackEvents": true}));
    let c = ContextBuilder::new("anon-1")
        .anonymous(true)
        .name("Hidden")
        .set("plan", json!("gold"))
        .build()
        .unwrap();
    h.events.record_evaluation(
        "flag",
        Some(&f),
        &c,
        &eval(&f, &c),
        &json!("x"),
        false,
        None,
    );
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "feature", "summary"]);
    // The index event shows the whole context; the feature event hides the anonymous one's
    // attributes. No reason unless asked for.
    assert_eq!(
        events[0]["context"],
        json!({"kind": "user", "key": "anon-1", "name": "Hidden", "plan": "gold", "anonymous": true})
    );
    assert_eq!(
        events[1],
        json!({
            "kind": "feature", "creationDate": 0, "key": "flag", "version": 3,
            "context": {"kind": "user", "key": "anon-1", "anonymous": true,
                        "_meta": {"redactedAttributes": ["name", "plan"]}},
            "variation": 1, "value": "b", "default": "x"
        })
    );
}

#[test]
fn reasons_are_sent_when_asked_for_and_always_for_experiments() {
    let mut h = Harness::new(|_| {});
    let tracked = flag(json!({"trackEvents": true}));
    let experiment = flag(json!({"key": "exp", "trackEventsFallthrough": true}));
    let c = user("u1");
    h.events.record_evaluation(
        "flag",
        Some(&tracked),
        &c,
        &eval(&tracked, &c),
        &json!(null),
        true,
        None,
    );
    h.events.record_evaluation(
        "exp",
        Some(&experiment),
        &c,
        &eval(&experiment, &c),
        &json!(null),
        false,
        None,
    );
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "feature", "feature", "summary"]);
    assert_eq!(events[1]["reason"], json!({"kind": "FALLTHROUGH"}));
    assert_eq!(events[2]["key"], "exp");
    assert_eq!(events[2]["reason"], json!({"kind": "FALLTHROUGH"}));
}

#[test]
fn only_evaluations_matching_a_tracked_rule_send_feature_events_however_often_repeated() {
    let mut h = Harness::new(|_| {});
    // Both rules serve variation 0, so their evaluations share a summary counter; only the
    // first rule's are experiments.
    let rule = |key: &str, track: bool| {
        json!({"id": key, "variation": 0, "trackEvents": track, "clauses": [
            {"attribute": "key", "op": "in", "values": [key], "negate": false}]})
    };
    let f = flag(json!({"rules": [rule("tracked", true), rule("plain", false)]}));
    let (tracked, plain) = (user("tracked"), user("plain"));
    for _ in 0..4 {
        record_in(&h, None, &f, &plain);
        record_in(&h, None, &f, &tracked);
    }
    let events = h.payload();
    let features: Vec<_> = events.iter().filter(|e| e["kind"] == "feature").collect();
    assert_eq!(features.len(), 4);
    assert!(features.iter().all(|e| e["context"]["key"] == "tracked"));
    assert_eq!(
        features[3]["reason"],
        json!({"kind": "RULE_MATCH", "ruleIndex": 0, "ruleId": "tracked"})
    );
    let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
    assert_eq!(summary["features"]["flag"]["counters"][0]["count"], 8);
}

#[test]
fn prerequisite_evaluations_produce_events_with_prereq_of() {
    let mut h = Harness::new(|_| {});
    let mut data = MemoryData::default();
    let prereq = flag(json!({"key": "prereq", "version": 7, "trackEvents": true}));
    let parent = flag(json!({
        "key": "parent", "trackEvents": true,
        "prerequisites": [{"key": "prereq", "variation": 1}]
    }));
    data.insert_flag(prereq);
    let c = user("u1");
    let recorder = PrerequisiteEvents::new(&h.events, false);
    let detail = Evaluator::new(&data)
        .with_prerequisite_recorder(&recorder)
        .evaluate(&parent, &c);
    h.events.record_evaluation(
        "parent",
        Some(&parent),
        &c,
        &detail,
        &json!("d"),
        false,
        None,
    );
    drop(recorder);
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "feature", "feature", "summary"]);
    assert_eq!(
        events[1],
        json!({
            "kind": "feature", "creationDate": 0, "key": "prereq", "version": 7,
            "context": {"kind": "user", "key": "u1"},
            "variation": 1, "value": "b", "default": null, "prereqOf": "parent"
        })
    );
    assert_eq!(events[2]["key"], "parent");
    assert!(events[2].get("prereqOf").is_none());
    let features = &events[3]["features"];
    assert_eq!(features["prereq"]["default"], Value::Null);
    assert_eq!(features["parent"]["counters"][0]["count"], 1);
}

#[test]
fn repeated_prerequisite_evaluations_are_all_counted_and_tracked_ones_all_sent() {
    let mut h = Harness::new(|_| {});
    let mut data = MemoryData::default();
    data.insert_flag(flag(json!({"key": "plain", "version": 3})));
    data.insert_flag(flag(
        json!({"key": "tracked", "version": 4, "trackEvents": true}),
    ));
    let parent = flag(json!({
        "key": "parent",
        "prerequisites": [{"key": "plain", "variation": 1}, {"key": "tracked", "variation": 1}]
    }));
    let tally = ThreadTally::default();
    let c = user("u1");
    for _ in 0..5 {
        let recorder = PrerequisiteEvents::new(&h.events, false).with_tally(&tally);
        let detail = Evaluator::new(&data)
            .with_prerequisite_recorder(&recorder)
            .evaluate(&parent, &c);
        h.events.record_evaluation_in(
            Some(&tally),
            "parent",
            Some(&parent),
            &c,
            &detail,
            || json!("d"),
            false,
            None,
        );
    }
    let events = h.payload();
    let tracked: Vec<_> = events.iter().filter(|e| e["kind"] == "feature").collect();
    assert_eq!(
        tracked.len(),
        5,
        "one feature event per tracked prerequisite evaluation"
    );
    assert!(
        tracked
            .iter()
            .all(|e| e["key"] == "tracked" && e["prereqOf"] == "parent")
    );
    let features = &events.iter().find(|e| e["kind"] == "summary").unwrap()["features"];
    for key in ["plain", "tracked", "parent"] {
        assert_eq!(features[key]["counters"][0]["count"], 5, "{key}");
    }
    assert_eq!(features["plain"]["counters"][0]["version"], 3);
    assert_eq!(features["plain"]["default"], Value::Null);
}

#[test]
fn debug_events_follow_debug_events_until_date_and_the_server_clock() {
    let mut h = Harness::new(|_| {});
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let debugged = flag(json!({"debugEventsUntilDate": now + 3_600_000}));
    let expired = flag(json!({"key": "old", "debugEventsUntilDate": now - 1_000}));
    let c = ContextBuilder::new("anon")
        .anonymous(true)
        .name("N")
        .build()
        .unwrap();
    for f in [&debugged, &expired] {
        h.events
            .record_evaluation(&f.key, Some(f), &c, &eval(f, &c), &json!(null), false, None);
    }
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "debug", "summary"]);
    // Debug events show the context unredacted.
    assert_eq!(events[1]["context"]["name"], "N");
    assert_eq!(events[1]["key"], "flag");

    // The server says it is 2100: an hour from our "now" is already past.
    h.server.set_date("Fri, 01 Jan 2100 00:00:00 GMT");
    h.events.record_identify(&c);
    h.payload(); // delivered with the 2100 Date
    h.events.record_evaluation(
        "flag",
        Some(&debugged),
        &c,
        &eval(&debugged, &c),
        &json!(null),
        false,
        None,
    );
    assert_eq!(kinds(&h.payload()), ["summary"]);
}

#[test]
fn sampling_ratio_thins_full_events_but_never_summaries() {
    let mut h = Harness::new(|_| {});
    let never = flag(json!({"trackEvents": true, "samplingRatio": 0}));
    let always = flag(json!({"key": "always", "trackEvents": true, "samplingRatio": 1}));
    let c = user("u1");
    for _ in 0..20 {
        h.events.record_evaluation(
            "flag",
            Some(&never),
            &c,
            &eval(&never, &c),
            &json!(null),
            false,
            None,
        );
    }
    h.events.record_evaluation(
        "always",
        Some(&always),
        &c,
        &eval(&always, &c),
        &json!(null),
        false,
        None,
    );
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "feature", "summary"]);
    assert_eq!(events[1]["key"], "always");
    assert!(
        events[1].get("samplingRatio").is_none(),
        "ratio 1 is not written"
    );
    assert_eq!(events[2]["features"]["flag"]["counters"][0]["count"], 20);
}

#[test]
fn sampled_events_carry_their_sampling_ratio() {
    let mut h = Harness::new(|_| {});
    let sampled = flag(json!({"trackEvents": true, "samplingRatio": 2}));
    let c = user("u1");
    for _ in 0..200 {
        h.events.record_evaluation(
            "flag",
            Some(&sampled),
            &c,
            &eval(&sampled, &c),
            &json!(null),
            false,
            None,
        );
    }
    let events = h.payload();
    let features: Vec<_> = events.iter().filter(|e| e["kind"] == "feature").collect();
    // 1 in 2 of 200: far from 0 and from 200 (the chance of leaving 40..160 is below 1e-15).
    assert!((40..160).contains(&features.len()), "{}", features.len());
    assert!(features.iter().all(|e| e["samplingRatio"] == 2));
}

#[test]
fn excluded_flags_send_full_events_but_no_summary() {
    let mut h = Harness::new(|_| {});
    let f = flag(json!({"trackEvents": true, "excludeFromSummaries": true}));
    let c = user("u1");
    h.events.record_evaluation(
        "flag",
        Some(&f),
        &c,
        &eval(&f, &c),
        &json!(null),
        false,
        None,
    );
    assert_eq!(kinds(&h.payload()), ["index", "feature"]);
}

#[test]
fn custom_events_carry_data_metric_and_redacted_context() {
    let mut h = Harness::new(|c| {
        c.private_attributes = vec!["email".into()];
    });
    let c = ContextBuilder::new("u1")
        .set("email", json!("e@x.io"))
        .set("plan", json!("gold"))
        .build()
        .unwrap();
    h.events
        .record_custom(&c, "checkout", json!({"total": 3}), Some(2.5));
    h.events.record_custom(&c, "view", Value::Null, None);
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "custom", "custom"]);
    let redacted = json!({"kind": "user", "key": "u1", "plan": "gold",
                          "_meta": {"redactedAttributes": ["email"]}});
    assert_eq!(events[0]["context"], redacted);
    assert_eq!(
        events[1],
        json!({"kind": "custom", "creationDate": 0, "key": "checkout", "data": {"total": 3},
               "context": redacted, "metricValue": 2.5})
    );
    assert_eq!(
        events[2],
        json!({"kind": "custom", "creationDate": 0, "key": "view", "context": redacted})
    );
}

#[test]
fn all_attributes_private_redacts_every_optional_attribute() {
    let mut h = Harness::new(|c| c.all_attributes_private = true);
    let c = ContextBuilder::new("u1")
        .name("N")
        .set("/ssn", json!("1"))
        .build()
        .unwrap();
    h.events.record_identify(&c);
    assert_eq!(
        h.payload()[0]["context"],
        json!({"kind": "user", "key": "u1", "_meta": {"redactedAttributes": ["name", "/~1ssn"]}})
    );
}

#[test]
fn identify_marks_the_context_seen_without_an_index_event() {
    let mut h = Harness::new(|_| {});
    let c = user("u1");
    h.events.record_identify(&c);
    h.events.record_custom(&c, "after", Value::Null, None);
    assert_eq!(kinds(&h.payload()), ["identify", "custom"]);
}

#[test]
fn omit_anonymous_contexts_leaves_them_out_of_identify_and_index_events() {
    let mut h = Harness::new(|c| c.omit_anonymous_contexts = true);
    let anon = ContextBuilder::new("anon").anonymous(true).build().unwrap();
    let org = ContextBuilder::new("o1").kind("org").build().unwrap();
    let multi = MultiContextBuilder::new()
        .push(anon.clone())
        .push(org)
        .build()
        .unwrap();
    h.events.record_identify(&anon);
    h.events.record_custom(&anon, "a", Value::Null, None);
    h.events.record_identify(&multi);
    h.events.record_custom(&multi, "m", Value::Null, None);
    let events = h.payload();
    assert_eq!(kinds(&events), ["custom", "identify", "custom"]);
    // The multi context's identify event keeps only its non-anonymous part, which now counts as
    // seen, so the custom event brings no index event; the custom events themselves are inlined
    // with anonymous redaction.
    assert_eq!(events[1]["context"], json!({"kind": "org", "key": "o1"}));
    assert_eq!(events[2]["context"]["kind"], "multi");
}

#[test]
fn omitting_anonymous_contexts_indexes_evaluated_contexts_by_their_named_parts_only() {
    let mut h = Harness::new(|c| c.omit_anonymous_contexts = true);
    let f = flag(json!({}));
    let multi = MultiContextBuilder::new()
        .push(ContextBuilder::new("anon").anonymous(true).build().unwrap())
        .push(ContextBuilder::new("o1").kind("org").build().unwrap())
        .build()
        .unwrap();
    for _ in 0..3 {
        record_in(&h, None, &f, &multi);
    }
    // Identified without its anonymous part, the context gets no memo: every evaluation takes
    // the general path, which indexes the named part once and counts all three.
    assert_eq!(multi.memo().get(), 0);
    let events = h.payload();
    assert_eq!(kinds(&events), ["index", "summary"]);
    assert_eq!(events[0]["context"], json!({"kind": "org", "key": "o1"}));
    assert_eq!(events[1]["features"]["flag"]["counters"][0]["count"], 3);
}

#[test]
fn summaries_add_up_exactly_under_concurrent_evaluation() {
    const THREADS: usize = 8;
    const PER_THREAD: usize = 5_000;
    let mut h = Harness::new(|_| {});
    let flags: Vec<Flag> = (0..4)
        .map(|i| flag(json!({"key": format!("f{i}")})))
        .collect();
    // Two threads share each context object (so its memo is read and written from both), one
    // of them keeping its summary state in a tally of its own.
    let contexts: Vec<Context> = (0..THREADS / 2).map(|i| user(&format!("u{i}"))).collect();
    let events = &h.events;
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let flags = &flags;
            let c = &contexts[t / 2];
            s.spawn(move || {
                let tally = ThreadTally::default();
                let tally = (t % 2 == 1).then_some(&tally);
                for i in 0..PER_THREAD {
                    let f = &flags[(i + t) % flags.len()];
                    let detail = if i % 3 == 0 {
                        Detail {
                            value: None,
                            variation_index: Some(0),
                            reason: Reason::off(),
                        }
                    } else {
                        eval(f, c)
                    };
                    let value = if i % 3 == 0 { json!("a") } else { json!("b") };
                    let detail = Detail {
                        value: Some(&value),
                        ..detail
                    };
                    let default = json!(null);
                    events.record_evaluation_in(
                        tally,
                        &f.key,
                        Some(f),
                        c,
                        &detail,
                        || &default,
                        false,
                        None,
                    );
                }
            });
        }
    });
    let payload = h.payload();
    let summary = payload.iter().find(|e| e["kind"] == "summary").unwrap();
    let mut total = 0;
    let mut per_variation = [0u64; 2];
    for f in summary["features"].as_object().unwrap().values() {
        for counter in f["counters"].as_array().unwrap() {
            let n = counter["count"].as_u64().unwrap();
            total += n;
            per_variation[counter["variation"].as_u64().unwrap() as usize] += n;
        }
    }
    assert_eq!(total, (THREADS * PER_THREAD) as u64);
    let zeros = (0..PER_THREAD).filter(|i| i % 3 == 0).count() * THREADS;
    assert_eq!(
        per_variation,
        [zeros as u64, (THREADS * PER_THREAD - zeros) as u64]
    );
    assert_eq!(
        payload.iter().filter(|e| e["kind"] == "index").count(),
        THREADS / 2
    );
}

/// Records one evaluation of `flag` for `context` in `tally` (the thread-local state if `None`).
fn record_in(h: &Harness, tally: Option<&ThreadTally>, flag: &Flag, context: &Context) {
    let default = json!(null);
    h.events.record_evaluation_in(
        tally,
        &flag.key,
        Some(flag),
        context,
        &eval(flag, context),
        || &default,
        false,
        None,
    );
}

fn indexed_keys(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|e| e["kind"] == "index")
        .map(|e| e["context"]["key"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_context_object_evaluated_again_is_indexed_again_once_the_lru_evicted_it() {
    // As `context_key_lru_forgets_the_least_recently_used_context`, but with the same context
    // objects evaluated again: the note each one carries must not outlive the LRU's memory.
    let mut h = Harness::new(|c| c.context_keys_capacity = 2);
    let f = flag(json!({}));
    let (a, b, c) = (user("a"), user("b"), user("c"));
    for context in [&a, &a, &b, &c, &a, &a, &c, &c] {
        record_in(&h, None, &f, context);
    }
    let events = h.payload();
    assert_eq!(indexed_keys(&events), ["a", "b", "c", "a"]);
    let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
    assert_eq!(summary["features"]["flag"]["counters"][0]["count"], 8);
}

#[test]
fn a_context_another_processor_has_seen_is_still_indexed_by_this_one() {
    let mut first = Harness::new(|_| {});
    let mut second = Harness::new(|_| {});
    let f = flag(json!({}));
    let c = user("shared");
    // The second processor already counts this flag for `user` contexts on this thread.
    record_in(&second, None, &f, &user("own"));
    for _ in 0..3 {
        record_in(&first, None, &f, &c);
        record_in(&second, None, &f, &c);
    }
    for (h, indexed, count) in [
        (&mut first, &["shared"][..], 3),
        (&mut second, &["own", "shared"], 4),
    ] {
        let events = h.payload();
        assert_eq!(indexed_keys(&events), indexed);
        let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
        assert_eq!(summary["features"]["flag"]["counters"][0]["count"], count);
    }
}

#[test]
fn a_thread_tally_counts_and_deduplicates_like_the_thread_local_state() {
    let mut h = Harness::new(|_| {});
    let mut other = Harness::new(|_| {});
    let f = flag(json!({}));
    let c = user("u1");
    let tally = ThreadTally::default();
    record_in(&h, Some(&tally), &f, &c);
    record_in(&h, Some(&tally), &f, &c);
    record_in(&h, None, &f, &c);
    // Another object for the same context: not noted yet, but known to the cache.
    record_in(&h, Some(&tally), &f, &user("u1"));
    // The tally belongs to `h`'s processor now; another processor records without it.
    record_in(&other, Some(&tally), &f, &c);
    record_in(&other, Some(&tally), &f, &c);
    for (h, count) in [(&mut h, 4), (&mut other, 2)] {
        let events = h.payload();
        assert_eq!(indexed_keys(&events), ["u1"]);
        let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
        assert_eq!(summary["features"]["flag"]["counters"][0]["count"], count);
    }
}

#[test]
fn a_recorder_for_one_context_records_another_context_the_ordinary_way() {
    let mut h = Harness::new(|_| {});
    let mut data = MemoryData::default();
    data.insert_flag(flag(json!({"key": "plain", "version": 3})));
    let parent = flag(json!({
        "key": "parent",
        "prerequisites": [{"key": "plain", "variation": 1}]
    }));
    let tally = ThreadTally::default();
    let known = user("u1");
    let stranger = ContextBuilder::new("o1").kind("org").build().unwrap();
    // Only the prerequisites are recorded, so only they can notice a context.
    let recorder = PrerequisiteEvents::new(&h.events, false)
        .with_tally(&tally)
        .for_context(&known);
    let evaluator = Evaluator::new(&data).with_prerequisite_recorder(&recorder);
    for _ in 0..3 {
        evaluator.evaluate(&parent, &known);
    }
    // The recorder now knows `known` is known; `stranger` was never seen and must not be
    // counted as if it were `known`.
    evaluator.evaluate(&parent, &stranger);
    evaluator.evaluate(&parent, &stranger);
    drop(recorder);
    let events = h.payload();
    let indexed: Vec<_> = events
        .iter()
        .filter(|e| e["kind"] == "index")
        .map(|e| e["context"]["key"].clone())
        .collect();
    assert_eq!(indexed, [json!("u1"), json!("o1")]);
    let plain = &events.iter().find(|e| e["kind"] == "summary").unwrap()["features"]["plain"];
    assert_eq!(plain["counters"][0]["count"], 5);
    let mut context_kinds: Vec<_> = plain["contextKinds"].as_array().unwrap().clone();
    context_kinds.sort_by_key(|k| k.as_str().unwrap().to_owned());
    assert_eq!(context_kinds, [json!("org"), json!("user")]);
}
