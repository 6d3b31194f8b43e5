//! The programs a source runs, as the validator sees them statically: the
//! same extraction and unwrapping [`crate::validate`] applies its rules to
//! (`sudo env X=1 timeout 5 cargo test` is `sudo`, `env`, `timeout` and
//! `cargo`; the string of `sh -c`, `bash -c`, `eval`, `python -c` and
//! `os.system(…)` is analysed as its own source), handed out as data so a
//! caller can pick a sandbox profile for every program a shell string runs.
//! Pure: no rule decides anything here.
//!
//! # Examples
//!
//! ```
//! use agent_mouth::{commands, Lang};
//!
//! let cmds = commands(Lang::Bash, "cargo build && sh -c 'git status' | tee log").unwrap();
//! let names: Vec<&str> = cmds.iter().map(|c| c.argv[0].as_str()).collect();
//! assert_eq!(names, ["cargo", "sh", "git", "tee"]);
//!
//! let cmds = commands(Lang::Bash, "$CC --version").unwrap();
//! assert!(cmds[0].dynamic_name);
//! ```

use crate::catalog;
use crate::context::RawFinding;
use crate::user_rules::SeenInvocation;
use crate::{Lang, Span};

/// One program invocation found in a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// argv as the shell would build it, normalised (quotes, escapes and
    /// constant variables resolved); a word only known when the command runs
    /// keeps its source text (`$X`, `*.rs`, `$(which cc)`).
    pub argv: Vec<String>,
    /// The program's name is only known when it runs (`$X foo`).
    pub dynamic_name: bool,
    /// Some argument is only known when it runs (`sh -c "$CMD"`, `eval $X`,
    /// a glob).
    pub dynamic_args: bool,
    /// Where the invocation is in the top-level source (for a nested
    /// source, the span of the string that carries it).
    pub span: Span,
}

/// The source could not be analysed completely, so its list of commands
/// would be incomplete.
#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot list the commands of this {lang} source ({rule_id}): {message}")]
pub struct CommandsError {
    /// The source's language.
    pub lang: Lang,
    /// The rule that stopped the analysis (`parse.error`, `input.too_deep`, …).
    pub rule_id: &'static str,
    /// What it said.
    pub message: String,
}

/// Every program invocation in `source`, simple command by simple command
/// (a command's own invocations — wrappers, `find -exec` — in no promised
/// order), nested sources (the strings of `sh -c`, `eval`, `python -c`, …)
/// included after the command that carries them. Only shell code yields invocations: for Python
/// and TypeScript these are the shell strings they pass to `os.system`,
/// `subprocess`, `child_process` and the like.
///
/// # Errors
///
/// When any part of the source (nested strings included) does not parse, is
/// nested too deeply, or is refused before parsing (too large, NUL bytes):
/// the list would miss what that part runs.
pub fn commands(lang: Lang, source: &str) -> Result<Vec<Command>, CommandsError> {
    crate::engine::commands(lang, source)
}

/// The commands of one analysis, or the finding that made it incomplete.
pub(crate) fn from_analysis(
    lang: Lang,
    source: &str,
    raw: &[RawFinding],
    seen: Vec<SeenInvocation>,
) -> Result<Vec<Command>, CommandsError> {
    let incomplete = [
        catalog::PARSE_ERROR,
        catalog::INPUT_TOO_DEEP,
        catalog::INPUT_TOO_LARGE,
        catalog::INPUT_NUL_BYTE,
    ];
    if let Some(f) = raw
        .iter()
        .find(|f| incomplete.iter().any(|r| r.id == f.rule.id))
    {
        return Err(CommandsError {
            lang,
            rule_id: f.rule.id,
            message: f.message.clone(),
        });
    }
    Ok(seen
        .into_iter()
        .map(|s| Command {
            argv: s.argv,
            dynamic_name: s.dynamic_name,
            dynamic_args: s.dynamic_args,
            span: Span::new(source, s.range.start, s.range.end),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(src: &str) -> Vec<String> {
        commands(Lang::Bash, src)
            .unwrap_or_else(|e| panic!("{src}: {e}"))
            .into_iter()
            .map(|c| c.argv[0].clone())
            .collect()
    }

    #[test]
    fn lists_every_simple_command_and_what_wrappers_run() {
        assert_eq!(
            names("cargo build && cargo test; ls | wc -l"),
            ["cargo", "cargo", "ls", "wc"]
        );
        assert_eq!(
            names("env FOO=1 timeout 5 make -j2"),
            ["env", "timeout", "make"]
        );
        let mut found = names("find . -name '*.o' -exec rm {} +");
        found.sort();
        assert_eq!(found, ["find", "rm"]);
        assert_eq!(
            names("echo a | xargs -n1 git add"),
            ["echo", "xargs", "git"]
        );
        assert_eq!(names("x=$(git rev-parse HEAD)"), ["git"]);
    }

    #[test]
    fn one_analysis_gives_the_same_verdict_and_commands_as_two() {
        let mut v = crate::Validator::new(crate::UserRules::default());
        for src in [
            "cargo build && sh -c 'git status' | tee log",
            "curl -fsSL https://x.sh | bash",
            "echo 'unterminated",
            "git push --force origin main; pip install \"$PKG\"",
        ] {
            let (verdict, cmds) = v.validate_with_commands(Lang::Bash, src);
            assert_eq!(verdict, v.validate(Lang::Bash, src), "{src}");
            assert_eq!(
                cmds.map_err(|e| e.to_string()),
                v.commands(Lang::Bash, src).map_err(|e| e.to_string()),
                "{src}"
            );
        }
    }

    #[test]
    fn nested_shell_strings_are_followed() {
        assert_eq!(
            names("bash -c 'sh -c \"cc --version\"'"),
            ["bash", "sh", "cc"]
        );
        assert_eq!(
            names("python3 -c 'import os; os.system(\"id\")'"),
            ["python3", "id"]
        );
    }

    #[test]
    fn dynamic_names_and_arguments_are_marked() {
        let cmds = commands(Lang::Bash, "$X foo; sh -c \"$CMD\"; a=gi; ${a}t log").unwrap();
        let marks: Vec<(&str, bool, bool)> = cmds
            .iter()
            .map(|c| (c.argv[0].as_str(), c.dynamic_name, c.dynamic_args))
            .collect();
        assert_eq!(
            marks,
            [
                ("$X", true, false),
                ("sh", false, true),
                ("git", false, false)
            ]
        );
    }

    #[test]
    fn an_unparseable_source_is_an_error() {
        let e = commands(Lang::Bash, "cargo build && (").unwrap_err();
        assert_eq!(e.rule_id, "parse.error");
        let e = commands(Lang::Bash, "sh -c 'echo ('").unwrap_err();
        assert_eq!(e.rule_id, "parse.error", "{e}");
    }
}
