//! The task's file-system view, as a list of [`Step`]s PID 1 runs: default
//! deny over the user's homes, the system read-only, the workspace
//! read-write, and the protections that must hold *inside* the workspace.
//!
//! Order matters, and is the point of this module:
//!
//! 1. the host tree, read-only and nosuid, at `/newroot`;
//! 2. `/run`, `/sys` and `/tmp` replaced (host daemons' sockets, kernel
//!    knobs, the host's temporary files);
//! 3. every home ([`JailTask::hidden`]: `/home`, `/root`, the caller's home)
//!    replaced by an empty tmpfs — nothing of a user's home is visible unless
//!    it is bound back — and the task's private, writable home
//!    ([`JailTask::home`]) mounted at the caller's home path;
//! 4. the workspace, read-write, nosuid and nodev;
//! 5. the read-only binds (toolchains, `expose`, `--ro-bind`) and the
//!    writable ones (`--bind`), *after* the workspace so that a toolchain
//!    inside it (a workspace that is `$HOME`) is still read-only;
//! 6. the protected paths inside the workspace (`.git/config`,
//!    `.git/hooks`, …), read-only;
//! 7. the masks last, so a secret inside the workspace (`~/.ssh` when the
//!    workspace is `$HOME`, an `AUTONOMIC_HOME` inside a project) is hidden
//!    too, and so is one under a bind;
//! 8. the home tmpfs made read-only, a fresh `/proc`, a minimal `/dev`.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use super::plan::{cpath, cstring, Step, Tree};
use super::{sys, JailTask};

/// The view's steps and what the path check needs to know about the masks.
pub(super) struct View {
    pub(super) steps: Vec<Step>,
    /// Canonical masked paths (mounted over, or hidden with a home).
    pub(super) masked: Vec<PathBuf>,
    /// `(st_dev, st_ino)` of the host files behind file masks.
    pub(super) host_ids: Vec<(u64, u64)>,
    /// Bind sources the helper opens before the namespaces (root caller).
    pub(super) trees: Vec<Tree>,
}

const NEW: &str = "/newroot";

/// `/newroot` + absolute `path`.
pub(super) fn under(root: &str, path: &Path) -> PathBuf {
    Path::new(root).join(path.strip_prefix("/").unwrap_or(path))
}

fn new_path(path: &Path) -> PathBuf {
    under(NEW, path)
}

fn old_path(path: &Path) -> PathBuf {
    under("/oldroot", path)
}

const NODEV_NOSUID: libc::c_ulong = libc::MS_NOSUID | libc::MS_NODEV;
const RO_TMPFS: libc::c_ulong =
    libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
const READ_ONLY_TREE: u64 = sys::MOUNT_ATTR_RDONLY | sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;
const HARDENED_TREE: u64 = sys::MOUNT_ATTR_NOSUID | sys::MOUNT_ATTR_NODEV;

struct Builder {
    steps: Vec<Step>,
    /// Open host bind sources in the helper (`Step::Attach`) instead of
    /// binding their paths from inside (a root caller's task runs as an
    /// unprivileged id, which cannot walk root-only directories).
    pre_open: bool,
    trees: Vec<Tree>,
}

impl Builder {
    fn mount(
        &mut self,
        source: Option<&str>,
        target: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> Result<(), String> {
        let c = |s: &str| cstring(s.as_bytes());
        self.steps.push(Step::Mount {
            source: source.map(c).transpose()?,
            target: cpath(target)?,
            fstype: fstype.map(c).transpose()?,
            flags,
            data: data.map(c).transpose()?,
        });
        Ok(())
    }

    fn tmpfs(&mut self, target: &Path, flags: libc::c_ulong, data: &str) -> Result<(), String> {
        self.mount(Some("tmpfs"), target, Some("tmpfs"), flags, Some(data))
    }

    fn bind(&mut self, source: &Path, target: &Path, flags: libc::c_ulong) -> Result<(), String> {
        self.steps.push(Step::Mount {
            source: Some(cpath(source)?),
            target: cpath(target)?,
            fstype: None,
            flags: libc::MS_BIND | flags,
            data: None,
        });
        Ok(())
    }

    /// A read-only bind of one mount: bind, then remount the bind read-only.
    fn bind_ro(&mut self, source: &Path, target: &Path) -> Result<(), String> {
        self.bind(source, target, 0)?;
        self.bind(
            source,
            target,
            libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
        )
    }

    /// A recursive bind with `attrs` set on the whole tree (a remount could
    /// not keep the flags the host mounts below were locked with).
    fn bind_tree(&mut self, source: &Path, target: &Path, attrs: u64) -> Result<(), String> {
        self.bind(source, target, libc::MS_REC)?;
        self.step(Step::TreeAttrs {
            path: cpath(target)?,
            set: attrs,
        });
        Ok(())
    }

    /// The host's `source` (a directory tree or a file) at `target`, with
    /// `attrs` on the whole tree; `idmap` makes the owner's files the
    /// task's when the task runs as an unprivileged id.
    fn host_bind(
        &mut self,
        source: &Path,
        target: &Path,
        attrs: u64,
        idmap: bool,
    ) -> Result<(), String> {
        if !self.pre_open {
            return self.bind_tree(&old_path(source), target, attrs);
        }
        self.trees.push(Tree {
            source: cpath(source)?,
            idmap,
            attrs,
        });
        self.steps.push(Step::Attach {
            tree: self.trees.len() - 1,
            target: cpath(target)?,
        });
        Ok(())
    }

    fn mkdir(&mut self, path: &Path, exist_ok: bool) -> Result<(), String> {
        self.steps.push(Step::Mkdir {
            path: cpath(path)?,
            exist_ok,
        });
        Ok(())
    }

    /// Every missing directory from below `/newroot` down to `dir`
    /// (existing ones, even on read-only mounts, are fine).
    fn mkdir_all(&mut self, dir: &Path) -> Result<(), String> {
        let new = Path::new(NEW);
        let mut chain: Vec<&Path> = dir
            .ancestors()
            .take_while(|a| a.starts_with(new) && *a != new)
            .collect();
        chain.reverse();
        for d in chain {
            self.mkdir(d, true)?;
        }
        Ok(())
    }

    /// A mount point for `host` (a directory or a file) at its own path in
    /// the new root.
    fn mount_point(&mut self, host: &Path, is_dir: bool) -> Result<PathBuf, String> {
        let target = new_path(host);
        if is_dir {
            self.mkdir_all(&target)?;
        } else {
            if let Some(parent) = target.parent() {
                self.mkdir_all(parent)?;
            }
            self.step(Step::EnsureFile {
                path: cpath(&target)?,
                mode: 0o444,
            });
        }
        Ok(target)
    }

    fn step(&mut self, step: Step) {
        self.steps.push(step);
    }
}

/// The path a mask applies to: the parent directory resolved through
/// symlinks (so `/var/run/x` masks `/run/x`), the last component as is.
fn mask_target(path: &Path) -> Option<PathBuf> {
    let parent = path.parent()?;
    let name = path.file_name()?;
    Some(std::fs::canonicalize(parent).ok()?.join(name))
}

/// A host path that exists, resolved, and whether it is a directory.
fn existing(path: &Path) -> Option<(PathBuf, bool)> {
    let real = std::fs::canonicalize(path).ok()?;
    let meta = std::fs::metadata(&real).ok()?;
    Some((real, meta.is_dir()))
}

/// Host directories the view replaces with its own (fresh or reduced).
const REPLACED: &[&str] = &["/tmp", "/run", "/var/run", "/sys", "/dev", "/proc"];

/// `(masked paths, host inodes behind file masks)`.
type Masks = (Vec<PathBuf>, Vec<(u64, u64)>);

/// What of the host the task sees at `path`, once the view is built.
struct Visibility<'a> {
    hidden: &'a [PathBuf],
    shown: Vec<&'a Path>,
}

impl Visibility<'_> {
    /// Whether the host's `path` shows through: not under a hidden home, or
    /// under the workspace or a bind.
    fn shows(&self, path: &Path) -> bool {
        !self.hidden.iter().any(|h| path.starts_with(h))
            || self.shown.iter().any(|s| path.starts_with(s))
    }
}

/// Builds the view for `task`; warnings go to `notes`.
pub(super) fn build(
    task: &JailTask,
    notes: &mut Vec<String>,
    pre_open: bool,
) -> Result<View, String> {
    let mut b = Builder {
        steps: Vec::new(),
        pre_open,
        trees: Vec::new(),
    };
    host_tree(&mut b)?;
    run_dirs(&mut b, task)?;
    sys_dir(&mut b)?;
    let tmp_data = format!("mode=1777,size={}", task.tmp_bytes.max(4096));
    b.tmpfs(&new_path(Path::new("/tmp")), NODEV_NOSUID, &tmp_data)?;

    let hidden = hidden_dirs(task);
    homes(&mut b, task, &hidden)?;
    workspace(&mut b, &task.workspace)?;
    let ro = resolve_binds(&task.ro_binds, "read-only bind", notes);
    let rw = resolve_binds(&task.rw_binds, "bind", notes);
    for (path, is_dir) in &ro {
        let target = b.mount_point(path, *is_dir)?;
        b.host_bind(path, &target, READ_ONLY_TREE, false)?;
    }
    for (path, is_dir) in &rw {
        let target = b.mount_point(path, *is_dir)?;
        b.host_bind(path, &target, HARDENED_TREE, true)?;
    }
    protect(&mut b, task, notes)?;

    let mut shown: Vec<&Path> = vec![task.workspace.as_path()];
    shown.extend(ro.iter().chain(&rw).map(|(p, _)| p.as_path()));
    let mut gone = hidden.clone();
    gone.extend(
        REPLACED
            .iter()
            .filter_map(|d| std::fs::canonicalize(d).ok()),
    );
    let vis = Visibility {
        hidden: &gone,
        shown,
    };
    let (masked, host_ids) = masks(&mut b, task, &vis, notes)?;

    // The homes' tmpfs become read-only now that everything is mounted on
    // them (the private home stays writable).
    for dir in &hidden {
        if task.home.as_deref() != Some(dir.as_path()) {
            b.mount(
                None,
                &new_path(dir),
                None,
                libc::MS_REMOUNT | RO_TMPFS,
                None,
            )?;
        }
    }
    proc_and_dev(&mut b, task, &tmp_data)?;

    // Into the new root; drop the staging tree and the host tree with it.
    b.step(Step::Chdir(c"/newroot".into()));
    b.step(Step::PivotRoot {
        new_root: c".".into(),
        put_old: c".".into(),
    });
    b.step(Step::Detach(c".".into()));
    b.step(Step::Chdir(cpath(&task.workspace)?));
    Ok(View {
        steps: b.steps,
        masked,
        host_ids,
        trees: b.trees,
    })
}

/// Private mounts; a tmpfs staging root; the host tree, read-only, nosuid
/// and nodev, at `/newroot`.
fn host_tree(b: &mut Builder) -> Result<(), String> {
    b.mount(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    b.tmpfs(Path::new("/tmp"), NODEV_NOSUID, "mode=0755,size=64k")?;
    b.step(Step::Chdir(c"/tmp".into()));
    b.mkdir(Path::new("/tmp/oldroot"), false)?;
    b.mkdir(Path::new("/tmp/newroot"), false)?;
    b.step(Step::PivotRoot {
        new_root: c".".into(),
        put_old: c"oldroot".into(),
    });
    b.step(Step::Chdir(c"/".into()));
    b.bind_tree(Path::new("/oldroot"), Path::new(NEW), READ_ONLY_TREE)?;
    b.step(Step::Touch {
        path: c"/empty".into(),
        mode: 0,
    });
    hosts_file(b)
}

/// The sandbox's own hostname in its `/etc/hosts`: without it, a lookup of
/// the hostname (git making up an identity, Java's `InetAddress`) goes to
/// DNS, which creates an `AF_INET` socket and, with no network grant, kills
/// the task for the wrong reason.
fn hosts_file(b: &mut Builder) -> Result<(), String> {
    let host = Path::new("/etc/hosts");
    if !std::fs::symlink_metadata(host).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    let mut data = fs_err::read(host).unwrap_or_default();
    if !data.is_empty() && !data.ends_with(b"\n") {
        data.push(b'\n');
    }
    data.extend_from_slice(
        // One address only: with several, glibc sorts them by opening a
        // datagram socket per address, which is the very AF_INET socket
        // this avoids.
        format!("127.0.1.1\t{}\n", super::HOSTNAME).as_bytes(),
    );
    b.step(Step::WriteFile {
        path: c"/hosts".into(),
        data,
    });
    b.bind_ro(Path::new("/hosts"), &new_path(host))
}

/// Host runtime state: /run holds the sockets of every local daemon. A UNIX
/// socket is reachable through a read-only mount, so hide the whole
/// directory behind an empty read-only tmpfs; keep only the resolver state
/// /etc/resolv.conf may point into, and the files exposed by name.
fn run_dirs(b: &mut Builder, task: &JailTask) -> Result<(), String> {
    for dir in ["run", "var/run"] {
        let host = Path::new("/").join(dir);
        let is_real_dir = std::fs::symlink_metadata(&host)
            .map(|m| m.is_dir())
            .unwrap_or(false);
        if !is_real_dir {
            continue; // /var/run -> /run: covered by /run
        }
        let target = Path::new(NEW).join(dir);
        b.tmpfs(
            &target,
            libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
            "mode=0755,size=64k",
        )?;
        if dir == "run" && !task.exposed.is_empty() {
            let exposed = new_path(Path::new(super::EXPOSED_DIR));
            let mut at = target.clone();
            for part in ["autonomic", "exposed"] {
                at.push(part);
                b.mkdir(&at, true)?;
            }
            for (src, name) in &task.exposed {
                if name.is_empty() || name.contains('/') || name.starts_with('.') {
                    return Err(format!("exposed file name `{name}` is not a plain name"));
                }
                let src = std::fs::canonicalize(src)
                    .map_err(|e| format!("exposed file `{}`: {e}", src.display()))?;
                let dst = exposed.join(name);
                b.step(Step::Touch {
                    path: cpath(&dst)?,
                    mode: 0o444,
                });
                b.host_bind(&src, &dst, READ_ONLY_TREE, false)?;
            }
        }
        if let (true, Some(egress)) = (dir == "run", &task.egress) {
            let at = new_path(Path::new(crate::exec::egress::SOCKET_DIR));
            b.mkdir_all(&at)?;
            b.host_bind(egress, &at, READ_ONLY_TREE, true)?;
        }
        if dir == "run" && Path::new("/run/systemd/resolve").is_dir() {
            let inner = target.join("systemd");
            b.mkdir(&inner, true)?;
            b.mkdir(&inner.join("resolve"), true)?;
            b.bind_ro(
                Path::new("/oldroot/run/systemd/resolve"),
                &inner.join("resolve"),
            )?;
        }
        b.mount(None, &target, None, libc::MS_REMOUNT | RO_TMPFS, None)?;
    }
    Ok(())
}

/// /sys: only the CPU topology (nproc, os.cpu_count), read-only.
fn sys_dir(b: &mut Builder) -> Result<(), String> {
    if !Path::new("/sys/devices/system/cpu").is_dir() {
        return Ok(());
    }
    let sys_dir = Path::new(NEW).join("sys");
    b.tmpfs(
        &sys_dir,
        libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
        "mode=0755,size=16k",
    )?;
    let mut dir = sys_dir.clone();
    for part in ["devices", "system", "cpu"] {
        dir.push(part);
        b.mkdir(&dir, true)?;
    }
    b.bind_ro(Path::new("/oldroot/sys/devices/system/cpu"), &dir)?;
    b.mount(None, &sys_dir, None, libc::MS_REMOUNT | RO_TMPFS, None)
}

/// The directories hidden behind an empty tmpfs: existing real directories,
/// resolved, outermost only (`/home/alice` is inside `/home`'s), and never
/// one that is the workspace or inside it.
fn hidden_dirs(task: &JailTask) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = task
        .hidden
        .iter()
        .filter(|d| std::fs::symlink_metadata(d).is_ok_and(|m| m.is_dir()))
        .filter_map(|d| std::fs::canonicalize(d).ok())
        .filter(|d| d.parent().is_some() && !d.starts_with(&task.workspace))
        .collect();
    dirs.sort();
    dirs.dedup();
    let all = dirs.clone();
    dirs.retain(|d| !all.iter().any(|o| o != d && d.starts_with(o)));
    dirs
}

/// Every home behind an empty tmpfs (writable until [`build`] remounts it),
/// and the task's private home: the tmpfs itself when the home is one of
/// them, else a writable tmpfs of its own at the home's path.
fn homes(b: &mut Builder, task: &JailTask, hidden: &[PathBuf]) -> Result<(), String> {
    let home_data = format!("mode=0755,size={}", task.tmp_bytes.max(4096));
    for dir in hidden {
        let data = if task.home.as_deref() == Some(dir.as_path()) {
            home_data.as_str()
        } else {
            "mode=0755,size=1m"
        };
        b.tmpfs(&new_path(dir), NODEV_NOSUID, data)?;
    }
    let Some(home) = &task.home else {
        return Ok(());
    };
    if hidden.iter().any(|h| h == home)
        || task.workspace.starts_with(home) && home == &task.workspace
    {
        return Ok(());
    }
    let target = new_path(home);
    b.mkdir_all(&target)?;
    b.tmpfs(&target, NODEV_NOSUID, &home_data)
}

/// The workspace, read-write at its own path, nosuid and nodev everywhere
/// below it (a setuid file planted there is inert, and so is a device node).
fn workspace(b: &mut Builder, workspace: &Path) -> Result<(), String> {
    let target = new_path(workspace);
    b.mkdir_all(&target)?;
    b.host_bind(workspace, &target, HARDENED_TREE, true)
}

/// Existing bind sources, resolved; a missing one is noted and skipped.
fn resolve_binds(paths: &[PathBuf], what: &str, notes: &mut Vec<String>) -> Vec<(PathBuf, bool)> {
    let mut out: Vec<(PathBuf, bool)> = Vec::new();
    for path in paths {
        match existing(path) {
            Some(found) => out.push(found),
            None => notes.push(format!(
                "{what} `{}` does not exist and is skipped",
                path.display()
            )),
        }
    }
    // Outer first, so an inner bind lands on the outer one.
    out.sort_by_key(|(p, _)| p.components().count());
    out.dedup_by(|a, b| a.0 == b.0);
    out
}

/// The protected paths inside the workspace, read-only (a directory with
/// everything below it). A protected path that is a symlink is not followed
/// (the executor reports what it points to after the run).
fn protect(b: &mut Builder, task: &JailTask, notes: &mut Vec<String>) -> Result<(), String> {
    let mut pinned: Vec<PathBuf> = Vec::new();
    let mut protected: Vec<&Path> = Vec::new();
    for path in &task.protected {
        let root = std::iter::once(&task.workspace)
            .chain(&task.rw_binds)
            .filter(|r| path.starts_with(r))
            .max_by_key(|r| r.components().count());
        let Some(root) = root else {
            return Err(format!(
                "protected path `{}` is neither in the workspace nor under a writable bind",
                path.display()
            ));
        };
        let Ok(meta) = std::fs::symlink_metadata(path) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            notes.push(format!(
                "protected path `{}` is a symlink and is not made read-only",
                path.display()
            ));
            continue;
        }
        // Every directory between the writable root and the protected path
        // becomes a mount point of its own, which cannot be renamed or
        // removed (EBUSY): otherwise `mv .git .git-old` and a new `.git`
        // with a planted config would sidestep the read-only `.git/config`.
        pinned.extend(
            path.ancestors()
                .skip(1)
                .take_while(|a| a.starts_with(root) && *a != root)
                .filter(|a| std::fs::symlink_metadata(a).is_ok_and(|m| m.is_dir()))
                .map(Path::to_path_buf),
        );
        protected.push(path);
    }
    pinned.sort_by_key(|p| p.components().count());
    pinned.dedup();
    // From the workspace as the view already shows it (idmapped for an
    // unprivileged task), onto itself: pinned directories stay writable,
    // protected paths become read-only.
    for dir in &pinned {
        let target = new_path(dir);
        b.bind_tree(&target, &target, HARDENED_TREE)?;
    }
    for path in protected {
        let target = new_path(path);
        b.bind_tree(&target, &target, READ_ONLY_TREE)?;
    }
    Ok(())
}

/// The masks: an empty mode-000 read-only tmpfs over a directory, an empty
/// mode-000 file over anything else, wherever the host path shows through
/// (including inside the workspace and the binds). Masked paths under a
/// hidden home are not visible at all; they are still listed for the path
/// check.
fn masks(
    b: &mut Builder,
    task: &JailTask,
    vis: &Visibility<'_>,
    notes: &mut Vec<String>,
) -> Result<Masks, String> {
    let mut masked: Vec<PathBuf> = Vec::new();
    let mut host_ids = task.host_ids.clone();
    let mut wanted: Vec<PathBuf> = task.masked.iter().filter_map(|m| mask_target(m)).collect();
    wanted.sort();
    wanted.dedup();
    for path in wanted {
        if task.workspace.starts_with(&path) {
            notes.push(format!(
                "`{}` is not masked: the workspace `{}` is inside it",
                path.display(),
                task.workspace.display()
            ));
            continue;
        }
        if !vis.shows(&path) {
            // Not in the view at all (under a hidden home, or under /tmp,
            // /run, /sys, /dev, /proc, which the view replaces): nothing to
            // mount over, and a tool probing for it (`~/.npmrc`) only gets
            // ENOENT, which is not worth a kill.
            continue;
        }
        if masked.iter().any(|m| path.starts_with(m)) {
            // Hidden already by a masked parent; still matched by name.
            masked.push(path);
            continue;
        }
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue; // nothing there to hide
        };
        if meta.file_type().is_symlink() {
            notes.push(format!(
                "`{}` is a symlink and is not masked (list its target)",
                path.display()
            ));
            continue;
        }
        let target = new_path(&path);
        if meta.is_dir() {
            b.tmpfs(&target, RO_TMPFS, "mode=000,size=4k")?;
        } else {
            b.bind(Path::new("/empty"), &target, 0)?;
            b.bind(
                Path::new("/empty"),
                &target,
                libc::MS_REMOUNT | libc::MS_RDONLY,
            )?;
            host_ids.push((meta.dev(), meta.ino()));
        }
        masked.push(path);
    }
    Ok((masked, host_ids))
}

/// A fresh /proc for the new PID namespace and a minimal /dev.
fn proc_and_dev(b: &mut Builder, task: &JailTask, tmp_data: &str) -> Result<(), String> {
    let new = Path::new(NEW);
    b.mount(
        Some("proc"),
        &new.join("proc"),
        Some("proc"),
        NODEV_NOSUID | libc::MS_NOEXEC,
        None,
    )?;
    let dev = new.join("dev");
    b.tmpfs(
        &dev,
        libc::MS_NOSUID | libc::MS_NOEXEC,
        "mode=0755,size=64k",
    )?;
    for node in super::plan::check_dev_nodes(&task.dev_nodes)? {
        let target = dev.join(node);
        b.step(Step::Touch {
            path: cpath(&target)?,
            mode: 0o666,
        });
        b.bind(&Path::new("/oldroot/dev").join(node), &target, 0)?;
    }
    for (link, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        b.step(Step::Symlink {
            target: cstring(to.as_bytes())?,
            link: cpath(&dev.join(link))?,
        });
    }
    b.mkdir(&dev.join("shm"), false)?;
    b.tmpfs(&dev.join("shm"), NODEV_NOSUID, tmp_data)?;
    b.mount(
        None,
        &dev,
        None,
        libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NOEXEC,
        None,
    )
}
