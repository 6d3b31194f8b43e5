//! The endpoint table: which rule a (method, path, body) falls under.
//! Routes are tried in order, denied ones first, then review, then
//! allowed; the first match wins and no match is `gh.endpoint.unlisted`.
//!
//! Patterns are `/`-separated: a literal segment, `{}` any one segment,
//! `{n}` a decimal number, `{sha}` a 40-character hex commit id, and `**`
//! any number of segments (none included).

use serde_json::Value;

use super::rules::{self, ApiRule};
use super::HttpMethod;

const GET: u8 = 1;
const POST: u8 = 2;
const PUT: u8 = 4;
const PATCH: u8 = 8;
const DELETE: u8 = 16;
const ANY: u8 = GET | POST | PUT | PATCH | DELETE;
const WRITE: u8 = ANY & !GET;

/// One row: methods (a bit set), a pattern, the rule, the body fields it
/// accepts (`None`: any, the route denies anyway), and a condition on the
/// body when the rule depends on it.
pub(crate) struct Route {
    methods: u8,
    pattern: &'static str,
    pub rule: ApiRule,
    pub fields: Option<&'static [&'static str]>,
    when: Option<fn(Option<&Value>) -> bool>,
}

const fn route(methods: u8, pattern: &'static str, rule: ApiRule) -> Route {
    Route {
        methods,
        pattern,
        rule,
        fields: None,
        when: None,
    }
}

const fn with_fields(
    methods: u8,
    pattern: &'static str,
    rule: ApiRule,
    fields: &'static [&'static str],
) -> Route {
    Route {
        methods,
        pattern,
        rule,
        fields: Some(fields),
        when: None,
    }
}

const fn when(
    methods: u8,
    pattern: &'static str,
    rule: ApiRule,
    cond: fn(Option<&Value>) -> bool,
) -> Route {
    Route {
        methods,
        pattern,
        rule,
        fields: None,
        when: Some(cond),
    }
}

fn field<'a>(body: Option<&'a Value>, key: &str) -> Option<&'a Value> {
    body.and_then(|b| b.get(key))
}

fn forced(body: Option<&Value>) -> bool {
    // Anything but a literal `false` or no `force` at all counts as forced:
    // GitHub reads `"force": "true"` as true too.
    field(body, "force").is_some_and(|f| *f != Value::Bool(false) && !f.is_null())
}

fn tag_ref(body: Option<&Value>) -> bool {
    field(body, "ref")
        .and_then(Value::as_str)
        .is_some_and(|r| r.starts_with("refs/tags/"))
}

fn approves(body: Option<&Value>) -> bool {
    field(body, "event")
        .and_then(Value::as_str)
        .is_some_and(|e| e.eq_ignore_ascii_case("approve"))
}

const MERGE_FIELDS: &[&str] = &["commit_title", "commit_message", "sha", "merge_method"];
const REVIEW_FIELDS: &[&str] = &["body", "event", "commit_id", "comments"];
const PULL_FIELDS: &[&str] = &[
    "title",
    "head",
    "head_repo",
    "base",
    "body",
    "draft",
    "maintainer_can_modify",
    "issue",
];
const REVIEW_COMMENT_FIELDS: &[&str] = &[
    "body",
    "commit_id",
    "path",
    "line",
    "side",
    "start_line",
    "start_side",
    "subject_type",
    "in_reply_to",
];

use rules::*;

/// The table, in the order it is tried.
pub(crate) const ROUTES: &[Route] = &[
    // Denied.
    route(DELETE, "repos/{}/{}", REPO_DELETE),
    route(PATCH, "repos/{}/{}", REPO_SETTINGS),
    route(POST, "repos/{}/{}/transfer", REPO_TRANSFER),
    route(
        WRITE,
        "repos/{}/{}/branches/**/protection/**",
        BRANCH_PROTECTION,
    ),
    route(ANY, "repos/{}/{}/rulesets/**", RULESETS),
    route(ANY, "orgs/{}/rulesets/**", RULESETS),
    route(DELETE, "repos/{}/{}/git/refs/**", REF_DELETE),
    when(POST | PATCH, "repos/{}/{}/git/refs/**", REF_FORCE, forced),
    route(ANY, "repos/{}/{}/actions/secrets/**", SECRETS),
    route(ANY, "repos/{}/{}/actions/variables/**", SECRETS),
    route(ANY, "repos/{}/{}/actions/organization-secrets/**", SECRETS),
    route(
        ANY,
        "repos/{}/{}/actions/organization-variables/**",
        SECRETS,
    ),
    route(ANY, "repos/{}/{}/environments/**/secrets/**", SECRETS),
    route(ANY, "repos/{}/{}/environments/**/variables/**", SECRETS),
    route(ANY, "repos/{}/{}/dependabot/secrets/**", SECRETS),
    route(ANY, "repos/{}/{}/codespaces/secrets/**", SECRETS),
    route(ANY, "orgs/{}/actions/secrets/**", SECRETS),
    route(ANY, "orgs/{}/actions/variables/**", SECRETS),
    route(ANY, "orgs/{}/dependabot/secrets/**", SECRETS),
    route(ANY, "orgs/{}/codespaces/secrets/**", SECRETS),
    route(ANY, "user/codespaces/secrets/**", SECRETS),
    route(ANY, "repos/{}/{}/hooks/**", HOOKS),
    route(ANY, "orgs/{}/hooks/**", HOOKS),
    route(ANY, "repos/{}/{}/keys/**", KEYS),
    route(ANY, "user/keys/**", KEYS),
    route(ANY, "user/gpg_keys/**", KEYS),
    route(ANY, "user/ssh_signing_keys/**", KEYS),
    route(ANY, "repos/{}/{}/collaborators/**", COLLABORATORS),
    route(ANY, "repos/{}/{}/invitations/**", COLLABORATORS),
    route(ANY, "repos/{}/{}/teams/**", COLLABORATORS),
    route(ANY, "orgs/{}/teams/**", COLLABORATORS),
    route(ANY, "orgs/{}/members/**", COLLABORATORS),
    route(ANY, "orgs/{}/memberships/**", COLLABORATORS),
    route(ANY, "orgs/{}/invitations/**", COLLABORATORS),
    route(ANY, "orgs/{}/outside_collaborators/**", COLLABORATORS),
    route(ANY, "user/repository_invitations/**", COLLABORATORS),
    route(ANY, "teams/**", COLLABORATORS),
    // A human confirms first.
    with_fields(PUT, "repos/{}/{}/pulls/{n}/merge", PULL_MERGE, MERGE_FIELDS),
    with_fields(
        POST,
        "repos/{}/{}/merges",
        MERGE,
        &["base", "head", "commit_message"],
    ),
    route(POST | PATCH | DELETE, "repos/{}/{}/releases/**", RELEASE),
    when(POST, "repos/{}/{}/git/refs", TAG, tag_ref),
    route(POST, "repos/{}/{}/git/tags", TAG),
    Route {
        when: Some(approves),
        fields: Some(REVIEW_FIELDS),
        ..route(POST, "repos/{}/{}/pulls/{n}/reviews", PULL_APPROVE)
    },
    // Allowed.
    with_fields(POST, "repos/{}/{}/issues/{n}/comments", COMMENT, &["body"]),
    with_fields(
        POST,
        "repos/{}/{}/pulls/{n}/comments",
        COMMENT,
        REVIEW_COMMENT_FIELDS,
    ),
    with_fields(POST, "repos/{}/{}/pulls", PULL_CREATE, PULL_FIELDS),
    with_fields(
        POST,
        "repos/{}/{}/statuses/{sha}",
        STATUS,
        &["state", "target_url", "description", "context"],
    ),
    with_fields(
        PATCH,
        "repos/{}/{}/issues/{n}",
        ISSUE_EDIT,
        &["title", "body", "state", "state_reason"],
    ),
    with_fields(
        PATCH,
        "repos/{}/{}/pulls/{n}",
        ISSUE_EDIT,
        &["title", "body", "state"],
    ),
    with_fields(
        POST,
        "repos/{}/{}/pulls/{n}/reviews",
        PULL_REVIEW,
        REVIEW_FIELDS,
    ),
    route(GET, "repos/{}/{}", READ),
    route(GET, "repos/{}/{}/issues", READ),
    route(GET, "repos/{}/{}/issues/{n}", READ),
    route(GET, "repos/{}/{}/issues/{n}/comments", READ),
    route(GET, "repos/{}/{}/issues/comments/{n}", READ),
    route(GET, "repos/{}/{}/pulls", READ),
    route(GET, "repos/{}/{}/pulls/{n}", READ),
    route(GET, "repos/{}/{}/pulls/{n}/files", READ),
    route(GET, "repos/{}/{}/pulls/{n}/commits", READ),
    route(GET, "repos/{}/{}/pulls/{n}/comments", READ),
    route(GET, "repos/{}/{}/pulls/{n}/reviews", READ),
    route(GET, "repos/{}/{}/commits", READ),
    route(GET, "repos/{}/{}/commits/{}", READ),
    route(GET, "repos/{}/{}/commits/{}/status", READ),
    route(GET, "repos/{}/{}/commits/{}/statuses", READ),
    route(GET, "repos/{}/{}/branches/**", READ),
    route(GET, "repos/{}/{}/labels", READ),
];

fn bit(method: HttpMethod) -> u8 {
    match method {
        HttpMethod::Get => GET,
        HttpMethod::Post => POST,
        HttpMethod::Put => PUT,
        HttpMethod::Patch => PATCH,
        HttpMethod::Delete => DELETE,
    }
}

/// The first route matching; `None` means unlisted.
pub(crate) fn lookup(
    method: HttpMethod,
    segments: &[String],
    body: Option<&Value>,
) -> Option<&'static Route> {
    let segs: Vec<&str> = segments.iter().map(String::as_str).collect();
    ROUTES.iter().find(|r| {
        r.methods & bit(method) != 0
            && matches(&r.pattern.split('/').collect::<Vec<_>>(), &segs)
            && r.when.is_none_or(|cond| cond(body))
    })
}

fn matches(pattern: &[&str], segs: &[&str]) -> bool {
    match (pattern.first(), segs.first()) {
        (None, None) => true,
        (Some(&"**"), _) => (0..=segs.len()).any(|skip| matches(&pattern[1..], &segs[skip..])),
        (Some(p), Some(s)) => segment(p, s) && matches(&pattern[1..], &segs[1..]),
        _ => false,
    }
}

fn segment(pattern: &str, seg: &str) -> bool {
    match pattern {
        "{}" => true,
        "{n}" => (1..=20).contains(&seg.len()) && seg.bytes().all(|b| b.is_ascii_digit()),
        "{sha}" => seg.len() == 40 && seg.bytes().all(|b| b.is_ascii_hexdigit()),
        literal => literal == seg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(method: HttpMethod, path: &str, body: Option<Value>) -> &'static str {
        let segs: Vec<String> = path.split('/').map(str::to_owned).collect();
        lookup(method, &segs, body.as_ref()).map_or("gh.endpoint.unlisted", |r| r.rule.id)
    }

    #[test]
    fn globs() {
        let p = |s: &'static str| s.split('/').collect::<Vec<_>>();
        assert!(matches(&p("a/**"), &["a"]));
        assert!(matches(&p("a/**/c/**"), &["a", "b", "x", "c"]));
        assert!(!matches(&p("a/**/c/**"), &["a", "b"]));
        assert!(!matches(&p("a/{n}"), &["a", "1x"]));
    }

    #[test]
    fn protection_under_any_branch_name() {
        use HttpMethod::*;
        let path = "repos/o/r/branches/feature/x/protection/required_status_checks";
        assert_eq!(id(Patch, path, None), "gh.branch.protection");
        assert_eq!(
            id(Delete, "repos/o/r/branches/main/protection", None),
            "gh.branch.protection"
        );
        assert_eq!(id(Get, path, None), "gh.read");
    }

    #[test]
    fn refs_depend_on_the_body() {
        use serde_json::json;
        use HttpMethod::*;
        let path = "repos/o/r/git/refs/heads/main";
        assert_eq!(
            id(Patch, path, Some(json!({"force": true}))),
            "gh.ref.force"
        );
        assert_eq!(
            id(Patch, path, Some(json!({"force": "true"}))),
            "gh.ref.force"
        );
        assert_eq!(id(Patch, path, Some(json!({"force": 1}))), "gh.ref.force");
        assert_eq!(
            id(Patch, path, Some(json!({"force": false}))),
            "gh.endpoint.unlisted"
        );
        assert_eq!(
            id(Patch, path, Some(json!({"sha": "a"}))),
            "gh.endpoint.unlisted"
        );
        let refs = "repos/o/r/git/refs";
        assert_eq!(
            id(Post, refs, Some(json!({"ref": "refs/tags/v1"}))),
            "gh.tag"
        );
        assert_eq!(
            id(Post, refs, Some(json!({"ref": "refs/heads/x"}))),
            "gh.endpoint.unlisted"
        );
    }
}
