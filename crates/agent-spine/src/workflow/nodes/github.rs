//! `github`: a GitHub REST call, typically written by a model (`method`,
//! `path` and `body` rendered from a prompt node's output), validated by
//! agent-mouth's API policy and sent as [`super::outbound`] decides.
//! Outputs: `status`, `html_url` (empty when the answer has none) and
//! `response` (the answer's JSON, capped).

use agent_mouth::outbound::ValidatedApiCall;
use agent_mouth_github::{HumanConfirmation, Response};
use autonomic_core::config::Config;

use super::outbound::{deliver, Authority, Outbound};
use super::{failed, outputs, Job, Outcome, Outputs, Report, Services};
use crate::channels::{check, policy, setup};
use crate::workflow::model::NodeKind;

/// The most characters of a response kept as the `response` output.
const MAX_RESPONSE_CHARS: usize = 16 * 1024;

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::GitHub { method, path, body } = &job.node.kind else {
        return failed("not a github node");
    };
    let rendered = (|| {
        let method = job.render(method)?;
        let path = job.render(path)?;
        let body = body.as_deref().map(|b| job.render(b)).transpose()?;
        Ok::<_, String>((method, path, body))
    })();
    let (method, path, body) = match rendered {
        Ok(r) => r,
        Err(e) => return failed(e),
    };
    // A model's answer often ends with a newline or sits in a code fence.
    let body = body
        .map(|b| strip_fence(&b).to_owned())
        .filter(|b| !b.is_empty());
    let config = &services.config;
    let policy = policy::outbound(config, services.user_home.as_deref());
    let (checked, outcome) = check::api_call(method.trim(), path.trim(), body.as_deref(), &policy);
    let destination = checked
        .redacted
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    let out = Outbound {
        destination,
        checked,
    };
    deliver(job, services, report, &out, |how| {
        let call = outcome.validated.ok_or("denied")?;
        let response = send(config, &call, how)?;
        Ok(response_outputs(&response))
    })
}

/// Sends `call` with the configured client.
pub(super) fn send(
    config: &Config,
    call: &ValidatedApiCall,
    how: Authority<'_>,
) -> Result<Response, String> {
    let client = setup::github(config).map_err(|e| e.to_string())?;
    match how {
        Authority::Allowed => client.send(call),
        Authority::Confirmed(by) => client.send_confirmed(
            call,
            &HumanConfirmation {
                approver: by.to_owned(),
            },
        ),
    }
    .map_err(|e| e.to_string())
}

/// `status`, `html_url` and `response`.
pub(super) fn response_outputs(response: &Response) -> Outputs {
    let html_url = response.json["html_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let text = if response.json.is_null() {
        String::new()
    } else {
        response.json.to_string()
    };
    outputs([
        ("status", response.status.to_string()),
        ("html_url", html_url),
        ("response", check::capped(&text, MAX_RESPONSE_CHARS)),
    ])
}

/// The text inside one Markdown code fence (```json … ```), else `text`
/// trimmed.
fn strip_fence(text: &str) -> &str {
    let t = text.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let Some(inner) = rest.strip_suffix("```") else {
        return t;
    };
    // Drop the info string (`json`) on the opening line.
    inner
        .split_once('\n')
        .map_or(inner, |(_, body)| body)
        .trim()
}

#[cfg(test)]
mod tests {
    use super::strip_fence;

    #[test]
    fn a_fenced_body_is_unwrapped() {
        assert_eq!(strip_fence("```json\n{\"a\":1}\n```\n"), "{\"a\":1}");
        assert_eq!(strip_fence(" {\"a\":1}\n"), "{\"a\":1}");
        assert_eq!(strip_fence("```{\"a\":1}"), "```{\"a\":1}");
    }
}
