//! PID 1's supervision loop: reaping, seccomp user notifications (denials and
//! watched path syscalls) and the final report. Runs in a forked child of a
//! possibly multi-threaded executor, so it is allocation-free: paths are read
//! and resolved in stack buffers.
//!
//! # The path check
//!
//! For a watched syscall PID 1 reads each path argument from the task's
//! memory (`process_vm_readv`), checks that the notification is still valid
//! (so the memory was the waiting task's), and resolves the path the way the
//! kernel will: an absolute path under `/proc/<pid>/root`, a relative one
//! under `/proc/<pid>/cwd` or `/proc/<pid>/fd/<dirfd>`, following a final
//! symlink only where the syscall does (`O_NOFOLLOW`, `AT_SYMLINK_NOFOLLOW`,
//! `lstat`, `readlink`, `unlink`, …). The resolved object's canonical name
//! (`/proc/self/fd/N`) and inode are compared with the masked paths, the
//! masks' own inodes and the inodes of the host files behind them (which
//! catches hard links). A path that does not exist is resolved through its
//! longest existing ancestor, so `~/.ssh/id_rsa` under the masked, empty
//! `~/.ssh` still names `~/.ssh`. A match kills the task (the call never
//! runs); anything else continues (`SECCOMP_USER_NOTIF_FLAG_CONTINUE`).

use std::ffi::CStr;
use std::fmt::Write as _;

use super::child::status_code;
use super::plan::Plan;
use super::report::Line;
use super::{sys, REPORT_FD};

/// How long a process that caught SIGSYS may live before SIGKILL.
const SIGSYS_GRACE_MS: i64 = 100;

/// Longest path read from the task (`PATH_MAX`).
const PATH_MAX: usize = 4096;

/// A set of syscall numbers (0..512).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NrSet([u64; 8]);

impl NrSet {
    /// The set of `numbers` (out-of-range ones are ignored).
    pub(crate) fn from_numbers(numbers: &[i64]) -> Self {
        let mut set = NrSet::default();
        for &nr in numbers {
            if let Ok(i) = usize::try_from(nr) {
                if i < 512 {
                    set.0[i / 64] |= 1 << (i % 64);
                }
            }
        }
        set
    }

    /// Whether `nr` is in the set.
    pub(crate) fn contains(self, nr: i64) -> bool {
        usize::try_from(nr).is_ok_and(|i| i < 512 && self.0[i / 64] & (1 << (i % 64)) != 0)
    }
}

/// Whether a syscall follows a final symlink in one of its paths.
#[derive(Debug, Clone, Copy)]
enum Follow {
    Always,
    Never,
    /// Unless `AT_SYMLINK_NOFOLLOW` is set in this argument.
    UnlessAtNoFollowFlag(usize),
    /// Unless `O_NOFOLLOW` is set in this argument.
    UnlessONoFollowFlag(usize),
    /// Only if `AT_SYMLINK_FOLLOW` is set in this argument (`linkat`).
    IfAtFollowFlag(usize),
}

/// Whether a path argument names something the call creates.
#[derive(Debug, Clone, Copy)]
enum Creates {
    No,
    Yes,
    /// When `O_CREAT` (or `O_TMPFILE`) is set in this argument.
    IfOCreat(usize),
}

/// One path argument: its directory-fd argument (none: relative to the cwd),
/// its own argument index, symlink handling, and whether it is created.
#[derive(Debug, Clone, Copy)]
struct PathArg {
    dirfd: Option<usize>,
    path: usize,
    follow: Follow,
    creates: Creates,
}

const fn arg(dirfd: Option<usize>, path: usize, follow: Follow) -> Option<PathArg> {
    Some(PathArg {
        dirfd,
        path,
        follow,
        creates: Creates::No,
    })
}

/// [`arg`] for a path the call creates (`when` says when).
const fn new_arg(
    dirfd: Option<usize>,
    path: usize,
    follow: Follow,
    when: Creates,
) -> Option<PathArg> {
    Some(PathArg {
        dirfd,
        path,
        follow,
        creates: when,
    })
}

/// The watched syscalls and their path arguments (x86_64 numbers).
/// A watched call that only reads metadata (`stat`, `access`, `readlink`):
/// naming a mask itself is fine (`ls -la /etc` stats `/etc/shadow`); only a
/// path *under* a masked directory counts, and inodes are not compared.
const META: bool = true;
/// A watched call that opens, runs or changes what it names.
const USE: bool = false;

const WATCHED: &[(libc::c_long, bool, [Option<PathArg>; 2])] = {
    use Follow::{Always, IfAtFollowFlag, Never, UnlessAtNoFollowFlag, UnlessONoFollowFlag};
    &[
        (
            libc::SYS_open,
            USE,
            [
                new_arg(None, 0, UnlessONoFollowFlag(1), Creates::IfOCreat(1)),
                None,
            ],
        ),
        (
            libc::SYS_openat,
            USE,
            [
                new_arg(Some(0), 1, UnlessONoFollowFlag(2), Creates::IfOCreat(2)),
                None,
            ],
        ),
        (libc::SYS_openat2, USE, [arg(Some(0), 1, Always), None]),
        (
            libc::SYS_creat,
            USE,
            [new_arg(None, 0, Always, Creates::Yes), None],
        ),
        (libc::SYS_execve, USE, [arg(None, 0, Always), None]),
        (
            libc::SYS_execveat,
            USE,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(4)), None],
        ),
        (libc::SYS_stat, META, [arg(None, 0, Always), None]),
        (libc::SYS_lstat, META, [arg(None, 0, Never), None]),
        (
            libc::SYS_newfstatat,
            META,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(3)), None],
        ),
        (
            libc::SYS_statx,
            META,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(2)), None],
        ),
        (libc::SYS_access, META, [arg(None, 0, Always), None]),
        (libc::SYS_faccessat, META, [arg(Some(0), 1, Always), None]),
        (
            libc::SYS_faccessat2,
            META,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(3)), None],
        ),
        (libc::SYS_readlink, META, [arg(None, 0, Never), None]),
        (libc::SYS_readlinkat, META, [arg(Some(0), 1, Never), None]),
        (libc::SYS_truncate, USE, [arg(None, 0, Always), None]),
        (libc::SYS_chdir, USE, [arg(None, 0, Always), None]),
        (libc::SYS_chmod, USE, [arg(None, 0, Always), None]),
        (libc::SYS_fchmodat, USE, [arg(Some(0), 1, Always), None]),
        (libc::SYS_chown, USE, [arg(None, 0, Always), None]),
        (libc::SYS_lchown, USE, [arg(None, 0, Never), None]),
        (
            libc::SYS_fchownat,
            USE,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(4)), None],
        ),
        (
            libc::SYS_utimensat,
            USE,
            [arg(Some(0), 1, UnlessAtNoFollowFlag(3)), None],
        ),
        (
            libc::SYS_link,
            USE,
            [arg(None, 0, Never), new_arg(None, 1, Never, Creates::Yes)],
        ),
        (
            libc::SYS_linkat,
            USE,
            [
                arg(Some(0), 1, IfAtFollowFlag(4)),
                new_arg(Some(2), 3, Never, Creates::Yes),
            ],
        ),
        (
            libc::SYS_rename,
            USE,
            [arg(None, 0, Never), new_arg(None, 1, Never, Creates::Yes)],
        ),
        (
            libc::SYS_renameat,
            USE,
            [
                arg(Some(0), 1, Never),
                new_arg(Some(2), 3, Never, Creates::Yes),
            ],
        ),
        (
            libc::SYS_renameat2,
            USE,
            [
                arg(Some(0), 1, Never),
                new_arg(Some(2), 3, Never, Creates::Yes),
            ],
        ),
        (libc::SYS_unlink, USE, [arg(None, 0, Never), None]),
        (libc::SYS_unlinkat, USE, [arg(Some(0), 1, Never), None]),
        (libc::SYS_rmdir, USE, [arg(None, 0, Never), None]),
        (
            libc::SYS_mkdir,
            USE,
            [new_arg(None, 0, Never, Creates::Yes), None],
        ),
        (
            libc::SYS_mkdirat,
            USE,
            [new_arg(Some(0), 1, Never, Creates::Yes), None],
        ),
        (
            libc::SYS_mknod,
            USE,
            [new_arg(None, 0, Never, Creates::Yes), None],
        ),
        (
            libc::SYS_mknodat,
            USE,
            [new_arg(Some(0), 1, Never, Creates::Yes), None],
        ),
        (
            libc::SYS_symlink,
            USE,
            [new_arg(None, 1, Never, Creates::Yes), None],
        ),
        (
            libc::SYS_symlinkat,
            USE,
            [new_arg(Some(1), 2, Never, Creates::Yes), None],
        ),
    ]
};

/// Watched syscalls whose flags argument may hold `AT_EMPTY_PATH` (then the
/// call is on an open descriptor and the filter lets it through without
/// asking): `(number, argument index)`.
pub(crate) const EMPTY_PATH_ARGS: &[(i64, u32)] = &[
    (libc::SYS_newfstatat, 3),
    (libc::SYS_statx, 2),
    (libc::SYS_execveat, 4),
    (libc::SYS_fchownat, 4),
    (libc::SYS_faccessat2, 3),
    (libc::SYS_linkat, 4),
];

/// The numbers of the watched syscalls.
pub(crate) fn watched_numbers() -> Vec<i64> {
    WATCHED.iter().map(|(nr, _, _)| *nr).collect()
}

fn now_ms() -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a live timespec; CLOCK_MONOTONIC always exists.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec * 1000 + ts.tv_nsec / 1_000_000
}

fn pollfd(fd: libc::c_int) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}

/// Supervises until the task's main process exits, then reports and exits
/// with its status (which ends the PID namespace).
pub(super) fn supervise(
    plan: &Plan,
    task: libc::pid_t,
    mut listener: libc::c_int,
    sigfd: libc::c_int,
) -> ! {
    let mut violated = false;
    let mut kill_at: Option<i64> = None;
    loop {
        let mut fds = [pollfd(sigfd), pollfd(listener)];
        let timeout = kill_at.map_or(-1, |at| {
            libc::c_int::try_from((at - now_ms()).clamp(0, 1000)).unwrap_or(0)
        });
        let _ = sys::poll(&mut fds, timeout);
        if listener >= 0 {
            let ev = fds[1].revents;
            if ev & libc::POLLIN != 0 {
                if let Some(offender) = handle(plan, listener, violated) {
                    violated = true;
                    // Stop everything first, so no process (a shell waiting
                    // for the offender, say) can see the offender die and
                    // exit on its own terms before its SIGSYS arrives.
                    sys::kill(-1, libc::SIGSTOP);
                    sys::kill(offender, libc::SIGSYS);
                    sys::kill(-1, libc::SIGSYS);
                    sys::kill(-1, libc::SIGCONT);
                    kill_at = Some(now_ms() + SIGSYS_GRACE_MS);
                }
            } else if ev & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
                // Every filtered process is gone.
                sys::close(listener);
                listener = -1;
            }
        }
        if fds[0].revents & libc::POLLIN != 0 {
            sys::drain_signalfd(sigfd);
        }
        // Reap on every wake-up (a SIGCHLD may coalesce with others).
        loop {
            match sys::wait(-1, libc::WNOHANG) {
                Ok((pid, status)) if pid == task => finish(status),
                Ok((pid, _)) if pid > 0 => {}
                _ => break,
            }
        }
        if kill_at.is_some_and(|at| now_ms() >= at) {
            kill_at = None;
            let mut line = Line::new();
            let _ = write!(line, "survived {task}");
            line.send(REPORT_FD);
            sys::kill(-1, libc::SIGKILL);
        }
    }
}

fn finish(status: i32) -> ! {
    let mut line = Line::new();
    if libc::WIFSIGNALED(status) {
        let _ = write!(line, "signal {}", libc::WTERMSIG(status));
    } else {
        let _ = write!(line, "exit {}", libc::WEXITSTATUS(status));
    }
    line.send(REPORT_FD);
    sys::exit_now(status_code(status))
}

/// Handles one notification. Returns the pid to kill on a violation (which
/// it has reported); lets a watched call with an innocent path continue.
fn handle(plan: &Plan, listener: libc::c_int, violated: bool) -> Option<libc::pid_t> {
    // SAFETY: `seccomp_notif` is plain old data; all-zero is valid.
    let mut n: libc::seccomp_notif = unsafe { std::mem::zeroed() };
    if sys::notif_recv(listener, &mut n).is_err() {
        return None; // the caller died meanwhile
    }
    if violated {
        // Everything is being killed; leave the call waiting.
        return None;
    }
    let nr = i64::from(n.data.nr);
    let pid = libc::pid_t::try_from(n.pid).unwrap_or(0);
    if plan.watch.contains(nr) {
        let mut found = [0u8; PATH_MAX * 2];
        match check_paths(plan, listener, &n, &mut found) {
            None => {
                let _ = sys::notif_continue(listener, n.id);
                None
            }
            Some(Hit::Masked(len)) => {
                let mut line = Line::new();
                let _ = write!(line, "path {nr} ");
                line.bytes(&found[..len]);
                line.send(REPORT_FD);
                Some(pid)
            }
            Some(Hit::Protected(len)) => {
                let mut line = Line::new();
                let _ = write!(line, "protected {nr} ");
                line.bytes(&found[..len]);
                line.send(REPORT_FD);
                Some(pid)
            }
        }
    } else {
        let mut line = Line::new();
        let _ = write!(line, "syscall {nr} {}", n.data.args[0]);
        line.send(REPORT_FD);
        Some(pid)
    }
}

/// A small fixed buffer with `fmt::Write`, kept NUL-terminated.
struct Buf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> Buf<N> {
    fn new() -> Self {
        Buf {
            bytes: [0; N],
            len: 0,
        }
    }

    fn push(&mut self, data: &[u8]) -> bool {
        if self.len + data.len() >= N {
            return false;
        }
        self.bytes[self.len..self.len + data.len()].copy_from_slice(data);
        self.len += data.len();
        self.bytes[self.len] = 0;
        true
    }

    /// The first `len` bytes as a C string (a NUL is written at `len`).
    fn cstr_at(&mut self, len: usize) -> &CStr {
        self.bytes[len] = 0;
        CStr::from_bytes_until_nul(&self.bytes[..=len]).unwrap_or(c"")
    }
}

impl<const N: usize> std::fmt::Write for Buf<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.push(s.as_bytes()) {
            Ok(())
        } else {
            Err(std::fmt::Error)
        }
    }
}

/// Reads a NUL-terminated string at `addr` in `pid` into `out`; returns its
/// length, or `None` if unreadable or longer than `PATH_MAX`.
fn read_path(pid: libc::pid_t, addr: u64, out: &mut [u8; PATH_MAX]) -> Option<usize> {
    let mut got = 0usize;
    let mut at = addr;
    while got < PATH_MAX {
        // Stop at page boundaries: the next page may not be mapped.
        let page_left = 4096 - usize::try_from(at % 4096).unwrap_or(0);
        let want = page_left.min(PATH_MAX - got);
        let n = sys::read_remote(pid, at, &mut out[got..got + want]).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(nul) = out[got..got + n].iter().position(|&b| b == 0) {
            return Some(got + nul);
        }
        got += n;
        at += n as u64;
    }
    None
}

/// What a watched call's path hit, with the length of its canonical name
/// in `found`.
enum Hit {
    /// A masked path.
    Masked(usize),
    /// A protected path that did not exist, which the call would create.
    Protected(usize),
}

/// Checks every path argument of a watched call.
fn check_paths(
    plan: &Plan,
    listener: libc::c_int,
    n: &libc::seccomp_notif,
    found: &mut [u8; PATH_MAX * 2],
) -> Option<Hit> {
    let entry = WATCHED
        .iter()
        .find(|(nr, _, _)| *nr == i64::from(n.data.nr))?;
    let meta = entry.1;
    let pid = libc::pid_t::try_from(n.pid).ok()?;
    for path_arg in entry.2.iter().flatten() {
        let addr = n.data.args[path_arg.path];
        if addr == 0 {
            continue; // utimensat(fd, NULL, …): no path
        }
        let mut raw = [0u8; PATH_MAX];
        let Some(len) = read_path(pid, addr, &mut raw) else {
            continue; // the kernel will fail the call (EFAULT/ENAMETOOLONG)
        };
        // The memory read was the waiting task's only if it still waits.
        if !sys::notif_id_valid(listener, n.id) {
            return None;
        }
        if len == 0 {
            continue; // AT_EMPTY_PATH: the descriptor itself
        }
        let path = &raw[..len];
        let follow = match path_arg.follow {
            Follow::Always => true,
            Follow::Never => false,
            Follow::UnlessAtNoFollowFlag(i) => {
                n.data.args[i] & (libc::AT_SYMLINK_NOFOLLOW as u64) == 0
            }
            Follow::UnlessONoFollowFlag(i) => n.data.args[i] & (libc::O_NOFOLLOW as u64) == 0,
            Follow::IfAtFollowFlag(i) => n.data.args[i] & (libc::AT_SYMLINK_FOLLOW as u64) != 0,
        };
        let mut full: Buf<{ PATH_MAX + 64 }> = Buf::new();
        let base = if path[0] == b'/' {
            write!(full, "/proc/{pid}/root")
        } else {
            let dirfd = path_arg
                .dirfd
                .map_or(libc::AT_FDCWD, |i| n.data.args[i] as libc::c_int);
            if dirfd == libc::AT_FDCWD {
                write!(full, "/proc/{pid}/cwd/")
            } else {
                write!(full, "/proc/{pid}/fd/{dirfd}/")
            }
        };
        if base.is_err() {
            continue;
        }
        // The base without a trailing slash: the walk up never goes above it.
        let floor = if full.bytes[full.len - 1] == b'/' {
            full.len - 1
        } else {
            full.len
        };
        if !full.push(path) {
            continue;
        }
        let creates = match path_arg.creates {
            Creates::No => false,
            Creates::Yes => true,
            Creates::IfOCreat(i) => {
                n.data.args[i] & ((libc::O_CREAT | libc::O_TMPFILE) as u64) != 0
            }
        };
        let check = Check { meta, creates };
        if let Some(hit) = resolve(plan, pid, &mut full, floor, follow, check, found) {
            return Some(hit);
        }
    }
    None
}

/// What a resolved path is checked for.
#[derive(Clone, Copy)]
struct Check {
    /// A metadata-only call: only paths strictly under a mask count.
    meta: bool,
    /// The call creates the path: a missing protected path counts.
    creates: bool,
}

impl Check {
    /// The verdict on the canonical name `path` (of something that exists
    /// when `exists`).
    fn judge(self, plan: &Plan, path: &[u8], exists: bool, len: usize) -> Option<Hit> {
        if is_masked(plan, path, self.meta) {
            return Some(Hit::Masked(len));
        }
        if self.creates && !exists && is_under(&plan.protected_missing, path, false) {
            return Some(Hit::Protected(len));
        }
        None
    }
}

/// Resolves `full` (a `/proc/<pid>/…` path) and returns the length of its
/// canonical name in `found` if it is masked.
fn resolve(
    plan: &Plan,
    pid: libc::pid_t,
    full: &mut Buf<{ PATH_MAX + 64 }>,
    mut floor: usize,
    follow: bool,
    check: Check,
    found: &mut [u8; PATH_MAX * 2],
) -> Option<Hit> {
    let flags = libc::O_PATH | if follow { 0 } else { libc::O_NOFOLLOW };
    // At most 40 symlinks, like the kernel (ELOOP).
    for _ in 0..40 {
        let total = full.len;
        if let Ok(fd) = sys::open(full.cstr_at(total), flags) {
            let id = sys::file_id(fd).ok();
            let len = canonical(fd, found);
            sys::close(fd);
            let len = len?;
            if check.meta {
                return check.judge(plan, &found[..len], true, len);
            }
            let by_id =
                id.is_some_and(|id| plan.mask_ids.contains(&id) || plan.host_ids.contains(&id));
            if by_id {
                return Some(Hit::Masked(len));
            }
            return check.judge(plan, &found[..len], true, len);
        }
        // A dangling final symlink (its target may lie under a mask, where
        // nothing exists): follow it by hand.
        if follow {
            if let Ok(fd) = sys::open(full.cstr_at(total), libc::O_PATH | libc::O_NOFOLLOW) {
                let mut target = [0u8; PATH_MAX];
                let n = sys::readlink_fd(fd, &mut target);
                sys::close(fd);
                if let Ok(n @ 1..) = n {
                    let target = &target[..n];
                    if target[0] == b'/' {
                        full.len = 0;
                        write!(full, "/proc/{pid}/root").ok()?;
                        floor = full.len;
                    } else {
                        let last = full.bytes[floor..total].iter().rposition(|&b| b == b'/')?;
                        full.len = floor + last + 1;
                    }
                    if !full.push(target) {
                        return None;
                    }
                    continue;
                }
            }
        }
        return resolve_missing(plan, full, floor, check, found);
    }
    None
}

/// Resolves a path that does not open through its longest existing
/// ancestor, appending the rest as written.
fn resolve_missing(
    plan: &Plan,
    full: &mut Buf<{ PATH_MAX + 64 }>,
    floor: usize,
    check: Check,
    found: &mut [u8; PATH_MAX * 2],
) -> Option<Hit> {
    let total = full.len;
    let mut cut = total;
    loop {
        let slash = full.bytes[floor..cut].iter().rposition(|&b| b == b'/')?;
        cut = floor + slash;
        let saved = full.bytes[cut];
        let opened = sys::open(full.cstr_at(cut), libc::O_PATH);
        full.bytes[cut] = saved;
        let Ok(fd) = opened else {
            if cut == floor {
                return None;
            }
            continue;
        };
        let len = canonical(fd, found);
        sys::close(fd);
        let mut len = len?;
        if len == 1 {
            len = 0; // "/" + "/rest"
        }
        let rest = &full.bytes[cut..total];
        if len + rest.len() > found.len() {
            return None;
        }
        found[len..len + rest.len()].copy_from_slice(rest);
        let len = len + rest.len();
        return check.judge(plan, &found[..len], false, len);
    }
}

/// The canonical name of `fd` (`readlink /proc/self/fd/N`) into `out`.
fn canonical(fd: libc::c_int, out: &mut [u8; PATH_MAX * 2]) -> Option<usize> {
    let mut link: Buf<64> = Buf::new();
    write!(link, "/proc/self/fd/{fd}").ok()?;
    let n = link.len;
    sys::readlink(link.cstr_at(n), out).ok()
}

/// Whether `path` is a masked path (unless `strictly_under`) or lies under one.
fn is_masked(plan: &Plan, path: &[u8], strictly_under: bool) -> bool {
    is_under(&plan.masked, path, strictly_under)
}

/// Whether `path` is one of `list` (unless `strictly_under`) or lies under
/// one.
fn is_under(list: &[std::ffi::CString], path: &[u8], strictly_under: bool) -> bool {
    list.iter().any(|m| {
        let m = m.to_bytes();
        (path == m && !strictly_under)
            || (path.len() > m.len() && path.starts_with(m) && path[m.len()] == b'/')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nr_set_holds_what_it_was_given() {
        let set = NrSet::from_numbers(&[0, 63, 64, 257, 511, 512, -1]);
        for nr in [0, 63, 64, 257, 511] {
            assert!(set.contains(nr), "{nr}");
        }
        for nr in [1, 62, 65, 256, 512, -1] {
            assert!(!set.contains(nr), "{nr}");
        }
    }

    #[test]
    fn every_watched_syscall_has_a_path_and_a_real_number() {
        for (nr, _, args) in WATCHED {
            assert!(args[0].is_some());
            assert!(crate::bpf::syscall_name(*nr).is_some(), "{nr}");
        }
    }
}
