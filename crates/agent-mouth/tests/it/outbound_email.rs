//! E-mail validation through the public API: recipients against the
//! allow list, address smuggling, header injection, the subject's length,
//! the outbound rules on every text field (naming the field), redaction,
//! and properties: arbitrary drafts never panic, a GitHub token in the
//! subject or body always denies and never survives.

use agent_mouth::outbound::{
    validate_email, EmailDraft, EmailField, EmailOutcome, EmailPolicy, OutboundPolicy,
    ValidatedEmail, MAX_HEADER_OCTETS, MAX_RECIPIENTS, RULES,
};
use agent_mouth::Decision;
use proptest::prelude::*;

use crate::outbound::{base62_body, token};

fn policy() -> EmailPolicy {
    EmailPolicy {
        outbound: OutboundPolicy {
            allowed_hosts: vec!["github.com".into()],
            ..OutboundPolicy::default()
        },
        allowed_recipients: vec!["oncall@example.com".into(), "@ops.example.org".into()],
    }
}

fn draft() -> EmailDraft {
    EmailDraft {
        from_name: Some("Autonomic".into()),
        to: vec!["oncall@example.com".into()],
        subject: "deploy-frontend needs approval".into(),
        body: "Run wf-20240315-abc123 waits: https://github.com/o/r/pull/7\n".into(),
    }
}

fn check(draft: &EmailDraft) -> EmailOutcome {
    validate_email(draft, &policy())
}

fn ids(out: &EmailOutcome) -> Vec<(EmailField, &'static str)> {
    out.verdict
        .findings
        .iter()
        .map(|f| (f.field, f.rule_id))
        .collect()
}

#[test]
fn a_plain_notification_is_allowed_as_given() {
    let out = check(&draft());
    assert_eq!(out.verdict.decision, Decision::Allow, "{:?}", ids(&out));
    assert!(out.verdict.findings.is_empty());
    let mail = out.validated.expect("allowed");
    assert_eq!(mail.decision(), Decision::Allow);
    assert_eq!(mail.from_name(), Some("Autonomic"));
    assert_eq!(mail.to(), ["oncall@example.com"]);
    assert_eq!(mail.subject(), "deploy-frontend needs approval");
    assert_eq!(mail.body(), draft().body);
}

#[test]
fn recipients_are_normalised_and_each_sent_once() {
    let d = EmailDraft {
        to: vec![
            "oncall@EXAMPLE.com".into(),
            "oncall@example.com".into(),
            "ana@Ops.Example.org".into(),
        ],
        ..draft()
    };
    let mail = check(&d).validated.expect("allowed");
    assert_eq!(mail.to(), ["oncall@example.com", "ana@ops.example.org"]);
}

#[test]
fn an_unlisted_recipient_denies_naming_which() {
    for to in [
        "dev@example.com",
        "Oncall@example.com",
        "x@sub.ops.example.org",
        "x@example.org",
    ] {
        let d = EmailDraft {
            to: vec!["oncall@example.com".into(), to.into()],
            ..draft()
        };
        let out = check(&d);
        assert_eq!(out.verdict.decision, Decision::Deny, "{to}");
        assert_eq!(
            ids(&out),
            [(EmailField::Recipient(1), "out.email.recipient")],
            "{to}"
        );
        assert!(out.validated.is_none());
        // The message names the position, not the address.
        assert!(!out.verdict.findings[0].message.contains(to));
    }
}

#[test]
fn nobody_is_allowed_by_an_empty_list() {
    let p = EmailPolicy {
        allowed_recipients: Vec::new(),
        ..policy()
    };
    let out = validate_email(&draft(), &p);
    assert_eq!(
        ids(&out),
        [(EmailField::Recipient(0), "out.email.recipient")]
    );
}

#[test]
fn smuggled_recipients_are_malformed() {
    for to in [
        "oncall@example.com, boss@evil.example",
        "oncall@example.com\r\nBcc: boss@evil.example",
        "Oncall <oncall@example.com>",
        "\"oncall@example.com\"@evil.example",
        "oncall@example.com (comment)",
        "oncall@[127.0.0.1]",
        "oncall@example.com@evil.example",
        "",
    ] {
        let d = EmailDraft {
            to: vec![to.into()],
            ..draft()
        };
        let out = check(&d);
        assert_eq!(out.verdict.decision, Decision::Deny, "{to:?}");
        assert_eq!(
            ids(&out),
            [(EmailField::Recipient(0), "out.email.malformed_address")],
            "{to:?}"
        );
    }
}

#[test]
fn no_recipients_and_too_many_deny() {
    let none = EmailDraft {
        to: Vec::new(),
        ..draft()
    };
    assert_eq!(
        ids(&check(&none)),
        [(EmailField::Recipients, "out.email.no_recipients")]
    );
    let many = EmailDraft {
        to: vec!["oncall@example.com".into(); MAX_RECIPIENTS + 1],
        ..draft()
    };
    assert_eq!(
        ids(&check(&many)),
        [(EmailField::Recipients, "out.email.too_many_recipients")]
    );
    let most = EmailDraft {
        to: vec!["oncall@example.com".into(); MAX_RECIPIENTS],
        ..draft()
    };
    assert!(check(&most).validated.is_some());
}

#[test]
fn header_injection_in_subject_or_sender_name_denies() {
    for bad in [
        "hi\r\nBcc: boss@evil.example",
        "hi\nX-Priority: 1",
        "hi\rthere",
        "tab\there",
        "nul\0",
        "line\u{2028}separator",
    ] {
        let d = EmailDraft {
            subject: bad.into(),
            ..draft()
        };
        let out = check(&d);
        assert_eq!(out.verdict.decision, Decision::Deny, "{bad:?}");
        assert_eq!(
            ids(&out),
            [(EmailField::Subject, "out.email.header_injection")],
            "{bad:?}"
        );
        assert!(out.validated.is_none());

        let d = EmailDraft {
            from_name: Some(bad.into()),
            ..draft()
        };
        assert_eq!(
            ids(&check(&d)),
            [(EmailField::FromName, "out.email.header_injection")],
            "{bad:?}"
        );
    }
    // The body may have lines.
    let d = EmailDraft {
        body: "one\r\ntwo\nthree\tfour".into(),
        ..draft()
    };
    assert_eq!(check(&d).verdict.decision, Decision::Allow);
}

#[test]
fn the_subject_may_be_one_mail_line_long() {
    let d = EmailDraft {
        subject: "a".repeat(MAX_HEADER_OCTETS),
        ..draft()
    };
    assert_eq!(check(&d).verdict.decision, Decision::Allow);
    let d = EmailDraft {
        subject: "a".repeat(MAX_HEADER_OCTETS + 1),
        ..draft()
    };
    assert_eq!(
        ids(&check(&d)),
        [(EmailField::Subject, "out.email.header_too_long")]
    );
    // Octets, not characters: 500 two-octet characters are too many.
    let d = EmailDraft {
        subject: "é".repeat(500),
        ..draft()
    };
    assert_eq!(check(&d).verdict.decision, Decision::Deny);
}

#[test]
fn non_ascii_subject_and_name_are_fine() {
    let d = EmailDraft {
        from_name: Some("Zoë Ünïcødé".into()),
        subject: "Déploiement réussi ✅ — 部署".into(),
        ..draft()
    };
    let mail = check(&d).validated.expect("allowed");
    assert_eq!(mail.subject(), "Déploiement réussi ✅ — 部署");
    assert_eq!(mail.from_name(), Some("Zoë Ünïcødé"));
}

#[test]
fn secrets_deny_in_every_text_field_and_are_redacted() {
    let key = "AKIAIOSFODNN7EXAMPLE";
    let text = format!("the key is {key} ok");
    type Put = fn(&mut EmailDraft, String);
    let fields: [(EmailField, Put); 3] = [
        (EmailField::Body, |d, t| d.body = t),
        (EmailField::Subject, |d, t| d.subject = t),
        (EmailField::FromName, |d, t| d.from_name = Some(t)),
    ];
    for (field, put) in fields {
        let mut d = draft();
        put(&mut d, text.clone());
        let out = check(&d);
        assert_eq!(out.verdict.decision, Decision::Deny, "{field:?}");
        assert_eq!(
            ids(&out),
            [(field, "out.secret.aws_access_key_id")],
            "{field:?}"
        );
        assert!(out.validated.is_none());
        let v = &out.verdict;
        for shown in [
            v.redacted_body.as_str(),
            v.redacted_subject.as_str(),
            v.redacted_from_name.as_deref().unwrap_or_default(),
        ] {
            assert!(!shown.contains(&key[4..]), "{field:?}: {shown}");
        }
        for f in &v.findings {
            assert!(!f.message.contains(&key[4..]), "{}", f.message);
        }
    }
}

#[test]
fn a_generic_secret_is_review_and_the_validated_body_is_redacted() {
    let d = EmailDraft {
        body: "db password: q8Zx3LmP0vR7tYw2Kc9B\n".into(),
        ..draft()
    };
    let out = check(&d);
    assert_eq!(out.verdict.decision, Decision::Review);
    assert_eq!(ids(&out), [(EmailField::Body, "out.secret.generic")]);
    let mail = out.validated.expect("review is sendable once confirmed");
    assert_eq!(mail.decision(), Decision::Review);
    assert_eq!(mail.body(), "db password: …[redacted]\n");
    assert_eq!(mail.findings().len(), 1);
}

#[test]
fn an_unlisted_link_in_the_subject_is_review_naming_the_subject() {
    let d = EmailDraft {
        subject: "see https://evil.example/x".into(),
        ..draft()
    };
    let out = check(&d);
    assert_eq!(out.verdict.decision, Decision::Review);
    assert_eq!(ids(&out), [(EmailField::Subject, "out.link.unlisted_host")]);
}

#[test]
fn strictest_decision_wins_across_fields() {
    let d = EmailDraft {
        subject: "see https://evil.example/x".into(),
        to: vec!["dev@example.com".into()],
        ..draft()
    };
    let out = check(&d);
    assert_eq!(out.verdict.decision, Decision::Deny);
    assert_eq!(
        ids(&out),
        [
            (EmailField::Recipient(0), "out.email.recipient"),
            (EmailField::Subject, "out.link.unlisted_host"),
        ]
    );
}

#[test]
fn every_email_rule_is_in_the_catalogue() {
    for id in [
        "out.email.no_recipients",
        "out.email.too_many_recipients",
        "out.email.malformed_address",
        "out.email.recipient",
        "out.email.header_injection",
        "out.email.header_too_long",
    ] {
        let rule = RULES.iter().find(|r| r.id == id).expect(id);
        assert_eq!(rule.decision, Decision::Deny, "{id}");
    }
}

#[test]
fn validated_email_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ValidatedEmail>();
    assert_send_sync::<EmailOutcome>();
}

fn address() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("oncall@example.com".to_owned()),
        "[a-z]{1,8}@ops\\.example\\.org",
        "[ -~]{0,30}",
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_drafts_never_panic(
        from_name in proptest::option::of(any::<String>()),
        to in proptest::collection::vec(address(), 0..5),
        subject in any::<String>(),
        body in any::<String>(),
    ) {
        let d = EmailDraft { from_name, to, subject, body };
        let out = check(&d);
        prop_assert_eq!(out.validated.is_some(), out.verdict.decision != Decision::Deny);
        if let Some(mail) = &out.validated {
            prop_assert!(!mail.to().is_empty());
            for to in mail.to() {
                prop_assert!(to == "oncall@example.com" || to.ends_with("@ops.example.org"), "{}", to);
            }
            prop_assert!(!mail.subject().chars().any(char::is_control));
        }
    }

    #[test]
    fn a_github_token_in_subject_or_body_always_denies(
        before in "[ -~]{0,40}",
        after in "[ -~]{0,40}",
        body in base62_body(),
        prefix in proptest::sample::select(vec!["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
        in_subject in any::<bool>(),
    ) {
        let t = token(prefix, &body);
        let text = format!("{before}{t}{after}");
        let mut d = draft();
        let field = if in_subject {
            d.subject = text;
            EmailField::Subject
        } else {
            d.body = text;
            EmailField::Body
        };
        let out = check(&d);
        prop_assert_eq!(out.verdict.decision, Decision::Deny);
        prop_assert!(out.validated.is_none());
        prop_assert!(out
            .verdict
            .findings
            .iter()
            .any(|f| f.field == field && f.rule_id == "out.secret.github_token"));
        prop_assert!(!out.verdict.redacted_subject.contains(&t[4..]));
        prop_assert!(!out.verdict.redacted_body.contains(&t[4..]));
    }
}
