//! The span layer: TOML parsed into `toml::de::DeTable` (every key and value
//! with its byte span), read through typed accessors whose errors name the
//! file, line, node and key.
//!
//! What it owns: type checks, required keys, unknown keys with "did you
//! mean", enumerations, durations and sizes. What it must not do: know what
//! a node kind means (that is `node.rs`) or look across nodes.

use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::time::Duration;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::WorkflowError;

/// How similar (Jaro-Winkler) a name must be to be suggested.
const SUGGESTION_THRESHOLD: f64 = 0.8;
/// Longest accepted duration: one week.
const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
/// Largest accepted memory limit, MiB (1 TiB).
const MAX_MEMORY_MIB: u64 = 1024 * 1024;

/// The closest of `candidates` to `input`, when one is close enough.
pub(super) fn nearest<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(input, candidate), candidate))
        .filter(|(score, _)| *score >= SUGGESTION_THRESHOLD)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// "did you mean …?" for `input` among `candidates`.
pub(super) fn did_you_mean<'a>(
    input: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    nearest(input, candidates).map(|name| format!("did you mean \"{name}\"?"))
}

/// The file being loaded: its text and path, for locations.
pub(super) struct Doc<'a> {
    /// The whole text.
    pub text: &'a str,
    /// The path errors name.
    pub path: &'a Path,
    /// Byte offset of every `\n`, ascending: a line is a binary search,
    /// not a count from the start (which made loading quadratic).
    newlines: Vec<usize>,
}

impl<'a> Doc<'a> {
    /// The document `text` read from `path`.
    pub fn new(text: &'a str, path: &'a Path) -> Doc<'a> {
        let newlines = text
            .bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i)
            .collect();
        Doc {
            text,
            path,
            newlines,
        }
    }

    /// 1-based line of byte `offset` (clamped to the text).
    pub fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        // Newlines strictly before `end`.
        self.newlines.partition_point(|&n| n < end) + 1
    }

    /// An error at `line` (if known), about `node` (if any).
    pub fn error(
        &self,
        line: Option<usize>,
        node: Option<&str>,
        message: impl Into<String>,
    ) -> WorkflowError {
        WorkflowError {
            path: self.path.to_path_buf(),
            line,
            node: node.map(str::to_owned),
            message: message.into(),
            hint: None,
        }
    }
}

/// A table being read: `[workflow]`, `[vars]` or one `[[node]]`.
pub(super) struct Fields<'d, 'i> {
    doc: &'d Doc<'d>,
    table: &'d DeTable<'i>,
    header: usize,
    node: Option<String>,
}

impl<'d, 'i> Fields<'d, 'i> {
    /// A view of `table`, whose header is at byte span `header`.
    pub fn new(doc: &'d Doc<'d>, table: &'d DeTable<'i>, header: Range<usize>) -> Self {
        Fields {
            doc,
            table,
            header: doc.line(header.start),
            node: None,
        }
    }

    /// Names `id` in every later error.
    pub fn set_node(&mut self, id: &str) {
        self.node = Some(id.to_owned());
    }

    /// 1-based line of the table's header.
    pub fn header_line(&self) -> usize {
        self.header
    }

    /// The table's keys with the 1-based line of each.
    pub fn keys(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.table
            .iter()
            .map(|(key, _)| (key.get_ref().as_ref(), self.doc.line(key.span().start)))
    }

    /// Whether the table sets `key`.
    pub fn has(&self, key: &str) -> bool {
        self.table.contains_key(key)
    }

    /// Line of `key`, else of the header.
    pub fn line_of(&self, key: &str) -> usize {
        self.table
            .get_key_value(key)
            .map_or(self.header, |(k, _)| self.doc.line(k.span().start))
    }

    /// An error at `key`'s line (the header's when absent): "`key`: message".
    pub fn error(&self, key: &str, message: impl std::fmt::Display) -> WorkflowError {
        self.doc.error(
            Some(self.line_of(key)),
            self.node.as_deref(),
            format!("`{key}`: {message}"),
        )
    }

    /// An error at the header's line.
    pub fn header_error(&self, message: impl Into<String>) -> WorkflowError {
        self.doc
            .error(Some(self.header), self.node.as_deref(), message)
    }

    fn value(&self, key: &str) -> Option<&'d Spanned<DeValue<'i>>> {
        self.table.get(key)
    }

    fn wrong_type(&self, key: &str, expected: &str, found: &DeValue<'_>) -> WorkflowError {
        self.error(
            key,
            format!("expected {expected}, found {}", found.type_str()),
        )
    }

    /// `key` as a string, if present.
    pub fn string(&self, key: &str) -> Result<Option<String>, WorkflowError> {
        match self.value(key).map(Spanned::get_ref) {
            None => Ok(None),
            Some(DeValue::String(s)) => Ok(Some(s.to_string())),
            Some(other) => Err(self.wrong_type(key, "a string", other)),
        }
    }

    /// `key` as a string; missing is an error naming `why` it is required.
    pub fn required_string(&self, key: &str, why: &str) -> Result<String, WorkflowError> {
        self.string(key)?
            .ok_or_else(|| self.header_error(format!("missing required key `{key}` ({why})")))
    }

    /// `key` as a boolean, if present.
    pub fn boolean(&self, key: &str) -> Result<Option<bool>, WorkflowError> {
        match self.value(key).map(Spanned::get_ref) {
            None => Ok(None),
            Some(DeValue::Boolean(b)) => Ok(Some(*b)),
            Some(other) => Err(self.wrong_type(key, "true or false", other)),
        }
    }

    /// `key` as an integer within `range`, if present.
    pub fn integer(
        &self,
        key: &str,
        range: RangeInclusive<i64>,
    ) -> Result<Option<i64>, WorkflowError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        let DeValue::Integer(int) = value.get_ref() else {
            return Err(self.wrong_type(key, "an integer", value.get_ref()));
        };
        match i64::from_str_radix(int.as_str(), int.radix()) {
            Ok(n) if range.contains(&n) => Ok(Some(n)),
            _ => Err(self.error(
                key,
                format!(
                    "{} is out of range ({}..={})",
                    int.as_str(),
                    range.start(),
                    range.end()
                ),
            )),
        }
    }

    /// `key` as an array of strings, if present.
    pub fn strings(&self, key: &str) -> Result<Option<Vec<String>>, WorkflowError> {
        let Some(value) = self.value(key) else {
            return Ok(None);
        };
        let DeValue::Array(items) = value.get_ref() else {
            return Err(self.wrong_type(key, "an array of strings", value.get_ref()));
        };
        items
            .iter()
            .map(|item| match item.get_ref() {
                DeValue::String(s) => Ok(s.to_string()),
                other => Err(self.wrong_type(key, "an array of strings", other)),
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// `key` as a boolean or an array of strings (the `network` form).
    pub fn bool_or_strings(
        &self,
        key: &str,
    ) -> Result<Option<Result<bool, Vec<String>>>, WorkflowError> {
        match self.value(key).map(Spanned::get_ref) {
            None => Ok(None),
            Some(DeValue::Boolean(b)) => Ok(Some(Ok(*b))),
            Some(DeValue::Array(_)) => Ok(self.strings(key)?.map(Err)),
            Some(other) => Err(self.wrong_type(key, "true, false or an array of hosts", other)),
        }
    }

    /// `key` as one of `choices` (by name), if present.
    pub fn choice<T: Copy>(
        &self,
        key: &str,
        choices: &[(&str, T)],
    ) -> Result<Option<T>, WorkflowError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
            return Ok(Some(*value));
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let mut error = self.error(
            key,
            format!("unknown value \"{text}\" (expected {})", names.join(", ")),
        );
        error.hint = did_you_mean(&text, names.iter().copied());
        Err(error)
    }

    /// `key` as a duration: a whole number and `s`, `m` or `h`.
    pub fn duration(&self, key: &str) -> Result<Option<Duration>, WorkflowError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        parse_duration(&text)
            .map(Some)
            .map_err(|message| self.error(key, message))
    }

    /// `key` as a memory size in MiB: a whole number and `M` or `G`.
    pub fn memory(&self, key: &str) -> Result<Option<u64>, WorkflowError> {
        let Some(text) = self.string(key)? else {
            return Ok(None);
        };
        parse_memory(&text)
            .map(Some)
            .map_err(|message| self.error(key, message))
    }

    /// Every key must be in `allowed`; `elsewhere` says which other place a
    /// known but misplaced key belongs to.
    pub fn check_keys(
        &self,
        allowed: &[&str],
        elsewhere: &dyn Fn(&str) -> Option<String>,
    ) -> Result<(), WorkflowError> {
        for (key, _) in self.keys() {
            if allowed.contains(&key) {
                continue;
            }
            if let Some(place) = elsewhere(key) {
                return Err(self.error(key, place));
            }
            let mut error = self.error(key, "unknown key");
            error.hint = did_you_mean(key, allowed.iter().copied());
            return Err(error);
        }
        Ok(())
    }
}

/// A whole number followed by one of `units` (name, scale), scaled; `None`
/// when the text has another form or overflows.
fn scaled(text: &str, units: &[(&str, u64)]) -> Option<u64> {
    let (at, _) = text.char_indices().last()?;
    let (number, unit) = text.split_at(at);
    let (_, scale) = units.iter().find(|(name, _)| *name == unit)?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    number.parse::<u64>().ok()?.checked_mul(*scale)
}

/// `30s`, `10m`, `1h`: at least one second, at most a week.
pub(super) fn parse_duration(text: &str) -> Result<Duration, String> {
    let secs = scaled(text, &[("s", 1), ("m", 60), ("h", 3600)]).ok_or_else(|| {
        format!("\"{text}\" is not a duration (a whole number and s, m or h: 30s, 10m, 1h)")
    })?;
    let duration = Duration::from_secs(secs);
    if duration.is_zero() || duration > MAX_DURATION {
        return Err(format!("\"{text}\" is out of range (1s..=168h)"));
    }
    Ok(duration)
}

/// `512M`, `2G` → MiB: at least 1M, at most 1024G.
pub(super) fn parse_memory(text: &str) -> Result<u64, String> {
    let mib = scaled(text, &[("M", 1), ("G", 1024)])
        .ok_or_else(|| format!("\"{text}\" is not a size (a whole number and M or G: 512M, 2G)"))?;
    if mib == 0 || mib > MAX_MEMORY_MIB {
        return Err(format!("\"{text}\" is out of range (1M..=1024G)"));
    }
    Ok(mib)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        for bad in [
            "",
            "s",
            "10",
            "1.5h",
            "-1s",
            "0s",
            "1d",
            "169h",
            "99999999999999999999h",
            "1é",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory("512M"), Ok(512));
        assert_eq!(parse_memory("2G"), Ok(2048));
        for bad in [
            "",
            "M",
            "2",
            "2g",
            "0M",
            "2T",
            "1025G",
            "+5M",
            "99999999999999999999G",
        ] {
            assert!(parse_memory(bad).is_err(), "{bad}");
        }
    }
}
