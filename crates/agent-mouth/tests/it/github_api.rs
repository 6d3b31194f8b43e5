//! GitHub REST calls through `validate_api_call`: every catalogue rule's
//! example, the attacks the policy exists for (repository deletion,
//! branch protection, force-pushes, secrets, hooks, access, path tricks,
//! secrets and team mentions in bodies), and properties: arbitrary calls
//! never panic, a GitHub token anywhere in a body always denies and never
//! survives.

use agent_mouth::outbound::{
    validate_api_call, ApiCall, ApiOutcome, HttpMethod, OutboundPolicy, ValidatedApiCall,
    API_RULES, MAX_GITHUB_TEXT_CHARS,
};
use agent_mouth::Decision;
use proptest::prelude::*;
use serde_json::json;

use crate::outbound::{base62_body, token};

const SHA: &str = "aa218f56b14c9653891f9e74264a383fa43fefbd";

fn policy() -> OutboundPolicy {
    OutboundPolicy {
        allowed_hosts: vec!["github.com".into()],
        ..OutboundPolicy::default()
    }
}

fn call(method: &str, path: &str, body: Option<&str>) -> ApiOutcome {
    let c = ApiCall {
        method: method.into(),
        path: path.into(),
        body: body.map(str::to_owned),
    };
    validate_api_call(&c, &policy())
}

fn ids(out: &ApiOutcome) -> Vec<&'static str> {
    out.verdict.findings.iter().map(|f| f.rule_id).collect()
}

/// Asserts the call gets `decision` with a finding of `rule`.
#[track_caller]
fn assert_call(method: &str, path: &str, body: Option<&str>, decision: Decision, rule: &str) {
    let out = call(method, path, body);
    assert_eq!(
        out.verdict.decision, decision,
        "{method} {path}: {:?}",
        out.verdict.findings
    );
    assert!(
        ids(&out).contains(&rule),
        "{rule} not among {:?} for {method} {path}",
        ids(&out)
    );
    assert_eq!(out.validated.is_some(), decision != Decision::Deny);
}

#[test]
fn every_rule_example_matches_its_rule() {
    for rule in API_RULES {
        let Some((method, path, body)) = rule.example else {
            assert!(
                ["gh.path.too_long", "gh.body.too_large"].contains(&rule.id),
                "{} has no example",
                rule.id
            );
            continue;
        };
        assert_call(method, path, body, rule.decision, rule.id);
    }
}

#[test]
fn attacks_are_denied() {
    let force = format!(r#"{{"sha":"{SHA}","force":true}}"#);
    for (method, path, body, rule) in [
        ("DELETE", "/repos/o/r", None, "gh.repo.delete"),
        (
            "PUT",
            "/repos/o/r/branches/main/protection",
            Some(r#"{"required_status_checks":null,"enforce_admins":false}"#),
            "gh.branch.protection",
        ),
        (
            "DELETE",
            "/repos/o/r/branches/main/protection/enforce_admins",
            None,
            "gh.branch.protection",
        ),
        (
            "PATCH",
            "/repos/o/r/git/refs/heads/main",
            Some(force.as_str()),
            "gh.ref.force",
        ),
        (
            "DELETE",
            "/repos/o/r/git/refs/heads/main",
            None,
            "gh.ref.delete",
        ),
        (
            "PUT",
            "/repos/o/r/actions/secrets/X",
            Some(r#"{"encrypted_value":"abc","key_id":"1"}"#),
            "gh.secrets",
        ),
        (
            "POST",
            "/repos/o/r/actions/variables",
            Some(r#"{"name":"X","value":"y"}"#),
            "gh.secrets",
        ),
        (
            "PUT",
            "/orgs/o/dependabot/secrets/X",
            Some("{}"),
            "gh.secrets",
        ),
        (
            "PUT",
            "/user/codespaces/secrets/X",
            Some("{}"),
            "gh.secrets",
        ),
        (
            "POST",
            "/repos/o/r/hooks",
            Some(r#"{"config":{"url":"https://evil.example/h"}}"#),
            "gh.hooks",
        ),
        ("POST", "/orgs/o/hooks", Some("{}"), "gh.hooks"),
        (
            "POST",
            "/repos/o/r/keys",
            Some(r#"{"key":"ssh-ed25519 AAAA","read_only":false}"#),
            "gh.keys",
        ),
        (
            "PUT",
            "/repos/o/r/collaborators/u",
            Some(r#"{"permission":"admin"}"#),
            "gh.collaborators",
        ),
        (
            "PUT",
            "/orgs/o/teams/t/repos/o/r",
            Some(r#"{"permission":"admin"}"#),
            "gh.collaborators",
        ),
        (
            "PATCH",
            "/repos/o/r",
            Some(r#"{"visibility":"public"}"#),
            "gh.repo.settings",
        ),
        (
            "PATCH",
            "/repos/o/r",
            Some(r#"{"default_branch":"evil"}"#),
            "gh.repo.settings",
        ),
        (
            "POST",
            "/repos/o/r/transfer",
            Some(r#"{"new_owner":"evil"}"#),
            "gh.repo.transfer",
        ),
        (
            "PUT",
            "/repos/o/r/rulesets/1",
            Some(r#"{"enforcement":"disabled"}"#),
            "gh.rulesets",
        ),
        (
            "POST",
            "/repos/o/r/issues/1/../../../hooks",
            Some("{}"),
            "gh.path.traversal",
        ),
        (
            "POST",
            "/repos/o/r/issues/1/comments%2F..",
            Some(r#"{"body":"x"}"#),
            "gh.path.encoded",
        ),
        (
            "GET",
            "https://evil.example/repos/o/r",
            None,
            "gh.path.other_host",
        ),
        (
            "GET",
            "/repos/o/r?per_page=1&access_token=x",
            None,
            "gh.path.query",
        ),
        (
            "POST",
            "/user/repos",
            Some(r#"{"name":"x"}"#),
            "gh.endpoint.unlisted",
        ),
        (
            "DELETE",
            "/repos/o/r/issues/1",
            None,
            "gh.endpoint.unlisted",
        ),
    ] {
        assert_call(method, path, body, Decision::Deny, rule);
    }
}

#[test]
fn the_unlisted_finding_does_not_echo_names() {
    let out = call("POST", "/repos/secret-owner/secret-repo/forks", Some("{}"));
    let f = out
        .verdict
        .findings
        .iter()
        .find(|f| f.rule_id == "gh.endpoint.unlisted")
        .unwrap();
    assert_eq!(
        f.message,
        "an endpoint not on the allow-list (deny by default): POST /repos/{}/{}/forks"
    );
}

#[test]
fn merges_releases_and_tags_are_reviewed() {
    for (method, path, body, rule) in [
        ("PUT", "/repos/o/r/pulls/7/merge", None, "gh.pull.merge"),
        (
            "PUT",
            "/repos/o/r/pulls/7/merge",
            Some(r#"{"merge_method":"squash"}"#),
            "gh.pull.merge",
        ),
        (
            "PATCH",
            "/repos/o/r/releases/1",
            Some(r#"{"draft":false}"#),
            "gh.release",
        ),
        ("DELETE", "/repos/o/r/releases/1", None, "gh.release"),
        (
            "POST",
            "/repos/o/r/git/tags",
            Some(r#"{"tag":"v1"}"#),
            "gh.tag",
        ),
        (
            "POST",
            "/repos/o/r/pulls/7/reviews",
            Some(r#"{"event":"approve"}"#),
            "gh.pull.approve",
        ),
    ] {
        assert_call(method, path, body, Decision::Review, rule);
    }
}

#[test]
fn the_everyday_calls_are_allowed() {
    let status = format!("/repos/o/r/statuses/{SHA}");
    for (method, path, body, rule) in [
        ("GET", "/repos/o/r", None, "gh.read"),
        (
            "get",
            "https://api.github.com/repos/o/r/pulls/7/files",
            None,
            "gh.read",
        ),
        ("GET", "/repos/o/r/commits/main/status", None, "gh.read"),
        (
            "GET",
            "/repos/o/r/branches/main/protection",
            None,
            "gh.read",
        ),
        (
            "POST",
            "/repos/o/r/issues/7/comments",
            Some(r#"{"body":"See https://github.com/o/r/pull/8"}"#),
            "gh.comment",
        ),
        (
            "POST",
            "/repos/o/r/pulls",
            Some(r#"{"title":"Fix","head":"fix","base":"main","body":"Fixes #7","draft":true}"#),
            "gh.pull.create",
        ),
        (
            "POST",
            status.as_str(),
            Some(
                r#"{"state":"failure","target_url":"https://github.com/o/r/actions","description":"2 tests failed","context":"autonomic/ci"}"#,
            ),
            "gh.status",
        ),
        (
            "PATCH",
            "/repos/o/r/pulls/7",
            Some(r#"{"title":"Better title"}"#),
            "gh.issue.edit",
        ),
        (
            "POST",
            "/repos/o/r/pulls/7/reviews",
            Some(
                r#"{"event":"REQUEST_CHANGES","body":"Please add a test","comments":[{"path":"a.rs","line":3,"body":"here"}]}"#,
            ),
            "gh.pull.review",
        ),
    ] {
        assert_call(method, path, body, Decision::Allow, rule);
    }
}

#[test]
fn validated_calls_carry_the_normalised_request() {
    let out = call(
        "post",
        "https://api.github.com/repos/o/r/issues/7/comments",
        Some("{ \"body\" : \"done\" }"),
    );
    let v = out.validated.expect("allowed");
    assert_eq!(v.method(), HttpMethod::Post);
    assert_eq!(v.path(), "/repos/o/r/issues/7/comments");
    assert_eq!(v.body(), Some(r#"{"body":"done"}"#));
    assert_eq!(v.decision(), Decision::Allow);
    assert_eq!(v.findings()[0].rule_id, "gh.comment");
}

#[test]
fn a_comment_with_an_aws_key_denies_and_is_redacted() {
    let body = json!({"body": "creds: AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"})
        .to_string();
    let out = call("POST", "/repos/o/r/issues/7/comments", Some(&body));
    assert_eq!(out.verdict.decision, Decision::Deny);
    assert!(
        ids(&out).contains(&"out.secret.aws_access_key_id"),
        "{:?}",
        ids(&out)
    );
    let f = &out.verdict.findings[0];
    assert_eq!(f.location, "/body");
    let redacted = out.verdict.redacted_body.as_deref().unwrap();
    assert!(!redacted.contains("IOSFODNN7EXAMPLE"), "{redacted}");
    assert!(!redacted.contains("bPxRfiCYEXAMPLEKEY"), "{redacted}");
    assert!(out.validated.is_none());
}

#[test]
fn team_mentions_deny_unless_the_policy_allows_mass_mentions() {
    let body = r#"{"body":"cc @acme/security: please look"}"#;
    assert_call(
        "POST",
        "/repos/o/r/issues/7/comments",
        Some(body),
        Decision::Deny,
        "out.mention.team",
    );
    // In code, it is a package name, not a mention.
    assert_call(
        "POST",
        "/repos/o/r/issues/7/comments",
        Some(r#"{"body":"bump `@types/node`"}"#),
        Decision::Allow,
        "gh.comment",
    );
    let loose = OutboundPolicy {
        allow_mass_mentions: true,
        ..policy()
    };
    let c = ApiCall {
        method: "POST".into(),
        path: "/repos/o/r/issues/7/comments".into(),
        body: Some(body.into()),
    };
    assert_eq!(
        validate_api_call(&c, &loose).verdict.decision,
        Decision::Allow
    );
}

#[test]
fn links_to_unlisted_hosts_are_reviewed_wherever_they_are() {
    let status = format!("/repos/o/r/statuses/{SHA}");
    let out = call(
        "POST",
        &status,
        Some(r#"{"state":"success","target_url":"https://evil.example/x"}"#),
    );
    assert_eq!(out.verdict.decision, Decision::Review);
    let f = out
        .verdict
        .findings
        .iter()
        .find(|f| f.rule_id == "out.link.unlisted_host")
        .unwrap();
    assert_eq!(f.location, "/target_url");
}

#[test]
fn body_shape_and_fields() {
    let comments = "/repos/o/r/issues/7/comments";
    assert_call(
        "POST",
        comments,
        Some(r#"{"body":"x","labels":["a"]}"#),
        Decision::Deny,
        "gh.body.field",
    );
    assert_call(
        "POST",
        comments,
        Some(r#""just text""#),
        Decision::Deny,
        "gh.body.not_object",
    );
    assert_call(
        "GET",
        "/repos/o/r",
        Some(r#"{}"#),
        Decision::Deny,
        "gh.body.on_read",
    );
    let out = call("POST", comments, Some("{\"body\": \"x\",\n \"oops\" }"));
    let f = &out.verdict.findings[0];
    assert_eq!(f.rule_id, "gh.body.invalid_json");
    assert!(f.message.contains("line 2, column"), "{}", f.message);
    assert_eq!(out.verdict.redacted_body, None);
}

#[test]
fn size_caps() {
    let comments = "/repos/o/r/issues/7/comments";
    let at_cap = json!({"body": "a".repeat(MAX_GITHUB_TEXT_CHARS)}).to_string();
    assert_call(
        "POST",
        comments,
        Some(&at_cap),
        Decision::Allow,
        "gh.comment",
    );
    // Characters, not bytes: 65,536 'é' are 131,072 bytes and still fit.
    let wide = json!({"body": "é".repeat(MAX_GITHUB_TEXT_CHARS)}).to_string();
    assert_call("POST", comments, Some(&wide), Decision::Allow, "gh.comment");
    let over = json!({"body": "a".repeat(MAX_GITHUB_TEXT_CHARS + 1)}).to_string();
    assert_call(
        "POST",
        comments,
        Some(&over),
        Decision::Deny,
        "gh.body.too_large",
    );
    let huge = json!({"body": "a ".repeat(600_000)}).to_string();
    assert_call(
        "POST",
        comments,
        Some(&huge),
        Decision::Deny,
        "gh.body.too_large",
    );
    let long = format!("/repos/o/r/issues/{}", "1".repeat(3000));
    assert_call("GET", &long, None, Decision::Deny, "gh.path.too_long");
}

/// Found by the `github_api` fuzz target: a read's query value could hold
/// `//` (`?path=a//b`), which the path itself refuses as an empty segment.
#[test]
fn a_double_slash_in_a_query_value_is_denied() {
    for path in [
        "/repos/o/r/commits?path=src//main.rs",
        "/repos/o/r/pulls?state=open&direction=des//////c+++",
        "/repos/o/r/commits?sha=main&path=//etc",
    ] {
        let out = call("GET", path, None);
        assert_eq!(out.verdict.decision, Decision::Deny, "{path}");
        assert_eq!(ids(&out), ["gh.path.query"], "{path}");
        assert!(out.validated.is_none());
    }
    let ok = call("GET", "/repos/o/r/commits?path=src/main.rs", None);
    assert_eq!(ok.verdict.decision, Decision::Allow);
}

#[test]
fn a_secret_in_the_path_denies() {
    let t = token("ghp_", "zQWBuTSOoRi4A9spHcVY5ncnsDkxkJ");
    let out = call("GET", &format!("/repos/o/{t}"), None);
    assert_eq!(out.verdict.decision, Decision::Deny);
    assert!(ids(&out).contains(&"out.secret.github_token"));
    for f in &out.verdict.findings {
        assert!(!f.message.contains(&t[4..]), "{}", f.message);
    }
}

#[test]
fn validated_api_call_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ValidatedApiCall>();
    assert_send_sync::<ApiOutcome>();
}

fn method() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec!["GET", "POST", "PUT", "PATCH", "DELETE", "get"])
            .prop_map(str::to_owned),
        any::<String>(),
    ]
}

fn path() -> impl Strategy<Value = String> {
    let parts = proptest::collection::vec(
        proptest::sample::select(vec![
            "/",
            "repos",
            "o",
            "r",
            "issues",
            "1",
            "comments",
            "..",
            ".",
            "%2F",
            "%",
            "?",
            "page=1",
            "&",
            "=",
            "#",
            "\\",
            "https://",
            "api.github.com",
            "@",
            "git",
            "refs",
            "hooks",
            "branches",
            "protection",
            "pulls",
            "merge",
            "é",
            " ",
            "//",
        ]),
        0..16,
    )
    .prop_map(|p| p.concat());
    prop_oneof![parts, any::<String>()]
}

fn body() -> impl Strategy<Value = Option<String>> {
    let leaf = prop_oneof![
        any::<String>().prop_map(serde_json::Value::String),
        any::<i64>().prop_map(|n| json!(n)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(serde_json::Value::Null),
    ];
    let json = leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(serde_json::Value::Array),
            proptest::collection::btree_map(any::<String>(), inner, 0..6)
                .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    });
    prop_oneof![
        Just(None),
        json.prop_map(|v| Some(v.to_string())),
        any::<String>().prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_calls_never_panic(method in method(), path in path(), body in body()) {
        let c = ApiCall { method, path, body };
        let out = validate_api_call(&c, &policy());
        prop_assert_eq!(out.validated.is_some(), out.verdict.decision != Decision::Deny);
        prop_assert!(!out.verdict.findings.is_empty());
    }

    #[test]
    fn a_github_token_anywhere_in_a_body_denies_and_never_leaks(
        before in any::<String>(),
        after in any::<String>(),
        tail in base62_body(),
        prefix in proptest::sample::select(vec!["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
        place in 0usize..5,
    ) {
        let t = token(prefix, &tail);
        let s = format!("{before}{t}{after}");
        let body = match place {
            0 => json!({"body": s}),
            1 => json!({"title": "x", "body": "y", "head": s}),
            2 => json!({"comments": [{"path": "a", "body": s}]}),
            3 => json!({ s.clone(): "value" }),
            _ => json!({"body": "ok", "nested": {"deeper": [1, s]}}),
        };
        let out = call("POST", "/repos/o/r/pulls/7/reviews", Some(&body.to_string()));
        prop_assert_eq!(out.verdict.decision, Decision::Deny);
        prop_assert!(out.validated.is_none());
        prop_assert!(ids(&out).contains(&"out.secret.github_token"));
        let redacted = out.verdict.redacted_body.clone().unwrap_or_default();
        prop_assert!(!redacted.contains(&t[4..]), "{}", redacted);
        for f in &out.verdict.findings {
            prop_assert!(!f.message.contains(&t[4..]), "{}", f.message);
            prop_assert!(!f.location.contains(&t[4..]), "{}", f.location);
        }
    }
}

/// The fuzz helper's observation: each body string is validated on its
/// own, so a value hidden in one string because of its context (a
/// credential-like key) survived where another string repeated it bare —
/// and a review-level call is sent, after a human's approval, with its
/// redacted body.
#[test]
fn a_secret_hidden_in_one_string_is_hidden_where_another_repeats_it() {
    let secret = "Zx9kQ2mV7tB4nR8wLp3sYc6DfH1j";
    let body = serde_json::json!({
        "title": format!("rotate {secret}"),
        "body": format!("api_key: {secret}"),
        "head": "rotate",
        "base": "main",
    })
    .to_string();
    let out = call("POST", "/repos/o/r/pulls", Some(&body));
    assert!(ids(&out).contains(&"out.secret.generic"), "{:?}", ids(&out));
    assert!(
        !out.verdict
            .redacted_body
            .as_deref()
            .unwrap_or("")
            .contains(secret),
        "{:?}",
        out.verdict.redacted_body
    );
    if let Some(v) = &out.validated {
        assert!(!v.body().unwrap_or("").contains(secret));
    }
    // Without the repeat nothing else changes.
    let clean =
        serde_json::json!({"title": "rotate keys", "body": "done", "head": "a", "base": "main"})
            .to_string();
    let out = call("POST", "/repos/o/r/pulls", Some(&clean));
    assert_eq!(out.verdict.decision, Decision::Allow);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(out.validated.unwrap().body().unwrap()).unwrap(),
        serde_json::from_str::<serde_json::Value>(&clean).unwrap()
    );
}
