//! "Always": the narrowest user rules that allow one reviewed command.
//!
//! Each program invocation that carries a `review` (a validator finding
//! inside its span, or an install check) gets one `allow` rule naming the
//! program and its exact arguments (`args = [...]`: no more, no fewer), so
//! the same command is not asked about again and nothing wider is allowed.
//! Findings that belong to no single invocation (the shape of the whole
//! command) cannot be remembered this narrowly; the next run asks again.
//! Rules are appended to the file (comments and other rules are kept) and
//! the result is parsed before it replaces the old file.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use agent_mouth::{Decision, UserRules};
use serde::Serialize;

use super::{Assessment, GuardError};

/// What "always" wrote.
#[derive(Debug, Clone, Serialize)]
pub struct Remembered {
    /// The rules file.
    pub path: PathBuf,
    /// The ids of the rules added (empty when nothing could be remembered
    /// narrowly).
    pub ids: Vec<String>,
}

/// Appends the rules for `a` to `path`.
pub(super) fn write(path: &Path, a: &Assessment) -> Result<Remembered, GuardError> {
    let err = |source: std::io::Error| GuardError::WriteRule {
        path: path.to_path_buf(),
        source,
    };
    let mut existing = match fs_err::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(err(e)),
    };
    let mut ids = Vec::new();
    let today = time::OffsetDateTime::now_utc().date();
    for (i, cmd) in a.commands.iter().enumerate() {
        let reviewed_here = a.verdict.findings.iter().any(|f| {
            f.decision == Decision::Review
                && f.span.start >= cmd.span.start
                && f.span.end <= cmd.span.end
        }) || a
            .installs
            .iter()
            .any(|c| c.decision == Decision::Review && cmd.argv.contains(&c.install.spec));
        if !reviewed_here || cmd.dynamic_name || cmd.argv.is_empty() {
            continue;
        }
        let program = cmd.argv[0].rsplit('/').next().unwrap_or(&cmd.argv[0]);
        let id = format!(
            "always-{}-{i}",
            &autonomic_core::audit::sha256_hex(&a.command)[..12]
        );
        if existing.contains(&format!("id = \"{id}\"")) {
            continue;
        }
        let rule = format!(
            "\n# Answered \"always\" at a terminal on {today} for: {}\n[[rule]]\nid = \"{id}\"\ndecision = \"allow\"\ncommand = {}\nargs = {}\nreason = \"approved by the user for this exact command\"\n",
            a.command.replace('\n', " ").chars().take(200).collect::<String>(),
            toml_str(program),
            toml_array(&cmd.argv[1..]),
        );
        existing.push_str(&rule);
        ids.push(id);
    }
    if ids.is_empty() {
        return Ok(Remembered {
            path: path.to_path_buf(),
            ids,
        });
    }
    // Never replace a good rules file with one that does not load.
    UserRules::parse(&existing, path)?;
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(err)?;
    }
    let tmp = path.with_extension("toml.tmp");
    let mut f = fs_err::File::create(&tmp).map_err(err)?;
    f.write_all(existing.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)?;
    fs_err::rename(&tmp, path).map_err(err)?;
    Ok(Remembered {
        path: path.to_path_buf(),
        ids,
    })
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_array(items: &[String]) -> String {
    let parts: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", parts.join(", "))
}
