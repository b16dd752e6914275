//! Runs the configured hooks around an evaluation, isolating the evaluation from their failures.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use serde_json::Value;

use crate::{EvaluationDetail, EvaluationSeriesContext, Hook, SeriesData, TrackSeriesContext};

/// The hooks of one client.
#[derive(Clone, Default)]
pub(crate) struct HookRunner {
    hooks: Arc<[Arc<dyn Hook>]>,
}

impl HookRunner {
    pub(crate) fn new(hooks: Vec<Arc<dyn Hook>>) -> Self {
        Self {
            hooks: hooks.into(),
        }
    }

    /// True when no hook is configured: callers skip building series contexts entirely.
    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }

    /// Runs every `before_evaluation` (in order), then `evaluate`, then every `after_evaluation`
    /// (in reverse order), each with its own series data. Returns what `evaluate` returned.
    pub(crate) fn run_evaluation<T>(
        &self,
        series: &EvaluationSeriesContext<'_>,
        evaluate: impl FnOnce() -> T,
        as_json: impl FnOnce(&T) -> EvaluationDetail<Value>,
    ) -> T {
        let data: Vec<SeriesData> = self
            .hooks
            .iter()
            .map(|hook| {
                guarded(hook.as_ref(), "before_evaluation", series.flag_key, || {
                    hook.before_evaluation(series, SeriesData::new())
                })
                .unwrap_or_default()
            })
            .collect();
        let result = evaluate();
        let detail = as_json(&result);
        for (hook, data) in self.hooks.iter().zip(data).rev() {
            let _ = guarded(hook.as_ref(), "after_evaluation", series.flag_key, || {
                hook.after_evaluation(series, data, &detail)
            });
        }
        result
    }

    /// Runs every `after_track`, in order.
    pub(crate) fn run_after_track(&self, series: &TrackSeriesContext<'_>) {
        for hook in self.hooks.iter() {
            let _ = guarded(hook.as_ref(), "after_track", series.key, || {
                hook.after_track(series)
            });
        }
    }
}

/// Runs one hook stage; an error or a panic is logged and becomes `None`.
fn guarded<T>(
    hook: &dyn Hook,
    stage: &str,
    subject: &str,
    run: impl FnOnce() -> Result<T, crate::HookError>,
) -> Option<T> {
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Ok(value)) => Some(value),
        Ok(Err(e)) => {
            let name = hook_name(hook);
            tracing::error!("hook {name:?} failed in {stage} for {subject:?}: {e}");
            None
        }
        Err(panic) => {
            let name = hook_name(hook);
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "non-string panic".into());
            tracing::error!("hook {name:?} panicked in {stage} for {subject:?}: {message}");
            None
        }
    }
}

/// The hook's name, even if `metadata` itself panics.
fn hook_name(hook: &dyn Hook) -> String {
    catch_unwind(AssertUnwindSafe(|| hook.metadata().name().to_owned()))
        .unwrap_or_else(|_| "<unnamed>".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContextBuilder, HookError, HookMetadata, Reason};
    use parking_lot::Mutex;

    struct Recorder {
        name: &'static str,
        log: Arc<Mutex<Vec<String>>>,
        fail_before: bool,
        panic_after: bool,
    }

    impl Hook for Recorder {
        fn metadata(&self) -> HookMetadata {
            HookMetadata::new(self.name)
        }
        fn before_evaluation(
            &self,
            series: &EvaluationSeriesContext<'_>,
            data: SeriesData,
        ) -> Result<SeriesData, HookError> {
            self.log
                .lock()
                .push(format!("{} before {}", self.name, series.flag_key));
            if self.fail_before {
                return Err("boom".into());
            }
            Ok(data.with("from", self.name))
        }
        fn after_evaluation(
            &self,
            _series: &EvaluationSeriesContext<'_>,
            data: SeriesData,
            detail: &EvaluationDetail<Value>,
        ) -> Result<SeriesData, HookError> {
            self.log.lock().push(format!(
                "{} after {} saw {:?}",
                self.name,
                detail.value,
                data.get::<&str>("from")
            ));
            if self.panic_after {
                panic!("hook bug");
            }
            Ok(data)
        }
    }

    fn hook(
        name: &'static str,
        log: &Arc<Mutex<Vec<String>>>,
        fail_before: bool,
        panic_after: bool,
    ) -> Arc<dyn Hook> {
        Arc::new(Recorder {
            name,
            log: log.clone(),
            fail_before,
            panic_after,
        })
    }

    fn run(runner: &HookRunner) -> bool {
        let context = ContextBuilder::new("u").build().unwrap();
        let default = Value::Bool(false);
        let series = EvaluationSeriesContext {
            flag_key: "f",
            context: &context,
            default_value: &default,
            method: "Client::bool_variation",
        };
        runner.run_evaluation(
            &series,
            || true,
            |v| EvaluationDetail {
                value: Value::Bool(*v),
                variation_index: Some(0),
                reason: Reason::fallthrough(false),
            },
        )
    }

    #[test]
    fn before_stages_run_in_order_and_after_stages_in_reverse_with_own_data() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let runner = HookRunner::new(vec![
            hook("a", &log, false, false),
            hook("b", &log, false, false),
        ]);
        assert!(run(&runner));
        assert_eq!(
            *log.lock(),
            [
                "a before f",
                "b before f",
                "b after true saw Some(\"b\")",
                "a after true saw Some(\"a\")"
            ]
        );
    }

    #[test]
    fn a_failing_or_panicking_hook_does_not_break_evaluation_or_other_hooks() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let runner = HookRunner::new(vec![
            hook("bad", &log, true, true),
            hook("good", &log, false, false),
        ]);
        assert!(run(&runner));
        let log = log.lock();
        // The failing before stage reset its data; the good hook kept its own.
        assert!(log.contains(&"bad after true saw None".to_string()));
        assert!(log.contains(&"good after true saw Some(\"good\")".to_string()));
    }
}
