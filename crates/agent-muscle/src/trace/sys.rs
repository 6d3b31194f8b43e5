//! The tracer's only `unsafe`: `ptrace`, `waitpid`, `kill` and pidfd calls.
//!
//! Thin wrappers that turn a `-1`/`errno` return into an [`io::Error`]; which
//! task to resume, with which signal, and whom to kill is decided in
//! `tracer.rs`.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::Command;

/// Arranges for the child, between `fork` and `exec`, to start a new session
/// (so it leads its own process group, like the executor's tasks), to die with
/// SIGKILL if the thread that spawned it goes away before it is traced, and to
/// ask to be traced by that thread (`PTRACE_TRACEME`): its `execve` then stops
/// it with SIGTRAP before the program's first instruction.
pub(super) fn install_traceme(cmd: &mut Command) {
    let parent = std::process::id();
    let hook = move || -> io::Result<()> {
        // Only raw syscalls below: this runs in the forked child of a possibly
        // multi-threaded parent, where only async-signal-safe calls are allowed.
        crate::exec::sys::own_session_dying_with(parent)?;
        // SAFETY: PTRACE_TRACEME ignores its pid, address and data arguments;
        // null pointers are passed and never dereferenced.
        let rc = unsafe {
            libc::ptrace(
                libc::PTRACE_TRACEME,
                0,
                std::ptr::null_mut::<libc::c_void>(),
                std::ptr::null_mut::<libc::c_void>(),
            )
        };
        if rc == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    };
    // SAFETY: `pre_exec` requires the closure to be async-signal-safe. It
    // captures one `u32`, allocates nothing, takes no locks, and calls only
    // setsid, prctl, getppid and ptrace, which are plain syscalls.
    unsafe {
        cmd.pre_exec(hook);
    }
}

/// A ptrace request that takes no pointer (`data` is a plain integer).
fn request(req: libc::c_uint, pid: i32, data: usize) -> io::Result<()> {
    // SAFETY: for the requests passed here (PTRACE_SETOPTIONS, PTRACE_SYSCALL)
    // the kernel reads `data` as an integer and `addr` is ignored; no memory
    // of ours is read or written.
    let rc = unsafe {
        libc::ptrace(
            req,
            pid,
            std::ptr::null_mut::<libc::c_void>(),
            data as *mut libc::c_void,
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `PTRACE_SETOPTIONS` on a tracee in a ptrace-stop.
pub(super) fn set_options(pid: i32, options: libc::c_int) -> io::Result<()> {
    request(libc::PTRACE_SETOPTIONS, pid, options as usize)
}

/// `PTRACE_SYSCALL`: resumes a stopped tracee until its next syscall entry or
/// exit, delivering `signal` (0 for none).
pub(super) fn resume(pid: i32, signal: i32) -> io::Result<()> {
    request(libc::PTRACE_SYSCALL, pid, signal.max(0) as usize)
}

/// A ptrace request that reads or writes one `T` at `data`.
///
/// # Safety
/// `req` must be a request that writes at most `size_of::<T>()` bytes to, or
/// reads them from, `data`, and takes `addr` as an integer or ignores it;
/// every bit pattern the kernel may write must be a valid `T` (plain
/// integers, or a union of them).
unsafe fn with_data<T>(req: libc::c_uint, pid: i32, addr: usize, data: &mut T) -> io::Result<()> {
    // SAFETY: `data` is a live, exclusively borrowed `T`; the caller
    // guarantees the request stays within it and writes only valid values.
    let rc = unsafe {
        libc::ptrace(
            req,
            pid,
            addr as *mut libc::c_void,
            std::ptr::from_mut(data).cast::<libc::c_void>(),
        )
    };
    if rc == -1 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// `PTRACE_GETEVENTMSG`: the new task's id after a fork/vfork/clone event,
/// the former thread id after an exec event.
pub(super) fn event_msg(pid: i32) -> io::Result<u64> {
    let mut msg: libc::c_ulong = 0;
    // SAFETY: PTRACE_GETEVENTMSG writes one `unsigned long` to `data`.
    unsafe { with_data(libc::PTRACE_GETEVENTMSG, pid, 0, &mut msg) }?;
    Ok(msg)
}

/// Whether the stop is a signal-delivery-stop (`PTRACE_GETSIGINFO` works)
/// rather than a group-stop (it fails with `EINVAL`).
pub(super) fn is_signal_delivery(pid: i32) -> io::Result<bool> {
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETSIGINFO writes one siginfo_t to `data`.
    match unsafe { with_data(libc::PTRACE_GETSIGINFO, pid, 0, &mut info) } {
        Ok(()) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINVAL) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What `PTRACE_GET_SYSCALL_INFO` says about a syscall-stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SyscallStop {
    /// Entering a syscall.
    Entry {
        /// `AUDIT_ARCH_*` of the calling convention (i386 for `int 0x80`).
        arch: u32,
        /// The syscall number as the task passed it (x32 calls carry
        /// `__X32_SYSCALL_BIT`).
        nr: u64,
        /// The six argument registers.
        args: [u64; 6],
    },
    /// Leaving one, or a stop that is not a syscall-stop.
    Other,
}

/// `PTRACE_GET_SYSCALL_INFO` (Linux 5.3) for a tracee in a syscall-stop.
pub(super) fn syscall_info(pid: i32) -> io::Result<SyscallStop> {
    // SAFETY: ptrace_syscall_info is plain integers and a union of plain
    // integers; all-zero is a valid value.
    let mut info: libc::ptrace_syscall_info = unsafe { std::mem::zeroed() };
    let size = std::mem::size_of::<libc::ptrace_syscall_info>();
    // SAFETY: PTRACE_GET_SYSCALL_INFO writes at most `addr` bytes to `data`,
    // and `addr` is the size of `info`.
    unsafe { with_data(libc::PTRACE_GET_SYSCALL_INFO, pid, size, &mut info) }?;
    if info.op != libc::PTRACE_SYSCALL_INFO_ENTRY {
        return Ok(SyscallStop::Other);
    }
    // SAFETY: op is PTRACE_SYSCALL_INFO_ENTRY, so the kernel filled the
    // `entry` member of the union.
    let entry = unsafe { info.u.entry };
    Ok(SyscallStop::Entry {
        arch: info.arch,
        nr: entry.nr,
        args: entry.args,
    })
}

/// Rewrites the registers of a tracee in a syscall-entry stop with `edit`
/// (`PTRACE_GETREGS`, then `PTRACE_SETREGS`). The kernel reads the syscall
/// number and arguments from these registers after the stop, and they
/// belong to the stopped thread alone, so the change cannot race.
pub(super) fn edit_regs(
    pid: i32,
    edit: impl FnOnce(&mut libc::user_regs_struct),
) -> io::Result<()> {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETREGS writes one user_regs_struct to `data`.
    unsafe { with_data(libc::PTRACE_GETREGS, pid, 0, &mut regs) }?;
    edit(&mut regs);
    // SAFETY: PTRACE_SETREGS reads one user_regs_struct from `data`.
    unsafe { with_data(libc::PTRACE_SETREGS, pid, 0, &mut regs) }
}

/// `waitpid(-1, __WALL | __WNOTHREAD)`: the next state change of any tracee
/// of this thread (threads and non-children included, children of other
/// threads excluded), or `None` when there is none left (`ECHILD`).
pub(super) fn wait_any() -> io::Result<Option<(i32, i32)>> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live, exclusively borrowed local.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::__WALL | libc::__WNOTHREAD) };
        if pid > 0 {
            return Ok(Some((pid, status)));
        }
        let err = io::Error::last_os_error();
        match err.raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::ECHILD) => return Ok(None),
            _ => return Err(err),
        }
    }
}

/// `waitpid(pid, __WALL)`, retrying on `EINTR`.
pub(super) fn wait_for(pid: i32) -> io::Result<i32> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live, exclusively borrowed local.
        let rc = unsafe { libc::waitpid(pid, &mut status, libc::__WALL) };
        if rc == pid {
            return Ok(status);
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

/// SIGKILL to the process of task `tid` (a tid names its whole thread group
/// for `kill`). `ESRCH` is not an error. The caller guarantees `tid` is a
/// tracee whose exit it has not yet consumed, so the id cannot have been
/// reused.
pub(super) fn kill(tid: i32) {
    if tid <= 0 {
        return;
    }
    // SAFETY: kill takes integers only; tid > 0 names one process.
    unsafe {
        libc::kill(tid, libc::SIGKILL);
    }
}

/// A pidfd for process `pid`; `None` when `pid` is a thread that does not
/// lead its thread group (`EINVAL`).
pub(super) fn pidfd_open(pid: i32) -> io::Result<Option<OwnedFd>> {
    // SAFETY: pidfd_open takes a pid and flags by value and returns a new fd.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd == -1 {
        let err = io::Error::last_os_error();
        if err.raw_os_error() == Some(libc::EINVAL) {
            return Ok(None);
        }
        return Err(err);
    }
    // SAFETY: the syscall succeeded, so `fd` is a freshly opened descriptor
    // that nothing else owns; OwnedFd takes sole ownership and closes it.
    Ok(Some(unsafe { OwnedFd::from_raw_fd(fd as RawFd) }))
}

/// SIGKILL through a pidfd: race-free, since the pidfd names one process
/// even after its id is reused. Errors (already gone) are ignored.
pub(super) fn pidfd_kill(fd: &OwnedFd) {
    // SAFETY: pidfd_send_signal takes a descriptor we keep open for the call,
    // a signal number, a null siginfo pointer (allowed: the kernel fills in
    // a default) and flags 0.
    unsafe {
        libc::syscall(
            libc::SYS_pidfd_send_signal,
            fd.as_raw_fd(),
            libc::SIGKILL,
            std::ptr::null::<libc::siginfo_t>(),
            0,
        );
    }
}
