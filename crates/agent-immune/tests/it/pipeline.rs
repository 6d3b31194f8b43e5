//! The scan pipeline on real data: project ignore files, the staleness
//! warning, holds (blocking findings, a manifest a patch breaks), errors
//! that say whether the database or the input is at fault, and verdicts
//! that round-trip through JSON.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

use autonomic_core::Hint as _;
use std::path::{Path, PathBuf};

use agent_immune::osv::{self, Source, UPDATE_HINT};
use agent_immune::pipeline::{
    scan, scan_patch, FailOn, Hold, PatchInput, PatchRequest, ScanError, ScanRequest, ScanWarning,
    PROJECT_IGNORE_FILE,
};
use agent_immune::scan::{Finding, ScanReport};
use agent_immune::Ecosystem;
use autonomic_core::config::ImmuneConfig;
use autonomic_core::{Decision, Severity};
use serde::de::DeserializeOwned;
use serde::Serialize;
use time::{Duration, OffsetDateTime};

use crate::testdata;

/// An OSV cache holding `ecosystems` from the shared archives.
pub(crate) fn cache(ecosystems: &[Ecosystem]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Dir(testdata("osv"));
    for r in osv::update(dir.path(), &source, ecosystems, &mut |_| {}) {
        assert!(r.is_ok(), "import failed: {r:?}");
    }
    dir
}

pub(crate) fn config(cache: &Path) -> ImmuneConfig {
    ImmuneConfig {
        osv_cache_dir: cache.to_path_buf(),
        ..ImmuneConfig::default()
    }
}

/// `from_str(to_string(x)) == x`.
fn assert_round_trips<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(x: &T) {
    let text = serde_json::to_string(x).unwrap();
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(&back, x, "{text}");
}

fn finding<'a>(report: &'a ScanReport, package: &str) -> &'a Finding {
    report
        .findings
        .iter()
        .find(|f| f.package == package && f.informational.is_none())
        .unwrap_or_else(|| panic!("no finding on {package}"))
}

#[test]
fn a_project_scan_reads_its_ignore_file_warns_when_stale_and_round_trips() {
    let cache = cache(&[Ecosystem::CratesIo]);
    let project = tempfile::tempdir().unwrap();
    let lock = project.path().join("Cargo.lock");
    fs_err::copy(testdata("lockfiles/firecracker-v0.24.0.Cargo.lock"), &lock).unwrap();
    let ignore_file = project.path().join(PROJECT_IGNORE_FILE);
    fs_err::write(
        &ignore_file,
        "[[ignore]]\nid = \"CVE-2022-24713\"\nreason = \"no untrusted patterns\"\n\n\
         [[ignore]]\nid = \"RUSTSEC-2022-0006\"\nreason = \"old\"\nexpires = \"2020-01-01\"\n",
    )
    .unwrap();
    // The index was built just now: a month later it is past the 7 days.
    let now = OffsetDateTime::now_utc() + Duration::days(30);
    let verdict = scan(
        &ScanRequest::new(vec![project.path().to_path_buf()]),
        &config(cache.path()),
        now,
    )
    .unwrap();

    assert_eq!(
        verdict.warnings[0],
        ScanWarning::StaleDatabase {
            age_days: 30,
            limit_days: 7
        }
    );
    // The lockfile alone, without the project's manifests: its own crates
    // were assumed, and the warning says so.
    assert!(
        matches!(&verdict.warnings[1..], [ScanWarning::Lockfile(n)] if n.message.contains("21 entries without a `source`")),
        "{:#?}",
        verdict.warnings
    );
    assert!(
        verdict.warnings[0]
            .to_string()
            .contains("30 days old (limit 7"),
        "{}",
        verdict.warnings[0]
    );
    let report = &verdict.report;
    assert_eq!(report.files, [lock]);
    let regex = finding(report, "regex");
    assert_eq!(
        regex.ignored.as_ref().and_then(|e| e.file.as_deref()),
        Some(ignore_file.as_path()),
        "the project file hides regex's finding"
    );
    assert!(!regex.blocking);
    let expired = finding(report, "thread_local");
    assert!(expired.ignore_expired.is_some() && expired.blocking);
    assert_eq!(verdict.decision(), Decision::Deny);
    assert!(verdict.holds.contains(&Hold::Finding {
        package: "crossbeam-deque".into(),
        version: "0.8.0".into(),
        id: "CVE-2021-32810".into(),
    }));
    assert_eq!(verdict.holds.len(), report.blocking().count());

    // What the JSON report shows of a finding keeps its spelling.
    let json = serde_json::to_value(finding(report, "crossbeam-deque")).unwrap();
    assert_eq!(json["score_source"], "cvss_v3", "{json}");

    assert_round_trips(&verdict);
    assert_round_trips(report);
    for f in &report.findings {
        assert_round_trips(f);
    }
}

#[test]
fn the_threshold_asked_for_wins_over_the_config() {
    let cache = cache(&[Ecosystem::CratesIo]);
    let lock = testdata("lockfiles/firecracker-v0.24.0.Cargo.lock");
    let now = OffsetDateTime::now_utc();
    let mut request = ScanRequest::new(vec![lock]);
    request.fail_on = Some(FailOn::Never);
    let verdict = scan(&request, &config(cache.path()), now).unwrap();
    assert!(!verdict.is_hold());
    assert!(verdict
        .warnings
        .iter()
        .all(|w| matches!(w, ScanWarning::Lockfile(_))));
    assert_eq!(verdict.report.fail_on, None);
    request.fail_on = Some(FailOn::At(Severity::Critical));
    let verdict = scan(&request, &config(cache.path()), now).unwrap();
    let held: Vec<String> = verdict.holds.iter().map(ToString::to_string).collect();
    assert_eq!(held, ["crossbeam-deque 0.8.0 CVE-2021-32810"]);
    request.fail_on = None;
    let mut from_config = config(cache.path());
    from_config.fail_on = autonomic_core::config::FailOn::None;
    assert!(!scan(&request, &from_config, now).unwrap().is_hold());
}

/// A project before a patch: a requirements file and an npm lockfile.
fn before_tree() -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    fs_err::write(
        root.path().join("requirements.txt"),
        "requests==2.31.0\nflask==2.0.0\n",
    )
    .unwrap();
    fs_err::write(
        root.path().join("package-lock.json"),
        "{\"lockfileVersion\": 3, \"packages\": {}}\n",
    )
    .unwrap();
    root
}

fn patch_request(root: &Path, diff: &str) -> (tempfile::TempDir, PatchRequest) {
    let dir = tempfile::tempdir().unwrap();
    let file: PathBuf = dir.path().join("change.diff");
    fs_err::write(&file, diff).unwrap();
    let request = PatchRequest {
        input: PatchInput::Diff {
            file,
            root: root.to_path_buf(),
        },
        fail_on: None,
        db: None,
    };
    (dir, request)
}

const VULNERABLE_FLASK: &str = "--- a/requirements.txt\n+++ b/requirements.txt\n@@ -1,2 +1,2 @@\n requests==2.31.0\n-flask==2.0.0\n+flask==0.12\n";
const BROKEN_LOCK: &str = "--- a/package-lock.json\n+++ b/package-lock.json\n@@ -1 +1 @@\n-{\"lockfileVersion\": 3, \"packages\": {}}\n+{\"lockfileVersion\": 3, \"packages\": {\n";

#[test]
fn a_manifest_the_patch_leaves_unparsable_is_a_hold() {
    let cache = cache(&[Ecosystem::PyPI]);
    let config = config(cache.path());
    let now = OffsetDateTime::now_utc();
    let root = before_tree();

    // Only the broken lockfile: nothing to look up, and still a hold.
    let (_d, request) = patch_request(root.path(), BROKEN_LOCK);
    let broken = scan_patch(&request, &config, now).unwrap();
    assert_eq!(broken.verdict.report.decision, Decision::Allow);
    assert_eq!(broken.verdict.decision(), Decision::Deny);
    let [Hold::UnparsableManifest { error }] = broken.verdict.holds.as_slice() else {
        panic!("{:?}", broken.verdict.holds);
    };
    assert!(error.starts_with("package-lock.json:"), "{error}");
    assert_eq!(broken.delta.broken, std::slice::from_ref(error));
    assert_round_trips(&broken);

    // A vulnerable version too: the broken file holds first, then the findings.
    let (_d, request) = patch_request(root.path(), &format!("{VULNERABLE_FLASK}{BROKEN_LOCK}"));
    let both = scan_patch(&request, &config, now).unwrap();
    assert!(matches!(
        both.verdict.holds.first(),
        Some(Hold::UnparsableManifest { .. })
    ));
    assert!(both
        .verdict
        .holds
        .iter()
        .any(|h| matches!(h, Hold::Finding { package, version, .. } if package == "flask" && version == "0.12")));
    assert_eq!(both.delta.introduced.len(), 1);
    assert_round_trips(&both);

    // The unchanged tree passes.
    let request = PatchRequest {
        input: PatchInput::Trees {
            before: root.path().to_path_buf(),
            after: root.path().to_path_buf(),
        },
        fail_on: None,
        db: None,
    };
    let clean = scan_patch(&request, &config, now).unwrap();
    assert!(!clean.verdict.is_hold(), "{:?}", clean.verdict.holds);
    assert!(clean.delta.files.is_empty());
}

#[test]
fn errors_say_whether_the_database_or_the_input_is_at_fault() {
    let empty = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let config = config(&empty.path().join("no-cache"));
    let e = scan(
        &ScanRequest::new(vec![empty.path().to_path_buf()]),
        &config,
        now,
    )
    .unwrap_err();
    assert!(matches!(e, ScanError::NothingToScan { .. }), "{e}");
    assert_eq!(
        e.to_string(),
        format!(
            "no supported lockfile or manifest found under {}",
            empty.path().display()
        )
    );
    assert!(!e.is_database() && e.hint().is_some());

    let lock = testdata("lockfiles/ripgrep.Cargo.lock");
    let e = scan(&ScanRequest::new(vec![lock]), &config, now).unwrap_err();
    assert!(e.is_database(), "{e}");
    assert_eq!(e.hint().as_deref(), Some(UPDATE_HINT));

    let (_d, request) = patch_request(empty.path(), "--- a/requirements.txt\n@@ -1 +1 @@\n");
    let e = scan_patch(&request, &config, now).unwrap_err();
    assert!(matches!(e, ScanError::Diff(_)) && !e.is_database(), "{e}");
}

/// A version the matcher cannot read (a NUL byte, leading zeros, four
/// components, 100,000 digits) once made the package *undecided*, and
/// undecided never gated: a CRITICAL crate with an unreadable version
/// passed. It is now a finding that gates as affected ("may be affected"),
/// shown escaped and cut, unless `[immune] block_undecided = false`.
#[test]
fn an_unreadable_version_of_a_package_with_advisories_is_held() {
    let cache = cache(&[Ecosystem::CratesIo]);
    let now = OffsetDateTime::now_utc();
    let long = "1".repeat(100_000);
    for version in ["0.8.0\\u0000", "00.8.0", "0.8.0.1", long.as_str()] {
        let dir = tempfile::tempdir().unwrap();
        let lock = dir.path().join("Cargo.lock");
        fs_err::write(
            &lock,
            format!(
                "version = 3\n\n[[package]]\nname = \"crossbeam-deque\"\nversion = \"{version}\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
            ),
        )
        .unwrap();
        let request = ScanRequest::new(vec![lock.clone()]);
        let verdict = scan(&request, &config(cache.path()), now).unwrap();
        assert!(verdict.is_hold(), "{version:.20}: {:?}", verdict.report);
        let f = finding(&verdict.report, "crossbeam-deque");
        assert!(f.undecided.is_some() && f.blocking, "{version:.20}: {f:?}");
        let text = agent_immune::report::text(&verdict.report);
        assert!(text.contains("may be affected"), "{text:.300}");
        assert!(
            text.len() < 2_000,
            "the version is cut: {} bytes",
            text.len()
        );
        assert!(!text.contains('\0'), "a NUL reached the report");
        assert_round_trips(&verdict.report);

        let mut lenient = config(cache.path());
        lenient.block_undecided = false;
        let verdict = scan(&request, &lenient, now).unwrap();
        assert!(!verdict.is_hold(), "{version:.20}");
        let f = finding(&verdict.report, "crossbeam-deque");
        assert!(f.undecided.is_some() && !f.blocking);
    }
}

/// Loose OSV records in a fresh cache, for one ecosystem.
fn loose_cache(eco: Ecosystem, records: &[serde_json::Value]) -> tempfile::TempDir {
    let src = tempfile::tempdir().unwrap();
    for (i, r) in records.iter().enumerate() {
        fs_err::write(src.path().join(format!("r{i}.json")), r.to_string()).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let source = Source::Dir(src.path().to_path_buf());
    for r in osv::update(dir.path(), &source, &[eco], &mut |_| {}) {
        assert!(r.is_ok(), "import failed: {r:?}");
    }
    dir
}

fn go_record(id: &str, module: &str, fixed: &str, imports: &[&str]) -> serde_json::Value {
    let imports: Vec<serde_json::Value> = imports
        .iter()
        .map(|p| serde_json::json!({"path": p, "symbols": ["F"]}))
        .collect();
    serde_json::json!({
        "id": id,
        "summary": "s",
        "database_specific": {"severity": "HIGH"},
        "affected": [{
            "package": {"ecosystem": "Go", "name": module},
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}],
            "ecosystem_specific": {"imports": imports}
        }]
    })
}

#[test]
fn go_findings_say_whether_the_project_imports_the_vulnerable_package() {
    use agent_immune::reachability::Reachability;
    let cache = loose_cache(
        Ecosystem::Go,
        &[
            go_record(
                "GO-T-1",
                "golang.org/x/net",
                "0.18.0",
                &["golang.org/x/net/http2"],
            ),
            go_record(
                "GO-T-2",
                "golang.org/x/net",
                "0.19.0",
                &["golang.org/x/net/html"],
            ),
            go_record("GO-T-3", "github.com/a/b", "1.1.0", &[]),
            go_record("GO-T-4", "stdlib", "1.22.5", &["net/http"]),
        ],
    );
    let project = tempfile::tempdir().unwrap();
    fs_err::write(
        project.path().join("go.mod"),
        "module example.com/svc\n\ngo 1.22\ntoolchain go1.22.0\n\nrequire (\n\tgolang.org/x/net v0.17.0\n\tgithub.com/a/b v1.0.0\n)\n",
    )
    .unwrap();
    let request = ScanRequest::new(vec![project.path().to_path_buf()]);
    let now = OffsetDateTime::now_utc();

    // Only a go.mod: the code is not there, reachability is unknown.
    let verdict = scan(&request, &config(cache.path()), now).unwrap();
    assert_eq!(
        verdict.report.findings.len(),
        4,
        "{:#?}",
        verdict.report.findings
    );
    assert!(verdict
        .report
        .findings
        .iter()
        .all(|f| f.reachable.is_none()));

    fs_err::write(
        project.path().join("main.go"),
        "package main\n\nimport (\n\t\"fmt\"\n\t\"golang.org/x/net/html\"\n)\n\nfunc main() { fmt.Println(html.EscapeString(\"\")) }\n",
    )
    .unwrap();
    let verdict = scan(&request, &config(cache.path()), now).unwrap();
    let report = &verdict.report;
    let by_id = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.record_ids.contains(&id.to_string()))
            .unwrap_or_else(|| panic!("no {id} in {:#?}", report.findings))
    };
    assert_eq!(
        by_id("GO-T-1").reachable,
        Some(Reachability::NotImportedByProject)
    );
    assert_eq!(by_id("GO-T-2").reachable, Some(Reachability::Imported));
    assert_eq!(
        by_id("GO-T-3").reachable,
        None,
        "the record names no packages"
    );
    assert_eq!(
        by_id("GO-T-4").reachable,
        Some(Reachability::NotImportedByProject)
    );
    assert!(
        by_id("GO-T-4").approximate,
        "stdlib from the toolchain directive"
    );
    // A label only: every finding still blocks.
    assert!(report.findings.iter().all(|f| f.blocking));
    let json = serde_json::to_string(&verdict.report).unwrap();
    assert!(
        json.contains("\"reachable\":\"not_imported_by_project\""),
        "{json}"
    );
    assert!(json.contains("\"reachable\":\"imported\""), "{json}");
    assert_round_trips(&verdict.report);
}

#[test]
fn go_real_archive_keeps_import_paths() {
    let cache = cache(&[Ecosystem::Go]);
    let db = osv::Database::open(cache.path()).unwrap();
    let vulns = db.lookup(Ecosystem::Go, "golang.org/x/net").unwrap();
    assert!(!vulns.is_empty());
    assert!(
        vulns
            .iter()
            .any(|v| v.imports.iter().any(|p| p.starts_with("golang.org/x/net/"))),
        "Go records list the vulnerable packages"
    );
    let std = db.lookup(Ecosystem::Go, "stdlib").unwrap();
    assert!(std
        .iter()
        .any(|v| v.imports.iter().any(|p| p == "net/http")));
}

/// `(from, to)` edges of a Cargo.lock, read independently of the scanner
/// (the `toml` crate on the whole file), as `name version` labels.
fn cargo_edges(text: &str) -> (Vec<String>, std::collections::HashSet<(String, String)>) {
    let doc: toml::Table = toml::from_str(text).unwrap();
    let packages = doc["package"].as_array().unwrap();
    let label = |p: &toml::Value| {
        format!(
            "{} {}",
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap()
        )
    };
    let mut roots = Vec::new();
    let mut edges = std::collections::HashSet::new();
    for p in packages {
        if p.get("source").is_none() {
            roots.push(label(p));
        }
        for d in p
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
        {
            let d = d.as_str().unwrap();
            let mut parts = d.split(' ');
            let name = parts.next().unwrap();
            let version = parts.next();
            let to = packages
                .iter()
                .find(|q| {
                    q["name"].as_str() == Some(name)
                        && version.is_none_or(|v| q["version"].as_str() == Some(v))
                })
                .map(label)
                .unwrap();
            edges.insert((label(p), to));
        }
    }
    (roots, edges)
}

#[test]
fn every_finding_in_a_lockfile_with_a_graph_shows_a_real_path_from_the_project() {
    let cache = cache(&[Ecosystem::CratesIo, Ecosystem::Npm]);
    let now = OffsetDateTime::now_utc();
    // Cargo.lock: each step is a dependency the lockfile lists, from one of
    // the workspace's own crates to the finding's package.
    let lock = testdata("lockfiles/firecracker-v0.24.0.Cargo.lock");
    let verdict = scan(
        &ScanRequest::new(vec![lock.clone()]),
        &config(cache.path()),
        now,
    )
    .unwrap();
    let (roots, edges) = cargo_edges(&fs_err::read_to_string(&lock).unwrap());
    assert!(verdict.report.findings.len() >= 5);
    for f in &verdict.report.findings {
        let p = &f.path;
        assert!(p.len() >= 2, "{} {}: {p:?}", f.package, f.version);
        assert!(roots.contains(&p[0]), "{p:?}");
        assert_eq!(p.last().unwrap(), &format!("{} {}", f.package, f.version));
        for w in p.windows(2) {
            assert!(
                edges.contains(&(w[0].clone(), w[1].clone())),
                "{w:?} is not an edge"
            );
        }
    }
    // A direct dependency's path is two steps.
    let regex = verdict
        .report
        .findings
        .iter()
        .find(|f| f.package == "regex")
        .unwrap();
    assert_eq!(regex.path.len(), 2, "{:?}", regex.path);

    // package-lock.json: each step is resolvable as Node resolves it.
    let lock = testdata("lockfiles/nodejs-goof.package-lock.json");
    let verdict = scan(
        &ScanRequest::new(vec![lock.clone()]),
        &config(cache.path()),
        now,
    )
    .unwrap();
    let doc: serde_json::Value =
        serde_json::from_str(&fs_err::read_to_string(&lock).unwrap()).unwrap();
    let packages = doc["packages"].as_object().unwrap();
    assert!(verdict.report.findings.len() >= 10);
    for f in &verdict.report.findings {
        let p = &f.path;
        assert!(p.len() >= 2, "{} {}: {p:?}", f.package, f.version);
        assert_eq!(p.last().unwrap(), &format!("{} {}", f.package, f.version));
        // Every step after the project names a package the lock installs
        // at that version, and each is declared by the step before.
        for w in p.windows(2) {
            let (dep, version) = w[1].rsplit_once(' ').unwrap();
            assert!(
                packages
                    .iter()
                    .any(|(k, v)| k.ends_with(&format!("node_modules/{dep}"))
                        && v["version"] == version),
                "{w:?}"
            );
            let (parent, parent_version) = w[0].rsplit_once(' ').unwrap();
            let declared = packages.iter().any(|(k, v)| {
                let name_matches = if k.is_empty() {
                    true
                } else {
                    k.ends_with(&format!("node_modules/{parent}"))
                };
                name_matches
                    && (k.is_empty() || v["version"] == parent_version)
                    && [
                        "dependencies",
                        "devDependencies",
                        "optionalDependencies",
                        "peerDependencies",
                    ]
                    .iter()
                    .any(|field| v[field].get(dep).is_some())
            });
            assert!(declared, "{w:?}: {parent} does not declare {dep}");
        }
    }
}

#[test]
fn gemfile_lock_findings_show_a_path_through_its_specs() {
    let cache = cache(&[Ecosystem::RubyGems]);
    let lock = testdata("lockfiles/railsgoat.Gemfile.lock");
    let verdict = scan(
        &ScanRequest::new(vec![lock.clone()]),
        &config(cache.path()),
        OffsetDateTime::now_utc(),
    )
    .unwrap();
    let text = fs_err::read_to_string(&lock).unwrap();
    // Independent reading: the lines under each spec, and DEPENDENCIES.
    let under = |spec: &str| -> Vec<String> {
        text.lines()
            .skip_while(|l| *l != format!("    {spec}"))
            .skip(1)
            .take_while(|l| l.starts_with("      "))
            .map(|l| l.trim().split(' ').next().unwrap().to_string())
            .collect()
    };
    let direct: Vec<String> = text
        .lines()
        .skip_while(|l| *l != "DEPENDENCIES")
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().split([' ', '!']).next().unwrap().to_string())
        .collect();
    assert!(verdict.report.findings.len() >= 100);
    for f in &verdict.report.findings {
        let p = &f.path;
        assert_eq!(p[0], "(project)", "{p:?}");
        assert_eq!(p.last().unwrap(), &format!("{} {}", f.package, f.version));
        let first = p[1].split(' ').next().unwrap();
        assert!(direct.iter().any(|d| d == first), "{p:?}");
        for w in p[1..].windows(2) {
            let (name, version) = w[0].split_once(' ').unwrap();
            let child = w[1].split(' ').next().unwrap();
            assert!(
                under(&format!("{name} ({version})"))
                    .iter()
                    .any(|d| d == child),
                "{w:?} is not a dependency line"
            );
        }
    }
}
