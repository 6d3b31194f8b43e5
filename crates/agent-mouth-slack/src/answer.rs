//! Answers as Slack reports them: a click on the request's Approve / Reject
//! button (an `interactive` `block_actions` payload) or a `yes` / `no`
//! reply in the request's thread (an `events_api` `message` event).
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
    /// The request message's `ts` (the thread's, for a reply).
    pub message_ts: String,
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
        answer(user_id, action, run_id, message_ts, channel)
    })
}

/// The answer in an `events_api` payload: a human's `yes` or `no` (any
/// case, surrounding spaces ignored) replying in the thread of a request.
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
    let action = match event.get("text")?.as_str()?.trim().to_lowercase().as_str() {
        "yes" => AnswerAction::Approve,
        "no" => AnswerAction::Reject,
        _ => return None,
    };
    let user_id = event.get("user")?.as_str()?;
    let channel = event.get("channel")?.as_str()?;
    if !is_ts(thread_ts) {
        return None;
    }
    let run_id = run_for_thread(channel, thread_ts)?;
    answer(user_id, action, &run_id, thread_ts, channel)
}

fn answer(
    user_id: &str,
    action: AnswerAction,
    run_id: &str,
    message_ts: &str,
    channel: &str,
) -> Option<Answer> {
    let run_ok = !run_id.is_empty()
        && run_id.chars().count() <= MAX_RUN_ID_CHARS
        && !run_id.chars().any(|c| c.is_control() || c.is_whitespace());
    let channel_ok =
        (1..=80).contains(&channel.len()) && channel.chars().all(|c| c.is_ascii_alphanumeric());
    (is_user_id(user_id) && run_ok && is_ts(message_ts) && channel_ok).then(|| Answer {
        user_id: user_id.to_owned(),
        action,
        run_id: run_id.to_owned(),
        message_ts: message_ts.to_owned(),
        channel: channel.to_owned(),
    })
}
