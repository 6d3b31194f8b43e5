//! `Cargo.lock` (v1–v4) and `Cargo.toml`.
//!
//! `Cargo.lock` is machine-written, so a line scanner reads it (a 750-package
//! lock in tens of microseconds); anything it does not expect sends the
//! whole file to the `toml` parser, which gives malformed input a proper
//! error with a line. Only registry packages are returned: path packages are
//! the project's own and git packages are not on crates.io, so OSV's
//! crates.io records do not describe them.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::{LineIndex, LockfileError};
use crate::types::{Ecosystem, Package};

/// True for a `source` that is a crates registry (crates.io or a mirror).
fn is_registry(source: &str) -> bool {
    source.starts_with("registry+") || source.starts_with("sparse+")
}

/// Nearest `Cargo.lock` beside `manifest` or in an ancestor directory.
pub(super) fn find_cargo_lock(manifest: &Path) -> Option<PathBuf> {
    let dir = manifest.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

pub(super) fn parse_lock(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    match scan_lock(text, path) {
        Some(pkgs) => Ok(pkgs),
        None => parse_lock_toml(text, path),
    }
}

/// The value of `key = "..."` on a trimmed line (`prefix` is `key = "`), if
/// the line is exactly that and the string has no escapes.
fn string_value<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let rest = line.strip_prefix(prefix)?;
    let value = rest.strip_suffix('"')?;
    (!value.contains(['"', '\\'])).then_some(value)
}

/// Adds a registry package. Cargo sorts packages by name, version and
/// source, so the same crate from two registries shows up adjacent; only
/// the first is kept.
fn push(out: &mut Vec<Package>, name: &str, version: &str, line: usize, path: &Path) {
    if out
        .last()
        .is_some_and(|p| p.name == name && p.version == version)
    {
        return;
    }
    out.push(Package {
        ecosystem: Ecosystem::CratesIo,
        name: name.to_string(),
        version: version.to_string(),
        approximate: false,
        requirement: None,
        source: path.to_path_buf(),
        line: Some(line),
    });
}

/// The fast path (public for tests and benches): `None` whenever the file strays from what cargo writes.
pub fn scan_lock(text: &str, path: &Path) -> Option<Vec<Package>> {
    #[derive(PartialEq)]
    enum At {
        Top,
        Package,
        Metadata,
    }
    struct Entry<'a> {
        name: Option<(&'a str, usize)>,
        version: Option<&'a str>,
        source: Option<&'a str>,
    }
    fn flush(entry: &mut Option<Entry<'_>>, out: &mut Vec<Package>, path: &Path) -> Option<()> {
        if let Some(e) = entry.take() {
            let (name, line) = e.name?;
            let version = e.version?;
            if e.source.is_some_and(is_registry) {
                push(out, name, version, line, path);
            }
        }
        Some(())
    }
    let mut out = Vec::with_capacity(text.len() / 300);
    let mut at = At::Top;
    let mut entry: Option<Entry<'_>> = None;
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
                flush(&mut entry, &mut out, path)?;
                if line == "[[package]]" {
                    entry = Some(Entry {
                        name: None,
                        version: None,
                        source: None,
                    });
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
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
            }
            At::Metadata => {
                if !(line.starts_with("\"checksum ") && line.ends_with('"')) {
                    return None;
                }
            }
            At::Package => {
                let e = entry.as_mut()?;
                match first {
                    b'n' => {
                        let v = string_value(line, "name = \"")?;
                        if e.name.is_some() {
                            return None;
                        }
                        e.name = Some((v, line_no));
                    }
                    b'v' => e.version = Some(string_value(line, "version = \"")?),
                    b's' => e.source = Some(string_value(line, "source = \"")?),
                    b'c' => {
                        string_value(line, "checksum = \"")?;
                    }
                    b'd' if line == "dependencies = []" => {}
                    b'd' if line == "dependencies = [" => {
                        // Skip the array: items up to a `]` at the start of a
                        // line. Their contents do not matter here, but every
                        // item line must be indented as cargo writes it.
                        let close = pos + memchr::memchr(b']', &bytes[pos..])?;
                        if bytes[close - 1] != b'\n' {
                            return None;
                        }
                        let items = &bytes[pos..close];
                        if items.first().is_some_and(|&b| b != b' ') {
                            return None;
                        }
                        let mut lines = 0;
                        for nl in memchr::memchr_iter(b'\n', items) {
                            lines += 1;
                            if nl + 1 < items.len() && items[nl + 1] != b' ' {
                                return None;
                            }
                        }
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
    flush(&mut entry, &mut out, path)?;
    Some(out)
}

#[derive(Deserialize)]
struct LockToml {
    #[serde(default)]
    package: Vec<LockPackage>,
}

#[derive(Deserialize)]
struct LockPackage {
    name: Spanned<String>,
    version: String,
    source: Option<String>,
}

/// The slow, strict path: the full TOML parser (public for tests and benches).
pub fn parse_lock_toml(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let lock: LockToml = toml::from_str(text).map_err(|e| LockfileError::toml(path, text, &e))?;
    let mut out = Vec::with_capacity(lock.package.len());
    let lines = LineIndex::new(text);
    for p in &lock.package {
        if p.source.as_deref().is_some_and(is_registry) {
            let line = lines.line(p.name.span().start);
            push(&mut out, p.name.get_ref(), &p.version, line, path);
        }
    }
    Ok(out)
}

fn push_deps<'a>(t: &'a toml::Table, tables: &mut Vec<&'a toml::Table>) {
    for k in [
        "dependencies",
        "dev-dependencies",
        "build-dependencies",
        "dev_dependencies",
        "build_dependencies",
    ] {
        if let Some(toml::Value::Table(d)) = t.get(k) {
            tables.push(d);
        }
    }
}

/// Declared dependencies of a manifest with no lockfile.
pub(super) fn parse_manifest(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let doc: toml::Table = toml::from_str(text).map_err(|e| LockfileError::toml(path, text, &e))?;
    let mut col = super::Collector::new(Ecosystem::CratesIo, path);
    let mut tables: Vec<&toml::Table> = Vec::new();
    push_deps(&doc, &mut tables);
    if let Some(toml::Value::Table(targets)) = doc.get("target") {
        for t in targets.values() {
            if let toml::Value::Table(t) = t {
                push_deps(t, &mut tables);
            }
        }
    }
    if let Some(toml::Value::Table(ws)) = doc.get("workspace") {
        if let Some(toml::Value::Table(d)) = ws.get("dependencies") {
            tables.push(d);
        }
    }
    for deps in tables {
        for (key, spec) in deps {
            let (name, req) = match spec {
                toml::Value::String(req) => (key.as_str(), req.as_str()),
                toml::Value::Table(t) => {
                    // Path and git deps are not on crates.io, nor are
                    // crates from another registry.
                    if t.contains_key("path") || t.contains_key("git") || t.contains_key("registry")
                    {
                        continue;
                    }
                    if t.get("workspace").and_then(|v| v.as_bool()) == Some(true) {
                        continue; // declared in [workspace.dependencies]
                    }
                    let name = t.get("package").and_then(|v| v.as_str()).unwrap_or(key);
                    match t.get("version").and_then(|v| v.as_str()) {
                        Some(req) => (name, req),
                        None => continue,
                    }
                }
                _ => {
                    return Err(LockfileError::new(
                        path,
                        super::find_key_line(text, key, false),
                        format!("dependency `{key}` is neither a version string nor a table"),
                    ))
                }
            };
            let line = super::find_key_line(text, key, false);
            match lowest_cargo(req) {
                Some(v) => col.approx(name, &v, req, line),
                None => {
                    return Err(LockfileError::new(
                        path,
                        line,
                        format!("dependency `{key}`: invalid version requirement `{req}`"),
                    ))
                }
            }
        }
    }
    Ok(col.out)
}

/// Splits `1.2.3-pre` into numeric parts (`*`/`x` parts end the list) and the
/// pre-release suffix; `None` when it is not a version.
fn split_version(v: &str) -> Option<(Vec<u64>, &str)> {
    let (core, pre) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mut nums = Vec::new();
    for part in core.split('.') {
        if matches!(part, "*" | "x" | "X") {
            break;
        }
        nums.push(part.parse::<u64>().ok()?);
    }
    if nums.len() > 3 {
        return None;
    }
    Some((nums, pre))
}

fn full(nums: &[u64], pre: &str) -> String {
    let get = |i: usize| nums.get(i).copied().unwrap_or(0);
    format!("{}.{}.{}{pre}", get(0), get(1), get(2))
}

/// Lowest version a Cargo requirement admits (`"1.2"` → `1.2.0`, `>=2, <3`
/// → `2.0.0`, `*` → `0.0.0`); `None` when it does not parse.
pub(crate) fn lowest_cargo(req: &str) -> Option<String> {
    let mut best: Option<(Vec<u64>, String)> = None;
    for comp in req.split(',') {
        let comp = comp.trim();
        if comp.is_empty() || comp == "*" {
            continue;
        }
        let (op, v) = ["<=", ">=", "<", ">", "=", "^", "~"]
            .iter()
            .find_map(|op| comp.strip_prefix(op).map(|r| (*op, r.trim())))
            .unwrap_or(("", comp));
        let (mut nums, pre) = split_version(v)?;
        if nums.is_empty() && !v.is_empty() && !matches!(v, "*" | "x" | "X") {
            return None;
        }
        let low = match op {
            "<" | "<=" => continue,
            ">" => {
                match nums.len() {
                    0 => continue,
                    3 if !pre.is_empty() => {}
                    n => nums[n - 1] += 1,
                }
                full(&nums, pre)
            }
            _ => full(&nums, pre),
        };
        let key = split_version(&low).map(|(n, _)| n).unwrap_or_default();
        if best.as_ref().is_none_or(|(k, _)| key > *k) {
            best = Some((key, low));
        }
    }
    Some(best.map(|(_, v)| v).unwrap_or_else(|| "0.0.0".to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest() {
        let l = |s: &str| lowest_cargo(s).unwrap();
        assert_eq!(l("1.2"), "1.2.0");
        assert_eq!(l("^0.3.1"), "0.3.1");
        assert_eq!(l(">=2, <3"), "2.0.0");
        assert_eq!(l("*"), "0.0.0");
        assert_eq!(l("~1"), "1.0.0");
        assert_eq!(l("=1.0.0-alpha.1"), "1.0.0-alpha.1");
        assert_eq!(l("1.*"), "1.0.0");
        assert_eq!(l(">1.2"), "1.3.0");
        assert_eq!(l("<2"), "0.0.0");
        assert!(lowest_cargo("banana").is_none());
    }
}
