//! Lockfile and manifest parsers: the real files in testdata/lockfiles and
//! small hand-written fixtures for every format, feature and error.

use std::path::{Path, PathBuf};

use agent_immune::lockfile::{discover, parse, parse_file, CargoLock, Kind, LockfileError};
use agent_immune::{Ecosystem, Package};

use crate::testdata;

/// A real lockfile or manifest, `testdata/lockfiles/<name>`.
fn real_file(name: &str) -> PathBuf {
    testdata(&format!("lockfiles/{name}"))
}

/// Independent count: `[[package]]` blocks whose `source` is a registry.
fn registry_count(text: &str) -> usize {
    text.split("[[package]]")
        .skip(1)
        .filter(|block| {
            block
                .split("\n[")
                .next()
                .unwrap_or("")
                .contains("\nsource = \"registry+")
        })
        .count()
}

fn has(pkgs: &[Package], name: &str, version: &str) -> bool {
    pkgs.iter().any(|p| p.name == name && p.version == version)
}

fn get<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
    pkgs.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not found in {pkgs:#?}"))
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs_err::create_dir_all(parent).expect("create fixture dir");
    }
    fs_err::write(&p, text).expect("write fixture");
    p
}

fn parse_str(kind: Kind, name: &str, text: &str) -> Result<Vec<Package>, LockfileError> {
    parse(kind, text, Path::new(name))
}

fn err(kind: Kind, name: &str, text: &str) -> LockfileError {
    match parse_str(kind, name, text) {
        Ok(p) => panic!("{name}: expected an error, got {p:#?}"),
        Err(e) => e,
    }
}

fn assert_err_at(kind: Kind, name: &str, text: &str, line: usize) {
    let e = err(kind, name, text);
    assert_eq!(e.path, Path::new(name), "{e}");
    assert_eq!(e.line, Some(line), "{e}");
    assert!(
        e.to_string().starts_with(&format!("{name}:{line}: ")),
        "{e}"
    );
}

// ---------------------------------------------------------------- Cargo.lock

#[test]
fn cargo_lock_real_files_count_registry_packages() {
    for (name, expected) in [
        ("ripgrep.Cargo.lock", 52),
        ("uv.Cargo.lock", 683),
        ("firecracker-v0.24.0.Cargo.lock", 85),
    ] {
        let path = real_file(name);
        let text = fs_err::read_to_string(&path).unwrap();
        assert_eq!(registry_count(&text), expected, "{name}: independent count");
        let pkgs = parse_file(&path).unwrap();
        assert_eq!(pkgs.len(), expected, "{name}");
        assert!(pkgs
            .iter()
            .all(|p| p.ecosystem == Ecosystem::CratesIo && !p.approximate));
        assert!(pkgs.iter().all(|p| p.source == path && p.line.is_some()));
        // The fast scanner and the full TOML parser agree.
        let fast = agent_immune::lockfile::scan_cargo_lock(&text)
            .unwrap_or_else(|| panic!("{name}: fast path fell back"));
        let slow = agent_immune::lockfile::parse_cargo_lock_toml(&text, &path).unwrap();
        assert_same_lock(&fast, &slow, name);
    }
    let fc = parse_file(&real_file("firecracker-v0.24.0.Cargo.lock")).unwrap();
    // The git dependency (kvm-bindings from GitHub) is skipped; path crates too.
    assert!(!fc.iter().any(|p| p.name == "kvm-bindings"));
    assert!(!fc.iter().any(|p| p.name == "vmm"));
    let rg = parse_file(&real_file("ripgrep.Cargo.lock")).unwrap();
    assert!(!rg
        .iter()
        .any(|p| p.name == "ripgrep" || p.name == "grep-searcher"));
    assert!(rg.iter().any(|p| p.name == "memchr"));
    let line = get(&rg, "memchr").line.unwrap();
    let text = fs_err::read_to_string(real_file("ripgrep.Cargo.lock")).unwrap();
    assert_eq!(text.lines().nth(line - 1).unwrap(), "name = \"memchr\"");
}

/// The fast scanner and the full TOML parser read the same entries,
/// dependencies and checksums.
fn assert_same_lock(fast: &CargoLock<'_>, slow: &CargoLock<'_>, what: &str) {
    assert_eq!(fast.entries, slow.entries, "{what}");
    assert_eq!(fast.format, slow.format, "{what}");
    let sorted = |l: &CargoLock<'_>| {
        let mut v: Vec<String> = l.metadata_checksums.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(sorted(fast), sorted(slow), "{what}");
}

#[test]
fn cargo_lock_fallback_and_errors() {
    // Inline tables are legal TOML the scanner does not expect: the full parser reads it.
    let odd = "version = 3\n[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = 'registry+https://github.com/rust-lang/crates.io-index'\n";
    let pkgs = parse_str(Kind::CargoLock, "Cargo.lock", odd).unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].line, Some(3));
    assert_err_at(
        Kind::CargoLock,
        "Cargo.lock",
        "version = 3\n\n[[package]]\nname = \"a\"\nversion = \"1.0.0\nsource = \"x\"\n",
        5,
    );
    assert_err_at(
        Kind::CargoLock,
        "Cargo.lock",
        "[[package]]\nname = \"a\"\n",
        1,
    );
    assert!(parse_str(Kind::CargoLock, "Cargo.lock", "")
        .unwrap()
        .is_empty());
}

#[test]
fn cargo_lock_fast_and_full_agree_on_truncations() {
    let path = real_file("ripgrep.Cargo.lock");
    let text = fs_err::read_to_string(&path).unwrap();
    let mut cut = 0;
    let mut both = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        cut += line.len();
        if i % 3 != 0 {
            continue;
        }
        // Cut at a line end and in the middle of the next line.
        for end in [cut, (cut + 5).min(text.len())] {
            let part = &text[..end];
            let slow = agent_immune::lockfile::parse_cargo_lock_toml(part, &path);
            if let Some(fast) = agent_immune::lockfile::scan_cargo_lock(part) {
                let slow = slow.unwrap_or_else(|e| panic!("cut at byte {end}: {e}"));
                assert_same_lock(&fast, &slow, &format!("cut at byte {end}"));
                both += 1;
            }
            // The public entry point never panics and errors carry a line.
            if let Err(e) = parse(Kind::CargoLock, part, &path) {
                assert!(e.line.is_some(), "{e}");
            }
        }
    }
    assert!(both > 50, "fast path taken only {both} times");
}

// ---------------------------------------------------------------- Cargo.toml

#[test]
fn cargo_toml_without_lock_is_approximate() {
    let dir = tempfile::tempdir().unwrap();
    let toml = r#"[package]
name = "x"
version = "0.1.0"

[dependencies]
serde = "1.2"
rand = { version = "^0.3.1", features = ["std"] }
local = { path = "../local" }
gitdep = { git = "https://github.com/a/b" }
private = { version = "1", registry = "corp" }
renamed = { package = "real-name", version = ">=2, <3" }

[dev-dependencies]
any = "*"

[build-dependencies]
cc = "~1.0"

[target.'cfg(unix)'.dependencies]
libc = "0.2.100"

[workspace.dependencies]
tokio = "1"
"#;
    let path = write(dir.path(), "Cargo.toml", toml);
    let pkgs = parse_file(&path).unwrap();
    let names: Vec<_> = pkgs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(pkgs.len(), 7, "{names:?}");
    assert!(pkgs
        .iter()
        .all(|p| p.approximate && p.requirement.is_some()));
    assert_eq!(get(&pkgs, "serde").version, "1.2.0");
    assert_eq!(get(&pkgs, "serde").line, Some(6));
    assert!(!pkgs.iter().any(|p| p.name == "private"));
    assert_eq!(get(&pkgs, "rand").version, "0.3.1");
    assert_eq!(get(&pkgs, "real-name").version, "2.0.0");
    assert_eq!(get(&pkgs, "any").version, "0.0.0");
    assert_eq!(get(&pkgs, "cc").version, "1.0.0");
    assert_eq!(get(&pkgs, "libc").version, "0.2.100");
    assert_eq!(get(&pkgs, "tokio").version, "1.0.0");
    assert_eq!(get(&pkgs, "rand").requirement.as_deref(), Some("^0.3.1"));

    assert_err_at(
        Kind::CargoToml,
        "Cargo.toml",
        "[dependencies]\nserde = \n",
        2,
    );
    assert_err_at(
        Kind::CargoToml,
        "Cargo.toml",
        "[dependencies]\nserde = \"banana\"\n",
        2,
    );
}

#[test]
fn cargo_toml_resolves_through_workspace_lock() {
    let dir = tempfile::tempdir().unwrap();
    let lock = fs_err::read_to_string(real_file("ripgrep.Cargo.lock")).unwrap();
    let lock_path = write(dir.path(), "Cargo.lock", &lock);
    write(
        dir.path(),
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\"]\n",
    );
    // ripgrep's own crates, so that its lockfile's entries without a
    // source are this workspace's members.
    for e in agent_immune::lockfile::parse_cargo_lock_toml(&lock, &lock_path)
        .unwrap()
        .entries
        .iter()
        .filter(|e| e.source.is_none())
    {
        write(
            dir.path(),
            &format!("crates/{}/Cargo.toml", e.name),
            &format!("[package]\nname = \"{}\"\n", e.name),
        );
    }
    let member = write(
        dir.path(),
        "crates/a/Cargo.toml",
        "[package]\nname = \"a\"\n[dependencies]\nmemchr = \"2\"\n",
    );
    let pkgs = parse_file(&member).unwrap();
    assert_eq!(pkgs.len(), 52);
    assert!(pkgs.iter().all(|p| !p.approximate && p.source == lock_path));

    // discover: the lockfile wins over manifests beside or below it.
    write(dir.path(), "node_modules/x/package.json", "{}");
    write(
        dir.path(),
        "web/package.json",
        "{\"dependencies\": {\"a\": \"1\"}}",
    );
    write(
        dir.path(),
        "web/package-lock.json",
        "{\"lockfileVersion\": 3, \"packages\": {}}",
    );
    write(dir.path(), "py/requirements.txt", "a==1\n");
    write(dir.path(), "py/Makefile.in", "all:\n");
    write(dir.path(), "target/Cargo.lock", "");
    let found = discover(dir.path(), true).unwrap();
    let rel: Vec<_> = found
        .iter()
        .map(|p| {
            p.strip_prefix(dir.path())
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    assert_eq!(
        rel,
        ["Cargo.lock", "py/requirements.txt", "web/package-lock.json"],
        "{rel:?}"
    );
    let top = discover(dir.path(), false).unwrap();
    assert_eq!(top, std::slice::from_ref(&lock_path));
    assert_eq!(discover(&lock_path, false).unwrap(), [lock_path]);
    let e = discover(&dir.path().join("py/Makefile.in"), false).unwrap_err();
    assert!(e.to_string().contains("Makefile.in"), "{e}");
}

// ---------------------------------------------------------------- npm

#[test]
fn package_lock_v2_real() {
    let path = real_file("nodejs-goof.package-lock.json");
    let pkgs = parse_file(&path).unwrap();
    // Independent count (python json): distinct name@version under node_modules/.
    assert_eq!(pkgs.len(), 980);
    for (n, v) in [
        ("express", "4.12.4"),
        ("mongoose", "4.2.4"),
        ("marked", "0.3.5"),
        ("st", "0.2.4"),
        ("dustjs-linkedin", "2.5.0"),
        ("lodash", "4.17.4"),
        ("lodash", "4.17.21"),
        ("@sindresorhus/is", "0.14.0"),
    ] {
        assert!(has(&pkgs, n, v), "{n}@{v}");
    }
    assert_eq!(pkgs.iter().filter(|p| p.name == "ms").count(), 7);
    assert!(!pkgs.iter().any(|p| p.name == "goof"));
    let text = fs_err::read_to_string(&path).unwrap();
    let line = get(&pkgs, "express").line.unwrap();
    assert!(text
        .lines()
        .nth(line - 1)
        .unwrap()
        .contains("\"node_modules/express\""));
}

#[test]
fn package_json_real_is_approximate() {
    let pkgs = parse_file(&real_file("nodejs-goof.package.json")).unwrap();
    // 32 dependencies + 3 devDependencies, less the two `latest` tags.
    assert_eq!(pkgs.len(), 33);
    assert!(pkgs.iter().all(|p| p.approximate));
    assert!(!pkgs
        .iter()
        .any(|p| p.name == "morgan" || p.name == "method-override"));
    assert_eq!(get(&pkgs, "express").version, "4.12.4");
    assert_eq!(get(&pkgs, "cfenv").version, "1.0.4");
    assert_eq!(get(&pkgs, "cfenv").requirement.as_deref(), Some("^1.0.4"));
    assert_eq!(get(&pkgs, "snyk").version, "1.244.0");
}

#[test]
fn package_json_specs() {
    let text = r#"{
  "name": "x",
  "dependencies": {
    "a": "~1.2",
    "b": "file:../b",
    "c": "github:u/c",
    "d": "workspace:*",
    "e": "next",
    "f": ">=2.0.0 <3 || ^1.5.0",
    "g": "npm:real-g@^4.1.0"
  },
  "optionalDependencies": { "h": "1.x" },
  "peerDependencies": { "i": "*" }
}"#;
    let pkgs = parse_str(Kind::PackageJson, "package.json", text).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        got,
        ["a@1.2.0", "f@1.5.0", "real-g@4.1.0", "h@1.0.0", "i@0.0.0"]
    );
    assert_eq!(get(&pkgs, "a").line, Some(4));
    assert_err_at(
        Kind::PackageJson,
        "package.json",
        "{\n  \"dependencies\": {\n    \"a\": 1,\n",
        4,
    );
    assert_err_at(
        Kind::PackageJson,
        "package.json",
        "{\n\"dependencies\": {\n\"a\": 1\n}}",
        3,
    );
}

#[test]
fn package_lock_v1_and_v3() {
    let v1 = r#"{
  "name": "x",
  "lockfileVersion": 1,
  "dependencies": {
    "a": {
      "version": "1.0.0",
      "dependencies": {
        "b": { "version": "2.0.0" }
      }
    },
    "b": { "version": "3.0.0" },
    "c": { "version": "file:../c" },
    "d": { "version": "npm:real-d@1.1.0" },
    "e": { "version": "github:u/e#abc" }
  }
}"#;
    let pkgs = parse_str(Kind::PackageLock, "package-lock.json", v1).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["a@1.0.0", "b@2.0.0", "b@3.0.0", "real-d@1.1.0"]);
    assert_eq!(get(&pkgs, "a").line, Some(5));

    let v3 = r#"{
  "name": "x",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "x", "version": "1.0.0" },
    "node_modules/@scope/a": { "version": "1.0.0" },
    "node_modules/@scope/a/node_modules/b": { "version": "2.0.0" },
    "node_modules/b": { "version": "3.0.0" },
    "node_modules/dup/node_modules/b": { "version": "3.0.0" },
    "node_modules/ws": { "resolved": "packages/ws", "link": true },
    "packages/ws": { "name": "ws", "version": "0.0.1" },
    "node_modules/alias": { "name": "real", "version": "4.0.0" }
  }
}"#;
    let pkgs = parse_str(Kind::PackageLock, "npm-shrinkwrap.json", v3).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["@scope/a@1.0.0", "b@2.0.0", "real@4.0.0", "b@3.0.0"]);
    assert_eq!(get(&pkgs, "@scope/a").line, Some(6));

    assert_err_at(
        Kind::PackageLock,
        "package-lock.json",
        "{\n  \"packages\": {\n    \"node_modules/a\": {,\n",
        3,
    );
    assert_err_at(
        Kind::PackageLock,
        "package-lock.json",
        "{\n\"packages\": {\n\"node_modules/a\": 3\n}}",
        3,
    );
    assert!(parse_str(Kind::PackageLock, "package-lock.json", "")
        .unwrap()
        .is_empty());
}

#[test]
fn yarn_classic() {
    let text = r#"# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.
# yarn lockfile v1


"@babel/code-frame@^7.0.0", "@babel/code-frame@^7.10.4":
  version "7.12.13"
  resolved "https://registry.yarnpkg.com/@babel/code-frame/-/code-frame-7.12.13.tgz#abc"
  integrity sha512-xyz
  dependencies:
    "@babel/highlight" "^7.12.13"

lodash@^4.17.0, lodash@~4.17.20:
  version "4.17.21"

alias@npm:real@^1.0.0:
  version "1.2.0"

local@file:../local:
  version "0.0.1"

gh@https://github.com/u/gh.git#abc:
  version "2.0.0"
"#;
    let pkgs = parse_str(Kind::YarnLock, "yarn.lock", text).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        got,
        ["@babel/code-frame@7.12.13", "lodash@4.17.21", "real@1.2.0"]
    );
    assert_eq!(get(&pkgs, "lodash").line, Some(12));
    assert_err_at(
        Kind::YarnLock,
        "yarn.lock",
        "a@^1:\n  version \"1.0.0\"\n\nb@^2:\n  resolved \"x\"\n",
        4,
    );
    assert_err_at(Kind::YarnLock, "yarn.lock", "# x\n  version \"1.0.0\"\n", 2);
    assert_err_at(
        Kind::YarnLock,
        "yarn.lock",
        "a@^1:\n  version \"1.0.0\"\nnot a header\n",
        3,
    );
    assert!(parse_str(Kind::YarnLock, "yarn.lock", "")
        .unwrap()
        .is_empty());
}

#[test]
fn yarn_berry() {
    let text = r#"# This file is generated by running "yarn install" inside your project.

__metadata:
  version: 6
  cacheKey: 8

"lodash@npm:^4.17.0, lodash@npm:^4.17.20":
  version: 4.17.21
  resolution: "lodash@npm:4.17.21"
  languageName: node
  linkType: hard

"@types/node@npm:*":
  version: 18.0.0
  resolution: "@types/node@npm:18.0.0"
  languageName: node
  linkType: hard

"resolve@patch:resolve@^1.20.0#~builtin<compat/resolve>":
  version: 1.22.1
  resolution: "resolve@patch:resolve@npm%3A1.22.1#~builtin<compat/resolve>::version=1.22.1&hash=07638b"
  languageName: node
  linkType: hard

"my-app@workspace:.":
  version: 0.0.0-use.local
  resolution: "my-app@workspace:."
  languageName: unknown
  linkType: soft
"#;
    let pkgs = parse_str(Kind::YarnLock, "yarn.lock", text).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        got,
        ["lodash@4.17.21", "@types/node@18.0.0", "resolve@1.22.1"]
    );
    assert_eq!(get(&pkgs, "lodash").line, Some(7));
    assert_err_at(
        Kind::YarnLock,
        "yarn.lock",
        "__metadata:\n  version: 6\n\"a@npm:1\":\n  version: [1\n",
        5,
    );
    assert_err_at(
        Kind::YarnLock,
        "yarn.lock",
        "__metadata:\n  version: 6\n\n\"a@npm:1\":\n  resolution: \"a@npm:1.0.0\"\n",
        4,
    );
}

// ---------------------------------------------------------------- pnpm

#[test]
fn pnpm_v5_v6_v9() {
    let v5 = r#"lockfileVersion: 5.4

specifiers:
  react: ^18.0.0

packages:

  /@babel/core/7.20.0:
    resolution: {integrity: sha512-x}
    dev: true

  /react-dom/18.2.0_react@18.2.0:
    resolution: {integrity: sha512-y}

  /react/18.2.0:
    resolution: {integrity: sha512-z}
"#;
    let pkgs = parse_str(Kind::PnpmLock, "pnpm-lock.yaml", v5).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(
        got,
        ["@babel/core@7.20.0", "react-dom@18.2.0", "react@18.2.0"]
    );
    assert_eq!(get(&pkgs, "react").line, Some(15));

    let v6 = r#"lockfileVersion: '6.0'

packages:

  /@types/react@18.0.0(react@18.0.0):
    resolution: {integrity: sha512-x}

  /lodash@4.17.21:
    resolution: {integrity: sha512-y}

  github.com/u/repo/abc123:
    resolution: {tarball: https://codeload.github.com/u/repo/tar.gz/abc123}
    name: repo
    version: 1.0.0
"#;
    let pkgs = parse_str(Kind::PnpmLock, "pnpm-lock.yaml", v6).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["@types/react@18.0.0", "lodash@4.17.21"]);
    assert_eq!(get(&pkgs, "@types/react").line, Some(5));

    let v9 = r#"lockfileVersion: '9.0'

importers:
  .:
    dependencies:
      react-dom:
        specifier: ^18.2.0
        version: 18.2.0(react@18.2.0)

packages:

  '@scope/pkg@1.0.0':
    resolution: {integrity: sha512-x}

  react-dom@18.2.0:
    resolution: {integrity: sha512-y}

snapshots:

  '@scope/pkg@1.0.0': {}

  react-dom@18.2.0(react@18.2.0):
    dependencies:
      react: 18.2.0
"#;
    let pkgs = parse_str(Kind::PnpmLock, "pnpm-lock.yaml", v9).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["@scope/pkg@1.0.0", "react-dom@18.2.0"]);
    assert_eq!(get(&pkgs, "@scope/pkg").line, Some(12));

    assert_err_at(
        Kind::PnpmLock,
        "pnpm-lock.yaml",
        "lockfileVersion: '9.0'\npackages:\n  a@1.0.0: {\n",
        4,
    );
    assert!(parse_str(Kind::PnpmLock, "pnpm-lock.yaml", "")
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------- PyPI

#[test]
fn requirements_real() {
    let pkgs = parse_file(&real_file("pygoat.requirements.txt")).unwrap();
    assert_eq!(pkgs.len(), 34);
    assert!(pkgs
        .iter()
        .all(|p| !p.approximate && p.ecosystem == Ecosystem::PyPI));
    assert!(has(&pkgs, "Django", "4.2"));
    assert!(has(&pkgs, "PyYAML", "5.1"));
    assert_eq!(get(&pkgs, "argon2-cffi").line, Some(1));

    let pkgs = parse_file(&real_file("healthchecks-main.requirements.txt")).unwrap();
    assert_eq!(pkgs.len(), 15);
    assert!(has(&pkgs, "Django", "6.1"));
    assert!(has(&pkgs, "PyJWT", "2.13.0"));
    assert!(pkgs.iter().all(|p| !p.approximate));
}

#[test]
fn requirements_features() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "constraints.txt",
        "# pins\nurllib3==1.26.5\nidna==2.10 --hash=sha256:abc\n",
    );
    write(
        dir.path(),
        "sub/base.txt",
        "-r ../requirements.txt\nsix==1.16.0\n",
    );
    let main = write(
        dir.path(),
        "requirements.txt",
        r#"# comment line
--index-url https://pypi.org/simple
-c constraints.txt
-r sub/base.txt
requests[socks,security]==2.25.0 \
    --hash=sha256:aaa \
    --hash=sha256:bbb
flask>=1.0,<2  # inline comment
urllib3
idna>=2
pytz~=2021.1
attrs
click===8.0.0
typing-extensions==4.0.0; python_version < "3.8"
-e git+https://github.com/u/pkg.git#egg=pkg
git+https://github.com/u/other.git
pkg2 @ https://example.org/pkg2.tar.gz
./local/path
"#,
    );
    let pkgs = parse_file(&main).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| {
            format!(
                "{}@{}{}",
                p.name,
                p.version,
                if p.approximate { "~" } else { "" }
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            "six@1.16.0",
            "requests@2.25.0",
            "flask@1.0~",
            "urllib3@1.26.5",
            "idna@2.10",
            "pytz@2021.1~",
            "attrs@0~",
            "click@8.0.0",
            "typing-extensions@4.0.0",
        ]
    );
    assert_eq!(get(&pkgs, "six").source, dir.path().join("sub/base.txt"));
    assert_eq!(get(&pkgs, "requests").line, Some(5));
    assert_eq!(get(&pkgs, "flask").line, Some(8));
    assert_eq!(get(&pkgs, "flask").requirement.as_deref(), Some(">=1.0,<2"));
    assert_eq!(
        get(&pkgs, "typing-extensions").requirement.as_deref(),
        Some("==4.0.0; python_version < \"3.8\"")
    );
    assert_eq!(get(&pkgs, "attrs").requirement.as_deref(), Some(""));

    // Errors name the file and line, including inside an include.
    let bad = write(dir.path(), "bad-requirements.txt", "ok==1\n\n!!!\n");
    let e = parse_file(&bad).unwrap_err();
    assert_eq!((e.path.as_path(), e.line), (bad.as_path(), Some(3)), "{e}");
    let inc = write(
        dir.path(),
        "inc-requirements.txt",
        "a==1\n-r bad-requirements.txt\n",
    );
    let e = parse_file(&inc).unwrap_err();
    assert_eq!((e.path.as_path(), e.line), (bad.as_path(), Some(3)), "{e}");
    let missing = write(dir.path(), "m-requirements.txt", "a==1\n-r nope.txt\n");
    let e = parse_file(&missing).unwrap_err();
    assert_eq!(
        (e.path.as_path(), e.line),
        (missing.as_path(), Some(2)),
        "{e}"
    );
    assert!(e.message.contains("nope.txt"), "{e}");
    assert_err_at(Kind::Requirements, "requirements.txt", "a[x==1\n", 1);
    assert!(parse_str(Kind::Requirements, "requirements.txt", "")
        .unwrap()
        .is_empty());
}

#[test]
fn poetry_pipfile_uv() {
    let poetry = r#"[[package]]
name = "django"
version = "3.2.0"
description = "x"
optional = false
python-versions = ">=3.6"

[[package]]
name = "mylib"
version = "0.1.0"

[package.source]
type = "git"
url = "https://github.com/u/mylib.git"
reference = "main"

[[package]]
name = "private"
version = "1.0.0"

[package.source]
type = "legacy"
url = "https://pypi.example.org/simple"
reference = "internal"

[metadata]
lock-version = "2.0"
"#;
    let pkgs = parse_str(Kind::PoetryLock, "poetry.lock", poetry).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["django@3.2.0", "private@1.0.0"]);
    assert_eq!(get(&pkgs, "django").line, Some(2));
    assert_err_at(
        Kind::PoetryLock,
        "poetry.lock",
        "[[package]]\nname = \"a\"\nversion = 1.0.0\n",
        3,
    );

    let pipfile = r#"{
    "_meta": {"hash": {"sha256": "x"}},
    "default": {
        "requests": {"hashes": ["sha256:a"], "version": "==2.25.1"},
        "local": {"editable": true, "path": "."}
    },
    "develop": {
        "pytest": {"version": "==6.2.0", "markers": "python_version >= '3.6'"}
    }
}"#;
    let pkgs = parse_str(Kind::PipfileLock, "Pipfile.lock", pipfile).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["requests@2.25.1", "pytest@6.2.0"]);
    assert_eq!(get(&pkgs, "pytest").line, Some(8));
    assert_err_at(
        Kind::PipfileLock,
        "Pipfile.lock",
        "{\n  \"default\": {\n    \"a\": {\"version\": \"==1\"\n  }\n",
        5,
    );

    let uv = r#"version = 1
requires-python = ">=3.12"

[[package]]
name = "anyio"
version = "4.6.0"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://x", hash = "sha256:x", size = 1 }

[[package]]
name = "myproj"
version = "0.1.0"
source = { editable = "." }

[[package]]
name = "ws-root"
version = "0.1.0"
source = { virtual = "." }

[[package]]
name = "sibling"
version = "0.1.0"
source = { path = "../sibling" }

[[package]]
name = "idna"
version = "3.10"
source = { registry = "https://pypi.org/simple" }
"#;
    let pkgs = parse_str(Kind::UvLock, "uv.lock", uv).unwrap();
    let got: Vec<_> = pkgs
        .iter()
        .map(|p| format!("{}@{}", p.name, p.version))
        .collect();
    assert_eq!(got, ["anyio@4.6.0", "idna@3.10"]);
    assert_eq!(get(&pkgs, "idna").line, Some(26));
    assert_err_at(
        Kind::UvLock,
        "uv.lock",
        "version = 1\n[[package]\nname = \"a\"\n",
        2,
    );
}

#[test]
fn kinds() {
    assert_eq!(Kind::detect(Path::new("x/uv.lock")), Some(Kind::UvLock));
    assert_eq!(
        Kind::detect(Path::new("Pipfile.lock")),
        Some(Kind::PipfileLock)
    );
    assert_eq!(
        Kind::detect(Path::new("pnpm-lock.yaml")),
        Some(Kind::PnpmLock)
    );
    assert_eq!(Kind::detect(Path::new("README.md")), None);
    assert_eq!(Kind::PnpmLock.ecosystem(), Some(Ecosystem::Npm));
    assert_eq!(Kind::UvLock.ecosystem(), Some(Ecosystem::PyPI));
    assert_eq!(Kind::Spdx.ecosystem(), None);
    assert!(Kind::CargoLock.is_lockfile());
    assert!(!Kind::PackageJson.is_lockfile());
    let e = parse_file(Path::new("/nonexistent/README.md")).unwrap_err();
    assert!(e.to_string().contains("README.md"), "{e}");
    let e = parse_file(Path::new("/nonexistent/Cargo.lock")).unwrap_err();
    assert!(
        e.to_string().starts_with("/nonexistent/Cargo.lock: "),
        "{e}"
    );
    // The path is said once.
    assert_eq!(e.to_string().matches("nonexistent").count(), 1, "{e}");
}

/// Not asserted: run with `--release -- --nocapture timing` to see it.
#[test]
fn timing_uv_cargo_lock() {
    let path = real_file("uv.Cargo.lock");
    let text = fs_err::read_to_string(&path).unwrap();
    let n = 1000;
    let start = std::time::Instant::now();
    let mut total = 0;
    let mut best = std::time::Duration::MAX;
    for _ in 0..n {
        let one = std::time::Instant::now();
        total += parse(Kind::CargoLock, &text, &path).unwrap().len();
        best = best.min(one.elapsed());
    }
    let per = start.elapsed() / n;
    assert_eq!(total, 683 * n as usize);
    // Baseline on the same machine and load: just splitting the text into lines.
    let start = std::time::Instant::now();
    let mut lines = 0;
    for _ in 0..n {
        lines += std::hint::black_box(&text).lines().count();
    }
    let base = start.elapsed() / n;
    eprintln!(
        "uv.Cargo.lock: {per:?} per parse, best {best:?} ({} packages); \
         splitting its {} lines alone: {base:?}",
        total / n as usize,
        lines / n as usize
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(300))]

    /// No parser panics, whatever the input; errors name the file.
    #[test]
    fn parsers_never_panic(text in "[\\[\\]{}\"'@/:=,.#\\\\ a-z0-9_\\-\\n\\t;<>~^*|()]{0,200}") {
        for kind in [
            Kind::CargoLock,
            Kind::CargoToml,
            Kind::PackageLock,
            Kind::YarnLock,
            Kind::PnpmLock,
            Kind::PackageJson,
            Kind::Requirements,
            Kind::PoetryLock,
            Kind::PipfileLock,
            Kind::UvLock,
            Kind::GoMod,
            Kind::GoSum,
            Kind::GemfileLock,
            Kind::ComposerLock,
            Kind::CycloneDx,
            Kind::Spdx,
        ] {
            let path = Path::new("/nonexistent-agent-immune/f");
            if let Err(e) = parse(kind, &text, path) {
                proptest::prop_assert!(e.path.starts_with("/nonexistent-agent-immune"), "{e}");
            }
        }
    }
}

/// Every real file cut short at many points parses or fails with its name;
/// never a panic.
#[test]
fn truncated_real_files_never_panic() {
    for name in [
        "ripgrep.Cargo.lock",
        "firecracker-v0.24.0.Cargo.lock",
        "nodejs-goof.package-lock.json",
        "nodejs-goof.package.json",
        "pygoat.requirements.txt",
        "healthchecks-main.requirements.txt",
    ] {
        let path = real_file(name);
        let kind = Kind::detect(&path).unwrap();
        let text = fs_err::read_to_string(&path).unwrap();
        let step = (text.len() / 60).max(1);
        let mut end = 0;
        while end < text.len() {
            if text.is_char_boundary(end) {
                if let Err(e) = parse(kind, &text[..end], &path) {
                    assert_eq!(e.path, path, "{e}");
                }
            }
            end += step;
        }
    }
}

// Regressions found by fuzzing and review (hostile repositories).

#[test]
fn requirement_includes_stay_inside_the_project() {
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir(dir.path().join(".git")).unwrap();
    let req = dir.path().join("requirements.txt");
    fs_err::write(&req, "-r /etc/shadow\n").unwrap();
    let err = agent_immune::lockfile::parse_file(&req).unwrap_err();
    assert_eq!(err.line, Some(1), "{err}");
    assert!(err.message.contains("outside the project"), "{err}");
    assert!(
        !err.to_string().contains("root:"),
        "must not echo the file: {err}"
    );
    // an include inside the project is fine, also from a subdirectory
    fs_err::create_dir(dir.path().join("requirements")).unwrap();
    fs_err::write(dir.path().join("base.txt"), "six==1.16.0\n").unwrap();
    let dev = dir.path().join("requirements").join("dev.txt");
    fs_err::write(&dev, "-r ../base.txt\n").unwrap();
    let pkgs = agent_immune::lockfile::parse_file(&dev).unwrap();
    assert_eq!(pkgs.len(), 1);
}

#[test]
fn requirement_includes_of_devices_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let req = dir.path().join("requirements.txt");
    fs_err::write(&req, "-r /dev/zero\n").unwrap();
    // outside the project, and not a regular file either way
    let err = agent_immune::lockfile::parse_file(&req).unwrap_err();
    assert_eq!(err.line, Some(1), "{err}");
    let err = agent_immune::lockfile::parse_file(std::path::Path::new("/dev/null")).unwrap_err();
    assert!(
        err.to_string().contains("regular file")
            || err.to_string().contains("not supported")
            || err.to_string().contains("/dev/null"),
        "{err}"
    );
}

#[test]
fn yaml_error_lines_count_newlines_only() {
    use agent_immune::lockfile::{parse, Kind};
    // a lone `\r` is not a line break for our line numbers
    let text = "a: 1\rb: c: d\n";
    let err = parse(Kind::PnpmLock, text, std::path::Path::new("pnpm-lock.yaml")).unwrap_err();
    let lines = text.matches('\n').count() + 1;
    assert!(err.line.is_some_and(|l| l >= 1 && l <= lines), "{err}");
}

/// A hostile repository's `Cargo.lock -> ~/.pgpass`: a manifest that is a
/// symbolic link out of its project is never opened — at the top level, in
/// a scanned directory, under `--recursive` — so no line of the other file
/// can reach an error. A link to a file inside the project is followed.
#[test]
fn manifest_links_out_of_the_project_are_not_followed() {
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("pgpass");
    fs_err::write(&secret, "db.internal:5432:*:admin:SECRET-hunter2\n").unwrap();
    let project = tempfile::tempdir().unwrap();
    fs_err::create_dir(project.path().join(".git")).unwrap();
    fs_err::create_dir_all(project.path().join("svc/api")).unwrap();
    let cases = [
        project.path().join("Cargo.lock"),
        project.path().join("svc/api/package-lock.json"),
        project.path().join("svc/requirements.txt"),
        project.path().join("svc/api/pnpm-lock.yaml"),
    ];
    for link in &cases {
        std::os::unix::fs::symlink(&secret, link).unwrap();
        let err = parse_file(link).unwrap_err();
        let shown = err.to_string();
        assert!(shown.contains("outside the project"), "{shown}");
        assert!(shown.contains("not followed"), "{shown}");
        assert!(!shown.contains("SECRET"), "echoed the target: {shown}");
        assert!(!shown.contains("db.internal"), "echoed the target: {shown}");
    }
    // Discovered under --recursive, then refused the same way.
    let found = discover(project.path(), true).unwrap();
    assert_eq!(found.len(), cases.len());
    for path in found {
        let err = parse_file(&path).unwrap_err();
        assert!(!err.to_string().contains("SECRET"), "{err}");
    }
    // A dangling link is refused too, without a read.
    let dangling = project.path().join("svc/api/yarn.lock");
    std::os::unix::fs::symlink(outside.path().join("gone"), &dangling).unwrap();
    assert!(parse_file(&dangling)
        .unwrap_err()
        .message
        .contains("does not exist"));
    // A link to a lockfile elsewhere in the same project is followed.
    let real = project.path().join("svc/real.requirements.txt");
    fs_err::write(&real, "six==1.16.0\n").unwrap();
    let inside = project.path().join("svc/api/requirements.txt");
    std::os::unix::fs::symlink(&real, &inside).unwrap();
    let pkgs = parse_file(&inside).unwrap();
    assert!(has(&pkgs, "six", "1.16.0"));
}

/// Nesting that costs a YAML parser quadratic time (a 200 KB
/// `pnpm-lock.yaml` of `[[[…]]]` took 41 s) is refused by a linear pass
/// before parsing, naming the line; real files are untouched (the real
/// pnpm and yarn files above still parse).
#[test]
fn deeply_nested_yaml_is_refused_before_parsing() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["pnpm-lock.yaml", "yarn.lock"] {
        let text = format!(
            "lockfileVersion: '9.0'\n__metadata:\n  version: 8\npackages:\n  x: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let path = write(dir.path(), name, &text);
        let err = parse_file(&path).unwrap_err();
        assert_eq!(err.line, Some(5), "{name}: {err}");
        assert!(
            err.message.contains("refused before parsing"),
            "{name}: {err}"
        );
    }
}

// ---------------------------------------------------------------- Go

const GO_MOD: &str = "module example.com/svc\n\
\n\
go 1.22\n\
toolchain go1.22.0\n\
require (\n\
\tgithub.com/gorilla/mux v1.8.0\n\
\tgolang.org/x/net v0.0.0-20210226172049-e18ecbb05110 // indirect\n\
\tgithub.com/docker/docker v20.10.7+incompatible\n\
\texample.com/mine v0.1.0\n\
)\n\
\n\
replace example.com/mine => ./mine\n";

#[test]
fn go_mod_is_the_build_list() {
    let pkgs = parse_str(Kind::GoMod, "go.mod", GO_MOD).unwrap();
    let names: Vec<&str> = pkgs.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "github.com/gorilla/mux",
            "golang.org/x/net",
            "github.com/docker/docker",
            "stdlib"
        ]
    );
    let net = get(&pkgs, "golang.org/x/net");
    assert_eq!(net.version, "v0.0.0-20210226172049-e18ecbb05110");
    assert_eq!((net.line, net.approximate), (Some(7), false));
    let std = get(&pkgs, "stdlib");
    assert_eq!((std.version.as_str(), std.approximate), ("1.22.0", true));
    assert_eq!(std.line, Some(4));
    assert!(pkgs.iter().all(|p| p.ecosystem == Ecosystem::Go));
    // Every version the parser returns parses as a Go version.
    for p in &pkgs {
        assert!(
            agent_immune::version::parse_version(Ecosystem::Go, &p.version).is_ok(),
            "{p:?}"
        );
    }
}

#[test]
fn go_discovery_drops_go_sum_beside_go_mod() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "go.mod", GO_MOD);
    write(
        dir.path(),
        "go.sum",
        "github.com/gorilla/mux v1.8.0 h1:x=\n",
    );
    let only_sum = write(
        dir.path(),
        "tools/go.sum",
        "github.com/gorilla/mux v1.7.0 h1:x=\n",
    );
    write(
        dir.path(),
        "vendor/github.com/x/y/go.mod",
        "module github.com/x/y\n",
    );
    let found = discover(dir.path(), true).unwrap();
    assert_eq!(found, [dir.path().join("go.mod"), only_sum.clone()]);
    let pkgs = parse_file(&only_sum).unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(
        (pkgs[0].version.as_str(), pkgs[0].line),
        ("v1.7.0", Some(1))
    );
}

#[test]
fn go_hostile_inputs() {
    // Truncated inside a block, a quoted string, a replace.
    assert_err_at(Kind::GoMod, "go.mod", &GO_MOD[..79], 6);
    assert_err_at(Kind::GoMod, "go.mod", &GO_MOD[..93], 5);
    assert_err_at(Kind::GoMod, "go.mod", "module m\nrequire \"github.com/a", 2);
    assert_err_at(Kind::GoMod, "go.mod", "module m\nreplace a =>", 2);
    // A NUL in a version; a huge version; a version that is not one.
    assert_err_at(Kind::GoMod, "go.mod", "require a v1.0.0\u{0}\n", 1);
    let huge = format!("require a v1.0.{}\n", "9".repeat(100_000));
    let e = err(Kind::GoMod, "go.mod", &huge);
    assert_eq!(e.line, Some(1));
    assert!(
        e.to_string().len() < 500,
        "the message quotes a bounded prefix"
    );
    assert_err_at(Kind::GoMod, "go.mod", "\n\nrequire a latest\n", 3);
    assert_err_at(Kind::GoSum, "go.sum", "a v1.0.0 h1:x\na v1.0.0\n", 2);
    assert_err_at(Kind::GoSum, "go.sum", "a v1.0.0\u{0} h1:x\n", 1);
    // Deep parentheses are tokens, not recursion.
    let deep = format!("require {}\n", "(".repeat(100_000));
    assert_err_at(Kind::GoMod, "go.mod", &deep, 1);
    // Unknown directives from newer Go are ignored, as Go's lax parser does.
    let pkgs = parse_str(
        Kind::GoMod,
        "go.mod",
        "module m\ngo 1.25\nignore ./x\ntool a/b\nfuture x y z\nrequire a/b v1.0.0\n",
    )
    .unwrap();
    assert_eq!(pkgs.len(), 1);
    assert_eq!(pkgs[0].line, Some(6));
    // Truncation at every byte never panics; errors name the file.
    for end in 0..GO_MOD.len() {
        if let Err(e) = parse_str(Kind::GoMod, "go.mod", &GO_MOD[..end]) {
            assert_eq!(e.path, Path::new("go.mod"));
            assert!(e.line.is_some(), "{e}");
        }
    }
}

// ---------------------------------------------------------------- RubyGems

const GEMFILE_LOCK: &str = "PATH\n  remote: .\n  specs:\n    app (0.1.0)\n      rails (~> 7.0)\n\n\
GEM\n  remote: https://rubygems.org/\n  specs:\n    actionpack (7.0.4)\n      rack (~> 2.0)\n    nokogiri (1.13.9-x86_64-linux)\n      racc (~> 1.4)\n    rack (2.2.4)\n\n\
PLATFORMS\n  x86_64-linux\n\nDEPENDENCIES\n  app!\n  nokogiri\n\nBUNDLED WITH\n   2.3.26\n";

#[test]
fn gemfile_lock_lists_registry_gems_with_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lock = write(dir.path(), "Gemfile.lock", GEMFILE_LOCK);
    write(dir.path(), "Gemfile", "source 'https://rubygems.org'\n");
    assert_eq!(
        discover(dir.path(), false).unwrap(),
        std::slice::from_ref(&lock)
    );
    let pkgs = parse_file(&lock).unwrap();
    let got: Vec<(&str, &str, Option<usize>)> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
        .collect();
    assert_eq!(
        got,
        [
            ("actionpack", "7.0.4", Some(10)),
            ("nokogiri", "1.13.9", Some(12)),
            ("rack", "2.2.4", Some(14)),
        ]
    );
    assert_eq!(Kind::GemfileLock.ecosystem(), Some(Ecosystem::RubyGems));
    assert!(
        !has(&pkgs, "app", "0.1.0"),
        "PATH gems are the project's own"
    );
}

#[test]
fn gemfile_lock_hostile_inputs() {
    // Truncated mid-spec: an error on that line; at every byte: never a panic.
    assert_err_at(Kind::GemfileLock, "Gemfile.lock", &GEMFILE_LOCK[..128], 10);
    for end in 0..GEMFILE_LOCK.len() {
        if let Err(e) = parse_str(Kind::GemfileLock, "Gemfile.lock", &GEMFILE_LOCK[..end]) {
            assert!(e.line.is_some(), "{e}");
        }
    }
    let huge = format!("GEM\n  specs:\n    rack (1.{})\n", "9".repeat(100_000));
    // A huge version is a version (RubyGems numbers have no size limit).
    let pkgs = parse_str(Kind::GemfileLock, "Gemfile.lock", &huge).unwrap();
    assert_eq!(pkgs[0].version.len(), 100_002);
    assert_err_at(
        Kind::GemfileLock,
        "Gemfile.lock",
        "GEM\n  specs:\n    rack (1.0\u{0}1)\n",
        3,
    );
    assert_err_at(
        Kind::GemfileLock,
        "Gemfile.lock",
        "GEM\n  specs:\n    (1.0)\n",
        3,
    );
    let e = err(
        Kind::GemfileLock,
        "Gemfile.lock",
        &format!("GEM\n  specs:\n    {}\n", "x".repeat(10_000)),
    );
    assert!(
        e.to_string().len() < 300,
        "the message quotes a bounded prefix: {e}"
    );
}

// ---------------------------------------------------------------- Packagist

#[test]
fn composer_lock_real_file() {
    let path = real_file("php-goof.composer.lock");
    let pkgs = parse_file(&path).unwrap();
    let got: Vec<(&str, &str, Option<usize>)> = pkgs
        .iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
        .collect();
    assert_eq!(
        got,
        [
            ("dompdf/dompdf", "v1.2.0", Some(10)),
            ("league/commonmark", "0.18.2", Some(77)),
            ("phenx/php-font-lib", "0.5.4", Some(152)),
            ("phenx/php-svg-lib", "0.4.1", Some(196)),
            ("phpmailer/phpmailer", "v6.4.1", Some(242)),
            ("sabberworm/php-css-parser", "8.4.0", Some(318)),
        ]
    );
    assert_eq!(Kind::ComposerLock.ecosystem(), Some(Ecosystem::Packagist));
}

#[test]
fn composer_lock_hostile_inputs() {
    let text = fs_err::read_to_string(real_file("php-goof.composer.lock")).unwrap();
    // Truncated anywhere: an error naming the file (and a line), never a panic.
    let step = (text.len() / 200).max(1);
    for end in (0..text.len()).step_by(step) {
        if !text.is_char_boundary(end) {
            continue;
        }
        if let Err(e) = parse_str(Kind::ComposerLock, "composer.lock", &text[..end]) {
            assert!(e.line.is_some(), "{end}: {e}");
        }
    }
    // Wrong types.
    assert_err_at(
        Kind::ComposerLock,
        "composer.lock",
        "{\n  \"packages\": \"x\"\n}",
        2,
    );
    assert_err_at(
        Kind::ComposerLock,
        "composer.lock",
        "{\"packages\": [\n  {\"name\": \"a/b\", \"version\": [1]}\n]}",
        2,
    );
    assert_err_at(
        Kind::ComposerLock,
        "composer.lock",
        "{\"packages-dev\": [\n  {\"name\": 7, \"version\": \"1\"}\n]}",
        1,
    );
    // A NUL in a version.
    assert_err_at(
        Kind::ComposerLock,
        "composer.lock",
        "{\"packages\": [\n{\"name\": \"a/b\", \"version\": \"1.0\\u0000\"}]}",
        2,
    );
    // Deep nesting: serde_json's recursion limit, an error with a line.
    let deep = format!(
        "{{\"packages\": {}{}}}",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    let e = err(Kind::ComposerLock, "composer.lock", &deep);
    assert!(e.message.contains("recursion"), "{e}");
    // A huge version is kept as written (and ordered without overflow).
    let huge = format!(
        "{{\"packages\": [{{\"name\": \"a/b\", \"version\": \"1.{}\"}}]}}",
        "9".repeat(100_000)
    );
    let pkgs = parse_str(Kind::ComposerLock, "composer.lock", &huge).unwrap();
    assert_eq!(
        agent_immune::version::compare(Ecosystem::Packagist, &pkgs[0].version, "2.0"),
        Some(std::cmp::Ordering::Less)
    );
}

// ---------------------------------------------------------------- SBOMs

#[test]
fn sbom_discovery_confirms_by_content() {
    let dir = tempfile::tempdir().unwrap();
    let cdx = write(
        dir.path(),
        "bom.json",
        "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"purl\": \"pkg:cargo/smallvec@1.6.0\"}]}",
    );
    write(dir.path(), "other/bom.json", "{\"not\": \"an sbom\"}");
    let spdx = write(
        dir.path(),
        "img.spdx.json",
        "{\"spdxVersion\": \"SPDX-2.3\", \"packages\": []}",
    );
    write(dir.path(), "x.spdx.json", "{\"spdxVersion\": \"SPDX-3.0\"}");
    assert_eq!(discover(dir.path(), true).unwrap(), [cdx.clone(), spdx]);
    let pkgs = parse_file(&cdx).unwrap();
    assert_eq!(
        (pkgs[0].ecosystem, pkgs[0].name.as_str()),
        (Ecosystem::CratesIo, "smallvec")
    );
    // Named directly, a file that is not the format its name says is an error.
    let e = parse_file(&dir.path().join("other/bom.json")).unwrap_err();
    assert!(e.message.contains("not a CycloneDX SBOM"), "{e}");
}

#[test]
fn sbom_hostile_inputs() {
    for name in [
        "laravel-7.12.0.cdx.json",
        "terraform-provider-aci.spdx.json",
    ] {
        let path = real_file(name);
        let kind = Kind::detect(&path).unwrap();
        let text = fs_err::read_to_string(&path).unwrap();
        let step = (text.len() / 150).max(1);
        for end in (0..text.len()).step_by(step) {
            if text.is_char_boundary(end) {
                if let Err(e) = parse(kind, &text[..end], &path) {
                    assert!(e.line.is_some(), "{name} cut at {end}: {e}");
                }
            }
        }
    }
    let cdx = |components: &str| {
        format!("{{\"bomFormat\": \"CycloneDX\",\n\"components\": {components}}}")
    };
    // Deep nesting through `components`: serde_json's limit, an error.
    let mut deep = String::from("[{\"purl\": \"pkg:npm/a@1\"}]");
    for _ in 0..200 {
        deep = format!("[{{\"components\": {deep}}}]");
    }
    let e = err(Kind::CycloneDx, "bom.json", &cdx(&deep));
    assert!(e.message.contains("recursion"), "{e}");
    // 60 levels parse, iteratively.
    let mut nested = String::from("[{\"purl\": \"pkg:npm/a@1\"}]");
    for _ in 0..60 {
        nested = format!("[{{\"components\": {nested}}}]");
    }
    let pkgs = parse_str(Kind::CycloneDx, "bom.json", &cdx(&nested)).unwrap();
    assert_eq!(pkgs.len(), 1);
    // Wrong types, a NUL in a version, a purl that is not one.
    assert_err_at(Kind::CycloneDx, "bom.json", &cdx("{}"), 2);
    assert_err_at(Kind::CycloneDx, "bom.json", &cdx("[\"pkg:npm/a@1\"]"), 2);
    assert_err_at(
        Kind::CycloneDx,
        "bom.json",
        &cdx("[\n{\"purl\": \"pkg:npm/a@1%00\"}]"),
        3,
    );
    assert_err_at(
        Kind::CycloneDx,
        "bom.json",
        &cdx("[\n{\"purl\": \"pkg:npm/a@1\\u0000\"}]"),
        3,
    );
    assert_err_at(
        Kind::CycloneDx,
        "bom.json",
        &cdx("[\n{\"purl\": \"http://x\"}]"),
        3,
    );
    // A huge version is kept (and compared without overflow).
    let huge = cdx(&format!(
        "[{{\"purl\": \"pkg:gem/rack@1.{}\"}}]",
        "9".repeat(100_000)
    ));
    let pkgs = parse_str(Kind::CycloneDx, "bom.json", &huge).unwrap();
    assert_eq!(pkgs[0].version.len(), 100_002);
}

#[test]
fn shape_errors_name_their_line_even_on_one_line() {
    let alias_bomb: String = std::iter::once("a: &a [x, x, x, x, x, x, x, x, x]\n".to_string())
        .chain((b'b'..=b'i').map(|c| {
            let prev = (c - 1) as char;
            let c = c as char;
            format!("{c}: &{c} [{}]\n", vec![format!("*{prev}"); 9].join(", "))
        }))
        .collect();
    let cases: &[(Kind, &str, &str, usize)] = &[
        (Kind::PipfileLock, "Pipfile.lock", r#"{"default": []}"#, 1),
        (Kind::PipfileLock, "Pipfile.lock", "{\n\"default\": {\"a\": \"x\"}}", 2),
        (Kind::PipfileLock, "Pipfile.lock", "{\n\"default\": {\n\"a\": {\"version\": 5}}}", 3),
        (Kind::PipfileLock, "Pipfile.lock", "[1]", 1),
        (Kind::PipfileLock, "Pipfile.lock", "{\"default\": {},\n\n \"develop\": 7}", 3),
        (Kind::PackageLock, "package-lock.json", "{\"lockfileVersion\": 1, \"dependencies\": {\"a\": {\"version\": \"1.0.0\",\n\"dependencies\": 5}}}", 2),
        (Kind::PackageLock, "package-lock.json", "{\"lockfileVersion\": 1,\n \"dependencies\": 5}", 2),
        (Kind::PnpmLock, "pnpm-lock.yaml", &alias_bomb, 1),
        (Kind::PnpmLock, "pnpm-lock.yaml", "lockfileVersion: 5\npackages:\n  /a/1.0.0: 5\n", 3),
        (Kind::PackageJson, "package.json", "{\"dependencies\":\n {\"a\": 5}}", 2),
    ];
    for (kind, name, text, line) in cases {
        let e = err(*kind, name, text);
        assert_eq!(e.line, Some(*line), "{name} {text:?}: {e}");
    }
    // A chain of includes one longer than followed: the `-r` line that
    // would go past the limit is named.
    let dir = tempfile::tempdir().unwrap();
    let max = agent_immune::lockfile::MAX_INCLUDE_DEPTH;
    for i in 0..=max + 1 {
        write(
            dir.path(),
            &format!("requirements-{i}.txt"),
            &format!("a{i}==1.0\n-r requirements-{}.txt\n", i + 1),
        );
    }
    let e = parse_file(&dir.path().join("requirements-0.txt")).unwrap_err();
    assert_eq!(e.line, Some(2), "{e}");
    assert!(e.path.ends_with(format!("requirements-{max}.txt")), "{e}");
}
