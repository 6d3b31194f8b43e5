//! Traps: what a task left in the workspace that the host should not trust.
//!
//! At level `seccomp` the workspace (a user's repository) is mounted
//! read-write into the jail, and after the run the host — the user, their
//! IDE, git, a coding agent — touches whatever the task left there. This
//! module owns finding, and on request defusing, what would turn that into
//! a privilege or a hang on the host:
//!
//! - setuid/setgid regular files and files with file capabilities
//!   (`security.capability`), which raise privileges when the host runs them;
//! - FIFOs (a `package.json` that blocks the next reader forever), UNIX
//!   sockets and device nodes;
//! - symlinks that resolve outside the workspace (`notes.txt ->
//!   /root/.ssh/id_rsa`), which the host would read or write through;
//! - [protected](PROTECTED) paths — files that host tools execute or obey,
//!   like `.git/config` or `.vscode/` — that did not exist before the run (the
//!   jail makes the existing ones read-only, but cannot stop a task from
//!   creating a new one), compared against a [`Snapshot`] taken before it.
//!
//! It runs on the host after the task *and every process of it* are dead, so
//! nothing races the walk but the host itself. The host should leave the
//! workspace alone during a run: every change in that window is taken to be
//! the task's.
//!
//! # How the walk is bounded
//! Iterative (no recursion), never following a symlink, not crossing into
//! another file system, at most [`MAX_ENTRIES`] entries, and one `lstat` per
//! entry (`DirEntry::metadata`, an `fstatat` relative to the open directory).
//! Only entries *changed* during the run (ctime at or after `since`, less
//! [`CTIME_SLACK`]) get the type and mode checks, so a repository's own
//! symlinks are not reported; protected paths are checked against the
//! snapshot whatever their time.
//!
//! # Gaps
//! - A nested repository planted below the root (`sub/.git/config`, or a
//!   bare repository: `sub/HEAD`, `sub/objects/`, `sub/refs/`) is not
//!   reported; IDEs that scan for nested repositories run git there.
//! - A directory deeper than `PATH_MAX` cannot be opened by path; the walk
//!   logs it and what is below it is not examined.
//! - Past [`MAX_ENTRIES`] the walk stops and logs a warning; traps beyond it
//!   are not seen (protected paths are checked first, so not those).
//! - Hard links to host files cannot be made into the workspace from the
//!   jail (`link` across mounts fails with `EXDEV`), so they are not looked
//!   for.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::ffi::{CString, OsString};
use std::fmt;
use std::fs::{Metadata, Permissions};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize, Serializer};

/// The most directory entries one sweep examines.
pub const MAX_ENTRIES: usize = 1_000_000;

/// How much earlier than `since` a ctime may be and still count as changed
/// during the run (file systems with coarse timestamps round down).
pub const CTIME_SLACK: Duration = Duration::from_secs(1);

/// Symlinks followed (lexically, inside the workspace) while deciding where
/// one symlink points; a longer chain is treated as pointing outside.
const MAX_HOPS: usize = 8;

/// Removal failures logged one by one; past this only a count is logged (a
/// task can plant any number of traps).
const MAX_LOGGED_FAILURES: usize = 20;

/// A path, relative to the workspace, that host tools execute or obey.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Protected {
    /// Relative to the workspace root; a directory covers all it contains.
    pub path: &'static str,
    /// Which host tool runs or obeys it, and when.
    pub reason: &'static str,
}

/// The reviewed list of protected paths.
///
/// The line drawn: a path is here when a host tool runs code named in it, or
/// obeys it to run code, on something the user does *not* think of as running
/// the project — opening the folder in an IDE, `cd` into it, a plain
/// `git status` or `git commit`, starting a coding agent there. Left out on
/// purpose:
/// - `.gitattributes`, `.git/info/attributes`: they only pick filter and diff
///   drivers that config defines (config is protected), and `.gitattributes`
///   is ordinary tracked content the task may edit anyway.
/// - `.gitmodules`: URLs and paths only; git ignores `update = !command`
///   there (CVE-2019-19604).
/// - `.git/HEAD`, `refs/`, `objects/`, `info/exclude`: content, not commands.
/// - `package.json`, `Makefile`, `.npmrc`, `build.rs`: they run when the user
///   runs the project's own code, which the task may rewrite anyway; review
///   them as content.
/// - `CLAUDE.md`, `AGENTS.md`: instructions to an agent, not commands; content.
pub const PROTECTED: &[Protected] = &[
    Protected {
        path: ".git/config",
        reason: "git reads it on every command: core.fsmonitor, core.hooksPath, \
                 core.pager, core.sshCommand, filter and diff drivers, aliases \
                 and include.path run or pick programs",
    },
    Protected {
        path: ".git/config.worktree",
        reason: "read as config too when extensions.worktreeConfig is set",
    },
    Protected {
        path: ".git/commondir",
        reason: "points git at another directory for config and hooks",
    },
    Protected {
        path: ".git/hooks",
        reason: "git runs these on commit, checkout, merge, rebase and push",
    },
    Protected {
        path: ".git/modules",
        reason: "submodules' git directories, each with its own config and \
                 hooks, which `git status` and `git submodule` use",
    },
    Protected {
        path: ".husky",
        reason: "husky's hook scripts, run on commit where core.hooksPath \
                 points here",
    },
    Protected {
        path: ".pre-commit-config.yaml",
        reason: "an installed pre-commit hook runs the commands it lists on \
                 the next commit",
    },
    Protected {
        path: "lefthook.yml",
        reason: "an installed lefthook hook runs the commands it lists",
    },
    Protected {
        path: ".lefthook.yml",
        reason: "an installed lefthook hook runs the commands it lists",
    },
    Protected {
        path: ".envrc",
        reason: "direnv evaluates it when a shell enters the directory (once \
                 allowed)",
    },
    Protected {
        path: "mise.toml",
        reason: "mise runs its hooks and sets its environment on `cd` (once \
                 trusted)",
    },
    Protected {
        path: ".mise.toml",
        reason: "mise runs its hooks and sets its environment on `cd` (once \
                 trusted)",
    },
    Protected {
        path: ".mcp.json",
        reason: "Claude Code starts the MCP servers (commands) it lists",
    },
    Protected {
        path: ".claude",
        reason: "Claude Code project settings: hooks run commands on agent \
                 events; MCP servers; commands",
    },
    Protected {
        path: ".codex",
        reason: "Codex project configuration: MCP servers and commands it runs",
    },
    Protected {
        path: ".cursor",
        reason: "Cursor: mcp.json starts commands; rules steer the agent",
    },
    Protected {
        path: ".gemini",
        reason: "Gemini CLI project settings: MCP servers (commands)",
    },
    Protected {
        path: ".vscode",
        reason: "VS Code: tasks.json (tasks may run on folder open), \
                 launch.json, mcp.json, settings.json (interpreter, linter \
                 and formatter paths, the terminal's environment)",
    },
    Protected {
        path: ".idea",
        reason: "JetBrains IDEs: run configurations, startup tasks, external \
                 tools, interpreter paths",
    },
    Protected {
        path: ".devcontainer",
        reason: "devcontainer.json: initializeCommand runs on the host before \
                 the container is built",
    },
    Protected {
        path: ".devcontainer.json",
        reason: "initializeCommand runs on the host before the container is \
                 built",
    },
];

/// Something the task left that the host should not trust.
///
/// Serialized, its paths are UTF-8 text with any byte that is not UTF-8
/// replaced by U+FFFD (the task picks these names, and the audit log and
/// reports must stay text): such a trap reads back with the replaced name.
/// The name is for reporting only — the sweep already acted on the real
/// file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Trap {
    /// Relative to the workspace root.
    #[serde(serialize_with = "lossy")]
    pub path: PathBuf,
    /// What it is.
    pub kind: TrapKind,
    /// Whether [`TrapAction::Remove`] defused it (bits cleared, attribute or
    /// entry removed).
    pub removed: bool,
}

/// What kind of trap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "type", deny_unknown_fields)]
pub enum TrapKind {
    /// A regular file with the setuid or setgid bit.
    SetId {
        /// Its permission bits, e.g. `0o6755`.
        mode: u32,
    },
    /// A regular file with a `security.capability` extended attribute.
    FileCapability,
    /// A named pipe: whoever opens it blocks until someone writes.
    Fifo,
    /// A UNIX socket.
    Socket,
    /// A character or block device node.
    Device,
    /// A symlink that resolves outside the workspace.
    SymlinkOutside {
        /// The link's target as written.
        #[serde(serialize_with = "lossy")]
        target: PathBuf,
    },
    /// A [protected](PROTECTED) path that did not exist before the run, or
    /// was a different file then (or a symlink or non-directory now stands
    /// where one of its parents was).
    ProtectedCreated,
}

/// What [`sweep`] does with what it finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrapAction {
    /// Only report; nothing on disk changes.
    Report,
    /// Defuse: clear setuid/setgid bits (the file stays), remove the
    /// capability attribute, delete FIFOs, sockets, device nodes and outside
    /// symlinks (not their targets), and delete protected paths created
    /// during the run. A protected path that existed but was *replaced* is
    /// reported and left in place, since the host may have rewritten it.
    Remove,
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TrapKind::SetId { mode } => {
                let bits = match mode & 0o6000 {
                    0o6000 => "setuid and setgid",
                    0o4000 => "setuid",
                    _ => "setgid",
                };
                write!(f, "{bits} (mode {:o})", mode & 0o7777)
            }
            TrapKind::FileCapability => f.write_str(
                "a file with capabilities (`security.capability`), which raise privileges when it runs",
            ),
            TrapKind::Fifo => f.write_str("a FIFO, which blocks whoever opens it"),
            TrapKind::Socket => f.write_str("a UNIX socket"),
            TrapKind::Device => f.write_str("a device node"),
            TrapKind::SymlinkOutside { target } => {
                write!(f, "a symlink to `{}`, outside the workspace", Shown(target))
            }
            TrapKind::ProtectedCreated => f.write_str(
                "a path host tools execute or obey, created or replaced during the run",
            ),
        }
    }
}

impl fmt::Display for Trap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is {}", Shown(&self.path), self.kind)?;
        match (self.removed, &self.kind) {
            (false, _) => f.write_str(" (left in place)"),
            (true, TrapKind::SetId { .. }) => f.write_str("; the bits were cleared"),
            (true, TrapKind::FileCapability) => f.write_str("; the capabilities were removed"),
            (true, _) => f.write_str("; it was deleted"),
        }
    }
}

/// A path for a message, with control characters escaped so a planted name
/// cannot forge log lines or drive a terminal.
struct Shown<'a>(&'a Path);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.to_string_lossy().chars() {
            if c.is_control() {
                write!(f, "{}", c.escape_default())?;
            } else {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

/// Serializes a path that may not be UTF-8 (a task picks the names), lossily
/// (see [`Trap`]); serde's own `PathBuf` reads it back.
fn lossy<S: Serializer>(path: &Path, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&path.to_string_lossy())
}

/// Which protected paths exist before a run, and as which files.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Snapshot {
    names: Vec<PathBuf>,
    seen: BTreeMap<PathBuf, Identity>,
}

/// Where a protected path ends (itself, or a symlink or non-directory in
/// place of one of its parents) and which file that is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    at: PathBuf,
    dev: u64,
    ino: u64,
}

impl Snapshot {
    /// The [`PROTECTED`] paths of `workspace` as they are now.
    pub fn take(workspace: &Path) -> Snapshot {
        let names: Vec<&str> = PROTECTED.iter().map(|p| p.path).collect();
        Snapshot::of(workspace, &names)
    }

    /// The given relative paths of `workspace` as they are now.
    pub fn of(workspace: &Path, names: &[&str]) -> Snapshot {
        let names: Vec<PathBuf> = names.iter().map(PathBuf::from).collect();
        let seen = names
            .iter()
            .filter_map(|n| Some((n.clone(), identity(workspace, n)?)))
            .collect();
        Snapshot { names, seen }
    }

    /// The paths (relative) that existed, without following symlinks.
    pub fn existing(&self) -> Vec<PathBuf> {
        self.seen
            .iter()
            .filter(|(name, id)| **name == id.at)
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// The paths (relative) of which nothing existed, not even a symlink or
    /// a file where one of their parents should be.
    pub fn missing(&self) -> Vec<PathBuf> {
        self.names
            .iter()
            .filter(|n| !self.seen.contains_key(*n))
            .cloned()
            .collect()
    }
}

/// Which of `names` (relative to `workspace`) exist now, as absolute paths —
/// what the jail makes read-only. A name reached through a symlink or
/// a non-directory parent does not count.
pub fn protected_existing(workspace: &Path, names: &[&str]) -> Vec<PathBuf> {
    Snapshot::of(workspace, names)
        .existing()
        .into_iter()
        .map(|rel| workspace.join(rel))
        .collect()
}

/// `lstat`s `rel` one component at a time, stopping at a symlink or
/// non-directory that stands where a parent should be.
fn identity(workspace: &Path, rel: &Path) -> Option<Identity> {
    let mut at = PathBuf::new();
    let mut parts = rel.components().peekable();
    while let Some(part) = parts.next() {
        at.push(part);
        let meta = fs_err::symlink_metadata(workspace.join(&at)).ok()?;
        if parts.peek().is_none() || !meta.file_type().is_dir() {
            return Some(Identity {
                at,
                dev: meta.dev(),
                ino: meta.ino(),
            });
        }
    }
    None
}

/// Walks `workspace` for traps changed since `since` and protected paths
/// created since `before` was taken, and with [`TrapAction::Remove`] defuses
/// them. Call it after the task and all its processes have exited.
///
/// Errors do not stop the sweep: an unreadable directory or a failed removal
/// is logged (and the trap reported with `removed: false`).
pub fn sweep(
    workspace: &Path,
    since: SystemTime,
    before: &Snapshot,
    action: TrapAction,
) -> Vec<Trap> {
    let root = match fs_err::metadata(workspace) {
        Ok(meta) if meta.is_dir() => meta,
        Ok(_) => {
            tracing::warn!(workspace = %workspace.display(), "trap sweep skipped: not a directory");
            return Vec::new();
        }
        Err(e) => {
            tracing::warn!(error = %e, "trap sweep skipped");
            return Vec::new();
        }
    };
    let mut found = protected_created(workspace, before);
    let skip: HashSet<PathBuf> = found.iter().map(|(t, _)| t.path.clone()).collect();
    let walk = Walk {
        workspace,
        roots: roots(workspace),
        dev: root.dev(),
        after_ns: after_ns(since),
        skip: &skip,
    };
    walk.run(MAX_ENTRIES, &mut found);

    let mut failures = 0usize;
    let traps: Vec<Trap> = found
        .into_iter()
        .map(|(mut trap, removable)| {
            if action == TrapAction::Remove && removable {
                match defuse(workspace, &trap) {
                    Ok(()) => trap.removed = true,
                    Err(e) => {
                        failures += 1;
                        if failures <= MAX_LOGGED_FAILURES {
                            tracing::warn!(trap = %trap, error = %e, "could not defuse a trap");
                        }
                    }
                }
            }
            trap
        })
        .collect();
    if failures > MAX_LOGGED_FAILURES {
        tracing::warn!(
            failures,
            logged = MAX_LOGGED_FAILURES,
            "could not defuse some traps"
        );
    }
    traps
}

/// Protected paths that exist now as a different file than in `before`;
/// the flag says whether removing is safe (it did not exist before).
fn protected_created(workspace: &Path, before: &Snapshot) -> Vec<(Trap, bool)> {
    let mut out: Vec<(Trap, bool)> = Vec::new();
    for name in &before.names {
        let Some(now) = identity(workspace, name) else {
            continue;
        };
        let then = before.seen.get(name);
        if then == Some(&now) || out.iter().any(|(t, _)| t.path == now.at) {
            continue;
        }
        if then.is_some() {
            tracing::warn!(
                path = %Shown(&now.at),
                "a protected path was replaced during the run; reported, not removed"
            );
        }
        out.push((
            Trap {
                path: now.at,
                kind: TrapKind::ProtectedCreated,
                removed: false,
            },
            then.is_none(),
        ));
    }
    out
}

/// The workspace as given and as the kernel resolves it: an absolute
/// symlink target under either stays inside.
fn roots(workspace: &Path) -> Vec<PathBuf> {
    let mut roots = vec![workspace.to_path_buf()];
    if let Ok(canonical) = fs_err::canonicalize(workspace) {
        if canonical != workspace {
            roots.push(canonical);
        }
    }
    roots
}

/// `since - CTIME_SLACK` in nanoseconds from the epoch.
fn after_ns(since: SystemTime) -> i128 {
    let ns = match since.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    };
    ns - CTIME_SLACK.as_nanos() as i128
}

struct Walk<'a> {
    workspace: &'a Path,
    roots: Vec<PathBuf>,
    dev: u64,
    after_ns: i128,
    /// Protected paths already reported as created: not examined again.
    skip: &'a HashSet<PathBuf>,
}

impl Walk<'_> {
    fn run(&self, max_entries: usize, out: &mut Vec<(Trap, bool)>) {
        let mut dirs = vec![PathBuf::new()];
        let mut entries = 0usize;
        while let Some(dir) = dirs.pop() {
            let read = match fs_err::read_dir(self.workspace.join(&dir)) {
                Ok(read) => read,
                Err(e) => {
                    tracing::warn!(error = %e, "trap sweep: a directory was not examined");
                    continue;
                }
            };
            for entry in read {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        tracing::warn!(error = %e, "trap sweep: a directory was not read to the end");
                        break;
                    }
                };
                entries += 1;
                if entries > max_entries {
                    tracing::warn!(
                        workspace = %self.workspace.display(),
                        max_entries,
                        "trap sweep stopped at its entry bound; the rest was not examined"
                    );
                    return;
                }
                // `DirEntry::metadata` is `fstatat(dirfd, name,
                // AT_SYMLINK_NOFOLLOW)`: one lstat, never through a link.
                let meta = match entry.metadata() {
                    Ok(meta) => meta,
                    Err(e) => {
                        tracing::debug!(error = %e, "trap sweep: lstat failed");
                        continue;
                    }
                };
                if !meta.is_dir() && !self.changed(&meta) {
                    continue;
                }
                let rel = dir.join(entry.file_name());
                if self.skip.contains(&rel) {
                    continue;
                }
                if meta.is_dir() {
                    if meta.dev() == self.dev {
                        dirs.push(rel);
                    } else {
                        tracing::debug!(path = %Shown(&rel), "trap sweep: not crossing a mount point");
                    }
                    continue;
                }
                self.examine(rel, &meta, out);
            }
        }
    }

    fn changed(&self, meta: &Metadata) -> bool {
        let ctime = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
        ctime >= self.after_ns
    }

    fn examine(&self, rel: PathBuf, meta: &Metadata, out: &mut Vec<(Trap, bool)>) {
        let ft = meta.file_type();
        let mut found = |path: &Path, kind| {
            let trap = Trap {
                path: path.to_path_buf(),
                kind,
                removed: false,
            };
            out.push((trap, true));
        };
        if ft.is_file() {
            if meta.mode() & 0o6000 != 0 {
                found(
                    &rel,
                    TrapKind::SetId {
                        mode: meta.mode() & 0o7777,
                    },
                );
            }
            match xattr::has_capability(&self.workspace.join(&rel)) {
                Ok(true) => found(&rel, TrapKind::FileCapability),
                Ok(false) => {}
                Err(e) => {
                    tracing::debug!(error = %e, path = %Shown(&rel), "trap sweep: getxattr failed")
                }
            }
        } else if ft.is_fifo() {
            found(&rel, TrapKind::Fifo);
        } else if ft.is_socket() {
            found(&rel, TrapKind::Socket);
        } else if ft.is_char_device() || ft.is_block_device() {
            found(&rel, TrapKind::Device);
        } else if ft.is_symlink() {
            match fs_err::read_link(self.workspace.join(&rel)) {
                Ok(target) => {
                    if !self.stays_inside(&rel, &target) {
                        found(&rel, TrapKind::SymlinkOutside { target });
                    }
                }
                Err(e) => tracing::debug!(error = %e, "trap sweep: readlink failed"),
            }
        }
    }

    /// Whether the symlink at `link` (relative) with `target` resolves inside
    /// the workspace: component by component, each existing component
    /// `lstat`ed, symlinks among them expanded (at most [`MAX_HOPS`]), `..`
    /// never climbing above the root. A missing component ends the lookups
    /// and the rest is resolved lexically.
    fn stays_inside(&self, link: &Path, target: &Path) -> bool {
        let mut stack: Vec<OsString> = match link.parent() {
            Some(dir) => dir.iter().map(OsString::from).collect(),
            None => Vec::new(),
        };
        let mut queue: VecDeque<OsString> = VecDeque::new();
        if !self.push_target(target, &mut stack, &mut queue) {
            return false;
        }
        let mut hops = 0;
        let mut lookups = true;
        while let Some(part) = queue.pop_front() {
            if part == ".." {
                if stack.pop().is_none() {
                    return false;
                }
                continue;
            }
            stack.push(part);
            if !lookups {
                continue;
            }
            let here: PathBuf = self.workspace.join(stack.iter().collect::<PathBuf>());
            match fs_err::symlink_metadata(&here) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    hops += 1;
                    let Ok(next) = fs_err::read_link(&here) else {
                        return false;
                    };
                    if hops > MAX_HOPS {
                        return false;
                    }
                    stack.pop();
                    let mut rest = VecDeque::new();
                    if !self.push_target(&next, &mut stack, &mut rest) {
                        return false;
                    }
                    rest.extend(queue);
                    queue = rest;
                }
                Ok(_) => {}
                Err(_) => lookups = false,
            }
        }
        true
    }

    /// Queues `target`'s components; an absolute target restarts at the
    /// root when it names a path under the workspace, and is outside
    /// (`false`) otherwise.
    fn push_target(
        &self,
        target: &Path,
        stack: &mut Vec<OsString>,
        queue: &mut VecDeque<OsString>,
    ) -> bool {
        let relative = if target.is_absolute() {
            let Some(under) = self.roots.iter().find_map(|r| target.strip_prefix(r).ok()) else {
                return false;
            };
            stack.clear();
            under
        } else {
            target
        };
        for part in relative.components() {
            match part {
                Component::Normal(name) => queue.push_back(name.to_os_string()),
                Component::ParentDir => queue.push_back(OsString::from("..")),
                Component::CurDir | Component::RootDir | Component::Prefix(_) => {}
            }
        }
        true
    }
}

/// Defuses one trap, checking first that the entry is still what was found.
fn defuse(workspace: &Path, trap: &Trap) -> io::Result<()> {
    let path = workspace.join(&trap.path);
    let meta = fs_err::symlink_metadata(&path)?;
    let ft = meta.file_type();
    let changed = || {
        io::Error::other(format!(
            "`{}` changed since it was examined",
            Shown(&trap.path)
        ))
    };
    match &trap.kind {
        TrapKind::SetId { .. } => {
            if !ft.is_file() {
                return Err(changed());
            }
            // `chmod` follows symlinks; the lstat above says this is a
            // regular file, and no task process is left to swap it.
            let mode = meta.mode() & 0o7777 & !0o6000;
            fs_err::set_permissions(&path, Permissions::from_mode(mode))
        }
        TrapKind::FileCapability => {
            if !ft.is_file() {
                return Err(changed());
            }
            xattr::remove_capability(&path)
        }
        TrapKind::Fifo | TrapKind::Socket | TrapKind::Device | TrapKind::SymlinkOutside { .. } => {
            let same = match trap.kind {
                TrapKind::Fifo => ft.is_fifo(),
                TrapKind::Socket => ft.is_socket(),
                TrapKind::Device => ft.is_char_device() || ft.is_block_device(),
                _ => ft.is_symlink(),
            };
            if !same {
                return Err(changed());
            }
            fs_err::remove_file(&path)
        }
        TrapKind::ProtectedCreated => {
            if ft.is_dir() {
                // Does not follow symlinks inside it.
                fs_err::remove_dir_all(&path)
            } else {
                fs_err::remove_file(&path)
            }
        }
    }
}

/// The module's only `unsafe`: the `security.capability` attribute by path,
/// never through a final symlink.
mod xattr {
    use super::*;

    const NAME: &std::ffi::CStr = c"security.capability";

    fn c_path(path: &Path) -> io::Result<CString> {
        CString::new(path.as_os_str().as_bytes()).map_err(io::Error::other)
    }

    /// Whether `path` has the attribute (`lgetxattr` asking only its size).
    pub(super) fn has_capability(path: &Path) -> io::Result<bool> {
        let c = c_path(path)?;
        // SAFETY: `c` and `NAME` are NUL-terminated and outlive the call;
        // with a null buffer of length 0 the kernel only returns the value's
        // size and writes nothing.
        let n = unsafe { libc::lgetxattr(c.as_ptr(), NAME.as_ptr(), std::ptr::null_mut(), 0) };
        if n >= 0 {
            return Ok(true);
        }
        let e = io::Error::last_os_error();
        match e.raw_os_error() {
            Some(libc::ENODATA) | Some(libc::ENOTSUP) => Ok(false),
            _ => Err(e),
        }
    }

    /// Removes the attribute from `path` (`lremovexattr`).
    pub(super) fn remove_capability(path: &Path) -> io::Result<()> {
        let c = c_path(path)?;
        // SAFETY: `c` and `NAME` are NUL-terminated and outlive the call,
        // which reads them and nothing else.
        if unsafe { libc::lremovexattr(c.as_ptr(), NAME.as_ptr()) } == -1 {
            return Err(io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protected_list_is_reviewed_data() {
        let mut seen = HashSet::new();
        for p in PROTECTED {
            assert!(seen.insert(p.path), "{} is listed twice", p.path);
            assert!(!p.reason.trim().is_empty(), "{} has no reason", p.path);
            let path = Path::new(p.path);
            assert!(
                path.components().all(|c| matches!(c, Component::Normal(_))),
                "{} must be relative and plain",
                p.path
            );
        }
    }

    #[test]
    fn traps_read_as_sentences() {
        let trap = Trap {
            path: PathBuf::from("w/sh"),
            kind: TrapKind::SetId { mode: 0o106755 },
            removed: false,
        };
        assert_eq!(
            trap.to_string(),
            "`w/sh` is setuid and setgid (mode 6755) (left in place)"
        );
        let trap = Trap {
            path: PathBuf::from("notes\n.txt"),
            kind: TrapKind::SymlinkOutside {
                target: PathBuf::from("/root/.ssh/id_rsa"),
            },
            removed: true,
        };
        assert_eq!(
            trap.to_string(),
            "`notes\\n.txt` is a symlink to `/root/.ssh/id_rsa`, outside the workspace; it was deleted"
        );
    }

    #[test]
    fn the_slack_reaches_back_before_since() {
        let since = UNIX_EPOCH + Duration::from_secs(10);
        assert_eq!(after_ns(since), 9_000_000_000);
        assert_eq!(after_ns(UNIX_EPOCH), -1_000_000_000);
    }
}
