//! User profiles as files: `<home>/profiles/NAME.toml`, reviewed data in the
//! same shape as the built-ins.
//!
//! ```toml
//! name = "ls-la"
//! description = "learned from one run of `/bin/ls -la`"
//! learned_from = "/bin/ls -la on 2025-01-31"
//! socket_families = ["unix"]
//!
//! [[socket_refused]]            # optional: fail socket() instead of a kill
//! family = "netlink"
//! reason = "lists interfaces at start-up and copes with a failure"
//!
//! [[group]]
//! name = "fs_read"
//! reason = "listing directories …"
//! syscalls = ["getdents64", "ioctl"]
//! ```
//!
//! The floor is implied, and the loader group is added when the file lacks
//! it: every profile has both. Socket families are names ([`SocketFamily`]:
//! `unix`, `inet`, `inet6`, `netlink`, `packet`; `AF_INET6` is read as
//! `inet6`), never numbers. Parsing is strict (unknown keys, empty reasons,
//! unknown or misplaced socket families and a `name` that is not the file's
//! stem are errors), and every error names the file, line and column, and
//! the key for a socket family. Which syscall names exist is not known
//! here: the caller passes a check.

use std::path::Path;

use autonomic_core::config::Location;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{GroupDef, ProfileDef, SocketFamily, LOADER};

/// A user profile file that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{at}: {message}")]
pub struct ProfileFileError {
    /// Where (file, line, column).
    pub at: Location,
    /// What is wrong.
    pub message: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileRepr {
    name: Spanned<String>,
    description: Spanned<String>,
    #[serde(default)]
    learned_from: Option<String>,
    #[serde(default)]
    socket_families: Vec<Spanned<toml::Value>>,
    #[serde(default)]
    socket_refused: Vec<RefusedRepr>,
    #[serde(default, rename = "group")]
    groups: Vec<GroupRepr>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RefusedRepr {
    family: Spanned<toml::Value>,
    reason: Spanned<String>,
}

#[derive(Serialize)]
struct RefusedOut<'a> {
    family: SocketFamily,
    reason: &'a str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupRepr {
    name: Spanned<String>,
    reason: Spanned<String>,
    syscalls: Spanned<Vec<Spanned<String>>>,
}

#[derive(Serialize)]
struct FileOut<'a> {
    name: &'a str,
    description: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    learned_from: Option<&'a str>,
    socket_families: &'a [SocketFamily],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    socket_refused: Vec<RefusedOut<'a>>,
    #[serde(rename = "group")]
    groups: &'a [GroupDef],
}

/// Whether `name` can name a profile (and a file): 1 to 64 ASCII letters,
/// digits, `-`, `_` or `.`, starting with a letter or digit.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if name.is_empty() || name.len() > 64 {
        return Err("a profile name has 1 to 64 characters".into());
    }
    if !name.starts_with(|c: char| c.is_ascii_alphanumeric()) || !name.chars().all(ok_char) {
        return Err(format!(
            "`{}` is not a profile name: use letters, digits, `-`, `_` and `.`, starting with a letter or digit",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// Parses a user profile read from `path`. `check_syscall` says why a name
/// may not be listed (unknown to the syscall table, or hard-blocked).
pub fn parse_user_profile(
    text: &str,
    path: &Path,
    check_syscall: &dyn Fn(&str) -> Result<(), String>,
) -> Result<ProfileDef, ProfileFileError> {
    let err = |offset: usize, message: String| ProfileFileError {
        at: Location::at(path, text, offset),
        message,
    };
    let file: FileRepr = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        err(offset, e.message().trim().to_owned())
    })?;
    let name = file.name.get_ref();
    check_name(name).map_err(|m| err(file.name.span().start, m))?;
    let stem = path.file_stem().and_then(|s| s.to_str());
    if stem.is_some_and(|stem| stem != name) {
        return Err(err(
            file.name.span().start,
            format!(
                "the profile is named `{name}` but the file is `{}`: a profile NAME lives in NAME.toml",
                path.file_name()
                    .map_or(String::new(), |f| f.to_string_lossy().into_owned())
            ),
        ));
    }
    if file.description.get_ref().trim().is_empty() {
        return Err(err(
            file.description.span().start,
            "`description` must say what the profile is for".into(),
        ));
    }
    let mut families = Vec::new();
    for f in &file.socket_families {
        let family = socket_family(f, "socket_families").map_err(|m| err(f.span().start, m))?;
        if !SocketFamily::CREATABLE.contains(&family) {
            return Err(err(
                f.span().start,
                format!(
                    "`socket_families`: a task never creates `{family}` sockets (allowed: {}); \
                     [[socket_refused]] makes socket() fail instead of killing the task",
                    SocketFamily::list(SocketFamily::CREATABLE)
                ),
            ));
        }
        families.push(family);
    }
    let mut refused = Vec::new();
    for r in file.socket_refused {
        let at = r.family.span().start;
        let family = socket_family(&r.family, "socket_refused.family").map_err(|m| err(at, m))?;
        if !SocketFamily::REFUSABLE.contains(&family) {
            return Err(err(
                at,
                format!(
                    "`socket_refused.family`: socket family `{family}` cannot be refused (refusable: {})",
                    SocketFamily::list(SocketFamily::REFUSABLE)
                ),
            ));
        }
        if r.reason.get_ref().trim().is_empty() {
            return Err(err(
                r.reason.span().start,
                format!("refusing `{family}` needs a reason"),
            ));
        }
        refused.push((family, r.reason.into_inner()));
    }
    let mut groups = Vec::new();
    for g in file.groups {
        if g.name.get_ref().trim().is_empty() {
            return Err(err(g.name.span().start, "a group needs a name".into()));
        }
        if g.reason.get_ref().trim().is_empty() {
            return Err(err(
                g.reason.span().start,
                format!(
                    "group `{}` needs a reason: why are these syscalls needed?",
                    g.name.get_ref()
                ),
            ));
        }
        if g.syscalls.get_ref().is_empty() {
            return Err(err(
                g.syscalls.span().start,
                format!("group `{}` lists no syscalls", g.name.get_ref()),
            ));
        }
        let mut syscalls = Vec::new();
        for s in g.syscalls.into_inner() {
            check_syscall(s.get_ref())
                .map_err(|m| err(s.span().start, format!("syscall `{}`: {m}", s.get_ref())))?;
            syscalls.push(s.into_inner());
        }
        groups.push(GroupDef {
            name: g.name.into_inner(),
            reason: g.reason.into_inner(),
            syscalls,
        });
    }
    if !groups.iter().any(|g| g.name == LOADER.name) {
        groups.insert(0, GroupDef::from(&LOADER));
    }
    Ok(ProfileDef {
        name: file.name.into_inner(),
        description: file.description.into_inner(),
        groups,
        socket_families: families,
        socket_refused: refused,
        learned_from: file.learned_from,
        source: Some(path.to_path_buf()),
    })
}

/// The family `value` (of `key`) names, or why it names none.
fn socket_family(value: &Spanned<toml::Value>, key: &str) -> Result<SocketFamily, String> {
    let known = SocketFamily::list(&SocketFamily::ALL);
    match value.get_ref() {
        toml::Value::String(name) => SocketFamily::parse(name).ok_or_else(|| {
            format!(
                "`{key}`: unknown socket family `{name}` (known: {known}; or their `AF_*` names)"
            )
        }),
        toml::Value::Integer(n) => Err(format!(
            "`{key}`: `{n}`: socket families are named ({known}), not numbered"
        )),
        other => Err(format!(
            "`{key}`: expected a socket family name ({known}), found {}",
            other.type_str()
        )),
    }
}

/// The file text for `profile`: a header saying what the file is, then the
/// profile, one syscall per line so a review reads (and diffs) well.
pub fn to_toml(profile: &ProfileDef) -> String {
    let out = FileOut {
        name: &profile.name,
        description: &profile.description,
        learned_from: profile.learned_from.as_deref(),
        socket_families: &profile.socket_families,
        socket_refused: profile
            .socket_refused
            .iter()
            .map(|(family, reason)| RefusedOut {
                family: *family,
                reason,
            })
            .collect(),
        groups: &profile.groups,
    };
    // Strings, string lists and tables of them always serialize; should that
    // ever change, the file is left without a body and fails to parse.
    let body = toml::to_string_pretty(&out).unwrap_or_default();
    format!(
        "# A syscall profile for autonomic's `seccomp` sandbox level (reviewed data:\n\
         # every group says why its syscalls are allowed). The floor (read, write,\n\
         # openat, mmap, munmap, exit_group, clone, execve) and the loader group are\n\
         # part of every profile; agent-muscle's hard block list always wins.\n\
         # See `agent-immune profile show {}`.\n\n{body}",
        profile.name
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> Result<(), String> {
        Ok(())
    }

    fn parse(text: &str) -> Result<ProfileDef, ProfileFileError> {
        parse_user_profile(text, Path::new("/p/demo.toml"), &any)
    }

    const GOOD: &str = "name = \"demo\"\ndescription = \"d\"\nsocket_families = [\"unix\"]\n\n[[group]]\nname = \"x\"\nreason = \"r\"\nsyscalls = [\"getuid\"]\n";

    #[test]
    fn a_good_file_gets_the_loader_group() {
        let p = parse(GOOD).unwrap();
        assert_eq!(p.groups[0].name, "loader");
        assert_eq!(p.groups[1].syscalls, ["getuid"]);
        assert!(p.syscalls().contains("getuid") && p.syscalls().contains("brk"));
        assert_eq!(p.source.as_deref(), Some(Path::new("/p/demo.toml")));
    }

    #[test]
    fn written_files_read_back() {
        let mut p = parse(GOOD).unwrap();
        p.learned_from = Some("sh -c 'echo \"hi\\\\\"' on 2025-01-31".into());
        p.socket_refused = vec![(SocketFamily::Netlink, "probes interfaces".into())];
        let text = to_toml(&p);
        assert!(text.starts_with("# A syscall profile"), "{text}");
        assert_eq!(parse(&text).unwrap(), p);
    }

    #[test]
    fn refusals_need_a_known_family_and_a_reason() {
        let with = |block: &str| parse(&format!("{GOOD}\n{block}"));
        let ok = with("[[socket_refused]]\nfamily = \"netlink\"\nreason = \"why\"\n").unwrap();
        assert_eq!(
            ok.socket_refused,
            [(SocketFamily::Netlink, "why".to_owned())]
        );
        let e = with("[[socket_refused]]\nfamily = \"unix\"\nreason = \"why\"\n").unwrap_err();
        assert!(e.message.contains("cannot be refused"), "{e}");
        let e = with("[[socket_refused]]\nfamily = \"bluetooth\"\nreason = \"why\"\n").unwrap_err();
        assert!(
            e.message
                .starts_with("`socket_refused.family`: unknown socket family `bluetooth`"),
            "{e}"
        );
        assert_eq!(e.at.path, Path::new("/p/demo.toml"), "{e}");
        let e = with("[[socket_refused]]\nfamily = \"netlink\"\nreason = \" \"\n").unwrap_err();
        assert!(e.message.contains("needs a reason"), "{e}");
    }

    #[test]
    fn errors_name_file_line_and_column() {
        let e = parse(
            "name = \"demo\"\ndescription = \"d\"\n[[group]]\nname = \"x\"\nreason = \"r\"\nsyscalls = [\"a\",\n",
        )
        .unwrap_err();
        assert_eq!(
            (e.at.line, e.at.path.as_path()),
            (6, Path::new("/p/demo.toml")),
            "{e}"
        );
        let e = parse(&GOOD.replace("socket_families", "socket_familys")).unwrap_err();
        assert_eq!(e.at.line, 3, "{e}");
        assert!(e.message.contains("socket_familys"), "{e}");
        let e = parse(&GOOD.replace("[\"unix\"]", "[\"netlink\"]")).unwrap_err();
        assert_eq!((e.at.line, e.at.column), (3, 20), "{e}");
        let e = parse(&GOOD.replace("reason = \"r\"", "reason = \" \"")).unwrap_err();
        assert_eq!(e.at.line, 7, "{e}");
        let e = parse(&GOOD.replace("name = \"demo\"", "name = \"other\"")).unwrap_err();
        assert!(e.message.contains("demo.toml"), "{e}");
    }

    #[test]
    fn families_are_names_and_errors_name_file_and_key() {
        let p = parse(&GOOD.replace("[\"unix\"]", "[\"AF_UNIX\", \"af_inet6\"]")).unwrap();
        assert_eq!(p.socket_families, [SocketFamily::Unix, SocketFamily::Inet6]);
        assert!(
            to_toml(&p).contains("socket_families = [\n    \"unix\",\n    \"inet6\",\n]"),
            "{}",
            to_toml(&p)
        );
        for (bad, why) in [
            ("\"bluetooth\"", "unknown socket family `bluetooth`"),
            ("\"1\"", "unknown socket family `1`"),
            ("1", "`1`: socket families are named"),
            ("true", "expected a socket family name"),
        ] {
            let e = parse(&GOOD.replace("\"unix\"", bad)).unwrap_err();
            assert_eq!(
                (e.at.path.as_path(), e.at.line, e.at.column),
                (Path::new("/p/demo.toml"), 3, 20),
                "{e}"
            );
            assert!(
                e.message.starts_with(&format!("`socket_families`: {why}")),
                "{e}"
            );
        }
        let e = parse(&GOOD.replace("[\"unix\"]", "[\"netlink\"]")).unwrap_err();
        assert!(
            e.message
                .contains("`socket_families`: a task never creates `netlink` sockets"),
            "{e}"
        );
    }

    #[test]
    fn the_syscall_check_names_the_syscall_and_its_line() {
        let check = |s: &str| {
            if s == "getuid" {
                Err("not in the table".to_owned())
            } else {
                Ok(())
            }
        };
        let e = parse_user_profile(GOOD, Path::new("/p/demo.toml"), &check).unwrap_err();
        assert_eq!(
            e.to_string(),
            "/p/demo.toml:8:13: syscall `getuid`: not in the table"
        );
    }

    #[test]
    fn names_are_safe_file_names() {
        assert!(check_name("ls-la_2.v1").is_ok());
        for bad in ["", "../x", "a/b", ".hidden", "-x", "a b", &"x".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }
}
