//! `autonomic exec`: run a command through agent-muscle at a sandbox level,
//! mirror its exit code, and report (and audit) a sandbox kill.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use agent_immune::profile::ProfileDef;
use agent_muscle::bpf::{Action, SyscallPolicy};
use agent_muscle::exec::{run, EnvPolicy, ExecSpec, Exit, Limits};
use anyhow::Context as _;
use autonomic_cli::args::{parse_duration, parse_size};
use autonomic_cli::profiles;
use autonomic_core::audit::{AuditEvent, AuditLog};
use autonomic_core::paths::Paths;
use autonomic_core::SandboxLevel;

/// Arguments of `autonomic exec`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
The exit code mirrors the command's (128+N when killed by signal N). A kill by the
sandbox is reported on stderr and appended to the audit log.
Levels: `none` runs a plain subprocess with limits, a scrubbed environment and a
kill of the whole process tree; `seccomp` adds namespaces, a read-only view of the
host with secrets masked, Landlock and a seccomp filter from the syscall profile
(--profile, or the one `agent-immune profile for` picks); a denied syscall, or an
open/exec/… of a masked path such as /etc/shadow, kills the task with SIGSYS and
the report names the syscall or the path; `firecracker` is not
implemented yet and fails with a clear error rather than running at a weaker level.")]
pub struct ExecArgs {
    /// Sandbox level (default: `[muscle] default_sandbox`).
    #[arg(long, value_parser = parse_level)]
    sandbox: Option<SandboxLevel>,
    /// Syscall profile for the seccomp level: a built-in or a user profile in
    /// <home>/profiles (see `agent-immune profile list`).
    #[arg(long, value_name = "NAME")]
    profile: Option<String>,
    /// Grant network access (seccomp and firecracker levels).
    #[arg(long)]
    allow_net: bool,
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
    /// Environment variables to pass through (the environment is scrubbed otherwise).
    #[arg(long = "env", value_name = "NAME")]
    env: Vec<String>,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    command: Vec<String>,
}

fn parse_level(s: &str) -> Result<SandboxLevel, String> {
    s.parse().map_err(|e| format!("{e}"))
}

/// The seccomp policy for the task: `--profile NAME` (a built-in or a user
/// profile), or the built-in profile agent-immune maps the command to.
fn seccomp_policy(args: &ExecArgs, paths: &Paths) -> anyhow::Result<SyscallPolicy> {
    let (profile, why) = match &args.profile {
        Some(name) => (profiles::find(paths, name)?, format!("--profile {name}")),
        None => {
            let (profile, why) = agent_immune::profile::for_command(&args.command);
            (ProfileDef::from(profile), why)
        }
    };
    tracing::info!(profile = %profile.name, reason = %why, source = ?profile.source, "seccomp profile");
    Ok(SyscallPolicy {
        allow: profile.syscalls().into_iter().map(String::from).collect(),
        default_action: Action::KillProcess,
        socket_domains: profiles::socket_domains(&profile),
        refused_domains: profiles::refused_domains(&profile),
        refused_syscalls: vec![],
    })
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
    spec.network = args.allow_net;
    if level == SandboxLevel::Seccomp {
        spec.policy = Some(seccomp_policy(args, &ctx.paths)?);
    }
    spec.env = if args.env.is_empty() {
        EnvPolicy::Scrubbed
    } else {
        EnvPolicy::Allow(args.env.clone())
    };
    spec.watch_paths = !args.no_watch_paths;
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
    spec.limits = Limits {
        wall: args.timeout,
        // At the firecracker level --memory sizes the guest instead.
        memory_bytes: args.memory.filter(|_| level != SandboxLevel::Firecracker),
        tmp_bytes: args.tmp_size.unwrap_or(defaults.tmp_bytes),
        ..defaults
    };
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
    if let Some(v) = &result.violation {
        eprintln!("autonomic: {v}");
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
    let code = match &result.status {
        Exit::Code(c) => (*c).clamp(0, 255) as u8,
        Exit::Signal { number, .. } => (128 + (*number).clamp(0, 127)) as u8,
    };
    Ok(ExitCode::from(code))
}
