//! The mechanism of pruning: deleting long-invalid facts, evicting facts
//! beyond a scope's capacity to archives, and bringing archives back.
//!
//! Policy (how often, what grace, what capacities) is agent-heart's; the
//! records never leave this crate except into archive files.
//!
//! # Crash safety
//!
//! Eviction goes batch by batch through three steps, each durable:
//!
//! 1. *mark* (one transaction): a journal row `archives(batch, file, 'pending')`
//!    is inserted and the chosen facts get `evict_batch = batch`;
//! 2. *write*: the marked rows go to the batch's archive file (temporary
//!    name, fsync, rename, fsync of the directory);
//! 3. *finish* (one transaction): the marked rows are deleted and the journal
//!    row becomes `done`.
//!
//! Every cycle starts by finishing pending batches: if the final file is
//! complete and holds exactly the marked rows it is kept, otherwise it is
//! rewritten from the rows, which are still there. A batch's file has one
//! name, so redoing a step replaces rather than duplicates. A kill at any
//! point therefore loses no fact and archives none twice.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use rusqlite::params;
use time::OffsetDateTime;

use crate::archive::{self, ArchivedFact, Header};
use crate::error::{BrainError, Result};
use crate::fact::{from_millis, millis, NewFact, Scope, ScopeKind};
use crate::store::{Brain, ScopeKeys, INDEX_FACT};

/// How many facts each scope kind may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capacity {
    /// The global scope.
    pub global: u64,
    /// Each project.
    pub project: u64,
    /// Each session.
    pub session: u64,
}

/// What one prune cycle does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrunePolicy {
    /// How long after `invalid_at` a fact is deleted.
    pub grace: time::Duration,
    /// Facts kept per scope before the lowest-valued are archived.
    pub capacity: Capacity,
    /// Where archives go.
    pub archive_dir: PathBuf,
    /// Most facts per archive file.
    pub batch_rows: usize,
}

/// What a prune cycle did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct PruneReport {
    /// Interrupted batches of an earlier cycle that were finished.
    pub recovered_batches: u64,
    /// Facts recovered batches archived.
    pub recovered_facts: u64,
    /// Facts deleted because they had been invalid for longer than the grace.
    pub expired_deleted: u64,
    /// Scopes that were over capacity.
    pub scopes_over_capacity: u64,
    /// Facts moved to archives this cycle.
    pub evicted: u64,
    /// Archive files written this cycle (recovered ones included).
    pub archives: Vec<PathBuf>,
    /// The cycle stopped early at a step boundary because it was asked to;
    /// the next cycle carries on.
    pub interrupted: bool,
}

/// A step of a prune cycle that has just ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PruneStep {
    /// Interrupted batches of an earlier cycle were finished.
    Recovered {
        /// Batches finished.
        batches: u64,
        /// Facts they archived.
        facts: u64,
    },
    /// A chunk of long-invalid facts was deleted.
    Expired {
        /// Deleted so far this cycle.
        deleted: u64,
    },
    /// The full-text index was merged (agent-heart does this after pruning).
    IndexMerged {
        /// Merge steps that did work.
        steps: u64,
    },
    /// An archive batch was written and its facts deleted.
    Archived {
        /// This batch, from 1.
        batch: u64,
        /// Batches this cycle.
        batches: u64,
        /// Facts evicted so far this cycle.
        evicted: u64,
    },
    /// A batch of facts got sentence vectors (agent-heart does this after
    /// merging the index, when an embedder is set).
    Embedded {
        /// Facts embedded so far this cycle.
        done: u64,
        /// Facts this cycle embeds.
        total: u64,
    },
}

/// What [`Brain::restore`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RestoreReport {
    /// Facts in the archive.
    pub in_archive: u64,
    /// Facts put back.
    pub restored: u64,
    /// Facts already in the database (restoring twice changes nothing).
    pub already_present: u64,
    /// Restored facts that a newer fact with the same subject supersedes.
    pub superseded: u64,
}

/// A scope over capacity: (kind code, project, session, facts, capacity).
type OverCapacity = (i64, String, String, u64, u64);

/// Facts deleted per transaction. Readers are never blocked (WAL); fewer,
/// larger transactions mean fewer FTS5 flushes and merges (at a million
/// facts, 100,000 per transaction deleted 10% in 5.3 s, 20,000 in 7.2 s).
const DELETE_CHUNK: i64 = 100_000;

impl Brain {
    /// Runs one prune cycle as of now.
    pub fn prune(&mut self, policy: &PrunePolicy) -> Result<PruneReport> {
        self.prune_at(policy, OffsetDateTime::now_utc())
    }

    /// Runs one prune cycle as of `at`.
    pub fn prune_at(&mut self, policy: &PrunePolicy, at: OffsetDateTime) -> Result<PruneReport> {
        self.prune_until(policy, at, &|| false)
    }

    /// Runs one prune cycle as of `at`, checking `stop` between steps (each
    /// delete chunk, each archive batch) and returning early, consistent,
    /// with `interrupted` set once it says so.
    pub fn prune_until(
        &mut self,
        policy: &PrunePolicy,
        at: OffsetDateTime,
        stop: &dyn Fn() -> bool,
    ) -> Result<PruneReport> {
        self.prune_observed(policy, at, stop, &mut |_| {})
    }

    /// [`Brain::prune_until`], telling `progress` about each step as it ends
    /// (for progress displays; the report has the totals).
    pub fn prune_observed(
        &mut self,
        policy: &PrunePolicy,
        at: OffsetDateTime,
        stop: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(PruneStep),
    ) -> Result<PruneReport> {
        let now = millis(at);
        let mut report = PruneReport::default();
        self.finish_pending(&mut report)?;
        if report.recovered_batches > 0 {
            progress(PruneStep::Recovered {
                batches: report.recovered_batches,
                facts: report.recovered_facts,
            });
        }

        // Long-invalid facts: deleted, not archived.
        let cutoff = millis(at - policy.grace);
        loop {
            let deleted = self
                .conn
                .execute(
                    "DELETE FROM facts WHERE id IN (SELECT id FROM facts \
                     WHERE invalid_at IS NOT NULL AND invalid_at <= ?1 AND evict_batch IS NULL LIMIT ?2)",
                    params![cutoff, DELETE_CHUNK],
                )
                .map_err(|e| self.err(e))?;
            report.expired_deleted += deleted as u64;
            progress(PruneStep::Expired {
                deleted: report.expired_deleted,
            });
            if (deleted as i64) < DELETE_CHUNK {
                break;
            }
            if stop() {
                report.interrupted = true;
                return Ok(report);
            }
        }

        // Over-capacity scopes: lowest value first.
        let over = self.scopes_over_capacity(&policy.capacity)?;
        report.scopes_over_capacity = over.len() as u64;
        let half_life_ms = self.settings.recency_half_life_days.max(1e-9) * 86_400_000.0;
        let mut victims: Vec<i64> = Vec::new();
        for (kind, project, session, count, capacity) in over {
            let mut query = self
                .conn
                .prepare_cached(
                    "SELECT id, confidence, created_at, invalid_at FROM facts \
                     WHERE scope_kind = ?1 AND project = ?2 AND session = ?3 AND evict_batch IS NULL",
                )
                .map_err(|e| self.err(e))?;
            let mut rows: Vec<(f64, i64, i64)> = query
                .query_map(params![kind, project, session], |r| {
                    let id: i64 = r.get(0)?;
                    let confidence: f64 = r.get(1)?;
                    let created_at: i64 = r.get(2)?;
                    let invalid_at: Option<i64> = r.get(3)?;
                    let value = if invalid_at.is_some_and(|t| t <= now) {
                        0.0
                    } else {
                        let age = (now - created_at).max(0) as f64;
                        confidence * (0.5 + 0.5 * (-age / half_life_ms).exp2())
                    };
                    Ok((value, created_at, id))
                })
                .map_err(|e| self.err(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.err(e))?;
            rows.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
            let excess = count.saturating_sub(capacity) as usize;
            victims.extend(rows.iter().take(excess).map(|row| row.2));
        }
        let batches = victims.len().div_ceil(policy.batch_rows.max(1)) as u64;
        for (index, chunk) in victims.chunks(policy.batch_rows.max(1)).enumerate() {
            if stop() {
                report.interrupted = true;
                break;
            }
            let batch = self.mark_batch(chunk, &policy.archive_dir, now)?;
            let (file, rows) = self.write_batch(batch, now)?;
            self.finish_batch(batch, now)?;
            tracing::info!(batch, rows, file = %file.display(), "archived evicted facts");
            report.evicted += rows;
            report.archives.push(file);
            progress(PruneStep::Archived {
                batch: index as u64 + 1,
                batches,
                evicted: report.evicted,
            });
        }
        Ok(report)
    }

    fn scopes_over_capacity(&self, capacity: &Capacity) -> Result<Vec<OverCapacity>> {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        let mut query = self
            .conn
            .prepare(
                "SELECT scope_kind, project, session, count(*) AS n, \
                        CASE scope_kind WHEN 0 THEN ?1 WHEN 1 THEN ?2 ELSE ?3 END AS cap \
                 FROM facts WHERE evict_batch IS NULL \
                 GROUP BY scope_kind, project, session HAVING n > cap",
            )
            .map_err(|e| self.err(e))?;
        let rows = query
            .query_map(
                params![
                    clamp(capacity.global),
                    clamp(capacity.project),
                    clamp(capacity.session)
                ],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, i64>(3)? as u64,
                        r.get::<_, i64>(4)? as u64,
                    ))
                },
            )
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Step 1: journal the batch and mark its rows.
    fn mark_batch(&mut self, ids: &[i64], dir: &Path, now: i64) -> Result<i64> {
        let path = self.path.clone();
        let e = |err| BrainError::sqlite(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute(
            "INSERT INTO archives (file, rows, state, created_at) VALUES ('', 0, 'pending', ?1)",
            [now],
        )
        .map_err(e)?;
        let batch = tx.last_insert_rowid();
        let stamp = from_millis(now)
            .format(time::macros::format_description!(
                "[year][month][day]T[hour][minute][second]Z"
            ))
            .unwrap_or_else(|_| now.to_string());
        let file = dir.join(format!("brain-{stamp}-b{batch:08}.jsonl.zst"));
        let mut marked = 0usize;
        {
            let mut mark = tx
                .prepare_cached(
                    "UPDATE facts SET evict_batch = ?1 WHERE id = ?2 AND evict_batch IS NULL",
                )
                .map_err(e)?;
            for id in ids {
                marked += mark.execute(params![batch, id]).map_err(e)?;
            }
        }
        tx.execute(
            "UPDATE archives SET file = ?1, rows = ?2 WHERE batch = ?3",
            params![file.to_string_lossy(), marked as i64, batch],
        )
        .map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(batch)
    }

    /// Step 2: write the batch's marked rows to its file.
    fn write_batch(&self, batch: i64, now: i64) -> Result<(PathBuf, u64)> {
        let file = self.batch_file(batch)?;
        let facts = self.batch_rows(batch)?;
        archive::write(&file, &Header::new(batch, facts.len(), now), &facts)?;
        Ok((file, facts.len() as u64))
    }

    /// Step 3: delete the batch's rows and close its journal entry.
    fn finish_batch(&mut self, batch: i64, now: i64) -> Result<()> {
        let path = self.path.clone();
        let e = |err| BrainError::sqlite(&path, err);
        let tx = self.conn.transaction().map_err(e)?;
        tx.execute("DELETE FROM facts WHERE evict_batch = ?1", [batch])
            .map_err(e)?;
        tx.execute(
            "UPDATE archives SET state = 'done', done_at = ?1 WHERE batch = ?2",
            params![now, batch],
        )
        .map_err(e)?;
        tx.commit().map_err(e)
    }

    fn batch_file(&self, batch: i64) -> Result<PathBuf> {
        self.conn
            .query_row("SELECT file FROM archives WHERE batch = ?1", [batch], |r| {
                r.get::<_, String>(0)
            })
            .map(PathBuf::from)
            .map_err(|e| self.err(e))
    }

    fn batch_rows(&self, batch: i64) -> Result<Vec<ArchivedFact>> {
        let mut query = self
            .conn
            .prepare_cached(
                "SELECT uid, scope_kind, project, session, subject, content, tags, source, \
                        confidence, valid_from, invalid_at, created_at, superseded_at \
                 FROM facts WHERE evict_batch = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = query
            .query_map([batch], |r| {
                let kind = r.get::<_, i64>(1)?;
                let project: String = r.get(2)?;
                let session: String = r.get(3)?;
                let tags: String = r.get(6)?;
                Ok((
                    kind,
                    ArchivedFact {
                        uid: hex::encode(r.get::<_, Vec<u8>>(0)?),
                        scope: String::new(),
                        project: (!project.is_empty()).then_some(project),
                        session: (!session.is_empty()).then_some(session),
                        subject: r.get(4)?,
                        content: r.get(5)?,
                        tags: tags.split_whitespace().map(str::to_owned).collect(),
                        source: r.get(7)?,
                        confidence: r.get(8)?,
                        valid_from: r.get(9)?,
                        invalid_at: r.get(10)?,
                        created_at: r.get(11)?,
                        superseded_at: r.get(12)?,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        let mut facts = Vec::new();
        for row in rows {
            let (kind, mut fact) = row.map_err(|e| self.err(e))?;
            let kind = ScopeKind::from_code(kind).ok_or_else(|| BrainError::BadRow {
                path: self.path.clone(),
                reason: format!("scope kind {kind}"),
            })?;
            fact.scope = kind.as_str().to_owned();
            facts.push(fact);
        }
        Ok(facts)
    }

    /// Finishes the batches an interrupted cycle left pending.
    fn finish_pending(&mut self, report: &mut PruneReport) -> Result<()> {
        let pending: Vec<i64> = {
            let mut query = self
                .conn
                .prepare("SELECT batch FROM archives WHERE state = 'pending' ORDER BY batch")
                .map_err(|e| self.err(e))?;
            let rows = query
                .query_map([], |r| r.get(0))
                .map_err(|e| self.err(e))?
                .collect::<Result<_, _>>()
                .map_err(|e| self.err(e))?;
            rows
        };
        let now = millis(OffsetDateTime::now_utc());
        for batch in pending {
            let file = self.batch_file(batch)?;
            let marked = self.batch_rows(batch)?;
            let marked_uids: HashSet<&str> = marked.iter().map(|f| f.uid.as_str()).collect();
            let complete = match archive::read(&file) {
                Ok((header, facts)) => {
                    header.batch == batch
                        && facts.len() == marked.len()
                        && facts.iter().all(|f| marked_uids.contains(f.uid.as_str()))
                }
                Err(_) => false,
            };
            if !complete {
                if marked.is_empty() {
                    tracing::warn!(batch, file = %file.display(), "pending archive batch has no rows left and no complete file; closing it");
                } else {
                    archive::write(&file, &Header::new(batch, marked.len(), now), &marked)?;
                }
            }
            let tmp = archive::tmp_path(&file);
            if tmp.exists() {
                fs_err::remove_file(&tmp)?;
            }
            self.finish_batch(batch, now)?;
            tracing::info!(batch, rows = marked.len(), file = %file.display(), rewritten = !complete, "finished an interrupted archive batch");
            report.recovered_batches += 1;
            report.recovered_facts += marked.len() as u64;
            report.archives.push(file);
        }
        Ok(())
    }

    /// Puts the facts of an archive back. Facts already present (same uid)
    /// are left alone, so restoring twice is harmless; a restored fact that a
    /// newer fact with the same scope and subject replaced is marked invalid
    /// from the newer one's start. Nothing is written unless the whole
    /// archive reads back cleanly.
    pub fn restore(&mut self, archive_path: &Path) -> Result<RestoreReport> {
        let (_, facts) = archive::read(archive_path)?;
        let mut report = RestoreReport {
            in_archive: facts.len() as u64,
            ..RestoreReport::default()
        };
        let bad = |line: usize, reason: String| BrainError::Archive {
            path: archive_path.to_path_buf(),
            line,
            reason,
        };
        let mut checked = Vec::with_capacity(facts.len());
        for (index, fact) in facts.iter().enumerate() {
            let line = index + 2;
            let uid = hex::decode(&fact.uid)
                .ok()
                .filter(|uid| uid.len() == 16)
                .ok_or_else(|| bad(line, format!("uid `{}` is not 32 hex digits", fact.uid)))?;
            let scope = match (fact.scope.as_str(), &fact.project, &fact.session) {
                ("global", None, None) => Scope::Global,
                ("project", Some(p), None) => Scope::Project(p.clone()),
                ("session", Some(p), Some(s)) => Scope::Session {
                    project: p.clone(),
                    session: s.clone(),
                },
                (scope, _, _) => {
                    return Err(bad(
                        line,
                        format!("scope `{scope}` does not match its project/session fields"),
                    ))
                }
            };
            let as_new = NewFact {
                scope,
                content: fact.content.clone(),
                subject: fact.subject.clone(),
                confidence: fact.confidence,
                valid_from: fact.valid_from.map(from_millis),
                invalid_at: None,
                source: fact.source.clone(),
                tags: fact.tags.clone(),
            };
            as_new.validate().map_err(|e| bad(line, e.to_string()))?;
            checked.push((uid, as_new, fact));
        }
        let path = self.path.clone();
        let e = |err| BrainError::sqlite(&path, err);
        let now = millis(OffsetDateTime::now_utc());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT OR IGNORE INTO facts (uid, scope_kind, project, session, subject, \
                     content, tags, source, confidence, valid_from, invalid_at, created_at, superseded_at, tokens) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(e)?;
            let mut index = tx.prepare_cached(INDEX_FACT).map_err(e)?;
            let mut keys = ScopeKeys::default();
            let terms = &self.terms;
            let mut newer = tx
                .prepare_cached(
                    "SELECT min(coalesce(valid_from, created_at)) FROM facts \
                     WHERE scope_kind = ?1 AND project = ?2 AND session = ?3 AND subject = ?4 \
                     AND created_at > ?5 AND uid != ?6",
                )
                .map_err(e)?;
            let mut supersede = tx
                .prepare_cached(
                    "UPDATE facts SET invalid_at = max(?2, coalesce(valid_from, ?2)), superseded_at = ?3 \
                     WHERE uid = ?1 AND (invalid_at IS NULL OR invalid_at > ?2)",
                )
                .map_err(e)?;
            let counter = crate::tokens::TokenCounter::cl100k();
            for (uid, fact, archived) in &checked {
                let kind = fact.scope.kind();
                let (project, session) = fact.scope.columns();
                let inserted = insert
                    .execute(params![
                        uid.as_slice(),
                        kind.code(),
                        project,
                        session,
                        fact.subject,
                        fact.content,
                        fact.tags.join(" "),
                        fact.source,
                        fact.confidence,
                        archived.valid_from,
                        archived.invalid_at,
                        archived.created_at,
                        archived.superseded_at,
                        counter.summary_tokens(&fact.content),
                    ])
                    .map_err(e)?;
                if inserted == 0 {
                    report.already_present += 1;
                    continue;
                }
                let key = keys.get(kind, project, session);
                index
                    .execute(params![
                        tx.last_insert_rowid(),
                        terms.index_text(key, &fact.content),
                        terms.index_text(key, &fact.tags.join(" ")),
                    ])
                    .map_err(e)?;
                report.restored += 1;
                if let Some(subject) = &fact.subject {
                    let start: Option<i64> = newer
                        .query_row(
                            params![
                                kind.code(),
                                project,
                                session,
                                subject,
                                archived.created_at,
                                uid.as_slice()
                            ],
                            |r| r.get(0),
                        )
                        .map_err(e)?;
                    if let Some(start) = start {
                        report.superseded += supersede
                            .execute(params![uid.as_slice(), start, now])
                            .map_err(e)? as u64;
                    }
                }
            }
        }
        tx.commit().map_err(e)?;
        Ok(report)
    }
}
