//! Learning a profile from the syscalls one run really made: policy, pure.
//!
//! The result is *minimal*: the floor and the loader group (every profile
//! has them) plus exactly the syscalls seen. For review, seen syscalls are
//! filed under the reviewed group that covers them (with that group's
//! reason, but only the syscalls seen); the rest go in an `observed` group
//! whose reason says to review it. A hard-blocked syscall (the list is
//! agent-muscle's, passed in as data) and a socket domain the sandbox never
//! allows are left out and reported, since the sandbox would kill them
//! whatever the profile says.

use std::collections::BTreeSet;

use super::{
    GroupDef, ProfileDef, SyscallGroup, EVENT_LOOP, FLOOR, FS_READ, FS_WRITE, IDENTITY, LOADER,
    NSS_UNIX, PROCESSES, SIGNALS, THREADS, TIME,
};

/// The reviewed groups learned syscalls are filed under, first match wins.
const REVIEWED: &[&SyscallGroup] = &[
    &IDENTITY,
    &SIGNALS,
    &TIME,
    &FS_READ,
    &NSS_UNIX,
    &FS_WRITE,
    &PROCESSES,
    &THREADS,
    &EVENT_LOOP,
];

/// The name of the group for syscalls no reviewed group covers.
pub const OBSERVED_GROUP: &str = "observed";

/// One recorded run.
#[derive(Debug, Clone, Copy)]
pub struct Observation<'a> {
    /// The profile's name.
    pub name: &'a str,
    /// The command that was traced.
    pub command: &'a [String],
    /// When (`YYYY-MM-DD`).
    pub date: &'a str,
    /// Every distinct syscall name the run made.
    pub syscalls: &'a BTreeSet<&'a str>,
    /// `AF_*` domains passed to `socket()`/`socketpair()`.
    pub socket_domains: &'a BTreeSet<i32>,
}

/// Something seen that the profile leaves out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// What: "syscall `ptrace`", "socket domain 16 (AF_NETLINK)".
    pub what: String,
    /// Why the sandbox kills it.
    pub reason: String,
}

/// A learned profile and what it had to leave out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learned {
    /// The minimal profile.
    pub profile: ProfileDef,
    /// Seen, but never allowed.
    pub refused: Vec<Refused>,
}

/// Builds the minimal profile for `obs`. `hard_blocked` is the sandbox's
/// `(syscall, reason)` list that no profile may allow.
pub fn learn(obs: &Observation<'_>, hard_blocked: &[(&str, &str)]) -> Learned {
    let command = display_command(obs.command);
    let mut refused = Vec::new();
    let mut left: BTreeSet<&str> = BTreeSet::new();
    for &s in obs.syscalls {
        match hard_blocked.iter().find(|(n, _)| *n == s) {
            Some((_, why)) => refused.push(Refused {
                what: format!("syscall `{s}`"),
                reason: (*why).to_owned(),
            }),
            None => {
                left.insert(s);
            }
        }
    }
    for s in FLOOR.syscalls.iter().chain(LOADER.syscalls) {
        left.remove(s);
    }
    let mut groups = vec![GroupDef::from(&LOADER)];
    for g in REVIEWED {
        let seen: Vec<String> = g
            .syscalls
            .iter()
            .filter(|s| left.remove(*s))
            .map(|s| (*s).to_owned())
            .collect();
        if !seen.is_empty() {
            groups.push(GroupDef {
                name: g.name.to_owned(),
                reason: g.reason.to_owned(),
                syscalls: seen,
            });
        }
    }
    if !left.is_empty() {
        groups.push(GroupDef {
            name: OBSERVED_GROUP.to_owned(),
            reason: format!("observed while learning from `{command}`; review before use"),
            syscalls: left.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    let mut families = Vec::new();
    for &domain in obs.socket_domains {
        match family(domain) {
            Some(f) => families.push(f.to_owned()),
            None => refused.push(Refused {
                what: format!("socket domain {domain}{}", domain_name(domain)),
                reason: "the sandbox only lets socket() create unix, inet and inet6 sockets"
                    .to_owned(),
            }),
        }
    }
    Learned {
        profile: ProfileDef {
            name: obs.name.to_owned(),
            description: format!("learned from one run of `{command}`"),
            groups,
            socket_families: families,
            socket_refused: Vec::new(),
            learned_from: Some(format!("{command} on {}", obs.date)),
            source: None,
        },
        refused,
    }
}

fn family(domain: i32) -> Option<&'static str> {
    match domain {
        1 => Some("unix"),
        2 => Some("inet"),
        10 => Some("inet6"),
        _ => None,
    }
}

fn domain_name(domain: i32) -> &'static str {
    match domain {
        3 => " (AF_AX25)",
        4 => " (AF_IPX)",
        5 => " (AF_APPLETALK)",
        9 => " (AF_X25)",
        16 => " (AF_NETLINK)",
        17 => " (AF_PACKET)",
        31 => " (AF_BLUETOOTH)",
        38 => " (AF_ALG)",
        40 => " (AF_VSOCK)",
        44 => " (AF_XDP)",
        _ => "",
    }
}

/// The command as a person would type it: words with shell-special
/// characters are single-quoted.
pub fn display_command(argv: &[String]) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_-./=:@%+,".contains(c);
    argv.iter()
        .map(|a| {
            if !a.is_empty() && a.chars().all(plain) {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(seen: &[&'static str], domains: &[i32]) -> Learned {
        let syscalls: BTreeSet<&str> = seen.iter().copied().collect();
        let socket_domains: BTreeSet<i32> = domains.iter().copied().collect();
        let command = ["/bin/x".to_owned(), "it's".to_owned()];
        let obs = Observation {
            name: "x",
            command: &command,
            date: "2025-01-31",
            syscalls: &syscalls,
            socket_domains: &socket_domains,
        };
        learn(&obs, &[("ptrace", "inspects other processes")])
    }

    #[test]
    fn only_what_was_seen_plus_floor_and_loader() {
        let l = run(
            &["read", "brk", "getuid", "getdents64", "mlock", "uname"],
            &[],
        );
        let names: Vec<&str> = l.profile.groups.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["loader", "identity", "fs_read", "observed"]);
        assert_eq!(l.profile.groups[1].syscalls, ["getuid", "uname"]);
        assert_eq!(l.profile.groups[1].reason, IDENTITY.reason);
        assert_eq!(l.profile.groups[3].syscalls, ["mlock"]);
        assert_eq!(
            l.profile.groups[3].reason,
            "observed while learning from `/bin/x 'it'\\''s'`; review before use"
        );
        let expected: BTreeSet<&str> = FLOOR
            .syscalls
            .iter()
            .chain(LOADER.syscalls)
            .copied()
            .chain(["getuid", "getdents64", "mlock", "uname"])
            .collect();
        assert_eq!(l.profile.syscalls(), expected);
        assert_eq!(
            l.profile.learned_from.as_deref(),
            Some("/bin/x 'it'\\''s' on 2025-01-31")
        );
        assert!(l.refused.is_empty());
    }

    #[test]
    fn a_syscall_in_two_groups_is_listed_once() {
        let l = run(&["clone3", "recvfrom"], &[]);
        let all: Vec<&String> = l.profile.groups.iter().flat_map(|g| &g.syscalls).collect();
        assert_eq!(all.iter().filter(|s| **s == "clone3").count(), 1);
        assert_eq!(all.iter().filter(|s| **s == "recvfrom").count(), 1);
    }

    #[test]
    fn hard_blocked_calls_and_domains_are_refused() {
        let l = run(&["ptrace", "socket"], &[1, 10, 16]);
        assert!(!l.profile.syscalls().contains("ptrace"));
        assert_eq!(l.profile.socket_families, ["unix", "inet6"]);
        let what: Vec<&str> = l.refused.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(what, ["syscall `ptrace`", "socket domain 16 (AF_NETLINK)"]);
    }
}
