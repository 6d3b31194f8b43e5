//! Approval requests and the append-only decision log.
//!
//! A request is journaled (with its `approval_requested` event) before it
//! is sent; a fresh request of the same run, node and kind supersedes the
//! open one. Answers, from any channel and any process, are appended to the
//! decision log with no outcome; the engine settles each one once
//! (accepted or refused, with its `approval_answered` event). Must not:
//! judge an answer (the engine does: expiry, superseded requests, finished
//! runs), or change a decision once settled.

use rusqlite::{params, OptionalExtension as _};
use serde_json::json;
use time::OffsetDateTime;

use super::error::{JournalError, Result};
use super::events::{append, check_exists};
use super::{json_at, millis, now_ms, parsed, rfc3339, time_at, Journal};
use crate::workflow::event::{Event, EventKind};
use crate::workflow::state::RunId;

macro_rules! names {
    ($(#[$m:meta])* $Name:ident { $($(#[$vm:meta])* $V:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $Name { $($(#[$vm])* $V,)* }

        impl $Name {
            /// Every value.
            pub const ALL: &'static [$Name] = &[$($Name::$V,)*];

            /// The name journaled and shown.
            pub const fn as_str(self) -> &'static str {
                match self { $($Name::$V => $s,)* }
            }

            /// Parses a journaled or typed name.
            pub fn parse(s: &str) -> Option<$Name> {
                match s { $($s => Some($Name::$V),)* _ => None }
            }
        }

        impl std::fmt::Display for $Name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names! {
    /// What an approval request is for.
    RequestKind {
        /// A node's approval: an `approval` node, a `review`, or rerunning
        /// a node that modifies external state.
        Node = "node",
        /// An override of a security hold.
        SecurityHold = "security_hold",
        /// Resuming a run whose workflow file changed since it started.
        Resume = "resume",
    }
}

names! {
    /// Where an approval request is.
    RequestStatus {
        /// Waiting for an answer (possibly expired: compare `expires_at`).
        Open = "open",
        /// A fresh request replaced it.
        Superseded = "superseded",
        /// An accepted decision answered it.
        Answered = "answered",
        /// Closed without an answer (the run ended).
        Closed = "closed",
    }
}

names! {
    /// What a human answered.
    Verdict {
        /// Go ahead.
        Approve = "approve",
        /// Do not (the node is rejected).
        Reject = "reject",
        /// Cancel the whole run.
        Cancel = "cancel",
    }
}

/// An approval request to journal.
#[derive(Debug, Clone, PartialEq)]
pub struct NewRequest {
    /// The run.
    pub run: RunId,
    /// The node, for a node's request.
    pub node: Option<String>,
    /// What it is for.
    pub kind: RequestKind,
    /// The full human-readable request.
    pub text: String,
    /// The same as structured data.
    pub fields: serde_json::Value,
    /// After this, answers to it are refused.
    pub expires_at: OffsetDateTime,
}

/// An approval request as journaled.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// `ap-` and six lowercase letters and digits; unique in the journal.
    pub id: String,
    /// The run.
    pub run: RunId,
    /// The node, for a node's request.
    pub node: Option<String>,
    /// What it is for.
    pub kind: RequestKind,
    /// The full human-readable request.
    pub text: String,
    /// The same as structured data.
    pub fields: serde_json::Value,
    /// When it was journaled.
    pub created_at: OffsetDateTime,
    /// After this, answers to it are refused.
    pub expires_at: OffsetDateTime,
    /// Where it is.
    pub status: RequestStatus,
}

/// An answer to append to the decision log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDecision {
    /// The run.
    pub run: RunId,
    /// The request answered; `None` for a cancel of the run.
    pub request: Option<String>,
    /// The answer.
    pub verdict: Verdict,
    /// Who answered.
    pub by: String,
    /// Through which channel: `cli`, `nats`, `slack`.
    pub via: String,
    /// Their reason.
    pub reason: Option<String>,
}

/// What the engine made of a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOutcome {
    /// It took effect.
    Accepted,
    /// It did not, and why (expired, superseded, already decided, finished
    /// run…).
    Refused(String),
}

/// A decision as journaled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Its place in the log.
    pub seq: u64,
    /// The run.
    pub run: RunId,
    /// The request answered; `None` for a cancel of the run.
    pub request: Option<String>,
    /// The answer.
    pub verdict: Verdict,
    /// Who answered.
    pub by: String,
    /// Through which channel.
    pub via: String,
    /// Their reason.
    pub reason: Option<String>,
    /// When it was appended.
    pub at: OffsetDateTime,
    /// `None` until the engine settles it.
    pub outcome: Option<DecisionOutcome>,
}

/// How many fresh request ids are tried before giving up on a collision.
const ID_TRIES: usize = 16;

pub(super) const REQUEST_COLUMNS: &str =
    "SELECT id, run, node, kind, text, fields, created_at, expires_at, status FROM requests";

const DECISION_COLUMNS: &str =
    "SELECT seq, run, request, verdict, by_whom, via, reason, at, outcome, outcome_why FROM decisions";

pub(super) fn request_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Request> {
    let run: String = r.get(1)?;
    let kind: String = r.get(3)?;
    let fields: String = r.get(5)?;
    let status: String = r.get(8)?;
    Ok(Request {
        id: r.get(0)?,
        run: parsed(&run, 1, |s| RunId::parse(s).ok())?,
        node: r.get(2)?,
        kind: parsed(&kind, 3, RequestKind::parse)?,
        text: r.get(4)?,
        fields: json_at(&fields, 5)?,
        created_at: time_at(r.get(6)?, 6)?,
        expires_at: time_at(r.get(7)?, 7)?,
        status: parsed(&status, 8, RequestStatus::parse)?,
    })
}

fn decision_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Decision> {
    let seq: i64 = r.get(0)?;
    let run: String = r.get(1)?;
    let verdict: String = r.get(3)?;
    let outcome: Option<String> = r.get(8)?;
    let outcome = match outcome.as_deref() {
        None => None,
        Some("accepted") => Some(DecisionOutcome::Accepted),
        Some(_) => Some(DecisionOutcome::Refused(
            r.get::<_, Option<String>>(9)?.unwrap_or_default(),
        )),
    };
    Ok(Decision {
        seq: u64::try_from(seq).unwrap_or_default(),
        run: parsed(&run, 1, |s| RunId::parse(s).ok())?,
        request: r.get(2)?,
        verdict: parsed(&verdict, 3, Verdict::parse)?,
        by: r.get(4)?,
        via: r.get(5)?,
        reason: r.get(6)?,
        at: time_at(r.get(7)?, 7)?,
        outcome,
    })
}

/// A fresh request id: `ap-` and six of `[a-z0-9]` from the OS's random
/// source.
fn new_request_id() -> std::io::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    getrandom::getrandom(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect();
    Ok(format!("ap-{suffix}"))
}

impl Journal {
    /// Journals an approval request (status open) and its
    /// `approval_requested` event (`{request, kind, text, fields,
    /// expires_at, superseded}`); any open request of the same run, node
    /// and kind becomes superseded in the same transaction.
    ///
    /// # Errors
    ///
    /// An unknown run or node; SQLite failures.
    pub fn open_request(&mut self, req: &NewRequest) -> Result<(Request, Event)> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        check_exists(&tx, &path, &req.run, req.node.as_deref())?;
        let same = "run = ?1 AND node IS ?2 AND kind = ?3 AND status = 'open'";
        let superseded: Vec<String> = tx
            .prepare_cached(&format!(
                "SELECT id FROM requests WHERE {same} ORDER BY rowid"
            ))
            .and_then(|mut s| {
                s.query_map(
                    params![req.run.as_str(), req.node, req.kind.as_str()],
                    |r| r.get(0),
                )?
                .collect()
            })
            .map_err(err)?;
        tx.execute(
            &format!("UPDATE requests SET status = 'superseded' WHERE {same}"),
            params![req.run.as_str(), req.node, req.kind.as_str()],
        )
        .map_err(err)?;
        let mut id = new_request_id()?;
        for _ in 0..ID_TRIES {
            let taken = tx
                .prepare_cached("SELECT 1 FROM requests WHERE id = ?1")
                .and_then(|mut s| s.exists([&id]))
                .map_err(err)?;
            if !taken {
                break;
            }
            id = new_request_id()?;
        }
        let now = now_ms();
        let fields = serde_json::to_string(&req.fields).map_err(|e| {
            JournalError::bad_row(&path, "requests", id.as_str(), format!("fields: {e}"))
        })?;
        tx.execute(
            "INSERT INTO requests (id, run, node, kind, text, fields, created_at, expires_at, status) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'open')",
            params![
                id,
                req.run.as_str(),
                req.node,
                req.kind.as_str(),
                req.text,
                fields,
                now,
                millis(req.expires_at)
            ],
        )
        .map_err(err)?;
        let request = tx
            .query_row(
                &format!("{REQUEST_COLUMNS} WHERE id = ?1"),
                [&id],
                request_row,
            )
            .map_err(err)?;
        let data = json!({
            "request": id,
            "kind": req.kind.as_str(),
            "text": req.text,
            "fields": req.fields,
            "expires_at": rfc3339(request.expires_at),
            "superseded": superseded,
        });
        let node = req.node.as_deref();
        let event = append(
            &tx,
            &path,
            &req.run,
            node,
            EventKind::ApprovalRequested,
            now,
            data,
        )?;
        tx.commit().map_err(err)?;
        Ok((request, event))
    }

    /// The request `id`, or `None`.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn request(&self, id: &str) -> Result<Option<Request>> {
        self.conn
            .prepare_cached(&format!("{REQUEST_COLUMNS} WHERE id = ?1"))
            .and_then(|mut s| s.query_row([id], request_row).optional())
            .map_err(|e| self.err(e))
    }

    /// The open requests (expired ones included), of one run or all, oldest
    /// first.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn open_requests(&self, run: Option<&RunId>) -> Result<Vec<Request>> {
        let rows = match run {
            Some(run) => self
                .conn
                .prepare_cached(&format!(
                    "{REQUEST_COLUMNS} WHERE run = ?1 AND status = 'open' ORDER BY rowid"
                ))
                .and_then(|mut s| s.query_map([run.as_str()], request_row)?.collect()),
            None => self
                .conn
                .prepare_cached(&format!(
                    "{REQUEST_COLUMNS} WHERE status = 'open' ORDER BY rowid"
                ))
                .and_then(|mut s| s.query_map([], request_row)?.collect()),
        };
        rows.map_err(|e| self.err(e))
    }

    /// Sets a request's status.
    ///
    /// # Errors
    ///
    /// An unknown request; SQLite failures.
    pub fn close_request(&mut self, id: &str, status: RequestStatus) -> Result<()> {
        let changed = self
            .conn
            .execute(
                "UPDATE requests SET status = ?2 WHERE id = ?1",
                params![id, status.as_str()],
            )
            .map_err(|e| self.err(e))?;
        if changed == 0 {
            return Err(JournalError::UnknownRequest {
                path: self.path.clone(),
                id: id.to_owned(),
            });
        }
        Ok(())
    }

    /// Appends an answer to the decision log (no outcome yet) and returns
    /// its sequence number. Never updates another row. The engine judges
    /// it later ([`Journal::settle_decision`]).
    ///
    /// # Errors
    ///
    /// An unknown run or request, or a request of another run; SQLite
    /// failures.
    pub fn append_decision(&mut self, d: &NewDecision) -> Result<u64> {
        let path = self.path.clone();
        let tx = self.write().map_err(|e| JournalError::sqlite(&path, e))?;
        let seq = insert_decision(&tx, &path, d)?;
        tx.commit().map_err(|e| JournalError::sqlite(&path, e))?;
        Ok(seq)
    }

    /// The decisions not settled yet, oldest first.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn pending_decisions(&self) -> Result<Vec<Decision>> {
        self.conn
            .prepare_cached(&format!(
                "{DECISION_COLUMNS} WHERE outcome IS NULL ORDER BY seq"
            ))
            .and_then(|mut s| s.query_map([], decision_row)?.collect())
            .map_err(|e| self.err(e))
    }

    /// Settles decision `seq` (once) and journals its `approval_answered`
    /// event (`{request, decision, seq, by, via, reason, accepted, why}`).
    /// An accepted answer to an open request also marks the request
    /// answered, in the same transaction.
    ///
    /// # Errors
    ///
    /// An unknown decision; one already settled
    /// ([`JournalError::AlreadySettled`]: the first outcome stays); SQLite
    /// failures.
    pub fn settle_decision(&mut self, seq: u64, outcome: &DecisionOutcome) -> Result<Event> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let key = i64::try_from(seq).unwrap_or(i64::MAX);
        let tx = self.write().map_err(err)?;
        let decision = tx
            .query_row(
                &format!("{DECISION_COLUMNS} WHERE seq = ?1"),
                [key],
                decision_row,
            )
            .optional()
            .map_err(err)?
            .ok_or_else(|| JournalError::UnknownDecision {
                path: path.clone(),
                seq,
            })?;
        if let Some(first) = &decision.outcome {
            return Err(JournalError::AlreadySettled {
                path: path.clone(),
                seq,
                outcome: match first {
                    DecisionOutcome::Accepted => "accepted".to_owned(),
                    DecisionOutcome::Refused(why) => format!("refused: {why}"),
                },
            });
        }
        let (name, why) = match outcome {
            DecisionOutcome::Accepted => ("accepted", "accepted"),
            DecisionOutcome::Refused(why) => ("refused", why.as_str()),
        };
        tx.execute(
            "UPDATE decisions SET outcome = ?2, outcome_why = ?3 WHERE seq = ?1 AND outcome IS NULL",
            params![key, name, why],
        )
        .map_err(err)?;
        let mut node = None;
        if let Some(request) = &decision.request {
            if *outcome == DecisionOutcome::Accepted {
                tx.execute(
                    "UPDATE requests SET status = 'answered' WHERE id = ?1 AND status = 'open'",
                    [request],
                )
                .map_err(err)?;
            }
            node = tx
                .query_row("SELECT node FROM requests WHERE id = ?1", [request], |r| {
                    r.get::<_, Option<String>>(0)
                })
                .optional()
                .map_err(err)?
                .flatten();
        }
        let data = json!({
            "request": decision.request,
            "decision": decision.verdict.as_str(),
            "seq": seq,
            "by": decision.by,
            "via": decision.via,
            "reason": decision.reason,
            "accepted": *outcome == DecisionOutcome::Accepted,
            "why": why,
        });
        let event = append(
            &tx,
            &path,
            &decision.run,
            node.as_deref(),
            EventKind::ApprovalAnswered,
            now_ms(),
            data,
        )?;
        tx.commit().map_err(err)?;
        Ok(event)
    }

    /// Every decision about run `run`, in log order.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn decisions(&self, run: &RunId) -> Result<Vec<Decision>> {
        self.conn
            .prepare_cached(&format!("{DECISION_COLUMNS} WHERE run = ?1 ORDER BY seq"))
            .and_then(|mut s| s.query_map([run.as_str()], decision_row)?.collect())
            .map_err(|e| self.err(e))
    }
}

/// Checks and inserts a decision in an open write (see
/// [`Journal::append_decision`]); returns its sequence number.
pub(super) fn insert_decision(
    tx: &rusqlite::Connection,
    path: &std::path::Path,
    d: &NewDecision,
) -> Result<u64> {
    let err = |e| JournalError::sqlite(path, e);
    check_exists(tx, path, &d.run, None)?;
    if let Some(id) = &d.request {
        let owner: Option<String> = tx
            .query_row("SELECT run FROM requests WHERE id = ?1", [id], |r| r.get(0))
            .optional()
            .map_err(err)?;
        match owner {
            None => {
                return Err(JournalError::UnknownRequest {
                    path: path.to_path_buf(),
                    id: id.clone(),
                })
            }
            Some(owner) if owner != d.run.as_str() => {
                return Err(JournalError::RequestOfAnotherRun {
                    path: path.to_path_buf(),
                    id: id.clone(),
                    owner: RunId::parse(&owner).map_err(|e| {
                        JournalError::bad_row(path, "requests", id.as_str(), e.to_string())
                    })?,
                    run: d.run.clone(),
                })
            }
            Some(_) => {}
        }
    }
    tx.execute(
        "INSERT INTO decisions (run, request, verdict, by_whom, via, reason, at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            d.run.as_str(),
            d.request,
            d.verdict.as_str(),
            d.by,
            d.via,
            d.reason,
            now_ms()
        ],
    )
    .map_err(err)?;
    Ok(u64::try_from(tx.last_insert_rowid()).unwrap_or_default())
}
