//! Writes to files that something runs or trusts later (`crate::trusted`):
//! the write is reported with what will run the file, and the content, when
//! the command line shows it (echo, printf, a here-document), is validated
//! as the code it will be — a workflow's `run:` steps and a Makefile's
//! recipes as shell, a `.pth` file's import lines as Python — or, for a CI
//! job's environment and path files, checked for what later steps inherit.

use std::ops::Range;

use super::argv::{invocations, Invocation};
use super::extract::Cmd;
use super::script::printed_content;
use super::Rules;
use crate::catalog as c;
use crate::trusted::{self, Content};

/// Every command's writes to trusted files.
pub(super) fn check(r: &mut Rules<'_, '_>) {
    let s = r.script;
    for cmd in &s.cmds {
        let mut targets = redirect_targets(cmd);
        for inv in invocations(cmd) {
            targets.extend(command_targets(&inv));
        }
        targets.retain(|(path, _)| trusted::classify(path).is_some());
        if targets.is_empty() {
            continue;
        }
        // What is written: this command's printed text, or for `… | tee
        // FILE` the text printed upstream.
        let content =
            printed_content(cmd).or_else(|| r.upstream(cmd).into_iter().find_map(printed_content));
        for (path, range) in targets {
            if let Some(t) = trusted::classify(&path) {
                judge(r, &path, range, t, content.as_ref());
            }
        }
    }
}

fn judge(
    r: &mut Rules<'_, '_>,
    path: &str,
    range: Range<usize>,
    t: trusted::Trusted,
    content: Option<&(String, Range<usize>)>,
) {
    match t.content {
        Content::EnvFile => {
            if let Some((text, at)) = content {
                if let Some(name) = trusted::env_hijack(text) {
                    r.hit(
                        c::WRITE_ENV_CODE,
                        at.clone(),
                        format!("sets `{name}` for {}: it makes them load or run code, or fetch from elsewhere", t.runs),
                    );
                }
            }
            return;
        }
        Content::PathFile => {
            if let Some((text, at)) = content {
                let dir = text.trim();
                let risky = ["/tmp", "/var/tmp", "/dev/shm"]
                    .iter()
                    .any(|d| dir.starts_with(d))
                    || !(dir.starts_with('/') || dir.starts_with('$') || dir.starts_with('~'));
                if risky && !dir.is_empty() {
                    r.hit(
                        c::WRITE_PATH_PREPEND,
                        at.clone(),
                        format!("puts `{dir}` first on the PATH of {}", t.runs),
                    );
                }
            }
            return;
        }
        _ => {}
    }
    r.hit(
        c::WRITE_TRUSTED,
        range,
        format!(
            "writes `{path}`, {}: {} runs or trusts it later",
            t.what, t.runs
        ),
    );
    if let Some((text, at)) = content {
        for (lang, code) in trusted::code_in(t.content, text) {
            r.nested(lang, &code, at.clone(), t.what);
        }
    }
}

/// `> FILE` and `>> FILE` (not `>&`).
fn redirect_targets(cmd: &Cmd) -> Vec<(String, Range<usize>)> {
    cmd.redirects
        .iter()
        .filter(|rd| rd.op.contains('>') && !rd.op.contains('&'))
        .map(|rd| (rd.target.text.clone(), rd.target.range.clone()))
        .collect()
}

fn operand_targets(inv: &Invocation<'_>) -> Vec<(String, Range<usize>)> {
    inv.operands()
        .map(|w| (w.text.clone(), w.range.clone()))
        .collect()
}

/// Files a program writes by its arguments: tee's operands, the
/// destination of cp/mv/install/ln/rsync, files edited in place, `dd of=`.
fn command_targets(inv: &Invocation<'_>) -> Vec<(String, Range<usize>)> {
    let prog = inv.prog();
    let in_place = inv.args().iter().any(|w| {
        w.text.starts_with("-i") || w.text == "--in-place" || w.text.starts_with("--in-place=")
    });
    match prog {
        "tee" => operand_targets(inv),
        "cp" | "mv" | "install" | "ln" | "rsync" => {
            let ops: Vec<_> = inv.operands().collect();
            match ops.as_slice() {
                [.., last] if ops.len() >= 2 => vec![(last.text.clone(), last.range.clone())],
                _ => Vec::new(),
            }
        }
        "sed" | "perl" | "ruby" if in_place => operand_targets(inv).into_iter().skip(1).collect(),
        "dd" => inv
            .args()
            .iter()
            .filter_map(|w| {
                w.text
                    .strip_prefix("of=")
                    .map(|p| (p.to_owned(), w.range.clone()))
            })
            .collect(),
        _ => Vec::new(),
    }
}
