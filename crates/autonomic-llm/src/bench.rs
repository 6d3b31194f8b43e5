//! `autonomic llm bench`: what the embedded back-end costs on this machine.
//!
//! One report: load time, prompt evaluation and generation speed, time to
//! first token, the same with decoding held to a JSON schema, peak memory,
//! and generation as a share of this machine's single-core memory read
//! bandwidth (the ceiling: every generated token reads all the weights).

use serde::Serialize;

use crate::embedded::Embedded;
use crate::{Cancel, ChatModel, Completion, LlmError, Message, Request, Role};

/// The user message of the speed runs (`scripts/llama-cpp-yardstick.py`
/// sends the same one, so the two engines can be compared).
pub const PROMPT: &str = "You are reviewing a shell command an AI coding agent wants to run in a \
repository. Explain in a few sentences what `git log --oneline -n 20 -- src/` shows, when a \
developer would use it, and one safer or faster alternative.";

/// The request of the constrained run.
const SCHEMA_PROMPT: &str = "Give the shell command that lists the 20 most recent commits \
touching src/, one per line, and explain it in the command's comment.";

/// One timed completion.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Tokens of the rendered prompt.
    pub prompt_tokens: u32,
    /// Prompt evaluation, tokens per second.
    pub prompt_tok_s: f64,
    /// From the call to the first generated token, seconds.
    pub first_token_secs: f64,
    /// Tokens generated.
    pub completion_tokens: u32,
    /// Generation after the first token, tokens per second.
    pub generation_tok_s: f64,
}

impl Run {
    fn from(c: &Completion) -> Run {
        let rate = |n: f64, secs: f64| if secs > 0.0 { n / secs } else { 0.0 };
        Run {
            prompt_tokens: c.usage.prompt_tokens,
            prompt_tok_s: rate(f64::from(c.usage.prompt_tokens), c.timings.prompt_secs),
            first_token_secs: c.timings.first_token_secs,
            completion_tokens: c.usage.completion_tokens,
            generation_tok_s: rate(
                f64::from(c.usage.completion_tokens.saturating_sub(1)),
                c.timings.generation_secs,
            ),
        }
    }
}

/// What `autonomic llm bench` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// The model file.
    pub model: String,
    /// Compute threads.
    pub threads: usize,
    /// Loading the model, seconds.
    pub load_secs: f64,
    /// Free generation, best of the runs.
    pub free: Run,
    /// Generation held to a `{lang, command}` schema, best of the runs.
    pub constrained: Run,
    /// Constrained generation speed as a share of free generation speed.
    pub constrained_ratio: f64,
    /// Peak resident memory of this process, bytes (`VmHWM`).
    pub peak_rss_bytes: u64,
    /// Bytes of weights read per generated token (the model's tensors).
    pub weight_bytes: u64,
    /// Single-core memory read bandwidth, bytes per second.
    pub read_bytes_per_sec: f64,
    /// The generation speed that bandwidth allows (`read / weights`).
    pub bandwidth_tok_s: f64,
    /// Free generation as a share of that ceiling.
    pub bandwidth_share: f64,
}

/// Measures `model` (loaded by the caller, who knows the load time):
/// `runs` completions of `tokens` tokens each way, the best kept.
pub fn run(model: &Embedded, tokens: u32, runs: usize) -> Result<Report, LlmError> {
    let cancel = Cancel::new();
    let mut free_request = Request::new(vec![Message::text(Role::User, PROMPT)]);
    free_request.max_tokens = tokens;
    let mut schema_request = Request::new(vec![Message::text(Role::User, SCHEMA_PROMPT)]);
    schema_request.max_tokens = tokens;
    schema_request.schema = Some(serde_json::json!({
        "type": "object",
        "properties": {
            "lang": {"enum": ["bash", "python", "typescript"]},
            "command": {"type": "string", "maxLength": 400}
        },
        "required": ["lang", "command"],
        "additionalProperties": false
    }));
    let best = |request: &Request| -> Result<Run, LlmError> {
        let mut best = Run::from(&model.complete(request, &mut |_| {}, &cancel)?);
        for _ in 1..runs {
            let run = Run::from(&model.complete(request, &mut |_| {}, &cancel)?);
            if run.generation_tok_s > best.generation_tok_s {
                best = run;
            }
        }
        Ok(best)
    };
    let free = best(&free_request)?;
    let constrained = best(&schema_request)?;
    // Before the bandwidth probe's 512 MiB buffer.
    let peak_rss_bytes = peak_rss_bytes();
    let read_bytes_per_sec = crate::bandwidth::read_bytes_per_sec(5);
    let weight_bytes = model.weight_bytes();
    let bandwidth_tok_s = read_bytes_per_sec / weight_bytes.max(1) as f64;
    Ok(Report {
        model: model.path().display().to_string(),
        threads: model.threads(),
        load_secs: model.load_secs(),
        constrained_ratio: ratio(constrained.generation_tok_s, free.generation_tok_s),
        bandwidth_share: ratio(free.generation_tok_s, bandwidth_tok_s),
        free,
        constrained,
        peak_rss_bytes,
        weight_bytes,
        read_bytes_per_sec,
        bandwidth_tok_s,
    })
}

fn ratio(a: f64, b: f64) -> f64 {
    if b > 0.0 {
        a / b
    } else {
        0.0
    }
}

/// `VmHWM` of `/proc/self/status`, in bytes (0 where there is none).
pub fn peak_rss_bytes() -> u64 {
    fs_err::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                let kib = line.strip_prefix("VmHWM:")?.trim().strip_suffix("kB")?;
                kib.trim().parse::<u64>().ok()
            })
        })
        .map_or(0, |kib| kib * 1024)
}
