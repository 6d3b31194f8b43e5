//! The REST client against the fake GitHub: the wire format, typed
//! errors, rate limits, retries, pagination, and the validation seam (a
//! denied call never reaches the server; a review is refused by `send`).

use std::time::Duration;

use agent_mouth::outbound::{ApiCall, OutboundPolicy};
use agent_mouth_github::{
    calls, CommitStatus, Decision, GitHubClient, GitHubError, GitHubToken, HumanConfirmation,
    NewPullRequest, StatusState,
};
use serde_json::json;

use crate::fake_github::{FakeGitHub, TOKEN};

const SHA: &str = "aa218f56b14c9653891f9e74264a383fa43fefbd";

fn client(fake: &FakeGitHub) -> GitHubClient {
    GitHubClient::builder(GitHubToken::new(TOKEN).expect("a GitHub token"))
        .base_url(&fake.base_url)
        .backoff(Duration::from_millis(20))
        .max_wait(Duration::from_secs(5))
        .build()
        .expect("a loopback base URL")
}

fn policy() -> OutboundPolicy {
    OutboundPolicy {
        allowed_hosts: vec!["github.com".into()],
        ..OutboundPolicy::default()
    }
}

fn comment() -> agent_mouth_github::ValidatedApiCall {
    calls::comment("octo", "app", 7, "All 112 tests pass.", &policy()).expect("allowed")
}

#[test]
fn a_comment_is_created_with_the_headers_github_requires() {
    let fake = FakeGitHub::start();
    let r = client(&fake)
        .comment("octo", "app", 7, "All 112 tests pass.", &policy())
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.json["id"], 1001);
    assert_eq!(r.json["body"], "All 112 tests pass.");
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    let req = &reqs[0];
    assert_eq!(
        (req.method.as_str(), req.url.as_str()),
        ("POST", "/repos/octo/app/issues/7/comments")
    );
    assert_eq!(
        req.header("Authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(req.header("Accept"), Some("application/vnd.github+json"));
    assert_eq!(req.header("X-GitHub-Api-Version"), Some("2022-11-28"));
    assert!(req
        .header("User-Agent")
        .is_some_and(|ua| ua.starts_with("autonomic-agent-mouth-github/")));
    assert_eq!(req.body, json!({"body": "All 112 tests pass."}));
}

#[test]
fn a_pull_request_is_opened() {
    let fake = FakeGitHub::start();
    let pr = NewPullRequest {
        title: "Fix the flaky retry test".into(),
        head: "autonomic/fix-retry".into(),
        base: "main".into(),
        body: Some("Closes #7".into()),
        draft: true,
    };
    let r = client(&fake)
        .open_pull_request("octo", "app", &pr, &policy())
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.json["number"], 42);
    assert_eq!(r.json["draft"], true);
    assert_eq!(
        fake.requests()[0].body,
        json!({"title": "Fix the flaky retry test", "head": "autonomic/fix-retry", "base": "main", "body": "Closes #7", "draft": true})
    );
}

#[test]
fn a_commit_status_is_set() {
    let fake = FakeGitHub::start();
    let status = CommitStatus {
        state: StatusState::Failure,
        context: "autonomic/sandbox".into(),
        description: Some("2 tests failed".into()),
        target_url: Some("https://github.com/octo/app/actions/runs/1".into()),
    };
    let r = client(&fake)
        .set_commit_status("octo", "app", SHA, &status, &policy())
        .unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(r.json["state"], "failure");
    assert_eq!(r.json["context"], "autonomic/sandbox");
    assert_eq!(
        fake.requests()[0].url,
        format!("/repos/octo/app/statuses/{SHA}")
    );
}

#[test]
fn a_422_surfaces_githubs_message_and_errors() {
    let fake = FakeGitHub::start();
    let pr = NewPullRequest {
        title: "Nothing".into(),
        head: "main".into(),
        base: "main".into(),
        body: None,
        draft: false,
    };
    let err = client(&fake)
        .open_pull_request("octo", "app", &pr, &policy())
        .unwrap_err();
    match err {
        GitHubError::Api {
            status,
            message,
            documentation_url,
            errors,
            ..
        } => {
            assert_eq!(status, 422);
            assert_eq!(message, "Validation Failed");
            assert_eq!(
                documentation_url.as_deref(),
                Some("https://docs.github.com/rest")
            );
            assert_eq!(errors[0]["message"], "No commits between main and main");
        }
        other => panic!("{other:?}"),
    }
    // Not retried.
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_wrong_token_is_a_401_whose_error_never_shows_the_token() {
    let fake = FakeGitHub::start();
    let other = GitHubToken::new("ghp_SomeOtherToken0123456789abcdefghijkl").unwrap();
    let c = GitHubClient::builder(other)
        .base_url(&fake.base_url)
        .build()
        .unwrap();
    let err = c.send(&comment()).unwrap_err();
    assert!(
        matches!(err, GitHubError::Api { status: 401, ref message, .. } if message == "Bad credentials")
    );
    let shown = format!("{err} {err:?} {c:?}");
    assert!(!shown.contains("SomeOtherToken"), "{shown}");
    assert!(!shown.contains(&TOKEN[4..]), "{shown}");
}

#[test]
fn a_secondary_rate_limit_is_waited_out() {
    for status in [403, 429] {
        let fake = FakeGitHub::start();
        fake.secondary_limit(status, 1);
        let r = client(&fake).send(&comment()).unwrap();
        assert_eq!(r.status, 201);
        let reqs = fake.requests();
        assert_eq!(reqs.len(), 2, "{status}");
        // The client slept `retry-after` (a lower bound; never flaky).
        assert!(reqs[1].at - reqs[0].at >= Duration::from_millis(900));
    }
}

#[test]
fn the_primary_rate_limit_is_waited_out_until_reset() {
    let fake = FakeGitHub::start();
    fake.primary_limit(1);
    let r = client(&fake).send(&comment()).unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn rate_limit_waits_over_the_cap_fail_naming_the_wait() {
    let fake = FakeGitHub::start();
    fake.secondary_limit(403, 120);
    match client(&fake).send(&comment()) {
        Err(GitHubError::SecondaryRateLimited { retry_after }) => {
            assert_eq!(retry_after, Duration::from_secs(120));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), 1);

    let fake = FakeGitHub::start();
    fake.primary_limit(3600);
    let err = client(&fake).send(&comment()).unwrap_err();
    assert!(matches!(err, GitHubError::RateLimited { .. }), "{err:?}");
    assert!(err.to_string().contains("rate limit is spent until"));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_403_that_is_not_a_rate_limit_is_not_retried() {
    let fake = FakeGitHub::start();
    fake.script((
        403,
        vec![("x-ratelimit-remaining".into(), "4999".into())],
        json!({"message": "Resource not accessible by integration"}),
    ));
    let err = client(&fake).send(&comment()).unwrap_err();
    assert!(
        matches!(err, GitHubError::Api { status: 403, ref message, .. } if message == "Resource not accessible by integration")
    );
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn a_502_is_retried() {
    let fake = FakeGitHub::start();
    fake.server_errors(502, 1);
    let r = client(&fake).send(&comment()).unwrap();
    assert_eq!(r.status, 201);
    assert_eq!(fake.requests().len(), 2);
}

#[test]
fn server_errors_give_up_after_max_attempts() {
    let fake = FakeGitHub::start();
    fake.server_errors(503, 10);
    let c = GitHubClient::builder(GitHubToken::new(TOKEN).unwrap())
        .base_url(&fake.base_url)
        .backoff(Duration::from_millis(10))
        .max_attempts(3)
        .build()
        .unwrap();
    let err = c.send(&comment()).unwrap_err();
    assert!(
        matches!(
            err,
            GitHubError::Server {
                status: 503,
                attempts: 3
            }
        ),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 3);
}

#[test]
fn an_unreachable_server_is_a_transport_error_after_retries() {
    // A port that was free a moment ago and has nobody listening now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let c = GitHubClient::builder(GitHubToken::new(TOKEN).unwrap())
        .base_url(&format!("http://127.0.0.1:{port}"))
        .backoff(Duration::from_millis(10))
        .max_attempts(2)
        .build()
        .unwrap();
    let err = c.send(&comment()).unwrap_err();
    assert!(
        matches!(err, GitHubError::Transport { attempts: 2, .. }),
        "{err:?}"
    );
}

fn issues_read() -> agent_mouth_github::ValidatedApiCall {
    calls::validate(
        &ApiCall {
            method: "GET".into(),
            path: "/repos/octo/app/issues?state=open".into(),
            body: None,
        },
        &policy(),
    )
    .expect("a read is allowed")
}

#[test]
fn pagination_follows_link_next_over_three_pages() {
    let fake = FakeGitHub::start();
    let pages = client(&fake).paginate(&issues_read()).unwrap();
    assert_eq!(pages.len(), 3);
    let numbers: Vec<u64> = pages
        .iter()
        .flat_map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|i| i["number"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
    let urls: Vec<String> = fake.requests().into_iter().map(|r| r.url).collect();
    assert_eq!(
        urls,
        [
            "/repos/octo/app/issues?state=open",
            "/repositories/1/issues?page=2",
            "/repositories/1/issues?page=3"
        ]
    );
    // Every page carried the required headers too.
    for r in fake.requests() {
        assert_eq!(r.header("X-GitHub-Api-Version"), Some("2022-11-28"));
    }
}

#[test]
fn a_link_to_another_host_is_not_followed() {
    let fake = FakeGitHub::start();
    fake.script((
        200,
        vec![(
            "Link".into(),
            "<http://evil.example/repositories/1/issues?page=2>; rel=\"next\"".into(),
        )],
        json!([{"number": 1}]),
    ));
    let err = client(&fake).paginate(&issues_read()).unwrap_err();
    assert!(matches!(err, GitHubError::Pagination(_)), "{err:?}");
    assert!(err.to_string().contains("evil.example"));
    assert_eq!(fake.requests().len(), 1);
}

#[test]
fn pagination_is_capped() {
    let fake = FakeGitHub::start();
    let c = GitHubClient::builder(GitHubToken::new(TOKEN).unwrap())
        .base_url(&fake.base_url)
        .max_pages(2)
        .build()
        .unwrap();
    let err = c.paginate(&issues_read()).unwrap_err();
    assert!(
        matches!(err, GitHubError::Pagination(ref m) if m == "more than 2 pages"),
        "{err:?}"
    );
    assert_eq!(fake.requests().len(), 2);
    // Writes are never paginated.
    assert!(matches!(
        c.paginate(&comment()),
        Err(GitHubError::NotARead(_))
    ));
}

#[test]
fn denied_calls_never_reach_the_server() {
    let fake = FakeGitHub::start();
    let c = client(&fake);
    let p = policy();
    for result in [
        c.comment("octo", "app", 7, "key: AKIAIOSFODNN7EXAMPLE", &p),
        c.comment("octo", "app", 7, "cc @octo/everyone-team", &p),
        c.comment("octo", "app/../../../hooks", 7, "x", &p),
        c.comment("octo", "app", 7, &"a".repeat(65_537), &p),
        c.set_commit_status(
            "octo",
            "app",
            "main",
            &CommitStatus {
                state: StatusState::Success,
                context: "x".into(),
                description: None,
                target_url: None,
            },
            &p,
        ),
    ] {
        match result {
            Err(GitHubError::Denied(verdict)) => assert_eq!(verdict.decision, Decision::Deny),
            other => panic!("{other:?}"),
        }
    }
    let delete = calls::validate(
        &ApiCall {
            method: "DELETE".into(),
            path: "/repos/octo/app".into(),
            body: None,
        },
        &p,
    );
    match delete {
        Err(e @ GitHubError::Denied(_)) => {
            assert_eq!(
                e.to_string(),
                "agent-mouth denied this GitHub call (gh.repo.delete)"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(fake.requests().len(), 0);
}

#[test]
fn a_review_call_needs_a_human_confirmation() {
    let fake = FakeGitHub::start();
    let c = client(&fake);
    let merge = calls::validate(
        &ApiCall {
            method: "PUT".into(),
            path: "/repos/octo/app/pulls/42/merge".into(),
            body: Some(r#"{"merge_method":"squash"}"#.into()),
        },
        &policy(),
    )
    .unwrap();
    assert_eq!(merge.decision(), Decision::Review);
    assert!(matches!(
        c.send(&merge),
        Err(GitHubError::NeedsConfirmation)
    ));
    assert!(matches!(c.paginate(&merge), Err(GitHubError::NotARead(_))));
    assert_eq!(fake.requests().len(), 0);

    let ok = c
        .send_confirmed(
            &merge,
            &HumanConfirmation {
                approver: "alice".into(),
            },
        )
        .unwrap();
    assert_eq!(ok.json["merged"], true);
    let reqs = fake.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].method, "PUT");
    assert_eq!(reqs[0].body, json!({"merge_method": "squash"}));
}

#[test]
fn a_comment_linking_an_unlisted_host_is_for_review() {
    let fake = FakeGitHub::start();
    let err = client(&fake)
        .comment(
            "octo",
            "app",
            7,
            "see https://unlisted.example/x",
            &policy(),
        )
        .unwrap_err();
    assert!(matches!(err, GitHubError::NeedsConfirmation), "{err:?}");
    assert_eq!(fake.requests().len(), 0);
}
