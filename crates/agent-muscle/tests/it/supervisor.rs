//! The jail's supervisor (PID 1 with the seccomp listener) and the parts of
//! the view added with it: every denial names the syscall and why, the whole
//! sandbox dies with it, a SIGSYS handler does not save a process, metadata
//! calls on masks are not violations, and the namespace, `/sys` and `/tmp`
//! look the way the jail's docs say.

use std::path::Path;
use std::time::Duration;

use agent_muscle::exec::{run, ExecResult, ExecSpec, Exit, Isolation, SeccompOptions, Violation};

use super::seccomp::{assert_sigsys, assert_sigsys_status, jailed, plain, test_policy, text};

const PYTHON: &str = "/usr/bin/python3";

fn workspace() -> tempfile::TempDir {
    tempfile::tempdir().expect("a temporary workspace")
}

fn spec(argv: &[&str], ws: &Path) -> ExecSpec {
    spec_with(argv, ws, SeccompOptions::default())
}

fn spec_with(argv: &[&str], ws: &Path, options: SeccompOptions) -> ExecSpec {
    let mut spec = ExecSpec::new(argv.iter().copied(), ws);
    spec.isolation = Isolation::Seccomp {
        policy: test_policy(),
        options,
    };
    spec.limits.wall = Duration::from_secs(20);
    spec
}

fn go(spec: &ExecSpec) -> ExecResult {
    run(spec).unwrap_or_else(|e| panic!("{:?}: {e}", spec.argv))
}

fn syscall_violation(r: &ExecResult) -> (i64, String, String) {
    match &r.violation {
        Some(Violation::Syscall {
            number,
            name,
            reason,
        }) => (*number, name.clone(), reason.clone()),
        other => panic!("expected a syscall violation, got {other:?}"),
    }
}

#[test]
fn a_denied_syscall_is_named_with_its_number_and_reason() {
    let ws = workspace();
    let script = "import ctypes; ctypes.CDLL(None).syscall(101, 0, 0, 0, 0)"; // ptrace
    let r = jailed(&[PYTHON, "-c", script], ws.path());
    assert_sigsys(&r, "ptrace");
    let (number, name, reason) = syscall_violation(&r);
    assert_eq!((number, name.as_str()), (101, "ptrace"));
    assert!(reason.contains("never allowed"), "{reason}");
    let shown = r
        .violation
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        shown.contains("`ptrace` (system call 101)"),
        "the message a person reads: {shown}"
    );
}

#[test]
fn a_network_socket_without_a_grant_says_so() {
    let ws = workspace();
    let script = "import ctypes; ctypes.CDLL(None).socket(2, 1, 0)"; // AF_INET, SOCK_STREAM
    let r = jailed(&[PYTHON, "-c", script], ws.path());
    assert_sigsys(&r, "AF_INET socket");
    let (number, name, reason) = syscall_violation(&r);
    assert_eq!((number, name.as_str()), (41, "socket"));
    assert!(
        reason.contains("AF_INET") && reason.contains("no network grant"),
        "{reason}"
    );
}

#[test]
fn a_syscall_outside_the_profile_says_so() {
    let ws = workspace();
    // mlock (149) is outside the test policy.
    let script = "import ctypes; ctypes.CDLL(None).syscall(149, 0, 0)";
    let r = jailed(&[PYTHON, "-c", script], ws.path());
    assert_sigsys(&r, "mlock");
    let (number, name, reason) = syscall_violation(&r);
    assert_eq!((number, name.as_str()), (149, "mlock"));
    assert!(
        reason.contains("not in the task's syscall profile"),
        "{reason}"
    );
    assert_eq!(
        plain(&[PYTHON, "-c", script], ws.path()).status,
        Exit::Code(0),
        "harmless at level none"
    );
}

#[test]
fn a_denial_in_a_child_ends_the_whole_task() {
    let ws = workspace();
    // The shell outlives its child's denial only if the sandbox lets it.
    let script = format!(
        "{PYTHON} -c 'import ctypes; ctypes.CDLL(None).syscall(101, 0, 0, 0, 0)'; echo survived"
    );
    let r = jailed(&["sh", "-c", &script], ws.path());
    assert_sigsys(&r, "ptrace from a child");
    assert!(!text(&r.stdout).contains("survived"), "{}", text(&r.stdout));
    let r = plain(&["sh", "-c", &script], ws.path());
    assert!(text(&r.stdout).contains("survived"), "at level none");
}

#[test]
fn a_sigsys_handler_does_not_save_the_process() {
    let ws = workspace();
    let script = "import ctypes, signal, time\n\
                  signal.signal(signal.SIGSYS, lambda *a: print('caught', flush=True))\n\
                  ctypes.CDLL(None).syscall(101, 0, 0, 0, 0)\n\
                  time.sleep(5)\n\
                  print('survived', flush=True)\n";
    let r = jailed(&[PYTHON, "-c", script], ws.path());
    assert!(
        matches!(r.status, Exit::Signal { number, .. } if number == libc::SIGKILL || number == libc::SIGSYS),
        "{}",
        r.status
    );
    assert!(!text(&r.stdout).contains("survived"), "{}", text(&r.stdout));
    assert!(
        r.wall < Duration::from_secs(4),
        "killed after the grace, not the sleep"
    );
    assert_eq!(syscall_violation(&r).1, "ptrace");
}

#[test]
fn listing_and_stat_of_masked_paths_are_not_violations() {
    let ws = workspace();
    let r = jailed(
        &[
            "sh",
            "-c",
            "ls -la /etc >/dev/null && stat /etc/shadow >/dev/null && echo ok",
        ],
        ws.path(),
    );
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "ok\n");
    assert_eq!(r.violation, None);
}

#[test]
fn the_masked_file_is_empty_when_not_watched() {
    let ws = workspace();
    let s = spec_with(
        &["sh", "-c", "wc -c < /etc/shadow"],
        ws.path(),
        SeccompOptions {
            watch_paths: false,
            ..SeccompOptions::default()
        },
    );
    let r = go(&s);
    // Mode 000 for the task (uid 1000 inside, no capabilities): unreadable.
    assert!(matches!(r.status, Exit::Code(c) if c != 0), "{}", r.status);
    assert!(
        text(&r.stderr).contains("Permission denied"),
        "{}",
        text(&r.stderr)
    );
}

#[test]
fn executing_a_masked_path_is_caught() {
    let ws = workspace();
    let r = jailed(&["sh", "-c", "/etc/shadow"], ws.path());
    assert_sigsys_status(&r, "exec of /etc/shadow");
    assert!(
        matches!(&r.violation, Some(Violation::Path { syscall, path }) if syscall == "execve" && path == Path::new("/etc/shadow")),
        "{:?}",
        r.violation
    );
}

#[test]
fn the_network_namespace_has_only_loopback_and_it_is_up() {
    let ws = workspace();
    let r = jailed(&["cat", "/proc/net/dev", "/proc/net/if_inet6"], ws.path());
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    let interfaces: Vec<&str> = out
        .lines()
        .skip(2)
        .take_while(|l| l.contains(':'))
        .filter_map(|l| l.split(':').next())
        .map(str::trim)
        .collect();
    assert_eq!(interfaces, ["lo"], "{out}");
    // ::1 is only configured on an interface that is up.
    assert!(
        out.lines()
            .any(|l| l.starts_with("00000000000000000000000000000001") && l.ends_with("lo")),
        "loopback is down: {out}"
    );
}

#[test]
fn sys_shows_only_the_cpu_topology() {
    let ws = workspace();
    let r = jailed(
        &[
            "sh",
            "-c",
            "ls /sys /sys/devices/system; nproc; ls /sys/class 2>&1",
        ],
        ws.path(),
    );
    let out = text(&r.stdout);
    let mut lines = out.lines();
    assert_eq!(lines.next(), Some("/sys:"), "{out}");
    assert_eq!(lines.next(), Some("devices"), "{out}");
    assert!(out.contains("/sys/devices/system:\ncpu\n"), "{out}");
    assert!(out.contains("No such file or directory"), "{out}");
    let nproc: usize = lines
        .find(|l| l.parse::<usize>().is_ok())
        .and_then(|l| l.parse().ok())
        .expect("nproc printed a number");
    assert!(nproc >= 1);
}

#[test]
fn tmp_is_size_limited() {
    let ws = workspace();
    let mut s = spec(
        &[
            "dd",
            "if=/dev/zero",
            "of=/tmp/fill",
            "bs=1M",
            "count=16",
            "status=none",
        ],
        ws.path(),
    );
    s.limits.tmp_bytes = 4 << 20;
    let r = go(&s);
    assert!(matches!(r.status, Exit::Code(c) if c != 0), "{}", r.status);
    assert!(
        text(&r.stderr).contains("No space left on device"),
        "{}",
        text(&r.stderr)
    );
    s.limits.tmp_bytes = 32 << 20;
    assert_eq!(go(&s).status, Exit::Code(0), "fits in 32 MiB");
}

#[test]
fn a_zero_tmp_size_is_refused() {
    let ws = workspace();
    let mut s = spec(&["true"], ws.path());
    s.limits.tmp_bytes = 0;
    let err = run(&s).expect_err("a zero limit is refused");
    assert!(err.to_string().contains("tmp limit is 0"), "{err}");
}

#[test]
fn a_program_missing_inside_the_view_is_not_found() {
    let ws = workspace();
    // A program under a masked directory exists on the host but not inside.
    let home = tempfile::Builder::new()
        .prefix("autonomic-supervisor-")
        .tempdir_in("/var/tmp")
        .expect("a fixture directory");
    let bin = home.path().join("bin");
    fs_err::create_dir(&bin).expect("mkdir");
    fs_err::copy("/bin/true", bin.join("tool")).expect("copy a program");
    let tool = bin.join("tool");
    let s = spec_with(
        &[tool.to_str().expect("utf-8")],
        ws.path(),
        SeccompOptions {
            masked_paths: vec![bin.clone()],
            ..SeccompOptions::default()
        },
    );
    let err = run(&s).expect_err("the program is hidden");
    assert!(err.to_string().contains("not found"), "{err}");
}

/// A root caller's task runs as an unprivileged id, yet a `/dev` node it
/// was given that is open to its group (as `/dev/kvm` is to `kvm` on Debian)
/// stays usable: that group is the one supplementary group it keeps. A test
/// node (the null device's numbers) stands in for `/dev/kvm`, whose mode on
/// this machine is 0600.
#[test]
fn a_given_dev_node_open_to_its_group_stays_usable_as_the_unprivileged_id() {
    use std::os::unix::fs::PermissionsExt as _;
    if !super::seccomp::running_as_root() {
        // Only root callers run as another id (and only root can mknod).
        return;
    }
    let name = format!("autonomic_test_{}", std::process::id());
    let node = std::path::Path::new("/dev").join(&name);
    let c = std::ffi::CString::new(node.to_str().unwrap()).unwrap();
    let dev = libc::makedev(1, 3);
    // SAFETY: `c` is a NUL-terminated path; mknod of a character device
    // with the null device's numbers.
    let made = unsafe { libc::mknod(c.as_ptr(), libc::S_IFCHR | 0o660, dev) };
    assert_eq!(made, 0);
    // SAFETY: as above; chown to root and a group no account uses.
    let owned = unsafe { libc::chown(c.as_ptr(), 0, 54_321) };
    assert_eq!(owned, 0);
    fs_err::set_permissions(&node, std::fs::Permissions::from_mode(0o660)).unwrap();
    let ws = tempfile::tempdir().unwrap();
    let script = format!("echo x > /dev/{name} && echo written; grep ^Groups /proc/self/status");
    let s = spec_with(
        &["sh", "-c", &script],
        ws.path(),
        SeccompOptions {
            dev_nodes: vec![name.clone()],
            ..SeccompOptions::default()
        },
    );
    let r = run(&s);
    let _ = fs_err::remove_file(&node);
    let r = r.unwrap();
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    let out = text(&r.stdout);
    assert!(out.starts_with("written\n"), "{out}");
    // One supplementary group (unmapped inside, so shown as the overflow id).
    assert_eq!(
        out.lines().nth(1).map(|l| l.split_whitespace().count()),
        Some(2),
        "{out}"
    );
}
