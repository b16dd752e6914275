//! The state of all flags for one context, in the form LaunchDarkly's JavaScript SDK bootstraps from.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;

use crate::Reason;

/// What [`Client::all_flags_state`](crate::Client::all_flags_state) includes.
///
/// ```
/// use ld_sdk::FlagsStateOptions;
///
/// let options = FlagsStateOptions::default().client_side_only().with_reasons();
/// assert!(options.is_client_side_only());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlagsStateOptions {
    client_side_only: bool,
    with_reasons: bool,
    details_only_for_tracked_flags: bool,
}

impl FlagsStateOptions {
    /// Only flags made available to client-side SDKs (the "SDKs using Client-side ID" setting).
    pub fn client_side_only(mut self) -> Self {
        self.client_side_only = true;
        self
    }

    /// Includes each flag's evaluation reason.
    pub fn with_reasons(mut self) -> Self {
        self.with_reasons = true;
        self
    }

    /// Leaves out versions and reasons of flags that neither track events nor debug, to keep the
    /// bootstrap data small.
    pub fn details_only_for_tracked_flags(mut self) -> Self {
        self.details_only_for_tracked_flags = true;
        self
    }

    /// Whether only client-side flags are included.
    pub fn is_client_side_only(&self) -> bool {
        self.client_side_only
    }

    /// Whether reasons are included.
    pub fn is_with_reasons(&self) -> bool {
        self.with_reasons
    }

    /// Whether details are left out for untracked flags.
    pub fn is_details_only_for_tracked_flags(&self) -> bool {
        self.details_only_for_tracked_flags
    }
}

/// One flag's entry in a [`FlagsState`].
#[derive(Debug, Clone, PartialEq)]
pub struct FlagState {
    /// The value for the context (`null` when the flag would serve the application default).
    pub value: Value,
    /// The variation index, when a variation was served.
    pub variation: Option<usize>,
    /// The flag's version.
    pub version: u64,
    /// The reason, when requested (or required because the flag is in an experiment).
    pub reason: Option<Reason>,
    /// Whether full events are sent for this flag.
    pub track_events: bool,
    /// Whether events for this flag always carry the reason (experiments).
    pub track_reason: bool,
    /// Debug events are sent until this time (Unix milliseconds).
    pub debug_events_until_date: Option<u64>,
    /// The direct prerequisites evaluated, in order.
    pub prerequisites: Vec<String>,
    /// Whether version and reason are left out of the JSON.
    omit_details: bool,
}

impl FlagState {
    /// A flag entry; the options of the [`FlagsStateBuilder`] decide what the JSON shows.
    pub fn new(value: Value, variation: Option<usize>, version: u64, reason: Reason) -> Self {
        Self {
            value,
            variation,
            version,
            reason: Some(reason),
            track_events: false,
            track_reason: false,
            debug_events_until_date: None,
            prerequisites: Vec::new(),
            omit_details: false,
        }
    }
}

/// The state of every flag for one context: the values, plus the metadata LaunchDarkly's
/// client-side SDKs need to send events.
///
/// Serializing it (`serde_json::to_string(&state)`) gives exactly LaunchDarkly's bootstrap
/// format: `{"flag-key": value, …, "$flagsState": {"flag-key": {"variation": 0, "version": 3,
/// …}}, "$valid": true}`, which can be passed to the JavaScript SDK's `bootstrap` option.
///
/// ```
/// use ld_sdk::{FlagState, FlagsState, FlagsStateOptions, Reason};
///
/// let state = FlagsState::builder(FlagsStateOptions::default())
///     .add("dark-mode", FlagState::new(true.into(), Some(0), 4, Reason::fallthrough(false)))
///     .build();
/// assert_eq!(
///     serde_json::to_string(&state).unwrap(),
///     r#"{"dark-mode":true,"$flagsState":{"dark-mode":{"variation":0,"version":4}},"$valid":true}"#
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FlagsState {
    flags: BTreeMap<String, FlagState>,
    valid: bool,
}

impl FlagsState {
    /// Starts a valid state with these options.
    pub fn builder(options: FlagsStateOptions) -> FlagsStateBuilder {
        FlagsStateBuilder {
            options,
            flags: BTreeMap::new(),
        }
    }

    /// The state returned when flags could not be evaluated (offline, or not initialized and no
    /// stored data): no flags, `"$valid": false`.
    pub fn invalid() -> Self {
        Self {
            flags: BTreeMap::new(),
            valid: false,
        }
    }

    /// False when flags could not be evaluated; then there are no flags.
    pub fn is_valid(&self) -> bool {
        self.valid
    }

    /// One flag's value, if present.
    pub fn value(&self, key: &str) -> Option<&Value> {
        self.flags.get(key).map(|f| &f.value)
    }

    /// One flag's entry, if present.
    pub fn flag(&self, key: &str) -> Option<&FlagState> {
        self.flags.get(key)
    }

    /// The flag keys, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.flags.keys().map(String::as_str)
    }

    /// Flag keys to values — what the Python SDK's `all_flags` returned. Not for bootstrapping
    /// a client-side SDK: serialize the state itself for that.
    pub fn values(&self) -> BTreeMap<String, Value> {
        self.flags
            .iter()
            .map(|(k, f)| (k.clone(), f.value.clone()))
            .collect()
    }
}

/// Collects flag entries into a [`FlagsState`], applying the options.
#[derive(Debug, Clone)]
pub struct FlagsStateBuilder {
    options: FlagsStateOptions,
    flags: BTreeMap<String, FlagState>,
}

impl FlagsStateBuilder {
    /// Adds a flag. Reasons are kept only with `with_reasons` or when the flag tracks reasons;
    /// with `details_only_for_tracked_flags`, untracked flags lose version and reason.
    pub fn add(mut self, key: impl Into<String>, mut flag: FlagState) -> Self {
        if self.options.details_only_for_tracked_flags
            && !flag.track_events
            && !flag.track_reason
            && flag
                .debug_events_until_date
                .is_none_or(|until| until <= now_millis())
        {
            flag.omit_details = true;
        }
        if !self.options.with_reasons && !flag.track_reason {
            flag.reason = None;
        }
        self.flags.insert(key.into(), flag);
        self
    }

    /// The finished, valid state.
    pub fn build(self) -> FlagsState {
        FlagsState {
            flags: self.flags,
            valid: true,
        }
    }
}

fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

impl Serialize for FlagsState {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.flags.len() + 2))?;
        for (key, flag) in &self.flags {
            map.serialize_entry(key, &flag.value)?;
        }
        map.serialize_entry("$flagsState", &Metadata(&self.flags))?;
        map.serialize_entry("$valid", &self.valid)?;
        map.end()
    }
}

struct Metadata<'a>(&'a BTreeMap<String, FlagState>);

impl Serialize for Metadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, flag) in self.0 {
            map.serialize_entry(key, &FlagMetadata(flag))?;
        }
        map.end()
    }
}

struct FlagMetadata<'a>(&'a FlagState);

impl Serialize for FlagMetadata<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let f = self.0;
        let mut map = serializer.serialize_map(None)?;
        if let Some(variation) = f.variation {
            map.serialize_entry("variation", &variation)?;
        }
        if !f.omit_details {
            map.serialize_entry("version", &f.version)?;
            if let Some(reason) = &f.reason {
                map.serialize_entry("reason", reason)?;
            }
        }
        if f.track_events {
            map.serialize_entry("trackEvents", &true)?;
        }
        if f.track_reason {
            map.serialize_entry("trackReason", &true)?;
        }
        if let Some(until) = f.debug_events_until_date {
            map.serialize_entry("debugEventsUntilDate", &until)?;
        }
        if !f.prerequisites.is_empty() {
            map.serialize_entry("prerequisites", &f.prerequisites)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry() -> FlagState {
        FlagState::new(json!("b"), Some(1), 7, Reason::fallthrough(false))
    }

    #[test]
    fn an_invalid_state_serializes_as_empty_and_invalid() {
        assert_eq!(
            serde_json::to_value(FlagsState::invalid()).unwrap(),
            json!({"$flagsState": {}, "$valid": false})
        );
    }

    #[test]
    fn reasons_are_included_only_when_asked_for() {
        let plain = FlagsState::builder(FlagsStateOptions::default())
            .add("f", entry())
            .build();
        assert_eq!(
            serde_json::to_value(&plain).unwrap()["$flagsState"]["f"],
            json!({"variation": 1, "version": 7})
        );
        let with = FlagsState::builder(FlagsStateOptions::default().with_reasons())
            .add("f", entry())
            .build();
        assert_eq!(
            serde_json::to_value(&with).unwrap()["$flagsState"]["f"],
            json!({"variation": 1, "version": 7, "reason": {"kind": "FALLTHROUGH"}})
        );
    }

    #[test]
    fn experiment_flags_keep_their_reason_and_tracking_fields() {
        let mut flag = FlagState::new(json!(1), Some(0), 2, Reason::fallthrough(true));
        flag.track_events = true;
        flag.track_reason = true;
        let state = FlagsState::builder(FlagsStateOptions::default())
            .add("x", flag)
            .build();
        assert_eq!(
            serde_json::to_value(&state).unwrap()["$flagsState"]["x"],
            json!({"variation": 0, "version": 2, "trackEvents": true, "trackReason": true,
                   "reason": {"kind": "FALLTHROUGH", "inExperiment": true}})
        );
    }

    #[test]
    fn details_only_for_tracked_flags_drops_version_and_reason_of_untracked_flags() {
        let options = FlagsStateOptions::default()
            .with_reasons()
            .details_only_for_tracked_flags();
        let mut tracked = entry();
        tracked.track_events = true;
        let mut debugging = entry();
        debugging.debug_events_until_date = Some(now_millis() + 60_000);
        let mut debug_expired = entry();
        debug_expired.debug_events_until_date = Some(1);
        let state = FlagsState::builder(options)
            .add("untracked", entry())
            .add("tracked", tracked)
            .add("debugging", debugging)
            .add("expired", debug_expired)
            .build();
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["$flagsState"]["untracked"], json!({"variation": 1}));
        assert_eq!(
            json["$flagsState"]["expired"],
            json!({"variation": 1, "debugEventsUntilDate": 1})
        );
        assert_eq!(json["$flagsState"]["tracked"]["version"], 7);
        assert_eq!(
            json["$flagsState"]["debugging"]["reason"],
            json!({"kind": "FALLTHROUGH"})
        );
    }

    #[test]
    fn a_default_served_flag_has_null_value_and_no_variation() {
        let state = FlagsState::builder(FlagsStateOptions::default())
            .add("off", FlagState::new(Value::Null, None, 3, Reason::off()))
            .build();
        let json = serde_json::to_value(&state).unwrap();
        assert_eq!(json["off"], Value::Null);
        assert_eq!(json["$flagsState"]["off"], json!({"version": 3}));
        assert_eq!(state.values()["off"], Value::Null);
    }

    #[test]
    fn prerequisites_are_listed_when_present() {
        let mut flag = entry();
        flag.prerequisites = vec!["p1".into(), "p2".into()];
        let state = FlagsState::builder(FlagsStateOptions::default())
            .add("f", flag)
            .build();
        assert_eq!(
            serde_json::to_value(&state).unwrap()["$flagsState"]["f"]["prerequisites"],
            json!(["p1", "p2"])
        );
    }
}
