//! The hook the harness configures: every stage reports to the harness's callback URI, adds the
//! configured data to the series data, or fails with the configured error.

use crate::callback_client::post_json;
use crate::service_params::HookInstanceParams;
use ld_sdk::{
    EvaluationDetail, EvaluationSeriesContext, Hook, HookError, HookMetadata, SeriesData,
    TrackSeriesContext,
};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const BEFORE_EVALUATION: &str = "beforeEvaluation";
const AFTER_EVALUATION: &str = "afterEvaluation";
const AFTER_TRACK: &str = "afterTrack";

/// One harness-configured hook.
#[derive(Debug, Clone)]
pub struct HarnessHook {
    name: String,
    callback_uri: String,
    data: BTreeMap<String, BTreeMap<String, Value>>,
    errors: BTreeMap<String, String>,
}

impl HarnessHook {
    /// The hook described by `params`.
    pub fn new(params: &HookInstanceParams) -> Self {
        Self {
            name: params.name.clone(),
            callback_uri: params.callback_uri.clone(),
            data: params.data.clone(),
            errors: params
                .errors
                .iter()
                .filter_map(|(stage, e)| e.clone().map(|e| (stage.clone(), e)))
                .collect(),
        }
    }

    fn fail_if_configured(&self, stage: &str) -> Result<(), HookError> {
        match self.errors.get(stage) {
            Some(message) => Err(message.clone().into()),
            None => Ok(()),
        }
    }

    fn report(&self, payload: &Value) -> Result<(), HookError> {
        post_json(&self.callback_uri, "", payload)
            .map(|_| ())
            .map_err(|e| Box::new(e) as HookError)
    }

    fn add_stage_data(&self, stage: &str, mut data: SeriesData) -> SeriesData {
        if let Some(entries) = self.data.get(stage) {
            for (key, value) in entries {
                data = data.with(key.clone(), value.clone());
            }
        }
        data
    }
}

/// The JSON form of series data: entries the harness's hooks put in (JSON values).
fn series_data_json(data: &SeriesData) -> Value {
    let map: Map<String, Value> = data
        .iter()
        .filter_map(|(k, v)| v.downcast_ref::<Value>().map(|v| (k.to_owned(), v.clone())))
        .collect();
    Value::Object(map)
}

fn series_context_json(series: &EvaluationSeriesContext<'_>) -> Value {
    json!({
        "flagKey": series.flag_key,
        "context": series.context.to_json_value(),
        "defaultValue": series.default_value,
        "method": series.method,
    })
}

impl Hook for HarnessHook {
    fn metadata(&self) -> HookMetadata {
        HookMetadata::new(self.name.clone())
    }

    fn before_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
    ) -> Result<SeriesData, HookError> {
        self.fail_if_configured(BEFORE_EVALUATION)?;
        self.report(&json!({
            "evaluationSeriesContext": series_context_json(series),
            "evaluationSeriesData": series_data_json(&data),
            "stage": BEFORE_EVALUATION,
        }))?;
        Ok(self.add_stage_data(BEFORE_EVALUATION, data))
    }

    fn after_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
        detail: &EvaluationDetail<Value>,
    ) -> Result<SeriesData, HookError> {
        self.fail_if_configured(AFTER_EVALUATION)?;
        self.report(&json!({
            "evaluationSeriesContext": series_context_json(series),
            "evaluationSeriesData": series_data_json(&data),
            "stage": AFTER_EVALUATION,
            "evaluationDetail": detail,
        }))?;
        Ok(self.add_stage_data(AFTER_EVALUATION, data))
    }

    fn after_track(&self, series: &TrackSeriesContext<'_>) -> Result<(), HookError> {
        self.fail_if_configured(AFTER_TRACK)?;
        self.report(&json!({
            "stage": AFTER_TRACK,
            "trackSeriesContext": {
                "key": series.key,
                "context": series.context.to_json_value(),
                "data": series.data,
                "metricValue": series.metric_value,
            },
        }))
    }
}
