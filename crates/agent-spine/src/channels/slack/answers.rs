//! Answers Slack delivers (a button click, a thread reply, a slash
//! command), taken exactly once: each goes through
//! [`control::answer_delivered`], which journals the decision and the
//! delivery id in one transaction; only then does the caller acknowledge
//! the envelope. A journal failure is returned, so the envelope is not
//! acknowledged and Slack delivers it again. Every answer — taken, a
//! redelivery, ignored, refused — is audited with the Slack user and the
//! message `ts`; a person whose answer did not count is told why in the
//! request's thread.

use std::sync::Arc;

use agent_mouth::outbound::{validate_outbound, OutChannel, OutboundMessage, OutboundPolicy};
use agent_mouth_slack::{Answer, AnswerAction, Envelope, EnvelopeKind, WebClient};
use autonomic_core::audit::{Actor, AuditEvent, AuditLog, Kind};
use autonomic_core::config::Config;
use autonomic_core::Decision;
use serde_json::json;

use super::CHANNEL;
use crate::workflow::control::{self, ChannelAnswer, ChannelOutcome, ControlError, Resent};
use crate::workflow::journal::{Journal, Verdict};
use crate::workflow::state::RunId;

/// Takes the answers of one Slack app.
pub(super) struct Answers {
    pub(super) web: Arc<WebClient>,
    pub(super) journal: Journal,
    pub(super) audit: Option<AuditLog>,
    pub(super) approvers: Vec<String>,
    /// The bot's own user id (its messages never count).
    pub(super) bot_user: String,
    pub(super) config: Config,
    pub(super) policy: OutboundPolicy,
    /// Called after something was journaled (the outbox has work).
    pub(super) poke: Box<dyn Fn() + Send>,
}

/// What became of one answer, for the audit and the reply.
struct Taken {
    outcome: &'static str,
    seq: Option<u64>,
    why: Option<String>,
}

impl Answers {
    /// Handles one envelope; `Err` leaves it unacknowledged (Slack
    /// delivers it again).
    pub(super) fn handle(&mut self, envelope: &Envelope) -> Result<(), String> {
        let Some(answer) =
            envelope.answer(|channel, thread_ts| self.run_of_thread(channel, thread_ts))
        else {
            tracing::debug!(id = %envelope.envelope_id, "slack: not an answer; acknowledged");
            return Ok(());
        };
        let taken = match (RunId::parse(&answer.run_id), answer.action) {
            (Err(e), _) => {
                self.refused_with(envelope, format!("<@{}>: not taken: {e}.", answer.user_id))?
            }
            (Ok(run), AnswerAction::Resend) => self.resend(envelope, &answer, &run)?,
            (Ok(run), _) => self.decide(envelope, &answer, run)?,
        };
        self.audit_answer(envelope, &answer, &taken);
        if let Some(why) = &taken.why {
            self.reply(&answer, why);
        }
        if taken.outcome == "taken" {
            (self.poke)();
        }
        Ok(())
    }

    fn run_of_thread(&self, channel: &str, thread_ts: &str) -> Option<String> {
        let post = self.journal.post_at(CHANNEL, channel, thread_ts).ok()??;
        let req = self.journal.request(&post.request).ok()??;
        Some(req.run.to_string())
    }

    /// The request a click or thread reply is about (its message), if any.
    fn request_of(&self, answer: &Answer) -> Option<String> {
        let ts = answer.message_ts.as_deref()?;
        let post = self.journal.post_at(CHANNEL, &answer.channel, ts).ok()??;
        Some(post.request)
    }

    fn decide(
        &mut self,
        envelope: &Envelope,
        answer: &Answer,
        run: RunId,
    ) -> Result<Taken, String> {
        let verdict = match answer.action {
            AnswerAction::Approve => Verdict::Approve,
            AnswerAction::Reject => Verdict::Reject,
            _ => Verdict::Cancel,
        };
        // A cancel is of the whole run; an approve or reject answers the
        // request whose message it is under.
        let request = (verdict != Verdict::Cancel)
            .then(|| self.request_of(answer))
            .flatten();
        let context = match envelope.kind {
            EnvelopeKind::Interactive => format!("button in {}", answer.channel),
            EnvelopeKind::EventsApi => format!("thread reply in {}", answer.channel),
            EnvelopeKind::SlashCommands => format!("slash command in {}", answer.channel),
        };
        let a = ChannelAnswer {
            channel: CHANNEL,
            delivery: &envelope.envelope_id,
            user: &answer.user_id,
            is_bot: answer.user_id == self.bot_user,
            run,
            request: request.as_deref(),
            verdict,
            context: Some(context),
        };
        match control::answer_delivered(&mut self.journal, &a, &self.approvers) {
            Ok(ChannelOutcome::Journaled { seq, .. }) => Ok(taken("taken", Some(seq), None)),
            Ok(ChannelOutcome::Duplicate { seq }) => Ok(taken("redelivery", seq, None)),
            Ok(ChannelOutcome::Ignored { why }) => Ok(taken(
                "ignored",
                None,
                Some(format!(
                    "<@{}>: your answer was not taken: {why}.",
                    answer.user_id
                )),
            )),
            Err(ControlError::Journal(e)) => Err(format!("the journal: {e}")),
            Err(e) => self.refused(envelope, answer, &e),
        }
    }

    /// An answer the journal could not take (expired, finished, unknown):
    /// remembered so a redelivery is not answered twice, and explained.
    fn refused(
        &mut self,
        envelope: &Envelope,
        answer: &Answer,
        e: &ControlError,
    ) -> Result<Taken, String> {
        let hint = match e {
            ControlError::Expired { .. } | ControlError::NoRequest(_) => format!(
                " An approver can reply `resend` in this thread (or run `autonomic approvals resend {}`) for a fresh request.",
                answer.run_id
            ),
            _ => String::new(),
        };
        self.refused_with(
            envelope,
            format!("<@{}>: not taken: {e}.{hint}", answer.user_id),
        )
    }

    /// Remembers the delivery (a redelivery is then recognised) and
    /// explains the refusal once.
    fn refused_with(&mut self, envelope: &Envelope, why: String) -> Result<Taken, String> {
        Ok(if self.first_delivery(envelope)? {
            taken("refused", None, Some(why))
        } else {
            taken("redelivery", None, None)
        })
    }

    /// Records the delivery; false when it was recorded before (a
    /// redelivery, to be acknowledged and nothing else).
    fn first_delivery(&mut self, envelope: &Envelope) -> Result<bool, String> {
        self.journal
            .record_delivery(CHANNEL, &envelope.envelope_id)
            .map_err(|e| format!("the journal: {e}"))
    }

    fn resend(
        &mut self,
        envelope: &Envelope,
        answer: &Answer,
        run: &RunId,
    ) -> Result<Taken, String> {
        if !self.approvers.contains(&answer.user_id) || answer.user_id == self.bot_user {
            return Ok(if self.first_delivery(envelope)? {
                taken(
                    "ignored",
                    None,
                    Some(format!(
                        "<@{}>: only an approver (`[mouth] slack_approvers`) can ask for a fresh request.",
                        answer.user_id
                    )),
                )
            } else {
                taken("redelivery", None, None)
            });
        }
        // At most once: the delivery is recorded first, so a crash before
        // the resend loses it (an approver asks again) rather than sending
        // two.
        if !self.first_delivery(envelope)? {
            return Ok(taken("redelivery", None, None));
        }
        Ok(
            match control::resend(&mut self.journal, &self.config, run) {
                Ok(Resent::Requests(fresh)) => taken(
                    "taken",
                    None,
                    Some(format!(
                        "A fresh request ({} of them) is posted.",
                        fresh.len()
                    )),
                ),
                Ok(Resent::Released { summary }) => taken(
                    "taken",
                    None,
                    Some(format!(
                        "The hold was rescanned clean and is released: {summary}."
                    )),
                ),
                Err(ControlError::Journal(e)) => return Err(format!("the journal: {e}")),
                Err(e) => taken(
                    "refused",
                    None,
                    Some(format!("<@{}>: not resent: {e}.", answer.user_id)),
                ),
            },
        )
    }

    /// Tells the person in the request's thread (or the channel, for a
    /// slash command), through outbound validation like every message.
    fn reply(&self, answer: &Answer, text: &str) {
        let outcome = validate_outbound(
            &OutboundMessage {
                channel: OutChannel::Slack,
                text: text.to_owned(),
            },
            &self.policy,
        );
        let Some(message) = outcome
            .validated
            .filter(|m| m.decision() == Decision::Allow)
        else {
            tracing::warn!(
                "slack: a reply was not sent: outbound validation said {}",
                outcome.verdict.decision
            );
            return;
        };
        let thread = answer.message_ts.as_deref();
        if let Err(e) = self
            .web
            .chat_post_message(&answer.channel, &message, None, thread)
        {
            tracing::warn!("slack: could not reply in the thread: {e}");
        }
    }

    fn audit_answer(&self, envelope: &Envelope, answer: &Answer, t: &Taken) {
        let Some(audit) = &self.audit else { return };
        let decision = match (t.outcome, answer.action) {
            ("taken", AnswerAction::Approve) => Some(Decision::Allow),
            ("taken", AnswerAction::Reject | AnswerAction::Cancel) => Some(Decision::Deny),
            _ => None,
        };
        let event = AuditEvent::new(
            Kind::MouthAnswer,
            &Actor::Channel {
                channel: CHANNEL.to_owned(),
                user: answer.user_id.clone(),
            },
            decision,
            json!({
                "outcome": t.outcome,
                "action": format!("{:?}", answer.action).to_lowercase(),
                "run": answer.run_id,
                "conversation": answer.channel,
                "message_ts": answer.message_ts,
                "delivery": envelope.envelope_id,
                "retry_attempt": envelope.retry_attempt,
                "decision_seq": t.seq,
                "why": t.why,
            }),
        );
        if let Err(e) = audit.append(event) {
            tracing::error!("slack: audit: {e}");
        }
    }
}

fn taken(outcome: &'static str, seq: Option<u64>, why: Option<String>) -> Taken {
    Taken { outcome, seq, why }
}
