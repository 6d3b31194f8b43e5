//! How a run went: [`ExecResult`], with the task's [`Exit`] and, when the
//! sandbox stopped or cut it, the [`Violation`]. Pure data; serde
//! round-trips it (the formats are in [`super::wire`]).

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{egress, signal_name, traps, wire};

/// How a run went.
///
/// Serialized, durations are decimal seconds (`"0.0123s"`) and the captured
/// output is text, or `{"base64": …}` when it is not UTF-8
/// ([`super::wire`]); only trap paths that are not UTF-8 come back changed
/// ([`traps::Trap`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecResult {
    /// Exit code or terminating signal of the task's main process.
    pub status: Exit,
    /// Captured stdout, at most `limits.output_bytes`.
    #[serde(with = "wire::bytes")]
    pub stdout: Vec<u8>,
    /// Captured stderr, at most `limits.output_bytes`.
    #[serde(with = "wire::bytes")]
    pub stderr: Vec<u8>,
    /// Whether stdout was cut at the cap.
    pub stdout_truncated: bool,
    /// Whether stderr was cut at the cap.
    pub stderr_truncated: bool,
    /// Spawn to exit, as seen by the executor.
    #[serde(with = "wire::duration")]
    pub wall: Duration,
    /// User plus system CPU time of the task and the descendants it waited for.
    #[serde(with = "wire::duration")]
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
    /// should not trust, and whether it was defused
    /// ([`super::SeccompOptions::traps`]).
    pub traps: Vec<traps::Trap>,
    /// At level `seccomp` with a proxied grant: every destination the task
    /// asked for, and what the proxy did.
    pub egress: Vec<egress::EgressEvent>,
}

/// How [`super::Limits::memory_bytes`] and [`super::Limits::pids`] were
/// enforced for a run. Serialized as `"unlimited"`, `"cgroup_v2"`,
/// `"cgroup_v1"` or `"rlimit"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
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

/// How the task's main process ended. Serialized as `{"code": 0}` or
/// `{"signal": {"number": 9, "name": "SIGKILL"}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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
/// its output). Serialized with its kind in `kind`:
/// `{"kind": "wall_timeout", "limit": "60s"}`, `{"kind": "cancelled"}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Violation {
    /// The wall-clock limit expired and the process tree was killed.
    WallTimeout {
        /// The limit that expired.
        #[serde(with = "wire::duration")]
        limit: Duration,
    },
    /// A process used up its CPU-time limit and the kernel killed it.
    CpuLimit {
        /// The limit as given.
        #[serde(with = "wire::duration")]
        limit: Duration,
    },
    /// The task was killed for exceeding its memory limit (reported by the
    /// levels that can tell; see the module docs for `none`).
    MemoryLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// The run wrote more than [`super::Limits::disk_bytes`] and its tree
    /// was killed, or a process was stopped by `SIGXFSZ` at the file-size
    /// cap: the task's main process was killed by it, or exited with 153
    /// (128 + `SIGXFSZ`, how a shell reports a child it killed). A task that
    /// exits 153 on its own under a disk limit is reported so too.
    DiskLimit {
        /// The limit in bytes.
        limit: u64,
    },
    /// The run was cancelled (its [`super::CancelHandle`], or the
    /// process-wide one that Ctrl-C and SIGTERM trip in the CLI) and the
    /// task's whole tree — at level `firecracker` the VMM and its jail —
    /// was killed.
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
    /// [`super::SeccompOptions::watch_paths`]).
    Path {
        /// The syscall (`openat`, `execve`, …).
        syscall: String,
        /// The path as resolved inside the sandbox (through symlinks, the
        /// task's cwd and root).
        path: PathBuf,
    },
    /// The task tried to create a protected path that did not exist
    /// (`.husky`, `.envrc`, `.git/hooks`, …) and was killed with SIGSYS
    /// before the call ran (with [`super::SeccompOptions::watch_paths`]).
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
}
