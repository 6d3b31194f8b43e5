//! agent-mouth-github: the GitHub transport.
//!
//! What it owns: GitHub's REST wire format — the headers GitHub requires
//! (`Authorization: Bearer`, `Accept: application/vnd.github+json`,
//! `X-GitHub-Api-Version`, `User-Agent`), its error bodies (`message`,
//! `documentation_url`, `errors`), its rate limits (secondary limits'
//! `retry-after`, the primary limit's `x-ratelimit-remaining` and
//! `x-ratelimit-reset`), retries of 5xx answers and connection errors, and
//! pagination over `Link: rel="next"` that never leaves the API's host
//! ([`GitHubClient`]). It also builds the calls the engine makes most
//! (a comment, a pull request, a commit status: [`calls`]).
//!
//! What it must not do: decide anything. Whether a call may be sent is
//! agent-mouth's `validate_api_call`; this crate sends only its product, a
//! [`ValidatedApiCall`] (which only agent-mouth constructs), sends one put
//! up for review only with a [`HumanConfirmation`], and never sends a
//! denied one (there is nothing to send). It must not read tokens from
//! anywhere but the value it is given (no environment, no files), nor print
//! them: [`GitHubToken`] redacts itself and is never logged. It depends on
//! agent-mouth and autonomic-core only, never on agent-spine or another
//! layer.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::outbound::OutboundPolicy;
//! use agent_mouth_github::{calls, GitHubError};
//!
//! let policy = OutboundPolicy::default();
//! let call = calls::comment("octo", "app", 7, "Tests pass.", &policy).unwrap();
//! assert_eq!(call.path(), "/repos/octo/app/issues/7/comments");
//!
//! // A path trick in a name is denied before anything is sent.
//! let denied = calls::comment("octo", "app/../../hooks", 7, "x", &policy);
//! assert!(matches!(denied, Err(GitHubError::Denied(_))));
//! ```

pub mod calls;
mod limits;
mod rest;
mod secret;

pub use agent_mouth::outbound::{ApiVerdict, HttpMethod, ValidatedApiCall};
pub use autonomic_core::Decision;
pub use calls::{CommitStatus, NewPullRequest, StatusState};
pub use rest::{
    GitHubClient, GitHubClientBuilder, GitHubError, HumanConfirmation, Response, ACCEPT,
    API_VERSION, DEFAULT_BASE_URL,
};
pub use secret::{GitHubToken, TokenError, TokenKind};
