//! The outbox: every open request the journal holds is posted once, and
//! every post is updated once its request has ended — both read from the
//! journal, so a request journaled just before a crash is posted after the
//! restart, a request made by `approvals resend` in another process is
//! posted too, and an answer taken while the daemon was down still closes
//! its message.
//!
//! A post that Slack accepted but that was not yet recorded when the
//! process died is posted again (at least once, never lost); the first
//! message then stays, and only the recorded one is updated.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_mouth::outbound::{validate_outbound, OutChannel, OutboundMessage, OutboundPolicy};
use agent_mouth_slack::{Rendered, WebClient};
use autonomic_core::audit::{Actor, AuditEvent, AuditLog, Kind};
use autonomic_core::Decision;
use serde_json::json;

use super::render;
use super::CHANNEL;
use crate::workflow::journal::{Journal, Post, Request};

/// The longest wait before a failed post or update is tried again.
const MAX_RETRY: Duration = Duration::from_secs(300);

/// Posts and updates approval requests on one Slack channel.
pub(super) struct Outbox {
    pub(super) web: Arc<WebClient>,
    pub(super) journal: Journal,
    pub(super) audit: Option<AuditLog>,
    pub(super) channel: String,
    pub(super) policy: OutboundPolicy,
    /// Requests not to try again before the instant (failures back off;
    /// a message validation refused waits for the next start).
    pub(super) later: HashMap<String, (Instant, u32)>,
    /// Requests validation refused to post: not tried again until the
    /// next start (the same text gets the same verdict).
    pub(super) refused: HashSet<String>,
}

/// What validation made of a message.
enum Checked {
    Send(agent_mouth_slack::Outgoing),
    Refused {
        decision: Decision,
        rules: Vec<&'static str>,
    },
}

impl Outbox {
    /// Posts what is unposted and updates what ended; returns how many
    /// messages were sent.
    pub(super) fn step(&mut self) -> usize {
        let mut sent = 0;
        match self.journal.unposted_requests(CHANNEL) {
            Ok(reqs) => {
                for req in reqs {
                    if self.due(&req.id) && self.post(&req) {
                        sent += 1;
                    }
                }
            }
            Err(e) => tracing::error!("slack outbox: reading the journal: {e}"),
        }
        match self.journal.posts_to_close(CHANNEL) {
            Ok(posts) => {
                for (post, req) in posts {
                    if self.due(&format!("close:{}", req.id)) && self.close(&post, &req) {
                        sent += 1;
                    }
                }
            }
            Err(e) => tracing::error!("slack outbox: reading the journal: {e}"),
        }
        sent
    }

    fn due(&self, key: &str) -> bool {
        !self.refused.contains(key)
            && self
                .later
                .get(key)
                .is_none_or(|(at, _)| Instant::now() >= *at)
    }

    fn back_off(&mut self, key: &str) {
        let failures = self.later.get(key).map_or(0, |(_, n)| *n) + 1;
        let wait = Duration::from_secs(1 << failures.min(9)).min(MAX_RETRY);
        self.later
            .insert(key.to_owned(), (Instant::now() + wait, failures));
    }

    fn check(&self, rendered: &Rendered) -> Checked {
        let outcome = validate_outbound(
            &OutboundMessage {
                channel: OutChannel::Slack,
                text: rendered.text().to_owned(),
            },
            &self.policy,
        );
        match outcome.validated {
            Some(v) if v.decision() == Decision::Allow => Checked::Send(v),
            _ => Checked::Refused {
                decision: outcome.verdict.decision,
                rules: outcome.verdict.findings.iter().map(|f| f.rule_id).collect(),
            },
        }
    }

    fn post(&mut self, req: &Request) -> bool {
        let rendered = render::approval_request(req).render();
        let message = match self.check(&rendered) {
            Checked::Send(m) => m,
            Checked::Refused { decision, rules } => {
                tracing::warn!(request = %req.id, ?rules,
                    "slack: approval request not posted: outbound validation said {decision}; \
                     it stays answerable with `autonomic approve {}`", req.run);
                self.audit_outbound(req, decision, &rules, None, "post");
                self.refused.insert(req.id.clone());
                return false;
            }
        };
        match self
            .web
            .chat_post_message(&self.channel, &message, Some(&rendered), None)
        {
            Ok(posted) => {
                let post = Post {
                    request: req.id.clone(),
                    channel: CHANNEL.to_owned(),
                    conversation: posted.channel,
                    ts: posted.ts,
                };
                if let Err(e) = self.journal.record_post(&post) {
                    tracing::error!(request = %req.id, "slack: posted, but not recorded: {e}");
                }
                self.audit_outbound(req, Decision::Allow, &[], Some(&post.ts), "post");
                self.later.remove(&req.id);
                true
            }
            Err(e) => {
                tracing::warn!(request = %req.id, "slack: could not post the request (tried again later): {e}");
                self.back_off(&req.id);
                false
            }
        }
    }

    fn close(&mut self, post: &Post, req: &Request) -> bool {
        let key = format!("close:{}", req.id);
        let decisions = match self.journal.decisions(&req.run) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("slack outbox: reading decisions: {e}");
                return false;
            }
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        let ended = render::ended(req, &decisions, now);
        let rendered = render::approval_request(req).decided(&ended);
        let message = match self.check(&rendered) {
            Checked::Send(m) => m,
            Checked::Refused { decision, rules } => {
                self.audit_outbound(req, decision, &rules, Some(&post.ts), "update");
                let _ = self.journal.close_post(&req.id, CHANNEL);
                return false;
            }
        };
        match self
            .web
            .chat_update(&post.conversation, &post.ts, &message, Some(&rendered))
        {
            Ok(_) => {
                if let Err(e) = self.journal.close_post(&req.id, CHANNEL) {
                    tracing::error!(request = %req.id, "slack: updated, but not recorded: {e}");
                }
                self.audit_outbound(req, Decision::Allow, &[], Some(&post.ts), "update");
                self.later.remove(&key);
                true
            }
            Err(e) => {
                tracing::warn!(request = %req.id, "slack: could not update the request's message (tried again later): {e}");
                self.back_off(&key);
                false
            }
        }
    }

    fn audit_outbound(
        &self,
        req: &Request,
        decision: Decision,
        rules: &[&'static str],
        ts: Option<&str>,
        what: &str,
    ) {
        let Some(audit) = &self.audit else { return };
        let event = AuditEvent::new(
            Kind::MouthOutbound,
            &Actor::Workflow(req.run.to_string()),
            Some(decision),
            json!({
                "channel": CHANNEL,
                "what": what,
                "request": req.id,
                "node": req.node,
                "rule_ids": rules,
                "sent": decision == Decision::Allow,
                "conversation": self.channel,
                "ts": ts,
            }),
        );
        if let Err(e) = audit.append(event) {
            tracing::error!("slack: audit: {e}");
        }
    }
}
