//! Fuzzes what Slack sends back (issue 18): arbitrary bytes that parse as
//! JSON (others are skipped) given to `answer_from_interaction`,
//! `answer_from_event` and `answer_from_slash_command`. For the event, the
//! caller's record of runs answers every thread with the payload's own
//! `fuzz_run` string, when it has one, else with the thread's `ts`, so a
//! hostile run id reaches the checks too.
//!
//! Never a panic; any answer has a run id of 1 to 200 ASCII letters,
//! digits, `-`, `_` and `.`; a user id `U…` or `W…` of upper-case letters
//! and digits; a channel of ASCII letters and digits; a `ts` of digits,
//! `.` and digits, and none only for a slash command.
#![no_main]

use agent_mouth_slack::{
    answer_from_event, answer_from_interaction, answer_from_slash_command, Answer,
};
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn check(a: &Answer, has_ts: bool) {
    let run = &a.run_id;
    assert!(
        !run.is_empty()
            && run.chars().count() <= 200
            && run
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')),
        "{a:?}"
    );
    let user = &a.user_id;
    assert!(
        (user.starts_with('U') || user.starts_with('W'))
            && user.len() >= 2
            && user
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{a:?}"
    );
    assert!(
        !a.channel.is_empty() && a.channel.chars().all(|c| c.is_ascii_alphanumeric()),
        "{a:?}"
    );
    assert_eq!(a.message_ts.is_some(), has_ts, "{a:?}");
    if let Some(ts) = &a.message_ts {
        let (s, us) = ts.split_once('.').expect("a ts has a dot");
        assert!(
            !s.is_empty()
                && !us.is_empty()
                && s.bytes().all(|b| b.is_ascii_digit())
                && us.bytes().all(|b| b.is_ascii_digit()),
            "{a:?}"
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(payload) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Some(a) = answer_from_interaction(&payload) {
        check(&a, true);
    }
    let fuzz_run = payload.get("fuzz_run").and_then(Value::as_str);
    if let Some(a) = answer_from_event(&payload, |_channel, thread_ts| {
        Some(fuzz_run.unwrap_or(thread_ts).to_owned())
    }) {
        check(&a, true);
    }
    if let Some(a) = answer_from_slash_command(&payload) {
        check(&a, false);
    }
});
