//! Level `firecracker` on real microVMs (QEMU `microvm`; under TCG on these
//! machines, a few seconds per run, so the cases are few). The guest image
//! is built once per CI run by `scripts/build-vm-image.sh` under
//! `target/vm-home`; without it these tests fail and say how to build it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_muscle::exec::egress::HostRule;
use agent_muscle::exec::{
    run, ExecError, ExecResult, ExecSpec, Exit, Isolation, Network, Violation,
};
use agent_muscle::vm::{Accel, VmConfig};
use sha2::{Digest as _, Sha256};

fn image_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vm-home/data")
}

pub(crate) fn config() -> VmConfig {
    let dir = image_dir();
    let cfg = VmConfig::new(&dir.join("vmlinux.bin"), &dir.join("rootfs.ext4"));
    for f in [&cfg.kernel, &cfg.initrd, &cfg.rootfs] {
        assert!(
            f.is_file(),
            "the guest image is missing ({}): run scripts/build-vm-image.sh",
            f.display()
        );
    }
    cfg
}

fn spec(script: &str, ws: &Path) -> ExecSpec {
    let mut spec = ExecSpec::new(["sh", "-c", script], ws);
    spec.isolation = Isolation::micro_vm(config());
    spec.limits.wall = Duration::from_secs(120);
    spec
}

fn go(spec: &ExecSpec) -> ExecResult {
    run(spec).unwrap_or_else(|e| panic!("{:?}: {e}", spec.argv))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn sha256(path: &Path) -> String {
    let data = fs_err::read(path).expect("read the image");
    Sha256::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn output_and_exit_code_come_back_from_the_guest() {
    let ws = tempfile::tempdir().expect("workspace");
    fs_err::write(ws.path().join("input.txt"), "from the host\n").expect("write");
    let r = go(&spec(
        "cat input.txt; echo to-stderr >&2; uname -s; exit 3",
        ws.path(),
    ));
    assert_eq!(r.status, Exit::Code(3), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "from the host\nLinux\n");
    assert_eq!(text(&r.stderr), "to-stderr\n");
    let vm = r.vm.expect("vm info");
    assert!(
        matches!(vm.accel, Accel::Tcg { .. }),
        "these machines have no real KVM: {:?}",
        vm.accel
    );
    assert!(vm.guest_ready.is_some() && vm.guest_start >= vm.guest_ready);
}

#[test]
fn writes_to_the_root_are_gone_on_the_next_boot_and_the_image_is_unchanged() {
    let before = sha256(&config().rootfs);
    let ws = tempfile::tempdir().expect("workspace");
    let r = go(&spec(
        "echo planted > /etc/planted && echo x > /planted && cat /etc/planted",
        ws.path(),
    ));
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "planted\n");
    let r = go(&spec(
        "test ! -e /etc/planted && test ! -e /planted && echo clean",
        ws.path(),
    ));
    assert_eq!(text(&r.stdout), "clean\n", "{}", text(&r.stderr));
    assert_eq!(sha256(&config().rootfs), before, "the root image changed");
}

#[test]
fn only_loopback_and_no_virtio_net_device() {
    let ws = tempfile::tempdir().expect("workspace");
    // virtio device id 1 is a network card.
    let r = go(&spec(
        "ls /sys/class/net; cat /sys/bus/virtio/devices/*/device",
        ws.path(),
    ));
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("lo"), "{out}");
    let ids: Vec<&str> = lines.collect();
    assert_eq!(ids.len(), 3, "root, task and workspace disks: {out}");
    assert!(
        ids.iter().all(|id| *id == "0x0002"),
        "only block devices: {out}"
    );
}

#[test]
fn nproc_and_memory_follow_the_config() {
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec(
        "nproc; awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo",
        ws.path(),
    );
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.vcpus = 2;
        vm.memory_mib = 256;
    }
    let r = go(&s);
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("2"), "{out}");
    let mib: u64 = lines.next().and_then(|l| l.parse().ok()).expect("MemTotal");
    assert!(
        (150..=256).contains(&mib),
        "MemTotal {mib} MiB for a 256 MiB guest"
    );
}

#[test]
fn allocating_past_the_guest_memory_fails_inside_the_guest() {
    let ws = tempfile::tempdir().expect("workspace");
    // 400 MB of tmpfs pages (its size limit set above the RAM) in a 256
    // MiB guest: the guest runs out of memory, the host does not notice.
    let mut s = spec(
        "dd if=/dev/zero of=/tmp/fill bs=1M count=400 2>/dev/null && echo complete",
        ws.path(),
    );
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.memory_mib = 256;
        vm.scratch_mib = 1024;
    }
    let r = go(&s);
    assert!(!text(&r.stdout).contains("complete"), "{}", text(&r.stdout));
    assert_ne!(r.status, Exit::Code(0));
}

#[test]
fn the_timeout_kills_a_vm_that_sleeps_forever() {
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec("sleep 100000", ws.path());
    s.limits.wall = Duration::from_secs(20);
    let r = go(&s);
    assert!(
        matches!(r.violation, Some(Violation::WallTimeout { .. })),
        "{:?}",
        r.violation
    );
    assert!(r.wall < Duration::from_secs(30), "{:?}", r.wall);
}

#[test]
fn a_disk_fill_ends_in_the_guest() {
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec("dd if=/dev/zero of=/fill bs=1M count=400", ws.path());
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.scratch_mib = 32;
    }
    let r = go(&s);
    assert_ne!(r.status, Exit::Code(0));
    assert!(
        text(&r.stderr).contains("No space left on device"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn a_missing_image_or_a_panicking_guest_is_a_clear_error() {
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec("true", ws.path());
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.kernel = PathBuf::from("/nonexistent/vmlinux.bin");
    }
    let err = run(&s).expect_err("no kernel");
    assert!(err.to_string().contains("image build"), "{err}");

    // An initramfs without /init: the guest kernel panics.
    let bad = tempfile::NamedTempFile::new().expect("temp file");
    fs_err::write(bad.path(), b"not a cpio archive").expect("write");
    let mut s = spec("true", ws.path());
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.initrd = bad.path().to_path_buf();
    }
    match run(&s) {
        Err(ExecError::Guest { reason }) => {
            assert!(
                reason.contains("without the task's exit status"),
                "{reason}"
            );
        }
        other => panic!("expected a guest failure, got {other:?}"),
    }
}

#[test]
fn a_fork_bomb_ends_the_vm_not_the_host() {
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec("b() { b | b & }; b; sleep 1000", ws.path());
    s.limits.wall = Duration::from_secs(25);
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.memory_mib = 128;
    }
    let r = go(&s);
    // However the guest copes (OOM kills, the wall clock), the run ends,
    // reported, within the limit.
    assert!(r.wall < Duration::from_secs(40), "{:?}", r.wall);
    assert_ne!(r.status, Exit::Code(0));
}

#[test]
fn the_vmm_runs_inside_the_jail() {
    // Seen from the host while a VM runs: the QEMU process is in other user,
    // PID and network namespaces than this test, and under a seccomp filter.
    let ws = tempfile::tempdir().expect("workspace");
    let s = spec("sleep 6", ws.path());
    let handle = std::thread::spawn(move || go(&s));
    let me = fs_err::read_link("/proc/self/ns/pid").expect("own pid ns");
    let mut seen = None;
    for _ in 0..100 {
        std::thread::sleep(Duration::from_millis(100));
        let Ok(dir) = fs_err::read_dir("/proc") else {
            continue;
        };
        for e in dir.flatten() {
            let comm = fs_err::read_to_string(e.path().join("comm")).unwrap_or_default();
            if comm.trim() != "qemu-system-x86" {
                continue;
            }
            let status = fs_err::read_to_string(e.path().join("status")).unwrap_or_default();
            let ns = std::fs::read_link(e.path().join("ns/pid")).ok();
            seen = Some((status, ns));
        }
        if seen.is_some() {
            break;
        }
    }
    let r = handle.join().expect("the run");
    assert_eq!(r.status, Exit::Code(0));
    let (status, ns) = seen.expect("a qemu-system-x86 process while the VM ran");
    assert_ne!(
        ns.as_deref(),
        Some(me.as_path()),
        "QEMU is in its own PID namespace"
    );
    let seccomp = status
        .lines()
        .find(|l| l.starts_with("Seccomp:"))
        .unwrap_or_default()
        .to_owned();
    assert!(seccomp.ends_with('2'), "filter mode: {seccomp}");
    assert!(status.contains("NoNewPrivs:\t1"), "{status}");
}

#[test]
fn only_the_asked_for_results_are_handed_out_and_never_through_a_symlink() {
    let ws = tempfile::tempdir().expect("workspace");
    let outside = tempfile::tempdir().expect("outside");
    let victim = outside.path().join("victim");
    fs_err::write(&victim, "untouched\n").expect("write");
    // A host symlink where the guest will write a result: the result must
    // replace the link, not write through it.
    fs_err::create_dir(ws.path().join("out")).expect("mkdir");
    std::os::unix::fs::symlink(&victim, ws.path().join("out/result.txt")).expect("symlink");
    let mut s = spec(
        "rm -f out/result.txt && mkdir -p out/sub && echo result > out/result.txt \
         && echo nested > out/sub/n.txt \
         && ln -s /etc/passwd out/evil && echo other > other.txt",
        ws.path(),
    );
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.hand_out = vec![PathBuf::from("out")];
    }
    let r = go(&s);
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    let out = ws.path().join("out");
    assert_eq!(
        fs_err::read_to_string(out.join("result.txt")).expect("handed out"),
        "result\n"
    );
    assert!(!fs_err::symlink_metadata(out.join("result.txt"))
        .expect("stat")
        .file_type()
        .is_symlink());
    assert_eq!(
        fs_err::read_to_string(&victim).expect("victim"),
        "untouched\n"
    );
    assert_eq!(
        fs_err::read_to_string(out.join("sub/n.txt")).expect("nested"),
        "nested\n"
    );
    assert!(
        fs_err::symlink_metadata(out.join("evil")).is_err(),
        "no symlink handed out"
    );
    assert!(
        !ws.path().join("other.txt").exists(),
        "not asked for: discarded"
    );

    let mut bad = spec("true", ws.path());
    if let Isolation::MicroVm { vm } = &mut bad.isolation {
        vm.hand_out = vec![PathBuf::from("../escape")];
    }
    let err = run(&bad).expect_err("a path outside the workspace");
    assert!(err.to_string().contains("plain relative path"), "{err}");
}

#[test]
fn the_firecracker_back_end_runs_where_it_can_and_says_why_where_it_cannot() {
    use agent_muscle::vm::{detect_accel, Backend};
    let ws = tempfile::tempdir().expect("workspace");
    let mut s = spec("echo from-firecracker", ws.path());
    if let Isolation::MicroVm { vm } = &mut s.isolation {
        vm.backend = Some(Backend::Firecracker);
    }
    let on_path = autonomic_core::env::path_var()
        .map(|p| std::env::split_paths(&p).any(|d| d.join("firecracker").is_file()))
        .unwrap_or(false);
    match (on_path, detect_accel()) {
        (true, Accel::Kvm) => {
            // A host that can: the real thing (not these machines).
            let r = go(&s);
            assert_eq!(text(&r.stdout), "from-firecracker\n");
            assert_eq!(r.vm.map(|v| v.backend), Some(Backend::Firecracker));
        }
        (false, _) => {
            let err = run(&s).expect_err("no binary");
            assert!(err.to_string().contains("no `firecracker` binary"), "{err}");
        }
        (true, Accel::Tcg { .. }) => {
            let err = run(&s).expect_err("no KVM");
            assert!(err.to_string().contains("needs hardware KVM"), "{err}");
        }
    }
    // Asked for nothing in particular, this host's choice runs.
    let r = go(&spec("echo auto", ws.path()));
    assert_eq!(text(&r.stdout), "auto\n");
}

#[test]
fn a_network_grant_reaches_only_what_it_names_through_the_proxy() {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let server = |body: &'static str| {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listen");
        let port = listener.local_addr().expect("addr").port();
        let hits = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&hits);
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut buf = [0u8; 2048];
                let _ = conn.read(&mut buf);
                let _ = write!(
                    conn,
                    "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        (port, hits)
    };
    let (granted, granted_hits) = server("hello-host");
    let (other, other_hits) = server("must-not-see");
    let ws = tempfile::tempdir().expect("workspace");
    // The guest's tools find the proxy through http_proxy (10.0.2.100); the
    // host's loopback (10.0.2.2 in QEMU's user networking) is unreachable.
    let mut s = spec(
        &format!(
            "ls /sys/class/net; echo \"proxy=$http_proxy\"; \
             wget -q -O - http://127.0.0.1:{granted}/; echo; \
             wget -q -O - http://127.0.0.1:{other}/ || echo other-refused; \
             echo x | nc -w 3 10.0.2.2 {other} || echo direct-refused; true"
        ),
        ws.path(),
    );
    s.network = Network::Proxied(vec![
        HostRule::parse(&format!("127.0.0.1:{granted}")).expect("rule")
    ]);
    let r = go(&s);
    let out = text(&r.stdout);
    assert_eq!(r.status, Exit::Code(0), "{out}\n{}", text(&r.stderr));
    assert!(out.starts_with("eth0\nlo\n"), "{out}");
    assert!(out.contains("proxy=http://10.0.2.100:3128"), "{out}");
    assert!(out.contains("hello-host"), "{out}\n{}", text(&r.stderr));
    assert!(out.contains("other-refused"), "{out}");
    assert!(!out.contains("must-not-see"), "{out}");
    assert_eq!(
        other_hits.load(Ordering::SeqCst),
        0,
        "an ungranted host server was reached"
    );
    assert!(granted_hits.load(Ordering::SeqCst) >= 1);
    assert!(
        r.egress.iter().any(|e| !e.allowed && e.port == other),
        "{:?}",
        r.egress
    );
}
