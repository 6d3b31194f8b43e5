//! Ignore lists: `[[ignore]]` entries with a reason and an optional expiry,
//! from the config's `ignore_file` or a project file. An expired entry stops
//! hiding its finding (and the report says so).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use time::Date;

/// One ignore entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IgnoreEntry {
    /// Vulnerability id or any alias (`RUSTSEC-…`, `CVE-…`, `GHSA-…`).
    pub id: String,
    /// Only for this package (any package when absent).
    pub package: Option<String>,
    /// Why it is safe to ignore — required.
    pub reason: String,
    /// Last day (inclusive, `YYYY-MM-DD`) the entry applies.
    pub expires: Option<String>,
    /// Where the entry came from (filled in when loading).
    pub file: Option<PathBuf>,
}

/// An entry as an ignore file spells it: [`IgnoreEntry`] without `file`,
/// which a file cannot set.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryRepr {
    id: String,
    #[serde(default)]
    package: Option<String>,
    reason: String,
    #[serde(default)]
    expires: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    #[serde(default)]
    ignore: Vec<EntryRepr>,
}

/// A malformed ignore file.
#[derive(Debug, thiserror::Error)]
pub enum IgnoreError {
    /// Unreadable.
    #[error("cannot read ignore file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Not valid.
    #[error("invalid ignore file {}: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong (names line and key).
        message: String,
    },
}

/// All ignore entries that apply to a scan.
#[derive(Debug, Clone, Default)]
pub struct IgnoreList {
    entries: Vec<IgnoreEntry>,
}

/// Outcome of checking a finding against the list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IgnoreStatus {
    /// Not listed.
    NotIgnored,
    /// Hidden by a current entry.
    Ignored(IgnoreEntry),
    /// Listed, but the entry expired: the finding counts again.
    Expired(IgnoreEntry),
}

impl IgnoreList {
    /// Parses `[[ignore]]` entries from TOML text.
    pub fn parse(text: &str, path: &Path) -> Result<IgnoreList, IgnoreError> {
        let file: IgnoreFile = toml::from_str(text).map_err(|e| IgnoreError::Invalid {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let mut entries = Vec::with_capacity(file.ignore.len());
        for (i, e) in file.ignore.into_iter().enumerate() {
            if e.reason.trim().is_empty() {
                return Err(IgnoreError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("entry #{} (`{}`) needs a non-empty `reason`", i + 1, e.id),
                });
            }
            if let Some(x) = &e.expires {
                parse_date(x).map_err(|m| IgnoreError::Invalid {
                    path: path.to_path_buf(),
                    message: format!("entry #{} (`{}`): `expires = \"{x}\"`: {m}", i + 1, e.id),
                })?;
            }
            entries.push(IgnoreEntry {
                id: e.id,
                package: e.package,
                reason: e.reason,
                expires: e.expires,
                file: Some(path.to_path_buf()),
            });
        }
        Ok(IgnoreList { entries })
    }

    /// Loads a file.
    pub fn load(path: &Path) -> Result<IgnoreList, IgnoreError> {
        #[expect(clippy::disallowed_methods, reason = "the error below names the path")]
        let text = std::fs::read_to_string(path).map_err(|source| IgnoreError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        IgnoreList::parse(&text, path)
    }

    /// Adds another list's entries.
    pub fn extend(&mut self, other: IgnoreList) {
        self.entries.extend(other.entries);
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Checks a finding (all its ids) for `package` on `today`.
    pub fn check(&self, ids: &[String], package: &str, today: Date) -> IgnoreStatus {
        let mut expired = None;
        for e in &self.entries {
            if !ids.iter().any(|i| i.eq_ignore_ascii_case(&e.id)) {
                continue;
            }
            if e.package.as_deref().is_some_and(|p| p != package) {
                continue;
            }
            match e.expires.as_deref().map(parse_date) {
                Some(Ok(d)) if d < today => expired = Some(e.clone()),
                _ => return IgnoreStatus::Ignored(e.clone()),
            }
        }
        expired.map_or(IgnoreStatus::NotIgnored, IgnoreStatus::Expired)
    }
}

fn parse_date(s: &str) -> Result<Date, String> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(s, &format).map_err(|e| format!("not a YYYY-MM-DD date ({e})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry() {
        let list = IgnoreList::parse(
            "[[ignore]]\nid = \"RUSTSEC-2020-0001\"\nreason = \"not reachable\"\nexpires = \"2026-01-31\"\n",
            Path::new("i.toml"),
        )
        .unwrap();
        let ids = vec!["CVE-1".to_string(), "RUSTSEC-2020-0001".to_string()];
        let before = Date::from_calendar_date(2026, time::Month::January, 31).unwrap();
        let after = Date::from_calendar_date(2026, time::Month::February, 1).unwrap();
        assert!(matches!(
            list.check(&ids, "x", before),
            IgnoreStatus::Ignored(_)
        ));
        assert!(matches!(
            list.check(&ids, "x", after),
            IgnoreStatus::Expired(_)
        ));
        assert_eq!(
            list.check(&["OTHER".into()], "x", before),
            IgnoreStatus::NotIgnored
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let e = IgnoreList::parse(
            "[[ignore]]\nid = \"X\"\nreason = \"\"\n",
            Path::new("i.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("reason"), "{e}");
        let e = IgnoreList::parse(
            "[[ignore]]\nid = \"X\"\nreason = \"r\"\nexpires = \"soon\"\n",
            Path::new("i.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("expires"), "{e}");
        let e = IgnoreList::parse(
            "[[ignore]]\nid = \"X\"\nreasn = \"r\"\n",
            Path::new("i.toml"),
        )
        .unwrap_err();
        assert!(e.to_string().contains("reasn"), "{e}");
    }
}
