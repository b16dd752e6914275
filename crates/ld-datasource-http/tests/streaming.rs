//! The streaming data source against a scripted LaunchDarkly stand-in on 127.0.0.1, with fault
//! injection. Each test asserts the store contents and the data source status.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use ld_datasource_http::{
    ConnectionAttempt, ConnectionAttemptRecorder, SdkHeaders, StreamingDataSource,
    StreamingDataSourceBuilder,
};
use ld_http::{HttpClient, HttpConfig, ProxyConfig, TlsConfig};
use ld_store::{DataSource, DataSourceState, ErrorKind};
use support::*;

fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        proxy: ProxyConfig::None,
        ..HttpConfig::default()
    })
    .unwrap()
}

fn builder(server: &LdServer) -> StreamingDataSourceBuilder {
    StreamingDataSource::builder(SdkHeaders::new("sdk-test-key"))
        .base_url(server.base_url())
        .http_client(http())
        .initial_reconnect_delay(Duration::from_millis(10))
}

fn start(source: &StreamingDataSource) -> Arc<Harness> {
    let h = Harness::new();
    source.start(h.clone());
    h
}

fn last_error_kind(h: &Harness) -> Option<ErrorKind> {
    h.status().last_error.map(|e| e.kind)
}

#[tokio::test]
async fn put_fills_the_store_sends_sdk_headers_and_becomes_valid() {
    let server = LdServer::start().await;
    let headers = SdkHeaders::new("sdk-test-key")
        .tags("application-id/app application-version/1.0")
        .wrapper("Wrapper", Some("3.2"))
        .instance_id("instance-1");
    let source = StreamingDataSource::builder(headers)
        .base_url(format!("{}/", server.base_url()))
        .http_client(http())
        .filter("my-filter.1")
        .build()
        .unwrap();
    let h = start(&source);
    assert_eq!(h.status().state, DataSourceState::Initializing);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f1", 1), ("f2", 2)], &[("s1", 3)]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f1"), Some(1));
    assert_eq!(h.flag_version("f2"), Some(2));
    assert_eq!(h.segment_version("s1"), Some(3));

    let req = &conn.request;
    assert_eq!(req.uri.path(), "/all");
    assert_eq!(req.uri.query(), Some("filter=my-filter.1"));
    assert_eq!(req.headers["authorization"], "sdk-test-key");
    assert!(
        req.headers["user-agent"]
            .to_str()
            .unwrap()
            .starts_with("LDRustServerSdk/")
    );
    assert_eq!(
        req.headers["x-launchdarkly-tags"],
        "application-id/app application-version/1.0"
    );
    assert_eq!(req.headers["x-launchdarkly-wrapper"], "Wrapper/3.2");
    assert_eq!(req.headers["x-launchdarkly-instance-id"], "instance-1");
    assert_eq!(req.headers["accept"], "text/event-stream");
    source.stop();
}

#[tokio::test]
async fn patches_with_old_versions_are_ignored_and_newer_ones_applied() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 5)], &[("s", 5)]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    conn.send(patch_flag_event("f", 4));
    conn.send(patch_flag_event("f", 5));
    conn.send(patch_segment_event("s", 3));
    conn.send(patch_flag_event("g", 1)); // marker: processed after the ones above
    eventually("marker flag", || h.flag_version("g") == Some(1)).await;
    assert_eq!(h.flag_version("f"), Some(5));
    assert_eq!(h.segment_version("s"), Some(5));
    conn.send(patch_flag_event("f", 6));
    conn.send(patch_segment_event("s", 9));
    eventually("newer patches", || {
        h.flag_version("f") == Some(6) && h.segment_version("s") == Some(9)
    })
    .await;
    assert_eq!(h.status().state, DataSourceState::Valid);
    source.stop();
}

#[tokio::test]
async fn deletes_then_re_adds_respect_versions() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[("s", 1)]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    conn.send(delete_event("flags", "f", 3));
    conn.send(delete_event("segments", "s", 3));
    eventually("deleted", || {
        h.flag_version("f").is_none() && h.segment_version("s").is_none()
    })
    .await;
    // A late patch older than the tombstone must not resurrect the flag.
    conn.send(patch_flag_event("f", 2));
    conn.send(patch_flag_event("marker", 1));
    eventually("marker", || h.flag_version("marker").is_some()).await;
    assert_eq!(h.flag_version("f"), None);
    // A newer one re-adds it.
    conn.send(patch_flag_event("f", 4));
    conn.send(patch_segment_event("s", 4));
    eventually("re-added", || {
        h.flag_version("f") == Some(4) && h.segment_version("s") == Some(4)
    })
    .await;
    source.stop();
}

#[tokio::test]
async fn unknown_events_paths_and_comments_are_ignored() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[]));
    conn.send(":heartbeat\n\nevent: something-new\ndata: {\"x\":1}\n\n");
    conn.send("event: patch\ndata: {\"path\":\"/widgets/w\",\"data\":{}}\n\n");
    conn.send("event: delete\ndata: {\"path\":\"/widgets/w\",\"version\":1}\n\n");
    conn.send("not-a-field-anyone-knows\n\n");
    conn.send(patch_flag_event("f", 2));
    eventually("patch after noise", || h.flag_version("f") == Some(2)).await;
    assert_eq!(h.status().state, DataSourceState::Valid);
    assert_eq!(h.status().last_error, None);
    assert_eq!(server.request_count(), 1, "no reconnect");
    source.stop();
}

#[tokio::test]
async fn malformed_patch_reconnects_and_keeps_last_good_data() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    first.send("event: patch\ndata: {\"path\":\"/flags/f\",\"data\":{\"key\":\"f\",\"version\":\"x\"}}\n\n");
    h.wait_status("interrupted", |s| s.state == DataSourceState::Interrupted)
        .await;
    assert_eq!(last_error_kind(&h), Some(ErrorKind::InvalidData));
    assert_eq!(h.flag_version("f"), Some(1), "last good data kept");
    // The stream is dropped and a new one opened.
    first.wait_client_gone().await;
    let second = server.next_stream().await;
    second.send(put_event(&[("f", 2)], &[]));
    h.wait_status("valid again", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), Some(2));
    source.stop();
}

#[tokio::test]
async fn garbage_in_a_put_is_invalid_data_and_the_stream_restarts() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    first.send(&b"\x00\xff\xfe garbage without structure\r\n\r\n"[..]);
    first.send(&b"event: put\ndata: \xff\xfe{{{ not json\n\n"[..]);
    h.wait_status("interrupted", |s| s.state == DataSourceState::Interrupted)
        .await;
    assert_eq!(last_error_kind(&h), Some(ErrorKind::InvalidData));
    assert_eq!(h.flag_version("f"), Some(1));
    let second = server.next_stream().await;
    second.send(put_event(&[("g", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), None, "put replaces everything");
    assert_eq!(h.flag_version("g"), Some(1));
    source.stop();
}

#[tokio::test]
async fn put_before_first_valid_data_that_is_malformed_keeps_initializing() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send("event: put\ndata: {\"path\":\"/\",\"data\":[]}\n\n");
    h.wait_status("error recorded", |s| s.last_error.is_some())
        .await;
    assert_eq!(h.status().state, DataSourceState::Initializing);
    assert_eq!(last_error_kind(&h), Some(ErrorKind::InvalidData));
    let second = server.next_stream().await;
    second.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
}

#[tokio::test]
async fn stream_closed_mid_event_drops_the_partial_event_and_reconnects() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    let partial = patch_flag_event("f", 2);
    first.send(partial[..partial.len() / 2].to_string());
    first.abort();
    h.wait_status("interrupted", |s| s.state == DataSourceState::Interrupted)
        .await;
    assert_eq!(last_error_kind(&h), Some(ErrorKind::NetworkError));
    assert_eq!(h.flag_version("f"), Some(1));
    let second = server.next_stream().await;
    second.send(partial[partial.len() / 2..].to_string()); // must not complete the old event
    second.send(put_event(&[("f", 3)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), Some(3));
    source.stop();
}

#[tokio::test]
async fn a_cleanly_ended_stream_is_a_network_interruption_and_reconnects() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    first.close();
    h.wait_status("interrupted", |s| s.state == DataSourceState::Interrupted)
        .await;
    assert_eq!(last_error_kind(&h), Some(ErrorKind::NetworkError));
    let second = server.next_stream().await;
    second.send(put_event(&[("f", 2)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), Some(2));
    source.stop();
}

#[tokio::test]
async fn an_event_split_at_every_byte_offset_is_applied() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    let template = patch_flag_event("f", 1000).replace("\n", "\r\n");
    for split in 1..template.len() {
        let version = 1000 + split as u64;
        let event = patch_flag_event("f", version).replace('\n', "\r\n");
        let (a, b) = event.as_bytes().split_at(split.min(event.len() - 1));
        conn.send(a.to_vec());
        tokio::task::yield_now().await;
        conn.send(b.to_vec());
        eventually("split event applied", || {
            h.flag_version("f") == Some(version)
        })
        .await;
    }
    assert_eq!(server.request_count(), 1, "never reconnected");
    assert_eq!(h.status().state, DataSourceState::Valid);
    source.stop();
}

#[tokio::test]
async fn server_errors_retry_until_success() {
    let server = LdServer::start().await;
    server
        .then(Reply::Status(500))
        .then(Reply::Status(503))
        .then(Reply::Status(429));
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    assert_eq!(server.request_count(), 4);
    // Errors before the first data keep the state Initializing but are recorded.
    assert_eq!(h.status().state, DataSourceState::Initializing);
    assert_eq!(last_error_kind(&h), Some(ErrorKind::ErrorResponse(429)));
    conn.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), Some(1));
    source.stop();
}

#[tokio::test]
async fn every_connection_attempt_is_reported_with_its_outcome_for_diagnostics() {
    let server = LdServer::start().await;
    server.then(Reply::Status(500)).then(Reply::Status(503));
    let attempts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = attempts.clone();
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let source = builder(&server)
        .on_connection_attempt(ConnectionAttemptRecorder::new(
            move |a: ConnectionAttempt| sink.lock().unwrap().push(a),
        ))
        .build()
        .unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    // Later events on the same connection report nothing more.
    conn.send(patch_flag_event("f", 2));
    eventually("patch", || h.flag_version("f") == Some(2)).await;
    eventually("three attempts", || attempts.lock().unwrap().len() == 3).await;
    let seen = attempts.lock().unwrap().clone();
    assert_eq!(
        seen.iter().map(|a| a.failed).collect::<Vec<_>>(),
        [true, true, false]
    );
    assert!(seen.iter().all(|a| a.started_at_millis >= before));
    assert!(
        seen.windows(2)
            .all(|w| w[0].started_at_millis <= w[1].started_at_millis)
    );
    source.stop();
}

#[tokio::test]
async fn server_error_after_valid_data_interrupts_and_keeps_data() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    server.then(Reply::Status(502));
    first.abort();
    h.wait_status("error 502", |s| {
        s.state == DataSourceState::Interrupted
            && s.last_error.as_ref().map(|e| e.kind) == Some(ErrorKind::ErrorResponse(502))
    })
    .await;
    assert_eq!(h.flag_version("f"), Some(1));
    let second = server.next_stream().await;
    second.send(put_event(&[("f", 2)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
}

#[tokio::test]
async fn unauthorized_is_reported_and_retried_on_the_extended_schedule() {
    let server = LdServer::start().await;
    server.then(Reply::Status(401)).then(Reply::Status(403));
    let source = builder(&server)
        .extended_retry(Duration::from_millis(50), Duration::from_millis(100))
        .build()
        .unwrap();
    let h = start(&source);
    h.wait_status("401 recorded", |s| {
        s.last_error.as_ref().map(|e| e.kind) == Some(ErrorKind::ErrorResponse(401))
    })
    .await;
    assert_eq!(h.status().state, DataSourceState::Initializing);
    // The source does not stop for good: after the extended delay it tries again.
    let conn = server.next_stream().await;
    assert_eq!(server.request_count(), 3);
    conn.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
}

#[tokio::test]
async fn unauthorized_waits_minutes_not_the_normal_backoff() {
    let server = LdServer::start().await;
    server.then(Reply::Status(401));
    let source = builder(&server).build().unwrap(); // default extended schedule: ~5 minutes
    let h = start(&source);
    h.wait_status("401 recorded", |s| s.last_error.is_some())
        .await;
    // With a 10 ms normal delay, a normal-schedule retry would have happened many times over.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.request_count(), 1);
    assert_ne!(
        h.status().state,
        DataSourceState::Off,
        "never stops for good"
    );
    source.stop();
}

#[tokio::test]
async fn a_stalled_connection_hits_the_read_timeout_and_reconnects() {
    let server = LdServer::start().await;
    let source = builder(&server)
        .read_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    // ...then silence: no heartbeat.
    let second = server.next_stream().await;
    assert_eq!(h.status().state, DataSourceState::Interrupted);
    assert_eq!(last_error_kind(&h), Some(ErrorKind::NetworkError));
    assert!(
        h.status()
            .last_error
            .unwrap()
            .message
            .contains("no data received")
    );
    assert_eq!(h.flag_version("f"), Some(1));
    second.send(put_event(&[("f", 2)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
}

#[tokio::test]
async fn heartbeats_keep_a_quiet_stream_alive() {
    let server = LdServer::start().await;
    let source = builder(&server)
        .read_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[]));
    for _ in 0..8 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        conn.send(":\n");
    }
    assert_eq!(server.request_count(), 1);
    assert_eq!(h.status().state, DataSourceState::Valid);
    source.stop();
}

#[tokio::test]
async fn a_ten_megabyte_put_arrives_in_pieces_and_is_applied() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    let keys: Vec<String> = (0..17_000).map(|i| format!("flag-{i:05}")).collect();
    let flags: Vec<(&str, u64)> = keys.iter().map(|k| (k.as_str(), 1)).collect();
    let event = put_event(&flags, &[]);
    assert!(event.len() >= 10 * 1024 * 1024, "{} bytes", event.len());
    for chunk in event.as_bytes().chunks(64 * 1024) {
        conn.send(chunk.to_vec());
    }
    // Generous limit: a debug build parsing 10 MB on a loaded machine is slow.
    eventually_within(Duration::from_secs(120), "10 MB put applied", || {
        h.status().state == DataSourceState::Valid
    })
    .await;
    assert_eq!(h.flag_count(), 17_000);
    assert_eq!(h.flag_version("flag-16999"), Some(1));
    source.stop();
}

#[tokio::test]
async fn stop_closes_the_stream_and_reports_off() {
    let server = LdServer::start().await;
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
    assert_eq!(h.status().state, DataSourceState::Off);
    conn.wait_client_gone().await;
    assert_eq!(h.flag_version("f"), Some(1));
    source.stop(); // idempotent
}

#[tokio::test]
async fn refused_connections_retry_with_network_errors() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .base_url(format!("http://127.0.0.1:{port}"))
        .http_client(http())
        .initial_reconnect_delay(Duration::from_millis(5))
        .build()
        .unwrap();
    let h = start(&source);
    h.wait_status("network error", |s| {
        s.last_error.as_ref().map(|e| e.kind) == Some(ErrorKind::NetworkError)
    })
    .await;
    assert_eq!(h.status().state, DataSourceState::Initializing);
    source.stop();
}

#[tokio::test]
async fn streams_over_tls_with_a_test_ca() {
    let ca = test_ca();
    let server = LdServer::start_tls(&ca).await;
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(ca.ca_pem.as_bytes()).unwrap();
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::None,
        tls: TlsConfig {
            ca_file: Some(file.path().to_path_buf()),
            ..TlsConfig::default()
        },
        ..HttpConfig::default()
    })
    .unwrap();
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .base_url(server.https_base_url("localhost"))
        .http_client(client)
        .build()
        .unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("secure", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("secure"), Some(1));
    source.stop();
}

#[tokio::test]
async fn untrusted_tls_certificates_are_network_errors_not_data() {
    let ca = test_ca();
    let server = LdServer::start_tls(&ca).await;
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .base_url(server.https_base_url("localhost"))
        .http_client(http())
        .initial_reconnect_delay(Duration::from_millis(10))
        .build()
        .unwrap();
    let h = start(&source);
    h.wait_status("tls failure", |s| {
        s.last_error
            .as_ref()
            .is_some_and(|e| e.kind == ErrorKind::NetworkError && e.message.contains("TLS"))
    })
    .await;
    assert_eq!(h.flag_count(), 0);
    assert_eq!(server.request_count(), 0);
    source.stop();
}

#[tokio::test]
async fn streams_through_a_connect_proxy_over_tls() {
    let ca = test_ca();
    let server = LdServer::start_tls(&ca).await;
    let proxy = proxy().await;
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::Url {
            url: proxy.url(),
            no_proxy: None,
        },
        tls: TlsConfig {
            extra_roots_der: vec![],
            ca_file: None,
            insecure_skip_verify: true,
        },
        ..HttpConfig::default()
    })
    .unwrap();
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .base_url(server.https_base_url("localhost"))
        .http_client(client)
        .build()
        .unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("proxied", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("proxied"), Some(1));
    assert!(
        proxy.heads()[0].starts_with("CONNECT localhost:"),
        "{}",
        proxy.heads()[0]
    );
    source.stop();
}

#[tokio::test]
async fn streams_through_a_plain_http_proxy() {
    let server = LdServer::start().await;
    let proxy = proxy().await;
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::Url {
            url: proxy.url(),
            no_proxy: None,
        },
        ..HttpConfig::default()
    })
    .unwrap();
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .base_url(server.base_url())
        .http_client(client)
        .build()
        .unwrap();
    let h = start(&source);
    let conn = server.next_stream().await;
    conn.send(put_event(&[("proxied", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert!(proxy.heads()[0].starts_with(&format!("GET {}/all ", server.base_url())));
    source.stop();
}

#[test]
fn start_without_a_runtime_reports_off_instead_of_panicking() {
    let source = StreamingDataSource::builder(SdkHeaders::new("k"))
        .http_client(http())
        .build()
        .unwrap();
    let h = Harness::new();
    source.start(h.clone());
    assert_eq!(h.status().state, DataSourceState::Off);
}

#[test]
fn start_on_an_explicit_runtime_handle_from_a_plain_thread() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(LdServer::start());
    let source = builder(&server)
        .runtime(rt.handle().clone())
        .build()
        .unwrap();
    let h = Harness::new();
    source.start(h.clone()); // called outside any runtime
    rt.block_on(async {
        let conn = server.next_stream().await;
        conn.send(put_event(&[("f", 1)], &[]));
        h.wait_status("valid", |s| s.state == DataSourceState::Valid)
            .await;
    });
    source.stop();
}

#[test]
fn invalid_sdk_keys_fail_at_build_time() {
    let err = StreamingDataSource::builder(SdkHeaders::new("bad\r\nkey"))
        .http_client(http())
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("Authorization"));
}

#[tokio::test]
async fn the_server_retry_field_sets_the_reconnect_delay() {
    let server = LdServer::start().await;
    // Without honouring `retry:`, the next attempt would wait minutes.
    let source = builder(&server)
        .initial_reconnect_delay(Duration::from_secs(600))
        .build()
        .unwrap();
    let h = start(&source);
    let first = server.next_stream().await;
    first.send("retry: 20\n\n");
    first.send(put_event(&[("f", 1)], &[]));
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    first.close();
    let second = server.next_stream().await;
    second.send(put_event(&[("f", 2)], &[]));
    eventually("second put", || h.flag_version("f") == Some(2)).await;
    source.stop();
}
