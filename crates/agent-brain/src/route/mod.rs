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
//!    it however many facts share the task's common words. When the task
//!    names a time (`when.rs`), the facts that became true then join the
//!    pool; when an encoder is set and the store has its vectors, so do the
//!    facts most similar in meaning (`pool.rs`, `vectors.rs`). Every path
//!    reads only the visible scopes, by their columns.
//! 3. Each candidate is scored `relevance × confidence × recency`, where
//!    relevance is its weighted coverage — or, with vectors, the mean of the
//!    coverage and the cosine similarity to the task; a fact of the named
//!    time gets `0.5 + 0.5 × relevance`. Coverage: the task's stems it holds, each
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
//!    in cl100k tokens, as stored with each fact when it was remembered (the
//!    tokenizer is built only for a fact without a count).
//!
//! A summary is the fact's content with whitespace collapsed, its scope kind
//! and its score: no id, scope name, subject, source or time leaves.

use rusqlite::OptionalExtension as _;

mod pool;

use time::OffsetDateTime;

use crate::error::{FactError, Result};
use crate::fact::{millis, ScopeKind, TaskContext};
use crate::store::Brain;
use crate::terms::{fnv1a, scope_key, term};
use crate::tokens::TokenCounter;
use crate::when;
use pool::{Candidate, Pool};

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
            tokenizer: TokenCounter::NAME,
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
        let pool = Pool {
            task,
            now: millis(at),
            stems: &stems,
            weights: &weights,
            total_weight,
        };
        let mut candidates = self.lexical(&pool, &fts)?;
        let window = when::window(task_text, at);
        if let Some(window) = window {
            self.add_window(&pool, window, &mut candidates)?;
        }
        if let Some((query, model)) = self.query_vector(task_text)? {
            let near = self.nearest(task, &query, model)?;
            routed.semantic = true;
            self.fuse(&pool, &mut candidates, &near, self.settings.min_similarity)?;
        }
        if let Some(window) = window {
            for c in &mut candidates {
                if (window.start..window.end).contains(&c.created_at) {
                    c.relevance = 0.5 + 0.5 * c.relevance;
                }
            }
        }
        let now = pool.now;
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

        // Stored counts make the tokenizer unnecessary; it is built only
        // for a fact that has none.
        let mut counter: Option<TokenCounter> = None;
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
            let tokens = match candidate.tokens {
                Some(n) => usize::try_from(n).unwrap_or(usize::MAX),
                None => counter
                    .get_or_insert_with(TokenCounter::cl100k)
                    .count(&candidate.text),
            };
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
