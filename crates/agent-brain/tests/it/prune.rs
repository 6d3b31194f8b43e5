//! Prune cycles: expiry after grace, eviction to archives, recovery, restore.

use std::collections::HashSet;
use std::path::Path;

use agent_brain::{
    Brain, BrainError, Capacity, NewFact, PrunePolicy, PruneStep, Scope, TaskContext,
};
use time::{Duration, OffsetDateTime};

use crate::common::{archived_uids, db, fact, open, project, session, stored_uids};

fn policy(dir: &Path, capacity: u64) -> PrunePolicy {
    PrunePolicy {
        grace: Duration::hours(24),
        capacity: Capacity {
            global: capacity,
            project: capacity,
            session: capacity,
        },
        archive_dir: dir.join("archive"),
        batch_rows: 7,
    }
}

#[test]
fn invalid_facts_are_deleted_after_the_grace_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let mut long_gone = fact(project("p"), "long gone");
    long_gone.valid_from = Some(now - Duration::days(30));
    long_gone.invalid_at = Some(now - Duration::days(2));
    let mut recently_gone = fact(project("p"), "recently gone");
    recently_gone.valid_from = Some(now - Duration::days(30));
    recently_gone.invalid_at = Some(now - Duration::hours(2));
    let alive = fact(project("p"), "alive");
    brain
        .remember_many(&[long_gone, recently_gone, alive])
        .unwrap();

    let report = brain.prune_at(&policy(dir.path(), 100), now).unwrap();
    assert_eq!(report.expired_deleted, 1);
    assert_eq!(report.evicted, 0);
    assert!(report.archives.is_empty());
    assert_eq!(brain.stats().unwrap().project.stored, 2);
    // A day later the second one goes too.
    let report = brain
        .prune_at(&policy(dir.path(), 100), now + Duration::days(1))
        .unwrap();
    assert_eq!(report.expired_deleted, 1);
    assert_eq!(brain.stats().unwrap().project.stored, 1);
}

#[test]
fn eviction_archives_the_lowest_valued_beyond_capacity_per_scope() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    // Project a: 20 facts, confidence rising with i; capacity 5 keeps the 5 best.
    let facts: Vec<NewFact> = (0..20)
        .map(|i| {
            let mut f = fact(project("a"), &format!("project a fact {i} marmot"));
            f.confidence = 0.3 + 0.03 * f64::from(i);
            f
        })
        .collect();
    brain.remember_many(&facts).unwrap();
    // Project b: 3 facts, under capacity: untouched.
    for i in 0..3 {
        brain
            .remember(&fact(project("b"), &format!("project b fact {i} marmot")))
            .unwrap();
    }
    // Session (a, s): 8 facts, of which an old one loses on recency.
    for i in 0..7 {
        brain
            .remember(&fact(
                session("a", "s"),
                &format!("session fact {i} marmot"),
            ))
            .unwrap();
    }
    brain
        .remember_as_of(
            &fact(session("a", "s"), "ancient session fact marmot"),
            now - Duration::days(400),
        )
        .unwrap();

    let before: HashSet<String> = stored_uids(&db(dir.path())).into_iter().collect();
    let mut steps = Vec::new();
    let report = brain
        .prune_observed(&policy(dir.path(), 5), now, &|| false, &mut |step| {
            steps.push(step)
        })
        .unwrap();
    assert_eq!(
        steps,
        vec![
            PruneStep::Expired { deleted: 0 },
            PruneStep::Archived {
                batch: 1,
                batches: 3,
                evicted: 7
            },
            PruneStep::Archived {
                batch: 2,
                batches: 3,
                evicted: 14
            },
            PruneStep::Archived {
                batch: 3,
                batches: 3,
                evicted: 18
            },
        ]
    );
    assert_eq!(report.scopes_over_capacity, 2);
    assert_eq!(report.evicted, 15 + 3);
    // Batches of at most 7 rows: 15 + 3 = 18 → 3 files.
    assert_eq!(report.archives.len(), 3);

    let after: HashSet<String> = stored_uids(&db(dir.path())).into_iter().collect();
    let mut archived = HashSet::new();
    for file in &report.archives {
        assert!(file.to_string_lossy().ends_with(".jsonl.zst"));
        for uid in archived_uids(file) {
            assert!(archived.insert(uid), "archived twice");
        }
    }
    assert!(after.is_disjoint(&archived));
    assert_eq!(
        after.union(&archived).cloned().collect::<HashSet<_>>(),
        before
    );

    let stats = brain.stats().unwrap();
    assert_eq!(stats.project.stored, 5 + 3);
    assert_eq!(stats.session.stored, 5);
    assert_eq!(stats.archives, 3);
    // The best five of project a stayed: confidence 0.75..0.87 (i = 15..19).
    let routed = brain
        .route_task(&TaskContext::project("a"), "project marmot", 10_000)
        .unwrap();
    let mut kept: Vec<String> = routed.summaries.iter().map(|s| s.text.clone()).collect();
    kept.sort();
    assert_eq!(
        kept,
        (15..20)
            .map(|i| format!("project a fact {i} marmot"))
            .collect::<Vec<_>>()
    );
    let routed = brain
        .route_task(&TaskContext::session("a", "s"), "ancient marmot", 10_000)
        .unwrap();
    assert!(!routed.summaries.iter().any(|s| s.text.contains("ancient")));

    brain.check_integrity().unwrap();
    // A second cycle has nothing to do.
    let again = brain.prune_at(&policy(dir.path(), 5), now).unwrap();
    assert_eq!(
        (
            again.evicted,
            again.expired_deleted,
            again.recovered_batches
        ),
        (0, 0, 0)
    );
}

#[test]
fn restore_brings_facts_back_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let facts: Vec<NewFact> = (0..10)
        .map(|i| {
            let mut f = fact(project("a"), &format!("restorable fact {i} about otters"));
            f.confidence = 0.5 + 0.05 * f64::from(i);
            f.tags = vec![format!("t{i}")];
            f
        })
        .collect();
    brain.remember_many(&facts).unwrap();
    let before: HashSet<String> = stored_uids(&db(dir.path())).into_iter().collect();
    let report = brain.prune(&policy(dir.path(), 4)).unwrap();
    assert_eq!(report.evicted, 6);
    for file in &report.archives {
        let restored = brain.restore(file).unwrap();
        assert_eq!(restored.restored, restored.in_archive);
        let again = brain.restore(file).unwrap();
        assert_eq!(again.restored, 0);
        assert_eq!(again.already_present, again.in_archive);
    }
    let after: HashSet<String> = stored_uids(&db(dir.path())).into_iter().collect();
    assert_eq!(after, before);
    brain.check_integrity().unwrap();
    let routed = brain
        .route_task(&TaskContext::project("a"), "otters", 10_000)
        .unwrap();
    assert_eq!(routed.summaries.len(), 10);
    // Tags survived the round trip (they are searchable).
    let routed = brain
        .route_task(&TaskContext::project("a"), "t0", 10_000)
        .unwrap();
    assert_eq!(routed.summaries.len(), 1);
}

#[test]
fn a_restored_fact_does_not_override_a_newer_version_of_its_subject() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let mut old = fact(project("a"), "the queue is rabbitmq");
    old.subject = Some("queue".into());
    old.confidence = 0.4;
    brain.remember_as_of(&old, now - Duration::days(3)).unwrap();
    brain
        .remember(&fact(project("a"), "filler fact one about queues"))
        .unwrap();
    let report = brain.prune(&policy(dir.path(), 1)).unwrap();
    assert_eq!(report.evicted, 1, "{report:?}");
    let mut new = fact(project("a"), "the queue is nats");
    new.subject = Some("queue".into());
    brain.remember(&new).unwrap();
    let restored = brain.restore(&report.archives[0]).unwrap();
    assert_eq!((restored.restored, restored.superseded), (1, 1));
    let routed = brain
        .route_task(&TaskContext::project("a"), "queue", 1000)
        .unwrap();
    let texts: Vec<&str> = routed.summaries.iter().map(|s| s.text.as_str()).collect();
    assert!(texts.contains(&"the queue is nats"));
    assert!(!texts.contains(&"the queue is rabbitmq"), "{texts:?}");
}

#[test]
fn damaged_archives_are_refused_with_the_line_and_restore_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let facts: Vec<NewFact> = (0..6)
        .map(|i| fact(Scope::Global, &format!("global {i} heron")))
        .collect();
    brain.remember_many(&facts).unwrap();
    let report = brain.prune(&policy(dir.path(), 2)).unwrap();
    let file = &report.archives[0];
    let stored_before = brain.stats().unwrap().global.stored;

    // Truncated zstd stream.
    let bytes = fs_err::read(file).unwrap();
    let truncated = dir.path().join("truncated.jsonl.zst");
    fs_err::write(&truncated, &bytes[..bytes.len() - 9]).unwrap();
    let err = brain.restore(&truncated).unwrap_err();
    assert!(matches!(err, BrainError::Archive { .. }), "{err:?}");
    assert!(err.to_string().contains("truncated.jsonl.zst"), "{err}");

    // A valid stream whose third line has a bad confidence.
    let text = String::from_utf8(zstd::decode_all(bytes.as_slice()).unwrap()).unwrap();
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[2] = lines[2].replace("\"confidence\":1.0", "\"confidence\":7.0");
    let edited = dir.path().join("edited.jsonl.zst");
    fs_err::write(
        &edited,
        zstd::encode_all((lines.join("\n") + "\n").as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let err = brain.restore(&edited).unwrap_err();
    assert!(err.to_string().contains("edited.jsonl.zst:3:"), "{err}");
    assert!(err.to_string().contains("confidence 7"), "{err}");

    // Row count that does not match the header.
    lines.pop();
    let short = dir.path().join("short.jsonl.zst");
    fs_err::write(
        &short,
        zstd::encode_all((lines.join("\n") + "\n").as_bytes(), 3).unwrap(),
    )
    .unwrap();
    let err = brain.restore(&short).unwrap_err();
    assert!(err.to_string().contains("header promises"), "{err}");

    assert_eq!(brain.stats().unwrap().global.stored, stored_before);
}

/// Simulates a crash between each step by doing the steps' effects by hand:
/// a batch marked in the journal with no file, and one with a complete file
/// whose rows were not yet deleted. The next cycle finishes both without
/// losing or duplicating anything. (The CLI test kills a real process at
/// random points.)
#[test]
fn an_interrupted_cycle_is_finished_by_the_next() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(dir.path());
    let mut brain = open(dir.path());
    let facts: Vec<NewFact> = (0..30)
        .map(|i| fact(project("p"), &format!("fact {i} puffin")))
        .collect();
    brain.remember_many(&facts).unwrap();
    let all: HashSet<String> = stored_uids(&path).into_iter().collect();
    drop(brain);
    {
        // Journal two batches of 5 rows by hand, as step 1 would.
        let conn = rusqlite::Connection::open(&path).unwrap();
        let archive = dir.path().join("archive");
        for (batch, range) in [(1, "1 AND 5"), (2, "6 AND 10")] {
            let file = archive.join(format!("brain-manual-b{batch}.jsonl.zst"));
            conn.execute(
                "INSERT INTO archives (batch, file, rows, state, created_at) VALUES (?1, ?2, 5, 'pending', 0)",
                rusqlite::params![batch, file.to_string_lossy()],
            )
            .unwrap();
            conn.execute(
                &format!("UPDATE facts SET evict_batch = ?1 WHERE id BETWEEN {range}"),
                [batch],
            )
            .unwrap();
        }
        // Batch 2's file exists but is a torn temporary; batch 1 has none.
        fs_err::create_dir_all(&archive).unwrap();
        fs_err::write(archive.join("brain-manual-b2.jsonl.zst.tmp"), b"torn").unwrap();
    }
    let mut brain = open(dir.path());
    assert_eq!(brain.stats().unwrap().pending_archives, 2);
    let report = brain.prune(&policy(dir.path(), 1000)).unwrap();
    assert_eq!(report.recovered_batches, 2);
    assert_eq!(report.recovered_facts, 10);
    assert!(!dir
        .path()
        .join("archive/brain-manual-b2.jsonl.zst.tmp")
        .exists());
    let stored: HashSet<String> = stored_uids(&path).into_iter().collect();
    let mut archived = HashSet::new();
    for file in &report.archives {
        for uid in archived_uids(file) {
            assert!(archived.insert(uid));
        }
    }
    assert_eq!(archived.len(), 10);
    assert!(stored.is_disjoint(&archived));
    assert_eq!(
        stored.union(&archived).cloned().collect::<HashSet<_>>(),
        all
    );
    assert_eq!(brain.stats().unwrap().pending_archives, 0);
}

#[test]
fn a_foreign_file_is_not_pruned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.sqlite3");
    fs_err::write(&path, b"SQLite format 3\0garbage garbage garbage").unwrap();
    let err = Brain::open(&path, agent_brain::BrainSettings::default()).unwrap_err();
    assert!(
        matches!(
            err,
            BrainError::Corrupt { .. } | BrainError::NotADatabase { .. }
        ),
        "{err:?}"
    );
    assert_eq!(
        fs_err::read(&path).unwrap(),
        b"SQLite format 3\0garbage garbage garbage"
    );
}

/// Every stored field survives eviction and restore unchanged (read from
/// the SQLite file before and after, except the internal row id).
#[test]
fn eviction_and_restore_round_trip_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let mut facts = Vec::new();
    for i in 0..12 {
        let mut f = fact(
            if i % 3 == 0 {
                session("p", "s")
            } else {
                project("p")
            },
            &format!("fact {i}: ünïcode, \"quotes\", tabs\tand\nnewlines, emoji 🦀"),
        );
        f.confidence = 0.31 + 0.05 * f64::from(i);
        f.tags = vec![format!("tag{i}"), "shared".into()];
        f.source = format!("agent:{i}");
        if i % 2 == 0 {
            f.subject = Some(format!("subject.{i}"));
        }
        if i % 4 == 0 {
            f.valid_from = Some(now - Duration::days(2));
            f.invalid_at = Some(now + Duration::days(2));
        }
        facts.push(f);
    }
    brain.remember_many(&facts).unwrap();
    let rows = |db: &Path| -> Vec<String> {
        let conn = rusqlite::Connection::open(db).unwrap();
        let mut q = conn
            .prepare(
                "SELECT json_array(hex(uid), scope_kind, project, session, subject, content, tags, \
                 source, confidence, valid_from, invalid_at, created_at, superseded_at) \
                 FROM facts ORDER BY uid",
            )
            .unwrap();
        let rows = q
            .query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows
    };
    let before = rows(&db(dir.path()));
    let report = brain
        .prune(&PrunePolicy {
            capacity: Capacity {
                global: 1,
                project: 1,
                session: 1,
            },
            ..policy(dir.path(), 1)
        })
        .unwrap();
    assert_eq!(report.evicted, 10);
    for file in &report.archives {
        brain.restore(file).unwrap();
    }
    assert_eq!(rows(&db(dir.path())), before);
    brain.check_integrity().unwrap();
    let routed = brain
        .route_task(&TaskContext::session("p", "s"), "emoji newlines", 10_000)
        .unwrap();
    assert_eq!(routed.summaries.len(), 12, "{routed:#?}");
}
