//! The default view of the host a `seccomp` task gets, as reviewed data:
//! which directories are hidden (every user's home), what of the caller's
//! home is bound back read-only (toolchains and their non-secret
//! configuration), what is always masked (secrets), and which files inside
//! the workspace are read-only because tools on the *host* execute them.
//! The jail ([`crate::jail`]) builds the mounts; this module only decides
//! the lists.

use std::path::{Path, PathBuf};

/// Directories replaced by an empty tmpfs: nothing of any user's home is
/// visible unless bound back. The caller's own home (wherever `$HOME` is)
/// is added to these, and becomes the task's private, writable home.
pub const HIDDEN: &[&str] = &["/home", "/root"];

/// System paths always hidden from the task (when they exist).
pub const ALWAYS_MASKED: &[&str] = &[
    "/etc/shadow",
    "/etc/gshadow",
    "/etc/shadow-",
    "/etc/gshadow-",
    "/etc/sudoers",
    "/etc/sudoers.d",
    "/etc/ssh",
    "/etc/ssl/private",
    "/etc/security/opasswd",
    "/etc/NetworkManager/system-connections",
    "/etc/wireguard",
    "/var/lib/sudo",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/run/containerd/containerd.sock",
    "/run/podman/podman.sock",
    "/var/run/dbus/system_bus_socket",
    "/run/dbus/system_bus_socket",
];

/// Per-user secrets under `$HOME`: keys, tokens, credential stores, shell
/// histories and container daemons' sockets. The home is hidden anyway;
/// these stay masked when something brings them back into view (a workspace
/// that is `$HOME`, a bind of `~/.config`, an `expose` entry) and name what
/// the path check reports.
pub const HOME_MASKED: &[&str] = &[
    ".ssh",
    ".aws",
    ".gnupg",
    ".password-store",
    ".config/gcloud",
    ".config/gh",
    ".config/hub",
    ".config/git/credentials",
    ".config/rclone",
    ".config/containers",
    ".azure",
    ".autonomic",
    ".docker",
    ".kube",
    ".colima",
    ".orbstack",
    ".lima",
    ".local/share/containers",
    ".local/share/keyrings",
    ".claude",
    ".claude.json",
    ".codex",
    ".netrc",
    ".git-credentials",
    ".npmrc",
    ".yarnrc.yml",
    ".pypirc",
    ".pgpass",
    ".my.cnf",
    ".vault-token",
    ".terraformrc",
    ".terraform.d/credentials.tfrc.json",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".bash_history",
    ".zsh_history",
    ".python_history",
    ".node_repl_history",
    ".psql_history",
    ".mysql_history",
    ".local/share/fish/fish_history",
];

/// What of the caller's home is bound back, read-only, when it exists:
/// toolchains the task runs (found through the caller's `PATH`) and git's
/// identity. Secrets inside them (`~/.cargo/credentials.toml`,
/// `~/.config/git/credentials`) stay masked.
pub const HOME_TOOLCHAINS: &[(&str, &str)] = &[
    (
        ".cargo",
        "Rust: cargo, its registry cache and installed binaries",
    ),
    (".rustup", "Rust: the toolchains rustup's proxies run"),
    (".pyenv", "Python: pyenv's interpreters and shims"),
    (".nvm", "Node.js: nvm's installed versions"),
    (".volta", "Node.js: volta's tools"),
    (".bun", "Bun"),
    (".deno", "Deno"),
    (".asdf", "asdf-managed toolchains"),
    (".rbenv", "Ruby: rbenv"),
    (".sdkman", "Java/Kotlin/Gradle via SDKMAN"),
    (
        "go",
        "Go: the module cache (read-only: builds with cached modules work)",
    ),
    (".local/bin", "tools installed with pip --user, pipx, uv"),
    (".local/lib", "Python packages installed with pip --user"),
    (
        ".gitconfig",
        "git: the user's identity and settings (credential files stay masked)",
    ),
    (
        ".config/git",
        "git: XDG config, ignore and attributes (the credential store stays masked)",
    ),
];

/// Shell start-up files, protected like [`super::traps::PROTECTED`] when the caller's home
/// is inside the workspace (the workspace is `$HOME`).
pub const HOME_PROTECTED: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".config/fish",
    ".config/autostart",
    ".config/systemd",
    ".local/share/applications",
];

/// Every path the jail masks: the fixed list, the user's secrets,
/// Autonomic's home and `extra`.
pub fn masked_paths(
    home: Option<&Path>,
    autonomic_home: Option<&Path>,
    extra: &[PathBuf],
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = ALWAYS_MASKED.iter().map(PathBuf::from).collect();
    if let Some(home) = home {
        out.extend(HOME_MASKED.iter().map(|p| home.join(p)));
    }
    out.extend(autonomic_home.map(Path::to_path_buf));
    out.extend(extra.iter().cloned());
    out.retain(|p| p.is_absolute());
    out.sort();
    out.dedup();
    out
}

/// The directories hidden behind an empty tmpfs: [`HIDDEN`] and the
/// caller's home.
pub fn hidden_dirs(home: Option<&Path>) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = HIDDEN.iter().map(PathBuf::from).collect();
    out.extend(home.map(Path::to_path_buf));
    out
}

/// The toolchain paths under `home` that exist.
pub fn toolchains(home: &Path) -> Vec<PathBuf> {
    HOME_TOOLCHAINS
        .iter()
        .map(|(rel, _)| home.join(rel))
        .filter(|p| p.exists())
        .collect()
}

/// The protected paths inside `workspace` that exist now (a protected path
/// that does not exist cannot be mounted over; creating one is reported and
/// undone after the run), minus the ones `granted` covers.
///
/// A git worktree's `.git` is a file naming its git directory (and that one
/// a common directory): their `config`, `config.worktree` and `hooks` are
/// protected too wherever the task could write them — in the workspace or
/// under a writable bind (`--bind /repo/.git` for a worktree's commits).
/// A protected path is granted only by a writable bind of that path or of
/// something inside it (`--bind ws/.git/hooks`), never by one around it.
pub fn protected(workspace: &Path, home: Option<&Path>, writable: &[PathBuf]) -> Vec<PathBuf> {
    let mut candidates: Vec<PathBuf> = super::traps::PROTECTED
        .iter()
        .map(|p| workspace.join(p.path))
        .collect();
    if let Some(home) = home.filter(|h| h.starts_with(workspace)) {
        candidates.extend(HOME_PROTECTED.iter().map(|rel| home.join(rel)));
        candidates.extend(HOME_TOOLCHAINS.iter().map(|(rel, _)| home.join(rel)));
    }
    candidates.extend(worktree_git_files(workspace));
    let mut out: Vec<PathBuf> = candidates
        .into_iter()
        .filter(|p| std::fs::symlink_metadata(p).is_ok())
        .filter(|p| p.starts_with(workspace) || writable.iter().any(|w| p.starts_with(w)))
        .filter(|p| !writable.iter().any(|g| g.starts_with(p)))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// For a worktree (`.git` is a file `gitdir: DIR`): the git directory's
/// `config.worktree`, and the common directory's `config`,
/// `config.worktree` and `hooks`, resolved.
fn worktree_git_files(workspace: &Path) -> Vec<PathBuf> {
    let dot_git = workspace.join(".git");
    if !std::fs::symlink_metadata(&dot_git).is_ok_and(|m| m.is_file()) {
        return Vec::new();
    }
    let Ok(text) = fs_err::read_to_string(&dot_git) else {
        return Vec::new();
    };
    let Some(dir) = text.lines().next().and_then(|l| l.strip_prefix("gitdir:")) else {
        return Vec::new();
    };
    let Ok(gitdir) = std::fs::canonicalize(workspace.join(dir.trim())) else {
        return Vec::new();
    };
    let common = fs_err::read_to_string(gitdir.join("commondir"))
        .ok()
        .and_then(|c| std::fs::canonicalize(gitdir.join(c.trim())).ok())
        .unwrap_or_else(|| gitdir.clone());
    vec![
        gitdir.join("config.worktree"),
        common.join("config"),
        common.join("config.worktree"),
        common.join("hooks"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_relative_where_they_must_be() {
        for rel in HOME_MASKED
            .iter()
            .chain(HOME_PROTECTED)
            .chain(HOME_TOOLCHAINS.iter().map(|(r, _)| r))
        {
            assert!(!rel.starts_with('/') && !rel.contains(".."), "{rel}");
        }
        for abs in ALWAYS_MASKED.iter().chain(HIDDEN) {
            assert!(abs.starts_with('/'), "{abs}");
        }
    }

    #[test]
    fn no_toolchain_is_a_secret() {
        for (rel, _) in HOME_TOOLCHAINS {
            assert!(!HOME_MASKED.contains(rel), "{rel}");
        }
    }

    #[test]
    fn a_worktrees_common_git_dir_is_protected_where_writable() {
        let root = tempfile::tempdir().unwrap();
        let repo = root.path().join("repo/.git");
        fs_err::create_dir_all(repo.join("hooks")).unwrap();
        fs_err::create_dir_all(repo.join("worktrees/wt")).unwrap();
        fs_err::write(repo.join("config"), "").unwrap();
        fs_err::write(repo.join("worktrees/wt/commondir"), "../..\n").unwrap();
        let wt = root.path().join("wt");
        fs_err::create_dir_all(&wt).unwrap();
        fs_err::write(
            wt.join(".git"),
            format!("gitdir: {}\n", repo.join("worktrees/wt").display()),
        )
        .unwrap();
        let repo = std::fs::canonicalize(&repo).unwrap();
        // Not writable (no bind): read-only anyway, nothing to protect.
        assert!(protected(&wt, None, &[]).is_empty());
        // Bound writable for the worktree's commits: config and hooks stay
        // read-only.
        let got = protected(&wt, None, std::slice::from_ref(&repo));
        assert_eq!(got, [repo.join("config"), repo.join("hooks")]);
        // A bind of the hooks themselves grants them.
        let got = protected(&wt, None, &[repo.clone(), repo.join("hooks")]);
        assert_eq!(got, [repo.join("config")]);
    }

    #[test]
    fn protected_lists_existing_paths_minus_grants() {
        let ws = tempfile::tempdir().unwrap();
        fs_err::create_dir_all(ws.path().join(".git/hooks")).unwrap();
        fs_err::write(ws.path().join(".git/config"), "").unwrap();
        fs_err::write(ws.path().join(".envrc"), "").unwrap();
        let all = protected(ws.path(), None, &[]);
        assert_eq!(all.len(), 3, "{all:?}");
        let granted = protected(ws.path(), None, &[ws.path().join(".envrc")]);
        assert_eq!(granted.len(), 2, "{granted:?}");
    }
}
