//! Evaluation and track hooks as an application sees them.

use std::sync::Arc;

use ld_sdk::{
    Client, Config, ContextBuilder, EvaluationDetail, EvaluationSeriesContext, Hook, HookError,
    HookMetadata, SeriesData, TestData, TrackSeriesContext,
};
use parking_lot::Mutex;
use serde_json::{Value, json};

#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<String>>,
}

impl Hook for Recorder {
    fn metadata(&self) -> HookMetadata {
        HookMetadata::new("recorder")
    }

    fn before_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
    ) -> Result<SeriesData, HookError> {
        self.calls.lock().push(format!(
            "before {} {} default={} context={}",
            series.method,
            series.flag_key,
            series.default_value,
            series.context.key()
        ));
        Ok(data.with("seen", series.flag_key.to_owned()))
    }

    fn after_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
        detail: &EvaluationDetail<Value>,
    ) -> Result<SeriesData, HookError> {
        self.calls.lock().push(format!(
            "after {} value={} variation={:?} data={:?}",
            series.flag_key,
            detail.value,
            detail.variation_index,
            data.get::<String>("seen")
        ));
        Ok(data)
    }

    fn after_track(&self, series: &TrackSeriesContext<'_>) -> Result<(), HookError> {
        self.calls.lock().push(format!(
            "track {} data={:?} metric={:?}",
            series.key, series.data, series.metric_value
        ));
        Ok(())
    }
}

struct Broken;

impl Hook for Broken {
    fn metadata(&self) -> HookMetadata {
        HookMetadata::new("broken")
    }

    fn before_evaluation(
        &self,
        _series: &EvaluationSeriesContext<'_>,
        _data: SeriesData,
    ) -> Result<SeriesData, HookError> {
        Err("cannot start span".into())
    }

    fn after_evaluation(
        &self,
        _series: &EvaluationSeriesContext<'_>,
        _data: SeriesData,
        _detail: &EvaluationDetail<Value>,
    ) -> Result<SeriesData, HookError> {
        panic!("bug in hook");
    }

    fn after_track(&self, _series: &TrackSeriesContext<'_>) -> Result<(), HookError> {
        panic!("bug in track hook");
    }
}

fn client(td: &TestData, recorder: &Arc<Recorder>) -> Client {
    Client::new(
        Config::builder("k")
            .data_source(td)
            .send_events(false)
            .hook(Broken)
            .shared_hook(recorder.clone())
            .build()
            .unwrap(),
    )
    .unwrap()
}

#[test]
fn hooks_see_the_flag_context_default_method_and_result() {
    let td = TestData::new();
    td.update(td.flag("f").variation_for_all(true));
    let recorder = Arc::new(Recorder::default());
    let client = client(&td, &recorder);
    let user = ContextBuilder::new("alice").build().unwrap();
    assert!(client.bool_variation("f", &user, false));
    assert_eq!(
        *recorder.calls.lock(),
        [
            "before Client::bool_variation f default=false context=alice",
            "after f value=true variation=Some(0) data=Some(\"f\")",
        ]
    );
}

#[test]
fn a_failing_or_panicking_hook_never_changes_the_result() {
    let td = TestData::new();
    td.update(td.flag("s").value_for_all("v"));
    let recorder = Arc::new(Recorder::default());
    let client = client(&td, &recorder);
    let user = ContextBuilder::new("bob").build().unwrap();
    for _ in 0..3 {
        let detail = client.string_variation_detail("s", &user, "default");
        assert_eq!(detail.value, "v");
        assert_eq!(detail.variation_index, Some(0));
    }
    assert_eq!(recorder.calls.lock().len(), 6);
}

#[test]
fn track_runs_after_track_hooks_with_data_and_metric() {
    let recorder = Arc::new(Recorder::default());
    let client = client(&TestData::new(), &recorder);
    let user = ContextBuilder::new("carol").build().unwrap();
    client.track_metric("purchase", &user, 320.0, Some(json!({"currency": "EUR"})));
    client.track("signup", &user);
    assert_eq!(
        *recorder.calls.lock(),
        [
            "track purchase data=Some(Object {\"currency\": String(\"EUR\")}) metric=Some(320.0)",
            "track signup data=None metric=None",
        ]
    );
}
