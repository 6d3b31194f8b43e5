//! The crate's error: one variant per part, each with its own error type.

use autonomic_core::Hint;

use crate::constrain::ConstrainError;
use crate::openai::ClientError;
use crate::vision::ImageError;

/// Anything that can go wrong asking a model.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// An image was given to a back-end without a vision model.
    #[error("the {backend} back-end has no vision model: it cannot read images")]
    NoVision {
        /// Which back-end.
        backend: &'static str,
    },
    /// The rendered prompt does not fit the model's context window.
    #[error("the prompt is {tokens} tokens, more than the model's context window of {window}")]
    PromptTooLong {
        /// Tokens of the rendered prompt (with room for one generated token).
        tokens: usize,
        /// The model's context window.
        window: usize,
    },
    /// An OpenAI-compatible endpoint failed.
    #[error(transparent)]
    Client(#[from] ClientError),
    /// An image for a vision question could not be used.
    #[error(transparent)]
    Image(#[from] ImageError),
    /// The embedded back-end failed.
    #[error(transparent)]
    Embedded(#[from] crate::embedded::EmbeddedError),
    /// Constraining a reply to a JSON schema failed.
    #[error(transparent)]
    Constrain(#[from] ConstrainError),
}

impl LlmError {
    /// Whether the request itself is at fault (what `autonomic llm serve`
    /// answers with 400), rather than the model or the machine.
    pub fn is_bad_request(&self) -> bool {
        match self {
            LlmError::NoVision { .. }
            | LlmError::PromptTooLong { .. }
            | LlmError::Image(_)
            | LlmError::Constrain(
                crate::constrain::ConstrainError::InvalidSchema(_)
                | crate::constrain::ConstrainError::UnsupportedSchema(_),
            ) => true,
            LlmError::Embedded(crate::embedded::EmbeddedError::PromptTooLong { .. }) => true,
            LlmError::Client(_) | LlmError::Embedded(_) | LlmError::Constrain(_) => false,
        }
    }
}

impl Hint for LlmError {
    fn hint(&self) -> Option<String> {
        match self {
            LlmError::NoVision { .. } => Some(
                "set `[llm] backend = \"openai\"` and `base_url` to a local server with a vision model (llama.cpp's server with a LLaVA GGUF and its mmproj)".to_owned(),
            ),
            LlmError::PromptTooLong { .. } => Some(
                "shorten the prompt (or the conversation), or use a model with a longer context".to_owned(),
            ),
            LlmError::Client(error) => error.hint(),
            LlmError::Image(error) => error.hint(),
            LlmError::Embedded(e) => e.hint(),
            LlmError::Constrain(e) => e.hint(),
        }
    }
}
