//! From settings to an [`ExecSpec`]: the sandbox a command runs in, built
//! from `[muscle]` and the caller's per-run options, with the syscall
//! profile resolved for the command ([`crate::profiles::resolve`]). Shared by
//! `autonomic exec` and the guarded path ([`crate::guard`]).

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_muscle::exec::egress::HostRule;
use agent_muscle::exec::traps::TrapAction;
use agent_muscle::exec::{EnvPolicy, ExecSpec, Isolation, Limits, Network, SeccompOptions};
use agent_muscle::vm::{Backend, VmConfig};
use autonomic_core::config::{Config, WorkspaceTraps};
use autonomic_core::paths::Paths;
use autonomic_core::SandboxLevel;

use crate::profiles::{self, ProfileError};

/// Per-run choices over `[muscle]`'s defaults (what `autonomic exec`'s
/// flags set). `Default` is "everything from the config".
#[derive(Debug, Clone, Default)]
pub struct SandboxOptions {
    /// The level (default `[muscle] default_sandbox`).
    pub level: Option<SandboxLevel>,
    /// A syscall profile by name (default: resolved from the command).
    pub profile: Option<String>,
    /// Network through the egress proxy.
    pub allow_net: bool,
    /// Destinations granted (implies `allow_net`).
    pub allow_hosts: Vec<HostRule>,
    /// Memory limit in bytes (the guest's RAM at the firecracker level).
    pub memory: Option<u64>,
    /// Guest vCPUs.
    pub vcpus: Option<u32>,
    /// The VMM (default: Firecracker when usable, else QEMU).
    pub vmm: Option<Backend>,
    /// Size of the private /tmp.
    pub tmp_size: Option<u64>,
    /// Do not kill-and-report attempts on masked paths (they stay hidden).
    pub no_watch_paths: bool,
    /// Wall-clock limit (default 60 s).
    pub timeout: Option<Duration>,
    /// Working directory (default: the caller's current directory).
    pub workspace: Option<PathBuf>,
    /// Processes and threads.
    pub pids: Option<u64>,
    /// Bytes the task may add to the workspace's file system.
    pub disk: Option<u64>,
    /// Host paths shown read-only.
    pub ro_binds: Vec<PathBuf>,
    /// Host paths shown read-write.
    pub rw_binds: Vec<PathBuf>,
    /// Host paths hidden.
    pub masks: Vec<PathBuf>,
    /// `NAME` passes a variable through, `NAME=VALUE` sets one.
    pub env: Vec<String>,
}

/// The default wall-clock limit of a run.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// A spec that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The syscall profile could not be resolved.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A bind source does not exist.
    #[error("cannot bind `{}` into the sandbox: it does not exist", .0.display())]
    MissingBind(PathBuf),
    /// A grant that level `none` cannot enforce.
    #[error("--allow-host needs the seccomp or firecracker level (level none is no sandbox)")]
    HostGrantWithoutSandbox,
    /// The current directory is unreadable.
    #[error("cannot read the current directory")]
    CurrentDir(#[source] std::io::Error),
}

impl autonomic_core::Hint for SandboxError {
    fn hint(&self) -> Option<String> {
        match self {
            SandboxError::Profile(_) => Some(
                "`agent-immune profile list` shows the profiles; user profiles live in <home>/profiles".to_owned(),
            ),
            SandboxError::MissingBind(_) => {
                Some("create it first, or drop the --bind/--ro-bind".to_owned())
            }
            SandboxError::HostGrantWithoutSandbox => {
                Some("add --sandbox seccomp (or drop --allow-host)".to_owned())
            }
            SandboxError::CurrentDir(_) => Some("pass --workspace DIR".to_owned()),
        }
    }
}

/// A spec ready to run, and how its profile was chosen.
#[derive(Debug)]
pub struct Sandbox {
    /// What agent-muscle runs.
    pub spec: ExecSpec,
    /// The profile's name and why it was chosen (seccomp level only).
    pub profile: Option<(String, String)>,
}

/// Builds the spec for `argv` from `config` and `opts`.
///
/// # Errors
///
/// An unknown or invalid profile, a bind source that does not exist, a host
/// grant at level `none`, an unreadable current directory.
pub fn build(
    paths: &Paths,
    config: &Config,
    argv: &[String],
    opts: &SandboxOptions,
) -> Result<Sandbox, SandboxError> {
    let muscle = &config.muscle;
    let level = opts.level.unwrap_or(muscle.default_sandbox);
    let workspace = match &opts.workspace {
        Some(w) => w.clone(),
        None => std::env::current_dir().map_err(SandboxError::CurrentDir)?,
    };
    if opts.profile.is_some() && level == SandboxLevel::None {
        tracing::warn!("a syscall profile has no effect at sandbox level none");
    }
    let network = opts.allow_net || !opts.allow_hosts.is_empty();
    if !opts.allow_hosts.is_empty() && level == SandboxLevel::None {
        return Err(SandboxError::HostGrantWithoutSandbox);
    }
    let mut spec = ExecSpec::new(argv.to_vec(), workspace);
    spec.network = match (network, level) {
        (false, _) => Network::None,
        // Level none has the host's network whatever the grant says.
        (true, SandboxLevel::None) => Network::Host,
        (true, _) => Network::Proxied(opts.allow_hosts.clone()),
    };
    let host_paths = |config: &[PathBuf], flags: &[PathBuf]| -> Vec<PathBuf> {
        config.iter().chain(flags).map(|p| absolute(p)).collect()
    };
    let options = SeccompOptions {
        masked_paths: host_paths(&muscle.mask, &opts.masks),
        watch_paths: !opts.no_watch_paths,
        ro_binds: host_paths(&muscle.expose, &opts.ro_binds),
        rw_binds: host_paths(&[], &opts.rw_binds),
        traps: match muscle.workspace_traps {
            WorkspaceTraps::Remove => TrapAction::Remove,
            WorkspaceTraps::Report => TrapAction::Report,
        },
        ..SeccompOptions::default()
    };
    let mut profile = None;
    spec.isolation = match level {
        SandboxLevel::None => Isolation::None,
        SandboxLevel::Seccomp => {
            let resolved = profiles::resolve(paths, argv, opts.profile.as_deref(), network)?;
            tracing::info!(
                profile = %resolved.profile.name,
                reason = %resolved.reason,
                source = ?resolved.profile.source,
                "seccomp profile"
            );
            profile = Some((resolved.profile.name.clone(), resolved.reason.clone()));
            Isolation::Seccomp {
                policy: resolved.policy,
                options: options.clone(),
            }
        }
        SandboxLevel::Firecracker => {
            let mut vm = VmConfig::new(&muscle.firecracker_kernel, &muscle.firecracker_rootfs);
            vm.vcpus = opts
                .vcpus
                .unwrap_or(u32::try_from(muscle.vm_vcpus).unwrap_or(1));
            vm.memory_mib = opts.memory.map_or(muscle.vm_memory_mib, |b| b / (1 << 20));
            vm.backend = opts.vmm;
            Isolation::MicroVm { vm }
        }
    };
    spec.env = env_policy(&opts.env);
    // A bind that does not exist is refused at every level, as before the
    // options were the seccomp level's alone.
    for path in options.rw_binds.iter().chain(&opts.ro_binds) {
        if !path.exists() {
            return Err(SandboxError::MissingBind(path.clone()));
        }
    }
    let defaults = Limits::default();
    let on_host = level != SandboxLevel::Firecracker;
    spec.limits = Limits {
        wall: opts.timeout.unwrap_or(DEFAULT_TIMEOUT),
        // At the firecracker level the memory option sizes the guest instead.
        memory_bytes: opts
            .memory
            .or(Some(muscle.memory_limit_mib << 20))
            .filter(|_| on_host),
        pids: opts.pids.or(Some(muscle.pids_limit)).filter(|_| on_host),
        disk_bytes: opts
            .disk
            .or(Some(muscle.disk_limit_mib << 20))
            .filter(|_| on_host),
        tmp_bytes: opts.tmp_size.unwrap_or(defaults.tmp_bytes),
        ..defaults
    };
    Ok(Sandbox { spec, profile })
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
fn absolute(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
}
