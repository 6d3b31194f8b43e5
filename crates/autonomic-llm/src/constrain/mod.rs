//! Decoding held to a JSON schema.

use std::sync::Arc;

use crate::filter::TokenFilter;
use crate::vocab::Vocab;
use crate::LlmError;

/// A filter that lets through only tokens continuing a JSON document valid
/// under `schema`.
pub fn for_schema(
    schema: &serde_json::Value,
    vocab: &Arc<Vocab>,
) -> Result<Box<dyn TokenFilter>, LlmError> {
    let _ = (schema, vocab);
    Err(LlmError::NoVision {
        backend: "placeholder: constrain is being written",
    })
}
