//! The on-disk form of a record: canonical serialisation and hashing.
//!
//! A record line is the canonical JSON of the record without its hash —
//! fields in the order `seq, ts, kind, actor, decision, detail, prev`, no
//! whitespace, object keys inside `detail` sorted — with `,"hash":"<hex>"`
//! spliced in before the closing brace. The hash is SHA-256 over exactly those
//! canonical bytes, so the verifier hashes what is on disk and never depends on
//! re-serialising (floats, key order) the same way twice.

use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::decision::Decision;

/// `prev` of the first record: 64 zeros.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Length of `,"hash":"` + 64 hex digits + `"}`.
const HASH_SUFFIX_LEN: usize = 9 + 64 + 2;

/// One record of the audit log, as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditRecord {
    /// Position in the chain, from 0.
    pub seq: u64,
    /// When it was appended, RFC 3339 in UTC.
    pub ts: String,
    /// What happened, e.g. `mouth.reject`.
    pub kind: String,
    /// Who did it, e.g. `cli`.
    pub actor: String,
    /// The decision taken, if the event is one.
    pub decision: Option<Decision>,
    /// Event-specific data.
    pub detail: serde_json::Value,
    /// `hash` of the previous record, or [`GENESIS_HASH`] for the first.
    pub prev: String,
    /// SHA-256 (hex) of this record's canonical serialisation without `hash`.
    pub hash: String,
}

#[derive(Serialize)]
struct Body<'a> {
    seq: u64,
    ts: &'a str,
    kind: &'a str,
    actor: &'a str,
    decision: Option<Decision>,
    detail: Canonical<'a>,
    prev: &'a str,
}

/// A JSON value serialised with object keys sorted, at every depth.
struct Canonical<'a>(&'a serde_json::Value);

impl Serialize for Canonical<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
                let mut out = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    out.serialize_entry(key, &Canonical(value))?;
                }
                out.end()
            }
            serde_json::Value::Array(items) => {
                let mut out = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    out.serialize_element(&Canonical(item))?;
                }
                out.end()
            }
            scalar => scalar.serialize(serializer),
        }
    }
}

/// The hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Builds a record and its line (with trailing newline).
pub(crate) struct Draft<'a> {
    pub seq: u64,
    pub ts: &'a str,
    pub kind: &'a str,
    pub actor: &'a str,
    pub decision: Option<Decision>,
    pub detail: &'a serde_json::Value,
    pub prev: &'a str,
}

impl Draft<'_> {
    pub(crate) fn seal(&self) -> Result<(AuditRecord, String), serde_json::Error> {
        let body = serde_json::to_string(&Body {
            seq: self.seq,
            ts: self.ts,
            kind: self.kind,
            actor: self.actor,
            decision: self.decision,
            detail: Canonical(self.detail),
            prev: self.prev,
        })?;
        let hash = sha256_hex(body.as_bytes());
        let open = body.strip_suffix('}').unwrap_or(&body);
        let line = format!("{open},\"hash\":\"{hash}\"}}\n");
        let record = AuditRecord {
            seq: self.seq,
            ts: self.ts.to_owned(),
            kind: self.kind.to_owned(),
            actor: self.actor.to_owned(),
            decision: self.decision,
            detail: self.detail.clone(),
            prev: self.prev.to_owned(),
            hash,
        };
        Ok((record, line))
    }
}

/// Parses one line (without its newline) and checks it against its own hash.
pub(crate) fn open_line(line: &[u8]) -> Result<AuditRecord, String> {
    let text = std::str::from_utf8(line).map_err(|_| "the line is not valid UTF-8".to_owned())?;
    let record: AuditRecord =
        serde_json::from_str(text).map_err(|e| format!("not a valid audit record: {e}"))?;
    let split = text
        .len()
        .checked_sub(HASH_SUFFIX_LEN)
        .filter(|&at| text.is_char_boundary(at))
        .ok_or_else(|| "the record does not end with its hash field".to_owned())?;
    let (open, suffix) = text.split_at(split);
    if suffix != format!(",\"hash\":\"{}\"}}", record.hash) {
        return Err("the record does not end with its hash field".to_owned());
    }
    let actual = sha256_hex(format!("{open}}}").as_bytes());
    if actual != record.hash {
        return Err(format!(
            "hash mismatch: the record was modified after it was written (stored {}, computed {})",
            short(&record.hash),
            short(&actual)
        ));
    }
    Ok(record)
}

/// The first 12 hex digits of a hash, for messages.
pub(crate) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn draft(detail: &serde_json::Value) -> (AuditRecord, String) {
        Draft {
            seq: 7,
            ts: "2026-01-02T03:04:05Z",
            kind: "mouth.reject",
            actor: "cli",
            decision: Some(Decision::Deny),
            detail,
            prev: GENESIS_HASH,
        }
        .seal()
        .unwrap()
    }

    #[test]
    fn line_shape_and_round_trip() {
        let (record, line) =
            draft(&json!({"z": 1, "a": {"y": [1, {"c": 2, "b": 1.5}], "x": null}}));
        assert!(line.ends_with("\"}\n"));
        assert!(line.starts_with(
            "{\"seq\":7,\"ts\":\"2026-01-02T03:04:05Z\",\"kind\":\"mouth.reject\",\"actor\":\"cli\",\"decision\":\"deny\",\"detail\":{\"a\":{\"x\":null,\"y\":[1,{\"b\":1.5,\"c\":2}]},\"z\":1},\"prev\":\"000"
        ), "{line}");
        let parsed = open_line(line.trim_end().as_bytes()).unwrap();
        assert_eq!(parsed, record);
    }

    #[test]
    fn key_order_of_the_input_does_not_matter() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":2}"#).unwrap();
        let b: serde_json::Value = serde_json::from_str(r#"{"a":2,"b":1}"#).unwrap();
        assert_eq!(draft(&a).1, draft(&b).1);
    }

    #[test]
    fn edits_are_detected() {
        let (_, line) = draft(&json!({"cmd": "ls"}));
        let edited = line.trim_end().replace("\"ls\"", "\"rm\"");
        assert!(open_line(edited.as_bytes())
            .unwrap_err()
            .starts_with("hash mismatch"));
        let spaced = line.trim_end().replacen(',', ", ", 1);
        assert!(open_line(spaced.as_bytes())
            .unwrap_err()
            .starts_with("hash mismatch"));
        assert!(open_line(b"{\"seq\":1")
            .unwrap_err()
            .starts_with("not a valid audit record"));
        assert!(open_line(&[0xff, 0xfe]).unwrap_err().contains("UTF-8"));
    }
}
