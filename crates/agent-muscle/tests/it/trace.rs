//! Recording syscalls under ptrace, against real processes.

use std::path::Path;
use std::time::{Duration, Instant};

use agent_muscle::exec::Exit;
use agent_muscle::trace::{record_syscalls, SyscallTrace, TraceError, TraceSpec};

fn trace(argv: &[&str], ws: &Path) -> SyscallTrace {
    let mut spec = TraceSpec::new(argv.iter().copied(), ws);
    spec.timeout = Duration::from_secs(30);
    record_syscalls(&spec).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}

fn signal(number: i32) -> Exit {
    Exit::Signal {
        number,
        name: agent_muscle::exec::signal_name(number),
    }
}

fn python(script: &str, ws: &Path) -> SyscallTrace {
    trace(&["/usr/bin/python3", "-c", script], ws)
}

#[test]
fn bin_true_starts_maps_and_exits() {
    let ws = tempfile::tempdir().unwrap();
    let t = trace(&["/bin/true"], ws.path());
    assert_eq!(t.status, Exit::Code(0));
    assert!(!t.timed_out);
    assert_eq!(t.tasks, 1);
    let names = t.names();
    for s in ["execve", "exit_group", "brk", "mmap"] {
        assert!(names.contains_key(s), "{s} missing from {names:?}");
    }
    assert_eq!(names["execve"], 1);
    assert!(t.unknown_numbers().is_empty(), "{:?}", t.unknown_numbers());
    assert_eq!(t.other_abi_calls, 0);
    // Ordinary tools make a few dozen distinct calls, not hundreds.
    assert!(names.len() < 40, "{names:?}");
}

#[test]
fn a_forked_child_is_traced_too() {
    let ws = tempfile::tempdir().unwrap();
    // The parent never calls getppid/getpgid/getsid; only the child does.
    let t = python(
        "import os\n\
         pid = os.fork()\n\
         if pid == 0:\n    os.getppid(); os.getpgid(0); os.getsid(0)\n    os._exit(3)\n\
         _, st = os.waitpid(pid, 0)\n\
         raise SystemExit(os.waitstatus_to_exitcode(st) + 10)\n",
        ws.path(),
    );
    // The child's exit code reached the parent, so it ran normally.
    assert_eq!(t.status, Exit::Code(13));
    assert!(t.tasks >= 2, "{}", t.tasks);
    let names = t.names();
    for s in ["getppid", "getpgid", "getsid", "wait4"] {
        assert!(names.contains_key(s), "{s} missing from {names:?}");
    }
    // Control: without the fork, python makes none of the child's calls.
    let plain = python("import os\n", ws.path());
    let names = plain.names();
    for s in ["getppid", "getpgid", "getsid"] {
        assert!(!names.contains_key(s), "{s} in {names:?}");
    }
}

#[test]
fn threads_and_exec_in_children_are_followed() {
    let ws = tempfile::tempdir().unwrap();
    let t = python(
        "import os, threading, subprocess\n\
         t = threading.Thread(target=lambda: os.sched_getaffinity(0)); t.start(); t.join()\n\
         subprocess.run(['/bin/sh', '-c', 'umask > /dev/null'], check=True)\n",
        ws.path(),
    );
    assert_eq!(t.status, Exit::Code(0));
    assert!(t.tasks >= 3, "{}", t.tasks);
    let names = t.names();
    for s in ["sched_getaffinity", "umask"] {
        assert!(names.contains_key(s), "{s} missing from {names:?}");
    }
    assert!(names["execve"] >= 2, "{names:?}");
}

#[test]
fn socket_domains_are_recorded() {
    let ws = tempfile::tempdir().unwrap();
    let t = python(
        "import socket\nsocket.socket(socket.AF_INET6, socket.SOCK_DGRAM).close()\n",
        ws.path(),
    );
    assert_eq!(t.status, Exit::Code(0));
    assert!(
        t.socket_domains.contains(&libc::AF_INET6),
        "{:?}",
        t.socket_domains
    );
    assert!(t.names().contains_key("socket"));
}

#[test]
fn signals_reach_the_traced_command() {
    let ws = tempfile::tempdir().unwrap();
    let t = trace(&["sh", "-c", "kill -TERM $$"], ws.path());
    assert_eq!(t.status, signal(libc::SIGTERM));
    let t = trace(
        &["sh", "-c", "trap 'exit 7' USR1; kill -USR1 $$; exit 1"],
        ws.path(),
    );
    assert_eq!(t.status, Exit::Code(7));
    // A job-control stop does not hang the trace.
    let t = trace(&["sh", "-c", "kill -STOP $$; exit 4"], ws.path());
    assert_eq!(t.status, Exit::Code(4));
}

#[test]
fn the_wall_clock_limit_kills_the_tree() {
    let ws = tempfile::tempdir().unwrap();
    let mut spec = TraceSpec::new(["sh", "-c", "sleep 30 & sleep 30; wait"], ws.path());
    spec.timeout = Duration::from_millis(300);
    let start = Instant::now();
    let t = record_syscalls(&spec).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "{:?}",
        start.elapsed()
    );
    assert!(t.timed_out);
    assert_eq!(t.status, signal(libc::SIGKILL));
    assert!(t.names().contains_key("execve"));
}

#[test]
fn nothing_outlives_the_root_process() {
    let ws = tempfile::tempdir().unwrap();
    let marker = ws.path().join("survived");
    // A double fork into a new session, which outlives its parent...
    let script = format!(
        "(setsid sh -c 'sleep 1; touch {}' &); exit 0",
        marker.display()
    );
    let start = Instant::now();
    let t = trace(&["sh", "-c", &script], ws.path());
    assert_eq!(t.status, Exit::Code(0));
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    // ...is killed when the root ends.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!marker.exists(), "a traced descendant survived the trace");
}

#[test]
fn bad_input_is_refused() {
    let ws = tempfile::tempdir().unwrap();
    let empty: [&str; 0] = [];
    let err = record_syscalls(&TraceSpec::new(empty, ws.path())).unwrap_err();
    assert!(matches!(err, TraceError::EmptyArgv), "{err}");
    let err = record_syscalls(&TraceSpec::new(["no-such-program-x"], ws.path())).unwrap_err();
    assert!(matches!(err, TraceError::Spawn { .. }), "{err}");
    assert!(err.to_string().contains("no-such-program-x"), "{err}");
    let err = record_syscalls(&TraceSpec::new(["true"], ws.path().join("missing"))).unwrap_err();
    assert!(matches!(err, TraceError::MissingWorkspace { .. }), "{err}");
    let mut spec = TraceSpec::new(["true"], ws.path());
    spec.timeout = Duration::ZERO;
    assert!(matches!(
        record_syscalls(&spec),
        Err(TraceError::ZeroTimeout)
    ));
}

#[test]
fn clone_untraced_does_not_escape_the_trace() {
    let ws = tempfile::tempdir().unwrap();
    // strace -f misses this child's calls: CLONE_UNTRACED overrides
    // PTRACE_O_TRACEFORK. clone3 is answered ENOSYS, as in the sandbox.
    let t = python(
        "import ctypes, os\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         pid = libc.syscall(56, 0x00800000 | 17, 0, 0, 0, 0)\n\
         if pid == 0:\n    os.sched_getscheduler(0)\n    os._exit(5)\n\
         _, st = os.waitpid(pid, 0)\n\
         assert libc.syscall(435, 0, 0) == -1 and ctypes.get_errno() == 38\n\
         raise SystemExit(os.waitstatus_to_exitcode(st))\n",
        ws.path(),
    );
    assert_eq!(t.status, Exit::Code(5));
    assert!(t.tasks >= 2, "{}", t.tasks);
    let names = t.names();
    assert!(names.contains_key("sched_getscheduler"), "{names:?}");
    assert!(names.contains_key("clone3"), "{names:?}");
}
