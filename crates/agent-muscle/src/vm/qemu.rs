//! The QEMU `microvm` back-end: builds the per-run disks, runs QEMU as an
//! ordinary supervised process (limits, timeout, tree kill), and turns the
//! console frames back into an [`ExecResult`].

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use autonomic_core::SandboxLevel;

use super::proto::{Frame, GuestTask};
use super::{detect_accel, Accel, Backend, VmConfig, VmInfo};
use crate::bpf::{self, SyscallPolicy};
use crate::exec::{
    self, egress, CancelHandle, EnvPolicy, ExecError, ExecResult, ExecSpec, Exit, Isolation,
    LimitsVia, Network, SeccompOptions, Stream, Supervision, Violation,
};

/// The kernel command line: serial console, quiet, reboot (= VM exit) on
/// panic, the initramfs's `/init` as PID 1.
const CMDLINE: &str = "console=ttyS0 quiet loglevel=0 panic=-1 rdinit=/init \
     random.trust_cpu=1 i8042.noaux i8042.nomux i8042.nopnp i8042.dumbkbd";

/// Extra command line under TCG: QEMU's `microvm` has no HPET or PM timer,
/// and under emulation the kernel cannot calibrate the TSC against the PIT,
/// marks it unstable and then hangs waiting for timer ticks (measured: no
/// progress in 60 s). Telling it the TSC rate (the host's, which TCG's TSC
/// follows) and the delay-loop constant skips both calibrations.
fn tcg_cmdline() -> String {
    let khz = fs_err::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("cpu MHz"))
                .and_then(|l| l.split(':').nth(1))
                .and_then(|v| v.trim().parse::<f64>().ok())
        })
        .map_or(2_000_000, |mhz| (mhz * 1000.0) as u64);
    format!(" tsc_early_khz={khz} lpj={khz} tsc=reliable no_timer_check")
}

/// How many non-frame console lines a result keeps.
const CONSOLE_TAIL: usize = 20;

fn unavailable(reason: String) -> ExecError {
    ExecError::LevelUnavailable {
        level: SandboxLevel::Firecracker,
        reason,
    }
}

fn io_err(action: impl Into<String>) -> impl FnOnce(std::io::Error) -> ExecError {
    let action = action.into();
    move |source| ExecError::Io { action, source }
}

/// A per-run directory under the system temp dir, removed on drop.
struct RunDir(PathBuf);

impl RunDir {
    fn new() -> Result<Self, ExecError> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("autonomic-vm-{}-{n}", std::process::id()));
        fs_err::create_dir_all(&dir).map_err(io_err("create the VM's run directory"))?;
        Ok(RunDir(dir))
    }
}

impl Drop for RunDir {
    fn drop(&mut self) {
        let _ = fs_err::remove_dir_all(&self.0);
    }
}

/// Runs a helper tool (stopped by `cancel` too); a failure is
/// [`ExecError::LevelUnavailable`].
fn tool(
    argv: &[&str],
    cwd: &Path,
    what: &str,
    cancel: Option<&CancelHandle>,
) -> Result<(), ExecError> {
    super::run_tool_cancellable(argv, cwd, Duration::from_secs(300), cancel)
        .map(drop)
        .map_err(|detail| unavailable(format!("{what} failed: {detail}")))
}

/// An ext4 image of `workspace` at `image`, with room to spare.
fn workspace_disk(
    workspace: &Path,
    image: &Path,
    run_dir: &Path,
    cancel: Option<&CancelHandle>,
) -> Result<(), ExecError> {
    let used = super::image::tree_bytes(workspace);
    let kib = (used.saturating_mul(2) / 1024).max(64 * 1024) + 16 * 1024;
    let src = workspace.to_string_lossy();
    let dst = image.to_string_lossy();
    let size = format!("{kib}k");
    let mkfs = super::mkfs_ext4();
    tool(
        &[
            &mkfs,
            "-q",
            "-F",
            "-L",
            "workspace",
            "-d",
            &src,
            &dst,
            &size,
        ],
        run_dir,
        "building the workspace disk (mkfs.ext4 -d, Debian package e2fsprogs)",
        cancel,
    )
}

fn env_strings(env: &[(OsString, OsString)]) -> Result<Vec<(String, String)>, ExecError> {
    env.iter()
        .map(|(k, v)| match (k.to_str(), v.to_str()) {
            (Some(k), Some(v)) => Ok((k.to_owned(), v.to_owned())),
            _ => Err(ExecError::InvalidInput {
                what: "environment variable",
                value: k.to_string_lossy().into_owned(),
                why: "a microVM task's environment must be UTF-8",
            }),
        })
        .collect()
}

/// Runs `spec` in a fresh microVM shaped by `cfg`, under `sup`: its
/// cancel handle stops the VMM (or the set-up before it), and its output
/// sink gets the task's output as the console frames arrive.
pub(crate) fn run_vm(
    spec: &ExecSpec,
    cfg: &VmConfig,
    env: &[(OsString, OsString)],
    sup: &mut Supervision<'_>,
) -> Result<ExecResult, ExecError> {
    let started = Instant::now();
    let grant = match &spec.network {
        Network::None => None,
        Network::Proxied(rules) => Some(rules.clone()),
        Network::Host => {
            return Err(unavailable(
                "a microVM reaches the network only through the egress proxy, never the \
                 host's network namespace (grant Network::Proxied)"
                    .into(),
            ))
        }
    };
    let network = grant.is_some();
    let accel = cfg.accel.clone().unwrap_or_else(detect_accel);
    let firecracker_bin = cfg.firecracker.clone().or_else(|| {
        let path = autonomic_core::env::path_var()?;
        std::env::split_paths(&path)
            .map(|d| d.join("firecracker"))
            .find(|p| p.is_file())
    });
    let backend = match (cfg.backend, &firecracker_bin, &accel) {
        (Some(Backend::Firecracker), None, _) => {
            return Err(unavailable(
                "the Firecracker back-end was asked for but no `firecracker` binary was found \
                 (on PATH or in the VM configuration)"
                    .into(),
            ))
        }
        (Some(Backend::Firecracker), Some(_), Accel::Tcg { why }) => {
            return Err(unavailable(format!(
                "the Firecracker back-end needs hardware KVM, and {why}; QEMU (software \
                 emulation) is the back-end this host can run"
            )))
        }
        (Some(b), _, _) => b,
        (None, Some(_), Accel::Kvm) => Backend::Firecracker,
        (None, _, _) => Backend::Qemu,
    };
    for (what, path) in [
        ("kernel", &cfg.kernel),
        ("initramfs", &cfg.initrd),
        ("root filesystem", &cfg.rootfs),
    ] {
        if !path.is_file() {
            return Err(unavailable(format!(
                "the guest {what} `{}` is missing: run `autonomic muscle image build`",
                path.display()
            )));
        }
    }
    if cfg.memory_mib < 64 || cfg.vcpus == 0 {
        return Err(unavailable(format!(
            "a microVM needs at least 64 MiB and 1 vCPU (got {} MiB, {} vCPUs)",
            cfg.memory_mib, cfg.vcpus
        )));
    }
    if let Accel::Tcg { why } = &accel {
        tracing::warn!(why, "no usable KVM: the microVM runs under QEMU's software emulation (TCG), which is much slower");
    }

    let run_dir = RunDir::new()?;
    let mut env = env.to_vec();
    if network {
        for (k, v) in egress::guest_proxy_env() {
            env.retain(|(name, _)| *name != *k);
            env.push((k.into(), v.into()));
        }
    }
    let task = GuestTask {
        argv: spec.argv.clone(),
        env: env_strings(&env)?,
        scratch_mib: cfg.scratch_mib,
        workspace: true,
        network,
    };
    let json =
        serde_json::to_vec(&task).map_err(|e| unavailable(format!("encode the task: {e}")))?;
    let task_disk = run_dir.0.join("task.bin");
    {
        let mut f = fs_err::File::create(&task_disk).map_err(io_err("write the task disk"))?;
        f.write_all(&(json.len() as u64).to_le_bytes())
            .and_then(|()| f.write_all(&json))
            // Whole sectors, so the guest sees all of it.
            .and_then(|()| f.write_all(&vec![0u8; 512 - (json.len() + 8) % 512]))
            .map_err(io_err("write the task disk"))?;
    }
    let ws_disk = run_dir.0.join("workspace.ext4");
    let built = workspace_disk(&spec.workspace, &ws_disk, &run_dir.0, sup.cancel);
    if sup.cancelled() {
        // Cancelled while the disk was built (its mkfs was stopped) or just
        // after: no VMM is started.
        return Ok(cancelled_before_boot(backend, accel, started.elapsed()));
    }
    built?;

    // The VMM itself runs jailed (level `seccomp`): its own user, mount,
    // PID, IPC, UTS and (empty) network namespaces, the host read-only with
    // secrets masked, writes only in the run directory, and a filter that
    // allows what QEMU needs but never the hard block list or a non-UNIX
    // socket. The guest image is shown read-only under the jail's /run.
    let inside = |name: &str| Path::new(crate::jail::EXPOSED_DIR).join(name);
    let jailed_cfg = VmConfig {
        kernel: inside("vmlinux"),
        initrd: inside("initramfs"),
        rootfs: inside("rootfs"),
        ..cfg.clone()
    };
    if network && backend == Backend::Firecracker {
        return Err(unavailable(
            "network grants need a tap device for Firecracker, which is not wired yet; \
             use --vmm qemu (user networking)"
                .into(),
        ));
    }
    let argv = match (backend, &firecracker_bin) {
        (Backend::Firecracker, Some(bin)) => {
            let config = super::firecracker::config(
                &jailed_cfg,
                &task_disk,
                &ws_disk,
                &kernel_cmdline(&accel),
            );
            super::firecracker::validate(&config).map_err(|e| {
                unavailable(format!(
                    "the generated Firecracker configuration is invalid: {e}"
                ))
            })?;
            let file = run_dir.0.join("vm.json");
            fs_err::write(&file, config.to_string())
                .map_err(io_err("write the VM configuration"))?;
            vec![
                bin.to_string_lossy().into_owned(),
                "--no-api".into(),
                "--config-file".into(),
                file.to_string_lossy().into_owned(),
            ]
        }
        _ => {
            let mut argv = qemu_argv(&jailed_cfg, &accel, &task_disk, &ws_disk);
            if network {
                // QEMU's user networking, restricted: the guest reaches
                // nothing — not the host's loopback, not the outside —
                // except the egress proxy's guest address, which QEMU
                // forwards, one `muscle-jail relay-stdio` per connection, to
                // the proxy's socket (the same grant as at `seccomp`).
                // QEMU's own `-sandbox` must let slirp spawn the relay, and
                // the child slirp forks calls setsid (in QEMU's
                // "elevateprivileges" set) before its exec; the jail around
                // QEMU still holds (no capabilities, our filter, Landlock).
                for arg in &mut argv {
                    if arg.contains("spawn=deny") {
                        *arg = arg
                            .replace("spawn=deny", "spawn=allow")
                            .replace("elevateprivileges=deny", "elevateprivileges=allow");
                    }
                }
                let relay = Path::new(crate::jail::EXPOSED_DIR).join("muscle-jail");
                let socket = Path::new(egress::SOCKET_DIR).join(egress::SOCKET_NAME);
                argv.extend([
                    "-netdev".into(),
                    format!(
                        "user,id=net0,restrict=on,guestfwd=tcp:{}:{}-cmd:{} relay-stdio {}",
                        egress::GUEST_PROXY_ADDR,
                        egress::PROXY_PORT,
                        relay.display(),
                        socket.display()
                    ),
                    "-device".into(),
                    "virtio-net-device,netdev=net0".into(),
                ]);
            }
            argv
        }
    };
    let mut options = SeccompOptions {
        watch_paths: false,
        exposed: vec![
            (cfg.kernel.clone(), "vmlinux".into()),
            (cfg.initrd.clone(), "initramfs".into()),
            (cfg.rootfs.clone(), "rootfs".into()),
        ],
        ..SeccompOptions::default()
    };
    let mut vmm = ExecSpec::new(argv, &run_dir.0);
    if let Some(rules) = grant {
        // The VMM keeps no host network either: its own network namespace,
        // and the proxy's socket shown in its view.
        // (run_vmm lets it serve on its private loopback.)
        vmm.network = Network::Proxied(rules);
        options
            .exposed
            .push((crate::exec::jail_helper()?, "muscle-jail".into()));
    }
    if accel == Accel::Kvm {
        options.dev_nodes = vec!["kvm".into()];
    }
    vmm.isolation = Isolation::Seccomp {
        policy: vmm_policy(network),
        options,
    };
    vmm.env = EnvPolicy::Scrubbed;
    vmm.limits.wall = spec.limits.wall;
    vmm.limits.cpu = spec.limits.cpu;
    // Frames are base64 (4/3) plus framing; keep room for the console noise.
    vmm.limits.output_bytes = spec.limits.output_bytes.saturating_mul(3) + (1 << 20);
    let cancel = sup.cancel;
    let streaming = sup.on_output.is_some();
    let mut frames = FrameStream::new(spec.limits.output_bytes);
    let user = &mut sup.on_output;
    let mut forward = |stream: Stream, bytes: &[u8]| {
        // The console is the VMM's stdout; its stderr is QEMU's own.
        if stream == Stream::Stdout {
            frames.feed(bytes, &mut |s: Stream, b: &[u8]| {
                if let Some(sink) = user.as_mut() {
                    sink(s, b);
                }
            });
        }
    };
    let mut inner = Supervision {
        cancel,
        on_output: if streaming {
            Some(&mut forward as &mut dyn FnMut(Stream, &[u8]))
        } else {
            None
        },
    };
    let ran = exec::run_vmm(&vmm, &mut inner)?;
    let result = decode(spec, backend, accel, ran)?;
    if result.violation == Some(Violation::Cancelled) {
        // Whatever the task left half-written stays in the VM.
        return Ok(result);
    }
    for rel in &cfg.hand_out {
        hand_out(rel, &ws_disk, &run_dir.0, &spec.workspace)?;
    }
    Ok(result)
}

/// What is known of a VM before its console says anything.
fn unbooted(backend: Backend, accel: Accel) -> VmInfo {
    VmInfo {
        backend,
        accel,
        guest_ready: None,
        guest_start: None,
        guest_end: None,
        console_tail: Vec::new(),
    }
}

/// The result of a run cancelled before its VM booted.
fn cancelled_before_boot(backend: Backend, accel: Accel, wall: Duration) -> ExecResult {
    ExecResult {
        status: Exit::from_signal(libc::SIGKILL),
        stdout: Vec::new(),
        stderr: Vec::new(),
        stdout_truncated: false,
        stderr_truncated: false,
        wall,
        cpu: Duration::ZERO,
        peak_memory_bytes: 0,
        violation: Some(Violation::Cancelled),
        limits_via: LimitsVia::Unlimited,
        vm: Some(unbooted(backend, accel)),
        traps: Vec::new(),
        egress: Vec::new(),
    }
}

/// Turns the VMM's stdout, as it arrives, into the task's output chunks:
/// whole console lines are decoded as frames, and `out`/`err` frames are
/// passed on up to the per-stream cap — the same bytes, cut at the same
/// place, as [`decode`] puts in the result.
struct FrameStream {
    line: Vec<u8>,
    left: [usize; 2],
}

impl FrameStream {
    fn new(cap: usize) -> Self {
        FrameStream {
            line: Vec::new(),
            left: [cap; 2],
        }
    }

    fn feed(&mut self, bytes: &[u8], emit: &mut dyn FnMut(Stream, &[u8])) {
        for piece in bytes.split_inclusive(|b| *b == b'\n') {
            self.line.extend_from_slice(piece);
            if !piece.ends_with(b"\n") {
                continue;
            }
            let line = std::mem::take(&mut self.line);
            let (stream, data) = match Frame::decode(&String::from_utf8_lossy(&line)) {
                Some(Frame::Out(d)) => (Stream::Stdout, d),
                Some(Frame::Err(d)) => (Stream::Stderr, d),
                _ => continue,
            };
            let left = &mut self.left[usize::from(stream == Stream::Stderr)];
            let keep = data.len().min(*left);
            *left -= keep;
            if keep > 0 {
                emit(stream, &data[..keep]);
            }
        }
    }
}

/// Copies `rel` from the workspace disk back into `workspace`: `debugfs
/// rdump` into the run directory (symlinks stay symlinks there), then a copy
/// of regular files and directories only, replacing — never writing through
/// — whatever is at the destination.
fn hand_out(rel: &Path, disk: &Path, run_dir: &Path, workspace: &Path) -> Result<(), ExecError> {
    let plain = rel
        .components()
        .all(|c| matches!(c, std::path::Component::Normal(_)));
    let text = rel.to_string_lossy();
    if !plain || text.is_empty() || text.contains('"') || text.contains('\n') {
        return Err(ExecError::InvalidInput {
            what: "hand-out path",
            value: text.into_owned(),
            why: "it must be a plain relative path inside the workspace",
        });
    }
    let staging = run_dir.join("hand-out");
    let _ = fs_err::remove_dir_all(&staging);
    fs_err::create_dir_all(&staging).map_err(io_err("create the hand-out directory"))?;
    let request = format!("rdump \"/{text}\" \"{}\"", staging.display());
    tool(
        &[&super::debugfs(), "-R", &request, &disk.to_string_lossy()],
        run_dir,
        "reading results off the workspace disk (debugfs, Debian package e2fsprogs)",
        None,
    )?;
    let Some(name) = rel.file_name() else {
        return Ok(());
    };
    let src = staging.join(name);
    if fs_err::symlink_metadata(&src).is_err() {
        tracing::warn!(path = %text, "nothing to hand out: the task left no such path in its workspace");
        return Ok(());
    }
    // Every existing parent inside the workspace must be a real directory.
    let mut dst = workspace.to_path_buf();
    for part in rel.parent().into_iter().flat_map(Path::components) {
        dst.push(part);
        match fs_err::symlink_metadata(&dst) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(unavailable(format!(
                    "cannot hand out `{text}`: `{}` is not a directory",
                    dst.display()
                )))
            }
            Err(_) => fs_err::create_dir(&dst).map_err(io_err("create a hand-out directory"))?,
        }
    }
    copy_back(&src, &workspace.join(rel))
}

fn copy_back(src: &Path, dst: &Path) -> Result<(), ExecError> {
    let meta = fs_err::symlink_metadata(src).map_err(io_err("read a handed-out file"))?;
    let existing = fs_err::symlink_metadata(dst).ok();
    let replace = |want_dir: bool| -> Result<(), ExecError> {
        match &existing {
            Some(m) if m.is_dir() && want_dir => Ok(()),
            Some(m) if m.is_dir() => {
                fs_err::remove_dir_all(dst).map_err(io_err("replace a workspace directory"))
            }
            Some(_) => fs_err::remove_file(dst).map_err(io_err("replace a workspace file")),
            None => Ok(()),
        }
    };
    if meta.is_dir() {
        replace(true)?;
        if !dst.is_dir() {
            fs_err::create_dir(dst).map_err(io_err("create a handed-out directory"))?;
        }
        for e in fs_err::read_dir(src)
            .map_err(io_err("list a handed-out directory"))?
            .flatten()
        {
            copy_back(&e.path(), &dst.join(e.file_name()))?;
        }
    } else if meta.is_file() {
        replace(false)?;
        use fs_err::os::unix::fs::OpenOptionsExt as _;
        use std::os::unix::fs::PermissionsExt as _;
        let mode = meta.permissions().mode() & 0o777;
        let mut out = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dst)
            .map_err(io_err("write a handed-out file"))?;
        let mut input = fs_err::File::open(src).map_err(io_err("read a handed-out file"))?;
        std::io::copy(&mut input, &mut out).map_err(io_err("copy a handed-out file"))?;
    } else {
        tracing::warn!(path = %src.display(), "not handed out: a symlink or special file made in the guest");
    }
    Ok(())
}

/// The VMM's syscall policy: everything but agent-muscle's hard block list
/// (QEMU's TCG, threads, timers and block I/O use a wide set; its own
/// `-sandbox` filter narrows it further), sockets of AF_UNIX only.
fn vmm_policy(network: bool) -> SyscallPolicy {
    let allow = (0..=bpf::MAX_NR)
        .filter_map(bpf::syscall_name)
        .filter(|n| bpf::never_allowed_reason(n).is_none())
        .map(str::to_owned)
        .collect();
    SyscallPolicy {
        allow,
        default_action: bpf::Action::KillProcess,
        socket_domains: if network {
            vec![libc::AF_UNIX, libc::AF_INET, libc::AF_INET6]
        } else {
            vec![libc::AF_UNIX]
        },
        refused_domains: vec![],
        // QEMU probes io_uring and falls back to epoll without it.
        refused_syscalls: ["io_uring_setup", "io_uring_enter", "io_uring_register"]
            .map(String::from)
            .to_vec(),
    }
}

/// The kernel command line for `accel`.
fn kernel_cmdline(accel: &Accel) -> String {
    match accel {
        Accel::Kvm => CMDLINE.to_owned(),
        Accel::Tcg { .. } => format!("{CMDLINE}{}", tcg_cmdline()),
    }
}

fn qemu_argv(cfg: &VmConfig, accel: &Accel, task: &Path, ws: &Path) -> Vec<String> {
    let s = |p: &Path| p.to_string_lossy().into_owned();
    let mut a: Vec<String> = vec![
        s(&cfg.qemu),
        "-M".into(),
        "microvm,x-option-roms=off".into(),
    ];
    match accel {
        Accel::Kvm => a.extend(["-accel".into(), "kvm".into(), "-cpu".into(), "host".into()]),
        Accel::Tcg { .. } => a.extend(["-accel".into(), "tcg".into(), "-cpu".into(), "max".into()]),
    }
    a.extend([
        "-m".into(),
        format!("{}M", cfg.memory_mib),
        "-smp".into(),
        cfg.vcpus.to_string(),
        "-nodefaults".into(),
        "-no-user-config".into(),
        "-no-reboot".into(),
        "-display".into(),
        "none".into(),
        "-serial".into(),
        "stdio".into(),
        "-sandbox".into(),
        "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny".into(),
        "-kernel".into(),
        s(&cfg.kernel),
        "-initrd".into(),
        s(&cfg.initrd),
        "-append".into(),
        kernel_cmdline(accel),
    ]);
    for (id, file, ro) in [
        ("rootfs", &cfg.rootfs, true),
        ("task", &task.to_path_buf(), true),
        ("workspace", &ws.to_path_buf(), false),
    ] {
        a.push("-drive".into());
        a.push(format!(
            "id={id},file={},format=raw,if=none{}",
            s(file),
            if ro { ",readonly=on" } else { "" }
        ));
        a.push("-device".into());
        a.push(format!("virtio-blk-device,drive={id},serial={id}"));
    }
    a
}

/// Turns the VMM's run (its console on stdout) into the task's result.
fn decode(
    spec: &ExecSpec,
    backend: Backend,
    accel: Accel,
    ran: ExecResult,
) -> Result<ExecResult, ExecError> {
    if let Some(v @ (Violation::Syscall { .. } | Violation::Path { .. })) = &ran.violation {
        return Err(ExecError::Guest {
            reason: format!("the VMM was killed by its own sandbox: {v}"),
        });
    }
    let cap = spec.limits.output_bytes;
    let mut out = (Vec::new(), false);
    let mut err = (Vec::new(), false);
    let mut status = None;
    let mut guest_error = None;
    let mut info = unbooted(backend, accel);
    let console = String::from_utf8_lossy(&ran.stdout);
    for line in console.lines() {
        let Some(frame) = Frame::decode(line) else {
            let noise = line.trim();
            if !noise.is_empty() {
                if info.console_tail.len() == CONSOLE_TAIL {
                    info.console_tail.remove(0);
                }
                info.console_tail.push(noise.to_owned());
            }
            continue;
        };
        let push = |buf: &mut (Vec<u8>, bool), data: &[u8]| {
            let room = cap.saturating_sub(buf.0.len());
            buf.0.extend_from_slice(&data[..data.len().min(room)]);
            buf.1 |= data.len() > room;
        };
        match frame {
            Frame::Ready(ms) => info.guest_ready = Some(Duration::from_millis(ms)),
            Frame::Start(ms) => info.guest_start = Some(Duration::from_millis(ms)),
            Frame::End(ms) => info.guest_end = Some(Duration::from_millis(ms)),
            Frame::Out(d) => push(&mut out, &d),
            Frame::Err(d) => push(&mut err, &d),
            Frame::Exit(c) => status = Some(Exit::Code(c)),
            Frame::Signal(n) => status = Some(Exit::from_signal(n)),
            Frame::Error(msg) => guest_error = Some(msg),
        }
    }
    if let Some(msg) = guest_error {
        return Err(unavailable(format!(
            "the guest agent could not run the task: {msg}"
        )));
    }
    // The executor killed the VMM (wall timeout, Ctrl-C): no exit frame.
    let timed_out = matches!(
        ran.violation,
        Some(Violation::WallTimeout { .. } | Violation::Cancelled)
    );
    let status = match status {
        Some(s) => s,
        None if timed_out => Exit::from_signal(libc::SIGKILL),
        None => {
            return Err(ExecError::Guest {
                reason: format!(
                    "the microVM ended ({}) without the task's exit status (a damaged or \
                 mismatched guest image? rebuild it with `autonomic muscle image build`); \
                 last console lines:\n{}",
                    ran.status,
                    info.console_tail.join("\n")
                ),
            })
        }
    };
    let violation = if timed_out {
        ran.violation.clone()
    } else if out.1 || err.1 {
        Some(Violation::OutputLimit { limit: cap })
    } else {
        None
    };
    Ok(ExecResult {
        traps: Vec::new(),
        egress: ran.egress,
        status,
        stdout: out.0,
        stderr: err.0,
        stdout_truncated: out.1,
        stderr_truncated: err.1,
        wall: ran.wall,
        cpu: ran.cpu,
        peak_memory_bytes: ran.peak_memory_bytes,
        violation,
        limits_via: ran.limits_via,
        vm: Some(info),
    })
}
