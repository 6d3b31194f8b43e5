//! Reading a `Cargo.lock` into its entries: every `[[package]]` with its
//! source, checksum and dependency list, and the `[metadata]` checksums of
//! format 1. What the entries mean (which are crates.io packages) is
//! [`super::sourceless`]'s business.
//!
//! `Cargo.lock` is machine-written, so a line scanner reads it (a
//! 750-package lock in tens of microseconds); anything it does not expect
//! sends the whole file to the `toml` parser, which gives malformed input a
//! proper error with a line.

use std::borrow::Cow;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::lockfile::{LineIndex, LockfileError};

/// One `[[package]]` entry.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    /// `name`.
    pub name: Cow<'a, str>,
    /// `version`.
    pub version: Cow<'a, str>,
    /// `source`, absent for the workspace's own crates (and for a registry
    /// crate whose line was removed).
    pub source: Option<Cow<'a, str>>,
    /// True when the entry carries a `checksum` (format 2 and later): only
    /// registry packages have one.
    pub checksum: bool,
    /// The `dependencies` array's items, one a line, kept as the file
    /// spells them (read them with [`Entry::deps`]).
    deps: Cow<'a, str>,
    /// 1-based line of `name`.
    pub line: usize,
}

impl Entry<'_> {
    /// The dependencies: `name`, `name version` or `name version (source)`.
    /// (The fast path keeps the array's text and reads it only when asked:
    /// most scans never need it.)
    pub fn deps(&self) -> impl Iterator<Item = &str> {
        self.deps.split('\n').filter_map(|l| {
            let l = l.trim_ascii();
            let l = l.strip_suffix(',').unwrap_or(l);
            let l = l.strip_prefix('"').unwrap_or(l);
            let l = l.strip_suffix('"').unwrap_or(l);
            (!l.is_empty()).then_some(l)
        })
    }
}

impl PartialEq for Entry<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.version == other.version
            && self.source == other.source
            && self.checksum == other.checksum
            && self.line == other.line
            && self.deps().eq(other.deps())
    }
}

impl Eq for Entry<'_> {}

/// A whole `Cargo.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lock<'a> {
    /// The top-level `version = N` (absent in format 1).
    pub format: Option<u64>,
    /// 1-based line of `version = N`.
    pub format_line: Option<usize>,
    /// The entries, in file order.
    pub entries: Vec<Entry<'a>>,
    /// `name version` of each format-1 `[metadata]` checksum key that names
    /// a registry source (`"checksum NAME VERSION (registry+…)"`).
    pub metadata_checksums: Vec<Cow<'a, str>>,
}

/// The value of `key = "..."` on a trimmed line (`prefix` is `key = "`), if
/// the line is exactly that and the string has no escapes.
fn string_value<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(prefix)?;
    let value = rest.strip_suffix('"')?;
    (!value.contains(['"', '\\'])).then_some(value)
}

/// `name version` of a format-1 metadata key `checksum NAME VERSION (SOURCE)`
/// whose source is a registry.
fn metadata_key(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("checksum ")?;
    let open = rest.find(" (")?;
    let source = rest[open + 2..].strip_suffix(')')?;
    super::is_registry(source).then_some(&rest[..open])
}

/// The fast path: `None` whenever the file strays from what cargo writes.
pub fn scan(text: &str) -> Option<Lock<'_>> {
    #[derive(PartialEq)]
    enum At {
        Top,
        Package,
        Metadata,
    }
    #[derive(Default)]
    struct Partial<'a> {
        name: Option<(&'a str, usize)>,
        version: Option<&'a str>,
        source: Option<&'a str>,
        checksum: bool,
        deps: &'a str,
    }
    fn flush<'a>(p: &mut Option<Partial<'a>>, out: &mut Vec<Entry<'a>>) -> Option<()> {
        if let Some(p) = p.take() {
            let (name, line) = p.name?;
            out.push(Entry {
                name: Cow::Borrowed(name),
                version: Cow::Borrowed(p.version?),
                source: p.source.map(Cow::Borrowed),
                checksum: p.checksum,
                deps: Cow::Borrowed(p.deps),
                line,
            });
        }
        Some(())
    }
    let mut lock = Lock {
        entries: Vec::with_capacity(text.len() / 300),
        ..Lock::default()
    };
    let mut at = At::Top;
    let mut partial: Option<Partial<'_>> = None;
    let bytes = text.as_bytes();
    let mut pos = 0;
    let mut line_no = 0;
    while pos < text.len() {
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(text.len(), |i| pos + i);
        line_no += 1;
        let line = text[pos..end].trim_end();
        pos = end + 1;
        let Some(&first) = line.as_bytes().first() else {
            continue;
        };
        match first {
            b'#' => continue,
            b'[' => {
                flush(&mut partial, &mut lock.entries)?;
                if line == "[[package]]" {
                    partial = Some(Partial::default());
                    at = At::Package;
                } else if line == "[metadata]" {
                    at = At::Metadata;
                } else {
                    return None; // e.g. [[patch.unused]]
                }
                continue;
            }
            _ => {}
        }
        match at {
            At::Top => {
                let digits = line.strip_prefix("version = ")?;
                if lock.format.is_some()
                    || digits.is_empty()
                    || digits.len() > 9
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return None;
                }
                lock.format = Some(digits.parse().ok()?);
                lock.format_line = Some(line_no);
            }
            At::Metadata => {
                let key = line.strip_prefix('"')?.split('"').next()?;
                if !line.ends_with('"') || !key.starts_with("checksum ") {
                    return None;
                }
                if let Some(nv) = metadata_key(key) {
                    lock.metadata_checksums.push(Cow::Borrowed(nv));
                }
            }
            At::Package => {
                let p = partial.as_mut()?;
                match first {
                    b'n' => {
                        let v = string_value(line, "name = \"")?;
                        if p.name.is_some() {
                            return None;
                        }
                        p.name = Some((v, line_no));
                    }
                    b'v' => p.version = Some(string_value(line, "version = \"")?),
                    b's' => p.source = Some(string_value(line, "source = \"")?),
                    b'c' => {
                        string_value(line, "checksum = \"")?;
                        p.checksum = true;
                    }
                    b'd' if line == "dependencies = []" => {}
                    b'd' if line == "dependencies = [" => {
                        // Items up to a `]` at the start of a line, each a
                        // ` "dep",` line as cargo writes it; kept as text.
                        let close = pos + memchr::memchr(b']', &bytes[pos..])?;
                        if bytes[close - 1] != b'\n' {
                            return None;
                        }
                        let items = &text[pos..close];
                        if items.as_bytes().first().is_some_and(|&b| b != b' ') {
                            return None;
                        }
                        let mut lines = 0;
                        for nl in memchr::memchr_iter(b'\n', items.as_bytes()) {
                            lines += 1;
                            if nl + 1 < items.len() && items.as_bytes()[nl + 1] != b' ' {
                                return None;
                            }
                        }
                        p.deps = items;
                        line_no += lines + 1;
                        let end = memchr::memchr(b'\n', &bytes[close..])
                            .map_or(text.len(), |i| close + i);
                        if !text[close + 1..end].trim().is_empty() {
                            return None;
                        }
                        pos = end + 1;
                    }
                    _ => return None,
                }
            }
        }
    }
    flush(&mut partial, &mut lock.entries)?;
    Some(lock)
}

#[derive(Deserialize)]
struct LockToml {
    version: Option<Spanned<toml::Value>>,
    #[serde(default)]
    package: Vec<LockPackage>,
    #[serde(default)]
    metadata: toml::Table,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

/// The slow, strict path: the full TOML parser.
pub fn parse_toml<'a>(text: &str, path: &Path) -> Result<Lock<'a>, LockfileError> {
    let doc: LockToml = toml::from_str(text).map_err(|e| LockfileError::toml(path, text, &e))?;
    let lines = LineIndex::new(text);
    let (format, format_line) = match &doc.version {
        None => (None, None),
        Some(v) => {
            let line = lines.line(v.span().start);
            match v.get_ref().as_integer().and_then(|n| u64::try_from(n).ok()) {
                Some(n) => (Some(n), Some(line)),
                None => {
                    return Err(LockfileError::new(
                        path,
                        Some(line),
                        "the lockfile `version` is not a non-negative integer",
                    ))
                }
            }
        }
    };
    let entries = doc
        .package
        .into_iter()
        .map(|p| Entry {
            line: lines.line(p.name.span().start),
            name: Cow::Owned(p.name.into_inner()),
            version: Cow::Owned(p.version),
            source: p.source.map(Cow::Owned),
            checksum: p.checksum.is_some(),
            deps: Cow::Owned(p.dependencies.join("\n")),
        })
        .collect();
    let metadata_checksums = doc
        .metadata
        .keys()
        .filter_map(|k| metadata_key(k).map(|nv| Cow::Owned(nv.to_string())))
        .collect();
    Ok(Lock {
        format,
        format_line,
        entries,
        metadata_checksums,
    })
}
