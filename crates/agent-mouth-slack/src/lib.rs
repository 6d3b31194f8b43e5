//! agent-mouth-slack: the Slack transport for approval requests.
//!
//! What it owns: Slack's wire protocols — the Web API (`auth.test`,
//! `chat.postMessage`, `chat.update`, `apps.connections.open`, with Slack's
//! error codes, rate limits and retries), Socket Mode envelopes and their
//! acknowledgements, the request URL Slack may POST to instead
//! ([`RequestUrlServer`], every request's signature checked by
//! [`verify_request`] before it is read), and the Block Kit rendering of an approval request
//! ([`ApprovalRequest`]): the seed-format text, the blocks with Approve /
//! Reject buttons, and the decided form that replaces them. It also parses
//! what comes back (button clicks, `yes` / `no` thread replies) into
//! [`Answer`]s.
//!
//! What it must not do: decide approvals — it only delivers requests and
//! reports answers; the engine that journaled the request decides which
//! answer counts. It must not send anything that did not pass agent-mouth's
//! outbound validation: every message goes out through [`Outgoing`] and is
//! refused unless its decision is `allow` (see [`outgoing`] for the one
//! seam; `Outgoing` is agent-mouth's `ValidatedMessage`, which only its
//! validator constructs). It must not
//! read tokens or secrets from anywhere but the values it is given (no
//! environment, no files), nor print them: [`SlackToken`] and
//! [`SigningSecret`] redact themselves. It depends on agent-mouth and
//! autonomic-core only, never on agent-spine or another layer.
//!
//! # Examples
//!
//! ```
//! use agent_mouth_slack::ApprovalRequest;
//!
//! let req = ApprovalRequest {
//!     workflow: "deploy-frontend".into(),
//!     run_id: "wf-20240315-abc123".into(),
//!     node: None,
//!     action: "git push origin main".into(),
//!     risk: "high".into(),
//!     sandbox: "firecracker".into(),
//!     dependencies: vec!["agent-muscle".into(), "agent-brain".into()],
//!     reasons: vec![],
//!     expires_in_minutes: 30,
//! };
//! assert!(req.text().starts_with("🔒 Approval Required: Workflow \"deploy-frontend\""));
//! let blocks = req.blocks();
//! assert_eq!(blocks[1]["elements"][0]["action_id"], "autonomic_approve");
//! ```

mod answer;
mod blocks;
#[cfg(feature = "fake")]
pub mod fake;
pub mod outgoing;
mod request_url;
mod secret;
mod signing;
mod socket;
mod web;

pub use answer::{
    answer_from_event, answer_from_interaction, answer_from_slash_command, Answer, AnswerAction,
};
pub use autonomic_core::Decision;
pub use blocks::{
    escape, ApprovalRequest, Decided, Outcome, Rendered, ACTIONS_BLOCK_ID, APPROVE_ACTION_ID,
    REJECT_ACTION_ID,
};
pub use outgoing::{validate_for_slack, HumanConfirmation, Outgoing};
pub use request_url::{url_verification_body, RequestUrlError, RequestUrlServer, MAX_BODY_BYTES};
pub use secret::{SecretError, SigningSecret, SlackToken, TokenKind};
pub use signing::{sign_request, verify_request, VerifyError, MAX_CLOCK_SKEW_SECS};
pub use socket::{Envelope, EnvelopeKind, SocketError, SocketMode, SocketModeConfig};
pub use web::{AuthInfo, Posted, WebClient, WebClientBuilder, WebError, DEFAULT_BASE_URL};
