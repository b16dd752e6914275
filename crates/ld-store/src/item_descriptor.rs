//! A versioned item or a versioned deletion marker (tombstone).

use std::sync::Arc;

/// A stored flag or segment at some version, or a tombstone recording that it was deleted at
/// that version (so an older update arriving late cannot resurrect it). Tombstones are hidden
/// from reads.
///
/// ```
/// use ld_store::ItemDescriptor;
/// let live = ItemDescriptor::new(3, "item");
/// let gone: ItemDescriptor<&str> = ItemDescriptor::tombstone(4);
/// assert!(live.item().is_some() && gone.item().is_none());
/// assert!(gone.version > live.version);
/// ```
#[derive(Debug)]
pub struct ItemDescriptor<T> {
    /// The item's version; updates apply only when their version is strictly greater.
    pub version: u64,
    /// The item, shared; `None` for a tombstone.
    pub item: Option<Arc<T>>,
}

impl<T> ItemDescriptor<T> {
    /// A live item.
    pub fn new(version: u64, item: T) -> Self {
        Self {
            version,
            item: Some(Arc::new(item)),
        }
    }

    /// A live item that is already shared.
    pub fn from_arc(version: u64, item: Arc<T>) -> Self {
        Self {
            version,
            item: Some(item),
        }
    }

    /// A deletion marker at `version`.
    pub fn tombstone(version: u64) -> Self {
        Self {
            version,
            item: None,
        }
    }

    /// The item, unless this is a tombstone.
    #[inline]
    pub fn item(&self) -> Option<&T> {
        self.item.as_deref()
    }

    /// Whether this is a tombstone.
    pub fn is_deleted(&self) -> bool {
        self.item.is_none()
    }
}

impl<T> Clone for ItemDescriptor<T> {
    fn clone(&self) -> Self {
        Self {
            version: self.version,
            item: self.item.clone(),
        }
    }
}

impl<T: PartialEq> PartialEq for ItemDescriptor<T> {
    fn eq(&self, other: &Self) -> bool {
        self.version == other.version && self.item == other.item
    }
}
