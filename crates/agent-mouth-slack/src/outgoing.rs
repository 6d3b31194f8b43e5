//! The one seam between agent-mouth's outbound validation and Slack.
//!
//! Every message this crate sends is an [`Outgoing`]: the client reads its
//! text and its validation decision through the two functions below and
//! nothing else, and refuses anything validation did not allow.
//!
//! **Placeholder.** `Outgoing` stands in for
//! `agent_mouth::outbound::ValidatedMessage` (being added on branch
//! `outbound`: a type only agent-mouth can construct, with `text()`,
//! `channel()` and `decision()`). To swap it, replace the placeholder
//! struct below with `pub use agent_mouth::outbound::ValidatedMessage as
//! Outgoing;` and adjust the crate-private `text` / `decision` functions below if its accessors return
//! other types. Nothing else in the crate names the placeholder's fields.

use autonomic_core::Decision;

/// A message that passed agent-mouth's outbound validation.
///
/// Placeholder for `agent_mouth::outbound::ValidatedMessage` (see the
/// module docs): until that exists, anyone can construct one, so callers
/// must only build it from a real validation result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    channel: String,
    text: String,
    decision: Decision,
}

impl Outgoing {
    /// Placeholder constructor, to be replaced by agent-mouth's
    /// validation: `channel` is the destination validation was asked about,
    /// `text` the exact text validated, `decision` its verdict.
    pub fn from_validation(channel: &str, text: &str, decision: Decision) -> Self {
        Self {
            channel: channel.to_owned(),
            text: text.to_owned(),
            decision,
        }
    }

    /// The destination validation was asked about.
    pub fn channel(&self) -> &str {
        &self.channel
    }

    /// The exact text validated.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Validation's verdict.
    pub fn decision(&self) -> Decision {
        self.decision
    }
}

/// The validated text.
pub(crate) fn text(message: &Outgoing) -> &str {
    message.text()
}

/// Validation's verdict; only [`Decision::Allow`] is sent.
pub(crate) fn decision(message: &Outgoing) -> Decision {
    message.decision()
}
