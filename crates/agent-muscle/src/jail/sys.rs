//! The jail's `unsafe`: thin wrappers over the raw syscalls that build the
//! sandbox (namespaces, mounts, Landlock, fork/exec). Each turns `-1`/errno
//! into an [`io::Error`]; which calls to make, and in what order, is
//! `jail/mod.rs`'s business.
//!
//! The jail binary is single-threaded, so `fork` here is an ordinary fork:
//! the child may allocate.

use std::ffi::{CStr, CString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

fn check(rc: libc::c_long) -> io::Result<libc::c_long> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc)
    }
}

fn opt_ptr(s: Option<&CStr>) -> *const libc::c_char {
    s.map_or(ptr::null(), CStr::as_ptr)
}

/// `unshare(2)` with `flags` (`CLONE_NEW*`).
pub(super) fn unshare(flags: libc::c_int) -> io::Result<()> {
    // SAFETY: unshare takes flags by value and touches no memory of ours.
    check(unsafe { libc::unshare(flags) }.into()).map(drop)
}

/// `mount(2)`.
pub(super) fn mount(
    source: Option<&CStr>,
    target: &CStr,
    fstype: Option<&CStr>,
    flags: libc::c_ulong,
    data: Option<&CStr>,
) -> io::Result<()> {
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
    check(rc.into()).map(drop)
}

/// `struct mount_attr` from `<linux/mount.h>`.
#[repr(C)]
struct MountAttr {
    attr_set: u64,
    attr_clr: u64,
    propagation: u64,
    userns_fd: u64,
}

/// `MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID` on `path` and every mount below it
/// (`mount_setattr(2)` with `AT_RECURSIVE`, Linux 5.12+).
pub(super) fn make_tree_read_only(path: &CStr) -> io::Result<()> {
    const MOUNT_ATTR_RDONLY: u64 = 0x1;
    const MOUNT_ATTR_NOSUID: u64 = 0x2;
    let attr = MountAttr {
        attr_set: MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID,
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
pub(super) fn pivot_root(new_root: &CStr, put_old: &CStr) -> io::Result<()> {
    // SAFETY: both arguments are NUL-terminated strings borrowed for the call.
    let rc = unsafe { libc::syscall(libc::SYS_pivot_root, new_root.as_ptr(), put_old.as_ptr()) };
    check(rc).map(drop)
}

/// `umount2(2)`.
pub(super) fn umount2(target: &CStr, flags: libc::c_int) -> io::Result<()> {
    // SAFETY: `target` is a NUL-terminated string borrowed for the call.
    check(unsafe { libc::umount2(target.as_ptr(), flags) }.into()).map(drop)
}

/// `sethostname(2)`.
pub(super) fn sethostname(name: &[u8]) -> io::Result<()> {
    // SAFETY: the pointer and length describe `name`, borrowed for the call.
    check(unsafe { libc::sethostname(name.as_ptr().cast(), name.len()) }.into()).map(drop)
}

/// `fork(2)`: `Ok(0)` in the child, the child's pid in the parent.
pub(super) fn fork() -> io::Result<libc::pid_t> {
    // SAFETY: the jail is single-threaded (it never spawns threads), so the
    // child is a complete copy and may go on running ordinary Rust code.
    let pid = unsafe { libc::fork() };
    check(pid.into()).map(|_| pid)
}

/// `prctl(PR_SET_PDEATHSIG, SIGKILL)`.
pub(super) fn die_with_parent() -> io::Result<()> {
    // SAFETY: PR_SET_PDEATHSIG takes a signal number by value and no pointers.
    check(unsafe { libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) }.into()).map(drop)
}

/// `prctl(PR_SET_NO_NEW_PRIVS, 1)`.
pub(super) fn no_new_privs() -> io::Result<()> {
    // SAFETY: integer arguments only; the unused ones must be 0.
    check(unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) }.into()).map(drop)
}

/// Sets `FD_CLOEXEC` on `fd`.
pub(super) fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_SETFD on a descriptor number; an invalid one gives EBADF.
    check(unsafe { libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC) }.into()).map(drop)
}

/// `waitpid(pid, 0)`, retrying on `EINTR`; returns the reaped pid and its
/// raw wait status.
pub(super) fn wait(pid: libc::pid_t) -> io::Result<(libc::pid_t, i32)> {
    let mut status = 0;
    loop {
        // SAFETY: `status` is a live, exclusively borrowed local.
        let rc = unsafe { libc::waitpid(pid, &mut status, 0) };
        if rc >= 0 {
            return Ok((rc, status));
        }
        let err = io::Error::last_os_error();
        if err.raw_os_error() != Some(libc::EINTR) {
            return Err(err);
        }
    }
}

/// `execve(2)`; returns only on failure.
pub(super) fn execve(program: &CStr, argv: &[CString], env: &[CString]) -> io::Error {
    let mut argv_ptrs: Vec<*const libc::c_char> = argv.iter().map(|a| a.as_ptr()).collect();
    argv_ptrs.push(ptr::null());
    let mut env_ptrs: Vec<*const libc::c_char> = env.iter().map(|a| a.as_ptr()).collect();
    env_ptrs.push(ptr::null());
    // SAFETY: `program` is NUL-terminated; both pointer arrays are
    // null-terminated and point into `argv`/`env`, which outlive the call.
    unsafe { libc::execve(program.as_ptr(), argv_ptrs.as_ptr(), env_ptrs.as_ptr()) };
    io::Error::last_os_error()
}

/// `_exit(2)`: leaves without running destructors or atexit handlers.
pub(super) fn exit_now(code: i32) -> ! {
    // SAFETY: _exit never returns and takes an integer.
    unsafe { libc::_exit(code) }
}

/// Opens `path` with `O_PATH | O_CLOEXEC` (for Landlock rules).
pub(super) fn open_path(path: &CStr) -> io::Result<OwnedFd> {
    // SAFETY: `path` is NUL-terminated and borrowed for the call.
    let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
    check(fd.into())?;
    // SAFETY: open succeeded, so `fd` is a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// The Landlock ABI version, or `None` when the kernel has none (or it is
/// disabled).
pub(super) fn landlock_abi() -> Option<u32> {
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
#[repr(C)]
pub(super) struct RulesetAttr {
    pub handled_access_fs: u64,
    pub handled_access_net: u64,
    pub scoped: u64,
}

/// `landlock_create_ruleset(attr, size, 0)`, passing only the first `size`
/// bytes of `attr`.
pub(super) fn landlock_create_ruleset(attr: &RulesetAttr, size: usize) -> io::Result<OwnedFd> {
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
    let fd = check(rc)?;
    // SAFETY: success returns a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as RawFd) })
}

/// `struct landlock_path_beneath_attr` (packed in the kernel's header).
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// Adds a `LANDLOCK_RULE_PATH_BENEATH` rule: `access` under `dir`.
pub(super) fn landlock_allow_beneath(
    ruleset: &OwnedFd,
    dir: &OwnedFd,
    access: u64,
) -> io::Result<()> {
    const LANDLOCK_RULE_PATH_BENEATH: u32 = 1;
    let attr = PathBeneathAttr {
        allowed_access: access,
        parent_fd: dir.as_raw_fd(),
    };
    // SAFETY: `attr` is a live packed struct laid out like the kernel's; the
    // kernel only reads it; both descriptors are open for the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_landlock_add_rule,
            ruleset.as_raw_fd(),
            LANDLOCK_RULE_PATH_BENEATH,
            ptr::from_ref(&attr),
            0u32,
        )
    };
    check(rc).map(drop)
}

/// `landlock_restrict_self(ruleset, 0)`.
pub(super) fn landlock_restrict_self(ruleset: &OwnedFd) -> io::Result<()> {
    // SAFETY: integer arguments only; the descriptor is open for the call.
    let rc = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset.as_raw_fd(), 0u32) };
    check(rc).map(drop)
}

/// `getuid()` and `getgid()`.
pub(super) fn ids() -> (u32, u32) {
    // SAFETY: getuid and getgid take no arguments and cannot fail.
    unsafe { (libc::getuid(), libc::getgid()) }
}
