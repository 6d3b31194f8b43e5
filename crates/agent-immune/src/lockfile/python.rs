//! PyPI: `requirements.txt`, `poetry.lock`, `Pipfile.lock`, `uv.lock`.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde::Deserialize;
use toml::Spanned;

use super::{project_root, read_text, Collector, LineIndex, LockfileError, MAX_INCLUDE_DEPTH};
use crate::types::{Ecosystem, Package};
use crate::version::normalize_name;

/// One requirement line: name, specifier (after extras), marker, line.
struct Req {
    name: String,
    spec: String,
    marker: Option<String>,
    line: usize,
    source: PathBuf,
}

#[derive(Default)]
struct ReqState {
    reqs: Vec<Req>,
    /// Pins from `-c` files, by normalised name.
    constraints: HashMap<String, String>,
    visited: HashSet<PathBuf>,
    /// Includes must stay inside this directory (the project's git root, or
    /// the top-level file's directory): a hostile `-r /etc/shadow` must not
    /// read, or echo, files outside the scanned project.
    root: Option<PathBuf>,
}

/// The exact version of `==1.2.3` / `===1.2.3` (no wildcard, one clause).
fn exact_pin(spec: &str) -> Option<&str> {
    let s = spec.trim();
    let v = s
        .strip_prefix("===")
        .or_else(|| s.strip_prefix("=="))?
        .trim();
    (!v.is_empty() && !v.contains([',', '*', ' ', '<', '>', '!', '~', '='])).then_some(v)
}

/// Lowest version a PEP 440 specifier admits (bare → `0`).
pub(crate) fn lowest_pep440(spec: &str) -> String {
    let mut best: Option<(pep440_rs::Version, String)> = None;
    for clause in spec.split(',') {
        let c = clause.trim();
        let v = if let Some(v) = c.strip_prefix("~=").or_else(|| c.strip_prefix(">=")) {
            v
        } else if let Some(v) = c.strip_prefix("===").or_else(|| c.strip_prefix("==")) {
            v
        } else if c.starts_with("!=") || c.starts_with('<') {
            continue;
        } else if let Some(v) = c.strip_prefix('>') {
            v // approximate: `>1.0` reports 1.0
        } else {
            continue;
        };
        let v = v.trim();
        let v = v.strip_suffix(".*").unwrap_or(v);
        let Ok(parsed) = pep440_rs::Version::from_str(v) else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| parsed > *b) {
            best = Some((parsed, v.to_string()));
        }
    }
    best.map(|(_, v)| v).unwrap_or_else(|| "0".to_string())
}

/// Joins `\` continuations and strips comments; yields (start line, text).
fn logical_lines(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut cur: Option<(usize, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = strip_comment(raw);
        let (start, mut acc) = cur.take().unwrap_or((i + 1, String::new()));
        let trimmed = line.trim_end();
        if let Some(body) = trimmed.strip_suffix('\\') {
            acc.push_str(body);
            acc.push(' ');
            cur = Some((start, acc));
        } else {
            acc.push_str(trimmed);
            out.push((start, acc));
        }
    }
    if let Some(c) = cur {
        out.push(c);
    }
    out
}

fn strip_comment(line: &str) -> &str {
    let b = line.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        if c == b'#' && (i == 0 || b[i - 1].is_ascii_whitespace()) {
            return &line[..i];
        }
    }
    line
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn read_reqs(
    text: &str,
    path: &Path,
    st: &mut ReqState,
    constraint_only: bool,
    depth: usize,
) -> Result<(), LockfileError> {
    let canon = fs_err::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if !st.visited.insert(canon) {
        return Ok(()); // already read: an include cycle or a repeat
    }
    for (line, l) in logical_lines(text) {
        let l = l.trim();
        if l.is_empty() {
            continue;
        }
        if l.starts_with('-') {
            let (opt, arg) = match l.split_once(['=', ' ', '\t']) {
                Some((o, a)) => (o, a.trim()),
                None => (l, ""),
            };
            // `-rfile.txt` / `-cfile.txt`, with no separator.
            let (opt, arg) = match opt.get(..2) {
                Some(short @ ("-r" | "-c")) if opt.len() > 2 && arg.is_empty() => {
                    (short, &opt[2..])
                }
                _ => (opt, arg),
            };
            let constraint = match opt {
                "-r" | "--requirement" => false,
                "-c" | "--constraint" => true,
                _ => continue, // -e, --index-url, --hash on its own line, …
            };
            if arg.is_empty() {
                return Err(LockfileError::new(
                    path,
                    Some(line),
                    format!("`{opt}` needs a file"),
                ));
            }
            if depth >= MAX_INCLUDE_DEPTH {
                return Err(LockfileError::new(
                    path,
                    Some(line),
                    format!(
                        "`{opt} {arg}` would be include number {} in a chain; at most {MAX_INCLUDE_DEPTH} are followed",
                        depth + 1
                    ),
                ));
            }
            let target = path.parent().unwrap_or(Path::new(".")).join(arg);
            if let Some(root) = &st.root {
                let inside = fs_err::canonicalize(&target)
                    .map(|c| c.starts_with(root))
                    .unwrap_or(true);
                if !inside {
                    return Err(LockfileError::new(
                        path,
                        Some(line),
                        format!(
                            "`{opt} {arg}` points outside the project ({}); refusing to read it",
                            root.display()
                        ),
                    ));
                }
            }
            let text = read_text(&target).map_err(|e| LockfileError {
                message: format!("included file {}: {}", target.display(), e.message),
                ..LockfileError::new(path, Some(line), "")
            })?;
            read_reqs(&text, &target, st, constraint_only || constraint, depth + 1)?;
            continue;
        }
        if l.contains("://") || l.starts_with("git+") || l.starts_with('.') || l.starts_with('/') {
            continue; // URLs, VCS and local paths name no PyPI version
        }
        // Options after the requirement (`--hash=…`).
        let l = match l.find(" -") {
            Some(i) => l[..i].trim(),
            None => l,
        };
        let (body, marker) = match l.split_once(';') {
            Some((b, m)) => (b.trim(), Some(m.trim().to_string())),
            None => (l, None),
        };
        let name_end = body.find(|c: char| !is_name_char(c)).unwrap_or(body.len());
        let name = &body[..name_end];
        if name.is_empty() {
            return Err(LockfileError::new(
                path,
                Some(line),
                format!("cannot read requirement `{l}`"),
            ));
        }
        let mut rest = body[name_end..].trim_start();
        if let Some(r) = rest.strip_prefix('[') {
            let Some(close) = r.find(']') else {
                return Err(LockfileError::new(
                    path,
                    Some(line),
                    "unclosed `[` in extras",
                ));
            };
            rest = r[close + 1..].trim_start();
        }
        if rest.starts_with('@') {
            continue; // `name @ url`: a direct reference
        }
        let spec = rest.trim_start_matches('(').trim_end_matches(')').trim();
        if !spec.is_empty() && !spec.starts_with(['=', '<', '>', '!', '~']) {
            return Err(LockfileError::new(
                path,
                Some(line),
                format!("cannot read requirement `{l}`"),
            ));
        }
        if constraint_only {
            if let Some(v) = exact_pin(spec) {
                st.constraints
                    .insert(normalize_name(Ecosystem::PyPI, name), v.to_string());
            }
            continue;
        }
        st.reqs.push(Req {
            name: name.to_string(),
            spec: spec.to_string(),
            marker,
            line,
            source: path.to_path_buf(),
        });
    }
    Ok(())
}

/// Pins and requirements. A requirement with an environment marker is kept;
/// its `requirement` is `"<specifier>; <marker>"`. Unpinned names pinned by a
/// `-c` constraints file take that pin (exact).
pub(super) fn parse_requirements(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let mut st = ReqState {
        root: project_root(path),
        ..ReqState::default()
    };
    read_reqs(text, path, &mut st, false, 0)?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for r in st.reqs {
        let requirement = match &r.marker {
            Some(m) => Some(format!("{}; {m}", r.spec)),
            None => None,
        };
        let key = normalize_name(Ecosystem::PyPI, &r.name);
        let (version, approximate, requirement) = if let Some(v) = exact_pin(&r.spec) {
            (v.to_string(), false, requirement)
        } else if let Some(v) = st.constraints.get(&key) {
            (v.clone(), false, requirement.or(Some(r.spec.clone())))
        } else {
            (
                lowest_pep440(&r.spec),
                true,
                requirement.or(Some(r.spec.clone())),
            )
        };
        if !approximate && !seen.insert((key, version.clone())) {
            continue;
        }
        out.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: r.name,
            version,
            approximate,
            requirement,
            source: r.source,
            line: Some(r.line),
        });
    }
    Ok(out)
}

#[derive(Deserialize)]
struct TomlLock {
    #[serde(default)]
    package: Vec<TomlPackage>,
}

#[derive(Deserialize)]
struct TomlPackage {
    name: Spanned<String>,
    version: Option<String>,
    source: Option<toml::Value>,
}

fn parse_toml_lock(
    text: &str,
    path: &Path,
    keep: impl Fn(Option<&toml::Value>) -> bool,
) -> Result<Vec<Package>, LockfileError> {
    let lock: TomlLock = toml::from_str(text).map_err(|e| LockfileError::toml(path, text, &e))?;
    let mut col = Collector::new(Ecosystem::PyPI, path);
    let lines = LineIndex::new(text);
    for p in &lock.package {
        let Some(version) = &p.version else { continue };
        if keep(p.source.as_ref()) {
            col.exact(
                p.name.get_ref(),
                version,
                Some(lines.line(p.name.span().start)),
            );
        }
    }
    Ok(col.out)
}

/// `poetry.lock`: every package except git, directory, file and URL sources
/// (a `legacy` source is a private index and is kept).
pub(super) fn parse_poetry(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    parse_toml_lock(text, path, |source| {
        let ty = source.and_then(|s| s.get("type")).and_then(|t| t.as_str());
        !matches!(ty, Some("git" | "directory" | "file" | "url"))
    })
}

/// `uv.lock`: registry packages only (editable, virtual, path, directory,
/// git and URL sources are the project or not on PyPI).
pub(super) fn parse_uv(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    parse_toml_lock(text, path, |source| {
        source.is_none_or(|s| s.get("registry").is_some())
    })
}

/// `Pipfile.lock`: `default` and `develop`, `"version": "==1.2.3"`.
pub(super) fn parse_pipfile(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| LockfileError::json(path, &e))?;
    if !doc.is_object() {
        return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
    }
    let mut col = Collector::new(Ecosystem::PyPI, path);
    for section in ["default", "develop"] {
        let Some(deps) = doc.get(section) else {
            continue;
        };
        let section_line = super::json_key_line(text, section, 1);
        let Some(deps) = deps.as_object() else {
            return Err(LockfileError::new(
                path,
                section_line,
                format!("`{section}` is not an object"),
            ));
        };
        for (name, entry) in deps {
            let line = super::json_key_line(text, name, section_line.unwrap_or(1));
            let Some(entry) = entry.as_object() else {
                return Err(LockfileError::new(
                    path,
                    line,
                    format!("`{section}.{name}` is not an object"),
                ));
            };
            let version = match entry.get("version") {
                None => continue, // git, path and editable entries
                Some(serde_json::Value::String(v)) => v,
                Some(_) => {
                    return Err(LockfileError::new(
                        path,
                        line,
                        format!("`{section}.{name}.version` is not a string"),
                    ))
                }
            };
            match exact_pin(version) {
                Some(v) => col.exact(name, v, line),
                None => {
                    return Err(LockfileError::new(
                        path,
                        line,
                        format!("`{name}`: version `{version}` is not `==<version>`"),
                    ))
                }
            }
        }
    }
    Ok(col.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest() {
        assert_eq!(lowest_pep440(">=1.2,<2"), "1.2");
        assert_eq!(lowest_pep440("~=3.1.4"), "3.1.4");
        assert_eq!(lowest_pep440(""), "0");
        assert_eq!(lowest_pep440("==2.*"), "2");
        assert_eq!(lowest_pep440("<3"), "0");
        assert_eq!(exact_pin("==1.0"), Some("1.0"));
        assert_eq!(exact_pin("===1.0"), Some("1.0"));
        assert_eq!(exact_pin("==1.*"), None);
    }

    #[test]
    fn logical() {
        let l = logical_lines("a==1 \\\n  --hash=sha256:x\n# c\nb # d\n");
        assert_eq!(l[0].0, 1);
        assert!(l[0].1.contains("--hash"));
        assert_eq!(l[2], (4, "b".to_string()));
    }
}
