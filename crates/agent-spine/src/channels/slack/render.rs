//! A journaled request as Slack shows it: the request's structured fields
//! as an [`ApprovalRequest`], and how it ended as a [`Decided`] line.

use agent_mouth_slack::{ApprovalRequest, Decided, Outcome};
use serde_json::Value;

use crate::workflow::journal::{Decision, DecisionOutcome, Request, RequestStatus, Verdict};

/// The request's fields (journaled as [`crate::workflow::approval::RequestFields`]).
pub(super) fn approval_request(req: &Request) -> ApprovalRequest {
    let f = &req.fields;
    let text = |key: &str| f.get(key).and_then(Value::as_str).unwrap_or("—").to_owned();
    let list = |key: &str| -> Vec<String> {
        f.get(key)
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    ApprovalRequest {
        workflow: text("workflow"),
        run_id: req.run.to_string(),
        node: req.node.clone(),
        action: text("action"),
        risk: text("risk"),
        sandbox: text("sandbox"),
        dependencies: list("dependencies"),
        reasons: list("reasons"),
        expires_in_minutes: f
            .get("expires_in_minutes")
            .and_then(Value::as_u64)
            .and_then(|m| u32::try_from(m).ok())
            .unwrap_or(0),
    }
}

/// How `req` ended, from the run's decisions: the accepted decision that
/// answered it (or cancelled the run), else its status.
pub(super) fn ended(req: &Request, decisions: &[Decision], now_unix: i64) -> Decided {
    let accepted = |d: &&Decision| d.outcome == Some(DecisionOutcome::Accepted);
    let answered = decisions
        .iter()
        .filter(accepted)
        .find(|d| d.request.as_deref() == Some(req.id.as_str()));
    let cancelled = decisions
        .iter()
        .filter(accepted)
        .find(|d| d.verdict == Verdict::Cancel);
    let decided = |outcome, d: &Decision| Decided {
        outcome,
        by: d.by.clone(),
        at_unix: d.at.unix_timestamp(),
    };
    let nobody = |outcome, at_unix| Decided {
        outcome,
        by: String::new(),
        at_unix,
    };
    match (answered, cancelled) {
        (Some(d), _) => decided(
            match d.verdict {
                Verdict::Approve => Outcome::Approved,
                Verdict::Reject => Outcome::Rejected,
                Verdict::Cancel => Outcome::Cancelled,
            },
            d,
        ),
        (None, Some(d)) => decided(Outcome::Cancelled, d),
        (None, None) => match req.status {
            RequestStatus::Superseded => nobody(Outcome::Superseded, now_unix),
            RequestStatus::Open => nobody(Outcome::Expired, req.expires_at.unix_timestamp()),
            RequestStatus::Answered | RequestStatus::Closed => nobody(Outcome::Closed, now_unix),
        },
    }
}
