//! What a command does to the machine, its data and its secrets:
//! destruction, privilege, persistence, credential access and
//! exfiltration, hijacking, and legitimate-but-dangerous operations that
//! need a human (force pushes, infrastructure teardown, publishing).

use super::argv::{basename, Invocation};
use super::extract::{Cmd, Stdin};
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
                && !w.text.is_empty() =>
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

fn privilege(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, prog: &str) {
    let range = inv
        .argv
        .first()
        .map_or(cmd.range.clone(), |w| w.range.clone());
    match prog {
        "sudo" | "doas" | "pkexec" | "su" | "runuser" | "gksu" | "gksudo" | "kdesu" | "kdesudo"
        | "sudoedit" | "run0" => {
            r.hit(
                c::BASH_PRIVILEGE,
                range,
                format!("`{prog}` runs with another user's (usually root's) privileges"),
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
    let sensitive = args.iter().find_map(|w| {
        let t = w.text.trim_start_matches('@');
        let t = t
            .rsplit_once('=')
            .filter(|(k, _)| k.starts_with('-') || k.ends_with('@'))
            .map_or(t, |x| x.1)
            .trim_start_matches('@');
        credential_path(t).map(|l| (w, l, t.to_string()))
    });
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
    if let Some((w, label, path)) = sensitive {
        if net {
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

/// Legitimate but dangerous operations that a human must approve, and
/// host-level operations an agent must not perform.
fn operations(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, prog: &str) {
    let ops: Vec<&str> = inv.operands().map(|w| w.text.as_str()).collect();
    let has = |s: &str| inv.args().iter().any(|w| w.text == s);
    let flag = |s: char, l: &[&str]| inv.has_flag(s, l);
    let range =
        inv.argv.first().map_or(0, |w| w.range.start)..inv.argv.last().map_or(0, |w| w.range.end);
    let sub = ops.first().copied().unwrap_or("");
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match prog {
        "git" => {
            let gsub = git_subcommand(inv);
            let msg = match gsub.as_str() {
                "rm" if ops
                    .iter()
                    .skip(1)
                    .any(|o| matches!(*o, "." | "*" | "./" | "./*"))
                    || flag('r', &[]) && ops.len() <= 2 =>
                {
                    Some("removes many tracked files")
                }
                "restore" | "checkout"
                    if ops
                        .iter()
                        .skip(1)
                        .any(|o| matches!(*o, "*" | "." | "./" | "./*" | ":/")) =>
                {
                    Some("discards local changes to many files")
                }
                "update-ref" if has("--delete") => Some("deletes a ref"),
                "push"
                    if flag(
                        'f',
                        &[
                            "force",
                            "force-with-lease",
                            "force-if-includes",
                            "mirror",
                            "delete",
                            "prune",
                        ],
                    ) || has("-d")
                        || ops
                            .iter()
                            .skip(1)
                            .any(|o| o.starts_with(':') || o.starts_with('+')) =>
                {
                    Some("rewrites or deletes history on a remote (force push / delete)")
                }
                "reset" if has("--hard") || has("--merge") || has("--keep") => {
                    Some("discards uncommitted work (`git reset --hard`)")
                }
                "clean" if flag('f', &["force"]) => {
                    Some("permanently deletes untracked files (`git clean -f`)")
                }
                "checkout" | "switch"
                    if flag('f', &["force", "discard-changes"])
                        || ops.contains(&".") && ops.contains(&"--") =>
                {
                    Some("discards local changes")
                }
                "branch" if has("-D") || (flag('d', &["delete"]) && flag('f', &["force"])) => {
                    Some("force-deletes a branch")
                }
                "filter-branch" | "filter-repo" => Some("rewrites the whole history"),
                "stash" if ops.get(1).is_some_and(|o| *o == "clear" || *o == "drop") => {
                    Some("drops stashed work")
                }
                "reflog" if ops.get(1) == Some(&"expire") => {
                    Some("expires the reflog (removes the safety net)")
                }
                "gc" if inv.args().iter().any(|w| w.text.starts_with("--prune")) => {
                    Some("prunes unreachable objects for good")
                }
                "update-ref" if flag('d', &[]) => Some("deletes a ref"),
                "restore" if ops.contains(&".") => Some("discards local changes"),
                _ => None,
            };
            if let Some(m) = msg {
                hit(r, c::BASH_DESTRUCTIVE_GIT, format!("git {gsub}: {m}"));
            }
            if gsub == "config" {
                let key = ops
                    .iter()
                    .skip(1)
                    .find(|o| o.contains('.'))
                    .map(|k| k.to_ascii_lowercase())
                    .unwrap_or_default();
                let execs = matches!(
                    key.as_str(),
                    "core.pager"
                        | "core.editor"
                        | "core.sshcommand"
                        | "core.fsmonitor"
                        | "core.hookspath"
                        | "core.gitproxy"
                        | "sequence.editor"
                        | "diff.external"
                        | "credential.helper"
                        | "pager.log"
                        | "pager.diff"
                ) || key.starts_with("alias.")
                    || key.starts_with("filter.")
                    || key.starts_with("diff.") && key.ends_with(".textconv");
                if execs {
                    hit(
                        r,
                        c::BASH_PATH_HIJACK,
                        format!("git config `{key}` makes git run a command"),
                    );
                }
            }
        }
        "npm" | "pnpm" | "yarn" | "bun" => {
            if sub == "config"
                && ops.iter().any(|o| {
                    matches!(
                        *o,
                        "script-shell"
                            | "shell"
                            | "git"
                            | "editor"
                            | "node-options"
                            | "registry"
                            | "ignore-scripts"
                    )
                })
            {
                hit(
                    r,
                    c::BASH_PATH_HIJACK,
                    "changes which programs or registry npm uses".to_string(),
                );
            }
            let s = if sub == "npm" {
                ops.get(1).copied().unwrap_or("")
            } else {
                sub
            };
            if matches!(
                s,
                "publish" | "unpublish" | "deprecate" | "dist-tag" | "owner" | "access"
            ) {
                hit(
                    r,
                    c::BASH_PUBLISH,
                    format!("`{prog} {s}` changes a published package"),
                );
            }
        }
        "cargo" if matches!(sub, "publish" | "yank" | "owner") => hit(
            r,
            c::BASH_PUBLISH,
            format!("`cargo {sub}` changes a published crate"),
        ),
        "twine" | "flit" | "hatch" | "poetry" | "uv" | "gem" | "vsce" | "ovsx" | "dotnet"
        | "nuget" | "mvn" | "gradle" | "helm" | "docker" | "podman"
            if ops
                .iter()
                .any(|o| matches!(*o, "upload" | "publish" | "push" | "yank" | "deploy"))
                && !(matches!(prog, "docker" | "podman") && sub != "push") =>
        {
            hit(
                r,
                c::BASH_PUBLISH,
                format!("`{prog}` publishes to a registry"),
            );
        }
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" | "serverless" | "sls" => {
            if ops.iter().any(|o| {
                matches!(
                    *o,
                    "delete" | "rm" | "replace-provider" | "destroy" | "untaint"
                )
            }) || has("-force")
                || has("--force")
                || (sub == "state"
                    && !matches!(ops.get(1), Some(&"list") | Some(&"show") | Some(&"pull")))
                || matches!(sub, "destroy" | "force-unlock" | "taint" | "import")
                || (sub == "apply"
                    && inv.args().iter().any(|w| {
                        w.text.starts_with("-auto-approve")
                            || w.text.starts_with("--auto-approve")
                            || w.text == "-destroy"
                    }))
                || (sub == "state"
                    && matches!(ops.get(1), Some(&"rm") | Some(&"mv") | Some(&"push")))
                || (sub == "up" && (has("--yes") || has("-y")))
                || sub == "delete"
                || sub == "remove"
            {
                hit(r, c::BASH_DESTRUCTIVE_INFRA, format!("`{prog} {sub}` changes or destroys live infrastructure without a plan review"));
            }
        }
        "kubectl" | "k" | "oc" | "helm" | "docker" | "docker-compose" | "podman" | "aws"
        | "gcloud" | "az" | "gh" | "glab" | "doctl" | "heroku" | "fly" | "flyctl" | "vercel"
        | "netlify" | "ibmcloud" | "linode-cli" | "hcloud" | "openstack" | "eksctl" | "gsutil"
        | "s3cmd" | "rclone" | "firebase" | "supabase" | "wrangler" | "minikube" | "kind"
        | "k3d" | "vault" | "consul" | "nomad" | "redis-cli" | "dropdb" | "mysqladmin" => {
            const VERBS: &[&str] = &[
                "delete",
                "destroy",
                "remove",
                "rm",
                "rmi",
                "terminate",
                "purge",
                "prune",
                "uninstall",
                "flushall",
                "flushdb",
                "drop",
                "deregister",
                "wipe",
                "reset",
                "erase",
                "kill",
                "drain",
                "rb",
                "deprovision",
                "revoke",
                "disable",
                "archive",
                "transfer",
                "rename",
                "cordon",
                "taint",
                "scale",
                "rollback",
                "undo",
                "down",
                "stop",
                "shutdown",
                "force-unlock",
                "empty",
                "truncate",
            ];
            let destructive = ops.iter().any(|o| {
                let o = o.to_ascii_lowercase();
                VERBS.contains(&o.as_str())
                    || VERBS.iter().any(|v| {
                        o.starts_with(&format!("{v}-"))
                            || o.ends_with(&format!("-{v}"))
                            || o.contains(&format!("-{v}-"))
                    })
            }) || has("--visibility")
                || matches!(prog, "dropdb")
                || (prog == "mysqladmin" && ops.contains(&"drop"))
                || (prog == "rclone" && matches!(sub, "sync" | "purge" | "delete"));
            let destructive = destructive
                || (matches!(prog, "kubectl" | "k" | "oc" | "helm")
                    && (has("--force")
                        || has("--grace-period=0")
                        || matches!(sub, "scale" | "replace")));
            let compose_down =
                (prog == "docker-compose" || sub == "compose") && ops.contains(&"down");
            if destructive && !(compose_down && !flag('v', &["volumes", "rmi"])) {
                hit(
                    r,
                    c::BASH_DESTRUCTIVE_INFRA,
                    format!("`{prog}` deletes or stops live resources"),
                );
            }
        }
        "psql" | "mysql" | "mariadb" | "sqlite3" | "mongo" | "mongosh" | "cqlsh"
        | "clickhouse-client" | "sqlcmd" | "duckdb" => {
            let sql: String = inv
                .args()
                .iter()
                .map(|w| w.text.to_ascii_uppercase())
                .collect::<Vec<_>>()
                .join(" ");
            let heredoc = match &cmd.stdin {
                Stdin::Heredoc { body, .. } => body.to_ascii_uppercase(),
                Stdin::HereString(w) => w.text.to_ascii_uppercase(),
                _ => String::new(),
            };
            let all = format!("{sql} {heredoc}");
            if [
                "DROP TABLE",
                "DROP DATABASE",
                "DROP SCHEMA",
                "TRUNCATE",
                "DROPDATABASE",
                "DROP(",
                ".DROP()",
                "DELETE FROM",
            ]
            .iter()
            .any(|k| all.contains(k))
                && !(all.contains("DELETE FROM") && all.contains("WHERE") && !all.contains("DROP"))
            {
                hit(
                    r,
                    c::BASH_DESTRUCTIVE_INFRA,
                    "destroys database objects or data".to_string(),
                );
            }
        }
        "shutdown" | "reboot" | "halt" | "poweroff" => hit(
            r,
            c::BASH_SYSTEM_POWER,
            format!("`{prog}` stops or restarts the machine"),
        ),
        "init" | "telinit" if matches!(sub, "0" | "6" | "1" | "s" | "S") => hit(
            r,
            c::BASH_SYSTEM_POWER,
            format!("`{prog} {sub}` changes the run level (halt/reboot)"),
        ),
        "systemctl" => {
            if matches!(
                sub,
                "poweroff"
                    | "reboot"
                    | "halt"
                    | "kexec"
                    | "suspend"
                    | "hibernate"
                    | "rescue"
                    | "emergency"
                    | "soft-reboot"
            ) {
                hit(
                    r,
                    c::BASH_SYSTEM_POWER,
                    format!("`systemctl {sub}` stops or restarts the machine"),
                );
            } else if matches!(sub, "stop" | "disable" | "mask" | "kill" | "isolate") {
                let unit = ops.get(1).copied().unwrap_or("");
                let rule = if [
                    "audit",
                    "apparmor",
                    "selinux",
                    "firewalld",
                    "ufw",
                    "falco",
                    "osquery",
                    "wazuh",
                    "crowdstrike",
                    "syslog",
                    "journald",
                ]
                .iter()
                .any(|s| unit.contains(s))
                {
                    c::BASH_SECURITY_CONTROL
                } else {
                    c::BASH_SERVICE_STOP
                };
                hit(
                    r,
                    rule,
                    format!("`systemctl {sub} {unit}` stops a running service"),
                );
            }
        }
        "service" if ops.get(1).is_some_and(|o| matches!(*o, "stop" | "disable")) => hit(
            r,
            c::BASH_SERVICE_STOP,
            "stops a running service".to_string(),
        ),
        "kill" | "pkill" | "killall" | "killall5" => {
            if ops.contains(&"1") || has("-1") || prog == "killall5" {
                hit(
                    r,
                    c::BASH_SYSTEM_POWER,
                    "kills init or every process".to_string(),
                );
            }
        }
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" | "nft" | "ufw"
        | "firewall-cmd" | "ifconfig" | "ifdown" | "ip" | "nmcli" | "route" | "tc" | "ebtables"
        | "pfctl" => {
            let lower: Vec<String> = inv
                .args()
                .iter()
                .map(|w| w.text.to_ascii_lowercase())
                .collect();
            let l = |s: &str| lower.iter().any(|x| x == s);
            let disrupt = match prog {
                "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" | "ebtables" => {
                    l("-f")
                        || l("--flush")
                        || l("-x")
                        || l("--delete-chain")
                        || l("-z")
                        || (l("-p") && l("drop"))
                        || l("-d")
                }
                "nft" => l("flush") || l("delete"),
                "ufw" => l("disable") || l("reset") || l("delete"),
                "firewall-cmd" => {
                    l("--panic-on") || lower.iter().any(|x| x.starts_with("--remove"))
                }
                "ifconfig" | "ifdown" => l("down") || prog == "ifdown",
                "ip" => l("flush") || (l("down") && l("set")) || (l("del") || l("delete")),
                "nmcli" => l("down") || l("off") || l("delete"),
                "route" => l("del") || l("delete"),
                "tc" => l("loss") || l("netem"),
                "pfctl" => l("-d") || l("-f"),
                _ => false,
            };
            if disrupt {
                hit(
                    r,
                    c::BASH_NETWORK_DISRUPTION,
                    format!("`{prog}` removes firewall rules or takes the network down"),
                );
            }
        }
        "setenforce" if sub == "0" => hit(
            r,
            c::BASH_SECURITY_CONTROL,
            "turns SELinux enforcement off".to_string(),
        ),
        "auditctl" if has("-D") || (has("-e") && ops.contains(&"0")) => hit(
            r,
            c::BASH_SECURITY_CONTROL,
            "removes audit rules".to_string(),
        ),
        "aa-disable" | "aa-teardown" | "aa-complain" => hit(
            r,
            c::BASH_SECURITY_CONTROL,
            "disables AppArmor profiles".to_string(),
        ),
        "swapoff" | "swapon" | "sysctl"
            if prog != "sysctl" || has("-w") || ops.iter().any(|o| o.contains('=')) =>
        {
            hit(
                r,
                c::BASH_SECURITY_CONTROL,
                format!("`{prog}` changes kernel or memory settings"),
            )
        }
        "history" if flag('c', &[]) || flag('d', &[]) || flag('w', &[]) => hit(
            r,
            c::BASH_DEFENSE_EVASION,
            "clears or rewrites shell history".to_string(),
        ),
        "set" if inv.args().iter().any(|w| w.is("+o")) && ops.contains(&"history") => hit(
            r,
            c::BASH_DEFENSE_EVASION,
            "turns shell history off".to_string(),
        ),
        "insmod" | "modprobe" | "rmmod" | "kmod" | "kextload" => hit(
            r,
            c::BASH_KERNEL_MODULE,
            format!("`{prog}` loads or unloads kernel code"),
        ),
        "useradd" | "adduser" | "usermod" | "userdel" | "deluser" | "passwd" | "chpasswd"
        | "groupadd" | "groupdel" | "gpasswd" | "chsh" | "chfn" | "visudo" | "vipw" | "vigr"
        | "newusers" | "pw" | "dscl" | "chage" => {
            hit(
                r,
                c::BASH_ACCOUNT_CHANGE,
                format!("`{prog}` changes user accounts or credentials"),
            );
        }
        "cloudflared" | "ngrok" | "frpc" | "chisel" | "bore" | "localtunnel" | "lt" | "tor"
        | "iodine" | "dnscat" | "dnscat2" | "ligolo" => {
            hit(
                r,
                c::BASH_TUNNEL,
                format!("`{prog}` opens a tunnel that exposes this machine or hides traffic"),
            );
        }
        "code" if sub == "tunnel" => hit(
            r,
            c::BASH_TUNNEL,
            "`code tunnel` exposes this machine remotely".to_string(),
        ),
        "ssh"
            if inv.args().iter().any(|w| {
                matches!(w.text.as_str(), "-R" | "-D")
                    || w.text.starts_with("-R")
                    || w.text.starts_with("-D")
            }) =>
        {
            hit(
                r,
                c::BASH_TUNNEL,
                "ssh opens a reverse or SOCKS tunnel".to_string(),
            );
        }
        _ => {}
    }
}

fn git_subcommand(inv: &Invocation<'_>) -> String {
    let args = inv.args();
    let mut i = 0;
    while i < args.len() {
        let t = args[i].text.as_str();
        if matches!(
            t,
            "-C" | "-c"
                | "--git-dir"
                | "--work-tree"
                | "--namespace"
                | "--exec-path"
                | "--config-env"
        ) {
            i += 2;
            continue;
        }
        if t.starts_with('-') {
            i += 1;
            continue;
        }
        return t.to_string();
    }
    String::new()
}
