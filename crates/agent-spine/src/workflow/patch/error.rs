//! Why a patch is refused or could not be planned, scanned or applied.
//! Every variant names the patch line and the path when there is one.

use std::path::PathBuf;

use agent_immune::pipeline::ScanError;

use super::path::PathRefusal;

/// Why `plan`, `scan` or `apply` stopped. Nothing was written to the
/// repository unless the variant says so ([`PatchError::Diverged`]).
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The patch is larger than the limit.
    #[error("the patch is {bytes} bytes, over the limit of {limit}")]
    TooLarge {
        /// Its size.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The patch touches more files than the limit.
    #[error("the patch touches {count} files, over the limit of {limit}")]
    TooManyFiles {
        /// How many file sections it has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The patch names no file.
    #[error("the patch holds no file change (no `diff --git` or `---`/`+++`/`@@` section)")]
    Empty,
    /// The patch cannot be read as a unified diff.
    #[error("patch line {line}: {message}")]
    Malformed {
        /// 1-based line in the patch.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// A path the patch names is refused.
    #[error("patch line {line}: `{path}` is refused: {reason}")]
    UnsafePath {
        /// 1-based line in the patch.
        line: usize,
        /// The path as written (control characters escaped).
        path: String,
        /// Why.
        reason: PathRefusal,
    },
    /// A binary patch.
    #[error("patch line {line}: binary patches are refused ({path})")]
    Binary {
        /// The line of the binary marker.
        line: usize,
        /// The file.
        path: String,
    },
    /// A mode other than a regular, non-executable file.
    #[error("patch line {line}: `{path}` would get mode {mode}: {why}")]
    Mode {
        /// The line of the mode.
        line: usize,
        /// The file.
        path: String,
        /// The mode as written.
        mode: String,
        /// Why it is refused.
        why: &'static str,
    },
    /// A copy (`copy from`).
    #[error("patch line {line}: copies are refused ({path}): a copy reads any file of the tree and keeps its mode; write the new file as an addition")]
    Copy {
        /// The line of `copy from`.
        line: usize,
        /// The file copied to.
        path: String,
    },
    /// Two names for one file without `rename from`/`rename to`.
    #[error("patch line {line}: the section changes `{old}` into `{new}` without `rename from`/`rename to`")]
    AmbiguousNames {
        /// The section's line.
        line: usize,
        /// The name before.
        old: String,
        /// The name after.
        new: String,
    },
    /// `git apply` reads the patch differently from the checks here.
    #[error("git reads the patch as touching {git:?}, the checks read {ours:?}; refused rather than half-checked")]
    Disagreement {
        /// The paths git lists (`--numstat`).
        git: Vec<String>,
        /// The paths the checks read.
        ours: Vec<String>,
    },
    /// The hunks do not apply to the repository.
    #[error("the patch does not apply to {repo}: {message}")]
    DoesNotApply {
        /// The repository.
        repo: PathBuf,
        /// git's message (it names the patch line or the file and line).
        message: String,
    },
    /// The repository changed since the patch was planned.
    #[error("{path} changed since the patch was planned and scanned; plan it again")]
    Stale {
        /// The file (relative to the repository).
        path: PathBuf,
    },
    /// After `git apply`, a manifest differs from what was scanned.
    #[error("{path} was written, but differs from what was scanned (the repository's git attributes or config convert it?); the change is on disk and was not scanned as written")]
    Diverged {
        /// The file (relative to the repository).
        path: PathBuf,
    },
    /// `git` could not be run.
    #[error("cannot run `git apply` in {dir}")]
    Git {
        /// The directory.
        dir: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file or directory could not be read or written (the message names it).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// agent-immune could not scan the patch.
    #[error("cannot scan the patch's dependency changes")]
    Scan(#[source] ScanError),
}

impl autonomic_core::Hint for PatchError {
    fn hint(&self) -> Option<String> {
        let text = match self {
            PatchError::TooLarge { .. } | PatchError::TooManyFiles { .. } => {
                "split the change into smaller patches"
            }
            PatchError::Empty | PatchError::Malformed { .. } | PatchError::AmbiguousNames { .. } => {
                "give a unified diff as `git diff` writes it (a/ and b/ prefixes, hunk counts that match)"
            }
            PatchError::UnsafePath { .. } => {
                "a patch may only change regular files inside the repository, outside .git"
            }
            PatchError::Binary { .. } | PatchError::Mode { .. } | PatchError::Copy { .. } => {
                "make the change as text to regular, non-executable files"
            }
            PatchError::Disagreement { .. } => {
                "regenerate the patch with `git diff`; unusual names and headers are refused"
            }
            PatchError::DoesNotApply { .. } | PatchError::Stale { .. } => {
                "regenerate the patch against the repository as it is now"
            }
            PatchError::Diverged { .. } => {
                "review the file (`git diff`) before going on; scan the repository again"
            }
            PatchError::Git { .. } => "install git (`apt-get install git`) and check it is on PATH",
            PatchError::Io(_) => return None,
            PatchError::Scan(e) => return autonomic_core::Hint::hint(e),
        };
        Some(text.to_owned())
    }
}
