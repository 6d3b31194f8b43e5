//! The work of each node kind, run on a blocking thread by the engine.
//!
//! A node's work sees only a [`Job`] (its node, the rendered inputs, the
//! outputs of the nodes it needs) and the [`Services`] (the layers' entry
//! points), and returns an [`Outcome`]; it never touches the journal or the
//! run's state — the engine journals the outcome before acting on it.
//! Every command goes through the dispatcher (the guarded path), every
//! manifest change through agent-immune, and templates are rendered before
//! validation, so what is validated is what runs.

mod agent;
mod apply;
mod exec;
mod gate;
mod github;
mod notify;
mod outbound;
mod prompt;
mod scan;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use agent_muscle::exec::CancelHandle;
use autonomic_core::audit::{Actor, AuditEvent, AuditLog, Kind};
use autonomic_core::config::Config;
use autonomic_core::SandboxLevel;
use autonomic_llm::ChatModel;

use super::approval::RequestFields;
use super::brain::BrainHandle;
use super::dispatch::{Dispatcher, TaskResult};
use super::event::EventKind;
use super::model::{Node, NodeKind, Workflow};
use super::state::RunId;
use super::template::{self, Ref};

pub(crate) use agent::AgentStep;

/// Outputs of one node, by name.
pub type Outputs = BTreeMap<String, String>;

/// What the engine hands a node's work.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub run: RunId,
    pub workflow: Arc<Workflow>,
    pub node: Node,
    pub repo: PathBuf,
    pub vars: BTreeMap<String, String>,
    /// Outputs of every node that has them so far.
    pub outputs: BTreeMap<String, Outputs>,
    /// Refusals of earlier attempts, for a regeneration prompt.
    pub feedback: Vec<String>,
    /// SHA-256 of the command a human approved for this node.
    pub approved_sha256: Option<String>,
    /// Who gave the latest approval for this node.
    pub approved_by: Option<String>,
    /// An `agent` node's steps so far (kept across an approval pause).
    pub transcript: Vec<AgentStep>,
    /// A task result journaled under its idempotency key by an earlier
    /// attempt that did not finish: reused instead of running again.
    pub cached: Option<(String, TaskResult)>,
    pub cancel: CancelHandle,
}

/// A node's outcome, and the exec task it ran (journaled under its key).
#[derive(Debug, Clone)]
pub(crate) struct Done {
    pub outcome: Outcome,
    pub task: Option<(String, TaskResult)>,
}

impl From<Outcome> for Done {
    fn from(outcome: Outcome) -> Done {
        Done {
            outcome,
            task: None,
        }
    }
}

/// How a node's work ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Done; `route` names a handler to run instead of the node's dependents.
    Succeeded {
        outputs: Outputs,
        route: Option<String>,
    },
    /// The work failed (a non-zero exit, a model error).
    Failed { why: String, outputs: Outputs },
    /// A layer refused it.
    Rejected {
        why: String,
        reasons: Vec<String>,
        outputs: Outputs,
    },
    /// A human must approve first (an approval node, a review verdict).
    NeedsApproval {
        fields: RequestFields,
        transcript: Vec<AgentStep>,
    },
    /// A gate holds the run for blocking findings.
    Hold { fields: RequestFields },
}

/// A report from a node's work: journaled and published by the engine.
pub(crate) type Report = Box<dyn Fn(EventKind, serde_json::Value) + Send + Sync>;

/// The model, opened on first use and shared.
pub(crate) struct ModelSlot {
    injected: Option<Arc<dyn ChatModel>>,
    opened: OnceLock<Result<Arc<dyn ChatModel>, String>>,
}

impl ModelSlot {
    pub fn new(injected: Option<Arc<dyn ChatModel>>) -> ModelSlot {
        ModelSlot {
            injected,
            opened: OnceLock::new(),
        }
    }

    pub fn get(&self, config: &Config) -> Result<Arc<dyn ChatModel>, String> {
        if let Some(m) = &self.injected {
            return Ok(m.clone());
        }
        self.opened
            .get_or_init(|| {
                autonomic_llm::open(&config.llm).map_err(|e| {
                    let mut s = e.to_string();
                    if let Some(h) = autonomic_core::Hint::hint(&e) {
                        s.push_str(&format!(" ({h})"));
                    }
                    s
                })
            })
            .clone()
    }
}

/// The layers' entry points, shared by every node's work.
pub(crate) struct Services {
    pub config: Config,
    pub dispatcher: Arc<dyn Dispatcher>,
    pub model: ModelSlot,
    pub brain: BrainHandle,
    pub audit: AuditLog,
    /// The user's home: its credential files are known secrets that no
    /// outbound message may quote.
    pub user_home: Option<PathBuf>,
}

impl Services {
    /// Appends to the audit chain; a failure is logged (the journal has
    /// the transition either way).
    pub fn audit(&self, event: AuditEvent) {
        if let Err(e) = self.audit.append(event) {
            tracing::error!("cannot write the audit log: {e}");
        }
    }

    /// An audit record by the run.
    pub fn audit_run(
        &self,
        run: &RunId,
        kind: Kind,
        decision: Option<autonomic_core::Decision>,
        detail: serde_json::Value,
    ) {
        self.audit(AuditEvent::new(
            kind,
            &Actor::Workflow(run.to_string()),
            decision,
            detail,
        ));
    }
}

impl Job {
    /// Renders a template with this job's variables and outputs.
    pub fn render(&self, text: &str) -> Result<String, String> {
        template::render(text, &|r: &Ref| match r {
            Ref::Var(k) => self.vars.get(k).cloned(),
            Ref::Node { node, output } => self.outputs.get(node)?.get(output).cloned(),
            Ref::Workflow(field) => match field.as_str() {
                "id" => Some(self.run.to_string()),
                "name" => Some(self.workflow.name.clone()),
                "repo" => Some(self.repo.display().to_string()),
                _ => None,
            },
        })
        .map_err(|e| e.to_string())
    }

    /// The sandbox level the node runs at: its own, else `firecracker` for
    /// a node that modifies external state, else the workflow's default,
    /// else `[muscle] default_sandbox`.
    pub fn level(&self, config: &Config) -> SandboxLevel {
        effective_level(&self.workflow, &self.node, config)
    }
}

/// See [`Job::level`].
pub(crate) fn effective_level(workflow: &Workflow, node: &Node, config: &Config) -> SandboxLevel {
    node.sandbox
        .or(node
            .modifies_external_state
            .then_some(SandboxLevel::Firecracker))
        .or(workflow.defaults.sandbox)
        .unwrap_or(config.muscle.default_sandbox)
}

/// Runs a node's work.
pub(crate) fn run(job: &Job, services: &Services, report: &Report) -> Done {
    match &job.node.kind {
        NodeKind::Scan { .. } => scan::run(job, services, report).into(),
        NodeKind::Gate { .. } => gate::run(job, services).into(),
        NodeKind::Prompt { .. } => prompt::run(job, services, report).into(),
        NodeKind::Exec { .. } => exec::run(job, services, report),
        NodeKind::Apply { .. } => apply::run(job, services, report).into(),
        NodeKind::Agent { .. } => agent::run(job, services, report).into(),
        NodeKind::Approval { action, risk } => {
            approval(job, services, action, risk.as_str()).into()
        }
        NodeKind::Notify { .. } => notify::run(job, services, report).into(),
        NodeKind::GitHub { .. } => github::run(job, services, report).into(),
    }
}

/// An approval node asks once; the engine completes it with the answer.
fn approval(job: &Job, services: &Services, action: &str, risk: &str) -> Outcome {
    let action = match job.render(action) {
        Ok(a) => a,
        Err(e) => return failed(e),
    };
    // What the approval guards: the nodes that need it.
    let guarded: Vec<&Node> = job
        .workflow
        .nodes
        .iter()
        .filter(|n| n.needs.contains(&job.node.id))
        .collect();
    let sandbox = guarded
        .iter()
        .map(|n| effective_level(&job.workflow, n, &services.config).to_string())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
        .join(", ");
    let mut deps = std::collections::BTreeSet::new();
    for n in &guarded {
        deps.extend(layers_of(&n.kind));
    }
    Outcome::NeedsApproval {
        fields: RequestFields {
            workflow: job.workflow.name.clone(),
            run: job.run.to_string(),
            node: Some(job.node.id.clone()),
            action,
            risk: risk.to_owned(),
            sandbox: if sandbox.is_empty() {
                "—".into()
            } else {
                sandbox
            },
            dependencies: deps.into_iter().map(str::to_owned).collect(),
            reasons: Vec::new(),
            expires_in_minutes: services.config.mouth.slack_approval_timeout_minutes,
            command_sha256: None,
        },
        transcript: Vec::new(),
    }
}

/// The layers a node kind's work goes through.
pub(crate) fn layers_of(kind: &NodeKind) -> Vec<&'static str> {
    match kind {
        NodeKind::Exec { .. } => vec!["agent-mouth", "agent-immune", "agent-muscle"],
        NodeKind::Agent { .. } => vec![
            "agent-brain",
            "local LLM",
            "agent-mouth",
            "agent-immune",
            "agent-muscle",
        ],
        NodeKind::Prompt { .. } => vec!["agent-brain", "local LLM"],
        NodeKind::Apply { .. } | NodeKind::Scan { .. } => vec!["agent-immune"],
        NodeKind::Notify { channel, .. } if channel.is_external() => vec!["agent-mouth"],
        NodeKind::GitHub { .. } => vec!["agent-mouth"],
        NodeKind::Gate { .. } | NodeKind::Approval { .. } | NodeKind::Notify { .. } => vec![],
    }
}

/// A failure with no outputs.
pub(crate) fn failed(why: impl Into<String>) -> Outcome {
    Outcome::Failed {
        why: why.into(),
        outputs: Outputs::new(),
    }
}

/// `[("k", v)]` → outputs.
pub(crate) fn outputs<const N: usize>(pairs: [(&str, String); N]) -> Outputs {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

/// The idempotency key of an exec node's task for `command`.
pub(crate) fn exec_task_key(job: &Job, services: &Services, command: &str) -> String {
    exec::task(job, services, command).key
}

/// The nodes whose outputs `node`'s templates (and a gate's source) read:
/// the only outputs its job is given.
pub(crate) fn referenced_nodes(node: &Node) -> std::collections::BTreeSet<String> {
    let mut texts: Vec<&str> = Vec::new();
    let mut out = std::collections::BTreeSet::new();
    if let NodeKind::Gate { source, .. } = &node.kind {
        out.insert(source.clone());
    }
    texts.extend(node.kind.templates().into_iter().map(|(_, t)| t));
    texts.extend(node.remember.as_deref());
    for t in texts {
        for r in template::references(t).unwrap_or_default() {
            if let Ref::Node { node, .. } = r {
                out.insert(node);
            }
        }
    }
    out
}
