//! Decoding held to a JSON schema, and checking a reply against one.

use std::sync::Arc;

use crate::filter::TokenFilter;
use crate::vocab::Vocab;
use crate::LlmError;

/// Builds schema filters for one model's vocabulary; made once per model
/// (the vocabulary's token trie is the costly part), cheap to clone.
#[derive(Clone)]
pub struct Constrainer {
    vocab: Arc<Vocab>,
}

impl Constrainer {
    /// Prepares constrained decoding over `vocab`.
    pub fn new(vocab: Arc<Vocab>) -> Result<Constrainer, LlmError> {
        Ok(Constrainer { vocab })
    }

    /// A filter that lets through only tokens continuing a JSON document
    /// valid under `schema`.
    pub fn filter(&self, schema: &serde_json::Value) -> Result<Box<dyn TokenFilter>, LlmError> {
        let _ = (schema, &self.vocab);
        Err(LlmError::NoVision {
            backend: "placeholder: constrain is being written",
        })
    }
}

/// Why a reply does not satisfy a schema.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaViolation {
    /// The schema itself is not a valid JSON schema.
    #[error("the schema is invalid: {0}")]
    BadSchema(String),
    /// The reply is not JSON.
    #[error("the reply is not JSON: {0}")]
    NotJson(String),
    /// The reply is JSON but breaks the schema (the first few reasons, each
    /// with the JSON pointer of the offending value).
    #[error("the reply does not satisfy the schema: {}", .0.join("; "))]
    Invalid(Vec<String>),
}

/// Parses `reply` as JSON and checks it against `schema` (an independent
/// validator, not the decoder that produced it).
pub fn validate(
    schema: &serde_json::Value,
    reply: &str,
) -> Result<serde_json::Value, SchemaViolation> {
    let validator =
        jsonschema::validator_for(schema).map_err(|e| SchemaViolation::BadSchema(e.to_string()))?;
    let value: serde_json::Value =
        serde_json::from_str(reply.trim()).map_err(|e| SchemaViolation::NotJson(e.to_string()))?;
    let reasons: Vec<String> = validator
        .iter_errors(&value)
        .take(5)
        .map(|e| format!("{} at `{}`", e, e.instance_path()))
        .collect();
    if reasons.is_empty() {
        Ok(value)
    } else {
        Err(SchemaViolation::Invalid(reasons))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_independently() {
        let schema = serde_json::json!({
            "type": "object",
            "properties": {"lang": {"enum": ["bash", "python"]}, "command": {"type": "string"}},
            "required": ["lang", "command"],
            "additionalProperties": false
        });
        assert!(validate(&schema, r#"{"lang":"bash","command":"ls"}"#).is_ok());
        assert!(matches!(
            validate(&schema, "{\"lang\":"),
            Err(SchemaViolation::NotJson(_))
        ));
        let err = validate(&schema, r#"{"lang":"ruby","command":"ls"}"#).unwrap_err();
        assert!(err.to_string().contains("/lang"), "{err}");
        assert!(matches!(
            validate(&serde_json::json!({"type": 12}), "{}"),
            Err(SchemaViolation::BadSchema(_))
        ));
    }
}
