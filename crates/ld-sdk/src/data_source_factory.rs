//! The extension point for custom data sources.

use std::sync::Arc;

use ld_events::DiagnosticsRecorder;
use ld_store::DataSource;
use tokio::runtime::Handle;

use crate::{ApplicationInfo, HttpOptions, ServiceEndpoints};

/// The error a [`DataSourceFactory`] returns when it cannot build its source.
pub type DataSourceBuildError = Box<dyn std::error::Error + Send + Sync>;

/// What a data source may need from the client that runs it.
#[derive(Debug, Clone, Copy)]
pub struct DataSourceContext<'a> {
    /// The SDK key (for an `Authorization` header; never log it).
    pub sdk_key: &'a str,
    /// The service endpoints.
    pub endpoints: &'a ServiceEndpoints,
    /// The HTTP settings.
    pub http: &'a HttpOptions,
    /// The application metadata (for the `X-LaunchDarkly-Tags` header).
    pub application: &'a ApplicationInfo,
    /// The `X-LaunchDarkly-Wrapper` header value, if any.
    pub wrapper_header: Option<&'a str>,
    /// This client's instance id (the `X-LaunchDarkly-Instance-Id` header): one per client,
    /// the same on flag and event requests.
    pub instance_id: &'a str,
    /// The client's runtime, to spawn async tasks on (the source need not use it).
    pub runtime: &'a Handle,
    /// Where a streaming source reports its connection attempts, for the `streamInits` of
    /// diagnostic events (see [`DiagnosticsRecorder::record_stream_init`]).
    pub diagnostics: &'a Arc<DiagnosticsRecorder>,
}

/// Builds a custom [`DataSource`] for a client.
///
/// The source is started with the client's update sink right after it is built, and stopped when
/// the client closes. See [`ld_store::DataSource`] for what a source must do.
///
/// ```
/// use std::sync::Arc;
/// use ld_sdk::{AllData, Config, DataSource, DataSourceConfig, DataSourceContext, DataSourceFactory,
///              DataSourceBuildError, DataSourceState, DataSourceUpdates};
///
/// /// Serves a fixed, empty data set.
/// struct Fixed;
/// impl DataSource for Fixed {
///     fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
///         updates.init(AllData::default());
///         updates.update_status(DataSourceState::Valid, None);
///     }
///     fn stop(&self) {}
/// }
///
/// struct FixedFactory;
/// impl DataSourceFactory for FixedFactory {
///     fn build(&self, _: &DataSourceContext<'_>) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
///         Ok(Arc::new(Fixed))
///     }
/// }
///
/// let config = Config::builder("key").data_source(DataSourceConfig::custom(FixedFactory)).build()?;
/// # Ok::<(), ld_sdk::ConfigError>(())
/// ```
pub trait DataSourceFactory: Send + Sync {
    /// Builds the source (without starting it).
    fn build(
        &self,
        context: &DataSourceContext<'_>,
    ) -> Result<Arc<dyn DataSource>, DataSourceBuildError>;
}
