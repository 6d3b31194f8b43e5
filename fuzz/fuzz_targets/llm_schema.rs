//! Fuzzes JSON-schema constrained decoding with arbitrary schemas (a request
//! to `autonomic llm serve` carries one): the input, when it is JSON, is the
//! schema given to `Constrainer::filter` (built once over the real model's
//! vocabulary, found as for `llm_tokenize`), whose filter then masks one
//! step and accepts the first token it lets through, and to
//! `constrain::validate` against a few replies. Errors are fine, panics are
//! not.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use autonomic_llm::constrain::{self, Constrainer};
use autonomic_llm::fuzzing;
use autonomic_llm::vocab::Vocab;
use libfuzzer_sys::fuzz_target;

const MODEL: &str = "target/models/SmolLM2-135M-Instruct.Q4_1.gguf";

fn constrainer() -> &'static (Constrainer, usize) {
    static C: OnceLock<(Constrainer, usize)> = OnceLock::new();
    C.get_or_init(|| {
        let path = match std::env::var_os("AUTONOMIC_LLM_FUZZ_MODEL") {
            Some(p) => PathBuf::from(p),
            None => [PathBuf::from(MODEL), PathBuf::from("..").join(MODEL)]
                .into_iter()
                .find(|p| p.exists())
                .unwrap_or_else(|| PathBuf::from(MODEL)),
        };
        if !path.exists() {
            eprintln!(
                "llm_schema needs the real model: {} does not exist (run `autonomic llm fetch` \
                 or set AUTONOMIC_LLM_FUZZ_MODEL to a GGUF file)",
                path.display()
            );
            std::process::exit(2);
        }
        let content = fuzzing::gguf_header(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let vocab = Arc::new(Vocab::from_gguf(&content).expect("the model's vocabulary"));
        let len = vocab.len();
        (Constrainer::new(vocab).expect("the constrainer"), len)
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(schema) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let (constrainer, len) = constrainer();
    if let Ok(mut filter) = constrainer.filter(&schema) {
        let mut logits = vec![0f32; *len];
        if filter.mask(&mut logits).is_ok() {
            if let Some(token) = logits.iter().position(|l| l.is_finite()) {
                let _ = filter.accept(token as u32);
            }
        }
    }
    for reply in ["{}", "[]", "null", "\"x\"", "1", "{\"a\": [1, 2]}"] {
        let _ = constrain::validate(&schema, reply);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = constrain::validate(&schema, text);
    }
});
