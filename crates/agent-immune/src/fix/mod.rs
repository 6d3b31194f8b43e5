//! What clears a scan's findings: the smallest upgrade of each affected
//! package, as edits to the files that pin or declare it and as the
//! package manager's own command where only it can rewrite a lockfile
//! (checksums, resolution). Nothing is written or run here: [`plan`]
//! proposes, [`FixPlan::diff`] renders the edits as a unified diff a person
//! (or agent-spine) reviews and applies.
//!
//! The rules:
//! - The target is the largest of the findings' smallest upgrades
//!   ([`crate::scan::Finding::upgrade`]) for that package and version; a
//!   finding with none published is listed as not fixable.
//! - A requirement that already admits the target is left alone (the
//!   smallest change is a lockfile update); one that excludes it is edited
//!   to the target (`"1.4"` → `"1.5.5"`, `"~4.2.0"` → `"^4.2.4"`).
//! - `requirements.txt` pins are the lock: `name==1.0` becomes `name==1.0.1`
//!   unless the line carries hashes, which only the locking tool can make.
//! - A transitive dependency is upgraded through the lockfile tool (for
//!   Cargo, `cargo update --precise`, which refuses when a dependent's
//!   requirement excludes the target; for npm, an `overrides` entry).

mod edit;
mod steps;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lockfile::Kind;
use crate::scan::{Finding, ScanReport};
use crate::types::Ecosystem;

/// One line of one file changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEdit {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// The line now.
    pub before: String,
    /// The line after the edit.
    pub after: String,
    /// The package, and the versions from and to.
    pub package: String,
    /// The version scanned.
    pub from: String,
    /// The upgrade.
    pub to: String,
    /// Ids of the findings it clears.
    pub clears: Vec<String>,
}

/// Something only the package manager can do (rewrite a lockfile).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixStep {
    /// The lockfile or manifest concerned.
    pub file: PathBuf,
    /// The package.
    pub package: String,
    /// The version scanned.
    pub from: String,
    /// The upgrade.
    pub to: String,
    /// What to run or change, in the project's directory.
    pub action: String,
    /// Why this and not an edit.
    pub why: String,
    /// Ids of the findings it clears.
    pub clears: Vec<String>,
}

/// A finding no upgrade clears.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unfixable {
    /// The file.
    pub file: PathBuf,
    /// The package.
    pub package: String,
    /// The version scanned.
    pub version: String,
    /// The finding's ids.
    pub ids: Vec<String>,
    /// Why.
    pub reason: String,
}

/// The proposal for one scan.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixPlan {
    /// Line edits, by file and line.
    pub edits: Vec<FileEdit>,
    /// Package manager steps.
    pub steps: Vec<FixStep>,
    /// Findings nothing published clears.
    pub unfixable: Vec<Unfixable>,
}

/// One package version in one file, with its findings.
pub(crate) struct Target<'r> {
    pub(crate) file: &'r Path,
    pub(crate) ecosystem: Ecosystem,
    pub(crate) package: &'r str,
    pub(crate) from: &'r str,
    pub(crate) to: String,
    pub(crate) line: Option<usize>,
    pub(crate) path: &'r [String],
    pub(crate) approximate: bool,
    pub(crate) clears: Vec<String>,
}

/// Proposes the upgrades that clear `report`'s findings (vulnerabilities
/// not ignored; informational advisories are not fixed by upgrading).
pub fn plan(report: &ScanReport) -> FixPlan {
    let mut groups: BTreeMap<(&Path, &str, &str), Vec<&Finding>> = BTreeMap::new();
    for f in report
        .findings
        .iter()
        .filter(|f| f.ignored.is_none() && f.informational.is_none())
    {
        groups
            .entry((f.file.as_path(), f.package.as_str(), f.version.as_str()))
            .or_default()
            .push(f);
    }
    let mut plan = FixPlan::default();
    for ((file, package, from), findings) in groups {
        let (fixable, stuck): (Vec<&Finding>, Vec<&Finding>) =
            findings.iter().partition(|f| f.upgrade.is_some());
        if !stuck.is_empty() {
            plan.unfixable.push(Unfixable {
                file: file.to_path_buf(),
                package: package.to_string(),
                version: from.to_string(),
                ids: stuck.iter().map(|f| f.id.clone()).collect(),
                reason: if stuck.iter().all(|f| f.fixed.is_empty()) {
                    "no fixed version is published".into()
                } else {
                    "every published fix is on an older line or still affected by another record"
                        .into()
                },
            });
        }
        let Some(first) = fixable.first() else {
            continue;
        };
        let eco = first.ecosystem;
        let to = fixable
            .iter()
            .filter_map(|f| f.upgrade.clone())
            .max_by(|a, b| crate::version::compare(eco, a, b).unwrap_or(std::cmp::Ordering::Equal))
            .unwrap_or_default();
        let target = Target {
            file,
            ecosystem: eco,
            package,
            from,
            to,
            line: first.line,
            path: &first.path,
            approximate: first.approximate,
            clears: fixable.iter().map(|f| f.id.clone()).collect(),
        };
        match Kind::detect(file) {
            Some(kind) => steps::propose(kind, &target, &mut plan),
            None => plan.unfixable.push(Unfixable {
                file: file.to_path_buf(),
                package: package.to_string(),
                version: from.to_string(),
                ids: target.clears.clone(),
                reason: "the file's format is not known".into(),
            }),
        }
    }
    plan.edits
        .sort_by(|a, b| (&a.path, a.line).cmp(&(&b.path, b.line)));
    plan.edits
        .dedup_by(|a, b| a.path == b.path && a.line == b.line);
    plan
}

impl FixPlan {
    /// True when nothing is proposed.
    pub fn is_empty(&self) -> bool {
        self.edits.is_empty() && self.steps.is_empty() && self.unfixable.is_empty()
    }

    /// The edits as a unified diff (`git apply` and `patch -p1` read it),
    /// paths as given, three lines of context. Files are read again; an edit
    /// whose line changed since the plan was made is left out and named.
    pub fn diff(&self) -> (String, Vec<String>) {
        edit::unified_diff(&self.edits)
    }

    /// For a person: the edits, the steps and what cannot be fixed.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for e in &self.edits {
            let _ = writeln!(
                out,
                "edit {}:{}: {} {} → {} (clears {})",
                e.path.display(),
                e.line,
                e.package,
                e.from,
                e.to,
                e.clears.join(", ")
            );
            let _ = writeln!(out, "  - {}", e.before.trim());
            let _ = writeln!(out, "  + {}", e.after.trim());
        }
        for s in &self.steps {
            let _ = writeln!(
                out,
                "run  {}: {} {} → {} (clears {})",
                s.file.display(),
                s.package,
                s.from,
                s.to,
                s.clears.join(", ")
            );
            let _ = writeln!(out, "  {}", s.action);
            let _ = writeln!(out, "  ({})", s.why);
        }
        for u in &self.unfixable {
            let _ = writeln!(
                out,
                "none {}: {} {} ({}): {}",
                u.file.display(),
                u.package,
                u.version,
                u.ids.join(", "),
                u.reason
            );
        }
        let _ = writeln!(
            out,
            "{} edit{}, {} step{}, {} not fixable by an upgrade",
            self.edits.len(),
            if self.edits.len() == 1 { "" } else { "s" },
            self.steps.len(),
            if self.steps.len() == 1 { "" } else { "s" },
            self.unfixable.len()
        );
        out
    }
}
