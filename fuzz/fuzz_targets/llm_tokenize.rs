//! Fuzzes the embedded back-end's tokenizer and chat template on arbitrary
//! text, with the real model's vocabulary, merges and template (the file at
//! `$AUTONOMIC_LLM_FUZZ_MODEL`, else `target/models/SmolLM2-135M-Instruct.Q4_1.gguf`
//! from the repository root or from `fuzz/`; only its header is read).
//!
//! Properties, for every valid UTF-8 input (other inputs are skipped):
//! - `encode` never yields a token that is not text (control, unknown,
//!   unused), whatever the text contains (`<|im_start|>` included);
//! - `decode(encode(text))` is exactly the bytes of `text` with every byte
//!   that has no single-byte token in the vocabulary removed (SmolLM2 has
//!   none for 0x04, as Hugging Face's BPE without an unknown token drops it),
//!   and nothing else changed;
//! - the template renders a system and a user message holding the text
//!   (split at the first NUL, if any) without error; `render_parts` gives
//!   each content back whole, in order, as `Piece::Content`, and its pieces
//!   joined are `render`'s output; the prompt tokens of a content piece
//!   (`encode`, as `Embedded::prompt_tokens` does) hold no control token,
//!   so content can never become a turn marker.
#![no_main]

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use autonomic_llm::embedded::template::{ChatTemplate, Piece};
use autonomic_llm::embedded::tokenizer::Tokenizer;
use autonomic_llm::fuzzing;
use autonomic_llm::vocab::{byte_alias, TokenKind, Vocab};
use libfuzzer_sys::fuzz_target;

const MODEL: &str = "target/models/SmolLM2-135M-Instruct.Q4_1.gguf";

struct Model {
    vocab: Arc<Vocab>,
    tokenizer: Tokenizer,
    template: ChatTemplate,
    /// Whether each byte has a single-byte token.
    representable: [bool; 256],
}

fn model() -> &'static Model {
    static MODEL_: OnceLock<Model> = OnceLock::new();
    MODEL_.get_or_init(|| {
        let path = match std::env::var_os("AUTONOMIC_LLM_FUZZ_MODEL") {
            Some(p) => PathBuf::from(p),
            None => [PathBuf::from(MODEL), PathBuf::from("..").join(MODEL)]
                .into_iter()
                .find(|p| p.exists())
                .unwrap_or_else(|| PathBuf::from(MODEL)),
        };
        if !path.exists() {
            eprintln!(
                "llm_tokenize needs the real model: {} does not exist (run `autonomic llm fetch` \
                 or set AUTONOMIC_LLM_FUZZ_MODEL to a GGUF file)",
                path.display()
            );
            std::process::exit(2);
        }
        let content = fuzzing::gguf_header(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let vocab = Arc::new(Vocab::from_gguf(&content).expect("the model's vocabulary"));
        let tokenizer =
            Tokenizer::from_gguf(&content, Arc::clone(&vocab)).expect("the model's tokenizer");
        let template =
            ChatTemplate::from_gguf(&content, &vocab).expect("the model's chat template");
        let mut representable = [false; 256];
        for (b, slot) in representable.iter_mut().enumerate() {
            *slot = vocab.id_of(&byte_alias(b as u8).to_string()).is_some();
        }
        Model {
            vocab,
            tokenizer,
            template,
            representable,
        }
    })
}

fn is_text(vocab: &Vocab, id: u32) -> bool {
    vocab
        .kinds
        .get(id as usize)
        .is_some_and(|k| matches!(k, TokenKind::Normal | TokenKind::Byte))
}

fn check_plain(m: &Model, text: &str) {
    let ids = m.tokenizer.encode(text);
    for &id in &ids {
        assert!(
            is_text(&m.vocab, id),
            "encode({text:?}) gave token {id} of kind {:?}",
            m.vocab.kinds.get(id as usize)
        );
    }
    let expected: Vec<u8> = text
        .bytes()
        .filter(|&b| m.representable[b as usize])
        .collect();
    let decoded = m.tokenizer.decode(&ids);
    assert!(
        decoded == expected,
        "decode(encode({text:?})) = {:?}",
        String::from_utf8_lossy(&decoded)
    );
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let m = model();
    check_plain(m, text);

    let (system, user) = text.split_once('\0').unwrap_or(("be brief", text));
    let messages = [("system", system), ("user", user)];
    let rendered = m.template.render(&messages).expect("the template renders");
    let pieces = m
        .template
        .render_parts(&messages)
        .expect("the template renders in parts");
    let joined: String = pieces
        .iter()
        .map(|p| match p {
            Piece::Template(t) | Piece::Content(t) => t.as_str(),
        })
        .collect();
    assert_eq!(joined, rendered, "render_parts does not add up to render");
    let contents: Vec<&str> = pieces
        .iter()
        .filter_map(|p| match p {
            Piece::Content(c) => Some(c.as_str()),
            Piece::Template(_) => None,
        })
        .collect();
    assert_eq!(contents, [system, user], "the contents came back changed");
    for piece in &pieces {
        if let Piece::Content(c) = piece {
            for id in m.tokenizer.encode(c) {
                assert!(
                    is_text(&m.vocab, id),
                    "content {c:?} became token {id} ({:?})",
                    m.vocab.kinds.get(id as usize)
                );
            }
        }
    }
});
