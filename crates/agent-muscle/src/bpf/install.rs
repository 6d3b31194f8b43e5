//! Installs a compiled filter on the calling thread. The only `unsafe` in the
//! filter compiler lives here.
//!
//! Both functions are meant for a `pre_exec` hook (between `fork` and `exec`
//! in a child that has exactly one thread): they allocate nothing, take no
//! locks and make only the `prctl` and `seccomp` syscalls. No
//! `SECCOMP_FILTER_FLAG_TSYNC`: the child is single-threaded, and the filter
//! must never be synchronised onto the supervisor's threads.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd};

use super::{BpfError, SockFilter, MAX_INSNS};

/// Sets `PR_SET_NO_NEW_PRIVS` and installs `program` with
/// `seccomp(SECCOMP_SET_MODE_FILTER, 0, …)`. The filter applies to this
/// thread and everything it `exec`s or forks; it cannot be removed.
///
/// `Action::UserNotif` verdicts return `ENOSYS` under a filter installed this
/// way; use [`install_with_listener`] for those.
///
/// # Errors
///
/// [`BpfError::TooLong`] for an empty or over-long program (checked before any
/// syscall), [`BpfError::Install`] with the errno of the failing call.
pub fn install(program: &[SockFilter]) -> Result<(), BpfError> {
    install_raw(program, 0).map(|_| ())
}

/// Like [`install`], with `SECCOMP_FILTER_FLAG_NEW_LISTENER`: returns the
/// user-notification fd that the supervisor reads `seccomp_notif`s from (the
/// caller passes it on, for example over a socketpair, before `exec`).
///
/// # Errors
///
/// As [`install`]; the kernel refuses a second listener in one filter chain
/// with `EBUSY`.
pub fn install_with_listener(program: &[SockFilter]) -> Result<OwnedFd, BpfError> {
    let fd = install_raw(program, libc::SECCOMP_FILTER_FLAG_NEW_LISTENER)?;
    let fd = i32::try_from(fd).map_err(|_| BpfError::Install {
        step: "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER) returned no fd",
        errno: libc::EBADF,
    })?;
    // SAFETY: with SECCOMP_FILTER_FLAG_NEW_LISTENER a successful seccomp()
    // returns a new file descriptor that nothing else in this process owns or
    // will close, so `OwnedFd` may take sole ownership of it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn last_errno() -> i32 {
    // `last_os_error` only reads errno; the `Os` variant does not allocate.
    io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

fn install_raw(program: &[SockFilter], flags: libc::c_ulong) -> Result<libc::c_long, BpfError> {
    let len = match u16::try_from(program.len()) {
        Ok(len) if len > 0 && program.len() <= MAX_INSNS => len,
        _ => {
            return Err(BpfError::TooLong {
                instructions: program.len(),
            })
        }
    };

    // SAFETY: prctl(PR_SET_NO_NEW_PRIVS) takes integer arguments only and
    // touches no memory of ours; the unused arguments must be 0.
    let rc = unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) };
    if rc != 0 {
        return Err(BpfError::Install {
            step: "prctl(PR_SET_NO_NEW_PRIVS)",
            errno: last_errno(),
        });
    }

    let prog = libc::sock_fprog {
        len,
        // The kernel only reads through this pointer (it copies the program).
        filter: program.as_ptr().cast::<libc::sock_filter>().cast_mut(),
    };
    // SAFETY: `prog.filter` points to `len` initialised `SockFilter`s, which
    // are `#[repr(C)]` with the size and alignment of `struct sock_filter`
    // (asserted at compile time in bpf/mod.rs); `program` and `prog` outlive
    // the call, and the kernel copies the program before returning.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            flags,
            std::ptr::from_ref(&prog),
        )
    };
    if rc < 0 {
        return Err(BpfError::Install {
            step: "seccomp(SECCOMP_SET_MODE_FILTER)",
            errno: last_errno(),
        });
    }
    Ok(rc)
}
