//! The task's identity when the caller is root: an unprivileged host id.
//!
//! Run as root, the jail would otherwise map the task's uid to root: every
//! root-only file on the host (`/etc/ssl/private`, `/var/lib/*` state) would
//! be readable through the read-only view, root's supplementary groups would
//! come along, and what the task writes would be root's. So with a root
//! caller the helper:
//!
//! 1. drops its supplementary groups (keeping only the group owners of
//!    `/dev` nodes the task was given, e.g. `kvm`, so it can open them);
//! 2. opens every bind source itself, before any namespace exists, as a
//!    detached mount tree (`open_tree`), so nothing later has to walk a path
//!    through root-only directories (`/root`, a 0700 temporary directory);
//!    the workspace, the writable binds and the egress directory become
//!    **idmapped** mounts (`mount_setattr(MOUNT_ATTR_IDMAP)`) on which the
//!    workspace owner's files appear as the task's own, and the task's
//!    writes land as the owner's — the task can write its workspace, and
//!    only its workspace;
//! 3. has a forked *mapper*, still root in the host's namespaces, write the
//!    new user namespace's maps from outside (`INSIDE_ID` → [`TASK_HOST_ID`]):
//!    a process cannot map ids other than its own for itself;
//! 4. switches to `INSIDE_ID` (host [`TASK_HOST_ID`]); it keeps its
//!    capabilities *inside* the namespace (where root is unmapped) to build
//!    the view, and the task's `execve` as that id drops them.
//!
//! The task then reads host files as "other" does, and its processes belong
//! to an id no account owns.

use super::plan::Plan;
use super::report;
use super::{sys, REPORT_FD};

/// The host uid and gid a root caller's task runs as: one no account has.
pub const TASK_HOST_ID: u32 = 0x7ff0_0000;

/// A user namespace mapping 0 to [`TASK_HOST_ID`] (for idmapped mounts:
/// files the host's root owns appear as the task's), as a descriptor.
fn idmap_userns(map: &[u8]) -> Result<libc::c_int, (&'static str, sys::Errno)> {
    let (ready_r, ready_w) = sys::pipe().map_err(|e| ("create a pipe", e))?;
    let (hold_r, hold_w) = sys::pipe().map_err(|e| ("create a pipe", e))?;
    let child = match sys::fork() {
        Err(e) => return Err(("fork the id-mapping helper", e)),
        Ok(0) => {
            sys::close(ready_r);
            sys::close(hold_w);
            if sys::unshare(libc::CLONE_NEWUSER).is_err() {
                sys::exit_now(1);
            }
            let _ = sys::write_all(ready_w, b"r");
            let mut byte = [0u8; 1];
            let _ = sys::read(hold_r, &mut byte); // until the parent is done
            sys::exit_now(0)
        }
        Ok(pid) => pid,
    };
    sys::close(ready_w);
    sys::close(hold_r);
    let mut byte = [0u8; 1];
    let result = match sys::read(ready_r, &mut byte) {
        Ok(1) => write_maps(child, map).and_then(|()| {
            let mut buf = [0u8; 64];
            sys::open_ro(sys::proc_path(&mut buf, child, b"ns/user"))
                .map_err(|e| ("open the id-mapping namespace", e))
        }),
        _ => Err(("create the id-mapping namespace", libc::EPERM)),
    };
    sys::close(ready_r);
    sys::close(hold_w);
    let _ = sys::wait(child, 0);
    result
}

/// Writes `map` as the uid and gid map of `pid`'s user namespace
/// (`setgroups` denied first).
fn write_maps(pid: libc::pid_t, map: &[u8]) -> Result<(), (&'static str, sys::Errno)> {
    let mut buf = [0u8; 64];
    sys::write_file(sys::proc_path(&mut buf, pid, b"setgroups"), b"deny")
        .map_err(|e| ("write setgroups", e))?;
    let mut buf = [0u8; 64];
    sys::write_file(sys::proc_path(&mut buf, pid, b"uid_map"), map)
        .map_err(|e| ("write uid_map", e))?;
    let mut buf = [0u8; 64];
    sys::write_file(sys::proc_path(&mut buf, pid, b"gid_map"), map)
        .map_err(|e| ("write gid_map", e))
}

/// Steps 1 and 2: no supplementary groups; every bind source opened as a
/// detached tree with its flags (and idmapping) set, into `plan.tree_fds`.
pub(super) fn prepare(plan: &mut Plan) {
    let fd = REPORT_FD;
    if let Err(e) = sys::set_groups(&plan.keep_gids) {
        report::fail(fd, "drop the supplementary groups", e);
    }
    let userns = if plan.trees.iter().any(|t| t.idmap) {
        match idmap_userns(&plan.idmap_map) {
            Ok(u) => Some(u),
            Err((step, e)) => report::fail(fd, step, e),
        }
    } else {
        None
    };
    for tree in &plan.trees {
        if plan.tree_fds.len() == plan.tree_fds.capacity() {
            report::fail(fd, "open the bind sources", libc::ENOSPC);
        }
        let t = match sys::open_tree_clone(&tree.source) {
            Ok(t) => t,
            Err(e) => report::fail(fd, "open a bind source (open_tree)", e),
        };
        let mut attrs = tree.attrs;
        if tree.idmap {
            attrs |= sys::MOUNT_ATTR_IDMAP;
        }
        if let Err(e) = sys::set_tree_attrs_fd(t, attrs, userns.filter(|_| tree.idmap)) {
            let step = if tree.idmap {
                "idmap the workspace mount (the file system must support idmapped mounts to run a root caller's task as an unprivileged id; run autonomic as a regular user otherwise)"
            } else {
                "set the flags of a bind source"
            };
            report::fail(fd, step, e);
        }
        plan.tree_fds.push(t);
    }
    if let Some(u) = userns {
        sys::close(u);
    }
}

/// Steps 3 and 4: unshares `plan.ns_flags` with the maps written from
/// outside, then becomes `INSIDE_ID`.
pub(super) fn unshare_mapped(plan: &Plan) {
    let fd = REPORT_FD;
    let (go_r, go_w) = sys::pipe().unwrap_or_else(|e| report::fail(fd, "create a pipe", e));
    let (done_r, done_w) = sys::pipe().unwrap_or_else(|e| report::fail(fd, "create a pipe", e));
    // SAFETY: getpid takes no arguments and cannot fail.
    let me = unsafe { libc::getpid() };
    let mapper = match sys::fork() {
        Err(e) => report::fail(fd, "fork the id mapper", e),
        Ok(0) => {
            sys::close(go_w);
            sys::close(done_r);
            let mut byte = [0u8; 1];
            if !matches!(sys::read(go_r, &mut byte), Ok(1)) {
                sys::exit_now(1);
            }
            if let Err((step, e)) = write_maps(me, &plan.uid_map) {
                report::fail(fd, step, e);
            }
            let _ = sys::write_all(done_w, b"d");
            sys::exit_now(0)
        }
        Ok(pid) => pid,
    };
    sys::close(go_r);
    sys::close(done_w);
    if let Err(e) = sys::unshare(plan.ns_flags) {
        report::fail(fd, "unshare the namespaces", e);
    }
    let _ = sys::write_all(go_w, b"g");
    let mut byte = [0u8; 1];
    let mapped = matches!(sys::read(done_r, &mut byte), Ok(1));
    let _ = sys::wait(mapper, 0);
    sys::close(go_w);
    sys::close(done_r);
    if !mapped {
        report::fail(fd, "map the task's ids (the mapper failed)", libc::EPERM);
    }
    if let Err(e) = sys::become_id(super::INSIDE_ID) {
        report::fail(fd, "switch to the task's id", e);
    }
    if let Err(e) = sys::dumpable() {
        report::fail(fd, "prctl(PR_SET_DUMPABLE)", e);
    }
}
