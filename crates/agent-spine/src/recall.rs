//! `recall`: agent-brain's `route_task` for a project, read-only (a task
//! reads memory, never writes it). No database yet is an empty answer.
//!
//! This is also where the brain meets the sentence encoder: agent-brain
//! takes any [`Embedder`], autonomic-llm's all-MiniLM-L6-v2 is one, and
//! neither depends on the other; [`embedder`] loads it as `[brain]` says.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};

use agent_brain::{Brain, BrainError, BrainSettings, Embedder, Routed, TaskContext};
use autonomic_core::config::Config;
use autonomic_llm::embed::SentenceEmbedder;

/// Whether semantic retrieval can run.
#[derive(Debug, Clone)]
pub enum Semantic {
    /// The encoder is loaded.
    Ready(Arc<dyn Embedder>),
    /// `[brain] semantic = false`.
    Off,
    /// The model is not where `[brain] embedding_model` says.
    Missing {
        /// Where it was looked for.
        dir: PathBuf,
    },
    /// The model is there but the store has none of its vectors yet (the
    /// next heart cycle, or `autonomic brain embed`, makes them).
    NoVectorsYet,
}

impl Semantic {
    /// The encoder, when loaded.
    pub fn embedder(&self) -> Option<Arc<dyn Embedder>> {
        match self {
            Semantic::Ready(e) => Some(Arc::clone(e)),
            _ => None,
        }
    }

    /// The one line that says ranking falls back to words, when it does.
    pub fn fallback_notice(&self) -> Option<String> {
        match self {
            Semantic::Missing { dir } => Some(format!(
                "semantic retrieval is off: no embedding model at {} — ranking by words alone (fetch it with `autonomic brain fetch-model`, or set [brain] semantic = false)",
                dir.display()
            )),
            _ => None,
        }
    }
}

/// The encoder `[brain]` asks for, loaded once per process (a long-lived
/// caller such as the MCP server routes many tasks). A model that is there
/// but cannot be loaded (damaged, wrong files) is an error, not a quiet
/// fallback.
///
/// # Errors
///
/// The model directory holds a model that does not load, as one line.
pub fn embedder(config: &Config) -> Result<Semantic, String> {
    if !config.brain.semantic {
        return Ok(Semantic::Off);
    }
    let dir = config.brain.embedding_model.clone();
    if !dir.join("model.safetensors").is_file() {
        return Ok(Semantic::Missing { dir });
    }
    static LOADED: Mutex<Option<(PathBuf, Arc<dyn Embedder>)>> = Mutex::new(None);
    let mut loaded = LOADED
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some((at, model)) = loaded.as_ref() {
        if *at == dir {
            return Ok(Semantic::Ready(Arc::clone(model)));
        }
    }
    let model: Arc<dyn Embedder> = match SentenceEmbedder::load(&dir) {
        Ok(model) => Arc::new(model),
        Err(e) => return Err(format!("[brain] embedding_model: {e}")),
    };
    *loaded = Some((dir, Arc::clone(&model)));
    Ok(Semantic::Ready(model))
}

/// [`embedder`] for routing on `brain`: a model the store has no vectors of
/// (none embedded yet) is not loaded — it could not take part, and loading
/// it is most of a route's time.
///
/// # Errors
///
/// As [`embedder`], or the store failing.
pub fn embedder_for(config: &Config, brain: &Brain) -> Result<Semantic, String> {
    if config.brain.semantic
        && config
            .brain
            .embedding_model
            .join("model.safetensors")
            .is_file()
    {
        let name = config
            .brain
            .embedding_model
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !brain.has_vectors_of(&name).map_err(|e| e.to_string())? {
            return Ok(Semantic::NoVectorsYet);
        }
    }
    embedder(config)
}

/// The summaries a task in `project` (and `session`) would be given.
///
/// # Errors
///
/// Invalid input (an empty task, a bad scope name) or an unusable database,
/// as one line.
pub fn route(
    config: &Config,
    project: &str,
    session: Option<String>,
    task: &str,
    budget: usize,
) -> Result<Routed, String> {
    let settings = BrainSettings::from_config(&config.brain);
    let ctx = TaskContext {
        project: project.to_owned(),
        session,
    };
    let mut brain = match Brain::open_read_only(&config.brain.db_path, settings) {
        Ok(b) => b,
        Err(BrainError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
            Brain::open_in_memory(settings).map_err(|e| e.to_string())?
        }
        Err(e) => return Err(e.to_string()),
    };
    let semantic = embedder_for(config, &brain)?;
    if let Some(notice) = semantic.fallback_notice() {
        static SAID: Once = Once::new();
        SAID.call_once(|| tracing::warn!("{notice}"));
    }
    brain.set_embedder(semantic.embedder());
    brain
        .route_task(&ctx, task, budget)
        .map_err(|e| e.to_string())
}
