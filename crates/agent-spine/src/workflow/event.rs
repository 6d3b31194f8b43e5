//! Events: every transition of a run, as journaled and as published on the
//! bus. The JSON form is versioned (`schema`) and documented in
//! `docs/events.md`; a change that is not an addition bumps the version.

use serde::{Deserialize, Serialize};

use super::state::RunId;

/// The `schema` field of every event this version publishes.
pub const SCHEMA: &str = "autonomic.workflow.event/1";

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// A run was created from a workflow file (data: workflow name, file,
    /// its SHA-256, repository, variables).
    RunStarted,
    /// A run changed state (data: `from`, `to`, `why`).
    RunState,
    /// A node changed state (data: `from`, `to`, `why`, `attempt`, and
    /// `outputs` when it ended well).
    NodeState,
    /// A layer decided something about a node's work (data: `layer` —
    /// mouth, immune, muscle, spine — `decision`, `rule_ids`, `summary`).
    Decision,
    /// An approval request was journaled and sent (data: request id, the
    /// request's text, `expires_at`).
    ApprovalRequested,
    /// An answer to an approval request was accepted or refused (data:
    /// request id, `decision`, `by`, `via`, `accepted`, `why`).
    ApprovalAnswered,
    /// A `notify` node's message.
    Notify,
    /// A step of an `agent` node or a line of progress (data: free form).
    Progress,
}

impl EventKind {
    /// The name used in NATS subjects (`autonomic.wf.<id>.<name>`) and the
    /// journal.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventKind::RunStarted => "run_started",
            EventKind::RunState => "run_state",
            EventKind::NodeState => "node_state",
            EventKind::Decision => "decision",
            EventKind::ApprovalRequested => "approval_requested",
            EventKind::ApprovalAnswered => "approval_answered",
            EventKind::Notify => "notify",
            EventKind::Progress => "progress",
        }
    }

    /// Parses a journaled name.
    pub fn parse(s: &str) -> Option<EventKind> {
        [
            EventKind::RunStarted,
            EventKind::RunState,
            EventKind::NodeState,
            EventKind::Decision,
            EventKind::ApprovalRequested,
            EventKind::ApprovalAnswered,
            EventKind::Notify,
            EventKind::Progress,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One event, as journaled (with its sequence number) and published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    /// Always [`SCHEMA`] for events of this version.
    pub schema: String,
    /// The journal's sequence number: increasing, never reused.
    pub seq: u64,
    /// When, RFC 3339 UTC.
    pub at: String,
    /// The run.
    pub run: RunId,
    /// The node, for node events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    /// What happened.
    pub kind: EventKind,
    /// The details, by kind (see [`EventKind`]).
    pub data: serde_json::Value,
}

impl Event {
    /// The NATS subject it is published on: `autonomic.wf.<run>.<kind>`.
    pub fn subject(&self) -> String {
        format!("autonomic.wf.{}.{}", self.run, self.kind.as_str())
    }
}
