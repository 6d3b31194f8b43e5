//! Level `seccomp`: the task runs inside `muscle-jail` (see
//! [`crate::jail`]), which this side spawns exactly like a level-`none` task
//! (same stdio capture, limits, timeout and tree kill), plus a report pipe on
//! fd 3 that tells how the task itself ended.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use autonomic_core::SandboxLevel;

use super::run::{new_command, run_command};
use super::spec::Prepared;
use super::{sys, ExecError, ExecResult, ExecSpec, Exit, Violation};
use crate::bpf;
use crate::jail::{JailTask, REPORT_FD, TASK_FD};

/// Paths always hidden from the task (when they exist), on top of the
/// per-user ones from [`masked_paths`].
const ALWAYS_MASKED: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/ssh",
    "/root",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/var/run/dbus/system_bus_socket",
    "/run/dbus/system_bus_socket",
];

/// Per-user secrets under `$HOME`.
const HOME_MASKED: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".config/gcloud",
    ".autonomic",
    ".docker",
    ".kube",
];

fn unavailable(reason: String) -> ExecError {
    ExecError::LevelUnavailable {
        level: SandboxLevel::Seccomp,
        reason,
    }
}

fn io_err(action: &str) -> impl FnOnce(std::io::Error) -> ExecError + '_ {
    move |source| ExecError::Io {
        action: action.to_owned(),
        source,
    }
}

/// Every path the jail hides: the fixed list, the user's secrets, Autonomic's
/// home and the spec's own list.
fn masked_paths(extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ALWAYS_MASKED.iter().map(PathBuf::from).collect();
    if let Some(home) = autonomic_core::env::user_home() {
        out.extend(HOME_MASKED.iter().map(|p| home.join(p)));
    }
    if let Some(home) = autonomic_core::env::autonomic_home() {
        out.push(home);
    }
    out.extend(extra.iter().cloned());
    out.retain(|p| p.is_absolute());
    out.sort();
    out.dedup();
    out
}

/// `$AUTONOMIC_MUSCLE_JAIL`, else `muscle-jail` next to the running
/// executable or one directory up (test binaries live in `target/*/deps`).
fn find_jail() -> Result<PathBuf, ExecError> {
    if let Some(path) = autonomic_core::env::muscle_jail() {
        return Ok(path);
    }
    let exe = std::env::current_exe().map_err(io_err("find the running executable"))?;
    let mut dir = exe.parent();
    for _ in 0..2 {
        let Some(d) = dir else { break };
        let candidate = d.join("muscle-jail");
        if candidate.is_file() {
            return Ok(candidate);
        }
        dir = d.parent();
    }
    Err(unavailable(format!(
        "the sandbox helper `muscle-jail` is not next to `{}` (set {} to its path)",
        exe.display(),
        autonomic_core::env::AUTONOMIC_MUSCLE_JAIL
    )))
}

fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(path)
}

pub(super) fn run_jailed(spec: &ExecSpec, p: &Prepared<'_>) -> Result<ExecResult, ExecError> {
    let Some(mut policy) = spec.policy.clone() else {
        return Err(unavailable(
            "no syscall policy was given (ExecSpec::policy; the CLI takes it from --profile)"
                .into(),
        ));
    };
    if !spec.network {
        policy.socket_domains.retain(|d| *d == libc::AF_UNIX);
    }
    bpf::compile(&policy).map_err(ExecError::Policy)?;
    let workspace = canonical(p.workspace).map_err(io_err("resolve the workspace path"))?;
    let program = canonical(&p.program).map_err(io_err("resolve the program path"))?;
    let env = p
        .env
        .iter()
        .map(|(k, v)| {
            if k == "HOME" && v == p.workspace.as_os_str() {
                (k.clone(), workspace.clone().into_os_string())
            } else {
                (k.clone(), v.clone())
            }
        })
        .collect();
    let task = JailTask {
        program,
        argv: p.argv.to_vec(),
        env,
        workspace,
        policy,
        network: spec.network,
        masked: masked_paths(&spec.masked_paths),
    };
    let json =
        serde_json::to_string(&task).map_err(|e| unavailable(format!("encode the task: {e}")))?;
    let jail = find_jail()?;

    let (report_read, report_write) = sys::pipe().map_err(io_err("create the report pipe"))?;
    let mut cmd = new_command(&jail);
    // The task goes over a memfd, not argv: argv is readable by other
    // processes (`/proc/<pid>/cmdline`), and the environment may hold
    // passed-through secrets.
    let task_file =
        sys::memfd_with(json.as_bytes()).map_err(io_err("hand the task to the jail"))?;
    cmd.env_clear().current_dir("/");
    // Above every target number, so one move cannot clobber the other's source.
    let report_write =
        sys::dup_at_least(&report_write, 10).map_err(io_err("set up the report pipe"))?;
    let task_file =
        sys::dup_at_least(&task_file, 10).map_err(io_err("hand the task to the jail"))?;
    {
        use std::os::fd::AsRawFd as _;
        sys::install_fd_at(&mut cmd, report_write.as_raw_fd(), REPORT_FD);
        sys::install_fd_at(&mut cmd, task_file.as_raw_fd(), TASK_FD);
    }
    let result = run_command(p, cmd);
    drop(report_write);
    drop(task_file);
    let mut result = result?;

    sys::set_nonblocking(&report_read).map_err(io_err("read the jail's report"))?;
    let mut text = String::new();
    let _ = std::fs::File::from(report_read).read_to_string(&mut text);
    apply_report(&text, spec, &mut result)?;
    Ok(result)
}

/// Folds the jail's report into the result: the task's own exit status, a
/// seccomp kill as a [`Violation::Syscall`], set-up errors as
/// [`ExecError::LevelUnavailable`].
fn apply_report(text: &str, spec: &ExecSpec, result: &mut ExecResult) -> Result<(), ExecError> {
    for line in text.lines() {
        let (kind, rest) = line.split_once(' ').unwrap_or((line, ""));
        match kind {
            "note" => tracing::warn!(note = rest, "muscle-jail"),
            "error" => {
                return Err(unavailable(format!(
                    "the jail could not set up the sandbox: {rest}"
                )))
            }
            "exit" => {
                if let Ok(code) = rest.parse() {
                    result.status = Exit::Code(code);
                }
            }
            "signal" => {
                if let Ok(number) = rest.parse() {
                    result.status = Exit::from_signal(number);
                }
            }
            _ => tracing::warn!(line, "unexpected line in the jail's report"),
        }
    }
    let replaceable = matches!(result.violation, None | Some(Violation::OutputLimit { .. }));
    if let (true, Exit::Signal { number, .. }) = (replaceable, &result.status) {
        if *number == libc::SIGSYS {
            // SECCOMP_RET_KILL_PROCESS leaves no syscall number in the wait
            // status (see the jail module's gaps).
            result.violation = Some(Violation::Syscall {
                number: -1,
                name: "unknown (killed by SIGSYS)".into(),
            });
        } else if let Some(limit) = spec.limits.cpu {
            if *number == libc::SIGXCPU || (*number == libc::SIGKILL && result.cpu >= limit) {
                result.violation = Some(Violation::CpuLimit { limit });
            }
        }
    }
    Ok(())
}
