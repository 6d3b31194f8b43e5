//! The database layout and its migrations.
//!
//! `PRAGMA application_id` marks the file as ours, `PRAGMA user_version` is
//! the number of migrations applied. A file with tables but without our id is
//! refused, never adopted; a file from a newer build is refused, never
//! downgraded.

/// `ABR1`: "Autonomic BRain" (the format is `user_version`).
pub(crate) const APPLICATION_ID: i64 = 0x4142_5231;

/// Each entry upgrades the schema by one version; index 0 makes version 1.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: facts, their full-text index, and the eviction journal.
    //
    // `facts_fts` is contentless: it holds scoped index terms that the store
    // computes (`terms.rs`), not the facts' text, and is partitioned by
    // scope through them. (v1 had `detail = column`; v2 replaces the table,
    // see below.) There is no insert
    // trigger: a trigger makes every INSERT a multi-write statement with its
    // own savepoint, and FTS5 flushes its pending terms to a new segment at
    // every savepoint, so bulk inserts would build one segment per row. The
    // store inserts the index row itself, in the same transaction
    // (`Brain::index_fact`), and `check_integrity` verifies the index.
    r#"
CREATE TABLE facts (
    id            INTEGER PRIMARY KEY,
    uid           BLOB    NOT NULL UNIQUE,
    scope_kind    INTEGER NOT NULL CHECK (scope_kind IN (0, 1, 2)),
    project       TEXT    NOT NULL,
    session       TEXT    NOT NULL,
    subject       TEXT,
    content       TEXT    NOT NULL CHECK (length(content) > 0),
    tags          TEXT    NOT NULL,
    source        TEXT    NOT NULL,
    confidence    REAL    NOT NULL CHECK (confidence >= 0.0 AND confidence <= 1.0),
    valid_from    INTEGER,
    invalid_at    INTEGER,
    created_at    INTEGER NOT NULL,
    superseded_at INTEGER,
    evict_batch   INTEGER
);
CREATE INDEX facts_scope   ON facts (scope_kind, project, session);
CREATE INDEX facts_subject ON facts (scope_kind, project, session, subject) WHERE subject IS NOT NULL;
CREATE INDEX facts_invalid ON facts (invalid_at) WHERE invalid_at IS NOT NULL;
CREATE INDEX facts_batch   ON facts (evict_batch) WHERE evict_batch IS NOT NULL;

CREATE VIRTUAL TABLE facts_fts USING fts5(
    terms, tag_terms,
    content = '', contentless_delete = 1,
    detail = column, tokenize = 'ascii'
);
-- 16 MiB of pending terms before a flush to a new segment (default 1 MiB):
-- scoped terms are many and distinct, and small segments mean merge work.
-- automerge 8 (default 4) halves the merging done by inserts and deletes
-- (measured: bulk remember +10%, a prune of 10% expired facts 2x faster)
-- without slowing route_task; 16 slowed it. deletemerge 50 (default 10%):
-- a prune deleting 10% of a merged index would otherwise rewrite the whole
-- segment inside the prune (measured at 1M: 9.6 s instead of 4.6 s); the
-- tombstones are purged by the merge agent-heart runs after each prune.
INSERT INTO facts_fts (facts_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO facts_fts (facts_fts, rank) VALUES ('automerge', 8);
INSERT INTO facts_fts (facts_fts, rank) VALUES ('deletemerge', 50);
CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN
    DELETE FROM facts_fts WHERE rowid = old.id;
END;

CREATE TABLE archives (
    batch      INTEGER PRIMARY KEY,
    file       TEXT    NOT NULL,
    rows       INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN ('pending', 'done')),
    created_at INTEGER NOT NULL,
    done_at    INTEGER
);
"#,
    // v2: BM25 that works. With `detail = column` SQLite's bm25() is 0 for
    // every row of this contentless table (measured with the bundled
    // SQLite: it has no term instances to count), so `ORDER BY rank LIMIT`
    // kept the earliest-stored matches. `detail = full` keeps one position
    // per term (each fact's stems are distinct, so one small varint each).
    // The store re-indexes every fact after this migration, in the same
    // transaction (`Brain::migrate`). `facts_vocab` exposes the index's
    // document counts per scoped term, which weigh query words by rarity.
    r#"
DROP TRIGGER facts_fts_delete;
DROP TABLE facts_fts;
CREATE VIRTUAL TABLE facts_fts USING fts5(
    terms, tag_terms,
    content = '', contentless_delete = 1,
    detail = full, tokenize = 'ascii'
);
INSERT INTO facts_fts (facts_fts, rank) VALUES ('hashsize', 16777216);
INSERT INTO facts_fts (facts_fts, rank) VALUES ('automerge', 8);
INSERT INTO facts_fts (facts_fts, rank) VALUES ('deletemerge', 50);
CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN
    DELETE FROM facts_fts WHERE rowid = old.id;
END;
CREATE VIRTUAL TABLE facts_vocab USING fts5vocab('facts_fts', 'row');
"#,
    // v3: semantic retrieval (`vectors.rs`). One sentence vector per fact,
    // int8-quantised with a per-vector scale (388 bytes for
    // all-MiniLM-L6-v2), tagged with the model that made it: vectors of
    // another model are never compared with a query and are re-made.
    // Written in the background (`Brain::embed_pending`), never by
    // `remember`; a fact without one is still found by its words.
    r#"
CREATE TABLE embedding_models (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE,
    dims INTEGER NOT NULL CHECK (dims > 0)
);
-- Clustered by scope (WITHOUT ROWID, the scope first in the key): a
-- query reads its scopes' vectors as contiguous runs of pages and nothing
-- else; validity is checked only for the facts that make the pool.
CREATE TABLE fact_vectors (
    scope_kind INTEGER NOT NULL,
    project    TEXT    NOT NULL,
    session    TEXT    NOT NULL,
    fact_id    INTEGER NOT NULL,
    model      INTEGER NOT NULL REFERENCES embedding_models (id),
    vec        BLOB    NOT NULL,
    PRIMARY KEY (scope_kind, project, session, fact_id)
) WITHOUT ROWID;
CREATE TRIGGER facts_vectors_delete AFTER DELETE ON facts BEGIN
    DELETE FROM fact_vectors
    WHERE scope_kind = old.scope_kind AND project = old.project
      AND session = old.session AND fact_id = old.id;
END;
"#,
    // v4: each fact's size as a summary (its content with whitespace
    // collapsed, in cl100k tokens), counted when it is stored, so routing
    // never builds the tokenizer (building cl100k's 100,000-entry table was
    // most of a `brain route` process's time). Facts of earlier versions
    // are counted by the store after this runs (`Brain::migrate`); a row
    // still without a count is counted when routed.
    r#"
ALTER TABLE facts ADD COLUMN tokens INTEGER CHECK (tokens IS NULL OR tokens >= 0);
"#,
];

/// The first version whose facts carry their token count.
pub(crate) const TOKENS_AT: i64 = 4;

/// The first version whose full-text index is built by the store after the
/// SQL ran (every fact is re-indexed when a migration reaches it).
pub(crate) const REINDEX_AT: i64 = 2;

/// The version a fully migrated database has.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
