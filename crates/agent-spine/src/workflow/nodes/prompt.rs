//! `prompt`: asks the local model for a command, a patch or text —
//! schema-constrained — with agent-brain's `route_task` context and, on a
//! regeneration, the refusals of the earlier attempts.

use agent_brain::TaskContext;
use autonomic_llm::{Cancel, Message, Request, Role, Sampling};
use serde_json::json;

use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::event::EventKind;
use crate::workflow::model::{NodeKind, PromptOutput};

/// Longest command a prompt may propose.
pub(crate) const COMMAND_MAX: u64 = 400;
/// Longest patch a prompt may propose.
const PATCH_MAX: u64 = 8000;

const DEFAULT_SYSTEM: &str = "You are a careful software engineer working in a repository. \
Answer with exactly what is asked, nothing else.";

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Prompt {
        prompt,
        system,
        output,
        context_budget,
        max_tokens,
    } = &job.node.kind
    else {
        return failed("not a prompt node");
    };
    let (prompt, system) = match (
        job.render(prompt),
        system.as_deref().map(|s| job.render(s)).transpose(),
    ) {
        (Ok(p), Ok(s)) => (p, s.unwrap_or_else(|| DEFAULT_SYSTEM.to_owned())),
        (Err(e), _) | (_, Err(e)) => return failed(e),
    };
    let context = context(job, services, &prompt, *context_budget, report);
    let mut user = String::new();
    if !context.is_empty() {
        user.push_str("What is known about this project:\n");
        for c in &context {
            user.push_str(&format!("- {c}\n"));
        }
        user.push('\n');
    }
    user.push_str(&prompt);
    for f in &job.feedback {
        user.push_str(&format!("\n\n{f}"));
    }
    let (schema, key) = match output {
        PromptOutput::Command => (Some(schema("command", COMMAND_MAX)), Some("command")),
        PromptOutput::Patch => (Some(schema("patch", PATCH_MAX)), Some("patch")),
        PromptOutput::Text => (None, None),
    };
    let model = match services.model.get(&services.config) {
        Ok(m) => m,
        Err(e) => return failed(format!("no model: {e}")),
    };
    let mut request = Request::new(vec![
        Message::text(Role::System, system),
        Message::text(Role::User, user),
    ]);
    request.max_tokens = *max_tokens;
    request.sampling = Sampling::from_config(
        services.config.llm.temperature,
        services.config.llm.top_p,
        services.config.llm.seed,
    );
    request.schema = schema;
    let cancel = Cancel::new();
    let completion = match model.complete(&request, &mut |_| {}, &cancel) {
        Ok(c) => c,
        Err(e) => return failed(format!("the model failed: {e}")),
    };
    report(
        EventKind::Progress,
        json!({"layer": "llm", "model": model.id(), "reply": completion.text,
               "tokens": completion.usage.completion_tokens}),
    );
    let text = completion.text.trim().to_owned();
    let Some(key) = key else {
        return Outcome::Succeeded {
            outputs: outputs([("text", text)]),
            route: None,
        };
    };
    let value = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get(key).and_then(|s| s.as_str()).map(str::to_owned));
    match value {
        Some(v) if !v.trim().is_empty() => {
            // A command is one line; a patch keeps its lines and ends with
            // a newline (`git apply` calls a patch without one corrupt).
            let v = if *output == PromptOutput::Patch {
                let mut p = v.trim_start_matches('\n').to_owned();
                if !p.ends_with('\n') {
                    p.push('\n');
                }
                p
            } else {
                v.trim().to_owned()
            };
            Outcome::Succeeded {
                outputs: outputs([(key, v), ("text", text)]),
                route: None,
            }
        }
        _ => failed(format!("the model's reply has no usable `{key}`: {text}")),
    }
}

fn schema(key: &str, max: u64) -> serde_json::Value {
    json!({
        "type": "object",
        "properties": {key: {"type": "string", "minLength": 1, "maxLength": max}},
        "required": [key],
        "additionalProperties": false
    })
}

fn context(
    job: &Job,
    services: &Services,
    prompt: &str,
    budget: usize,
    report: &Report,
) -> Vec<String> {
    let task = TaskContext::session(job.workflow.project.clone(), job.run.to_string());
    match services.brain.route(task, prompt, budget) {
        Ok(c) => c,
        Err(e) => {
            report(
                EventKind::Progress,
                json!({"layer": "brain", "warning": format!("no context from agent-brain: {e}")}),
            );
            Vec::new()
        }
    }
}
