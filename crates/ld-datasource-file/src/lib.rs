//! # ld-datasource-file
//!
//! Flag data from JSON and YAML files (`flags`, `flagValues`, `segments`), from one or many files,
//! with optional automatic reloading.
//!
//! **Dependencies:** `ld-store` (the traits it implements) and `ld-eval` (the data model).
#![forbid(unsafe_code)]
