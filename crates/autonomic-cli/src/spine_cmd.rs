//! The workflow commands: `run FILE.toml`, `status`, `logs`, `serve`,
//! `approvals`, `approve`, `reject`, `cancel`. Thin: the engine, the
//! journal and the answer rules are agent-spine's (`agent_spine::workflow`);
//! this file parses, prints and picks exit codes.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use agent_spine::channels::slack::{ServiceOptions, SlackService};
use agent_spine::workflow::bus::Bus;
use agent_spine::workflow::control::{self, Resent};
use agent_spine::workflow::engine::{journal_run, Engine, EngineLock, EngineOptions, Scope};
use agent_spine::workflow::event::{Event, EventKind};
use agent_spine::workflow::journal::{DecisionOutcome, Journal, Verdict};
use agent_spine::workflow::load;
use agent_spine::workflow::state::{RunId, RunState};
use anyhow::Context as _;
use autonomic_core::audit::AuditLog;

use crate::{EXIT_FAILED_CHECK, EXIT_OK, EXIT_REVIEW};

/// `--var K=V` pairs.
pub fn parse_vars(vars: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for v in vars {
        let (k, val) = v
            .split_once('=')
            .with_context(|| format!("--var `{v}`: expected NAME=VALUE"))?;
        if k.is_empty() || !k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            anyhow::bail!("--var `{v}`: `{k}` is not a variable name (letters, digits, _)");
        }
        if out.insert(k.to_owned(), val.to_owned()).is_some() {
            anyhow::bail!("--var `{k}` given twice");
        }
    }
    Ok(out)
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")
}

/// The exit code for a run's state.
fn exit_for(state: RunState) -> ExitCode {
    ExitCode::from(match state {
        RunState::Succeeded => EXIT_OK,
        RunState::WaitingApproval | RunState::SecurityHold => EXIT_REVIEW,
        RunState::Failed | RunState::Cancelled | RunState::Running => EXIT_FAILED_CHECK,
    })
}

/// `autonomic run FILE.toml [--repo DIR] [--var K=V]...`
pub fn run_workflow(
    file: &Path,
    repo: Option<PathBuf>,
    vars: &[String],
    ctx: &crate::Context,
) -> anyhow::Result<ExitCode> {
    let vars = parse_vars(vars)?;
    let names: Vec<String> = vars.keys().cloned().collect();
    let wf = load::load(file, &names)?;
    let config = &ctx.config.config;
    let journal_path = &config.spine.journal_path;
    let printer = Printer::new();
    let Some(lock) = EngineLock::try_acquire(journal_path)
        .with_context(|| format!("locking {}", journal_path.display()))?
    else {
        // The daemon holds the journal: hand it the run and follow it.
        let mut journal = Journal::open(journal_path)?;
        let audit = AuditLog::open(&ctx.paths.audit_log)?;
        let (id, _, _, started) = journal_run(&mut journal, &audit, &wf, repo, vars)?;
        eprintln!("handed to the running daemon (`autonomic serve`)");
        let mut view = View::new(&printer, &wf);
        view.event(&started);
        let state = follow(journal_path, &id, started.seq, &mut view);
        view.finish();
        let state = state?;
        return Ok(finish(&id, state));
    };
    let rt = runtime()?;
    let state_and_id = rt.block_on(async {
        let bus = Bus::start(&config.bus).await?;
        let engine = Engine::start(
            EngineOptions::new(ctx.paths.clone(), config.clone(), Scope::Submitted),
            bus,
        )?;
        let mut events = engine.subscribe();
        let mut view = View::new(&printer, &wf);
        let id = engine.submit(wf, repo, vars).await?;
        let stop = std::sync::Arc::new(tokio::sync::Notify::new());
        let printing = {
            let id = id.clone();
            let stopped = stop.clone();
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(250));
                loop {
                    tokio::select! {
                        e = events.recv() => match e {
                            Ok(e) if e.run == id => view.event(&e),
                            Ok(_) => {}
                            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                            Err(_) => break,
                        },
                        _ = tick.tick() => view.tick(),
                        () = stopped.notified() => {
                            while let Ok(e) = events.try_recv() {
                                if e.run == id {
                                    view.event(&e);
                                }
                            }
                            break;
                        }
                    }
                }
                view.finish();
            })
        };
        let (state, interrupted) = tokio::select! {
            s = engine.settled(&id) => (s, false),
            _ = tokio::signal::ctrl_c() => (RunState::Running, true),
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        stop.notify_one();
        let _ = printing.await;
        if interrupted {
            eprintln!("interrupted: the run stays in the journal (`autonomic status {id}`)");
        }
        engine.shutdown().await;
        anyhow::Ok((state, id))
    })?;
    drop(lock);
    let (state, id) = state_and_id;
    Ok(finish(&id, state))
}

fn finish(id: &RunId, state: RunState) -> ExitCode {
    match state {
        RunState::WaitingApproval | RunState::SecurityHold => {
            eprintln!(
                "run {id} is paused ({state}): `autonomic approvals` shows the request; answer with `autonomic approve {id}`, `autonomic reject {id}` or `autonomic cancel {id}`"
            );
        }
        _ => eprintln!("run {id}: {state} — `autonomic logs {id}` has the journal"),
    }
    exit_for(state)
}

/// Polls the journal for a run's events until it is finished or paused
/// with nothing running.
fn follow(
    journal_path: &Path,
    id: &RunId,
    mut after: u64,
    view: &mut View,
) -> anyhow::Result<RunState> {
    let journal = Journal::open_read_only(journal_path)?;
    loop {
        for e in journal.events(Some(id), after, 1000)? {
            after = e.seq;
            view.event(&e);
        }
        view.tick();
        if let Some(r) = journal.run(id)? {
            let running = r
                .nodes
                .iter()
                .any(|n| n.state == agent_spine::workflow::state::NodeState::Running);
            if r.state.is_finished() || (r.state.is_paused() && !running) {
                return Ok(r.state);
            }
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Answers (approve, reject) or cancels a run.
pub fn answer(
    run: &str,
    verdict: Verdict,
    request: Option<&str>,
    reason: Option<String>,
    ctx: &crate::Context,
) -> anyhow::Result<ExitCode> {
    let id = RunId::parse(run)?;
    let config = &ctx.config.config;
    let journal_path = &config.spine.journal_path;
    let mut journal = Journal::open(journal_path)?;
    let by = autonomic_core::env::configured("USER").unwrap_or_else(|| "cli".to_owned());
    let (seq, req) = control::answer(&mut journal, &id, verdict, request, &by, "cli", reason)?;
    if let Some(r) = &req {
        eprintln!("answering request {} of run {id}", r.id);
    }
    let printer = Printer::new();
    let lock = EngineLock::try_acquire(journal_path)?;
    let Some(lock) = lock else {
        // The daemon settles it.
        for _ in 0..100 {
            if let Some(o) = control::settlement(&journal, &id, seq)? {
                return Ok(settled(&o, verdict));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        eprintln!("recorded; the daemon has not settled it yet (`autonomic logs {id}`)");
        return Ok(ExitCode::from(EXIT_OK));
    };
    drop(journal);
    let after = Journal::open_read_only(journal_path)?.last_seq()?;
    let rt = runtime()?;
    let state = rt.block_on(async {
        let bus = Bus::local();
        let mut opts =
            EngineOptions::new(ctx.paths.clone(), config.clone(), Scope::Only(id.clone()));
        opts.poll = Duration::from_millis(50);
        let engine = Engine::start(opts, bus)?;
        let mut events = engine.subscribe();
        engine.poke();
        let printing = {
            let printer = printer.clone();
            let id = id.clone();
            tokio::spawn(async move {
                while let Ok(e) = events.recv().await {
                    if e.run == id && e.seq > after {
                        printer.print(&e);
                    }
                }
            })
        };
        // The decision is settled at the engine's first poll.
        tokio::time::sleep(Duration::from_millis(120)).await;
        let state = engine.settled(&id).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        printing.abort();
        engine.shutdown().await;
        anyhow::Ok(state)
    })?;
    drop(lock);
    let journal = Journal::open_read_only(journal_path)?;
    if let Some(o) = control::settlement(&journal, &id, seq)? {
        if let DecisionOutcome::Refused(why) = &o {
            eprintln!("autonomic: refused: {why}");
            return Ok(ExitCode::from(EXIT_FAILED_CHECK));
        }
    }
    if verdict == Verdict::Approve {
        Ok(finish(&id, state))
    } else {
        eprintln!("run {id}: {state} — `autonomic logs {id}` has the journal");
        Ok(ExitCode::from(EXIT_OK))
    }
}

fn settled(o: &DecisionOutcome, verdict: Verdict) -> ExitCode {
    match o {
        DecisionOutcome::Accepted => {
            eprintln!("{}: accepted by the daemon", verdict.as_str());
            ExitCode::from(EXIT_OK)
        }
        DecisionOutcome::Refused(why) => {
            eprintln!("autonomic: refused: {why}");
            ExitCode::from(EXIT_FAILED_CHECK)
        }
    }
}

/// `autonomic approvals [--json]`: the open requests.
pub fn approvals(json: bool, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let journal = open_existing(&ctx.config.config.spine.journal_path)?;
    let open = journal.open_requests(None)?;
    if json {
        let v: Vec<serde_json::Value> = open
            .iter()
            .map(|r| {
                serde_json::json!({"request": r.id, "run": r.run, "node": r.node,
                    "expires_at": r.expires_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default(),
                    "answerable": control::is_answerable(r), "text": r.text, "fields": r.fields})
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::from(EXIT_OK));
    }
    if open.is_empty() {
        println!("no approval requests are waiting");
    }
    for r in &open {
        println!(
            "request {} (run {}){}",
            r.id,
            r.run,
            if control::is_answerable(r) {
                String::new()
            } else {
                " — EXPIRED: `autonomic approvals resend` sends a fresh one".into()
            }
        );
        for line in r.text.lines() {
            println!("  {line}");
        }
        println!();
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `autonomic approvals resend WF_ID`.
pub fn resend(run: &str, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let id = RunId::parse(run)?;
    let mut journal = Journal::open(&ctx.config.config.spine.journal_path)?;
    match control::resend(&mut journal, &ctx.config.config, &id)? {
        Resent::Released { summary } => {
            println!("the security hold of {id} is released by a clean rescan ({summary}); the engine resumes it (`autonomic approve` is not needed)");
        }
        Resent::Requests(reqs) => {
            for r in reqs {
                println!("request {} (run {})", r.id, r.run);
                for line in r.text.lines() {
                    println!("  {line}");
                }
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn open_existing(path: &Path) -> anyhow::Result<Journal> {
    if !path.exists() {
        anyhow::bail!(
            "no workflow journal at {} yet: `autonomic run FILE.toml` starts one",
            path.display()
        );
    }
    Ok(Journal::open_read_only(path)?)
}

/// `autonomic status [WF_ID] [--json]`.
pub fn status(run: Option<&str>, json: bool, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let journal = open_existing(&ctx.config.config.spine.journal_path)?;
    let Some(run) = run else {
        let runs = journal.runs(None, 50)?;
        if json {
            let v: Vec<_> = runs.iter().map(|r| serde_json::json!({"run": r.id, "workflow": r.workflow, "state": r.state, "why": r.why,
                "created_at": r.created_at.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()})).collect();
            println!("{}", serde_json::to_string_pretty(&v)?);
        } else if runs.is_empty() {
            println!("no runs");
        } else {
            for r in runs {
                println!(
                    "{}  {:<16}  {:<18}  {}",
                    r.id,
                    r.state.as_str(),
                    r.workflow,
                    r.why
                );
            }
        }
        return Ok(ExitCode::from(EXIT_OK));
    };
    let id = RunId::parse(run)?;
    let r = journal
        .run(&id)?
        .with_context(|| format!("there is no run `{id}` (`autonomic status` lists them)"))?;
    if json {
        let nodes: Vec<_> = r.nodes.iter().map(|n| serde_json::json!({"node": n.id, "state": n.state, "attempt": n.attempt, "why": n.why, "outputs": n.outputs})).collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
            "run": r.id, "workflow": r.workflow, "state": r.state, "why": r.why, "file": r.file,
            "file_sha256": r.file_sha256, "repo": r.repo, "project": r.project, "nodes": nodes}))?
        );
        return Ok(ExitCode::from(EXIT_OK));
    }
    println!(
        "{} {} — {}{}",
        r.id,
        r.workflow,
        r.state,
        if r.why.is_empty() {
            String::new()
        } else {
            format!(" ({})", r.why)
        }
    );
    println!("  file {}  repo {}", r.file.display(), r.repo.display());
    for n in &r.nodes {
        println!("  {:<20} {:<17} {}", n.id, n.state.as_str(), n.why);
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// `autonomic logs WF_ID [--json]`.
pub fn logs(run: &str, json: bool, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let id = RunId::parse(run)?;
    let journal = open_existing(&ctx.config.config.spine.journal_path)?;
    if journal.run(&id)?.is_none() {
        anyhow::bail!("there is no run `{id}` (`autonomic status` lists them)");
    }
    let printer = Printer {
        colour: false,
        times: true,
    };
    let mut after = 0;
    loop {
        let events = journal.events(Some(&id), after, 1000)?;
        let Some(last) = events.last() else { break };
        after = last.seq;
        for e in &events {
            if json {
                println!("{}", serde_json::to_string(e)?);
            } else {
                printer.print_to_stdout(e);
            }
        }
    }
    Ok(ExitCode::from(EXIT_OK))
}

/// How `autonomic run` shows a run: the live table on a terminal, plain
/// lines otherwise.
enum View {
    Plain(Printer),
    Live(Box<crate::live::Live<std::io::Stderr>>, Printer),
}

impl View {
    fn new(printer: &Printer, wf: &agent_spine::workflow::model::Workflow) -> View {
        match crate::live::terminal_width() {
            Some(width) if printer.colour => View::Live(
                Box::new(crate::live::Live::new(std::io::stderr(), wf, width, true)),
                printer.clone(),
            ),
            _ => View::Plain(printer.clone()),
        }
    }

    fn event(&mut self, e: &Event) {
        match self {
            View::Plain(p) => p.print(e),
            View::Live(live, p) => {
                // The table shows node states; a line stays for the ones
                // that say why a node stopped.
                let keep = e.kind != EventKind::NodeState
                    || matches!(
                        e.data.get("to").and_then(|v| v.as_str()),
                        Some("failed" | "rejected" | "security_hold" | "cancelled")
                    );
                let line = if keep { p.line(e) } else { None };
                live.event(e, line.as_deref());
            }
        }
    }

    fn tick(&mut self) {
        if let View::Live(live, _) = self {
            live.tick();
        }
    }

    fn finish(&mut self) {
        if let View::Live(live, _) = self {
            live.finish();
        }
    }
}

/// Event lines for a person: on stderr as a run goes (coloured on a
/// terminal), on stdout for `logs`.
#[derive(Debug, Clone)]
struct Printer {
    colour: bool,
    times: bool,
}

impl Printer {
    fn new() -> Printer {
        Printer {
            colour: autonomic_core::env::colour(std::io::stderr().is_terminal()),
            times: false,
        }
    }

    fn print(&self, e: &Event) {
        if let Some(line) = self.line(e) {
            eprintln!("{line}");
        }
    }

    fn print_to_stdout(&self, e: &Event) {
        if let Some(line) = self.line(e) {
            println!("{line}");
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        crate::live::paint(self.colour, code, s)
    }

    fn line(&self, e: &Event) -> Option<String> {
        let d = &e.data;
        let s = |k: &str| {
            d.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let node = e.node.clone().unwrap_or_default();
        let body = match e.kind {
            EventKind::RunStarted => self.paint(
                "1",
                &format!("▶ {} {} in {}", s("workflow"), e.run, s("repo")),
            ),
            EventKind::RunState => {
                let to = s("to");
                let code = match to.as_str() {
                    "succeeded" => "1;32",
                    "failed" | "cancelled" => "1;31",
                    _ => "1;33",
                };
                self.paint(
                    code,
                    &format!(
                        "■ run {}: {to}{}",
                        e.run,
                        if s("why").is_empty() {
                            String::new()
                        } else {
                            format!(" ({})", s("why"))
                        }
                    ),
                )
            }
            EventKind::NodeState => {
                let to = s("to");
                let why = s("why");
                let (mark, code) = match to.as_str() {
                    "running" => ("⋯", "36"),
                    "succeeded" => ("✓", "32"),
                    "failed" => ("✗", "31"),
                    "rejected" => ("⛔", "31"),
                    "skipped" => ("–", "2"),
                    "waiting_approval" => ("⏸", "33"),
                    "security_hold" => ("⛔", "1;33"),
                    "cancelled" => ("✗", "2"),
                    _ => ("·", "0"),
                };
                if to == "pending" && why.is_empty() {
                    return None;
                }
                self.paint(
                    code,
                    &format!(
                        "  {mark} {node} {to}{}",
                        if why.is_empty() || why == "done" || why == "needs met" {
                            String::new()
                        } else {
                            format!(": {why}")
                        }
                    ),
                )
            }
            EventKind::Decision => {
                let layer = s("layer");
                let mut line = format!(
                    "    {layer}: {}",
                    d.get("decision")
                        .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                        .unwrap_or_default()
                );
                for k in ["command", "summary"] {
                    if !s(k).is_empty() {
                        line.push_str(&format!(" — {}", s(k)));
                    }
                }
                if let Some(r) = d.get("reasons").and_then(|v| v.as_array()) {
                    for r in r {
                        line.push_str(&format!("\n      {}", r.as_str().unwrap_or_default()));
                    }
                }
                line
            }
            EventKind::ApprovalRequested => {
                let text = s("text");
                let mut out = format!("    approval request {}:", s("request"));
                for l in text.lines() {
                    out.push_str(&format!("\n      {l}"));
                }
                self.paint("33", &out)
            }
            EventKind::ApprovalAnswered => format!(
                "    answer {} by {} via {}: {}",
                s("decision"),
                s("by"),
                s("via"),
                if d.get("accepted").and_then(serde_json::Value::as_bool) == Some(true) {
                    "accepted".to_owned()
                } else {
                    format!("refused ({})", s("why"))
                }
            ),
            EventKind::Notify => self.paint("1", &format!("  ✉ {}", s("message"))),
            EventKind::Progress => {
                if d.get("engine").is_some() {
                    return None;
                }
                if let Some(step) = d.get("step") {
                    if d.get("command").is_some() {
                        format!(
                            "    step {step}: `{}` → {}",
                            s("command"),
                            d.get("exit_code")
                                .map_or_else(String::new, |v| if v.is_null() {
                                    "refused".to_owned()
                                } else {
                                    format!("exit {v}")
                                })
                        )
                    } else {
                        format!("    step {step}: done — {}", s("summary"))
                    }
                } else if !s("reply").is_empty() {
                    format!("    model: {}", s("reply"))
                } else if !s("warning").is_empty() {
                    self.paint("33", &format!("    warning: {}", s("warning")))
                } else {
                    format!("    {}", s("summary"))
                }
            }
        };
        Some(if self.times {
            format!("{} {body}", e.at)
        } else {
            body
        })
    }
}

/// `autonomic serve`: the engine as a daemon, with agent-heart's prune
/// cycles and the journal's pruning of finished runs.
pub fn serve(ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let config = &ctx.config.config;
    let journal_path = &config.spine.journal_path;
    let lock = EngineLock::try_acquire(journal_path)?.with_context(|| {
        format!(
            "another engine holds {} (is `autonomic serve` already running?)",
            journal_path.display()
        )
    })?;
    let rt = runtime()?;
    rt.block_on(async {
        let mut bus = Bus::start(&config.bus).await?;
        let answers = bus.take_answers();
        let mut opts = EngineOptions::new(ctx.paths.clone(), config.clone(), Scope::All);
        opts.poll = Duration::from_millis(100);
        // A daemon runs for long: damage anywhere in the journal is found
        // now, not at the first query that touches it.
        let journal = Journal::open(journal_path)?;
        journal.check_integrity()?;
        opts.journal = Some(journal);
        let slack = start_slack(ctx)?;
        if let Some(s) = &slack {
            opts.channels.push(s.channel());
        }
        let engine = Engine::start(opts, bus)?;
        eprintln!(
            "autonomic serve: workflow engine on {} ({} runs resumed)",
            journal_path.display(),
            engine.snapshot().len()
        );
        if let Some(answers) = answers {
            tokio::spawn(control::forward_answers(answers, journal_path.clone()));
        }
        let heart = spawn_maintenance(ctx.paths.clone(), config.clone());
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term.recv() => {},
        }
        eprintln!("autonomic serve: stopping");
        heart.abort();
        engine.shutdown().await;
        if let Some(s) = slack {
            let _ = tokio::task::spawn_blocking(move || s.stop()).await;
        }
        anyhow::Ok(())
    })?;
    drop(lock);
    Ok(ExitCode::from(EXIT_OK))
}

/// The Slack approval service, when `[mouth] slack` is on.
fn start_slack(ctx: &crate::Context) -> anyhow::Result<Option<SlackService>> {
    let config = &ctx.config.config;
    if !config.mouth.slack {
        return Ok(None);
    }
    let setup = agent_spine::channels::setup::slack(config, ctx.paths.user_home())
        .context("setting up Slack (`[mouth] slack = true`)")?;
    let channel = setup.channel.clone();
    let approvers = setup.approvers.len();
    let service = SlackService::start(
        setup,
        ServiceOptions::new(
            config.spine.journal_path.clone(),
            ctx.paths.audit_log.clone(),
            config.clone(),
        ),
    )
    .context("starting the Slack approval service")?;
    let how = match service.request_url {
        Some(addr) => format!("answers on the request URL at http://{addr}"),
        None => "answers over Socket Mode".to_owned(),
    };
    let bot = if service.bot_user.is_empty() {
        "a bot Slack did not answer for yet (auth.test failed; retrying)"
    } else {
        service.bot_user.as_str()
    };
    eprintln!(
        "autonomic serve: Slack approval requests to {channel} as {bot} ({how}; {approvers} approver(s))"
    );
    if approvers == 0 {
        eprintln!("autonomic serve: warning: `[mouth] slack_approvers` is empty: nobody's answer on Slack counts");
    }
    Ok(Some(service))
}

/// agent-heart's prune cycle and the journal's pruning, on their intervals.
fn spawn_maintenance(
    paths: autonomic_core::paths::Paths,
    config: autonomic_core::config::Config,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let every = Duration::from_secs(
            60 * u64::try_from(config.heart.prune_interval_minutes.max(1)).unwrap_or(60),
        );
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let (p, c) = (paths.clone(), config.clone());
            let r = tokio::task::spawn_blocking(move || maintain(&p, &c)).await;
            if let Ok(Err(e)) = r {
                tracing::warn!("maintenance: {e:#}");
            }
        }
    })
}

fn maintain(
    paths: &autonomic_core::paths::Paths,
    config: &autonomic_core::config::Config,
) -> anyhow::Result<()> {
    let audit = AuditLog::open(&paths.audit_log)?;
    // A brain that does not exist yet has nothing to prune.
    if config.brain.db_path.exists() {
        agent_heart::PruneCycle::from_config(config).run(&audit, &|| false)?;
    }
    let mut journal = Journal::open(&config.spine.journal_path)?;
    let before =
        time::OffsetDateTime::now_utc() - time::Duration::days(config.spine.keep_finished_days);
    let n = journal.prune_finished(before)?;
    if n > 0 {
        tracing::info!("pruned {n} finished runs from the journal");
    }
    Ok(())
}
