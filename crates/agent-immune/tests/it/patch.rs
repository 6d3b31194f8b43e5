//! Patch scanning: only what a patch adds or changes is reported, and a
//! manifest the patch breaks is a blocking problem, not a crash.

use agent_immune::patch::{changes_between, changes_from_diff, delta};

#[test]
fn a_diff_reports_only_introduced_packages() {
    let root = tempfile::tempdir().unwrap();
    fs_err::write(
        root.path().join("requirements.txt"),
        "requests==2.31.0\nflask==2.0.0\n",
    )
    .unwrap();
    let diff = "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,2 +1,2 @@\n requests==2.31.0\n-flask==2.0.0\n+flask==2.3.3\n+django==3.2.0\n";
    let changes = changes_from_diff(diff, "p.diff", root.path()).unwrap();
    assert_eq!(changes.len(), 1);
    let d = delta(&changes);
    let got: Vec<(String, String)> = d
        .introduced
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("flask".to_string(), "2.3.3".to_string()),
            ("django".to_string(), "3.2.0".to_string())
        ]
    );
    assert!(d.broken.is_empty());
}

#[test]
fn a_new_file_and_non_manifests() {
    let root = tempfile::tempdir().unwrap();
    let diff = "--- /dev/null\n+++ b/requirements.txt\n@@ -0,0 +1 @@\n+urllib3==1.26.0\n--- /dev/null\n+++ b/README.md\n@@ -0,0 +1 @@\n+hello\n";
    let d = delta(&changes_from_diff(diff, "p.diff", root.path()).unwrap());
    assert_eq!(d.files.len(), 1, "README.md is not a manifest");
    assert_eq!(d.introduced.len(), 1);
}

#[test]
fn a_broken_manifest_is_reported_not_a_crash() {
    let root = tempfile::tempdir().unwrap();
    fs_err::write(
        root.path().join("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {}}\n",
    )
    .unwrap();
    let diff = "--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{\"lockfileVersion\": 3, \"packages\": {}}\n+{\"lockfileVersion\": 3, \"packages\": {\n";
    let d = delta(&changes_from_diff(diff, "p.diff", root.path()).unwrap());
    assert_eq!(d.broken.len(), 1, "{d:?}");
    assert!(d.broken[0].contains("package-lock.json"), "{}", d.broken[0]);
}

#[test]
fn malformed_diffs_name_the_line() {
    let root = tempfile::tempdir().unwrap();
    fs_err::write(root.path().join("requirements.txt"), "a==1\n").unwrap();
    let e = changes_from_diff(
        "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1 +1 @@\n-b==1\n+c==1\n",
        "p.diff",
        root.path(),
    )
    .unwrap_err();
    assert_eq!(e.line, 4, "{e}");
    let e = changes_from_diff(
        "--- a/requirements.txt\nnot a diff\n",
        "p.diff",
        root.path(),
    )
    .unwrap_err();
    assert_eq!(e.line, 2, "{e}");
}

#[test]
fn before_and_after_trees() {
    let before = tempfile::tempdir().unwrap();
    let after = tempfile::tempdir().unwrap();
    fs_err::write(before.path().join("requirements.txt"), "jinja2==3.1.2\n").unwrap();
    fs_err::write(
        after.path().join("requirements.txt"),
        "jinja2==3.1.2\nPyYAML==5.3\n",
    )
    .unwrap();
    let d = delta(&changes_between(before.path(), after.path()).unwrap());
    assert_eq!(d.introduced.len(), 1);
    assert_eq!(d.introduced[0].name, "PyYAML");
}
