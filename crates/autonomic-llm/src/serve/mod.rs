//! `autonomic llm serve`: any [`ChatModel`] (the embedded back-end) behind
//! an OpenAI-compatible API on 127.0.0.1, so other local tools can share
//! the model.
//!
//! - `POST /v1/chat/completions`, streamed (server-sent events) or not;
//!   `GET /v1/models`; `GET /health`.
//! - One worker runs the model; up to [`ServeOptions::queue`] requests wait
//!   for it and the next gets 429 with `Retry-After`.
//! - A bad request gets 400 with an OpenAI-style error body; an unknown
//!   path 404, a wrong method 405, a body over [`ServeOptions::max_body`]
//!   413.
//! - A client that goes away while its reply streams cancels the
//!   generation (the next write fails and trips the model's [`Cancel`]).
//! - Requests are logged with `tracing`, never their text at info level.
//!
//! It listens on loopback only: the API has no authentication.

mod error;
mod reply;
pub(crate) mod request;

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tiny_http::{Header, Method, Response};

use crate::chat::{ChatModel, Sampling};
use crate::Cancel;

use error::ApiError;
pub use error::ServeError;
use reply::{EventWriter, Stamp};

/// How the server runs.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// The port on 127.0.0.1; 0 picks a free one (see [`Server::local_addr`]).
    pub port: u16,
    /// Requests that may wait while the model works on another; one more
    /// gets 429.
    pub queue: usize,
    /// The largest request body, in bytes (larger: 413).
    pub max_body: usize,
    /// `max_tokens` when a request gives none, and the most it may ask.
    pub max_tokens: u32,
    /// Sampling when a request gives no temperature, top_p or seed.
    pub sampling: Sampling,
    /// The `Retry-After` of a 429, in seconds.
    pub retry_after_secs: u64,
}

impl Default for ServeOptions {
    fn default() -> ServeOptions {
        ServeOptions {
            port: 8080,
            queue: 8,
            max_body: 16 << 20,
            max_tokens: 512,
            sampling: Sampling::Greedy,
            retry_after_secs: 1,
        }
    }
}

impl ServeOptions {
    /// From `[llm]` (`serve_queue`, `max_tokens`, `temperature`, `top_p`,
    /// `seed`) and the port.
    pub fn from_config(config: &autonomic_core::config::LlmConfig, port: u16) -> ServeOptions {
        ServeOptions {
            port,
            queue: usize::try_from(config.serve_queue).unwrap_or(usize::MAX),
            max_tokens: u32::try_from(config.max_tokens).unwrap_or(u32::MAX),
            sampling: Sampling::from_config(config.temperature, config.top_p, config.seed),
            ..ServeOptions::default()
        }
    }
}

/// A request waiting for the model.
struct Job {
    http: tiny_http::Request,
    call: request::ChatCall,
    stamp: Stamp,
    received: Instant,
}

/// What the threads share.
struct Shared {
    model: Arc<dyn ChatModel>,
    options: ServeOptions,
    started: u64,
    stopping: AtomicBool,
    /// The running generation's flag, tripped on shutdown.
    current: Mutex<Option<Cancel>>,
    ids: AtomicU64,
    /// Requests in the queue.
    waiting: AtomicUsize,
}

/// Stops a running [`Server`] from another thread (a signal handler).
#[derive(Clone)]
pub struct ShutdownHandle {
    http: Arc<tiny_http::Server>,
    shared: Arc<Shared>,
}

impl ShutdownHandle {
    /// Stops accepting requests and cancels the running generation; waiting
    /// requests are answered 503.
    pub fn shutdown(&self) {
        self.shared.stopping.store(true, Ordering::SeqCst);
        if let Ok(current) = self.shared.current.lock() {
            if let Some(cancel) = current.as_ref() {
                cancel.cancel();
            }
        }
        self.http.unblock();
    }
}

/// A running server; dropping it shuts it down.
pub struct Server {
    addr: SocketAddr,
    handle: ShutdownHandle,
    accept: Option<JoinHandle<()>>,
    worker: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `model` on 127.0.0.1 as `options` say; returns once it listens.
    pub fn start(model: Arc<dyn ChatModel>, options: ServeOptions) -> Result<Server, ServeError> {
        let port = options.port;
        let http = tiny_http::Server::http((Ipv4Addr::LOCALHOST, port))
            .map_err(|source| ServeError::Bind { port, source })?;
        let addr = http
            .server_addr()
            .to_ip()
            .unwrap_or_else(|| SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
        let http = Arc::new(http);
        let (jobs, queue) = mpsc::sync_channel::<Job>(options.queue);
        let shared = Arc::new(Shared {
            model,
            options,
            started: now_secs(),
            stopping: AtomicBool::new(false),
            current: Mutex::new(None),
            ids: AtomicU64::new(0),
            waiting: AtomicUsize::new(0),
        });
        let worker = {
            let shared = Arc::clone(&shared);
            std::thread::Builder::new()
                .name("llm-serve-model".into())
                .spawn(move || work(&shared, &queue))
                .map_err(|source| ServeError::Thread {
                    what: "model",
                    source,
                })?
        };
        let accept = {
            let shared = Arc::clone(&shared);
            let http = Arc::clone(&http);
            std::thread::Builder::new()
                .name("llm-serve-accept".into())
                .spawn(move || accept(&http, &shared, &jobs))
                .map_err(|source| ServeError::Thread {
                    what: "accept",
                    source,
                })?
        };
        tracing::info!(%addr, model = shared.model.id(), queue = shared.options.queue, "serving the OpenAI-compatible API");
        Ok(Server {
            addr,
            handle: ShutdownHandle { http, shared },
            accept: Some(accept),
            worker: Some(worker),
        })
    }

    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT/v1`, the `base_url` clients use.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// Requests waiting for the model now (not counting the one it runs).
    pub fn waiting(&self) -> usize {
        self.handle.shared.waiting.load(Ordering::SeqCst)
    }

    /// A handle that stops the server from elsewhere.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        self.handle.clone()
    }

    /// Blocks until the server is shut down (by a [`ShutdownHandle`]).
    pub fn wait(mut self) {
        self.join();
    }

    /// Shuts the server down and waits for its threads.
    pub fn shutdown(mut self) {
        self.handle.shutdown();
        self.join();
    }

    fn join(&mut self) {
        if let Some(accept) = self.accept.take() {
            let _ = accept.join();
        }
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.handle.shutdown();
        self.join();
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// Takes requests until shutdown; each is read and checked on its own
/// thread, so a slow upload holds up no one.
fn accept(http: &tiny_http::Server, shared: &Arc<Shared>, jobs: &SyncSender<Job>) {
    for request in http.incoming_requests() {
        if shared.stopping.load(Ordering::SeqCst) {
            answer_error(
                request,
                &ApiError::status(503, "server_error", "the server is shutting down"),
                Instant::now(),
            );
            break;
        }
        let shared = Arc::clone(shared);
        let jobs = jobs.clone();
        let spawned = std::thread::Builder::new()
            .name("llm-serve-request".into())
            .spawn(move || route(request, &shared, &jobs));
        if let Err(error) = spawned {
            tracing::warn!(%error, "cannot start a request thread");
        }
    }
}

fn route(mut request: tiny_http::Request, shared: &Shared, jobs: &SyncSender<Job>) {
    let received = Instant::now();
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let method = request.method().clone();
    match (path.as_str(), &method) {
        ("/health", Method::Get) => {
            let waiting = shared.waiting.load(Ordering::SeqCst);
            answer_json(
                request,
                200,
                &json!({"status": "ok", "waiting": waiting}),
                received,
            );
        }
        ("/v1/models", Method::Get) => {
            let list = json!({"object": "list", "data": [{
                "id": shared.model.id(),
                "object": "model",
                "created": shared.started,
                "owned_by": "autonomic",
            }]});
            answer_json(request, 200, &list, received);
        }
        ("/v1/chat/completions", Method::Post) => {
            let body = match read_body(&mut request, shared.options.max_body) {
                Ok(body) => body,
                Err(error) => return answer_error(request, &error, received),
            };
            let call = match request::parse(&body, shared.model.id(), &shared.options) {
                Ok(call) => call,
                Err(error) => return answer_error(request, &error, received),
            };
            let n = shared.ids.fetch_add(1, Ordering::Relaxed);
            let stamp = Stamp {
                id: completion_id(n),
                created: now_secs(),
                model: shared.model.id().to_owned(),
            };
            let job = Job {
                http: request,
                call,
                stamp,
                received,
            };
            shared.waiting.fetch_add(1, Ordering::SeqCst);
            match jobs.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                    shared.waiting.fetch_sub(1, Ordering::SeqCst);
                    let mut error = ApiError::status(
                        429,
                        "rate_limit_error",
                        format!(
                            "the model is busy and {} requests are already waiting: retry later",
                            shared.options.queue
                        ),
                    );
                    error.retry_after = Some(shared.options.retry_after_secs);
                    answer_error(job.http, &error, received);
                }
            }
        }
        ("/health" | "/v1/models", _) => answer_method(request, "GET", received),
        ("/v1/chat/completions", _) => answer_method(request, "POST", received),
        _ => {
            let error = ApiError::status(
                404,
                "invalid_request_error",
                format!("no such path: {path}"),
            )
            .with_code("unknown_url");
            answer_error(request, &error, received);
        }
    }
}

/// `chatcmpl-` and 24 hex digits (a counter mixed with a random key).
fn completion_id(n: u64) -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u64(n);
    format!("chatcmpl-{:016x}{:08x}", hasher.finish(), n as u32)
}

fn read_body(request: &mut tiny_http::Request, max: usize) -> Result<Vec<u8>, ApiError> {
    let too_large = || {
        ApiError::status(
            413,
            "invalid_request_error",
            format!("the request body is larger than {max} bytes"),
        )
    };
    if request.body_length().is_some_and(|n| n > max) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    request
        .as_reader()
        .take(max as u64 + 1)
        .read_to_end(&mut body)
        .map_err(|e| ApiError::invalid(format!("cannot read the request body: {e}"), None))?;
    if body.len() > max {
        return Err(too_large());
    }
    Ok(body)
}

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn answer_json(request: tiny_http::Request, status: u16, body: &Value, received: Instant) {
    answer(request, status, body, &[], received);
}

fn answer(
    request: tiny_http::Request,
    status: u16,
    body: &Value,
    extra: &[Header],
    received: Instant,
) {
    let method = request.method().clone();
    let path = request
        .url()
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned();
    let mut response = Response::from_string(body.to_string()).with_status_code(status);
    for header in header("Content-Type", "application/json")
        .into_iter()
        .chain(extra.iter().cloned())
    {
        response.add_header(header);
    }
    if let Err(error) = request.respond(response) {
        tracing::debug!(%error, "the client went away before its answer");
    }
    tracing::info!(%method, %path, status, ms = received.elapsed().as_millis() as u64, "request");
}

fn answer_error(request: tiny_http::Request, error: &ApiError, received: Instant) {
    let extra: Vec<Header> = error
        .retry_after
        .and_then(|secs| header("Retry-After", &secs.to_string()))
        .into_iter()
        .collect();
    answer(request, error.status, &error.body(), &extra, received);
}

fn answer_method(request: tiny_http::Request, allow: &str, received: Instant) {
    let error = ApiError::status(
        405,
        "invalid_request_error",
        format!("{} is not allowed here; use {allow}", request.method()),
    );
    let extra: Vec<Header> = header("Allow", allow).into_iter().collect();
    answer(request, 405, &error.body(), &extra, received);
}

/// The model's thread: one job at a time, in arrival order.
fn work(shared: &Shared, queue: &Receiver<Job>) {
    while let Ok(job) = queue.recv() {
        shared.waiting.fetch_sub(1, Ordering::SeqCst);
        if shared.stopping.load(Ordering::SeqCst) {
            answer_error(
                job.http,
                &ApiError::status(503, "server_error", "the server is shutting down"),
                job.received,
            );
            continue;
        }
        let cancel = Cancel::new();
        if let Ok(mut current) = shared.current.lock() {
            *current = Some(cancel.clone());
        }
        if job.call.stream {
            stream(shared, job, &cancel);
        } else {
            whole(shared, job, &cancel);
        }
        if let Ok(mut current) = shared.current.lock() {
            *current = None;
        }
    }
}

fn whole(shared: &Shared, job: Job, cancel: &Cancel) {
    let result = shared
        .model
        .complete(&job.call.request, &mut |_| {}, cancel);
    match result {
        Ok(completion) => {
            log_completion(&job, completion.usage, false);
            answer_json(
                job.http,
                200,
                &reply::completion_json(&job.stamp, &completion),
                job.received,
            );
        }
        Err(error) => {
            tracing::warn!(%error, "the model failed");
            answer_error(job.http, &ApiError::from_model(&error), job.received);
        }
    }
}

fn log_completion(job: &Job, usage: crate::Usage, stream: bool) {
    tracing::debug!(
        id = %job.stamp.id,
        stream,
        prompt_tokens = usage.prompt_tokens,
        completion_tokens = usage.completion_tokens,
        "completion"
    );
}

/// A streamed reply: the headers and the role chunk go out with the first
/// piece of text (so an error before it is still a plain error answer).
struct Streamer<'a> {
    request: Option<tiny_http::Request>,
    writer: Option<EventWriter>,
    broken: bool,
    stamp: &'a Stamp,
    cancel: &'a Cancel,
}

impl Streamer<'_> {
    fn open(&mut self) -> Option<&mut EventWriter> {
        if self.broken {
            return None;
        }
        if self.writer.is_none() {
            let request = self.request.take()?;
            let chunked = *request.http_version() >= tiny_http::HTTPVersion(1, 1);
            let started = EventWriter::start(request.into_writer(), chunked).and_then(|mut w| {
                w.event(&reply::chunk_json(
                    self.stamp,
                    json!({"role": "assistant", "content": ""}),
                    None,
                ))?;
                Ok(w)
            });
            match started {
                Ok(writer) => self.writer = Some(writer),
                Err(_) => {
                    self.gone();
                    return None;
                }
            }
        }
        self.writer.as_mut()
    }

    fn send(&mut self, event: &Value) {
        let failed = match self.open() {
            Some(writer) => writer.event(event).is_err(),
            None => false,
        };
        if failed {
            self.gone();
        }
    }

    /// The client went away: stop the model.
    fn gone(&mut self) {
        if !self.broken {
            tracing::info!(id = %self.stamp.id, "the client went away; cancelling its generation");
        }
        self.broken = true;
        self.writer = None;
        self.cancel.cancel();
    }
}

fn stream(shared: &Shared, job: Job, cancel: &Cancel) {
    let Job {
        http,
        call,
        stamp,
        received,
    } = job;
    let method_path = format!("{} {}", http.method(), http.url());
    let mut out = Streamer {
        request: Some(http),
        writer: None,
        broken: false,
        stamp: &stamp,
        cancel,
    };
    let result = shared.model.complete(
        &call.request,
        &mut |piece| out.send(&reply::chunk_json(&stamp, json!({"content": piece}), None)),
        cancel,
    );
    let status = match result {
        Ok(completion) => {
            out.send(&reply::chunk_json(
                &stamp,
                json!({}),
                Some(reply::finish_name(completion.finish)),
            ));
            if call.include_usage {
                out.send(&reply::usage_chunk_json(&stamp, completion.usage));
            }
            tracing::debug!(id = %stamp.id, prompt_tokens = completion.usage.prompt_tokens, completion_tokens = completion.usage.completion_tokens, "completion");
            200
        }
        Err(error) => {
            tracing::warn!(%error, "the model failed");
            let api = ApiError::from_model(&error);
            if let Some(request) = out.request.take() {
                // Nothing was sent yet: a plain error answer.
                return answer_error(request, &api, received);
            }
            out.send(&api.body());
            api.status
        }
    };
    if let Some(writer) = out.writer.take() {
        if writer.finish().is_err() {
            out.gone();
        }
    }
    tracing::info!(request = %method_path, status, stream = true, cancelled = out.broken, ms = received.elapsed().as_millis() as u64, "request");
}
