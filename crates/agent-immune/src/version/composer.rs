//! Composer (Packagist) versions, ordered as Composer normalises them.
//!
//! A version is an optional `v`, one to four dot-separated numbers, and an
//! optional stability suffix — `dev`, `alpha`/`a`, `beta`/`b`, `RC`,
//! `patch`/`pl`/`p` (any case), after an optional `-`, `_` or `.`, with an
//! optional number after an optional `.` or `-` (`1.0.0-beta2`,
//! `2.1RC.1`, `v1.2.3-p1`); build metadata after `+` is ignored. Versions
//! compare by their four numbers (missing ones are 0: `1.0 == 1.0.0.0`),
//! then the stability (dev < alpha < beta < RC < stable < patch), then the
//! suffix's number (none is 0). Numbers have no size limit.
//!
//! Not versions: branch names (`dev-main`, `1.0.x-dev`) and anything else
//! Composer would not normalise to a version; a package pinned to a branch
//! cannot be placed in a range, so its matches are undecided.

use std::cmp::Ordering;

use super::gem::cmp_digits;

/// A parsed Composer version.
#[derive(Debug, Clone)]
pub struct ComposerVersion {
    text: String,
    /// Four numbers as digit strings without leading zeros.
    numbers: [String; 4],
    /// dev 0, alpha 1, beta 2, RC 3, stable 4, patch 5.
    stability: u8,
    /// The stability's number, without leading zeros.
    number: String,
}

const STABILITY: [(&str, u8); 10] = [
    ("dev", 0),
    ("alpha", 1),
    ("a", 1),
    ("beta", 2),
    ("b", 2),
    ("rc", 3),
    ("stable", 4),
    ("patch", 5),
    ("pl", 5),
    ("p", 5),
];
const STABLE: u8 = 4;

fn digits(s: &str) -> String {
    s.trim_start_matches('0').to_string()
}

impl ComposerVersion {
    /// Parses `s`; the reason when it is not a Composer version.
    pub fn parse(s: &str) -> Result<ComposerVersion, &'static str> {
        let t = s.trim();
        if t.is_empty() {
            return Err("empty version");
        }
        let lower = t.to_ascii_lowercase();
        if lower.starts_with("dev-") || (lower.ends_with("-dev") && lower.contains(".x")) {
            return Err("a branch, not a version");
        }
        let body = t.split_once('+').map_or(t, |(v, _build)| v);
        let body = body
            .strip_prefix('v')
            .or_else(|| body.strip_prefix('V'))
            .unwrap_or(body);
        let b = body.as_bytes();
        // Numbers.
        let mut i = 0;
        let mut numbers: Vec<String> = Vec::new();
        loop {
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if start == i {
                return Err(
                    "a version starts with a number, and numbers are separated by single dots",
                );
            }
            numbers.push(digits(&body[start..i]));
            if i + 1 < b.len() && b[i] == b'.' && b[i + 1].is_ascii_digit() {
                i += 1;
                continue;
            }
            break;
        }
        if numbers.len() > 4 {
            return Err("more than four numbers");
        }
        // Stability suffix.
        let mut stability = STABLE;
        let mut number = String::new();
        if i < b.len() {
            if matches!(b[i], b'-' | b'_' | b'.') {
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = body[start..i].to_ascii_lowercase();
            stability = STABILITY
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, r)| *r)
                .ok_or("the suffix is not dev, alpha, beta, RC or patch")?;
            if i < b.len() && matches!(b[i], b'.' | b'-') {
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i != b.len() || (start == i && start != body.len()) {
                return Err("unexpected characters after the stability suffix");
            }
            if start == i && matches!(b.last(), Some(b'.' | b'-')) {
                return Err("a separator with no number after it");
            }
            number = digits(&body[start..i]);
        }
        numbers.resize(4, String::new());
        let numbers: [String; 4] = [
            numbers[0].clone(),
            numbers[1].clone(),
            numbers[2].clone(),
            numbers[3].clone(),
        ];
        Ok(ComposerVersion {
            text: t.to_string(),
            numbers,
            stability,
            number,
        })
    }
}

impl Ord for ComposerVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (a, b) in self.numbers.iter().zip(&other.numbers) {
            match cmp_digits(a, b) {
                Ordering::Equal => {}
                o => return o,
            }
        }
        self.stability
            .cmp(&other.stability)
            .then_with(|| cmp_digits(&self.number, &other.number))
    }
}

impl PartialOrd for ComposerVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ComposerVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for ComposerVersion {}

impl std::fmt::Display for ComposerVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn v(s: &str) -> ComposerVersion {
        ComposerVersion::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn stability_order() {
        let ordered = [
            "1.0.0-dev",
            "1.0.0-alpha",
            "1.0.0-alpha2",
            "1.0.0a3",
            "1.0.0-beta.1",
            "1.0.0b2",
            "1.0.0-RC1",
            "1.0.0rc2",
            "1.0.0",
            "1.0.0-p1",
            "1.0.0-patch2",
            "1.0.0.1",
            "1.0.1-dev",
            "1.0.1",
            "v1.10",
            "2",
        ];
        for w in ordered.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("v1.2"), v("1.2.0.0"));
        assert_eq!(v("1.2.3+build.7"), v("1.2.3"));
        assert_eq!(v("1.0.0-alpha"), v("1.0.0alpha0"));
        assert_eq!(v("1.0.0-a1"), v("1.0.0-ALPHA1"));
        assert_eq!(v("1.0.0-stable"), v("1.0.0"));
        assert!(v(&format!("1.{}", "9".repeat(40))) > v(&format!("1.{}", "8".repeat(40))));
    }

    #[test]
    fn not_versions() {
        for bad in [
            "",
            "dev-main",
            "dev-master",
            "1.0.x-dev",
            "1.x",
            "1.0.0.0.0",
            "1.0-foo",
            "1..0",
            "1.0-beta-",
            "1.0-beta.x",
            "abc",
            "1.0\u{0}",
            "*",
            "1.0.0-beta1-dev",
        ] {
            assert!(ComposerVersion::parse(bad).is_err(), "{bad:?}");
        }
        for good in ["1.0.0-dev", "V2.0", " 1.0 ", "1.0.0_rc1", "2021.05.01"] {
            assert!(ComposerVersion::parse(good).is_ok(), "{good}");
        }
    }

    fn version() -> impl Strategy<Value = String> {
        (
            prop::collection::vec("[0-9]{1,2}", 1..5),
            prop::option::of((
                "dev|alpha|a|beta|b|RC|rc|patch|pl|p",
                prop::option::of("[0-9]{1,2}"),
            )),
            prop::bool::ANY,
        )
            .prop_map(|(nums, suffix, v)| {
                let mut s = if v { "v".to_string() } else { String::new() };
                s.push_str(&nums.join("."));
                if let Some((word, n)) = suffix {
                    s.push('-');
                    s.push_str(&word);
                    if let Some(n) = n {
                        s.push_str(&n);
                    }
                }
                s
            })
    }

    proptest! {
        #[test]
        fn a_total_order(a in version(), b in version(), c in version()) {
            let (x, y, z) = (v(&a), v(&b), v(&c));
            prop_assert_eq!(x.cmp(&y), y.cmp(&x).reverse());
            if x <= y && y <= z {
                prop_assert!(x <= z, "{} <= {} <= {}", a, b, c);
            }
        }

        #[test]
        fn a_suffix_orders_around_the_release(nums in "[0-9]{1,2}(\\.[0-9]{1,2}){0,3}", n in "[0-9]{0,2}") {
            let release = v(&nums);
            for pre in ["dev", "alpha", "beta", "RC"] {
                let text = format!("{nums}-{pre}{n}");
                prop_assert!(v(&text) < release, "{} < {}", text, nums);
            }
            let patch = format!("{nums}-patch{n}");
            prop_assert!(v(&patch) > release, "{} > {}", patch, nums);
        }
    }
}
