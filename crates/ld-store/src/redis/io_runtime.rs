//! The small tokio runtime the Redis stores do their I/O on, so that their synchronous methods
//! work from any thread: plain threads, and tokio worker threads of the application or the SDK.

use std::future::Future;
use std::sync::mpsc;

use tokio::runtime::{Builder, Handle, Runtime};

use super::RedisStoreError;

/// A one-worker runtime owned by a store; dropped without blocking.
pub(crate) struct IoRuntime {
    /// Taken out only by `Drop`.
    runtime: Option<Runtime>,
    handle: Handle,
}

impl IoRuntime {
    pub(crate) fn new(thread_name: &str) -> Result<Self, RedisStoreError> {
        let runtime = Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name(thread_name)
            .enable_all()
            .build()
            .map_err(|e| RedisStoreError::Runtime(e.to_string()))?;
        Ok(Self {
            handle: runtime.handle().clone(),
            runtime: Some(runtime),
        })
    }

    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Runs `future` to completion on this runtime and waits for it from the calling thread.
    ///
    /// From inside another tokio runtime the future is spawned here and the caller blocks on a
    /// channel (entering a runtime from a runtime thread would panic).
    pub(crate) fn block_on<F>(&self, future: F) -> Result<F::Output, RedisStoreError>
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        if let (Err(_), Some(rt)) = (Handle::try_current(), &self.runtime) {
            return Ok(rt.block_on(future));
        }
        let (tx, rx) = mpsc::sync_channel(1);
        self.handle().spawn(async move {
            let _ = tx.send(future.await);
        });
        rx.recv()
            .map_err(|_| RedisStoreError::Runtime("the Redis I/O task stopped".to_owned()))
    }
}

impl Drop for IoRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
