//! `autonomic muscle …`: the microVM guest image and what this host can do.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use agent_muscle::vm::{self, image, Accel};
use anyhow::Context as _;
use autonomic_cli::args::parse_size;

use crate::Context;

/// `muscle` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum MuscleCommand {
    /// The microVM guest image (kernel, initramfs, root filesystem).
    #[command(subcommand)]
    Image(ImageCommand),
    /// What this host can do: sandbox levels, Landlock, KVM or only TCG, and
    /// whether the guest image is in place.
    Doctor {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `muscle image` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ImageCommand {
    /// Build the guest image at `[muscle] firecracker_kernel` and
    /// `firecracker_rootfs` (the initramfs and image.json next to the kernel)
    /// from Debian packages (apt-get download; nothing is installed) and the
    /// static guest agent. Idempotent: does nothing when the inputs and the
    /// files' checksums match image.json.
    Build {
        /// The statically linked guest agent (`scripts/build-guest.sh` builds
        /// it and prints its path).
        #[arg(long, value_name = "PATH")]
        guest_agent: PathBuf,
        /// Kernel package (default: what `linux-image-amd64` depends on).
        #[arg(long, value_name = "PKG")]
        kernel_package: Option<String>,
        /// Size of the root filesystem image.
        #[arg(long, value_parser = parse_size, default_value = "64M", value_name = "SIZE")]
        rootfs_size: u64,
        /// Where downloaded packages are kept (default: <data>/vm-cache).
        #[arg(long, value_name = "DIR")]
        cache: Option<PathBuf>,
        /// Debian packages (with their dependencies) to add to the root
        /// filesystem, e.g. `git,curl` (unpacked with dpkg-deb: no maintainer
        /// scripts run).
        #[arg(long, value_delimiter = ',', value_name = "PKG,...")]
        packages: Vec<String>,
    },
}

/// Runs a `muscle` subcommand.
pub fn run(cmd: &MuscleCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    let muscle = &ctx.config.config.muscle;
    match cmd {
        MuscleCommand::Image(ImageCommand::Build {
            guest_agent,
            kernel_package,
            rootfs_size,
            cache,
            packages,
        }) => {
            let spec = image::ImageSpec {
                kernel: muscle.firecracker_kernel.clone(),
                rootfs: muscle.firecracker_rootfs.clone(),
                guest_agent: guest_agent.clone(),
                cache: cache
                    .clone()
                    .unwrap_or_else(|| ctx.paths.data_dir.join("vm-cache")),
                kernel_package: kernel_package.clone(),
                rootfs_mib: rootfs_size / (1 << 20),
                packages: packages.clone(),
            };
            let report = image::build(&spec, &mut |step| eprintln!("image: {step}"))
                .context("building the microVM guest image")?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} ({}; modules: {})",
                if report.built { "built" } else { "up to date" },
                report.manifest.kernel_package,
                report.manifest.modules.join(" ")
            )?;
            for f in &report.manifest.files {
                writeln!(out, "{}  {}  {} bytes", f.sha256, f.path.display(), f.bytes)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        MuscleCommand::Doctor { json } => doctor(ctx, *json),
    }
}

fn doctor(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let muscle = &ctx.config.config.muscle;
    let accel = vm::detect_accel();
    let landlock = agent_muscle::jail::landlock_abi();
    let which = |name: &str| -> Option<PathBuf> {
        let path = autonomic_core::env::path_var()?;
        std::env::split_paths(&path)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    };
    let qemu = which("qemu-system-x86_64");
    let firecracker = which("firecracker");
    let cfg = vm::VmConfig::new(&muscle.firecracker_kernel, &muscle.firecracker_rootfs);
    let image_files = [
        ("kernel", &cfg.kernel),
        ("initramfs", &cfg.initrd),
        ("rootfs", &cfg.rootfs),
    ];
    let image_ok = image_files.iter().all(|(_, p)| p.is_file());
    let root = agent_muscle::host::caller_is_root();
    let checks = agent_muscle::host::checks(root);
    let probe = probe_seccomp(ctx);
    if json {
        let v = serde_json::json!({
            "levels": {
                "none": true,
                "seccomp": {
                    "landlock_abi": landlock,
                    "probe": match &probe { Ok(()) => serde_json::json!({"ok": true}), Err(e) => serde_json::json!({"ok": false, "error": e}) },
                    "checks": checks,
                },
                "firecracker": {
                    "backend": if qemu.is_some() { "qemu-microvm" } else { "none" },
                    "qemu": qemu,
                    "firecracker_binary": firecracker,
                    "accel": accel,
                    "image": image_files.iter().map(|(k, p)| (k.to_string(), serde_json::json!({"path": p, "present": p.is_file()}))).collect::<serde_json::Map<_, _>>(),
                },
            },
        });
        writeln!(std::io::stdout(), "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "level none: available")?;
    match &probe {
        Ok(()) => writeln!(
            out,
            "level seccomp: available (a probe task ran in the jail)"
        )?,
        Err(e) => writeln!(out, "level seccomp: NOT available — {e}")?,
    }
    for c in &checks {
        let mark = if c.ok { "ok" } else { "MISSING" };
        writeln!(out, "  {}: {mark} — {}", c.name, c.detail)?;
        if let Some(fix) = &c.fix {
            writeln!(out, "    to enable: {fix}")?;
        }
    }
    if root {
        writeln!(
            out,
            "  identity: you are root, so tasks run as the unprivileged host id {:#x} (idmapped workspace)",
            agent_muscle::jail::TASK_HOST_ID
        )?;
    }
    writeln!(out, "level firecracker:")?;
    match &qemu {
        Some(q) => writeln!(out, "  back-end: QEMU microvm ({})", q.display())?,
        None => writeln!(
            out,
            "  back-end: no QEMU — install Debian's qemu-system-x86"
        )?,
    }
    match &firecracker {
        Some(f) if matches!(accel, Accel::Kvm) => writeln!(
            out,
            "  firecracker binary: {} (used: KVM is real)",
            f.display()
        )?,
        Some(f) => writeln!(
            out,
            "  firecracker binary: {} (not usable without KVM; QEMU is used)",
            f.display()
        )?,
        None => writeln!(out, "  firecracker binary: not found (QEMU is used)")?,
    }
    match &accel {
        Accel::Kvm => writeln!(out, "  acceleration: KVM (hardware virtualization)")?,
        Accel::Tcg { why } => writeln!(
            out,
            "  acceleration: TCG software emulation — {why}; expect seconds per run, not milliseconds"
        )?,
    }
    for (what, path) in image_files {
        writeln!(
            out,
            "  {what}: {} ({})",
            path.display(),
            if path.is_file() { "present" } else { "missing" }
        )?;
    }
    if !image_ok {
        writeln!(
            out,
            "  run `autonomic muscle image build --guest-agent \"$(scripts/build-guest.sh)\"` to build the image"
        )?;
    }
    Ok(if probe.is_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Runs `true` at the seccomp level in a scratch workspace: the only proof
/// the level works on this host.
fn probe_seccomp(ctx: &Context) -> Result<(), String> {
    let ws = std::env::temp_dir().join(format!("autonomic-doctor-{}", std::process::id()));
    fs_err::create_dir_all(&ws).map_err(|e| e.to_string())?;
    let result = (|| {
        let argv = vec!["true".to_owned()];
        let resolved = agent_spine::profiles::resolve(&ctx.paths, &argv, None, false)
            .map_err(|e| e.to_string())?;
        let mut spec = agent_muscle::exec::ExecSpec::new(argv, &ws);
        spec.isolation = agent_muscle::exec::Isolation::seccomp(resolved.policy);
        let r = agent_muscle::exec::run(&spec).map_err(|e| e.to_string())?;
        if r.success() {
            Ok(())
        } else {
            Err(format!("the probe task {}", r.status))
        }
    })();
    let _ = fs_err::remove_dir_all(&ws);
    result
}
