//! The graph checks: unique ids, every `needs` and route naming a node,
//! no node needing itself, no cycle (named `a → b → a`), and the
//! topological order (ties keep file order).
//!
//! Edges: `needs` (the need runs first) and routes (`on_failure`,
//! `on_findings`, a gate's `on_fail`: the router runs first). `on_reject`
//! is a deliberate loop back to a prompt node and is no edge. Every node is
//! reachable from a root (a node with no needs) unless it is on a cycle,
//! so unreachable nodes are reported as the cycle they hang from. All
//! walks are iterative: a 100,000-node chain must not overflow the stack.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};

use super::node::Located;
use super::raw::{did_you_mean, Doc};
use super::WorkflowError;
use crate::workflow::model::NodeKind;

/// An edge into a node: `from` must finish first.
#[derive(Debug, Clone, Copy)]
pub(super) struct Edge {
    /// The node (file position) the edge comes from.
    pub from: usize,
    /// `None` for a need; the router's key for a route.
    pub route: Option<&'static str>,
}

/// The nodes' ids and edges, by file position.
pub(super) struct Graph {
    /// Id → file position.
    pub index: HashMap<String, usize>,
    /// Per node, the edges into it.
    pub preds: Vec<Vec<Edge>>,
}

impl Graph {
    /// Whether `target` is reached walking back from `start` (not
    /// counting `start` itself unless on a loop), through needs and, if
    /// `routes`, route edges.
    pub fn walk_back(
        &self,
        start: usize,
        routes: bool,
        mut found: impl FnMut(usize) -> bool,
    ) -> bool {
        let mut seen = vec![false; self.preds.len()];
        let mut stack = vec![start];
        while let Some(at) = stack.pop() {
            for edge in &self.preds[at] {
                if (routes || edge.route.is_none()) && !seen[edge.from] {
                    if found(edge.from) {
                        return true;
                    }
                    seen[edge.from] = true;
                    stack.push(edge.from);
                }
            }
        }
        false
    }
}

/// Checks ids and references and builds the edges.
pub(super) fn build(doc: &Doc<'_>, nodes: &[Located]) -> Result<Graph, WorkflowError> {
    let mut index = HashMap::with_capacity(nodes.len());
    for (at, located) in nodes.iter().enumerate() {
        if let Some(first) = index.insert(located.node.id.clone(), at) {
            return Err(doc.error(
                Some(located.line_of("id")),
                Some(&located.node.id),
                format!(
                    "`id`: duplicate id (first used by the node at line {})",
                    nodes[first].node.line
                ),
            ));
        }
    }
    let mut preds = vec![Vec::new(); nodes.len()];
    for (at, located) in nodes.iter().enumerate() {
        let node = &located.node;
        for need in &node.needs {
            let from = resolve(doc, located, &index, "needs", need)?;
            preds[at].push(Edge { from, route: None });
        }
        for (key, target) in node.routes() {
            let to = resolve(doc, located, &index, key, target)?;
            preds[to].push(Edge {
                from: at,
                route: Some(key),
            });
        }
        if let Some(prompt) = &node.on_reject {
            resolve(doc, located, &index, "on_reject", prompt)?;
        }
        if let NodeKind::Gate { source, .. } = &node.kind {
            resolve(doc, located, &index, "source", source)?;
        }
    }
    Ok(Graph { index, preds })
}

/// The position of the node `key` names; an unknown node or the node
/// itself is an error at `key`.
fn resolve(
    doc: &Doc<'_>,
    located: &Located,
    index: &HashMap<String, usize>,
    key: &str,
    target: &str,
) -> Result<usize, WorkflowError> {
    let node = &located.node;
    let error = |message: String| {
        doc.error(
            Some(located.line_of(key)),
            Some(&node.id),
            format!("`{key}`: {message}"),
        )
    };
    if target == node.id {
        return Err(error(match key {
            "needs" => "the node needs itself".to_owned(),
            _ => format!("names the node itself (`{target}`)"),
        }));
    }
    index.get(target).copied().ok_or_else(|| {
        let mut err = error(format!("no node has the id `{target}`"));
        err.hint = did_you_mean(target, index.keys().map(String::as_str));
        err
    })
}

/// File positions in topological order over needs and routes, ties in
/// file order; a cycle is an error naming it.
pub(super) fn order(
    doc: &Doc<'_>,
    nodes: &[Located],
    graph: &Graph,
) -> Result<Vec<usize>, WorkflowError> {
    // Cycles of needs alone first: they read more plainly than one that
    // goes through a route.
    if let Err(cycle) = kahn(graph, false) {
        return Err(cycle_error(doc, nodes, graph, &cycle, false));
    }
    kahn(graph, true).map_err(|cycle| cycle_error(doc, nodes, graph, &cycle, true))
}

/// Kahn's algorithm with a min-heap of file positions; on a cycle, the
/// cycle as positions `[a, b, …, a]` where each needs (or is routed from)
/// the next.
fn kahn(graph: &Graph, routes: bool) -> Result<Vec<usize>, Vec<usize>> {
    let n = graph.preds.len();
    let counted = |edge: &&Edge| routes || edge.route.is_none();
    let mut indegree: Vec<usize> = graph
        .preds
        .iter()
        .map(|preds| preds.iter().filter(counted).count())
        .collect();
    let mut succs = vec![Vec::new(); n];
    for (to, preds) in graph.preds.iter().enumerate() {
        for edge in preds.iter().filter(counted) {
            succs[edge.from].push(to);
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..n)
        .filter(|at| indegree[*at] == 0)
        .map(Reverse)
        .collect();
    let mut order = Vec::with_capacity(n);
    while let Some(Reverse(at)) = ready.pop() {
        order.push(at);
        for &next in &succs[at] {
            indegree[next] -= 1;
            if indegree[next] == 0 {
                ready.push(Reverse(next));
            }
        }
    }
    if order.len() == n {
        return Ok(order);
    }
    // Every node left has an edge from another node left: walking back
    // along such edges must come round.
    let left = |at: usize| indegree[at] > 0;
    let mut position = vec![usize::MAX; n];
    let mut walk = Vec::new();
    let mut at = (0..n).find(|at| left(*at)).unwrap_or(0);
    while position[at] == usize::MAX {
        position[at] = walk.len();
        walk.push(at);
        at = graph.preds[at]
            .iter()
            .filter(counted)
            .map(|edge| edge.from)
            .find(|from| left(*from))
            .unwrap_or(at);
    }
    let mut cycle = walk.split_off(position[at]);
    cycle.push(at);
    Err(cycle)
}

/// The error naming `cycle` (positions, each needing or routed from the
/// next; through route edges only if `routes`).
fn cycle_error(
    doc: &Doc<'_>,
    nodes: &[Located],
    graph: &Graph,
    cycle: &[usize],
    routes: bool,
) -> WorkflowError {
    let names: Vec<&str> = cycle.iter().map(|at| nodes[*at].node.id.as_str()).collect();
    let path = names.join(" → ");
    let route = cycle.windows(2).filter(|_| routes).find_map(|pair| {
        graph.preds[pair[0]]
            .iter()
            .find(|edge| edge.from == pair[1] && edge.route.is_some())
            .and_then(|edge| edge.route.map(|key| (pair[1], key, pair[0])))
    });
    match route {
        None => {
            let first = &nodes[cycle[0]];
            doc.error(
                Some(first.line_of("needs")),
                Some(&first.node.id),
                format!("`needs`: a cycle: {path} (each node needs the next)"),
            )
        }
        Some((router, key, target)) => {
            let router = &nodes[router];
            doc.error(
                Some(router.line_of(key)),
                Some(&router.node.id),
                format!(
                    "`{key}`: routing to `{}` would create a cycle: {path} \
                     (each node needs, or is the route target of, the next)",
                    nodes[target].node.id
                ),
            )
        }
    }
}
