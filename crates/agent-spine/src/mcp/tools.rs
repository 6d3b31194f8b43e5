//! The four tools: definitions (JSON Schema inputs) and calls.
//!
//! A tool's own failure — bad arguments, a refused command, no database —
//! is a result with `isError: true` and the reason as text, so the model can
//! read it and correct course; only an unknown tool is a protocol error.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_mouth::{Decision, Lang};
use agent_muscle::exec::{CancelHandle, RunControl};
use autonomic_core::audit::Actor;
use serde_json::{json, Value};

use super::protocol::INVALID_PARAMS;
use super::Server;
use crate::guard::{Answer, Outcome};

/// Output kept per stream in a `run_command` result.
const MAX_OUTPUT_CHARS: usize = 64 * 1024;
/// The longest a `run_command` may ask for.
const MAX_TIMEOUT_SECONDS: u64 = 3600;

pub(super) fn definitions() -> Value {
    json!([
        {
            "name": "run_command",
            "title": "Run a shell command safely",
            "description": "Run a bash command through Autonomic: it is validated, package installs in it are checked against the offline vulnerability database, and it runs in a sandbox. A refused command is not run; the result says which rule refused it and why.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "command": {"type": "string", "description": "The bash command line."},
                    "cwd": {"type": "string", "description": "Working directory, relative to the server's root (default: the root)."},
                    "timeout_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_TIMEOUT_SECONDS, "description": "Wall-clock limit (default 60)."}
                },
                "required": ["command"],
                "additionalProperties": false
            },
            "annotations": {"destructiveHint": true, "openWorldHint": false}
        },
        {
            "name": "validate",
            "title": "Validate a command without running it",
            "description": "Check a bash command (with its package installs) or a Python or TypeScript snippet: the decision (allow, review, deny) and every finding with its rule id and position.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "command": {"type": "string"},
                    "lang": {"type": "string", "enum": ["bash", "python", "typescript"], "default": "bash"}
                },
                "required": ["command"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        },
        {
            "name": "scan_dependencies",
            "title": "Scan dependencies for known vulnerabilities",
            "description": "Scan the lockfiles and manifests under a directory (relative to the server's root) against the offline OSV database.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "path": {"type": "string", "description": "Directory relative to the root (default: the root)."},
                    "recursive": {"type": "boolean", "default": false}
                },
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        },
        {
            "name": "recall",
            "title": "Recall what is known about a task",
            "description": "The facts Autonomic's memory holds for this project that are relevant to a task, ranked and cut to a token budget.",
            "inputSchema": {
                "type": "object",
                "properties": {
                    "task": {"type": "string"},
                    "budget_tokens": {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1000},
                    "session": {"type": "string"}
                },
                "required": ["task"],
                "additionalProperties": false
            },
            "annotations": {"readOnlyHint": true, "openWorldHint": false}
        }
    ])
}

type Call = Result<Value, (i64, String)>;

/// A tool result: text for the model, the same as structured data.
fn result(text: String, data: Value, is_error: bool) -> Value {
    json!({
        "content": [{"type": "text", "text": text}],
        "structuredContent": data,
        "isError": is_error,
    })
}

fn tool_error(text: impl Into<String>) -> Value {
    let text = text.into();
    result(text.clone(), json!({"error": text}), true)
}

pub(super) fn call(server: &mut Server, params: &Value) -> Call {
    let Some(name) = params["name"].as_str() else {
        return Err((INVALID_PARAMS, "`tools/call` needs `name`".to_owned()));
    };
    let args = match &params["arguments"] {
        Value::Null => json!({}),
        v @ Value::Object(_) => v.clone(),
        _ => return Ok(tool_error("`arguments` must be an object")),
    };
    let outcome = match name {
        "run_command" => run_command(server, &args),
        "validate" => validate(server, &args),
        "scan_dependencies" => scan_dependencies(server, &args),
        "recall" => recall(server, &args),
        other => return Err((INVALID_PARAMS, format!("unknown tool `{other}`"))),
    };
    Ok(outcome.unwrap_or_else(tool_error))
}

/// Rejects arguments the schema does not name.
fn only(args: &Value, allowed: &[&str]) -> Result<(), String> {
    let unknown: Vec<&str> = args
        .as_object()
        .into_iter()
        .flat_map(|o| o.keys())
        .map(String::as_str)
        .filter(|k| !allowed.contains(k))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!("unknown argument(s): {}", unknown.join(", ")))
    }
}

fn string_arg<'a>(args: &'a Value, name: &str) -> Result<&'a str, String> {
    args[name]
        .as_str()
        .ok_or_else(|| format!("`{name}` must be a string"))
}

/// `rel` under the root, refusing anything that resolves outside it.
fn under_root(root: &Path, rel: Option<&str>) -> Result<PathBuf, String> {
    let Some(rel) = rel else {
        return Ok(root.to_path_buf());
    };
    let joined = root.join(rel);
    let resolved = joined.canonicalize().map_err(|e| format!("`{rel}`: {e}"))?;
    if !resolved.starts_with(root) {
        return Err(format!(
            "`{rel}` is outside the server's root {}: commands run only under it",
            root.display()
        ));
    }
    Ok(resolved)
}

fn cut(bytes: &[u8]) -> (String, bool) {
    let text = String::from_utf8_lossy(bytes);
    let n = text.chars().count();
    if n <= MAX_OUTPUT_CHARS {
        (text.into_owned(), false)
    } else {
        (text.chars().skip(n - MAX_OUTPUT_CHARS).collect(), true)
    }
}

fn run_command(server: &mut Server, args: &Value) -> Result<Value, String> {
    only(args, &["command", "cwd", "timeout_seconds"])?;
    let command = string_arg(args, "command")?;
    let cwd = under_root(&server.options.root, args["cwd"].as_str())?;
    let timeout = match &args["timeout_seconds"] {
        Value::Null => None,
        v => match v.as_u64() {
            Some(s @ 1..=MAX_TIMEOUT_SECONDS) => Some(Duration::from_secs(s)),
            _ => {
                return Err(format!(
                    "`timeout_seconds` must be an integer from 1 to {MAX_TIMEOUT_SECONDS}"
                ))
            }
        },
    };
    let assessment = server
        .guard
        .assess(command, &cwd)
        .map_err(|e| format!("cannot check the command: {e}"))?;
    let reasons = assessment.reasons();
    let mut approved = false;
    let refusal = match assessment.decision {
        Decision::Allow => None,
        Decision::Deny => Some("denied"),
        Decision::Review if server.options.allow_review => {
            let by = server.actor();
            server
                .guard
                .answer(&assessment, Answer::Yes, &by)
                .map_err(|e| format!("cannot record the approval: {e}"))?;
            approved = true;
            None
        }
        Decision::Review => Some("needs a human's review, which this server cannot ask for"),
    };
    if let Some(why) = refusal {
        server
            .guard
            .refuse(&assessment, why)
            .map_err(|e| format!("cannot record the refusal: {e}"))?;
        let text = format!(
            "refused ({why}); nothing ran.\n{}",
            assessment.render().trim_start()
        );
        return Ok(result(
            text,
            json!({"decision": assessment.decision, "ran": false, "reasons": reasons}),
            true,
        ));
    }
    let mut opts = server.options.sandbox.clone();
    opts.workspace = Some(cwd);
    if timeout.is_some() {
        opts.timeout = timeout;
    }
    let cancel = CancelHandle::new();
    let request = server.current.clone().unwrap_or(Value::Null);
    *server
        .inflight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some((request, cancel.clone()));
    let control = RunControl {
        cancel: Some(cancel),
        output: None,
    };
    let outcome = server
        .guard
        .run_with(&assessment, approved, &opts, &control);
    *server
        .inflight
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    let outcome = outcome.map_err(|e| format!("cannot run the command: {e}"))?;
    let Outcome::Ran(ran) = outcome else {
        return Err("the command was refused".to_owned());
    };
    let r = &ran.result;
    let (stdout, stdout_cut) = cut(&r.stdout);
    let (stderr, stderr_cut) = cut(&r.stderr);
    let exit = r.status.shell_code();
    let violation = r.violation.as_ref().map(ToString::to_string);
    let mut text = format!("exit code {exit} ({}, sandbox {})", r.status, ran.level);
    if let Some(v) = &violation {
        text.push_str(&format!("\nsandbox: {v}"));
    }
    for t in &r.traps {
        text.push_str(&format!(
            "\nsandbox: the command left a trap for the host: {t}"
        ));
    }
    if !stdout.is_empty() {
        text.push_str(&format!("\n--- stdout ---\n{stdout}"));
    }
    if !stderr.is_empty() {
        text.push_str(&format!("\n--- stderr ---\n{stderr}"));
    }
    Ok(result(
        text,
        json!({
            "decision": assessment.decision,
            "ran": true,
            "exit_code": exit,
            "status": r.status.to_string(),
            "stdout": stdout,
            "stderr": stderr,
            "output_cut": stdout_cut || stderr_cut || r.stdout_truncated || r.stderr_truncated,
            "violation": violation,
            "level": ran.level,
            "profile": ran.profile.as_ref().map(|p| &p.0),
            "wall_ms": r.wall.as_millis() as u64,
        }),
        false,
    ))
}

fn validate(server: &mut Server, args: &Value) -> Result<Value, String> {
    only(args, &["command", "lang"])?;
    let command = string_arg(args, "command")?;
    let lang: Lang = match &args["lang"] {
        Value::Null => Lang::Bash,
        v => v
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or("`lang` must be bash, python or typescript")?,
    };
    let root = server.options.root.clone();
    let a = server
        .guard
        .assess_lang(lang, command, &root)
        .map_err(|e| format!("cannot check the command: {e}"))?;
    let text = if a.decision == Decision::Allow {
        "allow: no finding".to_owned()
    } else {
        a.render().trim_start().to_owned()
    };
    Ok(result(
        text,
        json!({
            "decision": a.decision,
            "findings": a.verdict.findings,
            "installs": a.installs,
        }),
        false,
    ))
}

fn scan_dependencies(server: &mut Server, args: &Value) -> Result<Value, String> {
    only(args, &["path", "recursive"])?;
    let dir = under_root(&server.options.root, args["path"].as_str())?;
    let recursive = args["recursive"].as_bool().unwrap_or(false);
    let verdict = server.guard.scan_dir(&dir, recursive)?;
    let report = &verdict.report;
    let blocking: Vec<&agent_immune::scan::Finding> = report.blocking().collect();
    let mut text = format!(
        "{}: {} packages in {} file(s), {} finding(s), {} blocking",
        verdict.decision(),
        report.packages_scanned,
        report.files.len(),
        report.findings.len(),
        blocking.len()
    );
    for f in report.findings.iter().take(50) {
        text.push_str(&format!(
            "\n{} {} {}: {} ({}){}",
            f.package,
            f.version,
            f.id,
            f.summary.as_deref().unwrap_or(""),
            f.gated_as,
            if f.fixed.is_empty() {
                String::new()
            } else {
                format!("; fixed in {}", f.fixed.join(", "))
            }
        ));
    }
    for w in &verdict.warnings {
        text.push_str(&format!("\nwarning: {w}"));
    }
    let data = serde_json::to_value(&verdict).map_err(|e| e.to_string())?;
    Ok(result(text, data, false))
}

fn recall(server: &mut Server, args: &Value) -> Result<Value, String> {
    only(args, &["task", "budget_tokens", "session"])?;
    let task = string_arg(args, "task")?;
    let budget = match &args["budget_tokens"] {
        Value::Null => 1000,
        v => match v.as_u64() {
            Some(n @ 1..=100_000) => n as usize,
            _ => return Err("`budget_tokens` must be an integer from 1 to 100000".to_owned()),
        },
    };
    let Some(project) = server.options.project.clone() else {
        return Err("no project configured: start the server with --project NAME".to_owned());
    };
    let session = match &args["session"] {
        Value::Null => None,
        v => Some(v.as_str().ok_or("`session` must be a string")?.to_owned()),
    };
    let routed = crate::recall::route(&server.config, &project, session, task, budget)?;
    let mut text = format!(
        "{} fact(s), {} of {} tokens",
        routed.summaries.len(),
        routed.tokens_used,
        routed.budget
    );
    for s in &routed.summaries {
        text.push_str(&format!("\n- {}", s.text));
    }
    let data = serde_json::to_value(&routed).map_err(|e| e.to_string())?;
    Ok(result(text, data, false))
}

impl Server {
    /// The actor of this client's actions in the audit log.
    fn actor(&self) -> Actor {
        Actor::Mcp(self.client.clone())
    }

    pub(super) fn set_client(&mut self, name: &str) {
        let name: String = name
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
            .take(64)
            .collect();
        if !name.is_empty() && self.client.as_deref() != Some(name.as_str()) {
            self.client = Some(name);
            self.guard.set_actor(self.actor());
        }
    }
}
