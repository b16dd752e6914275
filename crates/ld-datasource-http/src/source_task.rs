//! Running a data source's loop as a task on a tokio runtime, and stopping it.

use std::future::Future;
use std::sync::{Arc, Mutex};

use ld_store::{DataSourceErrorInfo, DataSourceState, DataSourceUpdates, ErrorKind};
use tokio::runtime::Handle;
use tokio::task::JoinHandle;

/// The lifecycle shared by the streaming and polling sources: `start` spawns the loop once,
/// `stop` aborts it (dropping any open connection) and reports `Off`.
pub(crate) struct SourceTask {
    name: &'static str,
    runtime: Option<Handle>,
    state: Mutex<TaskState>,
}

#[derive(Default)]
struct TaskState {
    task: Option<JoinHandle<()>>,
    updates: Option<Arc<dyn DataSourceUpdates>>,
    stopped: bool,
}

impl SourceTask {
    pub(crate) fn new(name: &'static str, runtime: Option<Handle>) -> Self {
        SourceTask {
            name,
            runtime,
            state: Mutex::new(TaskState::default()),
        }
    }

    /// Spawns `run(updates)` on the configured runtime (or the current one). Later calls, or a
    /// call after `stop`, do nothing.
    pub(crate) fn start<F, Fut>(&self, updates: Arc<dyn DataSourceUpdates>, run: F)
    where
        F: FnOnce(Arc<dyn DataSourceUpdates>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.stopped || state.task.is_some() {
            tracing::debug!("{} data source already started or stopped", self.name);
            return;
        }
        let Some(runtime) = self.runtime.clone().or_else(|| Handle::try_current().ok()) else {
            tracing::error!(
                "{} data source needs a tokio runtime; none configured",
                self.name
            );
            updates.update_status(
                DataSourceState::Off,
                Some(DataSourceErrorInfo::new(
                    ErrorKind::Unknown,
                    "no tokio runtime to run the data source on",
                )),
            );
            return;
        };
        state.task = Some(runtime.spawn(run(updates.clone())));
        state.updates = Some(updates);
    }

    /// Aborts the loop and reports `Off`. Idempotent.
    pub(crate) fn stop(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        if state.stopped {
            return;
        }
        state.stopped = true;
        if let Some(task) = state.task.take() {
            task.abort();
        }
        if let Some(updates) = state.updates.take() {
            updates.update_status(DataSourceState::Off, None);
        }
    }
}

impl Drop for SourceTask {
    fn drop(&mut self) {
        if let Some(task) = self
            .state
            .get_mut()
            .unwrap_or_else(|p| p.into_inner())
            .task
            .take()
        {
            task.abort();
        }
    }
}
