//! Outbound validation end to end: tokens generated with real checksums
//! (by crc32fast, not the crate's own CRC), one-character near-misses,
//! every rule family through the public API, redaction, and properties:
//! an embedded token always denies and never survives, arbitrary input
//! never panics.

use agent_mouth::outbound::{
    validate_outbound, KnownSecret, OutChannel, OutboundMessage, OutboundOutcome, OutboundPolicy,
    ValidatedMessage, RULES,
};
use agent_mouth::Decision;
use proptest::prelude::*;

pub(crate) const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// `prefix` + `body` (30 base62) + the base62 CRC32 of `body`.
pub(crate) fn token(prefix: &str, body: &str) -> String {
    assert_eq!(body.len(), 30);
    let mut n = crc32fast::hash(body.as_bytes());
    let mut check = [b'0'; 6];
    for slot in check.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    format!(
        "{prefix}{body}{}",
        std::str::from_utf8(&check).expect("base62 is ASCII")
    )
}

fn policy() -> OutboundPolicy {
    OutboundPolicy {
        allowed_hosts: vec!["github.com".into(), "*.slack.com".into()],
        ..OutboundPolicy::default()
    }
}

fn check(text: &str) -> OutboundOutcome {
    check_with(text, &policy())
}

fn check_with(text: &str, policy: &OutboundPolicy) -> OutboundOutcome {
    let msg = OutboundMessage {
        channel: OutChannel::Slack,
        text: text.to_owned(),
    };
    validate_outbound(&msg, policy)
}

fn ids(out: &OutboundOutcome) -> Vec<&'static str> {
    out.verdict.findings.iter().map(|f| f.rule_id).collect()
}

/// Asserts `secret` appears nowhere in what the verdict exposes.
#[track_caller]
fn assert_not_leaked(out: &OutboundOutcome, secret: &str) {
    assert!(
        !out.verdict.redacted.contains(secret),
        "{}",
        out.verdict.redacted
    );
    for f in &out.verdict.findings {
        assert!(!f.message.contains(secret), "{}", f.message);
    }
    if let Some(v) = &out.validated {
        assert!(!v.text().contains(secret));
    }
}

const BODY: &str = "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ";

/// Found by the `outbound` fuzz target: a value found as a secret by the
/// key naming it (here after `Authorization: bearer`) survived in the
/// redacted text where it was repeated without such a key.
#[test]
fn a_secret_found_once_is_redacted_wherever_it_repeats() {
    let secret = "q8Zx3LmP0vR7tYw2Kc";
    let text = format!("{{\"password\"V: \"{secret}9B\"}} Authorization: bearer {secret}'9Bzz");
    let out = check(&text);
    assert_eq!(ids(&out), ["out.secret.generic"]);
    assert_not_leaked(&out, secret);
    assert_eq!(
        out.verdict.redacted,
        "{\"password\"V: \"…[redacted]9B\"} Authorization: bearer …[redacted]'9Bzz"
    );

    // A Slack token needs a clear start; glued to a letter it is not found
    // there, but it is the same token.
    let t = "xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789";
    let out = check(&format!("{t} and again a{t}"));
    assert_eq!(ids(&out), ["out.secret.slack_token"]);
    assert_not_leaked(&out, t);
    assert_eq!(
        out.verdict.redacted,
        "xoxp-…[redacted] and again axoxp-…[redacted]"
    );
}

#[test]
fn github_token_denies_and_is_redacted() {
    for prefix in ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"] {
        let t = token(prefix, BODY);
        let text = format!("Here is the token: {t}\nthanks");
        let out = check(&text);
        assert_eq!(out.verdict.decision, Decision::Deny);
        assert_eq!(ids(&out), ["out.secret.github_token"]);
        assert!(out.validated.is_none());
        assert_eq!(
            out.verdict.redacted,
            format!("Here is the token: {prefix}…[redacted]\nthanks")
        );
        let span = out.verdict.findings[0].span;
        assert_eq!(&text[span.start..span.end], t);
        assert_eq!((span.line, span.col), (1, 20));
        assert_not_leaked(&out, &t[4..]);
    }
}

#[test]
fn one_character_changed_is_not_a_github_token() {
    let t = token("ghp_", BODY);
    for i in 4..t.len() {
        let mut bytes = t.clone().into_bytes();
        bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
        let mutated = String::from_utf8(bytes).unwrap();
        let out = check(&mutated);
        assert!(
            !ids(&out).contains(&"out.secret.github_token"),
            "{mutated} matched the GitHub rule"
        );
        // Still a high-entropy token-shaped value: reviewed and hidden.
        assert_eq!(ids(&out), ["out.secret.generic"], "{mutated}");
        assert_not_leaked(&out, &mutated[4..]);
    }
}

#[test]
fn npm_token_denies() {
    let t = token("npm_", BODY);
    let out = check(&format!("//registry.npmjs.org/:_authToken={t}"));
    assert_eq!(ids(&out), ["out.secret.npm_token"]);
    assert_not_leaked(&out, &t[4..]);
}

#[test]
fn a_named_token_is_one_finding_not_two() {
    // GITHUB_TOKEN=ghp_…: the specific rule wins, the generic one is noise.
    let t = token("ghp_", BODY);
    let out = check(&format!("GITHUB_TOKEN={t}"));
    assert_eq!(ids(&out), ["out.secret.github_token"]);
}

#[test]
fn every_secret_family_denies_through_the_api() {
    let pem = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----";
    let cases = [
        (
            "xoxp-1234567890-1234567890-1234567890-abcdef0123456789abcdef0123456789",
            "out.secret.slack_token",
        ),
        (
            "https://hooks.slack.com/services/T0ABCDEF1/B0ABCDEF2/abcdefghijklmnop12345678",
            "out.secret.slack_webhook",
        ),
        ("AKIAIOSFODNN7EXAMPLE", "out.secret.aws_access_key_id"),
        (pem, "out.secret.private_key"),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl",
            "out.secret.jwt",
        ),
        (
            "AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe",
            "out.secret.google_api_key",
        ),
        ("sk_live_4eC39HqLyjWDarjtT1zdp7dc", "out.secret.stripe_key"),
        (
            "sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4zAb7cDe0f",
            "out.secret.openai_key",
        ),
    ];
    for (secret, rule) in cases {
        let out = check(&format!("fyi {secret} ok"));
        assert_eq!(out.verdict.decision, Decision::Deny, "{rule}");
        assert!(ids(&out).contains(&rule), "{rule}: {:?}", ids(&out));
        // The part after the kept prefix never survives (for the PEM block,
        // whose footer repeats its header, the key material).
        let tail = if rule == "out.secret.private_key" {
            "b3BlbnNzaC1rZXktdjEAAAAA"
        } else {
            &secret[secret.len() - 10..]
        };
        assert_not_leaked(&out, tail);
    }
}

#[test]
fn generic_secret_is_review_with_redaction() {
    let out = check("db password: q8Zx3LmP0vR7tYw2Kc9B");
    assert_eq!(out.verdict.decision, Decision::Review);
    assert_eq!(out.verdict.redacted, "db password: …[redacted]");
    let v = out
        .validated
        .expect("review is sendable after a human confirms");
    assert_eq!(v.decision(), Decision::Review);
    assert_eq!(v.text(), "db password: …[redacted]");
    assert_eq!(v.findings().len(), 1);
}

#[test]
fn known_secrets_deny() {
    let policy = OutboundPolicy {
        known_secrets: vec![KnownSecret::new(
            ".env",
            "OPENAI_KEY=not-a-pattern-just-known\n",
        )],
        ..policy()
    };
    let out = check_with("value is OPENAI_KEY=not-a-pattern-just-known!", &policy);
    assert_eq!(out.verdict.decision, Decision::Deny);
    assert!(ids(&out).contains(&"out.secret.known"));
    assert_not_leaked(&out, "not-a-pattern-just-known");
    // A near miss of the known value is not it.
    let out = check_with("value is OPENAI_KEY=not-a-pattern-just-know", &policy);
    assert!(!ids(&out).contains(&"out.secret.known"));
}

#[test]
fn mass_mentions_need_the_policy() {
    let out = check("<!here> and @everyone");
    assert_eq!(ids(&out), ["out.mention.here", "out.mention.everyone"]);
    assert_eq!(out.verdict.decision, Decision::Deny);
    let allowing = OutboundPolicy {
        allow_mass_mentions: true,
        ..policy()
    };
    assert_eq!(
        check_with("<!here> and @everyone", &allowing)
            .verdict
            .decision,
        Decision::Allow
    );
    assert_eq!(
        check("write to user@here.com").verdict.decision,
        Decision::Allow
    );
}

#[test]
fn links_review_unlisted_and_userinfo_tricks() {
    let out = check("see https://github.com@evil.example/login");
    assert_eq!(out.verdict.decision, Decision::Review);
    assert!(out
        .verdict
        .findings
        .iter()
        .all(|f| f.message.contains("evil.example")));
    assert_eq!(
        check("<https://github.com/o/r|PR>").verdict.decision,
        Decision::Allow
    );
    assert_eq!(
        check("<javascript:alert(1)|PR>").verdict.decision,
        Decision::Deny
    );
}

#[test]
fn too_large_is_denied_unscanned() {
    let text = "a".repeat(agent_mouth::outbound::MAX_OUTBOUND_BYTES + 1);
    let out = check(&text);
    assert_eq!(ids(&out), ["out.too_large"]);
    assert!(out.validated.is_none());
    assert!(out.verdict.redacted.is_empty());
}

#[test]
fn every_rule_has_a_reason_free_of_placeholders() {
    for r in RULES {
        assert!(
            !r.reason.is_empty() && !r.reason.contains("TODO"),
            "{}",
            r.id
        );
    }
}

#[test]
fn validated_message_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ValidatedMessage>();
    assert_send_sync::<OutboundOutcome>();
}

pub(crate) fn base62_body() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(BASE62.to_vec()), 30)
        .prop_map(|v| String::from_utf8(v).expect("base62 is ASCII"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn embedded_github_token_always_denies_and_never_leaks(
        before in any::<String>(),
        after in any::<String>(),
        body in base62_body(),
        prefix in proptest::sample::select(vec!["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
    ) {
        let t = token(prefix, &body);
        let text = format!("{before}{t}{after}");
        let out = check(&text);
        prop_assert_eq!(out.verdict.decision, Decision::Deny);
        prop_assert!(ids(&out).contains(&"out.secret.github_token"));
        prop_assert!(out.validated.is_none());
        prop_assert!(!out.verdict.redacted.contains(&t));
        prop_assert!(!out.verdict.redacted.contains(&t[4..]));
        for f in &out.verdict.findings {
            prop_assert!(!f.message.contains(&t[4..]));
        }
    }

    #[test]
    fn arbitrary_input_never_panics(text in any::<String>()) {
        let out = check(&text);
        prop_assert_eq!(out.validated.is_some(), out.verdict.decision != Decision::Deny);
        for f in &out.verdict.findings {
            prop_assert!(f.span.start <= f.span.end && f.span.end <= text.len());
        }
    }

    #[test]
    fn markup_heavy_input_never_panics(
        parts in proptest::collection::vec(proptest::sample::select(vec![
            "<!", ">", "|", "@here", "https://", "www.", "@", ":", "=", "\"", "'", "token",
            "password", "-----BEGIN ", "PRIVATE KEY-----", "eyJ", ".", "ghp_", "xoxb-", "%",
            "\\", "/", "é", "і", "。", "javascript:", "data:", "AKIA", "sk-", " ", "\n", "]("
        ]), 0..40),
    ) {
        let text: String = parts.concat();
        let out = check(&text);
        prop_assert_eq!(out.validated.is_some(), out.verdict.decision != Decision::Deny);
    }
}
