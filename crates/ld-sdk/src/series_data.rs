//! Per-hook data carried from one stage of a series to the next.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Data a [`Hook`](crate::Hook) hands from `before_evaluation` to `after_evaluation` of the same
/// evaluation: timers, spans, anything. Each hook has its own series data; hooks never see each
/// other's.
///
/// Values are shared (`Arc`), so passing the data along or cloning it does not copy them.
///
/// ```
/// use std::time::Instant;
/// use ld_sdk::SeriesData;
///
/// let data = SeriesData::new().with("started", Instant::now()).with("note", "x".to_string());
/// assert!(data.get::<Instant>("started").is_some());
/// assert_eq!(data.get::<String>("note").map(String::as_str), Some("x"));
/// assert!(data.get::<u32>("note").is_none()); // wrong type
/// ```
#[derive(Clone, Default)]
pub struct SeriesData {
    entries: Vec<(String, Arc<dyn Any + Send + Sync>)>,
}

impl SeriesData {
    /// Empty data.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the data with `key` set to `value` (replacing any previous value for `key`).
    pub fn with(mut self, key: impl Into<String>, value: impl Any + Send + Sync) -> Self {
        let key = key.into();
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        match self.entries.iter_mut().find(|(k, _)| *k == key) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((key, value)),
        }
        self
    }

    /// The value stored under `key`, if there is one of type `T`.
    pub fn get<T: Any>(&self, key: &str) -> Option<&T> {
        self.get_any(key)?.downcast_ref()
    }

    /// The value stored under `key`, whatever its type.
    pub fn get_any(&self, key: &str) -> Option<&(dyn Any + Send + Sync)> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }

    /// All entries, in the order their keys were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &(dyn Any + Send + Sync))> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_ref()))
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl fmt::Debug for SeriesData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.entries.iter().map(|(k, _)| k))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_a_key_twice_keeps_the_latest_value_in_its_first_position() {
        let data = SeriesData::new()
            .with("a", 1u8)
            .with("b", 2u8)
            .with("a", 3u8);
        assert_eq!(data.len(), 2);
        assert_eq!(data.get::<u8>("a"), Some(&3));
        assert_eq!(data.iter().next().map(|(k, _)| k), Some("a"));
    }

    #[test]
    fn clones_share_values() {
        let data = SeriesData::new().with("v", vec![1, 2, 3]);
        let copy = data.clone();
        assert!(std::ptr::eq(
            data.get::<Vec<i32>>("v").unwrap(),
            copy.get::<Vec<i32>>("v").unwrap()
        ));
    }
}
