//! Checking a whole log: every record's hash, the chain, and the head file.

use std::io::BufRead as _;
use std::path::Path;

use serde::Serialize;

use super::head::{self, Tail};
use super::record::{open_line, short, AuditRecord, GENESIS_HASH};
use super::{lock_path, AuditError};

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// Records that verified, in order, before the first bad one (all of them when `ok`).
    pub records: u64,
    /// Whether the whole log verified.
    pub ok: bool,
    /// The first problem found, if any.
    pub first_bad: Option<BadRecord>,
}

/// The first record (or position) where verification failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadRecord {
    /// 1-based line of the log; one past the last line when records are missing at the end.
    pub line: u64,
    /// The seq a record at this line should have.
    pub seq_expected: u64,
    /// What is wrong.
    pub reason: String,
}

/// Verifies the log at `path` and its head file.
///
/// Detects an edited record (hash mismatch), a deleted, inserted or reordered
/// record (seq or prev mismatch), deleted last records (head file mismatch)
/// and a garbled or incomplete line. A missing log with no head file is a
/// valid empty log. Takes the shared lock (if the lock file exists) so a
/// concurrent append is never seen half-written.
pub fn verify(path: &Path) -> Result<VerifyReport, AuditError> {
    let lock_path = lock_path(path);
    let _lock = match fs_err::File::open(&lock_path) {
        Ok(lock) => {
            // Fully qualified: std's inherent `File::lock_shared` needs Rust 1.89.
            fs4::FileExt::lock_shared(lock.file()).map_err(|source| AuditError::Lock {
                path: lock_path.clone(),
                source,
            })?;
            Some(lock)
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(error) => return Err(AuditError::Io(error)),
    };

    let mut report = VerifyReport {
        records: 0,
        ok: true,
        first_bad: None,
    };
    let mut last: Option<AuditRecord> = None;
    // Records verify in order, so the first bad one is always on line `records + 1`.
    let fail = |report: &mut VerifyReport, reason: String| {
        report.ok = false;
        report.first_bad = Some(BadRecord {
            line: report.records + 1,
            seq_expected: report.records,
            reason,
        });
    };

    match fs_err::File::open(path) {
        Ok(file) => {
            let mut reader = std::io::BufReader::new(file);
            let mut buf = Vec::new();
            loop {
                buf.clear();
                if reader.read_until(b'\n', &mut buf)? == 0 {
                    break;
                }
                let Some(line) = buf.strip_suffix(b"\n") else {
                    fail(
                        &mut report,
                        "the line is incomplete (no trailing newline): a write was cut short or the file was truncated".to_owned(),
                    );
                    return Ok(report);
                };
                let record = match open_line(line) {
                    Ok(record) => record,
                    Err(reason) => {
                        fail(&mut report, reason);
                        return Ok(report);
                    }
                };
                if let Some(reason) = chain_problem(&record, report.records, last.as_ref()) {
                    fail(&mut report, reason);
                    return Ok(report);
                }
                report.records += 1;
                last = Some(record);
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(AuditError::Io(error)),
    }

    let head = match head::read(&head::head_path(path))? {
        Some(Ok(head)) => Some(head),
        Some(Err(reason)) => {
            fail(&mut report, reason);
            return Ok(report);
        }
        None => None,
    };
    let tail = last.as_ref().map(|record| Tail {
        seq: record.seq,
        hash: &record.hash,
        prev: &record.prev,
    });
    if let Err(reason) = head::check(head.as_ref(), tail) {
        fail(&mut report, reason);
    }
    Ok(report)
}

/// Why `record`, found where seq `expected` belongs after `previous`, breaks the chain.
fn chain_problem(
    record: &AuditRecord,
    expected: u64,
    previous: Option<&AuditRecord>,
) -> Option<String> {
    if record.seq > expected {
        return Some(format!(
            "seq {} where {expected} was expected: {} record(s) before this line are missing",
            record.seq,
            record.seq - expected
        ));
    }
    if record.seq < expected {
        return Some(format!(
            "seq {} where {expected} was expected: a record was inserted or records were reordered",
            record.seq
        ));
    }
    let expected_prev = previous.map_or(GENESIS_HASH, |previous| previous.hash.as_str());
    if record.prev != expected_prev {
        return Some(format!(
            "prev is {} but the previous record's hash is {}: a record was deleted, inserted or replaced",
            short(&record.prev),
            short(expected_prev)
        ));
    }
    None
}
