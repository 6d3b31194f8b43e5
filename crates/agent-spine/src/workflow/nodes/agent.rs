//! `agent`: a bounded loop — the model proposes a command, the command goes
//! through the guarded path (agent-mouth, agent-immune, a human on
//! `review` when the node asks for one, agent-muscle), the result goes back
//! to the model — until the model says it is done or `max_steps` is
//! reached. Every step passes the three layers; a refusal is an
//! observation the model sees, never a way around them.

use agent_brain::TaskContext;
use autonomic_llm::{Cancel, Message, Request, Role, Sampling};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::exec::{dispatch, review_request, task};
use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::dispatch::TaskResult;
use crate::workflow::event::EventKind;
use crate::workflow::model::{NodeKind, OnReview};

/// One step of an agent loop.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct AgentStep {
    /// What the model proposed.
    pub command: String,
    /// What came of it, as the model is told.
    pub observation: String,
    /// The exit code, when it ran.
    pub exit_code: Option<i32>,
    /// Proposed and waiting for a human's approval: run first on resume.
    #[serde(default)]
    pub pending: bool,
}

/// Most characters of a command's output the model is shown per step.
const OBSERVATION_MAX: usize = 1500;

const SYSTEM: &str = "You work in a software repository by running one shell command at a time. \
Each reply is JSON: {\"done\": false, \"command\": \"<one shell command>\", \"summary\": \"<why>\"} \
to run a command, or {\"done\": true, \"command\": \"\", \"summary\": \"<what you did>\"} when the goal is met. \
Commands are checked by a validator and run in a sandbox; a refused command is not run.";

#[derive(Debug, Deserialize)]
struct Proposal {
    done: bool,
    command: String,
    summary: String,
}

fn schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {
            "done": {"type": "boolean"},
            "command": {"type": "string", "maxLength": super::prompt::COMMAND_MAX},
            "summary": {"type": "string", "maxLength": 200}
        },
        "required": ["done", "command", "summary"],
        "additionalProperties": false
    })
}

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Agent {
        goal,
        max_steps,
        on_review,
    } = &job.node.kind
    else {
        return failed("not an agent node");
    };
    let goal = match job.render(goal) {
        Ok(g) => g,
        Err(e) => return failed(e),
    };
    let model = match services.model.get(&services.config) {
        Ok(m) => m,
        Err(e) => return failed(format!("no model: {e}")),
    };
    let context = services
        .brain
        .route(
            TaskContext::session(job.workflow.project.clone(), job.run.to_string()),
            &goal,
            400,
        )
        .unwrap_or_default();
    let mut steps = job.transcript.clone();
    // A step that waited for a human runs first (its approval is for
    // exactly that command).
    let mut resumed = if steps.last().is_some_and(|s| s.pending) {
        steps.pop().map(|s| s.command)
    } else {
        None
    };
    let mut summary = String::new();
    while steps.len() < *max_steps as usize {
        if job.cancel.is_cancelled() {
            return failed("cancelled");
        }
        let command = match resumed.take() {
            Some(c) => c,
            None => {
                let proposal = match propose(job, services, model.as_ref(), &goal, &context, &steps)
                {
                    Ok(p) => p,
                    Err(e) => return failed(e),
                };
                summary = proposal.summary.clone();
                if proposal.done || proposal.command.trim().is_empty() {
                    report(
                        EventKind::Progress,
                        json!({"layer": "llm", "step": steps.len() + 1, "done": true, "summary": summary}),
                    );
                    return finish(&steps, &summary, true);
                }
                proposal.command.trim().to_owned()
            }
        };
        let mut step_job = job.clone();
        step_job.node.id = format!("{}#{}", job.node.id, steps.len() + 1);
        let t = task(&step_job, services, &command);
        let result = match dispatch(job, services, &t, report) {
            Ok(r) => r,
            Err(e) => return failed(e),
        };
        let step = match result {
            TaskResult::NeedsReview { reasons, risk } if *on_review == OnReview::Approval => {
                steps.push(AgentStep {
                    command: t.command.clone(),
                    observation: String::new(),
                    exit_code: None,
                    pending: true,
                });
                return Outcome::NeedsApproval {
                    fields: review_request(job, services, &t, reasons, risk),
                    transcript: steps,
                };
            }
            TaskResult::NeedsReview { reasons, .. } => AgentStep {
                command: t.command.clone(),
                observation: format!(
                    "Refused: the command needs a human's review and this loop does not ask. {}",
                    reasons.join("; ")
                ),
                exit_code: None,
                pending: false,
            },
            TaskResult::Refused { reasons, .. } => AgentStep {
                command: t.command.clone(),
                observation: format!("Refused by the validator: {}", reasons.join("; ")),
                exit_code: None,
                pending: false,
            },
            TaskResult::Ran {
                exit_code,
                stdout,
                stderr,
                violation,
                ..
            } => AgentStep {
                command: t.command.clone(),
                observation: observation(exit_code, &stdout, &stderr, violation.as_deref()),
                exit_code: Some(exit_code),
                pending: false,
            },
        };
        report(
            EventKind::Progress,
            json!({"layer": "agent", "step": steps.len() + 1, "command": step.command,
                   "exit_code": step.exit_code, "observation": step.observation}),
        );
        steps.push(step);
    }
    report(
        EventKind::Progress,
        json!({"layer": "agent", "summary": format!("stopped after max_steps = {max_steps}")}),
    );
    finish(&steps, &summary, false)
}

fn finish(steps: &[AgentStep], summary: &str, done: bool) -> Outcome {
    Outcome::Succeeded {
        outputs: outputs([
            ("steps", steps.len().to_string()),
            (
                "summary",
                if done {
                    summary.to_owned()
                } else {
                    format!("stopped after {} steps: {summary}", steps.len())
                },
            ),
            (
                "exit_code",
                steps
                    .iter()
                    .rev()
                    .find_map(|s| s.exit_code)
                    .map_or_else(String::new, |c| c.to_string()),
            ),
        ]),
        route: None,
    }
}

fn observation(exit_code: i32, stdout: &str, stderr: &str, violation: Option<&str>) -> String {
    let mut out = format!("Exit code {exit_code}.");
    if let Some(v) = violation {
        out.push_str(&format!(" The sandbox stopped it: {v}."));
    }
    for (name, text) in [("stdout", stdout), ("stderr", stderr)] {
        let text = text.trim();
        if !text.is_empty() {
            let cut: String = text
                .chars()
                .rev()
                .take(OBSERVATION_MAX)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            out.push_str(&format!("\n{name}:\n{cut}"));
        }
    }
    out
}

fn propose(
    job: &Job,
    services: &Services,
    model: &dyn autonomic_llm::ChatModel,
    goal: &str,
    context: &[String],
    steps: &[AgentStep],
) -> Result<Proposal, String> {
    let mut first = format!("Goal: {goal}\nRepository: {}\n", job.repo.display());
    for c in context {
        first.push_str(&format!("Known: {c}\n"));
    }
    let mut messages = vec![
        Message::text(Role::System, SYSTEM),
        Message::text(Role::User, first),
    ];
    for s in steps {
        messages.push(Message::text(
            Role::Assistant,
            json!({"done": false, "command": s.command, "summary": ""}).to_string(),
        ));
        messages.push(Message::text(Role::User, s.observation.clone()));
    }
    let mut request = Request::new(messages);
    request.max_tokens = 200;
    request.sampling = Sampling::from_config(
        services.config.llm.temperature,
        services.config.llm.top_p,
        services.config.llm.seed,
    );
    request.schema = Some(schema());
    let c = model
        .complete(&request, &mut |_| {}, &Cancel::new())
        .map_err(|e| format!("the model failed: {e}"))?;
    serde_json::from_str::<Proposal>(c.text.trim())
        .map_err(|e| format!("the model's reply is not a proposal ({e}): {}", c.text))
}
