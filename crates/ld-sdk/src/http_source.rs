//! Streaming and polling data sources from `ld-datasource-http`, configured from the client's
//! settings.

use std::sync::Arc;

use ld_datasource_http::{
    ConnectionAttempt, ConnectionAttemptRecorder, EXTENDED_MAX_DELAY, PollingDataSource,
    SdkHeaders, StreamingDataSource,
};
use ld_events::DiagnosticsRecorder;
use ld_store::DataSource;

use crate::data_source_config::DataSourceConfig;
use crate::event_delivery::user_agent;
use crate::{DataSourceBuildError, DataSourceContext};

pub(crate) fn build(
    choice: &DataSourceConfig,
    context: &DataSourceContext<'_>,
    http: ld_http::HttpClient,
) -> Result<Arc<dyn DataSource>, DataSourceBuildError> {
    let mut headers = SdkHeaders::new(context.sdk_key)
        .user_agent(user_agent())
        .instance_id(context.instance_id);
    if let Some(wrapper) = context.wrapper_header {
        let (name, version) = match wrapper.split_once('/') {
            Some((name, version)) => (name, Some(version)),
            None => (wrapper, None),
        };
        headers = headers.wrapper(name, version);
    }
    if let Some(tags) = context.application.tags_header() {
        headers = headers.tags(tags);
    }
    match choice {
        DataSourceConfig::Streaming(options) => {
            let mut builder = StreamingDataSource::builder(headers)
                .base_url(context.endpoints.streaming_uri())
                .http_client(http)
                .initial_reconnect_delay(options.initial_reconnect_delay)
                .extended_retry(
                    options.extended_retry_initial_delay,
                    EXTENDED_MAX_DELAY.max(options.extended_retry_initial_delay),
                )
                .read_timeout(context.http.read_timeout_value())
                .runtime(context.runtime.clone())
                .on_connection_attempt(stream_init_recorder(context.diagnostics.clone()));
            if let Some(filter) = &options.payload_filter {
                builder = builder.filter(filter);
            }
            Ok(Arc::new(builder.build()?))
        }
        DataSourceConfig::Polling(options) => {
            let mut builder = PollingDataSource::builder(headers)
                .base_url(context.endpoints.polling_uri())
                .http_client(http)
                .poll_interval(options.interval)
                .extended_retry(
                    options.extended_retry_initial_delay.max(options.interval),
                    EXTENDED_MAX_DELAY.max(options.extended_retry_initial_delay),
                )
                .runtime(context.runtime.clone());
            if let Some(filter) = &options.payload_filter {
                builder = builder.filter(filter);
            }
            if !context.endpoints.is_default_polling() {
                // LaunchDarkly's 30 s minimum protects LaunchDarkly; a Relay Proxy or test
                // server may be polled as often as configured.
                builder = builder.min_poll_interval_override(options.interval);
            }
            Ok(Arc::new(builder.build()?))
        }
        _ => Err("not an HTTP data source".into()),
    }
}

/// Forwards the streaming source's connection attempts to the diagnostic events' `streamInits`.
fn stream_init_recorder(diagnostics: Arc<DiagnosticsRecorder>) -> ConnectionAttemptRecorder {
    ConnectionAttemptRecorder::new(move |attempt: ConnectionAttempt| {
        let millis = u64::try_from(attempt.duration.as_millis()).unwrap_or(u64::MAX);
        diagnostics.record_stream_init(attempt.started_at_millis, millis, attempt.failed);
    })
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ld_events::StreamInit;

    use super::*;

    #[test]
    fn connection_attempts_become_stream_inits_of_the_diagnostic_events() {
        let diagnostics = Arc::new(DiagnosticsRecorder::default());
        let recorder = stream_init_recorder(diagnostics.clone());
        recorder.record(ConnectionAttempt {
            started_at_millis: 1_700_000_000_000,
            duration: Duration::from_millis(250),
            failed: true,
        });
        recorder.record(ConnectionAttempt {
            started_at_millis: 1_700_000_001_000,
            duration: Duration::from_micros(40_900),
            failed: false,
        });
        assert_eq!(
            diagnostics.pending_stream_inits(),
            [
                StreamInit {
                    timestamp: 1_700_000_000_000,
                    duration_millis: 250,
                    failed: true
                },
                StreamInit {
                    timestamp: 1_700_000_001_000,
                    duration_millis: 40,
                    failed: false
                },
            ]
        );
    }
}
