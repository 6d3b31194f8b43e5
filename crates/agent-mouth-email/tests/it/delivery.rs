//! Delivery to a real relay without TLS: the message arrives exactly as
//! validated (recipients, headers, body, non-ASCII encoded and decoded
//! back), review waits for a person, 4xx is retried and 5xx is not, and a
//! denied draft has nothing to send.

use agent_mouth::outbound::EmailDraft;
use agent_mouth::Decision;
use agent_mouth_email::{
    validate_for_email, EmailError, HumanConfirmation, Mailer, Stage, TlsMode,
};

use crate::relay::{Relay, RelayOptions};
use crate::{config, draft, policy, validated};

fn plain_relay() -> Relay {
    Relay::start(&RelayOptions::default())
}

#[test]
fn a_plain_delivery_arrives_exactly_as_validated() {
    let relay = plain_relay();
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let d = EmailDraft {
        to: vec!["oncall@example.com".into(), "ana@OPS.example.org".into()],
        ..draft()
    };
    let sent = mailer.send(&validated(&d)).unwrap();
    assert_eq!(
        sent.recipients,
        ["oncall@example.com", "ana@ops.example.org"]
    );
    assert_eq!(sent.attempts, 1);
    assert!(!sent.encrypted, "this relay offers no STARTTLS");
    assert!(sent.message_id.starts_with('<') && sent.message_id.ends_with("@example.com>"));

    let m = relay.only_message();
    assert_eq!(m["mail_from"], "autonomic@example.com");
    assert_eq!(
        m["rcpt_tos"],
        serde_json::json!(["oncall@example.com", "ana@ops.example.org"])
    );
    assert_eq!(m["subject"], "deploy-frontend needs approval");
    assert_eq!(m["from"], "Autonomic <autonomic@example.com>");
    assert_eq!(m["to"], "oncall@example.com, ana@ops.example.org");
    assert_eq!(m["message_id"], sent.message_id.as_str());
    assert_eq!(m["content_type"], "text/plain");
    assert_eq!(m["body"], draft().body.as_str());
    assert_eq!(m["tls"], false);
    assert_eq!(m["authenticated"], false);
}

#[test]
fn a_non_ascii_subject_is_encoded_and_decodes_back_equal() {
    let relay = plain_relay();
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let subject = "Déploiement réussi ✅ — 部署 «ok»";
    let d = EmailDraft {
        from_name: Some("Zoë Ünïcødé".into()),
        subject: subject.into(),
        body: "Grüße aus Köln — 你好\n".into(),
        ..draft()
    };
    mailer.send(&validated(&d)).unwrap();
    let m = relay.only_message();
    // Decoded by Python's email package, an independent decoder.
    assert_eq!(m["subject"], subject);
    assert_eq!(m["from"], "Zoë Ünïcødé <autonomic@example.com>");
    assert_eq!(m["body"], "Grüße aus Köln — 你好\n");
    // On the wire, every header is ASCII (RFC 2047 encoded words).
    let raw = m["raw"].as_str().unwrap();
    let headers = &raw[..raw.find("\r\n\r\n").unwrap()];
    assert!(headers.is_ascii(), "{headers}");
    assert!(headers.contains("Subject: =?utf-8?"), "{headers}");

    // Mostly ASCII (quoted-printable), some non-ASCII (base64) and plain
    // ASCII (7bit) bodies, with
    // and without a final line break, arrive as given (a missing final
    // break is added: mail ends in one).
    for (body, arrives) in [
        ("Café prêt\nok\n", "Café prêt\nok\n"),
        (
            "A long line of plain words, then one é.\n",
            "A long line of plain words, then one é.\n",
        ),
        ("plain\n\nlines\n", "plain\n\nlines\n"),
        ("no final break", "no final break\n"),
        ("", "\n"),
    ] {
        let d = EmailDraft {
            body: body.into(),
            ..draft()
        };
        let before = relay.messages().len();
        mailer.send(&validated(&d)).unwrap();
        let all = relay.messages();
        assert_eq!(all.len(), before + 1);
        assert_eq!(all[before]["body"], arrives, "{body:?}");
    }
}

#[test]
fn review_is_sent_only_after_a_person_confirms_and_then_redacted() {
    let relay = plain_relay();
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let secret = "q8Zx3LmP0vR7tYw2Kc9B";
    let d = EmailDraft {
        body: format!("db password: {secret}\n"),
        ..draft()
    };
    let email = validated(&d);
    assert_eq!(email.decision(), Decision::Review);

    let err = mailer.send(&email).unwrap_err();
    assert!(matches!(err, EmailError::NeedsConfirmation), "{err:?}");
    assert!(relay.messages().is_empty());

    let who = HumanConfirmation {
        approver: "U024BE7LH".into(),
    };
    mailer.send_confirmed(&email, &who).unwrap();
    let m = relay.only_message();
    assert_eq!(m["body"], "db password: …[redacted]\n");
    assert!(!m["raw"].as_str().unwrap().contains(secret));
}

#[test]
fn a_451_is_retried_and_the_second_attempt_delivers() {
    let relay = Relay::start(&RelayOptions {
        defer: 1,
        ..RelayOptions::default()
    });
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let sent = mailer.send(&validated(&draft())).unwrap();
    assert_eq!(sent.attempts, 2);
    assert_eq!(relay.events(), ["data_deferred"]);
    let m = relay.only_message();
    assert_eq!(m["message_id"], sent.message_id.as_str());
}

#[test]
fn a_451_every_time_gives_up_after_the_configured_attempts() {
    let relay = Relay::start(&RelayOptions {
        defer: 10,
        ..RelayOptions::default()
    });
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    let server = format!("127.0.0.1:{}", relay.port());
    match &err {
        EmailError::Transient {
            server: s,
            stage,
            code,
            attempts,
            reply,
        } => {
            assert_eq!(s, &server);
            assert_eq!(*stage, Stage::Delivery);
            assert_eq!(*code, 451);
            assert_eq!(*attempts, 3);
            assert!(reply.contains("try again later"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), Some(451));
    let shown = err.to_string();
    assert!(shown.contains(&server) && shown.contains("451"), "{shown}");
    assert_eq!(relay.events(), ["data_deferred"; 3]);
    assert!(relay.messages().is_empty());
}

#[test]
fn a_550_is_permanent_and_not_retried() {
    let relay = Relay::start(&RelayOptions {
        reject: vec!["oncall@example.com".into()],
        ..RelayOptions::default()
    });
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    match &err {
        EmailError::Permanent {
            stage, code, reply, ..
        } => {
            assert_eq!(*stage, Stage::Delivery);
            assert_eq!(*code, 550);
            assert!(reply.contains("mailbox unavailable"), "{reply}");
        }
        other => panic!("{other:?}"),
    }
    let shown = err.to_string();
    assert!(
        shown.contains(&format!("127.0.0.1:{}", relay.port())) && shown.contains("550"),
        "{shown}"
    );
    assert_eq!(relay.events(), ["rcpt_rejected"]);
    assert!(relay.messages().is_empty());
}

#[test]
fn a_denied_draft_has_nothing_to_send() {
    let relay = plain_relay();
    let cases = [
        (
            EmailDraft {
                body: "creds: AKIAIOSFODNN7EXAMPLE\n".into(),
                ..draft()
            },
            "out.secret.aws_access_key_id",
        ),
        (
            EmailDraft {
                to: vec!["boss@evil.example".into()],
                ..draft()
            },
            "out.email.recipient",
        ),
        (
            EmailDraft {
                subject: "hi\r\nBcc: boss@evil.example".into(),
                ..draft()
            },
            "out.email.header_injection",
        ),
        (
            EmailDraft {
                to: vec!["oncall@example.com, boss@evil.example".into()],
                ..draft()
            },
            "out.email.malformed_address",
        ),
    ];
    for (d, rule) in cases {
        let verdict = validate_for_email(&d, &policy()).expect_err(rule);
        assert_eq!(verdict.decision, Decision::Deny, "{rule}");
        assert!(
            verdict.findings.iter().any(|f| f.rule_id == rule),
            "{rule}: {:?}",
            verdict.findings
        );
    }
    // The same relay still takes a valid one: it was reachable all along.
    assert!(relay.messages().is_empty());
    let mailer = Mailer::new(config(relay.port(), TlsMode::StartTlsIfOffered)).unwrap();
    mailer.send(&validated(&draft())).unwrap();
    assert_eq!(relay.messages().len(), 1);
}

#[test]
fn an_unreachable_relay_is_retried_then_named() {
    let port = {
        let l = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        l.local_addr().unwrap().port()
    };
    let mailer = Mailer::new(config(port, TlsMode::StartTlsIfOffered)).unwrap();
    let err = mailer.send(&validated(&draft())).unwrap_err();
    match &err {
        EmailError::Unreachable {
            server, attempts, ..
        } => {
            assert_eq!(server, &format!("127.0.0.1:{port}"));
            assert_eq!(*attempts, 3);
        }
        other => panic!("{other:?}"),
    }
}
