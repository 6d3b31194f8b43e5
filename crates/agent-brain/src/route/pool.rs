//! The candidate pool: the facts a task's words, time and meaning point at,
//! each with how well it matches. Every path reads only the scopes the task
//! may see, by their columns, and only facts valid at the query time and
//! confident enough.

use rusqlite::{params, Row};

use crate::error::Result;
use crate::fact::{ScopeKind, TaskContext};
use crate::store::Brain;
use crate::tokens::collapse_whitespace;
use crate::when::Window;

use super::MAX_CANDIDATES;

/// One fact that may be routed.
pub(super) struct Candidate {
    pub(super) id: i64,
    pub(super) text: String,
    pub(super) scope: ScopeKind,
    /// The task's stems it holds, weighed by rarity, over all of them.
    pub(super) coverage: f64,
    /// How well it matches, in [0, 1]: its coverage, or with vectors the
    /// mean of coverage and similarity (see [`Brain::fuse`]); raised when
    /// it became true in the time the task names.
    pub(super) relevance: f64,
    pub(super) confidence: f64,
    /// When it became true (`valid_from`, else when it was remembered).
    pub(super) created_at: i64,
    /// Its size as a summary, as stored (`None`: not counted yet).
    pub(super) tokens: Option<i64>,
}

/// What every path of the pool needs from the query.
pub(super) struct Pool<'a> {
    pub(super) task: &'a TaskContext,
    /// The query time, ms.
    pub(super) now: i64,
    pub(super) stems: &'a [String],
    /// Each stem's rarity weight.
    pub(super) weights: &'a [f64],
    pub(super) total_weight: f64,
}

/// The columns [`Pool::candidate`] reads, from `facts AS f`.
const COLUMNS: &str = "f.id, f.content, f.scope_kind, f.confidence, \
     coalesce(f.valid_from, f.created_at), f.tags, f.tokens";

/// The facts the task may see now: its scopes (?2 project, ?3 session),
/// at or above the threshold (?4), valid at ?5.
const VISIBLE: &str = "(f.scope_kind = 0 \
       OR (f.scope_kind = 1 AND f.project = ?2) \
       OR (f.scope_kind = 2 AND f.project = ?2 AND ?3 IS NOT NULL AND f.session = ?3)) \
     AND f.confidence >= ?4 \
     AND (f.valid_from IS NULL OR f.valid_from <= ?5) \
     AND (f.invalid_at IS NULL OR f.invalid_at > ?5)";

impl Pool<'_> {
    /// A candidate from a row of [`COLUMNS`], its coverage of the task's
    /// stems computed (`None` for a row of an unknown scope kind).
    fn candidate(&self, brain: &Brain, row: &Row<'_>) -> rusqlite::Result<Option<Candidate>> {
        let content: String = row.get(1)?;
        let tags: String = row.get(5)?;
        let Some(scope) = ScopeKind::from_code(row.get(2)?) else {
            return Ok(None);
        };
        let own = brain.terms.stems(&format!("{content} {tags}"));
        let matched: f64 = self
            .stems
            .iter()
            .zip(self.weights)
            .filter(|(s, _)| own.contains(s))
            .map(|(_, w)| w)
            .sum();
        let coverage = matched / self.total_weight.max(f64::MIN_POSITIVE);
        Ok(Some(Candidate {
            id: row.get(0)?,
            text: collapse_whitespace(&content),
            scope,
            coverage,
            relevance: coverage,
            confidence: row.get(3)?,
            created_at: row.get(4)?,
            tokens: row.get(6)?,
        }))
    }
}

impl Brain {
    /// The facts holding a task word (`fts`: the scoped-term query), the
    /// best [`MAX_CANDIDATES`] by BM25 (content weighs 1, tags 0.5).
    pub(super) fn lexical(&self, pool: &Pool<'_>, fts: &str) -> Result<Vec<Candidate>> {
        // CROSS JOIN pins the join order: the full-text match drives and
        // each hit is looked up by rowid. Left to itself the planner may
        // scan the scope's rows and probe FTS5 once per row, which at a
        // million facts is seconds per query instead of milliseconds.
        let sql = format!(
            "SELECT {COLUMNS}, bm25(facts_fts, 1.0, 0.5) AS rank \
             FROM facts_fts CROSS JOIN facts AS f ON f.id = facts_fts.rowid \
             WHERE facts_fts MATCH ?1 AND {VISIBLE} \
             ORDER BY rank LIMIT ?6"
        );
        let mut query = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = query
            .query(params![
                fts,
                pool.task.project,
                pool.task.session.as_deref(),
                self.settings.confidence_threshold,
                pool.now,
                MAX_CANDIDATES as i64
            ])
            .map_err(|e| self.err(e))?;
        let mut candidates = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            if let Some(c) = pool.candidate(self, row).map_err(|e| self.err(e))? {
                candidates.push(c);
            }
        }
        Ok(candidates)
    }

    /// Adds the facts that became true in `window` (the time the task
    /// names), newest first, up to [`MAX_CANDIDATES`] of them, to the pool.
    pub(super) fn add_window(
        &self,
        pool: &Pool<'_>,
        window: Window,
        candidates: &mut Vec<Candidate>,
    ) -> Result<()> {
        let sql = format!(
            "SELECT {COLUMNS} FROM facts AS f \
             WHERE {VISIBLE} \
               AND coalesce(f.valid_from, f.created_at) >= ?6 \
               AND coalesce(f.valid_from, f.created_at) < ?7 \
             ORDER BY coalesce(f.valid_from, f.created_at) DESC LIMIT ?8"
        );
        let mut query = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut rows = query
            .query(params![
                "",
                pool.task.project,
                pool.task.session.as_deref(),
                self.settings.confidence_threshold,
                pool.now,
                window.start,
                window.end,
                MAX_CANDIDATES as i64
            ])
            .map_err(|e| self.err(e))?;
        let mut seen: std::collections::HashSet<i64> = candidates.iter().map(|c| c.id).collect();
        while let Some(row) = rows.next().map_err(|e| self.err(e))? {
            if let Some(c) = pool.candidate(self, row).map_err(|e| self.err(e))? {
                if seen.insert(c.id) {
                    candidates.push(c);
                }
            }
        }
        Ok(())
    }

    /// Folds the semantic matches (`near`: id and cosine, best first) into
    /// `candidates`: a fact's relevance becomes the mean of its word
    /// coverage and its cosine similarity to the task (below 0 counts as
    /// 0), both in [0, 1]. The best [`MAX_CANDIDATES`] facts at or above
    /// `min_similarity` that the task may see now join the pool even when
    /// they share no word.
    ///
    /// A convex combination with equal weights, not tuned: on the LoCoMo
    /// conversations it beat reciprocal rank fusion with its customary
    /// k = 60 (0.618 against 0.586 at 500 tokens; `benches/locomo.rs`);
    /// rank fusion throws away how far apart scores are, and a word match
    /// on a rare word is far apart from one on a common word.
    pub(super) fn fuse(
        &self,
        pool: &Pool<'_>,
        candidates: &mut Vec<Candidate>,
        near: &[(i64, f64)],
        min_similarity: f64,
    ) -> Result<()> {
        let similarity: std::collections::HashMap<i64, f64> = near.iter().copied().collect();
        let mut seen: std::collections::HashSet<i64> = candidates.iter().map(|c| c.id).collect();
        // The vectors' scope columns already kept other scopes out; the
        // fact's own row is checked again (scope, validity, confidence).
        let sql = format!("SELECT {COLUMNS} FROM facts AS f WHERE f.id = ?1 AND {VISIBLE}");
        let mut load = self.conn.prepare_cached(&sql).map_err(|e| self.err(e))?;
        let mut admitted = 0;
        for (id, _) in near.iter().take_while(|(_, s)| *s >= min_similarity) {
            if admitted == MAX_CANDIDATES {
                break;
            }
            if !seen.insert(*id) {
                continue;
            }
            let mut rows = load
                .query(params![
                    id,
                    pool.task.project,
                    pool.task.session.as_deref(),
                    self.settings.confidence_threshold,
                    pool.now
                ])
                .map_err(|e| self.err(e))?;
            if let Some(row) = rows.next().map_err(|e| self.err(e))? {
                if let Some(c) = pool.candidate(self, row).map_err(|e| self.err(e))? {
                    candidates.push(c);
                    admitted += 1;
                }
            }
        }
        for candidate in candidates.iter_mut() {
            let cosine = similarity.get(&candidate.id).copied().unwrap_or(0.0);
            candidate.relevance = 0.5 * cosine.max(0.0) + 0.5 * candidate.coverage;
        }
        candidates.retain(|c| c.relevance > 0.0);
        Ok(())
    }
}
