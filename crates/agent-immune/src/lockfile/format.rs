//! The format version a lockfile declares, against the newest this reader
//! knows: a newer one is read as the newest known and said in a note (the
//! fields a scan needs rarely move, but a silent pass on a format nobody
//! checked would be a guess).
//!
//! Read cheaply from the text (the parsers do not keep it): the first
//! declaration of the format's version key.

use std::path::Path;

use super::jsonpos::key_positions;
use super::{Kind, LockfileNote};

/// `(kind, key, newest major version known)`. Cargo.lock is checked by its
/// own reader ([`super::cargo`]).
const NEWEST: [(Kind, &str, u64); 6] = [
    (Kind::PackageLock, "lockfileVersion", 3),
    (Kind::PnpmLock, "lockfileVersion", 9),
    (Kind::YarnLock, "version", 8),
    (Kind::UvLock, "version", 1),
    (Kind::PoetryLock, "lock-version", 2),
    (Kind::PipfileLock, "pipfile-spec", 6),
];

/// A note when `text` declares a format newer than the reader knows.
pub(crate) fn newer_format_note(kind: Kind, text: &str, path: &Path) -> Option<LockfileNote> {
    let &(_, key, newest) = NEWEST.iter().find(|(k, _, _)| *k == kind)?;
    let (line, declared) = declared(kind, key, text)?;
    let major: u64 = declared
        .split('.')
        .next()?
        .trim_matches(|c| c == '\'' || c == '"')
        .parse()
        .ok()?;
    (major > newest).then(|| {
        LockfileNote::new(
            path,
            Some(line),
            format!(
                "`{key}` {declared} is newer than this scanner knows (up to {newest}); read as {newest}, which may miss packages"
            ),
        )
    })
}

/// Line and value of the version declaration.
fn declared<'t>(kind: Kind, key: &str, text: &'t str) -> Option<(usize, &'t str)> {
    match kind {
        Kind::PackageLock | Kind::PipfileLock => {
            let (value, line) = key_positions(text, key).into_iter().next()?;
            let end = value
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(value.len());
            Some((line, &value[..end]))
        }
        Kind::PnpmLock => top_level(text, &format!("{key}:")),
        // Berry writes `__metadata:` then an indented `version: 8`.
        Kind::YarnLock => text
            .lines()
            .enumerate()
            .skip_while(|(_, l)| !l.starts_with("__metadata:"))
            .skip(1)
            .take_while(|(_, l)| l.starts_with(' '))
            .find_map(|(i, l)| {
                l.trim_start()
                    .strip_prefix("version:")
                    .map(|v| (i + 1, v.trim()))
            }),
        Kind::UvLock => top_level(text, &format!("{key} =")),
        Kind::PoetryLock => text.lines().enumerate().find_map(|(i, l)| {
            l.strip_prefix(&format!("{key} ="))
                .map(|v| (i + 1, v.trim().trim_matches('"')))
        }),
        _ => None,
    }
}

/// A top-level `prefix value` line (no indentation).
fn top_level<'t>(text: &'t str, prefix: &str) -> Option<(usize, &'t str)> {
    text.lines().enumerate().find_map(|(i, l)| {
        l.strip_prefix(prefix)
            .map(|v| (i + 1, v.trim().trim_matches(|c| c == '\'' || c == '"')))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(kind: Kind, text: &str) -> Option<(Option<usize>, String)> {
        newer_format_note(kind, text, Path::new("f")).map(|n| (n.line, n.message))
    }

    #[test]
    fn newer_formats_are_noted_known_ones_are_not() {
        assert!(note(Kind::PackageLock, "{\n  \"lockfileVersion\": 3,\n}").is_none());
        let (line, m) = note(
            Kind::PackageLock,
            "{\n  \"name\": \"x\",\n  \"lockfileVersion\": 4,\n}",
        )
        .unwrap();
        assert_eq!(line, Some(3));
        assert!(m.contains("`lockfileVersion` 4"), "{m}");
        assert!(note(Kind::PnpmLock, "lockfileVersion: '9.0'\n").is_none());
        assert_eq!(
            note(Kind::PnpmLock, "lockfileVersion: '10.0'\n").unwrap().0,
            Some(1)
        );
        assert!(note(Kind::YarnLock, "__metadata:\n  version: 8\n").is_none());
        assert_eq!(
            note(
                Kind::YarnLock,
                "# x\n__metadata:\n  version: 9\n  cacheKey: 10\n"
            )
            .unwrap()
            .0,
            Some(3)
        );
        assert!(note(Kind::UvLock, "version = 1\nrevision = 3\n").is_none());
        assert!(note(Kind::UvLock, "version = 2\n").is_some());
        assert!(note(Kind::PoetryLock, "[metadata]\nlock-version = \"2.1\"\n").is_none());
        assert!(note(Kind::PoetryLock, "[metadata]\nlock-version = \"3.0\"\n").is_some());
        assert!(note(Kind::PipfileLock, "{\"_meta\": {\"pipfile-spec\": 7}}").is_some());
        assert!(note(Kind::Requirements, "a==1\n").is_none());
    }
}
