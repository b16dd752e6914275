//! The file data source: loads flag files into the store and, optionally, reloads them when
//! they change.

use crate::data_set::{raw_data, to_all_data};
use crate::error::FileDataError;
use crate::loader::{FileContent, read_files};
use crate::merge::DuplicateKeys;
use crate::versioning::VersionTracker;
use crate::watcher;
use ld_store::{DataSource, DataSourceErrorInfo, DataSourceState, DataSourceUpdates, ErrorKind};
use parking_lot::Mutex;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long the file system must stay quiet after a change before files are reloaded, by
/// default. Editors and `cp` often produce several events per save; this coalesces them while
/// keeping change-to-visible latency far below 100 ms.
pub const DEFAULT_DEBOUNCE: Duration = Duration::from_millis(15);

/// Configures a [`FileDataSource`].
#[derive(Debug, Clone)]
pub struct FileDataSourceBuilder {
    paths: Vec<PathBuf>,
    auto_reload: bool,
    duplicate_keys: DuplicateKeys,
    debounce: Duration,
}

impl FileDataSourceBuilder {
    /// Adds one file.
    pub fn path(mut self, path: impl Into<PathBuf>) -> Self {
        self.paths.push(path.into());
        self
    }

    /// Adds several files (loaded in this order; order matters only for
    /// [`DuplicateKeys::KeepFirst`]).
    pub fn paths<P: Into<PathBuf>>(mut self, paths: impl IntoIterator<Item = P>) -> Self {
        self.paths.extend(paths.into_iter().map(Into::into));
        self
    }

    /// Reload all files when any of them changes (off by default).
    pub fn auto_reload(mut self, on: bool) -> Self {
        self.auto_reload = on;
        self
    }

    /// What to do about a key defined more than once (default: it is an error).
    pub fn duplicate_keys(mut self, policy: DuplicateKeys) -> Self {
        self.duplicate_keys = policy;
        self
    }

    /// How long to wait for the file system to go quiet before reloading (default
    /// [`DEFAULT_DEBOUNCE`]).
    pub fn debounce(mut self, quiet: Duration) -> Self {
        self.debounce = quiet;
        self
    }

    /// The configured source (not started).
    pub fn build(self) -> FileDataSource {
        FileDataSource {
            config: Arc::new(self),
            running: Mutex::new(None),
        }
    }
}

#[derive(Clone)]
enum Signal {
    Changed,
    Stop,
}

struct Running {
    tx: Sender<Signal>,
    thread: JoinHandle<()>,
}

/// Serves flags from JSON/YAML files.
///
/// On start, a thread loads all files. If any file is missing or invalid, none of the data is
/// used: the error is logged and reported as `Interrupted` with
/// [`ErrorKind::InvalidData`] (whatever the cause, as in the other SDKs), and the store keeps
/// what it had. Without auto-reload a failed first load turns the source `Off`, since nothing
/// will ever fix it. With auto-reload, the files' directories are watched; bursts of events are
/// coalesced, a reload whose bytes are unchanged is skipped, and all files are reloaded
/// together.
///
/// ```no_run
/// use ld_datasource_file::FileDataSource;
/// use ld_store::{DataSource, DataSourceUpdateSink, InMemoryDataStore};
/// use std::sync::Arc;
/// use std::time::Duration;
///
/// let sink = Arc::new(DataSourceUpdateSink::new(Arc::new(InMemoryDataStore::new())));
/// let source = FileDataSource::builder().path("flags.yaml").auto_reload(true).build();
/// source.start(sink.clone());
/// sink.status_provider().wait_initialized(Duration::from_secs(5)).expect("flags loaded");
/// ```
pub struct FileDataSource {
    config: Arc<FileDataSourceBuilder>,
    running: Mutex<Option<Running>>,
}

impl FileDataSource {
    /// Starts configuring a file data source.
    pub fn builder() -> FileDataSourceBuilder {
        FileDataSourceBuilder {
            paths: Vec::new(),
            auto_reload: false,
            duplicate_keys: DuplicateKeys::Error,
            debounce: DEFAULT_DEBOUNCE,
        }
    }
}

impl DataSource for FileDataSource {
    fn start(&self, updates: Arc<dyn DataSourceUpdates>) {
        let mut running = self.running.lock();
        if running.is_some() {
            return;
        }
        let (tx, rx) = channel();
        let config = self.config.clone();
        let watcher_tx = tx.clone();
        let thread = std::thread::Builder::new()
            .name("ld-file-source".into())
            .spawn(move || run(&config, updates.as_ref(), watcher_tx, rx));
        match thread {
            Ok(thread) => *running = Some(Running { tx, thread }),
            Err(e) => tracing::error!("cannot start file data source thread: {e}"),
        }
    }

    fn stop(&self) {
        let running = self.running.lock().take();
        if let Some(r) = running {
            let _ = r.tx.send(Signal::Stop);
            let _ = r.thread.join();
        }
    }
}

impl Drop for FileDataSource {
    fn drop(&mut self) {
        self.stop();
    }
}

impl std::fmt::Debug for FileDataSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileDataSource")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// The loader's memory: what was last read, to skip reloads of identical bytes.
struct Loader<'a> {
    config: &'a FileDataSourceBuilder,
    updates: &'a dyn DataSourceUpdates,
    last_read: Option<Vec<FileContent>>,
    versions: VersionTracker,
}

impl Loader<'_> {
    /// Reads and applies the files; returns whether the data is now valid.
    fn reload(&mut self) -> bool {
        let files = match read_files(&self.config.paths) {
            Ok(files) => files,
            Err(e) => {
                self.last_read = None;
                return self.fail(&e);
            }
        };
        if self.last_read.as_ref() == Some(&files) {
            tracing::debug!("flag files changed on disk but their bytes did not; not reloading");
            return true;
        }
        let versions = &mut self.versions;
        let result = raw_data(&files, self.config.duplicate_keys).and_then(|mut raw| {
            // Versions advance only when the whole load succeeds.
            let mut next = versions.clone();
            next.assign(&mut raw);
            let data = to_all_data(raw)?;
            *versions = next;
            Ok(data)
        });
        self.last_read = Some(files);
        match result {
            Ok(data) => {
                let (flags, segments) = (data.flags.len(), data.segments.len());
                if self.updates.init(data) {
                    tracing::info!("loaded {flags} flags and {segments} segments from files");
                    self.updates.update_status(DataSourceState::Valid, None);
                    true
                } else {
                    false
                }
            }
            Err(e) => self.fail(&e),
        }
    }

    fn fail(&self, e: &FileDataError) -> bool {
        tracing::error!("flag files not loaded, keeping the previous data: {e}");
        self.updates.update_status(
            DataSourceState::Interrupted,
            Some(DataSourceErrorInfo::new(
                ErrorKind::InvalidData,
                e.to_string(),
            )),
        );
        false
    }
}

fn run(
    config: &FileDataSourceBuilder,
    updates: &dyn DataSourceUpdates,
    tx: Sender<Signal>,
    rx: Receiver<Signal>,
) {
    // Watch before the first load, so a change made during it is not missed.
    let watching = if config.auto_reload {
        match watcher::watch(&config.paths, tx, Signal::Changed) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::error!("cannot watch flag files, auto-reload is off: {e}");
                None
            }
        }
    } else {
        None
    };
    let mut loader = Loader {
        config,
        updates,
        last_read: None,
        versions: VersionTracker::default(),
    };
    let ok = loader.reload();
    if !config.auto_reload || watching.is_none() {
        if !ok {
            // Nothing will fix it: report Off, keeping the load error as the last error.
            tracing::error!("flag files could not be loaded and auto-reload is off");
            updates.update_status(DataSourceState::Off, None);
        }
        // Wait for stop, then report Off.
        let _ = rx.recv();
        updates.update_status(DataSourceState::Off, None);
        return;
    }
    while let Ok(Signal::Changed) = rx.recv() {
        if !wait_for_quiet(&rx, config.debounce) {
            break;
        }
        loader.reload();
    }
    updates.update_status(DataSourceState::Off, None);
}

/// Swallows further change signals until none arrived for `quiet` (capped at 20× `quiet` so a
/// file rewritten continuously is still picked up). Returns false when asked to stop.
fn wait_for_quiet(rx: &Receiver<Signal>, quiet: Duration) -> bool {
    let give_up = Instant::now() + quiet * 20;
    loop {
        match rx.recv_timeout(quiet) {
            Ok(Signal::Changed) if Instant::now() < give_up => continue,
            Ok(Signal::Changed) | Err(RecvTimeoutError::Timeout) => return true,
            Ok(Signal::Stop) | Err(RecvTimeoutError::Disconnected) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ld_store::{AllData, Flag, ItemDescriptor, Segment};
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[derive(Default)]
    struct CountingUpdates {
        inits: AtomicUsize,
    }

    impl DataSourceUpdates for CountingUpdates {
        fn init(&self, _: AllData) -> bool {
            self.inits.fetch_add(1, Ordering::SeqCst);
            true
        }
        fn upsert_flag(&self, _: &str, _: ItemDescriptor<Flag>) -> bool {
            true
        }
        fn upsert_segment(&self, _: &str, _: ItemDescriptor<Segment>) -> bool {
            true
        }
        fn update_status(&self, _: DataSourceState, _: Option<DataSourceErrorInfo>) {}
    }

    #[test]
    fn a_reload_with_identical_bytes_does_not_touch_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, br#"{"flagValues":{"a":1}}"#).unwrap();
        let config = FileDataSource::builder().path(&path);
        let updates = CountingUpdates::default();
        let mut loader = Loader {
            config: &config,
            updates: &updates,
            last_read: None,
            versions: VersionTracker::default(),
        };
        assert!(loader.reload());
        std::fs::write(&path, br#"{"flagValues":{"a":1}}"#).unwrap();
        assert!(loader.reload());
        assert_eq!(updates.inits.load(Ordering::SeqCst), 1);
        std::fs::write(&path, br#"{"flagValues":{"a":2}}"#).unwrap();
        assert!(loader.reload());
        assert_eq!(updates.inits.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_failed_load_does_not_advance_versions() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.json");
        std::fs::write(&path, br#"{"flagValues":{"a":1}}"#).unwrap();
        let config = FileDataSource::builder().path(&path);
        let updates = CountingUpdates::default();
        let mut loader = Loader {
            config: &config,
            updates: &updates,
            last_read: None,
            versions: VersionTracker::default(),
        };
        assert!(loader.reload());
        std::fs::write(
            &path,
            br#"{"flagValues":{"a":2},"flags":{"bad":{"on":"x"}}}"#,
        )
        .unwrap();
        assert!(!loader.reload());
        assert_eq!(loader.versions.flag_version("a"), Some(1));
        std::fs::write(&path, br#"{"flagValues":{"a":2}}"#).unwrap();
        assert!(loader.reload());
        assert_eq!(
            loader.versions.flag_version("a"),
            Some(2),
            "bumped once, not twice"
        );
        assert_eq!(updates.inits.load(Ordering::SeqCst), 2);
    }
}
