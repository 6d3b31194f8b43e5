//! The vocabulary as llguidance sees it: a token trie over the bytes each
//! token stands for, with the markers no JSON document may contain kept out
//! of reach.

use std::sync::Arc;

use toktrie::{ApproximateTokEnv, TokEnv, TokRxInfo, TokTrie};

use crate::vocab::{TokenKind, Vocab};

use super::ConstrainError;

/// The trie's view of the vocabulary, and the ids the filter treats apart.
pub(super) struct Tokens {
    /// The tokenizer environment llguidance's parsers share.
    pub env: TokEnv,
    /// Tokens that end the reply (`eos` and the end-of-turn markers).
    pub ends: Vec<u32>,
    /// Tokens that are markers rather than text (control, unknown, unused)
    /// and do not end the reply: never let through.
    pub others: Vec<u32>,
}

impl Tokens {
    /// Builds the trie for `vocab`.
    ///
    /// Marker tokens get toktrie's special-token prefix (byte 0xFF, which no
    /// UTF-8 text contains), so no grammar over text can reach them: the
    /// control token `<|im_end|>` is `\xFF<|im_end|>` here, never the seven
    /// characters a JSON string could hold. A text token whose bytes begin
    /// with 0xFF (byte-level BPE has one, the raw byte) would read as a
    /// marker, and cannot occur in UTF-8 anyway: it gets no bytes, which the
    /// trie leaves out.
    pub fn new(vocab: &Vocab) -> Result<Tokens, ConstrainError> {
        let size = vocab.len();
        if size == 0 || vocab.bytes.len() != size || vocab.kinds.len() != size {
            return Err(ConstrainError::Vocabulary(format!(
                "{} tokens, {} byte strings and {} kinds",
                size,
                vocab.bytes.len(),
                vocab.kinds.len()
            )));
        }
        let vocab_size = u32::try_from(size).map_err(|_| {
            ConstrainError::Vocabulary(format!("{size} tokens are more than a u32 can count"))
        })?;
        let ends: Vec<u32> = vocab
            .end_of_turn
            .iter()
            .copied()
            .filter(|&t| t < vocab_size)
            .collect();
        if ends.is_empty() {
            return Err(ConstrainError::Vocabulary(
                "no end-of-sequence token inside the vocabulary".to_owned(),
            ));
        }
        let mut others = Vec::new();
        let mut words = Vec::with_capacity(size);
        for (id, (bytes, kind)) in vocab.bytes.iter().zip(&vocab.kinds).enumerate() {
            let is_end = ends.contains(&(id as u32));
            let word = if kind.is_text() && !is_end {
                if bytes.first() == Some(&TokTrie::SPECIAL_TOKEN_MARKER) {
                    Vec::new()
                } else {
                    bytes.clone()
                }
            } else {
                if !is_end {
                    others.push(id as u32);
                }
                let mut word = Vec::with_capacity(bytes.len() + 1);
                word.push(TokTrie::SPECIAL_TOKEN_MARKER);
                word.extend_from_slice(bytes);
                word
            };
            words.push(word);
        }
        let info = TokRxInfo {
            vocab_size,
            tok_eos: ends[0],
            tok_bos: vocab.bos.filter(|&t| t < vocab_size),
            tok_pad: None,
            tok_unk: vocab
                .kinds
                .iter()
                .position(|k| *k == TokenKind::Unknown)
                .map(|i| i as u32),
            tok_end_of_turn: ends.get(1).copied(),
        };
        // toktrie asserts its invariants (node counts, subtree sizes) rather
        // than returning errors; the vocabulary comes from a model file the
        // user named, so a broken one is an error here, not a crash.
        let trie = std::panic::catch_unwind(|| TokTrie::from(&info, &words).with_eos_tokens(&ends))
            .map_err(|panic| ConstrainError::Vocabulary(panic_message(&*panic)))?;
        let env: TokEnv = Arc::new(ApproximateTokEnv::new(trie));
        Ok(Tokens { env, ends, others })
    }
}

/// The text of a caught panic.
pub(super) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "the token trie could not be built".to_owned()
    }
}
