//! Watching flag files for changes with `notify`.
//!
//! The *directories* holding the files are watched, not the files: editors that save by writing
//! a temporary file and renaming it over the original, and files deleted and re-created, replace
//! the inode a file watch would be attached to, while a directory watch sees every such event.

use notify::{Event, RecommendedWatcher, RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;

/// Keeps the underlying watcher alive; dropping it stops watching.
pub(crate) struct FileWatcher {
    _watcher: RecommendedWatcher,
}

/// The absolute form of `path` with its directory resolved through symlinks (the form in which
/// the operating system reports events), when the directory exists.
fn watched_form(path: &Path) -> Option<(PathBuf, PathBuf)> {
    let abs = std::path::absolute(path).ok()?;
    let dir = abs.parent()?.canonicalize().ok()?;
    let name = abs.file_name()?;
    Some((dir.clone(), dir.join(name)))
}

/// Starts watching the directories of `paths`; `on_change` is called (on the watcher's own
/// thread) for every event touching one of the files, or when events may have been lost.
/// Directories that cannot be watched are logged and skipped.
pub(crate) fn watch<T: Send + Clone + 'static>(
    paths: &[PathBuf],
    tx: Sender<T>,
    signal: T,
) -> Result<FileWatcher, notify::Error> {
    let mut dirs = HashSet::new();
    let mut targets = HashSet::new();
    let mut whole_dirs = HashSet::new();
    for p in paths {
        match watched_form(p) {
            Some((dir, file)) => {
                if std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink()) {
                    whole_dirs.insert(dir.clone());
                }
                dirs.insert(dir);
                targets.insert(file);
            }
            None => tracing::warn!("cannot watch {}: its directory does not exist", p.display()),
        }
    }
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<Event>| {
        let relevant = match &res {
            Ok(event) => {
                event.need_rescan()
                    || event.paths.iter().any(|p| {
                        targets.contains(p) || p.parent().is_some_and(|d| whole_dirs.contains(d))
                    })
            }
            Err(e) => {
                tracing::warn!("file watcher error: {e}");
                true
            }
        };
        if relevant {
            let _ = tx.send(signal.clone());
        }
    })?;
    for dir in &dirs {
        if let Err(e) = watcher.watch(dir, RecursiveMode::NonRecursive) {
            tracing::warn!("cannot watch directory {}: {e}", dir.display());
        }
    }
    Ok(FileWatcher { _watcher: watcher })
}
