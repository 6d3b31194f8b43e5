//! The guarded path's own overhead over the layers it composes (issue 12's
//! benchmark, target ≤ 1 ms): the same command
//!
//! - through the layers alone: agent-mouth's `Validator::validate`, the
//!   sandbox spec built from settings, agent-muscle's `exec::run`;
//! - through `Guard`: `assess` (validation + the program list + install
//!   reading + the audit of a rejection, none here) then `run` (the spec,
//!   the run, and the `muscle.exec` audit record, fsynced).
//!
//! At level `none` running `/bin/true`, so the sandbox's own cost (the same
//! on both sides) does not drown the difference. `guard/assess` and
//! `layers/validate` isolate the assessment.
//!
//! ```text
//! cargo bench -p agent-spine --bench guard
//! ```

use std::hint::black_box;

use agent_mouth::{Lang, UserRules, Validator};
use agent_spine::guard::Guard;
use agent_spine::sandbox::{self, SandboxOptions};
use autonomic_core::audit::Actor;
use autonomic_core::config::LoadedConfig;
use autonomic_core::paths::Paths;
use autonomic_core::SandboxLevel;
use criterion::Criterion;

const COMMAND: &str = "cargo test --workspace --locked && git status --short | head -20";

fn main() {
    let home = tempfile::tempdir().expect("tempdir");
    let paths = Paths::with_home(home.path().join("home"));
    let config = LoadedConfig::defaults(&paths).config;
    let ws = tempfile::tempdir().expect("tempdir");
    let opts = SandboxOptions {
        level: Some(SandboxLevel::None),
        workspace: Some(ws.path().to_path_buf()),
        ..SandboxOptions::default()
    };
    let mut guard = Guard::new(paths.clone(), config.clone(), Actor::Cli).expect("guard");
    let mut validator = Validator::new(UserRules::default());
    let argv_true: Vec<String> = ["bash", "-c", "/bin/true"].map(String::from).to_vec();
    let mut c = Criterion::default().configure_from_args();

    c.bench_function("layers/validate", |b| {
        b.iter(|| black_box(validator.validate(Lang::Bash, black_box(COMMAND))))
    });
    c.bench_function("guard/assess", |b| {
        b.iter(|| black_box(guard.assess(black_box(COMMAND), ws.path()).expect("assess")))
    });
    c.bench_function("layers/validate+build+run", |b| {
        b.iter(|| {
            black_box(validator.validate(Lang::Bash, "/bin/true"));
            let s = sandbox::build(&paths, &config, &argv_true, &opts).expect("spec");
            black_box(agent_muscle::exec::run(&s.spec).expect("run"))
        })
    });
    c.bench_function("guard/assess+run", |b| {
        b.iter(|| {
            let a = guard.assess("/bin/true", ws.path()).expect("assess");
            black_box(guard.run(&a, false, &opts).expect("run"))
        })
    });
    let assessed = guard.assess("/bin/true", ws.path()).expect("assess");
    c.bench_function("guard/run", |b| {
        b.iter(|| black_box(guard.run(&assessed, false, &opts).expect("run")))
    });
    let log = autonomic_core::audit::AuditLog::open(home.path().join("bench-audit.jsonl"))
        .expect("audit log");
    c.bench_function("audit/append", |b| {
        b.iter(|| {
            log.append(autonomic_core::audit::AuditEvent::new(
                autonomic_core::audit::Kind::MuscleExec,
                &Actor::Cli,
                None,
                serde_json::json!({"command": {"argv": ["bash", "-c", "/bin/true"]}, "exit": 0}),
            ))
            .expect("append")
        })
    });
    c.final_summary();
}
