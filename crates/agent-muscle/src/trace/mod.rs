//! Recording the syscalls a command really makes, for learning a profile.
//!
//! [`record_syscalls`] spawns the command (argv, working directory and
//! scrubbed environment as the executor would give it, stdin `/dev/null`)
//! under `ptrace` and follows every task it creates — threads, `fork`,
//! `vfork` and `clone` children, across `execve` — from their first
//! instruction (`PTRACE_O_TRACEFORK`/`VFORK`/`CLONE`: a new task starts
//! stopped and traced, so nothing can fork its way out of the trace;
//! `CLONE_UNTRACED` is cleared from `clone`'s flags, and `clone3`, whose
//! flags are in memory, gets `ENOSYS` as at the `seccomp` level). Each
//! syscall entry is read with `PTRACE_GET_SYSCALL_INFO` (Linux 5.3) and
//! counted by number; the domains passed to `socket()` and `socketpair()`
//! are kept too. Signals are passed on to the tracee; job-control stops are
//! not (nothing would continue them).
//!
//! Like the executor, the trace ends when the root process ends: whatever it
//! left running is killed then. A wall-clock limit kills the whole tree
//! (through pidfds, from a watchdog thread that never touches ptrace), and
//! `PTRACE_O_EXITKILL` kills it if the tracer itself dies.
//!
//! This module is *mechanism*: it says what happened, as numbers, and maps
//! them to names with the same table the filter compiler uses. Turning that
//! into a profile — what to keep, what to refuse, how to group it — is
//! agent-immune's policy.
//!
//! **The command runs on the host without any sandbox**: learning is for
//! commands the user trusts, before they are run sandboxed.
//!
//! The whole trace runs on the calling thread (a ptrace tracer is a thread,
//! not a process) and blocks it until the tree is gone.
//!
//! # Examples
//! ```
//! use agent_muscle::trace::{record_syscalls, TraceSpec};
//! let spec = TraceSpec::new(["/bin/true"], std::env::temp_dir());
//! let trace = record_syscalls(&spec).unwrap();
//! assert!(trace.names().contains_key("exit_group"));
//! ```

mod sys;
mod tracer;

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::os::fd::AsFd as _;
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::bpf::syscall_name;
use crate::exec::{EnvPolicy, Exit};

/// `PATH` of a scrubbed environment (the executor's too).
const SCRUBBED_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// What to trace.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSpec {
    /// The program (looked up in the task's `PATH` unless it contains a `/`;
    /// a relative path is taken relative to the workspace) and its arguments.
    pub argv: Vec<String>,
    /// The working directory; must be an existing directory.
    pub workspace: PathBuf,
    /// Which environment variables the command sees (as for the executor).
    pub env: EnvPolicy,
    /// Wall-clock limit; the whole tree is killed when it expires.
    pub timeout: Duration,
    /// Where the command's stdout and stderr go.
    pub output: TraceOutput,
}

impl TraceSpec {
    /// A spec with a scrubbed environment, a 60 s limit and output discarded.
    pub fn new<I, S>(argv: I, workspace: impl Into<PathBuf>) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        TraceSpec {
            argv: argv.into_iter().map(Into::into).collect(),
            workspace: workspace.into(),
            env: EnvPolicy::Scrubbed,
            timeout: Duration::from_secs(60),
            output: TraceOutput::Discard,
        }
    }
}

/// Where the traced command's stdout and stderr go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum TraceOutput {
    /// `/dev/null`.
    #[default]
    Discard,
    /// Both to the caller's stderr (keeps the caller's stdout for its report).
    Stderr,
    /// The caller's stdout and stderr.
    Inherit,
}

/// What the command did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyscallTrace {
    /// Every distinct x86_64 syscall number any task entered, with how many
    /// times. Includes the root's own `execve`, made just before tracing
    /// could start.
    pub syscalls: BTreeMap<i64, u64>,
    /// `AF_*` domains passed to `socket()` or `socketpair()`.
    pub socket_domains: BTreeSet<i32>,
    /// Syscalls made through another ABI (i386 `int 0x80`, x32); the
    /// `seccomp` level kills those whatever the profile says.
    pub other_abi_calls: u64,
    /// Tasks traced: processes and threads, the root included.
    pub tasks: u64,
    /// How the root process ended.
    pub status: Exit,
    /// Whether the wall-clock limit killed the tree (the record is then
    /// whatever ran before the kill).
    pub timed_out: bool,
    /// Spawn to the end of the trace.
    pub wall: Duration,
}

impl SyscallTrace {
    /// The syscalls by kernel name, with their counts; numbers the table
    /// does not know are left out (see [`SyscallTrace::unknown_numbers`]).
    pub fn names(&self) -> BTreeMap<&'static str, u64> {
        self.syscalls
            .iter()
            .filter_map(|(&nr, &n)| syscall_name(nr).map(|name| (name, n)))
            .collect()
    }

    /// Syscall numbers that are not in the x86_64 table (newer than the
    /// build's kernel header, or invalid); the filter answers them `ENOSYS`.
    pub fn unknown_numbers(&self) -> Vec<i64> {
        self.syscalls
            .keys()
            .copied()
            .filter(|&nr| syscall_name(nr).is_none())
            .collect()
    }
}

/// Why a command could not be traced.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TraceError {
    /// `argv` was empty.
    #[error("nothing to trace: the command line is empty")]
    EmptyArgv,
    /// An argument contains a NUL byte, or an allowed environment variable
    /// name is empty or contains `=`.
    #[error("invalid {what} `{value}`: {why}")]
    InvalidInput {
        /// What was invalid.
        what: &'static str,
        /// The offending value (NULs shown escaped).
        value: String,
        /// Why.
        why: &'static str,
    },
    /// The timeout was zero.
    #[error("the timeout is 0; give a positive wall-clock limit")]
    ZeroTimeout,
    /// The workspace does not exist or is not a directory.
    #[error("workspace `{}` is not an existing directory", path.display())]
    MissingWorkspace {
        /// The workspace as given.
        path: PathBuf,
    },
    /// The program could not be started (not found, not executable, …).
    #[error("could not start `{program}` (PATH={path})")]
    Spawn {
        /// `argv[0]`.
        program: String,
        /// The task's `PATH`.
        path: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A ptrace or wait call failed.
    #[error("could not {action} traced task {pid}")]
    Ptrace {
        /// What the tracer was doing.
        action: &'static str,
        /// The task.
        pid: i32,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The kernel lacks something the tracer needs.
    #[error("this kernel cannot trace: {what} failed (Linux 5.3 or newer is needed)")]
    Unsupported {
        /// The call that failed.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// Runs `spec`'s command under ptrace to completion and returns every
/// syscall its tasks made. Blocks the calling thread, which becomes the
/// tracer. A command that runs and fails is an `Ok` with its exit status;
/// errors mean it could not be started or traced.
///
/// The tracer waits with `waitpid(-1, __WALL | __WNOTHREAD)`: children of
/// *other* threads are never touched, but a child the calling thread
/// started earlier and has not reaped would be reaped here.
pub fn record_syscalls(spec: &TraceSpec) -> Result<SyscallTrace, TraceError> {
    let Some(program) = spec.argv.first() else {
        return Err(TraceError::EmptyArgv);
    };
    if let Some(arg) = spec.argv.iter().find(|a| a.contains('\0')) {
        return Err(TraceError::InvalidInput {
            what: "argument",
            value: arg.escape_debug().to_string(),
            why: "it contains a NUL byte",
        });
    }
    if spec.timeout.is_zero() {
        return Err(TraceError::ZeroTimeout);
    }
    if !std::fs::metadata(&spec.workspace).is_ok_and(|m| m.is_dir()) {
        return Err(TraceError::MissingWorkspace {
            path: spec.workspace.clone(),
        });
    }
    let env = environment(spec)?;
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.to_string_lossy().into_owned())
        .unwrap_or_default();
    // With `PATH` set on the command, std looks a bare name up in that PATH.
    let target = if program.contains('/') {
        spec.workspace.join(program)
    } else {
        PathBuf::from(program)
    };
    let mut cmd = new_command(&target);
    cmd.arg0(program)
        .args(&spec.argv[1..])
        .current_dir(&spec.workspace)
        .env_clear()
        .envs(env)
        .stdin(Stdio::null());
    match spec.output {
        TraceOutput::Discard => {
            cmd.stdout(Stdio::null()).stderr(Stdio::null());
        }
        TraceOutput::Stderr => {
            let spawn_err = |source| TraceError::Spawn {
                program: program.clone(),
                path: path_var.clone(),
                source,
            };
            let err = std::io::stderr().as_fd().try_clone_to_owned();
            let out = err.map_err(spawn_err)?;
            let err = out.try_clone().map_err(spawn_err)?;
            cmd.stdout(out).stderr(err);
        }
        TraceOutput::Inherit => {}
    }
    sys::install_traceme(&mut cmd);

    let start = Instant::now();
    let child = cmd.spawn().map_err(|source| TraceError::Spawn {
        program: program.clone(),
        path: path_var,
        source,
    })?;
    let root = child.id() as i32;
    // The child is reaped by the tracer's waitpid; `Child` holds no pipes.
    drop(child);

    let killer = tracer::Killer::default();
    if let Err(source) = killer.track_root(root) {
        return Err(TraceError::Unsupported {
            what: "pidfd_open",
            source,
        });
    }
    let (done, done_rx) = mpsc::channel::<()>();
    let recorded = std::thread::scope(|scope| {
        let killer_ref = &killer;
        let timeout = spec.timeout;
        scope.spawn(move || {
            if done_rx.recv_timeout(timeout) == Err(mpsc::RecvTimeoutError::Timeout) {
                tracing::debug!(root, "trace: wall-clock limit reached; killing the tree");
                killer_ref.fire();
            }
        });
        let recorded = tracer::Tracer::new(root, &killer).run();
        drop(done);
        recorded
    });
    let recorded = recorded?;
    let status = match recorded.root_status {
        s if libc::WIFSIGNALED(s) => Exit::from_signal(libc::WTERMSIG(s)),
        s => Exit::Code(libc::WEXITSTATUS(s)),
    };
    Ok(SyscallTrace {
        syscalls: recorded.syscalls,
        socket_domains: recorded.socket_domains,
        other_abi_calls: recorded.other_abi_calls,
        tasks: recorded.tasks,
        status,
        timed_out: killer.fired(),
        wall: start.elapsed(),
    })
}

#[expect(
    clippy::disallowed_methods,
    reason = "agent-muscle is the one crate that runs processes"
)]
fn new_command(program: &std::path::Path) -> std::process::Command {
    std::process::Command::new(program)
}

/// The command's environment: the executor's scrubbed base, then the allowed
/// names copied from ours.
fn environment(spec: &TraceSpec) -> Result<Vec<(OsString, OsString)>, TraceError> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), SCRUBBED_PATH.into()),
        ("HOME".into(), spec.workspace.clone().into_os_string()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ];
    let EnvPolicy::Allow(names) = &spec.env else {
        return Ok(env);
    };
    if let Some(bad) = names
        .iter()
        .find(|n| n.is_empty() || n.contains(['=', '\0']))
    {
        return Err(TraceError::InvalidInput {
            what: "environment variable name",
            value: bad.escape_debug().to_string(),
            why: "a name must be non-empty and contain neither `=` nor NUL",
        });
    }
    for (key, value) in std::env::vars_os() {
        if names.iter().any(|n| key == n.as_str()) {
            match env.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => env.push((key, value)),
            }
        }
    }
    Ok(env)
}
