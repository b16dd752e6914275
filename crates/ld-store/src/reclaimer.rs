//! Freeing replaced data sets away from readers.
//!
//! A streaming `put` replaces every flag at once, and freeing the previous 10,000 prepared flags
//! (about 90,000 small allocations, long out of cache) takes about 20 ms. Whoever drops the last
//! reference pays that: the writer, delaying the next update, or, worse, a reader that happened
//! to hold the old snapshot for one last evaluation. So the in-memory store hands a replaced
//! snapshot to one background thread, which waits briefly for readers to let go and then frees
//! it ([`retire_snapshot`]).
//!
//! Except when `put`s come back to back: the background thread's frees and the next `put`'s
//! allocations then wait on each other for the allocator's lock, which costs the writer more
//! than freeing the previous data set itself, so the store has the writer free it, unless a
//! reader holds it ([`free_unless_shared`]).

use std::sync::mpsc::{Sender, channel};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crate::snapshot::Snapshot;

/// How long the reclaimer waits for readers still holding a replaced snapshot before dropping
/// its own reference anyway (the last reader then frees it).
const READER_GRACE: Duration = Duration::from_millis(20);

/// Hands a snapshot that is no longer current to the background reclaimer thread, which frees
/// it once readers have let go (or frees it here, if that thread cannot be started).
///
/// The in-memory store does this for a snapshot an `init` replaced while a reader held it. A
/// component that keeps snapshots of its own (such as a per-thread cache of the current one)
/// can do the same when it lets one go, so that the thread that happens to hold the last
/// reference never pays for freeing thousands of flags.
///
/// ```
/// use ld_store::{DataStore, InMemoryDataStore, retire_snapshot};
/// let store = InMemoryDataStore::new();
/// let cached = store.snapshot();
/// retire_snapshot(cached);
/// ```
pub fn retire_snapshot(old: Arc<Snapshot>) {
    if let Some(tx) = reclaimer() {
        // A send fails only if the thread is gone; the snapshot is then dropped here.
        let _ = tx.send(old);
    }
}

/// How long a writer that replaced a snapshot waits for readers in the middle of an evaluation
/// to let go of it before it leaves freeing it to the reclaimer thread.
const WRITER_GRACE: Duration = Duration::from_micros(50);

/// Frees a snapshot that a writer has just replaced: here, if no reader holds it (after
/// waiting up to [`WRITER_GRACE`] for readers that loaded it just before the swap to finish
/// their evaluation); else on the reclaimer thread, once those readers let go.
pub(crate) fn free_unless_shared(old: Arc<Snapshot>) {
    let deadline = Instant::now() + WRITER_GRACE;
    // Readers load the replacement from now on; those holding this one let go soon.
    while Arc::strong_count(&old) > 1 && Instant::now() < deadline {
        std::hint::spin_loop();
    }
    match Arc::try_unwrap(old) {
        Ok(unshared) => unshared.free_in_address_order(),
        Err(shared) => retire_snapshot(shared),
    }
}

/// Starts the reclaimer thread if it is not running yet, so that a writer can do it before
/// publishing new data rather than between publishing it and reporting it.
pub(crate) fn start() {
    reclaimer();
}

/// The channel to the reclaimer thread (started on first use), or `None` if it cannot start.
fn reclaimer() -> Option<&'static Sender<Arc<Snapshot>>> {
    static RECLAIMER: OnceLock<Option<Sender<Arc<Snapshot>>>> = OnceLock::new();
    RECLAIMER
        .get_or_init(|| {
            let (tx, rx) = channel::<Arc<Snapshot>>();
            std::thread::Builder::new()
                .name("ld-store-reclaim".into())
                .spawn(move || {
                    for old in rx {
                        wait_for_readers(&old);
                        // A reader that still holds it frees it when it lets go.
                        if let Ok(unshared) = Arc::try_unwrap(old) {
                            unshared.free_in_address_order();
                        }
                    }
                })
                .map_err(|e| tracing::warn!("cannot start the snapshot reclaimer thread: {e}"))
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Waits up to [`READER_GRACE`] for this to be the last reference to `old`.
fn wait_for_readers(old: &Arc<Snapshot>) {
    let step = Duration::from_micros(200);
    let mut waited = Duration::ZERO;
    while Arc::strong_count(old) > 1 && waited < READER_GRACE {
        std::thread::sleep(step);
        waited += step;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Weak;
    use std::time::Instant;

    fn freed_within(weak: &Weak<Snapshot>, limit: Duration) -> bool {
        let start = Instant::now();
        while weak.strong_count() > 0 {
            if start.elapsed() > limit {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    #[test]
    fn retired_snapshots_are_freed_in_the_background_after_readers_let_go() {
        let old = Arc::new(Snapshot::default());
        let weak = Arc::downgrade(&old);
        retire_snapshot(old);
        assert!(freed_within(&weak, Duration::from_secs(5)));

        // A reader still holding it: whoever lets go last frees it, and it is freed.
        let held = Arc::new(Snapshot::default());
        let reader = held.clone();
        let weak = Arc::downgrade(&held);
        retire_snapshot(held);
        let reader = std::thread::spawn(move || drop(reader));
        reader.join().unwrap();
        assert!(freed_within(&weak, Duration::from_secs(5)));
    }

    #[test]
    fn a_writer_frees_a_replaced_snapshot_no_reader_holds_before_returning() {
        let old = Arc::new(Snapshot::default());
        let weak = Arc::downgrade(&old);
        free_unless_shared(old);
        assert_eq!(weak.strong_count(), 0);
    }

    #[test]
    fn a_snapshot_a_reader_keeps_is_left_to_the_reader_and_the_reclaimer() {
        let old = Arc::new(Snapshot::default());
        let weak = Arc::downgrade(&old);
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let reader = old.clone();
        let reader = std::thread::spawn(move || {
            held_tx.send(()).unwrap();
            // Holds the snapshot well past the writer's grace period.
            let _ = done_rx.recv();
            drop(reader);
        });
        held_rx.recv().unwrap();
        let start = Instant::now();
        free_unless_shared(old);
        assert!(
            start.elapsed() < Duration::from_secs(1),
            "the writer does not wait for it"
        );
        assert!(weak.strong_count() >= 1, "the reader's copy is alive");
        done_tx.send(()).unwrap();
        reader.join().unwrap();
        assert!(freed_within(&weak, Duration::from_secs(5)));
    }
}
