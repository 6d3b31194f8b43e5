//! Level `firecracker`, launch to exit (issue 5's benchmark): 20 runs of
//! `true` in a fresh microVM each, p50 and p95 of the whole run and of its
//! phases, for the back-end and acceleration this host has (QEMU microvm;
//! TCG here, since `/dev/kvm` is kvm_pvm — see `autonomic muscle doctor`).
//!
//! ```text
//! scripts/build-vm-image.sh
//! cargo bench -p agent-muscle --bench vm
//! ```
//!
//! Phases, from the guest's own clock (`/proc/uptime` in its frames) and the
//! host's wall clock: `guest ready` = kernel boot + agent set-up (modules,
//! disks, overlay), `ready → start`, `start → end` (the task), and `host
//! overhead` = the rest of the wall time (disk images, VMM start, firmware,
//! loading the kernel, VM teardown). On a host with hardware KVM the same
//! command measures the KVM figures (`accel` in the output says which).

use std::path::Path;
use std::time::Duration;

use agent_muscle::exec::{run, ExecSpec, Exit, Isolation};
use agent_muscle::vm::VmConfig;

const RUNS: usize = 20;

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vm-home/data");
    let vm = VmConfig::new(&dir.join("vmlinux.bin"), &dir.join("rootfs.ext4"));
    assert!(
        vm.kernel.is_file() && vm.initrd.is_file() && vm.rootfs.is_file(),
        "no guest image under {}: run scripts/build-vm-image.sh",
        dir.display()
    );
    let ws = tempfile::tempdir().expect("workspace");
    let mut spec = ExecSpec::new(["true"], ws.path());
    spec.isolation = Isolation::micro_vm(vm);
    spec.limits.wall = Duration::from_secs(120);

    let mut total = Vec::new();
    let mut ready = Vec::new();
    let mut to_start = Vec::new();
    let mut task = Vec::new();
    let mut host = Vec::new();
    let mut accel = String::new();
    for i in 0..RUNS {
        let r = run(&spec).unwrap_or_else(|e| panic!("run {i}: {e}"));
        assert_eq!(r.status, Exit::Code(0), "run {i}");
        let info = r.vm.expect("vm info");
        accel = format!("{} / {}", info.backend, info.accel);
        let ms = |d: Option<Duration>| d.expect("phase").as_secs_f64() * 1000.0;
        let wall = r.wall.as_secs_f64() * 1000.0;
        total.push(wall);
        ready.push(ms(info.guest_ready));
        to_start.push(ms(info.guest_start) - ms(info.guest_ready));
        task.push(ms(info.guest_end) - ms(info.guest_start));
        host.push(wall - ms(info.guest_end));
    }
    println!("vm bench: {RUNS} runs of `true`, {accel}");
    for (name, v) in [
        ("launch to exit (wall)", &mut total),
        ("guest ready (boot + agent)", &mut ready),
        ("ready -> task start", &mut to_start),
        ("task start -> end", &mut task),
        ("host overhead", &mut host),
    ] {
        v.sort_by(f64::total_cmp);
        println!(
            "  {name:28} p50 {:8.1} ms   p95 {:8.1} ms",
            pct(v, 0.5),
            pct(v, 0.95)
        );
    }
}
