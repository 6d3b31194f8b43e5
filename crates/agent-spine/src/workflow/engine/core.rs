//! The engine task's state and its reactions: submit, start a node, apply
//! a node's outcome, advance a run.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use agent_muscle::exec::CancelHandle;
use autonomic_core::audit::{AuditLog, Kind};
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;
use autonomic_core::Decision;
use autonomic_llm::ChatModel;
use serde_json::json;
use tokio::sync::{mpsc, watch};

use super::batch::{Effect, Next};
use super::run::{Readiness, Run};
use super::{EngineError, Msg, Scope, Snapshot};
use crate::workflow::approval::{ApprovalChannel, RequestFields};
use crate::workflow::brain::BrainHandle;
use crate::workflow::bus::Bus;
use crate::workflow::dispatch::{Dispatcher, TaskResult};
use crate::workflow::event::{Event, EventKind};
use crate::workflow::journal::{Journal, NewRequest, RequestKind};
use crate::workflow::model::{NodeKind, Workflow};
use crate::workflow::nodes::{self, Done, Job, ModelSlot, Outcome, Outputs, Services};
use crate::workflow::state::{NodeState, RunId, RunState};

pub(super) struct CoreParts {
    pub paths: Paths,
    pub config: Config,
    pub model: Option<Arc<dyn ChatModel>>,
    pub dispatcher: Arc<dyn Dispatcher>,
    pub channels: Vec<Arc<dyn ApprovalChannel>>,
    pub scope: Scope,
    pub tx: mpsc::UnboundedSender<Msg>,
    pub snapshot: watch::Sender<Snapshot>,
}

pub(super) struct Core {
    pub journal: Journal,
    pub bus: Bus,
    pub services: Arc<Services>,
    pub channels: Vec<Arc<dyn ApprovalChannel>>,
    pub scope: Scope,
    pub runs: HashMap<RunId, Run>,
    pub tx: mpsc::UnboundedSender<Msg>,
    pub snapshot: watch::Sender<Snapshot>,
    pub stopping: bool,
    /// What the current batch's transitions cause, done after its commit.
    pub effects: Vec<Effect>,
}

impl Core {
    pub fn new(journal: Journal, bus: Bus, p: CoreParts) -> Result<Core, EngineError> {
        let audit = AuditLog::open(&p.paths.audit_log)
            .map_err(|e| EngineError::Input(format!("cannot open the audit log: {e}")))?;
        Ok(Core {
            journal,
            bus,
            services: Arc::new(Services {
                brain: BrainHandle::new(p.config.brain.clone()),
                model: ModelSlot::new(p.model),
                dispatcher: p.dispatcher,
                config: p.config,
                audit,
                user_home: p.paths.user_home().map(std::path::Path::to_path_buf),
            }),
            channels: p.channels,
            scope: p.scope,
            runs: HashMap::new(),
            tx: p.tx,
            snapshot: p.snapshot,
            stopping: false,
            effects: Vec::new(),
        })
    }

    /// The engine task: messages, and a poll for decisions and submitted
    /// runs.
    pub async fn drive(&mut self, mut rx: mpsc::UnboundedReceiver<Msg>, poll: Duration) {
        let mut tick = tokio::time::interval(poll);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let step = tokio::select! {
                msg = rx.recv() => {
                    let Some(msg) = msg else { break };
                    self.handle_burst(msg, &mut rx)
                }
                _ = tick.tick() => self.batched(Core::poll).map(|()| Next::Continue),
            };
            self.publish_snapshot();
            match step {
                Ok(Next::Continue) => {}
                Ok(Next::Stop) => break,
                Err(e) => {
                    tracing::error!(
                        "workflow engine: the journal could not commit ({}); the engine stops — \
                         start it again to resume every run from the journal",
                        crate::workflow::dispatch::describe(&e)
                    );
                    self.begin_shutdown();
                    break;
                }
            }
        }
    }

    /// Takes no more work and cancels the node work in flight (its outcome
    /// will not be journaled: the next start treats it as after a crash).
    pub fn begin_shutdown(&mut self) {
        self.stopping = true;
        for run in self.runs.values() {
            for c in run.running.values() {
                c.cancel();
            }
        }
    }

    pub(super) fn handle(&mut self, msg: Msg) {
        let result = match msg {
            Msg::Submit {
                workflow,
                repo,
                vars,
                reply,
            } => {
                let r = self.submit(*workflow, repo, vars);
                // The caller learns the run's id once the run is committed.
                self.after_commit(move |_| {
                    let _ = reply.send(r);
                });
                Ok(())
            }
            Msg::Done { run, node, done } => self.on_done(&run, &node, *done),
            Msg::Report {
                run,
                node,
                kind,
                data,
            } => self.event(&run, Some(&node), kind, data).map(|_| ()),
            Msg::Poke => {
                self.poll();
                Ok(())
            }
            Msg::Shutdown(_) => Ok(()),
        };
        if let Err(e) = result {
            tracing::error!(
                "workflow engine: {}",
                crate::workflow::dispatch::describe(&e)
            );
        }
    }

    pub(super) fn poll(&mut self) {
        if let Err(e) = self.poll_decisions() {
            tracing::error!("workflow engine: decisions: {e}");
        }
        if self.scope == Scope::All {
            if let Err(e) = self.adopt_submitted() {
                tracing::error!("workflow engine: submitted runs: {e}");
            }
        }
    }

    pub fn publish_snapshot(&self) {
        let snap: Snapshot = self
            .runs
            .values()
            .map(|r| (r.id.clone(), (r.state, r.running.len())))
            .collect();
        self.snapshot.send_replace(snap);
    }

    /// Journals an event and publishes it.
    pub fn event(
        &mut self,
        run: &RunId,
        node: Option<&str>,
        kind: EventKind,
        data: serde_json::Value,
    ) -> Result<Event, EngineError> {
        let e = self.journal.record(run, node, kind, data)?;
        self.publish(e.clone());
        Ok(e)
    }

    /// Engine bookkeeping that recovery reads back (routes, feedback,
    /// approvals, transcripts), journaled as a progress event.
    pub fn note(
        &mut self,
        run: &RunId,
        node: &str,
        data: serde_json::Value,
    ) -> Result<(), EngineError> {
        self.event(
            run,
            Some(node),
            EventKind::Progress,
            json!({ "engine": data }),
        )
        .map(|_| ())
    }

    /// Journals a node's new state, then mirrors it in memory.
    pub fn set_node(
        &mut self,
        run_id: &RunId,
        node: &str,
        to: NodeState,
        why: &str,
        outputs: Option<&Outputs>,
    ) -> Result<(), EngineError> {
        let e = self
            .journal
            .set_node_state(run_id, node, to, why, outputs)?;
        self.publish(e);
        if let Some(run) = self.runs.get_mut(run_id) {
            if let Some(&i) = run.index.get(node) {
                run.set_state(i, to);
                let rt = &mut run.nodes[i];
                if to == NodeState::Running {
                    rt.attempt += 1;
                }
                if let Some(o) = outputs {
                    rt.outputs = o.clone();
                }
            }
        }
        if to.is_finished() && to != NodeState::Succeeded && to != NodeState::Skipped {
            let (run, detail) = (
                run_id.clone(),
                json!({"node": node, "state": to, "why": why}),
            );
            self.after_commit(move |core| {
                core.services
                    .audit_run(&run, Kind::SpineWorkflow, Some(Decision::Deny), detail);
            });
        }
        Ok(())
    }

    /// Journals the run's state when it changed; audits the changes.
    pub fn sync_run_state(&mut self, run_id: &RunId, why: &str) -> Result<(), EngineError> {
        let Some(run) = self.runs.get(run_id) else {
            return Ok(());
        };
        let to = run.derived_state();
        if to == run.state {
            return Ok(());
        }
        let e = self.journal.set_run_state(run_id, to, why)?;
        let decision = match to {
            RunState::Succeeded => Some(Decision::Allow),
            RunState::Failed | RunState::SecurityHold => Some(Decision::Deny),
            RunState::WaitingApproval => Some(Decision::Review),
            _ => None,
        };
        let detail = json!({"workflow": run.wf.name, "state": to, "why": why});
        let run = run_id.clone();
        self.publish(e);
        self.after_commit(move |core| {
            core.services
                .audit_run(&run, Kind::SpineWorkflow, decision, detail);
        });
        if let Some(run) = self.runs.get_mut(run_id) {
            run.state = to;
        }
        Ok(())
    }

    fn submit(
        &mut self,
        wf: Workflow,
        repo: Option<PathBuf>,
        vars: BTreeMap<String, String>,
    ) -> Result<RunId, EngineError> {
        let wf = Arc::new(wf);
        let (id, repo, vars, started) =
            super::journal_run(&mut self.journal, &self.services.audit, &wf, repo, vars)?;
        self.publish(started);
        self.runs
            .insert(id.clone(), Run::new(id.clone(), wf.clone(), repo, vars));
        for n in wf.nodes.iter().filter(|n| n.waive_approval.is_some()) {
            self.event(
                &id,
                Some(&n.id),
                EventKind::Decision,
                json!({"layer": "spine", "decision": "allow", "rule_ids": ["spine.waiver"],
                       "summary": format!("approval waived by the workflow file: {}",
                                          n.waive_approval.as_deref().unwrap_or_default())}),
            )?;
        }
        self.advance(&id, None)?;
        Ok(id)
    }

    /// Starts every ready node and skips every node that can no longer run,
    /// from `changed` (or all nodes), until nothing changes; then settles
    /// the run's state.
    pub fn advance(&mut self, run_id: &RunId, changed: Option<usize>) -> Result<(), EngineError> {
        let Some(run) = self.runs.get(run_id) else {
            return Ok(());
        };
        if run.resume_hold || run.state.is_finished() || self.stopping {
            return self.sync_run_state(run_id, "");
        }
        let mut work: Vec<usize> = match changed {
            Some(i) => run.dependents[i].clone(),
            None => (0..run.nodes.len()).collect(),
        };
        // Handlers are looked at whenever anything changes: a route may
        // have just named one.
        work.extend(
            run.handlers
                .iter()
                .filter_map(|h| run.index.get(h).copied()),
        );
        let mut finalizing = false;
        loop {
            while let Some(i) = work.pop() {
                let run = self.runs.get(run_id).ok_or(EngineError::Stopped)?;
                if run.nodes[i].state != NodeState::Pending {
                    continue;
                }
                match run.readiness(i, finalizing) {
                    Readiness::Wait => {}
                    Readiness::Ready => self.start_node(run_id, i)?,
                    Readiness::Skip => {
                        let id = run.wf.nodes[i].id.clone();
                        let deps = run.dependents[i].clone();
                        self.set_node(run_id, &id, NodeState::Skipped, "not reached", None)?;
                        work.extend(deps);
                    }
                }
            }
            let run = self.runs.get(run_id).ok_or(EngineError::Stopped)?;
            if finalizing || run.busy() {
                break;
            }
            // Nothing runs or waits: handlers never routed to are skipped.
            finalizing = true;
            work = run
                .nodes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.state == NodeState::Pending)
                .map(|(i, _)| i)
                .collect();
            if work.is_empty() {
                break;
            }
        }
        self.sync_run_state(run_id, "")
    }

    /// Journals a node as running and starts its work on a blocking thread.
    fn start_node(&mut self, run_id: &RunId, i: usize) -> Result<(), EngineError> {
        let node_id = {
            let run = self.runs.get(run_id).ok_or(EngineError::Stopped)?;
            run.wf.nodes[i].id.clone()
        };
        self.set_node(run_id, &node_id, NodeState::Running, "needs met", None)?;
        self.sync_run_state(run_id, "")?;
        let job = self.job(run_id, i)?;
        let services = self.services.clone();
        let tx = self.tx.clone();
        let run = run_id.clone();
        let report_tx = tx.clone();
        let (report_run, report_node) = (run.clone(), node_id.clone());
        // The work starts once `running` is committed: a crash before
        // that loses the transition and the work together.
        self.after_commit(move |_| {
            tokio::task::spawn_blocking(move || {
                let report: nodes::Report = Box::new(move |kind, data| {
                    let _ = report_tx.send(Msg::Report {
                        run: report_run.clone(),
                        node: report_node.clone(),
                        kind,
                        data,
                    });
                });
                let done = nodes::run(&job, &services, &report);
                let done = remember(&job, &services, done, &report);
                let _ = tx.send(Msg::Done {
                    run,
                    node: node_id,
                    done: Box::new(done),
                });
            });
        });
        Ok(())
    }

    /// The job for node `i`: rendered inputs, outputs so far, the journaled
    /// result of its task when an earlier attempt ran it.
    fn job(&mut self, run_id: &RunId, i: usize) -> Result<Job, EngineError> {
        let cancel = CancelHandle::new();
        let run = self.runs.get_mut(run_id).ok_or(EngineError::Stopped)?;
        let node = run.wf.nodes[i].clone();
        run.running.insert(node.id.clone(), cancel.clone());
        let mut job = Job {
            run: run_id.clone(),
            workflow: run.wf.clone(),
            repo: run.repo.clone(),
            vars: run.vars.clone(),
            outputs: run.outputs_for(i),
            feedback: run.feedback.get(&node.id).cloned().unwrap_or_default(),
            approved_sha256: run.approved.get(&node.id).cloned(),
            approved_by: run.approvers.get(&node.id).cloned(),
            transcript: run.transcripts.get(&node.id).cloned().unwrap_or_default(),
            cached: None,
            cancel,
            node,
        };
        // Only an earlier attempt can have journaled a result.
        let attempt = run.nodes[i].attempt;
        if let (NodeKind::Exec { command, .. }, true) = (&job.node.kind, attempt > 1) {
            if let Ok(command) = job.render(command) {
                let key = nodes::exec_task_key(&job, &self.services, &command);
                if let Some(v) = self.journal.task_result(&key)? {
                    if let Ok(r) = serde_json::from_value::<TaskResult>(v) {
                        job.cached = Some((key, r));
                    }
                }
            }
        }
        Ok(job)
    }

    /// Applies a node's outcome: journal first, then schedule.
    fn on_done(&mut self, run_id: &RunId, node: &str, done: Done) -> Result<(), EngineError> {
        let Some(run) = self.runs.get_mut(run_id) else {
            return Ok(());
        };
        run.running.remove(node);
        let Some(&i) = run.index.get(node) else {
            return Ok(());
        };
        if run.nodes[i].state != NodeState::Running {
            // Cancelled while it worked: its outcome no longer counts.
            return self.sync_run_state(run_id, "");
        }
        if let Some((key, result @ TaskResult::Ran { .. })) = &done.task {
            let value = serde_json::to_value(result).unwrap_or_default();
            self.journal.store_task_result(key, run_id, node, &value)?;
        }
        let wf = run.wf.clone();
        let n = &wf.nodes[i];
        match done.outcome {
            Outcome::Succeeded { outputs, route } => {
                if let Some(to) = &route {
                    self.note(run_id, node, json!({"route": to, "cut": true}))?;
                    if let Some(run) = self.runs.get_mut(run_id) {
                        run.routed.insert(to.clone());
                        run.cut.insert(node.to_owned());
                    }
                }
                if matches!(n.kind, NodeKind::Gate { .. }) {
                    self.note(run_id, node, json!({"consumed": true}))?;
                    if let Some(run) = self.runs.get_mut(run_id) {
                        run.consume_gate_source(i);
                    }
                }
                let why = route.map_or_else(|| "done".to_owned(), |r| format!("routed to `{r}`"));
                self.set_node(run_id, node, NodeState::Succeeded, &why, Some(&outputs))?;
            }
            Outcome::Failed { why, outputs } => {
                self.fail(run_id, i, NodeState::Failed, &why, &outputs)?;
            }
            Outcome::Rejected {
                why,
                reasons,
                outputs,
            } => {
                if !self.regenerate(run_id, i, &why, &reasons)? {
                    let why = if reasons.is_empty() {
                        why
                    } else {
                        format!("{why}: {}", reasons.join("; "))
                    };
                    self.fail(run_id, i, NodeState::Rejected, &why, &outputs)?;
                }
                return self.advance_from(run_id, i);
            }
            Outcome::NeedsApproval { fields, transcript } => {
                if !transcript.is_empty() {
                    self.note(run_id, node, json!({"transcript": transcript}))?;
                }
                if let Some(run) = self.runs.get_mut(run_id) {
                    run.transcripts.insert(node.to_owned(), transcript);
                }
                self.set_node(
                    run_id,
                    node,
                    NodeState::WaitingApproval,
                    "waiting for a human",
                    None,
                )?;
                self.sync_run_state(run_id, "waiting for approval")?;
                self.request(run_id, Some(node), RequestKind::Node, &fields)?;
            }
            Outcome::Hold { fields } => {
                self.set_node(
                    run_id,
                    node,
                    NodeState::SecurityHold,
                    &fields.reasons.join("; "),
                    None,
                )?;
                self.sync_run_state(run_id, "security hold")?;
                self.request(run_id, Some(node), RequestKind::SecurityHold, &fields)?;
            }
        }
        self.advance_from(run_id, i)
    }

    pub fn advance_from(&mut self, run_id: &RunId, i: usize) -> Result<(), EngineError> {
        self.advance(run_id, Some(i))
    }

    /// A failed or rejected node, and its `on_failure` handler.
    fn fail(
        &mut self,
        run_id: &RunId,
        i: usize,
        to: NodeState,
        why: &str,
        outputs: &Outputs,
    ) -> Result<(), EngineError> {
        let (node, handler) = {
            let run = self.runs.get(run_id).ok_or(EngineError::Stopped)?;
            let n = &run.wf.nodes[i];
            (n.id.clone(), n.on_failure.clone())
        };
        if let Some(h) = &handler {
            self.note(run_id, &node, json!({"route": h}))?;
            if let Some(run) = self.runs.get_mut(run_id) {
                run.routed.insert(h.clone());
            }
        }
        self.set_node(run_id, &node, to, why, Some(outputs))
    }

    /// An exec node's refusal with an `on_reject` prompt left: the prompt
    /// runs again with the refusal as context, then the node.
    fn regenerate(
        &mut self,
        run_id: &RunId,
        i: usize,
        why: &str,
        reasons: &[String],
    ) -> Result<bool, EngineError> {
        let run = self.runs.get(run_id).ok_or(EngineError::Stopped)?;
        let n = &run.wf.nodes[i];
        let Some(prompt) = n.on_reject.clone() else {
            return Ok(false);
        };
        let done = run.regenerations.get(&n.id).copied().unwrap_or(0);
        if done + 1 >= n.max_attempts {
            return Ok(false);
        }
        let node = n.id.clone();
        let text = format!(
            "Your previous answer was refused and did not run ({why}). Reasons:\n{}\nPropose a different command that reaches the goal without what was refused.",
            reasons
                .iter()
                .map(|r| format!("- {r}"))
                .collect::<Vec<_>>()
                .join("\n")
        );
        self.note(
            run_id,
            &node,
            json!({"regenerate": prompt, "feedback": text}),
        )?;
        if let Some(run) = self.runs.get_mut(run_id) {
            *run.regenerations.entry(node.clone()).or_default() += 1;
            run.feedback.entry(prompt.clone()).or_default().push(text);
        }
        self.set_node(
            run_id,
            &node,
            NodeState::Rejected,
            &format!("{why}; regenerating"),
            None,
        )?;
        self.set_node(
            run_id,
            &node,
            NodeState::Pending,
            "waiting for a regenerated command",
            None,
        )?;
        self.set_node(
            run_id,
            &prompt,
            NodeState::Pending,
            "asked again with the refusal as context",
            None,
        )?;
        let p = self
            .runs
            .get(run_id)
            .and_then(|r| r.index.get(&prompt).copied());
        if let Some(p) = p {
            self.start_if_ready(run_id, p)?;
        }
        Ok(true)
    }

    fn start_if_ready(&mut self, run_id: &RunId, i: usize) -> Result<(), EngineError> {
        let ready = self.runs.get(run_id).is_some_and(|r| {
            r.nodes[i].state == NodeState::Pending && r.readiness(i, false) == Readiness::Ready
        });
        if ready {
            self.start_node(run_id, i)?;
        }
        Ok(())
    }

    /// Journals a request (after the waiting state), then sends it.
    pub fn request(
        &mut self,
        run_id: &RunId,
        node: Option<&str>,
        kind: RequestKind,
        fields: &RequestFields,
    ) -> Result<(), EngineError> {
        let expires = time::OffsetDateTime::now_utc()
            + time::Duration::minutes(i64::from(fields.expires_in_minutes));
        let (req, e) = self.journal.open_request(&NewRequest {
            run: run_id.clone(),
            node: node.map(str::to_owned),
            kind,
            text: fields.text(),
            fields: serde_json::to_value(fields).unwrap_or_default(),
            expires_at: expires,
        })?;
        self.publish(e);
        // Sent once the request is committed; a failure to send is
        // journaled as a warning (the request stays open to be resent).
        let (run_id, node) = (run_id.clone(), node.map(str::to_owned));
        self.after_commit(move |core| {
            for c in core.channels.clone() {
                let Err(why) = c.send(&req) else { continue };
                let warning = json!({"warning": format!(
                    "approval channel `{}` could not send request {}: {why}", c.name(), req.id)});
                if let Err(e) = core.event(&run_id, node.as_deref(), EventKind::Progress, warning) {
                    tracing::error!("workflow engine: {e}");
                }
            }
        });
        Ok(())
    }
}

/// A node's `remember` fact, stored when it succeeded.
fn remember(job: &Job, services: &Services, done: Done, report: &nodes::Report) -> Done {
    let (Some(template), Outcome::Succeeded { outputs, .. }) = (&job.node.remember, &done.outcome)
    else {
        return done;
    };
    let mut j = job.clone();
    j.outputs.insert(job.node.id.clone(), outputs.clone());
    let result = j.render(template).and_then(|text| {
        services.brain.remember(
            &job.workflow.project,
            &format!("workflow.{}.{}", job.workflow.name, job.node.id),
            &text,
            &format!("workflow:{}", job.run),
        )
    });
    if let Err(e) = result {
        report(
            EventKind::Progress,
            json!({"layer": "brain", "warning": format!("not remembered: {e}")}),
        );
    }
    done
}
