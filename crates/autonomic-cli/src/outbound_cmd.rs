//! `autonomic outbound check`, `autonomic github check` and `autonomic
//! email test`: agent-mouth's outbound validation from the command line,
//! and a test e-mail through the configured relay. The logic is agent-spine's
//! (`channels::check`, `channels::probe`); this parses, prints and picks
//! the exit code (as `validate`: 0 allow, 1 deny, 3 review).

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use agent_mouth::outbound::OutChannel;
use agent_mouth::Decision;
use agent_spine::channels::check::{self, Checked};
use agent_spine::channels::{policy, probe};
use anyhow::Context as _;

use crate::{EXIT_FAILED_CHECK, EXIT_OK, EXIT_REVIEW};

/// How a verdict is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object.
    Json,
}

/// `autonomic outbound …`.
#[derive(Debug, clap::Subcommand)]
pub enum OutboundCommand {
    /// Validate a message as it would be sent: decision, findings (rule ids and where), the
    /// redacted text (exit 0 allow, 1 deny, 3 review).
    #[command(after_help = "\
Examples:
  autonomic outbound check --channel slack message.txt
  echo 'deploy done: https://ci.example.com/7' | autonomic outbound check --channel github -
  autonomic outbound check --channel email --format json body.txt

Links are checked against [mouth] outbound_allowed_hosts, mass mentions against
[mouth] outbound_mass_mentions, and the credential files under your home are known secrets.
Nothing is sent.")]
    Check(MessageArgs),
}

/// Arguments of `outbound check`.
#[derive(Debug, clap::Args)]
pub struct MessageArgs {
    /// Where the message would go.
    #[arg(long, value_enum)]
    channel: Channel,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
    /// The message file; stdin when absent or `-`.
    #[arg(value_name = "FILE")]
    file: Option<PathBuf>,
}

/// A channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channel {
    /// A Slack message.
    Slack,
    /// A GitHub comment, issue or pull request body.
    Github,
    /// An e-mail body.
    Email,
}

/// `autonomic github …`.
#[derive(Debug, clap::Subcommand)]
pub enum GithubCommand {
    /// Check a GitHub REST call against agent-mouth's API policy, with no network: the
    /// endpoint's decision, findings in the path and body, the redacted body (exit 0 allow,
    /// 1 deny, 3 review).
    #[command(after_help = "\
Examples:
  autonomic github check POST /repos/octo/app/issues/7/comments --body comment.json
  autonomic github check PUT /repos/octo/app/pulls/7/merge       # review: a human confirms
  autonomic github check DELETE /repos/octo/app                  # deny: gh.repo.delete")]
    Check(ApiArgs),
}

/// Arguments of `github check`.
#[derive(Debug, clap::Args)]
pub struct ApiArgs {
    /// GET, POST, PUT, PATCH or DELETE.
    #[arg(value_name = "METHOD")]
    method: String,
    /// The path under the API root, e.g. /repos/octo/app/pulls.
    #[arg(value_name = "PATH")]
    path: String,
    /// The JSON body, from a file (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    body: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// `autonomic email …`.
#[derive(Debug, clap::Subcommand)]
pub enum EmailCommand {
    /// Send a short test e-mail through the relay in [mouth] (smtp_host, smtp_port, smtp_tls,
    /// email_from), validated like every e-mail; prints the relay, the TLS used and the
    /// message id.
    #[command(after_help = "\
Example:
  autonomic email test --to oncall@example.com

Each recipient must be listed in [mouth] email_recipients. The SMTP password is read from
the variable [mouth] smtp_password_env names.")]
    Test(EmailTestArgs),
}

/// Arguments of `email test`.
#[derive(Debug, clap::Args)]
pub struct EmailTestArgs {
    /// A recipient (repeat for more).
    #[arg(long, value_name = "ADDR", required = true)]
    to: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: Format,
}

/// Runs `outbound check`.
pub fn outbound(cmd: &OutboundCommand, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let OutboundCommand::Check(args) = cmd;
    let text = read_input(args.file.as_deref())?;
    let text = String::from_utf8(text).context("the message is not UTF-8")?;
    let channel = match args.channel {
        Channel::Slack => OutChannel::Slack,
        Channel::Github => OutChannel::GitHub,
        Channel::Email => OutChannel::Email,
    };
    let policy = policy::outbound(&ctx.config.config, ctx.paths.user_home());
    let (checked, _) = check::message(channel, &text, &policy);
    print(&checked, args.format)
}

/// Runs `github check`.
pub fn github(cmd: &GithubCommand, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let GithubCommand::Check(args) = cmd;
    let body = match &args.body {
        Some(path) => {
            Some(String::from_utf8(read_input(Some(path))?).context("the body is not UTF-8")?)
        }
        None => None,
    };
    let policy = policy::outbound(&ctx.config.config, ctx.paths.user_home());
    let (checked, _) = check::api_call(&args.method, &args.path, body.as_deref(), &policy);
    print(&checked, args.format)
}

/// Runs `email test`.
pub fn email(cmd: &EmailCommand, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let EmailCommand::Test(args) = cmd;
    let sent = probe::email_test(&ctx.config.config, ctx.paths.user_home(), &args.to)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&sent)?)?,
        Format::Text => {
            writeln!(out, "sent: {}", sent.message_id)?;
            writeln!(out, "relay: {}", sent.relay)?;
            writeln!(
                out,
                "tls: {} ({})",
                sent.tls,
                if sent.encrypted {
                    "encrypted"
                } else {
                    "not encrypted"
                }
            )?;
            writeln!(out, "accepted: {}", sent.recipients.join(", "))?;
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// A file's bytes, or stdin's for `None` or `-`.
fn read_input(file: Option<&Path>) -> anyhow::Result<Vec<u8>> {
    match file {
        Some(path) if path != Path::new("-") => {
            fs_err::read(path).with_context(|| format!("reading {}", path.display()))
        }
        _ => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                anyhow::bail!("nothing to check: give a FILE or pipe the text on stdin");
            }
            let mut buf = Vec::new();
            stdin
                .lock()
                .read_to_end(&mut buf)
                .context("reading stdin")?;
            Ok(buf)
        }
    }
}

/// Prints a verdict and returns `validate`'s exit code for it.
fn print(checked: &Checked, format: Format) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(checked)?)?,
        Format::Text => {
            writeln!(out, "{} ({})", checked.decision, checked.channel)?;
            for f in &checked.findings {
                writeln!(
                    out,
                    "  {} [{}] at {}: {}",
                    f.decision, f.rule_id, f.location, f.message
                )?;
            }
            writeln!(out, "redacted:")?;
            for line in checked.redacted.lines() {
                writeln!(out, "  {line}")?;
            }
        }
    }
    Ok(ExitCode::from(match checked.decision {
        Decision::Allow => EXIT_OK,
        Decision::Deny => EXIT_FAILED_CHECK,
        Decision::Review => EXIT_REVIEW,
    }))
}
