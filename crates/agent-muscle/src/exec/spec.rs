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
    build_env(
        &spec.env,
        Path::new(crate::vm::proto::GUEST_WORKSPACE),
        std::env::vars_os(),
    )
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
    let env = build_env(&spec.env, workspace, std::env::vars_os())?;
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
    })
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The task's environment: the scrubbed base, then the allowed names copied
/// from `parent` (replacing a base value of the same name).
fn build_env(
    policy: &EnvPolicy,
    workspace: &Path,
    parent: impl Iterator<Item = (OsString, OsString)>,
) -> Result<Vec<(OsString, OsString)>, ExecError> {
    let mut env: Vec<(OsString, OsString)> = vec![
        ("PATH".into(), SCRUBBED_PATH.into()),
        ("HOME".into(), workspace.as_os_str().to_owned()),
        ("LANG".into(), "C.UTF-8".into()),
        ("TERM".into(), "dumb".into()),
    ];
    let EnvPolicy::Allow(names) = policy else {
        return Ok(env);
    };
    for name in names {
        if name.is_empty() || name.contains('=') || name.contains('\0') {
            return Err(ExecError::InvalidInput {
                what: "environment variable name",
                value: name.escape_debug().to_string(),
                why: "a name must be non-empty and contain neither `=` nor NUL",
            });
        }
    }
    for (key, value) in parent {
        if names.iter().any(|n| key == n.as_str()) {
            match env.iter_mut().find(|(k, _)| *k == key) {
                Some(slot) => slot.1 = value,
                None => env.push((key, value)),
            }
        }
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

    #[test]
    fn scrubbed_env_is_exactly_four_variables() {
        let parent = vec![("SECRET".into(), "x".into())].into_iter();
        let env = build_env(&EnvPolicy::Scrubbed, Path::new("/w"), parent).unwrap();
        let names: Vec<_> = env.iter().map(|(k, _)| k.to_str().unwrap()).collect();
        assert_eq!(names, ["PATH", "HOME", "LANG", "TERM"]);
        assert_eq!(env[1].1, "/w");
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
        let env = build_env(&policy, Path::new("/w"), parent).unwrap();
        assert!(env.contains(&("KEEP".into(), "k".into())));
        assert!(env.contains(&("PATH".into(), "/opt/bin".into())));
        assert!(!env.iter().any(|(k, _)| k == "SECRET" || k == "ABSENT"));
    }

    #[test]
    fn bad_env_names_are_refused() {
        let policy = EnvPolicy::Allow(vec!["A=B".into()]);
        let err = build_env(&policy, Path::new("/w"), std::iter::empty()).unwrap_err();
        assert!(matches!(err, ExecError::InvalidInput { .. }), "{err}");
    }

    #[test]
    fn cpu_limit_rounds_up_to_whole_seconds() {
        assert_eq!(ceil_secs(Duration::from_millis(1)), 1);
        assert_eq!(ceil_secs(Duration::from_secs(2)), 2);
        assert_eq!(ceil_secs(Duration::from_millis(2001)), 3);
    }
}
