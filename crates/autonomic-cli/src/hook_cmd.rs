//! `autonomic hook claude-code|codex`: the harnesses' `PreToolUse` hook
//! (agent-spine's [`hook`] speaks the format). Fails closed: every error —
//! a broken config, an unusable audit log, even a panic — answers deny.

use std::io::{Read as _, Write as _};
use std::process::ExitCode;

use agent_spine::guard::Guard;
use agent_spine::hook::{self, Harness, MAX_INPUT_BYTES};
use autonomic_core::audit::Actor;
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;

/// Which harness calls.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum HarnessArg {
    /// Claude Code's PreToolUse hook (allow / ask / deny).
    ClaudeCode,
    /// Codex's PreToolUse hook (deny, or no objection).
    Codex,
}

/// Arguments of `autonomic hook`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Reads the hook's JSON on stdin, answers on stdout, exits 0. Every internal error
answers deny (the harnesses let a call through when a hook fails). Install:

Claude Code (~/.claude/settings.json or .claude/settings.json):
  {\"hooks\": {\"PreToolUse\": [{\"matcher\": \"Bash\",
    \"hooks\": [{\"type\": \"command\", \"command\": \"autonomic hook claude-code\", \"timeout\": 30}]}]}}

Codex (~/.codex/hooks.json):
  {\"hooks\": {\"PreToolUse\": [{\"matcher\": \"Bash\",
    \"hooks\": [{\"type\": \"command\", \"command\": \"autonomic hook codex\", \"timeout\": 30}]}]}}")]
pub struct HookArgs {
    /// The harness whose format to speak.
    #[arg(value_enum)]
    harness: HarnessArg,
    /// Claude Code only: rewrite every command it lets through to run via
    /// `autonomic run` (`updatedInput`), so it is also sandboxed and audited.
    /// The sandbox's working directory is the agent's; a `cd` inside a
    /// command does not outlive it.
    #[arg(long)]
    sandbox: bool,
}

/// Runs `autonomic hook`. Never returns an error: failures are answers.
pub fn run(args: &HookArgs, paths: anyhow::Result<Paths>) -> ExitCode {
    let harness = match args.harness {
        HarnessArg::ClaudeCode => Harness::ClaudeCode,
        HarnessArg::Codex => Harness::Codex,
    };
    // A panic would exit 101, which the harnesses treat as "go on": answer
    // deny and exit 2 (blocking in both) instead.
    std::panic::set_hook(Box::new(|info| {
        let reason = format!("autonomic: internal error ({info}); refusing the call");
        let reply = serde_json::json!({"hookSpecificOutput": {"hookEventName": "PreToolUse",
            "permissionDecision": "deny", "permissionDecisionReason": reason}});
        let _ = writeln!(std::io::stdout(), "{reply}");
        let _ = writeln!(std::io::stderr(), "{reason}");
        std::process::exit(2);
    }));
    let mut input = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut input);
    let input = match read {
        Ok(_) if input.len() > MAX_INPUT_BYTES => b"too large".to_vec(),
        Ok(_) => input,
        Err(_) => Vec::new(),
    };
    let mut guard = paths.map_err(|e| format!("{e:#}")).and_then(|paths| {
        let config = Config::load(&paths).map_err(|e| format!("{e:#}"))?;
        Guard::new(paths, config.config, Actor::Hook(harness.name().to_owned()))
            .map_err(|e| format!("{e:#}"))
    });
    let exe = std::env::current_exe().ok();
    let wrap = match (args.sandbox, harness, &exe) {
        (true, Harness::ClaudeCode, Some(exe)) => Some(exe.as_path()),
        (true, Harness::Codex, _) => {
            let _ = writeln!(
                std::io::stderr(),
                "autonomic: --sandbox is for Claude Code (Codex hooks cannot rewrite a command); judging only"
            );
            None
        }
        (true, _, None) => {
            // Cannot name ourselves: refuse rather than let the command run
            // unsandboxed when sandboxing was asked for.
            guard = Err("cannot find the autonomic binary to sandbox the command".to_owned());
            None
        }
        _ => None,
    };
    let reply = hook::answer(harness, &input, guard.as_mut().map_err(|e| e.clone()), wrap);
    match writeln!(std::io::stdout(), "{}", reply.json) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "autonomic: cannot answer the hook ({e}); refusing the call"
            );
            ExitCode::from(2)
        }
    }
}
