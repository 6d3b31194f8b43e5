//! `autonomic config show`.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use autonomic_core::config::{ConfigEntry, Origin};

use crate::Context;

/// Prints every key with its effective value and origin.
pub fn show(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let entries = ctx.config.entries();
    if json {
        let report = serde_json::json!({
            "source": ctx.config.source,
            "entries": entries,
            "llm": autonomic_llm::describe(&ctx.config.config.llm),
        });
        writeln!(
            std::io::stdout(),
            "{}",
            serde_json::to_string_pretty(&report)?
        )?;
    } else {
        print!("{}", annotated_toml(ctx, &entries));
    }
    Ok(ExitCode::from(crate::EXIT_OK))
}

/// The effective configuration as TOML, each key annotated with its origin.
fn annotated_toml(ctx: &Context, entries: &[ConfigEntry<'_>]) -> String {
    let mut out = match &ctx.config.source {
        Some(source) => format!("# effective configuration; file: {}\n", source.display()),
        None => format!(
            "# effective configuration; no file at {} (all defaults)\n",
            ctx.paths.config_file.display()
        ),
    };
    let lines: Vec<(String, String)> = entries
        .iter()
        .map(|entry| {
            let assignment = match &entry.value {
                Some(value) => format!("{} = {value}", entry.name),
                None => format!("# {} (unset)", entry.name),
            };
            (assignment, origin(entry.origin))
        })
        .collect();
    let width = lines
        .iter()
        .map(|(a, _)| a.chars().count())
        .max()
        .unwrap_or(0);
    let mut section = "";
    for (entry, (assignment, origin)) in entries.iter().zip(&lines) {
        if entry.section != section {
            section = entry.section;
            out.push_str(&format!("\n[{section}]\n"));
        }
        out.push_str(&format!("{assignment:<width$}  # {origin}\n"));
    }
    out.push_str(&format!(
        "\n# llm: {}\n",
        autonomic_llm::describe(&ctx.config.config.llm)
    ));
    out
}

/// `default`, or `config.toml:LINE` (file name only; the header has the full path).
fn origin(origin: &Origin) -> String {
    match origin {
        Origin::Default => "default".to_owned(),
        Origin::File { path, line } => {
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| Path::new(n).display().to_string(),
            );
            format!("{name}:{line}")
        }
    }
}
