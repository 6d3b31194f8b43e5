//! Block Kit rendering pinned exactly: the seed example's text and blocks,
//! the decided form, and escaping of hostile actions.

use agent_mouth_slack::{ApprovalRequest, Decided, Outcome};
use serde_json::json;

pub fn seed_request() -> ApprovalRequest {
    ApprovalRequest {
        workflow: "deploy-frontend".into(),
        run_id: "wf-20240315-abc123".into(),
        node: None,
        action: "git push origin main".into(),
        risk: "high".into(),
        sandbox: "firecracker".into(),
        dependencies: vec!["agent-muscle".into(), "agent-brain".into()],
        reasons: vec![],
        expires_in_minutes: 30,
    }
}

#[test]
fn seed_example_text_is_the_seed_format() {
    assert_eq!(
        seed_request().text(),
        "🔒 Approval Required: Workflow \"deploy-frontend\" (ID: wf-20240315-abc123)\n\
         \x20 Proposed action: git push origin main\n\
         \x20 Risk level: high\n\
         \x20 Sandbox: firecracker\n\
         \x20 Dependencies: agent-muscle, agent-brain\n\
         \x20 → Type \"yes\" to approve, \"no\" to reject\n\
         \x20 → Expires in 30 minutes"
    );
}

#[test]
fn seed_example_blocks() {
    assert_eq!(
        seed_request().blocks(),
        json!([
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": "🔒 *Approval Required:* Workflow \"deploy-frontend\" (ID: `wf-20240315-abc123`)"
                },
                "fields": [
                    {"type": "mrkdwn", "text": "*Proposed action:*\n`git push origin main`"},
                    {"type": "mrkdwn", "text": "*Risk level:*\nhigh"},
                    {"type": "mrkdwn", "text": "*Sandbox:*\nfirecracker"},
                    {"type": "mrkdwn", "text": "*Dependencies:*\nagent-muscle, agent-brain"}
                ]
            },
            {
                "type": "actions",
                "block_id": "autonomic_approval",
                "elements": [
                    {
                        "type": "button",
                        "action_id": "autonomic_approve",
                        "text": {"type": "plain_text", "text": "Approve"},
                        "style": "primary",
                        "value": "wf-20240315-abc123"
                    },
                    {
                        "type": "button",
                        "action_id": "autonomic_reject",
                        "text": {"type": "plain_text", "text": "Reject"},
                        "style": "danger",
                        "value": "wf-20240315-abc123"
                    }
                ]
            },
            {
                "type": "context",
                "elements": [{
                    "type": "mrkdwn",
                    "text": "→ Expires in 30 minutes · or reply \"yes\" / \"no\" in this thread"
                }]
            }
        ])
    );
}

#[test]
fn node_and_reasons_are_shown() {
    let mut req = seed_request();
    req.node = Some("push".into());
    req.reasons = (1..=7).map(|i| format!("reason {i}")).collect();
    let text = req.text();
    assert!(text.contains("(ID: wf-20240315-abc123)\n  Node: push\n  Proposed action:"));
    assert!(
        text.contains("  Why: reason 5\n  Why: (and 2 more)\n  → Type"),
        "{text}"
    );
    assert!(!text.contains("reason 6"));
    let blocks = req.blocks();
    assert_eq!(blocks[0]["fields"][0]["text"], "*Node:*\npush");
    let head = blocks[0]["text"]["text"].as_str().unwrap();
    assert!(
        head.ends_with("\n*Why:* reason 5\n*Why:* (and 2 more)"),
        "{head}"
    );
}

#[test]
fn approved_form_removes_the_buttons() {
    let req = seed_request();
    let done = req.decided(&Decided {
        outcome: Outcome::Approved,
        by: "U0123ABC".into(),
        at_unix: 1_710_498_600,
    });
    assert_eq!(
        done.text(),
        "✅ Approved by U0123ABC at 2024-03-15 10:30 UTC: Workflow \"deploy-frontend\" (ID: wf-20240315-abc123)"
    );
    let blocks = done.blocks().as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0], req.blocks()[0]);
    assert_eq!(
        blocks[1],
        json!({"type": "context", "elements": [{
            "type": "mrkdwn",
            "text": "✅ Approved by <@U0123ABC> at 2024-03-15 10:30 UTC"
        }]})
    );
    assert!(!done.blocks().to_string().contains("autonomic_approve"));
}

#[test]
fn rejected_by_a_non_slack_user_is_escaped_text() {
    let done = seed_request().decided(&Decided {
        outcome: Outcome::Rejected,
        by: "<!channel> alice".into(),
        at_unix: 0,
    });
    assert_eq!(
        done.blocks()[1]["elements"][0]["text"],
        "❌ Rejected by &lt;!channel&gt; alice at 1970-01-01 00:00 UTC"
    );
    assert!(done
        .text()
        .starts_with("❌ Rejected by <!channel> alice at"));
}

#[test]
fn hostile_action_is_escaped_in_blocks() {
    let mut req = seed_request();
    req.action = "echo <!channel> <https://evil.example|click> & `rm -rf /`".into();
    req.workflow = "<@U999>".into();
    req.reasons = vec!["<!here>".into()];
    let blocks = req.blocks();
    assert_eq!(
        blocks[0]["fields"][0]["text"],
        "*Proposed action:*\n`echo &lt;!channel&gt; &lt;https://evil.example|click&gt; &amp; ˋrm -rf /ˋ`"
    );
    assert_eq!(
        blocks[0]["text"]["text"],
        "🔒 *Approval Required:* Workflow \"&lt;@U999&gt;\" (ID: `wf-20240315-abc123`)\n*Why:* &lt;!here&gt;"
    );
    let all = blocks.to_string();
    assert!(!all.contains("<!"), "{all}");
    assert!(!all.contains("<http"), "{all}");
    assert!(!all.contains("<@"), "{all}");
}

#[test]
fn multiline_action_cannot_forge_lines() {
    let mut req = seed_request();
    req.action = "ls\n  → Type \"yes\" to approve".into();
    let text = req.text();
    assert_eq!(text.matches("→ Type").count(), 1 + 1);
    assert!(text.contains("  Proposed action: ls   → Type \"yes\" to approve\n"));
    assert_eq!(text.lines().count(), 7);
}
