//! Checks across nodes once the graph is sound: template references
//! (known node, an ancestor, an output its kind has, a declared var), a
//! gate's `source`, `on_reject`'s prompt node, and the approval a node
//! that modifies external state needs.
//!
//! What it must not do: render templates (values exist only at run time).

use std::collections::BTreeSet;

use super::graph::Graph;
use super::node::Located;
use super::raw::{did_you_mean, Doc};
use super::WorkflowError;
use crate::workflow::model::{GateWhen, Node, NodeKind, PromptOutput};
use crate::workflow::template::{self, Ref};

/// What the reference checks need besides the nodes.
pub(super) struct Scope<'a> {
    /// The file.
    pub doc: &'a Doc<'a>,
    /// Every node, in file order.
    pub nodes: &'a [Located],
    /// Their edges.
    pub graph: &'a Graph,
    /// `[vars]` names and the run-time ones.
    pub vars: BTreeSet<&'a str>,
}

impl Scope<'_> {
    fn error(
        &self,
        located: &Located,
        key: &str,
        message: impl std::fmt::Display,
    ) -> WorkflowError {
        self.doc.error(
            Some(located.line_of(key)),
            Some(&located.node.id),
            format!("`{key}`: {message}"),
        )
    }

    fn node(&self, id: &str) -> Option<(usize, &Node)> {
        self.graph
            .index
            .get(id)
            .map(|at| (*at, &self.nodes[*at].node))
    }
}

/// The template-valued keys of `node`, with their text.
fn templates(node: &Node) -> Vec<(&'static str, &str)> {
    let mut out = node.kind.templates();
    if let Some(remember) = &node.remember {
        out.push(("remember", remember.as_str()));
    }
    out
}

/// Every check of this module, node by node.
pub(super) fn check(scope: &Scope<'_>) -> Result<(), WorkflowError> {
    for (at, located) in scope.nodes.iter().enumerate() {
        check_templates(scope, at, located)?;
        check_gate(scope, at, located)?;
        check_on_reject(scope, located)?;
        check_approval(scope, at, located)?;
    }
    Ok(())
}

fn check_templates(scope: &Scope<'_>, at: usize, located: &Located) -> Result<(), WorkflowError> {
    // Node references to check for ancestry, with the key they appear in.
    let mut wanted: Vec<(usize, &'static str)> = Vec::new();
    for (key, text) in templates(&located.node) {
        let refs = template::references(text).map_err(|error| scope.error(located, key, error))?;
        for reference in refs {
            match &reference {
                Ref::Workflow(_) => {}
                Ref::Var(name) => check_var(scope, located, key, name)?,
                Ref::Node { node, output } => {
                    let target = check_output(scope, located, key, node, output)?;
                    // A node's `remember` may use its own outputs.
                    if target != at || key != "remember" {
                        wanted.push((target, key));
                    }
                }
            }
        }
    }
    for (target, key) in wanted {
        if !scope.graph.walk_back(at, true, |from| from == target) {
            return Err(scope.error(
                located,
                key,
                format!(
                    "references `{}`, which is not among this node's needs \
                     (directly or through them), so its outputs may not exist yet",
                    scope.nodes[target].node.id
                ),
            ));
        }
    }
    Ok(())
}

fn check_var(
    scope: &Scope<'_>,
    located: &Located,
    key: &str,
    name: &str,
) -> Result<(), WorkflowError> {
    if scope.vars.contains(name) {
        return Ok(());
    }
    let mut error = scope.error(
        located,
        key,
        format!("references `vars.{name}`, which is neither in [vars] nor given with --var"),
    );
    error.hint = did_you_mean(name, scope.vars.iter().copied());
    Err(error)
}

/// The referenced node's position, once it exists and has `output`.
fn check_output(
    scope: &Scope<'_>,
    located: &Located,
    key: &str,
    node: &str,
    output: &str,
) -> Result<usize, WorkflowError> {
    let Some((target, referenced)) = scope.node(node) else {
        let mut error = scope.error(
            located,
            key,
            format!("references `nodes.{node}.{output}`, but no node has the id `{node}`"),
        );
        error.hint = did_you_mean(node, scope.graph.index.keys().map(String::as_str));
        return Err(error);
    };
    let outputs = referenced.kind.outputs();
    if !outputs.contains(&output) {
        let described = match &referenced.kind {
            NodeKind::Prompt { output, .. } => format!("prompt, output = \"{}\"", output.as_str()),
            kind => kind.name().to_owned(),
        };
        let mut error = scope.error(
            located,
            key,
            format!(
                "references `nodes.{node}.{output}`, but `{node}` ({described}) has no output \
                 `{output}` (it has: {})",
                outputs.join(", ")
            ),
        );
        error.hint = did_you_mean(output, outputs.iter().copied());
        return Err(error);
    }
    Ok(target)
}

/// A gate's source is among its needs and has the outputs `when` tests.
fn check_gate(scope: &Scope<'_>, at: usize, located: &Located) -> Result<(), WorkflowError> {
    let NodeKind::Gate { when, source, .. } = &located.node.kind else {
        return Ok(());
    };
    let Some((target, node)) = scope.node(source) else {
        return Ok(());
    };
    let (wanted, kinds): (&str, &[&str]) = match when {
        GateWhen::Findings { .. } => ("findings", &["scan"]),
        GateWhen::ExitCode { .. } => ("exit_code", &["exec", "agent"]),
        GateWhen::Verdict { .. } => ("verdict", &["exec"]),
    };
    let key = if located.lines.contains_key("source") {
        "source"
    } else {
        "needs"
    };
    if !kinds.contains(&node.kind.name()) {
        return Err(scope.error(
            located,
            key,
            format!(
                "when = \"{wanted}\" tests a {} node, but `{source}` is a {} node",
                kinds.join(" or "),
                node.kind.name()
            ),
        ));
    }
    if !scope.graph.walk_back(at, false, |from| from == target) {
        return Err(scope.error(
            located,
            key,
            format!("`{source}` is not among this gate's needs (directly or through them)"),
        ));
    }
    Ok(())
}

/// `on_reject` names a prompt node with output = "command" that the exec
/// node's `command` uses.
fn check_on_reject(scope: &Scope<'_>, located: &Located) -> Result<(), WorkflowError> {
    let (Some(prompt), NodeKind::Exec { command, .. }) =
        (&located.node.on_reject, &located.node.kind)
    else {
        return Ok(());
    };
    let Some((_, node)) = scope.node(prompt) else {
        return Ok(());
    };
    if !matches!(
        node.kind,
        NodeKind::Prompt {
            output: PromptOutput::Command,
            ..
        }
    ) {
        return Err(scope.error(
            located,
            "on_reject",
            format!(
                "`{prompt}` must be a prompt node with output = \"command\" (it is a {} node{})",
                node.kind.name(),
                match &node.kind {
                    NodeKind::Prompt { output, .. } =>
                        format!(" with output = \"{}\"", output.as_str()),
                    _ => String::new(),
                }
            ),
        ));
    }
    let wanted = Ref::Node {
        node: prompt.clone(),
        output: "command".to_owned(),
    };
    // `command` parsed already in check_templates.
    if !template::references(command).is_ok_and(|refs| refs.contains(&wanted)) {
        return Err(scope.error(
            located,
            "on_reject",
            format!("the node's `command` does not use `${{{{ nodes.{prompt}.command }}}}`, so regenerating it changes nothing"),
        ));
    }
    Ok(())
}

/// A node that modifies external state has an approval node among its
/// needs, or a waiver.
fn check_approval(scope: &Scope<'_>, at: usize, located: &Located) -> Result<(), WorkflowError> {
    let node = &located.node;
    // An outbound node's gate is agent-mouth's validation: a review asks
    // a human before anything is sent.
    if !node.modifies_external_state || node.waive_approval.is_some() || node.kind.is_outbound() {
        return Ok(());
    }
    let approved = scope.graph.walk_back(at, false, |from| {
        matches!(scope.nodes[from].node.kind, NodeKind::Approval { .. })
    });
    if approved {
        return Ok(());
    }
    let mut error = scope.error(
        located,
        "modifies_external_state",
        "a node that modifies external state needs an approval node among its needs \
         (directly or through them)",
    );
    error.hint = Some(
        "add an approval node to its needs, or waive_approval = \"<reason>\" (the waiver is audited)"
            .to_owned(),
    );
    Err(error)
}
