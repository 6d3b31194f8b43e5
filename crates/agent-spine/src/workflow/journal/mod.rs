//! The journal: every transition of every workflow run, written to SQLite
//! before it takes effect.
//!
//! What it owns: the journal file (runs, their nodes, the event log,
//! approval requests, the append-only decision log, exec task results) and
//! its schema (`schema.rs`: the file is marked as ours with
//! `PRAGMA application_id`, migrated through `PRAGMA user_version`; a file
//! that is not ours, is newer, or is corrupt is refused and left as it is).
//! Every method that changes a run does it in one `BEGIN IMMEDIATE`
//! transaction (or one savepoint of a batch's transaction: group commit,
//! `write.rs`) together with the [`Event`] that describes the change, and
//! returns that event: a transition and its event are journaled together or
//! not at all, and the event's `seq` (from an `AUTOINCREMENT` table) is
//! never reused, even after a prune.
//!
//! Concurrency: one writer, the engine, holds one [`Journal`] and uses it
//! from one thread at a time; CLI processes (`autonomic approve`, `status`,
//! `logs`) open the same file at the same time. WAL mode lets them read
//! while the engine writes; writes take the lock up front (`BEGIN
//! IMMEDIATE`) and are short; a busy lock is waited for up to 5 s. The CLI
//! writes only to the decision log ([`Journal::append_decision`]), which
//! the engine reads and settles: the first valid decision wins.
//!
//! Durability: the journal must survive `kill -9` of the process at any
//! point, not a power loss or an OS crash. In WAL mode, a commit is a
//! `write()` of the transaction's frames to the `-wal` file; once that
//! returns, the frames are in the OS's page cache and survive the process's
//! death, and the next opener replays them. `synchronous = NORMAL` skips the
//! `fsync` at each commit (it syncs at checkpoints), so a power loss can
//! roll back the last transactions but never corrupts the file. `FULL`
//! would add an `fsync` per transition for a guarantee the runtime does not
//! promise; the bench (`benches/journal.rs`) measures what NORMAL costs.
//!
//! What it must not do: decide. Which transition is allowed, whether a
//! decision is valid, whether a node may rerun: the engine's policy, which
//! calls this. The journal only enforces its own integrity: unknown runs,
//! nodes and requests are errors, a decision is never rewritten (triggers
//! in the file, not only this code), a task key keeps its first result. It
//! never deletes an unfinished run's rows, and never overwrites a file that
//! is not a journal.

mod approvals;
mod channels;
mod error;
mod events;
mod runs;
mod schema;
mod tasks;
mod write;

use std::io::Read as _;
use std::os::unix::ffi::{OsStrExt as _, OsStringExt as _};
use std::path::{Path, PathBuf};

use rusqlite::types::Type;
use rusqlite::{Connection, OpenFlags};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use approvals::{
    Decision, DecisionOutcome, NewDecision, NewRequest, Request, RequestKind, RequestStatus,
    Verdict,
};
pub use channels::{Delivered, Post};
pub use error::{JournalError, Result};
pub use runs::{NewNode, NewRun, NodeRecord, RunRecord, RunSummary};

#[cfg(doc)]
use crate::workflow::event::Event;

/// How long a write waits for another connection's write to finish.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// The workflow journal: one SQLite connection and the file's path.
///
/// Times are kept to the millisecond (UTC): a time read back is the time
/// given, truncated to whole milliseconds.
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    /// A batch ([`Journal::begin_batch`]) is open.
    batch: bool,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Journal {
    /// Opens the journal at `path` for reading and writing, creating it (and
    /// its missing parent directories, mode 0700; the file 0600) if needed,
    /// and brings its schema up to date.
    ///
    /// # Errors
    ///
    /// A file that is not an SQLite database, or is one without the
    /// journal's application id, or from a newer build, or corrupt: refused
    /// and left untouched. I/O and SQLite failures, naming the file.
    pub fn open(path: &Path) -> Result<Journal> {
        let path = path.to_path_buf();
        check_header(&path)?;
        create_file(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| JournalError::sqlite(&path, e))?;
        let mut journal = Journal::with_connection(conn, path)?;
        schema::migrate(&mut journal.conn, &journal.path)?;
        Ok(journal)
    }

    /// Opens an existing journal for reading only (`autonomic status`,
    /// `logs`). Methods that write fail with [`JournalError::ReadOnly`].
    ///
    /// # Errors
    ///
    /// A missing file ([`JournalError::Missing`]), a file that is not a
    /// journal, or one whose schema is not this build's.
    pub fn open_read_only(path: &Path) -> Result<Journal> {
        let path = path.to_path_buf();
        if !path.exists() {
            return Err(JournalError::Missing { path });
        }
        check_header(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| JournalError::sqlite(&path, e))?;
        let journal = Journal::with_connection(conn, path)?;
        let version = schema::check_identity(&journal.conn, &journal.path)?;
        if version != schema::latest_version() {
            return Err(JournalError::TooOld {
                path: journal.path,
                found: version,
                known: schema::latest_version(),
            });
        }
        Ok(journal)
    }

    /// A new, empty journal in memory (tests and benches; nothing touches
    /// the disk).
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn open_in_memory() -> Result<Journal> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| JournalError::sqlite(&path, e))?;
        let mut journal = Journal::with_connection(conn, path)?;
        schema::migrate(&mut journal.conn, &journal.path)?;
        Ok(journal)
    }

    fn with_connection(conn: Connection, path: PathBuf) -> Result<Journal> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| JournalError::sqlite(&path, e))?;
        // Every statement the journal runs stays prepared (the default 16
        // is fewer than it has).
        conn.set_prepared_statement_cache_capacity(64);
        Ok(Journal {
            conn,
            path,
            batch: false,
        })
    }

    /// The journal file (`:memory:` for an in-memory journal).
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA quick_check` and a foreign-key check.
    ///
    /// # Errors
    ///
    /// [`JournalError::Corrupt`] with the first problems found.
    pub fn check_integrity(&self) -> Result<()> {
        let problems: Vec<String> = self
            .conn
            .prepare("PRAGMA quick_check(5)")
            .and_then(|mut q| q.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        if problems.len() != 1 || problems[0] != "ok" {
            return Err(JournalError::Corrupt {
                path: self.path.clone(),
                detail: problems.join("; "),
            });
        }
        let dangling: Vec<String> = self
            .conn
            .prepare("PRAGMA foreign_key_check")
            .and_then(|mut q| {
                q.query_map([], |r| {
                    Ok(format!(
                        "{} row {} points to a missing {}",
                        r.get::<_, String>(0)?,
                        r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
                        r.get::<_, String>(2)?
                    ))
                })?
                .collect()
            })
            .map_err(|e| self.err(e))?;
        if dangling.is_empty() {
            Ok(())
        } else {
            Err(JournalError::Corrupt {
                path: self.path.clone(),
                detail: dangling.join("; "),
            })
        }
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> JournalError {
        JournalError::sqlite(&self.path, e)
    }
}

/// Creates the journal's missing parent directories (0700) and the file
/// itself (0600) if it does not exist. Existing ones are left as they are.
fn create_file(path: &Path) -> Result<()> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    use std::os::unix::fs::DirBuilderExt as _;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("failed to create directory `{}`: {e}", parent.display()),
                )
            })?;
    }
    match fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Refuses a non-empty file that does not start with SQLite's header.
fn check_header(path: &Path) -> Result<()> {
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    let file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let mut head = Vec::with_capacity(16);
    file.take(16).read_to_end(&mut head)?;
    if head.is_empty() || head.as_slice() == HEADER {
        Ok(())
    } else {
        Err(JournalError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// Now, in the journal's unit (unix milliseconds).
pub(crate) fn now_ms() -> i64 {
    millis(OffsetDateTime::now_utc())
}

/// `at` in unix milliseconds (truncated).
pub(crate) fn millis(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos().div_euclid(1_000_000)).unwrap_or(i64::MAX)
}

/// A stored time; an out-of-range value is a conversion error on column `idx`.
pub(crate) fn time_at(ms: i64, idx: usize) -> rusqlite::Result<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Integer, Box::new(e)))
}

/// A time as RFC 3339 text (as events carry it).
pub(crate) fn rfc3339(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| at.to_string())
}

/// A stored name parsed by `parse`; anything else is a conversion error
/// on column `idx`.
pub(crate) fn parsed<T>(
    text: &str,
    idx: usize,
    parse: impl Fn(&str) -> Option<T>,
) -> rusqlite::Result<T> {
    parse(text).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            idx,
            Type::Text,
            format!("`{text}` is not a known value").into(),
        )
    })
}

/// A stored JSON document.
pub(crate) fn json_at<T: serde::de::DeserializeOwned>(
    text: &str,
    idx: usize,
) -> rusqlite::Result<T> {
    serde_json::from_str(text)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, Box::new(e)))
}

/// A path as stored (its bytes).
pub(crate) fn path_bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

/// A stored path.
pub(crate) fn path_from(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}
