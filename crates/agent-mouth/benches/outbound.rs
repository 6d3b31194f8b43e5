//! Latency of outbound validation: what every Slack message, GitHub call
//! and e-mail costs before it is sent.
//!
//! ```text
//! cargo bench -p agent-mouth --bench outbound
//! ```

use std::hint::black_box;

use agent_mouth::outbound::{
    validate_api_call, validate_email, validate_outbound, ApiCall, EmailDraft, EmailPolicy,
    OutChannel, OutboundMessage, OutboundPolicy,
};
use criterion::{Criterion, Throughput};

/// The seed-format approval request, as the Slack outbox validates it.
const REQUEST: &str = "🔒 Approval Required: Workflow \"deploy-frontend\" (ID: wf-20240315-abc123)\n  Node: push\n  Proposed action: git push origin main\n  Risk level: high\n  Sandbox: firecracker\n  Dependencies: agent-muscle, agent-brain\n  → Type \"yes\" to approve, \"no\" to reject\n  → Expires in 30 minutes";

/// A long review comment: prose, code, links, a few mentions.
fn comment(bytes: usize) -> String {
    let para = "The retry loop in `client.rs` now backs off exponentially (see https://github.com/octo/app/pull/42 and the \
                docs at https://docs.github.com/rest). @alice reviewed the change; tests pass on CI.\n\n```rust\nlet wait = backoff * 2u32.pow(attempt);\n```\n\n";
    para.repeat(bytes / para.len() + 1)[..bytes].to_owned()
}

fn policy() -> OutboundPolicy {
    OutboundPolicy {
        allowed_hosts: vec!["github.com".into(), "*.github.com".into()],
        ..OutboundPolicy::default()
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let policy = policy();
    let mut g = c.benchmark_group("outbound");
    let request = OutboundMessage {
        channel: OutChannel::Slack,
        text: REQUEST.to_owned(),
    };
    g.throughput(Throughput::Bytes(REQUEST.len() as u64));
    g.bench_function("slack_request", |b| {
        b.iter(|| validate_outbound(black_box(&request), &policy))
    });
    let long = OutboundMessage {
        channel: OutChannel::GitHub,
        text: comment(60 * 1024),
    };
    g.throughput(Throughput::Bytes(long.text.len() as u64));
    g.bench_function("github_comment_60k", |b| {
        b.iter(|| validate_outbound(black_box(&long), &policy))
    });
    let body = serde_json::json!({
        "title": "Back off exponentially",
        "head": "retry", "base": "main",
        "body": comment(4 * 1024),
    })
    .to_string();
    let call = ApiCall {
        method: "POST".into(),
        path: "/repos/octo/app/pulls".into(),
        body: Some(body.clone()),
    };
    g.throughput(Throughput::Bytes(body.len() as u64));
    g.bench_function("github_pull_request_4k", |b| {
        b.iter(|| validate_api_call(black_box(&call), &policy))
    });
    let draft = EmailDraft {
        from_name: Some("Autonomic".into()),
        to: vec!["oncall@example.com".into()],
        subject: "deploy-frontend needs approval".into(),
        body: comment(2 * 1024),
    };
    let email_policy = EmailPolicy {
        outbound: policy.clone(),
        allowed_recipients: vec!["@example.com".into()],
    };
    g.throughput(Throughput::Bytes(draft.body.len() as u64));
    g.bench_function("email_2k", |b| {
        b.iter(|| validate_email(black_box(&draft), &email_policy))
    });
    g.finish();
    c.final_summary();
}
