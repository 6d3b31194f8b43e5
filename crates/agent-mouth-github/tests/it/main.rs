//! agent-mouth-github's integration tests: one binary, shared helpers.

mod fake_github;
mod rest;
mod robustness;

/// The public types cross threads (tokio's habit: a compile-time check).
#[test]
fn public_types_are_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<agent_mouth_github::GitHubClient>();
    check::<agent_mouth_github::GitHubToken>();
    check::<agent_mouth_github::GitHubError>();
    check::<agent_mouth_github::ValidatedApiCall>();
    check::<agent_mouth_github::Response>();
}
