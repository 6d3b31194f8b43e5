//! `profile learn` end to end: learn from a real run, run the same command
//! at level `seccomp` under the learned profile, see a command that needs
//! more get killed, and bad input (user profiles in `$AUTONOMIC_HOME/profiles`).

use std::path::Path;

use crate::exec::require_jail;
use crate::{run, TestHome};

/// A workspace outside /tmp (the sandbox gives the task a private /tmp).
fn workspace() -> tempfile::TempDir {
    let ws = tempfile::Builder::new()
        .prefix("learn-ws")
        .tempdir_in("/var/tmp")
        .unwrap();
    fs_err::write(ws.path().join("notes.txt"), "hi\n").unwrap();
    ws
}

fn learn(home: &TestHome, name: &str, ws: &Path, cmd: &[&str]) -> (i32, String, String) {
    let mut c = home.cmd();
    c.args(["immune", "profile", "learn", "--name", name, "--workspace"])
        .arg(ws)
        .arg("--")
        .args(cmd);
    run(home, &mut c)
}

fn exec(home: &TestHome, profile: &str, ws: &Path, cmd: &[&str]) -> (i32, String, String) {
    let mut c = home.cmd();
    c.args([
        "exec",
        "--sandbox",
        "seccomp",
        "--profile",
        profile,
        "--workspace",
    ])
    .arg(ws)
    .arg("--")
    .args(cmd);
    let out = run(home, &mut c);
    require_jail(&out.2);
    out
}

#[test]
fn a_learned_profile_runs_its_command_under_seccomp() {
    let home = TestHome::new();
    let ws = workspace();
    let (code, stdout, stderr) = learn(&home, "ls-la", ws.path(), &["/bin/ls", "-la"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("wrote [HOME]/profiles/ls-la.toml"),
        "{stdout}"
    );
    assert!(
        stdout.contains("distinct syscalls seen in 1 task"),
        "{stdout}"
    );
    // ls -la reads directories: more than the base profile allows.
    assert!(
        stdout.contains("outside the built-in base profile") && stdout.contains("getdents64"),
        "{stdout}"
    );
    // The command's own output went to stderr, not into the report.
    assert!(stderr.contains("notes.txt"), "{stderr}");
    let text = fs_err::read_to_string(home.home().join("profiles/ls-la.toml")).unwrap();
    assert!(text.contains("learned_from = \"/bin/ls -la on "), "{text}");
    assert!(!text.contains("\"mount\""), "{text}");

    let (code, stdout, _) = run(&home, home.cmd().args(["immune", "profile", "list"]));
    assert_eq!(code, 0);
    assert!(
        stdout.contains("ls-la") && stdout.contains("[user: [HOME]/profiles/ls-la.toml]"),
        "{stdout}"
    );
    let (code, stdout, _) = run(
        &home,
        home.cmd().args(["immune", "profile", "show", "ls-la"]),
    );
    assert_eq!(code, 0);
    assert!(stdout.contains("learned from: /bin/ls -la on "), "{stdout}");
    assert!(stdout.contains("[fs_read]"), "{stdout}");

    let (code, stdout, stderr) = exec(&home, "ls-la", ws.path(), &["/bin/ls", "-la"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("notes.txt"), "{stdout}");
}

#[test]
fn a_profile_learned_from_true_kills_a_command_needing_more() {
    let home = TestHome::new();
    let ws = workspace();
    let (code, stdout, stderr) = learn(&home, "only-true", ws.path(), &["/bin/true"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("outside the built-in base profile (0): none"),
        "{stdout}"
    );
    let (code, _, stderr) = exec(&home, "only-true", ws.path(), &["/bin/true"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = exec(&home, "only-true", ws.path(), &["id"]);
    assert_eq!(code, 128 + 31, "id should die of SIGSYS: {stderr}");
    assert!(stderr.contains("for calling"), "{stderr}");
    // Control: id runs under a profile that covers it.
    let (code, stdout, stderr) = exec(&home, "shell-utils", ws.path(), &["id"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("uid="), "{stdout}");
}

#[test]
fn a_failing_or_slow_command_still_gets_a_profile_and_a_warning() {
    let home = TestHome::new();
    let ws = workspace();
    let (code, _, stderr) = learn(&home, "fails", ws.path(), &["sh", "-c", "exit 3"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: `sh -c 'exit 3'` exited with code 3"),
        "{stderr}"
    );
    assert!(home.home().join("profiles/fails.toml").is_file());

    let mut c = home.cmd();
    c.args([
        "immune",
        "profile",
        "learn",
        "--name",
        "slow",
        "--timeout",
        "300ms",
        "--",
        "sleep",
        "10",
    ]);
    let start = std::time::Instant::now();
    let (code, _, stderr) = run(&home, &mut c);
    assert_eq!(code, 0, "{stderr}");
    assert!(start.elapsed().as_secs() < 8, "{:?}", start.elapsed());
    assert!(
        stderr.contains("was killed after the 300ms limit"),
        "{stderr}"
    );
}

#[test]
fn output_file_and_force() {
    let home = TestHome::new();
    let ws = workspace();
    let out = ws.path().join("mine.toml");
    let learn_to = |force: bool| {
        let mut c = home.cmd();
        c.args(["immune", "profile", "learn", "--name", "mine", "--output"])
            .arg(&out);
        if force {
            c.arg("--force");
        }
        c.args(["--", "/bin/true"]);
        run(&home, &mut c)
    };
    let (code, stdout, stderr) = learn_to(false);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.is_file(), "{stdout}");
    let (code, _, stderr) = learn_to(false);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("mine.toml already exists; pass --force to overwrite it"),
        "{stderr}"
    );
    let (code, _, stderr) = learn_to(true);
    assert_eq!(code, 0, "{stderr}");
    // The default location refuses too.
    let ws2 = workspace();
    assert_eq!(learn(&home, "again", ws2.path(), &["/bin/true"]).0, 0);
    let (code, _, stderr) = learn(&home, "again", ws2.path(), &["/bin/true"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[test]
fn bad_input_is_refused_clearly() {
    let home = TestHome::new();
    let ws = workspace();
    let (code, _, stderr) = learn(&home, "cargo", ws.path(), &["/bin/true"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("`cargo` is a built-in profile"), "{stderr}");
    let (code, _, stderr) = learn(&home, "../evil", ws.path(), &["/bin/true"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a profile name"), "{stderr}");
    let (code, _, stderr) = learn(&home, "x", ws.path(), &["no-such-program-x"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("could not start `no-such-program-x`"),
        "{stderr}"
    );
    assert!(!home.home().join("profiles/x.toml").exists());
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["immune", "profile", "learn", "--name", "x"]),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("<CMD>"), "{stderr}");
}

/// Writes `<home>/profiles/NAME.toml`, runs `profile show NAME`, removes
/// the file and returns stderr after checking the command failed.
fn show_broken(home: &TestHome, name: &str, text: &str) -> String {
    let file = home.home().join("profiles").join(format!("{name}.toml"));
    fs_err::create_dir_all(file.parent().unwrap()).unwrap();
    fs_err::write(&file, text).unwrap();
    let (code, _, stderr) = run(home, home.cmd().args(["immune", "profile", "show", name]));
    fs_err::remove_file(&file).unwrap();
    assert_eq!(code, 2, "{stderr}");
    stderr
}

#[test]
fn broken_user_profiles_name_the_file_and_line() {
    let home = TestHome::new();
    let group = "\n[[group]]\nname = \"g\"\nreason = \"r\"\nsyscalls = ";
    let typo = format!("name = \"typo\"\ndescription = \"d\"\n{group}[\"getuid\", \"fstatat\"]\n");
    let stderr = show_broken(&home, "typo", &typo);
    let at = "[HOME]/profiles/typo.toml:7:23: syscall `fstatat`: not an x86_64 syscall name";
    assert!(stderr.contains(at), "{stderr}");
    let blocked = format!("name = \"typo\"\ndescription = \"d\"\n{group}[\"ptrace\"]\n");
    let stderr = show_broken(&home, "typo", &blocked);
    let at = "syscall `ptrace`: on the sandbox's hard block list";
    assert!(stderr.contains(at), "{stderr}");
    // A user file may not shadow a built-in.
    let stderr = show_broken(&home, "base", "name = \"base\"\ndescription = \"d\"\n");
    assert!(
        stderr.contains("clashes with the built-in profile `base`"),
        "{stderr}"
    );

    // Not TOML: `profile show`, `profile list` and `exec --profile` all say where.
    let broken = "name = \"broken\"\ndescription = \"d\"\n[[group]\n";
    let stderr = show_broken(&home, "broken", broken);
    assert!(
        stderr.contains("[HOME]/profiles/broken.toml:3:"),
        "{stderr}"
    );
    fs_err::write(home.home().join("profiles/broken.toml"), broken).unwrap();
    let (code, _, stderr) = run(&home, home.cmd().args(["immune", "profile", "list"]));
    assert_eq!(code, 2);
    assert!(
        stderr.contains("[HOME]/profiles/broken.toml:3:"),
        "{stderr}"
    );
    let ws = workspace();
    let mut c = home.cmd();
    c.args([
        "exec",
        "--sandbox",
        "seccomp",
        "--profile",
        "broken",
        "--workspace",
    ])
    .arg(ws.path())
    .args(["--", "true"]);
    let (code, _, stderr) = run(&home, &mut c);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("[HOME]/profiles/broken.toml:3:"),
        "{stderr}"
    );
}

/// `profile for` answers with the same resolution `exec` uses: a shell
/// string is composed from the programs it runs.
#[test]
fn profile_for_composes_a_shell_string_like_exec() {
    let home = TestHome::new();
    let mut c = home.cmd();
    c.args([
        "immune",
        "profile",
        "for",
        "--",
        "bash",
        "-c",
        "cargo test && git commit -qm x",
    ]);
    let (code, stdout, stderr) = run(&home, &mut c);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("cargo+git-write+shell-utils: "),
        "{stdout}"
    );
    let mut c = home.cmd();
    c.args([
        "immune",
        "profile",
        "for",
        "--",
        "some-unknown-tool",
        "--flag",
    ]);
    let (_, stdout, _) = run(&home, &mut c);
    assert!(stdout.starts_with("developer: "), "{stdout}");
}
