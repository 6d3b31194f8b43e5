//! A fake Slack on 127.0.0.1 speaking the Web API's wire format as Slack
//! documents it (docs.slack.dev/reference/methods/…): POST `/api/{method}`
//! with a JSON body and `Authorization: Bearer`, answers
//! `{"ok": true, …}` or `{"ok": false, "error": "…"}`, HTTP 429 with
//! `Retry-After` when rate limited. Every request is recorded (method,
//! headers, JSON body) for assertions.

use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Instant;

use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};

/// The bot token the fake accepts.
pub const BOT_TOKEN: &str = "xoxb-1111-2222-fakebotsecret";
/// The app-level token the fake accepts.
pub const APP_TOKEN: &str = "xapp-1-A0FAKE-3333-fakeappsecret";
/// The bot's user id.
pub const BOT_USER: &str = "U0BOT";

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The Web API method (`chat.postMessage`).
    pub method: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Value::Null` when it was not JSON).
    pub body: Value,
    /// When it arrived.
    pub at: Instant,
}

impl Recorded {
    /// The value of a header (name in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    /// Answer the next call 429 with this `Retry-After`.
    rate_limit_once: Option<u64>,
    /// Answer the next N calls with HTTP 503.
    server_errors: u32,
    /// Answer every call `invalid_auth`.
    invalid_auth: bool,
    /// The URL `apps.connections.open` hands out.
    socket_url: Option<String>,
    /// Messages posted so far (for `ts`).
    posted: u64,
}

/// The fake; stops when dropped.
pub struct FakeSlack {
    /// `http://127.0.0.1:PORT/api/`.
    pub base_url: String,
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeSlack {
    /// Starts the fake on a free loopback port.
    pub fn start() -> Self {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let state = Arc::new(Mutex::new(State::default()));
        let thread = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    serve(&state, request);
                }
            })
        };
        FakeSlack {
            base_url: format!("http://127.0.0.1:{port}/api/"),
            state,
            server,
            thread: Some(thread),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next call is answered 429 with `Retry-After: secs`.
    pub fn rate_limit_once(&self, secs: u64) {
        self.state().rate_limit_once = Some(secs);
    }

    /// The next `n` calls are answered HTTP 503.
    pub fn fail_with_503(&self, n: u32) {
        self.state().server_errors = n;
    }

    /// Every call is answered `{"ok": false, "error": "invalid_auth"}`.
    pub fn reject_all_tokens(&self) {
        self.state().invalid_auth = true;
    }

    /// The URL `apps.connections.open` answers with.
    pub fn set_socket_url(&self, url: &str) {
        self.state().socket_url = Some(url.to_owned());
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
    }
}

impl Drop for FakeSlack {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(state: &Mutex<State>, mut request: tiny_http::Request) {
    let mut raw = String::new();
    let _ = request.as_reader().read_to_string(&mut raw);
    let method = request
        .url()
        .strip_prefix("/api/")
        .unwrap_or(request.url())
        .to_owned();
    let headers: Vec<(String, String)> = request
        .headers()
        .iter()
        .map(|h| {
            (
                h.field.as_str().as_str().to_ascii_lowercase(),
                h.value.as_str().to_owned(),
            )
        })
        .collect();
    let recorded = Recorded {
        method: method.clone(),
        headers,
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        at: Instant::now(),
    };
    let answer = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        st.requests.push(recorded.clone());
        answer(&mut st, &recorded)
    };
    let (status, body, extra) = answer;
    let mut response = Response::from_string(body.to_string())
        .with_status_code(status)
        .with_header(
            Header::from_bytes("Content-Type", "application/json; charset=utf-8").expect("header"),
        );
    if let Some((name, value)) = extra {
        response = response.with_header(Header::from_bytes(name, value).expect("header"));
    }
    let _ = request.respond(response);
}

type Answer = (u16, Value, Option<(&'static str, String)>);

fn ok(body: Value) -> Answer {
    (200, body, None)
}

fn error(code: &str) -> Answer {
    (200, json!({"ok": false, "error": code}), None)
}

fn answer(st: &mut State, req: &Recorded) -> Answer {
    if let Some(secs) = st.rate_limit_once.take() {
        return (
            429,
            json!({"ok": false, "error": "ratelimited"}),
            Some(("Retry-After", secs.to_string())),
        );
    }
    if st.server_errors > 0 {
        st.server_errors -= 1;
        return (
            503,
            json!({"ok": false, "error": "service_unavailable"}),
            None,
        );
    }
    let expected_token = if req.method == "apps.connections.open" {
        APP_TOKEN
    } else {
        BOT_TOKEN
    };
    match req.header("authorization") {
        None => return error("not_authed"),
        Some(auth) if st.invalid_auth || auth != format!("Bearer {expected_token}") => {
            return error("invalid_auth")
        }
        Some(_) => {}
    }
    let body = &req.body;
    let channel = body.get("channel").and_then(Value::as_str);
    match req.method.as_str() {
        "auth.test" => ok(json!({
            "ok": true,
            "url": "https://fake-workspace.slack.com/",
            "team": "Fake Workspace",
            "user": "autonomic",
            "team_id": "T0FAKE",
            "user_id": BOT_USER,
            "bot_id": "B0FAKE",
            "is_enterprise_install": false
        })),
        "chat.postMessage" => {
            let Some(channel) = channel.filter(|c| c.starts_with(['C', 'G', 'D'])) else {
                return error("channel_not_found");
            };
            if body.get("text").is_none() && body.get("blocks").is_none() {
                return error("no_text");
            }
            st.posted += 1;
            let ts = format!("1710498600.{:06}", st.posted);
            let mut message = json!({
                "type": "message",
                "user": BOT_USER,
                "bot_id": "B0FAKE",
                "text": body.get("text").cloned().unwrap_or(Value::Null),
                "ts": ts,
            });
            if let Some(thread) = body.get("thread_ts") {
                message["thread_ts"] = thread.clone();
            }
            ok(json!({"ok": true, "channel": channel, "ts": ts, "message": message}))
        }
        "chat.update" => {
            let Some(channel) = channel.filter(|c| c.starts_with(['C', 'G', 'D'])) else {
                return error("channel_not_found");
            };
            let Some(ts) = body.get("ts").and_then(Value::as_str) else {
                return error("message_not_found");
            };
            ok(json!({
                "ok": true,
                "channel": channel,
                "ts": ts,
                "text": body.get("text").cloned().unwrap_or(Value::Null),
                "message": {"text": body.get("text").cloned().unwrap_or(Value::Null)}
            }))
        }
        "apps.connections.open" => match &st.socket_url {
            Some(url) => ok(json!({"ok": true, "url": url})),
            None => ok(json!({"ok": true, "url": "ws://127.0.0.1:9/link/?ticket=none"})),
        },
        _ => (404, json!({"ok": false, "error": "unknown_method"}), None),
    }
}
