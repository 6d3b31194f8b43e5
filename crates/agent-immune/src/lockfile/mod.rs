//! Lockfile and manifest parsers for crates.io, npm, PyPI, Go, RubyGems and
//! Packagist, and SBOMs (CycloneDX and SPDX JSON) naming packages of any of
//! them by package URL.
//!
//! [`parse_file`] reads one file and returns the [`Package`]s it pins (or, for
//! a manifest, declares: `approximate = true`, `version` = the lowest version
//! the requirement admits). [`discover`] finds the supported files under a
//! path. Every malformed input becomes a [`LockfileError`] naming the file
//! and, where the format gives one, the line; no parser panics.
//!
//! What is deliberately left out: path and git dependencies (OSV matches
//! registry packages only), npm dist-tags (`latest`) and URL/file specs —
//! they name no version, so reporting one would be a guess.
//!
//! Inputs are untrusted: files are capped at [`MAX_FILE_BYTES`] and
//! `requirements.txt` include chains at [`MAX_INCLUDE_DEPTH`].

mod cargo;
mod format;
mod go;
pub mod graph;
mod jsonpos;

pub(crate) use jsonpos::{json_chain_line, json_key_line};
mod npm;
mod php;
mod pnpm;
mod purl;
mod python;
mod ruby;
mod sbom;
mod yaml_guard;
mod yarn;

use std::collections::HashSet;

#[doc(hidden)]
pub use cargo::{
    parse_lock_toml as parse_cargo_lock_toml, scan_lock as scan_cargo_lock, Entry as CargoEntry,
    Lock as CargoLock,
};
/// The pseudo-module OSV's Go records name the standard library by; a
/// `go.mod` reports it (approximate) at its `toolchain` directive's release.
pub use go::STDLIB as GO_STDLIB;
pub use purl::Purl;
pub use sbom::{parse_sbom, Sbom, SbomSkipped};
use std::path::{Path, PathBuf};

use crate::types::{Ecosystem, Package};

/// The manifest of each of the workspace's own crates, by `name version`
/// (version as its manifest spells it, or just `name`), for the workspace
/// whose `Cargo.lock` is `lock`.
pub(crate) fn cargo_member_manifests(lock: &Path) -> Vec<(String, Option<String>, PathBuf)> {
    cargo::local_crates(lock)
        .map(|l| {
            l.crates
                .into_iter()
                .flat_map(|(name, vs)| vs.into_iter().map(move |(v, m)| (name.clone(), v, m)))
                .collect()
        })
        .unwrap_or_default()
}

/// `(name, version, line)` of each package, for the parsers' unit tests.
#[cfg(test)]
pub(crate) fn triples(pkgs: &[Package]) -> Vec<(&str, &str, Option<usize>)> {
    pkgs.iter()
        .map(|p| (p.name.as_str(), p.version.as_str(), p.line))
        .collect()
}

/// Largest file a parser reads (lockfiles of huge monorepos stay well below).
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Deepest chain of `-r`/`-c` includes followed in `requirements.txt`.
pub const MAX_INCLUDE_DEPTH: usize = 32;

/// The supported file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// `Cargo.lock`, versions 1–4.
    CargoLock,
    /// `Cargo.toml` (resolved through the nearest `Cargo.lock` when one exists).
    CargoToml,
    /// `package-lock.json` v1/v2/v3 and `npm-shrinkwrap.json`.
    PackageLock,
    /// `yarn.lock`, classic (v1) and Berry.
    YarnLock,
    /// `pnpm-lock.yaml`, lockfile versions 5, 6 and 9.
    PnpmLock,
    /// `package.json` (declared ranges only).
    PackageJson,
    /// `requirements*.txt`, `*requirements*.in`, files in a `requirements/` folder.
    Requirements,
    /// `poetry.lock`.
    PoetryLock,
    /// `Pipfile.lock`.
    PipfileLock,
    /// `uv.lock`.
    UvLock,
    /// `go.mod`: the build list from `go 1.17` on, lower bounds before.
    GoMod,
    /// `go.sum`, read only when no `go.mod` is beside it.
    GoSum,
    /// `Gemfile.lock` and `gems.locked` (Bundler).
    GemfileLock,
    /// `composer.lock` (Composer 1 and 2).
    ComposerLock,
    /// A CycloneDX JSON SBOM: `*.cdx.json`, `bom.json`.
    CycloneDx,
    /// An SPDX 2.x JSON SBOM: `*.spdx.json`.
    Spdx,
}

/// Canonical file names, each with its kind. A name `<prefix>.<canonical>`
/// (e.g. `ripgrep.Cargo.lock`) is recognised too.
const NAMES: [(&str, Kind); 17] = [
    ("Cargo.lock", Kind::CargoLock),
    ("Cargo.toml", Kind::CargoToml),
    ("package-lock.json", Kind::PackageLock),
    ("npm-shrinkwrap.json", Kind::PackageLock),
    ("yarn.lock", Kind::YarnLock),
    ("pnpm-lock.yaml", Kind::PnpmLock),
    ("package.json", Kind::PackageJson),
    ("poetry.lock", Kind::PoetryLock),
    ("Pipfile.lock", Kind::PipfileLock),
    ("uv.lock", Kind::UvLock),
    ("requirements.txt", Kind::Requirements),
    ("go.mod", Kind::GoMod),
    ("go.sum", Kind::GoSum),
    ("Gemfile.lock", Kind::GemfileLock),
    ("gems.locked", Kind::GemfileLock),
    ("composer.lock", Kind::ComposerLock),
    ("bom.json", Kind::CycloneDx),
];

impl Kind {
    /// The kind a file name says, or `None` for an unsupported file.
    ///
    /// `*.in` files count as requirements only when their name mentions
    /// `requirements` or `constraints` or they sit in a `requirements/`
    /// folder, so `Makefile.in` and `config.h.in` are not picked up.
    pub fn detect(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        for (canonical, kind) in NAMES {
            if name == canonical
                || (name.len() > canonical.len() + 1
                    && name.ends_with(canonical)
                    && name.as_bytes()[name.len() - canonical.len() - 1] == b'.')
            {
                return Some(kind);
            }
        }
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".cdx.json") {
            return Some(Kind::CycloneDx);
        }
        if lower.ends_with(".spdx.json") {
            return Some(Kind::Spdx);
        }
        let in_req_dir = path
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.eq_ignore_ascii_case("requirements"));
        let txt_or_in = lower.ends_with(".txt") || lower.ends_with(".in");
        if txt_or_in
            && (lower.contains("requirements") || lower.contains("constraints") || in_req_dir)
        {
            return Some(Kind::Requirements);
        }
        None
    }

    /// The ecosystem whose packages this format lists; `None` for an SBOM,
    /// which can list packages of every ecosystem.
    pub fn ecosystem(self) -> Option<Ecosystem> {
        Some(match self {
            Kind::CargoLock | Kind::CargoToml => Ecosystem::CratesIo,
            Kind::PackageLock | Kind::YarnLock | Kind::PnpmLock | Kind::PackageJson => {
                Ecosystem::Npm
            }
            Kind::Requirements | Kind::PoetryLock | Kind::PipfileLock | Kind::UvLock => {
                Ecosystem::PyPI
            }
            Kind::GoMod | Kind::GoSum => Ecosystem::Go,
            Kind::GemfileLock => Ecosystem::RubyGems,
            Kind::ComposerLock => Ecosystem::Packagist,
            Kind::CycloneDx | Kind::Spdx => return None,
        })
    }

    /// True for an SBOM format.
    pub fn is_sbom(self) -> bool {
        matches!(self, Kind::CycloneDx | Kind::Spdx)
    }

    /// True for formats that pin resolved versions. Manifests and
    /// `requirements.txt` (which may hold ranges) are not lockfiles; their
    /// pinned entries still come back with `approximate = false`.
    pub fn is_lockfile(self) -> bool {
        !matches!(
            self,
            Kind::CargoToml | Kind::PackageJson | Kind::Requirements
        )
    }
}

/// A file that could not be read or parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}: {message}", path.display(), line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LockfileError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the format gives one.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl LockfileError {
    pub(crate) fn new(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        LockfileError {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }

    pub(crate) fn json(path: &Path, err: &serde_json::Error) -> Self {
        let line = (err.line() > 0).then_some(err.line());
        Self::new(path, line, strip_location(&err.to_string()))
    }

    /// Parses `text` as YAML after [`yaml_guard::check`] has bounded its
    /// nesting (the parser's time grows with its square).
    pub(crate) fn parse_yaml<T: serde::de::DeserializeOwned>(
        path: &Path,
        text: &str,
    ) -> Result<T, Self> {
        if let Err((line, depth)) = yaml_guard::check(text) {
            return Err(Self::new(
                path,
                Some(line),
                format!(
                    "YAML nested {depth} levels deep here, past the limit of {}; refused before parsing (lockfiles nest two or three)",
                    yaml_guard::MAX_FLOW_DEPTH
                ),
            ));
        }
        serde_norway::from_str(text).map_err(|e| Self::yaml(path, text, &e))
    }

    pub(crate) fn yaml(path: &Path, text: &str, err: &serde_norway::Error) -> Self {
        // The YAML parser counts a lone `\r` as a line break; count `\n`
        // like every other error here does.
        // Errors about the whole document (alias expansion past the
        // repetition limit) carry no location: name the first anchor, where
        // the repetition starts, or the first line.
        let line = match err.location() {
            Some(l) => line_of(text, l.index()),
            None => first_anchor_line(text).unwrap_or(1),
        };
        Self::new(path, Some(line), strip_location(&err.to_string()))
    }

    pub(crate) fn toml(path: &Path, text: &str, err: &toml::de::Error) -> Self {
        let line = err.span().map(|s| line_of(text, s.start));
        Self::new(path, line, err.message().trim().to_string())
    }
}

/// Something a parser had to assume or could not read that does not stop
/// the scan but may change what it means: an entry taken as the project's
/// own, a lockfile format newer than the parser, an empty lockfile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct LockfileNote {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when one is concerned.
    pub line: Option<usize>,
    /// What was assumed, and why.
    pub message: String,
}

impl LockfileNote {
    pub(crate) fn new(path: &Path, line: Option<usize>, message: impl Into<String>) -> Self {
        LockfileNote {
            path: path.to_path_buf(),
            line,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for LockfileNote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// What a file pins, with the notes its parser left.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    /// The packages.
    pub packages: Vec<Package>,
    /// What had to be assumed ([`LockfileNote`]).
    pub notes: Vec<LockfileNote>,
}

/// 1-based line of the first YAML anchor (`&name` after a space, `[` or
/// `:`, outside comments), if any.
fn first_anchor_line(text: &str) -> Option<usize> {
    text.lines()
        .position(|l| {
            let l = l.split(" #").next().unwrap_or(l);
            l.as_bytes()
                .windows(2)
                .any(|w| matches!(w[0], b' ' | b'[' | b':' | b',' | b'-') && w[1] == b'&')
        })
        .map(|i| i + 1)
}

/// Drops serde's " at line N column M" suffix; the line is shown once, in front.
fn strip_location(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_string(),
        None => msg.to_string(),
    }
}

/// 1-based line of a byte offset.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Byte offsets of line starts, for turning many spans into lines.
pub(crate) struct LineIndex(Vec<usize>);

impl LineIndex {
    pub(crate) fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|&(_, b)| b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex(starts)
    }

    /// 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.0.partition_point(|&s| s <= offset)
    }
}

/// An I/O error without the path fs_err puts in it (the error shows the
/// path in front already): "failed to open file `x`: No such file…" →
/// "failed to open file: No such file…".
fn io_message(e: &std::io::Error) -> String {
    let msg = e.to_string();
    match (msg.find(" `"), msg.rfind("`: ")) {
        (Some(a), Some(b)) if a < b => format!("{}: {}", &msg[..a], &msg[b + 3..]),
        _ => msg,
    }
}

/// The project a file belongs to: the nearest ancestor of the directory
/// the file's own name sits in (symbolic links in that directory's path
/// resolved, the name itself not) that holds `.git`, else that directory.
pub(crate) fn project_root(file: &Path) -> Option<PathBuf> {
    let dir = match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let dir = fs_err::canonicalize(dir).ok()?;
    let git = dir.ancestors().find(|d| d.join(".git").exists());
    Some(git.unwrap_or(&dir).to_path_buf())
}

/// Where a manifest path leads, when it is a symbolic link: its target if
/// that lies inside the link's project; an error otherwise. A poisoned
/// repository's `Cargo.lock -> ~/.pgpass` is never opened, so no line of
/// another file can reach an error message, a log or an agent's context.
fn resolve_link(path: &Path) -> Result<PathBuf, LockfileError> {
    let io = |e: std::io::Error| LockfileError::new(path, None, io_message(&e));
    let meta = fs_err::symlink_metadata(path).map_err(io)?;
    if !meta.file_type().is_symlink() {
        return Ok(path.to_path_buf());
    }
    let refuse = |why: String| LockfileError::new(path, None, why);
    let target = fs_err::canonicalize(path)
        .map_err(|_| refuse("a symbolic link whose target does not exist; not followed".into()))?;
    let root = project_root(path)
        .ok_or_else(|| refuse("a symbolic link in a directory that cannot be resolved".into()))?;
    if !target.starts_with(&root) {
        return Err(refuse(format!(
            "a symbolic link to {}, outside the project ({}); not followed",
            target.display(),
            root.display()
        )));
    }
    Ok(target)
}

/// Reads a file, capped at [`MAX_FILE_BYTES`]. A symbolic link is followed
/// only to a file inside its own project ([`resolve_link`]).
pub(crate) fn read_text(path: &Path) -> Result<String, LockfileError> {
    let io = |e: std::io::Error| LockfileError::new(path, None, io_message(&e));
    let target = resolve_link(path)?;
    let meta = fs_err::symlink_metadata(&target).map_err(io)?;
    if !meta.is_file() {
        return Err(LockfileError::new(
            path,
            None,
            "not a regular file (a device, pipe or directory)",
        ));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(LockfileError::new(
            path,
            None,
            format!(
                "file is {} bytes, more than the {MAX_FILE_BYTES}-byte limit",
                meta.len()
            ),
        ));
    }
    // Capped read: the size can change between the check and the read.
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::io::Read::read_to_end(
        &mut std::io::Read::take(open_no_follow(&target).map_err(io)?, MAX_FILE_BYTES + 1),
        &mut bytes,
    )
    .map_err(io)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(LockfileError::new(
            path,
            None,
            format!("file grew past the {MAX_FILE_BYTES}-byte limit while being read"),
        ));
    }
    String::from_utf8(bytes).map_err(|e| {
        let line = Some(line_of_bytes(e.as_bytes(), e.utf8_error().valid_up_to()));
        LockfileError::new(path, line, "file is not valid UTF-8")
    })
}

/// Opens `path` for reading, refusing a symbolic link in its last
/// component (one swapped in after [`resolve_link`] looked).
fn open_no_follow(path: &Path) -> std::io::Result<fs_err::File> {
    use fs_err::os::unix::fs::OpenOptionsExt as _;
    fs_err::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
}

fn line_of_bytes(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Parses a file, choosing the format from its name.
///
/// For `Cargo.toml`, the nearest `Cargo.lock` in it directory or an
/// ancestor (a workspace root) is parsed instead when one exists.
pub fn parse_file(path: &Path) -> Result<Vec<Package>, LockfileError> {
    parse_file_noted(path).map(|p| p.packages)
}

/// [`parse_file`], keeping the parser's [`LockfileNote`]s.
pub fn parse_file_noted(path: &Path) -> Result<Parsed, LockfileError> {
    let kind = Kind::detect(path)
        .ok_or_else(|| LockfileError::new(path, None, "not a supported lockfile or manifest"))?;
    if kind == Kind::CargoToml {
        if let Some(lock) = cargo::find_cargo_lock(path) {
            let text = read_text(&lock)?;
            return parse_noted(Kind::CargoLock, &text, &lock);
        }
    }
    let text = read_text(path)?;
    parse_noted(kind, &text, path)
}

/// Parses `text` as `kind`; `path` names the source in packages and errors
/// (and anchors what the format reads beside it: `-r`/`-c` includes of
/// requirements files, the workspace manifests beside a `Cargo.lock`).
pub fn parse(kind: Kind, text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    parse_noted(kind, text, path).map(|p| p.packages)
}

/// [`parse`], keeping the parser's [`LockfileNote`]s.
pub fn parse_noted(kind: Kind, text: &str, path: &Path) -> Result<Parsed, LockfileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if kind.is_lockfile() && text.trim().is_empty() {
        return Ok(Parsed {
            packages: Vec::new(),
            notes: vec![LockfileNote::new(
                path,
                None,
                "the lockfile is empty: nothing was scanned",
            )],
        });
    }
    if kind == Kind::CargoLock {
        let (packages, notes) = cargo::parse_lock(text, path)?;
        return Ok(Parsed { packages, notes });
    }
    if kind.is_sbom() {
        let sbom = sbom::parse_sbom(kind, text, path)?;
        let notes = sbom_notes(&sbom.skipped, path);
        return Ok(Parsed {
            packages: sbom.packages,
            notes,
        });
    }
    parse_packages(kind, text, path).map(|packages| Parsed {
        packages,
        notes: format::newer_format_note(kind, text, path)
            .into_iter()
            .collect(),
    })
}

/// What an SBOM's scan leaves out, said once per file.
fn sbom_notes(skipped: &SbomSkipped, path: &Path) -> Vec<LockfileNote> {
    let mut parts = Vec::new();
    if skipped.without_purl > 0 {
        parts.push(format!("{} without a package URL", skipped.without_purl));
    }
    if skipped.without_version > 0 {
        parts.push(format!(
            "{} whose package URL has no version",
            skipped.without_version
        ));
    }
    if !skipped.unsupported.is_empty() {
        let types: Vec<String> = skipped
            .unsupported
            .iter()
            .map(|(t, n)| format!("{n} pkg:{t}"))
            .collect();
        parts.push(format!(
            "{} of types no OSV ecosystem here covers",
            types.join(", ")
        ));
    }
    if parts.is_empty() {
        return Vec::new();
    }
    vec![LockfileNote::new(
        path,
        None,
        format!("not scanned: {}", parts.join("; ")),
    )]
}

fn parse_packages(kind: Kind, text: &str, path: &Path) -> Result<Vec<Package>, LockfileError> {
    match kind {
        Kind::CargoLock => cargo::parse_lock(text, path).map(|(p, _)| p),
        Kind::CargoToml => cargo::parse_manifest(text, path),
        Kind::PackageLock => npm::parse_package_lock(text, path),
        Kind::PackageJson => npm::parse_package_json(text, path),
        Kind::YarnLock => yarn::parse(text, path),
        Kind::PnpmLock => pnpm::parse(text, path),
        Kind::Requirements => python::parse_requirements(text, path),
        Kind::PoetryLock => python::parse_poetry(text, path),
        Kind::PipfileLock => python::parse_pipfile(text, path),
        Kind::UvLock => python::parse_uv(text, path),
        Kind::GoMod => go::parse_go_mod(text, path),
        Kind::GoSum => go::parse_go_sum(text, path),
        Kind::GemfileLock => ruby::parse(text, path),
        Kind::ComposerLock => php::parse(text, path),
        Kind::CycloneDx | Kind::Spdx => {
            let sbom = sbom::parse_sbom(kind, text, path)?;
            let s = &sbom.skipped;
            if s.without_purl + s.without_version > 0 || !s.unsupported.is_empty() {
                tracing::debug!(
                    path = %path.display(),
                    without_purl = s.without_purl,
                    without_version = s.without_version,
                    unsupported = ?s.unsupported,
                    "SBOM entries not scanned"
                );
            }
            Ok(sbom.packages)
        }
    }
}

/// Directories [`discover`] never descends into.
const SKIP_DIRS: [&str; 7] = [
    ".git",
    "node_modules",
    "target",
    ".venv",
    "venv",
    "__pycache__",
    "vendor",
];

/// Supported files at `root`: a file is returned as itself (an error if
/// unsupported); a directory yields its supported files, and those below it
/// when `recursive`, sorted. A manifest is dropped when its lockfile sits in
/// the same directory (`Cargo.toml` also when its workspace `Cargo.lock` was
/// found higher up), and `go.sum` when `go.mod` is beside it. `vendor/`
/// (Go, Composer and Bundler keep third-party code there) is not entered.
/// In a directory, an SBOM's name is confirmed by its content: a `bom.json`
/// that is not CycloneDX is passed over (named directly, it is an error).
pub fn discover(root: &Path, recursive: bool) -> Result<Vec<PathBuf>, LockfileError> {
    let io = |p: &Path, e: std::io::Error| LockfileError::new(p, None, io_message(&e));
    let meta = fs_err::metadata(root).map_err(|e| io(root, e))?;
    if !meta.is_dir() {
        return match Kind::detect(root) {
            Some(_) => Ok(vec![root.to_path_buf()]),
            None => Err(LockfileError::new(
                root,
                None,
                "not a supported lockfile or manifest",
            )),
        };
    }
    let mut found = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries = Vec::new();
        for entry in fs_err::read_dir(&dir).map_err(|e| io(&dir, e))? {
            let entry = entry.map_err(|e| io(&dir, e))?;
            entries.push(entry.path());
        }
        entries.sort();
        let mut here = Vec::new();
        for p in entries {
            let ft = fs_err::symlink_metadata(&p).map_err(|e| io(&p, e))?;
            if ft.is_dir() {
                let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if recursive && !SKIP_DIRS.contains(&name) {
                    stack.push(p);
                }
            } else if let Some(kind) = Kind::detect(&p) {
                if kind.is_sbom() && !read_text(&p).is_ok_and(|t| sbom::confirms(kind, &t)) {
                    continue;
                }
                here.push((p, kind));
            }
        }
        let has = |k: &[Kind]| here.iter().any(|(_, kind)| k.contains(kind));
        let cargo_lock = has(&[Kind::CargoLock]);
        let npm_lock = has(&[Kind::PackageLock, Kind::YarnLock, Kind::PnpmLock]);
        let go_mod = has(&[Kind::GoMod]);
        found.extend(
            here.into_iter()
                .filter(|(_, k)| match k {
                    Kind::CargoToml => !cargo_lock,
                    Kind::PackageJson => !npm_lock,
                    Kind::GoSum => !go_mod,
                    _ => true,
                })
                .map(|(p, _)| p),
        );
    }
    // A member Cargo.toml whose workspace Cargo.lock is also listed adds nothing.
    let set: HashSet<PathBuf> = found.iter().cloned().collect();
    found.retain(|p| {
        Kind::detect(p) != Some(Kind::CargoToml)
            || !cargo::find_cargo_lock(p).is_some_and(|l| set.contains(&l))
    });
    found.sort();
    Ok(found)
}

/// Collects packages, dropping exact duplicates (same name and version).
pub(crate) struct Collector {
    pub(crate) out: Vec<Package>,
    seen: HashSet<(String, String)>,
    eco: Ecosystem,
    source: PathBuf,
}

impl Collector {
    pub(crate) fn new(eco: Ecosystem, source: &Path) -> Self {
        Collector {
            out: Vec::new(),
            seen: HashSet::new(),
            eco,
            source: source.to_path_buf(),
        }
    }

    /// Adds an exact pin.
    pub(crate) fn exact(&mut self, name: &str, version: &str, line: Option<usize>) {
        if self.seen.insert((name.to_string(), version.to_string())) {
            self.out.push(Package {
                ecosystem: self.eco,
                name: name.to_string(),
                version: version.to_string(),
                approximate: false,
                requirement: None,
                source: self.source.clone(),
                line,
            });
        }
    }

    /// Adds a declared requirement (never deduplicated: each declaration counts).
    pub(crate) fn approx(&mut self, name: &str, lowest: &str, req: &str, line: Option<usize>) {
        self.out.push(Package {
            ecosystem: self.eco,
            name: name.to_string(),
            version: lowest.to_string(),
            approximate: true,
            requirement: Some(req.to_string()),
            source: self.source.clone(),
            line,
        });
    }
}

/// 1-based line of the first line (at or after `from_line`) whose trimmed
/// start is `"key"` or `key` followed by `:`, `=`, space or `.`; a cheap
/// position lookup for formats whose parser keeps none.
pub(crate) fn find_key_line(text: &str, key: &str, quoted: bool) -> Option<usize> {
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        let rest = if quoted {
            t.strip_prefix('"')
                .and_then(|r| r.strip_prefix(key))
                .and_then(|r| r.strip_prefix('"'))
        } else {
            t.strip_prefix(key)
        };
        if let Some(rest) = rest {
            let rest = rest.trim_start();
            if rest.starts_with(':') || rest.starts_with('=') || (!quoted && rest.starts_with('.'))
            {
                return Some(i + 1);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_names() {
        let d = |s: &str| Kind::detect(Path::new(s));
        assert_eq!(d("a/Cargo.lock"), Some(Kind::CargoLock));
        assert_eq!(d("ripgrep.Cargo.lock"), Some(Kind::CargoLock));
        assert_eq!(d("npm-shrinkwrap.json"), Some(Kind::PackageLock));
        assert_eq!(d("requirements-dev.txt"), Some(Kind::Requirements));
        assert_eq!(d("dev-requirements.in"), Some(Kind::Requirements));
        assert_eq!(d("requirements/base.txt"), Some(Kind::Requirements));
        assert_eq!(d("Makefile.in"), None);
        assert_eq!(d("notes.txt"), None);
        assert_eq!(d("XCargo.lock"), None);
        assert_eq!(d("svc/go.mod"), Some(Kind::GoMod));
        assert_eq!(d("go.sum"), Some(Kind::GoSum));
        assert_eq!(d("ago.mod"), None);
        assert_eq!(d("app/Gemfile.lock"), Some(Kind::GemfileLock));
        assert_eq!(d("gems.locked"), Some(Kind::GemfileLock));
        assert_eq!(d("Gemfile"), None);
        assert_eq!(d("php-goof.composer.lock"), Some(Kind::ComposerLock));
        assert_eq!(d("composer.json"), None);
        assert_eq!(d("x/bom.json"), Some(Kind::CycloneDx));
        assert_eq!(d("app.cdx.json"), Some(Kind::CycloneDx));
        assert_eq!(d("App.SPDX.json"), Some(Kind::Spdx));
        assert_eq!(d("sbom.json"), None);
    }

    #[test]
    fn line_index_matches_line_of() {
        let text = "a\nbb\n\nccc\n";
        let idx = LineIndex::new(text);
        for off in 0..=text.len() {
            assert_eq!(idx.line(off), line_of(text, off), "offset {off}");
        }
    }

    #[test]
    fn error_display() {
        let e = LockfileError::new(Path::new("a/b.lock"), Some(3), "bad");
        assert_eq!(e.to_string(), "a/b.lock:3: bad");
        let e = LockfileError::new(Path::new("a/b.lock"), None, "bad");
        assert_eq!(e.to_string(), "a/b.lock: bad");
    }
}
