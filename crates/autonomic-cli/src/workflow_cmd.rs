//! `autonomic workflow check FILE [--var K=V]... [--json]`: load a workflow
//! file through `agent_spine::workflow::load` and say whether it is valid.
//! Thin on purpose: every check lives in the library.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use agent_spine::workflow::load;
use agent_spine::workflow::model::Workflow;

/// `autonomic workflow …`.
#[derive(Debug, clap::Subcommand)]
pub enum WorkflowCommand {
    /// Check a workflow file: keys, types, references, cycles, approvals (exit 2 if invalid).
    Check(CheckArgs),
}

/// `autonomic workflow check`.
#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// The workflow file (TOML; see docs/workflows.md).
    pub file: PathBuf,
    /// A run-time variable, as `--var K=V` would give it to `run` (repeatable).
    #[arg(long = "var", value_name = "K=V", value_parser = parse_var)]
    pub vars: Vec<(String, String)>,
    /// Print the checked model as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `K=V` → (K, V); K must be a var name.
fn parse_var(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not K=V"))?;
    if !load::is_var_name(name) {
        return Err(format!(
            "`{name}` is not a var name (letters, digits, `_` or `-`, starting with a letter or `_`)"
        ));
    }
    Ok((name.to_owned(), value.to_owned()))
}

/// Runs `autonomic workflow …`.
pub fn run(command: &WorkflowCommand) -> anyhow::Result<ExitCode> {
    match command {
        WorkflowCommand::Check(args) => check(args),
    }
}

fn check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let names: Vec<String> = args.vars.iter().map(|(name, _)| name.clone()).collect();
    let workflow = load::load(&args.file, &names)?;
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", serde_json::to_string_pretty(&workflow)?)?;
    } else {
        writeln!(stdout, "{}", summary(&workflow))?;
    }
    Ok(ExitCode::from(crate::EXIT_OK))
}

/// "ok: NAME: N nodes (2 exec, 1 scan, …)".
fn summary(workflow: &Workflow) -> String {
    let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
    for node in &workflow.nodes {
        *kinds.entry(node.kind.name()).or_default() += 1;
    }
    let kinds: Vec<String> = kinds
        .into_iter()
        .map(|(kind, count)| format!("{count} {kind}"))
        .collect();
    let n = workflow.nodes.len();
    format!(
        "ok: {}: {n} node{} ({})",
        workflow.name,
        if n == 1 { "" } else { "s" },
        kinds.join(", ")
    )
}
