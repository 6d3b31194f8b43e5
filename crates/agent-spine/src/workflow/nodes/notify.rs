//! `notify`: a message on the local channel — journaled, published on the
//! bus and written to the audit chain (Slack, GitHub and email come later,
//! behind agent-mouth's validation).

use serde_json::json;

use super::{failed, outputs, Job, Outcome, Report, Services};
use crate::workflow::event::EventKind;
use crate::workflow::model::NodeKind;

pub(super) fn run(job: &Job, services: &Services, report: &Report) -> Outcome {
    let NodeKind::Notify { message, channel } = &job.node.kind else {
        return failed("not a notify node");
    };
    let message = match job.render(message) {
        Ok(m) => m,
        Err(e) => return failed(e),
    };
    report(
        EventKind::Notify,
        json!({"channel": channel, "message": message}),
    );
    services.audit_run(
        &job.run,
        autonomic_core::audit::Kind::SpineNotify,
        None,
        json!({"node": job.node.id, "channel": channel, "message": message}),
    );
    Outcome::Succeeded {
        outputs: outputs([("message", message)]),
        route: None,
    }
}
