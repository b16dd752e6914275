//! Proxy selection: explicit configuration or the conventional environment variables.
//!
//! HTTPS targets go through an HTTP `CONNECT` tunnel (TLS end to end); plain-HTTP targets are
//! sent to the proxy in absolute form. The proxy itself may be reached over `http://` or
//! `https://`, and `user:password@` in its URL becomes a `Proxy-Authorization: Basic` header.

use http::HeaderValue;

use crate::error::HttpError;

/// Which proxy the client uses.
#[derive(Debug, Clone, Default)]
pub enum ProxyConfig {
    /// Read `HTTPS_PROXY`/`https_proxy` (for `https://` targets), `HTTP_PROXY`/`http_proxy` (for
    /// `http://` targets) and `NO_PROXY`/`no_proxy` once, when the client is built.
    #[default]
    FromEnv,
    /// Never use a proxy.
    None,
    /// Use this proxy for every target except those matched by `no_proxy`.
    Url {
        /// The proxy URL, for example `http://user:secret@proxy.internal:3128`.
        url: String,
        /// Comma-separated hosts to reach directly, same syntax as `NO_PROXY`.
        no_proxy: Option<String>,
    },
}

/// A parsed proxy address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProxyEndpoint {
    /// Whether the client speaks TLS to the proxy itself.
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    /// `Basic ...` credentials taken from the URL's user info.
    pub(crate) authorization: Option<HeaderValue>,
}

/// The proxy decision table the client consults for every connection.
#[derive(Debug, Clone, Default)]
pub(crate) struct ProxyRules {
    http: Option<ProxyEndpoint>,
    https: Option<ProxyEndpoint>,
    no_proxy: Vec<NoProxyEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum NoProxyEntry {
    All,
    Host { host: String, port: Option<u16> },
}

impl ProxyRules {
    /// Resolves a [`ProxyConfig`], reading the process environment for [`ProxyConfig::FromEnv`].
    pub(crate) fn resolve(config: &ProxyConfig) -> Result<ProxyRules, HttpError> {
        Self::resolve_with(config, |name| std::env::var(name).ok())
    }

    /// Like [`resolve`](Self::resolve) with an injectable environment (for tests).
    pub(crate) fn resolve_with(
        config: &ProxyConfig,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxyRules, HttpError> {
        let non_empty = |names: &[&str]| {
            names
                .iter()
                .filter_map(|n| env(n))
                .find(|v| !v.trim().is_empty())
        };
        match config {
            ProxyConfig::None => Ok(ProxyRules::default()),
            ProxyConfig::Url { url, no_proxy } => {
                let endpoint = parse_proxy_url(url)?;
                Ok(ProxyRules {
                    http: Some(endpoint.clone()),
                    https: Some(endpoint),
                    no_proxy: parse_no_proxy(no_proxy.as_deref().unwrap_or("")),
                })
            }
            ProxyConfig::FromEnv => {
                let https = non_empty(&["https_proxy", "HTTPS_PROXY"])
                    .map(|u| parse_proxy_url(&u))
                    .transpose()?;
                let http = non_empty(&["http_proxy", "HTTP_PROXY"])
                    .map(|u| parse_proxy_url(&u))
                    .transpose()?;
                let no_proxy = non_empty(&["no_proxy", "NO_PROXY"]).unwrap_or_default();
                Ok(ProxyRules {
                    http,
                    https,
                    no_proxy: parse_no_proxy(&no_proxy),
                })
            }
        }
    }

    /// The proxy to use for a target, or `None` to connect directly.
    pub(crate) fn for_target(&self, https: bool, host: &str, port: u16) -> Option<&ProxyEndpoint> {
        let endpoint = if https {
            self.https.as_ref()
        } else {
            self.http.as_ref()
        }?;
        let host = host.trim_start_matches('[').trim_end_matches(']');
        let bypass = self.no_proxy.iter().any(|entry| match entry {
            NoProxyEntry::All => true,
            NoProxyEntry::Host { host: h, port: p } => {
                p.is_none_or(|p| p == port)
                    && (host.eq_ignore_ascii_case(h)
                        || (host.len() > h.len()
                            && host[host.len() - h.len()..].eq_ignore_ascii_case(h)
                            && host.as_bytes()[host.len() - h.len() - 1] == b'.'))
            }
        });
        (!bypass).then_some(endpoint)
    }
}

fn parse_no_proxy(list: &str) -> Vec<NoProxyEntry> {
    list.split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(|entry| {
            if entry == "*" {
                return NoProxyEntry::All;
            }
            let entry = entry.trim_start_matches("*.").trim_start_matches('.');
            let (host, port) = split_host_port(entry);
            NoProxyEntry::Host {
                host: host.to_ascii_lowercase(),
                port,
            }
        })
        .collect()
}

/// Splits `host[:port]`, understanding `[v6]:port` and bare IPv6 addresses.
fn split_host_port(s: &str) -> (&str, Option<u16>) {
    if let Some(rest) = s.strip_prefix('[') {
        if let Some((host, after)) = rest.split_once(']') {
            let port = after.strip_prefix(':').and_then(|p| p.parse().ok());
            return (host, port);
        }
        return (rest, None);
    }
    match s.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => match port.parse() {
            Ok(p) => (host, Some(p)),
            Err(_) => (s, None),
        },
        _ => (s, None),
    }
}

pub(crate) fn parse_proxy_url(url: &str) -> Result<ProxyEndpoint, HttpError> {
    let invalid = |reason: &str| HttpError::Config(format!("invalid proxy URL: {reason}"));
    let url = url.trim();
    let (tls, rest) = if let Some(r) = url.strip_prefix("https://") {
        (true, r)
    } else if let Some(r) = url.strip_prefix("http://") {
        (false, r)
    } else if url.contains("://") {
        return Err(invalid("only http:// and https:// proxies are supported"));
    } else {
        (false, url)
    };
    let authority = rest.split('/').next().unwrap_or_default();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let (host, port) = split_host_port(hostport);
    if host.is_empty() {
        return Err(invalid("missing host"));
    }
    let authorization = match userinfo {
        Some(info) => {
            let decoded = percent_decode(info);
            let value = format!("Basic {}", base64_encode(&decoded));
            Some(HeaderValue::from_str(&value).map_err(|_| invalid("bad credentials"))?)
        }
        None => None,
    };
    Ok(ProxyEndpoint {
        tls,
        host: host.to_string(),
        port: port.unwrap_or(if tls { 443 } else { 80 }),
        authorization,
    })
}

fn percent_decode(s: &str) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    out
}

fn base64_encode(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (i, shift) in [18u32, 12, 6, 0].into_iter().enumerate() {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> shift) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(k, _)| *k == name)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn base64_matches_the_rfc_4648_test_vectors() {
        let cases = [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ];
        for (input, expected) in cases {
            assert_eq!(base64_encode(input.as_bytes()), expected);
        }
    }

    #[test]
    fn proxy_url_with_credentials_becomes_basic_authorization() {
        let p = parse_proxy_url("http://us%40er:p%3Ass@proxy.local:3128/").unwrap();
        assert_eq!(p.host, "proxy.local");
        assert_eq!(p.port, 3128);
        assert!(!p.tls);
        // "us@er:p:ss"
        assert_eq!(
            p.authorization.unwrap().to_str().unwrap(),
            format!("Basic {}", base64_encode(b"us@er:p:ss"))
        );
    }

    #[test]
    fn proxy_url_without_scheme_defaults_to_http_port_80() {
        let p = parse_proxy_url("proxy.local").unwrap();
        assert_eq!((p.tls, p.port, p.authorization), (false, 80, None));
        let p = parse_proxy_url("https://[::1]").unwrap();
        assert_eq!((p.tls, p.host.as_str(), p.port), (true, "::1", 443));
    }

    #[test]
    fn socks_proxies_are_rejected_with_a_clear_error() {
        let err = parse_proxy_url("socks5://proxy:1080").unwrap_err();
        assert!(err.to_string().contains("only http"), "{err}");
    }

    #[test]
    fn env_proxies_are_chosen_by_target_scheme() {
        let rules = ProxyRules::resolve_with(
            &ProxyConfig::FromEnv,
            env(&[
                ("HTTPS_PROXY", "http://secure:1"),
                ("http_proxy", "plain:2"),
            ]),
        )
        .unwrap();
        assert_eq!(rules.for_target(true, "a.com", 443).unwrap().host, "secure");
        assert_eq!(rules.for_target(false, "a.com", 80).unwrap().host, "plain");
    }

    #[test]
    fn no_proxy_matches_exact_hosts_subdomains_ports_and_star() {
        let rules = ProxyRules::resolve_with(
            &ProxyConfig::Url {
                url: "http://p:1".into(),
                no_proxy: Some("internal.corp, .example.com,localhost:8080,[::1]".into()),
            },
            |_| None,
        )
        .unwrap();
        assert!(rules.for_target(true, "internal.corp", 443).is_none());
        assert!(rules.for_target(true, "a.internal.corp", 443).is_none());
        assert!(rules.for_target(true, "notinternal.corp", 443).is_some());
        assert!(rules.for_target(true, "x.example.com", 443).is_none());
        assert!(rules.for_target(true, "example.com", 443).is_none());
        assert!(rules.for_target(false, "localhost", 8080).is_none());
        assert!(rules.for_target(false, "localhost", 8081).is_some());
        assert!(rules.for_target(false, "[::1]", 80).is_none());
        assert!(
            rules
                .for_target(true, "sdk.launchdarkly.com", 443)
                .is_some()
        );

        let all = ProxyRules::resolve_with(
            &ProxyConfig::FromEnv,
            env(&[("HTTPS_PROXY", "p:1"), ("NO_PROXY", "*")]),
        )
        .unwrap();
        assert!(all.for_target(true, "anything", 443).is_none());
    }

    #[test]
    fn proxy_config_none_ignores_the_environment() {
        let rules =
            ProxyRules::resolve_with(&ProxyConfig::None, env(&[("HTTPS_PROXY", "p:1")])).unwrap();
        assert!(rules.for_target(true, "a.com", 443).is_none());
    }
}
