//! Arguments written to hide their text, and interpreters started with
//! nothing to run.

use super::argv::{basename, Invocation};
use super::extract::Cmd;
use super::Rules;
use crate::catalog as c;

/// Arguments built to hide their text: `${HOME:0:1}`, `$(echo . | tr …)`,
/// hex escapes printed with `echo -e`.
pub(super) fn obfuscated_args(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    for w in inv.args() {
        // `/???/p??swd`, `/e[t]c/sh*dow`: a system path spelled as a glob
        if w.dynamic == Some(super::word::Dyn::Glob) && w.text.starts_with('/') {
            let dirs = w.text.rsplit_once('/').map_or("", |x| x.0);
            let wild_dir = dirs.contains('?')
                || dirs.contains('*') && dirs.matches('/').count() <= 2 && !dirs.contains("**");
            let short = w.text.len() <= 24 && w.text.matches('?').count() >= 2;
            if wild_dir || short {
                r.hit(
                    c::BASH_OBFUSCATED,
                    w.range.clone(),
                    format!(
                        "spells a path as a glob (`{}`) to hide which file it names",
                        w.text
                    ),
                );
            }
        }
        if w.kind == "word" && w.obfuscated == Some("spells characters with ANSI-C escapes") {
            r.hit(
                c::BASH_OBFUSCATED,
                w.range.clone(),
                format!(
                    "spells an argument with ANSI-C escapes (`{}`)",
                    w.text.escape_debug()
                ),
            );
        }
        let t = w.text.as_str();
        let substring = t.match_indices("${").any(|(i, _)| {
            let rest = &t[i + 2..];
            let name_end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            rest[name_end..].starts_with(':')
                && rest[name_end + 1..].starts_with(|c: char| c.is_ascii_digit())
        });
        if substring {
            r.hit(
                c::BASH_OBFUSCATED,
                w.range.clone(),
                "builds an argument from substrings of variables to hide it",
            );
        }
    }
    for w in inv.args() {
        // `$(echo . | tr '!-0' '"-1')etc`: a literal run through a
        // transformer to produce part of an argument
        if w.has_subst && w.kind != "command_substitution" {
            let generated = r
                .substituted(cmd)
                .into_iter()
                .filter(|s| s.range.start >= w.range.start && s.range.end <= w.range.end)
                .any(|s| {
                    let literal_source = s
                        .words
                        .first()
                        .is_some_and(|n| matches!(n.text.as_str(), "echo" | "printf"))
                        && s.words.iter().all(|x| x.literal());
                    literal_source
                        && r.downstream(s).iter().any(|d| {
                            d.words.first().is_some_and(|n| {
                                matches!(
                                    basename(&n.text),
                                    "tr" | "rev"
                                        | "xxd"
                                        | "base64"
                                        | "base32"
                                        | "sed"
                                        | "cut"
                                        | "awk"
                                )
                            })
                        })
                });
            if generated {
                r.hit(
                    c::BASH_OBFUSCATED,
                    w.range.clone(),
                    "builds an argument from transformed literal text at run time to hide it",
                );
            }
        }
    }
    if matches!(inv.prog(), "echo" | "printf") {
        let escapes: usize = inv
            .args()
            .iter()
            .map(|w| w.text.matches("\\x").count())
            .sum();
        if escapes >= 4 {
            let first = inv.args()[0].range.start;
            let last = inv.args()[inv.args().len() - 1].range.end;
            r.hit(
                c::BASH_OBFUSCATED,
                first..last,
                "prints text spelled as hex escapes to hide it",
            );
        }
    }
}

/// A read-eval-print loop started with nothing to run: an agent has no
/// terminal, so whatever feeds it input is the real program.
pub(super) fn repl(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let prog = inv.prog();
    let args = inv.args();
    let only_options = args.iter().all(|w| w.text.starts_with('-'));
    let informational = args.iter().any(|w| {
        matches!(
            w.text.as_str(),
            "-v" | "-V" | "--version" | "-h" | "--help" | "-batch" | "-l" | "--list"
        )
    });
    let repl = match prog {
        "tclsh" | "wish" | "jjs" | "jshell" | "tasksh" | "tdbtool" | "irb" | "ghci" | "pry"
        | "ipython" | "bpython" | "lua" | "luajit" | "node" | "nodejs" | "php" | "ruby"
        | "perl" | "python" | "python2" | "python3" | "scala" | "clojure" | "erl" | "iex" | "R"
        | "julia" | "gdb" | "lldb" | "csi" | "guile" | "sbcl" | "ed" | "ex" => {
            only_options && !informational
        }
        "pdb" => true,
        "nmap" => args.iter().any(|w| w.text == "--interactive"),
        "sqlite3" | "mysql" | "mariadb" | "psql" | "redis-cli" | "mongo" | "mongosh" => {
            only_options
                && !informational
                && !args
                    .iter()
                    .any(|w| matches!(w.text.as_str(), "-c" | "-e" | "--eval" | "-f"))
        }
        _ => false,
    };
    if repl
        && matches!(cmd.stdin, super::extract::Stdin::Inherited)
        && !cmd.redirects.iter().any(|rd| rd.op.starts_with('<'))
    {
        let range = inv.argv[0].range.start
            ..inv
                .argv
                .last()
                .map_or(inv.argv[0].range.end, |w| w.range.end);
        r.hit(
            c::BASH_INTERACTIVE_SHELL,
            range,
            format!("`{prog}` starts an interactive interpreter with nothing to run"),
        );
    }
}
