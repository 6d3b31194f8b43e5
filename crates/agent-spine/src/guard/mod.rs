//! The guarded command: the one path an agent's shell command takes through
//! the three layers — agent-mouth validates it, agent-immune checks every
//! package install in it against the offline database, a `review` is put to
//! a human (or a policy), agent-muscle runs it in the sandbox, and every
//! step is written to the audit chain.
//!
//! ```text
//! assess ──deny──▶ refused (nothing runs)
//!    │ review ──▶ Answer::{Yes, Always} ──▶ run   (Always writes a user rule)
//!    │            Answer::No ───────────▶ refused
//!    └ allow ──────────────────────────────▶ run ──▶ muscle.exec (+ kill, traps, egress)
//! ```
//!
//! The CLI's `autonomic run`, the agent hooks and the MCP server are thin
//! shells over [`Guard`]; the workflow engine's exec nodes reuse it.

mod remember;

use autonomic_core::Hint as _;
use std::path::{Path, PathBuf};

use agent_immune::install::{self, InstallCheck};
use agent_immune::osv::Database;
use agent_immune::scan::ScanOptions;
use agent_mouth::{Command, Decision, Lang, UserRules, Validator, Verdict};
use agent_muscle::exec::audit::RunRecord;
use agent_muscle::exec::{ExecResult, RunControl};
use autonomic_core::audit::{sha256_hex, shown, Actor, AuditEvent, AuditLog, Kind};
use autonomic_core::config::Config;
use autonomic_core::paths::Paths;
use serde::Serialize;
use serde_json::json;

use crate::sandbox::{self, Sandbox, SandboxError, SandboxOptions};

pub use remember::Remembered;

/// Why the guarded path could not do its job (distinct from a refusal,
/// which is an outcome).
#[derive(Debug, thiserror::Error)]
pub enum GuardError {
    /// The user rules file is unusable.
    #[error(transparent)]
    Rules(#[from] agent_mouth::UserRulesError),
    /// The sandbox could not be set up from the settings.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    /// agent-muscle could not run the command.
    #[error("cannot run the command in the sandbox")]
    Exec(#[from] agent_muscle::exec::ExecError),
    /// The audit log could not be written: nothing runs unaudited.
    #[error("cannot write the audit log")]
    Audit(#[from] autonomic_core::audit::AuditError),
    /// A rule for "always" could not be written.
    #[error("cannot write the user rule to `{}`", path.display())]
    WriteRule {
        /// The rules file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl autonomic_core::Hint for GuardError {
    fn hint(&self) -> Option<String> {
        match self {
            GuardError::Rules(_) => Some(
                "fix the rules file (each `[[rule]]` needs `id`, `decision` and `command` or `contains`)"
                    .to_owned(),
            ),
            GuardError::Sandbox(e) => e.hint(),
            GuardError::Exec(_) => Some("`autonomic muscle doctor` checks what this host can do".to_owned()),
            GuardError::Audit(e) => e.hint(),
            GuardError::WriteRule { .. } => None,
        }
    }
}

/// A human's (or a policy's) answer to a `review`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Answer {
    /// Run it this time.
    Yes,
    /// Do not run it.
    No,
    /// Run it, and allow this exact command from now on (a user rule).
    Always,
}

/// What the layers said about a command before anything ran.
#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    /// The shell command.
    pub command: String,
    /// agent-mouth's verdict.
    pub verdict: Verdict,
    /// agent-immune's decision on every package install in it.
    pub installs: Vec<InstallCheck>,
    /// The strictest of the two: what happens next.
    pub decision: Decision,
    /// The programs it runs, as agent-mouth read them (empty when it does
    /// not parse).
    #[serde(skip)]
    pub commands: Vec<Command>,
}

impl Assessment {
    /// One line per reason, `rule_id: message` (for hooks and MCP clients).
    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .verdict
            .findings
            .iter()
            .filter(|f| f.decision != Decision::Allow)
            .map(|f| format!("{} [{}]: {}", f.decision, f.rule_id, f.message))
            .collect();
        for c in self
            .installs
            .iter()
            .filter(|c| c.decision != Decision::Allow)
        {
            for r in &c.reasons {
                out.push(format!(
                    "{} [immune.install]: {}: {r}",
                    c.decision, c.install.spec
                ));
            }
        }
        out
    }

    /// The text shown at a terminal: the verdict with carets, then each
    /// install decision.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if self.verdict.decision != Decision::Allow {
            out.push_str(&self.verdict.render(&self.command));
        }
        for c in self
            .installs
            .iter()
            .filter(|c| c.decision != Decision::Allow)
        {
            out.push_str(&format!(
                "\n{}[immune.install]: {} `{}`\n",
                c.decision, c.install.tool, c.install.spec
            ));
            for r in &c.reasons {
                out.push_str(&format!("  - {r}\n"));
            }
        }
        out
    }
}

/// The end of a guarded command.
#[derive(Debug)]
pub enum Outcome {
    /// Refused before anything ran.
    Refused {
        /// The decision that refused it (deny, or review answered no).
        decision: Decision,
        /// Why, one line each.
        reasons: Vec<String>,
    },
    /// It ran.
    Ran(Box<Ran>),
}

/// A command that ran, and where.
#[derive(Debug)]
pub struct Ran {
    /// agent-muscle's result.
    pub result: ExecResult,
    /// The level it ran at.
    pub level: autonomic_core::SandboxLevel,
    /// The syscall profile and why (seccomp level).
    pub profile: Option<(String, String)>,
    /// The output limit per stream, for "output was cut" messages.
    pub output_limit: usize,
}

/// The guarded path, loaded once and used for any number of commands.
pub struct Guard {
    paths: Paths,
    config: Config,
    validator: Validator,
    rules: UserRules,
    rules_path: PathBuf,
    /// Opened at the first install to check (most commands have none).
    db: std::sync::OnceLock<Result<Database, String>>,
    scan: ScanOptions,
    actor: Actor,
    audit: AuditLog,
}

impl std::fmt::Debug for Guard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Guard")
            .field("home", &self.paths.home)
            .field("rules_path", &self.rules_path)
            .field("actor", &self.actor)
            .finish_non_exhaustive()
    }
}

/// A validator with `rules` and the config's policy for unknown programs.
pub fn validator(rules: UserRules, config: &Config) -> Validator {
    // The config loader has already refused any other spelling.
    let policy = config.mouth.unknown_programs.parse().unwrap_or_default();
    Validator::new(rules).with_unknown_programs(policy)
}

/// The user rules file: `[mouth] rules_file`, else `<home>/rules.toml`
/// (where "always" answers are written).
pub fn rules_path(paths: &Paths, config: &Config) -> PathBuf {
    config
        .mouth
        .rules_file
        .clone()
        .unwrap_or_else(|| paths.home.join("rules.toml"))
}

/// The user rules in force: the file at [`rules_path`], none when it does
/// not exist.
///
/// # Errors
///
/// A rules file that exists and is unreadable or invalid.
pub fn load_rules(
    paths: &Paths,
    config: &Config,
) -> Result<UserRules, agent_mouth::UserRulesError> {
    let path = rules_path(paths, config);
    if config.mouth.rules_file.is_none() && !path.exists() {
        return Ok(UserRules::default());
    }
    UserRules::load(&path)
}

impl Guard {
    /// Loads the rules, opens the OSV database (a missing one is not an
    /// error: every install is then a `review`) and the audit log.
    ///
    /// # Errors
    ///
    /// An invalid rules file or an unusable audit log.
    pub fn new(paths: Paths, config: Config, actor: Actor) -> Result<Guard, GuardError> {
        let rules = load_rules(&paths, &config)?;
        let rules_path = rules_path(&paths, &config);
        let scan = agent_immune::pipeline::scan_options(
            &config.immune,
            None,
            agent_immune::ignore::IgnoreList::default(),
            time::OffsetDateTime::now_utc().date(),
        );
        let audit = AuditLog::open(&paths.audit_log)?;
        Ok(Guard {
            validator: validator(rules.clone(), &config),
            rules,
            rules_path,
            db: std::sync::OnceLock::new(),
            scan,
            actor,
            audit,
            paths,
            config,
        })
    }

    /// The OSV database, opened on first use.
    fn database(&self) -> Result<&Database, &String> {
        self.db
            .get_or_init(|| {
                Database::open(&self.config.immune.osv_cache_dir).map_err(|e| e.to_string())
            })
            .as_ref()
    }

    /// Where "always" answers are written.
    pub fn rules_file(&self) -> &Path {
        &self.rules_path
    }

    /// Where the guard's home is.
    pub fn paths(&self) -> &Paths {
        &self.paths
    }

    /// The audit log the guard writes (the workflow engine appends its own
    /// records to the same chain).
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Validates `command` and checks its installs; audits a deny or review.
    /// `cwd` is where it would run (requirements files are read there).
    ///
    /// # Errors
    ///
    /// Only an audit log that cannot be written.
    pub fn assess(&mut self, command: &str, cwd: &Path) -> Result<Assessment, GuardError> {
        self.assess_lang(Lang::Bash, command, cwd)
    }

    /// [`Guard::assess`] for a source in any language agent-mouth reads
    /// (installs are read from the shell commands it runs).
    ///
    /// # Errors
    ///
    /// Only an audit log that cannot be written.
    pub fn assess_lang(
        &mut self,
        lang: Lang,
        source: &str,
        cwd: &Path,
    ) -> Result<Assessment, GuardError> {
        let assessment = self.assess_quietly(lang, source, cwd);
        self.audit_assessment(lang, &assessment)?;
        Ok(assessment)
    }

    /// Who the next records are by (an MCP client names itself late).
    pub fn set_actor(&mut self, actor: Actor) {
        self.actor = actor;
    }

    /// Scans the lockfiles and manifests in `dir` (and below, when
    /// `recursive`) against the OSV database; audited as `immune.scan`.
    ///
    /// # Errors
    ///
    /// No usable database, an unreadable or unparsable file, an audit log
    /// that cannot be written — as one line for the caller to show.
    pub fn scan_dir(
        &self,
        dir: &Path,
        recursive: bool,
    ) -> Result<agent_immune::pipeline::ScanVerdict, String> {
        let mut request = agent_immune::pipeline::ScanRequest::new(vec![dir.to_path_buf()]);
        request.recursive = recursive;
        let verdict = agent_immune::pipeline::scan(
            &request,
            &self.config.immune,
            time::OffsetDateTime::now_utc(),
        )
        .map_err(|e| match e.hint() {
            Some(h) => format!("{e} ({h})"),
            None => e.to_string(),
        })?;
        self.audit
            .append(verdict.audit_event(&self.actor))
            .map_err(|e| format!("cannot write the audit log: {e}"))?;
        Ok(verdict)
    }

    fn assess_quietly(&mut self, lang: Lang, command: &str, cwd: &Path) -> Assessment {
        let (verdict, commands) = self.validator.validate_with_commands(lang, command);
        let commands = commands.unwrap_or_default();
        let mut installs = Vec::new();
        for cmd in commands.iter().filter(|c| !c.dynamic_name) {
            for inst in install::parse(&cmd.argv) {
                let db = self.database().map_err(String::as_str);
                let mut check = install::check(db, &inst, &self.scan, cwd);
                if cmd.dynamic_args
                    && (inst.spec.contains('$')
                        || inst.spec.contains('`')
                        || inst.spec.contains('*'))
                {
                    check.decision = check.decision.max(Decision::Review);
                    check.reasons.push(format!(
                        "the package `{}` is only known when the command runs",
                        inst.spec
                    ));
                }
                if check.decision == Decision::Review {
                    if let Some(rule) = self.rules.allow_rule_for(&cmd.argv) {
                        check.decision = Decision::Allow;
                        check.reasons = vec![format!("allowed by user rule `user.{}`", rule.id)];
                    }
                }
                installs.push(check);
            }
        }
        let decision = verdict.decision.max(install::decision(&installs));
        Assessment {
            command: command.to_owned(),
            verdict,
            installs,
            decision,
            commands,
        }
    }

    fn audit_assessment(&self, lang: Lang, a: &Assessment) -> Result<(), GuardError> {
        if a.verdict.decision != Decision::Allow {
            self.audit
                .append(a.verdict.audit_event(lang, &a.command, &self.actor))?;
        }
        for c in a.installs.iter().filter(|c| c.decision != Decision::Allow) {
            self.audit.append(c.audit_event(&a.command, &self.actor))?;
        }
        Ok(())
    }

    /// Records the answer to a review (by `by`: the user at a terminal, or a
    /// policy) and, for [`Answer::Always`], writes the narrowest user rules
    /// that allow this command and says which; then re-reads the rules.
    ///
    /// # Errors
    ///
    /// The rules file or audit log cannot be written.
    pub fn answer(
        &mut self,
        a: &Assessment,
        answer: Answer,
        by: &Actor,
    ) -> Result<Option<Remembered>, GuardError> {
        let remembered = if answer == Answer::Always {
            let r = remember::write(&self.rules_path, a)?;
            self.rules = UserRules::load(&self.rules_path)?;
            self.validator = validator(self.rules.clone(), &self.config);
            Some(r)
        } else {
            None
        };
        self.audit.append(AuditEvent::new(
            Kind::SpineApproval,
            by,
            Some(if answer == Answer::No {
                Decision::Deny
            } else {
                Decision::Allow
            }),
            json!({
                "command_sha256": sha256_hex(&a.command),
                "command": shown(&a.command),
                "answer": answer,
                "reasons": a.reasons(),
                "rules_written": remembered.as_ref().map(|r| json!({"file": r.path, "ids": r.ids})),
            }),
        ))?;
        Ok(remembered)
    }

    /// Refuses `a` (deny, or a review answered no or refused by policy):
    /// audited, nothing runs.
    ///
    /// # Errors
    ///
    /// The audit log cannot be written.
    pub fn refuse(&self, a: &Assessment, why: &str) -> Result<Outcome, GuardError> {
        let decision = if a.decision == Decision::Deny {
            Decision::Deny
        } else {
            Decision::Review
        };
        self.audit.append(AuditEvent::new(
            Kind::SpineRefused,
            &self.actor,
            Some(Decision::Deny),
            json!({
                "command_sha256": sha256_hex(&a.command),
                "command": shown(&a.command),
                "decision": a.decision,
                "why": why,
            }),
        ))?;
        Ok(Outcome::Refused {
            decision,
            reasons: a.reasons(),
        })
    }

    /// Runs an assessed command in the sandbox (through `bash -c`) and
    /// audits the run. Refuses (without running) an assessment that is not
    /// `allow` unless `approved` says a review was answered yes.
    ///
    /// # Errors
    ///
    /// The sandbox cannot be built or started, or the audit log written.
    pub fn run(
        &self,
        a: &Assessment,
        approved: bool,
        opts: &SandboxOptions,
    ) -> Result<Outcome, GuardError> {
        self.run_with(a, approved, opts, &RunControl::default())
    }

    /// [`Guard::run`] with a cancel handle and/or an output stream.
    ///
    /// # Errors
    ///
    /// As [`Guard::run`].
    pub fn run_with(
        &self,
        a: &Assessment,
        approved: bool,
        opts: &SandboxOptions,
        control: &RunControl,
    ) -> Result<Outcome, GuardError> {
        match a.decision {
            Decision::Deny => return self.refuse(a, "denied"),
            Decision::Review if !approved => return self.refuse(a, "needs review"),
            _ => {}
        }
        let argv = vec!["bash".to_owned(), "-c".to_owned(), a.command.clone()];
        let Sandbox { spec, profile } = sandbox::build(&self.paths, &self.config, &argv, opts)?;
        let result = agent_muscle::exec::run_with(&spec, control)?;
        let record = RunRecord {
            argv: &argv,
            level: spec.level(),
            profile: profile.as_ref().map(|p| p.0.as_str()),
            workspace: &spec.workspace,
            grants: &opts.allow_hosts,
        };
        for event in result.audit_events(&record, &self.actor) {
            self.audit.append(event)?;
        }
        Ok(Outcome::Ran(Box::new(Ran {
            result,
            level: spec.level(),
            profile,
            output_limit: spec.limits.output_bytes,
        })))
    }
}
