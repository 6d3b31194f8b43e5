//! Real commands in agent-muscle's `seccomp` sandbox under the profile
//! agent-spine resolves for them, as `autonomic exec --sandbox seccomp`
//! does: agent-immune's built-in profiles are enough for what they are for.
//! (agent-muscle's own tests use a test policy; whether the real profiles
//! work is asked here, where both crates meet.)
//!
//! These run real namespaces and seccomp filters through the `muscle-jail`
//! helper, found next to the test binary: `cargo build -p agent-muscle`
//! first (`cargo test --workspace` builds it).

use std::path::Path;
use std::time::Duration;

use agent_muscle::exec::{run, ExecResult, ExecSpec, Exit, Isolation};

use crate::Home;

/// Runs `argv` in `ws` at level `seccomp` under its resolved profile, which
/// must be `profile`.
fn jailed(argv: &[&str], ws: &Path, profile: &str) -> ExecResult {
    let resolved = Home::new().resolve(argv, None, false);
    assert_eq!(resolved.profile.name, profile, "{}", resolved.reason);
    let mut spec = ExecSpec::new(argv.iter().copied(), ws);
    spec.isolation = Isolation::seccomp(resolved.policy);
    spec.limits.wall = Duration::from_secs(20);
    run(&spec).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn echo_and_exit_codes() {
    let ws = tempfile::tempdir().unwrap();
    let r = jailed(&["echo", "hi"], ws.path(), "shell-utils");
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(r.stdout, b"hi\n");
    assert!(r.success());
    let r = jailed(
        &["sh", "-c", "echo err >&2; exit 42"],
        ws.path(),
        "shell-utils",
    );
    assert_eq!(r.status, Exit::Code(42));
    assert_eq!(text(&r.stderr), "err\n");
    assert_eq!(r.violation, None);
}

#[test]
fn ls_and_id_work() {
    let ws = tempfile::tempdir().unwrap();
    let r = jailed(&["ls", "-la", "/"], ws.path(), "shell-utils");
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("usr"));
    let r = jailed(&["id"], ws.path(), "shell-utils");
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert!(text(&r.stdout).contains("uid=1000"), "{}", text(&r.stdout));
}

/// What agent-muscle's old hand-copied `shell-utils` lacked (the profile
/// grew `job_control` since): a background job and `wait`, and writes in
/// the workspace.
#[test]
fn a_shell_string_writes_in_the_workspace_and_waits_for_its_jobs() {
    let ws = tempfile::tempdir().unwrap();
    let script = "echo inside > f && mkdir d && touch d/g; (wc -c < f > n) & wait; cat n";
    let r = jailed(&["sh", "-c", script], ws.path(), "shell-utils");
    assert_eq!(r.status, Exit::Code(0), "{}", text(&r.stderr));
    assert_eq!(text(&r.stdout), "7\n");
    assert!(ws.path().join("d/g").exists());
    assert_eq!(r.violation, None);
}
