//! `agent-immune` (also `autonomic immune`): offline OSV scans of lockfiles
//! and manifests, and the pull-only database commands.

use std::collections::BTreeSet;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use agent_immune::osv::{self, Database, DbError, Progress, Source};
use agent_immune::pipeline::{
    self, Hold, PatchInput, PatchRequest, PatchVerdict, ScanError, ScanRequest, ScanVerdict,
};
use agent_immune::report;
use agent_immune::Ecosystem;
use anyhow::Context as _;
use autonomic_core::audit::{Actor, AuditLog};
use autonomic_core::config::{Config, LoadedConfig};
use autonomic_core::paths::Paths;
use autonomic_core::Severity;
use clap::{Args, Parser, Subcommand, ValueEnum};

use agent_spine::profiles;

/// Clean, or nothing at or above the threshold.
pub const EXIT_CLEAN: u8 = 0;
/// Findings at or above `--fail-on`.
pub const EXIT_FINDINGS: u8 = 1;
/// Usage or input error (unparsable lockfile, bad config).
pub const EXIT_USAGE: u8 = 2;
/// The OSV database is missing or unusable.
pub const EXIT_DB: u8 = 4;

const EXIT_CODES: &str = "\
Exit codes:
  0  clean: nothing at or above --fail-on
  1  findings at or above --fail-on (the workflow goes to security_hold)
  2  usage or input error (bad arguments, unparsable lockfile or config)
  4  the local OSV database is missing or unusable (run `agent-immune db update`)";

/// Offline vulnerability scanner for dependency graphs (OSV).
#[derive(Debug, Parser)]
#[command(name = "agent-immune", version, after_help = EXIT_CODES)]
pub struct Cli {
    /// Autonomic home directory (overrides $AUTONOMIC_HOME; default ~/.autonomic).
    #[arg(long, global = true, value_name = "DIR")]
    pub home: Option<PathBuf>,
    #[command(subcommand)]
    pub command: ImmuneCommand,
}

/// The subcommands, shared with `autonomic immune`.
#[derive(Debug, Subcommand)]
pub enum ImmuneCommand {
    /// Scan lockfiles and manifests against the local OSV database (never touches the network).
    Scan(ScanArgs),
    /// Scan only what a patch introduces or changes in manifests and lockfiles.
    ScanPatch(PatchArgs),
    /// Propose the upgrades that clear a scan's findings: edits to manifests
    /// and pins (as a unified diff for `git apply`) and the package manager
    /// steps that rewrite lockfiles. Never edits a file or runs a command.
    Fix(FixArgs),
    /// Manage the local OSV database.
    #[command(subcommand)]
    Db(DbCommand),
    /// Syscall profiles for agent-muscle's seccomp level (policy as reviewed data).
    #[command(subcommand)]
    Profile(ProfileCommand),
}

/// `profile` subcommands.
#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// List the profiles: the built-ins, then the user's (<home>/profiles/NAME.toml).
    List,
    /// Show a profile's syscall groups, each with the reason it is needed.
    Show {
        /// Profile name (see `profile list`).
        name: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print which profile a command maps to, and why.
    For {
        /// The command.
        #[arg(last = true, required = true, value_name = "CMD")]
        command: Vec<String>,
    },
    /// Run a command under a tracer and write a minimal profile of the syscalls it makes.
    Learn(LearnArgs),
}

/// `profile learn` arguments.
#[derive(Debug, Args)]
#[command(after_help = "\
The command runs ON THE HOST, WITHOUT A SANDBOX, under ptrace: learn only from
commands you trust. Every thread and child process is followed. Its output goes
to stderr; stdin is /dev/null; the environment is scrubbed as for `autonomic exec`.

The profile is minimal: the floor and the loader group (part of every profile)
plus exactly the syscalls seen, filed under the reviewed group that covers them,
else under `observed` (review those before use). Syscalls and socket families the
sandbox never allows are left out with a warning: the sandbox would kill them.
It is written as reviewed TOML to <home>/profiles/NAME.toml (or --output FILE),
never over an existing file without --force. Use it with
`autonomic exec --sandbox seccomp --profile NAME -- CMD...`.

One run only sees the paths its inputs take: learn from a representative run.

Exit codes: 0 profile written (also when the command itself failed: a warning
says so), 2 the command could not be started or traced, or bad arguments.")]
pub struct LearnArgs {
    /// Name of the new profile (letters, digits, `-`, `_`, `.`); must not be a built-in's.
    #[arg(long, value_name = "NAME")]
    pub name: String,
    /// Write here instead of <home>/profiles/NAME.toml (the file's stem must be NAME to be found by name).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Overwrite an existing profile file.
    #[arg(long)]
    pub force: bool,
    /// Wall-clock limit for the run, e.g. 60s, 500ms, 5m; the whole tree is killed then.
    #[arg(long, value_parser = crate::args::parse_duration, default_value = "60s")]
    pub timeout: Duration,
    /// Working directory of the command (default: the current directory).
    #[arg(long, value_name = "DIR")]
    pub workspace: Option<PathBuf>,
    /// Environment variables to pass through (the environment is scrubbed otherwise).
    #[arg(long = "env", value_name = "NAME")]
    pub env: Vec<String>,
    /// The command and its arguments.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// `scan-patch` arguments.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("input").required(true).args(["diff", "before"])))]
pub struct PatchArgs {
    /// A unified diff (as produced by `git diff` or an LLM), applied to --root.
    #[arg(long, value_name = "FILE")]
    pub diff: Option<PathBuf>,
    /// The project the diff applies to.
    #[arg(long, value_name = "DIR", default_value = ".", requires = "diff")]
    pub root: PathBuf,
    /// The tree before the change.
    #[arg(long, value_name = "DIR", requires = "after")]
    pub before: Option<PathBuf>,
    /// The tree after the change.
    #[arg(long, value_name = "DIR", requires = "before")]
    pub after: Option<PathBuf>,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
    /// Lowest severity that fails (default: `[immune] fail_on`).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Use this OSV cache directory instead of `[immune] osv_cache_dir`.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    /// One line per finding, most severe first, then a summary.
    Text,
    /// Stable JSON (schema_version 1).
    Json,
    /// SARIF 2.1.0.
    Sarif,
    /// Aligned table.
    Table,
}

/// Gate thresholds.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FailOn {
    /// Only CRITICAL blocks.
    Critical,
    /// HIGH and above block.
    High,
    /// MEDIUM and above block.
    Medium,
    /// Everything blocks.
    Low,
    /// Nothing blocks.
    None,
}

/// `scan` arguments.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// What to scan.
    #[command(flatten)]
    pub input: ScanInput,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: Format,
    /// Lowest severity that fails the scan (default: `[immune] fail_on`, itself `high`).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Do not append the scan's decision to the audit log.
    #[arg(long)]
    pub no_audit: bool,
}

/// The files a scan reads and the database it reads them against (shared
/// by `scan` and `fix`).
#[derive(Debug, Args)]
pub struct ScanInput {
    /// Lockfile, manifest or directory to scan (repeatable; default: the
    /// current directory).
    #[arg(long, short = 'm', value_name = "PATH")]
    pub manifest: Vec<PathBuf>,
    /// Find every supported file under a directory.
    #[arg(long, short = 'r')]
    pub recursive: bool,
    /// Extra ignore file (`[[ignore]]` entries with id, reason, optional
    /// expires); ignored findings neither block nor get fixed.
    #[arg(long, value_name = "FILE")]
    pub ignore_file: Vec<PathBuf>,
    /// Use this OSV cache directory instead of `[immune] osv_cache_dir`.
    #[arg(long, value_name = "DIR")]
    pub db: Option<PathBuf>,
}

impl ScanInput {
    fn request(&self, fail_on: Option<pipeline::FailOn>) -> ScanRequest {
        ScanRequest {
            manifests: if self.manifest.is_empty() {
                vec![PathBuf::from(".")]
            } else {
                self.manifest.clone()
            },
            recursive: self.recursive,
            ignore_files: self.ignore_file.clone(),
            fail_on,
            db: self.db.clone(),
        }
    }
}

/// `fix` arguments.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// What to scan.
    #[command(flatten)]
    pub input: ScanInput,
    /// Propose only (required: `fix` never edits files; apply the diff
    /// with `git apply` after reviewing it).
    #[arg(long, required = true)]
    pub dry_run: bool,
    /// Output: `text` for a person, `diff` (the edits as a unified diff,
    /// the steps on stderr) or `json`.
    #[arg(long, short = 'f', value_enum, default_value = "text")]
    pub format: FixFormat,
}

/// `fix` output formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FixFormat {
    /// Edits, steps and what no upgrade fixes.
    Text,
    /// The edits as a unified diff (`git apply`, `patch -p1`).
    Diff,
    /// The plan as JSON.
    Json,
}

/// `db` subcommands.
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Pull OSV archives (pull-only) and rebuild the index atomically.
    Update {
        /// A mirror URL (files at URL/<Ecosystem>/all.zip), a directory laid out the same way, or one all.zip.
        #[arg(long, value_name = "URL|DIR|ZIP")]
        source: Option<String>,
        /// Ecosystems to update (default: crates.io, npm, PyPI, Go, RubyGems, Packagist).
        #[arg(long = "ecosystem", value_name = "NAME")]
        ecosystems: Vec<String>,
        /// Use this cache directory instead of `[immune] osv_cache_dir`.
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
    },
    /// Show ecosystems, record counts, sizes and age.
    Status {
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Use this cache directory instead of `[immune] osv_cache_dir`.
        #[arg(long, value_name = "DIR")]
        db: Option<PathBuf>,
    },
}

/// Runs the `agent-immune` binary.
pub fn main_with(cli: Cli) -> ExitCode {
    let paths = match cli.home {
        Some(h) => Ok(Paths::with_home(h)),
        None => Paths::from_env().map_err(anyhow::Error::from),
    };
    let result = paths.and_then(|p| {
        let config = Config::load(&p).map_err(anyhow::Error::from);
        match config {
            Ok(c) => run(&cli.command, &p, &c),
            Err(e) => {
                crate::render::error(&e);
                Ok(ExitCode::from(EXIT_USAGE))
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            crate::render::error(&e);
            ExitCode::from(if is_database_error(&e) {
                EXIT_DB
            } else {
                EXIT_USAGE
            })
        }
    }
}

/// True when `error` comes from a missing or unusable OSV database (exit
/// code [`EXIT_DB`]), not from the input.
pub fn is_database_error(error: &anyhow::Error) -> bool {
    error.chain().any(|c| {
        c.downcast_ref::<DbError>().is_some()
            || c.downcast_ref::<ScanError>()
                .is_some_and(ScanError::is_database)
    })
}

/// Runs one subcommand with resolved paths and configuration.
pub fn run(cmd: &ImmuneCommand, paths: &Paths, config: &LoadedConfig) -> anyhow::Result<ExitCode> {
    match cmd {
        ImmuneCommand::Scan(args) => scan(args, paths, config),
        ImmuneCommand::ScanPatch(args) => scan_patch(args, paths, config),
        ImmuneCommand::Fix(args) => fix(args, config),
        ImmuneCommand::Profile(cmd) => profile(cmd, paths),
        ImmuneCommand::Db(DbCommand::Update {
            source,
            ecosystems,
            db,
        }) => update(source.as_deref(), ecosystems, db.as_deref(), config),
        ImmuneCommand::Db(DbCommand::Status { json, db }) => status(*json, db.as_deref(), config),
    }
}

impl FailOn {
    fn threshold(self) -> pipeline::FailOn {
        match self {
            FailOn::Critical => pipeline::FailOn::At(Severity::Critical),
            FailOn::High => pipeline::FailOn::At(Severity::High),
            FailOn::Medium => pipeline::FailOn::At(Severity::Medium),
            FailOn::Low => pipeline::FailOn::At(Severity::Low),
            FailOn::None => pipeline::FailOn::Never,
        }
    }
}

fn cache_dir(config: &LoadedConfig, over: Option<&Path>) -> PathBuf {
    pipeline::cache_dir(&config.config.immune, over)
}

/// Exit code of a verdict.
fn exit(verdict: &ScanVerdict) -> ExitCode {
    ExitCode::from(if verdict.is_hold() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    })
}

/// `scan`: agent-immune's pipeline, rendered; findings are audited.
fn scan(args: &ScanArgs, paths: &Paths, config: &LoadedConfig) -> anyhow::Result<ExitCode> {
    let request = args.input.request(args.fail_on.map(FailOn::threshold));
    let now = time::OffsetDateTime::now_utc();
    let prepared = pipeline::prepare_scan(&request, &config.config.immune, now)?;
    for w in prepared.warnings() {
        eprintln!("warning: {w}");
    }
    let verdict = prepared.run()?;
    // The process ends right after the report: let the OS reclaim the
    // decoded index instead of walking it to free it.
    std::mem::forget(prepared);
    let report = &verdict.report;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text if autonomic_core::env::colour(std::io::stdout().is_terminal()) => {
            write!(out, "{}", report::text_coloured(report))?
        }
        Format::Text => write!(out, "{}", report::text(report))?,
        Format::Table => write!(out, "{}", report::table(report))?,
        Format::Json => {
            // The report, and what the scan had to assume (stale database,
            // lockfile notes), which text output puts on stderr.
            let mut json = report::json(report);
            json["warnings"] = serde_json::to_value(&verdict.warnings)?;
            writeln!(out, "{}", serde_json::to_string_pretty(&json)?)?
        }
        Format::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report::sarif(report))?
        )?,
    }
    if !args.no_audit && !report.findings.is_empty() {
        let log = AuditLog::open(&paths.audit_log)?;
        log.append(verdict.audit_event(&Actor::Cli))?;
    }
    Ok(exit(&verdict))
}

/// `fix --dry-run`: scans like `scan`, then prints what clears the findings.
fn fix(args: &FixArgs, config: &LoadedConfig) -> anyhow::Result<ExitCode> {
    let request = args.input.request(None);
    let now = time::OffsetDateTime::now_utc();
    let prepared = pipeline::prepare_scan(&request, &config.config.immune, now)?;
    for w in prepared.warnings() {
        eprintln!("warning: {w}");
    }
    let verdict = prepared.run()?;
    let plan = agent_immune::fix::plan(&verdict.report);
    let mut out = std::io::stdout().lock();
    match args.format {
        FixFormat::Text => write!(out, "{}", plan.text())?,
        FixFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&plan)?)?,
        FixFormat::Diff => {
            let (diff, stale) = plan.diff();
            write!(out, "{diff}")?;
            for s in stale {
                eprintln!("warning: {s}");
            }
            for s in &plan.steps {
                eprintln!("then: {} ({})", s.action, s.why);
            }
            for u in &plan.unfixable {
                eprintln!(
                    "not fixable: {} {} ({}): {}",
                    u.package,
                    u.version,
                    u.ids.join(", "),
                    u.reason
                );
            }
        }
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}

fn profile(cmd: &ProfileCommand, paths: &Paths) -> anyhow::Result<ExitCode> {
    use agent_immune::profile::{SocketFamily, FLOOR};
    let mut out = std::io::stdout().lock();
    match cmd {
        ProfileCommand::List => {
            for p in profiles::all(paths)? {
                let origin = p
                    .source
                    .as_ref()
                    .map(|f| format!("  [user: {}]", f.display()))
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:<12} {:>3} syscalls  {}{origin}",
                    p.name,
                    p.syscalls().len(),
                    p.description
                )?;
            }
        }
        ProfileCommand::Show { name, json } => {
            let p = profiles::find(paths, name)?;
            if *json {
                let v = serde_json::json!({
                    "name": p.name,
                    "description": p.description,
                    "learned_from": p.learned_from,
                    "source": p.source,
                    "floor": FLOOR,
                    "groups": p.groups,
                    "socket_families": p.socket_families,
                    "socket_refused": p.socket_refused,
                    "syscalls": p.syscalls(),
                });
                writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
            } else {
                writeln!(out, "{}: {}", p.name, p.description)?;
                if let Some(file) = &p.source {
                    writeln!(out, "user profile: {}", file.display())?;
                }
                if let Some(learned) = &p.learned_from {
                    writeln!(out, "learned from: {learned}")?;
                }
                writeln!(
                    out,
                    "socket families: {}",
                    if p.socket_families.is_empty() {
                        "none".to_string()
                    } else {
                        SocketFamily::list(&p.socket_families)
                    }
                )?;
                for (family, reason) in &p.socket_refused {
                    writeln!(out, "refused (EAFNOSUPPORT, no kill): {family} — {reason}")?;
                }
                writeln!(
                    out,
                    "\n[{}] {}\n  {}",
                    FLOOR.name,
                    FLOOR.reason,
                    FLOOR.syscalls.join(" ")
                )?;
                for g in &p.groups {
                    writeln!(
                        out,
                        "\n[{}] {}\n  {}",
                        g.name,
                        g.reason,
                        g.syscalls.join(" ")
                    )?;
                }
                writeln!(
                    out,
                    "\n{} distinct syscalls; agent-muscle's block list always wins over this list",
                    p.syscalls().len()
                )?;
            }
        }
        ProfileCommand::For { command } => {
            // The same resolution `autonomic exec` uses (a shell string is
            // composed from the programs it runs).
            let resolved = profiles::resolve(paths, command, None, false)?;
            writeln!(out, "{}: {}", resolved.profile.name, resolved.reason)?;
        }
        ProfileCommand::Learn(args) => learn(args, paths)?,
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}

/// `profile learn`: trace (agent-muscle), build the profile (agent-immune),
/// check it against the sandbox's table, write it.
fn learn(args: &LearnArgs, paths: &Paths) -> anyhow::Result<()> {
    use agent_immune::profile::{self as policy, Observation, SandboxTables};
    use agent_muscle::exec::{EnvPolicy, Exit};
    use agent_muscle::trace::{record_syscalls, TraceOutput, TraceSpec};

    policy::check_name(&args.name).map_err(anyhow::Error::msg)?;
    if policy::find(&args.name).is_some() {
        anyhow::bail!(
            "`{}` is a built-in profile; choose another name for a learned one",
            args.name
        );
    }
    let file = match &args.output {
        Some(f) => f.clone(),
        None => profiles::user_file(paths, &args.name),
    };
    if file.exists() && !args.force {
        anyhow::bail!(
            "{} already exists; pass --force to overwrite it",
            file.display()
        );
    }
    let workspace = match &args.workspace {
        Some(w) => w.clone(),
        None => std::env::current_dir().context("reading the current directory")?,
    };
    let command = policy::display_command(&args.command);
    let spec = TraceSpec {
        argv: args.command.clone(),
        workspace,
        env: if args.env.is_empty() {
            EnvPolicy::Scrubbed
        } else {
            EnvPolicy::Allow(args.env.clone())
        },
        timeout: args.timeout,
        output: TraceOutput::Stderr,
    };
    let trace = record_syscalls(&spec)
        .with_context(|| format!("cannot learn a profile from `{command}`"))?;

    let names = trace.names();
    let seen: BTreeSet<&str> = names.keys().copied().collect();
    let date = time::OffsetDateTime::now_utc().date().to_string();
    let learned = policy::learn(
        &Observation {
            name: &args.name,
            command: &args.command,
            date: &date,
            syscalls: &seen,
            socket_domains: &trace.socket_domains,
        },
        &SandboxTables {
            hard_blocked: agent_muscle::bpf::NEVER_ALLOWED,
            socket_families: agent_muscle::bpf::SOCKET_FAMILIES,
        },
    );
    let profile = learned.profile;
    for s in profile.syscalls() {
        profiles::check_syscall(s).map_err(|why| anyhow::anyhow!("syscall `{s}`: {why}"))?;
    }

    for r in &learned.refused {
        eprintln!(
            "warning: `{command}` made {}, which the sandbox kills whatever the profile says ({}); left out",
            r.what, r.reason
        );
    }
    let unknown = trace.unknown_numbers();
    if !unknown.is_empty() {
        eprintln!(
            "warning: syscall numbers {unknown:?} are not in the x86_64 table; the sandbox answers them ENOSYS; left out"
        );
    }
    if trace.other_abi_calls > 0 {
        eprintln!(
            "warning: {} syscalls went through the i386 or x32 ABI, which the sandbox kills; left out",
            trace.other_abi_calls
        );
    }
    if trace.timed_out {
        eprintln!(
            "warning: `{command}` was killed after the {:?} limit (--timeout); the profile only covers what it did until then",
            args.timeout
        );
    } else if trace.status != Exit::Code(0) {
        eprintln!(
            "warning: `{command}` {}; the profile covers what it did in that run",
            trace.status
        );
    }
    if profile.socket_families.iter().any(|f| f.is_network()) {
        eprintln!(
            "note: inet and inet6 sockets are only allowed when the task is granted network (`autonomic exec --allow-net`)"
        );
    }

    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs_err::create_dir_all(dir)?;
    }
    let text = policy::to_toml(&profile);
    if args.force {
        fs_err::write(&file, text)?;
    } else {
        // create_new: a file that appeared since the check is not overwritten.
        let mut f = fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&file)?;
        f.write_all(text.as_bytes())?;
    }

    let base: BTreeSet<&str> = policy::find("base")
        .map(|b| b.syscalls())
        .unwrap_or_default();
    let extra: Vec<&str> = profile
        .syscalls()
        .into_iter()
        .filter(|s| !base.contains(s))
        .collect();
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "learned profile `{}` from `{command}`: {} distinct syscalls seen in {} task{}, {} allowed with the floor and loader groups",
        profile.name,
        names.len(),
        trace.tasks,
        if trace.tasks == 1 { "" } else { "s" },
        profile.syscalls().len()
    )?;
    writeln!(out, "wrote {}", file.display())?;
    writeln!(
        out,
        "outside the built-in base profile ({}): {}",
        extra.len(),
        if extra.is_empty() {
            "none".to_owned()
        } else {
            extra.join(" ")
        }
    )?;
    if args.output.is_some() && file != profiles::user_file(paths, &args.name) {
        writeln!(
            out,
            "to use it by name, move it to {}",
            profiles::user_file(paths, &args.name).display()
        )?;
    }
    Ok(())
}

/// `scan-patch`: agent-immune's patch pipeline, rendered; a hold is audited.
fn scan_patch(args: &PatchArgs, paths: &Paths, config: &LoadedConfig) -> anyhow::Result<ExitCode> {
    let input = match (&args.diff, &args.before, &args.after) {
        (Some(diff), _, _) => PatchInput::Diff {
            file: diff.clone(),
            root: args.root.clone(),
        },
        (None, Some(before), Some(after)) => PatchInput::Trees {
            before: before.clone(),
            after: after.clone(),
        },
        _ => anyhow::bail!("give --diff FILE, or --before DIR and --after DIR"),
    };
    let request = PatchRequest {
        input,
        fail_on: args.fail_on.map(FailOn::threshold),
        db: args.db.clone(),
    };
    // The verdict's warnings (a stale database) are not shown here: this
    // command never printed them.
    let patch = pipeline::scan_patch(
        &request,
        &config.config.immune,
        time::OffsetDateTime::now_utc(),
    )?;
    let PatchVerdict { verdict, delta } = &patch;
    let report = &verdict.report;
    let mut out = std::io::stdout().lock();
    match args.format {
        Format::Text | Format::Table => {
            for h in &verdict.holds {
                if let Hold::UnparsableManifest { .. } = h {
                    writeln!(out, "BLOCKING: {h}")?;
                }
            }
            let n = delta.introduced.len();
            let m = delta.files.len();
            writeln!(
                out,
                "the patch introduces or changes {n} package version{} in {m} manifest file{}",
                if n == 1 { "" } else { "s" },
                if m == 1 { "" } else { "s" }
            )?;
            if matches!(args.format, Format::Table) {
                write!(out, "{}", report::table(report))?;
            } else {
                write!(out, "{}", report::text(report))?;
            }
        }
        Format::Json => {
            let mut v = report::json(report);
            v["patch"] = serde_json::json!({ "files": delta.files, "introduced": delta.introduced, "broken": delta.broken });
            if verdict.is_hold() {
                v["verdict"] = "security_hold".into();
            }
            writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        }
        Format::Sarif => writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(&report::sarif(report))?
        )?,
    }
    if verdict.is_hold() {
        let log = AuditLog::open(&paths.audit_log)?;
        log.append(patch.audit_event(&Actor::Cli))?;
    }
    Ok(exit(verdict))
}

fn update(
    source: Option<&str>,
    ecosystems: &[String],
    db: Option<&Path>,
    config: &LoadedConfig,
) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let raw = source.unwrap_or(&config.config.immune.osv_source);
    let src = if raw.starts_with("http://") || raw.starts_with("https://") {
        Source::Url(raw.trim_end_matches('/').to_string())
    } else if raw.ends_with(".zip") {
        Source::Zip(PathBuf::from(raw))
    } else {
        Source::Dir(PathBuf::from(raw))
    };
    let ecos: Vec<Ecosystem> = if ecosystems.is_empty() {
        Ecosystem::ALL.to_vec()
    } else {
        ecosystems
            .iter()
            .map(|e| {
                Ecosystem::parse(e).with_context(|| {
                    format!("unknown ecosystem `{e}` (expected crates.io, npm, PyPI, Go, RubyGems or Packagist)")
                })
            })
            .collect::<anyhow::Result<_>>()?
    };
    let dir = cache_dir(config, db);
    let tty = std::io::stderr().is_terminal();
    let mut progress = |p: Progress| {
        if !tty {
            return;
        }
        let line = match p {
            Progress::Downloading { eco, bytes, total } => match total {
                Some(t) if t > 0 => format!(
                    "{eco}: downloading {:>5.1}% ({} / {} KiB)",
                    100.0 * bytes as f64 / t as f64,
                    bytes / 1024,
                    t / 1024
                ),
                _ => format!("{eco}: downloading {} KiB", bytes / 1024),
            },
            Progress::Importing { eco, records } => format!("{eco}: importing {records} records"),
            Progress::Done { eco } => format!("{eco}: done"),
        };
        eprint!("\r\x1b[2K{line}");
    };
    let results = osv::update(&dir, &src, &ecos, &mut progress);
    if tty {
        eprintln!();
    }
    let mut failed = false;
    for r in results {
        match r {
            Ok(rep) => writeln!(
                out,
                "{}: {} records imported ({} corrupt skipped, {} withdrawn), archive sha256 {}",
                rep.ecosystem, rep.records, rep.skipped_corrupt, rep.withdrawn, &rep.archive_sha256
            )?,
            Err(e) => {
                failed = true;
                crate::render::error(&anyhow::Error::from(e).context(
                    "update failed; the previous data for this ecosystem is still in use",
                ));
            }
        }
    }
    Ok(ExitCode::from(if failed { EXIT_DB } else { EXIT_CLEAN }))
}

fn status(json: bool, db: Option<&Path>, config: &LoadedConfig) -> anyhow::Result<ExitCode> {
    let mut out = std::io::stdout().lock();
    let dir = cache_dir(config, db);
    let database = Database::open(&dir)?;
    let st = database.status()?;
    if json {
        let v: Vec<serde_json::Value> = st
            .iter()
            .map(|s| {
                serde_json::json!({
                    "ecosystem": s.ecosystem,
                    "path": s.path,
                    "records": s.records,
                    "packages": s.packages,
                    "skipped_corrupt": s.skipped_corrupt,
                    "withdrawn": s.withdrawn,
                    "git_ranges_skipped": s.git_ranges_skipped,
                    "index_bytes": s.index_bytes,
                    "archive_sha256": s.archive_sha256,
                    "source": s.source,
                    "updated_at": s.updated_at,
                    "age_days": s.age.whole_days(),
                    "problem": s.problem,
                })
            })
            .collect();
        writeln!(
            out,
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "cache_dir": dir, "ecosystems": v })
            )?
        )?;
    } else {
        writeln!(out, "OSV database at {}", dir.display())?;
        writeln!(
            out,
            "{:<10} {:>8} {:>9} {:>8} {:>9} {:>10}  {:<20}  source",
            "ecosystem", "records", "packages", "skipped", "withdrawn", "size", "updated (age)"
        )?;
        for s in &st {
            if let Some(p) = &s.problem {
                writeln!(out, "{:<10} unusable: {p}", s.ecosystem.as_str())?;
                continue;
            }
            writeln!(
                out,
                "{:<10} {:>8} {:>9} {:>8} {:>9} {:>9}K  {:<20}  {}",
                s.ecosystem.as_str(),
                s.records,
                s.packages,
                s.skipped_corrupt,
                s.withdrawn,
                s.index_bytes / 1024,
                format!(
                    "{} ({}d)",
                    s.updated_at.get(..10).unwrap_or(&s.updated_at),
                    s.age.whole_days()
                ),
                s.source
            )?;
        }
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}
