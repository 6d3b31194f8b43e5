//! The seccomp-bpf filter compiler: every branch through an in-process BPF
//! interpreter, then real filters on real children that die of real SIGSYS.

use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};

use agent_muscle::bpf::{
    compile, install, syscall_name, syscall_number, Action, BpfError, SockFilter, SyscallPolicy,
    AUDIT_ARCH_X86_64, NEVER_ALLOWED, X32_SYSCALL_BIT,
};

/// What a dynamically linked `/bin/true` needs (Debian 12, glibc 2.36; from
/// `strace -f -c /bin/true`), plus what Rust's child side needs after the
/// `pre_exec` hook. Test data only: real profiles are agent-immune's.
const BASE: &[(&str, &str)] = &[
    ("execve", "the exec itself, after the filter is installed"),
    (
        "write",
        "Rust's child reports a failed exec to the parent over a pipe",
    ),
    ("exit_group", "process exit"),
    ("brk", "glibc's heap"),
    ("arch_prctl", "the dynamic loader sets up TLS (ARCH_SET_FS)"),
    ("mmap", "the loader maps ld.so.cache and shared objects"),
    ("munmap", "the loader unmaps ld.so.cache"),
    ("mprotect", "the loader applies RELRO"),
    ("access", "the loader checks /etc/ld.so.preload"),
    ("openat", "the loader opens ld.so.cache and libc.so.6"),
    ("newfstatat", "the loader stats opened objects"),
    ("read", "the loader reads the ELF header"),
    ("pread64", "the loader reads program headers and notes"),
    ("close", "the loader closes object files"),
    ("set_tid_address", "glibc thread start-up"),
    ("set_robust_list", "glibc thread start-up"),
    ("rseq", "glibc registers restartable sequences"),
    ("prlimit64", "glibc reads the stack limit"),
];

/// What `ls -la` and `id` need on top of [`BASE`] (from `strace -f`).
const LS_ID: &[(&str, &str)] = &[
    ("socket", "glibc's NSS opens an AF_UNIX socket to nscd"),
    ("connect", "glibc's NSS connects to /var/run/nscd/socket"),
    ("futex", "glibc locking"),
    ("getrandom", "glibc's malloc seeds its tcache randomisation"),
    ("ioctl", "isatty() on stdout"),
    ("lseek", "stdio on /etc/passwd and /etc/group"),
    ("statfs", "SELinux probe on start-up"),
    ("statx", "ls stats each entry"),
    ("getdents64", "ls reads the directory"),
    ("getxattr", "ls looks for ACLs and SELinux labels"),
    ("lgetxattr", "ls looks for ACLs and SELinux labels"),
    ("readlink", "ls -l shows symlink targets"),
    ("getuid", "id"),
    ("geteuid", "id"),
    ("getgid", "id"),
    ("getegid", "id"),
    ("getgroups", "id lists supplementary groups"),
];

const KILL: u32 = 0x8000_0000;
const ALLOW: u32 = 0x7fff_0000;
const ERRNO: u32 = 0x0005_0000;
const AUDIT_ARCH_I386: u32 = 0x4000_0003;
const AF_UNIX: u64 = 1;
const AF_INET: u64 = 2;
const AF_INET6: u64 = 10;
const AF_NETLINK: u64 = 16;
const AF_PACKET: u64 = 17;
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWNET: u64 = 0x4000_0000;
const CLONE_THREAD_FLAGS: u64 = 0x003d_0f00; // glibc's pthread_create flags

fn names(lists: &[&[(&str, &str)]]) -> Vec<String> {
    lists
        .iter()
        .flat_map(|l| l.iter().map(|(n, _)| (*n).to_owned()))
        .collect()
}

fn policy(allow: &[&str], default_action: Action) -> SyscallPolicy {
    SyscallPolicy {
        allow: allow.iter().map(|s| (*s).to_owned()).collect(),
        default_action,
        socket_domains: vec![],
        refused_domains: vec![],
        refused_syscalls: vec![],
    }
}

fn nr(name: &str) -> i64 {
    syscall_number(name).expect(name)
}

// ---------------------------------------------------------------------------
// A classic BPF interpreter, restricted to what a seccomp filter may use.

/// `struct seccomp_data`, serialised little-endian as the kernel lays it out.
struct Data {
    nr: u32,
    arch: u32,
    args: [u64; 6],
}

impl Data {
    fn x86_64(nr: i64, args: [u64; 6]) -> Self {
        Data {
            nr: u32::try_from(nr).expect("small"),
            arch: AUDIT_ARCH_X86_64,
            args,
        }
    }

    fn word(&self, offset: u32) -> u32 {
        let mut bytes = Vec::with_capacity(64);
        bytes.extend_from_slice(&self.nr.to_le_bytes());
        bytes.extend_from_slice(&self.arch.to_le_bytes());
        bytes.extend_from_slice(&0x1234_u64.to_le_bytes()); // instruction_pointer
        for a in self.args {
            bytes.extend_from_slice(&a.to_le_bytes());
        }
        let o = usize::try_from(offset).expect("small");
        assert!(o % 4 == 0 && o + 4 <= bytes.len(), "bad load offset {o}");
        u32::from_le_bytes(bytes[o..o + 4].try_into().expect("4 bytes"))
    }
}

/// Runs `prog` on `data` and returns the `SECCOMP_RET_*` value; panics on
/// anything the kernel's checker would reject (bad jumps, falling off the
/// end, unknown opcodes), and counts the instructions executed.
fn run(prog: &[SockFilter], data: &Data) -> (u32, usize) {
    let mut a: u32 = 0;
    let mut pc = 0usize;
    let mut steps = 0usize;
    loop {
        let insn = prog.get(pc).expect("ran off the end of the program");
        steps += 1;
        pc += 1;
        match insn.code {
            0x20 => a = data.word(insn.k),
            0x06 => return (insn.k, steps),
            0x05 => pc += usize::try_from(insn.k).expect("offset"),
            0x15 | 0x25 | 0x35 | 0x45 => {
                let taken = match insn.code {
                    0x15 => a == insn.k,
                    0x25 => a > insn.k,
                    0x35 => a >= insn.k,
                    _ => a & insn.k != 0,
                };
                pc += usize::from(if taken { insn.jt } else { insn.jf });
            }
            code => panic!("unexpected opcode {code:#x} at {}", pc - 1),
        }
    }
}

fn verdict(prog: &[SockFilter], nr: i64, arg0: u64) -> u32 {
    run(prog, &Data::x86_64(nr, [arg0, 0, 0, 0, 0, 0])).0
}

#[test]
fn foreign_architecture_is_killed() {
    let prog = compile(&policy(&["read"], Action::Allow)).unwrap();
    for arch in [AUDIT_ARCH_I386, 0xC000_00B7 /* aarch64 */, 0] {
        let data = Data {
            nr: 0,
            arch,
            args: [0; 6],
        };
        assert_eq!(run(&prog, &data).0, KILL, "arch {arch:#x}");
    }
}

#[test]
fn x32_abi_is_killed_even_for_allowed_numbers() {
    let prog = compile(&policy(&["read", "write"], Action::Allow)).unwrap();
    let data = Data {
        nr: X32_SYSCALL_BIT | 1,
        arch: AUDIT_ARCH_X86_64,
        args: [0; 6],
    };
    assert_eq!(run(&prog, &data).0, KILL);
    assert_eq!(verdict(&prog, 1, 0), ALLOW);
}

#[test]
fn numbers_newer_than_the_table_get_enosys() {
    let prog = compile(&policy(&["read"], Action::Allow)).unwrap();
    assert_eq!(syscall_name(451), None);
    assert_eq!(verdict(&prog, 451, 0), ERRNO | 38);
    assert_eq!(verdict(&prog, 1000, 0), ERRNO | 38);
}

#[test]
fn hard_block_list_kills_even_under_default_allow() {
    let prog = compile(&policy(&["read"], Action::Allow)).unwrap();
    for (name, _) in NEVER_ALLOWED {
        assert_eq!(verdict(&prog, nr(name), 0), KILL, "{name}");
    }
}

#[test]
fn allowed_and_default_actions() {
    for (default, ret) in [
        (Action::KillProcess, KILL),
        (Action::Errno(1), ERRNO | 1),
        (Action::Log, 0x7ffc_0000),
        (Action::UserNotif, 0x7fc0_0000),
        (Action::Allow, ALLOW),
    ] {
        let prog = compile(&policy(&["read", "write", "connect", "sendto"], default)).unwrap();
        for name in ["read", "write", "connect", "sendto"] {
            assert_eq!(verdict(&prog, nr(name), 0), ALLOW, "{name}");
        }
        assert_eq!(verdict(&prog, nr("openat"), 0), ret, "{default:?}");
    }
}

#[test]
fn socket_domains_are_checked() {
    // Default: AF_UNIX only.
    let prog = compile(&policy(&["socket", "socketpair"], Action::Allow)).unwrap();
    for call in ["socket", "socketpair"] {
        assert_eq!(verdict(&prog, nr(call), AF_UNIX), ALLOW, "{call}");
        for domain in [AF_INET, AF_INET6, AF_NETLINK, AF_PACKET, 0, 45] {
            assert_eq!(verdict(&prog, nr(call), domain), KILL, "{call} {domain}");
        }
        // The kernel reads `int domain`: the upper word is ignored, so it
        // must not decide anything here either.
        assert_eq!(verdict(&prog, nr(call), (1 << 32) | AF_INET), KILL);
        assert_eq!(verdict(&prog, nr(call), (1 << 32) | AF_UNIX), ALLOW);
    }

    // socket not in the allow list: AF_UNIX gets the default, others die.
    let prog = compile(&policy(&["read"], Action::Errno(13))).unwrap();
    assert_eq!(verdict(&prog, nr("socket"), AF_UNIX), ERRNO | 13);
    assert_eq!(verdict(&prog, nr("socket"), AF_INET), KILL);

    // An explicit grant.
    let mut p = policy(&["socket"], Action::KillProcess);
    p.socket_domains = vec![2, 10, 2];
    let prog = compile(&p).unwrap();
    assert_eq!(verdict(&prog, nr("socket"), AF_INET), ALLOW);
    assert_eq!(verdict(&prog, nr("socket"), AF_INET6), ALLOW);
    assert_eq!(verdict(&prog, nr("socket"), AF_UNIX), KILL);
    assert_eq!(verdict(&prog, nr("socket"), AF_PACKET), KILL);

    // Every domain at once still has in-range jumps.
    let mut p = policy(&["socket"], Action::KillProcess);
    p.socket_domains = (0..=255).collect();
    let prog = compile(&p).unwrap();
    for d in 0..=255 {
        assert_eq!(verdict(&prog, nr("socket"), d), ALLOW, "{d}");
    }
    assert_eq!(verdict(&prog, nr("read"), 0), KILL);

    p.socket_domains = vec![256];
    assert_eq!(
        compile(&p),
        Err(BpfError::InvalidSocketDomain { domain: 256 })
    );
}

#[test]
fn clone_cannot_create_namespaces_and_clone3_gets_enosys() {
    let prog = compile(&policy(&["clone", "clone3"], Action::Allow)).unwrap();
    assert_eq!(verdict(&prog, nr("clone"), CLONE_THREAD_FLAGS), ALLOW);
    assert_eq!(verdict(&prog, nr("clone"), 17 /* SIGCHLD: fork */), ALLOW);
    for flags in [CLONE_NEWUSER, CLONE_NEWNET | 17, 0x80, 0x0002_0000] {
        assert_eq!(verdict(&prog, nr("clone"), flags), KILL, "{flags:#x}");
    }
    assert_eq!(verdict(&prog, nr("clone3"), 0), ERRNO | 38);

    let prog = compile(&policy(&["read"], Action::Errno(1))).unwrap();
    assert_eq!(verdict(&prog, nr("clone"), 17), ERRNO | 1);
    assert_eq!(verdict(&prog, nr("clone"), CLONE_NEWUSER), KILL);
}

#[test]
fn the_whole_table_compiles_and_every_entry_is_reachable() {
    let all: Vec<&str> = (0..=450)
        .filter_map(syscall_name)
        .filter(|n| !NEVER_ALLOWED.iter().any(|(b, _)| b == n))
        .collect();
    let prog = compile(&policy(&all, Action::KillProcess)).unwrap();
    assert!(prog.len() <= 4096, "{}", prog.len());
    let mut worst = 0;
    for name in &all {
        let (ret, steps) = run(&prog, &Data::x86_64(nr(name), [AF_UNIX, 0, 0, 0, 0, 0]));
        worst = worst.max(steps);
        // clone3 and openat2 keep their flags in memory the filter cannot
        // read: ENOSYS, and libc falls back.
        let expected = if ["clone3", "openat2"].contains(name) {
            ERRNO | 38
        } else {
            ALLOW
        };
        assert_eq!(ret, expected, "{name}");
    }
    eprintln!(
        "full table: {} allowed, {} instructions, worst path {worst}",
        all.len(),
        prog.len()
    );
}

#[test]
fn forbidden_and_unknown_names_do_not_compile() {
    let err = compile(&policy(&["read", "ptrace"], Action::KillProcess)).unwrap_err();
    assert!(
        matches!(&err, BpfError::ForbiddenSyscall { name, .. } if name == "ptrace"),
        "{err:?}"
    );
    assert!(err.to_string().contains("ptrace"));
    let err = compile(&policy(&["bind"], Action::KillProcess)).unwrap_err();
    assert!(matches!(err, BpfError::ForbiddenSyscall { .. }));
    assert_eq!(
        compile(&policy(&["read", "fstatat"], Action::KillProcess)),
        Err(BpfError::UnknownSyscall {
            name: "fstatat".into()
        })
    );
    assert_eq!(
        compile(&policy(&["read"], Action::Errno(4096))),
        Err(BpfError::InvalidErrno { errno: 4096 })
    );
}

#[test]
fn install_rejects_empty_and_oversized_programs_before_any_syscall() {
    assert_eq!(install(&[]), Err(BpfError::TooLong { instructions: 0 }));
    let big = vec![
        SockFilter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: ALLOW
        };
        4097
    ];
    assert_eq!(install(&big), Err(BpfError::TooLong { instructions: 4097 }));
}

// ---------------------------------------------------------------------------
// Real filters on real children.

fn spawn_filtered(policy: &SyscallPolicy, argv: &[&str]) -> ExitStatus {
    let prog = compile(policy).expect("policy compiles");
    #[expect(
        clippy::disallowed_methods,
        reason = "agent-muscle's own test runs the filtered child"
    )]
    let mut cmd = Command::new(argv[0]);
    cmd.args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: the hook runs in the forked child before exec; `install` only
    // makes the prctl and seccomp syscalls and allocates nothing, and the
    // error path builds an io::Error from a raw errno (no allocation).
    unsafe {
        cmd.pre_exec(move || {
            install(&prog).map_err(|e| match e {
                BpfError::Install { errno, .. } => std::io::Error::from_raw_os_error(errno),
                _ => std::io::Error::from_raw_os_error(libc::EINVAL),
            })
        });
    }
    cmd.status().expect("child spawns")
}

fn base_with(extra: &[&[(&str, &str)]], default: Action) -> SyscallPolicy {
    let mut lists: Vec<&[(&str, &str)]> = vec![BASE];
    lists.extend_from_slice(extra);
    SyscallPolicy {
        allow: names(&lists),
        default_action: default,
        socket_domains: vec![],
        refused_domains: vec![],
        refused_syscalls: vec![],
    }
}

fn assert_sigsys(status: ExitStatus, what: &str) {
    assert_eq!(
        status.signal(),
        Some(libc::SIGSYS),
        "{what}: expected SIGSYS, got {status:?}"
    );
}

#[test]
fn bin_true_runs_under_the_base_list() {
    let status = spawn_filtered(&base_with(&[], Action::KillProcess), &["/bin/true"]);
    assert!(status.success(), "{status:?}");
}

#[test]
fn bin_true_dies_without_a_syscall_it_needs() {
    let mut p = base_with(&[], Action::KillProcess);
    p.allow.retain(|n| n != "mprotect");
    assert_sigsys(
        spawn_filtered(&p, &["/bin/true"]),
        "/bin/true without mprotect",
    );
}

#[test]
fn ls_and_id_run_with_af_unix_and_connect() {
    let p = base_with(&[LS_ID], Action::KillProcess);
    for argv in [&["/bin/ls", "-la", "/"][..], &["/usr/bin/id"][..]] {
        let status = spawn_filtered(&p, argv);
        assert!(status.success(), "{argv:?}: {status:?}");
    }
}

#[test]
fn tcp_socket_is_killed_even_under_default_allow() {
    let p = policy(&[], Action::Allow);
    let status = spawn_filtered(&p, &["/bin/bash", "-c", "echo x > /dev/tcp/127.0.0.1/9"]);
    assert_sigsys(status, "bash /dev/tcp");
    for code in [
        "import socket; socket.socket()",
        "import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM)",
        "import socket; socket.socket(socket.AF_INET6, socket.SOCK_STREAM)",
        "import socket; socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)",
        "import socket; socket.socketpair(socket.AF_INET)",
    ] {
        assert_sigsys(spawn_filtered(&p, &["/usr/bin/python3", "-c", code]), code);
    }
    // The same interpreter may use AF_UNIX.
    let status = spawn_filtered(
        &p,
        &[
            "/usr/bin/python3",
            "-c",
            "import socket; socket.socket(socket.AF_UNIX); socket.socketpair()",
        ],
    );
    assert!(status.success(), "{status:?}");
}

#[test]
fn hard_blocked_syscalls_are_killed_even_under_default_allow() {
    let p = policy(&[], Action::Allow);
    assert_sigsys(
        spawn_filtered(&p, &["/usr/bin/unshare", "-U", "/bin/true"]),
        "unshare -U",
    );
    for code in [
        // ptrace(PTRACE_TRACEME)
        "import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)",
        // an x32 getpid
        "import ctypes; ctypes.CDLL(None).syscall(0x40000027)",
        // clone(CLONE_NEWUSER | SIGCHLD)
        "import ctypes; ctypes.CDLL(None).syscall(56, 0x10000011, 0, 0, 0, 0)",
        "import os; os.fork() or os._exit(0); os.wait()",
    ] {
        let status = spawn_filtered(&p, &["/usr/bin/python3", "-c", code]);
        if code.contains("fork") {
            assert!(status.success(), "plain fork must work: {status:?}");
        } else {
            assert_sigsys(status, code);
        }
    }
}

#[test]
fn threads_and_subprocesses_fall_back_from_clone3_to_clone() {
    // glibc >= 2.34 tries clone3 first; the filter answers ENOSYS and glibc
    // retries with clone, whose flags the filter can check.
    let p = policy(&["clone", "clone3"], Action::Allow);
    let code = "import threading, subprocess\n\
                t = threading.Thread(target=lambda: None); t.start(); t.join()\n\
                assert subprocess.run(['/bin/true']).returncode == 0";
    let status = spawn_filtered(&p, &["/usr/bin/python3", "-c", code]);
    assert!(status.success(), "{status:?}");
}

#[test]
fn program_sizes_and_lookup_costs() {
    let base = compile(&base_with(&[], Action::KillProcess)).expect("compiles");
    let ls_id = compile(&base_with(&[LS_ID], Action::KillProcess)).expect("compiles");
    let all: Vec<&str> = (0..=agent_muscle::bpf::MAX_NR)
        .filter_map(syscall_name)
        .filter(|n| !NEVER_ALLOWED.iter().any(|(b, _)| b == n))
        .collect();
    let everything = compile(&policy(&all, Action::KillProcess)).expect("compiles");
    // The most instructions any syscall number executes (the kernel runs the
    // filter once per number when it builds its action cache).
    let worst = |prog: &[SockFilter]| {
        (0..=agent_muscle::bpf::MAX_NR)
            .map(|n| run(prog, &Data::x86_64(n, [0; 6])).1)
            .max()
            .unwrap_or(0)
    };
    eprintln!(
        "instructions / worst lookup: BASE {} / {}, BASE+LS_ID {} / {}, whole table {} / {}",
        base.len(),
        worst(&base),
        ls_id.len(),
        worst(&ls_id),
        everything.len(),
        worst(&everything)
    );
    for prog in [&base, &ls_id, &everything] {
        assert!(prog.len() < 400, "{}", prog.len());
        assert!(worst(prog) <= 40, "{}", worst(prog));
    }
}

#[test]
fn notify_mode_routes_denials_and_watched_calls_to_the_supervisor() {
    use agent_muscle::bpf::{compile_with, CompileOptions};
    const NOTIF: u32 = 0x7fc0_0000;
    const KILL: u32 = 0x8000_0000;
    const ALLOW: u32 = 0x7fff_0000;
    let p = policy(
        &["read", "openat", "newfstatat", "socket"],
        Action::KillProcess,
    );
    let options = CompileOptions {
        notify_denials: true,
        watch: vec![nr("openat"), nr("newfstatat"), nr("mkdir")],
        empty_path_arg: vec![(nr("newfstatat"), 3)],
        private_loopback_server: false,
    };
    let prog = compile_with(&p, &options).unwrap();
    let at = |name: &str, args: [u64; 6]| run(&prog, &Data::x86_64(nr(name), args)).0;
    // Denials: the supervisor learns of them instead of an outright kill.
    assert_eq!(at("ptrace", [0; 6]), NOTIF, "hard block list");
    assert_eq!(at("getpid", [0; 6]), NOTIF, "outside the profile");
    assert_eq!(at("socket", [2, 1, 0, 0, 0, 0]), NOTIF, "AF_INET");
    assert_eq!(at("socket", [1, 1, 0, 0, 0, 0]), ALLOW, "AF_UNIX");
    // Watched and allowed: asked; watched but not allowed: still a denial.
    assert_eq!(at("openat", [0; 6]), NOTIF);
    assert_eq!(at("mkdir", [0; 6]), NOTIF);
    assert_eq!(at("read", [0; 6]), ALLOW, "not watched");
    // fstat is newfstatat(fd, "", AT_EMPTY_PATH): no path to check.
    assert_eq!(at("newfstatat", [3, 0, 0, 0x1000, 0, 0]), ALLOW);
    assert_eq!(at("newfstatat", [3, 0, 0, 0x100, 0, 0]), NOTIF);
    // The architecture guards still kill at once.
    let foreign = Data {
        nr: 3,
        arch: 0x4000_0003,
        args: [0; 6],
    };
    assert_eq!(run(&prog, &foreign).0, KILL);
    // Without notify mode the same denials kill.
    let plain = compile_with(&p, &CompileOptions::default()).unwrap();
    assert_eq!(run(&plain, &Data::x86_64(nr("getpid"), [0; 6])).0, KILL);
    assert_eq!(run(&plain, &Data::x86_64(nr("openat"), [0; 6])).0, ALLOW);
}

#[test]
fn refused_socket_domains_fail_without_a_kill() {
    const ERRNO_EAFNOSUPPORT: u32 = 0x0005_0000 | 97;
    const KILL: u32 = 0x8000_0000;
    let mut p = policy(&["socket"], Action::KillProcess);
    p.refused_domains = vec![libc::AF_NETLINK];
    let prog = compile(&p).unwrap();
    assert_eq!(
        verdict(&prog, nr("socket"), 16),
        ERRNO_EAFNOSUPPORT,
        "netlink"
    );
    assert_eq!(verdict(&prog, nr("socket"), 1), 0x7fff_0000, "unix");
    assert_eq!(
        verdict(&prog, nr("socket"), 2),
        KILL,
        "inet is still a kill"
    );
    assert_eq!(
        verdict(&prog, nr("socket"), 17),
        KILL,
        "packet is still a kill"
    );
}

#[test]
fn refused_syscalls_fail_with_enosys_even_from_the_block_list() {
    const ERRNO_ENOSYS: u32 = 0x0005_0000 | 38;
    const KILL: u32 = 0x8000_0000;
    let mut p = policy(&["read"], Action::KillProcess);
    p.refused_syscalls = vec!["io_uring_setup".into(), "mlock".into()];
    let prog = compile(&p).unwrap();
    assert_eq!(verdict(&prog, nr("io_uring_setup"), 0), ERRNO_ENOSYS);
    assert_eq!(verdict(&prog, nr("mlock"), 0), ERRNO_ENOSYS);
    assert_eq!(
        verdict(&prog, nr("io_uring_enter"), 0),
        KILL,
        "not refused: killed"
    );
    p.refused_syscalls = vec!["no_such_call".into()];
    assert!(compile(&p).is_err());
}

#[test]
fn set_id_modes_are_refused_and_ordinary_modes_pass() {
    use agent_muscle::bpf::{compile_with, CompileOptions};
    const NOTIF: u32 = 0x7fc0_0000;
    const EPERM: u32 = ERRNO | 1;
    let p = policy(
        &[
            "open", "openat", "creat", "chmod", "fchmod", "fchmodat", "mknodat", "openat2",
        ],
        Action::KillProcess,
    );
    let prog = compile(&p).unwrap();
    let at = |name: &str, args: [u64; 6]| run(&prog, &Data::x86_64(nr(name), args)).0;
    const O_CREAT: u64 = 0o100;
    const O_TMPFILE: u64 = 0o20_200_000;
    // chmod u+s / g+s, 4755, 2755, 6755: refused with EPERM, the task goes on.
    for mode in [0o4755, 0o2755, 0o6755, 0o4000] {
        assert_eq!(at("chmod", [0, mode, 0, 0, 0, 0]), EPERM, "chmod {mode:o}");
        assert_eq!(
            at("fchmod", [3, mode, 0, 0, 0, 0]),
            EPERM,
            "fchmod {mode:o}"
        );
        assert_eq!(
            at("fchmodat", [3, 0, mode, 0, 0, 0]),
            EPERM,
            "fchmodat {mode:o}"
        );
        assert_eq!(at("creat", [0, mode, 0, 0, 0, 0]), EPERM, "creat {mode:o}");
        assert_eq!(
            at("mknodat", [3, 0, 0o100000 | mode, 0, 0, 0]),
            EPERM,
            "mknodat {mode:o}"
        );
        assert_eq!(
            at("openat", [3, 0, O_CREAT, mode, 0, 0]),
            EPERM,
            "openat {mode:o}"
        );
        assert_eq!(
            at("openat", [3, 0, O_TMPFILE | 2, mode, 0, 0]),
            EPERM,
            "O_TMPFILE"
        );
        assert_eq!(
            at("open", [0, O_CREAT | 1, mode, 0, 0, 0]),
            EPERM,
            "open {mode:o}"
        );
    }
    // Ordinary modes, sticky directories and opens without a create flag
    // (whose mode register means nothing) pass.
    for mode in [0o755, 0o644, 0o1777, 0o777] {
        assert_eq!(at("chmod", [0, mode, 0, 0, 0, 0]), ALLOW, "chmod {mode:o}");
        assert_eq!(at("fchmodat", [3, 0, mode, 0, 0, 0]), ALLOW);
        assert_eq!(at("openat", [3, 0, O_CREAT, mode, 0, 0]), ALLOW);
    }
    assert_eq!(at("openat", [3, 0, 0, 0o6755, 0, 0]), ALLOW, "no O_CREAT");
    assert_eq!(at("open", [0, 2, 0o4755, 0, 0, 0]), ALLOW, "no O_CREAT");
    // The upper word of a mode is not a way around the check.
    assert_eq!(at("chmod", [0, 0xffff_0000_0000_4755, 0, 0, 0, 0]), EPERM);
    // openat2 hides its mode in memory: ENOSYS, so libc uses openat.
    assert_eq!(at("openat2", [3, 0, 0, 24, 0, 0]), ERRNO | 38);
    // With the supervisor watching paths, the set-id check still comes first.
    let watched = compile_with(
        &p,
        &CompileOptions {
            notify_denials: true,
            watch: vec![nr("openat"), nr("chmod")],
            empty_path_arg: vec![],
            private_loopback_server: false,
        },
    )
    .unwrap();
    let w = |name: &str, args: [u64; 6]| run(&watched, &Data::x86_64(nr(name), args)).0;
    assert_eq!(w("chmod", [0, 0o4755, 0, 0, 0, 0]), EPERM);
    assert_eq!(w("chmod", [0, 0o755, 0, 0, 0, 0]), NOTIF);
    assert_eq!(w("openat", [3, 0, O_CREAT, 0o644, 0, 0]), NOTIF);
    // A profile without chmod still kills it (the check adds no allowance).
    let narrow = compile(&policy(&["read"], Action::KillProcess)).unwrap();
    assert_eq!(
        run(&narrow, &Data::x86_64(nr("chmod"), [0, 0o4755, 0, 0, 0, 0])).0,
        KILL
    );
}

#[test]
fn bind_and_listen_stay_blocked_unless_a_private_loopback_server_is_asked_for() {
    use agent_muscle::bpf::{compile_with, CompileOptions};
    let p = policy(&["read", "socket"], Action::KillProcess);
    let plain = compile(&p).unwrap();
    let served = compile_with(
        &p,
        &CompileOptions {
            private_loopback_server: true,
            ..CompileOptions::default()
        },
    )
    .unwrap();
    for name in ["bind", "listen"] {
        assert_eq!(
            run(&plain, &Data::x86_64(nr(name), [0; 6])).0,
            KILL,
            "{name}"
        );
        assert_eq!(
            run(&served, &Data::x86_64(nr(name), [0; 6])).0,
            ALLOW,
            "{name}"
        );
    }
    // Everything else on the hard block list still kills.
    assert_eq!(run(&served, &Data::x86_64(nr("ptrace"), [0; 6])).0, KILL);
    assert_eq!(run(&served, &Data::x86_64(nr("getpid"), [0; 6])).0, KILL);
}
