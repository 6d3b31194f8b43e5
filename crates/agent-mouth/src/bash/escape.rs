//! Escapes through other programs: shells reached via arguments
//! (GTFOBins), options that run commands, reverse and bind shells through
//! netcat/socat, container breakouts, agents with their safety off.

use super::argv::{basename, Invocation};
use super::extract::Cmd;
use super::Rules;
use crate::catalog as c;
use crate::names::is_shell;
use crate::payload;

pub(super) fn netcat(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
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

pub(super) fn socat(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>) {
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

pub(super) fn container(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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
}

/// A shell started through another program's arguments: `setarch -3
/// /bin/sh`, `csvtool call '/bin/sh;false'`, `--exec '/bin/sh #'`.
pub(super) fn embedded_shell(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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
        if shell_setting(&w.text) {
            continue;
        }
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
pub(super) fn arg_injection(r: &mut Rules<'_, '_>, inv: &Invocation<'_>) {
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
        if shell_setting(t) {
            continue;
        }
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
            } else if dangerous_key
                && !(matches!(key, "core.pager" | "core.editor" | "sequence.editor")
                    && crate::names::harmless_viewer(val))
            {
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

/// `SHELL=/bin/bash`, `--script-shell=bash`: a setting that names which
/// shell runs a tool's scripts, given a bare shell. That chooses the
/// interpreter; it starts nothing interactive and adds no command.
fn shell_setting(t: &str) -> bool {
    let Some((key, value)) = t.split_once('=') else {
        return false;
    };
    let value = value.trim_matches(|c| c == '"' || c == '\'');
    key.to_ascii_lowercase().contains("shell")
        && !value.contains(char::is_whitespace)
        && is_shell(basename(value))
        && (!value.contains('/') || value.starts_with("/bin/") || value.starts_with("/usr/bin/"))
}

pub(super) fn looks_like_command(v: &str) -> bool {
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

pub(super) fn dev_tcp(r: &mut Rules<'_, '_>, cmd: &Cmd) {
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

pub(super) fn agent_bypass(r: &mut Rules<'_, '_>, cmd: &Cmd) {
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
