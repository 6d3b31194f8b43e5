//! The one error renderer: `error:`, then `  Caused by:` per source, then `hint:`.

use std::io::Write as _;

use autonomic_core::audit::AuditError;
use autonomic_core::config::ConfigError;
use autonomic_core::paths::PathsError;

/// Writes `error` and its causes to stderr.
pub fn error(error: &anyhow::Error) {
    let mut stderr = std::io::stderr().lock();
    // If stderr is gone there is nowhere left to report to.
    let _ = stderr.write_all(format(error).as_bytes());
}

/// Renders `error` as the lines [`error`] prints.
pub fn format(error: &anyhow::Error) -> String {
    let mut out = format!("error: {error}\n");
    for cause in error.chain().skip(1) {
        out.push_str(&format!("  Caused by: {cause}\n"));
    }
    if let Some(hint) = hint(error) {
        out.push_str(&format!("hint: {hint}\n"));
    }
    out
}

/// The first hint any error in the chain offers.
fn hint(error: &anyhow::Error) -> Option<String> {
    error.chain().find_map(|cause| {
        if let Some(error) = cause.downcast_ref::<ConfigError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<AuditError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<PathsError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<agent_brain::BrainError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<agent_brain::FactError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<agent_heart::HeartError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<agent_spine::guard::GuardError>() {
            error.hint()
        } else if let Some(error) = cause.downcast_ref::<agent_spine::sandbox::SandboxError>() {
            error.hint()
        } else {
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn renders_causes_and_hint() {
        let paths = autonomic_core::paths::Paths::with_home("/h".into());
        let err = autonomic_core::config::Config::from_toml_str(
            "[muscle]\ndefault_sandbx = \"none\"\n",
            Path::new("/h/config.toml"),
            &paths,
        )
        .unwrap_err();
        let err = anyhow::Error::from(err).context("while loading");
        assert_eq!(
            format(&err),
            "error: while loading\n  Caused by: /h/config.toml:2:1: unknown key `muscle.default_sandbx`\nhint: did you mean \"default_sandbox\"?\n"
        );
    }
}
