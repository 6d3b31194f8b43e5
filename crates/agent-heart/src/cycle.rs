//! The prune cycle: policy from `[heart]`, mechanism from agent-brain. After
//! the prune and the index merge, facts without a sentence vector get one
//! (when the binary handed in an encoder).

use std::path::PathBuf;
use std::time::Instant;

use std::sync::Arc;

use agent_brain::{
    Brain, BrainError, BrainSettings, Capacity, Embedded, Embedder, IndexOptimized, PrunePolicy,
    PruneReport, PruneStep,
};
use autonomic_core::audit::{Actor, AuditError, AuditEvent, AuditLog, Kind};
use autonomic_core::config::Config;

/// Why a cycle failed.
#[derive(Debug, thiserror::Error)]
pub enum HeartError {
    /// The store refused or failed.
    #[error(transparent)]
    Brain(#[from] BrainError),
    /// The audit chain could not be extended.
    #[error("could not record the cycle in the audit log: {0}")]
    Audit(#[from] AuditError),
}

impl autonomic_core::Hint for HeartError {
    fn hint(&self) -> Option<String> {
        match self {
            HeartError::Brain(error) => error.hint(),
            HeartError::Audit(error) => error.hint(),
        }
    }
}

/// One configured prune cycle.
#[derive(Debug, Clone)]
pub struct PruneCycle {
    /// The brain database.
    pub db_path: PathBuf,
    /// Ranking settings (recency half-life decides the value of a fact).
    pub settings: BrainSettings,
    /// What the cycle does.
    pub policy: PrunePolicy,
    /// The sentence encoder that gives new facts their vectors after the
    /// prune (the seed's "refresh caches"); `None`: no vectors are made.
    /// The binary loads it (agent-spine's `recall::embedder`): this crate
    /// never loads a model.
    pub embedder: Option<Arc<dyn Embedder>>,
}

/// A finished cycle.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PruneOutcome {
    /// What the store did.
    pub report: PruneReport,
    /// The full-text index merge that followed.
    pub index: IndexOptimized,
    /// Facts given sentence vectors after it.
    pub embedded: Embedded,
    /// Wall time of the cycle, milliseconds.
    pub millis: u64,
}

impl PruneCycle {
    /// The cycle `[brain]` and `[heart]` describe (paths already expanded).
    pub fn from_config(config: &Config) -> PruneCycle {
        let heart = &config.heart;
        let capacity = |n: i64| u64::try_from(n).unwrap_or(1).max(1);
        PruneCycle {
            db_path: config.brain.db_path.clone(),
            settings: BrainSettings::from_config(&config.brain),
            policy: PrunePolicy {
                grace: time::Duration::hours(heart.expired_grace_hours),
                capacity: Capacity {
                    global: capacity(heart.global_capacity),
                    project: capacity(heart.project_capacity),
                    session: capacity(heart.session_capacity),
                },
                archive_dir: heart.archive_dir.clone(),
                batch_rows: usize::try_from(heart.archive_batch_facts)
                    .unwrap_or(1)
                    .max(1),
            },
            embedder: None,
        }
    }

    /// Runs the cycle once and records it (or its failure) in `audit`.
    pub fn run(
        &self,
        audit: &AuditLog,
        stop: &dyn Fn() -> bool,
    ) -> Result<PruneOutcome, HeartError> {
        self.run_observed(audit, stop, &mut |_| {})
    }

    /// [`PruneCycle::run`], telling `progress` about each step as it ends.
    pub fn run_observed(
        &self,
        audit: &AuditLog,
        stop: &dyn Fn() -> bool,
        progress: &mut dyn FnMut(PruneStep),
    ) -> Result<PruneOutcome, HeartError> {
        let started = Instant::now();
        let result = Brain::open(&self.db_path, self.settings).and_then(|mut brain| {
            let report = brain.prune_observed(
                &self.policy,
                time::OffsetDateTime::now_utc(),
                stop,
                progress,
            )?;
            // Then merge the full-text index's segments (bulk writes and
            // deletes leave many; every query term is looked up in each).
            let index = if report.interrupted {
                IndexOptimized::default()
            } else {
                brain.optimize_index(stop)?
            };
            if index.steps > 0 {
                progress(PruneStep::IndexMerged { steps: index.steps });
            }
            let embedded = match &self.embedder {
                Some(embedder) if !report.interrupted && !stop() => {
                    brain.embed_pending(embedder.as_ref(), None, stop, &mut |done, total| {
                        progress(PruneStep::Embedded { done, total })
                    })?
                }
                _ => Embedded::default(),
            };
            Ok((report, index, embedded))
        });
        let millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok((report, index, embedded)) => {
                tracing::info!(
                    db = %self.db_path.display(),
                    expired_deleted = report.expired_deleted,
                    evicted = report.evicted,
                    archives = report.archives.len(),
                    recovered_batches = report.recovered_batches,
                    interrupted = report.interrupted,
                    index_merge_steps = index.steps,
                    embedded = embedded.embedded,
                    millis,
                    "prune cycle done"
                );
                audit.append(AuditEvent::new(
                    Kind::HeartPrune,
                    &Actor::Heart,
                    None,
                    serde_json::json!({
                        "db": self.db_path,
                        "expired_deleted": report.expired_deleted,
                        "scopes_over_capacity": report.scopes_over_capacity,
                        "evicted": report.evicted,
                        "archives": report.archives,
                        "recovered_batches": report.recovered_batches,
                        "recovered_facts": report.recovered_facts,
                        "interrupted": report.interrupted,
                        "index_merge_steps": index.steps,
                        "index_merge_millis": index.millis,
                        "embedded": embedded.embedded,
                        "vectors_pending": embedded.remaining,
                        "embed_millis": embedded.millis,
                        "grace_hours": self.policy.grace.whole_hours(),
                        "capacity": {
                            "global": self.policy.capacity.global,
                            "project": self.policy.capacity.project,
                            "session": self.policy.capacity.session,
                        },
                        "millis": millis,
                    }),
                ))?;
                Ok(PruneOutcome {
                    report,
                    index,
                    embedded,
                    millis,
                })
            }
            Err(error) => {
                tracing::error!(db = %self.db_path.display(), %error, "prune cycle failed");
                audit.append(AuditEvent::new(
                    Kind::HeartPruneFailed,
                    &Actor::Heart,
                    None,
                    serde_json::json!({
                        "db": self.db_path,
                        "error": error.to_string(),
                        "millis": millis,
                    }),
                ))?;
                Err(error.into())
            }
        }
    }
}
