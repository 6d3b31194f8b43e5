//! remember / forget / route_task / stats, and bad input.

use agent_brain::{
    Brain, BrainError, BrainSettings, FactError, NewFact, Scope, ScopeKind, TaskContext,
};
use time::{Duration, OffsetDateTime};

use crate::common::{db, fact, open, project, session};

fn texts(routed: &agent_brain::Routed) -> Vec<&str> {
    routed.summaries.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn a_task_sees_global_project_and_its_session_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    brain
        .remember(&fact(
            Scope::Global,
            "deploy freeze: global rule about deploy",
        ))
        .unwrap();
    brain
        .remember(&fact(project("web"), "web deploy uses the blue cluster"))
        .unwrap();
    brain
        .remember(&fact(project("api"), "api deploy uses the green cluster"))
        .unwrap();
    brain
        .remember(&fact(
            session("web", "s1"),
            "session one deploy token zebra",
        ))
        .unwrap();
    brain
        .remember(&fact(session("web", "s2"), "session two deploy token yak"))
        .unwrap();
    brain
        .remember(&fact(
            session("api", "s1"),
            "api session one deploy token walrus",
        ))
        .unwrap();

    let routed = brain
        .route_task(&TaskContext::session("web", "s1"), "how do I deploy", 1000)
        .unwrap();
    let mut seen = texts(&routed);
    seen.sort_unstable();
    assert_eq!(
        seen,
        vec![
            "deploy freeze: global rule about deploy",
            "session one deploy token zebra",
            "web deploy uses the blue cluster",
        ]
    );
    let kinds: Vec<ScopeKind> = {
        let mut k: Vec<_> = routed.summaries.iter().map(|s| s.scope).collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds,
        vec![ScopeKind::Global, ScopeKind::Project, ScopeKind::Session]
    );

    // Without a session: no session facts at all.
    let routed = brain
        .route_task(&TaskContext::project("web"), "deploy", 1000)
        .unwrap();
    assert_eq!(routed.summaries.len(), 2, "{:?}", texts(&routed));
    assert!(routed
        .summaries
        .iter()
        .all(|s| s.scope != ScopeKind::Session));

    // Same session id under another project is another scope.
    let routed = brain
        .route_task(&TaskContext::session("api", "s1"), "deploy token", 1000)
        .unwrap();
    assert!(texts(&routed).contains(&"api session one deploy token walrus"));
    assert!(!texts(&routed).iter().any(|t| t.contains("zebra")));
}

#[test]
fn scope_names_that_look_like_query_syntax_do_not_widen_access() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    brain
        .remember(&fact(project("secret"), "canary alpha secret"))
        .unwrap();
    for name in [
        "\" OR \"",
        "*",
        "secret OR x",
        "a\" OR scope_tok : \"p",
        "NEAR(secret)",
    ] {
        let routed = brain
            .route_task(
                &TaskContext::session(name, name),
                "canary alpha secret",
                500,
            )
            .unwrap();
        assert!(routed.summaries.is_empty(), "{name}: {:?}", texts(&routed));
    }
    // A task text full of FTS5 syntax is just words.
    let routed = brain
        .route_task(
            &TaskContext::project("secret"),
            "canary* OR \"alpha\" NOT {content} : (",
            500,
        )
        .unwrap();
    assert_eq!(routed.summaries.len(), 1);
}

#[test]
fn ranking_prefers_relevance_confidence_and_recency() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let p = project("p");
    let mut low = fact(p.clone(), "the build uses cargo nextest for tests");
    low.confidence = 0.4;
    let high = fact(p.clone(), "run tests with cargo nextest run --workspace");
    brain.remember(&low).unwrap();
    brain.remember(&high).unwrap();
    let old = fact(p.clone(), "linting happens with cargo clippy");
    brain
        .remember_as_of(&old, OffsetDateTime::now_utc() - Duration::days(365))
        .unwrap();
    let new = fact(p, "linting: cargo clippy with deny warnings");
    brain.remember(&new).unwrap();

    let routed = brain
        .route_task(&TaskContext::project("p"), "cargo nextest tests", 1000)
        .unwrap();
    assert_eq!(routed.summaries[0].text, high.content, "{routed:#?}");
    assert!(routed
        .summaries
        .windows(2)
        .all(|w| w[0].score >= w[1].score));
    assert!(routed
        .summaries
        .iter()
        .all(|s| s.score > 0.0 && s.score <= 1.0));

    let routed = brain
        .route_task(&TaskContext::project("p"), "cargo clippy linting", 1000)
        .unwrap();
    assert_eq!(routed.summaries[0].text, new.content, "{routed:#?}");
}

#[test]
fn subject_supersedes_and_forget_invalidates() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let mut v1 = fact(project("p"), "the database port is 5432");
    v1.subject = Some("db.port".into());
    let mut v2 = fact(project("p"), "the database port is 6543");
    v2.subject = Some("db.port".into());
    assert_eq!(brain.remember(&v1).unwrap().superseded, 0);
    assert_eq!(brain.remember(&v2).unwrap().superseded, 1);
    let task = TaskContext::project("p");
    let routed = brain.route_task(&task, "database port", 500).unwrap();
    assert_eq!(texts(&routed), vec!["the database port is 6543"]);
    // The old version is still stored (bi-temporal): as of before v2 it was seen.
    let stats = brain.stats().unwrap();
    assert_eq!(stats.project.stored, 2);
    assert_eq!(stats.project.invalidated, 1);

    // Same subject in another project is untouched.
    let mut other = fact(project("q"), "the database port is 7777");
    other.subject = Some("db.port".into());
    assert_eq!(brain.remember(&other).unwrap().superseded, 0);

    assert_eq!(brain.forget(&project("p"), "db.port").unwrap(), 1);
    assert!(brain
        .route_task(&task, "database port", 500)
        .unwrap()
        .summaries
        .is_empty());
    assert_eq!(brain.forget(&project("p"), "db.port").unwrap(), 0);
    assert_eq!(
        brain
            .route_task(&TaskContext::project("q"), "database port", 500)
            .unwrap()
            .summaries
            .len(),
        1
    );
}

#[test]
fn future_subject_versions_take_over_at_their_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let mut v1 = fact(project("p"), "release branch is main");
    v1.subject = Some("release.branch".into());
    let mut v2 = fact(project("p"), "release branch is stable");
    v2.subject = Some("release.branch".into());
    v2.valid_from = Some(now + Duration::days(10));
    brain.remember(&v1).unwrap();
    brain.remember(&v2).unwrap();
    let task = TaskContext::project("p");
    let today = brain
        .route_task_at(&task, "release branch", 500, now)
        .unwrap();
    assert_eq!(texts(&today), vec!["release branch is main"]);
    let later = brain
        .route_task_at(&task, "release branch", 500, now + Duration::days(11))
        .unwrap();
    assert_eq!(texts(&later), vec!["release branch is stable"]);
}

#[test]
fn validity_window_and_confidence_threshold_filter() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let mut expired = fact(project("p"), "expired fact about kiwi");
    expired.valid_from = Some(now - Duration::days(10));
    expired.invalid_at = Some(now - Duration::days(1));
    let mut future = fact(project("p"), "future fact about kiwi");
    future.valid_from = Some(now + Duration::days(1));
    let mut unsure = fact(project("p"), "unsure fact about kiwi");
    unsure.confidence = 0.29;
    let mut edge = fact(project("p"), "threshold fact about kiwi");
    edge.confidence = 0.3;
    for f in [&expired, &future, &unsure, &edge] {
        brain.remember(f).unwrap();
    }
    let task = TaskContext::project("p");
    assert_eq!(
        texts(&brain.route_task(&task, "kiwi", 500).unwrap()),
        vec!["threshold fact about kiwi"]
    );
    // Half-open interval: visible at valid_from, gone at invalid_at.
    let at_start = brain
        .route_task_at(&task, "expired kiwi", 500, now - Duration::days(10))
        .unwrap();
    assert!(texts(&at_start).contains(&"expired fact about kiwi"));
    let at_end = brain
        .route_task_at(&task, "expired kiwi", 500, now - Duration::days(1))
        .unwrap();
    assert!(!texts(&at_end).contains(&"expired fact about kiwi"));

    // A stricter threshold from the configuration.
    drop(brain);
    let strict = Brain::open(
        db(dir.path()),
        BrainSettings {
            confidence_threshold: 0.5,
            ..BrainSettings::default()
        },
    )
    .unwrap();
    assert!(strict
        .route_task(&task, "kiwi", 500)
        .unwrap()
        .summaries
        .is_empty());
}

#[test]
fn budget_is_never_exceeded_and_counted_in_cl100k() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    // Thirty distinct facts (numbers alone would make them near-duplicates).
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
        "juliet", "kilo", "lima", "mike", "november", "oscar", "papa", "quebec", "romeo", "sierra",
        "tango", "uniform", "victor", "whiskey", "xray", "yankee", "zulu", "amber", "basalt",
        "cobalt", "dune",
    ];
    for (i, word) in words.iter().enumerate() {
        brain
            .remember(&fact(
                project("p"),
                &format!("release process step {i} checks the {word} {word}s and {word} logs"),
            ))
            .unwrap();
    }
    let counter = agent_brain::TokenCounter::cl100k();
    for budget in [1, 5, 13, 14, 15, 40, 100, 10_000] {
        let routed = brain
            .route_task(&TaskContext::project("p"), "release process checks", budget)
            .unwrap();
        assert!(
            routed.tokens_used <= budget,
            "{budget}: {}",
            routed.tokens_used
        );
        let recount: usize = routed
            .summaries
            .iter()
            .map(|s| counter.count(&s.text))
            .sum();
        assert_eq!(recount, routed.tokens_used);
        assert_eq!(routed.tokenizer, "cl100k_base");
    }
    let shortest = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            counter.count(&format!(
                "release process step {i} checks the {w} {w}s and {w} logs"
            ))
        })
        .min()
        .unwrap();
    assert!(shortest > 10, "{shortest}");
    let routed = brain
        .route_task(&TaskContext::project("p"), "release", shortest - 1)
        .unwrap();
    assert!(routed.summaries.is_empty());
    assert!(routed.over_budget > 0);
    let big = brain
        .route_task(&TaskContext::project("p"), "release", 10_000)
        .unwrap();
    assert_eq!(big.summaries.len(), 30);
}

#[test]
fn near_duplicates_are_merged() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    brain
        .remember(&fact(
            Scope::Global,
            "Use  rustfmt before every commit to the repository",
        ))
        .unwrap();
    brain
        .remember(&fact(
            project("p"),
            "use rustfmt before every commit to the repository",
        ))
        .unwrap();
    brain
        .remember(&fact(
            project("p"),
            "use rustfmt before every single commit to the repository",
        ))
        .unwrap();
    brain
        .remember(&fact(project("p"), "rustfmt config lives in rustfmt.toml"))
        .unwrap();
    let routed = brain
        .route_task(&TaskContext::project("p"), "rustfmt commit", 1000)
        .unwrap();
    assert_eq!(routed.summaries.len(), 2, "{routed:#?}");
    assert_eq!(routed.duplicates_merged, 2);
}

#[test]
fn bad_input_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let now = OffsetDateTime::now_utc();
    let cases: Vec<(NewFact, &str)> = vec![
        (
            {
                let mut f = fact(project("p"), "x1");
                f.confidence = 1.5;
                f
            },
            "confidence 1.5 is outside [0, 1]",
        ),
        (
            {
                let mut f = fact(project("p"), "x2");
                f.confidence = -0.1;
                f
            },
            "outside [0, 1]",
        ),
        (
            {
                let mut f = fact(project("p"), "x3");
                f.confidence = f64::NAN;
                f
            },
            "outside [0, 1]",
        ),
        (fact(project("p"), "   \n"), "content is empty"),
        (
            {
                let mut f = fact(project("p"), "x4");
                f.valid_from = Some(now);
                f.invalid_at = Some(now);
                f
            },
            "must be later than valid_from",
        ),
        (
            {
                let mut f = fact(project("p"), "x5");
                f.valid_from = Some(now);
                f.invalid_at = Some(now - Duration::hours(1));
                f
            },
            "must be later",
        ),
        (fact(project(""), "x6"), "project `` must not be empty"),
        (fact(session("p", "a\u{7}"), "x7"), "control characters"),
        (
            {
                let mut f = fact(project("p"), "x8");
                f.tags = vec!["two words".into()];
                f
            },
            "no whitespace",
        ),
        (fact(project("p"), &"x".repeat(70_000)), "limit is 65536"),
    ];
    for (bad, message) in &cases {
        let err = brain.remember(bad).unwrap_err();
        assert!(err.to_string().contains(message), "{err} !~ {message}");
    }
    // A batch with one bad fact stores none of it.
    let good = fact(project("p"), "good fact");
    let err = brain
        .remember_many(&[good.clone(), cases[0].0.clone()])
        .unwrap_err();
    assert!(matches!(
        err,
        BrainError::Fact(FactError::Confidence { .. })
    ));
    assert_eq!(brain.stats().unwrap().project.stored, 0);

    let err = brain
        .route_task(&TaskContext::project("p"), "good", 0)
        .unwrap_err();
    assert!(
        matches!(err, BrainError::Fact(FactError::ZeroBudget)),
        "{err}"
    );
    let err = brain
        .route_task(&TaskContext::project(""), "good", 10)
        .unwrap_err();
    assert!(err.to_string().contains("project"), "{err}");
}

#[test]
fn a_file_that_is_not_ours_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    // Garbage.
    let garbage = dir.path().join("garbage.sqlite3");
    fs_err::write(&garbage, b"this is not a database at all, just text").unwrap();
    let err = Brain::open(&garbage, BrainSettings::default()).unwrap_err();
    assert!(matches!(err, BrainError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("garbage.sqlite3"));
    assert_eq!(
        fs_err::read(&garbage).unwrap(),
        b"this is not a database at all, just text"
    );

    // Someone else's SQLite database.
    let foreign = dir.path().join("foreign.sqlite3");
    {
        let conn = rusqlite::Connection::open(&foreign).unwrap();
        conn.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('keep me');")
            .unwrap();
    }
    let before = fs_err::read(&foreign).unwrap();
    let err = Brain::open(&foreign, BrainSettings::default()).unwrap_err();
    assert!(matches!(err, BrainError::Foreign { .. }), "{err}");
    assert_eq!(fs_err::read(&foreign).unwrap(), before);
}

#[test]
fn a_corrupt_database_is_reported_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(dir.path());
    {
        let mut brain = open(dir.path());
        let facts: Vec<NewFact> = (0..2000)
            .map(|i| {
                fact(
                    project("p"),
                    &format!("fact {i} about corruption and pages"),
                )
            })
            .collect();
        brain.remember_many(&facts).unwrap();
    }
    // Checkpointed on close: all in the main file. Smash pages in the middle.
    let mut bytes = fs_err::read(&path).unwrap();
    assert!(bytes.len() > 64 * 1024, "{}", bytes.len());
    let end = bytes.len() - 4096;
    for b in &mut bytes[8192..end] {
        *b = 0x5a;
    }
    fs_err::write(&path, &bytes).unwrap();
    let result = Brain::open(&path, BrainSettings::default()).and_then(|mut brain| {
        brain.check_integrity()?;
        brain.route_task(&TaskContext::project("p"), "corruption pages", 100)?;
        brain.remember(&fact(project("p"), "new fact"))
    });
    let err = result.unwrap_err();
    assert!(
        matches!(
            err,
            BrainError::Corrupt { .. } | BrainError::NotADatabase { .. }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("brain.sqlite3"), "{err}");
    assert_eq!(
        fs_err::read(&path).unwrap(),
        bytes,
        "the corrupt file must not be rewritten"
    );
}

#[test]
fn read_only_handles_refuse_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = db(dir.path());
    open(dir.path())
        .remember(&fact(project("p"), "read only fact"))
        .unwrap();
    let mut brain = Brain::open_read_only(&path, BrainSettings::default()).unwrap();
    assert_eq!(
        brain
            .route_task(&TaskContext::project("p"), "read only", 50)
            .unwrap()
            .summaries
            .len(),
        1
    );
    let err = brain.remember(&fact(project("p"), "x")).unwrap_err();
    assert!(matches!(err, BrainError::ReadOnly { .. }), "{err:?}");
    let missing = Brain::open_read_only(dir.path().join("nope.sqlite3"), BrainSettings::default())
        .unwrap_err();
    assert!(
        missing.to_string().contains("remember a fact first"),
        "{missing}"
    );
}

#[test]
fn stats_count_per_kind() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    brain.remember(&fact(Scope::Global, "g1")).unwrap();
    brain.remember(&fact(project("a"), "a1")).unwrap();
    brain.remember(&fact(project("b"), "b1")).unwrap();
    let mut low = fact(session("a", "s"), "s1");
    low.confidence = 0.1;
    brain.remember(&low).unwrap();
    let stats = brain.stats().unwrap();
    assert_eq!(stats.global.stored, 1);
    assert_eq!(stats.project.stored, 2);
    assert_eq!(stats.project.scopes, 2);
    assert_eq!(stats.session.stored, 1);
    assert_eq!(stats.session.usable, 0);
    assert_eq!(stats.session.below_threshold, 1);
    assert!(stats.database_bytes > 0);
}

#[test]
fn supersession_within_one_batch_matches_one_by_one() {
    let now = OffsetDateTime::now_utc();
    let batch: Vec<NewFact> = (0..5)
        .map(|i| {
            let mut f = fact(project("p"), &format!("the build server is host{i}"));
            f.subject = Some("build.server".into());
            if i == 3 {
                // Scheduled: takes over in two days.
                f.valid_from = Some(now + Duration::days(2));
            }
            f
        })
        .chain(std::iter::once({
            let mut other = fact(project("p"), "the cache server is cachehost");
            other.subject = Some("cache.server".into());
            other
        }))
        .collect();
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let mut together = open(dir_a.path());
    let mut one_by_one = open(dir_b.path());
    // A stored fact of the same subject that the batch must supersede.
    for brain in [&mut together, &mut one_by_one] {
        let mut old = fact(project("p"), "the build server is oldhost");
        old.subject = Some("build.server".into());
        brain.remember_as_of(&old, now - Duration::days(1)).unwrap();
    }
    let batch_result = together.remember_many_as_of(&batch, now).unwrap();
    let mut superseded = 0;
    for f in &batch {
        superseded += one_by_one.remember_as_of(f, now).unwrap().superseded;
    }
    assert_eq!(batch_result.stored, 6);
    assert!(batch_result.superseded >= 4, "{batch_result:?}");
    assert!(superseded >= batch_result.superseded);
    let task = TaskContext::project("p");
    for at in [now, now + Duration::days(3)] {
        let a = together.route_task_at(&task, "build", 1000, at).unwrap();
        let b = one_by_one.route_task_at(&task, "build", 1000, at).unwrap();
        assert_eq!(texts(&a), texts(&b), "at {at}");
        assert_eq!(a.summaries.len(), 1, "{a:#?}");
    }
    let today = together.route_task_at(&task, "build", 1000, now).unwrap();
    assert_eq!(texts(&today), vec!["the build server is host4"]);
    // host4 was recorded after the scheduled host3, so it supersedes host3
    // from host3's start: newer knowledge wins, host3 never holds.
    let later = together
        .route_task_at(&task, "build server", 1000, now + Duration::days(3))
        .unwrap();
    assert!(
        texts(&later).contains(&"the build server is host4"),
        "{later:#?}"
    );
    assert!(
        !texts(&later).iter().any(|t| t.contains("host3")),
        "{later:#?}"
    );
    together.check_integrity().unwrap();
}

/// Every stored fact carries its size as a summary, counted exactly as
/// route counts it, in small batches and in large ones (counted on a
/// second thread while rows are written).
#[test]
fn stored_token_counts_equal_the_summary_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = crate::common::open(dir.path());
    let texts = [
        "plain words",
        "  leading,\ttabs\nand   runs  of space  ",
        "unicode: naïve café — 東京 🙂",
        "code `cargo test -- --nocapture` && echo ok",
    ];
    for size in [1usize, 255, 256, 1_000] {
        let facts: Vec<agent_brain::NewFact> = (0..size)
            .map(|i| {
                crate::common::fact(
                    crate::common::project("p"),
                    &format!("{} #{i}{}", texts[i % texts.len()], " x".repeat(i % 7)),
                )
            })
            .collect();
        brain.remember_many(&facts).unwrap();
    }
    let counter = agent_brain::TokenCounter::cl100k();
    let conn = rusqlite::Connection::open(crate::common::db(dir.path())).unwrap();
    let mut rows = conn.prepare("SELECT content, tokens FROM facts").unwrap();
    let rows: Vec<(String, Option<i64>)> = rows
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(rows.len(), 1 + 255 + 256 + 1_000);
    for (content, tokens) in rows {
        let collapsed = content.split_whitespace().collect::<Vec<_>>().join(" ");
        assert_eq!(
            tokens,
            Some(counter.count(&collapsed) as i64),
            "{content:?}"
        );
    }
}
