//! Names that recur across flags, read into one shared allocation.
//!
//! A data set names the same few attributes (`email`, `country`, `key`…) and context kinds in
//! thousands of clauses and rollouts. Each of those is an `Arc<str>` inside an [`AttrRef`] or a
//! [`Kind`], so rather than allocating (and later freeing) one copy per clause, the parser keeps
//! the most recently read names of this thread in a small direct-mapped cache and hands out
//! clones of the shared value. The cache is bounded (a fixed number of slots, a newer name
//! simply replaces an older one in its slot), holds only immutable values, and sharing is
//! invisible to users: an `AttrRef` or `Kind` compares by content either way.
//!
//! [`AttrRef`]: crate::AttrRef
//! [`Kind`]: crate::Kind

use std::hash::Hasher;

use crate::fast_hash::FastHasher;

/// How many names each cache keeps.
const SLOTS: usize = 64;

/// Names longer than this are not cached (they are unlikely to recur, and comparing them costs
/// more than it saves).
const MAX_LEN: usize = 64;

/// A direct-mapped cache of shared values by their text (and a one-byte variant tag).
pub(crate) struct NameCache<T> {
    slots: Vec<Option<(u8, T)>>,
}

impl<T> Default for NameCache<T> {
    fn default() -> Self {
        NameCache { slots: Vec::new() }
    }
}

impl<T: Clone> NameCache<T> {
    /// The cached value for `text` and `variant` if there is one (`same_text` tells whether a
    /// cached value was made from `text`), otherwise `make()`, which is cached.
    #[inline]
    pub(crate) fn get_or_make(
        &mut self,
        text: &str,
        variant: u8,
        same_text: impl Fn(&T) -> bool,
        make: impl FnOnce() -> T,
    ) -> T {
        if text.len() > MAX_LEN {
            return make();
        }
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, || None);
        }
        let mut h = FastHasher::default();
        h.write(text.as_bytes());
        h.write_u8(variant);
        let slot = &mut self.slots[(h.finish() >> 32) as usize % SLOTS];
        if let Some((v, value)) = slot
            && *v == variant
            && same_text(value)
        {
            return value.clone();
        }
        let value = make();
        *slot = Some((variant, value.clone()));
        value
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_recurring_name_is_shared_and_variants_are_kept_apart() {
        let mut cache = NameCache::<(bool, Arc<str>)>::default();
        let mut get = |text: &str, v: u8| {
            cache.get_or_make(text, v, |c| &*c.1 == text, || (v == 1, Arc::from(text)))
        };
        let a = get("email", 0);
        let b = get("email", 0);
        assert!(Arc::ptr_eq(&a.1, &b.1));
        let c = get("email", 1);
        assert!(c.0 && !Arc::ptr_eq(&a.1, &c.1));
        // Many other names evict it, and it is made again, equal in content.
        for i in 0..10 * SLOTS {
            get(&format!("n{i}"), 0);
        }
        assert_eq!(&*get("email", 0).1, "email");
        let long = "x".repeat(MAX_LEN + 1);
        assert!(!Arc::ptr_eq(&get(&long, 0).1, &get(&long, 0).1));
    }
}
