//! The append-only, hash-chained audit log (JSON Lines).
//!
//! Every security-relevant event becomes one line:
//!
//! ```text
//! {"seq":0,"ts":"2026-05-01T12:00:00Z","kind":"mouth.reject","actor":"cli","decision":"deny","detail":{…},"prev":"000…000","hash":"3f…"}
//! ```
//!
//! `hash` is SHA-256 over the record's canonical serialisation without `hash`
//! (see [`AuditRecord`]), and `prev` is the previous record's `hash`, so
//! editing, deleting, inserting or reordering a record breaks the chain at
//! that line. A head file (`audit.head`) holds the seq and hash of the last
//! record, so deleting the *last* records is detected too.
//!
//! Appends from several threads or processes are serialised by an exclusive
//! advisory lock on `audit.jsonl.lock`, held while reading the last record and
//! writing the next one (one `write_all`, then fsync) and the head file.
//!
//! # Threat model
//!
//! The chain has no secret key: it detects accidental corruption and edits by
//! anything that does not rewrite the whole chain and the head file. An
//! attacker with write access to the directory can forge a consistent log;
//! anchoring the head elsewhere is what would stop that.

mod error;
mod head;
mod kind;
mod read;
mod record;
mod verify;

use std::io::{Read as _, Seek as _, SeekFrom, Write as _};
use std::path::{Path, PathBuf};

pub use error::AuditError;
pub use kind::{Actor, Kind};
pub use read::read;

/// Text longer than this (in characters) is stored cut in a record's
/// detail; the record keeps [`sha256_hex`] of the whole.
pub const MAX_SHOWN_CHARS: usize = 4096;

/// `text` as a record shows it: at most [`MAX_SHOWN_CHARS`] characters.
pub fn shown(text: &str) -> String {
    text.chars().take(MAX_SHOWN_CHARS).collect()
}

/// Whether [`shown`] cuts `text`.
pub fn is_cut(text: &str) -> bool {
    text.chars().nth(MAX_SHOWN_CHARS).is_some()
}

/// SHA-256 of `text`, lower-case hex: how a record names a command it cuts.
pub fn sha256_hex(text: &str) -> String {
    record::sha256_hex(text.as_bytes())
}
pub use record::{AuditRecord, GENESIS_HASH};
pub use verify::{verify, BadRecord, VerifyReport};

use crate::decision::Decision;
use head::{Head, Tail};
use record::{open_line, Draft};

/// Where an append stops (anything but [`Step::Head`] only in tests).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The record is written, the head is not: a crash.
    Record,
    /// The whole append.
    Head,
}

/// Something to record.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    /// What happened, `component.event`, e.g. `mouth.reject`.
    pub kind: String,
    /// Who did it, e.g. `cli`.
    pub actor: String,
    /// The decision taken, if the event is one.
    pub decision: Option<Decision>,
    /// Event-specific data (normally a JSON object).
    pub detail: serde_json::Value,
}

/// A handle for appending to one audit log.
///
/// Cheap to open; each [`AuditLog::append`] takes the cross-process lock, so
/// any number of handles, threads and processes can append to the same log.
#[derive(Debug, Clone)]
pub struct AuditLog {
    path: PathBuf,
    lock_path: PathBuf,
    head_path: PathBuf,
}

/// `audit.jsonl` → `audit.jsonl.lock`.
pub(crate) fn lock_path(log: &Path) -> PathBuf {
    let mut name = log.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    log.with_file_name(name)
}

impl AuditLog {
    /// Opens (without reading) the log at `path`, creating its parent directories.
    pub fn open(path: impl AsRef<Path>) -> Result<AuditLog, AuditError> {
        let path = path.as_ref().to_path_buf();
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs_err::create_dir_all(parent)?;
        }
        Ok(AuditLog {
            lock_path: lock_path(&path),
            head_path: head::head_path(&path),
            path,
        })
    }

    /// The log file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends `event` as the next record of the chain and returns it.
    ///
    /// Refuses (with [`AuditError::DamagedTail`] or [`AuditError::HeadMismatch`])
    /// to extend a log whose end is damaged or truncated, since a new record
    /// would make the damage harder to see.
    #[tracing::instrument(skip_all, fields(path = %self.path.display(), kind = %event.kind))]
    pub fn append(&self, event: AuditEvent) -> Result<AuditRecord, AuditError> {
        self.append_until(event, Step::Head)
    }

    /// [`AuditLog::append`], stopping after `stop` — the tests' way of
    /// crashing between writing a record and its head.
    fn append_until(&self, event: AuditEvent, stop: Step) -> Result<AuditRecord, AuditError> {
        let lock = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&self.lock_path)?;
        // Fully qualified: std's inherent `File::lock` needs Rust 1.89.
        fs4::FileExt::lock(lock.file()).map_err(|source| AuditError::Lock {
            path: self.lock_path.clone(),
            source,
        })?;
        // The lock is released when `lock` is closed at the end of this scope.

        let mut log = fs_err::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(&self.path)?;
        let last = self.last_record(&mut log)?;
        let head = match head::read(&self.head_path)? {
            Some(Ok(head)) => Some(head),
            Some(Err(reason)) => {
                return Err(AuditError::HeadMismatch {
                    path: self.path.clone(),
                    reason,
                })
            }
            None => None,
        };
        let tail = last.as_ref().map(|record| Tail {
            seq: record.seq,
            hash: &record.hash,
            prev: &record.prev,
        });
        head::check(head.as_ref(), tail).map_err(|reason| AuditError::HeadMismatch {
            path: self.path.clone(),
            reason,
        })?;
        // A head one record behind is what a crash between a record and its
        // head leaves. Bring it up to the tail *before* the next record, so
        // a second crash at the same point leaves it one behind again, not
        // two (which no append would accept).
        if let Some(last) = &last {
            if head.as_ref().map(|h| h.seq) != Some(last.seq) {
                head::write(
                    &self.head_path,
                    &Head {
                        seq: last.seq,
                        hash: last.hash.clone(),
                    },
                )?;
            }
        }

        let ts = time::OffsetDateTime::now_utc()
            .format(&time::format_description::well_known::Rfc3339)
            .map_err(AuditError::Timestamp)?;
        let (record, line) = Draft {
            seq: last.as_ref().map_or(0, |last| last.seq + 1),
            ts: &ts,
            kind: &event.kind,
            actor: &event.actor,
            decision: event.decision,
            detail: &event.detail,
            prev: last
                .as_ref()
                .map_or(GENESIS_HASH, |last| last.hash.as_str()),
        }
        .seal()
        .map_err(AuditError::Encode)?;

        log.write_all(line.as_bytes())?;
        log.sync_data()?;
        if stop == Step::Record {
            return Ok(record);
        }
        head::write(
            &self.head_path,
            &Head {
                seq: record.seq,
                hash: record.hash.clone(),
            },
        )?;
        tracing::debug!(seq = record.seq, "audit record appended");
        Ok(record)
    }

    /// Reads and checks the last record, scanning backwards from the end.
    fn last_record(&self, log: &mut fs_err::File) -> Result<Option<AuditRecord>, AuditError> {
        const CHUNK: u64 = 8 * 1024;
        let damaged = |reason: String| AuditError::DamagedTail {
            path: self.path.clone(),
            reason,
        };
        let len = log.seek(SeekFrom::End(0))?;
        if len == 0 {
            return Ok(None);
        }
        // `buf` holds the bytes from `start` to the end of the file.
        let mut buf = Vec::new();
        let mut start = len;
        let line_start = loop {
            let step = CHUNK.min(start);
            start -= step;
            log.seek(SeekFrom::Start(start))?;
            let mut chunk = vec![0; usize::try_from(step).unwrap_or(usize::MAX)];
            log.read_exact(&mut chunk)?;
            chunk.extend_from_slice(&buf);
            buf = chunk;
            // A newline before the final byte ends the previous line.
            let body = &buf[..buf.len() - 1];
            if let Some(newline) = body.iter().rposition(|&b| b == b'\n') {
                break newline + 1;
            }
            if start == 0 {
                break 0;
            }
        };
        let Some(line) = buf[line_start..].strip_suffix(b"\n") else {
            return Err(damaged(
                "the last line is incomplete (no trailing newline)".to_owned(),
            ));
        };
        open_line(line).map(Some).map_err(damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: u64) -> AuditEvent {
        AuditEvent {
            kind: "test.event".into(),
            actor: "test".into(),
            decision: None,
            detail: serde_json::json!({ "n": n }),
        }
    }

    /// A crash between a record and its head, again and again (a process
    /// killed at the same point on every restart), never leaves a log that
    /// refuses the next append or fails verification.
    #[test]
    fn repeated_crashes_between_record_and_head_never_wedge_the_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
        // From an empty log (no head yet) and from a log with one.
        for n in 0..4 {
            log.append_until(event(n), Step::Record).unwrap();
        }
        log.append(event(4)).unwrap();
        for n in 5..9 {
            log.append_until(event(n), Step::Record).unwrap();
        }
        let last = log.append(event(9)).unwrap();
        assert_eq!(last.seq, 9);
        let report = verify(log.path()).unwrap();
        assert!(report.ok, "{report:?}");
        assert_eq!(report.records, 10);
    }
}
