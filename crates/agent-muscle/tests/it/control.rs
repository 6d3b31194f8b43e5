//! Steering a run from another thread ([`RunControl`]): a cancel handle
//! stops the task and its whole tree (at `firecracker`, the VMM and its
//! jail), and the output arrives while the task still runs.

use std::path::Path;
use std::sync::mpsc::{self, Receiver};
use std::thread;
use std::time::{Duration, Instant};

use agent_muscle::exec::{
    run_with, CancelHandle, ExecResult, ExecSpec, Isolation, OutputChunk, RunControl, Stream,
    Violation,
};
use autonomic_core::SandboxLevel;

use super::seccomp::{isolation, pids_running, text};

/// How long a cancelled run may take to come back.
const QUICKLY: Duration = Duration::from_secs(5);

/// Waits until `done` holds, for at most `limit`.
fn wait_for(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        thread::sleep(Duration::from_millis(20));
    }
}

/// Runs `spec` on another thread under `control`.
fn start(spec: ExecSpec, control: RunControl) -> thread::JoinHandle<ExecResult> {
    thread::spawn(move || {
        run_with(&spec, &control).unwrap_or_else(|e| panic!("{:?}: {e}", spec.argv))
    })
}

/// Every chunk received until the sender is gone, with when it arrived.
fn collect(rx: Receiver<OutputChunk>) -> thread::JoinHandle<Vec<(Instant, OutputChunk)>> {
    thread::spawn(move || rx.iter().map(|c| (Instant::now(), c)).collect())
}

fn joined(chunks: &[(Instant, OutputChunk)], stream: Stream) -> Vec<u8> {
    chunks
        .iter()
        .filter(|(_, c)| c.stream == stream)
        .flat_map(|(_, c)| c.bytes.iter().copied())
        .collect()
}

/// A `sleep 300` and a background one, cancelled from this thread once both
/// run: the run comes back `Cancelled` within seconds and neither sleep is
/// left, at levels `none` and `seccomp`.
#[test]
fn a_cancel_from_another_thread_stops_the_task_and_its_tree() {
    for (level, marker) in [
        (SandboxLevel::None, "300.5117"),
        (SandboxLevel::Seccomp, "300.5119"),
    ] {
        let ws = tempfile::tempdir().unwrap();
        // Through a variable, so that only the sleeps' command lines read
        // `sleep <marker>`, not the shell's.
        let script = format!("s=sleep; $s {marker} & $s {marker}; wait");
        let mut spec = ExecSpec::new(["sh", "-c", &script], ws.path());
        spec.isolation = isolation(level);
        spec.limits.wall = Duration::from_secs(120);
        let cancel = CancelHandle::new();
        let control = RunControl {
            cancel: Some(cancel.clone()),
            ..RunControl::default()
        };
        let running = start(spec, control);
        wait_for(Duration::from_secs(30), "both sleeps", || {
            pids_running(&format!("sleep {marker}")).len() == 2
        });
        let cancelled_at = Instant::now();
        cancel.cancel();
        let r = running.join().unwrap();
        let took = cancelled_at.elapsed();
        assert_eq!(
            r.violation,
            Some(Violation::Cancelled),
            "{level}: {}",
            r.status
        );
        assert!(took < QUICKLY, "{level}: the cancel took {took:?}");
        wait_for(Duration::from_secs(2), "the tree to be gone", || {
            pids_running(&format!("sleep {marker}")).is_empty()
        });
        // Another handle's run is not touched by this one.
        assert!(!CancelHandle::new().is_cancelled());
    }
}

/// A handle cancelled before the run starts kills the task as soon as it
/// is spawned; at `firecracker` no VMM is started at all.
#[test]
fn a_run_under_a_cancelled_handle_ends_at_once() {
    let cancel = CancelHandle::new();
    cancel.cancel();
    let control = RunControl {
        cancel: Some(cancel),
        ..RunControl::default()
    };
    for level in [
        SandboxLevel::None,
        SandboxLevel::Seccomp,
        SandboxLevel::Firecracker,
    ] {
        let ws = tempfile::tempdir().unwrap();
        let mut spec = ExecSpec::new(["sleep", "300.5121"], ws.path());
        spec.isolation = match level {
            SandboxLevel::Firecracker => Isolation::micro_vm(super::vm::config()),
            _ => isolation(level),
        };
        let t = Instant::now();
        let r = run_with(&spec, &control).unwrap();
        assert_eq!(r.violation, Some(Violation::Cancelled), "{level}");
        assert!(t.elapsed() < QUICKLY, "{level}: {:?}", t.elapsed());
        if let Some(vm) = &r.vm {
            assert_eq!(vm.guest_ready, None, "the VM booted");
        }
    }
}

/// A task that prints a line, sleeps 2 s and prints another: the first
/// chunk arrives well before the run ends, and the chunks are exactly what
/// the result captured, at levels `none` and `seccomp`.
#[test]
fn output_is_streamed_as_it_is_produced() {
    for level in [SandboxLevel::None, SandboxLevel::Seccomp] {
        let ws = tempfile::tempdir().unwrap();
        let mut spec = ExecSpec::new(
            [
                "sh",
                "-c",
                "echo first; echo warn >&2; sleep 2; echo second",
            ],
            ws.path(),
        );
        spec.isolation = isolation(level);
        let (tx, rx) = mpsc::channel();
        let chunks = collect(rx);
        let control = RunControl {
            output: Some(tx),
            ..RunControl::default()
        };
        let r = run_with(&spec, &control).unwrap();
        let ended = Instant::now();
        drop(control);
        let chunks = chunks.join().unwrap();
        assert_eq!(text(&r.stdout), "first\nsecond\n", "{level}");
        assert_eq!(joined(&chunks, Stream::Stdout), r.stdout, "{level}");
        assert_eq!(joined(&chunks, Stream::Stderr), r.stderr, "{level}");
        let (first_at, _) = &chunks[0];
        let early = ended.duration_since(*first_at);
        assert!(
            early > Duration::from_millis(1500),
            "{level}: the first chunk came only {early:?} before the end"
        );
    }
}

/// The streamed output stops at the per-stream cap, like the captured one.
#[test]
fn streamed_output_is_capped_like_the_captured_output() {
    let ws = tempfile::tempdir().unwrap();
    let mut spec = ExecSpec::new(["sh", "-c", "head -c 100000 /dev/zero"], ws.path());
    spec.limits.output_bytes = 1000;
    let (tx, rx) = mpsc::channel();
    let control = RunControl {
        output: Some(tx),
        ..RunControl::default()
    };
    let r = run_with(&spec, &control).unwrap();
    drop(control);
    let streamed: Vec<u8> = rx.iter().flat_map(|c| c.bytes).collect();
    assert_eq!(streamed.len(), 1000);
    assert_eq!(streamed, r.stdout);
    assert_eq!(r.violation, Some(Violation::OutputLimit { limit: 1000 }));
}

/// At `firecracker`, under TCG: the guest's output streams as its console
/// frames arrive (two lines 2 s apart reach this thread 2 s apart while
/// the task still runs), and a cancel then ends the run at once and the
/// VMM with it. The VMM is started through a uniquely named link to QEMU,
/// so this test finds its own VMM among those of other tests.
#[test]
fn a_micro_vm_streams_its_output_and_is_cancelled_with_its_vmm() {
    let link_dir = tempfile::Builder::new()
        .prefix("autonomic-control-")
        .tempdir_in("/var/tmp")
        .expect("a directory the VMM's jail can see");
    let qemu = ["/usr/bin/qemu-system-x86_64", "/bin/qemu-system-x86_64"]
        .into_iter()
        .find(|p| Path::new(p).is_file())
        .expect("QEMU (Debian package qemu-system-x86)");
    let link = link_dir.path().join("qemu-system-x86_64");
    std::os::unix::fs::symlink(qemu, &link).unwrap();
    let needle = link.to_str().unwrap().to_owned();

    let ws = tempfile::tempdir().unwrap();
    let mut vm = super::vm::config();
    vm.qemu = link;
    let mut spec = ExecSpec::new(
        ["sh", "-c", "echo first; sleep 2; echo second; sleep 300"],
        ws.path(),
    );
    spec.isolation = Isolation::micro_vm(vm);
    spec.limits.wall = Duration::from_secs(240);
    let (tx, rx) = mpsc::channel();
    let cancel = CancelHandle::new();
    let control = RunControl {
        cancel: Some(cancel.clone()),
        output: Some(tx),
    };
    let running = start(spec, control);
    let mut got: Vec<(Instant, Vec<u8>)> = Vec::new();
    let mut stdout = Vec::new();
    while !stdout.ends_with(b"second\n") {
        let chunk = rx
            .recv_timeout(Duration::from_secs(180))
            .expect("the guest's output while it runs");
        assert_eq!(chunk.stream, Stream::Stdout);
        stdout.extend_from_slice(&chunk.bytes);
        got.push((Instant::now(), chunk.bytes));
    }
    let vmm = pids_running(&needle);
    assert!(!vmm.is_empty(), "no VMM of this test found");
    let first_at = got[0].0;
    let second_at = got.last().expect("chunks").0;
    assert!(
        second_at.duration_since(first_at) > Duration::from_millis(1500),
        "the lines 2 s apart arrived {:?} apart",
        second_at.duration_since(first_at)
    );
    let cancelled_at = Instant::now();
    cancel.cancel();
    let r = running.join().unwrap();
    let took = cancelled_at.elapsed();
    assert_eq!(r.violation, Some(Violation::Cancelled), "{}", r.status);
    assert!(took < QUICKLY, "the cancel took {took:?}");
    assert_eq!(text(&r.stdout), "first\nsecond\n");
    assert_eq!(r.stdout, stdout, "streamed and captured differ");
    wait_for(Duration::from_secs(5), "the VMM to be gone", || {
        pids_running(&needle).is_empty()
    });
}
