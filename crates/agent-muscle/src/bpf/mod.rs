//! The seccomp-bpf filter compiler: syscall policy in, classic BPF program out.
//!
//! This module is *mechanism*. It does not decide which syscalls a task may
//! make — that is agent-immune's profiles, handed in as a [`SyscallPolicy`].
//! What it does own are the rules no profile can weaken:
//!
//! 1. **Foreign architectures die.** A syscall whose `seccomp_data.arch` is not
//!    [`AUDIT_ARCH_X86_64`] (for example `int 0x80`, which enters as i386 with
//!    different numbers) returns `SECCOMP_RET_KILL_PROCESS`.
//! 2. **The x32 ABI dies.** x32 calls carry [`X32_SYSCALL_BIT`] in the number
//!    and would otherwise alias the x86_64 numbers the policy allowed.
//! 3. **Numbers the table does not know get `ENOSYS`.** The table
//!    ([`syscall_name`]) is generated from the kernel header on the build
//!    machine; a newer kernel has syscalls it does not list. They can never be
//!    allowed, and `ENOSYS` lets libc fall back to an older call.
//! 4. **The hard block list ([`NEVER_ALLOWED`]) always kills.** A policy that
//!    lists one of them does not compile ([`BpfError::ForbiddenSyscall`]).
//! 5. **Sockets are filtered by domain.** `socket()` and `socketpair()` may only
//!    create sockets in the policy's `socket_domains` (AF_UNIX alone when the
//!    list is empty); any other domain — `AF_INET`, `AF_INET6`, `AF_PACKET`,
//!    `AF_NETLINK`, … — kills the process, whatever `default_action` says
//!    (or, for the policy's `refused_domains`, fails with `EAFNOSUPPORT`). So
//!    no TCP, UDP, raw, packet or netlink socket can even be created.
//!    `connect`, `sendto` and `sendmsg` are *not* blocked: glibc connects to
//!    nscd's AF_UNIX socket from `getpwuid()` (so a kill on every `connect`
//!    breaks `ls -la` and `id`), and seccomp cannot read `connect`'s address.
//!    With only AF_UNIX sockets creatable, those calls can only reach UNIX
//!    sockets — and keeping *host* UNIX sockets (docker.sock, …) out of reach
//!    is the mount view's job at the `seccomp` level, not this filter's.
//!    `bind` and `listen` are in the hard block list (the seed's list has
//!    `bind`; a task has no business serving anything).
//! 6. **Namespaces cannot be created through `clone`.** `clone` with any
//!    `CLONE_NEW*` flag kills; `clone3` gets `ENOSYS`, because its flags are in
//!    memory the filter cannot read (glibc ≥ 2.34 then falls back to `clone`).
//! 7. Syscalls the policy allows return `SECCOMP_RET_ALLOW`; everything else
//!    gets the policy's `default_action`.
//!
//! # Program shape
//!
//! The guards (architecture, x32, numbers past the table), then short blocks
//! for the syscalls whose arguments are checked (`socket`, `socketpair`,
//! `clone`, `clone3`, watched calls with `AT_EMPTY_PATH`), then a binary
//! search over the whole number space split into ranges with one verdict
//! each (hard block list, watched, allowed, default). A lookup costs about
//! log2(ranges) comparisons. That matters twice: for the calls the kernel
//! cannot answer from its per-number action cache (Linux ≥ 5.11 evaluates the
//! filter for every number at install time and lets constant-`ALLOW` numbers
//! skip it afterwards), and for that install-time evaluation itself, which a
//! linear list of ~400 numbers made cost about a millisecond per task on
//! these machines. Programs are capped at [`MAX_INSNS`] (4096) instructions,
//! the kernel's `BPF_MAXINSNS`.
//!
//! # Installing
//!
//! [`install`] sets `PR_SET_NO_NEW_PRIVS` and installs the program with
//! `seccomp(SECCOMP_SET_MODE_FILTER)`; it allocates nothing and makes only
//! async-signal-safe calls, so it can run in a `pre_exec` hook between `fork`
//! and `exec`. It does not pass `SECCOMP_FILTER_FLAG_TSYNC`: the forked child
//! has one thread, and the filter must *not* reach the (multi-threaded)
//! parent. [`install_with_listener`] is the same with a user-notification fd.
//!
//! # Examples
//!
//! ```
//! use agent_muscle::bpf::{compile, Action, SyscallPolicy};
//!
//! let policy = SyscallPolicy {
//!     allow: vec!["read".into(), "write".into(), "exit_group".into()],
//!     default_action: Action::KillProcess,
//!     socket_domains: vec![],
//!     refused_domains: vec![],
//!     refused_syscalls: vec![],
//! };
//! let program = compile(&policy).expect("a valid policy");
//! assert!(program.len() < 100);
//!
//! let forbidden = SyscallPolicy { allow: vec!["ptrace".into()], ..policy };
//! assert!(compile(&forbidden).is_err());
//! ```

mod families;
mod install;
mod program;
mod syscalls;

use serde::{Deserialize, Serialize};

pub use families::{socket_family_name, socket_family_number, SOCKET_FAMILIES};
pub use install::{install, install_with_listener};
pub use program::{compile, compile_with, CompileOptions};

/// The highest syscall number in the table; the filter answers higher ones
/// with `ENOSYS`.
pub const MAX_NR: i64 = syscalls::MAX_NR;

/// `AUDIT_ARCH_X86_64` from `<linux/audit.h>`: `EM_X86_64 | __AUDIT_ARCH_64BIT
/// | __AUDIT_ARCH_LE`.
pub const AUDIT_ARCH_X86_64: u32 = 0xC000_003E;

/// `__X32_SYSCALL_BIT` from `<asm/unistd.h>`: set in the number of every x32
/// ABI syscall.
pub const X32_SYSCALL_BIT: u32 = 0x4000_0000;

/// The kernel's limit on a classic BPF program (`BPF_MAXINSNS`).
pub const MAX_INSNS: usize = 4096;

/// What a task may call, as data. Built by agent-immune's profiles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyscallPolicy {
    /// Syscall names (x86_64 spelling, e.g. `newfstatat`) that return
    /// `SECCOMP_RET_ALLOW`. Must not contain a [`NEVER_ALLOWED`] name.
    pub allow: Vec<String>,
    /// What every syscall not allowed (and not hard-blocked) gets.
    pub default_action: Action,
    /// `AF_*` domains `socket()`/`socketpair()` may create (a profile names
    /// them; [`socket_family_number`] has the numbers); empty means
    /// `AF_UNIX` only. Any other domain kills the process, unless it is
    /// listed in `refused_domains`.
    #[serde(default)]
    pub socket_domains: Vec<i32>,
    /// `AF_*` domains whose `socket()`/`socketpair()` fails with
    /// `EAFNOSUPPORT` instead of killing (a tool that probes, say, netlink
    /// inside a `try` and copes with the failure). No socket is created
    /// either way.
    #[serde(default)]
    pub refused_domains: Vec<i32>,
    /// Syscalls that fail with `ENOSYS` instead of killing (a program that
    /// probes, say, `io_uring_setup` and falls back without it). They never
    /// run; a name from [`NEVER_ALLOWED`] may be listed here.
    #[serde(default)]
    pub refused_syscalls: Vec<String>,
}

/// A filter verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Run the syscall.
    Allow,
    /// Kill the whole process with SIGSYS (`SECCOMP_RET_KILL_PROCESS`).
    KillProcess,
    /// Fail the syscall with this errno (1..=4095) without running it.
    Errno(u16),
    /// Run the syscall and log it to the audit log (`SECCOMP_RET_LOG`).
    Log,
    /// Ask the supervisor holding the listener fd
    /// ([`install_with_listener`]); without a listener the kernel answers
    /// `ENOSYS`.
    UserNotif,
}

impl Action {
    /// The `SECCOMP_RET_*` value a `RET` instruction returns for this action.
    #[must_use]
    pub fn seccomp_ret(self) -> u32 {
        match self {
            Action::Allow => libc::SECCOMP_RET_ALLOW,
            Action::KillProcess => libc::SECCOMP_RET_KILL_PROCESS,
            Action::Errno(errno) => libc::SECCOMP_RET_ERRNO | u32::from(errno),
            Action::Log => libc::SECCOMP_RET_LOG,
            Action::UserNotif => libc::SECCOMP_RET_USER_NOTIF,
        }
    }
}

/// Syscalls no policy can allow, each with the reason; they always return
/// `SECCOMP_RET_KILL_PROCESS`.
pub const NEVER_ALLOWED: &[(&str, &str)] = &[
    (
        "bind",
        "the seed's block list: a task must not serve on any socket",
    ),
    ("listen", "a task must not serve on any socket"),
    (
        "ptrace",
        "the seed's block list: inspects and controls other processes",
    ),
    ("process_vm_readv", "reads another process's memory"),
    ("process_vm_writev", "writes another process's memory"),
    (
        "mount",
        "the seed's block list: changes the filesystem view",
    ),
    (
        "umount2",
        "the seed's block list (x86_64 has no umount): unmasks paths",
    ),
    ("pivot_root", "changes the filesystem root"),
    ("chroot", "changes the filesystem root"),
    ("open_tree", "new mount API: clones a mount tree"),
    ("move_mount", "new mount API: attaches a mount"),
    ("fsopen", "new mount API: creates a filesystem context"),
    ("fsconfig", "new mount API: configures a filesystem context"),
    ("fsmount", "new mount API: creates a mount"),
    ("fspick", "new mount API: reconfigures a mount"),
    ("mount_setattr", "new mount API: changes mount flags"),
    (
        "open_by_handle_at",
        "opens files by handle, bypassing the mount view",
    ),
    (
        "name_to_handle_at",
        "produces handles for open_by_handle_at",
    ),
    ("setns", "joins another namespace"),
    (
        "unshare",
        "creates namespaces (kernel attack surface, escapes the view)",
    ),
    ("reboot", "the seed's block list: reboots or halts the host"),
    ("kexec_load", "replaces the running kernel"),
    ("kexec_file_load", "replaces the running kernel"),
    ("init_module", "loads kernel code"),
    ("finit_module", "loads kernel code"),
    ("delete_module", "unloads kernel code"),
    ("create_module", "obsolete module call"),
    ("query_module", "obsolete module call"),
    ("get_kernel_syms", "obsolete module call"),
    ("iopl", "the seed's block list: raw I/O port access"),
    ("ioperm", "raw I/O port access"),
    ("bpf", "loads eBPF programs (large kernel attack surface)"),
    (
        "perf_event_open",
        "kernel and hardware profiling (attack surface, side channels)",
    ),
    (
        "userfaultfd",
        "stalls kernel page faults, a staple of kernel exploits",
    ),
    (
        "io_uring_setup",
        "io_uring performs syscalls the filter never sees",
    ),
    (
        "io_uring_enter",
        "io_uring performs syscalls the filter never sees",
    ),
    (
        "io_uring_register",
        "io_uring performs syscalls the filter never sees",
    ),
    ("keyctl", "the kernel keyring is not namespaced"),
    ("add_key", "the kernel keyring is not namespaced"),
    ("request_key", "the kernel keyring is not namespaced"),
    ("swapon", "changes host swap"),
    ("swapoff", "changes host swap"),
    ("acct", "switches host process accounting"),
    ("settimeofday", "sets the host clock"),
    ("clock_settime", "sets the host clock"),
    ("clock_adjtime", "adjusts the host clock"),
    ("adjtimex", "adjusts the host clock"),
    ("quotactl", "changes filesystem quotas"),
    ("lookup_dcookie", "kernel profiling interface"),
    ("_sysctl", "obsolete kernel tunable interface"),
    ("uselib", "obsolete loader call (old exploit surface)"),
    ("nfsservctl", "obsolete NFS server control"),
];

/// One classic BPF instruction, laid out exactly like the kernel's
/// `struct sock_filter` (and [`libc::sock_filter`]).
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SockFilter {
    /// Opcode (`BPF_LD | BPF_W | BPF_ABS`, `BPF_JMP | BPF_JEQ | BPF_K`, …).
    pub code: u16,
    /// Jump offset when the condition holds.
    pub jt: u8,
    /// Jump offset when it does not.
    pub jf: u8,
    /// The constant operand.
    pub k: u32,
}

const _: () = {
    assert!(std::mem::size_of::<SockFilter>() == std::mem::size_of::<libc::sock_filter>());
    assert!(std::mem::align_of::<SockFilter>() == std::mem::align_of::<libc::sock_filter>());
};

impl From<SockFilter> for libc::sock_filter {
    fn from(f: SockFilter) -> Self {
        libc::sock_filter {
            code: f.code,
            jt: f.jt,
            jf: f.jf,
            k: f.k,
        }
    }
}

/// Why a policy did not compile or a filter did not install.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BpfError {
    /// The name is not in the x86_64 syscall table.
    #[error("unknown syscall `{name}` (not in the x86_64 syscall table)")]
    UnknownSyscall {
        /// The name as the policy spelled it.
        name: String,
    },
    /// The policy allows a syscall from [`NEVER_ALLOWED`].
    #[error("syscall `{name}` can never be allowed: {reason}")]
    ForbiddenSyscall {
        /// The syscall.
        name: String,
        /// Why it is on the hard block list.
        reason: &'static str,
    },
    /// `Action::Errno` outside 1..=4095 (0 would fake success; the kernel
    /// caps errno at 4095).
    #[error("errno {errno} is outside 1..=4095")]
    InvalidErrno {
        /// The value given.
        errno: u16,
    },
    /// A socket domain outside 0..=255 (`AF_MAX` is 46).
    #[error("socket domain {domain} is outside 0..=255")]
    InvalidSocketDomain {
        /// The value given.
        domain: i32,
    },
    /// The program exceeds [`MAX_INSNS`].
    #[error("the filter has {instructions} instructions; the kernel accepts at most 4096")]
    TooLong {
        /// Its length.
        instructions: usize,
    },
    /// `prctl` or `seccomp` failed.
    #[error("installing the seccomp filter failed at {step} (errno {errno})")]
    Install {
        /// The call that failed.
        step: &'static str,
        /// Its errno.
        errno: i32,
    },
}

/// The x86_64 number of a syscall, by its kernel name (`newfstatat`, not
/// `fstatat`).
#[must_use]
pub fn syscall_number(name: &str) -> Option<i64> {
    syscalls::SYSCALLS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, nr)| nr)
}

/// The kernel name of an x86_64 syscall number.
#[must_use]
pub fn syscall_name(nr: i64) -> Option<&'static str> {
    syscalls::SYSCALLS
        .binary_search_by_key(&nr, |&(_, n)| n)
        .ok()
        .map(|i| syscalls::SYSCALLS[i].0)
}

/// The reason `name` is on the hard block list, if it is.
#[must_use]
pub fn never_allowed_reason(name: &str) -> Option<&'static str> {
    NEVER_ALLOWED
        .iter()
        .find(|(n, _)| *n == name)
        .map(|&(_, reason)| reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_round_trips() {
        assert_eq!(syscall_number("read"), Some(0));
        assert_eq!(syscall_number("ptrace"), Some(101));
        assert_eq!(syscall_name(59), Some("execve"));
        assert_eq!(syscall_number("fstatat"), None);
        for &(name, nr) in syscalls::SYSCALLS {
            assert_eq!(syscall_name(nr), Some(name));
            assert_eq!(syscall_number(name), Some(nr));
        }
    }

    #[test]
    fn every_never_allowed_name_is_a_real_syscall() {
        for (name, _) in NEVER_ALLOWED {
            assert!(syscall_number(name).is_some(), "{name}");
        }
    }
}
