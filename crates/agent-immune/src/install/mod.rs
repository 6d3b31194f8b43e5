//! Package installs on a command line, checked before they run.
//!
//! [`parse`] reads one program invocation (an argv, as agent-mouth extracts
//! it) and returns what it would add to the machine: registry packages with
//! their pin, or a URL, a git repository, an archive, a foreign index.
//! [`check`] decides each against the offline database:
//!
//! - a pinned registry package is scanned like a lockfile entry; a blocking
//!   finding denies;
//! - an unpinned one resolves, when it runs, to whatever the registry serves
//!   then: it is scanned as the newest version there could be, so an
//!   advisory nobody has fixed (every malicious-package record) still denies;
//! - what the database cannot vouch for — a URL, a tarball or wheel, a git
//!   repository, another registry or index, an ecosystem it does not cover,
//!   a name one edit or one look-alike character away from a popular
//!   package, no database at all — is `review`, with the reason.
//!
//! Pure apart from database lookups and reading a requirements file named
//! with `-r`; nothing is downloaded.

mod lookalike;
mod parse;

use std::path::{Path, PathBuf};

use autonomic_core::audit::{sha256_hex, shown, Actor, AuditEvent, Kind};
use autonomic_core::Decision;
use serde::{Deserialize, Serialize};

use crate::osv::Database;
use crate::scan::{scan_packages, Finding, ScanOptions};
use crate::types::{Ecosystem, Package};

pub use lookalike::lookalike_of;
pub use parse::parse;

/// One thing an install command would add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Install {
    /// The package manager and verb as typed, e.g. `pip install`, `npm i`.
    pub tool: String,
    /// The ecosystem, when the offline database covers it.
    pub ecosystem: Option<Ecosystem>,
    /// The argument as written.
    pub spec: String,
    /// What it names.
    pub target: Target,
    /// A registry or index other than the ecosystem's default, when one was
    /// named (`--index-url`, `--registry`, `--index`).
    pub index: Option<String>,
}

/// What an install argument names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "what", rename_all = "snake_case")]
pub enum Target {
    /// A package from a registry.
    Registry {
        /// Its name.
        name: String,
        /// The exact version, when pinned.
        version: Option<String>,
        /// The requirement as written, when not an exact pin.
        requirement: Option<String>,
    },
    /// An archive or package downloaded from a URL.
    Url(String),
    /// A git repository.
    Git(String),
    /// A local archive (`.whl`, `.tgz`, `.crate`, …): built elsewhere.
    Archive(String),
    /// A local source directory (`.`, `./pkg`): code already on this machine.
    Directory(String),
    /// A requirements file (`pip install -r FILE`).
    Requirements(String),
}

/// The decision on one install, with its reasons.
#[derive(Debug, Clone, Serialize)]
pub struct InstallCheck {
    /// The install.
    pub install: Install,
    /// allow, review (cannot be vouched for offline) or deny (a blocking finding).
    pub decision: Decision,
    /// Why, one line each (empty when allowed without remark).
    pub reasons: Vec<String>,
    /// Advisories that match.
    pub findings: Vec<Finding>,
}

/// Checks one install against `db` (`Err` says why there is no usable
/// database: nothing from a registry can then be vouched for). `cwd`
/// anchors a requirements file.
pub fn check(
    db: Result<&Database, &str>,
    install: &Install,
    opts: &ScanOptions,
    cwd: &Path,
) -> InstallCheck {
    let mut out = InstallCheck {
        install: install.clone(),
        decision: Decision::Allow,
        reasons: Vec::new(),
        findings: Vec::new(),
    };
    let review = |out: &mut InstallCheck, why: String| {
        out.decision = out.decision.max(Decision::Review);
        out.reasons.push(why);
    };
    if let Some(index) = &install.index {
        review(
            &mut out,
            format!("installs from `{index}`, not the ecosystem's default registry: the offline database cannot vouch for what it serves"),
        );
    }
    let packages = match &install.target {
        Target::Url(url) => {
            review(&mut out, format!("installs from the URL `{url}`: the offline database cannot vouch for a download"));
            Vec::new()
        }
        Target::Git(repo) => {
            review(&mut out, format!("installs from the git repository `{repo}`: no advisory database covers an arbitrary commit"));
            Vec::new()
        }
        Target::Archive(path) => {
            review(&mut out, format!("installs the local archive `{path}`: built elsewhere, its contents cannot be checked offline"));
            Vec::new()
        }
        Target::Directory(_) => Vec::new(),
        Target::Requirements(file) => match requirements(install, file, cwd) {
            Ok(pkgs) => pkgs,
            Err(why) => {
                review(&mut out, why);
                Vec::new()
            }
        },
        Target::Registry { name, version, .. } => {
            let Some(eco) = install.ecosystem else {
                review(
                    &mut out,
                    format!(
                        "`{}` installs from an ecosystem the offline database does not cover",
                        install.tool
                    ),
                );
                return out;
            };
            if let Some(popular) = lookalike_of(eco, name) {
                review(&mut out, format!("`{name}` looks like the popular {eco} package `{popular}`: a typo, or a typosquat"));
            }
            vec![registry_package(eco, name, version.as_deref())]
        }
    };
    if packages.is_empty() {
        return out;
    }
    let db = match db {
        Ok(db) => db,
        Err(why) => {
            review(
                &mut out,
                format!("no usable OSV database to check it against ({why})"),
            );
            return out;
        }
    };
    match scan_packages(db, Vec::new(), &packages, opts) {
        Ok(report) => {
            if report.decision == Decision::Deny {
                out.decision = Decision::Deny;
            }
            for f in report.blocking() {
                let what = if f.approximate {
                    format!(
                        "{} (unpinned: whatever version the registry serves)",
                        f.package
                    )
                } else {
                    format!("{} {}", f.package, f.version)
                };
                let unfixed = if f.approximate {
                    ", with no fixed version"
                } else {
                    ""
                };
                out.reasons
                    .push(format!("{what} has {} ({}){unfixed}", f.id, f.gated_as));
            }
            out.findings = report.findings;
        }
        Err(e) => review(&mut out, format!("the OSV database could not be read: {e}")),
    }
    out
}

/// The version an unpinned install is checked as: newer than any release,
/// so only advisories with no fixed version (malicious packages among them)
/// match — those affect whatever the registry serves when the command runs.
const NEWEST: &str = "999999.0.0";

fn registry_package(eco: Ecosystem, name: &str, version: Option<&str>) -> Package {
    let (version, approximate) = match version {
        Some(v) => (v.to_owned(), false),
        None if eco == Ecosystem::PyPI => ("999999".to_owned(), true),
        None => (NEWEST.to_owned(), true),
    };
    Package {
        ecosystem: eco,
        name: name.to_owned(),
        version,
        approximate,
        requirement: approximate.then(|| "unpinned: the newest version".to_owned()),
        source: PathBuf::from("<command line>"),
        line: None,
    }
}

fn requirements(install: &Install, file: &str, cwd: &Path) -> Result<Vec<Package>, String> {
    let path = cwd.join(file);
    let text = fs_err::read_to_string(&path)
        .map_err(|e| format!("cannot read the requirements file `{file}` to check it: {e}"))?;
    let mut pkgs = crate::lockfile::parse(crate::lockfile::Kind::Requirements, &text, &path)
        .map_err(|e| format!("cannot check the requirements file `{file}`: {e}"))?;
    if install.ecosystem != Some(Ecosystem::PyPI) {
        return Err(format!("`{file}` is not a requirements file of pip"));
    }
    // An unpinned requirement installs the newest version.
    for p in &mut pkgs {
        if p.approximate && p.requirement.as_deref().is_none_or(|r| r.trim().is_empty()) {
            p.version = "999999".to_owned();
        }
    }
    Ok(pkgs)
}

impl InstallCheck {
    /// `immune.install`: the install, the decision's reasons and the
    /// matching advisories, with the command it came from (cut at 4096
    /// characters) and the command's SHA-256.
    pub fn audit_event(&self, command: &str, actor: &Actor) -> AuditEvent {
        AuditEvent::new(
            Kind::ImmuneInstall,
            actor,
            Some(self.decision),
            serde_json::json!({
                "command": shown(command),
                "command_sha256": sha256_hex(command),
                "install": self.install,
                "reasons": self.reasons,
                "findings": self.findings.iter().map(|f| serde_json::json!({
                    "id": f.id, "package": f.package, "version": f.version,
                    "severity": f.gated_as, "blocking": f.blocking,
                })).collect::<Vec<_>>(),
            }),
        )
    }
}

/// The strictest decision over `checks` (allow when there are none).
pub fn decision(checks: &[InstallCheck]) -> Decision {
    checks
        .iter()
        .map(|c| c.decision)
        .max()
        .unwrap_or(Decision::Allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_target_serializes_and_round_trips() {
        for target in [
            Target::Registry {
                name: "x".into(),
                version: Some("1".into()),
                requirement: None,
            },
            Target::Url("https://x".into()),
            Target::Git("git+https://x".into()),
            Target::Archive("a.whl".into()),
            Target::Directory(".".into()),
            Target::Requirements("r.txt".into()),
        ] {
            let text = serde_json::to_string(&target).unwrap();
            assert_eq!(
                serde_json::from_str::<Target>(&text).unwrap(),
                target,
                "{text}"
            );
        }
    }
}
