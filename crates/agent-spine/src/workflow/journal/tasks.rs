//! Exec task results under their idempotency keys: the dispatch seam's
//! memory, so a task that already ran (before a crash, or on another
//! worker) is not run again.
//!
//! Must not: derive keys (the dispatcher does, from run, node and input), or
//! replace a stored result.

use rusqlite::{params, OptionalExtension as _};

use super::error::{JournalError, Result};
use super::events::check_exists;
use super::{now_ms, Journal};
use crate::workflow::state::RunId;

impl Journal {
    /// The result stored under `key`, if any.
    ///
    /// # Errors
    ///
    /// SQLite failures; a stored result that is not JSON.
    pub fn task_result(&self, key: &str) -> Result<Option<serde_json::Value>> {
        let text: Option<String> = self
            .conn
            .prepare_cached("SELECT result FROM task_results WHERE key = ?1")
            .and_then(|mut s| s.query_row([key], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))?;
        text.map(|t| {
            serde_json::from_str(&t)
                .map_err(|e| JournalError::bad_row(&self.path, "task_results", key, e.to_string()))
        })
        .transpose()
    }

    /// Stores an exec task's result under `key`. Storing the same result
    /// again is a no-op; a different one is refused and the first stays.
    ///
    /// # Errors
    ///
    /// An unknown run or node; a different result already stored
    /// ([`JournalError::TaskResultConflict`]); SQLite failures.
    pub fn store_task_result(
        &mut self,
        key: &str,
        run: &RunId,
        node: &str,
        result: &serde_json::Value,
    ) -> Result<()> {
        let path = self.path.clone();
        let err = |e| JournalError::sqlite(&path, e);
        let text = serde_json::to_string(result)
            .map_err(|e| JournalError::bad_row(&path, "task_results", key, e.to_string()))?;
        let tx = self.write().map_err(err)?;
        check_exists(&tx, &path, run, Some(node))?;
        let stored: Option<String> = tx
            .query_row(
                "SELECT result FROM task_results WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()
            .map_err(err)?;
        match stored {
            Some(stored) => {
                let same =
                    serde_json::from_str::<serde_json::Value>(&stored).is_ok_and(|v| v == *result);
                if !same {
                    return Err(JournalError::TaskResultConflict {
                        path: path.clone(),
                        key: key.to_owned(),
                    });
                }
            }
            None => {
                tx.execute(
                    "INSERT INTO task_results (key, run, node, result, at) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![key, run.as_str(), node, text, now_ms()],
                )
                .map_err(err)?;
            }
        }
        tx.commit().map_err(err)
    }
}
