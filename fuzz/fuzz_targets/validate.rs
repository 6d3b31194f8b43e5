//! Fuzzes `Validator::validate_bytes` with arbitrary bytes in every language.
//!
//! The first input byte picks the language (`% 3`: bash, python,
//! typescript); the rest is the source. The validator must never panic, and
//! every verdict must be well formed:
//!
//! - every finding's span satisfies `start <= end <= input length`;
//! - for valid UTF-8 input, `start` and `end` are char boundaries (the CLI
//!   slices the source with them) and `line`/`col` match the source;
//! - `line >= 1` and `col >= 1`;
//! - the verdict's decision is the strictest finding's (`allow` when none).
#![no_main]

use std::cell::RefCell;

use agent_mouth::{Decision, Lang, Validator};
use libfuzzer_sys::fuzz_target;

thread_local! {
    // Reused like the CLI and the agent do, so state leaking between calls
    // (parser reuse) is exercised too.
    static VALIDATOR: RefCell<Validator> = RefCell::new(Validator::default());
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, source)) = data.split_first() else {
        return;
    };
    let lang = match first % 3 {
        0 => Lang::Bash,
        1 => Lang::Python,
        _ => Lang::Typescript,
    };
    let verdict = VALIDATOR.with(|v| v.borrow_mut().validate_bytes(lang, source));
    let text = std::str::from_utf8(source).ok();

    for f in &verdict.findings {
        let s = f.span;
        assert!(
            s.start <= s.end && s.end <= source.len(),
            "{}: span {}..{} outside the {}-byte input",
            f.rule_id,
            s.start,
            s.end,
            source.len()
        );
        assert!(
            s.line >= 1 && s.col >= 1,
            "{}: line {} col {}",
            f.rule_id,
            s.line,
            s.col
        );
        if let Some(text) = text {
            assert!(
                text.is_char_boundary(s.start) && text.is_char_boundary(s.end),
                "{}: span {}..{} splits a character",
                f.rule_id,
                s.start,
                s.end
            );
            let before = &text[..s.start];
            let line = before.matches('\n').count() + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            assert_eq!(
                (s.line, s.col),
                (line, col),
                "{}: line/col do not match offset {}",
                f.rule_id,
                s.start
            );
        }
    }

    let strictest = verdict
        .findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    assert_eq!(
        verdict.decision, strictest,
        "verdict decision is not the strictest finding's: {:?}",
        verdict.findings
    );
});
