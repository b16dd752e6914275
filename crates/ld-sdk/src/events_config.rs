//! Analytics events settings: buffer size, flush cadence, privacy, diagnostics and compression.

use std::time::Duration;

use thiserror::Error;

/// Events buffered before new ones are dropped, by default.
pub const DEFAULT_EVENTS_CAPACITY: usize = 10_000;
/// How often buffered events are sent, by default.
pub const DEFAULT_FLUSH_INTERVAL: Duration = Duration::from_secs(5);
/// Context keys remembered (to avoid repeating index events), by default.
pub const DEFAULT_CONTEXT_KEYS_CAPACITY: usize = 1_000;
/// How often the remembered context keys are forgotten, by default.
pub const DEFAULT_CONTEXT_KEYS_FLUSH_INTERVAL: Duration = Duration::from_secs(300);
/// How often diagnostic statistics are sent, by default.
pub const DEFAULT_DIAGNOSTIC_RECORDING_INTERVAL: Duration = Duration::from_secs(900);
/// The shortest diagnostic recording interval LaunchDarkly accepts.
pub const MIN_DIAGNOSTIC_RECORDING_INTERVAL: Duration = Duration::from_secs(60);

/// A bad events setting.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventsConfigError {
    /// A capacity is zero.
    #[error("the {0} capacity must be greater than zero")]
    ZeroCapacity(&'static str),
    /// An interval is zero.
    #[error("the {0} interval must be greater than zero")]
    ZeroInterval(&'static str),
    /// The diagnostic recording interval is below one minute.
    #[error("the diagnostic recording interval must be at least 60 seconds, got {0:?}")]
    DiagnosticIntervalTooShort(Duration),
    /// A private attribute reference is empty or malformed (`/` paths must not end in `/` or contain `//`).
    #[error("private attribute {0:?} is not a valid attribute reference")]
    InvalidPrivateAttribute(String),
}

/// How analytics events are buffered and sent.
///
/// ```
/// use std::time::Duration;
/// use ld_sdk::EventsConfig;
///
/// let events = EventsConfig::default()
///     .capacity(50_000)
///     .flush_interval(Duration::from_secs(2))
///     .private_attribute("email")
///     .private_attribute("/address/street");
/// assert_eq!(events.capacity_value(), 50_000);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct EventsConfig {
    capacity: usize,
    flush_interval: Duration,
    private_attributes: Vec<String>,
    all_attributes_private: bool,
    context_keys_capacity: usize,
    context_keys_flush_interval: Duration,
    diagnostic_opt_out: bool,
    diagnostic_recording_interval: Duration,
    gzip: bool,
    omit_anonymous_contexts: bool,
}

impl Default for EventsConfig {
    fn default() -> Self {
        Self {
            capacity: DEFAULT_EVENTS_CAPACITY,
            flush_interval: DEFAULT_FLUSH_INTERVAL,
            private_attributes: Vec::new(),
            all_attributes_private: false,
            context_keys_capacity: DEFAULT_CONTEXT_KEYS_CAPACITY,
            context_keys_flush_interval: DEFAULT_CONTEXT_KEYS_FLUSH_INTERVAL,
            diagnostic_opt_out: false,
            diagnostic_recording_interval: DEFAULT_DIAGNOSTIC_RECORDING_INTERVAL,
            gzip: false,
            omit_anonymous_contexts: false,
        }
    }
}

impl EventsConfig {
    /// How many events to buffer between flushes; further events are dropped (with one warning).
    pub fn capacity(mut self, capacity: usize) -> Self {
        self.capacity = capacity;
        self
    }

    /// How often buffered events are sent.
    pub fn flush_interval(mut self, interval: Duration) -> Self {
        self.flush_interval = interval;
        self
    }

    /// Never sends this attribute's value: a name (`email`) or a `/`-path into an object
    /// (`/address/street`).
    pub fn private_attribute(mut self, reference: impl Into<String>) -> Self {
        self.private_attributes.push(reference.into());
        self
    }

    /// Sends no attribute values at all, only context keys and kinds.
    pub fn all_attributes_private(mut self, all: bool) -> Self {
        self.all_attributes_private = all;
        self
    }

    /// How many distinct context keys to remember to avoid sending repeated index events.
    pub fn context_keys_capacity(mut self, capacity: usize) -> Self {
        self.context_keys_capacity = capacity;
        self
    }

    /// How often the remembered context keys are forgotten.
    pub fn context_keys_flush_interval(mut self, interval: Duration) -> Self {
        self.context_keys_flush_interval = interval;
        self
    }

    /// Sends no diagnostic (SDK health and configuration) events.
    pub fn diagnostic_opt_out(mut self, opt_out: bool) -> Self {
        self.diagnostic_opt_out = opt_out;
        self
    }

    /// How often periodic diagnostic events are sent (at least 60 seconds).
    pub fn diagnostic_recording_interval(mut self, interval: Duration) -> Self {
        self.diagnostic_recording_interval = interval;
        self
    }

    /// Gzip-compresses event payloads.
    pub fn gzip(mut self, gzip: bool) -> Self {
        self.gzip = gzip;
        self
    }

    /// Leaves anonymous contexts out of index and identify events (a wholly anonymous context
    /// sends no identify event).
    pub fn omit_anonymous_contexts(mut self, omit: bool) -> Self {
        self.omit_anonymous_contexts = omit;
        self
    }

    /// The buffer capacity.
    pub fn capacity_value(&self) -> usize {
        self.capacity
    }
    /// The flush interval.
    pub fn flush_interval_value(&self) -> Duration {
        self.flush_interval
    }
    /// The private attribute references.
    pub fn private_attributes(&self) -> &[String] {
        &self.private_attributes
    }
    /// Whether all attributes are private.
    pub fn all_attributes_private_value(&self) -> bool {
        self.all_attributes_private
    }
    /// The context key cache capacity.
    pub fn context_keys_capacity_value(&self) -> usize {
        self.context_keys_capacity
    }
    /// The context key cache flush interval.
    pub fn context_keys_flush_interval_value(&self) -> Duration {
        self.context_keys_flush_interval
    }
    /// Whether diagnostic events are turned off.
    pub fn diagnostic_opt_out_value(&self) -> bool {
        self.diagnostic_opt_out
    }
    /// The diagnostic recording interval.
    pub fn diagnostic_recording_interval_value(&self) -> Duration {
        self.diagnostic_recording_interval
    }
    /// Whether payloads are gzip-compressed.
    pub fn gzip_value(&self) -> bool {
        self.gzip
    }
    /// Whether anonymous contexts are left out of index and identify events.
    pub fn omit_anonymous_contexts_value(&self) -> bool {
        self.omit_anonymous_contexts
    }

    pub(crate) fn validate(&self) -> Result<(), EventsConfigError> {
        if self.capacity == 0 {
            return Err(EventsConfigError::ZeroCapacity("events"));
        }
        if self.context_keys_capacity == 0 {
            return Err(EventsConfigError::ZeroCapacity("context keys"));
        }
        if self.flush_interval.is_zero() {
            return Err(EventsConfigError::ZeroInterval("flush"));
        }
        if self.context_keys_flush_interval.is_zero() {
            return Err(EventsConfigError::ZeroInterval("context keys flush"));
        }
        if self.diagnostic_recording_interval < MIN_DIAGNOSTIC_RECORDING_INTERVAL {
            return Err(EventsConfigError::DiagnosticIntervalTooShort(
                self.diagnostic_recording_interval,
            ));
        }
        if let Some(bad) = self
            .private_attributes
            .iter()
            .find(|r| !is_valid_reference(r))
        {
            return Err(EventsConfigError::InvalidPrivateAttribute(bad.clone()));
        }
        Ok(())
    }
}

/// An attribute reference: a plain name, or a `/`-path whose components are non-empty.
fn is_valid_reference(reference: &str) -> bool {
    match reference.strip_prefix('/') {
        None => !reference.is_empty(),
        Some(path) => !path.is_empty() && path.split('/').all(|c| !c.is_empty()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid() {
        assert_eq!(EventsConfig::default().validate(), Ok(()));
    }

    #[test]
    fn zero_capacity_is_rejected() {
        assert_eq!(
            EventsConfig::default().capacity(0).validate(),
            Err(EventsConfigError::ZeroCapacity("events"))
        );
    }

    #[test]
    fn a_diagnostic_interval_under_a_minute_is_rejected() {
        assert!(matches!(
            EventsConfig::default()
                .diagnostic_recording_interval(Duration::from_secs(59))
                .validate(),
            Err(EventsConfigError::DiagnosticIntervalTooShort(_))
        ));
    }

    #[test]
    fn malformed_attribute_paths_are_rejected_and_plain_names_accepted() {
        for bad in ["", "/", "/a//b", "/a/"] {
            assert!(
                EventsConfig::default()
                    .private_attribute(bad)
                    .validate()
                    .is_err(),
                "{bad:?}"
            );
        }
        for good in ["email", "/address/street", "a/b"] {
            assert!(
                EventsConfig::default()
                    .private_attribute(good)
                    .validate()
                    .is_ok(),
                "{good:?}"
            );
        }
    }
}
