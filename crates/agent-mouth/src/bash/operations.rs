//! Legitimate but dangerous operations a human must approve (force pushes,
//! infrastructure teardown, publishing, database drops) and host-level
//! operations an agent must not perform (power, services, firewall).

use super::argv::Invocation;
use super::extract::{Cmd, Stdin};
use super::Rules;
use crate::catalog as c;

/// What every family of operation rules is given.
struct Op<'a> {
    cmd: &'a Cmd,
    inv: &'a Invocation<'a>,
    prog: &'a str,
    /// The operands (arguments that are not options).
    ops: Vec<&'a str>,
    /// The first operand: the subcommand, for programs that have them.
    sub: &'a str,
    range: std::ops::Range<usize>,
}

/// Legitimate but dangerous operations that a human must approve, and
/// host-level operations an agent must not perform: one family per
/// program, the first that knows it decides.
pub(super) fn operations(r: &mut Rules<'_, '_>, cmd: &Cmd, inv: &Invocation<'_>, prog: &str) {
    let ops: Vec<&str> = inv.operands().map(|w| w.text.as_str()).collect();
    let o = Op {
        cmd,
        inv,
        prog,
        sub: ops.first().copied().unwrap_or(""),
        ops,
        range: inv.argv.first().map_or(0, |w| w.range.start)
            ..inv.argv.last().map_or(0, |w| w.range.end),
    };
    let _ = version_control(r, &o)
        || publishing(r, &o)
        || infrastructure(r, &o)
        || databases(r, &o)
        || host(r, &o)
        || host_security(r, &o)
        || tunnels(r, &o);
}

/// git: force pushes, history rewrites, remote redirection (bash/git_redirect.rs).
fn version_control(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let inv = o.inv;
    let ops = &o.ops;
    let has = |s: &str| o.inv.args().iter().any(|w| w.text == s);
    let flag = |s: char, l: &[&str]| o.inv.has_flag(s, l);
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
        "git" => {
            let gsub = git_subcommand(inv);
            super::git_redirect::check(r, inv, &gsub, ops, range.clone());
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
                // The value: the operand after the key.
                let value = ops
                    .iter()
                    .skip_while(|o| o.to_ascii_lowercase() != key)
                    .nth(1)
                    .copied()
                    .unwrap_or("");
                let everyday = (key.starts_with("core.pager")
                    || key.starts_with("pager.")
                    || key == "core.editor"
                    || key == "sequence.editor")
                    && crate::names::harmless_viewer(value)
                    // Hooks kept in the repository (`.githooks`, `.husky`):
                    // what is in them is judged where it is written.
                    || key == "core.hookspath"
                        && !value.is_empty()
                        && !value.starts_with(['/', '~', '$'])
                        && !value.contains("..");
                if execs && !everyday {
                    hit(
                        r,
                        c::BASH_PATH_HIJACK,
                        format!("git config `{key}` makes git run a command"),
                    );
                }
            }
        }
        _ => return false,
    }
    true
}

/// Publishing packages and extensions.
fn publishing(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let prog = o.prog;
    let ops = &o.ops;
    let sub = o.sub;
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
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
        _ => return false,
    }
    true
}

/// Infrastructure teardown: IaC destroys, clusters, containers, cloud CLIs.
fn infrastructure(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let inv = o.inv;
    let prog = o.prog;
    let ops = &o.ops;
    let sub = o.sub;
    let has = |s: &str| o.inv.args().iter().any(|w| w.text == s);
    let flag = |s: char, l: &[&str]| o.inv.has_flag(s, l);
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
        "terraform" | "tofu" | "terragrunt" | "pulumi" | "cdk" | "serverless" | "sls" => {
            if ops
                .iter()
                .any(|o| matches!(*o, "delete" | "rm" | "replace-provider" | "destroy"))
                || has("-force")
                || has("--force")
                || (sub == "state"
                    && !matches!(ops.get(1), Some(&"list") | Some(&"show") | Some(&"pull")))
                || matches!(sub, "destroy" | "force-unlock" | "taint")
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
            let destructive = destructive || (prog == "gh" && ops.contains(&"rename"));
            let dry_run = inv.args().iter().any(|w| {
                w.text.starts_with("--dry-run")
                    || w.text.starts_with("-dry-run")
                    || w.text == "--for"
            });
            if destructive && !dry_run && !(compose_down && !flag('v', &["volumes", "rmi"])) {
                hit(
                    r,
                    c::BASH_DESTRUCTIVE_INFRA,
                    format!("`{prog}` deletes or stops live resources"),
                );
            }
        }
        _ => return false,
    }
    true
}

/// Database drops, truncations and destructive statements.
fn databases(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let cmd = o.cmd;
    let inv = o.inv;
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
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
        _ => return false,
    }
    true
}

/// Power, init levels, services and processes of the host.
fn host(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let prog = o.prog;
    let ops = &o.ops;
    let sub = o.sub;
    let has = |s: &str| o.inv.args().iter().any(|w| w.text == s);
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
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
        _ => return false,
    }
    true
}

/// Firewalls, AppArmor, swap and kernel settings, modules, accounts.
fn host_security(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let inv = o.inv;
    let prog = o.prog;
    let ops = &o.ops;
    let sub = o.sub;
    let has = |s: &str| o.inv.args().iter().any(|w| w.text == s);
    let flag = |s: char, l: &[&str]| o.inv.has_flag(s, l);
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
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
        _ => return false,
    }
    true
}

/// Tunnels that expose this machine.
fn tunnels(r: &mut Rules<'_, '_>, o: &Op<'_>) -> bool {
    let inv = o.inv;
    let prog = o.prog;
    let sub = o.sub;
    let range = o.range.clone();
    let hit = |r: &mut Rules<'_, '_>, rule, msg: String| r.hit(rule, range.clone(), msg);
    match o.prog {
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
        _ => return false,
    }
    true
}

pub(super) fn git_subcommand(inv: &Invocation<'_>) -> String {
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
