//! Write transactions and group commit.
//!
//! Every method that changes the journal opens a [`Write`]: on its own, a
//! `BEGIN IMMEDIATE` transaction committed when the method returns; inside
//! a batch ([`Journal::begin_batch`]), a savepoint of the batch's one
//! transaction, released into it when the method returns (rolled back to
//! when the method fails, so a method is still all or nothing). The batch
//! commits once, at [`Journal::commit_batch`]: many transitions, one WAL
//! write of their pages.
//!
//! What a batch must not do: let anything depend on a transition before
//! [`Journal::commit_batch`] returned. The engine holds back every effect of
//! a batch's transitions (starting node work, publishing events, answering
//! callers) until the commit; a batch that is never committed (the process
//! dies, or the commit fails) leaves the journal as it was before the batch.

use std::ops::Deref;

use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::{Journal, JournalError, Result};

/// One method's write: a transaction of its own, or a savepoint of a batch.
pub(crate) enum Write<'c> {
    /// Outside a batch.
    Alone(Transaction<'c>),
    /// Inside a batch.
    Batched(Savepoint<'c>),
}

/// A savepoint of the batch, through cached statements (a batch takes
/// thousands: parsing `SAVEPOINT`/`RELEASE` each time showed in profiles).
/// Dropped without [`Write::commit`], it rolls back to where it began.
pub(crate) struct Savepoint<'c> {
    conn: &'c Connection,
    done: bool,
}

impl<'c> Savepoint<'c> {
    fn begin(conn: &'c Connection) -> rusqlite::Result<Savepoint<'c>> {
        conn.prepare_cached("SAVEPOINT journal_write")?
            .execute([])?;
        Ok(Savepoint { conn, done: false })
    }

    fn release(mut self) -> rusqlite::Result<()> {
        self.done = true;
        self.conn
            .prepare_cached("RELEASE journal_write")?
            .execute([])
            .map(|_| ())
    }
}

impl Drop for Savepoint<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self
                .conn
                .execute_batch("ROLLBACK TO journal_write; RELEASE journal_write");
        }
    }
}

impl Deref for Write<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            Write::Alone(tx) => tx,
            Write::Batched(sp) => sp.conn,
        }
    }
}

impl Write<'_> {
    /// Commits the method's changes (into the batch, when there is one).
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            Write::Alone(tx) => tx.commit(),
            Write::Batched(sp) => sp.release(),
        }
    }
}

impl Journal {
    /// Opens one method's write.
    pub(crate) fn write(&mut self) -> rusqlite::Result<Write<'_>> {
        if self.batch {
            Savepoint::begin(&self.conn).map(Write::Batched)
        } else {
            self.conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map(Write::Alone)
        }
    }

    /// Starts a batch: the writes until [`Journal::commit_batch`] are one
    /// transaction, holding the write lock until then (keep it short).
    ///
    /// # Errors
    ///
    /// A batch already open; SQLite failures (a lock held past the busy
    /// timeout).
    pub fn begin_batch(&mut self) -> Result<()> {
        if self.batch {
            return Err(JournalError::Batch {
                path: self.path.clone(),
                detail: "a batch is already open".into(),
            });
        }
        self.conn
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(|e| self.err(e))?;
        self.batch = true;
        Ok(())
    }

    /// Commits the open batch. On an error the batch is rolled back: none
    /// of its writes happened.
    ///
    /// # Errors
    ///
    /// No batch open; SQLite failures.
    pub fn commit_batch(&mut self) -> Result<()> {
        if !self.batch {
            return Err(JournalError::Batch {
                path: self.path.clone(),
                detail: "no batch is open".into(),
            });
        }
        self.batch = false;
        if let Err(e) = self.conn.execute_batch("COMMIT") {
            let _ = self.conn.execute_batch("ROLLBACK");
            return Err(self.err(e));
        }
        Ok(())
    }

    /// Whether a batch is open.
    pub fn in_batch(&self) -> bool {
        self.batch
    }
}
