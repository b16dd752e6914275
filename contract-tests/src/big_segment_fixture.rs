//! The harness's big segment store fixture, called over HTTP (`POST /getMetadata`,
//! `POST /getMembership`), and the [`BigSegmentStore`] the SDK is configured with in
//! big segment tests: every store call is one call to the fixture.

use crate::callback_client::{CallbackError, post_json};
use ld_sdk::{BigSegmentMembership, BigSegmentStore, BigSegmentStoreError};
use serde::Deserialize;
use serde_json::json;
use std::collections::HashMap;

/// A client of one fixture.
#[derive(Debug, Clone)]
pub struct BigSegmentFixture {
    base_uri: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetadataResponse {
    last_up_to_date: Option<u64>,
}

#[derive(Deserialize)]
struct MembershipResponse {
    values: Option<HashMap<String, Option<bool>>>,
}

impl BigSegmentFixture {
    /// A client of the fixture at `base_uri`.
    pub fn new(base_uri: &str) -> Self {
        Self {
            base_uri: base_uri.to_owned(),
        }
    }

    /// When the store was last updated (Unix milliseconds), if it says.
    pub fn last_up_to_date(&self) -> Result<Option<u64>, CallbackError> {
        let body = post_json(&self.base_uri, "/getMetadata", &json!({}))?;
        let parsed: MetadataResponse =
            serde_json::from_slice(&body).map_err(|e| CallbackError::BadResponse(e.to_string()))?;
        Ok(parsed.last_up_to_date)
    }

    /// The memberships of the context whose hashed key is `context_hash`: segment reference →
    /// included (`true`), excluded (`false`) or no value (`None`). `Ok(None)` means the fixture
    /// returned no membership object at all.
    pub fn membership(
        &self,
        context_hash: &str,
    ) -> Result<Option<HashMap<String, Option<bool>>>, CallbackError> {
        let body = post_json(
            &self.base_uri,
            "/getMembership",
            &json!({ "contextHash": context_hash }),
        )?;
        let parsed: MembershipResponse =
            serde_json::from_slice(&body).map_err(|e| CallbackError::BadResponse(e.to_string()))?;
        Ok(parsed.values)
    }
}

/// The SDK's view of the fixture: metadata and memberships come from the harness, which
/// decides what each answer is (including errors, as non-2xx replies).
impl BigSegmentStore for BigSegmentFixture {
    fn get_metadata(&self) -> Result<Option<u64>, BigSegmentStoreError> {
        self.last_up_to_date()
            .map_err(BigSegmentStoreError::from_source)
    }

    fn get_membership(
        &self,
        context_hash: &str,
    ) -> Result<BigSegmentMembership, BigSegmentStoreError> {
        let values = self
            .membership(context_hash)
            .map_err(BigSegmentStoreError::from_source)?;
        // `null` for a ref means "not listed", as does a missing ref.
        Ok(values
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(segment_ref, included)| included.map(|i| (segment_ref, i)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpListener;
    use std::thread;

    fn serve_once(answer: &'static str) -> (String, thread::JoinHandle<String>) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let uri = format!("http://{}", listener.local_addr().unwrap());
        let handle = thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            while !raw.ends_with(b"}") {
                let n = conn.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                raw.extend_from_slice(&buf[..n]);
            }
            conn.write_all(answer.as_bytes()).unwrap();
            String::from_utf8(raw).unwrap()
        });
        (uri, handle)
    }

    #[test]
    fn metadata_reads_last_up_to_date() {
        let (uri, server) = serve_once("HTTP/1.0 200 OK\r\n\r\n{\"lastUpToDate\":1700000000000}");
        assert_eq!(
            BigSegmentFixture::new(&uri).last_up_to_date().unwrap(),
            Some(1_700_000_000_000)
        );
        assert!(server.join().unwrap().starts_with("POST /getMetadata "));
    }

    #[test]
    fn membership_sends_the_hash_and_reads_true_false_and_null() {
        let (uri, server) = serve_once(
            "HTTP/1.0 200 OK\r\n\r\n{\"values\":{\"s1.g1\":true,\"s2.g2\":false,\"s3.g3\":null}}",
        );
        let values = BigSegmentFixture::new(&uri)
            .membership("abc=")
            .unwrap()
            .unwrap();
        assert_eq!(values["s1.g1"], Some(true));
        assert_eq!(values["s2.g2"], Some(false));
        assert_eq!(values["s3.g3"], None);
        let request = server.join().unwrap();
        assert!(request.starts_with("POST /getMembership "), "{request}");
        assert!(request.ends_with(r#"{"contextHash":"abc="}"#), "{request}");
    }

    #[test]
    fn membership_without_values_is_none() {
        let (uri, server) = serve_once("HTTP/1.0 200 OK\r\n\r\n{}");
        assert_eq!(BigSegmentFixture::new(&uri).membership("h").unwrap(), None);
        server.join().unwrap();
    }

    #[test]
    fn as_a_store_the_fixture_answers_memberships_and_metadata() {
        let (uri, server) = serve_once(
            "HTTP/1.0 200 OK\r\n\r\n{\"values\":{\"s1.g1\":true,\"s2.g2\":false,\"s3.g3\":null}}",
        );
        let store = BigSegmentFixture::new(&uri);
        let m = store.get_membership("abc=").unwrap();
        assert_eq!(m.check("s1.g1"), Some(true));
        assert_eq!(m.check("s2.g2"), Some(false));
        assert_eq!(m.check("s3.g3"), None);
        server.join().unwrap();

        let (uri, server) = serve_once("HTTP/1.0 200 OK\r\n\r\n{\"values\":null}");
        assert!(
            BigSegmentFixture::new(&uri)
                .get_membership("h")
                .unwrap()
                .is_empty()
        );
        server.join().unwrap();

        let (uri, server) = serve_once("HTTP/1.0 200 OK\r\n\r\n{\"lastUpToDate\":5}");
        assert_eq!(
            BigSegmentFixture::new(&uri).get_metadata().unwrap(),
            Some(5)
        );
        server.join().unwrap();

        let (uri, server) = serve_once("HTTP/1.0 500 Internal Server Error\r\n\r\nno");
        assert!(BigSegmentFixture::new(&uri).get_membership("h").is_err());
        server.join().unwrap();
    }

    #[test]
    fn fixture_errors_are_reported() {
        let (uri, server) = serve_once("HTTP/1.0 500 Internal Server Error\r\n\r\nno");
        assert!(BigSegmentFixture::new(&uri).last_up_to_date().is_err());
        server.join().unwrap();
    }
}
