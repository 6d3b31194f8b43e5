//! Runs and their nodes: creating a run, its and its nodes' transitions,
//! reading them back, and pruning finished runs.
//!
//! Must not: judge a transition (the engine does), or delete a run that is
//! not finished.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use rusqlite::{params, OptionalExtension as _};
use serde_json::json;
use time::OffsetDateTime;

use super::error::{JournalError, Result};
use super::events::{append, check_exists};
use super::{json_at, millis, now_ms, parsed, path_bytes, path_from, time_at, Journal};
use crate::workflow::event::{Event, EventKind};
use crate::workflow::state::{NodeState, RunId, RunState};

/// A node of a new run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNode {
    /// The node's id in the workflow file.
    pub id: String,
    /// Whether its work changes the world outside the sandbox (never rerun
    /// automatically after a crash).
    pub modifies_external_state: bool,
}

/// A run to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRun {
    /// Its id.
    pub id: RunId,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow file.
    pub file: PathBuf,
    /// The file's text when the run started.
    pub file_text: String,
    /// The SHA-256 of that text, hex.
    pub file_sha256: String,
    /// The target repository.
    pub repo: PathBuf,
    /// The agent-brain project.
    pub project: String,
    /// `--var K=V` values.
    pub vars: BTreeMap<String, String>,
    /// Its nodes, in the order to keep.
    pub nodes: Vec<NewNode>,
}

/// A run as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRecord {
    /// Its id.
    pub id: RunId,
    /// The workflow's name.
    pub workflow: String,
    /// The workflow file.
    pub file: PathBuf,
    /// The file's text when the run started.
    pub file_text: String,
    /// The SHA-256 of that text, hex.
    pub file_sha256: String,
    /// The target repository.
    pub repo: PathBuf,
    /// The agent-brain project.
    pub project: String,
    /// `--var K=V` values.
    pub vars: BTreeMap<String, String>,
    /// Where it is.
    pub state: RunState,
    /// Why it got there.
    pub why: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed state (created, paused, finished…).
    pub updated_at: OffsetDateTime,
    /// Its nodes, in the order given at creation.
    pub nodes: Vec<NodeRecord>,
}

/// A node of a run as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeRecord {
    /// The node's id.
    pub id: String,
    /// Where it is.
    pub state: NodeState,
    /// How many times it was moved to `running` (0: never started).
    pub attempt: u32,
    /// Why it got there.
    pub why: String,
    /// Whether its work changes the world outside the sandbox.
    pub modifies_external_state: bool,
    /// Its outputs: empty until a transition stores them (when it
    /// succeeds); cleared when it runs again.
    pub outputs: BTreeMap<String, String>,
    /// When it last changed.
    pub updated_at: OffsetDateTime,
}

/// A run without its file and nodes (`autonomic status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunSummary {
    /// Its id.
    pub id: RunId,
    /// The workflow's name.
    pub workflow: String,
    /// Where it is.
    pub state: RunState,
    /// Why it got there.
    pub why: String,
    /// When it was created.
    pub created_at: OffsetDateTime,
    /// When it last changed state (created, paused, finished…).
    pub updated_at: OffsetDateTime,
}

/// The finished states, as SQL (from `RunState::is_finished`).
fn finished_sql() -> String {
    states_sql(RunState::ALL.iter().filter(|s| s.is_finished()))
}

/// `('a', 'b')` from states' names (constants, never user input).
fn states_sql<'a>(states: impl IntoIterator<Item = &'a RunState>) -> String {
    let names: Vec<String> = states
        .into_iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!("({})", names.join(", "))
}

fn summary_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RunSummary> {
    let id: String = r.get(0)?;
    let state: String = r.get(2)?;
    Ok(RunSummary {
        id: parsed(&id, 0, |s| RunId::parse(s).ok())?,
        workflow: r.get(1)?,
        state: parsed(&state, 2, RunState::parse)?,
        why: r.get(3)?,
        created_at: time_at(r.get(4)?, 4)?,
        updated_at: time_at(r.get(5)?, 5)?,
    })
}

fn node_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<NodeRecord> {
    let state: String = r.get(1)?;
    let outputs: Option<String> = r.get(5)?;
    Ok(NodeRecord {
        id: r.get(0)?,
        state: parsed(&state, 1, NodeState::parse)?,
        attempt: r.get(2)?,
        why: r.get(3)?,
        modifies_external_state: r.get(4)?,
        outputs: outputs.map_or(Ok(BTreeMap::new()), |o| json_at(&o, 5))?,
        updated_at: time_at(r.get(6)?, 6)?,
    })
}

impl Journal {
    /// Journals a new run (state `running`) and its nodes (`pending`), with
    /// its `run_started` event, in one transaction.
    ///
    /// # Errors
    ///
    /// A run id already journaled, a node id given twice; SQLite failures.
    pub fn create_run(&mut self, run: &NewRun) -> Result<Event> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let mut seen = BTreeSet::new();
        if let Some(dup) = run.nodes.iter().find(|n| !seen.insert(n.id.as_str())) {
            return Err(JournalError::DuplicateNode {
                path: path.clone(),
                run: run.id.clone(),
                node: dup.id.clone(),
            });
        }
        let tx = self.write().map_err(err)?;
        let exists = tx
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut s| s.exists([run.id.as_str()]))
            .map_err(err)?;
        if exists {
            return Err(JournalError::DuplicateRun {
                path: path.clone(),
                run: run.id.clone(),
            });
        }
        let now = now_ms();
        let vars = serde_json::to_string(&run.vars).unwrap_or_else(|_| "{}".to_owned());
        tx.execute(
            "INSERT INTO runs (id, workflow, file, file_text, file_sha256, repo, project, vars, \
             state, why, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'running', 'started', ?9, ?9)",
            params![
                run.id.as_str(),
                run.workflow,
                path_bytes(&run.file),
                run.file_text,
                run.file_sha256,
                path_bytes(&run.repo),
                run.project,
                vars,
                now
            ],
        )
        .map_err(err)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO nodes (run, id, ord, state, attempt, why, external, outputs, updated_at) \
                     VALUES (?1, ?2, ?3, 'pending', 0, '', ?4, NULL, ?5)",
                )
                .map_err(err)?;
            for (ord, node) in run.nodes.iter().enumerate() {
                insert
                    .execute(params![
                        run.id.as_str(),
                        node.id,
                        i64::try_from(ord).unwrap_or(i64::MAX),
                        node.modifies_external_state,
                        now
                    ])
                    .map_err(err)?;
            }
        }
        let data = json!({
            "workflow": run.workflow,
            "file": run.file.display().to_string(),
            "file_sha256": run.file_sha256,
            "repo": run.repo.display().to_string(),
            "project": run.project,
            "vars": run.vars,
            "nodes": run.nodes.iter().map(|n| n.id.as_str()).collect::<Vec<_>>(),
        });
        let event = append(&tx, &path, &run.id, None, EventKind::RunStarted, now, data)?;
        tx.commit().map_err(err)?;
        Ok(event)
    }

    /// Moves a run to `to`, journaling a `run_state` event
    /// (`{from, to, why}`).
    ///
    /// # Errors
    ///
    /// An unknown run; SQLite failures.
    pub fn set_run_state(&mut self, run: &RunId, to: RunState, why: &str) -> Result<Event> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        let from: Option<String> = tx
            .prepare_cached("SELECT state FROM runs WHERE id = ?1")
            .and_then(|mut s| s.query_row([run.as_str()], |r| r.get(0)).optional())
            .map_err(err)?;
        let Some(from) = from else {
            return Err(JournalError::UnknownRun {
                path: path.clone(),
                run: run.clone(),
            });
        };
        let now = now_ms();
        tx.prepare_cached("UPDATE runs SET state = ?2, why = ?3, updated_at = ?4 WHERE id = ?1")
            .and_then(|mut s| s.execute(params![run.as_str(), to.as_str(), why, now]))
            .map_err(err)?;
        let data = json!({ "from": from, "to": to.as_str(), "why": why });
        let event = append(&tx, &path, run, None, EventKind::RunState, now, data)?;
        tx.commit().map_err(err)?;
        Ok(event)
    }

    /// Moves a node to `to`, journaling a `node_state` event
    /// (`{from, to, why, attempt}` and `outputs` when given). Moving to
    /// `running` increments the attempt and clears earlier outputs;
    /// `outputs`, when given, replace the stored ones.
    ///
    /// # Errors
    ///
    /// An unknown run or node; SQLite failures.
    pub fn set_node_state(
        &mut self,
        run: &RunId,
        node: &str,
        to: NodeState,
        why: &str,
        outputs: Option<&BTreeMap<String, String>>,
    ) -> Result<Event> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        let current: Option<(String, u32)> = tx
            .prepare_cached("SELECT state, attempt FROM nodes WHERE run = ?1 AND id = ?2")
            .and_then(|mut s| {
                s.query_row(params![run.as_str(), node], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
            })
            .map_err(err)?;
        let Some((from, attempt)) = current else {
            check_exists(&tx, &path, run, Some(node))?;
            return Err(JournalError::UnknownNode {
                path: path.clone(),
                run: run.clone(),
                node: node.to_owned(),
            });
        };
        let running = to == NodeState::Running;
        let attempt = attempt.saturating_add(u32::from(running));
        let stored = outputs.map(|o| serde_json::to_string(o).unwrap_or_else(|_| "{}".to_owned()));
        let now = now_ms();
        tx.prepare_cached(
            "UPDATE nodes SET state = ?3, attempt = ?4, why = ?5, updated_at = ?6, \
             outputs = CASE WHEN ?7 IS NOT NULL THEN ?7 WHEN ?8 THEN NULL ELSE outputs END \
             WHERE run = ?1 AND id = ?2",
        )
        .and_then(|mut s| {
            s.execute(params![
                run.as_str(),
                node,
                to.as_str(),
                attempt,
                why,
                now,
                stored,
                running
            ])
        })
        .map_err(err)?;
        let mut data = json!({ "from": from, "to": to.as_str(), "why": why, "attempt": attempt });
        if let Some(outputs) = outputs {
            data["outputs"] = json!(outputs);
        }
        let event = append(&tx, &path, run, Some(node), EventKind::NodeState, now, data)?;
        tx.commit().map_err(err)?;
        Ok(event)
    }

    /// The run `id` with its nodes, or `None` if the journal has no such run.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn run(&self, id: &RunId) -> Result<Option<RunRecord>> {
        let row = self
            .conn
            .prepare_cached(
                "SELECT id, workflow, state, why, created_at, updated_at, \
                 file, file_text, file_sha256, repo, project, vars FROM runs WHERE id = ?1",
            )
            .and_then(|mut s| {
                s.query_row([id.as_str()], |r| {
                    let vars: String = r.get(11)?;
                    Ok((
                        summary_row(r)?,
                        path_from(r.get(6)?),
                        r.get::<_, String>(7)?,
                        r.get::<_, String>(8)?,
                        path_from(r.get(9)?),
                        r.get::<_, String>(10)?,
                        json_at::<BTreeMap<String, String>>(&vars, 11)?,
                    ))
                })
                .optional()
            })
            .map_err(|e| self.err(e))?;
        let Some((summary, file, file_text, file_sha256, repo, project, vars)) = row else {
            return Ok(None);
        };
        let nodes = self
            .conn
            .prepare_cached(
                "SELECT id, state, attempt, why, external, outputs, updated_at \
                 FROM nodes WHERE run = ?1 ORDER BY ord",
            )
            .and_then(|mut s| s.query_map([id.as_str()], node_row)?.collect())
            .map_err(|e| self.err(e))?;
        Ok(Some(RunRecord {
            id: summary.id,
            workflow: summary.workflow,
            file,
            file_text,
            file_sha256,
            repo,
            project,
            vars,
            state: summary.state,
            why: summary.why,
            created_at: summary.created_at,
            updated_at: summary.updated_at,
            nodes,
        }))
    }

    /// Up to `limit` runs, newest first, in one of `states` (all with
    /// `None`).
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn runs(&self, states: Option<&[RunState]>, limit: usize) -> Result<Vec<RunSummary>> {
        let filter =
            states.map_or_else(String::new, |s| format!("WHERE state IN {}", states_sql(s)));
        let sql = format!(
            "SELECT id, workflow, state, why, created_at, updated_at FROM runs {filter} \
             ORDER BY created_at DESC, id DESC LIMIT ?1"
        );
        self.conn
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map([i64::try_from(limit).unwrap_or(i64::MAX)], summary_row)?
                    .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// The runs that are not finished (running or paused), oldest first:
    /// what the engine resumes after a restart.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored id.
    pub fn unfinished_runs(&self) -> Result<Vec<RunId>> {
        let sql = format!(
            "SELECT id FROM runs WHERE state NOT IN {} ORDER BY created_at, id",
            finished_sql()
        );
        self.conn
            .prepare(&sql)
            .and_then(|mut s| {
                s.query_map([], |r| {
                    let id: String = r.get(0)?;
                    parsed(&id, 0, |s| RunId::parse(s).ok())
                })?
                .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Deletes the finished runs last updated before `finished_before`, with
    /// their nodes, events, requests, decisions and task results, in one
    /// transaction. Returns how many runs were removed. Unfinished runs are
    /// never touched, however old.
    ///
    /// # Errors
    ///
    /// SQLite failures (nothing is deleted then).
    pub fn prune_finished(&mut self, finished_before: OffsetDateTime) -> Result<usize> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let doomed = format!(
            "(SELECT id FROM runs WHERE state IN {} AND updated_at < ?1)",
            finished_sql()
        );
        let tx = self.write().map_err(err)?;
        let before = millis(finished_before);
        for table in ["task_results", "decisions", "requests", "events", "nodes"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE run IN {doomed}"),
                [before],
            )
            .map_err(err)?;
        }
        let removed = tx
            .execute(&format!("DELETE FROM runs WHERE id IN {doomed}"), [before])
            .map_err(err)?;
        tx.commit().map_err(err)?;
        if removed > 0 {
            tracing::info!(path = %path.display(), removed, "pruned finished workflow runs");
        }
        Ok(removed)
    }
}
