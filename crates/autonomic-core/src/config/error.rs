//! Errors from loading the configuration.

use std::fmt;
use std::path::PathBuf;

use super::schema::{self, Config, SECTIONS};
use super::spec::quoted;

/// A position in a configuration file: `path:line:column`, both 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to its end), e.g.
    /// from a TOML parser's span.
    pub fn at(path: &std::path::Path, text: &str, offset: usize) -> Location {
        let offset = offset.min(text.len());
        let before = text.get(..offset).unwrap_or(text);
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        Location {
            path: path.to_path_buf(),
            line,
            column,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// Why the configuration could not be loaded.
///
/// Every variant about the file's content names the file, line and column,
/// and the dotted key when there is one; [`ConfigError::hint`] adds a
/// suggestion where one helps.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file exists but could not be read.
    #[error("cannot read the configuration file")]
    Read {
        /// The I/O error (it names the path).
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML.
    #[error("{at}: invalid TOML: {message}")]
    Syntax {
        /// Where the parser stopped.
        at: Location,
        /// The parser's explanation.
        message: String,
    },
    /// A `[section]` (or top-level key) Autonomic does not know.
    #[error("{at}: unknown section `{section}`")]
    UnknownSection {
        /// Where it is.
        at: Location,
        /// Its name.
        section: String,
        /// The nearest valid section, if any is close.
        suggestion: Option<&'static str>,
    },
    /// A key a known section does not have.
    #[error("{at}: unknown key `{key}`")]
    UnknownKey {
        /// Where it is.
        at: Location,
        /// The dotted key, e.g. `muscle.defualt_sandbox`.
        key: String,
        /// The nearest valid key of the same section, if any is close.
        suggestion: Option<&'static str>,
        /// The section the key belongs in, when it belongs elsewhere.
        belongs_in: Option<&'static str>,
    },
    /// A key that Autonomic no longer has.
    #[error("{at}: `{key}` was removed: {instead}")]
    RemovedKey {
        /// Where it is.
        at: Location,
        /// The dotted key, e.g. `immune.sandbox_default`.
        key: String,
        /// What to do instead.
        instead: &'static str,
    },
    /// A value of the wrong TOML type.
    #[error("{at}: wrong type for `{key}`: expected {expected}, found {found}")]
    WrongType {
        /// Where the value is.
        at: Location,
        /// The dotted key.
        key: String,
        /// What the key takes.
        expected: String,
        /// What the file has.
        found: &'static str,
    },
    /// A value of the right type that is not allowed.
    #[error("{at}: invalid value for `{key}`: {reason}")]
    InvalidValue {
        /// Where the value is.
        at: Location,
        /// The dotted key.
        key: String,
        /// What is wrong with it.
        reason: String,
        /// A close valid value, if any.
        suggestion: Option<&'static str>,
    },
    /// The validated document still failed to deserialise (a bug in the key registry).
    #[error("{at}: cannot load the configuration")]
    Deserialize {
        /// Where the deserializer stopped.
        at: Location,
        /// The deserializer's error.
        #[source]
        source: Box<toml::de::Error>,
    },
}

impl ConfigError {
    /// Where in the file the problem is, if it is about the file's content.
    pub fn location(&self) -> Option<&Location> {
        match self {
            ConfigError::Read { .. } => None,
            ConfigError::Syntax { at, .. }
            | ConfigError::UnknownSection { at, .. }
            | ConfigError::UnknownKey { at, .. }
            | ConfigError::RemovedKey { at, .. }
            | ConfigError::WrongType { at, .. }
            | ConfigError::InvalidValue { at, .. }
            | ConfigError::Deserialize { at, .. } => Some(at),
        }
    }

    /// The dotted key the error is about, if any.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::UnknownKey { key, .. }
            | ConfigError::RemovedKey { key, .. }
            | ConfigError::WrongType { key, .. }
            | ConfigError::InvalidValue { key, .. } => Some(key),
            ConfigError::UnknownSection { section, .. } => Some(section),
            _ => None,
        }
    }
}

impl crate::Hint for ConfigError {
    fn hint(&self) -> Option<String> {
        match self {
            // The message of a removed key already says what to do instead.
            ConfigError::Read { .. }
            | ConfigError::Syntax { .. }
            | ConfigError::RemovedKey { .. } => None,
            ConfigError::Deserialize { .. } => {
                Some("this is a bug in Autonomic's key registry; please report it".to_owned())
            }
            ConfigError::UnknownSection { suggestion, .. } => Some(match suggestion {
                Some(name) => format!("did you mean \"{name}\"?"),
                None => format!(
                    "valid sections are {}",
                    quoted(SECTIONS.iter().map(|s| s.name))
                ),
            }),
            ConfigError::UnknownKey {
                key,
                suggestion,
                belongs_in,
                ..
            } => Some(match (belongs_in, suggestion) {
                (Some(section), _) => {
                    format!("`{}` belongs in the [{section}] section", last_segment(key))
                }
                (None, Some(name)) => format!("did you mean \"{name}\"?"),
                (None, None) => match key.split_once('.').and_then(|(s, _)| schema::section(s)) {
                    Some(section) => format!(
                        "valid keys here are {}",
                        quoted(section.keys.iter().map(|k| k.name))
                    ),
                    None => "keys must be inside a [section]".to_owned(),
                },
            }),
            ConfigError::WrongType { key, .. } => {
                let (section, name) = key.split_once('.')?;
                let spec = schema::section(section)?.key(name)?;
                let value = default_toml(section, name).or(spec.example.map(str::to_owned))?;
                Some(format!("for example: {name} = {value}"))
            }
            ConfigError::InvalidValue { suggestion, .. } => {
                suggestion.map(|value| format!("did you mean \"{value}\"?"))
            }
        }
    }
}

fn last_segment(key: &str) -> &str {
    key.rsplit('.').next().unwrap_or(key)
}

/// The default value of `[section] name`, as TOML, if it has one.
fn default_toml(section: &str, name: &str) -> Option<String> {
    let defaults = toml::Table::try_from(Config::default()).ok()?;
    defaults
        .get(section)?
        .get(name)
        .map(|value| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn locations_are_one_based() {
        let text = "a = 1\nbé = 2\n";
        let p = Path::new("c.toml");
        assert_eq!(Location::at(p, text, 0).to_string(), "c.toml:1:1");
        let offset = text.find('=').unwrap();
        assert_eq!(Location::at(p, text, offset).to_string(), "c.toml:1:3");
        let offset = text.rfind('=').unwrap();
        assert_eq!(Location::at(p, text, offset).to_string(), "c.toml:2:4");
        assert_eq!(Location::at(p, text, 999).line, 3);
    }
}
