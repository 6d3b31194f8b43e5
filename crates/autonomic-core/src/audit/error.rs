//! Errors from writing or reading the audit log.

use std::path::PathBuf;

/// Why an audit-log operation failed.
///
/// Tampering found by [`verify`](super::verify) is not an error: it is
/// reported in [`VerifyReport`](super::VerifyReport). `append` does return an
/// error when the end of the log is damaged or disagrees with the head file,
/// because continuing the chain would hide the damage.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// Reading or writing a file failed (the cause names the path).
    #[error("audit log I/O failed")]
    Io(#[source] std::io::Error),
    /// The lock file could not be locked.
    #[error("cannot lock `{}`", path.display())]
    Lock {
        /// The lock file.
        path: PathBuf,
        /// The locking error.
        #[source]
        source: std::io::Error,
    },
    /// The event could not be serialised.
    #[error("cannot serialise the audit record")]
    Encode(#[source] serde_json::Error),
    /// The current time could not be formatted as RFC 3339.
    #[error("cannot format the audit timestamp")]
    Timestamp(#[source] time::error::Format),
    /// The last record is unreadable or fails its own hash.
    #[error("the last record of `{}` is damaged ({reason}); refusing to append", path.display())]
    DamagedTail {
        /// The log.
        path: PathBuf,
        /// What is wrong with the record.
        reason: String,
    },
    /// A line of the log is not a record (`audit verify` says more).
    #[error("`{}` line {line} is not an audit record: {reason}", path.display())]
    BadLine {
        /// The log.
        path: PathBuf,
        /// 1-based line.
        line: u64,
        /// What is wrong.
        reason: String,
    },
    /// The log and its head file disagree (e.g. the last records were deleted).
    #[error("`{}` disagrees with its head file ({reason}); refusing to append", path.display())]
    HeadMismatch {
        /// The log.
        path: PathBuf,
        /// How they disagree.
        reason: String,
    },
}

impl crate::Hint for AuditError {
    fn hint(&self) -> Option<String> {
        match self {
            AuditError::DamagedTail { .. } | AuditError::HeadMismatch { .. } => Some(
                "run `autonomic audit verify` to find the first bad record, then move the damaged log aside"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

impl From<std::io::Error> for AuditError {
    fn from(error: std::io::Error) -> Self {
        AuditError::Io(error)
    }
}
