//! The polling data source against a scripted LaunchDarkly stand-in on 127.0.0.1.

mod support;

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use ld_datasource_http::{PollingDataSource, PollingDataSourceBuilder, SdkHeaders};
use ld_http::{HttpClient, HttpConfig, ProxyConfig};
use ld_store::{DataSource, DataSourceState, ErrorKind};
use support::*;

fn http() -> HttpClient {
    HttpClient::new(HttpConfig {
        proxy: ProxyConfig::None,
        ..HttpConfig::default()
    })
    .unwrap()
}

fn builder(server: &LdServer) -> PollingDataSourceBuilder {
    PollingDataSource::builder(SdkHeaders::new("sdk-poll-key"))
        .base_url(server.base_url())
        .http_client(http())
        .min_poll_interval_override(Duration::from_millis(20))
        .poll_interval(Duration::from_millis(20))
}

fn start(source: &PollingDataSource) -> Arc<Harness> {
    let h = Harness::new();
    source.start(h.clone());
    h
}

fn gzip(data: &str) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data.as_bytes()).unwrap();
    enc.finish().unwrap()
}

fn json_reply(body: String, etag: &'static str) -> Reply {
    Reply::Full(Box::new(move |_| {
        http::Response::builder()
            .header("etag", etag)
            .header("content-type", "application/json")
            .body(TestBody::full(body.clone()))
            .unwrap()
    }))
}

/// Answers 304 when the request carries `If-None-Match: etag`, else 200 with `body`.
fn conditional_reply(body: String, etag: &'static str) -> Reply {
    Reply::Full(Box::new(move |seen| {
        if seen.headers.get("if-none-match").is_some_and(|v| v == etag) {
            http::Response::builder()
                .status(304)
                .body(TestBody::full(""))
                .unwrap()
        } else {
            http::Response::builder()
                .header("etag", etag)
                .body(TestBody::full(body.clone()))
                .unwrap()
        }
    }))
}

#[tokio::test]
async fn poll_fills_the_store_from_a_gzipped_response_with_sdk_headers() {
    let server = LdServer::start().await;
    let body = gzip(&all_data_json(&[("f", 3)], &[("s", 4)]));
    server.then(Reply::Full(Box::new(move |_| {
        http::Response::builder()
            .header("content-encoding", "gzip")
            .header("etag", "\"abc\"")
            .body(TestBody::full(body.clone()))
            .unwrap()
    })));
    let source = PollingDataSource::builder(
        SdkHeaders::new("sdk-poll-key")
            .tags("application-id/a")
            .instance_id("i-1"),
    )
    .base_url(server.base_url())
    .http_client(http())
    .filter("f1")
    .build()
    .unwrap();
    let h = start(&source);
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_version("f"), Some(3));
    assert_eq!(h.segment_version("s"), Some(4));
    let req = &server.server.seen()[0];
    assert_eq!(req.uri.path(), "/sdk/latest-all");
    assert_eq!(req.uri.query(), Some("filter=f1"));
    assert_eq!(req.headers["authorization"], "sdk-poll-key");
    assert_eq!(req.headers["accept-encoding"], "gzip");
    assert_eq!(req.headers["x-launchdarkly-tags"], "application-id/a");
    assert_eq!(req.headers["x-launchdarkly-instance-id"], "i-1");
    assert!(req.headers.get("if-none-match").is_none());
    source.stop();
}

#[tokio::test]
async fn not_modified_leaves_the_store_untouched() {
    let server = LdServer::start().await;
    for _ in 0..20 {
        server.then(conditional_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    }
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    eventually("several polls", || server.request_count() >= 4).await;
    assert_eq!(h.init_count(), 1, "304s must not re-init the store");
    assert_eq!(h.flag_version("f"), Some(1));
    let seen = server.server.seen();
    assert!(
        seen[1..]
            .iter()
            .all(|r| r.headers["if-none-match"] == "\"v1\"")
    );
    assert_eq!(h.status().state, DataSourceState::Valid);
    source.stop();
}

#[tokio::test]
async fn a_changed_etag_replaces_the_data() {
    let server = LdServer::start().await;
    server.then(json_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    server.then(json_reply(all_data_json(&[("g", 2)], &[]), "\"v2\""));
    for _ in 0..50 {
        server.then(conditional_reply(String::new(), "\"v2\""));
    }
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    eventually("second payload", || h.flag_version("g") == Some(2)).await;
    assert_eq!(h.flag_version("f"), None);
    eventually("conditional request with the new etag", || {
        server.server.seen().iter().any(|r| {
            r.headers
                .get("if-none-match")
                .is_some_and(|v| v == "\"v2\"")
        })
    })
    .await;
    source.stop();
}

#[tokio::test]
async fn malformed_json_is_invalid_data_and_keeps_last_good_data() {
    let server = LdServer::start().await;
    server.then(json_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    server.then(json_reply("{\"flags\": {\"f\": ".to_string(), "\"broken\""));
    server.then(json_reply(all_data_json(&[("f", 2)], &[]), "\"v2\""));
    for _ in 0..50 {
        server.then(conditional_reply(String::new(), "\"v2\""));
    }
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    h.wait_status("invalid data", |s| {
        s.last_error.as_ref().map(|e| e.kind) == Some(ErrorKind::InvalidData)
    })
    .await;
    eventually("recovered", || h.flag_version("f") == Some(2)).await;
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    // The broken response's ETag was not remembered.
    let seen = server.server.seen();
    assert!(seen.iter().all(|r| {
        r.headers
            .get("if-none-match")
            .is_none_or(|v| v != "\"broken\"")
    }));
    source.stop();
}

#[tokio::test]
async fn server_errors_interrupt_and_polling_continues() {
    let server = LdServer::start().await;
    server.then(json_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    server.then(Reply::Status(500));
    server.then(json_reply(all_data_json(&[("f", 2)], &[]), "\"v2\""));
    for _ in 0..50 {
        server.then(conditional_reply(String::new(), "\"v2\""));
    }
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    h.wait_status("500 recorded", |s| {
        s.last_error.as_ref().map(|e| e.kind) == Some(ErrorKind::ErrorResponse(500))
    })
    .await;
    eventually("recovered", || h.flag_version("f") == Some(2)).await;
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
}

#[tokio::test]
async fn unauthorized_polls_move_to_the_extended_schedule() {
    let server = LdServer::start().await;
    server.then(Reply::Status(401));
    server.then(json_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    let source = builder(&server)
        .extended_retry(Duration::from_millis(200), Duration::from_millis(400))
        .build()
        .unwrap();
    let h = start(&source);
    h.wait_status("401 recorded", |s| s.last_error.is_some())
        .await;
    assert_eq!(
        h.status().last_error.unwrap().kind,
        ErrorKind::ErrorResponse(401)
    );
    assert_eq!(h.status().state, DataSourceState::Initializing);
    h.wait_status("valid after the extended delay", |s| {
        s.state == DataSourceState::Valid
    })
    .await;
    assert_eq!(h.flag_version("f"), Some(1));
    source.stop();
}

#[tokio::test]
async fn stop_ends_polling_and_reports_off() {
    let server = LdServer::start().await;
    for _ in 0..100 {
        server.then(conditional_reply(all_data_json(&[("f", 1)], &[]), "\"v1\""));
    }
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    source.stop();
    assert_eq!(h.status().state, DataSourceState::Off);
    let after_stop = server.request_count();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(server.request_count() <= after_stop + 1);
}

#[test]
fn the_minimum_interval_is_thirty_seconds() {
    let source = PollingDataSource::builder(SdkHeaders::new("k"))
        .http_client(http())
        .poll_interval(Duration::from_secs(1))
        .build()
        .unwrap();
    assert_eq!(source.poll_interval(), Duration::from_secs(30));
    let source = PollingDataSource::builder(SdkHeaders::new("k"))
        .http_client(http())
        .poll_interval(Duration::from_secs(90))
        .build()
        .unwrap();
    assert_eq!(source.poll_interval(), Duration::from_secs(90));
    assert_eq!(source.url(), "https://sdk.launchdarkly.com/sdk/latest-all");
}

#[tokio::test]
async fn a_large_gzipped_payload_is_parsed_and_applied() {
    let server = LdServer::start().await;
    let keys: Vec<String> = (0..3000).map(|i| format!("flag-{i:04}")).collect();
    let flags: Vec<(&str, u64)> = keys.iter().map(|k| (k.as_str(), 7)).collect();
    let json = all_data_json(&flags, &[("s", 1)]);
    assert!(json.len() > 1024 * 1024, "{} bytes", json.len());
    let body = gzip(&json);
    server.then(Reply::Full(Box::new(move |_| {
        http::Response::builder()
            .header("content-encoding", "gzip")
            .body(TestBody::full(body.clone()))
            .unwrap()
    })));
    let source = builder(&server).build().unwrap();
    let h = start(&source);
    h.wait_status("valid", |s| s.state == DataSourceState::Valid)
        .await;
    assert_eq!(h.flag_count(), 3000);
    assert_eq!(h.flag_version("flag-2999"), Some(7));
    assert_eq!(h.segment_version("s"), Some(1));
    source.stop();
}
