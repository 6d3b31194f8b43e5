//! The executor: runs one task (an argv) at a sandbox level, with limits,
//! and reports how it ended.
//!
//! An [`ExecSpec`] holds what every level uses (argv, workspace,
//! environment, stdin, [`Network`] grant, [`Limits`]) and an [`Isolation`]
//! with what only its level uses, so a `seccomp` spec always carries its
//! syscall policy and a microVM spec its guest image. Specs and results
//! round-trip through serde ([`wire`] has the formats). [`run`] blocks until
//! the task is over; [`run_with`] does the same under a [`RunControl`]: a
//! [`CancelHandle`] another thread can trip to stop the run, and a channel
//! that receives the output as it is produced.
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
//! from [`Isolation::Seccomp`]'s policy; the task is a child of PID 1 of its
//! own PID namespace, so nothing it starts outlives it. A seccomp kill comes
//! back as [`Violation::Syscall`].
//!
//! Level `firecracker` ([`crate::vm`]) boots a microVM per run, its VMM
//! itself run at level `seccomp`; a cancel or timeout kills the VMM's jail
//! and with it the VMM.
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
mod control;
pub mod egress;
mod jailed;
mod newrepo;
mod prepare;
mod result;
mod run;
mod spec;
pub(crate) mod sys;
pub mod traps;
mod tree;
pub mod view;
pub mod wire;

pub use control::{CancelHandle, OutputChunk, RunControl, Stream};
pub use result::{ExecResult, Exit, LimitsVia, Violation};
pub use spec::{EnvPolicy, ExecSpec, Isolation, Limits, Network, SeccompOptions};

pub(crate) use control::Supervision;
pub(crate) use jailed::find_jail as jail_helper;

use std::path::PathBuf;

use autonomic_core::SandboxLevel;

use crate::bpf::BpfError;

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
    run_with(spec, &RunControl::default())
}

/// [`run`], steered by `control`: cancelled when its handle is (from any
/// thread), and streaming the output to its channel as it is produced.
///
/// # Examples
/// ```
/// use agent_muscle::exec::{run_with, ExecSpec, RunControl, Stream};
///
/// let (tx, rx) = std::sync::mpsc::channel();
/// let control = RunControl { output: Some(tx), ..RunControl::default() };
/// let spec = ExecSpec::new(["echo", "hi"], std::env::temp_dir());
/// let result = run_with(&spec, &control).unwrap();
/// drop(control);
/// let streamed: Vec<u8> = rx.iter().filter(|c| c.stream == Stream::Stdout).flat_map(|c| c.bytes).collect();
/// assert_eq!(streamed, result.stdout);
/// ```
pub fn run_with(spec: &ExecSpec, control: &RunControl) -> Result<ExecResult, ExecError> {
    let mut send = control.output.as_ref().map(|tx| {
        move |stream: Stream, bytes: &[u8]| {
            // A dropped receiver stops the stream, not the run.
            let _ = tx.send(OutputChunk {
                stream,
                bytes: bytes.to_vec(),
            });
        }
    });
    let mut sup = Supervision {
        cancel: control.cancel.as_ref(),
        on_output: send.as_mut().map(|f| f as &mut dyn FnMut(Stream, &[u8])),
    };
    run_supervised(spec, &mut sup)
}

/// [`run_with`] for the crate's own runs (the microVM's VMM, helper tools).
pub(crate) fn run_supervised(
    spec: &ExecSpec,
    sup: &mut Supervision<'_>,
) -> Result<ExecResult, ExecError> {
    match &spec.isolation {
        Isolation::None => {
            if let Network::Proxied(_) = spec.network {
                return Err(ExecError::InvalidInput {
                    what: "network grant",
                    value: "proxied".into(),
                    why: "level none has no sandbox to confine the network to the proxy; \
                          use level seccomp or firecracker",
                });
            }
            let prepared = prepare::prepare(spec)?;
            run::run_unsandboxed(&prepared, sup)
        }
        Isolation::Seccomp { policy, options } => {
            let prepared = prepare::prepare(spec)?;
            jailed::run_jailed(spec, policy, options, &prepared, sup, false)
        }
        Isolation::MicroVm { vm } => {
            let env = prepare::prepare_guest(spec)?;
            crate::vm::run_vm(spec, vm, &env, sup)
        }
    }
}

/// Runs the microVM's VMM, `spec` at level `seccomp`, whose jail also lets
/// it `bind`/`listen` on its own empty network namespace's loopback (see
/// [`crate::bpf::CompileOptions::private_loopback_server`]): what QEMU's
/// user networking needs, and what no spec from outside can ask for.
pub(crate) fn run_vmm(spec: &ExecSpec, sup: &mut Supervision<'_>) -> Result<ExecResult, ExecError> {
    let Isolation::Seccomp { policy, options } = &spec.isolation else {
        return Err(ExecError::LevelUnavailable {
            level: spec.level(),
            reason: "the VMM runs at level seccomp only".into(),
        });
    };
    let prepared = prepare::prepare(spec)?;
    let loopback_server = spec.network.granted();
    jailed::run_jailed(spec, policy, options, &prepared, sup, loopback_server)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(64), "signal 64");
    }
}
