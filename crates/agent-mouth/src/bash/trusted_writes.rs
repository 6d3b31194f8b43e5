//! Writes to files that something runs or trusts later (`crate::trusted`):
//! the write is reported with what will run the file, and the content, when
//! the command line shows it (echo, printf, a here-document), is validated
//! as the code it will be — a workflow's `run:` steps and a Makefile's
//! recipes as shell, a `.pth` file's import lines as Python — or, for a CI
//! job's environment and path files, checked for what later steps inherit.

use std::ops::Range;

use super::argv::Invocation;
use super::extract::Cmd;
use super::script::printed_content;
use super::Rules;
use crate::trusted;

/// `cmd`'s writes to trusted files (`invs`: its invocations).
pub(super) fn check(r: &mut Rules<'_, '_>, cmd: &Cmd, invs: &[Invocation<'_>]) {
    let mut targets = redirect_targets(cmd);
    for inv in invs {
        targets.extend(command_targets(inv));
    }
    targets.retain(|(path, _)| trusted::classify(path).is_some());
    if targets.is_empty() {
        return;
    }
    // What is written: this command's printed text, or for `… | tee FILE`
    // the text printed upstream.
    let content =
        printed_content(cmd).or_else(|| r.upstream(cmd).into_iter().find_map(printed_content));
    for (path, range) in targets {
        let content = content
            .as_ref()
            .map(|(text, at)| (text.as_str(), at.clone()));
        crate::trusted_write::judge(r.ctx, r.map, &path, range, content);
    }
}

/// `> FILE` and `>> FILE` (not `>&`).
fn redirect_targets(cmd: &Cmd) -> Vec<(String, Range<usize>)> {
    if cmd.redirects.is_empty() {
        return Vec::new();
    }
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
