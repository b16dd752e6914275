//! Evaluation and track hooks: application code that runs around every evaluation and after
//! every `track`, for tracing, metrics or logging.

use serde_json::Value;

use crate::{Context, EvaluationDetail, SeriesData};

/// The error a hook stage may return; it is logged, and the stage's series data is reset.
pub type HookError = Box<dyn std::error::Error + Send + Sync>;

/// Identifies a hook in logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookMetadata {
    name: String,
}

impl HookMetadata {
    /// Metadata with this hook name.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into() }
    }

    /// The hook's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// What a hook learns about the evaluation it wraps.
#[derive(Debug, Clone, Copy)]
pub struct EvaluationSeriesContext<'a> {
    /// The flag being evaluated.
    pub flag_key: &'a str,
    /// The context it is evaluated for.
    pub context: &'a Context,
    /// The default value the application passed, as JSON.
    pub default_value: &'a Value,
    /// The client method called, such as `Client::bool_variation`.
    pub method: &'static str,
}

/// What a hook learns about a `track` call.
#[derive(Debug, Clone, Copy)]
pub struct TrackSeriesContext<'a> {
    /// The event key.
    pub key: &'a str,
    /// The context the event is about.
    pub context: &'a Context,
    /// The custom data passed to `track`, if any.
    pub data: Option<&'a Value>,
    /// The metric value passed to `track`, if any.
    pub metric_value: Option<f64>,
}

/// Code that runs around evaluations and after `track` calls.
///
/// Every stage has a default that does nothing, so a hook implements only what it needs.
/// `before_evaluation` stages run in the order hooks were added, `after_evaluation` stages in
/// the reverse order, so hooks nest like middleware. A stage that returns an error or panics is
/// logged and skipped: a hook can never change or break an evaluation.
///
/// Hooks run on the evaluating thread; keep them quick.
///
/// ```
/// use std::time::Instant;
/// use ld_sdk::{EvaluationDetail, EvaluationSeriesContext, Hook, HookError, HookMetadata, SeriesData};
///
/// struct Timing;
///
/// impl Hook for Timing {
///     fn metadata(&self) -> HookMetadata {
///         HookMetadata::new("timing")
///     }
///
///     fn before_evaluation(
///         &self,
///         _series: &EvaluationSeriesContext<'_>,
///         data: SeriesData,
///     ) -> Result<SeriesData, HookError> {
///         Ok(data.with("start", Instant::now()))
///     }
///
///     fn after_evaluation(
///         &self,
///         series: &EvaluationSeriesContext<'_>,
///         data: SeriesData,
///         _detail: &EvaluationDetail<serde_json::Value>,
///     ) -> Result<SeriesData, HookError> {
///         if let Some(start) = data.get::<Instant>("start") {
///             println!("{} took {:?}", series.flag_key, start.elapsed());
///         }
///         Ok(data)
///     }
/// }
/// ```
pub trait Hook: Send + Sync {
    /// The hook's name and other metadata.
    fn metadata(&self) -> HookMetadata;

    /// Runs before the flag is evaluated; returns the data handed to `after_evaluation`.
    fn before_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
    ) -> Result<SeriesData, HookError> {
        let _ = series;
        Ok(data)
    }

    /// Runs after the flag is evaluated, with the result the application will get.
    fn after_evaluation(
        &self,
        series: &EvaluationSeriesContext<'_>,
        data: SeriesData,
        detail: &EvaluationDetail<Value>,
    ) -> Result<SeriesData, HookError> {
        let _ = (series, detail);
        Ok(data)
    }

    /// Runs after a custom event was recorded by `track`.
    fn after_track(&self, series: &TrackSeriesContext<'_>) -> Result<(), HookError> {
        let _ = series;
        Ok(())
    }
}
