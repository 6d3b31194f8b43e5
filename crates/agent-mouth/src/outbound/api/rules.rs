//! The GitHub API-call rule catalogue: every `gh.*` rule id, what it alone
//! decides, why, and a call it must match (run as a test, so the table and
//! the matchers cannot drift apart). Owns the table only; matching is in
//! [`super::path`], [`super::endpoints`] and [`super::body`].

use autonomic_core::Decision;

/// A call as `(method, path, body)`.
pub type ApiExample = (&'static str, &'static str, Option<&'static str>);

/// One API-call rule: a stable id, the decision a match carries, the
/// reason shown to the reader, and an example call it matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiRule {
    /// Stable identifier, e.g. `gh.repo.delete`.
    pub id: &'static str,
    /// What one match decides on its own.
    pub decision: Decision,
    /// Why, in words; never contains the matched text.
    pub reason: &'static str,
    /// A call this rule matches (`None` only where the example would be
    /// unreadable: an over-long path, an over-large body; tested apart).
    pub example: Option<ApiExample>,
}

const fn rule(
    id: &'static str,
    decision: Decision,
    reason: &'static str,
    example: Option<ApiExample>,
) -> ApiRule {
    ApiRule {
        id,
        decision,
        reason,
        example,
    }
}

use Decision::{Allow, Deny, Review};

// Method and path: checked before any endpoint is looked up.
pub(crate) const METHOD: ApiRule = rule(
    "gh.method.unknown",
    Deny,
    "only GET, POST, PUT, PATCH and DELETE are sent",
    Some(("TRACE", "/repos/o/r", None)),
);
pub(crate) const PATH_TOO_LONG: ApiRule = rule(
    "gh.path.too_long",
    Deny,
    "the path is longer than any GitHub endpoint needs",
    None,
);
pub(crate) const PATH_OTHER_HOST: ApiRule = rule(
    "gh.path.other_host",
    Deny,
    "an absolute URL to a host other than api.github.com",
    Some(("GET", "https://evil.example/repos/o/r", None)),
);
pub(crate) const PATH_RELATIVE: ApiRule = rule(
    "gh.path.relative",
    Deny,
    "the path does not start with `/`",
    Some(("GET", "repos/o/r", None)),
);
pub(crate) const PATH_CHARACTER: ApiRule = rule(
    "gh.path.character",
    Deny,
    "a character no GitHub path needs (non-ASCII, control, whitespace, `\\`, `#`)",
    Some(("GET", "/repos/o/r\\..\\hooks", None)),
);
pub(crate) const PATH_ENCODED: ApiRule = rule(
    "gh.path.encoded",
    Deny,
    "percent-encoding in the path, which can hide `/` or `.` from this check",
    Some(("POST", "/repos/o/r/issues/1/comments%2F..", None)),
);
pub(crate) const PATH_TRAVERSAL: ApiRule = rule(
    "gh.path.traversal",
    Deny,
    "a `.` or `..` segment, which makes the path mean another endpoint",
    Some(("POST", "/repos/o/r/issues/1/../../../hooks", None)),
);
pub(crate) const PATH_EMPTY_SEGMENT: ApiRule = rule(
    "gh.path.empty_segment",
    Deny,
    "an empty segment (`//` or a trailing `/`), which servers resolve differently",
    Some(("GET", "/repos/o//r", None)),
);
pub(crate) const PATH_QUERY: ApiRule = rule(
    "gh.path.query",
    Deny,
    "a query string other than plain paging and filtering parameters on a read",
    Some(("GET", "/repos/o/r/issues?access_token=x", None)),
);

// Endpoints denied outright: changes an agent must never make.
pub(crate) const REPO_DELETE: ApiRule = rule(
    "gh.repo.delete",
    Deny,
    "deleting a repository",
    Some(("DELETE", "/repos/o/r", None)),
);
pub(crate) const REPO_SETTINGS: ApiRule = rule(
    "gh.repo.settings",
    Deny,
    "changing repository settings (visibility, private, default branch, archived, …)",
    Some(("PATCH", "/repos/o/r", Some(r#"{"private":false}"#))),
);
pub(crate) const REPO_TRANSFER: ApiRule = rule(
    "gh.repo.transfer",
    Deny,
    "transferring a repository to another owner",
    Some(("POST", "/repos/o/r/transfer", Some(r#"{"new_owner":"x"}"#))),
);
pub(crate) const BRANCH_PROTECTION: ApiRule = rule(
    "gh.branch.protection",
    Deny,
    "changing branch protection (only reading it is allowed)",
    Some(("PUT", "/repos/o/r/branches/main/protection", Some("{}"))),
);
pub(crate) const RULESETS: ApiRule = rule(
    "gh.rulesets",
    Deny,
    "changing repository or organisation rulesets",
    Some(("POST", "/repos/o/r/rulesets", Some(r#"{"name":"x"}"#))),
);
pub(crate) const REF_FORCE: ApiRule = rule(
    "gh.ref.force",
    Deny,
    "force-updating a git ref, which can discard commits",
    Some((
        "PATCH",
        "/repos/o/r/git/refs/heads/main",
        Some(r#"{"sha":"aa218f56b14c9653891f9e74264a383fa43fefbd","force":true}"#),
    )),
);
pub(crate) const REF_DELETE: ApiRule = rule(
    "gh.ref.delete",
    Deny,
    "deleting a git ref (a branch or tag)",
    Some(("DELETE", "/repos/o/r/git/refs/heads/main", None)),
);
pub(crate) const SECRETS: ApiRule = rule(
    "gh.secrets",
    Deny,
    "Actions, Dependabot, Codespaces or environment secrets and variables",
    Some((
        "PUT",
        "/repos/o/r/actions/secrets/X",
        Some(r#"{"encrypted_value":"c2VjcmV0","key_id":"1"}"#),
    )),
);
pub(crate) const HOOKS: ApiRule = rule(
    "gh.hooks",
    Deny,
    "repository or organisation webhooks (they send events anywhere)",
    Some((
        "POST",
        "/repos/o/r/hooks",
        Some(r#"{"config":{"url":"https://evil.example/"}}"#),
    )),
);
pub(crate) const KEYS: ApiRule = rule(
    "gh.keys",
    Deny,
    "deploy keys, SSH, GPG or signing keys (they grant access)",
    Some((
        "POST",
        "/repos/o/r/keys",
        Some(r#"{"key":"ssh-ed25519 AAAA"}"#),
    )),
);
pub(crate) const COLLABORATORS: ApiRule = rule(
    "gh.collaborators",
    Deny,
    "collaborators, invitations, members or team permissions (who has access)",
    Some((
        "PUT",
        "/repos/o/r/collaborators/u",
        Some(r#"{"permission":"admin"}"#),
    )),
);

// Endpoints a human confirms first.
pub(crate) const PULL_MERGE: ApiRule = rule(
    "gh.pull.merge",
    Review,
    "merging a pull request",
    Some(("PUT", "/repos/o/r/pulls/7/merge", None)),
);
pub(crate) const MERGE: ApiRule = rule(
    "gh.merge",
    Review,
    "merging a branch directly",
    Some((
        "POST",
        "/repos/o/r/merges",
        Some(r#"{"base":"main","head":"feature"}"#),
    )),
);
pub(crate) const RELEASE: ApiRule = rule(
    "gh.release",
    Review,
    "creating, editing or deleting a release",
    Some((
        "POST",
        "/repos/o/r/releases",
        Some(r#"{"tag_name":"v1.0.0"}"#),
    )),
);
pub(crate) const TAG: ApiRule = rule(
    "gh.tag",
    Review,
    "creating a tag",
    Some((
        "POST",
        "/repos/o/r/git/refs",
        Some(r#"{"ref":"refs/tags/v1","sha":"aa218f56b14c9653891f9e74264a383fa43fefbd"}"#),
    )),
);
pub(crate) const PULL_APPROVE: ApiRule = rule(
    "gh.pull.approve",
    Review,
    "approving a pull request (an agent approving counts toward required reviews)",
    Some((
        "POST",
        "/repos/o/r/pulls/7/reviews",
        Some(r#"{"event":"APPROVE"}"#),
    )),
);

// Endpoints allowed (their bodies still checked).
pub(crate) const READ: ApiRule = rule(
    "gh.read",
    Allow,
    "reading a repository, its issues, pull requests, commits or statuses",
    Some(("GET", "/repos/o/r/issues?state=open&per_page=50", None)),
);
pub(crate) const COMMENT: ApiRule = rule(
    "gh.comment",
    Allow,
    "commenting on an issue or pull request",
    Some((
        "POST",
        "/repos/o/r/issues/7/comments",
        Some(r#"{"body":"LGTM"}"#),
    )),
);
pub(crate) const PULL_CREATE: ApiRule = rule(
    "gh.pull.create",
    Allow,
    "opening a pull request",
    Some((
        "POST",
        "/repos/o/r/pulls",
        Some(r#"{"title":"Fix","head":"fix","base":"main"}"#),
    )),
);
pub(crate) const STATUS: ApiRule = rule(
    "gh.status",
    Allow,
    "setting a commit status",
    Some((
        "POST",
        "/repos/o/r/statuses/aa218f56b14c9653891f9e74264a383fa43fefbd",
        Some(r#"{"state":"success","context":"autonomic"}"#),
    )),
);
pub(crate) const ISSUE_EDIT: ApiRule = rule(
    "gh.issue.edit",
    Allow,
    "editing an issue's or pull request's title, body or state",
    Some((
        "PATCH",
        "/repos/o/r/issues/7",
        Some(r#"{"state":"closed"}"#),
    )),
);
pub(crate) const PULL_REVIEW: ApiRule = rule(
    "gh.pull.review",
    Allow,
    "commenting on or requesting changes to a pull request in a review",
    Some((
        "POST",
        "/repos/o/r/pulls/7/reviews",
        Some(r#"{"event":"COMMENT","body":"nit"}"#),
    )),
);
pub(crate) const UNLISTED: ApiRule = rule(
    "gh.endpoint.unlisted",
    Deny,
    "an endpoint not on the allow-list (deny by default)",
    Some(("POST", "/user/repos", Some(r#"{"name":"x"}"#))),
);

// The body.
pub(crate) const BODY_INVALID_JSON: ApiRule = rule(
    "gh.body.invalid_json",
    Deny,
    "the body is not JSON",
    Some(("POST", "/repos/o/r/issues/7/comments", Some("{\"body\": "))),
);
pub(crate) const BODY_NOT_OBJECT: ApiRule = rule(
    "gh.body.not_object",
    Deny,
    "a write's body must be a JSON object",
    Some(("POST", "/repos/o/r/issues/7/comments", Some("[\"LGTM\"]"))),
);
pub(crate) const BODY_ON_READ: ApiRule = rule(
    "gh.body.on_read",
    Deny,
    "a GET or DELETE carries no body",
    Some(("GET", "/repos/o/r", Some("{}"))),
);
pub(crate) const BODY_FIELD: ApiRule = rule(
    "gh.body.field",
    Deny,
    "a field this endpoint's allow-list does not name",
    Some((
        "PATCH",
        "/repos/o/r/issues/7",
        Some(r#"{"assignees":["x"]}"#),
    )),
);
pub(crate) const BODY_TOO_LARGE: ApiRule = rule(
    "gh.body.too_large",
    Deny,
    "the body, or one of its strings, is larger than GitHub accepts (65,536 characters a string)",
    None,
);

/// Every API-call rule: method and path, denied, review, allowed, body.
/// Findings of the text checks inside body strings keep their own
/// `out.*` ids (see [`crate::outbound::RULES`]).
pub const API_RULES: &[ApiRule] = &[
    METHOD,
    PATH_TOO_LONG,
    PATH_OTHER_HOST,
    PATH_RELATIVE,
    PATH_CHARACTER,
    PATH_ENCODED,
    PATH_TRAVERSAL,
    PATH_EMPTY_SEGMENT,
    PATH_QUERY,
    REPO_DELETE,
    REPO_SETTINGS,
    REPO_TRANSFER,
    BRANCH_PROTECTION,
    RULESETS,
    REF_FORCE,
    REF_DELETE,
    SECRETS,
    HOOKS,
    KEYS,
    COLLABORATORS,
    PULL_MERGE,
    MERGE,
    RELEASE,
    TAG,
    PULL_APPROVE,
    READ,
    COMMENT,
    PULL_CREATE,
    STATUS,
    ISSUE_EDIT,
    PULL_REVIEW,
    UNLISTED,
    BODY_INVALID_JSON,
    BODY_NOT_OBJECT,
    BODY_ON_READ,
    BODY_FIELD,
    BODY_TOO_LARGE,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_namespaced() {
        for (i, a) in API_RULES.iter().enumerate() {
            assert!(a.id.starts_with("gh."), "{}", a.id);
            for b in &API_RULES[i + 1..] {
                assert_ne!(a.id, b.id);
            }
        }
    }
}
