//! Loading a workflow file: TOML text → a checked [`Workflow`], or the
//! first [`WorkflowError`], naming the file, the line, the node and the key.
//!
//! The layers: `raw` reads spans and types, `node` one `[[node]]` per
//! kind, `graph` ids, edges, cycles and order, `refs` the checks across
//! nodes (templates, gate sources, `on_reject`, approvals). What it must not
//! do: run anything, touch the repository, or panic on any input (the
//! `workflow` fuzz target holds it to that).

mod graph;
mod node;
mod raw;
mod refs;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use toml::de::{DeTable, DeValue};

use self::node::{Located, SANDBOXES};
use self::raw::{Doc, Fields};
use super::model::{NodeDefaults, Source, Workflow, MAX_NODES};

/// A workflow file that cannot be loaded: where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct WorkflowError {
    /// The file.
    pub path: PathBuf,
    /// 1-based line, when the error has one.
    pub line: Option<usize>,
    /// The node's id, when the error is about one.
    pub node: Option<String>,
    /// What is wrong, starting with the key in backquotes when there is one.
    pub message: String,
    /// A next step ("did you mean …?"), when there is one.
    pub hint: Option<String>,
}

impl fmt::Display for WorkflowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(node) = &self.node {
            write!(f, ": node `{node}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl autonomic_core::Hint for WorkflowError {
    fn hint(&self) -> Option<String> {
        self.hint.clone()
    }
}

/// Reads and checks the workflow file at `path`; `extra_vars` are the
/// names given at run time (`--var K=V`), which templates may use too.
///
/// # Errors
///
/// The file cannot be read, or any check fails.
pub fn load(path: &Path, extra_vars: &[String]) -> Result<Workflow, WorkflowError> {
    let text = fs_err::read_to_string(path).map_err(|error| WorkflowError {
        path: path.to_path_buf(),
        line: None,
        node: None,
        message: format!("cannot read the workflow file: {}", error.kind()),
        hint: None,
    })?;
    parse(&text, path, extra_vars)
}

/// Checks `text`, read from `path` (used for locations and to resolve
/// `repo`).
///
/// # Errors
///
/// The first failing check, located.
pub fn parse(text: &str, path: &Path, extra_vars: &[String]) -> Result<Workflow, WorkflowError> {
    let doc = Doc::new(text, path);
    let root = DeTable::parse(text).map_err(|error| {
        let line = doc.line(error.span().map_or(0, |span| span.start));
        doc.error(
            Some(line),
            None,
            format!("TOML syntax: {}", error.message().trim()),
        )
    })?;
    let root = root.get_ref();
    let top = Fields::new(&doc, root, 0..0);
    top.check_keys(&["workflow", "vars", "node"], &|_| None)?;

    let header = header(&doc, root)?;
    let vars = vars(&doc, root)?;
    let nodes = nodes(&doc, root)?;
    let graph = graph::build(&doc, &nodes)?;
    let order = graph::order(&doc, &nodes, &graph)?;
    refs::check(&refs::Scope {
        doc: &doc,
        nodes: &nodes,
        graph: &graph,
        vars: vars
            .keys()
            .map(String::as_str)
            .chain(extra_vars.iter().map(String::as_str))
            .collect::<BTreeSet<_>>(),
    })?;

    let mut nodes: Vec<Option<Located>> = nodes.into_iter().map(Some).collect();
    let base = path.parent().unwrap_or(Path::new(""));
    Ok(Workflow {
        repo: base.join(&header.repo),
        project: header.project.unwrap_or_else(|| header.name.clone()),
        name: header.name,
        description: header.description,
        source: Source {
            path: path.to_path_buf(),
            text: text.to_owned(),
            sha256: autonomic_core::audit::sha256_hex(text),
        },
        defaults: header.defaults,
        vars,
        nodes: order
            .into_iter()
            .filter_map(|at| nodes[at].take().map(|located| located.node))
            .collect(),
    })
}

/// `[workflow]`, read.
struct Header {
    name: String,
    description: Option<String>,
    repo: String,
    project: Option<String>,
    defaults: NodeDefaults,
}

/// The table under `key` with its header's span, or a located type error.
fn table<'d, 'i>(
    doc: &Doc<'_>,
    root: &'d DeTable<'i>,
    key: &str,
    form: &str,
) -> Result<Option<(&'d DeTable<'i>, std::ops::Range<usize>)>, WorkflowError> {
    let Some((name, value)) = root.get_key_value(key) else {
        return Ok(None);
    };
    match value.get_ref() {
        DeValue::Table(table) => Ok(Some((table, value.span()))),
        other => Err(doc.error(
            Some(doc.line(name.span().start)),
            None,
            format!(
                "`{key}`: expected a table ({form}), found {}",
                other.type_str()
            ),
        )),
    }
}

fn header(doc: &Doc<'_>, root: &DeTable<'_>) -> Result<Header, WorkflowError> {
    let Some((table, span)) = table(doc, root, "workflow", "[workflow]")? else {
        return Err(doc.error(
            Some(1),
            None,
            "missing the [workflow] table (it names the workflow: [workflow] name = \"…\")",
        ));
    };
    let fields = Fields::new(doc, table, span);
    fields.check_keys(
        &[
            "name",
            "description",
            "repo",
            "project",
            "sandbox",
            "timeout",
            "memory",
        ],
        &|_| None,
    )?;
    let name = fields.required_string("name", "every workflow has a name")?;
    let name_ok = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if !name_ok {
        return Err(fields.error("name", "must be 1 to 64 letters, digits, `_`, `.` or `-`"));
    }
    let project = fields.string("project")?;
    if project
        .as_ref()
        .is_some_and(|p| p.is_empty() || p.len() > 64)
    {
        return Err(fields.error("project", "must be 1 to 64 characters"));
    }
    let repo = fields.string("repo")?.unwrap_or_else(|| ".".to_owned());
    if repo.is_empty() {
        return Err(fields.error(
            "repo",
            "must not be empty (write \".\" for the file's directory)",
        ));
    }
    Ok(Header {
        description: fields.string("description")?,
        repo,
        project,
        defaults: NodeDefaults {
            sandbox: fields.choice("sandbox", &SANDBOXES)?,
            timeout: fields.duration("timeout")?,
            memory_mib: fields.memory("memory")?,
        },
        name,
    })
}

/// Whether `name` is a var name: `[A-Za-z_][A-Za-z0-9_-]{0,63}`.
pub fn is_var_name(name: &str) -> bool {
    name.len() <= 64
        && name
            .as_bytes()
            .first()
            .is_some_and(|b| b.is_ascii_alphabetic() || *b == b'_')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

fn vars(doc: &Doc<'_>, root: &DeTable<'_>) -> Result<BTreeMap<String, String>, WorkflowError> {
    let Some((table, span)) = table(doc, root, "vars", "[vars]")? else {
        return Ok(BTreeMap::new());
    };
    let fields = Fields::new(doc, table, span);
    let mut vars = BTreeMap::new();
    for (name, _) in fields.keys() {
        if !is_var_name(name) {
            return Err(fields.error(
                name,
                "a var name is 1 to 64 letters, digits, `_` or `-`, starting with a letter or `_`",
            ));
        }
        let value = fields.string(name)?.unwrap_or_default();
        vars.insert(name.to_owned(), value);
    }
    Ok(vars)
}

fn nodes(doc: &Doc<'_>, root: &DeTable<'_>) -> Result<Vec<Located>, WorkflowError> {
    let no_nodes = || {
        doc.error(
            None,
            None,
            "the workflow has no nodes (add at least one [[node]] with an id and a kind)",
        )
    };
    let Some((key, value)) = root.get_key_value("node") else {
        return Err(no_nodes());
    };
    let key_line = doc.line(key.span().start);
    let DeValue::Array(items) = value.get_ref() else {
        let mut error = doc.error(
            Some(key_line),
            None,
            format!(
                "`node`: expected an array of tables ([[node]]), found {}",
                value.get_ref().type_str()
            ),
        );
        error.hint = Some("write each node as [[node]], with two brackets".to_owned());
        return Err(error);
    };
    if items.is_empty() {
        return Err(no_nodes());
    }
    if items.len() > MAX_NODES {
        return Err(doc.error(
            Some(key_line),
            None,
            format!(
                "{} nodes; a workflow holds at most {MAX_NODES}",
                items.len()
            ),
        ));
    }
    items
        .iter()
        .map(|item| match item.get_ref() {
            DeValue::Table(table) => node::node(Fields::new(doc, table, item.span())),
            other => Err(doc.error(
                Some(doc.line(item.span().start)),
                None,
                format!(
                    "`node`: expected a table ([[node]]), found {}",
                    other.type_str()
                ),
            )),
        })
        .collect()
}
