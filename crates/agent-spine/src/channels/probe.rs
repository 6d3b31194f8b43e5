//! A test e-mail through the configured relay (`autonomic email test`):
//! the same path a notify node takes — the `[mouth]` policy, agent-mouth's
//! validation, the mailer from configuration — with a fixed, harmless text.

use std::path::Path;

use agent_mouth::outbound::{validate_email, EmailDraft};
use autonomic_core::config::Config;
use autonomic_core::Decision;
use serde::Serialize;

use super::{check, policy, setup};

/// What a test e-mail did.
#[derive(Debug, Clone, Serialize)]
pub struct EmailTest {
    /// The relay, `host:port`.
    pub relay: String,
    /// `[mouth] smtp_tls` as configured.
    pub tls: String,
    /// Whether the session was encrypted.
    pub encrypted: bool,
    /// The `Message-ID` header.
    pub message_id: String,
    /// The recipients the relay accepted.
    pub recipients: Vec<String>,
}

/// Why a test e-mail was not sent.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The channel is not set up.
    #[error(transparent)]
    Setup(#[from] setup::SetupError),
    /// agent-mouth did not allow it.
    #[error("agent-mouth's decision on the test e-mail is {decision} ({}): nothing was sent", .findings.join("; "))]
    NotAllowed {
        /// The decision.
        decision: Decision,
        /// The findings, as reason lines.
        findings: Vec<String>,
    },
    /// The relay or the network failed.
    #[error("the relay did not take the test e-mail: {0}")]
    Send(#[from] agent_mouth_email::EmailError),
}

impl autonomic_core::Hint for ProbeError {
    fn hint(&self) -> Option<String> {
        match self {
            ProbeError::Setup(e) => autonomic_core::Hint::hint(e),
            ProbeError::NotAllowed { .. } => Some(
                "every recipient must be listed in `[mouth] email_recipients` (an address, or `@domain`)"
                    .into(),
            ),
            ProbeError::Send(_) => None,
        }
    }
}

/// Sends the test e-mail to `to`.
///
/// # Errors
///
/// [`ProbeError`]: not configured, not allowed (nothing sent), not taken.
pub fn email_test(
    config: &Config,
    user_home: Option<&Path>,
    to: &[String],
) -> Result<EmailTest, ProbeError> {
    let mailer = setup::mailer(config)?;
    let draft = EmailDraft {
        from_name: Some("Autonomic".into()),
        to: to.to_vec(),
        subject: "Autonomic test e-mail".into(),
        body: "This is a test e-mail from `autonomic email test`: the relay in [mouth] \
               delivers what Autonomic sends.\n"
            .into(),
    };
    let outcome = validate_email(&draft, &policy::email(config, user_home));
    let mail = match outcome.validated {
        Some(m) if m.decision() == Decision::Allow => m,
        _ => {
            let checked = check::email(&outcome.verdict);
            return Err(ProbeError::NotAllowed {
                decision: checked.decision,
                findings: checked.deciding().iter().map(|f| f.reason()).collect(),
            });
        }
    };
    let sent = mailer.send(&mail)?;
    Ok(EmailTest {
        relay: mailer.config().server(),
        tls: config.mouth.smtp_tls.clone(),
        encrypted: sent.encrypted,
        message_id: sent.message_id,
        recipients: sent.recipients,
    })
}
