//! The sentence encoder against an independent implementation: token ids
//! and vectors from `scripts/minilm-reference.py` (HF `tokenizers` and a
//! float64 numpy forward pass written from the BERT architecture), stored in
//! `tests/data/minilm_reference.json`.

use std::sync::OnceLock;

use autonomic_llm::embed::SentenceEmbedder;

use crate::common::embedding_model_dir;

fn model() -> &'static SentenceEmbedder {
    static MODEL: OnceLock<SentenceEmbedder> = OnceLock::new();
    MODEL.get_or_init(|| SentenceEmbedder::load(&embedding_model_dir()).unwrap())
}

struct Case {
    text: String,
    embedding: Vec<f32>,
}

fn reference() -> (Vec<Case>, Vec<(usize, usize, f32)>) {
    let text = include_str!("../data/minilm_reference.json");
    let json: serde_json::Value = serde_json::from_str(text).unwrap();
    let cases = json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| Case {
            text: c["text"].as_str().unwrap().to_owned(),
            embedding: c["embedding"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect(),
        })
        .collect();
    let cosines = json["cosine"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_u64().unwrap() as usize,
                p[1].as_u64().unwrap() as usize,
                p[2].as_f64().unwrap() as f32,
            )
        })
        .collect();
    (cases, cosines)
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[test]
fn vectors_match_an_independent_forward_pass() {
    let (cases, _) = reference();
    let texts: Vec<&str> = cases.iter().map(|c| c.text.as_str()).collect();
    // All at once: one padded batch, so masking is exercised too (the
    // reference ran each text alone).
    let got = model().embed(&texts).unwrap();
    assert_eq!(got.len(), cases.len());
    for (case, vector) in cases.iter().zip(&got) {
        assert_eq!(vector.len(), 384);
        let worst = case
            .embedding
            .iter()
            .zip(vector)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 2e-4, "{:?}: max component error {worst}", case.text);
        let cos = dot(&case.embedding, vector);
        assert!(
            cos > 0.9999,
            "{:?}: cosine to the reference {cos}",
            case.text
        );
        let norm = dot(vector, vector).sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{:?}: norm {norm}", case.text);
    }
}

#[test]
fn one_text_alone_equals_the_same_text_in_a_padded_batch() {
    let alone = model().embed(&["Melanie: Luna and Oliver!"]).unwrap();
    let batch = model()
        .embed(&[
            "a much longer sentence that forces the short one to be padded a lot",
            "Melanie: Luna and Oliver!",
        ])
        .unwrap();
    let cos = dot(&alone[0], &batch[1]);
    assert!(cos > 0.99999, "{cos}");
}

#[test]
fn meaning_not_words_decides_similarity() {
    let (_, cosines) = reference();
    let (cases, _) = reference();
    for (i, j, expected) in cosines {
        let v = model()
            .embed(&[cases[i].text.as_str(), cases[j].text.as_str()])
            .unwrap();
        let cos = dot(&v[0], &v[1]);
        assert!(
            (cos - expected).abs() < 1e-3,
            "{i},{j}: {cos} vs {expected}"
        );
    }
    // A question and its answer share no content word but are close; the
    // same words about something else are not.
    let v = model()
        .embed(&[
            "What are Melanie's pets' names?",
            "Melanie: Luna and Oliver are my two cats!",
            "Melanie asked what the names of the streets were.",
            "The quarterly revenue report is due on Friday.",
        ])
        .unwrap();
    let answer = dot(&v[0], &v[1]);
    let unrelated = dot(&v[0], &v[3]);
    assert!(
        answer > unrelated + 0.2,
        "answer {answer}, unrelated {unrelated}"
    );
}

#[test]
fn a_text_beyond_the_window_is_truncated_not_refused() {
    let long = vec!["token"; 2_000].join(" ");
    let v = model().embed(&[long.as_str(), ""]).unwrap();
    assert_eq!(v[0].len(), 384);
    assert_eq!(v[1].len(), 384);
}

#[test]
fn a_missing_model_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = SentenceEmbedder::load(dir.path()).unwrap_err();
    assert!(err.to_string().contains("config.json"), "{err}");
    assert!(autonomic_core::Hint::hint(&err)
        .unwrap()
        .contains("autonomic brain fetch-model"));
}
