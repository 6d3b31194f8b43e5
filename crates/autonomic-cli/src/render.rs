//! The one error renderer: `error:`, then `  Caused by:` per source, then `hint:`.

use autonomic_core::Hint;
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

/// Writes `note: <message>` to stderr.
pub fn note(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "note: {message}");
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

/// The first hint any error in the chain offers, through the one
/// [`Hint`] method every library error implements. anyhow's chain yields
/// `&dyn Error`, which stable Rust cannot ask for a trait, so the library
/// error types that carry hints are named here once. agent-immune's
/// database and scan errors are left out on purpose: their messages already
/// end with the command that fixes them.
fn hint(error: &anyhow::Error) -> Option<String> {
    macro_rules! first_hint {
        ($cause:expr; $($t:ty),+ $(,)?) => {{
            let cause = $cause;
            $(
                if let Some(error) = cause.downcast_ref::<$t>() {
                    return Hint::hint(error);
                }
            )+
            None
        }};
    }
    error.chain().find_map(|cause| -> Option<String> {
        first_hint!(cause;
            ConfigError,
            AuditError,
            PathsError,
            agent_brain::BrainError,
            agent_brain::FactError,
            agent_heart::HeartError,
            agent_spine::channels::setup::SetupError,
            agent_spine::guard::GuardError,
            agent_spine::sandbox::SandboxError,
            agent_spine::workflow::load::WorkflowError,
            autonomic_llm::LlmError,
            autonomic_llm::fetch::FetchError,
        )
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

    #[test]
    fn hints_come_through_the_trait_for_spine_errors_too() {
        let err = agent_spine::sandbox::SandboxError::MissingBind("/nope".into());
        let err = anyhow::Error::from(agent_spine::guard::GuardError::from(err))
            .context("cannot run `x`");
        let text = format(&err);
        assert!(
            text.ends_with("hint: create it first, or drop the --bind/--ro-bind\n"),
            "{text}"
        );
    }
}
