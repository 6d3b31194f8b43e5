//! Property: a task never sees a fact it is not entitled to.
//!
//! Random facts across projects and sessions each carry a unique canary
//! token (`cnryNNNN`) and a few shared words; random tasks ask with shared
//! words and canaries (their own and others'). No canary of an invisible
//! scope, of an expired or not-yet-valid fact, or of a fact below the
//! threshold may appear, and the budget is never exceeded. Half the cases
//! rank by meaning too (a stand-in encoder that gives texts with the same
//! words the same vector, every vector admitted): a canary of another scope
//! is then a perfect semantic match for a task that names it, and must still
//! not cross.

use std::collections::HashMap;

use agent_brain::{Brain, BrainSettings, NewFact, Scope, TaskContext, TokenCounter};
use proptest::prelude::*;
use time::{Duration, OffsetDateTime};

const WORDS: &[&str] = &[
    "deploy", "build", "test", "cache", "token", "secret", "database", "cluster", "release",
    "branch", "lint", "format", "docker", "kernel", "queue",
];

#[derive(Debug, Clone)]
struct FactSpec {
    kind: u8,
    project: u8,
    session: u8,
    words: Vec<usize>,
    confidence: f64,
    /// 0: always valid, 1: expired, 2: not yet valid, 3: valid window around now.
    validity: u8,
}

fn fact_spec() -> impl Strategy<Value = FactSpec> {
    (
        0u8..3,
        0u8..6,
        0u8..4,
        proptest::collection::vec(0..WORDS.len(), 1..5),
        prop_oneof![Just(0.0), Just(0.29), Just(0.3), 0.0f64..=1.0, Just(1.0)],
        0u8..4,
    )
        .prop_map(
            |(kind, project, session, words, confidence, validity)| FactSpec {
                kind,
                project,
                session,
                words,
                confidence,
                validity,
            },
        )
}

#[derive(Debug, Clone)]
struct TaskSpec {
    project: u8,
    session: Option<u8>,
    words: Vec<usize>,
    canaries: Vec<usize>,
    budget: usize,
}

fn task_spec() -> impl Strategy<Value = TaskSpec> {
    (
        0u8..6,
        proptest::option::of(0u8..4),
        proptest::collection::vec(0..WORDS.len(), 0..6),
        proptest::collection::vec(0usize..200, 0..8),
        prop_oneof![1usize..20, 20usize..200, 200usize..5000],
    )
        .prop_map(|(project, session, words, canaries, budget)| TaskSpec {
            project,
            session,
            words,
            canaries,
            budget,
        })
}

fn scope_of(spec: &FactSpec) -> Scope {
    // Project names that are prefixes of each other and that look like query
    // syntax, to tempt any string-matching shortcut.
    let project = ["p", "p1", "p10", "P1", "p\"1", "p OR 1"][spec.project as usize].to_owned();
    match spec.kind {
        0 => Scope::Global,
        1 => Scope::Project(project),
        _ => Scope::Session {
            project,
            session: format!("s{}", spec.session),
        },
    }
}

fn project_name(index: u8) -> String {
    ["p", "p1", "p10", "P1", "p\"1", "p OR 1"][index as usize].to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_canary_leaks(facts in proptest::collection::vec(fact_spec(), 1..120),
                       tasks in proptest::collection::vec(task_spec(), 1..12),
                       threshold in prop_oneof![Just(0.3), 0.0f64..=1.0],
                       semantic in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let settings = BrainSettings { confidence_threshold: threshold, min_similarity: 0.0, ..BrainSettings::default() };
        let mut brain = Brain::open(dir.path().join("b.sqlite3"), settings).unwrap();
        let now = OffsetDateTime::now_utc();
        let mut canary_owner: HashMap<String, FactSpec> = HashMap::new();
        let mut batch = Vec::new();
        for (i, spec) in facts.iter().enumerate() {
            let canary = format!("cnry{i:04}");
            let mut content: Vec<&str> = spec.words.iter().map(|w| WORDS[*w]).collect();
            content.push(&canary);
            let mut fact = NewFact::new(scope_of(spec), content.join(" "));
            fact.confidence = spec.confidence;
            match spec.validity {
                1 => { fact.valid_from = Some(now - Duration::days(3)); fact.invalid_at = Some(now - Duration::seconds(1)); }
                2 => { fact.valid_from = Some(now + Duration::hours(1)); }
                3 => { fact.valid_from = Some(now - Duration::hours(1)); fact.invalid_at = Some(now + Duration::days(1)); }
                _ => {}
            }
            batch.push(fact);
            canary_owner.insert(canary, spec.clone());
        }
        brain.remember_many(&batch).unwrap();
        if semantic {
            let embedder = std::sync::Arc::new(crate::common::WordHashEmbedder::new());
            brain.embed_pending(embedder.as_ref(), None, &|| false, &mut |_, _| {}).unwrap();
            brain.set_embedder(Some(embedder));
        }
        let counter = TokenCounter::cl100k();

        for task in &tasks {
            let project = project_name(task.project);
            let session = task.session.map(|s| format!("s{s}"));
            let context = TaskContext { project: project.clone(), session: session.clone() };
            let mut text: Vec<String> = task.words.iter().map(|w| WORDS[*w].to_owned()).collect();
            text.extend(task.canaries.iter().map(|c| format!("cnry{c:04}")));
            let routed = brain.route_task_at(&context, &text.join(" "), task.budget, now).unwrap();
            prop_assert!(routed.tokens_used <= task.budget);
            prop_assert_eq!(routed.semantic, semantic && !text.is_empty());
            let mut total = 0;
            for summary in &routed.summaries {
                total += counter.count(&summary.text);
                let canary = summary.text.split(' ').find(|w| w.starts_with("cnry")).unwrap();
                let owner = &canary_owner[canary];
                let visible = match scope_of(owner) {
                    Scope::Global => true,
                    Scope::Project(p) => p == project,
                    Scope::Session { project: p, session: s } => p == project && Some(s) == session,
                };
                prop_assert!(visible, "{canary} from {:?} leaked to {context:?}", scope_of(owner));
                prop_assert!(owner.validity == 0 || owner.validity == 3, "{canary} outside its validity");
                prop_assert!(owner.confidence >= threshold, "{canary} below threshold");
                prop_assert_eq!(summary.scope, scope_of(owner).kind());
            }
            prop_assert_eq!(total, routed.tokens_used);
        }
    }
}

/// The positive side of the property: a visible, valid, confident fact that
/// matches and fits is returned (so the property above is not vacuous).
#[test]
fn visible_facts_are_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(dir.path().join("b.sqlite3"), BrainSettings::default()).unwrap();
    for p in 0..6u8 {
        for s in 0..4u8 {
            let spec = FactSpec {
                kind: 2,
                project: p,
                session: s,
                words: vec![0],
                confidence: 0.9,
                validity: 0,
            };
            brain
                .remember(&NewFact::new(scope_of(&spec), format!("deploy cnry{p}{s}")))
                .unwrap();
        }
    }
    for p in 0..6u8 {
        for s in 0..4u8 {
            let task = TaskContext {
                project: project_name(p),
                session: Some(format!("s{s}")),
            };
            let routed = brain.route_task(&task, "deploy", 1000).unwrap();
            let texts: Vec<&str> = routed.summaries.iter().map(|x| x.text.as_str()).collect();
            assert_eq!(texts, vec![format!("deploy cnry{p}{s}")], "{task:?}");
        }
    }
}
