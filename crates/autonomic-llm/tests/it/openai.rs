//! The OpenAI-compatible client: against our own server (with
//! [`served_model`]), and against loopback stubs that fail in the ways
//! endpoints fail (429, 503, stalls, broken streams).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use autonomic_llm::openai::{ClientError, ClientOptions, OpenAiClient, Secret, Wait};
use autonomic_llm::serve::{ServeOptions, Server};
use autonomic_llm::{vision, Cancel, ChatModel, FinishReason, LlmError, Message, Request, Role};
use serde_json::json;

use crate::common::{completion_body, http_json, served_model, write_raw, Double, Stub};

fn serve(model: Arc<dyn ChatModel>) -> Server {
    Server::start(
        model,
        ServeOptions {
            port: 0,
            ..ServeOptions::default()
        },
    )
    .unwrap()
}

fn client_for(server: &Server, model: &str, stream: bool) -> OpenAiClient {
    let mut options = ClientOptions::new(server.base_url(), model);
    options.stream = stream;
    OpenAiClient::new(options).unwrap()
}

fn ask(text: &str) -> Request {
    Request::new(vec![
        Message::text(Role::System, "You are terse."),
        Message::text(Role::User, text),
    ])
}

fn client_error(error: LlmError) -> ClientError {
    match error {
        LlmError::Client(error) => error,
        other => panic!("not a client error: {other:?}"),
    }
}

#[test]
fn client_and_server_agree_streamed_or_not() {
    let model = served_model();
    let server = serve(Arc::clone(&model));
    let request = ask("name three colours");

    let whole = client_for(&server, model.id(), false);
    let mut seen = Vec::new();
    let a = whole
        .complete(&request, &mut |p| seen.push(p.to_owned()), &Cancel::new())
        .unwrap();
    assert_eq!(
        seen,
        std::slice::from_ref(&a.text),
        "a whole reply comes as one piece"
    );
    assert!(!a.text.is_empty());
    assert!(matches!(
        a.finish,
        FinishReason::Stop | FinishReason::Length
    ));
    assert!(
        a.usage.prompt_tokens > 0 && a.usage.completion_tokens > 0,
        "{:?}",
        a.usage
    );

    let streamed = client_for(&server, model.id(), true);
    let mut pieces = Vec::new();
    let b = streamed
        .complete(&request, &mut |p| pieces.push(p.to_owned()), &Cancel::new())
        .unwrap();
    assert!(pieces.len() > 1, "streamed in pieces: {pieces:?}");
    assert_eq!(
        pieces.concat(),
        b.text,
        "the pieces, in order, are the text"
    );
    assert_eq!(b.text, a.text, "greedy: the same reply streamed or not");
    assert_eq!(b.finish, a.finish);
    assert_eq!(b.usage, a.usage, "usage comes with the stream too");
    assert!(b.timings.first_token_secs > 0.0);

    // max_tokens is carried, and a cut reply says `length`.
    let mut short = request.clone();
    short.max_tokens = 1;
    let c = streamed
        .complete(&short, &mut |_| {}, &Cancel::new())
        .unwrap();
    assert_eq!(c.finish, FinishReason::Length);
    assert_eq!(c.usage.completion_tokens, 1);

    assert_eq!(streamed.models().unwrap(), [model.id().to_owned()]);
}

#[test]
fn schema_replies_are_validated_and_re_asked() {
    let schema = json!({
        "type": "object",
        "properties": {"lang": {"enum": ["bash", "python"]}, "command": {"type": "string"}},
        "required": ["lang", "command"],
        "additionalProperties": false
    });
    // Any model: the reply satisfies the schema.
    let model = served_model();
    let server = serve(Arc::clone(&model));
    let mut request = ask("list the files");
    request.schema = Some(schema.clone());
    let reply = client_for(&server, model.id(), true)
        .complete(&request, &mut |_| {}, &Cancel::new())
        .unwrap();
    autonomic_llm::constrain::validate(&schema, &reply.text).unwrap();

    // A model that breaks the schema twice, then complies: asked three
    // times, the violation appended each time; what on_text saw is the
    // valid text only.
    let double = Arc::new(Double::new());
    double.schema_replies.lock().unwrap().extend([
        r#"{"lang":"ruby","command":"ls"}"#.to_owned(),
        "not json".to_owned(),
        r#"{"lang":"python","command":"print(1)"}"#.to_owned(),
    ]);
    let server = serve(double.clone());
    let client = client_for(&server, "test-double", true);
    let mut shown = String::new();
    let reply = client
        .complete(&request, &mut |p| shown.push_str(p), &Cancel::new())
        .unwrap();
    assert_eq!(reply.text, r#"{"lang":"python","command":"print(1)"}"#);
    assert_eq!(shown, reply.text);
    let seen = double.seen.lock().unwrap();
    assert_eq!(seen.len(), 3);
    assert_eq!(
        seen[0].schema,
        Some(schema.clone()),
        "the schema went as response_format"
    );
    let last = seen[2].messages.last().unwrap().joined_text();
    assert!(last.contains("not JSON"), "{last}");
    assert_eq!(
        reply.usage.completion_tokens, 3,
        "usage summed over the attempts"
    );
    drop(seen);

    // Never valid: a clear error after 1 + schema_retries attempts.
    double.schema_replies.lock().unwrap().extend([
        "{}".to_owned(),
        "{}".to_owned(),
        "{}".to_owned(),
    ]);
    let err = client_error(
        client
            .complete(&request, &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(err, ClientError::Schema { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
}

#[test]
fn cancelling_mid_stream_stops_the_reply() {
    let double = Arc::new(Double {
        slow: true,
        ..Double::new()
    });
    let server = serve(double.clone());
    let client = client_for(&server, "test-double", true);
    let cancel = Cancel::new();
    let mut pieces = 0;
    let started = Instant::now();
    let reply = client
        .complete(
            &ask("go"),
            &mut |_| {
                pieces += 1;
                if pieces == 3 {
                    cancel.cancel();
                }
            },
            &cancel,
        )
        .unwrap();
    assert_eq!(reply.finish, FinishReason::Cancelled);
    assert_eq!(pieces, 3);
    assert!(started.elapsed() < Duration::from_secs(5));
    // The dropped connection cancels the generation on the server too.
    let deadline = Instant::now() + Duration::from_secs(5);
    while !double.cancelled.load(Ordering::SeqCst) {
        assert!(Instant::now() < deadline, "the server kept generating");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn quick_options(base_url: String) -> ClientOptions {
    let mut options = ClientOptions::new(base_url, "stub");
    options.initial_backoff = Duration::from_millis(20);
    options.stream = false;
    options
}

#[test]
fn a_429_with_retry_after_is_waited_for_then_retried() {
    let stub = Stub::start(|i, _, socket| {
        let reply = if i == 0 {
            http_json(
                "429 Too Many Requests",
                "Retry-After: 1\r\n",
                &json!({"error": {"message": "busy"}}),
            )
        } else {
            http_json("200 OK", "", &completion_body("fine"))
        };
        write_raw(socket, &reply);
    });
    let client = OpenAiClient::new(quick_options(stub.base_url())).unwrap();
    let reply = client
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
        .unwrap();
    assert_eq!(reply.text, "fine");
    let requests = stub.requests.lock().unwrap();
    assert_eq!(requests.len(), 2);
    let waited = requests[1].at - requests[0].at;
    assert!(waited >= Duration::from_secs(1), "waited only {waited:?}");
    assert!(waited < Duration::from_secs(3), "waited {waited:?}");
}

#[test]
fn a_503_twice_then_200_takes_three_requests() {
    let stub = Stub::start(|i, _, socket| {
        let reply = if i < 2 {
            http_json(
                "503 Service Unavailable",
                "",
                &json!({"error": {"message": "loading"}}),
            )
        } else {
            http_json("200 OK", "", &completion_body("up"))
        };
        write_raw(socket, &reply);
    });
    let client = OpenAiClient::new(quick_options(stub.base_url())).unwrap();
    let reply = client
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
        .unwrap();
    assert_eq!(reply.text, "up");
    assert_eq!(stub.count(), 3);

    // With fewer retries allowed, the last status is the error.
    let stub = Stub::start(|_, _, socket| {
        write_raw(
            socket,
            &http_json(
                "503 Service Unavailable",
                "",
                &json!({"error": {"message": "loading"}}),
            ),
        );
    });
    let mut options = quick_options(stub.base_url());
    options.max_retries = 1;
    let err = client_error(
        OpenAiClient::new(options)
            .unwrap()
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(
            err,
            ClientError::Status {
                status: 503,
                attempts: 2,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("loading"), "{err}");
    assert_eq!(stub.count(), 2);

    // A 400 is not retried.
    let stub = Stub::start(|_, _, socket| {
        write_raw(
            socket,
            &http_json("400 Bad Request", "", &json!({"error": {"message": "bad"}})),
        );
    });
    let err = OpenAiClient::new(quick_options(stub.base_url()))
        .unwrap()
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new());
    assert!(err.is_err());
    assert_eq!(stub.count(), 1);
}

#[test]
fn a_connection_refused_is_retried_then_reported() {
    // A port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut options = quick_options(format!("http://127.0.0.1:{port}/v1"));
    options.max_retries = 2;
    let started = Instant::now();
    let err = client_error(
        OpenAiClient::new(options)
            .unwrap()
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(err, ClientError::Connect { attempts: 3, .. }),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn a_stall_before_the_first_token_times_out() {
    // Headers, then nothing.
    let stub = Stub::start(|_, _, socket| {
        write_raw(socket, "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n: hello\n\n");
        std::thread::sleep(Duration::from_secs(8));
    });
    let mut options = quick_options(stub.base_url());
    options.stream = true;
    options.first_token_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let err = client_error(
        OpenAiClient::new(options.clone())
            .unwrap()
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                wait: Wait::FirstToken,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(stub.count(), 1, "a timeout is not retried");

    // Keep-alive comments but no token: still the first-token timeout.
    let stub = Stub::start(|_, _, socket| {
        write_raw(
            socket,
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n",
        );
        for _ in 0..25 {
            write_raw(socket, ": ping\n\n");
            std::thread::sleep(Duration::from_millis(200));
        }
    });
    options.base_url = stub.base_url();
    let started = Instant::now();
    let err = client_error(
        OpenAiClient::new(options.clone())
            .unwrap()
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                wait: Wait::FirstToken,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // No headers at all.
    let stub = Stub::start(|_, _, _| std::thread::sleep(Duration::from_secs(8)));
    options.base_url = stub.base_url();
    let started = Instant::now();
    let err = client_error(
        OpenAiClient::new(options)
            .unwrap()
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                wait: Wait::FirstToken,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_whole_reply_waits_for_the_request_timeout_not_the_first_token_one() {
    // Headers after 1.5 s: past the first-token timeout, within the request one.
    let stub = Stub::start(|i, _, socket| {
        if i == 0 {
            std::thread::sleep(Duration::from_millis(1500));
            write_raw(
                socket,
                &http_json("200 OK", "", &completion_body("slow but whole")),
            );
        } else {
            std::thread::sleep(Duration::from_secs(8));
        }
    });
    let mut options = quick_options(stub.base_url());
    options.first_token_timeout = Duration::from_secs(1);
    options.request_timeout = Duration::from_secs(3);
    let client = OpenAiClient::new(options).unwrap();
    let reply = client
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
        .unwrap();
    assert_eq!(reply.text, "slow but whole");
    // A server that never answers: the request timeout, in bounded time.
    let started = Instant::now();
    let err = client_error(
        client
            .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
            .unwrap_err(),
    );
    assert!(
        matches!(
            err,
            ClientError::Timeout {
                wait: Wait::Total,
                secs: 3,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_stream_that_breaks_is_an_error_and_not_retried() {
    let stub = Stub::start(|_, _, socket| {
        let chunk =
            json!({"choices": [{"index": 0, "delta": {"content": "Hel"}, "finish_reason": null}]});
        write_raw(
            socket,
            &format!("HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\ndata: {chunk}\n\n"),
        );
        // The connection closes here, without [DONE].
    });
    let mut options = quick_options(stub.base_url());
    options.stream = true;
    let mut seen = String::new();
    let err = client_error(
        OpenAiClient::new(options)
            .unwrap()
            .complete(&ask("hi"), &mut |p| seen.push_str(p), &Cancel::new())
            .unwrap_err(),
    );
    assert!(matches!(err, ClientError::Stream { .. }), "{err:?}");
    assert!(err.to_string().contains("not retried"), "{err}");
    assert_eq!(seen, "Hel");
    assert_eq!(stub.count(), 1);
}

#[test]
fn a_vision_request_is_what_the_openai_api_specifies() {
    let stub = Stub::start(|_, _, socket| {
        write_raw(
            socket,
            &http_json("200 OK", "", &completion_body("a red square")),
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("square.png");
    let bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR-rest-of-file".to_vec();
    fs_err::write(&png, &bytes).unwrap();
    let mut options = quick_options(stub.base_url());
    options.model = "llava".into();
    let client = OpenAiClient::new(options).unwrap();
    let reply = vision::vision(
        &client,
        &png,
        "What is in this picture?",
        64,
        &Cancel::new(),
    )
    .unwrap();
    assert_eq!(reply.text, "a red square");

    let requests = stub.requests.lock().unwrap();
    let request = &requests[0];
    assert!(
        request
            .head
            .starts_with("POST /v1/chat/completions HTTP/1.1"),
        "{}",
        request.head
    );
    assert_eq!(
        request.header("content-type").as_deref(),
        Some("application/json")
    );
    let body = request.json();
    assert_eq!(body["model"], "llava");
    assert_eq!(body["max_tokens"], 64);
    assert_eq!(body["stream"], false);
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0]["role"], "user");
    let content = messages[0]["content"].as_array().unwrap();
    assert_eq!(content.len(), 2);
    assert_eq!(
        content[0],
        json!({"type": "text", "text": "What is in this picture?"})
    );
    assert_eq!(content[1]["type"], "image_url");
    let url = content[1]["image_url"]["url"].as_str().unwrap();
    let data = url.strip_prefix("data:image/png;base64,").expect(url);
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap(),
        bytes
    );
    assert_eq!(content[1]["image_url"].as_object().unwrap().len(), 1);
    drop(requests);

    // Not an image: refused before anything is sent.
    let txt = dir.path().join("notes.txt");
    fs_err::write(&txt, "hello").unwrap();
    let err = vision::vision(&client, &txt, "?", 8, &Cancel::new()).unwrap_err();
    assert!(matches!(err, LlmError::Image(_)), "{err:?}");
    assert_eq!(stub.count(), 1);

    // Our server's model has no vision: a 400 saying so.
    let server = serve(Arc::new(Double::new()));
    let err = client_error(
        vision::vision(
            &client_for(&server, "test-double", true),
            &png,
            "?",
            8,
            &Cancel::new(),
        )
        .unwrap_err(),
    );
    assert!(
        matches!(err, ClientError::Status { status: 400, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("no vision model"), "{err}");
}

#[test]
fn the_api_key_is_sent_as_a_bearer_token_and_never_printed() {
    let stub = Stub::start(|_, _, socket| {
        write_raw(socket, &http_json("200 OK", "", &completion_body("ok")))
    });
    let mut options = quick_options(stub.base_url());
    options.api_key = Some(Secret::new("sk-test-4f1d9a"));
    let client = OpenAiClient::new(options).unwrap();
    client
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
        .unwrap();
    let requests = stub.requests.lock().unwrap();
    assert_eq!(
        requests[0].header("authorization").as_deref(),
        Some("Bearer sk-test-4f1d9a")
    );
    let printed = format!("{client:?}");
    assert!(!printed.contains("sk-test"), "{printed}");
    assert!(printed.contains("***"), "{printed}");

    // No key, no header.
    let stub = Stub::start(|_, _, socket| {
        write_raw(socket, &http_json("200 OK", "", &completion_body("ok")))
    });
    OpenAiClient::new(quick_options(stub.base_url()))
        .unwrap()
        .complete(&ask("hi"), &mut |_| {}, &Cancel::new())
        .unwrap();
    assert_eq!(
        stub.requests.lock().unwrap()[0].header("authorization"),
        None
    );
}

#[test]
fn a_remote_base_url_is_refused_without_allow_remote() {
    for url in [
        "https://api.openai.com/v1",
        "http://10.1.2.3:8080/v1",
        "http://127.0.0.1.example.com/v1",
    ] {
        let err = OpenAiClient::new(ClientOptions::new(url, "m")).unwrap_err();
        assert!(matches!(err, ClientError::Remote { .. }), "{url}: {err:?}");
        let hint = autonomic_core::Hint::hint(&err).unwrap();
        assert!(hint.contains("allow_remote"), "{hint}");
    }
    // The refusal comes before any connection: a listener that would see
    // one stays untouched (its address is given by name, which is remote).
    let stub = Stub::start(|_, _, _| {});
    let by_name = format!("http://stub.invalid:{}/v1", stub.addr.port());
    assert!(OpenAiClient::new(ClientOptions::new(by_name, "m")).is_err());
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(stub.count(), 0);
    // allow_remote lets it be built.
    let mut options = ClientOptions::new("https://api.openai.com/v1", "m");
    options.allow_remote = true;
    assert!(OpenAiClient::new(options).is_ok());
}
