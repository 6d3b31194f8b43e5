//! Building the guest image: `autonomic muscle image build`.
//!
//! From Debian packages (downloaded with `apt-get download`, unpacked with
//! `dpkg-deb -x`, nothing installed on the host) and the static guest agent:
//!
//! - the kernel (at `[muscle] firecracker_kernel`): the uncompressed ELF
//!   `vmlinux` extracted from Debian's `linux-image-*-amd64` bzImage (what
//!   `linux-image-amd64` depends on).
//! - `initramfs.cpio` next to it: an uncompressed newc archive with the agent as
//!   `/init` and the kernel modules the guest needs — virtio_mmio,
//!   virtio_blk, ext4, overlay and what they depend on (read from each
//!   module's `.modinfo`), in load order (`/lib/modules/load-order`).
//! - the root filesystem (at `[muscle] firecracker_rootfs`): the read-only
//!   root the task runs in — busybox (Debian's
//!   `busybox-static`) with its applets linked into `/bin` — made with
//!   `mkfs.ext4 -d` (e2fsprogs).
//! - with `packages`, those Debian packages and their dependencies
//!   (`apt-cache depends --recurse`, no recommends) unpacked into the root
//!   with `dpkg-deb -x` (files only: no maintainer scripts), busybox's applet
//!   links filling in what they do not provide.
//! - `image.json` next to the kernel: the inputs (package versions, the agent's digest) and the
//!   SHA-256 of every output. A build whose inputs and outputs match the
//!   manifest does nothing; outputs are written to temporary names and
//!   renamed into place.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The initramfs's file name (next to the kernel).
pub const INITRD_FILE: &str = "initramfs.cpio";
/// The manifest's file name (next to the kernel).
pub const MANIFEST_FILE: &str = "image.json";

/// The initramfs that goes with `kernel`: `initramfs.cpio` in its directory.
pub fn initrd_for(kernel: &Path) -> PathBuf {
    kernel.with_file_name(INITRD_FILE)
}

/// The version of this build recipe: a manifest from another recipe is
/// rebuilt even when its inputs match.
pub const RECIPE: u32 = 4;

/// The modules the guest agent needs (dependencies are added).
const WANTED_MODULES: &[&str] = &[
    "virtio_net",
    "virtio_mmio",
    "virtio_blk",
    "crc32c_generic",
    "ext4",
    "overlay",
];

/// What to build where.
#[derive(Debug, Clone)]
pub struct ImageSpec {
    /// Where the kernel goes (`[muscle] firecracker_kernel`); the initramfs
    /// and the manifest go next to it.
    pub kernel: PathBuf,
    /// Where the root filesystem goes (`[muscle] firecracker_rootfs`).
    pub rootfs: PathBuf,
    /// The statically linked guest agent (`muscle-guest`).
    pub guest_agent: PathBuf,
    /// Where downloaded packages are kept between builds.
    pub cache: PathBuf,
    /// The kernel package (default: what `linux-image-amd64` depends on).
    pub kernel_package: Option<String>,
    /// Size of the root filesystem image, MiB (grown to fit the packages).
    pub rootfs_mib: u64,
    /// Debian packages (and their dependencies) unpacked into the root
    /// filesystem on top of busybox, for tasks such as `git push`.
    pub packages: Vec<String>,
}

/// Why an image could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    /// A tool failed or is missing.
    #[error("{what}: {detail}")]
    Tool {
        /// What was being done.
        what: String,
        /// Its output or error.
        detail: String,
    },
    /// The guest agent is missing or not static.
    #[error("guest agent `{}`: {why}", path.display())]
    Agent {
        /// The path given.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A file operation failed.
    #[error("{action}")]
    Io {
        /// What was being done.
        action: String,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

fn io(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> ImageError {
    let action = action.into();
    move |source| ImageError::Io { action, source }
}

/// One output file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageFile {
    /// The file.
    pub path: PathBuf,
    /// Size in bytes.
    pub bytes: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// The manifest (`image.json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// [`RECIPE`] at build time.
    #[serde(default)]
    pub recipe: u32,
    /// The kernel package and version (`linux-image-6.1.0-48-amd64 6.1.172-1`).
    pub kernel_package: String,
    /// The busybox used (path and SHA-256).
    pub busybox_sha256: String,
    /// The guest agent's SHA-256.
    pub agent_sha256: String,
    /// The modules in the initramfs, in load order.
    pub modules: Vec<String>,
    /// The Debian packages in the root filesystem (`name version`).
    #[serde(default)]
    pub packages: Vec<String>,
    /// The outputs.
    pub files: Vec<ImageFile>,
}

/// What a build did.
#[derive(Debug, Clone)]
pub struct ImageReport {
    /// Whether anything was written (false: already up to date).
    pub built: bool,
    /// The manifest now in place.
    pub manifest: Manifest,
}

/// Runs `argv` in `cwd` and returns its stdout; any failure is an error.
fn tool(argv: &[&str], cwd: &Path, what: &str) -> Result<Vec<u8>, ImageError> {
    super::run_tool(argv, cwd, Duration::from_secs(600)).map_err(|detail| ImageError::Tool {
        what: what.to_owned(),
        detail,
    })
}

fn sha256_file(path: &Path) -> Result<String, ImageError> {
    let data = fs_err::read(path).map_err(io(format!("read {}", path.display())))?;
    Ok(hex_digest(&data))
}

fn hex_digest(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether an ELF file has a `PT_INTERP` program header (is dynamically
/// linked); `None` if it is not a 64-bit ELF.
fn elf_has_interp(data: &[u8]) -> Option<bool> {
    if data.len() < 64 || &data[..4] != b"\x7fELF" || data[4] != 2 {
        return None;
    }
    let u16_at = |o: usize| data.get(o..o + 2).map(|b| u16::from_le_bytes([b[0], b[1]]));
    let u64_at = |o: usize| {
        data.get(o..o + 8)
            .map(|b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])))
    };
    let phoff = usize::try_from(u64_at(0x20)?).ok()?;
    let phentsize = usize::from(u16_at(0x36)?);
    let phnum = usize::from(u16_at(0x38)?);
    for i in 0..phnum {
        let at = phoff + i * phentsize;
        let p_type = data.get(at..at + 4)?;
        if u32::from_le_bytes(p_type.try_into().ok()?) == 3 {
            return Some(true);
        }
    }
    Some(false)
}

/// Downloads `package` into `cache` (unless a `.deb` of it is there) and
/// unpacks it into `cache/<package>`; returns that directory and the
/// package's version.
fn fetch_deb(package: &str, cache: &Path) -> Result<(PathBuf, String), ImageError> {
    let (deb, version) = download_deb(package, cache)?;
    let out = cache.join(package);
    if !out.is_dir() {
        let tmp = cache.join(format!("{package}.unpacking"));
        let _ = fs_err::remove_dir_all(&tmp);
        fs_err::create_dir_all(&tmp).map_err(io("create the unpack directory"))?;
        unpack_deb(&deb, &tmp, cache)?;
        fs_err::rename(&tmp, &out).map_err(io("move the unpacked package into place"))?;
    }
    Ok((out, version))
}

/// `dpkg-deb -x deb into` (files only: no maintainer scripts run).
fn unpack_deb(deb: &Path, into: &Path, cache: &Path) -> Result<(), ImageError> {
    tool(
        &[
            "dpkg-deb",
            "-x",
            &deb.to_string_lossy(),
            &into.to_string_lossy(),
        ],
        cache,
        &format!("dpkg-deb -x {}", deb.display()),
    )
    .map(drop)
}

/// The `.deb` of `package` in `cache` (downloaded with `apt-get download`
/// unless already there) and its version.
fn download_deb(package: &str, cache: &Path) -> Result<(PathBuf, String), ImageError> {
    let find = || -> Option<PathBuf> {
        fs_err::read_dir(cache)
            .ok()?
            .flatten()
            .map(|e| e.path())
            .find(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.starts_with(&format!("{package}_")) && n.ends_with(".deb"))
            })
    };
    let deb = match find() {
        Some(d) => d,
        None => {
            tool(
                &["apt-get", "download", package],
                cache,
                &format!("apt-get download {package}"),
            )?;
            find().ok_or_else(|| ImageError::Tool {
                what: format!("apt-get download {package}"),
                detail: "no .deb appeared".into(),
            })?
        }
    };
    let version = deb
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('_').nth(1))
        .unwrap_or("?")
        .replace("%3a", ":");
    Ok((deb, version))
}

/// `packages` and everything they depend on (`apt-cache depends --recurse`,
/// without recommends or suggests; virtual packages are left to the real
/// ones that provide them).
fn package_closure(packages: &[String], cache: &Path) -> Result<Vec<String>, ImageError> {
    let mut argv = vec![
        "apt-cache",
        "depends",
        "--recurse",
        "--no-recommends",
        "--no-suggests",
        "--no-conflicts",
        "--no-breaks",
        "--no-replaces",
        "--no-enhances",
    ];
    argv.extend(packages.iter().map(String::as_str));
    let out = tool(&argv, cache, "apt-cache depends --recurse")?;
    let mut names: Vec<String> = String::from_utf8_lossy(&out)
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.starts_with('<') && !l.trim().is_empty())
        .map(|l| l.trim().to_owned())
        .collect();
    names.sort();
    names.dedup();
    Ok(names)
}

/// The kernel package `linux-image-amd64` depends on.
fn default_kernel_package(cache: &Path) -> Result<String, ImageError> {
    let out = tool(
        &["apt-cache", "depends", "linux-image-amd64"],
        cache,
        "apt-cache depends linux-image-amd64",
    )?;
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Depends: "))
        .find(|p| p.starts_with("linux-image-"))
        .map(str::to_owned)
        .ok_or_else(|| ImageError::Tool {
            what: "apt-cache depends linux-image-amd64".into(),
            detail: "no linux-image-* dependency listed".into(),
        })
}

/// `depends=` of a kernel module, from its `.modinfo` strings.
fn module_depends(data: &[u8]) -> Vec<String> {
    let key = b"\0depends=";
    data.windows(key.len())
        .position(|w| w == key)
        .map(|at| {
            let rest = &data[at + key.len()..];
            let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
            String::from_utf8_lossy(&rest[..end])
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Module name -> file, for every `.ko` under `dir`.
fn module_index(dir: &Path) -> BTreeMap<String, PathBuf> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Some(stem) = p
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".ko"))
            {
                out.insert(stem.replace('-', "_"), p);
            }
        }
    }
    out
}

/// The wanted modules and their dependencies, dependencies first.
fn load_order(index: &BTreeMap<String, PathBuf>) -> Result<Vec<(String, PathBuf)>, ImageError> {
    fn visit(
        name: &str,
        index: &BTreeMap<String, PathBuf>,
        seen: &mut BTreeSet<String>,
        out: &mut Vec<(String, PathBuf)>,
    ) -> Result<(), ImageError> {
        if !seen.insert(name.to_owned()) {
            return Ok(());
        }
        let Some(path) = index.get(name) else {
            // Built into the kernel: nothing to load.
            return Ok(());
        };
        let data = fs_err::read(path).map_err(io(format!("read {}", path.display())))?;
        for dep in module_depends(&data) {
            visit(&dep, index, seen, out)?;
        }
        out.push((name.to_owned(), path.clone()));
        Ok(())
    }
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for m in WANTED_MODULES {
        visit(m, index, &mut seen, &mut out)?;
    }
    Ok(out)
}

/// The uncompressed ELF kernel inside a bzImage: its payload is an xz
/// stream (Debian: `CONFIG_KERNEL_XZ`), which `xz --single-stream`
/// decompresses (ignoring what follows it). An ELF `vmlinux` boots through
/// PVH, skipping the in-guest decompression — about half of a TCG boot here
/// (8.5 s to 4.4 s per run) — and is the format Firecracker needs anyway.
fn extract_vmlinux(bzimage: &[u8], cache: &Path) -> Result<Vec<u8>, ImageError> {
    const XZ_MAGIC: &[u8] = b"\xfd7zXZ\x00";
    let Some(at) = bzimage.windows(XZ_MAGIC.len()).position(|w| w == XZ_MAGIC) else {
        return Err(ImageError::Tool {
            what: "extract vmlinux".into(),
            detail: "the bzImage has no xz payload (only xz-compressed kernels are supported)"
                .into(),
        });
    };
    let packed = cache.join("vmlinux.xz");
    let unpacked = cache.join("vmlinux");
    let _ = fs_err::remove_file(&unpacked);
    fs_err::write(&packed, &bzimage[at..]).map_err(io("write the kernel payload"))?;
    tool(
        &[
            "xz",
            "-d",
            "-f",
            "-q",
            "--single-stream",
            &packed.to_string_lossy(),
        ],
        cache,
        "xz -d (Debian package xz-utils)",
    )?;
    let elf = fs_err::read(&unpacked).map_err(io("read the decompressed kernel"))?;
    let _ = fs_err::remove_file(&unpacked);
    if !elf.starts_with(b"\x7fELF") {
        return Err(ImageError::Tool {
            what: "extract vmlinux".into(),
            detail: "the decompressed payload is not an ELF file".into(),
        });
    }
    Ok(elf)
}

/// Bytes of regular files under `dir`.
pub(super) fn tree_bytes(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = fs_err::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            match e.file_type() {
                Ok(t) if t.is_dir() => stack.push(e.path()),
                Ok(t) if t.is_file() => total += e.metadata().map_or(0, |m| m.len()),
                _ => {}
            }
        }
    }
    total
}

/// A newc ("070701") cpio archive in memory.
struct Cpio {
    data: Vec<u8>,
    ino: u32,
}

impl Cpio {
    fn new() -> Self {
        Cpio {
            data: Vec::new(),
            ino: 1,
        }
    }

    fn pad4(&mut self) {
        while self.data.len() % 4 != 0 {
            self.data.push(0);
        }
    }

    fn entry(&mut self, name: &str, mode: u32, body: &[u8]) {
        let fields = [
            self.ino,
            mode,
            0,
            0,
            1,
            0,
            u32::try_from(body.len()).unwrap_or(u32::MAX),
            0,
            0,
            0,
            0,
            u32::try_from(name.len() + 1).unwrap_or(u32::MAX),
            0,
        ];
        self.ino += 1;
        self.data.extend_from_slice(b"070701");
        for f in fields {
            self.data.extend_from_slice(format!("{f:08x}").as_bytes());
        }
        self.data.extend_from_slice(name.as_bytes());
        self.data.push(0);
        self.pad4();
        self.data.extend_from_slice(body);
        self.pad4();
    }

    fn dir(&mut self, name: &str) {
        self.entry(name, 0o040_755, &[]);
    }

    fn file(&mut self, name: &str, mode: u32, body: &[u8]) {
        self.entry(name, 0o100_000 | mode, body);
    }

    fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, &[]);
        self.data
    }
}

fn write_atomic(path: &Path, data: &[u8]) -> Result<(), ImageError> {
    let tmp = path.with_extension("partial");
    fs_err::write(&tmp, data).map_err(io(format!("write {}", tmp.display())))?;
    fs_err::rename(&tmp, path).map_err(io(format!("rename into {}", path.display())))
}

fn find_busybox(cache: &Path) -> Result<PathBuf, ImageError> {
    let host = Path::new("/bin/busybox");
    if fs_err::read(host).ok().and_then(|d| elf_has_interp(&d)) == Some(false) {
        return Ok(host.to_path_buf());
    }
    let (dir, _) = fetch_deb("busybox-static", cache)?;
    Ok(dir.join("bin/busybox"))
}

/// Builds (or confirms) the image described by `spec`; `progress` hears
/// about each step.
pub fn build(spec: &ImageSpec, progress: &mut dyn FnMut(&str)) -> Result<ImageReport, ImageError> {
    let agent = fs_err::read(&spec.guest_agent).map_err(|e| ImageError::Agent {
        path: spec.guest_agent.clone(),
        why: format!("cannot read it ({e}); build it with scripts/build-guest.sh"),
    })?;
    match elf_has_interp(&agent) {
        Some(false) => {}
        Some(true) => {
            return Err(ImageError::Agent {
                path: spec.guest_agent.clone(),
                why: "it is dynamically linked; the guest has no libc: build it with scripts/build-guest.sh".into(),
            })
        }
        None => {
            return Err(ImageError::Agent {
                path: spec.guest_agent.clone(),
                why: "not a 64-bit ELF executable".into(),
            })
        }
    }
    let agent_sha = hex_digest(&agent);
    let dir = spec.kernel.parent().unwrap_or(Path::new(".")).to_path_buf();
    let initrd_path = initrd_for(&spec.kernel);
    for d in [
        &dir,
        &spec.rootfs.parent().unwrap_or(Path::new(".")).to_path_buf(),
    ] {
        fs_err::create_dir_all(d).map_err(io(format!("create {}", d.display())))?;
    }
    fs_err::create_dir_all(&spec.cache).map_err(io(format!("create {}", spec.cache.display())))?;

    progress("resolving the kernel package");
    let kernel_pkg = match &spec.kernel_package {
        Some(p) => p.clone(),
        None => default_kernel_package(&spec.cache)?,
    };
    progress(&format!("fetching {kernel_pkg} (apt-get download)"));
    let (kroot, kversion) = fetch_deb(&kernel_pkg, &spec.cache)?;
    progress("fetching busybox");
    let busybox = find_busybox(&spec.cache)?;
    let busybox_data = fs_err::read(&busybox).map_err(io(format!("read {}", busybox.display())))?;
    let busybox_sha = hex_digest(&busybox_data);
    let mut packages = Vec::new();
    if !spec.packages.is_empty() {
        progress(&format!(
            "resolving {} and dependencies",
            spec.packages.join(", ")
        ));
        for name in package_closure(&spec.packages, &spec.cache)? {
            let (deb, version) = download_deb(&name, &spec.cache)?;
            packages.push((format!("{name} {version}"), deb));
        }
    }
    let package_ids: Vec<String> = packages.iter().map(|(id, _)| id.clone()).collect();

    let manifest_path = dir.join(MANIFEST_FILE);
    let kernel_id = format!("{kernel_pkg} {kversion}");
    if let Ok(text) = fs_err::read_to_string(&manifest_path) {
        if let Ok(old) = serde_json::from_str::<Manifest>(&text) {
            let same_inputs = old.recipe == RECIPE
                && old.packages == package_ids
                && old.kernel_package == kernel_id
                && old.agent_sha256 == agent_sha
                && old.busybox_sha256 == busybox_sha;
            let outputs_intact = old
                .files
                .iter()
                .all(|f| sha256_file(&f.path).is_ok_and(|h| h == f.sha256));
            if same_inputs && outputs_intact {
                progress("up to date");
                return Ok(ImageReport {
                    built: false,
                    manifest: old,
                });
            }
        }
    }

    // Kernel.
    let boot = kroot.join("boot");
    let vmlinuz = fs_err::read_dir(&boot)
        .map_err(io(format!("list {}", boot.display())))?
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("vmlinuz-"))
        })
        .ok_or_else(|| ImageError::Tool {
            what: format!("unpack {kernel_pkg}"),
            detail: "no boot/vmlinuz-* in the package".into(),
        })?;
    progress("extracting the uncompressed kernel (vmlinux) from the bzImage");
    let bzimage = fs_err::read(&vmlinuz).map_err(io(format!("read {}", vmlinuz.display())))?;
    let kernel = extract_vmlinux(&bzimage, &spec.cache)?;
    write_atomic(&spec.kernel, &kernel)?;

    // Initramfs.
    progress("building the initramfs (agent + modules)");
    let index = module_index(&kroot.join("lib/modules"));
    let order = load_order(&index)?;
    let mut cpio = Cpio::new();
    for d in [
        "dev",
        "proc",
        "sys",
        "lower",
        "upper",
        "newroot",
        "lib",
        "lib/modules",
    ] {
        cpio.dir(d);
    }
    cpio.file("init", 0o755, &agent);
    let mut list = String::new();
    for (name, path) in &order {
        let data = fs_err::read(path).map_err(io(format!("read {}", path.display())))?;
        let file = format!("{name}.ko");
        cpio.file(&format!("lib/modules/{file}"), 0o644, &data);
        list.push_str(&file);
        list.push('\n');
    }
    cpio.file("lib/modules/load-order", 0o644, list.as_bytes());
    write_atomic(&initrd_path, &cpio.finish())?;

    // Root filesystem.
    progress("building the root filesystem (busybox, mkfs.ext4 -d)");
    let staging = spec.cache.join("rootfs.staging");
    let _ = fs_err::remove_dir_all(&staging);
    for d in [
        "bin",
        "sbin",
        "etc",
        "proc",
        "dev",
        "sys",
        "tmp",
        "root",
        "workspace",
        "usr/bin",
        "usr/sbin",
    ] {
        fs_err::create_dir_all(staging.join(d)).map_err(io("create the rootfs tree"))?;
    }
    if !packages.is_empty() {
        progress(&format!("unpacking {} Debian packages", packages.len()));
    }
    for (_, deb) in &packages {
        unpack_deb(deb, &staging, &spec.cache)?;
    }
    let bb = staging.join("bin/busybox");
    fs_err::write(&bb, &busybox_data).map_err(io("copy busybox"))?;
    {
        use std::os::unix::fs::PermissionsExt as _;
        fs_err::set_permissions(&bb, std::fs::Permissions::from_mode(0o755))
            .map_err(io("chmod busybox"))?;
    }
    let applets = tool(
        &[&bb.to_string_lossy(), "--list"],
        &staging,
        "busybox --list",
    )?;
    for applet in String::from_utf8_lossy(&applets).lines().map(str::trim) {
        if applet.is_empty() || applet == "busybox" || applet.contains('/') {
            continue;
        }
        let _ = std::os::unix::fs::symlink("busybox", staging.join("bin").join(applet));
    }
    fs_err::write(
        staging.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\n",
    )
    .map_err(io("write /etc/passwd"))?;
    fs_err::write(staging.join("etc/group"), "root:x:0:\n").map_err(io("write /etc/group"))?;
    // Room for what was unpacked, plus a margin for ext4's own metadata.
    let used_mib = tree_bytes(&staging) / (1 << 20);
    let rootfs_mib = spec.rootfs_mib.max(used_mib + used_mib / 3 + 16).max(16);
    let rootfs = spec.rootfs.clone();
    let rootfs_tmp = rootfs.with_extension("partial");
    let _ = fs_err::remove_file(&rootfs_tmp);
    let mkfs = super::mkfs_ext4();
    tool(
        &[
            &mkfs,
            "-q",
            "-F",
            // Read-only in the guest: no journal to look at on mount.
            "-O",
            "^has_journal",
            "-L",
            "rootfs",
            "-d",
            &staging.to_string_lossy(),
            &rootfs_tmp.to_string_lossy(),
            &format!("{}M", rootfs_mib),
        ],
        &spec.cache,
        "mkfs.ext4 -d (Debian package e2fsprogs)",
    )?;
    fs_err::rename(&rootfs_tmp, &rootfs).map_err(io("move the rootfs into place"))?;
    let _ = fs_err::remove_dir_all(&staging);

    let mut files = Vec::new();
    for path in [&spec.kernel, &initrd_path, &spec.rootfs] {
        let bytes = fs_err::metadata(path)
            .map_err(io(format!("stat {}", path.display())))?
            .len();
        files.push(ImageFile {
            path: path.clone(),
            bytes,
            sha256: sha256_file(path)?,
        });
    }
    let manifest = Manifest {
        recipe: RECIPE,
        kernel_package: kernel_id,
        busybox_sha256: busybox_sha,
        agent_sha256: agent_sha,
        modules: order.into_iter().map(|(n, _)| n).collect(),
        packages: package_ids,
        files,
    };
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    write_atomic(&manifest_path, text.as_bytes())?;
    progress("done");
    Ok(ImageReport {
        built: true,
        manifest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modinfo_depends_are_read() {
        let data = b"junk\0license=GPL\0depends=mbcache,jbd2,crc16\0name=ext4\0";
        assert_eq!(module_depends(data), ["mbcache", "jbd2", "crc16"]);
        assert!(module_depends(b"\0depends=\0").is_empty());
        assert!(module_depends(b"nothing").is_empty());
    }

    #[test]
    fn cpio_entries_are_aligned_and_terminated() {
        let mut c = Cpio::new();
        c.dir("dev");
        c.file("init", 0o755, b"abc");
        let data = c.finish();
        assert_eq!(data.len() % 4, 0);
        assert!(data.starts_with(b"070701"));
        let text = String::from_utf8_lossy(&data);
        assert!(text.contains("TRAILER!!!"));
        // The file body follows its name, padded to 4 bytes.
        let at = text.find("init\0").expect("name");
        let body = (at + 5).div_ceil(4) * 4;
        assert_eq!(&data[body..body + 3], b"abc");
    }

    #[test]
    fn static_and_dynamic_elves_are_told_apart() {
        let exe = fs_err::read("/proc/self/exe").expect("read own binary");
        assert_eq!(
            elf_has_interp(&exe),
            Some(true),
            "test binaries are dynamic"
        );
        assert_eq!(elf_has_interp(b"#!/bin/sh\n"), None);
    }
}
