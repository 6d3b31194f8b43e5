//! The index's serde form of `Vec<Affected>`.
//!
//! postcard is not self-describing: it cannot decode `serde_json::Value`
//! (which needs `deserialize_any`) and it misreads structs whose fields use
//! `skip_serializing_if` (as `Event` does for JSON). So the index stores a
//! mirror with every field present and JSON blobs as text.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::record::{Affected, AffectedPackage, Event, OsvSeverity, Range, RangeType};

#[derive(Serialize, Deserialize)]
struct CAffected {
    package: Option<(String, String, Option<String>)>,
    severity: Vec<OsvSeverity>,
    ranges: Vec<CRange>,
    versions: Vec<String>,
    ecosystem_specific: Option<String>,
    database_specific: Option<String>,
}

#[derive(Serialize, Deserialize)]
struct CRange {
    kind: u8,
    repo: Option<String>,
    events: Vec<[Option<String>; 4]>,
}

fn kind_code(kind: &RangeType) -> u8 {
    match kind {
        RangeType::Semver => 0,
        RangeType::Ecosystem => 1,
        RangeType::Git => 2,
        RangeType::Other => 3,
    }
}

fn kind_from(code: u8) -> RangeType {
    match code {
        0 => RangeType::Semver,
        1 => RangeType::Ecosystem,
        2 => RangeType::Git,
        _ => RangeType::Other,
    }
}

fn to_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

fn from_text<E: serde::de::Error>(s: Option<String>) -> Result<Option<serde_json::Value>, E> {
    s.map(|s| serde_json::from_str(&s).map_err(E::custom))
        .transpose()
}

pub(crate) fn serialize<S: Serializer>(affected: &[Affected], s: S) -> Result<S::Ok, S::Error> {
    let mirror: Vec<CAffected> = affected
        .iter()
        .map(|a| CAffected {
            package: a
                .package
                .as_ref()
                .map(|p| (p.ecosystem.clone(), p.name.clone(), p.purl.clone())),
            severity: a.severity.clone(),
            ranges: a
                .ranges
                .iter()
                .map(|r| CRange {
                    kind: kind_code(&r.kind),
                    repo: r.repo.clone(),
                    events: r
                        .events
                        .iter()
                        .map(|e| {
                            [
                                e.introduced.clone(),
                                e.fixed.clone(),
                                e.last_affected.clone(),
                                e.limit.clone(),
                            ]
                        })
                        .collect(),
                })
                .collect(),
            versions: a.versions.clone(),
            ecosystem_specific: to_text(&a.ecosystem_specific),
            database_specific: to_text(&a.database_specific),
        })
        .collect();
    mirror.serialize(s)
}

pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Affected>, D::Error> {
    let mirror = Vec::<CAffected>::deserialize(d)?;
    mirror
        .into_iter()
        .map(|a| {
            Ok(Affected {
                package: a.package.map(|(ecosystem, name, purl)| AffectedPackage {
                    ecosystem,
                    name,
                    purl,
                }),
                severity: a.severity,
                ranges: a
                    .ranges
                    .into_iter()
                    .map(|r| Range {
                        kind: kind_from(r.kind),
                        repo: r.repo,
                        events: r
                            .events
                            .into_iter()
                            .map(|[introduced, fixed, last_affected, limit]| Event {
                                introduced,
                                fixed,
                                last_affected,
                                limit,
                            })
                            .collect(),
                    })
                    .collect(),
                versions: a.versions,
                ecosystem_specific: from_text(a.ecosystem_specific)?,
                database_specific: from_text(a.database_specific)?,
            })
        })
        .collect()
}
