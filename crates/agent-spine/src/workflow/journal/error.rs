//! What the journal can fail with. Every error names the journal file and,
//! where there is one, the run, node, request or decision concerned.

use std::path::PathBuf;

use crate::workflow::state::RunId;

/// Anything the journal can fail with.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// `open_read_only` on a file that does not exist.
    #[error("there is no workflow journal at {path}")]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file is not an SQLite database at all.
    #[error("{path} is not an SQLite database (its header is wrong); it was left untouched")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// An SQLite database, but not a workflow journal.
    #[error(
        "{path} is an SQLite database but not an Autonomic workflow journal ({reason}); it was left untouched"
    )]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// Written by a newer Autonomic.
    #[error("{path} has journal schema version {found}; this build knows up to {known}")]
    TooNew {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// An older journal opened read-only, which cannot migrate it.
    #[error("{path} has journal schema version {found}, this build needs {known}")]
    TooOld {
        /// The file.
        path: PathBuf,
        /// Its version.
        found: i64,
        /// Ours.
        known: i64,
    },
    /// SQLite found damage.
    #[error("{path} is corrupt ({detail}); it was left untouched")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// A write to a journal that can only be read.
    #[error("{path} is read-only ({detail}); nothing was written")]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// A batch opened twice, or committed without being opened: a bug in
    /// the caller.
    #[error("{path}: {detail}")]
    Batch {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
    /// Another process held the journal for longer than the busy timeout.
    #[error("{path} is locked by another process ({detail})")]
    Busy {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// Any other SQLite failure.
    #[error("{path}: {source}")]
    Sqlite {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: rusqlite::Error,
    },
    /// Creating the journal's directory or file, or reading its header.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// A run id already journaled.
    #[error("{path}: run {run} already exists")]
    DuplicateRun {
        /// The journal.
        path: PathBuf,
        /// The run.
        run: RunId,
    },
    /// A run id not in the journal (never created, or pruned).
    #[error("{path}: no run {run} in the journal")]
    UnknownRun {
        /// The journal.
        path: PathBuf,
        /// The run.
        run: RunId,
    },
    /// A node id that is not one of the run's nodes.
    #[error("{path}: run {run} has no node `{node}`")]
    UnknownNode {
        /// The journal.
        path: PathBuf,
        /// The run.
        run: RunId,
        /// The node id asked for.
        node: String,
    },
    /// The same node id twice in one `NewRun`.
    #[error("{path}: run {run} lists node `{node}` twice")]
    DuplicateNode {
        /// The journal.
        path: PathBuf,
        /// The run.
        run: RunId,
        /// The node id.
        node: String,
    },
    /// `record` of a kind that changes state: the method named writes it,
    /// together with the change.
    #[error("{path}: run {run}: a `{kind}` event is journaled by `{method}`, not `record`")]
    StateKind {
        /// The journal.
        path: PathBuf,
        /// The run.
        run: RunId,
        /// The kind.
        kind: &'static str,
        /// The method that journals it.
        method: &'static str,
    },
    /// An approval request id not in the journal.
    #[error("{path}: no approval request {id} in the journal")]
    UnknownRequest {
        /// The journal.
        path: PathBuf,
        /// The request id.
        id: String,
    },
    /// A decision naming a request of another run.
    #[error("{path}: approval request {id} belongs to run {owner}, not {run}")]
    RequestOfAnotherRun {
        /// The journal.
        path: PathBuf,
        /// The request id.
        id: String,
        /// The run the request belongs to.
        owner: RunId,
        /// The run the decision named.
        run: RunId,
    },
    /// A decision sequence number not in the journal.
    #[error("{path}: no decision #{seq} in the journal")]
    UnknownDecision {
        /// The journal.
        path: PathBuf,
        /// The decision's sequence number.
        seq: u64,
    },
    /// A second settlement of a decision: the first one stays.
    #[error("{path}: decision #{seq} was already settled ({outcome}); decisions are append-only")]
    AlreadySettled {
        /// The journal.
        path: PathBuf,
        /// The decision's sequence number.
        seq: u64,
        /// The outcome it keeps.
        outcome: String,
    },
    /// A second, different result stored under an exec task's key.
    #[error("{path}: task {key} already has a different result stored; the first one stays")]
    TaskResultConflict {
        /// The journal.
        path: PathBuf,
        /// The idempotency key.
        key: String,
    },
    /// A stored row that breaks the journal's own invariants.
    #[error("{path}: {table} row {key} is malformed: {reason}")]
    BadRow {
        /// The journal.
        path: PathBuf,
        /// The table.
        table: &'static str,
        /// The row's key.
        key: String,
        /// What is wrong.
        reason: String,
    },
}

impl JournalError {
    /// Classifies an SQLite error on `path`.
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> JournalError {
        use rusqlite::ffi::ErrorCode;
        let path = path.to_path_buf();
        if let rusqlite::Error::SqliteFailure(failure, message) = &source {
            let detail = message.clone().unwrap_or_else(|| failure.to_string());
            match failure.code {
                ErrorCode::DatabaseCorrupt => return JournalError::Corrupt { path, detail },
                ErrorCode::NotADatabase => return JournalError::NotADatabase { path },
                ErrorCode::ReadOnly => return JournalError::ReadOnly { path, detail },
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    return JournalError::Busy { path, detail }
                }
                _ => {}
            }
        }
        JournalError::Sqlite { path, source }
    }

    /// A malformed stored row.
    pub(crate) fn bad_row(
        path: &std::path::Path,
        table: &'static str,
        key: impl Into<String>,
        reason: impl Into<String>,
    ) -> JournalError {
        JournalError::BadRow {
            path: path.to_path_buf(),
            table,
            key: key.into(),
            reason: reason.into(),
        }
    }
}

impl autonomic_core::Hint for JournalError {
    fn hint(&self) -> Option<String> {
        let hint = match self {
            JournalError::Missing { .. } => {
                "no workflow has run with this journal yet: start one with `autonomic run FILE.toml`, or check [spine] journal_path"
            }
            JournalError::NotADatabase { .. } | JournalError::Foreign { .. } => {
                "point [spine] journal_path at another file; Autonomic never overwrites a file it did not create"
            }
            JournalError::TooNew { .. } => {
                "use the Autonomic that wrote this journal, or point [spine] journal_path at another file"
            }
            JournalError::TooOld { .. } => {
                "run `autonomic serve` or `autonomic run` once to migrate the journal"
            }
            JournalError::Corrupt { .. } | JournalError::BadRow { .. } => {
                "move the file aside (it is kept as is) and start a new journal; `sqlite3 FILE .recover` may salvage rows"
            }
            JournalError::ReadOnly { .. } => {
                "check the file's and its directory's permissions and mount"
            }
            JournalError::Busy { .. } => "retry when the other process is done",
            JournalError::UnknownRun { .. } => "`autonomic status` lists the runs in the journal",
            JournalError::UnknownRequest { .. } => {
                "`autonomic approvals` lists the open requests; `autonomic approvals resend WF_ID` makes a fresh one"
            }
            _ => return None,
        };
        Some(hint.to_owned())
    }
}

/// Shorthand.
pub type Result<T, E = JournalError> = std::result::Result<T, E>;
