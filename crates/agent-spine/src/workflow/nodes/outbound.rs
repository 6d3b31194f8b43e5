//! What the outbound nodes (a notify to Slack, e-mail or GitHub, a github
//! call) share: agent-mouth's decision taken the same way for all.
//!
//! - deny: the node is rejected, its error naming the rule ids and where
//!   they matched, with the redacted text (never a secret); nothing is sent;
//! - review: the node asks a human (a request saying what would be sent,
//!   redacted, and why it is under review, approved for exactly that
//!   content by its SHA-256); once approved it runs again and sends with the
//!   transport's `send_confirmed`, in the approver's name;
//! - allow: sent.
//!
//! Every decision and every send's result is audited as `mouth.outbound`
//! (channel, destination, decision, rule ids, sent or not, node and run;
//! the content only as a SHA-256). An outbound node modifies external
//! state: when the engine stops while it sends, it is not sent again
//! without a human (the engine's rule for such nodes).

use autonomic_core::audit::{sha256_hex, Kind};
use autonomic_core::Decision;
use serde_json::json;

use super::{outputs, Job, Outcome, Outputs, Report, Services};
use crate::channels::check::{capped, Checked};
use crate::workflow::approval::RequestFields;
use crate::workflow::event::EventKind;

/// The most characters of redacted content an error or request shows.
const SHOWN_CHARS: usize = 2000;

/// How a send is authorised.
pub(super) enum Authority<'a> {
    /// Validation allowed it.
    Allowed,
    /// A human approved it (validation's review): their name.
    Confirmed(&'a str),
}

/// A validated outbound action: where it goes and agent-mouth's verdict.
pub(super) struct Outbound {
    /// Where, as a human reads it (`#ops`, `a@example.com`, `octo/app#7`,
    /// `PUT /repos/o/r/pulls/1/merge`).
    pub destination: String,
    /// The verdict (channel, decision, findings, redacted content).
    pub checked: Checked,
}

impl Outbound {
    /// What a human approves: channel, destination and redacted content.
    fn sha256(&self) -> String {
        sha256_hex(&format!(
            "{}\n{}\n{}",
            self.checked.channel, self.destination, self.checked.redacted
        ))
    }

    fn channel_title(&self) -> &'static str {
        match self.checked.channel {
            "slack" => "Slack message",
            "email" => "e-mail",
            _ => "GitHub call",
        }
    }
}

/// Takes agent-mouth's decision on `out`; `send` does the sending (with
/// the transport's `send` or `send_confirmed`) and returns the outputs.
pub(super) fn deliver(
    job: &Job,
    services: &Services,
    report: &Report,
    out: &Outbound,
    send: impl FnOnce(Authority<'_>) -> Result<Outputs, String>,
) -> Outcome {
    let c = &out.checked;
    report(
        EventKind::Decision,
        json!({"layer": "mouth", "channel": c.channel, "destination": out.destination,
               "decision": c.decision, "rule_ids": c.rule_ids(),
               "summary": format!("{} to {}: {}", out.channel_title(), out.destination, c.decision)}),
    );
    let sha = out.sha256();
    match c.decision {
        Decision::Deny => {
            audit(job, services, out, json!({"sent": false}));
            denied(out)
        }
        Decision::Review if job.approved_sha256.as_deref() != Some(sha.as_str()) => {
            audit(
                job,
                services,
                out,
                json!({"sent": false, "awaiting": "a human's approval"}),
            );
            Outcome::NeedsApproval {
                fields: request(job, services, out, sha),
                transcript: Vec::new(),
            }
        }
        decision => {
            let approver = job.approved_by.as_deref().unwrap_or("unknown approver");
            let authority = if decision == Decision::Review {
                Authority::Confirmed(approver)
            } else {
                Authority::Allowed
            };
            let approved_by = (decision == Decision::Review).then_some(approver);
            match send(authority) {
                Ok(outputs) => {
                    audit(
                        job,
                        services,
                        out,
                        json!({"sent": true, "approved_by": approved_by}),
                    );
                    Outcome::Succeeded {
                        outputs,
                        route: None,
                    }
                }
                Err(e) => {
                    audit(
                        job,
                        services,
                        out,
                        json!({"sent": false, "error": e, "approved_by": approved_by}),
                    );
                    super::failed(format!(
                        "the {} to {} was not sent: {e}",
                        out.channel_title(),
                        out.destination
                    ))
                }
            }
        }
    }
}

/// The outcome of a denial: what denied it, where, and the redacted text.
fn denied(out: &Outbound) -> Outcome {
    let c = &out.checked;
    let deciding = c.deciding();
    let ids: Vec<&str> = deciding.iter().map(|f| f.rule_id.as_str()).collect();
    let wheres: Vec<String> = deciding
        .iter()
        .map(|f| format!("{} at {}", f.rule_id, f.location))
        .collect();
    Outcome::Rejected {
        why: format!(
            "agent-mouth denied the {} to {} ({}): nothing was sent; redacted: «{}»",
            out.channel_title(),
            out.destination,
            wheres.join(", "),
            capped(&c.redacted, SHOWN_CHARS)
        ),
        reasons: deciding.iter().map(|f| f.reason()).collect(),
        outputs: outputs([
            ("decision", Decision::Deny.to_string()),
            ("rule_ids", ids.join(",")),
        ]),
    }
}

/// The approval request for an outbound action under review.
fn request(job: &Job, services: &Services, out: &Outbound, sha: String) -> RequestFields {
    let c = &out.checked;
    RequestFields {
        workflow: job.workflow.name.clone(),
        run: job.run.to_string(),
        node: Some(job.node.id.clone()),
        action: format!(
            "send this {} to {} (as shown, secrets redacted):\n{}",
            out.channel_title(),
            out.destination,
            capped(&c.redacted, SHOWN_CHARS)
        ),
        risk: agent_mouth::Risk::High.to_string(),
        sandbox: "—".into(),
        dependencies: vec!["agent-mouth".into(), format!("{} transport", c.channel)],
        reasons: c
            .findings
            .iter()
            .filter(|f| f.decision != Decision::Allow)
            .map(|f| format!("under review: {}", f.reason()))
            .collect(),
        expires_in_minutes: services.config.mouth.slack_approval_timeout_minutes,
        command_sha256: Some(sha),
    }
}

/// `mouth.outbound`: the decision and what became of it.
fn audit(job: &Job, services: &Services, out: &Outbound, extra: serde_json::Value) {
    let c = &out.checked;
    let mut detail = json!({
        "run": job.run.to_string(),
        "node": job.node.id,
        "channel": c.channel,
        "destination": out.destination,
        "decision": c.decision,
        "rule_ids": c.rule_ids(),
        "content_sha256": out.sha256(),
    });
    if let (Some(d), Some(e)) = (detail.as_object_mut(), extra.as_object()) {
        d.extend(e.clone());
    }
    services.audit_run(&job.run, Kind::MouthOutbound, Some(c.decision), detail);
}
