//! The cargo-audit oracle: for every Cargo.lock in testdata/lockfiles, the
//! vulnerabilities and informational warnings we report equal what
//! cargo-audit 0.22.2 reports on the same advisories
//! (`testdata/lockfiles/expected/NAME.cargo-audit.tsv`).

use std::collections::BTreeSet;

use agent_immune::lockfile;
use agent_immune::osv::{self, Database, Source};
use agent_immune::scan::{scan_packages, ScanOptions};
use agent_immune::Ecosystem;

use crate::testdata;

fn expected(name: &str) -> BTreeSet<(String, String, String, String)> {
    let path = testdata(&format!("lockfiles/expected/{name}.cargo-audit.tsv"));
    let text = fs_err::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            assert_eq!(f.len(), 4, "bad oracle line {l:?}");
            (
                f[0].to_string(),
                f[1].to_string(),
                f[2].to_string(),
                f[3].to_string(),
            )
        })
        .collect()
}

#[test]
fn cargo_lock_findings_equal_cargo_audit() {
    let cache = tempfile::tempdir().unwrap();
    let results = osv::update(
        cache.path(),
        &Source::Dir(testdata("osv")),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    );
    for r in &results {
        assert!(r.is_ok(), "import failed: {r:?}");
    }
    let db = Database::open(cache.path()).unwrap();
    let mut mismatches = Vec::new();
    for name in ["ripgrep", "firecracker-v0.24.0", "uv"] {
        let lock = testdata(&format!("lockfiles/{name}.Cargo.lock"));
        let packages = lockfile::parse_file(&lock).unwrap();
        let report =
            scan_packages(&db, vec![lock.clone()], &packages, &ScanOptions::default()).unwrap();
        let mut got = BTreeSet::new();
        for f in &report.findings {
            let kind = f
                .informational
                .clone()
                .unwrap_or_else(|| "vuln".to_string());
            for id in &f.record_ids {
                got.insert((
                    kind.clone(),
                    id.clone(),
                    f.package.clone(),
                    f.version.clone(),
                ));
            }
        }
        let want = expected(name);
        for missing in want.difference(&got) {
            mismatches.push(format!(
                "{name}: cargo-audit reports {missing:?}, we do not"
            ));
        }
        for extra in got.difference(&want) {
            mismatches.push(format!("{name}: we report {extra:?}, cargo-audit does not"));
        }
        eprintln!("{name}: {} findings, oracle {}", got.len(), want.len());
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
}
