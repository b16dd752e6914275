//! The client end to end with `TestData` and custom data sources: what an application sees.

use std::sync::Arc;
use std::time::Duration;

use ld_sdk::{
    AllData, Client, Config, ContextBuilder, DataSource, DataSourceBuildError, DataSourceConfig,
    DataSourceContext, DataSourceErrorInfo, DataSourceErrorKind, DataSourceFactory,
    DataSourceState, DataSourceUpdates, ErrorKind, FlagsStateOptions, InitializationError, Reason,
    ReasonKind, TestData,
};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(5);

fn client_with(td: &TestData) -> Client {
    let client = Client::new(
        Config::builder("sdk-key")
            .data_source(td)
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    client.wait_for_initialization(WAIT).unwrap();
    client
}

fn user(key: &str) -> ld_sdk::Context {
    ContextBuilder::new(key).build().unwrap()
}

#[test]
fn variations_follow_test_data_updates_while_the_client_runs() {
    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(false));
    let client = client_with(&td);
    assert!(!client.bool_variation("f", &user("a"), true));
    td.update(td.flag("f").variation_for_all(true));
    assert!(client.bool_variation("f", &user("a"), false));
    td.update(td.flag("f").on(false));
    let detail = client.bool_variation_detail("f", &user("a"), true);
    assert_eq!(
        (detail.value, detail.variation_index, detail.reason),
        (false, Some(1), Reason::off())
    );
}

#[test]
fn targets_and_rules_select_variations_by_key_and_attribute() {
    let td = TestData::new();
    td.update(
        td.flag("tiers")
            .variations(["bronze", "silver", "gold"])
            .fallthrough_variation(0)
            .variation_for_key("org", "acme", 2)
            .if_match("plan", ["pro"])
            .and_not_match("country", ["fr"])
            .then_return(1),
    );
    let client = client_with(&td);
    let org = ContextBuilder::new("acme").kind("org").build().unwrap();
    let pro = ContextBuilder::new("u")
        .set("plan", json!("pro"))
        .set("country", json!("nz"))
        .build()
        .unwrap();
    let pro_fr = ContextBuilder::new("u")
        .set("plan", json!("pro"))
        .set("country", json!("fr"))
        .build()
        .unwrap();
    assert_eq!(client.string_variation("tiers", &org, "none"), "gold");
    let detail = client.string_variation_detail("tiers", &pro, "none");
    assert_eq!(detail.value, "silver");
    assert!(matches!(
        detail.reason.kind,
        ReasonKind::RuleMatch { rule_index: 0, .. }
    ));
    assert_eq!(client.string_variation("tiers", &pro_fr, "none"), "bronze");
}

#[test]
fn a_value_of_the_wrong_type_gives_the_default_with_wrong_type() {
    let td = TestData::new();
    td.update(td.flag("s").value_for_all("text"));
    let client = client_with(&td);
    let detail = client.bool_variation_detail("s", &user("a"), true);
    assert!(detail.value);
    assert_eq!(detail.variation_index, None);
    assert_eq!(detail.reason, Reason::error(ErrorKind::WrongType));
    assert_eq!(client.int_variation("s", &user("a"), 7), 7);
    // Untyped variations accept any type.
    assert_eq!(
        client.variation("s", &user("a"), Value::Null),
        json!("text")
    );
}

#[test]
fn numbers_convert_between_int_and_float_and_truncate() {
    let td = TestData::new();
    td.update(td.flag("n").value_for_all(2.75));
    let client = client_with(&td);
    assert_eq!(client.int_variation("n", &user("a"), 0), 2);
    assert_eq!(client.float_variation("n", &user("a"), 0.0), 2.75);
    let json = client.json_variation_detail("n", &user("a"), json!(null));
    assert_eq!(json.value, json!(2.75));
    assert_eq!(json.variation_index, Some(0));
}

#[test]
fn an_unknown_flag_gives_the_default_with_flag_not_found() {
    let client = client_with(&TestData::new());
    let detail = client.string_variation_detail("nope", &user("a"), "dflt");
    assert_eq!(detail.value, "dflt");
    assert_eq!(detail.reason, Reason::error(ErrorKind::FlagNotFound));
}

#[test]
fn offline_clients_serve_defaults_and_count_as_initialized() {
    let client = Client::new(Config::builder("sdk-key").offline(true).build().unwrap()).unwrap();
    assert!(client.is_offline());
    assert!(client.is_initialized());
    assert_eq!(client.wait_for_initialization(Duration::ZERO), Ok(()));
    let detail = client.bool_variation_detail("any.feature.flag", &user("a"), false);
    assert!(!detail.value);
    assert_eq!(detail.reason, Reason::error(ErrorKind::ClientNotReady));
    let state = client.all_flags_state(&user("a"), FlagsStateOptions::default());
    assert_eq!(
        serde_json::to_value(&state).unwrap(),
        json!({"$flagsState": {}, "$valid": false})
    );
}

/// A data source that reports one error state and never delivers data.
struct Failing(DataSourceState, DataSourceErrorInfo);

impl DataSource for Failing {
    fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
        updates.update_status(self.0, Some(self.1.clone()));
    }
    fn stop(&self) {}
}

struct FailingFactory(DataSourceState, DataSourceErrorKind);

impl DataSourceFactory for FailingFactory {
    fn build(
        &self,
        _context: &DataSourceContext<'_>,
    ) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
        Ok(Arc::new(Failing(
            self.0,
            DataSourceErrorInfo::new(self.1, "simulated"),
        )))
    }
}

fn failing_client(state: DataSourceState, kind: DataSourceErrorKind) -> Client {
    Client::new(
        Config::builder("sdk-key")
            .data_source(DataSourceConfig::custom(FailingFactory(state, kind)))
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn before_data_arrives_evaluations_give_client_not_ready_and_waiting_says_why() {
    let client = failing_client(
        DataSourceState::Interrupted,
        DataSourceErrorKind::InvalidData,
    );
    assert!(!client.is_initialized());
    let detail = client.bool_variation_detail("f", &user("a"), true);
    assert_eq!(detail.reason, Reason::error(ErrorKind::ClientNotReady));
    assert!(detail.value);
    let err = client
        .wait_for_initialization(Duration::from_millis(50))
        .unwrap_err();
    match err {
        InitializationError::Timeout { last_error, .. } => {
            assert_eq!(
                last_error.map(|e| e.kind),
                Some(DataSourceErrorKind::InvalidData)
            )
        }
        other => panic!("expected a timeout, got {other}"),
    }
    assert!(
        !client
            .all_flags_state(&user("a"), FlagsStateOptions::default())
            .is_valid()
    );
}

#[test]
fn a_rejected_sdk_key_is_reported_as_such() {
    let client = failing_client(
        DataSourceState::Off,
        DataSourceErrorKind::ErrorResponse(401),
    );
    assert_eq!(
        client.wait_for_initialization(WAIT),
        Err(InitializationError::InvalidSdkKey { status: 401 })
    );
}

#[test]
fn a_custom_source_delivers_data_to_the_client() {
    struct Fixed;
    impl DataSource for Fixed {
        fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
            let data = AllData::from_json(
                r#"{"flags": {"f": {"key": "f", "version": 1, "on": true, "variations": [1, 2],
                   "fallthrough": {"variation": 1}}}}"#,
            )
            .unwrap();
            updates.init(data);
            updates.update_status(DataSourceState::Valid, None);
        }
        fn stop(&self) {}
    }
    struct FixedFactory;
    impl DataSourceFactory for FixedFactory {
        fn build(
            &self,
            _: &DataSourceContext<'_>,
        ) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
            Ok(Arc::new(Fixed))
        }
    }
    let client = Client::new(
        Config::builder("k")
            .data_source(DataSourceConfig::custom(FixedFactory))
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    client.wait_for_initialization(WAIT).unwrap();
    assert_eq!(client.int_variation("f", &user("a"), 0), 2);
    assert_eq!(client.data_source_status().state, DataSourceState::Valid);
}

#[test]
fn all_flags_state_is_launchdarklys_bootstrap_json() {
    let td = TestData::new();
    td.update(td.flag("plain").variation_for_all(true));
    td.use_preconfigured_flag(json!({
        "key": "tracked", "on": true, "variations": ["a", "b"], "fallthrough": {"variation": 1},
        "trackEvents": true, "clientSide": true, "debugEventsUntilDate": 1000
    }));
    td.use_preconfigured_flag(json!({
        "key": "off-no-variation", "on": false, "variations": [1]
    }));
    td.use_preconfigured_flag(json!({
        "key": "experiment", "on": true, "variations": [false, true], "salt": "s",
        "fallthrough": {"variation": 1}, "trackEventsFallthrough": true,
        "prerequisites": [{"key": "plain", "variation": 0}]
    }));
    let client = client_with(&td);
    let state = client.all_flags_state(&user("u"), FlagsStateOptions::default());
    assert_eq!(
        serde_json::to_value(&state).unwrap(),
        json!({
            "plain": true,
            "tracked": "b",
            "off-no-variation": null,
            "experiment": true,
            "$flagsState": {
                "plain": {"variation": 0, "version": 1},
                "tracked": {"variation": 1, "version": 1, "trackEvents": true, "debugEventsUntilDate": 1000},
                "off-no-variation": {"version": 1},
                "experiment": {"variation": 1, "version": 1, "trackEvents": true, "trackReason": true,
                               "reason": {"kind": "FALLTHROUGH"}, "prerequisites": ["plain"]}
            },
            "$valid": true
        })
    );
    let client_side = client.all_flags_state(
        &user("u"),
        FlagsStateOptions::default()
            .client_side_only()
            .with_reasons(),
    );
    assert_eq!(client_side.keys().collect::<Vec<_>>(), ["tracked"]);
    assert_eq!(
        client_side.flag("tracked").unwrap().reason,
        Some(Reason::fallthrough(false))
    );
}

#[test]
fn flag_change_listeners_hear_about_prerequisite_changes() {
    let td = TestData::new();
    td.update(td.flag("base").variation_for_all(true));
    td.use_preconfigured_flag(json!({
        "key": "dependent", "on": true, "variations": [false, true],
        "fallthrough": {"variation": 1}, "offVariation": 0,
        "prerequisites": [{"key": "base", "variation": 0}]
    }));
    let client = client_with(&td);
    let changes = client.flag_tracker().subscribe();
    let values = client.subscribe_flag_value("dependent", &user("u"), json!(null));
    td.update(td.flag("base").variation_for_all(false));
    let mut keys: Vec<String> = (0..2)
        .map(|_| changes.recv_timeout(WAIT).unwrap().key)
        .collect();
    keys.sort();
    assert_eq!(keys, ["base", "dependent"]);
    let change = values.recv_timeout(WAIT).unwrap();
    assert_eq!(
        (change.old_value, change.new_value),
        (json!(true), json!(false))
    );
}

#[test]
fn secure_mode_hash_uses_the_clients_sdk_key() {
    let client = Client::new(Config::builder("secret").offline(true).build().unwrap()).unwrap();
    assert_eq!(
        client.secure_mode_hash(&user("Message")),
        "aa747c502a898200f9e4fa21bac68136f886a0e27aec70ba06daf2e2a5cb5597"
    );
}

#[test]
fn close_is_idempotent_and_later_waits_report_closed() {
    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(true));
    let client = client_with(&td);
    let other_handle = client.clone();
    client.close();
    other_handle.close();
    assert_eq!(
        client.wait_for_initialization(WAIT),
        Err(InitializationError::Closed)
    );
    // The last known flags keep being served.
    assert!(client.bool_variation("f", &user("a"), false));
    // The data source was stopped.
    assert_eq!(client.data_source_status().state, DataSourceState::Off);
    // TestData updates no longer reach the closed client.
    td.update(td.flag("f").variation_for_all(false));
    assert!(client.bool_variation("f", &user("a"), false));
}

#[tokio::test(flavor = "current_thread")]
async fn the_client_works_inside_a_single_threaded_tokio_runtime() {
    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(true));
    let client = Client::new(
        Config::builder("k")
            .data_source(&td)
            .send_events(false)
            .build()
            .unwrap(),
    )
    .unwrap();
    client.wait_for_initialization_async(WAIT).await.unwrap();
    assert!(client.bool_variation("f", &user("a"), false));
    client.close_async().await;
    // Dropping the last handle inside the runtime is fine too.
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_client_can_be_created_and_closed_synchronously_inside_a_multi_threaded_runtime() {
    let client = client_with(&TestData::new());
    client.close();
}

#[test]
fn big_segment_membership_comes_from_the_configured_provider() {
    use ld_sdk::{BigSegmentAnswer, BigSegmentProvider, BigSegmentsStatus, Segment};
    struct Members;
    impl BigSegmentProvider for Members {
        fn membership(&self, context_key: &str, _segment: &Segment) -> BigSegmentAnswer {
            BigSegmentAnswer {
                membership: (context_key == "member").then_some(true),
                status: BigSegmentsStatus::Healthy,
            }
        }
    }
    let td = TestData::new();
    td.use_preconfigured_segment(json!({"key": "big", "unbounded": true, "generation": 1}));
    td.use_preconfigured_flag(json!({
        "key": "f", "on": true, "variations": [false, true], "fallthrough": {"variation": 0},
        "rules": [{"id": "r", "variation": 1, "clauses": [
            {"attribute": "key", "op": "segmentMatch", "values": ["big"], "negate": false}]}]
    }));
    let client = Client::new(
        Config::builder("k")
            .data_source(&td)
            .send_events(false)
            .big_segment_provider(Arc::new(Members))
            .build()
            .unwrap(),
    )
    .unwrap();
    let member = client.bool_variation_detail("f", &user("member"), false);
    assert!(member.value);
    assert_eq!(
        member.reason.big_segments_status,
        Some(BigSegmentsStatus::Healthy)
    );
    assert!(!client.bool_variation("f", &user("stranger"), true));
}

#[test]
fn clients_and_configs_can_be_shared_across_threads() {
    fn shareable<T: Send + Sync + Clone + 'static>() {}
    shareable::<Client>();
    shareable::<Config>();
    shareable::<TestData>();
    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(true));
    let client = client_with(&td);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let client = client.clone();
            std::thread::spawn(move || client.bool_variation("f", &user(&format!("u{i}")), false))
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
}
