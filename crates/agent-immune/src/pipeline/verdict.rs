//! What a scan decided, as data: the report, the warnings to show beside
//! it and the reasons for a hold. Nothing here prints; callers render.

use std::fmt;

use autonomic_core::Decision;
use serde::{Deserialize, Serialize};

use crate::lockfile::LockfileNote;
use crate::patch::PatchDelta;
use crate::scan::ScanReport;

/// Something the user should know that does not change the decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ScanWarning {
    /// The OSV database is older than `[immune] max_db_age_days`.
    StaleDatabase {
        /// Whole days since the oldest ecosystem index was built.
        age_days: i64,
        /// The configured limit.
        limit_days: i64,
    },
    /// A parser had to assume something about a file ([`LockfileNote`]).
    Lockfile(LockfileNote),
}

impl fmt::Display for ScanWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanWarning::StaleDatabase {
                age_days,
                limit_days,
            } => write!(
                f,
                "the OSV database is {age_days} days old (limit {limit_days}, `[immune] max_db_age_days`); run `agent-immune db update`"
            ),
            ScanWarning::Lockfile(note) => note.fmt(f),
        }
    }
}

/// Why a verdict is `security_hold`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Hold {
    /// A finding at or above the threshold that no ignore entry hides.
    Finding {
        /// Package name as written in the scanned file.
        package: String,
        /// Version scanned.
        version: String,
        /// The finding's shown id.
        id: String,
    },
    /// A manifest or lockfile the patch leaves unparsable: the change cannot
    /// be checked, so it does not pass.
    UnparsableManifest {
        /// `path:line: message`.
        error: String,
    },
}

impl fmt::Display for Hold {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hold::Finding {
                package,
                version,
                id,
            } => write!(
                f,
                "{package} {} {id}",
                crate::report::shown_version(version)
            ),
            Hold::UnparsableManifest { error } => {
                write!(f, "the patch leaves a manifest unparsable: {error}")
            }
        }
    }
}

/// The outcome of a scan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScanVerdict {
    /// Findings, counts and the gate's decision on them.
    pub report: ScanReport,
    /// Shown beside the report; they do not change the decision.
    pub warnings: Vec<ScanWarning>,
    /// Why the verdict is `security_hold`; empty when it passes.
    pub holds: Vec<Hold>,
}

impl ScanVerdict {
    /// `Deny` (agent-spine's `security_hold`) when anything holds, else `Allow`.
    pub fn decision(&self) -> Decision {
        if self.holds.is_empty() {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }

    /// True when the verdict is `security_hold`.
    pub fn is_hold(&self) -> bool {
        !self.holds.is_empty()
    }
}

/// The outcome of a patch scan: the verdict on what the patch introduces,
/// and what it changes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchVerdict {
    /// The scan of the introduced package versions; its holds include every
    /// manifest the patch leaves unparsable.
    pub verdict: ScanVerdict,
    /// The manifests touched, the versions introduced and the broken files.
    pub delta: PatchDelta,
}

/// The holds of a report: its blocking findings.
pub(super) fn finding_holds(report: &ScanReport) -> Vec<Hold> {
    report
        .blocking()
        .map(|f| Hold::Finding {
            package: f.package.clone(),
            version: f.version.clone(),
            id: f.id.clone(),
        })
        .collect()
}
