//! Byte-level BPE built from a GGUF file's own metadata: the vocabulary
//! ([`Vocab`]), `tokenizer.ggml.merges` and the pre-tokenizer
//! `tokenizer.ggml.pre` names.
//!
//! Encoding splits text into words with the pre-tokenizer's regex, maps
//! each word's bytes to their single-byte tokens and applies merges by rank
//! (lowest first) until none applies; words already seen are cached.
//! Control tokens (`<|im_start|>`) are recognised only where the caller says
//! so ([`Tokenizer::encode_with_control`]): the chat template's markers, never
//! a user's text, which [`Tokenizer::encode`] always treats as plain text.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use candle_core::quantized::gguf_file::Content;
use fancy_regex::Regex;

use crate::vocab::{TokenKind, Vocab};

/// GPT-2's pre-tokenizer regex.
const GPT2_PATTERN: &str =
    r"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

/// Words cached at most (then the cache is cleared).
const CACHE_LIMIT: usize = 50_000;

/// How text is cut into words before BPE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreTokenizer {
    /// `smollm`: every ASCII digit on its own, then GPT-2's regex.
    SmolLm,
    /// `gpt2` / `default`: GPT-2's regex.
    Gpt2,
}

impl PreTokenizer {
    /// The pre-tokenizer `tokenizer.ggml.pre` names; `None` for unknown names.
    pub fn from_name(name: &str) -> Option<PreTokenizer> {
        match name {
            "smollm" => Some(PreTokenizer::SmolLm),
            "gpt2" | "default" => Some(PreTokenizer::Gpt2),
            _ => None,
        }
    }
}

/// Why a tokenizer cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenizerBuildError {
    /// `tokenizer.ggml.pre` names an unknown pre-tokenizer.
    UnknownPre(String),
    /// The merges are missing or malformed.
    Merges(String),
}

/// A byte-level BPE tokenizer.
pub struct Tokenizer {
    vocab: Arc<Vocab>,
    pre: PreTokenizer,
    regex: Regex,
    /// (left, right) → (rank, merged).
    merges: HashMap<(u32, u32), (u32, u32)>,
    /// The token of each single byte; a few control bytes have none in
    /// some vocabularies (SmolLM2 lacks 0x04, for one) and are dropped, as
    /// Hugging Face's BPE without an unknown token does.
    byte_ids: [Option<u32>; 256],
    /// Control tokens by text, longest first.
    controls: Vec<(String, u32)>,
    cache: Mutex<HashMap<Vec<u8>, Vec<u32>>>,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer")
            .field("vocab", &self.vocab.len())
            .field("pre", &self.pre)
            .field("merges", &self.merges.len())
            .finish_non_exhaustive()
    }
}

impl Tokenizer {
    /// Builds the tokenizer from a GGUF file's metadata and its vocabulary.
    pub fn from_gguf(
        content: &Content,
        vocab: Arc<Vocab>,
    ) -> Result<Tokenizer, TokenizerBuildError> {
        let pre_name = content
            .metadata
            .get("tokenizer.ggml.pre")
            .and_then(|v| v.to_string().ok())
            .map_or("default", String::as_str);
        let pre = PreTokenizer::from_name(pre_name)
            .ok_or_else(|| TokenizerBuildError::UnknownPre(pre_name.to_owned()))?;
        let merges = content
            .metadata
            .get("tokenizer.ggml.merges")
            .ok_or_else(|| {
                TokenizerBuildError::Merges("`tokenizer.ggml.merges` is missing".to_owned())
            })?
            .to_vec()
            .map_err(|e| TokenizerBuildError::Merges(e.to_string()))?
            .iter()
            .map(|v| v.to_string().cloned())
            .collect::<Result<Vec<String>, _>>()
            .map_err(|e| TokenizerBuildError::Merges(e.to_string()))?;
        Tokenizer::new(vocab, &merges, pre)
    }

    /// Builds the tokenizer from a vocabulary, merges (`"Ġ t"` lines) and a
    /// pre-tokenizer.
    pub fn new(
        vocab: Arc<Vocab>,
        merges: &[String],
        pre: PreTokenizer,
    ) -> Result<Tokenizer, TokenizerBuildError> {
        let ids: HashMap<&str, u32> = vocab
            .pieces
            .iter()
            .enumerate()
            .map(|(i, p)| (p.as_str(), i as u32))
            .collect();
        let mut byte_ids = [None; 256];
        for (b, slot) in byte_ids.iter_mut().enumerate() {
            let alias = crate::vocab::byte_alias(b as u8).to_string();
            *slot = ids.get(alias.as_str()).copied();
        }
        if byte_ids.iter().filter(|id| id.is_some()).count() < 200 {
            return Err(TokenizerBuildError::Merges(
                "the vocabulary is not byte-level: most single bytes have no token".to_owned(),
            ));
        }
        let mut table = HashMap::with_capacity(merges.len());
        for (rank, line) in merges.iter().enumerate() {
            let (left, right) = line.split_once(' ').ok_or_else(|| {
                TokenizerBuildError::Merges(format!("merge {rank} `{line}` is not two pieces"))
            })?;
            let merged = format!("{left}{right}");
            let (Some(&l), Some(&r), Some(&m)) =
                (ids.get(left), ids.get(right), ids.get(merged.as_str()))
            else {
                return Err(TokenizerBuildError::Merges(format!(
                    "merge {rank} `{line}` names a piece outside the vocabulary"
                )));
            };
            table.entry((l, r)).or_insert((rank as u32, m));
        }
        let mut controls: Vec<(String, u32)> = vocab
            .kinds
            .iter()
            .enumerate()
            .filter(|(_, k)| matches!(k, TokenKind::Control | TokenKind::UserDefined))
            .filter_map(|(i, _)| {
                let text = vocab.pieces[i].clone();
                (!text.is_empty()).then_some((text, i as u32))
            })
            .collect();
        controls.sort_by_key(|c| std::cmp::Reverse(c.0.len()));
        let regex = Regex::new(GPT2_PATTERN)
            .map_err(|e| TokenizerBuildError::Merges(format!("the pre-tokenizer regex: {e}")))?;
        Ok(Tokenizer {
            vocab,
            pre,
            regex,
            merges: table,
            byte_ids,
            controls,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// The vocabulary.
    pub fn vocab(&self) -> &Arc<Vocab> {
        &self.vocab
    }

    /// The pre-tokenizer in use.
    pub fn pre_tokenizer(&self) -> PreTokenizer {
        self.pre
    }

    /// Encodes `text` as plain text: a control token's text inside it is
    /// encoded as ordinary characters.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        match self.pre {
            PreTokenizer::Gpt2 => self.encode_regex(text, &mut out),
            PreTokenizer::SmolLm => {
                let mut rest = text;
                while let Some(at) = rest.find(|c: char| c.is_ascii_digit()) {
                    self.encode_regex(&rest[..at], &mut out);
                    self.encode_word(&rest.as_bytes()[at..at + 1], &mut out);
                    rest = &rest[at + 1..];
                }
                self.encode_regex(rest, &mut out);
            }
        }
        out
    }

    /// Encodes `text`, turning the vocabulary's control tokens
    /// (`<|im_start|>`) into their ids: for text the program wrote (a chat
    /// template's markers), never for a user's.
    pub fn encode_with_control(&self, text: &str) -> Vec<u32> {
        let mut out = Vec::new();
        let mut plain_start = 0;
        let mut i = 0;
        let bytes = text.as_bytes();
        while i < bytes.len() {
            let hit = if bytes[i] == b'<' {
                self.controls
                    .iter()
                    .find(|(t, _)| text[i..].starts_with(t.as_str()))
            } else {
                None
            };
            match hit {
                Some((t, id)) => {
                    out.extend(self.encode(&text[plain_start..i]));
                    out.push(*id);
                    i += t.len();
                    plain_start = i;
                }
                None => i += 1,
            }
        }
        out.extend(self.encode(&text[plain_start..]));
        out
    }

    /// The bytes tokens stand for (control tokens as their text).
    pub fn decode(&self, ids: &[u32]) -> Vec<u8> {
        let mut out = Vec::new();
        for &id in ids {
            if let Some(b) = self.vocab.bytes.get(id as usize) {
                out.extend_from_slice(b);
            }
        }
        out
    }

    fn encode_regex(&self, text: &str, out: &mut Vec<u32>) {
        if text.is_empty() {
            return;
        }
        let mut at = 0;
        for found in self.regex.find_iter(text) {
            match found {
                Ok(m) => {
                    self.encode_word(m.as_str().as_bytes(), out);
                    at = m.end();
                }
                Err(e) => {
                    // Backtracking limit: encode the rest as one word (never
                    // reached with this pattern, whose look-ahead is one char).
                    tracing::warn!(error = %e, "pre-tokenizer regex gave up; encoding the rest whole");
                    break;
                }
            }
        }
        if at < text.len() {
            self.encode_word(&text.as_bytes()[at..], out);
        }
    }

    fn encode_word(&self, word: &[u8], out: &mut Vec<u32>) {
        if let Ok(cache) = self.cache.lock() {
            if let Some(ids) = cache.get(word) {
                out.extend_from_slice(ids);
                return;
            }
        }
        let ids = self.bpe(word);
        out.extend_from_slice(&ids);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= CACHE_LIMIT {
                cache.clear();
            }
            cache.insert(word.to_vec(), ids);
        }
    }

    /// Merges the word's byte tokens, lowest rank first.
    fn bpe(&self, word: &[u8]) -> Vec<u32> {
        let mut ids: Vec<u32> = word
            .iter()
            .filter_map(|&b| self.byte_ids[b as usize])
            .collect();
        loop {
            // (rank, left, right, merged) of the lowest-ranked adjacent pair.
            let mut best: Option<(u32, u32, u32, u32)> = None;
            for pair in ids.windows(2) {
                if let Some(&(rank, merged)) = self.merges.get(&(pair[0], pair[1])) {
                    if best.is_none_or(|(r, ..)| rank < r) {
                        best = Some((rank, pair[0], pair[1], merged));
                    }
                }
            }
            let Some((_, l, r, merged)) = best else {
                return ids;
            };
            // Apply every occurrence of this pair, left to right.
            let mut next = Vec::with_capacity(ids.len());
            let mut i = 0;
            while i < ids.len() {
                if i + 1 < ids.len() && ids[i] == l && ids[i + 1] == r {
                    next.push(merged);
                    i += 2;
                } else {
                    next.push(ids[i]);
                    i += 1;
                }
            }
            ids = next;
        }
    }
}

/// Turns a stream of token bytes into text, emitting only complete UTF-8
/// (a character split over two tokens comes out whole with the second).
#[derive(Debug, Default)]
pub struct Utf8Stream {
    pending: Vec<u8>,
}

impl Utf8Stream {
    /// Adds bytes; returns the text that is now complete.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        self.pending.extend_from_slice(bytes);
        let mut out = String::new();
        loop {
            match std::str::from_utf8(&self.pending) {
                Ok(s) => {
                    out.push_str(s);
                    self.pending.clear();
                    return out;
                }
                Err(e) => {
                    let valid = e.valid_up_to();
                    // from_utf8 just said these bytes are valid.
                    out.push_str(&String::from_utf8_lossy(&self.pending[..valid]));
                    match e.error_len() {
                        // An incomplete sequence at the end: wait for more.
                        None => {
                            self.pending.drain(..valid);
                            return out;
                        }
                        Some(bad) => {
                            out.push(char::REPLACEMENT_CHARACTER);
                            self.pending.drain(..valid + bad);
                        }
                    }
                }
            }
        }
    }

    /// What is left at the end (an incomplete character becomes U+FFFD).
    pub fn finish(&mut self) -> String {
        let out = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_stream_holds_split_characters() {
        let mut s = Utf8Stream::default();
        let e = "é".as_bytes();
        assert_eq!(s.push(b"caf"), "caf");
        assert_eq!(s.push(&e[..1]), "");
        assert_eq!(s.push(&e[1..]), "é");
        assert_eq!(s.push(&[0xff, b'a']), "\u{FFFD}a");
        assert_eq!(s.push(&"😀".as_bytes()[..2]), "");
        assert_eq!(s.finish(), "\u{FFFD}");
    }

    #[test]
    fn pre_tokenizer_names() {
        assert_eq!(
            PreTokenizer::from_name("smollm"),
            Some(PreTokenizer::SmolLm)
        );
        assert_eq!(PreTokenizer::from_name("default"), Some(PreTokenizer::Gpt2));
        assert_eq!(PreTokenizer::from_name("llama-bpe"), None);
    }
}
