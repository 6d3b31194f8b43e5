//! `autonomic outbound check`, `github check` and `email test`: exit codes
//! (as `validate`: 0 allow, 1 deny, 3 review), text and JSON, and a test
//! e-mail through a real SMTP relay (aiosmtpd).

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};

use crate::{run, TestHome};

#[test]
fn an_ordinary_message_is_allowed_with_exit_0() {
    let home = TestHome::new();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["outbound", "check", "--channel", "slack", "-"])
            .write_stdin("deploy finished: https://github.com/o/r/pull/7\n"),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.starts_with("allow (slack)"), "{stdout}");
    assert!(stdout.contains("deploy finished"), "{stdout}");
}

#[test]
fn a_mass_mention_is_denied_with_exit_1_and_its_rule_and_place() {
    let home = TestHome::new();
    let file = home.home().join("msg.txt");
    fs_err::create_dir_all(home.home()).unwrap();
    fs_err::write(&file, "done\n<!channel> look\n").unwrap();
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args(["outbound", "check", "--channel", "slack"])
            .arg(&file),
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[out.mention.channel] at 2:1"), "{stdout}");
}

#[test]
fn a_token_is_denied_and_redacted_in_json() {
    let home = TestHome::new();
    // GitHub's published example of its checksummed token format.
    let token = "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";
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args([
                "outbound",
                "check",
                "--channel",
                "github",
                "--format",
                "json",
            ])
            .write_stdin(format!("the token is {token}")),
    );
    assert_eq!(code, 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["findings"][0]["rule_id"], "out.secret.github_token");
    assert_eq!(v["findings"][0]["span"], serde_json::json!([13, 53]));
    assert!(!stdout.contains(token), "{stdout}");
    assert!(v["redacted"].as_str().unwrap().contains("[redacted]"));
}

#[test]
fn an_unlisted_link_is_for_review_with_exit_3() {
    let home = TestHome::new();
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args(["outbound", "check", "--channel", "email"])
            .write_stdin("see https://evil.example.net/x"),
    );
    assert_eq!(code, 3, "{stdout}");
    assert!(stdout.starts_with("review (email)"), "{stdout}");
}

#[test]
fn github_check_follows_the_api_policy_without_network() {
    let home = TestHome::new();
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args(["github", "check", "DELETE", "/repos/octo/app"]),
    );
    assert_eq!(code, 1, "{stdout}");
    assert!(stdout.contains("[gh.repo.delete]"), "{stdout}");
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args(["github", "check", "PUT", "/repos/octo/app/pulls/7/merge"]),
    );
    assert_eq!(code, 3, "{stdout}");
    fs_err::create_dir_all(home.home()).unwrap();
    let body = home.home().join("body.json");
    fs_err::write(&body, r#"{"body": "Tests pass."}"#).unwrap();
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .args([
                "github",
                "check",
                "POST",
                "/repos/octo/app/issues/7/comments",
                "--format",
                "json",
                "--body",
            ])
            .arg(&body),
    );
    assert_eq!(code, 0, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["decision"], "allow");
    assert!(v["redacted"].as_str().unwrap().contains("Tests pass."));
}

#[test]
fn the_commands_explain_themselves() {
    let home = TestHome::new();
    for args in [
        ["outbound", "check", "--help"],
        ["github", "check", "--help"],
        ["email", "test", "--help"],
    ] {
        let (code, stdout, _) = run(&home, home.cmd().args(args));
        assert_eq!(code, 0);
        assert!(stdout.contains("Example"), "{args:?}: {stdout}");
    }
}

/// aiosmtpd from the venv `scripts/smtp-server.sh` builds; killed on drop.
struct Relay {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Relay {
    fn start() -> Relay {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let python = root.join("target/smtp/bin/python");
        assert!(
            python.is_file(),
            "{} is missing: run scripts/smtp-server.sh (it installs aiosmtpd into target/smtp; .ci/run does)",
            python.display()
        );
        let dir = tempfile::tempdir().unwrap();
        let mut child = spawn(&python)
            .arg(root.join("crates/agent-mouth-email/tests/smtp_server.py"))
            .arg("--dir")
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line.trim().strip_prefix("PORT ").map(str::parse);
        let Some(Ok(port)) = port else {
            let _ = child.kill();
            panic!("the SMTP relay did not start: {line:?}");
        };
        Relay { child, port, dir }
    }

    fn messages(&self) -> Vec<serde_json::Value> {
        let mut out = Vec::new();
        for e in fs_err::read_dir(self.dir.path()).unwrap() {
            let p = e.unwrap().path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("message-") && name.ends_with(".json") {
                out.push(serde_json::from_str(&fs_err::read_to_string(&p).unwrap()).unwrap());
            }
        }
        out
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "the test starts a real SMTP relay, killed when dropped"
)]
fn spawn(python: &Path) -> std::process::Command {
    std::process::Command::new(python)
}

#[test]
fn email_test_sends_through_the_configured_relay() {
    let relay = Relay::start();
    let home = TestHome::new();
    home.write_config(&format!(
        "[mouth]\nsmtp_host = \"127.0.0.1\"\nsmtp_port = {}\nsmtp_tls = \"none\"\nemail_from = \"autonomic@example.com\"\nemail_recipients = [\"oncall@example.com\"]\n",
        relay.port
    ));
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["email", "test", "--to", "oncall@example.com"]),
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let all = relay.messages();
    assert_eq!(all.len(), 1, "{all:#?}");
    let id = all[0]["message_id"].as_str().unwrap();
    assert!(stdout.contains(&format!("sent: {id}")), "{stdout}");
    assert!(
        stdout.contains(&format!("relay: 127.0.0.1:{}", relay.port)),
        "{stdout}"
    );
    assert!(stdout.contains("tls: none (not encrypted)"), "{stdout}");
    // A recipient the policy does not list: nothing is sent.
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["email", "test", "--to", "someone@elsewhere.example"]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert_eq!(relay.messages().len(), 1);
}
