//! The scan: packages in, findings and a verdict out. Pure apart from the
//! database lookups (no network, no writes).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::{Path, PathBuf};

use autonomic_core::{Decision, Severity};
use serde::{Deserialize, Serialize};
use time::Date;

use crate::ignore::{IgnoreEntry, IgnoreList, IgnoreStatus};
use crate::matching::{match_affected, MatchResult};
use crate::osv::{Database, DbError, IndexedVuln};
use crate::reachability::{GoImports, Reachability};
use crate::severity::{score, ScoreSource};
use crate::types::{Ecosystem, Package};
use crate::version::normalize_name;

/// How findings gate.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Lowest severity that blocks; `None` never blocks.
    pub fail_on: Option<Severity>,
    /// What a finding with no score and no label gates as.
    pub unknown_as: Severity,
    /// Whether informational advisories (unmaintained, unsound, notice) gate.
    pub gate_informational: bool,
    /// Whether a match that cannot be decided (the version is unreadable)
    /// gates as if affected: a hostile or broken version string must not
    /// make a vulnerable package pass.
    pub block_undecided: bool,
    /// Ignore list.
    pub ignores: IgnoreList,
    /// Today, for ignore expiry.
    pub today: Date,
    /// What each Go module's code imports, keyed by the `go.mod` (or
    /// `go.sum`) its packages came from ([`crate::reachability::go_imports`]);
    /// a Go finding from a file not listed has no reachability.
    pub go_imports: BTreeMap<PathBuf, GoImports>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            fail_on: Some(Severity::High),
            unknown_as: Severity::High,
            gate_informational: false,
            block_undecided: true,
            ignores: IgnoreList::default(),
            today: time::OffsetDateTime::now_utc().date(),
            go_imports: BTreeMap::new(),
        }
    }
}

/// One vulnerability (all its aliases merged) in one package version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// The id shown first: the CVE when there is one, else the record id.
    pub id: String,
    /// Every other id for the same vulnerability (record ids and aliases).
    pub other_ids: Vec<String>,
    /// The OSV record ids that matched (e.g. the RustSec id).
    pub record_ids: Vec<String>,
    /// Ecosystem.
    pub ecosystem: Ecosystem,
    /// Package name as written in the scanned file.
    pub package: String,
    /// Version scanned.
    pub version: String,
    /// True when the version came from a range, not a lockfile pin.
    pub approximate: bool,
    /// File and line the package came from.
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Severity from CVSS or the record's label (UNKNOWN when neither).
    pub severity: Severity,
    /// CVSS base score, when computed.
    pub score: Option<f64>,
    /// The vector the score came from.
    pub vector: Option<String>,
    /// Where `severity` came from (`cvss_v4`, `cvss_v3`, `label` or `none`).
    pub score_source: ScoreSource,
    /// Severity used for gating (`severity`, or the UNKNOWN policy's).
    pub gated_as: Severity,
    /// One-line summary.
    pub summary: Option<String>,
    /// Versions that fix it.
    pub fixed: Vec<String>,
    /// The smallest published version above this one that none of the
    /// vulnerability's records affects: the upgrade that clears it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<String>,
    /// How the package got into the build, from the lockfile's own graph:
    /// `name version` labels, the project first, the package last (the
    /// second is the direct dependency to change). Empty when the format
    /// has no graph.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<String>,
    /// RustSec informational kind (`unmaintained`, `unsound`, `notice`): a warning.
    pub informational: Option<String>,
    /// At or above the threshold and not ignored.
    pub blocking: bool,
    /// Set when the version could not be compared with the record's ranges
    /// (why): the finding stands for "may be affected", and gates as
    /// affected unless `[immune] block_undecided = false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
    /// Whether the project's code imports a package the records name as
    /// vulnerable (Go records list them); `None` when the records name none
    /// or the project's source was not available. A label only: it never
    /// hides a finding or changes `blocking`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reachable: Option<Reachability>,
    /// The ignore entry hiding it.
    pub ignored: Option<IgnoreEntry>,
    /// An expired ignore entry that no longer hides it.
    pub ignore_expired: Option<IgnoreEntry>,
}

impl Finding {
    /// Every id: shown id, others and record ids.
    pub fn all_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = std::iter::once(self.id.clone())
            .chain(self.other_ids.iter().cloned())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// The result of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanReport {
    /// Files scanned.
    pub files: Vec<PathBuf>,
    /// Packages checked.
    pub packages_scanned: usize,
    /// Approximate packages among them.
    pub approximate_packages: usize,
    /// Findings, most severe first.
    pub findings: Vec<Finding>,
    /// Matches that could not be decided (unparsable versions), with reasons.
    pub undecided: Vec<String>,
    /// The verdict for agent-spine's Gate: deny = security_hold.
    pub decision: Decision,
    /// Threshold used.
    pub fail_on: Option<Severity>,
    /// UNKNOWN policy used.
    pub unknown_as: Severity,
}

impl ScanReport {
    /// Findings that block.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.blocking)
    }
}

/// Scans packages against the database.
pub fn scan_packages(
    db: &Database,
    files: Vec<PathBuf>,
    packages: &[Package],
    opts: &ScanOptions,
) -> Result<ScanReport, DbError> {
    let mut findings = Vec::new();
    let mut undecided = Vec::new();
    let mut seen: HashSet<(Ecosystem, &str, &str, &Path)> = HashSet::with_capacity(packages.len());
    for pkg in packages {
        if !seen.insert((pkg.ecosystem, &pkg.name, &pkg.version, &pkg.source)) {
            continue;
        }
        let name = normalize_name(pkg.ecosystem, &pkg.name);
        let vulns = db.lookup(pkg.ecosystem, &name)?;
        let mut matched: Vec<(&IndexedVuln, Vec<String>)> = Vec::new();
        let mut unknown: Vec<(&IndexedVuln, String)> = Vec::new();
        for v in vulns {
            match match_affected(pkg.ecosystem, &v.affected, &pkg.version) {
                MatchResult::Affected { fixed, .. } => matched.push((v, fixed)),
                MatchResult::NotAffected => {}
                MatchResult::Unknown { reason } => {
                    undecided.push(format!("{} {} {}: {reason}", pkg.name, pkg.version, v.id));
                    unknown.push((v, reason));
                }
            }
        }
        for group in merge_aliases(&matched) {
            findings.push(finding(pkg, &group, opts));
        }
        // Undecided matches are findings too ("may be affected"), one per
        // record not already found affected under another id.
        for (v, reason) in unknown {
            let known = findings.iter().any(|f| {
                f.package == pkg.name && f.version == pkg.version && f.all_ids().contains(&v.id)
            });
            if known {
                continue;
            }
            let mut f = finding(pkg, &[(v, Vec::new())], opts);
            f.undecided = Some(reason);
            f.blocking &= opts.block_undecided;
            findings.push(f);
        }
    }
    findings.sort_by(|a, b| {
        (
            b.informational.is_none(),
            b.gated_as,
            &a.package,
            &a.version,
            &a.id,
        )
            .cmp(&(
                a.informational.is_none(),
                a.gated_as,
                &b.package,
                &b.version,
                &b.id,
            ))
    });
    let decision = if findings.iter().any(|f| f.blocking) {
        Decision::Deny
    } else {
        Decision::Allow
    };
    Ok(ScanReport {
        files,
        packages_scanned: seen.len(),
        approximate_packages: packages.iter().filter(|p| p.approximate).count(),
        findings,
        undecided,
        decision,
        fail_on: opts.fail_on,
        unknown_as: opts.unknown_as,
    })
}

/// A matched record and the versions that fix it.
type Matched<'a> = (&'a IndexedVuln, Vec<String>);

/// Groups matched records that share an id or alias, so one vulnerability
/// published by several databases is reported once.
fn merge_aliases<'a>(
    matched: &[(&'a IndexedVuln, Vec<String>)],
) -> Vec<Vec<(&'a IndexedVuln, Vec<String>)>> {
    let mut groups: Vec<(BTreeSet<String>, Vec<Matched<'a>>)> = Vec::new();
    for (v, fixed) in matched {
        let ids: BTreeSet<String> = std::iter::once(v.id.clone())
            .chain(v.aliases.iter().cloned())
            .collect();
        let hits: Vec<usize> = groups
            .iter()
            .enumerate()
            .filter(|(_, g)| !g.0.is_disjoint(&ids))
            .map(|(i, _)| i)
            .collect();
        let mut merged = (ids, vec![(*v, fixed.clone())]);
        for i in hits.into_iter().rev() {
            let g = groups.remove(i);
            merged.0.extend(g.0);
            merged.1.extend(g.1);
        }
        groups.push(merged);
    }
    groups.into_iter().map(|g| g.1).collect()
}

fn finding(pkg: &Package, group: &[(&IndexedVuln, Vec<String>)], opts: &ScanOptions) -> Finding {
    let mut ids: BTreeSet<String> = BTreeSet::new();
    let mut record_ids: Vec<String> = Vec::new();
    let mut fixed: BTreeSet<String> = BTreeSet::new();
    let mut best = None;
    let mut summary = None;
    let mut informational = None;
    for (v, f) in group {
        ids.insert(v.id.clone());
        ids.extend(v.aliases.iter().cloned());
        record_ids.push(v.id.clone());
        fixed.extend(f.iter().cloned());
        let s = score(&v.severity, v.severity_label.as_deref());
        let rank = (s.severity, s.score.map(|x| (x * 10.0) as i64));
        if best.as_ref().is_none_or(|(r, _)| rank > *r) {
            best = Some((rank, s));
        }
        if summary.is_none() {
            summary = v.summary.clone();
        }
        if informational.is_none() {
            informational = v.informational.clone();
        }
    }
    // An informational record merged with a real one is a vulnerability.
    if group.iter().any(|(v, _)| v.informational.is_none()) {
        informational = None;
    }
    record_ids.sort();
    record_ids.dedup();
    let id = ids
        .iter()
        .find(|i| i.starts_with("CVE-"))
        .cloned()
        .unwrap_or_else(|| record_ids[0].clone());
    let other_ids: Vec<String> = ids.iter().filter(|i| **i != id).cloned().collect();
    let scored = best.map(|b| b.1);
    let (severity, score_v, vector, source) = match scored {
        Some(s) => (s.severity, s.score, s.vector, s.source),
        None => (Severity::Unknown, None, None, ScoreSource::None),
    };
    let gated_as = if severity == Severity::Unknown {
        opts.unknown_as
    } else {
        severity
    };
    let all: Vec<String> = ids.iter().cloned().collect();
    let (ignored, ignore_expired) = match opts.ignores.check(&all, &pkg.name, opts.today) {
        IgnoreStatus::NotIgnored => (None, None),
        IgnoreStatus::Ignored(e) => (Some(e), None),
        IgnoreStatus::Expired(e) => (None, Some(e)),
    };
    let gates = informational.is_none() || opts.gate_informational;
    let blocking = gates && ignored.is_none() && opts.fail_on.is_some_and(|t| gated_as >= t);
    Finding {
        id,
        other_ids,
        record_ids,
        ecosystem: pkg.ecosystem,
        package: pkg.name.clone(),
        version: pkg.version.clone(),
        approximate: pkg.approximate,
        file: pkg.source.clone(),
        line: pkg.line,
        severity,
        score: score_v,
        vector,
        score_source: source,
        gated_as,
        summary,
        upgrade: smallest_upgrade(pkg, group, &fixed),
        fixed: fixed.into_iter().collect(),
        path: Vec::new(),
        informational,
        blocking,
        undecided: None,
        reachable: reachability(pkg, group, opts),
        ignored,
        ignore_expired,
    }
}

/// The reachability of `group` in `pkg`'s project, when its records name
/// vulnerable packages and the project's imports are known.
fn reachability(pkg: &Package, group: &[Matched<'_>], opts: &ScanOptions) -> Option<Reachability> {
    let imports = opts.go_imports.get(&pkg.source)?;
    let mut vulnerable: Vec<String> = group
        .iter()
        .flat_map(|(v, _)| v.imports.iter().cloned())
        .collect();
    vulnerable.sort();
    vulnerable.dedup();
    imports.reachability(&pkg.name, &vulnerable)
}

/// The smallest fixed version above `pkg`'s that no record of `group`
/// affects (a fix on an older line, `0.7.4` for `0.8.0`, is not one).
fn smallest_upgrade(
    pkg: &Package,
    group: &[Matched<'_>],
    fixed: &BTreeSet<String>,
) -> Option<String> {
    use std::cmp::Ordering;
    let mut above: Vec<&String> = fixed
        .iter()
        .filter(|f| {
            crate::version::compare(pkg.ecosystem, f, &pkg.version) == Some(Ordering::Greater)
        })
        .collect();
    above.sort_by(|a, b| crate::version::compare(pkg.ecosystem, a, b).unwrap_or(Ordering::Equal));
    above
        .into_iter()
        .find(|candidate| {
            group.iter().all(|(v, _)| {
                matches!(
                    match_affected(pkg.ecosystem, &v.affected, candidate),
                    MatchResult::NotAffected
                )
            })
        })
        .cloned()
}

/// Counts of findings by severity (for summaries).
pub fn counts(report: &ScanReport) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for f in report.findings.iter().filter(|f| f.ignored.is_none()) {
        let key = if f.informational.is_some() {
            "warnings"
        } else {
            f.severity.as_str()
        };
        *m.entry(key).or_insert(0) += 1;
    }
    m
}
