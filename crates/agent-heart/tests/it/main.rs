//! Integration tests of the heart: cycles, audit records, the scheduler.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use agent_brain::{Brain, NewFact, Scope};
use agent_heart::{HeartError, PruneCycle, Scheduler};
use autonomic_core::audit::{self, AuditLog};
use autonomic_core::config::Config;

fn config(dir: &std::path::Path) -> Config {
    let mut config = Config::default();
    config.brain.db_path = dir.join("brain.sqlite3");
    config.heart.archive_dir = dir.join("archive");
    config.heart.project_capacity = 3;
    config
}

fn records(log: &AuditLog) -> Vec<serde_json::Value> {
    fs_err::read_to_string(log.path())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Ten facts in project `p` (capacity 3: a cycle evicts seven).
fn seed_ten_facts(config: &Config) {
    let mut brain = Brain::open(&config.brain.db_path, Default::default()).unwrap();
    let facts: Vec<NewFact> = (0..10)
        .map(|i| NewFact::new(Scope::Project("p".into()), format!("fact {i} about lemurs")))
        .collect();
    brain.remember_many(&facts).unwrap();
}

#[test]
fn a_cycle_prunes_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    seed_ten_facts(&config);

    let log = AuditLog::open(dir.path().join("audit/audit.jsonl")).unwrap();
    let outcome = PruneCycle::from_config(&config)
        .run(&log, &|| false)
        .unwrap();
    assert_eq!(outcome.report.evicted, 7);
    assert_eq!(outcome.report.archives.len(), 1);
    assert!(outcome.report.archives[0].starts_with(dir.path().join("archive")));
    let records = records(&log);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["kind"], "heart.prune");
    assert_eq!(records[0]["actor"], "heart");
    assert_eq!(records[0]["detail"]["evicted"], 7);
    assert_eq!(records[0]["detail"]["capacity"]["project"], 3);
    assert!(audit::verify(log.path()).unwrap().ok);
}

#[test]
fn a_failed_cycle_is_audited_with_its_error() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    fs_err::write(&config.brain.db_path, b"not a database, keep me").unwrap();
    let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
    let err = PruneCycle::from_config(&config)
        .run(&log, &|| false)
        .unwrap_err();
    assert!(matches!(err, HeartError::Brain(_)), "{err}");
    let records = records(&log);
    assert_eq!(records[0]["kind"], "heart.prune_failed");
    assert!(records[0]["detail"]["error"]
        .as_str()
        .unwrap()
        .contains("not an SQLite database"));
    assert_eq!(
        fs_err::read(&config.brain.db_path).unwrap(),
        b"not a database, keep me"
    );
}

#[test]
fn the_scheduler_repeats_and_stops_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    let mut scheduler = Scheduler::from_config(&config);
    assert_eq!(scheduler.interval, Duration::from_secs(3600));
    scheduler.interval = Duration::from_millis(50);
    let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mut seen = 0;
    let cycles = scheduler
        .run(&log, &stop, |result| {
            assert!(result.is_ok());
            seen += 1;
            if seen == 3 {
                stop.store(true, Ordering::SeqCst);
            }
        })
        .unwrap();
    assert_eq!(cycles, 3);
    assert_eq!(records(&log).len(), 3);
}

#[test]
fn a_stop_request_interrupts_a_cycle_between_batches() {
    let dir = tempfile::tempdir().unwrap();
    let config = config(dir.path());
    seed_ten_facts(&config);
    let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
    let outcome = PruneCycle::from_config(&config)
        .run(&log, &|| true)
        .unwrap();
    assert!(outcome.report.interrupted);
    assert_eq!(outcome.report.evicted, 0);
    // The next cycle does the work.
    let outcome = PruneCycle::from_config(&config)
        .run(&log, &|| false)
        .unwrap();
    assert_eq!(outcome.report.evicted, 7);
    assert_eq!(records(&log)[0]["detail"]["interrupted"], true);
}

#[test]
fn a_cycle_merges_the_index_and_the_next_has_nothing_to_merge() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path());
    config.heart.project_capacity = 1_000_000;
    let mut brain = Brain::open(&config.brain.db_path, Default::default()).unwrap();
    // Twenty transactions: twenty index segments.
    for batch in 0..20 {
        let facts: Vec<NewFact> = (0..50)
            .map(|i| {
                NewFact::new(
                    Scope::Project(format!("p{}", i % 5)),
                    format!("batch {batch} fact {i} about tapirs"),
                )
            })
            .collect();
        brain.remember_many(&facts).unwrap();
    }
    let task = agent_brain::TaskContext::project("p3");
    let before = brain.route_task(&task, "tapirs", 100_000).unwrap();
    assert!(before.summaries.len() > 100);
    drop(brain);
    let log = AuditLog::open(dir.path().join("audit.jsonl")).unwrap();
    let first = PruneCycle::from_config(&config)
        .run(&log, &|| false)
        .unwrap();
    assert!(first.index.steps >= 1, "{first:?}");
    let second = PruneCycle::from_config(&config)
        .run(&log, &|| false)
        .unwrap();
    assert_eq!(second.index.steps, 0, "{second:?}");
    assert_eq!(
        records(&log)[0]["detail"]["index_merge_steps"],
        first.index.steps
    );
    let brain = Brain::open(&config.brain.db_path, Default::default()).unwrap();
    brain.check_integrity().unwrap();
    // Merging changes the index's layout, not what a task is given.
    let after = brain.route_task(&task, "tapirs", 100_000).unwrap();
    let texts = |r: &agent_brain::Routed| {
        let mut t: Vec<String> = r.summaries.iter().map(|s| s.text.clone()).collect();
        t.sort();
        t
    };
    assert_eq!(texts(&after), texts(&before));
}
