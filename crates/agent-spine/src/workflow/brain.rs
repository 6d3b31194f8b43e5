//! agent-brain for a workflow: one thread owns the [`Brain`] (a SQLite
//! connection is used from one thread), and node work talks to it through
//! a [`BrainHandle`]. A run is a session of the workflow's project: prompts
//! get `route_task` context from the project and the run's session, and a
//! node's `remember` stores a fact in the project.

use std::sync::mpsc;
use std::sync::Mutex;
use std::thread;

use agent_brain::{Brain, BrainSettings, NewFact, Scope, TaskContext};
use autonomic_core::config::BrainConfig;

type Reply<T> = mpsc::Sender<Result<T, String>>;

enum Request {
    Route {
        task: TaskContext,
        text: String,
        budget: usize,
        reply: Reply<Vec<String>>,
    },
    Remember {
        fact: Box<NewFact>,
        reply: Reply<()>,
    },
}

/// A handle on the brain thread (cheap to share; the thread starts at the
/// first request and opens the database then).
pub(crate) struct BrainHandle {
    config: BrainConfig,
    tx: Mutex<Option<mpsc::Sender<Request>>>,
}

impl BrainHandle {
    pub fn new(config: BrainConfig) -> BrainHandle {
        BrainHandle {
            config,
            tx: Mutex::new(None),
        }
    }

    fn sender(&self) -> Result<mpsc::Sender<Request>, String> {
        let mut slot = self
            .tx
            .lock()
            .map_err(|_| "the brain thread's lock is poisoned".to_owned())?;
        if let Some(tx) = slot.as_ref() {
            return Ok(tx.clone());
        }
        let (tx, rx) = mpsc::channel::<Request>();
        let config = self.config.clone();
        thread::Builder::new()
            .name("spine-brain".into())
            .spawn(move || serve(&config, &rx))
            .map_err(|e| format!("cannot start the brain thread: {e}"))?;
        *slot = Some(tx.clone());
        Ok(tx)
    }

    /// The summaries a task would be given (empty for a zero budget).
    pub fn route(
        &self,
        task: TaskContext,
        text: &str,
        budget: usize,
    ) -> Result<Vec<String>, String> {
        if budget == 0 || text.trim().is_empty() {
            return Ok(Vec::new());
        }
        let (reply, rx) = mpsc::channel();
        self.sender()?
            .send(Request::Route {
                task,
                text: text.to_owned(),
                budget,
                reply,
            })
            .map_err(|_| "the brain thread has stopped".to_owned())?;
        rx.recv()
            .map_err(|_| "the brain thread has stopped".to_owned())?
    }

    /// Stores a fact in `project` under `subject` (a newer fact with the
    /// same subject supersedes it).
    pub fn remember(
        &self,
        project: &str,
        subject: &str,
        content: &str,
        source: &str,
    ) -> Result<(), String> {
        let mut fact = NewFact::new(Scope::Project(project.to_owned()), content);
        fact.subject = Some(subject.to_owned());
        source.clone_into(&mut fact.source);
        let (reply, rx) = mpsc::channel();
        self.sender()?
            .send(Request::Remember {
                fact: Box::new(fact),
                reply,
            })
            .map_err(|_| "the brain thread has stopped".to_owned())?;
        rx.recv()
            .map_err(|_| "the brain thread has stopped".to_owned())?
    }
}

fn serve(config: &BrainConfig, rx: &mpsc::Receiver<Request>) {
    let mut brain: Option<Brain> = None;
    for req in rx {
        let opened = match brain.as_mut() {
            Some(b) => Ok(b),
            None => Brain::open(&config.db_path, BrainSettings::from_config(config))
                .map(|b| brain.insert(b))
                .map_err(|e| format!("{}: {e}", config.db_path.display())),
        };
        match req {
            Request::Route {
                task,
                text,
                budget,
                reply,
            } => {
                let r = opened.and_then(|b| {
                    b.route_task(&task, &text, budget)
                        .map(|r| r.summaries.into_iter().map(|s| s.text).collect())
                        .map_err(|e| e.to_string())
                });
                let _ = reply.send(r);
            }
            Request::Remember { fact, reply } => {
                let r =
                    opened.and_then(|b| b.remember(&fact).map(|_| ()).map_err(|e| e.to_string()));
                let _ = reply.send(r);
            }
        }
    }
}
