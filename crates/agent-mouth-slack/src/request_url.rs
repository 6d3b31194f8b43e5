//! The request URL: for installations that prefer it to Socket Mode, Slack
//! POSTs interactions, Events API callbacks and slash commands to an HTTP
//! endpoint of the app's (behind the user's TLS proxy; this server speaks
//! plain HTTP on the address it is given).
//!
//! Every request is verified before anything reads it
//! ([`verify_request`]: Slack's `v0` signature over the raw body, the
//! timestamp within five minutes); an unsigned, stale or forged one gets
//! 401 and reaches no handler. A verified request becomes the same
//! [`Envelope`] Socket Mode delivers, with a delivery id a retry repeats
//! (the Events API's `event_id`, an interaction's or slash command's
//! `trigger_id`, else the SHA-256 of the body), and is answered 200 only
//! after the handler returned `Ok` (it journaled what it needed); an error
//! answers 500, so Slack's Events API retries it.

use std::collections::HashMap;
use std::fmt::Display;
use std::io::Read as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};
use tiny_http::{Header, Method, Request, Response, Server};

use crate::signing::verify_request;
use crate::socket::{Envelope, EnvelopeKind};
use crate::SigningSecret;

/// The largest body read; Slack's payloads are far smaller.
pub const MAX_BODY_BYTES: usize = 1 << 20;

/// Why the request-URL server could not run.
#[derive(Debug, thiserror::Error)]
pub enum RequestUrlError {
    /// The address could not be bound.
    #[error("could not listen on {addr}: {reason}")]
    Bind {
        /// The address asked for.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The listener failed while running.
    #[error("the request-URL listener failed: {0}")]
    Listener(#[source] std::io::Error),
}

/// A request-URL server bound to an address.
pub struct RequestUrlServer {
    server: Server,
    secret: SigningSecret,
}

impl std::fmt::Debug for RequestUrlServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestUrlServer")
            .field("addr", &self.local_addr())
            .field("secret", &self.secret)
            .finish()
    }
}

/// What one request came to, as the response says.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    /// 200 with this body (empty, or a `url_verification` challenge).
    Ok(String),
    /// A refusal: status and a one-line reason.
    Refused(u16, String),
}

impl RequestUrlServer {
    /// Listens on `addr` (`127.0.0.1:3037`; port 0 for any free port),
    /// verifying requests with `secret`.
    ///
    /// # Errors
    ///
    /// [`RequestUrlError::Bind`] when the address cannot be bound.
    pub fn bind(addr: &str, secret: SigningSecret) -> Result<Self, RequestUrlError> {
        let server = Server::http(addr).map_err(|e| RequestUrlError::Bind {
            addr: addr.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(Self { server, secret })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.server_addr().to_ip()
    }

    /// Serves requests until `stop` is set, calling `handle` with each
    /// verified envelope and answering 200 only once it returned `Ok`.
    ///
    /// # Errors
    ///
    /// [`RequestUrlError::Listener`] when the listener fails.
    pub fn run<F, E>(&self, stop: &AtomicBool, mut handle: F) -> Result<(), RequestUrlError>
    where
        F: FnMut(&Envelope) -> Result<(), E>,
        E: Display,
    {
        while !stop.load(Ordering::SeqCst) {
            let Some(mut request) = self
                .server
                .recv_timeout(Duration::from_millis(250))
                .map_err(RequestUrlError::Listener)?
            else {
                continue;
            };
            let now = time::OffsetDateTime::now_utc().unix_timestamp();
            let reply = self.reply(&mut request, now, &mut handle);
            if let Reply::Refused(status, why) = &reply {
                tracing::warn!(status, "slack request URL: refused a request: {why}");
            }
            respond(request, reply);
        }
        Ok(())
    }

    fn reply<F, E>(&self, request: &mut Request, now_unix: i64, handle: &mut F) -> Reply
    where
        F: FnMut(&Envelope) -> Result<(), E>,
        E: Display,
    {
        if *request.method() != Method::Post {
            return Reply::Refused(405, format!("{} is not POST", request.method()));
        }
        let mut body = Vec::new();
        let read = request
            .as_reader()
            .take(MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut body);
        if let Err(e) = read {
            return Reply::Refused(400, format!("the body could not be read: {e}"));
        }
        if body.len() > MAX_BODY_BYTES {
            return Reply::Refused(413, format!("the body is over {MAX_BODY_BYTES} bytes"));
        }
        let header = |name: &'static str| {
            request
                .headers()
                .iter()
                .find(|h| h.field.equiv(name))
                .map(|h| h.value.as_str().to_owned())
        };
        let (Some(ts), Some(sig)) = (
            header("X-Slack-Request-Timestamp"),
            header("X-Slack-Signature"),
        ) else {
            return Reply::Refused(401, "unsigned: no X-Slack-Signature".to_owned());
        };
        if let Err(e) = verify_request(&self.secret, &ts, &sig, &body, now_unix) {
            return Reply::Refused(401, e.to_string());
        }
        let retry = header("X-Slack-Retry-Num")
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let json_body = header("Content-Type").is_some_and(|t| t.starts_with("application/json"));
        let envelope = match envelope_of(&body, json_body, retry) {
            Ok(Parsed::Challenge(c)) => return Reply::Ok(c),
            Ok(Parsed::Envelope(e)) => e,
            Err(why) => return Reply::Refused(400, why),
        };
        match handle(&envelope) {
            Ok(()) => Reply::Ok(String::new()),
            Err(e) => Reply::Refused(500, format!("not taken: {e}")),
        }
    }
}

fn respond(request: Request, reply: Reply) {
    let (status, body) = match reply {
        Reply::Ok(body) => (200, body),
        Reply::Refused(status, _) => (status, String::new()),
    };
    let mut response = Response::from_string(body).with_status_code(status);
    if let Ok(h) = Header::from_bytes("Content-Type", "text/plain; charset=utf-8") {
        response.add_header(h);
    }
    if let Err(e) = request.respond(response) {
        tracing::warn!("slack request URL: could not answer: {e}");
    }
}

/// A verified body, read.
#[derive(Debug, PartialEq)]
enum Parsed {
    /// `url_verification`: echo the challenge.
    Challenge(String),
    /// Something to hand on.
    Envelope(Envelope),
}

/// Reads a verified body: JSON (the Events API) or a form (interactions'
/// `payload`, slash commands' fields).
fn envelope_of(body: &[u8], json_body: bool, retry: u64) -> Result<Parsed, String> {
    if json_body {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| format!("the JSON body is invalid: {e}"))?;
        return match v.get("type").and_then(Value::as_str) {
            Some("url_verification") => v
                .get("challenge")
                .and_then(Value::as_str)
                .map(|c| Parsed::Challenge(c.to_owned()))
                .ok_or_else(|| "url_verification without a challenge".to_owned()),
            Some("event_callback") => {
                let id = v
                    .get("event_id")
                    .and_then(Value::as_str)
                    .map_or_else(|| body_id(body), |id| format!("event:{id}"));
                Ok(Parsed::Envelope(envelope(
                    id,
                    EnvelopeKind::EventsApi,
                    v,
                    retry,
                )))
            }
            other => Err(format!("an Events API body of type {other:?}")),
        };
    }
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    if let Some(payload) = form.get("payload") {
        let v: Value = serde_json::from_str(payload)
            .map_err(|e| format!("the interaction payload is invalid JSON: {e}"))?;
        let id = trigger_id(&v).map_or_else(|| body_id(body), |t| format!("interaction:{t}"));
        return Ok(Parsed::Envelope(envelope(
            id,
            EnvelopeKind::Interactive,
            v,
            retry,
        )));
    }
    if form.contains_key("command") {
        let v = Value::Object(
            form.into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect::<Map<_, _>>(),
        );
        let id = trigger_id(&v).map_or_else(|| body_id(body), |t| format!("command:{t}"));
        return Ok(Parsed::Envelope(envelope(
            id,
            EnvelopeKind::SlashCommands,
            v,
            retry,
        )));
    }
    Err("a form body with neither `payload` nor `command`".to_owned())
}

fn trigger_id(v: &Value) -> Option<&str> {
    v.get("trigger_id")
        .and_then(Value::as_str)
        .filter(|t| (1..=128).contains(&t.len()) && t.chars().all(|c| c.is_ascii_graphic()))
}

fn body_id(body: &[u8]) -> String {
    format!("body:{}", hex::encode(Sha256::digest(body)))
}

fn envelope(id: String, kind: EnvelopeKind, payload: Value, retry: u64) -> Envelope {
    Envelope {
        envelope_id: id,
        kind,
        payload,
        accepts_response_payload: false,
        retry_attempt: retry,
    }
}

/// A `url_verification` body, for tests and fakes.
pub fn url_verification_body(challenge: &str) -> Vec<u8> {
    json!({"type": "url_verification", "token": "unused", "challenge": challenge})
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_interactions_and_commands_become_envelopes() {
        let ev = br#"{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}"#;
        let Ok(Parsed::Envelope(e)) = envelope_of(ev, true, 2) else {
            panic!("an event")
        };
        assert_eq!(
            (e.envelope_id.as_str(), e.kind, e.retry_attempt),
            ("event:Ev1", EnvelopeKind::EventsApi, 2)
        );
        let form = b"payload=%7B%22type%22%3A%22block_actions%22%2C%22trigger_id%22%3A%22T1%22%7D";
        let Ok(Parsed::Envelope(e)) = envelope_of(form, false, 0) else {
            panic!("an interaction")
        };
        assert_eq!(e.envelope_id, "interaction:T1");
        assert_eq!(e.payload["type"], "block_actions");
        let cmd = b"command=%2Fautonomic&text=cancel+wf-1&user_id=U1&channel_id=C1&trigger_id=T2";
        let Ok(Parsed::Envelope(e)) = envelope_of(cmd, false, 0) else {
            panic!("a command")
        };
        assert_eq!(e.kind, EnvelopeKind::SlashCommands);
        assert_eq!(e.payload["text"], "cancel wf-1");
        assert_eq!(
            envelope_of(&url_verification_body("abc"), true, 0),
            Ok(Parsed::Challenge("abc".into()))
        );
    }

    #[test]
    fn bodies_without_ids_get_a_stable_one_and_junk_is_refused() {
        let ev = br#"{"type":"event_callback","event":{}}"#;
        let (Ok(Parsed::Envelope(a)), Ok(Parsed::Envelope(b))) =
            (envelope_of(ev, true, 0), envelope_of(ev, true, 1))
        else {
            panic!("events")
        };
        assert_eq!(a.envelope_id, b.envelope_id);
        assert!(a.envelope_id.starts_with("body:"));
        assert!(envelope_of(b"{", true, 0).is_err());
        assert!(envelope_of(b"x=1", false, 0).is_err());
        assert!(envelope_of(b"payload=%7B", false, 0).is_err());
        assert!(envelope_of(br#"{"type":"app_rate_limited"}"#, true, 0).is_err());
    }
}
