//! `autonomic mcp`: the MCP server on stdio (agent-spine's [`mcp`]).

use std::path::PathBuf;
use std::process::ExitCode;

use agent_spine::mcp::{self, ServerOptions};
use anyhow::Context as _;

use crate::exec_cmd::SandboxArgs;

/// Arguments of `autonomic mcp`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Speaks MCP over stdio (newline-delimited JSON-RPC 2.0): revisions 2024-11-05 to 2025-11-25
through `initialize`, and the stateless 2026-07-28 through `server/discover`. Tools:
run_command (validate, check installs, run in the sandbox, audit), validate,
scan_dependencies and recall. Commands run only under --root.

Claude Code:   claude mcp add autonomic -- autonomic mcp --root /path/to/project
Codex (~/.codex/config.toml):
  [mcp_servers.autonomic]
  command = \"autonomic\"
  args = [\"mcp\", \"--root\", \"/path/to/project\"]")]
pub struct McpArgs {
    /// Commands run only in this directory and below (default: the current directory).
    #[arg(long, value_name = "DIR")]
    root: Option<PathBuf>,
    /// The agent-brain project `recall` reads.
    #[arg(long, value_name = "NAME")]
    project: Option<String>,
    /// A command that needs review: refuse it or run it, auditing the
    /// approval (MCP cannot ask a human here; default `[spine]
    /// review_without_terminal`, itself "refuse" by default).
    #[arg(long, value_enum)]
    on_review: Option<OnReview>,
    #[command(flatten)]
    sandbox: SandboxArgs,
}

/// What to do with a `review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnReview {
    /// Refuse it, with the reason.
    Refuse,
    /// Run it and audit the approval.
    Allow,
}

/// Serves until stdin closes.
pub fn run(args: &McpArgs, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let root = match &args.root {
        Some(r) => r.clone(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    let root = root
        .canonicalize()
        .with_context(|| format!("the MCP root `{}`", root.display()))?;
    anyhow::ensure!(
        root.is_dir(),
        "the MCP root `{}` is not a directory",
        root.display()
    );
    let options = ServerOptions {
        root,
        project: args.project.clone(),
        allow_review: match args.on_review {
            Some(choice) => choice == OnReview::Allow,
            None => {
                ctx.config.config.spine.review_without_terminal
                    == autonomic_core::config::ReviewPolicy::Allow
            }
        },
        sandbox: args.sandbox.options(),
    };
    let mut server = mcp::Server::new(ctx.paths.clone(), ctx.config.config.clone(), options)?;
    crate::exec_cmd::install_cancel_handler()?;
    let stdin = std::io::BufReader::new(std::io::stdin());
    let stdout = std::io::stdout().lock();
    server
        .serve(stdin, stdout)
        .context("serving MCP on stdio")?;
    Ok(ExitCode::SUCCESS)
}
