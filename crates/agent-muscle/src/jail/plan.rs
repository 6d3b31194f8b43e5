//! The [`Plan`]: everything the jail's processes will need, computed in the
//! parent (where allocating, reading the host's file system and logging are
//! fine) so that the children only walk over prepared data.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};

use super::{notify, report, sys, JailTask, INSIDE_ID};
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
    ReadOnlyTree(CString),
    Mkdir {
        path: CString,
        exist_ok: bool,
    },
    Touch {
        path: CString,
        mode: libc::mode_t,
    },
    Symlink {
        target: CString,
        link: CString,
    },
    Chdir(CString),
    PivotRoot {
        new_root: CString,
        put_old: CString,
    },
    Detach(CString),
}

impl Step {
    pub(super) fn run(&self) -> Result<(), sys::Errno> {
        match self {
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
            Step::ReadOnlyTree(path) => sys::make_tree_read_only(path),
            Step::Mkdir { path, exist_ok } => sys::mkdir(path, 0o755, *exist_ok),
            Step::Touch { path, mode } => sys::touch(path, *mode),
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
            Step::ReadOnlyTree(p) => ("make the host tree read-only at ", p),
            Step::Mkdir { path, .. } => ("create directory ", path),
            Step::Touch { path, .. } => ("create file ", path),
            Step::Symlink { link, .. } => ("create symlink ", link),
            Step::Chdir(p) => ("chdir to ", p),
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

/// Everything the jail's processes need, prepared in the parent.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(super) ns_flags: libc::c_int,
    pub(super) uid_map: Vec<u8>,
    pub(super) gid_map: Vec<u8>,
    pub(super) network: bool,
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

fn cstring(bytes: &[u8]) -> Result<CString, String> {
    CString::new(bytes).map_err(|_| {
        format!(
            "`{}` contains a NUL byte",
            String::from_utf8_lossy(bytes).replace('\0', "\\0")
        )
    })
}

fn cpath(path: &Path) -> Result<CString, String> {
    cstring(path.as_os_str().as_bytes())
}

/// `root` + absolute `path`.
fn under(root: &str, path: &Path) -> PathBuf {
    Path::new(root).join(path.strip_prefix("/").unwrap_or(path))
}

struct Builder {
    steps: Vec<Step>,
}

impl Builder {
    fn mount(
        &mut self,
        source: Option<&str>,
        target: &Path,
        fstype: Option<&str>,
        flags: libc::c_ulong,
        data: Option<&str>,
    ) -> Result<(), String> {
        let c = |s: &str| cstring(s.as_bytes());
        self.steps.push(Step::Mount {
            source: source.map(c).transpose()?,
            target: cpath(target)?,
            fstype: fstype.map(c).transpose()?,
            flags,
            data: data.map(c).transpose()?,
        });
        Ok(())
    }

    fn bind(&mut self, source: &Path, target: &Path, flags: libc::c_ulong) -> Result<(), String> {
        self.steps.push(Step::Mount {
            source: Some(cpath(source)?),
            target: cpath(target)?,
            fstype: None,
            flags: libc::MS_BIND | flags,
            data: None,
        });
        Ok(())
    }

    /// A read-only bind: bind, then remount the bind read-only.
    fn bind_ro(&mut self, source: &Path, target: &Path) -> Result<(), String> {
        self.bind(source, target, 0)?;
        self.bind(
            source,
            target,
            libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV,
        )
    }

    fn mkdir(&mut self, path: &Path, exist_ok: bool) -> Result<(), String> {
        self.steps.push(Step::Mkdir {
            path: cpath(path)?,
            exist_ok,
        });
        Ok(())
    }

    fn step(&mut self, step: Step) {
        self.steps.push(step);
    }
}

/// The path a mask applies to: the parent directory resolved through
/// symlinks (so `/var/run/x` masks `/run/x`), the last component as is.
fn mask_target(path: &Path) -> Option<PathBuf> {
    let parent = path.parent()?;
    let name = path.file_name()?;
    Some(std::fs::canonicalize(parent).ok()?.join(name))
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

        let mut b = Builder { steps: Vec::new() };
        let nodev_nosuid = libc::MS_NOSUID | libc::MS_NODEV;
        let ro_tmpfs = libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC;
        let remount_ro = libc::MS_REMOUNT | ro_tmpfs;

        // Private mounts; a tmpfs staging root; the host tree at /oldroot.
        b.mount(
            None,
            Path::new("/"),
            None,
            libc::MS_REC | libc::MS_PRIVATE,
            None,
        )?;
        b.mount(
            Some("tmpfs"),
            Path::new("/tmp"),
            Some("tmpfs"),
            nodev_nosuid,
            Some("mode=0755,size=64k"),
        )?;
        b.step(Step::Chdir(c"/tmp".into()));
        b.mkdir(Path::new("/tmp/oldroot"), false)?;
        b.mkdir(Path::new("/tmp/newroot"), false)?;
        b.step(Step::PivotRoot {
            new_root: c".".into(),
            put_old: c"oldroot".into(),
        });
        b.step(Step::Chdir(c"/".into()));

        // The host tree, read-only and nosuid.
        let new = Path::new("/newroot");
        b.bind(Path::new("/oldroot"), new, libc::MS_REC)?;
        b.step(Step::ReadOnlyTree(c"/newroot".into()));

        // Masks.
        b.step(Step::Touch {
            path: c"/empty".into(),
            mode: 0,
        });
        let mut masked: Vec<PathBuf> = Vec::new();
        let mut notes = Vec::new();
        let mut host_ids = task.host_ids.clone();
        let mut wanted: Vec<PathBuf> = task.masked.iter().filter_map(|m| mask_target(m)).collect();
        wanted.sort();
        wanted.dedup();
        for path in wanted {
            if task.workspace.starts_with(&path) {
                notes.push(format!(
                    "`{}` is not masked: the workspace `{}` is inside it",
                    path.display(),
                    task.workspace.display()
                ));
                continue;
            }
            if masked.iter().any(|m| path.starts_with(m)) {
                // Already hidden by a masked parent; still matched by name.
                masked.push(path);
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue; // nothing there to hide
            };
            if meta.file_type().is_symlink() {
                notes.push(format!(
                    "`{}` is a symlink and is not masked (list its target)",
                    path.display()
                ));
                continue;
            }
            let target = under("/newroot", &path);
            if meta.is_dir() {
                b.mount(
                    Some("tmpfs"),
                    &target,
                    Some("tmpfs"),
                    ro_tmpfs,
                    Some("mode=000,size=4k"),
                )?;
            } else {
                b.bind(Path::new("/empty"), &target, 0)?;
                b.bind(
                    Path::new("/empty"),
                    &target,
                    libc::MS_REMOUNT | libc::MS_RDONLY,
                )?;
                host_ids.push((meta.dev(), meta.ino()));
            }
            masked.push(path);
        }

        // Host runtime state: /run holds the sockets of every local daemon. A
        // UNIX socket is reachable through a read-only mount and the task's
        // uid owns the caller's files, so hide the whole directory behind an
        // empty tmpfs; keep only the resolver state /etc/resolv.conf may point
        // into, read-only.
        for dir in ["run", "var/run"] {
            let host = Path::new("/").join(dir);
            let is_real_dir = std::fs::symlink_metadata(&host)
                .map(|m| m.is_dir())
                .unwrap_or(false);
            if !is_real_dir {
                continue; // /var/run -> /run: covered by /run
            }
            let target = new.join(dir);
            b.mount(
                Some("tmpfs"),
                &target,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                Some("mode=0755,size=64k"),
            )?;
            if dir == "run" && !task.exposed.is_empty() {
                let exposed = under("/newroot", Path::new(super::EXPOSED_DIR));
                let mut at = target.clone();
                for part in ["autonomic", "exposed"] {
                    at.push(part);
                    b.mkdir(&at, true)?;
                }
                for (src, name) in &task.exposed {
                    if name.is_empty() || name.contains('/') || name.starts_with('.') {
                        return Err(format!("exposed file name `{name}` is not a plain name"));
                    }
                    let src = std::fs::canonicalize(src)
                        .map_err(|e| format!("exposed file `{}`: {e}", src.display()))?;
                    let dst = exposed.join(name);
                    b.step(Step::Touch {
                        path: cpath(&dst)?,
                        mode: 0o444,
                    });
                    b.bind_ro(&under("/oldroot", &src), &dst)?;
                }
            }
            if dir == "run" && Path::new("/run/systemd/resolve").is_dir() {
                let inner = target.join("systemd");
                b.mkdir(&inner, true)?;
                b.mkdir(&inner.join("resolve"), true)?;
                b.bind_ro(
                    Path::new("/oldroot/run/systemd/resolve"),
                    &inner.join("resolve"),
                )?;
            }
            b.mount(None, &target, None, remount_ro, None)?;
        }

        // /sys: only the CPU topology (nproc, os.cpu_count), read-only.
        if Path::new("/sys/devices/system/cpu").is_dir() {
            let sys_dir = new.join("sys");
            b.mount(
                Some("tmpfs"),
                &sys_dir,
                Some("tmpfs"),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                Some("mode=0755,size=16k"),
            )?;
            let mut dir = sys_dir.clone();
            for part in ["devices", "system", "cpu"] {
                dir.push(part);
                b.mkdir(&dir, true)?;
            }
            b.bind_ro(Path::new("/oldroot/sys/devices/system/cpu"), &dir)?;
            b.mount(None, &sys_dir, None, remount_ro, None)?;
        }

        // A fresh, size-limited /tmp, then the workspace (whose mount point
        // may be inside it).
        let tmp_data = format!("mode=1777,size={}", task.tmp_bytes.max(4096));
        b.mount(
            Some("tmpfs"),
            &new.join("tmp"),
            Some("tmpfs"),
            nodev_nosuid,
            Some(&tmp_data),
        )?;
        let ws_target = under("/newroot", &task.workspace);
        let mut ancestors: Vec<&Path> = ws_target
            .ancestors()
            .take_while(|a| a.starts_with(new) && *a != new)
            .collect();
        ancestors.reverse();
        for dir in ancestors {
            b.mkdir(dir, true)?;
        }
        b.bind(
            &under("/oldroot", &task.workspace),
            &ws_target,
            libc::MS_REC,
        )?;

        // Fresh /proc for the new PID namespace.
        b.mount(
            Some("proc"),
            &new.join("proc"),
            Some("proc"),
            nodev_nosuid | libc::MS_NOEXEC,
            None,
        )?;

        // Minimal /dev.
        let dev = new.join("dev");
        b.mount(
            Some("tmpfs"),
            &dev,
            Some("tmpfs"),
            libc::MS_NOSUID | libc::MS_NOEXEC,
            Some("mode=0755,size=64k"),
        )?;
        for node in check_dev_nodes(&task.dev_nodes)? {
            let target = dev.join(node);
            b.step(Step::Touch {
                path: cpath(&target)?,
                mode: 0o666,
            });
            b.bind(&Path::new("/oldroot/dev").join(node), &target, 0)?;
        }
        for (link, to) in [
            ("fd", "/proc/self/fd"),
            ("stdin", "/proc/self/fd/0"),
            ("stdout", "/proc/self/fd/1"),
            ("stderr", "/proc/self/fd/2"),
        ] {
            b.step(Step::Symlink {
                target: cstring(to.as_bytes())?,
                link: cpath(&dev.join(link))?,
            });
        }
        b.mkdir(&dev.join("shm"), false)?;
        b.mount(
            Some("tmpfs"),
            &dev.join("shm"),
            Some("tmpfs"),
            nodev_nosuid,
            Some(&tmp_data),
        )?;
        b.mount(
            None,
            &dev,
            None,
            libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NOEXEC,
            None,
        )?;

        // Into the new root; drop the staging tree and the host tree with it.
        b.step(Step::Chdir(c"/newroot".into()));
        b.step(Step::PivotRoot {
            new_root: c".".into(),
            put_old: c".".into(),
        });
        b.step(Step::Detach(c".".into()));
        b.step(Step::Chdir(cpath(&task.workspace)?));

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

        let mask_ids = Vec::with_capacity(masked.len() + 1);
        Ok(Plan {
            ns_flags,
            uid_map: format!("{INSIDE_ID} {uid} 1").into_bytes(),
            gid_map: format!("{INSIDE_ID} {gid} 1").into_bytes(),
            network: task.network,
            steps: b.steps,
            landlock: landlock_plan(&task.workspace, &task.dev_nodes, &mut notes)?,
            filter,
            program,
            _argv: argv,
            _envp: envp,
            argv_ptrs,
            envp_ptrs,
            watch: notify::NrSet::from_numbers(&watch),
            masked: masked.iter().map(|p| cpath(p)).collect::<Result<_, _>>()?,
            host_ids,
            mask_ids,
            notes,
        })
    }
}

/// The `/dev` nodes the task gets.
const DEV_NODES: [&str; 5] = ["null", "zero", "full", "random", "urandom"];

/// The fixed `/dev` nodes plus `extra` (plain names of existing host nodes).
fn check_dev_nodes(extra: &[String]) -> Result<Vec<&str>, String> {
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

fn landlock_plan(
    workspace: &Path,
    extra_dev: &[String],
    notes: &mut Vec<String>,
) -> Result<Option<Landlock>, String> {
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
        (cpath(workspace)?, write),
        (c"/tmp".into(), write),
        (c"/dev/shm".into(), write),
    ];
    for node in check_dev_nodes(extra_dev)? {
        rules.push((cstring(format!("/dev/{node}").as_bytes())?, file_write));
    }
    Ok(Some(Landlock {
        attr,
        attr_size,
        rules,
    }))
}
