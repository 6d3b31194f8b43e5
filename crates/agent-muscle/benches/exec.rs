//! Spawn-to-exit of a task at each sandbox level, side by side (issue 4's
//! benchmark): `/bin/true` and a syscall-heavy loop (`dd` copying 200 000
//! single bytes: ~400 000 `read`/`write` calls) at level `none` and level
//! `seccomp` (both through [`agent_muscle::exec::run`]; `seccomp` with and
//! without the path watch), under bubblewrap (`bwrap --ro-bind / / --tmpfs
//! /tmp --proc /proc --dev /dev --unshare-all --die-with-parent`), and as a
//! bare `std::process::Command` with and without an allow-everything seccomp
//! filter (the kernel's own per-syscall cost of seccomp, for comparison).
//! Then the path watch's cost per intercepted call (`exec/path_watch`).
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
use std::time::{Duration, Instant};

use agent_muscle::exec::{run, ExecSpec, Exit, Isolation};
use autonomic_core::SandboxLevel;
use criterion::{BenchmarkId, Criterion, SamplingMode};

#[path = "../tests/common/test_policy.rs"]
mod test_policy;
use test_policy::test_policy;

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
    spec.isolation = match level {
        SandboxLevel::None => Isolation::None,
        SandboxLevel::Seccomp => Isolation::seccomp(test_policy()),
        SandboxLevel::Firecracker => panic!("benches/vm.rs measures the microVM level"),
    };
    spec.limits.wall = Duration::from_secs(30);
    spec
}

/// Turns the path watch on or off in a `seccomp` spec.
fn watch_paths(spec: &mut ExecSpec, watch: bool) {
    if let Isolation::Seccomp { options, .. } = &mut spec.isolation {
        options.watch_paths = watch;
    }
}

/// Runs `spec` and panics unless the task exited 0 (a benchmark of a failing
/// task would measure the wrong thing).
fn run_ok(spec: &ExecSpec) {
    let r = run(spec).unwrap_or_else(|e| panic!("{:?} at {}: {e}", spec.argv, spec.level()));
    assert_eq!(
        r.status,
        Exit::Code(0),
        "{:?} at {}: {}",
        spec.argv,
        spec.level(),
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
    let allow_all = allow_all_filter();

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
        group.bench_function(BenchmarkId::from_parameter("bare_allow_all_filter"), |b| {
            b.iter(|| run_filtered(&allow_all, argv));
        });
        for level in [SandboxLevel::None, SandboxLevel::Seccomp] {
            let spec = spec(level, argv, ws.path());
            group.bench_function(BenchmarkId::from_parameter(level.to_string()), |b| {
                b.iter(|| run_ok(&spec));
            });
        }
        let mut unwatched = spec(SandboxLevel::Seccomp, argv, ws.path());
        watch_paths(&mut unwatched, false);
        group.bench_function(BenchmarkId::from_parameter("seccomp_no_path_watch"), |b| {
            b.iter(|| run_ok(&unwatched));
        });
        if let Some(bwrap) = &bwrap {
            group.bench_function(BenchmarkId::from_parameter("bwrap"), |b| {
                b.iter(|| run_command(Some(bwrap), argv));
            });
        }
        group.finish();
    }
    c.final_summary();
    path_watch_cost(ws.path());
}

/// The cost of path notification per intercepted call: a python loop of
/// `os.stat('/')` (one watched `newfstatat` each) at two lengths, at level
/// `seccomp` with and without the path watch; the slope of the difference
/// is the cost per call, start-up cancels out.
fn path_watch_cost(ws: &Path) {
    const SHORT: u32 = 2_000;
    const LONG: u32 = 22_000;
    const RUNS: usize = 9;
    let median = |calls: u32, watch: bool| -> f64 {
        let script = format!("import os\nfor _ in range({calls}): os.stat('/')\n");
        let mut spec = spec(
            SandboxLevel::Seccomp,
            &["/usr/bin/python3", "-c", &script],
            ws,
        );
        watch_paths(&mut spec, watch);
        let mut times: Vec<f64> = (0..RUNS)
            .map(|_| {
                let start = Instant::now();
                run_ok(&spec);
                start.elapsed().as_secs_f64()
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[RUNS / 2]
    };
    let extra = |calls| median(calls, true) - median(calls, false);
    let (short, long) = (extra(SHORT), extra(LONG));
    let per_call = (long - short) / f64::from(LONG - SHORT);
    println!(
        "exec/path_watch: {:.1} µs per intercepted call (extra wall time {:.1} ms for {SHORT} calls, {:.1} ms for {LONG}; median of {RUNS} runs each)",
        per_call * 1e6,
        short * 1e3,
        long * 1e3
    );
}

/// Every syscall allowed (only the hard block list kills): the kernel's
/// own cost of running a task under seccomp, for comparison.
fn allow_all_filter() -> Vec<agent_muscle::bpf::SockFilter> {
    let allow = (0..=agent_muscle::bpf::MAX_NR)
        .filter_map(agent_muscle::bpf::syscall_name)
        .filter(|n| agent_muscle::bpf::never_allowed_reason(n).is_none())
        .map(str::to_owned)
        .collect();
    agent_muscle::bpf::compile(&agent_muscle::bpf::SyscallPolicy {
        allow,
        default_action: agent_muscle::bpf::Action::Allow,
        socket_domains: vec![libc::AF_UNIX, libc::AF_INET, libc::AF_INET6],
        refused_domains: vec![],
        refused_syscalls: vec![],
    })
    .expect("the allow-all policy compiles")
}

/// Like [`run_command`] without bwrap, with `filter` installed between fork
/// and exec.
fn run_filtered(filter: &[agent_muscle::bpf::SockFilter], argv: &[&str]) {
    use std::os::unix::process::CommandExt as _;
    let filter = filter.to_vec();
    let mut cmd = command(argv[0]);
    cmd.args(&argv[1..]).stdin(Stdio::null());
    // SAFETY: `install` allocates nothing and only calls prctl and seccomp;
    // `filter` is moved into the closure and outlives the call.
    unsafe {
        cmd.pre_exec(move || {
            agent_muscle::bpf::install(&filter)
                .map_err(|_| std::io::Error::from_raw_os_error(libc::EPERM))
        });
    }
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("spawn {argv:?}: {e}"));
    assert!(out.status.success(), "{argv:?} under the allow-all filter");
    black_box(out);
}
