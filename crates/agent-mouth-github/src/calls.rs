//! The one seam between agent-mouth's API-call validation and this
//! transport: the calls the engine makes most often (a comment, a pull
//! request, a commit status), built as an [`ApiCall`] and put through
//! [`validate_api_call`]. A call it denies comes back as
//! [`GitHubError::Denied`] with the verdict and is never a
//! [`ValidatedApiCall`], so it cannot be sent.

use agent_mouth::outbound::{validate_api_call, ApiCall, OutboundPolicy, ValidatedApiCall};
use serde_json::{json, Value};

use crate::{GitHubClient, GitHubError, Response};

/// A pull request to open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPullRequest {
    /// The title.
    pub title: String,
    /// The branch with the changes (`branch`, or `owner:branch` across
    /// forks).
    pub head: String,
    /// The branch to merge into.
    pub base: String,
    /// The description, if any.
    pub body: Option<String>,
    /// Opened as a draft.
    pub draft: bool,
}

/// A commit status's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusState {
    /// `error`.
    Error,
    /// `failure`.
    Failure,
    /// `pending`.
    Pending,
    /// `success`.
    Success,
}

impl StatusState {
    /// The state as GitHub spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusState::Error => "error",
            StatusState::Failure => "failure",
            StatusState::Pending => "pending",
            StatusState::Success => "success",
        }
    }
}

/// A commit status to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// The state.
    pub state: StatusState,
    /// The label that tells this status from others (`autonomic/ci`).
    pub context: String,
    /// A short description.
    pub description: Option<String>,
    /// A link to the details.
    pub target_url: Option<String>,
}

/// Validates a call as written.
///
/// # Errors
///
/// [`GitHubError::Denied`] with the verdict when validation denies it.
pub fn validate(call: &ApiCall, policy: &OutboundPolicy) -> Result<ValidatedApiCall, GitHubError> {
    let outcome = validate_api_call(call, policy);
    outcome
        .validated
        .ok_or_else(|| GitHubError::Denied(Box::new(outcome.verdict)))
}

fn post(
    path: String,
    body: &Value,
    policy: &OutboundPolicy,
) -> Result<ValidatedApiCall, GitHubError> {
    validate(
        &ApiCall {
            method: "POST".into(),
            path,
            body: Some(body.to_string()),
        },
        policy,
    )
}

/// `POST /repos/{owner}/{repo}/issues/{number}/comments`: a comment on an
/// issue or pull request.
///
/// # Errors
///
/// [`GitHubError::Denied`] (a secret or team mention in the text, an
/// owner or repository name that is a path trick, …).
pub fn comment(
    owner: &str,
    repo: &str,
    number: u64,
    body: &str,
    policy: &OutboundPolicy,
) -> Result<ValidatedApiCall, GitHubError> {
    post(
        format!("/repos/{owner}/{repo}/issues/{number}/comments"),
        &json!({ "body": body }),
        policy,
    )
}

/// `POST /repos/{owner}/{repo}/pulls`: opens a pull request.
///
/// # Errors
///
/// As [`comment`].
pub fn open_pull_request(
    owner: &str,
    repo: &str,
    pr: &NewPullRequest,
    policy: &OutboundPolicy,
) -> Result<ValidatedApiCall, GitHubError> {
    let mut body = json!({
        "title": pr.title,
        "head": pr.head,
        "base": pr.base,
        "draft": pr.draft,
    });
    if let Some(text) = &pr.body {
        body["body"] = json!(text);
    }
    post(format!("/repos/{owner}/{repo}/pulls"), &body, policy)
}

/// `POST /repos/{owner}/{repo}/statuses/{sha}`: sets a commit status.
///
/// # Errors
///
/// As [`comment`]; a `sha` that is not 40 hex digits is unlisted, so denied.
pub fn set_commit_status(
    owner: &str,
    repo: &str,
    sha: &str,
    status: &CommitStatus,
    policy: &OutboundPolicy,
) -> Result<ValidatedApiCall, GitHubError> {
    let mut body = json!({ "state": status.state.as_str(), "context": status.context });
    if let Some(d) = &status.description {
        body["description"] = json!(d);
    }
    if let Some(u) = &status.target_url {
        body["target_url"] = json!(u);
    }
    post(
        format!("/repos/{owner}/{repo}/statuses/{sha}"),
        &body,
        policy,
    )
}

/// Validate-and-send for the calls above: each builds the call, validates
/// it under `policy`, and sends it if validation allowed it outright.
impl GitHubClient {
    /// [`comment`], sent.
    ///
    /// # Errors
    ///
    /// [`GitHubError::Denied`], [`GitHubError::NeedsConfirmation`] (a link
    /// to an unlisted host), and the request's errors.
    pub fn comment(
        &self,
        owner: &str,
        repo: &str,
        number: u64,
        body: &str,
        policy: &OutboundPolicy,
    ) -> Result<Response, GitHubError> {
        self.send(&comment(owner, repo, number, body, policy)?)
    }

    /// [`open_pull_request`], sent.
    ///
    /// # Errors
    ///
    /// As [`GitHubClient::comment`].
    pub fn open_pull_request(
        &self,
        owner: &str,
        repo: &str,
        pr: &NewPullRequest,
        policy: &OutboundPolicy,
    ) -> Result<Response, GitHubError> {
        self.send(&open_pull_request(owner, repo, pr, policy)?)
    }

    /// [`set_commit_status`], sent.
    ///
    /// # Errors
    ///
    /// As [`GitHubClient::comment`].
    pub fn set_commit_status(
        &self,
        owner: &str,
        repo: &str,
        sha: &str,
        status: &CommitStatus,
        policy: &OutboundPolicy,
    ) -> Result<Response, GitHubError> {
        self.send(&set_commit_status(owner, repo, sha, status, policy)?)
    }
}
