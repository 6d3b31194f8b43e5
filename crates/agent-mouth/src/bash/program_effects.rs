//! Effects from the program table (`crate::programs`): finds the options,
//! subcommands and operands of an invocation that the table says give an
//! effect, and turns each into a finding by the policy in
//! `data/programs.toml`'s header.

use std::ops::Range;

use super::argv::Invocation;
use super::extract::Cmd;
use super::word::Word;
use super::writes::outside_workspace;
use super::Rules;
use crate::catalog as c;
use crate::programs::{self, Effect, Operands, Program, ProgramEffect};
use crate::Lang;

/// Shortest `--name` accepted as a GNU abbreviation of a longer option.
const MIN_ABBREV: usize = 5;

/// Where an effect was found: the word that carries it, the option (if
/// any) and the value it acts on (if it takes one).
struct Target<'w> {
    range: Range<usize>,
    option: Option<&'w str>,
    value: Option<String>,
    /// The word the value is read from, when it is a whole word.
    value_word: Option<&'w Word>,
}

pub(super) fn check(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let Some(p) = programs::table().lookup(inv.prog()) else {
        super::unknown::check(r, inv);
        return;
    };
    for e in &p.effects {
        if applies(inv, e) {
            for t in targets(inv, p, e) {
                if let Some(value) = judged_value(e, t.value.as_deref()) {
                    report(r, cmd, inv, p, e, &t, value.as_deref());
                }
            }
        }
    }
}

/// The conditions on the whole invocation: subcommand, co-options,
/// cancelling arguments, operand count.
fn applies(inv: &Invocation<'_>, e: &ProgramEffect) -> bool {
    let args = inv.args();
    if !e.subcommand.is_empty() && !e.subcommand.iter().any(|s| has_subcommand(args, s)) {
        return false;
    }
    if !e.with.is_empty() && !e.with.iter().any(|w| has_option(args, w)) {
        return false;
    }
    if e.unless.iter().any(|u| has_option(args, u)) {
        return false;
    }
    !(e.operands_none && args.iter().any(|a| !a.text.starts_with('-')))
}

/// `path` (`"secrets unset"`) among the first operands, in order.
fn has_subcommand(args: &[&Word], path: &str) -> bool {
    let want: Vec<&str> = path.split_whitespace().collect();
    let ops: Vec<&str> = args
        .iter()
        .map(|a| a.text.as_str())
        .filter(|t| !t.starts_with('-'))
        .take(want.len() + 2)
        .collect();
    ops.windows(want.len()).any(|w| w == want.as_slice())
}

/// `opt` given: exactly, as `opt=…`, or a single letter inside a cluster
/// of short flags (`-xzf` has `-x`).
fn has_option(args: &[&Word], opt: &str) -> bool {
    let letter = opt
        .strip_prefix('-')
        .filter(|l| l.len() == 1 && !l.starts_with('-'));
    args.iter().any(|a| {
        let t = a.text.as_str();
        t == opt
            || t.strip_prefix(opt)
                .is_some_and(|rest| rest.starts_with('='))
            || letter.is_some_and(|l| {
                t.len() > 2
                    && t.starts_with('-')
                    && !t.starts_with("--")
                    && t[1..].chars().all(|ch| ch.is_ascii_alphabetic())
                    && t[1..].contains(l)
            })
    })
}

fn targets<'w>(inv: &'w Invocation<'w>, p: &'w Program, e: &'w ProgramEffect) -> Vec<Target<'w>> {
    let args = inv.args();
    if !e.options.is_empty() {
        let mut out = Vec::new();
        for (i, a) in args.iter().enumerate() {
            // A word that is exactly another of the program's options is
            // that option, not an abbreviation of one of these.
            let name = a.text.split('=').next().unwrap_or("");
            if !e.options.iter().any(|o| o == name)
                && p.effects
                    .iter()
                    .any(|o| o.options.iter().any(|x| x == name))
            {
                continue;
            }
            for o in &e.options {
                if let Some((value, spans_next)) = option_value(args, i, o, e) {
                    if e.takes_value && value.is_none() {
                        break;
                    }
                    let end = match args.get(i + 1) {
                        Some(n) if spans_next => n.range.end,
                        _ => a.range.end,
                    };
                    out.push(Target {
                        range: a.range.start..end,
                        option: Some(o),
                        value,
                        value_word: if spans_next {
                            args.get(i + 1).copied()
                        } else {
                            Some(a)
                        },
                    });
                    break;
                }
            }
        }
        return out;
    }
    match e.operands {
        Some(Operands::Any) => inv
            .operands()
            .map(|w| Target {
                range: w.range.clone(),
                option: None,
                value: Some(w.text.clone()),
                value_word: Some(w),
            })
            .collect(),
        Some(Operands::Last) => {
            let ops: Vec<&Word> = inv.operands().collect();
            match ops.as_slice() {
                [_, .., last] => vec![Target {
                    range: last.range.clone(),
                    option: None,
                    value: Some(last.text.clone()),
                    value_word: Some(last),
                }],
                _ => Vec::new(),
            }
        }
        None => inv
            .argv
            .first()
            .map(|w| Target {
                range: w.range.clone(),
                option: None,
                value: None,
                value_word: None,
            })
            .into_iter()
            .collect(),
    }
}

/// The value `args[i]` gives option `o`, and whether it is the next
/// argument: `None` when `args[i]` is not `o`; a value of `None` for a flag
/// (or an option missing its value). Accepts `-o V`, `-o=V`, `-oV`,
/// `--opt=V`, an abbreviated `--op=V`, and `NAME=V` or `NAME V` for options
/// written without a dash.
fn option_value(
    args: &[&Word],
    i: usize,
    o: &str,
    e: &ProgramEffect,
) -> Option<(Option<String>, bool)> {
    let t = args.get(i)?.text.as_str();
    let next = args.get(i + 1).map(|w| w.text.clone());
    let inline = |v: &str| Some((Some(v.to_string()), false));
    if !o.starts_with('-') {
        // `NAME=V`, or a keyword followed by its value (`actionban CMD`).
        if t == o {
            return Some((next, true));
        }
        return t
            .strip_prefix(o)
            .and_then(|rest| rest.strip_prefix('='))
            .and_then(inline);
    }
    if !e.takes_value {
        let abbrev = o.starts_with("--") && t.len() >= MIN_ABBREV && o.starts_with(t);
        return (t == o || abbrev).then_some((None, false));
    }
    if t == o {
        return Some((next, true));
    }
    if let Some(v) = t.strip_prefix(o).and_then(|rest| rest.strip_prefix('=')) {
        return inline(v);
    }
    if o.starts_with("--") {
        return match t.split_once('=') {
            Some((name, v)) if abbreviates(name, o) => inline(v),
            None if abbreviates(t, o) => Some((next, true)),
            _ => None,
        };
    }
    // A short option at the end of a cluster takes the next word (`-lc X`).
    if let Some(l) = o.strip_prefix('-').filter(|l| l.len() == 1) {
        let cluster = t.len() > 2
            && t.starts_with('-')
            && !t.starts_with("--")
            && t[1..].chars().all(|ch| ch.is_ascii_alphabetic())
            && t.ends_with(l);
        if cluster && !t.starts_with(o) {
            return Some((next, true));
        }
    }
    let attachable = o.len() == 2 || e.attached;
    match t.strip_prefix(o) {
        Some(rest) if attachable && !rest.is_empty() && !t.starts_with("--") => inline(rest),
        _ => None,
    }
}

/// `name` is a GNU-style abbreviation of the long option `o`.
fn abbreviates(name: &str, o: &str) -> bool {
    name.starts_with("--") && name.len() >= MIN_ABBREV && o.starts_with(name)
}

/// Applies the value conditions: `None` when the value does not qualify,
/// `Some(value)` (stripped of a matched prefix) when it does.
fn judged_value(e: &ProgramEffect, value: Option<&str>) -> Option<Option<String>> {
    let Some(v) = value else {
        return Some(None);
    };
    let mut v = v.trim().to_string();
    let lower = v.to_ascii_lowercase();
    if !e.value_prefix.is_empty() {
        let p = e
            .value_prefix
            .iter()
            .find(|p| lower.starts_with(&p.to_ascii_lowercase()))?;
        v = v.get(p.len()..).unwrap_or("").trim().to_string();
    }
    if !e.value_contains.is_empty() {
        e.value_contains
            .iter()
            .find(|p| lower.contains(&p.to_ascii_lowercase()))?;
        if let Some((_, after)) = v.split_once('=') {
            v = after.trim().to_string();
        }
    }
    if !e.value_suffix.is_empty()
        && !e
            .value_suffix
            .iter()
            .any(|s| lower.ends_with(&s.to_ascii_lowercase()))
    {
        return None;
    }
    Some(Some(
        v.trim_matches(|ch| ch == '"' || ch == '\'').to_string(),
    ))
}

/// `value` is one of the entry's ordinary uses: exactly, or the named
/// program followed only by plain options and arguments.
fn harmless(e: &ProgramEffect, value: &str) -> bool {
    let value = value.trim();
    e.harmless.iter().any(|h| {
        value == h
            || value.strip_prefix(h.as_str()).is_some_and(|rest| {
                rest.starts_with(' ')
                    && rest.split_whitespace().all(|w| {
                        w.chars()
                            .all(|ch| ch.is_ascii_alphanumeric() || "-_.=:%/@,".contains(ch))
                    })
            })
    })
}

fn report(
    r: &mut Rules<'_, '_>,
    cmd: &Cmd,
    inv: &Invocation<'_>,
    p: &Program,
    e: &ProgramEffect,
    t: &Target<'_>,
    value: Option<&str>,
) {
    let prog = inv.prog();
    let how = t
        .option
        .map_or_else(|| format!("`{prog}`"), |o| format!("`{prog} {o}`"));
    let range = t.range.clone();
    let shown = value.map_or(String::new(), |v| format!(" (`{}`)", clip(v)));
    let msg = format!("{how}{shown}: {} [{}]", e.reason, p.family);
    match e.effect {
        Effect::Wraps => {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                command_value(r, cmd, prog, t, v, range);
            }
        }
        Effect::Runs => {
            let Some(v) = value.filter(|v| !v.is_empty()) else {
                return;
            };
            if !harmless(e, v) {
                command_value(r, cmd, prog, t, v, range.clone());
                hit_once(r, c::PROGRAM_RUNS_OTHER, range, msg);
            }
        }
        Effect::RunsCode => {
            if !value.is_some_and(|v| harmless(e, v)) {
                hit_once(r, c::PROGRAM_RUNS_CODE, range, msg);
            }
        }
        Effect::Writes => match value {
            None => hit_once(r, c::BASH_WRITE_OUTSIDE, range, msg),
            Some(v) => {
                let path = v.split(',').next().unwrap_or(v);
                if crate::trusted::classify(path).is_some() {
                    crate::trusted_write::judge(r.ctx, r.map, path, range, None);
                } else if outside_workspace(path)
                    || path.starts_with("~/")
                    || path.starts_with("$HOME")
                {
                    hit_once(r, c::BASH_WRITE_OUTSIDE, range, msg);
                }
            }
        },
        Effect::Loads => {
            if !value.is_some_and(|v| harmless(e, v)) {
                hit_once(r, c::BASH_LIBRARY_LOAD, range, msg);
            }
        }
        Effect::Sends => hit_once(r, c::BASH_UPLOAD, range, msg),
        Effect::Listens => hit_once(r, c::BASH_LISTENER, range, msg),
        Effect::Privileged => hit_once(r, c::BASH_CONTAINER_ESCAPE, range, msg),
        Effect::Shell => hit_once(r, c::BASH_INTERACTIVE_SHELL, range, msg),
        Effect::Destroys => hit_once(r, c::BASH_DESTRUCTIVE_INFRA, range, msg),
    }
}

/// A command line another program runs: validated as bash when it is
/// written out, judged as run-time text when it is built by substitution.
fn command_value(
    r: &mut Rules<'_, '_>,
    cmd: &Cmd,
    prog: &str,
    t: &Target<'_>,
    value: &str,
    range: Range<usize>,
) {
    match t.value_word {
        Some(w) if !w.literal() => {
            if w.has_subst {
                super::exec::dynamic_script(r, cmd, w, prog);
            }
        }
        _ => r.nested(Lang::Bash, value, range, "a command another program runs"),
    }
}

/// Reports unless the same rule already stands at the same place (the
/// table repeats facts some hand-written rules also know).
fn hit_once(
    r: &mut Rules<'_, '_>,
    rule: &'static crate::catalog::RuleMeta,
    range: Range<usize>,
    msg: String,
) {
    let at = r.map.map(&range);
    if r.ctx
        .findings
        .iter()
        .any(|f| f.rule.id == rule.id && f.range.start < at.end && at.start < f.range.end)
    {
        return;
    }
    r.hit(rule, range, msg);
}

fn clip(v: &str) -> String {
    const MAX: usize = 60;
    match v.char_indices().nth(MAX) {
        Some((at, _)) => format!("{}…", &v[..at]),
        None => v.to_string(),
    }
}
