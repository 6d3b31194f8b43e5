//! `autonomic exec`: run a command through agent-muscle at a sandbox level,
//! mirror its exit code, and report (and audit) a sandbox kill.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use agent_muscle::bpf::SyscallPolicy;
use agent_muscle::exec::egress::{EgressEvent, HostRule};
use agent_muscle::exec::traps::TrapAction;
use agent_muscle::exec::{run, EnvPolicy, ExecSpec, Exit, Limits, Violation};
use agent_spine::profiles;
use anyhow::Context as _;
use autonomic_cli::args::{parse_duration, parse_size};
use autonomic_core::audit::{AuditEvent, AuditLog};
use autonomic_core::paths::Paths;
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
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

/// `--env` values: names pass through, `NAME=VALUE` sets.
fn env_policy(values: &[String]) -> EnvPolicy {
    if values.is_empty() {
        return EnvPolicy::Scrubbed;
    }
    let mut pass = Vec::new();
    let mut set = Vec::new();
    for v in values {
        match v.split_once('=') {
            Some((name, value)) => set.push((name.to_owned(), value.to_owned())),
            None => pass.push(v.clone()),
        }
    }
    EnvPolicy::Set { pass, set }
}

/// `path` made absolute against the current directory (a bind or mask is a
/// host path, never relative to the workspace).
fn absolute(path: &std::path::Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}

/// Refused connections on stderr; every decision in the audit log.
fn report_egress(
    events: &[EgressEvent],
    args: &ExecArgs,
    level: SandboxLevel,
    ctx: &crate::Context,
) -> anyhow::Result<()> {
    if events.is_empty() {
        return Ok(());
    }
    for e in events.iter().filter(|e| !e.allowed) {
        eprintln!(
            "autonomic: refused a connection to {}:{}: {}",
            e.host, e.port, e.reason
        );
    }
    let refused = events.iter().any(|e| !e.allowed);
    AuditLog::open(&ctx.paths.audit_log)?.append(AuditEvent {
        kind: "muscle.egress".into(),
        actor: "cli".into(),
        decision: Some(if refused {
            autonomic_core::Decision::Deny
        } else {
            autonomic_core::Decision::Allow
        }),
        detail: serde_json::json!({
            "level": level,
            "command": args.command,
            "grant": args.allow_host.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "connections": events,
        }),
    })?;
    Ok(())
}

/// The next step after a sandbox kill, in one line.
fn violation_hint(v: &Violation, args: &ExecArgs) -> Option<String> {
    let cmd = args.command.join(" ");
    match v {
        Violation::Syscall { name, reason, .. } if reason.contains("no network grant") => Some(format!(
            "`{name}` needs the network: grant it with --allow-net if the task should have it"
        )),
        Violation::Syscall { reason, .. } if reason.contains("not in the task's syscall profile") => {
            Some(match &args.profile {
                Some(p) if p == "developer" => format!(
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

fn parse_host_rule(s: &str) -> Result<HostRule, String> {
    HostRule::parse(s).map_err(|e| e.to_string())
}

fn parse_level(s: &str) -> Result<SandboxLevel, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// The seccomp policy for the task, resolved by agent-spine: `--profile
/// NAME` (a built-in or a user profile); for a shell string the union of the
/// profiles of every program it runs; else the built-in profile agent-immune
/// maps the command to. `--allow-net` adds the inet families and the client
/// calls.
fn seccomp_policy(args: &ExecArgs, paths: &Paths) -> anyhow::Result<SyscallPolicy> {
    let resolved = profiles::resolve(
        paths,
        &args.command,
        args.profile.as_deref(),
        args.allow_net || !args.allow_host.is_empty(),
    )?;
    tracing::info!(
        profile = %resolved.profile.name,
        reason = %resolved.reason,
        source = ?resolved.profile.source,
        "seccomp profile"
    );
    Ok(resolved.policy)
}

/// Runs `autonomic exec`.
pub fn run_exec(args: &ExecArgs, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let level = args
        .sandbox
        .unwrap_or(ctx.config.config.muscle.default_sandbox);
    let workspace = match &args.workspace {
        Some(w) => w.clone(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    if args.profile.is_some() && level == SandboxLevel::None {
        tracing::warn!("--profile has no effect at sandbox level none");
    }
    let mut spec = ExecSpec::new(args.command.clone(), workspace);
    spec.sandbox = level;
    spec.network = args.allow_net || !args.allow_host.is_empty();
    if spec.network && level != SandboxLevel::None {
        spec.seccomp.egress = Some(args.allow_host.clone());
    }
    anyhow::ensure!(
        args.allow_host.is_empty() || level != SandboxLevel::None,
        "--allow-host needs the seccomp or firecracker level (level none is no sandbox)"
    );
    if level == SandboxLevel::Seccomp {
        spec.policy = Some(seccomp_policy(args, &ctx.paths)?);
    }
    spec.env = env_policy(&args.env);
    let muscle = &ctx.config.config.muscle;
    spec.seccomp.traps = match muscle.workspace_traps {
        autonomic_core::config::WorkspaceTraps::Remove => TrapAction::Remove,
        autonomic_core::config::WorkspaceTraps::Report => TrapAction::Report,
    };
    let host_paths = |config: &[PathBuf], flags: &[PathBuf]| -> Vec<PathBuf> {
        config.iter().chain(flags).map(|p| absolute(p)).collect()
    };
    spec.seccomp.ro_binds = host_paths(&muscle.expose, &args.ro_bind);
    spec.seccomp.rw_binds = host_paths(&[], &args.bind);
    spec.seccomp.masked_paths = host_paths(&muscle.mask, &args.mask);
    for path in spec.seccomp.rw_binds.iter().chain(&args.ro_bind) {
        anyhow::ensure!(
            path.exists(),
            "cannot bind `{}` into the sandbox: it does not exist",
            path.display()
        );
    }
    spec.seccomp.watch_paths = !args.no_watch_paths;
    if level == SandboxLevel::Firecracker {
        let muscle = &ctx.config.config.muscle;
        let mut vm =
            agent_muscle::vm::VmConfig::new(&muscle.firecracker_kernel, &muscle.firecracker_rootfs);
        vm.vcpus = args
            .vcpus
            .unwrap_or(u32::try_from(muscle.vm_vcpus).unwrap_or(1));
        vm.memory_mib = args.memory.map_or(muscle.vm_memory_mib, |b| b / (1 << 20));
        vm.backend = match args.vmm.as_str() {
            "qemu" => Some(agent_muscle::vm::Backend::Qemu),
            "firecracker" => Some(agent_muscle::vm::Backend::Firecracker),
            _ => None,
        };
        spec.vm = Some(vm);
    }
    let defaults = Limits::default();
    let on_host = level != SandboxLevel::Firecracker;
    spec.limits = Limits {
        wall: args.timeout,
        // At the firecracker level --memory sizes the guest instead.
        memory_bytes: args
            .memory
            .or(Some(muscle.memory_limit_mib << 20))
            .filter(|_| on_host),
        pids: args.pids.or(Some(muscle.pids_limit)).filter(|_| on_host),
        disk_bytes: args
            .disk
            .or(Some(muscle.disk_limit_mib << 20))
            .filter(|_| on_host),
        tmp_bytes: args.tmp_size.unwrap_or(defaults.tmp_bytes),
        ..defaults
    };
    // Ctrl-C or SIGTERM: the executor kills the task's whole tree (at every
    // level) and returns; the exit code is then 130 or 143.
    let cancel = agent_muscle::exec::cancel_flag();
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, Arc::clone(&cancel))
            .context("installing the Ctrl-C handler")?;
    }
    let result = run(&spec).with_context(|| {
        format!(
            "cannot run `{}` at sandbox level {level}",
            args.command.join(" ")
        )
    })?;
    std::io::stdout().write_all(&result.stdout)?;
    std::io::stderr().write_all(&result.stderr)?;
    if result.stdout_truncated || result.stderr_truncated {
        eprintln!(
            "autonomic: output was cut at {} bytes per stream",
            spec.limits.output_bytes
        );
    }
    report_egress(&result.egress, args, level, ctx)?;
    if !result.traps.is_empty() {
        for trap in &result.traps {
            eprintln!("autonomic: the task left a trap for the host: {trap}");
        }
        AuditLog::open(&ctx.paths.audit_log)?.append(AuditEvent {
            kind: "muscle.traps".into(),
            actor: "cli".into(),
            decision: Some(autonomic_core::Decision::Deny),
            detail: serde_json::json!({
                "level": level,
                "command": args.command,
                "workspace": spec.workspace,
                "traps": result.traps,
            }),
        })?;
    }
    if let Some(v) = &result.violation {
        eprintln!("autonomic: {v}");
        if let Some(hint) = violation_hint(v, args) {
            eprintln!("hint: {hint}");
        }
        let log = AuditLog::open(&ctx.paths.audit_log)?;
        log.append(AuditEvent {
            kind: "muscle.violation".into(),
            actor: "cli".into(),
            decision: Some(autonomic_core::Decision::Deny),
            detail: serde_json::json!({
                "level": level,
                "command": args.command,
                "violation": v.to_string(),
                "status": result.status.to_string(),
                "wall_ms": result.wall.as_millis() as u64,
            }),
        })?;
    }
    if result.violation == Some(Violation::Cancelled) {
        return Ok(ExitCode::from(130));
    }
    let code = match &result.status {
        Exit::Code(c) => (*c).clamp(0, 255) as u8,
        Exit::Signal { number, .. } => (128 + (*number).clamp(0, 127)) as u8,
    };
    Ok(ExitCode::from(code))
}
