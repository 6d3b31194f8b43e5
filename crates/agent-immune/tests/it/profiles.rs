//! Syscall profiles name only real x86_64 syscalls (checked against the
//! kernel's own table from linux-libc-dev).

use agent_immune::profile::{for_command, PROFILES};

#[test]
fn every_syscall_in_every_profile_exists_on_x86_64() {
    let header = std::path::Path::new("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
    let text = fs_err::read_to_string(header)
        .unwrap_or_else(|e| panic!("{e}: install the Debian package linux-libc-dev"));
    let known: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("#define __NR_"))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(
        known.len() > 300,
        "unexpected header: {} syscalls",
        known.len()
    );
    let mut unknown = Vec::new();
    for p in PROFILES {
        for s in p.syscalls() {
            if !known.contains(s) {
                unknown.push(format!("{}: {s}", p.name));
            }
        }
    }
    assert!(unknown.is_empty(), "not x86_64 syscalls: {unknown:?}");
}

#[test]
fn unmatched_commands_get_the_developer_profile_and_say_so() {
    let (p, why) = for_command(&["terraform".to_string(), "plan".to_string()]);
    assert_eq!(p.name, "developer");
    assert!(why.contains("matches no task profile"), "{why}");
}
