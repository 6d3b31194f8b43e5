//! The checked model of a workflow file: what [`super::load`] returns once
//! every check passed, and what the engine schedules.
//!
//! What it owns: the types, their defaults and the small questions asked of
//! them (a kind's outputs, route targets, dependents). What it must not do:
//! parse or check (that is `load`), or hold run-time state (that is the
//! journal's).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use autonomic_core::severity::Severity;
use autonomic_core::{Decision, SandboxLevel};
use serde::{Deserialize, Serialize};

/// Default for [`Node::max_attempts`].
pub const DEFAULT_MAX_ATTEMPTS: u32 = 3;
/// Default for an agent node's `max_steps`.
pub const DEFAULT_MAX_STEPS: u32 = 8;
/// Default for a prompt node's `context_budget` (tokens).
pub const DEFAULT_CONTEXT_BUDGET: usize = 400;
/// Default for a prompt node's `max_tokens`.
pub const DEFAULT_MAX_TOKENS: u32 = 256;
/// The most nodes a workflow file may hold.
pub const MAX_NODES: usize = 100_000;

/// A checked workflow: nodes in topological order, every reference resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    /// `[workflow] name`.
    pub name: String,
    /// `[workflow] description`.
    pub description: Option<String>,
    /// The file it was loaded from.
    pub source: Source,
    /// The target repository: `repo` as written, joined onto the file's
    /// directory (not canonicalised).
    pub repo: PathBuf,
    /// The agent-brain project (default: the name).
    pub project: String,
    /// Defaults for nodes that set none.
    pub defaults: NodeDefaults,
    /// `[vars]` as written (run-time `--var`s are not merged here).
    pub vars: BTreeMap<String, String>,
    /// The nodes in topological order (needs and route edges); ties keep
    /// file order.
    pub nodes: Vec<Node>,
}

/// The file a workflow came from, kept so a resumed run can tell whether it
/// changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Source {
    /// The path as given.
    pub path: PathBuf,
    /// The whole text.
    pub text: String,
    /// Lowercase hex SHA-256 of `text`.
    pub sha256: String,
}

/// `[workflow] sandbox`, `timeout` and `memory`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeDefaults {
    /// Default sandbox level for exec and agent nodes.
    pub sandbox: Option<SandboxLevel>,
    /// Default per-node timeout.
    pub timeout: Option<Duration>,
    /// Default per-node memory limit, MiB.
    pub memory_mib: Option<u64>,
}

/// One `[[node]]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// Unique id (`[a-z][a-z0-9_-]{0,63}`).
    pub id: String,
    /// 1-based line of its `[[node]]` header.
    pub line: usize,
    /// Ids of the nodes that must succeed first, as written.
    pub needs: Vec<String>,
    /// What it does.
    pub kind: NodeKind,
    /// Sandbox override (exec, agent).
    pub sandbox: Option<SandboxLevel>,
    /// Timeout override (exec, agent).
    pub timeout: Option<Duration>,
    /// Memory override, MiB (exec, agent).
    pub memory_mib: Option<u64>,
    /// Network grant (exec, agent); off by default.
    pub network: Network,
    /// Whether it changes the world outside the sandbox (git push, publish).
    pub modifies_external_state: bool,
    /// Why it may run without an approval node before it (audited at run time).
    pub waive_approval: Option<String>,
    /// Handler node run when this one fails.
    pub on_failure: Option<String>,
    /// Prompt node regenerating this exec node's command on a refusal.
    pub on_reject: Option<String>,
    /// Handler node run instead of a security hold (scan).
    pub on_findings: Option<String>,
    /// Attempts in all with `on_reject` (1..=10, default 3).
    pub max_attempts: u32,
    /// Template of a fact stored in agent-brain when the node succeeds.
    pub remember: Option<String>,
}

impl Node {
    /// The sandbox this node runs at: its own, else firecracker when it
    /// modifies external state, else the workflow's default (`None`: the
    /// configuration's default decides).
    pub fn effective_sandbox(&self, defaults: &NodeDefaults) -> Option<SandboxLevel> {
        self.sandbox.or(if self.modifies_external_state {
            Some(SandboxLevel::Firecracker)
        } else {
            defaults.sandbox
        })
    }

    /// The route targets this node names (`on_failure`, `on_findings`, a
    /// gate's `on_fail` route), with the key that names each.
    pub fn routes(&self) -> Vec<(&'static str, &str)> {
        let mut routes = Vec::new();
        if let Some(target) = &self.on_failure {
            routes.push(("on_failure", target.as_str()));
        }
        if let Some(target) = &self.on_findings {
            routes.push(("on_findings", target.as_str()));
        }
        if let NodeKind::Gate {
            on_fail: GateFail::Route(target),
            ..
        } = &self.kind
        {
            routes.push(("on_fail", target.as_str()));
        }
        routes
    }
}

/// A node's network grant.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// No network (`false`, the default).
    #[default]
    Off,
    /// Any host (`true`).
    Any,
    /// Only these `host` or `host:port` entries.
    Hosts(Vec<String>),
}

/// What a node does, with its kind-specific settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// agent-immune over the repository or a patch.
    Scan {
        /// What is scanned.
        target: ScanTarget,
        /// Whether subdirectories' lockfiles are scanned too.
        recursive: bool,
    },
    /// Routes on a condition of an earlier node.
    Gate {
        /// The condition.
        when: GateWhen,
        /// The node whose outputs are tested.
        source: String,
        /// What happens when the condition fails.
        on_fail: GateFail,
    },
    /// Asks the model for a command, a patch or text.
    Prompt {
        /// The user prompt (template).
        prompt: String,
        /// The system prompt (template).
        system: Option<String>,
        /// What the answer is constrained to.
        output: PromptOutput,
        /// Tokens of agent-brain `route_task` context (0..=8000).
        context_budget: usize,
        /// Most tokens generated (1..=8192).
        max_tokens: u32,
    },
    /// A command through the guarded path: agent-mouth, then agent-muscle.
    Exec {
        /// The command line (template), validated after substitution.
        command: String,
        /// What a `review` verdict does.
        on_review: OnReview,
    },
    /// Applies a patch to the repository after its scan.
    Apply {
        /// The patch (template).
        patch: String,
    },
    /// A bounded loop of model-proposed commands, each through the layers.
    Agent {
        /// The goal (template).
        goal: String,
        /// Most steps (1..=100).
        max_steps: u32,
        /// What a `review` verdict on a step does.
        on_review: OnReview,
    },
    /// Pauses for a human.
    Approval {
        /// What is being approved (template).
        action: String,
        /// The risk shown to the approver.
        risk: Risk,
    },
    /// A message to the user: local, or through agent-mouth's outbound
    /// validation to Slack, e-mail or a GitHub comment.
    Notify {
        /// The message (template).
        message: String,
        /// Where it goes.
        channel: NotifyChannel,
    },
    /// A GitHub REST call (typically written by a model), validated by
    /// agent-mouth's API policy before it is sent.
    GitHub {
        /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (template).
        method: String,
        /// The path under the API root (template).
        path: String,
        /// The JSON body (template), if any.
        body: Option<String>,
    },
}

/// Where a notify node's message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyChannel {
    /// Journaled, published on the bus and audited; nothing leaves the host.
    Local,
    /// A Slack message.
    Slack {
        /// The channel (`slack_channel`); `None`: `[mouth] slack_approval_channel`.
        channel: Option<String>,
    },
    /// An e-mail through the `[mouth]` SMTP relay.
    Email {
        /// Recipients, each within `[mouth] email_recipients`.
        to: Vec<String>,
        /// The subject (template); `None`: the workflow's name and the node's id.
        subject: Option<String>,
    },
    /// A comment on a GitHub issue or pull request.
    GitHub(IssueRef),
}

impl NotifyChannel {
    /// The channel's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            NotifyChannel::Local => "local",
            NotifyChannel::Slack { .. } => "slack",
            NotifyChannel::Email { .. } => "email",
            NotifyChannel::GitHub(_) => "github",
        }
    }

    /// Whether a message sent here leaves the host (and so modifies
    /// external state).
    pub fn is_external(&self) -> bool {
        *self != NotifyChannel::Local
    }
}

/// An issue or pull request: `owner/repo#number`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssueRef {
    /// The owner (user or organisation).
    pub owner: String,
    /// The repository.
    pub repo: String,
    /// The issue or pull request number.
    pub number: u64,
}

impl std::fmt::Display for IssueRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}#{}", self.owner, self.repo, self.number)
    }
}

impl std::str::FromStr for IssueRef {
    type Err = String;

    /// `owner/repo#number`: names of letters, digits, `-`, `_` and `.`
    /// (not `.` or `..`), a number from 1.
    fn from_str(s: &str) -> Result<IssueRef, String> {
        let expected = "expected \"owner/repo#NUMBER\", e.g. \"octo/app#7\"";
        let (names, number) = s
            .split_once('#')
            .ok_or_else(|| format!("\"{s}\" has no `#NUMBER`: {expected}"))?;
        let (owner, repo) = names
            .split_once('/')
            .ok_or_else(|| format!("\"{s}\" has no `owner/`: {expected}"))?;
        let name_ok = |n: &str| {
            !n.is_empty()
                && n.len() <= 100
                && n != "."
                && n != ".."
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        };
        if !name_ok(owner) || !name_ok(repo) {
            return Err(format!(
                "\"{s}\": owner and repository are letters, digits, `-`, `_` or `.`; {expected}"
            ));
        }
        let number = number
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| format!("\"{s}\": `{number}` is not an issue number; {expected}"))?;
        Ok(IssueRef {
            owner: owner.to_owned(),
            repo: repo.to_owned(),
            number,
        })
    }
}

impl NodeKind {
    /// Every kind name, as written in files.
    pub const NAMES: [&'static str; 9] = [
        "scan", "gate", "prompt", "exec", "apply", "agent", "approval", "notify", "github",
    ];

    /// The kind's name as written in files.
    pub fn name(&self) -> &'static str {
        match self {
            NodeKind::Scan { .. } => "scan",
            NodeKind::Gate { .. } => "gate",
            NodeKind::Prompt { .. } => "prompt",
            NodeKind::Exec { .. } => "exec",
            NodeKind::Apply { .. } => "apply",
            NodeKind::Agent { .. } => "agent",
            NodeKind::Approval { .. } => "approval",
            NodeKind::Notify { .. } => "notify",
            NodeKind::GitHub { .. } => "github",
        }
    }

    /// The outputs later nodes may reference as `${{ nodes.ID.OUTPUT }}`.
    pub fn outputs(&self) -> &'static [&'static str] {
        match self {
            NodeKind::Scan { .. } => &["findings", "blocking", "max_severity", "summary"],
            NodeKind::Gate { .. } => &["passed"],
            NodeKind::Prompt { output, .. } => match output {
                PromptOutput::Command => &["command", "text"],
                PromptOutput::Patch => &["patch", "text"],
                PromptOutput::Text => &["text"],
            },
            NodeKind::Exec { .. } => &["exit_code", "stdout", "stderr", "decision"],
            NodeKind::Apply { .. } => &["files", "introduced"],
            NodeKind::Agent { .. } => &["steps", "summary", "exit_code"],
            NodeKind::Approval { .. } => &["decision", "by"],
            NodeKind::Notify { .. } => &["message"],
            NodeKind::GitHub { .. } => &["status", "html_url", "response"],
        }
    }

    /// Whether its work is an outbound message or call that agent-mouth's
    /// outbound validation gates (a review asks a human itself, so no
    /// approval node is needed before it).
    pub fn is_outbound(&self) -> bool {
        match self {
            NodeKind::Notify { channel, .. } => channel.is_external(),
            NodeKind::GitHub { .. } => true,
            _ => false,
        }
    }

    /// The template-valued keys, with their text.
    pub fn templates(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        match self {
            NodeKind::Scan {
                target: ScanTarget::Patch(patch),
                ..
            }
            | NodeKind::Apply { patch } => out.push(("patch", patch.as_str())),
            NodeKind::Prompt { prompt, system, .. } => {
                out.push(("prompt", prompt.as_str()));
                if let Some(system) = system {
                    out.push(("system", system.as_str()));
                }
            }
            NodeKind::Exec { command, .. } => out.push(("command", command.as_str())),
            NodeKind::Agent { goal, .. } => out.push(("goal", goal.as_str())),
            NodeKind::Approval { action, .. } => out.push(("action", action.as_str())),
            NodeKind::Notify { message, channel } => {
                out.push(("message", message.as_str()));
                if let NotifyChannel::Email {
                    subject: Some(subject),
                    ..
                } = channel
                {
                    out.push(("subject", subject.as_str()));
                }
            }
            NodeKind::GitHub { method, path, body } => {
                out.push(("method", method.as_str()));
                out.push(("path", path.as_str()));
                if let Some(body) = body {
                    out.push(("body", body.as_str()));
                }
            }
            NodeKind::Scan { .. } | NodeKind::Gate { .. } => {}
        }
        out
    }
}

/// What a scan node scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ScanTarget {
    /// The workflow's repository.
    Repo,
    /// A patch (template), e.g. `${{ nodes.fix.patch }}`.
    Patch(String),
}

/// A gate's condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateWhen {
    /// Passes when the scan found nothing at or above `at_least`
    /// (`None`: `[immune] fail_on` at run time).
    Findings {
        /// The lowest blocking severity.
        at_least: Option<Severity>,
    },
    /// Passes when the source's exit code equals `equals`.
    ExitCode {
        /// The expected exit code.
        equals: i32,
    },
    /// Passes when the source's verdict is one of `allow`.
    Verdict {
        /// The verdicts that pass.
        allow: Vec<Decision>,
    },
}

/// What a failed gate does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GateFail {
    /// `security_hold` until a clean rescan or an override.
    Hold,
    /// The gate fails.
    Fail,
    /// The named handler branch runs instead of the gate's dependents.
    Route(String),
}

/// What a prompt node's answer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PromptOutput {
    /// One shell command.
    Command,
    /// A unified diff.
    Patch,
    /// Free text.
    Text,
}

impl PromptOutput {
    /// The name as written in files.
    pub fn as_str(self) -> &'static str {
        match self {
            PromptOutput::Command => "command",
            PromptOutput::Patch => "patch",
            PromptOutput::Text => "text",
        }
    }
}

/// What a `review` verdict does to an exec or agent node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnReview {
    /// Pause for a human (`waiting_approval`).
    Approval,
    /// Treat it as a refusal.
    Refuse,
}

/// The risk an approval request shows: agent-mouth's levels (a workflow
/// file names one for an approval node; a command's comes from its verdict).
pub use agent_mouth::Risk;

impl Workflow {
    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&Node> {
        self.nodes.iter().find(|node| node.id == id)
    }

    /// Nodes named by `on_failure`, `on_findings` or a gate's `on_fail`
    /// route: they run only when routed to.
    pub fn route_targets(&self) -> BTreeSet<&str> {
        self.nodes
            .iter()
            .flat_map(Node::routes)
            .map(|(_, target)| target)
            .collect()
    }

    /// Nodes whose `needs` contain `id`, in the model's order.
    pub fn dependents(&self, id: &str) -> Vec<&str> {
        self.nodes
            .iter()
            .filter(|node| node.needs.iter().any(|need| need == id))
            .map(|node| node.id.as_str())
            .collect()
    }
}
