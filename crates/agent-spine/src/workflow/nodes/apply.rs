//! `apply`: a generated patch applied to the repository after agent-immune
//! scanned what it does to the dependency manifests. A patch that leaves
//! the repository (absolute paths, `..`, symlinks, `.git/`) is refused and
//! nothing is written. A patch that adds a blocking finding (or leaves a
//! manifest unparsable) puts the node on `security_hold`: nothing is
//! written unless a human overrides the hold for exactly this patch (its
//! SHA-256), and the override names the findings it accepts.

use autonomic_core::audit::sha256_hex;
use serde_json::json;

use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::approval::RequestFields;
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
    let mut overridden = false;
    if scanned.blocking > 0 || scanned.verdict.is_hold() {
        let holds: Vec<String> = scanned
            .verdict
            .holds
            .iter()
            .map(ToString::to_string)
            .collect();
        let sha = sha256_hex(&text);
        if job.approved_sha256.as_deref() != Some(sha.as_str()) {
            return Outcome::Hold {
                fields: hold_request(job, services, holds, sha),
            };
        }
        overridden = true;
        report(
            EventKind::Decision,
            json!({"layer": "spine", "decision": "allow", "rule_ids": ["spine.override"],
                   "summary": "applied over agent-immune's hold: a human overrode it for exactly this patch",
                   "overridden": holds}),
        );
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
                ("overridden", overridden.to_string()),
            ]),
            route: None,
        },
        Err(e) => refused(format!("the patch does not apply: {e}")),
    }
}

/// The request to override a patch's hold: the findings are its reasons,
/// the patch's SHA-256 what an approval is for.
fn hold_request(job: &Job, services: &Services, holds: Vec<String>, sha: String) -> RequestFields {
    RequestFields {
        workflow: job.workflow.name.clone(),
        run: job.run.to_string(),
        node: Some(job.node.id.clone()),
        action: format!(
            "apply the patch of `{}` although agent-immune holds it (patch SHA-256 {})",
            job.node.id,
            &sha[..16]
        ),
        risk: "critical".into(),
        sandbox: "—".into(),
        dependencies: vec!["agent-immune".into()],
        reasons: holds,
        expires_in_minutes: services.config.mouth.slack_approval_timeout_minutes,
        command_sha256: Some(sha),
    }
}
