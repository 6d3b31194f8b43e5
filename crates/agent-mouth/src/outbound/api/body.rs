//! The JSON body: parsed (a parse error names its line and column), every
//! string — values and keys, at any depth — checked as GitHub text by
//! [`crate::outbound::validate_outbound`] and replaced by its redacted
//! form, every string held to GitHub's 65,536-character limit, and the
//! top-level fields held to the endpoint's allow-list.

use serde_json::{Map, Value};

use super::rules::{self, ApiRule};
use super::ApiFinding;
use crate::outbound::{validate_outbound, OutChannel, OutboundMessage, OutboundPolicy};

/// Largest body parsed, in bytes.
pub(crate) const MAX_BODY_BYTES: usize = 1 << 20;

/// Most characters GitHub accepts in one text field (a comment's body).
pub(crate) const MAX_STRING_CHARS: usize = 65_536;

/// A finding of an `api` rule at `location`.
pub(crate) fn finding(rule: ApiRule, location: String, detail: &str) -> ApiFinding {
    ApiFinding {
        rule_id: rule.id,
        decision: rule.decision,
        message: if detail.is_empty() {
            rule.reason.to_owned()
        } else {
            format!("{}: {detail}", rule.reason)
        },
        location,
    }
}

/// The body parsed, or the finding that says why not.
pub(crate) fn parse(raw: &str) -> Result<Value, ApiFinding> {
    if raw.len() > MAX_BODY_BYTES {
        return Err(finding(
            rules::BODY_TOO_LARGE,
            "/".into(),
            &format!("{} bytes", raw.len()),
        ));
    }
    serde_json::from_str(raw).map_err(|e| {
        let detail = format!(
            "line {}, column {} ({:?})",
            e.line(),
            e.column(),
            e.classify()
        );
        finding(rules::BODY_INVALID_JSON, "/".into(), &detail)
    })
}

/// Checks every string in `value`; returns the value with each string
/// replaced by its redacted form, and pushes the findings.
pub(crate) fn check_strings(
    value: &Value,
    policy: &OutboundPolicy,
    pointer: &str,
    out: &mut Vec<ApiFinding>,
    hidden: &mut Vec<String>,
) -> Value {
    match value {
        Value::String(s) => Value::String(check_text(s, policy, pointer, out, hidden)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, v)| check_strings(v, policy, &format!("{pointer}/{i}"), out, hidden))
                .collect(),
        ),
        Value::Object(map) => {
            let mut redacted = Map::new();
            for (key, v) in map {
                // The key is text too: checked, redacted, and only its
                // redacted form named in a pointer.
                let mut key_findings = Vec::new();
                let safe_key = check_text(key, policy, pointer, &mut key_findings, hidden);
                let here = format!("{pointer}/{}", escape(&safe_key));
                out.extend(key_findings.into_iter().map(|mut f| {
                    f.location.clone_from(&here);
                    f
                }));
                redacted.insert(safe_key, check_strings(v, policy, &here, out, hidden));
            }
            Value::Object(redacted)
        }
        other => other.clone(),
    }
}

fn check_text(
    text: &str,
    policy: &OutboundPolicy,
    pointer: &str,
    out: &mut Vec<ApiFinding>,
    hidden: &mut Vec<String>,
) -> String {
    let location = if pointer.is_empty() { "/" } else { pointer };
    let chars = text.chars().count();
    if chars > MAX_STRING_CHARS {
        out.push(finding(
            rules::BODY_TOO_LARGE,
            location.to_owned(),
            &format!("{chars} characters"),
        ));
    }
    let verdict = validate_outbound(
        &OutboundMessage {
            channel: OutChannel::GitHub,
            text: text.to_owned(),
        },
        policy,
    )
    .verdict;
    if !verdict.findings.is_empty() {
        hidden.extend(crate::outbound::hidden_texts(
            text,
            OutChannel::GitHub,
            policy,
        ));
    }
    out.extend(verdict.findings.into_iter().map(|f| ApiFinding {
        rule_id: f.rule_id,
        decision: f.decision,
        message: f.message,
        location: location.to_owned(),
    }));
    verdict.redacted
}

/// `value` with every occurrence of a `hidden` text, in every string and
/// key, replaced by the redaction mark: a secret found in one string
/// (through its context there) must not survive where another string
/// repeats it without that context.
pub(crate) fn hide_repeats(value: Value, hidden: &[String]) -> Value {
    if hidden.is_empty() {
        return value;
    }
    let hide = |s: &str| {
        hidden.iter().fold(s.to_owned(), |acc, h| {
            acc.replace(h.as_str(), crate::outbound::redact::MARK)
        })
    };
    match value {
        Value::String(s) => Value::String(hide(&s)),
        Value::Array(items) => {
            Value::Array(items.into_iter().map(|v| hide_repeats(v, hidden)).collect())
        }
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (hide(&k), hide_repeats(v, hidden)))
                .collect(),
        ),
        other => other,
    }
}

/// Top-level fields of `body` not in `allowed` (names redacted).
pub(crate) fn check_fields(body: &Value, allowed: &[&str], out: &mut Vec<ApiFinding>) {
    let Some(map) = body.as_object() else {
        return;
    };
    for key in map.keys().filter(|k| !allowed.contains(&k.as_str())) {
        let shown: String = key.chars().take(64).collect();
        out.push(finding(
            rules::BODY_FIELD,
            format!("/{}", escape(key)),
            &format!("`{shown}` (this endpoint takes {})", allowed.join(", ")),
        ));
    }
}

/// A JSON pointer token (RFC 6901): `~` → `~0`, `/` → `~1`.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn invalid_json_names_line_and_column() {
        let f = parse("{\n  \"body\": ,\n}").unwrap_err();
        assert_eq!(f.rule_id, "gh.body.invalid_json");
        assert!(f.message.contains("line 2, column 11"), "{}", f.message);
    }

    #[test]
    fn pointers_escape_and_nest() {
        let mut out = Vec::new();
        let v = json!({"a/b": [{"c~": "@channel"}]});
        check_strings(
            &v,
            &OutboundPolicy::default(),
            "",
            &mut out,
            &mut Vec::new(),
        );
        assert_eq!(out[0].rule_id, "out.mention.channel");
        assert_eq!(out[0].location, "/a~1b/0/c~0");
    }
}
