//! A live fake Slack on 127.0.0.1 for tests of what drives this crate
//! (agent-spine's approval service, `autonomic serve`), speaking the wire formats Slack documents: the Web API (POST
//! `/api/{method}` with a JSON body and `Authorization: Bearer`, answered
//! `{"ok": true, …}` or `{"ok": false, "error": …}`) for `auth.test`,
//! `chat.postMessage`, `chat.update` and `apps.connections.open`, and a
//! Socket Mode WebSocket (`hello`, then envelopes, acknowledged with
//! `{"envelope_id": …}`).
//!
//! Like Slack, it delivers an envelope until it is acknowledged: on every
//! new connection, each unacknowledged envelope is sent again. A test can
//! also [`forget_ack`](FakeSlack::forget_ack) one, as if the ack was lost
//! in flight, so it is redelivered.

use std::collections::HashSet;
use std::io::ErrorKind;
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};
use tungstenite::{Message, WebSocket};

/// The bot token the fake accepts.
pub const BOT_TOKEN: &str = "xoxb-1111-2222-fakebotsecretvalue";
/// The app-level token the fake accepts.
pub const APP_TOKEN: &str = "xapp-1-A0FAKE-3333-fakeappsecretvalue";
/// The channel id `#ops-approvals` resolves to.
pub const CHANNEL_ID: &str = "C0APPROVALS";
/// The bot's user id.
pub const BOT_USER: &str = "U0BOT";

/// A Web API call as received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `chat.postMessage`, …
    pub method: String,
    /// The JSON body.
    pub body: Value,
}

#[derive(Default)]
struct State {
    calls: Vec<Call>,
    posted: u64,
    /// Envelopes in push order.
    envelopes: Vec<(String, Value)>,
    acked: HashSet<String>,
    /// Every ack received: (connection, envelope id).
    acks: Vec<(usize, String)>,
    connections: usize,
}

/// The fake; stops when dropped.
pub struct FakeSlack {
    /// `http://127.0.0.1:PORT/api/`.
    pub api_url: String,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    http: Arc<Server>,
    ws_port: u16,
    threads: Vec<JoinHandle<()>>,
}

impl FakeSlack {
    /// Starts the fake on free loopback ports.
    ///
    /// # Panics
    ///
    /// When a loopback port cannot be bound.
    pub fn start() -> FakeSlack {
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let ws_port = listener.local_addr().expect("a local address").port();
        let http = Arc::new(Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = http.server_addr().to_ip().expect("an IP listener").port();
        let web = {
            let (http, state) = (Arc::clone(&http), Arc::clone(&state));
            std::thread::spawn(move || {
                while let Ok(mut request) = http.recv() {
                    let mut body = String::new();
                    let _ = request.as_reader().read_to_string(&mut body);
                    let auth = request
                        .headers()
                        .iter()
                        .find(|h| h.field.equiv("Authorization"))
                        .map(|h| h.value.as_str().to_owned());
                    let method = request.url().trim_start_matches("/api/").to_owned();
                    let body: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
                    let answer = web_api(&state, &method, auth.as_deref(), body, ws_port);
                    let mut response = Response::from_string(answer.to_string());
                    if let Ok(h) =
                        Header::from_bytes("Content-Type", "application/json; charset=utf-8")
                    {
                        response.add_header(h);
                    }
                    let _ = request.respond(response);
                }
            })
        };
        let socket = {
            let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let Ok(stream) = stream else { continue };
                    let (state, stop) = (Arc::clone(&state), Arc::clone(&stop));
                    // One connection at a time is what a client holds; a
                    // thread each lets a dead one linger harmlessly.
                    std::thread::spawn(move || serve_socket(stream, &state, &stop));
                }
            })
        };
        FakeSlack {
            api_url: format!("http://127.0.0.1:{port}/api/"),
            state,
            stop,
            http,
            ws_port,
            threads: vec![web, socket],
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Every Web API call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The `ts` of the `n`th message posted (0-based).
    pub fn posted_ts(&self, n: u64) -> String {
        format!("1710498600.{:06}", n + 1)
    }

    /// Socket Mode connections accepted so far.
    pub fn connections(&self) -> usize {
        self.lock().connections
    }

    /// Queues an envelope: sent on the open connection, and on every new
    /// one until acknowledged.
    pub fn push(&self, id: &str, kind: &str, payload: Value) {
        let envelope = json!({
            "envelope_id": id, "type": kind, "payload": payload,
            "accepts_response_payload": kind != "events_api", "retry_attempt": 0, "retry_reason": "",
        });
        self.lock().envelopes.push((id.to_owned(), envelope));
    }

    /// Acks received for `id`, with the connection each came on.
    pub fn acks_of(&self, id: &str) -> Vec<usize> {
        self.lock()
            .acks
            .iter()
            .filter(|(_, e)| e == id)
            .map(|(c, _)| *c)
            .collect()
    }

    /// As if `id`'s ack was lost: it is delivered again on the next
    /// connection.
    pub fn forget_ack(&self, id: &str) {
        self.lock().acked.remove(id);
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.http.unblock();
        let _ = TcpStream::connect(("127.0.0.1", self.ws_port));
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn web_api(
    state: &Mutex<State>,
    method: &str,
    auth: Option<&str>,
    body: Value,
    ws_port: u16,
) -> Value {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    s.calls.push(Call {
        method: method.to_owned(),
        body: body.clone(),
    });
    let expected = if method == "apps.connections.open" {
        APP_TOKEN
    } else {
        BOT_TOKEN
    };
    if auth != Some(&format!("Bearer {expected}")) {
        return json!({"ok": false, "error": "invalid_auth"});
    }
    match method {
        "auth.test" => json!({
            "ok": true, "url": "https://fake.slack.com/", "team": "Fake", "user": "autonomic",
            "team_id": "T0FAKE", "user_id": BOT_USER, "bot_id": "B0FAKE",
        }),
        "chat.postMessage" => {
            let channel = body.get("channel").and_then(Value::as_str).unwrap_or("");
            if channel != "#ops-approvals" && channel != CHANNEL_ID {
                return json!({"ok": false, "error": "channel_not_found"});
            }
            s.posted += 1;
            let ts = format!("1710498600.{:06}", s.posted);
            json!({"ok": true, "channel": CHANNEL_ID, "ts": ts, "message": {"text": body["text"], "ts": ts}})
        }
        "chat.update" => json!({
            "ok": true, "channel": body["channel"], "ts": body["ts"], "text": body["text"],
        }),
        "apps.connections.open" => {
            json!({"ok": true, "url": format!("ws://127.0.0.1:{ws_port}/link/?ticket=t{}", s.calls.len())})
        }
        _ => json!({"ok": false, "error": "unknown_method"}),
    }
}

fn serve_socket(stream: TcpStream, state: &Mutex<State>, stop: &AtomicBool) {
    let _ = stream.set_read_timeout(Some(Duration::from_millis(20)));
    let Some(mut ws) = accept(stream) else { return };
    let index = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.connections += 1;
        s.connections
    };
    let hello = json!({"type": "hello", "num_connections": 1,
        "debug_info": {"host": "fake-slack"}, "connection_info": {"app_id": "A0FAKE"}});
    if ws.send(Message::text(hello.to_string())).is_err() {
        return;
    }
    let mut sent: HashSet<String> = HashSet::new();
    while !stop.load(Ordering::SeqCst) {
        let due: Vec<(String, Value)> = {
            let s = state.lock().unwrap_or_else(|p| p.into_inner());
            s.envelopes
                .iter()
                .filter(|(id, _)| !s.acked.contains(id) && !sent.contains(id))
                .cloned()
                .collect()
        };
        for (id, envelope) in due {
            if ws.send(Message::text(envelope.to_string())).is_err() {
                return;
            }
            sent.insert(id);
        }
        match ws.read() {
            Ok(Message::Text(t)) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                if let Some(id) = v.get("envelope_id").and_then(Value::as_str) {
                    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                    s.acked.insert(id.to_owned());
                    s.acks.push((index, id.to_owned()));
                }
            }
            Ok(Message::Close(_)) => return,
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return,
        }
    }
}

fn accept(stream: TcpStream) -> Option<WebSocket<TcpStream>> {
    let mut attempt = tungstenite::accept(stream);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        match attempt {
            Ok(ws) => return Some(ws),
            Err(tungstenite::HandshakeError::Interrupted(mid)) if Instant::now() < deadline => {
                attempt = mid.handshake();
            }
            Err(_) => return None,
        }
    }
}

/// A `block_actions` click on a request's button, as Slack sends it.
pub fn click(user: &str, action_id: &str, run: &str, message_ts: &str) -> Value {
    json!({
        "type": "block_actions",
        "user": {"id": user, "username": user.to_lowercase(), "team_id": "T0FAKE"},
        "api_app_id": "A0FAKE",
        "trigger_id": format!("{message_ts}.{user}"),
        "team": {"id": "T0FAKE", "domain": "fake"},
        "container": {"type": "message", "message_ts": message_ts, "channel_id": CHANNEL_ID, "is_ephemeral": false},
        "channel": {"id": CHANNEL_ID, "name": "ops-approvals"},
        "message": {"type": "message", "ts": message_ts, "text": "…"},
        "actions": [{
            "action_id": action_id, "block_id": "autonomic_decision",
            "text": {"type": "plain_text", "text": "Approve"}, "value": run,
            "type": "button", "action_ts": "1710498700.123456",
        }],
    })
}

/// An Events API `message` event: `user` replying `text` in the thread of
/// the message `thread_ts`, as Slack sends it to a request URL (the
/// Socket Mode `events_api` payload is the same object).
pub fn thread_reply(event_id: &str, user: &str, text: &str, thread_ts: &str) -> Value {
    json!({
        "type": "event_callback",
        "token": "unused",
        "team_id": "T0FAKE",
        "api_app_id": "A0FAKE",
        "event_id": event_id,
        "event_time": 1_710_498_700,
        "event": {
            "type": "message", "channel": CHANNEL_ID, "user": user, "text": text,
            "ts": "1710498700.000900", "thread_ts": thread_ts, "channel_type": "channel",
        },
    })
}

/// POSTs `body` to a request URL as Slack does, signed with `secret` now
/// (`X-Slack-Request-Timestamp`, `X-Slack-Signature`); returns the HTTP
/// status.
///
/// # Panics
///
/// When the request cannot be sent at all.
pub fn post_signed(
    url: &str,
    secret: &crate::SigningSecret,
    body: &[u8],
    content_type: &str,
) -> u16 {
    let ts = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
    let signature = crate::sign_request(secret, &ts, body);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    agent
        .post(url)
        .header("Content-Type", content_type)
        .header("X-Slack-Request-Timestamp", &ts)
        .header("X-Slack-Signature", &signature)
        .send(body)
        .expect("the request URL answers")
        .status()
        .as_u16()
}

/// An interaction's form body (`payload=<JSON>`), as Slack POSTs it.
pub fn interaction_form(payload: &Value) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("payload", &payload.to_string())
        .finish()
}
