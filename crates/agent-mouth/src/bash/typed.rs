//! Commands that reach a shell through another program's input rather than
//! its own argv: an editor told to run a shell command at start (`vim -c
//! ':!…'`, `+'!…'`, `--cmd`, from vim's `:help -c` and `:help :!`),
//! keystrokes typed into another terminal (`tmux send-keys`, tmux(1);
//! `screen -X stuff`, screen(1)), and cluster pods that own their node
//! (`kubectl run --overrides` with `privileged`, `hostPID`, `hostNetwork`
//! or a `hostPath` of `/`; `kubectl debug node/…`, which the Kubernetes docs
//! describe as a shell in the node's namespaces with its root mounted).
//! The carried command is validated as bash; the carrying is reported.

use super::argv::{basename, Invocation};
use super::extract::Cmd;
use super::Rules;
use crate::catalog as c;
use crate::names::is_shell;
use crate::Lang;

/// Runs the checks that apply to `inv`'s program.
pub(super) fn check(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    match inv.prog() {
        "vim" | "vi" | "nvim" | "view" | "vimdiff" | "ex" | "rvim" | "gvim" => editor(r, inv),
        "tmux" => tmux(r, cmd, inv),
        "screen" => screen(r, inv),
        "kubectl" | "oc" => cluster(r, inv),
        _ => {}
    }
}

/// `vim -c CMD`, `vim +CMD`, `vim --cmd CMD`: an ex command run at start.
fn editor(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let args = inv.args();
    for (i, w) in args.iter().enumerate() {
        let ex = match w.text.as_str() {
            "-c" | "--cmd" => args.get(i + 1).map(|v| (v.text.as_str(), v.range.clone())),
            t if t.starts_with('+') && t.len() > 1 => Some((&t[1..], w.range.clone())),
            _ => None,
        };
        let Some((ex, range)) = ex else { continue };
        let ex = ex.trim_start_matches(':').trim_start();
        let shell = ex
            .strip_prefix('!')
            .or_else(|| {
                ex.strip_prefix("sh")
                    .filter(|rest| rest.is_empty() || rest.starts_with("ell"))
                    .map(|_| "sh")
            })
            .or_else(|| {
                ex.strip_prefix("terminal").map(|rest| {
                    if rest.trim().is_empty() {
                        "sh"
                    } else {
                        rest.trim()
                    }
                })
            })
            .or_else(|| call_arg(ex, "system("));
        let Some(command) = shell else { continue };
        let command = command.trim();
        let bare_shell = is_shell(basename(command.split_whitespace().next().unwrap_or("sh")));
        r.hit(
            if bare_shell {
                c::BASH_SHELL_SPAWN
            } else {
                c::BASH_EDITOR_ESCAPE
            },
            range.clone(),
            format!("`{}` runs `{command}` from inside the editor", inv.prog()),
        );
        if !command.is_empty() {
            r.nested(Lang::Bash, command, range, "an editor's shell command");
        }
    }
}

/// The string argument of `system('…')` / `system("…")` in an ex command.
fn call_arg<'a>(ex: &'a str, call: &str) -> Option<&'a str> {
    let at = ex.find(call)? + call.len();
    let rest = &ex[at..];
    let quote = rest.chars().next().filter(|q| *q == '\'' || *q == '"')?;
    let body = &rest[1..];
    body.find(quote).map(|end| &body[..end])
}

/// `tmux send-keys [-t T] [-l] KEYS…` (also `send`), each KEYS a string.
fn tmux(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
    let args = inv.args();
    let Some(at) = args
        .iter()
        .position(|w| matches!(w.text.as_str(), "send-keys" | "send"))
    else {
        return;
    };
    let mut keys = Vec::new();
    let mut skip = false;
    for w in &args[at + 1..] {
        let t = w.text.as_str();
        if skip {
            skip = false;
            continue;
        }
        if matches!(t, "-t" | "-N" | "-c") {
            skip = true;
            continue;
        }
        if t.starts_with('-') {
            continue;
        }
        match t {
            "Enter" | "C-m" | "KPEnter" => keys.push("\n".to_owned()),
            _ if t.starts_with("C-") || t.starts_with("M-") => {}
            _ => keys.push(t.to_owned()),
        }
    }
    let typed = keys.concat();
    if typed.trim().is_empty() {
        return;
    }
    r.hit(
        c::BASH_SEND_KEYS,
        cmd.range.clone(),
        format!(
            "types `{}` into another tmux pane, where it runs outside this command",
            typed.trim()
        ),
    );
    let range = args[at].range.start..args.last().map_or(args[at].range.end, |w| w.range.end);
    r.nested(Lang::Bash, &typed, range, "keystrokes sent to tmux");
}

/// `screen [-S s] [-p w] -X stuff TEXT`.
fn screen(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let args = inv.args();
    let Some(at) = args.iter().position(|w| w.text == "stuff") else {
        return;
    };
    if !args[..at].iter().any(|w| w.text == "-X") {
        return;
    }
    let Some(text) = args.get(at + 1) else { return };
    let typed = text
        .text
        .replace("\\n", "\n")
        .replace("\\r", "\n")
        .replace("^M", "\n");
    r.hit(
        c::BASH_SEND_KEYS,
        text.range.clone(),
        format!(
            "types `{}` into a screen session, where it runs outside this command",
            typed.trim()
        ),
    );
    r.nested(
        Lang::Bash,
        &typed,
        text.range.clone(),
        "keystrokes sent to screen",
    );
}

/// Pods that own their node.
fn cluster(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
    let args = inv.args();
    let sub = args.first().map_or("", |w| w.text.as_str());
    if sub == "debug" && args.iter().any(|w| w.text.starts_with("node/")) {
        r.hit(
            c::BASH_CONTAINER_ESCAPE,
            inv.argv[0].range.start..args.last().map_or(0, |w| w.range.end),
            "`kubectl debug node/…` runs a pod in the node's namespaces with the node's root filesystem mounted",
        );
        return;
    }
    if !matches!(sub, "run" | "create" | "apply") {
        return;
    }
    for w in args {
        let t = w.text.replace(' ', "");
        let owns_node = t.contains("\"privileged\":true")
            || t.contains("\"hostPID\":true")
            || t.contains("\"hostNetwork\":true")
            || t.contains("\"hostIPC\":true")
            || (t.contains("\"hostPath\"") && t.contains("\"path\":\"/\""))
            || t == "--privileged"
            || t == "--privileged=true";
        if owns_node {
            r.hit(
                c::BASH_CONTAINER_ESCAPE,
                w.range.clone(),
                "the pod is privileged or shares the node's processes, network or root filesystem",
            );
        }
    }
}
