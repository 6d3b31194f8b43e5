//! Line edits of manifests and pins, the requirement checks that decide
//! whether one is needed, and the unified diff of a plan's edits.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use super::{FileEdit, Target};
use crate::lockfile::read_text;

/// Whether a Cargo requirement admits `version` (`None`: unreadable).
pub(crate) fn cargo_admits(req: &str, version: &str) -> Option<bool> {
    let req = semver::VersionReq::parse(req).ok()?;
    let v = semver::Version::parse(version).ok()?;
    Some(req.matches(&v))
}

/// Whether an npm range admits `version` (`None`: a form not read here —
/// tags, URLs, `workspace:`). `||` alternatives, space-separated
/// comparators, hyphen ranges, `x`/`*` wildcards; caret and tilde as npm
/// means them (the `semver` crate's are the same for these).
pub(crate) fn npm_admits(range: &str, version: &str) -> Option<bool> {
    let v = semver::Version::parse(version.trim_start_matches(['v', '='])).ok()?;
    let mut any = false;
    for alt in range.split("||") {
        let alt = alt.trim();
        let req = if alt.is_empty() || alt == "*" {
            "*".to_string()
        } else if let Some((lo, hi)) = alt.split_once(" - ") {
            format!(">={}, <={}", lo.trim(), hi.trim())
        } else {
            join_comparators(alt)
        };
        let req = semver::VersionReq::parse(&req).ok()?;
        any |= req.matches(&v);
    }
    Some(any)
}

/// `>=1.2.0 <2` → `>=1.2.0, <2` (operators separated from their version
/// are joined first: `>= 1.2` → `>=1.2`).
fn join_comparators(alt: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut pending = String::new();
    for tok in alt.split_whitespace() {
        if tok
            .chars()
            .all(|c| matches!(c, '<' | '>' | '=' | '~' | '^'))
        {
            pending.push_str(tok);
            continue;
        }
        let tok = tok.trim_start_matches('v');
        // A bare version is exact in npm (`1.2.3`) and a range when partial
        // (`1.2`, `1.x`); the `semver` crate reads a bare one as a caret.
        let op = if !pending.is_empty() || tok.starts_with(['<', '>', '=', '~', '^']) {
            std::mem::take(&mut pending)
        } else if tok.contains(['x', 'X', '*']) {
            String::new()
        } else {
            "=".to_string()
        };
        parts.push(format!("{op}{tok}"));
    }
    parts.join(", ")
}

/// Edits of `manifest`'s lines that declare `name` with requirement `req`
/// (`name = "req"`, `name = { version = "req" … }`, `version = "req"` under
/// `[….dependencies.name]`, or JSON `"name": "req"`) to say `new_req`.
pub(crate) fn requirement_edits(
    manifest: &Path,
    name: &str,
    req: &str,
    new_req: &str,
    t: &Target<'_>,
) -> Vec<FileEdit> {
    let Ok(text) = read_text(manifest) else {
        return Vec::new();
    };
    let quoted = format!("\"{req}\"");
    let json_key = format!("\"{name}\"");
    let mut in_dotted = false;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            let header = trimmed.trim_end();
            in_dotted = header.ends_with(&format!(".{name}]")) && header.contains("dependencies.");
            continue;
        }
        let declares = trimmed
            .strip_prefix(name)
            .is_some_and(|r| r.trim_start().starts_with('='))
            || trimmed
                .strip_prefix(&json_key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
            || (in_dotted
                && trimmed
                    .strip_prefix("version")
                    .is_some_and(|r| r.trim_start().starts_with('=')));
        if !declares || !line.contains(&quoted) {
            continue;
        }
        out.push(FileEdit {
            path: manifest.to_path_buf(),
            line: i + 1,
            before: line.to_string(),
            after: line.replacen(&quoted, &format!("\"{new_req}\""), 1),
            package: t.package.to_string(),
            from: t.from.to_string(),
            to: t.to.clone(),
            clears: t.clears.clone(),
        });
    }
    out
}

/// The edit of a `requirements.txt` pin on `line` (`name==from` →
/// `name==to`), or why there is none.
pub(crate) fn pin_edit(t: &Target<'_>, line: usize) -> Result<FileEdit, String> {
    let text = read_text(t.file).map_err(|e| e.to_string())?;
    let Some(before) = text.lines().nth(line - 1) else {
        return Err("the pinned line is gone".into());
    };
    if before.contains("--hash") || before.trim_end().ends_with('\\') {
        return Err("the pin carries hashes, which only the tool that wrote them can make; regenerate the file (e.g. `pip-compile --generate-hashes --upgrade-package`)".into());
    }
    let old = format!("=={}", t.from);
    let Some(at) = before.find(&old) else {
        return Err(format!("the line does not pin `{}`", old));
    };
    let end = at + old.len();
    if before[end..]
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == '*')
    {
        return Err("the pin is not an exact version".into());
    }
    let after = format!("{}=={}{}", &before[..at], t.to, &before[end..]);
    Ok(FileEdit {
        path: t.file.to_path_buf(),
        line,
        before: before.to_string(),
        after,
        package: t.package.to_string(),
        from: t.from.to_string(),
        to: t.to.clone(),
        clears: t.clears.clone(),
    })
}

/// The edits as a unified diff, each file's hunks with three lines of
/// context; edits whose line no longer reads as planned are left out and
/// named.
pub(crate) fn unified_diff(edits: &[FileEdit]) -> (String, Vec<String>) {
    let mut by_file: BTreeMap<&Path, Vec<&FileEdit>> = BTreeMap::new();
    for e in edits {
        by_file.entry(e.path.as_path()).or_default().push(e);
    }
    let mut out = String::new();
    let mut stale = Vec::new();
    for (path, mut edits) in by_file {
        edits.sort_by_key(|e| e.line);
        let Ok(text) = read_text(path) else {
            stale.push(format!("{}: cannot be read", path.display()));
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        let mut live: Vec<&FileEdit> = Vec::new();
        for e in edits {
            if lines.get(e.line - 1) == Some(&e.before.as_str()) {
                live.push(e);
            } else {
                stale.push(format!(
                    "{}:{}: changed since the scan; edit left out",
                    path.display(),
                    e.line
                ));
            }
        }
        if live.is_empty() {
            continue;
        }
        let shown = path.display().to_string();
        let shown = shown.trim_start_matches("./");
        let _ = writeln!(out, "--- a/{shown}\n+++ b/{shown}");
        // Group edits whose context windows touch into one hunk.
        let mut i = 0;
        while i < live.len() {
            let mut j = i;
            while j + 1 < live.len() && live[j + 1].line <= live[j].line + 7 {
                j += 1;
            }
            let start = live[i].line.saturating_sub(3).max(1);
            let end = (live[j].line + 3).min(lines.len());
            let count = end - start + 1;
            let _ = writeln!(out, "@@ -{start},{count} +{start},{count} @@");
            for n in start..=end {
                match live[i..=j].iter().find(|e| e.line == n) {
                    Some(e) => {
                        let _ = writeln!(out, "-{}\n+{}", e.before, e.after);
                    }
                    None => {
                        let _ = writeln!(out, " {}", lines[n - 1]);
                    }
                }
            }
            i = j + 1;
        }
    }
    (out, stale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cargo_requirements() {
        assert_eq!(cargo_admits("1.4", "1.5.5"), Some(true));
        assert_eq!(cargo_admits("=1.4.2", "1.5.5"), Some(false));
        assert_eq!(cargo_admits("~1.4", "1.5.5"), Some(false));
        assert_eq!(cargo_admits("0.8", "0.8.1"), Some(true));
        assert_eq!(cargo_admits("0.7", "0.8.1"), Some(false));
        assert_eq!(cargo_admits("banana", "1.0.0"), None);
    }

    #[test]
    fn npm_ranges() {
        assert_eq!(npm_admits("^4.2.0", "4.17.21"), Some(true));
        assert_eq!(npm_admits("~4.2.0", "4.2.4"), Some(true));
        assert_eq!(npm_admits("~4.2.0", "4.3.0"), Some(false));
        assert_eq!(npm_admits("1.x || >=2.5.0", "2.6.0"), Some(true));
        assert_eq!(npm_admits(">= 1.2.0 < 1.4", "1.3.9"), Some(true));
        assert_eq!(npm_admits(">= 1.2.0 < 1.4", "1.4.0"), Some(false));
        assert_eq!(npm_admits("1.0.0 - 1.2.0", "1.2.0"), Some(true));
        assert_eq!(npm_admits("0.4.7", "0.4.9"), Some(false));
        assert_eq!(npm_admits("*", "9.9.9"), Some(true));
        assert_eq!(npm_admits("github:a/b", "1.0.0"), None);
    }
}
