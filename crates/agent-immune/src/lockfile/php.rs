//! `composer.lock` (Composer 1 and 2).
//!
//! The `packages` and `packages-dev` arrays list every installed package
//! with its `name` (`vendor/package`, matched lower-cased as Packagist
//! does) and `version` as Composer wrote it (`v1.2.0`, `0.18.2`, or a
//! branch such as `dev-main`, which is kept: it names no version, so its
//! matches come back undecided rather than silently clean). Each package's
//! line is the line of its `"name"` key. Platform requirements (`php`,
//! `ext-*`) are not packages and never appear in these arrays; `aliases`,
//! `platform` and the rest are ignored. `composer.json` (declared
//! constraints only) is not read.

use std::path::Path;

use serde_json::Value;

use super::jsonpos::{key_positions, string_values};
use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};

/// Line of each `"name": "<value>"` (decoded value), in order.
fn name_lines(text: &str) -> Vec<(String, usize)> {
    string_values(text, "name")
}

fn key_line(text: &str, key: &str) -> Option<usize> {
    key_positions(text, key).first().map(|(_, line)| *line)
}

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let doc: Value = serde_json::from_str(text).map_err(|e| LockfileError::json(path, &e))?;
    let Some(top) = doc.as_object() else {
        return Err(LockfileError::new(path, Some(1), "expected a JSON object"));
    };
    let names = name_lines(text);
    let mut cursor = 0;
    let mut col = Collector::new(Ecosystem::Packagist, path);
    for key in ["packages", "packages-dev"] {
        let Some(list) = top.get(key) else { continue };
        let key_at = key_line(text, key);
        let Some(list) = list.as_array() else {
            return Err(LockfileError::new(
                path,
                key_at,
                format!("`{key}` is not an array"),
            ));
        };
        for (i, entry) in list.iter().enumerate() {
            let field = |f: &str| entry.get(f).and_then(Value::as_str);
            let Some(name) = field("name") else {
                return Err(LockfileError::new(
                    path,
                    key_at,
                    format!("`{key}[{i}]` has no string `name`"),
                ));
            };
            let line = names[cursor..]
                .iter()
                .position(|(n, _)| n == name)
                .map(|p| {
                    cursor += p + 1;
                    names[cursor - 1].1
                });
            let bad = |m: String| LockfileError::new(path, line.or(key_at), m);
            let shown = |s: &str| {
                s.chars()
                    .take(80)
                    .collect::<String>()
                    .escape_debug()
                    .to_string()
            };
            let valid_name = name
                .split_once('/')
                .is_some_and(|(v, p)| !v.is_empty() && !p.is_empty() && !p.contains('/'))
                && !name.chars().any(|c| c.is_whitespace() || c.is_control());
            if !valid_name {
                return Err(bad(format!(
                    "`{}` is not a `vendor/package` name",
                    shown(name)
                )));
            }
            let Some(version) = field("version") else {
                return Err(bad(format!("package `{name}` has no string `version`")));
            };
            if version.trim().is_empty() || version.chars().any(char::is_control) {
                return Err(bad(format!(
                    "package `{name}`: `{}` is not a version",
                    shown(version)
                )));
            }
            col.exact(&name.to_ascii_lowercase(), version, line);
        }
    }
    Ok(col.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"{
    "_readme": ["x"],
    "packages": [
        {
            "name": "Dompdf/Dompdf",
            "version": "v1.2.0",
            "authors": [{"name": "Fabien"}]
        },
        {
            "name": "league/commonmark",
            "version": "0.18.2"
        }
    ],
    "packages-dev": [
        {"name": "phpunit/phpunit", "version": "dev-main"}
    ],
    "aliases": []
}"#;

    #[test]
    fn both_arrays_with_lines() {
        let pkgs = parse(LOCK, Path::new("composer.lock")).unwrap();
        let got = crate::lockfile::triples(&pkgs);
        assert_eq!(
            got,
            [
                ("dompdf/dompdf", "v1.2.0", Some(5)),
                ("league/commonmark", "0.18.2", Some(10)),
                ("phpunit/phpunit", "dev-main", Some(15)),
            ]
        );
        assert!(pkgs.iter().all(|p| p.ecosystem == Ecosystem::Packagist));
    }

    #[test]
    fn wrong_shapes_are_errors_with_lines() {
        let e = |t: &str| parse(t, Path::new("composer.lock")).unwrap_err();
        assert_eq!(e("{\n\"packages\": {}\n}").line, Some(2));
        assert_eq!(
            e("{\n\"packages\": [\n{\"version\": \"1\"}]\n}").line,
            Some(2)
        );
        assert_eq!(
            e("{\"packages\": [\n{\"name\": \"a/b\",\n\"version\": 1}]}").line,
            Some(2)
        );
        assert_eq!(
            e("{\"packages\": [\n{\"name\": \"nameless\", \"version\": \"1\"}]}").line,
            Some(2)
        );
        assert_eq!(
            e("{\"packages\": [\n{\"name\": \"a/b\", \"version\": \"1\\u0000\"}]}").line,
            Some(2)
        );
        assert_eq!(e("[1]").line, Some(1));
        assert_eq!(e("{\n\"packages\": [\n").line, Some(3));
    }
}
