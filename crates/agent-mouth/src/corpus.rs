//! Evaluation over a JSON Lines corpus of `{cmd, lang, category, source}`.

use std::collections::BTreeMap;
use std::io::BufRead;

use autonomic_core::Decision;
use serde::{Deserialize, Serialize};

use crate::engine::Validator;
use crate::verdict::{Lang, Verdict};

/// One corpus line.
#[derive(Debug, Clone, Deserialize)]
pub struct CorpusEntry {
    /// The command or snippet.
    pub cmd: String,
    /// Its language.
    pub lang: Lang,
    /// Category (`ambiguous:` prefixed ones are debatable).
    #[serde(default)]
    pub category: String,
    /// Where it was collected from.
    #[serde(default)]
    pub source: String,
}

/// Counts for one category.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CategoryStats {
    /// Entries.
    pub total: u64,
    /// Allowed.
    pub allow: u64,
    /// Sent to review.
    pub review: u64,
    /// Denied (parse errors included).
    pub deny: u64,
}

impl CategoryStats {
    fn add(&mut self, d: Decision) {
        self.total += 1;
        match d {
            Decision::Allow => self.allow += 1,
            Decision::Review => self.review += 1,
            Decision::Deny => self.deny += 1,
        }
    }
}

/// The corpus report printed by `autonomic validate --corpus --json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CorpusStats {
    /// Entries.
    pub total: u64,
    /// Allowed.
    pub allow: u64,
    /// Sent to review.
    pub review: u64,
    /// Denied, parse errors included.
    pub deny: u64,
    /// Denied because they did not parse.
    pub parse_error: u64,
    /// Per category.
    pub by_category: BTreeMap<String, CategoryStats>,
}

impl CorpusStats {
    /// Counts one verdict.
    pub fn add(&mut self, category: &str, v: &Verdict) {
        self.total += 1;
        match v.decision {
            Decision::Allow => self.allow += 1,
            Decision::Review => self.review += 1,
            Decision::Deny => self.deny += 1,
        }
        if v.findings
            .iter()
            .any(|f| f.rule_id == crate::catalog::PARSE_ERROR.id)
        {
            self.parse_error += 1;
        }
        self.by_category
            .entry(category.to_string())
            .or_default()
            .add(v.decision);
    }

    /// Totals over categories that do not start with `ambiguous:`.
    pub fn unambiguous(&self) -> CategoryStats {
        let mut t = CategoryStats::default();
        for (k, v) in &self.by_category {
            if !k.starts_with("ambiguous:") {
                t.total += v.total;
                t.allow += v.allow;
                t.review += v.review;
                t.deny += v.deny;
            }
        }
        t
    }
}

/// A malformed corpus line.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    /// Reading failed.
    #[error("cannot read corpus line {line}")]
    Read {
        /// 1-based line.
        line: u64,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// A line is not a valid entry.
    #[error("corpus line {line}: {message}")]
    Entry {
        /// 1-based line.
        line: u64,
        /// serde_json's message (names the field).
        message: String,
    },
}

/// Validates every entry of a JSON Lines corpus; `each` sees every verdict.
pub fn evaluate(
    validator: &mut Validator,
    input: impl BufRead,
    mut each: impl FnMut(u64, &CorpusEntry, &Verdict),
) -> Result<CorpusStats, CorpusError> {
    let mut stats = CorpusStats::default();
    for (i, line) in input.lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|source| CorpusError::Read { line: n, source })?;
        if line.trim().is_empty() {
            continue;
        }
        let entry: CorpusEntry = serde_json::from_str(&line).map_err(|e| CorpusError::Entry {
            line: n,
            message: e.to_string(),
        })?;
        let v = validator.validate(entry.lang, &entry.cmd);
        stats.add(&entry.category, &v);
        each(n, &entry, &v);
    }
    Ok(stats)
}
