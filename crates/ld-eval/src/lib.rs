//! # ld-eval
//!
//! A pure evaluator for LaunchDarkly-compatible feature flags: the flag and segment data model,
//! contexts (single, multi-kind and legacy users), operators, targets, rules, rollouts,
//! prerequisites, segments, big segments and evaluation reasons — producing the same value,
//! variation index and reason as LaunchDarkly's own server-side SDKs.
//!
//! **What it is not for:** I/O of any kind. There is no tokio, no network and no filesystem here;
//! data arrives from `ld-store`, big segment membership from a caller-supplied
//! [`BigSegmentProvider`], and analytics events are built by `ld-events` from what the evaluator
//! reports through a [`PrerequisiteRecorder`]. A result depends only on the flag, segment and
//! context data. Three pieces of bookkeeping exist for the caches of the crates above, and none
//! changes a result: each parsed, built or cloned [`Flag`] draws an [`InstanceId`] from a
//! process-wide counter; the parser shares short attribute and kind names through a small
//! per-thread cache; and a [`Context`] carries a [`ContextMemo`] word that its consumers (the
//! event processor) may write.
//!
//! **Neighbours:** no other workspace crate. `ld-store`, `ld-events`, the data sources and
//! `ld-sdk` all depend on this crate.
//!
//! **The decision that shaped it:** evaluation works on *borrowed, prepared* data. Flags and
//! segments are prepared while they are deserialized (regexes compiled, semantic versions and
//! dates parsed, target and segment key lists and long `in` lists turned into hash sets,
//! attribute references parsed), and evaluation borrows them: the [`Detail`] borrows its value
//! from the flag, reasons share rule ids ([`SharedStr`]) and prerequisite keys (`Arc<str>`) with
//! the flag, [`DataLookup`] returns references, and cycle detection keeps its chain on the call
//! stack. So evaluating a flag, prerequisites and segments included, allocates nothing in the
//! common path. A flag read by the fast reader is also cheap to build: its salt, rule ids and
//! target keys share one text block, its clauses one list and its rollouts another.
//!
//! ```
//! use ld_eval::{Context, Evaluator, Flag, MemoryData, ReasonKind};
//! let flag: Flag = serde_json::from_str(r#"{
//!     "key": "new-ui", "version": 1, "on": true, "salt": "x",
//!     "variations": [false, true], "offVariation": 0, "fallthrough": {"variation": 0},
//!     "rules": [{"id": "staff", "variation": 1, "clauses": [
//!         {"contextKind": "user", "attribute": "email", "op": "endsWith",
//!          "values": ["@example.com"], "negate": false}]}]
//! }"#).unwrap();
//! let data = MemoryData::default();
//! let ctx: Context = serde_json::from_str(r#"{"key": "u1", "email": "ann@example.com"}"#).unwrap();
//! let detail = Evaluator::new(&data).evaluate(&flag, &ctx);
//! assert_eq!(detail.value, Some(&serde_json::json!(true)));
//! assert!(matches!(detail.reason.kind, ReasonKind::RuleMatch { rule_index: 0, .. }));
//! ```
#![forbid(unsafe_code)]

mod attr_ref;
mod attributes;
mod big_segments;
mod borrowed_str;
mod bucketing;
mod clause;
mod clause_values;
mod clauses;
mod context;
mod context_builder;
mod context_json;
mod context_memo;
mod detail;
mod evaluator;
mod exact_vec;
mod fast_hash;
mod flag;
mod flag_json;
mod json_cursor;
mod key_set;
mod kind;
mod lookup;
mod name_cache;
mod operator;
mod prerequisite_recorder;
mod property_name;
mod reason;
mod reason_ref;
mod rollout;
mod segment;
mod segment_json;
mod semver;
mod shared_str;
mod timestamp;

pub use attr_ref::{AttrRef, AttrRefError, Components};
pub use attributes::Attributes;
pub use big_segments::{BigSegmentAnswer, BigSegmentProvider, big_segment_ref};
pub use clause::Clause;
pub use clauses::Clauses;
pub use context::{Context, ContextError, SingleContext};
pub use context_builder::{ContextBuilder, MultiContextBuilder};
pub use context_memo::ContextMemo;
pub use detail::{Detail, DetailRef};
pub use evaluator::{Evaluator, MAX_NESTING_DEPTH, NoRecorder, evaluate};
pub use fast_hash::{FastBuildHasher, FastHasher};
pub use flag::{
    ClientSideAvailability, Flag, FlagRule, InstanceId, Migration, Prerequisite, Target,
};
pub use json_cursor::{JsonCursor, Unsupported};
pub use key_set::KeySet;
pub use kind::{Kind, KindError};
pub use lookup::{DataLookup, MemoryData};
pub use operator::Op;
pub use prerequisite_recorder::{PrerequisiteEvaluation, PrerequisiteRecorder};
pub use reason::{BigSegmentsStatus, ErrorKind, Reason, ReasonKind};
pub use reason_ref::{ReasonKindRef, ReasonRef};
pub use rollout::{
    Buckets, Rollout, RolloutKind, SharedRollout, VariationOrRollout, WeightedVariation,
};
pub use segment::{Segment, SegmentRule, SegmentTarget};
pub use semver::SemVer;
pub use serde_json::Value;
pub use shared_str::SharedStr;
pub use timestamp::Timestamp;
