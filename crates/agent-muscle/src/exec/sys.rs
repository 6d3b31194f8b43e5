//! The executor's only `unsafe`: raw syscalls for the child's set-up between
//! `fork` and `exec`, and for waiting on and killing the task.
//!
//! Everything here is a thin wrapper that turns a `-1`/`errno` return into an
//! [`io::Error`]; the policy (which limits, whom to kill) lives in the callers.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;
use std::time::Duration;

/// Resource limits applied in the child just before `exec`. Plain `Copy` data
/// so the `pre_exec` closure captures no heap memory.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct ChildRlimits {
    /// `RLIMIT_CPU` soft limit in whole seconds; the hard limit is one more.
    pub cpu_seconds: Option<u64>,
    /// `RLIMIT_AS` in bytes.
    pub address_space: Option<u64>,
    /// `RLIMIT_NPROC` (per real user id, not per task).
    pub nproc: Option<u64>,
    /// `RLIMIT_FSIZE` in bytes: the largest file any process may write.
    pub file_size: Option<u64>,
}

/// Arranges for the child, between `fork` and `exec`, to start a new session
/// (so it leads its own process group), to die with SIGKILL if the thread
/// that spawned it goes away, to join the cgroups whose `cgroup.procs` files
/// are open as `cgroup_procs` (`-1` for none), and to apply `limits`.
/// Between `fork` and `exec` (async-signal-safe: raw syscalls only, no
/// allocation): start a new session, so the child leads its own process
/// group, and die with SIGKILL when the thread that forked it goes away —
/// unless `parent` is already gone, which is an error (`ESRCH`), since the
/// death signal would then never come.
pub(crate) fn own_session_dying_with(parent: u32) -> io::Result<()> {
    // `io::Error::last_os_error` only reads errno and does not allocate.
    //
    // SAFETY: setsid takes no arguments and touches no memory of ours.
    if unsafe { libc::setsid() } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: PR_SET_PDEATHSIG takes a signal number by value and no pointers.
    if unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: getppid takes no arguments and cannot fail.
    if unsafe { libc::getppid() } as u32 != parent {
        return Err(io::Error::from_raw_os_error(libc::ESRCH));
    }
    Ok(())
}

pub(super) fn install_child_setup(
    cmd: &mut Command,
    limits: ChildRlimits,
    cgroup_procs: [RawFd; 2],
) {
    let parent = std::process::id();
    let hook = move || -> io::Result<()> {
        // Only raw syscalls below: this runs in the forked child of a possibly
        // multi-threaded parent, where only async-signal-safe calls are allowed.
        own_session_dying_with(parent)?;
        for fd in cgroup_procs {
            // "0" moves the writing process, i.e. this child, before it can
            // run (or fork) anything of the task.
            // SAFETY: write reads one byte from a static literal; `fd` is a
            // descriptor the parent keeps open until spawn returns.
            if fd >= 0 && unsafe { libc::write(fd, b"0".as_ptr().cast(), 1) } != 1 {
                return Err(io::Error::last_os_error());
            }
        }
        if let Some(secs) = limits.cpu_seconds {
            set_rlimit(libc::RLIMIT_CPU, secs, secs.saturating_add(1))?;
        }
        if let Some(bytes) = limits.address_space {
            set_rlimit(libc::RLIMIT_AS, bytes, bytes)?;
        }
        if let Some(n) = limits.nproc {
            set_rlimit(libc::RLIMIT_NPROC, n, n)?;
        }
        if let Some(bytes) = limits.file_size {
            set_rlimit(libc::RLIMIT_FSIZE, bytes, bytes)?;
        }
        Ok(())
    };
    // SAFETY: `pre_exec` requires the closure to be async-signal-safe. It
    // captures only `Copy` integers, allocates nothing, takes no locks, and
    // calls only setsid, prctl, getppid, write and setrlimit, which are plain
    // syscalls.
    unsafe {
        cmd.pre_exec(hook);
    }
}

fn set_rlimit(resource: libc::__rlimit_resource_t, soft: u64, hard: u64) -> io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft as libc::rlim_t,
        rlim_max: hard as libc::rlim_t,
    };
    // SAFETY: `limit` is a live, initialised `rlimit` on this stack frame for
    // the duration of the call, and setrlimit only reads it.
    if unsafe { libc::setrlimit(resource, &limit) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Bytes in use on the file system holding `path` (`statvfs`).
pub(super) fn fs_used_bytes(path: &std::path::Path) -> io::Result<u64> {
    use std::os::unix::ffi::OsStrExt as _;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    // SAFETY: `statvfs` is plain old data; all-zero is a valid value.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is NUL-terminated and `st` is a live statvfs the call fills.
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(st
        .f_blocks
        .saturating_sub(st.f_bfree)
        .saturating_mul(st.f_frsize))
}

/// Sends `signal` to process `pid` (`pid > 0`) or to process group `-pid`.
/// `ESRCH` (already gone) is not an error.
pub(super) fn kill(pid: i32, signal: i32) -> io::Result<()> {
    debug_assert!(pid != 0 && pid != -1);
    // SAFETY: kill takes integers only; the callers never pass 0 or -1, which
    // would signal our own group or every process we may signal.
    if unsafe { libc::kill(pid, signal) } == -1 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::ESRCH) {
            return Err(err);
        }
    }
    Ok(())
}

/// A pidfd for `pid`, readable once the process has exited; `None` if the
/// kernel has no `pidfd_open` (before Linux 5.3).
pub(super) fn pidfd_open(pid: i32) -> io::Result<Option<OwnedFd>> {
    // SAFETY: pidfd_open takes a pid and flags by value and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd == -1 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::ENOSYS) {
            return Ok(None);
        }
        return Err(err);
    }
    // SAFETY: the syscall succeeded, so `fd` is a freshly opened descriptor
    // that nothing else owns; OwnedFd takes sole ownership and closes it.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
}

/// Whether child `pid` has exited, without reaping it (it stays a zombie, so
/// its pid, process group id and session id cannot be reused yet).
pub(super) fn has_exited(pid: i32) -> io::Result<bool> {
    // SAFETY: `info` is zero-initialised plain data that waitid writes into.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, exclusively borrowed siginfo_t for the call.
    let rc = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: waitid succeeded; si_pid is 0 when no child changed state.
    Ok(unsafe { info.si_pid() } != 0)
}

/// How a reaped child ended, with its resource usage (including that of the
/// descendants it waited for).
pub(super) struct Reaped {
    /// The raw wait status.
    pub status: i32,
    /// User plus system CPU time.
    pub cpu: Duration,
    /// Peak resident set size in bytes (the largest of the process and its
    /// waited-for descendants, not their sum).
    pub max_rss_bytes: u64,
}

/// Reaps child `pid` with `wait4`, blocking until it has exited.
pub(super) fn reap(pid: i32) -> io::Result<Reaped> {
    let mut status = 0;
    // SAFETY: rusage is plain integers; all-zero is a valid value.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are live, exclusively borrowed locals.
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.max(0) as u64) + Duration::from_micros(t.tv_usec.max(0) as u64)
    };
    Ok(Reaped {
        status,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        max_rss_bytes: (usage.ru_maxrss.max(0) as u64).saturating_mul(1024),
    })
}

/// Decodes a wait status into `Ok(code)` for a normal exit or `Err(signal)`.
pub(super) fn decode_status(status: i32) -> Result<i32, i32> {
    if libc::WIFSIGNALED(status) {
        Err(libc::WTERMSIG(status))
    } else {
        Ok(libc::WEXITSTATUS(status))
    }
}

/// Puts `fd` in non-blocking mode.
pub(super) fn set_nonblocking(fd: &impl AsRawFd) -> io::Result<()> {
    let fd = fd.as_raw_fd();
    // SAFETY: F_GETFL/F_SETFL on a descriptor the caller keeps open for the call.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: as above; only the file status flags change.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) } == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `poll(2)` over `fds`, retrying on `EINTR` with the same timeout.
pub(super) fn poll(fds: &mut [libc::pollfd], timeout: Option<Duration>) -> io::Result<()> {
    let ms = match timeout {
        None => -1,
        Some(t) => i32::try_from(t.as_millis().saturating_add(1)).unwrap_or(i32::MAX),
    };
    // SAFETY: `fds` is an exclusively borrowed slice of initialised pollfd
    // and its length is passed alongside the pointer.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if rc >= 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EINTR) {
        // A signal (Ctrl-C): back to the caller, which checks the
        // cancellation flag and polls again.
        return Ok(());
    }
    Err(err)
}

/// An anonymous in-memory file (`memfd_create`, close-on-exec) holding
/// `data`, positioned at its start.
pub(super) fn memfd_with(data: &[u8]) -> io::Result<std::fs::File> {
    use std::io::{Seek as _, Write as _};
    // SAFETY: the name is a NUL-terminated literal; flags by value.
    let fd = unsafe { libc::memfd_create(c"muscle-jail-task".as_ptr(), libc::MFD_CLOEXEC) };
    if fd == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: memfd_create succeeded, so `fd` is a new descriptor nothing
    // else owns; the File takes sole ownership.
    let mut file = unsafe { std::fs::File::from_raw_fd(fd) };
    file.write_all(data)?;
    file.rewind()?;
    Ok(file)
}

/// A close-on-exec duplicate of `fd` numbered at least `min`, so that
/// [`install_fd_at`] hooks moving descriptors below `min` cannot clobber it.
pub(super) fn dup_at_least(fd: &impl AsRawFd, min: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: F_DUPFD_CLOEXEC on a descriptor the caller keeps open.
    let new = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, min) };
    if new == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: fcntl succeeded, so `new` is a fresh descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}

/// A pipe whose both ends are close-on-exec: `(read, write)`.
pub(super) fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as RawFd; 2];
    // SAFETY: `fds` is a live array of two ints that pipe2 fills in.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } == -1 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: pipe2 succeeded, so both are fresh descriptors nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// Arranges for the child to have `fd` (open in the parent) as descriptor
/// `target`, without close-on-exec.
pub(super) fn install_fd_at(cmd: &mut Command, fd: RawFd, target: RawFd) {
    let hook = move || -> io::Result<()> {
        if fd == target {
            // SAFETY: F_SETFD on a descriptor the parent keeps open until spawn returns.
            if unsafe { libc::fcntl(fd, libc::F_SETFD, 0) } == -1 {
                return Err(io::Error::last_os_error());
            }
        // SAFETY: dup2 takes two descriptor numbers; `fd` is open (the parent
        // keeps it until spawn returns) and the new `target` is not close-on-exec.
        } else if unsafe { libc::dup2(fd, target) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: the closure captures two integers, allocates nothing and calls
    // only fcntl or dup2, both async-signal-safe.
    unsafe {
        cmd.pre_exec(hook);
    }
}
