//! Fuzzes the OSV record model and what runs on every imported record:
//! range matching and CVSS scoring. OSV archives come from a mirror, so a
//! record is untrusted. A record that deserialises must match any version
//! and score its severities without panicking.
#![no_main]

use agent_immune::osv::OsvRecord;
use agent_immune::{matching, severity, Ecosystem};
use libfuzzer_sys::fuzz_target;

/// Versions that exercise each ecosystem's ordering: plain SemVer,
/// pre-release and build metadata, PEP 440 epochs/post/dev, Go pseudo
/// versions, and junk.
const VERSIONS: [&str; 10] = [
    "0.0.0",
    "1.2.3",
    "1.0.0-alpha.1+build.5",
    "2.0",
    "1!2.0.post1.dev3",
    "v0.0.0-20210101000000-abcdef123456",
    "0.8.0",
    "",
    "not a version",
    "99999999999999999999999.0.0",
];

fuzz_target!(|data: &[u8]| {
    let Ok(record) = serde_json::from_slice::<OsvRecord>(data) else {
        return;
    };
    let label = record
        .database_specific
        .as_ref()
        .and_then(|d| d.get("severity"))
        .and_then(|s| s.as_str());
    let _ = severity::score(&record.severity, label);
    for affected in &record.affected {
        let _ = severity::score(&affected.severity, label);
        let entry = std::slice::from_ref(affected);
        let named = affected
            .package
            .as_ref()
            .and_then(|p| Ecosystem::parse(p.ecosystem.split(':').next().unwrap_or("")));
        for eco in named.into_iter().chain(Ecosystem::ALL) {
            for v in VERSIONS {
                let _ = matching::match_affected(eco, entry, v);
            }
            for v in affected.versions.iter().take(4) {
                let _ = matching::match_affected(eco, entry, v);
            }
        }
    }
    // and all entries at once, as the scanner does for one package
    for v in VERSIONS {
        let _ = matching::match_affected(Ecosystem::CratesIo, &record.affected, v);
    }
});
