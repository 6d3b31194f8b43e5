//! `muscle-jail`: the small helper that the executor re-runs for every task at
//! the `seccomp` level. Doing namespace and filter set-up in a fresh,
//! single-threaded process (as Firecracker's jailer and codex-rs's
//! linux-sandbox do) keeps it away from the multi-threaded daemon.
//!
//! The executor spawns `muscle-jail` with the task's stdin, stdout and
//! stderr, a report pipe on fd 3 and the [`JailTask`] as JSON in a memfd on
//! fd 4 (not in argv, which other processes can read). The jail:
//!
//! 1. `unshare`s user, mount, PID, IPC and UTS namespaces, and a network
//!    namespace unless network is granted; maps the caller's uid/gid to
//!    [`INSIDE_ID`] (`setgroups` denied); sets the hostname.
//! 2. forks the namespace's PID 1, which builds the filesystem view:
//!    mounts made private; a tmpfs staging root; `pivot_root` into it with
//!    the host tree at `/oldroot`; the host tree bound recursively at
//!    `/newroot` and made read-only and nosuid (`mount_setattr`,
//!    `AT_RECURSIVE`); masks over the sensitive paths (an empty, mode-000
//!    read-only tmpfs over a directory, an empty mode-000 file over anything
//!    else); a fresh tmpfs `/tmp`; the workspace bound read-write at its own
//!    path; a fresh `/proc`; a minimal `/dev` (null, zero, full, random,
//!    urandom, fd/std* links, a tmpfs `shm`); then `pivot_root` again and the
//!    staging tree lazily unmounted; `chdir` to the workspace.
//! 3. PID 1 forks the task, which applies Landlock (writes only under the
//!    workspace, `/tmp`, `/dev/shm`, and to the `/dev` nodes; on ABI ≥ 6 also
//!    scoped abstract UNIX sockets and signals), then no_new_privs and the
//!    seccomp filter, then `execve`s. PID 1 reaps everything until the task
//!    exits, writes the task's status to fd 3 and exits — and the kernel kills
//!    every other process of the PID namespace, which closes the double-fork
//!    + `setsid` escape.
//!
//! Report lines on fd 3: `note <text>`, `error <text>` (set-up failed; the
//! task did not run), then `exit <code>` or `signal <number>`.
//!
//! # Gaps (open work, issue 4)
//! - The syscall number of a seccomp kill is not known: `SECCOMP_RET_KILL_PROCESS`
//!   leaves only SIGSYS in the wait status, so the executor reports
//!   `number: -1`. Getting it needs the audit log or `SECCOMP_RET_TRAP`.
//! - No seccomp user notification for path attempts; paths are enforced by
//!   the mount view and Landlock only, and nothing *reports* a denied path.
//! - Landlock restricts writes only; reads are bounded by the mount view and
//!   masks, not by the profile.
//! - The new network namespace's loopback is left down.
//! - Memory and pids limits are the executor's: it puts the jail itself in
//!   the run's cgroup (or, without one, sets the rlimits of level `none`).
//! - `/sys` stays visible (read-only); `/tmp` has no size limit.
//! - A mask that would hide the workspace (the workspace is inside it) is
//!   skipped, with a note.
//! - If the jail dies between `fork` and PID 1's `PR_SET_PDEATHSIG`, PID 1
//!   can outlive it until the task ends.

mod sys;

use std::ffi::{CString, OsString};
use std::io::Write as _;
use std::os::fd::FromRawFd as _;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bpf::{self, SyscallPolicy};

/// The uid and gid the task has inside its user namespace.
pub const INSIDE_ID: u32 = 1000;

/// The descriptor the report is written to.
pub const REPORT_FD: i32 = 3;

/// The descriptor the task description (JSON, at most [`MAX_TASK_BYTES`]) is
/// read from.
pub const TASK_FD: i32 = 4;

/// The largest task description the jail accepts.
pub const MAX_TASK_BYTES: u64 = 16 * 1024 * 1024;

/// Exit code of the jail when set-up failed (the report says why).
pub const SETUP_FAILED: i32 = 125;

/// What the jail runs, as the executor hands it over.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JailTask {
    /// Absolute path of the program.
    pub program: PathBuf,
    /// Its argv (`argv[0]` as given).
    pub argv: Vec<String>,
    /// The complete environment.
    pub env: Vec<(OsString, OsString)>,
    /// Absolute workspace path (bound read-write, the working directory).
    pub workspace: PathBuf,
    /// The seccomp policy (socket domains already reduced to AF_UNIX when
    /// network is not granted).
    pub policy: SyscallPolicy,
    /// Whether to keep the host network namespace.
    pub network: bool,
    /// Absolute paths to hide from the task.
    pub masked: Vec<PathBuf>,
}

/// The jail's entry point: reads the task from `argv[1]`, runs it, and exits
/// with the task's exit code (or [`SETUP_FAILED`]).
pub fn main() -> ! {
    // The report pipe must not reach the task.
    let _ = sys::set_cloexec(REPORT_FD);
    let _ = sys::set_cloexec(TASK_FD);
    let task = match read_task() {
        Ok(task) => task,
        Err(msg) => fail(&msg),
    };
    match jail(&task) {
        Ok(code) => sys::exit_now(code),
        Err(msg) => fail(&msg),
    }
}

fn read_task() -> Result<JailTask, String> {
    use std::io::Read as _;
    // SAFETY: TASK_FD is the memfd the executor installed for this process
    // alone; the File takes it over and closes it after reading.
    let file = unsafe { std::fs::File::from_raw_fd(TASK_FD) };
    let mut text = String::new();
    file.take(MAX_TASK_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| format!("read the task description from fd {TASK_FD} (muscle-jail is run by agent-muscle, not by hand): {e}"))?;
    serde_json::from_str(&text).map_err(|e| format!("the task description is not valid: {e}"))
}

fn report(line: &str) {
    let mut file = std::mem::ManuallyDrop::new(
        // SAFETY: REPORT_FD is the report pipe the executor installed; the
        // ManuallyDrop wrapper never closes it, so ownership is only borrowed.
        unsafe { std::fs::File::from_raw_fd(REPORT_FD) },
    );
    let _ = writeln!(file, "{line}");
}

fn fail(msg: &str) -> ! {
    report(&format!("error {}", msg.replace('\n', " ")));
    sys::exit_now(SETUP_FAILED)
}

fn cstr(path: &Path) -> Result<CString, String> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| format!("path `{}` contains a NUL byte", path.display()))
}

fn ctx(what: &'static str) -> impl FnOnce(std::io::Error) -> String {
    move |e| format!("{what}: {e}")
}

fn jail(task: &JailTask) -> Result<i32, String> {
    let (uid, gid) = sys::ids();
    let mut flags = libc::CLONE_NEWUSER
        | libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS;
    if !task.network {
        flags |= libc::CLONE_NEWNET;
    }
    sys::unshare(flags).map_err(ctx("unshare the namespaces"))?;
    write_file("/proc/self/setgroups", "deny")?;
    write_file("/proc/self/uid_map", &format!("{INSIDE_ID} {uid} 1"))?;
    write_file("/proc/self/gid_map", &format!("{INSIDE_ID} {gid} 1"))?;
    sys::sethostname(b"autonomic").map_err(ctx("set the hostname"))?;

    let init = sys::fork().map_err(ctx("fork PID 1"))?;
    if init == 0 {
        let code = match pid1(task) {
            Ok(code) => code,
            Err(msg) => fail(&msg),
        };
        sys::exit_now(code);
    }
    let (_, status) = sys::wait(init).map_err(ctx("wait for PID 1"))?;
    Ok(if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "the jail reports errors with the path itself"
)]
fn write_file(path: &str, text: &str) -> Result<(), String> {
    std::fs::write(path, text).map_err(|e| format!("write `{text}` to {path}: {e}"))
}

/// PID 1 of the new PID namespace: build the view, run the task, reap.
fn pid1(task: &JailTask) -> Result<i32, String> {
    sys::die_with_parent().map_err(ctx("prctl(PR_SET_PDEATHSIG)"))?;
    build_view(task)?;
    let program = cstr(&task.program)?;
    let argv = task
        .argv
        .iter()
        .map(|a| CString::new(a.as_bytes()).map_err(|_| "an argument contains NUL".to_owned()))
        .collect::<Result<Vec<_>, _>>()?;
    let env = task
        .env
        .iter()
        .map(|(k, v)| {
            let mut kv = k.as_bytes().to_vec();
            kv.push(b'=');
            kv.extend_from_slice(v.as_bytes());
            CString::new(kv).map_err(|_| "an environment entry contains NUL".to_owned())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let filter = bpf::compile(&task.policy).map_err(|e| format!("compile the filter: {e}"))?;

    let child = sys::fork().map_err(ctx("fork the task"))?;
    if child == 0 {
        if let Err(msg) = landlock(&task.workspace) {
            fail(&msg);
        }
        if let Err(e) = bpf::install(&filter) {
            fail(&format!("install the seccomp filter: {e}"));
        }
        let err = sys::execve(&program, &argv, &env);
        fail(&format!("execve `{}`: {err}", task.program.display()));
    }
    loop {
        let (pid, status) = sys::wait(-1).map_err(ctx("wait for the task"))?;
        if pid == child {
            if libc::WIFSIGNALED(status) {
                report(&format!("signal {}", libc::WTERMSIG(status)));
                return Ok(128 + libc::WTERMSIG(status));
            }
            let code = libc::WEXITSTATUS(status);
            report(&format!("exit {code}"));
            return Ok(code);
        }
    }
}

fn mkdir_all(path: &Path) -> Result<(), String> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .create(path)
        .map_err(|e| format!("create `{}`: {e}", path.display()))
}

fn touch(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::OpenOptionsExt as _;
    #[expect(clippy::disallowed_methods, reason = "the error names the path")]
    let made = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(path);
    made.map(drop)
        .map_err(|e| format!("create `{}`: {e}", path.display()))
}

fn under(root: &str, path: &Path) -> PathBuf {
    let rel = path.strip_prefix("/").unwrap_or(path);
    Path::new(root).join(rel)
}

fn mount_at(
    source: Option<&str>,
    target: &Path,
    fstype: Option<&str>,
    flags: libc::c_ulong,
    data: Option<&str>,
) -> Result<(), String> {
    let c = |s: &str| CString::new(s).map_err(|_| "NUL in mount argument".to_owned());
    let source_c = source.map(c).transpose()?;
    let fstype_c = fstype.map(c).transpose()?;
    let data_c = data.map(c).transpose()?;
    sys::mount(
        source_c.as_deref(),
        &cstr(target)?,
        fstype_c.as_deref(),
        flags,
        data_c.as_deref(),
    )
    .map_err(|e| {
        format!(
            "mount {} on `{}`: {e}",
            source.or(fstype).unwrap_or("-"),
            target.display()
        )
    })
}

fn bind(source: &Path, target: &Path, flags: libc::c_ulong) -> Result<(), String> {
    let src = source.to_str().ok_or("non-UTF-8 bind source")?;
    mount_at(Some(src), target, None, libc::MS_BIND | flags, None)
}

fn build_view(task: &JailTask) -> Result<(), String> {
    let nodev_nosuid = libc::MS_NOSUID | libc::MS_NODEV;
    mount_at(
        None,
        Path::new("/"),
        None,
        libc::MS_REC | libc::MS_PRIVATE,
        None,
    )?;
    // Staging root: a tmpfs on /tmp of this (private) mount namespace.
    mount_at(
        Some("tmpfs"),
        Path::new("/tmp"),
        Some("tmpfs"),
        nodev_nosuid,
        Some("mode=0755"),
    )?;
    std::env::set_current_dir("/tmp").map_err(|e| format!("chdir /tmp: {e}"))?;
    mkdir_all(Path::new("/tmp/oldroot"))?;
    mkdir_all(Path::new("/tmp/newroot"))?;
    sys::pivot_root(c".", c"oldroot").map_err(ctx("pivot_root to the staging root"))?;
    std::env::set_current_dir("/").map_err(|e| format!("chdir /: {e}"))?;

    // The host tree, read-only.
    let new = Path::new("/newroot");
    bind(Path::new("/oldroot"), new, libc::MS_REC)?;
    sys::make_tree_read_only(c"/newroot").map_err(ctx("make the host tree read-only"))?;

    // Masks.
    touch(Path::new("/empty"), 0)?;
    for masked in &task.masked {
        if task.workspace.starts_with(masked) {
            report(&format!(
                "note `{}` is not masked: the workspace `{}` is inside it",
                masked.display(),
                task.workspace.display()
            ));
            continue;
        }
        let target = under("/newroot", masked);
        // Resolve in the host tree (under /oldroot) without following a
        // final symlink; a missing path needs no mask.
        let Ok(meta) = std::fs::symlink_metadata(under("/oldroot", masked)) else {
            continue;
        };
        if meta.file_type().is_symlink() {
            report(&format!(
                "note `{}` is a symlink and is not masked",
                masked.display()
            ));
            continue;
        }
        let ro = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        let done = if meta.is_dir() {
            mount_at(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                ro,
                Some("mode=000,size=4k"),
            )
        } else {
            bind(Path::new("/empty"), &target, 0).and_then(|()| {
                bind(
                    Path::new("/empty"),
                    &target,
                    libc::MS_REMOUNT | libc::MS_RDONLY,
                )
            })
        };
        if let Err(e) = done {
            // A path that vanished in between, or one reached through a
            // symlinked parent, cannot be masked: refuse to run rather than
            // run with a secret in view.
            return Err(format!("mask `{}`: {e}", masked.display()));
        }
    }

    // Host runtime state: /run holds the sockets of every local daemon
    // (docker, containerd, podman, systemd, D-Bus, user buses, journald's
    // /dev/log). A UNIX socket is reachable through a read-only mount and the
    // task's uid owns root's files here, so hide the whole directory behind an
    // empty tmpfs instead of listing sockets; keep only the resolver state
    // /etc/resolv.conf may point into, read-only.
    hide_run(new)?;

    // Fresh /tmp, then the workspace (whose mount point may be inside it).
    mount_at(
        Some("tmpfs"),
        &new.join("tmp"),
        Some("tmpfs"),
        nodev_nosuid,
        Some("mode=1777"),
    )?;
    let ws_target = under("/newroot", &task.workspace);
    if !ws_target.is_dir() {
        mkdir_all(&ws_target)?;
    }
    bind(
        &under("/oldroot", &task.workspace),
        &ws_target,
        libc::MS_REC,
    )?;

    // Fresh /proc for the new PID namespace.
    mount_at(
        Some("proc"),
        &new.join("proc"),
        Some("proc"),
        nodev_nosuid | libc::MS_NOEXEC,
        None,
    )?;

    // Minimal /dev.
    let dev = new.join("dev");
    mount_at(
        Some("tmpfs"),
        &dev,
        Some("tmpfs"),
        libc::MS_NOSUID | libc::MS_NOEXEC,
        Some("mode=0755"),
    )?;
    for node in ["null", "zero", "full", "random", "urandom"] {
        let target = dev.join(node);
        touch(&target, 0o666)?;
        bind(&Path::new("/oldroot/dev").join(node), &target, 0)?;
    }
    for (link, to) in [
        ("fd", "/proc/self/fd"),
        ("stdin", "/proc/self/fd/0"),
        ("stdout", "/proc/self/fd/1"),
        ("stderr", "/proc/self/fd/2"),
    ] {
        std::os::unix::fs::symlink(to, dev.join(link))
            .map_err(|e| format!("symlink /dev/{link}: {e}"))?;
    }
    mkdir_all(&dev.join("shm"))?;
    mount_at(
        Some("tmpfs"),
        &dev.join("shm"),
        Some("tmpfs"),
        nodev_nosuid,
        Some("mode=1777"),
    )?;
    // /dev itself read-only from here on (its nodes stay writable).
    mount_at(
        None,
        &dev,
        None,
        libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NOEXEC,
        None,
    )?;

    // Into the new root; drop the staging tree and the host tree with it.
    std::env::set_current_dir(new).map_err(|e| format!("chdir /newroot: {e}"))?;
    sys::pivot_root(c".", c".").map_err(ctx("pivot_root to the new root"))?;
    sys::umount2(c".", libc::MNT_DETACH).map_err(ctx("detach the old root"))?;
    std::env::set_current_dir(&task.workspace)
        .map_err(|e| format!("chdir to the workspace `{}`: {e}", task.workspace.display()))?;
    Ok(())
}

// Landlock filesystem rights (<linux/landlock.h>).
const LL_WRITE_FILE: u64 = 1 << 1;
const LL_REMOVE_DIR: u64 = 1 << 4;
const LL_REMOVE_FILE: u64 = 1 << 5;
const LL_MAKE_ALL: u64 = 0x7f << 6; // MAKE_CHAR ..= MAKE_SYM
const LL_REFER: u64 = 1 << 13;
const LL_TRUNCATE: u64 = 1 << 14;
const LL_SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1;
const LL_SCOPE_SIGNAL: u64 = 2;

/// Restricts writes to the workspace, /tmp, /dev/shm and the /dev nodes.
/// Without Landlock the task still runs (the read-only mount view holds), and
/// a note says so.
fn landlock(workspace: &Path) -> Result<(), String> {
    sys::no_new_privs().map_err(ctx("prctl(PR_SET_NO_NEW_PRIVS)"))?;
    let Some(abi) = sys::landlock_abi() else {
        report(
            "note Landlock is not available; writes are limited by the read-only mount view only",
        );
        return Ok(());
    };
    let mut write = LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_ALL;
    let mut file_write = LL_WRITE_FILE;
    if abi >= 2 {
        write |= LL_REFER;
    }
    if abi >= 3 {
        write |= LL_TRUNCATE;
        file_write |= LL_TRUNCATE;
    }
    let attr = sys::RulesetAttr {
        handled_access_fs: write,
        handled_access_net: 0,
        scoped: if abi >= 6 {
            LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL
        } else {
            0
        },
    };
    let size = match abi {
        1..=3 => 8,
        4 | 5 => 16,
        _ => 24,
    };
    let ruleset =
        sys::landlock_create_ruleset(&attr, size).map_err(ctx("landlock_create_ruleset"))?;
    for (path, access) in [
        (workspace, write),
        (Path::new("/tmp"), write),
        (Path::new("/dev/shm"), write),
    ] {
        let fd = sys::open_path(&cstr(path)?)
            .map_err(|e| format!("open `{}` for Landlock: {e}", path.display()))?;
        sys::landlock_allow_beneath(&ruleset, &fd, access)
            .map_err(|e| format!("Landlock rule for `{}`: {e}", path.display()))?;
    }
    for node in ["null", "zero", "full", "random", "urandom"] {
        let path = Path::new("/dev").join(node);
        let fd = sys::open_path(&cstr(&path)?)
            .map_err(|e| format!("open `{}` for Landlock: {e}", path.display()))?;
        sys::landlock_allow_beneath(&ruleset, &fd, file_write)
            .map_err(|e| format!("Landlock rule for `{}`: {e}", path.display()))?;
    }
    sys::landlock_restrict_self(&ruleset).map_err(ctx("landlock_restrict_self"))?;
    Ok(())
}

/// Covers `/run` (and a real `/var/run` directory) of the new root with an
/// empty tmpfs, re-binding `/run/systemd/resolve` read-only when it exists.
fn hide_run(new: &Path) -> Result<(), String> {
    let ro = libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
    for dir in ["run", "var/run"] {
        let host = Path::new("/oldroot").join(dir);
        let Ok(meta) = std::fs::symlink_metadata(&host) else {
            continue;
        };
        if !meta.is_dir() {
            continue; // /var/run -> /run: covered by /run
        }
        mount_at(
            Some("tmpfs"),
            &new.join(dir),
            Some("tmpfs"),
            ro,
            Some("mode=0755,size=64k"),
        )?;
    }
    let resolve = Path::new("run/systemd/resolve");
    if Path::new("/oldroot").join(resolve).is_dir() {
        let target = new.join(resolve);
        mkdir_all(&target)?;
        bind(&Path::new("/oldroot").join(resolve), &target, 0)?;
        bind(
            &Path::new("/oldroot").join(resolve),
            &target,
            libc::MS_REMOUNT | libc::MS_RDONLY,
        )?;
    }
    Ok(())
}
