//! Agent harness hooks: Claude Code's and Codex's `PreToolUse` command hooks
//! put every shell command the agent is about to run through the guarded
//! path's assessment ([`crate::guard::Guard::assess`]) and answer in the
//! harness's own format.
//!
//! Both harnesses send one JSON object on stdin (`hook_event_name`,
//! `tool_name`, `tool_input.command`, `cwd`, …) and read a JSON object on
//! stdout:
//!
//! ```json
//! {"hookSpecificOutput": {"hookEventName": "PreToolUse",
//!   "permissionDecision": "deny",
//!   "permissionDecisionReason": "autonomic: deny [bash.download_exec]: …"}}
//! ```
//!
//! Claude Code takes `allow`, `ask` and `deny`. Codex acts on `deny` (an
//! empty answer lets the call go on to its own approval flow), so a
//! `review` is answered `deny` there, with the reason: Codex cannot ask.
//!
//! Fail closed: a harness lets the call proceed when a hook errors or times
//! out, so every failure here — unreadable input, a missing command, an
//! unusable rules file or audit log — is answered `deny` with the reason,
//! never an error exit. Tools other than the shell are not ours to judge and
//! get no decision.

use std::path::{Path, PathBuf};

use agent_mouth::Decision;
use serde_json::{json, Value};

use crate::guard::{Assessment, Guard};

/// The harnesses whose hook formats are spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Harness {
    /// Claude Code (`~/.claude/settings.json` → `hooks.PreToolUse`).
    ClaudeCode,
    /// OpenAI Codex (`~/.codex/hooks.json` → `hooks.PreToolUse`).
    Codex,
}

impl Harness {
    /// Its name in the audit log's actor (`hook:claude-code`).
    pub fn name(self) -> &'static str {
        match self {
            Harness::ClaudeCode => "claude-code",
            Harness::Codex => "codex",
        }
    }
}

/// Largest hook input read (a command plus metadata; Claude Code's largest
/// tool inputs are file writes, which are not shell commands).
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// The shell tools' names: Claude Code's and Codex's `Bash`, and Codex's
/// older shell tool names.
const SHELL_TOOLS: &[&str] = &["Bash", "shell", "exec_command", "local_shell"];

/// What to print on stdout (always a JSON object; empty means "no decision").
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The JSON answer.
    pub json: Value,
    /// The decision taken, when one was (for the caller's logs and tests).
    pub decision: Option<Decision>,
}

/// Answers one hook call. `guard` is `Err` with the reason when it could
/// not be set up (the answer is then a deny naming it). With `wrap` (the
/// `autonomic` binary; Claude Code only), an allowed or asked command is
/// rewritten (`updatedInput`) to run through `autonomic run`, so it is also
/// sandboxed and its run audited.
pub fn answer(
    harness: Harness,
    input: &[u8],
    guard: Result<&mut Guard, String>,
    wrap: Option<&Path>,
) -> Reply {
    let parsed: Value = match serde_json::from_slice(input) {
        Ok(v @ Value::Object(_)) => v,
        Ok(_) => return deny("autonomic: the hook input is not a JSON object; refusing the call"),
        Err(e) => {
            return deny(&format!(
                "autonomic: cannot read the hook input ({e}); refusing the call"
            ))
        }
    };
    let event = parsed["hook_event_name"].as_str().unwrap_or("PreToolUse");
    if event != "PreToolUse" {
        return Reply {
            json: json!({}),
            decision: None,
        };
    }
    let tool = parsed["tool_name"].as_str().unwrap_or_default();
    if !SHELL_TOOLS.contains(&tool) {
        return Reply {
            json: json!({}),
            decision: None,
        };
    }
    let command = match &parsed["tool_input"]["command"] {
        Value::String(s) => s.clone(),
        // Codex's older shell tool sends argv.
        Value::Array(words) if words.iter().all(Value::is_string) => words
            .iter()
            .filter_map(Value::as_str)
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" "),
        _ => {
            return deny(&format!(
                "autonomic: the `{tool}` call has no `tool_input.command` string; refusing it"
            ))
        }
    };
    let guard = match guard {
        Ok(g) => g,
        Err(why) => {
            return deny(&format!(
                "autonomic could not check this command ({why}); refusing it"
            ))
        }
    };
    let cwd = parsed["cwd"]
        .as_str()
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("/"));
    match guard.assess(&command, &cwd) {
        Ok(a) => {
            let mut reply = decide(harness, &a);
            if let (Harness::ClaudeCode, Some(exe), Some(Decision::Allow | Decision::Review)) =
                (harness, wrap, reply.decision)
            {
                let mut input = parsed["tool_input"].clone();
                input["command"] = Value::String(wrapped(exe, &command, a.decision));
                reply.json["hookSpecificOutput"]["updatedInput"] = input;
            }
            reply
        }
        Err(e) => deny(&format!(
            "autonomic could not record its decision ({e}); refusing the call"
        )),
    }
}

fn decide(harness: Harness, a: &Assessment) -> Reply {
    let reasons = a.reasons();
    let reason = if reasons.is_empty() {
        "autonomic: allowed (no finding)".to_owned()
    } else {
        format!("autonomic: {}", reasons.join("; "))
    };
    match (harness, a.decision) {
        (_, Decision::Deny) => deny(&reason),
        (Harness::ClaudeCode, Decision::Review) => output("ask", &reason, Decision::Review),
        (Harness::Codex, Decision::Review) => deny(&format!("{reason} — this needs a human's review, which Codex cannot ask for: run it yourself with `autonomic run`, or allow it with a rule"),
        ),
        (Harness::ClaudeCode, Decision::Allow) => output("allow", &reason, Decision::Allow),
        (Harness::Codex, Decision::Allow) => Reply {
            json: json!({}),
            decision: Some(Decision::Allow),
        },
    }
}

fn deny(reason: &str) -> Reply {
    output("deny", reason, Decision::Deny)
}

fn output(decision: &str, reason: &str, d: Decision) -> Reply {
    // Keep the reason readable in the harness's UI and transcript.
    let reason: String = reason.chars().take(2000).collect();
    Reply {
        json: json!({
            "hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": decision,
                "permissionDecisionReason": reason,
            }
        }),
        decision: Some(d),
    }
}

/// `command` as `autonomic run` runs it: validated again (nothing changed
/// since, or it is refused), run in the sandbox, audited. A command the
/// human approved in Claude Code's prompt (`ask`) runs with `--on-review
/// allow`: the approval was given there.
fn wrapped(exe: &Path, command: &str, decision: Decision) -> String {
    let on_review = if decision == Decision::Review {
        "allow"
    } else {
        "refuse"
    };
    format!(
        "{} run --on-review {on_review} -- {}",
        shell_quote(&exe.to_string_lossy()),
        shell_quote(command)
    )
}

/// Quotes one argv word for bash (single quotes; `'` as `'\''`).
fn shell_quote(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
    {
        return word.to_owned();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}
