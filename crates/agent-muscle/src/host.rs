//! What this host lets the sandbox levels use, and how to enable what is
//! missing: user namespaces (and the sysctls and AppArmor policy that
//! restrict them — the most common reason a sandbox fails on Ubuntu 24.04
//! or inside an unprivileged container), seccomp user notification,
//! Landlock, cgroups. Read from `/proc` and `/sys` only; nothing is changed.
//! `autonomic muscle doctor` prints it, and a jail set-up failure names the
//! missing feature with [`explain_setup_failure`].

use std::path::Path;

use serde::Serialize;

/// One feature: whether it is usable, what was seen, and the command that
/// enables it when it is not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Short name (`user namespaces`).
    pub name: &'static str,
    /// Usable.
    pub ok: bool,
    /// What was read, in words.
    pub detail: String,
    /// What to run to enable it, when it is not usable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

/// Reads a `/proc` or `/sys` file (trimmed); `None` when it is not there.
pub type Reader<'a> = &'a dyn Fn(&str) -> Option<String>;

fn read_host(path: &str) -> Option<String> {
    fs_err::read_to_string(Path::new(path))
        .ok()
        .map(|s| s.trim().to_owned())
}

/// Whether this process runs as root (effective uid 0): its tasks then run
/// as [`crate::jail::TASK_HOST_ID`].
pub fn caller_is_root() -> bool {
    // SAFETY: geteuid takes no arguments and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// Every check, for a caller that is root (`root`) or not.
pub fn checks(root: bool) -> Vec<Check> {
    checks_with(&read_host, root)
}

/// [`checks`] over `read` (tests pass fake `/proc` contents).
pub fn checks_with(read: Reader<'_>, root: bool) -> Vec<Check> {
    vec![
        user_namespaces(read, root),
        seccomp(read),
        landlock(read),
        cgroups(read),
    ]
}

fn user_namespaces(read: Reader<'_>, root: bool) -> Check {
    let name = "user namespaces";
    let fail = |detail: String, fix: &str| Check {
        name,
        ok: false,
        detail,
        fix: Some(fix.to_owned()),
    };
    if read("/proc/sys/user/max_user_namespaces").as_deref() == Some("0") {
        return fail(
            "user.max_user_namespaces is 0: no user namespace can be created".into(),
            "sudo sysctl -w user.max_user_namespaces=15000 (and set it in /etc/sysctl.d/ to keep it)",
        );
    }
    if !root {
        if read("/proc/sys/kernel/unprivileged_userns_clone").as_deref() == Some("0") {
            return fail(
                "kernel.unprivileged_userns_clone is 0: only root may create user namespaces"
                    .into(),
                "sudo sysctl -w kernel.unprivileged_userns_clone=1",
            );
        }
        if read("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").as_deref() == Some("1") {
            return fail(
                "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1, Ubuntu 23.10+): the namespace is created without capabilities and mounting fails".into(),
                "give muscle-jail an AppArmor profile with `userns,` (/etc/apparmor.d/autonomic-muscle-jail: `abi <abi/4.0>, include <tunables/global> profile muscle-jail /path/to/muscle-jail flags=(unconfined) { userns, }`, then `sudo apparmor_parser -r` it), or `sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`",
            );
        }
    }
    Check {
        name,
        ok: true,
        detail: if root {
            "available (root)".into()
        } else {
            "available to unprivileged users".into()
        },
        fix: None,
    }
}

fn seccomp(read: Reader<'_>) -> Check {
    let actions = read("/proc/sys/kernel/seccomp/actions_avail").unwrap_or_default();
    let has = |a: &str| actions.split_whitespace().any(|x| x == a);
    let ok = has("kill_process") && has("user_notif") && has("errno");
    Check {
        name: "seccomp",
        ok,
        detail: if actions.is_empty() {
            "no seccomp filter support (/proc/sys/kernel/seccomp/actions_avail missing)".into()
        } else {
            format!("filter actions: {actions}")
        },
        fix: (!ok).then(|| {
            "a kernel built with CONFIG_SECCOMP_FILTER, Linux 5.0 or newer (user notification)"
                .into()
        }),
    }
}

fn landlock(read: Reader<'_>) -> Check {
    let lsm = read("/sys/kernel/security/lsm").unwrap_or_default();
    let abi = crate::jail::landlock_abi();
    let ok = abi.is_some();
    Check {
        name: "landlock",
        ok,
        detail: match abi {
            Some(v) => format!("ABI {v}"),
            None if lsm.is_empty() => "not available".into(),
            None => format!("not enabled (active security modules: {lsm})"),
        },
        fix: (!ok).then(|| {
            "boot with `lsm=landlock,…` added to the kernel command line (Linux 5.13+); without it writes are limited by the read-only mount view only".into()
        }),
    }
}

fn cgroups(read: Reader<'_>) -> Check {
    let v2 = read("/sys/fs/cgroup/cgroup.controllers").unwrap_or_default();
    let v2_ok = ["memory", "pids"]
        .iter()
        .all(|c| v2.split_whitespace().any(|x| x == *c));
    let v1_ok =
        Path::new("/sys/fs/cgroup/memory").is_dir() && Path::new("/sys/fs/cgroup/pids").is_dir();
    let ok = v2_ok || v1_ok;
    Check {
        name: "cgroups",
        ok,
        detail: if v2_ok {
            "cgroup v2 with the memory and pids controllers".into()
        } else if v1_ok {
            "cgroup v1 memory and pids hierarchies".into()
        } else {
            "no memory/pids controller: limits fall back to rlimits".into()
        },
        fix: (!ok).then(|| {
            "run as root or inside a delegated cgroup (systemd-run --user --scope -p Delegate=yes autonomic …)".into()
        }),
    }
}

/// A jail set-up failure, explained: which feature is missing and the
/// command that enables it, when the failed step points at one.
pub fn explain_setup_failure(step: &str, errno: i32, root: bool) -> Option<String> {
    let namespaces = step.starts_with("unshare")
        || step.contains("uid_map")
        || step.contains("gid_map")
        || step.contains("setgroups");
    let mounting =
        step.starts_with("mount") || step.contains("pivot_root") || step.contains("mount flags");
    if namespaces || (mounting && errno == libc::EPERM) {
        return user_namespaces(&read_host, root).fix.map(|fix| {
            format!("user namespaces are restricted on this host; to enable them: {fix}")
        });
    }
    if step.contains("idmap") {
        return Some("the workspace's file system has no idmapped-mount support (ext4, xfs, btrfs and tmpfs have it on Linux 6.3+); run autonomic as a regular user, or put the workspace on such a file system".into());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake(values: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |path: &str| {
            values
                .iter()
                .find(|(p, _)| *p == path)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn ubuntu_apparmor_restriction_is_named_with_its_fix() {
        let read = fake(&[(
            "/proc/sys/kernel/apparmor_restrict_unprivileged_userns",
            "1",
        )]);
        let c = user_namespaces(&read, false);
        assert!(!c.ok);
        assert!(c.detail.contains("AppArmor"), "{c:?}");
        assert!(c.fix.unwrap().contains("userns,"));
        // Root is not restricted by it.
        assert!(user_namespaces(&read, true).ok);
    }

    #[test]
    fn disabled_namespaces_are_named_with_their_sysctl() {
        let read = fake(&[("/proc/sys/user/max_user_namespaces", "0")]);
        let c = user_namespaces(&read, true);
        assert!(!c.ok && c.fix.unwrap().contains("user.max_user_namespaces"));
        let read = fake(&[("/proc/sys/kernel/unprivileged_userns_clone", "0")]);
        let c = user_namespaces(&read, false);
        assert!(!c.ok && c.fix.unwrap().contains("unprivileged_userns_clone=1"));
    }

    #[test]
    fn seccomp_needs_user_notification() {
        let old = fake(&[(
            "/proc/sys/kernel/seccomp/actions_avail",
            "kill_process kill_thread trap errno trace log allow",
        )]);
        assert!(!seccomp(&old).ok);
        let new = fake(&[(
            "/proc/sys/kernel/seccomp/actions_avail",
            "kill_process kill_thread trap errno user_notif trace log allow",
        )]);
        assert!(seccomp(&new).ok);
    }

    #[test]
    fn this_host_can_run_the_seccomp_level() {
        // The test machines run the whole seccomp-level suite: every check
        // that level needs must pass here.
        // SAFETY: geteuid takes no arguments and cannot fail.
        let root = unsafe { libc::geteuid() } == 0;
        for c in checks(root) {
            if c.name != "cgroups" {
                assert!(c.ok, "{c:?}");
            }
        }
    }
}
