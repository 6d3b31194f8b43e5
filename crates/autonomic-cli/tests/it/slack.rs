//! Slack approvals end to end: `autonomic serve` against a fake Slack that
//! speaks the Web API and Socket Mode. A workflow pauses at an approval;
//! the request appears on Slack in the seed's format with buttons; a click
//! from someone who is not an approver is ignored, told so in the thread
//! and audited; the approver's click arrives while the daemon is down and
//! is taken after the restart; the daemon is killed again right after it
//! journaled the answer and Slack delivers the same envelope again (its ack
//! lost in flight). The approval is applied exactly once, the node behind
//! it runs once, and the message ends up showing who approved.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use agent_spine::workflow::journal::{DecisionOutcome, Journal, Verdict};
use agent_spine::workflow::state::{RunId, RunState};
use serde_json::Value;

use crate::TestHome;
use agent_mouth_slack::fake::{self as fake_slack, FakeSlack, APP_TOKEN, BOT_TOKEN, CHANNEL_ID};

const WORKFLOW: &str = r#"
[workflow]
name = "deploy-frontend"
sandbox = "none"

[[node]]
id = "approve-push"
kind = "approval"
action = "git push origin main"
risk = "high"

[[node]]
id = "push"
kind = "exec"
needs = ["approve-push"]
sandbox = "none"
command = "echo pushed >> pushes"
"#;

const APPROVER: &str = "U0APPROVER";
const INTRUDER: &str = "U0INTRUDER";

#[expect(
    clippy::disallowed_methods,
    reason = "the test kills the daemon itself: assert_cmd only runs to completion"
)]
fn spawn(home: &TestHome, args: &[&str], dir: &std::path::Path) -> Child {
    std::process::Command::new(assert_cmd::cargo::cargo_bin!("autonomic"))
        .env("AUTONOMIC_HOME", home.home())
        .env("AUTONOMIC_SLACK_BOT_TOKEN", BOT_TOKEN)
        .env("AUTONOMIC_SLACK_APP_TOKEN", APP_TOKEN)
        .env_remove("RUST_LOG")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

fn kill(mut child: Child) {
    let _ = child.kill();
    let _ = child.wait();
}

/// Waits up to 60 s (a loaded CI machine) for `what` to hold.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn journal(home: &TestHome) -> Journal {
    Journal::open(&home.home().join("data/spine/journal.sqlite3")).unwrap()
}

fn posts(fake: &FakeSlack, method: &str) -> Vec<Value> {
    fake.calls()
        .into_iter()
        .filter(|c| c.method == method)
        .map(|c| c.body)
        .collect()
}

/// Starts `serve` and waits until it holds a Socket Mode connection.
fn serve(home: &TestHome, fake: &FakeSlack, dir: &std::path::Path) -> Child {
    let before = fake.connections();
    let child = spawn(home, &["serve"], dir);
    wait_for("serve's Socket Mode connection", || {
        (fake.connections() > before).then_some(())
    });
    child
}

#[test]
fn an_approval_on_slack_is_applied_once_across_daemon_kills() {
    let fake = FakeSlack::start();
    let home = TestHome::new();
    home.write_config(&format!(
        "[muscle]\ndefault_sandbox = \"none\"\n\n[mouth]\nslack = true\nslack_api_url = \"{}\"\n\
         slack_approval_channel = \"#ops-approvals\"\nslack_approvers = [\"{APPROVER}\"]\n",
        fake.api_url
    ));
    let repo = tempfile::tempdir().unwrap();
    let wf = repo.path().join("wf.toml");
    fs_err::write(&wf, WORKFLOW).unwrap();

    let daemon = serve(&home, &fake, repo.path());
    let mut follower = spawn(&home, &["run", wf.to_str().unwrap()], repo.path());

    // The request appears, in the seed's format, with the buttons.
    let request = wait_for("the approval request on Slack", || {
        posts(&fake, "chat.postMessage").into_iter().next()
    });
    let text = request["text"].as_str().unwrap();
    assert!(
        text.starts_with("🔒 Approval Required: Workflow \"deploy-frontend\" (ID: wf-"),
        "{text}"
    );
    for line in [
        "  Proposed action: git push origin main",
        "  Risk level: high",
        "  → Type \"yes\" to approve, \"no\" to reject",
    ] {
        assert!(text.contains(line), "{line:?} in {text}");
    }
    let buttons = &request["blocks"][1]["elements"];
    assert_eq!(buttons[0]["action_id"], "autonomic_approve");
    let run = buttons[0]["value"].as_str().unwrap().to_owned();
    let run_id = RunId::parse(&run).unwrap();
    let ts = fake.posted_ts(0);
    // The foreground `run` handed the run to the daemon and stops following
    // it at the pause (exit 3: waiting for a human).
    let exit = wait_for("the foreground run to exit", || {
        follower.try_wait().unwrap()
    });
    assert_eq!(exit.code(), Some(3), "{exit}");

    // Someone who is not an approver clicks Approve: ignored, told, audited.
    fake.push(
        "env-intruder",
        "interactive",
        fake_slack::click(INTRUDER, "autonomic_approve", &run, &ts),
    );
    let reply = wait_for("the reply to the intruder", || {
        posts(&fake, "chat.postMessage")
            .into_iter()
            .find(|b| b["thread_ts"] == ts.as_str())
    });
    let reply_text = reply["text"].as_str().unwrap();
    assert!(
        reply_text.contains(INTRUDER) && reply_text.contains("is not an approver"),
        "{reply_text}"
    );
    assert!(journal(&home).decisions(&run_id).unwrap().is_empty());
    assert_eq!(
        journal(&home).run(&run_id).unwrap().unwrap().state,
        RunState::WaitingApproval
    );

    // The approver clicks while the daemon is down: Slack holds the
    // envelope until a connection acknowledges it.
    kill(daemon);
    fake.push(
        "env-approver",
        "interactive",
        fake_slack::click(APPROVER, "autonomic_approve", &run, &ts),
    );
    let daemon = serve(&home, &fake, repo.path());
    wait_for("the run to end", || {
        let state = journal(&home).run(&run_id).unwrap().unwrap().state;
        state.is_finished().then_some(state)
    });
    let updated = wait_for("the request's message updated", || {
        posts(&fake, "chat.update")
            .into_iter()
            .find(|b| b["ts"] == ts.as_str())
    });

    // Killed, and the approver's ack "lost in flight": Slack delivers the
    // same envelope to the next daemon, which must not take it again.
    kill(daemon);
    fake.forget_ack("env-approver");
    let daemon = serve(&home, &fake, repo.path());
    let connection = fake.connections();
    wait_for("the redelivered envelope's ack", || {
        fake.acks_of("env-approver")
            .contains(&connection)
            .then_some(())
    });
    kill(daemon);

    // Exactly once: one decision, accepted; the node ran once.
    let j = journal(&home);
    let record = j.run(&run_id).unwrap().unwrap();
    assert_eq!(record.state, RunState::Succeeded, "{}", record.why);
    let decisions = j.decisions(&run_id).unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(
        (
            decisions[0].verdict,
            decisions[0].by.as_str(),
            decisions[0].via.as_str()
        ),
        (Verdict::Approve, APPROVER, "slack")
    );
    assert_eq!(decisions[0].outcome, Some(DecisionOutcome::Accepted));
    let pushes = fs_err::read_to_string(repo.path().join("pushes")).unwrap();
    assert_eq!(pushes.lines().count(), 1, "{pushes}");

    // The message shows who approved, without the buttons.
    let updated_text = updated["text"].as_str().unwrap();
    assert!(
        updated_text.starts_with(&format!("✅ Approved by {APPROVER} at ")),
        "{updated_text}"
    );
    assert_eq!(updated["channel"], CHANNEL_ID);
    assert!(!updated["blocks"].to_string().contains("autonomic_approve"));

    // The audit chain holds each answer with the Slack user and message ts.
    let audit = fs_err::read_to_string(home.audit_log()).unwrap();
    let answers: Vec<Value> = audit
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|r| r["kind"] == "mouth.answer")
        .collect();
    let outcomes: Vec<(String, String)> = answers
        .iter()
        .map(|r| {
            (
                r["actor"].as_str().unwrap().to_owned(),
                r["detail"]["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert!(
        outcomes.contains(&(format!("slack:{INTRUDER}"), "ignored".into())),
        "{outcomes:?}"
    );
    let approver_taken = outcomes
        .iter()
        .filter(|o| **o == (format!("slack:{APPROVER}"), "taken".into()))
        .count();
    assert_eq!(approver_taken, 1, "{outcomes:?}");
    assert!(
        outcomes.contains(&(format!("slack:{APPROVER}"), "redelivery".into())),
        "{outcomes:?}"
    );
    assert!(answers
        .iter()
        .all(|r| r["detail"]["message_ts"] == ts.as_str()));
    // The redelivery and the ignored answer made no further messages: one
    // request, one reply (to the intruder). The update is at least once (a
    // kill between Slack's answer and the journal's record of it updates
    // again on restart), always to the same message.
    assert_eq!(posts(&fake, "chat.postMessage").len(), 2);
    let updates = posts(&fake, "chat.update");
    assert!(
        updates
            .iter()
            .all(|u| u["ts"] == ts.as_str() && u["text"] == updated["text"]),
        "{updates:?}"
    );
    let report = autonomic_core::audit::verify(&home.audit_log()).unwrap();
    assert!(report.ok, "{report:?}");
}

#[test]
fn serve_refuses_to_start_slack_without_its_tokens_or_with_a_refused_one() {
    let fake = FakeSlack::start();
    let home = TestHome::new();
    home.write_config(&format!(
        "[mouth]\nslack = true\nslack_api_url = \"{}\"\nslack_approvers = [\"{APPROVER}\"]\n",
        fake.api_url
    ));
    // No bot token in the environment: the key and the variable are named,
    // with what to do.
    let (code, _, stderr) = crate::run(
        &home,
        home.cmd()
            .arg("serve")
            .env_remove("AUTONOMIC_SLACK_BOT_TOKEN")
            .env_remove("AUTONOMIC_SLACK_APP_TOKEN"),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("`[mouth] slack_bot_token_env` names the environment variable $AUTONOMIC_SLACK_BOT_TOKEN, which is not set"),
        "{stderr}"
    );
    assert!(
        stderr.contains("export AUTONOMIC_SLACK_BOT_TOKEN="),
        "{stderr}"
    );
    // An app token where the bot token belongs: refused, never echoed.
    let (code, _, stderr) = crate::run(
        &home,
        home.cmd()
            .arg("serve")
            .env("AUTONOMIC_SLACK_BOT_TOKEN", APP_TOKEN)
            .env("AUTONOMIC_SLACK_APP_TOKEN", APP_TOKEN),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("does not hold a Slack bot token"),
        "{stderr}"
    );
    assert!(!stderr.contains("fakeappsecret"), "{stderr}");
    // A well-formed token Slack refuses (invalid_auth): the start fails.
    let (code, _, stderr) = crate::run(
        &home,
        home.cmd()
            .arg("serve")
            .env(
                "AUTONOMIC_SLACK_BOT_TOKEN",
                "xoxb-9999-9999-notthefakestoken",
            )
            .env("AUTONOMIC_SLACK_APP_TOKEN", APP_TOKEN),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("invalid_auth"), "{stderr}");
    assert!(!stderr.contains("notthefakestoken"), "{stderr}");
}
