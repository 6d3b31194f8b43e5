//! The local OSV database: import from a loopback HTTP mirror, a directory
//! and a zip; corrupt records, truncated archives, corrupt indexes.
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions panic on failure by design"
)]

use autonomic_core::Hint as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Instant;

use agent_immune::osv::{update, Database, DbError, ImportReport, Progress, Source};
use agent_immune::version::normalize_name;
use agent_immune::Ecosystem;

use crate::testdata;

/// The real OSV archives, `testdata/osv/<Ecosystem>/all.zip`.
fn osv_dir() -> PathBuf {
    testdata("osv")
}

/// Serves files under `root` over HTTP/1.1 on 127.0.0.1 (one thread per
/// connection, `Content-Length`, `Connection: close`). With `short_body`,
/// announces the full length but sends only that many bytes, then closes.
fn serve(root: PathBuf, short_body: Option<usize>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let root = root.clone();
            std::thread::spawn(move || {
                // A client hanging up mid-response is not the server's problem.
                let _ = handle(stream, &root, short_body);
            });
        }
    });
    format!("http://{addr}")
}

fn handle(mut stream: TcpStream, root: &Path, short_body: Option<usize>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
    }
    let mut parts = request_line.split_whitespace();
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
    let relative: PathBuf = target
        .trim_start_matches('/')
        .split('/')
        .filter(|s| !s.is_empty() && *s != "." && *s != "..")
        .collect();
    let file = root.join(relative);
    let body = if method == "GET" && file.is_file() {
        Some(fs_err::read(&file)?)
    } else {
        None
    };
    match body {
        Some(body) => {
            write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: application/zip\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            let n = short_body.unwrap_or(body.len()).min(body.len());
            stream.write_all(&body[..n])?;
        }
        None => {
            let msg = b"not found\n";
            write!(
                stream,
                "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                msg.len()
            )?;
            stream.write_all(msg)?;
        }
    }
    stream.flush()
}

fn ok(results: Vec<Result<ImportReport, DbError>>) -> Vec<ImportReport> {
    results
        .into_iter()
        .map(|r| r.unwrap_or_else(|e| panic!("update failed: {e} ({e:?})")))
        .collect()
}

fn counts(r: &ImportReport) -> (Ecosystem, usize, usize, usize) {
    (r.ecosystem, r.records, r.skipped_corrupt, r.withdrawn)
}

/// The README table (records incl. withdrawn): crates.io 1,206 / 13 withdrawn,
/// PyPI 2,661 / 10, npm 467 / 0, Go 4,291 / 17, RubyGems 1,206 / 0, Packagist 1,400 / 0.
///
/// "Schema-invalid" (7 PyPI, 1 npm) means records that break the OSV schema
/// in their *values* — malformed `fixed` commit hashes, a bad CVSS vector —
/// while still being well-formed JSON with the right shapes. Our parser is
/// deliberately lenient about values (versions, hashes and vectors are kept
/// as strings and judged at match/score time), so those records import and
/// `skipped_corrupt` is 0; only entries that are not JSON, have the wrong
/// shape, or lack an id are skipped.
const EXPECTED: [(Ecosystem, usize, usize, usize); 6] = [
    (Ecosystem::CratesIo, 1206 - 13, 0, 13),
    (Ecosystem::Npm, 467, 0, 0),
    (Ecosystem::PyPI, 2661 - 10, 0, 10),
    (Ecosystem::Go, 4291 - 17, 0, 17),
    (Ecosystem::RubyGems, 1206, 0, 0),
    (Ecosystem::Packagist, 1400, 0, 0),
];

fn expected(eco: Ecosystem) -> (Ecosystem, usize, usize, usize) {
    EXPECTED.into_iter().find(|e| e.0 == eco).unwrap()
}

#[test]
fn http_mirror_imports_every_ecosystem() {
    let base = serve(osv_dir(), None);
    let cache = tempfile::tempdir().unwrap();
    let mut events = Vec::new();
    let reports = ok(update(cache.path(), &Source::Url(base), &[], &mut |p| {
        events.push(p)
    }));
    let got: Vec<_> = reports.iter().map(counts).collect();
    let mut want = EXPECTED.to_vec();
    want.sort_by_key(|e| Ecosystem::ALL.iter().position(|x| *x == e.0));
    assert_eq!(got, want);

    for eco in Ecosystem::ALL {
        let size = fs_err::metadata(osv_dir().join(eco.as_str()).join("all.zip"))
            .unwrap()
            .len();
        assert!(
            events.contains(&Progress::Downloading {
                eco,
                bytes: size,
                total: Some(size)
            }),
            "no final download progress for {eco}"
        );
        assert!(events.contains(&Progress::Done { eco }));
    }

    let db = Database::open(cache.path()).unwrap();
    let status = db.status().unwrap();
    assert_eq!(status.len(), EXPECTED.len());
    for s in &status {
        let (_, records, skipped, withdrawn) = expected(s.ecosystem);
        assert_eq!(
            (
                s.records as usize,
                s.skipped_corrupt as usize,
                s.withdrawn as usize
            ),
            (records, skipped, withdrawn)
        );
        assert!(s.problem.is_none());
        assert!(s.index_bytes > 0);
        assert_eq!(s.archive_sha256.len(), 64);
        assert!(s.source.starts_with("http://127.0.0.1:"));
        assert!(s.age < time::Duration::minutes(5));
    }
    let pypi = status
        .iter()
        .find(|s| s.ecosystem == Ecosystem::PyPI)
        .unwrap();
    assert!(
        pypi.git_ranges_skipped > 0,
        "PyPI mixes GIT and ECOSYSTEM ranges"
    );
    assert!(db.oldest_update().is_some());
}

#[test]
fn http_404_fails_only_that_ecosystem() {
    let base = serve(osv_dir(), None);
    let cache = tempfile::tempdir().unwrap();
    let results = update(
        cache.path(),
        &Source::Url(format!("{base}/nowhere")),
        &[Ecosystem::Npm],
        &mut |_| {},
    );
    let err = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(err, DbError::Download { .. }), "{err:?}");
    assert!(err.to_string().contains("/nowhere/npm/all.zip"), "{err}");
    assert!(matches!(
        Database::open(cache.path()),
        Err(DbError::Missing { .. })
    ));
}

#[test]
fn directory_and_zip_forms_import_the_same_records() {
    let cache = tempfile::tempdir().unwrap();
    // Directory laid out like the mirror; ecosystems inferred from the layout.
    let from_dir = ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[],
        &mut |_| {},
    ));
    assert_eq!(from_dir.len(), EXPECTED.len());
    for r in &from_dir {
        assert_eq!(counts(r), expected(r.ecosystem));
    }

    // One zip, ecosystem inferred from its records.
    let zip_cache = tempfile::tempdir().unwrap();
    let from_zip = ok(update(
        zip_cache.path(),
        &Source::Zip(osv_dir().join("PyPI/all.zip")),
        &[],
        &mut |_| {},
    ));
    assert_eq!(from_zip.len(), 1);
    assert_eq!(counts(&from_zip[0]), expected(Ecosystem::PyPI));
    let dir_pypi = from_dir
        .iter()
        .find(|r| r.ecosystem == Ecosystem::PyPI)
        .unwrap();
    assert_eq!(from_zip[0].archive_sha256, dir_pypi.archive_sha256);

    // Same answers from both caches.
    let a = Database::open(cache.path()).unwrap();
    let b = Database::open(zip_cache.path()).unwrap();
    assert_eq!(
        a.lookup(Ecosystem::PyPI, "django").unwrap(),
        b.lookup(Ecosystem::PyPI, "django").unwrap()
    );
}

/// Unpacks the first `n` entries of an archive as loose files.
fn extract_first(zip_path: &Path, n: usize, into: &Path) -> Vec<(String, Vec<u8>)> {
    let mut archive = zip::ZipArchive::new(fs_err::File::open(zip_path).unwrap()).unwrap();
    let mut out = Vec::new();
    for i in 0..n.min(archive.len()) {
        let mut entry = archive.by_index(i).unwrap();
        let name = entry.name().unwrap().to_string();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).unwrap();
        fs_err::write(into.join(&name), &bytes).unwrap();
        out.push((name, bytes));
    }
    out
}

fn is_withdrawn(bytes: &[u8]) -> bool {
    let v: serde_json::Value = serde_json::from_slice(bytes).unwrap();
    v.get("withdrawn").is_some_and(|w| !w.is_null())
}

#[test]
fn loose_directory_of_records_imports_for_the_given_ecosystem() {
    let loose = tempfile::tempdir().unwrap();
    let files = extract_first(&osv_dir().join("crates.io/all.zip"), 40, loose.path());
    let withdrawn = files.iter().filter(|(_, b)| is_withdrawn(b)).count();
    let cache = tempfile::tempdir().unwrap();
    let reports = ok(update(
        cache.path(),
        &Source::Dir(loose.path().to_path_buf()),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    ));
    assert_eq!(
        counts(&reports[0]),
        (Ecosystem::CratesIo, 40 - withdrawn, 0, withdrawn)
    );
}

#[test]
fn one_corrupt_record_is_skipped_and_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let loose = tmp.path().join("loose");
    fs_err::create_dir_all(&loose).unwrap();
    let files = extract_first(&osv_dir().join("crates.io/all.zip"), 25, &loose);
    let withdrawn = files.iter().filter(|(_, b)| is_withdrawn(b)).count();

    let zip_path = tmp.path().join("all.zip");
    let mut writer = zip::ZipWriter::new(fs_err::File::create(&zip_path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (i, (name, bytes)) in files.iter().enumerate() {
        if i == 10 {
            writer.start_file("BROKEN-0001.json", options).unwrap();
            writer
                .write_all(b"{\"id\": \"BROKEN-0001\", \"affected\": [")
                .unwrap();
        }
        writer.start_file(name.as_str(), options).unwrap();
        writer.write_all(bytes).unwrap();
    }
    writer.finish().unwrap();

    let cache = tempfile::tempdir().unwrap();
    let reports = ok(update(
        cache.path(),
        &Source::Zip(zip_path),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    ));
    assert_eq!(
        counts(&reports[0]),
        (Ecosystem::CratesIo, 25 - withdrawn, 1, withdrawn)
    );
    let db = Database::open(cache.path()).unwrap();
    assert_eq!(db.status().unwrap()[0].skipped_corrupt, 1);
}

/// A snapshot of what the database answers for a few names.
fn answers(cache: &Path) -> Vec<(String, Vec<String>)> {
    let db = Database::open(cache).unwrap();
    ["smallvec", "hyper", "tokio", "no-such-crate"]
        .iter()
        .map(|name| {
            let ids = db
                .lookup(Ecosystem::CratesIo, name)
                .unwrap()
                .iter()
                .map(|v| v.id.clone())
                .collect();
            (name.to_string(), ids)
        })
        .collect()
}

#[test]
fn truncated_archive_fails_that_ecosystem_and_keeps_previous_index() {
    let cache = tempfile::tempdir().unwrap();
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[Ecosystem::CratesIo, Ecosystem::Npm],
        &mut |_| {},
    ));
    let before = answers(cache.path());
    let index = cache.path().join("crates.io/index.bin");
    let index_bytes = fs_err::read(&index).unwrap();

    // A mirror directory whose crates.io archive is cut in half.
    let mirror = tempfile::tempdir().unwrap();
    let full = fs_err::read(osv_dir().join("crates.io/all.zip")).unwrap();
    fs_err::create_dir_all(mirror.path().join("crates.io")).unwrap();
    let truncated = mirror.path().join("crates.io/all.zip");
    fs_err::write(&truncated, &full[..full.len() / 2]).unwrap();
    fs_err::create_dir_all(mirror.path().join("npm")).unwrap();
    fs_err::copy(
        osv_dir().join("npm/all.zip"),
        mirror.path().join("npm/all.zip"),
    )
    .unwrap();

    let results = update(
        cache.path(),
        &Source::Dir(mirror.path().to_path_buf()),
        &[Ecosystem::CratesIo, Ecosystem::Npm],
        &mut |_| {},
    );
    let err = results[0].as_ref().unwrap_err();
    assert!(matches!(err, DbError::Archive { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&truncated.display().to_string()),
        "{err}"
    );
    assert!(results[1].is_ok(), "npm is independent: {:?}", results[1]);

    // The same through HTTP with a body cut short of its Content-Length.
    let base = serve(osv_dir(), Some(full.len() / 3));
    let results = update(
        cache.path(),
        &Source::Url(base),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    );
    let err = results[0].as_ref().unwrap_err();
    assert!(matches!(err, DbError::Download { .. }), "{err:?}");

    assert_eq!(fs_err::read(&index).unwrap(), index_bytes);
    assert_eq!(answers(cache.path()), before);
    let leftovers: Vec<_> = fs_err::read_dir(cache.path().join("crates.io"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers, vec!["index.bin"], "no temporary files left");
}

#[test]
fn lookup_finds_known_packages() {
    let cache = tempfile::tempdir().unwrap();
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[Ecosystem::CratesIo, Ecosystem::PyPI],
        &mut |_| {},
    ));
    let db = Database::open(cache.path()).unwrap();

    let smallvec = db.lookup(Ecosystem::CratesIo, "smallvec").unwrap();
    let ids: Vec<&str> = smallvec.iter().map(|v| v.id.as_str()).collect();
    assert!(ids.contains(&"RUSTSEC-2018-0003"), "{ids:?}");
    assert!(ids.contains(&"RUSTSEC-2021-0003"), "{ids:?}");
    for v in smallvec {
        assert!(!v.affected.is_empty());
        for a in &v.affected {
            assert_eq!(a.package.as_ref().unwrap().name, "smallvec");
        }
    }

    let django = db
        .lookup(Ecosystem::PyPI, &normalize_name(Ecosystem::PyPI, "Django"))
        .unwrap();
    assert!(django.len() > 50, "django has many PYSEC records");
    assert!(django.iter().any(|v| !v.aliases.is_empty()));

    // RustSec informational advisories are labelled.
    let unmaintained = db.lookup(Ecosystem::CratesIo, "libusb").unwrap();
    assert!(
        unmaintained
            .iter()
            .any(|v| v.informational.as_deref() == Some("unmaintained")),
        "{unmaintained:?}"
    );

    assert!(db
        .lookup(Ecosystem::CratesIo, "no-such-crate")
        .unwrap()
        .is_empty());
    let err = db.lookup(Ecosystem::Go, "golang.org/x/net").unwrap_err();
    assert!(matches!(err, DbError::EcosystemMissing { .. }), "{err:?}");
    assert!(err.to_string().contains("agent-immune db update"), "{err}");
}

#[test]
fn open_on_empty_dir_is_missing_with_the_fix() {
    let cache = tempfile::tempdir().unwrap();
    let err = Database::open(cache.path()).err().unwrap();
    assert!(matches!(err, DbError::Missing { .. }), "{err:?}");
    assert!(err.to_string().contains("agent-immune db update"), "{err}");
    assert_eq!(err.hint().as_deref(), Some("run `agent-immune db update`"));

    let err = Database::open(&cache.path().join("does-not-exist"))
        .err()
        .unwrap();
    assert!(matches!(err, DbError::Missing { .. }), "{err:?}");
}

#[test]
fn corrupt_index_is_an_error_naming_the_file() {
    let cache = tempfile::tempdir().unwrap();
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[Ecosystem::CratesIo, Ecosystem::Npm],
        &mut |_| {},
    ));
    let npm_index = cache.path().join("npm/index.bin");
    let good = fs_err::read(&npm_index).unwrap();

    // Garbage, a truncated file, and a flipped byte in the name table.
    let mut flipped = good.clone();
    for b in &mut flipped[40..80] {
        *b ^= 0xff;
    }
    for bad in [
        b"not an index".to_vec(),
        good[..good.len() - 7].to_vec(),
        flipped,
    ] {
        fs_err::write(&npm_index, &bad).unwrap();
        let db = Database::open(cache.path()).unwrap();
        let err = db.lookup(Ecosystem::Npm, "express").unwrap_err();
        assert!(matches!(err, DbError::Corrupt { .. }), "{err:?}");
        assert!(
            err.to_string().contains(&npm_index.display().to_string()),
            "{err}"
        );
        // Other ecosystems are unaffected; status reports the problem.
        assert!(!db
            .lookup(Ecosystem::CratesIo, "smallvec")
            .unwrap()
            .is_empty());
        let status = db.status().unwrap();
        let npm = status
            .iter()
            .find(|s| s.ecosystem == Ecosystem::Npm)
            .unwrap();
        assert!(npm.problem.is_some() || bad.len() == good.len());
    }
}

/// Not asserted: prints how long a full import and a cold open+lookup take
/// (run with `--release` for meaningful numbers).
#[test]
fn timing_of_import_and_lookup() {
    let cache = tempfile::tempdir().unwrap();
    let start = Instant::now();
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[],
        &mut |_| {},
    ));
    let import = start.elapsed();

    let start = Instant::now();
    let db = Database::open(cache.path()).unwrap();
    let opened = start.elapsed();
    let hits = db.lookup(Ecosystem::CratesIo, "smallvec").unwrap().len();
    let first = start.elapsed();
    for name in ["tokio", "hyper", "serde", "openssl", "time", "regex"] {
        db.lookup(Ecosystem::CratesIo, name).unwrap();
    }
    let more = start.elapsed();
    let start = Instant::now();
    let django = db.lookup(Ecosystem::PyPI, "django").unwrap().len();
    let pypi = start.elapsed();
    for s in db.status().unwrap() {
        eprintln!(
            "{}: {} records, {} packages, index {} bytes",
            s.ecosystem, s.records, s.packages, s.index_bytes
        );
    }
    eprintln!(
        "import all of testdata/osv: {import:?}; open: {opened:?}; open+first crates.io lookup ({hits} hits): {first:?}; +6 lookups: {more:?}; first PyPI lookup ({django} hits): {pypi:?}"
    );
}

/// An index written by an older build (format 1, before `imports`) is
/// refused with what to run, and `db update` replaces it.
#[test]
fn an_index_of_another_format_is_refused_then_rebuilt() {
    let cache = tempfile::tempdir().unwrap();
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    ));
    let index = cache.path().join("crates.io/index.bin");
    let mut bytes = fs_err::read(&index).unwrap();
    bytes[8..12].copy_from_slice(&1u32.to_le_bytes());
    fs_err::write(&index, &bytes).unwrap();
    let db = Database::open(cache.path()).unwrap();
    let err = db.lookup(Ecosystem::CratesIo, "smallvec").unwrap_err();
    assert!(
        matches!(err, DbError::OtherFormat { found: 1, .. }),
        "{err:?}"
    );
    let text = err.to_string();
    assert!(
        text.contains("format version 1") && text.contains("db update"),
        "{text}"
    );
    assert!(!text.contains("corrupt"), "{text}");
    ok(update(
        cache.path(),
        &Source::Dir(osv_dir()),
        &[Ecosystem::CratesIo],
        &mut |_| {},
    ));
    let db = Database::open(cache.path()).unwrap();
    assert!(!db
        .lookup(Ecosystem::CratesIo, "smallvec")
        .unwrap()
        .is_empty());
}
