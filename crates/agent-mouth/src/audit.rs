//! The audit record of a rejection, built beside [`Verdict`]: `mouth.deny`
//! or `mouth.review`, with the command (cut at 4096 characters), its hash and
//! every finding with its rule id and span.

use autonomic_core::audit::{Actor, AuditEvent, Kind};
use autonomic_core::Decision;
use serde_json::json;
use sha2::Digest as _;

use crate::{Lang, Verdict};

/// Sources longer than this (in characters) are stored cut; the hash is of
/// the whole.
const MAX_STORED_CHARS: usize = 4096;

impl Verdict {
    /// The audit event for this verdict on `source` (a rejection: meant for
    /// `deny` and `review`; an `allow` is recorded as a review kind's sibling
    /// by nobody — callers audit runs, not allows).
    pub fn audit_event(&self, lang: Lang, source: &str, actor: &Actor) -> AuditEvent {
        let shown: String = source.chars().take(MAX_STORED_CHARS).collect();
        let findings: Vec<serde_json::Value> = self
            .findings
            .iter()
            .map(|f| {
                json!({
                    "rule_id": f.rule_id,
                    "decision": f.decision,
                    "message": f.message,
                    "line": f.span.line,
                    "col": f.span.col,
                    "start": f.span.start,
                    "end": f.span.end,
                })
            })
            .collect();
        let kind = match self.decision {
            Decision::Deny => Kind::MouthDeny,
            _ => Kind::MouthReview,
        };
        let digest = sha2::Sha256::digest(source.as_bytes());
        AuditEvent::new(
            kind,
            actor,
            Some(self.decision),
            json!({
                "lang": lang,
                "command": shown,
                "command_truncated": source.chars().count() > MAX_STORED_CHARS,
                "command_sha256": digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
                "findings": findings,
            }),
        )
    }
}
