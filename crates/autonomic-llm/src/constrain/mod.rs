//! Decoding held to a JSON schema, and checking a reply against one.
//!
//! Before every token the decoding loop asks a [`TokenFilter`] which tokens
//! may come next; [`Constrainer::filter`] builds one for a schema. The
//! automaton is [llguidance] (Microsoft's, the one llama.cpp and vLLM use):
//! the schema becomes a grammar whose lexemes are regular expressions, an
//! Earley parser tracks the document so far, and the set of tokens that can
//! continue it is found by walking a trie of the vocabulary's bytes
//! ([`toktrie`]) against the lexer, with whole slices of the vocabulary
//! (everything that fits inside a JSON string, say) answered at once. It
//! handles `properties`/`required`/`additionalProperties`, `enum`/`const`,
//! `anyOf`/`allOf`, `$ref`, `items`/`prefixItems`/`minItems`/`maxItems`,
//! number and integer bounds, string `minLength`/`maxLength`/`pattern`/some
//! `format`s; anything else (`oneOf`, `not`, `if`, …) is refused with
//! [`ConstrainError::UnsupportedSchema`] rather than silently not enforced.
//!
//! What the filter guarantees:
//! - A control token (`<|im_start|>`, `<|endoftext|>`…) never gets through:
//!   the trie holds them behind toktrie's special-token byte, which no text
//!   grammar matches, and the filter masks them again itself.
//! - An end token (`eos`, `<|im_end|>`) gets through only where the document
//!   may end; once no byte can extend it (the closing `}` of an object),
//!   [`TokenFilter::accept`] returns `true` and generation stops without
//!   waiting for the model to choose to end.
//! - No whitespace between tokens of the document: separators are fixed
//!   ([`ITEM_SEPARATOR`], [`KEY_SEPARATOR`]), so a small model cannot wander
//!   in blank space; string contents are the model's, bounded only by the
//!   schema's own `maxLength`, with the escapes of [`ALLOWED_ESCAPES`].
//!
//! # The token budget
//!
//! The filter does not know `max_tokens`, and does not force the document
//! shut when the budget runs low: that would turn a reply cut short into a
//! valid-looking document holding a truncated command (`rm -rf /tmp/x` cut
//! to `rm -rf /`), which is worse than a reply that fails. A string with no
//! `maxLength` may therefore run until `max_tokens` (a 135M model repeating
//! itself does), and the reply ends with [`FinishReason::Length`] and is not
//! a document. A caller that needs a document every time bounds its strings
//! in the schema — where the cut is the schema author's explicit choice and
//! the independent check sees it — and gives a budget that fits: a token is
//! at least one byte, and a character at most four bytes of the reply, so
//! `4 × maxLength` plus the document's fixed text always suffices.
//!
//! [`validate`] is the independent check: a separate JSON-schema validator
//! (jsonschema) over the finished text.
//!
//! [llguidance]: https://github.com/guidance-ai/llguidance
//! [`FinishReason::Length`]: crate::FinishReason::Length

mod filter;
mod tokens;

use std::sync::Arc;
use std::time::Instant;

use autonomic_core::Hint;
use llguidance::api::TopLevelGrammar;
use llguidance::{JsonCompileOptions, Matcher, ParserFactory};
use toktrie::InferenceCapabilities;

use crate::filter::TokenFilter;
use crate::vocab::Vocab;
use crate::LlmError;

use filter::SchemaFilter;
use tokens::{panic_message, Tokens};

/// What separates the items of an array and the members of an object in a
/// constrained reply (as Python's `json.dumps` writes it, the form small
/// models have seen most).
pub const ITEM_SEPARATOR: &str = ", ";

/// What separates a key from its value.
pub const KEY_SEPARATOR: &str = ": ";

/// The escapes a constrained string may use after a backslash: quote, backslash,
/// newline, carriage return, tab. No `\u`: every other character is
/// written as itself, so no control character but those three can appear
/// (no terminal escape sequence in a command), and a character costs at
/// most four bytes of the reply (see "The token budget" in the module doc).
pub const ALLOWED_ESCAPES: &str = "\"\\nrt";

/// What went wrong constraining a reply to a schema.
#[derive(Debug, thiserror::Error)]
pub enum ConstrainError {
    /// The model's vocabulary cannot be turned into a token trie.
    #[error("cannot prepare constrained decoding for this vocabulary: {0}")]
    Vocabulary(String),
    /// The schema is not a valid JSON schema.
    #[error("the JSON schema is invalid: {0}")]
    InvalidSchema(String),
    /// The schema is valid but uses something the decoder cannot enforce,
    /// or can never be satisfied.
    #[error("the JSON schema cannot be enforced while decoding: {0}")]
    UnsupportedSchema(String),
    /// The decoding loop passed logits for fewer tokens than the vocabulary
    /// has.
    #[error("{got} logits for a vocabulary of {want} tokens")]
    Logits {
        /// Entries passed.
        got: usize,
        /// Tokens in the vocabulary.
        want: usize,
    },
    /// The decoding loop chose a token the filter had masked.
    #[error("token {token} ({text:?}) cannot continue the document: {reason}")]
    Rejected {
        /// The token's id.
        token: u32,
        /// What it stands for.
        text: String,
        /// Why it cannot come here.
        reason: String,
    },
    /// The automaton failed (a lexer or parser limit, an internal error).
    #[error("the schema automaton failed: {0}")]
    Parser(String),
}

impl Hint for ConstrainError {
    fn hint(&self) -> Option<String> {
        match self {
            ConstrainError::UnsupportedSchema(_) => Some(
                "constrained decoding supports type, properties, required, additionalProperties, enum, const, anyOf, allOf, $ref, items, prefixItems, minItems, maxItems, minimum, maximum, minLength, maxLength and pattern; write `oneOf` as `anyOf`".to_owned(),
            ),
            ConstrainError::Logits { .. } | ConstrainError::Rejected { .. } => Some(
                "the decoding loop must call `mask` before choosing each token and `accept` with the token it chose".to_owned(),
            ),
            ConstrainError::Vocabulary(_)
            | ConstrainError::InvalidSchema(_)
            | ConstrainError::Parser(_) => None,
        }
    }
}

/// What every filter of one model shares.
struct Shared {
    vocab: Arc<Vocab>,
    /// llguidance's compiler of grammars, holding the token trie and its
    /// precomputed slices.
    factory: ParserFactory,
    /// Tokens that end the reply.
    ends: Vec<u32>,
    /// Marker tokens that never get through.
    others: Vec<u32>,
}

impl Shared {
    /// A token's text, for messages.
    fn token_text(&self, token: u32) -> String {
        match self.vocab.bytes.get(token as usize) {
            Some(bytes) => String::from_utf8_lossy(bytes).into_owned(),
            None => format!("<token {token} outside the vocabulary>"),
        }
    }
}

/// Builds schema filters for one model's vocabulary; made once per model
/// (the vocabulary's token trie is the costly part), cheap to clone.
#[derive(Clone)]
pub struct Constrainer {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Constrainer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Constrainer")
            .field("vocab_size", &self.shared.vocab.len())
            .field("ends", &self.shared.ends)
            .finish_non_exhaustive()
    }
}

impl Constrainer {
    /// Prepares constrained decoding over `vocab`: the token trie and the
    /// vocabulary's slices (tens of milliseconds for 50,000 tokens).
    pub fn new(vocab: Arc<Vocab>) -> Result<Constrainer, LlmError> {
        let started = Instant::now();
        let tokens = Tokens::new(&vocab)?;
        // The environment is dropped if building panics: nothing broken
        // outlives the unwind.
        let env = tokens.env.clone();
        let factory = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            ParserFactory::new(
                &env,
                InferenceCapabilities::default(),
                &llguidance::earley::SlicedBiasComputer::json_slices(),
            )
        }))
        .map_err(|panic| ConstrainError::Vocabulary(panic_message(&*panic)))?
        .map_err(|e| ConstrainError::Vocabulary(e.to_string()))?;
        let mut factory = factory;
        factory.quiet();
        tracing::debug!(
            tokens = vocab.len(),
            millis = started.elapsed().as_millis() as u64,
            "constrained decoding prepared"
        );
        Ok(Constrainer {
            shared: Arc::new(Shared {
                vocab,
                factory,
                ends: tokens.ends,
                others: tokens.others,
            }),
        })
    }

    /// A filter that lets through only tokens continuing a JSON document
    /// valid under `schema`.
    pub fn filter(&self, schema: &serde_json::Value) -> Result<Box<dyn TokenFilter>, LlmError> {
        let grammar = grammar(schema)?;
        let factory = &self.shared.factory;
        let parser = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            factory.create_parser(grammar)
        }))
        .map_err(|panic| ConstrainError::UnsupportedSchema(panic_message(&*panic)))?
        .map_err(|e| ConstrainError::UnsupportedSchema(first_line(&e.to_string())))?;
        let mut matcher = Matcher::new(Ok(parser));
        if let Some(e) = matcher.get_error() {
            return Err(ConstrainError::UnsupportedSchema(first_line(&e)).into());
        }
        for warning in matcher.grammar_warnings() {
            tracing::warn!(%warning, "JSON schema only partly enforced");
        }
        Ok(Box::new(SchemaFilter::new(matcher, self.shared.clone())))
    }

    /// The tokens that end a reply (the only ones a complete document lets
    /// through).
    pub fn end_tokens(&self) -> &[u32] {
        &self.shared.ends
    }
}

/// The llguidance grammar for `schema`, with this crate's JSON layout.
fn grammar(schema: &serde_json::Value) -> Result<TopLevelGrammar, ConstrainError> {
    jsonschema::validator_for(schema).map_err(|e| {
        let at = e.instance_path().to_string();
        ConstrainError::InvalidSchema(if at.is_empty() {
            e.to_string()
        } else {
            format!("{e} at `{at}`")
        })
    })?;
    let mut object = match schema {
        serde_json::Value::Object(object) => object.clone(),
        serde_json::Value::Bool(true) => serde_json::Map::new(),
        serde_json::Value::Bool(false) => {
            return Err(ConstrainError::UnsupportedSchema(
                "the schema `false` accepts no document".to_owned(),
            ))
        }
        _ => {
            return Err(ConstrainError::InvalidSchema(
                "a schema is an object or a boolean".to_owned(),
            ))
        }
    };
    let options = JsonCompileOptions {
        item_separator: ITEM_SEPARATOR.to_owned(),
        key_separator: KEY_SEPARATOR.to_owned(),
        whitespace_flexible: false,
        json_allowed_escapes: Some(ALLOWED_ESCAPES.to_owned()),
        ..JsonCompileOptions::default()
    };
    let options = serde_json::to_value(&options)
        .map_err(|e| ConstrainError::Parser(format!("cannot write the JSON options: {e}")))?;
    // llguidance reads its options from this key; a caller's own value is
    // replaced, so the layout above always holds.
    object.insert("x-guidance".to_owned(), options);
    Ok(TopLevelGrammar::from_json_schema(
        serde_json::Value::Object(object),
    ))
}

/// The first line of a library error (llguidance appends grammar dumps).
fn first_line(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
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
