//! The JSON of the `migrationVariation` and `migrationOperation` commands (capability
//! `migrations`), as the harness's `servicedef` package defines them.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// `migrationVariation`: evaluate a migration flag.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationVariationParams {
    /// The migration flag's key.
    pub key: String,
    /// The context JSON.
    pub context: Option<Value>,
    /// The default stage name.
    pub default_stage: String,
}

/// The answer to `migrationVariation` and `migrationOperation`: a stage name, or the
/// authoritative origin's answer (its body, or its error message).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MigrationResultResponse {
    /// The result.
    pub result: String,
}

/// `migrationOperation`: run a read or write through a migrator whose origins are the harness's
/// callback endpoints.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct MigrationOperationParams {
    /// The migration flag's key.
    pub key: String,
    /// The context JSON.
    pub context: Option<Value>,
    /// The default stage name.
    pub default_stage: String,
    /// `serial`, `random` or `concurrent`.
    #[serde(default)]
    pub read_execution_order: String,
    /// `read` or `write`.
    pub operation: String,
    /// The old origin: POST the payload here.
    pub old_endpoint: String,
    /// The new origin: POST the payload here.
    pub new_endpoint: String,
    /// The payload handed to the origins (the body of the callback requests).
    #[serde(default)]
    pub payload: Option<String>,
    /// Measure each origin's latency.
    #[serde(default)]
    pub track_latency: bool,
    /// Record which origins failed.
    #[serde(default)]
    pub track_errors: bool,
    /// Compare the two origins' read results (equal bodies are consistent).
    #[serde(default)]
    pub track_consistency: bool,
}

#[cfg(test)]
mod tests {
    use crate::command_params::CommandParams;
    use serde_json::json;

    #[test]
    fn harness_migration_operation_json_parses_with_optional_fields_defaulted() {
        let params: CommandParams = serde_json::from_value(json!({
            "command": "migrationOperation",
            "migrationOperation": {
                "key": "migration-key", "context": {"kind": "user", "key": "k"},
                "defaultStage": "off", "readExecutionOrder": "serial", "operation": "read",
                "oldEndpoint": "http://127.0.0.1:1/old", "newEndpoint": "http://127.0.0.1:1/new",
                "trackLatency": true
            }
        }))
        .unwrap();
        let op = params.migration_operation.unwrap();
        assert_eq!(op.operation, "read");
        assert_eq!(op.payload, None);
        assert!(op.track_latency && !op.track_errors && !op.track_consistency);
    }

    #[test]
    fn harness_migration_variation_json_parses() {
        let params: CommandParams = serde_json::from_value(json!({
            "command": "migrationVariation",
            "migrationVariation": {"key": "m", "context": {"key": "k"}, "defaultStage": "live"}
        }))
        .unwrap();
        assert_eq!(params.migration_variation.unwrap().default_stage, "live");
    }
}
