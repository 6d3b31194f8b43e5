//! Memory and pids limits through a fresh cgroup per run: cgroup v2 when a
//! unified hierarchy offers the `pids` and `memory` controllers, else the v1
//! hierarchies `/sys/fs/cgroup/{pids,memory}`. When neither can be used (not
//! root, controllers missing, read-only mounts), the caller falls back to
//! rlimits and the result says so ([`LimitsVia`]).
//!
//! The group is created before the spawn; the child joins it between `fork`
//! and `exec` by writing `0` to the pre-opened `cgroup.procs` files (see
//! [`super::sys::install_child_setup`]), so nothing it starts is outside it.
//! After the run every process still in the group is killed and the
//! directories are removed.

use std::fs::{File, OpenOptions};
use std::io::{self, Read as _};
use std::os::fd::{AsRawFd as _, RawFd};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use super::LimitsVia;

/// Candidate cgroup v2 mount points.
const V2_ROOTS: &[&str] = &["/sys/fs/cgroup", "/sys/fs/cgroup/unified"];
/// The v1 hierarchies used.
const V1_PIDS: &str = "/sys/fs/cgroup/pids";
const V1_MEMORY: &str = "/sys/fs/cgroup/memory";

/// How long to keep killing and retrying `rmdir` at the end of a run.
const CLEANUP: Duration = Duration::from_secs(2);

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A run's cgroup (one directory for v2, one per controller for v1).
#[derive(Debug)]
pub(super) struct Cgroup {
    via: LimitsVia,
    /// Every directory created, in creation order.
    dirs: Vec<PathBuf>,
    /// Where `memory.events` (v2) or `memory.oom_control` (v1) lives, if a
    /// memory limit was set.
    memory_dir: Option<PathBuf>,
    /// Open `cgroup.procs` files the child writes `0` to.
    procs: Vec<File>,
}

impl Cgroup {
    /// A fresh group limited to `pids` processes and `memory` bytes, or
    /// `None` (with the reason logged) when no usable hierarchy is writable.
    pub(super) fn create(pids: Option<u64>, memory: Option<u64>) -> Option<Cgroup> {
        if pids.is_none() && memory.is_none() {
            return None;
        }
        let name = format!(
            "autonomic-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let mut v2_err = None;
        for root in V2_ROOTS {
            match create_v2(Path::new(root), &name, pids, memory) {
                Ok(Some(cg)) => return Some(cg),
                Ok(None) => {}
                Err(e) => v2_err = Some(e),
            }
        }
        match create_v1(&name, pids, memory) {
            Ok(cg) => Some(cg),
            Err(e) => {
                tracing::debug!(v2 = ?v2_err, v1 = %e, "no usable cgroup; limits fall back to rlimits");
                None
            }
        }
    }

    pub(super) fn via(&self) -> LimitsVia {
        self.via
    }

    /// The descriptors of the `cgroup.procs` files (at most two; `-1` unused).
    pub(super) fn procs_fds(&self) -> [RawFd; 2] {
        let mut out = [-1; 2];
        for (slot, f) in out.iter_mut().zip(&self.procs) {
            *slot = f.as_raw_fd();
        }
        out
    }

    /// Closes the `cgroup.procs` files (call once the child has been spawned).
    pub(super) fn close_procs(&mut self) {
        self.procs.clear();
    }

    /// Whether the kernel's OOM killer killed a process of the group.
    pub(super) fn oom_killed(&self) -> bool {
        let Some(dir) = &self.memory_dir else {
            return false;
        };
        let (file, key) = match self.via {
            LimitsVia::CgroupV2 => ("memory.events", "oom_kill"),
            _ => ("memory.oom_control", "oom_kill"),
        };
        let Ok(text) = read(&dir.join(file)) else {
            return false;
        };
        let count = |k: &str| -> u64 {
            text.lines()
                .filter_map(|l| l.split_once(' '))
                .find(|(name, _)| *name == k)
                .and_then(|(_, v)| v.trim().parse().ok())
                .unwrap_or(0)
        };
        if count(key) > 0 {
            return true;
        }
        // Older v1 kernels have no `oom_kill` counter: a hit limit plus a
        // process that was under OOM is the best sign available.
        self.via == LimitsVia::CgroupV1 && count("under_oom") > 0
    }

    /// Kills everything left in the group and removes its directories.
    pub(super) fn destroy(mut self) {
        self.procs.clear();
        let until = Instant::now() + CLEANUP;
        for dir in self.dirs.iter().rev() {
            loop {
                if self.via == LimitsVia::CgroupV2 {
                    let _ = write(&dir.join("cgroup.kill"), "1");
                }
                let mut left = false;
                if let Ok(text) = read(&dir.join("cgroup.procs")) {
                    for pid in text.lines().filter_map(|l| l.trim().parse::<i32>().ok()) {
                        if pid > 0 {
                            left = true;
                            let _ = super::sys::kill(pid, libc::SIGKILL);
                        }
                    }
                }
                match std::fs::remove_dir(dir) {
                    Ok(()) => break,
                    Err(e) if Instant::now() >= until => {
                        tracing::warn!(dir = %dir.display(), error = %e, left, "could not remove the run's cgroup");
                        break;
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(if left { 1 } else { 5 })),
                }
            }
        }
    }
}

#[expect(
    clippy::disallowed_methods,
    reason = "cgroup control files; errors are logged without paths leaking to the task"
)]
fn read(path: &Path) -> io::Result<String> {
    let mut s = String::new();
    File::open(path)?.read_to_string(&mut s)?;
    Ok(s)
}

fn write(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write as _;
    open_write(path)?.write_all(text.as_bytes())
}

#[expect(
    clippy::disallowed_methods,
    reason = "cgroup control files; a failure only means falling back to rlimits"
)]
fn open_write(path: &Path) -> io::Result<File> {
    // Rust opens with O_CLOEXEC, so other spawns never inherit these.
    OpenOptions::new().write(true).open(path)
}

fn has_controllers(list: &str, pids: Option<u64>, memory: Option<u64>) -> bool {
    let words: Vec<&str> = list.split_ascii_whitespace().collect();
    (pids.is_none() || words.contains(&"pids")) && (memory.is_none() || words.contains(&"memory"))
}

/// Our own cgroup under `root` (from `/proc/self/cgroup`, line `prefix…`),
/// when that directory exists, else `root`. Nesting under our own group keeps
/// any limit placed on us.
fn own_dir(root: &Path, matches: impl Fn(&str) -> bool) -> PathBuf {
    let Ok(text) = read(Path::new("/proc/self/cgroup")) else {
        return root.to_path_buf();
    };
    for line in text.lines() {
        let mut parts = line.splitn(3, ':');
        let (_, Some(ctrl), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if matches(ctrl) {
            let dir = root.join(path.trim_start_matches('/'));
            if dir.is_dir() {
                return dir;
            }
        }
    }
    root.to_path_buf()
}

fn create_v2(
    root: &Path,
    name: &str,
    pids: Option<u64>,
    memory: Option<u64>,
) -> io::Result<Option<Cgroup>> {
    let Ok(list) = read(&root.join("cgroup.controllers")) else {
        return Ok(None);
    };
    if !has_controllers(&list, pids, memory) {
        return Ok(None);
    }
    // Children of a group that has processes cannot get controllers (the
    // "no internal processes" rule), except under the root: try our own
    // group first, then the root.
    let own = own_dir(root, |c| c.is_empty());
    let mut last = io::Error::other("no candidate parent");
    for parent in [own, root.to_path_buf()] {
        match try_v2_under(&parent, name, pids, memory) {
            Ok(cg) => return Ok(Some(cg)),
            Err(e) => last = e,
        }
        if parent == root {
            break;
        }
    }
    Err(last)
}

fn try_v2_under(
    parent: &Path,
    name: &str,
    pids: Option<u64>,
    memory: Option<u64>,
) -> io::Result<Cgroup> {
    let enabled = read(&parent.join("cgroup.subtree_control")).unwrap_or_default();
    if !has_controllers(&enabled, pids, memory) {
        let mut want = String::new();
        if pids.is_some() {
            want.push_str("+pids ");
        }
        if memory.is_some() {
            want.push_str("+memory");
        }
        write(&parent.join("cgroup.subtree_control"), want.trim())?;
    }
    let dir = parent.join(name);
    std::fs::create_dir(&dir)?;
    let mut cg = Cgroup {
        via: LimitsVia::CgroupV2,
        dirs: vec![dir.clone()],
        memory_dir: None,
        procs: Vec::new(),
    };
    let setup = (|| {
        if let Some(n) = pids {
            write(&dir.join("pids.max"), &n.to_string())?;
        }
        if let Some(bytes) = memory {
            write(&dir.join("memory.max"), &bytes.to_string())?;
            // No swapping around the limit, where the kernel has swap accounting.
            let _ = write(&dir.join("memory.swap.max"), "0");
            cg.memory_dir = Some(dir.clone());
        }
        cg.procs.push(open_write(&dir.join("cgroup.procs"))?);
        Ok(())
    })();
    match setup {
        Ok(()) => Ok(cg),
        Err(e) => {
            cg.destroy();
            Err(e)
        }
    }
}

fn create_v1(name: &str, pids: Option<u64>, memory: Option<u64>) -> io::Result<Cgroup> {
    let mut cg = Cgroup {
        via: LimitsVia::CgroupV1,
        dirs: Vec::new(),
        memory_dir: None,
        procs: Vec::new(),
    };
    let setup = (|| {
        if let Some(n) = pids {
            let root = Path::new(V1_PIDS);
            let dir = make_v1_dir(root, name, "pids", &mut cg)?;
            write(&dir.join("pids.max"), &n.to_string())?;
            cg.procs.push(open_write(&dir.join("cgroup.procs"))?);
        }
        if let Some(bytes) = memory {
            let root = Path::new(V1_MEMORY);
            let dir = make_v1_dir(root, name, "memory", &mut cg)?;
            write(&dir.join("memory.limit_in_bytes"), &bytes.to_string())?;
            // Memory plus swap, where swap accounting exists.
            let _ = write(&dir.join("memory.memsw.limit_in_bytes"), &bytes.to_string());
            cg.memory_dir = Some(dir.clone());
            cg.procs.push(open_write(&dir.join("cgroup.procs"))?);
        }
        Ok(())
    })();
    match setup {
        Ok(()) => Ok(cg),
        Err(e) => {
            cg.destroy();
            Err(e)
        }
    }
}

fn make_v1_dir(root: &Path, name: &str, controller: &str, cg: &mut Cgroup) -> io::Result<PathBuf> {
    if !root.join("cgroup.procs").is_file() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("no v1 {controller} hierarchy at {}", root.display()),
        ));
    }
    let own = own_dir(root, |c| c.split(',').any(|c| c == controller));
    let mut dir = own.join(name);
    if std::fs::create_dir(&dir).is_err() {
        dir = root.join(name);
        std::fs::create_dir(&dir)?;
    }
    cg.dirs.push(dir.clone());
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controller_lists() {
        assert!(has_controllers("cpu memory pids", Some(1), Some(1)));
        assert!(has_controllers("cpu pids", Some(1), None));
        assert!(!has_controllers("cpu pids", Some(1), Some(1)));
        assert!(!has_controllers("hugetlb", Some(1), None));
    }
}
