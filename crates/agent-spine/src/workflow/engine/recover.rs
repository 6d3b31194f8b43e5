//! Recovery: runs read back from the journal after a restart (or adopted
//! when another process submitted them).
//!
//! - finished nodes keep their state and outputs: never rerun;
//! - a read-only node that was running is run again (its exec task's
//!   journaled result, when there is one, is reused instead);
//! - a node that modifies external state that was running is **never** run
//!   again automatically: it waits for a human (it may or may not have
//!   taken effect);
//! - a waiting node keeps its open request (one lost between the waiting
//!   state and the request is asked again);
//! - a run whose workflow file changed (or vanished) since it started is
//!   not resumed silently: it waits for a human, and resumes with the
//!   journaled version of the file.

use std::sync::Arc;

use serde_json::json;

use super::core::Core;
use super::run::Run;
use super::{EngineError, Scope};
use crate::workflow::approval::RequestFields;
use crate::workflow::event::EventKind;
use crate::workflow::journal::{RequestKind, RunRecord};
use crate::workflow::load;
use crate::workflow::nodes::effective_level;
use crate::workflow::state::{NodeState, RunId, RunState};

impl Core {
    /// Loads the runs in scope at start.
    pub fn recover_all(&mut self) -> Result<(), EngineError> {
        let ids = match &self.scope {
            Scope::All => self.journal.unfinished_runs()?,
            Scope::Only(id) => vec![id.clone()],
            Scope::Submitted => Vec::new(),
        };
        for id in ids {
            self.load(&id)?;
        }
        Ok(())
    }

    /// Runs other processes journaled since (the daemon adopts them).
    pub fn adopt_submitted(&mut self) -> Result<(), EngineError> {
        for id in self.journal.unfinished_runs()? {
            if !self.runs.contains_key(&id) {
                self.load(&id)?;
            }
        }
        Ok(())
    }

    fn load(&mut self, id: &RunId) -> Result<(), EngineError> {
        let Some(record) = self.journal.run(id)? else {
            return Err(EngineError::Input(format!(
                "there is no run `{id}` in the journal"
            )));
        };
        if record.state.is_finished() {
            return Ok(());
        }
        let names: Vec<String> = record.vars.keys().cloned().collect();
        let wf = match load::parse(&record.file_text, &record.file, &names) {
            Ok(wf) => Arc::new(wf),
            Err(e) => {
                let why = format!("the journaled workflow no longer loads: {e}");
                let ev = self.journal.set_run_state(id, RunState::Failed, &why)?;
                self.publish(ev);
                return Ok(());
            }
        };
        let mut run = Run::new(id.clone(), wf, record.repo.clone(), record.vars.clone());
        run.state = record.state;
        for n in &record.nodes {
            if let Some(&i) = run.index.get(&n.id) {
                run.set_state(i, n.state);
                run.nodes[i].outputs = n.outputs.clone();
                run.nodes[i].attempt = n.attempt;
            }
        }
        let resume_ok = self.replay_notes(&mut run)?;
        self.runs.insert(id.clone(), run);
        if !resume_ok && file_changed(&record) {
            self.hold_for_resume(id, &record)?;
            return self.sync_run_state(id, "the workflow file changed since the run started");
        }
        self.requeue(id)?;
        self.advance(id, None)
    }

    /// Reads the engine's bookkeeping back from the run's events; true when
    /// a human already approved resuming a changed file.
    fn replay_notes(&self, run: &mut Run) -> Result<bool, EngineError> {
        let mut resume_ok = false;
        let mut after = 0;
        loop {
            let events = self.journal.events(Some(&run.id), after, 10_000)?;
            let Some(last) = events.last() else { break };
            after = last.seq;
            for e in &events {
                if e.kind != EventKind::Progress {
                    continue;
                }
                let Some(note) = e.data.get("engine") else {
                    continue;
                };
                let node = e.node.clone().unwrap_or_default();
                let s = |k: &str| note.get(k).and_then(|v| v.as_str()).map(str::to_owned);
                if let Some(to) = s("route") {
                    run.routed.insert(to);
                    if note.get("cut").and_then(serde_json::Value::as_bool) == Some(true) {
                        run.cut.insert(node.clone());
                    }
                }
                if note.get("consumed").is_some() {
                    if let Some(&i) = run.index.get(&node) {
                        run.consume_gate_source(i);
                    }
                }
                if let (Some(prompt), Some(text)) = (s("regenerate"), s("feedback")) {
                    *run.regenerations.entry(node.clone()).or_default() += 1;
                    run.feedback.entry(prompt).or_default().push(text);
                }
                if let Some(sha) = s("approved_sha256") {
                    run.approved.insert(node.clone(), sha);
                }
                if let Some(by) = s("approved_by") {
                    run.approvers.insert(node.clone(), by);
                }
                if let Some(t) = note.get("transcript") {
                    if let Ok(t) = serde_json::from_value(t.clone()) {
                        run.transcripts.insert(node.clone(), t);
                    }
                }
                if note.get("resume_approved").is_some() {
                    resume_ok = true;
                }
            }
        }
        Ok(resume_ok)
    }

    fn hold_for_resume(&mut self, id: &RunId, record: &RunRecord) -> Result<(), EngineError> {
        if let Some(run) = self.runs.get_mut(id) {
            run.resume_hold = true;
        }
        let open = self
            .journal
            .open_requests(Some(id))?
            .into_iter()
            .any(|r| r.kind == RequestKind::Resume);
        if open {
            return Ok(());
        }
        let fields = RequestFields {
            workflow: record.workflow.clone(),
            run: id.to_string(),
            node: None,
            action: format!(
                "resume the run with the workflow file as it was when it started (`{}` changed or vanished since)",
                record.file.display()
            ),
            risk: "medium".into(),
            sandbox: "—".into(),
            dependencies: Vec::new(),
            reasons: vec![format!("journaled SHA-256 {}", record.file_sha256)],
            expires_in_minutes: self.services.config.mouth.slack_approval_timeout_minutes,
            command_sha256: None,
        };
        self.request(id, None, RequestKind::Resume, &fields)
    }

    /// Nodes that were running or waiting when the engine stopped.
    fn requeue(&mut self, id: &RunId) -> Result<(), EngineError> {
        let open: Vec<Option<String>> = self
            .journal
            .open_requests(Some(id))?
            .into_iter()
            .map(|r| r.node)
            .collect();
        let Some(run) = self.runs.get(id) else {
            return Ok(());
        };
        let wf = run.wf.clone();
        let states: Vec<NodeState> = run.nodes.iter().map(|n| n.state).collect();
        for (n, state) in wf.nodes.iter().zip(states) {
            let asked = open.iter().any(|o| o.as_deref() == Some(n.id.as_str()));
            let external = n.modifies_external_state;
            match state {
                NodeState::Running if external => {
                    self.set_node(
                        id,
                        &n.id,
                        NodeState::WaitingApproval,
                        "it modifies external state and was running when the engine stopped: a human decides whether it runs again",
                        None,
                    )?;
                    self.interrupted_request(id, &wf, n)?;
                }
                // Stopped between the waiting state and its request: ask
                // again — an external node is never run to find out.
                NodeState::WaitingApproval if external && !asked => {
                    self.interrupted_request(id, &wf, n)?;
                }
                NodeState::Running => {
                    self.set_node(
                        id,
                        &n.id,
                        NodeState::Pending,
                        "run again: it was running when the engine stopped",
                        None,
                    )?;
                }
                NodeState::WaitingApproval | NodeState::SecurityHold if !asked => {
                    self.set_node(
                        id,
                        &n.id,
                        NodeState::Pending,
                        "asked again: its request was not journaled before the engine stopped",
                        None,
                    )?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The request for an external node interrupted while it ran.
    fn interrupted_request(
        &mut self,
        id: &RunId,
        wf: &crate::workflow::model::Workflow,
        n: &crate::workflow::model::Node,
    ) -> Result<(), EngineError> {
        let fields = RequestFields {
            workflow: wf.name.clone(),
            run: id.to_string(),
            node: Some(n.id.clone()),
            action: format!(
                "run `{}` again — it modifies external state and was running when the engine stopped, so it may or may not have taken effect",
                n.id
            ),
            risk: "high".into(),
            sandbox: effective_level(wf, n, &self.services.config).to_string(),
            dependencies: crate::workflow::nodes::layers_of(&n.kind)
                .into_iter()
                .map(str::to_owned)
                .collect(),
            reasons: vec!["interrupted while running".into()],
            expires_in_minutes: self.services.config.mouth.slack_approval_timeout_minutes,
            command_sha256: None,
        };
        self.event(
            id,
            Some(&n.id),
            EventKind::Decision,
            json!({"layer": "spine", "decision": "review", "rule_ids": ["spine.no_rerun"],
                   "summary": "not run again automatically: it modifies external state"}),
        )?;
        self.request(id, Some(&n.id), RequestKind::Node, &fields)
    }
}

/// Whether the file on disk differs from the journaled text (or is gone).
fn file_changed(record: &RunRecord) -> bool {
    match fs_err::read_to_string(&record.file) {
        Ok(text) => text != record.file_text,
        Err(_) => true,
    }
}
