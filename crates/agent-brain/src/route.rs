//! `route_task`: the only way facts leave the store.
//!
//! 1. The task text becomes an FTS5 query: its stems (stop words dropped, at
//!    most [`MAX_TERMS`]), each as the index term of every scope the task
//!    may see (global, its project, its session: see `terms.rs`), OR-ed.
//!    Terms are `t` + hex digits, so nothing of FTS5's syntax can pass.
//! 2. SQL keeps only rows of those scopes (by their columns: the partition is
//!    a speed-up and a second wall, not the only one), valid at the query
//!    time and at or above the confidence threshold, and returns the best
//!    [`MAX_CANDIDATES`] by BM25 (content weighs 1, tags 0.5): the pool is
//!    ranked before it is cut, so a fact with a rare word of the task is in
//!    it however many facts share the task's common words.
//! 3. Each candidate is scored `relevance × confidence × recency`, where
//!    relevance is its weighted coverage: the task's stems it holds, each
//!    weighed by its rarity in the scopes the task sees
//!    (`ln(1 + (m + 1) / (df + 0.5))` from the index's own document counts,
//!    `facts_vocab`, with `m` the largest count among the task's stems), over
//!    the weight of all of them, in (0, 1]. Not FTS5's bm25 value: its
//!    document count is the whole table's, not the visible scopes', so in a
//!    small store a word shared by a scope's facts (expired ones included)
//!    weighed nothing; equally good matches now tie. Recency is
//!    `0.5 + 0.5 × 2^(−age / half-life)` (an old fact keeps half its weight),
//!    its age counted from when it became true (`valid_from`), else from
//!    when it was remembered: an imported fact is as old as what it says.
//! 4. Near-duplicates (same words, or word sets with Jaccard ≥ 0.8) are
//!    merged into the best-scoring one.
//! 5. Summaries are taken best-first while they fit the token budget; one
//!    that does not fit is skipped (never cut), and smaller ones after it may
//!    still fit, until the budget is full or [`GIVE_UP_AFTER_MISSES`]
//!    candidates in a row did not fit. The budget counts the summaries' text
//!    in cl100k tokens.
//!
//! A summary is the fact's content with whitespace collapsed, its scope kind
//! and its score: no id, scope name, subject, source or time leaves.

use rusqlite::{params, OptionalExtension as _};
use time::OffsetDateTime;

use crate::error::{FactError, Result};
use crate::fact::{millis, ScopeKind, TaskContext};
use crate::store::Brain;
use crate::terms::{fnv1a, scope_key, term};

/// Most query words taken from the task text.
pub const MAX_TERMS: usize = 32;
/// Most rows ranked per query.
pub const MAX_CANDIDATES: usize = 200;
/// Candidates in a row that may fail to fit before the rest are left out
/// unexamined (the budget is then as good as full).
pub const GIVE_UP_AFTER_MISSES: usize = 16;
/// Word-set similarity from which two facts count as one.
pub const DUPLICATE_JACCARD: f64 = 0.8;

/// One routed fact.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    /// The fact, whitespace collapsed.
    pub text: String,
    /// Where it came from: global, project or session.
    pub scope: ScopeKind,
    /// `relevance × confidence × recency`, in (0, 1].
    pub score: f64,
    /// Its size in the budget's tokens.
    pub tokens: usize,
}

/// What [`Brain::route_task`] returns.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Routed {
    /// Best first.
    pub summaries: Vec<Summary>,
    /// Tokens the summaries take, never more than `budget`.
    pub tokens_used: usize,
    /// The budget asked for.
    pub budget: usize,
    /// The tokenizer that counted (`cl100k_base`).
    pub tokenizer: &'static str,
    /// Rows that matched and were ranked.
    pub candidates: usize,
    /// Candidates folded into a better near-duplicate.
    pub duplicates_merged: usize,
    /// Candidates left out because they did not fit.
    pub over_budget: usize,
    /// Whether meaning took part (an embedder is set and the store has its
    /// vectors): relevance is then the fusion of the word and the vector
    /// rankings.
    pub semantic: bool,
}

impl Brain {
    /// Ranked, token-budgeted summaries of the facts `task` may see that are
    /// relevant to `task_text`, as of now.
    pub fn route_task(&self, task: &TaskContext, task_text: &str, budget: usize) -> Result<Routed> {
        self.route_task_at(task, task_text, budget, OffsetDateTime::now_utc())
    }

    /// [`Brain::route_task`] as of `at`: validity is judged at that time.
    pub fn route_task_at(
        &self,
        task: &TaskContext,
        task_text: &str,
        budget: usize,
        at: OffsetDateTime,
    ) -> Result<Routed> {
        task.validate()?;
        if budget == 0 {
            return Err(FactError::ZeroBudget.into());
        }
        let mut routed = Routed {
            summaries: Vec::new(),
            tokens_used: 0,
            budget,
            tokenizer: self.tokens().name(),
            candidates: 0,
            duplicates_merged: 0,
            over_budget: 0,
            semantic: false,
        };
        let mut stems = self.terms.stems(task_text);
        stems.truncate(MAX_TERMS);
        if stems.is_empty() {
            return Ok(routed);
        }
        let mut scopes = vec![
            scope_key(ScopeKind::Global, "", ""),
            scope_key(ScopeKind::Project, &task.project, ""),
        ];
        if let Some(session) = task.session.as_deref() {
            scopes.push(scope_key(ScopeKind::Session, &task.project, session));
        }
        // Only the visible scopes' terms: other scopes' postings are never read.
        let fts = stems
            .iter()
            .flat_map(|stem| scopes.iter().map(move |scope| term(*scope, stem)))
            .collect::<Vec<_>>()
            .join(" OR ");
        let weights = self.rarity(&stems, &scopes)?;
        let total_weight: f64 = weights.iter().sum();
        let now = millis(at);
        // CROSS JOIN pins the join order: the full-text match drives and
        // each hit is looked up by rowid. Left to itself the planner may
        // scan the scope's rows and probe FTS5 once per row, which at a
        // million facts is seconds per query instead of milliseconds.
        let mut candidates = self.lexical(task, &fts, &stems, &weights, total_weight, now)?;
        if let Some((query, model)) = self.query_vector(task_text)? {
            let near = self.nearest(task, &query, model, now)?;
            routed.semantic = true;
            self.fuse(&mut candidates, &near, self.settings.min_similarity)?;
        }
        routed.candidates = candidates.len();
        let half_life_ms = self.settings.recency_half_life_days.max(1e-9) * 86_400_000.0;
        let mut scored: Vec<(f64, Candidate)> = candidates
            .into_iter()
            .map(|c| {
                let age = (now - c.created_at).max(0) as f64;
                let recency = 0.5 + 0.5 * (-age / half_life_ms).exp2();
                (c.relevance * c.confidence * recency, c)
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0));

        let counter = self.tokens();
        // (word set, hash of the lower-cased text) of every fact kept so far.
        let mut kept: Vec<(Vec<u64>, u64)> = Vec::new();
        let mut misses = 0;
        for (score, candidate) in scored {
            if routed.tokens_used == budget || misses == GIVE_UP_AFTER_MISSES {
                // Full, or nearly: the rest is left out unexamined.
                routed.over_budget += 1;
                continue;
            }
            let words = word_set(&candidate.text);
            let whole = fnv1a(&[candidate.text.to_lowercase().as_bytes()]);
            if kept
                .iter()
                .any(|(w, h)| *h == whole || jaccard(w, &words) >= DUPLICATE_JACCARD)
            {
                routed.duplicates_merged += 1;
                continue;
            }
            kept.push((words, whole));
            let tokens = counter.count(&candidate.text);
            if routed.tokens_used + tokens > budget {
                routed.over_budget += 1;
                misses += 1;
                continue;
            }
            misses = 0;
            routed.tokens_used += tokens;
            routed.summaries.push(Summary {
                text: candidate.text,
                scope: candidate.scope,
                score,
                tokens,
            });
        }
        Ok(routed)
    }
}

impl Brain {
    /// A weight per stem by its rarity in the scopes the task sees:
    /// `ln(1 + (m + 1) / (df + 0.5))`, where `df` is how many of those
    /// facts hold the stem (the index's own counts, `facts_vocab`) and `m`
    /// the largest `df` among the stems, so a word every fact has weighs
    /// little and a word few have weighs much.
    fn rarity(&self, stems: &[String], scopes: &[u64]) -> Result<Vec<f64>> {
        let mut count = self
            .conn
            .prepare_cached("SELECT doc FROM facts_vocab WHERE term = ?1")
            .map_err(|e| self.err(e))?;
        let mut dfs = Vec::with_capacity(stems.len());
        for stem in stems {
            let mut df = 0i64;
            for scope in scopes {
                let n: Option<i64> = count
                    .query_row([term(*scope, stem)], |r| r.get(0))
                    .optional()
                    .map_err(|e| self.err(e))?;
                df += n.unwrap_or(0);
            }
            dfs.push(df as f64);
        }
        let most = dfs.iter().copied().fold(0.0, f64::max);
        Ok(dfs
            .into_iter()
            .map(|df| (1.0 + (most + 1.0) / (df + 0.5)).ln())
            .collect())
    }
}

struct Candidate {
    id: i64,
    text: String,
    scope: ScopeKind,
    /// The task's stems it holds, weighed by rarity, over all of them (0
    /// when only its meaning matched).
    coverage: f64,
    /// How well it matches, in (0, 1]: its coverage, or with vectors the
    /// fused rank (see `Brain::fuse`).
    relevance: f64,
    confidence: f64,
    created_at: i64,
}

impl Brain {
    /// The facts holding a task word, best [`MAX_CANDIDATES`] by BM25, with
    /// their rarity-weighted coverage.
    fn lexical(
        &self,
        task: &TaskContext,
        fts: &str,
        stems: &[String],
        weights: &[f64],
        total_weight: f64,
        now: i64,
    ) -> Result<Vec<Candidate>> {
        // CROSS JOIN pins the join order: the full-text match drives and
        // each hit is looked up by rowid. Left to itself the planner may
        // scan the scope's rows and probe FTS5 once per row, which at a
        // million facts is seconds per query instead of milliseconds.
        let mut query = self
            .conn
            .prepare_cached(
                "SELECT f.id, f.content, f.scope_kind, f.confidence, coalesce(f.valid_from, f.created_at), f.tags, \
                        bm25(facts_fts, 1.0, 0.5) AS rank \
                 FROM facts_fts CROSS JOIN facts AS f ON f.id = facts_fts.rowid \
                 WHERE facts_fts MATCH ?1 \
                   AND (f.scope_kind = 0 \
                        OR (f.scope_kind = 1 AND f.project = ?2) \
                        OR (f.scope_kind = 2 AND f.project = ?2 AND ?3 IS NOT NULL AND f.session = ?3)) \
                   AND f.confidence >= ?4 \
                   AND (f.valid_from IS NULL OR f.valid_from <= ?5) \
                   AND (f.invalid_at IS NULL OR f.invalid_at > ?5) \
                 ORDER BY rank LIMIT ?6",
            )
            .map_err(|e| self.err(e))?;
        let rows = query
            .query_map(
                params![
                    fts,
                    task.project,
                    task.session.as_deref(),
                    self.settings.confidence_threshold,
                    now,
                    MAX_CANDIDATES as i64
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                        r.get::<_, f64>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                },
            )
            .map_err(|e| self.err(e))?;
        let mut candidates = Vec::new();
        for row in rows {
            let (id, content, kind, confidence, created_at, tags) = row.map_err(|e| self.err(e))?;
            let Some(scope) = ScopeKind::from_code(kind) else {
                continue;
            };
            let own = self.terms.stems(&format!("{content} {tags}"));
            let matched: f64 = stems
                .iter()
                .zip(weights)
                .filter(|(s, _)| own.contains(s))
                .map(|(_, w)| w)
                .sum();
            let coverage = matched / total_weight.max(f64::MIN_POSITIVE);
            candidates.push(Candidate {
                id,
                text: collapse_whitespace(&content),
                scope,
                coverage,
                relevance: coverage,
                confidence,
                created_at,
            });
        }
        Ok(candidates)
    }

    /// Folds the semantic matches (`near`: id and cosine, best first) into
    /// `candidates`: a fact's relevance becomes the mean of its word
    /// coverage and its cosine similarity to the task (below 0 counts as
    /// 0), both in [0, 1]. The best [`MAX_CANDIDATES`] facts at or above
    /// `min_similarity` join the pool even when they share no word.
    ///
    /// A convex combination with equal weights, not tuned: on the LoCoMo
    /// conversations it beat reciprocal rank fusion with its customary
    /// k = 60 (0.618 against 0.586 at 500 tokens; `benches/locomo.rs`);
    /// rank fusion throws away how far apart scores are, and a word match
    /// on a rare word is far apart from one on a common word.
    fn fuse(
        &self,
        candidates: &mut Vec<Candidate>,
        near: &[(i64, f64)],
        min_similarity: f64,
    ) -> Result<()> {
        let similarity: std::collections::HashMap<i64, f64> = near.iter().copied().collect();
        let mut seen: std::collections::HashSet<i64> = candidates.iter().map(|c| c.id).collect();
        let mut load = self
            .conn
            .prepare_cached(
                "SELECT content, scope_kind, confidence, coalesce(valid_from, created_at) \
                 FROM facts WHERE id = ?1",
            )
            .map_err(|e| self.err(e))?;
        let admitted = near
            .iter()
            .take_while(|(_, s)| *s >= min_similarity)
            .take(MAX_CANDIDATES);
        for (id, _) in admitted {
            if !seen.insert(*id) {
                continue;
            }
            let row = load
                .query_row([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, f64>(2)?,
                        r.get::<_, i64>(3)?,
                    ))
                })
                .optional()
                .map_err(|e| self.err(e))?;
            let Some((content, kind, confidence, created_at)) = row else {
                continue;
            };
            let Some(scope) = ScopeKind::from_code(kind) else {
                continue;
            };
            candidates.push(Candidate {
                id: *id,
                text: collapse_whitespace(&content),
                scope,
                coverage: 0.0,
                relevance: 0.0,
                confidence,
                created_at,
            });
        }
        for candidate in candidates.iter_mut() {
            let cosine = similarity.get(&candidate.id).copied().unwrap_or(0.0);
            candidate.relevance = 0.5 * cosine.max(0.0) + 0.5 * candidate.coverage;
        }
        candidates.retain(|c| c.relevance > 0.0);
        Ok(())
    }
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The distinct lower-cased words of `text`, as sorted 64-bit hashes
/// (collisions only ever make two facts look more alike, never less).
fn word_set(text: &str) -> Vec<u64> {
    let mut words: Vec<u64> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| fnv1a(&[w.to_lowercase().as_bytes()]))
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// |A ∩ B| / |A ∪ B| of two sorted, deduplicated sets.
fn jaccard(a: &[u64], b: &[u64]) -> f64 {
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    shared as f64 / (a.len() + b.len() - shared) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jaccard_of_sets() {
        let a = word_set("cargo test runs the suite");
        let b = word_set("cargo test runs the suite quickly");
        let j = jaccard(&a, &b);
        assert!((j - 5.0 / 6.0).abs() < 1e-9, "{j}");
        assert_eq!(jaccard(&a, &a), 1.0);
        assert_eq!(jaccard(&a, &word_set("nothing shared")), 0.0);
    }
}
