//! Shared fixtures for the criterion benchmarks in `benches/benches/`.
//!
//! The scenarios build realistic LaunchDarkly flag JSON once, so that our evaluator and the
//! official evaluation crate are timed on exactly the same data.

pub mod client_fixture;
pub mod eval_scenarios;
pub mod put_fixture;
