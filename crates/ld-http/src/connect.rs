//! Opening a connection: TCP, optional proxy (with `CONNECT` tunnel for HTTPS targets) and TLS.

use std::sync::Arc;

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use crate::error::HttpError;
use crate::proxy::ProxyEndpoint;

/// Any bidirectional byte stream the HTTP layer can run over.
pub(crate) trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A type-erased connection (plain TCP, TLS, TLS inside a tunnel, TLS inside TLS...).
pub(crate) type BoxIo = Box<dyn Io>;

/// Where a request goes: scheme, host (without IPv6 brackets) and port.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Target {
    pub(crate) https: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
}

impl Target {
    /// `host:port` with brackets around IPv6 addresses, as used in `Host` and `CONNECT`.
    pub(crate) fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// Longest proxy `CONNECT` response head we accept.
const MAX_CONNECT_RESPONSE: usize = 16 * 1024;

/// Opens a ready-to-use byte stream to `target`, through `proxy` if given.
pub(crate) async fn connect(
    target: &Target,
    proxy: Option<&ProxyEndpoint>,
    tls: &Arc<ClientConfig>,
) -> Result<BoxIo, HttpError> {
    match proxy {
        None => {
            let tcp = dial(&target.host, target.port).await?;
            if target.https {
                handshake(tls, &target.host, Box::new(tcp)).await
            } else {
                Ok(Box::new(tcp))
            }
        }
        Some(proxy) => {
            let tcp = dial(&proxy.host, proxy.port).await?;
            let to_proxy: BoxIo = if proxy.tls {
                handshake(tls, &proxy.host, Box::new(tcp)).await?
            } else {
                Box::new(tcp)
            };
            if target.https {
                let tunnel = connect_tunnel(to_proxy, target, proxy).await?;
                handshake(tls, &target.host, tunnel).await
            } else {
                // Plain HTTP goes to the proxy in absolute form; no tunnel needed.
                Ok(to_proxy)
            }
        }
    }
}

async fn dial(host: &str, port: u16) -> Result<TcpStream, HttpError> {
    let tcp = TcpStream::connect((host, port))
        .await
        .map_err(|source| HttpError::Connect {
            target: format!("{host}:{port}"),
            source,
        })?;
    // Small writes (SSE requests, event posts) should not wait for Nagle.
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

async fn handshake(tls: &Arc<ClientConfig>, host: &str, io: BoxIo) -> Result<BoxIo, HttpError> {
    let name = ServerName::try_from(host.to_string())
        .map_err(|e| HttpError::Config(format!("invalid TLS server name {host:?}: {e}")))?;
    let stream = TlsConnector::from(tls.clone())
        .connect(name, io)
        .await
        .map_err(|source| HttpError::Tls {
            host: host.to_string(),
            source,
        })?;
    Ok(Box::new(stream))
}

/// Sends `CONNECT host:port` and reads the proxy's answer head byte by byte, so that no byte
/// belonging to the tunnelled TLS session is consumed.
async fn connect_tunnel(
    mut io: BoxIo,
    target: &Target,
    proxy: &ProxyEndpoint,
) -> Result<BoxIo, HttpError> {
    let authority = target.authority();
    let mut head = format!("CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n");
    if let Some(auth) = &proxy.authorization {
        head.push_str("Proxy-Authorization: ");
        head.push_str(auth.to_str().unwrap_or_default());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let io_err = |e: std::io::Error| HttpError::Proxy(format!("tunnel I/O error: {e}"));
    io.write_all(head.as_bytes()).await.map_err(io_err)?;
    io.flush().await.map_err(io_err)?;

    let mut response = Vec::with_capacity(128);
    let mut byte = [0u8; 1];
    while !response.ends_with(b"\r\n\r\n") {
        if response.len() >= MAX_CONNECT_RESPONSE {
            return Err(HttpError::Proxy("CONNECT response head too long".into()));
        }
        let n = io.read(&mut byte).await.map_err(io_err)?;
        if n == 0 {
            return Err(HttpError::Proxy(
                "proxy closed the connection during CONNECT".into(),
            ));
        }
        response.push(byte[0]);
    }
    let status_line = response
        .split(|b| *b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .unwrap_or_default();
    let mut parts = status_line.split_whitespace();
    let version_ok = parts.next().is_some_and(|v| v.starts_with("HTTP/1."));
    let code = parts.next().and_then(|c| c.parse::<u16>().ok());
    match (version_ok, code) {
        (true, Some(code)) if (200..300).contains(&code) => Ok(io),
        (true, Some(code)) => Err(HttpError::Proxy(format!(
            "proxy refused CONNECT to {authority} with status {code}"
        ))),
        _ => Err(HttpError::Proxy(format!(
            "malformed CONNECT response: {status_line:?}"
        ))),
    }
}
