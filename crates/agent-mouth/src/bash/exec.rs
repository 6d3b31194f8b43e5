//! What runs what: download-then-execute, pipes and here-documents into
//! shells, eval/source of dynamic text, decoded payloads, reverse shells,
//! interpreter one-liners, shell escapes and argument injection.

use super::argv::{basename, Invocation};
use super::escape::{
    agent_bypass, arg_injection, container, dev_tcp, embedded_shell, netcat, socat,
};
use super::extract::{Cmd, Stdin};
use super::interp::{code_effects, interpreter};
use super::word::{Dyn, Word};
use super::wrapped::{alias, eval, source, ssh, string_option, trap, watch};
use super::Rules;
use crate::catalog as c;
use crate::names::{is_downloader, is_interpreter, is_shell};
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
            script_from_procsub(r, cmd, inv);
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
            "docker" | "podman" | "nerdctl" | "lxc" | "incus" => container(r, inv),
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
pub(super) fn stdin_program(
    r: &mut Rules<'_, '_>,
    cmd: &Cmd,
    inv: &Invocation<'_>,
    lang: Option<Lang>,
) {
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
                // A shell reading from a terminal device is interactive,
                // not running a script file.
                let terminal = rd.target.text.starts_with("/dev/tty")
                    || rd.target.text.starts_with("/dev/pts/")
                    || rd.target.text == "/dev/console";
                if rd.op.starts_with('<') && rd.fd.is_none() && !terminal {
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
        let encoded = args.iter().any(|w| {
            let l = w.text.to_ascii_lowercase();
            l.starts_with("-e") && "-encodedcommand".starts_with(l.as_str()) && l.len() >= 2
        });
        if let (true, Some(w)) = (encoded, operand) {
            r.hit(
                c::BASH_DECODE_EXEC,
                w.range.clone(),
                "PowerShell runs a base64-encoded command (`-EncodedCommand`)",
            );
        }
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
        Some(w) if w.kind == "process_substitution" => procsub_script(r, cmd, w, &prog),
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

/// `python3 <(curl …)`: an interpreter's script file is a process
/// substitution, so the script is whatever the inner command prints.
fn script_from_procsub(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    // Only where the first operand is the script: not after inline code
    // (`-c`, `-e`, `-m`), and not for awk/sed, whose first operand is the
    // program text and whose file operands are data.
    let inline = inv.args().iter().any(|w| {
        matches!(
            w.text.as_str(),
            "-c" | "-e" | "-E" | "--eval" | "-p" | "--print" | "-r" | "-m"
        )
    });
    if inline || matches!(inv.prog(), "awk" | "gawk" | "mawk" | "nawk" | "sed") {
        return;
    }
    let Some(w) = inv
        .operands()
        .next()
        .filter(|w| w.kind == "process_substitution")
    else {
        return;
    };
    procsub_script(r, cmd, w, inv.prog());
}

/// A script that is a process substitution: a download run, or a
/// command's output run.
fn procsub_script(r: &mut Rules<'_, '_>, cmd: &Cmd, w: &Word, prog: &str) {
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

/// A shell or eval told to run text that only exists at run time.
pub(super) fn dynamic_script(r: &mut Rules<'_, '_>, cmd: &Cmd, w: &Word, prog: &str) {
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
