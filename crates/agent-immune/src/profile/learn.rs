//! Learning a profile from the syscalls one run really made: policy, pure.
//!
//! The result is *minimal*: the floor and the loader group (every profile
//! has them) plus exactly the syscalls seen. For review, seen syscalls are
//! filed under the reviewed group that covers them (with that group's
//! reason, but only the syscalls seen); the rest go in an `observed` group
//! whose reason says to review it. A hard-blocked syscall and a socket
//! domain the sandbox never allows are left out and reported, since the
//! sandbox would kill them whatever the profile says. The block list and
//! the `AF_*` numbers of the families are agent-muscle's, passed in as data
//! ([`SandboxTables`]): this crate names families, it does not number them.

use std::collections::BTreeSet;

use super::{
    GroupDef, ProfileDef, SocketFamily, SyscallGroup, EVENT_LOOP, FLOOR, FS_READ, FS_WRITE,
    IDENTITY, LOADER, NSS_UNIX, PROCESSES, SIGNALS, THREADS, TIME,
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

/// What the sandbox knows that learning needs, as data (agent-muscle's
/// tables).
#[derive(Debug, Clone, Copy)]
pub struct SandboxTables<'a> {
    /// `(syscall, reason)` pairs no profile may allow.
    pub hard_blocked: &'a [(&'a str, &'a str)],
    /// `(name, AF_* number)` of the socket families it knows by name.
    pub socket_families: &'a [(&'a str, i32)],
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

/// Builds the minimal profile for `obs`.
pub fn learn(obs: &Observation<'_>, sandbox: &SandboxTables<'_>) -> Learned {
    let command = display_command(obs.command);
    let mut refused = Vec::new();
    let mut left: BTreeSet<&str> = BTreeSet::new();
    for &s in obs.syscalls {
        match sandbox.hard_blocked.iter().find(|(n, _)| *n == s) {
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
        let name = sandbox
            .socket_families
            .iter()
            .find(|&&(_, d)| d == domain)
            .map(|&(name, _)| name);
        match name
            .and_then(SocketFamily::parse)
            .filter(|f| SocketFamily::CREATABLE.contains(f))
        {
            Some(f) => families.push(f),
            None => refused.push(Refused {
                what: match name {
                    Some(n) => format!("socket domain {domain} (AF_{})", n.to_ascii_uppercase()),
                    None => format!("socket domain {domain}"),
                },
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
        // As agent-muscle's tables would say, for the numbers used here.
        let sandbox = SandboxTables {
            hard_blocked: &[("ptrace", "inspects other processes")],
            socket_families: &[("unix", 1), ("inet6", 10), ("netlink", 16)],
        };
        learn(&obs, &sandbox)
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
        let l = run(&["ptrace", "socket"], &[1, 10, 16, 99]);
        assert!(!l.profile.syscalls().contains("ptrace"));
        assert_eq!(
            l.profile.socket_families,
            [SocketFamily::Unix, SocketFamily::Inet6]
        );
        let what: Vec<&str> = l.refused.iter().map(|r| r.what.as_str()).collect();
        assert_eq!(
            what,
            [
                "syscall `ptrace`",
                "socket domain 16 (AF_NETLINK)",
                "socket domain 99"
            ]
        );
        assert_eq!(
            l.refused[1].reason,
            "the sandbox only lets socket() create unix, inet and inet6 sockets"
        );
    }
}
