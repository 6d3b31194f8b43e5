//! `autonomic mcp` driven by real third-party clients: the official Python
//! MCP SDK from PyPI, 1.30.0 (initialize handshake, 2025-11-25) and 2.3.0
//! (both its handshake mode and the stateless 2026-07-28 revision through
//! `server/discover`). `scripts/mcp-clients.sh` (run by `.ci/run`) installs
//! them under target/mcp; a missing client fails the test.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::immune::home_with_db;
use crate::{run, TestHome};

/// The python of one client virtualenv.
fn client_python(name: &str) -> PathBuf {
    let python = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/mcp")
        .join(name)
        .join("bin/python");
    assert!(
        python.exists(),
        "no MCP client at {}: run scripts/mcp-clients.sh (.ci/run does)",
        python.display()
    );
    python
}

/// Runs the client script in `mode` against `autonomic mcp --root ROOT
/// --project billing`; returns what it saw.
fn drive(home: &TestHome, python: &Path, mode: &str, root: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/mcp_client.py");
    let mut cmd = assert_cmd::Command::new(python);
    cmd.env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .arg(script)
        .arg(mode)
        .arg(env!("CARGO_BIN_EXE_autonomic"))
        .args(["mcp", "--project", "billing", "--root"])
        .arg(root);
    let (code, stdout, stderr) = run(home, &mut cmd);
    assert_eq!(code, 0, "{mode}: client failed\n{stdout}\n{stderr}");
    serde_json::from_str(stdout.trim().lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{mode}: not JSON ({e}): {stdout}\n{stderr}"))
}

/// A workspace with a vulnerable requirements file.
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::tempdir().unwrap();
    fs_err::copy(
        crate::testdata("lockfiles/pygoat.requirements.txt"),
        ws.path().join("requirements.txt"),
    )
    .unwrap();
    ws
}

fn check(seen: &Value, version: &str, ws: &Path) {
    let what = format!("{version}: {seen}");
    assert_eq!(seen["version"], version, "{what}");
    assert_eq!(seen["server"], "autonomic", "{what}");
    assert_eq!(
        seen["tools"],
        serde_json::json!(["recall", "run_command", "scan_dependencies", "validate"])
    );
    assert_eq!(
        seen["schemas"]["run_command"]["required"],
        serde_json::json!(["command"])
    );

    let deny = &seen["validate_deny"];
    assert_eq!(deny["structured"]["decision"], "deny", "{what}");
    assert!(deny["text"]
        .as_str()
        .unwrap()
        .contains("bash.download_exec"));
    assert_eq!(seen["validate_python"]["structured"]["decision"], "deny");

    let ok = &seen["run_allowed"];
    assert_eq!(ok["isError"], false, "{what}");
    assert_eq!(ok["structured"]["exit_code"], 0);
    assert_eq!(ok["structured"]["stdout"], "from-the-sandbox\n");
    assert!(ws.join("ran-ok").exists(), "{what}");

    let denied = &seen["run_denied"];
    assert_eq!(denied["isError"], true);
    assert_eq!(denied["structured"]["ran"], false);
    assert!(
        !ws.join("ran-denied").exists(),
        "a denied command ran: {what}"
    );

    let review = &seen["run_review"];
    assert_eq!(review["isError"], true);
    assert!(
        review["text"].as_str().unwrap().contains("review"),
        "{what}"
    );
    assert!(
        !ws.join("ran-review").exists(),
        "a review ran unapproved: {what}"
    );

    assert_eq!(seen["run_outside_root"]["isError"], true);
    assert!(seen["run_outside_root"]["text"]
        .as_str()
        .unwrap()
        .contains("outside the server's root"));
    assert_eq!(seen["run_bad_args"]["isError"], true);

    let scan = &seen["scan"];
    assert_eq!(scan["isError"], false, "{what}");
    assert!(
        scan["text"].as_str().unwrap().contains("CVE-2020-1747"),
        "{what}"
    );
    assert_eq!(scan["structured"]["report"]["decision"], "deny");

    let recall = &seen["recall"];
    assert_eq!(recall["isError"], false, "{what}");
    assert!(
        recall["text"].as_str().unwrap().contains("PostgreSQL"),
        "{what}"
    );
}

#[test]
fn real_clients_of_both_protocol_eras_list_and_call_every_tool() {
    let home = home_with_db();
    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "brain",
            "remember",
            "--project",
            "billing",
            "The billing service stores invoices in PostgreSQL 15 on db-2",
        ]),
    );
    assert_eq!(code, 0, "{stderr}");
    for (client, mode, version) in [
        ("v1", "handshake", "2025-11-25"),
        ("v2", "handshake", "2025-11-25"),
        ("v2", "modern", "2026-07-28"),
    ] {
        let ws = workspace();
        let root = ws.path().canonicalize().unwrap();
        let seen = drive(&home, &client_python(client), mode, &root);
        check(&seen, version, &root);
    }
    // Every client action is audited under the MCP actor.
    let log = fs_err::read_to_string(home.audit_log()).unwrap();
    let records: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let mcp: Vec<&Value> = records
        .iter()
        .filter(|r| r["actor"].as_str().unwrap().starts_with("mcp"))
        .collect();
    for kind in ["mouth.deny", "muscle.exec", "spine.refused", "immune.scan"] {
        assert!(
            mcp.iter().any(|r| r["kind"] == kind),
            "no {kind} by mcp: {log}"
        );
    }
}
