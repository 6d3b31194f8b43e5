//! The workflow file format: every load check names the file, the line
//! and the node; a valid file becomes the expected model; random DAGs load
//! in a topological order and random cycles are named; every example in
//! `examples/` loads.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use agent_spine::workflow::load::{load, parse, WorkflowError};
use agent_spine::workflow::model::{
    GateFail, GateWhen, Network, Node, NodeDefaults, NodeKind, OnReview, PromptOutput, Risk,
    ScanTarget, Source, Workflow,
};
use autonomic_core::severity::Severity;
use autonomic_core::{Hint as _, SandboxLevel};
use proptest::prelude::*;

const PATH: &str = "flows/wf.toml";
const HEAD: &str = "[workflow]\nname = \"t\"\n";

fn check(text: &str, vars: &[&str]) -> Result<Workflow, WorkflowError> {
    let vars: Vec<String> = vars.iter().map(|v| (*v).to_owned()).collect();
    parse(text, Path::new(PATH), &vars)
}

/// The 1-based line holding the `# <-` marker.
fn marked_line(text: &str) -> usize {
    text.lines()
        .position(|line| line.contains("# <-"))
        .expect("a `# <-` marker")
        + 1
}

/// Loads `body` after the header and asserts the error names the file,
/// the marked line, `node`, and says `what`.
fn fails(body: &str, node: Option<&str>, what: &str) -> WorkflowError {
    let text = format!("{HEAD}{body}");
    let error = check(&text, &[]).expect_err("the file must be refused");
    assert_eq!(error.path, PathBuf::from(PATH), "{error}");
    assert_eq!(error.line, Some(marked_line(&text)), "{error}");
    assert_eq!(error.node.as_deref(), node, "{error}");
    assert!(error.message.contains(what), "`{what}` not in: {error}");
    let shown = error.to_string();
    assert!(
        shown.starts_with(&format!("{PATH}:{}: ", marked_line(&text))),
        "{shown}"
    );
    if let Some(node) = node {
        assert!(shown.contains(&format!("node `{node}`")), "{shown}");
    }
    error
}

#[test]
fn unknown_key_suggests_the_near_miss() {
    let error = fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncomand = \"ls\" # <-\n",
        Some("x"),
        "`comand`: unknown key",
    );
    assert_eq!(error.hint().as_deref(), Some("did you mean \"command\"?"));
    let error = fails("[workflow_] # <-\n", None, "unknown key");
    assert!(error.line.is_some());
}

#[test]
fn unknown_top_level_key_is_located() {
    let text = "[workflow]\nname = \"t\"\n[nodes] # <-\nid = \"a\"\n";
    let error = check(text, &[]).unwrap_err();
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.message.contains("`nodes`: unknown key"), "{error}");
    assert_eq!(error.hint().as_deref(), Some("did you mean \"node\"?"));
}

#[test]
fn missing_required_key_is_at_the_header() {
    fails(
        "[[node]] # <-\nid = \"x\"\nkind = \"exec\"\n",
        Some("x"),
        "missing required key `command`",
    );
    fails(
        "[[node]] # <-\nkind = \"exec\"\n",
        None,
        "missing required key `id`",
    );
    fails(
        "[[node]] # <-\nid = \"x\"\n",
        Some("x"),
        "missing required key `kind`",
    );
    let error = check("[workflow]\n[[node]]\nid = \"a\"\nkind = \"scan\"\n", &[]).unwrap_err();
    assert_eq!(error.line, Some(1), "{error}");
    assert!(error.message.contains("`name`"), "{error}");
}

#[test]
fn wrong_types_name_the_key() {
    fails(
        "[[node]]\nid = \"x\"\nkind = \"scan\"\nneeds = \"a\" # <-\n",
        Some("x"),
        "`needs`: expected an array of strings, found string",
    );
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = 5 # <-\n",
        Some("x"),
        "`command`: expected a string, found integer",
    );
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = \"ls\"\nnetwork = \"yes\" # <-\n",
        Some("x"),
        "`network`: expected true, false or an array of hosts",
    );
}

#[test]
fn a_key_of_another_kind_does_not_apply() {
    fails(
        "[[node]]\nid = \"s\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"s\"]\nwhen = \"findings\"\ncommand = \"ls\" # <-\n",
        Some("g"),
        "`command`: does not apply to a gate node (it is a key of exec nodes)",
    );
    fails(
        "[[node]]\nid = \"s\"\nkind = \"scan\"\non_reject = \"p\" # <-\n",
        Some("s"),
        "`on_reject`: does not apply to a scan node",
    );
    fails(
        "[[node]]\nid = \"n\"\nkind = \"notify\"\nmessage = \"hi\"\nsandbox = \"none\" # <-\n",
        Some("n"),
        "`sandbox`: does not apply to a notify node",
    );
}

#[test]
fn unknown_kind_suggests_one() {
    let error = fails(
        "[[node]]\nid = \"x\"\nkind = \"scna\" # <-\n",
        Some("x"),
        "unknown kind \"scna\"",
    );
    assert_eq!(error.hint().as_deref(), Some("did you mean \"scan\"?"));
}

#[test]
fn duplicate_and_malformed_ids() {
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"a\" # <-\nkind = \"scan\"\n",
        Some("a"),
        "duplicate id (first used by the node at line 3)",
    );
    fails(
        "[[node]]\nid = \"Bad Id\" # <-\nkind = \"scan\"\n",
        Some("Bad Id"),
        "`id`: must be 1 to 64",
    );
    fails(
        "[[node]]\nid = \"9a\" # <-\nkind = \"scan\"\n",
        Some("9a"),
        "`id`",
    );
    fails(
        "[[node]]\nid = \"hold\" # <-\nkind = \"scan\"\n",
        Some("hold"),
        "reserved",
    );
}

#[test]
fn references_to_unknown_nodes() {
    let error = fails(
        "[[node]]\nid = \"scan\"\nkind = \"scan\"\n[[node]]\nid = \"b\"\nkind = \"notify\"\nmessage = \"x\"\nneeds = [\"scna\"] # <-\n",
        Some("b"),
        "`needs`: no node has the id `scna`",
    );
    assert_eq!(error.hint().as_deref(), Some("did you mean \"scan\"?"));
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\non_failure = \"nope\" # <-\n",
        Some("a"),
        "`on_failure`: no node has the id `nope`",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\non_findings = \"nope\" # <-\n",
        Some("a"),
        "`on_findings`: no node has the id `nope`",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\"]\nwhen = \"findings\"\nsource = \"zz\" # <-\n",
        Some("g"),
        "`source`: no node has the id `zz`",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\"]\nwhen = \"findings\"\non_fail = \"nowhere\" # <-\n",
        Some("g"),
        "`on_fail`: no node has the id `nowhere`",
    );
}

#[test]
fn a_node_needing_itself() {
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\nneeds = [\"a\"] # <-\n",
        Some("a"),
        "`needs`: the node needs itself",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\non_failure = \"a\" # <-\n",
        Some("a"),
        "names the node itself",
    );
}

#[test]
fn a_cycle_is_named() {
    let error = fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\nneeds = [\"c\"] # <-\n\
         [[node]]\nid = \"b\"\nkind = \"scan\"\nneeds = [\"a\"]\n\
         [[node]]\nid = \"c\"\nkind = \"scan\"\nneeds = [\"b\"]\n\
         [[node]]\nid = \"root\"\nkind = \"scan\"\n",
        Some("a"),
        "a cycle: a → c → b → a",
    );
    assert!(
        error.message.contains("each node needs the next"),
        "{error}"
    );
}

#[test]
fn a_route_back_to_an_ancestor_is_a_cycle() {
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n\
         [[node]]\nid = \"b\"\nkind = \"exec\"\ncommand = \"ls\"\nneeds = [\"a\"]\non_failure = \"a\" # <-\n",
        Some("b"),
        "`on_failure`: routing to `a` would create a cycle",
    );
}

const EXEC_AFTER_SCAN: &str = "[[node]]\nid = \"scan\"\nkind = \"scan\"\n\
    [[node]]\nid = \"side\"\nkind = \"exec\"\ncommand = \"ls\"\n";

#[test]
fn template_references_are_checked() {
    fails(
        &format!("{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nneeds = [\"scan\"]\nmessage = \"${{{{ nodes.nope.summary }}}}\" # <-\n"),
        Some("n"),
        "no node has the id `nope`",
    );
    fails(
        &format!("{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nneeds = [\"scan\"]\nmessage = \"${{{{ nodes.side.stdout }}}}\" # <-\n"),
        Some("n"),
        "references `side`, which is not among this node's needs",
    );
    let error = fails(
        &format!("{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nneeds = [\"scan\"]\nmessage = \"${{{{ nodes.scan.sumary }}}}\" # <-\n"),
        Some("n"),
        "`scan` (scan) has no output `sumary`",
    );
    assert_eq!(error.hint().as_deref(), Some("did you mean \"summary\"?"));
    fails(
        &format!("{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nmessage = \"${{{{ vars.branch }}}}\" # <-\n"),
        Some("n"),
        "references `vars.branch`, which is neither in [vars] nor given with --var",
    );
    fails(
        &format!("{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nmessage = \"${{{{ env.HOME }}}}\" # <-\n"),
        Some("n"),
        "`message`: at byte 0 of the template",
    );
    // A run-time var satisfies the reference.
    let text = format!("{HEAD}{EXEC_AFTER_SCAN}[[node]]\nid = \"n\"\nkind = \"notify\"\nmessage = \"${{{{ vars.branch }}}}\"\n");
    check(&text, &["branch"]).unwrap();
}

#[test]
fn a_prompt_output_depends_on_its_mode() {
    fails(
        "[[node]]\nid = \"p\"\nkind = \"prompt\"\nprompt = \"x\"\noutput = \"text\"\n\
         [[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"${{ nodes.p.command }}\" # <-\n",
        Some("e"),
        "`p` (prompt, output = \"text\") has no output `command` (it has: text)",
    );
}

const PROMPT: &str = "[[node]]\nid = \"p\"\nkind = \"prompt\"\nprompt = \"give a command\"\n";

#[test]
fn on_reject_must_name_the_prompt_the_command_uses() {
    fails(
        "[[node]]\nid = \"s\"\nkind = \"scan\"\n[[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"s\"]\ncommand = \"ls\"\non_reject = \"s\" # <-\n",
        Some("e"),
        "`s` must be a prompt node with output = \"command\" (it is a scan node)",
    );
    fails(
        "[[node]]\nid = \"p\"\nkind = \"prompt\"\nprompt = \"x\"\noutput = \"text\"\n\
         [[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"ls\"\non_reject = \"p\" # <-\n",
        Some("e"),
        "with output = \"text\"",
    );
    fails(
        &format!("{PROMPT}[[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"ls\"\non_reject = \"p\" # <-\n"),
        Some("e"),
        "does not use `${{ nodes.p.command }}`",
    );
    let ok = format!("{HEAD}{PROMPT}[[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"${{{{ nodes.p.command }}}}\"\non_reject = \"p\"\nmax_attempts = 5\n");
    assert_eq!(check(&ok, &[]).unwrap().node("e").unwrap().max_attempts, 5);
}

const APPROVAL: &str = "[[node]]\nid = \"ok\"\nkind = \"approval\"\naction = \"push\"\n";

#[test]
fn external_state_needs_an_approval_or_a_waiver() {
    let error = fails(
        "[[node]]\nid = \"push\"\nkind = \"exec\"\ncommand = \"git push\"\nmodifies_external_state = true # <-\n",
        Some("push"),
        "needs an approval node among its needs",
    );
    assert!(error.hint().unwrap().contains("waive_approval"));
    // An approval two levels up counts.
    let text = format!("{HEAD}{APPROVAL}[[node]]\nid = \"mid\"\nkind = \"notify\"\nmessage = \"m\"\nneeds = [\"ok\"]\n[[node]]\nid = \"push\"\nkind = \"exec\"\ncommand = \"git push\"\nneeds = [\"mid\"]\nmodifies_external_state = true\n");
    let workflow = check(&text, &[]).unwrap();
    let push = workflow.node("push").unwrap();
    assert_eq!(
        push.effective_sandbox(&workflow.defaults),
        Some(SandboxLevel::Firecracker)
    );
    let waived = format!("{HEAD}[[node]]\nid = \"push\"\nkind = \"exec\"\ncommand = \"git push\"\nmodifies_external_state = true\nwaive_approval = \"CI bot, reviewed upstream\"\n");
    check(&waived, &[]).unwrap();
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = \"ls\"\nwaive_approval = \"why\" # <-\n",
        Some("x"),
        "applies only with `modifies_external_state = true`",
    );
}

#[test]
fn bad_durations_sizes_and_ranges() {
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = \"ls\"\ntimeout = \"10 minutes\" # <-\n",
        Some("x"),
        "is not a duration",
    );
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = \"ls\"\nmemory = \"2T\" # <-\n",
        Some("x"),
        "is not a size",
    );
    fails(
        &format!("{PROMPT}[[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"${{{{ nodes.p.command }}}}\"\non_reject = \"p\"\nmax_attempts = 11 # <-\n"),
        Some("e"),
        "`max_attempts`: 11 is out of range (1..=10)",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"agent\"\ngoal = \"g\"\nmax_steps = 0 # <-\n",
        Some("a"),
        "out of range (1..=100)",
    );
    fails(
        "[[node]]\nid = \"x\"\nkind = \"exec\"\ncommand = \"ls\"\nmax_attempts = 2 # <-\n",
        Some("x"),
        "applies only with `on_reject`",
    );
    let text =
        "[workflow]\nname = \"t\"\ntimeout = \"0s\" # <-\n[[node]]\nid = \"a\"\nkind = \"scan\"\n";
    let error = check(text, &[]).unwrap_err();
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.message.contains("out of range"), "{error}");
}

#[test]
fn gate_sources_are_typed_and_among_the_needs() {
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"b\"\nkind = \"scan\"\n\
         [[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\"]\nwhen = \"findings\"\nsource = \"b\" # <-\n",
        Some("g"),
        "`b` is not among this gate's needs",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\"] # <-\nwhen = \"exit_code\"\n",
        Some("g"),
        "tests a exec or agent node, but `a` is a scan node",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"b\"\nkind = \"scan\"\n\
         [[node]] # <-\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\", \"b\"]\nwhen = \"findings\"\n",
        Some("g"),
        "missing required key `source`",
    );
    fails(
        "[[node]]\nid = \"a\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"a\"]\nwhen = \"findings\"\nequals = 1 # <-\n",
        Some("g"),
        "`equals`: applies only with when = \"exit_code\"",
    );
}

#[test]
fn empty_and_oversized_workflows_and_syntax_errors() {
    let error = check(HEAD, &[]).unwrap_err();
    assert!(error.message.contains("no nodes"), "{error}");
    let error = check("[workflow]\nname = \"t\"\nx = = 1\n", &[]).unwrap_err();
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.message.starts_with("TOML syntax"), "{error}");
    let error = check("[workflow]\nname = \"t\"\n[node] # <-\nid = \"a\"\n", &[]).unwrap_err();
    assert_eq!(error.line, Some(3), "{error}");
    assert!(error.hint().unwrap().contains("[[node]]"));
    let many = format!("{HEAD}{}", "[[node]]\n".repeat(100_001));
    let error = check(&many, &[]).unwrap_err();
    assert!(error.message.contains("at most 100000"), "{error}");
    assert_eq!(error.line, Some(3), "{error}");
}

#[test]
fn a_valid_file_becomes_the_expected_model() {
    let text = r#"[workflow]
name = "deploy"
description = "d"
repo = "../app"
sandbox = "seccomp"
timeout = "10m"
memory = "2G"

[vars]
branch = "main"

[[node]]
id = "push"
kind = "exec"
needs = ["ok"]
command = "git push origin ${{ vars.branch }}"
modifies_external_state = true
network = ["github.com:443"]
on_failure = "tell"

[[node]]
id = "scan"
kind = "scan"
on_findings = "tell"

[[node]]
id = "ok"
kind = "approval"
needs = ["scan"]
action = "push ${{ vars.branch }}"
risk = "critical"

[[node]]
id = "tell"
kind = "notify"
message = "failed: $${{ not a ref }}"
"#;
    let workflow = check(text, &[]).unwrap();
    let node = |id: &str, line: usize, needs: &[&str], kind: NodeKind| Node {
        id: id.to_owned(),
        line,
        needs: needs.iter().map(|s| (*s).to_owned()).collect(),
        kind,
        sandbox: None,
        timeout: None,
        memory_mib: None,
        network: Network::Off,
        modifies_external_state: false,
        waive_approval: None,
        on_failure: None,
        on_reject: None,
        on_findings: None,
        max_attempts: 3,
        remember: None,
    };
    let expected = Workflow {
        name: "deploy".into(),
        description: Some("d".into()),
        source: Source {
            path: PATH.into(),
            text: text.into(),
            sha256: autonomic_core::audit::sha256_hex(text),
        },
        repo: PathBuf::from("flows/../app"),
        project: "deploy".into(),
        defaults: NodeDefaults {
            sandbox: Some(SandboxLevel::Seccomp),
            timeout: Some(Duration::from_secs(600)),
            memory_mib: Some(2048),
        },
        vars: BTreeMap::from([("branch".to_owned(), "main".to_owned())]),
        nodes: vec![
            Node {
                on_findings: Some("tell".into()),
                ..node(
                    "scan",
                    21,
                    &[],
                    NodeKind::Scan {
                        target: ScanTarget::Repo,
                        recursive: true,
                    },
                )
            },
            node(
                "ok",
                26,
                &["scan"],
                NodeKind::Approval {
                    action: "push ${{ vars.branch }}".into(),
                    risk: Risk::Critical,
                },
            ),
            Node {
                modifies_external_state: true,
                network: Network::Hosts(vec!["github.com:443".into()]),
                on_failure: Some("tell".into()),
                ..node(
                    "push",
                    12,
                    &["ok"],
                    NodeKind::Exec {
                        command: "git push origin ${{ vars.branch }}".into(),
                        on_review: OnReview::Approval,
                    },
                )
            },
            node(
                "tell",
                33,
                &[],
                NodeKind::Notify {
                    message: "failed: $${{ not a ref }}".into(),
                    channel: agent_spine::workflow::model::NotifyChannel::Local,
                },
            ),
        ],
    };
    assert_eq!(workflow, expected);
    assert_eq!(
        workflow.route_targets().into_iter().collect::<Vec<_>>(),
        vec!["tell"]
    );
    assert_eq!(workflow.dependents("ok"), vec!["push"]);
    // The model survives JSON (what `workflow check --json` prints).
    let json = serde_json::to_string(&workflow).unwrap();
    assert_eq!(serde_json::from_str::<Workflow>(&json).unwrap(), workflow);
}

#[test]
fn defaults_of_each_kind() {
    let text = format!(
        "{HEAD}[[node]]\nid = \"s\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"s\"]\nwhen = \"findings\"\n\
         [[node]]\nid = \"p\"\nkind = \"prompt\"\nneeds = [\"g\"]\nprompt = \"q\"\n\
         [[node]]\nid = \"e\"\nkind = \"exec\"\nneeds = [\"p\"]\ncommand = \"${{{{ nodes.p.command }}}}\"\n\
         [[node]]\nid = \"v\"\nkind = \"gate\"\nneeds = [\"e\"]\nwhen = \"verdict\"\n\
         [[node]]\nid = \"a\"\nkind = \"agent\"\ngoal = \"fix\"\n"
    );
    let workflow = check(&text, &[]).unwrap();
    let kind = |id: &str| workflow.node(id).unwrap().kind.clone();
    assert_eq!(
        kind("g"),
        NodeKind::Gate {
            when: GateWhen::Findings { at_least: None },
            source: "s".into(),
            on_fail: GateFail::Hold
        }
    );
    assert_eq!(
        kind("v"),
        NodeKind::Gate {
            when: GateWhen::Verdict {
                allow: vec![autonomic_core::Decision::Allow]
            },
            source: "e".into(),
            on_fail: GateFail::Fail
        }
    );
    assert_eq!(
        kind("p"),
        NodeKind::Prompt {
            prompt: "q".into(),
            system: None,
            output: PromptOutput::Command,
            context_budget: 400,
            max_tokens: 256
        }
    );
    assert_eq!(
        kind("a"),
        NodeKind::Agent {
            goal: "fix".into(),
            max_steps: 8,
            on_review: OnReview::Refuse
        }
    );
    assert_eq!(workflow.node("e").unwrap().network, Network::Off);
    let at_least = format!("{HEAD}[[node]]\nid = \"s\"\nkind = \"scan\"\n[[node]]\nid = \"g\"\nkind = \"gate\"\nneeds = [\"s\"]\nwhen = \"findings\"\nat_least = \"critical\"\n");
    assert_eq!(
        check(&at_least, &[]).unwrap().node("g").unwrap().kind,
        NodeKind::Gate {
            when: GateWhen::Findings {
                at_least: Some(Severity::Critical)
            },
            source: "s".into(),
            on_fail: GateFail::Hold
        }
    );
}

#[test]
fn every_example_loads() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut names = Vec::new();
    for entry in fs_err::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            let workflow = load(&path, &[]).unwrap_or_else(|error| panic!("{error}"));
            assert!(
                workflow.repo.is_dir(),
                "{}: repo {} is not a directory",
                path.display(),
                workflow.repo.display()
            );
            names.push(workflow.name);
        }
    }
    names.sort();
    assert_eq!(names, ["deploy-frontend", "fix-failing-test", "repo-audit"]);
}

#[test]
fn load_names_a_missing_file() {
    let error = load(Path::new("/nonexistent/wf.toml"), &[]).unwrap_err();
    assert_eq!(error.path, PathBuf::from("/nonexistent/wf.toml"));
    assert!(
        error
            .to_string()
            .starts_with("/nonexistent/wf.toml: cannot read"),
        "{error}"
    );
}

/// A DAG over `n` nodes: `rank` is a permutation giving each node's place
/// in a hidden order; node i may need node j only when rank[j] < rank[i].
fn dag_text(rank: &[usize], edges: &[(usize, usize)], extra: &[(usize, usize)]) -> String {
    let mut text = HEAD.to_owned();
    for i in 0..rank.len() {
        let needs: Vec<String> = edges
            .iter()
            .chain(extra)
            .filter(|(from, _)| *from == i)
            .map(|(_, to)| format!("\"n{to}\""))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        text.push_str(&format!(
            "[[node]]\nid = \"n{i}\"\nkind = \"notify\"\nmessage = \"m\"\nneeds = [{}]\n",
            needs.join(", ")
        ));
    }
    text
}

fn dag() -> impl Strategy<Value = (Vec<usize>, Vec<(usize, usize)>)> {
    (1usize..25).prop_flat_map(|n| {
        (
            Just((0..n).collect::<Vec<_>>()).prop_shuffle(),
            proptest::collection::btree_set((0..n, 0..n), 0..n * 2),
        )
            .prop_map(|(rank, pairs)| {
                let edges = pairs
                    .into_iter()
                    .filter(|(a, b)| rank[*b] < rank[*a])
                    .collect();
                (rank, edges)
            })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn random_dags_load_in_topological_order((rank, edges) in dag()) {
        let workflow = check(&dag_text(&rank, &edges, &[]), &[]).unwrap();
        prop_assert_eq!(workflow.nodes.len(), rank.len());
        let position: BTreeMap<&str, usize> = workflow
            .nodes
            .iter()
            .enumerate()
            .map(|(at, node)| (node.id.as_str(), at))
            .collect();
        for node in &workflow.nodes {
            for need in &node.needs {
                prop_assert!(position[need.as_str()] < position[node.id.as_str()], "{} before {}", need, node.id);
            }
        }
    }

    #[test]
    fn random_cycles_are_named((rank, edges) in dag(), picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..6)) {
        let n = rank.len();
        // A cycle through distinct nodes, in rank order so it closes back.
        let mut members: Vec<usize> = picks.iter().map(|pick| pick.index(n)).collect();
        members.sort_unstable();
        members.dedup();
        let extra: Vec<(usize, usize)> = if members.len() == 1 {
            vec![(members[0], members[0])]
        } else {
            (0..members.len()).map(|k| (members[k], members[(k + 1) % members.len()])).collect()
        };
        let text = dag_text(&rank, &edges, &extra);
        let error = check(&text, &[]).unwrap_err();
        prop_assert!(error.line.is_some() && error.node.is_some(), "{}", error);
        if members.len() == 1 {
            prop_assert!(error.message.contains("needs itself"), "{}", error);
        } else {
            let named = error.message.split("a cycle: ").nth(1).unwrap().split(" (").next().unwrap();
            let ids: Vec<&str> = named.split(" → ").collect();
            prop_assert!(ids.len() >= 3 && ids.first() == ids.last(), "{}", error);
            // Each named node needs the next: the cycle is real.
            let needs_of = |id: &str| -> Vec<String> {
                let i: usize = id[1..].parse().unwrap();
                edges.iter().chain(&extra).filter(|(from, _)| *from == i).map(|(_, to)| format!("n{to}")).collect()
            };
            for pair in ids.windows(2) {
                prop_assert!(needs_of(pair[0]).contains(&pair[1].to_owned()), "{} does not need {}: {}", pair[0], pair[1], error);
            }
        }
    }
}

/// The example that exercises the most keys, as fuzzing's starting point.
fn seed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/deploy-frontend.toml");
    fs_err::read_to_string(path).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// What the `workflow` fuzz target checks, over mutations of an example:
    /// a workflow or an error whose line is inside the input, never a panic.
    #[test]
    fn mutated_files_give_a_workflow_or_a_located_error(
        cut in any::<prop::sample::Index>(),
        len in 0usize..40,
        insert in "[\\[\\]=\"{}$a-z0-9_.\\n #-]{0,12}",
    ) {
        let text = seed();
        let start = cut.index(text.len());
        let start = (0..=start).rev().find(|at| text.is_char_boundary(*at)).unwrap_or(0);
        let end = (start + len).min(text.len());
        let end = (end..=text.len()).find(|at| text.is_char_boundary(*at)).unwrap_or(text.len());
        let mutated = format!("{}{insert}{}", &text[..start], &text[end..]);
        let lines = mutated.split('\n').count();
        if let Err(error) = check(&mutated, &[]) {
            if let Some(line) = error.line {
                prop_assert!(line >= 1 && line <= lines, "line {} of {}: {}", line, lines, error);
            }
        }
    }
}
