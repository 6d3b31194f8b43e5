//! Strict loading: walk the parsed document against the key registry (for
//! precise errors and provenance), then deserialise the typed [`Config`].

use std::collections::BTreeMap;
use std::path::Path;

use toml_edit::{Item, TableLike};

use super::error::{ConfigError, Location};
use super::schema::{self, SECTIONS};
use super::spec::{KeySpec, Kind, SectionSpec, UnknownChoice};
use super::{Config, LoadedConfig, Origin};
use crate::paths::Paths;

/// How similar (Jaro-Winkler, 0..=1) a name must be to be suggested.
const SUGGESTION_THRESHOLD: f64 = 0.8;

/// The closest candidate to `input`, if any is close enough to suggest.
pub(crate) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(&input, candidate), candidate))
        .filter(|(score, _)| *score >= SUGGESTION_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// Provenance with every registered key at [`Origin::Default`].
pub(crate) fn default_provenance() -> BTreeMap<String, Origin> {
    SECTIONS
        .iter()
        .flat_map(|section| {
            section
                .keys
                .iter()
                .map(move |key| (format!("{}.{}", section.name, key.name), Origin::Default))
        })
        .collect()
}

/// Parses and validates `text`, read from `path`.
pub(crate) fn parse(text: &str, path: &Path, paths: &Paths) -> Result<LoadedConfig, ConfigError> {
    let document = toml_edit::Document::parse(text).map_err(|error| ConfigError::Syntax {
        at: Location::at(path, text, error.span().map_or(0, |span| span.start)),
        message: error.message().trim().to_owned(),
    })?;

    let walker = Walker { text, path };
    let mut provenance = default_provenance();
    let root = document.as_table();
    for (name, item) in root.iter() {
        let at = walker.at_or(root.key(name).and_then(toml_edit::Key::span), None);
        let Some(section) = schema::section(name) else {
            return Err(walker.unknown_top_level(name, item, at));
        };
        let Some(table) = item.as_table_like() else {
            return Err(ConfigError::WrongType {
                at: walker.at_or(item.span(), Some(&at)),
                key: name.to_owned(),
                expected: "a table ([section])".to_owned(),
                found: item.type_name(),
            });
        };
        walker.section(section, table, &mut provenance)?;
    }

    let mut config: Config = toml::from_str(text).map_err(|source| ConfigError::Deserialize {
        at: Location::at(path, text, source.span().map_or(0, |span| span.start)),
        source: Box::new(source),
    })?;
    config.expand_paths(paths);
    Ok(LoadedConfig {
        config,
        source: Some(path.to_path_buf()),
        provenance,
    })
}

struct Walker<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Walker<'_> {
    /// The location of `span`; spans are always present in a parsed document,
    /// but the API makes them optional, so fall back to `fallback`.
    fn at_or(&self, span: Option<std::ops::Range<usize>>, fallback: Option<&Location>) -> Location {
        match (span, fallback) {
            (Some(span), _) => Location::at(self.path, self.text, span.start),
            (None, Some(fallback)) => fallback.clone(),
            (None, None) => Location::at(self.path, self.text, 0),
        }
    }

    fn unknown_top_level(&self, name: &str, item: &Item, at: Location) -> ConfigError {
        if item.is_table_like() {
            return ConfigError::UnknownSection {
                at,
                section: name.to_owned(),
                suggestion: nearest(name, SECTIONS.iter().map(|s| s.name)),
            };
        }
        ConfigError::UnknownKey {
            at,
            key: name.to_owned(),
            suggestion: None,
            belongs_in: SECTIONS
                .iter()
                .find(|section| section.key(name).is_some())
                .map(|section| section.name),
        }
    }

    fn section(
        &self,
        section: &SectionSpec,
        table: &dyn TableLike,
        provenance: &mut BTreeMap<String, Origin>,
    ) -> Result<(), ConfigError> {
        for (name, item) in table.iter() {
            let dotted = format!("{}.{name}", section.name);
            let key_at = self.at_or(table.key(name).and_then(toml_edit::Key::span), None);
            let Some(spec) = section.key(name) else {
                if let Some(removed) = section.removed(name) {
                    return Err(ConfigError::RemovedKey {
                        at: key_at,
                        key: dotted,
                        instead: removed.instead,
                    });
                }
                let belongs_in = SECTIONS
                    .iter()
                    .find(|other| other.name != section.name && other.key(name).is_some())
                    .map(|other| other.name);
                return Err(ConfigError::UnknownKey {
                    at: key_at,
                    key: dotted,
                    suggestion: nearest(name, section.keys.iter().map(|k| k.name)),
                    belongs_in,
                });
            };
            let value_at = self.at_or(item.span(), Some(&key_at));
            check_value(spec, item, &dotted, value_at)?;
            provenance.insert(
                dotted,
                Origin::File {
                    path: self.path.to_path_buf(),
                    line: key_at.line,
                },
            );
        }
        Ok(())
    }
}

/// Checks one value against its key's [`Kind`].
fn check_value(spec: &KeySpec, item: &Item, key: &str, at: Location) -> Result<(), ConfigError> {
    let wrong_type = |at: Location| ConfigError::WrongType {
        at,
        key: key.to_owned(),
        expected: spec.kind.expected(),
        found: item.type_name(),
    };
    let invalid = |at: Location, reason: String, suggestion: Option<&'static str>| {
        ConfigError::InvalidValue {
            at,
            key: key.to_owned(),
            reason,
            suggestion,
        }
    };
    match spec.kind {
        Kind::Bool => {
            item.as_bool().ok_or_else(|| wrong_type(at))?;
        }
        Kind::Integer { min, max } => {
            let value = item.as_integer().ok_or_else(|| wrong_type(at.clone()))?;
            if !(min..=max).contains(&value) {
                return Err(invalid(
                    at,
                    format!("{value} is out of range: must be between {min} and {max}"),
                    None,
                ));
            }
        }
        Kind::Float { min, max } => {
            let value = item
                .as_float()
                .or_else(|| item.as_integer().map(|i| i as f64))
                .ok_or_else(|| wrong_type(at.clone()))?;
            if !(min..=max).contains(&value) {
                return Err(invalid(
                    at,
                    format!("{value} is out of range: must be between {min} and {max}"),
                    None,
                ));
            }
        }
        Kind::Text { check } => {
            let value = item.as_str().ok_or_else(|| wrong_type(at.clone()))?;
            check(value).map_err(|reason| invalid(at, reason, None))?;
        }
        Kind::Path => {
            let value = item.as_str().ok_or_else(|| wrong_type(at.clone()))?;
            if value.trim().is_empty() {
                return Err(invalid(at, "a path must not be empty".to_owned(), None));
            }
        }
        Kind::PathList => {
            let array = item.as_array().ok_or_else(|| wrong_type(at.clone()))?;
            for (i, value) in array.iter().enumerate() {
                let Some(path) = value.as_str() else {
                    return Err(invalid(
                        at,
                        format!("element {} is not a string", i + 1),
                        None,
                    ));
                };
                if !(path.starts_with('/') || path.starts_with("~/")) {
                    return Err(invalid(
                        at,
                        format!(
                            "element {} (`{path}`) is not an absolute path or ~/…",
                            i + 1
                        ),
                        None,
                    ));
                }
            }
        }
        Kind::TextList { check } => {
            let array = item.as_array().ok_or_else(|| wrong_type(at.clone()))?;
            for (i, value) in array.iter().enumerate() {
                let Some(text) = value.as_str() else {
                    return Err(invalid(
                        at,
                        format!("element {} is not a string", i + 1),
                        None,
                    ));
                };
                if let Err(reason) = check(text) {
                    return Err(invalid(at, format!("element {}: {reason}", i + 1), None));
                }
            }
        }
        Kind::Choice { values } => {
            let value = item.as_str().ok_or_else(|| wrong_type(at.clone()))?;
            if !values.contains(&value) {
                return Err(invalid(
                    at,
                    UnknownChoice {
                        value: value.to_owned(),
                        allowed: values,
                    }
                    .to_string(),
                    nearest(value, values.iter().copied()),
                ));
            }
        }
    }
    Ok(())
}
