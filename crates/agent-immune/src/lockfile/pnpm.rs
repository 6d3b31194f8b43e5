//! `pnpm-lock.yaml`: keys `/pkg/1.2.3` (v5), `/pkg@1.2.3` (v6), `pkg@1.2.3` (v9).

use std::collections::HashMap;
use std::path::Path;

use serde_norway::Value;

use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};

/// Name and version of a `packages:` key, peer suffixes stripped; `None`
/// for keys that name no registry version (tarballs, git, local folders).
pub(crate) fn split_key(key: &str) -> Option<(&str, &str)> {
    let key = key.strip_prefix('/').unwrap_or(key);
    let key = key.split('(').next().unwrap_or(key);
    // The name: `@scope/name` or `name`.
    let name_end = if key.starts_with('@') {
        let slash = key.find('/')?;
        slash + 1 + key[slash + 1..].find(['/', '@'])?
    } else {
        key.find(['/', '@'])?
    };
    let name = &key[..name_end];
    let version = &key[name_end + 1..];
    // v5 peer suffix: `1.2.3_react@18.0.0`.
    let version = version.split('_').next().unwrap_or(version);
    if name.is_empty() || !version.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        return None;
    }
    if version.contains(['/', ':']) {
        return None;
    }
    Some((name, version))
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: Value = LockfileError::parse_yaml(path, text)?;
    let Some(map) = doc.as_mapping() else {
        return Err(LockfileError::new(path, Some(1), "expected a YAML mapping"));
    };
    let mut col = Collector::new(Ecosystem::Npm, path);
    let Some(packages) = map.get("packages") else {
        return Ok(col.out);
    };
    // Line of each `  key:` inside the `packages:` section.
    let mut lines: HashMap<&str, usize> = HashMap::new();
    let mut in_packages = false;
    for (i, l) in text.lines().enumerate() {
        if !l.starts_with(' ') && !l.is_empty() {
            in_packages = l.trim_end() == "packages:";
        } else if in_packages && l.starts_with("  ") && !l.starts_with("   ") {
            let k = l.trim();
            let k = k
                .strip_suffix(':')
                .unwrap_or_else(|| k.split(": ").next().unwrap_or(k));
            let k = k
                .strip_prefix(['\'', '"'])
                .and_then(|r| r.strip_suffix(['\'', '"']))
                .unwrap_or(k);
            lines.entry(k).or_insert(i + 1);
        }
    }
    let Some(packages) = packages.as_mapping() else {
        if packages.is_null() {
            return Ok(col.out);
        }
        return Err(LockfileError::new(
            path,
            super::find_key_line(text, "packages", false),
            "`packages` is not a mapping",
        ));
    };
    for (key, entry) in packages {
        let Some(key) = key.as_str() else { continue };
        let line = lines.get(key).copied();
        if !(entry.is_mapping() || entry.is_null()) {
            return Err(LockfileError::new(
                path,
                line,
                format!("entry `{key}` is not a mapping"),
            ));
        }
        if let Some((name, version)) = split_key(key) {
            col.exact(name, version, line);
        }
    }
    Ok(col.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(split_key("/lodash/4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(
            split_key("/@babel/core/7.0.0"),
            Some(("@babel/core", "7.0.0"))
        );
        assert_eq!(
            split_key("/react-dom/18.2.0_react@18.2.0"),
            Some(("react-dom", "18.2.0"))
        );
        assert_eq!(split_key("/lodash@4.17.21"), Some(("lodash", "4.17.21")));
        assert_eq!(
            split_key("/@types/react@18.0.0(react@18.0.0)"),
            Some(("@types/react", "18.0.0"))
        );
        assert_eq!(
            split_key("react-dom@18.2.0(react@18.2.0)"),
            Some(("react-dom", "18.2.0"))
        );
        assert_eq!(split_key("@scope/a@1.0.0"), Some(("@scope/a", "1.0.0")));
        assert_eq!(split_key("github.com/a/b/abc123"), None);
        assert_eq!(split_key("foo@https://x/y.tgz"), None);
        assert_eq!(split_key("file:packages/x"), None);
    }
}
