//! A streaming endpoint over TLS, with a certificate signed by a throwaway CA: `GET /all`
//! answers an SSE `put` event and keeps the stream open.

use std::io::Write;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, channel};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// The running TLS stream server.
pub struct MockTlsStream {
    /// `https://127.0.0.1:PORT`.
    pub base_uri: String,
    /// A PEM file holding the CA that signed the server's certificate.
    pub ca_file: tempfile::NamedTempFile,
    /// The request line of every request that completed the TLS handshake.
    pub requests: Receiver<String>,
    _runtime: tokio::runtime::Runtime,
}

impl MockTlsStream {
    /// Starts serving `put_data` over TLS.
    pub fn start(put_data: serde_json::Value) -> Self {
        use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
        let ca_key = KeyPair::generate().expect("CA key");
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(DnType::CommonName, "contract-tests throwaway CA");
        let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
        let server_key = KeyPair::generate().expect("server key");
        let server_cert = CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()])
            .expect("server params")
            .signed_by(&server_key, &ca, &ca_key)
            .expect("server certificate");
        let mut ca_file = tempfile::NamedTempFile::new().expect("temp file");
        ca_file.write_all(ca.pem().as_bytes()).expect("write CA");
        ca_file.flush().expect("flush CA");

        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )
        .expect("server config");
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));

        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let listener = runtime
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let base_uri = format!("https://{}", listener.local_addr().expect("address"));
        let (tx, requests) = channel();
        let event = format!("event: put\ndata: {put_data}\n\n");
        runtime.spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let tx = tx.clone();
                let event = event.clone();
                tokio::spawn(async move {
                    let Ok(mut tls) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match tls.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let _ = tx.send(head.lines().next().unwrap_or_default().to_owned());
                    let response = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n{event}"
                    );
                    if tls.write_all(response.as_bytes()).await.is_err() {
                        return;
                    }
                    let _ = tls.flush().await;
                    // Keep the stream open until the client goes away.
                    let mut rest = [0u8; 256];
                    while matches!(tls.read(&mut rest).await, Ok(n) if n > 0) {}
                });
            }
        });
        Self {
            base_uri,
            ca_file,
            requests,
            _runtime: runtime,
        }
    }
}
