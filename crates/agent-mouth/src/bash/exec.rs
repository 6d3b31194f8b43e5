//! What runs what: download-then-execute, pipes and here-documents into
//! shells, eval/source of dynamic text, decoded payloads, reverse shells,
//! interpreter one-liners, shell escapes and argument injection.

use super::argv::{basename, Invocation};
use super::extract::{Cmd, Stdin};
use super::word::{Dyn, Word};
use super::Rules;
use crate::catalog as c;
use crate::names::{is_awk, is_downloader, is_interpreter, is_python, is_shell};
use crate::payload;
use crate::Lang;

pub(crate) fn check_command(r: &mut Rules<'_, '_>, cmd: &Cmd, invs: &[Invocation<'_>]) {
    for (idx, inv) in invs.iter().enumerate() {
        dynamic_name(r, cmd, inv);
        let local = inv.argv.first().is_some_and(|w| w.text.starts_with("./"));
        let wraps_next = invs
            .get(idx + 1)
            .is_some_and(|n| n.via.len() > inv.via.len() && !n.via.contains(&"find"));
        let prog = inv.prog();
        if is_shell(prog) {
            shell(r, cmd, inv);
        } else if is_interpreter(prog) || prog == "sed" {
            interpreter(r, cmd, inv);
        }
        match if local { "" } else { prog } {
            "eval" => eval(r, cmd, inv),
            "source" | "." => source(r, cmd, inv),
            "alias" => alias(r, inv),
            "shopt" if inv.args().iter().any(|w| w.is("expand_aliases")) => r.hit(
                c::BASH_ALIAS_HIJACK,
                cmd.range.clone(),
                "enables alias expansion in a script, so later command names may run something else",
            ),
            "trap" => trap(r, inv),
            "su" | "script" | "flock" | "runuser" => string_option(r, cmd, inv, &["-c", "--command"]),
            "watch" => watch(r, inv),
            "env" => string_option(r, cmd, inv, &["-S", "--split-string"]),
            "ssh" => ssh(r, inv),
            "nc" | "ncat" | "netcat" | "cryptcat" | "pwncat" | "nc.traditional" | "nc.openbsd" => netcat(r, cmd, inv),
            "socat" => socat(r, cmd, inv),
            "msfvenom" | "msfconsole" | "msfrpcd" | "msfpc" => r.hit(
                c::BASH_PAYLOAD_GEN,
                cmd.range.clone(),
                format!("`{prog}` generates or serves exploit payloads"),
            ),
            "docker" | "podman" | "nerdctl" | "lxc" | "incus" => container(r, cmd, inv),
            "start-stop-daemon" => {
                if let Some(w) = inv.opt_value(&["-x", "-a"], &["--exec", "--startas"]) {
                    let t = w.text.rsplit('=').next().unwrap_or(&w.text);
                    if is_shell(basename(t)) {
                        r.hit(c::BASH_SHELL_SPAWN, w.range.clone(), "start-stop-daemon is made to run a shell");
                    }
                }
            }
            "zmodload" if inv.args().iter().any(|w| w.text.starts_with("zsh/net")) => r.hit(
                c::BASH_REVERSE_SHELL,
                cmd.range.clone(),
                "loads zsh's raw TCP/socket module",
            ),
            _ => {}
        }
        if !wraps_next {
            embedded_shell(r, inv);
            arg_injection(r, inv);
        }
    }
    dev_tcp(r, cmd);
    agent_bypass(r, cmd);
    for w in cmd
        .words
        .iter()
        .chain(cmd.redirects.iter().map(|rd| &rd.target))
    {
        if let Some(ch) = w.text.chars().find(|c| crate::engine::is_invisible(*c)) {
            r.hit(
                c::INPUT_INVISIBLE,
                w.range.clone(),
                format!(
                    "a word decodes to the invisible or direction-changing character U+{:04X}",
                    ch as u32
                ),
            );
        }
    }
    if let Some(Stdin::HereString(w)) = Some(&cmd.stdin) {
        if w.text.contains("/dev/tcp/") || w.text.contains("/dev/udp/") {
            r.hit(
                c::BASH_REVERSE_SHELL,
                w.range.clone(),
                "here-string opens a raw network connection (/dev/tcp)",
            );
        }
    }
}

fn dynamic_name(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let Some(name) = inv.argv.first() else { return };
    if name
        .text
        .chars()
        .any(|c| !c.is_ascii() && c.is_alphabetic())
    {
        r.hit(
            c::BASH_OBFUSCATED,
            name.range.clone(),
            format!(
                "the command name `{}` contains non-ASCII letters (look-alike characters)",
                name.text
            ),
        );
    }
    if let Some(how) = name.obfuscated {
        r.hit(
            c::BASH_OBFUSCATED,
            name.range.clone(),
            format!("the command name {how}; it runs `{}`", name.text),
        );
    }
    for w in inv.args() {
        if w.obfuscated == Some("uses $IFS as a separator") {
            r.hit(
                c::BASH_OBFUSCATED,
                w.range.clone(),
                "an argument uses $IFS to smuggle spaces past filters",
            );
        }
    }
    if name.from_var && name.dynamic.is_none() {
        r.hit(
            c::BASH_DYNAMIC_COMMAND,
            name.range.clone(),
            format!(
                "the command name comes from a variable (it would run `{}`)",
                name.text
            ),
        );
    }
    let Some(why) = name.dynamic else { return };
    let subs = r.substituted(cmd);
    if name.has_subst {
        if subs.iter().any(|s| is_decode_cmd(r, s)) {
            r.hit(
                c::BASH_DECODE_EXEC,
                name.range.clone(),
                "the command name is produced by decoding data at run time",
            );
            return;
        }
        if subs.iter().any(|s| is_download_cmd(s)) {
            r.hit(
                c::BASH_DOWNLOAD_EXEC,
                name.range.clone(),
                "the command name is downloaded at run time",
            );
            return;
        }
    }
    let guess = basename(&name.text);
    let extra = if why == Dyn::Glob
        || why == Dyn::Brace
        || why == Dyn::Variable && !name.text.contains('$')
    {
        format!(" (it would run `{guess}`)")
    } else {
        String::new()
    };
    r.hit(
        c::BASH_DYNAMIC_COMMAND,
        name.range.clone(),
        format!(
            "the command name comes from {}, so what runs is not known until run time{extra}",
            why.describe()
        ),
    );
}

/// Decoders: base64 -d, xxd -r, openssl enc -d, printf '\x..', rev, gunzip …
pub(crate) fn is_decode_cmd(_r: &Rules<'_, '_>, cmd: &Cmd) -> bool {
    super::argv::invocations(cmd).iter().any(|inv| {
        let prog = inv.prog();
        let args = inv.args();
        let flag = |s: char, l: &[&str]| inv.has_flag(s, l);
        match prog {
            "base64" | "base32" | "basenc" => flag('d', &["decode"]) || flag('D', &[]),
            "b64decode" | "uudecode" | "rev" | "gunzip" | "zcat" | "bunzip2" | "bzcat" | "unxz"
            | "xzcat" | "unzstd" | "zstdcat" | "lzcat" | "uncompress" => true,
            "gzip" | "bzip2" | "xz" | "zstd" | "lzma" => flag('d', &["decompress"]),
            "xxd" => flag('r', &["revert"]),
            "openssl" => args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "enc" | "base64" | "-d" | "-base64" | "-a" | "aes-256-cbc"
                )
            }),
            "printf" => args.iter().any(|w| has_escape_payload(&w.text)),
            "echo" => flag('e', &[]) && args.iter().any(|w| has_escape_payload(&w.text)),
            "tr" => args
                .iter()
                .any(|w| w.text.contains("N-Z") || w.text.contains("n-z")),
            "perl" | "python" | "python3" | "ruby" | "node" => args.iter().any(|w| {
                let t = w.text.to_ascii_lowercase();
                t.contains("decode")
                    || t.contains("unpack")
                    || t.contains("fromhex")
                    || t.contains("b64")
                    || t.contains("reverse")
            }),
            _ => false,
        }
    })
}

fn has_escape_payload(t: &str) -> bool {
    let hex = t.matches("\\x").count();
    let oct = t
        .as_bytes()
        .windows(2)
        .filter(|w| w[0] == b'\\' && w[1].is_ascii_digit())
        .count();
    hex + oct >= 3
}

pub(crate) fn is_download_cmd(cmd: &Cmd) -> bool {
    super::argv::invocations(cmd).iter().any(|inv| {
        let p = inv.prog();
        is_downloader(p) && !(p == "openssl" && !inv.args().iter().any(|w| w.is("s_client")))
    }) || cmd.redirects.iter().any(|rd| {
        rd.target.text.starts_with("/dev/tcp/") || rd.target.text.starts_with("/dev/udp/")
    })
}

/// What a shell or interpreter reading its program from stdin receives.
fn stdin_program(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, lang: Option<Lang>) {
    let prog = inv.prog().to_string();
    match &cmd.stdin {
        Stdin::Pipe(_) => {
            let ups = r.upstream(cmd);
            // underline the whole pipeline, from its first command to the sink
            let start = ups
                .iter()
                .filter(|u| u.parent == cmd.parent)
                .map(|u| u.range.start)
                .min()
                .unwrap_or(cmd.range.start)
                .min(cmd.range.start);
            let span = start..cmd.range.end;
            if ups.iter().any(|u| is_download_cmd(u)) {
                r.hit(
                    c::BASH_DOWNLOAD_EXEC,
                    span.clone(),
                    format!("downloaded content is piped into `{prog}` and executed"),
                );
            } else if ups.iter().any(|u| is_decode_cmd(r, u)) {
                r.hit(
                    c::BASH_DECODE_EXEC,
                    span.clone(),
                    format!("decoded data is piped into `{prog}` and executed"),
                );
            } else {
                r.hit(c::BASH_PIPE_TO_SHELL, span, format!("output of another command is piped into `{prog}` and executed as a program"));
            }
        }
        Stdin::HereString(w) => {
            r.hit(
                c::BASH_STDIN_SCRIPT,
                w.range.clone(),
                format!("a here-string is executed as a program by `{prog}`"),
            );
            if let (Some(l), None) = (lang, w.dynamic) {
                r.nested(
                    l,
                    &w.text,
                    w.range.clone(),
                    &format!("here-string run by {prog}"),
                );
            } else if w.has_subst {
                r.hit(
                    c::BASH_EXEC_DYNAMIC,
                    w.range.clone(),
                    format!("`{prog}` runs text produced at run time"),
                );
            }
        }
        Stdin::Heredoc { body, range } => {
            r.hit(
                c::BASH_STDIN_SCRIPT,
                range.clone(),
                format!("a here-document is executed as a program by `{prog}`"),
            );
            if let Some(l) = lang {
                let body = body.clone();
                r.nested(
                    l,
                    &body,
                    range.clone(),
                    &format!("here-document run by {prog}"),
                );
            }
        }
        Stdin::Inherited => {
            for rd in &cmd.redirects {
                if rd.op.starts_with('<') && rd.fd.is_none() {
                    if rd.target.kind == "process_substitution" {
                        let subs = r.substituted(cmd);
                        if subs.iter().any(|s| is_download_cmd(s)) {
                            r.hit(
                                c::BASH_DOWNLOAD_EXEC,
                                rd.target.range.clone(),
                                format!("downloaded content is fed to `{prog}` and executed"),
                            );
                        } else {
                            r.hit(
                                c::BASH_PROCSUB_EXEC,
                                rd.target.range.clone(),
                                format!("the output of a command is fed to `{prog}` and executed"),
                            );
                        }
                    }
                    return;
                }
            }
            if is_shell(&prog) {
                let name = inv.argv.first().map_or("", |w| w.text.as_str());
                let escape = !inv.via.is_empty() || name.starts_with('!') || cmd.parent.is_some();
                if escape {
                    r.hit(
                        c::BASH_SHELL_SPAWN,
                        cmd.range.clone(),
                        format!("starts an interactive `{prog}` shell through another program"),
                    );
                } else {
                    r.hit(
                        c::BASH_INTERACTIVE_SHELL,
                        cmd.range.clone(),
                        format!("starts an interactive `{prog}` shell"),
                    );
                }
            }
        }
    }
}

fn shell(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let prog = inv.prog().to_string();
    if let Some(script) = inv.operands().next() {
        let b = basename(&script.text).to_ascii_lowercase();
        if [
            "linenum",
            "linpeas",
            "lse.sh",
            "les.sh",
            "linux-exploit-suggester",
            "autosuid",
            "pspy",
            "suid3num",
            "linuxprivchecker",
            "beroot",
        ]
        .iter()
        .any(|k| b.contains(k))
        {
            r.hit(
                c::BASH_OFFENSIVE_TOOL,
                script.range.clone(),
                format!(
                    "`{}` is a privilege-escalation enumeration script",
                    script.text
                ),
            );
        }
    }
    let args = inv.args();
    let mut c_mode = false;
    let mut stdin_mode = false;
    let mut privileged = false;
    let mut operand: Option<&Word> = None;
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if t == "--" {
            operand = args.get(i + 1).copied();
            break;
        }
        if matches!(t, "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file") {
            i += 2;
            continue;
        }
        if t.starts_with("--") {
            if prog == "pwsh" || prog == "powershell" {
                if t.eq_ignore_ascii_case("--command") {
                    c_mode = true;
                }
            }
            i += 1;
            continue;
        }
        if (t.starts_with('-') || t.starts_with('+')) && t.len() > 1 {
            let flags = &t[1..];
            if prog == "pwsh" || prog == "powershell" {
                let l = flags.to_ascii_lowercase();
                if l == "c" || l == "command" || l == "encodedcommand" || l == "e" || l == "enc" {
                    c_mode = true;
                }
            } else {
                c_mode |= flags.contains('c');
                stdin_mode |= flags.contains('s');
                privileged |= t.starts_with('-') && flags.contains('p');
            }
            i += 1;
            continue;
        }
        operand = Some(args[i]);
        break;
    }
    if privileged {
        r.hit(
            c::BASH_SHELL_SPAWN,
            cmd.range.clone(),
            format!("`{prog} -p` keeps elevated privileges (a classic SUID escape)"),
        );
    }
    if c_mode && (prog == "pwsh" || prog == "powershell") {
        if let Some(w) = operand {
            code_effects(r, &prog, &w.text, w.range.clone());
            let s = payload::scan(&w.text);
            let lower = w.text.to_ascii_lowercase();
            if s.spawn
                || s.socket
                || lower.contains("invoke-expression")
                || lower.contains("iex")
                || lower.contains("downloadstring")
                || lower.contains("start-process")
                || lower.contains("-encodedcommand")
            {
                r.hit(
                    c::BASH_INTERP_SPAWN,
                    w.range.clone(),
                    "the PowerShell command runs programs, evaluates strings or opens connections",
                );
            }
        }
        return;
    }
    if c_mode {
        match operand {
            Some(w) if inv.via.contains(&"xargs") && w.text.contains("{}") => {
                // the script is whatever xargs reads from its stdin
                stdin_program(r, cmd, inv, Some(Lang::Bash));
            }
            Some(w) if w.literal() => {
                let what = format!("{prog} -c string");
                r.nested(Lang::Bash, &w.text, w.range.clone(), &what);
            }
            Some(w) => dynamic_script(r, cmd, w, &prog),
            None => {}
        }
        return;
    }
    match operand {
        Some(w) if w.kind == "process_substitution" => {
            let subs = r.substituted(cmd);
            if subs.iter().any(|s| is_download_cmd(s)) {
                r.hit(
                    c::BASH_DOWNLOAD_EXEC,
                    w.range.clone(),
                    format!("downloaded content is run by `{prog}`"),
                );
            } else {
                r.hit(
                    c::BASH_PROCSUB_EXEC,
                    w.range.clone(),
                    format!("the output of a command is run as a script by `{prog}`"),
                );
            }
        }
        Some(w)
            if matches!(
                w.text.as_str(),
                "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
            ) =>
        {
            stdin_program(r, cmd, inv, Some(Lang::Bash));
        }
        Some(w) if w.has_subst => dynamic_script(r, cmd, w, &prog),
        Some(_) if !stdin_mode => {}
        _ => stdin_program(r, cmd, inv, Some(Lang::Bash)),
    }
}

/// A shell or eval told to run text that only exists at run time.
fn dynamic_script(r: &mut Rules<'_, '_>, cmd: &Cmd, w: &Word, prog: &str) {
    let subs = r.substituted(cmd);
    if subs.iter().any(|s| is_download_cmd(s)) {
        r.hit(
            c::BASH_DOWNLOAD_EXEC,
            w.range.clone(),
            format!("downloaded content is executed by `{prog}`"),
        );
    } else if subs.iter().any(|s| is_decode_cmd(r, s)) {
        r.hit(
            c::BASH_DECODE_EXEC,
            w.range.clone(),
            format!("decoded data is executed by `{prog}`"),
        );
    } else {
        r.hit(
            c::BASH_EXEC_DYNAMIC,
            w.range.clone(),
            format!(
                "`{prog}` executes text that is only known at run time ({})",
                w.dynamic.map_or("dynamic", Dyn::describe)
            ),
        );
    }
}

fn interpreter(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
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

/// Absolute paths mentioned in program text.
fn abs_paths(text: &str) -> Vec<&str> {
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
fn code_effects(r: &mut Rules<'_, '_>, prog: &str, text: &str, range: std::ops::Range<usize>) {
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

fn sed_executes(script: &str) -> bool {
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

fn eval(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let args = inv.args();
    if args.is_empty() {
        return;
    }
    if let Some(w) = args.iter().find(|w| !w.literal()) {
        dynamic_script(r, cmd, w, "eval");
        return;
    }
    let text: Vec<&str> = args.iter().map(|w| w.text.as_str()).collect();
    let start = args[0].range.start;
    let end = args[args.len() - 1].range.end;
    r.hit(
        c::BASH_EVAL,
        start..end,
        "eval re-parses its arguments as shell code",
    );
    r.nested(Lang::Bash, &text.join(" "), start..end, "eval");
}

fn source(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let Some(w) = inv.args().first() else {
        if !matches!(cmd.stdin, Stdin::Inherited) {
            stdin_program(r, cmd, inv, Some(Lang::Bash));
        }
        return;
    };
    if w.kind == "process_substitution" {
        let subs = r.substituted(cmd);
        if subs.iter().any(|s| is_download_cmd(s)) {
            r.hit(
                c::BASH_DOWNLOAD_EXEC,
                w.range.clone(),
                "downloaded content is sourced into the shell",
            );
        } else {
            r.hit(
                c::BASH_PROCSUB_EXEC,
                w.range.clone(),
                "the output of a command is sourced into the shell",
            );
        }
    } else if matches!(
        w.text.as_str(),
        "-" | "/dev/stdin" | "/dev/fd/0" | "/proc/self/fd/0"
    ) {
        stdin_program(r, cmd, inv, Some(Lang::Bash));
    } else if w.has_subst {
        r.hit(
            c::BASH_DYNAMIC_COMMAND,
            w.range.clone(),
            "sources a file whose path is computed at run time",
        );
    }
}

fn alias(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    for w in inv.args() {
        let Some((name, value)) = w.text.split_once('=') else {
            continue;
        };
        r.nested(Lang::Bash, value, w.range.clone(), &format!("alias {name}"));
        const COMMON: &[&str] = &[
            "ls", "cd", "cat", "sudo", "su", "git", "ssh", "cp", "mv", "rm", "echo", "ps", "grep",
            "vi", "vim", "nano", "python", "python3", "pip", "npm", "node", "cargo", "make",
            "curl", "wget", "apt", "apt-get", "docker", "kubectl", "exit", "clear", "which", "id",
            "whoami", "bash", "sh", "passwd",
        ];
        if COMMON.contains(&name) {
            r.hit(
                c::BASH_ALIAS_HIJACK,
                w.range.clone(),
                format!("redefines the common command `{name}` as an alias"),
            );
        }
    }
}

fn trap(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let args = inv.args();
    let Some(handler) = args.first() else { return };
    if handler.text.starts_with('-') {
        return;
    }
    if handler.literal() {
        r.nested(
            Lang::Bash,
            &handler.text,
            handler.range.clone(),
            "trap handler",
        );
    }
    if args.iter().skip(1).any(|w| w.is("DEBUG") || w.is("RETURN")) && !handler.text.is_empty() {
        r.hit(
            c::BASH_ALIAS_HIJACK,
            handler.range.clone(),
            "a DEBUG trap runs code before every command (used for keylogging)",
        );
    }
}

fn string_option(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, opts: &[&str]) {
    let prog = inv.prog().to_string();
    let short = opts
        .iter()
        .find(|o| o.len() == 2)
        .and_then(|o| o.chars().nth(1));
    let clustered = short.and_then(|c| {
        let a = inv.args();
        a.iter()
            .position(|w| {
                let t = w.text.as_str();
                t.len() > 2
                    && t.starts_with('-')
                    && !t.starts_with("--")
                    && t.ends_with(c)
                    && t[1..].chars().all(|x| x.is_ascii_alphabetic())
            })
            .and_then(|i| a.get(i + 1).copied())
    });
    let value = inv
        .opt_value(
            opts,
            &opts
                .iter()
                .copied()
                .filter(|o| o.starts_with("--"))
                .collect::<Vec<_>>(),
        )
        .or(clustered);
    match value {
        Some(w) => {
            let text = w
                .text
                .split_once('=')
                .filter(|_| w.text.starts_with("--"))
                .map_or(w.text.as_str(), |x| x.1)
                .to_string();
            if w.literal() {
                r.nested(
                    Lang::Bash,
                    &text,
                    w.range.clone(),
                    &format!("{prog} command string"),
                );
            } else {
                dynamic_script(r, cmd, w, &prog);
            }
        }
        None => {
            let plain = inv.operands().count();
            if prog == "su" && plain <= 1 {
                r.hit(
                    c::BASH_SHELL_SPAWN,
                    cmd.range.clone(),
                    format!("`{prog}` starts an interactive shell"),
                );
            }
        }
    }
}

fn watch(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let args = inv.args();
    let mut i = 0;
    while i < args.len() && args[i].text.starts_with('-') {
        i += if matches!(
            args[i].text.as_str(),
            "-n" | "--interval" | "-q" | "--equexit"
        ) {
            2
        } else {
            1
        };
    }
    if i < args.len() && args[i..].iter().all(|w| w.literal()) {
        let text: Vec<&str> = args[i..].iter().map(|w| w.text.as_str()).collect();
        let range = args[i].range.start..args[args.len() - 1].range.end;
        r.nested(Lang::Bash, &text.join(" "), range, "watch command");
    }
}

fn ssh(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    const WITH_VALUE: &[&str] = &[
        "-b", "-c", "-D", "-E", "-e", "-F", "-I", "-i", "-J", "-L", "-l", "-m", "-O", "-o", "-p",
        "-Q", "-R", "-S", "-W", "-w", "-B",
    ];
    let args = inv.args();
    let mut i = 0;
    let mut host_seen = false;
    while i < args.len() {
        let t = args[i].text.as_str();
        if !host_seen && WITH_VALUE.contains(&t) {
            i += 2;
            continue;
        }
        if !host_seen && t.starts_with('-') {
            i += 1;
            continue;
        }
        if !host_seen {
            host_seen = true;
            i += 1;
            continue;
        }
        break;
    }
    if i < args.len() && args[i..].iter().all(|w| w.literal()) {
        let text: Vec<&str> = args[i..].iter().map(|w| w.text.as_str()).collect();
        let range = args[i].range.start..args[args.len() - 1].range.end;
        r.nested(Lang::Bash, &text.join(" "), range, "remote ssh command");
    }
}

fn netcat(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let exec = inv.args().iter().find(|w| {
        matches!(
            w.text.as_str(),
            "-e" | "-c" | "--exec" | "--sh-exec" | "--lua-exec"
        ) || (w.text.starts_with("-e") && w.text.len() > 2 && !w.text.starts_with("--"))
    });
    if let Some(w) = exec {
        let listen = inv.has_flag('l', &["listen"]);
        let rule = if listen {
            c::BASH_BIND_SHELL
        } else {
            c::BASH_REVERSE_SHELL
        };
        r.hit(
            rule,
            w.range.start..cmd.range.end.max(w.range.end),
            format!(
                "`{}` attaches a program to a network connection",
                inv.prog()
            ),
        );
    }
}

fn socat(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let lower: Vec<String> = inv
        .args()
        .iter()
        .map(|w| w.text.to_ascii_lowercase())
        .collect();
    let execs = lower.iter().any(|a| {
        a.starts_with("exec:")
            || a.starts_with("system:")
            || a.contains(",exec:")
            || a.starts_with("'exec:")
            || a.contains("pty") && a.contains("exec")
    });
    if execs {
        let listen = lower
            .iter()
            .any(|a| a.contains("-listen") || a.starts_with("listen"));
        let rule = if listen {
            c::BASH_BIND_SHELL
        } else {
            c::BASH_REVERSE_SHELL
        };
        r.hit(
            rule,
            cmd.range.clone(),
            "socat connects a program to a network socket",
        );
    }
}

fn container(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let args = inv.args();
    let lxc = matches!(inv.prog(), "lxc" | "incus");
    if !lxc
        && !args
            .first()
            .is_some_and(|w| matches!(w.text.as_str(), "run" | "create" | "exec"))
    {
        return;
    }
    for (i, w) in args.iter().enumerate() {
        let t = w.text.as_str();
        let vol = if matches!(t, "-v" | "--volume" | "--mount") {
            args.get(i + 1).map(|x| x.text.as_str())
        } else {
            t.strip_prefix("--volume=").or_else(|| t.strip_prefix("-v"))
        };
        if let Some(v) = vol {
            if v.starts_with("/:")
                || v.contains("source=/,")
                || v.starts_with("/var/run/docker.sock")
            {
                r.hit(
                    c::BASH_CONTAINER_ESCAPE,
                    w.range.clone(),
                    "mounts the host's root filesystem or Docker socket into a container",
                );
            }
        }
        if t == "--privileged"
            || t == "--pid=host"
            || t.starts_with("--cap-add=SYS_ADMIN")
            || t == "--cap-add=ALL"
            || t == "security.privileged=true"
            || t == "source=/"
        {
            r.hit(
                c::BASH_CONTAINER_ESCAPE,
                w.range.clone(),
                format!("`{t}` gives the container control over the host"),
            );
        }
    }
    let _ = cmd;
}

/// A shell started through another program's arguments: `setarch -3
/// /bin/sh`, `csvtool call '/bin/sh;false'`, `--exec '/bin/sh #'`.
fn embedded_shell(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let prog = inv.prog();
    if prog == "find" {
        return; // -exec programs are their own invocations
    }
    if is_shell(prog)
        || matches!(
            prog,
            "echo"
                | "printf"
                | "ls"
                | "file"
                | "stat"
                | "which"
                | "type"
                | "readlink"
                | "realpath"
                | "ldd"
                | "strings"
                | "test"
                | "["
                | "[["
                | "chsh"
                | "usermod"
                | "useradd"
                | "adduser"
                | "grep"
                | "egrep"
                | "rg"
                | "head"
                | "tail"
                | "md5sum"
                | "sha256sum"
                | "sha1sum"
                | "objdump"
                | "nm"
                | "readelf"
                | "du"
                | "wc"
                | "cmp"
                | "diff"
                | "hexdump"
                | "od"
                | "xxd"
                | "shellcheck"
                | "checkbashisms"
                | "update-alternatives"
                | "dpkg"
                | "rpm"
                | "apt-file"
                | "whereis"
                | "docker"
                | "podman"
                | "kubectl"
                | "nerdctl"
                | "lxc"
                | "oc"
                | "distrobox"
                | "toolbox"
                | "vagrant"
                | "git"
                | "cp"
                | "install"
                | "mv"
                | "ln"
                | "chmod"
                | "chown"
                | "setfacl"
                | "getfacl"
        )
    {
        return;
    }
    for w in inv.args() {
        if let Some(sh) = payload::embedded_shell(&w.text) {
            r.hit(
                c::BASH_SHELL_SPAWN,
                w.range.clone(),
                format!("`{prog}` is made to run a shell (`{sh}`) through its arguments"),
            );
            return;
        }
    }
}

/// Options whose value is run as a command: `--pre`, `-o '|cmd'`,
/// `core.sshCommand=…`, `--checkpoint-action=exec=…`.
fn arg_injection(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let prog = inv.prog();
    if is_shell(prog)
        || matches!(
            prog,
            "echo" | "printf" | "grep" | "egrep" | "sed" | "awk" | "jq" | "test" | "["
        )
    {
        return;
    }
    let args = inv.args();
    if prog == "find" {
        return;
    }
    const EXEC_OPTS: &[&str] = &[
        "exec",
        "command",
        "cmd",
        "shell",
        "pre",
        "pager",
        "editor",
        "launcher",
        "proxycommand",
        "hook",
        "program",
        "rsh",
        "action",
        "wrapper",
        "interpreter",
        "sshcommand",
        "pack",
        "fsmonitor",
        "browser",
        "compress",
        "script",
        "postprocessor",
        "renderer",
        "helper",
        "askpass",
    ];
    for (i, w) in args.iter().enumerate() {
        let t = w.text.as_str();
        let (name, inline) = match t.split_once('=') {
            Some((n, v)) if n.starts_with('-') => (n, Some(v)),
            _ => (t, None),
        };
        // `-o'|id'`, `--output=|cmd`: output "files" that are pipes.
        let short_inline = (name.starts_with("-o") || name.starts_with("-O"))
            && name.get(2..).is_some_and(|x| x.starts_with('|'));
        if short_inline || inline.is_some_and(|v| v.starts_with('|')) {
            r.hit(
                c::BASH_ARG_INJECTION,
                w.range.clone(),
                format!("`{prog}` is given a pipe to a command as an output file"),
            );
            continue;
        }
        let lname = name.trim_start_matches('-').to_ascii_lowercase();
        let git_config = prog == "git" && (t == "-c" || t == "--config-env");
        let value = if git_config {
            args.get(i + 1).map(|v| v.text.as_str())
        } else if name.starts_with('-')
            && lname
                .split(['-', '_', '.'])
                .any(|part| EXEC_OPTS.contains(&part))
        {
            inline.or_else(|| args.get(i + 1).map(|v| v.text.as_str()))
        } else if let Some((k, v)) = t.split_once('=').filter(|(k, _)| !k.starts_with('-')) {
            // `-o ProxyCommand=…`, `-c key=value`: an option value that is itself a setting
            let lk = k.to_ascii_lowercase();
            let execish = EXEC_OPTS.iter().any(|o| lk.contains(o)) || lk.contains("localcommand");
            execish.then_some(v)
        } else {
            None
        };
        // Any option whose value is a shell command line (`-TT 'sh #'`).
        if value.is_none()
            && i > 0
            && args[i - 1].text.starts_with('-')
            && !args[i - 1].text.contains('=')
        {
            let first = t.split_whitespace().next().unwrap_or("");
            if is_shell(basename(first)) && (t.contains(' ') || t.contains('#') || t.contains(';'))
            {
                r.hit(
                    c::BASH_ARG_INJECTION,
                    w.range.clone(),
                    format!(
                        "`{prog}` option `{}` is given a shell command line",
                        args[i - 1].text
                    ),
                );
                continue;
            }
        }
        let hooky = name.starts_with("--on-")
            || lname
                .split(['-', '_', '.'])
                .any(|part| EXEC_OPTS.contains(&part));
        if name.starts_with('-') && hooky && value.is_none() {
            if let Some(v) = inline {
                if v.ends_with(".sh") || v.starts_with("/tmp/") || v.starts_with("./") {
                    r.hit(
                        c::BASH_PATH_HIJACK,
                        w.range.clone(),
                        format!("`{prog}` option `{name}` makes it run `{v}`"),
                    );
                }
            }
        }
        let Some(v) = value else { continue };
        if !git_config
            && name.starts_with('-')
            && (v.ends_with(".sh") || v.starts_with("/tmp/"))
            && !looks_like_command(v)
        {
            r.hit(
                c::BASH_PATH_HIJACK,
                w.range.clone(),
                format!("`{prog}` option `{name}` makes it run `{v}`"),
            );
            continue;
        }
        if git_config {
            let lower = v.to_ascii_lowercase();
            let key = lower.split('=').next().unwrap_or("");
            let val = v.split_once('=').map_or("", |x| x.1);
            let dangerous_key = matches!(
                key,
                "core.sshcommand"
                    | "core.pager"
                    | "core.editor"
                    | "core.fsmonitor"
                    | "core.hookspath"
                    | "core.gitproxy"
                    | "sequence.editor"
                    | "diff.external"
                    | "protocol.ext.allow"
                    | "uploadpack.packobjectshook"
            ) || (key.starts_with("alias.") && val.starts_with('!'))
                || (key.starts_with("credential") && val.starts_with('!'));
            if dangerous_key && looks_like_command(val.trim_start_matches('!')) {
                r.hit(
                    c::BASH_ARG_INJECTION,
                    w.range.clone(),
                    format!("git config `{key}` makes git run a shell command"),
                );
            } else if dangerous_key {
                r.hit(
                    c::BASH_PATH_HIJACK,
                    w.range.clone(),
                    format!("git config `{key}` makes git run another program"),
                );
            }
            continue;
        }
        if looks_like_command(v) {
            r.hit(
                c::BASH_ARG_INJECTION,
                w.range.clone(),
                format!("`{prog}` option `{name}` is given a shell command to run"),
            );
        }
    }
}

fn looks_like_command(v: &str) -> bool {
    let first = v.split_whitespace().next().unwrap_or("");
    payload::embedded_shell(v).is_some()
        || is_shell(basename(first.trim_matches(|c| c == '\'' || c == '"')))
        || v.contains("$(")
        || v.contains('`')
        || v.contains(';')
        || v.contains("&&")
        || v.contains('|')
        || v.contains('>')
        || v.contains('<')
        || v.to_ascii_lowercase().contains("exec=")
}

fn dev_tcp(r: &mut Rules<'_, '_>, cmd: &Cmd) {
    let words = cmd
        .words
        .iter()
        .chain(cmd.redirects.iter().map(|rd| &rd.target))
        .chain(cmd.assigns.iter().map(|a| &a.1));
    for w in words {
        if w.text.contains("/dev/tcp/") || w.text.contains("/dev/udp/") {
            r.hit(
                c::BASH_REVERSE_SHELL,
                w.range.clone(),
                "opens a raw network connection through bash's /dev/tcp or /dev/udp",
            );
            return;
        }
    }
}

fn agent_bypass(r: &mut Rules<'_, '_>, cmd: &Cmd) {
    for w in &cmd.words {
        if matches!(
            w.text.as_str(),
            "--dangerously-skip-permissions"
                | "--dangerously-bypass-approvals-and-sandbox"
                | "--yolo"
                | "--trust-all-tools"
                | "--allow-all-tools"
        ) {
            r.hit(
                c::BASH_AGENT_BYPASS,
                w.range.clone(),
                "runs a coding agent with its safety checks disabled",
            );
        }
    }
}

/// Text a command prints (echo/printf arguments, a here-document fed to
/// cat), when it is known.
fn printed_content(cmd: &Cmd) -> Option<(String, std::ops::Range<usize>)> {
    let prog = cmd.words.first().map(|w| basename(&w.text))?;
    match prog {
        "echo" | "printf" => {
            let args: Vec<&Word> = cmd.words[1..]
                .iter()
                .filter(|w| !(w.text.starts_with('-') && w.text.len() <= 3 && prog == "echo"))
                .collect();
            let first = args.first()?;
            let last = args.last()?;
            let text: Vec<String> = args.iter().map(|w| w.text.replace("\\n", "\n")).collect();
            Some((text.join(" "), first.range.start..last.range.end))
        }
        "cat" | "tee" => match &cmd.stdin {
            Stdin::Heredoc { body, range } => Some((body.clone(), range.clone())),
            Stdin::HereString(w) => Some((w.text.clone(), w.range.clone())),
            _ => None,
        },
        _ => None,
    }
}

/// Where a command's output goes: files it writes.
fn written_files(r: &Rules<'_, '_>, cmd: &Cmd) -> Vec<String> {
    let mut out: Vec<String> = cmd
        .redirects
        .iter()
        .filter(|rd| {
            rd.op.contains('>') && !rd.op.contains('&') && rd.fd.as_deref().is_none_or(|f| f == "1")
        })
        .map(|rd| rd.target.text.clone())
        .collect();
    for d in r.downstream(cmd) {
        if d.words.first().is_some_and(|w| basename(&w.text) == "tee") {
            out.extend(
                d.words[1..]
                    .iter()
                    .filter(|w| !w.text.starts_with('-'))
                    .map(|w| w.text.clone()),
            );
        }
    }
    if cmd
        .words
        .first()
        .is_some_and(|w| basename(&w.text) == "tee")
    {
        out.extend(
            cmd.words[1..]
                .iter()
                .filter(|w| !w.text.starts_with('-'))
                .map(|w| w.text.clone()),
        );
    }
    out
}

fn looks_executable(path: &str) -> bool {
    let b = basename(path);
    b.ends_with(".sh")
        || b.ends_with(".bash")
        || b.ends_with(".zsh")
        || path.contains("/hooks/")
        || path.contains(".git/hooks")
        || crate::names::persistence_path(path).is_some()
}

/// Payloads written to files or fed to programs: a shell spawned from
/// written content, script files whose content is itself dangerous, and
/// files written then executed.
fn payloads(r: &mut Rules<'_, '_>) {
    let s = r.script;
    let mut written: Vec<String> = Vec::new();
    for cmd in &s.cmds {
        let targets = written_files(r, cmd);
        let piped = !r.downstream(cmd).is_empty();
        if let Some((content, range)) = printed_content(cmd) {
            if !targets.is_empty() || piped {
                let body: String = content
                    .lines()
                    .filter(|l| !l.trim_start().starts_with("#!"))
                    .collect::<Vec<_>>()
                    .join("\n");
                if let Some(sh) = payload::embedded_shell(&body) {
                    let dest = targets
                        .first()
                        .cloned()
                        .unwrap_or_else(|| "another program".into());
                    r.hit(
                        c::BASH_PAYLOAD_WRITE,
                        range.clone(),
                        format!("writes content that starts a shell (`{sh}`) into {dest}"),
                    );
                }
                let later_run = targets.iter().any(|t| {
                    let b = basename(t);
                    s.cmds.iter().any(|c| {
                        c.id > cmd.id
                            && c.words
                                .iter()
                                .take(2)
                                .any(|w| basename(&w.text) == b && !b.is_empty())
                    })
                });
                if targets.iter().any(|t| looks_executable(t)) || later_run {
                    r.nested(
                        Lang::Bash,
                        &content,
                        range.clone(),
                        "script written to a file",
                    );
                }
            }
        }
        // a file written earlier in this command line, now executed
        for inv in super::argv::invocations(cmd) {
            let prog = inv.prog();
            let target =
                if is_shell(prog) || is_interpreter(prog) || prog == "source" || prog == "." {
                    inv.operands().next().map(|w| w.text.clone())
                } else if inv.argv.first().is_some_and(|w| w.text.contains('/')) {
                    inv.argv.first().map(|w| w.text.clone())
                } else {
                    None
                };
            if let Some(t) = target {
                if t.starts_with("/tmp/")
                    || t.starts_with("/var/tmp/")
                    || t.starts_with("/dev/shm/")
                {
                    r.hit(
                        c::BASH_TMP_EXEC,
                        cmd.range.clone(),
                        format!("runs `{t}` from a world-writable directory"),
                    );
                } else if written
                    .iter()
                    .any(|w| basename(w) == basename(&t) && !t.is_empty())
                {
                    r.hit(
                        c::BASH_WRITE_EXEC,
                        cmd.range.clone(),
                        format!("runs `{t}`, which this command line just wrote"),
                    );
                }
            }
        }
        written.extend(targets);
    }
}

/// `ed file` followed by lines of keystrokes (`a`, `DATA`, `.`, `w`):
/// an interactive program driven by a script.
fn keystroke_scripts(r: &mut Rules<'_, '_>) {
    let s = r.script;
    const INTERACTIVE: &[&str] = &[
        "ed",
        "ex",
        "vi",
        "vim",
        "nvim",
        "emacs",
        "nano",
        "pico",
        "joe",
        "jshell",
        "redis-cli",
        "pic",
        "ftp",
        "sftp",
        "telnet",
        "mysql",
        "psql",
        "sqlite3",
        "gdb",
        "irb",
        "ghci",
        "openvt",
        "java",
        "bc",
        "dc",
        "less",
        "more",
        "man",
        "top",
        "htop",
    ];
    let top: Vec<&Cmd> = s.cmds.iter().filter(|c| c.parent.is_none()).collect();
    for (i, cmd) in top.iter().enumerate() {
        let Some(name) = cmd.words.first() else {
            continue;
        };
        let prog = basename(&name.text);
        if !INTERACTIVE.contains(&prog)
            || !matches!(cmd.stdin, Stdin::Inherited)
            || i + 1 >= top.len()
        {
            continue;
        }
        let next_src = &r.src[cmd.range.end..];
        if !next_src.trim_start_matches([' ', '\t']).starts_with('\n') {
            continue;
        }
        let rest_line = next_src.trim_start().lines().next().unwrap_or("");
        if !rest_line.is_empty() {
            r.hit(c::BASH_INTERACTIVE_INPUT, cmd.range.clone(), format!("`{prog}` is interactive and the following lines look like keystrokes typed into it (`{}`)", rest_line.chars().take(40).collect::<String>()));
        }
    }
}

/// A decoder fed a literal payload: decode it ourselves and validate it.
fn literal_payloads(r: &mut Rules<'_, '_>) {
    let s = r.script;
    for cmd in &s.cmds {
        if !is_decode_cmd(r, cmd) {
            continue;
        }
        let mut payloads: Vec<(String, std::ops::Range<usize>)> = Vec::new();
        if let Stdin::HereString(w) = &cmd.stdin {
            payloads.push((w.text.clone(), w.range.clone()));
        }
        for up in r.upstream(cmd).iter().chain(r.substituted(cmd).iter()) {
            if up
                .words
                .first()
                .is_some_and(|w| matches!(basename(&w.text), "echo" | "printf"))
            {
                if let Some(w) = up.words.iter().skip(1).rfind(|w| !w.text.starts_with('-')) {
                    payloads.push((w.text.clone(), w.range.clone()));
                }
            }
        }
        for (p, range) in payloads {
            let t = p.trim();
            if t.len() < 8 || t.contains(' ') {
                continue;
            }
            r.hit(
                c::BASH_DECODE_PAYLOAD,
                range.clone(),
                "decodes an embedded hex or base64 payload, hiding what it says",
            );
            if let Some(decoded) = crate::payload::decode_hex_or_base64(t) {
                r.nested(Lang::Bash, &decoded, range, "decoded payload");
            }
        }
    }
}

/// Whole-script patterns: fork bombs, fifo-backed reverse shells,
/// downloaded files executed later.
pub(crate) fn check_script(r: &mut Rules<'_, '_>) {
    payloads(r);
    keystroke_scripts(r);
    literal_payloads(r);
    let s = r.script;
    for (name, range, ids) in &s.functions {
        let recursive = ids.iter().filter_map(|&i| s.cmds.get(i)).any(|c| {
            c.words.first().is_some_and(|w| w.text == *name)
                && (c.background
                    || matches!(&c.stdin, Stdin::Pipe(_))
                    || r.downstream(c)
                        .iter()
                        .any(|d| d.words.first().is_some_and(|w| w.text == *name)))
        });
        if recursive {
            r.hit(
                c::BASH_FORK_BOMB,
                range.clone(),
                format!("function `{name}` spawns copies of itself without bound (fork bomb)"),
            );
        }
    }
    for (range, cond, ids) in &s.loops {
        let forever = matches!(
            cond.as_str(),
            "true" | ":" | "[ 1 ]" | "((1))" | "/bin/true"
        );
        if forever
            && ids
                .iter()
                .filter_map(|&i| s.cmds.get(i))
                .any(|c| c.background)
        {
            r.hit(
                c::BASH_FORK_BOMB,
                range.clone(),
                "an endless loop starts background processes without bound (fork bomb)",
            );
        }
    }
    let has_fifo = s.cmds.iter().any(|c| {
        c.words.first().is_some_and(|w| {
            basename(&w.text) == "mkfifo"
                || (basename(&w.text) == "mknod" && c.words.iter().any(|x| x.is("p")))
        })
    });
    if has_fifo {
        if let Some(net) = s.cmds.iter().find(|c| {
            super::argv::invocations(c).iter().any(|i| {
                matches!(
                    i.prog(),
                    "nc" | "ncat" | "netcat" | "telnet" | "openssl" | "socat"
                )
            })
        }) {
            r.hit(
                c::BASH_REVERSE_SHELL,
                net.range.clone(),
                "a named pipe loops a network connection through a shell (fifo reverse shell)",
            );
        }
    }
    // curl -o x.sh URL && sh x.sh
    let mut downloaded: Vec<String> = Vec::new();
    for cmd in &s.cmds {
        for inv in super::argv::invocations(cmd) {
            let prog = inv.prog();
            if is_downloader(prog)
                && matches!(
                    prog,
                    "curl" | "wget" | "wget2" | "aria2c" | "fetch" | "wcurl" | "http" | "xh"
                )
            {
                if let Some(o) =
                    inv.opt_value(&["-o", "-O"], &["--output", "--output-document", "--out"])
                {
                    let name = o
                        .text
                        .split_once('=')
                        .filter(|_| o.text.starts_with("--"))
                        .map_or(o.text.as_str(), |x| x.1);
                    if name != "-" && !name.starts_with("http") {
                        downloaded.push(basename(name).to_string());
                    }
                }
                let remote_name =
                    prog == "wget" || prog == "wcurl" || inv.has_flag('O', &["remote-name"]);
                if remote_name {
                    for w in inv.operands() {
                        if w.text.contains("://") {
                            let b = basename(w.text.split(['?', '#']).next().unwrap_or(""));
                            if !b.is_empty() {
                                downloaded.push(b.to_string());
                            }
                        }
                    }
                }
                for rd in &cmd.redirects {
                    if rd.op.starts_with('>') && rd.fd.is_none() {
                        downloaded.push(basename(&rd.target.text).to_string());
                    }
                }
            }
        }
        if downloaded.is_empty() {
            continue;
        }
        for inv in super::argv::invocations(cmd) {
            let prog = inv.prog();
            let run_target =
                if is_shell(prog) || is_interpreter(prog) || prog == "source" || prog == "." {
                    inv.operands().next().map(|w| basename(&w.text).to_string())
                } else if inv.argv.first().is_some_and(|w| w.text.contains('/')) {
                    Some(prog.to_string())
                } else {
                    None
                };
            if let Some(t) = run_target {
                if downloaded.contains(&t) {
                    r.hit(
                        c::BASH_DOWNLOAD_EXEC,
                        cmd.range.clone(),
                        format!("runs `{t}`, which this command line downloaded"),
                    );
                }
            }
        }
    }
}
