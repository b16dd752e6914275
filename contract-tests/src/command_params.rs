//! The JSON of `POST /clients/{id}`: one command with its parameters, and each command's answer.
//!
//! Contexts stay raw JSON here ([`Value`]); turning them into SDK contexts (and reporting invalid
//! ones) is the SDK adapter's job, so these types do not depend on the SDK.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A command and its parameters: the parameters sit in the property named like the command.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CommandParams {
    /// The command name, e.g. `evaluate`.
    pub command: String,
    /// Parameters of `evaluate`.
    pub evaluate: Option<EvaluateFlagParams>,
    /// Parameters of `evaluateAll`.
    pub evaluate_all: Option<EvaluateAllFlagsParams>,
    /// Parameters of `customEvent`.
    pub custom_event: Option<CustomEventParams>,
    /// Parameters of `identifyEvent`.
    pub identify_event: Option<ContextParams>,
    /// Parameters of `contextBuild`.
    pub context_build: Option<ContextBuildParams>,
    /// Parameters of `contextConvert`.
    pub context_convert: Option<ContextConvertParams>,
    /// Parameters of `contextComparison`.
    pub context_comparison: Option<ContextComparisonPairParams>,
    /// Parameters of `secureModeHash`.
    pub secure_mode_hash: Option<ContextParams>,
    /// Parameters of `registerFlagChangeListener`.
    pub register_flag_change_listener: Option<RegisterFlagChangeListenerParams>,
    /// Parameters of `registerFlagValueChangeListener`.
    pub register_flag_value_change_listener: Option<RegisterFlagValueChangeListenerParams>,
    /// Parameters of `unregisterListener`.
    pub unregister_listener: Option<UnregisterListenerParams>,
    /// Parameters of `migrationVariation`.
    pub migration_variation: Option<crate::migration_params::MigrationVariationParams>,
    /// Parameters of `migrationOperation`.
    pub migration_operation: Option<crate::migration_params::MigrationOperationParams>,
}

/// `evaluate`: one flag evaluation.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateFlagParams {
    /// The flag key.
    pub flag_key: String,
    /// The context JSON.
    pub context: Option<Value>,
    /// An old-style user JSON, sent instead of `context`.
    pub user: Option<Value>,
    /// `bool`, `int`, `double`, `string` or `any`: which typed variation method to call.
    #[serde(default)]
    pub value_type: String,
    /// The application default value.
    #[serde(default)]
    pub default_value: Value,
    /// Call the `…_detail` variant.
    #[serde(default)]
    pub detail: bool,
}

/// The answer to `evaluate`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateFlagResponse {
    /// The value.
    pub value: Value,
    /// The variation index (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variation_index: Option<i64>,
    /// The evaluation reason (detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<Value>,
}

/// `evaluateAll`: every flag for one context.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct EvaluateAllFlagsParams {
    /// The context JSON.
    pub context: Option<Value>,
    /// An old-style user JSON, sent instead of `context`.
    pub user: Option<Value>,
    /// Include evaluation reasons.
    #[serde(default)]
    pub with_reasons: bool,
    /// Only flags available to client-side SDKs.
    #[serde(default)]
    pub client_side_only: bool,
    /// Reasons and versions only for flags that need them for events.
    #[serde(default)]
    pub details_only_for_tracked_flags: bool,
}

/// The answer to `evaluateAll`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct EvaluateAllFlagsResponse {
    /// The all-flags state in its client-side bootstrap JSON form.
    pub state: Value,
}

/// `customEvent`: one `track` call.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct CustomEventParams {
    /// The event key.
    pub event_key: String,
    /// The context JSON.
    pub context: Option<Value>,
    /// An old-style user JSON, sent instead of `context`.
    pub user: Option<Value>,
    /// The event data (absent and `null` are the same).
    pub data: Option<Value>,
    /// With no data and no metric value: call the variant that takes neither.
    #[serde(default)]
    pub omit_null_data: bool,
    /// The metric value.
    pub metric_value: Option<f64>,
}

/// Parameters that are only a context: `identifyEvent` and `secureModeHash`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ContextParams {
    /// The context JSON.
    pub context: Option<Value>,
    /// An old-style user JSON, sent instead of `context`.
    pub user: Option<Value>,
}

/// `contextBuild`: build a context with the SDK's builder.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ContextBuildParams {
    /// A single-kind context.
    pub single: Option<ContextBuildSingleParams>,
    /// The parts of a multi-kind context.
    pub multi: Option<Vec<ContextBuildSingleParams>>,
}

/// One kind's builder inputs.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ContextBuildSingleParams {
    /// The kind (default `user`).
    pub kind: Option<String>,
    /// The key.
    #[serde(default)]
    pub key: String,
    /// The name.
    pub name: Option<String>,
    /// Whether the context is anonymous.
    pub anonymous: Option<bool>,
    /// Private attribute references.
    pub private: Option<Vec<String>>,
    /// Custom attributes.
    pub custom: Option<serde_json::Map<String, Value>>,
}

/// The answer to `contextBuild` and `contextConvert`: exactly one of the two is set.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ContextBuildResponse {
    /// The context's JSON, as a string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Why the SDK rejected the input.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ContextBuildResponse {
    /// A successful answer.
    pub fn output(json: String) -> Self {
        Self {
            output: Some(json),
            error: None,
        }
    }

    /// A rejected input.
    pub fn error(message: impl Into<String>) -> Self {
        Self {
            output: None,
            error: Some(message.into()),
        }
    }
}

/// `contextConvert`: parse context JSON (possibly malformed) and write it back.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct ContextConvertParams {
    /// The JSON text.
    #[serde(default)]
    pub input: String,
}

/// `contextComparison`: are two contexts, built attribute by attribute, equal?
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ContextComparisonPairParams {
    /// The first context.
    pub context1: ContextComparisonParams,
    /// The second context.
    pub context2: ContextComparisonParams,
}

/// One context of a comparison.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct ContextComparisonParams {
    /// A single-kind context.
    pub single: Option<ContextComparisonSingleParams>,
    /// The parts of a multi-kind context.
    pub multi: Option<Vec<ContextComparisonSingleParams>>,
}

/// One kind of a compared context, as a sequence of builder calls.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ContextComparisonSingleParams {
    /// The kind.
    #[serde(default)]
    pub kind: String,
    /// The key.
    #[serde(default)]
    pub key: String,
    /// Attributes to set, in order.
    #[serde(default)]
    pub attributes: Vec<AttributeDefinition>,
    /// Private attributes to add, in order.
    #[serde(default)]
    pub private_attributes: Vec<PrivateAttribute>,
}

/// One attribute to set.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
pub struct AttributeDefinition {
    /// The attribute name.
    pub name: String,
    /// The value (absent means `null`).
    #[serde(default)]
    pub value: Value,
}

/// One private attribute.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
pub struct PrivateAttribute {
    /// The attribute name or reference.
    pub value: String,
    /// `true`: a literal name; `false`: an attribute reference (`/a/b`).
    #[serde(default)]
    pub literal: bool,
}

/// The answer to `contextComparison`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ContextComparisonResponse {
    /// Whether the SDK considers the two contexts equal.
    pub equals: bool,
}

/// The answer to `secureModeHash`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct SecureModeHashResponse {
    /// The hex HMAC-SHA256 of the context's canonical key.
    pub result: String,
}

/// The answer to `getBigSegmentStoreStatus`.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BigSegmentStoreStatusResponse {
    /// Whether the store answered its last status query.
    pub available: bool,
    /// Whether the store's data is older than allowed.
    pub stale: bool,
}

/// `registerFlagChangeListener`: report every flag configuration change.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RegisterFlagChangeListenerParams {
    /// The harness's id for the listener.
    pub listener_id: String,
    /// Only this flag, when given and non-empty.
    pub flag_key: Option<String>,
    /// Where notifications are POSTed.
    pub callback_uri: String,
}

/// `registerFlagValueChangeListener`: report changes of one flag's value for one context.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct RegisterFlagValueChangeListenerParams {
    /// The harness's id for the listener.
    pub listener_id: String,
    /// The flag.
    pub flag_key: String,
    /// The context JSON.
    pub context: Option<Value>,
    /// The default value of the evaluations.
    #[serde(default)]
    pub default_value: Value,
    /// Where notifications are POSTed.
    pub callback_uri: String,
}

/// `unregisterListener`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UnregisterListenerParams {
    /// The id given at registration.
    pub listener_id: String,
}

/// What a listener POSTs to its callback URI.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ListenerNotification {
    /// The listener's id.
    pub listener_id: String,
    /// The flag that changed.
    pub flag_key: String,
    /// The previous value (value listeners only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_value: Option<Value>,
    /// The new value (value listeners only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_value: Option<Value>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn evaluate_command_parses_with_its_parameters() {
        let p: CommandParams = serde_json::from_value(json!({
            "command": "evaluate",
            "evaluate": {"flagKey": "f", "context": {"kind": "user", "key": "u"},
                         "valueType": "bool", "defaultValue": false, "detail": true}
        }))
        .unwrap();
        let e = p.evaluate.unwrap();
        assert_eq!(e.flag_key, "f");
        assert_eq!(e.default_value, json!(false));
        assert!(e.detail);
        assert!(e.user.is_none());
    }

    #[test]
    fn custom_event_data_null_and_absent_are_the_same() {
        let a: CustomEventParams =
            serde_json::from_value(json!({"eventKey": "e", "data": null})).unwrap();
        let b: CustomEventParams = serde_json::from_value(json!({"eventKey": "e"})).unwrap();
        assert_eq!(a, b);
        assert!(a.data.is_none());
    }

    #[test]
    fn evaluate_response_omits_detail_fields_when_absent() {
        let r = EvaluateFlagResponse {
            value: json!(3),
            ..Default::default()
        };
        assert_eq!(serde_json::to_value(&r).unwrap(), json!({"value": 3}));
    }

    #[test]
    fn context_build_response_has_exactly_one_property() {
        let ok = serde_json::to_value(ContextBuildResponse::output("{}".into())).unwrap();
        assert_eq!(ok, json!({"output": "{}"}));
        let err = serde_json::to_value(ContextBuildResponse::error("bad")).unwrap();
        assert_eq!(err, json!({"error": "bad"}));
    }

    #[test]
    fn context_comparison_parses_attributes_and_private_references() {
        let p: ContextComparisonPairParams = serde_json::from_value(json!({
            "context1": {"single": {"kind": "user", "key": "a",
                "attributes": [{"name": "n", "value": 1}, {"name": "gone"}],
                "privateAttributes": [{"value": "/n", "literal": false}]}},
            "context2": {"multi": [{"kind": "org", "key": "b"}]}
        }))
        .unwrap();
        let single = p.context1.single.unwrap();
        assert_eq!(single.attributes[1].value, Value::Null);
        assert!(!single.private_attributes[0].literal);
        assert_eq!(p.context2.multi.unwrap()[0].kind, "org");
    }

    #[test]
    fn value_change_notification_carries_old_and_new_values() {
        let n = ListenerNotification {
            listener_id: "l".into(),
            flag_key: "f".into(),
            old_value: Some(json!("a")),
            new_value: Some(json!("b")),
            timestamp: 7,
        };
        assert_eq!(
            serde_json::to_value(n).unwrap(),
            json!({"listenerId": "l", "flagKey": "f", "oldValue": "a", "newValue": "b", "timestamp": 7})
        );
    }
}
