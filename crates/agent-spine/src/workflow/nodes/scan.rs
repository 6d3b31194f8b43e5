//! `scan`: agent-immune on the repository, or on a generated patch (what it
//! adds to the dependency graph) without applying it.

use agent_immune::pipeline::{self, ScanError, ScanRequest, ScanVerdict};
use autonomic_core::Severity;
use serde_json::json;

use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::event::EventKind;
use crate::workflow::model::{NodeKind, ScanTarget};
use crate::workflow::patch;

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Scan { target, recursive } = &job.node.kind else {
        return failed("not a scan node");
    };
    let now = time::OffsetDateTime::now_utc();
    let verdict = match target {
        ScanTarget::Repo => {
            let mut request = ScanRequest::new(vec![job.repo.clone()]);
            request.recursive = *recursive;
            match pipeline::scan(&request, &services.config.immune, now) {
                Ok(v) => v,
                Err(ScanError::NothingToScan { .. }) => {
                    report(
                        EventKind::Decision,
                        json!({"layer": "immune", "decision": "allow",
                               "summary": "no lockfile or manifest to scan"}),
                    );
                    return Outcome::Succeeded {
                        outputs: outputs([
                            ("findings", "0".into()),
                            ("blocking", "0".into()),
                            ("max_severity", "none".into()),
                            ("summary", "no lockfile or manifest to scan".into()),
                        ]),
                        route: None,
                    };
                }
                Err(e) => return failed(crate::workflow::dispatch::describe(&e)),
            }
        }
        ScanTarget::Patch(template) => {
            let text = match job.render(template) {
                Ok(t) => t,
                Err(e) => return failed(e),
            };
            let plan = match patch::plan(&job.repo, &text) {
                Ok(p) => p,
                Err(e) => {
                    return Outcome::Rejected {
                        why: format!("the patch is refused: {e}"),
                        reasons: vec![format!("deny [spine.patch]: {e}")],
                        outputs: Default::default(),
                    }
                }
            };
            match patch::scan(&plan, &services.config, now) {
                Ok(s) => s.verdict,
                Err(e) => return failed(e.to_string()),
            }
        }
    };
    services
        .audit(verdict.audit_event(&autonomic_core::audit::Actor::Workflow(job.run.to_string())));
    finish(job, &verdict, report)
}

fn finish(job: &Job, verdict: &ScanVerdict, report: &Report) -> Outcome {
    let r = &verdict.report;
    let blocking: Vec<String> = r
        .blocking()
        .map(|f| format!("{} {} {} ({})", f.gated_as, f.package, f.version, f.id))
        .collect();
    let max = r.findings.iter().map(|f| f.gated_as).max();
    let summary = format!(
        "{} packages in {} files: {} findings, {} blocking{}",
        r.packages_scanned,
        r.files.len(),
        r.findings.len(),
        blocking.len(),
        if verdict.holds.is_empty() {
            String::new()
        } else {
            format!(
                "; hold: {}",
                verdict
                    .holds
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
    );
    report(
        EventKind::Decision,
        json!({
            "layer": "immune",
            "decision": verdict.decision(),
            "rule_ids": r.findings.iter().map(|f| f.id.clone()).collect::<Vec<_>>(),
            "summary": summary,
            "blocking": blocking,
        }),
    );
    let hold = verdict.is_hold();
    let route = if hold {
        job.node.on_findings.clone()
    } else {
        None
    };
    Outcome::Succeeded {
        outputs: outputs([
            ("findings", r.findings.len().to_string()),
            (
                "blocking",
                if hold { blocking.len().max(1) } else { 0 }.to_string(),
            ),
            ("max_severity", severity_name(max)),
            ("summary", summary),
        ]),
        route,
    }
}

fn severity_name(s: Option<Severity>) -> String {
    s.map_or_else(|| "none".to_owned(), |s| s.to_string().to_lowercase())
}
