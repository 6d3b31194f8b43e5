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
