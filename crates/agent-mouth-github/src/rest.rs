//! A blocking client for GitHub's REST API that sends only
//! [`ValidatedApiCall`]s.
//!
//! Every request carries `Authorization: Bearer …`, `Accept:
//! application/vnd.github+json`, `X-GitHub-Api-Version: 2022-11-28` and a
//! `User-Agent` (GitHub refuses requests without one). A 403 or 429 that
//! is a rate limit waits — `retry-after` for secondary limits, until
//! `x-ratelimit-reset` when `x-ratelimit-remaining` is 0 — if the wait is
//! within the configured cap, and otherwise fails naming it; 5xx answers
//! and connection errors are retried with exponential backoff; any other
//! error status becomes [`GitHubError::Api`] with GitHub's `message`,
//! `documentation_url` and `errors`. A retried write whose first attempt
//! did reach GitHub can happen twice (a comment posted twice).

use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use agent_mouth::outbound::{ApiVerdict, HttpMethod, ValidatedApiCall};
use autonomic_core::Decision;
use serde_json::Value;

use crate::limits::{self, Limit};
use crate::GitHubToken;

/// GitHub's REST API.
pub const DEFAULT_BASE_URL: &str = "https://api.github.com";

/// The REST API version requested.
pub const API_VERSION: &str = "2022-11-28";

/// The media type requested.
pub const ACCEPT: &str = "application/vnd.github+json";

/// The most a response body may hold.
const MAX_RESPONSE_BYTES: u64 = 10 << 20;

/// Why a GitHub call failed.
#[derive(Debug, thiserror::Error)]
pub enum GitHubError {
    /// The base URL is not `https://`, or plain `http://` off loopback.
    #[error("GitHub API base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Validation denied the call (from the helpers that build one).
    #[error("agent-mouth denied this GitHub call ({})", denied_by(.0))]
    Denied(Box<ApiVerdict>),
    /// The call needs a human's confirmation (`send_confirmed`).
    #[error("this GitHub call is for review: a human confirms it first")]
    NeedsConfirmation,
    /// [`GitHubClient::paginate`] was given something other than a read.
    #[error("only GET calls are paginated, not {0}")]
    NotARead(HttpMethod),
    /// GitHub answered an error status.
    #[error("GitHub answered HTTP {status} to {method} {path}: {message}")]
    Api {
        /// The method.
        method: HttpMethod,
        /// The path.
        path: String,
        /// The status code.
        status: u16,
        /// GitHub's `message` (empty when the body had none).
        message: String,
        /// GitHub's `documentation_url`.
        documentation_url: Option<String>,
        /// GitHub's `errors` (for 422: `resource`, `field`, `code`).
        errors: Vec<Value>,
    },
    /// The primary rate limit is spent until `reset_at` (epoch seconds),
    /// later than the client waits.
    #[error("GitHub's rate limit is spent until {reset_at} (epoch seconds)")]
    RateLimited {
        /// `x-ratelimit-reset`.
        reset_at: u64,
    },
    /// A secondary rate limit asks for a longer wait than the client
    /// allows, or was still in force after every attempt.
    #[error("GitHub's secondary rate limit asks to wait {retry_after:?}")]
    SecondaryRateLimited {
        /// The wait asked for.
        retry_after: Duration,
    },
    /// 5xx after every attempt.
    #[error("GitHub answered HTTP {status} after {attempts} attempts")]
    Server {
        /// The last status.
        status: u16,
        /// Attempts made.
        attempts: u32,
    },
    /// The request did not complete (connection, TLS, timeout), after
    /// every attempt.
    #[error("GitHub could not be reached after {attempts} attempts")]
    Transport {
        /// Attempts made.
        attempts: u32,
        /// What failed last.
        #[source]
        source: Box<ureq::Error>,
    },
    /// GitHub's answer was not JSON.
    #[error("GitHub answered something that is not JSON")]
    Malformed(#[source] serde_json::Error),
    /// A `Link: rel="next"` pointed off the base URL, or there were more
    /// pages than the client follows.
    #[error("pagination stopped: {0}")]
    Pagination(String),
}

/// The ids of the findings that denied, for the error's message.
fn denied_by(verdict: &ApiVerdict) -> String {
    let ids: Vec<&str> = verdict
        .findings
        .iter()
        .filter(|f| f.decision == Decision::Deny)
        .map(|f| f.rule_id)
        .collect();
    ids.join(", ")
}

/// A successful answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    /// The status (2xx).
    pub status: u16,
    /// The body as JSON (`Null` when empty, as for 204).
    pub json: Value,
    /// The `Link` header's `rel="next"` URL, if any.
    pub next: Option<String>,
}

/// A person's confirmation of a call validation put up for review. The
/// spine builds one after the approval it journaled; this crate only
/// records who approved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanConfirmation {
    /// Who approved (a name or handle, for the log).
    pub approver: String,
}

/// Settings for a [`GitHubClient`]; [`GitHubClientBuilder::build`] checks
/// them.
#[derive(Debug, Clone)]
pub struct GitHubClientBuilder {
    token: GitHubToken,
    base_url: String,
    user_agent: String,
    max_attempts: u32,
    backoff: Duration,
    max_wait: Duration,
    timeout: Duration,
    max_pages: usize,
}

impl GitHubClientBuilder {
    /// The API root (default [`DEFAULT_BASE_URL`]; a GitHub Enterprise
    /// Server's is `https://HOST/api/v3`); `http://` only on loopback, for
    /// tests.
    pub fn base_url(mut self, url: &str) -> Self {
        url.clone_into(&mut self.base_url);
        self
    }

    /// The `User-Agent` sent (GitHub asks for the app's name).
    pub fn user_agent(mut self, agent: &str) -> Self {
        agent.clone_into(&mut self.user_agent);
        self
    }

    /// Attempts per call, the first included (default 4, at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The first backoff after a 5xx or connection error, doubled each
    /// retry up to 30 s (default 1 s).
    pub fn backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// The longest rate-limit wait honoured (`retry-after` or until
    /// `x-ratelimit-reset`); a longer one fails the call (default 60 s).
    pub fn max_wait(mut self, cap: Duration) -> Self {
        self.max_wait = cap;
        self
    }

    /// The whole-call timeout of one attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Most pages [`GitHubClient::paginate`] follows (default 100).
    pub fn max_pages(mut self, pages: usize) -> Self {
        self.max_pages = pages.max(1);
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`GitHubError::BaseUrl`] for a base URL that is not `https://` (or
    /// `http://` on 127.0.0.1, `[::1]` or localhost), or that has a query,
    /// fragment or userinfo.
    pub fn build(self) -> Result<GitHubClient, GitHubError> {
        let base_url = check_base_url(&self.base_url)?;
        let tls = ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(self.timeout))
            .build()
            .into();
        Ok(GitHubClient {
            agent,
            token: self.token,
            base_url,
            user_agent: self.user_agent,
            max_attempts: self.max_attempts,
            backoff: self.backoff,
            max_wait: self.max_wait,
            max_pages: self.max_pages,
        })
    }
}

/// A blocking GitHub REST client holding a token.
///
/// # Examples
///
/// ```
/// use agent_mouth_github::{GitHubClient, GitHubToken};
///
/// let token = GitHubToken::new("ghs_ExampleExampleExampleExampleExample1").unwrap();
/// let client = GitHubClient::builder(token).build().unwrap();
/// assert_eq!(client.base_url(), "https://api.github.com");
/// ```
#[derive(Debug)]
pub struct GitHubClient {
    agent: ureq::Agent,
    token: GitHubToken,
    base_url: String,
    user_agent: String,
    max_attempts: u32,
    backoff: Duration,
    max_wait: Duration,
    max_pages: usize,
}

impl GitHubClient {
    /// Settings for a client calling with `token`.
    pub fn builder(token: GitHubToken) -> GitHubClientBuilder {
        GitHubClientBuilder {
            token,
            base_url: DEFAULT_BASE_URL.to_owned(),
            user_agent: concat!("autonomic-agent-mouth-github/", env!("CARGO_PKG_VERSION"))
                .to_owned(),
            max_attempts: 4,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
            timeout: Duration::from_secs(30),
            max_pages: 100,
        }
    }

    /// The API root calls go to (no trailing `/`).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Sends a call validation allowed outright.
    ///
    /// # Errors
    ///
    /// [`GitHubError::NeedsConfirmation`] when validation put it up for
    /// review (use [`send_confirmed`](Self::send_confirmed)), and the
    /// call's own errors.
    pub fn send(&self, call: &ValidatedApiCall) -> Result<Response, GitHubError> {
        if call.decision() != Decision::Allow {
            return Err(GitHubError::NeedsConfirmation);
        }
        let url = format!("{}{}", self.base_url, call.path());
        self.execute(call.method(), call.path(), &url, call.body())
    }

    /// Sends a call a human confirmed (validation's `review`, or `allow`).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), without the confirmation error.
    pub fn send_confirmed(
        &self,
        call: &ValidatedApiCall,
        confirmation: &HumanConfirmation,
    ) -> Result<Response, GitHubError> {
        tracing::info!(
            method = %call.method(),
            path = call.path(),
            approver = confirmation.approver.as_str(),
            "sending a GitHub call a human confirmed"
        );
        let url = format!("{}{}", self.base_url, call.path());
        self.execute(call.method(), call.path(), &url, call.body())
    }

    /// Sends a validated read and follows `Link: rel="next"` to the last
    /// page; returns every page's JSON in order. A next link that does not
    /// start with the base URL is an error and is not followed.
    ///
    /// # Errors
    ///
    /// [`GitHubError::NotARead`], [`GitHubError::NeedsConfirmation`],
    /// [`GitHubError::Pagination`], and each request's errors.
    pub fn paginate(&self, call: &ValidatedApiCall) -> Result<Vec<Value>, GitHubError> {
        if call.method() != HttpMethod::Get {
            return Err(GitHubError::NotARead(call.method()));
        }
        let mut page = self.send(call)?;
        let mut pages = vec![std::mem::take(&mut page.json)];
        while let Some(next) = page.next.take() {
            if pages.len() >= self.max_pages {
                return Err(GitHubError::Pagination(format!(
                    "more than {} pages",
                    self.max_pages
                )));
            }
            self.check_next(&next)?;
            page = self.execute(HttpMethod::Get, call.path(), &next, None)?;
            pages.push(std::mem::take(&mut page.json));
        }
        Ok(pages)
    }

    /// A next link must stay under the base URL: same scheme, host and
    /// port (and API prefix), no whitespace or control characters.
    fn check_next(&self, next: &str) -> Result<(), GitHubError> {
        let under_base = next
            .strip_prefix(&self.base_url)
            .is_some_and(|rest| rest.starts_with('/'));
        if !under_base || next.chars().any(|c| c.is_whitespace() || c.is_control()) {
            let shown: String = next.chars().take(200).collect();
            return Err(GitHubError::Pagination(format!(
                "the next page {shown:?} is not under {}",
                self.base_url
            )));
        }
        Ok(())
    }

    /// One request with retries.
    fn execute(
        &self,
        method: HttpMethod,
        path: &str,
        url: &str,
        body: Option<&str>,
    ) -> Result<Response, GitHubError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.max_attempts;
            let mut response = match self.request(method, url, body) {
                Ok(r) => r,
                Err(source) if !last => {
                    let wait = self.backoff_for(attempt);
                    tracing::warn!(%method, path, attempt, error = %source, wait_ms = millis(wait), "GitHub unreachable; retrying");
                    thread::sleep(wait);
                    continue;
                }
                Err(source) => {
                    return Err(GitHubError::Transport {
                        attempts: attempt,
                        source: Box::new(source),
                    })
                }
            };
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return read_success(&mut response, status, attempt);
            }
            if status == 403 || status == 429 {
                let limit = limits::limit(status, |name| {
                    response.headers().get(name).and_then(|h| h.to_str().ok())
                });
                if let Some(wait) = self.rate_limit_wait(limit, last)? {
                    tracing::warn!(%method, path, attempt, status, wait_s = wait.as_secs(), "GitHub rate limit; waiting");
                    thread::sleep(wait);
                    continue;
                }
            }
            if (500..600).contains(&status) {
                if last {
                    return Err(GitHubError::Server {
                        status,
                        attempts: attempt,
                    });
                }
                let wait = self.backoff_for(attempt);
                tracing::warn!(%method, path, attempt, status, wait_ms = millis(wait), "GitHub server error; retrying");
                thread::sleep(wait);
                continue;
            }
            return Err(api_error(&mut response, method, path, status));
        }
    }

    /// How long to wait for a rate limit, `None` when it is not one, or the
    /// error when the wait is too long or no attempt is left.
    fn rate_limit_wait(&self, limit: Limit, last: bool) -> Result<Option<Duration>, GitHubError> {
        match limit {
            Limit::None => Ok(None),
            Limit::RetryAfter(wait) => {
                if last || wait > self.max_wait {
                    Err(GitHubError::SecondaryRateLimited { retry_after: wait })
                } else {
                    Ok(Some(wait))
                }
            }
            Limit::ResetAt(reset_at) => {
                let now = SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                let wait = Duration::from_secs(reset_at.saturating_sub(now));
                if last || wait > self.max_wait {
                    Err(GitHubError::RateLimited { reset_at })
                } else {
                    Ok(Some(wait))
                }
            }
        }
    }

    fn request(
        &self,
        method: HttpMethod,
        url: &str,
        body: Option<&str>,
    ) -> Result<ureq::http::Response<ureq::Body>, ureq::Error> {
        let auth = format!("Bearer {}", self.token.expose());
        macro_rules! headers {
            ($rb:expr) => {
                $rb.header("Authorization", &auth)
                    .header("Accept", ACCEPT)
                    .header("X-GitHub-Api-Version", API_VERSION)
                    .header("User-Agent", &self.user_agent)
            };
        }
        let with_body = |rb: ureq::RequestBuilder<ureq::typestate::WithBody>| match body {
            Some(b) => headers!(rb)
                .header("Content-Type", "application/json")
                .send(b),
            None => headers!(rb).send_empty(),
        };
        match method {
            HttpMethod::Get => headers!(self.agent.get(url)).call(),
            HttpMethod::Delete => headers!(self.agent.delete(url)).call(),
            HttpMethod::Post => with_body(self.agent.post(url)),
            HttpMethod::Put => with_body(self.agent.put(url)),
            HttpMethod::Patch => with_body(self.agent.patch(url)),
        }
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(30))
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

fn read_body(response: &mut ureq::http::Response<ureq::Body>) -> Result<String, ureq::Error> {
    response
        .body_mut()
        .with_config()
        .limit(MAX_RESPONSE_BYTES)
        .read_to_string()
}

fn read_success(
    response: &mut ureq::http::Response<ureq::Body>,
    status: u16,
    attempt: u32,
) -> Result<Response, GitHubError> {
    let next = response
        .headers()
        .get("link")
        .and_then(|h| h.to_str().ok())
        .and_then(limits::next_link)
        .map(str::to_owned);
    let text = read_body(response).map_err(|source| GitHubError::Transport {
        attempts: attempt,
        source: Box::new(source),
    })?;
    let json = if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).map_err(GitHubError::Malformed)?
    };
    Ok(Response { status, json, next })
}

/// GitHub's error body (`message`, `documentation_url`, `errors`), read as
/// far as it parses.
fn api_error(
    response: &mut ureq::http::Response<ureq::Body>,
    method: HttpMethod,
    path: &str,
    status: u16,
) -> GitHubError {
    let v: Value = read_body(response)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(Value::Null);
    let text = |key: &str| {
        v.get(key)
            .and_then(Value::as_str)
            .map(|s| s.chars().take(500).collect::<String>())
    };
    GitHubError::Api {
        method,
        path: path.to_owned(),
        status,
        message: text("message").unwrap_or_default(),
        documentation_url: text("documentation_url"),
        errors: v
            .get("errors")
            .and_then(Value::as_array)
            .map(|e| e.iter().take(50).cloned().collect())
            .unwrap_or_default(),
    }
}

fn check_base_url(url: &str) -> Result<String, GitHubError> {
    let bad = |reason| GitHubError::BaseUrl {
        url: url.to_owned(),
        reason,
    };
    if !(url.starts_with("https://") || is_loopback_url(url, "http://")) {
        return Err(bad("must be https:// (plain http:// only on loopback)"));
    }
    if url.contains(['?', '#', '@']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad(
            "must be a plain URL without query, fragment, userinfo or spaces",
        ));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// `scheme` then 127.0.0.1, localhost or [::1], then `:`, `/` or the end.
fn is_loopback_url(url: &str, scheme: &str) -> bool {
    url.strip_prefix(scheme).is_some_and(|rest| {
        ["127.0.0.1", "localhost", "[::1]"].iter().any(|host| {
            rest.strip_prefix(host)
                .is_some_and(|after| after.is_empty() || after.starts_with([':', '/']))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> GitHubClient {
        let token = GitHubToken::new("ghp_ExampleExampleExampleExampleExample1").unwrap();
        GitHubClient::builder(token)
            .base_url("https://ghe.example/api/v3/")
            .backoff(Duration::from_millis(100))
            .max_wait(Duration::from_secs(10))
            .build()
            .unwrap()
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://api.github.com/").unwrap(),
            "https://api.github.com"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080"
        );
        for bad in [
            "http://api.github.com",
            "http://127.0.0.1.evil.example/",
            "http://localhost@evil.example/",
            "https://api.github.com/?x=1",
            "https://user@api.github.com",
            "ftp://x/",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn next_links_stay_under_the_base_url() {
        let c = client();
        assert!(c
            .check_next("https://ghe.example/api/v3/repositories/1/issues?page=2")
            .is_ok());
        for bad in [
            "https://evil.example/api/v3/x",
            "https://ghe.example.evil.example/api/v3/x",
            "https://ghe.example/api/v3@evil.example/x",
            "https://ghe.example/api/v3",
            "https://ghe.example/other/x",
            "http://ghe.example/api/v3/x",
            "https://ghe.example/api/v3/x y",
        ] {
            assert!(
                matches!(c.check_next(bad), Err(GitHubError::Pagination(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn rate_limit_waits_are_capped() {
        let c = client();
        assert_eq!(
            c.rate_limit_wait(Limit::RetryAfter(Duration::from_secs(3)), false)
                .unwrap(),
            Some(Duration::from_secs(3))
        );
        assert!(matches!(
            c.rate_limit_wait(Limit::RetryAfter(Duration::from_secs(3)), true),
            Err(GitHubError::SecondaryRateLimited { .. })
        ));
        assert!(matches!(
            c.rate_limit_wait(Limit::RetryAfter(Duration::from_secs(11)), false),
            Err(GitHubError::SecondaryRateLimited { retry_after }) if retry_after == Duration::from_secs(11)
        ));
        // A reset in the past: retry at once.
        assert_eq!(
            c.rate_limit_wait(Limit::ResetAt(0), false).unwrap(),
            Some(Duration::ZERO)
        );
        assert!(matches!(
            c.rate_limit_wait(Limit::ResetAt(u64::MAX), false),
            Err(GitHubError::RateLimited { reset_at: u64::MAX })
        ));
        assert_eq!(c.rate_limit_wait(Limit::None, false).unwrap(), None);
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = client();
        assert_eq!(c.backoff_for(1), Duration::from_millis(100));
        assert_eq!(c.backoff_for(3), Duration::from_millis(400));
        assert_eq!(c.backoff_for(40), Duration::from_secs(30));
    }
}
