//! The typed configuration: every section and key, each declared once.
//!
//! A key's doc line, type, default and constraints live in one entry of its
//! section's [`section!`] block; the struct field, `Default`, the loader's
//! checks and messages, `config show` and the commented default file all come
//! from it (see `spec.rs`). A choice key's values are declared once with
//! [`choice!`]. Adding a section (say `[spine]`) means one `section!` block
//! and one line in [`config!`].

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::spec::{choice, section, Kind, SectionSpec, Value};
use crate::paths::Paths;
use crate::sandbox::SandboxLevel;
use crate::severity::Severity;

/// Declares [`Config`] (one field per section, named as in the file), the
/// list of [`SectionSpec`]s in file order, and `~` expansion over them all.
macro_rules! config {
    ($($name:ident: $Struct:ident,)*) => {
        /// The whole configuration file, one field per section.
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct Config {
            $(
                #[doc = concat!("`[", stringify!($name), "]`: see [`", stringify!($Struct), "`].")]
                pub $name: $Struct,
            )*
        }

        /// Every section, in file order.
        pub(crate) const SECTIONS: &[SectionSpec] = &[
            $(SectionSpec {
                name: stringify!($name),
                doc: $Struct::DOC,
                keys: $Struct::KEYS,
                removed: $Struct::REMOVED,
            },)*
        ];

        impl Config {
            /// Expands `~` in every path-valued key (see [`Paths::expand`]).
            pub fn expand_paths(&mut self, paths: &Paths) {
                $(self.$name.expand_paths(paths);)*
            }
        }
    };
}

config! {
    immune: ImmuneConfig,
    muscle: MuscleConfig,
    mouth: MouthConfig,
    spine: SpineConfig,
    bus: BusConfig,
    brain: BrainConfig,
    heart: HeartConfig,
    llm: LlmConfig,
}

section! {
    /// agent-immune: dependency scanning against the OSV vulnerability database.
    ImmuneConfig {
        /// Directory of the local OSV database: `agent-immune db update` fills it and scans read it (`--db` overrides it).
        osv_cache_dir: PathBuf = PathBuf::from("~/.autonomic/data/immune/osv-cache"),
        /// Lowest severity that fails a scan (exit 1, security_hold): critical, high, medium, low or none; `--fail-on` overrides it.
        fail_on: FailOn = FailOn::High,
        /// How a finding with no CVSS score and no label gates: critical, high, medium or low; "high" fails closed.
        unknown_severity: UnknownAs = UnknownAs::High,
        /// Let RustSec informational advisories (unmaintained, unsound, notice) trip the gate.
        gate_informational: bool = false,
        /// A package whose version cannot be read, of a name that has advisories, counts as affected (false: reported only).
        block_undecided: bool = true,
        /// `agent-immune scan` warns when the local OSV database is older than this many days.
        #[kind(Kind::Integer { min: 1, max: 3650 })]
        max_db_age_days: i64 = 7,
        /// Where `agent-immune db update` pulls all.zip files from: a URL, a directory or a zip.
        #[kind(Kind::Text { check: check_source })]
        osv_source: String = "https://osv-vulnerabilities.storage.googleapis.com".to_owned(),
        /// TOML file of `[[ignore]]` entries (id, reason, optional expires) applied to every scan.
        #[example("\"~/.autonomic/immune-ignore.toml\"")]
        ignore_file: Option<PathBuf> = None,
    }
    removed {
        osv_scan_enabled: "nothing scans on its own: run `agent-immune scan` (or `scan-patch`) to check dependencies against OSV",
        sandbox_default: "use `muscle.default_sandbox`",
        command_validation_enabled: "every command is validated",
    }
}

section! {
    /// agent-muscle: sandboxed execution.
    MuscleConfig {
        /// Sandbox for `autonomic exec` unless `--sandbox` overrides it: none, seccomp or firecracker.
        default_sandbox: SandboxLevel = SandboxLevel::Seccomp,
        /// Guest kernel image (vmlinux) booted in Firecracker microVMs.
        firecracker_kernel: PathBuf = PathBuf::from("~/.autonomic/data/vmlinux.bin"),
        /// Root filesystem image (ext4) for Firecracker microVMs.
        firecracker_rootfs: PathBuf = PathBuf::from("~/.autonomic/data/rootfs.ext4"),
        /// Guest RAM of a microVM in MiB (64 to 1048576); `exec --memory` overrides it.
        #[kind(Kind::Integer { min: 64, max: 1_048_576 })]
        vm_memory_mib: u64 = 512,
        /// Guest vCPUs of a microVM (1 to 64); `exec --vcpus` overrides it.
        #[kind(Kind::Integer { min: 1, max: 64 })]
        vm_vcpus: u64 = 1,
        /// Host paths a seccomp-level task sees read-only, on top of the toolchains in your home (`exec --ro-bind` adds more).
        expose: Vec<PathBuf> = Vec::new(),
        /// Host paths hidden from sandboxed tasks, on top of the built-in secrets (`exec --mask` adds more).
        mask: Vec<PathBuf> = Vec::new(),
        /// Memory limit of a task's process tree in MiB at levels none and seccomp; `exec --memory` overrides it.
        #[kind(Kind::Integer { min: 16, max: 16_777_216 })]
        memory_limit_mib: u64 = 8192,
        /// Processes and threads a task's tree may have at levels none and seccomp; `exec --pids` overrides it.
        #[kind(Kind::Integer { min: 8, max: 4_194_304 })]
        pids_limit: u64 = 4096,
        /// What a task may add to the workspace's file system in MiB at levels none and seccomp (no file larger; checked every 100 ms); `exec --disk` overrides it.
        #[kind(Kind::Integer { min: 1, max: 1_073_741_824 })]
        disk_limit_mib: u64 = 10240,
        /// What a seccomp-level task left that the host must not trust (set-id bits, FIFOs, device nodes, symlinks out of the workspace, new hooks): remove it, or only report it.
        workspace_traps: WorkspaceTraps = WorkspaceTraps::Remove,
    }
}

section! {
    /// agent-mouth: validation of agent-generated code and human approval.
    MouthConfig {
        /// Reserved for automatic validation of agent-generated code; today only `autonomic validate` reads it, and still validates (with a warning) when it is false.
        ast_validation: bool = true,
        /// Slack channel ("#name" or a channel id) approval requests are posted to when `slack` is on.
        #[kind(Kind::Text { check: check_slack_channel })]
        slack_approval_channel: String = "#ops-approvals".to_owned(),
        /// Minutes an approval request stays answerable (1 to 10080); after that answers to it are refused and `autonomic approvals resend` sends a fresh one — the workflow stays paused until someone answers.
        #[kind(Kind::Integer { min: 1, max: 10_080 })]
        slack_approval_timeout_minutes: u32 = 30,
        /// TOML file of extra validator rules, where `autonomic run` also writes "always" answers; unset means `<home>/rules.toml`, read when it exists (`validate --rules` overrides it).
        #[example("\"~/.autonomic/rules.toml\"")]
        rules_file: Option<PathBuf> = None,
        /// What a program gets that neither agent-mouth's program table, its known list nor a rule knows: "allow" (only the general rules judge it), "shape" (review when its arguments look like an effect: code given to an option, a path in system or home directories), or "review" (always). The README gives the benign review rate of each.
        #[kind(Kind::Choice { values: UNKNOWN_PROGRAMS })]
        unknown_programs: String = "shape".to_owned(),
        /// Post approval requests to Slack and take answers from it while `autonomic serve` runs (needs the bot token, and the app token for Socket Mode or the signing secret for a request URL, in the variables named below).
        slack: bool = false,
        /// Slack user ids (`U…` or `W…`) whose answers count; when empty nobody's do. Bots never count.
        #[kind(Kind::TextList { check: check_slack_user })]
        slack_approvers: Vec<String> = Vec::new(),
        /// How Slack delivers answers: "socket" (Socket Mode: an outgoing WebSocket, no public URL) or "http" (Slack POSTs to a request URL served on `slack_listen`, every request's signature checked).
        #[kind(Kind::Choice { values: SLACK_ANSWERS })]
        slack_answers: String = "socket".to_owned(),
        /// Address the request-URL receiver listens on when `slack_answers = "http"` (put your TLS proxy in front of it).
        #[kind(Kind::Text { check: check_listen_addr })]
        slack_listen: String = "127.0.0.1:3037".to_owned(),
        /// Environment variable holding the Slack bot token (`xoxb-…`) that posts and updates approval requests.
        #[kind(Kind::Text { check: check_env_name })]
        slack_bot_token_env: String = "AUTONOMIC_SLACK_BOT_TOKEN".to_owned(),
        /// Environment variable holding the Slack app-level token (`xapp-…`) Socket Mode connects with.
        #[kind(Kind::Text { check: check_env_name })]
        slack_app_token_env: String = "AUTONOMIC_SLACK_APP_TOKEN".to_owned(),
        /// Environment variable holding the Slack signing secret that verifies requests to the request URL.
        #[kind(Kind::Text { check: check_env_name })]
        slack_signing_secret_env: String = "AUTONOMIC_SLACK_SIGNING_SECRET".to_owned(),
        /// Slack's Web API base URL (only a test or a proxy changes it; plain http is refused except on loopback).
        #[kind(Kind::Text { check: check_base_url })]
        slack_api_url: String = "https://slack.com/api/".to_owned(),
        /// Hosts that links in outbound messages (Slack, GitHub, e-mail) may point to without a human's review: exact (`github.com`) or `*.suffix`.
        #[kind(Kind::TextList { check: check_host_pattern })]
        outbound_allowed_hosts: Vec<String> = vec!["github.com".to_owned()],
        /// Let outbound messages mention everyone (`@channel`, `@here`, `@everyone`, Slack user groups, GitHub teams).
        outbound_mass_mentions: bool = false,
        /// GitHub's REST API base URL (GitHub Enterprise: `https://HOST/api/v3`).
        #[kind(Kind::Text { check: check_base_url })]
        github_api_url: String = "https://api.github.com".to_owned(),
        /// Environment variable holding the GitHub token the GitHub channel sends with.
        #[kind(Kind::Text { check: check_env_name })]
        github_token_env: String = "GITHUB_TOKEN".to_owned(),
        /// SMTP relay the e-mail channel sends through; unset means no e-mail is sent.
        #[kind(Kind::Text { check: check_host })]
        #[example("\"smtp.example.com\"")]
        smtp_host: Option<String> = None,
        /// SMTP port (587 for STARTTLS, 465 for implicit TLS).
        #[kind(Kind::Integer { min: 1, max: 65_535 })]
        smtp_port: u32 = 587,
        /// Transport security: "starttls" (required), "starttls-if-offered", "tls" (implicit, port 465) or "none" (loopback relays only).
        #[kind(Kind::Choice { values: SMTP_TLS })]
        smtp_tls: String = "starttls".to_owned(),
        /// SMTP user name, when the relay wants a login (only ever sent over TLS).
        #[kind(Kind::Text { check: check_not_empty })]
        #[example("\"autonomic\"")]
        smtp_username: Option<String> = None,
        /// Environment variable holding the SMTP password.
        #[kind(Kind::Text { check: check_env_name })]
        smtp_password_env: String = "AUTONOMIC_SMTP_PASSWORD".to_owned(),
        /// The From address of e-mail Autonomic sends.
        #[kind(Kind::Text { check: check_email })]
        #[example("\"autonomic@example.com\"")]
        email_from: Option<String> = None,
        /// The only addresses (or `@domain`s) e-mail may go to; when empty none may.
        #[kind(Kind::TextList { check: check_email_recipient })]
        email_recipients: Vec<String> = Vec::new(),
    }
}

section! {
    /// agent-brain: scoped, temporal fact memory routed to tasks.
    BrainConfig {
        /// SQLite database holding the facts agents remember.
        db_path: PathBuf = PathBuf::from("~/.autonomic/data/brain/brain.sqlite3"),
        /// Facts below this confidence (0 to 1) are never routed to a task.
        #[kind(Kind::Float { min: 0.0, max: 1.0 })]
        confidence_threshold: f64 = 0.3,
        /// Days after which a fact's recency weight in ranking has fallen halfway (1 to 36500).
        #[kind(Kind::Integer { min: 1, max: 36_500 })]
        recency_half_life_days: i64 = 30,
        /// Rank by meaning as well as words when the embedding model is there (false: words alone).
        semantic: bool = true,
        /// Directory of the sentence-embedding model (all-MiniLM-L6-v2) that `autonomic brain fetch-model` fills.
        embedding_model: PathBuf = PathBuf::from("~/.autonomic/models/all-MiniLM-L6-v2"),
        /// Cosine similarity (0 to 1) below which a fact is no semantic match for a task.
        #[kind(Kind::Float { min: 0.0, max: 1.0 })]
        min_similarity: f64 = 0.25,
    }
}

section! {
    /// agent-heart: periodic prune and archive cycles.
    HeartConfig {
        /// Minutes between two prune cycles of `autonomic heart run` (1 to 10080).
        #[kind(Kind::Integer { min: 1, max: 10_080 })]
        prune_interval_minutes: i64 = 60,
        /// Hours an invalidated fact is kept before a prune cycle deletes it (0 to 87600).
        #[kind(Kind::Integer { min: 0, max: 87_600 })]
        expired_grace_hours: i64 = 168,
        /// Directory of the zstd JSON Lines archives that evicted facts go to.
        archive_dir: PathBuf = PathBuf::from("~/.autonomic/data/brain/archive"),
        /// Facts kept per project; beyond it the lowest-valued are archived.
        #[kind(Kind::Integer { min: 1, max: 1_000_000_000 })]
        project_capacity: i64 = 10_000,
        /// Facts kept per session; beyond it the lowest-valued are archived.
        #[kind(Kind::Integer { min: 1, max: 1_000_000_000 })]
        session_capacity: i64 = 2_000,
        /// Global facts kept; beyond it the lowest-valued are archived.
        #[kind(Kind::Integer { min: 1, max: 1_000_000_000 })]
        global_capacity: i64 = 10_000,
        /// Most facts per archive file; each file is one crash-safe step of a prune cycle.
        #[kind(Kind::Integer { min: 1, max: 10_000_000 })]
        archive_batch_facts: i64 = 10_000,
    }
}

section! {
    /// agent-spine: the guarded path (`autonomic run`, the agent hooks, the MCP server).
    SpineConfig {
        /// A command that needs review where no one can be asked (`autonomic run` without a terminal, the MCP server): refuse it, or allow it and audit the approval as given by this policy; `--on-review` overrides it.
        review_without_terminal: ReviewPolicy = ReviewPolicy::Refuse,
        /// SQLite journal of workflow runs: every transition is written here before it takes effect.
        journal_path: PathBuf = PathBuf::from("~/.autonomic/data/spine/journal.sqlite3"),
        /// Days a finished run's journal is kept before `autonomic serve` prunes it (1 to 36500).
        #[kind(Kind::Integer { min: 1, max: 36_500 })]
        keep_finished_days: i64 = 30,
    }
}

section! {
    /// The event bus: workflow events are always published in process; with a NATS server they also go to `autonomic.wf.<id>.<event>`.
    BusConfig {
        /// NATS server to publish events to and take approval answers from (`autonomic.approval.<id>`), e.g. "nats://127.0.0.1:4222"; unset means in process only.
        #[kind(Kind::Text { check: check_nats_url })]
        #[example("\"nats://127.0.0.1:4222\"")]
        nats_url: Option<String> = None,
        /// Events held in memory while the NATS server is unreachable, published when it is back (100 to 10000000); the journal keeps every event regardless.
        #[kind(Kind::Integer { min: 100, max: 10_000_000 })]
        nats_buffer_events: u64 = 10_000,
    }
}

section! {
    /// autonomic-llm: the local language model behind Prompt nodes and `autonomic llm`.
    LlmConfig {
        /// Where completions come from: "embedded" (a GGUF model run in process, no server) or "openai" (an OpenAI-compatible HTTP endpoint such as llama.cpp's server, vLLM, Ollama or `autonomic llm serve`).
        backend: LlmBackend = LlmBackend::Embedded,
        /// GGUF model file the embedded back-end loads; `autonomic llm fetch` puts SmolLM2-135M-Instruct here.
        model_path: PathBuf = PathBuf::from("~/.autonomic/models/SmolLM2-135M-Instruct.Q4_1.gguf"),
        /// Base URL of the OpenAI-compatible endpoint (backend "openai"); anything but a loopback address needs `allow_remote`.
        #[kind(Kind::Text { check: check_base_url })]
        base_url: String = "http://127.0.0.1:8080/v1".to_owned(),
        /// Model name sent to the endpoint and served by `autonomic llm serve`.
        #[kind(Kind::Text { check: check_not_empty })]
        model: String = "SmolLM2-135M-Instruct".to_owned(),
        /// Name of the environment variable holding the endpoint's API key (the key itself never goes in a file).
        #[kind(Kind::Text { check: check_env_name })]
        #[example("\"OPENAI_API_KEY\"")]
        api_key_env: Option<String> = None,
        /// Let prompts and images go to an endpoint that is not on this machine.
        allow_remote: bool = false,
        /// How the endpoint is asked for schema-shaped output: "response_format" (OpenAI's json_schema), "llama_cpp" (also llama.cpp's json_schema field, compiled to a grammar by its server) or "none" (only the prompt); the reply is always validated here.
        structured_output: StructuredOutput = StructuredOutput::ResponseFormat,
        /// Seconds to wait for the endpoint's TCP connection (1 to 600).
        #[kind(Kind::Integer { min: 1, max: 600 })]
        connect_timeout_secs: u64 = 5,
        /// Seconds to wait for the first token of a reply (1 to 3600).
        #[kind(Kind::Integer { min: 1, max: 3600 })]
        first_token_timeout_secs: u64 = 120,
        /// Seconds a whole reply may take (1 to 86400).
        #[kind(Kind::Integer { min: 1, max: 86_400 })]
        request_timeout_secs: u64 = 600,
        /// Retries after a connection error, 429 or 5xx, with backoff and jitter (0 to 10); a reply that started streaming is never retried.
        #[kind(Kind::Integer { min: 0, max: 10 })]
        max_retries: u64 = 3,
        /// Times a reply that does not satisfy the requested schema is asked for again (0 to 10).
        #[kind(Kind::Integer { min: 0, max: 10 })]
        schema_retries: u64 = 2,
        /// Most tokens a completion may generate (1 to 131072).
        #[kind(Kind::Integer { min: 1, max: 131_072 })]
        max_tokens: u64 = 512,
        /// Sampling temperature (0 to 2); 0 is greedy decoding.
        #[kind(Kind::Float { min: 0.0, max: 2.0 })]
        temperature: f64 = 0.0,
        /// Nucleus sampling: the smallest set of tokens whose probabilities reach this share (0 to 1; 1 keeps all).
        #[kind(Kind::Float { min: 0.0, max: 1.0 })]
        top_p: f64 = 1.0,
        /// Seed of the sampler: the same seed, prompt and model give the same output.
        #[kind(Kind::Integer { min: 0, max: i64::MAX })]
        seed: u64 = 0,
        /// Threads the embedded back-end computes on (1 to 256); one leaves the other core of a 2-core machine to the runtime.
        #[kind(Kind::Integer { min: 1, max: 256 })]
        threads: u64 = 1,
        /// Requests `autonomic llm serve` holds waiting for the model before it answers 429 (0 to 1024).
        #[kind(Kind::Integer { min: 0, max: 1024 })]
        serve_queue: u64 = 8,
    }
}

choice! {
    /// `[llm] backend`: where completions come from.
    pub enum LlmBackend {
        /// A GGUF model run in process.
        Embedded = "embedded",
        /// An OpenAI-compatible HTTP endpoint.
        Openai = "openai",
    }
}

choice! {
    /// `[llm] structured_output`: how an endpoint is asked for schema-shaped output.
    pub enum StructuredOutput {
        /// OpenAI's `response_format` with a JSON schema.
        ResponseFormat = "response_format",
        /// `response_format` and llama.cpp's `json_schema` field.
        LlamaCpp = "llama_cpp",
        /// Neither: the schema is only in the prompt.
        None = "none",
    }
}

choice! {
    /// `[spine] review_without_terminal`: a review nobody can answer.
    pub enum ReviewPolicy {
        /// Refuse it (exit 3), with the reason.
        Refuse = "refuse",
        /// Run it; the approval is audited as the policy's.
        Allow = "allow",
    }
}

choice! {
    /// `[immune] fail_on`: the lowest severity that fails a scan.
    pub enum FailOn {
        /// Only CRITICAL fails.
        Critical = "critical",
        /// HIGH and above fail.
        High = "high",
        /// MEDIUM and above fail.
        Medium = "medium",
        /// Every scored finding fails.
        Low = "low",
        /// Nothing fails.
        None = "none",
    }
}

impl FailOn {
    /// The lowest severity that fails; `None` when nothing does.
    pub const fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Critical => Some(Severity::Critical),
            FailOn::High => Some(Severity::High),
            FailOn::Medium => Some(Severity::Medium),
            FailOn::Low => Some(Severity::Low),
            FailOn::None => None,
        }
    }
}

choice! {
    /// `[immune] unknown_severity`: the severity a finding with no CVSS score
    /// and no label gates as.
    pub enum UnknownAs {
        /// Gate as CRITICAL.
        Critical = "critical",
        /// Gate as HIGH (fail closed at the default `fail_on`).
        High = "high",
        /// Gate as MEDIUM.
        Medium = "medium",
        /// Gate as LOW.
        Low = "low",
    }
}

impl UnknownAs {
    /// The severity such a finding gates as.
    pub const fn severity(self) -> Severity {
        match self {
            UnknownAs::Critical => Severity::Critical,
            UnknownAs::High => Severity::High,
            UnknownAs::Medium => Severity::Medium,
            UnknownAs::Low => Severity::Low,
        }
    }
}

choice! {
    /// `[muscle] workspace_traps`: what to do with what a task left in the
    /// workspace that the host should not trust.
    pub enum WorkspaceTraps {
        /// Remove it (or clear its set-id bits), and report it.
        Remove = "remove",
        /// Only report it.
        Report = "report",
    }
}

/// The names of [`SandboxLevel`] in the file (a unit test checks they match).
const SANDBOX_LEVELS: &[&str] = &["none", "seccomp", "firecracker"];
const UNKNOWN_PROGRAMS: &[&str] = &["allow", "shape", "review"];

/// How Slack delivers answers.
const SLACK_ANSWERS: &[&str] = &["socket", "http"];

/// SMTP transport security.
const SMTP_TLS: &[&str] = &["starttls", "starttls-if-offered", "tls", "none"];

/// A Slack user id: `U` or `W`, then upper-case letters and digits.
fn check_slack_user(value: &str) -> Result<(), String> {
    let mut chars = value.chars();
    let ok = matches!(chars.next(), Some('U' | 'W'))
        && (2..=32).contains(&value.len())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not a Slack user id (U or W then capital letters and digits, e.g. U0123ABCD; a profile's \"Copy member ID\" gives it)"
        ))
    }
}

/// `host:port` or `[v6]:port` with a port.
fn check_listen_addr(value: &str) -> Result<(), String> {
    value
        .parse::<std::net::SocketAddr>()
        .map(|_| ())
        .map_err(|_| format!("`{value}` is not an IP address and port such as 127.0.0.1:3037"))
}

/// A DNS name or IP address: letters, digits, `-`, `.`, `:`, `[`, `]`.
fn check_host(value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value.len() <= 253
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | ':' | '[' | ']'));
    if ok {
        Ok(())
    } else {
        Err(format!("`{value}` is not a host name or IP address"))
    }
}

/// A host, or `*.` and a host suffix.
fn check_host_pattern(value: &str) -> Result<(), String> {
    let host = value.strip_prefix("*.").unwrap_or(value);
    check_host(host)
        .and_then(|()| {
            if host.contains('*') || !host.contains(|c: char| c.is_ascii_alphanumeric()) {
                Err(String::new())
            } else {
                Ok(())
            }
        })
        .map_err(|_| format!("`{value}` is neither a host (github.com) nor `*.` and a host suffix (*.example.com)"))
}

/// One address: `local@domain`, no spaces, brackets, commas or quotes.
fn check_email(value: &str) -> Result<(), String> {
    let ok = value.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && check_host(domain).is_ok()
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>,;:\"()[]\\@".contains(c))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not one e-mail address such as ops@example.com"
        ))
    }
}

/// An address, or `@domain` for any address there.
fn check_email_recipient(value: &str) -> Result<(), String> {
    match value.strip_prefix('@') {
        Some(domain) if domain.contains('.') && check_host(domain).is_ok() => Ok(()),
        Some(_) => Err(format!(
            "`{value}` is not `@` and a domain such as @example.com"
        )),
        None => check_email(value),
    }
}

impl Value for SandboxLevel {
    const KIND: Option<Kind> = Some(Kind::Choice {
        values: SANDBOX_LEVELS,
    });
}

/// Finds a section by name.
pub(crate) fn section(name: &str) -> Option<&'static SectionSpec> {
    SECTIONS.iter().find(|section| section.name == name)
}

/// A non-empty string.
fn check_not_empty(value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err("must not be empty".to_owned())
    } else {
        Ok(())
    }
}

/// An `http://` or `https://` URL with a host.
fn check_base_url(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("http://")
        .or_else(|| value.strip_prefix("https://"))
        .ok_or_else(|| format!("`{value}` is not an http:// or https:// URL"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(format!("`{value}` has no host (or contains spaces)"));
    }
    Ok(())
}

/// A `nats://` (or `tls://`) URL with a host.
fn check_nats_url(value: &str) -> Result<(), String> {
    let rest = value
        .strip_prefix("nats://")
        .or_else(|| value.strip_prefix("tls://"))
        .ok_or_else(|| format!("`{value}` is not a nats:// or tls:// URL"))?;
    let host = rest.rsplit('@').next().unwrap_or_default();
    let host = host.split(['/', '?', '#']).next().unwrap_or_default();
    if host.is_empty() || value.chars().any(char::is_whitespace) {
        return Err(format!("`{value}` has no host (or contains spaces)"));
    }
    Ok(())
}

/// A POSIX environment variable name (letters, digits, `_`; not starting with a digit).
fn check_env_name(value: &str) -> Result<(), String> {
    let valid = !value.is_empty()
        && !value.starts_with(|c: char| c.is_ascii_digit())
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if valid {
        Ok(())
    } else {
        Err(format!(
            "`{value}` is not an environment variable name: give the variable's name, never the key itself"
        ))
    }
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

    #[test]
    fn sandbox_choices_match_the_enum() {
        let names: Vec<&str> = SandboxLevel::ALL.iter().map(|l| l.as_str()).collect();
        assert_eq!(SANDBOX_LEVELS, names.as_slice());
    }

    /// The doc line of a choice key names every value it takes.
    #[test]
    fn choice_docs_name_their_values() {
        for section in SECTIONS {
            for key in section.keys {
                if let Kind::Choice { values } = key.kind {
                    for value in values {
                        assert!(
                            key.doc.contains(value),
                            "{}.{}: the doc does not mention {value}",
                            section.name,
                            key.name
                        );
                    }
                }
            }
        }
    }

    /// Key names are unique across the file (so "belongs in [section]" is
    /// unambiguous), and a removed key is not also a key.
    #[test]
    fn names_are_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for section in SECTIONS {
            for key in section.keys {
                assert!(seen.insert(key.name), "{} is declared twice", key.name);
            }
            for removed in section.removed {
                assert!(section.key(removed.name).is_none(), "{}", removed.name);
            }
        }
    }

    #[test]
    fn choices_round_trip() {
        for value in FailOn::ALL {
            assert_eq!(value.as_str().parse::<FailOn>(), Ok(*value));
        }
        assert_eq!(FailOn::None.threshold(), None);
        assert_eq!(UnknownAs::High.severity(), Severity::High);
        let err = "both".parse::<WorkspaceTraps>().unwrap_err();
        assert_eq!(
            err.to_string(),
            "\"both\" is not one of \"remove\", \"report\""
        );
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
