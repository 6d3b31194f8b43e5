//! Time in ranking: facts are as old as what they say (`valid_from`), and a
//! task that names a time finds the facts of that time.

use agent_brain::TaskContext;
use time::macros::datetime;
use time::OffsetDateTime;

use crate::common::{fact, open, project};

/// Wednesday 2024-03-13, 15:00 UTC: the query time of these tests.
const AT: OffsetDateTime = datetime!(2024-03-13 15:00 UTC);

fn remember_at(brain: &mut agent_brain::Brain, when: OffsetDateTime, text: &str) {
    let mut f = fact(project("p"), text);
    f.valid_from = Some(when);
    brain.remember(&f).expect("remember");
}

fn first(brain: &agent_brain::Brain, task: &str) -> Vec<String> {
    brain
        .route_task_at(&TaskContext::project("p"), task, 1000, AT)
        .expect("route")
        .summaries
        .into_iter()
        .map(|s| s.text)
        .collect()
}

fn staging(brain: &mut agent_brain::Brain) {
    remember_at(
        brain,
        datetime!(2024-02-10 10:00 UTC),
        "Moved the staging database to eu-west-1.",
    );
    remember_at(
        brain,
        datetime!(2024-03-05 09:30 UTC),
        "Rotated the staging database credentials after the audit.",
    );
    remember_at(
        brain,
        datetime!(2024-03-12 16:00 UTC),
        "Upgraded the staging database to Postgres 16.",
    );
}

#[test]
fn a_named_time_puts_the_facts_of_that_time_first() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    staging(&mut brain);
    // No time named: equal matches, the newest first.
    assert_eq!(
        first(&brain, "what did we do to the staging database")[0],
        "Upgraded the staging database to Postgres 16."
    );
    assert_eq!(
        first(&brain, "what did we do to the staging database last week")[0],
        "Rotated the staging database credentials after the audit."
    );
    assert_eq!(
        first(&brain, "what happened to the staging database in February")[0],
        "Moved the staging database to eu-west-1."
    );
    assert_eq!(
        first(&brain, "staging database changes on 12 March 2024")[0],
        "Upgraded the staging database to Postgres 16."
    );
}

#[test]
fn a_named_time_finds_facts_that_share_no_word_with_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    staging(&mut brain);
    remember_at(
        &mut brain,
        datetime!(2024-03-12 11:00 UTC),
        "Caroline joined the platform team.",
    );
    let found = first(&brain, "what happened yesterday");
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found.contains(&"Caroline joined the platform team.".to_owned()));
    assert!(found.contains(&"Upgraded the staging database to Postgres 16.".to_owned()));
}

#[test]
fn a_fact_no_longer_valid_at_the_query_time_is_not_found_by_its_time() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let mut f = fact(project("p"), "The release freeze is on.");
    f.valid_from = Some(datetime!(2024-03-05 09:00 UTC));
    f.invalid_at = Some(datetime!(2024-03-08 09:00 UTC));
    brain.remember(&f).unwrap();
    assert!(first(&brain, "what was decided last week").is_empty());
    // As of a time inside its validity, it is.
    let then = brain
        .route_task_at(
            &TaskContext::project("p"),
            "what was decided this week",
            100,
            datetime!(2024-03-06 12:00 UTC),
        )
        .unwrap();
    assert_eq!(then.summaries.len(), 1);
}

#[test]
fn another_scope_s_facts_of_that_time_stay_out() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = open(dir.path());
    let mut other = fact(project("q"), "Rotated the production keys.");
    other.valid_from = Some(datetime!(2024-03-12 10:00 UTC));
    brain.remember(&other).unwrap();
    assert!(first(&brain, "what happened yesterday").is_empty());
}
