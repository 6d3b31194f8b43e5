//! What channels other than the CLI delivered and posted: answers taken
//! exactly once per delivery, and where each request's message went.

use rusqlite::{params, OptionalExtension as _};

use super::approvals::{insert_decision, request_row, NewDecision, Request, REQUEST_COLUMNS};
use super::error::{JournalError, Result};
use super::{now_ms, Journal};

/// What became of an answer a channel delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivered {
    /// Appended to the decision log as this sequence number.
    New(u64),
    /// The same delivery was taken before (as this decision, if it made
    /// one): a redelivery, nothing appended.
    Duplicate(Option<u64>),
}

/// Where a request's message was posted on a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Post {
    /// The request.
    pub request: String,
    /// The channel (`slack`).
    pub channel: String,
    /// The conversation it is in (a Slack channel id).
    pub conversation: String,
    /// The message's id there (a Slack `ts`).
    pub ts: String,
}

impl Journal {
    /// Appends `d` unless `channel` delivered `delivery` before — in one
    /// transaction, so a crash between the two is impossible and a channel
    /// acknowledging only after this returns never loses or doubles an
    /// answer.
    ///
    /// # Errors
    ///
    /// As [`Journal::append_decision`].
    pub fn append_delivered_decision(
        &mut self,
        d: &NewDecision,
        channel: &str,
        delivery: &str,
    ) -> Result<Delivered> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        let before: Option<Option<i64>> = tx
            .query_row(
                "SELECT decision FROM channel_deliveries WHERE channel = ?1 AND delivery = ?2",
                params![channel, delivery],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        if let Some(seq) = before {
            return Ok(Delivered::Duplicate(
                seq.and_then(|s| u64::try_from(s).ok()),
            ));
        }
        let seq = insert_decision(&tx, &path, d)?;
        tx.execute(
            "INSERT INTO channel_deliveries (channel, delivery, decision, at) VALUES (?1, ?2, ?3, ?4)",
            params![channel, delivery, i64::try_from(seq).unwrap_or(i64::MAX), now_ms()],
        )
        .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(Delivered::New(seq))
    }

    /// Whether `channel` delivered `delivery` before: `Some` with the
    /// decision it made then (if any), `None` for a first delivery.
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn delivered(&self, channel: &str, delivery: &str) -> Result<Option<Option<u64>>> {
        self.conn
            .query_row(
                "SELECT decision FROM channel_deliveries WHERE channel = ?1 AND delivery = ?2",
                params![channel, delivery],
                |r| r.get::<_, Option<i64>>(0),
            )
            .optional()
            .map(|found| found.map(|seq| seq.and_then(|s| u64::try_from(s).ok())))
            .map_err(|e| self.err(e))
    }

    /// Records that `channel` delivered `delivery` without an answer to
    /// append (one that was ignored: not an approver, a bot), so a
    /// redelivery is recognised too. Returns false when it was recorded
    /// before.
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn record_delivery(&mut self, channel: &str, delivery: &str) -> Result<bool> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        let n = tx
            .execute(
                "INSERT OR IGNORE INTO channel_deliveries (channel, delivery, decision, at) \
                 VALUES (?1, ?2, NULL, ?3)",
                params![channel, delivery, now_ms()],
            )
            .map_err(err)?;
        tx.commit().map_err(err)?;
        Ok(n == 1)
    }

    /// Records where a request's message was posted (once per request and
    /// channel; a resend posts a new request).
    ///
    /// # Errors
    ///
    /// An unknown request; SQLite failures.
    pub fn record_post(&mut self, post: &Post) -> Result<()> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let tx = self.write().map_err(err)?;
        let known: bool = tx
            .query_row(
                "SELECT count(*) FROM requests WHERE id = ?1",
                [&post.request],
                |r| r.get::<_, i64>(0),
            )
            .map_err(err)?
            > 0;
        if !known {
            return Err(JournalError::UnknownRequest {
                path: path.clone(),
                id: post.request.clone(),
            });
        }
        tx.execute(
            "INSERT OR REPLACE INTO channel_posts (request, channel, conversation, ts, at) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                post.request,
                post.channel,
                post.conversation,
                post.ts,
                now_ms()
            ],
        )
        .map_err(err)?;
        tx.commit().map_err(err)
    }

    /// Where `request` was posted on `channel`.
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn post_of(&self, request: &str, channel: &str) -> Result<Option<Post>> {
        self.conn
            .query_row(
                "SELECT request, channel, conversation, ts FROM channel_posts \
                 WHERE request = ?1 AND channel = ?2",
                params![request, channel],
                post_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// The request whose message is `ts` in `conversation` on `channel` (a
    /// thread reply names its parent this way).
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn post_at(&self, channel: &str, conversation: &str, ts: &str) -> Result<Option<Post>> {
        self.conn
            .query_row(
                "SELECT request, channel, conversation, ts FROM channel_posts \
                 WHERE channel = ?1 AND conversation = ?2 AND ts = ?3",
                params![channel, conversation, ts],
                post_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }
}

impl Journal {
    /// Open, unexpired requests with no post on `channel` yet, oldest
    /// first: what the channel still has to post.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn unposted_requests(&self, channel: &str) -> Result<Vec<Request>> {
        self.conn
            .prepare_cached(&format!(
                "{REQUEST_COLUMNS} WHERE status = 'open' AND expires_at > ?2 AND NOT EXISTS \
                 (SELECT 1 FROM channel_posts p WHERE p.request = requests.id AND p.channel = ?1) \
                 ORDER BY rowid"
            ))
            .and_then(|mut s| {
                s.query_map(params![channel, now_ms()], request_row)?
                    .collect()
            })
            .map_err(|e| self.err(e))
    }

    /// Posts on `channel` not yet closed whose request has ended (answered,
    /// superseded, closed) or expired, with the request: what the channel
    /// still has to update.
    ///
    /// # Errors
    ///
    /// SQLite failures; a malformed stored row.
    pub fn posts_to_close(&self, channel: &str) -> Result<Vec<(Post, Request)>> {
        let posts: Vec<Post> = self
            .conn
            .prepare_cached(
                "SELECT p.request, p.channel, p.conversation, p.ts FROM channel_posts p \
                 JOIN requests r ON r.id = p.request \
                 WHERE p.channel = ?1 AND p.closed_at IS NULL \
                 AND (r.status != 'open' OR r.expires_at <= ?2) ORDER BY p.at",
            )
            .and_then(|mut s| s.query_map(params![channel, now_ms()], post_row)?.collect())
            .map_err(|e| self.err(e))?;
        let mut out = Vec::with_capacity(posts.len());
        for post in posts {
            if let Some(req) = self.request(&post.request)? {
                out.push((post, req));
            }
        }
        Ok(out)
    }

    /// Marks `request`'s post on `channel` as updated to its end.
    ///
    /// # Errors
    ///
    /// SQLite failures.
    pub fn close_post(&mut self, request: &str, channel: &str) -> Result<()> {
        self.conn
            .execute(
                "UPDATE channel_posts SET closed_at = ?3 WHERE request = ?1 AND channel = ?2",
                params![request, channel, now_ms()],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }
}

fn post_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Post> {
    Ok(Post {
        request: r.get(0)?,
        channel: r.get(1)?,
        conversation: r.get(2)?,
        ts: r.get(3)?,
    })
}
