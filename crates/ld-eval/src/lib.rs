//! # ld-eval
//!
//! A pure evaluator for LaunchDarkly-compatible feature flags: the flag and segment data model,
//! contexts (single, multi-kind and legacy users), operators, targets, rules, rollouts,
//! prerequisites, segments and evaluation reasons.
//!
//! **What it is not for:** I/O of any kind. There is no tokio, no network and no filesystem here;
//! data arrives from `ld-store`, and analytics events are built by `ld-events` from what the
//! evaluator reports.
//!
//! **Dependencies:** no other workspace crate. `ld-store`, `ld-events`, the data sources and
//! `ld-sdk` all depend on this crate.
//!
//! **The decision that shaped it:** evaluation works on *borrowed, prepared* data. Flags and
//! segments are prepared once when they are loaded (regexes compiled, semantic versions and dates
//! parsed, large lists turned into hash sets), and evaluation borrows them, so serving a variation
//! clones and allocates nothing.
#![forbid(unsafe_code)]
