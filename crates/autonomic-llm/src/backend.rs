//! The back-end `[llm]` chooses, opened.

use std::sync::Arc;

use autonomic_core::config::{LlmBackend, LlmConfig};

use crate::embedded::{Embedded, EmbeddedOptions};
use crate::openai::{api_key_from_env, is_loopback_host, ClientOptions, OpenAiClient};
use crate::{ChatModel, LlmError};

/// Opens the configured back-end: loads the embedded model (about a
/// second), or checks the endpoint's address (no request is made).
///
/// # Errors
///
/// A missing or unusable model file, an endpoint that is not on this
/// machine without `allow_remote`, an `api_key_env` naming an unset
/// variable.
pub fn open(config: &LlmConfig) -> Result<Arc<dyn ChatModel>, LlmError> {
    Ok(match config.backend {
        LlmBackend::Embedded => Arc::new(open_embedded(config)?),
        LlmBackend::Openai => {
            let key = api_key_from_env(config)?;
            Arc::new(OpenAiClient::new(ClientOptions::from_config(config, key))?)
        }
    })
}

/// Loads `[llm] model_path` with `[llm] threads` and `model` as its name.
pub fn open_embedded(config: &LlmConfig) -> Result<Embedded, LlmError> {
    let options = EmbeddedOptions {
        threads: usize::try_from(config.threads).unwrap_or(1),
        id: config.model.clone(),
        ..EmbeddedOptions::default()
    };
    Ok(Embedded::load(&config.model_path, options)?)
}

/// One line saying where completions come from, for `config show` and
/// `autonomic llm chat -v`.
pub fn describe(config: &LlmConfig) -> String {
    match config.backend {
        LlmBackend::Embedded => format!(
            "embedded model {} on {} thread(s); nothing leaves this machine",
            config.model_path.display(),
            config.threads
        ),
        LlmBackend::Openai => {
            let host = crate::openai::url_host(&config.base_url).unwrap_or_default();
            let place = if is_loopback_host(host) {
                "on this machine".to_owned()
            } else if config.allow_remote {
                format!("REMOTE host {host}: prompts and images leave this machine (allow_remote = true)")
            } else {
                format!("remote host {host}, refused: set allow_remote = true to use it")
            };
            format!(
                "OpenAI-compatible endpoint {} (model \"{}\"), {place}",
                config.base_url, config.model
            )
        }
    }
}
