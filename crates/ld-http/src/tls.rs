//! Building the rustls client configuration (ring provider, Mozilla roots, extra CAs, or the
//! explicit insecure opt-out).

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::config::TlsConfig;
use crate::error::HttpError;

/// Builds the shared rustls configuration for a client. ALPN offers HTTP/1.1 only.
pub(crate) fn client_config(tls: &TlsConfig) -> Result<Arc<ClientConfig>, HttpError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| HttpError::Config(format!("TLS: {e}")))?;
    let mut config = if tls.insecure_skip_verify {
        tracing::warn!("TLS certificate verification is DISABLED for this HTTP client");
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let mut roots = RootCertStore::empty();
        roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        if let Some(path) = &tls.ca_file {
            let pem = std::fs::read(path).map_err(|e| {
                HttpError::Config(format!("cannot read CA file {}: {e}", path.display()))
            })?;
            let mut added = 0usize;
            for cert in rustls_pemfile::certs(&mut pem.as_slice()) {
                let cert = cert.map_err(|e| {
                    HttpError::Config(format!("bad PEM in CA file {}: {e}", path.display()))
                })?;
                roots.add(cert).map_err(|e| {
                    HttpError::Config(format!("bad certificate in {}: {e}", path.display()))
                })?;
                added += 1;
            }
            if added == 0 {
                return Err(HttpError::Config(format!(
                    "CA file {} contains no PEM certificate",
                    path.display()
                )));
            }
        }
        for der in &tls.extra_roots_der {
            roots
                .add(CertificateDer::from(der.clone()))
                .map_err(|e| HttpError::Config(format!("bad extra CA certificate: {e}")))?;
        }
        builder.with_root_certificates(roots).with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Accepts any certificate but still checks handshake signatures (so the session is at least
/// consistent with the presented certificate). Only used with `insecure_skip_verify`.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
