//! Block Kit rendering of an approval request: the seed-format plain text
//! (what agent-mouth validates and what notifications show), the blocks with
//! Approve / Reject buttons, and the decided form `chat.update` puts in its
//! place.
//!
//! Everything that came from a workflow or an agent (names, actions,
//! reasons) is escaped per Slack's rules before it reaches mrkdwn, so it
//! cannot mention `<!channel>`, link, or ping a user.

use serde_json::{json, Value};

/// The `action_id` of the Approve button.
pub const APPROVE_ACTION_ID: &str = "autonomic_approve";
/// The `action_id` of the Reject button.
pub const REJECT_ACTION_ID: &str = "autonomic_reject";
/// The `block_id` of the buttons' actions block.
pub const ACTIONS_BLOCK_ID: &str = "autonomic_approval";

/// Characters of an action or reason shown before it is cut with `…`.
const MAX_FIELD_CHARS: usize = 300;
/// Reasons shown; more are counted.
const MAX_REASONS: usize = 5;

/// What an approval request asks: the fields of agent-spine's
/// `RequestFields` that a human sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalRequest {
    /// The workflow's name.
    pub workflow: String,
    /// The run; the buttons' `value`.
    pub run_id: String,
    /// The node that waits, when one does.
    pub node: Option<String>,
    /// What would happen on approval (a command, a push, an override).
    pub action: String,
    /// low, medium, high or critical.
    pub risk: String,
    /// The sandbox level the action runs at.
    pub sandbox: String,
    /// The layers and services the action goes through.
    pub dependencies: Vec<String>,
    /// Why a human is asked.
    pub reasons: Vec<String>,
    /// Minutes the request stays answerable.
    pub expires_in_minutes: u32,
}

/// How a request ended, for the decided form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Approved.
    Approved,
    /// Rejected.
    Rejected,
    /// The workflow was cancelled.
    Cancelled,
    /// A fresh request replaced it (`approvals resend`).
    Superseded,
    /// It expired unanswered (the workflow stays paused).
    Expired,
    /// The run ended without an answer to it.
    Closed,
}

impl Outcome {
    /// The mark and the words of the decided line.
    fn words(self) -> (&'static str, &'static str) {
        match self {
            Outcome::Approved => ("✅", "Approved"),
            Outcome::Rejected => ("❌", "Rejected"),
            Outcome::Cancelled => ("⛔", "Workflow cancelled"),
            Outcome::Superseded => ("↻", "Superseded by a fresh request"),
            Outcome::Expired => ("⌛", "Expired unanswered"),
            Outcome::Closed => ("▪", "Closed: the run ended"),
        }
    }
}

/// Who answered and when, for [`ApprovalRequest::decided`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    /// How it ended.
    pub outcome: Outcome,
    /// A Slack user id (`U…` or `W…`), shown as a mention; anything else
    /// (a CLI user name) is shown as escaped text; empty when nobody
    /// decided (expired, superseded, closed): no "by" then.
    pub by: String,
    /// When, in seconds since the Unix epoch; shown in UTC.
    pub at_unix: i64,
}

/// A message rendered for Slack: the plain text (which agent-mouth's
/// outbound validation sees) and the Block Kit blocks made from the same
/// request. Only this module renders one, so blocks sent beside a validated
/// text are always the rendering of that text's request.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub(crate) text: String,
    pub(crate) blocks: Value,
}

impl Rendered {
    /// The plain text, unescaped (the client escapes it on the wire).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The `blocks` array.
    pub fn blocks(&self) -> &Value {
        &self.blocks
    }
}

impl ApprovalRequest {
    /// The seed-format text, one field a line:
    ///
    /// ```text
    /// 🔒 Approval Required: Workflow "deploy-frontend" (ID: wf-20240315-abc123)
    ///   Proposed action: git push origin main
    ///   Risk level: high
    ///   Sandbox: firecracker
    ///   Dependencies: agent-muscle, agent-brain
    ///   → Type "yes" to approve, "no" to reject
    ///   → Expires in 30 minutes
    /// ```
    ///
    /// A `Node:` line follows the first when there is a node, and a `Why:`
    /// line per reason follows `Dependencies:`. Control characters become
    /// spaces and long values are cut at 300 characters. The text is plain:
    /// the client escapes it for Slack when it sends it.
    pub fn text(&self) -> String {
        let mut lines = vec![format!(
            "🔒 Approval Required: Workflow \"{}\" (ID: {})",
            one_line(&self.workflow),
            one_line(&self.run_id)
        )];
        if let Some(node) = &self.node {
            lines.push(format!("  Node: {}", one_line(node)));
        }
        lines.push(format!("  Proposed action: {}", one_line(&self.action)));
        lines.push(format!("  Risk level: {}", one_line(&self.risk)));
        lines.push(format!("  Sandbox: {}", one_line(&self.sandbox)));
        lines.push(format!("  Dependencies: {}", self.dependency_list()));
        for reason in self.shown_reasons() {
            lines.push(format!("  Why: {reason}"));
        }
        lines.push("  → Type \"yes\" to approve, \"no\" to reject".to_owned());
        lines.push(format!(
            "  → Expires in {} minutes",
            self.expires_in_minutes
        ));
        lines.join("\n")
    }

    /// The request's Block Kit blocks: a section with the fields (values
    /// escaped, the action in a code span), the Approve / Reject buttons
    /// (their `value` is the run id), and a context line with the expiry.
    pub fn blocks(&self) -> Value {
        let mut blocks = vec![self.section()];
        blocks.push(json!({
            "type": "actions",
            "block_id": ACTIONS_BLOCK_ID,
            "elements": [
                button("Approve", APPROVE_ACTION_ID, "primary", &self.run_id),
                button("Reject", REJECT_ACTION_ID, "danger", &self.run_id),
            ],
        }));
        blocks.push(context(&format!(
            "→ Expires in {} minutes · or reply \"yes\" / \"no\" in this thread",
            self.expires_in_minutes
        )));
        Value::Array(blocks)
    }

    /// The text and blocks of the request, for `chat.postMessage`.
    pub fn render(&self) -> Rendered {
        Rendered {
            text: self.text(),
            blocks: self.blocks(),
        }
    }

    /// The decided form, for `chat.update`: the same section, the buttons
    /// gone, and a line saying who answered and when
    /// (`✅ Approved by <@U123> at 2024-03-15 10:30 UTC`, a mention in the
    /// blocks; the plain text names the user id bare).
    pub fn decided(&self, decided: &Decided) -> Rendered {
        let (mark, verb) = decided.outcome.words();
        let at = utc_minute(decided.at_unix);
        let (by_plain, by_mrkdwn) = if decided.by.is_empty() {
            (String::new(), String::new())
        } else {
            (
                format!(" by {}", who_plain(&decided.by)),
                format!(" by {}", who_mrkdwn(&decided.by)),
            )
        };
        let text = format!(
            "{mark} {verb}{by_plain} at {at}: Workflow \"{}\" (ID: {})",
            one_line(&self.workflow),
            one_line(&self.run_id)
        );
        let line = format!("{mark} {verb}{by_mrkdwn} at {at}");
        let blocks = json!([
            self.section(),
            {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]},
        ]);
        Rendered { text, blocks }
    }

    fn section(&self) -> Value {
        let mut head = format!(
            "🔒 *Approval Required:* Workflow \"{}\" (ID: `{}`)",
            escape(&one_line(&self.workflow)),
            code(&escape(&one_line(&self.run_id)))
        );
        for reason in self.shown_reasons() {
            head.push_str(&format!("\n*Why:* {}", escape(&reason)));
        }
        let mut fields = Vec::new();
        if let Some(node) = &self.node {
            fields.push(field("Node", &escape(&one_line(node))));
        }
        fields.push(field(
            "Proposed action",
            &format!("`{}`", code(&escape(&one_line(&self.action)))),
        ));
        fields.push(field("Risk level", &escape(&one_line(&self.risk))));
        fields.push(field("Sandbox", &escape(&one_line(&self.sandbox))));
        fields.push(field("Dependencies", &escape(&self.dependency_list())));
        json!({
            "type": "section",
            "text": {"type": "mrkdwn", "text": head},
            "fields": fields,
        })
    }

    fn dependency_list(&self) -> String {
        if self.dependencies.is_empty() {
            "—".to_owned()
        } else {
            one_line(&self.dependencies.join(", "))
        }
    }

    fn shown_reasons(&self) -> Vec<String> {
        let mut shown: Vec<String> = self
            .reasons
            .iter()
            .take(MAX_REASONS)
            .map(|r| one_line(r))
            .collect();
        if self.reasons.len() > MAX_REASONS {
            shown.push(format!("(and {} more)", self.reasons.len() - MAX_REASONS));
        }
        shown
    }
}

/// Escapes text for Slack's mrkdwn and `text` fields: `&`, `<` and `>`
/// become `&amp;`, `&lt;` and `&gt;`, the only three characters Slack
/// gives control meaning (`<!channel>`, `<@U…>`, `<https://…|label>`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Text inside a code span: mrkdwn has no escape for a backtick, so one
/// would end the span; it is shown as `ˋ` (U+02CB) instead.
fn code(s: &str) -> String {
    s.replace('`', "\u{2cb}")
}

/// Control characters (newlines included) become spaces, and text longer
/// than 300 characters is cut with `…`.
fn one_line(s: &str) -> String {
    let mut out: String = s
        .chars()
        .take(MAX_FIELD_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if s.chars().nth(MAX_FIELD_CHARS).is_some() {
        out.push('…');
    }
    out
}

fn field(label: &str, value: &str) -> Value {
    json!({"type": "mrkdwn", "text": format!("*{label}:*\n{value}")})
}

fn context(text: &str) -> Value {
    json!({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(text)}]})
}

fn button(label: &str, action_id: &str, style: &str, value: &str) -> Value {
    json!({
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "style": style,
        "value": value,
    })
}

/// A Slack user id: `U` or `W` then upper-case letters and digits.
pub(crate) fn is_user_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('U' | 'W'))
        && (2..=32).contains(&s.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

fn who_mrkdwn(by: &str) -> String {
    if is_user_id(by) {
        format!("<@{by}>")
    } else {
        escape(&one_line(by))
    }
}

/// In the plain text a mention would arrive escaped (shown as literal
/// `<@U…>`), so the id is shown bare.
fn who_plain(by: &str) -> String {
    one_line(by)
}

/// `2024-03-15 10:30 UTC`, or the raw number when out of range.
fn utc_minute(unix: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    time::OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| format!("unix time {unix}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_covers_slack_control_characters() {
        assert_eq!(escape("a & <b> c"), "a &amp; &lt;b&gt; c");
        assert_eq!(escape("&amp;"), "&amp;amp;");
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
        let long = "x".repeat(301);
        let cut = one_line(&long);
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
        assert_eq!(one_line(&"y".repeat(300)), "y".repeat(300));
    }

    #[test]
    fn user_ids() {
        assert!(is_user_id("U0123ABC"));
        assert!(is_user_id("W99"));
        assert!(!is_user_id("U"));
        assert!(!is_user_id("alice"));
        assert!(!is_user_id("U12>"));
        assert!(!is_user_id("u123"));
    }

    #[test]
    fn utc_minute_formats_and_survives_extremes() {
        assert_eq!(utc_minute(1_710_498_600), "2024-03-15 10:30 UTC");
        assert_eq!(utc_minute(i64::MAX), format!("unix time {}", i64::MAX));
    }
}
