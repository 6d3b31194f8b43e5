//! The converter that made `testdata/osv/{RubyGems,Packagist}` from the
//! rubysec and FriendsOfPHP databases is tested by its own suite
//! (`scripts/test_advisories_to_osv.py`, Python's unittest, fixtures in
//! `testdata/advisory-sources`); this runs it with the crate's tests, and
//! checks that the committed archives hold what the README says.

use std::io::Read as _;

use crate::testdata;

#[test]
fn the_advisory_converter_passes_its_own_tests() {
    let root = testdata("..");
    #[expect(
        clippy::disallowed_methods,
        reason = "a test runs the repository's own Python test suite"
    )]
    let out = std::process::Command::new("python3")
        .arg("scripts/test_advisories_to_osv.py")
        .current_dir(&root)
        .output()
        .expect("python3 runs (Debian packages python3 and python3-yaml)");
    assert!(
        out.status.success(),
        "scripts/test_advisories_to_osv.py failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn converted_archives_hold_one_record_of_their_ecosystem_per_member() {
    for (eco, at_least) in [("RubyGems", 1_000), ("Packagist", 1_000)] {
        let file = fs_err::File::open(testdata(&format!("osv/{eco}/all.zip"))).unwrap();
        let mut zip = zip::ZipArchive::new(file).unwrap();
        assert!(zip.len() >= at_least, "{eco}: {} records", zip.len());
        for i in (0..zip.len()).step_by(97) {
            let mut member = zip.by_index(i).unwrap();
            let name = member.name().unwrap().to_string();
            let mut text = String::new();
            member.read_to_string(&mut text).unwrap();
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(format!("{}.json", v["id"].as_str().unwrap()), name);
            assert!(v["affected"]
                .as_array()
                .unwrap()
                .iter()
                .all(|a| a["package"]["ecosystem"] == eco));
        }
    }
}
