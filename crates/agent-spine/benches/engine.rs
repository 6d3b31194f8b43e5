//! The workflow engine's own cost (issue 14's targets):
//!
//! - `engine/dag_10k_noop`: a 10,000-node DAG (100 layers of 100 exec
//!   nodes, each needing one node of the layer before) run to the end with
//!   a dispatcher that runs nothing — what is measured is scheduling,
//!   rendering, the journal (a real WAL file: two transitions per node and
//!   the events) and the bus. Target ≤ 1 s.
//! - `load/dag_10k`: reading and checking that workflow file (every check
//!   `autonomic workflow check` makes).
//! - `exec/spine` vs `exec/guard`: one exec node running `/bin/true` at
//!   level `none` through a whole workflow run, against the guarded path
//!   called directly (assess + run, which issue 12 measured against the
//!   layers). The difference is the spine's cost per exec node; target
//!   ≤ 1 ms.
//! - `exec/per_node` (printed): a chain of 20 exec nodes running `/bin/true`
//!   at level `none`, against 20 calls of the guarded path; the difference
//!   over 20 is the spine's cost per exec node without the run's fixed
//!   cost (journaling the run, auditing its start and end), which
//!   `exec/spine` − `exec/guard` includes. Median of 15 rounds each.
//! - `recovery/1000_paused` (printed, one shot): 1,000 runs paused at an
//!   approval journaled, then an engine started on the journal — time until
//!   it holds all 1,000, and the memory it took. Target ≤ 1 s.
//!
//! ```text
//! cargo bench -p agent-spine --bench engine
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use agent_muscle::exec::CancelHandle;
use agent_spine::guard::Guard;
use agent_spine::sandbox::SandboxOptions;
use agent_spine::workflow::bus::Bus;
use agent_spine::workflow::dispatch::{DispatchError, Dispatcher, ExecTask, TaskResult};
use agent_spine::workflow::engine::{Engine, EngineOptions, Scope};
use agent_spine::workflow::load;
use agent_spine::workflow::state::RunState;
use autonomic_core::audit::Actor;
use autonomic_core::config::{Config, LoadedConfig};
use autonomic_core::paths::Paths;
use autonomic_core::{Decision, SandboxLevel};
use criterion::Criterion;

/// Runs nothing: every task "exits 0".
struct Noop;

impl Dispatcher for Noop {
    fn dispatch(&self, _: &ExecTask, _: &CancelHandle) -> Result<TaskResult, DispatchError> {
        Ok(TaskResult::Ran {
            exit_code: 0,
            status: "exited with code 0".into(),
            stdout: String::new(),
            stderr: String::new(),
            level: SandboxLevel::None,
            violation: None,
            decision: Decision::Allow,
        })
    }
}

fn dag(layers: usize, width: usize) -> String {
    let mut s = String::from("[workflow]\nname = \"dag\"\nsandbox = \"none\"\n");
    for l in 0..layers {
        for w in 0..width {
            let _ = write!(
                s,
                "\n[[node]]\nid = \"n{l}-{w}\"\nkind = \"exec\"\ncommand = \"true\"\n"
            );
            if l > 0 {
                let _ = writeln!(s, "needs = [\"n{}-{}\"]", l - 1, w);
            }
        }
    }
    s
}

struct Setup {
    _dir: tempfile::TempDir,
    paths: Paths,
    config: Config,
    repo: std::path::PathBuf,
    wf_path: std::path::PathBuf,
}

fn setup(text: &str) -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let paths = Paths::with_home(dir.path().join("home"));
    let mut config = LoadedConfig::defaults(&paths).config;
    config.muscle.default_sandbox = SandboxLevel::None;
    config.spine.journal_path = dir.path().join("journal.sqlite3");
    let repo = dir.path().join("repo");
    fs_err::create_dir_all(&repo).expect("repo");
    let wf_path = dir.path().join("wf.toml");
    fs_err::write(&wf_path, text).expect("write");
    Setup {
        _dir: dir,
        paths,
        config,
        repo,
        wf_path,
    }
}

fn run_once(
    rt: &tokio::runtime::Runtime,
    s: &Setup,
    dispatcher: Option<Arc<dyn Dispatcher>>,
) -> Duration {
    let wf = load::load(&s.wf_path, &[]).expect("load");
    rt.block_on(async {
        let mut opts = EngineOptions::new(s.paths.clone(), s.config.clone(), Scope::Submitted);
        opts.dispatcher = dispatcher;
        let engine = Engine::start(opts, Bus::local()).expect("engine");
        let t = Instant::now();
        let id = engine
            .submit(wf, Some(s.repo.clone()), BTreeMap::new())
            .await
            .expect("submit");
        let state = engine.settled(&id).await;
        let took = t.elapsed();
        assert_eq!(state, RunState::Succeeded);
        engine.shutdown().await;
        took
    })
}

fn rss_kib() -> u64 {
    let statm = fs_err::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4
}

fn recovery(rt: &tokio::runtime::Runtime) {
    let mut text = String::from(
        "[workflow]\nname = \"paused\"\n\n[[node]]\nid = \"ok\"\nkind = \"approval\"\naction = \"deploy\"\n",
    );
    text.push_str(
        "\n[[node]]\nid = \"go\"\nkind = \"exec\"\nneeds = [\"ok\"]\ncommand = \"true\"\n",
    );
    let s = setup(&text);
    rt.block_on(async {
        let engine = Engine::start(
            EngineOptions::new(s.paths.clone(), s.config.clone(), Scope::Submitted),
            Bus::local(),
        )
        .expect("engine");
        for _ in 0..1000 {
            let wf = load::load(&s.wf_path, &[]).expect("load");
            let id = engine
                .submit(wf, Some(s.repo.clone()), BTreeMap::new())
                .await
                .expect("submit");
            assert_eq!(engine.settled(&id).await, RunState::WaitingApproval);
        }
        engine.shutdown().await;
        let before = rss_kib();
        let t = Instant::now();
        let engine = Engine::start(
            EngineOptions::new(s.paths.clone(), s.config.clone(), Scope::All),
            Bus::local(),
        )
        .expect("engine");
        let took = t.elapsed();
        let held = engine.snapshot().len();
        let after = rss_kib();
        println!(
            "recovery/1000_paused: {held} paused runs resumed in {:.1} ms; memory +{} KiB ({:.1} KiB per run)",
            took.as_secs_f64() * 1e3,
            after.saturating_sub(before),
            after.saturating_sub(before) as f64 / 1000.0
        );
        engine.shutdown().await;
    });
}

/// The spine's cost per exec node in a chain, over the guarded path.
fn per_node(rt: &tokio::runtime::Runtime) {
    const NODES: usize = 20;
    const ROUNDS: usize = 15;
    let mut text = String::from("[workflow]\nname = \"chain\"\nsandbox = \"none\"\n");
    for i in 0..NODES {
        let _ = write!(
            text,
            "\n[[node]]\nid = \"n{i}\"\nkind = \"exec\"\ncommand = \"true\"\n"
        );
        if i > 0 {
            let _ = writeln!(text, "needs = [\"n{}\"]", i - 1);
        }
    }
    let s = setup(&text);
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let _ = run_once(rt, &s, None);
    let spine = median(
        (0..ROUNDS)
            .map(|_| run_once(rt, &s, None).as_secs_f64())
            .collect(),
    );
    let mut guard = Guard::new(s.paths.clone(), s.config.clone(), Actor::Cli).expect("guard");
    let opts = SandboxOptions {
        level: Some(SandboxLevel::None),
        workspace: Some(s.repo.clone()),
        ..SandboxOptions::default()
    };
    let direct = median(
        (0..ROUNDS)
            .map(|_| {
                let t = Instant::now();
                for _ in 0..NODES {
                    let a = guard.assess("true", &s.repo).expect("assess");
                    guard.run(&a, false, &opts).expect("run");
                }
                t.elapsed().as_secs_f64()
            })
            .collect(),
    );
    println!(
        "exec/per_node: {NODES}-node chain {:.1} ms, {NODES} guarded calls {:.1} ms: the spine adds {:.2} ms per exec node",
        spine * 1e3,
        direct * 1e3,
        (spine - direct) * 1e3 / NODES as f64
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    recovery(&rt);
    per_node(&rt);
    let mut c = Criterion::default().configure_from_args().sample_size(10);

    let big = setup(&dag(100, 100));
    c.bench_function("load/dag_10k", |b| {
        b.iter(|| load::load(&big.wf_path, &[]).expect("load"))
    });
    c.bench_function("engine/dag_10k_noop", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| run_once(&rt, &big, Some(Arc::new(Noop))))
                .sum()
        })
    });

    let one = setup("[workflow]\nname = \"one\"\nsandbox = \"none\"\n\n[[node]]\nid = \"t\"\nkind = \"exec\"\ncommand = \"true\"\n");
    let mut c = c.sample_size(30);
    c.bench_function("exec/spine", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| run_once(&rt, &one, None)).sum())
    });
    let mut guard = Guard::new(one.paths.clone(), one.config.clone(), Actor::Cli).expect("guard");
    let opts = SandboxOptions {
        level: Some(SandboxLevel::None),
        workspace: Some(one.repo.clone()),
        ..SandboxOptions::default()
    };
    c.bench_function("exec/guard", |b| {
        b.iter(|| {
            let a = guard.assess("true", &one.repo).expect("assess");
            guard.run(&a, false, &opts).expect("run")
        })
    });
    c.final_summary();
}
