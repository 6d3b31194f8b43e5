//! Checking an [`ExecSpec`] and turning it into what the spawner needs: the
//! resolved program, the exact environment and the child's rlimits. No
//! process is started here.

use std::ffi::OsString;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::sys::ChildRlimits;
use super::{EnvPolicy, ExecError, ExecSpec, Limits};

/// The `PATH` of a scrubbed environment.
pub(super) const SCRUBBED_PATH: &str = "/usr/local/bin:/usr/bin:/bin";

/// A spec that passed every check.
#[derive(Debug)]
pub(super) struct Prepared<'a> {
    /// Absolute path of the program to exec.
    pub program: PathBuf,
    /// The argv as given (`argv[0]` is passed on unchanged).
    pub argv: &'a [String],
    /// The working directory.
    pub workspace: &'a Path,
    /// The complete environment of the task.
    pub env: Vec<(OsString, OsString)>,
    /// Bytes for stdin, if any.
    pub stdin: Option<&'a [u8]>,
    /// The limits as given.
    pub limits: &'a Limits,
    /// The rlimits to set in the child.
    pub rlimits: ChildRlimits,
}

/// The checks of [`prepare`] for a task that runs in a microVM: the program
/// is looked up inside the guest, so only the environment is built here.
pub(super) fn prepare_guest(spec: &ExecSpec) -> Result<Vec<(OsString, OsString)>, ExecError> {
    if spec.argv.first().is_none_or(String::is_empty) {
        return Err(ExecError::EmptyArgv);
    }
    if let Some(arg) = spec.argv.iter().find(|a| a.contains('\0')) {
        return Err(ExecError::InvalidInput {
            what: "argument",
            value: arg.escape_debug().to_string(),
            why: "it contains a NUL byte",
        });
    }
    check_limits(&spec.limits)?;
    if !std::fs::metadata(&spec.workspace).is_ok_and(|m| m.is_dir()) {
        return Err(ExecError::MissingWorkspace {
            path: spec.workspace.clone(),
        });
    }
    // The guest has its own file system: none of the host's PATH or HOME
    // means anything there.
    let base = Base {
        path: SCRUBBED_PATH.into(),
        home: Path::new(crate::vm::proto::GUEST_WORKSPACE).into(),
    };
    build_env(&spec.env, &base, std::env::vars_os())
}

pub(super) fn prepare(spec: &ExecSpec) -> Result<Prepared<'_>, ExecError> {
    let Some(program) = spec.argv.first() else {
        return Err(ExecError::EmptyArgv);
    };
    for arg in &spec.argv {
        if arg.contains('\0') {
            return Err(ExecError::InvalidInput {
                what: "argument",
                value: arg.escape_debug().to_string(),
                why: "it contains a NUL byte",
            });
        }
    }
    if program.is_empty() {
        return Err(ExecError::NotFound {
            program: String::new(),
            searched: "nowhere (the program name is empty)".to_owned(),
        });
    }
    let rlimits = check_limits(&spec.limits)?;
    let workspace = spec.workspace.as_path();
    if !std::fs::metadata(workspace).is_ok_and(|m| m.is_dir()) {
        return Err(ExecError::MissingWorkspace {
            path: spec.workspace.clone(),
        });
    }
    let env = build_env(&spec.env, &Base::host(workspace), std::env::vars_os())?;
    let path_var = env
        .iter()
        .find(|(k, _)| k == "PATH")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let program = resolve_program(program, workspace, &path_var)?;
    Ok(Prepared {
        program,
        argv: &spec.argv,
        workspace,
        env,
        stdin: spec.stdin.as_deref(),
        limits: &spec.limits,
        rlimits,
    })
}

fn check_limits(limits: &Limits) -> Result<ChildRlimits, ExecError> {
    let zero = |which| Err(ExecError::ZeroLimit { which });
    if limits.wall.is_zero() {
        return zero("wall");
    }
    if limits.cpu.is_some_and(|d| d.is_zero()) {
        return zero("cpu");
    }
    if limits.memory_bytes == Some(0) {
        return zero("memory");
    }
    if limits.pids == Some(0) {
        return zero("pids");
    }
    if limits.disk_bytes == Some(0) {
        return zero("disk");
    }
    if limits.tmp_bytes == 0 {
        return zero("tmp");
    }
    if limits.output_bytes == 0 {
        return zero("output");
    }
    Ok(ChildRlimits {
        cpu_seconds: limits.cpu.map(ceil_secs),
        address_space: limits.memory_bytes,
        nproc: limits.pids,
        file_size: limits.disk_bytes,
    })
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// `PATH` and `HOME` of the task before any pass-through.
pub(super) struct Base {
    pub(super) path: OsString,
    pub(super) home: PathBuf,
}

impl Base {
    /// On the host (levels `none` and `seccomp`): the caller's `PATH` (its
    /// absolute entries: toolchain shims under `~/.cargo/bin`, pyenv, nvm
    /// resolve as they do for the caller; a relative entry would resolve
    /// against the workspace, which the agent controls), and the caller's
    /// home path — at `seccomp` that path holds the task's private home.
    /// Without `$PATH`/`$HOME`: the scrubbed `PATH` and the workspace.
    pub(super) fn host(workspace: &Path) -> Base {
        let path = autonomic_core::env::path_var()
            .map(|p| {
                let dirs: Vec<PathBuf> = std::env::split_paths(&p)
                    .filter(|d| d.is_absolute())
                    .collect();
                std::env::join_paths(dirs).unwrap_or_else(|_| SCRUBBED_PATH.into())
            })
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| SCRUBBED_PATH.into());
        let home = autonomic_core::env::user_home()
            .filter(|h| h.is_absolute())
            .unwrap_or_else(|| workspace.to_path_buf());
        Base { path, home }
    }
}

/// The task's environment: the base (`PATH`, `HOME`, `LANG`, `TERM`), then
/// the names `policy` passes through from `parent` and the values it sets
/// (each replacing a base value of the same name).
fn build_env(
    policy: &EnvPolicy,
    base: &Base,
    parent: impl Iterator<Item = (OsString, OsString)>,
) -> Result<Vec<(OsString, OsString)>, ExecError> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), base.path.clone()),
        ("HOME".into(), base.home.as_os_str().to_owned()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ];
    let (names, values): (&[String], &[(String, String)]) = match policy {
        EnvPolicy::Scrubbed => return Ok(env),
        EnvPolicy::Allow(names) => (names, &[]),
        EnvPolicy::Set { pass, set } => (pass, set),
    };
    for name in names.iter().chain(values.iter().map(|(k, _)| k)) {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(ExecError::InvalidInput {
                what: "environment variable name",
                value: name.escape_debug().to_string(),
                why: "a name must be non-empty and contain neither `=` nor NUL",
            });
        }
    }
    if let Some((_, v)) = values.iter().find(|(_, v)| v.contains('\0')) {
        return Err(ExecError::InvalidInput {
            what: "environment variable value",
            value: v.escape_debug().to_string(),
            why: "it contains a NUL byte",
        });
    }
    let mut put = |key: OsString, value: OsString| match env.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => env.push((key, value)),
    };
    for (key, value) in parent {
        if names.iter().any(|n| key == n.as_str()) {
            put(key, value);
        }
    }
    for (key, value) in values {
        put(key.into(), value.into());
    }
    Ok(env)
}

/// Resolves `program` the way `execvp` would for the task, so a missing
/// program is an error that names it rather than a failed spawn.
fn resolve_program(
    program: &str,
    workspace: &Path,
    path_var: &OsString,
) -> Result<PathBuf, ExecError> {
    if program.contains('/') {
        let candidate = workspace.join(program);
        if is_executable_file(&candidate) {
            return Ok(candidate);
        }
        return Err(ExecError::NotFound {
            program: program.to_owned(),
            searched: format!("`{}`", candidate.display()),
        });
    }
    for dir in std::env::split_paths(path_var) {
        // An empty PATH entry means the current directory, i.e. the workspace.
        let dir = if dir.as_os_str().is_empty() {
            workspace.to_path_buf()
        } else {
            workspace.join(dir)
        };
        let candidate = dir.join(program);
        if is_executable_file(&candidate) {
            return Ok(candidate);
        }
    }
    Err(ExecError::NotFound {
        program: program.to_owned(),
        searched: format!("PATH={}", path_var.to_string_lossy()),
    })
}

fn is_executable_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Base {
        Base {
            path: "/opt/tc/bin:/usr/bin".into(),
            home: "/h".into(),
        }
    }

    #[test]
    fn scrubbed_env_is_exactly_four_variables() {
        let parent = vec![("SECRET".into(), "x".into())].into_iter();
        let env = build_env(&EnvPolicy::Scrubbed, &base(), parent).unwrap();
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(names, ["PATH", "HOME", "LANG", "TERM"]);
        assert_eq!(env[1].1, "/h");
        assert_eq!(env[0].1, "/opt/tc/bin:/usr/bin");
    }

    #[test]
    fn allowed_names_are_copied_and_replace_the_base() {
        let parent = vec![
            ("SECRET".into(), "x".into()),
            ("KEEP".into(), "k".into()),
            ("PATH".into(), "/opt/bin".into()),
        ]
        .into_iter();
        let policy = EnvPolicy::Allow(vec!["KEEP".into(), "PATH".into(), "ABSENT".into()]);
        let env = build_env(&policy, &base(), parent).unwrap();
        assert!(env.contains(&("KEEP".into(), "k".into())));
        assert!(env.contains(&("PATH".into(), "/opt/bin".into())));
        assert!(!env.iter().any(|(k, _)| k == "SECRET" || k == "ABSENT"));
    }

    #[test]
    fn bad_env_names_are_refused() {
        let policy = EnvPolicy::Allow(vec!["A=B".into()]);
        let err = build_env(&policy, &base(), std::iter::empty()).unwrap_err();
        assert!(matches!(err, ExecError::InvalidInput { .. }), "{err}");
        let set = EnvPolicy::Set {
            pass: vec![],
            set: vec![("X".into(), "a\0b".into())],
        };
        assert!(build_env(&set, &base(), std::iter::empty()).is_err());
    }

    #[test]
    fn set_values_win_over_passed_and_base_ones() {
        let parent = vec![("A".into(), "parent".into())].into_iter();
        let policy = EnvPolicy::Set {
            pass: vec!["A".into()],
            set: vec![
                ("A".into(), "set".into()),
                ("HOME".into(), "/elsewhere".into()),
            ],
        };
        let env = build_env(&policy, &base(), parent).unwrap();
        assert!(env.contains(&("A".into(), "set".into())));
        assert!(env.contains(&("HOME".into(), "/elsewhere".into())));
    }

    #[test]
    fn cpu_limit_rounds_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
    }
}
