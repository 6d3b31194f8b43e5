//! Level `seccomp`: the task runs inside `muscle-jail` (see
//! [`crate::jail`]), which this side spawns like a level-`none` task (same
//! stdio capture, limits and timeout; the tree kill is the process group's),
//! plus the task description in a memfd on fd 4 and a report pipe on fd 3
//! that tells how the task itself ended and why it was killed.

use std::collections::HashMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use autonomic_core::SandboxLevel;

use super::prepare::Prepared;
use super::run::{new_command, run_command, stopped_at_file_size_cap};
use super::{
    egress, newrepo, sys, traps, view, ExecError, ExecResult, ExecSpec, Exit, Network,
    SeccompOptions, Supervision, Violation,
};
use crate::bpf::{self, SyscallPolicy};
use crate::jail::report::{self, Event};
use crate::jail::{JailTask, REPORT_FD, TASK_FD};

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

/// `$AUTONOMIC_MUSCLE_JAIL`, else `muscle-jail` next to the running
/// executable or one directory up (test binaries live in `target/*/deps`).
pub(crate) fn find_jail() -> Result<PathBuf, ExecError> {
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

/// How many directory entries under the masked directories the hard-link
/// check looks at, and how deep.
const MAX_SCANNED: usize = 2048;
const MAX_DEPTH: u32 = 3;

/// How long collected inodes are reused.
const IDS_TTL: Duration = Duration::from_secs(60);

/// `(st_dev, st_ino)` of regular files under the masked directories, for the
/// jail's hard-link check: collected (bounded) and cached per masked list for
/// [`IDS_TTL`], since walking them costs milliseconds per run. A secret added
/// meanwhile is still hidden by the mount view; only its hard-link detection
/// waits for the refresh.
fn host_ids(masked: &[PathBuf]) -> Vec<(u64, u64)> {
    type Cache = Mutex<HashMap<Vec<PathBuf>, (Instant, Vec<(u64, u64)>)>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    if let Ok(map) = cache.lock() {
        if let Some((at, ids)) = map.get(masked) {
            if at.elapsed() < IDS_TTL {
                return ids.clone();
            }
        }
    }
    let mut ids = Vec::new();
    let mut budget = MAX_SCANNED;
    // Deepest first: `~/.ssh` before a broad `/root` spends the budget.
    let mut dirs: Vec<&PathBuf> = masked.iter().filter(|p| p.is_dir()).collect();
    dirs.sort_by_key(|p| std::cmp::Reverse(p.components().count()));
    for dir in dirs {
        collect_ids(dir, &mut ids, 0, &mut budget);
    }
    ids.sort_unstable();
    ids.dedup();
    if let Ok(mut map) = cache.lock() {
        map.insert(masked.to_vec(), (Instant::now(), ids.clone()));
    }
    ids
}

fn collect_ids(dir: &Path, out: &mut Vec<(u64, u64)>, depth: u32, budget: &mut usize) {
    use std::os::unix::fs::MetadataExt as _;
    if depth > MAX_DEPTH {
        return;
    }
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if *budget == 0 {
            return;
        }
        *budget -= 1;
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            collect_ids(&entry.path(), out, depth + 1, budget);
        } else if kind.is_file() {
            if let Ok(meta) = entry.metadata() {
                out.push((meta.dev(), meta.ino()));
            }
        }
    }
}

fn canonical(path: &Path) -> std::io::Result<PathBuf> {
    std::fs::canonicalize(path)
}

pub(super) fn run_jailed(
    spec: &ExecSpec,
    policy: &SyscallPolicy,
    options: &SeccompOptions,
    p: &Prepared<'_>,
    sup: &mut Supervision<'_>,
    private_loopback_server: bool,
) -> Result<ExecResult, ExecError> {
    let mut policy = policy.clone();
    if !spec.network.granted() {
        policy.socket_domains.retain(|d| *d == libc::AF_UNIX);
    }
    // glibc's getaddrinfo (AI_ADDRCONFIG) and interface listings open a
    // netlink socket first and cope with EAFNOSUPPORT: refuse it rather than
    // kill a task for a name lookup, unless the profile allows netlink. No
    // socket is created either way.
    if !policy.socket_domains.contains(&libc::AF_NETLINK)
        && !policy.refused_domains.contains(&libc::AF_NETLINK)
    {
        policy.refused_domains.push(libc::AF_NETLINK);
    }
    bpf::compile(&policy).map_err(ExecError::Policy)?;
    let workspace = canonical(p.workspace).map_err(io_err("resolve the workspace path"))?;
    if workspace.parent().is_none() {
        return Err(ExecError::InvalidInput {
            what: "workspace",
            value: workspace.display().to_string(),
            why: "the root directory as the workspace would make the whole host writable; use a project directory",
        });
    }
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
    // The private home is at the caller's home path (resolved), so the
    // `PATH` entries under it that are bound back still resolve.
    // (A home of `/` gets no private home: a tmpfs there would hide the
    // whole system.)
    let home = autonomic_core::env::user_home()
        .and_then(|h| canonical(&h).ok())
        .filter(|h| h.parent().is_some());
    let masked = view::masked_paths(
        home.as_deref(),
        autonomic_core::env::autonomic_home().as_deref(),
        &options.masked_paths,
    );
    let granted: Vec<PathBuf> = options
        .rw_binds
        .iter()
        .filter_map(|p| canonical(p).ok())
        .collect();
    let mut ro_binds = home.as_deref().map(view::toolchains).unwrap_or_default();
    ro_binds.extend(options.ro_binds.iter().cloned());
    let protected = view::protected(&workspace, home.as_deref(), &granted);
    // A repository the task creates has a new config and hooks by
    // definition: those are checked for commands instead (newrepo.rs).
    let had_git = std::fs::symlink_metadata(workspace.join(".git")).is_ok();
    let names: Vec<&str> = traps::PROTECTED
        .iter()
        .map(|p| p.path)
        .filter(|p| had_git || !p.starts_with(".git/"))
        .collect();
    let before = traps::Snapshot::of(&workspace, &names);
    // Creating one of these is refused during the run (path watch) and
    // undone after it (the sweep); a writable bind of the path grants it.
    let protected_missing: Vec<PathBuf> = before
        .missing()
        .into_iter()
        .map(|rel| workspace.join(rel))
        .filter(|p| !granted.iter().any(|g| g.starts_with(p)))
        .collect();
    // A proxied network grant: the proxy's socket in a private directory.
    let proxied = match &spec.network {
        Network::Proxied(rules) => Some(EgressRun::start(rules)?),
        Network::None | Network::Host => None,
    };
    let mut env: Vec<(std::ffi::OsString, std::ffi::OsString)> = env;
    if proxied.is_some() {
        for (k, v) in egress::proxy_env() {
            env.retain(|(name, _)| *name != *k);
            env.push((k.into(), v.into()));
        }
    }
    let since = std::time::SystemTime::now();
    let task = JailTask {
        program,
        argv: p.argv.to_vec(),
        env,
        workspace,
        policy: policy.clone(),
        network: spec.network == Network::Host,
        masked: masked.clone(),
        watch_paths: options.watch_paths,
        tmp_bytes: spec.limits.tmp_bytes,
        host_ids: host_ids(&masked),
        exposed: options.exposed.clone(),
        dev_nodes: options.dev_nodes.clone(),
        hidden: view::hidden_dirs(home.as_deref()),
        protected,
        home,
        ro_binds,
        rw_binds: granted.clone(),
        egress: proxied.as_ref().map(|e| e.dir.clone()),
        private_loopback_server,
        protected_missing,
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
    let result = run_command(p, cmd, true, sup);
    drop(report_write);
    drop(task_file);
    let events = proxied.map(EgressRun::finish).unwrap_or_default();
    let mut result = result?;
    result.egress = events;

    sys::set_nonblocking(&report_read).map_err(io_err("read the jail's report"))?;
    let mut text = String::new();
    let _ = std::fs::File::from(report_read).read_to_string(&mut text);
    apply_report(&text, spec, &policy, &mut result)?;
    result.traps = traps::sweep(&task.workspace, since, &before, options.traps);
    if !had_git {
        result
            .traps
            .extend(newrepo::check(&task.workspace, options.traps));
    }
    Ok(result)
}

/// The proxy of one run and the private directory its socket lives in.
struct EgressRun {
    dir: PathBuf,
    proxy: egress::Proxy,
}

impl EgressRun {
    fn start(rules: &[egress::HostRule]) -> Result<EgressRun, ExecError> {
        use std::os::unix::fs::DirBuilderExt as _;
        use std::sync::atomic::{AtomicU64, Ordering};
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let dir = std::env::temp_dir().join(format!(
            "autonomic-egress-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&dir)
            .map_err(io_err("create the egress proxy's directory"))?;
        let rules = if rules.is_empty() {
            vec![egress::HostRule::any()]
        } else {
            rules.to_vec()
        };
        match egress::Proxy::start(&dir.join(egress::SOCKET_NAME), rules) {
            Ok(proxy) => Ok(EgressRun { dir, proxy }),
            Err(e) => {
                let _ = fs_err::remove_dir_all(&dir);
                Err(io_err("start the egress proxy")(e))
            }
        }
    }

    fn finish(self) -> Vec<egress::EgressEvent> {
        let events = self.proxy.stop();
        let _ = fs_err::remove_dir_all(&self.dir);
        events
    }
}

/// Why a denied syscall is denied, in words.
fn denial_reason(nr: i64, arg0: u64, policy: &SyscallPolicy, spec: &ExecSpec) -> String {
    let name = bpf::syscall_name(nr).unwrap_or("unknown");
    if let Some(reason) = bpf::never_allowed_reason(name) {
        return format!("never allowed in the sandbox ({reason})");
    }
    match name {
        "socket" | "socketpair" => {
            let domain = i32::try_from(arg0 & 0xffff_ffff).unwrap_or(-1);
            let family = socket_family(domain);
            if !spec.network.granted() && domain != libc::AF_UNIX {
                format!("a {family} socket, and the task has no network grant")
            } else {
                format!("a {family} socket, which the profile does not allow")
            }
        }
        "clone" => "clone with CLONE_NEW* flags would create namespaces".into(),
        _ if policy.allow.iter().any(|a| a == name) => "denied by the sandbox's fixed rules".into(),
        _ => "not in the task's syscall profile".into(),
    }
}

fn socket_family(domain: i32) -> String {
    match domain {
        libc::AF_UNIX => "AF_UNIX".into(),
        libc::AF_INET => "AF_INET (IPv4)".into(),
        libc::AF_INET6 => "AF_INET6 (IPv6)".into(),
        libc::AF_NETLINK => "AF_NETLINK".into(),
        libc::AF_PACKET => "AF_PACKET (raw link layer)".into(),
        other => format!("domain {other}"),
    }
}

/// Folds the jail's report into the result: the task's own exit status, a
/// denial as a [`Violation::Syscall`] or [`Violation::Path`], set-up errors as
/// [`ExecError::LevelUnavailable`] (or [`ExecError::NotFound`] when the
/// program is not there inside the sandbox).
fn apply_report(
    text: &str,
    spec: &ExecSpec,
    policy: &SyscallPolicy,
    result: &mut ExecResult,
) -> Result<(), ExecError> {
    let mut denial = None;
    for event in report::parse(text) {
        match event {
            Event::Error { errno: 0, step } => {
                return Err(unavailable(format!(
                    "the jail could not set up the sandbox: {step}"
                )));
            }
            Event::Error { errno, step } => {
                let err = std::io::Error::from_raw_os_error(errno);
                if step.starts_with("execute ") || step.starts_with("execve ") {
                    return Err(ExecError::NotFound {
                        program: spec.argv.first().cloned().unwrap_or_default(),
                        searched: format!("the sandbox's view ({step}: {err})"),
                    });
                }
                let root = crate::host::caller_is_root();
                let hint = crate::host::explain_setup_failure(&step, errno, root)
                    .map(|h| format!(" ({h})"))
                    .unwrap_or_default();
                return Err(unavailable(format!(
                    "the jail could not set up the sandbox: {step}: {err}{hint}"
                )));
            }
            Event::Syscall { nr, arg0 } => {
                denial.get_or_insert(Violation::Syscall {
                    number: nr,
                    name: bpf::syscall_name(nr).unwrap_or("unknown").to_owned(),
                    reason: denial_reason(nr, arg0, policy, spec),
                });
            }
            Event::Path { nr, path } => {
                denial.get_or_insert(Violation::Path {
                    syscall: bpf::syscall_name(nr).unwrap_or("unknown").to_owned(),
                    path: PathBuf::from(path),
                });
            }
            Event::Protected { nr, path } => {
                denial.get_or_insert(Violation::ProtectedPath {
                    syscall: bpf::syscall_name(nr).unwrap_or("unknown").to_owned(),
                    path: PathBuf::from(path),
                });
            }
            Event::Note(note) => tracing::warn!(note, "muscle-jail"),
            Event::Survived => {
                tracing::warn!("a sandboxed process caught SIGSYS and was killed with SIGKILL");
            }
            Event::Exit(code) => result.status = Exit::Code(code),
            Event::Signal(number) => result.status = Exit::from_signal(number),
        }
    }
    let replaceable = matches!(result.violation, None | Some(Violation::OutputLimit { .. }));
    if !replaceable {
        return Ok(());
    }
    if let Some(v) = denial {
        result.violation = Some(v);
    } else if let Some(limit) = spec
        .limits
        .disk_bytes
        .filter(|_| stopped_at_file_size_cap(&result.status))
    {
        // The task's own status, now known: the jail's was only a mirror.
        result.violation = Some(Violation::DiskLimit { limit });
    } else if let Exit::Signal { number, .. } = &result.status {
        if *number == libc::SIGSYS {
            // Only the architecture and x32 guards kill without telling the
            // supervisor.
            result.violation = Some(Violation::Syscall {
                number: -1,
                name: "unknown".into(),
                reason: "a 32-bit (int 0x80) or x32 system call, which the sandbox kills".into(),
            });
        } else if let Some(limit) = spec.limits.cpu {
            if *number == libc::SIGXCPU || (*number == libc::SIGKILL && result.cpu >= limit) {
                result.violation = Some(Violation::CpuLimit { limit });
            }
        }
    }
    Ok(())
}
