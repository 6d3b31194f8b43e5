//! GitHub REST calls an LLM writes, checked before any is sent: a pure
//! function from an [`ApiCall`] (method, path, JSON body) and an
//! [`OutboundPolicy`] to an [`ApiVerdict`] and, unless it denies, a
//! [`ValidatedApiCall`] — the only thing the GitHub transport sends.
//!
//! In order: the method; the path, normalised and
//! refused on anything that could resolve elsewhere (`..`, `//`,
//! percent-encoding, other hosts, non-ASCII, query tricks); the body,
//! parsed, every string in it checked as GitHub text by
//! [`validate_outbound`](crate::outbound::validate_outbound) (secrets deny
//! and are redacted, team mentions deny, unlisted links review) and held to
//! GitHub's size limits; then the endpoint (the table in `endpoints.rs`): denied outright
//! (deleting repositories, branch protection, rulesets, force-pushes,
//! secrets, hooks, keys, access), for review (merges, releases, tags,
//! approvals), allowed (reads, comments, pull requests, statuses, issue
//! edits, reviews) with the body fields each allows, and anything else
//! denied (`gh.endpoint.unlisted`). Rule ids and examples: [`API_RULES`].
//!
//! No network, no I/O, no panics on any input.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::outbound::{validate_api_call, ApiCall, OutboundPolicy};
//! use agent_mouth::Decision;
//!
//! let policy = OutboundPolicy::default();
//! let call = ApiCall {
//!     method: "DELETE".into(),
//!     path: "/repos/octo/app".into(),
//!     body: None,
//! };
//! let out = validate_api_call(&call, &policy);
//! assert_eq!(out.verdict.decision, Decision::Deny);
//! assert_eq!(out.verdict.findings[0].rule_id, "gh.repo.delete");
//! assert!(out.validated.is_none());
//!
//! let call = ApiCall {
//!     method: "POST".into(),
//!     path: "/repos/octo/app/issues/7/comments".into(),
//!     body: Some(r#"{"body": "Tests pass on the fix."}"#.into()),
//! };
//! let ok = validate_api_call(&call, &policy).validated.expect("allowed");
//! assert_eq!(ok.decision(), Decision::Allow);
//! assert_eq!(ok.body(), Some(r#"{"body":"Tests pass on the fix."}"#));
//! ```

mod body;
mod endpoints;
mod path;
mod rules;

use autonomic_core::Decision;
use serde::Serialize;

pub use rules::{ApiExample, ApiRule, API_RULES};

use super::OutboundPolicy;

/// Most characters GitHub accepts in one text field, such as a comment's
/// body; a longer string denies (`gh.body.too_large`).
pub const MAX_GITHUB_TEXT_CHARS: usize = body::MAX_STRING_CHARS;

/// The HTTP methods a GitHub call may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum HttpMethod {
    /// `GET`: a read.
    Get,
    /// `POST`: create.
    Post,
    /// `PUT`: replace (merging a pull request).
    Put,
    /// `PATCH`: edit.
    Patch,
    /// `DELETE`: remove.
    Delete,
}

impl HttpMethod {
    /// The method's name as sent (`GET`).
    pub fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Patch => "PATCH",
            HttpMethod::Delete => "DELETE",
        }
    }
}

impl std::fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A GitHub REST call as written (by an LLM, a tool call, a helper).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiCall {
    /// `GET`, `POST`, `PUT`, `PATCH` or `DELETE` (all caps or all lower).
    pub method: String,
    /// The path under the API root (`/repos/o/r/issues/1/comments`), or an
    /// absolute `https://api.github.com/…` URL; a query string only on reads.
    pub path: String,
    /// The JSON body, if any.
    pub body: Option<String>,
}

/// One rule that matched a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiFinding {
    /// A `gh.*` id from [`API_RULES`], or an `out.*` id from
    /// [`RULES`](crate::outbound::RULES) for what was found in a string.
    pub rule_id: &'static str,
    /// What this finding alone decides.
    pub decision: Decision,
    /// Why, in words. Never contains a matched secret.
    pub message: String,
    /// Where: `method`, `path`, or a JSON pointer into the body (`/body`,
    /// `/comments/0/body`; `/` for the body as a whole), with any secret in
    /// a key redacted.
    pub location: String,
}

/// The answer for one call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiVerdict {
    /// The strictest decision over all findings.
    pub decision: Decision,
    /// Every finding: method and path first, then the body, then the
    /// endpoint's own (`gh.read`, `gh.comment`, …, which always appears
    /// once the path is sound).
    pub findings: Vec<ApiFinding>,
    /// The body with every secret redacted, as compact JSON; `None` when
    /// there was no body or it could not be parsed.
    pub redacted_body: Option<String>,
}

/// What [`validate_api_call`] returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiOutcome {
    /// Decision, findings and redacted body.
    pub verdict: ApiVerdict,
    /// `Some` exactly when `verdict.decision` is not deny.
    pub validated: Option<ValidatedApiCall>,
}

/// A call that passed validation, the only thing the GitHub transport
/// sends, so nothing unvalidated reaches the API.
///
/// Only [`validate_api_call`] builds one: the fields are private, and there
/// is no public constructor, `Default` or `Deserialize`. Its
/// [`decision`](Self::decision) is never deny: `Allow` may be sent,
/// `Review` only after a human confirms.
///
/// ```compile_fail
/// use agent_mouth::outbound::{HttpMethod, ValidatedApiCall};
/// let forged = ValidatedApiCall { method: HttpMethod::Delete, path: "/repos/o/r".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidatedApiCall {
    method: HttpMethod,
    path: String,
    body: Option<String>,
    decision: Decision,
    findings: Vec<ApiFinding>,
}

impl ValidatedApiCall {
    /// The method.
    pub fn method(&self) -> HttpMethod {
        self.method
    }

    /// The normalised path under the API root, query included.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The body to send (compact JSON, redacted where anything was).
    pub fn body(&self) -> Option<&str> {
        self.body.as_deref()
    }

    /// `Allow`, or `Review` (a human confirms before it is sent).
    pub fn decision(&self) -> Decision {
        self.decision
    }

    /// What was found (all of it allowed or for review).
    pub fn findings(&self) -> &[ApiFinding] {
        &self.findings
    }
}

/// Validates one GitHub REST call against `policy`. Pure: no network, no
/// I/O.
pub fn validate_api_call(call: &ApiCall, policy: &OutboundPolicy) -> ApiOutcome {
    let mut findings = Vec::new();
    let method = path::method(&call.method)
        .map_err(|(rule, detail)| findings.push(body::finding(rule, "method".into(), &detail)))
        .ok();
    let checked = method.and_then(|m| {
        path::check(m, &call.path)
            .map_err(|(rule, detail)| findings.push(body::finding(rule, "path".into(), &detail)))
            .ok()
    });
    if let Some(p) = &checked {
        path_secrets(&p.text, policy, &mut findings);
    }

    let parsed = call
        .body
        .as_deref()
        .and_then(|raw| body::parse(raw).map_err(|f| findings.push(f)).ok());
    let mut hidden = Vec::new();
    let redacted = parsed
        .as_ref()
        .map(|v| body::check_strings(v, policy, "", &mut findings, &mut hidden))
        .map(|v| body::hide_repeats(v, &hidden));

    if let (Some(m), Some(p)) = (method, &checked) {
        endpoint(m, p, parsed.as_ref(), redacted.as_ref(), &mut findings);
    }

    let decision = findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Deny);
    let redacted_body = redacted.as_ref().map(Value::to_string);
    let validated = match (method, checked) {
        (Some(method), Some(p)) if decision != Decision::Deny => Some(ValidatedApiCall {
            method,
            path: p.text,
            body: redacted_body.clone(),
            decision,
            findings: findings.clone(),
        }),
        _ => None,
    };
    ApiOutcome {
        verdict: ApiVerdict {
            decision,
            findings,
            redacted_body,
        },
        validated,
    }
}

use serde_json::Value;

/// The endpoint's rule, and the body's shape and fields for it.
fn endpoint(
    method: HttpMethod,
    p: &path::CheckedPath,
    parsed: Option<&Value>,
    redacted: Option<&Value>,
    out: &mut Vec<ApiFinding>,
) {
    let write = matches!(
        method,
        HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch
    );
    if let Some(v) = parsed {
        if !write {
            out.push(body::finding(rules::BODY_ON_READ, "/".into(), ""));
        } else if !v.is_object() {
            out.push(body::finding(rules::BODY_NOT_OBJECT, "/".into(), ""));
        }
    }
    let segments = &p.segments;
    match endpoints::lookup(method, segments, parsed) {
        Some(route) => {
            out.push(body::finding(route.rule, "path".into(), ""));
            if let (Some(fields), Some(v)) = (route.fields, redacted) {
                body::check_fields(v, fields, out);
            }
        }
        None => out.push(body::finding(
            rules::UNLISTED,
            "path".into(),
            &format!("{method} {}", route_shape(segments)),
        )),
    }
}

/// The route asked for, without echoing names or values: segments that
/// look like route words (lowercase letters, `_`, `-`, at most 32) shown,
/// numbers as `{n}`, anything else as `{}`.
fn route_shape(segments: &[String]) -> String {
    let mut out = String::new();
    for (i, s) in segments.iter().enumerate() {
        out.push('/');
        let named = matches!(segments[0].as_str(), "repos" | "orgs" | "users")
            && (i == 1 || (i == 2 && segments[0] == "repos"));
        let word = s.len() <= 32
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-');
        if !named && word {
            out.push_str(s);
        } else if !named && s.bytes().all(|b| b.is_ascii_digit()) {
            out.push_str("{n}");
        } else {
            out.push_str("{}");
        }
    }
    out
}

/// Secrets written into the path itself (not links or mentions, which a
/// path cannot carry).
fn path_secrets(path: &str, policy: &OutboundPolicy, out: &mut Vec<ApiFinding>) {
    let verdict = super::validate_outbound(
        &super::OutboundMessage {
            channel: super::OutChannel::GitHub,
            text: path.to_owned(),
        },
        policy,
    )
    .verdict;
    out.extend(
        verdict
            .findings
            .into_iter()
            .filter(|f| f.rule_id.starts_with("out.secret."))
            .map(|f| ApiFinding {
                rule_id: f.rule_id,
                decision: Decision::Deny,
                message: f.message,
                location: "path".into(),
            }),
    );
}
