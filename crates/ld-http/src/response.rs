//! Responses and their streaming bodies.

use std::sync::Weak;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::{HeaderMap, StatusCode};
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::client::{Inner, PoolKey, Sender};
use crate::error::HttpError;
use crate::gzip::GzipStream;

/// A response whose headers have arrived; the body is read on demand.
#[derive(Debug)]
pub struct Response {
    /// The status code.
    pub status: StatusCode,
    /// Response headers. When the body was gzip-decoded, `Content-Encoding` and
    /// `Content-Length` are removed (they described the compressed bytes).
    pub headers: HeaderMap,
    /// The (decoded) body, read chunk by chunk.
    pub body: ResponseBody,
}

impl Response {
    /// Reads the whole body into memory.
    pub async fn bytes(self) -> Result<Bytes, HttpError> {
        self.body.collect(usize::MAX).await
    }

    /// Reads the whole body, failing with [`HttpError::BodyTooLarge`] past `limit` decoded bytes.
    pub async fn bytes_limited(self, limit: usize) -> Result<Bytes, HttpError> {
        self.body.collect(limit).await
    }
}

/// Keeps the connection's sender so the connection can be pooled once the body is fully read.
pub(crate) struct Reuse {
    pub(crate) pool: Weak<Inner>,
    pub(crate) key: PoolKey,
    pub(crate) sender: Sender,
}

/// A streaming response body: call [`next_chunk`](Self::next_chunk) until it returns `None`.
///
/// Dropping the body before the end closes the connection (it cannot be reused), which is how
/// a streaming data source abandons a stream.
pub struct ResponseBody {
    pub(crate) incoming: Incoming,
    pub(crate) gzip: Option<GzipStream>,
    pub(crate) read_timeout: Option<Duration>,
    pub(crate) reuse: Option<Reuse>,
    pub(crate) done: bool,
}

impl std::fmt::Debug for ResponseBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResponseBody")
            .field("gzip", &self.gzip.is_some())
            .field("read_timeout", &self.read_timeout)
            .field("done", &self.done)
            .finish()
    }
}

impl ResponseBody {
    /// The next non-empty piece of (decoded) body, or `None` at the end.
    ///
    /// Fails with [`HttpError::ReadTimeout`] when no byte arrives within the read timeout.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, HttpError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let frame = match self.read_timeout {
                Some(t) => tokio::time::timeout(t, self.incoming.frame())
                    .await
                    .map_err(|_| HttpError::ReadTimeout(t))?,
                None => self.incoming.frame().await,
            };
            match frame {
                None => {
                    self.done = true;
                    let tail = match &mut self.gzip {
                        Some(g) => g.finish().map_err(HttpError::Decode)?,
                        None => Bytes::new(),
                    };
                    self.release_connection();
                    return Ok((!tail.is_empty()).then_some(tail));
                }
                Some(Err(e)) => {
                    self.done = true;
                    return Err(HttpError::Protocol(e));
                }
                Some(Ok(frame)) => {
                    let Ok(data) = frame.into_data() else {
                        continue; // trailers
                    };
                    let data = match &mut self.gzip {
                        Some(g) => g.push(&data).map_err(|e| {
                            self.done = true;
                            HttpError::Decode(e)
                        })?,
                        None => data,
                    };
                    if !data.is_empty() {
                        return Ok(Some(data));
                    }
                }
            }
        }
    }

    /// Reads everything that is left, up to `limit` decoded bytes.
    pub async fn collect(mut self, limit: usize) -> Result<Bytes, HttpError> {
        let first = match self.next_chunk().await? {
            None => return Ok(Bytes::new()),
            Some(c) => c,
        };
        if first.len() > limit {
            return Err(HttpError::BodyTooLarge { limit });
        }
        let Some(second) = self.next_chunk().await? else {
            return Ok(first);
        };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        while let Some(chunk) = self.next_chunk().await? {
            if buf.len() + chunk.len() > limit {
                return Err(HttpError::BodyTooLarge { limit });
            }
            buf.extend_from_slice(&chunk);
        }
        if buf.len() > limit {
            return Err(HttpError::BodyTooLarge { limit });
        }
        Ok(buf.freeze())
    }

    fn release_connection(&mut self) {
        if let Some(reuse) = self.reuse.take()
            && let Some(inner) = reuse.pool.upgrade()
        {
            inner.put_idle(reuse.key, reuse.sender);
        }
    }
}
