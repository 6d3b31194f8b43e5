//! The one seam between agent-mouth's e-mail validation and SMTP.
//!
//! Every e-mail this crate sends is an [`Outgoing`], which is
//! `agent_mouth::outbound::ValidatedEmail`: a type only agent-mouth's
//! `validate_email` constructs, and only for an e-mail it did not deny. Its
//! recipients were checked against the policy's allowed list there and are
//! not re-checked here; its subject, sender name and body are the redacted
//! texts. An `allow` is sent by [`Mailer::send`](crate::Mailer::send); a
//! `review` only by [`Mailer::send_confirmed`](crate::Mailer::send_confirmed)
//! with a [`HumanConfirmation`].

use agent_mouth::outbound::{validate_email, EmailDraft, EmailPolicy, EmailVerdict};

pub use agent_mouth::outbound::ValidatedEmail as Outgoing;

/// A person's confirmation that an e-mail validation sent to review may go
/// out. The caller (the engine that journaled the approval) vouches for
/// it; the approver is logged with the delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HumanConfirmation {
    /// Who confirmed (a user name or Slack user id), for the log.
    pub approver: String,
}

/// An e-mail validated under `policy` (tests and callers that build one
/// from a draft).
///
/// # Errors
///
/// The verdict, when validation denied the draft.
pub fn validate_for_email(
    draft: &EmailDraft,
    policy: &EmailPolicy,
) -> Result<Outgoing, EmailVerdict> {
    let outcome = validate_email(draft, policy);
    outcome.validated.ok_or(outcome.verdict)
}
