//! `autonomic audit verify`.

use std::io::Write as _;
use std::process::ExitCode;

use autonomic_core::audit::verify as verify_log;
use autonomic_core::paths::Paths;

/// Verifies the audit log: exit 0 if intact (or absent), 1 if tampered with.
pub fn verify(paths: &Paths, json: bool) -> anyhow::Result<ExitCode> {
    let path = &paths.audit_log;
    let exists = path.exists();
    let report = verify_log(path)?;
    if json {
        let out = serde_json::json!({
            "path": path,
            "exists": exists,
            "records": report.records,
            "ok": report.ok,
            "first_bad": report.first_bad,
        });
        writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        match &report.first_bad {
            None if !exists => {
                writeln!(
                    std::io::stdout(),
                    "ok: no audit log at {} yet (0 records)",
                    path.display()
                )?;
            }
            None => writeln!(
                std::io::stdout(),
                "ok: {} records, hash chain intact ({})",
                report.records,
                path.display()
            )?,
            Some(bad) => {
                writeln!(
                    std::io::stdout(),
                    "TAMPERED: {}:{}: {}",
                    path.display(),
                    bad.line,
                    bad.reason
                )?;
                writeln!(
                    std::io::stdout(),
                    "{} records verified before line {} (expected seq {} there)",
                    report.records,
                    bad.line,
                    bad.seq_expected
                )?;
            }
        }
    }
    Ok(ExitCode::from(if report.ok {
        crate::EXIT_OK
    } else {
        crate::EXIT_FAILED_CHECK
    }))
}

/// Arguments of `autonomic audit show`.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// Only records of this kind (repeatable): mouth.deny, mouth.review,
    /// immune.install, spine.approval, spine.refused, muscle.exec,
    /// muscle.violation, muscle.traps, muscle.egress.
    #[arg(long, value_parser = parse_kind)]
    kind: Vec<autonomic_core::audit::Kind>,
    /// Only records since this time: RFC 3339 (`2026-12-06T10:00:00Z`) or
    /// an age (`30m`, `2h`).
    #[arg(long, value_parser = parse_since)]
    since: Option<time::OffsetDateTime>,
    /// Print each record as one JSON line.
    #[arg(long)]
    json: bool,
}

fn parse_kind(s: &str) -> Result<autonomic_core::audit::Kind, String> {
    autonomic_core::audit::Kind::parse(s).ok_or_else(|| {
        let all: Vec<&str> = autonomic_core::audit::Kind::ALL
            .iter()
            .map(|k| k.as_str())
            .collect();
        format!("unknown kind `{s}`; one of: {}", all.join(", "))
    })
}

fn parse_since(s: &str) -> Result<time::OffsetDateTime, String> {
    use time::format_description::well_known::Rfc3339;
    if let Ok(t) = time::OffsetDateTime::parse(s, &Rfc3339) {
        return Ok(t);
    }
    let age = autonomic_cli::args::parse_duration(s)
        .map_err(|_| format!("`{s}` is neither an RFC 3339 time nor an age such as 30m or 2h"))?;
    Ok(time::OffsetDateTime::now_utc() - age)
}

/// Prints the records that match, oldest first; warns (stderr) when the
/// chain does not verify.
pub fn show(paths: &Paths, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    use time::format_description::well_known::Rfc3339;
    let report = verify_log(&paths.audit_log)?;
    if !report.ok {
        if let Some(bad) = &report.first_bad {
            eprintln!(
                "warning: the audit log does not verify from line {} ({}); run `autonomic audit verify`",
                bad.line, bad.reason
            );
        }
    }
    let kinds: Vec<&str> = args.kind.iter().map(|k| k.as_str()).collect();
    let mut out = std::io::stdout().lock();
    let mut shown = 0u64;
    let mut failure = None;
    autonomic_core::audit::read(&paths.audit_log, |r| {
        if failure.is_some() || (!kinds.is_empty() && !kinds.contains(&r.kind.as_str())) {
            return;
        }
        if let Some(since) = args.since {
            match time::OffsetDateTime::parse(&r.ts, &Rfc3339) {
                Ok(ts) if ts >= since => {}
                _ => return,
            }
        }
        shown += 1;
        let line = if args.json {
            serde_json::to_string(&r).unwrap_or_default()
        } else {
            format!(
                "{:>5} {} {:<16} {:<8} {:<6} {}",
                r.seq,
                r.ts,
                r.kind,
                r.actor,
                r.decision.map_or("-".to_owned(), |d| d.to_string()),
                summary(&r.detail)
            )
        };
        if let Err(e) = writeln!(out, "{line}") {
            failure = Some(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    if shown == 0 && !args.json {
        eprintln!("no records match ({})", paths.audit_log.display());
    }
    Ok(ExitCode::from(crate::EXIT_OK))
}

/// One line about a record's detail: the command, then the outcome.
fn summary(detail: &serde_json::Value) -> String {
    let command = match &detail["command"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Object(o) => o
            .get("argv")
            .and_then(|a| a.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|w| w.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default(),
        serde_json::Value::Array(a) => a
            .iter()
            .filter_map(|w| w.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    };
    let mut s: String = command.replace('\n', "⏎").chars().take(100).collect();
    if let Some(status) = detail["status"].as_str() {
        s.push_str(&format!("  → {status}"));
    }
    if let Some(answer) = detail["answer"].as_str() {
        s.push_str(&format!("  → answered {answer}"));
    }
    if let Some(v) = detail["violation"].as_str() {
        s.push_str(&format!("  ({v})"));
    }
    s
}
