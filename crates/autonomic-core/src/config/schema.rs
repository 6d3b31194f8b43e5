//! The typed configuration and the key registry that describes it.
//!
//! Each section is a struct (serde, `deny_unknown_fields`) plus a
//! [`SectionSpec`] listing its keys with their type, constraints and one-line
//! documentation. The loader, the error messages, `config show` and the
//! commented default file are all driven by [`SECTIONS`], so adding a section
//! (say `[spine]`) means: write its struct and spec, add a field to [`Config`]
//! and an entry to [`SECTIONS`]. A unit test checks the specs and structs agree.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::paths::Paths;
use crate::sandbox::SandboxLevel;

/// The whole configuration file, one field per section.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `[immune]`: dependency scanning and command screening.
    pub immune: ImmuneConfig,
    /// `[muscle]`: sandboxed execution.
    pub muscle: MuscleConfig,
    /// `[mouth]`: validation of agent-generated code and human approval.
    pub mouth: MouthConfig,
    /// `[brain]`: scoped, temporal fact memory.
    pub brain: BrainConfig,
    /// `[heart]`: periodic maintenance cycles.
    pub heart: HeartConfig,
}

/// `[immune]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ImmuneConfig {
    /// Scan dependencies against the OSV database before installing them.
    pub osv_scan_enabled: bool,
    /// Where OSV responses are cached.
    pub osv_cache_dir: PathBuf,
    /// Sandbox used for commands when nothing more specific applies.
    pub sandbox_default: SandboxLevel,
    /// Screen agent commands before they run.
    pub command_validation_enabled: bool,
    /// Lowest severity that fails a scan: critical, high, medium, low or none.
    pub fail_on: String,
    /// How a finding with no CVSS score and no label gates (fail closed: high).
    pub unknown_severity: String,
    /// RustSec informational advisories (unmaintained, unsound) trip the gate.
    pub gate_informational: bool,
    /// A database older than this many days makes scans warn.
    pub max_db_age_days: i64,
    /// Where `agent-immune db update` pulls from (URL, directory or zip).
    pub osv_source: String,
    /// Extra ignore list (TOML `[[ignore]]` entries with reason and expiry).
    pub ignore_file: Option<PathBuf>,
}

impl Default for ImmuneConfig {
    fn default() -> Self {
        ImmuneConfig {
            osv_scan_enabled: true,
            osv_cache_dir: PathBuf::from("~/.autonomic/data/immune/osv-cache"),
            sandbox_default: SandboxLevel::Seccomp,
            command_validation_enabled: true,
            fail_on: "high".to_owned(),
            unknown_severity: "high".to_owned(),
            gate_informational: false,
            max_db_age_days: 7,
            osv_source: "https://osv-vulnerabilities.storage.googleapis.com".to_owned(),
            ignore_file: None,
        }
    }
}

/// `[muscle]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MuscleConfig {
    /// Sandbox level for execution unless a workflow node overrides it.
    pub default_sandbox: SandboxLevel,
    /// Guest kernel image for Firecracker microVMs.
    pub firecracker_kernel: PathBuf,
    /// Root filesystem image for Firecracker microVMs.
    pub firecracker_rootfs: PathBuf,
    /// Guest RAM of a microVM, MiB.
    pub vm_memory_mib: u64,
    /// Guest vCPUs of a microVM.
    pub vm_vcpus: u64,
    /// Host paths shown read-only to sandboxed tasks (on top of the
    /// toolchains agent-muscle binds back).
    pub expose: Vec<PathBuf>,
    /// Host paths hidden from sandboxed tasks (on top of the built-in
    /// secrets).
    pub mask: Vec<PathBuf>,
    /// Memory limit of a task's process tree, MiB (levels none and seccomp).
    pub memory_limit_mib: u64,
    /// Process (and thread) limit of a task's tree (levels none and seccomp).
    pub pids_limit: u64,
    /// What a task may add to the workspace's file system, MiB (levels none
    /// and seccomp).
    pub disk_limit_mib: u64,
    /// What to do with what a task left in the workspace that the host
    /// should not trust: `remove` it (or clear set-id bits), or `report` it.
    pub workspace_traps: String,
}

impl Default for MuscleConfig {
    fn default() -> Self {
        MuscleConfig {
            default_sandbox: SandboxLevel::Seccomp,
            firecracker_kernel: PathBuf::from("~/.autonomic/data/vmlinux.bin"),
            firecracker_rootfs: PathBuf::from("~/.autonomic/data/rootfs.ext4"),
            vm_memory_mib: 512,
            vm_vcpus: 1,
            expose: Vec::new(),
            mask: Vec::new(),
            memory_limit_mib: 8192,
            pids_limit: 4096,
            disk_limit_mib: 10240,
            workspace_traps: "remove".to_owned(),
        }
    }
}

/// `[mouth]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MouthConfig {
    /// Parse agent-generated code and validate its syntax tree.
    pub ast_validation: bool,
    /// Slack channel where review decisions are sent for approval.
    pub slack_approval_channel: String,
    /// Minutes to wait for an approval before treating it as denied.
    pub slack_approval_timeout_minutes: u32,
    /// TOML file of user validator rules; `None` means built-in rules only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules_file: Option<PathBuf>,
}

impl Default for MouthConfig {
    fn default() -> Self {
        MouthConfig {
            ast_validation: true,
            slack_approval_channel: "#ops-approvals".to_owned(),
            slack_approval_timeout_minutes: 30,
            rules_file: None,
        }
    }
}

/// `[brain]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BrainConfig {
    /// The SQLite database of facts.
    pub db_path: PathBuf,
    /// Facts below this confidence are never routed to a task.
    pub confidence_threshold: f64,
    /// Age at which a fact's recency weight has fallen halfway, in days.
    pub recency_half_life_days: i64,
}

impl Default for BrainConfig {
    fn default() -> Self {
        BrainConfig {
            db_path: PathBuf::from("~/.autonomic/data/brain/brain.sqlite3"),
            confidence_threshold: 0.3,
            recency_half_life_days: 30,
        }
    }
}

/// `[heart]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HeartConfig {
    /// Minutes between two prune cycles of `autonomic heart run`.
    pub prune_interval_minutes: i64,
    /// Hours an invalidated fact is kept before a prune cycle deletes it.
    pub expired_grace_hours: i64,
    /// Where evicted facts are archived (zstd-compressed JSON Lines).
    pub archive_dir: PathBuf,
    /// Facts kept per project before the lowest-valued are archived.
    pub project_capacity: i64,
    /// Facts kept per session before the lowest-valued are archived.
    pub session_capacity: i64,
    /// Global facts kept before the lowest-valued are archived.
    pub global_capacity: i64,
    /// Most facts per archive file (one crash-safe step of a cycle).
    pub archive_batch_facts: i64,
}

impl Default for HeartConfig {
    fn default() -> Self {
        HeartConfig {
            prune_interval_minutes: 60,
            expired_grace_hours: 168,
            archive_dir: PathBuf::from("~/.autonomic/data/brain/archive"),
            project_capacity: 10_000,
            session_capacity: 2_000,
            global_capacity: 10_000,
            archive_batch_facts: 10_000,
        }
    }
}

impl Config {
    /// Expands `~` in every path-valued key (see [`Paths::expand`]).
    pub fn expand_paths(&mut self, paths: &Paths) {
        let Config {
            immune,
            muscle,
            mouth,
            brain,
            heart,
        } = self;
        for path in [
            &mut immune.osv_cache_dir,
            &mut muscle.firecracker_kernel,
            &mut muscle.firecracker_rootfs,
            &mut brain.db_path,
            &mut heart.archive_dir,
        ] {
            *path = paths.expand_path(path);
        }
        for path in muscle.expose.iter_mut().chain(muscle.mask.iter_mut()) {
            *path = paths.expand_path(path);
        }
        if let Some(rules_file) = &mut mouth.rules_file {
            *rules_file = paths.expand_path(rules_file);
        }
        if let Some(ignore_file) = &mut immune.ignore_file {
            *ignore_file = paths.expand_path(ignore_file);
        }
    }
}

/// The type and constraints of one key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Kind {
    Bool,
    /// An integer in `min..=max`.
    Integer {
        min: i64,
        max: i64,
    },
    /// A number (integer or float) in `min..=max`.
    Float {
        min: f64,
        max: f64,
    },
    /// A string accepted by `check`, which explains a rejection.
    Text {
        check: fn(&str) -> Result<(), String>,
    },
    /// A non-empty path; `~` is expanded after loading.
    Path,
    /// An array of non-empty absolute paths (`~/…` allowed).
    PathList,
    /// One of the names in `values`.
    Choice {
        values: &'static [&'static str],
    },
}

impl Kind {
    /// What a value of this kind looks like, for "expected …" messages.
    pub(crate) fn expected(self) -> String {
        match self {
            Kind::Bool => "a boolean (true or false)".to_owned(),
            Kind::Integer { min, max } => format!("an integer from {min} to {max}"),
            Kind::Float { min, max } => format!("a number from {min} to {max}"),
            Kind::Text { .. } => "a string".to_owned(),
            Kind::Path => "a path string".to_owned(),
            Kind::PathList => "an array of path strings".to_owned(),
            Kind::Choice { values } => format!("one of the strings \"{}\"", values.join("\", \"")),
        }
    }
}

/// One key of a section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KeySpec {
    pub name: &'static str,
    pub kind: Kind,
    /// One line for the commented default file and `config show --json`.
    pub doc: &'static str,
    /// For keys without a default: an example value (TOML) shown commented out.
    pub example: Option<&'static str>,
}

/// One `[section]` of the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SectionSpec {
    pub name: &'static str,
    pub doc: &'static str,
    pub keys: &'static [KeySpec],
}

impl SectionSpec {
    pub(crate) fn key(&self, name: &str) -> Option<&'static KeySpec> {
        self.keys.iter().find(|key| key.name == name)
    }
}

const SANDBOX_LEVELS: &[&str] = &["none", "seccomp", "firecracker"];

const fn key(name: &'static str, kind: Kind, doc: &'static str) -> KeySpec {
    KeySpec {
        name,
        kind,
        doc,
        example: None,
    }
}

/// Every section, in file order.
pub(crate) const SECTIONS: &[SectionSpec] = &[
    SectionSpec {
        name: "immune",
        doc: "agent-immune: dependency scanning and command screening.",
        keys: &[
            key(
                "osv_scan_enabled",
                Kind::Bool,
                "Check packages against the OSV vulnerability database before they are installed.",
            ),
            key(
                "osv_cache_dir",
                Kind::Path,
                "Directory where OSV query results are cached.",
            ),
            key(
                "sandbox_default",
                Kind::Choice {
                    values: SANDBOX_LEVELS,
                },
                "Sandbox for screened commands when no rule is more specific: none, seccomp or firecracker.",
            ),
            key(
                "command_validation_enabled",
                Kind::Bool,
                "Screen every agent command before it runs.",
            ),
            key(
                "fail_on",
                Kind::Choice {
                    values: &["critical", "high", "medium", "low", "none"],
                },
                "Lowest severity that fails a scan (exit 1, security_hold): critical, high, medium, low or none.",
            ),
            key(
                "unknown_severity",
                Kind::Choice {
                    values: &["critical", "high", "medium", "low"],
                },
                "How a finding with no CVSS score and no label gates; \"high\" fails closed.",
            ),
            key(
                "gate_informational",
                Kind::Bool,
                "Let RustSec informational advisories (unmaintained, unsound, notice) trip the gate.",
            ),
            key(
                "max_db_age_days",
                Kind::Integer { min: 1, max: 3650 },
                "Scans warn when the local OSV database is older than this many days.",
            ),
            key(
                "osv_source",
                Kind::Text { check: check_source },
                "Where `agent-immune db update` pulls all.zip files from: a URL, a directory or a zip.",
            ),
            KeySpec {
                example: Some("\"~/.autonomic/immune-ignore.toml\""),
                ..key(
                    "ignore_file",
                    Kind::Path,
                    "TOML file of [[ignore]] entries (id, reason, optional expires) applied to every scan.",
                )
            },
        ],
    },
    SectionSpec {
        name: "muscle",
        doc: "agent-muscle: sandboxed execution.",
        keys: &[
            key(
                "default_sandbox",
                Kind::Choice {
                    values: SANDBOX_LEVELS,
                },
                "Sandbox for execution unless a workflow node overrides it: none, seccomp or firecracker.",
            ),
            key(
                "firecracker_kernel",
                Kind::Path,
                "Guest kernel image (vmlinux) booted in Firecracker microVMs.",
            ),
            key(
                "firecracker_rootfs",
                Kind::Path,
                "Root filesystem image (ext4) for Firecracker microVMs.",
            ),
            key(
                "vm_memory_mib",
                Kind::Integer {
                    min: 64,
                    max: 1_048_576,
                },
                "Guest RAM of a microVM in MiB (64 to 1048576); `exec --memory` overrides it.",
            ),
            key(
                "vm_vcpus",
                Kind::Integer { min: 1, max: 64 },
                "Guest vCPUs of a microVM (1 to 64); `exec --vcpus` overrides it.",
            ),
            key(
                "expose",
                Kind::PathList,
                "Host paths a seccomp-level task sees read-only, on top of the toolchains in your home (`exec --ro-bind` adds more).",
            ),
            key(
                "mask",
                Kind::PathList,
                "Host paths hidden from sandboxed tasks, on top of the built-in secrets (`exec --mask` adds more).",
            ),
            key(
                "memory_limit_mib",
                Kind::Integer {
                    min: 16,
                    max: 16_777_216,
                },
                "Memory limit of a task's process tree in MiB at levels none and seccomp; `exec --memory` overrides it.",
            ),
            key(
                "pids_limit",
                Kind::Integer {
                    min: 8,
                    max: 4_194_304,
                },
                "Processes and threads a task's tree may have at levels none and seccomp; `exec --pids` overrides it.",
            ),
            key(
                "disk_limit_mib",
                Kind::Integer {
                    min: 1,
                    max: 1_073_741_824,
                },
                "What a task may add to the workspace's file system in MiB at levels none and seccomp (no file larger; checked every 100 ms); `exec --disk` overrides it.",
            ),
            key(
                "workspace_traps",
                Kind::Choice {
                    values: &["remove", "report"],
                },
                "What a seccomp-level task left that the host must not trust (set-id bits, FIFOs, device nodes, symlinks out of the workspace, new hooks): remove it, or only report it.",
            ),
        ],
    },
    SectionSpec {
        name: "mouth",
        doc: "agent-mouth: validation of agent-generated code and human approval.",
        keys: &[
            key(
                "ast_validation",
                Kind::Bool,
                "Parse agent-generated code (bash, python, typescript) and validate its syntax tree.",
            ),
            key(
                "slack_approval_channel",
                Kind::Text {
                    check: check_slack_channel,
                },
                "Slack channel (\"#name\" or a channel id) that receives review requests.",
            ),
            key(
                "slack_approval_timeout_minutes",
                Kind::Integer {
                    min: 1,
                    max: 10_080,
                },
                "Minutes to wait for an approval before the action is denied (1 to 10080, one week).",
            ),
            KeySpec {
                example: Some("\"~/.autonomic/rules.toml\""),
                ..key(
                    "rules_file",
                    Kind::Path,
                    "TOML file of extra validator rules; unset means built-in rules only.",
                )
            },
        ],
    },
    SectionSpec {
        name: "brain",
        doc: "agent-brain: scoped, temporal fact memory routed to tasks.",
        keys: &[
            key(
                "db_path",
                Kind::Path,
                "SQLite database holding the facts agents remember.",
            ),
            key(
                "confidence_threshold",
                Kind::Float { min: 0.0, max: 1.0 },
                "Facts below this confidence (0 to 1) are never routed to a task.",
            ),
            key(
                "recency_half_life_days",
                Kind::Integer { min: 1, max: 36_500 },
                "Days after which a fact's recency weight in ranking has fallen halfway (1 to 36500).",
            ),
        ],
    },
    SectionSpec {
        name: "heart",
        doc: "agent-heart: periodic prune and archive cycles.",
        keys: &[
            key(
                "prune_interval_minutes",
                Kind::Integer { min: 1, max: 10_080 },
                "Minutes between two prune cycles of `autonomic heart run` (1 to 10080).",
            ),
            key(
                "expired_grace_hours",
                Kind::Integer { min: 0, max: 87_600 },
                "Hours an invalidated fact is kept before a prune cycle deletes it (0 to 87600).",
            ),
            key(
                "archive_dir",
                Kind::Path,
                "Directory of the zstd JSON Lines archives that evicted facts go to.",
            ),
            key(
                "project_capacity",
                Kind::Integer { min: 1, max: 1_000_000_000 },
                "Facts kept per project; beyond it the lowest-valued are archived.",
            ),
            key(
                "session_capacity",
                Kind::Integer { min: 1, max: 1_000_000_000 },
                "Facts kept per session; beyond it the lowest-valued are archived.",
            ),
            key(
                "global_capacity",
                Kind::Integer { min: 1, max: 1_000_000_000 },
                "Global facts kept; beyond it the lowest-valued are archived.",
            ),
            key(
                "archive_batch_facts",
                Kind::Integer { min: 1, max: 10_000_000 },
                "Most facts per archive file; each file is one crash-safe step of a prune cycle.",
            ),
        ],
    },
];

/// Finds a section by name.
pub(crate) fn section(name: &str) -> Option<&'static SectionSpec> {
    SECTIONS.iter().find(|section| section.name == name)
}

/// A non-empty URL or path.
fn check_source(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("the OSV source must be a URL, a directory or a zip file".to_owned())
    } else {
        Ok(())
    }
}

/// Accepts `#name` or a Slack channel id (`C…`/`G…` followed by letters and digits).
fn check_slack_channel(value: &str) -> Result<(), String> {
    if let Some(name) = value.strip_prefix('#') {
        if name.is_empty() || name.chars().any(char::is_whitespace) {
            return Err("a channel name needs characters after '#' and no spaces".to_owned());
        }
        return Ok(());
    }
    let mut chars = value.chars();
    let id_like = matches!(chars.next(), Some('C' | 'G'))
        && value.len() > 1
        && chars.all(|c| c.is_ascii_alphanumeric());
    if id_like {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is neither a channel name starting with '#' nor a channel id like C0123ABCD"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry and the serde structs must describe the same keys.
    #[test]
    fn registry_matches_structs() {
        let mut config = Config::default();
        config.mouth.rules_file = Some(PathBuf::from("x"));
        let serde_json::Value::Object(sections) = serde_json::to_value(&config).unwrap() else {
            panic!("config serialises to a table");
        };
        let mut names: Vec<&str> = sections.keys().map(String::as_str).collect();
        names.sort_unstable();
        let mut spec_names: Vec<&str> = SECTIONS.iter().map(|s| s.name).collect();
        spec_names.sort_unstable();
        assert_eq!(names, spec_names);
        for spec in SECTIONS {
            let mut keys: Vec<&str> = sections[spec.name]
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            let mut spec_keys: Vec<&str> = spec.keys.iter().map(|k| k.name).collect();
            spec_keys.sort_unstable();
            assert_eq!(keys, spec_keys, "section [{}]", spec.name);
        }
    }

    #[test]
    fn sandbox_choices_match_the_enum() {
        let names: Vec<&str> = SandboxLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(SANDBOX_LEVELS, names.as_slice());
    }

    #[test]
    fn slack_channels() {
        assert!(check_slack_channel("#ops-approvals").is_ok());
        assert!(check_slack_channel("C0123ABCD").is_ok());
        assert!(check_slack_channel("G12").is_ok());
        assert!(check_slack_channel("#").is_err());
        assert!(check_slack_channel("ops").is_err());
        assert!(check_slack_channel("C").is_err());
        assert!(check_slack_channel("C01-23").is_err());
    }
}
