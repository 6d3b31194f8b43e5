//! `Cargo.lock` (formats 1–4) and `Cargo.toml`.
//!
//! [`lock`] reads a lockfile's entries; [`sourceless`] decides which are
//! crates.io packages (path crates are the project's own and git crates are
//! not on crates.io, so OSV's crates.io records do not describe them — but
//! an entry whose `source` line was removed is still a registry crate);
//! [`workspace`] finds the project's own crates in its manifests.

mod lock;
mod sourceless;
mod workspace;

use std::path::{Path, PathBuf};

pub use lock::{Entry, Lock};

use super::{LockfileError, LockfileNote};
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

/// The crates.io packages a `Cargo.lock` pins, with what had to be assumed
/// about entries without a `source` ([`sourceless`]).
pub(super) fn parse_lock(
    text: &str,
    path: &Path,
) -> Result<(Vec<Package>, Vec<LockfileNote>), LockfileError> {
    let lock = match lock::scan(text) {
        Some(lock) => lock,
        None => lock::parse_toml(text, path)?,
    };
    Ok(sourceless::resolve(&lock, path, &|| {
        workspace::local_crates(path)
    }))
}

/// The fast path alone (public for tests and benches): `None` whenever the
/// file strays from what cargo writes.
pub fn scan_lock(text: &str) -> Option<Lock<'_>> {
    lock::scan(text)
}

/// The slow, strict path alone: the full TOML parser (public for tests and benches).
pub fn parse_lock_toml<'a>(text: &str, path: &Path) -> Result<Lock<'a>, LockfileError> {
    lock::parse_toml(text, path)
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
