//! `TestData`: a data source that application tests control directly.

use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

use parking_lot::Mutex;
use serde_json::Value;

use crate::FlagBuilder;

/// Where a running client's `TestData` source sends data: implemented by the source adapter
/// that writes into the client's store.
pub(crate) trait TestDataSink: Send + Sync {
    /// Replaces all data.
    fn init(&self, flags: Vec<(String, Value)>, segments: Vec<(String, Value)>);
    /// Adds or replaces one flag (LaunchDarkly flag JSON, version included).
    fn upsert_flag(&self, key: &str, flag: Value);
    /// Adds or replaces one segment (LaunchDarkly segment JSON, version included).
    fn upsert_segment(&self, key: &str, segment: Value);
}

#[derive(Default)]
struct State {
    /// Current builders, so `flag(key)` continues from the last update.
    builders: BTreeMap<String, FlagBuilder>,
    /// Current flag JSON (from builders or preconfigured), with versions inside.
    flags: BTreeMap<String, Value>,
    segments: BTreeMap<String, Value>,
    sinks: Vec<Weak<dyn TestDataSink>>,
}

impl State {
    fn next_version(items: &BTreeMap<String, Value>, key: &str) -> u64 {
        items
            .get(key)
            .and_then(|v| v["version"].as_u64())
            .unwrap_or(0)
            + 1
    }

    fn live_sinks(&mut self) -> Vec<Arc<dyn TestDataSink>> {
        self.sinks.retain(|s| s.strong_count() > 0);
        self.sinks.iter().filter_map(Weak::upgrade).collect()
    }
}

/// A data source for your own tests: flags are set in code, and every change reaches the clients
/// using it at once — no network, no files.
///
/// `TestData` is a cheap handle: clone it, give one clone to the [`Config`](crate::Config), keep
/// the other in the test to change flags while the client runs.
///
/// ```
/// use ld_sdk::{Client, Config, ContextBuilder, TestData};
///
/// let td = TestData::new();
/// td.update(td.flag("new-ui").variation_for_all(true));
///
/// let client = Client::new(Config::builder("sdk-key").data_source(&td).send_events(false).build()?)?;
/// let alice = ContextBuilder::new("alice").build()?;
/// assert!(client.bool_variation("new-ui", &alice, false));
///
/// td.update(td.flag("new-ui").variation_for_all(false)); // pushed to the running client
/// assert!(!client.bool_variation("new-ui", &alice, true));
/// client.close();
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Default)]
pub struct TestData {
    state: Arc<Mutex<State>>,
}

impl TestData {
    /// An empty test data source.
    pub fn new() -> Self {
        Self::default()
    }

    /// A builder for flag `key`: a copy of its current configuration if it was updated before,
    /// otherwise a new boolean flag that serves `true`. Nothing changes until
    /// [`TestData::update`].
    pub fn flag(&self, key: &str) -> FlagBuilder {
        self.state
            .lock()
            .builders
            .get(key)
            .cloned()
            .unwrap_or_else(|| FlagBuilder::new(key))
    }

    /// Stores the flag (with the next version number) and pushes it to every running client.
    pub fn update(&self, flag: FlagBuilder) {
        let key = flag.key().to_owned();
        let (json, sinks) = {
            let mut state = self.state.lock();
            let version = State::next_version(&state.flags, &key);
            let json = flag.to_json(version);
            state.flags.insert(key.clone(), json.clone());
            state.builders.insert(key.clone(), flag);
            (json, state.live_sinks())
        };
        // Pushed outside the lock: a sink may call back (say, a flag change listener reading flags).
        for sink in sinks {
            sink.upsert_flag(&key, json.clone());
        }
    }

    /// Uses a complete flag in LaunchDarkly's JSON form (for features the builder does not
    /// cover, such as rollouts or prerequisites). Its `version` is replaced by the next one.
    ///
    /// ```
    /// use ld_sdk::TestData;
    ///
    /// let td = TestData::new();
    /// td.use_preconfigured_flag(serde_json::json!({
    ///     "key": "rollout", "on": true, "variations": ["a", "b"],
    ///     "fallthrough": {"rollout": {"variations": [{"variation": 0, "weight": 50000},
    ///                                                {"variation": 1, "weight": 50000}]}},
    /// }));
    /// ```
    pub fn use_preconfigured_flag(&self, flag: Value) {
        self.use_preconfigured(flag, false);
    }

    /// Uses a complete segment in LaunchDarkly's JSON form. Its `version` is replaced by the next one.
    pub fn use_preconfigured_segment(&self, segment: Value) {
        self.use_preconfigured(segment, true);
    }

    fn use_preconfigured(&self, mut item: Value, is_segment: bool) {
        let Some(key) = item.get("key").and_then(Value::as_str).map(str::to_owned) else {
            tracing::warn!("TestData: ignoring a preconfigured item without a string \"key\"");
            return;
        };
        let sinks = {
            let mut state = self.state.lock();
            let items = if is_segment {
                &mut state.segments
            } else {
                &mut state.flags
            };
            let version = State::next_version(items, &key);
            if let Some(obj) = item.as_object_mut() {
                obj.insert("version".into(), version.into());
            }
            items.insert(key.clone(), item.clone());
            if !is_segment {
                state.builders.remove(&key);
            }
            state.live_sinks()
        };
        for sink in sinks {
            if is_segment {
                sink.upsert_segment(&key, item.clone());
            } else {
                sink.upsert_flag(&key, item.clone());
            }
        }
    }

    /// Registers a running client's sink and sends it all current data.
    pub(crate) fn attach(&self, sink: Arc<dyn TestDataSink>) {
        let (flags, segments) = {
            let mut state = self.state.lock();
            state.sinks.push(Arc::downgrade(&sink));
            (
                state
                    .flags
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                state
                    .segments
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            )
        };
        sink.init(flags, segments);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Recorded {
        inits: Mutex<Vec<usize>>,
        flags: Mutex<Vec<(String, u64)>>,
    }

    impl TestDataSink for Recorded {
        fn init(&self, flags: Vec<(String, Value)>, segments: Vec<(String, Value)>) {
            self.inits.lock().push(flags.len() + segments.len());
        }
        fn upsert_flag(&self, key: &str, flag: Value) {
            self.flags
                .lock()
                .push((key.into(), flag["version"].as_u64().unwrap()));
        }
        fn upsert_segment(&self, _key: &str, _segment: Value) {}
    }

    #[test]
    fn updates_bump_the_version_and_reach_attached_sinks() {
        let td = TestData::new();
        td.update(td.flag("a"));
        let sink = Arc::new(Recorded::default());
        td.attach(sink.clone());
        assert_eq!(*sink.inits.lock(), [1]);
        td.update(td.flag("a").variation_for_all(false));
        assert_eq!(*sink.flags.lock(), [("a".to_string(), 2)]);
    }

    #[test]
    fn flag_continues_from_the_last_update() {
        let td = TestData::new();
        td.update(td.flag("a").value_for_all("x"));
        assert_eq!(td.flag("a"), FlagBuilder::new("a").value_for_all("x"));
    }

    #[test]
    fn dropped_sinks_are_forgotten() {
        let td = TestData::new();
        let sink: Arc<dyn TestDataSink> = Arc::new(Recorded::default());
        td.attach(sink.clone());
        drop(sink);
        td.update(td.flag("a"));
        assert!(td.state.lock().sinks.is_empty());
    }

    #[test]
    fn preconfigured_items_get_increasing_versions() {
        let td = TestData::new();
        td.use_preconfigured_segment(serde_json::json!({"key": "s", "version": 40}));
        td.use_preconfigured_segment(serde_json::json!({"key": "s", "version": 40}));
        assert_eq!(td.state.lock().segments["s"]["version"], 2);
    }
}
