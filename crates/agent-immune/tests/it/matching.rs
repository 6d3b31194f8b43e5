//! OSV range matching.

use agent_immune::matching::{match_affected, match_affected_with_stats, MatchResult};
use agent_immune::osv::record::{Affected, Event, Range, RangeType};
use agent_immune::Ecosystem;
use proptest::prelude::*;

fn ev(kind: &str, v: &str) -> Event {
    let v = Some(v.to_string());
    match kind {
        "introduced" => Event {
            introduced: v,
            ..Event::default()
        },
        "fixed" => Event {
            fixed: v,
            ..Event::default()
        },
        "last_affected" => Event {
            last_affected: v,
            ..Event::default()
        },
        "limit" => Event {
            limit: v,
            ..Event::default()
        },
        other => panic!("bad event kind {other}"),
    }
}

fn range(kind: RangeType, events: &[(&str, &str)]) -> Range {
    Range {
        kind,
        repo: None,
        events: events.iter().map(|(k, v)| ev(k, v)).collect(),
    }
}

fn affected(ranges: Vec<Range>, versions: &[&str]) -> Affected {
    Affected {
        package: None,
        severity: vec![],
        ranges,
        versions: versions.iter().map(|v| v.to_string()).collect(),
        ecosystem_specific: None,
        database_specific: None,
    }
}

fn is_affected(eco: Ecosystem, a: &[Affected], v: &str) -> bool {
    match match_affected(eco, a, v) {
        MatchResult::Affected { .. } => true,
        MatchResult::NotAffected => false,
        MatchResult::Unknown { reason } => panic!("{v}: unknown: {reason}"),
    }
}

#[test]
fn introduced_fixed() {
    let a = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "1.0.0"), ("fixed", "1.2.3")],
        )],
        &[],
    )];
    let eco = Ecosystem::CratesIo;
    assert!(!is_affected(eco, &a, "0.9.9"));
    assert!(is_affected(eco, &a, "1.0.0"));
    assert!(is_affected(eco, &a, "1.2.3-rc.1"));
    assert!(!is_affected(eco, &a, "1.2.3"));
    assert!(!is_affected(eco, &a, "2.0.0"));
    assert_eq!(
        match_affected(eco, &a, "1.1.0"),
        MatchResult::Affected {
            range: Some(">=1.0.0, <1.2.3".into()),
            fixed: vec!["1.2.3".into()],
        }
    );
}

#[test]
fn introduced_zero_means_from_the_start() {
    let a = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "0"), ("fixed", "0.3.1")],
        )],
        &[],
    )];
    assert!(is_affected(Ecosystem::CratesIo, &a, "0.0.0"));
    assert!(is_affected(Ecosystem::CratesIo, &a, "0.0.1-alpha"));
    assert!(!is_affected(Ecosystem::CratesIo, &a, "0.3.1"));
    assert_eq!(
        match_affected(Ecosystem::CratesIo, &a, "0.2.0"),
        MatchResult::Affected {
            range: Some(">=0, <0.3.1".into()),
            fixed: vec!["0.3.1".into()],
        }
    );
    // With no fix, every version is affected.
    let open = [affected(
        vec![range(RangeType::Ecosystem, &[("introduced", "0")])],
        &[],
    )];
    assert!(is_affected(Ecosystem::PyPI, &open, "99.0"));
}

#[test]
fn last_affected_is_inclusive() {
    let a = [affected(
        vec![range(
            RangeType::Ecosystem,
            &[("introduced", "1.0"), ("last_affected", "1.4")],
        )],
        &[],
    )];
    let eco = Ecosystem::PyPI;
    assert!(is_affected(eco, &a, "1.4"));
    assert!(is_affected(eco, &a, "1.4.0"));
    assert!(!is_affected(eco, &a, "1.4.post1"));
    assert!(!is_affected(eco, &a, "1.5"));
    assert!(!is_affected(eco, &a, "0.9"));
}

#[test]
fn limit_caps_the_range() {
    let a = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "0"), ("limit", "2.0.0")],
        )],
        &[],
    )];
    let eco = Ecosystem::Npm;
    assert!(is_affected(eco, &a, "1.9.9"));
    assert!(!is_affected(eco, &a, "2.0.0"));
    let star = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "1.0.0"), ("limit", "*")],
        )],
        &[],
    )];
    assert!(is_affected(eco, &star, "7.0.0"));
}

#[test]
fn multiple_pairs_and_ranges() {
    // Events deliberately out of order: they are sorted before the walk.
    let a = [affected(
        vec![
            range(
                RangeType::Semver,
                &[
                    ("fixed", "2.5.1"),
                    ("introduced", "1.0.0"),
                    ("fixed", "1.3.0"),
                    ("introduced", "2.0.0"),
                ],
            ),
            range(
                RangeType::Ecosystem,
                &[("introduced", "3.0.0"), ("fixed", "3.0.2")],
            ),
        ],
        &[],
    )];
    let eco = Ecosystem::Npm;
    for (v, want) in [
        ("0.1.0", false),
        ("1.0.0", true),
        ("1.2.9", true),
        ("1.3.0", false),
        ("1.9.0", false),
        ("2.0.0", true),
        ("2.5.0", true),
        ("2.5.1", false),
        ("3.0.1", true),
        ("3.0.2", false),
    ] {
        assert_eq!(is_affected(eco, &a, v), want, "{v}");
    }
    assert_eq!(
        match_affected(eco, &a, "2.1.0"),
        MatchResult::Affected {
            range: Some(">=2.0.0, <2.5.1".into()),
            fixed: vec!["2.5.1".into(), "3.0.2".into()],
        }
    );
}

#[test]
fn versions_list() {
    let a = [affected(vec![], &["1.0", "1.1.0", "weird-tag"])];
    let eco = Ecosystem::PyPI;
    // Compared after parsing: 1.0.0 == 1.0.
    assert_eq!(
        match_affected(eco, &a, "1.0.0"),
        MatchResult::Affected {
            range: None,
            fixed: vec![]
        }
    );
    assert!(is_affected(eco, &a, "1.1"));
    assert!(!is_affected(eco, &a, "1.2"));
    // Exact string equality counts even when the version does not parse.
    assert!(matches!(
        match_affected(eco, &a, "weird-tag"),
        MatchResult::Affected { .. }
    ));
}

#[test]
fn git_ranges_are_skipped_and_counted() {
    let git = range(
        RangeType::Git,
        &[("introduced", "0"), ("fixed", "deadbeef")],
    );
    let eco_range = range(
        RangeType::Ecosystem,
        &[("introduced", "0"), ("fixed", "2.0")],
    );
    let a = [affected(vec![git.clone(), eco_range], &[])];
    let (r, stats) = match_affected_with_stats(Ecosystem::PyPI, &a, "1.5");
    assert!(matches!(r, MatchResult::Affected { .. }));
    assert_eq!(stats.git_ranges_skipped, 1);
    let (r, stats) = match_affected_with_stats(Ecosystem::PyPI, &a, "2.0");
    assert_eq!(r, MatchResult::NotAffected);
    assert_eq!(stats.git_ranges_skipped, 1);

    // Only GIT ranges: nothing can be evaluated offline.
    let only_git = [affected(vec![git.clone()], &[])];
    assert!(matches!(
        match_affected(Ecosystem::PyPI, &only_git, "1.0"),
        MatchResult::Unknown { .. }
    ));
    // GIT ranges plus a versions list: the list decides.
    let git_and_list = [affected(vec![git], &["1.0"])];
    assert_eq!(
        match_affected(Ecosystem::PyPI, &git_and_list, "1.1"),
        MatchResult::NotAffected
    );
}

#[test]
fn unparsable_versions_are_unknown() {
    let bad_event = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "0"), ("fixed", "not-a-version")],
        )],
        &[],
    )];
    let (r, stats) = match_affected_with_stats(Ecosystem::CratesIo, &bad_event, "1.0.0");
    assert!(matches!(r, MatchResult::Unknown { .. }), "{r:?}");
    assert_eq!(stats.unparsable_versions, 1);

    let good = [affected(
        vec![range(
            RangeType::Semver,
            &[("introduced", "0"), ("fixed", "1.0.0")],
        )],
        &[],
    )];
    let (r, stats) = match_affected_with_stats(Ecosystem::CratesIo, &good, "garbage");
    assert!(matches!(r, MatchResult::Unknown { .. }), "{r:?}");
    assert_eq!(stats.unparsable_versions, 1);

    // A good range that matches wins over a bad one.
    let mixed = [affected(
        vec![bad_event[0].ranges[0].clone(), good[0].ranges[0].clone()],
        &[],
    )];
    assert!(is_affected(Ecosystem::CratesIo, &mixed, "0.5.0"));
    assert!(matches!(
        match_affected(Ecosystem::CratesIo, &mixed, "1.5.0"),
        MatchResult::Unknown { .. }
    ));
}

#[test]
fn no_ranges_or_versions_is_unknown() {
    assert!(matches!(
        match_affected(Ecosystem::Npm, &[affected(vec![], &[])], "1.0.0"),
        MatchResult::Unknown { .. }
    ));
    assert!(matches!(
        match_affected(Ecosystem::Npm, &[], "1.0.0"),
        MatchResult::Unknown { .. }
    ));
}

fn semver_triple() -> impl Strategy<Value = [String; 3]> {
    let one = (0u64..4, 0u64..4, 0u64..4, proptest::option::of(0u8..4));
    [one.clone(), one.clone(), one].prop_map(|vs| {
        vs.map(|(major, minor, patch, pre)| match pre {
            Some(p) => format!("{major}.{minor}.{patch}-rc.{p}"),
            None => format!("{major}.{minor}.{patch}"),
        })
    })
}

fn pep440_triple() -> impl Strategy<Value = [String; 3]> {
    let one = (
        0u64..3,
        0u64..3,
        proptest::option::of(0u8..3),
        proptest::option::of(0u8..2),
    );
    [one.clone(), one.clone(), one].prop_map(|vs| {
        vs.map(|(major, minor, pre, post)| {
            let mut s = format!("{major}.{minor}");
            if let Some(p) = pre {
                s.push_str(&format!("rc{p}"));
            }
            if let Some(p) = post {
                s.push_str(&format!(".post{p}"));
            }
            s
        })
    })
}

fn check_triple(eco: Ecosystem, t: &[String; 3]) -> Result<(), TestCaseError> {
    use std::cmp::Ordering::Less;
    let cmp = |x: &str, y: &str| agent_immune::version::compare(eco, x, y);
    let mut t = t.clone();
    t.sort_by(|x, y| cmp(x, y).unwrap_or(std::cmp::Ordering::Equal));
    let [a, b, c] = &t;
    prop_assume!(cmp(a, b) == Some(Less) && cmp(b, c) == Some(Less));
    let af = [affected(
        vec![range(
            RangeType::Ecosystem,
            &[("introduced", a), ("fixed", c)],
        )],
        &[],
    )];
    let hit = |v: &str| matches!(match_affected(eco, &af, v), MatchResult::Affected { .. });
    prop_assert!(hit(a), "{} not affected", a);
    prop_assert!(hit(b), "{} not affected", b);
    prop_assert_eq!(match_affected(eco, &af, c), MatchResult::NotAffected);
    Ok(())
}

proptest! {
    #[test]
    fn range_affects_middle_not_fix_semver(t in semver_triple()) {
        check_triple(Ecosystem::CratesIo, &t)?;
        check_triple(Ecosystem::Npm, &t)?;
    }

    #[test]
    fn range_affects_middle_not_fix_pep440(t in pep440_triple()) {
        check_triple(Ecosystem::PyPI, &t)?;
    }
}
