//! Semantic retrieval: sentence vectors of facts, stored beside them and
//! searched per scope.
//!
//! The model is not this crate's: an [`Embedder`] (autonomic-core's
//! contract) is handed in — autonomic-llm's all-MiniLM-L6-v2 in the product. This module owns what the
//! store does with vectors:
//!
//! - **Writing, in the background.** [`Brain::embed_pending`] embeds, in
//!   batches of [`EMBED_BATCH`] (one transaction each, so readers and a stop
//!   request wait one batch at most), the facts that hold now or later and
//!   have no vector of the current model. `remember` never embeds: it stays
//!   as fast as it was, and a fact without a vector is found by its words.
//!   agent-heart's cycle calls it; so does `autonomic brain embed`.
//! - **Storage.** A vector becomes int8 scaled by its largest component
//!   (plus that scale as an f32): 388 bytes a fact for a 384-wide model,
//!   about a quarter of f32, with rank order all but unchanged (a dot
//!   product's rounding error is below 0.005, well under the gaps that
//!   matter; `tests` below). Each vector names its model; another model's
//!   vectors are ignored and re-made.
//! - **Search.** For each scope the task may see, by that scope's columns
//!   (the same wall as the words' path: a vector of another scope is never
//!   read, so similarity cannot carry a fact across scopes), every vector of
//!   a fact valid at the query time and confident enough is compared with
//!   the query's: brute force, because a scope holds hundreds to a few
//!   thousand facts (measured in `benches/scale.rs`).

use std::sync::Arc;
use std::time::Instant;

use rusqlite::{params, OptionalExtension as _, TransactionBehavior};
use time::OffsetDateTime;

pub use autonomic_core::embed::Embedder;

use crate::error::{BrainError, Result};
use crate::fact::{millis, ScopeKind, TaskContext};
use crate::store::Brain;

/// Facts embedded per model call and per transaction.
pub const EMBED_BATCH: usize = 64;

/// What [`Brain::embed_pending`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct Embedded {
    /// Facts given a vector.
    pub embedded: u64,
    /// Facts still without one (a stop request or the limit came first).
    pub remaining: u64,
    /// Whether a stop request ended it early.
    pub interrupted: bool,
    /// Wall time, milliseconds.
    pub millis: u64,
}

/// Vector coverage, for `stats`.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct VectorStats {
    /// The model of the newest vectors, if any.
    pub model: Option<String>,
    /// Facts with a vector of that model.
    pub embedded: u64,
    /// Facts that hold now or later and have none.
    pub pending: u64,
    /// Bytes of vector data.
    pub bytes: u64,
}

impl Brain {
    /// Ranks by meaning as well as words from now on (`None`: words only).
    /// Vectors must have been made by [`Brain::embed_pending`] with a model
    /// of the same name; until then, facts are found by their words.
    pub fn set_embedder(&mut self, embedder: Option<Arc<dyn Embedder>>) {
        self.embedder = embedder;
    }

    /// Gives the facts that hold now or later and lack a vector of
    /// `embedder`'s model one, in batches, at most `limit` of them;
    /// `progress` hears (done, total) after each batch.
    pub fn embed_pending(
        &mut self,
        embedder: &dyn Embedder,
        limit: Option<u64>,
        stop: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(u64, u64),
    ) -> Result<Embedded> {
        let started = Instant::now();
        let now = millis(OffsetDateTime::now_utc());
        let model = self.model_id(embedder, true)?.unwrap_or_default();
        let total: i64 = self
            .conn
            .query_row(PENDING_COUNT, params![model, now], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let total = total.max(0) as u64;
        let mut report = Embedded {
            remaining: total,
            ..Embedded::default()
        };
        let cap = limit.unwrap_or(u64::MAX).min(total);
        let mut after = 0i64;
        while report.embedded < cap {
            if stop() {
                report.interrupted = true;
                break;
            }
            let want = (cap - report.embedded).min(EMBED_BATCH as u64) as i64;
            let batch: Vec<(i64, i64, String, String, String)> = {
                let mut pending = self.conn.prepare_cached(PENDING).map_err(|e| self.err(e))?;
                let rows = pending
                    .query_map(params![model, now, after, want], |r| {
                        Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                    })
                    .map_err(|e| self.err(e))?;
                rows.collect::<rusqlite::Result<_>>()
                    .map_err(|e| self.err(e))?
            };
            let Some(last) = batch.last() else {
                break;
            };
            after = last.0;
            let texts: Vec<&str> = batch.iter().map(|b| b.4.as_str()).collect();
            let vectors = embed_checked(embedder, &texts)?;
            let tx = self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(|e| BrainError::sqlite(&self.path, e))?;
            {
                let mut put = tx
                    .prepare_cached(
                        "INSERT OR REPLACE INTO fact_vectors (scope_kind, project, session, fact_id, model, vec) \
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    )
                    .map_err(|e| BrainError::sqlite(&self.path, e))?;
                for ((id, kind, project, session, _), vector) in batch.iter().zip(&vectors) {
                    put.execute(params![kind, project, session, id, model, quantize(vector)])
                        .map_err(|e| BrainError::sqlite(&self.path, e))?;
                }
            }
            tx.commit().map_err(|e| BrainError::sqlite(&self.path, e))?;
            report.embedded += batch.len() as u64;
            report.remaining = total.saturating_sub(report.embedded);
            progress(report.embedded, cap);
        }
        report.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        tracing::debug!(
            embedded = report.embedded,
            remaining = report.remaining,
            millis = report.millis,
            "embedded pending facts"
        );
        Ok(report)
    }

    /// Whether the store holds vectors made by the model named `model`
    /// (a caller can skip loading a model the store has no vectors of).
    pub fn has_vectors_of(&self, model: &str) -> Result<bool> {
        self.conn
            .query_row(
                "SELECT EXISTS (SELECT 1 FROM fact_vectors WHERE model = \
                 (SELECT id FROM embedding_models WHERE name = ?1))",
                [model],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Vector coverage for the newest model's vectors.
    pub fn vector_stats(&self) -> Result<VectorStats> {
        let newest: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT id, name FROM embedding_models ORDER BY id DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let now = millis(OffsetDateTime::now_utc());
        let model_id = newest.as_ref().map_or(0, |(id, _)| *id);
        let (embedded, bytes): (i64, i64) = self
            .conn
            .query_row(
                "SELECT count(*), coalesce(sum(length(vec)), 0) FROM fact_vectors WHERE model = ?1",
                [model_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let pending: i64 = self
            .conn
            .query_row(PENDING_COUNT, params![model_id, now], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(VectorStats {
            model: newest.map(|(_, name)| name),
            embedded: embedded.max(0) as u64,
            pending: pending.max(0) as u64,
            bytes: bytes.max(0) as u64,
        })
    }

    /// The row id of `embedder`'s model, registering it when `create`.
    pub(crate) fn model_id(&self, embedder: &dyn Embedder, create: bool) -> Result<Option<i64>> {
        let found: Option<(i64, i64)> = self
            .conn
            .query_row(
                "SELECT id, dims FROM embedding_models WHERE name = ?1",
                [embedder.name()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match found {
            Some((_, dims)) if dims != embedder.dims() as i64 => Err(BrainError::Embed {
                model: embedder.name().to_owned(),
                reason: format!(
                    "the store's vectors of this model have {dims} dimensions, the model gives {}",
                    embedder.dims()
                ),
            }),
            Some((id, _)) => Ok(Some(id)),
            None if create => {
                self.conn
                    .execute(
                        "INSERT INTO embedding_models (name, dims) VALUES (?1, ?2)",
                        params![embedder.name(), embedder.dims() as i64],
                    )
                    .map_err(|e| self.err(e))?;
                Ok(Some(self.conn.last_insert_rowid()))
            }
            None => Ok(None),
        }
    }

    /// Every fact of the scopes `task` sees that has a vector of `model`,
    /// with its similarity to `query`, most similar first. Validity and
    /// confidence are not checked here: the pool checks them for the facts
    /// it takes (reading every scope fact's row would cost more than the
    /// comparisons).
    pub(crate) fn nearest(
        &self,
        task: &TaskContext,
        query: &[f32],
        model: i64,
    ) -> Result<Vec<(i64, f64)>> {
        let query = quantize(query);
        let mut scopes = vec![
            (ScopeKind::Global, "", ""),
            (ScopeKind::Project, task.project.as_str(), ""),
        ];
        if let Some(session) = task.session.as_deref() {
            scopes.push((ScopeKind::Session, task.project.as_str(), session));
        }
        let mut select = self
            .conn
            .prepare_cached(
                "SELECT fact_id, vec FROM fact_vectors \
                 WHERE scope_kind = ?1 AND project = ?2 AND session = ?3 AND model = ?4",
            )
            .map_err(|e| self.err(e))?;
        let mut found = Vec::new();
        for (kind, project, session) in scopes {
            let mut rows = select
                .query(params![kind.code(), project, session, model])
                .map_err(|e| self.err(e))?;
            while let Some(row) = rows.next().map_err(|e| self.err(e))? {
                let id: i64 = row.get(0).map_err(|e| self.err(e))?;
                let vec = row.get_ref(1).map_err(|e| self.err(e))?;
                let bytes = vec.as_blob().map_err(|e| self.err(e.into()))?;
                if bytes.len() != query.len() || bytes.len() < 4 {
                    continue;
                }
                found.push((id, similarity(&query, bytes)));
            }
        }
        found.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(found)
    }

    /// The query's vector and the model's row, when vectors can take part.
    pub(crate) fn query_vector(&self, text: &str) -> Result<Option<(Vec<f32>, i64)>> {
        let Some(embedder) = self.embedder.as_deref() else {
            return Ok(None);
        };
        let Some(model) = self.model_id(embedder, false)? else {
            return Ok(None);
        };
        let mut vectors = embed_checked(embedder, &[text])?;
        Ok(vectors.pop().map(|v| (v, model)))
    }
}

/// Facts without a vector of model ?1 that hold at ?2 or later, after id ?3.
const PENDING: &str = "SELECT f.id, f.scope_kind, f.project, f.session, f.content FROM facts AS f \
     LEFT JOIN fact_vectors AS v ON v.scope_kind = f.scope_kind AND v.project = f.project \
        AND v.session = f.session AND v.fact_id = f.id AND v.model = ?1 \
     WHERE v.fact_id IS NULL AND (f.invalid_at IS NULL OR f.invalid_at > ?2) AND f.id > ?3 \
     ORDER BY f.id LIMIT ?4";

const PENDING_COUNT: &str = "SELECT count(*) FROM facts AS f \
     LEFT JOIN fact_vectors AS v ON v.scope_kind = f.scope_kind AND v.project = f.project \
        AND v.session = f.session AND v.fact_id = f.id AND v.model = ?1 \
     WHERE v.fact_id IS NULL AND (f.invalid_at IS NULL OR f.invalid_at > ?2)";

/// Runs the model and checks what it gave: one finite vector of its
/// declared width per text.
fn embed_checked(embedder: &dyn Embedder, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
    let fail = |reason: String| BrainError::Embed {
        model: embedder.name().to_owned(),
        reason,
    };
    let vectors = embedder.embed(texts).map_err(fail)?;
    if vectors.len() != texts.len() {
        return Err(fail(format!(
            "{} vectors for {} texts",
            vectors.len(),
            texts.len()
        )));
    }
    if let Some(bad) = vectors
        .iter()
        .find(|v| v.len() != embedder.dims() || v.iter().any(|x| !x.is_finite()))
    {
        return Err(fail(format!(
            "a vector of {} values (expected {}, all finite)",
            bad.len(),
            embedder.dims()
        )));
    }
    Ok(vectors)
}

/// A vector as its scale (f32, little-endian: the largest magnitude / 127)
/// then its components / scale as int8 (two's complement bytes).
pub(crate) fn quantize(vector: &[f32]) -> Vec<u8> {
    let largest = vector.iter().fold(0.0f32, |m, x| m.max(x.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    let mut out = Vec::with_capacity(4 + vector.len());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(
        vector
            .iter()
            .map(|x| ((x / scale).round().clamp(-127.0, 127.0) as i8) as u8),
    );
    out
}

/// The dot product of two quantised vectors (cosine, for unit vectors).
fn similarity(a: &[u8], b: &[u8]) -> f64 {
    let scale = |v: &[u8]| f64::from(f32::from_le_bytes([v[0], v[1], v[2], v[3]]));
    let dot: i32 = a[4..]
        .iter()
        .zip(&b[4..])
        .map(|(&x, &y)| i32::from(x as i8) * i32::from(y as i8))
        .sum();
    f64::from(dot) * scale(a) * scale(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_similarity_is_close_to_the_cosine() {
        let a: Vec<f32> = (0..384)
            .map(|i| ((i * 7 % 13) as f32 - 6.0) / 40.0)
            .collect();
        let b: Vec<f32> = (0..384)
            .map(|i| ((i * 5 % 11) as f32 - 5.0) / 35.0)
            .collect();
        let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt();
        let a: Vec<f32> = a.iter().map(|x| x / norm(&a)).collect();
        let b: Vec<f32> = b.iter().map(|x| x / norm(&b)).collect();
        let exact: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        let approx = similarity(&quantize(&a), &quantize(&b));
        assert!(
            (approx - f64::from(exact)).abs() < 0.01,
            "{approx} vs {exact}"
        );
        let same = similarity(&quantize(&a), &quantize(&a));
        assert!((same - 1.0).abs() < 0.01, "{same}");
    }
}
