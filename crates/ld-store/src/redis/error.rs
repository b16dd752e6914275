//! Errors of the Redis stores.

use crate::DataKind;

/// What went wrong talking to Redis or reading what it holds.
#[derive(Debug, Clone, thiserror::Error)]
pub enum RedisStoreError {
    /// The configured URL could not be used (the message never contains the password).
    #[error("invalid Redis URL {url}: {message}")]
    InvalidUrl {
        /// The URL with any password replaced by `xxxx`.
        url: String,
        /// Why it was rejected.
        message: String,
    },
    /// Redis could not be reached, or did not answer in time.
    #[error("Redis unavailable: {0}")]
    Unavailable(String),
    /// Redis answered with an error.
    #[error("Redis command failed: {0}")]
    Command(String),
    /// A stored item is not valid JSON with a version.
    #[error("malformed item {key:?}{}: {message}", kind.map(|k| format!(" in {k}")).unwrap_or_default())]
    MalformedItem {
        /// The item's kind, when known.
        kind: Option<DataKind>,
        /// The item's key, when known (empty otherwise).
        key: String,
        /// The parse error.
        message: String,
    },
    /// The store's background I/O thread could not be started or has stopped.
    #[error("Redis store I/O runtime: {0}")]
    Runtime(String),
}

impl RedisStoreError {
    /// Whether the error means Redis itself is unreachable (as opposed to bad data).
    pub fn is_unavailable(&self) -> bool {
        matches!(self, Self::Unavailable(_) | Self::Runtime(_))
    }

    pub(crate) fn from_redis(err: &redis::RedisError) -> Self {
        if is_connection_error(err) {
            Self::Unavailable(err.to_string())
        } else {
            Self::Command(err.to_string())
        }
    }
}

/// Whether a client error means the connection is gone (so it must be re-established).
pub(crate) fn is_connection_error(err: &redis::RedisError) -> bool {
    err.is_io_error()
        || err.is_connection_dropped()
        || err.is_connection_refusal()
        || err.is_timeout()
        || err.is_unrecoverable_error()
}

/// `redis://user:secret@host` → `redis://user:xxxx@host`, for logs and errors.
pub(crate) fn redact_url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    let userinfo = &rest[..at];
    let user = userinfo.split(':').next().unwrap_or("");
    let masked = if userinfo.contains(':') {
        format!("{user}:xxxx")
    } else {
        "xxxx".to_owned()
    };
    format!("{}{masked}{}", &url[..scheme_end], &rest[at..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_hides_passwords_and_keeps_the_rest() {
        assert_eq!(
            redact_url("redis://localhost:6379/0"),
            "redis://localhost:6379/0"
        );
        assert_eq!(
            redact_url("redis://:hunter2@host:1/2"),
            "redis://:xxxx@host:1/2"
        );
        assert_eq!(redact_url("rediss://me:pw@host"), "rediss://me:xxxx@host");
        assert_eq!(redact_url("redis://tokenonly@host"), "redis://xxxx@host");
    }
}
