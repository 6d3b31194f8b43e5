//! The jail's `unsafe`: thin wrappers over the raw syscalls that build the
//! sandbox (namespaces, mounts, Landlock, fork, user notifications). Each
//! returns the errno on failure.
//!
//! Everything here runs in the forked children of a possibly multi-threaded
//! executor, where only async-signal-safe calls are allowed: these wrappers
//! allocate nothing, take no locks and call only raw syscalls (or libc's
//! thin syscall wrappers).

use std::ffi::CStr;
use std::ptr;

/// An errno value.
pub(super) type Errno = i32;

fn errno() -> Errno {
    // `last_os_error` only reads errno; the `Os` variant does not allocate.
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

fn check(rc: libc::c_long) -> Result<libc::c_long, Errno> {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(rc)
    }
}

fn check_int(rc: libc::c_int) -> Result<libc::c_int, Errno> {
    if rc < 0 {
        Err(errno())
    } else {
        Ok(rc)
    }
}

fn opt_ptr(s: Option<&CStr>) -> *const libc::c_char {
    s.map_or(ptr::null(), CStr::as_ptr)
}

/// `unshare(2)` with `flags` (`CLONE_NEW*`).
pub(super) fn unshare(flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: unshare takes flags by value and touches no memory of ours.
    check_int(unsafe { libc::unshare(flags) }).map(drop)
}

/// `mount(2)`.
pub(super) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> Result<(), Errno> {
    // SAFETY: every pointer is either null (allowed by mount(2) for source,
    // fstype and data) or a NUL-terminated string borrowed for the call.
    let rc = unsafe {
        libc::mount(
            opt_ptr(source),
            target.as_ptr(),
            opt_ptr(fstype),
            flags,
            opt_ptr(data).cast(),
        )
    };
    check_int(rc).map(drop)
}

/// `struct mount_attr` from `<linux/mount.h>`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `MOUNT_ATTR_RDONLY`.
pub(super) const MOUNT_ATTR_RDONLY: u64 = 0x1;
/// `MOUNT_ATTR_NOSUID`.
pub(super) const MOUNT_ATTR_NOSUID: u64 = 0x2;
/// `MOUNT_ATTR_NODEV`.
pub(super) const MOUNT_ATTR_NODEV: u64 = 0x4;

/// Sets `attr_set` (`MOUNT_ATTR_*`) on `path` and every mount below it
/// (`mount_setattr(2)` with `AT_RECURSIVE`, Linux 5.12+). Unlike a
/// `MS_REMOUNT`, it leaves every other flag (and the flags a less privileged
/// namespace may not clear) as it is.
pub(super) fn set_tree_attrs(path: &CStr, attr_set: u64) -> Result<(), Errno> {
    let attr = MountAttr {
        attr_set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: 0,
    };
    // SAFETY: `path` is NUL-terminated and `attr` is a live `struct
    // mount_attr` whose size is passed alongside; the kernel only reads both.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            libc::AT_FDCWD,
            path.as_ptr(),
            libc::AT_RECURSIVE,
            ptr::from_ref(&attr),
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(rc).map(drop)
}

/// `pivot_root(2)`.
pub(super) fn pivot_root(new_root: &CStr, put_old: &CStr) -> Result<(), Errno> {
    // SAFETY: both arguments are NUL-terminated strings borrowed for the call.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    check(rc).map(drop)
}

/// `umount2(2)`.
pub(super) fn umount2(target: &CStr, flags: libc::c_int) -> Result<(), Errno> {
    // SAFETY: `target` is a NUL-terminated string borrowed for the call.
    check_int(unsafe { libc::umount2(target.as_ptr(), flags) }).map(drop)
}

/// `chdir(2)`.
pub(super) fn chdir(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is a NUL-terminated string borrowed for the call.
    check_int(unsafe { libc::chdir(path.as_ptr()) }).map(drop)
}

/// `mkdir(2)`; an existing entry is not an error when `exist_ok`.
pub(super) fn mkdir(path: &CStr, mode: libc::mode_t, exist_ok: bool) -> Result<(), Errno> {
    // SAFETY: `path` is a NUL-terminated string borrowed for the call.
    match check_int(unsafe { libc::mkdir(path.as_ptr(), mode) }) {
        Err(libc::EEXIST) if exist_ok => Ok(()),
        other => other.map(drop),
    }
}

/// Creates (or truncates) a regular file with `mode` and closes it.
pub(super) fn touch(path: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated; the mode is passed by value.
    let fd = check_int(unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC | libc::O_CLOEXEC,
            libc::c_uint::from(mode),
        )
    })?;
    close(fd);
    Ok(())
}

/// Creates `path` (mode 0444) holding `data`.
pub(super) fn write_new_file(path: &CStr, data: &[u8]) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated; the mode is passed by value.
    let fd = check_int(unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_CLOEXEC,
            0o444 as libc::c_uint,
        )
    })?;
    let done = write_all(fd, data);
    close(fd);
    done
}

/// Makes sure a file exists at `path` without writing to it: an existing
/// file (even on a read-only mount) is left alone, a missing one is created
/// empty with `mode` (a mount point for a file bind).
pub(super) fn ensure_file(path: &CStr, mode: libc::mode_t) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated; the mode is passed by value.
    let fd = check_int(unsafe {
        libc::open(
            path.as_ptr(),
            libc::O_RDONLY | libc::O_CREAT | libc::O_CLOEXEC | libc::O_NOFOLLOW,
            libc::c_uint::from(mode),
        )
    })?;
    close(fd);
    Ok(())
}

/// `symlink(2)`.
pub(super) fn symlink(target: &CStr, link: &CStr) -> Result<(), Errno> {
    // SAFETY: both are NUL-terminated strings borrowed for the call.
    check_int(unsafe { libc::symlink(target.as_ptr(), link.as_ptr()) }).map(drop)
}

/// Writes all of `data` to a new open of `path` (for `/proc/self/*_map`).
pub(super) fn write_file(path: &CStr, data: &[u8]) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    let fd = check_int(unsafe { libc::open(path.as_ptr(), libc::O_WRONLY | libc::O_CLOEXEC) })?;
    let done = write_all(fd, data);
    close(fd);
    done
}

/// `write(2)` until all of `data` is written.
pub(super) fn write_all(fd: libc::c_int, mut data: &[u8]) -> Result<(), Errno> {
    while !data.is_empty() {
        // SAFETY: the pointer and length describe `data`, borrowed for the call.
        let n = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if n < 0 {
            let e = errno();
            if e == libc::EINTR {
                continue;
            }
            return Err(e);
        }
        data = &data[usize::try_from(n).unwrap_or(data.len())..];
    }
    Ok(())
}

/// `read(2)` once, retrying on `EINTR`.
pub(super) fn read(fd: libc::c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    loop {
        // SAFETY: the pointer and length describe `buf`, exclusively borrowed.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n >= 0 {
            return Ok(usize::try_from(n).unwrap_or(0));
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

/// `close(2)`, ignoring errors.
pub(super) fn close(fd: libc::c_int) {
    // SAFETY: closing a descriptor number this code owns.
    unsafe { libc::close(fd) };
}

/// `close_range(first, ~0, flags)`.
pub(super) fn close_from(first: libc::c_uint, flags: libc::c_uint) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    let rc = unsafe { libc::syscall(libc::SYS_close_range, first, libc::c_uint::MAX, flags) };
    check(rc).map(drop)
}

/// `pipe2(O_CLOEXEC)`: `(read end, write end)`.
pub(super) fn pipe() -> Result<(libc::c_int, libc::c_int), Errno> {
    let mut fds = [-1; 2];
    // SAFETY: `fds` is a live two-element array the kernel fills in.
    check_int(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) })?;
    Ok((fds[0], fds[1]))
}

/// `sethostname(2)`.
pub(super) fn sethostname(name: &[u8]) -> Result<(), Errno> {
    // SAFETY: the pointer and length describe `name`, borrowed for the call.
    check_int(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) }).map(drop)
}

/// `fork(2)` as a raw `clone(SIGCHLD)`: `Ok(0)` in the child.
///
/// The raw syscall skips glibc's `atfork` handlers, which may take locks
/// another thread of the executor held at the first fork.
pub(super) fn fork() -> Result<libc::pid_t, Errno> {
    // SAFETY: clone with only SIGCHLD and a null stack behaves like fork: the
    // child gets a copy-on-write copy of this (single-threaded) process and
    // continues on its own copy of the stack.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_clone,
            libc::c_ulong::try_from(libc::SIGCHLD).unwrap_or(17),
            0usize,
            0usize,
            0usize,
            0usize,
        )
    };
    check(rc).map(|pid| libc::pid_t::try_from(pid).unwrap_or(-1))
}

/// `prctl(PR_SET_PDEATHSIG, SIGKILL)`.
pub(super) fn die_with_parent() -> Result<(), Errno> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number by value and no pointers.
    check_int(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) }).map(drop)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
pub(super) fn no_new_privs() -> Result<(), Errno> {
    // SAFETY: integer arguments only; the unused ones must be 0.
    check_int(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }).map(drop)
}

/// `waitpid(pid, flags)`, retrying on `EINTR`: the reaped pid (0 with
/// `WNOHANG` and nothing to reap) and its raw wait status.
pub(super) fn wait(pid: libc::pid_t, flags: libc::c_int) -> Result<(libc::pid_t, i32), Errno> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live, exclusively borrowed local.
        let rc = unsafe { libc::waitpid(pid, &mut status, flags) };
        if rc >= 0 {
            return Ok((rc, status));
        }
        let e = errno();
        if e != libc::EINTR {
            return Err(e);
        }
    }
}

/// `kill(2)`, ignoring errors (the target may be gone already).
pub(super) fn kill(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: integer arguments only.
    unsafe { libc::kill(pid, signal) };
}

/// `execve(2)` with prepared, null-terminated pointer arrays (as addresses);
/// returns the errno on failure.
pub(super) fn execve(program: &CStr, argv: &[usize], envp: &[usize]) -> Errno {
    // SAFETY: `program` is NUL-terminated; `argv` and `envp` hold the
    // addresses of NUL-terminated strings followed by a 0 (the plan built
    // them from `CString`s it owns and keeps alive), and `usize` has the size
    // and alignment of a pointer, so each slice reads as a null-terminated
    // `char *const []`.
    unsafe {
        libc::execve(
            program.as_ptr(),
            argv.as_ptr().cast::<*const libc::c_char>(),
            envp.as_ptr().cast::<*const libc::c_char>(),
        )
    };
    errno()
}

/// `setrlimit(RLIMIT_CORE, 0)`: a SIGSYS kill leaves no core file.
pub(super) fn no_core_dumps() -> Result<(), Errno> {
    let zero = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `zero` is a live rlimit the kernel only reads.
    check_int(unsafe { libc::setrlimit(libc::RLIMIT_CORE, &zero) }).map(drop)
}

/// `access(path, X_OK)`.
pub(super) fn executable(path: &CStr) -> Result<(), Errno> {
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    check_int(unsafe { libc::access(path.as_ptr(), libc::X_OK) }).map(drop)
}

/// `_exit(2)`: leaves without running destructors or atexit handlers.
pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and takes an integer.
    unsafe { libc::_exit(code) }
}

/// `open(path, flags | O_CLOEXEC)`.
pub(super) fn open(path: &CStr, flags: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    check_int(unsafe { libc::open(path.as_ptr(), flags | libc::O_CLOEXEC) })
}

/// `fstat(2)`: `(st_dev, st_ino)`.
pub(super) fn file_id(fd: libc::c_int) -> Result<(u64, u64), Errno> {
    // SAFETY: `stat` is plain old data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a live, exclusively borrowed stat buffer.
    check_int(unsafe { libc::fstat(fd, &mut st) })?;
    Ok((st.st_dev, st.st_ino))
}

/// `stat(2)` (following symlinks): `(st_dev, st_ino)`.
pub(super) fn path_id(path: &CStr) -> Result<(u64, u64), Errno> {
    // SAFETY: `stat` is plain old data; all-zero is a valid value.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated; `st` is a live stat buffer.
    check_int(unsafe { libc::stat(path.as_ptr(), &mut st) })?;
    Ok((st.st_dev, st.st_ino))
}

/// `readlink(2)` into `buf`; returns the length (not NUL-terminated).
pub(super) fn readlink(path: &CStr, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: `path` is NUL-terminated; the pointer and length describe `buf`.
    let n = unsafe { libc::readlink(path.as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// `readlinkat(fd, "")`: the target of the symlink `fd` (opened with
/// `O_PATH | O_NOFOLLOW`) into `buf`; returns the length.
pub(super) fn readlink_fd(fd: libc::c_int, buf: &mut [u8]) -> Result<usize, Errno> {
    // SAFETY: the empty path is NUL-terminated; the pointer and length
    // describe `buf`, exclusively borrowed.
    let n = unsafe { libc::readlinkat(fd, c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    if n < 0 {
        return Err(errno());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Reads `buf.len()` bytes at `addr` in process `pid` (`process_vm_readv`);
/// returns how many were read.
pub(super) fn read_remote(pid: libc::pid_t, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let local = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    let remote = libc::iovec {
        iov_base: usize::try_from(addr).unwrap_or(0) as *mut libc::c_void,
        iov_len: buf.len(),
    };
    // SAFETY: `local` describes `buf`, exclusively borrowed; the remote iovec
    // is only dereferenced by the kernel inside the target process, where a
    // bad address gives EFAULT.
    let n = unsafe { libc::process_vm_readv(pid, &local, 1, &remote, 1, 0) };
    if n < 0 {
        return Err(errno());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Blocks `SIGCHLD` and returns a non-blocking signalfd for it.
pub(super) fn sigchld_fd() -> Result<libc::c_int, Errno> {
    let set = sigchld_set();
    // SAFETY: `set` is a live sigset; the old mask is not wanted.
    check_int(unsafe { libc::sigprocmask(libc::SIG_BLOCK, &set, ptr::null_mut()) })?;
    // SAFETY: `set` is a live sigset; -1 asks for a new descriptor.
    check_int(unsafe { libc::signalfd(-1, &set, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) })
}

/// Unblocks every signal (the task must not inherit PID 1's mask).
pub(super) fn unblock_signals() -> Result<(), Errno> {
    // SAFETY: `sigset_t` is plain old data; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset.
    unsafe { libc::sigemptyset(&mut set) };
    // SAFETY: `set` is a live sigset; the old mask is not wanted.
    check_int(unsafe { libc::sigprocmask(libc::SIG_SETMASK, &set, ptr::null_mut()) }).map(drop)
}

fn sigchld_set() -> libc::sigset_t {
    // SAFETY: `sigset_t` is plain old data; sigemptyset initialises it.
    let mut set: libc::sigset_t = unsafe { std::mem::zeroed() };
    // SAFETY: `set` is a live sigset; SIGCHLD is a valid signal number.
    unsafe {
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, libc::SIGCHLD);
    }
    set
}

/// Drains a non-blocking signalfd.
pub(super) fn drain_signalfd(fd: libc::c_int) {
    let mut buf = [0u8; 128 * 4];
    while matches!(read(fd, &mut buf), Ok(n) if n > 0) {}
}

/// `poll(2)` on `fds` with a timeout in milliseconds (-1: none); `EINTR`
/// counts as "nothing ready".
pub(super) fn poll(fds: &mut [libc::pollfd], timeout_ms: libc::c_int) -> Result<(), Errno> {
    let n = libc::nfds_t::try_from(fds.len()).unwrap_or(0);
    // SAFETY: the pointer and length describe `fds`, exclusively borrowed.
    match check_int(unsafe { libc::poll(fds.as_mut_ptr(), n, timeout_ms) }) {
        Err(libc::EINTR) => Ok(()),
        other => other.map(drop),
    }
}

/// `pidfd_open(pid, 0)`.
pub(super) fn pidfd_open(pid: libc::pid_t) -> Result<libc::c_int, Errno> {
    // SAFETY: integer arguments only.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    check(rc).map(|fd| libc::c_int::try_from(fd).unwrap_or(-1))
}

/// `pidfd_getfd(pidfd, fd, 0)`: a copy of another process's descriptor.
pub(super) fn pidfd_getfd(pidfd: libc::c_int, fd: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: integer arguments only.
    let rc = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd, fd, 0) };
    check(rc).map(|fd| libc::c_int::try_from(fd).unwrap_or(-1))
}

/// `SECCOMP_IOCTL_NOTIF_RECV`: the next notification (blocks).
pub(super) fn notif_recv(
    listener: libc::c_int,
    notif: &mut libc::seccomp_notif,
) -> Result<(), Errno> {
    // SAFETY: `seccomp_notif` is plain old data and the kernel requires it zeroed.
    *notif = unsafe { std::mem::zeroed() };
    // SAFETY: `notif` is a live, exclusively borrowed seccomp_notif, the type
    // the ioctl number encodes.
    check_int(unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_RECV,
            ptr::from_mut(notif),
        )
    })
    .map(drop)
}

/// `SECCOMP_IOCTL_NOTIF_SET_FLAGS` with `SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP`
/// (Linux 6.6+): the kernel hands the CPU straight from the notifying task
/// to the supervisor and back, which cuts the round trip of each
/// notification. Older kernels refuse it; that only costs speed.
pub(super) fn notif_sync_wake_up(listener: libc::c_int) -> Result<(), Errno> {
    const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;
    // SAFETY: the flags are passed by value as the ioctl's integer argument.
    check_int(unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
            SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
        )
    })
    .map(drop)
}

/// `SECCOMP_IOCTL_NOTIF_ID_VALID`: whether the notifying task still waits
/// (its memory and descriptors are still the ones the notification means).
pub(super) fn notif_id_valid(listener: libc::c_int, id: u64) -> bool {
    // SAFETY: `id` is a live u64, the type the ioctl number encodes.
    unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
            ptr::from_ref(&id),
        ) == 0
    }
}

/// `SECCOMP_IOCTL_NOTIF_SEND` with `SECCOMP_USER_NOTIF_FLAG_CONTINUE`: let
/// the syscall run.
pub(super) fn notif_continue(listener: libc::c_int, id: u64) -> Result<(), Errno> {
    let mut resp = libc::seccomp_notif_resp {
        id,
        val: 0,
        error: 0,
        flags: u32::try_from(libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE).unwrap_or(1),
    };
    // SAFETY: `resp` is a live seccomp_notif_resp, the type the ioctl encodes.
    check_int(unsafe {
        libc::ioctl(
            listener,
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            ptr::from_mut(&mut resp),
        )
    })
    .map(drop)
}

/// Brings the loopback interface of the current network namespace up.
pub(super) fn loopback_up() -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    let sock = check_int(unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: `ifreq` is plain old data; all-zero is valid.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    for (dst, src) in req.ifr_name.iter_mut().zip(b"lo\0") {
        *dst = libc::c_char::try_from(*src).unwrap_or(0);
    }
    // SAFETY: `req` is a live ifreq naming "lo"; SIOCGIFFLAGS fills its flags.
    let got = unsafe { libc::ioctl(sock, libc::SIOCGIFFLAGS, ptr::from_mut(&mut req)) };
    let done = if got < 0 {
        Err(errno())
    } else {
        // SAFETY: SIOCGIFFLAGS set the `ifru_flags` member of the union.
        unsafe {
            req.ifr_ifru.ifru_flags |= libc::c_short::try_from(libc::IFF_UP).unwrap_or(1);
        }
        // SAFETY: `req` is a live ifreq with the flags to set.
        check_int(unsafe { libc::ioctl(sock, libc::SIOCSIFFLAGS, ptr::from_mut(&mut req)) })
            .map(drop)
    };
    close(sock);
    done
}

/// The Landlock ABI version, or `None` when the kernel has none (or it is
/// disabled).
pub fn landlock_abi() -> Option<u32> {
    const LANDLOCK_CREATE_RULESET_VERSION: u32 = 1;
    // SAFETY: a null attr with size 0 and the VERSION flag only queries.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            ptr::null::<u8>(),
            0usize,
            LANDLOCK_CREATE_RULESET_VERSION,
        )
    };
    u32::try_from(rc).ok().filter(|v| *v > 0)
}

/// `struct landlock_ruleset_attr` (all three fields; the size passed to the
/// kernel depends on the ABI).
#[derive(Debug)]
#[repr(C)]
pub(super) struct RulesetAttr {
    pub handled_access_fs: u64,
    pub handled_access_net: u64,
    pub scoped: u64,
}

/// `landlock_create_ruleset(attr, size, 0)`, passing only the first `size`
/// bytes of `attr`.
pub(super) fn landlock_create_ruleset(
    attr: &RulesetAttr,
    size: usize,
) -> Result<libc::c_int, Errno> {
    let size = size.min(std::mem::size_of::<RulesetAttr>());
    // SAFETY: `attr` is a live repr(C) struct of at least `size` bytes; the
    // kernel only reads it.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            ptr::from_ref(attr),
            size,
            0u32,
        )
    };
    check(rc).map(|fd| libc::c_int::try_from(fd).unwrap_or(-1))
}

/// `struct landlock_path_beneath_attr` (packed in the kernel's header).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// Adds a `LANDLOCK_RULE_PATH_BENEATH` rule: `access` under `dir`.
pub(super) fn landlock_allow_beneath(
    ruleset: libc::c_int,
    dir: libc::c_int,
    access: u64,
) -> Result<(), Errno> {
    const LANDLOCK_RULE_PATH_BENEATH: u32 = 1;
    let attr = PathBeneathAttr {
        allowed_access: access,
        parent_fd: dir,
    };
    // SAFETY: `attr` is a live packed struct laid out like the kernel's; the
    // kernel only reads it; both descriptors are open for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset,
            LANDLOCK_RULE_PATH_BENEATH,
            ptr::from_ref(&attr),
            0u32,
        )
    };
    check(rc).map(drop)
}

/// `landlock_restrict_self(ruleset, 0)`.
pub(super) fn landlock_restrict_self(ruleset: libc::c_int) -> Result<(), Errno> {
    // SAFETY: integer arguments only; the descriptor is open for the call.
    let rc = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) };
    check(rc).map(drop)
}

/// `getuid()` and `getgid()`.
pub(super) fn ids() -> (u32, u32) {
    // SAFETY: getuid and getgid take no arguments and cannot fail.
    unsafe { (libc::getuid(), libc::getgid()) }
}

/// A TCP socket listening on `127.0.0.1:port` (the relay's).
pub(super) fn listen_loopback(port: u16) -> Result<libc::c_int, Errno> {
    // SAFETY: integer arguments only.
    let fd = check_int(unsafe {
        libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)
    })?;
    let one: libc::c_int = 1;
    // SAFETY: `one` is a live c_int whose size is passed alongside.
    unsafe {
        libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_REUSEADDR,
            ptr::from_ref(&one).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
    // SAFETY: `sockaddr_in` is plain old data; all-zero is valid.
    let mut addr: libc::sockaddr_in = unsafe { std::mem::zeroed() };
    addr.sin_family = libc::AF_INET as libc::sa_family_t;
    addr.sin_port = port.to_be();
    addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
    // SAFETY: `addr` is a live sockaddr_in whose size is passed alongside.
    let bound = check_int(unsafe {
        libc::bind(
            fd,
            ptr::from_ref(&addr).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        )
    })
    // SAFETY: integer arguments only.
    .and_then(|_| check_int(unsafe { libc::listen(fd, 128) }));
    if let Err(e) = bound {
        close(fd);
        return Err(e);
    }
    Ok(fd)
}

/// `accept4(2)` without the peer's address.
pub(super) fn accept(fd: libc::c_int) -> Result<libc::c_int, Errno> {
    // SAFETY: null address and length pointers are allowed by accept4(2).
    check_int(unsafe { libc::accept4(fd, ptr::null_mut(), ptr::null_mut(), libc::SOCK_CLOEXEC) })
}

/// A stream socket connected to the UNIX socket at `path`.
pub(super) fn connect_unix(path: &CStr) -> Result<libc::c_int, Errno> {
    // SAFETY: `sockaddr_un` is plain old data; all-zero is valid.
    let mut addr: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    addr.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.to_bytes();
    if bytes.len() >= addr.sun_path.len() {
        return Err(libc::ENAMETOOLONG);
    }
    for (dst, src) in addr.sun_path.iter_mut().zip(bytes) {
        *dst = *src as libc::c_char;
    }
    // SAFETY: integer arguments only.
    let fd = check_int(unsafe {
        libc::socket(libc::AF_UNIX, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0)
    })?;
    // SAFETY: `addr` is a live sockaddr_un whose size is passed alongside.
    let rc = unsafe {
        libc::connect(
            fd,
            ptr::from_ref(&addr).cast(),
            std::mem::size_of::<libc::sockaddr_un>() as libc::socklen_t,
        )
    };
    if let Err(e) = check_int(rc) {
        close(fd);
        return Err(e);
    }
    Ok(fd)
}

/// `shutdown(fd, SHUT_WR)`.
pub(super) fn shutdown_write(fd: libc::c_int) {
    // SAFETY: integer arguments only; a failure leaves nothing to undo.
    unsafe {
        libc::shutdown(fd, libc::SHUT_WR);
    }
}

/// Children of this process are reaped by the kernel (`SIGCHLD` ignored).
pub(super) fn auto_reap_children() -> Result<(), Errno> {
    // SAFETY: installs the SIG_IGN disposition; no handler code runs.
    let old = unsafe { libc::signal(libc::SIGCHLD, libc::SIG_IGN) };
    if old == libc::SIG_ERR {
        return Err(errno());
    }
    Ok(())
}

/// `MOUNT_ATTR_IDMAP`.
pub(super) const MOUNT_ATTR_IDMAP: u64 = 0x0010_0000;

/// `open_tree(path, OPEN_TREE_CLONE | AT_RECURSIVE | OPEN_TREE_CLOEXEC)`: a
/// detached copy of the mount tree at `path`, opened by the caller's
/// privileges (no later path walk needs to reach it).
pub(super) fn open_tree_clone(path: &CStr) -> Result<libc::c_int, Errno> {
    const OPEN_TREE_CLONE: libc::c_uint = 1;
    const OPEN_TREE_CLOEXEC: libc::c_uint = libc::O_CLOEXEC as libc::c_uint;
    let flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | libc::AT_RECURSIVE as libc::c_uint;
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    let rc = unsafe { libc::syscall(libc::SYS_open_tree, libc::AT_FDCWD, path.as_ptr(), flags) };
    check(rc).map(|fd| libc::c_int::try_from(fd).unwrap_or(-1))
}

/// `mount_setattr` on the (detached) tree `fd`: sets `attr_set`, with
/// `MOUNT_ATTR_IDMAP` taking the mapping of the user namespace `userns`.
pub(super) fn set_tree_attrs_fd(
    fd: libc::c_int,
    attr_set: u64,
    userns: Option<libc::c_int>,
) -> Result<(), Errno> {
    let attr = MountAttr {
        attr_set,
        attr_clr: 0,
        propagation: 0,
        userns_fd: userns.map_or(0, |u| u64::try_from(u).unwrap_or(0)),
    };
    // SAFETY: the empty path is NUL-terminated; `attr` is a live struct
    // mount_attr whose size is passed alongside; the kernel only reads both.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_mount_setattr,
            fd,
            c"".as_ptr(),
            libc::AT_EMPTY_PATH | libc::AT_RECURSIVE,
            ptr::from_ref(&attr),
            std::mem::size_of::<MountAttr>(),
        )
    };
    check(rc).map(drop)
}

/// `move_mount(fd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH)`: attaches
/// the detached tree `fd` at `target`.
pub(super) fn attach_tree(fd: libc::c_int, target: &CStr) -> Result<(), Errno> {
    const MOVE_MOUNT_F_EMPTY_PATH: libc::c_uint = 0x4;
    // SAFETY: both strings are NUL-terminated and borrowed for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_move_mount,
            fd,
            c"".as_ptr(),
            libc::AT_FDCWD,
            target.as_ptr(),
            MOVE_MOUNT_F_EMPTY_PATH,
        )
    };
    check(rc).map(drop)
}

/// `prctl(PR_SET_DUMPABLE, 1)`: a change of ids made the process
/// non-dumpable, which would keep PID 1 from taking the task's seccomp
/// listener (`pidfd_getfd` needs ptrace access). The task still cannot
/// ptrace PID 1: its capabilities are not a subset of the task's (none).
pub(super) fn dumpable() -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    check_int(unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1, 0, 0, 0) }).map(drop)
}

/// Sets the supplementary groups to exactly `gids` (none: all dropped).
pub(super) fn set_groups(gids: &[libc::gid_t]) -> Result<(), Errno> {
    // SAFETY: the pointer and length describe `gids`, which setgroups only
    // reads; a zero length with any pointer is allowed.
    check_int(unsafe { libc::setgroups(gids.len(), gids.as_ptr()) }).map(drop)
}

/// `setresgid(id, id, id)` then `setresuid(id, id, id)`.
pub(super) fn become_id(id: u32) -> Result<(), Errno> {
    // SAFETY: integer arguments only.
    check_int(unsafe { libc::setresgid(id, id, id) })?;
    // SAFETY: integer arguments only.
    check_int(unsafe { libc::setresuid(id, id, id) }).map(drop)
}

/// `/proc/<pid>/<leaf>` formatted into `buf` (no allocation).
pub(super) fn proc_path<'a>(buf: &'a mut [u8; 64], pid: libc::pid_t, leaf: &[u8]) -> &'a CStr {
    let mut digits = [0u8; 12];
    let mut n = pid.unsigned_abs();
    let mut i = digits.len();
    loop {
        i -= 1;
        digits[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let mut len = 0;
    for part in [&b"/proc/"[..], &digits[i..], b"/", leaf] {
        for &b in part {
            if len < buf.len() - 1 {
                buf[len] = b;
                len += 1;
            }
        }
    }
    buf[len] = 0;
    CStr::from_bytes_with_nul(&buf[..=len]).unwrap_or(c"")
}

/// `open(path, flags)` for a file whose descriptor is kept (a namespace).
pub(super) fn open_ro(path: &CStr) -> Result<libc::c_int, Errno> {
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    check_int(unsafe { libc::open(path.as_ptr(), libc::O_RDONLY | libc::O_CLOEXEC) })
}

/// `struct __user_cap_header_struct` (`_LINUX_CAPABILITY_VERSION_3`).
#[repr(C)]
struct CapHeader {
    version: u32,
    pid: libc::c_int,
}

/// One of the two `struct __user_cap_data_struct` of version 3.
#[repr(C)]
#[derive(Clone, Copy)]
struct CapData {
    effective: u32,
    permitted: u32,
    inheritable: u32,
}

/// Drops every capability of this process (effective, permitted,
/// inheritable) and sets no_new_privs: for helpers that need none of the
/// capabilities PID 1 holds inside the user namespace (the network relay).
pub(super) fn drop_all_caps() -> Result<(), Errno> {
    let header = CapHeader {
        version: 0x2008_0522,
        pid: 0,
    };
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: `header` and `data` are live, correctly laid out version-3
    // capability structs; capset only reads them.
    check(unsafe { libc::syscall(libc::SYS_capset, ptr::from_ref(&header), data.as_ptr()) })?;
    no_new_privs()
}
