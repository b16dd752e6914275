//! Summary counters: how many times each flag produced each (variation, version), with which
//! default and for which context kinds.
//!
//! This is the one piece of event work done on the calling thread for every evaluation, so the
//! common path takes **no lock and no atomic read-modify-write**:
//!
//! - each thread counts in its own cells, kept in the thread-local list or, when the caller keeps
//!   per-thread state of its own (the SDK client does, next to its cached snapshot), in a
//!   [`ThreadTally`] it hands in, which spares a thread-local lookup. A cell is found first
//!   through a small direct-mapped table indexed by a hash of its [`fast_key`]: one word packing
//!   the flag's `ld_eval::InstanceId` (unique per flag value in the process, so it also fixes the
//!   flag's key and version), the default's class (`null`, `false`, `true` or another value,
//!   compared separately) and the id of the context's kinds list (interned per summarizer);
//!   one compare of that word verifies the cell, so no other flag or kinds list can ever count
//!   into it. A miss falls back to a thread-local map keyed by flag key (looked up with the
//!   caller's `&str`) and refills the table entry;
//! - a cell has one counter per variation of its flag value (and one for "no variation"), and
//!   the variation is not part of its key: finding the cell needs nothing the evaluation
//!   computes, so those loads do not wait for it, and only the choice of counter does. (When
//!   the variation was part of the key, every count was a chain of dependent loads that
//!   started only once the evaluation had returned, ~6 ns of a flag-off evaluation's ~10 ns
//!   of event work);
//! - whether the context is already known to the context-key cache, and its kinds id, are read
//!   from the context's own memo word (`ld_eval::ContextMemo`), written once the cache holds the
//!   context: one load instead of a table probe. A context object without a memo (built for
//!   this evaluation) is looked up by its fully-qualified key in the thread's recently seen
//!   contexts instead, out of line, and gets its memo;
//! - a cell also knows whether its flag can ever need more than the summary, so the fast path
//!   checks the flag's event settings and the reason only for flags that can;
//! - every fast-path count is a sighting of an already-known context: the flusher derives the
//!   diagnostic deduplication count from the cells (what the general path did not count);
//! - a cell is shared with the flusher through an `Arc`; only its owning thread ever writes its
//!   counters, with a plain load and store, and the flusher reports the difference from what it
//!   last reported, so nothing is ever reset under the owner's feet and no count is lost;
//! - a cell is specific to (version, default, the context's kinds), so the flusher can rebuild
//!   each flag's counters (one per variation counter that moved) and context kinds from the
//!   cells that moved in the window;
//! - new cells (a flag, default or kinds combination seen for the first time on a thread) are
//!   registered under a lock — the only allocation, once per combination and thread. Cells idle
//!   for a few windows are retired by the flusher; their owner notices with a plain load and
//!   registers a fresh one if the flag comes back, so memory follows the flags in use;
//! - the window's start time is read from the clock only by the first evaluation of a window;
//! - an evaluation whose prerequisites all pass counts them with one counter of a
//!   **prerequisite tree** ([`prerequisite_tree`]), which the flusher spreads over them.
//!
//! The per-thread state also holds each thread's recently seen contexts
//! (`context_key_cache::RecentContexts`), so that deduplicating index events of contexts the
//! thread has met costs no lock either.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::context_key_cache::{KindsTag, RecentContexts};
use crate::fast_hash::FastBuildHasher;
use crate::fast_key;
use crate::thread_tally::ThreadTally;

mod prerequisite_tree;

pub(crate) use prerequisite_tree::{MAX_MEMBERS as MAX_TREE_MEMBERS, TreeSlot};

/// The window's summaries by flag key, as the flusher builds them.
type FlagSummaries = BTreeMap<String, FlagSummary>;

/// Windows without a count after which the flusher retires a cell.
const IDLE_WINDOWS_BEFORE_RETIRING: u32 = 3;

/// One thread's counts for one (flag, version, default, context kinds): one counter per
/// variation, so that the loads that find the cell do not wait for the evaluation's variation
/// (see the module documentation).
#[derive(Debug)]
struct Cell {
    flag_key: Box<str>,
    /// The flag value counted (`ld_eval::InstanceId`), 0 when not known.
    instance: u64,
    /// What the fast path compares ([`fast_key`]): the instance, default class and kinds id,
    /// with [`fast_key::PLAIN`] when no evaluation of the flag value needs more than the
    /// summary (no full or debug events, no experiment, not excluded), so that the fast path
    /// need not check the evaluation itself. [`fast_key::NO_KEY`] once retired, or when the
    /// evaluation does not fit a key or the cell's values are not the flag's. Written by the
    /// flusher only to retire the cell.
    fast_key: AtomicU64,
    /// The context's kinds in order, joined with `,` (which a kind cannot contain).
    kinds: Box<str>,
    version: Option<u64>,
    default: Value,
    /// Per counter (see [`counter_of`]): the number of evaluations, written only by the owning
    /// thread (load + store) and read by the flusher.
    counts: Box<[AtomicU64]>,
    /// Per counter: the value served. The first is the default's (no variation), the others
    /// the flag's variations; a cell made for an evaluation whose value is not its flag's
    /// variation has one counter, for that variation and value.
    values: Box<[Value]>,
    /// The [`counter_of`] of the first counter: 0, or that variation's in a one-counter cell.
    offset: usize,
    /// The part of the counts the general path counted; the rest the fast path did, each of
    /// them a sighting of an already-known context, which the flusher adds to the diagnostic
    /// deduplication count. Written only by the owning thread.
    general: AtomicU64,
    /// Set by the flusher when it drops the cell from the registry.
    retired: AtomicBool,
}

/// The counter of an evaluation that served `variation`: 0 for none, the index + 1 otherwise
/// (saturating, so that an index no cell has a counter for finds none).
#[inline(always)]
pub(crate) fn counter_of(variation: Option<usize>) -> usize {
    variation.map_or(0, |v| v.saturating_add(1))
}

impl Cell {
    fn new<'k>(
        input: &SummaryInput<'_>,
        kinds: impl Iterator<Item = &'k str>,
        kinds_id: u8,
    ) -> Self {
        let joined = join_kinds(kinds);
        let counter = counter_of(input.variation);
        // The flag's own values when the evaluation served one of them (or the default with no
        // variation), so that the fast path can count any variation here.
        let own_values = std::iter::once(input.default).chain(input.variations);
        let flags_own = own_values
            .clone()
            .nth(counter)
            .is_some_and(|v| same_value(v, input.value));
        let (values, offset): (Box<[Value]>, usize) = if flags_own {
            (own_values.cloned().collect(), 0)
        } else {
            (Box::new([input.value.clone()]), counter)
        };
        let counts: Box<[AtomicU64]> = (0..values.len())
            .map(|i| AtomicU64::new(u64::from(i + offset == counter)))
            .collect();
        let fast_key = if flags_own {
            fast_key::cell_key(input.instance, input.default, kinds_id, input.plain)
        } else {
            fast_key::NO_KEY
        };
        Self {
            flag_key: input.flag_key.into(),
            instance: input.instance,
            fast_key: AtomicU64::new(fast_key),
            kinds: joined.into_boxed_str(),
            version: input.version,
            default: input.default.clone(),
            counts,
            values,
            offset,
            general: AtomicU64::new(1),
            retired: AtomicBool::new(false),
        }
    }

    /// Whether an evaluation described by `input` and `kinds` counts in this cell: same flag
    /// value, default and kinds, and the cell has a counter for the variation served whose
    /// value is the one served.
    #[inline]
    fn matches<'k>(&self, input: &SummaryInput<'_>, kinds: impl Iterator<Item = &'k str>) -> bool {
        self.version == input.version
            && self.instance == input.instance
            && same_str(&self.flag_key, input.flag_key)
            && same_value(&self.default, input.default)
            && self
                .counter(input.variation)
                .is_some_and(|i| same_value(&self.values[i], input.value))
            && same_kinds(&self.kinds, kinds)
    }

    /// One more evaluation that served `variation`, counted by the general path, which checked
    /// that the cell has its counter ([`Cell::matches`]); only the owning thread calls this.
    #[inline]
    fn bump_general(&self, variation: Option<usize>) {
        self.general
            .store(self.general.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if let Some(i) = self.counter(variation) {
            bump(&self.counts[i]);
        }
    }

    /// The index in `counts` and `values` of the counter of `variation`, if the cell has one.
    #[inline]
    fn counter(&self, variation: Option<usize>) -> Option<usize> {
        let i = counter_of(variation).checked_sub(self.offset)?;
        (i < self.counts.len()).then_some(i)
    }

    /// The variation counted at `index` in `counts` (see [`Cell::counter`]).
    fn variation_at(&self, index: usize) -> Option<usize> {
        (index + self.offset).checked_sub(1)
    }

    /// How many evaluations the fast path counted so far (see [`Cell::general`]).
    fn fast_count(&self) -> u64 {
        let total: u64 = self.counts.iter().map(|c| c.load(Ordering::Acquire)).sum();
        total.saturating_sub(self.general.load(Ordering::Relaxed))
    }

    /// The kinds one by one.
    fn kinds(&self) -> impl Iterator<Item = &str> {
        self.kinds.split(',').filter(|k| !k.is_empty())
    }
}

/// One more evaluation in `count`, a counter that only the calling thread (its cell's owner)
/// writes: a plain load and store, which the flusher reads.
#[inline(always)]
fn bump(count: &AtomicU64) {
    count.store(count.load(Ordering::Relaxed) + 1, Ordering::Release);
}

/// The direct-mapped table entry of an evaluation counted by the general path, for contexts
/// whose kinds have the interned id `kinds_id`: the one the fast path probes
/// ([`fast_key::slot`] of its probe key) when there is a flag at hand, else one derived from
/// the key's address.
#[inline(always)]
fn general_slot(input: &SummaryInput<'_>, kinds_id: u8) -> usize {
    let key = if input.instance != 0 {
        let class = fast_key::default_class(input.default);
        fast_key::probe(input.instance, class) | u64::from(kinds_id)
    } else {
        input.flag_key.as_ptr() as u64
    };
    fast_key::slot(key)
}

/// `a == b` for strings, with short ones compared in registers rather than by a `memcmp` call.
#[inline(always)]
fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    match a.len() {
        0 => true,
        1..=8 => crate::fast_hash::tail_word(a) == crate::fast_hash::tail_word(b),
        9..=16 => {
            let word = |s: &[u8], at: usize| {
                s.get(at..at + 8)
                    .and_then(|w| <[u8; 8]>::try_from(w).ok())
                    .map_or(0, u64::from_le_bytes)
            };
            let last = a.len() - 8;
            word(a, 0) == word(b, 0) && word(a, last) == word(b, last)
        }
        _ => a == b,
    }
}

/// Whether `kinds`, in order, are the `,`-joined `joined`.
#[inline(always)]
fn same_kinds<'k>(joined: &str, mut kinds: impl Iterator<Item = &'k str>) -> bool {
    let Some(first) = kinds.next() else {
        return joined.is_empty();
    };
    if first.len() == joined.len() {
        // The common case: a single-kind context (a multi-kind one joins at least two).
        return same_str(first, joined) && kinds.next().is_none();
    }
    same_kinds_in_list(joined, first, kinds)
}

/// [`same_kinds`] for a multi-kind context (or a mismatch): each kind in turn must be the next
/// `,`-separated part of `joined`.
#[inline(never)]
fn same_kinds_in_list<'k>(
    joined: &str,
    first: &'k str,
    kinds: impl Iterator<Item = &'k str>,
) -> bool {
    let joined = joined.as_bytes();
    let mut at = 0;
    for (i, kind) in std::iter::once(first).chain(kinds).enumerate() {
        if i > 0 {
            if joined.get(at) != Some(&b',') {
                return false;
            }
            at += 1;
        }
        let end = at + kind.len();
        if joined.get(at..end) != Some(kind.as_bytes()) {
            return false;
        }
        at = end;
    }
    at == joined.len()
}

/// Flusher-side bookkeeping for a registered cell.
#[derive(Debug)]
struct Registered {
    cell: Arc<Cell>,
    /// Per counter of the cell: its count as of the last report.
    reported: Box<[u64]>,
    /// [`Cell::fast_count`] as of the last report.
    reported_fast: u64,
    idle_windows: u32,
    /// Marked retired at the previous snapshot: report any count that raced with the marking,
    /// then let go.
    retiring: bool,
}

impl Registered {
    /// A cell reported for the first time at the next snapshot.
    fn new(cell: Arc<Cell>) -> Self {
        Self {
            reported: vec![0; cell.counts.len()].into_boxed_slice(),
            cell,
            reported_fast: 0,
            idle_windows: 0,
            retiring: false,
        }
    }
}

/// What the flusher sees: every live cell of every thread, plus window bookkeeping.
#[derive(Debug, Default)]
struct Registry {
    cells: Mutex<Vec<Registered>>,
    /// Every live prerequisite tree of every thread.
    trees: Mutex<Vec<prerequisite_tree::RegisteredTree>>,
    start_date: AtomicU64,
    /// Deduplicated context sightings, published by the threads.
    deduplicated: AtomicU64,
    /// The kinds lists met by any thread (joined with `,`), by interned id: see
    /// [`Registry::intern_kinds`].
    kinds: Mutex<Vec<Box<str>>>,
}

impl Registry {
    /// The id of the kinds list `kinds` (`user` is 0), interning it if new; ids are never
    /// reused, and once [`NOT_INTERNED`] lists have one the rest get [`NOT_INTERNED`] (their
    /// evaluations take the general path). Threads cache the answer ([`Local::kinds_id`]).
    #[cold]
    fn intern_kinds<'k>(&self, kinds: impl Iterator<Item = &'k str> + Clone) -> u8 {
        let mut interned = self.kinds.lock();
        if interned.is_empty() {
            interned.push("user".into());
        }
        if let Some(id) = interned.iter().position(|k| same_kinds(k, kinds.clone())) {
            return id as u8;
        }
        if interned.len() >= usize::from(NOT_INTERNED) {
            return NOT_INTERNED;
        }
        interned.push(join_kinds(kinds).into_boxed_str());
        (interned.len() - 1) as u8
    }
}

/// One thread's view of one summarizer: in the thread-local list, or in a caller's
/// [`ThreadTally`].
#[derive(Debug)]
pub(crate) struct Local {
    summarizer_id: u64,
    registry: Weak<Registry>,
    /// The direct-mapped cell table (see [`fast_key::slot`]), inline so that reaching an entry takes
    /// no extra load.
    fast: [Option<Arc<Cell>>; fast_key::FAST_SLOTS],
    /// Every live cell of this thread, by flag key.
    flags: HashMap<Box<str>, Vec<Arc<Cell>>, FastBuildHasher>,
    /// The direct-mapped table of this thread's prerequisite trees (see
    /// [`prerequisite_tree`]).
    trees: [Option<Arc<prerequisite_tree::Tree>>; prerequisite_tree::TREE_SLOTS],
    recent: RecentContexts,
    /// The kinds lists this thread has met (joined with `,`) with the ids the registry interned
    /// them under.
    kinds: Vec<(Box<str>, u8)>,
}

/// The kinds id of lists beyond the registry's capacity: never written in a context's memo,
/// so no evaluation with them takes the fast path.
const NOT_INTERNED: u8 = fast_key::KINDS_LIMIT;

/// How many kinds lists a thread remembers the ids of.
const LOCAL_KINDS: usize = 64;

impl Local {
    /// The state of no summarizer (id 0, which none has), that an unused [`ThreadTally`] holds.
    pub(crate) fn empty() -> Self {
        Self::with_owner(0, Weak::new(), 0)
    }

    fn new(summarizer: &Summarizer) -> Self {
        Self::with_owner(
            summarizer.id,
            Arc::downgrade(&summarizer.registry),
            summarizer.context_keys,
        )
    }

    /// No cells and no contexts yet, for the summarizer `summarizer_id` (its `registry`), whose
    /// context-key cache holds `context_keys` keys.
    fn with_owner(summarizer_id: u64, registry: Weak<Registry>, context_keys: usize) -> Self {
        Local {
            summarizer_id,
            registry,
            fast: [const { None }; fast_key::FAST_SLOTS],
            flags: HashMap::default(),
            trees: [const { None }; prerequisite_tree::TREE_SLOTS],
            recent: RecentContexts::for_capacity(context_keys),
            kinds: Vec::new(),
        }
    }

    /// For a context without a memo (one built for this evaluation), known to this thread's
    /// recent-contexts table in `generation`: its kinds id, which the entry for its
    /// fully-qualified key gives for a plain user and which is checked against the context's
    /// kinds otherwise (another context, a `user` whose key contains `:`, can have the same
    /// fully-qualified key). The context gets its memo. `None` when the thread does not know
    /// the context or its kinds. Out of line, so that the memo path stays short.
    #[cold]
    #[inline(never)]
    fn fresh_kinds(&self, context: &ld_eval::Context, generation: u64) -> Option<u8> {
        let tag = self
            .recent
            .lookup(context.fully_qualified_key_hash(), generation)?;
        let kinds_id = tag.id();
        if !tag.is_plain_user() {
            let (joined, _) = self.kinds.iter().find(|(_, id)| *id == kinds_id)?;
            // Two multi-kind contexts with the same fully-qualified key have the same kinds
            // (the key names them, and keys are escaped); a single-kind one is compared.
            let same = if joined.contains(',') {
                context.is_multi()
            } else {
                !context.is_multi()
                    && same_kinds(joined, context.contexts().iter().map(|c| c.kind().as_str()))
            };
            if kinds_id == NOT_INTERNED || !same {
                return None;
            }
        }
        context.memo().set(generation | u64::from(kinds_id));
        Some(kinds_id)
    }

    /// The registry's id for the kinds list `kinds`, from this thread's list when it has met
    /// it before.
    fn kinds_id<'k>(
        &mut self,
        registry: &Registry,
        kinds: impl Iterator<Item = &'k str> + Clone,
    ) -> u8 {
        if let Some((_, id)) = self
            .kinds
            .iter()
            .find(|(k, _)| same_kinds(k, kinds.clone()))
        {
            return *id;
        }
        let id = registry.intern_kinds(kinds.clone());
        if self.kinds.len() < LOCAL_KINDS {
            self.kinds.push((join_kinds(kinds).into_boxed_str(), id));
        }
        id
    }
}

/// Diagnostics only: sightings of known contexts that the general path deduplicated are
/// published in batches of 64, so the shared counter is not touched on every such evaluation (a
/// thread's last partial batch is reported late or not at all). The fast path's sightings are
/// counted by the flusher from the cells instead (see [`Cell::general`]).
#[inline(always)]
fn publish_deduplicated(registry: &Registry, local: &mut Local) {
    if local.recent.pending_deduplicated() >= 64 {
        let n = local.recent.take_deduplicated();
        registry.deduplicated.fetch_add(n, Ordering::Relaxed);
    }
}

/// What the fast path knows of a context in this summarizer's window (see
/// [`Summarizer::known_context`]): its memo is current (`memo_ok`), so the processor's
/// context-key cache holds it and `kinds_id` is its kinds list's id; or else the count looks
/// the context up in the thread's recent contexts ([`Local::fresh_kinds`]). A run of counts
/// for one evaluation (a flag and its prerequisites) can read this once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownContext {
    /// The context-key cache's generation it was found in.
    generation: u64,
    memo_ok: bool,
    kinds_id: u8,
}

impl KnownContext {
    /// The kinds id of a context whose memo vouched for it, so that it can stand for all the
    /// counts of one evaluation ([`KnownContext::settled`]); `None` otherwise.
    #[inline(always)]
    pub(crate) fn settled_kinds(self) -> Option<u8> {
        self.memo_ok.then_some(self.kinds_id)
    }

    /// A context whose memo vouched for it with the kinds id `kinds_id` (see
    /// [`KnownContext::settled_kinds`]).
    #[inline(always)]
    pub(crate) fn settled(kinds_id: u8) -> Self {
        Self {
            generation: 0,
            memo_ok: true,
            kinds_id,
        }
    }
}

/// The fast path's count (see [`Summarizer::count_known`]) in `local`: in the counter of
/// `variation` of the cell whose [`fast_key`] is `probe` with the context's kinds id or-ed in,
/// if the thread's direct-mapped table holds it and its flag needs nothing but the summary for
/// this evaluation (known from the cell's key, else from `needs_only_summary`). A default of
/// class [`fast_key::OTHER_DEFAULT`] is compared with the cell's too. `SETTLED`: the caller
/// knows that `known` is settled ([`KnownContext::settled`]), so the recent-contexts lookup is
/// left out.
#[inline(always)]
fn count_in<const SETTLED: bool>(
    local: &Local,
    probe: u64,
    known: KnownContext,
    context: &ld_eval::Context,
    variation: Option<usize>,
    needs_only_summary: impl Fn() -> bool,
    default: &Value,
) -> bool {
    let kinds_id = if SETTLED || known.memo_ok {
        known.kinds_id
    } else {
        match local.fresh_kinds(context, known.generation) {
            Some(kinds_id) => kinds_id,
            None => return false,
        }
    };
    let key = probe | u64::from(kinds_id);
    let Some(cell) = &local.fast[fast_key::slot(key)] else {
        return false;
    };
    // Found by its key alone: the loads up to here do not wait for the evaluation.
    let found = cell.fast_key.load(Ordering::Relaxed);
    let plain = found == key;
    if !plain && found != key & !fast_key::PLAIN {
        return false;
    }
    if fast_key::compares_default(key) && !same_value(&cell.default, default) {
        return false;
    }
    let Some(count) = cell.counts.get(counter_of(variation)) else {
        return false;
    };
    if !plain && !needs_only_summary() {
        return false;
    }
    bump(count);
    true
}

/// What [`Summarizer::record_in`] found out on the way.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Recorded {
    /// The thread's recent-contexts table vouched for the context.
    pub(crate) seen: bool,
    /// The summarizer's id for the context's kinds list.
    pub(crate) kinds_id: u8,
}

/// The kinds joined with `,` (which a kind cannot contain).
fn join_kinds<'k>(kinds: impl Iterator<Item = &'k str>) -> String {
    let mut joined = String::new();
    for kind in kinds {
        if !joined.is_empty() {
            joined.push(',');
        }
        joined.push_str(kind);
    }
    joined
}

thread_local! {
    static LOCAL: RefCell<Vec<Local>> = const { RefCell::new(Vec::new()) };
}

static NEXT_SUMMARIZER_ID: AtomicU64 = AtomicU64::new(1);

/// What one evaluation contributes to the summary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SummaryInput<'a> {
    /// The flag's `ld_eval::InstanceId`, 0 when there is no flag at hand.
    pub(crate) instance: u64,
    /// No evaluation of the flag needs more than the summary (see [`fast_key::PLAIN`]).
    pub(crate) plain: bool,
    pub(crate) flag_key: &'a str,
    pub(crate) variation: Option<usize>,
    /// The flag's variations, empty when there is no flag at hand.
    pub(crate) variations: &'a [Value],
    /// `None` for an unknown flag (written as `"unknown": true`).
    pub(crate) version: Option<u64>,
    pub(crate) value: &'a Value,
    pub(crate) default: &'a Value,
}

/// The summary counters of one event processor; see the module documentation.
#[derive(Debug)]
pub(crate) struct Summarizer {
    id: u64,
    /// Whether the current window has had a count (and so a start date). Here rather than in
    /// the registry, so that the fast path reads it with no extra load.
    window_open: AtomicBool,
    registry: Arc<Registry>,
    /// Capacity of the context-key cache, which sizes the threads' [`RecentContexts`].
    context_keys: usize,
}

impl Summarizer {
    /// A summarizer whose threads remember recently seen contexts of a context-key cache of
    /// `context_keys` keys.
    pub(crate) fn new(context_keys: usize) -> Self {
        Self {
            id: NEXT_SUMMARIZER_ID.fetch_add(1, Ordering::Relaxed),
            window_open: AtomicBool::new(false),
            registry: Arc::default(),
            context_keys,
        }
    }

    /// The memo (`ld_eval::ContextMemo`) to write on a context that the processor's
    /// context-key cache holds in `generation` (its `ContextKeyCache::generation`, which names
    /// the cache too, with the low 8 bits clear), whose kinds list has this summarizer's id
    /// `kinds_id`: the two or-ed. The cache and this summarizer belong to one processor, so the
    /// memo is exact for it; `None` when none is written (kinds beyond the registry's
    /// capacity).
    pub(crate) fn context_memo(&self, generation: u64, kinds_id: u8) -> Option<u64> {
        (kinds_id != NOT_INTERNED).then_some(generation | u64::from(kinds_id))
    }

    /// What the fast path knows of `context` now (see [`KnownContext`]): `None` when it
    /// cannot count (the window is not open), else whether the context's memo says that the
    /// processor's context-key cache holds it in `generation` (see
    /// [`Summarizer::context_memo`]), and with which kinds id. Changes nothing.
    #[inline(always)]
    pub(crate) fn known_context(
        &self,
        context: &ld_eval::Context,
        generation: u64,
    ) -> Option<KnownContext> {
        if !self.window_open.load(Ordering::Relaxed) {
            return None;
        }
        let memo = context.memo().get();
        Some(KnownContext {
            generation,
            memo_ok: memo & !0xff == generation,
            kinds_id: memo as u8,
        })
    }

    /// Counts, if the context is known to the processor's context-key cache (as `known` says,
    /// or else as this thread's recent-contexts entry for its fully-qualified key says, when
    /// its kinds are known; the context then gets its memo) and the thread's
    /// direct-mapped table (in `tally`, or else in the thread-local list) holds the cell of
    /// this evaluation: the cell is found by the flag's `instance` id (`ld_eval::InstanceId`,
    /// unique in the process), the default's class and the kinds id, packed in one
    /// [`fast_key`] and compared at once, so another flag, or a flag that took a freed flag's
    /// address, never matches; it counts in its counter of `variation`. False, having changed
    /// nothing but the memo, otherwise.
    /// `SETTLED` as for [`count_in`].
    #[allow(clippy::too_many_arguments)] // plain arguments, passed in registers
    #[inline(always)]
    pub(crate) fn count_known<const SETTLED: bool, V: Borrow<Value>>(
        &self,
        tally: Option<&ThreadTally>,
        known: KnownContext,
        context: &ld_eval::Context,
        instance: u64,
        variation: Option<usize>,
        needs_only_summary: impl Fn() -> bool,
        default: impl Fn() -> V,
    ) -> bool {
        let default = default();
        let probe = fast_key::probe(instance, fast_key::default_class(default.borrow()));
        let default_value = default.borrow();
        let id = self.id;
        // A mutable borrow is the cheaper check (the flag is compared with 0, not a bound).
        let counted = match tally {
            Some(tally) => match tally.local.try_borrow_mut() {
                Ok(local) if local.summarizer_id == id => count_in::<SETTLED>(
                    &local,
                    probe,
                    known,
                    context,
                    variation,
                    needs_only_summary,
                    default_value,
                ),
                _ => false,
            },
            // A `move` closure: it captures these plain values themselves rather than
            // references to them, which spares a load per value.
            None => LOCAL
                .try_with(move |locals| {
                    let Ok(locals) = locals.try_borrow_mut() else {
                        return false;
                    };
                    let local = match locals.first() {
                        Some(first) if first.summarizer_id == id => first,
                        _ => match locals.iter().find(|l| l.summarizer_id == id) {
                            Some(local) => local,
                            None => return false,
                        },
                    };
                    count_in::<SETTLED>(
                        local,
                        probe,
                        known,
                        context,
                        variation,
                        needs_only_summary,
                        default_value,
                    )
                })
                .unwrap_or(false),
        };
        if matches!(default.borrow(), Value::Null | Value::Bool(_)) {
            // Owns nothing: skipping its destructor leaks nothing, and lets the compiler see that a
            // scalar default built just for this is never dropped.
            std::mem::forget(default);
        }
        counted
    }

    /// Runs `f` on this thread's state for this summarizer, creating it on first use: the
    /// state in `tally` if one is given (taking it over if it is empty or its summarizer is
    /// gone; if it is another live summarizer's, or in use, the thread-local list's is used
    /// instead), else the one in the thread-local list.
    #[inline]
    fn with_local<T>(
        &self,
        tally: Option<&ThreadTally>,
        f: impl FnOnce(&mut Local) -> T,
    ) -> Option<T> {
        if let Some(tally) = tally
            && let Ok(mut local) = tally.local.try_borrow_mut()
        {
            // An empty tally's summarizer (id 0) is never alive.
            if local.summarizer_id != self.id && local.registry.strong_count() == 0 {
                *local = Local::new(self);
            }
            if local.summarizer_id == self.id {
                return Some(f(&mut local));
            }
        }
        LOCAL
            .try_with(|locals| {
                let mut locals = locals.borrow_mut();
                let index = match locals.iter().position(|l| l.summarizer_id == self.id) {
                    Some(i) => i,
                    None => {
                        // First use on this thread: also forget summarizers that are gone.
                        locals.retain(|l| l.registry.strong_count() > 0);
                        locals.push(Local::new(self));
                        locals.len() - 1
                    }
                };
                f(&mut locals[index])
            })
            .ok()
    }

    /// Whether this thread saw the context `(hash, generation)` lately; see
    /// [`RecentContexts::seen`]. Used when the evaluation itself is not counted.
    pub(crate) fn seen_recently(&self, tally: Option<&ThreadTally>, context: (u64, u64)) -> bool {
        self.with_local(tally, |local| self.check_recent(local, context))
            .unwrap_or(false)
    }

    #[inline]
    fn check_recent(&self, local: &mut Local, (hash, generation): (u64, u64)) -> bool {
        let seen = local.recent.seen(hash, generation);
        if seen {
            publish_deduplicated(&self.registry, local);
        }
        seen
    }

    /// Deduplicated context sightings published since the last call.
    pub(crate) fn take_deduplicated(&self) -> u64 {
        self.registry.deduplicated.swap(0, Ordering::Relaxed)
    }

    /// [`Summarizer::record_in`] on the thread-local state.
    #[cfg(test)]
    fn record<'k, K>(
        &self,
        input: SummaryInput<'_>,
        kinds: K,
        context: Option<(u64, u64)>,
        now: impl FnOnce() -> u64,
    ) -> bool
    where
        K: Iterator<Item = &'k str> + Clone,
    {
        self.record_in(None, input, kinds, context, now).seen
    }

    /// Counts one evaluation, in `tally`'s state if given (see [`Summarizer::with_local`]).
    /// `kinds` are the context's kinds; `now` is called only by the first count of a window.
    /// With `context` (identity hash, cache generation), also says whether this thread saw that
    /// context lately.
    #[inline]
    pub(crate) fn record_in<'k, K>(
        &self,
        tally: Option<&ThreadTally>,
        input: SummaryInput<'_>,
        kinds: K,
        context: Option<(u64, u64)>,
        now: impl FnOnce() -> u64,
    ) -> Recorded
    where
        K: Iterator<Item = &'k str> + Clone,
    {
        let registry = &*self.registry;
        if !self.window_open.load(Ordering::Relaxed)
            && !self.window_open.swap(true, Ordering::AcqRel)
        {
            registry.start_date.store(now().max(1), Ordering::Relaxed);
        }
        let counted = self.with_local(tally, |local| {
            let seen = context.is_some_and(|id| self.check_recent(local, id));
            let kinds_id = local.kinds_id(registry, kinds.clone());
            let slot = general_slot(&input, kinds_id);
            match &local.fast[slot] {
                Some(cell)
                    if cell.matches(&input, kinds.clone())
                        && !cell.retired.load(Ordering::Relaxed) =>
                {
                    cell.bump_general(input.variation);
                }
                _ => self.record_in_map(local, slot, &input, kinds.clone(), kinds_id),
            }
            Recorded { seen, kinds_id }
        });
        match counted {
            Some(recorded) => recorded,
            None => {
                // This thread's locals are being torn down (a count from a thread-local
                // destructor): count it in a cell of its own.
                registry
                    .cells
                    .lock()
                    .push(Registered::new(Arc::new(Cell::new(
                        &input,
                        kinds,
                        NOT_INTERNED,
                    ))));
                Recorded {
                    seen: false,
                    kinds_id: NOT_INTERNED,
                }
            }
        }
    }

    /// The slow path of [`Summarizer::record_in`]: the cell is not in the direct-mapped table, so
    /// find it in the map (registering a new one if needed), count, and cache it in `slot`.
    #[cold]
    #[inline(never)]
    fn record_in_map<'k>(
        &self,
        local: &mut Local,
        slot: usize,
        input: &SummaryInput<'_>,
        kinds: impl Iterator<Item = &'k str> + Clone,
        kinds_id: u8,
    ) {
        let cells = match local.flags.get_mut(input.flag_key) {
            Some(cells) => cells,
            None => local.flags.entry(input.flag_key.into()).or_default(),
        };
        let found = cells.iter().position(|c| c.matches(input, kinds.clone()));
        let cell = match found {
            Some(i) if !cells[i].retired.load(Ordering::Relaxed) => {
                cells[i].bump_general(input.variation);
                Arc::clone(&cells[i])
            }
            found => {
                if let Some(i) = found {
                    cells.swap_remove(i);
                }
                let cell = Arc::new(Cell::new(input, kinds, kinds_id));
                self.registry
                    .cells
                    .lock()
                    .push(Registered::new(Arc::clone(&cell)));
                cells.push(Arc::clone(&cell));
                cell
            }
        };
        // A retired cell left in the table is replaced here; one of a flag no longer evaluated
        // stays until its entry is reused (the flusher has let go of it; so will this thread).
        local.fast[slot] = Some(cell);
    }

    /// Remembers on this thread (in `tally`'s state if given) that the shared context-key
    /// cache holds the context `hash` in `generation`, so the next evaluation with it skips the
    /// shared cache.
    /// `plain_user` and `kinds` (the context's) as for [`KindsTag`].
    pub(crate) fn remember_context<'k>(
        &self,
        tally: Option<&ThreadTally>,
        hash: u64,
        generation: u64,
        plain_user: bool,
        kinds: impl Iterator<Item = &'k str> + Clone,
    ) {
        self.with_local(tally, |local| {
            let tag = if plain_user {
                KindsTag::PLAIN_USER
            } else {
                KindsTag::interned(local.kinds_id(&self.registry, kinds))
            };
            local.recent.remember(hash, generation, tag);
        });
    }

    /// Reports what was counted since the last call and starts a new window. Returns `None` when
    /// nothing was counted.
    pub(crate) fn snapshot_and_reset(&self, now: u64) -> Option<SummarySnapshot> {
        let registry = &*self.registry;
        let was_open = self.window_open.swap(false, Ordering::AcqRel);
        let start_date = registry.start_date.load(Ordering::Relaxed);
        let mut flags = FlagSummaries::new();
        let mut cells = registry.cells.lock();
        let mut fast = 0;
        cells.retain_mut(|r| {
            let mut delta = 0;
            for (index, (count, reported)) in r.cell.counts.iter().zip(&mut r.reported).enumerate()
            {
                let total = count.load(Ordering::Acquire);
                if total > *reported {
                    add_to_summary(&mut flags, &r.cell, index, total - *reported);
                    delta += total - *reported;
                    *reported = total;
                }
            }
            // Every fast-path count was a sighting of a known context (diagnostics).
            let fast_total = r.cell.fast_count();
            fast += fast_total.saturating_sub(r.reported_fast);
            r.reported_fast = r.reported_fast.max(fast_total);
            if delta > 0 {
                r.idle_windows = 0;
            } else {
                r.idle_windows += 1;
            }
            if r.retiring {
                return false;
            }
            // Retire long-idle cells and those whose thread has exited (the registry holds the
            // last reference). The owner may bump the count once more before it sees the mark,
            // so a retired cell stays one more window for a final report.
            if delta == 0
                && (Arc::strong_count(&r.cell) == 1
                    || r.idle_windows >= IDLE_WINDOWS_BEFORE_RETIRING)
            {
                r.cell.retired.store(true, Ordering::Relaxed);
                r.cell.fast_key.store(fast_key::NO_KEY, Ordering::Relaxed);
                r.retiring = true;
            }
            true
        });
        drop(cells);
        fast += self.report_trees(&mut flags);
        registry.deduplicated.fetch_add(fast, Ordering::Relaxed);
        if flags.is_empty() {
            return None;
        }
        for summary in flags.values_mut() {
            summary.counters.sort_by_key(|c| (c.version, c.variation));
            summary.context_kinds.sort();
        }
        let start_date = if was_open && start_date > 0 {
            start_date
        } else {
            now
        };
        Some(SummarySnapshot {
            start_date,
            end_date: now.max(start_date),
            flags,
        })
    }
}

/// `a == b`, with the usual scalar defaults compared inline (this runs on every evaluation).
#[inline(always)]
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => same_str(x, y),
        _ => same_json(a, b),
    }
}

/// `a == b` for the rest (numbers, arrays, objects): out of line.
#[inline(never)]
fn same_json(a: &Value, b: &Value) -> bool {
    a == b
}

/// Adds `delta` evaluations counted in the cell `c`'s counter at `index` to the window's
/// summary.
fn add_to_summary(flags: &mut FlagSummaries, c: &Cell, index: usize, delta: u64) {
    let variation = c.variation_at(index);
    let summary = flags
        .entry(c.flag_key.to_string())
        .or_insert_with(|| FlagSummary {
            default: c.default.clone(),
            counters: Vec::new(),
            context_kinds: Vec::new(),
        });
    match summary
        .counters
        .iter_mut()
        .find(|x| x.variation == variation && x.version == c.version)
    {
        Some(existing) => existing.count += delta,
        None => summary.counters.push(CounterSummary {
            variation,
            version: c.version,
            value: c.values[index].clone(),
            count: delta,
        }),
    }
    for kind in c.kinds() {
        if !summary.context_kinds.iter().any(|k| k == kind) {
            summary.context_kinds.push(kind.to_owned());
        }
    }
}

/// One window of summary counters, ready to be written as a `summary` event.
#[derive(Debug, Clone, PartialEq)]
pub struct SummarySnapshot {
    pub(crate) start_date: u64,
    pub(crate) end_date: u64,
    pub(crate) flags: BTreeMap<String, FlagSummary>,
}

impl SummarySnapshot {
    /// Total evaluations counted for `flag_key` in this window.
    pub fn count_for(&self, flag_key: &str) -> u64 {
        self.flags
            .get(flag_key)
            .map_or(0, |f| f.counters.iter().map(|c| c.count).sum())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FlagSummary {
    pub(crate) default: Value,
    pub(crate) counters: Vec<CounterSummary>,
    pub(crate) context_kinds: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CounterSummary {
    pub(crate) variation: Option<usize>,
    pub(crate) version: Option<u64>,
    pub(crate) value: Value,
    pub(crate) count: u64,
}

/// `{"kind":"summary","startDate":…,"endDate":…,"features":{…}}`
impl Serialize for SummarySnapshot {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(4))?;
        map.serialize_entry("kind", "summary")?;
        map.serialize_entry("startDate", &self.start_date)?;
        map.serialize_entry("endDate", &self.end_date)?;
        map.serialize_entry("features", &self.flags)?;
        map.end()
    }
}

impl Serialize for FlagSummary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("default", &self.default)?;
        map.serialize_entry("counters", &Counters(&self.counters))?;
        map.serialize_entry("contextKinds", &self.context_kinds)?;
        map.end()
    }
}

struct Counters<'a>(&'a [CounterSummary]);

impl Serialize for Counters<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for c in self.0 {
            seq.serialize_element(c)?;
        }
        seq.end()
    }
}

impl Serialize for CounterSummary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        if let Some(variation) = self.variation {
            map.serialize_entry("variation", &variation)?;
        }
        match self.version {
            Some(version) => map.serialize_entry("version", &version)?,
            None => map.serialize_entry("unknown", &true)?,
        }
        map.serialize_entry("value", &self.value)?;
        map.serialize_entry("count", &self.count)?;
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input<'a>(
        key: &'a str,
        variation: Option<usize>,
        value: &'a Value,
        default: &'a Value,
    ) -> SummaryInput<'a> {
        SummaryInput {
            instance: 0,
            plain: false,
            flag_key: key,
            variation,
            variations: &[],
            version: Some(7),
            value,
            default,
        }
    }

    #[test]
    fn fast_counts_land_in_the_served_variations_counter_of_the_one_cell() {
        use ld_eval::ContextBuilder;
        let s = Summarizer::new(10);
        let tally = ThreadTally::default();
        let variations = [json!("a"), json!("b"), json!("c")];
        let d = json!(null);
        // The general path makes the cell, with a counter for each variation.
        let make_cell = |instance, plain, key| {
            let first = SummaryInput {
                instance,
                plain,
                variations: &variations,
                ..input(key, Some(0), &variations[0], &d)
            };
            s.record_in(Some(&tally), first, ["user"].into_iter(), None, || 1);
        };
        make_cell(11, true, "f");
        // The first kinds list this summarizer met has id 0.
        let generation = 5 << 8;
        let context = ContextBuilder::new("u1").build().unwrap();
        context.memo().set(generation);
        let known = s.known_context(&context, generation);
        let fast = |known: Option<KnownContext>, instance, default: &Value, variation, needs| {
            known.is_some_and(|known| {
                s.count_known::<false, _>(
                    Some(&tally),
                    known,
                    &context,
                    instance,
                    variation,
                    || needs,
                    || default,
                )
            })
        };
        for variation in [Some(2), Some(1), Some(1), None, Some(2), Some(2)] {
            assert!(fast(known, 11, &d, variation, true), "{variation:?}");
        }
        // A variation the flag does not have, another flag value and another default are
        // left to the general path.
        assert!(!fast(known, 11, &d, Some(3), true));
        assert!(!fast(known, 12, &d, Some(0), true));
        assert!(!fast(known, 11, &json!(false), Some(0), true));
        assert!(!fast(None, 11, &d, Some(0), true));
        // A flag whose evaluations can need more than the summary asks each evaluation.
        make_cell(13, false, "g");
        assert!(!fast(known, 13, &d, Some(1), false));
        assert!(fast(known, 13, &d, Some(1), true));

        let out = serde_json::to_string(&s.snapshot_and_reset(60).unwrap()).unwrap();
        assert_eq!(
            out,
            r#"{"kind":"summary","startDate":1,"endDate":60,"features":{"f":{"default":null,"counters":[{"version":7,"value":null,"count":1},{"variation":0,"version":7,"value":"a","count":1},{"variation":1,"version":7,"value":"b","count":2},{"variation":2,"version":7,"value":"c","count":3}],"contextKinds":["user"]},"g":{"default":null,"counters":[{"variation":0,"version":7,"value":"a","count":1},{"variation":1,"version":7,"value":"b","count":1}],"contextKinds":["user"]}}}"#
        );
    }

    #[test]
    fn a_served_value_that_is_not_the_flags_variation_is_counted_with_that_value() {
        let s = Summarizer::new(10);
        let tally = ThreadTally::default();
        let variations = [json!(true), json!(false)];
        let (odd, d) = (json!("odd"), json!(null));
        let record = |variation, value| {
            let input = SummaryInput {
                instance: 11,
                plain: true,
                variations: &variations,
                ..input("f", variation, value, &d)
            };
            s.record_in(Some(&tally), input, ["user"].into_iter(), None, || 1);
        };
        record(Some(1), &odd);
        record(Some(1), &odd);
        record(Some(9), &odd);
        record(None, &odd);
        record(Some(0), &variations[0]);
        let out = serde_json::to_string(&s.snapshot_and_reset(2).unwrap()).unwrap();
        assert!(
            out.contains(r#""counters":[{"version":7,"value":"odd","count":1},{"variation":0,"version":7,"value":true,"count":1},{"variation":1,"version":7,"value":"odd","count":2},{"variation":9,"version":7,"value":"odd","count":1}]"#),
            "{out}"
        );
    }

    #[test]
    fn counts_group_by_variation_and_collect_kinds() {
        let s = Summarizer::new(100);
        let (t, f, d) = (json!(true), json!(false), json!(null));
        s.record(
            input("a", Some(0), &t, &d),
            ["user"].into_iter(),
            None,
            || 1000,
        );
        s.record(
            input("a", Some(0), &t, &d),
            ["org", "user"].into_iter(),
            None,
            || 2000,
        );
        s.record(
            input("a", Some(1), &f, &d),
            ["user"].into_iter(),
            None,
            || 3000,
        );
        let snap = s.snapshot_and_reset(5000).unwrap();
        assert_eq!(snap.start_date, 1000);
        assert_eq!(snap.end_date, 5000);
        assert_eq!(snap.count_for("a"), 3);
        assert_eq!(
            serde_json::to_string(&snap).unwrap(),
            r#"{"kind":"summary","startDate":1000,"endDate":5000,"features":{"a":{"default":null,"counters":[{"variation":0,"version":7,"value":true,"count":2},{"variation":1,"version":7,"value":false,"count":1}],"contextKinds":["org","user"]}}}"#
        );
    }

    #[test]
    fn a_reset_window_reports_nothing_and_idle_flags_are_forgotten() {
        let s = Summarizer::new(100);
        let v = json!(1);
        s.record(
            input("a", Some(0), &v, &v),
            ["user"].into_iter(),
            None,
            || 10,
        );
        assert!(s.snapshot_and_reset(20).is_some());
        for now in 30..31 + u64::from(IDLE_WINDOWS_BEFORE_RETIRING) {
            assert!(s.snapshot_and_reset(now).is_none());
        }
        assert!(s.registry.cells.lock().is_empty(), "idle cells are retired");
        // A retired cell's owner registers a fresh one and keeps counting.
        s.record(
            input("a", Some(0), &v, &v),
            ["user"].into_iter(),
            None,
            || 50,
        );
        s.record(
            input("a", Some(0), &v, &v),
            ["user"].into_iter(),
            None,
            || 50,
        );
        assert_eq!(s.snapshot_and_reset(60).unwrap().count_for("a"), 2);
    }

    #[test]
    fn a_fresh_object_of_a_remembered_context_is_counted_when_its_kinds_are_known() {
        use ld_eval::ContextBuilder;
        let s = Summarizer::new(10);
        let tally = ThreadTally::default();
        let (v, d) = (json!(true), json!(null));
        let generation = 5 << 8;
        let counted = |instance: u64, context: &ld_eval::Context| {
            s.known_context(context, generation).is_some_and(|known| {
                s.count_known::<false, _>(
                    Some(&tally),
                    known,
                    context,
                    instance,
                    Some(0),
                    || true,
                    || &d,
                )
            })
        };
        let seen = |instance, kinds: &'static [&'static str], context: &ld_eval::Context, plain| {
            let input = SummaryInput {
                instance,
                plain: true,
                variations: std::slice::from_ref(&v),
                ..input("a", Some(0), &v, &d)
            };
            s.record_in(Some(&tally), input, kinds.iter().copied(), None, || 1);
            let hash = context.fully_qualified_key_hash();
            s.remember_context(Some(&tally), hash, generation, plain, kinds.iter().copied());
        };

        // A plain user: its entry vouches for its kinds, and the fresh object gets its memo.
        seen(
            11,
            &["user"],
            &ContextBuilder::new("u1").build().unwrap(),
            true,
        );
        let fresh = ContextBuilder::new("u1").build().unwrap();
        assert!(counted(11, &fresh));
        assert_eq!(fresh.memo().get(), generation, "user kinds have id 0");

        // An org and a user whose key makes the same fully-qualified key, `org:o1`: the entry
        // written for the org does not count the user in the org's cell.
        let org = ContextBuilder::new("o1").kind("org").build().unwrap();
        seen(12, &["org"], &org, false);
        let colon_user = ContextBuilder::new("org:o1").build().unwrap();
        assert_eq!(colon_user.fully_qualified_key(), org.fully_qualified_key());
        assert!(!counted(12, &colon_user));
        assert_eq!(colon_user.memo().get(), 0);
        assert!(counted(
            12,
            &ContextBuilder::new("o1").kind("org").build().unwrap()
        ));

        // A multi-kind context.
        let multi = || {
            ld_eval::MultiContextBuilder::new()
                .push(ContextBuilder::new("o1").kind("org").build().unwrap())
                .push(ContextBuilder::new("u1").build().unwrap())
                .build()
                .unwrap()
        };
        seen(13, &["org", "user"], &multi(), false);
        assert!(counted(13, &multi()));
        let colon_user = ContextBuilder::new("org:o1:user:u1").build().unwrap();
        assert_eq!(
            colon_user.fully_qualified_key(),
            multi().fully_qualified_key()
        );
        assert!(!counted(13, &colon_user));
        assert_eq!(s.snapshot_and_reset(2).unwrap().count_for("a"), 6);
    }

    #[test]
    fn a_tally_serves_its_first_summarizer_until_that_one_is_gone() {
        let tally = ThreadTally::default();
        let owner_of = |tally: &ThreadTally| {
            let id = tally.local.borrow().summarizer_id;
            (id != 0).then_some(id)
        };
        let (v, d) = (json!(true), json!(null));
        let record = |s: &Summarizer| {
            s.record_in(
                Some(&tally),
                input("a", Some(0), &v, &d),
                ["user"].into_iter(),
                None,
                || 1,
            );
        };
        let first = Summarizer::new(10);
        record(&first);
        assert_eq!(owner_of(&tally), Some(first.id));
        let second = Summarizer::new(10);
        record(&second);
        assert_eq!(
            owner_of(&tally),
            Some(first.id),
            "a live summarizer keeps its tally"
        );
        assert_eq!(second.snapshot_and_reset(2).unwrap().count_for("a"), 1);
        drop(first);
        record(&second);
        assert_eq!(owner_of(&tally), Some(second.id));
        assert_eq!(second.snapshot_and_reset(3).unwrap().count_for("a"), 1);
    }

    #[test]
    fn counts_of_exited_threads_are_reported_then_their_cells_released() {
        let s = Arc::new(Summarizer::new(100));
        // Plain spawned threads, joined: `join` returns only after a thread has fully exited,
        // thread-local destructors included, whereas `thread::scope` may return before them.
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    let v = json!(true);
                    for _ in 0..5 {
                        s.record(
                            input("a", Some(0), &v, &v),
                            ["user"].into_iter(),
                            None,
                            || 1,
                        );
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().expect("recording thread panicked");
        }
        assert_eq!(s.snapshot_and_reset(2).unwrap().count_for("a"), 15);
        assert!(s.snapshot_and_reset(3).is_none());
        assert!(s.snapshot_and_reset(4).is_none());
        assert!(s.registry.cells.lock().is_empty());
    }

    #[test]
    fn unknown_flags_are_marked_unknown_without_variation() {
        let s = Summarizer::new(100);
        let d = json!("dflt");
        s.record(
            SummaryInput {
                instance: 0,
                plain: false,
                flag_key: "missing",
                variation: None,
                variations: &[],
                version: None,
                value: &d,
                default: &d,
            },
            ["user"].into_iter(),
            None,
            || 1,
        );
        let out = serde_json::to_string(&s.snapshot_and_reset(2).unwrap()).unwrap();
        assert!(
            out.contains(r#""counters":[{"unknown":true,"value":"dflt","count":1}]"#),
            "{out}"
        );
    }
}
