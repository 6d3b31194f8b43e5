//! Words to index terms: the full-text index is partitioned by scope.
//!
//! A fact's words are lower-cased, split on anything that is not a letter or
//! digit, stop words dropped, and stemmed (Snowball English: `tests`,
//! `testing` → `test`). Each stem is then indexed as a term *of its scope*:
//! `t` + 16 hex digits of a 64-bit hash of (the scope's key, the stem). A
//! task's query asks only for the terms of the scopes it may see, so it
//! reads only those scopes' posting lists: its cost follows the size of its
//! own scopes, not of the whole store, and another scope's postings are
//! never even touched. (The SQL that follows still checks the scope columns:
//! the partition is the speed-up and a second wall, not the only one.)
//!
//! BM25 therefore weighs a word by its rarity within the scope, which is
//! what "relevant to this project" means. Hashes are FNV-1a, seeded with 64
//! bits of SHA-256 of the scope's names, and stable across builds and
//! platforms (a collision could only mis-rank, never widen access).

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;

use rust_stemmers::{Algorithm, Stemmer};
use sha2::{Digest as _, Sha256};

use crate::fact::ScopeKind;

/// Words too common to rank by (dropped from facts and from queries).
/// Function words: articles, auxiliaries and modals, pronouns, common
/// prepositions and conjunctions. Questions are made of them ("did she say
/// what they could…"): ranking by them ranks by grammar, not topic.
const STOP_WORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "done",
    "down",
    "during",
    "each",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "may",
    "me",
    "might",
    "more",
    "most",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "of",
    "off",
    "on",
    "once",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "please",
    "same",
    "shall",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "whose",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

/// Most words whose stem is remembered; the cache is emptied when full.
const STEM_CACHE: usize = 65_536;

/// Turns text into stems and stems into scoped index terms.
pub(crate) struct Terms {
    stemmer: Stemmer,
    /// word → stem: prose repeats its words, and Snowball is the slow part.
    cache: RefCell<HashMap<String, String>>,
}

impl Terms {
    pub(crate) fn new() -> Terms {
        Terms {
            stemmer: Stemmer::create(Algorithm::English),
            cache: RefCell::new(HashMap::new()),
        }
    }

    fn stem(&self, word: &str) -> String {
        let mut cache = self.cache.borrow_mut();
        if let Some(stem) = cache.get(word) {
            return stem.clone();
        }
        if cache.len() >= STEM_CACHE {
            cache.clear();
        }
        let stem = self.stemmer.stem(word).into_owned();
        cache.insert(word.to_owned(), stem.clone());
        stem
    }

    /// The distinct stems of `text`, in order of first appearance.
    pub(crate) fn stems(&self, text: &str) -> Vec<String> {
        let mut stems: Vec<String> = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            if word.is_empty() {
                continue;
            }
            let lower: Cow<str> = if word.chars().any(char::is_uppercase) {
                Cow::Owned(word.to_lowercase())
            } else {
                Cow::Borrowed(word)
            };
            if (lower.is_ascii() && lower.len() < 2) || STOP_WORDS.contains(&lower.as_ref()) {
                continue;
            }
            let stem = self.stem(&lower);
            if !stems.contains(&stem) {
                stems.push(stem);
            }
        }
        stems
    }

    /// The index text of `text` in the scope keyed `scope`: its scoped
    /// terms separated by spaces.
    pub(crate) fn index_text(&self, scope: u64, text: &str) -> String {
        let stems = self.stems(text);
        let mut out = String::with_capacity(stems.len() * 18);
        for stem in &stems {
            if !out.is_empty() {
                out.push(' ');
            }
            push_term(&mut out, scope, stem);
        }
        out
    }
}

/// 64 bits naming a scope in the index.
pub(crate) fn scope_key(kind: ScopeKind, project: &str, session: &str) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update([kind.code() as u8]);
    hasher.update(project.as_bytes());
    hasher.update([0]);
    hasher.update(session.as_bytes());
    let digest = hasher.finalize();
    let mut key = [0u8; 8];
    key.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(key)
}

/// The index term of `stem` in the scope keyed `scope`.
pub(crate) fn term(scope: u64, stem: &str) -> String {
    let mut out = String::with_capacity(17);
    push_term(&mut out, scope, stem);
    out
}

/// Appends [`term`]`(scope, stem)` to `out`.
fn push_term(out: &mut String, scope: u64, stem: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let hash = fnv1a(&[&scope.to_be_bytes(), stem.as_bytes()]);
    out.push('t');
    for shift in (0..16).rev() {
        out.push(char::from(HEX[((hash >> (shift * 4)) & 0xf) as usize]));
    }
}

/// FNV-1a, 64 bits, over the concatenation of `parts`.
pub(crate) fn fnv1a(parts: &[&[u8]]) -> u64 {
    parts
        .iter()
        .flat_map(|part| part.iter())
        .fold(0xcbf2_9ce4_8422_2325, |hash, b| {
            (hash ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stems_are_lowercased_stemmed_and_deduplicated() {
        let terms = Terms::new();
        assert_eq!(
            terms.stems("Testing the TESTS: run tests, deploying; a x Ünïcode"),
            vec!["test", "run", "deploy", "ünïcode"]
        );
        assert!(terms.stems("the a of * ( ) \"").is_empty());
    }

    #[test]
    fn terms_depend_on_the_scope() {
        let a = scope_key(ScopeKind::Project, "a", "");
        let b = scope_key(ScopeKind::Project, "b", "");
        let a_session = scope_key(ScopeKind::Session, "a", "");
        assert_ne!(term(a, "deploy"), term(b, "deploy"));
        assert_ne!(term(a, "deploy"), term(a_session, "deploy"));
        assert_eq!(term(a, "deploy"), term(a, "deploy"));
        assert_eq!(term(a, "deploy").len(), 17);
        // Stable across builds: a stored index must keep matching.
        assert_eq!(
            term(scope_key(ScopeKind::Project, "web", ""), "deploy"),
            "ta2d873cd7165e488"
        );
    }
}
