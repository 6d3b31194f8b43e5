//! agent-mouth-email: the e-mail transport for outbound messages (issue
//! 18).
//!
//! What it owns: SMTP — one session per e-mail through a configured relay
//! ([`SmtpConfig`]), secured as configured ([`TlsMode`]: STARTTLS when
//! offered by default, STARTTLS required, implicit TLS, or plaintext to a
//! loopback relay only), SMTP AUTH, the MIME message built from the
//! validated fields (lettre's builder encodes a non-ASCII subject or sender
//! name), the relay's replies as typed errors naming `host:port` and the
//! reply code ([`EmailError`]), and bounded retries of transient (4xx)
//! failures.
//!
//! What it must not do: send anything that did not pass agent-mouth's
//! e-mail validation. [`Mailer::send`] takes only an [`Outgoing`], which is
//! agent-mouth's `ValidatedEmail`, built by `validate_email` alone (see
//! [`outgoing`], the one seam): recipients are the policy's allowed ones,
//! headers carry no line breaks, secrets are redacted. A `review` is sent
//! only with a [`HumanConfirmation`] ([`Mailer::send_confirmed`]). It must
//! not send a password where it could be read: never over plaintext to a
//! relay that is not loopback ([`EmailError::PlaintextAuth`]). It must not
//! read the environment or files for secrets (the caller reads the variable
//! its configuration names and passes an [`SmtpPassword`], which prints as
//! `[redacted]`), nor log a subject, body or password. It depends on
//! agent-mouth and autonomic-core only, never on agent-spine or another
//! layer.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::outbound::{EmailDraft, EmailPolicy};
//! use agent_mouth_email::{validate_for_email, Mailer, SmtpConfig, TlsMode};
//!
//! let policy = EmailPolicy {
//!     allowed_recipients: vec!["@ops.example.com".into()],
//!     ..EmailPolicy::default()
//! };
//! let draft = EmailDraft {
//!     from_name: Some("Autonomic".into()),
//!     to: vec!["oncall@ops.example.com".into()],
//!     subject: "deploy-frontend needs approval".into(),
//!     body: "Run wf-20240315-abc123 waits for you.".into(),
//! };
//! let email = validate_for_email(&draft, &policy).expect("allowed");
//!
//! let mut config = SmtpConfig::new("127.0.0.1", 2525, "autonomic@example.com");
//! config.tls = TlsMode::StartTlsRequired;
//! let mailer = Mailer::new(config).unwrap();
//! # let _ = (mailer, email);
//! // mailer.send(&email)?; // -> Sent { message_id, recipients, encrypted, attempts }
//! ```

mod config;
mod mailer;
pub mod outgoing;
mod secret;

pub use config::{ConfigError, Retry, SmtpConfig, TlsMode};
pub use mailer::{EmailError, Mailer, Sent, Stage};
pub use outgoing::{validate_for_email, HumanConfirmation, Outgoing};
pub use secret::{SecretError, SmtpPassword};
