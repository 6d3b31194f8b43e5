//! Fuzzes the embedded back-end's reading of a model file, which may come
//! from anywhere: arbitrary bytes as a GGUF file through candle's header
//! reader (as the crate guards it), the vocabulary (`Vocab::from_gguf`), the
//! tokenizer (`Tokenizer::from_gguf`) and the chat template
//! (`ChatTemplate::from_gguf`, rendered once), and the same bytes written to a file
//! for `read_header`'s own checks (whole file, architecture). A hostile file
//! gives an error, never a panic; run with `-rss_limit_mb=2048` so that an
//! allocation of gigabytes is a failure too.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use autonomic_llm::embedded::template::{ChatTemplate, Piece};
use autonomic_llm::embedded::tokenizer::Tokenizer;
use autonomic_llm::fuzzing;
use autonomic_llm::vocab::Vocab;
use libfuzzer_sys::fuzz_target;

/// A file in a private temporary directory, rewritten for every input.
fn model_path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("autonomic-llm-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create the fuzz temp dir");
        dir.join("model.gguf")
    })
}

/// candle's header reader panics on a few hostile headers
/// (`general.alignment = 0`); the crate catches those (`read_content`), but
/// libFuzzer's panic hook aborts before any unwinding: let panics raised in
/// that reader unwind to the crate's `catch_unwind`, abort on all others.
fn tolerate_caught_panics() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_reader = info
                .location()
                .is_some_and(|l| l.file().ends_with("quantized/gguf_file.rs"));
            if !in_reader {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|data: &[u8]| {
    tolerate_caught_panics();
    let path = model_path();
    if std::fs::write(path, data).is_ok() {
        if let Ok(content) = fuzzing::gguf_header(path) {
            let end = content
                .tensor_infos
                .values()
                .map(|i| content.tensor_data_offset.saturating_add(i.offset))
                .max()
                .unwrap_or(0);
            assert!(
                end <= data.len() as u64,
                "a tensor starts past the end of the file"
            );
        }
    }
    let Ok(content) = fuzzing::read_gguf(data) else {
        return;
    };
    let Ok(vocab) = Vocab::from_gguf(&content) else {
        return;
    };
    assert!(!vocab.is_empty());
    assert_eq!(vocab.bytes.len(), vocab.len());
    assert_eq!(vocab.kinds.len(), vocab.len());
    assert!((vocab.eos as usize) < vocab.len());
    assert!(vocab.bos.is_none_or(|b| (b as usize) < vocab.len()));
    assert!(vocab
        .end_of_turn
        .iter()
        .all(|&t| (t as usize) < vocab.len()));
    let vocab = Arc::new(vocab);
    if let Ok(template) = ChatTemplate::from_gguf(&content, &vocab) {
        let messages = [("system", "be brief"), ("user", "hi <|im_end|>")];
        if let Ok(pieces) = template.render_parts(&messages) {
            let contents: Vec<&str> = pieces
                .iter()
                .filter_map(|p| match p {
                    Piece::Content(c) => Some(c.as_str()),
                    Piece::Template(_) => None,
                })
                .collect();
            assert!(contents.iter().all(|c| messages.iter().any(|m| m.1 == *c)));
        }
    }
    if let Ok(tokenizer) = Tokenizer::from_gguf(&content, Arc::clone(&vocab)) {
        for text in [
            "hello world 123",
            "<|im_start|>user\nhi<|im_end|>",
            "é😀\u{4}",
        ] {
            let ids = tokenizer.encode(text);
            assert!(ids.iter().all(|&id| (id as usize) < vocab.len()));
            let _ = tokenizer.decode(&ids);
            let ids = tokenizer.encode_with_control(text);
            assert!(ids.iter().all(|&id| (id as usize) < vocab.len()));
        }
    }
});
