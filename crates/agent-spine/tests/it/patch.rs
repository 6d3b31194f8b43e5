//! workflow::patch on real git repositories in temporary directories: a
//! good patch plans, scans (agent-immune on the shared OSV test data) and
//! applies; every refusal leaves the whole tree byte-for-byte unchanged,
//! through `plan` and through `apply`; nothing is written through a
//! symlink; a patch git reads differently from the checks is refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use agent_immune::osv::{self, Source};
use agent_immune::pipeline::Hold;
use agent_immune::Ecosystem;
use agent_spine::workflow::patch::{
    apply, plan, scan, Change, PatchError, PatchPlan, PatchedFile, PathRefusal, MAX_PATCH_BYTES,
    MAX_PATCH_FILES,
};
use autonomic_core::config::{Config, ImmuneConfig};
use proptest::prelude::*;

const LIB_RS: &str = "pub fn one() -> u32 {\n    1\n}\n";
const CARGO_TOML: &str =
    "[package]\nname = \"demo\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\nserde = \"1.0\"\n";

const SOURCE_PATCH: &str = "diff --git a/src/lib.rs b/src/lib.rs
index 1111111..2222222 100644
--- a/src/lib.rs
+++ b/src/lib.rs
@@ -1,3 +1,3 @@
 pub fn one() -> u32 {
-    1
+    2
 }
";
const CARGO_PATCH: &str = "diff --git a/Cargo.toml b/Cargo.toml
--- a/Cargo.toml
+++ b/Cargo.toml
@@ -6,2 +6,3 @@ edition = \"2021\"
 [dependencies]
 serde = \"1.0\"
+anyhow = \"1.0.86\"
";
const NEW_FILE_PATCH: &str = "diff --git a/docs/notes.md b/docs/notes.md
new file mode 100644
index 0000000..ce01362
--- /dev/null
+++ b/docs/notes.md
@@ -0,0 +1 @@
+hello
";
const PYYAML_PATCH: &str = "--- a/requirements.txt
+++ b/requirements.txt
@@ -1 +1,2 @@
 requests==2.31.0
+PyYAML==5.1
";

#[expect(
    clippy::disallowed_methods,
    reason = "tests set up real git repositories"
)]
pub(crate) fn git(dir: &Path, args: &[&str]) {
    let status = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?} in {}", dir.display());
}

/// A git repository with a source file, a Cargo.toml and a requirements.txt.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fill(dir.path());
    git(dir.path(), &["init", "-q"]);
    dir
}

fn fill(dir: &Path) {
    fs_err::create_dir_all(dir.join("src")).unwrap();
    fs_err::write(dir.join("src/lib.rs"), LIB_RS).unwrap();
    fs_err::write(dir.join("Cargo.toml"), CARGO_TOML).unwrap();
    fs_err::write(dir.join("requirements.txt"), "requests==2.31.0\n").unwrap();
}

/// Every entry below `dir` (not following links): files with their bytes,
/// symlinks with their targets, directories.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs_err::read_dir(&d).unwrap() {
            let p = entry.unwrap().path();
            let meta = fs_err::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(dir).unwrap().to_path_buf();
            let what = if meta.file_type().is_symlink() {
                format!("link {}", fs_err::read_link(&p).unwrap().display())
            } else if meta.is_dir() {
                stack.push(p);
                "dir".to_owned()
            } else {
                format!(
                    "{:o} {:?}",
                    std::os::unix::fs::PermissionsExt::mode(&meta.permissions()),
                    fs_err::read(&p).unwrap()
                )
            };
            out.insert(rel, what);
        }
    }
    out
}

/// An OSV cache of the shared test archives, and a config that uses it.
pub(crate) fn osv_config() -> (tempfile::TempDir, Config) {
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/osv"));
    for r in osv::update(
        dir.path(),
        &source,
        &[Ecosystem::PyPI, Ecosystem::CratesIo],
        &mut |_| {},
    ) {
        assert!(r.is_ok(), "import failed: {r:?}");
    }
    let config = Config {
        immune: ImmuneConfig {
            osv_cache_dir: dir.path().to_path_buf(),
            ..ImmuneConfig::default()
        },
        ..Config::default()
    };
    (dir, config)
}

fn file(path: &str, change: Change) -> PatchedFile {
    PatchedFile {
        path: PathBuf::from(path),
        change,
    }
}

#[test]
fn a_source_and_manifest_patch_plans_scans_and_applies() {
    let repo = repo();
    let (_db, config) = osv_config();
    let patch = format!("{SOURCE_PATCH}{CARGO_PATCH}{NEW_FILE_PATCH}");
    let before = snapshot(repo.path());

    let planned = plan(repo.path(), &patch).unwrap();
    assert_eq!(
        planned.files,
        vec![
            file("src/lib.rs", Change::Modify),
            file("Cargo.toml", Change::Modify),
            file("docs/notes.md", Change::Add)
        ]
    );
    let [change] = planned.changes.as_slice() else {
        panic!("{:?}", planned.changes);
    };
    assert_eq!(change.path, Path::new("Cargo.toml"));
    assert_eq!(change.before.as_deref(), Some(CARGO_TOML));
    assert_eq!(
        change.after,
        Some(format!("{CARGO_TOML}anyhow = \"1.0.86\"\n"))
    );

    let scanned = scan(&planned, &config, time::OffsetDateTime::now_utc()).unwrap();
    assert_eq!(scanned.blocking, 0, "{:?}", scanned.verdict.holds);
    assert_eq!(scanned.delta.files, vec![PathBuf::from("Cargo.toml")]);
    let names: Vec<&str> = scanned
        .delta
        .introduced
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(names, ["anyhow"]);
    assert_eq!(scanned.delta.introduced[0].source, Path::new("Cargo.toml"));
    assert_eq!(
        snapshot(repo.path()),
        before,
        "plan and scan wrote to the repository"
    );

    let applied = apply(repo.path(), &patch, &planned).unwrap();
    assert_eq!(
        applied.files,
        ["src/lib.rs", "Cargo.toml", "docs/notes.md"].map(PathBuf::from)
    );
    assert_eq!(
        fs_err::read_to_string(repo.path().join("src/lib.rs")).unwrap(),
        LIB_RS.replace('1', "2")
    );
    assert_eq!(
        fs_err::read_to_string(repo.path().join("docs/notes.md")).unwrap(),
        "hello\n"
    );
    assert!(fs_err::read_to_string(repo.path().join("Cargo.toml"))
        .unwrap()
        .ends_with("anyhow = \"1.0.86\"\n"));
}

#[test]
fn a_vulnerable_requirement_blocks() {
    let repo = repo();
    let (_db, config) = osv_config();
    let before = snapshot(repo.path());
    let planned = plan(repo.path(), PYYAML_PATCH).unwrap();
    assert_eq!(
        planned.files,
        vec![file("requirements.txt", Change::Modify)]
    );
    let scanned = scan(&planned, &config, time::OffsetDateTime::now_utc()).unwrap();
    assert!(
        scanned.blocking > 0,
        "PyYAML 5.1 must block: {:?}",
        scanned.verdict.report.findings
    );
    assert_eq!(scanned.blocking, scanned.verdict.holds.len());
    assert!(scanned.verdict.holds.iter().any(
        |h| matches!(h, Hold::Finding { package, version, .. } if package == "PyYAML" && version == "5.1")
    ));
    assert!(scanned.max_severity.is_some());
    for f in &scanned.verdict.report.findings {
        assert_eq!(
            f.file,
            Path::new("requirements.txt"),
            "findings name the repository's file"
        );
    }
    assert_eq!(scanned.delta.files, vec![PathBuf::from("requirements.txt")]);
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn a_manifest_left_unparsable_blocks_and_names_the_real_file() {
    let repo = repo();
    let (_db, config) = osv_config();
    let patch = "--- a/Cargo.toml\n+++ b/Cargo.toml\n@@ -1,2 +1,2 @@\n-[package]\n+[package\n name = \"demo\"\n";
    let planned = plan(repo.path(), patch).unwrap();
    let scanned = scan(&planned, &config, time::OffsetDateTime::now_utc()).unwrap();
    assert_eq!(scanned.blocking, 1, "{:?}", scanned.verdict.holds);
    assert!(
        scanned.delta.broken[0].starts_with("Cargo.toml:"),
        "{:?}",
        scanned.delta.broken
    );
}

/// Asserts `plan` and `apply` both refuse `patch` in `repo` and the whole
/// tree (and `also`) is unchanged; returns `plan`'s error.
fn refused(repo: &Path, patch: &str, also: Option<&Path>) -> PatchError {
    let before = snapshot(repo);
    let outside = also.map(snapshot);
    let e = plan(repo, patch).expect_err("the patch must be refused");
    let empty = PatchPlan {
        files: Vec::new(),
        changes: Vec::new(),
    };
    assert!(
        apply(repo, patch, &empty).is_err(),
        "apply must refuse it too"
    );
    assert_eq!(snapshot(repo), before, "{e}: the tree changed");
    assert_eq!(also.map(snapshot), outside, "{e}: outside the tree changed");
    autonomic_core::Hint::hint(&e).expect("a refusal says what to do");
    e
}

fn unsafe_path(e: &PatchError) -> (usize, PathRefusal) {
    match e {
        PatchError::UnsafePath { line, reason, .. } => (*line, *reason),
        other => panic!("expected an unsafe path, got: {other}"),
    }
}

fn new_file(path: &str) -> String {
    format!("diff --git a/{path} b/{path}\nnew file mode 100644\n--- /dev/null\n+++ b/{path}\n@@ -0,0 +1 @@\n+x\n")
}

#[test]
fn paths_outside_the_repository_or_inside_git_are_refused() {
    let repo = repo();
    let r = repo.path();
    let rename_to = |to: &str| {
        format!("diff --git a/src/lib.rs b/x\nsimilarity index 100%\nrename from src/lib.rs\nrename to {to}\n")
    };
    let cases: Vec<(String, usize, PathRefusal)> = vec![
        (rename_to("/tmp/outside-patch"), 4, PathRefusal::Absolute),
        (
            "--- /dev/null\n+++ b//etc/cron.d/x\n@@ -0,0 +1 @@\n+x\n".to_owned(),
            2,
            PathRefusal::Absolute,
        ),
        (rename_to("../escaped"), 4, PathRefusal::NotNormal),
        (
            "--- /dev/null\n+++ b/src/../../x\n@@ -0,0 +1 @@\n+x\n".to_owned(),
            2,
            PathRefusal::NotNormal,
        ),
        (rename_to(""), 4, PathRefusal::Empty),
        (rename_to("\"a\\001b\""), 4, PathRefusal::ControlCharacter),
        (rename_to("\"a\\000b\""), 4, PathRefusal::ControlCharacter),
        (
            new_file(".git/hooks/pre-commit"),
            4,
            PathRefusal::GitDirectory,
        ),
        (new_file(".GIT/config"), 4, PathRefusal::GitDirectory),
        (new_file("sub/.git./config"), 4, PathRefusal::GitDirectory),
        (new_file("git~1/config"), 4, PathRefusal::GitDirectory),
        (new_file(".gitattributes"), 4, PathRefusal::GitConfigFile),
        (
            new_file("vendor/.gitmodules"),
            4,
            PathRefusal::GitConfigFile,
        ),
        (rename_to(".git/config"), 4, PathRefusal::GitDirectory),
    ];
    for (patch, line, reason) in cases {
        let e = refused(r, &patch, None);
        assert_eq!(unsafe_path(&e), (line, reason), "{patch}");
    }
    // The hooks directory is untouched even though git created one at init.
    assert!(!r.join(".git/hooks/pre-commit").exists());
}

#[test]
fn nothing_is_written_through_a_symlink() {
    let repo = repo();
    let outside = tempfile::tempdir().unwrap();
    fs_err::write(outside.path().join("file"), "outside\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), repo.path().join("link")).unwrap();
    std::os::unix::fs::symlink(outside.path().join("file"), repo.path().join("alias")).unwrap();

    let e = refused(repo.path(), &new_file("link/x"), Some(outside.path()));
    assert_eq!(unsafe_path(&e), (4, PathRefusal::ThroughSymlink));
    assert!(!outside.path().join("x").exists());
    let modify = "--- a/alias\n+++ b/alias\n@@ -1 +1 @@\n-outside\n+owned\n";
    let e = refused(repo.path(), modify, Some(outside.path()));
    assert_eq!(unsafe_path(&e), (2, PathRefusal::ThroughSymlink));
    let delete = "diff --git a/alias b/alias\ndeleted file mode 100644\n";
    let e = refused(repo.path(), delete, Some(outside.path()));
    assert_eq!(unsafe_path(&e).1, PathRefusal::ThroughSymlink);
    let e = refused(
        repo.path(),
        "--- a/src\n+++ b/src\n@@ -1 +1 @@\n-a\n+b\n",
        None,
    );
    assert_eq!(unsafe_path(&e).1, PathRefusal::NotARegularFile);
}

#[test]
fn symlinks_executables_binaries_and_copies_are_refused() {
    let repo = repo();
    let r = repo.path();
    let symlink = "diff --git a/l b/l\nnew file mode 120000\n--- /dev/null\n+++ b/l\n@@ -0,0 +1 @@\n+/etc/passwd\n\\ No newline at end of file\n";
    let exec = new_file("run.sh").replace("100644", "100755");
    let chmod = "diff --git a/src/lib.rs b/src/lib.rs\nold mode 100644\nnew mode 100755\n";
    let submodule = "diff --git a/m b/m\nnew file mode 160000\n--- /dev/null\n+++ b/m\n@@ -0,0 +1 @@\n+Subproject commit 1111111111111111111111111111111111111111\n";
    for (patch, mode, line) in [
        (symlink, "120000", 2),
        (exec.as_str(), "100755", 2),
        (chmod, "100755", 3),
        (submodule, "160000", 2),
    ] {
        match refused(r, patch, None) {
            PatchError::Mode {
                line: l, mode: m, ..
            } => assert_eq!((l, m.as_str()), (line, mode)),
            other => panic!("{other}"),
        }
    }
    let binary = "diff --git a/img.png b/img.png\nnew file mode 100644\nindex 0000000..d00491f\nGIT binary patch\nliteral 1\nIcmZo*000010RR91\n\nliteral 0\nHcmV?d00001\n\n";
    assert!(matches!(
        refused(r, binary, None),
        PatchError::Binary { line: 4, .. }
    ));
    let binary_stat =
        "diff --git a/a.bin b/a.bin\nindex 1..2 100644\nBinary files a/a.bin and b/a.bin differ\n";
    assert!(matches!(
        refused(r, binary_stat, None),
        PatchError::Binary { line: 3, .. }
    ));
    let copy = "diff --git a/src/lib.rs b/leak.rs\nsimilarity index 100%\ncopy from src/lib.rs\ncopy to leak.rs\n";
    assert!(matches!(
        refused(r, copy, None),
        PatchError::Copy { line: 3, .. }
    ));
}

#[test]
fn malformed_oversized_and_non_applying_patches_are_refused() {
    let repo = repo();
    let r = repo.path();
    assert!(matches!(
        refused(r, "just some text\n", None),
        PatchError::Empty
    ));
    let counts =
        "--- a/src/lib.rs\n+++ b/src/lib.rs\n@@ -1,3 +1,3 @@\n pub fn one() -> u32 {\n-    1\n";
    assert!(matches!(
        refused(r, counts, None),
        PatchError::Malformed { line: 6, .. }
    ));
    let big = format!("{SOURCE_PATCH}{}", "x".repeat(MAX_PATCH_BYTES));
    assert!(matches!(
        refused(r, &big, None),
        PatchError::TooLarge { .. }
    ));
    let many: String = (0..=MAX_PATCH_FILES)
        .map(|i| new_file(&format!("f{i}")))
        .collect();
    assert!(
        matches!(refused(r, &many, None), PatchError::TooManyFiles { count, .. } if count == MAX_PATCH_FILES + 1)
    );

    // The first file applies, the second does not: nothing is written.
    let second = "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1 @@\n-flask==2.0.0\n+flask==0.12\n";
    match refused(r, &format!("{SOURCE_PATCH}{second}"), None) {
        PatchError::DoesNotApply { message, .. } => {
            assert!(message.contains("requirements.txt"), "{message}")
        }
        other => panic!("{other}"),
    }
    // Modifying a file that does not exist.
    assert!(matches!(
        refused(
            r,
            "--- a/nope.rs\n+++ b/nope.rs\n@@ -1 +1 @@\n-a\n+b\n",
            None
        ),
        PatchError::DoesNotApply { .. }
    ));
}

#[test]
fn a_patch_git_reads_differently_is_refused() {
    // A traditional patch's name ends at a space for the checks; git keeps
    // `my file.txt` (it only strips what looks like a date).
    let repo = repo();
    let patch = "--- /dev/null\n+++ b/my file.txt\n@@ -0,0 +1 @@\n+x\n";
    match refused(repo.path(), patch, None) {
        PatchError::Disagreement { git, ours } => {
            assert_eq!(git, ["my file.txt"]);
            assert_eq!(ours, ["my"]);
        }
        other => panic!("{other}"),
    }
}

#[test]
fn apply_refuses_a_repository_or_patch_changed_since_the_plan() {
    let repo = repo();
    let planned = plan(repo.path(), PYYAML_PATCH).unwrap();
    // Another patch than the one planned.
    let e = apply(repo.path(), SOURCE_PATCH, &planned).unwrap_err();
    assert!(matches!(e, PatchError::Stale { .. }), "{e}");
    // The manifest changed after the scan.
    fs_err::write(repo.path().join("requirements.txt"), "requests==2.31.0\n\n").unwrap();
    let before = snapshot(repo.path());
    let e = apply(repo.path(), PYYAML_PATCH, &planned).unwrap_err();
    assert!(
        matches!(&e, PatchError::Stale { path } if path == Path::new("requirements.txt")),
        "{e}"
    );
    assert_eq!(snapshot(repo.path()), before);
    // A source file changed so the hunk no longer applies: git --check refuses, nothing written.
    let planned = plan(repo.path(), SOURCE_PATCH).unwrap();
    fs_err::write(
        repo.path().join("src/lib.rs"),
        "pub fn one() -> u32 {\n    3\n}\n",
    )
    .unwrap();
    let before = snapshot(repo.path());
    let e = apply(repo.path(), SOURCE_PATCH, &planned).unwrap_err();
    assert!(matches!(e, PatchError::DoesNotApply { .. }), "{e}");
    assert_eq!(snapshot(repo.path()), before);
}

#[test]
fn applies_in_a_plain_directory_and_in_a_repository_subdirectory() {
    let plain = tempfile::tempdir().unwrap();
    fill(plain.path());
    let planned = plan(plain.path(), SOURCE_PATCH).unwrap();
    apply(plain.path(), SOURCE_PATCH, &planned).unwrap();
    assert!(fs_err::read_to_string(plain.path().join("src/lib.rs"))
        .unwrap()
        .contains("    2\n"));

    let outer = repo();
    let sub = outer.path().join("sub");
    fill(&sub);
    let planned = plan(&sub, SOURCE_PATCH).unwrap();
    apply(&sub, SOURCE_PATCH, &planned).unwrap();
    assert!(fs_err::read_to_string(sub.join("src/lib.rs"))
        .unwrap()
        .contains("    2\n"));
    assert_eq!(
        fs_err::read_to_string(outer.path().join("src/lib.rs")).unwrap(),
        LIB_RS
    );
}

#[test]
fn a_rename_is_planned_with_both_paths() {
    let repo = repo();
    let patch = "diff --git a/src/lib.rs b/src/one.rs\nsimilarity index 100%\nrename from src/lib.rs\nrename to src/one.rs\n";
    let planned = plan(repo.path(), patch).unwrap();
    assert_eq!(
        planned.files,
        vec![file(
            "src/one.rs",
            Change::Rename {
                from: PathBuf::from("src/lib.rs")
            }
        )]
    );
    apply(repo.path(), patch, &planned).unwrap();
    assert!(!repo.path().join("src/lib.rs").exists());
    assert_eq!(
        fs_err::read_to_string(repo.path().join("src/one.rs")).unwrap(),
        LIB_RS
    );
}

/// Lines that diffs are made of, hostile ones included.
fn diff_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("diff --git a/src/lib.rs b/src/lib.rs".to_owned()),
        Just("diff --git a/.git/config b/.git/config".to_owned()),
        Just("--- a/src/lib.rs".to_owned()),
        Just("+++ b/src/lib.rs".to_owned()),
        Just("--- /dev/null".to_owned()),
        Just("+++ b/../x".to_owned()),
        Just("@@ -1,3 +1,3 @@".to_owned()),
        Just("@@ -0,0 +1 @@".to_owned()),
        Just(" pub fn one() -> u32 {".to_owned()),
        Just("-    1".to_owned()),
        Just("+    2".to_owned()),
        Just("new file mode 100644".to_owned()),
        Just("new file mode 120000".to_owned()),
        Just("rename from src/lib.rs".to_owned()),
        Just("rename to \"x\\001\"".to_owned()),
        Just("\\ No newline at end of file".to_owned()),
        "[ -~]{0,40}",
        "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// `plan` on any text: an answer, never a panic, never a write.
    #[test]
    fn plan_never_panics_nor_writes(lines in proptest::collection::vec(diff_line(), 0..14)) {
        let repo = repo();
        let before = snapshot(repo.path());
        let _ = plan(repo.path(), &lines.join("\n"));
        prop_assert_eq!(snapshot(repo.path()), before);
    }
}
