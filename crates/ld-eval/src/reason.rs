//! Evaluation reasons, in LaunchDarkly's JSON shape.

use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::shared_str::SharedStr;

/// Why an evaluation could not produce a flag's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorKind {
    /// The client was not ready to evaluate.
    ClientNotReady,
    /// No flag with the requested key exists.
    FlagNotFound,
    /// The flag's data is inconsistent (bad variation index, empty rollout, cycle, …).
    MalformedFlag,
    /// No context was given, or it was invalid.
    UserNotSpecified,
    /// The value was not of the type the caller asked for.
    WrongType,
    /// An unexpected error stopped evaluation.
    Exception,
}

/// The state of the big segment store during an evaluation that used big segments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BigSegmentsStatus {
    /// The store answered and is up to date.
    Healthy,
    /// The store answered but its data may be out of date.
    Stale,
    /// Big segments were referenced but no big segment store is configured.
    NotConfigured,
    /// The store could not be queried.
    StoreError,
}

impl BigSegmentsStatus {
    /// The less healthy of two statuses (store error > not configured > stale > healthy), used
    /// when one evaluation queries several big segments.
    pub fn worst(self, other: BigSegmentsStatus) -> BigSegmentsStatus {
        fn rank(s: BigSegmentsStatus) -> u8 {
            match s {
                BigSegmentsStatus::Healthy => 0,
                BigSegmentsStatus::Stale => 1,
                BigSegmentsStatus::NotConfigured => 2,
                BigSegmentsStatus::StoreError => 3,
            }
        }
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// What kind of reason, with that kind's details.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReasonKind {
    /// The flag was off; the off variation was served.
    Off,
    /// No target or rule matched; the fallthrough was served.
    Fallthrough {
        /// Whether the context was bucketed into a tracked variation of an experiment.
        in_experiment: bool,
    },
    /// The context's key was individually targeted.
    TargetMatch,
    /// A rule matched.
    RuleMatch {
        /// Index of the rule in the flag's rules.
        rule_index: usize,
        /// The rule's id (empty when the rule had none; then omitted from JSON).
        rule_id: SharedStr,
        /// Whether the context was bucketed into a tracked variation of an experiment.
        in_experiment: bool,
    },
    /// A prerequisite flag was off or did not return the required variation.
    PrerequisiteFailed {
        /// The key of the first prerequisite that failed.
        prerequisite_key: Arc<str>,
    },
    /// Evaluation failed.
    Error {
        /// What went wrong.
        error_kind: ErrorKind,
    },
}

/// Why a flag evaluated to what it did: the `reason` object of LaunchDarkly's evaluation detail.
///
/// Producing a reason never allocates: rule ids ([`SharedStr`]) and prerequisite keys
/// (`Arc<str>`) are shared with the flag. Serializes exactly as LaunchDarkly does, omitting
/// absent fields.
///
/// ```
/// use ld_eval::{Reason, ErrorKind, BigSegmentsStatus};
/// let r = Reason::rule_match(0, "rule-1".into(), true);
/// assert_eq!(serde_json::to_string(&r).unwrap(),
///     r#"{"kind":"RULE_MATCH","ruleIndex":0,"ruleId":"rule-1","inExperiment":true}"#);
/// let e = Reason::error(ErrorKind::FlagNotFound);
/// assert_eq!(serde_json::to_string(&e).unwrap(), r#"{"kind":"ERROR","errorKind":"FLAG_NOT_FOUND"}"#);
/// let f = Reason::fallthrough(false).with_big_segments_status(BigSegmentsStatus::NotConfigured);
/// assert_eq!(serde_json::to_string(&f).unwrap(),
///     r#"{"kind":"FALLTHROUGH","bigSegmentsStatus":"NOT_CONFIGURED"}"#);
/// let back: Reason = serde_json::from_str(r#"{"kind":"OFF"}"#).unwrap();
/// assert_eq!(back, Reason::off());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reason {
    /// The kind of reason and its details.
    pub kind: ReasonKind,
    /// Set when the evaluation consulted big segments.
    pub big_segments_status: Option<BigSegmentsStatus>,
}

impl Reason {
    /// An `OFF` reason.
    pub const fn off() -> Reason {
        Reason {
            kind: ReasonKind::Off,
            big_segments_status: None,
        }
    }

    /// A `FALLTHROUGH` reason.
    pub const fn fallthrough(in_experiment: bool) -> Reason {
        Reason {
            kind: ReasonKind::Fallthrough { in_experiment },
            big_segments_status: None,
        }
    }

    /// A `TARGET_MATCH` reason.
    pub const fn target_match() -> Reason {
        Reason {
            kind: ReasonKind::TargetMatch,
            big_segments_status: None,
        }
    }

    /// A `RULE_MATCH` reason.
    pub fn rule_match(rule_index: usize, rule_id: SharedStr, in_experiment: bool) -> Reason {
        Reason {
            kind: ReasonKind::RuleMatch {
                rule_index,
                rule_id,
                in_experiment,
            },
            big_segments_status: None,
        }
    }

    /// A `PREREQUISITE_FAILED` reason.
    pub fn prerequisite_failed(prerequisite_key: Arc<str>) -> Reason {
        Reason {
            kind: ReasonKind::PrerequisiteFailed { prerequisite_key },
            big_segments_status: None,
        }
    }

    /// An `ERROR` reason.
    pub const fn error(error_kind: ErrorKind) -> Reason {
        Reason {
            kind: ReasonKind::Error { error_kind },
            big_segments_status: None,
        }
    }

    /// The same reason with a big segments status attached.
    pub fn with_big_segments_status(mut self, status: BigSegmentsStatus) -> Reason {
        self.big_segments_status = Some(status);
        self
    }

    /// The error kind, for an `ERROR` reason.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self.kind {
            ReasonKind::Error { error_kind } => Some(error_kind),
            _ => None,
        }
    }

    /// Whether the evaluation put the context in an experiment (which makes events track it).
    pub fn is_in_experiment(&self) -> bool {
        matches!(
            self.kind,
            ReasonKind::Fallthrough {
                in_experiment: true
            } | ReasonKind::RuleMatch {
                in_experiment: true,
                ..
            }
        )
    }

    /// The reason's kind as LaunchDarkly names it (`OFF`, `RULE_MATCH`, …).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ReasonKind::Off => "OFF",
            ReasonKind::Fallthrough { .. } => "FALLTHROUGH",
            ReasonKind::TargetMatch => "TARGET_MATCH",
            ReasonKind::RuleMatch { .. } => "RULE_MATCH",
            ReasonKind::PrerequisiteFailed { .. } => "PREREQUISITE_FAILED",
            ReasonKind::Error { .. } => "ERROR",
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.as_borrowed().serialize(s)
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ReasonRepr {
    kind: String,
    #[serde(default)]
    rule_index: Option<usize>,
    #[serde(default)]
    rule_id: Option<String>,
    #[serde(default)]
    in_experiment: Option<bool>,
    #[serde(default)]
    prerequisite_key: Option<String>,
    #[serde(default)]
    error_kind: Option<ErrorKind>,
    #[serde(default)]
    big_segments_status: Option<BigSegmentsStatus>,
}

impl<'de> Deserialize<'de> for Reason {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let r = ReasonRepr::deserialize(d)?;
        let in_experiment = r.in_experiment.unwrap_or(false);
        let kind = match r.kind.as_str() {
            "OFF" => ReasonKind::Off,
            "FALLTHROUGH" => ReasonKind::Fallthrough { in_experiment },
            "TARGET_MATCH" => ReasonKind::TargetMatch,
            "RULE_MATCH" => ReasonKind::RuleMatch {
                rule_index: r
                    .rule_index
                    .ok_or_else(|| D::Error::missing_field("ruleIndex"))?,
                rule_id: SharedStr::from(r.rule_id.unwrap_or_default()),
                in_experiment,
            },
            "PREREQUISITE_FAILED" => ReasonKind::PrerequisiteFailed {
                prerequisite_key: Arc::from(
                    r.prerequisite_key
                        .ok_or_else(|| D::Error::missing_field("prerequisiteKey"))?,
                ),
            },
            "ERROR" => ReasonKind::Error {
                error_kind: r
                    .error_kind
                    .ok_or_else(|| D::Error::missing_field("errorKind"))?,
            },
            other => return Err(D::Error::custom(format!("unknown reason kind {other:?}"))),
        };
        Ok(Reason {
            kind,
            big_segments_status: r.big_segments_status,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn round_trip(r: Reason, expected: serde_json::Value) {
        assert_eq!(serde_json::to_value(&r).unwrap(), expected);
        assert_eq!(serde_json::from_value::<Reason>(expected).unwrap(), r);
    }

    #[test]
    fn every_reason_kind_serializes_like_launchdarkly() {
        round_trip(Reason::off(), json!({"kind": "OFF"}));
        round_trip(Reason::target_match(), json!({"kind": "TARGET_MATCH"}));
        round_trip(Reason::fallthrough(false), json!({"kind": "FALLTHROUGH"}));
        round_trip(
            Reason::fallthrough(true),
            json!({"kind": "FALLTHROUGH", "inExperiment": true}),
        );
        round_trip(
            Reason::rule_match(2, "".into(), false),
            json!({"kind": "RULE_MATCH", "ruleIndex": 2}),
        );
        round_trip(
            Reason::prerequisite_failed("p".into()),
            json!({"kind": "PREREQUISITE_FAILED", "prerequisiteKey": "p"}),
        );
        for (k, name) in [
            (ErrorKind::ClientNotReady, "CLIENT_NOT_READY"),
            (ErrorKind::FlagNotFound, "FLAG_NOT_FOUND"),
            (ErrorKind::MalformedFlag, "MALFORMED_FLAG"),
            (ErrorKind::UserNotSpecified, "USER_NOT_SPECIFIED"),
            (ErrorKind::WrongType, "WRONG_TYPE"),
            (ErrorKind::Exception, "EXCEPTION"),
        ] {
            round_trip(
                Reason::error(k),
                json!({"kind": "ERROR", "errorKind": name}),
            );
        }
        for (s, name) in [
            (BigSegmentsStatus::Healthy, "HEALTHY"),
            (BigSegmentsStatus::Stale, "STALE"),
            (BigSegmentsStatus::NotConfigured, "NOT_CONFIGURED"),
            (BigSegmentsStatus::StoreError, "STORE_ERROR"),
        ] {
            round_trip(
                Reason::off().with_big_segments_status(s),
                json!({"kind": "OFF", "bigSegmentsStatus": name}),
            );
        }
    }

    #[test]
    fn unknown_reason_kinds_are_rejected() {
        assert!(serde_json::from_value::<Reason>(json!({"kind": "NOPE"})).is_err());
        assert!(serde_json::from_value::<Reason>(json!({"kind": "ERROR"})).is_err());
    }

    #[test]
    fn worst_status_prefers_store_error() {
        use BigSegmentsStatus::*;
        assert_eq!(Healthy.worst(Stale), Stale);
        assert_eq!(StoreError.worst(NotConfigured), StoreError);
        assert_eq!(NotConfigured.worst(Healthy), NotConfigured);
    }
}
