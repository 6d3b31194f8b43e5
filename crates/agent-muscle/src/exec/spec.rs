//! What a run is asked to do: [`ExecSpec`], with what every level uses
//! (argv, workspace, environment, stdin, network grant, limits) at the top
//! and what only one level uses inside its [`Isolation`] variant, so that a
//! `seccomp` spec without a syscall policy, or a microVM spec without a
//! guest image, cannot be built. Pure data; serde round-trips it (the
//! formats are in [`super::wire`]).

use std::path::PathBuf;
use std::time::Duration;

use autonomic_core::SandboxLevel;
use serde::{Deserialize, Serialize};

use super::{egress, traps, wire};
use crate::bpf::SyscallPolicy;
use crate::vm::VmConfig;

/// What to run, where, and under which limits.
///
/// Serialized (serde), a spec names its level explicitly
/// (`"isolation": {"level": "none"}`): a missing `isolation` is an error,
/// never a silent level `none`. Every other field but `argv` and
/// `workspace` has a default.
///
/// # Examples
/// ```
/// use agent_muscle::bpf::{Action, SyscallPolicy};
/// use agent_muscle::exec::{ExecSpec, Isolation, Network};
/// use autonomic_core::SandboxLevel;
///
/// let policy = SyscallPolicy {
///     allow: vec!["read".into(), "write".into(), "exit_group".into()],
///     default_action: Action::KillProcess,
///     socket_domains: vec![],
///     refused_domains: vec![],
///     refused_syscalls: vec![],
/// };
/// let mut spec = ExecSpec::new(["cargo", "test"], "/tmp");
/// spec.isolation = Isolation::seccomp(policy);
/// spec.network = Network::Proxied(vec![]);
/// assert_eq!(spec.level(), SandboxLevel::Seccomp);
///
/// let json = serde_json::to_string(&spec).unwrap();
/// assert!(json.contains(r#""isolation":{"level":"seccomp""#));
/// assert_eq!(serde_json::from_str::<ExecSpec>(&json).unwrap(), spec);
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecSpec {
    /// The program (resolved against the task's `PATH` unless it contains a
    /// `/`; a relative path is taken relative to the workspace) and its
    /// arguments. No shell is involved.
    pub argv: Vec<String>,
    /// The working directory; must be an existing directory.
    pub workspace: PathBuf,
    /// Which environment variables the task sees.
    #[serde(default)]
    pub env: EnvPolicy,
    /// Bytes written to the task's stdin; `None` means stdin is `/dev/null`.
    #[serde(default, with = "wire::opt_bytes")]
    pub stdin: Option<Vec<u8>>,
    /// What network the task may reach (enforced at `seccomp` and
    /// `firecracker`; see [`Network`]).
    #[serde(default)]
    pub network: Network,
    /// Time, memory, process, disk and output limits.
    #[serde(default)]
    pub limits: Limits,
    /// The level, and what only that level uses.
    pub isolation: Isolation,
}

impl ExecSpec {
    /// A spec at level `none` with a scrubbed environment, no stdin, no
    /// network grant and the default limits.
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
            network: Network::None,
            limits: Limits::default(),
            isolation: Isolation::None,
        }
    }

    /// The sandbox level [`ExecSpec::isolation`] asks for.
    pub fn level(&self) -> SandboxLevel {
        self.isolation.level()
    }
}

/// The isolation level of a run and what only that level uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "lowercase", deny_unknown_fields)]
pub enum Isolation {
    /// Level `none`: a plain subprocess in its own session and process
    /// group, with limits (see the [module docs](super)).
    None,
    /// Level `seccomp`: the task runs inside `muscle-jail` ([`crate::jail`]).
    Seccomp {
        /// What the task may call. Network socket domains in it only count
        /// when [`ExecSpec::network`] grants network.
        policy: SyscallPolicy,
        /// The view's additions, the path watch, what happens to traps.
        #[serde(default)]
        options: SeccompOptions,
    },
    /// Level `firecracker`: a fresh microVM per run ([`crate::vm`]; the VMM
    /// is Firecracker or QEMU's `microvm`).
    #[serde(rename = "firecracker")]
    MicroVm {
        /// The guest image and the VM's shape.
        vm: VmConfig,
    },
}

impl Isolation {
    /// Level `seccomp` under `policy`, with the default options.
    pub fn seccomp(policy: SyscallPolicy) -> Isolation {
        Isolation::Seccomp {
            policy,
            options: SeccompOptions::default(),
        }
    }

    /// Level `firecracker` in a microVM shaped by `vm`.
    pub fn micro_vm(vm: VmConfig) -> Isolation {
        Isolation::MicroVm { vm }
    }

    /// The sandbox level this is.
    pub fn level(&self) -> SandboxLevel {
        match self {
            Isolation::None => SandboxLevel::None,
            Isolation::Seccomp { .. } => SandboxLevel::Seccomp,
            Isolation::MicroVm { .. } => SandboxLevel::Firecracker,
        }
    }
}

/// What network a task may reach. Level `none` enforces none of this: its
/// task is a plain process with the host's network whatever the grant says
/// (and [`Network::Proxied`] there is refused rather than not enforced).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// No network: at `seccomp` only `AF_UNIX` sockets (any other domain
    /// is killed, whatever the policy allows), in a microVM no network card.
    #[default]
    None,
    /// Only through the executor's egress proxy ([`egress`]), to the
    /// destinations these rules name (an empty list is any public host; the
    /// proxy never lets a task reach loopback, link-local or private
    /// addresses it was not granted by name). At `seccomp` the task has its
    /// own network namespace with loopback only; in a microVM the only way
    /// out is the proxy's guest address.
    Proxied(Vec<egress::HostRule>),
    /// Level `seccomp` only: the host's network namespace, with the socket
    /// domains the policy allows and no check on destinations. A microVM
    /// never gets it (refused: it reaches the network through the proxy).
    Host,
}

impl Network {
    /// Whether any network is granted.
    pub fn granted(&self) -> bool {
        !matches!(self, Network::None)
    }
}

/// The parts of an [`ExecSpec`] only level `seccomp` uses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SeccompOptions {
    /// Extra absolute paths to hide from the task, on top of the built-in
    /// list (`/etc/shadow`, `~/.ssh`, docker.sock, …).
    pub masked_paths: Vec<PathBuf>,
    /// Route path-taking syscalls (`openat`, `execve`, `stat`, …) through
    /// the supervisor, which kills the task with SIGSYS when one names a
    /// masked path and reports the path ([`super::Violation::Path`]).
    /// Detection on top of the mount view, which hides the paths either
    /// way; it costs a round trip per call (see the README's benchmarks).
    /// Default on.
    pub watch_paths: bool,
    /// Host files shown read-only at `/run/autonomic/exposed/<name>` even
    /// under a mask (the microVM level runs its VMM this way).
    pub exposed: Vec<(PathBuf, String)>,
    /// Extra `/dev` nodes the task may open (`kvm`).
    pub dev_nodes: Vec<String>,
    /// Host paths shown read-only at their own path, on top of the
    /// toolchains of [`super::view::HOME_TOOLCHAINS`] (`--ro-bind`,
    /// `[muscle] expose`). Masks still apply beneath them.
    pub ro_binds: Vec<PathBuf>,
    /// Host paths shown read-write (nosuid, nodev) at their own path
    /// (`--bind`); a protected path is granted only by a bind of that path
    /// or of something inside it.
    pub rw_binds: Vec<PathBuf>,
    /// What to do with the traps a task leaves in the workspace (set-id
    /// bits, FIFOs, device nodes, symlinks out of it, new hooks); see
    /// [`traps`]. Default [`traps::TrapAction::Remove`].
    pub traps: traps::TrapAction,
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
        }
    }
}

/// The task's environment. Every policy starts from the same base: the
/// caller's `PATH` (absolute entries only), `HOME` = the caller's home path
/// (at `seccomp` a private, empty home with the toolchains bound back; in a
/// microVM the guest's workspace), `LANG=C.UTF-8` and `TERM=dumb`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
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
///
/// Serialized, durations are decimal seconds (`"60s"`, `"1.5s"`; `"250ms"`
/// is read too) and sizes are bytes; a missing field takes its default.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Wall-clock time before the whole process group is killed. Default 60 s.
    #[serde(with = "wire::duration")]
    pub wall: Duration,
    /// CPU time per process (`RLIMIT_CPU`, whole seconds, rounded up).
    #[serde(with = "wire::opt_duration")]
    pub cpu: Option<Duration>,
    /// Memory of the task's tree (a cgroup; `RLIMIT_AS` per process as the
    /// fallback).
    pub memory_bytes: Option<u64>,
    /// Processes of the task's tree (a cgroup; `RLIMIT_NPROC` of the real
    /// user id as the fallback; see the [executor's docs](super)).
    pub pids: Option<u64>,
    /// Bytes kept per stream (stdout and stderr each). Default 1 MiB. Output
    /// past it is read and discarded so the task never blocks on a full pipe.
    pub output_bytes: usize,
    /// Bytes the run may add to the workspace's file system (levels `none`
    /// and `seccomp`): no file may grow past it (`RLIMIT_FSIZE`), and the
    /// file system's used space is checked every 100 ms — past the limit the
    /// whole tree is killed ([`super::Violation::DiskLimit`]). The check sees
    /// the whole file system (another writer on it counts too) and may let a
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
