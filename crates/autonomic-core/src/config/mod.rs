//! Typed, strict, traceable configuration (`<home>/config.toml`).
//!
//! Every key is declared once, in `schema.rs`: its one-line doc, type,
//! default and constraints. The section structs, their defaults, the loader's
//! checks, `config show` and the commented default file written by
//! `autonomic init` are all generated from that declaration; a choice key is an
//! enum ([`FailOn`], [`UnknownAs`], [`WorkspaceTraps`], [`SandboxLevel`](crate::SandboxLevel)).
//!
//! Loading is strict: an unknown section or key, a removed key, a value of the
//! wrong type or an invalid value is an error naming the file, line, column and
//! dotted key, with a suggestion where one helps. A missing file means all
//! defaults. Every key's [`Origin`] is recorded for `config show`.
//!
//! # Examples
//!
//! ```
//! use std::path::Path;
//! use autonomic_core::config::{Config, Origin};
//! use autonomic_core::paths::Paths;
//! use autonomic_core::{Hint as _, SandboxLevel};
//!
//! let paths = Paths::with_home("/srv/autonomic".into());
//! let text = "[muscle]\ndefault_sandbox = \"firecracker\"\n";
//! let loaded = Config::from_toml_str(text, Path::new("config.toml"), &paths).unwrap();
//! assert_eq!(loaded.config.muscle.default_sandbox, SandboxLevel::Firecracker);
//! assert_eq!(loaded.config.muscle.firecracker_kernel, Path::new("/srv/autonomic/data/vmlinux.bin"));
//! assert_eq!(loaded.origin("muscle.default_sandbox"), Some(&Origin::File { path: "config.toml".into(), line: 2 }));
//! assert_eq!(loaded.origin("mouth.ast_validation"), Some(&Origin::Default));
//!
//! let err = Config::from_toml_str("[muscle]\ndefualt_sandbox = \"none\"\n", Path::new("config.toml"), &paths).unwrap_err();
//! assert_eq!(err.to_string(), "config.toml:2:1: unknown key `muscle.defualt_sandbox`");
//! assert_eq!(err.hint().as_deref(), Some("did you mean \"default_sandbox\"?"));
//! ```

mod error;
mod load;
mod schema;
mod spec;
mod template;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use error::{ConfigError, Location};
pub use schema::{
    BrainConfig, BusConfig, Config, FailOn, HeartConfig, ImmuneConfig, LlmBackend, LlmConfig,
    MouthConfig, MuscleConfig, ReviewPolicy, SpineConfig, StructuredOutput, UnknownAs,
    WorkspaceTraps,
};
pub use spec::UnknownChoice;

use crate::paths::Paths;

/// Where a key's effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Origin {
    /// Built-in default: the file does not set the key.
    Default,
    /// Set in a file, at this 1-based line.
    File {
        /// The file.
        path: PathBuf,
        /// 1-based line of the key.
        line: usize,
    },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File { path, line } => write!(f, "{}:{line}", path.display()),
        }
    }
}

/// A loaded configuration with its provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// The effective configuration, paths expanded.
    pub config: Config,
    /// The file it was read from; `None` when there was no file.
    pub source: Option<PathBuf>,
    /// The origin of every key, by dotted name (`"mouth.ast_validation"`).
    pub provenance: BTreeMap<String, Origin>,
}

/// One key of the effective configuration, for display.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigEntry<'a> {
    /// Dotted name, e.g. `muscle.default_sandbox`.
    pub key: String,
    /// The section, e.g. `muscle`.
    pub section: &'static str,
    /// The key within its section, e.g. `default_sandbox`.
    pub name: &'static str,
    /// The effective value; `None` for an unset optional key.
    pub value: Option<toml::Value>,
    /// Where the value came from.
    pub origin: &'a Origin,
    /// What the key does.
    pub doc: &'static str,
}

impl Config {
    /// Loads `paths.config_file`; a missing file means all defaults.
    pub fn load(paths: &Paths) -> Result<LoadedConfig, ConfigError> {
        let path = &paths.config_file;
        match fs_err::read_to_string(path) {
            Ok(text) => Config::from_toml_str(&text, path, paths),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(path = %path.display(), "no configuration file; using defaults");
                Ok(LoadedConfig::defaults(paths))
            }
            Err(source) => Err(ConfigError::Read { source }),
        }
    }

    /// Parses configuration text as if read from `path` (used in error locations
    /// and provenance), expanding `~` with `paths`.
    pub fn from_toml_str(
        text: &str,
        path: &Path,
        paths: &Paths,
    ) -> Result<LoadedConfig, ConfigError> {
        load::parse(text, path, paths)
    }

    /// The commented default file: every key with its default and a one-line
    /// explanation. It parses back to [`Config::default`].
    pub fn default_toml_commented() -> String {
        template::default_toml_commented()
    }
}

impl LoadedConfig {
    /// The defaults, paths expanded, every key at [`Origin::Default`].
    pub fn defaults(paths: &Paths) -> LoadedConfig {
        let mut config = Config::default();
        config.expand_paths(paths);
        LoadedConfig {
            config,
            source: None,
            provenance: load::default_provenance(),
        }
    }

    /// Where the value of a dotted key came from; `None` for unknown keys.
    pub fn origin(&self, key: &str) -> Option<&Origin> {
        self.provenance.get(key)
    }

    /// Every key in file order, with its effective value and origin.
    pub fn entries(&self) -> Vec<ConfigEntry<'_>> {
        let values =
            toml::Table::try_from(&self.config).expect("the configuration types serialise to TOML");
        schema::SECTIONS
            .iter()
            .flat_map(|section| {
                let values = values.get(section.name).and_then(toml::Value::as_table);
                section.keys.iter().map(move |key| {
                    let dotted = format!("{}.{}", section.name, key.name);
                    ConfigEntry {
                        value: values.and_then(|table| table.get(key.name)).cloned(),
                        origin: self.provenance.get(&dotted).unwrap_or(&Origin::Default),
                        key: dotted,
                        section: section.name,
                        name: key.name,
                        doc: key.doc,
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
