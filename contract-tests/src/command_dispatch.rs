//! Routes one parsed command to the matching [`SdkClient`] method and serializes its answer.

use crate::command_params::CommandParams;
use crate::sdk_client::{CommandError, SdkClient};
use serde::Serialize;
use serde_json::Value;

/// Runs `params` against `client`. `Ok(None)` means "no body" (an empty 2xx answer).
pub fn dispatch(
    client: &dyn SdkClient,
    params: CommandParams,
) -> Result<Option<Value>, CommandError> {
    let CommandParams {
        command,
        evaluate,
        evaluate_all,
        custom_event,
        identify_event,
        context_build,
        context_convert,
        context_comparison,
        secure_mode_hash,
        register_flag_change_listener,
        register_flag_value_change_listener,
        unregister_listener,
        migration_variation,
        migration_operation,
    } = params;
    match command.as_str() {
        "evaluate" => body(client.evaluate(required(evaluate, &command)?)),
        "evaluateAll" => body(client.evaluate_all(required(evaluate_all, &command)?)),
        "identifyEvent" => empty(client.identify_event(required(identify_event, &command)?)),
        "customEvent" => empty(client.custom_event(required(custom_event, &command)?)),
        "flushEvents" => empty(client.flush_events()),
        "secureModeHash" => body(client.secure_mode_hash(required(secure_mode_hash, &command)?)),
        "contextBuild" => body(client.context_build(required(context_build, &command)?)),
        "contextConvert" => body(client.context_convert(required(context_convert, &command)?)),
        "contextComparison" => {
            body(client.context_comparison(required(context_comparison, &command)?))
        }
        "getBigSegmentStoreStatus" => body(client.big_segment_store_status()),
        "registerFlagChangeListener" => empty(
            client
                .register_flag_change_listener(required(register_flag_change_listener, &command)?),
        ),
        "registerFlagValueChangeListener" => empty(client.register_flag_value_change_listener(
            required(register_flag_value_change_listener, &command)?,
        )),
        "unregisterListener" => {
            empty(client.unregister_listener(required(unregister_listener, &command)?))
        }
        "migrationVariation" => {
            body(client.migration_variation(required(migration_variation, &command)?))
        }
        "migrationOperation" => {
            body(client.migration_operation(required(migration_operation, &command)?))
        }
        _ => Err(CommandError::Unsupported(command)),
    }
}

fn required<T>(params: Option<T>, command: &str) -> Result<T, CommandError> {
    params.ok_or_else(|| {
        CommandError::BadParams(format!("command {command:?} needs a {command:?} property"))
    })
}

fn body<T: Serialize>(result: Result<T, CommandError>) -> Result<Option<Value>, CommandError> {
    let value = result?;
    serde_json::to_value(value)
        .map(Some)
        .map_err(|e| CommandError::Sdk(format!("could not serialize the answer: {e}")))
}

fn empty(result: Result<(), CommandError>) -> Result<Option<Value>, CommandError> {
    result.map(|()| None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command_params::{EvaluateFlagParams, EvaluateFlagResponse};
    use serde_json::json;

    struct EvaluateOnly;

    impl SdkClient for EvaluateOnly {
        fn evaluate(&self, p: EvaluateFlagParams) -> Result<EvaluateFlagResponse, CommandError> {
            Ok(EvaluateFlagResponse {
                value: json!(p.flag_key),
                ..Default::default()
            })
        }

        fn close(&self) {}
    }

    fn command(json: Value) -> CommandParams {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn evaluate_reaches_the_client_and_answers_its_value() {
        let out = dispatch(
            &EvaluateOnly,
            command(json!({"command": "evaluate", "evaluate": {"flagKey": "f1"}})),
        )
        .unwrap();
        assert_eq!(out, Some(json!({"value": "f1"})));
    }

    #[test]
    fn unknown_command_is_unsupported() {
        let err = dispatch(&EvaluateOnly, command(json!({"command": "dance"}))).unwrap_err();
        assert!(matches!(err, CommandError::Unsupported(c) if c == "dance"));
    }

    #[test]
    fn command_the_client_does_not_implement_is_unsupported() {
        let err = dispatch(&EvaluateOnly, command(json!({"command": "flushEvents"}))).unwrap_err();
        assert!(matches!(err, CommandError::Unsupported(_)));
    }

    #[test]
    fn command_without_its_parameters_is_a_bad_request() {
        let err = dispatch(&EvaluateOnly, command(json!({"command": "evaluate"}))).unwrap_err();
        assert!(matches!(err, CommandError::BadParams(_)));
    }
}
