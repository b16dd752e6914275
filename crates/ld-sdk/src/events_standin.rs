//! TEMPORARY stand-in for `ld-events` (not merged yet): the same API, always disabled. Replaced by
//! `pub(crate) use ld_events::{...}` once the events crate lands; nothing else changes.

#![allow(dead_code)] // Mirrors the real API, whose settings the stand-in ignores.

use std::time::Duration;

use serde_json::Value;

/// Mirrors `ld_events::FlagEventSettings`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct FlagEventSettings {
    pub version: u64,
    pub track_events: bool,
    pub debug_events_until_date: Option<u64>,
    pub sampling_ratio: Option<u32>,
    pub exclude_from_summaries: bool,
}

/// Mirrors `ld_events::Evaluation`.
pub(crate) struct Evaluation<'a, C: ?Sized, R: ?Sized> {
    pub flag_key: &'a str,
    pub flag: Option<FlagEventSettings>,
    pub context: &'a C,
    pub variation: Option<usize>,
    pub value: &'a Value,
    pub default: &'a Value,
    pub reason: &'a R,
    pub in_experiment: bool,
    pub with_reasons: bool,
    pub prereq_of: Option<&'a str>,
}

/// Mirrors `ld_events::EventProcessor`, always disabled.
#[derive(Debug)]
pub(crate) struct EventProcessor;

impl EventProcessor {
    pub(crate) fn disabled() -> Self {
        EventProcessor
    }
    pub(crate) fn is_enabled(&self) -> bool {
        false
    }
    pub(crate) fn record<C: ?Sized, R: ?Sized>(&self, e: &Evaluation<'_, C, R>) {
        let _ = (
            e.flag_key,
            e.flag,
            e.context,
            e.variation,
            e.value,
            e.default,
            e.reason,
            e.in_experiment,
            e.with_reasons,
            e.prereq_of,
        );
    }
    pub(crate) fn record_custom<C: ?Sized>(
        &self,
        _context: &C,
        _key: &str,
        _data: Value,
        _metric_value: Option<f64>,
    ) {
    }
    pub(crate) fn record_identify<C: ?Sized>(&self, _context: &C) {}
    pub(crate) fn flush(&self) {}
    pub(crate) fn flush_and_wait(&self, _timeout: Duration) -> bool {
        true
    }
    pub(crate) fn close(&self) {}
}
