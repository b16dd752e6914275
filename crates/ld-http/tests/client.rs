//! User-visible behaviour of the HTTP client against real servers on 127.0.0.1.

mod support;

use std::io::Write;
use std::time::Duration;

use ld_http::{
    HeaderValue, HttpClient, HttpConfig, HttpError, ProxyConfig, Request, StatusCode, TlsConfig,
    header,
};
use support::{TestBody, handler, serve, serve_tls, test_ca};

fn config() -> HttpConfig {
    HttpConfig {
        proxy: ProxyConfig::None,
        connect_timeout: Duration::from_secs(5),
        read_timeout: Some(Duration::from_secs(5)),
        ..HttpConfig::default()
    }
}

fn ok(body: &'static str) -> http::Response<TestBody> {
    http::Response::new(TestBody::full(body))
}

#[tokio::test]
async fn get_returns_status_headers_and_body() {
    let server = serve(handler(|_| async {
        http::Response::builder()
            .status(202)
            .header("etag", "\"v1\"")
            .body(TestBody::full("hello"))
            .unwrap()
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let resp = client
        .request(Request::get(server.url("/sdk/latest-all?filter=x")))
        .await
        .unwrap();
    assert_eq!(resp.status, StatusCode::ACCEPTED);
    assert_eq!(resp.headers["etag"], "\"v1\"");
    assert_eq!(&resp.bytes().await.unwrap()[..], b"hello");
    let seen = server.seen();
    assert_eq!(
        seen[0].uri.path_and_query().unwrap().as_str(),
        "/sdk/latest-all?filter=x"
    );
    assert_eq!(
        seen[0].headers["host"],
        format!("127.0.0.1:{}", server.addr.port())
    );
}

#[tokio::test]
async fn post_sends_body_and_request_headers_win_over_defaults() {
    let server = serve(handler(|_| async { ok("") })).await;
    let mut cfg = config();
    cfg.default_headers
        .insert(header::USER_AGENT, HeaderValue::from_static("default/1"));
    cfg.default_headers
        .insert("x-launchdarkly-wrapper", HeaderValue::from_static("w/2"));
    let client = HttpClient::new(cfg).unwrap();
    let req = Request::post(server.url("/bulk"), "[1,2,3]")
        .header(header::USER_AGENT, HeaderValue::from_static("mine/3"))
        .header(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    let resp = client.request(req).await.unwrap();
    assert_eq!(resp.status, StatusCode::OK);
    let seen = &server.seen()[0];
    assert_eq!(seen.method, http::Method::POST);
    assert_eq!(&seen.body[..], b"[1,2,3]");
    assert_eq!(seen.headers["user-agent"], "mine/3");
    assert_eq!(seen.headers["x-launchdarkly-wrapper"], "w/2");
    assert_eq!(seen.headers["content-length"], "7");
}

#[tokio::test]
async fn gzip_bodies_are_decoded_and_encoding_headers_removed() {
    let plain = "{\"flags\":{}}".repeat(1000);
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(plain.as_bytes()).unwrap();
    let gz = enc.finish().unwrap();
    let server = serve(handler(move |_| {
        let gz = gz.clone();
        async move {
            http::Response::builder()
                .header("content-encoding", "gzip")
                .header("content-length", gz.len())
                .body(TestBody::full(gz))
                .unwrap()
        }
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let resp = client
        .request(
            Request::get(server.url("/"))
                .header(header::ACCEPT_ENCODING, HeaderValue::from_static("gzip")),
        )
        .await
        .unwrap();
    assert!(resp.headers.get(header::CONTENT_ENCODING).is_none());
    assert!(resp.headers.get(header::CONTENT_LENGTH).is_none());
    assert_eq!(resp.bytes().await.unwrap(), plain.as_bytes());
    assert_eq!(server.seen()[0].headers["accept-encoding"], "gzip");
}

#[tokio::test]
async fn streaming_body_chunks_arrive_before_the_response_ends() {
    let (tx, body) = TestBody::channel();
    let body = std::sync::Mutex::new(Some(body));
    let server = serve(handler(move |_| {
        let b = body.lock().unwrap().take().unwrap();
        async move { http::Response::new(b) }
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let mut resp = client
        .request(Request::get(server.url("/all")))
        .await
        .unwrap();
    tx.send(Ok("event: put\n".into())).unwrap();
    assert_eq!(
        &resp.body.next_chunk().await.unwrap().unwrap()[..],
        b"event: put\n"
    );
    tx.send(Ok("data: {}\n\n".into())).unwrap();
    assert_eq!(
        &resp.body.next_chunk().await.unwrap().unwrap()[..],
        b"data: {}\n\n"
    );
    drop(tx);
    assert!(resp.body.next_chunk().await.unwrap().is_none());
}

#[tokio::test]
async fn stalled_body_fails_with_read_timeout() {
    let (tx, body) = TestBody::channel();
    let body = std::sync::Mutex::new(Some(body));
    let server = serve(handler(move |_| {
        let b = body.lock().unwrap().take().unwrap();
        async move { http::Response::new(b) }
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let req = Request::get(server.url("/all")).read_timeout(Duration::from_millis(150));
    let mut resp = client.request(req).await.unwrap();
    tx.send(Ok(":heartbeat\n".into())).unwrap();
    assert!(resp.body.next_chunk().await.unwrap().is_some());
    let err = resp.body.next_chunk().await.unwrap_err();
    assert!(matches!(err, HttpError::ReadTimeout(_)), "{err}");
    assert!(err.is_timeout() && err.is_network());
}

#[tokio::test]
async fn server_that_never_answers_fails_with_read_timeout() {
    let server = serve(handler(|_| async {
        tokio::time::sleep(Duration::from_secs(30)).await;
        ok("late")
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let req = Request::get(server.url("/")).read_timeout(Duration::from_millis(100));
    let err = client.request(req).await.unwrap_err();
    assert!(matches!(err, HttpError::ReadTimeout(_)), "{err}");
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = HttpClient::new(config()).unwrap();
    let err = client
        .request(Request::get(format!("http://127.0.0.1:{port}/")))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Connect { .. }), "{err}");
    assert!(err.is_network());
}

#[tokio::test]
async fn invalid_urls_are_rejected_without_panicking() {
    let client = HttpClient::new(config()).unwrap();
    for url in ["ftp://x/", "not a url", "/relative", "http://"] {
        let err = client.request(Request::get(url)).await.unwrap_err();
        assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err}");
        assert!(!err.is_network());
    }
}

#[tokio::test]
async fn sequential_requests_reuse_one_kept_alive_connection() {
    let server = serve(handler(|_| async { ok("x") })).await;
    let client = HttpClient::new(config()).unwrap();
    for _ in 0..3 {
        let resp = client
            .request(Request::post(server.url("/bulk"), "[]"))
            .await
            .unwrap();
        assert_eq!(&resp.bytes().await.unwrap()[..], b"x");
        // Let the connection driver mark the connection idle again.
        tokio::task::yield_now().await;
    }
    assert_eq!(server.seen().len(), 3);
    assert_eq!(server.connection_count(), 1);
}

#[tokio::test]
async fn reuse_disabled_opens_a_connection_per_request() {
    let server = serve(handler(|_| async { ok("x") })).await;
    let client = HttpClient::new(HttpConfig {
        max_idle_per_host: 0,
        ..config()
    })
    .unwrap();
    for _ in 0..2 {
        let resp = client.request(Request::get(server.url("/"))).await.unwrap();
        resp.bytes().await.unwrap();
    }
    assert_eq!(server.connection_count(), 2);
}

#[tokio::test]
async fn body_over_the_limit_is_refused() {
    let server = serve(handler(|_| async { ok("0123456789") })).await;
    let client = HttpClient::new(config()).unwrap();
    let resp = client.request(Request::get(server.url("/"))).await.unwrap();
    let err = resp.bytes_limited(5).await.unwrap_err();
    assert!(matches!(err, HttpError::BodyTooLarge { limit: 5 }), "{err}");
}

#[tokio::test]
async fn dropping_a_streaming_body_closes_the_connection() {
    let (tx, body) = TestBody::channel();
    let body = std::sync::Mutex::new(Some(body));
    let server = serve(handler(move |_| {
        let b = body.lock().unwrap().take().unwrap();
        async move { http::Response::new(b) }
    }))
    .await;
    let client = HttpClient::new(config()).unwrap();
    let resp = client
        .request(Request::get(server.url("/all")))
        .await
        .unwrap();
    drop(resp);
    // The server notices: its body channel's receiver goes away with the connection.
    tokio::time::timeout(Duration::from_secs(5), tx.closed())
        .await
        .expect("connection closed");
}

fn ca_file(ca: &support::TestCa) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().unwrap();
    f.write_all(ca.ca_pem.as_bytes()).unwrap();
    f
}

#[tokio::test]
async fn https_with_a_custom_ca_file_is_verified_and_works() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("secure") }),
        ca.server_config.clone(),
    )
    .await;
    let file = ca_file(&ca);
    let client = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some(file.path().to_path_buf()),
            ..TlsConfig::default()
        },
        ..config()
    })
    .unwrap();
    for host in ["localhost", "127.0.0.1"] {
        let resp = client
            .request(Request::get(server.https_url(host, "/")))
            .await
            .unwrap();
        assert_eq!(&resp.bytes().await.unwrap()[..], b"secure");
    }
}

#[tokio::test]
async fn https_with_an_untrusted_certificate_fails_with_a_tls_error() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("secure") }),
        ca.server_config.clone(),
    )
    .await;
    let client = HttpClient::new(config()).unwrap();
    let err = client
        .request(Request::get(server.https_url("localhost", "/")))
        .await
        .unwrap_err();
    assert!(matches!(err, HttpError::Tls { .. }), "{err}");
}

#[tokio::test]
async fn https_with_the_wrong_host_name_fails_even_with_the_right_ca() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("secure") }),
        ca.server_config.clone(),
    )
    .await;
    let file = ca_file(&ca);
    let client = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some(file.path().to_path_buf()),
            ..TlsConfig::default()
        },
        ..config()
    })
    .unwrap();
    // 127.0.0.2 is loopback too, but not in the certificate.
    let url = format!("https://127.0.0.2:{}/", server.addr.port());
    let err = client.request(Request::get(url)).await.unwrap_err();
    assert!(
        matches!(err, HttpError::Tls { .. } | HttpError::Connect { .. }),
        "{err}"
    );
}

#[tokio::test]
async fn insecure_opt_out_accepts_an_untrusted_certificate() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("secure") }),
        ca.server_config.clone(),
    )
    .await;
    let client = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            insecure_skip_verify: true,
            ..TlsConfig::default()
        },
        ..config()
    })
    .unwrap();
    let resp = client
        .request(Request::get(server.https_url("localhost", "/")))
        .await
        .unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..], b"secure");
}

#[test]
fn unreadable_or_empty_ca_files_are_configuration_errors() {
    let missing = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..TlsConfig::default()
        },
        ..config()
    })
    .unwrap_err();
    assert!(matches!(missing, HttpError::Config(_)), "{missing}");
    let empty = tempfile::NamedTempFile::new().unwrap();
    let err = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some(empty.path().to_path_buf()),
            ..TlsConfig::default()
        },
        ..config()
    })
    .unwrap_err();
    assert!(err.to_string().contains("no PEM certificate"), "{err}");
}

#[tokio::test]
async fn https_through_a_connect_proxy_tunnels_to_the_origin() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("tunnelled") }),
        ca.server_config.clone(),
    )
    .await;
    let proxy = support::proxy().await;
    let file = ca_file(&ca);
    let client = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some(file.path().to_path_buf()),
            ..TlsConfig::default()
        },
        proxy: ProxyConfig::Url {
            url: format!("http://user:pw@127.0.0.1:{}", proxy.addr.port()),
            no_proxy: None,
        },
        ..config()
    })
    .unwrap();
    let resp = client
        .request(Request::get(server.https_url("localhost", "/all")))
        .await
        .unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..], b"tunnelled");
    let heads = proxy.heads();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with(&format!(
            "CONNECT localhost:{} HTTP/1.1\r\n",
            server.addr.port()
        )),
        "{}",
        heads[0]
    );
    assert!(
        heads[0].contains("Proxy-Authorization: Basic dXNlcjpwdw=="),
        "{}",
        heads[0]
    );
    assert_eq!(server.seen()[0].uri.path(), "/all");
}

#[tokio::test]
async fn plain_http_through_a_proxy_uses_the_absolute_form() {
    let server = serve(handler(|_| async { ok("via proxy") })).await;
    let proxy = support::proxy().await;
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::Url {
            url: proxy.url(),
            no_proxy: None,
        },
        ..config()
    })
    .unwrap();
    let resp = client
        .request(Request::get(server.url("/sdk/latest-all")))
        .await
        .unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..], b"via proxy");
    let heads = proxy.heads();
    assert!(
        heads[0].starts_with(&format!("GET {} HTTP/1.1", server.url("/sdk/latest-all"))),
        "{}",
        heads[0]
    );
}

#[tokio::test]
async fn no_proxy_hosts_are_reached_directly() {
    let server = serve(handler(|_| async { ok("direct") })).await;
    let proxy = support::proxy().await;
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::Url {
            url: proxy.url(),
            no_proxy: Some("127.0.0.1".into()),
        },
        ..config()
    })
    .unwrap();
    let resp = client.request(Request::get(server.url("/"))).await.unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..], b"direct");
    assert!(proxy.heads().is_empty());
}

#[tokio::test]
async fn proxy_refusing_connect_is_a_proxy_error() {
    // A "proxy" that answers every CONNECT with 407.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf).await;
            let _ = s
                .write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\n\r\n")
                .await;
        }
    });
    let client = HttpClient::new(HttpConfig {
        proxy: ProxyConfig::Url {
            url: format!("127.0.0.1:{port}"),
            no_proxy: None,
        },
        ..config()
    })
    .unwrap();
    let err = client
        .request(Request::get("https://localhost:1/"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, HttpError::Proxy(ref m) if m.contains("407")),
        "{err}"
    );
}

#[tokio::test]
async fn https_through_a_tls_proxy_is_tls_inside_tls() {
    let ca = test_ca();
    let server = serve_tls(
        handler(|_| async { ok("double tls") }),
        ca.server_config.clone(),
    )
    .await;
    let proxy = support::proxy_tls(ca.server_config.clone()).await;
    let file = ca_file(&ca);
    let client = HttpClient::new(HttpConfig {
        tls: TlsConfig {
            ca_file: Some(file.path().to_path_buf()),
            ..TlsConfig::default()
        },
        proxy: ProxyConfig::Url {
            url: format!("https://localhost:{}", proxy.addr.port()),
            no_proxy: None,
        },
        ..config()
    })
    .unwrap();
    let resp = client
        .request(Request::get(server.https_url("localhost", "/all")))
        .await
        .unwrap();
    assert_eq!(&resp.bytes().await.unwrap()[..], b"double tls");
    assert!(proxy.heads()[0].starts_with("CONNECT localhost:"));
}
