//! `go.mod` and `go.sum`.
//!
//! `go.mod` is the build list when its `go` directive is 1.17 or later:
//! module graph pruning makes it list every module that provides a package
//! the build imports, at the version minimal version selection picks, so
//! its requirements come back exact. Before 1.17 (or with no `go`
//! directive) it lists direct dependencies and a few indirect ones, and a
//! dependency's own `go.mod` can raise a version, so requirements come back
//! `approximate` (`>= vX.Y.Z`).
//!
//! Directives: `require` (single lines and blocks, `// indirect` or not),
//! `replace` (a local directory drops the module — it is not a registry
//! module; another `module version` is scanned in its place; a replace
//! naming a version applies to that version only), `exclude` (a required
//! version that is excluded is not built; Go takes the next version up, so
//! it comes back approximate, `> vX.Y.Z`). `retract` concerns this
//! module's own versions and is ignored, as are `godebug`, `tool`,
//! `ignore` and directives a newer Go adds.
//!
//! The standard library is reported as the pseudo-module `stdlib` (the name
//! OSV's Go records use) when a `toolchain` directive names a release:
//! approximate, since Go uses that toolchain or a newer one. The `go` line
//! alone is not used: it is the language version (a module saying `go
//! 1.13` is built by whatever Go is installed), and reading it as the
//! toolchain would report every standard-library fix since.
//!
//! `go.sum` is a fallback for when no `go.mod` is beside it (discovery drops
//! it otherwise). It holds checksums, not the build list: a `path
//! version/go.mod` line means only that version's `go.mod` was read while
//! selecting versions — its code is not built — so those lines are
//! skipped; of the versions whose code was downloaded, the highest per
//! module is the one minimal version selection keeps, and only it is
//! reported.

use std::collections::HashMap;
use std::path::Path;

use super::{Collector, LockfileError};
use crate::types::{Ecosystem, Package};
use crate::version::parse_version;

/// The name OSV's Go records give the standard library.
pub const STDLIB: &str = "stdlib";

/// The first `go` release whose `go.mod` lists the full build list.
const PRUNED_FROM: (u64, u64) = (1, 17);

/// A token of a `go.mod` line and whether it was quoted.
#[derive(Debug, PartialEq, Eq)]
struct Token {
    text: String,
    quoted: bool,
}

/// One line split into tokens, its comment (`// indirect` among them) dropped:
/// a module required only indirectly is built all the same.
fn tokenize(line: &str, path: &Path, line_no: usize) -> Result<Vec<Token>, LockfileError> {
    let err = |m: &str| LockfileError::new(path, Some(line_no), m.to_string());
    let mut out = Vec::new();
    let mut chars = line.char_indices().peekable();
    while let Some(&(i, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '/' if line[i..].starts_with("//") => break,
            '(' | ')' => {
                chars.next();
                out.push(Token {
                    text: c.to_string(),
                    quoted: false,
                });
            }
            '"' => {
                chars.next();
                let mut text = String::new();
                let mut closed = false;
                while let Some((_, c)) = chars.next() {
                    match c {
                        '"' => {
                            closed = true;
                            break;
                        }
                        '\\' => match chars.next() {
                            Some((_, e)) => text.push(e),
                            None => break,
                        },
                        c => text.push(c),
                    }
                }
                if !closed {
                    return Err(err("unterminated quoted string"));
                }
                out.push(Token { text, quoted: true });
            }
            '`' => {
                chars.next();
                let rest = &line[i + 1..];
                let Some(end) = rest.find('`') else {
                    return Err(err("unterminated raw string"));
                };
                out.push(Token {
                    text: rest[..end].to_string(),
                    quoted: true,
                });
                while chars.peek().is_some_and(|&(j, _)| j <= i + 1 + end) {
                    chars.next();
                }
            }
            _ => {
                let start = i;
                let mut end = line.len();
                while let Some(&(j, c)) = chars.peek() {
                    if c.is_whitespace()
                        || matches!(c, '(' | ')' | '"' | '`')
                        || line[j..].starts_with("//")
                    {
                        end = j;
                        break;
                    }
                    chars.next();
                }
                out.push(Token {
                    text: line[start..end].to_string(),
                    quoted: false,
                });
            }
        }
    }
    Ok(out)
}

/// A `require`d module.
struct Require {
    path: String,
    version: String,
    line: usize,
}

/// Where a `replace` sends a module.
enum Target {
    /// A directory: not a registry module.
    Local,
    /// Another module at a version.
    Module(String, String),
}

struct Replace {
    target: Target,
    line: usize,
}

/// What `go.mod` says.
#[derive(Default)]
struct GoMod {
    go: Option<(String, usize)>,
    toolchain: Option<(String, usize)>,
    requires: Vec<Require>,
    /// (path, version or `None` for every version) → target.
    replaces: HashMap<(String, Option<String>), Replace>,
    excludes: Vec<(String, String)>,
}

/// True for a replacement that is a directory (`./x`, `../x`, `/x`, `C:\x`).
fn is_local(target: &str) -> bool {
    target.starts_with("./")
        || target.starts_with("../")
        || target.starts_with('/')
        || target.starts_with(".\\")
        || target.starts_with("..\\")
        || target == "."
        || target == ".."
        || (target.len() > 2
            && target.as_bytes()[1] == b':'
            && target.as_bytes()[0].is_ascii_alphabetic())
}

/// Checks a module version (`v1.2.3`, `v0.0.0-2021…-abcdef`, `v2.0.0+incompatible`).
fn module_version(
    module: &str,
    v: &str,
    path: &Path,
    line: usize,
) -> Result<String, LockfileError> {
    if v.starts_with('v') && !v.contains('\0') && parse_version(Ecosystem::Go, v).is_ok() {
        return Ok(v.to_string());
    }
    let shown: String = v
        .chars()
        .take(64)
        .collect::<String>()
        .escape_debug()
        .to_string();
    Err(LockfileError::new(
        path,
        Some(line),
        format!("`{module}`: `{shown}` is not a module version (vMAJOR.MINOR.PATCH)"),
    ))
}

fn module_path(t: &Token, path: &Path, line: usize) -> Result<String, LockfileError> {
    if t.text.is_empty() || t.text.contains(['\0', ' ']) || t.text == "=>" {
        return Err(LockfileError::new(
            path,
            Some(line),
            format!("`{}` is not a module path", t.text.escape_debug()),
        ));
    }
    Ok(t.text.clone())
}

impl GoMod {
    fn parse(text: &str, path: &Path) -> Result<GoMod, LockfileError> {
        let mut m = GoMod::default();
        let mut block: Option<(String, usize)> = None;
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let tokens = tokenize(line, path, n)?;
            if tokens.is_empty() {
                continue;
            }
            if let Some((verb, _)) = &block {
                if tokens.len() == 1 && tokens[0].text == ")" && !tokens[0].quoted {
                    block = None;
                    continue;
                }
                let verb = verb.clone();
                m.entry(&verb, &tokens, path, n)?;
                continue;
            }
            let verb = &tokens[0].text;
            let opens = tokens.len() >= 2 && tokens[1].text == "(" && !tokens[1].quoted;
            if opens {
                match tokens.len() {
                    2 => block = Some((verb.clone(), n)),
                    3 if tokens[2].text == ")" => {}
                    _ => {
                        return Err(LockfileError::new(
                            path,
                            Some(n),
                            format!("`{verb} (` must end its line"),
                        ))
                    }
                }
                continue;
            }
            if tokens[0].text == ")" {
                return Err(LockfileError::new(path, Some(n), "`)` without a block"));
            }
            m.entry(&verb.clone(), &tokens[1..], path, n)?;
        }
        if let Some((verb, start)) = block {
            return Err(LockfileError::new(
                path,
                Some(start),
                format!("`{verb} (` block is never closed"),
            ));
        }
        Ok(m)
    }

    fn entry(
        &mut self,
        verb: &str,
        args: &[Token],
        path: &Path,
        n: usize,
    ) -> Result<(), LockfileError> {
        let bad =
            |what: &str| LockfileError::new(path, Some(n), format!("`{verb}` expects {what}"));
        match verb {
            "go" => {
                let [v] = args else {
                    return Err(bad("one version (`go 1.22`)"));
                };
                self.go = Some((v.text.clone(), n));
            }
            "toolchain" => {
                let [v] = args else {
                    return Err(bad("one toolchain name (`toolchain go1.22.1`)"));
                };
                self.toolchain = Some((v.text.clone(), n));
            }
            "require" => {
                let [p, v] = args else {
                    return Err(bad("a module path and a version"));
                };
                let p = module_path(p, path, n)?;
                let version = module_version(&p, &v.text, path, n)?;
                self.requires.push(Require {
                    path: p,
                    version,
                    line: n,
                });
            }
            "exclude" => {
                let [p, v] = args else {
                    return Err(bad("a module path and a version"));
                };
                let p = module_path(p, path, n)?;
                let version = module_version(&p, &v.text, path, n)?;
                self.excludes.push((p, version));
            }
            "replace" => {
                let arrow = args
                    .iter()
                    .position(|t| t.text == "=>" && !t.quoted)
                    .ok_or_else(|| bad("`old [version] => new [version]`"))?;
                let (old, new) = (&args[..arrow], &args[arrow + 1..]);
                let (old_path, old_version) = match old {
                    [p] => (module_path(p, path, n)?, None),
                    [p, v] => {
                        let p = module_path(p, path, n)?;
                        let v = module_version(&p, &v.text, path, n)?;
                        (p, Some(v))
                    }
                    _ => return Err(bad("`old [version] => new [version]`")),
                };
                let target = match new {
                    [dir] if is_local(&dir.text) => Target::Local,
                    [other] => {
                        return Err(LockfileError::new(
                            path,
                            Some(n),
                            format!(
                            "replacement `{}` has no version and is not a directory (./ or ../)",
                            other.text.escape_debug()
                        ),
                        ))
                    }
                    [p, v] => {
                        let p = module_path(p, path, n)?;
                        let v = module_version(&p, &v.text, path, n)?;
                        Target::Module(p, v)
                    }
                    _ => return Err(bad("`old [version] => new [version]`")),
                };
                self.replaces
                    .insert((old_path, old_version), Replace { target, line: n });
            }
            // `module` names this module; `retract` its own bad versions;
            // `godebug`, `tool`, `ignore` and future directives do not
            // change which modules are built.
            _ => {}
        }
        Ok(())
    }

    /// True when the `go` directive is 1.17 or later (the build list is complete).
    fn pruned(&self) -> bool {
        self.go
            .as_ref()
            .and_then(|(v, _)| go_release(v))
            .is_some_and(|(major, minor, ..)| (major, minor) >= PRUNED_FROM)
    }
}

/// `1.21`, `1.21.3`, `1.21rc2`, `go1.21.3` → (major, minor, patch, pre-release).
fn go_release(v: &str) -> Option<(u64, u64, u64, Option<String>)> {
    let v = v.strip_prefix("go").unwrap_or(v);
    let split = v.find(|c: char| c.is_ascii_alphabetic()).unwrap_or(v.len());
    let (nums, pre) = v.split_at(split);
    let mut parts = nums.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    let patch = parts.next().map_or(Some(0), |p| p.parse().ok())?;
    if parts.next().is_some() {
        return None;
    }
    let pre = if pre.is_empty() {
        None
    } else {
        let kind_end = pre.find(|c: char| c.is_ascii_digit()).unwrap_or(pre.len());
        let (kind, num) = pre.split_at(kind_end);
        if !matches!(kind, "rc" | "beta") || num.parse::<u64>().is_err() {
            return None;
        }
        Some(format!("{kind}.{num}"))
    };
    Some((major, minor, patch, pre))
}

/// A Go release as OSV's `stdlib` records spell it: `1.21.0-rc.2`, `1.21.3`.
pub(crate) fn stdlib_version(v: &str) -> Option<String> {
    let (major, minor, patch, pre) = go_release(v)?;
    Some(match pre {
        Some(pre) => format!("{major}.{minor}.{patch}-{pre}"),
        None => format!("{major}.{minor}.{patch}"),
    })
}

pub(super) fn parse_go_mod(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    let m = GoMod::parse(text, path)?;
    let pruned = m.pruned();
    let mut col = Collector::new(Ecosystem::Go, path);
    for r in &m.requires {
        let replaced = m
            .replaces
            .get(&(r.path.clone(), Some(r.version.clone())))
            .or_else(|| m.replaces.get(&(r.path.clone(), None)));
        let (name, version, line) = match replaced {
            Some(Replace {
                target: Target::Local,
                ..
            }) => continue,
            Some(Replace {
                target: Target::Module(p, v),
                line,
            }) => (p.as_str(), v.as_str(), *line),
            None => (r.path.as_str(), r.version.as_str(), r.line),
        };
        let excluded = m.excludes.iter().any(|(p, v)| p == name && v == version);
        if excluded {
            let req = format!("> {version} ({version} is excluded)");
            col.approx(name, version, &req, Some(line));
        } else if pruned {
            col.exact(name, version, Some(line));
        } else {
            col.approx(name, version, &format!(">= {version}"), Some(line));
        }
    }
    if let Some((v, line)) = &m.toolchain {
        if let Some(version) = stdlib_version(v) {
            col.approx(STDLIB, &version, &format!("toolchain {v}"), Some(*line));
        }
    }
    Ok(col.out)
}

pub(super) fn parse_go_sum(text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    // module → (index in `order`, version, line)
    let mut best: HashMap<&str, (usize, &str, usize)> = HashMap::new();
    let mut order: Vec<&str> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.as_slice() {
            [] => continue,
            [module, version, hash] if hash.contains(':') => {
                if version.ends_with("/go.mod") {
                    continue; // only the go.mod was read; the code is not built
                }
                module_version(module, version, path, n)?;
                if module.contains('\0') {
                    return Err(LockfileError::new(path, Some(n), "NUL in a module path"));
                }
                match best.get_mut(module) {
                    Some(entry) => {
                        let newer = crate::version::compare(Ecosystem::Go, version, entry.1)
                            == Some(std::cmp::Ordering::Greater);
                        if newer {
                            entry.1 = version;
                            entry.2 = n;
                        }
                    }
                    None => {
                        best.insert(module, (order.len(), version, n));
                        order.push(module);
                    }
                }
            }
            _ => {
                return Err(LockfileError::new(
                    path,
                    Some(n),
                    "expected `module version h1:hash`",
                ))
            }
        }
    }
    let mut col = Collector::new(Ecosystem::Go, path);
    for module in order {
        if let Some((_, version, line)) = best.get(module) {
            col.exact(module, version, Some(*line));
        }
    }
    Ok(col.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Vec<Package> {
        parse_go_mod(text, Path::new("go.mod")).unwrap()
    }

    fn err(text: &str) -> LockfileError {
        match parse_go_mod(text, Path::new("go.mod")) {
            Ok(p) => panic!("expected an error, got {p:#?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn tokens() {
        let t = tokenize(r#"  "a b" `c` d( ) => e // indirect"#, Path::new("x"), 1).unwrap();
        let texts: Vec<&str> = t.iter().map(|t| t.text.as_str()).collect();
        assert_eq!(texts, ["a b", "c", "d", "(", ")", "=>", "e"]);
        assert!(t[0].quoted && t[1].quoted && !t[2].quoted);
        assert!(tokenize("\"open", Path::new("x"), 3).is_err());
        assert!(tokenize("`open", Path::new("x"), 3).is_err());
        let t = tokenize("a//b", Path::new("x"), 1).unwrap();
        assert_eq!(t.len(), 1);
    }

    #[test]
    fn requires_replaces_excludes() {
        let text = "module example.com/me\n\ngo 1.21\ntoolchain go1.22.1\n\n\
            require golang.org/x/net v0.17.0\n\
            require (\n\
            \tgithub.com/a/b v1.2.3 // indirect\n\
            \tgithub.com/local/dep v0.1.0\n\
            \tgithub.com/old/mod v1.0.0\n\
            \tgithub.com/ex/cl v1.1.0\n\
            \t\"github.com/q/uoted\" v2.0.0+incompatible\n\
            )\n\
            replace github.com/local/dep => ../dep\n\
            replace github.com/old/mod v1.0.0 => github.com/new/mod v1.5.0\n\
            replace github.com/a/b v9.9.9 => ./never\n\
            exclude github.com/ex/cl v1.1.0\n\
            retract v0.0.1\n\
            godebug default=go1.21\n";
        let pkgs = parse(text);
        let got: Vec<(&str, &str, bool, Option<usize>)> = pkgs
            .iter()
            .map(|p| (p.name.as_str(), p.version.as_str(), p.approximate, p.line))
            .collect();
        assert_eq!(
            got,
            [
                ("golang.org/x/net", "v0.17.0", false, Some(6)),
                ("github.com/a/b", "v1.2.3", false, Some(8)),
                ("github.com/new/mod", "v1.5.0", false, Some(15)),
                ("github.com/ex/cl", "v1.1.0", true, Some(11)),
                ("github.com/q/uoted", "v2.0.0+incompatible", false, Some(12)),
                ("stdlib", "1.22.1", true, Some(4)),
            ]
        );
        assert!(pkgs.iter().all(|p| p.ecosystem == Ecosystem::Go));
        assert_eq!(pkgs[5].requirement.as_deref(), Some("toolchain go1.22.1"));
    }

    #[test]
    fn before_go_1_17_requirements_are_lower_bounds() {
        let pkgs = parse("module m\ngo 1.16\nrequire github.com/a/b v1.2.3\n");
        assert!(pkgs[0].approximate);
        assert_eq!(pkgs[0].requirement.as_deref(), Some(">= v1.2.3"));
        assert_eq!(pkgs.len(), 1, "the go line is no toolchain: no stdlib");
        // No go directive at all: approximate requirements.
        let pkgs = parse("module m\nrequire github.com/a/b v1.2.3\n");
        assert_eq!(pkgs.len(), 1);
        assert!(pkgs[0].approximate);
        let pkgs = parse("module m\ngo 1.21\ntoolchain go1.21rc2\n");
        assert_eq!(
            (pkgs[0].name.as_str(), pkgs[0].version.as_str()),
            (STDLIB, "1.21.0-rc.2")
        );
    }

    #[test]
    fn go_releases() {
        assert_eq!(stdlib_version("1.21").as_deref(), Some("1.21.0"));
        assert_eq!(stdlib_version("go1.21.3").as_deref(), Some("1.21.3"));
        assert_eq!(stdlib_version("1.21rc2").as_deref(), Some("1.21.0-rc.2"));
        assert_eq!(
            stdlib_version("go1.20beta1").as_deref(),
            Some("1.20.0-beta.1")
        );
        assert_eq!(stdlib_version("1.21.x"), None);
        assert_eq!(stdlib_version("1.21alpha1"), None);
        assert_eq!(stdlib_version("default"), None);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(err("module m\nrequire (\n a v1.0.0\n").line, Some(2));
        assert_eq!(err("module m\nrequire a\n").line, Some(2));
        assert_eq!(err("module m\n\nrequire a 1.0.0\n").line, Some(3));
        assert_eq!(err("require a v1.0.0.0\n").line, Some(1));
        assert_eq!(err("require a v1.0\u{0}.0\n").line, Some(1));
        assert_eq!(err("replace a => b\n").line, Some(1));
        assert_eq!(err("replace a v1 => b v1.0.0\n").line, Some(1));
        assert_eq!(err(")\n").line, Some(1));
        assert_eq!(err("require ( a v1.0.0\n").line, Some(1));
        let e = err("require \"a v1.0.0\n");
        assert!(e.message.contains("unterminated"), "{e}");
    }

    #[test]
    fn go_sum_keeps_built_versions_only() {
        let text = "github.com/a/b v1.0.0 h1:aaa=\n\
            github.com/a/b v1.0.0/go.mod h1:bbb=\n\
            github.com/a/b v1.2.0 h1:ccc=\n\
            github.com/a/b v1.1.0 h1:ddd=\n\
            github.com/only/gomod v0.3.0/go.mod h1:eee=\n\
            \n\
            golang.org/x/text v0.3.0 h1:fff=\n";
        let pkgs = parse_go_sum(text, Path::new("go.sum")).unwrap();
        let got = crate::lockfile::triples(&pkgs);
        assert_eq!(
            got,
            [
                ("github.com/a/b", "v1.2.0", Some(3)),
                ("golang.org/x/text", "v0.3.0", Some(7)),
            ]
        );
        let e = parse_go_sum("a v1.0.0 h1:x\nb v1.0.0\n", Path::new("go.sum")).unwrap_err();
        assert_eq!(e.line, Some(2));
        let e = parse_go_sum("a 1.0.0 h1:x\n", Path::new("go.sum")).unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
