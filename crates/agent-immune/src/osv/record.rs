//! OSV schema 1.x record types (<https://ossf.github.io/osv-schema/>).
//! Unknown fields are ignored: the schema grows, and real data has junk.

use serde::{Deserialize, Serialize};

/// One vulnerability record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OsvRecord {
    /// `RUSTSEC-2021-0001`, `GHSA-…`, `PYSEC-…`.
    pub id: String,
    /// Schema version the record declares.
    #[serde(default)]
    pub schema_version: Option<String>,
    /// Last modification (RFC 3339).
    #[serde(default)]
    pub modified: Option<String>,
    /// Publication time.
    #[serde(default)]
    pub published: Option<String>,
    /// Set when the record was withdrawn: such records are ignored.
    #[serde(default)]
    pub withdrawn: Option<String>,
    /// Other ids for the same vulnerability (CVE-…, GHSA-…).
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Related but distinct vulnerabilities.
    #[serde(default)]
    pub related: Vec<String>,
    /// One-line summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Longer description (Markdown).
    #[serde(default)]
    pub details: Option<String>,
    /// Record-level severities.
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// Affected packages and versions.
    #[serde(default)]
    pub affected: Vec<Affected>,
    /// References (advisory, fix, report …).
    #[serde(default)]
    pub references: Vec<Reference>,
    /// Database-specific data (RustSec puts `informational` here or in
    /// `affected[].database_specific`; GHSA puts a `severity` label).
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// A severity entry: `{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OsvSeverity {
    /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The vector (or label).
    pub score: String,
}

/// One affected package with its ranges and explicit versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affected {
    /// The package.
    #[serde(default)]
    pub package: Option<AffectedPackage>,
    /// Per-package severities.
    #[serde(default)]
    pub severity: Vec<OsvSeverity>,
    /// Version ranges.
    #[serde(default)]
    pub ranges: Vec<Range>,
    /// Explicitly enumerated affected versions.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Ecosystem-specific data (RustSec: affected functions).
    #[serde(default)]
    pub ecosystem_specific: Option<serde_json::Value>,
    /// Database-specific data.
    #[serde(default)]
    pub database_specific: Option<serde_json::Value>,
}

/// Package identity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AffectedPackage {
    /// `crates.io`, `npm`, `PyPI`, `Go`, … (may carry a `:suffix`).
    pub ecosystem: String,
    /// Package name.
    pub name: String,
    /// Package URL, when given.
    #[serde(default)]
    pub purl: Option<String>,
}

/// A range of affected versions, as an ordered list of events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// How versions in `events` are ordered.
    #[serde(rename = "type")]
    pub kind: RangeType,
    /// Repository, for GIT ranges.
    #[serde(default)]
    pub repo: Option<String>,
    /// `introduced` / `fixed` / `last_affected` / `limit` events.
    #[serde(default)]
    pub events: Vec<Event>,
}

/// Range types.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum RangeType {
    /// SemVer 2.0 ordering.
    Semver,
    /// The ecosystem's own ordering.
    Ecosystem,
    /// Git commits: cannot be evaluated without the repository.
    Git,
    /// Anything else a future schema adds.
    #[serde(other)]
    Other,
}

/// One event. Exactly one field is set in a valid record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// First affected version (`"0"` = from the beginning).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub introduced: Option<String>,
    /// First fixed version (exclusive end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fixed: Option<String>,
    /// Last affected version (inclusive end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_affected: Option<String>,
    /// Upper limit on the range (exclusive), for branches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
}

/// A reference link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reference {
    /// `ADVISORY`, `FIX`, `WEB`, …
    #[serde(rename = "type", default)]
    pub kind: String,
    /// The URL.
    #[serde(default)]
    pub url: String,
}
