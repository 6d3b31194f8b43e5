//! The validator: parser reuse, limits, nested-source recursion and the
//! final combination of findings into a verdict.

use std::ops::Range;

use autonomic_core::Decision;
use tree_sitter::{Node, Parser, Tree};

use crate::catalog::{self, RuleMeta};
use crate::user_rules::UserRules;
use crate::verdict::{Finding, Lang, Span, Verdict};

/// Largest source accepted (bytes). Larger input is denied, not parsed.
pub const MAX_SOURCE_BYTES: usize = 1024 * 1024;
/// Deepest syntax nesting walked. Deeper input is denied.
pub const MAX_AST_DEPTH: usize = 256;
/// How many `sh -c` / `python -c` / `eval` layers are unwrapped.
pub const MAX_NESTED_SOURCES: usize = 8;

/// One tree-sitter parser per language, created once and reused.
pub(crate) struct Parsers {
    bash: Parser,
    python: Parser,
    typescript: Parser,
    tsx: Parser,
}

impl Parsers {
    fn new() -> Parsers {
        let mk = |lang: tree_sitter::Language| {
            let mut p = Parser::new();
            // The grammars are compiled into this crate; a version mismatch
            // is a build error we want to see immediately.
            #[expect(clippy::expect_used, reason = "grammar ABI is fixed at build time")]
            p.set_language(&lang)
                .expect("tree-sitter grammar ABI mismatch");
            p
        };
        Parsers {
            bash: mk(tree_sitter_bash::LANGUAGE.into()),
            python: mk(tree_sitter_python::LANGUAGE.into()),
            typescript: mk(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()),
            tsx: mk(tree_sitter_typescript::LANGUAGE_TSX.into()),
        }
    }

    pub(crate) fn parse(&mut self, lang: Lang, src: &str) -> Option<Tree> {
        let p = match lang {
            Lang::Bash => &mut self.bash,
            Lang::Python => &mut self.python,
            Lang::Typescript => &mut self.typescript,
        };
        p.reset();
        let tree = p.parse(src, None)?;
        if lang == Lang::Typescript && tree.root_node().has_error() {
            // JSX only parses with the TSX grammar (which in turn rejects
            // `<T>expr` casts): take whichever parses.
            self.tsx.reset();
            if let Some(t) = self.tsx.parse(src, None) {
                if !t.root_node().has_error() {
                    return Some(t);
                }
            }
        }
        Some(tree)
    }
}

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

/// Node kind names by id, one table per grammar: `Node::kind` measures and
/// UTF-8-checks a C string on every call, which a profile of the validator
/// showed at ~3% of its time.
struct KindTables {
    tables: [Vec<String>; 4],
}

static KINDS: std::sync::LazyLock<KindTables> = std::sync::LazyLock::new(|| {
    let table = |l: tree_sitter::Language| -> Vec<String> {
        (0..l.node_kind_count())
            .map(|id| {
                u16::try_from(id)
                    .ok()
                    .and_then(|id| l.node_kind_for_id(id))
                    .unwrap_or("")
                    .to_owned()
            })
            .collect()
    };
    KindTables {
        tables: [
            table(tree_sitter_bash::LANGUAGE.into()),
            table(tree_sitter_python::LANGUAGE.into()),
            table(tree_sitter_typescript::LANGUAGE_TYPESCRIPT.into()),
            table(tree_sitter_typescript::LANGUAGE_TSX.into()),
        ],
    }
});

/// A node or a reference to one (for [`kind`]).
pub(crate) trait AsNode<'t> {
    fn as_node(&self) -> Node<'t>;
}

impl<'t> AsNode<'t> for Node<'t> {
    fn as_node(&self) -> Node<'t> {
        *self
    }
}

impl<'t> AsNode<'t> for &Node<'t> {
    fn as_node(&self) -> Node<'t> {
        **self
    }
}

impl<'t> AsNode<'t> for &&Node<'t> {
    fn as_node(&self) -> Node<'t> {
        ***self
    }
}

/// The node's kind (`Node::kind`), from its grammar's table (the grammars
/// have different kind counts, which picks the table; a test checks they
/// do).
pub(crate) fn kind<'t>(n: impl AsNode<'t>) -> &'t str {
    let n = n.as_node();
    let count = n.language().node_kind_count();
    KINDS
        .tables
        .iter()
        .find(|t| t.len() == count)
        .and_then(|t| t.get(usize::from(n.kind_id())))
        .map_or_else(|| n.kind(), String::as_str)
}

/// Parses `src`; reports parse errors, excessive depth, and returns the tree
/// only when it is safe and complete to walk.
pub(crate) fn parse_checked(
    ctx: &mut Ctx<'_>,
    lang: Lang,
    src: &str,
    map: &SpanMap,
) -> Option<Tree> {
    let Some(tree) = ctx.parsers.parse(lang, src) else {
        ctx.report(
            map,
            catalog::PARSE_ERROR,
            0..src.len(),
            "the parser gave up",
        );
        return None;
    };
    let root = tree.root_node();
    match check_tree(root) {
        TreeCheck::Ok => Some(tree),
        TreeCheck::TooDeep(r) => {
            ctx.report(
                map,
                catalog::INPUT_TOO_DEEP,
                r,
                format!("syntax nested deeper than {MAX_AST_DEPTH} levels"),
            );
            None
        }
        TreeCheck::Errors(errs) => {
            for (r, missing, kind) in errs.into_iter().take(5) {
                if missing {
                    ctx.report(
                        map,
                        catalog::PARSE_ERROR,
                        r,
                        format!("syntax error: missing `{kind}` here"),
                    );
                } else {
                    ctx.report(
                        map,
                        catalog::PARSE_ERROR,
                        r,
                        format!("{lang} syntax error: this does not parse"),
                    );
                }
            }
            None
        }
    }
}

enum TreeCheck {
    Ok,
    TooDeep(Range<usize>),
    Errors(Vec<(Range<usize>, bool, String)>),
}

/// Iterative walk (no recursion: input depth is attacker-controlled).
fn check_tree(root: Node<'_>) -> TreeCheck {
    let mut errs = Vec::new();
    let mut cursor = root.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if depth > MAX_AST_DEPTH {
            return TreeCheck::TooDeep(node.byte_range());
        }
        if node.is_error() || node.is_missing() {
            // Point at the first token the parser could not place, not at
            // the start of the statement the error swallowed.
            let mut start = node.start_byte();
            let mut c = node.walk();
            if let Some(first_bad) = node
                .children(&mut c)
                .find(|ch| !ch.is_named() || ch.is_error() || ch.is_missing())
            {
                start = first_bad.start_byte();
            }
            errs.push((
                start..node.end_byte(),
                node.is_missing(),
                kind(node).to_string(),
            ));
        }
        let descend = node.has_error() || node.child_count() > 0;
        if descend && cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return if errs.is_empty() {
                    TreeCheck::Ok
                } else {
                    TreeCheck::Errors(errs)
                };
            }
            depth -= 1;
        }
    }
}

/// Every named node under `root`, in source order, without recursion
/// (the depth of untrusted input was checked by [`parse_checked`]).
pub(crate) fn named_nodes(root: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(n) = stack.pop() {
        out.push(n);
        let mut c = n.walk();
        let kids: Vec<Node<'_>> = n.named_children(&mut c).collect();
        stack.extend(kids.into_iter().rev());
    }
    out
}

/// A reusable validator: parsers are created once; rules are fixed at
/// construction.
pub struct Validator {
    parsers: Parsers,
    user: UserRules,
    unknown: crate::programs::UnknownPrograms,
}

impl Default for Validator {
    fn default() -> Self {
        Validator::new(UserRules::default())
    }
}

impl Validator {
    /// A validator with the built-in rules plus `user` rules.
    pub fn new(user: UserRules) -> Validator {
        Validator {
            parsers: Parsers::new(),
            user,
            unknown: crate::programs::UnknownPrograms::default(),
        }
    }

    /// The same validator with another policy for programs nothing knows
    /// (`[mouth] unknown_programs`).
    pub fn with_unknown_programs(mut self, policy: crate::programs::UnknownPrograms) -> Validator {
        self.unknown = policy;
        self
    }

    /// Validates raw bytes: invalid UTF-8 is denied with its offset.
    pub fn validate_bytes(&mut self, lang: Lang, source: &[u8]) -> Verdict {
        match std::str::from_utf8(source) {
            Ok(s) => self.validate(lang, s),
            Err(e) => {
                let lossy = String::from_utf8_lossy(source);
                let at = e.valid_up_to();
                let at = lossy.len().min(at);
                let finding = Finding {
                    rule_id: catalog::INPUT_INVALID_UTF8.id.to_string(),
                    decision: Decision::Deny,
                    message: format!("input is not valid UTF-8 (first bad byte at offset {at})"),
                    span: Span::new(&lossy, at, at + 1),
                    snippet: String::new(),
                };
                Verdict {
                    decision: Decision::Deny,
                    findings: vec![finding],
                }
            }
        }
    }

    /// Validates `source` as `lang`.
    pub fn validate(&mut self, lang: Lang, source: &str) -> Verdict {
        let (raw, seen) = self.analyze(lang, source);
        finish(source, raw, &self.user, lang, &seen)
    }

    /// [`Validator::validate`] and [`Validator::commands`] from one
    /// analysis (one parse): what a caller that judges a command and then
    /// reads its programs (agent-spine's install checks) needs.
    pub fn validate_with_commands(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> (Verdict, Result<Vec<crate::Command>, crate::CommandsError>) {
        let (raw, seen) = self.analyze(lang, source);
        let commands = crate::commands::from_analysis(lang, source, &raw, seen.clone());
        let verdict = finish(source, raw, &self.user, lang, &seen);
        (verdict, commands)
    }

    /// The programs `source` runs (see [`crate::commands`]).
    pub fn commands(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> Result<Vec<crate::Command>, crate::CommandsError> {
        let (raw, seen) = self.analyze(lang, source);
        crate::commands::from_analysis(lang, source, &raw, seen)
    }

    /// The built-in analysis of `source`: raw findings and every program
    /// invocation seen (before user rules).
    fn analyze(
        &mut self,
        lang: Lang,
        source: &str,
    ) -> (Vec<RawFinding>, Vec<crate::user_rules::SeenInvocation>) {
        let mut ctx = Ctx {
            parsers: &mut self.parsers,
            findings: Vec::new(),
            nesting: 0,
            invocations: Vec::new(),
            unknown: self.unknown,
        };
        let identity = SpanMap::Shifted(Vec::new());
        if source.len() > MAX_SOURCE_BYTES {
            ctx.report(
                &identity,
                catalog::INPUT_TOO_LARGE,
                0..0,
                format!(
                    "input is {} bytes; the limit is {MAX_SOURCE_BYTES}",
                    source.len()
                ),
            );
        } else if source.contains('\0') {
            let at = source.find('\0').unwrap_or(0);
            ctx.report(
                &identity,
                catalog::INPUT_NUL_BYTE,
                at..at + 1,
                "input contains a NUL byte, which a shell silently drops",
            );
        } else {
            if let Some((at, ch)) = source.char_indices().find(|(_, c)| is_invisible(*c)) {
                ctx.report(
                    &identity,
                    catalog::INPUT_INVISIBLE,
                    at..at + ch.len_utf8(),
                    format!("contains the invisible or direction-changing character U+{:04X}, so what a reviewer sees differs from what runs", ch as u32),
                );
            }
            analyze_source(&mut ctx, lang, source, &identity);
        }
        (ctx.findings, ctx.invocations)
    }
}

pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}')
}

fn finish(
    source: &str,
    raw: Vec<RawFinding>,
    user: &UserRules,
    lang: Lang,
    seen: &[crate::user_rules::SeenInvocation],
) -> Verdict {
    let mut findings: Vec<Finding> = raw
        .into_iter()
        .map(|f| {
            let span = Span::new(source, f.range.start, f.range.end);
            Finding {
                rule_id: f.rule.id.to_string(),
                decision: f.rule.decision,
                message: f.message,
                snippet: snippet(source, &span),
                span,
            }
        })
        .collect();
    user.apply(lang, source, &mut findings, seen);
    findings.sort_by(|a, b| {
        (a.span.start, a.span.end, &a.rule_id).cmp(&(b.span.start, b.span.end, &b.rule_id))
    });
    let decision = findings
        .iter()
        .map(|f| f.decision)
        .max()
        .unwrap_or(Decision::Allow);
    Verdict { decision, findings }
}

fn snippet(source: &str, span: &Span) -> String {
    let text = &source[span.start..span.end];
    const MAX: usize = 160;
    if text.chars().count() <= MAX {
        text.to_string()
    } else {
        let mut s: String = text.chars().take(MAX).collect();
        s.push('…');
        s
    }
}

thread_local! {
    static DEFAULT: std::cell::RefCell<Validator> = std::cell::RefCell::new(Validator::default());
}

/// Validates `source` as `lang` with the built-in rules, reusing this
/// thread's parsers.
pub fn validate(lang: Lang, source: &str) -> Verdict {
    DEFAULT.with(|v| v.borrow_mut().validate(lang, source))
}

/// The programs `source` runs, with this thread's parsers (see
/// [`crate::commands`]).
pub(crate) fn commands(
    lang: Lang,
    source: &str,
) -> Result<Vec<crate::Command>, crate::CommandsError> {
    DEFAULT.with(|v| v.borrow_mut().commands(lang, source))
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn grammars_have_distinct_kind_counts_and_the_table_agrees_with_kind() {
        let counts: Vec<usize> = KINDS.tables.iter().map(Vec::len).collect();
        for (i, a) in counts.iter().enumerate() {
            for b in &counts[i + 1..] {
                assert_ne!(a, b, "{counts:?}");
            }
        }
        let mut parsers = Parsers::new();
        for (lang, src) in [
            (
                Lang::Bash,
                "echo hi | grep h > out; for x in a; do $x; done",
            ),
            (Lang::Python, "import os\nos.system(f'ls {x}')\n"),
            (Lang::Typescript, "const x: number = f(<T,>(a: T) => a);"),
        ] {
            let tree = parsers.parse(lang, src).unwrap();
            let mut all = 0;
            for n in named_nodes(tree.root_node()) {
                assert_eq!(kind(n), n.kind());
                all += 1;
            }
            assert!(all > 5);
        }
    }
}
