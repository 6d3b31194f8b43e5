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

/// Which part of a corpus an entry belongs to, for the generalisation
/// check: a fixed, seeded share of every corpus is set aside (never looked
/// at while rules are written) and the rates on it are compared with the
/// rates on the part rules were written from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Part {
    /// The part rules are written from.
    Work,
    /// The part set aside.
    Heldout,
}

/// The split: an entry is held out when a 64-bit FNV-1a hash of the seed,
/// its language and its text falls in the first `heldout_percent` of 100
/// buckets. It depends on nothing but the entry, so it is the same in any
/// order and stays the same when entries are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// The seed (the README's figures use [`Split::DEFAULT`]).
    pub seed: u64,
    /// Share of entries held out, 0..=100.
    pub heldout_percent: u8,
}

impl Split {
    /// Seed 15, 30% held out: the split issue 15 fixed before any rule of
    /// the effect model was written.
    pub const DEFAULT: Split = Split {
        seed: 15,
        heldout_percent: 30,
    };

    /// The part `entry` belongs to.
    pub fn part(&self, entry: &CorpusEntry) -> Part {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        let bytes = self
            .seed
            .to_le_bytes()
            .into_iter()
            .chain(entry.lang.as_str().bytes())
            .chain([0])
            .chain(entry.cmd.bytes());
        for b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(PRIME);
        }
        if h % 100 < u64::from(self.heldout_percent) {
            Part::Heldout
        } else {
            Part::Work
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
    /// Per language, over entries whose category is not `ambiguous:`.
    pub by_lang: BTreeMap<String, CategoryStats>,
}

impl CorpusStats {
    /// Counts one verdict of an entry in `lang`.
    pub fn add(&mut self, category: &str, lang: Lang, v: &Verdict) {
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
        if !category.starts_with("ambiguous:") {
            self.by_lang
                .entry(lang.as_str().to_owned())
                .or_default()
                .add(v.decision);
        }
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
    each: impl FnMut(u64, &CorpusEntry, &Verdict),
) -> Result<CorpusStats, CorpusError> {
    evaluate_part(validator, input, None, each)
}

/// [`evaluate`] over one part of a split only (`None`: every entry).
pub fn evaluate_part(
    validator: &mut Validator,
    input: impl BufRead,
    part: Option<(Split, Part)>,
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
        if let Some((split, want)) = part {
            if split.part(&entry) != want {
                continue;
            }
        }
        let v = validator.validate(entry.lang, &entry.cmd);
        stats.add(&entry.category, entry.lang, &v);
        each(n, &entry, &v);
    }
    Ok(stats)
}
