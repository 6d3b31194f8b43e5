//! `autonomic llm serve`'s HTTP behaviour, driven with raw requests: the
//! queue, the error bodies, the limits, and a client that walks away.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autonomic_llm::serve::{ServeOptions, Server};
use serde_json::{json, Value};

use crate::common::{Double, Gate};

fn serve(double: Arc<Double>, options: ServeOptions) -> Server {
    Server::start(double, ServeOptions { port: 0, ..options }).unwrap()
}

/// Sends one request; returns the status, the headers and the body as JSON.
fn send(
    server: &Server,
    method: &str,
    path: &str,
    body: &[u8],
) -> (u16, Vec<(String, String)>, Value) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .new_agent();
    let url = format!("http://{}{path}", server.local_addr());
    let response = match method {
        "GET" => agent.get(&url).call(),
        "DELETE" => agent.delete(&url).call(),
        _ => agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body),
    }
    .unwrap();
    let status = response.status().as_u16();
    let headers = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                v.to_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let text = response.into_body().read_to_string().unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, headers, body)
}

fn chat(content: &str) -> Vec<u8> {
    json!({"model": "test-double", "messages": [{"role": "user", "content": content}]})
        .to_string()
        .into_bytes()
}

fn assert_openai_error(body: &Value, param: Option<&str>) {
    let error = body["error"]
        .as_object()
        .unwrap_or_else(|| panic!("no error object: {body}"));
    assert!(
        error["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(error["type"].is_string(), "{body}");
    assert!(
        error.contains_key("param") && error.contains_key("code"),
        "{body}"
    );
    if let Some(param) = param {
        assert_eq!(error["param"], param, "{body}");
    }
}

#[test]
fn answers_the_openai_shapes() {
    let server = serve(Arc::new(Double::new()), ServeOptions::default());
    let (status, _, body) = send(
        &server,
        "POST",
        "/v1/chat/completions",
        &chat("hello there"),
    );
    assert_eq!(status, 200, "{body}");
    assert!(body["id"].as_str().unwrap().starts_with("chatcmpl-"));
    assert_eq!(body["object"], "chat.completion");
    assert!(body["created"].as_u64().unwrap() > 1_700_000_000);
    assert_eq!(body["model"], "test-double");
    assert_eq!(body["choices"][0]["index"], 0);
    assert_eq!(
        body["choices"][0]["message"],
        json!({"role": "assistant", "content": "echo: hello there"})
    );
    assert_eq!(body["choices"][0]["finish_reason"], "stop");
    assert_eq!(body["usage"]["completion_tokens"], 3);
    assert_eq!(
        body["usage"]["total_tokens"],
        body["usage"]["prompt_tokens"].as_u64().unwrap() + 3
    );

    let (status, _, body) = send(&server, "GET", "/v1/models", b"");
    assert_eq!(status, 200);
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][0]["id"], "test-double");
    assert_eq!(body["data"][0]["object"], "model");
    let (status, _, body) = send(&server, "GET", "/health", b"");
    assert_eq!((status, body), (200, json!({"status": "ok", "waiting": 0})));
}

#[test]
fn a_stream_has_the_role_chunk_content_chunks_a_finish_chunk_and_done() {
    let server = serve(Arc::new(Double::new()), ServeOptions::default());
    let mut socket = TcpStream::connect(server.local_addr()).unwrap();
    let body =
        json!({"model": "test-double", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "a b"}]})
        .to_string();
    write!(socket, "POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut reader = BufReader::new(socket);
    let mut text = String::new();
    std::io::Read::read_to_string(&mut reader, &mut text).unwrap();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    assert!(text.contains("Content-Type: text/event-stream"), "{text}");
    let events: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| serde_json::from_str(e).unwrap())
        .collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let content: String = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(content, "echo: a b");
    for chunk in &chunks {
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["id"], chunks[0]["id"]);
    }
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = &chunks[chunks.len() - 1];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(usage["usage"]["completion_tokens"], 3);
}

#[test]
fn a_full_queue_answers_429_with_retry_after() {
    let gate = Arc::new(Gate::default());
    let double = Arc::new(Double {
        gate: Some(gate.clone()),
        ..Double::new()
    });
    let server = Arc::new(serve(
        double.clone(),
        ServeOptions {
            queue: 1,
            retry_after_secs: 2,
            ..ServeOptions::default()
        },
    ));
    // The first request holds the model, the second waits in the queue.
    let running = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || send(&server, "POST", "/v1/chat/completions", &chat("first")))
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    while double.started.load(Ordering::SeqCst) == 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    let waiting = {
        let server = Arc::clone(&server);
        std::thread::spawn(move || send(&server, "POST", "/v1/chat/completions", &chat("second")))
    };
    while server.waiting() == 0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    // The third finds the queue full.
    let (status, headers, body) = send(&server, "POST", "/v1/chat/completions", &chat("third"));
    assert_eq!(status, 429, "{body}");
    assert!(
        headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("retry-after") && v == "2"),
        "{headers:?}"
    );
    assert_openai_error(&body, None);
    assert_eq!(body["error"]["type"], "rate_limit_error");
    gate.open();
    assert_eq!(running.join().unwrap().0, 200);
    assert_eq!(waiting.join().unwrap().0, 200);
}

#[test]
fn bad_requests_get_openai_error_bodies() {
    let server = serve(
        Arc::new(Double::new()),
        ServeOptions {
            max_body: 4096,
            ..ServeOptions::default()
        },
    );
    let (status, _, body) = send(&server, "POST", "/v1/chat/completions", b"{not json");
    assert_eq!(status, 400);
    assert_openai_error(&body, None);
    assert_eq!(body["error"]["type"], "invalid_request_error");

    let (status, _, body) = send(
        &server,
        "POST",
        "/v1/chat/completions",
        json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 400);
    assert_openai_error(&body, Some("model"));
    assert_eq!(body["error"]["code"], "model_not_found");

    let (status, _, body) = send(
        &server,
        "POST",
        "/v1/chat/completions",
        json!({"messages": [{"role": "user", "content": "x"}], "temperature": "hot"})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(status, 400);
    assert_openai_error(&body, Some("temperature"));

    // Over-long prompt: the model's own error, as a 400.
    let (status, _, body) = send(
        &server,
        "POST",
        "/v1/chat/completions",
        &chat(&"word ".repeat(500)),
    );
    assert_eq!(status, 400, "{body}");
    assert_openai_error(&body, Some("messages"));
    assert_eq!(body["error"]["code"], "context_length_exceeded");

    // An image to a model without vision.
    let image = json!({"messages": [{"role": "user", "content": [
        {"type": "text", "text": "what is it?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}}]}]});
    let (status, _, body) = send(
        &server,
        "POST",
        "/v1/chat/completions",
        image.to_string().as_bytes(),
    );
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no vision model"),
        "{body}"
    );

    let (status, _, body) = send(&server, "POST", "/v1/chat/completions", &vec![b' '; 5000]);
    assert_eq!(status, 413);
    assert_openai_error(&body, None);

    let (status, _, body) = send(&server, "GET", "/v1/nothing", b"");
    assert_eq!(status, 404);
    assert_openai_error(&body, None);

    let (status, headers, body) = send(&server, "GET", "/v1/chat/completions", b"");
    assert_eq!(status, 405);
    assert!(headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("allow") && v == "POST"));
    assert_openai_error(&body, None);
    let (status, _, _) = send(&server, "DELETE", "/health", b"");
    assert_eq!(status, 405);
}

#[test]
fn a_client_that_disconnects_mid_stream_cancels_its_generation() {
    let double = Arc::new(Double {
        slow: true,
        ..Double::new()
    });
    let server = serve(double.clone(), ServeOptions::default());
    let mut socket = TcpStream::connect(server.local_addr()).unwrap();
    let body = json!({"stream": true, "messages": [{"role": "user", "content": "go"}]}).to_string();
    write!(socket, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).unwrap();
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let mut line = String::new();
    while !line.contains("tick0") {
        line.clear();
        reader.read_line(&mut line).unwrap();
    }
    drop(reader);
    socket.shutdown(std::net::Shutdown::Both).unwrap();
    drop(socket);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !double.cancelled.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "the generation went on after the client left"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The server still answers.
    let (status, _, _) = send(&server, "GET", "/health", b"");
    assert_eq!(status, 200);
}
