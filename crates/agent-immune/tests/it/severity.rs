//! CVSS v3/v4 scoring and the score preference.

use std::io::Read;

use agent_immune::osv::record::{OsvRecord, OsvSeverity};
use agent_immune::severity::{cvss3_base_score, cvss4_base_score, score, CvssError, ScoreSource};
use autonomic_core::Severity;

use crate::testdata;

#[test]
fn cvss3_nvd_scores() {
    for (vector, expected) in [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1),
        ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:N/A:N", 5.5),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0),
        // Temporal/environmental metrics are validated but do not change the base score.
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C",
            9.8,
        ),
    ] {
        assert_eq!(cvss3_base_score(vector), Ok(expected), "{vector}");
    }
}

#[test]
fn cvss3_matches_reference_implementation() {
    for (vector, expected) in CVSS3_REFERENCE {
        assert_eq!(cvss3_base_score(vector), Ok(*expected), "{vector}");
    }
}

#[test]
fn cvss3_malformed_vectors_name_the_metric() {
    let cases: [(&str, CvssError); 7] = [
        (
            "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssError::Prefix {
                expected: "CVSS:3.0/ or CVSS:3.1/",
            },
        ),
        (
            "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssError::Value {
                metric: "AV".into(),
                value: "X".into(),
            },
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",
            CvssError::Missing { metric: "A".into() },
        ),
        (
            "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
            CvssError::Duplicate {
                metric: "AV".into(),
            },
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:1",
            CvssError::UnknownMetric {
                metric: "ZZ".into(),
            },
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",
            CvssError::Field { field: "".into() },
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:Q",
            CvssError::Value {
                metric: "E".into(),
                value: "Q".into(),
            },
        ),
    ];
    for (vector, expected) in cases {
        assert_eq!(cvss3_base_score(vector), Err(expected), "{vector}");
    }
    let msg = cvss3_base_score("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:Z/A:H")
        .unwrap_err()
        .to_string();
    assert!(msg.contains("`I`"), "{msg}");
}

#[test]
fn cvss4_first_calculator_scores() {
    for (vector, expected) in [
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            9.3,
        ),
        (
            "CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            8.5,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N",
            6.9,
        ),
        (
            "CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:N/SI:N/SA:N",
            1.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            0.0,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:H/SI:H/SA:H",
            10.0,
        ),
    ] {
        assert_eq!(cvss4_base_score(vector), Ok(expected), "{vector}");
    }
}

#[test]
fn cvss4_matches_reference_implementation() {
    for (vector, expected) in CVSS4_REFERENCE {
        assert_eq!(cvss4_base_score(vector), Ok(*expected), "{vector}");
    }
}

#[test]
fn cvss4_malformed_vectors() {
    let full = "AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N";
    assert_eq!(
        cvss4_base_score(&format!("CVSS:3.1/{full}")),
        Err(CvssError::Prefix {
            expected: "CVSS:4.0/"
        })
    );
    assert_eq!(
        cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"),
        Err(CvssError::Missing {
            metric: "SA".into()
        })
    );
    assert_eq!(
        cvss4_base_score(&format!("CVSS:4.0/{full}/SC:S")),
        Err(CvssError::Duplicate {
            metric: "SC".into()
        })
    );
    assert_eq!(
        cvss4_base_score("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:S/SI:N/SA:N"),
        Err(CvssError::Value {
            metric: "SC".into(),
            value: "S".into()
        })
    );
    assert_eq!(
        cvss4_base_score(&format!("CVSS:4.0/{full}/XX:Y")),
        Err(CvssError::UnknownMetric {
            metric: "XX".into()
        })
    );
}

fn sev(kind: &str, score: &str) -> OsvSeverity {
    OsvSeverity {
        kind: kind.into(),
        score: score.into(),
    }
}

#[test]
fn preference_v4_then_v3_then_label() {
    let v3 = sev("CVSS_V3", "CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N");
    let v4 = sev(
        "CVSS_V4",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
    );
    let bad_v4 = sev("CVSS_V4", "CVSS:4.0/AV:N");
    let v2 = sev("CVSS_V2", "AV:N/AC:L/Au:N/C:P/I:P/A:P");

    let s = score(&[v3.clone(), v4.clone()], Some("LOW"));
    assert_eq!(s.source, ScoreSource::CvssV4);
    assert_eq!((s.severity, s.score), (Severity::Critical, Some(9.3)));
    assert_eq!(s.vector.as_deref(), Some(v4.score.as_str()));

    let s = score(&[bad_v4.clone(), v3.clone()], None);
    assert_eq!(s.source, ScoreSource::CvssV3);
    assert_eq!((s.severity, s.score), (Severity::Medium, Some(6.1)));

    let s = score(&[bad_v4, v2.clone()], Some("MODERATE"));
    assert_eq!(s.source, ScoreSource::Label);
    assert_eq!(
        (s.severity, s.score, s.vector),
        (Severity::Medium, None, None)
    );

    let s = score(&[v2], Some("whatever"));
    assert_eq!(
        (s.severity, s.source),
        (Severity::Unknown, ScoreSource::None)
    );
    let s = score(&[], None);
    assert_eq!(
        (s.severity, s.source),
        (Severity::Unknown, ScoreSource::None)
    );
}

/// Every CVSS vector in the real OSV archives scores without panicking.
#[test]
fn real_osv_vectors_score_without_panicking() {
    let root = testdata("osv");
    let (mut total, mut errors) = (0_usize, 0_usize);
    for eco in ["crates.io", "npm", "PyPI", "Go"] {
        let path = root.join(eco).join("all.zip");
        let file = fs_err::File::open(&path).unwrap();
        let mut archive = zip::ZipArchive::new(file).unwrap();
        for i in 0..archive.len() {
            let mut entry = archive.by_index(i).unwrap();
            let mut text = String::new();
            entry.read_to_string(&mut text).unwrap();
            let Ok(record) = serde_json::from_str::<OsvRecord>(&text) else {
                continue;
            };
            let entries = record
                .severity
                .iter()
                .chain(record.affected.iter().flat_map(|a| a.severity.iter()));
            for s in entries {
                let result = match s.kind.as_str() {
                    "CVSS_V3" => cvss3_base_score(&s.score),
                    "CVSS_V4" => cvss4_base_score(&s.score),
                    _ => continue,
                };
                total += 1;
                match result {
                    Ok(n) => assert!((0.0..=10.0).contains(&n), "{}: {n}", s.score),
                    Err(e) => {
                        errors += 1;
                        eprintln!("{} ({}): {e}", record.id, s.score);
                    }
                }
                let _ = score(std::slice::from_ref(s), None);
            }
        }
    }
    println!("scored {total} CVSS vectors from real OSV records, {errors} invalid");
    assert!(total > 0);
}

/// Random vectors scored by the `cvss` Python package 3.6 (`cvss4.py`, a port of
/// FIRST's cvss-v4-calculator), seed 7.
const CVSS4_REFERENCE: &[(&str, f64)] = &[
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:N/VC:H/VI:N/VA:H/SC:L/SI:N/SA:H", 6.9),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:P/VC:H/VI:H/VA:H/SC:N/SI:L/SA:H/CR:H/MAV:P/MPR:N/MUI:N/MSI:N", 8.3),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:N/VI:H/VA:L/SC:N/SI:N/SA:L", 6.8),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:H/VI:H/VA:N/SC:H/SI:H/SA:N/E:U/AR:X/MAV:L/MAC:L/MAT:N/MVC:L/MVI:L", 1.0),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:A/VC:N/VI:L/VA:N/SC:N/SI:N/SA:L", 1.8),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:L/VI:H/VA:N/SC:H/SI:L/SA:H/E:P/CR:H/MAC:L/MVI:N/MSA:X", 2.3),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:N/VC:H/VI:L/VA:N/SC:H/SI:L/SA:L", 8.3),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:N/VI:N/VA:L/SC:H/SI:N/SA:N/MSC:H/MSA:N", 4.3),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:N/VC:N/VI:H/VA:L/SC:N/SI:H/SA:H", 8.4),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:P/VC:L/VI:N/VA:L/SC:L/SI:H/SA:H/MAV:X/MVI:L/MVA:X/MSI:X", 2.3),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:L/SI:N/SA:H", 4.5),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:H/UI:N/VC:H/VI:N/VA:L/SC:L/SI:N/SA:H/AR:M/MVC:H/MVA:N", 6.9),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:N/VC:L/VI:N/VA:H/SC:L/SI:H/SA:L", 5.8),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:N/VI:H/VA:N/SC:H/SI:H/SA:H/E:U/IR:L/MAT:X/MVC:H/MSI:H/MSA:N", 3.1),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:P/VC:H/VI:H/VA:N/SC:L/SI:L/SA:N", 5.3),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:A/VC:H/VI:L/VA:H/SC:N/SI:H/SA:H/E:U/IR:X/AR:L/MAC:H/MAT:X/MPR:X", 1.6),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:A/VC:L/VI:N/VA:H/SC:N/SI:N/SA:L", 4.3),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:N/VC:L/VI:L/VA:L/SC:H/SI:N/SA:H/CR:M/MAV:A/MAC:X/MPR:X/MSC:N", 4.6),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:N/VC:N/VI:L/VA:H/SC:L/SI:N/SA:L", 4.3),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:A/VC:N/VI:L/VA:N/SC:H/SI:H/SA:H/CR:M/IR:H/AR:H/MSC:L/MSI:S", 4.8),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:L/VI:H/VA:N/SC:H/SI:H/SA:L", 7.2),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:H/SI:H/SA:N/AR:H/MAV:A/MPR:H/MVC:L/MSC:X", 2.1),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:N/VC:N/VI:N/VA:L/SC:N/SI:L/SA:N", 2.1),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:P/VC:H/VI:N/VA:N/SC:N/SI:H/SA:L/AR:M/MAC:H/MVC:H/MVA:H/MSC:N/MSI:H", 5.7),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:N/VC:L/VI:H/VA:H/SC:L/SI:L/SA:H", 8.3),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:A/VC:H/VI:H/VA:L/SC:H/SI:H/SA:L/IR:H/AR:H/MUI:A/MVC:H/MVI:N/MSI:N", 5.7),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:L/SC:H/SI:L/SA:L", 9.3),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:H/VI:L/VA:H/SC:N/SI:N/SA:N/E:X/MAC:X/MAT:P", 6.0),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:N/VI:N/VA:L/SC:N/SI:N/SA:H", 4.3),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:P/VC:N/VI:H/VA:N/SC:H/SI:N/SA:L/E:P/AR:H/MAV:X/MAT:N/MPR:H/MSC:X/MSI:N/MSA:H", 5.6),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:P/VC:H/VI:L/VA:L/SC:L/SI:H/SA:H", 6.0),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:P/VC:N/VI:H/VA:L/SC:L/SI:L/SA:L/E:P/CR:M/AR:H/MAT:N/MPR:H/MSC:X/MSI:X", 4.7),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:P/VC:N/VI:L/VA:H/SC:L/SI:L/SA:H", 6.9),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:N/SC:H/SI:N/SA:L/AR:L/MAV:A/MAC:H/MPR:N/MUI:A/MVC:H/MVI:N/MSI:L", 6.9),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:P/VC:N/VI:H/VA:L/SC:H/SI:L/SA:L", 8.4),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:N/VI:N/VA:H/SC:L/SI:L/SA:L/MUI:N/MSC:X/MSI:L", 5.9),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:P/VC:N/VI:L/VA:L/SC:H/SI:H/SA:H", 2.4),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:A/VC:N/VI:L/VA:H/SC:N/SI:H/SA:H/CR:X/AR:H/MUI:P/MSC:X/MSI:H", 6.9),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:A/VC:H/VI:N/VA:H/SC:H/SI:L/SA:N", 5.8),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:N/VI:N/VA:L/SC:H/SI:L/SA:H/IR:X/MPR:L/MVI:H/MVA:H/MSC:H/MSI:H/MSA:N", 7.0),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:P/VC:N/VI:H/VA:N/SC:H/SI:L/SA:H", 7.0),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:N/VC:N/VI:H/VA:H/SC:L/SI:L/SA:N/MAV:N/MUI:A/MSC:X/MSI:H", 8.3),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:P/VC:L/VI:H/VA:H/SC:N/SI:L/SA:H", 7.1),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:P/VC:N/VI:L/VA:H/SC:N/SI:L/SA:H/IR:X/MAC:X/MUI:P/MVC:X/MVI:L/MSC:X/MSI:S/MSA:L", 7.0),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:L/UI:N/VC:L/VI:H/VA:H/SC:N/SI:L/SA:N", 4.6),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:L/VI:N/VA:H/SC:N/SI:H/SA:L/CR:X/MAC:L/MUI:X/MVC:N/MSI:L", 4.1),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:L/SI:N/SA:L", 1.0),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:N/VC:H/VI:H/VA:L/SC:N/SI:H/SA:L/E:P/AR:X/MAT:N/MUI:A/MVI:L/MVA:X/MSC:H", 5.6),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:L", 5.7),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:L/SC:H/SI:N/SA:N/CR:X/MAT:X/MVC:X/MSC:X", 8.6),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:P/VC:L/VI:H/VA:L/SC:N/SI:N/SA:L", 4.4),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:A/VC:H/VI:L/VA:N/SC:L/SI:H/SA:H/CR:X/MAT:X/MPR:N/MVI:L/MSC:L/MSI:N/MSA:X", 5.7),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:H/VI:H/VA:L/SC:L/SI:H/SA:N", 8.8),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:N/VC:N/VI:L/VA:N/SC:H/SI:L/SA:H/CR:H/AR:H/MAT:P/MVI:N/MSA:L", 2.1),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:N/SC:L/SI:H/SA:H", 2.3),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:P/VC:N/VI:L/VA:H/SC:L/SI:L/SA:H/E:P/IR:L/MAC:X/MAT:P/MPR:X/MUI:A/MVA:X", 5.6),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:N/VI:N/VA:H/SC:H/SI:L/SA:N", 7.0),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:P/VC:L/VI:H/VA:L/SC:N/SI:L/SA:H/IR:M/AR:H/MAT:N/MUI:P/MVC:X", 5.4),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:P/VC:L/VI:L/VA:L/SC:N/SI:H/SA:L", 4.5),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:N/VC:N/VI:N/VA:H/SC:L/SI:N/SA:L/E:P/AR:M/MUI:N/MVI:X/MVA:L/MSC:L", 1.2),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:A/VC:L/VI:H/VA:H/SC:H/SI:H/SA:N", 7.0),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:A/VC:H/VI:N/VA:L/SC:L/SI:L/SA:H/E:P/MAT:X/MPR:X/MVC:X/MVA:H/MSC:H", 5.6),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:P/VC:N/VI:H/VA:N/SC:L/SI:N/SA:N", 4.1),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:P/VC:H/VI:N/VA:N/SC:L/SI:H/SA:H/CR:X/IR:M/MAV:P/MVC:H/MVI:X/MVA:H/MSI:S", 7.2),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:H/VI:L/VA:N/SC:N/SI:N/SA:N", 4.3),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:P/VC:N/VI:H/VA:N/SC:L/SI:H/SA:L/CR:H/IR:X/AR:H/MAV:N/MAT:X/MVA:L/MSC:X", 7.2),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:H/SA:N", 8.3),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:N/VI:H/VA:L/SC:L/SI:L/SA:L/E:P/CR:M/IR:M/MPR:X/MVC:X/MVI:X/MSC:X/MSA:L", 2.6),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:L/VA:H/SC:L/SI:N/SA:H", 9.0),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:N/VC:L/VI:H/VA:N/SC:H/SI:L/SA:H/E:X/MAV:A/MVC:X/MVA:N", 7.1),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:N/VI:N/VA:N/SC:H/SI:L/SA:N", 2.0),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:H/SC:L/SI:L/SA:N/IR:L/MAT:P/MSI:S/MSA:S", 7.1),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:H/VI:L/VA:H/SC:H/SI:L/SA:N", 8.2),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:N/VC:N/VI:H/VA:L/SC:H/SI:L/SA:L/E:U/AR:M/MAC:H/MPR:N/MSI:N", 3.7),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:L/VI:N/VA:N/SC:H/SI:L/SA:H", 2.3),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:P/VC:L/VI:H/VA:N/SC:L/SI:N/SA:N/AR:X/MPR:N/MUI:N/MVI:N", 1.0),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:P/VC:H/VI:N/VA:H/SC:L/SI:N/SA:H", 5.8),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:L/VI:H/VA:H/SC:H/SI:L/SA:L/AR:M/MPR:H/MVC:X/MSA:S", 7.3),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:A/VC:N/VI:H/VA:L/SC:L/SI:H/SA:L", 5.8),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:N/VC:L/VI:H/VA:N/SC:L/SI:L/SA:H/CR:L/MUI:P/MVI:L/MSC:X/MSI:X", 2.1),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:L/VI:L/VA:H/SC:H/SI:L/SA:N", 8.3),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:P/VC:N/VI:H/VA:N/SC:H/SI:N/SA:L/CR:X/IR:H/MVC:H/MSC:L", 7.4),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:L/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:N", 4.4),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:H/UI:A/VC:L/VI:H/VA:N/SC:L/SI:L/SA:H/E:U/IR:M/AR:H/MAV:A/MUI:A/MVA:L", 1.8),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:P/VC:H/VI:N/VA:N/SC:H/SI:H/SA:L", 5.9),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:L/SI:N/SA:N/E:U/MAT:P/MVC:H/MSC:X", 2.0),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:P/VC:H/VI:L/VA:H/SC:L/SI:N/SA:N", 5.9),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:N/VI:N/VA:L/SC:L/SI:H/SA:H/MAV:L/MAT:N/MPR:N/MVI:X/MSI:X/MSA:X", 5.0),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:H/VI:H/VA:L/SC:N/SI:N/SA:N", 5.3),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:L/SC:N/SI:L/SA:H/CR:X/MAT:P/MPR:H/MVC:N/MVA:X", 2.0),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:L/UI:P/VC:N/VI:L/VA:L/SC:L/SI:H/SA:N", 2.0),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:P/VC:N/VI:L/VA:H/SC:L/SI:L/SA:N/IR:L/AR:X/MAV:A/MVC:H/MSI:N", 5.2),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:A/VC:L/VI:L/VA:H/SC:N/SI:H/SA:L", 5.8),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:N/VC:L/VI:N/VA:H/SC:L/SI:L/SA:N/E:P/IR:M/MPR:N/MUI:P/MSI:X", 5.4),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:A/VC:L/VI:H/VA:H/SC:L/SI:N/SA:H", 5.8),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:H/VI:N/VA:L/SC:N/SI:N/SA:H/E:P/MAT:X/MPR:N/MVC:X", 5.6),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:N/VC:L/VI:L/VA:N/SC:H/SI:N/SA:H", 5.1),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:N/UI:P/VC:H/VI:N/VA:H/SC:H/SI:H/SA:L/CR:X/AR:L/MAV:N/MAC:X/MUI:A/MVI:L", 7.2),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:N/VC:L/VI:N/VA:H/SC:H/SI:H/SA:H", 7.1),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:L/VI:H/VA:N/SC:H/SI:L/SA:L/E:A/AR:H/MAC:L/MPR:N/MUI:A/MVC:X/MVI:L/MVA:H/MSC:X/MSI:L/MSA:N", 8.3),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:N/VC:L/VI:H/VA:L/SC:L/SI:L/SA:H", 7.2),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:P/VC:H/VI:H/VA:N/SC:L/SI:H/SA:N/E:P/MAC:L/MUI:N/MVC:H/MVA:H/MSC:X", 7.3),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:H/SA:N", 1.8),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:L/SC:N/SI:H/SA:N/CR:L/IR:L/MAT:X/MVC:L", 5.9),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:N/VC:L/VI:N/VA:L/SC:N/SI:H/SA:L", 4.8),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:N/VC:N/VI:N/VA:H/SC:H/SI:H/SA:H/E:A/CR:M/IR:X/AR:H/MAV:P/MPR:H/MUI:X/MVI:X/MSA:X", 5.9),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:L/SA:H", 4.2),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:N/VI:H/VA:L/SC:H/SI:L/SA:L/MAT:N/MUI:N/MVA:N/MSI:X", 7.0),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:A/VC:N/VI:H/VA:H/SC:H/SI:L/SA:L", 7.1),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:A/VC:N/VI:L/VA:N/SC:N/SI:L/SA:N/AR:X/MAT:N/MPR:N/MUI:P/MVC:H", 5.2),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:H", 4.1),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:A/VC:L/VI:N/VA:L/SC:L/SI:L/SA:H/E:A/CR:L/MAC:X/MAT:N/MUI:N/MVC:X/MVI:X/MSC:X", 4.4),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:A/VC:H/VI:L/VA:L/SC:N/SI:L/SA:H", 6.9),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:A/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/E:X/CR:X/MSI:L", 1.0),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:P/VC:L/VI:L/VA:L/SC:H/SI:N/SA:L", 2.0),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:H/VI:L/VA:L/SC:N/SI:H/SA:L/E:U/AR:M", 3.6),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:H/UI:N/VC:N/VI:H/VA:H/SC:L/SI:L/SA:N", 5.7),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:N/SI:L/SA:N/IR:M/MAV:A/MAT:N/MSC:L/MSA:S", 6.1),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:A/VC:N/VI:H/VA:L/SC:N/SI:N/SA:N", 5.2),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:H/SI:L/SA:L/AR:L/MVC:H/MVA:H/MSA:X", 7.1),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:P/VC:H/VI:N/VA:H/SC:N/SI:N/SA:L", 4.4),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:H/VI:L/VA:N/SC:H/SI:N/SA:H/E:U/IR:H/MUI:X/MVC:H/MVI:N/MVA:L", 4.0),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:P/VC:L/VI:N/VA:L/SC:H/SI:H/SA:H", 2.4),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:H/VI:L/VA:L/SC:N/SI:L/SA:H/E:U/CR:X/MUI:A/MVC:X/MVI:H/MVA:H/MSC:L", 3.7),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:P/VC:L/VI:H/VA:N/SC:L/SI:L/SA:N", 4.3),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:N/VC:H/VI:L/VA:N/SC:H/SI:N/SA:L/MAT:X/MUI:P/MVA:H/MSC:N", 4.6),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:N/VC:H/VI:N/VA:L/SC:N/SI:L/SA:H", 6.9),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:H/VI:N/VA:L/SC:L/SI:L/SA:L/MAT:N/MSI:L", 6.0),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H", 7.0),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:L/VI:H/VA:L/SC:N/SI:H/SA:N/E:A/IR:L/MAV:L/MUI:P", 5.2),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:H/VI:L/VA:N/SC:N/SI:L/SA:N", 5.8),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:P/VC:L/VI:L/VA:N/SC:N/SI:N/SA:N/AR:H/MPR:N/MUI:P/MVC:H/MSI:X/MSA:H", 7.0),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:P/VC:H/VI:H/VA:N/SC:N/SI:L/SA:N", 6.8),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:A/VC:N/VI:L/VA:H/SC:N/SI:L/SA:N/E:A/IR:X/MAC:H/MAT:N/MVC:L/MVI:N/MVA:X/MSI:X", 4.3),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:P/VC:L/VI:N/VA:L/SC:L/SI:H/SA:N", 4.2),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:P/VC:H/VI:N/VA:N/SC:L/SI:N/SA:N/E:U/MAV:A/MVI:H/MVA:X/MSC:N/MSA:S", 6.8),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:H/UI:A/VC:L/VI:L/VA:H/SC:N/SI:L/SA:L", 4.4),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:P/VC:L/VI:H/VA:H/SC:H/SI:H/SA:N/MAV:N/MPR:L/MVI:H/MVA:N", 7.1),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:A/VC:L/VI:H/VA:H/SC:N/SI:N/SA:L", 4.6),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:N/VC:N/VI:N/VA:L/SC:L/SI:H/SA:L/E:A/IR:M/AR:M/MVA:N", 4.8),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:L/VA:L/SC:N/SI:N/SA:H", 4.0),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:N/VI:N/VA:L/SC:N/SI:H/SA:H/MPR:N/MVC:X/MVI:L/MSC:L/MSA:L", 5.1),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:L/UI:A/VC:H/VI:L/VA:H/SC:N/SI:N/SA:N", 5.3),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:N/VI:H/VA:H/SC:N/SI:L/SA:H/E:X/IR:X/AR:H/MAC:X/MSI:H", 7.1),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:P/VC:N/VI:N/VA:N/SC:L/SI:N/SA:L", 2.3),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:L/VI:N/VA:H/SC:H/SI:N/SA:H/E:A/IR:L/AR:X/MAC:L/MAT:P/MSC:L/MSA:H", 6.9),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:N/VC:H/VI:H/VA:N/SC:N/SI:N/SA:N", 7.6),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:P/VC:L/VI:H/VA:N/SC:N/SI:H/SA:L/E:A/CR:H/AR:H/MAT:N/MVC:N/MVI:X/MVA:X/MSA:L", 5.7),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:A/VC:N/VI:N/VA:N/SC:H/SI:N/SA:H", 2.1),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:H/VA:L/SC:L/SI:H/SA:H/CR:M/MUI:P", 7.0),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:N/VI:L/VA:L/SC:L/SI:L/SA:N", 5.1),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:N/VI:L/VA:L/SC:N/SI:N/SA:N/IR:H/MAV:N/MAC:L/MVA:N/MSC:H/MSI:H", 6.4),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:N/VC:H/VI:H/VA:L/SC:L/SI:H/SA:N", 8.5),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:H/VI:H/VA:N/SC:H/SI:H/SA:H/IR:H/AR:M/MUI:P/MVI:N/MSI:X", 8.4),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:A/VC:L/VI:L/VA:L/SC:H/SI:H/SA:L", 5.0),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:H/SC:H/SI:H/SA:H/E:X/AR:H/MAT:P/MVI:L", 6.0),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:N/VC:N/VI:L/VA:H/SC:N/SI:L/SA:H", 6.9),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:H/CR:M/MSC:L", 8.5),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:N/UI:A/VC:N/VI:H/VA:H/SC:N/SI:L/SA:N", 5.8),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:N/SI:H/SA:H/E:P/IR:M/AR:L/MAC:L/MAT:P/MSC:L/MSI:H/MSA:S", 2.2),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:A/VC:H/VI:H/VA:N/SC:L/SI:H/SA:L", 8.6),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:A/VC:H/VI:H/VA:H/SC:H/SI:H/SA:L/E:P/CR:H/MUI:X/MVI:X/MVA:H", 5.8),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:N/VC:L/VI:H/VA:N/SC:L/SI:H/SA:H", 9.1),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:L/VI:H/VA:L/SC:H/SI:H/SA:N/E:A/CR:M/IR:X/AR:X/MPR:X", 6.9),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:P/VC:L/VI:H/VA:L/SC:L/SI:L/SA:H", 5.9),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:N/VI:L/VA:H/SC:H/SI:N/SA:H/E:X/IR:M/MVA:N/MSC:N/MSA:N", 1.8),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:H/UI:A/VC:N/VI:H/VA:N/SC:L/SI:L/SA:L", 4.1),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:N/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H/CR:H/IR:L/AR:X/MAV:A/MPR:N/MSI:X/MSA:H", 5.3),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:H/UI:P/VC:N/VI:H/VA:N/SC:H/SI:H/SA:N", 5.8),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:A/VC:H/VI:N/VA:L/SC:N/SI:L/SA:L/E:A/CR:M/IR:H/AR:M/MAC:L/MPR:H/MVC:N/MVA:L", 1.0),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:L/UI:A/VC:N/VI:L/VA:L/SC:H/SI:L/SA:N", 4.5),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:A/VC:H/VI:L/VA:H/SC:H/SI:L/SA:L/MAC:H", 7.1),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:L/UI:A/VC:H/VI:N/VA:L/SC:N/SI:L/SA:L", 6.9),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:N/VI:H/VA:H/SC:L/SI:H/SA:H/CR:H/MAV:L/MAT:N/MVC:L/MVI:X/MVA:L/MSI:L/MSA:H", 8.4),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:P/VC:H/VI:L/VA:L/SC:N/SI:L/SA:L", 4.4),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:A/VC:N/VI:L/VA:L/SC:N/SI:L/SA:N/AR:X/MAC:X/MUI:P/MVC:N/MVI:H", 7.0),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:H/SC:H/SI:H/SA:H", 7.1),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:H/UI:A/VC:N/VI:H/VA:L/SC:H/SI:N/SA:N/CR:H/AR:H/MAT:X/MVI:N/MSC:X/MSA:S", 6.1),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:H/UI:P/VC:N/VI:N/VA:N/SC:H/SI:L/SA:L", 2.1),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:H/UI:N/VC:L/VI:H/VA:L/SC:L/SI:H/SA:N/E:X/CR:H/MAC:L/MAT:X/MVI:L/MVA:N/MSA:H", 6.1),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:P/VC:L/VI:H/VA:N/SC:L/SI:H/SA:N", 8.2),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:N/VI:L/VA:H/SC:H/SI:L/SA:L/CR:M/IR:M/MPR:N/MVI:X", 9.0),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:N/VI:H/VA:L/SC:H/SI:N/SA:L", 7.1),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:N/CR:H/IR:X/MAC:L/MVA:X/MSC:X", 7.5),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:N/VC:L/VI:H/VA:L/SC:L/SI:N/SA:N", 7.2),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:A/VC:N/VI:H/VA:H/SC:H/SI:N/SA:N/CR:H/IR:M/MAV:P/MAT:N/MPR:H/MVC:L/MSI:S/MSA:N", 7.2),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:N/VC:H/VI:H/VA:N/SC:L/SI:N/SA:H", 8.7),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:A/VC:L/VI:H/VA:N/SC:N/SI:H/SA:H/CR:M/AR:M/MVC:L", 6.9),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:N/VI:N/VA:N/SC:H/SI:H/SA:L", 2.3),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:N/VI:H/VA:L/SC:N/SI:N/SA:N/E:U/MAT:P/MSC:L/MSA:X", 0.7),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:P/VC:L/VI:H/VA:L/SC:N/SI:H/SA:H", 5.9),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:H/UI:N/VC:L/VI:L/VA:H/SC:L/SI:H/SA:N/AR:H/MAC:X/MPR:N/MVC:N/MVI:L/MSA:S", 8.6),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:N/VC:H/VI:L/VA:N/SC:N/SI:L/SA:N", 5.2),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:P/VC:N/VI:L/VA:H/SC:N/SI:N/SA:L/MSC:X", 5.8),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:L/UI:P/VC:H/VI:H/VA:L/SC:H/SI:H/SA:N", 7.0),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:H/UI:A/VC:N/VI:L/VA:N/SC:H/SI:L/SA:N/E:U/MUI:N/MVA:L/MSI:X/MSA:N", 1.1),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:P/VC:L/VI:L/VA:N/SC:H/SI:L/SA:L", 2.1),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:P/VC:H/VI:N/VA:L/SC:L/SI:L/SA:L/IR:H/MPR:L/MUI:P/MSA:H", 5.8),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:P/VC:H/VI:H/VA:N/SC:N/SI:N/SA:L", 5.3),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:N/VC:N/VI:H/VA:N/SC:N/SI:L/SA:N/E:P/CR:H/MVC:N/MVA:H/MSI:N", 5.3),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:L/UI:A/VC:H/VI:L/VA:H/SC:N/SI:H/SA:N", 6.8),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:N/UI:A/VC:N/VI:L/VA:N/SC:H/SI:H/SA:H/MVC:N/MVA:X", 5.2),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:N/UI:P/VC:N/VI:N/VA:H/SC:L/SI:H/SA:N", 7.0),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:N/UI:N/VC:L/VI:N/VA:H/SC:L/SI:L/SA:N/E:U/AR:L/MAV:N/MAC:L/MUI:N/MVC:X/MVI:H/MVA:L/MSI:H", 6.5),
    ("CVSS:4.0/AV:N/AC:H/AT:P/PR:H/UI:A/VC:L/VI:H/VA:N/SC:H/SI:L/SA:N", 6.9),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:H/UI:P/VC:N/VI:H/VA:L/SC:L/SI:N/SA:N/CR:H/IR:H/AR:H/MAV:P/MAC:X/MVC:L", 4.4),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:L/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:L", 2.3),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:L/UI:P/VC:H/VI:H/VA:N/SC:H/SI:N/SA:L/CR:L/AR:H/MPR:L/MVA:X/MSI:L/MSA:H", 6.9),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:N/VI:N/VA:L/SC:H/SI:L/SA:H", 5.0),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:L/SC:H/SI:H/SA:H/CR:X/AR:L/MAT:X/MPR:L/MVC:H", 7.0),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:L/UI:N/VC:L/VI:N/VA:N/SC:N/SI:H/SA:N", 4.1),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:P/VC:N/VI:L/VA:H/SC:N/SI:H/SA:H/E:A/AR:X/MAC:X/MAT:X/MVA:N/MSC:H", 2.4),
    ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:A/VC:H/VI:N/VA:N/SC:L/SI:H/SA:N", 8.3),
    ("CVSS:4.0/AV:P/AC:L/AT:N/PR:N/UI:A/VC:N/VI:H/VA:N/SC:N/SI:N/SA:N/IR:X/MUI:N/MSC:H", 6.7),
    ("CVSS:4.0/AV:N/AC:H/AT:N/PR:N/UI:A/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L", 7.5),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:L/UI:A/VC:N/VI:L/VA:H/SC:H/SI:H/SA:H/E:A/MSC:H", 6.0),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:L/UI:P/VC:N/VI:H/VA:L/SC:L/SI:L/SA:H", 7.1),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:P/VC:H/VI:N/VA:N/SC:L/SI:N/SA:L/E:A/CR:X/IR:M/MAV:N/MUI:P/MVI:X/MSI:N/MSA:N", 6.0),
    ("CVSS:4.0/AV:A/AC:H/AT:N/PR:H/UI:N/VC:H/VI:L/VA:H/SC:N/SI:L/SA:L", 5.9),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:A/VC:H/VI:N/VA:N/SC:L/SI:L/SA:H/E:X/CR:H/MAT:X/MVC:X/MSC:X/MSI:X", 6.9),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:P/VC:L/VI:L/VA:L/SC:N/SI:N/SA:H", 4.3),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:L/UI:P/VC:H/VI:H/VA:L/SC:H/SI:H/SA:H/IR:X/MAV:X/MAC:H/MPR:L/MUI:N/MVA:L/MSA:X", 7.2),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:P/VC:L/VI:N/VA:N/SC:H/SI:H/SA:L", 5.0),
    ("CVSS:4.0/AV:L/AC:H/AT:P/PR:N/UI:A/VC:N/VI:H/VA:H/SC:H/SI:L/SA:L/CR:H/MAC:L/MAT:X/MPR:H/MVC:X/MSC:N/MSI:X", 4.4),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:N/VC:H/VI:H/VA:H/SC:L/SI:L/SA:L", 7.5),
    ("CVSS:4.0/AV:P/AC:L/AT:P/PR:H/UI:N/VC:H/VI:N/VA:H/SC:L/SI:N/SA:H/MAV:L/MAT:X/MUI:X/MVC:L/MSI:L", 6.9),
    ("CVSS:4.0/AV:N/AC:L/AT:P/PR:H/UI:P/VC:H/VI:H/VA:N/SC:L/SI:L/SA:L", 7.2),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:N/VI:N/VA:H/SC:N/SI:N/SA:H/IR:M/AR:M/MUI:N/MVC:N/MVA:H/MSI:S", 8.6),
    ("CVSS:4.0/AV:L/AC:H/AT:N/PR:N/UI:P/VC:H/VI:N/VA:H/SC:H/SI:L/SA:L", 7.1),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:L/UI:A/VC:N/VI:L/VA:N/SC:H/SI:N/SA:H/E:U/CR:L/IR:M/AR:H/MAV:X/MPR:X/MUI:P/MSI:N/MSA:L", 0.3),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:H/UI:P/VC:H/VI:H/VA:H/SC:L/SI:H/SA:H", 8.5),
    ("CVSS:4.0/AV:P/AC:H/AT:P/PR:H/UI:A/VC:H/VI:H/VA:N/SC:L/SI:N/SA:L/E:U/IR:X/MAV:N/MSC:H", 5.3),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:A/VC:L/VI:N/VA:L/SC:H/SI:N/SA:L", 4.3),
    ("CVSS:4.0/AV:A/AC:H/AT:P/PR:H/UI:P/VC:N/VI:H/VA:N/SC:N/SI:H/SA:N/CR:M/AR:L/MAV:N/MAT:X/MUI:N/MVA:H", 6.9),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:N/UI:A/VC:H/VI:L/VA:H/SC:H/SI:N/SA:H", 5.9),
    ("CVSS:4.0/AV:P/AC:H/AT:N/PR:L/UI:A/VC:L/VI:L/VA:N/SC:N/SI:L/SA:L/IR:L/MPR:L/MSI:H", 2.0),
    ("CVSS:4.0/AV:A/AC:L/AT:P/PR:H/UI:A/VC:H/VI:H/VA:H/SC:N/SI:N/SA:L", 5.4),
    ("CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:H/SC:H/SI:H/SA:H/E:A/CR:X/IR:X/MAV:A/MAC:L/MAT:N/MVC:X/MVI:L/MVA:X/MSI:H/MSA:L", 8.5),
    ("CVSS:4.0/AV:A/AC:L/AT:N/PR:N/UI:A/VC:L/VI:L/VA:L/SC:N/SI:H/SA:H", 6.2),
    ("CVSS:4.0/AV:L/AC:L/AT:P/PR:N/UI:N/VC:N/VI:H/VA:H/SC:N/SI:L/SA:L/CR:X/MAC:H/MAT:P/MVA:X/MSC:X/MSI:H/MSA:L", 7.1),
];

/// Random vectors scored by the `cvss` Python package 3.6 (`cvss3.py`), seed 7.
const CVSS3_REFERENCE: &[(&str, f64)] = &[
    ("CVSS:3.0/AV:A/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:H", 8.8),
    ("CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:C/C:L/I:N/A:N", 2.6),
    ("CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:U/C:L/I:H/A:L", 5.3),
    ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:L", 9.6),
    ("CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:C/C:H/I:H/A:N", 7.3),
    ("CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:L/I:N/A:N", 2.6),
    ("CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:C/C:N/I:L/A:N", 2.6),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:U/C:L/I:H/A:N", 4.4),
    ("CVSS:3.0/AV:L/AC:L/PR:N/UI:N/S:U/C:L/I:N/A:N", 4.0),
    ("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:C/C:L/I:N/A:H", 6.6),
    ("CVSS:3.0/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:L/A:N", 4.8),
    ("CVSS:3.1/AV:A/AC:L/PR:H/UI:N/S:C/C:H/I:N/A:N", 6.2),
    ("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:L", 4.0),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:L/A:N", 6.1),
    ("CVSS:3.0/AV:P/AC:H/PR:N/UI:N/S:C/C:L/I:L/A:N", 3.6),
    ("CVSS:3.1/AV:A/AC:L/PR:H/UI:N/S:C/C:H/I:N/A:L", 6.9),
    ("CVSS:3.0/AV:A/AC:L/PR:L/UI:R/S:U/C:N/I:L/A:L", 4.1),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:N/S:C/C:H/I:H/A:H", 7.6),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:U/C:L/I:H/A:L", 6.6),
    ("CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:L", 5.0),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:N", 6.5),
    ("CVSS:3.1/AV:A/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:L", 5.9),
    ("CVSS:3.0/AV:A/AC:L/PR:H/UI:R/S:U/C:L/I:H/A:L", 5.4),
    ("CVSS:3.1/AV:A/AC:L/PR:H/UI:R/S:C/C:L/I:L/A:N", 4.3),
    ("CVSS:3.0/AV:A/AC:H/PR:L/UI:N/S:U/C:H/I:H/A:L", 6.7),
    ("CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:H/A:L", 7.1),
    ("CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:C/C:L/I:L/A:L", 6.5),
    ("CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:C/C:N/I:H/A:N", 4.7),
    ("CVSS:3.0/AV:N/AC:H/PR:L/UI:R/S:U/C:N/I:H/A:H", 6.4),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:R/S:U/C:N/I:N/A:H", 4.0),
    ("CVSS:3.0/AV:P/AC:H/PR:N/UI:N/S:C/C:H/I:H/A:N", 6.8),
    ("CVSS:3.1/AV:L/AC:H/PR:N/UI:N/S:U/C:H/I:L/A:N", 5.7),
    ("CVSS:3.0/AV:P/AC:L/PR:L/UI:N/S:C/C:H/I:L/A:L", 6.5),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:N", 3.3),
    ("CVSS:3.0/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 9.6),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:R/S:U/C:N/I:H/A:H", 6.1),
    ("CVSS:3.0/AV:A/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:L", 2.6),
    ("CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 8.8),
    ("CVSS:3.0/AV:L/AC:L/PR:H/UI:N/S:C/C:H/I:N/A:H", 7.9),
    ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0),
    ("CVSS:3.0/AV:A/AC:H/PR:L/UI:N/S:C/C:H/I:L/A:H", 7.9),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:C/C:H/I:N/A:H", 8.0),
    ("CVSS:3.0/AV:L/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:L", 6.0),
    ("CVSS:3.1/AV:L/AC:H/PR:L/UI:R/S:U/C:N/I:H/A:L", 5.0),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:H", 7.1),
    ("CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N", 3.3),
    ("CVSS:3.0/AV:A/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:L", 6.0),
    ("CVSS:3.1/AV:P/AC:L/PR:L/UI:N/S:C/C:N/I:L/A:L", 3.8),
    ("CVSS:3.0/AV:L/AC:H/PR:H/UI:N/S:C/C:N/I:N/A:H", 5.3),
    ("CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:N/I:L/A:H", 6.5),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:R/S:C/C:L/I:N/A:N", 3.4),
    ("CVSS:3.1/AV:A/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:H", 6.7),
    ("CVSS:3.0/AV:N/AC:H/PR:L/UI:R/S:C/C:L/I:L/A:N", 4.4),
    ("CVSS:3.1/AV:N/AC:H/PR:H/UI:R/S:C/C:H/I:L/A:L", 6.8),
    ("CVSS:3.0/AV:P/AC:H/PR:N/UI:R/S:C/C:H/I:L/A:N", 5.6),
    ("CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:C/C:H/I:N/A:L", 6.5),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:H/A:H", 9.1),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:C/C:L/I:H/A:N", 7.9),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:H/A:H", 6.7),
    ("CVSS:3.1/AV:P/AC:H/PR:L/UI:N/S:U/C:N/I:H/A:L", 4.6),
    ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:L", 9.4),
    ("CVSS:3.1/AV:A/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:N", 7.3),
    ("CVSS:3.0/AV:L/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:L", 6.3),
    ("CVSS:3.1/AV:L/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:H", 4.7),
    ("CVSS:3.0/AV:A/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.5),
    ("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:C/C:L/I:H/A:N", 6.6),
    ("CVSS:3.0/AV:L/AC:H/PR:H/UI:N/S:U/C:N/I:N/A:H", 4.1),
    ("CVSS:3.1/AV:P/AC:L/PR:H/UI:R/S:U/C:N/I:N/A:H", 3.9),
    ("CVSS:3.0/AV:N/AC:H/PR:L/UI:N/S:C/C:N/I:N/A:L", 3.5),
    ("CVSS:3.1/AV:L/AC:H/PR:H/UI:N/S:C/C:L/I:H/A:L", 6.7),
    ("CVSS:3.0/AV:A/AC:L/PR:H/UI:R/S:C/C:N/I:N/A:L", 2.9),
    ("CVSS:3.1/AV:L/AC:L/PR:H/UI:R/S:C/C:H/I:L/A:H", 7.7),
    ("CVSS:3.0/AV:A/AC:H/PR:N/UI:R/S:C/C:N/I:N/A:L", 2.9),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:H", 6.0),
    ("CVSS:3.0/AV:P/AC:H/PR:H/UI:R/S:U/C:N/I:L/A:N", 1.6),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:C/C:H/I:H/A:N", 8.2),
    ("CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:C/C:N/I:N/A:N", 0.0),
    ("CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:C/C:N/I:N/A:L", 2.3),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:N/A:N", 6.8),
    ("CVSS:3.1/AV:A/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:H", 4.6),
    ("CVSS:3.0/AV:P/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:L", 6.0),
    ("CVSS:3.1/AV:P/AC:L/PR:H/UI:R/S:C/C:N/I:H/A:H", 6.7),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:R/S:C/C:H/I:H/A:H", 8.4),
    ("CVSS:3.1/AV:P/AC:L/PR:L/UI:R/S:U/C:H/I:H/A:N", 5.7),
    ("CVSS:3.0/AV:L/AC:L/PR:H/UI:R/S:C/C:H/I:H/A:L", 7.7),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:N/S:C/C:H/I:N/A:L", 5.5),
    ("CVSS:3.0/AV:P/AC:L/PR:L/UI:N/S:U/C:N/I:L/A:L", 3.2),
    ("CVSS:3.1/AV:A/AC:L/PR:L/UI:R/S:C/C:L/I:N/A:L", 4.8),
    ("CVSS:3.0/AV:N/AC:H/PR:H/UI:R/S:U/C:L/I:H/A:L", 5.3),
    ("CVSS:3.1/AV:P/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 3.7),
    ("CVSS:3.0/AV:A/AC:H/PR:N/UI:R/S:U/C:L/I:H/A:L", 5.9),
    ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:C/C:N/I:H/A:N", 4.6),
    ("CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:C/C:L/I:N/A:H", 6.9),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:N", 5.9),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:H/I:H/A:N", 8.7),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:L/A:N", 4.2),
    ("CVSS:3.0/AV:N/AC:H/PR:L/UI:N/S:U/C:N/I:H/A:H", 6.8),
    ("CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:N/I:N/A:N", 0.0),
    ("CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:U/C:N/I:N/A:L", 2.5),
    ("CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:C/C:L/I:N/A:H", 6.6),
    ("CVSS:3.0/AV:N/AC:L/PR:L/UI:R/S:U/C:L/I:N/A:L", 4.6),
    ("CVSS:3.1/AV:A/AC:H/PR:L/UI:R/S:U/C:H/I:H/A:H", 6.8),
    ("CVSS:3.0/AV:A/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:N", 2.4),
    ("CVSS:3.1/AV:N/AC:H/PR:L/UI:R/S:U/C:N/I:H/A:H", 6.4),
    ("CVSS:3.0/AV:P/AC:L/PR:N/UI:N/S:U/C:L/I:H/A:H", 6.4),
    ("CVSS:3.1/AV:P/AC:H/PR:L/UI:R/S:C/C:H/I:H/A:N", 6.6),
    ("CVSS:3.0/AV:N/AC:H/PR:H/UI:N/S:U/C:N/I:H/A:H", 5.9),
    ("CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:H", 5.9),
    ("CVSS:3.0/AV:P/AC:H/PR:N/UI:R/S:U/C:N/I:H/A:H", 5.6),
    ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:C/C:H/I:N/A:H", 7.5),
    ("CVSS:3.0/AV:P/AC:L/PR:H/UI:N/S:U/C:L/I:N/A:H", 4.6),
    ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:N", 9.0),
    ("CVSS:3.0/AV:A/AC:H/PR:L/UI:R/S:U/C:H/I:L/A:H", 6.4),
    ("CVSS:3.1/AV:A/AC:H/PR:N/UI:N/S:C/C:H/I:N/A:N", 6.1),
    ("CVSS:3.0/AV:L/AC:H/PR:L/UI:N/S:C/C:N/I:N/A:L", 2.8),
    ("CVSS:3.1/AV:A/AC:L/PR:L/UI:R/S:C/C:H/I:H/A:H", 8.4),
    ("CVSS:3.0/AV:N/AC:L/PR:H/UI:N/S:C/C:N/I:H/A:L", 7.6),
    ("CVSS:3.1/AV:P/AC:H/PR:N/UI:N/S:C/C:N/I:L/A:L", 3.6),
    ("CVSS:3.0/AV:N/AC:H/PR:N/UI:N/S:U/C:L/I:L/A:H", 7.0),
    ("CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:L/A:H", 6.7),
];
