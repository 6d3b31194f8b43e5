//! `exec`: a fixed or generated command on the guarded command path —
//! agent-mouth's verdict and agent-immune's install checks, a human for a
//! `review`, agent-muscle's sandbox at the node's level. The command is
//! rendered first, so what is validated is what runs.

use autonomic_core::audit::sha256_hex;
use autonomic_core::Decision;
use serde_json::json;

use super::{failed, outputs, Done, Job, Outcome, Outputs, Report, Services};
use crate::sandbox::DEFAULT_TIMEOUT;
use crate::workflow::approval::RequestFields;
use crate::workflow::dispatch::{ExecTask, TaskNetwork, TaskResult};
use crate::workflow::event::EventKind;
use crate::workflow::model::{Network, NodeKind, OnReview};

/// The task an exec-like node would dispatch for `command`.
pub(crate) fn task(job: &Job, services: &Services, command: &str) -> ExecTask {
    let level = job.level(&services.config);
    let node = &job.node;
    ExecTask {
        key: ExecTask::key_for(job.run.as_str(), &node.id, command, &job.repo, level),
        run: job.run.to_string(),
        node: node.id.clone(),
        command: command.to_owned(),
        cwd: job.repo.clone(),
        level,
        timeout_secs: node
            .timeout
            .or(job.workflow.defaults.timeout)
            .unwrap_or(DEFAULT_TIMEOUT)
            .as_secs()
            .max(1),
        memory_mib: node.memory_mib.or(job.workflow.defaults.memory_mib),
        network: match &node.network {
            Network::Off => TaskNetwork::Off,
            Network::Any => TaskNetwork::Any,
            Network::Hosts(h) => TaskNetwork::Hosts(h.clone()),
        },
        approved_sha256: job.approved_sha256.clone(),
    }
}

/// Dispatches a task (or reuses its journaled result) and reports the
/// layers' decisions.
pub(crate) fn dispatch(
    job: &Job,
    services: &Services,
    task: &ExecTask,
    report: &Report,
) -> Result<TaskResult, String> {
    if let Some((key, cached)) = &job.cached {
        if *key == task.key {
            report(
                EventKind::Progress,
                json!({"layer": "spine", "summary": "the task's journaled result is reused: it is not run again",
                       "task": key}),
            );
            return Ok(cached.clone());
        }
    }
    let result = services
        .dispatcher
        .dispatch(task, &job.cancel)
        .map_err(|e| e.to_string())?;
    match &result {
        TaskResult::Refused { decision, reasons } => report(
            EventKind::Decision,
            json!({"layer": "mouth", "decision": decision, "command": task.command, "reasons": reasons}),
        ),
        TaskResult::NeedsReview { reasons, .. } => report(
            EventKind::Decision,
            json!({"layer": "mouth", "decision": "review", "command": task.command, "reasons": reasons}),
        ),
        TaskResult::Ran {
            exit_code,
            status,
            level,
            violation,
            decision,
            ..
        } => {
            report(
                EventKind::Decision,
                json!({"layer": "mouth", "decision": decision, "command": task.command}),
            );
            report(
                EventKind::Decision,
                json!({"layer": "muscle", "decision": if violation.is_some() { "deny" } else { "allow" },
                       "sandbox": level, "exit_code": exit_code, "summary": status, "violation": violation}),
            );
        }
    }
    Ok(result)
}

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Done {
    let NodeKind::Exec { command, on_review } = &job.node.kind else {
        return failed("not an exec node").into();
    };
    let command = match job.render(command) {
        Ok(c) => c,
        Err(e) => return failed(e).into(),
    };
    let task = task(job, services, &command);
    let result = match dispatch(job, services, &task, report) {
        Ok(r) => r,
        Err(e) => return failed(e).into(),
    };
    Done {
        outcome: outcome(job, services, &task, result.clone(), *on_review),
        task: Some((task.key, result)),
    }
}

/// A task's result as the node's outcome.
pub(crate) fn outcome(
    job: &Job,
    services: &Services,
    task: &ExecTask,
    result: TaskResult,
    on_review: OnReview,
) -> Outcome {
    match result {
        TaskResult::Refused { decision, reasons } => Outcome::Rejected {
            why: format!("{decision}: `{}`", task.command),
            reasons,
            outputs: outputs([("decision", decision.to_string())]),
        },
        TaskResult::NeedsReview { reasons, risk } if on_review == OnReview::Approval => {
            Outcome::NeedsApproval {
                fields: review_request(job, services, task, reasons, risk),
                transcript: job.transcript.clone(),
            }
        }
        TaskResult::NeedsReview { reasons, .. } => Outcome::Rejected {
            why: format!(
                "review refused by the workflow (on_review = \"refuse\"): `{}`",
                task.command
            ),
            reasons,
            outputs: outputs([("decision", Decision::Review.to_string())]),
        },
        TaskResult::Ran {
            exit_code,
            status,
            stdout,
            stderr,
            violation,
            decision,
            ..
        } => {
            let out: Outputs = outputs([
                ("exit_code", exit_code.to_string()),
                ("stdout", stdout),
                ("stderr", stderr),
                ("decision", decision.to_string()),
            ]);
            if exit_code == 0 && violation.is_none() {
                Outcome::Succeeded {
                    outputs: out,
                    route: None,
                }
            } else {
                Outcome::Failed {
                    why: violation.unwrap_or(status),
                    outputs: out,
                }
            }
        }
    }
}

/// The approval request for a command that needs review.
pub(crate) fn review_request(
    job: &Job,
    services: &Services,
    task: &ExecTask,
    reasons: Vec<String>,
    risk: Option<agent_mouth::Risk>,
) -> RequestFields {
    // agent-mouth's risk for the command; a node that modifies external
    // state is at least high.
    let floor = if job.node.modifies_external_state {
        agent_mouth::Risk::High
    } else {
        agent_mouth::Risk::Medium
    };
    RequestFields {
        workflow: job.workflow.name.clone(),
        run: job.run.to_string(),
        node: Some(job.node.id.clone()),
        action: task.command.clone(),
        risk: risk.map_or(floor, |r| r.max(floor)).to_string(),
        sandbox: task.level.to_string(),
        dependencies: super::layers_of(&job.node.kind)
            .into_iter()
            .map(str::to_owned)
            .collect(),
        reasons,
        expires_in_minutes: services.config.mouth.slack_approval_timeout_minutes,
        command_sha256: Some(sha256_hex(&task.command)),
    }
}
