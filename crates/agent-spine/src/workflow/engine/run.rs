//! One run in memory: node states mirrored from the journal, the routing
//! bookkeeping, and the scheduling rules (which pending node is ready,
//! which is skipped, when the run is over).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

use agent_muscle::exec::CancelHandle;

use crate::workflow::model::{GateFail, NodeKind, Workflow};
use crate::workflow::nodes::{AgentStep, Outputs};
use crate::workflow::state::{NodeState, RunId, RunState};

/// A node's state in memory.
#[derive(Debug, Clone)]
pub(super) struct NodeRt {
    pub state: NodeState,
    pub outputs: Outputs,
    pub attempt: u32,
}

/// What a pending node can do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Readiness {
    Wait,
    Ready,
    Skip,
}

/// A run in memory.
pub(super) struct Run {
    pub id: RunId,
    pub wf: Arc<Workflow>,
    pub repo: PathBuf,
    pub vars: BTreeMap<String, String>,
    pub state: RunState,
    /// Node index by id (the workflow's topological order).
    pub index: HashMap<String, usize>,
    pub nodes: Vec<NodeRt>,
    /// Indices of the nodes that need each node.
    pub dependents: Vec<Vec<usize>>,
    /// Handlers (route targets) that were routed to.
    pub routed: HashSet<String>,
    /// Every handler's name.
    pub handlers: HashSet<String>,
    /// Routers whose normal dependents are skipped.
    pub cut: HashSet<String>,
    /// Failed or rejected nodes whose result a gate judged.
    pub consumed: HashSet<String>,
    /// Times an exec node's command was regenerated.
    pub regenerations: HashMap<String, u32>,
    /// Refusals fed back to a prompt node.
    pub feedback: HashMap<String, Vec<String>>,
    /// The command SHA-256 a human approved, per node.
    pub approved: HashMap<String, String>,
    /// Who approved it, per node (an outbound node sends in their name).
    pub approvers: HashMap<String, String>,
    /// An agent node's steps, kept across a pause.
    pub transcripts: HashMap<String, Vec<AgentStep>>,
    /// Cancel handles of running nodes.
    pub running: HashMap<String, CancelHandle>,
    /// A run whose file changed waits for a human before anything runs.
    pub resume_hold: bool,
    /// How many nodes are in each state (indexed like `NodeState::ALL`),
    /// so the run's state is known without a walk over its nodes.
    counts: [usize; 9],
}

fn slot(s: NodeState) -> usize {
    NodeState::ALL.iter().position(|x| *x == s).unwrap_or(0)
}

impl Run {
    pub fn new(id: RunId, wf: Arc<Workflow>, repo: PathBuf, vars: BTreeMap<String, String>) -> Run {
        let index: HashMap<String, usize> = wf
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.id.clone(), i))
            .collect();
        let mut dependents = vec![Vec::new(); wf.nodes.len()];
        for (i, n) in wf.nodes.iter().enumerate() {
            for need in &n.needs {
                if let Some(&j) = index.get(need) {
                    dependents[j].push(i);
                }
            }
        }
        let handlers = wf.route_targets().into_iter().map(str::to_owned).collect();
        let wf_len = wf.nodes.len();
        Run {
            id,
            nodes: vec![
                NodeRt {
                    state: NodeState::Pending,
                    outputs: Outputs::new(),
                    attempt: 0,
                };
                wf.nodes.len()
            ],
            wf,
            repo,
            vars,
            state: RunState::Running,
            index,
            dependents,
            routed: HashSet::new(),
            handlers,
            cut: HashSet::new(),
            consumed: HashSet::new(),
            regenerations: HashMap::new(),
            feedback: HashMap::new(),
            approved: HashMap::new(),
            approvers: HashMap::new(),
            transcripts: HashMap::new(),
            running: HashMap::new(),
            resume_hold: false,
            counts: {
                let mut c = [0; 9];
                c[slot(NodeState::Pending)] = wf_len;
                c
            },
        }
    }

    /// Sets node `i`'s state, keeping the counts.
    pub fn set_state(&mut self, i: usize, to: NodeState) {
        let from = self.nodes[i].state;
        self.counts[slot(from)] -= 1;
        self.counts[slot(to)] += 1;
        self.nodes[i].state = to;
    }

    fn count(&self, s: NodeState) -> usize {
        self.counts[slot(s)]
    }

    /// Whether node `i` may start, must wait, or will never run.
    pub fn readiness(&self, i: usize, finalizing: bool) -> Readiness {
        let node = &self.wf.nodes[i];
        if self.handlers.contains(&node.id) && !self.routed.contains(&node.id) {
            return if finalizing {
                Readiness::Skip
            } else {
                Readiness::Wait
            };
        }
        let gate_source = match &node.kind {
            NodeKind::Gate { source, .. } => Some(source.as_str()),
            _ => None,
        };
        let mut verdict = Readiness::Ready;
        for need in &node.needs {
            let Some(&j) = self.index.get(need) else {
                return Readiness::Skip;
            };
            let need_node = &self.wf.nodes[j];
            let s = self.nodes[j].state;
            let routes_here = routes_to(need_node, &node.id);
            let ok = match s {
                NodeState::Succeeded => !self.cut.contains(need) || routes_here,
                NodeState::Failed | NodeState::Rejected => {
                    gate_source == Some(need.as_str()) || routes_here
                }
                NodeState::Skipped | NodeState::Cancelled => false,
                NodeState::Pending
                | NodeState::Running
                | NodeState::WaitingApproval
                | NodeState::SecurityHold => {
                    verdict = Readiness::Wait;
                    continue;
                }
            };
            if !ok {
                return Readiness::Skip;
            }
        }
        verdict
    }

    /// Whether anything runs or waits for a human.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
            || self.count(NodeState::Running) > 0
            || self.count(NodeState::WaitingApproval) > 0
            || self.count(NodeState::SecurityHold) > 0
    }

    /// The run's state from its nodes': running while anything runs or is
    /// ready, else held or waiting, else finished.
    pub fn derived_state(&self) -> RunState {
        if self.state == RunState::Cancelled {
            return RunState::Cancelled;
        }
        if self.resume_hold {
            return RunState::WaitingApproval;
        }
        let any = |s: NodeState| self.count(s) > 0;
        if any(NodeState::Running) {
            return RunState::Running;
        }
        // Pending nodes behind a paused one wait with it.
        if any(NodeState::SecurityHold) {
            return RunState::SecurityHold;
        }
        if any(NodeState::WaitingApproval) {
            return RunState::WaitingApproval;
        }
        if any(NodeState::Pending) {
            return RunState::Running;
        }
        let failed = self.wf.nodes.iter().zip(&self.nodes).any(|(n, rt)| {
            matches!(rt.state, NodeState::Failed | NodeState::Rejected)
                && !self.consumed.contains(&n.id)
        });
        if failed {
            RunState::Failed
        } else {
            RunState::Succeeded
        }
    }

    /// The outputs node `i` reads (its templates' references and a gate's
    /// source): a job never copies the whole run's outputs.
    pub fn outputs_for(&self, i: usize) -> BTreeMap<String, Outputs> {
        crate::workflow::nodes::referenced_nodes(&self.wf.nodes[i])
            .into_iter()
            .filter_map(|id| {
                let j = *self.index.get(&id)?;
                Some((id, self.nodes[j].outputs.clone()))
            })
            .filter(|(_, o)| !o.is_empty())
            .collect()
    }

    /// Marks the nodes a gate judges as consumed once the gate ran.
    pub fn consume_gate_source(&mut self, gate: usize) {
        if let NodeKind::Gate { source, .. } = &self.wf.nodes[gate].kind {
            self.consumed.insert(source.clone());
        }
    }
}

/// Whether `from` routes to `to` (on_failure, on_findings, a gate's route).
pub(super) fn routes_to(from: &crate::workflow::model::Node, to: &str) -> bool {
    from.on_failure.as_deref() == Some(to)
        || from.on_findings.as_deref() == Some(to)
        || matches!(&from.kind, NodeKind::Gate { on_fail: GateFail::Route(r), .. } if r == to)
}
