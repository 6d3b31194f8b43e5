//! Compiles a [`SyscallPolicy`] into a classic BPF program (see the module
//! docs in `bpf/mod.rs` for the rules and the program's shape).

use super::{
    never_allowed_reason, syscall_number, syscalls::MAX_NR, Action, BpfError, SockFilter,
    SyscallPolicy, AUDIT_ARCH_X86_64, MAX_INSNS, NEVER_ALLOWED, X32_SYSCALL_BIT,
};

// Classic BPF opcodes (<linux/filter.h>, <linux/bpf_common.h>).
const LD_W_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
const JEQ_K: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
const JGT_K: u16 = 0x25; // BPF_JMP | BPF_JGT | BPF_K
const JGE_K: u16 = 0x35; // BPF_JMP | BPF_JGE | BPF_K
const JSET_K: u16 = 0x45; // BPF_JMP | BPF_JSET | BPF_K
const JA: u16 = 0x05; // BPF_JMP | BPF_JA (32-bit offset in k)
const RET_K: u16 = 0x06; // BPF_RET | BPF_K

// Offsets into `struct seccomp_data` (little-endian; the low word of an
// argument comes first).
const NR_OFFSET: u32 = 0;
const ARCH_OFFSET: u32 = 4;
const ARG0_LO_OFFSET: u32 = 16;

/// The longest run of `JEQ`s sharing one `RET`: the first `JEQ` jumps
/// `run - 1` instructions forward, and the last skips the `RET` with
/// `jf = 1`, so every offset fits a `u8`.
const MAX_RUN: usize = 255;

/// Every `CLONE_NEW*` flag: `NEWTIME | NEWNS | NEWCGROUP | NEWUTS | NEWIPC |
/// NEWUSER | NEWPID | NEWNET`.
const CLONE_NEW_MASK: u32 = 0x0000_0080
    | 0x0002_0000
    | 0x0200_0000
    | 0x0400_0000
    | 0x0800_0000
    | 0x1000_0000
    | 0x2000_0000
    | 0x4000_0000;

const AF_UNIX: i32 = 1;
const AT_EMPTY_PATH: u32 = 0x1000;
const ENOSYS: u16 = 38;
const EPERM: u16 = 1;
/// `S_ISUID | S_ISGID`.
const SET_ID_BITS: u32 = 0o6000;
/// `O_CREAT | __O_TMPFILE`: the flags with which `open` uses its mode.
const CREATE_FLAGS: u32 = 0o100 | 0o20_000_000;

/// Syscalls whose mode argument may carry set-user-ID or set-group-ID bits:
/// `(number, flags argument that must hold a create flag, mode argument)`.
/// The workspace is nosuid, but the *host* runs what the task leaves there:
/// a setuid-root copy of `sh` made by a task whose uid maps to root would be
/// a root shell for any local user. So the filter refuses the mode with
/// `EPERM` (`chmod u+s`, `install -m 4755`, `tar` keeping set-id bits);
/// the call fails, the task goes on.
const SET_ID_MODE_CALLS: &[(i64, Option<u32>, u32)] = &[
    (2, Some(1), 2),   // open(path, flags, mode)
    (257, Some(2), 3), // openat(dirfd, path, flags, mode)
    (85, None, 1),     // creat(path, mode)
    (90, None, 1),     // chmod(path, mode)
    (91, None, 1),     // fchmod(fd, mode)
    (268, None, 2),    // fchmodat(dirfd, path, mode)
    (452, None, 2),    // fchmodat2(dirfd, path, mode, flags)
    (133, None, 1),    // mknod(path, mode, dev)
    (259, None, 2),    // mknodat(dirfd, path, mode, dev)
];

/// `openat2`: its mode is inside `struct open_how` in memory, which the
/// filter cannot read, so it gets `ENOSYS` (libc falls back to `openat`).
const OPENAT2: i64 = 437;
const EAFNOSUPPORT: u16 = 97;

/// Syscalls with their own blocks; never part of the plain allow runs.
const SOCKET: i64 = 41;
const SOCKETPAIR: i64 = 53;
const CLONE: i64 = 56;
const CLONE3: i64 = 435;

fn stmt(code: u16, k: u32) -> SockFilter {
    SockFilter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> SockFilter {
    SockFilter { code, jt, jf, k }
}

fn ret(action: Action) -> SockFilter {
    stmt(RET_K, action.seccomp_ret())
}

/// A syscall number (or socket domain) as the 32-bit `k` operand it is
/// compared with. Callers pass 0..=MAX_NR or 0..=255, so this never truncates.
fn nr_k(nr: i64) -> u32 {
    u32::try_from(nr).unwrap_or(u32::MAX)
}

/// Appends `JEQ n0 … JEQ nk` runs, each ending in `RET action`; a number
/// that matches returns `action`, anything else falls through with the
/// accumulator (the syscall number) unchanged.
fn emit_runs(out: &mut Vec<SockFilter>, nrs: &[i64], action: Action) {
    for run in nrs.chunks(MAX_RUN) {
        let len = run.len();
        for (i, &nr) in run.iter().enumerate() {
            // Jump to the RET right after the run; `len - 1 - i` <= 254.
            let jt = u8::try_from(len - 1 - i).unwrap_or(u8::MAX);
            let jf = u8::from(i == len - 1);
            out.push(jump(JEQ_K, nr_k(nr), jt, jf));
        }
        out.push(ret(action));
    }
}

/// A binary search over `ranges` (each a first number and the action for
/// it and every number up to the next range's first), sorted and starting
/// at 0: `JGE` on the middle range's first number, the lower half next, the
/// upper half after it (reached through a `JA` when the lower half is longer
/// than an 8-bit jump). Every path ends in a `RET`; a lookup takes about
/// log2(ranges) comparisons, and so does the kernel's per-number emulation
/// when it prepares its action cache at install time.
fn range_tree(ranges: &[(u32, Action)]) -> Vec<SockFilter> {
    match ranges {
        [] => vec![ret(Action::KillProcess)],
        [(_, action)] => vec![ret(*action)],
        _ => {
            let mid = ranges.len() / 2;
            let low = range_tree(&ranges[..mid]);
            let high = range_tree(&ranges[mid..]);
            let pivot = ranges[mid].0;
            let mut out = Vec::with_capacity(low.len() + high.len() + 2);
            match u8::try_from(low.len()) {
                Ok(skip) => out.push(jump(JGE_K, pivot, skip, 0)),
                Err(_) => {
                    out.push(jump(JGE_K, pivot, 0, 1));
                    out.push(stmt(JA, u32::try_from(low.len()).unwrap_or(u32::MAX)));
                }
            }
            out.extend(low);
            out.extend(high);
            out
        }
    }
}

/// Appends a block that runs only for syscall `nr`: `body` (which must end in
/// a `RET` on every path) is skipped for every other number with a `JA`,
/// whose 32-bit offset has no 8-bit limit.
fn emit_guarded(out: &mut Vec<SockFilter>, nr: i64, body: &[SockFilter]) {
    out.push(jump(JEQ_K, nr_k(nr), 1, 0));
    out.push(stmt(JA, u32::try_from(body.len()).unwrap_or(u32::MAX)));
    out.extend_from_slice(body);
}

/// Appends a block for syscall `nr` that fails it with `EPERM` when its
/// mode argument holds set-id bits (and, with `flags_arg`, the flags ask to
/// create a file), and otherwise falls through with the number reloaded.
fn emit_set_id_check(out: &mut Vec<SockFilter>, nr: i64, flags_arg: Option<u32>, mode_arg: u32) {
    let mut body = Vec::with_capacity(5);
    if let Some(flags) = flags_arg {
        body.push(stmt(LD_W_ABS, ARG0_LO_OFFSET + 8 * flags));
        // No create flag: on to the reload (3 instructions further).
        body.push(jump(JSET_K, CREATE_FLAGS, 0, 3));
    }
    body.push(stmt(LD_W_ABS, ARG0_LO_OFFSET + 8 * mode_arg));
    body.push(jump(JSET_K, SET_ID_BITS, 0, 1));
    body.push(ret(Action::Errno(EPERM)));
    out.push(jump(
        JEQ_K,
        nr_k(nr),
        0,
        u8::try_from(body.len()).unwrap_or(u8::MAX),
    ));
    out.extend(body);
    out.push(stmt(LD_W_ABS, NR_OFFSET));
}

/// How denials are delivered and which allowed syscalls are checked by the
/// supervisor (see [`compile_with`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CompileOptions {
    /// Deliver every kill except the architecture and x32 guards as
    /// `SECCOMP_RET_USER_NOTIF`, so a supervisor holding the listener learns
    /// the syscall (number and arguments) and kills the task itself. Without a
    /// listener the kernel fails such calls with `ENOSYS`, so this is only for
    /// filters installed with [`install_with_listener`](super::install_with_listener)
    /// whose supervisor outlives the task.
    pub notify_denials: bool,
    /// Syscall numbers that, when the policy allows them, go to the
    /// supervisor (`SECCOMP_RET_USER_NOTIF`) instead of running at once; the
    /// supervisor checks their path arguments and lets them continue.
    pub watch: Vec<i64>,
    /// Watched syscalls that skip the supervisor when this argument holds
    /// `AT_EMPTY_PATH` (the call is on an open descriptor, not a path; glibc's
    /// `fstat` is `newfstatat(fd, "", AT_EMPTY_PATH)`).
    pub empty_path_arg: Vec<(i64, u32)>,
    /// Allow `bind` and `listen` despite the hard block list. Only for a
    /// process whose network namespace is its own and holds nothing but
    /// loopback — the microVM level's VMM, whose user-mode network stack
    /// pairs its sockets through a loopback listener (libslirp's
    /// `slirp_socketpair_with_oob`). Never for a task: the jail refuses it
    /// when the host's network namespace is kept, and no profile can ask.
    pub private_loopback_server: bool,
}

/// Compiles `policy` into a seccomp-bpf program ([`compile_with`] with the
/// default options: denials kill at once, nothing is watched).
///
/// # Errors
///
/// As [`compile_with`].
pub fn compile(policy: &SyscallPolicy) -> Result<Vec<SockFilter>, BpfError> {
    compile_with(policy, &CompileOptions::default())
}

/// Compiles `policy` into a seccomp-bpf program.
///
/// # Errors
///
/// [`BpfError::UnknownSyscall`] for a name not in the x86_64 table,
/// [`BpfError::ForbiddenSyscall`] for a [`NEVER_ALLOWED`] name,
/// [`BpfError::InvalidErrno`] / [`BpfError::InvalidSocketDomain`] for
/// out-of-range values, and [`BpfError::TooLong`] past 4096 instructions.
pub fn compile_with(
    policy: &SyscallPolicy,
    options: &CompileOptions,
) -> Result<Vec<SockFilter>, BpfError> {
    if let Action::Errno(errno) = policy.default_action {
        if !(1..=4095).contains(&errno) {
            return Err(BpfError::InvalidErrno { errno });
        }
    }

    let mut allowed = Vec::with_capacity(policy.allow.len());
    for name in &policy.allow {
        if let Some(reason) = never_allowed_reason(name) {
            return Err(BpfError::ForbiddenSyscall {
                name: name.clone(),
                reason,
            });
        }
        let nr =
            syscall_number(name).ok_or_else(|| BpfError::UnknownSyscall { name: name.clone() })?;
        allowed.push(nr);
    }
    allowed.sort_unstable();
    allowed.dedup();

    let mut domains: Vec<i64> = Vec::new();
    let requested: &[i32] = if policy.socket_domains.is_empty() {
        &[AF_UNIX]
    } else {
        &policy.socket_domains
    };
    for &domain in requested {
        let k = u8::try_from(domain).map_err(|_| BpfError::InvalidSocketDomain { domain })?;
        domains.push(i64::from(k));
    }
    domains.sort_unstable();
    domains.dedup();
    let mut refused: Vec<i64> = Vec::new();
    for &domain in &policy.refused_domains {
        let k = u8::try_from(domain).map_err(|_| BpfError::InvalidSocketDomain { domain })?;
        if domains.binary_search(&i64::from(k)).is_err() {
            refused.push(i64::from(k));
        }
    }
    refused.sort_unstable();
    refused.dedup();

    let deny = if options.notify_denials {
        Action::UserNotif
    } else {
        Action::KillProcess
    };
    let default_action = match policy.default_action {
        Action::KillProcess => deny,
        other => other,
    };
    let is_allowed = |nr: i64| allowed.binary_search(&nr).is_ok();
    // For a syscall with an argument check: what it gets once the check passed.
    let passed = |nr: i64| {
        if is_allowed(nr) {
            Action::Allow
        } else {
            default_action
        }
    };

    let mut p = Vec::with_capacity(16 + NEVER_ALLOWED.len() + allowed.len() + 2 * domains.len());

    // 1. Foreign architectures.
    p.push(stmt(LD_W_ABS, ARCH_OFFSET));
    p.push(jump(JEQ_K, AUDIT_ARCH_X86_64, 1, 0));
    p.push(ret(Action::KillProcess));
    // 2. The x32 ABI.
    p.push(stmt(LD_W_ABS, NR_OFFSET));
    p.push(jump(JSET_K, X32_SYSCALL_BIT, 0, 1));
    p.push(ret(Action::KillProcess));
    // 3. Numbers newer than the table.
    p.push(jump(JGT_K, nr_k(MAX_NR), 0, 1));
    p.push(ret(Action::Errno(ENOSYS)));

    // 4. socket()/socketpair(): only the allowed domains (args[0] is an
    //    `int`; the kernel ignores the upper word).
    for nr in [SOCKET, SOCKETPAIR] {
        let mut body = vec![stmt(LD_W_ABS, ARG0_LO_OFFSET)];
        emit_runs(&mut body, &domains, passed(nr));
        emit_runs(&mut body, &refused, Action::Errno(EAFNOSUPPORT));
        body.push(ret(deny));
        emit_guarded(&mut p, nr, &body);
    }

    // 5. clone(): no CLONE_NEW* flags (they are in the low word of args[0]);
    //    clone3(): flags unreadable, so ENOSYS and glibc falls back to clone.
    emit_guarded(
        &mut p,
        CLONE,
        &[
            stmt(LD_W_ABS, ARG0_LO_OFFSET),
            jump(JSET_K, CLONE_NEW_MASK, 0, 1),
            ret(deny),
            ret(passed(CLONE)),
        ],
    );
    emit_guarded(&mut p, CLONE3, &[ret(Action::Errno(ENOSYS))]);
    emit_guarded(&mut p, OPENAT2, &[ret(Action::Errno(ENOSYS))]);

    // 5b. No set-user-ID or set-group-ID modes (see SET_ID_MODE_CALLS);
    //     the accumulator holds the number again after each block.
    for &(nr, flags_arg, mode_arg) in SET_ID_MODE_CALLS {
        if nr <= MAX_NR && is_allowed(nr) {
            emit_set_id_check(&mut p, nr, flags_arg, mode_arg);
        }
    }

    // 6. Watched syscalls that act on a descriptor (AT_EMPTY_PATH) skip the
    //    supervisor.
    let special = [SOCKET, SOCKETPAIR, CLONE, CLONE3, OPENAT2];
    let mut watched: Vec<i64> = options
        .watch
        .iter()
        .copied()
        .filter(|nr| is_allowed(*nr) && !special.contains(nr))
        .collect();
    watched.sort_unstable();
    watched.dedup();
    for &(nr, arg) in &options.empty_path_arg {
        if arg < 6 && watched.binary_search(&nr).is_ok() {
            emit_guarded(
                &mut p,
                nr,
                &[
                    stmt(LD_W_ABS, ARG0_LO_OFFSET + 8 * arg),
                    jump(JSET_K, AT_EMPTY_PATH, 0, 1),
                    ret(Action::Allow),
                    ret(Action::UserNotif),
                ],
            );
        }
    }

    // 7. Everything else by number, through a binary search: the hard block
    //    list, watched calls, the allow list, and the default in between.
    let server_calls = [49_i64, 50]; // bind, listen
    let blocked: Vec<i64> = NEVER_ALLOWED
        .iter()
        .filter_map(|(name, _)| syscall_number(name))
        .filter(|nr| !(options.private_loopback_server && server_calls.contains(nr)))
        .collect();
    let mut refused_nrs = Vec::new();
    for name in &policy.refused_syscalls {
        refused_nrs.push(
            syscall_number(name).ok_or_else(|| BpfError::UnknownSyscall { name: name.clone() })?,
        );
    }
    let action_of = |nr: i64| {
        if refused_nrs.contains(&nr) {
            Action::Errno(ENOSYS)
        } else if blocked.contains(&nr) {
            deny
        } else if watched.binary_search(&nr).is_ok() {
            Action::UserNotif
        } else if is_allowed(nr) || (options.private_loopback_server && server_calls.contains(&nr))
        {
            Action::Allow
        } else {
            default_action
        }
    };
    let mut ranges: Vec<(u32, Action)> = Vec::new();
    for nr in 0..=MAX_NR {
        let action = action_of(nr);
        if ranges.last().is_none_or(|(_, a)| *a != action) {
            ranges.push((nr_k(nr), action));
        }
    }
    p.extend(range_tree(&ranges));

    if p.len() > MAX_INSNS {
        return Err(BpfError::TooLong {
            instructions: p.len(),
        });
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(allow: &[&str]) -> SyscallPolicy {
        SyscallPolicy {
            allow: allow.iter().map(|s| (*s).to_owned()).collect(),
            default_action: Action::KillProcess,
            socket_domains: vec![],
            refused_domains: vec![],
            refused_syscalls: vec![],
        }
    }

    #[test]
    fn jump_offsets_stay_in_range_for_the_whole_table() {
        let all: Vec<&str> = super::super::syscalls::SYSCALLS
            .iter()
            .map(|(n, _)| *n)
            .filter(|n| never_allowed_reason(n).is_none())
            .collect();
        let p = compile(&policy(&all)).expect("compiles");
        assert!(p.len() <= MAX_INSNS);
        for (i, insn) in p.iter().enumerate() {
            if insn.code == JA {
                assert!(i + 1 + usize::try_from(insn.k).expect("fits") < p.len());
            } else if insn.code & 0x07 == 0x05 {
                assert!(i + 1 + usize::from(insn.jt) < p.len());
                assert!(i + 1 + usize::from(insn.jf) < p.len());
            }
        }
    }

    #[test]
    fn errno_zero_is_rejected() {
        let mut p = policy(&["read"]);
        p.default_action = Action::Errno(0);
        assert_eq!(compile(&p), Err(BpfError::InvalidErrno { errno: 0 }));
    }
}
