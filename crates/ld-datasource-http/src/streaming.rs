//! The streaming data source: `GET {stream}/all` as server-sent events, reconnecting forever.

use std::sync::Arc;
use std::time::Duration;

use ld_http::{HeaderMap, HeaderValue, HttpClient, HttpConfig, Request, StatusCode, header};
use ld_store::{DataSource, DataSourceState, DataSourceUpdates};
use tokio::runtime::Handle;

use crate::backoff::Backoff;
use crate::build_error::BuildError;
use crate::connection_attempt::{ConnectionAttemptRecorder, PendingAttempt};
use crate::endpoint::url_for;
use crate::failure;
use crate::retry_rule::{
    EXTENDED_INITIAL_DELAY, EXTENDED_MAX_DELAY, NORMAL_MAX_DELAY, RetrySchedule,
};
use crate::sdk_headers::SdkHeaders;
use crate::source_task::SourceTask;
use crate::sse::{DEFAULT_MAX_EVENT_SIZE, SseParser};
use crate::stream_message::{MalformedEvent, StreamMessage, parse_stream_event};

/// LaunchDarkly's streaming service.
pub const DEFAULT_STREAM_BASE_URL: &str = "https://stream.launchdarkly.com";
/// Default first reconnection delay.
pub const DEFAULT_INITIAL_RECONNECT_DELAY: Duration = Duration::from_secs(1);
/// Default read timeout: the service sends a heartbeat comment every 3 minutes.
pub const DEFAULT_STREAM_READ_TIMEOUT: Duration = Duration::from_secs(5 * 60);

const WHAT: &str = "streaming connection";

/// Events at least this large are parsed on a blocking thread.
const LARGE_EVENT: usize = 256 * 1024;

/// Configures a [`StreamingDataSource`].
///
/// ```
/// use std::time::Duration;
/// use ld_datasource_http::{SdkHeaders, StreamingDataSource};
///
/// let source = StreamingDataSource::builder(SdkHeaders::new("sdk-key"))
///     .base_url("https://relay.internal:8030")
///     .filter("mobile-flags")
///     .initial_reconnect_delay(Duration::from_millis(500))
///     .build()
///     .unwrap();
/// # drop(source);
/// ```
#[derive(Debug, Clone)]
pub struct StreamingDataSourceBuilder {
    headers: SdkHeaders,
    base_url: String,
    http: Option<HttpClient>,
    filter: Option<String>,
    initial_reconnect_delay: Duration,
    read_timeout: Duration,
    extended_retry: (Duration, Duration),
    reset_after: Duration,
    max_event_size: usize,
    runtime: Option<Handle>,
    attempts: Option<ConnectionAttemptRecorder>,
}

impl StreamingDataSourceBuilder {
    /// Base URL of the streaming service (default [`DEFAULT_STREAM_BASE_URL`]); a Relay Proxy's
    /// URL works too.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into();
        self
    }

    /// The HTTP client to use (shares TLS, proxy and timeout settings with the rest of the
    /// SDK). Default: a client built from [`HttpConfig::default()`].
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

    /// First reconnection delay (default 1 s); doubles up to 30 s, with jitter.
    pub fn initial_reconnect_delay(mut self, delay: Duration) -> Self {
        self.initial_reconnect_delay = delay;
        self
    }

    /// Reconnect when no byte (not even a heartbeat) arrived for this long (default 5 min).
    pub fn read_timeout(mut self, timeout: Duration) -> Self {
        self.read_timeout = timeout;
        self
    }

    /// The extended schedule used after 401, 403 and other non-retryable 4xx responses
    /// (default 5 min doubling up to 60 min).
    pub fn extended_retry(mut self, initial: Duration, max: Duration) -> Self {
        self.extended_retry = (initial, max);
        self
    }

    /// How long a connection must stay healthy to reset the backoff (default 60 s).
    pub fn backoff_reset_after(mut self, after: Duration) -> Self {
        self.reset_after = after;
        self
    }

    /// Largest single event accepted (default 256 MiB); larger ones count as invalid data.
    pub fn max_event_size(mut self, bytes: usize) -> Self {
        self.max_event_size = bytes;
        self
    }

    /// Reports every connection attempt (start time, duration, failed or not), as the SDK's
    /// diagnostic events need. An attempt succeeds when its first event is applied.
    pub fn on_connection_attempt(mut self, recorder: ConnectionAttemptRecorder) -> Self {
        self.attempts = Some(recorder);
        self
    }

    /// The tokio runtime to run on. Default: the runtime current when `start` is called.
    pub fn runtime(mut self, handle: Handle) -> Self {
        self.runtime = Some(handle);
        self
    }

    /// Validates the headers and builds the source (it does nothing until started).
    pub fn build(self) -> Result<StreamingDataSource, BuildError> {
        let mut headers = self.headers.to_header_map()?;
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_static("text/event-stream"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        let http = match self.http {
            Some(c) => c,
            None => HttpClient::new(HttpConfig::default())?,
        };
        let config = StreamConfig {
            url: url_for(&self.base_url, "/all", self.filter.as_deref()),
            headers,
            http,
            initial_reconnect_delay: self.initial_reconnect_delay,
            read_timeout: self.read_timeout,
            extended_retry: self.extended_retry,
            reset_after: self.reset_after,
            max_event_size: self.max_event_size,
            attempts: self.attempts,
        };
        Ok(StreamingDataSource {
            config: Arc::new(config),
            task: SourceTask::new("streaming", self.runtime),
        })
    }
}

struct StreamConfig {
    url: String,
    headers: HeaderMap,
    http: HttpClient,
    initial_reconnect_delay: Duration,
    read_timeout: Duration,
    extended_retry: (Duration, Duration),
    reset_after: Duration,
    max_event_size: usize,
    attempts: Option<ConnectionAttemptRecorder>,
}

/// Receives flag data over a LaunchDarkly stream (`GET {base}/all`, server-sent events).
///
/// `put` replaces all data, `patch` and `delete` change one item if their version is newer.
/// The source never gives up: network errors, malformed events, 400/408/429 and 5xx reconnect
/// with exponential backoff (1 s doubling to 30 s, up to 50% jitter, reset after 60 s of healthy
/// connection); other 4xx (such as 401 for a bad SDK key) retry on an extended schedule (5 min
/// doubling to 60 min). Every failure is reported as `Interrupted` with its error, and the store
/// keeps the last good data.
pub struct StreamingDataSource {
    config: Arc<StreamConfig>,
    task: SourceTask,
}

impl std::fmt::Debug for StreamingDataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StreamingDataSource")
            .field("url", &self.config.url)
            .finish_non_exhaustive()
    }
}

impl StreamingDataSource {
    /// Starts configuring a streaming source authenticated by `headers`.
    pub fn builder(headers: SdkHeaders) -> StreamingDataSourceBuilder {
        StreamingDataSourceBuilder {
            headers,
            base_url: DEFAULT_STREAM_BASE_URL.to_string(),
            http: None,
            filter: None,
            initial_reconnect_delay: DEFAULT_INITIAL_RECONNECT_DELAY,
            read_timeout: DEFAULT_STREAM_READ_TIMEOUT,
            extended_retry: (EXTENDED_INITIAL_DELAY, EXTENDED_MAX_DELAY),
            reset_after: Duration::from_secs(60),
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            runtime: None,
            attempts: None,
        }
    }

    /// The full stream URL this source connects to.
    pub fn url(&self) -> &str {
        &self.config.url
    }
}

impl DataSource for StreamingDataSource {
    fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
        let config = self.config.clone();
        self.task
            .start(updates, move |updates| run_stream(config, updates));
    }

    fn stop(&self) {
        self.task.stop();
    }
}

/// How one connection ended.
enum Ending {
    /// Retry on this schedule (the status was already reported).
    Retry(RetrySchedule),
}

async fn run_stream(config: Arc<StreamConfig>, updates: Arc<dyn DataSourceUpdates>) {
    let mut normal = Backoff::new(config.initial_reconnect_delay, NORMAL_MAX_DELAY)
        .with_reset_after(config.reset_after);
    let mut extended = Backoff::new(config.extended_retry.0, config.extended_retry.1)
        .with_reset_after(config.reset_after);
    loop {
        tracing::info!("connecting to LaunchDarkly stream");
        let Ending::Retry(schedule) =
            connect_once(&config, &updates, &mut normal, &mut extended).await;
        normal.disconnected();
        let delay = match schedule {
            RetrySchedule::Normal => {
                extended.reset();
                normal.next_delay()
            }
            RetrySchedule::Extended => extended.next_delay(),
        };
        tracing::info!("reconnecting to the stream in {delay:?}");
        tokio::time::sleep(delay).await;
    }
}

async fn connect_once(
    config: &StreamConfig,
    updates: &Arc<dyn DataSourceUpdates>,
    normal: &mut Backoff,
    extended: &mut Backoff,
) -> Ending {
    let mut attempt = PendingAttempt::start(config.attempts.as_ref());
    let mut request = Request::get(config.url.clone()).read_timeout(config.read_timeout);
    request.headers = config.headers.clone();
    let mut response = match config.http.request(request).await {
        Ok(r) => r,
        Err(e) => {
            attempt.finish(true);
            failure::network(updates.as_ref(), &e, WHAT);
            return Ending::Retry(RetrySchedule::Normal);
        }
    };
    if response.status != StatusCode::OK {
        attempt.finish(true);
        return Ending::Retry(failure::http_status(
            updates.as_ref(),
            response.status,
            WHAT,
        ));
    }
    // The connection is up: the backoff resets once it has stayed healthy long enough.
    normal.connected();
    extended.reset();
    let mut parser = SseParser::with_max_event_size(config.max_event_size);
    loop {
        let chunk = match response.body.next_chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => {
                attempt.finish(true);
                failure::network_message(updates.as_ref(), "stream closed by the server", WHAT);
                return Ending::Retry(RetrySchedule::Normal);
            }
            Err(e) => {
                attempt.finish(true);
                failure::network(updates.as_ref(), &e, WHAT);
                return Ending::Retry(RetrySchedule::Normal);
            }
        };
        let events = match parser.push(&chunk) {
            Ok(events) => events,
            Err(e) => {
                attempt.finish(true);
                failure::invalid_data(updates.as_ref(), &format!("{e}; restarting stream"), WHAT);
                return Ending::Retry(RetrySchedule::Normal);
            }
        };
        if let Some(retry) = parser.retry() {
            normal.set_initial(retry);
        }
        for event in events {
            let outcome = if event.data.len() >= LARGE_EVENT {
                // Parsing a big `put` takes a while: keep it off the runtime's worker threads.
                let updates = updates.clone();
                tokio::task::spawn_blocking(move || {
                    apply_stream_event(updates.as_ref(), &event.event, &event.data)
                })
                .await
                .unwrap_or(Ok(false))
            } else {
                apply_stream_event(updates.as_ref(), &event.event, &event.data)
            };
            match outcome {
                Err(e) => {
                    attempt.finish(true);
                    failure::invalid_data(
                        updates.as_ref(),
                        &format!("{e}; restarting stream"),
                        WHAT,
                    );
                    return Ending::Retry(RetrySchedule::Normal);
                }
                Ok(true) => attempt.finish(false),
                Ok(false) => {
                    // The store rejected the write (the sink reported it): restart the
                    // stream so that a fresh `put` brings the store back in sync.
                    return Ending::Retry(RetrySchedule::Normal);
                }
            }
        }
    }
}

/// Parses one server-sent event of the LaunchDarkly stream and applies it to `updates`, exactly
/// as the streaming source does: `put` replaces all data, `patch`/`delete` upsert one item
/// (stale versions are ignored by the store), other events are ignored. On success the status
/// becomes `Valid`.
///
/// Returns `Ok(false)` when the store rejected the write, and an error for malformed data (the
/// streaming source then restarts the stream).
///
/// ```
/// use std::sync::Arc;
/// use ld_datasource_http::apply_stream_event;
/// use ld_store::{DataSourceUpdateSink, DataStore, InMemoryDataStore};
///
/// let store = Arc::new(InMemoryDataStore::new());
/// let sink = DataSourceUpdateSink::new(store.clone());
/// let put = r#"{"path":"/","data":{"flags":{"f":{"key":"f","version":1,"on":true,"variations":[true],"fallthrough":{"variation":0}}},"segments":{}}}"#;
/// assert_eq!(apply_stream_event(&sink, "put", put), Ok(true));
/// assert!(store.flag("f").is_some());
/// assert!(apply_stream_event(&sink, "patch", "{oops").is_err());
/// ```
pub fn apply_stream_event(
    updates: &dyn DataSourceUpdates,
    event: &str,
    data: &str,
) -> Result<bool, MalformedEvent> {
    Ok(apply(updates, parse_stream_event(event, data)?))
}

/// Applies one message; `false` when the store rejected it.
fn apply(updates: &dyn DataSourceUpdates, message: StreamMessage) -> bool {
    let stored = match message {
        StreamMessage::Put(all) => {
            tracing::debug!(
                "stream put: {} flags, {} segments",
                all.flags.len(),
                all.segments.len()
            );
            updates.init(all)
        }
        StreamMessage::Flag(key, item) => updates.upsert_flag(&key, item),
        StreamMessage::Segment(key, item) => updates.upsert_segment(&key, item),
        StreamMessage::Ignored => return true,
    };
    if stored {
        updates.update_status(DataSourceState::Valid, None);
    }
    stored
}
