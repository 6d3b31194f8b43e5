//! Building the redacted text: every hidden range becomes `…[redacted]`,
//! overlapping and touching ranges merged first so nothing of a secret
//! survives between two matches. Owns nothing else.

use std::ops::Range;

/// What stands in for hidden text.
pub(crate) const MARK: &str = "…[redacted]";

/// `text` with every range in `hide` replaced by [`MARK`]. Ranges are byte
/// offsets; ones off a char boundary are widened to the enclosing chars.
pub(crate) fn redact(text: &str, hide: impl IntoIterator<Item = Range<usize>>) -> String {
    let mut hide: Vec<Range<usize>> = hide.into_iter().filter(|r| r.start < r.end).collect();
    hide.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in hide {
        let start = floor(text, r.start.min(text.len()));
        let end = ceil(text, r.end.min(text.len()));
        match merged.last_mut() {
            Some(last) if start <= last.end => last.end = last.end.max(end),
            _ => merged.push(start..end),
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
}
