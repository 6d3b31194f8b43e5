//! Every built-in rule's reviewed examples: each `must_match` source
//! produces a finding with the rule's id, each `must_not_match` does not.

use agent_mouth::catalog::ALL;
use agent_mouth::validate;

#[test]
fn rule_ids_are_unique_and_well_formed() {
    let mut seen = std::collections::HashSet::new();
    for r in ALL {
        assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
        assert!(
            r.id.contains('.') || r.id == "user",
            "rule id {} has no family prefix",
            r.id
        );
        assert!(!r.reason.is_empty(), "rule {} has no reason", r.id);
    }
}

#[test]
fn must_match_examples_match() {
    let mut failures = Vec::new();
    for r in ALL {
        for src in r.must_match {
            let v = validate(r.lang, src);
            match v.findings.iter().find(|f| f.rule_id == r.id) {
                None => failures.push(format!(
                    "{}: no finding for {src:?} (got {:?})",
                    r.id,
                    v.findings.iter().map(|f| &f.rule_id).collect::<Vec<_>>()
                )),
                Some(f) if f.decision != r.decision => failures.push(format!(
                    "{}: decision {} != {}",
                    r.id, f.decision, r.decision
                )),
                Some(_) => {}
            }
            assert!(
                v.decision >= r.decision,
                "{}: verdict weaker than the rule for {src:?}",
                r.id
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn must_not_match_examples_do_not_match() {
    let mut failures = Vec::new();
    for r in ALL {
        for src in r.must_not_match {
            let v = validate(r.lang, src);
            if v.findings.iter().any(|f| f.rule_id == r.id) {
                failures.push(format!(
                    "{}: unexpected finding for {src:?}: {:?}",
                    r.id, v.findings
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_seed_blocklist_is_locked() {
    for id in [
        "parse.error",
        "bash.download_exec",
        "bash.pipe_to_shell",
        "bash.decode_exec",
        "bash.exec_dynamic",
    ] {
        let r = agent_mouth::catalog::find(id).expect("rule exists");
        assert!(r.locked, "{id} must be locked against user allow rules");
        assert_eq!(r.decision, agent_mouth::Decision::Deny);
    }
}
