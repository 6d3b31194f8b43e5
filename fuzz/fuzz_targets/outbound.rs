//! Fuzzes outbound validation (issue 18): arbitrary text (non-UTF-8 inputs
//! are skipped) through `validate_outbound` for every `OutChannel`. The
//! first byte shapes the policy: bit 0 allows mass mentions; bit 1 makes
//! the text up to the first NUL a known secret (the rest is the message).
//!
//! Never a panic, and every outcome is well formed: spans are inside the
//! text and on char boundaries; the redacted text never contains a secret
//! a finding reports (a PEM block's header line alone, which is kept,
//! excepted); the decision is the strictest finding's (`allow`
//! when none) and a message is validated exactly when it is not denied,
//! carrying the redacted text.
#![no_main]

use agent_mouth::outbound::{
    validate_outbound, KnownSecret, OutChannel, OutboundMessage, OutboundPolicy,
};
use agent_mouth::Decision;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&flags, rest)) = data.split_first() else {
        return;
    };
    let Ok(rest) = std::str::from_utf8(rest) else {
        return;
    };
    let mut policy = OutboundPolicy {
        allowed_hosts: vec!["github.com".into(), "*.slack.com".into()],
        allow_mass_mentions: flags & 1 != 0,
        known_secrets: Vec::new(),
    };
    let mut text = rest;
    if flags & 2 != 0 {
        if let Some((secret, message)) = rest.split_once('\0') {
            policy
                .known_secrets
                .push(KnownSecret::new("fuzz.env", secret));
            text = message;
        }
    }
    for channel in [OutChannel::Slack, OutChannel::GitHub, OutChannel::Email] {
        let msg = OutboundMessage {
            channel,
            text: text.to_owned(),
        };
        let out = validate_outbound(&msg, &policy);
        let v = &out.verdict;
        for f in &v.findings {
            let s = f.span;
            assert!(s.start <= s.end && s.end <= text.len(), "{f:?}");
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{f:?}"
            );
            assert!(s.line >= 1 && s.col >= 1, "{f:?}");
            let matched = &text[s.start..s.end];
            // A PEM block keeps its `-----BEGIN … PRIVATE KEY-----` line;
            // one with nothing after that line hides nothing.
            let header_only = f.rule_id == "out.secret.private_key"
                && matched
                    .get("-----BEGIN ".len()..)
                    .and_then(|rest| rest.find("-----"))
                    .is_some_and(|close| "-----BEGIN ".len() + close + 5 == matched.len());
            if f.rule_id.starts_with("out.secret.") && !matched.is_empty() && !header_only {
                assert!(
                    !v.redacted.contains(matched),
                    "{} survives redaction: {:?} in {:?}",
                    f.rule_id,
                    matched,
                    v.redacted
                );
            }
        }
        let strictest = v
            .findings
            .iter()
            .map(|f| f.decision)
            .max()
            .unwrap_or(Decision::Allow);
        assert_eq!(v.decision, strictest);
        match &out.validated {
            Some(m) => {
                assert_ne!(v.decision, Decision::Deny);
                assert_eq!(m.decision(), v.decision);
                assert_eq!(m.channel(), channel);
                assert_eq!(m.text(), v.redacted);
            }
            None => assert_eq!(v.decision, Decision::Deny),
        }
    }
});
