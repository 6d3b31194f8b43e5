//! A blocking client for the few Slack Web API methods the transport needs:
//! `auth.test`, `chat.postMessage`, `chat.update` and
//! `apps.connections.open`.
//!
//! Requests are JSON with `Authorization: Bearer …`. Slack's
//! `{"ok": false, "error": "…"}` becomes [`WebError::Slack`] naming the
//! method and the code; HTTP 429 waits out `Retry-After` (capped), and 5xx
//! answers and connection errors are retried with exponential backoff, each
//! a bounded number of times. A retried `chat.postMessage` whose first
//! attempt did reach Slack can post twice; the engine decides on the first
//! answer, so a duplicate request is noise, not a second approval.

use std::thread;
use std::time::Duration;

use serde_json::{json, Value};

use crate::blocks::{escape, Rendered};
use crate::outgoing::{self, HumanConfirmation, Outgoing};
use crate::{SecretError, SlackToken, TokenKind};
use autonomic_core::Decision;

/// Slack's Web API.
pub const DEFAULT_BASE_URL: &str = "https://slack.com/api/";

/// The most a response body may hold (Slack's answers here are small).
const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// Why a Web API call failed.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// The base URL is not `https://`, or plain `http://` off loopback.
    #[error("Slack API base URL {url:?}: {reason}")]
    BaseUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A token of the wrong kind for the call.
    #[error("Slack token refused")]
    Token(#[from] SecretError),
    /// Slack answered `ok: false`.
    #[error("Slack's {method} failed: {error}")]
    Slack {
        /// The Web API method (`chat.postMessage`).
        method: &'static str,
        /// Slack's error code (`invalid_auth`, `channel_not_found`, …).
        error: String,
    },
    /// Still rate limited (HTTP 429) after every retry.
    #[error("Slack's {method} is rate limited (gave up after {attempts} attempts)")]
    RateLimited {
        /// The Web API method.
        method: &'static str,
        /// Attempts made.
        attempts: u32,
    },
    /// An HTTP status other than 200, 429 or a 5xx that recovered.
    #[error("Slack's {method} answered HTTP {status}")]
    Status {
        /// The Web API method.
        method: &'static str,
        /// The status code.
        status: u16,
    },
    /// The request did not complete (connection, TLS, timeout), after
    /// every retry.
    #[error("Slack's {method} could not be reached")]
    Transport {
        /// The Web API method.
        method: &'static str,
        /// What failed.
        #[source]
        source: Box<ureq::Error>,
    },
    /// Slack's answer was not the JSON the method documents.
    #[error("Slack's {method} answered something unexpected: {reason}")]
    Malformed {
        /// The Web API method.
        method: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The message did not pass agent-mouth's outbound validation.
    #[error("outbound validation did not allow this message (decision: {0})")]
    NotAllowed(Decision),
    /// The blocks were rendered from a different text than the one
    /// validated.
    #[error("the blocks do not belong to the validated text")]
    BlocksMismatch,
    /// A channel id or message timestamp that cannot be one.
    #[error("not a Slack {what}: {value:?}")]
    BadArgument {
        /// `channel` or `ts`.
        what: &'static str,
        /// The value given.
        value: String,
    },
}

/// What `auth.test` says about the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthInfo {
    /// The workspace's URL.
    pub url: String,
    /// The workspace's name.
    pub team: String,
    /// The bot user's name.
    pub user: String,
    /// The workspace's id (`T…`).
    pub team_id: String,
    /// The bot user's id (`U…`).
    pub user_id: String,
    /// The bot's id (`B…`), for bot tokens.
    pub bot_id: Option<String>,
}

/// Where a message landed: `chat.postMessage` / `chat.update`'s `channel`
/// and `ts` (the message's id, and the thread's for replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The channel's id.
    pub channel: String,
    /// The message's timestamp.
    pub ts: String,
}

/// Settings for a [`WebClient`]; [`WebClientBuilder::build`] checks them.
#[derive(Debug, Clone)]
pub struct WebClientBuilder {
    token: SlackToken,
    base_url: String,
    max_attempts: u32,
    max_retry_after: Duration,
    backoff: Duration,
    timeout: Duration,
}

impl WebClientBuilder {
    /// The API's base URL (default [`DEFAULT_BASE_URL`]); `http://` only
    /// on loopback, for tests.
    pub fn base_url(mut self, url: &str) -> Self {
        url.clone_into(&mut self.base_url);
        self
    }

    /// Attempts per call, the first included (default 4, at least 1).
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    /// The longest `Retry-After` honoured; longer ones wait this long
    /// (default 60 s).
    pub fn max_retry_after(mut self, cap: Duration) -> Self {
        self.max_retry_after = cap;
        self
    }

    /// The first backoff after a 5xx or connection error, doubled each
    /// retry up to 30 s (default 500 ms).
    pub fn backoff(mut self, first: Duration) -> Self {
        self.backoff = first;
        self
    }

    /// The whole-call timeout of one attempt (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The client.
    ///
    /// # Errors
    ///
    /// [`WebError::BaseUrl`] for a base URL that is not `https://` (or
    /// `http://` on 127.0.0.1, `[::1]` or localhost).
    pub fn build(self) -> Result<WebClient, WebError> {
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
        Ok(WebClient {
            agent,
            token: self.token,
            base_url,
            max_attempts: self.max_attempts,
            max_retry_after: self.max_retry_after,
            backoff: self.backoff,
        })
    }
}

/// A blocking Slack Web API client holding a bot token.
///
/// # Examples
///
/// ```
/// use agent_mouth_slack::{SlackToken, WebClient};
///
/// let token = SlackToken::new("xoxb-1-2-abc").unwrap();
/// let client = WebClient::builder(token).unwrap().build().unwrap();
/// assert_eq!(client.base_url(), "https://slack.com/api/");
/// ```
#[derive(Debug)]
pub struct WebClient {
    agent: ureq::Agent,
    token: SlackToken,
    base_url: String,
    max_attempts: u32,
    max_retry_after: Duration,
    backoff: Duration,
}

impl WebClient {
    /// Settings for a client calling as the bot `token` (`xoxb-`).
    ///
    /// # Errors
    ///
    /// [`WebError::Token`] when the token is not a bot token.
    pub fn builder(token: SlackToken) -> Result<WebClientBuilder, WebError> {
        if token.kind() != TokenKind::Bot {
            return Err(SecretError::WrongKind {
                expected: TokenKind::Bot,
                got: token.kind(),
            }
            .into());
        }
        Ok(WebClientBuilder {
            token,
            base_url: DEFAULT_BASE_URL.to_owned(),
            max_attempts: 4,
            max_retry_after: Duration::from_secs(60),
            backoff: Duration::from_millis(500),
            timeout: Duration::from_secs(30),
        })
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// `auth.test`: who the token is.
    ///
    /// # Errors
    ///
    /// [`WebError`]; `invalid_auth` and `token_revoked` come as
    /// [`WebError::Slack`].
    pub fn auth_test(&self) -> Result<AuthInfo, WebError> {
        const METHOD: &str = "auth.test";
        let v = self.call(METHOD, &self.token, &json!({}))?;
        Ok(AuthInfo {
            url: str_field(METHOD, &v, "url")?,
            team: str_field(METHOD, &v, "team")?,
            user: str_field(METHOD, &v, "user")?,
            team_id: str_field(METHOD, &v, "team_id")?,
            user_id: str_field(METHOD, &v, "user_id")?,
            bot_id: v.get("bot_id").and_then(Value::as_str).map(str::to_owned),
        })
    }

    /// `chat.postMessage`: posts a validated message to `channel` (an id
    /// such as `C0123`), in the thread `thread_ts` when given, with the
    /// blocks of `rendered` when given (they must be the rendering of the
    /// validated text). The text is escaped for Slack; links are not
    /// unfurled.
    ///
    /// # Errors
    ///
    /// [`WebError::NotAllowed`] unless validation allowed the message,
    /// [`WebError::BlocksMismatch`], [`WebError::BadArgument`], and the
    /// call's errors.
    pub fn chat_post_message(
        &self,
        channel: &str,
        message: &Outgoing,
        rendered: Option<&Rendered>,
        thread_ts: Option<&str>,
    ) -> Result<Posted, WebError> {
        let mut body = message_body(channel, message, rendered)?;
        if let Some(ts) = thread_ts {
            check_ts(ts)?;
            body["thread_ts"] = json!(ts);
        }
        body["unfurl_links"] = json!(false);
        body["unfurl_media"] = json!(false);
        let v = self.call("chat.postMessage", &self.token, &body)?;
        posted("chat.postMessage", &v)
    }

    /// `chat.postMessage` for a message a person confirmed: one validation
    /// allowed, or one it put up for review (which
    /// [`chat_post_message`](Self::chat_post_message) refuses). The
    /// approver is logged. Never a denied message: there is none to send.
    ///
    /// # Errors
    ///
    /// [`WebError::BadArgument`], and the call's errors.
    pub fn chat_post_confirmed(
        &self,
        channel: &str,
        message: &Outgoing,
        confirmation: &HumanConfirmation,
    ) -> Result<Posted, WebError> {
        tracing::info!(
            approver = confirmation.approver.as_str(),
            decision = %outgoing::decision(message),
            "posting a Slack message a human confirmed"
        );
        let mut body = confirmed_body(channel, message)?;
        body["unfurl_links"] = json!(false);
        body["unfurl_media"] = json!(false);
        let v = self.call("chat.postMessage", &self.token, &body)?;
        posted("chat.postMessage", &v)
    }

    /// `chat.update`: replaces the message `ts` in `channel` (typically
    /// with [`crate::ApprovalRequest::decided`], which drops the buttons).
    ///
    /// # Errors
    ///
    /// As [`WebClient::chat_post_message`].
    pub fn chat_update(
        &self,
        channel: &str,
        ts: &str,
        message: &Outgoing,
        rendered: Option<&Rendered>,
    ) -> Result<Posted, WebError> {
        check_ts(ts)?;
        let mut body = message_body(channel, message, rendered)?;
        body["ts"] = json!(ts);
        if rendered.is_none() {
            // Without this, the old blocks (and their buttons) would stay.
            body["blocks"] = json!([]);
        }
        let v = self.call("chat.update", &self.token, &body)?;
        posted("chat.update", &v)
    }

    /// `apps.connections.open`: a Socket Mode WebSocket URL, called with
    /// the app-level token (`xapp-`). The URL is `wss://` (or `ws://` on
    /// loopback, for tests).
    ///
    /// # Errors
    ///
    /// [`WebError::Token`] for a non-app token, and the call's errors.
    pub fn apps_connections_open(&self, app_token: &SlackToken) -> Result<String, WebError> {
        const METHOD: &str = "apps.connections.open";
        if app_token.kind() != TokenKind::App {
            return Err(SecretError::WrongKind {
                expected: TokenKind::App,
                got: app_token.kind(),
            }
            .into());
        }
        let v = self.call(METHOD, app_token, &json!({}))?;
        let url = str_field(METHOD, &v, "url")?;
        if url.starts_with("wss://") || is_loopback_url(&url, "ws://") {
            Ok(url)
        } else {
            Err(WebError::Malformed {
                method: METHOD,
                reason: "the url is not wss://".to_owned(),
            })
        }
    }

    /// One method call with retries; the parsed body when `ok` is true.
    fn call(
        &self,
        method: &'static str,
        token: &SlackToken,
        body: &Value,
    ) -> Result<Value, WebError> {
        let url = format!("{}{method}", self.base_url);
        let payload = body.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let last = attempt >= self.max_attempts;
            let sent = self
                .agent
                .post(&url)
                .header("Authorization", &format!("Bearer {}", token.expose()))
                .header("Content-Type", "application/json; charset=utf-8")
                .send(payload.as_str());
            let mut response = match sent {
                Ok(r) => r,
                Err(source) if !last => {
                    let wait = self.backoff_for(attempt);
                    tracing::warn!(method, attempt, error = %source, wait_ms = wait.as_millis() as u64, "Slack unreachable; retrying");
                    thread::sleep(wait);
                    continue;
                }
                Err(source) => {
                    return Err(WebError::Transport {
                        method,
                        source: Box::new(source),
                    })
                }
            };
            let status = response.status().as_u16();
            if status == 429 {
                if last {
                    return Err(WebError::RateLimited {
                        method,
                        attempts: attempt,
                    });
                }
                let wait = retry_after(
                    response
                        .headers()
                        .get("retry-after")
                        .and_then(|h| h.to_str().ok()),
                )
                .min(self.max_retry_after);
                tracing::warn!(
                    method,
                    attempt,
                    wait_s = wait.as_secs(),
                    "Slack rate limited; waiting"
                );
                thread::sleep(wait);
                continue;
            }
            if (500..600).contains(&status) && !last {
                let wait = self.backoff_for(attempt);
                tracing::warn!(
                    method,
                    attempt,
                    status,
                    wait_ms = wait.as_millis() as u64,
                    "Slack server error; retrying"
                );
                thread::sleep(wait);
                continue;
            }
            if status != 200 {
                return Err(WebError::Status { method, status });
            }
            let text = response
                .body_mut()
                .with_config()
                .limit(MAX_RESPONSE_BYTES)
                .read_to_string()
                .map_err(|source| WebError::Transport {
                    method,
                    source: Box::new(source),
                })?;
            return parse_answer(method, &text);
        }
    }

    fn backoff_for(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.backoff
            .saturating_mul(factor)
            .min(Duration::from_secs(30))
    }
}

/// Slack's answer: the body when `ok`, else the error code.
fn parse_answer(method: &'static str, text: &str) -> Result<Value, WebError> {
    let v: Value = serde_json::from_str(text).map_err(|e| WebError::Malformed {
        method,
        reason: format!("not JSON ({e})"),
    })?;
    match v.get("ok").and_then(Value::as_bool) {
        Some(true) => {
            if let Some(w) = v.get("warning").and_then(Value::as_str) {
                tracing::info!(method, warning = w, "Slack warning");
            }
            Ok(v)
        }
        Some(false) => Err(WebError::Slack {
            method,
            error: v
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("unknown_error")
                .chars()
                .take(100)
                .collect(),
        }),
        None => Err(WebError::Malformed {
            method,
            reason: "no boolean `ok`".to_owned(),
        }),
    }
}

/// `Retry-After` in seconds; 1 s when missing or not a number.
fn retry_after(header: Option<&str>) -> Duration {
    Duration::from_secs(
        header
            .and_then(|h| h.trim().parse::<u64>().ok())
            .unwrap_or(1),
    )
}

fn message_body(
    channel: &str,
    message: &Outgoing,
    rendered: Option<&Rendered>,
) -> Result<Value, WebError> {
    let decision = outgoing::decision(message);
    if decision != Decision::Allow {
        return Err(WebError::NotAllowed(decision));
    }
    let text = outgoing::text(message);
    let mut body = confirmed_body(channel, message)?;
    if let Some(r) = rendered {
        if r.text != text {
            return Err(WebError::BlocksMismatch);
        }
        body["blocks"] = r.blocks.clone();
    }
    Ok(body)
}

/// The body of a message whose decision was checked (or confirmed).
fn confirmed_body(channel: &str, message: &Outgoing) -> Result<Value, WebError> {
    check_channel(channel)?;
    Ok(json!({"channel": channel, "text": escape(outgoing::text(message))}))
}

fn posted(method: &'static str, v: &Value) -> Result<Posted, WebError> {
    Ok(Posted {
        channel: str_field(method, v, "channel")?,
        ts: str_field(method, v, "ts")?,
    })
}

fn str_field(method: &'static str, v: &Value, key: &str) -> Result<String, WebError> {
    v.get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| WebError::Malformed {
            method,
            reason: format!("no string `{key}`"),
        })
}

/// A channel id (`C…`, `G…`, `D…`) or name: 1–80 characters, no
/// whitespace, control characters or `<>&`.
fn check_channel(channel: &str) -> Result<(), WebError> {
    let ok = (1..=80).contains(&channel.len())
        && channel
            .chars()
            .all(|c| !c.is_whitespace() && !c.is_control() && !matches!(c, '<' | '>' | '&'));
    if ok {
        Ok(())
    } else {
        Err(WebError::BadArgument {
            what: "channel",
            value: channel.chars().take(80).collect(),
        })
    }
}

/// A message timestamp: digits, a dot, digits (`1710498600.000100`).
pub(crate) fn is_ts(ts: &str) -> bool {
    ts.len() <= 32
        && ts.split_once('.').is_some_and(|(s, us)| {
            !s.is_empty()
                && !us.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && us.bytes().all(|b| b.is_ascii_digit())
        })
}

fn check_ts(ts: &str) -> Result<(), WebError> {
    if is_ts(ts) {
        Ok(())
    } else {
        Err(WebError::BadArgument {
            what: "ts",
            value: ts.chars().take(40).collect(),
        })
    }
}

fn check_base_url(url: &str) -> Result<String, WebError> {
    let bad = |reason| WebError::BaseUrl {
        url: url.to_owned(),
        reason,
    };
    if !(url.starts_with("https://") || is_loopback_url(url, "http://")) {
        return Err(bad("must be https:// (plain http:// only on loopback)"));
    }
    if url.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must be a plain URL without query, fragment or spaces"));
    }
    let mut url = url.to_owned();
    if !url.ends_with('/') {
        url.push('/');
    }
    Ok(url)
}

/// `scheme` then 127.0.0.1, localhost or [::1], then `:`, `/` or the end.
pub(crate) fn is_loopback_url(url: &str, scheme: &str) -> bool {
    if url.contains('@') {
        return false;
    }
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

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("https://slack.com/api").unwrap(),
            "https://slack.com/api/"
        );
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/api/").unwrap(),
            "http://127.0.0.1:8080/api/"
        );
        for bad in [
            "http://slack.com/api/",
            "http://127.0.0.1.evil.com/",
            "http://localhost@evil.com/",
            "http://127.0.0.1:80@evil.com/",
            "ftp://x/",
            "https://slack.com/api/?x=1",
        ] {
            assert!(check_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(retry_after(Some("3")), Duration::from_secs(3));
        assert_eq!(retry_after(Some(" 2 ")), Duration::from_secs(2));
        assert_eq!(retry_after(Some("soon")), Duration::from_secs(1));
        assert_eq!(retry_after(None), Duration::from_secs(1));
    }

    #[test]
    fn answers() {
        assert!(parse_answer("auth.test", r#"{"ok":true}"#).is_ok());
        match parse_answer("auth.test", r#"{"ok":false,"error":"invalid_auth"}"#) {
            Err(WebError::Slack { method, error }) => {
                assert_eq!((method, error.as_str()), ("auth.test", "invalid_auth"));
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            parse_answer("auth.test", "<html>"),
            Err(WebError::Malformed { .. })
        ));
        assert!(matches!(
            parse_answer("auth.test", "{}"),
            Err(WebError::Malformed { .. })
        ));
    }

    #[test]
    fn channels_and_timestamps() {
        assert!(check_channel("C0123ABC").is_ok());
        assert!(check_channel("").is_err());
        assert!(check_channel("C1 C2").is_err());
        assert!(check_channel("<!channel>").is_err());
        assert!(is_ts("1710498600.000100"));
        assert!(!is_ts("1710498600"));
        assert!(!is_ts(".1"));
        assert!(!is_ts("1.2.3"));
    }

    #[test]
    fn messages_need_an_allow_and_matching_blocks() {
        let req = crate::ApprovalRequest {
            workflow: "w".into(),
            run_id: "r".into(),
            node: None,
            action: "a".into(),
            risk: "low".into(),
            sandbox: "none".into(),
            dependencies: vec![],
            reasons: vec![],
            expires_in_minutes: 5,
        };
        let rendered = req.render();
        let policy = agent_mouth::outbound::OutboundPolicy::default();
        // A link to a host nobody listed: validation says review.
        let review =
            crate::outgoing::validate_for_slack("see https://unlisted.example/x", &policy).unwrap();
        assert_eq!(review.decision(), Decision::Review);
        assert!(matches!(
            message_body("C1", &review, None),
            Err(WebError::NotAllowed(Decision::Review))
        ));
        let other = crate::outgoing::validate_for_slack("something else", &policy).unwrap();
        assert!(matches!(
            message_body("C1", &other, Some(&rendered)),
            Err(WebError::BlocksMismatch)
        ));
        let ok = crate::outgoing::validate_for_slack(rendered.text(), &policy).unwrap();
        assert_eq!(ok.decision(), Decision::Allow, "{:?}", ok.findings());
        let body = message_body("C1", &ok, Some(&rendered)).unwrap();
        assert_eq!(body["blocks"], *rendered.blocks());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let c = WebClient::builder(SlackToken::new("xoxb-1").unwrap())
            .unwrap()
            .backoff(Duration::from_millis(100))
            .build()
            .unwrap();
        assert_eq!(c.backoff_for(1), Duration::from_millis(100));
        assert_eq!(c.backoff_for(3), Duration::from_millis(400));
        assert_eq!(c.backoff_for(40), Duration::from_secs(30));
    }
}
