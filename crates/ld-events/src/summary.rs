//! Summary counters: how many times each flag produced each (variation, version), with which
//! default and for which context kinds.
//!
//! This is the one piece of event work done on the calling thread for every evaluation, so it is
//! built to be cheap and allocation-free in the steady state:
//!
//! - counters are **striped by thread**: each thread is assigned a stripe on first use, so two
//!   threads evaluating the same flag do not contend on one lock (threads beyond the stripe count
//!   share stripes);
//! - a stripe maps flag key → counters in a `HashMap<Box<str>, _>` looked up with the caller's
//!   `&str`, and the few (variation, version) counters of a flag live in a small vector;
//! - a flush does not empty the maps: it copies the counts out and zeroes them in place, so the next
//!   evaluation of a known flag finds its entry and allocates nothing. Entries that stayed at zero
//!   for a whole flush interval are removed, which bounds memory to the flags recently evaluated;
//! - the window's start time is read from the clock only by the first evaluation of a window on a
//!   stripe; its end time is the moment of the flush.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};

use parking_lot::Mutex;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

use crate::fast_hash::FastBuildHasher;

/// Counters for one flag in one stripe.
#[derive(Debug)]
struct FlagCounters {
    default: Value,
    counters: Vec<Counter>,
    /// Context kinds, each with "seen in the current window".
    kinds: Vec<(Box<str>, bool)>,
}

#[derive(Debug)]
struct Counter {
    variation: Option<usize>,
    version: Option<u64>,
    value: Value,
    count: u64,
}

#[derive(Debug, Default)]
struct Stripe {
    flags: HashMap<Box<str>, FlagCounters, FastBuildHasher>,
    /// Unix milliseconds of the first count of the current window; 0 while the window is empty.
    start_date: u64,
}

/// One stripe on its own cache lines, so stripes used by different cores do not false-share.
#[derive(Debug, Default)]
#[repr(align(128))]
struct PaddedStripe(Mutex<Stripe>);

/// The striped summary counters; see the module documentation.
#[derive(Debug)]
pub(crate) struct Summarizer {
    stripes: Box<[PaddedStripe]>,
    mask: usize,
}

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static THREAD_STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

fn thread_stripe() -> usize {
    THREAD_STRIPE.with(|cell| {
        let mut index = cell.get();
        if index == usize::MAX {
            index = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed);
            cell.set(index);
        }
        index
    })
}

/// What one evaluation contributes to the summary.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SummaryInput<'a> {
    pub(crate) flag_key: &'a str,
    pub(crate) variation: Option<usize>,
    /// `None` for an unknown flag (written as `"unknown": true`).
    pub(crate) version: Option<u64>,
    pub(crate) value: &'a Value,
    pub(crate) default: &'a Value,
}

impl Summarizer {
    /// A summarizer with one stripe per expected thread (twice the available parallelism, as a
    /// power of two between 4 and 64).
    pub(crate) fn new() -> Self {
        let parallelism = std::thread::available_parallelism().map_or(4, |n| n.get());
        Self::with_stripes(parallelism * 2)
    }

    pub(crate) fn with_stripes(stripes: usize) -> Self {
        let count = stripes.clamp(4, 64).next_power_of_two();
        Self {
            stripes: (0..count).map(|_| PaddedStripe::default()).collect(),
            mask: count - 1,
        }
    }

    /// Counts one evaluation. `kinds` are the context's kinds; `now` is called only when this
    /// is the first count of the window on this thread's stripe.
    pub(crate) fn record<'k>(
        &self,
        input: SummaryInput<'_>,
        kinds: impl Iterator<Item = &'k str>,
        now: impl FnOnce() -> u64,
    ) {
        let stripe = &self.stripes[thread_stripe() & self.mask];
        let mut stripe = stripe.0.lock();
        if stripe.start_date == 0 {
            stripe.start_date = now().max(1);
        }
        let flag = match stripe.flags.get_mut(input.flag_key) {
            Some(flag) => flag,
            None => stripe
                .flags
                .entry(input.flag_key.into())
                .or_insert_with(|| FlagCounters {
                    default: input.default.clone(),
                    counters: Vec::with_capacity(2),
                    kinds: Vec::with_capacity(1),
                }),
        };
        if flag.default != *input.default {
            flag.default = input.default.clone();
        }
        match flag
            .counters
            .iter_mut()
            .find(|c| c.variation == input.variation && c.version == input.version)
        {
            Some(counter) => counter.count += 1,
            None => flag.counters.push(Counter {
                variation: input.variation,
                version: input.version,
                value: input.value.clone(),
                count: 1,
            }),
        }
        for kind in kinds {
            match flag.kinds.iter_mut().find(|(k, _)| **k == *kind) {
                Some((_, seen)) => *seen = true,
                None => flag.kinds.push((kind.into(), true)),
            }
        }
    }

    /// Copies out the current window and starts a new one. Returns `None` when nothing was counted.
    pub(crate) fn snapshot_and_reset(&self, now: u64) -> Option<SummarySnapshot> {
        let mut start_date = u64::MAX;
        let mut flags: BTreeMap<String, FlagSummary> = BTreeMap::new();
        for stripe in self.stripes.iter() {
            let mut stripe = stripe.0.lock();
            if stripe.start_date == 0 {
                // An empty window: drop whatever stayed idle for a whole interval.
                stripe.flags.clear();
                continue;
            }
            start_date = start_date.min(stripe.start_date);
            stripe.start_date = 0;
            stripe.flags.retain(|key, counters| {
                let mut active = false;
                for counter in counters.counters.iter_mut().filter(|c| c.count > 0) {
                    active = true;
                    let summary = flags.entry(key.to_string()).or_insert_with(|| FlagSummary {
                        default: counters.default.clone(),
                        counters: Vec::new(),
                        context_kinds: Vec::new(),
                    });
                    match summary
                        .counters
                        .iter_mut()
                        .find(|c| c.variation == counter.variation && c.version == counter.version)
                    {
                        Some(existing) => existing.count += counter.count,
                        None => summary.counters.push(CounterSummary {
                            variation: counter.variation,
                            version: counter.version,
                            value: counter.value.clone(),
                            count: counter.count,
                        }),
                    }
                    counter.count = 0;
                }
                if active && let Some(summary) = flags.get_mut(&**key) {
                    for (kind, seen) in counters.kinds.iter_mut().filter(|(_, s)| *s) {
                        if !summary.context_kinds.iter().any(|k| **k == **kind) {
                            summary.context_kinds.push(kind.to_string());
                        }
                        *seen = false;
                    }
                }
                active
            });
        }
        if flags.is_empty() {
            return None;
        }
        for summary in flags.values_mut() {
            summary.counters.sort_by_key(|c| (c.version, c.variation));
            summary.context_kinds.sort();
        }
        Some(SummarySnapshot {
            start_date,
            end_date: now.max(start_date),
            flags,
        })
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
            flag_key: key,
            variation,
            version: Some(7),
            value,
            default,
        }
    }

    #[test]
    fn counts_group_by_variation_and_collect_kinds() {
        let s = Summarizer::with_stripes(4);
        let (t, f, d) = (json!(true), json!(false), json!(null));
        s.record(input("a", Some(0), &t, &d), ["user"].into_iter(), || 1000);
        s.record(
            input("a", Some(0), &t, &d),
            ["org", "user"].into_iter(),
            || 2000,
        );
        s.record(input("a", Some(1), &f, &d), ["user"].into_iter(), || 3000);
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
        let s = Summarizer::with_stripes(4);
        let v = json!(1);
        s.record(input("a", Some(0), &v, &v), ["user"].into_iter(), || 10);
        assert!(s.snapshot_and_reset(20).is_some());
        assert!(s.snapshot_and_reset(30).is_none());
        let stripes_with_entries = s
            .stripes
            .iter()
            .filter(|st| !st.0.lock().flags.is_empty())
            .count();
        assert_eq!(stripes_with_entries, 0);
    }

    #[test]
    fn unknown_flags_are_marked_unknown_without_variation() {
        let s = Summarizer::with_stripes(4);
        let d = json!("dflt");
        s.record(
            SummaryInput {
                flag_key: "missing",
                variation: None,
                version: None,
                value: &d,
                default: &d,
            },
            ["user"].into_iter(),
            || 1,
        );
        let out = serde_json::to_string(&s.snapshot_and_reset(2).unwrap()).unwrap();
        assert!(
            out.contains(r#""counters":[{"unknown":true,"value":"dflt","count":1}]"#),
            "{out}"
        );
    }
}
