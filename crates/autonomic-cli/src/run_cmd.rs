//! `autonomic run`: one shell command through the guarded path
//! (agent-spine's [`Guard`]): validated, its installs checked, a review put
//! to you at the terminal, run in the sandbox, audited.

use std::io::{BufRead as _, IsTerminal as _, Read as _, Write as _};
use std::process::ExitCode;

use agent_spine::guard::{Answer, Guard, Outcome};
use anyhow::Context as _;
use autonomic_core::audit::Actor;
use autonomic_core::config::ReviewPolicy;
use autonomic_core::Decision;

use crate::exec_cmd::{install_cancel_handler, report, SandboxArgs, Streamer};
use crate::{EXIT_FAILED_CHECK, EXIT_REVIEW};

/// What to do with a command that needs review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OnReview {
    /// Ask at the terminal (when there is none: `[spine] review_without_terminal`).
    Ask,
    /// Refuse it (exit 3).
    Refuse,
    /// Run it without asking; the approval is audited as given by policy.
    Allow,
}

/// Arguments of `autonomic run`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
A workflow file runs every node through the layers, journaled:
  autonomic run examples/repo-audit.toml [--repo DIR] [--var NAME=VALUE]...
The command is a shell string, run with `bash -c` in the sandbox:
  autonomic run -- 'cargo test && git status'
1. agent-mouth validates it: a deny prints the finding with a caret and nothing runs (exit 1).
2. Every package install in it (pip/uv/poetry, npm/yarn/pnpm/bun/npx, cargo add/install,
   go get/install, …) is checked against the offline OSV database: a blocking advisory
   denies; an install the database cannot vouch for (a URL, a git repository, an archive,
   another registry, a name that imitates a popular package, no database) needs review.
3. A review is asked at the terminal: yes, no, or always (writes a user rule allowing
   exactly this command to [mouth] rules_file, default <home>/rules.toml, and says so).
   With no terminal, `[spine] review_without_terminal` decides (default: refused, exit 3);
   --on-review refuse|allow decides instead of asking.
4. It runs at --sandbox (default [muscle] default_sandbox); the exit code is the command's.
5. Every refusal, answer and run is appended to the audit log (`autonomic audit show`).")]
pub struct RunArgs {
    /// A workflow file to run instead of one command (see docs/workflows.md):
    /// its nodes go through the same layers, journaled; the run ends
    /// succeeded (0), failed (1) or paused for a human (3).
    #[arg(value_name = "WORKFLOW.toml")]
    pub workflow: Option<std::path::PathBuf>,
    /// With a workflow: the repository to run it in (default: its `repo`).
    #[arg(long, value_name = "DIR", requires = "workflow")]
    pub repo: Option<std::path::PathBuf>,
    /// With a workflow: a variable, NAME=VALUE (repeatable; over the file's [vars]).
    #[arg(long = "var", value_name = "NAME=VALUE", requires = "workflow")]
    pub vars: Vec<String>,
    /// What to do with a command that needs review (default: ask at a
    /// terminal, else `[spine] review_without_terminal`).
    #[arg(long, value_enum, default_value = "ask")]
    on_review: OnReview,
    /// Only assess: print the decision and exit 0 allow / 1 deny / 3 review.
    #[arg(long)]
    dry_run: bool,
    #[command(flatten)]
    sandbox: SandboxArgs,
    /// The shell command (words are joined with spaces); read from stdin when absent or `-`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

/// Runs `autonomic run`.
pub fn run(args: &RunArgs, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.workflow {
        if !args.command.is_empty() {
            anyhow::bail!("give a workflow file or a command after `--`, not both");
        }
        return crate::spine_cmd::run_workflow(file, args.repo.clone(), &args.vars, ctx);
    }
    let command = read_command(&args.command)?;
    let opts = args.sandbox.options();
    let cwd = match &opts.workspace {
        Some(w) => w.clone(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    let mut guard = Guard::new(ctx.paths.clone(), ctx.config.config.clone(), Actor::Cli)?;
    let assessment = guard.assess(&command, &cwd)?;
    let mut stderr = std::io::stderr().lock();
    if args.dry_run {
        write!(std::io::stdout(), "{}", dry_run_text(&assessment))?;
        return Ok(ExitCode::from(code_of(assessment.decision)));
    }
    let mut approved = false;
    match assessment.decision {
        Decision::Allow => {}
        Decision::Deny => {
            write!(stderr, "{}", assessment.render())?;
            guard.refuse(&assessment, "denied")?;
            writeln!(stderr, "\nautonomic: refused; nothing ran")?;
            return Ok(ExitCode::from(EXIT_FAILED_CHECK));
        }
        Decision::Review => {
            write!(stderr, "{}", assessment.render())?;
            let interactive = std::io::stdin().is_terminal();
            let answer = match args.on_review {
                OnReview::Allow => Some((Answer::Yes, Actor::Cli)),
                OnReview::Refuse => None,
                OnReview::Ask if interactive => Some((ask(&mut stderr)?, Actor::User)),
                OnReview::Ask
                    if ctx.config.config.spine.review_without_terminal == ReviewPolicy::Allow =>
                {
                    writeln!(
                        stderr,
                        "\nautonomic: no terminal to ask; allowed by `[spine] review_without_terminal` (audited)"
                    )?;
                    Some((Answer::Yes, Actor::Cli))
                }
                OnReview::Ask => {
                    writeln!(
                        stderr,
                        "\nautonomic: this command needs review and there is no terminal to ask; refused (pass --on-review allow, or set `[spine] review_without_terminal = \"allow\"`, to run it and audit the approval)"
                    )?;
                    None
                }
            };
            let Some((answer, by)) = answer else {
                guard.refuse(&assessment, "needs review; not approved")?;
                return Ok(ExitCode::from(EXIT_REVIEW));
            };
            if let Some(r) = guard.answer(&assessment, answer, &by)? {
                if r.ids.is_empty() {
                    writeln!(stderr, "autonomic: this command cannot be allowed narrowly by a rule; you will be asked again")?;
                } else {
                    writeln!(
                        stderr,
                        "autonomic: wrote {} rule{} allowing exactly this command to {} ({})",
                        r.ids.len(),
                        if r.ids.len() == 1 { "" } else { "s" },
                        r.path.display(),
                        r.ids.join(", ")
                    )?;
                }
            }
            if answer == Answer::No {
                guard.refuse(&assessment, "review answered no")?;
                writeln!(stderr, "autonomic: not run")?;
                return Ok(ExitCode::from(EXIT_REVIEW));
            }
            approved = true;
        }
    }
    drop(stderr);
    install_cancel_handler()?;
    let streamer = Streamer::start();
    let outcome = guard.run_with(&assessment, approved, &opts, streamer.control());
    streamer.finish();
    match outcome? {
        Outcome::Refused { decision, .. } => Ok(ExitCode::from(code_of(decision))),
        Outcome::Ran(ran) => {
            let argv = ["bash".to_owned(), "-c".to_owned(), command];
            report(
                &ran.result,
                ran.output_limit,
                &argv,
                ran.profile.as_ref().map(|p| p.0.as_str()),
            )
        }
    }
}

fn code_of(d: Decision) -> u8 {
    match d {
        Decision::Allow => crate::EXIT_OK,
        Decision::Deny => EXIT_FAILED_CHECK,
        Decision::Review => EXIT_REVIEW,
    }
}

fn dry_run_text(a: &agent_spine::guard::Assessment) -> String {
    let mut out = format!("{}\n", a.decision);
    out.push_str(&a.render());
    out
}

/// The command from the arguments, or stdin.
fn read_command(words: &[String]) -> anyhow::Result<String> {
    if !words.is_empty() && words != ["-"] {
        return Ok(words.join(" "));
    }
    let stdin = std::io::stdin();
    anyhow::ensure!(
        !stdin.is_terminal(),
        "nothing to run: pass the command after `--` or pipe it on stdin"
    );
    let mut buf = String::new();
    stdin
        .lock()
        .read_to_string(&mut buf)
        .context("reading the command from stdin")?;
    let trimmed = buf.trim_end_matches('\n').to_owned();
    anyhow::ensure!(
        !trimmed.trim().is_empty(),
        "nothing to run: stdin was empty"
    );
    Ok(trimmed)
}

/// Asks yes / no / always at the terminal; anything else asks again (end of
/// input is no).
fn ask(stderr: &mut impl std::io::Write) -> anyhow::Result<Answer> {
    let stdin = std::io::stdin();
    let mut line = String::new();
    loop {
        write!(
            stderr,
            "\nRun it? [y]es, [n]o, [a]lways (allow exactly this command from now on): "
        )?;
        stderr.flush()?;
        line.clear();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Ok(Answer::No);
        }
        match line.trim().to_ascii_lowercase().as_str() {
            "y" | "yes" => return Ok(Answer::Yes),
            "n" | "no" => return Ok(Answer::No),
            "a" | "always" => return Ok(Answer::Always),
            _ => writeln!(stderr, "please answer y, n or a")?,
        }
    }
}
