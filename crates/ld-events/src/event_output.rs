//! Writes a payload — the buffered events followed by the summary — as event schema 4 JSON.
//!
//! Field order follows LaunchDarkly's Go SDK (`kind`, `creationDate`, `key`, `version`, `context`,
//! `variation`, `value`, `default`, `prereqOf`, `reason`, `samplingRatio` for evaluations), so that
//! payloads can be compared byte for byte in golden tests. Contexts are always inlined; feature and
//! custom events redact anonymous contexts, index, identify and debug events do not.

use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::context_formatter::ContextFormatter;
use crate::event::{CustomEvent, FeatureEvent, OutputEvent};
use crate::summary::SummarySnapshot;

/// Serializes `events` then `summary` (if any) as one JSON array.
pub(crate) fn write_payload(
    formatter: &ContextFormatter,
    events: &[OutputEvent],
    summary: Option<&SummarySnapshot>,
) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::with_capacity(256 * (events.len() + 1));
    let mut ser = serde_json::Serializer::new(&mut out);
    let mut seq = ser.serialize_seq(None)?;
    for event in events {
        seq.serialize_element(&Formatted { formatter, event })?;
    }
    if let Some(summary) = summary {
        seq.serialize_element(summary)?;
    }
    SerializeSeq::end(seq)?;
    Ok(out)
}

struct Formatted<'a> {
    formatter: &'a ContextFormatter,
    event: &'a OutputEvent,
}

impl Serialize for Formatted<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = self.formatter;
        let mut map = serializer.serialize_map(None)?;
        match self.event {
            OutputEvent::Index {
                creation_date,
                context,
            } => {
                map.serialize_entry("kind", "index")?;
                map.serialize_entry("creationDate", creation_date)?;
                map.serialize_entry("context", &f.format(context, false))?;
            }
            OutputEvent::Identify {
                creation_date,
                context,
            } => {
                map.serialize_entry("kind", "identify")?;
                map.serialize_entry("creationDate", creation_date)?;
                map.serialize_entry("context", &f.format(context, false))?;
            }
            OutputEvent::Feature(e) => {
                let FeatureEvent {
                    creation_date,
                    key,
                    version,
                    context,
                    variation,
                    value,
                    default,
                    prereq_of,
                    reason,
                    sampling_ratio,
                    debug,
                } = &**e;
                map.serialize_entry("kind", if *debug { "debug" } else { "feature" })?;
                map.serialize_entry("creationDate", creation_date)?;
                map.serialize_entry("key", key)?;
                if let Some(version) = version {
                    map.serialize_entry("version", version)?;
                }
                map.serialize_entry("context", &f.format(context, !*debug))?;
                if let Some(variation) = variation {
                    map.serialize_entry("variation", variation)?;
                }
                map.serialize_entry("value", value)?;
                map.serialize_entry("default", default)?;
                if let Some(prereq_of) = prereq_of {
                    map.serialize_entry("prereqOf", prereq_of)?;
                }
                if let Some(reason) = reason {
                    map.serialize_entry("reason", reason)?;
                }
                if let Some(ratio) = sampling_ratio.filter(|r| *r != 1) {
                    map.serialize_entry("samplingRatio", &ratio)?;
                }
            }
            OutputEvent::Custom(e) => {
                let CustomEvent {
                    creation_date,
                    key,
                    context,
                    data,
                    metric_value,
                } = &**e;
                map.serialize_entry("kind", "custom")?;
                map.serialize_entry("creationDate", creation_date)?;
                map.serialize_entry("key", key)?;
                if !data.is_null() {
                    map.serialize_entry("data", data)?;
                }
                map.serialize_entry("context", &f.format(context, true))?;
                if let Some(metric) = metric_value {
                    map.serialize_entry("metricValue", metric)?;
                }
            }
        }
        map.end()
    }
}
