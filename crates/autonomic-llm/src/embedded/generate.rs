//! The generation loop: prompt evaluation, then one token at a time until
//! an end-of-turn token, a stop string, the schema's end, `max_tokens`, the
//! context window, or cancellation.

use std::time::Instant;

use candle_core::{Device, Tensor};
use candle_transformers::models::quantized_llama::ModelWeights;

use super::forward::Llama;
use super::sampler::Sampler;
use super::tokenizer::Utf8Stream;
use super::EmbeddedError;
use crate::chat::Timings;
use crate::filter::TokenFilter;
use crate::vocab::Vocab;
use crate::{Cancel, Completion, FinishReason, LlmError, Sampling, Usage};

/// Everything one generation needs besides the model.
pub(crate) struct Job<'a> {
    pub prompt: &'a [u32],
    pub max_tokens: u32,
    pub sampling: Sampling,
    pub stop: &'a [String],
    pub filter: Option<Box<dyn TokenFilter>>,
    pub window: usize,
    pub vocab: &'a Vocab,
    pub pool: &'a rayon::ThreadPool,
    pub started: Instant,
}

/// The forward pass a model runs on.
pub(crate) enum Model {
    /// This crate's own ([`super::forward`]).
    Native(Box<Llama>),
    /// candle's `quantized_llama` (kept to compare against).
    Candle(Box<ModelWeights>),
}

impl Model {
    /// Forgets the cached positions.
    pub(crate) fn clear(&mut self) {
        match self {
            Model::Native(m) => m.clear(),
            Model::Candle(m) => m.clear_kv_cache(),
        }
    }
}

/// Runs one forward pass on the inference pool and returns the last
/// position's logits.
pub(crate) fn forward(
    pool: &rayon::ThreadPool,
    model: &mut Model,
    tokens: &[u32],
    pos: usize,
) -> Result<Vec<f32>, EmbeddedError> {
    pool.install(|| match model {
        Model::Native(m) => m
            .forward(tokens, pos)
            .map_err(|e| candle_core::Error::Msg(e.to_string())),
        Model::Candle(m) => {
            let input = Tensor::new(tokens, &Device::Cpu)?.unsqueeze(0)?;
            let logits = m.forward(&input, pos)?;
            logits.squeeze(0)?.to_vec1::<f32>()
        }
    })
    .map_err(EmbeddedError::Inference)
}

/// Generates from a cleared model.
pub(crate) fn generate(
    model: &mut Model,
    mut job: Job<'_>,
    on_text: &mut dyn FnMut(&str),
    cancel: &Cancel,
) -> Result<Completion, LlmError> {
    let prompt_len = job.prompt.len();
    if prompt_len == 0 || prompt_len >= job.window {
        return Err(EmbeddedError::PromptTooLong {
            tokens: prompt_len,
            window: job.window,
        }
        .into());
    }
    let prompt_start = Instant::now();
    let mut logits = forward(job.pool, model, job.prompt, 0)?;
    let prompt_secs = prompt_start.elapsed().as_secs_f64();

    let mut sampler = Sampler::new(job.sampling);
    let mut utf8 = Utf8Stream::default();
    let mut stops = StopScan::new(job.stop);
    let mut text = String::new();
    let mut emit = |piece: &str, text: &mut String| {
        if !piece.is_empty() {
            text.push_str(piece);
            on_text(piece);
        }
    };
    let mut generated = 0u32;
    let mut first_token: Option<Instant> = None;
    let mut pos = prompt_len;
    let finish = loop {
        if cancel.is_cancelled() {
            break FinishReason::Cancelled;
        }
        if generated >= job.max_tokens {
            break FinishReason::Length;
        }
        if let Some(filter) = job.filter.as_mut() {
            filter.mask(&mut logits)?;
        }
        let Some(token) = sampler.sample(&logits) else {
            // Every token masked: nothing can continue.
            break FinishReason::Stop;
        };
        generated += 1;
        if first_token.is_none() {
            first_token = Some(Instant::now());
        }
        let done = match job.filter.as_mut() {
            Some(filter) => filter.accept(token)?,
            None => false,
        };
        if job.vocab.end_of_turn.contains(&token) {
            break FinishReason::Stop;
        }
        let bytes = job
            .vocab
            .bytes
            .get(token as usize)
            .map_or(&[][..], Vec::as_slice);
        let piece = utf8.push(bytes);
        let (out, hit) = stops.push(&piece);
        emit(&out, &mut text);
        if hit || done {
            break FinishReason::Stop;
        }
        // The next forward pass would put this token at `pos`.
        if pos >= job.window {
            break FinishReason::Length;
        }
        if generated >= job.max_tokens {
            break FinishReason::Length;
        }
        logits = forward(job.pool, model, &[token], pos)?;
        pos += 1;
    };
    if !stops.stopped {
        let tail = utf8.finish();
        let (out, _) = stops.push(&tail);
        emit(&out, &mut text);
        let held = stops.flush();
        emit(&held, &mut text);
    }
    let end = Instant::now();
    let first = first_token.unwrap_or(end);
    Ok(Completion {
        text,
        finish,
        usage: Usage {
            prompt_tokens: prompt_len as u32,
            completion_tokens: generated,
        },
        timings: Timings {
            first_token_secs: first.duration_since(job.started).as_secs_f64(),
            prompt_secs,
            generation_secs: end.duration_since(first).as_secs_f64(),
        },
    })
}

/// Holds back text that could be the start of a stop string.
#[derive(Debug)]
pub(crate) struct StopScan<'a> {
    stops: Vec<&'a str>,
    held: String,
    /// A stop string was found: nothing more comes out.
    pub stopped: bool,
}

impl<'a> StopScan<'a> {
    pub(crate) fn new(stops: &'a [String]) -> StopScan<'a> {
        StopScan {
            stops: stops
                .iter()
                .map(String::as_str)
                .filter(|s| !s.is_empty())
                .collect(),
            held: String::new(),
            stopped: false,
        }
    }

    /// Adds text; returns what may be shown now and whether a stop string
    /// was reached (the text before it is returned, the string is not).
    pub(crate) fn push(&mut self, text: &str) -> (String, bool) {
        if self.stopped {
            return (String::new(), true);
        }
        self.held.push_str(text);
        if self.stops.is_empty() {
            return (std::mem::take(&mut self.held), false);
        }
        let first = self.stops.iter().filter_map(|s| self.held.find(s)).min();
        if let Some(at) = first {
            self.stopped = true;
            let out = self.held[..at].to_owned();
            self.held.clear();
            return (out, true);
        }
        // The longest tail of `held` that begins some stop string.
        let keep = self
            .held
            .char_indices()
            .map(|(i, _)| i)
            .find(|&i| {
                let tail = &self.held[i..];
                self.stops.iter().any(|s| s.starts_with(tail))
            })
            .unwrap_or(self.held.len());
        let out = self.held[..keep].to_owned();
        self.held.drain(..keep);
        (out, false)
    }

    /// The held text, at the end of generation.
    pub(crate) fn flush(&mut self) -> String {
        std::mem::take(&mut self.held)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_strings_are_held_back_and_cut() {
        let stops = vec!["\n\n".to_owned(), "END".to_owned()];
        let mut s = StopScan::new(&stops);
        assert_eq!(s.push("hello E"), ("hello ".to_owned(), false));
        assert_eq!(s.push("N"), (String::new(), false));
        assert_eq!(s.push("X"), ("ENX".to_owned(), false));
        assert_eq!(s.push("a\n"), ("a".to_owned(), false));
        assert_eq!(s.push("\nmore"), (String::new(), true));
        assert!(s.stopped);
        let mut s = StopScan::new(&stops);
        assert_eq!(s.push("xxENDyy"), ("xx".to_owned(), true));
        let none: Vec<String> = Vec::new();
        let mut s = StopScan::new(&none);
        assert_eq!(s.push("abc"), ("abc".to_owned(), false));
    }
}
