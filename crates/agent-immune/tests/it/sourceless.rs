//! `Cargo.lock` entries without a `source` line: the workspace's own crates
//! stay out, a registry crate whose line was removed is still scanned, and
//! every assumption is a note. The property test strips lines from real
//! lockfiles: whichever registry entry loses its `source`, it is scanned.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use agent_immune::lockfile::{parse_file_noted, parse_noted, Kind, Parsed};

use crate::testdata;

const REG: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs_err::create_dir_all(parent).expect("create fixture dir");
    }
    fs_err::write(&p, text).expect("write fixture");
    p
}

fn names(parsed: &Parsed) -> Vec<String> {
    parsed
        .packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

fn entry(name: &str, version: &str, source: bool, checksum: bool, deps: &[&str]) -> String {
    let mut s = format!("[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n");
    if source {
        s += &format!("source = \"{REG}\"\n");
    }
    if checksum {
        s += "checksum = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
    }
    if !deps.is_empty() {
        s += "dependencies = [\n";
        for d in deps {
            s += &format!(" \"{d}\",\n");
        }
        s += "]\n";
    }
    s + "\n"
}

fn lock(entries: &[String]) -> String {
    format!("version = 3\n\n{}", entries.concat())
}

/// Parses `text` as `dir/Cargo.lock` (so manifests beside it count).
fn parse_in(dir: &Path, text: &str) -> Parsed {
    let path = write(dir, "Cargo.lock", text);
    parse_file_noted(&path).expect("parses")
}

#[test]
fn a_checksum_marks_a_registry_crate_whose_source_was_removed() {
    let dir = tempfile::tempdir().unwrap();
    let text = lock(&[
        entry("app", "0.1.0", false, false, &["crossbeam-deque"]),
        entry("crossbeam-deque", "0.8.0", false, true, &[]),
    ]);
    let parsed = parse_in(dir.path(), &text);
    assert_eq!(names(&parsed), ["crossbeam-deque 0.8.0"]);
    let note = parsed
        .notes
        .iter()
        .find(|n| n.message.contains("crossbeam-deque 0.8.0"))
        .expect("a note names the stripped entry");
    assert_eq!(note.line, Some(11), "{note}");
    assert!(note.message.contains("checksum"), "{note}");
}

#[test]
fn the_only_entry_stripped_of_source_and_checksum_is_not_passed_silently() {
    // The case: a one-entry lockfile that scanned "0 packages … pass".
    let dir = tempfile::tempdir().unwrap();
    let text = lock(&[entry("crossbeam-deque", "0.8.0", false, false, &[])]);
    let parsed = parse_in(dir.path(), &text);
    assert!(parsed.packages.is_empty());
    assert!(
        parsed
            .notes
            .iter()
            .any(|n| n.message.contains("crossbeam-deque 0.8.0")
                && n.message.contains("no Cargo.toml")),
        "{:#?}",
        parsed.notes
    );
    // Beside the project's manifest, which does not build it: scanned.
    write(
        dir.path(),
        "Cargo.toml",
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\n",
    );
    let parsed = parse_in(dir.path(), &text);
    assert_eq!(names(&parsed), ["crossbeam-deque 0.8.0"]);
}

#[test]
fn a_registry_crate_never_depends_on_a_path_crate() {
    let dir = tempfile::tempdir().unwrap();
    let text = lock(&[
        entry("app", "0.1.0", false, false, &["rayon-core"]),
        entry("crossbeam-deque", "0.8.0", false, false, &[]),
        entry(
            "rayon-core",
            "1.9.0",
            true,
            true,
            &["crossbeam-deque 0.8.0"],
        ),
    ]);
    let parsed = parse_in(dir.path(), &text);
    assert_eq!(
        names(&parsed),
        ["crossbeam-deque 0.8.0", "rayon-core 1.9.0"]
    );
    assert!(parsed
        .notes
        .iter()
        .any(|n| n.line == Some(11) && n.message.contains("registry package depends on it")));
}

#[test]
fn format_1_metadata_checksums_mark_registry_crates() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}[metadata]\n\"checksum lazy_static 1.4.0 ({REG})\" = \"abc\"\n",
        entry("app", "0.1.0", false, false, &["lazy_static"]),
        entry("lazy_static", "1.4.0", false, false, &[]),
    );
    let parsed = parse_in(dir.path(), &text);
    assert_eq!(names(&parsed), ["lazy_static 1.4.0"]);
}

#[test]
fn workspace_members_and_path_crates_stay_out_and_nothing_else_does() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    fs_err::create_dir(d.join(".git")).unwrap();
    write(
        d,
        "Cargo.toml",
        "[workspace]\nmembers = [\"crates/*\", \"tool\"]\n\n[patch.crates-io]\nserde = { path = \"patched/serde\" }\n",
    );
    write(d, "crates/core/Cargo.toml", "[package]\nname = \"app-core\"\n[dependencies]\nhelper = { path = \"../../libs/helper\" }\n");
    write(
        d,
        "crates/cli/Cargo.toml",
        "[package]\nname = \"app-cli\"\n",
    );
    write(d, "tool/Cargo.toml", "[package]\nname = \"tool\"\n");
    write(
        d,
        "libs/helper/Cargo.toml",
        "[package]\nname = \"helper\"\n",
    );
    write(
        d,
        "patched/serde/Cargo.toml",
        "[package]\nname = \"serde\"\n",
    );
    let text = lock(&[
        entry("app-cli", "0.1.0", false, false, &["app-core", "smallvec"]),
        entry("app-core", "0.1.0", false, false, &["helper", "serde"]),
        entry("helper", "0.1.0", false, false, &[]),
        entry("serde", "1.0.0", false, false, &[]),
        entry("smallvec", "0.6.9", false, false, &[]),
        entry("tool", "0.1.0", false, false, &[]),
    ]);
    let parsed = parse_in(d, &text);
    assert_eq!(names(&parsed), ["smallvec 0.6.9"]);
    assert_eq!(parsed.notes.len(), 1, "{:#?}", parsed.notes);
    assert!(parsed.notes[0]
        .message
        .contains("not a member or path dependency"));
    assert!(parsed.notes[0].message.contains("Cargo.toml"));
}

#[test]
fn newer_formats_and_empty_lockfiles_are_said() {
    let parsed = parse_noted(
        Kind::CargoLock,
        &format!(
            "# header\nversion = 7\n\n{}",
            entry("a", "1.0.0", true, true, &[])
        ),
        Path::new("/nonexistent/Cargo.lock"),
    )
    .unwrap();
    assert_eq!(parsed.packages.len(), 1);
    assert!(parsed
        .notes
        .iter()
        .any(|n| n.line == Some(2) && n.message.contains("format 7")));
    for text in ["", "\n\n", "version = 4\n"] {
        let parsed =
            parse_noted(Kind::CargoLock, text, Path::new("/nonexistent/Cargo.lock")).unwrap();
        assert!(parsed.packages.is_empty());
        assert!(
            parsed
                .notes
                .iter()
                .any(|n| n.message.contains("empty") || n.message.contains("no packages")),
            "{text:?}: {:#?}",
            parsed.notes
        );
    }
    for (kind, name) in [
        (Kind::PackageLock, "package-lock.json"),
        (Kind::PoetryLock, "poetry.lock"),
        (Kind::YarnLock, "yarn.lock"),
    ] {
        let parsed = parse_noted(kind, " \n", Path::new(name)).unwrap();
        assert!(
            parsed.notes.iter().any(|n| n.message.contains("empty")),
            "{name}"
        );
    }
}

/// The workspace's own crates of a real lockfile laid out as a project:
/// one member directory per entry without a source.
fn as_project(dir: &Path, text: &str) -> PathBuf {
    let lock = agent_immune::lockfile::parse_cargo_lock_toml(text, Path::new("Cargo.lock"))
        .expect("a real lockfile parses");
    write(
        dir,
        "Cargo.toml",
        "[workspace]\nmembers = [\"members/*\"]\n",
    );
    for (i, e) in lock
        .entries
        .iter()
        .filter(|e| e.source.is_none())
        .enumerate()
    {
        write(
            dir,
            &format!("members/m{i}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{}\"\nversion = \"{}\"\n",
                e.name, e.version
            ),
        );
    }
    write(dir, "Cargo.lock", text)
}

/// Removes the `source` and `checksum` lines of the entry named on line
/// `name_line` (1-based), and its format-1 `[metadata]` checksum.
fn strip(text: &str, name_line: usize, name: &str, version: &str) -> String {
    let meta = format!("\"checksum {name} {version} (");
    let mut out = String::new();
    let mut in_entry = false;
    for (i, line) in text.lines().enumerate() {
        if i + 1 == name_line {
            in_entry = true;
        } else if line.starts_with('[') || line.is_empty() {
            in_entry = false;
        }
        if (in_entry && (line.starts_with("source = ") || line.starts_with("checksum = ")))
            || line.starts_with(&meta)
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[test]
fn stripping_any_registry_entry_of_its_source_never_hides_it() {
    for file in [
        "ripgrep.Cargo.lock",
        "firecracker-v0.24.0.Cargo.lock",
        "uv.Cargo.lock",
    ] {
        let text = fs_err::read_to_string(testdata(&format!("lockfiles/{file}"))).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let lock_path = as_project(dir.path(), &text);
        let full = parse_file_noted(&lock_path).unwrap();
        assert!(full.notes.is_empty(), "{file}: {:#?}", full.notes);
        let all: HashSet<(String, String)> = full
            .packages
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        // Every 7th registry entry (all of them for the small files).
        let step = if full.packages.len() > 200 { 7 } else { 1 };
        let mut tried = 0;
        for p in full.packages.iter().step_by(step) {
            let stripped = strip(&text, p.line.unwrap(), &p.name, &p.version);
            // Source and checksum both gone: the manifests tell.
            fs_err::write(&lock_path, &stripped).unwrap();
            let parsed = parse_file_noted(&lock_path).unwrap();
            let now: HashSet<(String, String)> = parsed
                .packages
                .iter()
                .map(|p| (p.name.clone(), p.version.clone()))
                .collect();
            assert_eq!(now, all, "{file}: {} {} stripped", p.name, p.version);
            assert!(
                parsed
                    .notes
                    .iter()
                    .any(|n| n.message.contains(&format!("`{} {}`", p.name, p.version))),
                "{file}: no note for {} {}: {:#?}",
                p.name,
                p.version,
                parsed.notes
            );
            tried += 1;
        }
        assert!(tried >= 20, "{file}: {tried}");
    }
}
