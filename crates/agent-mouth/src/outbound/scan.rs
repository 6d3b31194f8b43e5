//! What every outbound matcher shares: the [`Hit`] a matcher reports, byte
//! classes, bounded runs and Shannon entropy. Owns no rule.

use std::ops::Range;

use super::rules::OutboundRule;

/// One match, before it becomes a public finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hit {
    pub rule: OutboundRule,
    /// The whole match, in bytes of the scanned text.
    pub range: Range<usize>,
    /// The part to hide in the redacted text (`None`: nothing to hide).
    pub hide: Option<Range<usize>>,
    /// What to say about this match; never the secret itself.
    pub detail: String,
}

impl Hit {
    /// A secret match that hides everything after the first `keep` bytes.
    pub fn secret(rule: OutboundRule, range: Range<usize>, keep: usize, detail: String) -> Hit {
        let hide = (range.start + keep).min(range.end)..range.end;
        Hit {
            rule,
            range,
            hide: Some(hide),
            detail,
        }
    }
}

/// `[A-Za-z0-9]`.
pub(crate) fn is_alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

/// `[A-Za-z0-9_-]`: base64url and most token alphabets.
pub(crate) fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

/// Length of the run of bytes from `from` satisfying `pred`, stopping at
/// `max`.
pub(crate) fn run(bytes: &[u8], from: usize, max: usize, pred: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take(max)
        .take_while(|&&b| pred(b))
        .count()
}

/// True when the byte before `at` (if any) does not satisfy `pred`.
pub(crate) fn starts_clear(bytes: &[u8], at: usize, pred: impl Fn(u8) -> bool) -> bool {
    at == 0 || bytes.get(at - 1).is_none_or(|&b| !pred(b))
}

/// True when the byte at `at` (if any) does not satisfy `pred`.
pub(crate) fn ends_clear(bytes: &[u8], at: usize, pred: impl Fn(u8) -> bool) -> bool {
    bytes.get(at).is_none_or(|&b| !pred(b))
}

/// Byte offsets of every occurrence of `needle` in `haystack`, ASCII case
/// ignored. `needle` must be ASCII.
pub(crate) fn find_all_ci(haystack: &str, needle: &str) -> Vec<usize> {
    let h = haystack.as_bytes();
    let n = needle.as_bytes();
    if n.is_empty() || h.len() < n.len() {
        return Vec::new();
    }
    (0..=h.len() - n.len())
        .filter(|&i| h[i..i + n.len()].eq_ignore_ascii_case(n))
        .collect()
}

/// Shannon entropy of `s` in bits per character.
pub(crate) fn entropy(s: &str) -> f64 {
    let mut counts: Vec<(char, usize)> = Vec::new();
    let mut total = 0usize;
    for c in s.chars() {
        total += 1;
        match counts.iter_mut().find(|(k, _)| *k == c) {
            Some((_, n)) => *n += 1,
            None => counts.push((c, 1)),
        }
    }
    if total == 0 {
        return 0.0;
    }
    let total = total as f64;
    counts
        .iter()
        .map(|&(_, n)| {
            let p = n as f64 / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_of_known_strings() {
        assert_eq!(entropy(""), 0.0);
        assert_eq!(entropy("aaaaaaaa"), 0.0);
        assert!((entropy("abcd") - 2.0).abs() < 1e-9);
        assert!(entropy("hunter2hunter2hunter2") < 3.5);
        assert!(entropy("q8Zx3LmP0vR7tYw2Kc9B") > 3.5);
    }

    #[test]
    fn runs_and_boundaries_stay_in_bounds() {
        assert_eq!(run(b"abc-", 0, 10, is_alnum), 3);
        assert_eq!(run(b"abc", 5, 10, is_alnum), 0);
        assert_eq!(run(b"abcdef", 0, 2, is_alnum), 2);
        assert!(starts_clear(b"x", 0, is_alnum));
        assert!(!starts_clear(b"ab", 1, is_alnum));
        assert!(ends_clear(b"ab", 2, is_alnum));
        assert_eq!(find_all_ci("aXa xa", "xA"), vec![1, 4]);
        assert!(find_all_ci("a", "ab").is_empty());
    }
}
