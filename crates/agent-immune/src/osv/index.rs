//! The on-disk index: one file per ecosystem, `<cache_dir>/<Ecosystem>/index.bin`.
//!
//! ```text
//! offset  size  field
//! 0       8     magic  b"AIOSVIX\0"
//! 8       4     format version (u32 LE)
//! 12      4     header length H (u32 LE)
//! 16      4     name table length T (u32 LE)
//! 20      8     body length B (u64 LE)
//! 28      H     header: postcard `IndexHeader` (counts, archive sha256, source, updated_at)
//! 28+H    T     name table: postcard `Vec<(String, u32, u32)>` = (normalized name, body offset, length),
//!               sorted by name, so a lookup is a binary search
//! 28+H+T  B     body: for each name, postcard `Vec<IndexedVuln>`, decoded only when looked up
//! ```
//!
//! The file length must be exactly `28 + H + T + B`: a truncated or padded
//! file is rejected as corrupt before anything is decoded. Every offset is
//! bounds-checked; a decoding failure is an error, never a panic.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::db::IndexedVuln;
use crate::types::Ecosystem;

/// Magic bytes opening every index file.
pub(crate) const MAGIC: [u8; 8] = *b"AIOSVIX\0";
/// Bumped whenever the layout or `IndexedVuln` changes. 2: `IndexedVuln`
/// gained `imports`.
pub(crate) const FORMAT_VERSION: u32 = 2;
const PREAMBLE_LEN: usize = 28;
/// Headers are a few hundred bytes; anything larger is corruption.
const MAX_HEADER_LEN: usize = 64 * 1024;

/// What an index says about itself; readable without decoding the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct IndexHeader {
    pub ecosystem: Ecosystem,
    pub records: u64,
    pub packages: u64,
    pub skipped_corrupt: u64,
    pub withdrawn: u64,
    pub git_ranges: u64,
    pub archive_sha256: String,
    pub source: String,
    /// RFC 3339.
    pub updated_at: String,
}

struct Preamble {
    header_len: usize,
    table_len: usize,
    body_len: usize,
}

impl Preamble {
    fn parse(bytes: &[u8]) -> Result<Preamble, String> {
        if bytes.len() < PREAMBLE_LEN {
            return Err(format!(
                "file is {} bytes, shorter than the {PREAMBLE_LEN}-byte preamble",
                bytes.len()
            ));
        }
        if bytes[..8] != MAGIC {
            return Err("bad magic bytes (not an agent-immune OSV index)".to_string());
        }
        let version = u32::from_le_bytes(le4(&bytes[8..12]));
        if version != FORMAT_VERSION {
            let who = if version < FORMAT_VERSION {
                "an older"
            } else {
                "a newer"
            };
            return Err(format!(
                "index format version {version} was written by {who} agent-immune; this build reads version {FORMAT_VERSION}"
            ));
        }
        let header_len = u32::from_le_bytes(le4(&bytes[12..16])) as usize;
        let table_len = u32::from_le_bytes(le4(&bytes[16..20])) as usize;
        let body_len = u64::from_le_bytes(le8(&bytes[20..28]));
        let body_len =
            usize::try_from(body_len).map_err(|_| format!("body length {body_len} too large"))?;
        if header_len > MAX_HEADER_LEN {
            return Err(format!("header length {header_len} is implausible"));
        }
        Ok(Preamble {
            header_len,
            table_len,
            body_len,
        })
    }

    fn total(&self) -> Option<usize> {
        PREAMBLE_LEN
            .checked_add(self.header_len)?
            .checked_add(self.table_len)?
            .checked_add(self.body_len)
    }
}

fn le4(b: &[u8]) -> [u8; 4] {
    let mut out = [0; 4];
    out.copy_from_slice(b);
    out
}

fn le8(b: &[u8]) -> [u8; 8] {
    let mut out = [0; 8];
    out.copy_from_slice(b);
    out
}

/// Serializes a complete index file.
pub(crate) fn encode(
    header: &IndexHeader,
    entries: &BTreeMap<String, Vec<IndexedVuln>>,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut table: Vec<(&str, u32, u32)> = Vec::with_capacity(entries.len());
    for (name, vulns) in entries {
        let start = body.len();
        let encoded = postcard::to_stdvec(vulns).map_err(|e| format!("encoding {name}: {e}"))?;
        body.extend_from_slice(&encoded);
        let offset = u32::try_from(start).map_err(|_| "index body exceeds 4 GiB".to_string())?;
        let len = u32::try_from(encoded.len()).map_err(|_| "entry exceeds 4 GiB".to_string())?;
        table.push((name.as_str(), offset, len));
    }
    let header_bytes = postcard::to_stdvec(header).map_err(|e| format!("encoding header: {e}"))?;
    let table_bytes = postcard::to_stdvec(&table).map_err(|e| format!("encoding names: {e}"))?;
    let header_len =
        u32::try_from(header_bytes.len()).map_err(|_| "header too large".to_string())?;
    let table_len =
        u32::try_from(table_bytes.len()).map_err(|_| "name table too large".to_string())?;

    let mut out =
        Vec::with_capacity(PREAMBLE_LEN + header_bytes.len() + table_bytes.len() + body.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&header_len.to_le_bytes());
    out.extend_from_slice(&table_len.to_le_bytes());
    out.extend_from_slice(&(body.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&table_bytes);
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads only the preamble and header of an index file (a few hundred
/// bytes), checking the file length against the preamble.
pub(crate) fn read_header(path: &Path) -> Result<IndexHeader, ReadFailure> {
    let mut file = fs_err::File::open(path).map_err(ReadFailure::Io)?;
    let file_len = file.metadata().map_err(ReadFailure::Io)?.len();
    let mut pre = [0u8; PREAMBLE_LEN];
    if let Err(e) = file.read_exact(&mut pre) {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            return Err(ReadFailure::Corrupt(format!(
                "file is {file_len} bytes, shorter than the {PREAMBLE_LEN}-byte preamble"
            )));
        }
        return Err(ReadFailure::Io(e));
    }
    let version = u32::from_le_bytes(le4(&pre[8..12]));
    if pre[..8] == MAGIC && version != FORMAT_VERSION {
        return Err(ReadFailure::Format(version));
    }
    let preamble = Preamble::parse(&pre).map_err(ReadFailure::Corrupt)?;
    check_len(&preamble, file_len).map_err(ReadFailure::Corrupt)?;
    let mut header = vec![0u8; preamble.header_len];
    file.read_exact(&mut header).map_err(ReadFailure::Io)?;
    postcard::from_bytes(&header)
        .map_err(|e| ReadFailure::Corrupt(format!("undecodable header: {e}")))
}

fn check_len(preamble: &Preamble, file_len: u64) -> Result<(), String> {
    match preamble.total() {
        Some(total) if total as u64 == file_len => Ok(()),
        Some(total) => Err(format!(
            "file is {file_len} bytes but its preamble describes {total} (truncated or overwritten)"
        )),
        None => Err("section lengths overflow".to_string()),
    }
}

/// Why an index could not be read.
#[derive(Debug)]
pub(crate) enum ReadFailure {
    Io(std::io::Error),
    Corrupt(String),
    /// An index of another format version (written by another build).
    Format(u32),
}

/// A loaded index: the whole file in memory, the name table decoded, each
/// package's records decoded on first lookup.
pub(crate) struct LoadedIndex {
    bytes: Vec<u8>,
    body_start: usize,
    names: Vec<NameEntry>,
}

struct NameEntry {
    name: String,
    start: usize,
    end: usize,
    decoded: OnceLock<Result<Vec<IndexedVuln>, String>>,
}

impl LoadedIndex {
    /// Parses the preamble and name table of `bytes` (the whole file).
    pub(crate) fn parse(bytes: Vec<u8>) -> Result<LoadedIndex, String> {
        let preamble = Preamble::parse(&bytes)?;
        check_len(&preamble, bytes.len() as u64)?;
        let table_start = PREAMBLE_LEN + preamble.header_len;
        let body_start = table_start + preamble.table_len;
        let table: Vec<(String, u32, u32)> = postcard::from_bytes(&bytes[table_start..body_start])
            .map_err(|e| format!("undecodable name table: {e}"))?;
        let mut names = Vec::with_capacity(table.len());
        for (name, offset, len) in table {
            let start = offset as usize;
            let end = start
                .checked_add(len as usize)
                .filter(|end| *end <= preamble.body_len)
                .ok_or_else(|| format!("entry {name:?} points outside the body"))?;
            if let Some(prev) = names.last().map(|p: &NameEntry| p.name.as_str()) {
                if prev >= name.as_str() {
                    return Err(format!("name table not sorted at {name:?}"));
                }
            }
            names.push(NameEntry {
                name,
                start,
                end,
                decoded: OnceLock::new(),
            });
        }
        Ok(LoadedIndex {
            bytes,
            body_start,
            names,
        })
    }

    /// The records for one normalized name; empty when the name is absent.
    pub(crate) fn get(&self, name: &str) -> Result<&[IndexedVuln], String> {
        let Ok(i) = self
            .names
            .binary_search_by(|entry| entry.name.as_str().cmp(name))
        else {
            return Ok(&[]);
        };
        let entry = &self.names[i];
        let decoded = entry.decoded.get_or_init(|| {
            let slice = &self.bytes[self.body_start + entry.start..self.body_start + entry.end];
            postcard::from_bytes(slice)
                .map_err(|e| format!("undecodable records for {:?}: {e}", entry.name))
        });
        decoded.as_deref().map_err(Clone::clone)
    }

    /// Number of package names in the index.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.names.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> IndexHeader {
        IndexHeader {
            ecosystem: Ecosystem::CratesIo,
            records: 1,
            packages: 1,
            skipped_corrupt: 0,
            withdrawn: 0,
            git_ranges: 0,
            archive_sha256: "00".into(),
            source: "test".into(),
            updated_at: "2025-01-01T00:00:00Z".into(),
        }
    }

    fn vuln(id: &str) -> IndexedVuln {
        IndexedVuln {
            id: id.into(),
            aliases: vec!["CVE-1".into()],
            summary: Some("s".into()),
            severity: vec![],
            severity_label: None,
            informational: None,
            affected: vec![],
            modified: None,
            imports: vec!["a/b".into()],
        }
    }

    #[test]
    fn round_trip_and_lookup() {
        let mut entries = BTreeMap::new();
        entries.insert("a".to_string(), vec![vuln("X-1")]);
        entries.insert("b".to_string(), vec![vuln("X-2"), vuln("X-3")]);
        let bytes = encode(&header(), &entries).unwrap();
        let index = LoadedIndex::parse(bytes).unwrap();
        assert_eq!(index.len(), 2);
        assert_eq!(index.get("b").unwrap().len(), 2);
        assert_eq!(index.get("a").unwrap()[0].id, "X-1");
        assert!(index.get("c").unwrap().is_empty());
    }

    #[test]
    fn an_older_format_is_refused_with_a_reason() {
        let mut entries = BTreeMap::new();
        entries.insert("a".to_string(), vec![vuln("X-1")]);
        let mut bytes = encode(&header(), &entries).unwrap();
        bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
        let e = LoadedIndex::parse(bytes).err().unwrap();
        assert!(
            e.contains("version 1 was written by an older agent-immune"),
            "{e}"
        );
    }

    #[test]
    fn every_truncation_is_an_error_not_a_panic() {
        let mut entries = BTreeMap::new();
        entries.insert("a".to_string(), vec![vuln("X-1")]);
        let bytes = encode(&header(), &entries).unwrap();
        for cut in 0..bytes.len() {
            assert!(
                LoadedIndex::parse(bytes[..cut].to_vec()).is_err(),
                "cut {cut}"
            );
        }
    }
}
