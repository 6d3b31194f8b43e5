//! The audit record of a rejection, built beside [`Verdict`]: `mouth.deny`
//! or `mouth.review`, with the command (cut at 4096 characters), its hash and
//! every finding with its rule id and span.

use autonomic_core::audit::{is_cut, sha256_hex, shown, Actor, AuditEvent, Kind};
use autonomic_core::Decision;
use serde_json::json;

use crate::{Lang, Verdict};

impl Verdict {
    /// The audit event for this verdict on `source` (a rejection: meant for
    /// `deny` and `review`; an `allow` is recorded as a review kind's sibling
    /// by nobody — callers audit runs, not allows).
    pub fn audit_event(&self, lang: Lang, source: &str, actor: &Actor) -> AuditEvent {
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
        AuditEvent::new(
            kind,
            actor,
            Some(self.decision),
            json!({
                "lang": lang,
                "command": shown(source),
                "command_truncated": is_cut(source),
                "command_sha256": sha256_hex(source),
                "findings": findings,
            }),
        )
    }
}
