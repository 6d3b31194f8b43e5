//! Outbound validation: every message Autonomic sends to Slack, GitHub or
//! e-mail passes here first (issue 18). A pure function from the message
//! and an [`OutboundPolicy`] to an [`OutboundVerdict`] — decision,
//! findings, and the text with every secret redacted — and, unless the
//! decision is deny, a [`ValidatedMessage`], the only thing a transport
//! accepts.
//!
//! What it owns: the outbound rule catalogue ([`RULES`]), secret formats
//! (tokens, with GitHub's and npm's CRC32 checksums verified, PEM
//! keys and JWTs, values named as credentials, known secrets), mass
//! mentions, links and their real hosts, and redaction. For e-mail, also
//! the recipients and headers ([`validate_email`], whose
//! [`ValidatedEmail`] is what the e-mail transport sends); and the policy
//! for GitHub REST calls an LLM writes ([`validate_api_call`]: method and
//! path, endpoint allow- and deny-lists, the JSON body's every string),
//! whose only product a transport sends is a [`ValidatedApiCall`].
//!
//! What it leaves out: sending, retrying and asking a human (a transport's
//! job; review means a human confirms first, deny means never sent);
//! reading masked files (the caller passes their contents as
//! [`KnownSecret`]s); secrets encoded to hide them (base64, split with
//! zero-width characters), which no pattern can promise to catch.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::outbound::{validate_outbound, OutChannel, OutboundMessage, OutboundPolicy};
//! use agent_mouth::Decision;
//!
//! let policy = OutboundPolicy {
//!     allowed_hosts: vec!["github.com".into()],
//!     ..OutboundPolicy::default()
//! };
//! let msg = OutboundMessage {
//!     channel: OutChannel::Slack,
//!     text: "<!channel> deploy done: https://github.com/o/r/pull/7".into(),
//! };
//! let out = validate_outbound(&msg, &policy);
//! assert_eq!(out.verdict.decision, Decision::Deny);
//! assert_eq!(out.verdict.findings[0].rule_id, "out.mention.channel");
//! assert!(out.validated.is_none());
//!
//! let msg = OutboundMessage { channel: OutChannel::GitHub, text: "LGTM".into() };
//! let sendable = validate_outbound(&msg, &policy).validated.expect("allowed");
//! assert_eq!(sendable.text(), "LGTM");
//! ```

mod api;
mod checksum;
mod email;
mod host;
mod keyvalue;
mod known;
mod links;
mod mentions;
mod redact;
mod rules;
mod scan;
mod structured;
mod tokens;

use autonomic_core::Decision;
use serde::Serialize;

use crate::verdict::Span;
pub use api::{
    validate_api_call, ApiCall, ApiExample, ApiFinding, ApiOutcome, ApiRule, ApiVerdict,
    HttpMethod, ValidatedApiCall, API_RULES, MAX_GITHUB_TEXT_CHARS,
};
pub use email::{
    validate_email, EmailDraft, EmailField, EmailFinding, EmailOutcome, EmailPolicy, EmailVerdict,
    ValidatedEmail, MAX_ADDRESS_OCTETS, MAX_HEADER_OCTETS, MAX_RECIPIENTS,
};
pub use known::{KnownSecret, MIN_KNOWN_LEN};
pub use rules::{OutboundRule, RULES};
use scan::Hit;

/// Largest message scanned, in bytes (well above Slack's 40,000
/// characters and GitHub's 65,536 per comment). A larger one denies.
pub const MAX_OUTBOUND_BYTES: usize = 1 << 20;

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutChannel {
    /// A Slack message.
    Slack,
    /// A GitHub comment, review, issue or pull request body.
    GitHub,
    /// An e-mail.
    Email,
}

/// A message as it would be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    /// Where it goes.
    pub channel: OutChannel,
    /// The body as sent. For Slack: the mrkdwn `text` and every text field
    /// of the blocks, concatenated by the caller (with newlines between).
    pub text: String,
}

/// What the sending side allows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Hosts links may point to without review: exact (`github.com`) or
    /// `*.suffix` (any subdomain of `suffix`, not `suffix` itself).
    pub allowed_hosts: Vec<String>,
    /// Whether `@channel`, `@here`, `@everyone`, Slack user-group mentions
    /// and (on GitHub) team mentions `@org/team` may be sent.
    pub allow_mass_mentions: bool,
    /// Contents of the files agent-muscle masks; any of their lines found
    /// in a message denies it.
    pub known_secrets: Vec<KnownSecret>,
}

/// One rule that matched an outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundFinding {
    /// Stable rule identifier, e.g. `out.secret.github_token`.
    pub rule_id: &'static str,
    /// What this finding alone decides.
    pub decision: Decision,
    /// Where, in the message text as given (not the redacted text).
    pub span: Span,
    /// Why, in words. Never contains a matched secret.
    pub message: String,
}

/// The answer for one outbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboundVerdict {
    /// The strictest decision over all findings (`allow` when none).
    pub decision: Decision,
    /// Every finding, in text order.
    pub findings: Vec<OutboundFinding>,
    /// The text with every secret replaced by `…[redacted]` (a recognised
    /// prefix such as `ghp_` kept). Empty when the message was too large
    /// to scan.
    pub redacted: String,
}

/// What [`validate_outbound`] returns: the verdict, and the message ready
/// to send unless the verdict denies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundOutcome {
    /// Decision, findings and redacted text.
    pub verdict: OutboundVerdict,
    /// `Some` exactly when `verdict.decision` is not deny.
    pub validated: Option<ValidatedMessage>,
}

/// A message that passed outbound validation, the only type a transport
/// (Slack, GitHub, e-mail) accepts, so nothing unvalidated can be sent.
///
/// Only [`validate_outbound`] builds one: the fields are private, and
/// there is no public constructor, `Default` or `Deserialize`. Its
/// [`text`](Self::text) is the redacted text. Its
/// [`decision`](Self::decision) is never deny: `Allow` may be sent,
/// `Review` only after a human confirms (how is the transport's choice).
///
/// ```compile_fail
/// use agent_mouth::outbound::{OutChannel, ValidatedMessage};
/// let forged = ValidatedMessage { channel: OutChannel::Slack, text: String::new() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedMessage {
    channel: OutChannel,
    text: String,
    decision: Decision,
    findings: Vec<OutboundFinding>,
}

impl ValidatedMessage {
    /// Where it goes.
    pub fn channel(&self) -> OutChannel {
        self.channel
    }

    /// The text to send: the redacted text when anything was redacted.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// `Allow`, or `Review` (a human confirms before it is sent).
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// What was found (all of it allowed or for review).
    pub fn findings(&self) -> &[OutboundFinding] {
        &self.findings
    }
}

/// Validates one outbound message against `policy`.
pub fn validate_outbound(message: &OutboundMessage, policy: &OutboundPolicy) -> OutboundOutcome {
    let text = message.text.as_str();
    if text.len() > MAX_OUTBOUND_BYTES {
        let rule = rules::TOO_LARGE;
        let verdict = OutboundVerdict {
            decision: rule.decision,
            findings: vec![OutboundFinding {
                rule_id: rule.id,
                decision: rule.decision,
                span: Span::new(text, 0, 0),
                message: format!("{} ({} bytes)", rule.reason, text.len()),
            }],
            redacted: String::new(),
        };
        return OutboundOutcome {
            verdict,
            validated: None,
        };
    }
    let hits = scan_all(text, message.channel, policy);
    let redacted = redact::redact(text, hits.iter().filter_map(|h| h.hide.clone()));
    let findings: Vec<OutboundFinding> = hits
        .into_iter()
        .map(|h| OutboundFinding {
            rule_id: h.rule.id,
            decision: h.rule.decision,
            span: Span::new(text, h.range.start, h.range.end),
            message: format!("{}: {}", h.rule.reason, h.detail),
        })
        .collect();
    let decision = findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    let validated = (decision != Decision::Deny).then(|| ValidatedMessage {
        channel: message.channel,
        text: redacted.clone(),
        decision,
        findings: findings.clone(),
    });
    OutboundOutcome {
        verdict: OutboundVerdict {
            decision,
            findings,
            redacted,
        },
        validated,
    }
}

/// The texts validation hides in `text` (what redaction replaces), for a
/// caller that validates parts separately and must hide each part's
/// secrets wherever they repeat in the others (a JSON body's strings).
pub(crate) fn hidden_texts(
    text: &str,
    channel: OutChannel,
    policy: &OutboundPolicy,
) -> Vec<String> {
    let mut hidden: Vec<String> = scan_all(text, channel, policy)
        .into_iter()
        .filter_map(|h| h.hide)
        .filter_map(|r| text.get(r))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    hidden.sort_unstable();
    hidden.dedup();
    hidden
}

/// Every hit of every rule, in text order; a generic finding inside a
/// secret some specific rule already matched is dropped as noise.
fn scan_all(text: &str, channel: OutChannel, policy: &OutboundPolicy) -> Vec<Hit> {
    let mut hits = Vec::new();
    tokens::scan(text, &mut hits);
    structured::scan(text, &mut hits);
    keyvalue::scan(text, &mut hits);
    known::scan(text, &policy.known_secrets, &mut hits);
    if !policy.allow_mass_mentions {
        mentions::scan(text, &mut hits);
        if channel == OutChannel::GitHub {
            mentions::scan_github_teams(text, &mut hits);
        }
    }
    links::scan(text, &policy.allowed_hosts, &mut hits);

    let specific: Vec<std::ops::Range<usize>> = hits
        .iter()
        .filter(|h| h.rule.id.starts_with("out.secret.") && h.rule.decision == Decision::Deny)
        .map(|h| h.range.clone())
        .collect();
    hits.retain(|h| {
        h.rule.id != rules::GENERIC_SECRET.id
            || !specific
                .iter()
                .any(|s| s.start <= h.range.start && h.range.end <= s.end)
    });
    hits.sort_by(|a, b| {
        (a.range.start, a.range.end, a.rule.id).cmp(&(b.range.start, b.range.end, b.rule.id))
    });
    hits.dedup_by(|a, b| a.rule.id == b.rule.id && a.range == b.range);
    hits
}
