//! Parsing: one reusable tree-sitter parser per grammar, the checked
//! parse every source goes through (errors and depth are findings, never
//! a walk of a broken or too-deep tree), node kinds by table, and the
//! iterative walk the language modules use.

use std::ops::Range;

use tree_sitter::{Node, Parser, Tree};

use crate::catalog;
use crate::context::{Ctx, SpanMap};
use crate::verdict::Lang;

/// Deepest syntax nesting walked. Deeper input is denied.
pub const MAX_AST_DEPTH: usize = 256;

/// One tree-sitter parser per language, created once and reused.
pub(crate) struct Parsers {
    bash: Parser,
    python: Parser,
    typescript: Parser,
    tsx: Parser,
}

impl Parsers {
    pub(crate) fn new() -> Parsers {
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
