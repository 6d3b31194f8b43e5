//! Where the tests find the model.

use std::path::PathBuf;

/// The file name `autonomic llm fetch` gives the default model.
pub const MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// The real model: `$AUTONOMIC_LLM_TEST_MODEL`, else
/// `<workspace>/target/models/SmolLM2-135M-Instruct.Q4_1.gguf` (where
/// `.ci/run` puts it). Fails the test, never skips it, when it is absent.
pub fn model_path() -> PathBuf {
    #[expect(clippy::disallowed_methods, reason = "test configuration")]
    let from_env = std::env::var_os("AUTONOMIC_LLM_TEST_MODEL").map(PathBuf::from);
    let path = from_env.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/models")
            .join(MODEL_FILE)
    });
    assert!(
        path.is_file(),
        "the test model {} is missing: run `cargo run -p autonomic-cli --bin autonomic -- llm fetch --dest target/models` (or .ci/run), or set AUTONOMIC_LLM_TEST_MODEL",
        path.display()
    );
    path
}

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use autonomic_llm::{
    chat::Timings, Cancel, ChatModel, Completion, FinishReason, LlmError, Request, Usage,
};

/// The model the client-to-server and Python-client tests serve. Those
/// tests assert only what holds for any model (the pieces concatenate to
/// the text, greedy replies repeat, schema replies validate): it is the
/// real embedded model.
pub fn served_model() -> Arc<dyn ChatModel> {
    real_model()
}

/// The real model, loaded once per test binary and shared (completions
/// take turns on its lock).
pub fn real_model() -> Arc<autonomic_llm::embedded::Embedded> {
    static MODEL: std::sync::OnceLock<Arc<autonomic_llm::embedded::Embedded>> =
        std::sync::OnceLock::new();
    MODEL
        .get_or_init(|| {
            Arc::new(
                autonomic_llm::embedded::Embedded::load(&model_path(), Default::default()).unwrap(),
            )
        })
        .clone()
}

/// A deterministic test double of a chat model. It answers
/// `echo: <the last message's words>` word by word (one piece per word,
/// `max_tokens` pieces at most), a schema request with the next of
/// `schema_replies` (else `{"lang":"bash","command":"ls"}`); an image
/// without vision is [`LlmError::NoVision`], a prompt over 2000 characters
/// [`LlmError::PromptTooLong`]. With a gate it waits for the gate before
/// answering; `slow` streams a piece every 20 ms until cancelled.
#[derive(Default)]
pub struct Double {
    pub gate: Option<Arc<Gate>>,
    pub slow: bool,
    pub schema_replies: Mutex<VecDeque<String>>,
    /// Completions started.
    pub started: AtomicUsize,
    /// Set when a completion saw its Cancel tripped.
    pub cancelled: Arc<AtomicBool>,
    /// Every request received.
    pub seen: Mutex<Vec<Request>>,
}

impl Double {
    pub fn new() -> Double {
        Double::default()
    }
}

/// A gate a test opens to let a blocked completion finish.
#[derive(Default)]
pub struct Gate {
    open: Mutex<bool>,
    changed: Condvar,
}

impl Gate {
    pub fn open(&self) {
        *self.open.lock().unwrap() = true;
        self.changed.notify_all();
    }

    fn wait(&self) {
        let mut open = self.open.lock().unwrap();
        while !*open {
            open = self.changed.wait(open).unwrap();
        }
    }
}

impl ChatModel for Double {
    fn id(&self) -> &str {
        "test-double"
    }

    fn complete(
        &self,
        request: &Request,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, LlmError> {
        self.started.fetch_add(1, Ordering::SeqCst);
        self.seen.lock().unwrap().push(request.clone());
        if request.messages.iter().any(|m| m.has_image()) {
            return Err(LlmError::NoVision {
                backend: "test-double",
            });
        }
        let prompt: usize = request.messages.iter().map(|m| m.joined_text().len()).sum();
        if prompt > 2000 {
            return Err(LlmError::PromptTooLong {
                tokens: prompt,
                window: 2000,
            });
        }
        if let Some(gate) = &self.gate {
            gate.wait();
        }
        let usage = |n: usize| Usage {
            prompt_tokens: prompt as u32,
            completion_tokens: n as u32,
        };
        let done = |text: String, finish, n| Completion {
            text,
            finish,
            usage: usage(n),
            timings: Timings::default(),
        };
        if self.slow {
            let mut text = String::new();
            let deadline = Instant::now() + Duration::from_secs(20);
            let mut n = 0;
            while Instant::now() < deadline {
                if cancel.is_cancelled() {
                    self.cancelled.store(true, Ordering::SeqCst);
                    return Ok(done(text, FinishReason::Cancelled, n));
                }
                let piece = format!("tick{n} ");
                on_text(&piece);
                text.push_str(&piece);
                n += 1;
                std::thread::sleep(Duration::from_millis(20));
            }
            return Ok(done(text, FinishReason::Stop, n));
        }
        if request.schema.is_some() {
            let reply = self
                .schema_replies
                .lock()
                .unwrap()
                .pop_front()
                .unwrap_or_else(|| r#"{"lang":"bash","command":"ls"}"#.to_owned());
            on_text(&reply);
            return Ok(done(reply, FinishReason::Stop, 1));
        }
        let last = request
            .messages
            .last()
            .map(|m| m.joined_text())
            .unwrap_or_default();
        let mut pieces = vec!["echo:".to_owned()];
        pieces.extend(last.split_whitespace().map(|w| format!(" {w}")));
        let mut text = String::new();
        let mut finish = FinishReason::Stop;
        let mut n = 0;
        for piece in pieces {
            if n == request.max_tokens as usize {
                finish = FinishReason::Length;
                break;
            }
            if cancel.is_cancelled() {
                self.cancelled.store(true, Ordering::SeqCst);
                finish = FinishReason::Cancelled;
                break;
            }
            on_text(&piece);
            text.push_str(&piece);
            n += 1;
        }
        Ok(done(text, finish, n))
    }
}

/// One request a [`Stub`] received.
#[derive(Debug, Clone)]
pub struct StubRequest {
    /// The request line and headers, as sent.
    pub head: String,
    pub body: Vec<u8>,
    pub at: Instant,
}

impl StubRequest {
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

/// A loopback HTTP/1.1 server written for one test: `answer(i, request,
/// socket)` writes the raw reply to the i-th request (0-based); every
/// connection is closed after one request.
pub struct Stub {
    pub addr: SocketAddr,
    pub requests: Arc<Mutex<Vec<StubRequest>>>,
}

impl Stub {
    pub fn start(answer: impl Fn(usize, &StubRequest, &mut TcpStream) + Send + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for (i, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { return };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                seen.lock().unwrap().push(request.clone());
                answer(i, &request, &mut stream);
                let _ = stream.flush();
            }
        });
        Stub { addr, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

fn read_request(stream: &mut TcpStream) -> Option<StubRequest> {
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let at = Instant::now();
    let mut request = StubRequest {
        head,
        body: Vec::new(),
        at,
    };
    let length: usize = request
        .header("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    request.body = vec![0; length];
    reader.read_exact(&mut request.body).ok()?;
    Some(request)
}

/// A complete HTTP/1.1 reply with a JSON body.
pub fn http_json(status: &str, extra_headers: &str, body: &serde_json::Value) -> String {
    let body = body.to_string();
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra_headers}\r\n{body}",
        body.len()
    )
}

/// A `chat.completion` body saying `text`.
pub fn completion_body(text: &str) -> serde_json::Value {
    serde_json::json!({
        "id": "chatcmpl-stub", "object": "chat.completion", "created": 0, "model": "stub",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7},
    })
}

/// Writes `text` and flushes, ignoring a client that went away.
pub fn write_raw(stream: &mut TcpStream, text: &str) {
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.flush();
}

/// The real sentence encoder: `$AUTONOMIC_EMBED_TEST_MODEL`, else
/// `<workspace>/target/models/all-MiniLM-L6-v2` (where `.ci/run` unpacks it
/// with `autonomic brain fetch-model`). Fails, never skips, when absent.
pub fn embedding_model_dir() -> PathBuf {
    #[expect(clippy::disallowed_methods, reason = "test configuration")]
    let from_env = std::env::var_os("AUTONOMIC_EMBED_TEST_MODEL").map(PathBuf::from);
    let path = from_env.unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../target/models")
            .join(autonomic_llm::embed::EMBEDDING_DIR)
    });
    assert!(
        path.join("model.safetensors").is_file(),
        "the embedding model {} is missing: run `cargo run -p autonomic-cli --bin autonomic -- brain fetch-model --dest target/models` (or .ci/run), or set AUTONOMIC_EMBED_TEST_MODEL",
        path.display()
    );
    path
}
