//! The event log: how a transition's event is appended (inside the
//! transaction that makes the transition) and read back.
//!
//! Must not: append an event outside the transaction of the change it
//! describes, or let a caller journal a state-changing kind without the
//! state change (`record` refuses those kinds).

use rusqlite::{params, Connection, OptionalExtension as _};

use super::error::{JournalError, Result};
use super::{json_at, now_ms, parsed, rfc3339, time_at, Journal};
use crate::workflow::event::{Event, EventKind, SCHEMA};
use crate::workflow::state::RunId;

/// The kinds only the journal's own methods write, with the method to use.
const STATE_KINDS: &[(EventKind, &str)] = &[
    (EventKind::RunStarted, "create_run"),
    (EventKind::RunState, "set_run_state"),
    (EventKind::NodeState, "set_node_state"),
    (EventKind::ApprovalRequested, "open_request"),
    (EventKind::ApprovalAnswered, "settle_decision"),
];

/// Appends an event at `at_ms` and marks the run as updated then. Call it
/// inside the transaction that makes the change the event describes.
pub(crate) fn append(
    conn: &Connection,
    journal: &std::path::Path,
    run: &RunId,
    node: Option<&str>,
    kind: EventKind,
    at_ms: i64,
    data: serde_json::Value,
) -> Result<Event> {
    let err = |e| JournalError::sqlite(journal, e);
    let text = serde_json::to_string(&data).map_err(|e| {
        JournalError::bad_row(journal, "events", run.as_str(), format!("data: {e}"))
    })?;
    conn.prepare_cached(
        "INSERT INTO events (run, node, kind, at, data) VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| s.execute(params![run.as_str(), node, kind.as_str(), at_ms, text]))
    .map_err(err)?;
    // The run's row is not touched: it holds the workflow file's text, and
    // rewriting it for every event made a large workflow's run quadratic.
    // `updated_at` moves with the run's state (`set_run_state`).
    let seq = conn.last_insert_rowid();
    Ok(Event {
        schema: SCHEMA.to_owned(),
        seq: u64::try_from(seq).unwrap_or_default(),
        at: rfc3339(time_at(at_ms, 3).map_err(err)?),
        run: run.clone(),
        node: node.map(str::to_owned),
        kind,
        data,
    })
}

/// Whether run `run` exists; with `node`, whether the run has that node.
pub(crate) fn check_exists(
    conn: &Connection,
    journal: &std::path::Path,
    run: &RunId,
    node: Option<&str>,
) -> Result<()> {
    let err = |e| JournalError::sqlite(journal, e);
    let found = conn
        .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
        .and_then(|mut s| s.exists([run.as_str()]))
        .map_err(err)?;
    if !found {
        return Err(JournalError::UnknownRun {
            path: journal.to_path_buf(),
            run: run.clone(),
        });
    }
    let Some(node) = node else { return Ok(()) };
    let found = conn
        .prepare_cached("SELECT 1 FROM nodes WHERE run = ?1 AND id = ?2")
        .and_then(|mut s| s.exists(params![run.as_str(), node]))
        .map_err(err)?;
    if found {
        Ok(())
    } else {
        Err(JournalError::UnknownNode {
            path: journal.to_path_buf(),
            run: run.clone(),
            node: node.to_owned(),
        })
    }
}

fn event_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let seq: i64 = r.get(0)?;
    let run: String = r.get(1)?;
    let kind: String = r.get(3)?;
    let data: String = r.get(5)?;
    Ok(Event {
        schema: SCHEMA.to_owned(),
        seq: u64::try_from(seq).unwrap_or_default(),
        at: rfc3339(time_at(r.get(4)?, 4)?),
        run: parsed(&run, 1, |s| RunId::parse(s).ok())?,
        node: r.get(2)?,
        kind: parsed(&kind, 3, EventKind::parse)?,
        data: json_at(&data, 5)?,
    })
}

impl Journal {
    /// Journals an event that changes no state: a layer's decision, a
    /// notification, progress. The run (and the node, if given) must exist.
    ///
    /// # Errors
    ///
    /// An unknown run or node; a kind that only a state-changing method
    /// writes ([`JournalError::StateKind`]); SQLite failures.
    pub fn record(
        &mut self,
        run: &RunId,
        node: Option<&str>,
        kind: EventKind,
        data: serde_json::Value,
    ) -> Result<Event> {
        if let Some((_, method)) = STATE_KINDS.iter().find(|(k, _)| *k == kind) {
            return Err(JournalError::StateKind {
                path: self.path.clone(),
                run: run.clone(),
                kind: kind.as_str(),
                method,
            });
        }
        let path = self.path.clone();
        let tx = self.write().map_err(|e| JournalError::sqlite(&path, e))?;
        check_exists(&tx, &path, run, node)?;
        let event = append(&tx, &path, run, node, kind, now_ms(), data)?;
        tx.commit().map_err(|e| JournalError::sqlite(&path, e))?;
        Ok(event)
    }

    /// Up to `limit` events after `after_seq`, of one run or of all,
    /// ascending by `seq`.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored event.
    pub fn events(&self, run: Option<&RunId>, after_seq: u64, limit: usize) -> Result<Vec<Event>> {
        const COLUMNS: &str = "SELECT seq, run, node, kind, at, data FROM events";
        let after = i64::try_from(after_seq).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = match run {
            Some(run) => self
                .conn
                .prepare_cached(&format!(
                    "{COLUMNS} WHERE run = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3"
                ))
                .and_then(|mut s| {
                    s.query_map(params![run.as_str(), after, limit], event_row)?
                        .collect()
                }),
            None => self
                .conn
                .prepare_cached(&format!("{COLUMNS} WHERE seq > ?1 ORDER BY seq LIMIT ?2"))
                .and_then(|mut s| s.query_map(params![after, limit], event_row)?.collect()),
        };
        rows.map_err(|e| self.err(e))
    }

    /// The highest `seq` ever journaled (0 for a new journal); pruned events
    /// count, since their numbers are never reused.
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn last_seq(&self) -> Result<u64> {
        let seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'events'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        Ok(seq.and_then(|s| u64::try_from(s).ok()).unwrap_or(0))
    }
}
