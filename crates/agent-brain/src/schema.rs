//! The database layout and its migrations.
//!
//! `PRAGMA application_id` marks the file as ours, `PRAGMA user_version` is
//! the number of migrations applied. A file with tables but without our id is
//! refused, never adopted; a file from a newer build is refused, never
//! downgraded.

/// `ABR1`: "Autonomic BRain", format 1.
pub(crate) const APPLICATION_ID: i64 = 0x4142_5231;

/// Each entry upgrades the schema by one version; index 0 makes version 1.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: facts, their full-text index, and the eviction journal.
    //
    // The index keeps `detail = column` (which columns hold a term, no
    // positions): queries are OR-ed words with column filters, never
    // phrases or NEAR, and facts are short enough that BM25 with per-column
    // presence ranks them as well as with counts. It makes the index about
    // smaller and inserts and queries faster.
    r#"
CREATE TABLE facts (
    id            INTEGER PRIMARY KEY,
    uid           BLOB    NOT NULL UNIQUE,
    scope_kind    INTEGER NOT NULL CHECK (scope_kind IN (0, 1, 2)),
    project       TEXT    NOT NULL,
    session       TEXT    NOT NULL,
    scope_tok     TEXT    NOT NULL,
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
    content, tags, scope_tok,
    content = 'facts', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2',
    detail = column
);
-- No insert trigger: a trigger makes every INSERT a multi-write statement
-- with its own savepoint, and FTS5 flushes its pending terms to a new
-- segment at every savepoint, so bulk inserts would build one segment per
-- row. The store inserts the index row itself, in the same transaction
-- (`index_fact`), and `check_integrity` verifies the two agree.
CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN
    INSERT INTO facts_fts (facts_fts, rowid, content, tags, scope_tok)
    VALUES ('delete', old.id, old.content, old.tags, old.scope_tok);
END;
CREATE TRIGGER facts_fts_update AFTER UPDATE OF content, tags, scope_tok ON facts BEGIN
    INSERT INTO facts_fts (facts_fts, rowid, content, tags, scope_tok)
    VALUES ('delete', old.id, old.content, old.tags, old.scope_tok);
    INSERT INTO facts_fts (rowid, content, tags, scope_tok)
    VALUES (new.id, new.content, new.tags, new.scope_tok);
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
];

/// The version a fully migrated database has.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}
