//! Why a scan could not produce a verdict.

use std::path::PathBuf;

use crate::ignore::IgnoreError;
use crate::lockfile::LockfileError;
use crate::osv::DbError;
use crate::patch::DiffError;

/// Why a scan or a patch scan stopped before its verdict. Each variant
/// shows its cause's own message, so a caller that prints it says what the
/// underlying error says; [`ScanError::is_database`] tells a database
/// problem (the CLI's exit 3) from an input problem (exit 2).
#[derive(Debug, thiserror::Error)]
pub enum ScanError {
    /// No supported lockfile or manifest under the paths given.
    #[error(
        "no supported lockfile or manifest found under {}",
        roots.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    NothingToScan {
        /// The paths searched.
        roots: Vec<PathBuf>,
    },
    /// A lockfile or manifest that cannot be found, read or parsed.
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    /// An ignore file that cannot be read or is not valid.
    #[error(transparent)]
    Ignore(#[from] IgnoreError),
    /// The diff file cannot be read (the message names it).
    #[error(transparent)]
    ReadDiff(#[from] std::io::Error),
    /// The diff does not apply or is malformed.
    #[error(transparent)]
    Diff(#[from] DiffError),
    /// The OSV database is missing, corrupt or unreadable.
    #[error(transparent)]
    Database(#[from] DbError),
}

impl ScanError {
    /// True when the local OSV database is the problem, not the input.
    pub fn is_database(&self) -> bool {
        matches!(self, ScanError::Database(_))
    }
}

impl ScanError {
    /// The suggestion, as static text.
    pub(crate) fn static_hint(&self) -> Option<&'static str> {
        match self {
            ScanError::NothingToScan { .. } => Some(
                "name a lockfile or manifest, or a directory holding one (--recursive searches below it)",
            ),
            ScanError::Database(e) => e.static_hint(),
            ScanError::Lockfile(_)
            | ScanError::Ignore(_)
            | ScanError::ReadDiff(_)
            | ScanError::Diff(_) => None,
        }
    }
}

impl autonomic_core::Hint for ScanError {
    fn hint(&self) -> Option<String> {
        self.static_hint().map(str::to_owned)
    }
}
