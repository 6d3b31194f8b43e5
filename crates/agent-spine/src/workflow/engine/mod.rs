//! The engine: a tokio task that owns the journal and the runs in memory,
//! and reacts to messages — a run submitted, a node's work done, a report
//! from a node, a poke to read new decisions — one at a time, so the CLI,
//! a Slack listener or NATS never touch its state. Node work runs on
//! blocking threads (the layers' APIs are synchronous); independent ready
//! nodes run at once.
//!
//! Every transition is journaled before it takes effect (a node is marked
//! running before its work starts; an outcome is journaled before its
//! dependents are scheduled; a waiting state before its request), then
//! published on the bus and, for the ones that matter to security, written
//! to the audit chain. After a crash the journal says where each run was
//! ([`recover`]).

mod batch;
mod core;
mod decide;
mod recover;
mod run;

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use autonomic_core::config::Config;
use autonomic_core::paths::Paths;
use autonomic_llm::ChatModel;
use tokio::sync::{mpsc, oneshot, watch};

use super::approval::{ApprovalChannel, LocalChannel};
use super::bus::Bus;
use super::dispatch::{Dispatcher, InProcess};
use super::event::{Event, EventKind};
use super::journal::{Journal, JournalError};
use super::model::Workflow;
use super::nodes::Done;
use super::state::{RunId, RunState};

/// Why the engine could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The repository to run in is unusable.
    #[error("the repository `{}` cannot be used: {why}", path.display())]
    Repo {
        /// The path given.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A variable was given twice or is malformed.
    #[error("{0}")]
    Input(String),
    /// The engine has stopped.
    #[error("the workflow engine has stopped")]
    Stopped,
}

impl autonomic_core::Hint for EngineError {
    fn hint(&self) -> Option<String> {
        match self {
            EngineError::Journal(e) => e.hint(),
            EngineError::Repo { .. } => {
                Some("set `repo` in the workflow's [workflow] table or pass --repo DIR".into())
            }
            EngineError::Input(_) | EngineError::Stopped => None,
        }
    }
}

/// Which journaled runs this engine drives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every unfinished run, and runs other processes submit (the daemon).
    All,
    /// Only runs submitted to it (a foreground `autonomic run`).
    Submitted,
    /// One journaled run and nothing else (a foreground `approve`).
    Only(RunId),
}

/// How to build an engine.
pub struct EngineOptions {
    /// The home (audit log, rules, profiles).
    pub paths: Paths,
    /// Settings in force.
    pub config: Config,
    /// Which runs it drives.
    pub scope: Scope,
    /// The journal (by default `[spine] journal_path`).
    pub journal: Option<Journal>,
    /// The model for prompt and agent nodes (by default `[llm]`, opened at
    /// the first prompt).
    pub model: Option<Arc<dyn ChatModel>>,
    /// Where exec tasks go (by default in process, on the guarded path).
    pub dispatcher: Option<Arc<dyn Dispatcher>>,
    /// Channels approval requests are sent to (the local one always).
    pub channels: Vec<Arc<dyn ApprovalChannel>>,
    /// How often new decisions and submitted runs are looked for.
    pub poll: Duration,
}

impl EngineOptions {
    /// The defaults for `config`.
    pub fn new(paths: Paths, config: Config, scope: Scope) -> EngineOptions {
        EngineOptions {
            paths,
            config,
            scope,
            journal: None,
            model: None,
            dispatcher: None,
            channels: Vec::new(),
            poll: Duration::from_millis(200),
        }
    }
}

/// Messages the engine task handles, one at a time.
pub(crate) enum Msg {
    Submit {
        workflow: Box<Workflow>,
        repo: Option<PathBuf>,
        vars: BTreeMap<String, String>,
        reply: oneshot::Sender<Result<RunId, EngineError>>,
    },
    Done {
        run: RunId,
        node: String,
        done: Box<Done>,
    },
    Report {
        run: RunId,
        node: String,
        kind: EventKind,
        data: serde_json::Value,
    },
    Poke,
    Shutdown(oneshot::Sender<()>),
}

/// Where each run the engine holds is: its state and how many nodes run.
pub type Snapshot = HashMap<RunId, (RunState, usize)>;

/// A running engine.
pub struct Engine {
    tx: mpsc::UnboundedSender<Msg>,
    events: tokio::sync::broadcast::Receiver<Event>,
    snapshot: watch::Receiver<Snapshot>,
    task: tokio::task::JoinHandle<()>,
}

impl Engine {
    /// Opens the journal, recovers the runs in scope and starts the engine
    /// task on the current tokio runtime.
    ///
    /// # Errors
    ///
    /// The journal cannot be opened or read.
    pub fn start(opts: EngineOptions, bus: Bus) -> Result<Engine, EngineError> {
        let journal = match opts.journal {
            Some(j) => j,
            None => Journal::open(&opts.config.spine.journal_path)?,
        };
        let dispatcher = opts
            .dispatcher
            .unwrap_or_else(|| Arc::new(InProcess::new(opts.paths.clone(), opts.config.clone())));
        let mut channels = opts.channels;
        channels.insert(0, Arc::new(LocalChannel));
        let (tx, rx) = mpsc::unbounded_channel();
        let (snap_tx, snapshot) = watch::channel(Snapshot::new());
        let events = bus.subscribe();
        let mut core = core::Core::new(
            journal,
            bus,
            core::CoreParts {
                paths: opts.paths,
                config: opts.config,
                model: opts.model,
                dispatcher,
                channels,
                scope: opts.scope,
                tx: tx.clone(),
                snapshot: snap_tx,
            },
        )?;
        core.batched(core::Core::recover_all)??;
        core.publish_snapshot();
        let poll = opts.poll;
        let task = tokio::spawn(async move { core.drive(rx, poll).await });
        Ok(Engine {
            tx,
            events,
            snapshot,
            task,
        })
    }

    /// Starts a run of `workflow` (in `repo` when given, else the file's),
    /// with `vars` over the file's.
    ///
    /// # Errors
    ///
    /// The repository is unusable, the journal fails, the engine stopped.
    pub async fn submit(
        &self,
        workflow: Workflow,
        repo: Option<PathBuf>,
        vars: BTreeMap<String, String>,
    ) -> Result<RunId, EngineError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Msg::Submit {
                workflow: Box::new(workflow),
                repo,
                vars,
                reply,
            })
            .map_err(|_| EngineError::Stopped)?;
        rx.await.map_err(|_| EngineError::Stopped)?
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> tokio::sync::broadcast::Receiver<Event> {
        self.events.resubscribe()
    }

    /// Asks the engine to read new decisions now.
    pub fn poke(&self) {
        let _ = self.tx.send(Msg::Poke);
    }

    /// Waits until `run` is finished, or paused with nothing running, and
    /// returns its state.
    pub async fn settled(&self, run: &RunId) -> RunState {
        let mut rx = self.snapshot.clone();
        loop {
            if let Some((state, running)) = rx.borrow_and_update().get(run).copied() {
                if state.is_finished() || (state.is_paused() && running == 0) {
                    return state;
                }
            }
            if rx.changed().await.is_err() {
                return RunState::Failed;
            }
        }
    }

    /// Where every run the engine holds is.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot.borrow().clone()
    }

    /// Stops taking work; node work still running is left to finish in
    /// its thread and its outcome is not journaled (the journal keeps the
    /// node `running`, and the next start treats it as after a crash).
    pub async fn shutdown(self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Shutdown(tx)).is_ok() {
            let _ = rx.await;
        }
        let _ = self.task.await;
    }
}

/// Journals a new run of `wf` (in `repo`, else the file's; `vars` over the
/// file's) and audits its start and every approval waiver in the file. The
/// engine that holds the journal runs it — this process's, or the daemon's
/// when another process submitted it.
///
/// # Errors
///
/// The repository is unusable or the journal fails.
pub fn journal_run(
    journal: &mut Journal,
    audit: &autonomic_core::audit::AuditLog,
    wf: &Workflow,
    repo: Option<PathBuf>,
    vars: BTreeMap<String, String>,
) -> Result<(RunId, PathBuf, BTreeMap<String, String>, Event), EngineError> {
    use autonomic_core::audit::{Actor, AuditEvent, Kind};
    let repo = repo.unwrap_or_else(|| wf.repo.clone());
    let repo = fs_err::canonicalize(&repo).map_err(|e| EngineError::Repo {
        path: repo.clone(),
        why: e.to_string(),
    })?;
    if !repo.is_dir() {
        return Err(EngineError::Repo {
            path: repo,
            why: "not a directory".into(),
        });
    }
    let mut all_vars = wf.vars.clone();
    all_vars.extend(vars);
    let id = RunId::new(time::OffsetDateTime::now_utc().date());
    let started = journal.create_run(&super::journal::NewRun {
        id: id.clone(),
        workflow: wf.name.clone(),
        file: wf.source.path.clone(),
        file_text: wf.source.text.clone(),
        file_sha256: wf.source.sha256.clone(),
        repo: repo.clone(),
        project: wf.project.clone(),
        vars: all_vars.clone(),
        nodes: wf
            .nodes
            .iter()
            .map(|n| super::journal::NewNode {
                id: n.id.clone(),
                modifies_external_state: n.modifies_external_state,
            })
            .collect(),
    })?;
    let actor = Actor::Workflow(id.to_string());
    let audit_err = |e: autonomic_core::audit::AuditError| {
        EngineError::Input(format!("cannot write the audit log: {e}"))
    };
    audit
        .append(AuditEvent::new(
            Kind::SpineWorkflow,
            &actor,
            None,
            serde_json::json!({"workflow": wf.name, "state": "running", "file": wf.source.path,
                   "file_sha256": wf.source.sha256, "repo": repo}),
        ))
        .map_err(audit_err)?;
    for n in &wf.nodes {
        if let Some(reason) = &n.waive_approval {
            audit
                .append(AuditEvent::new(
                    Kind::SpineWaiver,
                    &actor,
                    Some(autonomic_core::Decision::Allow),
                    serde_json::json!({"workflow": wf.name, "node": n.id, "reason": reason,
                           "file_sha256": wf.source.sha256}),
                ))
                .map_err(audit_err)?;
        }
    }
    Ok((id, repo, all_vars, started))
}

/// One engine per journal: `autonomic serve` holds this lock while it
/// runs, and so does a foreground `autonomic run` or `approve`; a second
/// process finds it held and hands its work to the holder through the
/// journal instead.
#[derive(Debug)]
pub struct EngineLock {
    _file: fs_err::File,
}

impl EngineLock {
    /// Takes the lock next to `journal` (`<journal>.lock`); `None` when
    /// another process holds it.
    ///
    /// # Errors
    ///
    /// The lock file cannot be created or locked for another reason.
    pub fn try_acquire(journal: &std::path::Path) -> std::io::Result<Option<EngineLock>> {
        if let Some(dir) = journal.parent() {
            fs_err::create_dir_all(dir)?;
        }
        let mut name = journal.as_os_str().to_owned();
        name.push(".lock");
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(PathBuf::from(name))?;
        match fs4::FileExt::try_lock(file.file()) {
            Ok(()) => Ok(Some(EngineLock { _file: file })),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(e)) => Err(e),
        }
    }
}
