//! RubyGems versions, ordered as `Gem::Version#<=>` orders them.
//!
//! The grammar is `Gem::Version::ANCHORED_VERSION_PATTERN`: digits, then
//! `.`-separated alphanumeric parts, then optionally `-` and
//! `.`-separated parts of letters, digits and `-` (surrounding whitespace
//! trimmed). RubyGems then reads a `-` as `.pre.`, splits the text into
//! runs of digits and runs of letters (`1.0.0.rc1` → `1 0 0 rc 1`), and
//! drops trailing zeros of the numeric head and of the rest separately
//! (`1.0.a.0` → `1 a`). Two versions compare segment by segment, a missing
//! segment counting as `0`: numbers numerically (any size), letters
//! byte-wise (case-sensitive), and letters before numbers — so a version
//! with a letter is a pre-release of the one without (`1.0.a < 1.0`), and
//! `1.0 == 1.0.0`.

use std::cmp::Ordering;

/// One canonical segment.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    /// Digits without leading zeros (`"0"` is never stored: see canonical).
    Num(String),
    /// Letters.
    Str(String),
}

impl Seg {
    fn is_zero(&self) -> bool {
        matches!(self, Seg::Num(n) if n.is_empty())
    }
}

/// Compares two digit strings without leading zeros.
pub(super) fn cmp_digits(a: &str, b: &str) -> Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

static ZERO: Seg = Seg::Num(String::new());

fn cmp_seg(a: &Seg, b: &Seg) -> Ordering {
    match (a, b) {
        (Seg::Num(x), Seg::Num(y)) => cmp_digits(x, y),
        (Seg::Str(x), Seg::Str(y)) => x.as_bytes().cmp(y.as_bytes()),
        (Seg::Str(_), Seg::Num(_)) => Ordering::Less,
        (Seg::Num(_), Seg::Str(_)) => Ordering::Greater,
    }
}

/// A parsed RubyGems version.
#[derive(Debug, Clone)]
pub struct GemVersion {
    text: String,
    segments: Vec<Seg>,
}

impl GemVersion {
    /// Parses `s`; the reason when it is not a `Gem::Version`.
    pub fn parse(s: &str) -> Result<GemVersion, &'static str> {
        let t = s.trim_matches([' ', '\t', '\n', '\r', '\u{b}', '\u{c}']);
        if t.is_empty() {
            return Err("empty version");
        }
        let (main, pre) = match t.split_once('-') {
            Some((m, p)) => (m, Some(p)),
            None => (t, None),
        };
        let mut parts = main.split('.');
        let first = parts.next().unwrap_or("");
        if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a version starts with digits");
        }
        if !parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric())) {
            return Err("parts are letters and digits separated by single dots");
        }
        if let Some(pre) = pre {
            let ok = pre.split('.').all(|p| {
                !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
            if !ok {
                return Err(
                    "the pre-release after `-` is letters, digits and `-` separated by dots",
                );
            }
        }
        Ok(GemVersion {
            text: t.to_string(),
            segments: canonical(&t.replace('-', ".pre.")),
        })
    }
}

/// `Gem::Version#canonical_segments`.
fn canonical(v: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    let b = v.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            segs.push(Seg::Num(v[start..i].trim_start_matches('0').to_string()));
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            segs.push(Seg::Str(v[start..i].to_string()));
        } else {
            i += 1;
        }
    }
    let split = segs
        .iter()
        .position(|s| matches!(s, Seg::Str(_)))
        .unwrap_or(segs.len());
    let mut strings = segs.split_off(split);
    while segs.last().is_some_and(Seg::is_zero) {
        segs.pop();
    }
    while strings.last().is_some_and(Seg::is_zero) {
        strings.pop();
    }
    segs.extend(strings);
    segs
}

impl Ord for GemVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        let n = self.segments.len().max(other.segments.len());
        for i in 0..n {
            let a = self.segments.get(i).unwrap_or(&ZERO);
            let b = other.segments.get(i).unwrap_or(&ZERO);
            match cmp_seg(a, b) {
                Ordering::Equal => continue,
                o => return o,
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for GemVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for GemVersion {}

impl std::fmt::Display for GemVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> GemVersion {
        GemVersion::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn rubygems_examples() {
        // From Gem::Version's documentation and test suite.
        let ordered = [
            "0.9",
            "1.0.a",
            "1.0.a.2",
            "1.0.b1",
            "1.0.rc1",
            "1.0",
            "1.0.1",
            "1.1",
            "1.10",
            "2.0.0.pre",
            "2.0.0",
            "10",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.0"), v("1.0.0"));
        assert_eq!(v("1"), v("1.0.0.0"));
        assert_eq!(v("1.0.a"), v("1.a"));
        assert_eq!(v("1.0.0-rc1"), v("1.0.0.pre.rc1"));
        assert!(v("1.0.0-rc1") < v("1.0.0"));
        assert!(v("1.0.0.rc1") > v("1.0.0-rc1"), "pre < rc");
        assert_eq!(v(" 1.2.3 "), v("1.2.3"));
        assert!(v("1.0.A") < v("1.0.a"), "byte-wise");
        assert!(v("1.a") < v("1.0.1"));
        assert!(v(&format!("1.{}", "9".repeat(40))) > v(&format!("1.{}", "8".repeat(40))));
        assert_eq!(v("01.002"), v("1.2"));
    }

    #[test]
    fn grammar() {
        for bad in [
            "", " ", "a", "1..2", "1.", "1.0-", "1.0-a..b", "1.0 2", ".1", "1.0_1", "1.\u{0}",
        ] {
            assert!(GemVersion::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["1", "1.a", "1.0.0-x-y", "1.0-a.b.1", "3.2.1.beta2"] {
            assert!(GemVersion::parse(good).is_ok(), "{good}");
        }
    }

    fn version() -> impl Strategy<Value = String> {
        (
            "[0-9]{1,3}",
            prop::collection::vec("[0-9]{1,2}|[a-c]{1,2}|0", 0..4),
            prop::option::of("[a-b0-9]{1,2}"),
        )
            .prop_map(|(head, parts, pre)| {
                let mut s = head;
                for p in parts {
                    s.push('.');
                    s.push_str(&p);
                }
                if let Some(p) = pre {
                    s.push('-');
                    s.push_str(&p);
                }
                s
            })
    }

    proptest! {
        #[test]
        fn a_total_order(a in version(), b in version(), c in version()) {
            let (x, y, z) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            prop_assert_eq!(x.cmp(&x), Ordering::Equal);
            if x <= y && y <= z {
                prop_assert!(x <= z, "{} <= {} <= {}", a, b, c);
            }
            // Equal exactly when the canonical segments are equal.
            prop_assert_eq!(x == y, x.segments == y.segments);
        }

        #[test]
        fn trailing_zeros_do_not_count(a in version(), zeros in 1usize..4) {
            if !a.contains('-') {
                let padded = format!("{a}{}", ".0".repeat(zeros));
                prop_assert_eq!(v(&a), v(&padded));
            }
        }

        #[test]
        fn a_letter_makes_a_prerelease(a in "[0-9]{1,2}(\\.[0-9]{1,2}){0,2}", pre in "[a-z]{1,3}[0-9]{0,2}") {
            let dotted = format!("{a}.{pre}");
            let dashed = format!("{a}-{pre}");
            prop_assert!(v(&dotted) < v(&a), "{} < {}", dotted, a);
            prop_assert!(v(&dashed) < v(&a), "{} < {}", dashed, a);
        }
    }
}
