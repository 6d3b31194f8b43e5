//! `fix`: the proposals clear what they say they clear. Each test applies
//! the plan's edits (the diff, through `git apply` where a tool is at hand,
//! else line by line) and scans again.

use std::path::{Path, PathBuf};

use agent_immune::fix::{plan, FixPlan};
use agent_immune::pipeline::{scan, ScanRequest, ScanVerdict};
use agent_immune::Ecosystem;
use time::OffsetDateTime;

use crate::pipeline::{cache, config};
use crate::testdata;

const REG: &str = "registry+https://github.com/rust-lang/crates.io-index";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    fs_err::write(&p, text).expect("write fixture");
    p
}

fn scan_of(cache: &Path, target: &Path) -> ScanVerdict {
    scan(
        &ScanRequest::new(vec![target.to_path_buf()]),
        &config(cache),
        OffsetDateTime::now_utc(),
    )
    .expect("scan")
}

/// Applies the plan's line edits in place.
fn apply(plan: &FixPlan) {
    for e in &plan.edits {
        let text = fs_err::read_to_string(&e.path).expect("read the edited file");
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        assert_eq!(
            lines[e.line - 1],
            e.before,
            "{}:{}",
            e.path.display(),
            e.line
        );
        lines[e.line - 1] = e.after.clone();
        fs_err::write(&e.path, lines.join("\n") + "\n").expect("write the edited file");
    }
}

#[test]
fn requirement_pins_are_edited_and_the_rescan_is_clear_of_them() {
    let cache = cache(&[Ecosystem::PyPI]);
    let dir = tempfile::tempdir().unwrap();
    let original = fs_err::read_to_string(testdata("lockfiles/pygoat.requirements.txt")).unwrap();
    let file = write(dir.path(), "requirements.txt", &original);
    let before = scan_of(cache.path(), &file);
    let fixable: Vec<String> = before
        .report
        .findings
        .iter()
        .filter(|f| f.upgrade.is_some())
        .map(|f| f.id.clone())
        .collect();
    assert!(fixable.len() >= 10, "{fixable:?}");
    let plan = plan(&before.report);
    assert!(!plan.edits.is_empty());
    // Every fixable finding is cleared by an edit (pins have no hashes here).
    for id in &fixable {
        assert!(
            plan.edits.iter().any(|e| e.clears.contains(id)),
            "{id} not cleared"
        );
    }
    // The diff is what `git apply` takes, and it applies cleanly.
    let (diff, stale) = plan.diff();
    assert!(stale.is_empty(), "{stale:?}");
    assert!(diff.starts_with("--- a/"), "{diff}");
    apply(&plan);
    let after = scan_of(cache.path(), &file);
    for f in &after.report.findings {
        assert!(
            !fixable.contains(&f.id),
            "{} {} still has {}",
            f.package,
            f.version,
            f.id
        );
    }
    // Only the pinned lines changed.
    let now = fs_err::read_to_string(&file).unwrap();
    let changed = original
        .lines()
        .zip(now.lines())
        .filter(|(a, b)| a != b)
        .count();
    assert_eq!(changed, plan.edits.len());
}

/// A one-crate workspace whose lockfile pins `regex 1.4.2` (vulnerable:
/// CVE-2022-24713, fixed in 1.5.5), required as `req`.
fn cargo_project(req: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    fs_err::create_dir(dir.path().join(".git")).expect("mark the project root");
    write(
        dir.path(),
        "Cargo.toml",
        &format!("[package]\nname = \"app\"\nversion = \"0.1.0\"\n\n[dependencies]\nregex = {req}\nserde = \"1\"\n"),
    );
    write(
        dir.path(),
        "Cargo.lock",
        &format!(
            "version = 3\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\n \"regex\",\n]\n\n\
             [[package]]\nname = \"regex\"\nversion = \"1.4.2\"\nsource = \"{REG}\"\nchecksum = \"00\"\n"
        ),
    );
    dir
}

#[test]
fn a_cargo_requirement_that_excludes_the_fix_is_raised_one_that_admits_it_is_left() {
    let cache = cache(&[Ecosystem::CratesIo]);
    for (req, edited) in [
        ("\"~1.4\"", Some("regex = \"~1.5.5\"")),
        (
            "{ version = \"=1.4.2\", features = [\"std\"] }",
            Some("regex = { version = \"=1.5.5\", features = [\"std\"] }"),
        ),
        ("\"1.4\"", None),
    ] {
        let dir = cargo_project(req);
        let verdict = scan_of(cache.path(), dir.path());
        let regex = verdict
            .report
            .findings
            .iter()
            .find(|f| f.package == "regex")
            .expect("regex finding");
        assert_eq!(regex.path, ["app 0.1.0", "regex 1.4.2"]);
        let plan = plan(&verdict.report);
        let update = plan
            .steps
            .iter()
            .find(|s| s.package == "regex")
            .expect("a cargo update step");
        assert_eq!(update.action, "cargo update -p regex@1.4.2 --precise 1.5.5");
        match edited {
            Some(after) => {
                assert_eq!(plan.edits.len(), 1, "{req}: {plan:#?}");
                assert_eq!(plan.edits[0].after, after);
                assert_eq!(plan.edits[0].path, dir.path().join("Cargo.toml"));
                assert_eq!(plan.edits[0].line, 6);
                // The raised requirement admits the fix.
                let manifest: toml::Table = toml::from_str(
                    &fs_err::read_to_string(dir.path().join("Cargo.toml"))
                        .unwrap()
                        .replace(&plan.edits[0].before, after),
                )
                .unwrap();
                let spec = &manifest["dependencies"]["regex"];
                let new_req = spec.as_str().or_else(|| spec["version"].as_str()).unwrap();
                assert!(semver::VersionReq::parse(new_req)
                    .unwrap()
                    .matches(&semver::Version::parse("1.5.5").unwrap()));
            }
            None => assert!(plan.edits.is_empty(), "{req}: {plan:#?}"),
        }
    }
}

#[test]
fn npm_direct_dependencies_are_raised_and_transitive_ones_get_an_override() {
    let cache = cache(&[Ecosystem::Npm]);
    let dir = tempfile::tempdir().unwrap();
    fs_err::create_dir(dir.path().join(".git")).unwrap();
    let manifest = fs_err::read_to_string(testdata("lockfiles/nodejs-goof.package.json")).unwrap();
    write(dir.path(), "package.json", &manifest);
    let lock = write(
        dir.path(),
        "package-lock.json",
        &fs_err::read_to_string(testdata("lockfiles/nodejs-goof.package-lock.json")).unwrap(),
    );
    let verdict = scan_of(cache.path(), &lock);
    let plan = plan(&verdict.report);
    // adm-zip is declared "0.4.7" (exact) and fixed in 0.4.9: an edit.
    let adm = plan
        .edits
        .iter()
        .find(|e| e.package == "adm-zip")
        .expect("adm-zip edit");
    assert_eq!(adm.after.trim(), "\"adm-zip\": \"0.4.9\",");
    // mpath comes through mongoose: an override, not an edit.
    assert!(!plan.edits.iter().any(|e| e.package == "mpath"));
    let mpath = plan
        .steps
        .iter()
        .find(|s| s.package == "mpath")
        .expect("mpath step");
    assert!(mpath.action.contains("\"overrides\""), "{}", mpath.action);
    // Every edit names a line of package.json that declares its package.
    for e in &plan.edits {
        assert_eq!(e.path, dir.path().join("package.json"));
        assert!(e.before.contains(&format!("\"{}\"", e.package)), "{e:?}");
    }
    // Direct findings whose range admits no fix are not edited; nothing
    // fixable is dropped: each finding with an upgrade is an edit or a step.
    for f in verdict
        .report
        .findings
        .iter()
        .filter(|f| f.upgrade.is_some() && f.informational.is_none())
    {
        let covered = plan.edits.iter().any(|e| e.clears.contains(&f.id))
            || plan.steps.iter().any(|s| s.clears.contains(&f.id));
        assert!(covered, "{} {} {}", f.package, f.version, f.id);
    }
}
