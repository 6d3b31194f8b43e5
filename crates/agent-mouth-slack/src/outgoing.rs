//! The one seam between agent-mouth's outbound validation and Slack.
//!
//! Every message this crate sends is an [`Outgoing`], which is
//! `agent_mouth::outbound::ValidatedMessage`: a type only agent-mouth's
//! `validate_outbound` constructs, and only for a message it did not deny.
//! The client reads its text and decision through the two functions below
//! and nothing else, and sends only what validation allowed outright (a
//! `review` needs a person first: refused here).

use autonomic_core::Decision;

pub use agent_mouth::outbound::ValidatedMessage as Outgoing;

/// The validated text (redacted where validation redacted).
pub(crate) fn text(message: &Outgoing) -> &str {
    message.text()
}

/// Validation's verdict; only [`Decision::Allow`] is sent.
pub(crate) fn decision(message: &Outgoing) -> Decision {
    message.decision()
}

/// A person's confirmation that a message validation put up for review
/// may be posted ([`crate::WebClient::chat_post_confirmed`]). The caller
/// (the engine that journaled the approval) vouches for it; the approver
/// is logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanConfirmation {
    /// Who confirmed (a user name or Slack user id), for the log.
    pub approver: String,
}

/// A message validated for Slack under `policy` (tests and callers that
/// build one from text).
///
/// # Errors
///
/// The verdict, when validation denied the text.
pub fn validate_for_slack(
    text: &str,
    policy: &agent_mouth::outbound::OutboundPolicy,
) -> Result<Outgoing, agent_mouth::outbound::OutboundVerdict> {
    let outcome = agent_mouth::outbound::validate_outbound(
        &agent_mouth::outbound::OutboundMessage {
            channel: agent_mouth::outbound::OutChannel::Slack,
            text: text.to_owned(),
        },
        policy,
    );
    outcome.validated.ok_or(outcome.verdict)
}
