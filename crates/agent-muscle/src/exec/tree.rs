//! Finding and killing a task's process tree.
//!
//! The task leads its own session and process group (its pid is both ids).
//! Members are found by walking `/proc`: every process in that session or
//! group, plus every process whose parent chain leads to one of them or to the
//! task. This must run while the task is alive or an unreaped zombie: then its
//! pid cannot have been reused, so the session and group ids still mean it.
//!
//! Gap: a process that left the session (`setsid`) and whose parent has
//! exited has been reparented to init and is not found.

use std::collections::{HashMap, HashSet};

use super::sys;

/// One `/proc/<pid>/stat` line, the fields we need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ProcStat {
    pid: i32,
    ppid: i32,
    pgrp: i32,
    session: i32,
}

/// Parses `pid (comm) state ppid pgrp session ...`; `comm` may contain spaces
/// and parentheses, so fields are counted from the last `)`.
fn parse_stat(line: &str) -> Option<ProcStat> {
    let (head, rest) = line.rsplit_once(')')?;
    let pid = head.split_once(' ')?.0.trim().parse().ok()?;
    let mut fields = rest.split_ascii_whitespace().skip(1); // skip state
    let ppid = fields.next()?.parse().ok()?;
    let pgrp = fields.next()?.parse().ok()?;
    let session = fields.next()?.parse().ok()?;
    Some(ProcStat {
        pid,
        ppid,
        pgrp,
        session,
    })
}

fn snapshot() -> Vec<ProcStat> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut buf = String::new();
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        buf.clear();
        let path = format!("/proc/{name}/stat");
        // A process may exit between readdir and open: skip it.
        let Ok(mut file) = fs_open(&path) else {
            continue;
        };
        if std::io::Read::read_to_string(&mut file, &mut buf).is_ok() {
            if let Some(stat) = parse_stat(&buf) {
                out.push(stat);
            }
        }
    }
    out
}

#[expect(
    clippy::disallowed_methods,
    reason = "a vanished /proc entry is expected and skipped; the path is never reported"
)]
fn fs_open(path: &str) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// The pids in `task`'s tree according to `procs` (excluding `task` itself
/// and `me`).
fn members(task: i32, me: i32, procs: &[ProcStat]) -> HashSet<i32> {
    let mut children: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procs {
        children.entry(p.ppid).or_default().push(p.pid);
    }
    let mut found: HashSet<i32> = HashSet::new();
    let mut stack: Vec<i32> = vec![task];
    stack.extend(
        procs
            .iter()
            .filter(|p| p.session == task || p.pgrp == task)
            .map(|p| p.pid),
    );
    while let Some(pid) = stack.pop() {
        if !found.insert(pid) {
            continue;
        }
        if let Some(kids) = children.get(&pid) {
            stack.extend(kids.iter().copied());
        }
    }
    found.remove(&task);
    found.retain(|&pid| pid > 1 && pid != me);
    found
}

/// SIGKILLs the task's process group and every other member of its tree, then
/// looks again (a member may have forked meanwhile) until a pass finds no
/// one new or eight passes have run. `task` must not have been reaped yet.
pub(super) fn kill_tree(task: i32) {
    let me = std::process::id() as i32;
    let mut killed: HashSet<i32> = HashSet::new();
    for _ in 0..8 {
        // Look before killing: once the task dies, a child that left the
        // session is reparented at once and the parent chain no longer finds
        // it. Then the group: it stops the common case (`cmd &`) in one call
        // and stops its members from forking further.
        let found = members(task, me, &snapshot());
        let _ = sys::kill(-task, libc::SIGKILL);
        let new: Vec<i32> = found.difference(&killed).copied().collect();
        if new.is_empty() {
            break;
        }
        for pid in new {
            tracing::debug!(pid, task, "killing a leftover process of the task");
            let _ = sys::kill(pid, libc::SIGKILL);
            killed.insert(pid);
        }
    }
    let _ = sys::kill(task, libc::SIGKILL);
}

/// SIGKILLs the task's process group and the task: enough at level
/// `seccomp`, where the jail's PID 1 is in the group and its death kills
/// everything in the sandbox's PID namespace.
pub(super) fn kill_group(task: i32) {
    let _ = sys::kill(-task, libc::SIGKILL);
    let _ = sys::kill(task, libc::SIGKILL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_with_odd_names_parse() {
        let s = "4242 (a (b) c) S 1 4242 4240 0 -1 4194560";
        assert_eq!(
            parse_stat(s),
            Some(ProcStat {
                pid: 4242,
                ppid: 1,
                pgrp: 4242,
                session: 4240
            })
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn members_follow_session_group_and_parents() {
        let p = |pid, ppid, pgrp, session| ProcStat {
            pid,
            ppid,
            pgrp,
            session,
        };
        let procs = [
            p(100, 1, 100, 100),   // the task
            p(101, 100, 100, 100), // child in the group
            p(102, 101, 102, 102), // setsid'd grandchild, parent alive
            p(103, 1, 103, 100),   // own group, same session, orphaned
            p(104, 1, 104, 104),   // escaped and orphaned: not found
            p(200, 1, 200, 200),   // unrelated
            p(50, 1, 50, 50),      // the supervisor
        ];
        let found = members(100, 50, &procs);
        let mut found: Vec<_> = found.into_iter().collect();
        found.sort_unstable();
        assert_eq!(found, [101, 102, 103]);
    }
}
