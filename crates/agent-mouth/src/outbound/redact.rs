//! Building the redacted text: every hidden range becomes `…[redacted]`,
//! and so does every other occurrence of the text it hides (a secret found
//! once, say by the key naming it, must not survive where it is repeated
//! without that context); overlapping and touching ranges are merged
//! first so nothing of a secret survives between two matches. Owns nothing
//! else.

use std::ops::Range;

/// What stands in for hidden text.
pub(crate) const MARK: &str = "…[redacted]";

/// Most distinct hidden texts looked for again in one message (each costs
/// a pass over the text); a message with more is hidden whole.
const MAX_REPEATS_SEARCHED: usize = 256;

/// `text` with every range in `hide`, and every other occurrence of the
/// text one of them covers, replaced by [`MARK`]. Ranges are byte offsets;
/// ones off a char boundary are widened to the enclosing chars.
pub(crate) fn redact(text: &str, hide: impl IntoIterator<Item = Range<usize>>) -> String {
    let mut hide: Vec<Range<usize>> = hide
        .into_iter()
        .filter(|r| r.start < r.end)
        .map(|r| floor(text, r.start.min(text.len()))..ceil(text, r.end.min(text.len())))
        .filter(|r| r.start < r.end)
        .collect();
    let mut hidden: Vec<&str> = hide.iter().map(|r| &text[r.clone()]).collect();
    hidden.sort_unstable();
    hidden.dedup();
    if hidden.len() > MAX_REPEATS_SEARCHED {
        hide.clear();
        hide.push(0..text.len());
    } else {
        for secret in hidden {
            // Non-overlapping matches suffice: an occurrence skipped
            // overlaps one that is hidden, so it cannot survive whole.
            hide.extend(text.match_indices(secret).map(|(at, s)| at..at + s.len()));
        }
    }
    hide.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in hide {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for r in merged {
        out.push_str(&text[at..r.start]);
        out.push_str(MARK);
        at = r.end;
    }
    out.push_str(&text[at..]);
    out
}

fn floor(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn ceil(s: &str, mut i: usize) -> usize {
    while i < s.len() && !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_overlapping_and_touching_ranges() {
        assert_eq!(
            redact("abcdefgh", [5..7, 1..3, 2..4]),
            "a…[redacted]e…[redacted]h"
        );
        assert_eq!(redact("abcdef", [1..3, 3..5]), "a…[redacted]f");
        assert_eq!(redact("abc", []), "abc");
        assert_eq!(redact("abc", std::iter::once(2..2)), "abc");
    }

    #[test]
    fn widens_to_char_boundaries_and_clamps() {
        // 'é' is two bytes: hiding its second byte hides the whole char.
        assert_eq!(redact("aéb", std::iter::once(2..3)), "a…[redacted]b");
        assert_eq!(redact("ab", std::iter::once(1..99)), "a…[redacted]");
    }

    #[test]
    fn every_repeat_of_a_hidden_text_is_hidden() {
        assert_eq!(
            redact("k=abcd, again abcd and abc", std::iter::once(2..6)),
            "k=…[redacted], again …[redacted] and abc"
        );
        // Overlapping repeats: none survives whole.
        assert_eq!(redact("aaaaaa", std::iter::once(0..4)), "…[redacted]aa");
        assert_eq!(redact("xaaaaa", std::iter::once(1..5)), "x…[redacted]a");
    }

    #[test]
    fn too_many_distinct_secrets_hide_everything() {
        let text: String = (0..=MAX_REPEATS_SEARCHED)
            .map(|i| format!("s{i:04} "))
            .collect();
        let hide = (0..=MAX_REPEATS_SEARCHED).map(|i| i * 6..i * 6 + 5);
        assert_eq!(redact(&text, hide), MARK);
    }
}
