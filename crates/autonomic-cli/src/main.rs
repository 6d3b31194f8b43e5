//! `autonomic`: the command-line interface to the Autonomic security runtime.
//!
//! Parsing is two-staged: clap turns arguments into [`Cli`], then
//! [`resolve_paths`] and [`Context::load`] turn that into resolved settings
//! that commands receive. Data goes to stdout; diagnostics and errors go to
//! stderr through one renderer ([`render::error`]). Exit codes are listed in
//! [`EXIT_CODES`] and in `--help`.

mod audit_cmd;
mod brain_cmd;
mod brain_model_cmd;
mod config_cmd;
mod exec_cmd;
mod hook_cmd;
mod init;
mod live;
mod llm_cmd;
mod mcp_cmd;
mod muscle_cmd;
mod outbound_cmd;
mod run_cmd;
mod spine_cmd;
mod validate;
mod workflow_cmd;

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;

use agent_spine::workflow::journal::Verdict;
use autonomic_cli::render;
use autonomic_core::config::{Config, LoadedConfig};
use autonomic_core::paths::Paths;
use clap::{ArgAction, Parser, Subcommand};

/// Success: allowed, clean, done.
pub const EXIT_OK: u8 = 0;
/// A check failed: a command denied, a blocking finding, a tampered audit log.
pub const EXIT_FAILED_CHECK: u8 = 1;
/// Bad usage, invalid configuration or any other error.
pub const EXIT_ERROR: u8 = 2;
/// A human must review it (and did not approve it).
pub const EXIT_REVIEW: u8 = 3;
/// The OSV database is missing or unusable.
pub const EXIT_DB: u8 = 4;

/// The exit codes, as shown after `--help` (the same in every command;
/// `run` and `exec` return the command's own code once it ran).
const EXIT_CODES: &str = "\
Exit codes (the same in every command):
  0  success: allowed, clean, done
  1  a check failed: denied, a blocking finding, a tampered audit log
  2  error: bad usage, invalid configuration, I/O failure
  3  needs human review (validate; run: review not approved)
  4  the OSV database is missing or unusable
run and exec: once the command ran, its own exit code
  (128+N if killed by signal N, 130 after Ctrl-C).";

/// Security runtime for AI coding agents.
#[derive(Debug, Parser)]
#[command(name = "autonomic", version, after_help = EXIT_CODES)]
struct Cli {
    /// Autonomic home directory (overrides $AUTONOMIC_HOME; default ~/.autonomic).
    #[arg(long, global = true, value_name = "DIR")]
    home: Option<PathBuf>,

    /// More diagnostics on stderr (-v info, -vv debug, -vvv trace). $RUST_LOG takes precedence.
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true)]
    quiet: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the home directory tree and a commented default config.toml (never overwrites).
    Init,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Inspect the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Validate agent-generated code or commands (exit 0 allow, 1 deny, 3 review).
    Validate(validate::ValidateArgs),
    /// Run an agent's shell command through every layer: validate, check installs, ask, sandbox, audit.
    Run(run_cmd::RunArgs),
    /// PreToolUse hook for Claude Code or Codex: judge the agent's shell command (fails closed).
    Hook(hook_cmd::HookArgs),
    /// MCP server on stdio: run_command, validate, scan_dependencies, recall.
    Mcp(mcp_cmd::McpArgs),
    /// Run a program at a sandbox level, without validation (exit code mirrors the command's).
    Exec(exec_cmd::ExecArgs),
    /// agent-muscle: the microVM guest image, and what this host can do.
    #[command(subcommand)]
    Muscle(muscle_cmd::MuscleCommand),
    /// Scan dependencies against the local OSV database (same as the `agent-immune` binary).
    #[command(subcommand)]
    Immune(autonomic_cli::immune::ImmuneCommand),
    /// agent-brain: scoped, temporal fact memory routed to tasks.
    #[command(subcommand)]
    Brain(brain_cmd::BrainCommand),
    /// agent-heart: prune and archive cycles over the fact memory.
    #[command(subcommand)]
    Heart(brain_cmd::HeartCommand),
    /// The local language model: fetch it, chat with it, serve it over the OpenAI API, measure it.
    #[command(subcommand)]
    Llm(llm_cmd::LlmCommand),
    /// Workflow runs: every run, or one run's nodes (from the journal).
    Status {
        /// A run id (wf-YYYYMMDD-xxxxxx); all recent runs when absent.
        run: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A workflow run's journal: every transition and every layer's decision, oldest first.
    Logs {
        /// The run id.
        run: String,
        /// One JSON event per line (the event schema of docs/events.md).
        #[arg(long)]
        json: bool,
    },
    /// Run the workflow engine as a daemon: resumes paused and interrupted runs, adopts runs
    /// other commands submit, takes answers (CLI, NATS), prunes memory and old journals.
    Serve,
    /// Approval requests waiting for a human.
    Approvals {
        #[command(subcommand)]
        command: Option<ApprovalsCommand>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Approve the open request of a paused run (the first valid answer wins).
    Approve(AnswerArgs),
    /// Reject the open request of a paused run.
    Reject(AnswerArgs),
    /// Cancel a run (running work is stopped).
    Cancel(AnswerArgs),
    /// Workflow files: check one before running it.
    #[command(subcommand)]
    Workflow(workflow_cmd::WorkflowCommand),
    /// Outbound messages (Slack, GitHub, e-mail): validate one as agent-mouth would before
    /// sending it.
    #[command(subcommand)]
    Outbound(outbound_cmd::OutboundCommand),
    /// GitHub REST calls: check one against the API policy (no network).
    #[command(subcommand)]
    Github(outbound_cmd::GithubCommand),
    /// E-mail: send a test message through the configured relay.
    #[command(subcommand)]
    Email(outbound_cmd::EmailCommand),
}

#[derive(Debug, Subcommand)]
enum ApprovalsCommand {
    /// Send fresh requests for a paused run (an expired request cannot be answered); a
    /// security hold is rescanned first and released when nothing blocks any more.
    Resend {
        /// The run id.
        run: String,
    },
}

#[derive(Debug, clap::Args)]
struct AnswerArgs {
    /// The run id (wf-YYYYMMDD-xxxxxx).
    run: String,
    /// Which request, when the run has more than one open.
    #[arg(long, value_name = "ID")]
    request: Option<String>,
    /// Why (kept in the journal and the audit log).
    #[arg(long)]
    reason: Option<String>,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print every key with its effective value and where it came from.
    Show {
        /// Print JSON instead of annotated TOML.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Check the audit log's hash chain (exit 1 if it was tampered with).
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print the records, oldest first, optionally filtered.
    Show(audit_cmd::ShowArgs),
}

/// Resolved settings shared by the commands that need the configuration.
#[derive(Debug)]
pub struct Context {
    /// Where Autonomic's files are.
    pub paths: Paths,
    /// The effective configuration and its provenance.
    pub config: LoadedConfig,
}

impl Context {
    /// Loads the configuration for `paths`.
    fn load(paths: Paths) -> anyhow::Result<Context> {
        let config = Config::load(&paths)?;
        Ok(Context { paths, config })
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // --help and --version are not errors and go to stdout.
            let code = if error.use_stderr() {
                EXIT_ERROR
            } else {
                EXIT_OK
            };
            // Nothing better to do if the terminal is gone.
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    init_tracing(&cli);
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            render::error(&error);
            // `autonomic immune …` keeps agent-immune's exit code 3 for a
            // missing or unusable database.
            ExitCode::from(if autonomic_cli::immune::is_database_error(&error) {
                autonomic_cli::immune::EXIT_DB
            } else {
                EXIT_ERROR
            })
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    if let Command::Hook(args) = &cli.command {
        return Ok(hook_cmd::run(args, resolve_paths(cli.home.clone())));
    }
    let paths = resolve_paths(cli.home)?;
    tracing::debug!(home = %paths.home.display(), "resolved paths");
    match cli.command {
        // Neither needs a valid config: init must work next to a broken file,
        // and the audit log must stay checkable whatever the config says.
        Command::Init => init::run(&paths),
        Command::Audit(AuditCommand::Verify { json }) => audit_cmd::verify(&paths, json),
        Command::Audit(AuditCommand::Show(args)) => audit_cmd::show(&paths, &args),
        Command::Config(ConfigCommand::Show { json }) => {
            config_cmd::show(&Context::load(paths)?, json)
        }
        Command::Validate(args) => validate::run(&args, &Context::load(paths)?),
        Command::Hook(args) => Ok(hook_cmd::run(&args, Ok(paths))),
        Command::Mcp(args) => mcp_cmd::run(&args, &Context::load(paths)?),
        Command::Run(args) => run_cmd::run(&args, &Context::load(paths)?),
        Command::Exec(args) => exec_cmd::run_exec(&args, &Context::load(paths)?),
        Command::Muscle(cmd) => muscle_cmd::run(&cmd, &Context::load(paths)?),
        Command::Brain(cmd) => brain_cmd::run_brain(&cmd, &Context::load(paths)?),
        Command::Heart(cmd) => brain_cmd::run_heart(&cmd, &Context::load(paths)?),
        Command::Llm(cmd) => llm_cmd::run(&cmd, &Context::load(paths)?),
        Command::Status { run, json } => {
            spine_cmd::status(run.as_deref(), json, &Context::load(paths)?)
        }
        Command::Logs { run, json } => spine_cmd::logs(&run, json, &Context::load(paths)?),
        Command::Serve => spine_cmd::serve(&Context::load(paths)?),
        Command::Approvals {
            command: None,
            json,
        } => spine_cmd::approvals(json, &Context::load(paths)?),
        Command::Approvals {
            command: Some(ApprovalsCommand::Resend { run }),
            ..
        } => spine_cmd::resend(&run, &Context::load(paths)?),
        Command::Approve(a) => answer(&a, Verdict::Approve, paths),
        Command::Reject(a) => answer(&a, Verdict::Reject, paths),
        Command::Cancel(a) => answer(&a, Verdict::Cancel, paths),
        Command::Workflow(cmd) => workflow_cmd::run(&cmd),
        Command::Outbound(cmd) => outbound_cmd::outbound(&cmd, &Context::load(paths)?),
        Command::Github(cmd) => outbound_cmd::github(&cmd, &Context::load(paths)?),
        Command::Email(cmd) => outbound_cmd::email(&cmd, &Context::load(paths)?),
        Command::Immune(cmd) => {
            let ctx = Context::load(paths)?;
            autonomic_cli::immune::run(&cmd, &ctx.paths, &ctx.config)
        }
    }
}

fn answer(a: &AnswerArgs, verdict: Verdict, paths: Paths) -> anyhow::Result<ExitCode> {
    spine_cmd::answer(
        &a.run,
        verdict,
        a.request.as_deref(),
        a.reason.clone(),
        &Context::load(paths)?,
    )
}

/// `--home` wins over `$AUTONOMIC_HOME`, which wins over `~/.autonomic`.
fn resolve_paths(home: Option<PathBuf>) -> anyhow::Result<Paths> {
    Ok(match home {
        Some(home) => Paths::with_home(home).with_user_home(autonomic_core::env::user_home()),
        None => Paths::from_env()?,
    })
}

fn init_tracing(cli: &Cli) {
    let directives = autonomic_core::env::rust_log().unwrap_or_else(|| {
        let level = match (cli.quiet, cli.verbose) {
            (true, _) => "error",
            (false, 0) => "warn",
            (false, 1) => "info",
            (false, 2) => "debug",
            (false, _) => "trace",
        };
        level.to_owned()
    });
    let filter = tracing_subscriber::EnvFilter::try_new(&directives)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(autonomic_core::env::colour(std::io::stderr().is_terminal()))
        .with_target(false)
        .without_time()
        .init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
