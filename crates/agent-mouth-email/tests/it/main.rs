//! agent-mouth-email's integration tests: one binary, shared helpers. Every
//! delivery test talks to a real SMTP relay (aiosmtpd) on a loopback port.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

mod delivery;
mod relay;
mod tls;

use std::path::PathBuf;
use std::time::Duration;

use agent_mouth::outbound::{EmailDraft, EmailPolicy, OutboundPolicy};
use agent_mouth_email::{validate_for_email, Outgoing, Retry, SmtpConfig, TlsMode};

/// A test CA and a relay certificate it signed for `127.0.0.1` and
/// `localhost`, written as PEM files.
pub(crate) struct TestPki {
    _dir: tempfile::TempDir,
    /// The CA certificate (PEM), the trust anchor a mailer adds.
    pub ca_pem: String,
    /// The relay's certificate chain file.
    pub cert: PathBuf,
    /// The relay's key file.
    pub key: PathBuf,
}

/// Made with rcgen (ring), per run: no key material in the repository and
/// nothing to expire.
pub(crate) fn test_pki() -> TestPki {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "agent-mouth-email test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);

    let key = KeyPair::generate().unwrap();
    let mut params =
        CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "test relay");
    let cert = params.signed_by(&key, &issuer).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let cert_path = dir.path().join("relay.pem");
    let key_path = dir.path().join("relay.key");
    fs_err::write(&cert_path, cert.pem()).unwrap();
    fs_err::write(&key_path, key.serialize_pem()).unwrap();
    TestPki {
        _dir: dir,
        ca_pem: ca.pem(),
        cert: cert_path,
        key: key_path,
    }
}

/// Allowed: `oncall@example.com` and anyone at `ops.example.org`.
pub(crate) fn policy() -> EmailPolicy {
    EmailPolicy {
        outbound: OutboundPolicy {
            allowed_hosts: vec!["github.com".into()],
            ..OutboundPolicy::default()
        },
        allowed_recipients: vec!["oncall@example.com".into(), "@ops.example.org".into()],
    }
}

/// An ordinary approval notification.
pub(crate) fn draft() -> EmailDraft {
    EmailDraft {
        from_name: Some("Autonomic".into()),
        to: vec!["oncall@example.com".into()],
        subject: "deploy-frontend needs approval".into(),
        body: "Run wf-20240315-abc123 waits: https://github.com/o/r/pull/7\nReply in Slack.\n"
            .into(),
    }
}

/// `draft` validated under `policy()`; panics when denied.
#[track_caller]
pub(crate) fn validated(draft: &EmailDraft) -> Outgoing {
    validate_for_email(draft, &policy()).unwrap_or_else(|v| panic!("denied: {v:#?}"))
}

/// A config for the relay on `port`: 127.0.0.1, the given TLS mode, short
/// timeouts and backoff (tests never wait on a clock).
pub(crate) fn config(port: u16, tls: TlsMode) -> SmtpConfig {
    let mut c = SmtpConfig::new("127.0.0.1", port, "autonomic@example.com");
    c.tls = tls;
    c.timeout = Duration::from_secs(20);
    c.retry = Retry {
        attempts: 3,
        backoff: Duration::from_millis(10),
    };
    c
}

/// The public types cross threads (tokio's habit: a compile-time check).
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<agent_mouth_email::Mailer>();
    check::<agent_mouth_email::SmtpConfig>();
    check::<agent_mouth_email::SmtpPassword>();
    check::<agent_mouth_email::Outgoing>();
    check::<agent_mouth_email::EmailError>();
    check::<agent_mouth_email::ConfigError>();
    check::<agent_mouth_email::Sent>();
}
