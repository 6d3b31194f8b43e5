//! `db update`: pull OSV archives (URL, directory or zip), verify them,
//! build each ecosystem's index and swap it in atomically.
//!
//! Each ecosystem is independent: a failed download, a truncated archive or
//! an archive without a single valid record fails that ecosystem only and
//! leaves its previous index untouched. One corrupt record is skipped and
//! counted, never aborting the import.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::db::{index_path, DbError, IndexedVuln};
use super::index::{self, IndexHeader};
use super::record::{Affected, OsvRecord, RangeType};
use crate::types::Ecosystem;
use crate::version::normalize_name;

/// osv.dev's public bucket: archives at `<base>/<Ecosystem>/all.zip`.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Largest archive accepted (osv.dev's biggest is a few hundred MiB).
const MAX_ARCHIVE_BYTES: u64 = 2 << 30;
/// Largest single record accepted; bigger entries are skipped as corrupt.
const MAX_RECORD_BYTES: u64 = 16 << 20;

/// Where to pull records from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A mirror base URL: files at `<base>/<Ecosystem>/all.zip`.
    Url(String),
    /// A directory laid out like the mirror (`<Ecosystem>/all.zip`), or a
    /// directory of loose `*.json` records (ecosystem given or inferred).
    Dir(PathBuf),
    /// One `all.zip` (ecosystem given or inferred from its records).
    Zip(PathBuf),
}

impl Source {
    /// `http(s)://…` is a URL, an existing directory a directory, anything else a zip.
    pub fn parse(s: &str) -> Source {
        if s.starts_with("http://") || s.starts_with("https://") {
            Source::Url(s.to_string())
        } else if Path::new(s).is_dir() {
            Source::Dir(PathBuf::from(s))
        } else {
            Source::Zip(PathBuf::from(s))
        }
    }
}

impl std::fmt::Display for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Source::Url(u) => f.write_str(u),
            Source::Dir(p) | Source::Zip(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Progress of an update, for a progress bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Bytes received so far; `total` when the server sent `Content-Length`.
    Downloading {
        /// Ecosystem being downloaded.
        eco: Ecosystem,
        /// Bytes so far.
        bytes: u64,
        /// Expected size.
        total: Option<u64>,
    },
    /// Records parsed so far.
    Importing {
        /// Ecosystem being imported.
        eco: Ecosystem,
        /// Records so far.
        records: usize,
    },
    /// The ecosystem's index was swapped in.
    Done {
        /// Ecosystem.
        eco: Ecosystem,
    },
}

/// The outcome of one ecosystem's successful update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The ecosystem.
    pub ecosystem: Ecosystem,
    /// Records indexed (valid, not withdrawn, affecting this ecosystem).
    pub records: usize,
    /// Entries that failed to parse (or had no id), skipped.
    pub skipped_corrupt: usize,
    /// Withdrawn records, excluded.
    pub withdrawn: usize,
    /// SHA-256 of the archive (for a loose directory: of its sorted name/content pairs).
    pub archive_sha256: String,
}

/// Parsed records of one archive or directory.
struct Parsed {
    records: Vec<OsvRecord>,
    skipped_corrupt: usize,
    sha256: String,
    location: String,
}

/// Pulls `ecosystems` (all of the source's when empty) from `source` into
/// `cache_dir`. One result per ecosystem, each independent.
pub fn update(
    cache_dir: &Path,
    source: &Source,
    ecosystems: &[Ecosystem],
    progress: &mut dyn FnMut(Progress),
) -> Vec<Result<ImportReport, DbError>> {
    match source {
        Source::Url(base) => {
            let ecos = if ecosystems.is_empty() {
                Ecosystem::ALL.to_vec()
            } else {
                ecosystems.to_vec()
            };
            ecos.into_iter()
                .map(|eco| {
                    let url = format!("{}/{}/all.zip", base.trim_end_matches('/'), eco.as_str());
                    let bytes = download(&url, eco, progress)?;
                    let parsed = parse_zip(&bytes, url, eco, progress)?;
                    install(cache_dir, eco, &parsed, progress)
                })
                .collect()
        }
        Source::Dir(dir) => {
            let laid_out: Vec<Ecosystem> = Ecosystem::ALL
                .into_iter()
                .filter(|e| dir.join(e.as_str()).join("all.zip").is_file())
                .collect();
            if !laid_out.is_empty() {
                let ecos = if ecosystems.is_empty() {
                    laid_out
                } else {
                    ecosystems.to_vec()
                };
                return ecos
                    .into_iter()
                    .map(|eco| {
                        let path = dir.join(eco.as_str()).join("all.zip");
                        let bytes = fs_err::read(&path)?;
                        let parsed = parse_zip(&bytes, path.display().to_string(), eco, progress)?;
                        install(cache_dir, eco, &parsed, progress)
                    })
                    .collect();
            }
            let first = ecosystems.first().copied().unwrap_or(Ecosystem::CratesIo);
            match parse_dir(dir, first, progress) {
                Ok(parsed) => install_each(cache_dir, &parsed, ecosystems, progress),
                Err(e) => vec![Err(e)],
            }
        }
        Source::Zip(path) => {
            let first = ecosystems.first().copied().unwrap_or(Ecosystem::CratesIo);
            let parsed = fs_err::read(path)
                .map_err(DbError::from)
                .and_then(|bytes| parse_zip(&bytes, path.display().to_string(), first, progress));
            match parsed {
                Ok(parsed) => install_each(cache_dir, &parsed, ecosystems, progress),
                Err(e) => vec![Err(e)],
            }
        }
    }
}

/// Installs each of `ecosystems`, or every ecosystem the records name when empty.
fn install_each(
    cache_dir: &Path,
    parsed: &Parsed,
    ecosystems: &[Ecosystem],
    progress: &mut dyn FnMut(Progress),
) -> Vec<Result<ImportReport, DbError>> {
    let ecos: Vec<Ecosystem> = if ecosystems.is_empty() {
        let seen: BTreeSet<Ecosystem> = parsed
            .records
            .iter()
            .flat_map(|r| &r.affected)
            .filter_map(|a| a.package.as_ref())
            .filter_map(|p| {
                let base = base_ecosystem(&p.ecosystem);
                Ecosystem::ALL.into_iter().find(|e| e.as_str() == base)
            })
            .collect();
        if seen.is_empty() {
            return vec![Err(DbError::BadSource {
                location: parsed.location.clone(),
                reason: "no record names a supported ecosystem; pass --ecosystem".to_string(),
            })];
        }
        seen.into_iter().collect()
    } else {
        ecosystems.to_vec()
    };
    ecos.into_iter()
        .map(|eco| install(cache_dir, eco, parsed, progress))
        .collect()
}

/// `"Debian:11"` → `"Debian"`.
fn base_ecosystem(s: &str) -> &str {
    s.split(':').next().unwrap_or(s)
}

fn download(
    url: &str,
    eco: Ecosystem,
    progress: &mut dyn FnMut(Progress),
) -> Result<Vec<u8>, DbError> {
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| DbError::Download {
        url: url.to_string(),
        source,
    };
    // The operating system's trust store (and SSL_CERT_FILE), as curl and pip
    // use: a machine behind a TLS-inspecting proxy trusts its CA there.
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::PlatformVerifier)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(tls)
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .timeout_global(Some(Duration::from_secs(30 * 60)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|e| fail(Box::new(e)))?;
    let total = response.body().content_length();
    if let Some(total) = total.filter(|t| *t > MAX_ARCHIVE_BYTES) {
        return Err(fail(
            format!("archive is {total} bytes, over the {MAX_ARCHIVE_BYTES}-byte cap").into(),
        ));
    }
    let mut reader = response.into_body().into_reader();
    let mut bytes = Vec::with_capacity(total.unwrap_or(0).min(256 << 20) as usize);
    let mut chunk = vec![0u8; 256 * 1024];
    let mut last_report = 0u64;
    loop {
        let n = reader.read(&mut chunk).map_err(|e| fail(Box::new(e)))?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&chunk[..n]);
        let so_far = bytes.len() as u64;
        if so_far > MAX_ARCHIVE_BYTES {
            return Err(fail(
                format!("archive exceeds the {MAX_ARCHIVE_BYTES}-byte cap").into(),
            ));
        }
        if so_far - last_report >= 1 << 20 {
            last_report = so_far;
            progress(Progress::Downloading {
                eco,
                bytes: so_far,
                total,
            });
        }
    }
    if let Some(total) = total.filter(|t| *t != bytes.len() as u64) {
        return Err(fail(
            format!("received {} of {total} bytes", bytes.len()).into(),
        ));
    }
    progress(Progress::Downloading {
        eco,
        bytes: bytes.len() as u64,
        total,
    });
    Ok(bytes)
}

fn parse_record(bytes: &[u8]) -> Option<OsvRecord> {
    serde_json::from_slice::<super::lean::LeanRecord>(bytes)
        .ok()
        .map(OsvRecord::from)
        .filter(|r| !r.id.trim().is_empty())
}

/// Reads every `*.json` entry. A record that does not parse is counted; an
/// archive that does not read (central directory, CRC, truncated data) fails.
fn parse_zip(
    bytes: &[u8],
    location: String,
    eco: Ecosystem,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, DbError> {
    let archive_error = |source| DbError::Archive {
        location: location.clone(),
        source,
    };
    let sha256 = hex::encode(Sha256::digest(bytes));
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(archive_error)?;
    // Two phases: decompress every entry into one buffer, then parse.
    // Interleaving per-entry decompressor buffers with long-lived records
    // fragmented the heap (a 3 MB Go archive peaked at 110 MB RSS).
    let mut skipped_corrupt = 0;
    let mut all: Vec<u8> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(archive_error)?;
        if entry.is_dir() {
            continue;
        }
        match entry.name() {
            Ok(name) if name.ends_with(".json") => {}
            Ok(_) => continue,
            Err(_) => {
                // A name that is not UTF-8 is junk, like an unparseable record.
                skipped_corrupt += 1;
                continue;
            }
        }
        let start = all.len();
        entry
            .take(MAX_RECORD_BYTES + 1)
            .read_to_end(&mut all)
            .map_err(|e| archive_error(zip::result::ZipError::Io(e)))?;
        if (all.len() - start) as u64 > MAX_RECORD_BYTES {
            all.truncate(start);
            skipped_corrupt += 1;
            continue;
        }
        spans.push((start, all.len()));
    }
    drop(archive);
    let mut records = Vec::with_capacity(spans.len());
    for (start, end) in spans {
        match parse_record(&all[start..end]) {
            Some(r) => records.push(r),
            None => skipped_corrupt += 1,
        }
        if records.len() % 1000 == 0 {
            progress(Progress::Importing {
                eco,
                records: records.len(),
            });
        }
    }
    Ok(Parsed {
        records,
        skipped_corrupt,
        sha256,
        location,
    })
}

/// Loose `*.json` records in one directory (not recursive).
fn parse_dir(
    dir: &Path,
    eco: Ecosystem,
    progress: &mut dyn FnMut(Progress),
) -> Result<Parsed, DbError> {
    let mut paths: Vec<PathBuf> = fs_err::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.retain(|p| p.extension().is_some_and(|x| x == "json") && p.is_file());
    paths.sort();
    if paths.is_empty() {
        return Err(DbError::BadSource {
            location: dir.display().to_string(),
            reason: "neither <Ecosystem>/all.zip nor *.json records found".to_string(),
        });
    }
    let mut hasher = Sha256::new();
    let mut records = Vec::with_capacity(paths.len());
    let mut skipped_corrupt = 0;
    for path in &paths {
        let bytes = fs_err::read(path)?;
        if let Some(name) = path.file_name() {
            hasher.update(name.as_encoded_bytes());
        }
        hasher.update([0]);
        hasher.update(&bytes);
        match parse_record(&bytes) {
            Some(r) => records.push(r),
            None => skipped_corrupt += 1,
        }
        if records.len() % 1000 == 0 {
            progress(Progress::Importing {
                eco,
                records: records.len(),
            });
        }
    }
    Ok(Parsed {
        records,
        skipped_corrupt,
        sha256: hex::encode(hasher.finalize()),
        location: dir.display().to_string(),
    })
}

/// Builds `eco`'s index from `parsed` and swaps it in.
fn install(
    cache_dir: &Path,
    eco: Ecosystem,
    parsed: &Parsed,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, DbError> {
    let built = build(eco, &parsed.records);
    progress(Progress::Importing {
        eco,
        records: built.records,
    });
    if built.records == 0 {
        return Err(DbError::NoRecords {
            ecosystem: eco,
            location: parsed.location.clone(),
            skipped_corrupt: parsed.skipped_corrupt,
            withdrawn: built.withdrawn,
        });
    }
    let header = IndexHeader {
        ecosystem: eco,
        records: built.records as u64,
        packages: built.entries.len() as u64,
        skipped_corrupt: parsed.skipped_corrupt as u64,
        withdrawn: built.withdrawn as u64,
        git_ranges: built.git_ranges as u64,
        archive_sha256: parsed.sha256.clone(),
        source: parsed.location.clone(),
        updated_at: OffsetDateTime::now_utc()
            .format(&Rfc3339)
            .unwrap_or_default(),
    };
    let path = index_path(cache_dir, eco);
    let bytes = index::encode(&header, &built.entries).map_err(|reason| DbError::Corrupt {
        path: path.clone(),
        reason,
    })?;
    write_atomically(&path, &bytes)?;
    progress(Progress::Done { eco });
    Ok(ImportReport {
        ecosystem: eco,
        records: built.records,
        skipped_corrupt: parsed.skipped_corrupt,
        withdrawn: built.withdrawn,
        archive_sha256: parsed.sha256.clone(),
    })
}

struct Built {
    entries: BTreeMap<String, Vec<IndexedVuln>>,
    records: usize,
    withdrawn: usize,
    git_ranges: usize,
}

fn build(eco: Ecosystem, records: &[OsvRecord]) -> Built {
    let mut built = Built {
        entries: BTreeMap::new(),
        records: 0,
        withdrawn: 0,
        git_ranges: 0,
    };
    for record in records {
        // This record's affected entries for `eco`, grouped by normalized name.
        let mut by_name: BTreeMap<String, Vec<&Affected>> = BTreeMap::new();
        for affected in &record.affected {
            let Some(package) = &affected.package else {
                continue;
            };
            if base_ecosystem(&package.ecosystem) != eco.as_str() {
                continue;
            }
            by_name
                .entry(normalize_name(eco, &package.name))
                .or_default()
                .push(affected);
        }
        if by_name.is_empty() {
            continue;
        }
        if record.withdrawn.is_some() {
            built.withdrawn += 1;
            continue;
        }
        built.records += 1;
        for (name, entries) in by_name {
            built.git_ranges += entries
                .iter()
                .flat_map(|a| &a.ranges)
                .filter(|r| r.kind == RangeType::Git)
                .count();
            built
                .entries
                .entry(name)
                .or_default()
                .push(indexed(record, &entries));
        }
    }
    for vulns in built.entries.values_mut() {
        vulns.sort_by(|a, b| a.id.cmp(&b.id));
    }
    built
}

fn indexed(record: &OsvRecord, entries: &[&Affected]) -> IndexedVuln {
    let mut severity = record.severity.clone();
    for s in entries.iter().flat_map(|a| &a.severity) {
        if !severity.contains(s) {
            severity.push(s.clone());
        }
    }
    let specifics = || {
        std::iter::once(&record.database_specific)
            .chain(entries.iter().map(|a| &a.database_specific))
            .chain(entries.iter().map(|a| &a.ecosystem_specific))
            .flatten()
    };
    let string_key = |key: &str| {
        specifics()
            .filter_map(|v| v.get(key)?.as_str())
            .map(str::trim)
            .find(|s| !s.is_empty())
            .map(str::to_string)
    };
    IndexedVuln {
        id: record.id.clone(),
        aliases: record.aliases.clone(),
        summary: record.summary.clone(),
        severity,
        severity_label: string_key("severity"),
        informational: string_key("informational").map(|s| s.to_ascii_lowercase()),
        // What the scanner needs from `*_specific` (severity label,
        // informational kind) is extracted above; the rest is dropped so a
        // lookup never parses JSON.
        affected: entries
            .iter()
            .map(|a| Affected {
                ecosystem_specific: None,
                database_specific: None,
                ..(*a).clone()
            })
            .collect(),
        modified: record.modified.clone(),
        imports: import_paths(entries),
    }
}

/// `ecosystem_specific.imports[].path` of `entries`, sorted and deduplicated.
fn import_paths(entries: &[&Affected]) -> Vec<String> {
    let mut paths: Vec<String> = entries
        .iter()
        .filter_map(|a| a.ecosystem_specific.as_ref()?.get("imports")?.as_array())
        .flatten()
        .filter_map(|i| i.get("path")?.as_str())
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

/// Writes `bytes` to a temporary file next to `path`, fsyncs it, renames it
/// over `path` and fsyncs the directory. On failure the temporary file is
/// removed and `path` is untouched.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), DbError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir)?;
    let tmp = dir.join(format!(
        ".index.bin.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> std::io::Result<()> {
        let mut file = fs_err::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        fs_err::rename(&tmp, path)?;
        #[cfg(unix)]
        fs_err::File::open(dir)?.sync_all()?;
        Ok(())
    })();
    if result.is_err() {
        let _ = fs_err::remove_file(&tmp);
    }
    Ok(result?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_parse() {
        assert_eq!(
            Source::parse("https://example.org/osv"),
            Source::Url("https://example.org/osv".into())
        );
        assert_eq!(
            Source::parse("/no/such/all.zip"),
            Source::Zip("/no/such/all.zip".into())
        );
        let dir = std::env::temp_dir();
        assert_eq!(
            Source::parse(&dir.display().to_string()),
            Source::Dir(dir.clone())
        );
    }

    #[test]
    fn build_groups_by_normalized_name_and_labels() {
        let record: OsvRecord = serde_json::from_value(serde_json::json!({
            "id": "GHSA-xxxx",
            "aliases": ["CVE-2024-1"],
            "database_specific": {"severity": "MODERATE"},
            "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
            "affected": [
                {"package": {"ecosystem": "PyPI", "name": "Django_REST.framework"},
                 "ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "0"}]},
                            {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "3.1"}]}]},
                {"package": {"ecosystem": "PyPI:extra", "name": "django-rest-framework"},
                 "versions": ["1.0"]},
                {"package": {"ecosystem": "npm", "name": "other"}}
            ]
        }))
        .unwrap();
        let withdrawn: OsvRecord = serde_json::from_value(serde_json::json!({
            "id": "PYSEC-w", "withdrawn": "2024-01-01T00:00:00Z",
            "affected": [{"package": {"ecosystem": "PyPI", "name": "x"}}]
        }))
        .unwrap();
        let built = build(Ecosystem::PyPI, &[record, withdrawn]);
        assert_eq!(
            (built.records, built.withdrawn, built.git_ranges),
            (1, 1, 1)
        );
        let vulns = &built.entries["django-rest-framework"];
        assert_eq!(vulns.len(), 1);
        assert_eq!(vulns[0].affected.len(), 2);
        assert_eq!(vulns[0].severity_label.as_deref(), Some("MODERATE"));
        assert_eq!(vulns[0].severity.len(), 1);

        // Round trip through the index codec keeps everything.
        let bytes = postcard::to_stdvec(&vulns[0]).unwrap();
        let back: IndexedVuln = postcard::from_bytes(&bytes).unwrap();
        assert_eq!(&back, &vulns[0]);
    }

    #[test]
    fn rustsec_informational_is_labelled() {
        let record: OsvRecord = serde_json::from_value(serde_json::json!({
            "id": "RUSTSEC-2020-0001",
            "affected": [{"package": {"ecosystem": "crates.io", "name": "foo"},
                          "database_specific": {"informational": "Unmaintained"},
                          "ecosystem_specific": {"affects": {"functions": ["foo::bar"]}}}]
        }))
        .unwrap();
        let built = build(Ecosystem::CratesIo, &[record]);
        let v = &built.entries["foo"][0];
        assert_eq!(v.informational.as_deref(), Some("unmaintained"));
        let back: IndexedVuln = postcard::from_bytes(&postcard::to_stdvec(v).unwrap()).unwrap();
        assert_eq!(&back, v);
        assert!(v.imports.is_empty());
    }

    #[test]
    fn go_import_paths_are_kept() {
        let record: OsvRecord = serde_json::from_value(serde_json::json!({
            "id": "GO-2022-0001",
            "affected": [
                {"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
                 "ecosystem_specific": {"imports": [
                     {"path": "golang.org/x/net/http2", "symbols": ["Server.ServeConn"]},
                     {"path": "golang.org/x/net/html"}]}},
                {"package": {"ecosystem": "Go", "name": "golang.org/x/net"},
                 "ecosystem_specific": {"imports": [{"path": "golang.org/x/net/http2"}, {"nopath": 1}]}},
                {"package": {"ecosystem": "Go", "name": "stdlib"},
                 "ecosystem_specific": {"imports": [{"path": "net/http"}]}}
            ]
        }))
        .unwrap();
        let built = build(Ecosystem::Go, &[record]);
        let v = &built.entries["golang.org/x/net"][0];
        assert_eq!(
            v.imports,
            ["golang.org/x/net/html", "golang.org/x/net/http2"]
        );
        assert_eq!(built.entries["stdlib"][0].imports, ["net/http"]);
        let back: IndexedVuln = postcard::from_bytes(&postcard::to_stdvec(v).unwrap()).unwrap();
        assert_eq!(&back, v);
    }
}
