//! `autonomic exec`: exit codes mirror the command, sandbox kills are
//! reported and audited, unimplemented levels never silently downgrade.

use crate::{run, TestHome};

#[test]
fn exit_code_and_output_are_mirrored() {
    let home = TestHome::new();
    let (code, stdout, _) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "none",
            "--",
            "sh",
            "-c",
            "echo hi; exit 7",
        ]),
    );
    assert_eq!((code, stdout.as_str()), (7, "hi\n"));
}

#[test]
fn a_timeout_kill_is_reported_and_audited() {
    let home = TestHome::new();
    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "none",
            "--timeout",
            "300ms",
            "--",
            "sleep",
            "5",
        ]),
    );
    assert_eq!(code, 128 + 9, "{stderr}");
    assert!(stderr.contains("wall-clock limit"), "{stderr}");
    let log = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(log.contains("\"muscle.violation\""), "{log}");
    let (code, _, _) = run(&home, home.cmd().args(["audit", "verify"]));
    assert_eq!(code, 0);
}

#[test]
fn firecracker_without_an_image_fails_instead_of_downgrading() {
    let home = TestHome::new();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["exec", "--sandbox", "firecracker", "--", "true"]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(
        stderr.contains("not available") && stderr.contains("autonomic muscle image build"),
        "{stderr}"
    );
}

/// The guest image `scripts/build-vm-image.sh` builds (CI runs it first).
pub(crate) fn vm_image_config(home: &TestHome) {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vm-home/data");
    assert!(
        data.join("vmlinux.bin").is_file(),
        "no guest image under {}: run scripts/build-vm-image.sh",
        data.display()
    );
    home.write_config(&format!(
        "[muscle]\nfirecracker_kernel = \"{}\"\nfirecracker_rootfs = \"{}\"\n",
        data.join("vmlinux.bin").display(),
        data.join("rootfs.ext4").display()
    ));
}

#[test]
fn firecracker_runs_the_command_in_a_microvm() {
    let home = TestHome::new();
    vm_image_config(&home);
    let ws = tempfile::tempdir().unwrap();
    fs_err::write(ws.path().join("in.txt"), "handed in\n").unwrap();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args([
                "exec",
                "--sandbox",
                "firecracker",
                "--vcpus",
                "1",
                "--workspace",
            ])
            .arg(ws.path())
            .args(["--", "sh", "-c", "cat in.txt; ls /sys/class/net; exit 4"]),
    );
    assert_eq!(code, 4, "{stderr}");
    assert_eq!(stdout, "handed in\nlo\n");
    assert!(
        stderr.contains("software emulation") || stderr.is_empty(),
        "{stderr}"
    );

    let (code, stdout, stderr) = run(&home, home.cmd().args(["muscle", "doctor"]));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("level firecracker:"), "{stdout}");
    assert!(stdout.contains("acceleration:"), "{stdout}");
    // The seccomp level is proven by a probe run, and each host feature it
    // relies on is listed.
    assert!(
        stdout.contains("level seccomp: available (a probe task ran in the jail)"),
        "{stdout}"
    );
    for feature in ["user namespaces: ok", "seccomp: ok", "landlock: ok"] {
        assert!(stdout.contains(feature), "{stdout}");
    }
    assert!(stdout.contains("(present)"), "{stdout}");
}

/// `muscle-jail` must be built next to `autonomic` (it is under
/// `cargo test --workspace`, the README's test command): fail, never skip.
pub(crate) fn require_jail(stderr: &str) {
    assert!(
        !stderr.contains("`muscle-jail` is not next to"),
        "muscle-jail is not built; run the workspace tests (`cargo test --workspace`) or `cargo build -p agent-muscle` first: {stderr}"
    );
}

#[test]
fn seccomp_runs_the_profile_and_reports_a_network_attempt() {
    let home = TestHome::new();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "seccomp",
            "--",
            "sh",
            "-c",
            "echo hi; exit 3",
        ]),
    );
    require_jail(&stderr);
    assert_eq!((code, stdout.as_str()), (3, "hi\n"), "{stderr}");

    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "seccomp",
            "--",
            "bash",
            "-c",
            "echo > /dev/tcp/127.0.0.1/9",
        ]),
    );
    assert_eq!(code, 128 + 31, "{stderr}");
    assert!(stderr.contains("for calling"), "{stderr}");
    let log = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(log.contains("\"muscle.violation\""), "{log}");

    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "seccomp",
            "--profile",
            "nope",
            "--",
            "true",
        ]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("unknown profile `nope`"), "{stderr}");
}

#[test]
fn a_masked_path_attempt_is_killed_named_and_audited() {
    let home = TestHome::new();
    let args = |watch: bool| {
        let mut a = vec!["exec", "--sandbox", "seccomp"];
        if !watch {
            a.push("--no-watch-paths");
        }
        a.extend(["--", "sh", "-c", "cd /etc && cat shadow"]);
        a
    };
    let (code, stdout, stderr) = run(&home, home.cmd().args(args(true)));
    require_jail(&stderr);
    assert_eq!(code, 128 + 31, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("for `openat` on `/etc/shadow`"),
        "the report names the syscall and the path: {stderr}"
    );
    let log = fs_err::read_to_string(home.audit_log()).unwrap();
    assert!(log.contains("/etc/shadow"), "{log}");

    // Without the watch the mask alone answers: an ordinary failure.
    let (code, stdout, stderr) = run(&home, home.cmd().args(args(false)));
    assert_eq!(code, 1, "{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.contains("Permission denied"), "{stderr}");
}

#[test]
fn the_environment_is_scrubbed_unless_passed_through() {
    let home = TestHome::new();
    let (code, stdout, _) = run(
        &home,
        home.cmd()
            .env("SECRET_TOKEN", "x")
            .args(["exec", "--sandbox", "none", "--", "env"]),
    );
    assert_eq!(code, 0);
    assert!(!stdout.contains("SECRET_TOKEN"), "{stdout}");
    let (_, stdout, _) = run(
        &home,
        home.cmd().env("SECRET_TOKEN", "x").args([
            "exec",
            "--sandbox",
            "none",
            "--env",
            "SECRET_TOKEN",
            "--",
            "env",
        ]),
    );
    assert!(stdout.contains("SECRET_TOKEN=x"), "{stdout}");
}

#[test]
fn bad_input_is_a_clear_error() {
    let home = TestHome::new();
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["exec", "--sandbox", "none", "--", "no-such-program-xyz"]),
    );
    assert_eq!(code, 2);
    assert!(
        stderr.contains("no-such-program-xyz") && stderr.contains("not found"),
        "{stderr}"
    );
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["exec", "--sandbox", "none", "--memory", "0", "--", "true"]),
    );
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "exec",
            "--sandbox",
            "none",
            "--workspace",
            "/no/such/dir",
            "--",
            "true",
        ]),
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("/no/such/dir"), "{stderr}");
}

#[test]
fn image_build_refuses_a_missing_or_dynamic_guest_agent() {
    let home = TestHome::new();
    let (code, _, stderr) = run(
        &home,
        home.cmd().args([
            "muscle",
            "image",
            "build",
            "--guest-agent",
            "/nonexistent/agent",
        ]),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("scripts/build-guest.sh"), "{stderr}");
    // The test binary itself is dynamically linked.
    let exe = std::env::current_exe().unwrap();
    let (code, _, stderr) = run(
        &home,
        home.cmd()
            .args(["muscle", "image", "build", "--guest-agent"])
            .arg(&exe),
    );
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("dynamically linked"), "{stderr}");
}

/// The static guest agent `scripts/build-vm-image.sh` built (CI runs it first).
fn guest_agent() -> std::path::PathBuf {
    let agent = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../target/guest/x86_64-unknown-linux-gnu/release/muscle-guest");
    assert!(
        agent.is_file(),
        "{} is missing: run scripts/build-vm-image.sh",
        agent.display()
    );
    agent
}

#[test]
fn image_build_with_packages_runs_git_in_the_guest_and_is_idempotent() {
    let home = TestHome::new();
    let cache = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/vm-cache");
    let build = |home: &TestHome| {
        run(
            home,
            home.cmd()
                .args([
                    "muscle",
                    "image",
                    "build",
                    "--packages",
                    "git",
                    "--guest-agent",
                ])
                .arg(guest_agent())
                .arg("--cache")
                .arg(&cache),
        )
    };
    let (code, stdout, stderr) = build(&home);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("built ("), "{stdout}");
    let (code, stdout, stderr) = build(&home);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.starts_with("up to date ("),
        "a second build is a no-op: {stdout}"
    );

    let ws = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run(
        &home,
        home.cmd()
            .args(["exec", "--sandbox", "firecracker", "--workspace"])
            .arg(ws.path())
            .args(["--", "git", "--version"]),
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with("git version 2."), "{stdout}");
}
