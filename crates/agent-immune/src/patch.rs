//! Patch scanning for LLM-generated changes: only what a patch introduces
//! or changes in dependency manifests and lockfiles is scanned. A manifest
//! the patch leaves unparsable is a blocking problem, not a crash.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lockfile::{self, Kind};
use crate::types::Package;

/// One file's content before and after a patch (`None` = absent).
#[derive(Debug, Clone)]
pub struct FileChange {
    /// Path relative to the project root.
    pub path: PathBuf,
    /// Content before.
    pub before: Option<String>,
    /// Content after.
    pub after: Option<String>,
}

/// What a patch does to the dependency graph.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PatchDelta {
    /// Packages present after the patch that were not there before (new
    /// packages and changed versions).
    pub introduced: Vec<Package>,
    /// Manifest files the patch touched.
    pub files: Vec<PathBuf>,
    /// Manifests the patch leaves unparsable: `path:line: message`.
    pub broken: Vec<String>,
}

/// A malformed diff.
#[derive(Debug, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct DiffError {
    /// The diff file.
    pub path: String,
    /// 1-based line in the diff.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

/// Computes the delta for a set of changed files; files that are not
/// manifests or lockfiles are ignored.
pub fn delta(changes: &[FileChange]) -> PatchDelta {
    let mut out = PatchDelta::default();
    for ch in changes {
        let Some(kind) = Kind::detect(&ch.path) else {
            continue;
        };
        out.files.push(ch.path.clone());
        let before: BTreeSet<(String, String)> = match &ch.before {
            Some(text) => lockfile::parse(kind, text, &ch.path)
                .map(|p| p.into_iter().map(|p| (p.name, p.version)).collect())
                .unwrap_or_default(),
            None => BTreeSet::new(),
        };
        let Some(after) = &ch.after else { continue };
        match lockfile::parse(kind, after, &ch.path) {
            Ok(pkgs) => {
                for p in pkgs {
                    if !before.contains(&(p.name.clone(), p.version.clone())) {
                        out.introduced.push(p);
                    }
                }
            }
            Err(e) => out.broken.push(e.to_string()),
        }
    }
    out
}

/// Changes between two directory trees (only manifest and lockfile paths).
pub fn changes_between(
    before: &Path,
    after: &Path,
) -> Result<Vec<FileChange>, lockfile::LockfileError> {
    let mut paths: BTreeMap<PathBuf, ()> = BTreeMap::new();
    for root in [before, after] {
        if root.is_dir() {
            for f in lockfile::discover(root, true)? {
                if let Ok(rel) = f.strip_prefix(root) {
                    paths.insert(rel.to_path_buf(), ());
                }
            }
        }
    }
    let read = |p: PathBuf| -> Option<String> {
        #[expect(
            clippy::disallowed_methods,
            reason = "absence is data here, not an error"
        )]
        std::fs::read_to_string(p).ok()
    };
    let mut out = Vec::new();
    for rel in paths.into_keys() {
        let b = read(before.join(&rel));
        let a = read(after.join(&rel));
        if b != a {
            out.push(FileChange {
                path: rel,
                before: b,
                after: a,
            });
        }
    }
    Ok(out)
}

/// Applies a unified diff to the files under `root` (which holds the
/// "before" state), returning before/after content for every file the diff
/// touches.
pub fn changes_from_diff(
    diff: &str,
    diff_name: &str,
    root: &Path,
) -> Result<Vec<FileChange>, DiffError> {
    let err = |line: usize, message: String| DiffError {
        path: diff_name.to_string(),
        line,
        message,
    };
    let lines: Vec<&str> = diff.split('\n').collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if !lines[i].starts_with("--- ") {
            i += 1;
            continue;
        }
        let old = strip_prefix_path(&lines[i][4..]);
        let Some(new_line) = lines.get(i + 1).filter(|l| l.starts_with("+++ ")) else {
            return Err(err(i + 2, "expected a `+++ ` line after `--- `".into()));
        };
        let new = strip_prefix_path(&new_line[4..]);
        i += 2;
        let path = if new == "/dev/null" {
            old.clone()
        } else {
            new.clone()
        };
        let before = if old == "/dev/null" {
            None
        } else {
            #[expect(
                clippy::disallowed_methods,
                reason = "a missing file is reported as a diff error below"
            )]
            match std::fs::read_to_string(root.join(&old)) {
                Ok(t) => Some(t),
                Err(e) => {
                    return Err(err(
                        i - 1,
                        format!("cannot read {}: {e}", root.join(&old).display()),
                    ))
                }
            }
        };
        let src: Vec<&str> = before
            .as_deref()
            .map(|t| t.split('\n').collect())
            .unwrap_or_default();
        let mut result: Vec<String> = Vec::new();
        let mut pos = 0usize; // index into src
        while i < lines.len() && lines[i].starts_with("@@") {
            let header = lines[i];
            let (old_start, _) = parse_hunk_header(header)
                .ok_or_else(|| err(i + 1, format!("bad hunk header `{header}`")))?;
            let start = old_start.saturating_sub(1);
            if start < pos || start > src.len() {
                return Err(err(
                    i + 1,
                    format!("hunk starts at line {old_start}, outside the file"),
                ));
            }
            result.extend(src[pos..start].iter().map(|s| s.to_string()));
            pos = start;
            i += 1;
            while i < lines.len()
                && !lines[i].starts_with("@@")
                && !lines[i].starts_with("--- ")
                && !lines[i].starts_with("diff ")
            {
                let l = lines[i];
                if let Some(rest) = l.strip_prefix('+') {
                    result.push(rest.to_string());
                } else if let Some(rest) = l.strip_prefix('-') {
                    if src.get(pos) != Some(&rest) {
                        return Err(err(
                            i + 1,
                            format!("removed line does not match {} line {}", old, pos + 1),
                        ));
                    }
                    pos += 1;
                } else if let Some(rest) = l.strip_prefix(' ') {
                    if src.get(pos) != Some(&rest) {
                        return Err(err(
                            i + 1,
                            format!("context line does not match {} line {}", old, pos + 1),
                        ));
                    }
                    result.push(rest.to_string());
                    pos += 1;
                } else if l.is_empty() || l.starts_with('\\') {
                    // trailing newline of the diff, or "\ No newline at end of file"
                } else {
                    return Err(err(
                        i + 1,
                        format!(
                            "unexpected line in hunk: `{}`",
                            l.chars().take(40).collect::<String>()
                        ),
                    ));
                }
                i += 1;
            }
        }
        if pos < src.len() {
            result.extend(src[pos..].iter().map(|s| s.to_string()));
        }
        let after = if new == "/dev/null" {
            None
        } else {
            Some(result.join("\n"))
        };
        out.push(FileChange {
            path: PathBuf::from(path),
            before,
            after,
        });
    }
    Ok(out)
}

fn strip_prefix_path(p: &str) -> String {
    let p = p.split('\t').next().unwrap_or(p).trim();
    if p == "/dev/null" {
        return p.to_string();
    }
    p.strip_prefix("a/")
        .or_else(|| p.strip_prefix("b/"))
        .unwrap_or(p)
        .to_string()
}

fn parse_hunk_header(h: &str) -> Option<(usize, usize)> {
    // @@ -l,s +l,s @@
    let rest = h.strip_prefix("@@ -")?;
    let (old, _) = rest.split_once(' ')?;
    let mut it = old.split(',');
    let start: usize = it.next()?.parse().ok()?;
    let len: usize = it.next().map_or(Some(1), |x| x.parse().ok())?;
    Some((start, len))
}
