//! The head file (`audit.head`): seq and hash of the last record.
//!
//! Deleting the last records of a hash chain leaves a valid, shorter chain;
//! the head file, rewritten atomically after every append, is what makes that
//! truncation visible.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::record::short;
use super::AuditError;

/// What the head file records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Head {
    pub seq: u64,
    pub hash: String,
}

/// `audit.jsonl` → `audit.head`.
pub(crate) fn head_path(log: &Path) -> PathBuf {
    log.with_extension("head")
}

/// Reads the head file; `Ok(None)` if there is none.
pub(crate) fn read(path: &Path) -> Result<Option<Result<Head, String>>, AuditError> {
    match fs_err::read_to_string(path) {
        Ok(text) => {
            Ok(Some(serde_json::from_str(text.trim_end()).map_err(|e| {
                format!("`{}` is unreadable: {e}", path.display())
            })))
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(AuditError::Io(error)),
    }
}

/// Replaces the head file atomically (temp file, fsync, rename). Call with the lock held.
pub(crate) fn write(path: &Path, head: &Head) -> Result<(), AuditError> {
    let mut line = serde_json::to_string(head).map_err(AuditError::Encode)?;
    line.push('\n');
    let temp = path.with_extension("head.tmp");
    let mut file = fs_err::File::create(&temp)?;
    file.write_all(line.as_bytes())?;
    file.sync_all()?;
    drop(file);
    fs_err::rename(&temp, path)?;
    Ok(())
}

/// The last record's seq, hash and prev, as the head file should see them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tail<'a> {
    pub seq: u64,
    pub hash: &'a str,
    pub prev: &'a str,
}

/// Checks the head file against the last record of the log.
///
/// Accepts the head lagging exactly one record behind (a crash between
/// writing the record and the head); anything else is reported.
pub(crate) fn check(head: Option<&Head>, tail: Option<Tail<'_>>) -> Result<(), String> {
    match (head, tail) {
        (None, None) => Ok(()),
        // Crash before the first head was written.
        (None, Some(tail)) if tail.seq == 0 => Ok(()),
        (None, Some(tail)) => Err(format!(
            "the head file is missing but the log has {} records",
            tail.seq + 1
        )),
        (Some(head), None) => Err(format!(
            "the log is empty but the head file records seq {}: every record was deleted",
            head.seq
        )),
        (Some(head), Some(tail)) if head.seq == tail.seq => {
            if head.hash == tail.hash {
                Ok(())
            } else {
                Err(format!(
                    "the last record (seq {}) has hash {} but the head file records {}",
                    tail.seq,
                    short(tail.hash),
                    short(&head.hash)
                ))
            }
        }
        (Some(head), Some(tail)) if head.seq > tail.seq => Err(format!(
            "the log ends at seq {} but the head file records seq {}: the last {} record(s) were deleted",
            tail.seq,
            head.seq,
            head.seq - tail.seq
        )),
        (Some(head), Some(tail)) if head.seq + 1 == tail.seq && head.hash == tail.prev => Ok(()),
        (Some(head), Some(tail)) => Err(format!(
            "the head file records seq {} but the log continues to seq {}",
            head.seq, tail.seq
        )),
    }
}
