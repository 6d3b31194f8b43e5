//! E-mail's outbound validation (issue 18): an [`EmailDraft`] under an
//! [`EmailPolicy`] gives an [`EmailOutcome`] — the strictest decision over
//! the e-mail rules (`out.email.*`) and the outbound rules run on the
//! subject, the sender's display name and the body — and, unless it
//! denies, a [`ValidatedEmail`], the only thing the e-mail transport sends.
//!
//! Pure like the rest of [`super`]: no network, no DNS, no I/O. Recipients
//! are checked by their text only (is it one plain `local@domain`, and does
//! the policy list it); whether the mailbox exists is the relay's business.
//!
//! Addresses are deliberately stricter than RFC 5322: a dot-atom local
//! part and an ASCII host name, nothing else — no display names, angle
//! brackets, quoted local parts, comments, address literals (`[1.2.3.4]`),
//! groups or lists. Everything a header-smuggling trick needs is one of
//! those, and a notification never needs them. International domains are
//! given in their ASCII (`xn--`) form.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::outbound::{validate_email, EmailDraft, EmailPolicy};
//! use agent_mouth::Decision;
//!
//! let policy = EmailPolicy {
//!     allowed_recipients: vec!["oncall@example.com".into(), "@ops.example.com".into()],
//!     ..EmailPolicy::default()
//! };
//! let draft = EmailDraft {
//!     from_name: Some("Autonomic".into()),
//!     to: vec!["oncall@example.com".into(), "Ana@OPS.example.com".into()],
//!     subject: "deploy-frontend needs approval".into(),
//!     body: "Run wf-20240315 waits for you.".into(),
//! };
//! let mail = validate_email(&draft, &policy).validated.expect("allowed");
//! assert_eq!(mail.to(), ["oncall@example.com", "Ana@ops.example.com"]);
//!
//! let draft = EmailDraft {
//!     subject: "hi\r\nBcc: everyone@example.net".into(),
//!     ..draft
//! };
//! let out = validate_email(&draft, &policy);
//! assert_eq!(out.verdict.decision, Decision::Deny);
//! assert_eq!(out.verdict.findings[0].rule_id, "out.email.header_injection");
//! assert!(out.validated.is_none());
//! ```

use std::ops::Range;

use autonomic_core::Decision;
use serde::Serialize;

use super::rules::{self, OutboundRule};
use super::{validate_outbound, OutChannel, OutboundMessage, OutboundPolicy};
use crate::verdict::Span;

/// Longest subject or sender name, in octets: a mail line's limit (RFC
/// 5322 §2.1.1). A longer one denies.
pub const MAX_HEADER_OCTETS: usize = 998;

/// Most recipients one e-mail may have. More denies.
pub const MAX_RECIPIENTS: usize = 50;

/// Longest address, in octets (RFC 5321's path limit less the brackets).
pub const MAX_ADDRESS_OCTETS: usize = 254;

/// Longest local part (before the `@`), in octets (RFC 5321 §4.5.3.1.1).
const MAX_LOCAL_OCTETS: usize = 64;

/// An e-mail as it would be sent. The sender's address is the transport's
/// configuration, not the draft's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailDraft {
    /// The sender's display name (`Autonomic` in `Autonomic <bot@…>`).
    pub from_name: Option<String>,
    /// Recipients, each one plain address `local@domain`.
    pub to: Vec<String>,
    /// The subject line.
    pub subject: String,
    /// The plain-text body.
    pub body: String,
}

/// What the sending side allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EmailPolicy {
    /// The outbound policy the subject, sender name and body are checked
    /// under (allowed link hosts, mass mentions, known secrets).
    pub outbound: OutboundPolicy,
    /// Who may receive: an exact address (`oncall@example.com`: the domain
    /// compared without case, the local part exactly) or `@domain` (every
    /// address at exactly that domain, not its subdomains). Empty: nobody.
    pub allowed_recipients: Vec<String>,
}

/// The part of an e-mail a finding is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EmailField {
    /// The recipient list as a whole (none, or too many).
    Recipients,
    /// One recipient, by its index in [`EmailDraft::to`].
    Recipient(usize),
    /// The sender's display name.
    FromName,
    /// The subject line.
    Subject,
    /// The body.
    Body,
}

/// One rule that matched an e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailFinding {
    /// Which part of the e-mail.
    pub field: EmailField,
    /// Stable rule identifier: `out.email.*`, or an outbound `out.*` rule
    /// that matched the field's text.
    pub rule_id: &'static str,
    /// What this finding alone decides.
    pub decision: Decision,
    /// Where, in that field's text as given (empty for
    /// [`EmailField::Recipients`]).
    pub span: Span,
    /// Why, in words. Never contains a matched secret or a recipient.
    pub message: String,
}

/// The answer for one e-mail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmailVerdict {
    /// The strictest decision over all findings (`allow` when none).
    pub decision: Decision,
    /// Every finding: recipients first, then sender name, subject, body.
    pub findings: Vec<EmailFinding>,
    /// The sender name with every secret redacted.
    pub redacted_from_name: Option<String>,
    /// The subject with every secret redacted.
    pub redacted_subject: String,
    /// The body with every secret redacted (empty when too large to scan).
    pub redacted_body: String,
}

/// What [`validate_email`] returns: the verdict, and the e-mail ready to
/// send unless the verdict denies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailOutcome {
    /// Decision, findings and redacted texts.
    pub verdict: EmailVerdict,
    /// `Some` exactly when `verdict.decision` is not deny.
    pub validated: Option<ValidatedEmail>,
}

/// An e-mail that passed validation, the only thing the e-mail transport
/// accepts, so nothing unvalidated can be sent.
///
/// Only [`validate_email`] builds one: the fields are private, and there is
/// no public constructor, `Default` or `Deserialize`. Its texts are the
/// redacted ones; its recipients are the allowed, well-formed ones, each
/// once, domains in lower case. Its [`decision`](Self::decision) is never
/// deny: `Allow` may be sent, `Review` only after a human confirms.
///
/// ```compile_fail
/// use agent_mouth::outbound::ValidatedEmail;
/// let forged = ValidatedEmail {
///     from_name: None,
///     to: vec!["anyone@example.net".to_owned()],
///     subject: String::new(),
///     body: String::new(),
///     decision: agent_mouth::Decision::Allow,
///     findings: Vec::new(),
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedEmail {
    from_name: Option<String>,
    to: Vec<String>,
    subject: String,
    body: String,
    decision: Decision,
    findings: Vec<EmailFinding>,
}

impl ValidatedEmail {
    /// The sender's display name (redacted), if any.
    pub fn from_name(&self) -> Option<&str> {
        self.from_name.as_deref()
    }

    /// The recipients: never empty, each allowed by the policy.
    pub fn to(&self) -> &[String] {
        &self.to
    }

    /// The subject (redacted): no line breaks or control characters.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The body (redacted).
    pub fn body(&self) -> &str {
        &self.body
    }

    /// `Allow`, or `Review` (a human confirms before it is sent).
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// What was found (all of it allowed or for review).
    pub fn findings(&self) -> &[EmailFinding] {
        &self.findings
    }
}

/// Validates one e-mail against `policy`.
pub fn validate_email(draft: &EmailDraft, policy: &EmailPolicy) -> EmailOutcome {
    let mut findings = Vec::new();
    let to = check_recipients(&draft.to, &policy.allowed_recipients, &mut findings);
    let from_name = draft
        .from_name
        .as_deref()
        .map(|name| check_header(EmailField::FromName, name, policy, &mut findings));
    let subject = check_header(EmailField::Subject, &draft.subject, policy, &mut findings);
    let body = check_text(
        EmailField::Body,
        &draft.body,
        &policy.outbound,
        &mut findings,
    );

    let decision = findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    let validated = (decision != Decision::Deny).then(|| ValidatedEmail {
        from_name: from_name.clone(),
        to,
        subject: subject.clone(),
        body: body.clone(),
        decision,
        findings: findings.clone(),
    });
    EmailOutcome {
        verdict: EmailVerdict {
            decision,
            findings,
            redacted_from_name: from_name,
            redacted_subject: subject,
            redacted_body: body,
        },
        validated,
    }
}

fn finding(
    field: EmailField,
    rule: OutboundRule,
    text: &str,
    range: Range<usize>,
    detail: &str,
) -> EmailFinding {
    EmailFinding {
        field,
        rule_id: rule.id,
        decision: rule.decision,
        span: Span::new(text, range.start, range.end),
        message: format!("{}: {detail}", rule.reason),
    }
}

/// The allowed recipients, normalised and each once; a finding for every
/// other one.
fn check_recipients(
    to: &[String],
    allowed: &[String],
    findings: &mut Vec<EmailFinding>,
) -> Vec<String> {
    let all = EmailField::Recipients;
    if to.is_empty() {
        findings.push(finding(all, rules::EMAIL_NO_RECIPIENTS, "", 0..0, "none"));
        return Vec::new();
    }
    if to.len() > MAX_RECIPIENTS {
        let detail = format!("{} (at most {MAX_RECIPIENTS})", to.len());
        findings.push(finding(
            all,
            rules::EMAIL_TOO_MANY_RECIPIENTS,
            "",
            0..0,
            &detail,
        ));
        return Vec::new();
    }
    let mut sendable: Vec<String> = Vec::new();
    for (i, raw) in to.iter().enumerate() {
        let field = EmailField::Recipient(i);
        match Address::parse(raw) {
            Err(bad) => {
                let detail = format!("recipient {} {}", i + 1, bad.problem);
                findings.push(finding(
                    field,
                    rules::EMAIL_MALFORMED_ADDRESS,
                    raw,
                    bad.at,
                    &detail,
                ));
            }
            Ok(addr) if !addr.allowed_by(allowed) => {
                let detail = format!("recipient {}", i + 1);
                findings.push(finding(
                    field,
                    rules::EMAIL_RECIPIENT,
                    raw,
                    0..raw.len(),
                    &detail,
                ));
            }
            Ok(addr) => {
                let normal = addr.normalised();
                if !sendable.contains(&normal) {
                    sendable.push(normal);
                }
            }
        }
    }
    sendable
}

/// A header's text: no control characters, no longer than a mail line,
/// then the outbound rules. Returns the redacted text.
fn check_header(
    field: EmailField,
    text: &str,
    policy: &EmailPolicy,
    findings: &mut Vec<EmailFinding>,
) -> String {
    if let Some((at, c)) = text.char_indices().find(|&(_, c)| breaks_header(c)) {
        let count = text.chars().filter(|&c| breaks_header(c)).count();
        let detail = format!("{count} in the {}, the first {c:?}", field_name(field));
        findings.push(finding(
            field,
            rules::EMAIL_HEADER_INJECTION,
            text,
            at..at + c.len_utf8(),
            &detail,
        ));
    }
    if text.len() > MAX_HEADER_OCTETS {
        let detail = format!(
            "the {} has {} octets (at most {MAX_HEADER_OCTETS})",
            field_name(field),
            text.len()
        );
        findings.push(finding(
            field,
            rules::EMAIL_HEADER_TOO_LONG,
            text,
            MAX_HEADER_OCTETS..text.len(),
            &detail,
        ));
    }
    check_text(field, text, &policy.outbound, findings)
}

/// The outbound rules over one field. Returns the redacted text.
fn check_text(
    field: EmailField,
    text: &str,
    policy: &OutboundPolicy,
    findings: &mut Vec<EmailFinding>,
) -> String {
    let out = validate_outbound(
        &OutboundMessage {
            channel: OutChannel::Email,
            text: text.to_owned(),
        },
        policy,
    );
    findings.extend(out.verdict.findings.into_iter().map(|f| EmailFinding {
        field,
        rule_id: f.rule_id,
        decision: f.decision,
        span: f.span,
        message: f.message,
    }));
    out.verdict.redacted
}

/// Control characters (CR, LF, tab, NUL, DEL, C1) and Unicode's line and
/// paragraph separators: what could end a header line or hide in one.
fn breaks_header(c: char) -> bool {
    c.is_control() || c == '\u{2028}' || c == '\u{2029}'
}

fn field_name(field: EmailField) -> &'static str {
    match field {
        EmailField::Recipients | EmailField::Recipient(_) => "recipients",
        EmailField::FromName => "sender name",
        EmailField::Subject => "subject",
        EmailField::Body => "body",
    }
}

/// One plain address, split at its `@`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Address<'a> {
    local: &'a str,
    domain: &'a str,
}

/// Why an address was refused, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
struct BadAddress {
    at: Range<usize>,
    problem: String,
}

impl BadAddress {
    fn new(at: Range<usize>, problem: impl Into<String>) -> Self {
        Self {
            at,
            problem: problem.into(),
        }
    }
}

impl<'a> Address<'a> {
    /// Parses `local@domain`: a dot-atom local part of RFC 5322's `atext`,
    /// an ASCII host name of letters, digits and inner hyphens.
    fn parse(raw: &'a str) -> Result<Self, BadAddress> {
        if raw.is_empty() {
            return Err(BadAddress::new(0..0, "is empty"));
        }
        if raw.len() > MAX_ADDRESS_OCTETS {
            return Err(BadAddress::new(
                MAX_ADDRESS_OCTETS..raw.len(),
                format!("is longer than {MAX_ADDRESS_OCTETS} octets"),
            ));
        }
        // The first character no address here may contain names the trick.
        if let Some((i, c)) = raw
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_graphic() && !"\"(),:;<>[\\]".contains(c)))
        {
            let what = match c {
                '\r' | '\n' => "contains a line break",
                ',' | ';' => "contains `,` or `;` (several addresses in one)",
                '<' | '>' | '"' | '(' | ')' | ':' => {
                    "has a display name, angle brackets, a comment or a group"
                }
                '[' | ']' | '\\' => "has an address literal or an escape",
                c if c.is_whitespace() => "contains whitespace",
                c if c.is_control() => "contains a control character",
                _ => "contains a non-ASCII character (give the domain in its xn-- form)",
            };
            return Err(BadAddress::new(i..i + c.len_utf8(), what));
        }
        let Some(at) = raw.rfind('@') else {
            return Err(BadAddress::new(0..raw.len(), "has no `@`"));
        };
        if let Some(first) = raw[..at].find('@') {
            return Err(BadAddress::new(first..first + 1, "has more than one `@`"));
        }
        let (local, domain) = (&raw[..at], &raw[at + 1..]);
        check_local(local)?;
        check_domain(domain).map_err(|mut bad| {
            bad.at = bad.at.start + at + 1..bad.at.end + at + 1;
            bad
        })?;
        Ok(Self { local, domain })
    }

    /// Whether an entry of [`EmailPolicy::allowed_recipients`] lists it.
    fn allowed_by(&self, allowed: &[String]) -> bool {
        allowed.iter().any(|entry| match entry.strip_prefix('@') {
            Some(domain) => self.domain.eq_ignore_ascii_case(domain),
            None => Address::parse(entry).is_ok_and(|listed| {
                listed.local == self.local && listed.domain.eq_ignore_ascii_case(self.domain)
            }),
        })
    }

    /// `local@domain` with the domain in lower case.
    fn normalised(&self) -> String {
        format!("{}@{}", self.local, self.domain.to_ascii_lowercase())
    }
}

fn check_local(local: &str) -> Result<(), BadAddress> {
    if local.is_empty() {
        return Err(BadAddress::new(0..0, "has nothing before the `@`"));
    }
    if local.len() > MAX_LOCAL_OCTETS {
        return Err(BadAddress::new(
            0..local.len(),
            format!("has a local part longer than {MAX_LOCAL_OCTETS} octets"),
        ));
    }
    if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        let i = local.find("..").unwrap_or(if local.starts_with('.') {
            0
        } else {
            local.len() - 1
        });
        return Err(BadAddress::new(
            i..i + 1,
            "has a local part starting or ending with `.`, or with `..`",
        ));
    }
    Ok(())
}

fn check_domain(domain: &str) -> Result<(), BadAddress> {
    if domain.is_empty() {
        return Err(BadAddress::new(0..0, "has nothing after the `@`"));
    }
    let mut start = 0;
    for label in domain.split('.') {
        let range = start..start + label.len();
        let ok = (1..=63).contains(&label.len())
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-');
        if !ok {
            return Err(BadAddress::new(
                range,
                "has a domain that is not a host name (labels of 1 to 63 letters, digits and inner hyphens)",
            ));
        }
        start += label.len() + 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: &str) -> Result<(&str, &str), String> {
        Address::parse(raw)
            .map(|a| (a.local, a.domain))
            .map_err(|b| b.problem)
    }

    #[test]
    fn plain_addresses_parse() {
        assert_eq!(parse("a@b.c"), Ok(("a", "b.c")));
        assert_eq!(
            parse("first.last+tag@mail.example.com"),
            Ok(("first.last+tag", "mail.example.com"))
        );
        assert_eq!(parse("o'neil@x-y.example"), Ok(("o'neil", "x-y.example")));
        assert_eq!(parse("root@localhost"), Ok(("root", "localhost")));
    }

    #[test]
    fn smuggling_shapes_are_refused() {
        for (raw, says) in [
            ("", "empty"),
            ("a@b.c, evil@x.y", "several"),
            ("a@b.c;evil@x.y", "several"),
            ("a@b.c\r\nBcc: evil@x.y", "line break"),
            ("a@b.c\nx", "line break"),
            ("Ana <a@b.c>", "whitespace"),
            ("Ana<a@b.c>", "display name"),
            ("\"a@b\"@c.d", "display name"),
            ("a(comment)@b.c", "comment"),
            ("group:a@b.c;", "group"),
            ("a@[127.0.0.1]", "literal"),
            ("a\\@b@c.d", "escape"),
            ("a@b@c.d", "more than one"),
            ("ab.c", "no `@`"),
            ("@b.c", "nothing before"),
            ("a@", "nothing after"),
            (".a@b.c", "starting or ending"),
            ("a.@b.c", "starting or ending"),
            ("a..b@c.d", "starting or ending"),
            ("a@-b.c", "host name"),
            ("a@b..c", "host name"),
            ("a@b.c.", "host name"),
            ("a@b_c.d", "host name"),
            ("a@bücher.de", "non-ASCII"),
            ("a\u{0}@b.c", "control"),
            ("a\t@b.c", "whitespace"),
        ] {
            let err = parse(raw).expect_err(raw);
            assert!(err.contains(says), "{raw:?}: {err}");
        }
        assert!(parse(&format!("{}@b.c", "a".repeat(65))).is_err());
        assert!(parse(&format!("a@{}.c", "b".repeat(64))).is_err());
        assert!(parse(&format!("a@{}", "b.".repeat(130))).is_err());
    }

    #[test]
    fn allow_list_matches_exact_addresses_and_whole_domains() {
        let allowed = vec!["ops@example.com".to_owned(), "@team.example.org".to_owned()];
        let ok = |raw: &str| Address::parse(raw).unwrap().allowed_by(&allowed);
        assert!(ok("ops@example.com"));
        assert!(ok("ops@EXAMPLE.com"));
        assert!(!ok("OPS@example.com"));
        assert!(!ok("dev@example.com"));
        assert!(ok("anyone@team.example.org"));
        assert!(ok("anyone@Team.Example.org"));
        assert!(!ok("anyone@sub.team.example.org"));
        assert!(!ok("anyone@evilteam.example.org"));
        assert!(!Address::parse("a@b.c").unwrap().allowed_by(&[]));
    }

    #[test]
    fn header_breakers() {
        for c in [
            '\r', '\n', '\t', '\0', '\u{7f}', '\u{85}', '\u{2028}', '\u{2029}',
        ] {
            assert!(breaks_header(c), "{c:?}");
        }
        for c in ['a', ' ', 'é', '…', '🔒'] {
            assert!(!breaks_header(c), "{c:?}");
        }
    }
}
