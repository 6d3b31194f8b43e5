//! Group commit: the engine's reactions to a burst of messages are
//! journaled in one SQLite transaction, and nothing they cause happens
//! before that transaction is committed.
//!
//! Every reaction journals a transition before it takes effect. Inside a
//! batch the journal's writes are savepoints of one transaction
//! (`journal/write.rs`), so "journaled" means "committed" only at the end
//! of the batch; everything a transition causes — node work started on a
//! blocking thread, an event published on the bus, an audit record, an
//! approval request sent, a caller answered — is queued with
//! [`Core::after_commit`] and done by [`Core::flush`] once the commit
//! returned. A crash before the commit loses the batch's transitions *and*
//! their effects: the journal never runs behind what happened.
//!
//! A commit that fails is not retried: the engine's memory is ahead of the
//! journal, so the engine stops (fail-stop), the queued effects are
//! dropped, and the next start recovers from the journal as after a crash.

use super::core::Core;
use super::{EngineError, Msg};
use crate::workflow::event::Event;
use tokio::sync::mpsc;

/// Something a transition causes, done after the commit.
pub(super) type Effect = Box<dyn FnOnce(&mut Core) + Send>;

/// The most messages one batch takes: a bound on how long the journal's
/// write lock is held (and on how late a batch's first effect is).
pub(super) const MAX_BATCH: usize = 256;

/// What a batch ended with.
pub(super) enum Next {
    /// Go on.
    Continue,
    /// A shutdown message was taken (and answered after the commit).
    Stop,
}

impl Core {
    /// Queues `effect` until the current batch is committed (or runs it at
    /// the next [`Core::flush`] outside a batch).
    pub fn after_commit(&mut self, effect: impl FnOnce(&mut Core) + Send + 'static) {
        self.effects.push(Box::new(effect));
    }

    /// Publishes `event` on the bus once it is committed.
    pub fn publish(&mut self, event: Event) {
        self.after_commit(move |core| core.bus.publish(&event));
    }

    /// Does the queued effects in order, and those they queue in turn.
    pub fn flush(&mut self) {
        while !self.effects.is_empty() {
            for effect in std::mem::take(&mut self.effects) {
                effect(self);
            }
        }
    }

    /// Runs `f` in one batch, commits it, then does its effects.
    ///
    /// # Errors
    ///
    /// The commit failed: nothing `f` journaled was kept, its effects are
    /// dropped, and the engine must stop.
    pub fn batched<T>(&mut self, f: impl FnOnce(&mut Core) -> T) -> Result<T, EngineError> {
        let batched = match self.journal.begin_batch() {
            Ok(()) => true,
            Err(e) => {
                // Each write commits on its own then: slower, as correct.
                tracing::warn!("workflow engine: no group commit for this batch: {e}");
                false
            }
        };
        let out = f(self);
        if batched {
            if let Err(e) = self.journal.commit_batch() {
                self.effects.clear();
                return Err(e.into());
            }
        }
        self.flush();
        Ok(out)
    }

    /// Handles `first` and whatever else is already queued (up to
    /// [`MAX_BATCH`] messages) in one batch.
    pub(super) fn handle_burst(
        &mut self,
        first: Msg,
        rx: &mut mpsc::UnboundedReceiver<Msg>,
    ) -> Result<Next, EngineError> {
        self.batched(|core| {
            let mut msg = first;
            let mut taken = 0;
            loop {
                if let Msg::Shutdown(reply) = msg {
                    core.begin_shutdown();
                    core.after_commit(move |_| {
                        let _ = reply.send(());
                    });
                    return Next::Stop;
                }
                core.handle(msg);
                taken += 1;
                if taken == MAX_BATCH {
                    return Next::Continue;
                }
                match rx.try_recv() {
                    Ok(m) => msg = m,
                    Err(_) => return Next::Continue,
                }
            }
        })
    }
}
