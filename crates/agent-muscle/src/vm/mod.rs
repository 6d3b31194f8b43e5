//! The `firecracker` sandbox level: one fresh microVM per execution.
//!
//! A run boots a VM from the guest image ([`image`]: kernel, initramfs with
//! the guest agent [`guest`], read-only ext4 root), hands it the task on a
//! small virtio disk and the workspace on another, and reads the task's
//! output and exit status back as console frames ([`proto`]). The VM has no
//! network device at all unless the task is granted network (then QEMU's
//! user networking, *restricted*: a virtio-net card whose only way out is
//! the egress proxy's guest address 10.0.2.100:3128, which QEMU forwards —
//! one `muscle-jail relay-stdio` per connection — to the same proxy and
//! grant as the `seccomp` level ([`crate::exec::egress`]); the host's
//! loopback (10.0.2.2) and everything else is unreachable, and the VMM
//! itself keeps no host network; not wired for Firecracker, which needs a
//! tap),
//! a read-only root whose writes land in a tmpfs overlay and vanish with the
//! VM, `memory_mib` of RAM and `vcpus` CPUs; the wall timeout or a cancel
//! ([`crate::exec::CancelHandle`]) kills the VMM's jail, and with it the VMM
//! (a cancel during the set-up stops the workspace disk's `mkfs` and starts
//! no VMM; a cancelled run hands nothing out). The task's output is streamed
//! ([`crate::exec::RunControl::output`]) as its console frames arrive: the
//! guest agent frames the task's pipes as it reads them.
//!
//! # Back-ends and acceleration
//!
//! [`Backend::Firecracker`] runs `firecracker --no-api --config-file` with a
//! generated, validated configuration ([`firecracker`]) when a binary is
//! found and KVM is real; Firecracker cannot emulate, so without KVM
//! asking for it is an error and the automatic choice is QEMU.
//! [`Backend::Qemu`] drives QEMU's `microvm` machine (Debian's
//! `qemu-system-x86`): `-M microvm -nodefaults -no-user-config -no-reboot`,
//! virtio-mmio disks, no NIC, and QEMU's own seccomp sandbox
//! (`-sandbox on,…`: no spawning, no privilege changes, no obsolete calls;
//! with a network grant spawning and setsid are allowed, for the relay).
//! QEMU itself runs inside agent-muscle's `seccomp`-level jail (as
//! Firecracker's jailer confines Firecracker): its own namespaces (an empty
//! network namespace among them), the host read-only with secrets masked,
//! writes only in the run directory, the guest image shown read-only under
//! the jail's `/run`, `/dev/kvm` only when KVM is used, and a filter with
//! the hard block list (no ptrace, mount, bpf, io_uring, …; AF_UNIX sockets
//! only). A guest escape lands in that sandbox, not on the host.
//! Firecracker is not driven yet (see the gaps).
//!
//! [`detect_accel`] decides between KVM and TCG: `/dev/kvm` alone is not
//! enough — these machines have `kvm_pvm` (software PVM), which cannot boot a
//! stock kernel — so it also needs vmx/svm in the CPU flags and no `kvm_pvm`.
//! Without real KVM the VM runs under TCG (software emulation), with a
//! warning, and every result says which was used ([`VmInfo`]).
//!
//! # Gaps (open work, issue 5)
//! - The Firecracker back-end has never run on these machines (no binary,
//!   no real KVM): its configuration is generated and validated, the run
//!   path is the QEMU one's, untested end to end.
//! - The workspace is copied into a fresh ext4 image per run (cost grows
//!   with its size); results come back only for `hand_out` paths.
//! - Network grants work with QEMU only (user networking); Firecracker
//!   would need a tap device.

pub mod firecracker;
pub mod guest;
pub mod image;
pub mod proto;
mod qemu;

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::exec::wire;

/// Which VMM runs the microVM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Backend {
    /// QEMU's `microvm` machine.
    Qemu,
    /// Firecracker (needs real KVM).
    Firecracker,
}

impl std::fmt::Display for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backend::Qemu => "qemu-microvm",
            Backend::Firecracker => "firecracker",
        })
    }
}

/// How the guest's CPU is run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Accel {
    /// Hardware virtualization through `/dev/kvm`.
    Kvm,
    /// QEMU's software emulation, and why KVM was not usable.
    Tcg {
        /// Why not KVM.
        why: String,
    },
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Accel::Kvm => f.write_str("kvm"),
            Accel::Tcg { why } => write!(f, "tcg (software emulation: {why})"),
        }
    }
}

/// Whether this host can run guests under KVM, and if not, why.
pub fn detect_accel() -> Accel {
    let tcg = |why: &str| Accel::Tcg {
        why: why.to_owned(),
    };
    if !Path::new("/dev/kvm").exists() {
        return tcg("no /dev/kvm");
    }
    if Path::new("/sys/module/kvm_pvm").exists() {
        return tcg("/dev/kvm is kvm_pvm (software PVM), which cannot boot a stock guest kernel");
    }
    let flags = fs_err::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let has_virt = flags
        .lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "vmx" || f == "svm"));
    if !has_virt {
        return tcg("the CPU reports no vmx/svm (hardware virtualization)");
    }
    match fs_err::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/kvm")
    {
        Ok(_) => Accel::Kvm,
        Err(e) => Accel::Tcg {
            why: format!("cannot open /dev/kvm: {e}"),
        },
    }
}

/// The guest image and the VM's shape. Serialized, `kernel`, `initrd` and
/// `rootfs` are required and every other field has [`VmConfig::new`]'s
/// default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmConfig {
    /// The guest kernel (an uncompressed ELF vmlinux; QEMU boots it through
    /// PVH, Firecracker takes nothing else).
    pub kernel: PathBuf,
    /// The initramfs holding the guest agent and the driver modules.
    pub initrd: PathBuf,
    /// The read-only root filesystem image (ext4).
    pub rootfs: PathBuf,
    /// Guest RAM in MiB (default 512).
    #[serde(default = "defaults::memory_mib")]
    pub memory_mib: u64,
    /// Guest vCPUs (default 1).
    #[serde(default = "defaults::vcpus")]
    pub vcpus: u32,
    /// Size of the writable overlay and `/tmp` in the guest, MiB (default 256).
    #[serde(default = "defaults::scratch_mib")]
    pub scratch_mib: u64,
    /// The VMM to use; `None` picks Firecracker when its binary is there and
    /// KVM is real, else QEMU.
    #[serde(default)]
    pub backend: Option<Backend>,
    /// The QEMU binary (default `qemu-system-x86_64` on `PATH`).
    #[serde(default = "defaults::qemu")]
    pub qemu: PathBuf,
    /// The Firecracker binary; `None` looks for `firecracker` on `PATH`.
    #[serde(default)]
    pub firecracker: Option<PathBuf>,
    /// Acceleration; `None` detects it ([`detect_accel`]).
    #[serde(default)]
    pub accel: Option<Accel>,
    /// Workspace-relative files or directories copied back from the VM's
    /// workspace disk after the run ("results handed out only where the node
    /// asks"); everything else the task wrote is discarded with the VM.
    /// Regular files and directories only: symlinks and special files the
    /// guest made are never handed out, and nothing is written through a
    /// symlink on the host.
    #[serde(default)]
    pub hand_out: Vec<PathBuf>,
}

/// [`VmConfig`]'s defaults, for serde and [`VmConfig::new`].
mod defaults {
    use std::path::PathBuf;

    pub(super) fn memory_mib() -> u64 {
        512
    }

    pub(super) fn vcpus() -> u32 {
        1
    }

    pub(super) fn scratch_mib() -> u64 {
        256
    }

    pub(super) fn qemu() -> PathBuf {
        PathBuf::from("qemu-system-x86_64")
    }
}

impl VmConfig {
    /// The image `autonomic muscle image build` writes for `kernel` and
    /// `rootfs` (the initramfs next to the kernel), 512 MiB, 1 vCPU.
    pub fn new(kernel: &Path, rootfs: &Path) -> Self {
        VmConfig {
            kernel: kernel.to_path_buf(),
            initrd: image::initrd_for(kernel),
            rootfs: rootfs.to_path_buf(),
            memory_mib: defaults::memory_mib(),
            vcpus: defaults::vcpus(),
            scratch_mib: defaults::scratch_mib(),
            backend: None,
            qemu: defaults::qemu(),
            firecracker: None,
            accel: None,
            hand_out: Vec::new(),
        }
    }
}

/// How a VM run went, besides the task's own result. Serialized, the
/// uptimes are decimal seconds like every duration ([`wire`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VmInfo {
    /// The VMM used.
    pub backend: Backend,
    /// The acceleration used.
    pub accel: Accel,
    /// Guest uptime when the agent was ready (kernel boot + agent set-up:
    /// modules, disks, overlay).
    #[serde(with = "wire::opt_duration")]
    pub guest_ready: Option<Duration>,
    /// Guest uptime when the task started.
    #[serde(with = "wire::opt_duration")]
    pub guest_start: Option<Duration>,
    /// Guest uptime when the task's main process ended.
    #[serde(with = "wire::opt_duration")]
    pub guest_end: Option<Duration>,
    /// The last console lines that were not frames (kernel messages), for
    /// diagnosing a guest that died.
    pub console_tail: Vec<String>,
}

pub(crate) use qemu::run_vm;

/// Runs a helper tool (`mkfs.ext4`, `apt-get`, `xz`, …) at level `none`
/// in `cwd` and returns its stdout; a failure to start or a non-zero exit is
/// an error message with its stderr.
pub(crate) fn run_tool(argv: &[&str], cwd: &Path, wall: Duration) -> Result<Vec<u8>, String> {
    run_tool_cancellable(argv, cwd, wall, None)
}

/// [`run_tool`], stopped by `cancel` too.
pub(crate) fn run_tool_cancellable(
    argv: &[&str],
    cwd: &Path,
    wall: Duration,
    cancel: Option<&crate::exec::CancelHandle>,
) -> Result<Vec<u8>, String> {
    let mut spec = crate::exec::ExecSpec::new(argv.iter().copied(), cwd);
    spec.limits.wall = wall;
    spec.limits.output_bytes = 64 << 20;
    let mut sup = crate::exec::Supervision {
        cancel,
        on_output: None,
    };
    let r = crate::exec::run_supervised(&spec, &mut sup).map_err(|e| e.to_string())?;
    if r.status != crate::exec::Exit::Code(0) {
        return Err(format!(
            "{}: {}",
            r.status,
            String::from_utf8_lossy(&r.stderr).trim()
        ));
    }
    Ok(r.stdout)
}

/// `debugfs` (e2fsprogs), in `/usr/sbin` on Debian.
pub(crate) fn debugfs() -> String {
    ["/usr/sbin/debugfs", "/sbin/debugfs"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map_or_else(|| "debugfs".to_owned(), |p| (*p).to_owned())
}

/// `mkfs.ext4` (e2fsprogs), which lives in `/usr/sbin` on Debian, outside a
/// scrubbed `PATH`.
pub(crate) fn mkfs_ext4() -> String {
    ["/usr/sbin/mkfs.ext4", "/sbin/mkfs.ext4"]
        .iter()
        .find(|p| Path::new(p).is_file())
        .map_or_else(|| "mkfs.ext4".to_owned(), |p| (*p).to_owned())
}
