//! The crate's error: one variant per part, each with its own error type.

use autonomic_core::Hint;

use crate::constrain::ConstrainError;

/// Anything that can go wrong asking a model.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// An image was given to a back-end without a vision model.
    #[error("the {backend} back-end has no vision model: it cannot read images")]
    NoVision {
        /// Which back-end.
        backend: &'static str,
    },
    /// The embedded back-end failed.
    #[error(transparent)]
    Embedded(#[from] crate::embedded::EmbeddedError),
    /// Constraining a reply to a JSON schema failed.
    #[error(transparent)]
    Constrain(#[from] ConstrainError),
}

impl Hint for LlmError {
    fn hint(&self) -> Option<String> {
        match self {
            LlmError::NoVision { .. } => Some(
                "set `[llm] backend = \"openai\"` and `base_url` to a local server with a vision model (llama.cpp's server with a LLaVA GGUF and its mmproj)".to_owned(),
            ),
            LlmError::Embedded(e) => e.hint(),
            LlmError::Constrain(e) => e.hint(),
        }
    }
}
