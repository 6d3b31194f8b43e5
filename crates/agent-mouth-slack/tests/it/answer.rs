//! Parsing answers from Slack's payloads, in the shapes Slack documents
//! (block_actions interaction payloads; Events API message events; slash
//! commands' fields).

use agent_mouth_slack::{
    answer_from_event, answer_from_interaction, answer_from_slash_command, Answer, AnswerAction,
};
use serde_json::{json, Value};

pub fn block_actions(action_id: &str, value: &str) -> Value {
    json!({
        "type": "block_actions",
        "user": {"id": "U0ALICE", "username": "alice", "name": "alice", "team_id": "T0FAKE"},
        "api_app_id": "A0FAKE",
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": "1710498600.000001",
            "channel_id": "C0APPROVALS",
            "is_ephemeral": false
        },
        "trigger_id": "1111.2222.abcd",
        "team": {"id": "T0FAKE", "domain": "fake"},
        "channel": {"id": "C0APPROVALS", "name": "approvals"},
        "message": {"type": "message", "ts": "1710498600.000001", "text": "…"},
        "response_url": "https://hooks.slack.com/actions/T0FAKE/1/abc",
        "actions": [{
            "action_id": action_id,
            "block_id": "autonomic_approval",
            "text": {"type": "plain_text", "text": "Approve"},
            "value": value,
            "style": "primary",
            "type": "button",
            "action_ts": "1710498660.123456"
        }]
    })
}

pub fn thread_reply(text: &str) -> Value {
    json!({
        "token": "verification-token-unused",
        "team_id": "T0FAKE",
        "api_app_id": "A0FAKE",
        "event": {
            "type": "message",
            "channel": "C0APPROVALS",
            "user": "U0BOB",
            "text": text,
            "ts": "1710498700.000200",
            "thread_ts": "1710498600.000001",
            "channel_type": "channel"
        },
        "type": "event_callback",
        "event_id": "Ev0001",
        "event_time": 1_710_498_700
    })
}

fn runs(channel: &str, ts: &str) -> Option<String> {
    (channel == "C0APPROVALS" && ts == "1710498600.000001").then(|| "wf-20240315-abc123".to_owned())
}

#[test]
fn approve_and_reject_buttons() {
    assert_eq!(
        answer_from_interaction(&block_actions("autonomic_approve", "wf-20240315-abc123")),
        Some(Answer {
            user_id: "U0ALICE".into(),
            action: AnswerAction::Approve,
            run_id: "wf-20240315-abc123".into(),
            message_ts: Some("1710498600.000001".into()),
            channel: "C0APPROVALS".into(),
        })
    );
    let reject = answer_from_interaction(&block_actions("autonomic_reject", "wf-1")).unwrap();
    assert_eq!(reject.action, AnswerAction::Reject);
    assert_eq!(reject.run_id, "wf-1");
}

#[test]
fn other_or_mangled_interactions_are_not_answers() {
    assert_eq!(
        answer_from_interaction(&block_actions("someone_elses", "wf-1")),
        None
    );
    assert_eq!(
        answer_from_interaction(&block_actions("autonomic_approve", "")),
        None
    );
    assert_eq!(
        answer_from_interaction(&block_actions("autonomic_approve", "wf 1\n")),
        None
    );
    assert_eq!(
        answer_from_interaction(&block_actions("autonomic_approve", &"x".repeat(201))),
        None
    );
    let mut p = block_actions("autonomic_approve", "wf-1");
    p["type"] = json!("view_submission");
    assert_eq!(answer_from_interaction(&p), None);
    let mut p = block_actions("autonomic_approve", "wf-1");
    p["user"]["id"] = json!("<!channel>");
    assert_eq!(answer_from_interaction(&p), None);
    let mut p = block_actions("autonomic_approve", "wf-1");
    p["actions"] = json!("nope");
    assert_eq!(answer_from_interaction(&p), None);
    assert_eq!(answer_from_interaction(&json!(null)), None);
    assert_eq!(answer_from_interaction(&json!([1, 2])), None);
}

#[test]
fn yes_and_no_in_the_thread() {
    let yes = answer_from_event(&thread_reply("yes"), runs).unwrap();
    assert_eq!(
        yes,
        Answer {
            user_id: "U0BOB".into(),
            action: AnswerAction::Approve,
            run_id: "wf-20240315-abc123".into(),
            message_ts: Some("1710498600.000001".into()),
            channel: "C0APPROVALS".into(),
        }
    );
    assert_eq!(
        answer_from_event(&thread_reply("  NO \n"), runs)
            .unwrap()
            .action,
        AnswerAction::Reject
    );
}

#[test]
fn cancel_and_resend_in_the_thread_may_name_its_run() {
    for (text, action) in [
        ("cancel", AnswerAction::Cancel),
        ("Cancel wf-20240315-abc123", AnswerAction::Cancel),
        ("resend", AnswerAction::Resend),
        ("approve", AnswerAction::Approve),
        ("reject", AnswerAction::Reject),
    ] {
        let a = answer_from_event(&thread_reply(text), runs).expect(text);
        assert_eq!(
            (a.action, a.run_id.as_str()),
            (action, "wf-20240315-abc123")
        );
    }
}

#[test]
fn slash_commands_name_verb_and_run() {
    let cmd = |text: &str| {
        json!({"command": "/autonomic", "text": text, "user_id": "U0BOB",
               "channel_id": "C0APPROVALS", "trigger_id": "1.2.3"})
    };
    let a = answer_from_slash_command(&cmd("cancel wf-20240315-abc123")).unwrap();
    assert_eq!(
        (a.action, a.run_id.as_str(), a.message_ts),
        (AnswerAction::Cancel, "wf-20240315-abc123", None)
    );
    assert_eq!(
        answer_from_slash_command(&cmd("approve wf-1"))
            .unwrap()
            .action,
        AnswerAction::Approve
    );
    for text in [
        "cancel",
        "",
        "delete wf-1",
        "cancel wf-1 wf-2",
        "cancel <!channel>",
    ] {
        assert_eq!(answer_from_slash_command(&cmd(text)), None, "{text:?}");
    }
    let mut bad_user = cmd("cancel wf-1");
    bad_user["user_id"] = json!("alice");
    assert_eq!(answer_from_slash_command(&bad_user), None);
}

#[test]
fn other_messages_are_not_answers() {
    for text in [
        "yes please",
        "y",
        "approve it",
        "",
        "no!",
        "cancel wf-other",
        "cancel wf-20240315-abc123 now",
        "yes wf-20240315-abc123",
    ] {
        assert_eq!(
            answer_from_event(&thread_reply(text), runs),
            None,
            "{text:?}"
        );
    }
    // Not in a known request's thread.
    assert_eq!(answer_from_event(&thread_reply("yes"), |_, _| None), None);
    let mut p = thread_reply("yes");
    p["event"].as_object_mut().unwrap().remove("thread_ts");
    assert_eq!(answer_from_event(&p, runs), None);
    let mut p = thread_reply("yes");
    p["event"]["subtype"] = json!("message_changed");
    assert_eq!(answer_from_event(&p, runs), None);
    let mut p = thread_reply("yes");
    p["event"]["bot_id"] = json!("B0FAKE");
    assert_eq!(answer_from_event(&p, runs), None);
    let mut p = thread_reply("yes");
    p["event"]["type"] = json!("app_mention");
    assert_eq!(answer_from_event(&p, runs), None);
}
