//! The profile a command runs under at the `seccomp` level, and the policy
//! agent-muscle enforces for it.
//!
//! 1. `--profile NAME` wins (a built-in or a user profile).
//! 2. A shell with a command string (`bash -c S`, `sh -lc S`, `env X=1 zsh
//!    -c S`, …) runs whatever S runs: agent-mouth lists every program in S
//!    (through wrappers, `xargs`, `find -exec`, nested `sh -c` and `eval`
//!    strings), each gets agent-immune's profile for it, and the task gets
//!    the union of those profiles plus `shell-utils` for the shell itself.
//!    A program with no built-in profile, a command name only known at run
//!    time (`$X foo`), a script or string the shell reads from elsewhere
//!    (`bash build.sh`, `sh -c "$CMD"`, `source f`), or a string mouth cannot
//!    parse makes the union include `developer`.
//! 3. Anything else gets agent-immune's profile for its program
//!    ([`agent_immune::profile::for_command`]).
//!
//! With a network grant the result also gets the `inet`/`inet6` socket
//! families and the client calls of [`NET_CLIENT`] (never `bind` or
//! `listen`); without one the executor keeps `socket()` to `AF_UNIX`
//! whatever the profile lists.

use std::collections::BTreeMap;

use agent_immune::profile::{self as immune, GroupDef, ProfileDef, SocketFamily, NET_CLIENT};
use agent_mouth::{Command, Lang};
use agent_muscle::bpf::{Action, SyscallPolicy};
use autonomic_core::paths::Paths;

use super::{find, refused_domains, socket_domains, ProfileError};

/// Shells whose `-c` string agent-mouth reads as bash.
const SHELLS: &[&str] = &["sh", "bash", "dash", "zsh", "ksh", "mksh", "ash"];

/// Shell builtins: they run inside the shell, under its `shell-utils`.
const BUILTINS: &[&str] = &[
    "cd", "export", "set", "unset", "read", "wait", "exit", "return", "shift", "local", "declare",
    "typeset", "readonly", "type", "hash", "jobs", "fg", "bg", "times", "trap", "ulimit", "umask",
    "getopts", "let", ":", "alias", "unalias", "command", "builtin", "shopt", "break", "continue",
    "exec",
];

/// The profile a command resolved to, why, and the policy to enforce.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// The profile (for a shell string, the composition of several).
    pub profile: ProfileDef,
    /// Why this profile: names the profiles composed and what made each one
    /// part of it.
    pub reason: String,
    /// The seccomp policy for agent-muscle: the profile's syscalls, its
    /// socket families (network ones honoured only with a network grant) and
    /// refused families; anything else kills the task.
    pub policy: SyscallPolicy,
}

/// Resolves the profile `argv` runs under (see the module docs for the
/// rules). `requested` is `--profile NAME`; `network` is the task's network
/// grant.
///
/// # Errors
///
/// For `requested`: an unknown name, or a user profile that does not load;
/// and [`ProfileError::UnknownFamily`] if agent-muscle cannot number a
/// family the profile names.
pub fn resolve(
    paths: &Paths,
    argv: &[String],
    requested: Option<&str>,
    network: bool,
) -> Result<Resolved, ProfileError> {
    let (mut profile, mut reason) = match (requested, shell_string(argv)) {
        (Some(name), _) => (find(paths, name)?, format!("--profile {name}")),
        (None, Some((shell, script))) => compose_shell(shell, script),
        (None, None) => {
            let (p, why) = immune::for_command(argv);
            (ProfileDef::from(p), why)
        }
    };
    if network {
        grant_network(&mut profile);
        reason.push_str("; the network grant adds the inet families and net_client");
    }
    let policy = SyscallPolicy {
        allow: profile.syscalls().into_iter().map(String::from).collect(),
        default_action: Action::KillProcess,
        socket_domains: socket_domains(&profile)?,
        refused_domains: refused_domains(&profile)?,
        refused_syscalls: Vec::new(),
    };
    Ok(Resolved {
        profile,
        reason,
        policy,
    })
}

/// `(shell, string)` when `argv` is a shell with a command string, also
/// behind `env [OPTION…] [NAME=VALUE…]`.
pub fn shell_string(argv: &[String]) -> Option<(&str, &str)> {
    let mut i = 0;
    if argv.first().map(|a| basename(a)) == Some("env") {
        i = 1;
        while let Some(a) = argv.get(i) {
            match a.as_str() {
                "--" => {
                    i += 1;
                    break;
                }
                "-u" | "--unset" | "-C" | "--chdir" => i += 2,
                // `env -S "sh -c …"` splits a string: not followed here.
                "-S" | "--split-string" => return None,
                a if a.starts_with('-') || a.contains('=') => i += 1,
                _ => break,
            }
        }
    }
    let shell = basename(argv.get(i)?);
    if !SHELLS.contains(&shell) {
        return None;
    }
    let mut with_c = false;
    let mut j = i + 1;
    while let Some(a) = argv.get(j) {
        match a.as_str() {
            "--" | "-" => {
                j += 1;
                break;
            }
            "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file" => j += 2,
            a if a.starts_with("--") => j += 1,
            a if a.starts_with('-') || a.starts_with('+') => {
                with_c |= a.starts_with('-') && a.contains('c');
                j += 1;
            }
            _ => break,
        }
    }
    if !with_c {
        return None;
    }
    Some((shell, argv.get(j)?.as_str()))
}

/// The union of the profiles of everything `script` runs, plus `shell-utils`
/// for `shell` itself, and the reason.
fn compose_shell(shell: &str, script: &str) -> (ProfileDef, String) {
    // profile name → what put it there
    let mut parts: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    parts
        .entry("shell-utils")
        .or_default()
        .push(format!("the shell `{shell}`"));
    let mut programs: Vec<String> = Vec::new();
    match agent_mouth::commands(Lang::Bash, script) {
        Ok(cmds) => {
            for cmd in &cmds {
                let (profile, why) = classify(cmd);
                let name = cmd.argv.first().map(|a| basename(a)).unwrap_or_default();
                if !programs.iter().any(|p| p == name) {
                    programs.push(name.to_owned());
                }
                let whys = parts.entry(profile).or_default();
                if !whys.contains(&why) {
                    whys.push(why);
                }
            }
        }
        Err(e) => {
            parts
                .entry("developer")
                .or_default()
                .push(format!("what it runs is unknown: {e}"));
        }
    }
    let defs: Vec<ProfileDef> = parts
        .keys()
        .filter_map(|n| immune::find(n))
        .map(ProfileDef::from)
        .collect();
    let names: Vec<&str> = parts.keys().copied().collect();
    let mut reason = format!(
        "`{shell} -c …` runs {}: composed {}",
        if programs.is_empty() {
            "nothing but the shell".to_owned()
        } else {
            programs.join(", ")
        },
        names.join(" + ")
    );
    if let Some(whys) = parts.get("developer") {
        reason.push_str(&format!(" (developer: {})", whys.join("; ")));
    }
    (union(&names.join("+"), &defs), reason)
}

/// The built-in profile one program of a shell string needs, and why.
fn classify(cmd: &Command) -> (&'static str, String) {
    let Some(first) = cmd.argv.first() else {
        return ("shell-utils", "an assignment".into());
    };
    let prog = basename(first);
    if cmd.dynamic_name {
        return (
            "developer",
            format!("the command name `{first}` is only known when it runs"),
        );
    }
    if SHELLS.contains(&prog) {
        // A literal `-c` string was listed by mouth already; anything else
        // (a script file, stdin, a string from a variable) is unknown.
        let literal_c = shell_string(&cmd.argv).is_some() && !cmd.dynamic_args;
        return if literal_c {
            ("shell-utils", format!("the shell `{prog}`"))
        } else {
            (
                "developer",
                format!("`{prog}` runs a script or string whose commands are unknown"),
            )
        };
    }
    match prog {
        "eval" if cmd.dynamic_args => (
            "developer",
            "`eval` of a string only known when it runs".into(),
        ),
        "source" | "." => (
            "developer",
            format!("`{prog}` runs a file whose commands are unknown"),
        ),
        p if p == "eval" || BUILTINS.contains(&p) => {
            ("shell-utils", format!("the shell builtin `{prog}`"))
        }
        _ => {
            let (profile, why) = immune::for_command(&cmd.argv);
            (profile.name, why)
        }
    }
}

/// One profile holding every group, socket family and refused family of
/// `defs`. A family some part may create is not refused.
fn union(name: &str, defs: &[ProfileDef]) -> ProfileDef {
    if let [one] = defs {
        return one.clone();
    }
    let mut groups: Vec<GroupDef> = Vec::new();
    let mut families: Vec<SocketFamily> = Vec::new();
    let mut refused: Vec<(SocketFamily, String)> = Vec::new();
    for d in defs {
        for g in &d.groups {
            if !groups.iter().any(|have| have.name == g.name) {
                groups.push(g.clone());
            }
        }
        for f in &d.socket_families {
            if !families.contains(f) {
                families.push(*f);
            }
        }
        for r in &d.socket_refused {
            if !refused.iter().any(|(f, _)| *f == r.0) {
                refused.push(r.clone());
            }
        }
    }
    refused.retain(|(f, _)| !families.contains(f));
    ProfileDef {
        name: name.to_owned(),
        description: format!(
            "composed for a shell string: {}",
            defs.iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        ),
        groups,
        socket_families: families,
        socket_refused: refused,
        learned_from: None,
        source: None,
    }
}

/// Adds the inet families and the client calls a network grant needs.
fn grant_network(profile: &mut ProfileDef) {
    for f in [SocketFamily::Inet, SocketFamily::Inet6] {
        if !profile.socket_families.contains(&f) {
            profile.socket_families.push(f);
        }
    }
    profile.socket_refused.retain(|(f, _)| !f.is_network());
    if !profile.groups.iter().any(|g| g.name == NET_CLIENT.name) {
        profile.groups.push(GroupDef::from(&NET_CLIENT));
    }
}

fn basename(p: &str) -> &str {
    let p = p.trim_end_matches('/');
    p.rsplit('/').next().unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| (*w).to_owned()).collect()
    }

    #[test]
    fn shell_strings_are_found_behind_env_and_options() {
        let s = argv(&["bash", "-lc", "make"]);
        assert_eq!(shell_string(&s), Some(("bash", "make")));
        let s = argv(&["/usr/bin/env", "-i", "A=1", "sh", "-e", "-c", "ls", "x"]);
        assert_eq!(shell_string(&s), Some(("sh", "ls")));
        let s = argv(&["bash", "-o", "pipefail", "-c", "ls | wc"]);
        assert_eq!(shell_string(&s), Some(("bash", "ls | wc")));
        assert_eq!(shell_string(&argv(&["bash", "build.sh"])), None);
        assert_eq!(shell_string(&argv(&["cargo", "-c", "x"])), None);
        assert_eq!(shell_string(&argv(&["bash", "-c"])), None);
    }

    #[test]
    fn a_union_keeps_each_group_once_and_refuses_only_what_no_part_allows() {
        let npm = ProfileDef::from(immune::find("npm").map_or(&immune::PROFILES[0], |p| p));
        let shell =
            ProfileDef::from(immune::find("shell-utils").map_or(&immune::PROFILES[0], |p| p));
        let u = union("x", &[npm.clone(), shell]);
        let names: std::collections::BTreeSet<&str> =
            u.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names.len(), u.groups.len());
        assert!(u.syscalls().is_superset(&npm.syscalls()));
        assert_eq!(u.socket_refused.len(), 1);
    }
}
