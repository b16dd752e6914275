//! The client: URL handling, connection reuse, sending requests.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Method, Uri};
use http_body_util::Full;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;

use crate::config::HttpConfig;
use crate::connect::{Target, connect};
use crate::error::HttpError;
use crate::gzip::GzipStream;
use crate::proxy::ProxyRules;
use crate::request::Request;
use crate::response::{Response, ResponseBody, Reuse};
use crate::tls;

/// The sending half of one HTTP/1.1 connection.
pub(crate) type Sender = http1::SendRequest<Full<Bytes>>;

/// Connections are reused per destination.
pub(crate) type PoolKey = Target;

/// An HTTP/1.1 client with TLS, proxy support and keep-alive connection reuse.
///
/// Cheap to clone (an `Arc` inside); clones share connections. Requests must be made from within
/// a tokio runtime (the connection driver is spawned on the current runtime).
///
/// ```no_run
/// use ld_http::{HttpClient, HttpConfig, Request};
///
/// # async fn demo() -> Result<(), ld_http::HttpError> {
/// let client = HttpClient::new(HttpConfig::default())?;
/// let response = client.request(Request::get("https://sdk.launchdarkly.com/sdk/latest-all")).await?;
/// let status = response.status;
/// println!("{status}: {} bytes", response.bytes().await?.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    config: HttpConfig,
    tls: Arc<rustls::ClientConfig>,
    proxy: ProxyRules,
    idle: Mutex<HashMap<PoolKey, Vec<Sender>>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClient")
            .field("connect_timeout", &self.config.connect_timeout)
            .field("read_timeout", &self.config.read_timeout)
            .field("proxy", &self.proxy)
            .finish_non_exhaustive()
    }
}

impl Inner {
    pub(crate) fn put_idle(&self, key: PoolKey, sender: Sender) {
        if self.config.max_idle_per_host == 0 || sender.is_closed() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.entry(key).or_default();
        list.retain(|s| !s.is_closed());
        if list.len() < self.config.max_idle_per_host {
            list.push(sender);
        }
    }

    fn take_idle(&self, key: &PoolKey) -> Option<Sender> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let list = idle.get_mut(key)?;
        while let Some(sender) = list.pop() {
            if sender.is_ready() && !sender.is_closed() {
                return Some(sender);
            }
        }
        None
    }
}

impl HttpClient {
    /// Builds a client: loads the CA file if any and resolves proxy settings (reading the
    /// environment once for [`ProxyConfig::FromEnv`](crate::ProxyConfig::FromEnv)).
    pub fn new(config: HttpConfig) -> Result<Self, HttpError> {
        let tls = tls::client_config(&config.tls)?;
        let proxy = ProxyRules::resolve(&config.proxy)?;
        Ok(HttpClient {
            inner: Arc::new(Inner {
                config,
                tls,
                proxy,
                idle: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The configuration this client was built from.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// Sends a request and waits for the response headers (not the body).
    ///
    /// Any status code is a successful [`Response`]; only transport failures are errors.
    /// Responses with `Content-Encoding: gzip` are decoded transparently.
    pub async fn request(&self, req: Request) -> Result<Response, HttpError> {
        let invalid = |reason: &str| HttpError::InvalidUrl {
            url: req.url.clone(),
            reason: reason.to_string(),
        };
        let uri: Uri = req.url.parse().map_err(|_| invalid("not a valid URI"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(invalid("scheme must be http or https")),
        };
        let raw_host = uri.host().ok_or_else(|| invalid("missing host"))?;
        let host = raw_host.trim_start_matches('[').trim_end_matches(']');
        let target = Target {
            https,
            host: host.to_string(),
            port: uri.port_u16().unwrap_or(if https { 443 } else { 80 }),
        };
        let proxy = self
            .inner
            .proxy
            .for_target(https, &target.host, target.port);
        let path = uri.path_and_query().map_or("/", |p| p.as_str());
        // Plain HTTP through a proxy uses the absolute form; everything else the origin form.
        let request_uri: Uri = if proxy.is_some() && !https {
            uri.clone()
        } else {
            path.parse().map_err(|_| invalid("bad path"))?
        };

        let mut builder = http::Request::builder()
            .method(req.method.clone())
            .uri(request_uri);
        let headers = builder.headers_mut().expect("builder has no error yet");
        *headers = req.headers.clone();
        for (name, value) in &self.inner.config.default_headers {
            if !headers.contains_key(name) {
                headers.insert(name.clone(), value.clone());
            }
        }
        if !headers.contains_key(header::HOST) {
            let default_port = target.port == if https { 443 } else { 80 };
            let host_value = if default_port {
                raw_host.to_string()
            } else {
                target.authority()
            };
            let value = HeaderValue::from_str(&host_value).map_err(|_| invalid("bad host"))?;
            headers.insert(header::HOST, value);
        }
        if let (Some(p), false) = (proxy, https)
            && let Some(auth) = &p.authorization
        {
            headers.insert(header::PROXY_AUTHORIZATION, auth.clone());
        }
        let http_req = builder
            .body(Full::new(req.body.clone()))
            .map_err(|e| invalid(&e.to_string()))?;

        let read_timeout = req.read_timeout.or(self.inner.config.read_timeout);
        let (mut sender, reused) = match self.inner.take_idle(&target) {
            Some(s) => (s, true),
            None => (self.open(&target, proxy).await?, false),
        };
        let sent = match read_timeout {
            Some(t) => tokio::time::timeout(t, sender.send_request(http_req))
                .await
                .map_err(|_| HttpError::ReadTimeout(t))?,
            None => sender.send_request(http_req).await,
        };
        let response = match sent {
            Ok(r) => r,
            // A kept-alive connection the server closed meanwhile: the request never left,
            // or (for idempotent methods) may safely be repeated on a fresh connection.
            Err(e)
                if reused
                    && (e.is_canceled()
                        || (e.is_incomplete_message() && req.method == Method::GET)) =>
            {
                tracing::debug!("retrying request on a fresh connection: {e}");
                return Box::pin(self.request_fresh(req, target)).await;
            }
            Err(e) => return Err(HttpError::Protocol(e)),
        };
        Ok(self.wrap(response, sender, target, read_timeout))
    }

    /// Retries `req` after dropping idle connections to `target`.
    async fn request_fresh(&self, req: Request, target: Target) -> Result<Response, HttpError> {
        self.inner
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&target);
        self.request(req).await
    }

    async fn open(
        &self,
        target: &Target,
        proxy: Option<&crate::proxy::ProxyEndpoint>,
    ) -> Result<Sender, HttpError> {
        let timeout = self.inner.config.connect_timeout;
        let establish = async {
            let io = connect(target, proxy, &self.inner.tls).await?;
            let (sender, conn) = http1::handshake(TokioIo::new(io)).await?;
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!("HTTP connection ended with error: {e}");
                }
            });
            Ok::<_, HttpError>(sender)
        };
        tokio::time::timeout(timeout, establish)
            .await
            .map_err(|_| HttpError::ConnectTimeout {
                target: target.authority(),
                timeout,
            })?
    }

    fn wrap(
        &self,
        response: http::Response<hyper::body::Incoming>,
        sender: Sender,
        target: Target,
        read_timeout: Option<std::time::Duration>,
    ) -> Response {
        let (parts, incoming) = response.into_parts();
        let mut headers = parts.headers;
        let gzip = headers
            .get(header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
        if gzip {
            headers.remove(header::CONTENT_ENCODING);
            headers.remove(header::CONTENT_LENGTH);
        }
        Response {
            status: parts.status,
            headers,
            body: ResponseBody {
                incoming,
                gzip: gzip.then(GzipStream::new),
                read_timeout,
                reuse: Some(Reuse {
                    pool: Arc::downgrade(&self.inner),
                    key: target,
                    sender,
                }),
                done: false,
            },
        }
    }
}
