//! # ld-events
//!
//! Analytics events as LaunchDarkly expects them: summaries, feature, debug, custom, identify and
//! index events, private-attribute redaction, and background delivery.
//!
//! **Dependencies:** `ld-eval` (contexts and reasons) and `ld-http` for delivery.
//!
//! **The decision that shaped it:** the calling thread only records; all serialization and
//! delivery happen in the background.
#![forbid(unsafe_code)]
