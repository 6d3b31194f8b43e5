//! One request to the endpoint: the HTTP agent (its timeouts, no proxy, no
//! redirects), retries with exponential backoff and jitter on connection
//! errors, 429 (honouring `Retry-After`) and 5xx, and the error a failed
//! exchange becomes. Once a 2xx status is in, nothing is retried.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read as _;
use std::time::{Duration, Instant, SystemTime};

use ureq::http::Response;
use ureq::Body;

use super::{ClientError, ClientOptions, Wait};
use crate::Cancel;

/// The most of an error body read (for its message).
const MAX_ERROR_BODY: u64 = 64 << 10;

/// The HTTP agent for `options`: connect timeout; the first-token timeout
/// on the response headers and on every read of the body (so a stall
/// between tokens is caught too); the request timeout over everything. No
/// proxy from the environment and no redirects, so the request goes to the
/// checked host and nowhere else.
pub(crate) fn agent(options: &ClientOptions) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .max_redirects(0)
        .max_redirects_will_error(false)
        .timeout_connect(Some(options.connect_timeout))
        .timeout_recv_response(Some(options.first_token_timeout))
        .timeout_per_read(Some(options.first_token_timeout))
        .timeout_global(Some(options.request_timeout))
        .user_agent(concat!("autonomic-llm/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

/// What to send.
pub(crate) struct Call<'a> {
    pub url: &'a str,
    /// A JSON body to POST, or none for a GET.
    pub body: Option<&'a [u8]>,
    /// Whether an event stream is asked for.
    pub stream: bool,
}

/// Sends `call` until it gets a 2xx response, retrying what may be retried;
/// `None` when `cancel` was tripped during a backoff.
pub(crate) fn send(
    agent: &ureq::Agent,
    options: &ClientOptions,
    call: &Call<'_>,
    cancel: &Cancel,
    deadline: Instant,
) -> Result<Option<Response<Body>>, ClientError> {
    let mut attempts = 0u32;
    loop {
        attempts += 1;
        let result = match call.body {
            Some(body) => {
                let mut request = agent
                    .post(call.url)
                    .header("Content-Type", "application/json");
                if call.stream {
                    request = request.header("Accept", "text/event-stream");
                } else {
                    // A whole reply comes after the whole generation: only
                    // the request timeout applies to its wait.
                    request = request
                        .config()
                        .timeout_recv_response(Some(options.request_timeout))
                        .timeout_per_read(Some(options.request_timeout))
                        .build();
                }
                if let Some(key) = &options.api_key {
                    request = request.header("Authorization", format!("Bearer {}", key.expose()));
                }
                request.send(body)
            }
            None => {
                let mut request = agent.get(call.url);
                if let Some(key) = &options.api_key {
                    request = request.header("Authorization", format!("Bearer {}", key.expose()));
                }
                request.call()
            }
        };
        let (error, wait) = match result {
            Ok(response) if response.status().is_success() => return Ok(Some(response)),
            Ok(mut response) => {
                let status = response.status().as_u16();
                let retry_after = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| parse_retry_after(v, SystemTime::now()));
                let message = error_body(response.body_mut());
                let error = ClientError::Status {
                    url: call.url.to_owned(),
                    status,
                    attempts,
                    message,
                };
                if status != 429 && status < 500 {
                    return Err(error);
                }
                let wait = retry_after.map_or_else(
                    || backoff(options, attempts),
                    |after| after.min(options.max_backoff),
                );
                tracing::debug!(
                    status,
                    attempts,
                    wait_ms = wait.as_millis() as u64,
                    "endpoint busy or failing; retrying"
                );
                (error, wait)
            }
            Err(error) => {
                let retryable = matches!(
                    error,
                    ureq::Error::Io(_)
                        | ureq::Error::ConnectionFailed
                        | ureq::Error::HostNotFound
                        | ureq::Error::Timeout(ureq::Timeout::Connect)
                );
                let error = exchange_error(call, options, attempts, error);
                if !retryable {
                    return Err(error);
                }
                tracing::debug!(attempts, "no connection to the endpoint; retrying");
                (error, backoff(options, attempts))
            }
        };
        if attempts > options.max_retries || Instant::now() + wait > deadline {
            return Err(error);
        }
        if !sleep_unless_cancelled(wait, cancel) {
            return Ok(None);
        }
    }
}

/// A failed exchange (no response) as our error.
fn exchange_error(
    call: &Call<'_>,
    options: &ClientOptions,
    attempts: u32,
    error: ureq::Error,
) -> ClientError {
    match error {
        // A whole reply has no first token to wait for: its waits are the
        // connection and the request timeout.
        ureq::Error::Timeout(timeout) if !call.stream && timeout != ureq::Timeout::Connect => {
            timeout_error(call.url, options, ureq::Timeout::Global)
        }
        ureq::Error::Timeout(timeout) => timeout_error(call.url, options, timeout),
        other => ClientError::Connect {
            url: call.url.to_owned(),
            attempts,
            source: Box::new(other),
        },
    }
}

/// Which of our waits a ureq timeout is.
pub(crate) fn timeout_error(
    url: &str,
    options: &ClientOptions,
    timeout: ureq::Timeout,
) -> ClientError {
    let (wait, limit) = match timeout {
        ureq::Timeout::Connect => (Wait::Connect, options.connect_timeout),
        ureq::Timeout::Global | ureq::Timeout::PerCall => (Wait::Total, options.request_timeout),
        _ => (Wait::FirstToken, options.first_token_timeout),
    };
    ClientError::Timeout {
        url: url.to_owned(),
        wait,
        secs: limit.as_secs(),
    }
}

/// The `error.message` of an error body, else the body, cut to 500 chars.
fn error_body(body: &mut Body) -> String {
    let mut bytes = Vec::new();
    let _ = body
        .with_config()
        .limit(MAX_ERROR_BODY)
        .reader()
        .take(MAX_ERROR_BODY)
        .read_to_end(&mut bytes);
    let text = String::from_utf8_lossy(&bytes);
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| super::wire::error_message(&v))
        .unwrap_or_else(|| text.trim().to_owned());
    message.chars().take(500).collect()
}

/// `Retry-After` as a wait from `now`: delay-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// The wait before retry number `attempt` (1-based): `initial × 2^(attempt−1)`,
/// at most `max_backoff`, less a random share of up to half (jitter, so
/// clients that failed together do not retry together).
pub(crate) fn backoff(options: &ClientOptions, attempt: u32) -> Duration {
    let doubled = options
        .initial_backoff
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let full = doubled.min(options.max_backoff);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(attempt);
    let share = (hasher.finish() % 1000) as f64 / 2000.0; // [0, 0.5)
    full.mul_f64(1.0 - share)
}

/// Sleeps `wait` in short slices; `false` if `cancel` was tripped.
fn sleep_unless_cancelled(wait: Duration, cancel: &Cancel) -> bool {
    let until = Instant::now() + wait;
    loop {
        if cancel.is_cancelled() {
            return false;
        }
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(Duration::from_millis(50)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_in_seconds_or_as_a_date() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        // Sun, 06 Nov 1994 08:49:37 GMT is 784111777.
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:27 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_a_cap() {
        let mut options = ClientOptions::new("http://127.0.0.1/v1", "m");
        options.initial_backoff = Duration::from_millis(100);
        options.max_backoff = Duration::from_millis(350);
        for _ in 0..20 {
            let first = backoff(&options, 1);
            assert!(first > Duration::from_millis(50) && first <= Duration::from_millis(100));
            let second = backoff(&options, 2);
            assert!(second > Duration::from_millis(100) && second <= Duration::from_millis(200));
            assert!(backoff(&options, 9) <= Duration::from_millis(350));
        }
    }
}
