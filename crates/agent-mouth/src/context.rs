//! The state of one validation: findings as they are reported, spans
//! mapped back to the top-level source, and nested sources (`sh -c`,
//! `python -c`, strings a spawn runs) analysed in their own language.

use std::ops::Range;

use crate::catalog::{self, RuleMeta};
use crate::syntax::{parse_checked, Parsers};
use crate::verdict::Lang;

/// How many `sh -c` / `python -c` / `eval` layers are unwrapped.
pub const MAX_NESTED_SOURCES: usize = 8;

/// Maps byte offsets of an analysed text back to the top-level source.
#[derive(Clone, Debug)]
pub(crate) enum SpanMap {
    /// Offsets are the top-level offsets, shifted by the bytes removed
    /// before them (line continuations): `(local offset, removed so far)`.
    Shifted(Vec<(usize, usize)>),
    /// A nested source (the string of `sh -c`): everything maps to the
    /// span of the string in the top-level source.
    Fixed(Range<usize>),
}

impl SpanMap {
    pub(crate) fn map(&self, r: &Range<usize>) -> Range<usize> {
        match self {
            SpanMap::Fixed(f) => f.clone(),
            SpanMap::Shifted(shifts) => {
                // A start at a splice point lies after the removed bytes,
                // an end at a splice point before them.
                let shift = |p: usize, inclusive: bool| {
                    let idx =
                        shifts.partition_point(|&(at, _)| if inclusive { at <= p } else { at < p });
                    if idx == 0 {
                        p
                    } else {
                        p + shifts[idx - 1].1
                    }
                };
                let start = shift(r.start, true);
                start..shift(r.end, false).max(start)
            }
        }
    }
}

pub(crate) struct RawFinding {
    pub rule: &'static RuleMeta,
    pub range: Range<usize>,
    pub message: String,
}

/// Analysis state shared by the language modules for one top-level call.
pub(crate) struct Ctx<'p> {
    pub parsers: &'p mut Parsers,
    pub findings: Vec<RawFinding>,
    /// Nesting of `sh -c`-style sources.
    pub nesting: usize,
    /// Every program invocation seen in bash sources (for user rules).
    pub invocations: Vec<crate::user_rules::SeenInvocation>,
    /// What programs nothing knows get.
    pub unknown: crate::programs::UnknownPrograms,
}

impl Ctx<'_> {
    pub(crate) fn report(
        &mut self,
        map: &SpanMap,
        rule: &'static RuleMeta,
        local: Range<usize>,
        message: impl Into<String>,
    ) {
        let range = map.map(&local);
        let message = message.into();
        if self
            .findings
            .iter()
            .any(|f| f.rule.id == rule.id && f.range == range && f.message == message)
        {
            return;
        }
        self.findings.push(RawFinding {
            rule,
            range,
            message,
        });
    }

    /// Validates `src` (a string found inside the current source) as `lang`,
    /// reporting at `outer` in the top-level source.
    pub(crate) fn nested(&mut self, lang: Lang, src: &str, outer: Range<usize>, what: &str) {
        let map = SpanMap::Fixed(outer.clone());
        if self.nesting >= MAX_NESTED_SOURCES {
            self.report(
                &map,
                catalog::INPUT_TOO_DEEP,
                0..0,
                format!("{what}: more than {MAX_NESTED_SOURCES} nested shell/interpreter strings"),
            );
            return;
        }
        self.nesting += 1;
        let before = self.findings.len();
        analyze_source(self, lang, src, &map);
        for f in &mut self.findings[before..] {
            if !f.message.starts_with("in ") {
                f.message = format!("in {what}: {}", f.message);
            }
        }
        self.nesting -= 1;
    }
}

/// Parses and analyses one source (top-level or nested).
pub(crate) fn analyze_source(ctx: &mut Ctx<'_>, lang: Lang, src: &str, map: &SpanMap) {
    match lang {
        Lang::Bash => crate::bash::analyze(ctx, src, map),
        Lang::Python => {
            if let Some(tree) = parse_checked(ctx, lang, src, map) {
                crate::python::analyze(ctx, src, &tree, map);
            }
        }
        Lang::Typescript => {
            if let Some(tree) = parse_checked(ctx, lang, src, map) {
                crate::typescript::analyze(ctx, src, &tree, map);
            }
        }
    }
}
