//! Cold storage: zstd-compressed JSON Lines files of evicted facts.
//!
//! ```text
//! {"format":"autonomic-brain-archive","version":1,"batch":7,"rows":2,"written_at":1764576000000}
//! {"uid":"9f…","scope":"project","project":"web","session":null,"subject":null,"content":"…",…}
//! {"uid":"01…",…}
//! ```
//!
//! A file is written under a temporary name, fsynced, renamed into place and
//! its directory fsynced, so a file under its final name is always complete;
//! the zstd frame carries a checksum and the header the row count, so a
//! damaged or truncated file is refused rather than half-read.

use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{BrainError, Result};

/// The header's `format`.
pub(crate) const FORMAT: &str = "autonomic-brain-archive";
/// The header's `version`.
pub(crate) const VERSION: u32 = 1;
/// zstd level: fast, and still ~4× on prose.
const LEVEL: i32 = 3;

/// First line of an archive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Header {
    pub format: String,
    pub version: u32,
    pub batch: i64,
    pub rows: u64,
    pub written_at: i64,
}

impl Header {
    /// The header of batch `batch` holding `rows` facts, written at `now` (ms).
    pub(crate) fn new(batch: i64, rows: usize, now: i64) -> Header {
        Header {
            format: FORMAT.to_owned(),
            version: VERSION,
            batch,
            rows: rows as u64,
            written_at: now,
        }
    }
}

/// One archived fact, every stored field (times in Unix milliseconds).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ArchivedFact {
    pub uid: String,
    pub scope: String,
    pub project: Option<String>,
    pub session: Option<String>,
    pub subject: Option<String>,
    pub content: String,
    pub tags: Vec<String>,
    pub source: String,
    pub confidence: f64,
    pub valid_from: Option<i64>,
    pub invalid_at: Option<i64>,
    pub created_at: i64,
    pub superseded_at: Option<i64>,
}

/// Writes `facts` to `path` durably (temporary file, fsync, rename, fsync of
/// the directory). An existing file of that name is replaced.
pub(crate) fn write(path: &Path, header: &Header, facts: &[ArchivedFact]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let tmp = tmp_path(path);
    let file = fs_err::File::create(&tmp)?;
    let mut encoder = zstd::Encoder::new(file, LEVEL)?;
    encoder.include_checksum(true)?;
    let mut out = std::io::BufWriter::new(encoder);
    serde_json::to_writer(&mut out, header).map_err(std::io::Error::other)?;
    out.write_all(b"\n")?;
    for fact in facts {
        serde_json::to_writer(&mut out, fact).map_err(std::io::Error::other)?;
        out.write_all(b"\n")?;
    }
    let encoder = out.into_inner().map_err(|e| e.into_error())?;
    let file = encoder.finish()?;
    file.sync_all()?;
    drop(file);
    fs_err::rename(&tmp, path)?;
    fs_err::File::open(dir)?.sync_all()?;
    Ok(())
}

/// `NAME.tmp` beside `NAME`.
pub(crate) fn tmp_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".tmp");
    path.with_file_name(name)
}

/// Reads and checks a whole archive.
pub(crate) fn read(path: &Path) -> Result<(Header, Vec<ArchivedFact>)> {
    let bad = |line: usize, reason: String| BrainError::Archive {
        path: path.to_path_buf(),
        line,
        reason,
    };
    let file = fs_err::File::open(path)?;
    let decoder = zstd::Decoder::new(file).map_err(|e| bad(0, format!("not zstd: {e}")))?;
    let mut lines = BufReader::new(decoder).lines();
    let header_line = match lines.next() {
        Some(Ok(line)) => line,
        Some(Err(e)) => return Err(bad(0, format!("not a complete zstd archive: {e}"))),
        None => return Err(bad(0, "empty archive".to_owned())),
    };
    let header: Header = serde_json::from_str(&header_line)
        .map_err(|e| bad(1, format!("not an archive header: {e}")))?;
    if header.format != FORMAT {
        return Err(bad(
            1,
            format!("format `{}`, expected `{FORMAT}`", header.format),
        ));
    }
    if header.version != VERSION {
        return Err(bad(
            1,
            format!(
                "archive version {}, this build reads {VERSION}",
                header.version
            ),
        ));
    }
    let mut facts = Vec::new();
    for (index, line) in lines.enumerate() {
        let number = index + 2;
        let line = line.map_err(|e| bad(number, format!("not a complete zstd archive: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let fact: ArchivedFact =
            serde_json::from_str(&line).map_err(|e| bad(number, e.to_string()))?;
        facts.push(fact);
    }
    if facts.len() as u64 != header.rows {
        return Err(bad(
            0,
            format!(
                "the header promises {} facts but the file holds {}",
                header.rows,
                facts.len()
            ),
        ));
    }
    Ok((header, facts))
}
