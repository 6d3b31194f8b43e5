//! Real tasks at the `seccomp` level under the profile `autonomic exec`
//! picks for them (agent-immune's `profile for`), with the path watch on:
//! `ls -la`, `id`, `git log`, a python script, `cargo build` of a small
//! crate and `npm test` of a tiny package (issue 4, "real tasks work under
//! their profiles").

use std::path::Path;

use crate::exec::require_jail;
use crate::{run, TestHome};

/// `autonomic exec --sandbox seccomp --workspace WS [--env NAME…] -- argv`,
/// asserting exit 0 and no sandbox report; returns stdout. Each `env` entry
/// is passed through, with its value set first when one is given.
fn ok_in(home: &TestHome, ws: &Path, env: &[(&str, Option<&str>)], argv: &[&str]) -> String {
    let mut cmd = home.cmd();
    cmd.args([
        "exec",
        "--sandbox",
        "seccomp",
        "--timeout",
        "300s",
        "--workspace",
    ])
    .arg(ws);
    for (name, value) in env {
        if let Some(v) = value {
            cmd.env(name, v);
        }
        cmd.args(["--env", name]);
    }
    cmd.arg("--").args(argv);
    let (code, stdout, stderr) = run(home, &mut cmd);
    require_jail(&stderr);
    assert_eq!(code, 0, "{argv:?}: stdout {stdout}\nstderr {stderr}");
    assert!(!stderr.contains("autonomic:"), "{argv:?}: {stderr}");
    stdout
}

/// The same at level `none` (fixture set-up: it may write what the jail
/// would refuse).
fn setup(home: &TestHome, ws: &Path, argv: &[&str]) {
    let mut cmd = home.cmd();
    cmd.args(["exec", "--sandbox", "none", "--workspace"])
        .arg(ws)
        .arg("--")
        .args(argv);
    let (code, stdout, stderr) = run(home, &mut cmd);
    assert_eq!(code, 0, "{argv:?}: {stdout} {stderr}");
}

#[test]
fn ls_and_id() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(ws.path().join("file.txt"), "x").unwrap();
    let out = ok_in(&home, ws.path(), &[], &["ls", "-la"]);
    assert!(out.contains("file.txt"), "{out}");
    let out = ok_in(&home, ws.path(), &[], &["id"]);
    assert!(out.starts_with("uid=1000"), "{out}");
}

#[test]
fn git_log_in_a_repository() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(ws.path().join("README"), "hello\n").unwrap();
    let id = ["-c", "user.name=Test", "-c", "user.email=test@example.com"];
    setup(&home, ws.path(), &["git", "init", "-q", "-b", "main"]);
    setup(&home, ws.path(), &["git", "add", "README"]);
    let mut commit = vec!["git"];
    commit.extend(id);
    commit.extend(["commit", "-q", "-m", "first commit"]);
    setup(&home, ws.path(), &commit);
    let out = ok_in(&home, ws.path(), &[], &["git", "log", "--oneline"]);
    assert!(out.contains("first commit"), "{out}");
    let out = ok_in(&home, ws.path(), &[], &["git", "status", "--short"]);
    assert_eq!(out, "", "a clean tree");
}

#[test]
fn a_python_script_with_a_subprocess() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(
        ws.path().join("job.py"),
        "import json, subprocess, pathlib\n\
         out = subprocess.run(['echo', 'from a child'], capture_output=True, text=True).stdout\n\
         pathlib.Path('result.json').write_text(json.dumps({'child': out.strip()}))\n\
         print(pathlib.Path('result.json').read_text())\n",
    )
    .unwrap();
    let out = ok_in(&home, ws.path(), &[], &["python3", "job.py"]);
    assert_eq!(out.trim(), r#"{"child": "from a child"}"#);
}

#[test]
fn cargo_build_of_a_small_crate() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(
        ws.path().join("Cargo.toml"),
        "[package]\nname = \"tiny\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    fs_err::create_dir(ws.path().join("src")).unwrap();
    fs_err::write(
        ws.path().join("src/main.rs"),
        "fn main() { println!(\"tiny {}\", 6 * 7); }\n",
    )
    .unwrap();
    // The toolchain (rustup's proxies) is found through the caller's PATH and
    // homes; the build itself writes only target/ in the workspace.
    let env = [
        ("PATH", None),
        ("CARGO_HOME", None),
        ("RUSTUP_HOME", None),
        ("RUSTUP_TOOLCHAIN", None),
    ];
    ok_in(
        &home,
        ws.path(),
        &env,
        &["cargo", "build", "--offline", "--quiet"],
    );
    let out = ok_in(&home, ws.path(), &[], &["./target/debug/tiny"]);
    assert_eq!(out, "tiny 42\n");
}

#[test]
fn npm_test_of_a_tiny_package() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(
        ws.path().join("package.json"),
        r#"{"name": "tiny", "version": "1.0.0", "scripts": {"test": "node test.js"}}"#,
    )
    .unwrap();
    fs_err::write(
        ws.path().join("test.js"),
        "const assert = require('assert');\n\
         assert.strictEqual([1, 2, 3].map(x => x * 2).join(','), '2,4,6');\n\
         console.log('tests passed');\n",
    )
    .unwrap();
    // No update check, audit or funding calls: those would reach for the
    // network, which the task does not have.
    let out = ok_in(
        &home,
        ws.path(),
        &[
            ("npm_config_update_notifier", Some("false")),
            ("npm_config_audit", Some("false")),
            ("npm_config_fund", Some("false")),
        ],
        &["npm", "test"],
    );
    assert!(out.contains("tests passed"), "{out}");
}

/// Issue 11: a shell string of ordinary tools runs at `seccomp` with no
/// `--profile`. Under the profile picked by argv[0] alone (`shell-utils`)
/// it was killed: `cp` calls copy_file_range, dash's `wait` rt_sigsuspend,
/// `cc --version` ioctl, `fallocate` fallocate. Now the profiles of what
/// the string runs are composed (`developer` for cc, sleep and fallocate).
#[test]
fn a_shell_string_of_ordinary_tools_runs_without_a_profile() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(ws.path().join("a"), "copied\n").unwrap();
    let out = ok_in(
        &home,
        ws.path(),
        &[],
        &[
            "sh",
            "-c",
            "cp a b && sleep 0.1 & wait; cc --version >/dev/null; fallocate -l 64k f && cat b && echo ok",
        ],
    );
    assert_eq!(out, "copied\nok\n");
    assert_eq!(
        fs_err::metadata(ws.path().join("f")).unwrap().len(),
        64 * 1024
    );
}

#[test]
fn make_builds_and_runs_a_c_program() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(
        ws.path().join("hello.c"),
        "#include <stdio.h>\nint main(void) { puts(\"built by make\"); return 0; }\n",
    )
    .unwrap();
    fs_err::write(
        ws.path().join("Makefile"),
        "hello: hello.c\n\tcc -O2 -o $@ $<\n\ncheck: hello\n\t./hello\n",
    )
    .unwrap();
    let out = ok_in(&home, ws.path(), &[], &["make", "-s", "check"]);
    assert_eq!(out, "built by make\n");
    assert!(ws.path().join("hello").is_file());
}

#[test]
fn git_init_add_and_commit_with_default_settings() {
    let home = TestHome::new();
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(ws.path().join("a.txt"), "one\n").unwrap();
    let out = ok_in(
        &home,
        ws.path(),
        &[],
        &[
            "sh",
            "-c",
            "git init -q . && git add a.txt && \
             git -c user.name=T -c user.email=t@example.com commit -qm first && \
             git gc -q && git log --format=%s",
        ],
    );
    assert_eq!(out, "first\n");
    // A clean repository the task made is kept (only planted hooks or
    // command-naming config would be removed).
    assert!(ws.path().join(".git/config").is_file());
    assert!(ws.path().join(".git/HEAD").is_file());
}
