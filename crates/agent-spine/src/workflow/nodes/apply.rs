//! `apply`: a generated patch applied to the repository after agent-immune
//! scanned what it does to the dependency manifests. A patch that leaves
//! the repository (absolute paths, `..`, symlinks, `.git/`) or adds a
//! blocking finding is refused and nothing is written.

use serde_json::json;

use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::event::EventKind;
use crate::workflow::model::NodeKind;
use crate::workflow::patch;

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Apply { patch: template } = &job.node.kind else {
        return failed("not an apply node");
    };
    let text = match job.render(template) {
        Ok(t) => t,
        Err(e) => return failed(e),
    };
    let refused = |why: String| {
        report(
            EventKind::Decision,
            json!({"layer": "spine", "decision": "deny", "rule_ids": ["spine.patch"], "summary": why}),
        );
        Outcome::Rejected {
            why: why.clone(),
            reasons: vec![format!("deny [spine.patch]: {why}")],
            outputs: Default::default(),
        }
    };
    let plan = match patch::plan(&job.repo, &text) {
        Ok(p) => p,
        Err(e) => return refused(format!("the patch is refused: {e}")),
    };
    let scanned = match patch::scan(&plan, &services.config, time::OffsetDateTime::now_utc()) {
        Ok(s) => s,
        Err(e) => return refused(format!("the patch cannot be scanned: {e}")),
    };
    services.audit(
        scanned
            .verdict
            .audit_event(&autonomic_core::audit::Actor::Workflow(job.run.to_string())),
    );
    let introduced: Vec<String> = scanned
        .delta
        .introduced
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect();
    report(
        EventKind::Decision,
        json!({"layer": "immune", "decision": scanned.verdict.decision(),
               "summary": format!("the patch adds {} package versions, {} blocking", introduced.len(), scanned.blocking),
               "introduced": introduced}),
    );
    if scanned.blocking > 0 || scanned.verdict.is_hold() {
        return refused(format!(
            "agent-immune holds the patch: {} blocking findings in what it adds",
            scanned.blocking.max(1)
        ));
    }
    match patch::apply(&job.repo, &text, &plan) {
        Ok(applied) => Outcome::Succeeded {
            outputs: outputs([
                (
                    "files",
                    applied
                        .files
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join("\n"),
                ),
                ("introduced", introduced.join("\n")),
            ]),
            route: None,
        },
        Err(e) => refused(format!("the patch does not apply: {e}")),
    }
}
