//! A borrowed, `Copy` view of an evaluation reason.
//!
//! [`Reason`] owns its rule id and prerequisite key as strings shared with the flag, so handing one out
//! costs an atomic increment (and a decrement when it is dropped). Callers on the hot path that
//! only need the value, or that serialize the reason straight into an event, take a
//! [`ReasonRef`] instead: it borrows those strings from the flag and costs nothing to make or
//! drop. [`ReasonRef::to_reason`] gives the owned form when it must outlive the flag.

use std::sync::Arc;

use crate::shared_str::SharedStr;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::reason::{BigSegmentsStatus, ErrorKind, Reason, ReasonKind};

/// The kind of a [`ReasonRef`], with that kind's details borrowed from the flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReasonKindRef<'a> {
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
        /// The rule's id (empty when the rule had none).
        rule_id: &'a SharedStr,
        /// Whether the context was bucketed into a tracked variation of an experiment.
        in_experiment: bool,
    },
    /// A prerequisite flag was off or did not return the required variation.
    PrerequisiteFailed {
        /// The key of the first prerequisite that failed.
        prerequisite_key: &'a Arc<str>,
    },
    /// Evaluation failed.
    Error {
        /// What went wrong.
        error_kind: ErrorKind,
    },
}

/// Why a flag evaluated to what it did, borrowed from the flag: the free-to-copy form of
/// [`Reason`], with the same JSON.
///
/// ```
/// use ld_eval::{Reason, ReasonRef};
/// let owned = Reason::rule_match(0, "rule-1".into(), false);
/// let borrowed: ReasonRef<'_> = owned.as_borrowed();
/// assert_eq!(serde_json::to_string(&borrowed).unwrap(),
///     r#"{"kind":"RULE_MATCH","ruleIndex":0,"ruleId":"rule-1"}"#);
/// assert_eq!(borrowed.to_reason(), owned);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReasonRef<'a> {
    /// The kind of reason and its details.
    pub kind: ReasonKindRef<'a>,
    /// Set when the evaluation consulted big segments.
    pub big_segments_status: Option<BigSegmentsStatus>,
}

impl<'a> ReasonRef<'a> {
    /// A reason of this kind, without a big segments status.
    pub const fn new(kind: ReasonKindRef<'a>) -> ReasonRef<'a> {
        ReasonRef {
            kind,
            big_segments_status: None,
        }
    }

    /// An `ERROR` reason.
    pub const fn error(error_kind: ErrorKind) -> ReasonRef<'a> {
        ReasonRef::new(ReasonKindRef::Error { error_kind })
    }

    /// The owned reason (sharing the rule id or prerequisite key, never copying it).
    pub fn to_reason(&self) -> Reason {
        let kind = match self.kind {
            ReasonKindRef::Off => ReasonKind::Off,
            ReasonKindRef::Fallthrough { in_experiment } => {
                ReasonKind::Fallthrough { in_experiment }
            }
            ReasonKindRef::TargetMatch => ReasonKind::TargetMatch,
            ReasonKindRef::RuleMatch {
                rule_index,
                rule_id,
                in_experiment,
            } => ReasonKind::RuleMatch {
                rule_index,
                rule_id: rule_id.clone(),
                in_experiment,
            },
            ReasonKindRef::PrerequisiteFailed { prerequisite_key } => {
                ReasonKind::PrerequisiteFailed {
                    prerequisite_key: Arc::clone(prerequisite_key),
                }
            }
            ReasonKindRef::Error { error_kind } => ReasonKind::Error { error_kind },
        };
        Reason {
            kind,
            big_segments_status: self.big_segments_status,
        }
    }

    /// The error kind, for an `ERROR` reason.
    pub fn error_kind(&self) -> Option<ErrorKind> {
        match self.kind {
            ReasonKindRef::Error { error_kind } => Some(error_kind),
            _ => None,
        }
    }

    /// Whether the evaluation put the context in an experiment (which makes events track it).
    pub fn is_in_experiment(&self) -> bool {
        matches!(
            self.kind,
            ReasonKindRef::Fallthrough {
                in_experiment: true
            } | ReasonKindRef::RuleMatch {
                in_experiment: true,
                ..
            }
        )
    }

    /// The reason's kind as LaunchDarkly names it (`OFF`, `RULE_MATCH`, …).
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ReasonKindRef::Off => "OFF",
            ReasonKindRef::Fallthrough { .. } => "FALLTHROUGH",
            ReasonKindRef::TargetMatch => "TARGET_MATCH",
            ReasonKindRef::RuleMatch { .. } => "RULE_MATCH",
            ReasonKindRef::PrerequisiteFailed { .. } => "PREREQUISITE_FAILED",
            ReasonKindRef::Error { .. } => "ERROR",
        }
    }
}

impl Reason {
    /// The borrowed view of this reason (free: no reference counts change).
    pub fn as_borrowed(&self) -> ReasonRef<'_> {
        let kind = match &self.kind {
            ReasonKind::Off => ReasonKindRef::Off,
            ReasonKind::Fallthrough { in_experiment } => ReasonKindRef::Fallthrough {
                in_experiment: *in_experiment,
            },
            ReasonKind::TargetMatch => ReasonKindRef::TargetMatch,
            ReasonKind::RuleMatch {
                rule_index,
                rule_id,
                in_experiment,
            } => ReasonKindRef::RuleMatch {
                rule_index: *rule_index,
                rule_id,
                in_experiment: *in_experiment,
            },
            ReasonKind::PrerequisiteFailed { prerequisite_key } => {
                ReasonKindRef::PrerequisiteFailed { prerequisite_key }
            }
            ReasonKind::Error { error_kind } => ReasonKindRef::Error {
                error_kind: *error_kind,
            },
        };
        ReasonRef {
            kind,
            big_segments_status: self.big_segments_status,
        }
    }
}

impl Serialize for ReasonRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("kind", self.kind_name())?;
        match self.kind {
            ReasonKindRef::Off | ReasonKindRef::TargetMatch => {}
            ReasonKindRef::Fallthrough { in_experiment } => {
                if in_experiment {
                    m.serialize_entry("inExperiment", &true)?;
                }
            }
            ReasonKindRef::RuleMatch {
                rule_index,
                rule_id,
                in_experiment,
            } => {
                m.serialize_entry("ruleIndex", &rule_index)?;
                if !rule_id.is_empty() {
                    m.serialize_entry("ruleId", &**rule_id)?;
                }
                if in_experiment {
                    m.serialize_entry("inExperiment", &true)?;
                }
            }
            ReasonKindRef::PrerequisiteFailed { prerequisite_key } => {
                m.serialize_entry("prerequisiteKey", &**prerequisite_key)?;
            }
            ReasonKindRef::Error { error_kind } => m.serialize_entry("errorKind", &error_kind)?,
        }
        if let Some(status) = &self.big_segments_status {
            m.serialize_entry("bigSegmentsStatus", status)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn borrowed_and_owned_reasons_serialize_identically_and_convert_both_ways() {
        let reasons = [
            Reason::off(),
            Reason::fallthrough(true),
            Reason::target_match(),
            Reason::rule_match(3, "r".into(), true),
            Reason::rule_match(0, "".into(), false),
            Reason::prerequisite_failed("p".into()),
            Reason::error(ErrorKind::WrongType).with_big_segments_status(BigSegmentsStatus::Stale),
        ];
        for r in reasons {
            let b = r.as_borrowed();
            assert_eq!(
                serde_json::to_value(b).unwrap(),
                serde_json::to_value(&r).unwrap()
            );
            assert_eq!(b.to_reason(), r);
            assert_eq!(b.is_in_experiment(), r.is_in_experiment());
            assert_eq!(b.error_kind(), r.error_kind());
            assert_eq!(b.kind_name(), r.kind_name());
        }
    }
}
