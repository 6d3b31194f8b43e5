//! Measures the embedded back-end: load time, prompt evaluation and
//! generation speed, time to first token.
//!
//! ```text
//! cargo run --release -p autonomic-llm --example embedded_bench -- MODEL.gguf [--candle] [--q4_1] [--threads N] [--tokens N] [--prompt TEXT]
//! ```
//! `--candle` runs candle's forward pass instead of the native one
//! (`--q4_1` keeps candle on the stored Q4_1 weights).
//! Peak memory: run it under `/usr/bin/time -v`.

use std::path::PathBuf;

use autonomic_llm::embedded::{Embedded, EmbeddedOptions, Engine};
use autonomic_llm::{Cancel, ChatModel, Message, Request, Role};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut options = EmbeddedOptions::default();
    let mut tokens = 128u32;
    let mut prompt = "Write a short story about a robot who learns to paint.".to_owned();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--candle" => options.engine = Engine::Candle,
            "--q4_1" => options.requantise = false,
            "--threads" => options.threads = args.next().ok_or("--threads N")?.parse()?,
            "--tokens" => tokens = args.next().ok_or("--tokens N")?.parse()?,
            "--prompt" => prompt = args.next().ok_or("--prompt TEXT")?,
            other => path = Some(PathBuf::from(other)),
        }
    }
    let path = path.ok_or("usage: embedded_bench MODEL.gguf")?;
    let model = Embedded::load(&path, options)?;
    println!("load_secs {:.3}", model.load_secs());
    let mut request = Request::new(vec![Message::text(Role::User, prompt)]);
    request.max_tokens = tokens;
    request.stop.clear();
    let mut text = String::new();
    let cpu_before = cpu_secs();
    let c = model.complete(&request, &mut |t| text.push_str(t), &Cancel::new())?;
    let cpu = cpu_secs() - cpu_before;
    println!("text {text:?}");
    println!(
        "prompt_tokens {} prompt_secs {:.3} prompt_tok_s {:.1}",
        c.usage.prompt_tokens,
        c.timings.prompt_secs,
        f64::from(c.usage.prompt_tokens) / c.timings.prompt_secs
    );
    println!("first_token_secs {:.3}", c.timings.first_token_secs);
    let after_first = c.usage.completion_tokens.saturating_sub(1);
    println!(
        "completion_tokens {} generation_secs {:.3} generation_tok_s {:.1} finish {:?}",
        c.usage.completion_tokens,
        c.timings.generation_secs,
        f64::from(after_first) / c.timings.generation_secs,
        c.finish
    );
    // On a busy machine wall-clock speed understates the engine: tokens per
    // second of CPU the process actually got.
    let tokens = f64::from(c.usage.prompt_tokens + c.usage.completion_tokens);
    let wall = c.timings.prompt_secs + c.timings.generation_secs;
    println!(
        "cpu_secs {cpu:.3} wall_secs {wall:.3} cpu_share {:.2} tokens_per_cpu_sec {:.1}",
        cpu / wall,
        tokens / cpu
    );
    Ok(())
}

/// User + system CPU seconds of this process (`/proc/self/stat`, 100 Hz).
fn cpu_secs() -> f64 {
    let stat = fs_err::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(") ").next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (tick(11) + tick(12)) / 100.0
}
