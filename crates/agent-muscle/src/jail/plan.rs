//! The [`Plan`]: everything the jail's processes will need, computed in the
//! parent (where allocating, reading the host's file system and logging are
//! fine) so that the children only walk over prepared data.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt as _;
use std::path::Path;

use super::{notify, report, sys, view, JailTask, INSIDE_ID};
use crate::bpf::{self, CompileOptions, SockFilter};

/// One file-system operation of PID 1's view building.
#[derive(Debug)]
pub(super) enum Step {
    Mount {
        source: Option<CString>,
        target: CString,
        fstype: Option<CString>,
        flags: libc::c_ulong,
        data: Option<CString>,
    },
    /// `mount_setattr` of `MOUNT_ATTR_*` flags on a tree of mounts.
    TreeAttrs {
        path: CString,
        set: u64,
    },
    Mkdir {
        path: CString,
        exist_ok: bool,
    },
    Touch {
        path: CString,
        mode: libc::mode_t,
    },
    /// A new file with this content (in the staging tmpfs).
    WriteFile {
        path: CString,
        data: Vec<u8>,
    },
    /// A file mount point: created when missing, never written.
    EnsureFile {
        path: CString,
        mode: libc::mode_t,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    Chdir(CString),
    /// Attaches the detached tree the helper opened for `Plan::trees[tree]`.
    Attach {
        tree: usize,
        target: CString,
    },
    PivotRoot {
        new_root: CString,
        put_old: CString,
    },
    Detach(CString),
}

impl Step {
    pub(super) fn run(&self, tree_fds: &[libc::c_int]) -> Result<(), sys::Errno> {
        match self {
            Step::Attach { tree, target } => {
                sys::attach_tree(tree_fds.get(*tree).copied().unwrap_or(-1), target)
            }
            Step::Mount {
                source,
                target,
                fstype,
                flags,
                data,
            } => sys::mount(
                source.as_deref(),
                target,
                fstype.as_deref(),
                *flags,
                data.as_deref(),
            ),
            Step::TreeAttrs { path, set } => sys::set_tree_attrs(path, *set),
            Step::Mkdir { path, exist_ok } => sys::mkdir(path, 0o755, *exist_ok),
            Step::Touch { path, mode } => sys::touch(path, *mode),
            Step::EnsureFile { path, mode } => sys::ensure_file(path, *mode),
            Step::WriteFile { path, data } => sys::write_new_file(path, data),
            Step::Symlink { target, link } => sys::symlink(target, link),
            Step::Chdir(path) => sys::chdir(path),
            Step::PivotRoot { new_root, put_old } => sys::pivot_root(new_root, put_old),
            Step::Detach(path) => sys::umount2(path, libc::MNT_DETACH),
        }
    }

    /// Reports this step's failure and leaves (allocation-free).
    pub(super) fn fail(&self, fd: libc::c_int, errno: sys::Errno) -> ! {
        use std::fmt::Write as _;
        let mut line = report::Line::new();
        let _ = write!(line, "error {errno} ");
        let (what, path): (&str, &CStr) = match self {
            Step::Mount {
                source,
                target,
                fstype,
                ..
            } => {
                line.bytes(b"mount ");
                if let Some(s) = source.as_deref().or(fstype.as_deref()) {
                    line.bytes(s.to_bytes());
                }
                (" on ", target)
            }
            Step::TreeAttrs { path, .. } => {
                ("set mount flags (nosuid, nodev, read-only) at ", path)
            }
            Step::Mkdir { path, .. } => ("create directory ", path),
            Step::Touch { path, .. }
            | Step::EnsureFile { path, .. }
            | Step::WriteFile { path, .. } => ("create file ", path),
            Step::Symlink { link, .. } => ("create symlink ", link),
            Step::Chdir(p) => ("chdir to ", p),
            Step::Attach { target, .. } => ("attach a bind source at ", target),
            Step::PivotRoot { new_root, .. } => ("pivot_root into ", new_root),
            Step::Detach(p) => ("detach the staging tree at ", p),
        };
        line.bytes(what.as_bytes()).bytes(path.to_bytes());
        line.send(fd);
        sys::exit_now(super::SETUP_FAILED)
    }
}

/// Landlock as the task will apply it.
#[derive(Debug)]
pub(super) struct Landlock {
    pub(super) attr: sys::RulesetAttr,
    pub(super) attr_size: usize,
    /// Directory or file, and the rights granted beneath it.
    pub(super) rules: Vec<(CString, u64)>,
}

/// A bind source the helper opens itself (as a detached tree) before any
/// namespace exists, when the task runs as an unprivileged id.
#[derive(Debug)]
pub(super) struct Tree {
    /// The host path.
    pub(super) source: CString,
    /// Idmapped: the owner's files appear as the task's.
    pub(super) idmap: bool,
    /// `MOUNT_ATTR_*` flags for the whole tree.
    pub(super) attrs: u64,
}

/// Everything the jail's processes need, prepared in the parent.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(super) ns_flags: libc::c_int,
    pub(super) uid_map: Vec<u8>,
    pub(super) gid_map: Vec<u8>,
    /// With a root caller: the unprivileged host id the task runs as (see
    /// `identity.rs`), the map for idmapped mounts, and the bind sources
    /// opened before the namespaces (their descriptors, once opened).
    pub(super) run_as: Option<u32>,
    pub(super) idmap_map: Vec<u8>,
    pub(super) trees: Vec<Tree>,
    pub(super) tree_fds: Vec<libc::c_int>,
    /// With a root caller: the only supplementary groups kept (the group
    /// owners of the `/dev` nodes the task needs, such as `kvm`).
    pub(super) keep_gids: Vec<libc::gid_t>,
    pub(super) network: bool,
    /// The relay's port and the proxy socket's path inside the view.
    pub(super) relay: Option<(u16, CString)>,
    pub(super) steps: Vec<Step>,
    pub(super) landlock: Option<Landlock>,
    pub(super) filter: Vec<SockFilter>,
    pub(super) program: CString,
    /// Owns the strings `argv_ptrs` points into.
    pub(super) _argv: Vec<CString>,
    /// Owns the strings `envp_ptrs` points into.
    pub(super) _envp: Vec<CString>,
    /// Null-terminated `char *` array (as addresses, so the plan stays `Send`).
    pub(super) argv_ptrs: Vec<usize>,
    /// Null-terminated `char *` array (as addresses).
    pub(super) envp_ptrs: Vec<usize>,
    /// Syscalls whose paths PID 1 checks.
    pub(super) watch: notify::NrSet,
    /// Canonical paths that are masked (what the path check matches).
    pub(super) masked: Vec<CString>,
    /// Protected paths that do not exist: a watched call that would create
    /// one (or something under it) is killed and reported.
    pub(super) protected_missing: Vec<CString>,
    /// `(st_dev, st_ino)` of the host files behind the masks (hard links).
    pub(super) host_ids: Vec<(u64, u64)>,
    /// `(st_dev, st_ino)` of the masks themselves, filled in by PID 1 up to
    /// the capacity reserved here.
    pub(super) mask_ids: Vec<(u64, u64)>,
    /// Warnings for the executor (masks that were skipped).
    pub(super) notes: Vec<String>,
}

// Landlock rights (<linux/landlock.h>).
const LL_WRITE_FILE: u64 = 1 << 1;
const LL_REMOVE_DIR: u64 = 1 << 4;
const LL_REMOVE_FILE: u64 = 1 << 5;
const LL_MAKE_ALL: u64 = 0x7f << 6; // MAKE_CHAR ..= MAKE_SYM
const LL_REFER: u64 = 1 << 13;
const LL_TRUNCATE: u64 = 1 << 14;
const LL_SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1;
const LL_SCOPE_SIGNAL: u64 = 2;

/// The syscalls the jail itself makes between installing the filter and the
/// task's `execve` (the hand-over of the listener): every policy gets them.
const JAIL_NEEDS: &[&str] = &["read", "write", "execve", "exit_group"];

pub(super) fn cstring(bytes: &[u8]) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| {
        format!(
            "`{}` contains a NUL byte",
            String::from_utf8_lossy(bytes).replace('\0', "\\0")
        )
    })
}

pub(super) fn cpath(path: &Path) -> Result<CString, String> {
    cstring(path.as_os_str().as_bytes())
}

impl Plan {
    /// Prepares `task`. Fails (with a message) on paths with NUL bytes, an
    /// invalid policy, or a mask that cannot be applied.
    pub(crate) fn new(task: &JailTask) -> Result<Plan, String> {
        let (uid, gid) = sys::ids();
        let mut ns_flags = libc::CLONE_NEWUSER
            | libc::CLONE_NEWNS
            | libc::CLONE_NEWPID
            | libc::CLONE_NEWIPC
            | libc::CLONE_NEWUTS;
        if !task.network {
            ns_flags |= libc::CLONE_NEWNET;
        }

        let mut notes = Vec::new();
        // A root caller's task runs as an unprivileged id, unless a `/dev`
        // node it was given (the VMM's /dev/kvm) is open to root alone.
        let device_groups = device_groups(&task.dev_nodes);
        let run_as = (uid == 0 && device_groups.is_some()).then_some(super::identity::TASK_HOST_ID);
        if uid == 0 && device_groups.is_none() {
            notes.push(
                "a requested /dev node is open to root alone: the task keeps the caller's id"
                    .into(),
            );
        }
        let view = view::build(task, &mut notes, run_as.is_some())?;

        if task.private_loopback_server && task.network {
            return Err(
                "bind/listen were asked for with the host's network namespace: refused".into(),
            );
        }
        let mut policy = task.policy.clone();
        for name in JAIL_NEEDS {
            if !policy.allow.iter().any(|a| a == name) {
                policy.allow.push((*name).to_owned());
            }
        }
        let watch = if task.watch_paths {
            notify::watched_numbers()
        } else {
            Vec::new()
        };
        let filter = bpf::compile_with(
            &policy,
            &CompileOptions {
                notify_denials: true,
                watch: watch.clone(),
                empty_path_arg: notify::EMPTY_PATH_ARGS.to_vec(),
                private_loopback_server: task.private_loopback_server,
            },
        )
        .map_err(|e| format!("compile the seccomp filter: {e}"))?;

        let program = cpath(&task.program)?;
        let argv = task
            .argv
            .iter()
            .map(|a| cstring(a.as_bytes()))
            .collect::<Result<Vec<_>, _>>()?;
        let envp = task
            .env
            .iter()
            .map(|(k, v)| {
                let mut kv = k.as_bytes().to_vec();
                kv.push(b'=');
                kv.extend_from_slice(v.as_bytes());
                cstring(&kv)
            })
            .collect::<Result<Vec<_>, _>>()?;
        let pointers = |strings: &[CString]| -> Vec<usize> {
            strings
                .iter()
                .map(|s| s.as_ptr() as usize)
                .chain(std::iter::once(0))
                .collect()
        };
        let argv_ptrs = pointers(&argv);
        let envp_ptrs = pointers(&envp);

        let mask_ids = Vec::with_capacity(view.masked.len() + 1);
        Ok(Plan {
            ns_flags,
            uid_map: format!("{INSIDE_ID} {} 1", run_as.unwrap_or(uid)).into_bytes(),
            gid_map: format!("{INSIDE_ID} {} 1", run_as.unwrap_or(gid)).into_bytes(),
            run_as,
            idmap_map: format!("0 {} 1", run_as.unwrap_or(uid)).into_bytes(),
            tree_fds: Vec::with_capacity(view.trees.len()),
            keep_gids: device_groups.unwrap_or_default(),
            trees: view.trees,
            network: task.network,
            relay: match &task.egress {
                Some(_) => Some((
                    crate::exec::egress::PROXY_PORT,
                    cstring(
                        format!(
                            "{}/{}",
                            crate::exec::egress::SOCKET_DIR,
                            crate::exec::egress::SOCKET_NAME
                        )
                        .as_bytes(),
                    )?,
                )),
                None => None,
            },
            steps: view.steps,
            landlock: landlock_plan(task, &mut notes)?,
            filter,
            program,
            _argv: argv,
            _envp: envp,
            argv_ptrs,
            envp_ptrs,
            watch: notify::NrSet::from_numbers(&watch),
            masked: view
                .masked
                .iter()
                .map(|p| cpath(p))
                .collect::<Result<_, _>>()?,
            host_ids: view.host_ids,
            protected_missing: task
                .protected_missing
                .iter()
                .map(|p| cpath(p))
                .collect::<Result<_, _>>()?,
            mask_ids,
            notes,
        })
    }
}

/// The group owners an unprivileged task needs to open `nodes` (read and
/// write): `Some(gids)` when every node is open to others or to its group
/// (then its group is kept), `None` when one is open to its owner alone.
fn device_groups(nodes: &[String]) -> Option<Vec<libc::gid_t>> {
    use std::os::unix::fs::MetadataExt as _;
    let mut gids = Vec::new();
    for name in nodes {
        let meta = std::fs::metadata(Path::new("/dev").join(name)).ok()?;
        let mode = meta.mode();
        if mode & 0o006 == 0o006 {
            continue;
        }
        if mode & 0o060 == 0o060 && meta.gid() != 0 {
            gids.push(meta.gid());
            continue;
        }
        return None;
    }
    gids.sort_unstable();
    gids.dedup();
    Some(gids)
}

/// The `/dev` nodes the task gets.
const DEV_NODES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];

/// The fixed `/dev` nodes plus `extra` (plain names of existing host nodes).
pub(super) fn check_dev_nodes(extra: &[String]) -> Result<Vec<&str>, String> {
    let mut nodes: Vec<&str> = DEV_NODES.to_vec();
    for name in extra {
        let plain =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !plain || !Path::new("/dev").join(name).exists() {
            return Err(format!(
                "/dev node `{name}` is not a plain name of an existing node"
            ));
        }
        nodes.push(name);
    }
    Ok(nodes)
}

fn landlock_plan(task: &JailTask, notes: &mut Vec<String>) -> Result<Option<Landlock>, String> {
    let Some(abi) = sys::landlock_abi() else {
        notes.push(
            "Landlock is not available; writes are limited by the read-only mount view only".into(),
        );
        return Ok(None);
    };
    let mut write = LL_WRITE_FILE | LL_REMOVE_DIR | LL_REMOVE_FILE | LL_MAKE_ALL;
    let mut file_write = LL_WRITE_FILE;
    if abi >= 2 {
        write |= LL_REFER;
    }
    if abi >= 3 {
        write |= LL_TRUNCATE;
        file_write |= LL_TRUNCATE;
    }
    let attr = sys::RulesetAttr {
        handled_access_fs: write,
        handled_access_net: 0,
        scoped: if abi >= 6 {
            LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL
        } else {
            0
        },
    };
    let attr_size = match abi {
        1..=3 => 8,
        4 | 5 => 16,
        _ => 24,
    };
    let mut rules = vec![
        (cpath(&task.workspace)?, write),
        (c"/tmp".into(), write),
        (c"/dev/shm".into(), write),
    ];
    // The private home and the writable binds (those that exist: a missing
    // one was skipped by the view).
    for dir in task.home.iter().chain(&task.rw_binds) {
        if let Ok(real) = std::fs::canonicalize(dir) {
            rules.push((cpath(&real)?, write));
        } else if task.home.as_ref() == Some(dir) {
            rules.push((cpath(dir)?, write));
        }
    }
    for node in check_dev_nodes(&task.dev_nodes)? {
        rules.push((cstring(format!("/dev/{node}").as_bytes())?, file_write));
    }
    Ok(Some(Landlock {
        attr,
        attr_size,
        rules,
    }))
}
