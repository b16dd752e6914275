//! The `ld-http` client every network part of a client shares, built from the HTTP options.

use ld_http::{HeaderMap, HeaderName, HeaderValue, HttpClient, HttpConfig, ProxyConfig, TlsConfig};

use crate::Config;

/// An HTTP client (connection pool, TLS roots, proxy, custom headers) built from the HTTP options.
pub(crate) fn http_client(config: &Config) -> Result<HttpClient, String> {
    let http = &config.http;
    let mut default_headers = HeaderMap::new();
    for (name, value) in http.headers() {
        // Names and values were validated when the configuration was built.
        let name = HeaderName::try_from(name.as_str()).map_err(|e| e.to_string())?;
        let value = HeaderValue::try_from(value.as_str()).map_err(|e| e.to_string())?;
        default_headers.append(name, value);
    }
    let extra_roots_der = rustls_pemfile::certs(&mut http.ca_certificates_pem())
        .map(|cert| cert.map(|der| der.as_ref().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("cannot parse the CA certificates: {e}"))?;
    let proxy = match http.proxy_uri() {
        Some(url) => ProxyConfig::Url {
            url: url.to_owned(),
            no_proxy: None,
        },
        None => ProxyConfig::FromEnv,
    };
    HttpClient::new(HttpConfig {
        connect_timeout: http.connect_timeout_value(),
        read_timeout: Some(http.read_timeout_value()),
        tls: TlsConfig {
            ca_file: None,
            extra_roots_der,
            insecure_skip_verify: !http.verifies_tls(),
        },
        proxy,
        default_headers,
        ..HttpConfig::default()
    })
    .map_err(|e| e.to_string())
}
