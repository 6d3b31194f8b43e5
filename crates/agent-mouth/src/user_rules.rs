//! User rules: extra `deny`/`review` rules and `allow` exceptions, loaded
//! from the TOML file named by `[mouth] rules_file`.
//!
//! ```toml
//! [[rule]]
//! id = "allow-plan-destroy"      # reported as `user.allow-plan-destroy`
//! decision = "allow"             # allow | review | deny
//! command = "terraform"          # program name (after unwrapping sudo, env, …)
//! args_prefix = ["plan", "-destroy"]
//! reason = "a destroy *plan* changes nothing"
//! ```
//!
//! `args = [...]` instead of `args_prefix` matches those arguments exactly
//! and nothing more: the narrowest rule, the one `autonomic run` writes when
//! a reviewer answers "always".
//!
//! An `allow` rule removes findings inside the matching command, except
//! findings of locked rules (parse failure and the seed's blocklist: pipes
//! to a shell, eval wrappers, decoded payloads, download-then-execute).

use std::ops::Range;
use std::path::{Path, PathBuf};

use autonomic_core::Decision;
use serde::Deserialize;

use crate::catalog;
use crate::verdict::{Finding, Lang, Span};

/// Why a rules file could not be used.
#[derive(Debug, thiserror::Error)]
pub enum UserRulesError {
    /// The file could not be read.
    #[error("cannot read rules file {}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown/mistyped fields.
    #[error("invalid rules file {}: {message}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// toml's message, which names line, column and key.
        message: String,
    },
    /// A rule is inconsistent.
    #[error("invalid rules file {}: rule #{index} (`{id}`): {reason}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based index of the `[[rule]]`.
        index: usize,
        /// The rule's id.
        id: String,
        /// What is wrong.
        reason: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rule: Vec<UserRule>,
}

/// One user rule.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserRule {
    /// Identifier, reported as `user.<id>`.
    pub id: String,
    /// What a match decides.
    pub decision: Decision,
    /// Language the rule applies to (default bash).
    #[serde(default = "default_lang")]
    pub lang: Lang,
    /// Program name to match (basename, after unwrapping wrappers).
    #[serde(default)]
    pub command: Option<String>,
    /// The arguments must start with these.
    #[serde(default)]
    pub args_prefix: Vec<String>,
    /// The arguments must be exactly these (no more, no fewer).
    #[serde(default)]
    pub args: Option<Vec<String>>,
    /// The arguments must contain all of these.
    #[serde(default)]
    pub args_contain: Vec<String>,
    /// Substring of the source (for python/typescript, or as an extra condition).
    #[serde(default)]
    pub contains: Option<String>,
    /// Why; shown in findings.
    #[serde(default)]
    pub reason: String,
}

fn default_lang() -> Lang {
    Lang::Bash
}

/// A validated set of user rules.
#[derive(Debug, Clone, Default)]
pub struct UserRules {
    rules: Vec<UserRule>,
}

/// One program invocation seen by the bash analysis: argv, its span in the
/// top-level source, and whether its name or an argument is only known when
/// it runs.
#[derive(Debug, Clone)]
pub(crate) struct SeenInvocation {
    pub argv: Vec<String>,
    pub range: Range<usize>,
    pub dynamic_name: bool,
    pub dynamic_args: bool,
}

impl UserRules {
    /// Loads and checks a rules file.
    pub fn load(path: &Path) -> Result<UserRules, UserRulesError> {
        let text = std::str::from_utf8(&read(path)?)
            .map(str::to_string)
            .map_err(|e| UserRulesError::Parse {
                path: path.to_path_buf(),
                message: format!("not UTF-8: {e}"),
            })?;
        UserRules::parse(&text, path)
    }

    /// Parses rules from TOML text (`path` is used in errors).
    pub fn parse(text: &str, path: &Path) -> Result<UserRules, UserRulesError> {
        let file: File = toml::from_str(text).map_err(|e| UserRulesError::Parse {
            path: path.to_path_buf(),
            message: e.to_string().trim().to_string(),
        })?;
        let mut seen = std::collections::HashSet::new();
        for (i, r) in file.rule.iter().enumerate() {
            let invalid = |reason: &str| UserRulesError::Invalid {
                path: path.to_path_buf(),
                index: i + 1,
                id: r.id.clone(),
                reason: reason.to_string(),
            };
            if r.id.is_empty()
                || !r
                    .id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            {
                return Err(invalid(
                    "`id` must be non-empty and use only letters, digits, `-`, `_` and `.`",
                ));
            }
            if !seen.insert(r.id.clone()) {
                return Err(invalid("duplicate `id`"));
            }
            if r.command.as_deref().is_none_or(str::is_empty)
                && r.contains.as_deref().is_none_or(str::is_empty)
            {
                return Err(invalid("a rule needs `command` or `contains`"));
            }
            if r.args.is_some() && (r.command.is_none() || !r.args_prefix.is_empty()) {
                return Err(invalid(
                    "`args` needs `command` and cannot be combined with `args_prefix`",
                ));
            }
            if r.command.is_some() && r.lang != Lang::Bash {
                return Err(invalid(
                    "`command` matching is only available for lang = \"bash\"; use `contains`",
                ));
            }
        }
        Ok(UserRules { rules: file.rule })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True when there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The first `allow` rule for bash commands that names this program and
    /// matches `argv` by its arguments alone (`command` set, no `contains`):
    /// how a caller outside the validator (agent-spine's install check) honours
    /// the same exceptions the validator does.
    pub fn allow_rule_for(&self, argv: &[String]) -> Option<&UserRule> {
        self.rules.iter().find(|r| {
            r.decision == Decision::Allow
                && r.lang == Lang::Bash
                && r.command.is_some()
                && r.contains.is_none()
                && Self::matches(r, argv, "", &(0..0))
        })
    }

    fn matches(r: &UserRule, argv: &[String], source: &str, range: &Range<usize>) -> bool {
        if let Some(cmd) = &r.command {
            let Some(prog) = argv.first() else {
                return false;
            };
            if crate::bash::basename(prog) != cmd {
                return false;
            }
            let args = &argv[1..];
            if args.len() < r.args_prefix.len()
                || args.iter().zip(&r.args_prefix).any(|(a, p)| a != p)
            {
                return false;
            }
            if !r.args_contain.iter().all(|c| args.contains(c)) {
                return false;
            }
            if r.args
                .as_ref()
                .is_some_and(|exact| exact.as_slice() != args)
            {
                return false;
            }
        }
        if let Some(sub) = &r.contains {
            let text = source.get(range.clone()).unwrap_or(source);
            if !text.contains(sub.as_str()) {
                return false;
            }
        }
        true
    }

    pub(crate) fn apply(
        &self,
        lang: Lang,
        source: &str,
        findings: &mut Vec<Finding>,
        seen: &[SeenInvocation],
    ) {
        if self.rules.is_empty() {
            return;
        }
        let whole = SeenInvocation {
            argv: Vec::new(),
            range: 0..source.len(),
            dynamic_name: false,
            dynamic_args: false,
        };
        for r in self.rules.iter().filter(|r| r.lang == lang) {
            let candidates: Vec<&SeenInvocation> = if r.command.is_some() {
                seen.iter().collect()
            } else {
                vec![&whole]
            };
            for SeenInvocation { argv, range, .. } in candidates {
                if !Self::matches(r, argv, source, range) {
                    continue;
                }
                let rule_id = format!("user.{}", r.id);
                let span = Span::new(source, range.start, range.end);
                if r.decision == Decision::Allow {
                    let before = findings.len();
                    findings.retain(|f| {
                        let locked = catalog::find(&f.rule_id).is_some_and(|m| m.locked);
                        locked || f.span.start < range.start || f.span.end > range.end
                    });
                    if findings.len() == before {
                        continue;
                    }
                }
                findings.push(Finding {
                    rule_id,
                    decision: r.decision,
                    message: if r.reason.is_empty() {
                        format!("matched user rule `{}`", r.id)
                    } else {
                        r.reason.clone()
                    },
                    snippet: source
                        .get(span.start..span.end)
                        .unwrap_or("")
                        .chars()
                        .take(160)
                        .collect(),
                    span,
                });
            }
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>, UserRulesError> {
    #[expect(clippy::disallowed_methods, reason = "the error below names the path")]
    std::fs::read(path).map_err(|source| UserRulesError::Read {
        path: path.to_path_buf(),
        source,
    })
}
