//! Technology migrations: the stage a migration flag serves, the origins a `Migrator` calls in
//! each stage, consistency checks, and the `migration_op` event LaunchDarkly receives.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use ld_sdk::{
    Client, Config, Context, ContextBuilder, ErrorKind, ExecutionOrder, MigrationOriginResult,
    Migrator, Operation, Origin, Reason, Stage, TestData,
};
use serde_json::{Value, json};

#[cfg(feature = "http")]
mod local_server;

const STAGES: [&str; 6] = ["off", "dualwrite", "shadow", "live", "rampdown", "complete"];

fn migration_flag(key: &str, variation: usize, check_ratio: Option<u64>) -> Value {
    let mut flag = json!({
        "key": key, "on": true, "variations": STAGES,
        "fallthrough": {"variation": variation}, "salt": "s"
    });
    if let Some(ratio) = check_ratio {
        flag["migration"] = json!({"checkRatio": ratio});
    }
    flag
}

fn client_serving(flags: &[Value]) -> Client {
    let td = TestData::new();
    for flag in flags {
        td.use_preconfigured_flag(flag.clone());
    }
    let config = Config::builder("sdk-key")
        .data_source(&td)
        .send_events(false)
        .build()
        .unwrap();
    Client::new(config).unwrap()
}

fn user() -> Context {
    ContextBuilder::new("user-1").build().unwrap()
}

fn stage_index(stage: Stage) -> usize {
    Stage::ALL.iter().position(|s| *s == stage).unwrap()
}

/// Origin functions that log each call and answer with `"{origin} {operation}"`, or fail for the
/// origins listed in `failing`.
struct Origins {
    calls: Arc<Mutex<Vec<(Origin, Operation)>>>,
    compared: Arc<AtomicUsize>,
}

fn migrator(
    client: &Client,
    order: ExecutionOrder,
    failing: &'static [Origin],
    agree: bool,
) -> (Migrator<(), String, String>, Origins) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let compared = Arc::new(AtomicUsize::new(0));
    let origin_fn = |origin: Origin, operation: Operation| {
        let calls = calls.clone();
        move |_: &()| {
            calls.lock().unwrap().push((origin, operation));
            if failing.contains(&origin) {
                Err(format!("{origin} {operation} failed"))
            } else {
                Ok(format!("{origin} {operation}"))
            }
        }
    };
    let counter = compared.clone();
    let migrator = Migrator::builder(client.clone())
        .read_execution_order(order)
        .read_with_comparison(
            origin_fn(Origin::Old, Operation::Read),
            origin_fn(Origin::New, Operation::Read),
            move |old: &String, new: &String| {
                counter.fetch_add(1, Ordering::SeqCst);
                assert_eq!((old.as_str(), new.as_str()), ("old read", "new read"));
                agree
            },
        )
        .write(
            origin_fn(Origin::Old, Operation::Write),
            origin_fn(Origin::New, Operation::Write),
        )
        .build()
        .unwrap();
    (migrator, Origins { calls, compared })
}

#[test]
fn migration_variation_serves_every_stage_from_the_flag() {
    for stage in Stage::ALL {
        let client = client_serving(&[migration_flag("m", stage_index(stage), None)]);
        let (served, tracker) = client.migration_variation("m", &user(), Stage::Off);
        assert_eq!(served, stage);
        assert_eq!(tracker.evaluation().value, json!(stage.as_str()));
        assert_eq!(
            tracker.evaluation().variation_index,
            Some(stage_index(stage))
        );
        assert_eq!(tracker.evaluation().reason, Reason::fallthrough(false));
    }
}

#[test]
fn hooks_see_migration_variation_with_the_default_stage_and_the_served_stage() {
    use ld_sdk::SeriesData;
    use ld_sdk::{EvaluationDetail, EvaluationSeriesContext, Hook, HookError, HookMetadata};

    #[derive(Default)]
    struct Recorder(Mutex<Vec<String>>);
    impl Hook for Recorder {
        fn metadata(&self) -> HookMetadata {
            HookMetadata::new("recorder")
        }
        fn after_evaluation(
            &self,
            series: &EvaluationSeriesContext<'_>,
            data: SeriesData,
            detail: &EvaluationDetail<Value>,
        ) -> Result<SeriesData, HookError> {
            self.0.lock().unwrap().push(format!(
                "{} {} default={} value={}",
                series.method, series.flag_key, series.default_value, detail.value
            ));
            Ok(data)
        }
    }

    let td = TestData::new();
    td.use_preconfigured_flag(migration_flag("m", stage_index(Stage::RampDown), None));
    let recorder = Arc::new(Recorder::default());
    let config = Config::builder("sdk-key")
        .data_source(&td)
        .send_events(false)
        .shared_hook(recorder.clone())
        .build()
        .unwrap();
    let client = Client::new(config).unwrap();
    let (stage, _) = client.migration_variation("m", &user(), Stage::Off);
    assert_eq!(stage, Stage::RampDown);
    assert_eq!(
        *recorder.0.lock().unwrap(),
        ["Client::migration_variation m default=\"off\" value=\"rampdown\""]
    );
}

#[test]
fn the_tracker_reports_the_version_of_the_flag_the_evaluation_used() {
    use ld_sdk::SeriesData;
    use ld_sdk::{EvaluationSeriesContext, Hook, HookError, HookMetadata};

    /// Updates the flag to `live` (a new version) just before each evaluation, as a stream
    /// patch landing at that moment would.
    struct UpdateFirst(TestData);
    impl Hook for UpdateFirst {
        fn metadata(&self) -> HookMetadata {
            HookMetadata::new("update-first")
        }
        fn before_evaluation(
            &self,
            _series: &EvaluationSeriesContext<'_>,
            data: SeriesData,
        ) -> Result<SeriesData, HookError> {
            let flag = migration_flag("m", stage_index(Stage::Live), None);
            self.0.use_preconfigured_flag(flag);
            Ok(data)
        }
    }

    let td = TestData::new();
    // TestData numbers versions from 1: the hook's update is version 2.
    td.use_preconfigured_flag(migration_flag("m", stage_index(Stage::Off), None));
    let config = Config::builder("sdk-key")
        .data_source(&td)
        .send_events(false)
        .hook(UpdateFirst(td.clone()))
        .build()
        .unwrap();
    let client = Client::new(config).unwrap();
    let (stage, tracker) = client.migration_variation("m", &user(), Stage::Off);
    assert_eq!(stage, Stage::Live);
    tracker.operation(Operation::Read);
    tracker.invoked(Origin::New);
    let event = tracker.build().unwrap();
    assert_eq!(event.version, Some(2));
    assert_eq!(event.value, json!("live"));
}

#[test]
fn a_value_that_is_not_a_stage_serves_the_default_with_wrong_type() {
    let client = client_serving(&[
        json!({"key": "bad-string", "version": 1, "on": true, "variations": ["halfway"],
               "fallthrough": {"variation": 0}, "salt": "s"}),
        json!({"key": "bad-type", "version": 1, "on": true, "variations": [true],
               "fallthrough": {"variation": 0}, "salt": "s"}),
    ]);
    for key in ["bad-string", "bad-type"] {
        let (stage, tracker) = client.migration_variation(key, &user(), Stage::Shadow);
        assert_eq!(stage, Stage::Shadow, "{key}");
        assert_eq!(tracker.evaluation().value, json!("shadow"));
        assert_eq!(tracker.evaluation().variation_index, None);
        assert_eq!(
            tracker.evaluation().reason,
            Reason::error(ErrorKind::WrongType)
        );
    }
}

#[test]
fn an_unknown_flag_serves_the_default_stage_with_flag_not_found() {
    let client = client_serving(&[]);
    let (stage, tracker) = client.migration_variation("missing", &user(), Stage::Live);
    assert_eq!(stage, Stage::Live);
    assert_eq!(
        tracker.evaluation().reason,
        Reason::error(ErrorKind::FlagNotFound)
    );
}

#[test]
fn reads_call_the_origins_each_stage_names_and_return_the_authoritative_result() {
    use Origin::{New, Old};
    let expected: [(Stage, &[Origin]); 6] = [
        (Stage::Off, &[Old]),
        (Stage::DualWrite, &[Old]),
        (Stage::Shadow, &[Old, New]),
        (Stage::Live, &[New, Old]),
        (Stage::RampDown, &[New]),
        (Stage::Complete, &[New]),
    ];
    for (stage, origins) in expected {
        let client = client_serving(&[migration_flag("m", stage_index(stage), None)]);
        let (migrator, log) = migrator(&client, ExecutionOrder::Serial, &[], true);
        let result = migrator.read("m", &user(), Stage::Off, &());
        let called: Vec<Origin> = log.calls.lock().unwrap().iter().map(|c| c.0).collect();
        assert_eq!(called, origins, "{stage}");
        assert_eq!(result.origin, origins[0], "{stage}");
        assert_eq!(result.result, Ok(format!("{} read", origins[0])), "{stage}");
    }
}

#[test]
fn writes_call_the_authoritative_origin_first_and_both_where_the_stage_says() {
    use Origin::{New, Old};
    let expected: [(Stage, &[Origin]); 6] = [
        (Stage::Off, &[Old]),
        (Stage::DualWrite, &[Old, New]),
        (Stage::Shadow, &[Old, New]),
        (Stage::Live, &[New, Old]),
        (Stage::RampDown, &[New, Old]),
        (Stage::Complete, &[New]),
    ];
    for (stage, origins) in expected {
        let client = client_serving(&[migration_flag("m", stage_index(stage), None)]);
        let (migrator, log) = migrator(&client, ExecutionOrder::Serial, &[], true);
        let result = migrator.write("m", &user(), Stage::Off, &());
        let calls = log.calls.lock().unwrap().clone();
        assert!(calls.iter().all(|c| c.1 == Operation::Write));
        let called: Vec<Origin> = calls.iter().map(|c| c.0).collect();
        assert_eq!(called, origins, "{stage}");
        assert_eq!(result.authoritative.origin, origins[0]);
        assert_eq!(
            result.non_authoritative.map(|r| r.origin),
            origins.get(1).copied(),
            "{stage}"
        );
        assert_eq!(
            log.compared.load(Ordering::SeqCst),
            0,
            "writes never compare"
        );
    }
}

#[test]
fn a_failed_authoritative_write_skips_the_other_origin() {
    let client = client_serving(&[migration_flag("m", stage_index(Stage::Live), None)]);
    let (migrator, log) = migrator(&client, ExecutionOrder::Serial, &[Origin::New], true);
    let result = migrator.write("m", &user(), Stage::Off, &());
    assert_eq!(
        result.authoritative,
        MigrationOriginResult {
            origin: Origin::New,
            result: Err("new write failed".to_owned())
        }
    );
    assert!(result.non_authoritative.is_none());
    assert_eq!(log.calls.lock().unwrap().len(), 1);
}

#[test]
fn a_failed_non_authoritative_write_is_reported_beside_the_authoritative_success() {
    let client = client_serving(&[migration_flag("m", stage_index(Stage::DualWrite), None)]);
    let (migrator, _log) = migrator(&client, ExecutionOrder::Serial, &[Origin::New], true);
    let result = migrator.write("m", &user(), Stage::Off, &());
    assert_eq!(result.authoritative.result, Ok("old write".to_owned()));
    assert_eq!(
        result.non_authoritative.unwrap().result,
        Err("new write failed".to_owned())
    );
}

#[test]
fn reads_compare_results_only_in_shadow_and_live() {
    for stage in Stage::ALL {
        let client = client_serving(&[migration_flag("m", stage_index(stage), None)]);
        let (migrator, log) = migrator(&client, ExecutionOrder::Random, &[], true);
        migrator.read("m", &user(), Stage::Off, &());
        let expected = usize::from(matches!(stage, Stage::Shadow | Stage::Live));
        assert_eq!(log.compared.load(Ordering::SeqCst), expected, "{stage}");
    }
}

#[test]
fn check_ratio_zero_disables_the_comparison() {
    let client = client_serving(&[migration_flag("m", stage_index(Stage::Shadow), Some(0))]);
    let (migrator, log) = migrator(&client, ExecutionOrder::Serial, &[], true);
    for _ in 0..20 {
        migrator.read("m", &user(), Stage::Off, &());
    }
    assert_eq!(log.compared.load(Ordering::SeqCst), 0);
}

#[test]
fn a_failed_read_is_not_compared() {
    let client = client_serving(&[migration_flag("m", stage_index(Stage::Live), None)]);
    let (migrator, log) = migrator(&client, ExecutionOrder::Serial, &[Origin::Old], true);
    let result = migrator.read("m", &user(), Stage::Off, &());
    assert_eq!(result.result, Ok("new read".to_owned()));
    assert_eq!(log.compared.load(Ordering::SeqCst), 0);
}

#[test]
fn concurrent_reads_run_both_origins_at_the_same_time() {
    let client = client_serving(&[migration_flag("m", stage_index(Stage::Shadow), None)]);
    // Each origin announces itself and waits for the other: done serially, the first one would
    // time out and fail.
    let (old_tx, old_rx) = mpsc::channel::<()>();
    let (new_tx, new_rx) = mpsc::channel::<()>();
    let old_rx = Mutex::new(old_rx);
    let new_rx = Mutex::new(new_rx);
    let migrator = Migrator::builder(client)
        .read(
            move |_: &()| {
                new_tx.send(()).map_err(|e| e.to_string())?;
                old_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(10))
                    .map(|()| "old".to_owned())
                    .map_err(|e| e.to_string())
            },
            move |_: &()| {
                old_tx.send(()).map_err(|e| e.to_string())?;
                new_rx
                    .lock()
                    .unwrap()
                    .recv_timeout(Duration::from_secs(10))
                    .map(|()| "new".to_owned())
                    .map_err(|e| e.to_string())
            },
        )
        .write(|_: &()| Ok(String::new()), |_: &()| Ok(String::new()))
        .build()
        .unwrap();
    let result = migrator.read("m", &user(), Stage::Off, &());
    assert_eq!(result.result, Ok("old".to_owned()));
}

#[test]
fn a_migrator_needs_read_and_write_functions() {
    let client = client_serving(&[]);
    let missing_write = Migrator::<(), (), ()>::builder(client.clone())
        .read(|_| Ok(()), |_| Ok(()))
        .build();
    assert_eq!(
        missing_write.unwrap_err(),
        ld_sdk::MigratorBuildError::NoWrite
    );
    let missing_read = Migrator::<(), (), ()>::builder(client)
        .write(|_| Ok(()), |_| Ok(()))
        .build();
    assert_eq!(
        missing_read.unwrap_err(),
        ld_sdk::MigratorBuildError::NoRead
    );
}

#[cfg(feature = "http")]
mod events {
    //! The `migration_op` event as a local events service receives it.

    use super::*;
    use ld_sdk::{EventsConfig, ServiceEndpoints};

    use super::local_server::LocalServer;

    const WAIT: Duration = Duration::from_secs(10);

    fn events_client(server: &LocalServer, flags: &[Value]) -> Client {
        let td = TestData::new();
        for flag in flags {
            td.use_preconfigured_flag(flag.clone());
        }
        let config = Config::builder("sdk-key")
            .data_source(&td)
            .service_endpoints(ServiceEndpoints::default().events(&server.base_uri))
            .events(
                EventsConfig::default()
                    .flush_interval(Duration::from_secs(3600))
                    .diagnostic_opt_out(true),
            )
            .build()
            .unwrap();
        Client::new(config).unwrap()
    }

    fn next_bulk(server: &LocalServer) -> Vec<Value> {
        loop {
            let request = server
                .requests
                .recv_timeout(WAIT)
                .expect("an events request");
            if request.path == "/bulk" {
                return serde_json::from_slice(&request.body).unwrap();
            }
        }
    }

    fn migration_op(events: &[Value]) -> Value {
        events
            .iter()
            .find(|e| e["kind"] == "migration_op")
            .cloned()
            .unwrap_or_else(|| panic!("no migration_op event in {events:?}"))
    }

    #[test]
    fn a_live_read_sends_invoked_consistency_latency_and_error_measurements() {
        let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
        let client = events_client(&server, &[migration_flag("m", 3, None)]);
        let (migrator, _log) = migrator(&client, ExecutionOrder::Concurrent, &[], false);
        let anonymous = ContextBuilder::new("anon-1")
            .anonymous(true)
            .name("Hidden")
            .build()
            .unwrap();
        migrator.read("m", &anonymous, Stage::DualWrite, &());
        assert!(client.flush_and_wait(WAIT));

        let events = next_bulk(&server);
        let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
        assert!(
            kinds.contains(&"index") && kinds.contains(&"summary"),
            "{kinds:?}"
        );
        // The stage evaluation is summarized like any variation call.
        let summary = events.iter().find(|e| e["kind"] == "summary").unwrap();
        let counters = &summary["features"]["m"];
        assert_eq!(counters["default"], "dualwrite");
        assert_eq!(counters["counters"][0]["value"], "live");
        assert_eq!(counters["counters"][0]["variation"], 3);
        let mut op = migration_op(&events);
        assert!(op["creationDate"].as_u64().is_some());
        op.as_object_mut().unwrap().remove("creationDate");
        let latency = op["measurements"][2]["values"].take();
        assert!(latency["old"].as_u64().is_some() && latency["new"].as_u64().is_some());
        assert_eq!(
            op,
            json!({
                "kind": "migration_op",
                "operation": "read",
                "context": {"kind": "user", "key": "anon-1", "anonymous": true,
                            "_meta": {"redactedAttributes": ["name"]}},
                "evaluation": {"key": "m", "value": "live", "default": "dualwrite",
                               "reason": {"kind": "FALLTHROUGH"}, "variation": 3,
                               "version": 1}, // TestData numbers versions from 1
                "measurements": [
                    {"key": "invoked", "values": {"old": true, "new": true}},
                    {"key": "consistent", "value": false, "samplingRatio": 1},
                    {"key": "latency_ms", "values": null}
                ]
            })
        );
        client.close();
    }

    #[test]
    fn a_failed_write_reports_its_error_and_the_flag_sampling_ratios() {
        let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
        let mut flag = migration_flag("m", 1, Some(1));
        flag["samplingRatio"] = json!(1);
        let client = events_client(&server, &[flag]);
        let (migrator, _log) = migrator(&client, ExecutionOrder::Serial, &[Origin::New], true);
        migrator.write("m", &user(), Stage::Off, &());
        assert!(client.flush_and_wait(WAIT));

        let op = migration_op(&next_bulk(&server));
        assert_eq!(op["operation"], "write");
        assert!(op.get("samplingRatio").is_none());
        let measurements = op["measurements"].as_array().unwrap();
        let keys: Vec<&str> = measurements
            .iter()
            .filter_map(|m| m["key"].as_str())
            .collect();
        assert_eq!(keys, ["invoked", "latency_ms", "error"]);
        assert_eq!(measurements[2]["values"], json!({"new": true}));
        client.close();
    }

    #[test]
    fn a_flag_sampling_ratio_of_zero_sends_no_migration_op_event() {
        let server = LocalServer::start(|_| (202, "application/json", Vec::new()));
        let mut flag = migration_flag("m", 0, None);
        flag["samplingRatio"] = json!(0);
        let client = events_client(&server, &[flag]);
        let (migrator, _log) = migrator(&client, ExecutionOrder::Serial, &[], true);
        migrator.read("m", &user(), Stage::Off, &());
        assert!(client.flush_and_wait(WAIT));
        let events = next_bulk(&server);
        assert!(
            events.iter().all(|e| e["kind"] != "migration_op"),
            "{events:?}"
        );
        client.close();
    }
}
