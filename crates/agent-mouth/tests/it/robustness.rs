//! Hostile input never panics: empty, huge, invalid UTF-8, deep nesting.

use agent_mouth::{Decision, Lang, Validator, MAX_SOURCE_BYTES};
use proptest::prelude::*;

use crate::ids;

#[test]
fn empty_input_is_allowed() {
    for lang in [Lang::Bash, Lang::Python, Lang::Typescript] {
        assert_eq!(agent_mouth::validate(lang, "").decision, Decision::Allow);
    }
}

#[test]
fn a_one_mebibyte_command_gets_a_verdict() {
    let mut v = Validator::default();
    let big = format!("echo {}", "a".repeat(MAX_SOURCE_BYTES - 10));
    assert_eq!(v.validate(Lang::Bash, &big).decision, Decision::Allow);
    let too_big = "a".repeat(MAX_SOURCE_BYTES + 1);
    let verdict = v.validate(Lang::Bash, &too_big);
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(ids(&verdict), ["input.too_large"]);
}

#[test]
fn invalid_utf8_is_denied_with_its_offset() {
    let mut v = Validator::default();
    let verdict = v.validate_bytes(Lang::Bash, b"echo \xff\xfe");
    assert_eq!(verdict.decision, Decision::Deny);
    assert_eq!(verdict.findings[0].rule_id, "input.invalid_utf8");
    assert!(
        verdict.findings[0].message.contains("offset 5"),
        "{}",
        verdict.findings[0].message
    );
}

#[test]
fn deep_nesting_is_denied_not_a_stack_overflow() {
    let mut v = Validator::default();
    let n = 10_000;
    let subst = format!("echo {}x{}", "$(".repeat(n), ")".repeat(n));
    assert_eq!(v.validate(Lang::Bash, &subst).decision, Decision::Deny);
    let parens = format!("{}ls{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(v.validate(Lang::Bash, &parens).decision, Decision::Deny);
    let py = format!("x = {}1{}", "(".repeat(n), ")".repeat(n));
    assert_eq!(v.validate(Lang::Python, &py).decision, Decision::Deny);
    let ts = format!("let x = {}1{};", "[".repeat(n), "]".repeat(n));
    assert_eq!(v.validate(Lang::Typescript, &ts).decision, Decision::Deny);
}

#[test]
fn nul_bytes_are_denied() {
    assert_eq!(
        agent_mouth::validate(Lang::Bash, "ls\0 -la").decision,
        Decision::Deny
    );
}

#[test]
fn parse_errors_deny_with_a_location() {
    let v = agent_mouth::validate(Lang::Bash, "echo ok\nif then fi");
    assert_eq!(v.decision, Decision::Deny);
    let f = &v.findings[0];
    assert_eq!(f.rule_id, "parse.error");
    assert_eq!(f.span.line, 2);
    let v = agent_mouth::validate(Lang::Python, "def f(:\n  pass");
    assert_eq!(v.decision, Decision::Deny);
    assert_eq!(v.findings[0].rule_id, "parse.error");
}

fn check_invariants(src: &[u8], lang: Lang) {
    let mut v = Validator::default();
    let verdict = v.validate_bytes(lang, src);
    let max = verdict
        .findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    assert_eq!(verdict.decision, max);
    let text = String::from_utf8_lossy(src);
    for f in &verdict.findings {
        assert!(f.span.start <= f.span.end && f.span.end <= text.len().max(src.len()));
        assert!(f.span.line >= 1 && f.span.col >= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(src in proptest::collection::vec(any::<u8>(), 0..300), lang in 0u8..3) {
        let lang = [Lang::Bash, Lang::Python, Lang::Typescript][lang as usize];
        check_invariants(&src, lang);
    }

    #[test]
    fn shell_like_text_never_panics(src in "[a-z $'\"`\\\\|&;<>(){}\\[\\]*?!~#=/.\\n-]{0,120}") {
        check_invariants(src.as_bytes(), Lang::Bash);
    }
}
