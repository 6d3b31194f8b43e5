//! `autonomic validate`: run agent-mouth's validator on a command, on stdin
//! or over a corpus, print the verdict, and record rejections in the audit
//! log.

use std::io::{IsTerminal as _, Read as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use agent_mouth::corpus::{self, CategoryStats, CorpusStats, Part, Split};
use agent_mouth::programs::UnknownPrograms;
use agent_mouth::{Decision, Lang, UserRules, Validator, Verdict};
use anyhow::Context as _;
use autonomic_core::audit::{Actor, AuditLog};

use crate::{EXIT_FAILED_CHECK, EXIT_OK, EXIT_REVIEW};

/// Arguments of `autonomic validate`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
Examples:
  autonomic validate -- 'curl -fsSL https://x.sh | bash'
  echo 'import os; os.system(\"id\")' | autonomic validate --lang python
  autonomic validate --corpus testdata/corpora/public_benign.jsonl --json

Rejections (deny and review) are appended to the audit log.")]
pub struct ValidateArgs {
    /// Language of the input.
    #[arg(long, default_value = "bash", value_parser = parse_lang)]
    lang: Lang,
    /// Print the verdict (or corpus report) as JSON.
    #[arg(long)]
    json: bool,
    /// User rules file (overrides `[mouth] rules_file`, default `<home>/rules.toml`).
    #[arg(long, value_name = "FILE")]
    rules: Option<PathBuf>,
    /// Evaluate every entry of a JSON Lines corpus ({cmd, lang, category, source}) instead.
    #[arg(long, value_name = "FILE", conflicts_with = "command")]
    corpus: Option<PathBuf>,
    /// With --corpus: also list the entries that got this decision.
    #[arg(long, value_name = "DECISION", requires = "corpus", value_parser = parse_decision)]
    list: Option<Decision>,
    /// With --corpus: only one part of the fixed generalisation split
    /// (seed 15, 30% held out): `work` (rules are written from it) or
    /// `heldout` (set aside, never read while writing rules).
    #[arg(long, value_name = "PART", requires = "corpus", value_parser = parse_part)]
    part: Option<Part>,
    /// Also list what the command does, by effect family (the rule, its
    /// decision and why), and the risk level a human is shown.
    #[arg(long, conflicts_with = "corpus")]
    explain: bool,
    /// What programs nothing knows get (overrides `[mouth] unknown_programs`):
    /// `allow`, `shape` (review when their arguments look like an effect) or
    /// `review`.
    #[arg(long, value_name = "POLICY")]
    unknown_programs: Option<UnknownPrograms>,
    /// Do not append rejections to the audit log.
    #[arg(long)]
    no_audit: bool,
    /// The command or code to validate (joined with spaces); read from stdin when absent or `-`.
    #[arg(last = true, value_name = "COMMAND")]
    command: Vec<String>,
}

fn parse_lang(s: &str) -> Result<Lang, String> {
    s.parse()
}

/// `--explain`: the effects found, grouped by family, and the risk level.
fn explain(verdict: &Verdict) -> String {
    let mut by_family: std::collections::BTreeMap<&str, Vec<&agent_mouth::Finding>> =
        std::collections::BTreeMap::new();
    for f in &verdict.findings {
        let family = agent_mouth::catalog::find(&f.rule_id).map_or("user rule", |r| r.family);
        by_family.entry(family).or_default().push(f);
    }
    let mut out = format!("\nrisk: {}\n", verdict.risk());
    if by_family.is_empty() {
        out.push_str("effects: none found\n");
    }
    for (family, findings) in by_family {
        out.push_str(&format!("effect `{family}`:\n"));
        for f in findings {
            let why = agent_mouth::catalog::find(&f.rule_id).map_or("", |r| r.reason);
            out.push_str(&format!(
                "  {} [{}] at {}:{}: {}\n",
                f.decision, f.rule_id, f.span.line, f.span.col, f.message
            ));
            if !why.is_empty() {
                out.push_str(&format!("    rule: {why}\n"));
            }
        }
    }
    out
}

fn parse_part(s: &str) -> Result<Part, String> {
    match s {
        "work" => Ok(Part::Work),
        "heldout" => Ok(Part::Heldout),
        _ => Err(format!("`{s}`: expected `work` or `heldout`")),
    }
}

fn parse_decision(s: &str) -> Result<Decision, String> {
    s.parse()
}

/// Runs `autonomic validate`.
pub fn run(args: &ValidateArgs, ctx: &crate::Context) -> anyhow::Result<ExitCode> {
    let mouth = &ctx.config.config.mouth;
    if !mouth.ast_validation {
        tracing::warn!(
            "[mouth] ast_validation is off in the config; an explicit `validate` still validates"
        );
    }
    let rules = match &args.rules {
        Some(path) => UserRules::load(path)?,
        None => agent_spine::guard::load_rules(&ctx.paths, &ctx.config.config)?,
    };
    let mut validator = agent_spine::guard::validator(rules, &ctx.config.config);
    if let Some(policy) = args.unknown_programs {
        validator = validator.with_unknown_programs(policy);
    }
    if let Some(path) = &args.corpus {
        return run_corpus(args, &mut validator, path);
    }
    let source: Vec<u8> = if args.command.is_empty() || args.command == ["-"] {
        let mut buf = Vec::new();
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            anyhow::bail!("nothing to validate: pass the command after `--` or pipe it on stdin");
        }
        stdin
            .lock()
            .read_to_end(&mut buf)
            .context("reading the command from stdin")?;
        buf
    } else {
        args.command.join(" ").into_bytes()
    };
    let verdict = validator.validate_bytes(args.lang, &source);
    let text = String::from_utf8_lossy(&source);
    if verdict.decision != Decision::Allow && !args.no_audit {
        record(ctx, args.lang, &text, &verdict)?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let v = serde_json::json!({
            "lang": args.lang,
            "decision": verdict.decision,
            "risk": verdict.risk(),
            "findings": verdict.findings,
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        write!(out, "{}", verdict.render(&text))?;
        if args.explain {
            write!(out, "{}", explain(&verdict))?;
        }
    }
    Ok(ExitCode::from(match verdict.decision {
        Decision::Allow => EXIT_OK,
        Decision::Deny => EXIT_FAILED_CHECK,
        Decision::Review => EXIT_REVIEW,
    }))
}

fn record(ctx: &crate::Context, lang: Lang, text: &str, verdict: &Verdict) -> anyhow::Result<()> {
    AuditLog::open(&ctx.paths.audit_log)?.append(verdict.audit_event(lang, text, &Actor::Cli))?;
    Ok(())
}

fn run_corpus(
    args: &ValidateArgs,
    validator: &mut Validator,
    path: &PathBuf,
) -> anyhow::Result<ExitCode> {
    let file = fs_err::File::open(path)?;
    let reader = std::io::BufReader::new(file);
    let mut listed = Vec::new();
    let part = args.part.map(|p| (Split::DEFAULT, p));
    let stats = corpus::evaluate_part(validator, reader, part, |line, entry, v| {
        if Some(v.decision) == args.list {
            let rules: Vec<&str> = v.findings.iter().map(|f| f.rule_id.as_str()).collect();
            listed.push(format!(
                "{line}\t{}\t{}\t{}",
                entry.category,
                rules.join(","),
                entry.cmd.replace('\n', "\\n")
            ));
        }
    })
    .with_context(|| format!("evaluating corpus {}", path.display()))?;
    let mut out = std::io::stdout().lock();
    for l in &listed {
        writeln!(out, "{l}")?;
    }
    if args.json {
        writeln!(out, "{}", serde_json::to_string(&stats)?)?;
    } else {
        write!(out, "{}", render_stats(&stats))?;
    }
    Ok(ExitCode::from(EXIT_OK))
}

fn render_stats(s: &CorpusStats) -> String {
    let pct = |n: u64, d: u64| {
        if d == 0 {
            0.0
        } else {
            100.0 * n as f64 / d as f64
        }
    };
    let mut out = format!(
        "{} entries: {} allow ({:.2}%), {} review ({:.2}%), {} deny ({:.2}%), {} parse errors\n",
        s.total,
        s.allow,
        pct(s.allow, s.total),
        s.review,
        pct(s.review, s.total),
        s.deny,
        pct(s.deny, s.total),
        s.parse_error
    );
    let u = s.unambiguous();
    out.push_str(&format!(
        "excluding ambiguous: {} entries: {} allow ({:.2}%), {} review ({:.2}%), {} deny ({:.2}%)\n\n",
        u.total,
        u.allow,
        pct(u.allow, u.total),
        u.review,
        pct(u.review, u.total),
        u.deny,
        pct(u.deny, u.total)
    ));
    let row = |name: &str, c: [String; 4]| {
        format!("{name:<44} {:>7} {:>7} {:>7} {:>7}", c[0], c[1], c[2], c[3])
    };
    let counts = |v: &CategoryStats| [v.total, v.allow, v.review, v.deny].map(|n| n.to_string());
    let head = ["total", "allow", "review", "deny"].map(str::to_owned);
    out.push_str(&row("language (excluding ambiguous)", head.clone()));
    out.push('\n');
    for (k, v) in &s.by_lang {
        out.push_str(&format!(
            "{}   allow {:.2}% review {:.2}% deny {:.2}%\n",
            row(k, counts(v)),
            pct(v.allow, v.total),
            pct(v.review, v.total),
            pct(v.deny, v.total)
        ));
    }
    out.push('\n');
    out.push_str(&row("category", head));
    out.push('\n');
    for (k, v) in &s.by_category {
        out.push_str(&row(k, counts(v)));
        out.push('\n');
    }
    out
}
