//! Go, RubyGems, Packagist and SBOM inputs against an outside oracle: for
//! each real file in testdata/lockfiles, the (record, package, version)
//! matches listed in `expected/NAME.findings.tsv`, made by a standalone
//! check over the same records in testdata/osv (see testdata/lockfiles/README.md).
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use agent_immune::lockfile;
use agent_immune::osv::{self, Database, Source};
use agent_immune::reachability::{GoImports, Reachability};
use agent_immune::scan::{scan_packages, ScanOptions, ScanReport};
use agent_immune::Ecosystem;

use crate::testdata;

/// (record id, package, version) → the oracle's reason.
type Oracle = BTreeMap<(String, String, String), String>;

fn oracle(file: &str) -> Oracle {
    let path = testdata(&format!("lockfiles/expected/{file}.findings.tsv"));
    let text = fs_err::read_to_string(&path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad oracle line {l:?}");
            (
                (f[0].to_string(), f[1].to_string(), f[2].to_string()),
                f[3].to_string(),
            )
        })
        .collect()
}

fn database(ecosystems: &[Ecosystem]) -> (tempfile::TempDir, Database) {
    let cache = tempfile::tempdir().unwrap();
    for r in osv::update(
        cache.path(),
        &Source::Dir(testdata("osv")),
        ecosystems,
        &mut |_| {},
    ) {
        assert!(r.is_ok(), "import failed: {r:?}");
    }
    let db = Database::open(cache.path()).unwrap();
    (cache, db)
}

fn scan(db: &Database, file: &Path, opts: &ScanOptions) -> ScanReport {
    let packages = lockfile::parse_file(file).unwrap();
    scan_packages(db, vec![file.to_path_buf()], &packages, opts).unwrap()
}

/// Every (record, package, version) a report finds, undecided ones apart.
fn matches(report: &ScanReport) -> BTreeSet<(String, String, String)> {
    report
        .findings
        .iter()
        .filter(|f| f.undecided.is_none())
        .flat_map(|f| {
            f.record_ids
                .iter()
                .map(|id| (id.clone(), f.package.clone(), f.version.clone()))
        })
        .collect()
}

fn assert_same(name: &str, got: &BTreeSet<(String, String, String)>, want: &Oracle) {
    let want: BTreeSet<_> = want.keys().cloned().collect();
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(&want).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{name}: the oracle lists but we miss {missing:#?}\nwe report but the oracle does not {extra:#?}"
    );
}

#[test]
fn go_mod_findings_and_reachability_equal_the_oracle() {
    let (_cache, db) = database(&[Ecosystem::Go]);
    let file = testdata("lockfiles/fzf-0.22.0.go.mod");
    // fzf's own imports, from the sidecar list (the source is not copied here).
    let imports = fs_err::read_to_string(testdata("lockfiles/fzf-0.22.0.go-imports.txt")).unwrap();
    let mut opts = ScanOptions::default();
    opts.go_imports.insert(
        file.clone(),
        GoImports {
            paths: imports.lines().map(str::to_string).collect(),
            complete: false,
            files: 1,
        },
    );
    let report = scan(&db, &file, &opts);
    let want = oracle("fzf-0.22.0.go.mod");
    assert_same("fzf go.mod", &matches(&report), &want);
    assert!(report.undecided.is_empty(), "{:#?}", report.undecided);
    // `go 1.13`: requirements are lower bounds, and no stdlib is guessed.
    assert!(report
        .findings
        .iter()
        .all(|f| f.approximate && f.package != "stdlib"));
    for f in &report.findings {
        for id in &f.record_ids {
            let reason = &want[&(id.clone(), f.package.clone(), f.version.clone())];
            let expected = if reason.contains("; reachable: ") {
                Reachability::Imported
            } else {
                assert!(reason.contains("not reachable"), "{reason}");
                Reachability::NotImportedByProject
            };
            assert_eq!(f.reachable, Some(expected), "{id}: {reason}");
        }
    }
    // The text report says it under each finding, never hiding one.
    let text = agent_immune::report::text(&report);
    let reachable = text.matches("\n  reachable: the project imports").count();
    let not = text
        .matches("\n  not reachable from the project's own code")
        .count();
    assert_eq!(reachable + not, report.findings.len(), "{text}");
    assert!(reachable >= 1 && not >= 1, "{reachable} {not}");
}

#[test]
fn go_sum_reports_the_highest_hashed_version_of_each_module() {
    let (_cache, db) = database(&[Ecosystem::Go]);
    let file = testdata("lockfiles/fzf-0.22.0.go.sum");
    let report = scan(&db, &file, &ScanOptions::default());
    let want = oracle("fzf-0.22.0.go.sum");
    // The oracle counts every hashed version; the build uses the highest.
    let text = fs_err::read_to_string(&file).unwrap();
    let mut highest: BTreeMap<&str, &str> = BTreeMap::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() != 3 || f[1].ends_with("/go.mod") {
            continue;
        }
        let e = highest.entry(f[0]).or_insert(f[1]);
        if agent_immune::version::compare(Ecosystem::Go, f[1], e)
            == Some(std::cmp::Ordering::Greater)
        {
            *e = f[1];
        }
    }
    // 18 hashed versions over 13 modules (the README says 15; the file has 13).
    assert_eq!(highest.len(), 13);
    let kept: Oracle = want
        .into_iter()
        .filter(|((_, p, v), _)| highest.get(p.as_str()) == Some(&v.as_str()))
        .collect();
    assert!(kept.len() < 88 && !kept.is_empty(), "{}", kept.len());
    assert_same("fzf go.sum", &matches(&report), &kept);
}

#[test]
fn gemfile_lock_findings_equal_the_oracle() {
    let (_cache, db) = database(&[Ecosystem::RubyGems]);
    let file = testdata("lockfiles/railsgoat.Gemfile.lock");
    let packages = lockfile::parse_file(&file).unwrap();
    assert_eq!(packages.len(), 140, "the README's count of gem specs");
    let report = scan(&db, &file, &ScanOptions::default());
    assert_same(
        "railsgoat",
        &matches(&report),
        &oracle("railsgoat.Gemfile.lock"),
    );
}

#[test]
fn composer_lock_findings_equal_the_oracle() {
    let (_cache, db) = database(&[Ecosystem::Packagist]);
    let file = testdata("lockfiles/php-goof.composer.lock");
    let report = scan(&db, &file, &ScanOptions::default());
    assert!(report.undecided.is_empty(), "{:#?}", report.undecided);
    assert_same(
        "php-goof",
        &matches(&report),
        &oracle("php-goof.composer.lock"),
    );
}

#[test]
fn cyclonedx_findings_equal_the_oracle() {
    let (_cache, db) = database(&[Ecosystem::Packagist]);
    let file = testdata("lockfiles/laravel-7.12.0.cdx.json");
    let text = fs_err::read_to_string(&file).unwrap();
    let sbom = lockfile::parse_sbom(lockfile::Kind::CycloneDx, &text, &file).unwrap();
    assert_eq!(sbom.packages.len(), 62, "every component but the root");
    assert!(sbom
        .packages
        .iter()
        .all(|p| p.ecosystem == Ecosystem::Packagist && p.line.is_some()));
    let report = scan(&db, &file, &ScanOptions::default());
    assert_same(
        "laravel",
        &matches(&report),
        &oracle("laravel-7.12.0.cdx.json"),
    );
}

#[test]
fn spdx_findings_equal_the_oracle() {
    let (_cache, db) = database(&[Ecosystem::Go]);
    let file = testdata("lockfiles/terraform-provider-aci.spdx.json");
    let text = fs_err::read_to_string(&file).unwrap();
    let sbom = lockfile::parse_sbom(lockfile::Kind::Spdx, &text, &file).unwrap();
    assert_eq!(
        sbom.packages.len(),
        61,
        "62 golang purls, the main module's without a version"
    );
    assert_eq!(sbom.skipped.without_version, 1);
    let report = scan(&db, &file, &ScanOptions::default());
    assert_same(
        "terraform-provider-aci",
        &matches(&report),
        &oracle("terraform-provider-aci.spdx.json"),
    );
}

#[test]
fn what_an_sbom_scan_leaves_out_is_said() {
    let text = r#"{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
        {"name": "a", "purl": "pkg:npm/lodash@4.17.20"},
        {"name": "b", "purl": "pkg:maven/org.apache/commons@1.0"},
        {"name": "c", "purl": "pkg:maven/org.apache/io@2.0"},
        {"name": "d", "purl": "pkg:npm/left-pad"},
        {"name": "e"}
    ]}"#;
    let parsed = agent_immune::lockfile::parse_noted(
        agent_immune::lockfile::Kind::CycloneDx,
        text,
        Path::new("app.cdx.json"),
    )
    .unwrap();
    assert_eq!(parsed.packages.len(), 1);
    assert_eq!(parsed.notes.len(), 1, "{:#?}", parsed.notes);
    let m = &parsed.notes[0].message;
    assert!(m.contains("1 without a package URL"), "{m}");
    assert!(m.contains("1 whose package URL has no version"), "{m}");
    assert!(m.contains("2 pkg:maven"), "{m}");
}
