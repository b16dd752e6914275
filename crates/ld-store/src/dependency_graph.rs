//! Which flags depend on which flags and segments, so a change can be propagated to every flag
//! whose result it may affect.

use crate::data_kind::DataKind;
use crate::model::{self, Flag, Segment};
use std::collections::{HashMap, HashSet};

/// A kind and key naming one stored item.
pub(crate) type ItemRef = (DataKind, String);

/// Forward edges (item → what it uses) and reverse edges (item → who uses it).
#[derive(Debug, Default)]
pub(crate) struct DependencyGraph {
    uses: HashMap<ItemRef, HashSet<ItemRef>>,
    used_by: HashMap<ItemRef, HashSet<ItemRef>>,
}

/// The flags (prerequisites) and segments (`segmentMatch` clauses) a flag refers to.
pub(crate) fn flag_dependencies(flag: &Flag) -> HashSet<ItemRef> {
    model::flag_prerequisite_keys(flag)
        .map(|k| (DataKind::Flag, k.to_string()))
        .chain(model::flag_segment_keys(flag).map(|k| (DataKind::Segment, k.to_string())))
        .collect()
}

/// The segments a segment's rules refer to (`segmentMatch` clauses).
pub(crate) fn segment_dependencies(segment: &Segment) -> HashSet<ItemRef> {
    model::segment_segment_keys(segment)
        .map(|k| (DataKind::Segment, k.to_string()))
        .collect()
}

impl DependencyGraph {
    /// Records that `item` now uses exactly `deps` (an empty set for a deleted item).
    pub(crate) fn set(&mut self, item: ItemRef, deps: HashSet<ItemRef>) {
        if let Some(old) = self.uses.remove(&item) {
            for d in old {
                if let Some(users) = self.used_by.get_mut(&d) {
                    users.remove(&item);
                    if users.is_empty() {
                        self.used_by.remove(&d);
                    }
                }
            }
        }
        for d in &deps {
            self.used_by
                .entry(d.clone())
                .or_default()
                .insert(item.clone());
        }
        if !deps.is_empty() {
            self.uses.insert(item, deps);
        }
    }

    /// Adds `item` and everything that directly or transitively uses it to `out`. Cycles are
    /// harmless (each item is visited once).
    pub(crate) fn add_affected(&self, item: ItemRef, out: &mut HashSet<ItemRef>) {
        let mut stack = vec![item];
        while let Some(cur) = stack.pop() {
            if let Some(users) = self.used_by.get(&cur) {
                for u in users {
                    if !out.contains(u) {
                        stack.push(u.clone());
                    }
                }
            }
            out.insert(cur);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flag(k: &str) -> ItemRef {
        (DataKind::Flag, k.to_string())
    }
    fn seg(k: &str) -> ItemRef {
        (DataKind::Segment, k.to_string())
    }

    #[test]
    fn a_segment_change_reaches_flags_through_prerequisite_chains() {
        let mut g = DependencyGraph::default();
        g.set(flag("a"), [seg("s")].into());
        g.set(flag("b"), [flag("a")].into());
        g.set(flag("c"), HashSet::new());
        g.set(seg("s"), [seg("inner")].into());
        let mut out = HashSet::new();
        g.add_affected(seg("inner"), &mut out);
        assert_eq!(out, [seg("inner"), seg("s"), flag("a"), flag("b")].into());
    }

    #[test]
    fn replacing_dependencies_drops_old_edges() {
        let mut g = DependencyGraph::default();
        g.set(flag("a"), [flag("p")].into());
        g.set(flag("a"), HashSet::new());
        let mut out = HashSet::new();
        g.add_affected(flag("p"), &mut out);
        assert_eq!(out, [flag("p")].into());
    }

    #[test]
    fn prerequisite_cycles_terminate() {
        let mut g = DependencyGraph::default();
        g.set(flag("a"), [flag("b")].into());
        g.set(flag("b"), [flag("a")].into());
        let mut out = HashSet::new();
        g.add_affected(flag("a"), &mut out);
        assert_eq!(out, [flag("a"), flag("b")].into());
    }
}
