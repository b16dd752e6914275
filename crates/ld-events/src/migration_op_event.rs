//! The `migration_op` event: what one migration-assisted read or write did (which origins it
//! invoked, how long each took, which failed, whether their results agreed), sent so that
//! LaunchDarkly can chart a technology migration's health.
//!
//! The SDK builds the event (its tracker knows the stage evaluation and the measurements); this
//! module only buffers it, applies the flag's `samplingRatio`, and writes it in LaunchDarkly's
//! JSON form: `kind`, `creationDate`, `operation`, `samplingRatio` (when not 1), the context
//! (inline, anonymous contexts redacted as in feature events), the `evaluation` that chose the
//! stage, and the `measurements` array (`invoked`, `consistent`, `latency_ms`, `error`).

use std::sync::Arc;

use rand::Rng;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::context_formatter::ContextFormatter;
use crate::event::{OutputEvent, RawJson};
use crate::event_context::EventContext;
use crate::processor::EventProcessor;

/// One value per migration origin: the old system and the new one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PerOrigin<T> {
    /// For the old origin.
    pub old: T,
    /// For the new origin.
    pub new: T,
}

/// The result of a consistency check between the old and new origins' read results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsistencyCheck {
    /// Whether the two results agreed.
    pub consistent: bool,
    /// The flag's `checkRatio` in effect: one in this many operations is checked.
    pub sampling_ratio: u64,
}

/// A `migration_op` event, ready to be recorded with [`EventProcessor::record_migration_op`].
///
/// ```
/// use std::sync::Arc;
/// use ld_events::{EventContext, IndividualContext, MigrationOpEvent, OutputEvent, PerOrigin, RawJson};
///
/// let event = MigrationOpEvent {
///     creation_date: 1_700_000_000_000,
///     context: Arc::new(EventContext::single(IndividualContext::new("user", "u1"))),
///     operation: "read".into(),
///     flag_key: "db-migration".into(),
///     version: Some(3),
///     variation: Some(2),
///     value: serde_json::json!("shadow"),
///     default: serde_json::json!("off"),
///     reason: Some(RawJson::to_raw(&serde_json::json!({"kind": "FALLTHROUGH"})).unwrap()),
///     sampling_ratio: None,
///     invoked: PerOrigin { old: true, new: true },
///     consistency: None,
///     latency_ms: PerOrigin::default(),
///     errors: PerOrigin::default(),
/// };
/// assert_eq!(OutputEvent::MigrationOp(Box::new(event)).kind(), "migration_op");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MigrationOpEvent {
    /// Unix milliseconds.
    pub creation_date: u64,
    /// The context the migration flag was evaluated for.
    pub context: Arc<EventContext>,
    /// `read` or `write`.
    pub operation: String,
    /// The migration flag's key.
    pub flag_key: String,
    /// The flag version; `None` when the flag was not found.
    pub version: Option<u64>,
    /// The variation index served, if any.
    pub variation: Option<usize>,
    /// The stage served, as the flag's JSON value (the default stage when evaluation failed).
    pub value: Value,
    /// The application's default stage.
    pub default: Value,
    /// The evaluation reason.
    pub reason: Option<RawJson>,
    /// The flag's `samplingRatio` (keep one in N of these events; `None` means 1, 0 keeps none).
    pub sampling_ratio: Option<u64>,
    /// Which origins the operation called.
    pub invoked: PerOrigin<bool>,
    /// The consistency check, when one was run.
    pub consistency: Option<ConsistencyCheck>,
    /// Each invoked origin's duration in milliseconds, when latency was tracked.
    pub latency_ms: PerOrigin<Option<u64>>,
    /// Which origins failed (only recorded when errors were tracked).
    pub errors: PerOrigin<bool>,
}

impl EventProcessor {
    /// Buffers a `migration_op` event for the next flush, keeping one in `sampling_ratio` of them
    /// (none when the ratio is 0). Never blocks; does nothing when events are disabled.
    ///
    /// The event adds no `index` event: the migration flag's evaluation that preceded it already
    /// made its context known.
    pub fn record_migration_op(&self, event: MigrationOpEvent) {
        if !self.is_enabled() || !sampled(event.sampling_ratio) {
            return;
        }
        self.push_output(OutputEvent::MigrationOp(Box::new(event)));
    }
}

/// Whether an event with this sampling ratio is kept.
fn sampled(ratio: Option<u64>) -> bool {
    match ratio.unwrap_or(1) {
        0 => false,
        1 => true,
        n => rand::rng().random_range(0..n) == 0,
    }
}

/// Writes the event's fields (after the caller opened the object).
pub(crate) fn write_fields<M: SerializeMap>(
    map: &mut M,
    formatter: &ContextFormatter,
    e: &MigrationOpEvent,
) -> Result<(), M::Error> {
    map.serialize_entry("kind", "migration_op")?;
    map.serialize_entry("creationDate", &e.creation_date)?;
    map.serialize_entry("operation", &e.operation)?;
    if let Some(ratio) = e.sampling_ratio.filter(|r| *r != 1) {
        map.serialize_entry("samplingRatio", &ratio)?;
    }
    map.serialize_entry("context", &formatter.format(&e.context, true))?;
    map.serialize_entry("evaluation", &Evaluation(e))?;
    map.serialize_entry("measurements", &Measurements(e))
}

struct Evaluation<'a>(&'a MigrationOpEvent);

impl Serialize for Evaluation<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("key", &e.flag_key)?;
        map.serialize_entry("value", &e.value)?;
        map.serialize_entry("default", &e.default)?;
        if let Some(reason) = &e.reason {
            map.serialize_entry("reason", reason)?;
        }
        if let Some(variation) = e.variation {
            map.serialize_entry("variation", &variation)?;
        }
        if let Some(version) = e.version {
            map.serialize_entry("version", &version)?;
        }
        map.end()
    }
}

struct Measurements<'a>(&'a MigrationOpEvent);

impl Serialize for Measurements<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut seq = serializer.serialize_seq(None)?;
        if e.invoked.old || e.invoked.new {
            seq.serialize_element(&Measurement {
                key: "invoked",
                values: PerOrigin {
                    old: e.invoked.old.then_some(true),
                    new: e.invoked.new.then_some(true),
                },
            })?;
        }
        if let Some(check) = e.consistency {
            seq.serialize_element(&Consistency(check))?;
        }
        if e.latency_ms.old.is_some() || e.latency_ms.new.is_some() {
            seq.serialize_element(&Measurement {
                key: "latency_ms",
                values: e.latency_ms,
            })?;
        }
        if e.errors.old || e.errors.new {
            seq.serialize_element(&Measurement {
                key: "error",
                values: PerOrigin {
                    old: e.errors.old.then_some(true),
                    new: e.errors.new.then_some(true),
                },
            })?;
        }
        seq.end()
    }
}

/// `{"key": …, "values": {"old": …, "new": …}}`, leaving out origins without a value.
struct Measurement<T> {
    key: &'static str,
    values: PerOrigin<Option<T>>,
}

impl<T: Serialize> Serialize for Measurement<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("key", self.key)?;
        map.serialize_entry("values", &Values(&self.values))?;
        map.end()
    }
}

struct Values<'a, T>(&'a PerOrigin<Option<T>>);

impl<T: Serialize> Serialize for Values<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(old) = &self.0.old {
            map.serialize_entry("old", old)?;
        }
        if let Some(new) = &self.0.new {
            map.serialize_entry("new", new)?;
        }
        map.end()
    }
}

/// The consistency measurement always carries its ratio (LaunchDarkly's harness expects it even
/// when it is 1).
struct Consistency(ConsistencyCheck);

impl Serialize for Consistency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("key", "consistent")?;
        map.serialize_entry("value", &self.0.consistent)?;
        map.serialize_entry("samplingRatio", &self.0.sampling_ratio)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event_context::IndividualContext;
    use ld_eval::AttrRef;
    use serde_json::json;

    fn event() -> MigrationOpEvent {
        let user = IndividualContext {
            name: Some("Sandy".into()),
            anonymous: true,
            attributes: vec![("email".into(), json!("sandy@example.com"))],
            ..IndividualContext::new("user", "user-key-1")
        };
        MigrationOpEvent {
            creation_date: 1_700_000_000_321,
            context: Arc::new(EventContext::single(user)),
            operation: "read".into(),
            flag_key: "db-migration".into(),
            version: Some(7),
            variation: Some(3),
            value: json!("live"),
            default: json!("off"),
            reason: Some(RawJson::to_raw(&json!({"kind": "FALLTHROUGH"})).unwrap()),
            sampling_ratio: Some(10),
            invoked: PerOrigin {
                old: true,
                new: true,
            },
            consistency: Some(ConsistencyCheck {
                consistent: false,
                sampling_ratio: 1,
            }),
            latency_ms: PerOrigin {
                old: Some(12),
                new: Some(3),
            },
            errors: PerOrigin {
                old: false,
                new: true,
            },
        }
    }

    #[test]
    fn migration_op_event_redacts_anonymous_context_and_matches_golden() {
        let path = format!(
            "{}/tests/golden/migration_op.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let expected = std::fs::read_to_string(&path).unwrap();
        let formatter = ContextFormatter::new(false, vec![AttrRef::new("email")]);
        let events = [OutputEvent::MigrationOp(Box::new(event()))];
        let actual = crate::event_output::write_payload(&formatter, &events, None).unwrap();
        assert_eq!(String::from_utf8(actual).unwrap(), expected.trim_end());
    }

    #[test]
    fn measurements_leave_out_what_was_not_measured() {
        let mut e = event();
        e.sampling_ratio = None;
        e.invoked = PerOrigin {
            old: true,
            new: false,
        };
        e.consistency = None;
        e.latency_ms = PerOrigin::default();
        e.errors = PerOrigin::default();
        let formatter = ContextFormatter::new(false, Vec::new());
        let events = [OutputEvent::MigrationOp(Box::new(e))];
        let out = crate::event_output::write_payload(&formatter, &events, None).unwrap();
        let json: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            json[0]["measurements"],
            json!([{"key": "invoked", "values": {"old": true}}])
        );
        assert!(json[0].get("samplingRatio").is_none());
    }

    #[test]
    fn sampling_ratio_zero_keeps_nothing_and_one_keeps_everything() {
        assert!(!sampled(Some(0)));
        assert!(sampled(Some(1)));
        assert!(sampled(None));
    }

    #[test]
    fn sampling_ratio_keeps_about_one_in_n() {
        let kept = (0..4000).filter(|_| sampled(Some(4))).count();
        // Expected 1000; the bounds are many standard deviations (~27) wide.
        assert!((700..1300).contains(&kept), "kept {kept} of 4000");
    }
}
