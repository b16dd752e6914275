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
            OutputEvent::MigrationOp(e) => {
                crate::migration_op_event::write_fields(&mut map, f, e)?;
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod golden_tests {
    //! Each event kind, from a fixed input, must serialize to exactly the bytes in
    //! `tests/golden/<kind>.json` (the file's trailing newline aside).

    use std::collections::BTreeMap;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use ld_eval::AttrRef;

    use crate::event::RawJson;
    use crate::event_context::{EventContext, IndividualContext};
    use crate::summary::{CounterSummary, FlagSummary};

    fn formatter() -> ContextFormatter {
        ContextFormatter::new(
            false,
            vec![AttrRef::new("email"), AttrRef::new("/address/street")],
        )
    }

    fn user(anonymous: bool) -> IndividualContext {
        IndividualContext {
            name: Some("Sandy Smith".into()),
            anonymous,
            attributes: vec![
                ("email".into(), json!("sandy@example.com")),
                (
                    "address".into(),
                    json!({"city": "Springfield", "street": "1 Main St"}),
                ),
                ("groups".into(), json!(["beta", "staff"])),
            ],
            private_attributes: vec![AttrRef::new("/groups")],
            ..IndividualContext::new("user", "user-key-1")
        }
    }

    fn org() -> IndividualContext {
        IndividualContext {
            name: Some("Acme".into()),
            attributes: vec![("tier".into(), json!(3))],
            ..IndividualContext::new("org", "org:key/1")
        }
    }

    fn feature(debug: bool) -> OutputEvent {
        OutputEvent::Feature(Box::new(FeatureEvent {
            creation_date: 1_700_000_000_123,
            key: "new-checkout".into(),
            version: Some(42),
            context: Arc::new(EventContext::single(user(true))),
            variation: Some(1),
            value: json!({"color": "blue"}),
            default: json!(null),
            prereq_of: Some("checkout-parent".into()),
            reason: Some(RawJson(
                r#"{"kind":"RULE_MATCH","ruleIndex":0,"ruleId":"rule-1","inExperiment":true}"#
                    .into(),
            )),
            sampling_ratio: Some(10),
            debug,
        }))
    }

    fn check(name: &str, events: &[OutputEvent], summary: Option<&SummarySnapshot>) {
        let path = format!("{}/tests/golden/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let actual =
            String::from_utf8(write_payload(&formatter(), events, summary).unwrap()).unwrap();
        assert_eq!(actual, expected.trim_end(), "{name}");
    }

    #[test]
    fn index_event_matches_golden() {
        check(
            "index",
            &[OutputEvent::Index {
                creation_date: 1_700_000_000_000,
                context: Arc::new(EventContext::single(user(false))),
            }],
            None,
        );
    }

    #[test]
    fn feature_event_redacts_anonymous_context_and_matches_golden() {
        check("feature", &[feature(false)], None);
    }

    #[test]
    fn debug_event_keeps_anonymous_attributes_and_matches_golden() {
        check("debug", &[feature(true)], None);
    }

    #[test]
    fn custom_event_matches_golden() {
        check(
            "custom",
            &[OutputEvent::Custom(Box::new(CustomEvent {
                creation_date: 1_700_000_000_456,
                key: "purchase".into(),
                context: Arc::new(EventContext::multi(vec![org(), user(true)])),
                data: json!({"amount": 12.5, "items": [1, 2]}),
                metric_value: Some(12.5),
            }))],
            None,
        );
    }

    #[test]
    fn identify_event_matches_golden() {
        check(
            "identify",
            &[OutputEvent::Identify {
                creation_date: 1_700_000_000_789,
                context: Arc::new(EventContext::multi(vec![org(), user(false)])),
            }],
            None,
        );
    }

    #[test]
    fn summary_event_matches_golden() {
        let mut flags = BTreeMap::new();
        flags.insert(
            "new-checkout".to_owned(),
            FlagSummary {
                default: json!(false),
                counters: vec![
                    CounterSummary {
                        variation: Some(0),
                        version: Some(42),
                        value: json!(false),
                        count: 3,
                    },
                    CounterSummary {
                        variation: Some(1),
                        version: Some(42),
                        value: json!(true),
                        count: 5,
                    },
                ],
                context_kinds: vec!["org".into(), "user".into()],
            },
        );
        flags.insert(
            "missing-flag".to_owned(),
            FlagSummary {
                default: json!("fallback"),
                counters: vec![CounterSummary {
                    variation: None,
                    version: None,
                    value: json!("fallback"),
                    count: 2,
                }],
                context_kinds: vec!["user".into()],
            },
        );
        let summary = SummarySnapshot {
            start_date: 1_700_000_000_000,
            end_date: 1_700_000_005_000,
            flags,
        };
        check("summary", &[], Some(&summary));
    }
}
