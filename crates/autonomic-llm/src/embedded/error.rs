//! What can go wrong loading or running the embedded model.

use std::path::PathBuf;

use autonomic_core::Hint;

use crate::vocab::VocabError;

/// An error of the embedded back-end; every error about a file names it.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    /// The model file does not exist.
    #[error("the model file {} does not exist", path.display())]
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be opened or read.
    #[error("cannot read the model file {}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a GGUF file (or its header is damaged).
    #[error("{} is not a GGUF model file: {reason}", path.display())]
    NotGguf {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        reason: String,
    },
    /// The file ends before its last tensor does.
    #[error("the model file {} is truncated: its tensors need {needed} bytes, the file has {actual}", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header says the file has at least.
        needed: u64,
        /// Bytes it has.
        actual: u64,
    },
    /// The model's architecture is not one the engine runs.
    #[error("the model file {} has architecture `{architecture}`, which the embedded back-end cannot run (it runs `llama`)", path.display())]
    Architecture {
        /// The file.
        path: PathBuf,
        /// `general.architecture`, or `(none)`.
        architecture: String,
    },
    /// The file's tokenizer metadata is unusable.
    #[error("the model file {} has no usable tokenizer", path.display())]
    Vocab {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: VocabError,
    },
    /// Building the tokenizer from the metadata failed.
    #[error("the model file {} has no usable tokenizer: {reason}", path.display())]
    Tokenizer {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The pre-tokenizer the file names is not implemented.
    #[error("the model file {} asks for pre-tokenizer `{name}`, which is not implemented (known: smollm, gpt2, default)", path.display())]
    PreTokenizer {
        /// The file.
        path: PathBuf,
        /// `tokenizer.ggml.pre`.
        name: String,
    },
    /// The chat template does not compile or render.
    #[error("the chat template cannot be used: {0}")]
    Template(String),
    /// The engine failed to build the model from the file.
    #[error("cannot load the model in {}", path.display())]
    Load {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: candle_core::Error,
    },
    /// The thread pool could not be started.
    #[error("cannot start {threads} inference threads: {reason}")]
    Threads {
        /// How many were asked for.
        threads: usize,
        /// Why.
        reason: String,
    },
    /// The prompt does not fit the context window.
    #[error("the prompt is {tokens} tokens, but the model's context window is {window} tokens (one more is needed to answer)")]
    PromptTooLong {
        /// Tokens of the rendered prompt.
        tokens: usize,
        /// The context window.
        window: usize,
    },
    /// The engine failed while generating.
    #[error("inference failed")]
    Inference(#[source] candle_core::Error),
}

impl EmbeddedError {
    /// Whether `path` is the default model `autonomic llm fetch` downloads.
    fn is_default_model(path: &std::path::Path) -> bool {
        path.file_name()
            .is_some_and(|name| name == crate::embedded::DEFAULT_MODEL_FILE)
    }
}

impl Hint for EmbeddedError {
    fn hint(&self) -> Option<String> {
        match self {
            EmbeddedError::Missing { path } if EmbeddedError::is_default_model(path) => Some(
                format!("`autonomic llm fetch` downloads it to {}", path.display()),
            ),
            EmbeddedError::Missing { .. } => Some(
                "set `[llm] model_path` to a GGUF file, or run `autonomic llm fetch` and use the default model".to_owned(),
            ),
            EmbeddedError::NotGguf { path, .. } | EmbeddedError::Truncated { path, .. }
                if EmbeddedError::is_default_model(path) =>
            {
                Some("run `autonomic llm fetch` to download the model again".to_owned())
            }
            EmbeddedError::Architecture { .. } | EmbeddedError::PreTokenizer { .. } => Some(
                "use a llama-architecture GGUF (SmolLM2, Llama 2/3, TinyLlama…), or `[llm] backend = \"openai\"` with a local server".to_owned(),
            ),
            EmbeddedError::PromptTooLong { .. } => {
                Some("shorten the conversation or the prompt".to_owned())
            }
            _ => None,
        }
    }
}
