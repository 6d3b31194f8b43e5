//! Fuzzes agent-brain's two inputs from outside: the task text of
//! `route_task` (agent-written, turned into an FTS5 query) and archive
//! files given to `restore` (operator-supplied, possibly damaged).
//!
//! The first byte picks the mode. Task text: any UTF-8 string with a
//! budget from the second byte must give summaries within the budget (never
//! an SQL or FTS5 syntax error); facts of another project must never appear.
//! Archives: any bytes must restore cleanly or give `BrainError::Archive` /
//! `Io`, never a panic, and a failed restore must leave the store as it was.
#![no_main]

use std::sync::OnceLock;

use agent_brain::{Brain, BrainError, BrainSettings, NewFact, Scope, TaskContext};
use libfuzzer_sys::fuzz_target;

fn seeded(brain: &mut Brain) {
    let facts = [
        (Scope::Global, "global rule: never deploy on fridays"),
        (Scope::Project("p".into()), "project p builds with cargo build --release"),
        (Scope::Project("q".into()), "secret canary q7x of project q"),
        (
            Scope::Session { project: "p".into(), session: "s".into() },
            "session s of p uses the staging cluster",
        ),
    ];
    for (scope, text) in facts {
        brain.remember(&NewFact::new(scope, text)).expect("seed");
    }
}

fn dir() -> &'static std::path::Path {
    static DIR: OnceLock<std::path::PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("brain-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let mut brain = Brain::open_in_memory(BrainSettings::default()).expect("memory db");
    seeded(&mut brain);
    if mode % 2 == 0 {
        let Some((&budget, text)) = rest.split_first() else {
            return;
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return;
        };
        let budget = usize::from(budget).max(1);
        let routed = brain
            .route_task(&TaskContext::session("p", "s"), text, budget)
            .expect("any task text routes");
        assert!(routed.tokens_used <= budget);
        assert!(routed.summaries.iter().all(|s| !s.text.contains("q7x")));
    } else {
        let path = dir().join("input.jsonl.zst");
        std::fs::write(&path, rest).expect("write input");
        let before = brain.stats().expect("stats");
        match brain.restore(&path) {
            Ok(_) => {}
            Err(BrainError::Archive { .. } | BrainError::Io(_)) => {
                let after = brain.stats().expect("stats");
                assert_eq!(before.global, after.global);
                assert_eq!(before.project, after.project);
                assert_eq!(before.session, after.session);
            }
            Err(other) => panic!("unexpected error kind: {other}"),
        }
    }
});
