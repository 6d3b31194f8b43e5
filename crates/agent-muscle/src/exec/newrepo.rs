//! A git repository the task created (`git init` where there was none):
//! its `.git/config` and `.git/hooks` are new by definition, so the trap
//! sweep cannot treat "created" as hostile without breaking `git init`.
//! Instead this checks what the host's git would *run* from them: config
//! keys that name commands, and hooks that are not git's inert `*.sample`
//! files.

use std::path::{Path, PathBuf};

use super::traps::{Trap, TrapAction, TrapKind};

/// Config keys (lower-case, `section.key` or `section.*.key`) whose value
/// git runs as a command.
const COMMAND_KEYS: &[&str] = &[
    "core.fsmonitor",
    "core.hookspath",
    "core.sshcommand",
    "core.editor",
    "core.pager",
    "core.askpass",
    "core.gitproxy",
    "sequence.editor",
    "diff.external",
    "diff.*.textconv",
    "diff.*.command",
    "filter.*.clean",
    "filter.*.smudge",
    "filter.*.process",
    "merge.*.driver",
    "credential.helper",
    "credential.*.helper",
    "gpg.program",
    "gpg.*.program",
    "uploadpack.packobjectshook",
    "pager.*",
    "include.path",
    "includeif.*.path",
];

/// The names in `.git/config` (as `section.key` / `section.*.key`, lower
/// case) that set a command, with the line they are on. Aliases count when
/// they start with `!` (a shell command).
fn command_keys(text: &str) -> Vec<(String, usize)> {
    let mut section = String::new();
    let mut sub = false;
    let mut found = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(rest) = line.strip_prefix('[') {
            let head = rest.split(']').next().unwrap_or("");
            let mut parts = head.splitn(2, |c: char| c.is_whitespace() || c == '.');
            section = parts.next().unwrap_or("").to_ascii_lowercase();
            sub = parts.next().is_some_and(|s| !s.trim().is_empty());
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or((line, ""));
        let key = key.trim().to_ascii_lowercase();
        let name = if sub {
            format!("{section}.*.{key}")
        } else {
            format!("{section}.{key}")
        };
        let pager = section == "pager";
        let alias = section == "alias" && value.trim().trim_matches('"').starts_with('!');
        if alias || pager || COMMAND_KEYS.contains(&name.as_str()) {
            found.push((name, i + 1));
        }
    }
    found
}

/// Checks a `.git` the task created in `workspace` and, with
/// [`TrapAction::Remove`], removes its config when it names commands and
/// every hook that is not a `*.sample`.
pub(super) fn check(workspace: &Path, action: TrapAction) -> Vec<Trap> {
    let git = workspace.join(".git");
    let Ok(meta) = fs_err::symlink_metadata(&git) else {
        return Vec::new();
    };
    if !meta.is_dir() {
        return Vec::new();
    }
    let mut traps = Vec::new();
    let config = git.join("config");
    if let Ok(text) = fs_err::read_to_string(&config) {
        let keys = command_keys(&text);
        if let Some((name, line)) = keys.first() {
            tracing::warn!(key = %name, line, "a new repository's config names a command");
            traps.push(defuse(workspace, &config, action));
        }
    }
    if let Ok(entries) = fs_err::read_dir(git.join("hooks")) {
        for entry in entries.flatten() {
            let name = entry.file_name();
            if !name.to_string_lossy().ends_with(".sample") {
                traps.push(defuse(workspace, &entry.path(), action));
            }
        }
    }
    traps
}

fn defuse(workspace: &Path, path: &Path, action: TrapAction) -> Trap {
    let removed = action == TrapAction::Remove && remove(path);
    Trap {
        path: path
            .strip_prefix(workspace)
            .map(PathBuf::from)
            .unwrap_or_else(|_| path.to_path_buf()),
        kind: TrapKind::ProtectedCreated,
        removed,
    }
}

fn remove(path: &Path) -> bool {
    let is_dir = fs_err::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let done = if is_dir {
        fs_err::remove_dir_all(path)
    } else {
        fs_err::remove_file(path)
    };
    done.map_err(|e| tracing::warn!(error = %e, "could not remove a planted git file"))
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_keys_are_found_in_any_spelling() {
        let text = "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\
                    [Core]\n  FSMonitor = touch /x\n\
                    [filter \"lfs\"]\n\tsmudge = evil\n\
                    [alias]\n\tst = status\n\tx = \"!sh -c id\"\n\
                    [diff \"bin\"]\n\ttextconv = cat\n";
        let names: Vec<String> = command_keys(text).into_iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "core.fsmonitor",
                "filter.*.smudge",
                "alias.x",
                "diff.*.textconv"
            ]
        );
    }

    #[test]
    fn git_inits_own_config_is_clean() {
        let text = "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\
                    \tlogallrefupdates = true\n[user]\n\tname = T\n";
        assert!(command_keys(text).is_empty());
    }

    #[test]
    fn planted_hook_and_config_are_removed_and_samples_kept() {
        let ws = tempfile::tempdir().unwrap();
        let hooks = ws.path().join(".git/hooks");
        fs_err::create_dir_all(&hooks).unwrap();
        fs_err::write(hooks.join("pre-commit.sample"), "#!/bin/sh\n").unwrap();
        fs_err::write(hooks.join("post-checkout"), "#!/bin/sh\nid\n").unwrap();
        fs_err::write(ws.path().join(".git/config"), "[core]\nhooksPath = /x\n").unwrap();
        let traps = check(ws.path(), TrapAction::Remove);
        assert_eq!(traps.len(), 2, "{traps:?}");
        assert!(traps.iter().all(|t| t.removed));
        assert!(hooks.join("pre-commit.sample").exists());
        assert!(!hooks.join("post-checkout").exists());
        assert!(!ws.path().join(".git/config").exists());
    }
}
