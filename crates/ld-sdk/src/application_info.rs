//! Application metadata sent to LaunchDarkly as the `X-LaunchDarkly-Tags` header.
//!
//! LaunchDarkly accepts a tag value only if it is at most 64 characters long and made of ASCII
//! letters, digits, `.`, `_` and `-`. LaunchDarkly's own SDKs silently drop a bad value with a
//! warning; this SDK reports it as a [`TagError`] when the configuration is built, so a typo is
//! seen at start-up rather than as a missing tag on the dashboard. [`ApplicationInfo::sanitized`]
//! keeps the lenient behaviour for callers that need it (such as a test service).

use thiserror::Error;

/// The longest tag value LaunchDarkly accepts.
pub const MAX_TAG_VALUE_LEN: usize = 64;

/// Why an application tag value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TagError {
    /// The value is longer than [`MAX_TAG_VALUE_LEN`] characters.
    #[error("{field} is {len} characters long; LaunchDarkly accepts at most 64")]
    TooLong {
        /// Which tag (`application id` or `application version`).
        field: &'static str,
        /// The length of the rejected value.
        len: usize,
    },
    /// The value contains a character other than ASCII letters, digits, `.`, `_` and `-`.
    #[error("{field} {value:?} contains {invalid:?}; only A-Z a-z 0-9 . _ - are allowed")]
    InvalidCharacter {
        /// Which tag (`application id` or `application version`).
        field: &'static str,
        /// The rejected value.
        value: String,
        /// The first character that is not allowed.
        invalid: char,
    },
}

/// Identifies the application using the SDK: its id and version.
///
/// ```
/// use ld_sdk::ApplicationInfo;
///
/// let info = ApplicationInfo::new().id("checkout-service").version("1.4.2");
/// assert_eq!(
///     info.validated().unwrap().tags_header().as_deref(),
///     Some("application-id/checkout-service application-version/1.4.2")
/// );
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApplicationInfo {
    id: Option<String>,
    version: Option<String>,
}

impl ApplicationInfo {
    /// No application metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the application id (validated by [`ApplicationInfo::validated`]).
    pub fn id(mut self, id: impl Into<String>) -> Self {
        self.id = Some(id.into());
        self
    }

    /// Sets the application version (validated by [`ApplicationInfo::validated`]).
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = Some(version.into());
        self
    }

    /// The application id, if set.
    pub fn application_id(&self) -> Option<&str> {
        self.id.as_deref()
    }

    /// The application version, if set.
    pub fn application_version(&self) -> Option<&str> {
        self.version.as_deref()
    }

    /// Checks both values against LaunchDarkly's tag rules. Empty values count as unset.
    pub fn validated(self) -> Result<Self, TagError> {
        Ok(Self {
            id: check("application id", self.id)?,
            version: check("application version", self.version)?,
        })
    }

    /// Drops (with a warning) any value LaunchDarkly would reject, as LaunchDarkly's own SDKs do.
    ///
    /// ```
    /// use ld_sdk::ApplicationInfo;
    ///
    /// let info = ApplicationInfo::new().id("ok").version("not ok!").sanitized();
    /// assert_eq!(info.tags_header().as_deref(), Some("application-id/ok"));
    /// ```
    pub fn sanitized(self) -> Self {
        let keep = |field, value: Option<String>| match check(field, value) {
            Ok(v) => v,
            Err(e) => {
                tracing::warn!("ignoring application tag: {e}");
                None
            }
        };
        Self {
            id: keep("application id", self.id),
            version: keep("application version", self.version),
        }
    }

    /// The value of the `X-LaunchDarkly-Tags` header (`application-id/ID application-version/V`,
    /// keys in alphabetical order), or `None` when no tag is set.
    pub fn tags_header(&self) -> Option<String> {
        let parts: Vec<String> = [
            ("application-id", &self.id),
            ("application-version", &self.version),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k}/{v}")))
        .collect();
        (!parts.is_empty()).then(|| parts.join(" "))
    }
}

fn check(field: &'static str, value: Option<String>) -> Result<Option<String>, TagError> {
    let Some(value) = value.filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if let Some(invalid) = value
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')))
    {
        return Err(TagError::InvalidCharacter {
            field,
            value,
            invalid,
        });
    }
    let len = value.chars().count();
    if len > MAX_TAG_VALUE_LEN {
        return Err(TagError::TooLong { field, len });
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_digits_dots_underscores_and_dashes_are_accepted() {
        let info = ApplicationInfo::new()
            .id("My_App-2.0")
            .version("a".repeat(64));
        assert!(info.validated().is_ok());
    }

    #[test]
    fn a_65_character_value_is_too_long() {
        let err = ApplicationInfo::new()
            .version("a".repeat(65))
            .validated()
            .unwrap_err();
        assert_eq!(
            err,
            TagError::TooLong {
                field: "application version",
                len: 65
            }
        );
    }

    #[test]
    fn spaces_slashes_and_non_ascii_are_rejected() {
        for bad in ["has space", "a/b", "café", "x:y"] {
            let err = ApplicationInfo::new().id(bad).validated().unwrap_err();
            assert!(
                matches!(err, TagError::InvalidCharacter { .. }),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn empty_values_count_as_unset() {
        let info = ApplicationInfo::new().id("").validated().unwrap();
        assert_eq!(info.tags_header(), None);
    }

    #[test]
    fn sanitized_drops_only_the_bad_value() {
        let info = ApplicationInfo::new()
            .id("x".repeat(65))
            .version("v1")
            .sanitized();
        assert_eq!(
            info.tags_header().as_deref(),
            Some("application-version/v1")
        );
    }
}
