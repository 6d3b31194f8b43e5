//! Integration tests for agent-mouth: the rule catalog's own examples,
//! normalisation, wrappers, robustness, user rules and the public corpora.

mod catalog;
mod corpus;
mod git_config;
mod github_api;
mod normalize;
mod outbound;
mod outbound_email;
mod programs;
mod python_flow;
mod python_ts;
mod robustness;
mod steering;
mod techniques;
mod trusted_files;
mod ts_flow;
mod user_rules;
mod wrappers;

use std::path::{Path, PathBuf};

use agent_mouth::{validate, Decision, Lang, Verdict};

/// `<workspace>/testdata/<rel>` (see `testdata/README.md`). Panics naming the
/// path when it is missing: a test never passes by skipping its data.
#[track_caller]
pub(crate) fn testdata(rel: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    assert!(path.exists(), "test data missing: {}", path.display());
    path
}

/// Validates bash.
pub(crate) fn bash(src: &str) -> Verdict {
    validate(Lang::Bash, src)
}

/// Rule ids of a verdict.
pub(crate) fn ids(v: &Verdict) -> Vec<&str> {
    v.findings.iter().map(|f| f.rule_id.as_str()).collect()
}

/// Asserts `src` gets `decision` and a finding with `rule`.
#[track_caller]
pub(crate) fn assert_rule(lang: Lang, src: &str, decision: Decision, rule: &str) {
    let v = validate(lang, src);
    assert_eq!(
        v.decision, decision,
        "decision for {src:?}: {:#?}",
        v.findings
    );
    assert!(
        ids(&v).contains(&rule),
        "{rule} not among {:?} for {src:?}",
        ids(&v)
    );
}

/// Asserts every one of `srcs` gets exactly `decision`, naming the source
/// and its rule ids when one does not.
#[track_caller]
pub(crate) fn assert_each(lang: Lang, srcs: &[&str], decision: Decision) {
    for src in srcs {
        let v = validate(lang, src);
        assert_eq!(v.decision, decision, "{src}: {:?}", ids(&v));
    }
}
