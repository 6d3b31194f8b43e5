//! Errors of the fact store.

use std::path::PathBuf;

/// A fact, scope or request that cannot be accepted.
#[derive(Debug, thiserror::Error)]
pub enum FactError {
    /// Content is empty or only whitespace.
    #[error("the fact's content is empty")]
    EmptyContent,
    /// Content is too long.
    #[error("the fact's content is {bytes} bytes; the limit is {max}")]
    ContentTooLong {
        /// Its length.
        bytes: usize,
        /// The limit.
        max: usize,
    },
    /// A NUL byte where text is expected.
    #[error("the fact's {field} contains a NUL byte")]
    Nul {
        /// Which field.
        field: &'static str,
    },
    /// Confidence outside [0, 1] (or NaN).
    #[error("confidence {value} is outside [0, 1]")]
    Confidence {
        /// The value given.
        value: f64,
    },
    /// `invalid_at` at or before `valid_from`.
    #[error("invalid_at ({invalid_at}) must be later than valid_from ({valid_from})")]
    EmptyValidity {
        /// Start of validity, RFC 3339.
        valid_from: String,
        /// End of validity, RFC 3339.
        invalid_at: String,
    },
    /// A project, session, subject, source or tag that is empty, too long or has control characters.
    #[error("{field} `{value}` {reason}")]
    BadName {
        /// Which field.
        field: &'static str,
        /// The value (first 64 characters).
        value: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Too many tags.
    #[error("{count} tags; at most {max} are allowed")]
    TooManyTags {
        /// How many were given.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// A token budget of zero.
    #[error("the token budget must be at least 1")]
    ZeroBudget,
}

impl autonomic_core::Hint for FactError {
    fn hint(&self) -> Option<String> {
        match self {
            FactError::Confidence { .. } => {
                Some("pass a confidence between 0 and 1, e.g. --confidence 0.8".to_owned())
            }
            FactError::EmptyValidity { .. } => Some(
                "a fact holds on [valid_from, invalid_at): invalid_at must come later".to_owned(),
            ),
            FactError::ZeroBudget => Some("pass --budget 1 or more (tokens)".to_owned()),
            _ => None,
        }
    }
}

/// Anything the brain can fail with.
#[derive(Debug, thiserror::Error)]
pub enum BrainError {
    /// Bad input; nothing was stored.
    #[error(transparent)]
    Fact(#[from] FactError),
    /// The file is not an SQLite database at all.
    #[error("{path} is not an SQLite database (its header is wrong); it was left untouched")]
    NotADatabase {
        /// The file.
        path: PathBuf,
    },
    /// An SQLite database, but not one of ours.
    #[error(
        "{path} is an SQLite database but not an Autonomic brain ({reason}); it was left untouched"
    )]
    Foreign {
        /// The file.
        path: PathBuf,
        /// What gave it away.
        reason: String,
    },
    /// Written by a newer Autonomic.
    #[error("{path} has schema version {found}; this build knows up to {known}")]
    TooNew {
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
    /// A write to a database that can only be read.
    #[error("{path} is read-only ({detail}); nothing was written")]
    ReadOnly {
        /// The file.
        path: PathBuf,
        /// SQLite's message.
        detail: String,
    },
    /// Another process holds the database for too long.
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
    /// Reading or writing a file other than the database.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// An archive that cannot be read back.
    #[error("{path}:{line}: {reason}")]
    Archive {
        /// The archive.
        path: PathBuf,
        /// 1-based line of the decompressed JSON Lines (0: the file as a whole).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// The embedding model failed or gave vectors of the wrong shape.
    #[error("the embedding model {model} failed: {reason}")]
    Embed {
        /// Its name.
        model: String,
        /// What went wrong.
        reason: String,
    },
    /// A stored row that breaks the store's own invariants.
    #[error("{path}: stored fact is malformed: {reason}")]
    BadRow {
        /// The database.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

impl BrainError {
    /// Classifies an SQLite error on `path`.
    pub(crate) fn sqlite(path: &std::path::Path, source: rusqlite::Error) -> BrainError {
        use rusqlite::ffi::ErrorCode;
        let path = path.to_path_buf();
        if let rusqlite::Error::SqliteFailure(failure, message) = &source {
            let detail = message.clone().unwrap_or_else(|| failure.to_string());
            match failure.code {
                ErrorCode::DatabaseCorrupt => return BrainError::Corrupt { path, detail },
                ErrorCode::NotADatabase => return BrainError::NotADatabase { path },
                ErrorCode::ReadOnly => return BrainError::ReadOnly { path, detail },
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked => {
                    return BrainError::Busy { path, detail }
                }
                _ => {}
            }
        }
        BrainError::Sqlite { path, source }
    }
}

impl autonomic_core::Hint for BrainError {
    fn hint(&self) -> Option<String> {
        match self {
            BrainError::NotADatabase { .. } | BrainError::Foreign { .. } => Some(
                "point [brain] db_path (or --db) at another file; Autonomic never overwrites a file it did not create".to_owned(),
            ),
            BrainError::Corrupt { .. } => Some(
                "move the file aside (it is kept as is) and restore a backup, or start a new database; `sqlite3 FILE .recover` may salvage rows".to_owned(),
            ),
            BrainError::ReadOnly { .. } => {
                Some("check the file's and its directory's permissions and mount".to_owned())
            }
            BrainError::Busy { .. } => Some("retry when the other process is done".to_owned()),
            BrainError::Fact(error) => error.hint(),
            _ => None,
        }
    }
}

/// Shorthand.
pub type Result<T, E = BrainError> = std::result::Result<T, E>;
