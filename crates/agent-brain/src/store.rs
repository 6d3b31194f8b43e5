//! Opening the database, writing facts, and counting them.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OpenFlags, TransactionBehavior};
use time::OffsetDateTime;

use crate::error::{BrainError, Result};
use crate::fact::{millis, NewFact, Scope, ScopeKind};
use crate::schema::{latest_version, APPLICATION_ID, MIGRATIONS, REINDEX_AT, TOKENS_AT};
use crate::terms::{scope_key, Terms};
use crate::tokens::TokenCounter;

/// SQLite's page cache, KiB.
const CACHE_KIB: i64 = 64 * 1024;

/// How long a writer waits for another process's write to finish.
const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What ranking and filtering need from the configuration.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BrainSettings {
    /// Facts below this confidence are never routed (`[brain] confidence_threshold`).
    pub confidence_threshold: f64,
    /// Age in days at which recency weight has fallen halfway (`[brain] recency_half_life_days`).
    pub recency_half_life_days: f64,
    /// Cosine similarity below which a fact is not a semantic match
    /// (`[brain] min_similarity`).
    pub min_similarity: f64,
}

impl Default for BrainSettings {
    fn default() -> Self {
        BrainSettings {
            confidence_threshold: 0.3,
            recency_half_life_days: 30.0,
            min_similarity: 0.25,
        }
    }
}

impl BrainSettings {
    /// The settings of a `[brain]` section.
    pub fn from_config(config: &autonomic_core::config::BrainConfig) -> BrainSettings {
        BrainSettings {
            confidence_threshold: config.confidence_threshold,
            recency_half_life_days: config.recency_half_life_days as f64,
            min_similarity: config.min_similarity,
        }
    }
}

/// The fact store. Holds one SQLite connection; open one `Brain` per thread.
pub struct Brain {
    pub(crate) conn: Connection,
    pub(crate) path: PathBuf,
    pub(crate) settings: BrainSettings,
    pub(crate) terms: Terms,
    /// The sentence model route_task compares meanings with, if any.
    pub(crate) embedder: Option<std::sync::Arc<dyn crate::vectors::Embedder>>,
}

impl std::fmt::Debug for Brain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Brain")
            .field("path", &self.path)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

/// What [`Brain::remember`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Remembered {
    /// Facts stored.
    pub stored: usize,
    /// Earlier facts with the same scope and subject that were invalidated.
    pub superseded: usize,
}

/// What [`Brain::optimize_index`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct IndexOptimized {
    /// Merge steps that did work (0: the index was already merged).
    pub steps: u64,
    /// Wall time, milliseconds.
    pub millis: u64,
}

/// Pages of index each merge step writes (each step is one transaction).
const OPTIMIZE_STEP_PAGES: i64 = 2_000;

/// Counts per scope kind (never per project or session).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
pub struct KindStats {
    /// Rows stored.
    pub stored: u64,
    /// Rows a task could be shown now: valid now and confident enough.
    pub usable: u64,
    /// Rows whose validity has not started.
    pub not_yet_valid: u64,
    /// Rows whose `invalid_at` has passed (superseded, forgotten or expired).
    pub invalidated: u64,
    /// Rows below the confidence threshold.
    pub below_threshold: u64,
    /// Distinct scopes of this kind (projects, or sessions).
    pub scopes: u64,
}

/// [`Brain::stats`].
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stats {
    /// The database file.
    pub path: PathBuf,
    /// Global facts.
    pub global: KindStats,
    /// Project facts.
    pub project: KindStats,
    /// Session facts.
    pub session: KindStats,
    /// Archives written by prune cycles.
    pub archives: u64,
    /// Prune batches marked but not yet finished (a cycle was interrupted).
    pub pending_archives: u64,
    /// Size of the database (pages in use × page size), bytes.
    pub database_bytes: u64,
    /// The threshold used for `usable` and `below_threshold`.
    pub confidence_threshold: f64,
    /// Sentence vectors: how many facts have one, how many wait.
    pub vectors: crate::vectors::VectorStats,
}

impl Brain {
    /// Opens (creating it and its directory if missing) the database at `path`
    /// for reading and writing, and brings its schema up to date.
    ///
    /// A file that is not an SQLite database, or is one without Autonomic's
    /// application id, is refused and left untouched.
    pub fn open(path: impl AsRef<Path>, settings: BrainSettings) -> Result<Brain> {
        let path = path.as_ref().to_path_buf();
        check_header(&path)?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs_err::create_dir_all(parent)?;
        }
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| BrainError::sqlite(&path, e))?;
        let mut brain = Brain::with_connection(conn, path, settings)?;
        brain.migrate()?;
        Ok(brain)
    }

    /// A new, empty database in memory (nothing touches the disk).
    pub fn open_in_memory(settings: BrainSettings) -> Result<Brain> {
        let path = PathBuf::from(":memory:");
        let conn = Connection::open_in_memory().map_err(|e| BrainError::sqlite(&path, e))?;
        let mut brain = Brain::with_connection(conn, path, settings)?;
        brain.migrate()?;
        Ok(brain)
    }

    /// Opens an existing database for reading only (`route_task`, `stats`).
    pub fn open_read_only(path: impl AsRef<Path>, settings: BrainSettings) -> Result<Brain> {
        let path = path.as_ref().to_path_buf();
        if !path.exists() {
            return Err(BrainError::Io(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                format!(
                    "no brain database at {} (remember a fact first)",
                    path.display()
                ),
            )));
        }
        check_header(&path)?;
        let conn = Connection::open_with_flags(
            &path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| BrainError::sqlite(&path, e))?;
        let brain = Brain::with_connection(conn, path, settings)?;
        let version = brain.check_identity()?;
        if version != latest_version() {
            return Err(BrainError::Foreign {
                path: brain.path.clone(),
                reason: format!(
                    "schema version {version}, expected {}; open it read-write once to migrate it",
                    latest_version()
                ),
            });
        }
        Ok(brain)
    }

    fn with_connection(conn: Connection, path: PathBuf, settings: BrainSettings) -> Result<Brain> {
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| BrainError::sqlite(&path, e))?;
        // A 64 MiB page cache and reads through mmap: at a million facts the
        // indexes are a few hundred MiB and SQLite's 2 MiB default cache
        // turns every query into page-cache misses. Checkpoints every 64 MiB
        // of WAL rather than 4 MiB: fewer, larger checkpoints under bulk
        // writes.
        conn.execute_batch(&format!(
            "PRAGMA cache_size = -{CACHE_KIB}; PRAGMA mmap_size = 268435456; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 16384;"
        ))
        .map_err(|e| BrainError::sqlite(&path, e))?;
        Ok(Brain {
            conn,
            path,
            settings,
            terms: Terms::new(),
            embedder: None,
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The settings ranking and filtering use.
    pub fn settings(&self) -> BrainSettings {
        self.settings
    }

    pub(crate) fn err(&self, e: rusqlite::Error) -> BrainError {
        BrainError::sqlite(&self.path, e)
    }

    /// Checks the application id; returns the schema version.
    fn check_identity(&self) -> Result<i64> {
        let app_id: i64 = self
            .conn
            .query_row("PRAGMA application_id", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if app_id == 0 {
            let tables: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
                .map_err(|e| self.err(e))?;
            if tables > 0 || version != 0 {
                return Err(BrainError::Foreign {
                    path: self.path.clone(),
                    reason: format!(
                        "it has {tables} schema objects and no Autonomic application id"
                    ),
                });
            }
        } else if app_id != APPLICATION_ID {
            return Err(BrainError::Foreign {
                path: self.path.clone(),
                reason: format!("application id {app_id:#x}"),
            });
        }
        if version > latest_version() {
            return Err(BrainError::TooNew {
                path: self.path.clone(),
                found: version,
                known: latest_version(),
            });
        }
        Ok(version)
    }

    fn migrate(&mut self) -> Result<()> {
        let version = self.check_identity()?;
        // WAL lets route_task read while a prune cycle or a writer runs.
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if !mode.eq_ignore_ascii_case("wal") && self.path != Path::new(":memory:") {
            tracing::warn!(path = %self.path.display(), %mode, "could not switch the brain database to WAL");
        }
        self.conn
            .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
            .map_err(|e| self.err(e))?;
        if version == latest_version() {
            return Ok(());
        }
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| BrainError::sqlite(&path, e))?;
        // Re-read under the write lock: another process may have migrated.
        let current: i64 = tx
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| BrainError::sqlite(&path, e))?;
        for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
            tracing::info!(path = %path.display(), to = index + 1, "migrating the brain database");
            tx.execute_batch(sql)
                .map_err(|e| BrainError::sqlite(&path, e))?;
        }
        if current < TOKENS_AT {
            let counted = count_tokens(&tx).map_err(|e| BrainError::sqlite(&path, e))?;
            if counted > 0 {
                tracing::info!(path = %path.display(), facts = counted, "counted the facts' summary tokens");
            }
        }
        if current < REINDEX_AT {
            let indexed = reindex(&tx, &self.terms).map_err(|e| BrainError::sqlite(&path, e))?;
            if indexed > 0 {
                tracing::info!(path = %path.display(), facts = indexed, "re-indexed the facts for the new full-text index");
            }
        }
        tx.execute_batch(&format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
            latest_version()
        ))
        .map_err(|e| BrainError::sqlite(&path, e))?;
        tx.commit().map_err(|e| BrainError::sqlite(&path, e))
    }

    /// Stores `fact`. A fact with a subject invalidates the facts of the same
    /// scope and subject that are still valid when it starts to hold.
    pub fn remember(&mut self, fact: &NewFact) -> Result<Remembered> {
        self.remember_many(std::slice::from_ref(fact))
    }

    /// Stores `fact` as if recorded at `recorded_at` (imports and replays:
    /// recency ranking uses the recorded time).
    pub fn remember_as_of(
        &mut self,
        fact: &NewFact,
        recorded_at: OffsetDateTime,
    ) -> Result<Remembered> {
        self.remember_many_as_of(std::slice::from_ref(fact), recorded_at)
    }

    /// Stores every fact in one transaction: all of them or, on the first
    /// invalid one, none.
    pub fn remember_many(&mut self, facts: &[NewFact]) -> Result<Remembered> {
        self.remember_many_as_of(facts, OffsetDateTime::now_utc())
    }

    /// [`Brain::remember_many`] with an explicit recorded time.
    pub fn remember_many_as_of(
        &mut self,
        facts: &[NewFact],
        recorded_at: OffsetDateTime,
    ) -> Result<Remembered> {
        for fact in facts {
            fact.validate()?;
        }
        let now = millis(recorded_at);
        // Supersession is worked out before anything is written: within the
        // batch in memory (a later fact with the same scope and subject
        // invalidates the earlier ones), against stored facts with one
        // UPDATE per subject, run before the inserts. Interleaving UPDATEs
        // and inserts would give every UPDATE a savepoint at which FTS5
        // flushes a one-row segment (bulk remember ran 2.5× slower).
        let mut ends: Vec<(Option<i64>, Option<i64>)> = facts
            .iter()
            .map(|f| (f.invalid_at.map(millis), None))
            .collect();
        let mut earliest: HashMap<(ScopeKind, &str, &str, &str), i64> = HashMap::new();
        let mut group: HashMap<(ScopeKind, &str, &str, &str), Vec<usize>> = HashMap::new();
        for (j, fact) in facts.iter().enumerate() {
            let Some(subject) = fact.subject.as_deref() else {
                continue;
            };
            let (project, session) = fact.scope.columns();
            let key = (fact.scope.kind(), project, session, subject);
            let from = fact.valid_from.map_or(now, millis);
            let first = earliest.entry(key).or_insert(from);
            *first = (*first).min(from);
            let earlier = group.entry(key).or_default();
            for &i in earlier.iter() {
                let (end, superseded) = &mut ends[i];
                if end.is_none_or(|t| t > from) {
                    let start = facts[i].valid_from.map_or(from, millis);
                    *end = Some(from.max(start));
                    *superseded = Some(now);
                }
            }
            earlier.push(j);
        }
        std::thread::scope(|scope| self.insert_facts(scope, facts, &earliest, &ends, now))
    }

    /// The writing half of [`Brain::remember_many_as_of`]: supersession,
    /// then the inserts, in one transaction. The facts' token counts come
    /// from a thread of `scope` while rows are written.
    fn insert_facts<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, '_>,
        facts: &'s [NewFact],
        earliest: &HashMap<(ScopeKind, &str, &str, &str), i64>,
        ends: &[(Option<i64>, Option<i64>)],
        now: i64,
    ) -> Result<Remembered> {
        let path = self.path.clone();
        let e = |err| BrainError::sqlite(&path, err);
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(e)?;
        let mut done = Remembered::default();
        {
            let mut supersede = tx.prepare_cached(SUPERSEDE).map_err(e)?;
            for ((kind, project, session, subject), from) in earliest {
                done.superseded += supersede
                    .execute(params![kind.code(), project, session, subject, from, now])
                    .map_err(e)?;
            }
            done.superseded += ends.iter().filter(|(_, s)| s.is_some()).count();
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO facts (uid, scope_kind, project, session, subject, \
                     content, tags, source, confidence, valid_from, invalid_at, created_at, \
                     superseded_at, tokens) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                )
                .map_err(e)?;
            let mut index = tx.prepare_cached(INDEX_FACT).map_err(e)?;
            let mut keys = ScopeKeys::default();
            let counts = SummaryTokens::start(scope, facts);
            for (fact, (invalid_at, superseded_at)) in facts.iter().zip(ends) {
                let kind = fact.scope.kind();
                let (project, session) = fact.scope.columns();
                let tags = fact.tags.join(" ");
                insert
                    .execute(params![
                        new_uid(now)?.as_slice(),
                        kind.code(),
                        project,
                        session,
                        fact.subject,
                        fact.content,
                        tags,
                        fact.source,
                        fact.confidence,
                        fact.valid_from.map(millis),
                        invalid_at,
                        now,
                        superseded_at,
                        counts.next(fact),
                    ])
                    .map_err(e)?;
                let key = keys.get(kind, project, session);
                index
                    .execute(params![
                        tx.last_insert_rowid(),
                        self.terms.index_text(key, &fact.content),
                        self.terms.index_text(key, &tags),
                    ])
                    .map_err(e)?;
                done.stored += 1;
            }
        }
        tx.commit().map_err(e)?;
        Ok(done)
    }

    /// Invalidates, from now on, the facts of `scope` about `subject` that
    /// are still valid. Returns how many there were.
    pub fn forget(&mut self, scope: &Scope, subject: &str) -> Result<usize> {
        scope.validate()?;
        let now = millis(OffsetDateTime::now_utc());
        let (project, session) = scope.columns();
        let changed = self
            .conn
            .execute(
                SUPERSEDE,
                params![scope.kind().code(), project, session, subject, now, now],
            )
            .map_err(|e| self.err(e))?;
        Ok(changed)
    }

    /// Counts per scope kind, at the current time.
    pub fn stats(&self) -> Result<Stats> {
        let now = millis(OffsetDateTime::now_utc());
        let threshold = self.settings.confidence_threshold;
        let mut stats = Stats {
            path: self.path.clone(),
            global: KindStats::default(),
            project: KindStats::default(),
            session: KindStats::default(),
            archives: 0,
            pending_archives: 0,
            database_bytes: 0,
            confidence_threshold: threshold,
            vectors: self.vector_stats()?,
        };
        let mut query = self
            .conn
            .prepare(
                "SELECT scope_kind, count(*), \
                 sum(confidence >= ?2 AND (valid_from IS NULL OR valid_from <= ?1) AND (invalid_at IS NULL OR invalid_at > ?1)), \
                 sum(valid_from IS NOT NULL AND valid_from > ?1), \
                 sum(invalid_at IS NOT NULL AND invalid_at <= ?1), \
                 sum(confidence < ?2) \
                 FROM facts GROUP BY scope_kind",
            )
            .map_err(|e| self.err(e))?;
        let rows = query
            .query_map(params![now, threshold], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    KindStats {
                        stored: r.get::<_, i64>(1)? as u64,
                        usable: r.get::<_, Option<i64>>(2)?.unwrap_or(0) as u64,
                        not_yet_valid: r.get::<_, Option<i64>>(3)?.unwrap_or(0) as u64,
                        invalidated: r.get::<_, Option<i64>>(4)?.unwrap_or(0) as u64,
                        below_threshold: r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u64,
                        scopes: 0,
                    },
                ))
            })
            .map_err(|e| self.err(e))?;
        for row in rows {
            let (code, counts) = row.map_err(|e| self.err(e))?;
            match ScopeKind::from_code(code) {
                Some(ScopeKind::Global) => {
                    stats.global = KindStats {
                        scopes: 1,
                        ..counts
                    }
                }
                Some(ScopeKind::Project) => stats.project = counts,
                Some(ScopeKind::Session) => stats.session = counts,
                None => {
                    return Err(BrainError::BadRow {
                        path: self.path.clone(),
                        reason: format!("scope kind {code}"),
                    })
                }
            }
        }
        let distinct = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(|e| self.err(e))
        };
        stats.project.scopes = distinct(
            "SELECT count(*) FROM (SELECT DISTINCT project FROM facts WHERE scope_kind = 1)",
        )?;
        stats.session.scopes = distinct(
            "SELECT count(*) FROM (SELECT DISTINCT project, session FROM facts WHERE scope_kind = 2)",
        )?;
        stats.archives = distinct("SELECT count(*) FROM archives WHERE state = 'done'")?;
        stats.pending_archives = distinct("SELECT count(*) FROM archives WHERE state = 'pending'")?;
        stats.database_bytes = distinct(
            "SELECT (SELECT page_count FROM pragma_page_count) * (SELECT page_size FROM pragma_page_size)",
        )?;
        Ok(stats)
    }

    /// Merges the full-text index's segments, a bounded step at a time,
    /// until it is one segment or `stop` says so. Bulk writes leave many
    /// small segments and every query term is looked up in each of them;
    /// agent-heart runs this after each prune cycle.
    pub fn optimize_index(&mut self, stop: &dyn Fn() -> bool) -> Result<IndexOptimized> {
        let started = std::time::Instant::now();
        let mut steps = 0u64;
        loop {
            if stop() {
                break;
            }
            let before = self.conn.total_changes();
            // A negative page count merges regardless of `usermerge`:
            // repeated, it ends with one segment (an incremental 'optimize').
            self.conn
                .execute(
                    "INSERT INTO facts_fts (facts_fts, rank) VALUES ('merge', ?1)",
                    [-OPTIMIZE_STEP_PAGES],
                )
                .map_err(|e| self.err(e))?;
            // SQLite's documented test: fewer than 2 changes means no work.
            if self.conn.total_changes() - before < 2 {
                break;
            }
            steps += 1;
        }
        Ok(IndexOptimized {
            steps,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        })
    }

    /// `PRAGMA quick_check` and FTS5's own check that the full-text index
    /// matches the facts: `Ok(())` or the first problems found.
    pub fn check_integrity(&self) -> Result<()> {
        self.quick_check()?;
        self.conn
            .execute(
                "INSERT INTO facts_fts (facts_fts) VALUES ('integrity-check')",
                [],
            )
            .map_err(|e| BrainError::Corrupt {
                path: self.path.clone(),
                detail: format!("the full-text index does not match the facts: {e}"),
            })?;
        Ok(())
    }

    fn quick_check(&self) -> Result<()> {
        let mut query = self
            .conn
            .prepare("PRAGMA quick_check(5)")
            .map_err(|e| self.err(e))?;
        let problems: Vec<String> = query
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.err(e))?;
        if problems.len() == 1 && problems[0] == "ok" {
            Ok(())
        } else {
            Err(BrainError::Corrupt {
                path: self.path.clone(),
                detail: problems.join("; "),
            })
        }
    }
}

/// Invalidates from `?5` the facts of a scope (`?1..?3`) about a subject
/// (`?4`) still valid then, recording `?6` as when that was decided. An
/// interval that would end before it starts ends where it starts (empty).
const SUPERSEDE: &str =
    "UPDATE facts SET invalid_at = max(?5, coalesce(valid_from, ?5)), superseded_at = ?6 \
     WHERE scope_kind = ?1 AND project = ?2 AND session = ?3 AND subject = ?4 \
     AND (invalid_at IS NULL OR invalid_at > ?5)";

/// Adds a just-inserted fact (`?1` = its rowid) to the full-text index:
/// `?2` the scoped terms of its content, `?3` of its tags.
pub(crate) const INDEX_FACT: &str =
    "INSERT INTO facts_fts (rowid, terms, tag_terms) VALUES (?1, ?2, ?3)";

/// The summary token counts of a batch of facts, in order. A large batch is
/// counted on a second thread while the first writes rows (counting is
/// pure CPU, a quarter of a bulk insert's time when done in line).
enum SummaryTokens {
    /// Counted here, on demand.
    InLine(TokenCounter),
    /// Counted ahead by a thread.
    Ahead(std::sync::mpsc::Receiver<i64>, TokenCounter),
}

impl SummaryTokens {
    /// Batches from this size get the counting thread.
    const THREAD_FROM: usize = 256;

    fn start<'s>(scope: &'s std::thread::Scope<'s, '_>, facts: &'s [NewFact]) -> SummaryTokens {
        let counter = TokenCounter::cl100k();
        if facts.len() < Self::THREAD_FROM {
            return SummaryTokens::InLine(counter);
        }
        let (send, receive) = std::sync::mpsc::sync_channel(4096);
        scope.spawn(move || {
            for fact in facts {
                // The receiver is gone when the writer failed: stop.
                if send.send(counter.summary_tokens(&fact.content)).is_err() {
                    break;
                }
            }
        });
        SummaryTokens::Ahead(receive, counter)
    }

    /// The count of `fact`, the next of the batch.
    fn next(&self, fact: &NewFact) -> i64 {
        match self {
            SummaryTokens::InLine(counter) => counter.summary_tokens(&fact.content),
            SummaryTokens::Ahead(receive, counter) => receive
                .recv()
                .unwrap_or_else(|_| counter.summary_tokens(&fact.content)),
        }
    }
}

/// Stores every uncounted fact's summary size (migration to format 4).
fn count_tokens(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<usize> {
    let counter = TokenCounter::cl100k();
    let mut read = tx.prepare("SELECT id, content FROM facts WHERE tokens IS NULL")?;
    let mut write = tx.prepare("UPDATE facts SET tokens = ?2 WHERE id = ?1")?;
    let mut rows = read.query([])?;
    let mut done = 0;
    while let Some(row) = rows.next()? {
        let (id, content): (i64, String) = (row.get(0)?, row.get(1)?);
        write.execute(params![id, counter.summary_tokens(&content)])?;
        done += 1;
    }
    Ok(done)
}

/// Adds every fact to an empty full-text index (a migration that replaced
/// the index). Returns how many were indexed.
fn reindex(tx: &rusqlite::Transaction<'_>, terms: &Terms) -> rusqlite::Result<usize> {
    let mut read = tx
        .prepare("SELECT id, scope_kind, project, session, content, tags FROM facts ORDER BY id")?;
    let mut index = tx.prepare(INDEX_FACT)?;
    let mut keys = ScopeKeys::default();
    let mut rows = read.query([])?;
    let mut done = 0;
    while let Some(row) = rows.next()? {
        let (id, kind, project, session, content, tags): (
            i64,
            i64,
            String,
            String,
            String,
            String,
        ) = (
            row.get(0)?,
            row.get(1)?,
            row.get(2)?,
            row.get(3)?,
            row.get(4)?,
            row.get(5)?,
        );
        let Some(kind) = ScopeKind::from_code(kind) else {
            continue;
        };
        let key = keys.get(kind, &project, &session);
        index.execute(params![
            id,
            terms.index_text(key, &content),
            terms.index_text(key, &tags)
        ])?;
        done += 1;
    }
    Ok(done)
}

/// The last scope's index key, so a batch of one scope hashes it once.
#[derive(Default)]
pub(crate) struct ScopeKeys {
    last: Option<(ScopeKind, String, String, u64)>,
}

impl ScopeKeys {
    pub(crate) fn get(&mut self, kind: ScopeKind, project: &str, session: &str) -> u64 {
        match &self.last {
            Some((k, p, s, key)) if *k == kind && p == project && s == session => *key,
            _ => {
                let key = scope_key(kind, project, session);
                self.last = Some((kind, project.to_owned(), session.to_owned(), key));
                key
            }
        }
    }
}

/// Refuses a non-empty file that does not start with SQLite's header.
fn check_header(path: &Path) -> Result<()> {
    const HEADER: &[u8; 16] = b"SQLite format 3\0";
    let mut file = match fs_err::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let mut head = Vec::with_capacity(16);
    file.by_ref().take(16).read_to_end(&mut head)?;
    if head.is_empty() || head.as_slice() == HEADER {
        Ok(())
    } else {
        Err(BrainError::NotADatabase {
            path: path.to_path_buf(),
        })
    }
}

/// 128 bits naming a fact across the database and its archives: the
/// creation time in milliseconds (48 bits, big-endian, so new uids land at
/// the end of the unique index instead of all over it) then 80 random bits.
pub(crate) fn new_uid(now_ms: i64) -> Result<[u8; 16]> {
    let mut uid = [0u8; 16];
    uid[..6].copy_from_slice(&now_ms.to_be_bytes()[2..]);
    getrandom::getrandom(&mut uid[6..]).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(uid)
}
