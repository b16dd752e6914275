//! The choice of where a client's flag data comes from.

use std::fmt;
#[cfg(feature = "file")]
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use thiserror::Error;

use crate::{DataSourceFactory, ServiceEndpoints, TestData};

/// How long the streaming source waits before its first reconnection attempt, by default.
pub const DEFAULT_INITIAL_RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// The default (and, against LaunchDarkly's own service, minimum) polling interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);
/// The first delay after a response not worth retrying soon (such as 401), by default.
pub const DEFAULT_EXTENDED_RETRY_INITIAL_DELAY: Duration = Duration::from_secs(5 * 60);

/// An invalid data source setting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DataSourceConfigError {
    /// Polling LaunchDarkly's own service more often than every 30 seconds is not allowed.
    #[error("polling interval {interval:?} is below LaunchDarkly's minimum of 30s")]
    PollIntervalTooShort {
        /// The requested interval.
        interval: Duration,
    },
    /// An interval or delay is zero.
    #[error("the {0} must be greater than zero")]
    Zero(&'static str),
    /// A file data source was given no file.
    #[error("the file data source needs at least one file")]
    NoFiles,
    /// This build has no network data source (the `http` feature is off) and none was chosen.
    #[error(
        "no data source configured: this build has no `http` feature, so choose files, TestData, a custom source or none"
    )]
    NoDataSource,
}

/// Streaming settings: a long-lived connection that receives flag changes as they happen.
#[cfg(feature = "http")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamingOptions {
    /// The first reconnection delay; later ones back off exponentially with jitter.
    pub initial_reconnect_delay: Duration,
    /// The first delay after a response that is not worth retrying soon (401, 403 and other
    /// 4xx except 400/408/429): default 5 minutes, doubling up to an hour. The stream never
    /// gives up for good.
    pub extended_retry_initial_delay: Duration,
    /// A payload filter key: only the flags of that filter are received. An invalid key
    /// (anything but letters, digits, `.`, `_`, `-`, or not starting with a letter or digit) is
    /// ignored with a warning.
    pub payload_filter: Option<String>,
}

#[cfg(feature = "http")]
impl Default for StreamingOptions {
    fn default() -> Self {
        Self {
            initial_reconnect_delay: DEFAULT_INITIAL_RECONNECT_DELAY,
            extended_retry_initial_delay: DEFAULT_EXTENDED_RETRY_INITIAL_DELAY,
            payload_filter: None,
        }
    }
}

/// Polling settings: periodic requests for all flags.
#[cfg(feature = "http")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollingOptions {
    /// Time between polls (at least 30 s against LaunchDarkly's own service).
    pub interval: Duration,
    /// The first delay after a response that is not worth retrying soon (401, 403 and other
    /// 4xx except 400/408/429): default 5 minutes, doubling up to an hour, and never shorter
    /// than the poll interval. Polling never gives up for good.
    pub extended_retry_initial_delay: Duration,
    /// A payload filter key: only the flags of that filter are received. An invalid key
    /// (anything but letters, digits, `.`, `_`, `-`, or not starting with a letter or digit) is
    /// ignored with a warning.
    pub payload_filter: Option<String>,
}

#[cfg(feature = "http")]
impl Default for PollingOptions {
    fn default() -> Self {
        Self {
            interval: DEFAULT_POLL_INTERVAL,
            extended_retry_initial_delay: DEFAULT_EXTENDED_RETRY_INITIAL_DELAY,
            payload_filter: None,
        }
    }
}

/// File data source settings: flags from local JSON (or, with the `yaml` feature, YAML) files.
#[cfg(feature = "file")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    /// The files, read in order; a flag or segment key may appear only once across them.
    pub paths: Vec<PathBuf>,
    /// Reloads the data when a file changes.
    pub auto_update: bool,
}

/// Where a client's flags come from.
///
/// ```
/// use ld_sdk::{Config, DataSourceConfig, TestData};
///
/// let td = TestData::new();
/// let config = Config::builder("sdk-key")
///     .data_source(td.clone())          // any `Into<DataSourceConfig>`
///     .build()
///     .unwrap();
/// assert!(matches!(config.data_source(), DataSourceConfig::TestData(_)));
/// ```
#[derive(Clone)]
pub enum DataSourceConfig {
    /// LaunchDarkly's streaming service (the default with the `http` feature).
    #[cfg(feature = "http")]
    Streaming(StreamingOptions),
    /// LaunchDarkly's polling service.
    #[cfg(feature = "http")]
    Polling(PollingOptions),
    /// Local flag files.
    #[cfg(feature = "file")]
    Files(FileOptions),
    /// Flags set by test code through a [`TestData`].
    TestData(TestData),
    /// Any other data source.
    Custom(Arc<dyn DataSourceFactory>),
    /// No data source: flags are whatever another process (such as the Relay Proxy in daemon
    /// mode) wrote to the persistent store. The client counts as initialized at once.
    External,
}

impl DataSourceConfig {
    /// Streaming with default settings.
    #[cfg(feature = "http")]
    pub fn streaming() -> Self {
        Self::Streaming(StreamingOptions::default())
    }

    /// Polling every `interval`.
    #[cfg(feature = "http")]
    pub fn polling(interval: Duration) -> Self {
        Self::Polling(PollingOptions {
            interval,
            ..PollingOptions::default()
        })
    }

    /// Flags from these files, optionally reloaded when they change.
    #[cfg(feature = "file")]
    pub fn files<I, P>(paths: I, auto_update: bool) -> Self
    where
        I: IntoIterator<Item = P>,
        P: Into<PathBuf>,
    {
        Self::Files(FileOptions {
            paths: paths.into_iter().map(Into::into).collect(),
            auto_update,
        })
    }

    /// A custom data source.
    pub fn custom(factory: impl DataSourceFactory + 'static) -> Self {
        Self::Custom(Arc::new(factory))
    }

    /// Checks the settings; `endpoints` decides whether LaunchDarkly's polling minimum applies.
    pub(crate) fn validate(
        &self,
        endpoints: &ServiceEndpoints,
    ) -> Result<(), DataSourceConfigError> {
        let _ = endpoints;
        match self {
            #[cfg(feature = "http")]
            Self::Streaming(s) if s.initial_reconnect_delay.is_zero() => {
                Err(DataSourceConfigError::Zero("initial reconnect delay"))
            }
            #[cfg(feature = "http")]
            Self::Polling(p) if p.interval.is_zero() => {
                Err(DataSourceConfigError::Zero("polling interval"))
            }
            #[cfg(feature = "http")]
            Self::Polling(p)
                if p.interval < DEFAULT_POLL_INTERVAL && endpoints.is_default_polling() =>
            {
                Err(DataSourceConfigError::PollIntervalTooShort {
                    interval: p.interval,
                })
            }
            #[cfg(feature = "file")]
            Self::Files(f) if f.paths.is_empty() => Err(DataSourceConfigError::NoFiles),
            _ => Ok(()),
        }
    }
}

impl Default for DataSourceConfig {
    /// Streaming with the `http` feature; otherwise [`DataSourceConfig::External`] (and
    /// [`ConfigBuilder::build`](crate::ConfigBuilder::build) asks for an explicit choice unless
    /// offline).
    fn default() -> Self {
        #[cfg(feature = "http")]
        return Self::streaming();
        #[cfg(not(feature = "http"))]
        return Self::External;
    }
}

impl fmt::Debug for DataSourceConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            #[cfg(feature = "http")]
            Self::Streaming(s) => f.debug_tuple("Streaming").field(s).finish(),
            #[cfg(feature = "http")]
            Self::Polling(p) => f.debug_tuple("Polling").field(p).finish(),
            #[cfg(feature = "file")]
            Self::Files(o) => f.debug_tuple("Files").field(o).finish(),
            Self::TestData(_) => f.write_str("TestData"),
            Self::Custom(_) => f.write_str("Custom"),
            Self::External => f.write_str("External"),
        }
    }
}

impl From<TestData> for DataSourceConfig {
    fn from(td: TestData) -> Self {
        Self::TestData(td)
    }
}

impl From<&TestData> for DataSourceConfig {
    fn from(td: &TestData) -> Self {
        Self::TestData(td.clone())
    }
}

#[cfg(feature = "http")]
impl From<StreamingOptions> for DataSourceConfig {
    fn from(options: StreamingOptions) -> Self {
        Self::Streaming(options)
    }
}

#[cfg(feature = "http")]
impl From<PollingOptions> for DataSourceConfig {
    fn from(options: PollingOptions) -> Self {
        Self::Polling(options)
    }
}

#[cfg(feature = "file")]
impl From<FileOptions> for DataSourceConfig {
    fn from(options: FileOptions) -> Self {
        Self::Files(options)
    }
}

#[cfg(all(test, any(feature = "http", feature = "file")))]
mod tests {
    use super::*;

    #[cfg(feature = "http")]
    #[test]
    fn polling_launchdarkly_faster_than_every_30_seconds_is_rejected() {
        let fast = DataSourceConfig::polling(Duration::from_secs(5));
        assert_eq!(
            fast.validate(&ServiceEndpoints::default()),
            Err(DataSourceConfigError::PollIntervalTooShort {
                interval: Duration::from_secs(5)
            })
        );
        // A Relay Proxy or test server may be polled as often as wanted.
        let relay = ServiceEndpoints::relay_proxy("http://127.0.0.1:8030");
        assert_eq!(fast.validate(&relay), Ok(()));
    }

    #[cfg(feature = "file")]
    #[test]
    fn a_file_source_without_files_is_rejected() {
        let none: [&str; 0] = [];
        assert_eq!(
            DataSourceConfig::files(none, false).validate(&ServiceEndpoints::default()),
            Err(DataSourceConfigError::NoFiles)
        );
    }
}
