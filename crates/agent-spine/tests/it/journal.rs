//! The workflow journal on real SQLite files: round trips of every method,
//! reopening, refusing files that are not journals (left byte-identical),
//! a reader and a second writer beside the engine's writer, the
//! append-only decision log, pruning, and random transition sequences.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use agent_spine::workflow::event::{EventKind, SCHEMA};
use agent_spine::workflow::journal::{
    DecisionOutcome, Journal, JournalError, NewDecision, NewNode, NewRequest, NewRun, RequestKind,
    RequestStatus, Verdict,
};
use agent_spine::workflow::state::{NodeState, RunId, RunState};
use autonomic_core::Hint as _;
use proptest::prelude::*;
use serde_json::json;
use time::{Duration, OffsetDateTime};

fn id(suffix: &str) -> RunId {
    RunId::parse(&format!("wf-20260101-{suffix}")).unwrap()
}

fn new_run(run: &RunId, nodes: &[(&str, bool)]) -> NewRun {
    NewRun {
        id: run.clone(),
        workflow: "deploy-frontend".to_owned(),
        file: PathBuf::from("/work/flows/deploy.toml"),
        file_text: "[workflow]\nname = \"deploy-frontend\"\n".to_owned(),
        file_sha256: "ab".repeat(32),
        repo: PathBuf::from("/work/repo"),
        project: "frontend".to_owned(),
        vars: BTreeMap::from([("env".to_owned(), "staging".to_owned())]),
        nodes: nodes
            .iter()
            .map(|(id, external)| NewNode {
                id: (*id).to_owned(),
                modifies_external_state: *external,
            })
            .collect(),
    }
}

fn outputs(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn request(run: &RunId, node: Option<&str>, kind: RequestKind) -> NewRequest {
    NewRequest {
        run: run.clone(),
        node: node.map(str::to_owned),
        kind,
        text: "Approve `git push origin main`? risk: high".to_owned(),
        fields: json!({ "workflow": "deploy-frontend", "risk": "high", "findings": [] }),
        expires_at: OffsetDateTime::now_utc() + Duration::minutes(30),
    }
}

fn decision(run: &RunId, request: Option<&str>, verdict: Verdict) -> NewDecision {
    NewDecision {
        run: run.clone(),
        request: request.map(str::to_owned),
        verdict,
        by: "alice".to_owned(),
        via: "cli".to_owned(),
        reason: Some("looks fine".to_owned()),
    }
}

fn truncated(t: OffsetDateTime) -> OffsetDateTime {
    t.replace_nanosecond(t.nanosecond() / 1_000_000 * 1_000_000)
        .unwrap()
}

#[test]
fn a_run_round_trips_with_its_nodes_and_started_event() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    let mut new = new_run(&run, &[("scan", false), ("push", true), ("notify", false)]);
    new.file = PathBuf::from(
        <std::ffi::OsString as std::os::unix::ffi::OsStringExt>::from_vec(
            b"/flows/\xffx.toml".to_vec(),
        ),
    );
    let before = truncated(OffsetDateTime::now_utc());
    let started = j.create_run(&new).unwrap();
    assert_eq!(started.seq, 1);
    assert_eq!(started.kind, EventKind::RunStarted);
    assert_eq!(started.schema, SCHEMA);
    assert_eq!(started.data["nodes"], json!(["scan", "push", "notify"]));
    assert_eq!(started.data["vars"], json!({ "env": "staging" }));

    let r = j.run(&run).unwrap().unwrap();
    assert_eq!(
        (
            &r.workflow,
            &r.file,
            &r.file_text,
            &r.file_sha256,
            &r.repo,
            &r.project,
            &r.vars
        ),
        (
            &new.workflow,
            &new.file,
            &new.file_text,
            &new.file_sha256,
            &new.repo,
            &new.project,
            &new.vars
        )
    );
    assert_eq!(r.state, RunState::Running);
    assert!(r.created_at >= before && r.updated_at == r.created_at);
    let nodes: Vec<_> = r
        .nodes
        .iter()
        .map(|n| (n.id.as_str(), n.state, n.attempt, n.modifies_external_state))
        .collect();
    assert_eq!(
        nodes,
        [
            ("scan", NodeState::Pending, 0, false),
            ("push", NodeState::Pending, 0, true),
            ("notify", NodeState::Pending, 0, false)
        ]
    );
    assert!(r.nodes.iter().all(|n| n.outputs.is_empty()));
    assert_eq!(j.events(Some(&run), 0, 10).unwrap(), [started]);
    assert_eq!(j.run(&id("zzzzzz")).unwrap(), None);
}

#[test]
fn a_duplicate_run_or_node_is_refused_and_nothing_is_journaled() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("a", false)])).unwrap();
    let err = j.create_run(&new_run(&run, &[("b", false)])).unwrap_err();
    assert!(matches!(err, JournalError::DuplicateRun { .. }), "{err}");
    assert!(err.to_string().contains(run.as_str()), "{err}");
    let other = id("bbbbbb");
    let err = j
        .create_run(&new_run(&other, &[("a", false), ("a", true)]))
        .unwrap_err();
    assert!(
        matches!(err, JournalError::DuplicateNode { ref node, .. } if node == "a"),
        "{err}"
    );
    assert_eq!(j.last_seq().unwrap(), 1);
    assert_eq!(j.run(&run).unwrap().unwrap().nodes.len(), 1);
    assert_eq!(j.run(&other).unwrap(), None);
}

#[test]
fn node_and_run_transitions_round_trip() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("build", false), ("push", true)]))
        .unwrap();

    let e = j
        .set_node_state(&run, "build", NodeState::Running, "needs met", None)
        .unwrap();
    assert_eq!(e.node.as_deref(), Some("build"));
    assert_eq!(
        e.data,
        json!({ "from": "pending", "to": "running", "why": "needs met", "attempt": 1 })
    );
    let out = outputs(&[("exit_code", "0"), ("stdout", "ok\n")]);
    let e = j
        .set_node_state(&run, "build", NodeState::Succeeded, "exit 0", Some(&out))
        .unwrap();
    assert_eq!(
        e.data["outputs"],
        json!({ "exit_code": "0", "stdout": "ok\n" })
    );
    assert_eq!(e.data["attempt"], 1);
    let r = j.run(&run).unwrap().unwrap();
    assert_eq!(
        (r.nodes[0].state, r.nodes[0].attempt, &r.nodes[0].why),
        (NodeState::Succeeded, 1, &"exit 0".to_owned())
    );
    assert_eq!(r.nodes[0].outputs, out);

    // Running again: attempt 2, outputs cleared until it succeeds again.
    j.set_node_state(&run, "build", NodeState::Running, "rerun", None)
        .unwrap();
    let r = j.run(&run).unwrap().unwrap();
    assert_eq!((r.nodes[0].attempt, r.nodes[0].outputs.len()), (2, 0));

    let e = j
        .set_run_state(&run, RunState::WaitingApproval, "push needs approval")
        .unwrap();
    assert_eq!(
        e.data,
        json!({ "from": "running", "to": "waiting_approval", "why": "push needs approval" })
    );
    assert_eq!(e.node, None);
    let r = j.run(&run).unwrap().unwrap();
    assert_eq!(
        (r.state, r.why.as_str()),
        (RunState::WaitingApproval, "push needs approval")
    );
    assert!(r.updated_at >= r.created_at);

    let all = j.events(Some(&run), 0, 100).unwrap();
    assert_eq!(all.len(), 5);
    assert_eq!(all.last().unwrap(), &e);
    assert_eq!(
        j.events(Some(&run), 2, 2)
            .unwrap()
            .iter()
            .map(|e| e.seq)
            .collect::<Vec<_>>(),
        [3, 4]
    );
    assert_eq!(j.last_seq().unwrap(), 5);
}

#[test]
fn transitions_of_unknown_runs_and_nodes_name_them() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("a", false)])).unwrap();
    let ghost = id("ghost1");
    let err = j.set_run_state(&ghost, RunState::Failed, "x").unwrap_err();
    assert!(
        matches!(err, JournalError::UnknownRun { .. })
            && err.to_string().contains("wf-20260101-ghost1"),
        "{err}"
    );
    assert!(err.hint().is_some());
    let err = j
        .set_node_state(&ghost, "a", NodeState::Running, "x", None)
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownRun { .. }), "{err}");
    let err = j
        .set_node_state(&run, "nope", NodeState::Running, "x", None)
        .unwrap_err();
    assert!(
        matches!(err, JournalError::UnknownNode { .. }) && err.to_string().contains("`nope`"),
        "{err}"
    );
    let err = j
        .record(&run, Some("nope"), EventKind::Progress, json!({}))
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownNode { .. }), "{err}");
    assert_eq!(j.last_seq().unwrap(), 1);
}

#[test]
fn record_journals_decisions_and_refuses_state_kinds() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("exec", false)])).unwrap();
    let data = json!({ "layer": "mouth", "decision": "deny", "rule_ids": ["bash.rm-rf"], "summary": "rm -rf /" });
    let e = j
        .record(&run, Some("exec"), EventKind::Decision, data.clone())
        .unwrap();
    assert_eq!((e.seq, e.kind, &e.data), (2, EventKind::Decision, &data));
    j.record(&run, None, EventKind::Notify, json!({ "message": "hi" }))
        .unwrap();
    for kind in [
        EventKind::RunStarted,
        EventKind::RunState,
        EventKind::NodeState,
        EventKind::ApprovalRequested,
        EventKind::ApprovalAnswered,
    ] {
        let err = j
            .record(&run, Some("exec"), kind, json!({ "to": "succeeded" }))
            .unwrap_err();
        assert!(
            matches!(err, JournalError::StateKind { .. }),
            "{kind:?}: {err}"
        );
    }
    assert_eq!(
        j.run(&run).unwrap().unwrap().nodes[0].state,
        NodeState::Pending
    );
    assert_eq!(j.events(None, 0, 100).unwrap().len(), 3);
}

#[test]
fn runs_lists_newest_first_and_unfinished_oldest_first() {
    let mut j = Journal::open_in_memory().unwrap();
    let ids = [id("aaaaa1"), id("aaaaa2"), id("aaaaa3"), id("aaaaa4")];
    for run in &ids {
        j.create_run(&new_run(run, &[("a", false)])).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(3));
    }
    j.set_run_state(&ids[1], RunState::Succeeded, "done")
        .unwrap();
    j.set_run_state(&ids[2], RunState::SecurityHold, "critical finding")
        .unwrap();
    let all: Vec<_> = j
        .runs(None, 10)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(
        all,
        [
            ids[3].clone(),
            ids[2].clone(),
            ids[1].clone(),
            ids[0].clone()
        ]
    );
    assert_eq!(j.runs(None, 2).unwrap().len(), 2);
    let paused = j
        .runs(
            Some(&[RunState::SecurityHold, RunState::WaitingApproval]),
            10,
        )
        .unwrap();
    assert_eq!(paused.len(), 1);
    assert_eq!(
        (&paused[0].id, paused[0].state, paused[0].why.as_str()),
        (&ids[2], RunState::SecurityHold, "critical finding")
    );
    assert!(j.runs(Some(&[]), 10).unwrap().is_empty());
    assert_eq!(
        j.unfinished_runs().unwrap(),
        [ids[0].clone(), ids[2].clone(), ids[3].clone()]
    );
}

#[test]
fn requests_open_supersede_and_close() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    let other = id("bbbbbb");
    j.create_run(&new_run(&run, &[("approve", false), ("push", true)]))
        .unwrap();
    j.create_run(&new_run(&other, &[("approve", false)]))
        .unwrap();

    let new = request(&run, Some("approve"), RequestKind::Node);
    let (first, event) = j.open_request(&new).unwrap();
    assert!(
        first.id.starts_with("ap-") && first.id.len() == 9,
        "{}",
        first.id
    );
    assert!(first.id[3..]
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
    assert_eq!(
        (first.status, first.kind, &first.text, &first.fields),
        (
            RequestStatus::Open,
            RequestKind::Node,
            &new.text,
            &new.fields
        )
    );
    assert_eq!(first.expires_at, truncated(new.expires_at));
    assert_eq!(event.kind, EventKind::ApprovalRequested);
    assert_eq!(event.data["request"], first.id.as_str());
    assert_eq!(event.data["text"], new.text.as_str());
    assert_eq!(event.data["fields"], new.fields);
    assert!(event.data["expires_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(j.request(&first.id).unwrap().unwrap(), first);

    // Another kind on the same node, and the other run, are not superseded.
    let (hold, _) = j
        .open_request(&request(&run, None, RequestKind::SecurityHold))
        .unwrap();
    let (elsewhere, _) = j
        .open_request(&request(&other, Some("approve"), RequestKind::Node))
        .unwrap();
    let (second, event) = j.open_request(&new).unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(event.data["superseded"], json!([first.id]));
    assert_eq!(
        j.request(&first.id).unwrap().unwrap().status,
        RequestStatus::Superseded
    );
    let open: Vec<_> = j
        .open_requests(Some(&run))
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(open, [hold.id.clone(), second.id.clone()]);
    assert_eq!(j.open_requests(None).unwrap().len(), 3);
    // A security-hold request (no node) is superseded by the next one too.
    let (hold2, _) = j
        .open_request(&request(&run, None, RequestKind::SecurityHold))
        .unwrap();
    assert_eq!(
        j.request(&hold.id).unwrap().unwrap().status,
        RequestStatus::Superseded
    );

    j.close_request(&hold2.id, RequestStatus::Closed).unwrap();
    assert_eq!(
        j.request(&hold2.id).unwrap().unwrap().status,
        RequestStatus::Closed
    );
    assert_eq!(j.open_requests(Some(&other)).unwrap()[0].id, elsewhere.id);
    let err = j
        .close_request("ap-nope00", RequestStatus::Closed)
        .unwrap_err();
    assert!(
        matches!(err, JournalError::UnknownRequest { .. }) && err.to_string().contains("ap-nope00"),
        "{err}"
    );
    let err = j
        .open_request(&request(&run, Some("ghost"), RequestKind::Node))
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownNode { .. }), "{err}");
    assert_eq!(j.request("ap-nope00").unwrap(), None);
}

#[test]
fn decisions_are_append_only_and_settled_once() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    let other = id("bbbbbb");
    j.create_run(&new_run(&run, &[("approve", false)])).unwrap();
    j.create_run(&new_run(&other, &[("approve", false)]))
        .unwrap();
    let (req, _) = j
        .open_request(&request(&run, Some("approve"), RequestKind::Node))
        .unwrap();

    let first = j
        .append_decision(&decision(&run, Some(&req.id), Verdict::Approve))
        .unwrap();
    let second = j
        .append_decision(&decision(&run, Some(&req.id), Verdict::Reject))
        .unwrap();
    let cancel = j
        .append_decision(&decision(&run, None, Verdict::Cancel))
        .unwrap();
    assert!(first < second && second < cancel);
    let pending = j.pending_decisions().unwrap();
    assert_eq!(
        pending.iter().map(|d| d.seq).collect::<Vec<_>>(),
        [first, second, cancel]
    );
    assert_eq!(
        (
            pending[0].verdict,
            pending[0].by.as_str(),
            pending[0].via.as_str()
        ),
        (Verdict::Approve, "alice", "cli")
    );
    assert_eq!(pending[2].request, None);
    assert!(pending.iter().all(|d| d.outcome.is_none()));

    let e = j
        .settle_decision(first, &DecisionOutcome::Accepted)
        .unwrap();
    assert_eq!(e.kind, EventKind::ApprovalAnswered);
    assert_eq!(e.node.as_deref(), Some("approve"));
    assert_eq!(
        (
            &e.data["request"],
            &e.data["decision"],
            &e.data["accepted"],
            &e.data["by"],
            &e.data["via"]
        ),
        (
            &json!(req.id),
            &json!("approve"),
            &json!(true),
            &json!("alice"),
            &json!("cli")
        )
    );
    assert_eq!(
        j.request(&req.id).unwrap().unwrap().status,
        RequestStatus::Answered
    );
    // The second answer loses: refused, and the first stays accepted.
    let e = j
        .settle_decision(
            second,
            &DecisionOutcome::Refused("already decided".to_owned()),
        )
        .unwrap();
    assert_eq!(
        (&e.data["accepted"], &e.data["why"]),
        (&json!(false), &json!("already decided"))
    );
    let err = j
        .settle_decision(first, &DecisionOutcome::Refused("late".to_owned()))
        .unwrap_err();
    assert!(
        matches!(err, JournalError::AlreadySettled { seq, .. } if seq == first),
        "{err}"
    );
    let err = j
        .settle_decision(second, &DecisionOutcome::Accepted)
        .unwrap_err();
    assert!(matches!(err, JournalError::AlreadySettled { .. }), "{err}");
    let err = j
        .settle_decision(999, &DecisionOutcome::Accepted)
        .unwrap_err();
    assert!(
        matches!(err, JournalError::UnknownDecision { seq: 999, .. }),
        "{err}"
    );

    let all = j.decisions(&run).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].outcome, Some(DecisionOutcome::Accepted));
    assert_eq!(
        all[1].outcome,
        Some(DecisionOutcome::Refused("already decided".to_owned()))
    );
    assert_eq!(all[1].verdict, Verdict::Reject);
    assert_eq!(all[0].reason.as_deref(), Some("looks fine"));
    assert_eq!(
        j.pending_decisions()
            .unwrap()
            .iter()
            .map(|d| d.seq)
            .collect::<Vec<_>>(),
        [cancel]
    );

    let err = j
        .append_decision(&decision(&id("ghost1"), None, Verdict::Cancel))
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownRun { .. }), "{err}");
    let err = j
        .append_decision(&decision(&run, Some("ap-nope00"), Verdict::Approve))
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownRequest { .. }), "{err}");
    let err = j
        .append_decision(&decision(&other, Some(&req.id), Verdict::Approve))
        .unwrap_err();
    assert!(
        matches!(err, JournalError::RequestOfAnotherRun { .. }),
        "{err}"
    );
    assert!(j.decisions(&other).unwrap().is_empty());
}

#[test]
fn a_settled_decision_cannot_be_rewritten_even_with_raw_sql() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut j = Journal::open(&path).unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("a", false)])).unwrap();
    let seq = j
        .append_decision(&decision(&run, None, Verdict::Cancel))
        .unwrap();
    j.settle_decision(seq, &DecisionOutcome::Refused("run not paused".to_owned()))
        .unwrap();

    let raw = rusqlite::Connection::open(&path).unwrap();
    for attack in [
        "UPDATE decisions SET outcome = 'accepted', outcome_why = 'accepted'",
        "UPDATE decisions SET verdict = 'approve'",
        "DELETE FROM decisions",
    ] {
        let err = raw.execute(attack, []).unwrap_err();
        assert!(err.to_string().contains("decisions"), "{attack}: {err}");
    }
    // Before settlement only the outcome may be set, nothing else.
    let pending = j
        .append_decision(&decision(&run, None, Verdict::Cancel))
        .unwrap();
    let err = raw
        .execute(
            "UPDATE decisions SET by_whom = 'mallory' WHERE seq = ?1",
            [pending as i64],
        )
        .unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    let kept = j.decisions(&run).unwrap();
    assert_eq!(
        kept[0].outcome,
        Some(DecisionOutcome::Refused("run not paused".to_owned()))
    );
    assert_eq!(
        (kept[1].by.as_str(), kept[1].outcome.clone()),
        ("alice", None)
    );
}

#[test]
fn task_results_keep_their_first_value() {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("aaaaaa");
    j.create_run(&new_run(&run, &[("exec", false)])).unwrap();
    assert_eq!(j.task_result("k1").unwrap(), None);
    let result = json!({ "exit_code": 0, "stdout": "ok" });
    j.store_task_result("k1", &run, "exec", &result).unwrap();
    assert_eq!(j.task_result("k1").unwrap(), Some(result.clone()));
    j.store_task_result("k1", &run, "exec", &result).unwrap();
    let err = j
        .store_task_result("k1", &run, "exec", &json!({ "exit_code": 1 }))
        .unwrap_err();
    assert!(
        matches!(err, JournalError::TaskResultConflict { ref key, .. } if key == "k1"),
        "{err}"
    );
    assert_eq!(j.task_result("k1").unwrap(), Some(result));
    let err = j
        .store_task_result("k2", &run, "ghost", &json!(1))
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownNode { .. }), "{err}");
    assert_eq!(j.task_result("k2").unwrap(), None);
}

/// One finished run with a node event, a request, a decision and a task result.
fn finished_run(j: &mut Journal, run: &RunId, state: RunState) {
    j.create_run(&new_run(run, &[("a", false)])).unwrap();
    j.set_node_state(run, "a", NodeState::Running, "go", None)
        .unwrap();
    let (req, _) = j
        .open_request(&request(run, Some("a"), RequestKind::Node))
        .unwrap();
    let seq = j
        .append_decision(&decision(run, Some(&req.id), Verdict::Approve))
        .unwrap();
    j.settle_decision(seq, &DecisionOutcome::Accepted).unwrap();
    j.store_task_result(&format!("key-{run}"), run, "a", &json!(0))
        .unwrap();
    j.set_run_state(run, state, "end").unwrap();
}

#[test]
fn prune_removes_only_old_finished_runs_and_never_reuses_seq() {
    let mut j = Journal::open_in_memory().unwrap();
    let old_done = id("old001");
    let old_failed = id("old002");
    let old_paused = id("old003");
    j.create_run(&new_run(&old_paused, &[("a", false)]))
        .unwrap();
    j.set_run_state(&old_paused, RunState::WaitingApproval, "approval")
        .unwrap();
    let (paused_req, _) = j
        .open_request(&request(&old_paused, Some("a"), RequestKind::Node))
        .unwrap();
    let paused_decision = j
        .append_decision(&decision(&old_paused, None, Verdict::Cancel))
        .unwrap();
    finished_run(&mut j, &old_done, RunState::Succeeded);
    finished_run(&mut j, &old_failed, RunState::Failed);
    std::thread::sleep(std::time::Duration::from_millis(5));
    let cutoff = OffsetDateTime::now_utc();
    std::thread::sleep(std::time::Duration::from_millis(5));
    let recent = id("new001");
    finished_run(&mut j, &recent, RunState::Cancelled);
    let last = j.last_seq().unwrap();

    assert_eq!(j.prune_finished(cutoff).unwrap(), 2);
    for gone in [&old_done, &old_failed] {
        assert_eq!(j.run(gone).unwrap(), None);
        assert!(j.events(Some(gone), 0, 100).unwrap().is_empty());
        assert!(j.decisions(gone).unwrap().is_empty());
        assert_eq!(j.task_result(&format!("key-{gone}")).unwrap(), None);
    }
    assert!(j
        .open_requests(None)
        .unwrap()
        .iter()
        .all(|r| r.run != old_done));
    assert_eq!(
        j.run(&old_paused).unwrap().unwrap().state,
        RunState::WaitingApproval
    );
    assert_eq!(
        j.request(&paused_req.id).unwrap().unwrap().status,
        RequestStatus::Open
    );
    assert_eq!(j.pending_decisions().unwrap()[0].seq, paused_decision);
    assert!(j.run(&recent).unwrap().is_some());
    assert_eq!(
        j.task_result(&format!("key-{recent}")).unwrap(),
        Some(json!(0))
    );
    assert_eq!(j.events(Some(&recent), 0, 100).unwrap().len(), 5);
    j.check_integrity().unwrap();

    assert_eq!(j.last_seq().unwrap(), last);
    assert_eq!(j.prune_finished(cutoff).unwrap(), 0);
    // Everything finished, far in the future: the paused run still stays.
    assert_eq!(
        j.prune_finished(OffsetDateTime::now_utc() + Duration::days(1))
            .unwrap(),
        1
    );
    assert_eq!(
        j.unfinished_runs().unwrap(),
        std::slice::from_ref(&old_paused)
    );
    let e = j
        .record(&old_paused, None, EventKind::Progress, json!({}))
        .unwrap();
    assert_eq!(e.seq, last + 1, "a pruned event's seq is never reused");
}

#[test]
fn reopening_keeps_everything_and_the_file_is_private() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state/spine/journal.db");
    let run = id("aaaaaa");
    let (events, req, seq) = {
        let mut j = Journal::open(&path).unwrap();
        assert_eq!(j.path(), path);
        j.create_run(&new_run(&run, &[("a", false), ("b", true)]))
            .unwrap();
        j.set_node_state(&run, "a", NodeState::Running, "go", None)
            .unwrap();
        j.set_node_state(
            &run,
            "a",
            NodeState::Succeeded,
            "ok",
            Some(&outputs(&[("x", "1")])),
        )
        .unwrap();
        j.set_run_state(&run, RunState::WaitingApproval, "b")
            .unwrap();
        let (req, _) = j
            .open_request(&request(&run, Some("b"), RequestKind::Node))
            .unwrap();
        let seq = j
            .append_decision(&decision(&run, Some(&req.id), Verdict::Approve))
            .unwrap();
        j.store_task_result("k", &run, "a", &json!({ "exit": 0 }))
            .unwrap();
        let events = j.events(None, 0, 100).unwrap();
        // Not even closed: a process killed keeps what it committed.
        std::mem::forget(j);
        (events, req, seq)
    };
    let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&dir.path().join("state/spine")), 0o700);
    assert_eq!(mode(&dir.path().join("state")), 0o700);

    for j in [
        Journal::open_read_only(&path).unwrap(),
        Journal::open(&path).unwrap(),
    ] {
        assert_eq!(j.events(None, 0, 100).unwrap(), events);
        let r = j.run(&run).unwrap().unwrap();
        assert_eq!(
            (r.state, r.nodes[0].state, &r.nodes[0].outputs),
            (
                RunState::WaitingApproval,
                NodeState::Succeeded,
                &outputs(&[("x", "1")])
            )
        );
        assert_eq!(j.request(&req.id).unwrap().unwrap(), req);
        assert_eq!(j.pending_decisions().unwrap()[0].seq, seq);
        assert_eq!(j.task_result("k").unwrap(), Some(json!({ "exit": 0 })));
        assert_eq!(j.unfinished_runs().unwrap(), std::slice::from_ref(&run));
        j.check_integrity().unwrap();
    }
}

#[test]
fn read_only_journals_refuse_writes_and_missing_files_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let err = Journal::open_read_only(&path).unwrap_err();
    assert!(
        matches!(err, JournalError::Missing { .. }) && err.to_string().contains("journal.db"),
        "{err}"
    );
    assert!(err.hint().is_some());
    assert!(!path.exists(), "a read-only open never creates the file");
    Journal::open(&path).unwrap();
    let mut ro = Journal::open_read_only(&path).unwrap();
    let err = ro.create_run(&new_run(&id("aaaaaa"), &[])).unwrap_err();
    assert!(matches!(err, JournalError::ReadOnly { .. }), "{err}");
}

/// Asserts that `open` and `open_read_only` refuse `path` with `expected`
/// and leave it byte-identical.
fn assert_refused(path: &Path, expected: fn(&JournalError) -> bool) {
    let before = fs_err::read(path).unwrap();
    for err in [
        Journal::open(path).unwrap_err(),
        Journal::open_read_only(path).unwrap_err(),
    ] {
        assert!(expected(&err), "{}: {err:?}", path.display());
        assert!(
            err.to_string().contains(&path.display().to_string()),
            "{err}"
        );
        assert!(err.hint().is_some(), "{err}");
    }
    assert_eq!(
        fs_err::read(path).unwrap(),
        before,
        "{} was modified",
        path.display()
    );
}

#[test]
fn files_that_are_not_journals_are_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();

    let brain = dir.path().join("brain.db");
    drop(agent_brain::Brain::open(&brain, agent_brain::BrainSettings::default()).unwrap());
    assert_refused(
        &brain,
        |e| matches!(e, JournalError::Foreign { reason, .. } if reason.contains("0x41425231")),
    );

    let plain = dir.path().join("plain.db");
    let conn = rusqlite::Connection::open(&plain).unwrap();
    conn.execute_batch("CREATE TABLE runs (id TEXT); INSERT INTO runs VALUES ('mine');")
        .unwrap();
    drop(conn);
    assert_refused(&plain, |e| matches!(e, JournalError::Foreign { .. }));

    let garbage = dir.path().join("garbage.db");
    fs_err::write(
        &garbage,
        b"this is not a database, it is a note\n".repeat(200),
    )
    .unwrap();
    assert_refused(&garbage, |e| matches!(e, JournalError::NotADatabase { .. }));

    let newer = dir.path().join("newer.db");
    drop(Journal::open(&newer).unwrap());
    let conn = rusqlite::Connection::open(&newer).unwrap();
    conn.execute_batch("PRAGMA user_version = 99; PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    drop(conn);
    assert_refused(&newer, |e| {
        matches!(e, JournalError::TooNew { found: 99, .. })
    });
}

#[test]
fn a_corrupt_journal_is_reported_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    {
        let mut j = Journal::open(&path).unwrap();
        for n in 0..20 {
            let run = id(&format!("run{n:03}"));
            j.create_run(&new_run(&run, &[("a", false)])).unwrap();
        }
    }
    // Closing checkpointed the WAL into the file; now damage the schema page.
    let mut bytes = fs_err::read(&path).unwrap();
    assert!(bytes.len() > 4096);
    for b in &mut bytes[100..4096] {
        *b = 0xA5;
    }
    fs_err::write(&path, &bytes).unwrap();
    assert_refused(&path, |e| {
        matches!(
            e,
            JournalError::Corrupt { .. } | JournalError::NotADatabase { .. }
        )
    });

    // Damage past the schema page: opening works, the check finds it.
    let path = dir.path().join("journal2.db");
    {
        let mut j = Journal::open(&path).unwrap();
        for n in 0..200 {
            let run = id(&format!("run{n:03}"));
            j.create_run(&new_run(&run, &[("a", false), ("b", false)]))
                .unwrap();
        }
    }
    let mut bytes = fs_err::read(&path).unwrap();
    let page = bytes.len() / 4096 / 2 * 4096;
    for b in &mut bytes[page..page + 4096] {
        *b = 0x5A;
    }
    fs_err::write(&path, &bytes).unwrap();
    let j = Journal::open_read_only(&path).unwrap();
    let err = j.check_integrity().unwrap_err();
    assert!(
        matches!(err, JournalError::Corrupt { .. }) && err.to_string().contains("journal2.db"),
        "{err}"
    );
    drop(j);
    assert_eq!(fs_err::read(&path).unwrap(), bytes);
}

#[test]
fn a_reader_and_a_second_writer_work_beside_the_engine() {
    const TRANSITIONS: usize = 400;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let run = id("aaaaaa");
    let mut engine = Journal::open(&path).unwrap();
    engine
        .create_run(&new_run(&run, &[("a", false), ("b", false)]))
        .unwrap();

    let writer = std::thread::spawn({
        let run = run.clone();
        move || {
            for i in 0..TRANSITIONS {
                let node = if i % 2 == 0 { "a" } else { "b" };
                let to = if i % 4 < 2 {
                    NodeState::Running
                } else {
                    NodeState::Succeeded
                };
                engine.set_node_state(&run, node, to, "step", None).unwrap();
            }
            engine
        }
    });
    let cli = std::thread::spawn({
        let (path, run) = (path.clone(), run.clone());
        move || {
            let mut cli = Journal::open(&path).unwrap();
            (0..50)
                .map(|_| {
                    cli.append_decision(&decision(&run, None, Verdict::Cancel))
                        .unwrap()
                })
                .collect::<Vec<_>>()
        }
    });
    let reader = Journal::open_read_only(&path).unwrap();
    let mut seen = 0;
    let mut reads = 0;
    while seen < TRANSITIONS + 1 {
        let events = reader.events(Some(&run), 0, usize::MAX).unwrap();
        assert!(events.len() >= seen, "a reader saw events disappear");
        let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (1..=events.len() as u64).collect::<Vec<_>>(),
            "gaps or reordering"
        );
        let r = reader.run(&run).unwrap().unwrap();
        assert_eq!(r.nodes.len(), 2);
        seen = events.len();
        reads += 1;
    }
    let engine = writer.join().unwrap();
    let decisions = cli.join().unwrap();
    assert!(reads > 1, "the reader only read once");
    assert_eq!(decisions.len(), 50);
    assert_eq!(engine.pending_decisions().unwrap().len(), 50);
    let r = engine.run(&run).unwrap().unwrap();
    assert_eq!(r.nodes[0].attempt as usize, TRANSITIONS / 4);
    engine.check_integrity().unwrap();
}

/// Group commit: a batch's writes are one transaction — invisible to
/// other connections until it commits, gone when the process dies first —
/// and a method that fails inside it undoes only its own writes.
#[test]
fn a_batch_commits_all_or_nothing_and_a_failing_method_undoes_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let run = id("batch1");
    let mut j = Journal::open(&path).unwrap();
    j.create_run(&new_run(&run, &[("a", false), ("b", false)]))
        .unwrap();
    let reader = Journal::open_read_only(&path).unwrap();
    let before = reader.events(Some(&run), 0, 100).unwrap().len();

    j.begin_batch().unwrap();
    assert!(j.in_batch());
    assert!(matches!(j.begin_batch(), Err(JournalError::Batch { .. })));
    j.set_node_state(&run, "a", NodeState::Running, "go", None)
        .unwrap();
    // Fails inside the batch (unknown node): nothing of it is kept, the
    // batch goes on.
    let err = j
        .set_node_state(&run, "nope", NodeState::Running, "go", None)
        .unwrap_err();
    assert!(matches!(err, JournalError::UnknownNode { .. }), "{err}");
    j.record(&run, Some("a"), EventKind::Progress, json!({"n": 1}))
        .unwrap();
    // Not visible elsewhere before the commit.
    assert_eq!(reader.events(Some(&run), 0, 100).unwrap().len(), before);
    let r = reader.run(&run).unwrap().unwrap();
    assert_eq!(r.nodes[0].state, NodeState::Pending);
    j.commit_batch().unwrap();
    assert!(!j.in_batch());
    assert!(matches!(j.commit_batch(), Err(JournalError::Batch { .. })));
    let events = reader.events(Some(&run), 0, 100).unwrap();
    assert_eq!(events.len(), before + 2);
    assert_eq!(
        reader.run(&run).unwrap().unwrap().nodes[0].state,
        NodeState::Running
    );

    // A batch never committed (the process died) is gone entirely.
    j.begin_batch().unwrap();
    j.set_node_state(&run, "a", NodeState::Succeeded, "done", None)
        .unwrap();
    j.set_node_state(&run, "b", NodeState::Running, "go", None)
        .unwrap();
    drop(j);
    let j = Journal::open(&path).unwrap();
    let r = j.run(&run).unwrap().unwrap();
    assert_eq!(r.nodes[0].state, NodeState::Running);
    assert_eq!(r.nodes[1].state, NodeState::Pending);
    assert_eq!(j.events(Some(&run), 0, 100).unwrap().len(), before + 2);
    j.check_integrity().unwrap();
}

#[derive(Debug, Clone)]
enum Op {
    Node(usize, usize, bool),
    Run(usize),
    Record(Option<usize>),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..3usize, 0..NodeState::ALL.len(), any::<bool>()).prop_map(|(n, s, o)| Op::Node(n, s, o)),
        1 => (0..RunState::ALL.len()).prop_map(Op::Run),
        1 => proptest::option::of(0..3usize).prop_map(Op::Record),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_transitions_keep_seq_increasing_and_run_matching_the_last_events(ops in proptest::collection::vec(op(), 1..40)) {
        const NODES: [&str; 3] = ["a", "b", "c"];
        let mut j = Journal::open_in_memory().unwrap();
        let run = id("prop01");
        j.create_run(&new_run(&run, &[("a", false), ("b", true), ("c", false)])).unwrap();
        let mut returned = Vec::new();
        for op in &ops {
            let event = match *op {
                Op::Node(n, s, with) => {
                    let out = outputs(&[("n", &returned.len().to_string())]);
                    j.set_node_state(&run, NODES[n], NodeState::ALL[s], "p", with.then_some(&out)).unwrap()
                }
                Op::Run(s) => j.set_run_state(&run, RunState::ALL[s], "p").unwrap(),
                Op::Record(n) => j.record(&run, n.map(|n| NODES[n]), EventKind::Progress, json!({ "i": returned.len() })).unwrap(),
            };
            returned.push(event);
        }
        let events = j.events(Some(&run), 0, usize::MAX).unwrap();
        prop_assert!(events.windows(2).all(|w| w[0].seq < w[1].seq));
        prop_assert_eq!(&events[1..], &returned[..]);
        let r = j.run(&run).unwrap().unwrap();
        let last_run = events.iter().rev().find(|e| e.kind == EventKind::RunState);
        prop_assert_eq!(r.state.as_str(), last_run.map_or("running", |e| e.data["to"].as_str().unwrap()));
        for node in &r.nodes {
            let mine: Vec<_> = events.iter().filter(|e| e.kind == EventKind::NodeState && e.node.as_deref() == Some(&node.id)).collect();
            let runs = mine.iter().filter(|e| e.data["to"] == "running").count();
            prop_assert_eq!(node.attempt as usize, runs);
            match mine.last() {
                None => prop_assert_eq!(node.state, NodeState::Pending),
                Some(last) => {
                    prop_assert_eq!(node.state.as_str(), last.data["to"].as_str().unwrap());
                    prop_assert_eq!(u64::from(node.attempt), last.data["attempt"].as_u64().unwrap());
                }
            }
            // Outputs: the last ones given since the node last started running.
            let since = mine.iter().rposition(|e| e.data["to"] == "running").map_or(0, |i| i);
            let expected = mine[since..].iter().rev().find_map(|e| e.data.get("outputs")).cloned().unwrap_or(json!({}));
            prop_assert_eq!(json!(node.outputs), expected);
        }
    }
}

/// A journal with one run waiting on one open request.
fn waiting() -> (Journal, RunId, String) {
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("cccccc");
    j.create_run(&new_run(&run, &[("approve", false)])).unwrap();
    let (req, _) = j
        .open_request(&request(&run, Some("approve"), RequestKind::Node))
        .unwrap();
    (j, run, req.id)
}

#[test]
fn a_channel_delivery_is_taken_once_and_ignored_ones_are_remembered() {
    use agent_spine::workflow::control::{answer_delivered, ChannelAnswer, ChannelOutcome};
    let (mut j, run, req) = waiting();
    let approvers = vec!["U01APPROVER".to_owned()];
    let answer = |delivery: &'static str, user: &'static str, is_bot: bool| ChannelAnswer {
        channel: "slack",
        delivery,
        user,
        is_bot,
        run: run.clone(),
        request: None,
        verdict: Verdict::Approve,
        context: Some("button".into()),
    };
    // Someone else, then a bot (even one named as an approver): ignored,
    // nothing appended, each recorded so a redelivery is recognised.
    for (delivery, user, bot, why) in [
        ("env-1", "U02STRANGER", false, "is not an approver"),
        ("env-2", "U01APPROVER", true, "bot"),
    ] {
        match answer_delivered(&mut j, &answer(delivery, user, bot), &approvers).unwrap() {
            ChannelOutcome::Ignored { why: w } => assert!(w.contains(why), "{w}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            answer_delivered(&mut j, &answer(delivery, user, bot), &approvers).unwrap(),
            ChannelOutcome::Duplicate { seq: None }
        );
    }
    assert!(j.decisions(&run).unwrap().is_empty());
    // No approvers configured: nobody counts, not even a listed-looking id.
    match answer_delivered(&mut j, &answer("env-3", "U01APPROVER", false), &[]).unwrap() {
        ChannelOutcome::Ignored { why } => assert!(why.contains("no approvers"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The approver: appended once; the redelivery is the same decision.
    let seq = match answer_delivered(&mut j, &answer("env-4", "U01APPROVER", false), &approvers)
        .unwrap()
    {
        ChannelOutcome::Journaled { seq, request } => {
            assert_eq!(request.unwrap().id, req);
            seq
        }
        other => panic!("{other:?}"),
    };
    for _ in 0..3 {
        assert_eq!(
            answer_delivered(&mut j, &answer("env-4", "U01APPROVER", false), &approvers).unwrap(),
            ChannelOutcome::Duplicate { seq: Some(seq) }
        );
    }
    let ds = j.decisions(&run).unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(
        (ds[0].by.as_str(), ds[0].via.as_str()),
        ("U01APPROVER", "slack")
    );
}

#[test]
fn a_channel_answer_to_an_expired_request_is_refused_and_appends_nothing() {
    use agent_spine::workflow::control::{answer_delivered, ChannelAnswer};
    let mut j = Journal::open_in_memory().unwrap();
    let run = id("dddddd");
    j.create_run(&new_run(&run, &[("approve", false)])).unwrap();
    let mut old = request(&run, Some("approve"), RequestKind::Node);
    old.expires_at = OffsetDateTime::now_utc() - Duration::minutes(1);
    j.open_request(&old).unwrap();
    let err = answer_delivered(
        &mut j,
        &ChannelAnswer {
            channel: "slack",
            delivery: "env-9",
            user: "U01APPROVER",
            is_bot: false,
            run: run.clone(),
            request: None,
            verdict: Verdict::Approve,
            context: None,
        },
        &["U01APPROVER".to_owned()],
    )
    .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    assert!(err.hint().unwrap().contains("resend"));
    assert!(j.decisions(&run).unwrap().is_empty());
}

#[test]
fn posts_map_requests_to_messages_and_back() {
    use agent_spine::workflow::journal::Post;
    let (mut j, _run, req) = waiting();
    let post = Post {
        request: req.clone(),
        channel: "slack".into(),
        conversation: "C0123ABCD".into(),
        ts: "1700000000.000100".into(),
    };
    j.record_post(&post).unwrap();
    assert_eq!(j.post_of(&req, "slack").unwrap(), Some(post.clone()));
    assert_eq!(
        j.post_at("slack", "C0123ABCD", "1700000000.000100")
            .unwrap(),
        Some(post)
    );
    assert_eq!(j.post_at("slack", "C0123ABCD", "1.2").unwrap(), None);
    let err = j
        .record_post(&Post {
            request: "ap-zzzzzz".into(),
            channel: "slack".into(),
            conversation: "C1".into(),
            ts: "1".into(),
        })
        .unwrap_err();
    assert!(err.to_string().contains("ap-zzzzzz"), "{err}");
}
