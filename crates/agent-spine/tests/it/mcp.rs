//! The MCP server's JSON-RPC edges, message by message: what a client that
//! errs, or an attacker on the pipe, sends.

use agent_spine::mcp::{Server, ServerOptions};
use autonomic_core::config::LoadedConfig;
use serde_json::{json, Value};

use crate::Home;

fn server(home: &Home, root: &std::path::Path) -> Server {
    let config = LoadedConfig::defaults(&home.paths).config;
    let options = ServerOptions {
        root: root.canonicalize().unwrap(),
        project: None,
        allow_review: false,
        sandbox: Default::default(),
    };
    Server::new(home.paths.clone(), config, options).unwrap()
}

fn ask(server: &mut Server, message: &str) -> Option<Value> {
    server.handle(message.as_bytes()).map(|line| {
        assert!(!line.contains('\n'), "an answer must be one line: {line}");
        serde_json::from_str(&line).unwrap()
    })
}

fn error_code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error: {answer}"))
}

#[test]
fn malformed_messages_get_json_rpc_errors_and_notifications_none() {
    let home = Home::new();
    let ws = tempfile::tempdir().unwrap();
    let mut s = server(&home, ws.path());
    assert_eq!(error_code(&ask(&mut s, "{not json").unwrap()), -32700);
    assert_eq!(
        error_code(
            &ask(
                &mut s,
                "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"
            )
            .unwrap()
        ),
        -32600
    );
    assert_eq!(error_code(&ask(&mut s, "42").unwrap()), -32600);
    assert_eq!(
        error_code(&ask(&mut s, r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#).unwrap()),
        -32600
    );
    assert_eq!(
        error_code(
            &ask(
                &mut s,
                r#"{"jsonrpc":"2.0","id":1,"method":"resources/list"}"#
            )
            .unwrap()
        ),
        -32601
    );
    assert_eq!(
        error_code(
            &ask(
                &mut s,
                r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#
            )
            .unwrap()
        ),
        -32602
    );
    assert_eq!(
        error_code(
            &ask(
                &mut s,
                r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"sudo"}}"#
            )
            .unwrap()
        ),
        -32602
    );
    assert!(ask(
        &mut s,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
    )
    .is_none());
    assert!(ask(&mut s, r#"{"jsonrpc":"2.0","method":"tools/call","params":{"name":"run_command","arguments":{"command":"touch x"}}}"#).is_none());
    assert!(
        !ws.path().join("x").exists(),
        "a notification must not run anything"
    );
    assert!(ask(&mut s, "").is_none());
    // The id is echoed whatever its JSON type.
    let a = ask(&mut s, r#"{"jsonrpc":"2.0","id":"abc","method":"ping"}"#).unwrap();
    assert_eq!(a["id"], "abc");
}

#[test]
fn version_negotiation_in_both_eras() {
    let home = Home::new();
    let ws = tempfile::tempdir().unwrap();
    let mut s = server(&home, ws.path());
    let init = |v: &str| {
        format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{{"protocolVersion":"{v}","capabilities":{{}},"clientInfo":{{"name":"t","version":"1"}}}}}}"#
        )
    };
    for v in ["2024-11-05", "2025-06-18", "2025-11-25"] {
        let a = ask(&mut s, &init(v)).unwrap();
        assert_eq!(a["result"]["protocolVersion"], v);
        assert!(
            a["result"].get("resultType").is_none(),
            "handshake results carry no resultType"
        );
    }
    let a = ask(&mut s, &init("1999-01-01")).unwrap();
    assert_eq!(a["result"]["protocolVersion"], "2025-11-25");

    let meta = |v: &str| json!({"io.modelcontextprotocol/protocolVersion": v, "io.modelcontextprotocol/clientCapabilities": {}});
    let discover = json!({"jsonrpc": "2.0", "id": 2, "method": "server/discover", "params": {"_meta": meta("2026-07-28")}});
    let a = ask(&mut s, &discover.to_string()).unwrap();
    assert_eq!(a["result"]["supportedVersions"], json!(["2026-07-28"]));
    assert_eq!(a["result"]["resultType"], "complete");
    assert!(a["result"]["ttlMs"].is_u64() && a["result"]["cacheScope"].is_string());
    let list = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/list", "params": {"_meta": meta("2026-07-28")}});
    let a = ask(&mut s, &list.to_string()).unwrap();
    assert_eq!(a["result"]["resultType"], "complete");
    assert_eq!(a["result"]["tools"].as_array().unwrap().len(), 4);
    let bad = json!({"jsonrpc": "2.0", "id": 4, "method": "tools/list", "params": {"_meta": meta("2031-01-01")}});
    let a = ask(&mut s, &bad.to_string()).unwrap();
    assert_eq!(error_code(&a), -32022);
    assert_eq!(a["error"]["data"]["supported"], json!(["2026-07-28"]));
    assert_eq!(a["error"]["data"]["requested"], "2031-01-01");
}

#[test]
fn run_command_stays_inside_the_root() {
    let home = Home::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::create_dir(ws.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("/etc", ws.path().join("escape")).unwrap();
    let mut s = server(&home, ws.path());
    let call = |cwd: &str| {
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
            "params": {"name": "run_command", "arguments": {"command": "pwd", "cwd": cwd}}})
        .to_string()
    };
    for outside in ["/etc", "..", "sub/../..", "escape", "/"] {
        let a = ask(&mut s, &call(outside)).unwrap();
        assert_eq!(a["result"]["isError"], true, "{outside}: {a}");
        assert!(
            a["result"]["content"][0]["text"]
                .as_str()
                .unwrap()
                .contains("outside the server's root"),
            "{outside}: {a}"
        );
    }
    let bad_timeout = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "run_command", "arguments": {"command": "pwd", "timeout_seconds": 0}}});
    let a = ask(&mut s, &bad_timeout.to_string()).unwrap();
    assert_eq!(a["result"]["isError"], true);
    let not_object = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "validate", "arguments": "ls"}});
    assert_eq!(
        ask(&mut s, &not_object.to_string()).unwrap()["result"]["isError"],
        true
    );
}

#[test]
fn serve_answers_line_by_line_and_survives_an_oversized_message() {
    let home = Home::new();
    let ws = tempfile::tempdir().unwrap();
    let mut s = server(&home, ws.path());
    let mut input = Vec::new();
    input.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    input.extend(std::iter::repeat_n(
        b'x',
        agent_spine::mcp::MAX_MESSAGE_BYTES + 10,
    ));
    input.extend_from_slice(b"\n{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\n");
    let mut out = Vec::new();
    s.serve(std::io::Cursor::new(input), &mut out).unwrap();
    let lines: Vec<Value> = String::from_utf8(out)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{lines:?}");
    assert_eq!(lines[0]["id"], 1);
    assert_eq!(error_code(&lines[1]), -32600);
    assert_eq!(lines[2]["id"], 2);
}

#[test]
fn a_client_cancellation_stops_the_running_command() {
    use std::io::Write as _;
    use std::time::{Duration, Instant};
    let home = Home::new();
    let ws = tempfile::tempdir().unwrap();
    let mut s = server(&home, ws.path());
    let (reader, mut writer) = std::os::unix::net::UnixStream::pair().unwrap();
    let client = std::thread::spawn(move || {
        let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
            "params": {"name": "run_command", "arguments": {"command": "sleep 300"}}});
        writeln!(writer, "{call}").unwrap();
        std::thread::sleep(Duration::from_secs(2));
        let cancel = json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
            "params": {"requestId": 7, "reason": "the user pressed stop"}});
        writeln!(writer, "{cancel}").unwrap();
        // Closing the stream ends `serve` once the answer is written.
    });
    let started = Instant::now();
    let mut out = Vec::new();
    s.serve(std::io::BufReader::new(reader), &mut out).unwrap();
    client.join().unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the command was not stopped"
    );
    let answer: Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(answer["id"], 7);
    let violation = answer["result"]["structuredContent"]["violation"]
        .as_str()
        .unwrap_or_default();
    assert!(violation.contains("cancel"), "{answer}");
}
