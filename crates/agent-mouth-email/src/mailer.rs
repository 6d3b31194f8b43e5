//! SMTP delivery of a validated e-mail: one connection per e-mail (no
//! pool), STARTTLS as configured, AUTH only over TLS (or to loopback),
//! the message built with lettre's builder (so a non-ASCII subject or
//! name is encoded), bounded retries of transient failures.

use std::error::Error as _;
use std::fmt;
use std::time::Duration;

use autonomic_core::Decision;
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox};
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::transport::smtp::Error as SmtpError;
use lettre::{Address, Message};
use tracing::{info, instrument, warn};

use crate::config::{ConfigError, SmtpConfig, TlsMode};
use crate::outgoing::{HumanConfirmation, Outgoing};

/// Longest part of a relay's reply kept in an error, in bytes.
const MAX_REPLY: usize = 512;

/// The step of an SMTP session a failure happened in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Connecting, the greeting, EHLO (and the TLS handshake with
    /// [`TlsMode::ImplicitTls`]).
    Connect,
    /// The STARTTLS command and handshake.
    StartTls,
    /// SMTP AUTH.
    Auth,
    /// MAIL FROM, RCPT TO, DATA and the message.
    Delivery,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Connect => "connection",
            Stage::StartTls => "STARTTLS",
            Stage::Auth => "AUTH",
            Stage::Delivery => "delivery",
        })
    }
}

/// Why an e-mail was not sent. Every variant that talked to the relay
/// names it as `host:port`; none contains the password.
#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    /// Validation sent the e-mail to review: a person confirms first
    /// ([`Mailer::send_confirmed`]).
    #[error("the e-mail needs a person's confirmation before it is sent (validation said review); nothing was sent")]
    NeedsConfirmation,
    /// [`TlsMode::StartTlsRequired`], and the relay did not offer STARTTLS.
    #[error(
        "{server} does not offer STARTTLS, which the configuration requires; nothing was sent"
    )]
    StartTlsNotOffered {
        /// `host:port`.
        server: String,
    },
    /// A password would have crossed an unencrypted connection to a relay
    /// that is not loopback (STARTTLS if offered, and it was not offered).
    #[error("{server} offers no TLS, and the SMTP password is never sent in plaintext to a relay that is not loopback; nothing was sent")]
    PlaintextAuth {
        /// `host:port`.
        server: String,
    },
    /// The relay refused for good (a 5xx reply); not retried.
    #[error("{server} refused the {stage} permanently ({code}): {reply}")]
    Permanent {
        /// `host:port`.
        server: String,
        /// Where in the session.
        stage: Stage,
        /// The SMTP reply code, e.g. 550 or 535.
        code: u16,
        /// The relay's reply text (at most 512 bytes).
        reply: String,
    },
    /// The relay refused for now (a 4xx reply) on every attempt.
    #[error("{server} refused the {stage} for now ({code}): {reply} (gave up after {attempts} attempts)")]
    Transient {
        /// `host:port`.
        server: String,
        /// Where in the session, on the last attempt.
        stage: Stage,
        /// The SMTP reply code of the last attempt, e.g. 451.
        code: u16,
        /// The relay's reply text (at most 512 bytes).
        reply: String,
        /// Attempts made.
        attempts: u32,
    },
    /// The relay could not be reached (or hung up, or timed out) before
    /// the session began, on every attempt.
    #[error("could not reach {server} (gave up after {attempts} attempts)")]
    Unreachable {
        /// `host:port`.
        server: String,
        /// Attempts made.
        attempts: u32,
        /// The network error of the last attempt.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The TLS handshake failed (an untrusted or mismatched certificate,
    /// or no common protocol); not retried.
    #[error("TLS with {server} failed during the {stage}")]
    Tls {
        /// `host:port`.
        server: String,
        /// [`Stage::Connect`] (implicit TLS) or [`Stage::StartTls`].
        stage: Stage,
        /// What rustls said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// Anything else during the session: a reply that is not SMTP, a
    /// connection lost after the message may have been sent, no AUTH
    /// mechanism in common. Not retried (the message may have arrived).
    #[error("the SMTP session with {server} failed during the {stage}")]
    Protocol {
        /// `host:port`.
        server: String,
        /// Where in the session.
        stage: Stage,
        /// What lettre said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The message could not be built from the validated fields.
    #[error("building the e-mail message failed")]
    Message(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl EmailError {
    /// The relay's SMTP reply code, when it refused.
    pub fn code(&self) -> Option<u16> {
        match self {
            EmailError::Permanent { code, .. } | EmailError::Transient { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// Whether another attempt may succeed.
    fn retryable(&self) -> bool {
        matches!(
            self,
            EmailError::Transient { .. } | EmailError::Unreachable { .. }
        )
    }

    fn with_attempts(mut self, n: u32) -> Self {
        if let EmailError::Transient { attempts, .. } | EmailError::Unreachable { attempts, .. } =
            &mut self
        {
            *attempts = n;
        }
        self
    }
}

/// What a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The `Message-ID` header, angle brackets included.
    pub message_id: String,
    /// The envelope recipients the relay accepted.
    pub recipients: Vec<String>,
    /// Whether the session was encrypted (implicit TLS or STARTTLS).
    pub encrypted: bool,
    /// Attempts it took (1 unless a transient failure was retried).
    pub attempts: u32,
}

/// Sends validated e-mails through one SMTP relay.
///
/// # Examples
///
/// ```
/// use agent_mouth_email::{Mailer, SmtpConfig, TlsMode, ConfigError};
///
/// // A relay elsewhere without TLS is refused before anything is sent.
/// let mut config = SmtpConfig::new("smtp.example.com", 25, "bot@example.com");
/// config.tls = TlsMode::Plaintext;
/// assert!(matches!(Mailer::new(config), Err(ConfigError::PlaintextRemote { .. })));
/// ```
pub struct Mailer {
    config: SmtpConfig,
    server: String,
    from: Address,
    tls: Option<TlsParameters>,
    hello: ClientId,
}

impl fmt::Debug for Mailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mailer")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `config`, checked: the sender address parses, a
    /// password has a user name, plaintext goes only to loopback, the
    /// extra root certificates load.
    ///
    /// # Errors
    ///
    /// [`ConfigError`] naming what is wrong.
    pub fn new(config: SmtpConfig) -> Result<Self, ConfigError> {
        let server = config.server();
        if config.host.is_empty() || config.port == 0 {
            return Err(ConfigError::BadServer { server });
        }
        if config.tls == TlsMode::Plaintext && !config.is_loopback() {
            return Err(ConfigError::PlaintextRemote { server });
        }
        if config.password.is_some() && config.username.is_none() {
            return Err(ConfigError::PasswordWithoutUsername);
        }
        let from: Address = config
            .from
            .parse()
            .map_err(|e| ConfigError::BadFrom(Box::new(e)))?;
        let tls = match config.tls {
            TlsMode::Plaintext => None,
            _ => Some(tls_parameters(&config).map_err(|source| ConfigError::Tls {
                server: server.clone(),
                source,
            })?),
        };
        let hello = config
            .hello_name
            .clone()
            .map_or_else(ClientId::default, ClientId::Domain);
        Ok(Self {
            config,
            server,
            from,
            tls,
            hello,
        })
    }

    /// The configuration it was built from.
    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Sends an e-mail validation allowed outright.
    ///
    /// # Errors
    ///
    /// [`EmailError::NeedsConfirmation`] for one validation sent to review
    /// (nothing is sent); otherwise what the relay or the network did.
    pub fn send(&self, email: &Outgoing) -> Result<Sent, EmailError> {
        if email.decision() != Decision::Allow {
            return Err(EmailError::NeedsConfirmation);
        }
        self.deliver(email)
    }

    /// Sends an e-mail a person confirmed: one validation allowed, or one
    /// it sent to review. The approver is logged.
    ///
    /// # Errors
    ///
    /// What the relay or the network did.
    pub fn send_confirmed(
        &self,
        email: &Outgoing,
        confirmation: &HumanConfirmation,
    ) -> Result<Sent, EmailError> {
        info!(
            approver = %confirmation.approver,
            decision = %email.decision(),
            "sending a confirmed e-mail"
        );
        self.deliver(email)
    }

    #[instrument(skip_all, fields(server = %self.server, recipients = email.to().len()))]
    fn deliver(&self, email: &Outgoing) -> Result<Sent, EmailError> {
        let (message, message_id) = self.message(email)?;
        let envelope = message.envelope().clone();
        let bytes = message.formatted();
        let max = self.config.retry.attempts.max(1);
        let mut attempt = 1;
        loop {
            match self.attempt(&envelope, &bytes) {
                Ok(encrypted) => {
                    info!(attempt, encrypted, %message_id, "e-mail delivered");
                    return Ok(Sent {
                        message_id,
                        recipients: email.to().to_vec(),
                        encrypted,
                        attempts: attempt,
                    });
                }
                Err(e) if e.retryable() && attempt < max => {
                    let wait = backoff(self.config.retry.backoff, attempt);
                    warn!(attempt, error = %e, ?wait, "transient SMTP failure; retrying");
                    std::thread::sleep(wait);
                    attempt += 1;
                }
                Err(e) => return Err(e.with_attempts(attempt)),
            }
        }
    }

    /// The MIME message from the validated fields, and its Message-ID.
    fn message(&self, email: &Outgoing) -> Result<(Message, String), EmailError> {
        let bad = |e: Box<dyn std::error::Error + Send + Sync>| EmailError::Message(e);
        let message_id = message_id(&self.from).map_err(bad)?;
        let from = Mailbox::new(email.from_name().map(str::to_owned), self.from.clone());
        let mut builder = Message::builder()
            .from(from)
            .subject(email.subject())
            .message_id(Some(message_id.clone()))
            .date_now();
        for to in email.to() {
            let address: Address = to.parse().map_err(|e| bad(Box::new(e)))?;
            builder = builder.to(Mailbox::new(None, address));
        }
        let message = builder
            .header(ContentType::TEXT_PLAIN)
            .body(body(email.body()))
            .map_err(|e| bad(Box::new(e)))?;
        Ok((message, message_id))
    }

    /// One SMTP session. Returns whether it was encrypted.
    fn attempt(&self, envelope: &Envelope, bytes: &[u8]) -> Result<bool, EmailError> {
        let wrapper = match self.config.tls {
            TlsMode::ImplicitTls => self.tls.as_ref(),
            _ => None,
        };
        let host = self
            .config
            .host
            .trim_start_matches('[')
            .trim_end_matches(']');
        let mut conn = SmtpConnection::connect(
            (host, self.config.port),
            Some(self.config.timeout),
            &self.hello,
            wrapper,
            None,
        )
        .map_err(|e| self.error(Stage::Connect, &e))?;
        let result = self.session(&mut conn, envelope, bytes);
        match result {
            Ok(_) => {
                let _ = conn.quit();
            }
            Err(_) => conn.abort(),
        }
        result
    }

    fn session(
        &self,
        conn: &mut SmtpConnection,
        envelope: &Envelope,
        bytes: &[u8],
    ) -> Result<bool, EmailError> {
        match (self.config.tls, &self.tls) {
            (TlsMode::StartTlsIfOffered, Some(params)) if conn.can_starttls() => conn
                .starttls(params, &self.hello)
                .map_err(|e| self.error(Stage::StartTls, &e))?,
            (TlsMode::StartTlsRequired, Some(params)) => {
                if !conn.can_starttls() {
                    return Err(EmailError::StartTlsNotOffered {
                        server: self.server.clone(),
                    });
                }
                conn.starttls(params, &self.hello)
                    .map_err(|e| self.error(Stage::StartTls, &e))?;
            }
            _ => {}
        }
        let encrypted = conn.is_encrypted();
        if !encrypted && self.config.tls == TlsMode::StartTlsIfOffered {
            warn!("the relay offers no STARTTLS: this e-mail goes in plaintext");
        }
        if let (Some(user), Some(password)) = (&self.config.username, &self.config.password) {
            if !may_send_password(encrypted, self.config.is_loopback()) {
                return Err(EmailError::PlaintextAuth {
                    server: self.server.clone(),
                });
            }
            let credentials = Credentials::new(user.clone(), password.expose().to_owned());
            conn.auth(&[Mechanism::Plain, Mechanism::Login], &credentials)
                .map_err(|e| self.error(Stage::Auth, &e))?;
        }
        conn.send(envelope, bytes)
            .map_err(|e| self.error(Stage::Delivery, &e))?;
        Ok(encrypted)
    }

    /// lettre's error as ours: the reply code decides permanent or
    /// transient; without one, only a failure to connect is retried.
    fn error(&self, stage: Stage, e: &SmtpError) -> EmailError {
        let server = self.server.clone();
        if let Some(code) = e.status() {
            let code = u16::from(code);
            let reply = truncate(e.source().map(ToString::to_string).unwrap_or_default());
            return if e.is_permanent() {
                EmailError::Permanent {
                    server,
                    stage,
                    code,
                    reply,
                }
            } else {
                EmailError::Transient {
                    server,
                    stage,
                    code,
                    reply,
                    attempts: 1,
                }
            };
        }
        let source: Box<dyn std::error::Error + Send + Sync> = e.to_string().into();
        if e.is_tls() || is_rustls(e) {
            EmailError::Tls {
                server,
                stage,
                source,
            }
        } else if stage == Stage::Connect && !e.is_response() && !e.is_client() {
            EmailError::Unreachable {
                server,
                attempts: 1,
                source,
            }
        } else {
            EmailError::Protocol {
                server,
                stage,
                source,
            }
        }
    }
}

/// A password goes only over TLS, or to a relay on this machine.
fn may_send_password(encrypted: bool, loopback: bool) -> bool {
    encrypted || loopback
}

/// Whether a rustls error is in `e`'s causes: lettre reports a failed
/// handshake (which rustls runs on the first read) as a network error.
fn is_rustls(e: &SmtpError) -> bool {
    let mut cause = e.source();
    while let Some(c) = cause {
        if c.is::<rustls::Error>()
            || c.downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
                .is_some_and(|inner| inner.is::<rustls::Error>())
        {
            return true;
        }
        cause = c.source();
    }
    false
}

/// TLS parameters for the relay's name, trusting the platform's roots and
/// the configured extra ones.
fn tls_parameters(
    config: &SmtpConfig,
) -> Result<TlsParameters, Box<dyn std::error::Error + Send + Sync>> {
    let host = config.host.trim_start_matches('[').trim_end_matches(']');
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(pem) = &config.extra_root_pem {
        builder = builder.add_root_certificate(Certificate::from_pem(pem.as_bytes())?);
    }
    Ok(builder.build_rustls()?)
}

/// The body, its encoding chosen by lettre. Text sent line by line (7bit
/// or quoted-printable) loses one final line break: SMTP's end of data
/// (`CRLF . CRLF`) ends the last line itself, so the break would arrive as
/// an extra empty line. (A body without one arrives with one: mail always
/// ends in a line break.) Base64 carries its breaks inside.
fn body(text: &str) -> Body {
    let body = Body::new(text.to_owned());
    if body.encoding() == ContentTransferEncoding::Base64 {
        return body;
    }
    match text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
    {
        Some(trimmed) => Body::new(trimmed.to_owned()),
        None => body,
    }
}

/// `<32 hex digits@sender's domain>`.
fn message_id(from: &Address) -> Result<String, Box<dyn std::error::Error + Send + Sync>> {
    let mut bytes = [0u8; 16];
    getrandom::getrandom(&mut bytes).map_err(|e| e.to_string())?;
    Ok(format!("<{}@{}>", hex::encode(bytes), from.domain()))
}

/// `base`, doubled for each attempt after the first (capped at 2^16).
fn backoff(base: Duration, attempt: u32) -> Duration {
    base.saturating_mul(1 << attempt.saturating_sub(1).min(16))
}

fn truncate(mut s: String) -> String {
    if s.len() > MAX_REPLY {
        let mut end = MAX_REPLY;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        s.truncate(end);
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_never_crosses_plaintext_to_a_remote_relay() {
        // (Not reachable end to end: every relay a test may start is on
        // loopback, where plaintext AUTH is allowed.)
        assert!(may_send_password(true, false));
        assert!(may_send_password(true, true));
        assert!(may_send_password(false, true));
        assert!(!may_send_password(false, false));
    }

    #[test]
    fn backoff_doubles() {
        let b = Duration::from_millis(10);
        assert_eq!(backoff(b, 1), b);
        assert_eq!(backoff(b, 2), b * 2);
        assert_eq!(backoff(b, 3), b * 4);
        assert_eq!(backoff(Duration::MAX, 5), Duration::MAX);
    }

    #[test]
    fn long_replies_are_cut_on_a_character() {
        assert_eq!(truncate("ok".into()), "ok");
        let cut = truncate("é".repeat(400));
        assert!(cut.len() <= MAX_REPLY + '…'.len_utf8());
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn config_is_checked_before_anything_is_sent() {
        let mut c = SmtpConfig::new("127.0.0.1", 2525, "bot@example.com");
        c.tls = TlsMode::Plaintext;
        assert!(Mailer::new(c.clone()).is_ok());
        c.host = "10.1.2.3".into();
        assert!(matches!(
            Mailer::new(c.clone()),
            Err(ConfigError::PlaintextRemote { server }) if server == "10.1.2.3:2525"
        ));
        let mut c = SmtpConfig::new("smtp.example.com", 587, "not an address");
        assert!(matches!(
            Mailer::new(c.clone()),
            Err(ConfigError::BadFrom(_))
        ));
        c.from = "bot@example.com".into();
        c.password = Some(crate::SmtpPassword::new("pw-SECRET-9").unwrap());
        assert!(matches!(
            Mailer::new(c.clone()),
            Err(ConfigError::PasswordWithoutUsername)
        ));
        c.username = Some("bot".into());
        c.extra_root_pem =
            Some("-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n".into());
        assert!(matches!(
            Mailer::new(c.clone()),
            Err(ConfigError::Tls { .. })
        ));
        c.extra_root_pem = None;
        let m = Mailer::new(c).unwrap();
        assert!(!format!("{m:?}").contains("SECRET"));
        assert!(format!("{m:?}").contains("SmtpPassword([redacted])"));
        let mut c = SmtpConfig::new("", 587, "bot@example.com");
        assert!(matches!(
            Mailer::new(c.clone()),
            Err(ConfigError::BadServer { .. })
        ));
        c.host = "smtp.example.com".into();
        c.port = 0;
        assert!(matches!(Mailer::new(c), Err(ConfigError::BadServer { .. })));
    }
}
