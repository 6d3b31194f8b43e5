//! The outbound nodes end to end: a notify by e-mail through a real SMTP
//! relay (aiosmtpd), a notify quoting a token denied before it reaches the
//! relay, github nodes against a loopback fake GitHub (allowed: sent once;
//! a merge: review, approved, sent once with the approver's confirmation; a
//! repository deletion: denied, nothing sent), and the loader's checks.

use std::collections::BTreeMap;
use std::sync::Once;

use agent_spine::workflow::control;
use agent_spine::workflow::engine::Scope;
use agent_spine::workflow::journal::Verdict;
use agent_spine::workflow::load;
use agent_spine::workflow::state::{NodeState, RunState};
use autonomic_core::SandboxLevel;

use crate::engine::Rig;
use crate::fake_github::FakeGitHub;
use crate::smtp::Relay;

/// The variable the test config names for the GitHub token.
const TOKEN_ENV: &str = "AUTONOMIC_SPINE_TEST_GITHUB_TOKEN";
/// The token the fake accepts (set once in this process's environment).
const TOKEN: &str = "ghs_SpineTestInstallationToken0123456789";

fn token_env() {
    static SET: Once = Once::new();
    // Every test sets the same value, once, before any engine starts.
    SET.call_once(|| std::env::set_var(TOKEN_ENV, TOKEN));
}

/// CRC-32/IEEE, bit by bit (GitHub's token checksum).
fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = (crc >> 1) ^ (0xEDB8_8320 & (crc & 1).wrapping_neg());
        }
    }
    !crc
}

/// A `ghp_` token whose checksum verifies (30 random-looking characters
/// and six base62 digits of their CRC32).
fn github_token(seed: u64) -> String {
    const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut x = seed | 1;
    let body: String = (0..30)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            B62[(x % 62) as usize] as char
        })
        .collect();
    let mut n = crc32(body.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = B62[(n % 62) as usize];
        n /= 62;
    }
    format!("ghp_{body}{}", String::from_utf8_lossy(&check))
}

fn email_rig(relay: &Relay) -> Rig {
    let mut rig = Rig::new(SandboxLevel::None);
    let m = &mut rig.config.mouth;
    m.smtp_host = Some("127.0.0.1".into());
    m.smtp_port = u32::from(relay.port);
    m.smtp_tls = "none".into();
    m.email_from = Some("autonomic@example.com".into());
    m.email_recipients = vec!["oncall@example.com".into()];
    rig
}

fn github_rig(fake: &FakeGitHub) -> Rig {
    token_env();
    let mut rig = Rig::new(SandboxLevel::None);
    rig.config.mouth.github_api_url = fake.base_url.clone();
    rig.config.mouth.github_token_env = TOKEN_ENV.into();
    rig
}

fn node(rig: &Rig, id: &agent_spine::workflow::state::RunId, node: &str) -> (NodeState, String) {
    let run = rig.journal().run(id).unwrap().unwrap();
    let n = run.nodes.into_iter().find(|n| n.id == node).unwrap();
    (n.state, n.why)
}

/// The audit log's `mouth.outbound` records.
fn outbound_audit(rig: &Rig) -> Vec<serde_json::Value> {
    let text = fs_err::read_to_string(&rig.paths.audit_log).unwrap_or_default();
    text.lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v.to_string().contains("mouth.outbound"))
        .collect()
}

const EMAIL: &str = r#"
[workflow]
name = "mail"

[[node]]
id = "tell"
kind = "notify"
channel = "email"
to = ["oncall@example.com"]
subject = "${{ workflow.name }} finished"
message = "The run ${{ workflow.id }} finished."
"#;

#[test]
fn a_notify_by_email_is_delivered_through_the_relay() {
    let relay = Relay::start();
    let rig = email_rig(&relay);
    let (id, state) = rig.settle(rig.workflow(EMAIL), None, None, BTreeMap::new());
    assert_eq!(state, RunState::Succeeded, "{:?}", node(&rig, &id, "tell"));
    let all = relay.messages();
    assert_eq!(all.len(), 1, "{all:#?}");
    let m = &all[0];
    assert_eq!(m["rcpt_tos"], serde_json::json!(["oncall@example.com"]));
    assert_eq!(m["mail_from"], "autonomic@example.com");
    assert_eq!(m["subject"], "mail finished");
    assert!(
        m["body"]
            .as_str()
            .unwrap()
            .contains(&format!("The run {id} finished.")),
        "{m:#?}"
    );
    assert_eq!(
        rig.output(&id, "tell", "message_id").as_deref(),
        m["message_id"].as_str()
    );
    let audit = outbound_audit(&rig);
    assert_eq!(audit.len(), 1, "{audit:#?}");
    let text = audit[0].to_string();
    assert!(
        text.contains("\"sent\":true") && text.contains("\"email\""),
        "{text}"
    );
    assert!(
        !text.contains("finished."),
        "the audit holds no message text: {text}"
    );
}

#[test]
fn a_notify_quoting_a_github_token_is_denied_and_never_reaches_the_relay() {
    let relay = Relay::start();
    let rig = email_rig(&relay);
    let token = github_token(0x5eed_1234);
    let wf = EMAIL.replace("finished.\"", &format!("finished, token {token}\""));
    let (id, state) = rig.settle(rig.workflow(&wf), None, None, BTreeMap::new());
    assert_eq!(state, RunState::Failed);
    let (node_state, why) = node(&rig, &id, "tell");
    assert_eq!(node_state, NodeState::Rejected, "{why}");
    assert!(why.contains("out.secret.github_token"), "{why}");
    assert!(why.contains("body"), "the field is named: {why}");
    assert!(
        why.contains("[redacted]"),
        "the redacted text is shown: {why}"
    );
    assert!(!why.contains(&token), "the token is not shown: {why}");
    assert!(relay.messages().is_empty(), "nothing reached the relay");
    let audit = outbound_audit(&rig);
    assert_eq!(audit.len(), 1, "{audit:#?}");
    let text = audit[0].to_string();
    assert!(text.contains("\"sent\":false") && text.contains("out.secret.github_token"));
    let whole = fs_err::read_to_string(&rig.paths.audit_log).unwrap();
    assert!(
        !whole.contains(&token[4..]),
        "the audit log never holds the token"
    );
}

fn github_node(method: &str, path: &str, body: Option<&str>) -> String {
    let body = body.map_or(String::new(), |b| format!("body = '''{b}'''\n"));
    format!(
        "[workflow]\nname = \"gh\"\n\n[[node]]\nid = \"call\"\nkind = \"github\"\nmethod = \"{method}\"\npath = \"{path}\"\n{body}"
    )
}

#[test]
fn an_allowed_github_call_is_sent_once_with_githubs_headers() {
    let fake = FakeGitHub::start(TOKEN);
    let rig = github_rig(&fake);
    let wf = github_node(
        "POST",
        "/repos/octo/app/issues/7/comments",
        Some(r#"{"body": "Tests pass on ${{ workflow.name }}."}"#),
    );
    let (id, state) = rig.settle(rig.workflow(&wf), None, None, BTreeMap::new());
    assert_eq!(state, RunState::Succeeded, "{:?}", node(&rig, &id, "call"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    assert_eq!(reqs[0].method, "POST");
    assert_eq!(reqs[0].url, "/repos/octo/app/issues/7/comments");
    assert_eq!(reqs[0].body["body"], "Tests pass on gh.");
    assert_eq!(rig.output(&id, "call", "status").as_deref(), Some("201"));
    assert_eq!(
        rig.output(&id, "call", "html_url").as_deref(),
        Some("https://github.com/octo/app/issues/7#issuecomment-1")
    );
    assert!(rig
        .output(&id, "call", "response")
        .unwrap()
        .contains("\"id\":1"));
}

#[test]
fn a_merge_waits_for_a_human_then_is_sent_once_in_their_name() {
    let fake = FakeGitHub::start(TOKEN);
    let rig = github_rig(&fake);
    let wf = github_node(
        "PUT",
        "/repos/octo/app/pulls/7/merge",
        Some(r#"{"merge_method": "squash"}"#),
    );
    let (id, state) = rig.settle(rig.workflow(&wf), None, None, BTreeMap::new());
    assert_eq!(state, RunState::WaitingApproval);
    assert!(
        fake.requests().is_empty(),
        "nothing is sent before approval"
    );
    let mut journal = rig.journal();
    let open = journal.open_requests(Some(&id)).unwrap();
    assert_eq!(open.len(), 1);
    let text = &open[0].text;
    assert!(
        text.contains("PUT /repos/octo/app/pulls/7/merge") && text.contains("squash"),
        "the request shows the call: {text}"
    );
    assert!(text.contains("gh."), "the request says why: {text}");
    control::answer(
        &mut journal,
        &id,
        Verdict::Approve,
        None,
        "release-manager",
        "test",
        None,
    )
    .unwrap();
    assert_eq!(rig.resume(&id, None), RunState::Succeeded);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1, "{reqs:#?}");
    assert_eq!(reqs[0].method, "PUT");
    assert_eq!(reqs[0].body["merge_method"], "squash");
    assert_eq!(rig.output(&id, "call", "status").as_deref(), Some("200"));
    let audit = outbound_audit(&rig);
    let sent: Vec<_> = audit
        .iter()
        .filter(|a| a.to_string().contains("\"sent\":true"))
        .collect();
    assert_eq!(sent.len(), 1, "{audit:#?}");
    assert!(
        sent[0].to_string().contains("release-manager"),
        "{audit:#?}"
    );
}

/// The engine stops while a comment is being sent (its outcome is never
/// journaled, as after a crash): the next engine does not send it again
/// but asks a human; once approved, it is sent again.
#[test]
fn a_send_interrupted_by_a_stop_is_not_repeated_without_a_human() {
    let fake = FakeGitHub::start_slow(TOKEN, std::time::Duration::from_secs(2));
    let rig = github_rig(&fake);
    let wf = rig.workflow(&github_node(
        "POST",
        "/repos/octo/app/issues/7/comments",
        Some(r#"{"body": "Deployed."}"#),
    ));
    let id = crate::engine::rt().block_on(async {
        let engine = rig.engine(None, Scope::Submitted);
        let id = engine
            .submit(wf, Some(rig.repo.clone()), BTreeMap::new())
            .await
            .unwrap();
        let until = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while fake.requests().is_empty() {
            assert!(std::time::Instant::now() < until, "nothing was sent");
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        engine.shutdown().await;
        id
    });
    assert_eq!(node(&rig, &id, "call").0, NodeState::Running);
    assert_eq!(rig.resume(&id, None), RunState::WaitingApproval);
    assert_eq!(node(&rig, &id, "call").0, NodeState::WaitingApproval);
    let mut journal = rig.journal();
    let open = journal.open_requests(Some(&id)).unwrap();
    assert_eq!(open.len(), 1);
    assert!(
        open[0].text.contains("interrupted while running"),
        "{}",
        open[0].text
    );
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(fake.requests().len(), 1, "not sent again without a human");
    control::answer(
        &mut journal,
        &id,
        Verdict::Approve,
        None,
        "oncall",
        "test",
        None,
    )
    .unwrap();
    assert_eq!(rig.resume(&id, None), RunState::Succeeded);
    assert_eq!(fake.requests().len(), 2, "sent again once a human said so");
}

#[test]
fn a_repository_deletion_is_denied_and_github_sees_nothing() {
    let fake = FakeGitHub::start(TOKEN);
    let rig = github_rig(&fake);
    let (id, state) = rig.settle(
        rig.workflow(&github_node("DELETE", "/repos/octo/app", None)),
        None,
        None,
        BTreeMap::new(),
    );
    assert_eq!(state, RunState::Failed);
    let (node_state, why) = node(&rig, &id, "call");
    assert_eq!(node_state, NodeState::Rejected);
    assert!(why.contains("gh.repo.delete"), "{why}");
    assert!(fake.requests().is_empty());
}

#[test]
fn a_notify_to_github_comments_on_the_target() {
    let fake = FakeGitHub::start(TOKEN);
    let rig = github_rig(&fake);
    let wf = r#"
[workflow]
name = "comment"

[[node]]
id = "tell"
kind = "notify"
channel = "github"
target = "octo/app#12"
message = "Deployed."
"#;
    let (id, state) = rig.settle(rig.workflow(wf), None, None, BTreeMap::new());
    assert_eq!(state, RunState::Succeeded, "{:?}", node(&rig, &id, "tell"));
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].url, "/repos/octo/app/issues/12/comments");
    assert_eq!(reqs[0].body["body"], "Deployed.");
}

fn load_error(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wf.toml");
    fs_err::write(&path, text).unwrap();
    load::load(&path, &[]).unwrap_err().to_string()
}

#[test]
fn the_loader_names_the_line_of_a_bad_outbound_node() {
    let head =
        "[workflow]\nname = \"x\"\n\n[[node]]\nid = \"n\"\nkind = \"notify\"\nmessage = \"hi\"\n";
    let e = load_error(&format!("{head}channel = \"pager\"\n"));
    assert!(
        e.contains(":8") && e.contains("unknown value \"pager\""),
        "{e}"
    );
    let e = load_error(&format!("{head}channel = \"email\"\n"));
    assert!(e.contains("missing required key `to`"), "{e}");
    let e = load_error(&format!(
        "{head}channel = \"github\"\ntarget = \"octo/app\"\n"
    ));
    assert!(e.contains(":9") && e.contains("owner/repo#NUMBER"), "{e}");
    let e = load_error(&format!("{head}channel = \"slack\"\nto = [\"a@b.c\"]\n"));
    assert!(e.contains(":9") && e.contains("channel = \"email\""), "{e}");
    let e = load_error(
        "[workflow]\nname = \"x\"\n\n[[node]]\nid = \"g\"\nkind = \"github\"\nmethod = \"YANK\"\npath = \"/x\"\n",
    );
    assert!(e.contains(":7") && e.contains("unknown method"), "{e}");
}

#[test]
fn outbound_nodes_modify_external_state_and_need_no_approval_node() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wf.toml");
    fs_err::write(
        &path,
        format!(
            "{}\n[[node]]\nid = \"local\"\nkind = \"notify\"\nmessage = \"hi\"\n",
            github_node("POST", "/repos/o/r/issues/1/comments", Some("{}"))
        ),
    )
    .unwrap();
    let wf = load::load(&path, &[]).unwrap();
    assert!(wf.node("call").unwrap().modifies_external_state);
    assert!(!wf.node("local").unwrap().modifies_external_state);
}

/// The variable the test config names for the Slack bot token.
const SLACK_ENV: &str = "AUTONOMIC_SPINE_TEST_SLACK_BOT_TOKEN";

fn slack_rig(fake: &agent_mouth_slack::fake::FakeSlack) -> Rig {
    static SET: Once = Once::new();
    SET.call_once(|| std::env::set_var(SLACK_ENV, agent_mouth_slack::fake::BOT_TOKEN));
    let mut rig = Rig::new(SandboxLevel::None);
    rig.config.mouth.slack_api_url = fake.api_url.clone();
    rig.config.mouth.slack_bot_token_env = SLACK_ENV.into();
    rig
}

#[test]
fn a_notify_to_slack_is_posted_once_and_a_mass_mention_never() {
    let fake = agent_mouth_slack::fake::FakeSlack::start();
    let rig = slack_rig(&fake);
    let wf = |message: &str| {
        format!(
            "[workflow]\nname = \"tell\"\n\n[[node]]\nid = \"tell\"\nkind = \"notify\"\nchannel = \"slack\"\nmessage = \"{message}\"\n"
        )
    };
    let (id, state) = rig.settle(
        rig.workflow(&wf("Deployed ${{ workflow.name }}.")),
        None,
        None,
        BTreeMap::new(),
    );
    assert_eq!(state, RunState::Succeeded, "{:?}", node(&rig, &id, "tell"));
    let posts: Vec<_> = fake
        .calls()
        .into_iter()
        .filter(|c| c.method == "chat.postMessage")
        .collect();
    assert_eq!(posts.len(), 1, "{posts:?}");
    assert_eq!(posts[0].body["text"], "Deployed tell.");
    assert_eq!(posts[0].body["channel"], "#ops-approvals");

    // `<!channel>` pings everyone: denied, nothing posted, audited.
    let (id, state) = rig.settle(
        rig.workflow(&wf("<!channel> deployed")),
        None,
        None,
        BTreeMap::new(),
    );
    assert_eq!(state, RunState::Failed);
    let (node_state, why) = node(&rig, &id, "tell");
    assert_eq!(node_state, NodeState::Rejected, "{why}");
    assert!(why.contains("out.mention.channel"), "{why}");
    assert_eq!(
        fake.calls()
            .iter()
            .filter(|c| c.method == "chat.postMessage")
            .count(),
        1
    );
    let audit = outbound_audit(&rig);
    assert!(
        audit
            .iter()
            .any(|r| r["detail"]["channel"] == "slack" && r["decision"] == "deny"),
        "{audit:?}"
    );
}
