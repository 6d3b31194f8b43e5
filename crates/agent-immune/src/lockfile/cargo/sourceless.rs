//! Which `Cargo.lock` entries are crates.io packages.
//!
//! An entry with a registry `source` is one. An entry without a `source` is
//! either the workspace's own crate (a member or a path dependency) or a
//! registry crate whose `source` line was removed — cargo puts the line
//! back at the next unlocked build and fetches the crate from crates.io, so
//! skipping it would let a poisoned lockfile hide a vulnerable crate. The
//! rules, in order (each decision about an entry without a source is a
//! [`LockfileNote`] unless it is plainly the workspace's own):
//!
//! 1. A `checksum` (inline, or a format-1 `[metadata]` key naming a registry
//!    source) marks a registry package: cargo writes none for path crates.
//! 2. A registry package never depends on a path crate (crates.io refuses
//!    to publish one), so an entry a registry package depends on is one too.
//! 3. With the workspace's `Cargo.toml` beside the lockfile, its members and
//!    path dependencies ([`super::workspace`]) are the local crates; any
//!    other entry without a source is a registry package.
//! 4. With no `Cargo.toml` (a lockfile scanned on its own), the rest are
//!    taken as local, and a note names them.
//!
//! Git sources and other registries are not crates.io: not returned.

use std::collections::HashSet;

use rustc_hash::FxHashSet;
use std::path::Path;

use super::lock::{Entry, Lock};
use super::workspace::LocalCrates;
use crate::lockfile::LockfileNote;
use crate::types::{Ecosystem, Package};

/// The newest lockfile format this reader knows.
pub(crate) const NEWEST_FORMAT: u64 = 4;

/// How many entry names a note lists before "and N more".
const NAMES_SHOWN: usize = 5;

/// The crates.io packages `lock` pins, with what the reader had to assume.
pub(crate) fn resolve(
    lock: &Lock<'_>,
    path: &Path,
    local: &dyn Fn() -> Option<LocalCrates>,
) -> (Vec<Package>, Vec<LockfileNote>) {
    let mut notes = Vec::new();
    format_notes(lock, path, &mut notes);
    let sourceless: Vec<&Entry<'_>> = lock.entries.iter().filter(|e| e.source.is_none()).collect();
    // Only entries without a source or checksum need the graph.
    let unmarked: FxHashSet<&str> = sourceless
        .iter()
        .filter(|e| !e.checksum)
        .map(|e| e.name.as_ref())
        .collect();
    let registry_deps = if unmarked.is_empty() {
        HashSet::new()
    } else {
        deps_of_registry_entries(lock, &unmarked)
    };
    let checksummed: HashSet<&str> = lock.metadata_checksums.iter().map(|s| s.as_ref()).collect();
    let mut local_crates: Option<Option<LocalCrates>> = None;
    let mut assumed_local = Vec::new();
    let mut stripped = HashSet::new();
    for e in &sourceless {
        let why = if e.checksum
            || checksummed.contains(format!("{} {}", e.name, e.version).as_str())
        {
            Some("it has a checksum, which cargo writes only for registry packages")
        } else if registry_deps.contains(&(e.name.as_ref(), Some(e.version.as_ref())))
            || registry_deps.contains(&(e.name.as_ref(), None))
        {
            Some("a registry package depends on it, and registry packages cannot depend on path crates")
        } else {
            match local_crates.get_or_insert_with(local) {
                Some(crates) if crates.contains(&e.name, &e.version) => None,
                Some(crates) => {
                    notes.push(LockfileNote::new(
                        path,
                        Some(e.line),
                        format!(
                            "`{} {}` has no `source` line and is not a member or path dependency of the workspace in {}: scanned as a crates.io package (cargo would fetch it from there)",
                            e.name,
                            e.version,
                            crates.manifest.display()
                        ),
                    ));
                    stripped.insert(e.line);
                    continue;
                }
                None => {
                    assumed_local.push(*e);
                    None
                }
            }
        };
        if let Some(why) = why {
            notes.push(LockfileNote::new(
                path,
                Some(e.line),
                format!(
                    "`{} {}` has no `source` line but {why}: scanned as a crates.io package",
                    e.name, e.version
                ),
            ));
            stripped.insert(e.line);
        }
    }
    if let Some(note) = assumed_local_note(&assumed_local, path) {
        notes.push(note);
    }
    let mut out = Vec::with_capacity(lock.entries.len());
    for e in &lock.entries {
        let registry = match &e.source {
            Some(s) => super::is_registry(s),
            None => stripped.contains(&e.line),
        };
        // Cargo sorts entries by name, version and source, so the same
        // crate from two registries is adjacent; keep the first.
        let dup = out
            .last()
            .is_some_and(|p: &Package| p.name == e.name && p.version == e.version);
        if registry && !dup {
            out.push(Package {
                ecosystem: Ecosystem::CratesIo,
                name: e.name.to_string(),
                version: e.version.to_string(),
                approximate: false,
                requirement: None,
                source: path.to_path_buf(),
                line: Some(e.line),
            });
        }
    }
    (out, notes)
}

/// `(name, version)` of each dependency a registry entry lists among
/// `names` (`version` is `None` where the item names only the crate).
fn deps_of_registry_entries<'l>(
    lock: &'l Lock<'_>,
    names: &FxHashSet<&str>,
) -> HashSet<(&'l str, Option<&'l str>)> {
    let mut out = HashSet::new();
    for e in &lock.entries {
        if e.source.as_deref().is_some_and(super::is_registry) {
            for d in e.deps() {
                let (name, rest) = d.split_once(' ').unwrap_or((d, ""));
                if names.contains(name) {
                    out.insert((name, rest.split(' ').next().filter(|v| !v.is_empty())));
                }
            }
        }
    }
    out
}

/// Empty files and formats newer than this reader: said, not passed silently.
fn format_notes(lock: &Lock<'_>, path: &Path, notes: &mut Vec<LockfileNote>) {
    if let Some(n) = lock.format.filter(|&n| n > NEWEST_FORMAT) {
        notes.push(LockfileNote::new(
            path,
            lock.format_line,
            format!("lockfile format {n} is newer than this scanner knows (1–{NEWEST_FORMAT}); read as format {NEWEST_FORMAT}, which may miss packages"),
        ));
    }
    if lock.entries.is_empty() {
        notes.push(LockfileNote::new(
            path,
            None,
            "lists no packages at all (not even the workspace's own crate): nothing was scanned",
        ));
    }
}

fn assumed_local_note(entries: &[&Entry<'_>], path: &Path) -> Option<LockfileNote> {
    if entries.is_empty() {
        return None;
    }
    let mut names: Vec<String> = entries
        .iter()
        .take(NAMES_SHOWN)
        .map(|e| format!("{} {}", e.name, e.version))
        .collect();
    if entries.len() > NAMES_SHOWN {
        names.push(format!("and {} more", entries.len() - NAMES_SHOWN));
    }
    Some(LockfileNote::new(
        path,
        None,
        format!(
            "no Cargo.toml beside the lockfile: {} entries without a `source` line were taken as the workspace's own crates, unchecked ({}); scan the project directory to check them",
            entries.len(),
            names.join(", ")
        ),
    ))
}
