//! The headers every LaunchDarkly request carries: SDK key, user agent, tags, wrapper and
//! instance id.

use ld_http::{HeaderMap, HeaderName, HeaderValue, header};

/// The default `User-Agent`: this SDK's name and version.
pub const DEFAULT_USER_AGENT: &str = concat!("LDRustServerSdk/", env!("CARGO_PKG_VERSION"));

/// Identification headers sent with every streaming and polling request.
///
/// ```
/// use ld_datasource_http::SdkHeaders;
///
/// let headers = SdkHeaders::new("sdk-123")
///     .wrapper("MyWrapper", Some("2.1"))
///     .tags("application-id/checkout application-version/1.4")
///     .instance_id("6f1d3a0e-1111-4222-8333-944445555666")
///     .to_header_map()
///     .unwrap();
/// assert_eq!(headers["authorization"], "sdk-123");
/// assert_eq!(headers["x-launchdarkly-wrapper"], "MyWrapper/2.1");
/// assert!(headers["user-agent"].to_str().unwrap().starts_with("LDRustServerSdk/"));
/// ```
#[derive(Clone)]
pub struct SdkHeaders {
    sdk_key: String,
    user_agent: String,
    wrapper: Option<String>,
    tags: Option<String>,
    instance_id: String,
}

impl std::fmt::Debug for SdkHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the SDK key.
        f.debug_struct("SdkHeaders")
            .field("user_agent", &self.user_agent)
            .field("wrapper", &self.wrapper)
            .field("tags", &self.tags)
            .field("instance_id", &self.instance_id)
            .finish_non_exhaustive()
    }
}

/// A header value could not be sent (control characters, non-visible bytes...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid value for header {header}")]
pub struct InvalidHeader {
    /// The header whose value was rejected (the value itself is not shown: it may be the key).
    pub header: &'static str,
}

impl SdkHeaders {
    /// Headers for `sdk_key`, with the default user agent and a fresh random instance id.
    pub fn new(sdk_key: impl Into<String>) -> Self {
        SdkHeaders {
            sdk_key: sdk_key.into(),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            wrapper: None,
            tags: None,
            instance_id: uuid::Uuid::new_v4().to_string(),
        }
    }

    /// Replaces the `User-Agent` value.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Sets `X-LaunchDarkly-Wrapper` to `name` or `name/version`.
    pub fn wrapper(mut self, name: &str, version: Option<&str>) -> Self {
        self.wrapper = Some(match version {
            Some(v) if !v.is_empty() => format!("{name}/{v}"),
            _ => name.to_string(),
        });
        self
    }

    /// Sets `X-LaunchDarkly-Tags`, already formatted (`key/value` pairs separated by spaces).
    pub fn tags(mut self, tags: impl Into<String>) -> Self {
        let tags = tags.into();
        self.tags = (!tags.is_empty()).then_some(tags);
        self
    }

    /// Sets `X-LaunchDarkly-Instance-Id` (one id per SDK client instance).
    pub fn instance_id(mut self, id: impl Into<String>) -> Self {
        self.instance_id = id.into();
        self
    }

    /// The instance id that will be sent.
    pub fn instance_id_value(&self) -> &str {
        &self.instance_id
    }

    /// The headers as a map, validating every value.
    pub fn to_header_map(&self) -> Result<HeaderMap, InvalidHeader> {
        let mut map = HeaderMap::new();
        let mut put = |name: HeaderName, label: &'static str, value: &str, sensitive: bool| {
            let mut v =
                HeaderValue::from_str(value).map_err(|_| InvalidHeader { header: label })?;
            v.set_sensitive(sensitive);
            map.insert(name, v);
            Ok::<_, InvalidHeader>(())
        };
        put(header::AUTHORIZATION, "Authorization", &self.sdk_key, true)?;
        put(header::USER_AGENT, "User-Agent", &self.user_agent, false)?;
        if let Some(w) = &self.wrapper {
            put(
                HeaderName::from_static("x-launchdarkly-wrapper"),
                "X-LaunchDarkly-Wrapper",
                w,
                false,
            )?;
        }
        if let Some(t) = &self.tags {
            put(
                HeaderName::from_static("x-launchdarkly-tags"),
                "X-LaunchDarkly-Tags",
                t,
                false,
            )?;
        }
        put(
            HeaderName::from_static("x-launchdarkly-instance-id"),
            "X-LaunchDarkly-Instance-Id",
            &self.instance_id,
            false,
        )?;
        Ok(map)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_with_a_newline_is_rejected_without_revealing_it() {
        let err = SdkHeaders::new("sdk-\nsecret").to_header_map().unwrap_err();
        assert_eq!(err.header, "Authorization");
        assert!(!err.to_string().contains("secret"));
    }

    #[test]
    fn debug_output_hides_the_sdk_key() {
        let h = SdkHeaders::new("sdk-very-secret");
        assert!(!format!("{h:?}").contains("very-secret"));
    }

    #[test]
    fn optional_headers_are_omitted_when_unset_and_instance_ids_differ() {
        let a = SdkHeaders::new("k").to_header_map().unwrap();
        assert!(a.get("x-launchdarkly-wrapper").is_none());
        assert!(a.get("x-launchdarkly-tags").is_none());
        let b = SdkHeaders::new("k").to_header_map().unwrap();
        assert_ne!(
            a["x-launchdarkly-instance-id"],
            b["x-launchdarkly-instance-id"]
        );
        let w = SdkHeaders::new("k")
            .wrapper("W", None)
            .to_header_map()
            .unwrap();
        assert_eq!(w["x-launchdarkly-wrapper"], "W");
    }
}
