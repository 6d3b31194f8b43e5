//! What can go wrong talking to an OpenAI-compatible endpoint.

use autonomic_core::Hint;

use crate::constrain::SchemaViolation;

/// Which wait ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// The TCP connection (`[llm] connect_timeout_secs`).
    Connect,
    /// The first token, or the next read of a streamed reply
    /// (`[llm] first_token_timeout_secs`).
    FirstToken,
    /// The whole reply (`[llm] request_timeout_secs`).
    Total,
}

impl Wait {
    fn key(self) -> &'static str {
        match self {
            Wait::Connect => "connect_timeout_secs",
            Wait::FirstToken => "first_token_timeout_secs",
            Wait::Total => "request_timeout_secs",
        }
    }
}

/// An OpenAI-compatible endpoint could not give a completion.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// `base_url` is not an `http://` or `https://` URL with a host.
    #[error("`{url}` is not an http:// or https:// URL with a host")]
    BadUrl {
        /// The URL.
        url: String,
    },
    /// `base_url` names another machine and `allow_remote` is off.
    #[error("refusing to send prompts to `{url}`: `{host}` is not this machine (only localhost, 127.0.0.0/8 and ::1 are)")]
    Remote {
        /// The URL.
        url: String,
        /// Its host.
        host: String,
    },
    /// `[llm] api_key_env` names a variable that is not set.
    #[error("`[llm] api_key_env` names `{var}`, which is not set (or empty)")]
    NoApiKey {
        /// The variable's name.
        var: String,
    },
    /// No connection could be made (after the retries).
    #[error("could not reach {url} ({attempts} attempts)")]
    Connect {
        /// Where.
        url: String,
        /// Requests made.
        attempts: u32,
        /// The last attempt's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The endpoint answered with an error status (after the retries, for
    /// 429 and 5xx).
    #[error("{url} answered HTTP {status} ({attempts} attempts): {message}")]
    Status {
        /// Where.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Requests made.
        attempts: u32,
        /// The error message of its body (cut), or the body.
        message: String,
    },
    /// A wait ran out.
    #[error("{url} did not answer in time: waited {secs} s for {}", match .wait { Wait::Connect => "the connection", Wait::FirstToken => "the first token", Wait::Total => "the whole reply" })]
    Timeout {
        /// Where.
        url: String,
        /// Which wait.
        wait: Wait,
        /// Its length.
        secs: u64,
    },
    /// A streamed reply broke off; it was not retried (the text so far may
    /// already have been shown).
    #[error("the reply from {url} broke off after streaming had started (not retried)")]
    Stream {
        /// Where.
        url: String,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The reply is not what the OpenAI API specifies.
    #[error("the reply from {url} is not an OpenAI-compatible chat completion: {detail}")]
    Protocol {
        /// Where.
        url: String,
        /// What was wrong.
        detail: String,
    },
    /// The endpoint sent an error object inside its stream.
    #[error("{url} reported an error while streaming: {message}")]
    Reported {
        /// Where.
        url: String,
        /// Its message.
        message: String,
    },
    /// Every reply broke the requested schema.
    #[error("the model's reply did not satisfy the schema after {attempts} attempts")]
    Schema {
        /// Replies asked for.
        attempts: u32,
        /// What was wrong with the last one.
        #[source]
        violation: SchemaViolation,
    },
}

impl Hint for ClientError {
    fn hint(&self) -> Option<String> {
        match self {
            ClientError::BadUrl { .. } => Some("set `[llm] base_url` to e.g. `http://127.0.0.1:8080/v1`".to_owned()),
            ClientError::Remote { .. } => Some(
                "to send prompts (and images) to that machine, set `[llm] allow_remote = true`; to stay local, point `[llm] base_url` at 127.0.0.1".to_owned(),
            ),
            ClientError::NoApiKey { var } => Some(format!(
                "export {var}=… in the environment, or remove `[llm] api_key_env` if the endpoint needs no key"
            )),
            ClientError::Connect { .. } => Some(
                "start the server (e.g. `autonomic llm serve`, or llama.cpp's `llama-server`), or check `[llm] base_url`".to_owned(),
            ),
            ClientError::Status { status: 401 | 403, .. } => Some(
                "the endpoint wants an API key: set `[llm] api_key_env` to the name of the variable holding it".to_owned(),
            ),
            ClientError::Status { status: 404, .. } => Some(
                "check `[llm] base_url` (it usually ends in /v1) and `[llm] model` (`/v1/models` lists the served names)".to_owned(),
            ),
            ClientError::Status { .. } => None,
            ClientError::Timeout { wait, .. } => {
                Some(format!("raise `[llm] {}` if the model is slow", wait.key()))
            }
            ClientError::Stream { .. } | ClientError::Protocol { .. } | ClientError::Reported { .. } => None,
            ClientError::Schema { .. } => Some(
                "raise `[llm] schema_retries`, or use a server that enforces the schema (`[llm] structured_output = \"llama_cpp\"` for llama.cpp's server)".to_owned(),
            ),
        }
    }
}
