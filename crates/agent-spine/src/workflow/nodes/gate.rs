//! `gate`: routes on a condition over an earlier node's outputs — a scan's
//! findings, a command's exit code, a verdict.

use autonomic_core::Severity;

use super::{failed, outputs, Job, Outcome, Services};
use crate::workflow::approval::RequestFields;
use crate::workflow::model::{GateFail, GateWhen, NodeKind};

pub(super) fn run(job: &Job, services: &Services) -> Outcome {
    let NodeKind::Gate {
        when,
        source,
        on_fail,
    } = &job.node.kind
    else {
        return failed("not a gate node");
    };
    let Some(out) = job.outputs.get(source) else {
        return failed(format!("`{source}` has no outputs to judge"));
    };
    let get = |k: &str| out.get(k).map(String::as_str).unwrap_or_default();
    let (passed, why) = match when {
        GateWhen::Findings { at_least } => {
            let max = get("max_severity").parse::<Severity>().ok();
            let blocked = match at_least {
                Some(min) => max.is_some_and(|m| m >= *min),
                None => get("blocking").parse::<u64>().unwrap_or(1) > 0,
            };
            (!blocked, get("summary").to_owned())
        }
        GateWhen::ExitCode { equals } => {
            let code = get("exit_code");
            (
                code.parse::<i32>().ok() == Some(*equals),
                format!("`{source}` exit code {code}, expected {equals}"),
            )
        }
        GateWhen::Verdict { allow } => {
            let d = get("decision");
            (
                allow.iter().any(|a| a.to_string() == d),
                format!("`{source}` verdict {d}"),
            )
        }
    };
    if passed {
        return Outcome::Succeeded {
            outputs: outputs([("passed", "true".into())]),
            route: None,
        };
    }
    match on_fail {
        GateFail::Fail => Outcome::Failed {
            why: format!("gate failed: {why}"),
            outputs: outputs([("passed", "false".into())]),
        },
        GateFail::Route(to) => Outcome::Succeeded {
            outputs: outputs([("passed", "false".into())]),
            route: Some(to.clone()),
        },
        GateFail::Hold => Outcome::Hold {
            fields: RequestFields {
                workflow: job.workflow.name.clone(),
                run: job.run.to_string(),
                node: Some(job.node.id.clone()),
                action: format!("override the security hold of `{}`", job.node.id),
                risk: "critical".into(),
                sandbox: "—".into(),
                dependencies: vec!["agent-immune".into()],
                reasons: vec![why],
                expires_in_minutes: services.config.mouth.slack_approval_timeout_minutes,
                command_sha256: None,
            },
        },
    }
}
