//! Interpreter one-liners (python -c, node -e, perl -e, ruby -e, php -r,
//! awk, sed …): parsed recursively where we have a grammar, scanned for
//! spawns, sockets, decoding and file effects where we do not.

use super::argv::Invocation;
use super::exec::{dynamic_script, stdin_program};
use super::extract::{Cmd, Stdin};
use super::word::Word;
use super::Rules;
use crate::catalog as c;
use crate::names::{is_awk, is_python};
use crate::payload;
use crate::Lang;

pub(super) fn interpreter(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let prog = inv.prog().to_string();
    let args = inv.args();
    let (code_flags, lang): (&[&str], Option<Lang>) = if is_python(&prog) {
        (&["-c"], Some(Lang::Python))
    } else {
        match prog.as_str() {
            "node" | "nodejs" | "bun" => {
                (&["-e", "--eval", "-p", "--print"], Some(Lang::Typescript))
            }
            "deno" => (&["eval"], Some(Lang::Typescript)),
            "perl" | "perl5" => (&["-e", "-E"], None),
            "ruby" => (&["-e"], None),
            "php" | "php-cgi" => (&["-r"], None),
            "lua" | "luajit" | "lua5.1" | "lua5.2" | "lua5.3" | "lua5.4" => (&["-e"], None),
            "Rscript" | "rscript" | "R" | "julia" | "osascript" | "jrunscript" | "groovy"
            | "elixir" | "erl" => (&["-e", "-E", "-eval"], None),
            "expect" => (&["-c"], None),
            "gdb" => (&["-ex", "--eval-command", "-iex"], None),
            "octave" | "octave-cli" => (&["--eval"], None),
            "guile" | "sbcl" | "clisp" => (&["-c", "--eval", "-x"], None),
            _ => (&[], None),
        }
    };
    let mut code: Vec<&Word> = Vec::new();
    let mut operands = 0usize;
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        let cluster_hit = t.starts_with('-')
            && !t.starts_with("--")
            && t.len() > 2
            && code_flags.iter().any(|f| {
                f.len() == 2
                    && t.ends_with(&f[1..])
                    && t.get(1..t.len() - 1)
                        .is_some_and(|x| x.chars().all(|c| c.is_ascii_alphabetic()))
            })
            && matches!(prog.as_str(), "perl" | "perl5" | "ruby");
        if code_flags.contains(&t) || cluster_hit {
            if let Some(w) = args.get(i + 1) {
                code.push(w);
            }
            i += 2;
            continue;
        }
        if matches!(prog.as_str(), "perl" | "perl5" | "ruby")
            && t.starts_with('-')
            && !t.starts_with("--")
            && !t.starts_with("-M")
            && !t.starts_with("-I")
            && !t.starts_with("-r")
        {
            if let Some(pos) = t.find(['e', 'E']) {
                if pos + 1 < t.len() {
                    code.push(args[i]); // inline code after -e; scanned as text
                } else if let Some(w) = args.get(i + 1) {
                    code.push(w);
                    i += 1;
                }
                i += 1;
                continue;
            }
        }
        if let Some(eq) = code_flags
            .iter()
            .find_map(|f| t.strip_prefix(f).and_then(|x| x.strip_prefix('=')))
        {
            let _ = eq;
            code.push(args[i]);
            i += 1;
            continue;
        }
        if !t.starts_with('-') || t == "-" {
            operands += 1;
        }
        i += 1;
    }
    // awk's program is its first operand; sed's script too.
    if is_awk(&prog) || prog == "sed" || prog == "busybox" {
        if prog == "busybox" {
            return;
        }
        if !args
            .iter()
            .any(|w| w.is("-f") || w.text.starts_with("--file"))
        {
            let mut skip = false;
            for w in args {
                if skip {
                    skip = false;
                    continue;
                }
                if matches!(w.text.as_str(), "-F" | "-v" | "-e" | "--expression" | "-i")
                    && prog != "sed"
                    || (prog == "sed" && matches!(w.text.as_str(), "-e" | "--expression"))
                {
                    if prog == "sed" {
                        continue;
                    }
                    skip = true;
                    continue;
                }
                if w.text.starts_with('-') {
                    continue;
                }
                code.push(w);
                break;
            }
        }
    }
    for w in &code {
        if !w.literal() {
            if w.has_subst && (is_awk(&prog) || prog == "sed") {
                r.hit(
                    c::BASH_DYNAMIC_COMMAND,
                    w.range.clone(),
                    format!("the {prog} program is built at run time"),
                );
            } else if w.has_subst {
                dynamic_script(r, cmd, w, &prog);
            }
            continue;
        }
        let text = w.text.clone();
        code_effects(r, &prog, &text, w.range.clone());
        if is_awk(&prog) || prog == "sed" {
            super::script_writes::check(r, &prog, &text, w.range.clone());
        }
        if let Some(l) = lang {
            r.nested(l, &text, w.range.clone(), &format!("{prog} code"));
            continue;
        }
        if prog == "sed" {
            if sed_executes(&text) {
                r.hit(
                    c::BASH_INTERP_SPAWN,
                    w.range.clone(),
                    "the sed script runs a shell command (`e` command or `s///e` flag)",
                );
            }
            continue;
        }
        let s = payload::scan(&text);
        let lower = text.to_ascii_lowercase();
        if lower.matches("fork").count() >= 1
            && (lower.contains("while") || lower.contains("loop") || lower.contains("for "))
            && !lower.contains("forkpty")
        {
            r.hit(
                c::BASH_FORK_BOMB,
                w.range.clone(),
                format!("the {prog} code forks in a loop (fork bomb)"),
            );
        }
        if s.socket && (s.spawn || s.shell_plumbing) {
            r.hit(
                c::BASH_REVERSE_SHELL,
                w.range.clone(),
                format!("the {prog} code connects a socket to a shell or process"),
            );
        } else if s.spawn {
            r.hit(
                c::BASH_INTERP_SPAWN,
                w.range.clone(),
                format!("the {prog} one-liner runs a shell or external command"),
            );
        } else if s.socket {
            r.hit(
                c::BASH_INTERP_SPAWN,
                w.range.clone(),
                format!("the {prog} one-liner opens a network connection"),
            );
        } else if s.decode && lower.contains("eval") {
            r.hit(
                c::BASH_DECODE_EXEC,
                w.range.clone(),
                format!("the {prog} code evaluates decoded data"),
            );
        } else if s.decode {
            r.hit(
                c::BASH_DECODE_PAYLOAD,
                w.range.clone(),
                format!("the {prog} code decodes hidden data"),
            );
        }
    }
    let reads_stdin = code.is_empty()
        && !is_awk(&prog)
        && prog != "sed"
        && prog != "gdb"
        && (operands == 0 || args.iter().any(|w| w.is("-") || w.is("/dev/stdin")));
    let stdin_redirect = cmd
        .redirects
        .iter()
        .any(|rd| rd.op.starts_with('<') && rd.fd.is_none());
    if reads_stdin && (!matches!(cmd.stdin, Stdin::Inherited) || stdin_redirect) {
        stdin_program(r, cmd, inv, lang.or(None));
    }
}

pub(super) fn sed_executes(script: &str) -> bool {
    for part in script.split([';', '\n']) {
        let p = part.trim_start();
        let p = p.trim_start_matches(|c: char| c.is_ascii_digit() || c == ',' || c == '$');
        if p == "e" || p.starts_with("e ") {
            return true;
        }
        if let Some(rest) = p.strip_prefix('s') {
            if let Some(delim) = rest.chars().next() {
                let pieces: Vec<&str> = rest[delim.len_utf8()..].split(delim).collect();
                if pieces.len() >= 3
                    && pieces[2].contains('e')
                    && pieces[2].chars().all(|c| c.is_ascii_alphanumeric())
                {
                    return true;
                }
            }
        }
    }
    false
}

/// Absolute paths mentioned in program text.
pub(super) fn abs_paths(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for (i, _) in text.match_indices('/') {
        let before = text[..i].chars().next_back();
        if !before.is_none_or(|c| matches!(c, '"' | '\'' | ' ' | '(' | ',' | '=' | '`')) {
            continue;
        }
        let rest = &text[i..];
        let end = rest
            .find(['"', '\'', ' ', ')', ',', ';', '`', '\n'])
            .unwrap_or(rest.len());
        let p = &rest[..end];
        if p.len() > 1 && p[1..].starts_with(|c: char| c.is_ascii_alphanumeric() || c == '.') {
            out.push(p);
        }
    }
    out
}

/// What interpreter code does to files, whatever the language: writes
/// outside the workspace, deletes system paths, loads native code.
pub(super) fn code_effects(
    r: &mut Rules<'_, '_>,
    prog: &str,
    text: &str,
    range: std::ops::Range<usize>,
) {
    let lower = text.to_ascii_lowercase();
    let paths = abs_paths(text);
    let outside = |p: &&str| {
        !["/tmp", "/var/tmp", "/dev/", "/proc/self"]
            .iter()
            .any(|ok| p.starts_with(ok))
    };
    let writes = [
        "write",
        "put_contents",
        "out-file",
        "fopen",
        "open(",
        "io.open",
        "file.open",
        "appendfile",
        "set-content",
    ]
    .iter()
    .any(|k| lower.contains(k))
        && (lower.contains("\"w")
            || lower.contains("'w")
            || lower.contains("\"a\"")
            || lower.contains("'a'")
            || lower.contains("writefile")
            || lower.contains("put_contents")
            || lower.contains("out-file")
            || lower.contains("set-content")
            || lower.contains("write("));
    if writes {
        if let Some(p) = paths.iter().find(|p| outside(p)) {
            r.hit(
                c::BASH_WRITE_OUTSIDE,
                range.clone(),
                format!("the {prog} code writes `{p}`, outside the workspace"),
            );
        }
    }
    let deletes = [
        "rm_rf",
        "rmtree",
        "unlink",
        "rmsync",
        "rmdirsync",
        "remove(",
        "remove_dir_all",
        "delete(",
    ]
    .iter()
    .any(|k| lower.contains(k));
    if deletes {
        if let Some(p) = paths.iter().find(|p| {
            crate::names::is_system_path(p) || crate::names::persistence_path(p).is_some()
        }) {
            r.hit(
                c::BASH_DESTRUCTIVE_FS,
                range.clone(),
                format!("the {prog} code deletes `{p}`"),
            );
        }
    }
    if [
        "dlopen",
        "fiddle",
        "ffi.load",
        "loadlibrary",
        "cdll",
        "ctypes",
        "dl_open",
        "process.dlopen",
    ]
    .iter()
    .any(|k| lower.contains(k))
    {
        r.hit(
            c::BASH_LIBRARY_LOAD,
            range,
            format!("the {prog} code loads a native library"),
        );
    }
}
