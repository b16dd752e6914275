//! The tokio runtime a client owns, driven by one dedicated thread.
//!
//! Why a thread of its own: the client must work the same whether or not the application runs
//! tokio. Building, blocking on or dropping a runtime from inside another runtime panics, so the
//! runtime is created, driven and dropped on its own thread, and the application only ever
//! *spawns* onto it through a [`Handle`].

use std::sync::mpsc;
use std::thread::{self, ThreadId};
use std::time::Duration;

use tokio::runtime::Handle;
use tokio::sync::oneshot;

/// How long a shutting-down runtime gives its tasks to finish.
const TASK_SHUTDOWN_GRACE: Duration = Duration::from_millis(500);

/// A current-thread tokio runtime running on a dedicated `ld-sdk` thread until shut down.
#[derive(Debug)]
pub(crate) struct BackgroundRuntime {
    handle: Handle,
    thread_id: ThreadId,
    stop: Option<oneshot::Sender<()>>,
    stopped: mpsc::Receiver<()>,
}

impl BackgroundRuntime {
    /// Starts the thread and its runtime.
    pub(crate) fn start() -> std::io::Result<Self> {
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stopped_tx, stopped) = mpsc::channel();
        let thread = thread::Builder::new()
            .name("ld-sdk".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                };
                let (stop_tx, stop_rx) = oneshot::channel::<()>();
                let _ = ready_tx.send(Ok((runtime.handle().clone(), stop_tx)));
                // Runs every spawned task until asked to stop (or until the client is dropped,
                // which drops the sender).
                let _ = runtime.block_on(stop_rx);
                runtime.shutdown_timeout(TASK_SHUTDOWN_GRACE);
                let _ = stopped_tx.send(());
            })?;
        let thread_id = thread.thread().id();
        let (handle, stop) = ready_rx
            .recv()
            .map_err(|_| std::io::Error::other("the ld-sdk runtime thread exited early"))??;
        Ok(Self {
            handle,
            thread_id,
            stop: Some(stop),
            stopped,
        })
    }

    /// A handle to spawn tasks on the runtime.
    pub(crate) fn handle(&self) -> &Handle {
        &self.handle
    }

    /// Stops the runtime, waiting at most `bound` for its thread to finish. Idempotent.
    ///
    /// Called from the runtime's own thread (say, by a listener that closes the client), it only
    /// signals: waiting there would wait for itself.
    pub(crate) fn shutdown(&mut self, bound: Duration) {
        let Some(stop) = self.stop.take() else {
            return;
        };
        let _ = stop.send(());
        if thread::current().id() != self.thread_id && self.stopped.recv_timeout(bound).is_err() {
            tracing::warn!("the ld-sdk runtime did not stop within {bound:?}; leaving it behind");
        }
    }
}

impl Drop for BackgroundRuntime {
    fn drop(&mut self) {
        self.shutdown(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spawned_tasks_run_without_an_application_runtime() {
        let runtime = BackgroundRuntime::start().unwrap();
        let (tx, rx) = mpsc::channel();
        runtime.handle().spawn(async move {
            tokio::time::sleep(Duration::from_millis(1)).await;
            tx.send(42).unwrap();
        });
        assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(42));
    }

    #[tokio::test]
    async fn it_starts_and_stops_inside_an_application_runtime() {
        let mut runtime = BackgroundRuntime::start().unwrap();
        let answer = runtime.handle().spawn(async { 7 }).await.unwrap();
        assert_eq!(answer, 7);
        runtime.shutdown(Duration::from_secs(5));
        runtime.shutdown(Duration::from_secs(5));
    }

    #[test]
    fn shutdown_stops_the_thread_and_cancels_tasks() {
        let mut runtime = BackgroundRuntime::start().unwrap();
        let handle = runtime.handle().clone();
        runtime.shutdown(Duration::from_secs(5));
        // The runtime is gone: a new task is never polled, so its result never arrives.
        let (tx, rx) = mpsc::channel::<()>();
        drop(handle.spawn(async move {
            let _ = tx.send(());
        }));
        assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    }
}
