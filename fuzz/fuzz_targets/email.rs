//! Fuzzes e-mail's outbound validation (issue 18): `validate_email` on an
//! arbitrary draft. The input (non-UTF-8 inputs are skipped) is split at
//! NUL into the sender's display name, subject, body and recipients (each
//! further field one recipient); an empty first field is no sender name.
//!
//! Never a panic; the decision is the strictest finding's and an e-mail
//! is validated exactly when it is not denied; a validated e-mail has no
//! control character (nor U+2028/U+2029) in its subject or sender name,
//! at most 50 recipients, none of them twice, and every one is allowed by
//! the policy's list (checked here independently of the crate).
#![no_main]

use agent_mouth::outbound::{validate_email, EmailDraft, EmailPolicy, MAX_RECIPIENTS};
use agent_mouth::Decision;
use libfuzzer_sys::fuzz_target;

const ALLOWED: [&str; 3] = [
    "oncall@example.com",
    "@ops.example.com",
    "Ana.B+x@Example.ORG",
];

/// Whether `addr` is listed: an exact entry (local part exactly, domain
/// without case) or `@domain` (exactly that domain, without case).
fn listed(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    ALLOWED.iter().any(|entry| match entry.strip_prefix('@') {
        Some(d) => domain.eq_ignore_ascii_case(d),
        None => entry
            .rsplit_once('@')
            .is_some_and(|(l, d)| l == local && d.eq_ignore_ascii_case(domain)),
    })
}

fn header_safe(s: &str) -> bool {
    !s.chars()
        .any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}')
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut fields = text.split('\0');
    let from_name = fields.next().filter(|s| !s.is_empty()).map(str::to_owned);
    let subject = fields.next().unwrap_or_default().to_owned();
    let body = fields.next().unwrap_or_default().to_owned();
    let to: Vec<String> = fields.map(str::to_owned).collect();
    let draft = EmailDraft {
        from_name,
        to,
        subject,
        body,
    };
    let policy = EmailPolicy {
        allowed_recipients: ALLOWED.iter().map(|s| (*s).to_owned()).collect(),
        ..EmailPolicy::default()
    };
    let out = validate_email(&draft, &policy);
    let v = &out.verdict;
    let strictest = v
        .findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    assert_eq!(v.decision, strictest);
    assert_eq!(v.decision == Decision::Deny, out.validated.is_none());
    let Some(mail) = &out.validated else {
        return;
    };
    assert!(header_safe(mail.subject()), "{:?}", mail.subject());
    if let Some(name) = mail.from_name() {
        assert!(header_safe(name), "{name:?}");
    }
    assert!(!mail.to().is_empty() && mail.to().len() <= MAX_RECIPIENTS);
    for (i, addr) in mail.to().iter().enumerate() {
        assert!(listed(addr), "not allowed: {addr:?}");
        assert!(
            addr.bytes().all(|b| b.is_ascii_graphic()) && addr.matches('@').count() == 1,
            "{addr:?}"
        );
        assert!(!mail.to()[..i].contains(addr), "twice: {addr:?}");
    }
});
