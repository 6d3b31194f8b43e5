//! Model-generated patches: what an `apply` node applies and a `scan` node
//! with `target = "patch"` scans. A patch is hostile input (a
//! prompt-injected model writes it), so it goes [`plan`] → [`scan`] →
//! (the engine gates on [`PatchScan::blocking`]) → [`apply`].
//!
//! - [`plan`] reads the patch's file sections (`parse.rs`), refuses every
//!   unsafe path, mode and form (`path.rs`, listed on [`PathRefusal`] and
//!   [`PatchError`]), then lets the real `git apply` apply it to a scratch
//!   copy of the files it names (`git.rs`): that proves the hunks apply,
//!   gives the exact after-state of every manifest and lockfile it touches,
//!   and lists the paths git itself sees, which must equal the ones checked.
//!   It never writes to the repository.
//! - [`scan`] hands those before/after texts to agent-immune's patch
//!   pipeline ([`agent_immune::pipeline::scan_patch`]); matching, gating and
//!   the holds are agent-immune's, not reimplemented here.
//! - [`apply`] checks the patch and the tree again (they may have changed
//!   since the plan), runs `git apply --check`, then `git apply`, and
//!   verifies every scanned manifest now holds what was scanned.
//!
//! Decisions, each tested: `.gitattributes` and `.gitmodules` are refused
//! (attributes name filters that later git commands run; submodules point
//! git at other repositories); a new symlink (mode 120000) is refused (it
//! plants a trap: a later write through it lands outside the repository);
//! an executable bit (mode 100755, new or changed) is refused (it makes a
//! generated script runnable by later steps without anyone asking for
//! that); submodules (160000) and copies (`copy from` reads any file of the
//! tree and keeps its mode) are refused; renames are allowed.
//!
//! What it must not do: decide a finding's severity or the gate (that is
//! agent-immune's verdict), write anything before every check passed, or
//! pass `--unsafe-paths` to git.

mod error;
mod git;
mod parse;
mod path;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use agent_immune::lockfile::Kind;
use agent_immune::patch::{FileChange, PatchDelta};
use agent_immune::pipeline::{self, PatchInput, PatchRequest, PatchVerdict, ScanVerdict};
use autonomic_core::config::Config;
use autonomic_core::Severity;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use error::PatchError;
pub use path::PathRefusal;

/// The largest patch accepted, in bytes.
pub const MAX_PATCH_BYTES: usize = 5 * 1024 * 1024;
/// The most file sections a patch may have.
pub const MAX_PATCH_FILES: usize = 10_000;

/// What a patch does to one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// Creates it.
    Add,
    /// Changes its content or mode (never to executable).
    Modify,
    /// Deletes it.
    Delete,
    /// Renames it from `from` (and may change its content).
    Rename {
        /// The path before, relative to the repository.
        from: PathBuf,
    },
}

/// One file a patch touches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchedFile {
    /// Relative to the repository, normalised (checked by `plan`).
    pub path: PathBuf,
    /// What happens to it.
    pub change: Change,
}

/// A patch checked against a repository, not yet applied.
#[derive(Debug, Clone)]
pub struct PatchPlan {
    /// Every file section, in patch order.
    pub files: Vec<PatchedFile>,
    /// Before and after text of every manifest and lockfile the patch
    /// touches whose content it changes (for [`agent_immune::patch::delta`]).
    pub changes: Vec<FileChange>,
}

/// agent-immune's verdict on what a patch does to the dependencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchScan {
    /// Manifests touched, package versions introduced, manifests left unparsable.
    pub delta: PatchDelta,
    /// The scan of the introduced versions; its holds include every
    /// manifest the patch leaves unparsable.
    pub verdict: ScanVerdict,
    /// How many reasons hold the patch (`verdict.holds.len()`): blocking
    /// findings and broken manifests. The engine applies only at 0.
    pub blocking: usize,
    /// The highest severity among findings not ignored and not informational.
    pub max_severity: Option<Severity>,
}

/// What [`apply`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Applied {
    /// Each section's path after the patch (a deleted file's old path), in patch order.
    pub files: Vec<PathBuf>,
}

/// Checks `patch` against the repository at `repo` and computes what it
/// does to the manifests, writing nothing to `repo`.
///
/// # Errors
///
/// Every refusal [`PatchError`] lists (the patch line and path named), a
/// patch that does not apply, and I/O errors naming the file.
pub fn plan(repo: &Path, patch: &str) -> Result<PatchPlan, PatchError> {
    let repo = repository(repo)?;
    let files = check(&repo, patch)?;
    let changes = dry_run(&repo, patch, &files)?;
    Ok(PatchPlan { files, changes })
}

/// Scans what the planned patch introduces into the dependency manifests
/// with agent-immune's patch pipeline (`[immune]` of `config`; the OSV
/// database must exist, as for `agent-immune scan-patch`).
///
/// # Errors
///
/// [`PatchError::Scan`] (no database, a corrupt index), [`PatchError::Io`].
pub fn scan(
    plan: &PatchPlan,
    config: &Config,
    now: OffsetDateTime,
) -> Result<PatchScan, PatchError> {
    let scratch = git::Scratch::new()?;
    let before = scratch.path().join("before");
    let after = scratch.path().join("after");
    for (i, change) in plan.changes.iter().enumerate() {
        let name = change.path.file_name().unwrap_or_default();
        for (root, text) in [(&before, &change.before), (&after, &change.after)] {
            if let Some(text) = text {
                let dir = root.join(i.to_string());
                fs_err::create_dir_all(&dir)?;
                fs_err::write(dir.join(name), text)?;
            }
        }
    }
    fs_err::create_dir_all(&before)?;
    fs_err::create_dir_all(&after)?;
    let request = PatchRequest {
        input: PatchInput::Trees { before, after },
        fail_on: None,
        db: None,
    };
    let PatchVerdict {
        mut verdict,
        mut delta,
    } = pipeline::scan_patch(&request, &config.immune, now).map_err(PatchError::Scan)?;
    relabel(&mut verdict, &mut delta, &plan.changes);
    let max_severity = verdict
        .report
        .findings
        .iter()
        .filter(|f| f.ignored.is_none() && f.informational.is_none())
        .map(|f| f.severity)
        .max();
    Ok(PatchScan {
        blocking: verdict.holds.len(),
        delta,
        verdict,
        max_severity,
    })
}

/// Applies `patch` (the one `plan` was made from) to `repo` with `git apply`,
/// after checking the patch and the tree again and that the manifests still
/// hold what was scanned. Does not look at the scan: gating is the caller's.
///
/// # Errors
///
/// Every refusal of [`plan`]; [`PatchError::Stale`] when the repository or
/// the patch changed since the plan; [`PatchError::DoesNotApply`] (nothing
/// written: git applies all or nothing); [`PatchError::Diverged`] when a
/// manifest was written but differs from what was scanned.
pub fn apply(repo: &Path, patch: &str, plan: &PatchPlan) -> Result<Applied, PatchError> {
    let repo = repository(repo)?;
    let files = check(&repo, patch)?;
    if files != plan.files {
        let path = files
            .iter()
            .zip(&plan.files)
            .find(|(a, b)| a != b)
            .map_or_else(|| PathBuf::from("(the file list)"), |(a, _)| a.path.clone());
        return Err(PatchError::Stale { path });
    }
    for change in &plan.changes {
        if read_text(&repo.join(&change.path))? != change.before {
            return Err(PatchError::Stale {
                path: change.path.clone(),
            });
        }
    }
    let scratch = git::Scratch::new()?;
    let patch_file = scratch.path().join("patch.diff");
    fs_err::write(&patch_file, patch)?;
    let checked = git::apply(
        &repo,
        &["--check", "--numstat", "-z", "--whitespace=nowarn"],
        &patch_file,
    )?;
    if !checked.ok {
        return Err(PatchError::DoesNotApply {
            repo,
            message: checked.stderr,
        });
    }
    same_paths(&files, &git::numstat_paths(&checked.stdout))?;
    let done = git::apply(&repo, &["--whitespace=nowarn"], &patch_file)?;
    if !done.ok {
        return Err(PatchError::DoesNotApply {
            repo,
            message: done.stderr,
        });
    }
    for change in &plan.changes {
        if read_text(&repo.join(&change.path))? != change.after {
            return Err(PatchError::Diverged {
                path: change.path.clone(),
            });
        }
    }
    tracing::info!(repo = %repo.display(), files = files.len(), "patch applied");
    Ok(Applied {
        files: files.into_iter().map(|f| f.path).collect(),
    })
}

/// The repository as an absolute path to a directory.
fn repository(repo: &Path) -> Result<PathBuf, PatchError> {
    let abs = fs_err::canonicalize(repo)?;
    if !fs_err::metadata(&abs)?.is_dir() {
        return Err(PatchError::Io(std::io::Error::new(
            std::io::ErrorKind::NotADirectory,
            format!("the repository {} is not a directory", abs.display()),
        )));
    }
    Ok(abs)
}

/// The patch's files, every refusal checked: size, form, names, modes,
/// then each path against the tree (read only).
fn check(repo: &Path, patch: &str) -> Result<Vec<PatchedFile>, PatchError> {
    let mut files = Vec::new();
    for ReadFile {
        file,
        line,
        from_line,
    } in read(patch)?
    {
        for (rel, line) in [
            Some((&file.path, line)),
            rename_from(&file).map(|p| (p, from_line)),
        ]
        .into_iter()
        .flatten()
        {
            path::check_in_tree(repo, rel).map_err(|problem| match problem {
                path::TreeProblem::Refused(reason) => PatchError::UnsafePath {
                    line,
                    path: rel.display().to_string(),
                    reason,
                },
                path::TreeProblem::Io { path, source } => PatchError::Io(std::io::Error::new(
                    source.kind(),
                    format!("cannot inspect {}: {source}", path.display()),
                )),
            })?;
        }
        files.push(file);
    }
    Ok(files)
}

fn rename_from(file: &PatchedFile) -> Option<&PathBuf> {
    match &file.change {
        Change::Rename { from } => Some(from),
        _ => None,
    }
}

/// A section as a [`PatchedFile`], with the lines its path and its rename
/// source were read from.
struct ReadFile {
    file: PatchedFile,
    line: usize,
    from_line: usize,
}

/// The pure half of the checks: every section read and checked.
fn read(patch: &str) -> Result<Vec<ReadFile>, PatchError> {
    if patch.len() > MAX_PATCH_BYTES {
        return Err(PatchError::TooLarge {
            bytes: patch.len(),
            limit: MAX_PATCH_BYTES,
        });
    }
    let sections = parse::sections(patch).map_err(|m| PatchError::Malformed {
        line: m.line,
        message: m.message,
    })?;
    if sections.is_empty() {
        return Err(PatchError::Empty);
    }
    if sections.len() > MAX_PATCH_FILES {
        return Err(PatchError::TooManyFiles {
            count: sections.len(),
            limit: MAX_PATCH_FILES,
        });
    }
    sections.iter().map(section_file).collect()
}

fn section_file(s: &parse::Section) -> Result<ReadFile, PatchError> {
    let shown = s
        .new
        .as_ref()
        .or(s.old.as_ref())
        .map(|n| n.path.escape_debug().to_string())
        .unwrap_or_default();
    if let Some(line) = s.binary {
        return Err(PatchError::Binary { line, path: shown });
    }
    if let Some(line) = s.copy {
        return Err(PatchError::Copy { line, path: shown });
    }
    for (mode, line) in &s.modes {
        if let Some(why) = refused_mode(mode) {
            return Err(PatchError::Mode {
                line: *line,
                path: shown,
                mode: mode.escape_debug().to_string(),
                why,
            });
        }
    }
    let checked = |n: &parse::Name| {
        path::check(&n.path).map_err(|reason| PatchError::UnsafePath {
            line: n.line,
            path: n.path.escape_debug().to_string(),
            reason,
        })
    };
    let (path, change, lines) = match (&s.old, &s.new) {
        (None, Some(new)) => (checked(new)?, Change::Add, (new.line, new.line)),
        (Some(old), None) => (checked(old)?, Change::Delete, (old.line, old.line)),
        (Some(old), Some(new)) if s.rename => {
            let from = checked(old)?;
            (checked(new)?, Change::Rename { from }, (new.line, old.line))
        }
        (Some(old), Some(new)) if old.path == new.path => {
            (checked(new)?, Change::Modify, (new.line, old.line))
        }
        (Some(old), Some(new)) => {
            return Err(PatchError::AmbiguousNames {
                line: s.line,
                old: old.path.escape_debug().to_string(),
                new: new.path.escape_debug().to_string(),
            })
        }
        (None, None) => {
            return Err(PatchError::Malformed {
                line: s.line,
                message: "the section names /dev/null on both sides".to_owned(),
            })
        }
    };
    Ok(ReadFile {
        file: PatchedFile { path, change },
        line: lines.0,
        from_line: lines.1,
    })
}

/// Why a file mode is refused, or `None` for a regular, non-executable file.
fn refused_mode(mode: &str) -> Option<&'static str> {
    match mode {
        "100644" => None,
        "100755" => Some("an executable bit makes a generated script runnable by later steps"),
        "120000" => {
            Some("a symlink can point outside the repository: a later write through it lands there")
        }
        "160000" => Some("a submodule points git at another repository"),
        _ => Some("only regular files (100644) may be written"),
    }
}

/// Applies the patch to a scratch copy of the files it names with the real
/// `git apply`, checks git saw the same paths, and returns the manifests'
/// before/after texts.
fn dry_run(repo: &Path, patch: &str, files: &[PatchedFile]) -> Result<Vec<FileChange>, PatchError> {
    let scratch = git::Scratch::new()?;
    let tree = scratch.path().join("tree");
    fs_err::create_dir(&tree)?;
    let patch_file = scratch.path().join("patch.diff");
    fs_err::write(&patch_file, patch)?;
    let paths: BTreeSet<&PathBuf> = files
        .iter()
        .flat_map(|f| std::iter::once(&f.path).chain(rename_from(f)))
        .collect();
    let mut before = BTreeMap::new();
    for rel in &paths {
        let src = repo.join(rel);
        if fs_err::symlink_metadata(&src).is_ok_and(|m| m.is_file()) {
            let dst = tree.join(rel);
            if let Some(parent) = dst.parent() {
                fs_err::create_dir_all(parent)?;
            }
            fs_err::copy(&src, &dst)?;
        }
        if Kind::detect(rel).is_some() {
            before.insert(*rel, read_text(&tree.join(rel))?);
        }
    }
    let out = git::apply(
        &tree,
        &["--numstat", "-z", "--apply", "--whitespace=nowarn"],
        &patch_file,
    )?;
    if !out.ok {
        return Err(PatchError::DoesNotApply {
            repo: repo.to_path_buf(),
            message: out.stderr,
        });
    }
    same_paths(files, &git::numstat_paths(&out.stdout))?;
    let mut changes = Vec::new();
    for (rel, before) in before {
        let after = read_text(&tree.join(rel))?;
        if after != before {
            changes.push(FileChange {
                path: rel.clone(),
                before,
                after,
            });
        }
    }
    Ok(changes)
}

/// Refuses a patch git reads as touching other paths than the checks did.
/// git lists one path per section (the new name; a deleted file's old
/// one). A rename source git read differently would not exist in the
/// scratch copy, which holds only checked paths, so the dry run fails.
fn same_paths(files: &[PatchedFile], git: &[String]) -> Result<(), PatchError> {
    let mut ours: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
    let mut git = git.to_vec();
    ours.sort();
    git.sort();
    if ours == git {
        Ok(())
    } else {
        Err(PatchError::Disagreement { git, ours })
    }
}

/// A file's text (invalid UTF-8 replaced, so the manifest parser reports
/// it), or `None` when it does not exist.
fn read_text(path: &Path) -> Result<Option<String>, PatchError> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) if meta.is_file() => Ok(Some(
            String::from_utf8_lossy(&fs_err::read(path)?).into_owned(),
        )),
        Ok(_) => Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Puts the real paths back into a verdict computed on scratch trees
/// (`<index>/<file name>` there).
fn relabel(verdict: &mut ScanVerdict, delta: &mut PatchDelta, changes: &[FileChange]) {
    let real = |p: &Path| -> PathBuf {
        let mut it = p.components();
        let index = it
            .next()
            .and_then(|c| c.as_os_str().to_str()?.parse::<usize>().ok());
        match index.and_then(|i| changes.get(i)) {
            Some(change) => change.path.clone(),
            None => p.to_path_buf(),
        }
    };
    let real_text = |s: &str| -> String {
        let end = s.find(':').unwrap_or(s.len());
        format!("{}{}", real(Path::new(&s[..end])).display(), &s[end..])
    };
    for p in delta
        .files
        .iter_mut()
        .chain(verdict.report.files.iter_mut())
    {
        *p = real(p);
    }
    for package in &mut delta.introduced {
        package.source = real(&package.source);
    }
    for finding in &mut verdict.report.findings {
        finding.file = real(&finding.file);
    }
    for text in &mut delta.broken {
        *text = real_text(text);
    }
    for hold in &mut verdict.holds {
        if let pipeline::Hold::UnparsableManifest { error } = hold {
            *error = real_text(error);
        }
    }
}
