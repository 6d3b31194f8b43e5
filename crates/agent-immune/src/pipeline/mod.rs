//! The scan pipeline: a request and `[immune]` in, a [`ScanVerdict`] out.
//! It finds the files (lockfile discovery), the ignore entries that apply
//! (`[immune] ignore_file`, each project's [`PROJECT_IGNORE_FILE`], the
//! request's), builds the gate's [`ScanOptions`] from `[immune]`, opens
//! the OSV database and notes when it is stale, scans, and says why the
//! verdict holds. A patch scan does the same for the package versions a
//! patch introduces, and a manifest the patch leaves unparsable is a hold.
//!
//! Two steps, so a caller can show the warnings (a stale database) before
//! the lookups, which may fail: `prepare_*` reads every input and opens the
//! database, `run` looks the packages up. [`scan`] and [`scan_patch`] do
//! both. Nothing here prints and the only clock is the `now` passed in.
//!
//! # Examples
//!
//! ```no_run
//! use agent_immune::pipeline::{scan, ScanRequest};
//! use autonomic_core::config::ImmuneConfig;
//!
//! let request = ScanRequest::new(vec!["Cargo.lock".into()]);
//! let verdict = scan(&request, &ImmuneConfig::default(), time::OffsetDateTime::now_utc())?;
//! for hold in &verdict.holds {
//!     println!("security_hold: {hold}");
//! }
//! # Ok::<(), agent_immune::pipeline::ScanError>(())
//! ```

mod audit;
mod error;
mod settings;
mod verdict;

use std::path::{Path, PathBuf};

use autonomic_core::config::ImmuneConfig;
use time::OffsetDateTime;

use crate::lockfile;
use crate::osv::Database;
use crate::patch::{self, PatchDelta};
use crate::scan::{scan_packages, ScanOptions};
use crate::types::Package;

pub use error::ScanError;
pub use settings::{cache_dir, ignore_files, scan_options, FailOn, PROJECT_IGNORE_FILE};
pub use verdict::{Hold, PatchVerdict, ScanVerdict, ScanWarning};

/// What to scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanRequest {
    /// Lockfiles, manifests or directories.
    pub manifests: Vec<PathBuf>,
    /// Find every supported file below each directory, not only in it.
    pub recursive: bool,
    /// Ignore files read after `[immune] ignore_file` and the project files.
    pub ignore_files: Vec<PathBuf>,
    /// The threshold; `None` uses `[immune] fail_on`.
    pub fail_on: Option<FailOn>,
    /// An OSV cache directory instead of `[immune] osv_cache_dir`.
    pub db: Option<PathBuf>,
}

impl ScanRequest {
    /// A scan of `manifests` with everything else from `[immune]`.
    pub fn new(manifests: Vec<PathBuf>) -> ScanRequest {
        ScanRequest {
            manifests,
            recursive: false,
            ignore_files: Vec::new(),
            fail_on: None,
            db: None,
        }
    }
}

/// Where a patch comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatchInput {
    /// A unified diff file, applied to the tree at `root`.
    Diff {
        /// The diff.
        file: PathBuf,
        /// The project it applies to (the state before).
        root: PathBuf,
    },
    /// Two trees, before and after the change.
    Trees {
        /// The tree before.
        before: PathBuf,
        /// The tree after.
        after: PathBuf,
    },
}

/// What patch to scan. Only `[immune] ignore_file` applies to a patch scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchRequest {
    /// The change.
    pub input: PatchInput,
    /// The threshold; `None` uses `[immune] fail_on`.
    pub fail_on: Option<FailOn>,
    /// An OSV cache directory instead of `[immune] osv_cache_dir`.
    pub db: Option<PathBuf>,
}

/// A scan with its inputs read and its database open, ready to [`run`](Self::run).
pub struct PreparedScan {
    db: Database,
    files: Vec<PathBuf>,
    packages: Vec<Package>,
    options: ScanOptions,
    warnings: Vec<ScanWarning>,
}

impl PreparedScan {
    /// What to tell the user before the scan runs (a stale database).
    pub fn warnings(&self) -> &[ScanWarning] {
        &self.warnings
    }

    /// Looks every package up and gates the findings.
    ///
    /// # Errors
    ///
    /// [`ScanError::Database`] when an ecosystem's index is missing or corrupt.
    pub fn run(&self) -> Result<ScanVerdict, ScanError> {
        let mut report =
            scan_packages(&self.db, self.files.clone(), &self.packages, &self.options)?;
        attach_paths(&mut report);
        let holds = verdict::finding_holds(&report);
        Ok(ScanVerdict {
            report,
            warnings: self.warnings.clone(),
            holds,
        })
    }
}

/// Fills each finding's dependency path from its lockfile's graph, read
/// once per file with findings. (Building it on a second thread while the
/// packages are looked up was measured slower: the new thread's allocator
/// arena costs more than the graph.)
fn attach_paths(report: &mut crate::scan::ScanReport) {
    let mut files: Vec<PathBuf> = report.findings.iter().map(|f| f.file.clone()).collect();
    files.sort();
    files.dedup();
    for file in files {
        let Some(index) = lockfile::graph::index_file(&file) else {
            continue;
        };
        let wanted: Vec<(&str, &str)> = report
            .findings
            .iter()
            .filter(|f| f.file == file)
            .map(|f| (f.package.as_str(), f.version.as_str()))
            .collect();
        let paths = index.paths_to(&wanted);
        for f in report.findings.iter_mut().filter(|f| f.file == file) {
            if let Some(p) = paths.get(&(f.package.clone(), f.version.clone())) {
                f.path = p.clone();
            }
        }
    }
}

/// A patch scan with its delta computed and its database open.
pub struct PreparedPatch {
    scan: PreparedScan,
    delta: PatchDelta,
}

impl PreparedPatch {
    /// What the patch changes.
    pub fn delta(&self) -> &PatchDelta {
        &self.delta
    }

    /// What to tell the user before the scan runs (a stale database).
    pub fn warnings(&self) -> &[ScanWarning] {
        self.scan.warnings()
    }

    /// Scans the introduced versions; every manifest the patch leaves
    /// unparsable holds, before any finding.
    ///
    /// # Errors
    ///
    /// [`ScanError::Database`] when an ecosystem's index is missing or corrupt.
    pub fn run(&self) -> Result<PatchVerdict, ScanError> {
        let mut verdict = self.scan.run()?;
        let broken = self
            .delta
            .broken
            .iter()
            .map(|error| Hold::UnparsableManifest {
                error: error.clone(),
            });
        verdict.holds.splice(0..0, broken);
        Ok(PatchVerdict {
            verdict,
            delta: self.delta.clone(),
        })
    }
}

/// Reads the request's files and ignore files and opens the database.
///
/// # Errors
///
/// [`ScanError::NothingToScan`], [`ScanError::Lockfile`] and
/// [`ScanError::Ignore`] for the inputs; [`ScanError::Database`] when no
/// database can be opened.
pub fn prepare_scan(
    request: &ScanRequest,
    config: &ImmuneConfig,
    now: OffsetDateTime,
) -> Result<PreparedScan, ScanError> {
    let mut files = Vec::new();
    for m in &request.manifests {
        files.extend(lockfile::discover(m, request.recursive)?);
    }
    if files.is_empty() {
        return Err(ScanError::NothingToScan {
            roots: request.manifests.clone(),
        });
    }
    let mut packages = Vec::new();
    let mut notes = Vec::new();
    for f in &files {
        let parsed = lockfile::parse_file_noted(f)?;
        packages.extend(parsed.packages);
        notes.extend(parsed.notes.into_iter().map(ScanWarning::Lockfile));
    }
    let ignores = settings::load_ignores(&ignore_files(
        config,
        &request.manifests,
        &request.ignore_files,
    ))?;
    let mut options = scan_options(config, request.fail_on, ignores, now.date());
    options.go_imports = go_imports(&files);
    let mut prepared = open(config, request.db.as_deref(), now, files, packages, options)?;
    prepared.warnings.extend(notes);
    Ok(prepared)
}

/// What the Go modules among `files` import (keyed by their `go.mod` or
/// `go.sum`), for the findings' reachability; modules without `.go` files
/// are left out (reachability unknown).
fn go_imports(
    files: &[PathBuf],
) -> std::collections::BTreeMap<PathBuf, crate::reachability::GoImports> {
    files
        .iter()
        .filter(|f| {
            matches!(
                lockfile::Kind::detect(f),
                Some(lockfile::Kind::GoMod | lockfile::Kind::GoSum)
            )
        })
        .filter_map(|f| {
            let dir = match f.parent() {
                Some(d) if !d.as_os_str().is_empty() => d,
                _ => Path::new("."),
            };
            Some((f.clone(), crate::reachability::go_imports(dir)?))
        })
        .collect()
}

/// Reads the patch, computes what it changes and opens the database.
///
/// # Errors
///
/// [`ScanError::ReadDiff`], [`ScanError::Diff`], [`ScanError::Lockfile`]
/// (a tree that cannot be listed) and [`ScanError::Ignore`] for the
/// inputs; [`ScanError::Database`] when no database can be opened.
pub fn prepare_patch(
    request: &PatchRequest,
    config: &ImmuneConfig,
    now: OffsetDateTime,
) -> Result<PreparedPatch, ScanError> {
    let changes = match &request.input {
        PatchInput::Diff { file, root } => {
            let text = fs_err::read_to_string(file)?;
            patch::changes_from_diff(&text, &file.display().to_string(), root)?
        }
        PatchInput::Trees { before, after } => patch::changes_between(before, after)?,
    };
    let delta = patch::delta(&changes);
    let ignores = settings::load_ignores(&ignore_files(config, &[], &[]))?;
    let options = scan_options(config, request.fail_on, ignores, now.date());
    let scan = open(
        config,
        request.db.as_deref(),
        now,
        delta.files.clone(),
        delta.introduced.clone(),
        options,
    )?;
    Ok(PreparedPatch { scan, delta })
}

/// [`prepare_scan`], then [`PreparedScan::run`].
///
/// # Errors
///
/// As those two.
pub fn scan(
    request: &ScanRequest,
    config: &ImmuneConfig,
    now: OffsetDateTime,
) -> Result<ScanVerdict, ScanError> {
    prepare_scan(request, config, now)?.run()
}

/// [`prepare_patch`], then [`PreparedPatch::run`].
///
/// # Errors
///
/// As those two.
pub fn scan_patch(
    request: &PatchRequest,
    config: &ImmuneConfig,
    now: OffsetDateTime,
) -> Result<PatchVerdict, ScanError> {
    prepare_patch(request, config, now)?.run()
}

fn open(
    config: &ImmuneConfig,
    db: Option<&Path>,
    now: OffsetDateTime,
    files: Vec<PathBuf>,
    packages: Vec<Package>,
    options: ScanOptions,
) -> Result<PreparedScan, ScanError> {
    let db = Database::open(&cache_dir(config, db))?;
    let warnings = settings::stale_days(config, db.oldest_update(), now)
        .map(|age_days| ScanWarning::StaleDatabase {
            age_days,
            limit_days: config.max_db_age_days,
        })
        .into_iter()
        .collect();
    Ok(PreparedScan {
        db,
        files,
        packages,
        options,
        warnings,
    })
}
