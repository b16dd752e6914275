//! Why a data source could not be built.

use crate::sdk_headers::InvalidHeader;

/// A data source builder was given settings it cannot use.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// A header value (SDK key, tags, wrapper...) cannot be sent over HTTP.
    #[error(transparent)]
    Header(#[from] InvalidHeader),
    /// The default HTTP client could not be created.
    #[error(transparent)]
    Http(#[from] ld_http::HttpError),
}
