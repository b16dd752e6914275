//! `migrationVariation` and `migrationOperation` on an `ld-sdk` client: the migration flag's
//! stage, and a read or write through an [`ld_sdk::Migrator`] whose four origin functions POST
//! the payload to the harness's old and new callback endpoints (a 2xx answer's body is the
//! origin's result; any other answer, or no answer, is its error).

use ld_sdk::{Client, Context, ExecutionOrder, Migrator, Stage};

use crate::callback_client::{self, CallbackError};
use crate::migration_params::{
    MigrationOperationParams, MigrationResultResponse, MigrationVariationParams,
};
use crate::sdk_client::CommandError;

/// Runs `migrationVariation`.
pub fn variation(
    client: &Client,
    context: &Context,
    p: &MigrationVariationParams,
) -> Result<MigrationResultResponse, CommandError> {
    let default_stage = stage(&p.default_stage)?;
    let (served, _tracker) = client.migration_variation(&p.key, context, default_stage);
    Ok(MigrationResultResponse {
        result: served.as_str().to_owned(),
    })
}

/// Runs `migrationOperation`.
pub fn operation(
    client: &Client,
    context: &Context,
    p: MigrationOperationParams,
) -> Result<MigrationResultResponse, CommandError> {
    let default_stage = stage(&p.default_stage)?;
    let order = if p.read_execution_order.is_empty() {
        ExecutionOrder::default()
    } else {
        p.read_execution_order
            .parse::<ExecutionOrder>()
            .map_err(|e| CommandError::BadParams(e.to_string()))?
    };
    let read = match p.operation.as_str() {
        "read" => true,
        "write" => false,
        other => {
            return Err(CommandError::BadParams(format!(
                "{other:?} is not a migration operation (read, write)"
            )));
        }
    };
    let old = p.old_endpoint.clone();
    let new = p.new_endpoint.clone();
    let builder = Migrator::builder(client.clone())
        .read_execution_order(order)
        .track_latency(p.track_latency)
        .track_errors(p.track_errors)
        .write(origin(old.clone()), origin(new.clone()));
    let builder = if p.track_consistency {
        builder.read_with_comparison(origin(old), origin(new), |a: &String, b: &String| a == b)
    } else {
        builder.read(origin(old), origin(new))
    };
    let migrator = builder
        .build()
        .map_err(|e| CommandError::Sdk(e.to_string()))?;
    let payload = p.payload.unwrap_or_default();
    let result = if read {
        migrator
            .read(&p.key, context, default_stage, &payload)
            .result
    } else {
        migrator
            .write(&p.key, context, default_stage, &payload)
            .authoritative
            .result
    };
    Ok(MigrationResultResponse {
        result: result.unwrap_or_else(|e| e.to_string()),
    })
}

/// An origin function: POSTs the payload to `endpoint`.
fn origin(endpoint: String) -> impl Fn(&String) -> Result<String, CallbackError> + Send + Sync {
    move |payload: &String| {
        let reply = callback_client::request("POST", &endpoint, Some(payload.as_bytes()))?;
        let body = String::from_utf8_lossy(&reply.body).into_owned();
        if (200..300).contains(&reply.status) {
            Ok(body)
        } else {
            Err(CallbackError::Status {
                status: reply.status,
                body,
            })
        }
    }
}

fn stage(name: &str) -> Result<Stage, CommandError> {
    name.parse::<Stage>()
        .map_err(|e| CommandError::BadParams(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ld_sdk::{Config, ContextBuilder};

    fn offline_client() -> Client {
        Client::new(Config::builder("k").offline(true).build().unwrap()).unwrap()
    }

    fn params(operation: &str, order: &str) -> MigrationOperationParams {
        MigrationOperationParams {
            key: "m".into(),
            default_stage: "off".into(),
            read_execution_order: order.into(),
            operation: operation.into(),
            // Nothing listens on port 9: a call would fail, not hang.
            old_endpoint: "http://127.0.0.1:9/old".into(),
            new_endpoint: "http://127.0.0.1:9/new".into(),
            ..MigrationOperationParams::default()
        }
    }

    #[test]
    fn unknown_operation_execution_order_or_stage_is_a_bad_request() {
        let client = offline_client();
        let context = ContextBuilder::new("u").build().unwrap();
        for p in [params("delete", "serial"), params("read", "parallel")] {
            let err = operation(&client, &context, p).unwrap_err();
            assert!(matches!(err, CommandError::BadParams(_)), "{err}");
        }
        let mut p = params("read", "serial");
        p.default_stage = "halfway".into();
        assert!(matches!(
            operation(&client, &context, p),
            Err(CommandError::BadParams(_))
        ));
    }

    #[test]
    fn an_unreachable_origin_answers_its_error_as_the_result() {
        let client = offline_client();
        let context = ContextBuilder::new("u").build().unwrap();
        // Offline, the default stage (off) is served: the old origin is the only one called.
        let answer = operation(&client, &context, params("write", "")).unwrap();
        assert!(answer.result.contains("I/O error"), "{}", answer.result);
    }
}
