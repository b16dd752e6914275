//! Test servers on 127.0.0.1: a hyper HTTP/1.1 server (plain or TLS with an `rcgen` CA) whose
//! responses can stream from a channel, and a small `CONNECT`/absolute-form proxy.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// A request as the test server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: http::Method,
    pub uri: http::Uri,
    pub headers: http::HeaderMap,
    pub body: Bytes,
}

/// A response body that is either complete or fed through a channel (an `Err` aborts the
/// connection mid-body).
pub enum TestBody {
    Full(Option<Bytes>),
    Channel(mpsc::UnboundedReceiver<Result<Bytes, std::io::Error>>),
}

impl TestBody {
    pub fn full(b: impl Into<Bytes>) -> Self {
        TestBody::Full(Some(b.into()))
    }
    pub fn channel() -> (mpsc::UnboundedSender<Result<Bytes, std::io::Error>>, Self) {
        let (tx, rx) = mpsc::unbounded_channel();
        (tx, TestBody::Channel(rx))
    }
}

impl Body for TestBody {
    type Data = Bytes;
    type Error = std::io::Error;
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, std::io::Error>>> {
        match self.get_mut() {
            TestBody::Full(b) => Poll::Ready(b.take().map(|b| Ok(Frame::data(b)))),
            TestBody::Channel(rx) => rx.poll_recv(cx).map(|o| o.map(|r| r.map(Frame::data))),
        }
    }
}

pub type Handler = Arc<
    dyn Fn(Seen) -> Pin<Box<dyn Future<Output = http::Response<TestBody>> + Send>> + Send + Sync,
>;

/// Wraps an async closure as a [`Handler`].
pub fn handler<F, Fut>(f: F) -> Handler
where
    F: Fn(Seen) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = http::Response<TestBody>> + Send + 'static,
{
    Arc::new(move |seen| Box::pin(f(seen)))
}

pub struct TestServer {
    pub addr: SocketAddr,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    pub connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestServer {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.addr.port())
    }
    pub fn https_url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
    pub fn connection_count(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Starts a plain HTTP server.
pub async fn serve(h: Handler) -> TestServer {
    serve_inner(h, None).await
}

/// Starts an HTTPS server using `tls`.
pub async fn serve_tls(h: Handler, tls: Arc<rustls::ServerConfig>) -> TestServer {
    serve_inner(h, Some(tokio_rustls::TlsAcceptor::from(tls))).await
}

async fn serve_inner(h: Handler, tls: Option<tokio_rustls::TlsAcceptor>) -> TestServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (seen2, conns2) = (seen.clone(), connections.clone());
    let task = tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            conns2.fetch_add(1, Ordering::SeqCst);
            let (h, seen, tls) = (h.clone(), seen2.clone(), tls.clone());
            tokio::spawn(async move {
                let service = service_fn(move |req: http::Request<Incoming>| {
                    let (h, seen) = (h.clone(), seen.clone());
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body
                            .collect()
                            .await
                            .map(|c| c.to_bytes())
                            .unwrap_or_default();
                        let s = Seen {
                            method: parts.method,
                            uri: parts.uri,
                            headers: parts.headers,
                            body,
                        };
                        seen.lock().unwrap().push(s.clone());
                        Ok::<_, Infallible>(h(s).await)
                    }
                });
                let builder = hyper::server::conn::http1::Builder::new();
                match tls {
                    None => {
                        let _ = builder.serve_connection(TokioIo::new(tcp), service).await;
                    }
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(tcp).await {
                            let _ = builder
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        }
                    }
                }
            });
        }
    });
    TestServer {
        addr,
        seen,
        connections,
        task,
    }
}

/// A test certificate authority and a server certificate for `localhost` and `127.0.0.1`.
pub struct TestCa {
    pub ca_pem: String,
    pub server_config: Arc<rustls::ServerConfig>,
}

pub fn test_ca() -> TestCa {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "ld-http test CA");
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let leaf_key = KeyPair::generate().unwrap();
    let leaf_params =
        CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let leaf = leaf_params.signed_by(&leaf_key, &ca_cert, &ca_key).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
    let server_config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![leaf.der().clone()], key)
    .unwrap();
    TestCa {
        ca_pem: ca_cert.pem(),
        server_config: Arc::new(server_config),
    }
}

/// What the test proxy saw: request heads (first line plus headers) in arrival order.
pub struct TestProxy {
    pub addr: SocketAddr,
    pub heads: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TestProxy {
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.addr.port())
    }
    pub fn heads(&self) -> Vec<String> {
        self.heads.lock().unwrap().clone()
    }
}

/// A minimal forward proxy: `CONNECT host:port` opens a tunnel; an absolute-form request is
/// forwarded as-is to the origin (one request per connection, `Connection: close`).
pub async fn proxy() -> TestProxy {
    proxy_inner(None).await
}

/// The same proxy, reached over TLS (an `https://` proxy URL).
pub async fn proxy_tls(tls: Arc<rustls::ServerConfig>) -> TestProxy {
    proxy_inner(Some(tokio_rustls::TlsAcceptor::from(tls))).await
}

async fn proxy_inner(tls: Option<tokio_rustls::TlsAcceptor>) -> TestProxy {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let heads2 = heads.clone();
    let task = tokio::spawn(async move {
        loop {
            let Ok((client, _)) = listener.accept().await else {
                return;
            };
            let (heads, tls) = (heads2.clone(), tls.clone());
            tokio::spawn(async move {
                match tls {
                    None => {
                        let _ = proxy_conn(client, heads).await;
                    }
                    Some(acceptor) => {
                        if let Ok(stream) = acceptor.accept(client).await {
                            let _ = proxy_conn(stream, heads).await;
                        }
                    }
                }
            });
        }
    });
    TestProxy { addr, heads, task }
}

async fn read_head<S: AsyncRead + Unpin>(s: &mut S) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut b = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut b).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        head.push(b[0]);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

async fn proxy_conn<S: AsyncRead + AsyncWrite + Unpin>(
    mut client: S,
    heads: Arc<Mutex<Vec<String>>>,
) -> std::io::Result<()> {
    let head = read_head(&mut client).await?;
    heads.lock().unwrap().push(head.clone());
    let first = head.lines().next().unwrap_or_default().to_string();
    let mut parts = first.split_whitespace();
    let method = parts.next().unwrap_or_default();
    let target = parts.next().unwrap_or_default().to_string();
    if method == "CONNECT" {
        let mut upstream = TcpStream::connect(target.as_str()).await?;
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    } else {
        // Absolute form: http://host:port/path
        let uri: http::Uri = target
            .parse()
            .map_err(|_| std::io::ErrorKind::InvalidData)?;
        let authority = uri.authority().unwrap().to_string();
        let mut upstream = TcpStream::connect(authority.as_str()).await?;
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        let rest = head.split_once("\r\n").map_or("", |(_, r)| r);
        let rewritten = format!("{method} {path} HTTP/1.1\r\n{rest}");
        upstream.write_all(rewritten.as_bytes()).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    }
    Ok(())
}
