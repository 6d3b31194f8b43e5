//! The rules a path named by a patch must pass before anything reads or
//! writes it: pure string checks here ([`check`]), and the checks against
//! the repository's tree ([`check_in_tree`]) that only look (never write).
//!
//! Refused, with the reason as data ([`PathRefusal`]): empty paths, absolute
//! paths, `.`/`..`/empty components, NUL and other control characters,
//! backslashes (a separator on Windows), over-long names, any component that
//! is `.git` under some spelling (case, trailing dots or spaces, an NTFS
//! stream suffix, the 8.3 alias `git~1`, HFS+ ignorable code points), and
//! `.gitmodules`/`.gitattributes` anywhere: attributes can name filters that
//! later git commands run, and submodules point git at other repositories.
//! In the tree: an existing component that is a symlink (the write would go
//! through it, possibly outside the repository), or a final path that exists
//! and is not a regular file.

use std::fmt;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Longest path accepted, in bytes (Linux's `PATH_MAX`).
const MAX_PATH: usize = 4096;
/// Longest component accepted, in bytes (Linux's `NAME_MAX`).
const MAX_NAME: usize = 255;

/// Why a path named by a patch is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathRefusal {
    /// The path is empty.
    Empty,
    /// The path starts at `/`.
    Absolute,
    /// A `.`, `..` or empty component: the path is not normalised, or leaves the repository.
    NotNormal,
    /// A NUL or other control character.
    ControlCharacter,
    /// A backslash, a separator on Windows.
    Backslash,
    /// Longer than `PATH_MAX` or a component longer than `NAME_MAX`.
    TooLong,
    /// A component that is `.git` under some spelling.
    GitDirectory,
    /// `.gitattributes` or `.gitmodules`.
    GitConfigFile,
    /// An existing component in the repository is a symlink.
    ThroughSymlink,
    /// The path exists in the repository and is not a regular file.
    NotARegularFile,
}

impl fmt::Display for PathRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PathRefusal::Empty => "the path is empty",
            PathRefusal::Absolute => "the path is absolute",
            PathRefusal::NotNormal => {
                "the path has a `.`, `..` or empty component (it must be relative and normalised)"
            }
            PathRefusal::ControlCharacter => "the path holds a NUL or control character",
            PathRefusal::Backslash => "the path holds a backslash",
            PathRefusal::TooLong => "the path or one of its components is too long",
            PathRefusal::GitDirectory => "the path is inside `.git` (git's own files)",
            PathRefusal::GitConfigFile => {
                "`.gitattributes` and `.gitmodules` can make later git commands run programs or fetch repositories"
            }
            PathRefusal::ThroughSymlink => {
                "a directory on the path is a symlink in the repository (the write would go through it)"
            }
            PathRefusal::NotARegularFile => {
                "the path exists in the repository and is not a regular file"
            }
        })
    }
}

/// Checks a path as written in a patch (after unquoting and `-p1`), and
/// returns it as a relative path.
pub fn check(path: &str) -> Result<PathBuf, PathRefusal> {
    if path.is_empty() {
        return Err(PathRefusal::Empty);
    }
    if path.starts_with('/') {
        return Err(PathRefusal::Absolute);
    }
    if path.chars().any(char::is_control) {
        return Err(PathRefusal::ControlCharacter);
    }
    if path.contains('\\') {
        return Err(PathRefusal::Backslash);
    }
    if path.len() > MAX_PATH {
        return Err(PathRefusal::TooLong);
    }
    for component in path.split('/') {
        if component.is_empty() || component == "." || component == ".." {
            return Err(PathRefusal::NotNormal);
        }
        if component.len() > MAX_NAME {
            return Err(PathRefusal::TooLong);
        }
        match folded(component).as_str() {
            ".git" => return Err(PathRefusal::GitDirectory),
            ".gitattributes" | ".gitmodules" => return Err(PathRefusal::GitConfigFile),
            name if name.starts_with("git~") => return Err(PathRefusal::GitDirectory),
            _ => {}
        }
    }
    Ok(PathBuf::from(path))
}

/// A component as a case-insensitive, NTFS- and HFS+-tolerant file system
/// might see it: lowercase, code points HFS+ ignores dropped, an NTFS stream
/// suffix (`:…`) and trailing dots and spaces cut.
fn folded(component: &str) -> String {
    let visible: String = component
        .chars()
        .filter(|c| !is_hfs_ignorable(*c))
        .collect::<String>()
        .to_lowercase();
    let base = visible.split(':').next().unwrap_or("");
    base.trim_end_matches(['.', ' ']).to_owned()
}

/// Code points HFS+ ignores when it compares names (git's `is_hfs_dotgit` list).
fn is_hfs_ignorable(c: char) -> bool {
    matches!(c, '\u{200c}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{206a}'..='\u{206f}' | '\u{feff}')
}

/// Looks at `rel` inside `repo` without following links: every existing
/// component must be a real directory (the last a regular file). A missing
/// component ends the walk (the patch creates it).
pub fn check_in_tree(repo: &Path, rel: &Path) -> Result<(), TreeProblem> {
    let mut at = repo.to_path_buf();
    let count = rel.components().count();
    for (i, component) in rel.components().enumerate() {
        at.push(component);
        let meta = match std::fs::symlink_metadata(&at) {
            Ok(meta) => meta,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
            Err(e) if e.kind() == ErrorKind::NotADirectory => {
                // A file where a directory would be: git reports it when it applies.
                return Ok(());
            }
            Err(source) => return Err(TreeProblem::Io { path: at, source }),
        };
        if meta.file_type().is_symlink() {
            return Err(TreeProblem::Refused(PathRefusal::ThroughSymlink));
        }
        let last = i + 1 == count;
        if last && !meta.is_file() {
            return Err(TreeProblem::Refused(PathRefusal::NotARegularFile));
        }
    }
    Ok(())
}

/// Why [`check_in_tree`] failed.
#[derive(Debug)]
pub enum TreeProblem {
    /// The path is refused.
    Refused(PathRefusal),
    /// The tree could not be read.
    Io {
        /// What could not be read.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_paths_pass() {
        for p in [
            "src/main.rs",
            "Cargo.toml",
            "a b/c.txt",
            ".github/workflows/ci.yml",
            "gitx",
            ".gitignore",
            "dir.git/x",
            "ünï/cödé.rs",
        ] {
            assert_eq!(check(p), Ok(PathBuf::from(p)), "{p}");
        }
    }

    #[test]
    fn every_spelling_of_git_is_refused() {
        for p in [
            ".git/config",
            "a/.git/hooks/pre-commit",
            ".GIT/config",
            ".Git",
            ".git./x",
            ".git /x",
            ".git::$INDEX_ALLOCATION/x",
            "git~1/config",
            "GIT~2",
            ".g\u{200c}it/config",
            "\u{feff}.git/x",
        ] {
            assert_eq!(check(p), Err(PathRefusal::GitDirectory), "{p:?}");
        }
        for p in [
            ".gitattributes",
            "sub/.gitmodules",
            ".GitAttributes",
            ".gitmodules.",
        ] {
            assert_eq!(check(p), Err(PathRefusal::GitConfigFile), "{p:?}");
        }
    }

    #[test]
    fn paths_that_leave_or_are_not_normal_are_refused() {
        let cases = [
            ("", PathRefusal::Empty),
            ("/etc/passwd", PathRefusal::Absolute),
            ("../x", PathRefusal::NotNormal),
            ("a/../../x", PathRefusal::NotNormal),
            ("a/./b", PathRefusal::NotNormal),
            ("a//b", PathRefusal::NotNormal),
            ("a/", PathRefusal::NotNormal),
            ("..", PathRefusal::NotNormal),
            ("a\0b", PathRefusal::ControlCharacter),
            ("a\nb", PathRefusal::ControlCharacter),
            ("a\rb", PathRefusal::ControlCharacter),
            ("a\u{7f}", PathRefusal::ControlCharacter),
            ("..\\x", PathRefusal::Backslash),
        ];
        for (p, why) in cases {
            assert_eq!(check(p), Err(why), "{p:?}");
        }
        assert_eq!(check(&"a".repeat(256)), Err(PathRefusal::TooLong));
        assert_eq!(check(&"a/".repeat(2100)), Err(PathRefusal::TooLong));
    }
}
