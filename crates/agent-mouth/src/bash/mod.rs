//! Bash analysis: continuation joining, parsing, extraction of simple
//! commands, then the rule families in `exec` (what runs what) and
//! `system` (what a command does to the machine and its secrets).

mod activity;
mod argv;
mod escape;
mod exec;
mod extract;
mod git_redirect;
mod interp;
mod obfuscation;
mod operations;
mod preprocess;
mod program_effects;
mod script;
mod script_writes;
mod system;
mod trusted_writes;
mod typed;
mod unknown;
mod word;
mod wrapped;
mod writes;

use std::ops::Range;

use crate::catalog::RuleMeta;
use crate::context::{Ctx, SpanMap};
use crate::syntax::parse_checked;
use crate::Lang;

pub(crate) use argv::basename;
use argv::invocations;
use extract::{Cmd, Script, Stdin};
pub(crate) use word::decode_ansi_c;

/// Rule-evaluation context for one bash source.
pub(crate) struct Rules<'c, 'p> {
    pub ctx: &'c mut Ctx<'p>,
    pub map: &'c SpanMap,
    pub script: &'c Script,
    pub src: &'c str,
}

impl Rules<'_, '_> {
    pub(crate) fn hit(
        &mut self,
        rule: &'static RuleMeta,
        range: Range<usize>,
        msg: impl Into<String>,
    ) {
        self.ctx.report(self.map, rule, range, msg);
    }

    /// Validate a string found in this source as nested `lang` source.
    pub(crate) fn nested(&mut self, lang: Lang, text: &str, range: Range<usize>, what: &str) {
        let outer = self.map.map(&range);
        self.ctx.nested(lang, text, outer, what);
    }

    /// Commands inside `$(…)`/`<(…)` of `cmd`, transitively.
    pub(crate) fn substituted(&self, cmd: &Cmd) -> Vec<&Cmd> {
        let mut out = Vec::new();
        let mut frontier = vec![cmd.id];
        while let Some(p) = frontier.pop() {
            for c in &self.script.cmds {
                if c.parent == Some(p) {
                    out.push(c);
                    frontier.push(c.id);
                }
            }
        }
        out
    }

    /// Commands whose output reaches `cmd`'s stdin (transitively through
    /// pipes).
    pub(crate) fn upstream(&self, cmd: &Cmd) -> Vec<&Cmd> {
        let mut out: Vec<&Cmd> = Vec::new();
        let mut frontier = match &cmd.stdin {
            Stdin::Pipe(ids) => ids.clone(),
            _ => Vec::new(),
        };
        while let Some(id) = frontier.pop() {
            let Some(c) = self.script.cmds.get(id) else {
                continue;
            };
            if out.iter().any(|o| o.id == id) {
                continue;
            }
            out.push(c);
            if let Stdin::Pipe(ids) = &c.stdin {
                frontier.extend(ids.iter().copied());
            }
            frontier.extend(self.substituted(c).iter().map(|s| s.id));
        }
        out
    }

    /// Commands that read `cmd`'s output.
    pub(crate) fn downstream(&self, cmd: &Cmd) -> Vec<&Cmd> {
        self.script
            .cmds
            .iter()
            .filter(|c| matches!(&c.stdin, Stdin::Pipe(ids) if ids.contains(&cmd.id)))
            .collect()
    }
}

pub(crate) fn analyze(ctx: &mut Ctx<'_>, src: &str, map: &SpanMap) {
    let (text, shifts) = preprocess::join_continuations(src);
    let map = match map {
        SpanMap::Fixed(r) => SpanMap::Fixed(r.clone()),
        SpanMap::Shifted(_) => SpanMap::Shifted(shifts),
    };
    let Some(tree) = parse_checked(ctx, Lang::Bash, &text, &map) else {
        return;
    };
    for at in preprocess::mid_word_continuations(src) {
        let orig = SpanMap::Shifted(Vec::new());
        let m = match &map {
            SpanMap::Fixed(r) => SpanMap::Fixed(r.clone()),
            SpanMap::Shifted(_) => orig,
        };
        ctx.report(
            &m,
            crate::catalog::BASH_OBFUSCATED,
            at..at + 2,
            "a line continuation splits a word in two, hiding it from simple matching",
        );
    }
    let script = extract::extract(tree.root_node(), &text);
    let mut r = Rules {
        ctx,
        map: &map,
        script: &script,
        src: &text,
    };
    for cmd in &script.cmds {
        let invs = invocations(cmd);
        for inv in &invs {
            if let (Some(first), Some(last)) = (inv.argv.first(), inv.argv.last()) {
                let range = r.map.map(&(first.range.start..last.range.end));
                r.ctx.invocations.push(crate::user_rules::SeenInvocation {
                    argv: inv.argv.iter().map(|w| w.text.clone()).collect(),
                    range,
                    dynamic_name: !first.literal(),
                    dynamic_args: inv.args().iter().any(|w| !w.literal()),
                });
            }
        }
        exec::check_command(&mut r, cmd, &invs);
        for inv in &invs {
            activity::check(&mut r, cmd, inv);
            typed::check(&mut r, cmd, inv);
            program_effects::check(&mut r, cmd, inv);
        }
        system::check_command(&mut r, cmd, &invs);
        trusted_writes::check(&mut r, cmd, &invs);
    }
    script::check_script(&mut r);
}

/// An argv as one command line that re-parses to the same argv (what a
/// spawn without a shell runs, for validating it as bash).
pub(crate) fn join_argv<S: AsRef<str>>(argv: &[S]) -> String {
    argv.iter()
        .map(|a| shell_quote(a.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Quotes one argv element so the joined line re-parses to the same argv.
pub(crate) fn shell_quote(a: &str) -> String {
    if !a.is_empty()
        && a.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%^".contains(c))
    {
        a.to_string()
    } else {
        format!("'{}'", a.replace('\'', "'\\''"))
    }
}
