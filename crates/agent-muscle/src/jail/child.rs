//! The jail's three processes (the helper itself, PID 1, the task), working
//! over a prepared [`Plan`]. Async-signal-safe only — raw syscalls, no
//! allocation, no locks — and every path ends in `_exit` or `execve`.

use std::ffi::CStr;
use std::os::fd::IntoRawFd as _;

use super::plan::Plan;
use super::report::{self, Line};
use super::{notify, sys, REPORT_FD, SETUP_FAILED};
use crate::bpf::{self, BpfError};

/// `CLOSE_RANGE_CLOEXEC` from `<linux/close_range.h>`.
const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;

/// Exit status of a process as a shell would show it.
pub(super) fn status_code(status: i32) -> i32 {
    if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    }
}

fn fail_path(step: &str, path: &CStr, errno: sys::Errno) -> ! {
    use std::fmt::Write as _;
    let mut line = Line::new();
    let _ = write!(line, "error {errno} {step} ");
    line.bytes(path.to_bytes());
    line.send(REPORT_FD);
    sys::exit_now(SETUP_FAILED)
}

/// The helper's own process: namespaces, id maps, PID 1, then mirror its
/// status.
pub(super) fn outer(plan: &mut Plan) -> ! {
    let fd = REPORT_FD;
    // Nothing above the report pipe is ours to pass on (the task
    // description's memfd has been read and closed already).
    if let Err(e) = sys::close_from(4, 0) {
        report::fail(fd, "close the inherited descriptors", e);
    }
    if plan.run_as.is_some() {
        super::identity::prepare(plan);
        super::identity::unshare_mapped(plan);
    } else {
        if let Err(e) = sys::unshare(plan.ns_flags) {
            report::fail(fd, "unshare the namespaces", e);
        }
        if let Err(e) = sys::write_file(c"/proc/self/setgroups", b"deny") {
            report::fail(fd, "write /proc/self/setgroups", e);
        }
        if let Err(e) = sys::write_file(c"/proc/self/uid_map", &plan.uid_map) {
            report::fail(fd, "write /proc/self/uid_map", e);
        }
        if let Err(e) = sys::write_file(c"/proc/self/gid_map", &plan.gid_map) {
            report::fail(fd, "write /proc/self/gid_map", e);
        }
    }
    if let Err(e) = sys::sethostname(super::HOSTNAME.as_bytes()) {
        report::fail(fd, "set the hostname", e);
    }
    match sys::fork() {
        Err(e) => report::fail(fd, "fork PID 1", e),
        Ok(0) => pid1(plan),
        Ok(init) => match sys::wait(init, 0) {
            Ok((_, status)) => sys::exit_now(status_code(status)),
            Err(e) => report::fail(fd, "wait for PID 1", e),
        },
    }
}

/// PID 1: build the view, start the task, supervise it.
fn pid1(plan: &mut Plan) -> ! {
    let fd = REPORT_FD;
    if let Err(e) = sys::die_with_parent() {
        report::fail(fd, "prctl(PR_SET_PDEATHSIG)", e);
    }
    for step in &plan.steps {
        if let Err(e) = step.run(&plan.tree_fds) {
            step.fail(fd, e);
        }
    }
    if !plan.network {
        if let Err(e) = sys::loopback_up() {
            report::fail(fd, "bring the loopback interface up", e);
        }
    }
    if let Some((port, socket)) = &plan.relay {
        let listener = match sys::listen_loopback(*port) {
            Ok(l) => l,
            Err(e) => report::fail(fd, "listen on 127.0.0.1 for the network relay", e),
        };
        match sys::fork() {
            Err(e) => report::fail(fd, "fork the network relay", e),
            Ok(0) => super::relay::serve(listener, socket),
            Ok(_) => sys::close(listener),
        }
    }
    for path in &plan.masked {
        if plan.mask_ids.len() == plan.mask_ids.capacity() {
            break; // never reallocate here
        }
        if let Ok(id) = sys::path_id(path) {
            plan.mask_ids.push(id);
        }
    }
    let sigfd = match sys::sigchld_fd() {
        Ok(sigfd) => sigfd,
        Err(e) => report::fail(fd, "set up SIGCHLD delivery", e),
    };
    let (ready_r, ready_w) = match sys::pipe() {
        Ok(p) => p,
        Err(e) => report::fail(fd, "create the hand-over pipe", e),
    };
    let (go_r, go_w) = match sys::pipe() {
        Ok(p) => p,
        Err(e) => report::fail(fd, "create the hand-over pipe", e),
    };
    let task_pid = match sys::fork() {
        Err(e) => report::fail(fd, "fork the task", e),
        Ok(0) => task(plan, ready_w, go_r),
        Ok(pid) => pid,
    };
    sys::close(ready_w);
    sys::close(go_r);

    // The task sends the number of its listener descriptor once the filter
    // is in place; end of file means it failed before (and reported why).
    let mut number = [0u8; 4];
    let mut got = 0;
    while got < number.len() {
        match sys::read(ready_r, &mut number[got..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => got += n,
        }
    }
    let mut listener = -1;
    if got == number.len() {
        let remote = i32::from_ne_bytes(number);
        let taken = sys::pidfd_open(task_pid).and_then(|pidfd| {
            let r = sys::pidfd_getfd(pidfd, remote);
            sys::close(pidfd);
            r
        });
        match taken {
            Ok(l) => {
                listener = l;
                let _ = sys::notif_sync_wake_up(listener);
            }
            Err(e) => {
                sys::kill(task_pid, libc::SIGKILL);
                report::fail(fd, "take the task's seccomp listener (pidfd_getfd)", e);
            }
        }
        if let Err(e) = sys::write_all(go_w, b"g") {
            sys::kill(task_pid, libc::SIGKILL);
            report::fail(fd, "release the task", e);
        }
    }
    sys::close(go_w);
    sys::close(ready_r);
    notify::supervise(plan, task_pid, listener, sigfd)
}

/// The task: Landlock, filter, hand-over, `execve`.
fn task(plan: &Plan, ready_w: libc::c_int, go_r: libc::c_int) -> ! {
    let fd = REPORT_FD;
    if let Err(e) = sys::unblock_signals() {
        report::fail(fd, "unblock signals", e);
    }
    // Nothing but stdio may reach the task's program.
    if let Err(e) = sys::close_from(3, CLOSE_RANGE_CLOEXEC) {
        report::fail(fd, "mark descriptors close-on-exec", e);
    }
    if let Err(e) = sys::no_core_dumps() {
        report::fail(fd, "setrlimit(RLIMIT_CORE)", e);
    }
    if let Err(e) = sys::executable(&plan.program) {
        fail_path(
            "execute (not found or not executable in the sandbox)",
            &plan.program,
            e,
        );
    }
    landlock(plan);
    let listener = match bpf::install_with_listener(&plan.filter) {
        Ok(l) => l.into_raw_fd(),
        Err(BpfError::Install { step, errno }) => report::fail(fd, step, errno),
        Err(_) => report::fail(fd, "install the seccomp filter", libc::EINVAL),
    };
    // From here on only read, write, execve and exit_group: the filter is
    // live and nobody reads its notifications until PID 1 has the listener.
    if sys::write_all(ready_w, &listener.to_ne_bytes()).is_err() {
        sys::exit_now(SETUP_FAILED);
    }
    let mut go = [0u8; 1];
    if !matches!(sys::read(go_r, &mut go), Ok(1)) {
        sys::exit_now(SETUP_FAILED);
    }
    let errno = sys::execve(&plan.program, &plan.argv_ptrs, &plan.envp_ptrs);
    fail_path("execve", &plan.program, errno)
}

/// Applies the plan's Landlock rules (no_new_privs first, as Landlock
/// requires without CAP_SYS_ADMIN).
fn landlock(plan: &Plan) {
    let fd = REPORT_FD;
    if let Err(e) = sys::no_new_privs() {
        report::fail(fd, "prctl(PR_SET_NO_NEW_PRIVS)", e);
    }
    let Some(ll) = &plan.landlock else {
        return;
    };
    let ruleset = match sys::landlock_create_ruleset(&ll.attr, ll.attr_size) {
        Ok(r) => r,
        Err(e) => report::fail(fd, "landlock_create_ruleset", e),
    };
    for (path, access) in &ll.rules {
        let dir = match sys::open(path, libc::O_PATH) {
            Ok(d) => d,
            Err(e) => fail_path("open for a Landlock rule", path, e),
        };
        if let Err(e) = sys::landlock_allow_beneath(ruleset, dir, *access) {
            fail_path("add a Landlock rule for", path, e);
        }
        sys::close(dir);
    }
    if let Err(e) = sys::landlock_restrict_self(ruleset) {
        report::fail(fd, "landlock_restrict_self", e);
    }
    sys::close(ruleset);
}
