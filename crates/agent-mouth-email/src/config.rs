//! What a [`Mailer`](crate::Mailer) needs: the relay, how to secure the
//! connection, who sends, and how hard to retry. Checked once, when the
//! mailer is built, so a dangerous combination (plaintext to a remote
//! relay, a password with nowhere safe to send it) fails before any mail.

use std::net::IpAddr;
use std::time::Duration;

use crate::SmtpPassword;

/// How the connection to the relay is secured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TlsMode {
    /// Plain connection, upgraded with STARTTLS when the relay offers it
    /// (the usual port 25/587 setup). When it does not: mail goes in
    /// plaintext (logged as a warning), but a password never does, to a
    /// host that is not loopback ([`EmailError::PlaintextAuth`](crate::EmailError::PlaintextAuth)).
    #[default]
    StartTlsIfOffered,
    /// Plain connection that must be upgraded with STARTTLS; a relay that
    /// does not offer it gets nothing
    /// ([`EmailError::StartTlsNotOffered`](crate::EmailError::StartTlsNotOffered)).
    StartTlsRequired,
    /// TLS from the first byte (SMTPS, port 465).
    ImplicitTls,
    /// No TLS at all: only for a relay on a loopback address
    /// (`127.0.0.0/8`, `::1`, `localhost`); any other host is refused when
    /// the mailer is built.
    Plaintext,
}

/// How often and how patiently a transient failure (a 4xx reply, or a
/// relay that cannot be reached) is retried. Permanent failures (5xx),
/// TLS failures and failures after the message may have reached the relay
/// are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    /// Attempts in all, the first included (at least 1).
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each later one.
    pub backoff: Duration,
}

impl Default for Retry {
    /// Three attempts, waiting 2 s then 4 s.
    fn default() -> Self {
        Self {
            attempts: 3,
            backoff: Duration::from_secs(2),
        }
    }
}

/// The SMTP relay and the sender. `Debug` never shows the password.
///
/// # Examples
///
/// ```
/// use agent_mouth_email::{SmtpConfig, SmtpPassword, TlsMode};
///
/// let mut config = SmtpConfig::new("smtp.example.com", 587, "autonomic@example.com");
/// config.username = Some("autonomic".into());
/// config.password = Some(SmtpPassword::new("s3cret-app-password").unwrap());
/// assert_eq!(config.tls, TlsMode::StartTlsIfOffered);
/// assert!(!format!("{config:?}").contains("s3cret"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// The relay's host name or IP address (also the name its TLS
    /// certificate must carry).
    pub host: String,
    /// The relay's port (587 submission, 465 SMTPS, 25 relay).
    pub port: u16,
    /// How the connection is secured.
    pub tls: TlsMode,
    /// The sender's address (`From:` and the envelope sender).
    pub from: String,
    /// The SMTP AUTH user; `None`: no AUTH.
    pub username: Option<String>,
    /// The SMTP AUTH password; needs a `username`.
    pub password: Option<SmtpPassword>,
    /// Timeout of each network read and write (and of connecting).
    pub timeout: Duration,
    /// Extra trust anchors in PEM, added to the platform's (a self-hosted
    /// relay's own CA, or a test's).
    pub extra_root_pem: Option<String>,
    /// The name given in EHLO; `None`: `localhost`.
    pub hello_name: Option<String>,
    /// Retries of transient failures.
    pub retry: Retry,
}

impl SmtpConfig {
    /// A configuration for `host:port` sending as `from`, with STARTTLS if
    /// offered, no AUTH, a 30 s timeout and the default [`Retry`].
    pub fn new(host: impl Into<String>, port: u16, from: impl Into<String>) -> Self {
        Self {
            host: host.into(),
            port,
            tls: TlsMode::default(),
            from: from.into(),
            username: None,
            password: None,
            timeout: Duration::from_secs(30),
            extra_root_pem: None,
            hello_name: None,
            retry: Retry::default(),
        }
    }

    /// `host:port`, as errors name the relay.
    pub fn server(&self) -> String {
        match self.host.parse::<IpAddr>() {
            Ok(IpAddr::V6(ip)) => format!("[{ip}]:{}", self.port),
            _ => format!("{}:{}", self.host, self.port),
        }
    }

    /// Whether the relay is this machine: a loopback IP or `localhost`.
    pub fn is_loopback(&self) -> bool {
        let host = self.host.trim_start_matches('[').trim_end_matches(']');
        host.eq_ignore_ascii_case("localhost")
            || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// Why a configuration was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// [`TlsMode::Plaintext`] to a relay that is not loopback.
    #[error("plaintext SMTP to {server} refused: without TLS only a loopback relay may be used (choose STARTTLS or implicit TLS)")]
    PlaintextRemote {
        /// `host:port`.
        server: String,
    },
    /// A password without a user name.
    #[error("an SMTP password is configured without a username")]
    PasswordWithoutUsername,
    /// The sender's address is not one plain address.
    #[error("the sender address is not a plain local@domain address")]
    BadFrom(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// An empty host or a zero port.
    #[error("the SMTP relay needs a host and a non-zero port (got `{server}`)")]
    BadServer {
        /// `host:port` as given.
        server: String,
    },
    /// The extra root certificates could not be read, or TLS could not be
    /// set up with them.
    #[error("TLS setup for {server} failed (extra root certificates?)")]
    Tls {
        /// `host:port`.
        server: String,
        /// What rustls or the PEM parser said.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for host in [
            "127.0.0.1",
            "127.1.2.3",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
        ] {
            assert!(SmtpConfig::new(host, 25, "a@b.c").is_loopback(), "{host}");
        }
        for host in [
            "10.0.0.1",
            "smtp.example.com",
            "localhost.example.com",
            "::2",
        ] {
            assert!(!SmtpConfig::new(host, 25, "a@b.c").is_loopback(), "{host}");
        }
    }

    #[test]
    fn server_names_host_and_port() {
        assert_eq!(
            SmtpConfig::new("smtp.example.com", 587, "a@b.c").server(),
            "smtp.example.com:587"
        );
        assert_eq!(SmtpConfig::new("::1", 25, "a@b.c").server(), "[::1]:25");
    }

    #[test]
    fn debug_never_shows_the_password() {
        let mut c = SmtpConfig::new("smtp.example.com", 587, "a@b.c");
        c.username = Some("bot".into());
        c.password = Some(SmtpPassword::new("pa55-SECRET-word").unwrap());
        let shown = format!("{c:?} {c:#?}");
        assert!(!shown.contains("SECRET"), "{shown}");
        assert!(shown.contains("SmtpPassword([redacted])"), "{shown}");
    }
}
