//! The snapshot an evaluation reads, with its thread's [`HotKeys`] and events [`ThreadTally`]
//! when it has them.

use ld_eval::DataLookup;
use ld_events::ThreadTally;
use ld_store::{Flag, Segment, Snapshot};

use crate::hot_keys::HotKeys;

/// A snapshot being read by the client: flag and segment lookups go through the reading
/// thread's [`HotKeys`] for that snapshot when there are some (the in-memory store's cached
/// snapshot), straight to the snapshot's maps otherwise. Along with them comes the thread's
/// summary state for the client's event processor, kept in the same thread-local.
#[derive(Clone, Copy)]
pub(crate) struct SnapshotView<'s> {
    snapshot: &'s Snapshot,
    hot: Option<&'s HotKeys>,
    tally: Option<&'s ThreadTally>,
}

impl<'s> SnapshotView<'s> {
    /// A view whose lookups go through `hot`, which must hold only items of `snapshot`, with
    /// the thread's events `tally` for the client.
    #[inline]
    pub(crate) fn with_hot_keys(
        snapshot: &'s Snapshot,
        hot: &'s HotKeys,
        tally: &'s ThreadTally,
    ) -> Self {
        Self {
            snapshot,
            hot: Some(hot),
            tally: Some(tally),
        }
    }

    /// A view that looks everything up in the snapshot's maps.
    #[inline]
    pub(crate) fn plain(snapshot: &'s Snapshot) -> Self {
        Self {
            snapshot,
            hot: None,
            tally: None,
        }
    }

    /// This thread's summary state for the client's event processor, if the view comes with it.
    #[inline]
    pub(crate) fn tally(&self) -> Option<&'s ThreadTally> {
        self.tally
    }

    /// The snapshot itself.
    #[inline]
    pub(crate) fn snapshot(&self) -> &'s Snapshot {
        self.snapshot
    }

    /// The live flag `key`.
    #[inline]
    pub(crate) fn flag(&self, key: &str) -> Option<&'s Flag> {
        match self.hot {
            Some(hot) => hot.flag(self.snapshot, key),
            None => self.snapshot.flag(key),
        }
    }

    /// The live segment `key`.
    #[inline]
    pub(crate) fn segment(&self, key: &str) -> Option<&'s Segment> {
        match self.hot {
            Some(hot) => hot.segment(self.snapshot, key),
            None => self.snapshot.segment(key),
        }
    }
}

impl DataLookup for SnapshotView<'_> {
    fn flag(&self, key: &str) -> Option<&Flag> {
        SnapshotView::flag(self, key)
    }

    fn segment(&self, key: &str) -> Option<&Segment> {
        SnapshotView::segment(self, key)
    }
}
