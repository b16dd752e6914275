//! The seam between the HTTP service and the SDK: "an SDK client" and "something that makes them".
//!
//! The service knows nothing of the SDK: it parses requests, keeps a registry of clients and
//! dispatches commands to a [`SdkClient`]. Each command has a method whose default answer is
//! [`CommandError::Unsupported`] (a 400), so an adapter implements exactly what the SDK can do
//! and declares the matching capabilities in [`SdkClientFactory::capabilities`].

use crate::command_params::{
    BigSegmentStoreStatusResponse, ContextBuildParams, ContextBuildResponse,
    ContextComparisonPairParams, ContextComparisonResponse, ContextConvertParams, ContextParams,
    CustomEventParams, EvaluateAllFlagsParams, EvaluateAllFlagsResponse, EvaluateFlagParams,
    EvaluateFlagResponse, RegisterFlagChangeListenerParams, RegisterFlagValueChangeListenerParams,
    SecureModeHashResponse, UnregisterListenerParams,
};
use crate::migration_params::{
    MigrationOperationParams, MigrationResultResponse, MigrationVariationParams,
};
use crate::service_params::CreateInstanceParams;

/// Why a client could not be created; answered with a 500 (or 400 for [`Self::InvalidConfig`]).
#[derive(Debug, thiserror::Error)]
pub enum CreateError {
    /// The configuration asks for something invalid or unsupported.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// The SDK refused to build a client.
    #[error("could not create the SDK client: {0}")]
    Sdk(String),
    /// The client did not initialize in time (or failed) and `initCanFail` was false.
    #[error("the SDK client did not initialize: {0}")]
    NotInitialized(String),
}

/// Why a command failed; answered with a 400 except [`Self::Sdk`] (500).
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// The command is unknown or not implemented by this SDK.
    #[error("unsupported command {0:?}")]
    Unsupported(String),
    /// The command's parameters are missing or invalid.
    #[error("bad parameters: {0}")]
    BadParams(String),
    /// The SDK failed while running the command.
    #[error("SDK error: {0}")]
    Sdk(String),
}

/// Makes SDK clients from the harness's configuration and says what they can do.
pub trait SdkClientFactory: Send + Sync + 'static {
    /// The SDK's name, e.g. `ld-rust`.
    fn name(&self) -> &str;

    /// The SDK's version.
    fn version(&self) -> &str;

    /// The capability strings of every feature implemented end to end.
    fn capabilities(&self) -> Vec<String>;

    /// Creates a client and waits for it to initialize (up to `startWaitTimeMs`). Blocking.
    fn create(&self, params: &CreateInstanceParams) -> Result<Box<dyn SdkClient>, CreateError>;
}

/// One SDK client under test. Every method may block; the service calls them off its I/O threads.
///
/// Implement the commands the SDK supports; the others answer "unsupported" (a 400):
///
/// ```
/// use contract_tests::command_dispatch::dispatch;
/// use contract_tests::command_params::{CommandParams, EvaluateFlagParams, EvaluateFlagResponse};
/// use contract_tests::{CommandError, SdkClient};
/// use serde_json::json;
///
/// /// Serves every flag's key as its value.
/// struct Echo;
///
/// impl SdkClient for Echo {
///     fn evaluate(&self, p: EvaluateFlagParams) -> Result<EvaluateFlagResponse, CommandError> {
///         Ok(EvaluateFlagResponse { value: json!(p.flag_key), ..Default::default() })
///     }
///     fn close(&self) {}
/// }
///
/// let evaluate: CommandParams =
///     serde_json::from_value(json!({"command": "evaluate", "evaluate": {"flagKey": "f"}}))?;
/// assert_eq!(dispatch(&Echo, evaluate)?, Some(json!({"value": "f"})));
///
/// let flush: CommandParams = serde_json::from_value(json!({"command": "flushEvents"}))?;
/// assert!(matches!(dispatch(&Echo, flush), Err(CommandError::Unsupported(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub trait SdkClient: Send + Sync + 'static {
    /// `evaluate`.
    fn evaluate(&self, params: EvaluateFlagParams) -> Result<EvaluateFlagResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("evaluate".into()))
    }

    /// `evaluateAll`.
    fn evaluate_all(
        &self,
        params: EvaluateAllFlagsParams,
    ) -> Result<EvaluateAllFlagsResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("evaluateAll".into()))
    }

    /// `identifyEvent`.
    fn identify_event(&self, params: ContextParams) -> Result<(), CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("identifyEvent".into()))
    }

    /// `customEvent`.
    fn custom_event(&self, params: CustomEventParams) -> Result<(), CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("customEvent".into()))
    }

    /// `flushEvents`.
    fn flush_events(&self) -> Result<(), CommandError> {
        Err(CommandError::Unsupported("flushEvents".into()))
    }

    /// `secureModeHash`.
    fn secure_mode_hash(
        &self,
        params: ContextParams,
    ) -> Result<SecureModeHashResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("secureModeHash".into()))
    }

    /// `contextBuild`.
    fn context_build(
        &self,
        params: ContextBuildParams,
    ) -> Result<ContextBuildResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("contextBuild".into()))
    }

    /// `contextConvert`.
    fn context_convert(
        &self,
        params: ContextConvertParams,
    ) -> Result<ContextBuildResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("contextConvert".into()))
    }

    /// `contextComparison`.
    fn context_comparison(
        &self,
        params: ContextComparisonPairParams,
    ) -> Result<ContextComparisonResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("contextComparison".into()))
    }

    /// `getBigSegmentStoreStatus`.
    fn big_segment_store_status(&self) -> Result<BigSegmentStoreStatusResponse, CommandError> {
        Err(CommandError::Unsupported("getBigSegmentStoreStatus".into()))
    }

    /// `registerFlagChangeListener`.
    fn register_flag_change_listener(
        &self,
        params: RegisterFlagChangeListenerParams,
    ) -> Result<(), CommandError> {
        let _ = params;
        Err(CommandError::Unsupported(
            "registerFlagChangeListener".into(),
        ))
    }

    /// `registerFlagValueChangeListener`.
    fn register_flag_value_change_listener(
        &self,
        params: RegisterFlagValueChangeListenerParams,
    ) -> Result<(), CommandError> {
        let _ = params;
        Err(CommandError::Unsupported(
            "registerFlagValueChangeListener".into(),
        ))
    }

    /// `unregisterListener`.
    fn unregister_listener(&self, params: UnregisterListenerParams) -> Result<(), CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("unregisterListener".into()))
    }

    /// `migrationVariation` (capability `migrations`).
    fn migration_variation(
        &self,
        params: MigrationVariationParams,
    ) -> Result<MigrationResultResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("migrationVariation".into()))
    }

    /// `migrationOperation` (capability `migrations`).
    fn migration_operation(
        &self,
        params: MigrationOperationParams,
    ) -> Result<MigrationResultResponse, CommandError> {
        let _ = params;
        Err(CommandError::Unsupported("migrationOperation".into()))
    }

    /// Shuts the client down (flushes events, stops data sources). Called once.
    fn close(&self);
}
