//! `autonomic workflow check`: "ok" with the node kinds for a valid file,
//! the located error and exit 2 for an invalid one, the model with --json,
//! and run-time vars through --var.

use crate::{run, TestHome};

fn example(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name)
}

#[test]
fn a_valid_example_is_ok_with_its_kinds() {
    let home = TestHome::new();
    let (code, out, err) = run(
        &home,
        home.cmd()
            .args(["workflow", "check"])
            .arg(example("deploy-frontend.toml")),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "ok: deploy-frontend: 7 nodes (1 approval, 2 exec, 1 gate, 1 notify, 1 prompt, 1 scan)\n"
    );
}

#[test]
fn json_prints_the_model_in_order() {
    let home = TestHome::new();
    let (code, out, err) = run(
        &home,
        home.cmd()
            .args(["workflow", "check", "--json"])
            .arg(example("repo-audit.toml")),
    );
    assert_eq!(code, 0, "{err}");
    let model: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(model["name"], "repo-audit");
    let ids: Vec<&str> = model["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|node| node["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["scan", "gate", "history", "files", "report"]);
}

#[test]
fn an_invalid_file_is_exit_2_with_file_line_node_and_hint() {
    let home = TestHome::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs_err::write(
        &file,
        "[workflow]\nname = \"bad\"\n\n[[node]]\nid = \"push\"\nkind = \"exec\"\ncomand = \"git push\"\n",
    )
    .unwrap();
    let (code, out, err) = run(&home, home.cmd().args(["workflow", "check"]).arg(&file));
    assert_eq!(code, 2, "{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        format!(
            "error: {}:7: node `push`: `comand`: unknown key\nhint: did you mean \"command\"?\n",
            file.display()
        )
    );
}

#[test]
fn var_declares_a_run_time_variable() {
    let home = TestHome::new();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("wf.toml");
    fs_err::write(
        &file,
        "[workflow]\nname = \"v\"\n[[node]]\nid = \"say\"\nkind = \"notify\"\nmessage = \"to ${{ vars.who }}\"\n",
    )
    .unwrap();
    let (code, _, err) = run(&home, home.cmd().args(["workflow", "check"]).arg(&file));
    assert_eq!(code, 2);
    assert!(
        err.contains(":6: node `say`: `message`: references `vars.who`"),
        "{err}"
    );
    let (code, out, err) = run(
        &home,
        home.cmd()
            .args(["workflow", "check", "--var", "who=ops"])
            .arg(&file),
    );
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "ok: v: 1 node (1 notify)\n");
    let (code, _, err) = run(
        &home,
        home.cmd()
            .args(["workflow", "check", "--var", "no-equals"])
            .arg(&file),
    );
    assert_eq!(code, 2);
    assert!(err.contains("is not K=V"), "{err}");
}
