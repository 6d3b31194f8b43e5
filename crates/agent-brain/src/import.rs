//! Reading facts for a bulk import: one JSON object per line.
//!
//! ```json
//! {"project": "web", "content": "Deploys go through ./deploy.sh", "key": "deploy.command",
//!  "confidence": 0.9, "valid_from": "2024-05-01T10:00:00Z", "tags": ["ops"], "source": "wiki"}
//! ```
//!
//! Fields: `content` (required); the scope — `"global": true`, or `project`
//! with an optional `session` (one of the two is required: a fact is never
//! global by omission); `key` (the subject), `confidence` (default 1),
//! `valid_from` / `invalid_at` (RFC 3339: when the fact was true, which is
//! what ranking's recency and "as of" use), `tags`, `source` (default
//! `import`). Unknown fields are errors, so a misspelt field is not silently
//! dropped. This module parses and checks; storing a batch all-or-nothing is
//! [`crate::Brain::remember_many`], and the batching is the caller's.

use serde::Deserialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::fact::{NewFact, Scope};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    content: String,
    #[serde(default)]
    global: bool,
    project: Option<String>,
    session: Option<String>,
    key: Option<String>,
    confidence: Option<f64>,
    valid_from: Option<String>,
    invalid_at: Option<String>,
    #[serde(default)]
    tags: Vec<String>,
    source: Option<String>,
}

/// A line that is not a fact: why, naming the field when one is at fault.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct LineError(String);

/// Parses and checks one line of an import file.
///
/// # Errors
///
/// Malformed JSON, a missing or unknown field, a bad time, a scope that is
/// both global and a project's, or a fact [`NewFact::validate`] refuses.
pub fn parse_line(text: &str) -> Result<NewFact, LineError> {
    let line: Line = serde_json::from_str(text).map_err(|e| LineError(e.to_string()))?;
    let scope = match (line.global, line.project, line.session) {
        (true, None, None) => Scope::Global,
        (true, _, _) => {
            return Err(LineError(
                "`global` and `project`/`session` together: a fact has one scope".into(),
            ))
        }
        (false, Some(project), Some(session)) => Scope::Session { project, session },
        (false, Some(project), None) => Scope::Project(project),
        (false, None, Some(_)) => return Err(LineError("`session` needs its `project`".into())),
        (false, None, None) => {
            return Err(LineError(
                "no scope: give `project` (and `session`), or `\"global\": true`".into(),
            ))
        }
    };
    let mut fact = NewFact::new(scope, line.content);
    fact.subject = line.key;
    fact.confidence = line.confidence.unwrap_or(1.0);
    fact.valid_from = time_field("valid_from", line.valid_from.as_deref())?;
    fact.invalid_at = time_field("invalid_at", line.invalid_at.as_deref())?;
    fact.tags = line.tags;
    fact.source = line.source.unwrap_or_else(|| "import".to_owned());
    fact.validate().map_err(|e| LineError(e.to_string()))?;
    Ok(fact)
}

fn time_field(name: &str, value: Option<&str>) -> Result<Option<OffsetDateTime>, LineError> {
    value
        .map(|v| {
            OffsetDateTime::parse(v, &Rfc3339)
                .map_err(|e| LineError(format!("`{name}`: `{v}` is not an RFC 3339 time ({e})")))
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_line_becomes_a_fact() {
        let f = parse_line(
            r#"{"project":"web","session":"s1","content":"ship it","key":"k","confidence":0.5,
               "valid_from":"2024-05-01T10:00:00Z","invalid_at":"2024-06-01T00:00:00Z",
               "tags":["a","b"],"source":"wiki"}"#,
        )
        .unwrap();
        assert_eq!(
            f.scope,
            Scope::Session {
                project: "web".into(),
                session: "s1".into()
            }
        );
        assert_eq!(f.subject.as_deref(), Some("k"));
        assert_eq!(f.valid_from.unwrap().year(), 2024);
        assert_eq!(f.tags, ["a", "b"]);
        assert_eq!(f.source, "wiki");
        assert_eq!(
            parse_line(r#"{"global":true,"content":"x"}"#)
                .unwrap()
                .scope,
            Scope::Global
        );
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        for (line, says) in [
            (r#"{"content":"x"}"#, "no scope"),
            (r#"{"project":"p"}"#, "content"),
            (
                r#"{"project":"p","content":"x","colour":"red"}"#,
                "unknown field `colour`",
            ),
            (
                r#"{"project":"p","content":"x","valid_from":"yesterday"}"#,
                "`valid_from`",
            ),
            (
                r#"{"global":true,"project":"p","content":"x"}"#,
                "one scope",
            ),
            (r#"{"session":"s","content":"x"}"#, "needs its `project`"),
            (
                r#"{"project":"p","content":"x","confidence":3}"#,
                "confidence",
            ),
            (r#"{"project":"p","content":"   "}"#, "empty"),
            ("not json", "expected"),
        ] {
            let e = parse_line(line).unwrap_err().to_string();
            assert!(e.contains(says), "{line}: {e}");
        }
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Any text: a fact or an error, never a panic.
        #[test]
        fn any_line_is_a_fact_or_an_error(line in "\\PC{0,200}") {
            let _ = parse_line(&line);
        }

        /// A generated line's fields come back as written.
        #[test]
        fn fields_round_trip(
            project in "[a-z][a-z0-9-]{0,20}",
            content in "[A-Za-z][A-Za-z0-9 .,'-]{0,80}",
            confidence in 0.0f64..=1.0,
            tags in proptest::collection::vec("[a-z]{1,10}", 0..5),
        ) {
            let line = serde_json::json!({
                "project": project, "content": content, "confidence": confidence, "tags": tags,
            })
            .to_string();
            let f = parse_line(&line).unwrap();
            prop_assert_eq!(f.scope, Scope::Project(project));
            prop_assert_eq!(f.content, content);
            // serde_json parses floats to within one unit in the last place
            // (its `float_roundtrip` feature is off).
            prop_assert!((f.confidence - confidence).abs() <= 1e-15, "{} {}", f.confidence, confidence);
            prop_assert_eq!(f.tags, tags);
            prop_assert_eq!(f.source, "import");
        }
    }
}
