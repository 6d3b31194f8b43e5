//! The workspace's own crates, read from its manifests: the root
//! `Cargo.toml` beside the lockfile, its `[workspace] members` (with `*` and
//! `?` patterns), and every `path` dependency, `[patch]` and `[replace]`
//! entry reachable from them. Only crate names are taken; nothing a
//! manifest holds reaches an error or a note.
//!
//! Manifests are read like lockfiles ([`crate::lockfile::read_text`]:
//! capped, symbolic links out of the project refused) and only inside the
//! project ([`crate::lockfile::project_root`]); at most
//! [`MAX_MANIFESTS`] are read. A manifest that cannot be read or parsed
//! adds no name, so its crate's entries count as registry packages (fail
//! closed: a note says so).

use std::collections::{HashMap, HashSet, VecDeque};
use std::path::{Path, PathBuf};

use crate::lockfile::{project_root, read_text};

/// Most manifests read for one lockfile.
pub const MAX_MANIFESTS: usize = 4096;

/// The crate names a workspace builds from its own sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalCrates {
    /// The root manifest.
    pub manifest: PathBuf,
    /// Each member and path crate's name, with the versions its manifests
    /// give (`None`: inherited from the workspace or left out).
    pub crates: HashMap<String, Vec<Option<String>>>,
}

impl LocalCrates {
    /// True when a local crate has this name and this version (or a
    /// version its manifest does not spell out).
    pub fn contains(&self, name: &str, version: &str) -> bool {
        self.crates
            .get(name)
            .is_some_and(|vs| vs.iter().any(|v| v.as_deref().is_none_or(|v| v == version)))
    }
}

/// The local crates of the workspace whose lockfile is `lock`, or `None`
/// when no `Cargo.toml` sits beside it.
pub fn local_crates(lock: &Path) -> Option<LocalCrates> {
    let dir = match lock.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let manifest = dir.join("Cargo.toml");
    if fs_err::symlink_metadata(&manifest).is_err() {
        return None;
    }
    let project = project_root(&manifest)?;
    let mut crates: HashMap<String, Vec<Option<String>>> = HashMap::new();
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([(dir, true)]);
    while let Some((dir, is_root)) = queue.pop_front() {
        if seen.len() >= MAX_MANIFESTS {
            break;
        }
        let Ok(canonical) = fs_err::canonicalize(&dir) else {
            continue;
        };
        if !canonical.starts_with(&project) || !seen.insert(canonical) {
            continue;
        }
        let Ok(text) = read_text(&dir.join("Cargo.toml")) else {
            continue;
        };
        let Ok(doc) = toml::from_str::<toml::Table>(&text) else {
            continue;
        };
        let package = doc.get("package");
        if let Some(name) = package.and_then(|p| p.get("name")).and_then(|n| n.as_str()) {
            let version = package
                .and_then(|p| p.get("version"))
                .and_then(|v| v.as_str())
                .map(str::to_string);
            crates.entry(name.to_string()).or_default().push(version);
        }
        if is_root {
            for member in members(&doc) {
                queue.extend(expand(&dir, member).into_iter().map(|d| (d, false)));
            }
        }
        for rel in path_dependencies(&doc) {
            queue.push_back((dir.join(rel), false));
        }
    }
    Some(LocalCrates { manifest, crates })
}

/// `[workspace] members` patterns.
fn members(doc: &toml::Table) -> impl Iterator<Item = &str> {
    doc.get("workspace")
        .and_then(|w| w.get("members"))
        .and_then(|m| m.as_array())
        .into_iter()
        .flatten()
        .filter_map(|m| m.as_str())
}

/// Every `path = "…"` in the dependency tables, `[target.*]` ones,
/// `[workspace.dependencies]`, `[patch.*]` and `[replace]`.
fn path_dependencies(doc: &toml::Table) -> Vec<&str> {
    let mut tables: Vec<&toml::Table> = Vec::new();
    fn deps(t: &toml::Table) -> Vec<&toml::Table> {
        [
            "dependencies",
            "dev-dependencies",
            "build-dependencies",
            "dev_dependencies",
            "build_dependencies",
        ]
        .iter()
        .filter_map(|k| t.get(*k).and_then(|v| v.as_table()))
        .collect()
    }
    tables.extend(deps(doc));
    if let Some(targets) = doc.get("target").and_then(|t| t.as_table()) {
        for t in targets.values().filter_map(|t| t.as_table()) {
            tables.extend(deps(t));
        }
    }
    if let Some(d) = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
    {
        tables.push(d);
    }
    if let Some(patch) = doc.get("patch").and_then(|p| p.as_table()) {
        tables.extend(patch.values().filter_map(|t| t.as_table()));
    }
    if let Some(r) = doc.get("replace").and_then(|r| r.as_table()) {
        tables.push(r);
    }
    tables
        .into_iter()
        .flat_map(|t| t.values())
        .filter_map(|spec| spec.get("path").and_then(|p| p.as_str()))
        .collect()
}

/// Directories a member pattern names (`crates/*`, `tools/?x`, `app`).
fn expand(root: &Path, pattern: &str) -> Vec<PathBuf> {
    let mut dirs = vec![root.to_path_buf()];
    for part in Path::new(pattern).components() {
        let part = part.as_os_str().to_string_lossy();
        if !part.contains(['*', '?']) {
            dirs.iter_mut().for_each(|d| d.push(part.as_ref()));
            continue;
        }
        let mut next = Vec::new();
        for d in &dirs {
            let Ok(read) = fs_err::read_dir(d) else {
                continue;
            };
            let mut found: Vec<PathBuf> = read
                .filter_map(Result::ok)
                .filter(|e| e.file_name().to_str().is_some_and(|n| wildcard(&part, n)))
                .map(|e| e.path())
                .collect();
            found.sort();
            next.extend(found);
            if next.len() > MAX_MANIFESTS {
                break;
            }
        }
        dirs = next;
    }
    dirs
}

/// Shell-style match of `*` (any run) and `?` (one character).
fn wildcard(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    // Classic two-pointer match with backtracking to the last `*`.
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && (p[i] == '?' || p[i] == n[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::wildcard;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "anything"));
        assert!(wildcard("agent-*", "agent-immune"));
        assert!(wildcard("a?c", "abc"));
        assert!(!wildcard("a?c", "abbc"));
        assert!(wildcard("*-cli*", "autonomic-cli"));
        assert!(!wildcard("agent-*", "autonomic-cli"));
        assert!(wildcard("", ""));
        assert!(!wildcard("", "x"));
    }
}
