//! Walks a bash syntax tree into a flat list of simple commands, each with
//! its normalised words, redirections and where its stdin comes from.

use crate::syntax::kind;
use std::ops::Range;

use tree_sitter::Node;

use super::word::{normalize, Vars, Word};

#[derive(Debug, Clone)]
pub(crate) struct Redir {
    /// `>`, `>>`, `<`, `>&`, `&>`, `<>` …
    pub op: String,
    /// Explicit file descriptor (`2>`), if any.
    pub fd: Option<String>,
    pub target: Word,
}

#[derive(Debug, Clone)]
pub(crate) enum Stdin {
    Inherited,
    /// Output of these commands.
    Pipe(Vec<usize>),
    HereString(Word),
    Heredoc {
        body: String,
        range: Range<usize>,
    },
}

#[derive(Debug, Clone)]
pub(crate) struct Cmd {
    pub id: usize,
    /// argv as bash would build it; empty for a bare assignment.
    pub words: Vec<Word>,
    /// `NAME=value` prefixes and `export NAME=value` declarations.
    pub assigns: Vec<(String, Word)>,
    pub redirects: Vec<Redir>,
    pub stdin: Stdin,
    pub range: Range<usize>,
    /// The command whose word holds this one in a `$(…)`/`<(…)`.
    pub parent: Option<usize>,
    /// Inside a process substitution (`<(…)`), as opposed to `$(…)`.
    pub in_procsub: bool,
    /// Runs in the background (`&`).
    pub background: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Script {
    pub cmds: Vec<Cmd>,
    /// Function name, its body's command ids.
    pub functions: Vec<(String, Range<usize>, Vec<usize>)>,
    /// `while`/`until` loops: range, condition text, body command ids.
    pub loops: Vec<(Range<usize>, String, Vec<usize>)>,
}

pub(crate) struct Extractor<'s> {
    src: &'s str,
    vars: Vars,
    script: Script,
    parent: Option<usize>,
    in_procsub: bool,
}

pub(crate) fn extract(root: Node<'_>, src: &str) -> Script {
    let mut e = Extractor {
        src,
        vars: Vars::new(),
        script: Script::default(),
        parent: None,
        in_procsub: false,
    };
    e.visit(root);
    e.script
}

impl Extractor<'_> {
    fn word(&self, n: Node<'_>) -> Word {
        normalize(n, self.src, &self.vars)
    }

    fn push(&mut self, mut cmd: Cmd) -> usize {
        let id = self.script.cmds.len();
        cmd.id = id;
        cmd.parent = self.parent;
        cmd.in_procsub = self.in_procsub;
        self.script.cmds.push(cmd);
        id
    }

    fn new_cmd(&self, range: Range<usize>) -> Cmd {
        Cmd {
            id: 0,
            words: Vec::new(),
            assigns: Vec::new(),
            redirects: Vec::new(),
            stdin: Stdin::Inherited,
            range,
            parent: None,
            in_procsub: false,
            background: false,
        }
    }

    /// Visits the `$(…)`/`<(…)` inside `node`, with `id` as their parent.
    fn visit_substitutions(&mut self, node: Node<'_>, id: usize) {
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            match kind(n) {
                "command_substitution" | "process_substitution" => {
                    let (sp, sq) = (self.parent, self.in_procsub);
                    self.parent = Some(id);
                    self.in_procsub = kind(n) == "process_substitution";
                    let mut c = n.walk();
                    let kids: Vec<Node<'_>> = n.named_children(&mut c).collect();
                    for k in kids {
                        self.visit(k);
                    }
                    self.parent = sp;
                    self.in_procsub = sq;
                }
                _ => {
                    let mut c = n.walk();
                    let mut kids: Vec<Node<'_>> = n.children(&mut c).collect();
                    kids.reverse();
                    stack.extend(kids);
                }
            }
        }
    }

    fn assignment(&mut self, n: Node<'_>) -> Option<(String, Word)> {
        let name = n.child_by_field_name("name")?;
        let name = self.src[name.byte_range()].to_string();
        let value = match n.child_by_field_name("value") {
            Some(v) => self.word(v),
            None => Word {
                text: String::new(),
                dynamic: None,
                has_subst: false,
                range: n.end_byte()..n.end_byte(),
                kind: "word",
                from_var: false,
                obfuscated: None,
            },
        };
        if value.literal() {
            self.vars.insert(name.clone(), value.text.clone());
        } else {
            self.vars.remove(&name);
        }
        Some((name, value))
    }

    fn redirect(&mut self, n: Node<'_>, target: usize) {
        match kind(n) {
            "file_redirect" => {
                let mut op = String::new();
                let mut fd = None;
                let mut c = n.walk();
                for ch in n.children(&mut c) {
                    if !ch.is_named() {
                        op.push_str(&self.src[ch.byte_range()]);
                    } else if kind(ch) == "file_descriptor" {
                        fd = Some(self.src[ch.byte_range()].to_string());
                    }
                }
                if let Some(dest) = n.child_by_field_name("destination") {
                    let w = self.word(dest);
                    self.script.cmds[target]
                        .redirects
                        .push(Redir { op, fd, target: w });
                    self.visit_substitutions(dest, target);
                }
            }
            "herestring_redirect" => {
                let mut c = n.walk();
                let arg = n.named_children(&mut c).last();
                if let Some(arg) = arg {
                    let w = self.word(arg);
                    self.script.cmds[target].stdin = Stdin::HereString(w);
                    self.visit_substitutions(arg, target);
                }
            }
            "heredoc_redirect" => {
                let mut c = n.walk();
                let kids: Vec<Node<'_>> = n.named_children(&mut c).collect();
                for k in &kids {
                    if kind(k) == "heredoc_body" {
                        let body = self.src[k.byte_range()].to_string();
                        self.script.cmds[target].stdin = Stdin::Heredoc {
                            body,
                            range: k.byte_range(),
                        };
                        self.visit_substitutions(*k, target);
                    }
                }
                // `cat <<EOF | sh`: the rest of the pipeline hangs off the
                // heredoc redirect in tree-sitter-bash.
                for k in kids {
                    match kind(k) {
                        "heredoc_start" | "heredoc_body" | "heredoc_end" => {}
                        "pipeline" => {
                            let before = self.script.cmds.len();
                            self.visit(k);
                            self.pipe_into(before, vec![target]);
                        }
                        _ => self.visit(k),
                    }
                }
            }
            _ => {}
        }
    }

    /// Commands created since `from` that are at this nesting level and
    /// still read inherited stdin now read `upstream`'s output.
    fn pipe_into(&mut self, from: usize, upstream: Vec<usize>) {
        for c in &mut self.script.cmds[from..] {
            if c.parent == self.parent && matches!(c.stdin, Stdin::Inherited) {
                c.stdin = Stdin::Pipe(upstream.clone());
            }
        }
    }

    fn last_cmd_since(&self, from: usize) -> Option<usize> {
        (from..self.script.cmds.len())
            .rev()
            .find(|&i| self.script.cmds[i].parent == self.parent)
    }

    pub(crate) fn visit(&mut self, node: Node<'_>) {
        match kind(node) {
            "comment" | "heredoc_body" => {}
            "command" => self.command(node),
            "variable_assignment" => {
                let mut cmd = self.new_cmd(node.byte_range());
                if let Some(a) = self.assignment(node) {
                    cmd.assigns.push(a);
                }
                let id = self.push(cmd);
                self.visit_substitutions(node, id);
            }
            "declaration_command" | "unset_command" => {
                let mut cmd = self.new_cmd(node.byte_range());
                let mut c = node.walk();
                let kids: Vec<Node<'_>> = node.children(&mut c).collect();
                for k in kids {
                    if kind(k) == "variable_assignment" {
                        if let Some(a) = self.assignment(k) {
                            cmd.assigns.push(a);
                        }
                    } else {
                        cmd.words.push(self.word(k));
                    }
                }
                let id = self.push(cmd);
                self.visit_substitutions(node, id);
            }
            "redirected_statement" => {
                let before = self.script.cmds.len();
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body);
                }
                let target = match self.last_cmd_since(before) {
                    Some(t) => t,
                    None => {
                        let cmd = self.new_cmd(node.byte_range());
                        self.push(cmd)
                    }
                };
                let mut c = node.walk();
                let redirs: Vec<Node<'_>> =
                    node.children_by_field_name("redirect", &mut c).collect();
                for r in redirs {
                    self.redirect(r, target);
                }
            }
            "pipeline" => {
                let mut c = node.walk();
                let kids: Vec<Node<'_>> = node.named_children(&mut c).collect();
                let mut upstream = Vec::new();
                for (i, k) in kids.into_iter().enumerate() {
                    let before = self.script.cmds.len();
                    self.visit(k);
                    if i > 0 {
                        self.pipe_into(before, upstream.clone());
                    }
                    upstream.extend(
                        (before..self.script.cmds.len())
                            .filter(|&j| self.script.cmds[j].parent == self.parent),
                    );
                }
            }
            "function_definition" => {
                let name = node
                    .child_by_field_name("name")
                    .map(|n| self.src[n.byte_range()].to_string())
                    .unwrap_or_default();
                let before = self.script.cmds.len();
                if let Some(body) = node.child_by_field_name("body") {
                    self.visit(body);
                }
                let ids = (before..self.script.cmds.len()).collect();
                self.script.functions.push((name, node.byte_range(), ids));
            }
            "while_statement" | "until_statement" => {
                let cond = node
                    .child_by_field_name("condition")
                    .map(|n| {
                        self.src[n.byte_range()]
                            .trim()
                            .trim_end_matches(';')
                            .trim()
                            .to_string()
                    })
                    .unwrap_or_default();
                let before = self.script.cmds.len();
                let mut c = node.walk();
                let kids: Vec<Node<'_>> = node.named_children(&mut c).collect();
                for k in kids {
                    self.visit(k);
                }
                let ids = (before..self.script.cmds.len()).collect();
                self.script.loops.push((node.byte_range(), cond, ids));
            }
            _ => {
                let mut c = node.walk();
                let kids: Vec<Node<'_>> = node.children(&mut c).collect();
                let mut last_start = self.script.cmds.len();
                for k in kids {
                    if !k.is_named() && &self.src[k.byte_range()] == "&" {
                        for cmd in &mut self.script.cmds[last_start..] {
                            cmd.background = true;
                        }
                        continue;
                    }
                    last_start = self.script.cmds.len();
                    self.visit(k);
                }
            }
        }
    }

    fn command(&mut self, node: Node<'_>) {
        let mut cmd = self.new_cmd(node.byte_range());
        let mut redirs = Vec::new();
        let mut c = node.walk();
        let kids: Vec<Node<'_>> = node.named_children(&mut c).collect();
        for k in kids {
            match kind(k) {
                "variable_assignment" => {
                    if let Some(a) = self.assignment(k) {
                        cmd.assigns.push(a);
                    }
                }
                "command_name" => {
                    let inner = k.named_child(0).unwrap_or(k);
                    cmd.words.push(self.word(inner));
                }
                "file_redirect" | "herestring_redirect" | "heredoc_redirect" => redirs.push(k),
                "comment" => {}
                _ => {
                    let w = self.word(k);
                    // tree-sitter-bash sometimes splits one shell word in two
                    // (`who`echo am`i`); bash joins adjacent pieces.
                    match cmd.words.last_mut() {
                        Some(prev) if prev.range.end == w.range.start => merge(prev, w),
                        _ => cmd.words.push(w),
                    }
                }
            }
        }
        expand_brace_command(&mut cmd);
        split_ifs_name(&mut cmd);
        let id = self.push(cmd);
        for r in redirs {
            self.redirect(r, id);
        }
        self.visit_substitutions(node, id);
    }
}

fn merge(prev: &mut Word, w: Word) {
    prev.text.push_str(&w.text);
    prev.dynamic = prev.dynamic.or(w.dynamic);
    prev.has_subst |= w.has_subst;
    prev.from_var |= w.from_var;
    prev.obfuscated = prev
        .obfuscated
        .or(w.obfuscated)
        .or(Some("is split across several shell tokens"));
    prev.range.end = w.range.end;
    prev.kind = "word";
}

/// `{curl,-s,http://x}` in command position expands to `curl -s http://x`.
fn expand_brace_command(cmd: &mut Cmd) {
    if cmd.words.len() != 1 {
        return;
    }
    let w = &cmd.words[0];
    let t = w.text.as_str();
    if !(t.starts_with('{') && t.ends_with('}') && t.contains(',')) {
        return;
    }
    let parts: Vec<String> = t[1..t.len() - 1].split(',').map(str::to_string).collect();
    let proto = w.clone();
    cmd.words = parts
        .into_iter()
        .map(|p| Word {
            text: p,
            ..proto.clone()
        })
        .collect();
}

/// `cat${IFS}/etc/passwd`: after `$IFS` resolves to a space, bash splits
/// the word; do the same for the command name so rules see `cat`.
fn split_ifs_name(cmd: &mut Cmd) {
    let Some(first) = cmd.words.first() else {
        return;
    };
    let splittable = !first.literal() || first.from_var || first.obfuscated.is_some();
    if !splittable || !first.text.contains([' ', '\t', '\n']) || first.kind == "string" {
        return;
    }
    let proto = first.clone();
    let parts: Vec<Word> = proto
        .text
        .split([' ', '\t', '\n'])
        .filter(|p| !p.is_empty())
        .map(|p| Word {
            text: p.to_string(),
            ..proto.clone()
        })
        .collect();
    cmd.words.splice(0..1, parts);
}
