//! Version parsing and ordering per ecosystem.

use std::cmp::Ordering;

use agent_immune::version::{compare, parse_version};
use agent_immune::Ecosystem;

fn assert_strictly_increasing(eco: Ecosystem, versions: &[&str]) {
    for pair in versions.windows(2) {
        assert_eq!(
            compare(eco, pair[0], pair[1]),
            Some(Ordering::Less),
            "{eco}: {} < {}",
            pair[0],
            pair[1]
        );
        assert_eq!(compare(eco, pair[1], pair[0]), Some(Ordering::Greater));
    }
}

#[test]
fn semver_prerelease_ordering() {
    let chain = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "2.0.0",
    ];
    assert_strictly_increasing(Ecosystem::CratesIo, &chain);
    assert_strictly_increasing(Ecosystem::Npm, &chain);
    let go: Vec<String> = chain.iter().map(|v| format!("v{v}")).collect();
    let go: Vec<&str> = go.iter().map(String::as_str).collect();
    assert_strictly_increasing(Ecosystem::Go, &go);
}

#[test]
fn npm_prefixes_and_build_metadata() {
    let eco = Ecosystem::Npm;
    assert_eq!(compare(eco, "v1.2.3", "1.2.3"), Some(Ordering::Equal));
    assert_eq!(compare(eco, "=1.2.3", "1.2.3"), Some(Ordering::Equal));
    assert_eq!(compare(eco, " = v1.2.3 ", "1.2.3"), Some(Ordering::Equal));
    assert_eq!(
        compare(eco, "1.2.3+build.7", "1.2.3+other"),
        Some(Ordering::Equal)
    );
    assert_eq!(compare(eco, "1.2.3-rc.1+b", "1.2.3"), Some(Ordering::Less));
    assert!(parse_version(eco, "1.2").is_err());
    assert!(parse_version(eco, "latest").is_err());
}

#[test]
fn crates_io_is_strict_semver() {
    let eco = Ecosystem::CratesIo;
    assert!(parse_version(eco, "1.2.3").is_ok());
    assert!(parse_version(eco, "v1.2.3").is_err());
    assert!(parse_version(eco, "1.2").is_err());
    assert!(parse_version(eco, "").is_err());
    assert_eq!(compare(eco, "0.9.0", "0.10.0"), Some(Ordering::Less));
    assert_eq!(compare(eco, "1.0.0", "nope"), None);
}

#[test]
fn go_versions() {
    let eco = Ecosystem::Go;
    assert_eq!(
        compare(eco, "v2.3.0+incompatible", "2.3.0"),
        Some(Ordering::Equal)
    );
    assert_eq!(compare(eco, "v1.2.3", "v1.2.4"), Some(Ordering::Less));
    // Pseudo-versions are prereleases of the next patch.
    assert_eq!(
        compare(eco, "v0.0.0-20200101000000-abcdefabcdef", "v0.0.1"),
        Some(Ordering::Less)
    );
}

#[test]
fn pep440_ordering() {
    assert_strictly_increasing(
        Ecosystem::PyPI,
        &[
            "1.0.dev0",
            "1.0a1",
            "1.0a2.dev1",
            "1.0a2",
            "1.0b2",
            "1.0rc1",
            "1.0",
            "1.0+local",
            "1.0.post1",
            "1.1",
            "1!0.5",
        ],
    );
}

#[test]
fn pep440_normalisation() {
    let eco = Ecosystem::PyPI;
    for (a, b) in [
        ("1.0.0RC1", "1.0.0rc1"),
        ("1.0.0-rc.1", "1.0.0rc1"),
        ("1.0.0c1", "1.0.0rc1"),
        ("1.0", "1.0.0"),
        ("v1.0", "1.0"),
        ("1.0-1", "1.0.post1"),
        ("1.0alpha1", "1.0a1"),
        ("0!1.0", "1.0"),
    ] {
        assert_eq!(compare(eco, a, b), Some(Ordering::Equal), "{a} == {b}");
    }
    assert_eq!(compare(eco, "1.0+local", "1.0"), Some(Ordering::Greater));
    assert!(parse_version(eco, "not a version").is_err());
}
