//! The escape suite (issue 4): hostile programs run at level `seccomp` with
//! the test policy of [`super::seccomp`], each asserted to be stopped
//! for the right reason (SIGSYS, an errno from the mount view or Landlock, a
//! PID or network namespace, a limit) while the host stays unchanged. Every
//! case that is harmless on the host also runs at level `none`, where it
//! succeeds, so each test shows the sandbox is what stopped it.
//!
//! Fixtures that must exist in the task's view (host files, a host UNIX
//! socket, a fake `~/.ssh`) live under `/var/tmp`, not under
//! `/tmp`: the jail gives the task a fresh `/tmp`, which would hide them for
//! the wrong reason.

use std::io::{ErrorKind, Read as _};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_muscle::exec::{run, ExecResult, ExecSpec, Exit, Isolation, Violation};
use autonomic_core::SandboxLevel;
use tempfile::TempDir;

use super::seccomp::{
    assert_sigsys, assert_sigsys_status, isolation, jailed, options, plain, running_as_root, text,
};

const PYTHON: &str = "/usr/bin/python3";

/// A spec like [`super::seccomp::at`]'s, for cases that change limits or
/// the masked paths before running.
fn spec(level: SandboxLevel, argv: &[&str], ws: &Path) -> ExecSpec {
    let mut spec = ExecSpec::new(argv.iter().copied(), ws);
    spec.isolation = isolation(level);
    spec.limits.wall = Duration::from_secs(20);
    spec
}

fn go(spec: &ExecSpec) -> ExecResult {
    run(spec).unwrap_or_else(|e| panic!("{:?} at {}: {e}", spec.argv, spec.level()))
}

fn workspace() -> TempDir {
    tempfile::tempdir().expect("a temporary workspace")
}

/// A directory on the host that the task sees (read-only) at its own path.
///
/// Never under `/tmp`: the sandbox gets a fresh `/tmp`, so a fixture there
/// would be invisible and a test would pass for the wrong reason. The build
/// directory itself may be under `/tmp` (a clone checked out there), so use
/// `/var/tmp`, which the sandbox shows read-only like the rest of the host.
fn fixture_dir() -> TempDir {
    let base = Path::new("/var/tmp");
    assert!(base.is_dir(), "/var/tmp is needed for host fixtures");
    tempfile::Builder::new()
        .prefix("autonomic-escape-")
        .tempdir_in(base)
        .expect("a fixture directory")
}

fn py(script: &str, ws: &Path) -> ExecResult {
    jailed(&[PYTHON, "-c", script], ws)
}

fn py_plain(script: &str, ws: &Path) -> ExecResult {
    plain(&[PYTHON, "-c", script], ws)
}

fn sh(script: &str, ws: &Path) -> ExecResult {
    jailed(&["sh", "-c", script], ws)
}

fn sh_plain(script: &str, ws: &Path) -> ExecResult {
    plain(&["sh", "-c", script], ws)
}

fn assert_ok(r: &ExecResult, what: &str) {
    assert_eq!(
        r.status,
        Exit::Code(0),
        "{what} at level none: stdout {} stderr {}",
        text(&r.stdout),
        text(&r.stderr)
    );
    assert_eq!(r.violation, None, "{what} at level none");
}

/// The task ran, failed with a non-zero exit code, printed nothing on stdout
/// and said one of `reasons` on stderr; no sandbox kill was involved.
fn assert_denied(r: &ExecResult, reasons: &[&str], what: &str) {
    assert!(
        matches!(r.status, Exit::Code(c) if c != 0),
        "{what}: {} stdout {} stderr {}",
        r.status,
        text(&r.stdout),
        text(&r.stderr)
    );
    assert!(r.stdout.is_empty(), "{what}: leaked {}", text(&r.stdout));
    let err = text(&r.stderr);
    assert!(
        reasons.iter().any(|why| err.contains(why)),
        "{what}: expected one of {reasons:?}, stderr {err}"
    );
    assert_eq!(r.violation, None, "{what}");
}

/// A python line printed to stderr right before the forbidden call, so a
/// kill can be told apart from one earlier in the program (at start-up, say).
const REACHED: &str = "print('reached the call', file=__import__('sys').stderr, flush=True)";

/// SIGSYS at `seccomp`, at the forbidden call itself: the program got as far
/// as [`REACHED`] and no further.
fn assert_killed(r: &ExecResult, what: &str) {
    assert_sigsys(r, what);
    assert_eq!(text(&r.stderr), "reached the call\n", "{what}");
    assert!(r.stdout.is_empty(), "{what}: {}", text(&r.stdout));
}

// ---------------------------------------------------------------------------
// Raw system calls through ctypes: killed at `seccomp`, an ordinary return
// (value or errno, the process lives on) at `none`.

/// A python program that makes one raw system call and prints its result.
fn syscall_script(nr: i64, args: &str) -> String {
    format!(
        "import ctypes\n\
         from ctypes import c_char_p, c_ulong\n\
         libc = ctypes.CDLL(None, use_errno=True)\n\
         {REACHED}\n\
         r = libc.syscall({nr}, {args})\n\
         print('returned', r, ctypes.get_errno())\n"
    )
}

fn forbidden_syscall(name: &str, nr: i64, args: &str) {
    let ws = workspace();
    let script = syscall_script(nr, args);
    let mounts = fs_err::read_to_string("/proc/self/mountinfo").expect("read the mount table");
    let r = py(&script, ws.path());
    assert_killed(&r, name);
    assert_eq!(
        fs_err::read_to_string("/proc/self/mountinfo").expect("read the mount table"),
        mounts,
        "{name} changed the host's mounts"
    );
    let r = py_plain(&script, ws.path());
    assert_ok(&r, name);
    assert!(text(&r.stdout).starts_with("returned "), "{name}");
}

#[test]
fn control_an_allowed_syscall_through_the_same_harness_runs() {
    // getpid: the python + ctypes start-up is not what the cases below die of.
    let ws = workspace();
    let r = py(&syscall_script(39, ""), ws.path());
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert!(text(&r.stdout).starts_with("returned "));
}

#[test]
fn mount_dies() {
    // The target does not exist: at `none` this is ENOENT, never a mount.
    forbidden_syscall(
        "mount",
        165,
        "c_char_p(b'none'), c_char_p(b'/nonexistent-autonomic-escape'), c_char_p(b'tmpfs'), c_ulong(0), None",
    );
}

#[test]
fn umount2_dies() {
    forbidden_syscall(
        "umount2",
        166,
        "c_char_p(b'/nonexistent-autonomic-escape'), 0",
    );
}

#[test]
fn reboot_dies() {
    // Wrong magic numbers: EINVAL at `none`, checked before anything happens.
    forbidden_syscall("reboot", 169, "0, 0, 0, None");
}

#[test]
fn iopl_dies() {
    // Level 0 is the level every process already has.
    forbidden_syscall("iopl", 172, "0");
}

#[test]
fn raw_unshare_dies() {
    // unshare(0) is a no-op where it is allowed; the filter kills any unshare.
    forbidden_syscall("unshare", 272, "0");
}

#[test]
fn setns_dies() {
    forbidden_syscall("setns", 308, "-1, 0");
}

#[test]
fn keyctl_dies() {
    // KEYCTL_GET_KEYRING_ID of the session keyring, without creating it.
    forbidden_syscall("keyctl", 250, "0, -3, 0");
}

#[test]
fn bpf_dies() {
    forbidden_syscall("bpf", 321, "0, None, 0");
}

#[test]
fn io_uring_setup_dies() {
    forbidden_syscall("io_uring_setup", 425, "0, None");
}

#[test]
fn chroot_dies() {
    forbidden_syscall("chroot", 161, "c_char_p(b'/')");
}

#[test]
fn setuid_dies() {
    // Outside the test policy, as in every built-in profile.
    forbidden_syscall("setuid", 105, "0");
}

#[test]
fn finit_module_dies() {
    // A bad descriptor: EBADF at `none`.
    forbidden_syscall("finit_module", 313, "-1, c_char_p(b''), 0");
}

#[test]
fn perf_event_open_dies() {
    forbidden_syscall("perf_event_open", 298, "None, 0, -1, -1, 0");
}

#[test]
fn clone_into_a_new_user_namespace_dies() {
    // clone(CLONE_NEWUSER | SIGCHLD) made raw, so glibc's clone3 fallback is
    // not involved; the child exits at once.
    let script = &format!(
        "import ctypes, os\n\
                  libc = ctypes.CDLL(None, use_errno=True)\n\
                  {REACHED}\n\
                  r = libc.syscall(56, 0x10000000 | 17, 0, 0, 0, 0)\n\
                  if r == 0:\n    os._exit(0)\n\
                  os.waitpid(r, 0)\n\
                  print('cloned', r)\n"
    );
    let ws = workspace();
    assert_killed(&py(script, ws.path()), "clone(CLONE_NEWUSER)");
    let r = py_plain(script, ws.path());
    assert_ok(&r, "clone(CLONE_NEWUSER)");
    assert!(text(&r.stdout).starts_with("cloned "));
}

#[test]
fn ptrace_of_a_sibling_dies() {
    let script = &format!(
        "import ctypes, os, sys\n\
                  libc = ctypes.CDLL(None, use_errno=True)\n\
                  pid = int(sys.argv[1])\n\
                  {REACHED}\n\
                  r = libc.syscall(101, 16, pid, 0, 0)\n\
                  assert r == 0, ctypes.get_errno()\n\
                  os.waitpid(pid, 0)\n\
                  libc.syscall(101, 17, pid, 0, 0)\n\
                  print('attached', pid)\n"
    );
    let bash = format!("sleep 5.4217 & exec {PYTHON} -c \"$0\" $!");
    let ws = workspace();
    let r = jailed(&["bash", "-c", &bash, script], ws.path());
    assert_killed(&r, "ptrace(PTRACE_ATTACH)");
    let r = plain(&["bash", "-c", &bash, script], ws.path());
    assert_ok(&r, "ptrace(PTRACE_ATTACH)");
    assert!(text(&r.stdout).starts_with("attached "));
}

#[test]
fn process_vm_readv_dies() {
    let script = &format!(
        "import ctypes, os\n\
                  libc = ctypes.CDLL(None, use_errno=True)\n\
                  class iovec(ctypes.Structure):\n    \
                      _fields_ = [('base', ctypes.c_void_p), ('len', ctypes.c_size_t)]\n\
                  src = ctypes.create_string_buffer(b'secret')\n\
                  dst = ctypes.create_string_buffer(6)\n\
                  local = iovec(ctypes.cast(dst, ctypes.c_void_p), 6)\n\
                  remote = iovec(ctypes.cast(src, ctypes.c_void_p), 6)\n\
                  {REACHED}\n\
                  L = ctypes.c_long\n\
                  n = libc.syscall(L(310), L(os.getpid()), ctypes.byref(local), L(1), ctypes.byref(remote), L(1), L(0))\n\
                  print(n, dst.raw.decode())\n"
    );
    // Every integer goes through c_long: ctypes passes a bare int to a
    // variadic function as a 32-bit int, leaving the upper half of the
    // register undefined, and the kernel then sometimes reads a non-zero
    // `flags` (EINVAL).
    let ws = workspace();
    assert_killed(&py(script, ws.path()), "process_vm_readv");
    let r = py_plain(script, ws.path());
    assert_ok(&r, "process_vm_readv");
    assert_eq!(text(&r.stdout), "6 secret\n");
}

// ---------------------------------------------------------------------------
// Network: without the network grant only AF_UNIX sockets can be created, and
// the task is in its own network namespace.

#[test]
fn tcp_connect_to_a_host_listener_dies() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let script = format!(
        "import _socket\n\
         {REACHED}\n\
         s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n\
         s.connect(('127.0.0.1', {port}))\n\
         s.sendall(b'hello')\nprint('connected')\n"
    );
    let ws = workspace();
    assert_killed(&py(&script, ws.path()), "TCP connect");
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the jailed task reached the host listener"
    );
    let r = py_plain(&script, ws.path());
    assert_ok(&r, "TCP connect");
    let (mut conn, _) = listener.accept().expect("the plain task connected");
    conn.set_nonblocking(false).unwrap();
    let mut got = String::new();
    conn.read_to_string(&mut got).unwrap();
    assert_eq!(got, "hello");
}

#[test]
fn udp_sendto_a_host_receiver_dies() {
    let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
    receiver.set_nonblocking(true).unwrap();
    let port = receiver.local_addr().unwrap().port();
    let script = format!(
        "import _socket\n\
         {REACHED}\n\
         s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)\n\
         s.sendto(b'leak', ('127.0.0.1', {port}))\n\
         print('sent')\n"
    );
    let ws = workspace();
    assert_killed(&py(&script, ws.path()), "UDP sendto");
    let mut buf = [0u8; 16];
    assert_eq!(
        receiver.recv(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "a datagram from the jail arrived"
    );
    assert_ok(&py_plain(&script, ws.path()), "UDP sendto");
    receiver.set_nonblocking(false).unwrap();
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let n = receiver.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"leak");
}

fn forbidden_socket(what: &str, ctor: &str) {
    let script = format!("import _socket\n{REACHED}\ns = {ctor}\ns.close()\nprint('created')\n");
    let ws = workspace();
    assert_killed(&py(&script, ws.path()), what);
    if running_as_root() {
        let r = py_plain(&script, ws.path());
        assert_ok(&r, what);
        assert_eq!(text(&r.stdout), "created\n");
    }
}

#[test]
fn control_an_af_unix_socket_can_be_created() {
    // The same harness with the one domain the policy allows runs to the
    // end, so the socket cases die of their domain.
    let ws = workspace();
    let script = "import _socket\n\
                  s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)\n\
                  s.close()\nprint('created')\n";
    let r = py(script, ws.path());
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "created\n");
}

#[test]
fn tcp6_socket_dies() {
    forbidden_socket(
        "AF_INET6 socket",
        "_socket.socket(_socket.AF_INET6, _socket.SOCK_STREAM)",
    );
}

#[test]
fn raw_socket_dies() {
    forbidden_socket(
        "raw socket",
        "_socket.socket(_socket.AF_INET, _socket.SOCK_RAW, _socket.IPPROTO_ICMP)",
    );
}

#[test]
fn packet_socket_dies() {
    forbidden_socket(
        "packet socket",
        "_socket.socket(_socket.AF_PACKET, _socket.SOCK_RAW, 0)",
    );
}

/// A netlink socket is never created: `socket()` fails with EAFNOSUPPORT
/// (glibc's name lookups probe netlink first and cope), unless a profile
/// allows the domain.
#[test]
fn netlink_socket_is_refused() {
    let script = "import _socket, errno\n\
                  try:\n    _socket.socket(_socket.AF_NETLINK, _socket.SOCK_RAW, _socket.NETLINK_ROUTE)\n    print('created')\n\
                  except OSError as e:\n    print('refused', e.errno == errno.EAFNOSUPPORT)\n";
    let ws = workspace();
    let r = py(script, ws.path());
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "refused True\n");
    assert!(r.violation.is_none(), "{:?}", r.violation);
    let r = py_plain(script, ws.path());
    assert_eq!(text(&r.stdout), "created\n");
}

#[test]
fn tcp_bind_and_listen_die() {
    let script = &format!(
        "import _socket\n\
         {REACHED}\n\
         s = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)\n\
         s.bind(('127.0.0.1', 0))\ns.listen(1)\nprint('listening')\n"
    );
    let ws = workspace();
    assert_killed(&py(script, ws.path()), "TCP bind/listen");
    assert_ok(&py_plain(script, ws.path()), "TCP bind/listen");
}

#[test]
fn unix_bind_and_listen_die() {
    // AF_UNIX sockets may be created (name service lookups need them), but
    // not bound or listened on.
    let script = &format!(
        "import _socket\n\
         s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)\n\
         {REACHED}\n\
         s.bind('sock')\ns.listen(1)\nprint('listening')\n"
    );
    let ws = workspace();
    assert_killed(&py(script, ws.path()), "UNIX bind/listen");
    assert!(!ws.path().join("sock").exists());
    assert_ok(&py_plain(script, ws.path()), "UNIX bind/listen");
    assert!(ws.path().join("sock").exists());
}

#[test]
fn abstract_unix_socket_of_the_host_is_unreachable() {
    use std::os::linux::net::SocketAddrExt as _;
    let name = format!("autonomic-escape-{}", std::process::id());
    let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
    let listener = UnixListener::bind_addr(&addr).unwrap();
    listener.set_nonblocking(true).unwrap();
    let script = format!(
        "import _socket\n\
         s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)\n\
         s.connect('\\0{name}')\nprint('connected')\n"
    );
    let ws = workspace();
    let r = py(&script, ws.path());
    assert_denied(&r, &["ConnectionRefusedError"], "abstract UNIX connect");
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_ok(&py_plain(&script, ws.path()), "abstract UNIX connect");
    assert!(listener.accept().is_ok());
}

#[test]
fn host_daemon_sockets_under_run_are_hidden() {
    // A daemon's socket in /run (docker.sock, D-Bus, systemd): the task must
    // not be able to reach it, although the host tree is visible read-only.
    let path = PathBuf::from(format!("/run/autonomic-escape-{}.sock", std::process::id()));
    let _ = fs_err::remove_file(&path);
    let listener = UnixListener::bind(&path).expect("the tests run as root and can bind in /run");
    listener.set_nonblocking(true).unwrap();
    let script = format!(
        "import _socket\n\
         s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)\n\
         s.connect('{}')\nprint('connected')\n",
        path.display()
    );
    let ws = workspace();
    let r = py(&script, ws.path());
    assert_denied(
        &r,
        &["FileNotFoundError"],
        "connect to a host socket in /run",
    );
    assert_eq!(
        listener.accept().map(|_| ()).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    assert_ok(
        &py_plain(&script, ws.path()),
        "connect to a host socket in /run",
    );
    assert!(listener.accept().is_ok());
    let _ = fs_err::remove_file(&path);
}

// ---------------------------------------------------------------------------
// Secrets: /etc/shadow and a fake ~/.ssh/id_rsa, by every path.

const DENIED: &[&str] = &["Permission denied"];

fn shadow_state() -> Option<(u64, Option<std::time::SystemTime>)> {
    fs_err::metadata("/etc/shadow")
        .ok()
        .map(|m| (m.len(), m.modified().ok()))
}

/// The supervisor's path check stopped the task at the attempt: SIGSYS,
/// nothing printed, and the violation names `path`.
fn assert_path_violation(r: &ExecResult, path: &Path, what: &str) {
    assert_sigsys_status(r, what);
    assert!(r.stdout.is_empty(), "{what}: leaked {}", text(&r.stdout));
    match &r.violation {
        Some(Violation::Path { path: p, .. }) => assert_eq!(p, path, "{what}"),
        other => panic!("{what}: expected a path violation, got {other:?}"),
    }
}

/// Runs `script` (which reads /etc/shadow somehow) in the jail — where the
/// path check kills it and names /etc/shadow, and where, without the check,
/// the mount view alone answers `reasons` — and at `none`.
fn shadow_read(script: &str, reasons: &[&str], what: &str) {
    let before = shadow_state();
    assert!(before.is_some(), "this host has no /etc/shadow");
    let ws = workspace();
    assert_path_violation(&sh(script, ws.path()), Path::new("/etc/shadow"), what);
    let ws = workspace();
    let mut unwatched = spec(SandboxLevel::Seccomp, &["sh", "-c", script], ws.path());
    if let Some(o) = options(&mut unwatched) {
        o.watch_paths = false;
    }
    assert_denied(&go(&unwatched), reasons, what);
    assert_eq!(shadow_state(), before, "{what} changed /etc/shadow");
    if running_as_root() {
        let ws = workspace();
        let r = sh_plain(script, ws.path());
        assert_ok(&r, what);
        assert!(text(&r.stdout).contains("root:"), "{what}");
    }
}

#[test]
fn shadow_by_absolute_path() {
    shadow_read("cat /etc/shadow", DENIED, "cat /etc/shadow");
}

#[test]
fn shadow_by_cd_and_relative_path() {
    shadow_read("cd /etc && cat shadow", DENIED, "cd /etc && cat shadow");
}

#[test]
fn shadow_through_a_symlink_in_the_workspace() {
    shadow_read(
        "ln -s /etc/shadow s && cat s",
        DENIED,
        "a symlink to /etc/shadow",
    );
}

#[test]
fn shadow_through_proc_self_root() {
    shadow_read(
        "cat /proc/self/root/etc/shadow",
        DENIED,
        "/proc/self/root/etc/shadow",
    );
}

#[test]
fn shadow_through_a_hardlink() {
    // The mask is a bind mount: a link to it crosses mounts.
    shadow_read(
        "ln /etc/shadow h && cat h",
        &[
            "Invalid cross-device link",
            "Operation not permitted",
            "Permission denied",
        ],
        "a hardlink to /etc/shadow",
    );
}

/// A fake home outside /tmp with `.ssh/id_rsa`, masked the way the executor
/// masks `$HOME/.ssh` (through the spec's masked paths, so the test does not
/// change its own `HOME`).
struct FakeHome {
    dir: TempDir,
}

const FAKE_KEY: &str = "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n";

impl FakeHome {
    fn new() -> Self {
        let dir = fixture_dir();
        fs_err::create_dir(dir.path().join(".ssh")).expect("create .ssh");
        fs_err::write(dir.path().join(".ssh/id_rsa"), FAKE_KEY).expect("write the fake key");
        FakeHome { dir }
    }

    fn ssh(&self) -> PathBuf {
        self.dir.path().join(".ssh")
    }

    fn key(&self) -> String {
        self.ssh()
            .join("id_rsa")
            .to_str()
            .expect("a UTF-8 path")
            .to_owned()
    }

    fn run(&self, level: SandboxLevel, script: &str, ws: &Path, watch: bool) -> ExecResult {
        let mut spec = spec(level, &["sh", "-c", script], ws);
        if let Some(o) = options(&mut spec) {
            o.masked_paths = vec![self.ssh()];
            o.watch_paths = watch;
        }
        go(&spec)
    }

    /// The path check kills the jailed task and names the key; without the
    /// check the mount view answers `reasons`; the key is untouched; and at
    /// `none` the same script prints the key.
    fn check(&self, script: &str, reasons: &[&str], what: &str) {
        let ws = workspace();
        let r = self.run(SandboxLevel::Seccomp, script, ws.path(), true);
        assert_path_violation(&r, Path::new(&self.key()), what);
        let ws = workspace();
        let r = self.run(SandboxLevel::Seccomp, script, ws.path(), false);
        assert_denied(&r, reasons, what);
        assert_eq!(
            fs_err::read_to_string(self.key()).expect("the fake key is still there"),
            FAKE_KEY
        );
        let ws = workspace();
        let r = self.run(SandboxLevel::None, script, ws.path(), false);
        assert_ok(&r, what);
        assert_eq!(text(&r.stdout), FAKE_KEY, "{what}");
    }
}

#[test]
fn ssh_key_by_absolute_path() {
    let home = FakeHome::new();
    home.check(&format!("cat {}", home.key()), DENIED, "cat ~/.ssh/id_rsa");
}

#[test]
fn ssh_key_by_cd_and_relative_path() {
    let home = FakeHome::new();
    let script = format!("cd {} && cat .ssh/id_rsa", home.dir.path().display());
    home.check(&script, DENIED, "cd ~ && cat .ssh/id_rsa");
}

#[test]
fn ssh_key_through_a_symlink_in_the_workspace() {
    let home = FakeHome::new();
    let script = format!("ln -s {} k && cat k", home.key());
    home.check(&script, DENIED, "a symlink to the key");
}

#[test]
fn ssh_key_through_a_hardlink() {
    let home = FakeHome::new();
    let script = format!("ln {} k && cat k", home.key());
    home.check(
        &script,
        &["Permission denied", "Invalid cross-device link"],
        "a hardlink to the key",
    );
}

#[test]
fn ssh_key_through_proc_self_root() {
    let home = FakeHome::new();
    let script = format!("cat /proc/self/root{}", home.key());
    home.check(&script, DENIED, "the key through /proc/self/root");
}

// ---------------------------------------------------------------------------
// Writes outside the workspace.

const READ_ONLY: &[&str] = &["Read-only file system", "Permission denied"];

#[test]
fn write_outside_the_workspace() {
    let outside = fixture_dir();
    let target = outside.path().join("planted");
    let script = format!("echo planted > {}", target.display());
    let ws = workspace();
    assert_denied(&sh(&script, ws.path()), READ_ONLY, "write outside");
    assert!(!target.exists(), "the jail wrote outside its workspace");
    assert_ok(&sh_plain(&script, ws.path()), "write outside");
    assert_eq!(fs_err::read_to_string(&target).unwrap(), "planted\n");
}

#[test]
fn delete_outside_the_workspace() {
    let outside = fixture_dir();
    let victim = outside.path().join("victim");
    fs_err::write(&victim, "keep").unwrap();
    let script = format!("rm -f {}", victim.display());
    let ws = workspace();
    assert_denied(&sh(&script, ws.path()), READ_ONLY, "rm outside");
    assert!(victim.exists(), "the jail deleted a host file");
    assert_ok(&sh_plain(&script, ws.path()), "rm outside");
    assert!(!victim.exists());
}

#[test]
fn chmod_outside_the_workspace() {
    let outside = fixture_dir();
    let victim = outside.path().join("victim");
    fs_err::write(&victim, "keep").unwrap();
    fs_err::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let mode = || fs_err::metadata(&victim).unwrap().permissions().mode() & 0o7777;
    let script = format!("chmod 0777 {}", victim.display());
    let ws = workspace();
    assert_denied(&sh(&script, ws.path()), READ_ONLY, "chmod outside");
    assert_eq!(mode(), 0o644, "the jail changed a host file's mode");
    assert_ok(&sh_plain(&script, ws.path()), "chmod outside");
    assert_eq!(mode(), 0o777);
}

#[test]
fn filling_tmp_stays_in_the_jail() {
    // The jail's /tmp is its own tmpfs: what the task writes there never
    // reaches the host's /tmp. (It is bounded here on purpose: that tmpfs
    // has no size limit yet, see the jail's gaps.)
    let name = format!("autonomic-escape-fill-{}", std::process::id());
    let host = Path::new("/tmp").join(&name);
    let script = format!(
        "head -c 33554432 /dev/zero > /tmp/{name} && stat -c %s /tmp/{name} && df -P /tmp | tail -n 1"
    );
    let ws = workspace();
    let r = sh(&script, ws.path());
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert!(
        text(&r.stdout).starts_with("33554432\n"),
        "{}",
        text(&r.stdout)
    );
    assert!(text(&r.stdout).contains("tmpfs"), "{}", text(&r.stdout));
    assert!(!host.exists(), "the jail's /tmp is the host's");
}

// ---------------------------------------------------------------------------
// Processes: the PID namespace and the limits.

#[test]
fn signalling_the_supervisor_fails() {
    // SIGCONT: harmless if it arrives (it does, at `none`).
    let script = format!("kill -CONT {}", std::process::id());
    let ws = workspace();
    assert_denied(
        &sh(&script, ws.path()),
        &["No such process"],
        "kill the supervisor",
    );
    assert_ok(&sh_plain(&script, ws.path()), "kill the supervisor");
}

#[test]
fn host_process_environ_is_invisible() {
    let script = format!("cat /proc/{}/environ", std::process::id());
    let ws = workspace();
    assert_denied(
        &sh(&script, ws.path()),
        &["No such file or directory"],
        "/proc/<host pid>/environ",
    );
    let r = sh_plain(&script, ws.path());
    assert_ok(&r, "/proc/<host pid>/environ");
    assert!(text(&r.stdout).contains("PATH="));
}

#[test]
fn sleeping_past_the_timeout_is_killed() {
    let ws = workspace();
    let mut s = spec(SandboxLevel::Seccomp, &["sleep", "3.4217"], ws.path());
    s.limits.wall = Duration::from_millis(700);
    let r = go(&s);
    assert_eq!(
        r.violation,
        Some(Violation::WallTimeout {
            limit: Duration::from_millis(700)
        })
    );
    assert!(r.wall < Duration::from_secs(3), "{:?}", r.wall);
    assert_eq!(
        super::seccomp::pids_running("sleep 3.4217"),
        Vec::<i32>::new()
    );
    // With room to finish, the same sleep succeeds.
    s.isolation = Isolation::None;
    s.limits.wall = Duration::from_secs(20);
    assert_ok(&go(&s), "sleep");
}

#[test]
fn memory_bomb_hits_the_memory_limit() {
    let script = "b = bytearray(768 << 20)\nprint('allocated', len(b))\n";
    let ws = workspace();
    let mut s = spec(SandboxLevel::Seccomp, &[PYTHON, "-c", script], ws.path());
    s.limits.memory_bytes = Some(256 << 20);
    let r = go(&s);
    // A cgroup OOM-kills it (and says so); RLIMIT_AS makes it a MemoryError.
    if r.violation.is_none() {
        assert_eq!(r.status, Exit::Code(1), "{}", text(&r.stderr));
        assert!(
            text(&r.stderr).contains("MemoryError"),
            "{}",
            text(&r.stderr)
        );
    } else {
        assert_eq!(
            r.violation,
            Some(Violation::MemoryLimit { limit: 256 << 20 }),
            "{} via {}",
            r.status,
            r.limits_via
        );
    }
    assert!(r.stdout.is_empty());
    // Without the limit the same allocation succeeds, in the jail too.
    s.limits.memory_bytes = None;
    let r = go(&s);
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
}

#[test]
fn fork_bomb_is_bounded_and_leaves_nothing_behind() {
    // A bounded bomb: forks until refused (or 400 children), each child
    // sleeping; the run's timeout and the PID namespace end them all.
    let script = "import os, sys, time\n\
                  n = 0\n\
                  try:\n    \
                      while n < 400:\n        \
                          if os.fork() == 0:\n            \
                              time.sleep(3600.4217)\n            \
                              os._exit(0)\n        \
                          n += 1\n\
                  except OSError as e:\n    \
                      print('refused after', n, e.errno, flush=True)\n    \
                      time.sleep(30)\n\
                  print('forked', n, flush=True)\n\
                  time.sleep(30)\n";
    let ws = workspace();
    let mut s = spec(SandboxLevel::Seccomp, &[PYTHON, "-c", script], ws.path());
    s.limits.wall = Duration::from_secs(3);
    s.limits.pids = Some(64);
    let r = go(&s);
    // Run as root on the host, the task is exempt from RLIMIT_NPROC (its
    // kernel uid is the host's root): then it prints "forked 400" and only
    // the timeout and the PID namespace bound it.
    eprintln!("fork bomb at seccomp: {}", text(&r.stdout));
    assert_eq!(
        r.violation,
        Some(Violation::WallTimeout {
            limit: Duration::from_secs(3)
        }),
        "{}",
        text(&r.stderr)
    );
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        super::seccomp::pids_running("3600.4217"),
        Vec::<i32>::new(),
        "fork bomb children survived the run"
    );
}
