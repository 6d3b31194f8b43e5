//! A minimal fake GitHub REST API on 127.0.0.1, speaking GitHub's
//! documented wire format: it refuses a request without the headers GitHub
//! requires (`Authorization: Bearer`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, `User-Agent`) with 401/400 and GitHub's error
//! body, answers a comment with 201 and the comment (`html_url`), a merge
//! with 200 `{"merged": true, …}`, anything else with 404. Every request is
//! recorded.

use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};

/// One request as received.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Value,
}

impl Recorded {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The fake; stops when dropped.
pub(crate) struct FakeGitHub {
    pub base_url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts on a free port, accepting `token`.
    pub(crate) fn start(token: &str) -> FakeGitHub {
        FakeGitHub::start_slow(token, std::time::Duration::ZERO)
    }

    /// As [`FakeGitHub::start`], answering each request `delay` after it
    /// was recorded.
    pub(crate) fn start_slow(token: &str, delay: std::time::Duration) -> FakeGitHub {
        let server = Arc::new(Server::http("127.0.0.1:0").unwrap());
        let port = server.server_addr().to_ip().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let (s, r, token) = (server.clone(), requests.clone(), token.to_owned());
        let thread = std::thread::spawn(move || {
            for mut req in s.incoming_requests() {
                let mut text = String::new();
                let _ = req.as_reader().read_to_string(&mut text);
                let rec = Recorded {
                    method: req.method().as_str().to_owned(),
                    url: req.url().to_owned(),
                    headers: req
                        .headers()
                        .iter()
                        .map(|h| {
                            (
                                h.field.as_str().as_str().to_owned(),
                                h.value.as_str().to_owned(),
                            )
                        })
                        .collect(),
                    body: serde_json::from_str(&text).unwrap_or(Value::Null),
                };
                let (status, body) = answer(&rec, &token);
                r.lock().unwrap().push(rec);
                std::thread::sleep(delay);
                let response = Response::from_string(body.to_string())
                    .with_status_code(status)
                    .with_header(
                        Header::from_bytes("Content-Type", "application/json; charset=utf-8")
                            .unwrap(),
                    );
                let _ = req.respond(response);
            }
        });
        FakeGitHub {
            base_url: format!("http://127.0.0.1:{port}"),
            requests,
            server,
            thread: Some(thread),
        }
    }

    /// Every request so far.
    pub(crate) fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

impl Drop for FakeGitHub {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn error(message: &str) -> Value {
    json!({"message": message, "documentation_url": "https://docs.github.com/rest"})
}

/// GitHub's answer to `rec`.
fn answer(rec: &Recorded, token: &str) -> (u16, Value) {
    if rec.header("Authorization") != Some(format!("Bearer {token}").as_str()) {
        return (401, error("Bad credentials"));
    }
    if rec.header("Accept") != Some("application/vnd.github+json")
        || rec.header("X-GitHub-Api-Version").is_none()
        || rec.header("User-Agent").is_none_or(str::is_empty)
    {
        return (400, error("Missing a required header"));
    }
    let parts: Vec<&str> = rec.url.trim_start_matches('/').split('/').collect();
    match (rec.method.as_str(), parts.as_slice()) {
        ("POST", ["repos", o, r, "issues", n, "comments"]) => {
            let Some(body) = rec.body["body"].as_str() else {
                return (422, error("Validation Failed"));
            };
            (
                201,
                json!({"id": 1, "body": body,
                       "html_url": format!("https://github.com/{o}/{r}/issues/{n}#issuecomment-1")}),
            )
        }
        ("PUT", ["repos", _, _, "pulls", _, "merge"]) => (
            200,
            json!({"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "merged": true,
                   "message": "Pull Request successfully merged"}),
        ),
        _ => (404, error("Not Found")),
    }
}
