//! [`MigrationOpTracker`]: collects what one migration operation did — the operation, which
//! origins it invoked, their latencies and errors, whether their results agreed — and turns it
//! into a `migration_op` analytics event.
//!
//! [`Client::migration_variation`](crate::Client::migration_variation) hands one out with the
//! stage; a [`Migrator`](crate::Migrator) fills it in and sends it itself. Applications that run
//! their own migration logic fill it in and pass it to
//! [`Client::track_migration_op`](crate::Client::track_migration_op).

use std::sync::Arc;
use std::time::Duration;

use ld_eval::Context;
use ld_events::{ConsistencyCheck, EventContextSource, MigrationOpEvent, PerOrigin, RawJson};
use parking_lot::Mutex;
use rand::Rng;
use serde_json::Value;
use thiserror::Error;

use crate::{EvaluationDetail, Operation, Origin, Stage};

/// Why a tracker cannot produce a `migration_op` event.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MigrationOpTrackerError {
    /// The flag key is empty.
    #[error("a migration operation needs a flag key")]
    EmptyFlagKey,
    /// [`MigrationOpTracker::operation`] was never called.
    #[error("the migration operation (read or write) was not set")]
    NoOperation,
    /// No origin was recorded as invoked.
    #[error("no origin was recorded as invoked")]
    NothingInvoked,
    /// A latency or error was recorded for an origin that was not invoked.
    #[error(
        "a {measurement} was recorded for the {origin} origin without recording its invocation"
    )]
    NotInvoked {
        /// `latency` or `error`.
        measurement: &'static str,
        /// The origin.
        origin: Origin,
    },
    /// A consistency result was recorded without both origins invoked.
    #[error("a consistency check was recorded without invoking both origins")]
    ConsistencyWithoutBothOrigins,
}

/// The migration-related settings of the evaluated flag (absent when the flag was not found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MigrationFlagInfo {
    pub(crate) version: u64,
    pub(crate) sampling_ratio: Option<u64>,
    pub(crate) check_ratio: Option<u64>,
}

#[derive(Debug, Default)]
struct Measurements {
    operation: Option<Operation>,
    invoked: PerOrigin<bool>,
    consistency: Option<ConsistencyCheck>,
    errors: PerOrigin<bool>,
    latency_ms: PerOrigin<Option<u64>>,
}

/// Collects the measurements of one migration operation. `Send + Sync`: the two origins of a
/// concurrent read record into it from their own threads. Cloning shares the same measurements.
///
/// ```
/// use std::time::Duration;
/// use ld_sdk::{Client, Config, ContextBuilder, Operation, Origin, Stage, TestData};
///
/// let td = TestData::new();
/// let stages = ["off", "dualwrite", "shadow", "live", "rampdown", "complete"];
/// td.update(td.flag("db-migration").variations(stages).variation_for_all(2usize));
/// let client = Client::new(Config::builder("k").data_source(&td).send_events(false).build()?)?;
/// let context = ContextBuilder::new("user-1").build()?;
///
/// let (stage, tracker) = client.migration_variation("db-migration", &context, Stage::Off);
/// assert_eq!(stage, Stage::Shadow);
/// tracker.operation(Operation::Read);
/// tracker.invoked(Origin::Old);
/// tracker.latency(Origin::Old, Duration::from_millis(4));
/// tracker.invoked(Origin::New);
/// tracker.consistent(|| true);
/// client.track_migration_op(&tracker)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct MigrationOpTracker {
    shared: Arc<TrackerState>,
}

#[derive(Debug)]
struct TrackerState {
    flag_key: String,
    flag: Option<MigrationFlagInfo>,
    context: Context,
    detail: EvaluationDetail<Value>,
    default_stage: Stage,
    measurements: Mutex<Measurements>,
}

impl MigrationOpTracker {
    pub(crate) fn new(
        flag_key: &str,
        flag: Option<MigrationFlagInfo>,
        context: &Context,
        detail: EvaluationDetail<Value>,
        default_stage: Stage,
    ) -> Self {
        MigrationOpTracker {
            shared: Arc::new(TrackerState {
                flag_key: flag_key.to_owned(),
                flag,
                context: context.clone(),
                detail,
                default_stage,
                measurements: Mutex::default(),
            }),
        }
    }

    /// The evaluation of the migration flag that chose the stage.
    pub fn evaluation(&self) -> &EvaluationDetail<Value> {
        &self.shared.detail
    }

    /// Sets the operation these measurements are about.
    pub fn operation(&self, operation: Operation) {
        self.shared.measurements.lock().operation = Some(operation);
    }

    /// Records that `origin` was called.
    pub fn invoked(&self, origin: Origin) {
        *pick(&mut self.shared.measurements.lock().invoked, origin) = true;
    }

    /// Records that `origin` failed.
    pub fn error(&self, origin: Origin) {
        *pick(&mut self.shared.measurements.lock().errors, origin) = true;
    }

    /// Records how long `origin` took (sent in whole milliseconds).
    pub fn latency(&self, origin: Origin, duration: Duration) {
        let ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        *pick(&mut self.shared.measurements.lock().latency_ms, origin) = Some(ms);
    }

    /// Records a consistency check, if the flag's `checkRatio` samples this operation: one in
    /// `checkRatio` operations runs `is_consistent` (every one when the flag has no ratio, none
    /// when it is 0). Returns whether the check ran.
    ///
    /// `is_consistent` runs without the tracker's lock held.
    pub fn consistent(&self, is_consistent: impl FnOnce() -> bool) -> bool {
        let ratio = self.shared.flag.and_then(|f| f.check_ratio).unwrap_or(1);
        if !sample(ratio) {
            return false;
        }
        let consistent = is_consistent();
        self.shared.measurements.lock().consistency = Some(ConsistencyCheck {
            consistent,
            sampling_ratio: ratio,
        });
        true
    }

    /// The `migration_op` event for what was recorded, or why there is none.
    pub fn build(&self) -> Result<MigrationOpEvent, MigrationOpTrackerError> {
        let state = &*self.shared;
        if state.flag_key.is_empty() {
            return Err(MigrationOpTrackerError::EmptyFlagKey);
        }
        let m = state.measurements.lock();
        let operation = m.operation.ok_or(MigrationOpTrackerError::NoOperation)?;
        if !m.invoked.old && !m.invoked.new {
            return Err(MigrationOpTrackerError::NothingInvoked);
        }
        for origin in [Origin::Old, Origin::New] {
            if *pick_ref(&m.invoked, origin) {
                continue;
            }
            if pick_ref(&m.latency_ms, origin).is_some() {
                return Err(MigrationOpTrackerError::NotInvoked {
                    measurement: "latency",
                    origin,
                });
            }
            if *pick_ref(&m.errors, origin) {
                return Err(MigrationOpTrackerError::NotInvoked {
                    measurement: "error",
                    origin,
                });
            }
        }
        if m.consistency.is_some() && !(m.invoked.old && m.invoked.new) {
            return Err(MigrationOpTrackerError::ConsistencyWithoutBothOrigins);
        }
        Ok(MigrationOpEvent {
            creation_date: now_millis(),
            context: Arc::new(state.context.to_event_context()),
            operation: operation.as_str().to_owned(),
            flag_key: state.flag_key.clone(),
            version: state.flag.map(|f| f.version),
            variation: state.detail.variation_index,
            value: state.detail.value.clone(),
            default: Value::String(state.default_stage.as_str().to_owned()),
            reason: RawJson::to_raw(&state.detail.reason).ok(),
            sampling_ratio: state.flag.and_then(|f| f.sampling_ratio),
            invoked: m.invoked,
            consistency: m.consistency,
            latency_ms: m.latency_ms,
            errors: m.errors,
        })
    }
}

fn pick<T>(values: &mut PerOrigin<T>, origin: Origin) -> &mut T {
    match origin {
        Origin::Old => &mut values.old,
        Origin::New => &mut values.new,
    }
}

fn pick_ref<T>(values: &PerOrigin<T>, origin: Origin) -> &T {
    match origin {
        Origin::Old => &values.old,
        Origin::New => &values.new,
    }
}

/// Whether a check with this ratio runs: 0 never, 1 always, otherwise one in `ratio`.
fn sample(ratio: u64) -> bool {
    match ratio {
        0 => false,
        1 => true,
        n => rand::rng().random_range(0..n) == 0,
    }
}

fn now_millis() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ContextBuilder, Reason};
    use serde_json::json;

    fn tracker(check_ratio: Option<u64>) -> MigrationOpTracker {
        MigrationOpTracker::new(
            "db-migration",
            Some(MigrationFlagInfo {
                version: 4,
                sampling_ratio: None,
                check_ratio,
            }),
            &ContextBuilder::new("user-1").build().unwrap(),
            EvaluationDetail {
                value: json!("live"),
                variation_index: Some(3),
                reason: Reason::fallthrough(false),
            },
            Stage::Off,
        )
    }

    #[test]
    fn a_complete_read_builds_an_event_with_every_measurement() {
        let t = tracker(None);
        t.operation(Operation::Read);
        t.invoked(Origin::Old);
        t.invoked(Origin::New);
        t.latency(Origin::Old, Duration::from_millis(15));
        t.error(Origin::New);
        assert!(t.consistent(|| false));
        let e = t.build().unwrap();
        assert_eq!(e.operation, "read");
        assert_eq!(e.version, Some(4));
        assert_eq!(e.variation, Some(3));
        assert_eq!(e.value, json!("live"));
        assert_eq!(e.default, json!("off"));
        assert_eq!(
            e.latency_ms,
            PerOrigin {
                old: Some(15),
                new: None
            }
        );
        assert_eq!(
            e.errors,
            PerOrigin {
                old: false,
                new: true
            }
        );
        assert_eq!(
            e.consistency,
            Some(ConsistencyCheck {
                consistent: false,
                sampling_ratio: 1
            })
        );
    }

    #[test]
    fn an_event_needs_an_operation_and_an_invoked_origin() {
        let t = tracker(None);
        t.invoked(Origin::Old);
        assert_eq!(t.build(), Err(MigrationOpTrackerError::NoOperation));
        let t = tracker(None);
        t.operation(Operation::Write);
        assert_eq!(t.build(), Err(MigrationOpTrackerError::NothingInvoked));
    }

    #[test]
    fn measurements_for_an_origin_that_was_not_invoked_are_rejected() {
        let t = tracker(None);
        t.operation(Operation::Read);
        t.invoked(Origin::Old);
        t.latency(Origin::New, Duration::from_millis(1));
        assert!(matches!(
            t.build(),
            Err(MigrationOpTrackerError::NotInvoked {
                origin: Origin::New,
                ..
            })
        ));
        let t = tracker(None);
        t.operation(Operation::Read);
        t.invoked(Origin::New);
        t.error(Origin::Old);
        assert!(matches!(
            t.build(),
            Err(MigrationOpTrackerError::NotInvoked {
                origin: Origin::Old,
                ..
            })
        ));
    }

    #[test]
    fn consistency_needs_both_origins() {
        let t = tracker(None);
        t.operation(Operation::Read);
        t.invoked(Origin::Old);
        t.consistent(|| true);
        assert_eq!(
            t.build(),
            Err(MigrationOpTrackerError::ConsistencyWithoutBothOrigins)
        );
    }

    #[test]
    fn check_ratio_zero_never_runs_the_comparison() {
        let t = tracker(Some(0));
        for _ in 0..100 {
            assert!(!t.consistent(|| panic!("must not run")));
        }
    }

    #[test]
    fn check_ratio_samples_about_one_in_n_operations() {
        let t = tracker(Some(5));
        let ran = (0..5000).filter(|_| t.consistent(|| true)).count();
        // Expected 1000; the bounds are over ten standard deviations (~28) wide.
        assert!((700..1300).contains(&ran), "ran {ran} of 5000");
        t.operation(Operation::Read);
        t.invoked(Origin::Old);
        t.invoked(Origin::New);
        assert_eq!(t.build().unwrap().consistency.unwrap().sampling_ratio, 5);
    }
}
