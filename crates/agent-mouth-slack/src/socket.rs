//! Socket Mode: Slack pushes interactions and events over a WebSocket the
//! app opens, so no public request URL is needed.
//!
//! The client opens a URL with `apps.connections.open`, connects, reads
//! `hello`, then for each envelope (`{"envelope_id", "type", "payload",
//! "accepts_response_payload"}`) hands the envelope to the caller's handler
//! and acknowledges it (`{"envelope_id": …}`) only once the handler has
//! returned `Ok` — the handler returns after it has journaled what it
//! needs, so an acknowledged answer is never lost. An envelope the handler
//! refused is not acknowledged and Slack delivers it again. Envelope ids
//! already handled are acknowledged again without a second call (bounded
//! memory). A `disconnect` envelope reconnects at once with a fresh URL; a
//! dropped socket or failed connection reconnects with exponential
//! backoff; `link_disabled`, a refused token and too many failures in a
//! row end the run.

use std::collections::{HashSet, VecDeque};
use std::fmt::Display;
use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::protocol::WebSocketConfig;
use tungstenite::stream::MaybeTlsStream;
use tungstenite::{Connector, Message, WebSocket};

use crate::answer::{
    answer_from_event, answer_from_interaction, answer_from_slash_command, Answer,
};
use crate::web::{WebClient, WebError};
use crate::{SecretError, SlackToken, TokenKind};

/// Envelope ids remembered for recognising redeliveries.
const SEEN_CAPACITY: usize = 1024;
/// The largest WebSocket message accepted.
const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// What an envelope carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnvelopeKind {
    /// `interactive`: button clicks (`block_actions`), shortcuts, modals.
    Interactive,
    /// `events_api`: Events API callbacks (messages, mentions, …).
    EventsApi,
    /// `slash_commands`: a slash command's form fields.
    SlashCommands,
}

/// One Socket Mode envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// Slack's id for the envelope; the acknowledgement echoes it.
    pub envelope_id: String,
    /// What the payload is.
    pub kind: EnvelopeKind,
    /// The payload, as Slack sent it.
    pub payload: Value,
    /// Whether Slack would take a response payload with the ack (this
    /// client acknowledges without one).
    pub accepts_response_payload: bool,
    /// Slack's redelivery count (0 on first delivery).
    pub retry_attempt: u64,
}

impl Envelope {
    /// The approval answer this envelope reports, if any: a click on an
    /// Approve / Reject button, a `yes` / `no` / `cancel` / `resend` thread
    /// reply under a request message (`run_for_thread(channel, thread_ts)`
    /// names its run), or a slash command naming a run.
    pub fn answer(
        &self,
        run_for_thread: impl FnOnce(&str, &str) -> Option<String>,
    ) -> Option<Answer> {
        match self.kind {
            EnvelopeKind::Interactive => answer_from_interaction(&self.payload),
            EnvelopeKind::EventsApi => answer_from_event(&self.payload, run_for_thread),
            EnvelopeKind::SlashCommands => answer_from_slash_command(&self.payload),
        }
    }
}

/// Why a Socket Mode run ended with an error.
#[derive(Debug, thiserror::Error)]
pub enum SocketError {
    /// The token given is not an app-level token.
    #[error("Socket Mode needs an app-level token")]
    Token(#[from] SecretError),
    /// `apps.connections.open` was refused (a bad token, Socket Mode off).
    #[error("could not open a Socket Mode connection")]
    Open(#[source] WebError),
    /// Slack disabled the app's Socket Mode link (`link_disabled`).
    #[error("Slack disabled this app's Socket Mode connection (link_disabled)")]
    LinkDisabled,
    /// No TLS configuration could be built (the platform's trust store
    /// could not be read).
    #[error("no TLS configuration for Socket Mode: {0}")]
    Tls(String),
    /// Connections kept failing.
    #[error("Socket Mode gave up after {failures} failed connections in a row; last: {last}")]
    TooManyFailures {
        /// Failures in a row.
        failures: u32,
        /// The last failure.
        last: String,
    },
}

/// Settings for [`SocketMode`].
#[derive(Debug, Clone)]
pub struct SocketModeConfig {
    /// The wait after the first failed or dropped connection, doubled each
    /// failure in a row (default 1 s).
    pub backoff: Duration,
    /// The longest wait between reconnections (default 60 s).
    pub max_backoff: Duration,
    /// Failed connections in a row before giving up (default: never).
    pub max_failures: Option<u32>,
    /// How long connecting and the WebSocket handshake may take (default
    /// 10 s).
    pub connect_timeout: Duration,
    /// How often the stop flag is checked while the socket is idle
    /// (default 250 ms).
    pub poll: Duration,
}

impl Default for SocketModeConfig {
    fn default() -> Self {
        Self {
            backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_failures: None,
            connect_timeout: Duration::from_secs(10),
            poll: Duration::from_millis(250),
        }
    }
}

/// A Socket Mode client.
#[derive(Debug)]
pub struct SocketMode<'a> {
    web: &'a WebClient,
    app_token: SlackToken,
    config: SocketModeConfig,
    tls: Arc<rustls::ClientConfig>,
    seen: RecentIds,
}

/// How a connection ended, when it ended without a fatal error.
enum End {
    /// The stop flag was set.
    Stopped,
    /// Slack asked for a reconnection (`disconnect`).
    Reconnect,
    /// The connection failed or dropped: reconnect after a backoff.
    Failed(String),
}

type Socket = WebSocket<MaybeTlsStream<TcpStream>>;

impl<'a> SocketMode<'a> {
    /// A client that opens connections through `web` with the app-level
    /// token `app_token` (`xapp-`).
    ///
    /// # Errors
    ///
    /// [`SocketError::Token`] when `app_token` is not an app-level token,
    /// [`SocketError::Tls`] when the platform's trust store is unusable.
    pub fn new(
        web: &'a WebClient,
        app_token: SlackToken,
        config: SocketModeConfig,
    ) -> Result<Self, SocketError> {
        if app_token.kind() != TokenKind::App {
            return Err(SecretError::WrongKind {
                expected: TokenKind::App,
                got: app_token.kind(),
            }
            .into());
        }
        Ok(Self {
            web,
            app_token,
            config,
            tls: tls_config()?,
            seen: RecentIds::default(),
        })
    }

    /// Receives envelopes until `stop` is set, calling `handle` once per
    /// envelope id and acknowledging each envelope after `handle` returns
    /// `Ok`. `handle` must return only after it has recorded what it needs
    /// (journaled an answer): the acknowledgement tells Slack the envelope
    /// will not be needed again.
    ///
    /// # Errors
    ///
    /// [`SocketError`]: `link_disabled`, `apps.connections.open` refused,
    /// or [`SocketModeConfig::max_failures`] failures in a row.
    pub fn run<F, E>(&mut self, stop: &AtomicBool, mut handle: F) -> Result<(), SocketError>
    where
        F: FnMut(&Envelope) -> Result<(), E>,
        E: Display,
    {
        let mut failures = 0u32;
        while !stop.load(Ordering::SeqCst) {
            match self.connection(stop, &mut failures, &mut handle)? {
                End::Stopped => return Ok(()),
                End::Reconnect => tracing::info!("Slack asked for a new Socket Mode connection"),
                End::Failed(reason) => {
                    failures = failures.saturating_add(1);
                    if self.config.max_failures.is_some_and(|max| failures >= max) {
                        return Err(SocketError::TooManyFailures {
                            failures,
                            last: reason,
                        });
                    }
                    let wait = backoff(&self.config, failures);
                    tracing::warn!(%reason, failures, wait_ms = wait.as_millis() as u64, "Socket Mode connection lost; reconnecting");
                    sleep_unless(stop, wait);
                }
            }
        }
        Ok(())
    }

    /// One connection, from `apps.connections.open` to its end.
    fn connection<F, E>(
        &mut self,
        stop: &AtomicBool,
        failures: &mut u32,
        handle: &mut F,
    ) -> Result<End, SocketError>
    where
        F: FnMut(&Envelope) -> Result<(), E>,
        E: Display,
    {
        let url = match self.web.apps_connections_open(&self.app_token) {
            Ok(url) => url,
            Err(e @ (WebError::Slack { .. } | WebError::Token(_) | WebError::BaseUrl { .. })) => {
                return Err(SocketError::Open(e))
            }
            Err(e) => return Ok(End::Failed(format!("apps.connections.open: {e}"))),
        };
        let mut socket = match connect(&url, &self.config, &self.tls) {
            Ok(s) => s,
            Err(reason) => return Ok(End::Failed(reason)),
        };
        let end = self.serve(&mut socket, stop, failures, handle);
        let _ = socket.close(None);
        let _ = socket.flush();
        end
    }

    fn serve<F, E>(
        &mut self,
        socket: &mut Socket,
        stop: &AtomicBool,
        failures: &mut u32,
        handle: &mut F,
    ) -> Result<End, SocketError>
    where
        F: FnMut(&Envelope) -> Result<(), E>,
        E: Display,
    {
        loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(End::Stopped);
            }
            let text = match socket.read() {
                Ok(Message::Text(text)) => text,
                Ok(Message::Close(_)) => return Ok(End::Failed("closed by Slack".to_owned())),
                Ok(_) => continue, // pings are answered by tungstenite
                Err(tungstenite::Error::Io(e))
                    if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                {
                    // Idle: send any queued pong, then look at the stop flag.
                    match socket.flush() {
                        Ok(()) => continue,
                        Err(tungstenite::Error::Io(e))
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) =>
                        {
                            continue
                        }
                        Err(e) => return Ok(End::Failed(e.to_string())),
                    }
                }
                Err(e) => return Ok(End::Failed(e.to_string())),
            };
            match parse_frame(text.as_str()) {
                Frame::Hello => {
                    *failures = 0;
                    tracing::info!("Socket Mode connected");
                }
                Frame::Disconnect(reason) if reason == "link_disabled" => {
                    return Err(SocketError::LinkDisabled)
                }
                Frame::Disconnect(reason) => {
                    tracing::debug!(%reason, "Socket Mode disconnect");
                    return Ok(End::Reconnect);
                }
                Frame::Envelope(envelope) => {
                    if self.seen.contains(&envelope.envelope_id) {
                        tracing::debug!(envelope = %envelope.envelope_id, "redelivered envelope acknowledged again");
                    } else if let Err(e) = handle(&envelope) {
                        tracing::warn!(envelope = %envelope.envelope_id, error = %e, "envelope not acknowledged: the handler failed");
                        continue;
                    } else {
                        self.seen.insert(&envelope.envelope_id);
                    }
                    let ack = json!({"envelope_id": envelope.envelope_id}).to_string();
                    if let Err(e) = socket.send(Message::text(ack)) {
                        return Ok(End::Failed(format!("acknowledging: {e}")));
                    }
                }
                Frame::Other(what) => tracing::debug!(%what, "Socket Mode message ignored"),
            }
        }
    }
}

/// Connects and completes the WebSocket handshake within the timeout, then
/// sets the idle poll.
fn connect(
    url: &str,
    config: &SocketModeConfig,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<Socket, String> {
    let request = url
        .into_client_request()
        .map_err(|e| format!("bad Socket Mode URL: {e}"))?;
    let host = request
        .uri()
        .host()
        .ok_or("no host in the Socket Mode URL")?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port = request
        .uri()
        .port_u16()
        .unwrap_or(if request.uri().scheme_str() == Some("wss") {
            443
        } else {
            80
        });
    let addrs = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("resolving {host}: {e}"))?;
    let mut last = format!("{host} has no address");
    for addr in addrs {
        let stream = match TcpStream::connect_timeout(&addr, config.connect_timeout) {
            Ok(s) => s,
            Err(e) => {
                last = format!("connecting to {addr}: {e}");
                continue;
            }
        };
        let handle = stream.try_clone().map_err(|e| e.to_string())?;
        let timeouts = |d: Duration| {
            handle
                .set_read_timeout(Some(d))
                .and_then(|()| handle.set_write_timeout(Some(config.connect_timeout)))
                .map_err(|e| e.to_string())
        };
        timeouts(config.connect_timeout)?;
        let _ = handle.set_nodelay(true);
        let ws_config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_BYTES))
            .max_frame_size(Some(MAX_MESSAGE_BYTES));
        let connector = Connector::Rustls(Arc::clone(tls));
        return match tungstenite::client_tls_with_config(
            request,
            stream,
            Some(ws_config),
            Some(connector),
        ) {
            Ok((socket, _)) => {
                timeouts(config.poll.max(Duration::from_millis(10)))?;
                Ok(socket)
            }
            Err(tungstenite::HandshakeError::Failure(e)) => {
                Err(format!("WebSocket handshake: {e}"))
            }
            Err(tungstenite::HandshakeError::Interrupted(_)) => {
                Err("WebSocket handshake timed out".to_owned())
            }
        };
    }
    Err(last)
}

/// TLS for `wss://`: ring as the crypto provider (named, so another
/// provider compiled into the binary cannot make the choice ambiguous) and
/// the operating system's trust store, as the Web API client uses.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, SocketError> {
    use rustls_platform_verifier::BuilderVerifierExt;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| SocketError::Tls(e.to_string()))?
        .with_no_client_auth();
    Ok(Arc::new(config))
}

enum Frame {
    Hello,
    Disconnect(String),
    Envelope(Envelope),
    Other(String),
}

fn parse_frame(text: &str) -> Frame {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return Frame::Other("not JSON".to_owned());
    };
    let kind = v.get("type").and_then(Value::as_str).unwrap_or("");
    let kind = match kind {
        "hello" => return Frame::Hello,
        "disconnect" => {
            let reason = v.get("reason").and_then(Value::as_str).unwrap_or("unknown");
            return Frame::Disconnect(reason.chars().take(64).collect());
        }
        "interactive" => EnvelopeKind::Interactive,
        "events_api" => EnvelopeKind::EventsApi,
        "slash_commands" => EnvelopeKind::SlashCommands,
        other => {
            return Frame::Other(format!(
                "type {:?}",
                other.chars().take(64).collect::<String>()
            ))
        }
    };
    let id = v
        .get("envelope_id")
        .and_then(Value::as_str)
        .filter(|id| (1..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_graphic()));
    let Some(id) = id else {
        return Frame::Other("an envelope without a usable envelope_id".to_owned());
    };
    Frame::Envelope(Envelope {
        envelope_id: id.to_owned(),
        kind,
        payload: v.get("payload").cloned().unwrap_or(Value::Null),
        accepts_response_payload: v
            .get("accepts_response_payload")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        retry_attempt: v.get("retry_attempt").and_then(Value::as_u64).unwrap_or(0),
    })
}

fn backoff(config: &SocketModeConfig, failures: u32) -> Duration {
    let factor = 1u32 << failures.saturating_sub(1).min(16);
    config
        .backoff
        .saturating_mul(factor)
        .min(config.max_backoff)
}

/// Sleeps `wait`, waking early when `stop` is set.
fn sleep_unless(stop: &AtomicBool, wait: Duration) {
    let until = Instant::now() + wait;
    while !stop.load(Ordering::SeqCst) {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return;
        }
        thread::sleep(left.min(Duration::from_millis(50)));
    }
}

/// The last [`SEEN_CAPACITY`] envelope ids handled.
#[derive(Debug, Default)]
struct RecentIds {
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl RecentIds {
    fn contains(&self, id: &str) -> bool {
        self.set.contains(id)
    }

    fn insert(&mut self, id: &str) {
        if self.set.insert(id.to_owned()) {
            self.order.push_back(id.to_owned());
            if self.order.len() > SEEN_CAPACITY {
                if let Some(old) = self.order.pop_front() {
                    self.set.remove(&old);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames() {
        assert!(matches!(
            parse_frame(r#"{"type":"hello","num_connections":1}"#),
            Frame::Hello
        ));
        assert!(matches!(
            parse_frame(r#"{"type":"disconnect","reason":"refresh_requested"}"#),
            Frame::Disconnect(r) if r == "refresh_requested"
        ));
        let Frame::Envelope(e) = parse_frame(
            r#"{"envelope_id":"e-1","type":"events_api","payload":{"a":1},"accepts_response_payload":false,"retry_attempt":2}"#,
        ) else {
            panic!("not an envelope")
        };
        assert_eq!(e.envelope_id, "e-1");
        assert_eq!(e.kind, EnvelopeKind::EventsApi);
        assert_eq!(e.payload, json!({"a": 1}));
        assert_eq!(e.retry_attempt, 2);
        assert!(matches!(parse_frame("nope"), Frame::Other(_)));
        assert!(matches!(
            parse_frame(r#"{"type":"interactive"}"#),
            Frame::Other(_)
        ));
        assert!(matches!(
            parse_frame(r#"{"type":"interactive","envelope_id":"a b"}"#),
            Frame::Other(_)
        ));
        assert!(matches!(
            parse_frame(r#"{"type":"weird"}"#),
            Frame::Other(_)
        ));
    }

    #[test]
    fn recent_ids_are_bounded() {
        let mut seen = RecentIds::default();
        for i in 0..(SEEN_CAPACITY + 10) {
            seen.insert(&i.to_string());
        }
        assert_eq!(seen.set.len(), SEEN_CAPACITY);
        assert_eq!(seen.order.len(), SEEN_CAPACITY);
        assert!(!seen.contains("0"));
        assert!(!seen.contains("9"));
        assert!(seen.contains("10"));
        assert!(seen.contains(&(SEEN_CAPACITY + 9).to_string()));
    }

    #[test]
    fn backoff_doubles_to_the_cap() {
        let c = SocketModeConfig::default();
        assert_eq!(backoff(&c, 1), Duration::from_secs(1));
        assert_eq!(backoff(&c, 3), Duration::from_secs(4));
        assert_eq!(backoff(&c, 100), Duration::from_secs(60));
    }
}
