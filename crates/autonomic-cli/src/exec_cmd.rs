//! `autonomic exec`: run a command through agent-muscle at a sandbox level,
//! mirror its exit code, and report (and audit) a sandbox kill.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use agent_muscle::exec::audit::RunRecord;
use agent_muscle::exec::egress::HostRule;
use agent_muscle::exec::{ExecResult, OutputChunk, RunControl, Stream, Violation};
use agent_spine::sandbox::{self, Sandbox, SandboxOptions};
use anyhow::Context as _;
use autonomic_cli::args::{parse_duration, parse_size};
use autonomic_core::audit::{Actor, AuditLog};
use autonomic_core::SandboxLevel;

/// Arguments of `autonomic exec`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The exit code mirrors the command's (128+N when killed by signal N; 130 after
Ctrl-C, which kills the task's whole tree at every level). A kill by the sandbox is
explained on stderr with the next step, and appended to the audit log.
Levels: `none` runs a plain subprocess with limits (memory, pids and disk by
default, from [muscle]), your PATH and HOME, and a kill of the whole process tree.
`seccomp` adds namespaces, a default-deny view of the host (the system read-only,
every home hidden but a private one with your toolchains read-only, secrets masked
even inside the workspace, hooks and other files your tools run read-only),
Landlock, and a seccomp filter from the syscall profile (--profile, else composed
from the programs the command runs; `developer` for the ones without a profile of
their own). As root, the task runs as an unprivileged id. A denied syscall or an
open of a masked path kills the task with SIGSYS and names it; what the task left
for the host (set-id files, FIFOs, symlinks out of the workspace, new hooks) is
reported and removed. --allow-net / --allow-host give network through a proxy that
never reaches your machine's own services unless named. `firecracker` runs a
microVM per task (see `autonomic muscle doctor`).")]
pub struct ExecArgs {
    #[command(flatten)]
    pub sandbox: SandboxArgs,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

/// The next step after a sandbox kill, in one line.
fn violation_hint(v: &Violation, command: &[String], profile: Option<&str>) -> Option<String> {
    let cmd = command.join(" ");
    match v {
        Violation::Syscall { name, reason, .. } if reason.contains("no network grant") => Some(format!(
            "`{name}` needs the network: grant it with --allow-net if the task should have it"
        )),
        Violation::Syscall { reason, .. } if reason.contains("not in the task's syscall profile") => {
            Some(match profile {
                Some("developer") => format!(
                    "record a profile for this task with `agent-immune profile learn -- {cmd}` and pass it with --profile"
                ),
                Some(p) => format!(
                    "the profile `{p}` lacks it: try --profile developer, or record one with `agent-immune profile learn -- {cmd}`"
                ),
                None => format!(
                    "choose a broader profile (--profile developer) or record one with `agent-immune profile learn -- {cmd}`"
                ),
            })
        }
        Violation::Path { path, .. } => Some(format!(
            "`{}` is masked: the sandbox never shows it; pass what the task needs with --env NAME=VALUE or --ro-bind a copy without secrets",
            path.display()
        )),
        Violation::ProtectedPath { path, .. } => Some(format!(
            "if the task is meant to create it, grant it with --bind {} (after creating it yourself), or run at a level that does not protect the host",
            path.display()
        )),
        Violation::DiskLimit { .. } => Some(
            "raise it with --disk (default `[muscle] disk_limit_mib`)".to_owned(),
        ),
        Violation::MemoryLimit { .. } => Some(
            "raise it with --memory (default `[muscle] memory_limit_mib`)".to_owned(),
        ),
        _ => None,
    }
}

/// The sandbox flags shared by `autonomic exec` and `autonomic run`.
#[derive(Debug, clap::Args)]
pub struct SandboxArgs {
    /// Sandbox level (default: `[muscle] default_sandbox`).
    #[arg(long, value_parser = parse_level)]
    sandbox: Option<SandboxLevel>,
    /// Syscall profile for the seccomp level: a built-in or a user profile in
    /// <home>/profiles (see `agent-immune profile list`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Grant network access. At the seccomp level the task reaches the
    /// network only through Autonomic's proxy (HTTP_PROXY and friends point
    /// at it): any public host, never your machine's loopback services,
    /// link-local (cloud metadata), private or reserved addresses.
    #[arg(long)]
    allow_net: bool,
    /// Seccomp level: grant network to this destination only (repeatable;
    /// implies --allow-net): `host`, `host:port`, `*.domain[:port]`, an IP
    /// address. Naming a loopback or private address here is the only way a
    /// task reaches one.
    #[arg(long = "allow-host", value_name = "HOST[:PORT]", value_parser = parse_host_rule)]
    allow_host: Vec<HostRule>,
    /// Memory limit, e.g. 512M, 2G.
    #[arg(long, value_parser = parse_size)]
    memory: Option<u64>,
    /// Guest vCPUs at the firecracker level (default `[muscle] vm_vcpus`; the
    /// guest's RAM is --memory, default `[muscle] vm_memory_mib`).
    #[arg(long, value_name = "N")]
    vcpus: Option<u32>,
    /// The microVM's VMM at the firecracker level: auto (Firecracker when its
    /// binary is there and KVM is real, else QEMU), qemu or firecracker.
    #[arg(long, default_value = "auto", value_parser = ["auto", "qemu", "firecracker"])]
    vmm: String,
    /// Size of the task's private /tmp at the seccomp level, e.g. 64M.
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    tmp_size: Option<u64>,
    /// Seccomp level: do not route path syscalls (open, exec, rename, …)
    /// through the supervisor's masked-path check. The masks still hide the
    /// paths; only the kill-and-report on an attempt is lost (saves ~25 µs
    /// per such call here; see the README).
    #[arg(long)]
    no_watch_paths: bool,
    /// Wall-clock limit, e.g. 60s, 500ms, 5m.
    #[arg(long, value_parser = parse_duration, default_value = "60s")]
    timeout: Duration,
    /// Working directory of the task (default: the current directory).
    #[arg(long, value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Processes and threads the task's tree may have (default `[muscle]
    /// pids_limit`).
    #[arg(long, value_name = "N")]
    pids: Option<u64>,
    /// What the task may add to the workspace's file system, e.g. 2G
    /// (default `[muscle] disk_limit_mib`): no file larger, and the whole
    /// tree is killed when the file system grew past it.
    #[arg(long, value_parser = parse_size, value_name = "SIZE")]
    disk: Option<u64>,
    /// Seccomp level: show this host path to the task, read-only, at its own
    /// path (repeatable; adds to `[muscle] expose` and the toolchains in your
    /// home that are shown by default). Masks still apply beneath it.
    #[arg(long = "ro-bind", value_name = "PATH")]
    ro_bind: Vec<PathBuf>,
    /// Seccomp level: show this host path read-write (nosuid, nodev) at its
    /// own path (repeatable). A protected workspace path under it (e.g.
    /// `.git/hooks`) becomes writable: the grant is yours to give.
    #[arg(long = "bind", value_name = "PATH")]
    bind: Vec<PathBuf>,
    /// Hide this host path from the task (repeatable; adds to `[muscle]
    /// mask` and the built-in secrets).
    #[arg(long = "mask", value_name = "PATH")]
    mask: Vec<PathBuf>,
    /// `NAME` passes the variable through from your environment; `NAME=VALUE`
    /// sets it (repeatable). The task otherwise gets PATH (yours), HOME (its
    /// private home at the seccomp level), LANG and TERM only.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
}

fn parse_host_rule(s: &str) -> Result<HostRule, String> {
    HostRule::parse(s).map_err(|e| e.to_string())
}

fn parse_level(s: &str) -> Result<SandboxLevel, String> {
    s.parse().map_err(|e| format!("{e}"))
}

impl SandboxArgs {
    /// The per-run options these flags choose.
    pub fn options(&self) -> SandboxOptions {
        SandboxOptions {
            level: self.sandbox,
            profile: self.profile.clone(),
            allow_net: self.allow_net,
            allow_hosts: self.allow_host.clone(),
            memory: self.memory,
            vcpus: self.vcpus,
            vmm: match self.vmm.as_str() {
                "qemu" => Some(agent_muscle::vm::Backend::Qemu),
                "firecracker" => Some(agent_muscle::vm::Backend::Firecracker),
                _ => None,
            },
            tmp_size: self.tmp_size,
            no_watch_paths: self.no_watch_paths,
            timeout: Some(self.timeout),
            workspace: self.workspace.clone(),
            pids: self.pids,
            disk: self.disk,
            ro_binds: self.ro_bind.clone(),
            rw_binds: self.bind.clone(),
            masks: self.mask.clone(),
            env: self.env.clone(),
        }
    }
}

/// Ctrl-C or SIGTERM trips the process-wide cancel handle: the executor
/// kills the task's whole tree (at every level) and returns; the exit code
/// is then 130. The handler raises the handle's flag, then writes to its
/// wake-up socket (in that order), so the supervisor notices at once
/// whichever thread the signal lands on.
pub fn install_cancel_handler() -> anyhow::Result<()> {
    let cancel = agent_muscle::exec::CancelHandle::global();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, cancel.flag())
            .context("installing the Ctrl-C handler")?;
        match cancel.waker() {
            Ok(fd) => {
                signal_hook::low_level::pipe::register_raw(signal, fd)
                    .context("installing the Ctrl-C handler")?;
            }
            // The flag alone still works: the signal interrupts the
            // supervisor's poll when it lands on its thread.
            Err(e) => tracing::warn!(error = %e, "Ctrl-C wakes the executor only through EINTR"),
        }
    }
    Ok(())
}

/// The task's output, written to our stdout and stderr as it is produced.
pub struct Streamer {
    control: RunControl,
    printer: std::thread::JoinHandle<()>,
}

impl Streamer {
    /// Starts the printer thread.
    pub fn start() -> Streamer {
        let (tx, rx) = std::sync::mpsc::channel::<OutputChunk>();
        let printer = std::thread::spawn(move || {
            for chunk in rx {
                // A closed terminal leaves nowhere to write; the captured
                // output is in the result either way.
                let _ = match chunk.stream {
                    Stream::Stdout => {
                        let mut out = std::io::stdout().lock();
                        out.write_all(&chunk.bytes).and_then(|()| out.flush())
                    }
                    Stream::Stderr => std::io::stderr().write_all(&chunk.bytes),
                };
            }
        });
        Streamer {
            control: RunControl {
                cancel: None,
                output: Some(tx),
            },
            printer,
        }
    }

    /// What the run is steered with.
    pub fn control(&self) -> &RunControl {
        &self.control
    }

    /// Waits until everything streamed is written.
    pub fn finish(self) {
        drop(self.control);
        // The printer only ends when the channel closes; a panic in it
        // already printed its message.
        let _ = self.printer.join();
    }
}

/// Reports what the sandbox saw after a run whose output was streamed;
/// returns the exit code (the command's, 130 after Ctrl-C).
pub fn report(
    result: &ExecResult,
    output_limit: usize,
    command: &[String],
    profile: Option<&str>,
) -> anyhow::Result<ExitCode> {
    if result.stdout_truncated || result.stderr_truncated {
        eprintln!("autonomic: output was cut at {output_limit} bytes per stream");
    }
    for e in result.egress.iter().filter(|e| !e.allowed) {
        eprintln!(
            "autonomic: refused a connection to {}:{}: {}",
            e.host, e.port, e.reason
        );
    }
    for trap in &result.traps {
        eprintln!("autonomic: the task left a trap for the host: {trap}");
    }
    if let Some(v) = &result.violation {
        eprintln!("autonomic: {v}");
        if let Some(hint) = violation_hint(v, command, profile) {
            eprintln!("hint: {hint}");
        }
    }
    if result.violation == Some(Violation::Cancelled) {
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::from(result.status.shell_code()))
}

/// Runs `autonomic exec`.
pub fn run_exec(args: &ExecArgs, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let Sandbox { spec, profile } = sandbox::build(
        &ctx.paths,
        &ctx.config.config,
        &args.command,
        &args.sandbox.options(),
    )?;
    install_cancel_handler()?;
    let level = spec.level();
    let streamer = Streamer::start();
    let result = agent_muscle::exec::run_with(&spec, streamer.control());
    streamer.finish();
    let result = result.with_context(|| {
        format!(
            "cannot run `{}` at sandbox level {level}",
            args.command.join(" ")
        )
    })?;
    let record = RunRecord {
        argv: &args.command,
        level,
        profile: profile.as_ref().map(|p| p.0.as_str()),
        workspace: &spec.workspace,
        grants: &args.sandbox.allow_host,
    };
    let log = AuditLog::open(&ctx.paths.audit_log)?;
    for event in result.audit_events(&record, &Actor::Cli) {
        log.append(event)?;
    }
    report(
        &result,
        spec.limits.output_bytes,
        &args.command,
        args.sandbox.profile.as_deref(),
    )
}
