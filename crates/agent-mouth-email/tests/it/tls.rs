//! TLS and AUTH against a real relay: STARTTLS offered is used, required
//! but not offered sends nothing, an untrusted certificate is refused,
//! implicit TLS, AUTH over STARTTLS, a wrong password's 535, and the
//! password never printed.

use agent_mouth_email::{EmailError, Mailer, SmtpConfig, SmtpPassword, Stage, TlsMode};

use crate::relay::{Relay, RelayOptions};
use crate::{config, draft, test_pki, validated, TestPki};

const PASSWORD: &str = "correct-HORSE-battery-staple";

fn tls_relay(pki: &TestPki, opts: RelayOptions) -> Relay {
    Relay::start(&RelayOptions {
        tls: Some((pki.cert.clone(), pki.key.clone())),
        ..opts
    })
}

fn trusting(pki: &TestPki, mut c: SmtpConfig) -> SmtpConfig {
    c.extra_root_pem = Some(pki.ca_pem.clone());
    c
}

#[test]
fn starttls_offered_is_used() {
    let pki = test_pki();
    let relay = tls_relay(&pki, RelayOptions::default());
    let c = trusting(&pki, config(relay.port(), TlsMode::StartTlsIfOffered));
    let sent = Mailer::new(c).unwrap().send(&validated(&draft())).unwrap();
    assert!(sent.encrypted);
    let m = relay.only_message();
    assert_eq!(m["tls"], true);
    assert_eq!(m["starttls"], true);
    assert_eq!(m["subject"], "deploy-frontend needs approval");
}

#[test]
fn starttls_required_by_both_sides_works() {
    let pki = test_pki();
    let relay = tls_relay(
        &pki,
        RelayOptions {
            require_starttls: true,
            ..RelayOptions::default()
        },
    );
    let c = trusting(&pki, config(relay.port(), TlsMode::StartTlsRequired));
    let sent = Mailer::new(c).unwrap().send(&validated(&draft())).unwrap();
    assert!(sent.encrypted);
    assert_eq!(relay.only_message()["starttls"], true);
}

#[test]
fn starttls_required_but_not_offered_sends_nothing() {
    let relay = Relay::start(&RelayOptions::default());
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsRequired)).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    match &err {
        EmailError::StartTlsNotOffered { server } => {
            assert_eq!(server, &format!("127.0.0.1:{}", relay.port()));
        }
        other => panic!("{other:?}"),
    }
    assert!(relay.messages().is_empty());
}

#[test]
fn an_untrusted_certificate_is_refused_and_nothing_sent() {
    let pki = test_pki();
    let relay = tls_relay(&pki, RelayOptions::default());
    // No extra root: the relay's CA is not trusted. Opportunistic STARTTLS
    // does not fall back to plaintext after a failed handshake.
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    assert!(
        matches!(
            err,
            EmailError::Tls {
                stage: Stage::StartTls,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(relay.messages().is_empty());
}

#[test]
fn implicit_tls_speaks_tls_from_the_first_byte() {
    let pki = test_pki();
    let relay = tls_relay(
        &pki,
        RelayOptions {
            implicit_tls: true,
            ..RelayOptions::default()
        },
    );
    let c = trusting(&pki, config(relay.port(), TlsMode::ImplicitTls));
    let sent = Mailer::new(c).unwrap().send(&validated(&draft())).unwrap();
    assert!(sent.encrypted);
    let m = relay.only_message();
    assert_eq!(m["tls"], true);
    assert_eq!(m["starttls"], false);
}

fn auth_relay(pki: &TestPki) -> Relay {
    tls_relay(
        pki,
        RelayOptions {
            auth: Some(("bot".into(), PASSWORD.into())),
            ..RelayOptions::default()
        },
    )
}

fn with_password(pki: &TestPki, port: u16, password: &str) -> SmtpConfig {
    let mut c = trusting(pki, config(port, TlsMode::StartTlsIfOffered));
    c.username = Some("bot".into());
    c.password = Some(SmtpPassword::new(password).unwrap());
    c
}

#[test]
fn auth_with_a_password_over_starttls_works() {
    let pki = test_pki();
    let relay = auth_relay(&pki);
    let c = with_password(&pki, relay.port(), PASSWORD);
    let sent = Mailer::new(c).unwrap().send(&validated(&draft())).unwrap();
    assert!(sent.encrypted);
    let m = relay.only_message();
    assert_eq!(m["authenticated"], true);
    assert_eq!(m["auth_user"], "bot");
    assert_eq!(m["starttls"], true);
}

#[test]
fn a_wrong_password_is_a_535_not_retried_and_never_printed() {
    let pki = test_pki();
    let relay = auth_relay(&pki);
    let wrong = "wrong-PASSWORD-guess";
    let c = with_password(&pki, relay.port(), wrong);
    let mailer = Mailer::new(c).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    match &err {
        EmailError::Permanent {
            server,
            stage,
            code,
            ..
        } => {
            assert_eq!(server, &format!("127.0.0.1:{}", relay.port()));
            assert_eq!(*stage, Stage::Auth);
            assert_eq!(*code, 535);
        }
        other => panic!("{other:?}"),
    }
    let shown = format!("{err} {err:?} {mailer:?} {:?}", mailer.config());
    assert!(shown.contains("535"), "{shown}");
    assert!(!shown.contains("PASSWORD-guess"), "{shown}");
    assert_eq!(relay.events(), ["auth_failed"]);
    assert!(relay.messages().is_empty());
}

#[test]
fn debug_of_password_and_config_never_shows_the_password() {
    let p = SmtpPassword::new(PASSWORD).unwrap();
    let mut c = SmtpConfig::new("smtp.example.com", 587, "bot@example.com");
    c.username = Some("bot".into());
    c.password = Some(p.clone());
    for shown in [
        format!("{p}"),
        format!("{p:?}"),
        format!("{c:?}"),
        format!("{c:#?}"),
        format!("{:?}", Mailer::new(c.clone()).unwrap()),
    ] {
        assert!(!shown.contains("HORSE"), "{shown}");
    }
}
