//! Building request URLs from a base URL, a path and the optional payload filter.
//!
//! A payload filter key is sent as `?filter=KEY` only if it is a valid key: an ASCII letter or
//! digit followed by letters, digits, `.`, `_` and `-` (LaunchDarkly's rule,
//! `^[a-zA-Z0-9][._\-a-zA-Z0-9]*$`). An invalid key is logged and left out, so the SDK
//! receives the unfiltered environment rather than an error; a valid key never needs
//! percent-encoding.

/// Whether `key` may be sent as a payload filter.
pub(crate) fn is_valid_filter_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphanumeric())
        && bytes.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Joins `base` (with or without trailing slashes) and `path`, adding `?filter=KEY` when a
/// payload filter is set and valid. An invalid (or empty) key is omitted, with a warning.
pub(crate) fn url_for(base: &str, path: &str, filter: Option<&str>) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 32);
    url.push_str(base.trim_end_matches('/'));
    url.push_str(path);
    match filter {
        Some(key) if is_valid_filter_key(key) => {
            url.push_str("?filter=");
            url.push_str(key);
        }
        Some(key) => tracing::warn!(
            filter = %key,
            "ignoring invalid payload filter key (it must be letters, digits, '.', '_' or '-', \
             starting with a letter or digit); requesting the unfiltered environment"
        ),
        None => {}
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PollingDataSource, SdkHeaders, StreamingDataSource};
    use ld_store::{DataSource, DataSourceUpdateSink, InMemoryDataStore};
    use std::io::{BufRead, BufReader, Write};
    use std::net::TcpListener;
    use std::sync::Arc;
    use std::time::Duration;

    #[test]
    fn base_urls_with_trailing_slashes_join_cleanly() {
        assert_eq!(
            url_for("https://stream.launchdarkly.com/", "/all", None),
            "https://stream.launchdarkly.com/all"
        );
        assert_eq!(
            url_for("http://relay:8030/prefix//", "/sdk/latest-all", None),
            "http://relay:8030/prefix/sdk/latest-all"
        );
    }

    #[test]
    fn valid_filter_keys_are_added_as_they_are() {
        assert_eq!(
            url_for("http://h", "/all", Some("my-filter_1.x")),
            "http://h/all?filter=my-filter_1.x"
        );
        assert_eq!(
            url_for("http://h/", "/all", Some("F")),
            "http://h/all?filter=F"
        );
    }

    #[test]
    fn invalid_filter_keys_are_left_out() {
        for key in [
            "",
            "a b",
            "encoding necessary +! %& ( )",
            "-starts-with-dash",
            ".dot",
            "_underscore",
            "semi;colon",
            "slash/",
            "ünïcode",
        ] {
            assert!(!is_valid_filter_key(key), "{key:?}");
            assert_eq!(
                url_for("http://h", "/all", Some(key)),
                "http://h/all",
                "{key:?}"
            );
        }
        for key in ["a", "0", "abc.DEF_1-2", "9-._"] {
            assert!(is_valid_filter_key(key), "{key:?}");
        }
    }

    /// Accepts one connection on a loopback port and returns the request target it saw
    /// (answering 503 so the source backs off quietly).
    fn first_request_target(start: impl FnOnce(String)) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        start(base);
        let (mut conn, _) = listener.accept().unwrap();
        conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut line = String::new();
        BufReader::new(conn.try_clone().unwrap())
            .read_line(&mut line)
            .unwrap();
        let _ = conn.write_all(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n");
        line.split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned()
    }

    fn http() -> ld_http::HttpClient {
        ld_http::HttpClient::new(ld_http::HttpConfig {
            proxy: ld_http::ProxyConfig::None,
            ..ld_http::HttpConfig::default()
        })
        .unwrap()
    }

    fn sink() -> Arc<DataSourceUpdateSink> {
        Arc::new(DataSourceUpdateSink::new(
            Arc::new(InMemoryDataStore::new()),
        ))
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap()
    }

    fn streaming_request_with(filter: &str) -> String {
        let rt = runtime();
        let mut source = None;
        let target = first_request_target(|base| {
            let s = StreamingDataSource::builder(SdkHeaders::new("sdk-key"))
                .base_url(base)
                .filter(filter)
                .http_client(http())
                .runtime(rt.handle().clone())
                .build()
                .unwrap();
            s.start(sink());
            source = Some(s);
        });
        if let Some(s) = source {
            s.stop();
        }
        target
    }

    fn polling_request_with(filter: &str) -> String {
        let rt = runtime();
        let mut source = None;
        let target = first_request_target(|base| {
            let s = PollingDataSource::builder(SdkHeaders::new("sdk-key"))
                .base_url(base)
                .filter(filter)
                .http_client(http())
                .runtime(rt.handle().clone())
                .build()
                .unwrap();
            s.start(sink());
            source = Some(s);
        });
        if let Some(s) = source {
            s.stop();
        }
        target
    }

    #[test]
    fn a_streaming_request_carries_a_valid_filter_and_omits_an_invalid_one() {
        assert_eq!(
            streaming_request_with("encoding_not_necessary"),
            "/all?filter=encoding_not_necessary"
        );
        assert_eq!(
            streaming_request_with("encoding necessary +! %& ( )"),
            "/all"
        );
    }

    #[test]
    fn a_polling_request_carries_a_valid_filter_and_omits_an_invalid_one() {
        assert_eq!(
            polling_request_with("mobile.flags-1"),
            "/sdk/latest-all?filter=mobile.flags-1"
        );
        assert_eq!(polling_request_with("-bad"), "/sdk/latest-all");
    }
}
