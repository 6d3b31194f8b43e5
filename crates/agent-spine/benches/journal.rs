//! Node transitions per second through the workflow journal: one
//! `set_node_state` (one `BEGIN IMMEDIATE` transaction: read the node,
//! update it, append its event, touch the run, commit) per iteration.
//!
//! - `journal/node_transition/file`: a journal file in WAL mode with
//!   `synchronous = NORMAL`, as the engine runs it (durable across `kill -9`
//!   of the process, not across a power loss: see the journal's module doc);
//! - `journal/node_transition/memory`: the same in memory, to show what the
//!   file costs;
//! - `journal/record/file`: a `record` of a layer's decision event.
//!
//! Throughput is in transitions (elements) per second.
//!
//! ```text
//! cargo bench -p agent-spine --bench journal
//! ```

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::PathBuf;

use agent_spine::workflow::event::EventKind;
use agent_spine::workflow::journal::{Journal, NewNode, NewRun};
use agent_spine::workflow::state::{NodeState, RunId};
use criterion::{Criterion, Throughput};

const NODES: usize = 16;

fn with_run(mut journal: Journal) -> (Journal, RunId) {
    let id = RunId::parse("wf-20260101-bench1").expect("run id");
    journal
        .create_run(&NewRun {
            id: id.clone(),
            workflow: "bench".to_owned(),
            file: PathBuf::from("bench.toml"),
            file_text: String::new(),
            file_sha256: "0".repeat(64),
            repo: PathBuf::from("."),
            project: "bench".to_owned(),
            vars: BTreeMap::new(),
            nodes: (0..NODES)
                .map(|n| NewNode {
                    id: format!("node-{n}"),
                    modifies_external_state: false,
                })
                .collect(),
        })
        .expect("create run");
    (journal, id)
}

fn bench_transitions(c: &mut Criterion, name: &str, journal: Journal) {
    let (mut journal, run) = with_run(journal);
    let names: Vec<String> = (0..NODES).map(|n| format!("node-{n}")).collect();
    let outputs = BTreeMap::from([("exit_code".to_owned(), "0".to_owned())]);
    let mut i = 0usize;
    let mut group = c.benchmark_group("journal/node_transition");
    group.throughput(Throughput::Elements(1));
    group.bench_function(name, |b| {
        b.iter(|| {
            let node = &names[i % NODES];
            let event = if (i / NODES) % 2 == 0 {
                journal.set_node_state(&run, node, NodeState::Running, "needs met", None)
            } else {
                journal.set_node_state(&run, node, NodeState::Succeeded, "exit 0", Some(&outputs))
            };
            i += 1;
            black_box(event.expect("transition"))
        })
    });
    group.finish();
}

fn main() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut c = Criterion::default().configure_from_args();

    let file = Journal::open(&dir.path().join("journal.db")).expect("journal");
    bench_transitions(&mut c, "file", file);
    bench_transitions(
        &mut c,
        "memory",
        Journal::open_in_memory().expect("journal"),
    );

    let (mut journal, run) =
        with_run(Journal::open(&dir.path().join("record.db")).expect("journal"));
    let data = serde_json::json!({ "layer": "mouth", "decision": "allow", "rule_ids": [], "summary": "cargo test" });
    let mut group = c.benchmark_group("journal/record");
    group.throughput(Throughput::Elements(1));
    group.bench_function("file", |b| {
        b.iter(|| {
            black_box(
                journal
                    .record(&run, Some("node-0"), EventKind::Decision, data.clone())
                    .expect("record"),
            )
        })
    });
    group.finish();
    c.final_summary();
}
