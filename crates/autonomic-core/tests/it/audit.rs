#![expect(
    clippy::disallowed_methods,
    reason = "the multi-process test re-executes this test binary and reads its switch from the environment"
)]

use autonomic_core::Hint as _;
use std::path::{Path, PathBuf};

use autonomic_core::audit::{verify, AuditError, AuditEvent, AuditLog, GENESIS_HASH};
use autonomic_core::Decision;
use serde_json::json;

fn event(i: usize) -> AuditEvent {
    AuditEvent {
        kind: "test.event".to_owned(),
        actor: "it".to_owned(),
        decision: Some(Decision::Allow),
        detail: json!({ "i": i, "note": "ünïcode ✓" }),
    }
}

/// A fresh log with `n` records.
fn log_with(n: usize) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("data/audit/audit.jsonl");
    let log = AuditLog::open(&path).unwrap();
    for i in 0..n {
        log.append(event(i)).unwrap();
    }
    (dir, path)
}

fn lines(path: &Path) -> Vec<String> {
    fs_err::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs_err::write(path, text).unwrap();
}

/// Verifies and returns (first bad line, reason).
fn first_bad(path: &Path) -> (u64, String) {
    let report = verify(path).unwrap();
    assert!(!report.ok, "expected tampering to be detected");
    let bad = report.first_bad.unwrap();
    assert_eq!(bad.seq_expected, report.records);
    (bad.line, bad.reason)
}

#[test]
fn appended_records_chain() {
    let (_dir, path) = log_with(0);
    let log = AuditLog::open(&path).unwrap();
    let first = log.append(event(0)).unwrap();
    let second = log
        .append(AuditEvent {
            kind: "mouth.reject".to_owned(),
            actor: "cli".to_owned(),
            decision: None,
            detail: json!({}),
        })
        .unwrap();
    assert_eq!((first.seq, first.prev.as_str()), (0, GENESIS_HASH));
    assert_eq!((second.seq, &second.prev), (1, &first.hash));
    assert_eq!(second.decision, None);
    assert!(first.ts.ends_with('Z'), "{}", first.ts);
    time::OffsetDateTime::parse(&first.ts, &time::format_description::well_known::Rfc3339).unwrap();

    let text = fs_err::read_to_string(&path).unwrap();
    let stored: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(stored[0]["detail"], json!({ "i": 0, "note": "ünïcode ✓" }));
    assert_eq!(stored[0]["decision"], json!("allow"));
    assert_eq!(stored[1]["hash"], json!(second.hash));
    assert_eq!(text.lines().count(), 2);

    let report = verify(&path).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.records, 2);
    let head = fs_err::read_to_string(path.with_extension("head")).unwrap();
    assert!(head.contains(&second.hash));
    assert!(path.with_file_name("audit.jsonl.lock").exists());
}

#[test]
fn missing_log_is_empty_and_ok() {
    let dir = tempfile::tempdir().unwrap();
    let report = verify(&dir.path().join("nope.jsonl")).unwrap();
    assert!(report.ok);
    assert_eq!(report.records, 0);
}

#[test]
fn edited_record_is_detected() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l[2] = l[2].replace("\"i\":2", "\"i\":9");
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 3);
    assert!(reason.starts_with("hash mismatch"), "{reason}");
}

#[test]
fn deleted_record_is_detected() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l.remove(2);
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 3);
    assert!(reason.contains("seq 3 where 2 was expected"), "{reason}");
}

#[test]
fn deleted_last_records_are_detected() {
    let (_dir, path) = log_with(5);
    let l = lines(&path);
    write_lines(&path, &l[..3]);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 4);
    assert!(
        reason.contains("the last 2 record(s) were deleted"),
        "{reason}"
    );

    // Appending now would hide the truncation, so it is refused.
    let err = AuditLog::open(&path).unwrap().append(event(9)).unwrap_err();
    assert!(matches!(err, AuditError::HeadMismatch { .. }), "{err}");
    assert!(err.hint().is_some());
}

#[test]
fn emptied_log_is_detected() {
    let (_dir, path) = log_with(3);
    fs_err::write(&path, "").unwrap();
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 1);
    assert!(reason.contains("every record was deleted"), "{reason}");
    fs_err::remove_file(&path).unwrap();
    let (line, _) = first_bad(&path);
    assert_eq!(line, 1);
}

#[test]
fn inserted_record_is_detected() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    let copy = l[1].clone();
    l.insert(3, copy);
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 4);
    assert!(reason.contains("seq 1 where 3 was expected"), "{reason}");
}

#[test]
fn replaced_record_from_another_chain_is_detected() {
    let (_dir, path) = log_with(5);
    let (_other_dir, other) = log_with(5);
    let mut l = lines(&path);
    l[2] = lines(&other)[2].clone();
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 3);
    assert!(reason.starts_with("prev is "), "{reason}");
}

#[test]
fn reordered_records_are_detected() {
    let (_dir, path) = log_with(5);
    let mut l = lines(&path);
    l.swap(1, 2);
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 2);
    assert!(reason.contains("seq 2 where 1 was expected"), "{reason}");
}

#[test]
fn truncated_line_is_detected() {
    let (_dir, path) = log_with(4);
    let text = fs_err::read_to_string(&path).unwrap();
    let cut = text.len() - 40;
    fs_err::write(&path, &text[..cut]).unwrap();
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 4);
    assert!(reason.contains("incomplete"), "{reason}");

    let err = AuditLog::open(&path).unwrap().append(event(9)).unwrap_err();
    assert!(matches!(err, AuditError::DamagedTail { .. }), "{err}");
}

#[test]
fn garbled_line_is_detected() {
    let (_dir, path) = log_with(4);
    let mut l = lines(&path);
    l[1] = "{\"seq\":1,\"ts\":".to_owned();
    write_lines(&path, &l);
    let (line, reason) = first_bad(&path);
    assert_eq!(line, 2);
    assert!(reason.starts_with("not a valid audit record"), "{reason}");
}

#[test]
fn concurrent_threads_never_fork_the_chain() {
    const THREADS: usize = 8;
    const EACH: usize = 200;
    let (_dir, path) = log_with(0);
    std::thread::scope(|scope| {
        for t in 0..THREADS {
            let path = &path;
            scope.spawn(move || {
                let log = AuditLog::open(path).unwrap();
                for i in 0..EACH {
                    log.append(event(t * EACH + i)).unwrap();
                }
            });
        }
    });
    assert_chain(&path, (THREADS * EACH) as u64);
}

fn assert_chain(path: &Path, expected: u64) {
    let report = verify(path).unwrap();
    assert!(report.ok, "{report:?}");
    assert_eq!(report.records, expected);
    let seqs: Vec<u64> = lines(path)
        .iter()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["seq"]
                .as_u64()
                .unwrap()
        })
        .collect();
    assert_eq!(seqs, (0..expected).collect::<Vec<_>>());
}

/// Set in child processes of [`concurrent_processes_never_fork_the_chain`].
const CHILD_LOG: &str = "AUTONOMIC_IT_CHILD_AUDIT_LOG";

/// Does nothing unless started by [`concurrent_processes_never_fork_the_chain`],
/// which re-executes this test binary to run it in several processes at once.
#[test]
fn child_process_appender() {
    let Some(path) = std::env::var_os(CHILD_LOG) else {
        return;
    };
    let log = AuditLog::open(PathBuf::from(path)).unwrap();
    for i in 0..200 {
        log.append(event(i)).unwrap();
    }
}

#[test]
fn concurrent_processes_never_fork_the_chain() {
    const PROCESSES: usize = 4;
    let (_dir, path) = log_with(0);
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            std::process::Command::new(&exe)
                .args([
                    "--exact",
                    "audit::child_process_appender",
                    "--test-threads=1",
                ])
                .env(CHILD_LOG, &path)
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    assert_chain(&path, 800);
}
