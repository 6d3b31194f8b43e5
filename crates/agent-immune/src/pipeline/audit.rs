//! The audit records of a scan, built beside its verdict: `immune.scan`
//! (the findings of a scan) and `immune.scan_patch` (a patch held).

use autonomic_core::audit::{Actor, AuditEvent, Kind};
use serde_json::json;

use super::{Hold, PatchVerdict, ScanVerdict};

impl ScanVerdict {
    /// The blocking findings, as the audit log lists them.
    pub fn blocking_holds(&self) -> Vec<String> {
        self.holds
            .iter()
            .filter(|h| matches!(h, Hold::Finding { .. }))
            .map(ToString::to_string)
            .collect()
    }

    /// `immune.scan`: the files, the package count, the blocking holds and
    /// every finding (`SEVERITY package version id`).
    pub fn audit_event(&self, actor: &Actor) -> AuditEvent {
        let report = &self.report;
        AuditEvent::new(
            Kind::ImmuneScan,
            actor,
            Some(report.decision),
            json!({
                "files": report.files,
                "packages_scanned": report.packages_scanned,
                "blocking": self.blocking_holds(),
                "findings": report
                    .findings
                    .iter()
                    .map(|f| format!("{} {} {} {}", f.gated_as, f.package, f.version, f.id))
                    .collect::<Vec<_>>(),
            }),
        )
    }
}

impl PatchVerdict {
    /// `immune.scan_patch`: the manifests touched, the broken ones and the
    /// blocking holds.
    pub fn audit_event(&self, actor: &Actor) -> AuditEvent {
        AuditEvent::new(
            Kind::ImmuneScanPatch,
            actor,
            Some(self.verdict.decision()),
            json!({
                "files": self.delta.files,
                "broken": self.delta.broken,
                "blocking": self.verdict.blocking_holds(),
            }),
        )
    }
}
