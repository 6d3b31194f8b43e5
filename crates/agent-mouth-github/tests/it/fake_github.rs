//! A fake GitHub REST API on 127.0.0.1, written from GitHub's published
//! REST docs: it insists on the headers GitHub requires (a bearer token,
//! `Accept: application/vnd.github+json`, `X-GitHub-Api-Version:
//! 2022-11-28`, a `User-Agent`), answers creations with 201 and the
//! created resource (and a `Location`), validation failures with 422
//! `{"message": "Validation Failed", "errors": [...], "documentation_url"}`,
//! pages lists with `Link: <…>; rel="next"`, and can be scripted to answer
//! rate limits (403/429 with `retry-after`, or `x-ratelimit-remaining: 0`
//! and `x-ratelimit-reset`) and server errors. Every request is recorded.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tiny_http::{Header, Response, Server};

/// The token the fake accepts.
pub const TOKEN: &str = "ghs_FakeInstallationToken0123456789abcdef";

/// Issues in the fake repository's list (2 a page: 3 pages).
const ISSUES: u64 = 5;
const PER_PAGE: u64 = 2;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path and query as sent.
    pub url: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body parsed as JSON (`Null` when empty or not JSON).
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

/// An answer: status, extra headers, body.
pub type Answer = (u16, Vec<(String, String)>, Value);

#[derive(Default)]
struct State {
    requests: Vec<Recorded>,
    /// Answers given before any routing, in order.
    script: VecDeque<Answer>,
    base_url: String,
}

/// The fake; stops when dropped.
pub struct FakeGitHub {
    /// `http://127.0.0.1:PORT`.
    pub base_url: String,
    state: Arc<Mutex<State>>,
    server: Arc<Server>,
    thread: Option<JoinHandle<()>>,
}

impl FakeGitHub {
    /// Starts the fake on a free loopback port.
    pub fn start() -> Self {
        let server = Arc::new(Server::http("127.0.0.1:0").expect("bind 127.0.0.1:0"));
        let port = server.server_addr().to_ip().expect("an IP listener").port();
        let base_url = format!("http://127.0.0.1:{port}");
        let state = Arc::new(Mutex::new(State {
            base_url: base_url.clone(),
            ..State::default()
        }));
        let thread = {
            let server = Arc::clone(&server);
            let state = Arc::clone(&state);
            std::thread::spawn(move || {
                while let Ok(request) = server.recv() {
                    serve(&state, request);
                }
            })
        };
        FakeGitHub {
            base_url,
            state,
            server,
            thread: Some(thread),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next request is answered with `answer` (queued after any
    /// already scripted).
    pub fn script(&self, answer: Answer) {
        self.state().script.push_back(answer);
    }

    /// A secondary rate limit: `status` (403 or 429) with `retry-after`.
    pub fn secondary_limit(&self, status: u16, retry_after: u64) {
        self.script((
            status,
            vec![("retry-after".into(), retry_after.to_string())],
            json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
            }),
        ));
    }

    /// The primary limit spent: 403 with `x-ratelimit-remaining: 0` and a
    /// reset `in_secs` from now.
    pub fn primary_limit(&self, in_secs: u64) {
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            + in_secs;
        self.script((
            403,
            vec![
                ("x-ratelimit-limit".into(), "5000".into()),
                ("x-ratelimit-remaining".into(), "0".into()),
                ("x-ratelimit-used".into(), "5000".into()),
                ("x-ratelimit-reset".into(), reset.to_string()),
                ("x-ratelimit-resource".into(), "core".into()),
            ],
            json!({
                "message": "API rate limit exceeded for installation ID 1.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
            }),
        ));
    }

    /// The next `n` requests are answered `status` (a 5xx).
    pub fn server_errors(&self, status: u16, n: usize) {
        for _ in 0..n {
            self.script((status, vec![], json!({"message": "Server Error"})));
        }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.state().requests.clone()
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

fn serve(state: &Mutex<State>, mut request: tiny_http::Request) {
    let mut raw = String::new();
    let _ = request.as_reader().read_to_string(&mut raw);
    let recorded = Recorded {
        method: request.method().as_str().to_owned(),
        url: request.url().to_owned(),
        headers: request
            .headers()
            .iter()
            .map(|h| {
                (
                    h.field.as_str().as_str().to_ascii_lowercase(),
                    h.value.as_str().to_owned(),
                )
            })
            .collect(),
        body: serde_json::from_str(&raw).unwrap_or(Value::Null),
        at: Instant::now(),
    };
    let (status, headers, body) = {
        let mut st = state.lock().unwrap_or_else(|p| p.into_inner());
        st.requests.push(recorded.clone());
        match st.script.pop_front() {
            Some(a) => a,
            None => route(&st.base_url, &recorded),
        }
    };
    let text = if body.is_null() {
        String::new()
    } else {
        body.to_string()
    };
    let mut response = Response::from_string(text)
        .with_status_code(status)
        .with_header(
            Header::from_bytes("Content-Type", "application/json; charset=utf-8").expect("header"),
        );
    for (name, value) in headers {
        response = response
            .with_header(Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("header"));
    }
    let _ = request.respond(response);
}

fn error(status: u16, message: &str) -> Answer {
    (
        status,
        vec![],
        json!({"message": message, "documentation_url": "https://docs.github.com/rest"}),
    )
}

fn validation_failed(errors: Value) -> Answer {
    (
        422,
        vec![],
        json!({
            "message": "Validation Failed",
            "errors": errors,
            "documentation_url": "https://docs.github.com/rest"
        }),
    )
}

/// The headers GitHub requires; `Some` answer when one is missing or wrong.
fn check_headers(req: &Recorded) -> Option<Answer> {
    if req.header("user-agent").is_none_or(str::is_empty) {
        return Some(error(
            403,
            "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
        ));
    }
    if req.header("authorization") != Some(format!("Bearer {TOKEN}").as_str()) {
        return Some(error(401, "Bad credentials"));
    }
    if req.header("accept") != Some("application/vnd.github+json") {
        return Some(error(
            415,
            "fake GitHub: expected Accept: application/vnd.github+json",
        ));
    }
    if req.header("x-github-api-version") != Some("2022-11-28") {
        return Some(error(400, "API version is not supported"));
    }
    if req.method != "GET" && !req.body.is_null() {
        if req.header("content-type") != Some("application/json") {
            return Some(error(415, "fake GitHub: expected a JSON body"));
        }
    }
    None
}

fn route(base: &str, req: &Recorded) -> Answer {
    if let Some(refused) = check_headers(req) {
        return refused;
    }
    let (path, query) = req.url.split_once('?').unwrap_or((&req.url, ""));
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let body = &req.body;
    let str_field = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (req.method.as_str(), segs.as_slice()) {
        ("POST", ["repos", o, r, "issues", n, "comments"]) => {
            let Some(text) = str_field("body") else {
                return validation_failed(
                    json!([{"resource": "IssueComment", "code": "missing_field", "field": "body"}]),
                );
            };
            let url = format!("{base}/repos/{o}/{r}/issues/comments/1001");
            (
                201,
                vec![("Location".into(), url.clone())],
                json!({
                    "id": 1001,
                    "node_id": "IC_fake1001",
                    "url": url,
                    "html_url": format!("https://github.com/{o}/{r}/issues/{n}#issuecomment-1001"),
                    "issue_url": format!("{base}/repos/{o}/{r}/issues/{n}"),
                    "body": text,
                    "user": {"login": "autonomic[bot]", "type": "Bot"},
                    "author_association": "NONE",
                    "created_at": "2024-03-15T10:30:00Z",
                    "updated_at": "2024-03-15T10:30:00Z"
                }),
            )
        }
        ("POST", ["repos", o, r, "pulls"]) => {
            let (Some(title), Some(head), Some(b)) =
                (str_field("title"), str_field("head"), str_field("base"))
            else {
                return validation_failed(
                    json!([{"resource": "PullRequest", "code": "missing_field", "field": "head"}]),
                );
            };
            if head == b {
                return validation_failed(json!([{
                    "resource": "PullRequest",
                    "code": "custom",
                    "message": format!("No commits between {b} and {head}")
                }]));
            }
            (
                201,
                vec![("Location".into(), format!("{base}/repos/{o}/{r}/pulls/42"))],
                json!({
                    "id": 4200,
                    "number": 42,
                    "state": "open",
                    "title": title,
                    "body": body.get("body").cloned().unwrap_or(Value::Null),
                    "draft": body.get("draft").cloned().unwrap_or(json!(false)),
                    "html_url": format!("https://github.com/{o}/{r}/pull/42"),
                    "head": {"ref": head},
                    "base": {"ref": b}
                }),
            )
        }
        ("POST", ["repos", _, _, "statuses", sha]) => {
            let state = str_field("state");
            if !matches!(state, Some("error" | "failure" | "pending" | "success")) {
                return validation_failed(
                    json!([{"resource": "Status", "code": "invalid", "field": "state"}]),
                );
            }
            (
                201,
                vec![],
                json!({
                    "id": 77,
                    "state": state,
                    "context": body.get("context").cloned().unwrap_or(json!("default")),
                    "description": body.get("description").cloned().unwrap_or(Value::Null),
                    "target_url": body.get("target_url").cloned().unwrap_or(Value::Null),
                    "url": format!("{base}/repos/o/r/statuses/{sha}"),
                    "created_at": "2024-03-15T10:30:00Z"
                }),
            )
        }
        ("PUT", ["repos", _, _, "pulls", _, "merge"]) => (
            200,
            vec![],
            json!({"sha": "6dcb09b5b57875f334f61aebed695e2e4193db5e", "merged": true, "message": "Pull Request successfully merged"}),
        ),
        ("GET", ["repos", _, _, "issues"]) => issues_page(base, 1),
        ("GET", ["repositories", "1", "issues"]) => {
            let page = query
                .split('&')
                .find_map(|p| p.strip_prefix("page="))
                .and_then(|p| p.parse().ok())
                .unwrap_or(1);
            issues_page(base, page.max(1))
        }
        _ => error(404, "Not Found"),
    }
}

/// Page `page` of the issue list, linked as GitHub does (by repository
/// id, with `next` and `last`, or `prev` and `first` on the last page).
fn issues_page(base: &str, page: u64) -> Answer {
    let last = ISSUES.div_ceil(PER_PAGE);
    let first = (page - 1) * PER_PAGE + 1;
    let issues: Vec<Value> = (first..=(first + PER_PAGE - 1).min(ISSUES))
        .map(|n| json!({"number": n, "title": format!("Issue {n}"), "state": "open"}))
        .collect();
    let link_to =
        |p: u64, rel: &str| format!("<{base}/repositories/1/issues?page={p}>; rel=\"{rel}\"");
    let links = if page < last {
        vec![link_to(page + 1, "next"), link_to(last, "last")]
    } else {
        vec![link_to(page - 1, "prev"), link_to(1, "first")]
    };
    (
        200,
        vec![("Link".into(), links.join(", "))],
        Value::Array(issues),
    )
}
