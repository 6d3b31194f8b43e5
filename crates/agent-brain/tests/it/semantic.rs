//! Semantic retrieval: what meaning finds that words miss (on the real
//! all-MiniLM-L6-v2), and the store's vector bookkeeping (on a stand-in
//! encoder where the model does not matter).

use std::sync::Arc;

use agent_brain::{Brain, BrainError, BrainSettings, Embedder, NewFact, TaskContext};
use time::{Duration, OffsetDateTime};

use crate::common::{db, fact, project, real_encoder, WordHashEmbedder};

fn texts(brain: &Brain, task: &str, budget: usize) -> Vec<String> {
    brain
        .route_task(&TaskContext::project("p"), task, budget)
        .expect("route")
        .summaries
        .into_iter()
        .map(|s| s.text)
        .collect()
}

/// Forty facts by the same speaker (her name is the task's only word that
/// any fact holds), one of them the answer in other words.
fn conversation() -> Vec<NewFact> {
    let topics = [
        "went to a pottery class on Tuesday and made a bowl",
        "thinks the new library downtown is beautiful",
        "is training for a half marathon in the spring",
        "painted the kitchen a pale shade of green",
        "started reading a novel about sailors",
        "visited her grandmother at the coast last weekend",
        "is learning to play the violin",
        "bought a new bicycle for commuting",
        "volunteers at the food bank on Saturdays",
        "cooked lasagna for the whole family",
    ];
    let mut facts: Vec<NewFact> = (0..40)
        .map(|i| {
            fact(
                project("p"),
                &format!("Melanie: {} ({i})", topics[i % topics.len()]),
            )
        })
        .collect();
    facts.insert(
        23,
        fact(
            project("p"),
            "Melanie: Luna and Oliver are my two cats, they sleep all day.",
        ),
    );
    facts
}

#[test]
fn meaning_finds_the_answer_that_shares_no_word_with_the_question() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    brain.remember_many(&conversation()).unwrap();
    let question = "What are Melanie's pets' names?";
    let answer = "Melanie: Luna and Oliver are my two cats, they sleep all day.";
    // Words alone: every fact holds "Melanie" and nothing else of the
    // question, so the answer is one of 41 ties.
    let words = brain
        .route_task(&TaskContext::project("p"), question, 1000)
        .unwrap();
    assert!(!words.semantic);
    assert!(words
        .summaries
        .iter()
        .all(|s| s.score == words.summaries[0].score));

    let encoder = real_encoder();
    let done = brain
        .embed_pending(encoder.as_ref(), None, &|| false, &mut |_, _| {})
        .unwrap();
    assert_eq!(done.embedded, 41);
    brain.set_embedder(Some(encoder));
    let routed = brain
        .route_task(&TaskContext::project("p"), question, 60)
        .unwrap();
    assert!(routed.semantic);
    assert_eq!(routed.summaries[0].text, answer, "{:#?}", routed.summaries);
}

#[test]
fn a_fact_without_a_vector_yet_is_still_found_by_its_words() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    brain.remember_many(&conversation()).unwrap();
    let encoder = real_encoder();
    brain
        .embed_pending(encoder.as_ref(), None, &|| false, &mut |_, _| {})
        .unwrap();
    brain.set_embedder(Some(encoder));
    brain
        .remember(&fact(
            project("p"),
            "The staging cluster's kubeconfig lives in vault at secret/k8s/staging.",
        ))
        .unwrap();
    assert_eq!(brain.vector_stats().unwrap().pending, 1);
    let found = texts(&brain, "where is the kubeconfig for staging", 40);
    assert_eq!(
        found.first().map(String::as_str),
        Some("The staging cluster's kubeconfig lives in vault at secret/k8s/staging.")
    );
}

#[test]
fn embedding_covers_facts_that_still_hold_once_and_in_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    let now = OffsetDateTime::now_utc();
    let mut facts: Vec<NewFact> = (0..150)
        .map(|i| fact(project("p"), &format!("deploy note number {i}")))
        .collect();
    let mut expired = fact(project("p"), "an expired note");
    expired.valid_from = Some(now - Duration::days(2));
    expired.invalid_at = Some(now - Duration::days(1));
    facts.push(expired);
    let mut future = fact(project("p"), "a note valid from tomorrow");
    future.valid_from = Some(now + Duration::days(1));
    facts.push(future);
    brain.remember_many(&facts).unwrap();
    let embedder = WordHashEmbedder::new();
    let mut seen = Vec::new();
    let first = brain
        .embed_pending(&embedder, Some(100), &|| false, &mut |done, total| {
            seen.push((done, total))
        })
        .unwrap();
    assert_eq!((first.embedded, first.remaining), (100, 51));
    assert_eq!(seen, vec![(64, 100), (100, 100)]);
    let rest = brain
        .embed_pending(&embedder, None, &|| false, &mut |_, _| {})
        .unwrap();
    assert_eq!((rest.embedded, rest.remaining), (51, 0));
    let again = brain
        .embed_pending(&embedder, None, &|| false, &mut |_, _| {})
        .unwrap();
    assert_eq!(again.embedded, 0);
    let stats = brain.vector_stats().unwrap();
    assert_eq!(stats.embedded, 151);
    assert_eq!(stats.bytes, 151 * (4 + 64));
    assert_eq!(stats.model.as_deref(), Some("test-word-hash"));
}

#[test]
fn a_stop_request_ends_embedding_between_batches() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    let facts: Vec<NewFact> = (0..200)
        .map(|i| fact(project("p"), &format!("note {i}")))
        .collect();
    brain.remember_many(&facts).unwrap();
    let batches = std::cell::Cell::new(0);
    let report = brain
        .embed_pending(
            &WordHashEmbedder::new(),
            None,
            &|| batches.get() >= 1,
            &mut |_, _| batches.set(batches.get() + 1),
        )
        .unwrap();
    assert!(report.interrupted);
    assert_eq!((report.embedded, report.remaining), (64, 136));
}

#[test]
fn vectors_of_another_model_are_never_compared_and_are_remade() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    brain.remember_many(&conversation()).unwrap();
    brain
        .embed_pending(&WordHashEmbedder::new(), None, &|| false, &mut |_, _| {})
        .unwrap();
    let real = real_encoder();
    brain.set_embedder(Some(Arc::clone(&real)));
    // The store has no vector of the real model yet: words alone.
    let before = brain
        .route_task(&TaskContext::project("p"), "Melanie's pets", 100)
        .unwrap();
    assert!(!before.semantic);
    let redone = brain
        .embed_pending(real.as_ref(), None, &|| false, &mut |_, _| {})
        .unwrap();
    assert_eq!(redone.embedded, 41);
    let after = brain
        .route_task(&TaskContext::project("p"), "Melanie's pets", 100)
        .unwrap();
    assert!(after.semantic);
}

#[derive(Debug)]
struct Broken(&'static str);

impl Embedder for Broken {
    fn name(&self) -> &str {
        "test-word-hash"
    }
    fn dims(&self) -> usize {
        64
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, String> {
        match self.0 {
            "nan" => Ok(texts.iter().map(|_| vec![f32::NAN; 64]).collect()),
            "short" => Ok(texts.iter().map(|_| vec![0.1; 3]).collect()),
            "few" => Ok(Vec::new()),
            _ => Err("the model crashed".to_owned()),
        }
    }
}

#[test]
fn a_model_that_fails_or_misbehaves_stores_nothing_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    brain
        .remember_many(&[fact(project("p"), "one"), fact(project("p"), "two")])
        .unwrap();
    for (how, says) in [
        ("nan", "all finite"),
        ("short", "a vector of 3 values"),
        ("few", "0 vectors for 2 texts"),
        ("error", "the model crashed"),
    ] {
        let err = brain
            .embed_pending(&Broken(how), None, &|| false, &mut |_, _| {})
            .unwrap_err();
        assert!(matches!(err, BrainError::Embed { .. }), "{how}: {err:?}");
        assert!(err.to_string().contains(says), "{how}: {err}");
        assert_eq!(brain.vector_stats().unwrap().embedded, 0, "{how}");
    }
    // Same name, other width: refused, the stored vectors kept.
    brain
        .embed_pending(&WordHashEmbedder::new(), None, &|| false, &mut |_, _| {})
        .unwrap();
    let wide = WordHashEmbedder {
        name: "test-word-hash",
        dims: 128,
    };
    let err = brain
        .embed_pending(&wide, None, &|| false, &mut |_, _| {})
        .unwrap_err();
    assert!(err.to_string().contains("64 dimensions"), "{err}");
    assert_eq!(brain.vector_stats().unwrap().embedded, 2);
}

#[test]
fn a_semantic_match_below_the_threshold_is_not_routed() {
    let dir = tempfile::tempdir().unwrap();
    let settings = BrainSettings {
        min_similarity: 0.3,
        ..BrainSettings::default()
    };
    let mut brain = Brain::open(db(dir.path()), settings).unwrap();
    brain
        .remember_many(&[
            fact(project("p"), "Melanie: Luna and Oliver are my two cats."),
            fact(
                project("p"),
                "The quarterly revenue report is due on Friday.",
            ),
        ])
        .unwrap();
    let encoder = real_encoder();
    brain
        .embed_pending(encoder.as_ref(), None, &|| false, &mut |_, _| {})
        .unwrap();
    brain.set_embedder(Some(encoder));
    // Cosines (measured): 0.41 to the cats, 0.00 to the report; neither
    // shares a word with the task.
    let found = texts(&brain, "what pets does she have at home", 200);
    assert_eq!(found, vec!["Melanie: Luna and Oliver are my two cats."]);
}

#[test]
fn deleted_facts_take_their_vectors_with_them() {
    let dir = tempfile::tempdir().unwrap();
    let mut brain = Brain::open(db(dir.path()), BrainSettings::default()).unwrap();
    let now = OffsetDateTime::now_utc();
    let mut facts: Vec<NewFact> = (0..10)
        .map(|i| fact(project("p"), &format!("kept note {i}")))
        .collect();
    for i in 0..5 {
        let mut old = fact(project("p"), &format!("old note {i}"));
        old.valid_from = Some(now - Duration::days(30));
        old.invalid_at = Some(now + Duration::seconds(1));
        facts.push(old);
    }
    brain.remember_many(&facts).unwrap();
    brain
        .embed_pending(&WordHashEmbedder::new(), None, &|| false, &mut |_, _| {})
        .unwrap();
    assert_eq!(brain.vector_stats().unwrap().embedded, 15);
    let policy = agent_brain::PrunePolicy {
        grace: Duration::ZERO,
        capacity: agent_brain::Capacity {
            global: 1000,
            project: 1000,
            session: 1000,
        },
        archive_dir: dir.path().join("archive"),
        batch_rows: 100,
    };
    let report = brain
        .prune_observed(&policy, now + Duration::days(1), &|| false, &mut |_| {})
        .unwrap();
    assert_eq!(report.expired_deleted, 5);
    let conn = rusqlite::Connection::open(db(dir.path())).unwrap();
    let vectors: i64 = conn
        .query_row("SELECT count(*) FROM fact_vectors", [], |r| r.get(0))
        .unwrap();
    assert_eq!(vectors, 10);
}
