//! Whole-script patterns: payloads written to files, files written then
//! run, interactive programs fed keystrokes, literal payloads decoded,
//! fork bombs, fifo reverse shells, downloads executed later.

use super::argv::basename;
use super::exec::is_decode_cmd;
use super::extract::{Cmd, Stdin};
use super::word::Word;
use super::Rules;
use crate::catalog as c;
use crate::names::{is_downloader, is_interpreter, is_shell};
use crate::payload;
use crate::Lang;

/// Text a command prints (echo/printf arguments, a here-document fed to
/// cat), when it is known.
pub(super) fn printed_content(cmd: &Cmd) -> Option<(String, std::ops::Range<usize>)> {
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
pub(super) fn written_files(r: &Rules<'_, '_>, cmd: &Cmd) -> Vec<String> {
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

pub(super) fn looks_executable(path: &str) -> bool {
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
pub(super) fn payloads(r: &mut Rules<'_, '_>) {
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
pub(super) fn keystroke_scripts(r: &mut Rules<'_, '_>) {
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
pub(super) fn literal_payloads(r: &mut Rules<'_, '_>) {
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
            let decoded = crate::payload::decode_hex_or_base64(t);
            // A JWT's header or claims, a JSON config: data, printed, not
            // code (piped into an interpreter, the exec rules judge it).
            if decoded.as_deref().is_some_and(|d| {
                d.trim_start().starts_with(['{', '['])
                    && serde_json::from_str::<serde_json::Value>(d).is_ok()
            }) {
                continue;
            }
            r.hit(
                c::BASH_DECODE_PAYLOAD,
                range.clone(),
                "decodes an embedded hex or base64 payload, hiding what it says",
            );
            if let Some(decoded) = decoded {
                r.nested(Lang::Bash, &decoded, range, "decoded payload");
            }
        }
    }
}

/// Whole-script patterns: fork bombs, fifo-backed reverse shells,
/// downloaded files executed later.
pub(super) fn check_script(r: &mut Rules<'_, '_>) {
    payloads(r);
    keystroke_scripts(r);
    literal_payloads(r);
    let s = r.script;
    const COMMON: &[&str] = &[
        "ls", "cd", "cat", "sudo", "su", "git", "ssh", "cp", "mv", "rm", "ps", "grep", "python",
        "python3", "pip", "npm", "node", "cargo", "make", "curl", "wget", "apt", "apt-get",
        "docker", "kubectl", "id", "whoami", "bash", "sh", "passwd", "which", "command", "type",
        "echo", "printf", "test", "exit",
    ];
    for (name, range, _) in &s.functions {
        if COMMON.contains(&name.as_str()) {
            r.hit(
                c::BASH_ALIAS_HIJACK,
                range.clone(),
                format!("defines a function that shadows the command `{name}`"),
            );
        }
    }
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
