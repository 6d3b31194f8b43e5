//! The journal's layout and its migrations, and the checks that a file is
//! ours before anything is written to it.
//!
//! `PRAGMA application_id` marks the file as a workflow journal,
//! `PRAGMA user_version` is the number of migrations applied (as agent-brain
//! does for its database). A file with tables but without our id is refused,
//! never adopted; a file from a newer build is refused, never downgraded.
//! Nothing here reads or writes runs.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::error::{JournalError, Result};

/// `AWJ1`: "Autonomic Workflow Journal", format 1 (agent-brain's is `ABR1`).
pub(crate) const APPLICATION_ID: i64 = 0x4157_4A31;

/// Each entry upgrades the schema by one version; index 0 makes version 1.
///
/// Times are unix milliseconds (UTC). Paths are their bytes (BLOB), so a
/// path that is not UTF-8 round-trips. JSON columns hold serde_json text.
pub(crate) const MIGRATIONS: &[&str] = &[
    // v1: runs, their nodes, the event log, approval requests, the
    // append-only decision log, and exec task results.
    r#"
CREATE TABLE runs (
    id          TEXT    PRIMARY KEY,
    workflow    TEXT    NOT NULL,
    file        BLOB    NOT NULL,
    file_text   TEXT    NOT NULL,
    file_sha256 TEXT    NOT NULL,
    repo        BLOB    NOT NULL,
    project     TEXT    NOT NULL,
    vars        TEXT    NOT NULL,
    state       TEXT    NOT NULL CHECK (state IN
        ('running', 'waiting_approval', 'security_hold', 'succeeded', 'failed', 'cancelled')),
    why         TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX runs_created ON runs (created_at, id);
CREATE INDEX runs_state   ON runs (state, updated_at);

CREATE TABLE nodes (
    run        TEXT    NOT NULL REFERENCES runs (id),
    id         TEXT    NOT NULL,
    ord        INTEGER NOT NULL,
    state      TEXT    NOT NULL CHECK (state IN
        ('pending', 'running', 'waiting_approval', 'security_hold', 'succeeded', 'failed',
         'rejected', 'skipped', 'cancelled')),
    attempt    INTEGER NOT NULL CHECK (attempt >= 0),
    why        TEXT    NOT NULL,
    external   INTEGER NOT NULL CHECK (external IN (0, 1)),
    outputs    TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (run, id)
) WITHOUT ROWID;

-- AUTOINCREMENT: a sequence number is never reused, even after a prune.
CREATE TABLE events (
    seq  INTEGER PRIMARY KEY AUTOINCREMENT,
    run  TEXT    NOT NULL REFERENCES runs (id),
    node TEXT,
    kind TEXT    NOT NULL,
    at   INTEGER NOT NULL,
    data TEXT    NOT NULL
);
CREATE INDEX events_run ON events (run, seq);

CREATE TABLE requests (
    id         TEXT    PRIMARY KEY,
    run        TEXT    NOT NULL REFERENCES runs (id),
    node       TEXT,
    kind       TEXT    NOT NULL CHECK (kind IN ('node', 'security_hold', 'resume')),
    text       TEXT    NOT NULL,
    fields     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status     TEXT    NOT NULL CHECK (status IN ('open', 'superseded', 'answered', 'closed'))
);
CREATE INDEX requests_run ON requests (run, status);

-- Append-only: a row is inserted with outcome NULL, its outcome is set
-- once, and nothing else about it ever changes. The triggers make that a
-- property of the file, not only of this code.
CREATE TABLE decisions (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    run         TEXT    NOT NULL REFERENCES runs (id),
    request     TEXT    REFERENCES requests (id),
    verdict     TEXT    NOT NULL CHECK (verdict IN ('approve', 'reject', 'cancel')),
    by_whom     TEXT    NOT NULL,
    via         TEXT    NOT NULL,
    reason      TEXT,
    at          INTEGER NOT NULL,
    outcome     TEXT    CHECK (outcome IN ('accepted', 'refused')),
    outcome_why TEXT
);
CREATE INDEX decisions_run     ON decisions (run, seq);
CREATE INDEX decisions_pending ON decisions (seq) WHERE outcome IS NULL;
CREATE TRIGGER decisions_append_only BEFORE UPDATE ON decisions
WHEN old.outcome IS NOT NULL
  OR new.seq IS NOT old.seq OR new.run IS NOT old.run OR new.request IS NOT old.request
  OR new.verdict IS NOT old.verdict OR new.by_whom IS NOT old.by_whom OR new.via IS NOT old.via
  OR new.reason IS NOT old.reason OR new.at IS NOT old.at
BEGIN
    SELECT RAISE(ABORT, 'decisions are append-only: a settled decision never changes');
END;
CREATE TRIGGER decisions_kept_while_unfinished BEFORE DELETE ON decisions
WHEN (SELECT state FROM runs WHERE id = old.run) NOT IN ('succeeded', 'failed', 'cancelled')
BEGIN
    SELECT RAISE(ABORT, 'decisions of an unfinished run are never deleted');
END;

CREATE TABLE task_results (
    key    TEXT    PRIMARY KEY,
    run    TEXT    NOT NULL REFERENCES runs (id),
    node   TEXT    NOT NULL,
    result TEXT    NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX task_results_run ON task_results (run);
"#,
    // v2: what channels other than the CLI delivered and posted. A
    // delivery (a Slack envelope, a signed HTTP interaction) is recorded in
    // the transaction that appends its decision, so a redelivery — the
    // channel retries until acknowledged, and it is acknowledged only after
    // this commit — is recognised and never answers twice. A post is where a
    // request's message went, to update it once decided and to match a
    // thread reply to its request.
    r#"
CREATE TABLE channel_deliveries (
    channel  TEXT    NOT NULL,
    delivery TEXT    NOT NULL,
    decision INTEGER REFERENCES decisions (seq),
    at       INTEGER NOT NULL,
    PRIMARY KEY (channel, delivery)
);
CREATE TABLE channel_posts (
    request      TEXT    NOT NULL REFERENCES requests (id),
    channel      TEXT    NOT NULL,
    conversation TEXT    NOT NULL,
    ts           TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    PRIMARY KEY (request, channel)
);
CREATE UNIQUE INDEX channel_posts_message ON channel_posts (channel, conversation, ts);
"#,
    // v3: when a post was updated to show how its request ended, so a
    // channel posts every open request and closes every ended one from the
    // journal alone (an outbox): a request journaled just before a crash is
    // posted after the restart, and one answered while the daemon was down
    // is closed then.
    r#"
ALTER TABLE channel_posts ADD COLUMN closed_at INTEGER;
CREATE INDEX channel_posts_open ON channel_posts (channel) WHERE closed_at IS NULL;
"#,
];

/// The version a fully migrated journal has.
pub(crate) fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

/// Checks the application id; returns the schema version.
pub(crate) fn check_identity(conn: &Connection, path: &Path) -> Result<i64> {
    let err = |e| JournalError::sqlite(path, e);
    let app_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(err)?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(err)?;
    // Reading the schema also refuses a file whose schema page is damaged
    // before anything is written to it.
    let objects: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(err)?;
    if app_id == 0 {
        if objects > 0 || version != 0 {
            return Err(JournalError::Foreign {
                path: path.to_path_buf(),
                reason: format!("it has {objects} schema objects and no Autonomic application id"),
            });
        }
    } else if app_id != APPLICATION_ID {
        return Err(JournalError::Foreign {
            path: path.to_path_buf(),
            reason: format!("application id {app_id:#x}, not the journal's {APPLICATION_ID:#x}"),
        });
    }
    if version > latest_version() {
        return Err(JournalError::TooNew {
            path: path.to_path_buf(),
            found: version,
            known: latest_version(),
        });
    }
    Ok(version)
}

/// Switches to WAL with `synchronous = NORMAL` and applies the missing
/// migrations under the write lock (another process may be migrating too).
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    let version = check_identity(conn, path)?;
    let err = |e| JournalError::sqlite(path, e);
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .map_err(err)?;
    if !mode.eq_ignore_ascii_case("wal") && path != Path::new(":memory:") {
        tracing::warn!(path = %path.display(), %mode, "could not switch the workflow journal to WAL");
    }
    conn.execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(err)?;
    if version == latest_version() {
        return Ok(());
    }
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(err)?;
    // Re-read under the write lock: another process may have migrated, or
    // written a file that is not ours in the meantime.
    let current = check_identity(&tx, path)?;
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tracing::info!(path = %path.display(), to = index + 1, "migrating the workflow journal");
        tx.execute_batch(sql).map_err(err)?;
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
        latest_version()
    ))
    .map_err(err)?;
    tx.commit().map_err(err)
}
