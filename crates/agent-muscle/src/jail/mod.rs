//! The `seccomp` level's sandbox: namespaces, a read-only view of the host
//! with secrets masked, Landlock, and a seccomp filter whose denials (and,
//! optionally, path-taking syscalls) go to a supervisor.
//!
//! The set-up runs in `muscle-jail`, a small helper binary the executor
//! spawns for every task (as Firecracker's jailer and codex-rs's
//! linux-sandbox do), so the executor's multi-threaded daemon never forks
//! into namespace code, and the jail's own forks copy a small process, not
//! the daemon. The executor hands the [`JailTask`] over as JSON in a memfd on
//! [`TASK_FD`] (argv is readable by other processes) and reads the report
//! from [`REPORT_FD`]. The helper computes everything that allocates — paths,
//! mount list, filter, argv/envp, Landlock rules — up front as a `Plan`;
//! after that its processes only make raw syscalls over that data and format
//! report lines into stack buffers (so the same code would also be safe
//! between `fork` and `exec` of a multi-threaded process).
//!
//! (An exec-free variant, running all of this in the executor's forked child,
//! was measured slower here: each of the three forks then copies the
//! executor's page tables, which costs more under this machine's software
//! virtualization than one `exec` of the helper.)
//!
//! # Processes
//!
//! 1. **The helper** (the process the executor spawned and watches; in the
//!    run's session, process group and cgroup): closes every descriptor
//!    above the report pipe, `unshare`s user, mount, PID, IPC and UTS
//!    namespaces (and a network namespace unless network is granted), maps
//!    the caller's uid/gid to [`INSIDE_ID`] (`setgroups` denied), sets the
//!    hostname, forks PID 1 and mirrors its exit status. A **root caller's**
//!    task runs as an unprivileged host id instead (`identity.rs`): the
//!    helper drops its supplementary groups, opens every bind source itself
//!    as a detached tree (the workspace, writable binds and the egress
//!    directory idmapped, so the owner's files are the task's), and a forked
//!    mapper writes the maps `INSIDE_ID` → `TASK_HOST_ID` from outside.
//! 2. **PID 1** of the new PID namespace builds the filesystem view:
//!    mounts made private; a tmpfs staging root; `pivot_root` into it with
//!    the host tree at `/oldroot`; the host tree bound recursively at
//!    `/newroot`, read-only and nosuid (`mount_setattr`, `AT_RECURSIVE`);
//!    masks over the sensitive paths (an empty, mode-000 read-only tmpfs
//!    over a directory, an empty mode-000 file over anything else); `/run`
//!    (and a real `/var/run`) hidden behind an empty read-only tmpfs, keeping
//!    only `/run/systemd/resolve`; `/sys` reduced to `devices/system/cpu`; a
//!    fresh, size-limited tmpfs `/tmp`; the workspace bound read-write at its
//!    own path; a fresh `/proc`; a minimal `/dev`; then `pivot_root` again
//!    and the staging tree detached. Without network it brings the new
//!    namespace's loopback up. It then forks the task and becomes its
//!    supervisor (see below); when the task exits, PID 1 reports and exits,
//!    and the kernel kills everything else in the PID namespace — the
//!    double-fork + `setsid` escape has nowhere to go.
//!    With a network grant ([`JailTask::egress`]) it first forks the relay
//!    (`relay.rs`): a listener on `127.0.0.1:3128` in the task's network
//!    namespace that carries each connection to the executor's egress proxy
//!    through the proxy's socket, bound read-only into the view.
//! 3. **The task** unblocks signals, marks every inherited descriptor
//!    close-on-exec, turns core dumps off (`RLIMIT_CORE` 0), applies Landlock (writes only under the workspace,
//!    `/tmp`, `/dev/shm` and to the `/dev` nodes; on ABI ≥ 6 abstract UNIX
//!    sockets and signals are scoped to the sandbox), sets no_new_privs,
//!    installs the seccomp filter with a user-notification listener, hands
//!    the listener to PID 1 (`pidfd_getfd`) and `execve`s.
//!
//! # The supervisor
//!
//! The filter sends every denial except the architecture and x32 guards to
//! PID 1 as a user notification instead of killing outright, so the report
//! names the syscall and its first argument. PID 1 then stops every process
//! in the sandbox and kills them all with SIGSYS — the task never gets an
//! answer, so the denied call never runs — and SIGKILLs whatever is still
//! alive 100 ms later (a process can catch SIGSYS). If PID 1 were gone the
//! whole namespace would be gone with it, so a denial cannot turn into an
//! `ENOSYS` the task survives.
//!
//! With [`JailTask::watch_paths`], the path-taking syscalls the profile
//! allows (`openat`, `execve`, `stat`, `readlink`, `rename`, …; see
//! [`notify`]) also go to PID 1, which reads the path from the task's
//! memory, resolves it against the task's root, cwd or directory fd through
//! symlinks, and kills the task with SIGSYS when it names a masked path (by
//! name, or by inode, which also catches hard links), reporting the path.
//! Otherwise the call continues. This check is racy by nature (the task can
//! change the path after it) and is *detection*: the mount view and Landlock
//! are what actually keep the secrets out.
//!
//! # Gaps
//! - Landlock restricts writes only; reads are bounded by the mount view and
//!   the masks, not by the profile.
//! - Memory, pids and disk limits are the executor's (the outer child joins
//!   the run's cgroup before anything else, so everything here counts; the
//!   disk budget is a poll of the file system plus `RLIMIT_FSIZE`, see
//!   `Limits::disk_bytes`).
//! - A protected path that does not exist before the run cannot be mounted
//!   over without leaving a stub on the host: the task can create one, and
//!   the post-run sweep (`exec::traps`) reports and removes it. A host tool
//!   running *during* the run can still see it.
//! - For a root caller, workspace files owned by other users than the
//!   workspace's owner appear unowned (overflow id) and are read-only; the
//!   workspace's file system must support idmapped mounts.
//! - A mask that would hide the workspace (the workspace is inside it) is
//!   skipped with a warning; a masked path that is itself a symlink is not
//!   masked (its target is, when listed).
//! - A pathname UNIX socket of a host daemon outside `/run`, `/tmp`, the
//!   homes and the masks stays reachable when the task's id may write it
//!   (the caller's own id, for a caller other than root); with
//!   `watch_paths` a `connect` to it is not detected either (its address is
//!   not a path argument the filter can route).

mod child;
pub(crate) mod identity;
pub(crate) mod notify;
mod plan;
mod relay;
pub(crate) mod report;
mod sys;
mod view;

use std::ffi::OsString;
use std::os::fd::FromRawFd as _;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::bpf::SyscallPolicy;

pub use identity::TASK_HOST_ID;
use plan::Plan;
pub use sys::landlock_abi;

/// The sandbox's hostname (UTS namespace), resolvable through its own
/// `/etc/hosts`.
pub const HOSTNAME: &str = "autonomic";

/// The uid and gid the task has inside its user namespace.
pub const INSIDE_ID: u32 = 1000;

/// The descriptor the report is written to (in the jail's processes).
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
    /// Route path-taking syscalls through the supervisor's masked-path check.
    pub watch_paths: bool,
    /// Size of the task's `/tmp` (and `/dev/shm`) tmpfs in bytes.
    pub tmp_bytes: u64,
    /// `(st_dev, st_ino)` of the files under the masked directories, for the
    /// hard-link check (the executor collects and caches them).
    #[serde(default)]
    pub host_ids: Vec<(u64, u64)>,
    /// Host files shown read-only at `EXPOSED_DIR/<name>` even when a mask
    /// hides where they live (the microVM's guest image under
    /// `~/.autonomic`).
    #[serde(default)]
    pub exposed: Vec<(PathBuf, String)>,
    /// Extra `/dev` nodes the task may open read-write (`kvm`).
    #[serde(default)]
    pub dev_nodes: Vec<String>,
    /// Directories replaced by an empty tmpfs (`/home`, `/root`, the
    /// caller's home): nothing of a user's home is visible unless it is bound
    /// back with [`JailTask::ro_binds`] or [`JailTask::rw_binds`].
    #[serde(default)]
    pub hidden: Vec<PathBuf>,
    /// The task's private home: a fresh, writable tmpfs at this path (the
    /// caller's home path, so `~/.cargo/bin` on `PATH` still resolves).
    #[serde(default)]
    pub home: Option<PathBuf>,
    /// Host paths shown read-only at their own path (toolchains, config).
    #[serde(default)]
    pub ro_binds: Vec<PathBuf>,
    /// Host paths shown read-write (nosuid, nodev) at their own path.
    #[serde(default)]
    pub rw_binds: Vec<PathBuf>,
    /// Absolute paths inside the workspace made read-only (files the host's
    /// tools execute: `.git/config`, `.git/hooks`, …).
    #[serde(default)]
    pub protected: Vec<PathBuf>,
    /// A network grant through the executor's proxy: the host directory
    /// holding its socket, shown read-only at
    /// [`crate::exec::egress::SOCKET_DIR`]; PID 1 starts the relay on
    /// `127.0.0.1:`[`crate::exec::egress::PROXY_PORT`].
    #[serde(default)]
    pub egress: Option<PathBuf>,
    /// Allow `bind`/`listen` on the sandbox's own loopback (see
    /// [`crate::bpf::CompileOptions::private_loopback_server`]); refused
    /// when the host's network namespace is kept.
    #[serde(default)]
    pub private_loopback_server: bool,
    /// Protected paths that do not exist yet (absolute, resolved): with
    /// [`JailTask::watch_paths`], creating one kills the task and names it
    /// (the post-run sweep removes one made while the watch was raced or
    /// off).
    #[serde(default)]
    pub protected_missing: Vec<PathBuf>,
}

/// Where [`JailTask::exposed`] files appear inside the sandbox.
pub const EXPOSED_DIR: &str = "/run/autonomic/exposed";

/// The helper's entry point (`muscle-jail`): reads the task from [`TASK_FD`],
/// prepares it and becomes the jail's outer process. Never returns.
pub fn main() -> ! {
    let fd = REPORT_FD;
    let task = match read_task() {
        Ok(task) => task,
        Err(msg) => report::fail_msg(fd, &msg),
    };
    let mut plan = match Plan::new(&task) {
        Ok(plan) => plan,
        Err(msg) => report::fail_msg(fd, &msg),
    };
    for note in std::mem::take(&mut plan.notes) {
        report::note(fd, &note);
    }
    child::outer(&mut plan)
}

fn read_task() -> Result<JailTask, String> {
    use std::io::Read as _;
    // SAFETY: TASK_FD is the memfd the executor installed for this process
    // alone; the File takes it over and closes it after reading.
    let file = unsafe { std::fs::File::from_raw_fd(TASK_FD) };
    let mut text = String::new();
    file.take(MAX_TASK_BYTES).read_to_string(&mut text).map_err(|e| {
        format!(
            "read the task description from fd {TASK_FD} (muscle-jail is run by agent-muscle, not by hand): {e}"
        )
    })?;
    serde_json::from_str(&text).map_err(|e| format!("the task description is not valid: {e}"))
}
