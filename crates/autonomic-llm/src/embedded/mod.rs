//! The embedded back-end: a GGUF model loaded into this process and run on
//! the CPU, with the tokenizer and chat template the file itself carries.
//! No server, no network.
//!
//! # Engines
//!
//! By default ([`Engine::Native`]) the model runs on this crate's own llama
//! forward pass (`forward.rs`, kernels in `q8.rs`): Q8_0 weights split into
//! quants and f32 scales and interleaved four rows at a time at load, an
//! AVX2 kernel (scalar fallback with bit-identical results), activations
//! quantised to Q8_0 per product except for q/k/v and the output projection
//! (f32 there: 8-bit activations in those flip near-tie answers, e.g. the
//! capital of France), a KV cache allocated once for the window, prompts
//! evaluated as one batch. [`Engine::Candle`] keeps candle's
//! `quantized_llama` for comparison (`tests/it/forward.rs` checks both
//! against an f32 reference).
//!
//! # Why candle
//!
//! candle is pure Rust (no cmake, no C++ toolchain in the build), reads GGUF
//! and runs llama-architecture models quantised. Its Q4_1 kernels are
//! scalar, so [`load`] re-quantises such weights to Q8_0, which has an AVX2
//! kernel (see that module for the measurements behind the choice).
//!
//! # Threads
//!
//! candle 0.11 computes on two pools: the rayon pool of the calling thread
//! (f32 matrix products through `gemm`) and its own global "barrier pool"
//! of spinning workers for quantised products, sized once, at first use,
//! from `CANDLE_NUM_THREADS` (else `RAYON_NUM_THREADS`, else the physical
//! cores). [`Embedded::load`] runs every forward pass inside a rayon pool of
//! `threads` threads and, unless the variable is already set, sets
//! `CANDLE_NUM_THREADS` to `threads` before candle's pool exists, then checks
//! the size candle chose and logs a warning when it differs (a second model
//! with a different count in the same process, or a user's variable).
//! Measured: with `threads = 1` the process has one compute thread
//! (`llm-infer-0`) and the caller sleeps; with 2 threads on this 2-core
//! machine while another build ran, candle's spinning workers fell to
//! 4 tokens/s against 27 with one thread, so 1 is the right default here.

mod error;
mod forward;
mod generate;
pub mod load;
mod q8;
pub mod sampler;
pub mod template;
pub mod tokenizer;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Instant;

use candle_transformers::models::quantized_llama::MAX_SEQ_LEN;

pub use error::EmbeddedError;
use template::{ChatTemplate, Piece};
use tokenizer::{Tokenizer, TokenizerBuildError};

use crate::constrain::Constrainer;
use crate::vocab::Vocab;
use crate::{Cancel, ChatModel, Completion, LlmError, Part, Request};

/// The file name of the default model (`autonomic llm fetch`).
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";

/// How to load a model.
#[derive(Debug, Clone)]
pub struct EmbeddedOptions {
    /// Threads to compute on (`[llm] threads`; at least 1).
    pub threads: usize,
    /// The model's name in completions and `/v1/models`.
    pub id: String,
    /// Re-quantise Q4_1/Q5_0/Q5_1 weights to Q8_0 at load (faster; on by
    /// default, off only to measure the difference).
    pub requantise: bool,
    /// Caps the context window below the file's (memory, tests).
    pub max_context: Option<usize>,
    /// Which forward pass runs the model.
    pub engine: Engine,
}

/// The forward pass an [`Embedded`] model runs on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Engine {
    /// This crate's own llama forward pass over Q8_0 weights (AVX2 where
    /// the CPU has it): the default, faster than candle on one thread.
    #[default]
    Native,
    /// candle's `quantized_llama` (to compare against; `requantise`
    /// applies to it only).
    Candle,
}

impl Default for EmbeddedOptions {
    fn default() -> EmbeddedOptions {
        EmbeddedOptions {
            threads: 1,
            id: "SmolLM2-135M-Instruct".to_owned(),
            requantise: true,
            max_context: None,
            engine: Engine::Native,
        }
    }
}

/// A GGUF chat model running in this process.
pub struct Embedded {
    id: String,
    /// The weights and the KV cache: one completion at a time.
    model: Mutex<generate::Model>,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    vocab: Arc<Vocab>,
    window: usize,
    pool: rayon::ThreadPool,
    constrainer: OnceLock<Constrainer>,
    load_secs: f64,
    path: PathBuf,
    threads: usize,
    weight_bytes: u64,
}

const _: () = {
    const fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Embedded>();
};

impl std::fmt::Debug for Embedded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedded")
            .field("id", &self.id)
            .field("path", &self.path)
            .field("window", &self.window)
            .finish_non_exhaustive()
    }
}

impl Embedded {
    /// Loads the GGUF model at `path`.
    ///
    /// # Errors
    ///
    /// [`EmbeddedError`] naming the file when it is missing, not GGUF,
    /// truncated, of an architecture other than llama, or without a usable
    /// tokenizer or chat template.
    pub fn load(path: &Path, options: EmbeddedOptions) -> Result<Embedded, EmbeddedError> {
        let started = Instant::now();
        let threads = options.threads.max(1);
        bound_candle_threads(threads);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .thread_name(|i| format!("llm-infer-{i}"))
            .build()
            .map_err(|e| EmbeddedError::Threads {
                threads,
                reason: e.to_string(),
            })?;
        let (content, mut file) = load::read_header(path)?;
        let vocab =
            Arc::new(
                Vocab::from_gguf(&content).map_err(|source| EmbeddedError::Vocab {
                    path: path.to_owned(),
                    source,
                })?,
            );
        let tokenizer =
            Tokenizer::from_gguf(&content, Arc::clone(&vocab)).map_err(|e| match e {
                TokenizerBuildError::UnknownPre(name) => EmbeddedError::PreTokenizer {
                    path: path.to_owned(),
                    name,
                },
                TokenizerBuildError::Merges(reason) => EmbeddedError::Tokenizer {
                    path: path.to_owned(),
                    reason,
                },
            })?;
        let template =
            ChatTemplate::from_gguf(&content, &vocab).map_err(EmbeddedError::Template)?;
        let declared = content
            .metadata
            .get("llama.context_length")
            .and_then(|v| v.to_u32().ok())
            .map_or(MAX_SEQ_LEN, |n| n as usize);
        // candle precomputes rotary embeddings for MAX_SEQ_LEN positions.
        let window = declared
            .min(MAX_SEQ_LEN)
            .min(options.max_context.unwrap_or(usize::MAX))
            .max(1);
        let weight_bytes = weight_bytes(&content, options.engine, options.requantise);
        let model = match options.engine {
            Engine::Native => generate::Model::Native(Box::new(load::build_native(
                path, content, &mut file, window,
            )?)),
            Engine::Candle => generate::Model::Candle(Box::new(
                pool.install(|| load::build_model(path, content, &mut file, options.requantise))?,
            )),
        };
        let load_secs = started.elapsed().as_secs_f64();
        tracing::debug!(path = %path.display(), load_secs, window, threads, "loaded the embedded model");
        Ok(Embedded {
            id: options.id,
            model: Mutex::new(model),
            tokenizer,
            template,
            vocab,
            window,
            pool,
            constrainer: OnceLock::new(),
            load_secs,
            path: path.to_owned(),
            threads,
            weight_bytes,
        })
    }

    /// Threads the model computes on.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Bytes of weights in memory, all read for every generated token.
    pub fn weight_bytes(&self) -> u64 {
        self.weight_bytes
    }

    /// The vocabulary.
    pub fn vocab(&self) -> &Arc<Vocab> {
        &self.vocab
    }

    /// The tokenizer built from the file.
    pub fn tokenizer(&self) -> &Tokenizer {
        &self.tokenizer
    }

    /// The chat template (the file's, or ChatML).
    pub fn template(&self) -> &ChatTemplate {
        &self.template
    }

    /// Tokens the model can attend to: `llama.context_length`, at most
    /// candle's 4096 (and [`EmbeddedOptions::max_context`]).
    pub fn context_window(&self) -> usize {
        self.window
    }

    /// Seconds [`Embedded::load`] took.
    pub fn load_secs(&self) -> f64 {
        self.load_secs
    }

    /// The file the model came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `tokens` through the model at positions `pos..`, after the
    /// `pos` positions earlier calls cached (`pos` 0 starts afresh), and
    /// returns the logits of the last one: for comparing engines and for
    /// tests. Shares the cache with [`ChatModel::complete`].
    ///
    /// # Errors
    ///
    /// [`EmbeddedError::Inference`] when the positions do not follow the
    /// cached ones or pass the window, or a token is out of range.
    pub fn logits(&self, tokens: &[u32], pos: usize) -> Result<Vec<f32>, EmbeddedError> {
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        if pos == 0 {
            model.clear();
        }
        generate::forward(&self.pool, &mut model, tokens, pos)
    }

    /// The token ids of the prompt for `request`: the chat template
    /// rendered, its markers as control tokens, the messages' text as plain
    /// text.
    pub fn prompt_tokens(&self, request: &Request) -> Result<Vec<u32>, LlmError> {
        if request.messages.iter().any(|m| m.has_image()) {
            return Err(LlmError::NoVision {
                backend: "embedded",
            });
        }
        let texts: Vec<String> = request.messages.iter().map(|m| m.joined_text()).collect();
        let turns: Vec<(&str, &str)> = request
            .messages
            .iter()
            .zip(&texts)
            .map(|(m, t)| (m.role.as_str(), t.as_str()))
            .collect();
        let pieces = self
            .template
            .render_parts(&turns)
            .map_err(EmbeddedError::Template)?;
        let mut ids = Vec::new();
        if self.vocab.add_bos {
            ids.extend(self.vocab.bos);
        }
        for piece in pieces {
            match piece {
                Piece::Template(t) => ids.extend(self.tokenizer.encode_with_control(&t)),
                Piece::Content(c) => ids.extend(self.tokenizer.encode(&c)),
            }
        }
        Ok(ids)
    }

    fn constrainer(&self) -> Result<&Constrainer, LlmError> {
        if let Some(c) = self.constrainer.get() {
            return Ok(c);
        }
        let made = Constrainer::new(Arc::clone(&self.vocab))?;
        Ok(self.constrainer.get_or_init(|| made))
    }
}

impl ChatModel for Embedded {
    fn id(&self) -> &str {
        &self.id
    }

    fn complete(
        &self,
        request: &Request,
        on_text: &mut dyn FnMut(&str),
        cancel: &Cancel,
    ) -> Result<Completion, LlmError> {
        let started = Instant::now();
        if request
            .messages
            .iter()
            .any(|m| m.parts.iter().any(|p| matches!(p, Part::Image { .. })))
        {
            return Err(LlmError::NoVision {
                backend: "embedded",
            });
        }
        let prompt = self.prompt_tokens(request)?;
        let filter = match &request.schema {
            Some(schema) => Some(self.constrainer()?.filter(schema)?),
            None => None,
        };
        // A panic in an earlier completion leaves the weights intact; the
        // cache is cleared below anyway.
        let mut model = self.model.lock().unwrap_or_else(|p| p.into_inner());
        model.clear();
        let job = generate::Job {
            prompt: &prompt,
            max_tokens: request.max_tokens,
            sampling: request.sampling,
            stop: &request.stop,
            filter,
            window: self.window,
            vocab: &self.vocab,
            pool: &self.pool,
            started,
        };
        generate::generate(&mut model, job, on_text, cancel)
    }
}

/// Makes candle's global quantised-matmul pool `threads` wide (see the
/// module doc), once per process; warns when it ends up another size.
fn bound_candle_threads(threads: usize) {
    static SET: OnceLock<()> = OnceLock::new();
    SET.get_or_init(|| {
        #[expect(
            clippy::disallowed_methods,
            reason = "candle sizes its pool from this variable; read here only to respect a user's own setting"
        )]
        let user_set = std::env::var_os("CANDLE_NUM_THREADS").is_some();
        if !user_set {
            // Set before candle's pool exists (this OnceLock runs first), on
            // the loading thread; std serialises its own environment access.
            std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
        }
    });
    let actual = candle_core::utils::barrier_pool().n_workers() + 1;
    if actual != threads {
        tracing::warn!(
            configured = threads,
            actual,
            "candle's quantised-matmul pool was already sized differently (CANDLE_NUM_THREADS or an earlier model); it keeps its size"
        );
    }
}

/// Bytes the tensors take once loaded: the native engine keeps every
/// quantised tensor as Q8_0 quants plus an f32 scale per 32 weights (36
/// bytes a block); candle keeps them as stored (Q4_1 re-quantised to Q8_0).
fn weight_bytes(
    content: &candle_core::quantized::gguf_file::Content,
    engine: Engine,
    requantise: bool,
) -> u64 {
    use candle_core::quantized::GgmlDType;
    content
        .tensor_infos
        .values()
        .map(|info| {
            let elems = info.shape.elem_count();
            let quantised = !matches!(
                info.ggml_dtype,
                GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16
            );
            let bytes = match engine {
                Engine::Native if quantised => elems / 32 * 36,
                Engine::Native => elems * 4,
                Engine::Candle => {
                    let dtype = if requantise && info.ggml_dtype == GgmlDType::Q4_1 {
                        GgmlDType::Q8_0
                    } else {
                        info.ggml_dtype
                    };
                    elems / dtype.block_size().max(1) * dtype.type_size()
                }
            };
            bytes as u64
        })
        .sum()
}
