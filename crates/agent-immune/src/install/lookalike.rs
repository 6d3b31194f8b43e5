//! Names that look like a popular package's: one edit away (a typo, a
//! swapped pair, a dropped or doubled letter) or the same after folding
//! look-alike characters (`0`/`o`, `1`/`l`/`i`, `rn`/`m`, separators).
//!
//! The popular names are reviewed data (`popular/*.txt`). A name on the
//! list is never flagged; a name that is a look-alike of one is.

use std::sync::OnceLock;

use crate::types::Ecosystem;
use crate::version::normalize_name;

const PYPI: &str = include_str!("popular/pypi.txt");
const NPM: &str = include_str!("popular/npm.txt");
const CRATES: &str = include_str!("popular/crates.txt");

/// Names shorter than this are compared by folding only: among short names
/// one edit apart, most pairs are unrelated packages.
const MIN_EDIT_LEN: usize = 5;

/// A popular name, normalised, and its look-alike folding.
struct Popular {
    name: String,
    folded: String,
}

fn list(eco: Ecosystem) -> &'static [Popular] {
    static LISTS: OnceLock<[Vec<Popular>; 3]> = OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        let read = |text: &str, eco: Ecosystem| -> Vec<Popular> {
            text.lines()
                .filter(|l| !l.trim_start().starts_with('#'))
                .flat_map(str::split_whitespace)
                .map(|n| {
                    let name = normalize_name(eco, n).to_lowercase();
                    Popular {
                        folded: fold(&name),
                        name,
                    }
                })
                .collect()
        };
        [
            read(PYPI, Ecosystem::PyPI),
            read(NPM, Ecosystem::Npm),
            read(CRATES, Ecosystem::CratesIo),
        ]
    });
    match eco {
        Ecosystem::PyPI => &lists[0],
        Ecosystem::Npm => &lists[1],
        Ecosystem::CratesIo => &lists[2],
        Ecosystem::Go | Ecosystem::RubyGems | Ecosystem::Packagist => &[],
    }
}

/// The popular package `name` imitates, if any.
pub fn lookalike_of(eco: Ecosystem, name: &str) -> Option<&'static str> {
    let popular = list(eco);
    let norm = normalize_name(eco, name).to_lowercase();
    if popular.iter().any(|p| p.name == norm) {
        return None;
    }
    let folded = fold(&norm);
    if !norm.is_ascii() {
        // Any non-ASCII letter in a package name is a look-alike risk;
        // name the popular package it folds to, if one.
        return popular
            .iter()
            .find(|p| p.folded == folded)
            .or_else(|| popular.iter().find(|p| distance(&p.folded, &folded) <= 1))
            .map(|p| p.name.as_str());
    }
    popular
        .iter()
        .find(|p| {
            p.folded == folded
                || (p.name.len() >= MIN_EDIT_LEN
                    && norm.len() >= MIN_EDIT_LEN
                    && distance(&p.name, &norm) == 1)
        })
        .map(|p| p.name.as_str())
}

/// Look-alike folding: confusable characters to one, separators dropped.
fn fold(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .map(|c| match c {
            '0' | 'о' | 'ο' => 'o',
            '1' | 'i' | 'I' | 'ı' | 'і' | '|' => 'l',
            '5' => 's',
            'а' | 'α' => 'a',
            'е' | 'ε' => 'e',
            'с' => 'c',
            'р' | 'ρ' => 'p',
            'х' => 'x',
            'у' => 'y',
            c => c.to_ascii_lowercase(),
        })
        .collect();
    s = s.replace("rn", "m").replace("vv", "w");
    s
}

/// Optimal string alignment distance (Levenshtein plus adjacent swaps).
fn distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.len().abs_diff(b.len()) > 1 {
        return 2;
    }
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popular_names_pass() {
        for (eco, name) in [
            (Ecosystem::PyPI, "requests"),
            (Ecosystem::PyPI, "Django"),
            (Ecosystem::PyPI, "python_dateutil"),
            (Ecosystem::Npm, "lodash"),
            (Ecosystem::CratesIo, "serde_json"),
        ] {
            assert_eq!(lookalike_of(eco, name), None, "{name}");
        }
    }

    #[test]
    fn one_edit_and_lookalikes_are_caught() {
        for (eco, name, popular) in [
            (Ecosystem::PyPI, "reqeusts", "requests"),
            (Ecosystem::PyPI, "requestss", "requests"),
            (Ecosystem::PyPI, "djang0", "django"),
            (Ecosystem::PyPI, "python-dateuti1", "python-dateutil"),
            (Ecosystem::Npm, "1odash", "lodash"),
            (Ecosystem::Npm, "crossenv", "cross-env"),
            (Ecosystem::Npm, "expres", "express"),
            (Ecosystem::CratesIo, "tokio-uti1", "tokio-util"),
            (Ecosystem::CratesIo, "serde-json", "serde_json"),
            (Ecosystem::PyPI, "rеquests", "requests"),
        ] {
            assert_eq!(lookalike_of(eco, name), Some(popular), "{name}");
        }
    }

    #[test]
    fn unrelated_names_are_not_flagged() {
        for (eco, name) in [
            (Ecosystem::PyPI, "pytest-xdist"),
            (Ecosystem::PyPI, "httpie"),
            (Ecosystem::Npm, "left-pad"),
            (Ecosystem::CratesIo, "ripgrep"),
            (Ecosystem::CratesIo, "rusqlite"),
        ] {
            assert_eq!(lookalike_of(eco, name), None, "{name}");
        }
    }
}
