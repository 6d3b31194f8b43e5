//! What a command does to the machine, its data and its secrets:
//! destruction, privilege, persistence, credential access and
//! exfiltration, hijacking, and legitimate-but-dangerous operations that
//! need a human (force pushes, infrastructure teardown, publishing).

use super::argv::{basename, Invocation};
use super::extract::{Cmd, Stdin};
use super::operations::operations;
use super::word::Word;
use super::Rules;
use crate::catalog as c;
use crate::names::{
    credential_path, is_block_device, is_core_system_path, is_net_tool, is_system_path,
    persistence_path,
};

pub(crate) fn check_command(r: &mut Rules<'_, '_>, cmd: &Cmd, invs: &[Invocation<'_>]) {
    env_hijack(r, cmd, invs);
    redirects(r, cmd);
    for inv in invs {
        let prog = inv.prog();
        privilege(r, cmd, inv, prog);
        destructive(r, inv, prog);
        credentials(r, cmd, inv, prog);
        writes(r, inv, prog);
        operations(r, cmd, inv, prog);
    }
}

fn env_hijack(r: &mut Rules<'_, '_>, cmd: &Cmd, invs: &[Invocation<'_>]) {
    let env = invs
        .iter()
        .flat_map(|i| i.env.iter().map(|(n, w)| (*n, *w)));
    let all: Vec<(&str, &Word)> = cmd
        .assigns
        .iter()
        .map(|(n, w)| (n.as_str(), w))
        .chain(env)
        .collect();
    for (name, w) in all {
        match name {
            "LD_PRELOAD"
            | "LD_AUDIT"
            | "DYLD_INSERT_LIBRARIES"
            | "LD_LIBRARY_PATH"
            | "DYLD_LIBRARY_PATH"
            | "GCONV_PATH" => {
                if !w.text.is_empty() {
                    r.hit(
                        c::BASH_LD_PRELOAD,
                        w.range.start.saturating_sub(name.len() + 1)..w.range.end,
                        format!("`{name}` makes every program load attacker-chosen code"),
                    );
                }
            }
            "BASH_ENV" | "ENV" | "PROMPT_COMMAND" | "PERL5OPT" | "PERL5LIB" | "PYTHONSTARTUP"
            | "PYTHONINSPECT" | "NODE_OPTIONS" | "RUBYOPT" | "PS4" | "PAGER"
            | "GIT_SSH_COMMAND" | "GIT_EXTERNAL_DIFF" | "EDITOR" | "VISUAL" | "LESSOPEN"
            | "SYSTEMD_PAGER" | "MANPAGER" => {
                let risky = matches!(
                    name,
                    "BASH_ENV"
                        | "ENV"
                        | "PROMPT_COMMAND"
                        | "PERL5OPT"
                        | "LESSOPEN"
                        | "PYTHONSTARTUP"
                ) || w.text.contains("/bin/sh")
                    || w.text.contains('|')
                    || w.text.contains(';')
                    || w.text.contains("$(")
                    || w.text.contains("--require")
                    || w.text.contains("-r ");
                if risky && !w.text.is_empty() {
                    r.hit(
                        c::BASH_PATH_HIJACK,
                        w.range.clone(),
                        format!("`{name}` makes programs run extra code"),
                    );
                }
            }
            n if [
                "PAGER", "EDITOR", "VISUAL", "SHELL", "BROWSER", "_COMMAND", "_CMD", "ASKPASS",
                "AUTOM4TE", "_PROGRAM", "TERMINAL", "_HOOK",
            ]
            .iter()
            .any(|s| n.ends_with(s))
                && !w.text.is_empty()
                && !((n.ends_with("PAGER") || n.ends_with("EDITOR") || n == "VISUAL")
                    && crate::names::harmless_viewer(&w.text)) =>
            {
                r.hit(
                    c::BASH_PATH_HIJACK,
                    w.range.clone(),
                    format!("`{name}` makes a program run `{}` in its place", w.text),
                );
            }
            "http_proxy" | "https_proxy" | "HTTP_PROXY" | "HTTPS_PROXY" | "ALL_PROXY"
            | "all_proxy" | "ftp_proxy" => {
                r.hit(
                    c::BASH_TUNNEL,
                    w.range.clone(),
                    format!("`{name}` routes network traffic through `{}`", w.text),
                );
            }
            "PATH" => {
                let first = w.text.split(':').next().unwrap_or("");
                if first.is_empty()
                    || first == "."
                    || first.starts_with("/tmp")
                    || first.starts_with("/dev/shm")
                    || first.starts_with("/var/tmp")
                    || (!first.starts_with('/')
                        && !first.starts_with('$')
                        && !first.starts_with('~'))
                {
                    r.hit(c::BASH_PATH_HIJACK, w.range.clone(), format!("`PATH` starts with `{first}`, so a planted program there shadows system commands"));
                }
            }
            "HISTFILE" | "HISTSIZE" | "HISTFILESIZE" if w.text == "/dev/null" || w.text == "0" => {
                r.hit(
                    c::BASH_DEFENSE_EVASION,
                    w.range.clone(),
                    "turns shell history off to hide activity",
                );
            }
            _ => {}
        }
    }
    if let Some(first) = cmd.words.first() {
        if first.is("unset") && cmd.words.iter().any(|w| w.is("HISTFILE")) {
            r.hit(
                c::BASH_DEFENSE_EVASION,
                cmd.range.clone(),
                "unsets HISTFILE to hide activity",
            );
        }
    }
}

fn redirects(r: &mut Rules<'_, '_>, cmd: &Cmd) {
    for rd in &cmd.redirects {
        let t = rd.target.text.as_str();
        let writes = rd.op.contains('>');
        if writes && is_block_device(t) {
            r.hit(
                c::BASH_DESTRUCTIVE_DISK,
                rd.target.range.clone(),
                format!("writes straight onto the block device `{t}`"),
            );
        } else if writes && t.starts_with("/proc/sysrq-trigger") {
            r.hit(
                c::BASH_SYSTEM_POWER,
                rd.target.range.clone(),
                "writes to /proc/sysrq-trigger (instant reboot, crash or kill)",
            );
        } else if writes && (t.starts_with("/proc/sys/") || t.starts_with("/sys/")) {
            r.hit(
                c::BASH_SECURITY_CONTROL,
                rd.target.range.clone(),
                format!("changes a kernel setting by writing `{t}`"),
            );
        } else if writes {
            if let Some(label) = persistence_path(t) {
                r.hit(
                    persist_rule(t),
                    rd.target.range.clone(),
                    format!("modifies {label} (`{t}`)"),
                );
            }
        } else if rd.op.starts_with('<') {
            if let Some(label) = credential_path(t) {
                r.hit(
                    cred_rule(t),
                    rd.target.range.clone(),
                    format!("reads {label} (`{t}`)"),
                );
            }
        }
    }
}

fn persist_rule(path: &str) -> &'static crate::catalog::RuleMeta {
    if path.contains("authorized_keys")
        || path.starts_with("/etc/ld.so.preload")
        || path.starts_with("/etc/sudoers")
        || path.starts_with("/etc/pam.d")
        || path.starts_with("/etc/shadow")
        || path.starts_with("/etc/passwd")
        || path.starts_with("/etc/cron")
        || path.starts_with("/var/spool/cron")
    {
        c::BASH_PERSISTENCE_CRITICAL
    } else {
        c::BASH_PERSISTENCE
    }
}

fn cred_rule(path: &str) -> &'static crate::catalog::RuleMeta {
    if path.contains("shadow")
        || path.contains(".ssh/id_")
        || (path.starts_with("/proc/") && !path.ends_with("/maps"))
    {
        c::BASH_CREDENTIAL_CRITICAL
    } else {
        c::BASH_CREDENTIAL_ACCESS
    }
}

/// What a reviewer approves with `sudo X` when GTFOBins documents an escape
/// from X that works under sudo: a root shell or root commands.
fn root_escape(cmd: &Cmd, wrapper: &str) -> String {
    let inner = super::argv::invocations(cmd)
        .into_iter()
        .find(|i| i.via.contains(&wrapper))
        .map(|i| i.prog().to_string());
    let Some(inner) = inner else {
        return String::new();
    };
    match crate::programs::gtfobins(&inner) {
        Some(g) if g.works_in("sudo") && (g.can("shell") || g.can("command")) => format!(
            "; GTFOBins documents a way out of `{inner}` to a shell or commands, so approving this approves a root shell (https://gtfobins.github.io/gtfobins/{inner}/)"
        ),
        _ => String::new(),
    }
}

fn privilege(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, prog: &str) {
    let range = inv
        .argv
        .first()
        .map_or(cmd.range.clone(), |w| w.range.clone());
    match prog {
        "sudo" | "doas" | "pkexec" | "su" | "runuser" | "gksu" | "gksudo" | "kdesu" | "kdesudo"
        | "sudoedit" | "run0" => {
            let escape = root_escape(cmd, prog);
            r.hit(
                c::BASH_PRIVILEGE,
                range,
                format!("`{prog}` runs with another user's (usually root's) privileges{escape}"),
            );
            if prog == "sudo"
                && inv.operands().next().is_none()
                && inv.args().iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "-s" | "-i" | "--shell" | "--login" | "-su" | "-is"
                    )
                })
            {
                r.hit(
                    c::BASH_SHELL_SPAWN,
                    cmd.range.clone(),
                    "`sudo -s`/`sudo -i` opens a root shell",
                );
            }
        }
        "chmod" | "install" => {
            let mode = if prog == "install" {
                inv.opt_value(&["-m"], &["--mode"])
            } else {
                inv.args().iter().copied().find(|w| {
                    !w.text.starts_with('-') || w.text.starts_with("-s") || w.text.contains('+')
                })
            };
            if let Some(m) = mode {
                let t = m
                    .text
                    .rsplit('=')
                    .next()
                    .filter(|_| m.text.starts_with("--"))
                    .unwrap_or(&m.text);
                if is_setuid_mode(t) {
                    r.hit(c::BASH_SETUID, m.range.clone(), "sets the set-user-ID/set-group-ID bit, letting anyone run the file with its owner's privileges");
                }
            }
        }
        "setcap" => {
            r.hit(
                c::BASH_SETUID,
                range,
                "grants file capabilities (privilege without setuid)",
            );
        }
        _ => {}
    }
}

fn is_setuid_mode(t: &str) -> bool {
    if !t.is_empty() && t.len() <= 5 && t.chars().all(|c| c.is_ascii_digit()) {
        let digits: Vec<u8> = t.bytes().map(|b| b - b'0').collect();
        return digits.len() == 4 && digits[0] & 6 != 0 || digits.len() == 5 && digits[1] & 6 != 0;
    }
    t.split(',').any(|clause| {
        let Some(i) = clause.find(['+', '=']) else {
            return false;
        };
        clause[i + 1..].contains('s')
    })
}

fn destructive(r: &mut Rules<'_, '_>, inv: &Invocation<'_>, prog: &str) {
    let args = inv.args();
    let range = || {
        inv.argv.first().map_or(0, |w| w.range.start)..inv.argv.last().map_or(0, |w| w.range.end)
    };
    match prog {
        "rm" | "rmdir" => {
            let recursive = inv.has_flag('r', &["recursive"]) || inv.has_flag('R', &[]);
            if args.iter().any(|w| w.is("--no-preserve-root")) {
                r.hit(
                    c::BASH_DESTRUCTIVE_FS,
                    range(),
                    "`--no-preserve-root` removes the protection against deleting /",
                );
                return;
            }
            for w in inv.operands() {
                let t = w.text.as_str();
                let everything = matches!(
                    t,
                    "/" | "/*" | "*" | "." | ".." | "./*" | "~" | "~/" | "~/*"
                );
                if (recursive && is_system_path(t))
                    || (everything && t.starts_with('/'))
                    || (recursive && everything)
                {
                    r.hit(
                        c::BASH_DESTRUCTIVE_FS,
                        w.range.clone(),
                        format!("deletes `{t}` and everything under it"),
                    );
                } else if t == "*" || t == ".*" {
                    r.hit(
                        c::BASH_DESTRUCTIVE_UNBOUNDED,
                        w.range.clone(),
                        format!("deletes every file matching `{t}` in the current directory"),
                    );
                } else if recursive
                    && !w.literal()
                    && (t.starts_with('$') || t.starts_with("\"$") || t.starts_with("${"))
                    && (t.ends_with("/*")
                        || t.ends_with('/')
                        || t.ends_with('}')
                        || !t.contains('/'))
                {
                    r.hit(c::BASH_DESTRUCTIVE_UNBOUNDED, w.range.clone(), format!("recursively deletes `{t}`, whose value is not known until run time (an empty variable makes it `/`)"));
                }
            }
        }
        "shred" | "srm" | "wipe" => r.hit(
            c::BASH_DESTRUCTIVE_FS,
            range(),
            format!("`{prog}` irrecoverably overwrites files"),
        ),
        "mkfs" | "mke2fs" | "mkswap" | "wipefs" | "blkdiscard" | "fdisk" | "gdisk" | "sgdisk"
        | "sfdisk" | "cfdisk" | "parted" | "mkntfs" | "mkdosfs" => {
            if args.iter().any(|w| is_block_device(&w.text))
                || prog.starts_with("mk")
                || prog == "wipefs"
                || prog == "blkdiscard"
            {
                r.hit(
                    c::BASH_DESTRUCTIVE_DISK,
                    range(),
                    format!("`{prog}` rewrites a disk or partition"),
                );
            }
        }
        p if p.starts_with("mkfs.") => r.hit(
            c::BASH_DESTRUCTIVE_DISK,
            range(),
            format!("`{prog}` formats a filesystem"),
        ),
        "dd" => {
            if let Some(w) = args
                .iter()
                .find(|w| w.text.strip_prefix("of=").is_some_and(is_block_device))
            {
                r.hit(
                    c::BASH_DESTRUCTIVE_DISK,
                    w.range.clone(),
                    "dd writes raw data onto a block device",
                );
            }
        }
        "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" => {
            if inv.has_flag('R', &["recursive"])
                && inv
                    .operands()
                    .any(|w| matches!(w.text.as_str(), "." | "*" | "./" | "./*" | ".*"))
            {
                r.hit(
                    c::BASH_DESTRUCTIVE_UNBOUNDED,
                    range(),
                    format!("recursively changes `{prog}` on everything here"),
                );
            }
            if inv.has_flag('R', &["recursive"]) {
                if let Some(w) = inv.operands().find(|w| is_core_system_path(&w.text)) {
                    r.hit(
                        c::BASH_DESTRUCTIVE_FS,
                        w.range.clone(),
                        format!(
                            "recursively changes ownership or permissions of `{}`",
                            w.text
                        ),
                    );
                }
            }
            if prog == "setfacl"
                && args
                    .iter()
                    .any(|w| w.is("-m") || w.text.starts_with("--modify"))
            {
                r.hit(
                    c::BASH_PERMISSION_GRANT,
                    range(),
                    "grants extra permissions through an ACL",
                );
            }
        }
        "find" => {
            let root = inv.operands().next().map_or(".", |w| w.text.as_str());
            let deletes = args.iter().any(|w| w.is("-delete")) || inv_execs_rm(inv);
            let filtered = args.iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "-name"
                        | "-iname"
                        | "-path"
                        | "-ipath"
                        | "-regex"
                        | "-iregex"
                        | "-newer"
                        | "-mtime"
                        | "-mmin"
                        | "-atime"
                        | "-empty"
                        | "-user"
                        | "-inum"
                        | "-wholename"
                        | "-links"
                )
            });
            if deletes && is_system_path(root) && root != "." {
                r.hit(
                    c::BASH_DESTRUCTIVE_UNBOUNDED,
                    range(),
                    format!("find deletes files anywhere under `{root}`"),
                );
            } else if deletes && !filtered {
                r.hit(
                    c::BASH_DESTRUCTIVE_UNBOUNDED,
                    range(),
                    "find deletes every file it visits (no name or path filter)",
                );
            }
            if args.iter().any(|w| w.is("-perm"))
                && args.iter().any(|w| {
                    [
                        "4000", "-4000", "/4000", "2000", "-2000", "/2000", "-u=s", "-g=s", "/u=s",
                        "/g=s", "u=s", "g=s", "/6000", "-6000",
                    ]
                    .contains(&w.text.as_str())
                })
            {
                r.hit(
                    c::BASH_PRIV_RECON,
                    range(),
                    "searches for set-user-ID programs (privilege-escalation reconnaissance)",
                );
            }
        }
        "mv" | "cp" => {
            if inv.operands().any(|w| w.text == "/dev/null") && inv.operands().count() >= 2 {
                r.hit(
                    c::BASH_DESTRUCTIVE_FS,
                    range(),
                    format!("`{prog}` onto /dev/null destroys the file (or /dev/null itself)"),
                );
            }
        }
        "lvremove" | "vgremove" | "pvremove" | "lvreduce" | "mdadm" | "zpool" | "zfs" | "btrfs"
        | "cryptsetup"
            if matches!(prog, "lvremove" | "vgremove" | "pvremove" | "lvreduce")
                || args.iter().any(|w| {
                    matches!(
                        w.text.as_str(),
                        "destroy"
                            | "--zero-superblock"
                            | "delete"
                            | "labelclear"
                            | "luksFormat"
                            | "erase"
                            | "luksErase"
                            | "format"
                    )
                }) =>
        {
            r.hit(
                c::BASH_DESTRUCTIVE_DISK,
                range(),
                format!("`{prog}` destroys volumes or disk metadata"),
            );
        }
        "mount" | "umount" | "partprobe" | "blockdev" | "dump" | "restore" | "losetup"
        | "kpartx" | "tune2fs" | "resize2fs" | "e2fsck" | "fsck" | "hdparm" | "lvcreate"
        | "lvextend" | "lvresize" | "vgcreate" | "pvcreate" | "swaplabel" | "e2label"
        | "debugfs"
            if args.iter().any(|w| w.text.starts_with("/dev/"))
                || matches!(prog, "mount" | "umount") && !args.is_empty() =>
        {
            r.hit(
                c::BASH_DISK_ADMIN,
                range(),
                format!("`{prog}` operates on disks or filesystems directly"),
            );
        }
        "truncate" => {
            if inv
                .operands()
                .any(|w| w.text.starts_with("/var/log") || w.text.starts_with("/etc/"))
            {
                r.hit(
                    c::BASH_DEFENSE_EVASION,
                    range(),
                    "truncates system logs or configuration",
                );
            }
        }
        _ => {}
    }
}

fn inv_execs_rm(inv: &Invocation<'_>) -> bool {
    inv.args().windows(2).any(|w| {
        matches!(w[0].text.as_str(), "-exec" | "-execdir" | "-ok")
            && matches!(basename(&w[1].text), "rm" | "shred" | "unlink")
    })
}

fn credentials(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, prog: &str) {
    if matches!(
        prog,
        "echo"
            | "printf"
            | "ssh-keygen"
            | "ssh-add"
            | "ssh-copy-id"
            | "ls"
            | "mkdir"
            | "test"
            | "["
            | "chmod"
            | "touch"
    ) {
        return;
    }
    let args = inv.args();
    // The identity file of an ssh client authenticates it; it is read,
    // not sent (still credential access, below).
    let ssh_client = matches!(prog, "ssh" | "scp" | "sftp" | "sshfs" | "autossh" | "mosh");
    let identity = |i: usize| {
        ssh_client && i > 0 && args.get(i - 1).is_some_and(|p| p.text == "-i")
            || ssh_client && args.get(i).is_some_and(|w| w.text.starts_with("-i"))
    };
    let found: Vec<_> = args
        .iter()
        .enumerate()
        .filter_map(|(i, w)| {
            let identity = identity(i);
            let t = w.text.trim_start_matches('@');
            let t = t
                .rsplit_once('=')
                .filter(|(k, _)| k.starts_with('-') || k.ends_with('@'))
                .map_or(t, |x| x.1)
                .trim_start_matches('@');
            let t = if identity {
                t.trim_start_matches("-i")
            } else {
                t
            };
            credential_path(t).map(|l| (w, l, t.to_string(), identity))
        })
        .collect();
    // A secret that is sent outranks an identity file that is only read.
    let sensitive = found
        .iter()
        .find(|x| !x.3)
        .or(found.first())
        .map(|(w, l, p, id)| (*w, *l, p.clone(), *id));
    let named = args.iter().find(|w| {
        let b = basename(&w.text);
        matches!(
            b,
            "id_rsa"
                | "id_dsa"
                | "id_ecdsa"
                | "id_ed25519"
                | ".gnupg"
                | "shadow"
                | "credentials"
                | ".aws"
                | "wallet.dat"
                | "*.kdbx"
                | ".git-credentials"
        )
    });
    let net = is_net_tool(prog)
        || r.downstream(cmd).iter().any(|d| {
            d.words
                .first()
                .is_some_and(|w| is_net_tool(basename(&w.text)))
        });
    let upstream_secret = matches!(cmd.stdin, Stdin::Pipe(_))
        && r.upstream(cmd).iter().any(|u| {
            u.words.iter().any(|w| credential_path(&w.text).is_some())
                || u.words.first().is_some_and(|w| {
                    matches!(basename(&w.text), "env" | "printenv" | "set" | "compgen")
                        && u.words.len() <= 2
                })
        });
    if is_net_tool(prog) && upstream_secret {
        r.hit(
            c::BASH_EXFILTRATION,
            cmd.range.clone(),
            format!("secrets or the environment are sent over the network with `{prog}`"),
        );
        return;
    }
    if let Some((w, label, path, identity)) = sensitive {
        if net && !identity {
            r.hit(
                c::BASH_EXFILTRATION,
                w.range.clone(),
                format!("{label} (`{path}`) is sent over the network"),
            );
        } else {
            r.hit(
                cred_rule(&path),
                w.range.clone(),
                format!("accesses {label} (`{path}`)"),
            );
        }
    } else if let Some(w) = named {
        r.hit(
            c::BASH_CREDENTIAL_ACCESS,
            w.range.clone(),
            format!("looks for credential files named `{}`", w.text),
        );
    }
    // env dumps into network tools through substitution: curl -d "$(env)"
    if is_net_tool(prog) {
        let subs = r.substituted(cmd);
        if subs.iter().any(|s| {
            s.words
                .first()
                .is_some_and(|w| matches!(basename(&w.text), "env" | "printenv" | "set"))
                || s.words.iter().any(|w| credential_path(&w.text).is_some())
        }) {
            r.hit(
                c::BASH_EXFILTRATION,
                cmd.range.clone(),
                format!("secrets or the environment are sent over the network with `{prog}`"),
            );
        }
    }
}

/// Writes through programs (tee, cp, sed -i, …) into persistence locations.
fn writes(r: &mut Rules<'_, '_>, inv: &Invocation<'_>, prog: &str) {
    let dest: Option<&Word> = match prog {
        "tee" => inv.operands().next(),
        "cp" | "mv" | "install" | "ln" | "rsync" | "scp" => inv
            .operands()
            .last()
            .filter(|_| inv.operands().count() >= 2),
        "sed" | "perl"
            if inv
                .args()
                .iter()
                .any(|w| w.text.starts_with("-i") || w.text == "--in-place") =>
        {
            inv.operands().last()
        }
        "dd" => inv
            .args()
            .iter()
            .find(|w| w.text.starts_with("of="))
            .copied(),
        "truncate" | "touch" | "chattr" | "ed" | "vi" | "vim" | "nano" => inv.operands().last(),
        "crontab" => {
            let listing = inv.args().iter().any(|w| w.is("-l"));
            if !listing {
                r.hit(
                    c::BASH_PERSISTENCE,
                    inv.argv[0].range.clone(),
                    "installs or removes cron jobs",
                );
            }
            None
        }
        "at" | "batch" | "atq" if prog != "atq" => {
            r.hit(
                c::BASH_PERSISTENCE,
                inv.argv[0].range.clone(),
                "schedules a command to run later",
            );
            None
        }
        "systemctl" => {
            if inv.args().iter().any(|w| {
                matches!(
                    w.text.as_str(),
                    "enable" | "link" | "set-default" | "edit" | "preset"
                )
            }) {
                r.hit(
                    c::BASH_PERSISTENCE,
                    inv.argv[0].range.clone(),
                    "enables a service to start at boot",
                );
            }
            None
        }
        "systemd-run" if inv.args().iter().any(|w| w.text.starts_with("--on-")) => {
            r.hit(
                c::BASH_PERSISTENCE,
                inv.argv[0].range.clone(),
                "schedules a timer that runs a command later",
            );
            None
        }
        "launchctl"
            if inv
                .args()
                .iter()
                .any(|w| matches!(w.text.as_str(), "load" | "submit" | "bootstrap" | "enable")) =>
        {
            r.hit(
                c::BASH_PERSISTENCE,
                inv.argv[0].range.clone(),
                "loads a launch agent or daemon",
            );
            None
        }
        _ => None,
    };
    if let Some(w) = dest {
        let t = w.text.strip_prefix("of=").unwrap_or(&w.text);
        if let Some(label) = persistence_path(t) {
            r.hit(
                persist_rule(t),
                w.range.clone(),
                format!("modifies {label} (`{t}`)"),
            );
        } else if prog == "dd" && is_block_device(t) {
            // reported by the destructive rules
        }
    }
}
