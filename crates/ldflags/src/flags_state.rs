//! Evaluating flags for a context and the all-flags-state JSON form of the results.

use ld_eval::{Context, Reason};
use ld_store::Snapshot;
use serde_json::{Map, Value, json};

/// One flag's evaluation.
#[derive(Debug, Clone, PartialEq)]
pub struct FlagResult {
    /// The flag key.
    pub key: String,
    /// The value served (null when the flag served no variation).
    pub value: Value,
    /// The variation index served.
    pub variation: Option<usize>,
    /// The flag version.
    pub version: u64,
    /// Why.
    pub reason: Reason,
}

/// Evaluates every flag (sorted by key), or only `only`.
pub fn evaluate_all(snapshot: &Snapshot, context: &Context, only: Option<&str>) -> Vec<FlagResult> {
    let mut keys: Vec<&str> = match only {
        Some(k) => snapshot.flag(k).map(|_| vec![k]).unwrap_or_default(),
        None => snapshot.flags().map(|(k, _)| k).collect(),
    };
    keys.sort_unstable();
    keys.into_iter()
        .filter_map(|k| {
            let flag = snapshot.flag(k)?;
            let d = ld_eval::evaluate(snapshot, flag, context);
            Some(FlagResult {
                key: k.to_string(),
                value: d.value.cloned().unwrap_or(Value::Null),
                variation: d.variation_index,
                version: flag.version,
                reason: d.reason,
            })
        })
        .collect()
}

/// The all-flags-state JSON: `{key: value, …, "$flagsState": {key: {variation, version,
/// reason?}}, "$valid": true}`.
pub fn to_json(results: &[FlagResult], with_reasons: bool) -> Value {
    let mut out = Map::new();
    let mut state = Map::new();
    for r in results {
        out.insert(r.key.clone(), r.value.clone());
        let mut meta = Map::new();
        if let Some(v) = r.variation {
            meta.insert("variation".into(), json!(v));
        }
        meta.insert("version".into(), json!(r.version));
        if with_reasons {
            meta.insert(
                "reason".into(),
                serde_json::to_value(&r.reason).unwrap_or(Value::Null),
            );
        }
        state.insert(r.key.clone(), Value::Object(meta));
    }
    out.insert("$flagsState".into(), Value::Object(state));
    out.insert("$valid".into(), Value::Bool(true));
    Value::Object(out)
}

/// A short human description of a reason: `RULE_MATCH #0 (staff-email-domain)`.
pub fn describe(reason: &Reason) -> String {
    use ld_eval::ReasonKind as K;
    match &reason.kind {
        K::Off => "OFF".into(),
        K::Fallthrough { in_experiment } => {
            if *in_experiment {
                "FALLTHROUGH (experiment)".into()
            } else {
                "FALLTHROUGH".into()
            }
        }
        K::TargetMatch => "TARGET_MATCH".into(),
        K::RuleMatch {
            rule_index,
            rule_id,
            ..
        } if rule_id.is_empty() => format!("RULE_MATCH #{rule_index}"),
        K::RuleMatch {
            rule_index,
            rule_id,
            ..
        } => format!("RULE_MATCH #{rule_index} ({rule_id})"),
        K::PrerequisiteFailed { prerequisite_key } => {
            format!("PREREQUISITE_FAILED ({prerequisite_key})")
        }
        K::Error { .. } => serde_json::to_value(reason)
            .ok()
            .and_then(|v| {
                v.get("errorKind")
                    .and_then(Value::as_str)
                    .map(|e| format!("ERROR ({e})"))
            })
            .unwrap_or_else(|| "ERROR".into()),
    }
}
