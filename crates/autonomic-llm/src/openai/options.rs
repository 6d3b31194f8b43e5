//! What an [`OpenAiClient`](super::OpenAiClient) is built from: the
//! endpoint, the API key (a [`Secret`]), timeouts, retries and how schema
//! output is asked for — `[llm]` in `config.toml`, mirrored.

use std::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use autonomic_core::config::{LlmConfig, StructuredOutput};

use super::ClientError;

/// An API key: [`Debug`] and [`Display`] print `***`, so it cannot reach a
/// log or an error message by accident; [`Secret::expose`] is the one way
/// to its text (used for the `Authorization` header only).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps `key`.
    pub fn new(key: impl Into<String>) -> Secret {
        Secret(key.into())
    }

    /// The key itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Everything an [`OpenAiClient`](super::OpenAiClient) needs.
#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// The endpoint's base URL, ending before `/chat/completions` (e.g.
    /// `http://127.0.0.1:8080/v1`).
    pub base_url: String,
    /// The model name sent with every request.
    pub model: String,
    /// Sent as `Authorization: Bearer …` when set.
    pub api_key: Option<Secret>,
    /// Whether `base_url` may be another machine.
    pub allow_remote: bool,
    /// How a schema is asked for (the reply is validated here in every case).
    pub structured_output: StructuredOutput,
    /// Longest wait for the TCP connection.
    pub connect_timeout: Duration,
    /// Longest wait from sending a streamed request to the first token (and
    /// between two reads of the stream). A non-streamed reply, which comes
    /// whole after the generation, has only `request_timeout`.
    pub first_token_timeout: Duration,
    /// Longest a whole reply may take, retries included.
    pub request_timeout: Duration,
    /// Retries after a connection error, 429 or 5xx.
    pub max_retries: u32,
    /// Times a reply breaking the schema is asked for again.
    pub schema_retries: u32,
    /// Ask for a streamed reply (server-sent events); otherwise one JSON
    /// document.
    pub stream: bool,
    /// The first backoff delay; each retry doubles it, up to `max_backoff`,
    /// and a random share of up to half is taken off (jitter).
    pub initial_backoff: Duration,
    /// The longest backoff delay, and the most a `Retry-After` is honoured.
    pub max_backoff: Duration,
}

impl ClientOptions {
    /// Options for `model` at `base_url` with `[llm]`'s defaults (no key,
    /// loopback only, streaming).
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> ClientOptions {
        ClientOptions {
            base_url: base_url.into(),
            model: model.into(),
            api_key: None,
            allow_remote: false,
            structured_output: StructuredOutput::ResponseFormat,
            connect_timeout: Duration::from_secs(5),
            first_token_timeout: Duration::from_secs(120),
            request_timeout: Duration::from_secs(600),
            max_retries: 3,
            schema_retries: 2,
            stream: true,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
        }
    }

    /// The options `[llm]` describes, with the key read by the caller (see
    /// [`api_key_from_env`]).
    pub fn from_config(config: &LlmConfig, api_key: Option<Secret>) -> ClientOptions {
        ClientOptions {
            api_key,
            allow_remote: config.allow_remote,
            structured_output: config.structured_output,
            connect_timeout: Duration::from_secs(config.connect_timeout_secs),
            first_token_timeout: Duration::from_secs(config.first_token_timeout_secs),
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            max_retries: u32::try_from(config.max_retries).unwrap_or(u32::MAX),
            schema_retries: u32::try_from(config.schema_retries).unwrap_or(u32::MAX),
            ..ClientOptions::new(config.base_url.clone(), config.model.clone())
        }
    }
}

/// The key named by `[llm] api_key_env`: `None` when no variable is
/// configured, an error when one is configured but unset or empty.
pub fn api_key_from_env(config: &LlmConfig) -> Result<Option<Secret>, ClientError> {
    let Some(name) = &config.api_key_env else {
        return Ok(None);
    };
    match autonomic_core::env::configured(name) {
        Some(key) => Ok(Some(Secret::new(key))),
        None => Err(ClientError::NoApiKey { var: name.clone() }),
    }
}

/// The host of an `http://` or `https://` URL (IPv6 without brackets), or
/// `None` when `url` is not one.
pub(crate) fn url_host(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    // user:password@host — the host is after the last '@'.
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = if let Some(v6) = host_port.strip_prefix('[') {
        v6.split(']').next().unwrap_or_default()
    } else {
        host_port.split(':').next().unwrap_or_default()
    };
    (!host.is_empty()).then_some(host)
}

/// Whether `host` names this machine without a DNS lookup: `localhost`,
/// 127.0.0.0/8, `::1` (or IPv4-mapped 127.x). Any other name is remote.
pub fn is_loopback_host(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    if let Ok(v4) = host.parse::<Ipv4Addr>() {
        return v4.is_loopback();
    }
    if let Ok(v6) = host.parse::<Ipv6Addr>() {
        return v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback());
    }
    false
}

/// Refuses a `base_url` that is not an http(s) URL, or whose host is not
/// this machine while `allow_remote` is off.
pub(crate) fn check_endpoint(base_url: &str, allow_remote: bool) -> Result<(), ClientError> {
    let host = url_host(base_url).ok_or_else(|| ClientError::BadUrl {
        url: base_url.to_owned(),
    })?;
    if !allow_remote && !is_loopback_host(host) {
        return Err(ClientError::Remote {
            url: base_url.to_owned(),
            host: host.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_decided_without_dns() {
        for url in [
            "http://127.0.0.1:8080/v1",
            "http://127.3.4.5/v1",
            "http://localhost:1/v1",
            "http://LOCALHOST/v1",
            "http://[::1]:8080/v1",
            "http://[::ffff:127.0.0.1]/v1",
            "https://user:pw@127.0.0.1/v1",
        ] {
            assert!(check_endpoint(url, false).is_ok(), "{url}");
        }
        for url in [
            "http://10.0.0.1/v1",
            "http://example.com/v1",
            "http://127.0.0.1.nip.io/v1",
            "http://127.1/v1",
            "http://localhost.evil.com/v1",
            "http://127.0.0.1@evil.com/v1",
            "http://[::2]/v1",
            "http://0.0.0.0/v1",
        ] {
            assert!(
                matches!(check_endpoint(url, false), Err(ClientError::Remote { .. })),
                "{url}"
            );
            assert!(check_endpoint(url, true).is_ok(), "{url}");
        }
        assert!(matches!(
            check_endpoint("ftp://127.0.0.1/", true),
            Err(ClientError::BadUrl { .. })
        ));
    }

    #[test]
    fn a_configured_but_unset_key_variable_is_an_error() {
        let mut config = LlmConfig::default();
        assert!(api_key_from_env(&config).unwrap().is_none());
        config.api_key_env = Some("AUTONOMIC_TEST_SURELY_UNSET_KEY_7f3a".to_owned());
        let err = api_key_from_env(&config).unwrap_err();
        assert!(
            err.to_string()
                .contains("AUTONOMIC_TEST_SURELY_UNSET_KEY_7f3a"),
            "{err}"
        );
    }

    #[test]
    fn secrets_redact_themselves() {
        let key = Secret::new("sk-very-secret");
        assert_eq!(format!("{key:?} {key}"), "*** ***");
        let mut options = ClientOptions::new("http://127.0.0.1/v1", "m");
        options.api_key = Some(key);
        assert!(!format!("{options:?}").contains("very-secret"));
    }
}
