//! Reading the local OSV database: [`Database::open`], [`Database::lookup`],
//! [`Database::status`]. Scans use only this module; it never touches the
//! network. Each ecosystem's index is read on its first lookup, so scanning
//! a `Cargo.lock` never decodes PyPI.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::index::{self, IndexHeader, LoadedIndex, ReadFailure};
use super::record::{Affected, OsvSeverity};
use crate::types::Ecosystem;

/// The command that creates or repairs the database.
pub const UPDATE_HINT: &str = "run `agent-immune db update`";

/// Everything a scanner needs about one (record, package) pair.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndexedVuln {
    /// Record id (`RUSTSEC-…`, `GHSA-…`, `PYSEC-…`).
    pub id: String,
    /// Other ids for the same vulnerability.
    pub aliases: Vec<String>,
    /// One-line summary.
    pub summary: Option<String>,
    /// Record-level severities, then this package's affected-entry severities (deduplicated).
    pub severity: Vec<OsvSeverity>,
    /// A database's own label, e.g. GHSA `database_specific.severity` (`"HIGH"`, `"MODERATE"`).
    pub severity_label: Option<String>,
    /// RustSec informational kind (`unmaintained`, `unsound`, `notice`): not a vulnerability.
    pub informational: Option<String>,
    /// Only the `affected[]` entries for this package, ranges and versions as strings.
    /// `ecosystem_specific` / `database_specific` are kept (stored as JSON text in the index).
    #[serde(with = "super::codec")]
    pub affected: Vec<Affected>,
    /// Record modification time (RFC 3339), as the record states it.
    pub modified: Option<String>,
    /// The packages holding the vulnerable code, as import paths (Go's
    /// `affected[].ecosystem_specific.imports[].path`, sorted, deduplicated);
    /// empty when the record does not say. Input to [`crate::reachability`].
    #[serde(default)]
    pub imports: Vec<String>,
}

/// What `db status` shows for one ecosystem.
#[derive(Debug, Clone, PartialEq)]
pub struct EcosystemStatus {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// The index file.
    pub path: PathBuf,
    /// Records imported (valid, not withdrawn).
    pub records: u64,
    /// Distinct package names.
    pub packages: u64,
    /// Entries that failed to parse at import and were skipped.
    pub skipped_corrupt: u64,
    /// Withdrawn records (excluded).
    pub withdrawn: u64,
    /// GIT ranges (kept, but not evaluable without the repository).
    pub git_ranges_skipped: u64,
    /// Index file size.
    pub index_bytes: u64,
    /// SHA-256 of the archive the index was built from.
    pub archive_sha256: String,
    /// Where the archive came from (URL or path).
    pub source: String,
    /// When the index was built (RFC 3339).
    pub updated_at: String,
    /// Time since `updated_at` (zero if in the future or unparseable).
    pub age: time::Duration,
    /// Set when the index is unreadable; the counts are then zero.
    pub problem: Option<String>,
}

/// Errors of the OSV database (open, lookup, update).
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No index for any ecosystem: scans exit 3 and print the hint.
    #[error("no OSV database in {}; {hint}", cache_dir.display())]
    Missing {
        /// The cache directory searched.
        cache_dir: PathBuf,
        /// The command that fixes it.
        hint: &'static str,
    },
    /// This ecosystem was never imported.
    #[error("no {ecosystem} index at {}; run `agent-immune db update --ecosystem {ecosystem}`", path.display())]
    EcosystemMissing {
        /// The ecosystem asked for.
        ecosystem: Ecosystem,
        /// The index file that does not exist.
        path: PathBuf,
    },
    /// An index file that exists but cannot be decoded.
    #[error("OSV index {} is corrupt: {reason}; {UPDATE_HINT} to rebuild it", path.display())]
    Corrupt {
        /// The index file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// An index written by another version of agent-immune (another
    /// format): rebuilt by `db update`, never misread.
    #[error("OSV index {} has format version {found}, this build reads version {supported}; {UPDATE_HINT} to rebuild it", path.display())]
    OtherFormat {
        /// The index file.
        path: PathBuf,
        /// The version it has.
        found: u32,
        /// The version this build reads.
        supported: u32,
    },
    /// An index file that cannot be read.
    #[error("cannot read OSV index {}", path.display())]
    Unreadable {
        /// The index file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The HTTP download failed (connection, status, truncated body, size cap).
    #[error("cannot download {url}")]
    Download {
        /// The URL.
        url: String,
        /// What failed.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The archive is not a readable zip (truncated, bad CRC, …).
    #[error("archive {location} is invalid; the previous index is kept")]
    Archive {
        /// URL or path of the archive.
        location: String,
        /// The zip error.
        #[source]
        source: zip::result::ZipError,
    },
    /// The source held no usable record for this ecosystem.
    #[error("{location} holds no valid {ecosystem} records ({skipped_corrupt} corrupt, {withdrawn} withdrawn); the previous index is kept")]
    NoRecords {
        /// The ecosystem.
        ecosystem: Ecosystem,
        /// URL or path.
        location: String,
        /// Entries that failed to parse.
        skipped_corrupt: usize,
        /// Withdrawn records.
        withdrawn: usize,
    },
    /// The source cannot be used as asked (e.g. loose records without an ecosystem).
    #[error("{location}: {reason}")]
    BadSource {
        /// URL or path.
        location: String,
        /// Why.
        reason: String,
    },
    /// Filesystem error; `fs_err` puts the path in the message.
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

impl DbError {
    /// The suggestion, as static text.
    pub(crate) fn static_hint(&self) -> Option<&'static str> {
        match self {
            DbError::Missing { hint, .. } => Some(hint),
            DbError::EcosystemMissing { .. }
            | DbError::Corrupt { .. }
            | DbError::OtherFormat { .. } => Some(UPDATE_HINT),
            _ => None,
        }
    }
}

impl autonomic_core::Hint for DbError {
    fn hint(&self) -> Option<String> {
        self.static_hint().map(str::to_owned)
    }
}

/// A load failure remembered per ecosystem (so `lookup` can report it on every call).
#[derive(Debug, Clone)]
enum LoadError {
    Missing,
    Corrupt(String),
    Format(u32),
    Unreadable(std::io::ErrorKind, String),
}

struct Slot {
    ecosystem: Ecosystem,
    path: PathBuf,
    /// `None` when the file does not exist.
    header: Option<Result<IndexHeader, LoadError>>,
    loaded: OnceLock<Result<LoadedIndex, LoadError>>,
}

/// The opened OSV cache directory; per-ecosystem indexes load lazily.
pub struct Database {
    cache_dir: PathBuf,
    slots: Vec<Slot>,
}

/// Where one ecosystem's index lives.
pub fn index_path(cache_dir: &Path, eco: Ecosystem) -> PathBuf {
    cache_dir.join(eco.as_str()).join("index.bin")
}

impl Database {
    /// Opens `cache_dir`, reading only the small header of each index.
    /// [`DbError::Missing`] when no ecosystem has an index.
    pub fn open(cache_dir: &Path) -> Result<Database, DbError> {
        let mut slots = Vec::with_capacity(Ecosystem::ALL.len());
        for ecosystem in Ecosystem::ALL {
            let path = index_path(cache_dir, ecosystem);
            let header = match index::read_header(&path) {
                Ok(h) if h.ecosystem == ecosystem => Some(Ok(h)),
                Ok(h) => Some(Err(LoadError::Corrupt(format!(
                    "index is for {}, not {ecosystem}",
                    h.ecosystem
                )))),
                Err(ReadFailure::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => None,
                Err(ReadFailure::Io(e)) => {
                    Some(Err(LoadError::Unreadable(e.kind(), e.to_string())))
                }
                Err(ReadFailure::Corrupt(reason)) => Some(Err(LoadError::Corrupt(reason))),
                Err(ReadFailure::Format(found)) => Some(Err(LoadError::Format(found))),
            };
            slots.push(Slot {
                ecosystem,
                path,
                header,
                loaded: OnceLock::new(),
            });
        }
        if slots.iter().all(|s| s.header.is_none()) {
            return Err(DbError::Missing {
                cache_dir: cache_dir.to_path_buf(),
                hint: UPDATE_HINT,
            });
        }
        Ok(Database {
            cache_dir: cache_dir.to_path_buf(),
            slots,
        })
    }

    /// The cache directory this database was opened from.
    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }

    fn slot(&self, eco: Ecosystem) -> &Slot {
        // `open` fills one slot per `Ecosystem::ALL` entry, in order.
        let i = Ecosystem::ALL.iter().position(|e| *e == eco).unwrap_or(0);
        &self.slots[i]
    }

    /// Records affecting `normalized_name` (see `version::normalize_name`);
    /// an empty slice when there are none. Loads that ecosystem's index on
    /// first use; errors when it is missing or corrupt.
    pub fn lookup(&self, eco: Ecosystem, normalized_name: &str) -> Result<&[IndexedVuln], DbError> {
        let slot = self.slot(eco);
        let loaded = slot.loaded.get_or_init(|| load(slot));
        let index = loaded.as_ref().map_err(|e| to_error(slot, e))?;
        index
            .get(normalized_name)
            .map_err(|reason| DbError::Corrupt {
                path: slot.path.clone(),
                reason,
            })
    }

    /// Ecosystems present in the cache, with counts, sizes and age. Unreadable
    /// indexes are listed with `problem` set.
    pub fn status(&self) -> Result<Vec<EcosystemStatus>, DbError> {
        let now = OffsetDateTime::now_utc();
        let mut out = Vec::new();
        for slot in &self.slots {
            let Some(header) = &slot.header else { continue };
            let index_bytes = fs_err::metadata(&slot.path).map(|m| m.len()).unwrap_or(0);
            let status = match header {
                Ok(h) => EcosystemStatus {
                    ecosystem: slot.ecosystem,
                    path: slot.path.clone(),
                    records: h.records,
                    packages: h.packages,
                    skipped_corrupt: h.skipped_corrupt,
                    withdrawn: h.withdrawn,
                    git_ranges_skipped: h.git_ranges,
                    index_bytes,
                    archive_sha256: h.archive_sha256.clone(),
                    source: h.source.clone(),
                    updated_at: h.updated_at.clone(),
                    age: parse_time(&h.updated_at)
                        .map(|t| (now - t).max(time::Duration::ZERO))
                        .unwrap_or(time::Duration::ZERO),
                    problem: None,
                },
                Err(e) => EcosystemStatus {
                    ecosystem: slot.ecosystem,
                    path: slot.path.clone(),
                    records: 0,
                    packages: 0,
                    skipped_corrupt: 0,
                    withdrawn: 0,
                    git_ranges_skipped: 0,
                    index_bytes,
                    archive_sha256: String::new(),
                    source: String::new(),
                    updated_at: String::new(),
                    age: time::Duration::ZERO,
                    problem: Some(to_error(slot, e).to_string()),
                },
            };
            out.push(status);
        }
        Ok(out)
    }

    /// The oldest `updated_at` among readable indexes (for the staleness warning).
    pub fn oldest_update(&self) -> Option<OffsetDateTime> {
        self.slots
            .iter()
            .filter_map(|s| s.header.as_ref()?.as_ref().ok())
            .filter_map(|h| parse_time(&h.updated_at))
            .min()
    }
}

fn parse_time(s: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(s, &Rfc3339).ok()
}

fn load(slot: &Slot) -> Result<LoadedIndex, LoadError> {
    match &slot.header {
        None => return Err(LoadError::Missing),
        Some(Err(e)) => return Err(e.clone()),
        Some(Ok(_)) => {}
    }
    let bytes = fs_err::read(&slot.path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            LoadError::Missing
        } else {
            LoadError::Unreadable(e.kind(), e.to_string())
        }
    })?;
    LoadedIndex::parse(bytes).map_err(LoadError::Corrupt)
}

fn to_error(slot: &Slot, e: &LoadError) -> DbError {
    match e {
        LoadError::Missing => DbError::EcosystemMissing {
            ecosystem: slot.ecosystem,
            path: slot.path.clone(),
        },
        LoadError::Corrupt(reason) => DbError::Corrupt {
            path: slot.path.clone(),
            reason: reason.clone(),
        },
        LoadError::Format(found) => DbError::OtherFormat {
            path: slot.path.clone(),
            found: *found,
            supported: index::FORMAT_VERSION,
        },
        LoadError::Unreadable(kind, message) => DbError::Unreadable {
            path: slot.path.clone(),
            source: std::io::Error::new(*kind, message.clone()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn public_types_are_send_sync() {
        assert_send_sync::<Database>();
        assert_send_sync::<DbError>();
        assert_send_sync::<IndexedVuln>();
    }
}
