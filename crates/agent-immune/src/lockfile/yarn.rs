//! `yarn.lock`: classic (v1, yarn's own format) and Berry (YAML).

use std::collections::HashMap;
use std::path::Path;

use serde_norway::Value;

use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let berry = text
        .lines()
        .any(|l| l.starts_with("__metadata:") || l.starts_with("\"__metadata\":"));
    if berry {
        parse_berry(text, path)
    } else {
        parse_classic(text, path)
    }
}

/// Splits `name@range` at the `@` that ends the (possibly scoped) name.
fn split_spec(spec: &str) -> Option<(&str, &str)> {
    let at = spec.get(1..)?.find('@')? + 1;
    Some((&spec[..at], &spec[at + 1..]))
}

fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(s)
}

/// Name of the package a classic header resolves to, or `None` to skip it
/// (file:, link:, git and URL specs).
fn classic_name(header: &str) -> Result<Option<String>, String> {
    let first = header
        .trim_end_matches(':')
        .split(", ")
        .next()
        .map(unquote)
        .unwrap_or("");
    let (name, range) =
        split_spec(first).ok_or_else(|| format!("entry `{first}` has no `@range`"))?;
    if let Some(alias) = range.strip_prefix("npm:") {
        // `alias@npm:real@^1` installs `real`; `pkg@npm:^1` is just `pkg`.
        return Ok(Some(match split_spec(alias) {
            Some((real, _)) => real.to_string(),
            None => name.to_string(),
        }));
    }
    if range.contains(':') || range.contains('/') {
        return Ok(None);
    }
    Ok(Some(name.to_string()))
}

fn parse_classic(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let mut col = Collector::new(Ecosystem::Npm, path);
    // (name or None when skipped, header line, version seen)
    let mut current: Option<(Option<String>, usize, bool)> = None;
    let finish = |cur: &Option<(Option<String>, usize, bool)>| -> Result<(), LockfileError> {
        match cur {
            Some((_, line, false)) => Err(LockfileError::new(
                path,
                Some(*line),
                "entry has no `version`",
            )),
            _ => Ok(()),
        }
    };
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let trimmed = line.trim_end();
        if trimmed.trim_start().is_empty() || trimmed.trim_start().starts_with('#') {
            continue;
        }
        if !trimmed.starts_with(' ') {
            finish(&current)?;
            if !trimmed.ends_with(':') {
                return Err(LockfileError::new(
                    path,
                    Some(n),
                    format!("expected `\"name@range\":` entry header, found `{trimmed}`"),
                ));
            }
            let name = classic_name(trimmed).map_err(|m| LockfileError::new(path, Some(n), m))?;
            current = Some((name, n, false));
            continue;
        }
        let Some(cur) = current.as_mut() else {
            return Err(LockfileError::new(
                path,
                Some(n),
                "indented line before any entry",
            ));
        };
        if let Some(v) = trimmed.strip_prefix("  version ") {
            let v = v.trim();
            if !(v.len() >= 2 && v.starts_with('"') && v.ends_with('"')) && v.contains('"') {
                return Err(LockfileError::new(path, Some(n), "unterminated string"));
            }
            let v = unquote(v);
            cur.2 = true;
            if let Some(name) = &cur.0 {
                if v.as_bytes().first().is_some_and(u8::is_ascii_digit) {
                    col.exact(name, v, Some(cur.1));
                }
            }
        }
    }
    finish(&current)?;
    Ok(col.out)
}

fn parse_berry(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let doc: Value = LockfileError::parse_yaml(path, text)?;
    let Some(map) = doc.as_mapping() else {
        return Err(LockfileError::new(path, Some(1), "expected a YAML mapping"));
    };
    let mut lines: HashMap<&str, usize> = HashMap::new();
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with([' ', '#']) && l.ends_with(':') {
            lines.entry(unquote(&l[..l.len() - 1])).or_insert(i + 1);
        }
    }
    let mut col = Collector::new(Ecosystem::Npm, path);
    for (key, entry) in map {
        let Some(key) = key.as_str() else { continue };
        if key == "__metadata" {
            continue;
        }
        let line = lines.get(key).copied();
        let Some(e) = entry.as_mapping() else {
            return Err(LockfileError::new(
                path,
                line,
                format!("entry `{key}` is not a mapping"),
            ));
        };
        let field = |k: &str| {
            e.get(k).and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
        };
        let Some(version) = field("version") else {
            return Err(LockfileError::new(
                path,
                line,
                format!("entry `{key}` has no `version`"),
            ));
        };
        let resolution = field("resolution")
            .unwrap_or_else(|| key.split(", ").next().unwrap_or(key).to_string());
        let Some((name, rest)) = split_spec(&resolution) else {
            return Err(LockfileError::new(
                path,
                line,
                format!("entry `{key}`: cannot read resolution `{resolution}`"),
            ));
        };
        let registry = rest.starts_with("npm:")
            || (rest.starts_with("patch:") && (rest.contains("@npm%3A") || rest.contains("@npm:")));
        if registry && version.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            col.exact(name, &version, line);
        }
    }
    Ok(col.out)
}
