//! Counting tokens the way the model will.
//!
//! Budgets are counted with OpenAI's `cl100k_base` byte-pair encoding
//! (GPT-4, GPT-3.5-turbo and their embeddings) through `tiktoken-rs`, which
//! ships the rank table inside the crate: no download, no network. Other
//! models' tokenizers differ by a few percent on English prose; cl100k is the
//! most widely shared reference, and a summary that fits its count fits a
//! budget stated in it exactly.

use tiktoken_rs::CoreBPE;

/// A tokenizer used only to count.
#[derive(Clone, Copy)]
pub struct TokenCounter {
    bpe: &'static CoreBPE,
}

impl std::fmt::Debug for TokenCounter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCounter(cl100k_base)")
    }
}

impl TokenCounter {
    /// The `cl100k_base` encoding (built once per process, on first use).
    pub fn cl100k() -> TokenCounter {
        TokenCounter {
            bpe: tiktoken_rs::cl100k_base_singleton(),
        }
    }

    /// The name of the encoding.
    pub const NAME: &'static str = "cl100k_base";

    /// The name of the encoding.
    pub fn name(&self) -> &'static str {
        Self::NAME
    }

    /// How many tokens `text` encodes to (special tokens treated as text).
    pub fn count(&self, text: &str) -> usize {
        self.bpe.encode_ordinary(text).len()
    }

    /// The size of `content` as a routed summary (whitespace collapsed),
    /// what the store keeps beside each fact.
    pub(crate) fn summary_tokens(&self, content: &str) -> i64 {
        self.count(&collapse_whitespace(content)) as i64
    }
}

/// `text` with every run of whitespace made one space, trimmed: the text
/// of a summary.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
