//! Answers as Slack reports them: a click on the request's Approve / Reject
//! button (an `interactive` `block_actions` payload), a `yes` / `no` /
//! `cancel` / `resend` reply in the request's thread (an `events_api`
//! `message` event), or a slash command naming the run (`/autonomic cancel
//! wf-…`, also `approve`, `reject` and `resend`).
//!
//! These are reports, not decisions: whoever journals an [`Answer`]
//! decides whether it counts (the request still open, the user allowed,
//! the first valid answer).

use serde_json::Value;

use crate::blocks::{is_user_id, APPROVE_ACTION_ID, REJECT_ACTION_ID};
use crate::web::is_ts;

/// The longest run id accepted from a button's `value`.
const MAX_RUN_ID_CHARS: usize = 200;

/// What the human chose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerAction {
    /// Approve button or `yes`.
    Approve,
    /// Reject button or `no`.
    Reject,
    /// `cancel`: cancel the whole workflow.
    Cancel,
    /// `resend`: a fresh request in place of an expired one.
    Resend,
}

impl AnswerAction {
    /// The word that asks for it in a thread reply or slash command.
    fn from_word(word: &str) -> Option<AnswerAction> {
        Some(match word.to_lowercase().as_str() {
            "yes" | "approve" => AnswerAction::Approve,
            "no" | "reject" => AnswerAction::Reject,
            "cancel" => AnswerAction::Cancel,
            "resend" => AnswerAction::Resend,
            _ => return None,
        })
    }
}

/// An answer reported by Slack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The Slack user who answered (`U…`).
    pub user_id: String,
    /// Approve or reject.
    pub action: AnswerAction,
    /// The run the request is about.
    pub run_id: String,
    /// The request message's `ts` (the thread's, for a reply); `None` for
    /// a slash command, which names only the run.
    pub message_ts: Option<String>,
    /// The channel of the request message.
    pub channel: String,
}

/// The answer in an `interactive` payload: a `block_actions` click on one
/// of this crate's buttons. `None` for any other interaction, and for a
/// payload missing or mangling a field (a click cannot be half-read).
pub fn answer_from_interaction(payload: &Value) -> Option<Answer> {
    if payload.get("type")?.as_str()? != "block_actions" {
        return None;
    }
    let user_id = payload.get("user")?.get("id")?.as_str()?;
    let container = payload.get("container");
    let message_ts = container
        .and_then(|c| c.get("message_ts"))
        .or_else(|| payload.get("message")?.get("ts"))?
        .as_str()?;
    let channel = container
        .and_then(|c| c.get("channel_id"))
        .or_else(|| payload.get("channel")?.get("id"))?
        .as_str()?;
    // One click is one action; take the first of ours.
    payload.get("actions")?.as_array()?.iter().find_map(|a| {
        let action = match a.get("action_id")?.as_str()? {
            APPROVE_ACTION_ID => AnswerAction::Approve,
            REJECT_ACTION_ID => AnswerAction::Reject,
            _ => return None,
        };
        let run_id = a.get("value")?.as_str()?;
        answer(user_id, action, run_id, Some(message_ts), channel)
    })
}

/// The answer in an `events_api` payload: a human's `yes`, `no`, `cancel`
/// or `resend` (any case, surrounding spaces ignored; `cancel` and `resend`
/// may name the thread's run after them) replying in the thread of a
/// request.
/// `run_for_thread(channel, thread_ts)` names the run whose request
/// message that is, from the caller's record of what it posted. `None` for
/// anything else: other events, top-level messages, edits and other
/// subtypes, bots' messages, other words.
pub fn answer_from_event(
    payload: &Value,
    run_for_thread: impl FnOnce(&str, &str) -> Option<String>,
) -> Option<Answer> {
    if payload.get("type")?.as_str()? != "event_callback" {
        return None;
    }
    let event = payload.get("event")?;
    if event.get("type")?.as_str()? != "message"
        || event.get("subtype").is_some()
        || event.get("bot_id").is_some()
    {
        return None;
    }
    let thread_ts = event.get("thread_ts")?.as_str()?;
    let ts = event.get("ts")?.as_str()?;
    if ts == thread_ts {
        return None; // the parent message itself
    }
    let mut words = event.get("text")?.as_str()?.split_whitespace();
    let action = AnswerAction::from_word(words.next()?)?;
    let named = words.next();
    if words.next().is_some()
        || (named.is_some() && !matches!(action, AnswerAction::Cancel | AnswerAction::Resend))
    {
        return None;
    }
    let user_id = event.get("user")?.as_str()?;
    let channel = event.get("channel")?.as_str()?;
    if !is_ts(thread_ts) {
        return None;
    }
    let run_id = run_for_thread(channel, thread_ts)?;
    // `cancel wf-…` in a thread must name the thread's own run.
    if named.is_some_and(|n| n != run_id) {
        return None;
    }
    answer(user_id, action, &run_id, Some(thread_ts), channel)
}

/// The answer in a `slash_commands` payload: `<command> <verb> <run>`,
/// where the verb is `approve`, `reject`, `cancel` or `resend` (the
/// command's own name, such as `/autonomic`, is the app's to choose).
/// `None` for any other text.
pub fn answer_from_slash_command(payload: &Value) -> Option<Answer> {
    let mut words = payload.get("text")?.as_str()?.split_whitespace();
    let action = AnswerAction::from_word(words.next()?)?;
    let run_id = words.next()?;
    if words.next().is_some() {
        return None;
    }
    let user_id = payload.get("user_id")?.as_str()?;
    let channel = payload.get("channel_id")?.as_str()?;
    answer(user_id, action, run_id, None, channel)
}

fn answer(
    user_id: &str,
    action: AnswerAction,
    run_id: &str,
    message_ts: Option<&str>,
    channel: &str,
) -> Option<Answer> {
    let run_ok = !run_id.is_empty()
        && run_id.chars().count() <= MAX_RUN_ID_CHARS
        && run_id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    let channel_ok =
        (1..=80).contains(&channel.len()) && channel.chars().all(|c| c.is_ascii_alphanumeric());
    let ts_ok = message_ts.is_none_or(is_ts);
    (is_user_id(user_id) && run_ok && ts_ok && channel_ok).then(|| Answer {
        user_id: user_id.to_owned(),
        action,
        run_id: run_id.to_owned(),
        message_ts: message_ts.map(str::to_owned),
        channel: channel.to_owned(),
    })
}
