//! Answers: the journal's append-only decision log, read in order. The
//! first valid answer to a request wins; every other one is settled as
//! refused with the reason (expired, superseded, already answered, unknown
//! or finished run), so nothing an answerer sends is silently lost.

use serde_json::json;

use super::core::Core;
use super::EngineError;
use crate::workflow::journal::{
    Decision, DecisionOutcome, Request, RequestKind, RequestStatus, Verdict,
};
use crate::workflow::model::NodeKind;
use crate::workflow::nodes::outputs;
use crate::workflow::state::{NodeState, RunId, RunState};
use autonomic_core::audit::{AuditEvent, Kind};

impl Core {
    /// Settles every decision not settled yet that concerns a run this
    /// engine drives.
    ///
    /// Only inside a batch: a decision's effect (a node that runs again, a
    /// run cancelled) and its settlement are committed together, or an
    /// approval could take effect twice after a crash between them. Outside
    /// one (the journal was too busy to open a batch) decisions wait for
    /// the next poll.
    pub fn poll_decisions(&mut self) -> Result<(), EngineError> {
        if !self.journal.in_batch() {
            tracing::warn!("workflow engine: decisions wait for the journal's next batch");
            return Ok(());
        }
        for d in self.journal.pending_decisions()? {
            if !self.runs.contains_key(&d.run) && !self.may_settle_unloaded(&d.run)? {
                continue;
            }
            let outcome = match self.validate(&d)? {
                Err(why) => DecisionOutcome::Refused(why),
                Ok(req) => {
                    self.apply(&d, req.as_ref())?;
                    DecisionOutcome::Accepted
                }
            };
            let e = self.journal.settle_decision(d.seq, &outcome)?;
            self.publish(e);
            let record = AuditEvent::new(
                Kind::SpineApproval,
                &autonomic_core::audit::Actor::Workflow(d.run.to_string()),
                Some(match (&outcome, d.verdict) {
                    (DecisionOutcome::Accepted, Verdict::Approve) => {
                        autonomic_core::Decision::Allow
                    }
                    (DecisionOutcome::Accepted, _) => autonomic_core::Decision::Deny,
                    (DecisionOutcome::Refused(_), _) => autonomic_core::Decision::Review,
                }),
                json!({"run": d.run, "request": d.request, "decision": d.verdict.as_str(),
                       "by": d.by, "via": d.via, "reason": d.reason,
                       "accepted": matches!(outcome, DecisionOutcome::Accepted),
                       "refused_because": match &outcome { DecisionOutcome::Refused(w) => Some(w.clone()), DecisionOutcome::Accepted => None }}),
            );
            self.after_commit(move |core| core.services.audit(record));
            self.sync_run_state(&d.run, "answered")?;
        }
        Ok(())
    }

    /// A decision for a run this engine does not hold is settled here only
    /// when no engine could ever take it (unknown or finished run).
    fn may_settle_unloaded(&self, run: &RunId) -> Result<bool, EngineError> {
        Ok(match self.journal.run(run)? {
            None => true,
            Some(r) => r.state.is_finished(),
        })
    }

    fn validate(&self, d: &Decision) -> Result<Result<Option<Request>, String>, EngineError> {
        let Some(record) = self.journal.run(&d.run)? else {
            return Ok(Err(format!("there is no run `{}`", d.run)));
        };
        if record.state.is_finished() {
            return Ok(Err(format!("run `{}` is already {}", d.run, record.state)));
        }
        let Some(id) = &d.request else {
            return Ok(if d.verdict == Verdict::Cancel {
                Ok(None)
            } else {
                Err("an approval or rejection must name the request it answers".into())
            });
        };
        let Some(req) = self.journal.request(id)? else {
            return Ok(Err(format!("there is no request `{id}`")));
        };
        if req.run != d.run {
            return Ok(Err(format!("request `{id}` belongs to run `{}`", req.run)));
        }
        match req.status {
            RequestStatus::Open => {}
            RequestStatus::Answered => {
                let first = self.journal.decisions(&d.run)?.into_iter().find(|x| {
                    x.request.as_deref() == Some(id.as_str())
                        && matches!(x.outcome, Some(DecisionOutcome::Accepted))
                });
                return Ok(Err(match first {
                    Some(f) => format!(
                        "request `{id}` was already answered ({} by {} at {})",
                        f.verdict.as_str(),
                        f.by,
                        f.at
                    ),
                    None => format!("request `{id}` was already answered"),
                }));
            }
            RequestStatus::Superseded => {
                return Ok(Err(format!(
                    "request `{id}` was superseded by a newer one: `autonomic approvals` lists it"
                )))
            }
            RequestStatus::Closed => return Ok(Err(format!("request `{id}` is closed"))),
        }
        if d.verdict != Verdict::Cancel && req.expires_at <= time::OffsetDateTime::now_utc() {
            return Ok(Err(format!(
                "request `{id}` expired at {}; the run stays paused — `autonomic approvals resend {}` sends a fresh request",
                req.expires_at, d.run
            )));
        }
        Ok(Ok(Some(req)))
    }

    fn apply(&mut self, d: &Decision, req: Option<&Request>) -> Result<(), EngineError> {
        if let Some(r) = req {
            self.journal.close_request(&r.id, RequestStatus::Answered)?;
        }
        if d.verdict == Verdict::Cancel {
            return self.cancel(&d.run, &format!("cancelled by {}", d.by));
        }
        let Some(req) = req else { return Ok(()) };
        let approve = d.verdict == Verdict::Approve;
        let why = format!(
            "{} by {}{}",
            if approve { "approved" } else { "rejected" },
            d.by,
            d.reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        );
        match req.kind {
            RequestKind::Resume => {
                if let Some(run) = self.runs.get_mut(&d.run) {
                    run.resume_hold = false;
                }
                if approve {
                    self.event(
                        &d.run,
                        None,
                        crate::workflow::event::EventKind::Progress,
                        json!({"engine": {"resume_approved": req.id}}),
                    )?;
                    self.advance(&d.run, None)
                } else {
                    self.cancel(&d.run, &why)
                }
            }
            RequestKind::Node | RequestKind::SecurityHold => {
                let Some(node) = req.node.clone() else {
                    return Ok(());
                };
                self.answer_node(&d.run, &node, req, approve, &why, &d.by)
            }
        }
    }

    fn answer_node(
        &mut self,
        run_id: &RunId,
        node: &str,
        req: &Request,
        approve: bool,
        why: &str,
        by: &str,
    ) -> Result<(), EngineError> {
        let Some(run) = self.runs.get(run_id) else {
            return Ok(());
        };
        let Some(&i) = run.index.get(node) else {
            return Ok(());
        };
        let state = run.nodes[i].state;
        if !matches!(state, NodeState::WaitingApproval | NodeState::SecurityHold) {
            return Ok(());
        }
        let kind = run.wf.nodes[i].kind.clone();
        if !approve {
            let to = NodeState::Rejected;
            self.set_node(run_id, node, to, why, None)?;
            if let Some(h) = run_handler(self, run_id, i) {
                self.note(run_id, node, json!({"route": h}))?;
                if let Some(run) = self.runs.get_mut(run_id) {
                    run.routed.insert(h);
                }
            }
            return self.advance(run_id, Some(i));
        }
        match (&kind, req.kind) {
            // A gate's hold: the override is the gate's result. (An apply
            // node's hold is overridden for its patch: it runs again below.)
            (k, RequestKind::SecurityHold) if !matches!(k, NodeKind::Apply { .. }) => {
                // An override names what it overrides: the findings.
                self.note(
                    run_id,
                    node,
                    json!({"override": req.fields.get("reasons"), "by": by, "consumed": true}),
                )?;
                if let Some(run) = self.runs.get_mut(run_id) {
                    run.consume_gate_source(i);
                }
                let out = outputs([("passed", "false".into()), ("overridden_by", by.to_owned())]);
                self.set_node(run_id, node, NodeState::Succeeded, why, Some(&out))?;
            }
            (NodeKind::Approval { .. }, _) => {
                let out = outputs([("decision", "approve".into()), ("by", by.to_owned())]);
                self.set_node(run_id, node, NodeState::Succeeded, why, Some(&out))?;
            }
            _ => {
                // A command that needed review (or an external action to
                // run again after a crash): approved for exactly this
                // command, the node runs again.
                let sha = req
                    .fields
                    .get("command_sha256")
                    .and_then(|v| v.as_str())
                    .map(str::to_owned);
                let mut note =
                    json!({"approved_sha256": sha, "rerun_approved": true, "approved_by": by});
                if req.kind == RequestKind::SecurityHold {
                    note["override"] = req.fields.get("reasons").cloned().unwrap_or_default();
                    note["by"] = json!(by);
                }
                self.note(run_id, node, note)?;
                if let Some(run) = self.runs.get_mut(run_id) {
                    if let Some(sha) = sha {
                        run.approved.insert(node.to_owned(), sha);
                    }
                    run.approvers.insert(node.to_owned(), by.to_owned());
                }
                self.set_node(run_id, node, NodeState::Pending, why, None)?;
                return self.advance(run_id, None);
            }
        }
        self.advance(run_id, Some(i))
    }

    /// Cancels a run: running work is stopped, every unfinished node is
    /// cancelled, open requests are closed.
    pub fn cancel(&mut self, run_id: &RunId, why: &str) -> Result<(), EngineError> {
        let Some(run) = self.runs.get(run_id) else {
            return Ok(());
        };
        for c in run.running.values() {
            c.cancel();
        }
        let unfinished: Vec<String> = run
            .wf
            .nodes
            .iter()
            .zip(&run.nodes)
            .filter(|(_, rt)| !rt.state.is_finished())
            .map(|(n, _)| n.id.clone())
            .collect();
        for n in unfinished {
            self.set_node(run_id, &n, NodeState::Cancelled, why, None)?;
        }
        for r in self.journal.open_requests(Some(run_id))? {
            self.journal.close_request(&r.id, RequestStatus::Closed)?;
        }
        let e = self
            .journal
            .set_run_state(run_id, RunState::Cancelled, why)?;
        self.publish(e);
        if let Some(run) = self.runs.get_mut(run_id) {
            run.state = RunState::Cancelled;
        }
        Ok(())
    }
}

fn run_handler(core: &Core, run_id: &RunId, i: usize) -> Option<String> {
    core.runs.get(run_id)?.wf.nodes[i].on_failure.clone()
}
