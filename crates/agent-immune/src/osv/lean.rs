//! A lean view of an OSV record for import: only what the index stores is
//! materialised; `details`, `references` and `*_specific` payloads (Go's
//! symbol lists, RustSec's function paths) are skipped while parsing
//! instead of being allocated and freed, which keeps an import's memory
//! close to the size of the index it builds. Of Go's
//! `ecosystem_specific.imports[]` only each entry's `path` is kept.

use std::fmt;

use serde::de::{self, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::record::{Affected, AffectedPackage, OsvRecord, OsvSeverity, Range};

#[derive(Deserialize)]
pub(crate) struct LeanRecord {
    id: String,
    #[serde(default)]
    schema_version: Option<String>,
    #[serde(default)]
    modified: Option<String>,
    #[serde(default)]
    published: Option<String>,
    #[serde(default)]
    withdrawn: Option<String>,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    affected: Vec<LeanAffected>,
    #[serde(default)]
    database_specific: Labels,
}

#[derive(Deserialize)]
struct LeanAffected {
    #[serde(default)]
    package: Option<AffectedPackage>,
    #[serde(default)]
    severity: Vec<OsvSeverity>,
    #[serde(default)]
    ranges: Vec<Range>,
    #[serde(default)]
    versions: Vec<String>,
    #[serde(default)]
    ecosystem_specific: Labels,
    #[serde(default)]
    database_specific: Labels,
}

/// The keys the index reads from any `*_specific` object (`severity`,
/// `informational`, and `imports` reduced to `[{"path": …}]`); everything
/// else — and non-object junk — is skipped.
#[derive(Default)]
struct Labels(Option<Map<String, Value>>);

impl<'de> Deserialize<'de> for Labels {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Labels;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Labels, A::Error> {
                let mut out = Map::new();
                while let Some(k) = m.next_key::<String>()? {
                    if k == "severity" || k == "informational" {
                        let v: Value = m.next_value()?;
                        out.insert(k, v);
                    } else if k == "imports" {
                        let paths: ImportPaths = m.next_value()?;
                        let entries = paths
                            .0
                            .into_iter()
                            .map(|p| serde_json::json!({ "path": p }))
                            .collect();
                        out.insert(k, Value::Array(entries));
                    } else {
                        m.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(Labels(Some(out)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut s: A) -> Result<Labels, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Labels(None))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_str<E: de::Error>(self, _: &str) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_none<E: de::Error>(self) -> Result<Labels, E> {
                Ok(Labels(None))
            }
            fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Labels, D2::Error> {
                Labels::deserialize(d)
            }
        }
        d.deserialize_any(V)
    }
}

/// The `path` of each `imports[]` entry; entries without a string path,
/// and an `imports` that is not an array, are skipped rather than failing
/// the record.
#[derive(Default)]
struct ImportPaths(Vec<String>);

/// One `imports[]` entry's path, if it has one.
struct ImportPath(Option<String>);

impl<'de> Deserialize<'de> for ImportPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: IgnoredOr<PathOnly> = Deserialize::deserialize(d)?;
        Ok(ImportPath(match v {
            IgnoredOr::Value(p) => p.path,
            IgnoredOr::Ignored(_) => None,
        }))
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum IgnoredOr<T> {
    Value(T),
    Ignored(IgnoredAny),
}

#[derive(Deserialize)]
struct PathOnly {
    #[serde(default, deserialize_with = "string_or_none")]
    path: Option<String>,
}

fn string_or_none<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v: IgnoredOr<String> = Deserialize::deserialize(d)?;
    Ok(match v {
        IgnoredOr::Value(s) => Some(s),
        IgnoredOr::Ignored(_) => None,
    })
}

impl<'de> Deserialize<'de> for ImportPaths {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v: IgnoredOr<Vec<ImportPath>> = Deserialize::deserialize(d)?;
        Ok(match v {
            IgnoredOr::Value(list) => ImportPaths(list.into_iter().filter_map(|p| p.0).collect()),
            IgnoredOr::Ignored(_) => ImportPaths::default(),
        })
    }
}

impl Labels {
    fn into_value(self) -> Option<Value> {
        self.0.map(Value::Object)
    }
}

impl From<LeanRecord> for OsvRecord {
    fn from(r: LeanRecord) -> OsvRecord {
        OsvRecord {
            id: r.id,
            schema_version: r.schema_version,
            modified: r.modified,
            published: r.published,
            withdrawn: r.withdrawn,
            aliases: r.aliases,
            related: Vec::new(),
            summary: r.summary,
            details: None,
            severity: r.severity,
            affected: r
                .affected
                .into_iter()
                .map(|a| Affected {
                    package: a.package,
                    severity: a.severity,
                    ranges: a.ranges,
                    versions: a.versions,
                    ecosystem_specific: a.ecosystem_specific.into_value(),
                    database_specific: a.database_specific.into_value(),
                })
                .collect(),
            references: Vec::new(),
            database_specific: r.database_specific.into_value(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_labels_and_skips_payloads() {
        let json = r#"{"id":"GO-1","details":"long","references":[{"type":"WEB","url":"u"}],
            "database_specific":{"url":"x","severity":"HIGH"},
            "affected":[{"package":{"ecosystem":"Go","name":"m"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"}]}],
              "ecosystem_specific":{"imports":[{"path":"m","symbols":["A","B"]}],"informational":"unmaintained"},
              "database_specific":"junk"}]}"#;
        let r: OsvRecord = serde_json::from_str::<LeanRecord>(json).unwrap().into();
        assert_eq!(r.details, None);
        assert!(r.references.is_empty());
        assert_eq!(
            r.database_specific,
            Some(serde_json::json!({"severity": "HIGH"}))
        );
        assert_eq!(
            r.affected[0].ecosystem_specific,
            Some(serde_json::json!({"informational": "unmaintained", "imports": [{"path": "m"}]}))
        );
        assert_eq!(r.affected[0].database_specific, None);
        assert_eq!(r.affected[0].ranges.len(), 1);
    }

    #[test]
    fn junk_imports_are_skipped_not_fatal() {
        for junk in [
            r#""imports": 3"#,
            r#""imports": [1, {"path": 2}, {"symbols": []}, {"path": "ok", "symbols": [1]}]"#,
            r#""imports": {"path": "x"}"#,
        ] {
            let json = format!(
                r#"{{"id":"GO-2","affected":[{{"package":{{"ecosystem":"Go","name":"m"}},"ecosystem_specific":{{{junk}}}}}]}}"#
            );
            let r: OsvRecord = serde_json::from_str::<LeanRecord>(&json)
                .unwrap_or_else(|e| panic!("{junk}: {e}"))
                .into();
            let imports = &r.affected[0].ecosystem_specific.as_ref().unwrap()["imports"];
            let paths: Vec<&str> = imports
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|e| e["path"].as_str())
                .collect();
            let expected: &[&str] = if junk.contains("\"ok\"") {
                &["ok"]
            } else {
                &[]
            };
            assert_eq!(paths, expected, "{junk}");
        }
    }
}
