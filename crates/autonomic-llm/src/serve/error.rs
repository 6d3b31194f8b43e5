//! What `autonomic llm serve` can fail with: starting ([`ServeError`]), and
//! one request ([`ApiError`], answered with an OpenAI-style error body).

use autonomic_core::Hint;
use serde_json::json;

use crate::LlmError;

/// The server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}")]
    Bind {
        /// The port asked for.
        port: u16,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A thread could not be started.
    #[error("cannot start the server's {what} thread")]
    Thread {
        /// Which thread.
        what: &'static str,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for ServeError {
    fn hint(&self) -> Option<String> {
        match self {
            ServeError::Bind { .. } => {
                Some("another program has the port: pick another with `--port N`".to_owned())
            }
            ServeError::Thread { .. } => None,
        }
    }
}

/// One request's failure, as the OpenAI API reports it:
/// `{"error": {"message", "type", "param", "code"}}`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ApiError {
    pub status: u16,
    pub kind: &'static str,
    pub message: String,
    pub param: Option<String>,
    pub code: Option<String>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
}

impl ApiError {
    /// A 400 `invalid_request_error`.
    pub fn invalid(message: impl Into<String>, param: Option<&str>) -> ApiError {
        ApiError {
            status: 400,
            kind: "invalid_request_error",
            message: message.into(),
            param: param.map(str::to_owned),
            code: None,
            retry_after: None,
        }
    }

    pub fn with_code(mut self, code: &str) -> ApiError {
        self.code = Some(code.to_owned());
        self
    }

    pub fn status(status: u16, kind: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            kind,
            message: message.into(),
            param: None,
            code: None,
            retry_after: None,
        }
    }

    /// A model's error: 400 when the request is at fault, else 500.
    pub fn from_model(error: &LlmError) -> ApiError {
        if error.is_bad_request() {
            let code = match error {
                LlmError::PromptTooLong { .. } => Some("context_length_exceeded"),
                LlmError::NoVision { .. } => Some("image_not_supported"),
                _ => None,
            };
            let mut api = ApiError::invalid(error.to_string(), Some("messages"));
            api.code = code.map(str::to_owned);
            api
        } else {
            ApiError::status(500, "server_error", error.to_string())
        }
    }

    pub fn body(&self) -> serde_json::Value {
        json!({"error": {
            "message": self.message,
            "type": self.kind,
            "param": self.param,
            "code": self.code,
        }})
    }
}
