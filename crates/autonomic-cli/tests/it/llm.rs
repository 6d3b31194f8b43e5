//! `autonomic llm`: chat, schema replies, serve and the errors a user meets,
//! on the real model `.ci/run` fetches into `target/models`.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::PathBuf;

use crate::{run, TestHome};

/// The real model (fails, never skips, when it is missing).
fn model() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/models/SmolLM2-135M-Instruct.Q4_1.gguf");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo run -p autonomic-cli --bin autonomic -- llm fetch --dest target/models` (or .ci/run)",
        path.display()
    );
    path
}

fn home_with_model() -> TestHome {
    let home = TestHome::new();
    home.write_config(&format!("[llm]\nmodel_path = \"{}\"\n", model().display()));
    home
}

#[test]
fn chat_answers_with_the_embedded_model() {
    let home = home_with_model();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["llm", "chat", "--max-tokens", "24"])
            .arg("Which city is the capital of France?"),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("Paris"), "{stdout}");
}

#[test]
fn chat_reads_the_prompt_from_stdin_and_prints_json() {
    let home = home_with_model();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["llm", "chat", "--json", "--max-tokens", "5", "-"])
            .write_stdin("Say hello."),
    );
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["finish"], "length");
    assert_eq!(json["usage"]["completion_tokens"], 5);
    assert!(json["usage"]["prompt_tokens"].as_u64().unwrap() > 3);
}

#[test]
fn a_schema_reply_is_a_valid_document() {
    let home = home_with_model();
    let schema = home.home().join("schema.json");
    fs_err::write(
        &schema,
        r#"{"type":"object","properties":{"lang":{"enum":["bash","python"]},"command":{"type":"string","maxLength":120}},"required":["lang","command"],"additionalProperties":false}"#,
    )
    .unwrap();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["llm", "chat", "--json", "--max-tokens", "80", "--schema"])
            .arg(&schema)
            .arg("Give the command that lists the files in the current directory."),
    );
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let reply = &json["json"];
    assert!(
        ["bash", "python"].contains(&reply["lang"].as_str().unwrap()),
        "{stdout}"
    );
    assert!(reply["command"].is_string(), "{stdout}");
    assert_eq!(json["finish"], "stop", "{stdout}");
}

#[test]
fn a_schema_file_that_is_not_json_is_named() {
    let home = home_with_model();
    let schema = home.home().join("bad.json");
    fs_err::write(&schema, "{ not json").unwrap();
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["llm", "chat", "--schema"])
            .arg(&schema)
            .arg("hi"),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("[HOME]/bad.json is not JSON"), "{stderr}");
}

#[test]
fn a_missing_model_names_the_command_that_fetches_it() {
    let home = TestHome::new();
    let (code, _, stderr) = run(&home, home.cmd().args(["llm", "chat", "hi"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("does not exist"), "{stderr}");
    assert!(stderr.contains("hint: `autonomic llm fetch`"), "{stderr}");
}

#[test]
fn a_remote_endpoint_is_refused_without_allow_remote() {
    let home = TestHome::new();
    home.write_config("[llm]\nbackend = \"openai\"\nbase_url = \"https://llm.example.com/v1\"\n");
    let (code, _, stderr) = run(&home, home.cmd().args(["llm", "chat", "hi"]));
    assert_eq!(code, 2);
    assert!(stderr.contains("is not this machine"), "{stderr}");
    assert!(stderr.contains("allow_remote"), "{stderr}");
    let (_, stdout, _) = run(&home, home.cmd().args(["config", "show"]));
    assert!(
        stdout.contains("# llm: OpenAI-compatible endpoint https://llm.example.com/v1"),
        "{stdout}"
    );
    assert!(stdout.contains("refused"), "{stdout}");
}

#[test]
fn an_image_for_the_embedded_model_is_refused_clearly() {
    let home = home_with_model();
    let image = home.home().join("shot.png");
    // A PNG signature and an IHDR chunk header are enough to be sniffed as PNG.
    fs_err::write(
        &image,
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0",
    )
    .unwrap();
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["llm", "chat", "--image"])
            .arg(&image)
            .arg("What is on it?"),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("no vision model"), "{stderr}");
}

#[test]
fn serve_answers_on_loopback_and_stops_on_sigterm() {
    let home = home_with_model();
    #[expect(
        clippy::disallowed_methods,
        reason = "the test reads the server's address from its stdout while it runs"
    )]
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
        .env("AUTONOMIC_HOME", home.home())
        .args(["llm", "serve", "--port", "0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_owned();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/v1")
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    stream.read_to_string(&mut reply).unwrap();
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert!(reply.contains("\"ok\""), "{reply}");
    // SAFETY: kill(2) on the pid of a child we spawned and have not reaped.
    let rc = unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    assert_eq!(rc, 0);
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
