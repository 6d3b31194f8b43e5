//! Every environment variable Autonomic reads, declared once.
//!
//! This is the only module allowed to call `std::env::var`/`var_os` (see
//! `clippy.toml`); everything else receives values from here, so the full set
//! of variables that can change Autonomic's behaviour is this file.

use std::ffi::OsString;
use std::path::PathBuf;

/// Root of Autonomic's state (config, data, audit log). Defaults to `~/.autonomic`.
pub const AUTONOMIC_HOME: &str = "AUTONOMIC_HOME";

/// The user's home directory, used for `~` expansion and the default `AUTONOMIC_HOME`.
pub const HOME: &str = "HOME";

/// Path of agent-muscle's `muscle-jail` helper (default: next to the running
/// executable, or one directory up from it).
pub const AUTONOMIC_MUSCLE_JAIL: &str = "AUTONOMIC_MUSCLE_JAIL";

/// `tracing` filter directives for the CLI's diagnostics (e.g. `autonomic_core=debug`).
pub const RUST_LOG: &str = "RUST_LOG";

#[expect(
    clippy::disallowed_methods,
    reason = "autonomic_core::env is the one place environment variables are read"
)]
fn read(name: &str) -> Option<OsString> {
    std::env::var_os(name).filter(|value| !value.is_empty())
}

/// `$AUTONOMIC_HOME`, if set and non-empty.
pub fn autonomic_home() -> Option<PathBuf> {
    read(AUTONOMIC_HOME).map(PathBuf::from)
}

/// `$HOME`, if set and non-empty.
pub fn user_home() -> Option<PathBuf> {
    read(HOME).map(PathBuf::from)
}

/// `$PATH`, if set and non-empty.
pub fn path_var() -> Option<OsString> {
    read("PATH")
}

/// `$AUTONOMIC_MUSCLE_JAIL`, if set and non-empty.
pub fn muscle_jail() -> Option<PathBuf> {
    read(AUTONOMIC_MUSCLE_JAIL).map(PathBuf::from)
}

/// The variable a config key names (such as `[llm] api_key_env`), if set,
/// non-empty and valid UTF-8. Such a variable is declared by the key that
/// names it, not here.
pub fn configured(name: &str) -> Option<String> {
    read(name).and_then(|value| value.into_string().ok())
}

/// `$NO_COLOR` (<https://no-color.org>): when set and non-empty, nothing
/// is coloured, terminal or not.
pub const NO_COLOR: &str = "NO_COLOR";

/// True when `$NO_COLOR` asks for no colour.
pub fn no_color() -> bool {
    read(NO_COLOR).is_some()
}

/// Whether output to a stream that `is_terminal` says it is may be
/// coloured: a terminal, and `$NO_COLOR` not set.
pub fn colour(is_terminal: bool) -> bool {
    is_terminal && !no_color()
}

/// `$RUST_LOG`, if set, non-empty and valid UTF-8.
pub fn rust_log() -> Option<String> {
    read(RUST_LOG).and_then(|value| value.into_string().ok())
}
