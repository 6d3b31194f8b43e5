//! What a human (or a channel acting for one) can do to runs from outside
//! the engine: answer a request, cancel, send a fresh request, read runs
//! and their journal. Everything here writes only to the journal's
//! append-only decision log or reads; the engine alone applies decisions
//! (the CLI, a NATS listener and later Slack all go through here).

use std::path::Path;

use agent_immune::pipeline::{self, ScanRequest};
use autonomic_core::config::Config;

use super::journal::{
    DecisionOutcome, Delivered, Journal, JournalError, NewDecision, NewRequest, Request,
    RequestKind, RequestStatus, Verdict,
};
use super::load;
use super::model::{GateWhen, NodeKind, ScanTarget};
use super::state::RunId;

/// Why an answer or a command could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// The run does not exist.
    #[error("there is no run `{0}` in the journal")]
    UnknownRun(RunId),
    /// The run has ended.
    #[error("run `{run}` is already {state}: there is nothing to answer")]
    Finished {
        /// The run.
        run: RunId,
        /// Its final state.
        state: super::state::RunState,
    },
    /// Nothing waits for an answer.
    #[error("run `{0}` has no open approval request")]
    NoRequest(RunId),
    /// More than one request is open: the answer must say which.
    #[error("run `{run}` has {count} open requests ({ids}): name one with --request")]
    Ambiguous {
        /// The run.
        run: RunId,
        /// How many.
        count: usize,
        /// Their ids.
        ids: String,
    },
    /// The named request is not an open one of this run.
    #[error("request `{request}` is not an open request of run `{run}`")]
    BadRequest {
        /// The run.
        run: RunId,
        /// The request named.
        request: String,
    },
    /// The request expired.
    #[error("request `{request}` expired at {at}: the run stays paused")]
    Expired {
        /// The request.
        request: String,
        /// When it expired.
        at: time::OffsetDateTime,
    },
}

impl autonomic_core::Hint for ControlError {
    fn hint(&self) -> Option<String> {
        match self {
            ControlError::Journal(e) => e.hint(),
            ControlError::UnknownRun(_) => Some("`autonomic status` lists the runs".into()),
            ControlError::Expired { .. } | ControlError::NoRequest(_) => {
                Some("`autonomic approvals resend WF_ID` sends a fresh request".into())
            }
            ControlError::Ambiguous { .. } | ControlError::BadRequest { .. } => {
                Some("`autonomic approvals` lists the open requests".into())
            }
            ControlError::Finished { .. } => None,
        }
    }
}

/// Appends an answer to the decision log after checking what can be
/// checked here (the engine checks again: the first valid answer wins).
/// Returns the decision's sequence number and the request it answers.
///
/// # Errors
///
/// An unknown or finished run, no or several open requests, an expired
/// one, a journal failure. Nothing is appended then.
pub fn answer(
    journal: &mut Journal,
    run: &RunId,
    verdict: Verdict,
    request: Option<&str>,
    by: &str,
    via: &str,
    reason: Option<String>,
) -> Result<(u64, Option<Request>), ControlError> {
    let req = answerable(journal, run, verdict, request)?;
    let seq = journal.append_decision(&NewDecision {
        run: run.clone(),
        request: req.as_ref().map(|r| r.id.clone()),
        verdict,
        by: by.to_owned(),
        via: via.to_owned(),
        reason,
    })?;
    Ok((seq, req))
}

/// The open request an answer goes to (`None` for a cancel of the whole
/// run), after the checks that can be made before the engine's.
fn answerable(
    journal: &Journal,
    run: &RunId,
    verdict: Verdict,
    request: Option<&str>,
) -> Result<Option<Request>, ControlError> {
    let Some(record) = journal.run(run)? else {
        return Err(ControlError::UnknownRun(run.clone()));
    };
    if record.state.is_finished() {
        return Err(ControlError::Finished {
            run: run.clone(),
            state: record.state,
        });
    }
    let req = if verdict == Verdict::Cancel && request.is_none() {
        None
    } else {
        Some(pick_request(journal, run, request)?)
    };
    if let Some(r) = &req {
        if verdict != Verdict::Cancel && r.expires_at <= time::OffsetDateTime::now_utc() {
            return Err(ControlError::Expired {
                request: r.id.clone(),
                at: r.expires_at,
            });
        }
    }
    Ok(req)
}

/// An answer a channel (Slack) carried for a person.
#[derive(Debug, Clone)]
pub struct ChannelAnswer<'a> {
    /// The channel: `slack`.
    pub channel: &'a str,
    /// The channel's id of this delivery (a Socket Mode envelope id): a
    /// redelivery carries the same one.
    pub delivery: &'a str,
    /// Who answered, as the channel names them (a Slack user id).
    pub user: &'a str,
    /// True when the channel says a bot or app sent it.
    pub is_bot: bool,
    /// The run.
    pub run: RunId,
    /// The request answered, when the answer names one.
    pub request: Option<&'a str>,
    /// The answer.
    pub verdict: Verdict,
    /// Where it came from, for the decision's reason (`button in C0…`,
    /// `thread reply …`).
    pub context: Option<String>,
}

/// What became of a [`ChannelAnswer`].
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelOutcome {
    /// In the decision log for the engine to judge.
    Journaled {
        /// The decision's sequence number.
        seq: u64,
        /// The request it answers (`None`: a cancel of the run).
        request: Option<Request>,
    },
    /// This delivery was taken before: nothing appended.
    Duplicate {
        /// The decision it made then, if any.
        seq: Option<u64>,
    },
    /// Not an answer that counts (a bot; someone not in `approvers`);
    /// recorded so a redelivery is recognised. The channel tells the person
    /// and the caller audits it.
    Ignored {
        /// Why, as one line.
        why: String,
    },
}

/// Takes an answer a channel delivered: only `approvers` count (none
/// configured: nobody), bots never do, and a delivery is taken once — the
/// channel may acknowledge it after this returns `Ok`.
///
/// # Errors
///
/// As [`answer`]: an unknown or finished run, no or several open requests,
/// an expired request (the channel offers a fresh one), a journal failure.
pub fn answer_delivered(
    journal: &mut Journal,
    a: &ChannelAnswer<'_>,
    approvers: &[String],
) -> Result<ChannelOutcome, ControlError> {
    // A redelivery is recognised before anything else is judged: the run
    // may have ended since the first delivery was taken.
    if let Some(seq) = journal.delivered(a.channel, a.delivery)? {
        return Ok(ChannelOutcome::Duplicate { seq });
    }
    let ignored = if a.is_bot {
        Some("an answer from a bot or app never counts".to_owned())
    } else if approvers.is_empty() {
        Some(format!(
            "no approvers are configured for {} (`[mouth] slack_approvers`): nobody may answer there",
            a.channel
        ))
    } else if !approvers.iter().any(|u| u == a.user) {
        Some(format!(
            "{} is not an approver (`[mouth] slack_approvers`)",
            a.user
        ))
    } else {
        None
    };
    if let Some(why) = ignored {
        return Ok(if journal.record_delivery(a.channel, a.delivery)? {
            ChannelOutcome::Ignored { why }
        } else {
            ChannelOutcome::Duplicate { seq: None }
        });
    }
    let req = answerable(journal, &a.run, a.verdict, a.request)?;
    let d = NewDecision {
        run: a.run.clone(),
        request: req.as_ref().map(|r| r.id.clone()),
        verdict: a.verdict,
        by: a.user.to_owned(),
        via: a.channel.to_owned(),
        reason: a.context.clone(),
    };
    Ok(
        match journal.append_delivered_decision(&d, a.channel, a.delivery)? {
            Delivered::New(seq) => ChannelOutcome::Journaled { seq, request: req },
            Delivered::Duplicate(seq) => ChannelOutcome::Duplicate { seq },
        },
    )
}

fn pick_request(
    journal: &Journal,
    run: &RunId,
    request: Option<&str>,
) -> Result<Request, ControlError> {
    let open = journal.open_requests(Some(run))?;
    match request {
        Some(id) => open
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| ControlError::BadRequest {
                run: run.clone(),
                request: id.to_owned(),
            }),
        None => match open.len() {
            0 => Err(ControlError::NoRequest(run.clone())),
            1 => Ok(open
                .into_iter()
                .next()
                .ok_or_else(|| ControlError::NoRequest(run.clone()))?),
            n => Err(ControlError::Ambiguous {
                run: run.clone(),
                count: n,
                ids: open
                    .iter()
                    .map(|r| r.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        },
    }
}

/// How a decision was settled, once the engine has settled it.
pub fn settlement(
    journal: &Journal,
    run: &RunId,
    seq: u64,
) -> Result<Option<DecisionOutcome>, ControlError> {
    Ok(journal
        .decisions(run)?
        .into_iter()
        .find(|d| d.seq == seq)
        .and_then(|d| d.outcome))
}

/// What `approvals resend` did.
#[derive(Debug)]
pub enum Resent {
    /// Fresh requests replaced the old ones.
    Requests(Vec<Request>),
    /// A security hold was rescanned clean: the release is in the decision
    /// log for the engine to apply.
    Released {
        /// The rescan's summary.
        summary: String,
    },
}

/// Sends fresh requests for a paused run (the old ones are superseded);
/// a security hold is rescanned first and released when clean.
///
/// # Errors
///
/// An unknown or finished run, nothing open, a journal failure.
pub fn resend(journal: &mut Journal, config: &Config, run: &RunId) -> Result<Resent, ControlError> {
    let Some(record) = journal.run(run)? else {
        return Err(ControlError::UnknownRun(run.clone()));
    };
    if record.state.is_finished() {
        return Err(ControlError::Finished {
            run: run.clone(),
            state: record.state,
        });
    }
    let open = journal.open_requests(Some(run))?;
    if open.is_empty() {
        return Err(ControlError::NoRequest(run.clone()));
    }
    if let Some(hold) = open.iter().find(|r| r.kind == RequestKind::SecurityHold) {
        if let Some(summary) = clean_rescan(config, &record, hold)? {
            journal.append_decision(&NewDecision {
                run: run.clone(),
                request: Some(hold.id.clone()),
                verdict: Verdict::Approve,
                by: "agent-immune".into(),
                via: "rescan".into(),
                reason: Some(format!("clean rescan: {summary}")),
            })?;
            return Ok(Resent::Released { summary });
        }
    }
    let minutes = i64::from(config.mouth.slack_approval_timeout_minutes);
    let mut fresh = Vec::new();
    for r in open {
        let (req, _) = journal.open_request(&NewRequest {
            run: run.clone(),
            node: r.node.clone(),
            kind: r.kind,
            text: r.text.replace(
                &format!("Expires in {}", minutes_of(&r)),
                &format!("Expires in {minutes}"),
            ),
            fields: r.fields.clone(),
            expires_at: time::OffsetDateTime::now_utc() + time::Duration::minutes(minutes),
        })?;
        fresh.push(req);
    }
    Ok(Resent::Requests(fresh))
}

fn minutes_of(r: &Request) -> i64 {
    r.fields
        .get("expires_in_minutes")
        .and_then(serde_json::Value::as_i64)
        .unwrap_or_default()
}

/// Rescans the repository behind a held gate: `Some(summary)` when nothing
/// blocks any more.
fn clean_rescan(
    config: &Config,
    record: &super::journal::RunRecord,
    hold: &Request,
) -> Result<Option<String>, ControlError> {
    let names: Vec<String> = record.vars.keys().cloned().collect();
    let Ok(wf) = load::parse(&record.file_text, &record.file, &names) else {
        return Ok(None);
    };
    let Some(gate) = hold.node.as_deref().and_then(|n| wf.node(n)) else {
        return Ok(None);
    };
    let NodeKind::Gate {
        when: GateWhen::Findings { at_least },
        source,
        ..
    } = &gate.kind
    else {
        return Ok(None);
    };
    let Some(NodeKind::Scan {
        target: ScanTarget::Repo,
        recursive,
    }) = wf.node(source).map(|n| &n.kind)
    else {
        return Ok(None);
    };
    Ok(rescan(config, &record.repo, *recursive, *at_least))
}

fn rescan(
    config: &Config,
    repo: &Path,
    recursive: bool,
    at_least: Option<autonomic_core::Severity>,
) -> Option<String> {
    let mut request = ScanRequest::new(vec![repo.to_path_buf()]);
    request.recursive = recursive;
    let verdict = pipeline::scan(&request, &config.immune, time::OffsetDateTime::now_utc()).ok()?;
    let blocked = match at_least {
        Some(min) => verdict.report.findings.iter().any(|f| f.gated_as >= min),
        None => verdict.is_hold(),
    };
    (!blocked).then(|| {
        format!(
            "{} packages, {} findings, none blocking",
            verdict.report.packages_scanned,
            verdict.report.findings.len()
        )
    })
}

/// Whether a request can still be answered.
pub fn is_answerable(r: &Request) -> bool {
    r.status == RequestStatus::Open && r.expires_at > time::OffsetDateTime::now_utc()
}

/// Takes approval answers that arrived on the bus (NATS's
/// `autonomic.approval.<id>`) into the decision log, like any other answer;
/// one that cannot be taken is logged with its subject and dropped (the
/// engine never sees it). Ends when the bus stops.
pub async fn forward_answers(
    mut answers: tokio::sync::mpsc::Receiver<super::bus::ApprovalAnswer>,
    journal_path: std::path::PathBuf,
) {
    use super::bus::AnswerDecision;
    while let Some(a) = answers.recv().await {
        let verdict = match a.decision {
            AnswerDecision::Approve => Verdict::Approve,
            AnswerDecision::Reject => Verdict::Reject,
            AnswerDecision::Cancel => Verdict::Cancel,
        };
        let path = journal_path.clone();
        let subject = a.subject.clone();
        let taken = tokio::task::spawn_blocking(move || {
            let mut journal = Journal::open(&path).map_err(|e| e.to_string())?;
            answer(
                &mut journal,
                &a.run,
                verdict,
                a.request.as_deref(),
                &a.by,
                "nats",
                a.reason.clone(),
            )
            .map_err(|e| e.to_string())
        })
        .await;
        match taken {
            Ok(Ok(_)) => tracing::info!(%subject, "approval answer taken"),
            Ok(Err(e)) => tracing::warn!(%subject, "approval answer not taken: {e}"),
            Err(e) => tracing::warn!(%subject, "approval answer not taken: {e}"),
        }
    }
}
