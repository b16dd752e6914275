//! Prerequisite trees: one count for all the prerequisite evaluations of a flag evaluation in
//! which every prerequisite passed.
//!
//! A flag with prerequisites makes a summary count per prerequisite evaluated (~50
//! instructions each on the fast path). But when no prerequisite, at any depth, was missing,
//! off, malformed or served another variation than its parent requires, the evaluation went
//! through the whole prerequisite tree in its fixed order and each prerequisite served exactly
//! the variation its parent requires: its counts are fixed by the flag and the data set. So a
//! thread keeps, per (flag value, context kinds, data set generation), a **tree**: the cells of
//! those prerequisite evaluations, each with the counter its required variation counts in, and
//! one counter for the evaluations that passed through all of them.
//!
//! - An evaluation that finds a tree for its flag, the context's kinds and the data set
//!   ([`Summarizer::tree_slot`]) only counts its prerequisites as they come, and at the end bumps
//!   the tree's counter once ([`Summarizer::count_tree`]). The flusher adds each tree's new
//!   count to the summary counters of all its members.
//! - If a prerequisite does not pass (`ld_eval::PrerequisiteRecorder::prerequisite_failed`),
//!   the prerequisites evaluated so far are the tree's first members in order, each having
//!   served its required variation but the last, which served what it was seen to serve: the
//!   tree counts that in the last one's failure counter for that variation
//!   ([`Summarizer::count_tree_prefix`]), and the rest of the evaluation counts the usual way.
//!   The flusher spreads a failure count over the members up to that one. (The members' cells
//!   themselves are never counted in through a tree: the flusher may retire a cell that sees
//!   no count of its own, and a tree keeps only their data.)
//! - An evaluation without a tree counts the usual way and notes each prerequisite; if every
//!   one passed and was counted by the fast path in a cell that never needs more than the
//!   summary, it leaves a tree for the next ones ([`Summarizer::learn_tree`]).
//! - Trees are retired like cells: idle for a few windows, or left by their thread.
//!
//! The data set generation (`ld_store::Snapshot::generation`) is what makes a tree safe to
//! trust without checking each prerequisite: in one data set, a prerequisite key always names
//! the same flag value, so the tree's members are the flags the evaluation meets.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::{Cell, IDLE_WINDOWS_BEFORE_RETIRING, Summarizer, add_to_summary, bump, counter_of};
use crate::fast_key;
use crate::thread_tally::ThreadTally;

/// Entries of a thread's tree table.
pub(super) const TREE_SLOTS: usize = 32;

/// The most prerequisite evaluations a tree holds; a flag with more counts the usual way.
pub(crate) const MAX_MEMBERS: usize = 8;

/// A thread's tree for one flag value, kinds list and data set.
#[derive(Debug)]
pub(super) struct Tree {
    /// [`tree_key`] of the flag value and kinds: where the tree lives in its thread's table.
    home: u64,
    /// `home` while live, [`fast_key::NO_KEY`] once the flusher retired it.
    key: AtomicU64,
    /// The data set the tree was learned in.
    generation: u64,
    /// The prerequisite evaluations in evaluation order.
    members: Box<[Member]>,
    /// Evaluations that passed through every member; written only by the owning thread.
    count: AtomicU64,
}

/// One prerequisite evaluation of a tree.
#[derive(Debug)]
struct Member {
    /// Its cell, for the flag's key, version, values and the context kinds (never counted in).
    cell: Arc<Cell>,
    /// The index of the counter of the variation its parent requires.
    required: usize,
    /// Per counter of the cell: evaluations that got this far and whose last prerequisite,
    /// this one, served that counter's variation and did not pass; written only by the owning
    /// thread.
    failed: Box<[AtomicU64]>,
}

/// Flusher-side bookkeeping for a registered tree.
#[derive(Debug)]
pub(super) struct RegisteredTree {
    tree: Arc<Tree>,
    reported: u64,
    /// Per member, per counter: its failure count as of the last report.
    reported_failed: Box<[Box<[u64]>]>,
    idle_windows: u32,
    retiring: bool,
}

/// What a thread's tree table holds for an evaluation ([`Summarizer::tree_slot`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TreeSlot {
    /// The tree of this flag value, kinds and data set.
    Found,
    /// Nothing it need keep: empty, retired, or a tree of an older data set.
    Vacant,
    /// Another flag value's or kinds list's tree in this data set (or the state is in use,
    /// or another summarizer's): this evaluation neither follows nor learns a tree, so that
    /// two flags sharing an entry do not replace each other's tree on every evaluation.
    Taken,
}

/// The table key of the tree of flag value `instance` for contexts of kinds `kinds_id`, or
/// [`fast_key::NO_KEY`] for one that does not fit.
#[inline(always)]
fn tree_key(instance: u64, kinds_id: u8) -> u64 {
    fast_key::cell_key(instance, &serde_json::Value::Null, kinds_id, true)
}

/// The tree table entry of `key`.
#[inline(always)]
fn tree_slot(key: u64) -> usize {
    (key.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (64 - TREE_SLOTS.trailing_zeros())) as usize
}

/// The cell key of a plain prerequisite evaluation of `instance` for kinds `kinds_id`
/// (prerequisites are counted with a `null` default).
#[inline(always)]
fn member_key(instance: u64, kinds_id: u8) -> u64 {
    fast_key::probe(instance, fast_key::default_class(&serde_json::Value::Null))
        | u64::from(kinds_id)
}

impl Summarizer {
    /// The key of the tree of the flag value `instance` for contexts of kinds `kinds_id`
    /// (what the other tree calls take), or [`fast_key::NO_KEY`] if there can be none.
    #[inline]
    pub(crate) fn tree_key(instance: u64, kinds_id: u8) -> u64 {
        tree_key(instance, kinds_id)
    }

    /// What this thread (its state in `tally`) has in the table entry of the tree of key `key`
    /// ([`Summarizer::tree_key`]) for the data set `generation`.
    #[inline]
    pub(crate) fn tree_slot(&self, tally: &ThreadTally, key: u64, generation: u64) -> TreeSlot {
        let Ok(local) = tally.local.try_borrow_mut() else {
            return TreeSlot::Taken;
        };
        if local.summarizer_id != self.id || key == fast_key::NO_KEY {
            return TreeSlot::Taken;
        }
        match &local.trees[tree_slot(key)] {
            Some(t) if t.generation == generation => match t.key.load(Ordering::Relaxed) {
                live if live == key => TreeSlot::Found,
                fast_key::NO_KEY => TreeSlot::Vacant,
                _ => TreeSlot::Taken,
            },
            _ => TreeSlot::Vacant,
        }
    }

    /// One more evaluation through every member of the tree that [`Summarizer::tree_slot`]
    /// found (counted even if the flusher retired it meanwhile: it reports a retired tree once
    /// more). False if the tree is not there, which cannot happen between the two calls on one
    /// thread.
    #[inline]
    pub(crate) fn count_tree(&self, tally: &ThreadTally, key: u64, generation: u64) -> bool {
        let Ok(local) = tally.local.try_borrow_mut() else {
            return false;
        };
        match &local.trees[tree_slot(key)] {
            Some(t)
                if local.summarizer_id == self.id
                    && t.home == key
                    && t.generation == generation =>
            {
                bump(&t.count);
                true
            }
            _ => false,
        }
    }

    /// Counts an evaluation that met the first `evaluated` members of the tree that
    /// [`Summarizer::tree_slot`] found, each serving its required variation but the last, which
    /// served `last_served` and did not pass. False if the tree is not there (see
    /// [`Summarizer::count_tree`]), or the count does not fit it (no member met, or a variation
    /// its flag does not have), neither of which an evaluation in the tree's data set can do.
    #[cold]
    #[inline(never)]
    pub(crate) fn count_tree_prefix(
        &self,
        tally: &ThreadTally,
        key: u64,
        generation: u64,
        evaluated: usize,
        last_served: Option<usize>,
    ) -> bool {
        let Ok(local) = tally.local.try_borrow_mut() else {
            return false;
        };
        let Some(t) = &local.trees[tree_slot(key)] else {
            return false;
        };
        if local.summarizer_id != self.id || t.home != key || t.generation != generation {
            return false;
        }
        let Some(last) = evaluated.checked_sub(1).and_then(|i| t.members.get(i)) else {
            return false;
        };
        match last.failed.get(counter_of(last_served)) {
            Some(count) => {
                bump(count);
                true
            }
            None => false,
        }
    }

    /// Leaves a tree of key `key` ([`Summarizer::tree_key`], for contexts of kinds
    /// `kinds_id`) for the data set `generation`, whose evaluation just passed through the
    /// prerequisites `instances` (flag values) serving `counters` (the counters of their
    /// variations), all counted by the fast path: if the tree's table entry is
    /// [`TreeSlot::Vacant`] and each member's cell is in this thread's direct-mapped table and
    /// never needs more than the summary. Allocates only when it does leave a tree.
    #[cold]
    #[inline(never)]
    pub(crate) fn learn_tree(
        &self,
        tally: &ThreadTally,
        key: u64,
        kinds_id: u8,
        generation: u64,
        instances: &[std::cell::Cell<u64>],
        counters: &[std::cell::Cell<u8>],
    ) {
        if self.tree_slot(tally, key, generation) != TreeSlot::Vacant || instances.is_empty() {
            return;
        }
        let Ok(mut local) = tally.local.try_borrow_mut() else {
            return;
        };
        let mut learned = Vec::with_capacity(instances.len());
        for (member, required) in instances.iter().zip(counters) {
            let (member, required) = (member.get(), usize::from(required.get()));
            let key = member_key(member, kinds_id);
            let Some(cell) = &local.fast[fast_key::slot(key)] else {
                return;
            };
            if cell.fast_key.load(Ordering::Relaxed) != key || required >= cell.counts.len() {
                return;
            }
            learned.push(Member {
                cell: Arc::clone(cell),
                required,
                failed: cell.counts.iter().map(|_| AtomicU64::new(0)).collect(),
            });
        }
        let reported_failed = learned
            .iter()
            .map(|m| vec![0; m.failed.len()].into_boxed_slice())
            .collect();
        let tree = Arc::new(Tree {
            home: key,
            key: AtomicU64::new(key),
            generation,
            members: learned.into_boxed_slice(),
            count: AtomicU64::new(0),
        });
        self.registry.trees.lock().push(RegisteredTree {
            tree: Arc::clone(&tree),
            reported: 0,
            reported_failed,
            idle_windows: 0,
            retiring: false,
        });
        // The tree it replaces, if any, is left to the flusher, which retires it once this
        // thread has let go.
        local.trees[tree_slot(key)] = Some(tree);
    }

    /// The flusher's part: adds each tree's counts since the last report to the summary
    /// counters of its members, and retires trees that are idle or whose thread let go.
    /// Returns how many prerequisite evaluations that was: each a sighting of a known context,
    /// as the fast path's counts are (diagnostics).
    pub(super) fn report_trees(&self, flags: &mut super::FlagSummaries) -> u64 {
        let mut sightings = 0;
        self.registry.trees.lock().retain_mut(|r| {
            let members = &r.tree.members;
            let total = r.tree.count.load(Ordering::Acquire);
            let mut moved = total > r.reported;
            if moved {
                let delta = total - r.reported;
                for m in members.iter() {
                    add_to_summary(flags, &m.cell, m.required, delta);
                }
                sightings += delta * members.len() as u64;
                r.reported = total;
            }
            for (last, (m, reported)) in members.iter().zip(&mut r.reported_failed).enumerate() {
                for (served, (count, reported)) in
                    m.failed.iter().zip(reported.iter_mut()).enumerate()
                {
                    let total = count.load(Ordering::Acquire);
                    if total <= *reported {
                        continue;
                    }
                    let delta = total - *reported;
                    *reported = total;
                    moved = true;
                    for before in &members[..last] {
                        add_to_summary(flags, &before.cell, before.required, delta);
                    }
                    add_to_summary(flags, &m.cell, served, delta);
                    sightings += delta * (last as u64 + 1);
                }
            }
            if moved {
                r.idle_windows = 0;
            } else {
                r.idle_windows += 1;
            }
            if r.retiring {
                return false;
            }
            // As for cells: the owner may count once more before it sees the mark, so a
            // retired tree stays one more window for a final report.
            if !moved
                && (Arc::strong_count(&r.tree) == 1
                    || r.idle_windows >= IDLE_WINDOWS_BEFORE_RETIRING)
            {
                r.tree.key.store(fast_key::NO_KEY, Ordering::Relaxed);
                r.retiring = true;
            }
            true
        });
        sightings
    }
}
