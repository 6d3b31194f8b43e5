use autonomic_core::audit::{AuditEvent, AuditLog};
use autonomic_core::Decision;

use crate::{run, TestHome};

fn write_log(home: &TestHome, records: usize) {
    let log = AuditLog::open(home.audit_log()).unwrap();
    for i in 0..records {
        log.append(AuditEvent {
            kind: "mouth.reject".to_owned(),
            actor: "cli".to_owned(),
            decision: Some(Decision::Deny),
            detail: serde_json::json!({ "command": format!("rm -rf /{i}") }),
        })
        .unwrap();
    }
}

#[test]
fn missing_log_is_ok() {
    let home = TestHome::new();
    let (code, stdout, _) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @"ok: no audit log at [HOME]/data/audit/audit.jsonl yet (0 records)");
}

#[test]
fn intact_log_is_ok() {
    let home = TestHome::new();
    write_log(&home, 3);
    let (code, stdout, _) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 0);
    insta::assert_snapshot!(stdout, @"ok: 3 records, hash chain intact ([HOME]/data/audit/audit.jsonl)");
}

#[test]
fn edited_line_is_reported_with_exit_1() {
    let home = TestHome::new();
    write_log(&home, 3);
    let text = fs_err::read_to_string(home.audit_log()).unwrap();
    fs_err::write(home.audit_log(), text.replace("rm -rf /1", "ls")).unwrap();

    let (code, stdout, _) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 1);
    let stdout = redact_hashes(&stdout);
    insta::assert_snapshot!(stdout, @r"
    TAMPERED: [HOME]/data/audit/audit.jsonl:2: hash mismatch: the record was modified after it was written (stored [HASH], computed [HASH])
    1 records verified before line 2 (expected seq 1 there)
    ");

    let (code, stdout, _) = run(&home, home.cmd().args(["audit", "verify", "--json"]));
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["first_bad"]["line"], 2);
}

#[test]
fn deleted_last_record_is_reported() {
    let home = TestHome::new();
    write_log(&home, 3);
    let text = fs_err::read_to_string(home.audit_log()).unwrap();
    let kept: String = text.lines().take(2).map(|l| format!("{l}\n")).collect();
    fs_err::write(home.audit_log(), kept).unwrap();
    let (code, stdout, _) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 1);
    assert!(
        stdout.contains("audit.jsonl:3: the log ends at seq 1 but the head file records seq 2"),
        "{stdout}"
    );
}

/// Replaces every run of exactly 12 lowercase hex digits (a short hash) with `[HASH]`.
fn redact_hashes(text: &str) -> String {
    let mut out = String::new();
    let mut run = String::new();
    for c in text.chars().chain(std::iter::once('\n')) {
        if c.is_ascii_digit() || ('a'..='f').contains(&c) {
            run.push(c);
            continue;
        }
        out.push_str(if run.len() == 12 { "[HASH]" } else { &run });
        run.clear();
        out.push(c);
    }
    out.pop();
    out
}
