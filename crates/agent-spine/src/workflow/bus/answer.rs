//! Approval answers that arrive over NATS on `autonomic.approval.<run-id>`:
//! parsing and validating the message (a pure function of subject and
//! payload), and the replies sent back to its reply subject.
//!
//! What it owns: the answer message format (strict JSON, documented in
//! `docs/events.md`) and its size and character limits.
//!
//! What it must not do: decide whether an answer is valid for a request
//! (unknown run, expired request, second decision): the engine does, from
//! its journal.

use serde::Deserialize;

use crate::workflow::state::RunId;

/// The subject prefix answers arrive on; the run id follows it.
pub const ANSWER_SUBJECT_PREFIX: &str = "autonomic.approval.";

/// The subscription that takes every run's answers.
pub const ANSWER_SUBJECTS: &str = "autonomic.approval.*";

/// The largest answer message read, in bytes (a `reason` of 2,000
/// characters of up to 4 bytes each, plus the other fields).
pub const MAX_ANSWER_BYTES: usize = 10 * 1024;

/// The longest `by`, in characters.
pub const MAX_BY_CHARS: usize = 128;

/// The longest `reason`, in characters.
pub const MAX_REASON_CHARS: usize = 2000;

/// The longest `request` id, in characters.
pub const MAX_REQUEST_CHARS: usize = 64;

/// What the human decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerDecision {
    /// Go ahead.
    Approve,
    /// Do not run the node: the engine routes the rejection.
    Reject,
    /// Cancel the whole run.
    Cancel,
}

impl AnswerDecision {
    /// The word used on the wire and in the journal.
    pub const fn as_str(self) -> &'static str {
        match self {
            AnswerDecision::Approve => "approve",
            AnswerDecision::Reject => "reject",
            AnswerDecision::Cancel => "cancel",
        }
    }
}

/// An answer that passed the format checks, for the engine to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApprovalAnswer {
    /// The run, from the subject.
    pub run: RunId,
    /// The request answered (`ap-…`), when the answer names one.
    pub request: Option<String>,
    /// What was decided.
    pub decision: AnswerDecision,
    /// Who decided (free text, not authenticated by the bus).
    pub by: String,
    /// Why, when given.
    pub reason: Option<String>,
    /// The subject it arrived on.
    pub subject: String,
}

/// Why an answer message was refused; each names the subject and the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    /// The subject is not `autonomic.approval.<run-id>`.
    #[error("answer on `{subject}`: the subject is not autonomic.approval.<run-id> (the run id must be wf-YYYYMMDD-xxxxxx)")]
    Subject {
        /// The subject.
        subject: String,
    },
    /// The payload is larger than [`MAX_ANSWER_BYTES`].
    #[error("answer on `{subject}`: the message is {len} bytes, more than the {MAX_ANSWER_BYTES} allowed")]
    TooLarge {
        /// The subject.
        subject: String,
        /// The payload's length.
        len: usize,
    },
    /// The payload is not the JSON object expected (unknown or missing
    /// field, wrong type, bad decision word, not JSON at all).
    #[error("answer on `{subject}`: {detail}")]
    Json {
        /// The subject.
        subject: String,
        /// serde_json's message, which names the field and the column.
        detail: String,
    },
    /// A field's value breaks a limit.
    #[error("answer on `{subject}`: field `{field}` {problem}")]
    Field {
        /// The subject.
        subject: String,
        /// The field.
        field: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

impl autonomic_core::Hint for AnswerError {
    fn hint(&self) -> Option<String> {
        Some(
            r#"send {"decision": "approve"|"reject"|"cancel", "by": "<name>", "request": "ap-…" (optional), "reason": "…" (optional)} to autonomic.approval.<run-id>; see docs/events.md"#
                .to_owned(),
        )
    }
}

/// The wire form, refused when it carries anything else.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    #[serde(default)]
    request: Option<String>,
    decision: AnswerDecision,
    by: String,
    #[serde(default)]
    reason: Option<String>,
}

/// Parses and validates an answer that arrived on `subject`.
///
/// # Errors
///
/// [`AnswerError`] naming the subject and the field at fault.
pub fn parse_answer(subject: &str, payload: &[u8]) -> Result<ApprovalAnswer, AnswerError> {
    let run = subject
        .strip_prefix(ANSWER_SUBJECT_PREFIX)
        .and_then(|id| RunId::parse(id).ok())
        .ok_or_else(|| AnswerError::Subject {
            subject: subject.to_owned(),
        })?;
    if payload.len() > MAX_ANSWER_BYTES {
        return Err(AnswerError::TooLarge {
            subject: subject.to_owned(),
            len: payload.len(),
        });
    }
    let json = |detail: String| AnswerError::Json {
        subject: subject.to_owned(),
        detail,
    };
    let field = |field: &'static str, problem: String| AnswerError::Field {
        subject: subject.to_owned(),
        field,
        problem,
    };
    let value: serde_json::Value =
        serde_json::from_slice(payload).map_err(|e| json(e.to_string()))?;
    check_shape(&value).map_err(|(f, problem)| match f {
        Ok(name) => field(name, problem),
        Err(unknown) => json(format!("unknown field `{unknown}` ({problem})")),
    })?;
    // The typed parse also refuses a field given twice.
    let wire: Wire = serde_json::from_slice(payload).map_err(|e| json(e.to_string()))?;
    check_by(&wire.by).map_err(|p| field("by", p))?;
    if let Some(request) = &wire.request {
        check_request(request).map_err(|p| field("request", p))?;
    }
    if let Some(reason) = &wire.reason {
        check_reason(reason).map_err(|p| field("reason", p))?;
    }
    Ok(ApprovalAnswer {
        run,
        request: wire.request,
        decision: wire.decision,
        by: wire.by,
        reason: wire.reason,
        subject: subject.to_owned(),
    })
}

/// The fields an answer may have, and whether each is required.
const FIELDS: [(&str, bool); 4] = [
    ("decision", true),
    ("by", true),
    ("request", false),
    ("reason", false),
];

/// An object with known fields only, each a string (the optional ones may
/// be null). On error: the field (known, or the unknown name) and why.
fn check_shape(value: &serde_json::Value) -> Result<(), (Result<&'static str, String>, String)> {
    let Some(obj) = value.as_object() else {
        return Err((
            Ok("decision"),
            "missing: the message is not a JSON object".to_owned(),
        ));
    };
    if let Some(unknown) = obj.keys().find(|k| !FIELDS.iter().any(|(f, _)| f == k)) {
        return Err((
            Err(unknown.clone()),
            "expected decision, by, request or reason".to_owned(),
        ));
    }
    for (name, required) in FIELDS {
        match obj.get(name) {
            Some(serde_json::Value::String(_)) => {}
            Some(serde_json::Value::Null) | None if !required => {}
            None => return Err((Ok(name), "is missing".to_owned())),
            Some(other) => {
                return Err((Ok(name), format!("must be a string, not `{other}`")));
            }
        }
    }
    Ok(())
}

fn check_by(by: &str) -> Result<(), String> {
    if by.trim().is_empty() {
        return Err("is empty: name who decides".to_owned());
    }
    let n = by.chars().count();
    if n > MAX_BY_CHARS {
        return Err(format!("is {n} characters, more than {MAX_BY_CHARS}"));
    }
    if by.chars().any(char::is_control) {
        return Err("contains a control character".to_owned());
    }
    Ok(())
}

fn check_request(request: &str) -> Result<(), String> {
    let ok = request.len() <= MAX_REQUEST_CHARS
        && request.strip_prefix("ap-").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "is not a request id (ap- then lowercase letters, digits or hyphens, at most {MAX_REQUEST_CHARS} characters)"
        ))
    }
}

fn check_reason(reason: &str) -> Result<(), String> {
    let n = reason.chars().count();
    if n > MAX_REASON_CHARS {
        return Err(format!("is {n} characters, more than {MAX_REASON_CHARS}"));
    }
    if reason
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("contains a control character (only newlines and tabs are allowed)".to_owned());
    }
    Ok(())
}

/// The reply to an accepted answer: `{"accepted": true, "queued": true}`.
pub fn accepted_reply() -> Vec<u8> {
    serde_json::json!({"accepted": true, "queued": true})
        .to_string()
        .into_bytes()
}

/// The reply to a refused answer: `{"accepted": false, "error": "…"}`.
pub fn refused_reply(error: &str) -> Vec<u8> {
    serde_json::json!({"accepted": false, "error": error})
        .to_string()
        .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBJECT: &str = "autonomic.approval.wf-20261207-abc123";

    fn refused(subject: &str, payload: &str) -> AnswerError {
        match parse_answer(subject, payload.as_bytes()) {
            Ok(a) => panic!("{payload} was accepted: {a:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn a_full_answer_parses() {
        let a = parse_answer(
            SUBJECT,
            br#"{"request":"ap-x1y2z3","decision":"reject","by":"ana","reason":"not today\nsorry"}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(a.run.as_str(), "wf-20261207-abc123");
        assert_eq!(a.request.as_deref(), Some("ap-x1y2z3"));
        assert_eq!(a.decision, AnswerDecision::Reject);
        assert_eq!(a.by, "ana");
        assert_eq!(a.reason.as_deref(), Some("not today\nsorry"));
        assert_eq!(a.subject, SUBJECT);
    }

    #[test]
    fn each_bad_field_is_named() {
        let cases: &[(&str, &str)] = &[
            (r#"{"decision":"approve","by":"a","admin":true}"#, "admin"),
            (r#"{"decision":"yes","by":"a"}"#, "yes"),
            (r#"{"by":"a"}"#, "decision"),
            (r#"{"decision":"approve"}"#, "by"),
            (r#"{"decision":"approve","by":"  "}"#, "`by`"),
            (r#"{"decision":"approve","by":"a\u0007"}"#, "`by`"),
            (
                r#"{"decision":"approve","by":"a","request":"rm -rf"}"#,
                "`request`",
            ),
            (
                r#"{"decision":"approve","by":"a","reason":"\u001b[2J"}"#,
                "`reason`",
            ),
            (r#"{"decision":"approve","by":5}"#, "`by`"),
            (r#"{"decision":"approve","by":"a","reason":[]}"#, "`reason`"),
            (
                r#"{"decision":"approve","decision":"reject","by":"a"}"#,
                "duplicate field `decision`",
            ),
            ("[1]", "`decision`"),
            ("not json", SUBJECT),
        ];
        for (payload, needle) in cases {
            let e = refused(SUBJECT, payload).to_string();
            assert!(e.contains(needle), "{payload}: {e} does not name {needle}");
            assert!(
                e.contains(SUBJECT),
                "{payload}: {e} does not name the subject"
            );
        }
    }

    #[test]
    fn limits_are_counted_in_characters() {
        let by = "é".repeat(MAX_BY_CHARS);
        let ok = format!(r#"{{"decision":"approve","by":"{by}"}}"#);
        assert!(parse_answer(SUBJECT, ok.as_bytes()).is_ok());
        let long = format!(r#"{{"decision":"approve","by":"{by}x"}}"#);
        assert!(matches!(
            refused(SUBJECT, &long),
            AnswerError::Field { field: "by", .. }
        ));
        let reason = "r".repeat(MAX_REASON_CHARS + 1);
        let long = format!(r#"{{"decision":"cancel","by":"a","reason":"{reason}"}}"#);
        assert!(matches!(
            refused(SUBJECT, &long),
            AnswerError::Field {
                field: "reason",
                ..
            }
        ));
    }

    #[test]
    fn the_subject_must_carry_a_run_id() {
        let ok = r#"{"decision":"approve","by":"a"}"#;
        for subject in [
            "autonomic.approval.wf-1",
            "autonomic.approval.WF-20261207-ABC123",
            "autonomic.wf.wf-20261207-abc123",
            "autonomic.approval.",
        ] {
            assert!(
                matches!(refused(subject, ok), AnswerError::Subject { .. }),
                "{subject}"
            );
        }
    }

    #[test]
    fn an_oversized_message_is_not_parsed() {
        let big = vec![b' '; MAX_ANSWER_BYTES + 1];
        assert!(matches!(
            parse_answer(SUBJECT, &big),
            Err(AnswerError::TooLarge { .. })
        ));
    }
}
