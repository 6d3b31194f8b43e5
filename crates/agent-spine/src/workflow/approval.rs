//! Approval requests and the channels that carry them to a human.
//!
//! A request is journaled (the run's waiting state first, then the request)
//! before any channel sees it; answers come back as entries in the
//! journal's append-only decision log, whoever carried them (the CLI, a NATS
//! message, later Slack), and the engine alone decides which answer counts:
//! the first valid one. A channel only delivers: it must not decide.
//!
//! The request's text follows the seed's format:
//!
//! ```text
//! 🔒 Approval Required: Workflow "deploy-frontend" (ID: wf-20240315-abc123)
//!   Proposed action: git push origin main
//!   Risk level: high
//!   Sandbox: firecracker
//!   Dependencies: agent-muscle, agent-brain
//!   → Approve: autonomic approve wf-20240315-abc123  (reject: autonomic reject …, cancel: autonomic cancel …)
//!   → Expires in 30 minutes
//! ```

use serde::Serialize;

use super::journal::Request;

/// What a request asks, as structured fields (journaled beside the text and
/// sent to channels that format their own message).
#[derive(Debug, Clone, Serialize)]
pub struct RequestFields {
    /// The workflow's name.
    pub workflow: String,
    /// The run.
    pub run: String,
    /// The node that waits, when one does.
    pub node: Option<String>,
    /// What would happen on approval (a command, a push, an override).
    pub action: String,
    /// low, medium, high or critical.
    pub risk: String,
    /// The sandbox level the action runs at ("—" when it runs nothing).
    pub sandbox: String,
    /// The layers and services the action goes through.
    pub dependencies: Vec<String>,
    /// Why a human is asked (a review verdict's reasons, the findings of a
    /// hold, a crash while an external action ran).
    pub reasons: Vec<String>,
    /// Minutes the request stays answerable.
    pub expires_in_minutes: u32,
    /// SHA-256 of the exact command approved, when the action is one: an
    /// approval never carries over to a different command.
    pub command_sha256: Option<String>,
}

impl RequestFields {
    /// The seed-format text of the request.
    pub fn text(&self) -> String {
        let mut out = format!(
            "🔒 Approval Required: Workflow \"{}\" (ID: {})\n",
            self.workflow, self.run
        );
        if let Some(node) = &self.node {
            out.push_str(&format!("  Node: {node}\n"));
        }
        out.push_str(&format!("  Proposed action: {}\n", one_line(&self.action)));
        out.push_str(&format!("  Risk level: {}\n", self.risk));
        out.push_str(&format!("  Sandbox: {}\n", self.sandbox));
        out.push_str(&format!(
            "  Dependencies: {}\n",
            if self.dependencies.is_empty() {
                "—".to_owned()
            } else {
                self.dependencies.join(", ")
            }
        ));
        for r in &self.reasons {
            out.push_str(&format!("  Why: {}\n", one_line(r)));
        }
        out.push_str(&format!(
            "  → Approve: autonomic approve {run}   Reject: autonomic reject {run}   Cancel: autonomic cancel {run}\n",
            run = self.run
        ));
        out.push_str(&format!(
            "  → Expires in {} minutes (the workflow stays paused; `autonomic approvals resend {}` sends a fresh request)\n",
            self.expires_in_minutes, self.run
        ));
        out
    }
}

/// Long or multi-line actions shown on one line, cut at 300 characters.
fn one_line(s: &str) -> String {
    let flat: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if flat.chars().count() > 300 {
        let cut: String = flat.chars().take(300).collect();
        format!("{cut}…")
    } else {
        flat
    }
}

/// A way to put a journaled request in front of a human. Slack, email and
/// others implement it later; answers always come back through the
/// journal's decision log.
pub trait ApprovalChannel: Send + Sync {
    /// The channel's name, as recorded in events (`local`, `slack`).
    fn name(&self) -> &'static str;

    /// Delivers a request (already journaled).
    ///
    /// # Errors
    ///
    /// The channel could not deliver it, as one line; the request stays
    /// open and `approvals resend` can retry.
    fn send(&self, request: &Request) -> Result<(), String>;
}

/// The local channel: the request lives in the journal, where `autonomic
/// approvals` lists it and `autonomic approve|reject|cancel` answers it;
/// the foreground `autonomic run` prints it as it is requested.
#[derive(Debug, Default)]
pub struct LocalChannel;

impl ApprovalChannel for LocalChannel {
    fn name(&self) -> &'static str {
        "local"
    }

    fn send(&self, request: &Request) -> Result<(), String> {
        tracing::info!(request = %request.id, run = %request.run, "approval requested");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_has_the_seed_fields_and_flattens_actions() {
        let f = RequestFields {
            workflow: "deploy-frontend".into(),
            run: "wf-20240315-abc123".into(),
            node: Some("push".into()),
            action: "git push origin main\n; rm -rf x".into(),
            risk: "high".into(),
            sandbox: "firecracker".into(),
            dependencies: vec!["agent-muscle".into(), "agent-brain".into()],
            reasons: vec![],
            expires_in_minutes: 30,
            command_sha256: None,
        };
        let t = f.text();
        assert!(t.starts_with(
            "🔒 Approval Required: Workflow \"deploy-frontend\" (ID: wf-20240315-abc123)\n"
        ));
        assert!(
            t.contains("  Proposed action: git push origin main ; rm -rf x\n"),
            "{t}"
        );
        assert!(t.contains("  Risk level: high\n"));
        assert!(t.contains("  Sandbox: firecracker\n"));
        assert!(t.contains("  Dependencies: agent-muscle, agent-brain\n"));
        assert!(t.contains("Expires in 30 minutes"));
    }
}
