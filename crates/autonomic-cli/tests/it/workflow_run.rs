//! `autonomic run FILE.toml`, `status`, `logs`, `approvals`, `approve`,
//! `reject`, `cancel` as a user types them.

use std::path::{Path, PathBuf};

use crate::{run, TestHome};

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs_err::write(&p, text).unwrap();
    p
}

fn home_none() -> TestHome {
    let home = TestHome::new();
    home.write_config("[muscle]\ndefault_sandbox = \"none\"\n");
    home
}

const REVIEWED: &str = r#"
[workflow]
name = "reviewed"

[[node]]
id = "ask"
kind = "exec"
command = "sudo -n true; echo ran > ran.txt"
on_review = "approval"
"#;

fn run_id(stderr: &str) -> String {
    let at = stderr
        .find("wf-")
        .unwrap_or_else(|| panic!("no run id in:\n{stderr}"));
    stderr[at..at + 18].to_owned()
}

#[test]
fn a_run_pauses_for_review_then_approve_finishes_it_and_a_second_answer_is_refused() {
    let home = home_none();
    let dir = tempfile::tempdir().unwrap();
    let wf = write(dir.path(), "wf.toml", REVIEWED);
    let (code, _, stderr) = run(&home, home.cmd().arg("run").arg(&wf));
    assert_eq!(code, 3, "{stderr}");
    assert!(
        stderr.contains("🔒 Approval Required: Workflow \"reviewed\""),
        "{stderr}"
    );
    assert!(stderr.contains("autonomic approve wf-"), "{stderr}");
    assert!(!dir.path().join("ran.txt").exists());
    let id = run_id(&stderr);

    let (code, stdout, _) = run(&home, home.cmd().arg("approvals"));
    assert_eq!(code, 0);
    assert!(
        stdout.contains(&id) && stdout.contains("Proposed action: sudo -n true"),
        "{stdout}"
    );

    let (code, _, stderr) = run(&home, home.cmd().args(["approve", &id, "--reason", "fine"]));
    assert!(dir.path().join("ran.txt").exists(), "{stderr}");
    assert!(code == 0 || code == 1, "{code}: {stderr}");

    let (code, _, stderr) = run(&home, home.cmd().args(["reject", &id]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("already"), "{stderr}");

    let (code, stdout, _) = run(&home, home.cmd().args(["logs", &id]));
    assert_eq!(code, 0);
    assert!(stdout.contains("approval request"), "{stdout}");
    assert!(stdout.contains("answer approve by"), "{stdout}");
    let (code, stdout, _) = run(&home, home.cmd().args(["status", &id, "--json"]));
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["nodes"][0]["node"], "ask");
}

#[test]
fn bad_input_gets_a_clear_error_and_exit_2() {
    let home = home_none();
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        "[workflow]\nname = \"x\"\n\n[[node]]\nid = \"a\"\nkind = \"teleport\"\n",
    );
    let (code, _, stderr) = run(&home, home.cmd().arg("run").arg(&bad));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("bad.toml:6"), "{stderr}");
    assert!(stderr.contains("teleport"), "{stderr}");

    let (code, _, stderr) = run(&home, home.cmd().args(["approve", "wf-20240101-zzzzzz"]));
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(&home, home.cmd().args(["approve", "not-a-run"]));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("wf-YYYYMMDD-xxxxxx"), "{stderr}");

    // A journal that is not ours is refused, and left as it was.
    fs_err::create_dir_all(home.home().join("data/spine")).unwrap();
    let journal = home.home().join("data/spine/journal.sqlite3");
    fs_err::write(&journal, b"definitely not sqlite, but precious").unwrap();
    let ok = write(
        dir.path(),
        "ok.toml",
        "[workflow]\nname = \"ok\"\n\n[[node]]\nid = \"a\"\nkind = \"exec\"\ncommand = \"true\"\n",
    );
    let (code, _, stderr) = run(&home, home.cmd().arg("run").arg(&ok));
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("journal.sqlite3"), "{stderr}");
    assert_eq!(
        fs_err::read(&journal).unwrap(),
        b"definitely not sqlite, but precious"
    );
}
