//! One multiplexed Redis connection, shared by all operations of a store and re-established
//! after Redis goes away.

use std::future::Future;

use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, RedisResult};
use tokio::sync::Mutex;

use super::error::{is_connection_error, redact_url};
use super::{RedisOptions, RedisStoreError};

/// A lazily opened, self-healing connection.
pub(crate) struct RedisConnection {
    client: Client,
    config: AsyncConnectionConfig,
    current: Mutex<Option<MultiplexedConnection>>,
    redacted_url: String,
}

impl RedisConnection {
    /// Validates the URL; does not connect yet.
    pub(crate) fn new(options: &RedisOptions) -> Result<Self, RedisStoreError> {
        let redacted_url = redact_url(&options.url);
        let client =
            Client::open(options.url.as_str()).map_err(|e| RedisStoreError::InvalidUrl {
                url: redacted_url.clone(),
                message: e.to_string(),
            })?;
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(options.connect_timeout)
            .set_response_timeout(options.response_timeout);
        Ok(Self {
            client,
            config,
            current: Mutex::new(None),
            redacted_url,
        })
    }

    /// The URL with its password masked.
    pub(crate) fn redacted_url(&self) -> &str {
        &self.redacted_url
    }

    async fn connection(&self) -> Result<MultiplexedConnection, RedisStoreError> {
        let mut current = self.current.lock().await;
        if let Some(conn) = current.as_ref() {
            return Ok(conn.clone());
        }
        let conn = self
            .client
            .get_multiplexed_async_connection_with_config(&self.config)
            .await
            .map_err(|e| RedisStoreError::Unavailable(e.to_string()))?;
        *current = Some(conn.clone());
        Ok(conn)
    }

    /// Runs `op` on the shared connection; a connection-level failure drops the connection so
    /// that the next call reconnects.
    pub(crate) async fn run<T, F, Fut>(&self, op: F) -> Result<T, RedisStoreError>
    where
        F: FnOnce(MultiplexedConnection) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        let conn = self.connection().await?;
        match op(conn).await {
            Ok(value) => Ok(value),
            Err(err) => {
                if is_connection_error(&err) {
                    self.current.lock().await.take();
                }
                Err(RedisStoreError::from_redis(&err))
            }
        }
    }
}
