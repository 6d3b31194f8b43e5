//! The dispatch seam: an exec node's command leaves the engine as a
//! serialisable [`ExecTask`] through one interface, [`Dispatcher`]. This
//! issue runs tasks in process on the guarded command path ([`InProcess`]);
//! workers on other hosts (NATS JetStream work queues) plug in behind the
//! same trait later.
//!
//! A task's idempotency key comes from the run, the node and the task's
//! input (command, directory, sandbox settings) — never from the attempt — so
//! a result journaled under it is reused instead of running the command a
//! second time.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use agent_muscle::exec::egress::HostRule;
use agent_muscle::exec::{CancelHandle, RunControl};
use autonomic_core::audit::{sha256_hex, Actor};
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;
use autonomic_core::{Decision, SandboxLevel};
use serde::{Deserialize, Serialize};

use crate::guard::{Guard, Outcome};
use crate::sandbox::SandboxOptions;

/// Most bytes of each stream kept in a task's result (and so in node
/// outputs and the journal).
pub const OUTPUT_KEEP: usize = 64 * 1024;

/// Network a task is granted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskNetwork {
    /// None.
    Off,
    /// Any public host, through the egress proxy.
    Any,
    /// Only these `host[:port]` destinations.
    Hosts(Vec<String>),
}

/// One command to run on the guarded path, as data.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecTask {
    /// `sha256(run, node, input)`: equal for every attempt of the same work.
    pub key: String,
    /// The run it belongs to.
    pub run: String,
    /// The node it belongs to.
    pub node: String,
    /// The shell command (after substitution: validated as it will run).
    pub command: String,
    /// Where it runs: the workspace of the sandbox.
    pub cwd: PathBuf,
    /// The sandbox level.
    pub level: SandboxLevel,
    /// Wall-clock limit in seconds.
    pub timeout_secs: u64,
    /// Memory limit in MiB, when the node sets one.
    pub memory_mib: Option<u64>,
    /// Network granted.
    pub network: TaskNetwork,
    /// SHA-256 of a command a human approved: a `review` verdict on exactly
    /// this command runs.
    pub approved_sha256: Option<String>,
}

impl ExecTask {
    /// The idempotency key of a task's input.
    pub fn key_for(
        run: &str,
        node: &str,
        command: &str,
        cwd: &std::path::Path,
        level: SandboxLevel,
    ) -> String {
        sha256_hex(&format!(
            "{run}\0{node}\0{command}\0{}\0{level}",
            cwd.display()
        ))
    }
}

/// How a task ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum TaskResult {
    /// A layer refused it before anything ran (mouth's deny, immune's
    /// install check, a review nobody approved).
    Refused {
        /// deny or review.
        decision: Decision,
        /// `decision [rule]: message`, one per reason.
        reasons: Vec<String>,
    },
    /// It needs a human's approval first.
    NeedsReview {
        /// Why.
        reasons: Vec<String>,
        /// agent-mouth's risk level for it (absent in results journaled
        /// before it was recorded).
        #[serde(default)]
        risk: Option<agent_mouth::Risk>,
    },
    /// It ran.
    Ran {
        /// The exit code (128+N for signal N).
        exit_code: i32,
        /// How it ended, in words.
        status: String,
        /// The start of stdout (lossy UTF-8).
        stdout: String,
        /// The start of stderr (lossy UTF-8).
        stderr: String,
        /// The sandbox level it ran at.
        level: SandboxLevel,
        /// Why the sandbox stopped it, if it did.
        violation: Option<String>,
        /// mouth + immune's decision (allow, or review when approved).
        decision: Decision,
    },
}

/// Why a task could not be dispatched or run (distinct from a refusal).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DispatchError(pub String);

/// Where exec tasks go.
pub trait Dispatcher: Send + Sync {
    /// Runs `task`; `cancel` stops it.
    ///
    /// # Errors
    ///
    /// The guarded path could not be set up or the sandbox failed.
    fn dispatch(&self, task: &ExecTask, cancel: &CancelHandle)
        -> Result<TaskResult, DispatchError>;
}

/// Runs tasks in this process on the guarded command path: one [`Guard`]
/// (one validator) per worker thread.
#[derive(Debug, Clone)]
pub struct InProcess {
    paths: Paths,
    config: Config,
}

thread_local! {
    static GUARD: RefCell<Option<Guard>> = const { RefCell::new(None) };
}

impl InProcess {
    /// A dispatcher over `config`'s layers.
    pub fn new(paths: Paths, config: Config) -> InProcess {
        InProcess { paths, config }
    }

    fn with_guard<T>(
        &self,
        actor: Actor,
        f: impl FnOnce(&mut Guard) -> Result<T, DispatchError>,
    ) -> Result<T, DispatchError> {
        GUARD.with(|cell| {
            let mut slot = cell.borrow_mut();
            let stale = slot
                .as_ref()
                .is_none_or(|g| g.config() != &self.config || g.paths().home != self.paths.home);
            if stale {
                let g = Guard::new(self.paths.clone(), self.config.clone(), actor.clone())
                    .map_err(|e| DispatchError(describe(&e)))?;
                *slot = Some(g);
            }
            let guard = slot
                .as_mut()
                .ok_or_else(|| DispatchError("no guard".to_owned()))?;
            guard.set_actor(actor);
            f(guard)
        })
    }
}

/// The sandbox options of a task.
pub fn sandbox_options(task: &ExecTask) -> Result<SandboxOptions, DispatchError> {
    let allow_hosts = match &task.network {
        TaskNetwork::Off => Vec::new(),
        TaskNetwork::Any => vec![HostRule::parse("*").map_err(|e| DispatchError(e.to_string()))?],
        TaskNetwork::Hosts(hosts) => hosts
            .iter()
            .map(|h| HostRule::parse(h).map_err(|e| DispatchError(format!("`{h}`: {e}"))))
            .collect::<Result<_, _>>()?,
    };
    Ok(SandboxOptions {
        level: Some(task.level),
        allow_net: task.network != TaskNetwork::Off,
        allow_hosts,
        memory: task.memory_mib.map(|m| m * 1024 * 1024),
        timeout: Some(Duration::from_secs(task.timeout_secs)),
        workspace: Some(task.cwd.clone()),
        ..SandboxOptions::default()
    })
}

/// An error with its causes and hint, on one line.
pub(crate) fn describe<E: std::error::Error + autonomic_core::Hint>(e: &E) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(&format!(": {s}"));
        source = s.source();
    }
    if let Some(h) = e.hint() {
        out.push_str(&format!(" ({h})"));
    }
    out
}

fn keep(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(OUTPUT_KEEP)];
    String::from_utf8_lossy(cut).into_owned()
}

impl Dispatcher for InProcess {
    fn dispatch(
        &self,
        task: &ExecTask,
        cancel: &CancelHandle,
    ) -> Result<TaskResult, DispatchError> {
        let opts = sandbox_options(task)?;
        self.with_guard(Actor::Workflow(task.run.clone()), |guard| {
            let a = guard
                .assess(&task.command, &task.cwd)
                .map_err(|e| DispatchError(e.to_string()))?;
            let approved =
                task.approved_sha256.as_deref() == Some(sha256_hex(&task.command).as_str());
            match a.decision {
                Decision::Deny => {
                    guard
                        .refuse(&a, "denied")
                        .map_err(|e| DispatchError(e.to_string()))?;
                    return Ok(TaskResult::Refused {
                        decision: Decision::Deny,
                        reasons: a.reasons(),
                    });
                }
                Decision::Review if !approved => {
                    return Ok(TaskResult::NeedsReview {
                        reasons: a.reasons(),
                        risk: Some(a.verdict.risk()),
                    })
                }
                _ => {}
            }
            let control = RunControl {
                cancel: Some(cancel.clone()),
                output: None,
            };
            match guard
                .run_with(&a, approved, &opts, &control)
                .map_err(|e| DispatchError(describe(&e)))?
            {
                Outcome::Refused { decision, reasons } => {
                    Ok(TaskResult::Refused { decision, reasons })
                }
                Outcome::Ran(ran) => {
                    let exit_code = match &ran.result.status {
                        agent_muscle::exec::Exit::Code(c) => *c,
                        agent_muscle::exec::Exit::Signal { number, .. } => 128 + number,
                    };
                    Ok(TaskResult::Ran {
                        exit_code,
                        status: ran.result.status.to_string(),
                        stdout: keep(&ran.result.stdout),
                        stderr: keep(&ran.result.stderr),
                        level: ran.level,
                        violation: ran.result.violation.as_ref().map(ToString::to_string),
                        decision: a.decision,
                    })
                }
            }
        })
    }
}
