//! Spawn-to-exit of a task at each sandbox level, side by side (issue 4's
//! benchmark): `/bin/true` and a syscall-heavy loop (`dd` copying 200 000
//! single bytes: ~400 000 `read`/`write` calls) at level `none` and level
//! `seccomp` (both through [`agent_muscle::exec::run`]), under bubblewrap
//! (`bwrap --ro-bind / / --tmpfs /tmp --proc /proc --dev /dev --unshare-all
//! --die-with-parent`), and as a bare `std::process::Command` for reference.
//!
//! ```text
//! cargo build --release -p agent-muscle
//! cargo bench -p agent-muscle --bench exec
//! ```
//!
//! The `seccomp` level needs the `muscle-jail` helper: when
//! `AUTONOMIC_MUSCLE_JAIL` is not set, the bench sets it to
//! `<workspace>/target/release/muscle-jail` (the bench build refreshes it
//! too; the first command only makes it explicit). Without `bwrap` on `PATH` (Debian
//! package `bubblewrap`) the bubblewrap rows are skipped with a message.
//! Not part of CI; the whole run takes about a minute and a half.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use agent_muscle::exec::{run, ExecSpec, Exit};
use autonomic_core::SandboxLevel;
use criterion::{BenchmarkId, Criterion, SamplingMode};

#[path = "../tests/common/shell_utils.rs"]
mod shell_utils;
use shell_utils::policy;

const BWRAP_ARGS: &[&str] = &[
    "--ro-bind",
    "/",
    "/",
    "--tmpfs",
    "/tmp",
    "--proc",
    "/proc",
    "--dev",
    "/dev",
    "--unshare-all",
    "--die-with-parent",
];

/// The two workloads: a name and an argv (absolute program path).
const WORKLOADS: &[(&str, &[&str])] = &[
    ("true", &["/bin/true"]),
    (
        "dd_200k_1byte",
        &[
            "/bin/dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=1",
            "count=200000",
            "status=none",
        ],
    ),
];

fn spec(level: SandboxLevel, argv: &[&str], ws: &Path) -> ExecSpec {
    let mut spec = ExecSpec::new(argv.iter().copied(), ws);
    spec.sandbox = level;
    spec.policy = Some(policy());
    spec.limits.wall = Duration::from_secs(30);
    spec
}

/// Runs `spec` and panics unless the task exited 0 (a benchmark of a failing
/// task would measure the wrong thing).
fn run_ok(spec: &ExecSpec) {
    let r = run(spec).unwrap_or_else(|e| panic!("{:?} at {}: {e}", spec.argv, spec.sandbox));
    assert_eq!(
        r.status,
        Exit::Code(0),
        "{:?} at {}: {}",
        spec.argv,
        spec.sandbox,
        String::from_utf8_lossy(&r.stderr)
    );
    black_box(r);
}

#[expect(
    clippy::disallowed_methods,
    reason = "the bench runs bubblewrap and the bare reference itself"
)]
fn command(program: &str) -> Command {
    Command::new(program)
}

/// Spawns `argv` (optionally under `bwrap`) with null stdin and captured
/// stdout/stderr, like the executor does, and waits for it.
fn run_command(bwrap: Option<&Path>, argv: &[&str]) {
    let mut cmd = match bwrap {
        Some(b) => {
            let mut c = command(&b.to_string_lossy());
            c.args(BWRAP_ARGS).args(argv);
            c
        }
        None => {
            let mut c = command(argv[0]);
            c.args(&argv[1..]);
            c
        }
    };
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"));
    assert!(
        out.status.success(),
        "{argv:?} (bwrap: {}): {} {}",
        bwrap.is_some(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    black_box(out);
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    #[expect(
        clippy::disallowed_methods,
        reason = "bench-only lookup of an external tool"
    )]
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// Points `AUTONOMIC_MUSCLE_JAIL` at the release `muscle-jail` when unset.
fn ensure_jail() {
    #[expect(
        clippy::disallowed_methods,
        reason = "the bench sets up the variable the library reads"
    )]
    let set =
        std::env::var_os(autonomic_core::env::AUTONOMIC_MUSCLE_JAIL).is_some_and(|v| !v.is_empty());
    if set {
        return;
    }
    let jail = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/muscle-jail");
    assert!(
        jail.is_file(),
        "`{}` is missing: run `cargo build --release -p agent-muscle` first, or set {}",
        jail.display(),
        autonomic_core::env::AUTONOMIC_MUSCLE_JAIL
    );
    // Set before criterion starts, while this process has one thread.
    std::env::set_var(autonomic_core::env::AUTONOMIC_MUSCLE_JAIL, &jail);
}

fn main() {
    ensure_jail();
    let bwrap = find_on_path("bwrap");
    if bwrap.is_none() {
        eprintln!(
            "exec bench: `bwrap` not found on PATH (Debian package `bubblewrap`); \
             skipping the bubblewrap rows"
        );
    }
    let ws = tempfile::tempdir().expect("create a workspace");

    let mut c = Criterion::default()
        .configure_from_args()
        .warm_up_time(Duration::from_millis(500));
    for (name, argv) in WORKLOADS {
        let heavy = *name != "true";
        let mut group = c.benchmark_group(format!("exec/{name}"));
        if heavy {
            group
                .sampling_mode(SamplingMode::Flat)
                .sample_size(15)
                .measurement_time(Duration::from_secs(6));
        } else {
            group
                .sample_size(40)
                .measurement_time(Duration::from_secs(5));
        }
        group.bench_function(BenchmarkId::from_parameter("bare_command"), |b| {
            b.iter(|| run_command(None, argv));
        });
        for level in [SandboxLevel::None, SandboxLevel::Seccomp] {
            let spec = spec(level, argv, ws.path());
            group.bench_function(BenchmarkId::from_parameter(level.to_string()), |b| {
                b.iter(|| run_ok(&spec));
            });
        }
        if let Some(bwrap) = &bwrap {
            group.bench_function(BenchmarkId::from_parameter("bwrap"), |b| {
                b.iter(|| run_command(Some(bwrap), argv));
            });
        }
        group.finish();
    }
    c.final_summary();
}
