//! The audit records of one run, built beside [`ExecResult`]: `muscle.exec`
//! for every run, then `muscle.violation`, `muscle.traps` and
//! `muscle.egress` when the run had them. The caller appends them.

use std::path::Path;

use autonomic_core::audit::{sha256_hex, Actor, AuditEvent, Kind, MAX_SHOWN_CHARS};
use autonomic_core::{Decision, SandboxLevel};
use serde_json::json;

use super::egress::HostRule;
use super::{ExecResult, Exit};

/// What was run, as the audit log names it.
#[derive(Debug, Clone, Copy)]
pub struct RunRecord<'a> {
    /// The argv handed to the executor.
    pub argv: &'a [String],
    /// The level it ran at.
    pub level: SandboxLevel,
    /// The syscall profile (seccomp level).
    pub profile: Option<&'a str>,
    /// Its working directory.
    pub workspace: &'a Path,
    /// Destinations granted to the egress proxy.
    pub grants: &'a [HostRule],
}

impl Exit {
    /// The shell's exit status for this end: the code, or 128 + the signal.
    pub fn shell_code(&self) -> u8 {
        match self {
            Exit::Code(c) => (*c).clamp(0, 255) as u8,
            Exit::Signal { number, .. } => (128 + (*number).clamp(0, 127)) as u8,
        }
    }
}

impl ExecResult {
    /// The audit events of this run (see the module docs).
    pub fn audit_events(&self, run: &RunRecord<'_>, actor: &Actor) -> Vec<AuditEvent> {
        let joined = run.argv.join(" ");
        // All words together at most MAX_SHOWN_CHARS; the hash is of the whole.
        let mut budget = MAX_SHOWN_CHARS;
        let argv: Vec<String> = run
            .argv
            .iter()
            .map(|a| {
                let cut: String = a.chars().take(budget).collect();
                budget = budget.saturating_sub(cut.chars().count());
                cut
            })
            .collect();
        let command = json!({
            "argv": argv,
            "argv_truncated": joined.chars().count() > MAX_SHOWN_CHARS,
            "argv_sha256": sha256_hex(&joined),
        });
        let mut events = vec![AuditEvent::new(
            Kind::MuscleExec,
            actor,
            None,
            json!({
                "command": command,
                "level": run.level,
                "profile": run.profile,
                "workspace": run.workspace,
                "exit": self.status.shell_code(),
                "status": self.status.to_string(),
                "wall_ms": self.wall.as_millis() as u64,
                "cpu_ms": self.cpu.as_millis() as u64,
                "peak_memory_bytes": self.peak_memory_bytes,
                "violation": self.violation.as_ref().map(ToString::to_string),
            }),
        )];
        if let Some(v) = &self.violation {
            events.push(AuditEvent::new(
                Kind::MuscleViolation,
                actor,
                Some(Decision::Deny),
                json!({
                    "level": run.level,
                    "command": command,
                    "violation": v.to_string(),
                    "status": self.status.to_string(),
                    "wall_ms": self.wall.as_millis() as u64,
                }),
            ));
        }
        if !self.traps.is_empty() {
            events.push(AuditEvent::new(
                Kind::MuscleTraps,
                actor,
                Some(Decision::Deny),
                json!({
                    "level": run.level,
                    "command": command,
                    "workspace": run.workspace,
                    "traps": self.traps,
                }),
            ));
        }
        if !self.egress.is_empty() {
            let refused = self.egress.iter().any(|e| !e.allowed);
            events.push(AuditEvent::new(
                Kind::MuscleEgress,
                actor,
                Some(if refused {
                    Decision::Deny
                } else {
                    Decision::Allow
                }),
                json!({
                    "level": run.level,
                    "command": command,
                    "grant": run.grants.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "connections": self.egress,
                }),
            ));
        }
        events
    }
}
