//! Relevance: BM25 that varies with how rare a word is, and a candidate
//! pool ranked before it is cut (never the earliest-stored matches).

use agent_brain::{TaskContext, TokenCounter};
use tempfile::tempdir;

use crate::common::{fact, open, project};

/// Hundreds of facts share a common word; one, stored last, also has a
/// rare one. A query for both must return the rare-word fact first: it
/// would not even be a candidate if the pool were the earliest matches.
#[test]
fn a_rare_word_beats_hundreds_of_common_ones_stored_before_it() {
    let dir = tempdir().unwrap();
    let mut brain = open(dir.path());
    let scope = project("p");
    let common: Vec<_> = (0..600)
        .map(|i| {
            fact(
                scope.clone(),
                &format!("Melanie talked about the deployment on day {i}"),
            )
        })
        .collect();
    brain.remember_many(&common).unwrap();
    brain
        .remember(&fact(
            scope.clone(),
            "Melanie watched the sunrise over the lake",
        ))
        .unwrap();
    let task = TaskContext::project("p");
    let routed = brain
        .route_task(&task, "When did Melanie see the sunrise?", 500)
        .unwrap();
    assert_eq!(
        routed.summaries.first().map(|s| s.text.as_str()),
        Some("Melanie watched the sunrise over the lake"),
        "{:#?}",
        &routed.summaries[..routed.summaries.len().min(3)]
    );
}

/// Between two facts that each match one query word, the one with the
/// rarer word ranks higher: words are weighed by rarity, not counted.
#[test]
fn the_rarer_matched_word_ranks_higher() {
    let dir = tempdir().unwrap();
    let mut brain = open(dir.path());
    let scope = project("p");
    let mut facts: Vec<_> = (0..200)
        .map(|i| {
            fact(
                scope.clone(),
                &format!("caroline mentioned the weather {i}"),
            )
        })
        .collect();
    facts.push(fact(scope.clone(), "caroline adopted a greyhound"));
    facts.push(fact(scope.clone(), "the kayak trip is in june"));
    brain.remember_many(&facts).unwrap();
    let task = TaskContext::project("p");
    let routed = brain.route_task(&task, "caroline kayak", 2_000).unwrap();
    let pos = |t: &str| routed.summaries.iter().position(|s| s.text == t);
    let kayak = pos("the kayak trip is in june").expect("kayak fact routed");
    let weather = pos("caroline mentioned the weather 0").unwrap_or(usize::MAX);
    assert!(
        kayak < weather,
        "kayak at {kayak}, a common-word fact at {weather}"
    );
    assert_eq!(kayak, 0, "{:#?}", &routed.summaries[..3]);
}

/// Auxiliaries and pronouns are not words to rank by.
#[test]
fn auxiliaries_do_not_match() {
    let dir = tempdir().unwrap();
    let mut brain = open(dir.path());
    brain
        .remember(&fact(project("p"), "she did say they could have gone"))
        .unwrap();
    let routed = brain
        .route_task(
            &TaskContext::project("p"),
            "did she say what they could do",
            500,
        )
        .unwrap();
    assert_eq!(
        routed
            .summaries
            .iter()
            .map(|s| s.text.as_str())
            .collect::<Vec<_>>(),
        vec!["she did say they could have gone"],
        "`say` still matches"
    );
    let none = brain
        .route_task(&TaskContext::project("p"), "did she could they", 500)
        .unwrap();
    assert!(none.summaries.is_empty(), "{:?}", none.summaries);
}

/// A database written by the first format (an index on which BM25 was 0)
/// is migrated on open: the index is rebuilt from the facts in the same
/// transaction, ranking works, and the index checks out.
#[test]
fn a_version_1_database_is_reindexed_on_open() {
    let dir = tempdir().unwrap();
    let path = crate::common::db(dir.path());
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        // The v1 layout, as stop 9's build wrote it.
        conn.execute_batch(
            "CREATE TABLE facts (
                id INTEGER PRIMARY KEY, uid BLOB NOT NULL UNIQUE,
                scope_kind INTEGER NOT NULL CHECK (scope_kind IN (0, 1, 2)),
                project TEXT NOT NULL, session TEXT NOT NULL, subject TEXT,
                content TEXT NOT NULL CHECK (length(content) > 0), tags TEXT NOT NULL,
                source TEXT NOT NULL,
                confidence REAL NOT NULL CHECK (confidence >= 0.0 AND confidence <= 1.0),
                valid_from INTEGER, invalid_at INTEGER, created_at INTEGER NOT NULL,
                superseded_at INTEGER, evict_batch INTEGER);
             CREATE INDEX facts_scope ON facts (scope_kind, project, session);
             CREATE INDEX facts_subject ON facts (scope_kind, project, session, subject) WHERE subject IS NOT NULL;
             CREATE INDEX facts_invalid ON facts (invalid_at) WHERE invalid_at IS NOT NULL;
             CREATE INDEX facts_batch ON facts (evict_batch) WHERE evict_batch IS NOT NULL;
             CREATE VIRTUAL TABLE facts_fts USING fts5(terms, tag_terms, content = '',
                 contentless_delete = 1, detail = column, tokenize = 'ascii');
             CREATE TRIGGER facts_fts_delete AFTER DELETE ON facts BEGIN
                 DELETE FROM facts_fts WHERE rowid = old.id; END;
             CREATE TABLE archives (batch INTEGER PRIMARY KEY, file TEXT NOT NULL,
                 rows INTEGER NOT NULL, state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
                 created_at INTEGER NOT NULL, done_at INTEGER);
             PRAGMA application_id = 1094865457; PRAGMA user_version = 1;",
        )
        .unwrap();
        let mut insert = conn
            .prepare(
                "INSERT INTO facts (uid, scope_kind, project, session, content, tags, source, \
                 confidence, created_at) VALUES (?1, 1, 'p', '', ?2, '', 'test', 1.0, ?3)",
            )
            .unwrap();
        for i in 0..300u32 {
            let content = if i == 299 {
                "Melanie watched the sunrise over the lake".to_string()
            } else {
                format!("Melanie talked about the deployment on day {i}")
            };
            let uid: Vec<u8> = (0..16u8)
                .map(|b| b ^ (i as u8) ^ ((i >> 8) as u8).wrapping_mul(b))
                .collect();
            insert
                .execute(rusqlite::params![
                    uid,
                    content,
                    1_700_000_000_000i64 + i64::from(i)
                ])
                .unwrap();
        }
    }
    let brain = crate::common::open(dir.path());
    brain.check_integrity().unwrap();
    let routed = brain
        .route_task(
            &TaskContext::project("p"),
            "When did Melanie see the sunrise?",
            500,
        )
        .unwrap();
    assert_eq!(
        routed.summaries.first().map(|s| s.text.as_str()),
        Some("Melanie watched the sunrise over the lake")
    );
    for summary in &routed.summaries {
        assert_eq!(summary.tokens, TokenCounter::cl100k().count(&summary.text));
    }
    let conn = rusqlite::Connection::open(&path).unwrap();
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 4, "migrated to the latest format");
    let uncounted: i64 = conn
        .query_row("SELECT count(*) FROM facts WHERE tokens IS NULL", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(uncounted, 0, "every migrated fact has its token count");
}
