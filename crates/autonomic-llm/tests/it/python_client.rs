//! The official Python `openai` package (pinned by
//! `scripts/llm-clients.sh`, which `.ci/run` runs) as a third-party client
//! of our server. A missing virtualenv fails the test.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use autonomic_llm::serve::{ServeOptions, Server};
use serde_json::Value;

use crate::common::served_model;

fn python() -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/llm-clients/bin/python");
    assert!(
        python.exists(),
        "no Python openai client at {}: run scripts/llm-clients.sh (.ci/run does)",
        python.display()
    );
    python
}

/// Runs tests/data/openai_client.py with `args`; returns its JSON line.
pub fn run_client(args: &[&str]) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/openai_client.py");
    #[expect(
        clippy::disallowed_methods,
        reason = "the test drives a third-party client program"
    )]
    let mut command = std::process::Command::new(python());
    let output = command
        .arg(script)
        .args(args)
        .env_remove("OPENAI_API_KEY")
        .env_remove("OPENAI_BASE_URL")
        .env("NO_PROXY", "127.0.0.1,localhost")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the Python client failed\n{stdout}\n{stderr}"
    );
    serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\n{stderr}"))
}

#[test]
fn the_python_openai_package_speaks_to_our_server() {
    let model = served_model();
    let id = model.id().to_owned();
    let server = Server::start(
        Arc::clone(&model),
        ServeOptions {
            port: 0,
            ..ServeOptions::default()
        },
    )
    .unwrap();
    let seen = run_client(&[&server.base_url()]);
    assert_eq!(seen["openai"], "3.63.0", "{seen}");
    assert_eq!(seen["models"], serde_json::json!([id]));

    let whole = &seen["whole"];
    assert!(
        whole["id"].as_str().unwrap().starts_with("chatcmpl-"),
        "{seen}"
    );
    assert_eq!(whole["object"], "chat.completion");
    assert_eq!(whole["role"], "assistant");
    assert!(
        matches!(whole["finish_reason"].as_str(), Some("stop" | "length")),
        "{seen}"
    );
    assert!(whole["completion_tokens"].as_u64().unwrap() > 0);
    let text = whole["text"].as_str().unwrap();
    assert!(!text.is_empty());

    let stream = &seen["stream"];
    let pieces: Vec<&str> = stream["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    assert!(pieces.len() > 1, "{seen}");
    assert_eq!(
        pieces.concat(),
        text,
        "greedy: the stream says what the whole reply said"
    );
    assert_eq!(stream["finish_reason"], whole["finish_reason"]);
    assert_eq!(stream["roles"], serde_json::json!(["assistant"]));
    assert_eq!(
        stream["usage"]["completion_tokens"],
        whole["completion_tokens"]
    );

    let schema = serde_json::json!({
        "type": "object",
        "properties": {"lang": {"enum": ["bash", "python"]}, "command": {"type": "string"}},
        "required": ["lang", "command"],
        "additionalProperties": false
    });
    autonomic_llm::constrain::validate(&schema, seen["schema"]["text"].as_str().unwrap()).unwrap();

    assert_eq!(seen["unknown_model"]["status"], 400, "{seen}");
    assert_eq!(seen["unknown_model"]["code"], "model_not_found");
    assert_eq!(seen["unknown_model"]["param"], "model");
}

/// The cost of a request through our server, with a model that answers at
/// once: `cargo test -p autonomic-llm --release --test it -- --ignored
/// --nocapture request_overhead`.
#[test]
#[ignore = "a measurement, not a check"]
fn request_overhead() {
    use autonomic_llm::openai::{ClientOptions, OpenAiClient};
    use autonomic_llm::{Cancel, ChatModel, Message, Request, Role};
    use std::time::Instant;

    let server = Server::start(
        Arc::new(crate::common::Double::new()),
        ServeOptions {
            port: 0,
            ..ServeOptions::default()
        },
    )
    .unwrap();
    let request = Request::new(vec![Message::text(Role::User, "hi")]);
    for stream in [false, true] {
        let mut options = ClientOptions::new(server.base_url(), "test-double");
        options.stream = stream;
        let client = OpenAiClient::new(options).unwrap();
        client
            .complete(&request, &mut |_| {}, &Cancel::new())
            .unwrap();
        let n = 500;
        let started = Instant::now();
        for _ in 0..n {
            client
                .complete(&request, &mut |_| {}, &Cancel::new())
                .unwrap();
        }
        let ms = started.elapsed().as_secs_f64() * 1000.0 / f64::from(n);
        println!("rust client, stream={stream}: {ms:.3} ms/request over {n}");
    }
    let seen = run_client(&[&server.base_url(), "test-double", "bench", "200"]);
    println!("python openai client: {seen}");
}
