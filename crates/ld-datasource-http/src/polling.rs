//! The polling data source: `GET {polling}/sdk/latest-all` every interval, with ETags.

use std::sync::Arc;
use std::time::Duration;

use ld_http::{HeaderMap, HeaderValue, HttpClient, HttpConfig, Request, StatusCode, header};
use ld_store::{DataSource, DataSourceState, DataSourceUpdates};
use tokio::runtime::Handle;

use crate::backoff::Backoff;
use crate::build_error::BuildError;
use crate::endpoint::url_for;
use crate::failure;
use crate::retry_rule::{EXTENDED_INITIAL_DELAY, EXTENDED_MAX_DELAY, RetrySchedule};
use crate::sdk_headers::SdkHeaders;
use crate::source_task::SourceTask;
use crate::stream_message::parse_all_data;

/// LaunchDarkly's polling service.
pub const DEFAULT_POLLING_BASE_URL: &str = "https://sdk.launchdarkly.com";
/// Default (and minimum) polling interval.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(30);

const WHAT: &str = "polling request";

/// Responses at least this large are parsed on a blocking thread.
const LARGE_BODY: usize = 256 * 1024;

/// Configures a [`PollingDataSource`].
///
/// ```
/// use std::time::Duration;
/// use ld_datasource_http::{PollingDataSource, SdkHeaders};
///
/// let source = PollingDataSource::builder(SdkHeaders::new("sdk-key"))
///     .poll_interval(Duration::from_secs(10)) // below the minimum: 30 s is used
///     .build()
///     .unwrap();
/// assert_eq!(source.poll_interval(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone)]
pub struct PollingDataSourceBuilder {
    headers: SdkHeaders,
    base_url: String,
    http: Option<HttpClient>,
    filter: Option<String>,
    poll_interval: Duration,
    min_poll_interval: Duration,
    extended_retry: (Duration, Duration),
    max_body_size: usize,
    runtime: Option<Handle>,
}

impl PollingDataSourceBuilder {
    /// Base URL of the polling service (default [`DEFAULT_POLLING_BASE_URL`]); a Relay Proxy's
    /// URL works too.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The HTTP client to use. Default: a client built from [`HttpConfig::default()`].
    pub fn http_client(mut self, client: HttpClient) -> Self {
        self.http = Some(client);
        self
    }

    /// Requests only the flags of this payload filter (`?filter=KEY`). A key that is not
    /// letters, digits, `.`, `_` and `-` (starting with a letter or digit) is ignored with a
    /// warning.
    pub fn filter(mut self, key: impl Into<String>) -> Self {
        let key = key.into();
        self.filter = (!key.is_empty()).then_some(key);
        self
    }

    /// Time between polls (default and minimum 30 s; smaller values are raised to 30 s).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Lowers the minimum polling interval. Only for tests and private Relay Proxy setups:
    /// LaunchDarkly's service expects at least 30 s.
    pub fn min_poll_interval_override(mut self, min: Duration) -> Self {
        self.min_poll_interval = min;
        self
    }

    /// The extended schedule used after 401, 403 and other non-retryable 4xx responses
    /// (default 5 min doubling up to 60 min).
    pub fn extended_retry(mut self, initial: Duration, max: Duration) -> Self {
        self.extended_retry = (initial, max);
        self
    }

    /// Largest (decoded) response accepted (default 512 MiB); larger ones count as invalid data.
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_size = bytes;
        self
    }

    /// The tokio runtime to run on. Default: the runtime current when `start` is called.
    pub fn runtime(mut self, handle: Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Validates the headers and builds the source (it does nothing until started).
    pub fn build(self) -> Result<PollingDataSource, BuildError> {
        let mut headers = self.headers.to_header_map()?;
        headers.insert(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip"));
        headers.insert(header::ACCEPT, HeaderValue::from_static("application/json"));
        let http = match self.http {
            Some(c) => c,
            None => HttpClient::new(HttpConfig::default())?,
        };
        Ok(PollingDataSource {
            config: Arc::new(PollConfig {
                url: url_for(&self.base_url, "/sdk/latest-all", self.filter.as_deref()),
                headers,
                http,
                interval: self.poll_interval.max(self.min_poll_interval),
                extended_retry: self.extended_retry,
                max_body_size: self.max_body_size,
            }),
            task: SourceTask::new("polling", self.runtime),
        })
    }
}

struct PollConfig {
    url: String,
    headers: HeaderMap,
    http: HttpClient,
    interval: Duration,
    extended_retry: (Duration, Duration),
    max_body_size: usize,
}

/// Polls LaunchDarkly for the full data set (`GET {base}/sdk/latest-all`).
///
/// Sends `Accept-Encoding: gzip` and `If-None-Match` with the last ETag; a `304 Not Modified`
/// leaves the store untouched. Failures follow the same rules as streaming: nothing stops the
/// source for good; 400/408/429/5xx and network errors retry at the next interval; other 4xx
/// retry on the extended schedule (5 min doubling to 60 min) and are reported in the status.
pub struct PollingDataSource {
    config: Arc<PollConfig>,
    task: SourceTask,
}

impl std::fmt::Debug for PollingDataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollingDataSource")
            .field("url", &self.config.url)
            .field("interval", &self.config.interval)
            .finish_non_exhaustive()
    }
}

impl PollingDataSource {
    /// Starts configuring a polling source authenticated by `headers`.
    pub fn builder(headers: SdkHeaders) -> PollingDataSourceBuilder {
        PollingDataSourceBuilder {
            headers,
            base_url: DEFAULT_POLLING_BASE_URL.to_string(),
            http: None,
            filter: None,
            poll_interval: DEFAULT_POLL_INTERVAL,
            min_poll_interval: DEFAULT_POLL_INTERVAL,
            extended_retry: (EXTENDED_INITIAL_DELAY, EXTENDED_MAX_DELAY),
            max_body_size: 512 * 1024 * 1024,
            runtime: None,
        }
    }

    /// The full polling URL.
    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// The effective polling interval.
    pub fn poll_interval(&self) -> Duration {
        self.config.interval
    }
}

impl DataSource for PollingDataSource {
    fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
        let config = self.config.clone();
        self.task
            .start(updates, move |updates| run_poll(config, updates));
    }

    fn stop(&self) {
        self.task.stop();
    }
}

async fn run_poll(config: Arc<PollConfig>, updates: Arc<dyn DataSourceUpdates>) {
    let mut etag: Option<HeaderValue> = None;
    let mut extended = Backoff::new(config.extended_retry.0, config.extended_retry.1);
    loop {
        let delay = match poll_once(&config, &updates, &mut etag).await {
            RetrySchedule::Normal => {
                extended.reset();
                config.interval
            }
            RetrySchedule::Extended => extended.next_delay().max(config.interval),
        };
        tokio::time::sleep(delay).await;
    }
}

/// One poll; returns the schedule for the next one.
async fn poll_once(
    config: &PollConfig,
    updates: &Arc<dyn DataSourceUpdates>,
    etag: &mut Option<HeaderValue>,
) -> RetrySchedule {
    let mut request = Request::get(config.url.clone());
    request.headers = config.headers.clone();
    if let Some(tag) = etag.as_ref() {
        request.headers.insert(header::IF_NONE_MATCH, tag.clone());
    }
    let response = match config.http.request(request).await {
        Ok(r) => r,
        Err(e) => {
            failure::network(updates.as_ref(), &e, WHAT);
            return RetrySchedule::Normal;
        }
    };
    match response.status {
        StatusCode::NOT_MODIFIED => {
            tracing::debug!("polling: not modified");
            updates.update_status(DataSourceState::Valid, None);
            return RetrySchedule::Normal;
        }
        StatusCode::OK => {}
        status => return failure::http_status(updates.as_ref(), status, WHAT),
    }
    let new_etag = response.headers.get(header::ETAG).cloned();
    let body = match response.bytes_limited(config.max_body_size).await {
        Ok(b) => b,
        Err(e @ ld_http::HttpError::BodyTooLarge { .. }) => {
            failure::invalid_data(updates.as_ref(), &e.to_string(), WHAT);
            return RetrySchedule::Normal;
        }
        Err(e) => {
            failure::network(updates.as_ref(), &e, WHAT);
            return RetrySchedule::Normal;
        }
    };
    let large = body.len() >= LARGE_BODY;
    // Parses and stores the data set; `Ok(false)` when the store refused it.
    let apply = {
        let updates = updates.clone();
        move || {
            std::str::from_utf8(&body)
                .map_err(|e| format!("response is not UTF-8: {e}"))
                .and_then(parse_all_data)
                .map(|all| updates.init(all))
        }
    };
    let applied = if large {
        // Parsing a big payload, and freeing the data set it replaces, takes a while: keep
        // both off the runtime's worker threads.
        tokio::task::spawn_blocking(apply)
            .await
            .unwrap_or_else(|e| Err(format!("parser task failed: {e}")))
    } else {
        apply()
    };
    match applied {
        Err(reason) => {
            failure::invalid_data(
                updates.as_ref(),
                &format!("malformed polling response: {reason}"),
                WHAT,
            );
            RetrySchedule::Normal
        }
        Ok(stored) => {
            if stored {
                *etag = new_etag;
                updates.update_status(DataSourceState::Valid, None);
            }
            RetrySchedule::Normal
        }
    }
}
