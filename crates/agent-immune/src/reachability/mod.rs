//! Whether a Go project can reach a vulnerable package: the import paths
//! its own `.go` files declare ([`go_imports`]), set against the packages
//! an OSV Go record names as vulnerable (`ecosystem_specific.imports`,
//! kept in the index as [`IndexedVuln::imports`](crate::osv::IndexedVuln)).
//!
//! What it owns: walking a module's directory for `.go` files (skipping
//! `vendor/`, `testdata/`, directories starting with `.` or `_`, nested
//! modules — a directory with its own `go.mod` — and symbolic links; at
//! most [`MAX_GO_FILES`] files, each read up to [`MAX_GO_FILE_BYTES`]), a
//! lexer for their `import` declarations ([`golex`]), and, when the module
//! vendors its dependencies (`vendor/modules.txt`), following imports
//! through the vendored packages so the import graph of every module is
//! complete.
//!
//! What it leaves out: symbols (a package can be imported and the
//! vulnerable function never called — govulncheck's call graph is not
//! built here), build tags and `GOOS`/`GOARCH` file suffixes (every file
//! counts, so the import set is a superset), and the standard library's own
//! source: `net/http` importing `crypto/tls` is not seen, so a `stdlib`
//! finding is never called [`Reachability::NotImported`]. A finding is never
//! hidden or un-gated by this; it is a label for the reader.

mod golex;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::lockfile::GO_STDLIB;

/// Most `.go` files read for one module (its own and vendored ones); past
/// it the import set is marked incomplete and no "not imported" is claimed.
pub const MAX_GO_FILES: usize = 20_000;
/// Bytes read from the start of each `.go` file (imports come first).
pub const MAX_GO_FILE_BYTES: u64 = 256 * 1024;
/// Deepest directory nesting walked.
const MAX_DEPTH: usize = 64;

/// What a finding's reachability is, when its record names the vulnerable packages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reachability {
    /// The project's code, or a vendored package it uses, imports a
    /// vulnerable package.
    Imported,
    /// No package in the project's complete import graph (its own code and
    /// every vendored package it reaches) imports a vulnerable package.
    NotImported,
    /// The project's own code (and its vendored code, when there is some)
    /// imports no vulnerable package, but a dependency whose code was not
    /// available (or the standard library) may still import one.
    NotImportedByProject,
}

/// The import paths a Go module's code declares.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GoImports {
    /// Every import path found (own files, and vendored packages reached).
    pub paths: BTreeSet<String>,
    /// True when `paths` holds the imports of every non-standard package
    /// the module builds: it vendors its dependencies and every limit held.
    pub complete: bool,
    /// `.go` files read.
    pub files: usize,
}

impl GoImports {
    /// The reachability of a finding in `package` whose records list
    /// `vulnerable` import paths; `None` when they list none.
    pub fn reachability(&self, package: &str, vulnerable: &[String]) -> Option<Reachability> {
        if vulnerable.is_empty() {
            return None;
        }
        if vulnerable.iter().any(|p| self.paths.contains(p)) {
            Some(Reachability::Imported)
        } else if self.complete && package != GO_STDLIB {
            Some(Reachability::NotImported)
        } else {
            Some(Reachability::NotImportedByProject)
        }
    }
}

/// The imports of the Go module rooted at `module_dir` (the directory of its
/// `go.mod`); `None` when it holds no `.go` file (only a `go.mod` was given,
/// so reachability is unknown). Unreadable files and directories make the
/// result incomplete rather than failing.
pub fn go_imports(module_dir: &Path) -> Option<GoImports> {
    let mut out = GoImports {
        complete: true,
        ..GoImports::default()
    };
    let mut stack: Vec<(PathBuf, usize)> = vec![(module_dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&dir) else {
            out.complete = false;
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for p in paths {
            let Ok(meta) = fs_err::symlink_metadata(&p) else {
                out.complete = false;
                continue;
            };
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if meta.is_dir() {
                let skip = name.starts_with('.')
                    || name.starts_with('_')
                    || name == "vendor"
                    || name == "testdata"
                    || p.join("go.mod").exists();
                if skip {
                    continue;
                }
                if depth + 1 > MAX_DEPTH {
                    out.complete = false;
                    continue;
                }
                stack.push((p, depth + 1));
            } else if meta.is_file() && name.ends_with(".go") {
                if read_go_file(&p, &mut out).is_none() {
                    return finish(out);
                }
            }
        }
    }
    if out.files == 0 {
        return None;
    }
    follow_vendor(module_dir, &mut out);
    finish(out)
}

fn finish(out: GoImports) -> Option<GoImports> {
    (out.files > 0).then_some(out)
}

/// Adds one file's imports and returns them; `None` (and incomplete) once
/// the file cap is hit.
fn read_go_file(path: &Path, out: &mut GoImports) -> Option<Vec<String>> {
    if out.files >= MAX_GO_FILES {
        out.complete = false;
        return None;
    }
    out.files += 1;
    let found = match read_prefix(path) {
        Some(text) => golex::imports(&text),
        None => {
            out.complete = false;
            Vec::new()
        }
    };
    out.paths.extend(found.iter().cloned());
    Some(found)
}

fn read_prefix(path: &Path) -> Option<String> {
    use std::io::Read as _;
    let file = fs_err::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_GO_FILE_BYTES).read_to_end(&mut bytes).ok()?;
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The module path a `go.mod` declares.
fn module_path(go_mod: &str) -> Option<String> {
    go_mod.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("module")?;
        if !rest.starts_with([' ', '\t']) {
            return None;
        }
        let rest = rest.split("//").next()?.trim();
        Some(rest.trim_matches(['"', '`']).to_string())
    })
}

/// With `vendor/modules.txt`, follows the imports through vendored
/// packages (their non-test files); without it, the graph stays incomplete.
fn follow_vendor(module_dir: &Path, out: &mut GoImports) {
    let vendor = module_dir.join("vendor");
    if !vendor.join("modules.txt").is_file() {
        out.complete = false;
        return;
    }
    let own = fs_err::read_to_string(module_dir.join("go.mod"))
        .ok()
        .and_then(|t| module_path(&t));
    let Ok(vendor_root) = fs_err::canonicalize(&vendor) else {
        out.complete = false;
        return;
    };
    let mut queue: Vec<String> = out.paths.iter().cloned().collect();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    while let Some(import) = queue.pop() {
        if !seen.insert(import.clone()) {
            continue;
        }
        let own_package = own
            .as_deref()
            .is_some_and(|m| import == m || import.starts_with(&format!("{m}/")));
        let first = import.split('/').next().unwrap_or("");
        let standard = !first.contains('.');
        if own_package || standard || import == "C" {
            continue; // read already, or the standard library's
        }
        if import
            .split('/')
            .any(|seg| seg == ".." || seg == "." || seg.is_empty())
        {
            out.complete = false;
            continue;
        }
        // A symbolic link out of vendor/ (a hostile checkout) is not followed.
        let dir = match fs_err::canonicalize(vendor.join(&import)) {
            Ok(d) if d.starts_with(&vendor_root) => d,
            _ => {
                out.complete = false; // imported but not vendored
                continue;
            }
        };
        let Ok(entries) = fs_err::read_dir(&dir) else {
            out.complete = false; // imported but not vendored
            continue;
        };
        let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        files.sort();
        for f in files {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let is_go = name.ends_with(".go") && !name.ends_with("_test.go");
            let regular = fs_err::symlink_metadata(&f).is_ok_and(|m| m.is_file());
            if !is_go || !regular {
                continue;
            }
            let Some(found) = read_go_file(&f, out) else {
                return;
            };
            queue.extend(found.into_iter().filter(|p| !seen.contains(p)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, rel: &str, text: &str) {
        let p = dir.join(rel);
        fs_err::create_dir_all(p.parent().unwrap()).unwrap();
        fs_err::write(p, text).unwrap();
    }

    #[test]
    fn walks_own_code_only() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "go.mod", "module example.com/me\n");
        write(
            d,
            "main.go",
            "package main\nimport \"example.com/me/internal\"\n",
        );
        write(
            d,
            "internal/x.go",
            "package internal\nimport \"golang.org/x/net/html\"\n",
        );
        write(
            d,
            "internal/x_test.go",
            "package internal\nimport \"testing\"\n",
        );
        write(
            d,
            "testdata/t.go",
            "package t\nimport \"skipped/testdata\"\n",
        );
        write(d, ".hidden/h.go", "package h\nimport \"skipped/hidden\"\n");
        write(
            d,
            "_tools/t.go",
            "package t\nimport \"skipped/underscore\"\n",
        );
        write(d, "vendor/v/v.go", "package v\nimport \"skipped/vendor\"\n");
        write(d, "sub/go.mod", "module example.com/me/sub\n");
        write(
            d,
            "sub/s.go",
            "package s\nimport \"skipped/nested-module\"\n",
        );
        let g = go_imports(d).unwrap();
        let paths: Vec<&str> = g.paths.iter().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "example.com/me/internal",
                "golang.org/x/net/html",
                "testing"
            ]
        );
        assert_eq!(g.files, 3);
        assert!(
            !g.complete,
            "no vendor directory: dependencies' imports unknown"
        );
        let html = vec!["golang.org/x/net/html".to_string()];
        let http2 = vec!["golang.org/x/net/http2".to_string()];
        assert_eq!(
            g.reachability("golang.org/x/net", &html),
            Some(Reachability::Imported)
        );
        assert_eq!(
            g.reachability("golang.org/x/net", &http2),
            Some(Reachability::NotImportedByProject)
        );
        assert_eq!(g.reachability("golang.org/x/net", &[]), None);
    }

    #[test]
    fn no_go_files_means_unknown() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "go.mod", "module m\n");
        assert_eq!(go_imports(dir.path()), None);
    }

    #[test]
    fn vendored_graph_is_complete() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        write(d, "go.mod", "module example.com/me // comment\n");
        write(d, "main.go", "package main\nimport (\n\"net/http\"\n\"github.com/a/b\"\n\"example.com/me/util\"\n)\n");
        write(d, "util/u.go", "package util\n");
        write(d, "vendor/modules.txt", "# github.com/a/b v1.0.0\n");
        write(
            d,
            "vendor/github.com/a/b/b.go",
            "package b\nimport \"github.com/c/d/inner\"\n",
        );
        write(
            d,
            "vendor/github.com/a/b/b_test.go",
            "package b\nimport \"github.com/e/f\"\n",
        );
        write(
            d,
            "vendor/github.com/c/d/inner/i.go",
            "package inner\nimport \"crypto/tls\"\n",
        );
        write(
            d,
            "vendor/github.com/c/d/unused/u.go",
            "package unused\nimport \"github.com/g/h\"\n",
        );
        let g = go_imports(d).unwrap();
        assert!(g.complete, "{g:?}");
        assert!(g.paths.contains("github.com/c/d/inner"));
        assert!(g.paths.contains("crypto/tls"));
        assert!(
            !g.paths.contains("github.com/e/f"),
            "vendored tests are not built"
        );
        assert!(
            !g.paths.contains("github.com/g/h"),
            "unreached vendored packages"
        );
        let unused = vec!["github.com/c/d/unused".to_string()];
        assert_eq!(
            g.reachability("github.com/c/d", &unused),
            Some(Reachability::NotImported)
        );
        let inner = vec!["github.com/c/d/inner".to_string()];
        assert_eq!(
            g.reachability("github.com/c/d", &inner),
            Some(Reachability::Imported)
        );
        // The standard library's own imports are not walked.
        let x509 = vec!["crypto/x509".to_string()];
        assert_eq!(
            g.reachability(GO_STDLIB, &x509),
            Some(Reachability::NotImportedByProject)
        );
        // A vendored directory linking outside vendor/ is not followed.
        let outside = tempfile::tempdir().unwrap();
        write(
            outside.path(),
            "o.go",
            "package o\nimport \"github.com/leak/ed\"\n",
        );
        fs_err::create_dir_all(d.join("vendor/github.com/l")).unwrap();
        std::os::unix::fs::symlink(outside.path(), d.join("vendor/github.com/l/k")).unwrap();
        write(d, "link.go", "package main\nimport \"github.com/l/k\"\n");
        let g = go_imports(d).unwrap();
        assert!(!g.paths.contains("github.com/leak/ed"));
        assert!(!g.complete);
        fs_err::remove_file(d.join("link.go")).unwrap();
        assert!(go_imports(d).unwrap().complete);
        // An import missing from vendor/ makes the graph incomplete.
        write(
            d,
            "more.go",
            "package main\nimport \"github.com/not/vendored\"\n",
        );
        assert!(!go_imports(d).unwrap().complete);
    }

    #[test]
    fn module_paths() {
        assert_eq!(
            module_path("// c\nmodule  \"a/b\" // x\n").as_deref(),
            Some("a/b")
        );
        assert_eq!(module_path("modulex a\n"), None);
    }
}
