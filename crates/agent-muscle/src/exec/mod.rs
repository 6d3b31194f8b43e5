//! The executor: runs one task (an argv) at a sandbox level, with limits,
//! and reports how it ended.
//!
//! Level `none` is a plain subprocess in its own session
//! and process group, working directory = the workspace, a scrubbed
//! environment, rlimits set between `fork` and `exec`, stdout/stderr captured
//! up to a cap, a wall-clock timeout, and a kill of the task's process tree
//! at the end of every run.
//!
//! Level `seccomp` runs the same way, except that what is spawned is the
//! `muscle-jail` helper ([`crate::jail`], which documents the sandbox and its
//! gaps): new namespaces, a read-only view of the host with the workspace
//! writable and secrets masked, Landlock, and the seccomp filter compiled
//! from [`ExecSpec::policy`]; the task is a child of PID 1 of its own PID
//! namespace, so nothing it starts outlives it. A seccomp kill comes back as
//! [`Violation::Syscall`] (without the syscall's number for now).
//! `firecracker` is refused with [`ExecError::LevelUnavailable`], never
//! silently run at a weaker level.
//!
//! # What level `none` does not guarantee
//! - **Escaped descendants.** At the end of a run every process in the task's
//!   process group or session is killed, and so is every process whose parent
//!   chain leads to one of those (found by walking `/proc`). A process that
//!   double-forks *and* calls `setsid`, and whose intermediate parent has
//!   already exited, has been reparented to init (or to a user subreaper) and
//!   is not found. The `seccomp` level runs the task under init of a PID
//!   namespace, where that kill takes everything with it.
//! - **`pids`** and **`memory_bytes`** go through a fresh cgroup per run
//!   (v2 where the unified hierarchy has the controllers, else v1; the task
//!   joins it between `fork` and `exec`, and whatever is left in it is killed
//!   at the end). A memory OOM kill in the group is [`Violation::MemoryLimit`].
//!   At level `seccomp` the jail and its PID 1 are in the group too, so they
//!   count against `pids`. [`ExecResult::limits_via`] says what was used.
//!   Without a usable cgroup (not root, say) they fall back to rlimits:
//!   `pids` is then `RLIMIT_NPROC`, which counts *all* processes of the real
//!   user id (and is ignored for root), and `memory_bytes` is `RLIMIT_AS`
//!   (virtual address space), where an allocation past it fails inside the
//!   task (e.g. Python's `MemoryError`) and no [`Violation`] is reported,
//!   since the executor cannot tell that from any other non-zero exit.
//! - **`cpu`** is `RLIMIT_CPU`, counted in whole seconds (rounded up) per
//!   process: SIGXCPU at the limit, SIGKILL one second later.
//! - `cpu` and `peak_memory_bytes` in the result cover the task and the
//!   descendants it waited for, not ones killed at the end.
//!
//! # Examples
//! ```
//! use agent_muscle::exec::{run, ExecSpec, Exit};
//! let workspace = std::env::temp_dir();
//! let spec = ExecSpec::new(["printf", "hi"], &workspace);
//! let result = run(&spec).unwrap();
//! assert_eq!(result.status, Exit::Code(0));
//! assert_eq!(result.stdout, b"hi");
//! ```

pub mod audit;
mod cgroup;
pub mod egress;
mod jailed;
mod newrepo;
mod run;
mod spec;
pub(crate) mod sys;
pub mod traps;
mod tree;
pub mod view;

pub use run::cancel_flag;

pub(crate) use jailed::find_jail as jail_helper;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use autonomic_core::SandboxLevel;

use crate::bpf::{BpfError, SyscallPolicy};

/// What to run, where, and under which limits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecSpec {
    /// The program (resolved against the task's `PATH` unless it contains a
    /// `/`; a relative path is taken relative to the workspace) and its
    /// arguments. No shell is involved.
    pub argv: Vec<String>,
    /// The working directory; must be an existing directory.
    pub workspace: PathBuf,
    /// Which environment variables the task sees.
    pub env: EnvPolicy,
    /// Bytes written to the task's stdin; `None` means stdin is `/dev/null`.
    pub stdin: Option<Vec<u8>>,
    /// The isolation level.
    pub sandbox: SandboxLevel,
    /// What the task may call at level `seccomp` (required there; ignored at
    /// `none`). Network socket domains in it only count when `network` is
    /// granted.
    pub policy: Option<SyscallPolicy>,
    /// Whether the task may use the network (levels `seccomp` and
    /// `firecracker`, through the egress proxy: see
    /// [`SeccompOptions::egress`]).
    pub network: bool,
    /// Time, memory, process, disk and output limits.
    pub limits: Limits,
    /// What only level `seccomp` uses: the view's additions, the path watch,
    /// the network grant, what happens to traps.
    pub seccomp: SeccompOptions,
    /// The microVM for level `firecracker` (guest image, memory, vCPUs).
    pub vm: Option<crate::vm::VmConfig>,
}

/// The parts of an [`ExecSpec`] only level `seccomp` uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeccompOptions {
    /// Extra absolute paths to hide from the task, on top of the built-in
    /// list (`/etc/shadow`, `~/.ssh`, docker.sock, …).
    pub masked_paths: Vec<PathBuf>,
    /// Route path-taking syscalls (`openat`, `execve`, `stat`, …) through
    /// the supervisor, which kills the task with SIGSYS when one names a
    /// masked path and reports the path ([`Violation::Path`]). Detection on
    /// top of the mount view, which hides the paths either way; it costs a
    /// round trip per call (see the README's benchmarks). Default on.
    pub watch_paths: bool,
    /// Host files shown read-only at `/run/autonomic/exposed/<name>` even
    /// under a mask (the microVM level runs its VMM this way).
    pub exposed: Vec<(PathBuf, String)>,
    /// Extra `/dev` nodes the task may open (`kvm`).
    pub dev_nodes: Vec<String>,
    /// Host paths shown read-only at their own path, on top of the
    /// toolchains of [`view::HOME_TOOLCHAINS`] (`--ro-bind`, `[muscle]
    /// expose`). Masks still apply beneath them.
    pub ro_binds: Vec<PathBuf>,
    /// Host paths shown read-write (nosuid, nodev) at their own path
    /// (`--bind`); a protected path is granted only by a bind of that path
    /// or of something inside it.
    pub rw_binds: Vec<PathBuf>,
    /// What to do with the traps a task leaves in the workspace (set-id
    /// bits, FIFOs, device nodes, symlinks out of it, new hooks); see
    /// [`traps`]. Default [`traps::TrapAction::Remove`].
    pub traps: traps::TrapAction,
    /// With `network`: the destinations the grant allows (an empty list is
    /// any public host). The task then reaches the network only through the
    /// executor's proxy ([`egress`]); without a list the host's network
    /// namespace is kept (only the microVM level's VMM asks for that).
    pub egress: Option<Vec<egress::HostRule>>,
    /// Internal: the microVM's VMM may `bind`/`listen` on its own empty
    /// network namespace's loopback (see
    /// [`crate::bpf::CompileOptions::private_loopback_server`]).
    pub(crate) private_loopback_server: bool,
}

impl Default for SeccompOptions {
    fn default() -> Self {
        SeccompOptions {
            masked_paths: Vec::new(),
            watch_paths: true,
            exposed: Vec::new(),
            dev_nodes: Vec::new(),
            ro_binds: Vec::new(),
            rw_binds: Vec::new(),
            traps: traps::TrapAction::Remove,
            egress: None,
            private_loopback_server: false,
        }
    }
}

impl ExecSpec {
    /// A spec with a scrubbed environment, no stdin, level `none` and the
    /// default limits.
    pub fn new<I, S>(argv: I, workspace: impl Into<PathBuf>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        ExecSpec {
            argv: argv.into_iter().map(Into::into).collect(),
            workspace: workspace.into(),
            env: EnvPolicy::Scrubbed,
            stdin: None,
            sandbox: SandboxLevel::None,
            policy: None,
            network: false,
            limits: Limits::default(),
            seccomp: SeccompOptions::default(),
            vm: None,
        }
    }
}

/// The task's environment. Every policy starts from the same base: the
/// caller's `PATH` (absolute entries only), `HOME` = the caller's home path
/// (at `seccomp` a private, empty home with the toolchains bound back; in a
/// microVM the guest's workspace), `LANG=C.UTF-8` and `TERM=dumb`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EnvPolicy {
    /// The base alone.
    #[default]
    Scrubbed,
    /// The base plus these variables copied from the caller's environment
    /// when present there (a copied `PATH` or `HOME` replaces the base
    /// value).
    Allow(Vec<String>),
    /// The base, the names in `pass` copied from the caller's environment,
    /// then the `set` values (`--env NAME=VALUE`), each replacing an earlier
    /// value of the same name.
    Set {
        /// Names copied from the caller's environment.
        pass: Vec<String>,
        /// Values set for the task.
        set: Vec<(String, String)>,
    },
}

/// Limits for one run. A limit of zero is rejected, not read as "none".
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Wall-clock time before the whole process group is killed. Default 60 s.
    pub wall: Duration,
    /// CPU time per process (`RLIMIT_CPU`, whole seconds, rounded up).
    pub cpu: Option<Duration>,
    /// Memory of the task's tree (a cgroup; `RLIMIT_AS` per process as the
    /// fallback).
    pub memory_bytes: Option<u64>,
    /// Processes of the task's tree (a cgroup; `RLIMIT_NPROC` of the real
    /// user id as the fallback; see the module docs).
    pub pids: Option<u64>,
    /// Bytes kept per stream (stdout and stderr each). Default 1 MiB. Output
    /// past it is read and discarded so the task never blocks on a full pipe.
    pub output_bytes: usize,
    /// Bytes the run may add to the workspace's file system (levels `none`
    /// and `seccomp`): no file may grow past it (`RLIMIT_FSIZE`), and the
    /// file system's used space is checked every 100 ms — past the limit the
    /// whole tree is killed ([`Violation::DiskLimit`]). The check sees the
    /// whole file system (another writer on it counts too) and may let a
    /// fast writer overshoot by what it writes in 100 ms.
    pub disk_bytes: Option<u64>,
    /// Size of the private `/tmp` (and `/dev/shm`) at level `seccomp`.
    /// Default 512 MiB; its pages also count against `memory_bytes`.
    pub tmp_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            wall: Duration::from_secs(60),
            cpu: None,
            memory_bytes: None,
            pids: None,
            disk_bytes: None,
            output_bytes: 1024 * 1024,
            tmp_bytes: 512 << 20,
        }
    }
}

/// How a run went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecResult {
    /// Exit code or terminating signal of the task's main process.
    pub status: Exit,
    /// Captured stdout, at most `limits.output_bytes`.
    pub stdout: Vec<u8>,
    /// Captured stderr, at most `limits.output_bytes`.
    pub stderr: Vec<u8>,
    /// Whether stdout was cut at the cap.
    pub stdout_truncated: bool,
    /// Whether stderr was cut at the cap.
    pub stderr_truncated: bool,
    /// Spawn to exit, as seen by the executor.
    pub wall: Duration,
    /// User plus system CPU time of the task and the descendants it waited for.
    pub cpu: Duration,
    /// Largest resident set size among the task and its waited-for
    /// descendants (`ru_maxrss`).
    pub peak_memory_bytes: u64,
    /// Why the sandbox stopped or cut the task, if it did.
    pub violation: Option<Violation>,
    /// How the memory and pids limits were enforced.
    pub limits_via: LimitsVia,
    /// At level `firecracker`: the VMM, the acceleration and the boot
    /// phases.
    pub vm: Option<crate::vm::VmInfo>,
    /// At level `seccomp`: what the task left in the workspace that the host
    /// should not trust, and whether it was defused ([`SeccompOptions::traps`]).
    pub traps: Vec<traps::Trap>,
    /// At level `seccomp` with a proxied grant: every destination the task
    /// asked for, and what the proxy did.
    pub egress: Vec<egress::EgressEvent>,
}

/// How [`Limits::memory_bytes`] and [`Limits::pids`] were enforced for a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LimitsVia {
    /// Neither limit was set.
    Unlimited,
    /// A fresh cgroup on the unified (v2) hierarchy: `pids.max`, `memory.max`.
    CgroupV2,
    /// Fresh cgroups on the v1 `pids` and `memory` hierarchies.
    CgroupV1,
    /// No cgroup could be used (not root, no controller, read-only):
    /// `RLIMIT_NPROC` and `RLIMIT_AS`, with the gaps the module docs list.
    Rlimit,
}

impl LimitsVia {
    /// `"cgroup v2"`, `"cgroup v1"`, `"rlimit"` or `"none"`.
    pub fn as_str(self) -> &'static str {
        match self {
            LimitsVia::Unlimited => "none",
            LimitsVia::CgroupV2 => "cgroup v2",
            LimitsVia::CgroupV1 => "cgroup v1",
            LimitsVia::Rlimit => "rlimit",
        }
    }
}

impl fmt::Display for LimitsVia {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ExecResult {
    /// Whether the task exited with code 0 and nothing was cut.
    pub fn success(&self) -> bool {
        self.status == Exit::Code(0) && self.violation.is_none()
    }
}

/// How the task's main process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Exit {
    /// It exited with this code.
    Code(i32),
    /// It was killed by this signal.
    Signal {
        /// The signal number (e.g. 15).
        number: i32,
        /// Its name (e.g. `SIGTERM`), or `signal N` for an unnamed one.
        name: String,
    },
}

impl Exit {
    pub(crate) fn from_signal(number: i32) -> Self {
        Exit::Signal {
            number,
            name: signal_name(number),
        }
    }
}

impl fmt::Display for Exit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exit::Code(code) => write!(f, "exited with code {code}"),
            Exit::Signal { number, name } => write!(f, "killed by {name} (signal {number})"),
        }
    }
}

/// Why the sandbox stopped a task (or, for [`Violation::OutputLimit`], cut
/// its output).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Violation {
    /// The wall-clock limit expired and the process tree was killed.
    WallTimeout {
        /// The limit that expired.
        limit: Duration,
    },
    /// A process used up its CPU-time limit and the kernel killed it.
    CpuLimit {
        /// The limit as given.
        limit: Duration,
    },
    /// The task was killed for exceeding its memory limit (reported by the
    /// levels that can tell; see the module docs for `none`).
    MemoryLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// The run wrote more than [`Limits::disk_bytes`] and its tree was
    /// killed, or a process was stopped by `SIGXFSZ` at the file-size cap:
    /// the task's main process was killed by it, or exited with 153 (128 +
    /// `SIGXFSZ`, how a shell reports a child it killed). A task that exits
    /// 153 on its own under a disk limit is reported so too.
    DiskLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// The run was cancelled ([`cancel_flag`]: Ctrl-C or SIGTERM to the
    /// caller) and the task's whole tree was killed.
    Cancelled,
    /// Output passed the per-stream cap; the excess was discarded and the
    /// task was not killed.
    OutputLimit {
        /// The cap in bytes per stream.
        limit: usize,
    },
    /// A forbidden system call killed the task (the `seccomp` level).
    Syscall {
        /// The syscall number, or -1 when the sandbox could not learn it.
        number: i64,
        /// The syscall name.
        name: String,
        /// Why it is forbidden (not in the profile, never allowed and why,
        /// a network socket without a network grant, …).
        reason: String,
    },
    /// The task tried to use a masked path (`/etc/shadow`, `~/.ssh/…`) and
    /// was killed with SIGSYS before the call ran (the `seccomp` level with
    /// [`SeccompOptions::watch_paths`]).
    Path {
        /// The syscall (`openat`, `execve`, …).
        syscall: String,
        /// The path as resolved inside the sandbox (through symlinks, the
        /// task's cwd and root).
        path: PathBuf,
    },
    /// The task tried to create a protected path that did not exist
    /// (`.husky`, `.envrc`, `.git/hooks`, …) and was killed with SIGSYS
    /// before the call ran (with [`SeccompOptions::watch_paths`]).
    ProtectedPath {
        /// The syscall (`mkdir`, `openat`, …).
        syscall: String,
        /// The path as the sandbox resolved it.
        path: PathBuf,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Violation::WallTimeout { limit } => {
                write!(
                    f,
                    "killed after the {} wall-clock limit",
                    human_duration(*limit)
                )
            }
            Violation::CpuLimit { limit } => {
                write!(
                    f,
                    "killed after using its {} of CPU time",
                    human_duration(*limit)
                )
            }
            Violation::MemoryLimit { limit } => {
                write!(
                    f,
                    "killed for going over the {} memory limit",
                    human_bytes(*limit)
                )
            }
            Violation::DiskLimit { limit } => write!(
                f,
                "the task wrote more than its disk limit of {} to the workspace's file system, and its whole process tree was killed",
                human_bytes(*limit)
            ),
            Violation::Cancelled => f.write_str(
                "cancelled (interrupted or terminated): the task's whole process tree was killed",
            ),
            Violation::OutputLimit { limit } => write!(
                f,
                "output cut at {} per stream (the task kept running; the rest was discarded)",
                human_bytes(*limit as u64)
            ),
            Violation::Syscall {
                number,
                name,
                reason,
            } => write!(
                f,
                "killed with SIGSYS for calling `{name}` (system call {number}): {reason}"
            ),
            Violation::Path { syscall, path } => write!(
                f,
                "killed with SIGSYS for `{syscall}` on `{}`, a path the sandbox masks",
                path.display()
            ),
            Violation::ProtectedPath { syscall, path } => write!(
                f,
                "killed with SIGSYS for `{syscall}` creating `{}`, a path tools on the host run or obey, which a task may not create unless it is granted",
                path.display()
            ),
        }
    }
}

/// Why a task could not be run at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExecError {
    /// `argv` was empty.
    #[error("nothing to run: the command line is empty")]
    EmptyArgv,
    /// The workspace does not exist or is not a directory.
    #[error("workspace `{}` is not an existing directory", path.display())]
    MissingWorkspace {
        /// The workspace as given.
        path: PathBuf,
    },
    /// The program was not found (or is not an executable file).
    #[error("program `{program}` not found: no executable file of that name in {searched}")]
    NotFound {
        /// `argv[0]`.
        program: String,
        /// Where it was looked for (the task's `PATH`, or the path itself).
        searched: String,
    },
    /// A limit was zero.
    #[error("the {which} limit is 0; leave it unset for no limit, or give a positive value")]
    ZeroLimit {
        /// Which limit (`wall`, `cpu`, `memory`, `pids`, `output`).
        which: &'static str,
    },
    /// An argument or environment entry contains a NUL byte, or an allowed
    /// variable name is empty or contains `=`.
    #[error("invalid {what} `{value}`: {why}")]
    InvalidInput {
        /// What was invalid (`argument`, `environment variable name`).
        what: &'static str,
        /// The offending value (NULs shown escaped).
        value: String,
        /// Why.
        why: &'static str,
    },
    /// The requested sandbox level cannot run here.
    #[error("sandbox level `{level}` is not available: {reason}")]
    LevelUnavailable {
        /// The level asked for.
        level: SandboxLevel,
        /// Why it is unavailable.
        reason: String,
    },
    /// The syscall policy does not compile into a filter.
    #[error("the syscall policy is not valid")]
    Policy(#[source] BpfError),
    /// The microVM ended without reporting the task's result (a guest
    /// kernel panic, a missing driver, a broken image).
    #[error("the microVM failed: {reason}")]
    Guest {
        /// What happened, with the last console lines.
        reason: String,
    },
    /// An operating-system call failed.
    #[error("could not {action}")]
    Io {
        /// What the executor was doing.
        action: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs `spec` to completion and reports how it went.
///
/// Blocks the calling thread until the task has exited (or been killed) and
/// its process tree has been killed. Errors mean the task did not run; a task
/// that ran and failed is an `Ok` with its exit status.
pub fn run(spec: &ExecSpec) -> Result<ExecResult, ExecError> {
    match spec.sandbox {
        SandboxLevel::None => {
            let prepared = spec::prepare(spec)?;
            run::run_unsandboxed(&prepared)
        }
        SandboxLevel::Seccomp => {
            let prepared = spec::prepare(spec)?;
            jailed::run_jailed(spec, &prepared)
        }
        SandboxLevel::Firecracker => {
            let env = spec::prepare_guest(spec)?;
            crate::vm::run_vm(spec, &env)
        }
    }
}

/// `SIGTERM` for 15, and so on; `signal N` when the number has no name here.
pub fn signal_name(number: i32) -> String {
    let name = match number {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGSTKFLT => "SIGSTKFLT",
        libc::SIGCHLD => "SIGCHLD",
        libc::SIGCONT => "SIGCONT",
        libc::SIGSTOP => "SIGSTOP",
        libc::SIGTSTP => "SIGTSTP",
        libc::SIGTTIN => "SIGTTIN",
        libc::SIGTTOU => "SIGTTOU",
        libc::SIGURG => "SIGURG",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGVTALRM => "SIGVTALRM",
        libc::SIGPROF => "SIGPROF",
        libc::SIGWINCH => "SIGWINCH",
        libc::SIGIO => "SIGIO",
        libc::SIGPWR => "SIGPWR",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {number}"),
    };
    name.to_owned()
}

/// `5s`, `1.5s`, `250ms`, `2m 30s`.
fn human_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms % 1000 != 0 && ms < 60_000 {
        format!("{:.1}s", d.as_secs_f64())
    } else if d.as_secs() < 60 {
        format!("{}s", d.as_secs())
    } else if d.as_secs() % 60 == 0 {
        format!("{}m", d.as_secs() / 60)
    } else {
        format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

/// `128 MiB`, `1 KiB`, `500 bytes`.
fn human_bytes(n: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (unit, size) in UNITS {
        if n >= size {
            return if n % size == 0 {
                format!("{} {unit}", n / size)
            } else {
                format!("{:.1} {unit}", n as f64 / size as f64)
            };
        }
    }
    format!("{n} bytes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn violations_read_as_sentences() {
        let wall = Violation::WallTimeout {
            limit: Duration::from_secs(5),
        };
        assert_eq!(wall.to_string(), "killed after the 5s wall-clock limit");
        let mem = Violation::MemoryLimit { limit: 128 << 20 };
        assert_eq!(
            mem.to_string(),
            "killed for going over the 128 MiB memory limit"
        );
        let cpu = Violation::CpuLimit {
            limit: Duration::from_millis(1500),
        };
        assert_eq!(cpu.to_string(), "killed after using its 1.5s of CPU time");
    }

    #[test]
    fn durations_and_sizes_are_human() {
        assert_eq!(human_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(human_duration(Duration::from_secs(150)), "2m 30s");
        assert_eq!(human_bytes(1024 * 1024), "1 MiB");
        assert_eq!(human_bytes(500), "500 bytes");
    }

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(64), "signal 64");
    }
}
