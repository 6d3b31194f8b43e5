//! Commands that carry other commands as text: eval, source, alias, trap,
//! `su -c`, `script -c`, `watch`, `ssh host CMD`, `env -S`.

use super::argv::Invocation;
use super::exec::{dynamic_script, is_download_cmd, stdin_program};
use super::extract::{Cmd, Stdin};
use super::Rules;
use crate::catalog as c;
use crate::Lang;

pub(super) fn eval(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
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

pub(super) fn source(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
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

pub(super) fn alias(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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

pub(super) fn trap(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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

pub(super) fn string_option(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, opts: &[&str]) {
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

pub(super) fn watch(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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

pub(super) fn ssh(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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
