//! `resolve`: `--profile` wins, shell strings compose the profiles of what
//! they run, unknown or dynamic programs bring in `developer`, a network
//! grant adds the inet families; every policy compiles.

use std::collections::BTreeSet;

use agent_immune::profile::{find, SocketFamily, NET_CLIENT};
use agent_muscle::bpf::socket_family_number;

use crate::Home;

/// The `AF_*` number of a family, from agent-muscle's table.
fn af(family: SocketFamily) -> i32 {
    socket_family_number(family.name()).unwrap()
}

fn allowed(r: &agent_spine::profiles::Resolved) -> BTreeSet<&str> {
    r.policy.allow.iter().map(String::as_str).collect()
}

fn builtin(name: &str) -> BTreeSet<&'static str> {
    find(name).unwrap().syscalls()
}

fn groups(r: &agent_spine::profiles::Resolved) -> Vec<&str> {
    r.profile.groups.iter().map(|g| g.name.as_str()).collect()
}

#[test]
fn a_shell_string_of_cargo_commands_gets_cargo_and_shell_utils() {
    let home = Home::new();
    let r = home.resolve(&["bash", "-c", "cargo build && cargo test"], None, false);
    let have = allowed(&r);
    assert!(have.is_superset(&builtin("cargo")), "{}", r.reason);
    assert!(have.is_superset(&builtin("shell-utils")), "{}", r.reason);
    assert!(
        r.reason.contains("runs cargo") && r.reason.contains("composed cargo + shell-utils"),
        "{}",
        r.reason
    );
    assert!(
        !groups(&r).contains(&"credentials"),
        "no developer: {}",
        r.reason
    );
}

#[test]
fn a_program_without_a_profile_brings_in_developer() {
    let home = Home::new();
    let r = home.resolve(&["bash", "-c", "ffmpeg -i a b"], None, false);
    assert!(
        allowed(&r).is_superset(&builtin("developer")),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("developer") && r.reason.contains("`ffmpeg` matches no task profile"),
        "{}",
        r.reason
    );
}

#[test]
fn a_dynamic_command_name_brings_in_developer() {
    let home = Home::new();
    let r = home.resolve(&["sh", "-c", "$X foo"], None, false);
    assert!(
        allowed(&r).is_superset(&builtin("developer")),
        "{}",
        r.reason
    );
    assert!(
        r.reason.contains("`$X` is only known when it runs"),
        "{}",
        r.reason
    );
    for script in ["sh -c \"$CMD\"", "bash build.sh", ". ./env.sh", "eval $X"] {
        let r = home.resolve(&["bash", "-c", script], None, false);
        assert!(r.reason.contains("developer"), "{script}: {}", r.reason);
    }
    // A string mouth cannot parse: what it runs is unknown.
    let r = home.resolve(&["bash", "-c", "cargo build && ("], None, false);
    assert!(
        r.reason.contains("developer: what it runs is unknown"),
        "{}",
        r.reason
    );
}

#[test]
fn nested_strings_wrappers_and_env_are_followed() {
    let home = Home::new();
    let r = home.resolve(
        &[
            "env",
            "A=1",
            "bash",
            "-lc",
            "timeout 60 sh -c 'git commit -qm x' | xargs -n1 python3 -c 1",
        ],
        None,
        false,
    );
    for p in ["git-write", "python", "shell-utils"] {
        assert!(r.reason.contains(p), "{p}: {}", r.reason);
    }
    // `timeout` itself has no built-in profile.
    assert!(r.reason.contains("developer"), "{}", r.reason);

    let r = home.resolve(
        &["bash", "-c", "git log -1 && ls | wc -l && cd src"],
        None,
        false,
    );
    assert!(
        r.reason.ends_with("composed git-read + shell-utils"),
        "{}",
        r.reason
    );
}

#[test]
fn the_requested_profile_wins() {
    let home = Home::new();
    let r = home.resolve(&["bash", "-c", "ffmpeg -i a b"], Some("base"), false);
    assert_eq!(r.profile.name, "base");
    assert_eq!(allowed(&r), builtin("base"));
    assert_eq!(r.reason, "--profile base");
    let argv = vec!["true".to_owned()];
    let e = agent_spine::profiles::resolve(&home.paths, &argv, Some("nope"), false).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("unknown profile `nope` (known: base, "),
        "{e}"
    );
}

#[test]
fn a_network_grant_adds_the_inet_families_and_client_calls() {
    let home = Home::new();
    let without = home.resolve(&["bash", "-c", "ls"], None, false);
    assert_eq!(without.policy.socket_domains, [af(SocketFamily::Unix)]);
    let with = home.resolve(
        &["bash", "-c", "curl -s http://127.0.0.1:8000/ | grep ok"],
        None,
        true,
    );
    for d in [SocketFamily::Unix, SocketFamily::Inet, SocketFamily::Inet6].map(af) {
        assert!(
            with.policy.socket_domains.contains(&d),
            "{:?}",
            with.policy.socket_domains
        );
    }
    let have = allowed(&with);
    for s in NET_CLIENT.syscalls {
        assert!(have.contains(s), "{s}");
    }
    assert!(!have.contains("bind") && !have.contains("listen"));
    assert!(with.reason.contains("network grant"), "{}", with.reason);
    // Also a plain command and a requested profile.
    let r = home.resolve(&["git", "push"], None, true);
    assert!(r.policy.socket_domains.contains(&af(SocketFamily::Inet6)));
    let r = home.resolve(&["python3", "x.py"], Some("python"), true);
    assert!(r.policy.socket_domains.contains(&af(SocketFamily::Inet)));
}

#[test]
fn netlink_stays_refused_in_a_composition() {
    let home = Home::new();
    let r = home.resolve(&["bash", "-c", "npm test && ffmpeg -version"], None, false);
    assert_eq!(r.policy.refused_domains, [af(SocketFamily::Netlink)]);
    assert!(!r.policy.socket_domains.contains(&af(SocketFamily::Netlink)));
}

#[test]
fn a_plain_command_keeps_its_own_profile() {
    let home = Home::new();
    let r = home.resolve(&["cargo", "test"], None, false);
    assert_eq!(r.profile.name, "cargo");
    assert_eq!(allowed(&r), builtin("cargo"));
    let r = home.resolve(&["make", "-j2"], None, false);
    assert_eq!(r.profile.name, "developer");
    let r = home.resolve(&["bash", "script.sh"], None, false);
    assert_eq!(
        r.profile.name, "shell-utils",
        "not a shell string: {}",
        r.reason
    );
}

#[test]
fn every_built_in_profile_compiles_with_and_without_network() {
    let home = Home::new();
    for p in agent_immune::profile::PROFILES {
        for net in [false, true] {
            home.resolve(&["true"], Some(p.name), net);
        }
    }
}

#[test]
fn every_family_a_profile_names_has_an_af_number() {
    let mut numbers: Vec<i32> = SocketFamily::ALL.iter().map(|f| af(*f)).collect();
    numbers.sort_unstable();
    numbers.dedup();
    assert_eq!(numbers.len(), SocketFamily::ALL.len());
}

#[test]
fn learning_names_the_socket_domains_with_the_sandboxs_table() {
    use agent_immune::profile::{learn, Observation, SandboxTables};
    use std::collections::BTreeSet;

    let syscalls: BTreeSet<&str> = ["socket"].into();
    let domains: BTreeSet<i32> = [
        SocketFamily::Unix,
        SocketFamily::Inet,
        SocketFamily::Netlink,
    ]
    .map(af)
    .into();
    let command = ["x".to_owned()];
    let learned = learn(
        &Observation {
            name: "x",
            command: &command,
            date: "2025-01-31",
            syscalls: &syscalls,
            socket_domains: &domains,
        },
        &SandboxTables {
            hard_blocked: agent_muscle::bpf::NEVER_ALLOWED,
            socket_families: agent_muscle::bpf::SOCKET_FAMILIES,
        },
    );
    assert_eq!(
        learned.profile.socket_families,
        [SocketFamily::Unix, SocketFamily::Inet]
    );
    let refused: Vec<&str> = learned.refused.iter().map(|r| r.what.as_str()).collect();
    assert_eq!(refused, ["socket domain 16 (AF_NETLINK)"]);
}
