//! Runs `git apply`, the only program this module starts: in a scratch
//! directory for the dry run `plan` makes, and in the repository for
//! `apply`. git's environment is scrubbed of every `GIT_*` variable (a
//! hostile environment cannot point it at another repository, index or
//! config), system and global config are not read, and repository
//! discovery stops at the directory's parent, so git applies to exactly
//! that directory whether or not it sits in a repository. Never
//! `--unsafe-paths`: git's own refusal of paths outside the directory
//! stays on behind the checks in `path.rs`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::PatchError;

/// A private directory under the system's temporary directory, removed
/// when dropped.
pub struct Scratch {
    root: PathBuf,
}

impl Scratch {
    /// A fresh, empty directory only this user can enter.
    pub fn new() -> Result<Scratch, PatchError> {
        let mut bytes = [0u8; 8];
        getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let name: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let root = std::env::temp_dir().join(format!("autonomic-patch-{name}"));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&root).map_err(|e| {
            std::io::Error::new(e.kind(), format!("cannot create {}: {e}", root.display()))
        })?;
        Ok(Scratch { root })
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.root
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Err(e) = fs_err::remove_dir_all(&self.root) {
            tracing::warn!(error = %e, "cannot remove a scratch directory");
        }
    }
}

/// What `git apply` said.
pub struct Outcome {
    /// It exited 0.
    pub ok: bool,
    /// Its standard output.
    pub stdout: Vec<u8>,
    /// Its standard error, as text.
    pub stderr: String,
}

/// `git apply ARGS PATCH_FILE` in `dir` (an absolute path).
pub fn apply(dir: &Path, args: &[&str], patch_file: &Path) -> Result<Outcome, PatchError> {
    let failed = |source| PatchError::Git {
        dir: dir.to_path_buf(),
        source,
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "git apply is the patch tool; its environment is scrubbed below and it never runs model text"
    )]
    let mut cmd = Command::new("git");
    cmd.arg("apply").args(args).arg(patch_file);
    cmd.current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, _) in std::env::vars_os() {
        if name.as_encoded_bytes().starts_with(b"GIT_") {
            cmd.env_remove(&name);
        }
    }
    cmd.env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C");
    if let Some(parent) = dir.parent() {
        cmd.env("GIT_CEILING_DIRECTORIES", parent);
    }
    let out = cmd.output().map_err(failed)?;
    Ok(Outcome {
        ok: out.status.success(),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr)
            .trim()
            .chars()
            .take(4000)
            .collect(),
    })
}

/// The paths in `git apply --numstat -z` output: one per file, two (old
/// then new) for a rename or copy.
pub fn numstat_paths(stdout: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut tokens = stdout.split(|b| *b == 0);
    while let Some(token) = tokens.next() {
        if token.is_empty() {
            continue;
        }
        let mut fields = token.splitn(3, |b| *b == b'\t');
        let path = fields.nth(2).unwrap_or_default();
        if path.is_empty() {
            for t in tokens.by_ref().take(2) {
                out.push(lossy(t));
            }
        } else {
            out.push(lossy(path));
        }
    }
    out
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numstat_lists_plain_and_renamed_paths() {
        let out = b"1\t0\tsrc/a.rs\x000\t0\t\x00old name\x00new name\x00-\t-\tbin\x00";
        assert_eq!(
            numstat_paths(out),
            vec!["src/a.rs", "old name", "new name", "bin"]
        );
    }
}
