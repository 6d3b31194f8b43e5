//! agent-mouth's outbound verdicts in one shape, for the nodes that send
//! and for `autonomic outbound check` / `github check`: the decision,
//! every finding with its rule id and where it is (a span in a text, a
//! field of an e-mail, a JSON pointer into a call's body), and the
//! redacted text — never a secret.

use agent_mouth::outbound::{
    validate_api_call, validate_outbound, ApiCall, ApiOutcome, EmailField, EmailVerdict,
    OutChannel, OutboundMessage, OutboundOutcome, OutboundPolicy,
};
use autonomic_core::Decision;
use serde::Serialize;

/// One finding, wherever it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The rule's id (`out.*`, `out.email.*`, `gh.*`).
    pub rule_id: String,
    /// What it alone decides.
    pub decision: Decision,
    /// Where: `line:col` in a message, a field of an e-mail (`subject
    /// 1:4`, `to[0]`), `method`, `path` or a JSON pointer of a call.
    pub location: String,
    /// Byte range in the text as given, for a message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub span: Option<(usize, usize)>,
    /// Why, in words (never a secret).
    pub message: String,
}

impl Finding {
    /// `rule (where): why`, as a reason line.
    pub fn reason(&self) -> String {
        format!("{} ({}): {}", self.rule_id, self.location, self.message)
    }
}

/// A verdict on something outbound.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// `slack`, `email` or `github`.
    pub channel: &'static str,
    /// The strictest decision.
    pub decision: Decision,
    /// Every finding.
    pub findings: Vec<Finding>,
    /// What would be sent, every secret redacted.
    pub redacted: String,
}

impl Checked {
    /// The distinct rule ids, in finding order.
    pub fn rule_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for f in &self.findings {
            if !ids.contains(&f.rule_id) {
                ids.push(f.rule_id.clone());
            }
        }
        ids
    }

    /// The findings that decide the verdict (all of them when it allows).
    pub fn deciding(&self) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.decision == self.decision)
            .collect()
    }
}

/// The name of a channel.
pub fn channel_name(channel: OutChannel) -> &'static str {
    match channel {
        OutChannel::Slack => "slack",
        OutChannel::GitHub => "github",
        OutChannel::Email => "email",
    }
}

/// A message for `channel`, validated: the verdict and agent-mouth's outcome.
pub fn message(
    channel: OutChannel,
    text: &str,
    policy: &OutboundPolicy,
) -> (Checked, OutboundOutcome) {
    let outcome = validate_outbound(
        &OutboundMessage {
            channel,
            text: text.to_owned(),
        },
        policy,
    );
    let v = &outcome.verdict;
    let checked = Checked {
        channel: channel_name(channel),
        decision: v.decision,
        findings: v
            .findings
            .iter()
            .map(|f| Finding {
                rule_id: f.rule_id.to_owned(),
                decision: f.decision,
                location: format!("{}:{}", f.span.line, f.span.col),
                span: Some((f.span.start, f.span.end)),
                message: f.message.clone(),
            })
            .collect(),
        redacted: v.redacted.clone(),
    };
    (checked, outcome)
}

/// An e-mail's verdict (the body is the redacted text shown, after the
/// subject).
pub fn email(verdict: &EmailVerdict) -> Checked {
    Checked {
        channel: "email",
        decision: verdict.decision,
        findings: verdict
            .findings
            .iter()
            .map(|f| {
                let field = match f.field {
                    EmailField::Recipients => "to".to_owned(),
                    EmailField::Recipient(i) => format!("to[{i}]"),
                    EmailField::FromName => "from_name".to_owned(),
                    EmailField::Subject => "subject".to_owned(),
                    EmailField::Body => "body".to_owned(),
                };
                let location = match f.field {
                    EmailField::Recipients | EmailField::Recipient(_) => field,
                    _ => format!("{field} {}:{}", f.span.line, f.span.col),
                };
                Finding {
                    rule_id: f.rule_id.to_owned(),
                    decision: f.decision,
                    location,
                    span: None,
                    message: f.message.clone(),
                }
            })
            .collect(),
        redacted: format!(
            "Subject: {}\n\n{}",
            verdict.redacted_subject, verdict.redacted_body
        ),
    }
}

/// A GitHub call, validated: the verdict (the redacted text is `METHOD
/// path` and the redacted body) and agent-mouth's outcome.
pub fn api_call(
    method: &str,
    path: &str,
    body: Option<&str>,
    policy: &OutboundPolicy,
) -> (Checked, ApiOutcome) {
    let outcome = validate_api_call(
        &ApiCall {
            method: method.to_owned(),
            path: path.to_owned(),
            body: body.map(str::to_owned),
        },
        policy,
    );
    let v = &outcome.verdict;
    let shown_path = outcome
        .validated
        .as_ref()
        .map_or(path, |c| c.path())
        .to_owned();
    let mut redacted = format!("{} {}", method.to_uppercase(), printable(&shown_path));
    match (&v.redacted_body, body) {
        (Some(b), _) => redacted.push_str(&format!("\n{b}")),
        (None, Some(_)) => redacted.push_str("\n(body not shown: it is not JSON)"),
        (None, None) => {}
    }
    let checked = Checked {
        channel: "github",
        decision: v.decision,
        findings: v
            .findings
            .iter()
            .map(|f| Finding {
                rule_id: f.rule_id.to_owned(),
                decision: f.decision,
                location: f.location.clone(),
                span: None,
                message: f.message.clone(),
            })
            .collect(),
        redacted,
    };
    (checked, outcome)
}

/// A path as shown: control characters escaped, at most 300 characters.
fn printable(path: &str) -> String {
    let mut out: String = path
        .chars()
        .take(300)
        .flat_map(char::escape_debug)
        .collect();
    if path.chars().count() > 300 {
        out.push('…');
    }
    out
}

/// `text` cut to `max` characters, with `…` when cut.
pub fn capped(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut out: String = text.chars().take(max).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delete_of_a_repository_is_denied_with_its_rule() {
        let (c, out) = api_call("DELETE", "/repos/o/r", None, &OutboundPolicy::default());
        assert_eq!(c.decision, Decision::Deny);
        assert!(out.validated.is_none());
        assert!(c.rule_ids().contains(&"gh.repo.delete".to_owned()), "{c:?}");
        assert_eq!(c.redacted, "DELETE /repos/o/r");
    }

    #[test]
    fn a_message_finding_has_its_line_and_column() {
        let (c, _) = message(
            OutChannel::Slack,
            "hi\n<!channel> go",
            &OutboundPolicy::default(),
        );
        assert_eq!(c.decision, Decision::Deny);
        assert_eq!(c.findings[0].location, "2:1");
        assert_eq!(c.findings[0].span, Some((3, 13)));
        assert_eq!(c.deciding().len(), 1);
    }
}
