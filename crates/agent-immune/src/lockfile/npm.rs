//! `package-lock.json` / `npm-shrinkwrap.json` (v1, v2, v3) and `package.json`.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};

/// First line of each JSON object key `"key": {` — one pass, for line numbers.
fn object_key_lines(text: &str) -> HashMap<&str, usize> {
    object_key_lines_where(text, |_| true)
}

/// Like [`object_key_lines`], keeping only keys `keep` accepts (a v2/v3
/// lock only needs its `node_modules/…` keys, not every `"version":`).
fn object_key_lines_where(text: &str, keep: impl Fn(&str) -> bool) -> HashMap<&str, usize> {
    let mut map = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix('"') else {
            continue;
        };
        let Some(end) = rest.find('"') else { continue };
        if keep(&rest[..end]) && rest[end + 1..].trim_start().starts_with(':') {
            map.entry(&rest[..end]).or_insert(i + 1);
        }
    }
    map
}

#[derive(serde::Deserialize)]
struct LockTop<'a> {
    #[serde(borrow, default)]
    packages: Option<std::collections::BTreeMap<std::borrow::Cow<'a, str>, LockEntry<'a>>>,
    #[serde(borrow, default)]
    dependencies: Option<&'a serde_json::value::RawValue>,
}

#[derive(serde::Deserialize)]
struct LockEntry<'a> {
    #[serde(borrow, default)]
    version: Option<std::borrow::Cow<'a, str>>,
    #[serde(borrow, default)]
    name: Option<std::borrow::Cow<'a, str>>,
    #[serde(default)]
    link: Option<bool>,
}

/// True for a version that is a registry version (not a URL, path or git ref).
fn is_semverish(v: &str) -> bool {
    v.as_bytes().first().is_some_and(u8::is_ascii_digit)
}

pub(super) fn parse_package_lock(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    // Typed and borrowing: only the fields a scan needs are materialised
    // (a 1,600-package lock is ~1 MB of JSON; building a `Value` tree of it
    // dominated the scan). The v1 tree is kept raw until it is needed.
    let top: LockTop<'_> = match serde_json::from_str(text) {
        Ok(t) => t,
        Err(e) => {
            // Say which entry is malformed when the shape is wrong.
            if let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(text) {
                let lines = object_key_lines(text);
                if let Some(p) = obj.get("packages") {
                    let Some(map) = p.as_object() else {
                        return Err(LockfileError::new(
                            path,
                            lines.get("packages").copied(),
                            "`packages` is not an object",
                        ));
                    };
                    if let Some((key, _)) = map.iter().find(|(_, v)| !v.is_object()) {
                        return Err(LockfileError::new(
                            path,
                            lines.get(key.as_str()).copied(),
                            format!("entry `{key}` is not an object"),
                        ));
                    }
                }
            } else if serde_json::from_str::<Value>(text).is_ok() {
                return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
            }
            return Err(LockfileError::json(path, &e));
        }
    };
    let mut col = Collector::new(Ecosystem::Npm, path);
    if let Some(packages) = &top.packages {
        let lines = object_key_lines_where(text, |k| k.contains("node_modules/"));
        for (key, e) in packages {
            let Some(idx) = key.rfind("node_modules/") else {
                continue; // the root "" and workspace folders are the project's own
            };
            if e.link == Some(true) {
                continue;
            }
            let Some(version) = e.version.as_deref() else {
                continue;
            };
            // An alias (`"node_modules/foo": {"name": "bar"}`) installs `bar`.
            let name = e
                .name
                .as_deref()
                .unwrap_or(&key[idx + "node_modules/".len()..]);
            push_pin(&mut col, name, version, lines.get(key.as_ref()).copied());
        }
    } else if let Some(raw) = &top.dependencies {
        let deps: Value =
            serde_json::from_str(raw.get()).map_err(|e| LockfileError::json(path, &e))?;
        let lines = object_key_lines(text);
        let mut chain = vec!["dependencies"];
        walk_v1(
            &deps,
            &Walk {
                lines: &lines,
                text,
                path,
            },
            &mut col,
            &mut chain,
        )?;
    }
    Ok(col.out)
}

/// Adds `name@version`, resolving `npm:real@1.2.3` aliases; skips non-registry versions.
fn push_pin(col: &mut Collector, name: &str, version: &str, line: Option<usize>) {
    if let Some(alias) = version.strip_prefix("npm:") {
        if let Some(at) = alias.get(1..).and_then(|r| r.rfind('@')) {
            let (real, v) = (&alias[..at + 1], &alias[at + 2..]);
            if is_semverish(v) {
                col.exact(real, v, line);
            }
        }
    } else if is_semverish(version) {
        col.exact(name, version, line);
    }
}

/// What every level of a v1 tree walk reads.
struct Walk<'a> {
    lines: &'a HashMap<&'a str, usize>,
    text: &'a str,
    path: &'a Path,
}

/// A v1 `dependencies` object, reached through the keys in `chain` (which
/// name the line of an error; looked up only then).
fn walk_v1<'v>(
    deps: &'v Value,
    w: &Walk<'_>,
    col: &mut Collector,
    chain: &mut Vec<&'v str>,
) -> Result<(), LockfileError> {
    let path = w.path;
    // `chain` alternates `dependencies` and a name: two keys a level.
    if chain.len() > 2 * 256 {
        return Err(LockfileError::new(
            path,
            super::json_chain_line(w.text, chain),
            "dependency tree nested more than 256 levels deep",
        ));
    }
    let Some(deps) = deps.as_object() else {
        return Err(LockfileError::new(
            path,
            super::json_chain_line(w.text, chain),
            "`dependencies` is not an object",
        ));
    };
    for (name, entry) in deps {
        chain.push(name);
        let line = || {
            w.lines
                .get(name.as_str())
                .copied()
                .or_else(|| super::json_chain_line(w.text, chain))
        };
        let Some(e) = entry.as_object() else {
            return Err(LockfileError::new(
                path,
                line(),
                format!("dependency `{name}` is not an object"),
            ));
        };
        if let Some(v) = e.get("version").and_then(Value::as_str) {
            push_pin(col, name, v, line());
        }
        if let Some(nested) = e.get("dependencies") {
            chain.push("dependencies");
            walk_v1(nested, w, col, chain)?;
            chain.pop();
        }
        chain.pop();
    }
    Ok(())
}

const DEP_FIELDS: [&str; 4] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
];

pub(super) fn parse_package_json(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| LockfileError::json(path, &e))?;
    let Some(obj) = doc.as_object() else {
        return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
    };
    let lines = object_key_lines(text);
    let mut col = Collector::new(Ecosystem::Npm, path);
    for field in DEP_FIELDS {
        let Some(deps) = obj.get(field) else { continue };
        let Some(deps) = deps.as_object() else {
            return Err(LockfileError::new(
                path,
                lines.get(field).copied(),
                format!("`{field}` is not an object"),
            ));
        };
        for (name, spec) in deps {
            let line = lines
                .get(name.as_str())
                .copied()
                .or_else(|| super::json_key_line(text, name, 1));
            let Some(spec) = spec.as_str() else {
                return Err(LockfileError::new(
                    path,
                    line,
                    format!("`{field}.{name}` is not a string"),
                ));
            };
            let (name, range) = match spec.strip_prefix("npm:") {
                Some(alias) => match alias.get(1..).and_then(|r| r.rfind('@')) {
                    Some(at) => (&alias[..at + 1], &alias[at + 2..]),
                    None => (alias, "*"),
                },
                None => (name.as_str(), spec),
            };
            if let Some(low) = lowest_npm(range) {
                col.approx(name, &low, spec, line);
            }
        }
    }
    Ok(col.out)
}

/// Parses `1`, `1.2`, `1.2.3-pre`, `1.x`, `v1.2` into numbers (missing or
/// wildcard parts are 0) and a pre-release suffix.
fn npm_version(v: &str) -> Option<([u64; 3], String)> {
    let v = v.trim().trim_start_matches(['v', '=']);
    if matches!(v, "" | "*" | "x" | "X") {
        return Some(([0; 3], String::new()));
    }
    let (core, pre) = match v.find(['-', '+']) {
        Some(i) => (&v[..i], &v[i..]),
        None => (v, ""),
    };
    let mut out = [0u64; 3];
    let mut wildcard = false;
    for (i, part) in core.split('.').enumerate() {
        if i >= 3 {
            return None;
        }
        if matches!(part, "*" | "x" | "X") {
            wildcard = true;
            continue;
        }
        if wildcard {
            return None;
        }
        out[i] = part.parse().ok()?;
    }
    let pre = if pre.starts_with('+') { "" } else { pre };
    Some((out, pre.to_string()))
}

fn fmt_npm((n, pre): &([u64; 3], String)) -> String {
    format!("{}.{}.{}{pre}", n[0], n[1], n[2])
}

/// Lowest version an npm range admits, or `None` for a spec that is not a
/// range (a dist-tag, URL, path, git or workspace spec).
pub(crate) fn lowest_npm(range: &str) -> Option<String> {
    let range = range.trim();
    if range.contains(':') || range.contains('/') {
        return None; // file:, link:, workspace:, git+…, URLs, user/repo
    }
    let mut best: Option<([u64; 3], String)> = None;
    for alt in range.split("||") {
        let alt = alt.trim();
        let low = if let Some((a, _)) = alt.split_once(" - ") {
            npm_version(a)?
        } else {
            let mut low = ([0u64; 3], String::new());
            // Join operators separated from their version: `>= 1.2`.
            let mut tokens: Vec<String> = Vec::new();
            for tok in alt.split_whitespace() {
                match tokens.last_mut() {
                    Some(last)
                        if last
                            .chars()
                            .all(|c| matches!(c, '<' | '>' | '=' | '^' | '~')) =>
                    {
                        last.push_str(tok)
                    }
                    _ => tokens.push(tok.to_string()),
                }
            }
            for tok in &tokens {
                let (op, v) = ["<=", ">=", "<", ">", "=", "^", "~"]
                    .iter()
                    .find_map(|op| tok.strip_prefix(op).map(|r| (*op, r)))
                    .unwrap_or(("", tok.as_str()));
                let parsed = npm_version(v)?;
                match op {
                    "<" | "<=" => continue,
                    ">" => {
                        let mut p = parsed;
                        p.0[2] += 1;
                        p.1.clear();
                        if p.0 > low.0 {
                            low = p;
                        }
                    }
                    _ => {
                        if parsed.0 > low.0 || (parsed.0 == low.0 && low.1.is_empty()) {
                            low = parsed;
                        }
                    }
                }
            }
            low
        };
        if best.as_ref().is_none_or(|b| low.0 < b.0) {
            best = Some(low);
        }
    }
    best.map(|b| fmt_npm(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest() {
        let l = |s: &str| lowest_npm(s);
        assert_eq!(l("^1.2.3").as_deref(), Some("1.2.3"));
        assert_eq!(l("~1.2").as_deref(), Some("1.2.0"));
        assert_eq!(l("1.x").as_deref(), Some("1.0.0"));
        assert_eq!(l("*").as_deref(), Some("0.0.0"));
        assert_eq!(l("").as_deref(), Some("0.0.0"));
        assert_eq!(l(">=1.0.0 <2").as_deref(), Some("1.0.0"));
        assert_eq!(l(">= 2.1 < 3").as_deref(), Some("2.1.0"));
        assert_eq!(l("^2.0.0 || ^1.4.0").as_deref(), Some("1.4.0"));
        assert_eq!(l("1.2.3 - 2.0.0").as_deref(), Some("1.2.3"));
        assert_eq!(l("4.0.0-rc.1").as_deref(), Some("4.0.0-rc.1"));
        assert_eq!(l("v3.1.0").as_deref(), Some("3.1.0"));
        assert_eq!(l("latest"), None);
        assert_eq!(l("next"), None);
        assert_eq!(l("file:../x"), None);
        assert_eq!(l("github:a/b"), None);
        assert_eq!(l("a/b#main"), None);
        assert_eq!(l("workspace:*"), None);
        assert_eq!(l("https://x.org/a.tgz"), None);
    }
}
