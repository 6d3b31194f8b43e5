//! `notify`: a message to the user. On the local channel it is journaled,
//! published on the bus and written to the audit chain; to Slack, e-mail
//! or a GitHub comment it goes through agent-mouth's outbound validation
//! first and is sent only as [`super::outbound`] decides.

use agent_mouth::outbound::{EmailDraft, OutChannel, ValidatedMessage};
use serde_json::json;

use super::outbound::{deliver, Authority, Outbound};
use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::channels::{check, policy, setup};
use crate::workflow::event::EventKind;
use crate::workflow::model::{IssueRef, NodeKind, NotifyChannel};

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Notify { message, channel } = &job.node.kind else {
        return failed("not a notify node");
    };
    let message = match job.render(message) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    match channel {
        NotifyChannel::Local => local(job, services, report, message),
        NotifyChannel::Slack { channel } => {
            slack(job, services, report, &message, channel.as_deref())
        }
        NotifyChannel::Email { to, subject } => {
            let subject = match subject.as_deref().map(|s| job.render(s)).transpose() {
                Ok(s) => s.unwrap_or_else(|| {
                    format!("Autonomic: {} ({})", job.workflow.name, job.node.id)
                }),
                Err(e) => return failed(e),
            };
            email(job, services, report, to, &subject, &message)
        }
        NotifyChannel::GitHub(target) => github(job, services, report, target, &message),
    }
}

fn local(job: &Job, services: &Services, report: &Report, message: String) -> Outcome {
    report(
        EventKind::Notify,
        json!({"channel": "local", "message": message}),
    );
    services.audit_run(
        &job.run,
        autonomic_core::audit::Kind::SpineNotify,
        None,
        json!({"node": job.node.id, "channel": "local", "message": message}),
    );
    Outcome::Succeeded {
        outputs: outputs([("message", message)]),
        route: None,
    }
}

/// Reports the message sent (redacted) and its outputs.
fn sent(report: &Report, channel: &str, destination: &str, text: &str) -> super::Outputs {
    report(
        EventKind::Notify,
        json!({"channel": channel, "to": destination, "message": text}),
    );
    outputs([("message", text.to_owned())])
}

fn slack(
    job: &Job,
    services: &Services,
    report: &Report,
    message: &str,
    channel: Option<&str>,
) -> Outcome {
    let config = &services.config;
    let dest = channel.unwrap_or(&config.mouth.slack_approval_channel);
    if dest.is_empty() {
        return failed(
            "no Slack channel: set `slack_channel` on the node or `[mouth] slack_approval_channel`",
        );
    }
    let policy = policy::outbound(config, services.user_home.as_deref());
    let (checked, outcome) = check::message(OutChannel::Slack, message, &policy);
    let out = Outbound {
        destination: dest.to_owned(),
        checked,
    };
    deliver(job, services, report, &out, |how| {
        let msg: ValidatedMessage = outcome.validated.ok_or("denied")?;
        let web = setup::slack_web(config).map_err(|e| e.to_string())?;
        match how {
            Authority::Allowed => web.chat_post_message(dest, &msg, None, None),
            Authority::Confirmed(by) => web.chat_post_confirmed(
                dest,
                &msg,
                &agent_mouth_slack::HumanConfirmation {
                    approver: by.to_owned(),
                },
            ),
        }
        .map_err(|e| e.to_string())?;
        Ok(sent(report, "slack", dest, msg.text()))
    })
}

fn email(
    job: &Job,
    services: &Services,
    report: &Report,
    to: &[String],
    subject: &str,
    body: &str,
) -> Outcome {
    let config = &services.config;
    let policy = policy::email(config, services.user_home.as_deref());
    let draft = EmailDraft {
        from_name: Some("Autonomic".into()),
        to: to.to_vec(),
        subject: subject.to_owned(),
        body: body.to_owned(),
    };
    let outcome = agent_mouth::outbound::validate_email(&draft, &policy);
    let out = Outbound {
        destination: to.join(", "),
        checked: check::email(&outcome.verdict),
    };
    deliver(job, services, report, &out, |how| {
        let mail = outcome.validated.ok_or("denied")?;
        let mailer = setup::mailer(config).map_err(|e| e.to_string())?;
        let delivered = match how {
            Authority::Allowed => mailer.send(&mail),
            Authority::Confirmed(by) => mailer.send_confirmed(
                &mail,
                &agent_mouth_email::HumanConfirmation {
                    approver: by.to_owned(),
                },
            ),
        }
        .map_err(|e| e.to_string())?;
        let mut outs = sent(report, "email", &out.destination, mail.body());
        outs.insert("message_id".into(), delivered.message_id);
        Ok(outs)
    })
}

fn github(
    job: &Job,
    services: &Services,
    report: &Report,
    target: &IssueRef,
    message: &str,
) -> Outcome {
    let config = &services.config;
    let policy = policy::outbound(config, services.user_home.as_deref());
    let path = format!(
        "/repos/{}/{}/issues/{}/comments",
        target.owner, target.repo, target.number
    );
    let body = json!({ "body": message }).to_string();
    let (checked, outcome) = check::api_call("POST", &path, Some(&body), &policy);
    let out = Outbound {
        destination: target.to_string(),
        checked,
    };
    deliver(job, services, report, &out, |how| {
        let call = outcome.validated.ok_or("denied")?;
        let response = super::github::send(config, &call, how)?;
        let text = call
            .body()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
            .and_then(|v| v["body"].as_str().map(str::to_owned))
            .unwrap_or_default();
        let mut outs = sent(report, "github", &out.destination, &text);
        outs.extend(super::github::response_outputs(&response));
        Ok(outs)
    })
}
