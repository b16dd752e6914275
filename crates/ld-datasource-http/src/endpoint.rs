//! Building request URLs from a base URL, a path and the optional payload filter.

/// Joins `base` (with or without trailing slashes) and `path`, adding `?filter=KEY` when a
/// payload filter is set (the key is percent-encoded).
pub(crate) fn url_for(base: &str, path: &str, filter: Option<&str>) -> String {
    let mut url = String::with_capacity(base.len() + path.len() + 32);
    url.push_str(base.trim_end_matches('/'));
    url.push_str(path);
    if let Some(filter) = filter.filter(|f| !f.is_empty()) {
        url.push_str("?filter=");
        for b in filter.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                url.push(b as char);
            } else {
                url.push_str(&format!("%{b:02X}"));
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_with_trailing_slashes_join_cleanly() {
        assert_eq!(
            url_for("https://stream.launchdarkly.com/", "/all", None),
            "https://stream.launchdarkly.com/all"
        );
        assert_eq!(
            url_for("http://relay:8030/prefix//", "/sdk/latest-all", None),
            "http://relay:8030/prefix/sdk/latest-all"
        );
    }

    #[test]
    fn filter_keys_are_percent_encoded() {
        assert_eq!(
            url_for("http://h", "/all", Some("my-filter_1")),
            "http://h/all?filter=my-filter_1"
        );
        assert_eq!(
            url_for("http://h", "/all", Some("a b&c")),
            "http://h/all?filter=a%20b%26c"
        );
        assert_eq!(url_for("http://h", "/all", Some("")), "http://h/all");
    }
}
