//! `Gemfile.lock` (and `gems.locked`), as Bundler writes it.
//!
//! Sections start at column 0 (`GEM`, `GIT`, `PATH`, `PLATFORMS`,
//! `DEPENDENCIES`, `RUBY VERSION`, `BUNDLED WITH`, `CHECKSUMS`, `PLUGIN
//! SOURCE`). Only `GEM` sections (one per gem source — rubygems.org or
//! another gem server) hold registry gems: their `specs:` list each gem at
//! a 4-space indent as `name (version)` or `name (version-platform)`; the
//! platform (`x86_64-linux`, `java`, `arm64-darwin`) is dropped, since
//! RubyGems versions never hold a `-` once Bundler has written them
//! (`1.0.0-rc1` is written `1.0.0.pre.rc1`). The 6-space lines under a gem
//! are its dependencies' requirements, not resolved versions, and are
//! skipped. `GIT` and `PATH` sections name gems built from a repository or
//! a directory: not the registry's code, so OSV's RubyGems records do not
//! describe them; they are skipped.

use std::path::Path;

use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};
use crate::version::parse_version;

pub(super) fn parse(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let mut col = Collector::new(Ecosystem::RubyGems, path);
    let mut in_gem = false;
    let mut in_specs = false;
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.strip_suffix('\r').unwrap_or(raw);
        let err = |m: String| LockfileError::new(path, Some(n), m);
        if line.trim().is_empty() {
            continue;
        }
        if line.starts_with("<<<<<<<") || line.starts_with(">>>>>>>") || line == "=======" {
            return Err(err("an unresolved merge conflict".into()));
        }
        if line.starts_with('\t') {
            return Err(err(
                "indented with a tab; Bundler indents with spaces".into()
            ));
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if indent == 0 {
            in_gem = line == "GEM";
            in_specs = false;
            continue;
        }
        if !in_gem {
            continue;
        }
        match indent {
            2 => in_specs = line.trim_end() == "  specs:",
            4 if in_specs => {
                let (name, version) = spec(line[4..].trim_end()).map_err(err)?;
                if let Err(e) = parse_version(Ecosystem::RubyGems, version) {
                    return Err(err(format!("gem `{name}`: {e}")));
                }
                col.exact(name, version, Some(n));
            }
            6 if in_specs => {} // a dependency requirement of the gem above
            _ if in_specs => {
                return Err(err(format!(
                    "indented {indent} spaces in `specs:`; gems are at 4, their requirements at 6"
                )))
            }
            _ => {}
        }
    }
    Ok(col.out)
}

/// `name (version[-platform])` → (name, version).
pub(super) fn spec(s: &str) -> Result<(&str, &str), String> {
    let shown = || {
        s.chars()
            .take(80)
            .collect::<String>()
            .escape_debug()
            .to_string()
    };
    let Some((name, rest)) = s.split_once(" (") else {
        return Err(format!("expected `name (version)`, found `{}`", shown()));
    };
    let Some(inner) = rest.strip_suffix(')') else {
        return Err(format!("expected `name (version)`, found `{}`", shown()));
    };
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !valid_name {
        return Err(format!("`{}` is not a gem name", shown()));
    }
    let version = inner.split_once('-').map_or(inner, |(v, _platform)| v);
    if version.is_empty() {
        return Err(format!("gem `{name}` has no version"));
    }
    Ok((name, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = "GIT\n  remote: https://github.com/rails/rails.git\n  revision: abc\n  specs:\n    rails (7.1.0.alpha)\n\n\
PATH\n  remote: .\n  specs:\n    myapp (0.1.0)\n      rack (>= 2)\n\n\
GEM\n  remote: https://rubygems.org/\n  specs:\n    nokogiri (1.13.9-x86_64-linux)\n      racc (~> 1.4)\n    racc (1.6.0)\n    jruby-openssl (0.14.1-java)\n    rack (2.2.4)\n    rails-html-sanitizer (1.4.3)\n      loofah (~> 2.3)\n\n\
GEM\n  remote: https://gems.example.com/\n  specs:\n    private_gem (3.0.0.pre.rc1)\n\n\
PLATFORMS\n  x86_64-linux\n\n\
DEPENDENCIES\n  nokogiri (>= 1.13)\n  rails!\n\n\
CHECKSUMS\n  rack (2.2.4) sha256=00\n\n\
BUNDLED WITH\n   2.4.10\n";

    #[test]
    fn gem_sections_only() {
        let pkgs = parse(LOCK, Path::new("Gemfile.lock")).unwrap();
        let got = crate::lockfile::triples(&pkgs);
        assert_eq!(
            got,
            [
                ("nokogiri", "1.13.9", Some(16)),
                ("racc", "1.6.0", Some(18)),
                ("jruby-openssl", "0.14.1", Some(19)),
                ("rack", "2.2.4", Some(20)),
                ("rails-html-sanitizer", "1.4.3", Some(21)),
                ("private_gem", "3.0.0.pre.rc1", Some(27)),
            ]
        );
        assert!(pkgs
            .iter()
            .all(|p| p.ecosystem == Ecosystem::RubyGems && !p.approximate));
    }

    #[test]
    fn malformed_lines_are_errors_with_lines() {
        let e = |t: &str| parse(t, Path::new("Gemfile.lock")).unwrap_err();
        assert_eq!(e("GEM\n  specs:\n    rack 2.2.4\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n    rack (2.2.4\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n    rack ()\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n    rack (abc)\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n    rack (1.0\u{0})\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n     rack (1.0)\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n\track (1.0)\n").line, Some(3));
        assert_eq!(e("GEM\n  specs:\n    ra ck (1.0)\n").line, Some(3));
        let c = e("GEM\n<<<<<<< HEAD\n");
        assert!(c.message.contains("merge conflict"), "{c}");
        // Outside GEM, anything goes.
        assert!(parse("PATH\n  specs:\n    x y z\n", Path::new("g"))
            .unwrap()
            .is_empty());
    }
}
